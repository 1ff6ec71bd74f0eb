import { handleProfileExport } from "@/server/profiles/http";

export const POST = async (req: Request, { params }: { params: Promise<{ id: string }> }) => handleProfileExport(req, (await params).id);
