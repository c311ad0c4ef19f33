/**
 * Deciding what a Databricks run's state means. Pure functions, used by the activities (which read
 * the response and record their reading in the snapshot), the workflow and tests.
 *
 * Databricks deprecated `state` (RunState: life_cycle_state, result_state) in favour of `status`
 * (RunStatus: state, termination_details {code, type, message}); both are sent, and older or
 * compatible servers may send only `state`. So `status` decides where it is present and known, and
 * `state` fills in: the life cycle where `status.state` is absent or unknown, and the finer result
 * (TIMEDOUT vs CANCELED, UPSTREAM_FAILED…) within the family the termination code names — the code
 * CANCELED covers both a platform cancel and an exceeded timeout (databricks-sdk-go
 * service/jobs/model.go, TerminationCodeCode: "CANCELED: The run was canceled during execution by the
 * Databricks platform; for example, if the maximum run duration was exceeded").
 * Unknown values never crash: an unknown life cycle is "still running" (the activity logs a warning),
 * an unknown result state is a failure that names it.
 */
import type { ValidRunInput } from './run-input.js';
import type { RunOutcome, RunSnapshot, TaskSnapshot } from './run-types.js';

/** status.state values (databricks-sdk-go RunLifecycleStateV2State). */
const STATUS_STATES = new Set([
  'BLOCKED',
  'PENDING',
  'QUEUED',
  'RUNNING',
  'TERMINATED',
  'TERMINATING',
  'WAITING',
]);
/** state.life_cycle_state values (RunLifeCycleState) of a run still going. */
export const ACTIVE_LIFE_CYCLE_STATES = [
  'QUEUED',
  'PENDING',
  'RUNNING',
  'TERMINATING',
  'BLOCKED',
  'WAITING_FOR_RETRY',
] as const;
const TERMINAL_LIFE_CYCLE = new Set(['TERMINATED', 'SKIPPED', 'INTERNAL_ERROR']);
/** Every state.life_cycle_state value (RunLifeCycleState). */
const LIFE_CYCLE_STATES = new Set<string>([...ACTIVE_LIFE_CYCLE_STATES, ...TERMINAL_LIFE_CYCLE]);

/** Every classified end of a run (RunResultState, plus SKIPPED and INTERNAL_ERROR life cycles). */
export const RUN_OUTCOMES = [
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
] as const;
const KNOWN_OUTCOMES = new Set<string>(RUN_OUTCOMES);

export interface Classification {
  outcome: RunOutcome;
  succeeded: boolean;
  terminationType?: string;
  terminationCode?: string;
  message?: string;
}

/** Whether Lakeloop knows the state values this snapshot reports (an unknown one deserves a warning). */
export function unknownStateOf(run: Pick<RunSnapshot, 'lifeCycleState' | 'statusState'>): string | undefined {
  if (run.statusState !== undefined && !STATUS_STATES.has(run.statusState))
    return `status.state ${run.statusState}`;
  if (
    run.statusState === undefined &&
    run.lifeCycleState !== undefined &&
    !LIFE_CYCLE_STATES.has(run.lifeCycleState)
  )
    return `state.life_cycle_state ${run.lifeCycleState}`;
  if (run.statusState === undefined && run.lifeCycleState === undefined) return 'no state at all';
  return undefined;
}

/**
 * Terminal by `status.state` TERMINATED when `status` is there and known, else by the life cycle
 * (TERMINATED, SKIPPED, INTERNAL_ERROR — never polled further). Anything unknown is still running:
 * polling on is recoverable, deciding a run ended when it did not is not.
 */
export function isTerminalState(run: Pick<RunSnapshot, 'lifeCycleState' | 'statusState'>): boolean {
  if (run.statusState !== undefined && STATUS_STATES.has(run.statusState))
    return run.statusState === 'TERMINATED';
  return run.lifeCycleState !== undefined && TERMINAL_LIFE_CYCLE.has(run.lifeCycleState);
}

