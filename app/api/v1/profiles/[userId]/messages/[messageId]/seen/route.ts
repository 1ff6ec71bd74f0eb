import { handleMessageSeen } from "@/server/inapp/http";

export const POST = async (req: Request, { params }: { params: Promise<{ userId: string; messageId: string }> }) => handleMessageSeen(req, await params);
