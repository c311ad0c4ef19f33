/**
 * The chaos test's plan, derived from one seed and nothing else: the workload (each databricksRun's
 * input, the emulator scenario rules that decide its Databricks outcome, and the result it must
 * reach), the faults injected into the emulator, and the timeline of worker kills, dev-server
 * restarts and 429 bursts. Pure and deterministic, so `CHAOS_SEED=<n>` replays a failing plan.
 */
import { createRandom, type RandomSource } from '../../emulator/random.js';
import type { HttpFaultInput, WebhookFaultInput } from '../../emulator/control/fault-registry.js';
import type { ScenarioRuleInput } from '../../emulator/tasks/scenario-rules.js';
import type { RunInput } from '../../src/shared/run-input.js';
import type { AttemptRecord, RunOutcome } from '../../src/shared/run-types.js';

export interface ChaosProfile {
  name: 'full' | 'ci';
  workflows: number;
  /** Workflows start at seeded moments within this window (real ms from the start). */
  startWindowMs: number;
  /** Kills, restarts and bursts happen at seeded moments within this window. */
  chaosWindowMs: number;
  workerKills: number;
  serverRestarts: number;
  bursts429: number;
  /** Moments when every OAuth token issued so far is revoked (401 → fresh token). */
  tokenRevocations: number;
  /** After the chaos window, every workflow must be closed within this time, or it counts as stuck. */
  settleTimeoutMs: number;
}

export const PROFILES: Record<ChaosProfile['name'], ChaosProfile> = {
  full: {
    name: 'full',
    workflows: 200,
    startWindowMs: 60_000,
    chaosWindowMs: 100_000,
    workerKills: 6,
    serverRestarts: 2,
    bursts429: 4,
    tokenRevocations: 2,
    settleTimeoutMs: 5 * 60_000,
  },
  ci: {
    name: 'ci',
    workflows: 40,
    startWindowMs: 15_000,
    chaosWindowMs: 35_000,
    workerKills: 2,
    serverRestarts: 1,
    bursts429: 2,
    tokenRevocations: 1,
    settleTimeoutMs: 3 * 60_000,
  },
};

/** Emulated time runs this much faster: a 10-minute Databricks run takes 20 s. */
export const TIME_SCALE = 30;
/** OAuth tokens live this many wall-clock seconds: the worker refreshes every couple of seconds. */
export const TOKEN_TTL_SECONDS = 4;
/** Webhook mode's safety-net poll: how long a lost notification can delay a workflow. */
export const SAFETY_NET_INTERVAL = '15s';

export type CaseKind =
  | 'success'
  | 'user-failure'
  | 'resubmit-recovers'
  | 'repair-recovers'
  | 'retries-exhausted'
  | 'databricks-timeout'
  | 'internal-error';

export type WaitMode = 'webhook' | 'poll' | 'heartbeat';

export interface Expected {
  succeeded: boolean;
  outcome: RunOutcome;
  /** The kind of each Databricks attempt, in order: its length is the number of attempts. */
  attempts: Array<AttemptRecord['kind']>;
  /** Databricks runs this workflow must create (runs/submit, not repairs). */
  runsCreated: number;
  repairs: number;
}

export interface ChaosCase {
  index: number;
  workflowId: string;
  kind: CaseKind;
  mode: WaitMode;
  /** Emulated duration of each task. */
  taskDurationMs: number;
  /** Real ms after the start of the test at which the workflow is started. */
  startAtMs: number;
  input: RunInput;
  rules: ScenarioRuleInput[];
  expected: Expected;
}

const KIND_WEIGHTS: Array<[CaseKind, number]> = [
  ['success', 40],
  ['user-failure', 14],
  ['resubmit-recovers', 14],
  ['repair-recovers', 12],
  ['retries-exhausted', 8],
  ['databricks-timeout', 6],
  ['internal-error', 6],
];
const MODE_WEIGHTS: Array<[WaitMode, number]> = [
  ['webhook', 50],
  ['poll', 35],
  ['heartbeat', 15],
];
/** Emulated task durations: instant to ten minutes (0 to 20 s of real time at TIME_SCALE). */
const DURATION_WEIGHTS: Array<[number, number]> = [
  [0, 15],
  [5_000, 20],
  [30_000, 25],
  [120_000, 25],
  [600_000, 15],
];

function pick<T>(random: RandomSource, weighted: Array<[T, number]>): T {
  const total = weighted.reduce((sum, [, w]) => sum + w, 0);
  let r = random() * total;
  for (const [value, weight] of weighted) {
    r -= weight;
    if (r < 0) return value;
  }
  return weighted[weighted.length - 1]![0];
}

function between(random: RandomSource, low: number, high: number): number {
  return Math.floor(low + random() * (high - low));
}

function waitFor(mode: WaitMode): RunInput['wait'] {
  switch (mode) {
    case 'webhook':
      return { mode: 'webhook', safetyNetInterval: SAFETY_NET_INTERVAL };
    case 'poll':
      return { mode: 'poll', pollInterval: '1s', maxPollInterval: '5s' };
    case 'heartbeat':
      return { mode: 'heartbeat', heartbeatPollInterval: '1s' };
  }
}

