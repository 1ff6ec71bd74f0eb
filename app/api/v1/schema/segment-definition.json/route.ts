import { segmentDefinitionJsonSchema } from "@/server/segments/http";

export const dynamic = "force-static";

export function GET() {
  return Response.json(segmentDefinitionJsonSchema(), { headers: { "cache-control": "public, max-age=300" } });
}
