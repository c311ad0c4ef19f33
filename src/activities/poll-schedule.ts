/**
 * Predictive polling: when to look at a run next, from how long this job's earlier runs took.
 *
 * A fixed back-off either looks too often early (a 10-minute run polled every 5–60 s) or too late at the
 * end (the run ended just after a 60 s look). Past durations of the same job say when the end is
 * likely: look rarely while the run is far from it, at the quantiles of the expected duration while
 * it is likely (so looks are densest where ends are most likely), and back off once it is later than
 * almost every earlier run. Durations of batch jobs are right-skewed, so they are modelled as
 * log-normal (the mean and spread of their logarithms).
 *
 * Pure: the poll activity computes it from a runs/get it just made and runs/list answers, so workflow
 * code keeps no clock and its history stays the same length however the run is polled.
 */

/** Fewer earlier runs than this say too little: the retry policy's back-off applies instead. */
export const MIN_SAMPLES = 5;
/** Looks between the 5th and the 95th percentile of the expected duration. */
export const WINDOW_LOOKS = 20;
const LOW_QUANTILE = 0.05;
const HIGH_QUANTILE = 0.95;
/** Before the likely window, wait this share of the time left until it (fewer looks far from the end). */
const FAR_SHARE = 0.75;
/** Bounds on the spread of log-durations: identical runs still get a window; wild ones stay usable. */
const MIN_SIGMA = 0.02;
const MAX_SIGMA = 2;

export interface PollPlanInput {
  /** How long the run has been going (now − its start_time). */
  elapsedMs: number;
  /** Durations of earlier successful runs of the same job (end_time − start_time). */
  pastDurationsMs: number[];
  /** Never look sooner than this after the last look. */
  minDelayMs: number;
  /** Never wait longer than this between looks (bounds how late an early failure is seen). */
  maxDelayMs: number;
  /**
   * From the likely window on, never wait longer than this either: the input's maxPollInterval, so a
   * run later than its history is looked at no less often than the back-off alone would.
   */
  lateMaxDelayMs?: number;
}

export interface PollPlan {
  delayMs: number;
  phase: 'before' | 'likely' | 'overdue';
  /** The median of the expected duration, and the window of likely ends (5th–95th percentile). */
  expectedMs: number;
  lowMs: number;
  highMs: number;
  samples: number;
}

export interface DurationModel {
  mu: number;
  sigma: number;
  samples: number;
}

/** The log-normal fit of earlier durations, or undefined with fewer than MIN_SAMPLES usable ones. */
export function fitDurations(durationsMs: number[]): DurationModel | undefined {
  const logs = durationsMs.filter((d) => Number.isFinite(d) && d > 0).map(Math.log);
  if (logs.length < MIN_SAMPLES) return undefined;
  const mu = logs.reduce((a, b) => a + b, 0) / logs.length;
  const variance = logs.reduce((a, b) => a + (b - mu) ** 2, 0) / (logs.length - 1);
  return { mu, sigma: Math.min(MAX_SIGMA, Math.max(MIN_SIGMA, Math.sqrt(variance))), samples: logs.length };
}

export function quantileOf(model: DurationModel, p: number): number {
  return Math.exp(model.mu + model.sigma * inverseNormal(p));
}

export function probabilityDoneBy(model: DurationModel, ms: number): number {
  return ms <= 0 ? 0 : normalCdf((Math.log(ms) - model.mu) / model.sigma);
}

/** The next look, or undefined when earlier runs are too few to predict from. */
export function planNextPoll(input: PollPlanInput): PollPlan | undefined {
  const model = fitDurations(input.pastDurationsMs);
  if (!model) return undefined;
  const low = quantileOf(model, LOW_QUANTILE);
  const high = quantileOf(model, HIGH_QUANTILE);
  const step = (HIGH_QUANTILE - LOW_QUANTILE) / WINDOW_LOOKS;
  /** The next quantile-spaced look after `at`, within the window. */
  const nextInWindow = (at: number) =>
    quantileOf(model, Math.min(HIGH_QUANTILE, probabilityDoneBy(model, at) + step)) - at;
  const e = Math.max(0, input.elapsedMs);
  let phase: PollPlan['phase'];
  let delay: number;
  if (e < low) {
    phase = 'before';
    const left = low - e;
    // Close to the window: go straight to its start rather than creeping up on it.
    delay = left <= 2 * nextInWindow(low) ? left : FAR_SHARE * left;
  } else if (e < high) {
    phase = 'likely';
    delay = nextInWindow(e);
  } else {
    phase = 'overdue';
    // Later than 95% of earlier runs: back off in proportion to how overdue it is.
    const lastStep = high - quantileOf(model, HIGH_QUANTILE - step);
    delay = lastStep + (e - high) / 2;
  }
  const ceiling =
    phase === 'before' ? input.maxDelayMs : Math.min(input.maxDelayMs, input.lateMaxDelayMs ?? Infinity);
  return {
    delayMs: Math.round(Math.min(ceiling, Math.max(input.minDelayMs, delay))),
    phase,
    expectedMs: Math.round(quantileOf(model, 0.5)),
    lowMs: Math.round(low),
    highMs: Math.round(high),
    samples: model.samples,
  };
}

/** Φ(x), the standard normal CDF (Abramowitz–Stegun 7.1.26 for erf; |error| < 1.5e-7). */
export function normalCdf(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const poly =
    t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erf = 1 - poly * Math.exp(-z * z);
  return x >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}

/** Φ⁻¹(p) for 0 < p < 1 (Acklam's rational approximation; relative error < 1.2e-9). */
export function inverseNormal(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`inverseNormal: p must be in (0, 1), got ${p}`);
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716,
    2.506628277459239,
  ];
  const b = [
    -54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572,
  ];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const tail = 0.02425;
  if (p < tail) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (
      (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) /
      ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1)
    );
  }
  if (p > 1 - tail) return -inverseNormal(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) /
    (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1)
  );
}
