import { handleSegmentCount } from "@/server/segments/http";

export const POST = (req: Request) => handleSegmentCount(req);
