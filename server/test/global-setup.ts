import path from "node:path";
import type { TestProject } from "vitest/node";
import { acquireTestServer } from "@/server/db/test-database";

/** One Postgres server for the integration run; each test file makes its own database on it. */
export default async function setup(project: TestProject) {
  const server = await acquireTestServer(path.resolve(import.meta.dirname, "../.."));
  project.provide("testAdminUrl", server.adminUrl);
  return async () => {
    await server.stop();
  };
}

declare module "vitest" {
  export interface ProvidedContext {
    testAdminUrl: string;
  }
}
