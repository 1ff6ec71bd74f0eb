import { handleListMessages } from "@/server/inapp/http";

export const GET = async (req: Request, { params }: { params: Promise<{ userId: string }> }) => handleListMessages(req, (await params).userId);
