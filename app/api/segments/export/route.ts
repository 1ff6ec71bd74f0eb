import { handleSegmentExport } from "@/server/segments/http";

export const POST = (req: Request) => handleSegmentExport(req);
