/**
 * databricksRun: one logical Databricks run, from submission to a classified result.
 *
 *   validate input → submit (idempotent) → record run id → wait (webhook | poll | heartbeat)
 *   → classify → retry by repair or resubmit when the policy says so → collect outputs → result
 *
 * Cancelling the workflow cancels the Databricks run (unless onCancel is "detach"); a deadline
 * (input.timeout) cancels it too. History stays the same size whatever the run's duration.
 */
import {
  ActivityCancellationType,
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  condition,
  defineQuery,
  defineSignal,
  isCancellation,
  log,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  sleep,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { RunActivities } from '../activities/databricks-runs.js';
import { toDatabricksId, type DatabricksId } from '../shared/databricks-id.js';
import {
  classify,
  describeFailedTasks,
  failedTaskKeys,
  isTerminal,
  shouldRetry,
  type Classification,
} from '../shared/run-classification.js';
import { parseRunInput, type RunInput, type ValidRunInput } from '../shared/run-input.js';
import type { AttemptRecord, RunResult, RunSnapshot, SubmitResult } from '../shared/run-types.js';
import {
  DatabricksJobId,
  DatabricksRunId,
  DatabricksRunState,
  LakeloopDetached,
} from '../shared/search-attributes.js';

/**
 * A Databricks job notification, forwarded by the webhook receiver. Duplicates are harmless. The run
 * id is an exact decimal string; signals recorded before that carry a number.
 */
export interface RunNotification {
  eventType: string;
  runId: DatabricksId | number;
}

export interface RunStatusView {
  phase:
    'submitting' | 'waiting' | 'repairing' | 'resubmitting' | 'collecting-outputs' | 'cancelling' | 'done';
  runId?: DatabricksId;
  jobId?: DatabricksId;
  runPageUrl?: string;
  lifeCycleState?: string;
  waitMode?: RunResult['waitMode'];
  attempts: AttemptRecord[];
  outcome?: RunResult['outcome'];
  /** Tasks (and for_each iterations) of the last attempt that did not succeed, e.g. "train FAILED". */
  failedTasks?: string[];
}

export const statusQuery = defineQuery<RunStatusView>('status');
export const notificationSignal = defineSignal<[RunNotification]>('databricksNotification');

const TERMINAL_EVENTS = new Set(['jobs.on_success', 'jobs.on_failure']);
const DAY = 86_400_000;
/**
 * The receiver looks for a run's workflow for 5 s and then gives up on the notification. A submission
 * slower than this (a lost response, a crashed worker, throttling) may have let the run end, and its
 * notification go unrouted, before the run id became visible: then the wait looks at the run at once.
 */
const SLOW_SUBMISSION_MS = 3_000;
/** Webhook waits that count notifications from the request on and look at once after a slow submission. */
const EARLY_NOTIFICATIONS_PATCH = 'webhook-notifications-before-wait';
/**
 * A cancellation (the workflow's or the deadline's) that arrives while runs/submit is in flight waits
 * for the submission's answer instead of abandoning it: the run it creates is then cancelled, not left
 * running with nobody knowing its id.
 */
const SUBMISSION_OUTLIVES_CANCELLATION_PATCH = 'submission-outlives-cancellation';
/** A non-retryable failure after submission cancels the run before the workflow fails. */
const CANCEL_AFTER_FAILURE_PATCH = 'cancel-run-after-failure';

export async function databricksRun(rawInput: RunInput): Promise<RunResult> {
  const parsed = parseRunInput(rawInput);
  if (!parsed.ok) {
    throw ApplicationFailure.create({
      type: 'InvalidRunInput',
      message: `invalid databricksRun input: ${parsed.problems.join('; ')}`,
      nonRetryable: true,
      details: [parsed.problems],
    });
  }
  const input = parsed.value;
  // Activities may outlive the deadline slightly: the deadline itself cancels them (and the run).
  const activityDeadlineMs = (input.timeout ?? 7 * DAY) + 10 * 60_000;

  const view: RunStatusView = { phase: 'submitting', attempts: [] };
  /** The attempt in progress (or the last one, once done): for the current details only. */
  let attempt = 1;
  setHandler(statusQuery, () => view);
  const terminalNotifications = new Map<DatabricksId, number>();
  setHandler(notificationSignal, (notification) => {
    const runId = toDatabricksId(notification.runId);
    if (runId === undefined) return; // the receiver validates ids; nothing else could name a run
    if (TERMINAL_EVENTS.has(notification.eventType)) {
      terminalNotifications.set(runId, (terminalNotifications.get(runId) ?? 0) + 1);
    } else if (notification.eventType === 'jobs.on_start' && runId === view.runId && !view.lifeCycleState) {
      show({ lifeCycleState: 'RUNNING' });
    }
  });

  // Workspace calls: retried until they succeed or fail for good (a 429 storm only delays the run).
  const api = proxyActivities<RunActivities>({
    // Short enough that the call of a worker that died is retried soon by another one; a call that
    // is only slow (throttled) is retried too, which the idempotency token makes safe.
    startToCloseTimeout: '30 seconds',
    scheduleToCloseTimeout: activityDeadlineMs,
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
  });
  const poller = proxyActivities<RunActivities>({
    startToCloseTimeout: '1 minute',
    scheduleToCloseTimeout: activityDeadlineMs,
    retry: {
      initialInterval: input.wait.pollInterval,
      backoffCoefficient: 1.5,
      maximumInterval: input.wait.maxPollInterval,
    },
  });
  const safetyNet = proxyActivities<RunActivities>({
    startToCloseTimeout: '1 minute',
    scheduleToCloseTimeout: activityDeadlineMs,
    // Abandoned, not cancelled, once a notification arrives: a cancel request could race with an
    // attempt that is just completing, and the abandoned poll costs at most one more runs/get.
    cancellationType: ActivityCancellationType.ABANDON,
    retry: { initialInterval: input.wait.safetyNetInterval, backoffCoefficient: 1 },
  });
  const heartbeating = proxyActivities<RunActivities>({
    startToCloseTimeout: activityDeadlineMs,
    heartbeatTimeout: Math.max(30_000, input.wait.heartbeatPollInterval * 5),
    retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
  });

  function show(update: Partial<RunStatusView>): void {
    Object.assign(view, update);
    const state = view.outcome ?? view.lifeCycleState ?? 'SUBMITTED';
    upsertSearchAttributes([
      ...(view.runId !== undefined ? [{ key: DatabricksRunId, value: view.runId }] : []),
      ...(view.jobId !== undefined ? [{ key: DatabricksJobId, value: view.jobId }] : []),
      { key: DatabricksRunState, value: state },
      // The orphan reaper never cancels a run that may outlive its workflow on purpose.
      ...(input.onCancel === 'detach' ? [{ key: LakeloopDetached, value: true }] : []),
    ]);
    const link =
      view.runId !== undefined
        ? view.runPageUrl
          ? `[${view.runId}](${view.runPageUrl})`
          : `${view.runId}`
        : '—';
    setCurrentDetails(
      [
        `**Databricks run** ${link}${view.jobId !== undefined ? ` (job ${view.jobId})` : ''}`,
        `**State** ${state} · **Phase** ${view.phase} · **Attempt** ${attempt}`,
        view.waitMode ? `**Waiting by** ${view.waitMode}` : '',
        // What a SUCCESS_WITH_FAILURES (or failed) run hides at a glance.
        view.failedTasks?.length ? `**Failed tasks** ${view.failedTasks.join(', ')}` : '',
      ]
        .filter(Boolean)
        .join('\n\n'),
    );
  }

  /** What the next webhook wait must know about the request (submit or repair) that started it. */
  let pendingWait = { notifiedBefore: 0, lookNow: false };

  /**
   * runs/submit (or run-now) shielded from cancellation: the activity keeps going when the workflow is
   * cancelled meanwhile, so the run id is known and the run can be cancelled. Histories from before
   * cancelled the activity at once; patched() keeps them replaying the old way. (It is consulted before
   * scheduling: the SDK wires an activity's cancellation when it is scheduled.)
   */
  async function submitThroughCancellation(
    request: Parameters<RunActivities['submitRun']>[0],
  ): Promise<SubmitResult> {
    if (!patched(SUBMISSION_OUTLIVES_CANCELLATION_PATCH)) return api.submitRun(request);
    const caller = CancellationScope.current();
    if (caller.consideredCancelled) await caller.cancelRequested; // already cancelled: create nothing
    return CancellationScope.nonCancellable(() => api.submitRun(request));
  }

  async function submit(attempt: number): Promise<SubmitResult> {
    const requestedAt = Date.now();
    const submission = await submitThroughCancellation({
      step: `attempt-${attempt}`,
      jobId: input.jobId,
      jobName: input.jobName,
      submit: input.submit,
      jobParameters: input.jobParameters,
      notifyWebhook: input.wait.mode === 'auto' || input.wait.mode === 'webhook',
    });
    pendingWait = { notifiedBefore: 0, lookNow: Date.now() - requestedAt > SLOW_SUBMISSION_MS };
    const waitMode = chooseWaitMode(input, submission);
    if (submission.webhooksRefused !== undefined) {
      fallbacks.push(`notifications → polling: ${submission.webhooksRefused}`);
    }
    // Histories recorded before ids were strings hold numbers here.
    const runId = toDatabricksId(submission.runId) ?? String(submission.runId);
    show({
      runId,
      jobId: toDatabricksId(submission.jobId),
      runPageUrl: submission.runPageUrl,
      lifeCycleState: undefined,
      waitMode,
    });
    return { ...submission, runId };
  }

  async function waitByWebhook(runId: DatabricksId): Promise<RunSnapshot> {
    const notifications = () => terminalNotifications.get(runId) ?? 0;
    const { notifiedBefore, lookNow } = pendingWait;
    // Notifications count from the request on, not from now: a repaired run can end, and say so,
    // before runs/repair's answer is back. (These patched() calls sit where behaviour differs, so
    // they add no marker to the usual webhook history.)
    let seen =
      notifications() > notifiedBefore && patched(EARLY_NOTIFICATIONS_PATCH)
        ? notifiedBefore
        : notifications();
    let skipFirstAttempt = !(lookNow && patched(EARLY_NOTIFICATIONS_PATCH));
    for (;;) {
      const netScope = new CancellationScope();
      const net = netScope.run(() => safetyNet.pollUntilTerminal(runId, { skipFirstAttempt }));
      const notified = condition(() => notifications() > seen);
      const first = await Promise.race([
        net.then((snapshot) => ({ snapshot })),
        notified.then(() => ({ snapshot: undefined })),
      ]);
      if (first.snapshot) return first.snapshot;
      netScope.cancel();
      net.catch(() => undefined); // its cancellation is expected
      // One runs/get confirms the notification (and fills in the result); stale duplicates loop.
      const answered = notifications();
      const confirmed = await api.getRunState(runId);
      if (isTerminal(confirmed)) return confirmed;
      log.info('notification did not match a terminal run state; waiting again', {
        runId,
        state: confirmed.lifeCycleState,
      });
      // One that arrived while runs/get was on its way may be the real end: confirm it too.
      seen = notifications() > answered && patched(EARLY_NOTIFICATIONS_PATCH) ? answered : notifications();
      skipFirstAttempt = true;
    }
  }

  function waitForTerminal(runId: DatabricksId): Promise<RunSnapshot> {
    switch (view.waitMode) {
      case 'webhook':
        return waitByWebhook(runId);
      case 'heartbeat':
        return heartbeating.waitForTermination(runId, input.wait.heartbeatPollInterval);
      default:
        return poller.pollUntilTerminal(runId);
    }
  }

  let submission: SubmitResult | undefined;
  let last: RunSnapshot | undefined;
  /** Optional features this workspace lacked for this run, and what was done instead. */
  const fallbacks: string[] = [];
  let verdict: Classification | undefined;
  let deadlinePassed = false;
  const runScope = new CancellationScope();
  const deadlineScope = new CancellationScope();
  if (input.timeout !== undefined) {
    const timeout = input.timeout;
    deadlineScope
      .run(async () => {
        await sleep(timeout);
        deadlinePassed = true;
        runScope.cancel();
      })
      .catch(() => undefined); // cancelled when the run finishes first
  }

  try {
    await runScope.run(async () => {
      submission = await submit(1);
      let kind: AttemptRecord['kind'] = 'submit';
      for (;;) {
        show({ phase: 'waiting' });
        last = await waitForTerminal(submission.runId);
        verdict = classify(last);
        view.attempts.push(attemptRecord(attempt, last, verdict, kind));
        show({
          lifeCycleState: last.lifeCycleState,
          runPageUrl: last.runPageUrl ?? view.runPageUrl,
          failedTasks: describeFailedTasks(last.tasks),
        });
        if (!shouldRetry(verdict, input.retry, attempt)) return;
        attempt++;
        const failedTasks = failedTaskKeys(last);
        const repairable = input.retry.strategy === 'repair' && failedTasks.length > 0;
        const repaired = repairable ? await repair(last, failedTasks) : false;
        if (repaired) kind = 'repair';
        else {
          show({ phase: 'resubmitting' });
          submission = await submit(attempt);
          kind = 'submit';
        }
      }
    });
  } catch (err) {
    if (!isCancellation(err)) throw await cancelAfterFailure(err);
    const runId = submission?.runId;
    if (input.onCancel === 'detach' && !deadlinePassed) {
      show({ phase: 'done' });
      return buildResult(
        {
          outcome: 'UNKNOWN',
          succeeded: false,
          message: 'workflow cancelled; the Databricks run was left running (detach)',
        },
        true,
      );
    }
    if (runId !== undefined) {
      show({ phase: 'cancelling' });
      // Must reach Databricks even though this workflow is being cancelled.
      last = await CancellationScope.nonCancellable(() => api.cancelRun(runId));
    }
    if (!deadlinePassed) throw err;
    verdict = {
      outcome: 'TIMEDOUT',
      succeeded: false,
      message: `deadline of ${input.timeout} ms passed; the Databricks run was cancelled`,
    };
  } finally {
    deadlineScope.cancel();
  }

  const result = await finish(verdict!);
  if (result.succeeded) return result;
  // The first task error is what a person needs to act on; the full outputs are in the details.
  const taskError = result.outputs.find((o) => o.error);
  throw ApplicationFailure.create({
    type: 'DatabricksRunFailed',
    message:
      `Databricks run ${result.runId} ended ${result.outcome}` +
      (result.terminationCode ? ` (${result.terminationCode})` : '') +
      (result.message ? `: ${result.message}` : '') +
      (taskError ? ` — ${taskError.taskKey}: ${taskError.error!.split('\n')[0]!.slice(0, 300)}` : ''),
    nonRetryable: true,
    details: [result],
  });

  async function finish(c: Classification): Promise<RunResult> {
    show({ phase: 'collecting-outputs', outcome: c.outcome });
    const outputs = last
      ? await api
          .getRunOutputs({
            runId: last.runId,
            // A for_each task's outputs are its iterations'.
            tasks: last.tasks.flatMap((t) =>
              t.iterations
                ? t.iterations.map((it, iteration) => ({ taskKey: t.taskKey, runId: it.runId, iteration }))
                : [{ taskKey: t.taskKey, runId: t.runId }],
            ),
          })
          .catch((err: unknown) => {
            log.warn('could not collect task outputs', { error: String(err) });
            return [];
          })
      : [];
    show({ phase: 'done' });
    const omitted = outputs.filter((o) => o.omitted).length;
    return {
      ...buildResult(c, false),
      outputs,
      ...(omitted > 0
        ? {
            outputsOmitted: `the output of ${omitted} task run(s) was left out to keep the result small; runs/get-output has it`,
          }
        : {}),
    };
  }

  /**
   * A failure after submission (a non-retryable answer to runs/get, an unusable response, an auth
   * error) would end the workflow with its Databricks run still going: cancel the run first (in a scope
   * that survives cancellation), then fail with both. `onCancel: "detach"` leaves it. Histories from
   * before failed at once; patched() is consulted only on this path, so usual histories carry no marker.
   */
  async function cancelAfterFailure(err: unknown): Promise<unknown> {
    const runId = submission?.runId;
    if (runId === undefined || input.onCancel === 'detach' || !patched(CANCEL_AFTER_FAILURE_PATCH))
      return err;
    const cause = err instanceof Error ? err : new Error(String(err));
    const reason = (err instanceof ActivityFailure ? err.cause?.message : undefined) ?? cause.message;
    show({ phase: 'cancelling' });
    let cancelled: string;
    try {
      last = await CancellationScope.nonCancellable(() => api.cancelRun(runId));
      cancelled = `the Databricks run ${runId} was cancelled`;
    } catch (cancelError) {
      const why = cancelError instanceof ActivityFailure ? cancelError.cause?.message : String(cancelError);
      log.error('could not cancel the Databricks run after a failure', { runId, error: why });
      cancelled = `cancelling the Databricks run ${runId} failed too (${why}); it may still be running`;
    }
    const c: Classification = {
      outcome: last ? classify(last).outcome : 'UNKNOWN',
      succeeded: false,
      message: reason,
    };
    show({ phase: 'done', outcome: c.outcome });
    return ApplicationFailure.create({
      type: 'DatabricksRunInterrupted',
      message: `${reason} — ${cancelled}`,
      nonRetryable: true,
      cause,
      details: [buildResult(c, false)],
    });
  }

  /**
   * runs/repair of the failed tasks; false when the workspace does not offer repair (the caller then
   * resubmits, and the result says so). Histories never held a RepairUnavailable failure before it
   * existed, so catching it changes no recorded decision.
   */
  async function repair(run: RunSnapshot, failedTasks: string[]): Promise<boolean> {
    show({ phase: 'repairing' });
    const runId = toDatabricksId(run.runId) ?? String(run.runId);
    pendingWait = { notifiedBefore: terminalNotifications.get(runId) ?? 0, lookNow: false };
    try {
      const { repairId } = await api.repairRun(run.runId, run.repairCount);
      log.info('repairing failed tasks', { runId, tasks: failedTasks, repairId });
      return true;
    } catch (err) {
      if (
        !(err instanceof ActivityFailure) ||
        (err.cause as ApplicationFailure | undefined)?.type !== 'RepairUnavailable'
      )
        throw err;
      const reason = err.cause?.message ?? 'runs/repair is not available';
      log.warn('this workspace does not offer runs/repair; resubmitting the whole run instead', {
        runId,
        reason,
      });
      fallbacks.push(`repair → resubmit: ${reason}`);
      return false;
    }
  }

  function buildResult(c: Classification, detached: boolean): RunResult {
    const tasks = last?.tasks ?? [];
    const failedTasks = describeFailedTasks(tasks);
    return {
      outcome: c.outcome,
      succeeded: c.succeeded,
      runId: toDatabricksId(submission?.runId) ?? '',
      jobId: toDatabricksId(submission?.jobId),
      runPageUrl: last?.runPageUrl ?? view.runPageUrl,
      jobFingerprint: submission?.jobFingerprint ?? '',
      terminationType: c.terminationType,
      terminationCode: c.terminationCode,
      message: c.message,
      attempts: view.attempts,
      repairs: last?.repairCount ?? 0,
      tasks,
      ...(failedTasks.length > 0 ? { failedTasks } : {}),
      outputs: [],
      runDurationMs: last?.runDurationMs,
      waitMode: view.waitMode ?? 'poll',
      ...(detached ? { detached: true } : {}),
      ...(fallbacks.length > 0 ? { fallbacks } : {}),
    };
  }
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

function attemptRecord(
  attempt: number,
  run: RunSnapshot,
  c: Classification,
  kind: AttemptRecord['kind'],
): AttemptRecord {
  return {
    attempt,
    runId: run.runId,
    kind,
    outcome: c.outcome,
    terminationType: c.terminationType,
    terminationCode: c.terminationCode,
    message: c.message,
  };
}
