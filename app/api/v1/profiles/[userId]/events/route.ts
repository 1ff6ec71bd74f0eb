import { handleProfileEvents } from "@/server/profiles/http";

export const GET = async (req: Request, { params }: { params: Promise<{ userId: string }> }) => handleProfileEvents(req, (await params).userId);
