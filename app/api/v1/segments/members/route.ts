import { handleSegmentMembers } from "@/server/segments/http";

export const POST = (req: Request) => handleSegmentMembers(req);
