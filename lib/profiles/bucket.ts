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

/**
 * The buckets of a `size`-bucket random sample (size of BUCKETS = everyone). Samples follow
 * a fixed scrambled order of the buckets, not 0, 1, 2…: a bucket-range condition ("the
 * first 10 % as a holdout") must not line up with the sample, or the sample would say
 * "everyone matches". Each sample contains the smaller ones.
 */
export function sampleBuckets(size: number): number[] {
  const out: number[] = [];
  // 7,919 is prime and coprime to 10,000: rank ↦ rank × 7,919 mod 10,000 visits every bucket once.
  for (let rank = 0; rank < Math.min(size, BUCKETS); rank++) out.push((rank * 7_919) % BUCKETS);
  return out;
}
