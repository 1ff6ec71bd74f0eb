import { describe, expect, it } from "vitest";
import { startupAddresses, trustedOrigins } from "./origins";

describe("trusted sign-in origins", () => {
  it("accepts every loopback name on the app's port in demo mode", () => {
    const origins = trustedOrigins({ appUrl: "http://127.0.0.1:3400", port: 3400, demo: true });
    expect(origins).toEqual(expect.arrayContaining(["http://127.0.0.1:3400", "http://localhost:3400", "http://[::1]:3400"]));
    expect(origins.every((o) => o.endsWith(":3400"))).toBe(true);
  });

  it("accepts the port of APP_URL and the one the server listens on", () => {
    const origins = trustedOrigins({ appUrl: "http://localhost:8080", port: 3000, demo: true });
    expect(origins).toContain("http://localhost:8080");
    expect(origins).toContain("http://127.0.0.1:3000");
  });

  it("accepts only APP_URL with a database of your own", () => {
    expect(trustedOrigins({ appUrl: "https://junction.example.com/", port: 3000, demo: false })).toEqual(["https://junction.example.com"]);
  });

  it("tells people both loopback addresses in demo mode, APP_URL first", () => {
    expect(startupAddresses({ appUrl: "http://localhost:3000", port: 3000, demo: true })).toEqual(["http://localhost:3000", "http://127.0.0.1:3000"]);
    expect(startupAddresses({ appUrl: "http://127.0.0.1:3400", port: 3400, demo: true })).toEqual(["http://127.0.0.1:3400", "http://localhost:3400"]);
    expect(startupAddresses({ appUrl: "https://junction.example.com", port: 3000, demo: false })).toEqual(["https://junction.example.com"]);
  });
});
