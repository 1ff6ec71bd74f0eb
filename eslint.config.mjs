import nextVitals from "eslint-config-next/core-web-vitals";
import nextTs from "eslint-config-next/typescript";

const config = [
  ...nextVitals,
  ...nextTs,
  {
    ignores: [".next/**", "node_modules/**", ".data/**", "server/generated/**", "next-env.d.ts", "test-results/**", "playwright-report/**", "e2e/.artifacts/**", ".scratch/**"],
  },
  {
    // lib/ is pure and isomorphic: no I/O, no framework, no server code.
    files: ["lib/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            { group: ["node:*", "next", "next/*", "react", "react-dom", "@prisma/*", "pg", "**/server/**", "**/components/**", "@/server/*", "@/components/*"], message: "lib/ stays pure: no I/O, framework or server imports." },
          ],
        },
      ],
    },
  },
];

export default config;
