/**
 * The predictive poll schedule on simulated runs: durations drawn (seeded) from a log-normal spread
 * around 10 minutes, each run polled from its start until a look finds it ended, by the prediction
 * (from 25 earlier runs of the same distribution) and by the back-off poll mode uses without history
 * (5 s growing by 1.5 up to 60 s: RunInput's pollInterval and maxPollInterval defaults and the
 * poller's retry coefficient), and by a fixed 10-second poll like a peer's wait-for-completion loop. Counts and
 * simulated delays only; nothing here reads a clock.
 */
import { describe, expect, test } from '@jest/globals';
import {
  fitDurations,
  inverseNormal,
  MIN_SAMPLES,
  normalCdf,
  planNextPoll,
  probabilityDoneBy,
  quantileOf,
} from '../../src/activities/poll-schedule.js';
import { createRandom } from '../../emulator/random.js';

/** A log-normal draw from a seeded generator (Box–Muller). */
function logNormal(next: () => number, medianMs: number, sigma: number): number {
  const z = Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
  return medianMs * Math.exp(sigma * z);
}

const MIN = 1_000;
const MAX = 600_000;

/** Looks (runs/get calls) and detection delay of one run polled by `nextDelay` from its start. */
function pollOneRun(durationMs: number, nextDelay: (elapsed: number, attempt: number) => number) {
  let at = 0; // the first look is right after submission
  let looks = 0;
  for (let attempt = 1; ; attempt++) {
    looks++;
    if (at >= durationMs) return { looks, delayMs: at - durationMs };
    at += nextDelay(at, attempt);
  }
}

const backOff = (_elapsed: number, attempt: number) => Math.min(60_000, 5_000 * 1.5 ** (attempt - 1));

const everyTenSeconds = () => 10_000;

interface Tally {
  looksPerRun: number;
  medianDelayMs: number;
}

function simulate(sigma: number, runs = 400): { predicted: Tally; backOff: Tally; fixed: Tally } {
  const next = createRandom(42 + Math.round(sigma * 1000));
  const history = Array.from({ length: 25 }, () => logNormal(next, 600_000, sigma));
  const predict = (elapsed: number) => {
    const plan = planNextPoll({
      elapsedMs: elapsed,
      pastDurationsMs: history,
      minDelayMs: MIN,
      maxDelayMs: MAX,
    });
    if (!plan) throw new Error('no plan with 25 samples');
    return plan.delayMs;
  };
  const schedules = { predicted: predict, backOff, fixed: everyTenSeconds };
  const looks = { predicted: 0, backOff: 0, fixed: 0 };
  const delays = { predicted: [] as number[], backOff: [] as number[], fixed: [] as number[] };
  for (let i = 0; i < runs; i++) {
    const duration = logNormal(next, 600_000, sigma);
    for (const name of ['predicted', 'backOff', 'fixed'] as const) {
      const outcome = pollOneRun(duration, schedules[name]);
      looks[name] += outcome.looks;
      delays[name].push(outcome.delayMs);
    }
  }
  const tally = (name: keyof typeof looks): Tally => ({
    looksPerRun: looks[name] / runs,
    medianDelayMs: [...delays[name]].sort((a, b) => a - b)[Math.floor(runs / 2)]!,
  });
  return { predicted: tally('predicted'), backOff: tally('backOff'), fixed: tally('fixed') };
}

describe('normal distribution helpers', () => {
  test('Φ and Φ⁻¹ match tabulated values and invert each other', () => {
    expect(inverseNormal(0.975)).toBeCloseTo(1.959964, 5);
    expect(inverseNormal(0.05)).toBeCloseTo(-1.644854, 5);
    expect(inverseNormal(0.001)).toBeCloseTo(-3.090232, 5);
    expect(normalCdf(1.96)).toBeCloseTo(0.975, 5);
    for (const p of [0.01, 0.2, 0.5, 0.77, 0.999]) expect(normalCdf(inverseNormal(p))).toBeCloseTo(p, 6);
    expect(() => inverseNormal(1)).toThrow(RangeError);
  });

  test('the fit recovers the median and spread of log-normal durations', () => {
    const next = createRandom(7);
    const model = fitDurations(Array.from({ length: 2000 }, () => logNormal(next, 600_000, 0.2)))!;
    expect(quantileOf(model, 0.5) / 600_000).toBeGreaterThan(0.98);
    expect(quantileOf(model, 0.5) / 600_000).toBeLessThan(1.02);
    expect(model.sigma).toBeCloseTo(0.2, 1);
    expect(probabilityDoneBy(model, quantileOf(model, 0.9))).toBeCloseTo(0.9, 6);
  });
});

