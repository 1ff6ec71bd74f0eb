/**
 * Sets of profiles for exact counts, combined in memory: each set is a sorted list of
 * profile numbers (`profiles.seq`), held either as the members (`negated: false`) or as
 * everyone else in the workspace (`negated: true`) — whichever list is shorter — so a
 * condition most people match ("not opened the app in 7 days") costs as little as one few
 * people match. Combining never needs the list of everyone: A ∩ ¬B = A \ B,
 * ¬A ∩ ¬B = ¬(A ∪ B), and so on.
 *
 * Pure: no I/O. Inputs must be sorted ascending without duplicates (`fromUnsorted` makes them so).
 */

export interface SeqSet {
  seqs: Int32Array;
  negated: boolean;
}

export const EMPTY: SeqSet = { seqs: new Int32Array(0), negated: false };
export const EVERYONE: SeqSet = { seqs: new Int32Array(0), negated: true };

/** A sorted, duplicate-free copy of `values`. */
export function fromUnsorted(values: ArrayLike<number>): Int32Array {
  const sorted = Int32Array.from(values).sort();
  let n = 0;
  for (let i = 0; i < sorted.length; i++) if (i === 0 || sorted[i] !== sorted[n - 1]) sorted[n++] = sorted[i]!;
  return sorted.subarray(0, n);
}

export function intersect(a: Int32Array, b: Int32Array): Int32Array {
  const out = new Int32Array(Math.min(a.length, b.length));
  let i = 0, j = 0, n = 0;
  while (i < a.length && j < b.length) {
    const x = a[i]!, y = b[j]!;
    if (x === y) {
      out[n++] = x;
      i++;
      j++;
    } else if (x < y) i++;
    else j++;
  }
  return out.subarray(0, n);
}

export function union(a: Int32Array, b: Int32Array): Int32Array {
  const out = new Int32Array(a.length + b.length);
  let i = 0, j = 0, n = 0;
  while (i < a.length && j < b.length) {
    const x = a[i]!, y = b[j]!;
    if (x === y) {
      out[n++] = x;
      i++;
      j++;
    } else if (x < y) out[n++] = a[i++]!;
    else out[n++] = b[j++]!;
  }
  while (i < a.length) out[n++] = a[i++]!;
  while (j < b.length) out[n++] = b[j++]!;
  return out.subarray(0, n);
}

/** `a` without the members of `b`. */
export function difference(a: Int32Array, b: Int32Array): Int32Array {
  const out = new Int32Array(a.length);
  let i = 0, j = 0, n = 0;
  while (i < a.length) {
    const x = a[i]!;
    while (j < b.length && b[j]! < x) j++;
    if (j >= b.length || b[j] !== x) out[n++] = x;
    i++;
  }
  return out.subarray(0, n);
}

export function not(set: SeqSet): SeqSet {
  return { seqs: set.seqs, negated: !set.negated };
}

function and2(a: SeqSet, b: SeqSet): SeqSet {
  if (!a.negated && !b.negated) return { seqs: intersect(a.seqs, b.seqs), negated: false };
  if (!a.negated) return { seqs: difference(a.seqs, b.seqs), negated: false };
  if (!b.negated) return { seqs: difference(b.seqs, a.seqs), negated: false };
  return { seqs: union(a.seqs, b.seqs), negated: true };
}

/** Everyone in all of `sets` (everyone, for none). */
export function and(sets: SeqSet[]): SeqSet {
  // Smallest plain sets first: each step is then bounded by the smallest list so far.
  const ordered = [...sets].sort((x, y) => Number(x.negated) - Number(y.negated) || x.seqs.length - y.seqs.length);
  return ordered.reduce(and2, EVERYONE);
}

/** Everyone in any of `sets` (no one, for none): ¬(¬A ∩ ¬B …). */
export function or(sets: SeqSet[]): SeqSet {
  return not(and(sets.map(not)));
}

/** How many people the set holds, in a workspace of `total` people. */
export function size(set: SeqSet, total: number): number {
  return set.negated ? total - set.seqs.length : set.seqs.length;
}

/**
 * The int4 array Postgres' `array_send` writes (binary format, big-endian): ndim, has-null
 * flag, element type, then per dimension its length and lower bound, then per element its
 * byte length (4) and value. Returned sorted, without duplicates (sorted here only if it was not sent so).
 */
export function parseInt4ArraySend(bytes: Uint8Array): Int32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const ndim = view.getInt32(0);
  if (ndim === 0) return new Int32Array(0);
  if (ndim !== 1) throw new Error(`expected a one-dimensional array, got ${ndim} dimensions`);
  if (view.getInt32(4) !== 0) throw new Error("the array holds NULLs");
  const length = view.getInt32(12);
  const out = new Int32Array(length);
  let offset = 20;
  let sorted = true;
  for (let i = 0; i < length; i++, offset += 8) {
    if (view.getInt32(offset) !== 4) throw new Error("expected int4 elements");
    const value = view.getInt32(offset + 4);
    if (i > 0 && value <= out[i - 1]!) sorted = false;
    out[i] = value;
  }
  // Sent sorted (ORDER BY), so usually nothing to do here.
  return sorted ? out : fromUnsorted(out);
}
