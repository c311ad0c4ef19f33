/**
 * The scenarios of issue 8, and issue 20's uncompressed one. Durations are emulated ms; the emulator
 * runs `timeScale` times faster than the wall clock, while Lakeloop's poll intervals and Temporal
 * timers stay in real time — so compressed runs are detected after fewer polls than uncompressed ones
 * would need. The report shows both lengths.
 */
import { drawLogNormal, type LogNormalSpread } from './draws.js';

export interface Scenario {
  name: string;
  runs: number;
  /** Emulated duration of every run; with `spread`, the median of the drawn lengths. */
  durationMs: number;
  timeScale: number;
  /** concurrent: all started at once; back-to-back: started one after another (each start awaited). */
  launch: 'concurrent' | 'back-to-back';
  /**
   * Run lengths that vary as a real job's do: drawn (seeded) from a log-normal around `durationMs`,
   * the same lengths for every system. Absent: every run takes `durationMs`.
   */
  spread?: LogNormalSpread;
  /**
   * Earlier finished runs of the same job (lengths drawn from the same spread with the next seed) that
   * the workspace holds before the measured runs start, as a real workspace has history. Predictive
   * polling reads them with runs/list; the cold-start arm gets none.
   */
  historyRuns?: number;
  /**
   * The issue-20 arms, all at once in one invocation (each on its own emulator): Lakeloop webhook,
   * poll with prediction, poll without prediction, poll with prediction but no history (cold start),
   * and the peers. Uncompressed runs last minutes, so the arms overlap rather than add up.
   */
  predictionArms?: boolean;
}

export function scenarios(quick: boolean, timeScaleOverride?: number): Scenario[] {
  const list: Scenario[] = quick
    ? [
        { name: 'single-long', runs: 3, durationMs: 600_000, timeScale: 60, launch: 'concurrent' },
        { name: 'fan-out-100', runs: 100, durationMs: 60_000, timeScale: 10, launch: 'concurrent' },
        { name: 'instant', runs: 50, durationMs: 0, timeScale: 1, launch: 'back-to-back' },
      ]
    : [
        { name: 'single-long', runs: 20, durationMs: 600_000, timeScale: 10, launch: 'concurrent' },
        { name: 'fan-out-100', runs: 100, durationMs: 60_000, timeScale: 1, launch: 'concurrent' },
        { name: 'fan-out-1000', runs: 1_000, durationMs: 60_000, timeScale: 1, launch: 'concurrent' },
        { name: 'fan-out-10000', runs: 10_000, durationMs: 60_000, timeScale: 1, launch: 'concurrent' },
        { name: 'instant', runs: 500, durationMs: 0, timeScale: 1, launch: 'back-to-back' },
        UNCOMPRESSED,
      ];
  // --time-scale compresses the uncompressed scenario too (a quick check of its set-up); its rows
  // then show the timeScale they ran at.
  return timeScaleOverride ? list.map((s) => ({ ...s, timeScale: timeScaleOverride })) : list;
}

/**
 * Issue 20's honest measurement: 20 real ~10-minute runs (median 600 s, σ 0.18 of the log-length:
 * with seed 2020 they range from about 7 to 14 minutes, all within prefect-databricks' default
 * max_wait_seconds of 900), after 20 earlier runs of the same job. Not in --quick and not in CI: it
 * takes about 15 minutes of wall time.
 */
export const UNCOMPRESSED: Scenario = {
  name: 'single-long-uncompressed',
  runs: 20,
  durationMs: 600_000,
  timeScale: 1,
  launch: 'concurrent',
  spread: { medianMs: 600_000, sigma: 0.18, seed: 2020 },
  historyRuns: 20,
  predictionArms: true,
};

/** The emulated length of each measured run, in the order the emulator's rule hands them out. */
export function runLengths(scenario: Scenario): number[] | undefined {
  return scenario.spread ? drawLogNormal(scenario.spread, scenario.runs) : undefined;
}

/** The emulated lengths of the earlier runs imported before the measured window, oldest first. */
export function historyLengths(scenario: Scenario): number[] {
  if (!scenario.historyRuns) return [];
  const spread = scenario.spread ?? { medianMs: scenario.durationMs, sigma: 0, seed: 1 };
  return drawLogNormal({ ...spread, seed: spread.seed + 1 }, scenario.historyRuns);
}

/** The longest measured run in wall-clock ms (what a peer's time-out must allow for). */
export function longestRealRunMs(scenario: Scenario): number {
  return Math.max(scenario.durationMs, ...(runLengths(scenario) ?? [])) / scenario.timeScale;
}
