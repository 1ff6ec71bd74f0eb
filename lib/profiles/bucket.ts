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
 * The buckets of a `size`-bucket random sample (size of BUCKETS = everyone). Each sample
 * contains the smaller ones. Buckets are a hash of the profile id, so any set of buckets is
 * a random sample of people; the order only decides how evenly a sample covers the bucket
 * range, which matters to bucket-range conditions ("the first 10 % as a holdout"):
 * samples follow the decimal van der Corput order (rank 0123 ↦ bucket 3210), so the first
 * 10, 100 or 1,000 buckets are evenly spaced (0, 1000, …, 9000; then 100, 1100, …) and
 * any range of buckets holds its share of every sample to within a few buckets. (A
 * scrambled order put 11–12 of 100 sampled buckets into a 10 % range, and the estimate of
 * a holdout segment 14 % too high.)
 */
export function sampleBuckets(size: number): number[] {
  const out: number[] = [];
  for (let rank = 0; rank < Math.min(size, BUCKETS); rank++) {
    let bucket = 0;
    for (let r = rank, scale = BUCKETS / 10; scale >= 1; r = Math.floor(r / 10), scale /= 10) bucket += (r % 10) * scale;
    out.push(bucket);
  }
  return out;
}
