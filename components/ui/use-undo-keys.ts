"use client";

import { useEffect } from "react";
import { redo, undo, type History } from "@/lib/undo";

/**
 * Ctrl/⌘+Z undoes and Ctrl/⌘+Shift+Z or Ctrl/⌘+Y redoes a page's history (lib/undo.ts), from
 * anywhere on the page, also inside its text fields — except while a dialog is open (the
 * dialog's fields keep their own undo).
 */
export function useUndoKeys<T>(setHistory: (update: (h: History<T>) => History<T>) => void) {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (!(e.ctrlKey || e.metaKey) || e.altKey || document.querySelector("dialog[open]")) return;
      const key = e.key.toLowerCase();
      if (key === "z" && !e.shiftKey) {
        e.preventDefault();
        setHistory(undo);
      } else if ((key === "z" && e.shiftKey) || key === "y") {
        e.preventDefault();
        setHistory(redo);
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [setHistory]);
}