const notebook = (key: string, extra: Record<string, unknown> = {}) => ({
  task_key: key,
  notebook_task: { notebook_path: `/Workspace/chaos/${key}` },
  ...extra,
});

/** Input, scenario rules and expected result of one workflow: the whole truth comes from here. */
function buildCase(
  index: number,
  kind: CaseKind,
  mode: WaitMode,
  durationMs: number,
  startAtMs: number,
  prefix: string,
): ChaosCase {
  const workflowId = `${prefix}-${String(index).padStart(3, '0')}-${kind}`;
  // The run name ties a Databricks run to this workflow's scenario rules (and to nothing else).
  const runName = workflowId;
  const base = { run_name: runName, tasks: [notebook('main')] };
  const wait = waitFor(mode);
  const only = (rule: Omit<ScenarioRuleInput, 'match'>): ScenarioRuleInput[] => [
    { match: { runName }, durationMs, ...rule },
  ];
  const common = { index, workflowId, kind, mode, taskDurationMs: durationMs, startAtMs };
  switch (kind) {
    case 'success':
      return {
        ...common,
        input: { submit: base, wait, label: kind },
        rules: only({ output: { index } }),
        expected: { succeeded: true, outcome: 'SUCCESS', attempts: ['submit'], runsCreated: 1, repairs: 0 },
      };
    case 'user-failure':
      // A user-code failure (CLIENT_ERROR) is not retried, even with attempts to spare.
      return {
        ...common,
        input: { submit: base, wait, retry: { maxAttempts: 3 }, label: kind },
        rules: only({ result: 'FAILED', terminationCode: 'RUN_EXECUTION_ERROR', error: 'ValueError: chaos' }),
        expected: { succeeded: false, outcome: 'FAILED', attempts: ['submit'], runsCreated: 1, repairs: 0 },
      };
    case 'resubmit-recovers':
      return {
        ...common,
        input: { submit: base, wait, retry: { maxAttempts: 3, strategy: 'resubmit' }, label: kind },
        rules: only({ failTimes: 1, terminationCode: 'CLOUD_FAILURE' }),
        expected: {
          succeeded: true,
          outcome: 'SUCCESS',
          attempts: ['submit', 'submit'],
          runsCreated: 2,
          repairs: 0,
        },
      };
    case 'repair-recovers':
      // Two tasks; the second fails once with a platform error: one repair re-runs only that task.
      return {
        ...common,
        input: {
          submit: {
            run_name: runName,
            tasks: [notebook('prepare'), notebook('train', { depends_on: [{ task_key: 'prepare' }] })],
          },
          wait,
          retry: { maxAttempts: 2, strategy: 'repair' },
          label: kind,
        },
        rules: [
          { match: { runName }, durationMs },
          { match: { runName, taskKey: 'train' }, durationMs, failTimes: 1, terminationCode: 'DRIVER_ERROR' },
        ],
        expected: {
          succeeded: true,
          outcome: 'SUCCESS',
          attempts: ['submit', 'repair'],
          runsCreated: 1,
          repairs: 1,
        },
      };
    case 'retries-exhausted':
      return {
        ...common,
        input: { submit: base, wait, retry: { maxAttempts: 2, strategy: 'resubmit' }, label: kind },
        rules: only({ result: 'FAILED', terminationCode: 'CLOUD_FAILURE' }),
        expected: {
          succeeded: false,
          outcome: 'FAILED',
          attempts: ['submit', 'submit'],
          runsCreated: 2,
          repairs: 0,
        },
      };
    case 'databricks-timeout':
      // Databricks' own run timeout (one emulated minute) stops a ten-minute task: TIMEDOUT, not retried.
      return {
        ...common,
        taskDurationMs: 600_000,
        input: { submit: { ...base, timeout_seconds: 60 }, wait, retry: { maxAttempts: 2 }, label: kind },
        rules: [{ match: { runName }, durationMs: 600_000 }],
        expected: { succeeded: false, outcome: 'TIMEDOUT', attempts: ['submit'], runsCreated: 1, repairs: 0 },
      };
    case 'internal-error':
      // INTERNAL_ERROR as a life-cycle state is terminal; with the default policy (one attempt) it fails.
      return {
        ...common,
        input: { submit: base, wait, label: kind },
        rules: only({ lifeCycleState: 'INTERNAL_ERROR', terminationCode: 'INTERNAL_ERROR' }),
        expected: {
          succeeded: false,
          outcome: 'INTERNAL_ERROR',
          attempts: ['submit'],
          runsCreated: 1,
          repairs: 0,
        },
      };
  }
}

export function planWorkload(seed: number, profile: ChaosProfile, prefix: string): ChaosCase[] {
  const random = createRandom(seed);
  const cases: ChaosCase[] = [];
  for (let i = 0; i < profile.workflows; i++) {
    const kind = pick(random, KIND_WEIGHTS);
    const mode = pick(random, MODE_WEIGHTS);
    const duration = pick(random, DURATION_WEIGHTS);
    const startAtMs = Math.floor(random() * profile.startWindowMs);
    cases.push(buildCase(i, kind, mode, duration, startAtMs, prefix));
  }
  return cases.sort((a, b) => a.startAtMs - b.startAtMs);
}

