"use client";

import { Filter } from "lucide-react";
import { useMemo, useState } from "react";
import { checkDraft, describeNode, emptyDraft, errorsByNode, insertAt, isUnfinished, moveWithin, removeAt, updateAt, withIds } from "@/lib/segments/editing";
import type { SegmentDefinition } from "@/lib/segments/schema";
import { useSegmentChoices } from "../conditions/suggestions";
import { GroupEditor, type EditorContext } from "../segments/node-editor";
import { Button } from "../ui/button";
import { Modal } from "../ui/modal";

/**
 * A branch case's condition (or a trigger's "who"), composed with the segment builder's own
 * editor in a dialog wide enough for it: the inspector shows what it says, the dialog edits a
 * copy, and only a complete condition is applied.
 */
export function ConditionField({
  label,
  value,
  onChange,
  error,
  readOnly,
}: {
  label: string;
  value: SegmentDefinition | undefined;
  onChange: (definition: SegmentDefinition | undefined) => void;
  error?: string;
  readOnly: boolean;
}) {
  const segments = useSegmentChoices();
  const [editing, setEditing] = useState(false);
  const segmentName = (id: string) => segments.find((s) => s.id === id)?.name ?? "a segment that no longer exists";
  const lines = value?.root.children.map((c) => describeNode(c, segmentName)) ?? [];
  return (
    <div>
      <p className="mb-1 text-sm font-medium text-slate-800">{label}</p>
      {lines.length > 0 ? (
        <ul className="mb-2 space-y-0.5 rounded-md bg-slate-50 px-2.5 py-1.5 text-xs text-slate-700" data-testid="condition-summary">
          {lines.map((line, i) => (
            <li key={i}>
              {i > 0 && <span className="mr-1 font-semibold text-slate-500 uppercase">{value!.root.op}</span>}
              {line}
            </li>
          ))}
        </ul>
      ) : (
        <p className="mb-2 text-xs text-slate-500">No condition yet.</p>
      )}
      {error && <p className="mb-2 text-xs font-medium text-red-600">{error}</p>}
      {!readOnly && (
        <Button variant="secondary" size="sm" onClick={() => setEditing(true)}>
          <Filter className="size-3.5" aria-hidden="true" /> {lines.length ? "Edit condition" : "Add a condition"}
        </Button>
      )}
      {editing && (
        <ConditionDialog
          title={label}
          initial={value ? withIds(value) : emptyDraft()}
          segments={segments}
          onCancel={() => setEditing(false)}
          onApply={(definition) => (onChange(definition.root.children.length ? definition : undefined), setEditing(false))}
        />
      )}
    </div>
  );
}

function ConditionDialog({
  title,
  initial,
  segments,
  onApply,
  onCancel,
}: {
  title: string;
  initial: SegmentDefinition;
  segments: { id: string; name: string }[];
  onApply: (definition: SegmentDefinition) => void;
  onCancel: () => void;
}) {
  const [draft, setDraft] = useState(initial);
  const [tried, setTried] = useState(false);
  const check = useMemo(() => checkDraft(draft), [draft]);
  const errors = useMemo(() => (check.ok ? new Map() : errorsByNode(tried ? check.errors : check.errors.filter((e) => !isUnfinished(e)))), [check, tried]);
  const ctx: EditorContext = {
    update: (path, node) => setDraft((d) => updateAt(d, path, () => node)),
    insert: (groupPath, node) => setDraft((d) => insertAt(d, groupPath, node)),
    remove: (path) => setDraft((d) => removeAt(d, path)),
    move: (path, to) => setDraft((d) => moveWithin(d, path, to)),
    errors,
    segments,
  };
  const apply = () => {
    setTried(true);
    if (check.ok) onApply(check.definition);
  };
  return (
    <Modal open onClose={onCancel} labelledBy="condition-dialog-title" width="max-w-3xl">
      <div className="max-h-[70vh] overflow-y-auto px-6 pt-5 pb-4">
        <h2 id="condition-dialog-title" className="text-base font-semibold text-slate-900">
          {title}
        </h2>
        <p className="mt-1 mb-4 text-sm text-slate-600">Decided on the person at the moment they reach this step — the same conditions as in segments.</p>
        <GroupEditor group={draft.root} path={[]} ctx={ctx} />
      </div>
      <div className="flex items-center justify-end gap-2 rounded-b-xl border-t border-slate-100 bg-slate-50 px-6 py-3">
        {tried && !check.ok && <p className="mr-auto text-sm text-red-600">Finish or remove the marked conditions first.</p>}
        <Button variant="secondary" onClick={onCancel}>
          Cancel
        </Button>
        <Button onClick={apply}>Apply</Button>
      </div>
    </Modal>
  );
}
