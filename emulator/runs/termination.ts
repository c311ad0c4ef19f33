/**
 * Which termination `type` goes with each termination `code`. Databricks documents both enums but no
 * table joining them (reference §1.5 [U]); this mapping follows the descriptions: platform faults are
 * INTERNAL_ERROR, provider faults CLOUD_FAILURE, everything caused by the job, its code or its
 * configuration CLIENT_ERROR, and runs that ended as intended (including a user's cancel) SUCCESS.
 * A scenario rule can override the type.
 */
import type {
  Outcome,
  ResultState,
  TerminalLifeCycle,
  TerminationCode,
  TerminationType,
} from './run-model.js';

const TYPE_BY_CODE: Partial<Record<TerminationCode, TerminationType>> = {
  SUCCESS: 'SUCCESS',
  SUCCESS_WITH_FAILURES: 'SUCCESS',
  USER_CANCELED: 'SUCCESS',
  SKIPPED: 'SUCCESS',
  DISABLED: 'SUCCESS',
  INTERNAL_ERROR: 'INTERNAL_ERROR',
  DRIVER_ERROR: 'INTERNAL_ERROR',
  CLUSTER_ERROR: 'INTERNAL_ERROR',
  BREAKING_CHANGE: 'INTERNAL_ERROR',
  CLOUD_FAILURE: 'CLOUD_FAILURE',
};

export function terminationTypeFor(code: TerminationCode): TerminationType {
  return TYPE_BY_CODE[code] ?? 'CLIENT_ERROR';
}

/** The code a result implies when nothing more specific is known. */
export function defaultCodeFor(result: ResultState, lifeCycle: TerminalLifeCycle): TerminationCode {
  if (lifeCycle === 'INTERNAL_ERROR') return 'INTERNAL_ERROR';
  switch (result) {
    case 'SUCCESS':
      return 'SUCCESS';
    case 'SUCCESS_WITH_FAILURES':
      return 'SUCCESS_WITH_FAILURES';
    case 'CANCELED':
      return 'USER_CANCELED';
    // "CANCELED: The run was canceled during execution by the Databricks platform; for example, if
    // the maximum run duration was exceeded" — i.e. what a timeout reports.
    case 'TIMEDOUT':
      return 'CANCELED';
    case 'EXCLUDED':
    case 'UPSTREAM_FAILED':
    case 'UPSTREAM_CANCELED':
      return 'SKIPPED';
    case 'DISABLED':
      return 'DISABLED';
    case 'MAXIMUM_CONCURRENT_RUNS_REACHED':
      return 'MAX_CONCURRENT_RUNS_EXCEEDED';
    case 'FAILED':
      return 'RUN_EXECUTION_ERROR';
  }
}

/** Databricks' message for a failed task, measured by the databricks/cli fake on a real workspace. */
export const TASK_FAILURE_MESSAGE = 'Workload failed, see run output for details';

export function outcome(
  result: ResultState,
  stateMessage: string,
  options: { lifeCycle?: TerminalLifeCycle; code?: TerminationCode; type?: TerminationType } = {},
): Outcome {
  const lifeCycle = options.lifeCycle ?? 'TERMINATED';
  const code = options.code ?? defaultCodeFor(result, lifeCycle);
  return { lifeCycle, result, code, type: options.type ?? terminationTypeFor(code), stateMessage };
}

/** Results that count as "failed" for run_if, repair and run roll-up. */
export function isFailure(result: ResultState | undefined): boolean {
  return (
    result === 'FAILED' ||
    result === 'TIMEDOUT' ||
    result === 'CANCELED' ||
    result === 'UPSTREAM_FAILED' ||
    result === 'UPSTREAM_CANCELED' ||
    result === 'MAXIMUM_CONCURRENT_RUNS_REACHED'
  );
}

export function isSuccess(result: ResultState | undefined): boolean {
  return result === 'SUCCESS' || result === 'SUCCESS_WITH_FAILURES';
}
