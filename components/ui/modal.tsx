"use client";

import { useEffect, useRef, type ReactNode } from "react";
import { cn } from "./cn";

/**
 * A modal on the native <dialog>: focus is trapped, Escape (and the backdrop's cancel) calls
 * `onClose`, and focus returns where it was. Shown while `open`; the content brings its own
 * heading, whose id goes in `labelledBy`. `width`: the panel's max-width class.
 */
export function Modal({ open, onClose, labelledBy, width = "max-w-md", children }: { open: boolean; onClose: () => void; labelledBy: string; width?: string; children: ReactNode }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }, [open]);
  return (
    <dialog
      ref={ref}
      onCancel={(e) => {
        e.preventDefault();
        onClose();
      }}
      aria-labelledby={labelledBy}
      className={cn("m-auto w-full rounded-xl border border-slate-200 bg-white p-0 shadow-xl backdrop:bg-slate-900/30", width)}
    >
      {children}
    </dialog>
  );
}
