/**
 * 95 % interval for the number of matches in a population of `population` people, from
 * `matched` matches in a simple random sample (without replacement) of `sample` of them:
 * the Wilson score interval for the share, with the finite-population correction applied
 * as an effective sample size (n·(N−1)/(N−n), so the interval still contains the sample's
 * share and starts at 0 when nothing matched), scaled to the population, and clamped to
 * what the sample makes certain (the matches it saw are in; the non-matches it saw are out).
 */
export function interval(matched: number, sample: number, population: number, z = 1.96): { low: number; high: number } {
  if (sample <= 0) return { low: 0, high: population };
  if (sample >= population) return { low: matched, high: matched };
  const p = matched / sample;
  const n = (sample * (population - 1)) / (population - sample);
  const denom = 1 + (z * z) / n;
  const centre = (p + (z * z) / (2 * n)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / denom;
  const low = Math.max(matched, Math.floor(Math.max(0, centre - half) * population));
  const high = Math.min(population - (sample - matched), Math.ceil(Math.min(1, centre + half) * population));
  return { low, high };
}
