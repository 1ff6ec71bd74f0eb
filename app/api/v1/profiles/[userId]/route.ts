import { handleProfile } from "@/server/profiles/http";

export const GET = async (req: Request, { params }: { params: Promise<{ userId: string }> }) => handleProfile(req, (await params).userId);
