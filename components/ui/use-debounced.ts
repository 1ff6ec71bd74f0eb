"use client";

import { useLayoutEffect, useState } from "react";

/**
 * `value`, but only after it stopped changing for `ms` milliseconds. The timer starts as
 * soon as the change is committed (a layout effect), not after the browser has painted,
 * which on a busy machine comes tens of milliseconds later.
 */
export function useDebounced<T>(value: T, ms = 300): T {
  const [debounced, setDebounced] = useState(value);
  useLayoutEffect(() => {
    const timer = setTimeout(() => setDebounced(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return debounced;
}