/** A fault as added to the emulator, with the label the report prints. */
export interface PlannedFault {
  label: string;
  fault: HttpFaultInput | WebhookFaultInput;
}

/**
 * Faults installed at the start and left to run out (each has a count, so the tally is exact: a fault
 * that is gone from the emulator's list fired exactly `count` times). The emulator applies the first
 * matching fault whose draw succeeds, so the duplicate probability is conditional on "not dropped":
 * 0.25 of the remaining 80 % is 20 % of all deliveries.
 */
export function planStandingFaults(profile: ChaosProfile): PlannedFault[] {
  const n = profile.workflows;
  return [
    { label: 'webhook dropped (20 %)', fault: { webhook: 'drop', probability: 0.2 } },
    { label: 'webhook duplicated (20 %)', fault: { webhook: 'duplicate', probability: 0.25 } },
    { label: 'webhook delayed 3 s (6 %)', fault: { webhook: 'delay', delayMs: 3_000, probability: 0.1 } },
    {
      label: 'runs/submit response lost (processed, socket dropped)',
      fault: {
        method: 'POST',
        path: '/jobs/runs/submit',
        dropResponse: true,
        probability: 0.15,
        count: Math.ceil(n / 10),
      },
    },
    {
      label: 'runs/submit 500',
      fault: {
        method: 'POST',
        path: '/jobs/runs/submit',
        status: 500,
        probability: 0.1,
        count: Math.ceil(n / 10),
      },
    },
    {
      label: 'runs/repair response lost',
      fault: { method: 'POST', path: '/jobs/runs/repair', dropResponse: true, probability: 0.3, count: 4 },
    },
    {
      label: 'runs/get 503',
      fault: { method: 'GET', path: '/jobs/runs/get', status: 503, probability: 0.03, count: n },
    },
    {
      label: 'runs/get latency 1.5 s',
      fault: { method: 'GET', path: '/jobs/runs/get', latencyMs: 1_500, probability: 0.05, count: n },
    },
    {
      label: 'runs/get-output 502',
      fault: {
        method: 'GET',
        path: '/jobs/runs/get-output',
        status: 502,
        probability: 0.05,
        count: Math.ceil(n / 10),
      },
    },
    {
      label: 'OAuth token endpoint 503',
      fault: { method: 'POST', path: '/oidc/v1/token', status: 503, probability: 0.05, count: 10 },
    },
  ];
}

/** One 429 burst: every runs/get and runs/submit is throttled until the counts run out. */
export function burst429(n: number): PlannedFault[] {
  return [
    {
      label: '429 burst on runs/get (Retry-After 1 s)',
      fault: {
        method: 'GET',
        path: '/jobs/runs/get',
        status: 429,
        retryAfterSeconds: 1,
        count: Math.max(20, n / 4),
      },
    },
    {
      label: '429 burst on runs/submit (Retry-After 2 s)',
      fault: { method: 'POST', path: '/jobs/runs/submit', status: 429, retryAfterSeconds: 2, count: 10 },
    },
  ];
}

export type ChaosEvent =
  | { atMs: number; type: 'kill-worker'; downMs: number }
  | { atMs: number; type: 'restart-server'; hard: boolean }
  | { atMs: number; type: 'burst-429' }
  | { atMs: number; type: 'revoke-tokens' };

/**
 * Kills, restarts and bursts at seeded moments, at least `MIN_GAP_MS` apart so the worker is back
 * and polling (and has work in flight) before the next blow. Server restarts alternate graceful
 * (SIGTERM) and hard (SIGKILL).
 */
const MIN_GAP_MS = 6_000;

export function planEvents(seed: number, profile: ChaosProfile): ChaosEvent[] {
  const random = createRandom(seed ^ 0x5eed);
  const kinds: Array<ChaosEvent['type']> = [
    ...Array<ChaosEvent['type']>(profile.workerKills).fill('kill-worker'),
    ...Array<ChaosEvent['type']>(profile.serverRestarts).fill('restart-server'),
    ...Array<ChaosEvent['type']>(profile.bursts429).fill('burst-429'),
    ...Array<ChaosEvent['type']>(profile.tokenRevocations).fill('revoke-tokens'),
  ];
  // Shuffle, then give each a slot: evenly spaced slots jittered within themselves keep the gaps.
  for (let i = kinds.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [kinds[i], kinds[j]] = [kinds[j]!, kinds[i]!];
  }
  const first = 4_000;
  const slot = (profile.chaosWindowMs - first) / kinds.length;
  let restarts = 0;
  return kinds.map((type, i) => {
    const atMs = Math.floor(first + i * slot + random() * Math.max(0, slot - MIN_GAP_MS));
    switch (type) {
      case 'kill-worker':
        return { atMs, type, downMs: between(random, 500, 4_000) };
      case 'restart-server':
        return { atMs, type, hard: restarts++ % 2 === 1 };
      case 'burst-429':
        return { atMs, type };
      case 'revoke-tokens':
        return { atMs, type };
    }
  });
}
