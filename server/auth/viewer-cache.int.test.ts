import { afterEach, describe, expect, it, vi } from "vitest";
import { useTestDatabase } from "@/server/test/database";
import { createWorkspaceWith, viewerFor } from "@/server/test/fixtures";
import { changeRole, removeMember, updateWorkspace } from "@/server/workspaces/service";
import { cachedViewer, forgetViewers, rememberViewer, VIEWER_TTL_MS, viewerGeneration } from "./viewer-cache";

describe("remembered viewers", () => {
  const t = useTestDatabase();
  afterEach(() => {
    forgetViewers();
    vi.useRealTimers();
  });

  it("are remembered for a few seconds only", () => {
    vi.useFakeTimers();
    const viewer = viewerFor({ id: "u", name: "U", email: "u@example.com" }, { id: "w", name: "W" }, "viewer");
    rememberViewer("session=a", viewer, viewerGeneration());
    expect(cachedViewer("session=a")).toBe(viewer);
    expect(cachedViewer("session=b")).toBeUndefined();
    vi.advanceTimersByTime(VIEWER_TTL_MS + 1);
    expect(cachedViewer("session=a")).toBeUndefined();
  });

  it("a lookup that started before they were forgotten is not remembered", () => {
    const viewer = viewerFor({ id: "u", name: "U", email: "u@example.com" }, { id: "w", name: "W" }, "admin");
    const generation = viewerGeneration(); // the lookup starts…
    forgetViewers(); // …someone signs out or changes a role meanwhile…
    rememberViewer("session=a", viewer, generation); // …and what it read is not kept
    expect(cachedViewer("session=a")).toBeUndefined();
  });

  it("are forgotten as soon as a role changes, a member is removed or the workspace is renamed", async () => {
    const { workspace, admin, members } = await createWorkspaceWith(t.db, ["marketer", "viewer"]);
    const actor = { userId: admin.id, label: admin.email };
    const [marketer, viewer] = members.map((m) => m.user);
    const changes = [
      () => changeRole(t.db, { workspaceId: workspace.id, actor, userId: marketer!.id, role: "viewer" }),
      () => removeMember(t.db, { workspaceId: workspace.id, actor, userId: viewer!.id }),
      () => updateWorkspace(t.db, { workspaceId: workspace.id, actor, name: "Renamed", defaultTimezone: "UTC" }),
    ];
    for (const change of changes) {
      rememberViewer("session=m", viewerFor(marketer!, workspace, "marketer"), viewerGeneration());
      await change();
      expect(cachedViewer("session=m")).toBeUndefined();
    }
  });
});
