/**
 * Randomness for fault probabilities. With a seed the sequence is reproducible (mulberry32), so a
 * test that injects "30 % of requests fail" sees the same failures on every run.
 */
export type RandomSource = () => number;

export function createRandom(seed?: number): RandomSource {
  if (seed === undefined) return Math.random;
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
