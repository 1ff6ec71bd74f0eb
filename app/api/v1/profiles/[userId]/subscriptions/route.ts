import { handleGetSubscriptions, handlePutSubscriptions } from "@/server/consent/http";

export const GET = async (req: Request, { params }: { params: Promise<{ userId: string }> }) => handleGetSubscriptions(req, (await params).userId);
export const PUT = async (req: Request, { params }: { params: Promise<{ userId: string }> }) => handlePutSubscriptions(req, (await params).userId);
