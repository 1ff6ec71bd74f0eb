import { journeyDefinitionJsonSchema } from "@/server/journeys/http";

export const dynamic = "force-static";

export function GET() {
  return Response.json(journeyDefinitionJsonSchema(), { headers: { "cache-control": "public, max-age=300" } });
}
