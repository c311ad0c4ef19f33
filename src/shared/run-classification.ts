/**
 * Deciding what a Databricks run's state means, from both the legacy `state` and the newer `status`
 * (the SDK waiters still read `state`; `status.termination_details` carries type and code).
 * Pure functions: used by the workflow, the activities and tests.
 */
import type { ValidRunInput } from './run-input.js';
import type { RunOutcome, RunSnapshot } from './run-types.js';

const TERMINAL_LIFE_CYCLE = new Set(['TERMINATED', 'SKIPPED', 'INTERNAL_ERROR']);

const OUTCOME_FROM_CODE: Record<string, RunOutcome> = {
  SUCCESS: 'SUCCESS',
  SUCCESS_WITH_FAILURES: 'SUCCESS_WITH_FAILURES',
  USER_CANCELED: 'CANCELED',
  CANCELED: 'CANCELED',
  SKIPPED: 'SKIPPED',
  DISABLED: 'DISABLED',
  INTERNAL_ERROR: 'INTERNAL_ERROR',
};

const KNOWN_OUTCOMES = new Set<string>([
  'SUCCESS',
  'SUCCESS_WITH_FAILURES',
  'FAILED',
  'TIMEDOUT',
  'CANCELED',
  'SKIPPED',
  'INTERNAL_ERROR',
  'UPSTREAM_FAILED',
  'UPSTREAM_CANCELED',
  'EXCLUDED',
  'DISABLED',
  'MAXIMUM_CONCURRENT_RUNS_REACHED',
]);

/**
 * Terminal when the life cycle says so (TERMINATED, SKIPPED, INTERNAL_ERROR — never polled further)
 * or, for runs whose `state` is missing, when `status.state` is TERMINATED.
 */
export function isTerminal(run: Pick<RunSnapshot, 'lifeCycleState' | 'statusState'>): boolean {
  if (run.lifeCycleState) return TERMINAL_LIFE_CYCLE.has(run.lifeCycleState);
  return run.statusState === 'TERMINATED';
}

export interface Classification {
  outcome: RunOutcome;
  succeeded: boolean;
  terminationType?: string;
  terminationCode?: string;
  message?: string;
}

export function classify(run: RunSnapshot): Classification {
  const base = {
    terminationType: run.terminationType,
    terminationCode: run.terminationCode,
    message: run.terminationMessage ?? run.stateMessage,
  };
  let outcome: RunOutcome;
  if (run.lifeCycleState === 'SKIPPED') outcome = 'SKIPPED';
  // INTERNAL_ERROR as a life-cycle state is a failure whatever result_state says (serverless reports
  // INTERNAL_ERROR + FAILED when a task fails).
  else if (run.lifeCycleState === 'INTERNAL_ERROR') outcome = 'INTERNAL_ERROR';
  else if (run.resultState && KNOWN_OUTCOMES.has(run.resultState)) outcome = run.resultState as RunOutcome;
  else if (run.terminationCode && OUTCOME_FROM_CODE[run.terminationCode])
    outcome = OUTCOME_FROM_CODE[run.terminationCode]!;
  else if (run.terminationType === 'SUCCESS') outcome = 'SUCCESS';
  else if (run.terminationType) outcome = 'FAILED';
  else outcome = 'UNKNOWN';
  return { outcome, succeeded: outcome === 'SUCCESS' || outcome === 'SUCCESS_WITH_FAILURES', ...base };
}

/** Whether the retry policy asks for another attempt after this (failed) classification. */
export function shouldRetry(
  c: Classification,
  policy: ValidRunInput['retry'],
  attemptsSoFar: number,
): boolean {
  if (c.succeeded || attemptsSoFar >= policy.maxAttempts) return false;
  // Cancellation is somebody's decision, never a reason to run again.
  if (c.outcome === 'CANCELED') return false;
  const type = c.terminationType ?? (c.outcome === 'INTERNAL_ERROR' ? 'INTERNAL_ERROR' : undefined);
  return (
    (type !== undefined && (policy.terminationTypes as string[]).includes(type)) ||
    (c.terminationCode !== undefined && policy.terminationCodes.includes(c.terminationCode))
  );
}

/** Task runs that failed and can be re-run by runs/repair (upstream-failed tasks re-run with them). */
export function failedTaskKeys(run: RunSnapshot): string[] {
  return run.tasks
    .filter(
      (t) =>
        t.resultState !== undefined &&
        !['SUCCESS', 'SUCCESS_WITH_FAILURES', 'EXCLUDED'].includes(t.resultState),
    )
    .map((t) => t.taskKey);
}
