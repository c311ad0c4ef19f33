/**
 * Reproducible run lengths for the bench: batch-job durations are right-skewed, so they are drawn from
 * a log-normal (the same family predictive polling fits, src/activities/poll-schedule.ts) around a
 * median, with a seeded generator so every invocation — and every system in one invocation — gets the
 * same lengths. Pure: test/bench/draws.test.ts checks it without a server.
 */

/** mulberry32: a small 32-bit generator; uniform in [0, 1). Good enough for drawing bench inputs. */
export function seededUniform(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal draws (Box–Muller) from a uniform generator. */
export function seededNormal(uniform: () => number): () => number {
  return () => {
    // 1 − u is in (0, 1], so the logarithm is finite.
    const u = 1 - uniform();
    const v = uniform();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
}

export interface LogNormalSpread {
  /** The median run length (ms): exp(mu). */
  medianMs: number;
  /** The standard deviation of the logarithm of the length. */
  sigma: number;
  seed: number;
}

/** `count` lengths (whole ms) drawn from the log-normal, in draw order. */
export function drawLogNormal(spread: LogNormalSpread, count: number): number[] {
  const normal = seededNormal(seededUniform(spread.seed));
  return Array.from({ length: count }, () => Math.round(spread.medianMs * Math.exp(spread.sigma * normal())));
}
