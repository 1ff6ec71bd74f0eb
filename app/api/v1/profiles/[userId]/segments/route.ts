import { handleProfileSegments } from "@/server/segments/http";

export const GET = async (req: Request, { params }: { params: Promise<{ userId: string }> }) => handleProfileSegments(req, (await params).userId);
