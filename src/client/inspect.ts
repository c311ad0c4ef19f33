/**
 * Everything `lakeloop status` says about one workflow, whatever its kind: the summary from Temporal
 * (describe: no worker needed), then while it runs the workflow's own `status` query (runs and
 * pipelines have one), and once it has closed how it ended and what its result says.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import type { PipelineResult, StepStatus } from '../shared/pipeline-types.js';
import type { CaughtUp, RunResult } from '../shared/run-types.js';
import type { HealthCheckResult, PipelineStatusView, RunStatusView } from '../workflows/index.js';
import { CommandFailed } from './cli-support.js';
import type { LakeloopClient } from './connect.js';
import { outcomeOf, type Outcome } from './outcome.js';
import { summarize, type WorkflowSummary } from './workflow-status.js';

export interface WorkflowStatus extends WorkflowSummary {
  /** Why it did not succeed (failed, cancelled, timed out, terminated), on one line. */
  reason?: string;
  /** A run's phase while it runs (submitting, waiting, repairing, …). */
  phase?: RunStatusView['phase'];
  waitMode?: string;
  runPageUrl?: string;
  attempts?: number;
  failedTasks?: string[];
  /** Set when the run's end was found by a webhook receiver's catch-up (its notification was lost). */
  caughtUp?: CaughtUp;
  /** A pipeline's steps, live or as it ended. */
  steps?: StepStatus[];
  awaitingApproval?: boolean;
  /** The candidate waiting at the approval gate (what `--candidate` must name). */
  candidate?: PipelineStatusView['candidate'];
  /** Why the pipeline decided as it did (its gate, its approver). */
  decisionReason?: string;
  /** The worker that answered a health check. */
  answeredBy?: string;
  /** Set when a running workflow's live view could not be read (no worker answered in time). */
  liveViewMissing?: string;
}

/** A handle and summary of the workflow, or CommandFailed naming the id when there is none. */
export async function describeWorkflow(
  lakeloop: LakeloopClient,
  workflowId: string,
): Promise<{ handle: WorkflowHandle; summary: WorkflowSummary }> {
  const handle = lakeloop.client.workflow.getHandle(workflowId);
  try {
    return { handle, summary: summarize(await handle.describe()) };
  } catch (err) {
    if (err instanceof WorkflowNotFoundError)
      throw new CommandFailed(
        `no workflow "${workflowId}" in namespace ${lakeloop.client.options.namespace}`,
      );
    throw err;
  }
}

const QUERY_TIMEOUT_MS = 5_000;

/** The workflow's `status` query, or why it could not be read (a query needs a worker). */
async function liveView<T>(handle: WorkflowHandle): Promise<T | { missing: string }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<{ missing: string }>((resolve) => {
    timer = setTimeout(
      () => resolve({ missing: `no worker answered within ${QUERY_TIMEOUT_MS / 1000}s: is one running?` }),
      QUERY_TIMEOUT_MS,
    );
  });
  try {
    return await Promise.race([
      handle.query<T>('status').catch((err: unknown) => ({
        missing: `the status query failed: ${(err as Error).message.split('\n')[0]}`,
      })),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function fromRunView(view: RunStatusView): Partial<WorkflowStatus> {
  return {
    phase: view.phase,
    databricksRunId: view.runId,
    databricksJobId: view.jobId,
    databricksRunState: view.outcome ?? view.lifeCycleState,
    runPageUrl: view.runPageUrl,
    waitMode: view.waitMode,
    attempts: view.attempts.length,
    failedTasks: view.failedTasks,
    caughtUp: view.caughtUp,
  };
}

function fromRunResult(result: RunResult): Partial<WorkflowStatus> {
  return {
    databricksRunId: result.runId || undefined,
    databricksJobId: result.jobId,
    databricksRunState: result.outcome,
    runPageUrl: result.runPageUrl,
    waitMode: result.waitMode,
    attempts: result.attempts.length,
    failedTasks: result.failedTasks,
    caughtUp: result.caughtUp,
  };
}

/** A pipeline's decision from its result (pipelines that ran before LakeloopDecision existed too). */
export function pipelineDecision(result: PipelineResult): string {
  if (result.promoted) return 'promoted';
  const approved = result.decision.passed && result.decision.approval?.decision !== 'reject';
  return approved ? 'not-promoted' : 'rejected';
}

function fromPipelineResult(result: PipelineResult): Partial<WorkflowStatus> {
  const approval = result.decision.approval;
  return {
    steps: result.steps,
    decision: pipelineDecision(result),
    decisionReason:
      result.decision.reason +
      (approval ? `; ${approval.decision}d by ${approval.by}${approval.timedOut ? ' (timeout)' : ''}` : ''),
    modelVersion: result.modelVersion,
  };
}

/** Defined values of `update` over `base` (a view's missing field keeps what describe() said). */
function merge<T extends object>(base: T, update: Partial<T>): T {
  const defined = Object.entries(update).filter(([, v]) => v !== undefined);
  return { ...base, ...Object.fromEntries(defined) };
}

/**
 * Why a cancelled run ended, with what became of its Databricks run: databricksRun cancels it before
 * the workflow ends cancelled (run/endings.ts); with onCancel "detach" the workflow completes instead.
 */
export function cancelledRunReason(summary: WorkflowSummary, outcome: Outcome): string | undefined {
  if (summary.kind !== 'run' || outcome.temporalStatus !== 'CANCELLED') return undefined;
  return `the workflow was cancelled, ${
    summary.databricksRunId !== undefined
      ? `and with it Databricks run ${summary.databricksRunId}`
      : 'before anything was submitted to Databricks'
  }`;
}

export async function readStatus(lakeloop: LakeloopClient, workflowId: string): Promise<WorkflowStatus> {
  const { handle, summary } = await describeWorkflow(lakeloop, workflowId);
  let status: WorkflowStatus = summary;
  if (summary.state === 'RUNNING') {
    if (summary.kind !== 'run' && summary.kind !== 'pipeline') return status;
    const view = await liveView<RunStatusView | PipelineStatusView>(handle);
    if ('missing' in view) return { ...status, liveViewMissing: view.missing };
    return summary.kind === 'run'
      ? merge(status, fromRunView(view as RunStatusView))
      : merge(status, {
          steps: (view as PipelineStatusView).steps,
          awaitingApproval: (view as PipelineStatusView).awaitingApproval,
          candidate: (view as PipelineStatusView).candidate,
        });
  }
  const outcome = await outcomeOf(handle, summary.kind);
  status = merge(status, { state: outcome.state, reason: outcome.reason });
  status.reason = cancelledRunReason(summary, outcome) ?? status.reason;
  if (outcome.result === undefined) return status;
  switch (summary.kind) {
    case 'run':
      return merge(status, fromRunResult(outcome.result as RunResult));
    case 'pipeline':
      return merge(status, fromPipelineResult(outcome.result as PipelineResult));
    case 'health-check':
      return merge(status, { answeredBy: (outcome.result as HealthCheckResult).worker.identity });
    default:
      return status;
  }
}
