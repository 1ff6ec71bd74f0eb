"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { FileUp, X } from "lucide-react";
import Papa from "papaparse";
import { useRef, useState } from "react";
import { chunkRows, MAX_IMPORT_ROWS, guessMapping, toImportRow, type ColumnMapping, type ImportRow } from "@/lib/profiles/csv-import";
import { errorMessage, useTRPC } from "../trpc/client";
import { Button } from "../ui/button";
import { Card, CardBody, CardHeader } from "../ui/card";
import { Field, Select } from "../ui/field";

interface Parsed {
  fileName: string;
  columns: string[];
  records: Record<string, string>[];
}

type Phase =
  | { kind: "idle" }
  | { kind: "ready"; parsed: Parsed; mapping: ColumnMapping }
  | { kind: "importing"; done: number; total: number }
  | { kind: "finished"; imported: number; failed: { line: number; error: string }[]; cancelled: boolean };

function parseFile(file: File): Promise<Parsed> {
  return new Promise((resolve, reject) => {
    Papa.parse<Record<string, string>>(file, {
      header: true,
      skipEmptyLines: "greedy",
      complete: (result) => resolve({ fileName: file.name, columns: result.meta.fields ?? [], records: result.data }),
      error: (error) => reject(error),
    });
  });
}

function errorReport(failed: { line: number; error: string }[]): string {
  return Papa.unparse({ fields: ["line", "error"], data: failed.map((f) => [f.line, f.error]) });
}