describe('planNextPoll', () => {
  const history = [540_000, 570_000, 600_000, 610_000, 640_000, 660_000];

  test(`no plan below ${MIN_SAMPLES} usable earlier runs (the back-off applies)`, () => {
    expect(
      planNextPoll({
        elapsedMs: 0,
        pastDurationsMs: [600_000, 610_000, 0, NaN, -5],
        minDelayMs: MIN,
        maxDelayMs: MAX,
      }),
    ).toBeUndefined();
    expect(
      planNextPoll({ elapsedMs: 0, pastDurationsMs: [], minDelayMs: MIN, maxDelayMs: MAX }),
    ).toBeUndefined();
  });

  test('far from the likely end it waits most of the way there, never beyond the bound', () => {
    const plan = planNextPoll({
      elapsedMs: 5_000,
      pastDurationsMs: history,
      minDelayMs: MIN,
      maxDelayMs: MAX,
    })!;
    expect(plan.phase).toBe('before');
    expect(plan.delayMs).toBeGreaterThan(0.5 * (plan.lowMs - 5_000));
    expect(plan.delayMs).toBeLessThan(plan.lowMs - 5_000);
    const bounded = planNextPoll({
      elapsedMs: 5_000,
      pastDurationsMs: history,
      minDelayMs: MIN,
      maxDelayMs: 60_000,
    })!;
    expect(bounded.delayMs).toBe(60_000);
  });

  test('looks are densest around the median and back off once the run is overdue', () => {
    const at = (elapsedMs: number) =>
      planNextPoll({ elapsedMs, pastDurationsMs: history, minDelayMs: MIN, maxDelayMs: MAX })!;
    const median = at(0).expectedMs;
    const nearMedian = at(median);
    const nearEdge = at(at(0).lowMs + 1);
    expect(nearMedian.phase).toBe('likely');
    expect(nearMedian.delayMs).toBeLessThan(nearEdge.delayMs);
    const overdue = at(at(0).highMs + 60_000);
    const moreOverdue = at(at(0).highMs + 600_000);
    expect(overdue.phase).toBe('overdue');
    expect(moreOverdue.delayMs).toBeGreaterThan(overdue.delayMs);
    expect(at(at(0).highMs + 100 * 3_600_000).delayMs).toBe(MAX);
  });

  test('from the likely window on, the input’s maxPollInterval bounds the wait; before it, only the bound', () => {
    const plan = (elapsedMs: number) =>
      planNextPoll({
        elapsedMs,
        pastDurationsMs: history,
        minDelayMs: MIN,
        maxDelayMs: MAX,
        lateMaxDelayMs: 30_000,
      })!;
    expect(plan(5_000)).toMatchObject({ phase: 'before' });
    expect(plan(5_000).delayMs).toBeGreaterThan(30_000);
    const overdue = plan(plan(0).highMs + 3_600_000);
    expect(overdue).toMatchObject({ phase: 'overdue', delayMs: 30_000 });
  });

  test.each([0.05, 0.1, 0.2, 0.4])(
    'simulated 10-minute runs (σ = %s): ends seen sooner than with the back-off, at a third of a 10 s poll’s looks',
    (sigma) => {
      const { predicted, backOff, fixed } = simulate(sigma);
      expect(predicted.medianDelayMs).toBeLessThan(backOff.medianDelayMs);
      expect(predicted.looksPerRun).toBeLessThan(backOff.looksPerRun * 1.25);
      expect(predicted.looksPerRun).toBeLessThanOrEqual(fixed.looksPerRun / 3);
      // Where the job's duration is predictable, the end is seen as soon as a 10 s poll sees it.
      if (sigma <= 0.1) expect(predicted.medianDelayMs).toBeLessThanOrEqual(fixed.medianDelayMs);
    },
  );
});
