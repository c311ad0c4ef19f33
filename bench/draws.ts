/**
 * Reproducible run lengths for the bench: batch-job durations are right-skewed, so they are drawn from
 * a log-normal (the same family predictive polling fits, src/activities/poll-schedule.ts) around a
 * median, with a seeded generator so every invocation — and every system in one invocation — gets the
 * same lengths. Pure: test/bench/draws.test.ts checks it without a server.
 */
import { createRandom } from '../emulator/random.js';

/**
 * Uniform draws in [0, 1) from `seed`: the emulator's seeded generator (mulberry32,
 * emulator/random.ts), so the bench and the emulator's fault probabilities share one implementation.
 */
export function seededUniform(seed: number): () => number {
  return createRandom(seed);
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
