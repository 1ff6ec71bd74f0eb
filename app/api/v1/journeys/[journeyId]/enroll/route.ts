import { handleEnroll } from "@/server/journeys/enroll-http";

export const POST = async (req: Request, { params }: { params: Promise<{ journeyId: string }> }) => handleEnroll(req, (await params).journeyId);
