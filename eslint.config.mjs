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
            { regex: "^\\.\\./", message: "Import through the @/ alias (siblings may stay ./)." },
          ],
        },
      ],
    },
  },
  {
    // The browser's side: from server/ only types (the tRPC router's type, a row's shape).
    files: ["components/**/*.{ts,tsx}"],
    rules: {
      "@typescript-eslint/no-restricted-imports": [
        "error",
        {
          patterns: [{ group: ["**/server/**", "@/server/*", "@/server/**"], allowTypeImports: true, message: "components/ may import only types from server/: call the server through tRPC or a route." }],
        },
      ],
    },
  },
  {
    // server/ serves app/ and components/, never the other way round; and has no import loops.
    files: ["server/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            { group: ["**/app/**", "**/components/**", "@/app/*", "@/app/**", "@/components/*", "@/components/**"], message: "server/ never imports from app/ or components/." },
            { regex: "^\\.\\./", message: "Import through the @/ alias (siblings may stay ./)." },
          ],
        },
      ],
      "import/no-cycle": ["error", { ignoreExternal: true }],
    },
  },
  {
    // Routers validate input and make one service call: no queries of their own.
    files: ["server/api/routers/**/*.ts"],
    rules: {
      "no-restricted-syntax": [
        "error",
        {
          selector: "MemberExpression[object.type='MemberExpression'][object.object.name='ctx'][object.property.name='db']",
          message: "Routers make one service call: move this query into the service (server/<domain>/).",
        },
      ],
    },
  },
];

export default config;
