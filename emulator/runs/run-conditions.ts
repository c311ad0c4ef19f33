/**
 * Whether a task whose dependencies have all finished runs, and if not how it is marked — the rules of
 * docs.databricks.com "Run tasks conditionally":
 *  - ALL_SUCCESS, AT_LEAST_ONE_SUCCESS, NONE_FAILED: marked UPSTREAM_FAILED when unmet;
 *  - AT_LEAST_ONE_FAILED, ALL_FAILED: marked EXCLUDED when unmet;
 *  - ALL_DONE: always runs;
 *  - excluded tasks count as successful, and a task whose dependencies were all excluded is excluded
 *    whatever its condition.
 * "Failed" includes tasks marked UPSTREAM_FAILED/CANCELED, so a clean-up task with AT_LEAST_ONE_FAILED
 * at the end of a chain still runs when something early in the chain failed.
 */
import type { ResultState } from './run-model.js';
import { isFailure, isSuccess } from './termination.js';

export const RUN_IF_VALUES = [
  'ALL_SUCCESS',
  'AT_LEAST_ONE_SUCCESS',
  'NONE_FAILED',
  'ALL_DONE',
  'AT_LEAST_ONE_FAILED',
  'ALL_FAILED',
] as const;
export type RunIf = (typeof RUN_IF_VALUES)[number];

export type RunIfDecision = 'RUN' | 'EXCLUDED' | 'UPSTREAM_FAILED' | 'UPSTREAM_CANCELED';

/** `dependencies` are the result states of the finished upstream tasks. */
export function decideRunIf(runIf: RunIf, dependencies: readonly (ResultState | undefined)[]): RunIfDecision {
  if (dependencies.length === 0) return 'RUN';
  if (dependencies.every((r) => r === 'EXCLUDED')) return 'EXCLUDED';
  const succeeded = dependencies.filter((r) => isSuccess(r) || r === 'EXCLUDED').length;
  const executedAndSucceeded = dependencies.filter(isSuccess).length;
  const failed = dependencies.filter(isFailure).length;
  const unmetUpstream: RunIfDecision = dependencies.some((r) => r === 'CANCELED' || r === 'UPSTREAM_CANCELED')
    ? 'UPSTREAM_CANCELED'
    : 'UPSTREAM_FAILED';
  switch (runIf) {
    case 'ALL_SUCCESS':
      return succeeded === dependencies.length ? 'RUN' : unmetUpstream;
    case 'AT_LEAST_ONE_SUCCESS':
      return executedAndSucceeded > 0 ? 'RUN' : unmetUpstream;
    case 'NONE_FAILED':
      return failed === 0 && executedAndSucceeded > 0 ? 'RUN' : unmetUpstream;
    case 'ALL_DONE':
      return 'RUN';
    case 'AT_LEAST_ONE_FAILED':
      return failed > 0 ? 'RUN' : 'EXCLUDED';
    case 'ALL_FAILED':
      return failed === dependencies.length ? 'RUN' : 'EXCLUDED';
  }
}