/** The termination code's family, refined by result_state where the code is coarse. */
function outcomeFromCode(
  code: string,
  result: string | undefined,
  lifeCycle: string | undefined,
): RunOutcome | undefined {
  const resultIs = (...states: string[]) => result !== undefined && states.includes(result);
  switch (code) {
    case 'SUCCESS':
      return 'SUCCESS';
    case 'SUCCESS_WITH_FAILURES':
      return 'SUCCESS_WITH_FAILURES';
    case 'USER_CANCELED':
      return 'CANCELED';
    case 'CANCELED':
      return resultIs('TIMEDOUT') ? 'TIMEDOUT' : 'CANCELED';
    case 'SKIPPED':
      // A run that never ran is SKIPPED; a task not run names why (EXCLUDED, UPSTREAM_FAILED…).
      return lifeCycle !== 'SKIPPED' && resultIs('EXCLUDED', 'UPSTREAM_FAILED', 'UPSTREAM_CANCELED')
        ? (result as RunOutcome)
        : 'SKIPPED';
    case 'DISABLED':
      return 'DISABLED';
    case 'MAX_CONCURRENT_RUNS_EXCEEDED':
    case 'MAX_JOB_QUEUE_SIZE_EXCEEDED':
      return 'MAXIMUM_CONCURRENT_RUNS_REACHED';
    case 'INTERNAL_ERROR':
      return 'INTERNAL_ERROR';
    case 'DRIVER_ERROR':
    case 'CLUSTER_ERROR':
    case 'REPOSITORY_CHECKOUT_FAILED':
    case 'INVALID_CLUSTER_REQUEST':
    case 'WORKSPACE_RUN_LIMIT_EXCEEDED':
    case 'FEATURE_DISABLED':
    case 'CLUSTER_REQUEST_LIMIT_EXCEEDED':
    case 'STORAGE_ACCESS_ERROR':
    case 'RUN_EXECUTION_ERROR':
    case 'UNAUTHORIZED_ERROR':
    case 'LIBRARY_INSTALLATION_ERROR':
    case 'MAX_SPARK_CONTEXTS_EXCEEDED':
    case 'RESOURCE_NOT_FOUND':
    case 'INVALID_RUN_CONFIGURATION':
    case 'CLOUD_FAILURE':
    case 'BREAKING_CHANGE':
    case 'CLUSTER_TERMINATED_BY_USER':
    case 'BUDGET_POLICY_LIMIT_EXCEEDED':
      // A failure; the result state may say which kind (a timeout, an upstream failure).
      return resultIs('FAILED', 'TIMEDOUT', 'UPSTREAM_FAILED', 'UPSTREAM_CANCELED', 'INTERNAL_ERROR')
        ? (result as RunOutcome)
        : 'FAILED';
    default:
      return undefined; // a code added after this was written: let the other fields decide
  }
}

/** The end of a terminal run, from `status` first and `state` second. */
export function classifyRun(run: RunSnapshot): Classification {
  const base = {
    terminationType: run.terminationType,
    terminationCode: run.terminationCode,
    message: run.terminationMessage ?? run.stateMessage,
  };
  const result = run.resultState;
  let outcome =
    run.terminationCode !== undefined
      ? outcomeFromCode(run.terminationCode, result, run.lifeCycleState)
      : undefined;
  if (outcome === undefined) {
    if (result !== undefined && KNOWN_OUTCOMES.has(result)) outcome = result as RunOutcome;
    else if (run.lifeCycleState === 'SKIPPED') outcome = 'SKIPPED';
    else if (run.lifeCycleState === 'INTERNAL_ERROR') outcome = 'INTERNAL_ERROR';
    else if (result !== undefined) {
      return {
        ...base,
        outcome: 'UNKNOWN',
        succeeded: false,
        message:
          `Databricks reported result state ${result}, which this version of Lakeloop does not know; ` +
          `treated as a failure${base.message ? ` (${base.message})` : ''}`,
      };
    } else if (run.terminationType === 'SUCCESS') outcome = 'SUCCESS';
    else if (run.terminationType !== undefined) outcome = 'FAILED';
    else outcome = 'UNKNOWN';
  }
  return { ...base, outcome, succeeded: outcome === 'SUCCESS' || outcome === 'SUCCESS_WITH_FAILURES' };
}

