import { handleOneClick, handleOneClickPage } from "@/server/consent/http";

export const POST = async (req: Request, { params }: { params: Promise<{ token: string }> }) => handleOneClick(req, (await params).token);
export const GET = async (req: Request, { params }: { params: Promise<{ token: string }> }) => handleOneClickPage(req, (await params).token);
