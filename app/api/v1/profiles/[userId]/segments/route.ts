import { handleProfileSegments } from "@/server/segments/http";

export async function GET(req: Request, { params }: { params: Promise<{ userId: string }> }) {
  const { userId } = await params;
  return handleProfileSegments(req, decodeURIComponent(userId));
}
