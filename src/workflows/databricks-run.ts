/**
 * databricksRun: one logical Databricks run, from submission to a classified result.
 *
 *   validate input → submit (idempotent) → wait (webhook | poll | heartbeat) → classify
 *   → retry by repair or resubmit when the policy says so → collect outputs → result
 *
 * Every way it can be interrupted ends its Databricks run too (run/endings.ts): a cancel request, its
 * deadline (input.timeout), a failure after submission — unless the caller chose onCancel "detach".
 * History stays the same size whatever the run's duration. The strategies live in ./run/: status
 * (what the UI and the `status` query show), submission, wait, retry, endings and result.
 */
import { ApplicationFailure } from '@temporalio/workflow';
import { classify, shouldRetry, type Classification } from '../shared/run-classification.js';
import { parseRunInput, type RunInput, type ValidRunInput } from '../shared/run-input.js';
import type { AttemptRecord, RunResult } from '../shared/run-types.js';
import { toDatabricksId } from '../shared/databricks-id.js';
import type { LineageDatabricksRun } from '../shared/lineage-facts.js';
import { LineageRun } from './lineage.js';
import { RunContext } from './run/context.js';
import { Deadline, endInterrupted } from './run/endings.js';
import { collectResult, runFailed } from './run/result.js';
import { retryRun } from './run/retry.js';
import { submit } from './run/submission.js';
import { waitForTerminal } from './run/wait.js';

export { catchUpSignal, notificationSignal, statusQuery } from './run/status.js';
export type { CatchUpRequest, RunNotification, RunStatusView } from './run/status.js';

/**
 * One logical Databricks run (a job by id or name, or a one-time submit) from submission to a
 * classified result. Resolves with the {@link RunResult} when the run succeeded (or when it was
 * cancelled with `onCancel: "detach"`, leaving the Databricks run going); otherwise fails with an
 * ApplicationFailure of type `DatabricksRunFailed` whose details carry the RunResult.
 */
export async function databricksRun(rawInput: RunInput): Promise<RunResult> {
  // OpenLineage START now, one end below (src/workflows/lineage.ts: sink calls, no commands).
  const lineage = LineageRun.ofWorkflow();
  let ctx: RunContext | undefined;
  try {
    ctx = new RunContext(validInput(rawInput));
    const result = await runToResult(ctx);
    // Detached: the workflow was cancelled and left its Databricks run going; its own run was aborted.
    lineage.end(result.detached ? 'ABORT' : 'COMPLETE', { databricks: lineageFacts(ctx, result) });
    return result;
  } catch (err) {
    lineage.endWith(err, ctx ? lineageFacts(ctx, resultOf(err)) : undefined);
    throw err;
  }
}

/** Submit and wait (within the deadline), end an interruption, and build the result or its failure. */
async function runToResult(ctx: RunContext): Promise<RunResult> {
  const deadline = new Deadline(ctx.input.timeout);
  let verdict: Classification;
  try {
    verdict = await deadline.run(() => runUntilDone(ctx));
  } catch (err) {
    const ended = await endInterrupted(ctx, err, deadline);
    if ('result' in ended) return ended.result;
    verdict = ended.verdict;
  } finally {
    deadline.stop();
  }
  const result = await collectResult(ctx, verdict);
  if (result.succeeded) return result;
  throw runFailed(result);
}

/** The RunResult a DatabricksRunFailed or DatabricksRunInterrupted failure carries. */
function resultOf(err: unknown): RunResult | undefined {
  const detail = err instanceof ApplicationFailure ? err.details?.[0] : undefined;
  return typeof detail === 'object' && detail !== null && 'outcome' in detail
    ? (detail as RunResult)
    : undefined;
}

/** The Databricks run as lineage names it: from the result when there is one, else what ctx knows. */
function lineageFacts(ctx: RunContext, result: RunResult | undefined): LineageDatabricksRun {
  const runId = result?.runId || toDatabricksId(ctx.submission?.runId);
  const jobId = result?.jobId ?? toDatabricksId(ctx.submission?.jobId) ?? ctx.status.view.jobId;
  const runPageUrl = result?.runPageUrl ?? ctx.last?.runPageUrl ?? ctx.status.view.runPageUrl;
  const outcome = result?.outcome ?? ctx.status.view.outcome;
  return {
    ...(runId ? { runId } : {}),
    ...(jobId ? { jobId } : {}),
    ...(runPageUrl ? { runPageUrl } : {}),
    ...(ctx.submission ? { attempt: ctx.status.attempt } : {}),
    ...(outcome ? { outcome } : {}),
  };
}

/** Submit, wait, classify; again while the retry policy asks for another attempt. */
async function runUntilDone(ctx: RunContext): Promise<Classification> {
  let submission = await submit(ctx, 1);
  let kind: AttemptRecord['kind'] = 'submit';
  for (;;) {
    ctx.show({ phase: 'waiting' });
    const last = (ctx.last = await waitForTerminal(ctx, submission.runId));
    const verdict = classify(last);
    ctx.recordAttempt(kind, last, verdict);
    if (!shouldRetry(verdict, ctx.input.retry, ctx.status.attempt)) return verdict;
    ctx.status.attempt++;
    kind = await retryRun(ctx, last);
    submission = ctx.submission!;
  }
}

/** The input, validated by the same schema as the client's; bad input fails without submitting. */
function validInput(rawInput: RunInput): ValidRunInput {
  const parsed = parseRunInput(rawInput);
  if (parsed.ok) return parsed.value;
  throw ApplicationFailure.create({
    type: 'InvalidRunInput',
    message: `invalid databricksRun input: ${parsed.problems.join('; ')}`,
    nonRetryable: true,
    details: [parsed.problems],
  });
}
