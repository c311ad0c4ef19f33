/**
 * How a Lakeloop workflow ended, read from its close (handle.result()): its state, the one-line reason
 * when it did not succeed, and the typed result — returned, or attached to the failure by databricksRun.
 */
import type { WorkflowExecutionStatusName, WorkflowHandle } from '@temporalio/client';
import { WorkflowFailedError } from '@temporalio/client';
import {
  ActivityFailure,
  ApplicationFailure,
  CancelledFailure,
  ChildWorkflowFailure,
  TerminatedFailure,
  TimeoutFailure,
} from '@temporalio/common';
import type { RunResult } from '../shared/run-types.js';
import { lakeloopState, type LakeloopState, type WorkflowKind } from './workflow-status.js';

export interface Outcome {
  state: LakeloopState;
  temporalStatus: WorkflowExecutionStatusName;
  /** Why it did not succeed, on one line. */
  reason?: string;
  /** The workflow's result, or for a failed run the RunResult its failure carries. */
  result?: unknown;
}

/** One line from a failure chain: the step or activity that failed, then its own message. */
export function failureReason(err: unknown): string {
  const failure = err instanceof WorkflowFailedError ? (err.cause ?? err) : err;
  return describe(failure);
}

function describe(failure: unknown): string {
  if (failure instanceof ChildWorkflowFailure) {
    // A pipeline's train or score step: its workflow id ends with the step's name.
    const step = failure.execution.workflowId?.split('/').pop();
    return `${step ?? failure.workflowType} step: ${failure.cause ? describe(failure.cause) : failure.message}`;
  }
  if (failure instanceof ActivityFailure) {
    return `${failure.activityType}: ${failure.cause ? describe(failure.cause) : failure.message}`;
  }
  if (failure instanceof ApplicationFailure) {
    // databricksRun's own failures say everything in their message; a wrapped cause adds the detail.
    const inner = failure.cause?.message;
    return inner && !failure.message.includes(inner) ? `${failure.message}: ${inner}` : failure.message;
  }
  if (failure instanceof TerminatedFailure)
    return `terminated${failure.message ? `: ${failure.message}` : ''}`;
  if (failure instanceof TimeoutFailure)
    return 'the workflow timed out (its execution or run timeout passed)';
  if (failure instanceof CancelledFailure) return 'the workflow was cancelled';
  return (failure as Error | undefined)?.message?.split('\n')[0] ?? String(failure);
}

/** The RunResult a failed databricksRun attaches to its failure (also through a pipeline's step). */
export function attachedRunResult(err: unknown): RunResult | undefined {
  let failure: unknown = err instanceof WorkflowFailedError ? err.cause : err;
  while (failure instanceof ChildWorkflowFailure || failure instanceof ActivityFailure)
    failure = failure.cause;
  if (failure instanceof ApplicationFailure) {
    const details = failure.details?.[0] as Partial<RunResult> | undefined;
    if (details && typeof details === 'object' && 'outcome' in details) return details as RunResult;
  }
  return undefined;
}

function closedStatus(err: unknown): WorkflowExecutionStatusName {
  const cause = err instanceof WorkflowFailedError ? err.cause : undefined;
  if (cause instanceof CancelledFailure) return 'CANCELLED';
  if (cause instanceof TerminatedFailure) return 'TERMINATED';
  if (cause instanceof TimeoutFailure) return 'TIMED_OUT';
  return 'FAILED';
}

/**
 * Waits for the workflow to close (at once when it has) and says how it ended. Errors that are not the
 * workflow's own end (not found, connection lost) are thrown.
 */
export async function outcomeOf(handle: WorkflowHandle, kind: WorkflowKind): Promise<Outcome> {
  try {
    const result = await handle.result();
    const run = kind === 'run' ? (result as RunResult | undefined) : undefined;
    // A run that completes without success was cancelled with onCancel "detach".
    const state = lakeloopState('COMPLETED', kind, run?.outcome);
    return {
      state,
      temporalStatus: 'COMPLETED',
      result,
      ...(state === 'CANCELLED' ? { reason: run?.message ?? 'cancelled (detached)' } : {}),
    };
  } catch (err) {
    if (!(err instanceof WorkflowFailedError)) throw err;
    const temporalStatus = closedStatus(err);
    const run = attachedRunResult(err);
    return {
      state: lakeloopState(temporalStatus, kind, kind === 'run' ? run?.outcome : undefined),
      temporalStatus,
      reason: failureReason(err),
      // A pipeline's failed step is named in the reason; its own result is the step workflow's.
      ...(run && kind === 'run' ? { result: run } : {}),
    };
  }
}
