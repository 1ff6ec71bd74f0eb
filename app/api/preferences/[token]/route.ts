import { handlePreferencesForm } from "@/server/consent/http";

export const POST = async (req: Request, { params }: { params: Promise<{ token: string }> }) => handlePreferencesForm(req, (await params).token);