export function CsvImport({ onClose }: { onClose: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [phase, setPhase] = useState<Phase>({ kind: "idle" });
  const [problem, setProblem] = useState<string | null>(null);
  const cancelled = useRef(false);
  const importRows = useMutation(trpc.profiles.importRows.mutationOptions());

  async function onFile(file: File | undefined) {
    setProblem(null);
    if (!file) return;
    try {
      const parsed = await parseFile(file);
      if (parsed.records.length === 0) return setProblem("The file has no rows below its header.");
      if (parsed.records.length > MAX_IMPORT_ROWS) return setProblem(`The file has ${parsed.records.length} rows; import at most ${MAX_IMPORT_ROWS} at a time.`);
      const mapping = guessMapping(parsed.columns);
      if (!mapping) return setProblem(`No id column found. Name one column “id” or “user_id”. Columns: ${parsed.columns.join(", ")}`);
      setPhase({ kind: "ready", parsed, mapping });
    } catch {
      setProblem("This file could not be read as CSV.");
    }
  }

  async function run(parsed: Parsed, mapping: ColumnMapping) {
    cancelled.current = false;
    const importId = crypto.randomUUID();
    const failed: { line: number; error: string }[] = [];
    const valid: ImportRow[] = [];
    parsed.records.forEach((record, i) => {
      const result = toImportRow(record, mapping, i + 2); // line 1 is the header
      if (result.ok) valid.push(result.row);
      else failed.push({ line: result.line, error: result.error });
    });
    const total = parsed.records.length;
    let done = failed.length;
    let imported = 0;
    setPhase({ kind: "importing", done, total });
    for (const chunk of chunkRows(valid)) {
      if (cancelled.current) break;
      try {
        const result = await importRows.mutateAsync({ importId, fileName: parsed.fileName, rows: chunk });
        imported += result.imported;
        failed.push(...result.failed);
      } catch (error) {
        failed.push(...chunk.map((row) => ({ line: row.line, error: errorMessage(error) })));
      }
      done += chunk.length;
      setPhase({ kind: "importing", done, total });
    }
    failed.sort((a, b) => a.line - b.line);
    setPhase({ kind: "finished", imported, failed, cancelled: cancelled.current });
    await queryClient.invalidateQueries({ queryKey: trpc.profiles.pathKey() });
  }

  return (
    <Card className="mb-6">
      <CardHeader
        title="Import profiles from CSV"
        description="One row per person: an id column (id or user_id), optionally email; every other column becomes a trait."
        actions={
          <Button variant="ghost" size="sm" aria-label="Close import" onClick={onClose} disabled={phase.kind === "importing"}>
            <X className="size-4" aria-hidden="true" />
          </Button>
        }
      />
      <CardBody className="space-y-4">
        {(phase.kind === "idle" || phase.kind === "ready") && (
          <label className="flex cursor-pointer items-center gap-3 rounded-lg border border-dashed border-slate-300 bg-slate-50 px-4 py-3 text-sm text-slate-600 hover:border-brand-500">
            <FileUp className="size-5 text-brand-600" aria-hidden="true" />
            <span>{phase.kind === "ready" ? `${phase.parsed.fileName} — choose another file` : "Choose a .csv file"}</span>
            <input type="file" accept=".csv,text/csv" aria-label="CSV file" className="sr-only" onChange={(e) => onFile(e.target.files?.[0])} />
          </label>
        )}
        {problem && (
          <p role="alert" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-700">{problem}</p>
        )}
        {phase.kind === "ready" && (
          <div className="space-y-4">
            <p className="text-sm text-slate-700">
              <strong>{phase.parsed.records.length}</strong> rows, {phase.parsed.columns.length} columns. Traits:{" "}
              {phase.parsed.columns.filter((c) => c !== phase.mapping.idColumn && c !== phase.mapping.emailColumn).join(", ") || "none"}.
            </p>
            <div className="flex flex-wrap gap-3">
              <Field label="Id column" className="w-56">
                {(p) => (
                  <Select {...p} value={phase.mapping.idColumn} onChange={(e) => setPhase({ ...phase, mapping: { ...phase.mapping, idColumn: e.target.value } })}>
                    {phase.parsed.columns.map((c) => <option key={c} value={c}>{c}</option>)}
                  </Select>
                )}
              </Field>
              <Field label="Email column" className="w-56">
                {(p) => (
                  <Select
                    {...p}
                    value={phase.mapping.emailColumn ?? ""}
                    onChange={(e) => setPhase({ ...phase, mapping: { ...phase.mapping, emailColumn: e.target.value || null } })}
                  >
                    <option value="">None</option>
                    {phase.parsed.columns.map((c) => <option key={c} value={c}>{c}</option>)}
                  </Select>
                )}
              </Field>
            </div>
            <Button onClick={() => run(phase.parsed, phase.mapping)}>Import {phase.parsed.records.length} profiles</Button>
          </div>
        )}
        {phase.kind === "importing" && (
          <div className="space-y-2">
            <div className="flex justify-between text-sm text-slate-600">
              <span>Importing…</span>
              <span>
                {phase.done} of {phase.total} rows
              </span>
            </div>
            <div
              role="progressbar"
              aria-label="Import progress"
              aria-valuemin={0}
              aria-valuemax={phase.total}
              aria-valuenow={phase.done}
              className="h-2 overflow-hidden rounded-full bg-slate-100"
            >
              <div className="h-full bg-brand-600 transition-all" style={{ width: `${(phase.done / phase.total) * 100}%` }} />
            </div>
            <Button variant="secondary" size="sm" onClick={() => (cancelled.current = true)}>
              Stop after this chunk
            </Button>
          </div>
        )}
        {phase.kind === "finished" && (
          <div className="space-y-3" data-testid="import-report">
            <p className="text-sm text-slate-800" role="status">
              {phase.cancelled ? "Import stopped. " : "Import finished. "}
              <strong>{phase.imported}</strong> profiles imported
              {phase.failed.length > 0 ? (
                <>
                  , <strong className="text-red-700">{phase.failed.length}</strong> {phase.failed.length === 1 ? "row" : "rows"} failed.
                </>
              ) : (
                ", no errors."
              )}
            </p>
            {phase.failed.length > 0 && (
              <>
                <table className="w-full max-w-2xl text-left text-sm">
                  <thead className="text-xs text-slate-500">
                    <tr>
                      <th scope="col" className="py-1.5 pr-4 font-medium">Line</th>
                      <th scope="col" className="py-1.5 font-medium">Problem</th>
                    </tr>
                  </thead>
                  <tbody className="divide-y divide-slate-100">
                    {phase.failed.slice(0, 50).map((f) => (
                      <tr key={f.line}>
                        <td className="py-1.5 pr-4 font-mono text-xs">{f.line}</td>
                        <td className="py-1.5 text-red-700">{f.error}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
                <a
                  className="inline-block text-sm font-medium text-brand-600 hover:text-brand-700"
                  download="import-errors.csv"
                  href={`data:text/csv;charset=utf-8,${encodeURIComponent(errorReport(phase.failed))}`}
                >
                  Download the error report (CSV)
                </a>
              </>
            )}
            <div>
              <Button variant="secondary" size="sm" onClick={() => setPhase({ kind: "idle" })}>
                Import another file
              </Button>
            </div>
          </div>
        )}
      </CardBody>
    </Card>
  );
}
