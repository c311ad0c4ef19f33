/**
 * Submitting the run — runs/submit or run-now, idempotent per workflow execution and step — and
 * choosing how to wait for it.
 */
import { CancellationScope, patched, workflowInfo } from '@temporalio/workflow';
import type { RunActivities } from '../../activities/databricks-runs.js';
import { toDatabricksId } from '../../shared/databricks-id.js';
import type { ValidRunInput } from '../../shared/run-input.js';
import type { RunResult, SubmitResult } from '../../shared/run-types.js';
import type { RunContext } from './context.js';
import { SUBMISSION_OUTLIVES_CANCELLATION_PATCH } from './patches.js';

/**
 * The receiver looks for a run's workflow for 5 s and then gives up on the notification. A submission
 * slower than this (a lost response, a crashed worker, throttling) may have let the run end, and its
 * notification go unrouted, before the run id became visible: then the wait looks at the run at once.
 */
const SLOW_SUBMISSION_MS = 3_000;

/** Submits attempt `attempt` and shows its run; the returned run id is an exact decimal string. */
export async function submit(ctx: RunContext, attempt: number): Promise<SubmitResult> {
  const { input } = ctx;
  const requestedAt = Date.now();
  const submission = await submitThroughCancellation(ctx, {
    step: `attempt-${attempt}`,
    jobId: input.jobId,
    jobName: input.jobName,
    submit: input.submit,
    jobParameters: input.jobParameters,
    notifyWebhook: input.wait.mode === 'auto' || input.wait.mode === 'webhook',
    ...deadlineSeconds(input),
  });
  ctx.pendingWait = { notifiedBefore: 0, lookNow: Date.now() - requestedAt > SLOW_SUBMISSION_MS };
  const waitMode = chooseWaitMode(input, submission);
  if (submission.webhooksRefused !== undefined) {
    ctx.fallbacks.push(`notifications → polling: ${submission.webhooksRefused}`);
  }
  // Histories recorded before ids were strings hold numbers here.
  const runId = toDatabricksId(submission.runId) ?? String(submission.runId);
  ctx.show({
    runId,
    jobId: toDatabricksId(submission.jobId),
    runPageUrl: submission.runPageUrl,
    lifeCycleState: undefined,
    waitMode,
    definition: submission.definitionFingerprint,
  });
  return (ctx.submission = { ...submission, runId });
}

/**
 * runs/submit (or run-now) shielded from cancellation: the activity keeps going when the workflow is
 * cancelled meanwhile, so the run id is known and the run can be cancelled. Histories from before
 * cancelled the activity at once; patched() keeps them replaying the old way. (It is consulted before
 * scheduling: the SDK wires an activity's cancellation when it is scheduled.)
 */
async function submitThroughCancellation(
  ctx: RunContext,
  request: Parameters<RunActivities['submitRun']>[0],
): Promise<SubmitResult> {
  const { api } = ctx.acts;
  if (!patched(SUBMISSION_OUTLIVES_CANCELLATION_PATCH)) return api.submitRun(request);
  const caller = CancellationScope.current();
  if (caller.consideredCancelled) await caller.cancelRequested; // already cancelled: create nothing
  return CancellationScope.nonCancellable(() => api.submitRun(request));
}

/**
 * What is left of the workflow's deadline, plus a margin, for the run's Databricks timeout: the
 * deadline itself cancels the run first; Databricks' timeout is the backstop for when no workflow code
 * runs again (terminated, or every worker gone). Deterministic: workflow time.
 */
const DEADLINE_MARGIN_SECONDS = 300;

function deadlineSeconds(input: ValidRunInput): { deadlineSeconds?: number } {
  if (input.timeout === undefined) return {};
  const elapsed = Date.now() - workflowInfo().startTime.getTime();
  return {
    deadlineSeconds: Math.ceil(Math.max(0, input.timeout - elapsed) / 1000) + DEADLINE_MARGIN_SECONDS,
  };
}

function chooseWaitMode(input: ValidRunInput, submission: SubmitResult): RunResult['waitMode'] {
  switch (input.wait.mode) {
    case 'heartbeat':
      return 'heartbeat';
    case 'poll':
      return 'poll';
    default:
      // Without a notification on its way, webhook mode would rely on the slow safety net alone.
      return submission.webhooksAvailable ? 'webhook' : 'poll';
  }
}
