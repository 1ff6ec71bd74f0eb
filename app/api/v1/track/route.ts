import { handleIngest } from "@/server/ingest/http";

export const POST = (req: Request) => handleIngest(req, "track");
