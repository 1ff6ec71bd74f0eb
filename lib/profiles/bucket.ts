/** Number of buckets: a profile's bucket is in [0, BUCKETS). */
export const BUCKETS = 10_000;

/**
 * Stable bucket of a profile id (FNV-1a, 32 bit): the same id always lands in the same
 * bucket, on every machine and in every version. Used for holdouts, rollouts and sampling.
 */
export function bucketOf(id: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    hash ^= id.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % BUCKETS;
}
