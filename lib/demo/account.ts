/** Demo mode only (embedded database): the README documents these; prisma/seed.ts creates them. */
export const DEMO_EMAIL = "demo@junction.local";
export const DEMO_PASSWORD = "junction-demo";
export const DEMO_WORKSPACE = "Acme Fitness (demo)";
export const DEMO_WRITE_KEY = "demo-write-key";
export const DEMO_SECRET_KEY = "demo-secret-key";
