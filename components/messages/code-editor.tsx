"use client";

import { html } from "@codemirror/lang-html";
import { liquid } from "@codemirror/lang-liquid";
import { lintGutter, setDiagnostics, type Diagnostic } from "@codemirror/lint";
import { EditorView } from "@codemirror/view";
import CodeMirror, { type ReactCodeMirrorRef } from "@uiw/react-codemirror";
import { useEffect, useMemo, useRef } from "react";
import type { TemplateError } from "@/lib/messages/render";

/** Variables every template has, offered as completions (`person.` completes the workspace's trait keys). */
const VARIABLES = [
  { label: "person", type: "variable", info: "The person: traits and built-in fields" },
  { label: "event", type: "variable", info: "The event that triggered the send: name, properties, timestamp" },
  { label: "journey", type: "variable", info: "The journey sending it" },
  { label: "unsubscribe_url", type: "variable", info: "Leaves this message's subscription group" },
  { label: "preferences_url", type: "variable", info: "The person's preference page" },
];

const theme = EditorView.theme({
  "&": { fontSize: "13px", backgroundColor: "white" },
  ".cm-content": { fontFamily: "ui-monospace, SFMono-Regular, Menlo, monospace" },
  ".cm-gutters": { backgroundColor: "#f8fafc", borderRight: "1px solid #e2e8f0", color: "#94a3b8" },
  "&.cm-focused": { outline: "none" },
});

/**
 * A Liquid code editor (over HTML for an email body): highlighting, completion of the
 * template's variables, and the render errors marked where they are (line and column).
 */
export function CodeEditor({
  value,
  onChange,
  label,
  htmlBase = false,
  errors = [],
  traitKeys = [],
  minHeight = "12rem",
  readOnly = false,
}: {
  value: string;
  onChange: (value: string) => void;
  label: string;
  htmlBase?: boolean;
  errors?: TemplateError[];
  traitKeys?: string[];
  minHeight?: string;
  readOnly?: boolean;
}) {
  const ref = useRef<ReactCodeMirrorRef>(null);
  const extensions = useMemo(
    () => [
      liquid({
        base: htmlBase ? html() : undefined,
        variables: VARIABLES,
        properties: (path) =>
          path.length === 1 && path[0] === "person"
            ? [...new Set([...traitKeys, "user_id", "email", "phone", "timezone", "locale", "country", "first_seen_at", "last_seen_at"])].map((label) => ({ label, type: "property" }))
            : path.length === 1 && path[0] === "event"
              ? ["name", "properties", "timestamp"].map((label) => ({ label, type: "property" }))
              : [],
      }),
      lintGutter(),
      EditorView.lineWrapping,
      EditorView.contentAttributes.of({ "aria-label": label }),
      theme,
    ],
    [htmlBase, label, traitKeys],
  );

  // Errors come from the server's render; mark them in the text they point at.
  useEffect(() => {
    const view = ref.current?.view;
    if (!view) return;
    const doc = view.state.doc;
    const diagnostics: Diagnostic[] = errors.map((e) => {
      if (!e.line || e.line > doc.lines) return { from: 0, to: Math.min(doc.length, 1), severity: "error", message: e.message };
      const line = doc.line(e.line);
      const from = Math.min(line.from + Math.max(0, (e.column ?? 1) - 1), line.to);
      // Up to the end of the word or tag the error points at.
      const rest = doc.sliceString(from, line.to);
      const length = Math.max(1, /^[^\s}%]*/.exec(rest)?.[0].length ?? 1);
      return { from, to: Math.min(from + length, line.to), severity: "error", message: e.message };
    });
    view.dispatch(setDiagnostics(view.state, diagnostics));
  }, [errors, value]);

  return (
    <div className="overflow-hidden rounded-md ring-1 ring-slate-300 ring-inset focus-within:ring-2 focus-within:ring-brand-500">
      <CodeMirror
        ref={ref}
        value={value}
        onChange={onChange}
        extensions={extensions}
        readOnly={readOnly}
        minHeight={minHeight}
        maxHeight="36rem"
        basicSetup={{ foldGutter: false, highlightActiveLine: false, highlightActiveLineGutter: false, searchKeymap: true }}
      />
    </div>
  );
}
