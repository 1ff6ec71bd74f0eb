import { handleMessageDismissed } from "@/server/inapp/http";

export const POST = async (req: Request, { params }: { params: Promise<{ userId: string; messageId: string }> }) => handleMessageDismissed(req, await params);
