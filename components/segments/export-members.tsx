"use client";

import { Download, X } from "lucide-react";
import { useRef, useState } from "react";
import { toast } from "sonner";
import type { SegmentDefinition } from "@/lib/segments/schema";
import { formatCount } from "@/lib/format";
import { Button } from "../ui/button";

type Phase = { kind: "idle" } | { kind: "running"; rows: number } | { kind: "done"; rows: number };

/**
 * "Export members (CSV)": every person the definition matches, as a file. The server
 * streams it from one snapshot (server/segments/members.ts); here the rows are counted as
 * they arrive, against the expected count, and the file is saved when complete.
 */
export function ExportMembers({ definition, name, expected }: { definition: SegmentDefinition; name: string; expected?: number }) {
  const [phase, setPhase] = useState<Phase>({ kind: "idle" });
  const abort = useRef<AbortController | null>(null);

  async function run() {
    const controller = new AbortController();
    abort.current = controller;
    setPhase({ kind: "running", rows: 0 });
    try {
      const res = await fetch("/api/segments/export", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ definition, name: name.trim() || "segment" }),
        signal: controller.signal,
      });
      if (!res.ok || !res.body) {
        const body = (await res.json().catch(() => null)) as { error?: string } | null;
        throw new Error(body?.error ?? `The export failed (HTTP ${res.status}).`);
      }
      const reader = res.body.getReader();
      // Handed to a Blob every few megabytes: the browser keeps blob data outside the page
      // (on disk when large), so a million rows never sit in this page's memory.
      let file = new Blob([], { type: "text/csv" });
      let parts: Uint8Array[] = [];
      let pending = 0;
      let lines = 0;
      let shown = 0;
      let previous = 0;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        parts.push(value);
        pending += value.byteLength;
        if (pending >= 8 * 1024 * 1024) {
          file = new Blob([file, ...(parts as BlobPart[])], { type: "text/csv" });
          parts = [];
          pending = 0;
        }
        // Rows end with CRLF; a line break inside a quoted field is a bare LF. The first row is the header.
        for (let i = 0; i < value.length; i++) {
          if (value[i] === 0x0a && (i > 0 ? value[i - 1] : previous) === 0x0d) lines++;
        }
        previous = value[value.length - 1] ?? previous;
        if (lines - shown >= 1_000) {
          shown = lines;
          setPhase({ kind: "running", rows: Math.max(0, lines - 1) });
        }
      }
      const rows = Math.max(0, lines - 1);
      const url = URL.createObjectURL(new Blob([file, ...(parts as BlobPart[])], { type: "text/csv" }));
      const link = document.createElement("a");
      link.href = url;
      link.download = /filename="([^"]+)"/.exec(res.headers.get("content-disposition") ?? "")?.[1] ?? "members.csv";
      link.click();
      setTimeout(() => URL.revokeObjectURL(url), 30_000);
      setPhase({ kind: "done", rows });
    } catch (error) {
      setPhase({ kind: "idle" });
      if (!controller.signal.aborted) toast.error(error instanceof Error ? error.message : "The export failed.");
    } finally {
      abort.current = null;
    }
  }

  if (phase.kind === "running") {
    const share = expected ? Math.min(100, (100 * phase.rows) / Math.max(1, expected)) : undefined;
    return (
      <div className="mt-3 text-xs text-slate-600" data-testid="export-progress" aria-live="polite">
        <div className="flex items-center justify-between gap-2">
          <span>
            Exporting… {formatCount(phase.rows)}
            {expected !== undefined ? ` of ${formatCount(expected)}` : ""} people
          </span>
          <Button variant="ghost" size="sm" aria-label="Cancel the export" onClick={() => abort.current?.abort()}>
            <X className="size-3.5" aria-hidden="true" /> Cancel
          </Button>
        </div>
        {share !== undefined && (
          <div className="mt-1.5 h-1 overflow-hidden rounded-full bg-slate-100" role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(share)}>
            <div className="h-full rounded-full bg-brand-500 transition-[width]" style={{ width: `${share}%` }} />
          </div>
        )}
      </div>
    );
  }
  return (
    <div className="mt-3 flex items-center justify-between gap-2 text-xs text-slate-500">
      <span data-testid="export-result">{phase.kind === "done" ? `Exported ${formatCount(phase.rows)} ${phase.rows === 1 ? "person" : "people"}.` : ""}</span>
      <Button variant="secondary" size="sm" onClick={() => void run()}>
        <Download className="size-3.5" aria-hidden="true" /> Export members (CSV)
      </Button>
    </div>
  );
}
