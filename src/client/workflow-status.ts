/**
 * One status model for every Lakeloop workflow — a Databricks run, a pipeline, a health check, the
 * orphan reaper — so `status`, `result`, `list` and `cancel` say the same thing the same way: what kind
 * of workflow it is, and whether it is running, succeeded, failed (and why), was cancelled, timed out
 * or was terminated. Temporal's own execution status is the base; a run's Databricks outcome refines
 * it (a run whose deadline passed failed in Temporal, with outcome TIMEDOUT, and is "timed out" here).
 */
import type { WorkflowExecutionInfo, WorkflowExecutionStatusName } from '@temporalio/client';
import {
  DatabricksJobId,
  DatabricksRunId,
  DatabricksRunState,
  LakeloopDecision,
  LakeloopModelVersion,
  LakeloopPipeline,
} from '../shared/search-attributes.js';

export const WORKFLOW_KINDS = {
  databricksRun: 'run',
  mlPipeline: 'pipeline',
  healthCheck: 'health-check',
  orphanReaper: 'reaper',
} as const;

export type WorkflowKind = (typeof WORKFLOW_KINDS)[keyof typeof WORKFLOW_KINDS] | 'other';

export const KIND_NAMES = Object.values(WORKFLOW_KINDS);

export function kindOf(workflowType: string): WorkflowKind {
  return (WORKFLOW_KINDS as Record<string, WorkflowKind>)[workflowType] ?? 'other';
}

export function workflowTypeOf(kind: WorkflowKind): string | undefined {
  return Object.entries(WORKFLOW_KINDS).find(([, k]) => k === kind)?.[0];
}

export const STATES = ['RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED', 'TIMED_OUT', 'TERMINATED'] as const;
export type LakeloopState = (typeof STATES)[number];

/** How a state reads in a sentence: "failed", "timed out". */
export function stateWords(state: LakeloopState): string {
  return state.toLowerCase().replace('_', ' ');
}

/** The end of a workflow that did not succeed: a non-zero exit. */
export function isUnsuccessful(state: LakeloopState): boolean {
  return state !== 'RUNNING' && state !== 'SUCCEEDED';
}

/** Databricks outcomes of a run that succeeded (run-classification.ts: `succeeded`). */
const SUCCESSFUL_OUTCOMES = new Set(['SUCCESS', 'SUCCESS_WITH_FAILURES']);

/**
 * Lakeloop's state from Temporal's execution status and, for a run, its Databricks outcome (the
 * DatabricksRunState attribute or the result's outcome). A run completes only when it succeeded or
 * was detached by a cancel (onCancel "detach": its run is still going, so its state is not an outcome).
 */
export function lakeloopState(
  status: WorkflowExecutionStatusName,
  kind: WorkflowKind,
  runOutcome?: string,
): LakeloopState {
  switch (status) {
    case 'COMPLETED':
      if (kind === 'run' && runOutcome !== undefined && !SUCCESSFUL_OUTCOMES.has(runOutcome))
        return 'CANCELLED';
      return 'SUCCEEDED';
    case 'FAILED':
      // Its deadline passed (Lakeloop's or the job's timeout_seconds). A run cancelled in Databricks by
      // someone else stays "failed": the reason says CANCELED, and cancelling the workflow is CANCELLED.
      return kind === 'run' && runOutcome === 'TIMEDOUT' ? 'TIMED_OUT' : 'FAILED';
    case 'CANCELLED':
      return 'CANCELLED';
    case 'TIMED_OUT':
      return 'TIMED_OUT';
    case 'TERMINATED':
      return 'TERMINATED';
    default:
      // RUNNING, PAUSED, and CONTINUED_AS_NEW (its newest run is what describe() answers).
      return 'RUNNING';
  }
}

/** What every command knows of a workflow without asking a worker (describe or list). */
export interface WorkflowSummary {
  workflowId: string;
  kind: WorkflowKind;
  workflowType: string;
  state: LakeloopState;
  /** Temporal's execution status (COMPLETED, FAILED, …), for anyone comparing with the UI. */
  temporalStatus: WorkflowExecutionStatusName;
  started: string;
  closed?: string;
  /** The workflow that started this one (a pipeline for its train and score runs). */
  parent?: string;
  pipeline?: string;
  databricksRunId?: string;
  databricksJobId?: string;
  /** The run's Databricks state: its outcome once ended, its life-cycle state before. */
  databricksRunState?: string;
  /** A pipeline's decision: promoted, rejected or not-promoted. */
  decision?: string;
  /** The model version holding a pipeline's alias after it decided. */
  modelVersion?: string;
}

/** The summary of one execution, as describe() or list() give it. */
export function summarize(execution: Omit<WorkflowExecutionInfo, 'raw'>): WorkflowSummary {
  const kind = kindOf(execution.type);
  const attributes = execution.typedSearchAttributes;
  const runState = attributes.get(DatabricksRunState);
  const summary: WorkflowSummary = {
    workflowId: execution.workflowId,
    kind,
    workflowType: execution.type,
    state: lakeloopState(execution.status.name, kind, runState),
    temporalStatus: execution.status.name,
    started: execution.startTime.toISOString(),
    closed: execution.closeTime?.toISOString(),
    parent: execution.parentExecution?.workflowId ?? undefined,
    pipeline: attributes.get(LakeloopPipeline),
    databricksRunId: attributes.get(DatabricksRunId),
    databricksJobId: attributes.get(DatabricksJobId),
    databricksRunState: runState,
    decision: attributes.get(LakeloopDecision),
    modelVersion: attributes.get(LakeloopModelVersion),
  };
  return Object.fromEntries(
    Object.entries(summary).filter(([, v]) => v !== undefined && v !== null),
  ) as unknown as WorkflowSummary;
}
