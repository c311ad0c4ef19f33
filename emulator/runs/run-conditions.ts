/**
 * Whether a task whose dependencies have all finished runs, and if not how it is marked.
 *
 * Without disabled dependencies, the rules of docs.databricks.com "Run tasks conditionally":
 *  - ALL_SUCCESS, AT_LEAST_ONE_SUCCESS, NONE_FAILED: marked UPSTREAM_FAILED when unmet;
 *  - AT_LEAST_ONE_FAILED, ALL_FAILED: marked EXCLUDED when unmet;
 *  - ALL_DONE: always runs;
 *  - excluded tasks count as successful, and a task whose dependencies were all excluded is excluded
 *    whatever its condition.
 * "Failed" includes tasks marked UPSTREAM_FAILED/CANCELED, so a clean-up task with AT_LEAST_ONE_FAILED
 * at the end of a chain still runs when something early in the chain failed.
 *
 * With disabled dependencies, the table of docs.databricks.com/jobs/disabled-tasks ("Downstream task
 * behavior"): a disabled parent satisfies neither "succeeded" nor "failed"; ALL_DONE treats it as done;
 * NONE_FAILED runs when no other parent failed and at least one other parent completed (the docs'
 * example runs B after A (disabled) and C (skipped)); ALL_SUCCESS and ALL_FAILED never run. "If a
 * downstream task's Run if condition can't be met because one or more parent tasks are disabled,
 * Lakeflow Jobs also marks the downstream task as disabled": we read "because of" as "the condition
 * would hold had the disabled parents run and all succeeded, or all failed" [U]; otherwise the task
 * gets the mark its other parents call for.
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

export type RunIfDecision = 'RUN' | 'EXCLUDED' | 'UPSTREAM_FAILED' | 'UPSTREAM_CANCELED' | 'DISABLED';

type Dependency = ResultState | undefined;

/** `dependencies` are the result states of the finished upstream tasks. */
export function decideRunIf(runIf: RunIf, dependencies: readonly Dependency[]): RunIfDecision {
  if (dependencies.length === 0) return 'RUN';
  if (!dependencies.includes('DISABLED')) return decideEnabled(runIf, dependencies);
  const others = dependencies.filter((r) => r !== 'DISABLED');
  if (runsDespiteDisabled(runIf, others)) return 'RUN';
  const asIf = (result: ResultState): RunIfDecision =>
    decideEnabled(
      runIf,
      dependencies.map((r) => (r === 'DISABLED' ? result : r)),
    );
  if (asIf('SUCCESS') === 'RUN' || asIf('FAILED') === 'RUN') return 'DISABLED';
  const marked = others.length > 0 ? decideEnabled(runIf, others) : 'DISABLED';
  return marked === 'RUN' ? 'DISABLED' : marked;
}

/** The "Downstream task behavior when a parent task is disabled" column, given the other parents. */
function runsDespiteDisabled(runIf: RunIf, others: readonly Dependency[]): boolean {
  switch (runIf) {
    case 'ALL_SUCCESS':
    case 'ALL_FAILED':
      return false;
    case 'ALL_DONE':
      return true;
    case 'AT_LEAST_ONE_SUCCESS':
      return others.some(isSuccess);
    case 'NONE_FAILED':
      return others.length > 0 && !others.some(isFailure);
    case 'AT_LEAST_ONE_FAILED':
      return others.some(isFailure);
  }
}

function decideEnabled(runIf: RunIf, dependencies: readonly Dependency[]): RunIfDecision {
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
