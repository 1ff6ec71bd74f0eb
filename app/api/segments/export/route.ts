import { handleSegmentExport } from "@/server/segments/export-http";

export const POST = (req: Request) => handleSegmentExport(req);
