import path from "node:path";
import { defineConfig } from "vitest/config";

const alias = {
  "@": path.resolve(import.meta.dirname),
  // Next's guard against importing server code into client bundles; meaningless in tests.
  "server-only": path.resolve(import.meta.dirname, "scripts/empty-module.ts"),
};

export default defineConfig({
  resolve: { alias },
  test: {
    projects: [
      {
        resolve: { alias },
        test: {
          name: "unit",
          include: ["lib/**/*.test.ts", "server/**/*.test.ts", "components/**/*.test.ts"],
          exclude: ["**/*.int.test.ts", "node_modules/**"],
          environment: "node",
        },
      },
      {
        resolve: { alias },
        test: {
          name: "integration",
          include: ["server/**/*.int.test.ts", "prisma/**/*.int.test.ts", "app/**/*.int.test.ts", "scripts/**/*.int.test.ts"],
          environment: "node",
          globalSetup: ["./server/test/global-setup.ts"],
          testTimeout: 30_000,
          hookTimeout: 60_000,
          // Files get their own databases, so they can run side by side.
          fileParallelism: true,
        },
      },
    ],
  },
});