/**
 * The rules before `status` was preferred, kept only to replay histories recorded with them: their
 * snapshots carry no `terminal`/`verdict`, and the workflow must decide as it did then.
 */
const LEGACY_OUTCOME_FROM_CODE: Record<string, RunOutcome> = {
  SUCCESS: 'SUCCESS',
  SUCCESS_WITH_FAILURES: 'SUCCESS_WITH_FAILURES',
  USER_CANCELED: 'CANCELED',
  CANCELED: 'CANCELED',
  SKIPPED: 'SKIPPED',
  DISABLED: 'DISABLED',
  INTERNAL_ERROR: 'INTERNAL_ERROR',
};

function legacyIsTerminal(run: Pick<RunSnapshot, 'lifeCycleState' | 'statusState'>): boolean {
  if (run.lifeCycleState) return TERMINAL_LIFE_CYCLE.has(run.lifeCycleState);
  return run.statusState === 'TERMINATED';
}

function legacyClassify(run: RunSnapshot): Classification {
  const base = {
    terminationType: run.terminationType,
    terminationCode: run.terminationCode,
    message: run.terminationMessage ?? run.stateMessage,
  };
  let outcome: RunOutcome;
  if (run.lifeCycleState === 'SKIPPED') outcome = 'SKIPPED';
  else if (run.lifeCycleState === 'INTERNAL_ERROR') outcome = 'INTERNAL_ERROR';
  else if (run.resultState && KNOWN_OUTCOMES.has(run.resultState)) outcome = run.resultState as RunOutcome;
  else if (run.terminationCode && LEGACY_OUTCOME_FROM_CODE[run.terminationCode])
    outcome = LEGACY_OUTCOME_FROM_CODE[run.terminationCode]!;
  else if (run.terminationType === 'SUCCESS') outcome = 'SUCCESS';
  else if (run.terminationType) outcome = 'FAILED';
  else outcome = 'UNKNOWN';
  return { outcome, succeeded: outcome === 'SUCCESS' || outcome === 'SUCCESS_WITH_FAILURES', ...base };
}

/** Whether the run in this snapshot has ended: the activity's reading, or the legacy rules for old snapshots. */
export function isTerminal(run: RunSnapshot): boolean {
  return run.terminal ?? legacyIsTerminal(run);
}

/** The end of a terminal snapshot: the activity's verdict, or the legacy rules for old snapshots. */
export function classify(run: RunSnapshot): Classification {
  return run.verdict ?? legacyClassify(run);
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

/**
 * Result states of a task that are not a failure of that task: it succeeded, was excluded by a run_if
 * condition, was disabled, or (an if/else branch not taken) was skipped.
 */
const TASK_NOT_FAILED = new Set(['SUCCESS', 'SUCCESS_WITH_FAILURES', 'EXCLUDED', 'DISABLED', 'SKIPPED']);

/**
 * What did not succeed inside a run, for people: each failed task by key and each failed iteration of a
 * for_each task as `key[index]`, with its result state — what a SUCCESS_WITH_FAILURES run hides.
 */
export function describeFailedTasks(tasks: readonly TaskSnapshot[]): string[] {
  const failed: string[] = [];
  for (const task of tasks) {
    const iterations = task.iterations ?? [];
    const failedIterations = iterations
      .map((iteration, index) => ({ iteration, index }))
      .filter(
        ({ iteration }) => iteration.resultState !== undefined && !TASK_NOT_FAILED.has(iteration.resultState),
      );
    if (failedIterations.length > 0) {
      for (const { iteration, index } of failedIterations)
        failed.push(`${task.taskKey}[${index}] ${iteration.resultState}`);
    } else if (task.resultState !== undefined && !TASK_NOT_FAILED.has(task.resultState)) {
      failed.push(`${task.taskKey} ${task.resultState}`);
    }
  }
  return failed;
}
