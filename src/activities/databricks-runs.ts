/**
 * Activities that drive one Databricks run. All I/O to the workspace goes through the typed Jobs
 * client; every failure is converted by toActivityFailure (non-retryable for validation, permission
 * and missing jobs; retryable for throttling, 5xx and network errors).
 */
import { activityInfo, ApplicationFailure, heartbeat, log, sleep } from '@temporalio/activity';
import { ApplicationFailureCategory } from '@temporalio/common';
import { DatabricksApiError } from '../databricks/errors.js';
import type { JobsClient } from '../databricks/jobs.js';
import type { Job, Run, RunTask } from '../databricks/jobs-schemas.js';
import type { LakeloopMetrics } from '../observability/metrics.js';
import { requireDatabricksId, type DatabricksId } from '../shared/databricks-id.js';
import { unknownStateOf } from '../shared/run-classification.js';
import type { SubmitSpec } from '../shared/run-input.js';
import type { RunSnapshot, SubmitResult, TaskOutput } from '../shared/run-types.js';
import { isFeatureUnavailable, isNotificationRefusal } from './capabilities.js';
import { withActivityFailures } from './failures.js';
import { definitionFingerprint, fingerprint, idempotencyToken } from './fingerprint.js';
import { jobRunPageUrl } from '../shared/run-page-url.js';
import { planNextPoll, type PollPlan } from './poll-schedule.js';
import type { RunDurations } from './run-durations.js';
import { toSnapshot } from './run-snapshot.js';
import type { RunDirectory } from '../webhooks/run-directory.js';

export interface RunActivityDeps {
  jobs: JobsClient;
  /** Workspace URL, for run page links Databricks does not return on submit. */
  host: string;
  /** The notification destination that points at this worker's webhook receiver, when there is one. */
  webhookDestinationId?: string;
  /**
   * Bounds on what enters workflow history: per task, and for all outputs of a run together (a
   * 300-task run must stay far below Temporal's 2 MB payload limit).
   */
  outputLimits?: { resultBytes: number; logTailBytes: number; totalBytes?: number };
  /** Runs submitted/finished and termination-detection latency; absent in workers without metrics. */
  metrics?: LakeloopMetrics;
  /** Shared with the receiver in this process: it finds the workflow of a run without a visibility query. */
  runDirectory?: RunDirectory;
  /**
   * Poll mode's predictive looks (poll-schedule.ts): earlier runs' durations and the bounds on the
   * delay. Absent: the retry policy's back-off alone (LAKELOOP_POLL_PREDICTION=off).
   */
  pollPrediction?: { durations: RunDurations; minDelayMs: number; maxDelayMs: number };
}

/** The task runs whose outputs to collect: from the terminal snapshot the workflow holds. */
export interface OutputsTarget {
  runId: DatabricksId | number;
  tasks: Array<{ taskKey: string; runId: DatabricksId | number; iteration?: number }>;
}

export interface SubmitRunRequest {
  /** Names this submission within the workflow ("attempt-1"…): part of the idempotency token. */
  step: string;
  /** A decimal string; a number from a workflow started before ids were strings. */
  jobId?: DatabricksId | number;
  jobName?: string;
  submit?: SubmitSpec;
  jobParameters?: Record<string, string>;
  /** Ask Databricks to notify the webhook receiver (submit runs; jobs must already reference it). */
  notifyWebhook: boolean;
  /**
   * Seconds until the workflow's deadline (plus a margin): a one-time run gets it as Databricks' own
   * `timeout_seconds`, so Databricks stops the run even if no workflow code ever runs again.
   */
  deadlineSeconds?: number;
}

/** While a run is not yet terminating, runs/cancel is sent again every this many looks at it. */
const CANCEL_REPEAT_POLLS = 30;

const DEFAULT_LIMITS = { resultBytes: 16 * 1024, logTailBytes: 4 * 1024, totalBytes: 512 * 1024 };

function nonRetryable(message: string, type: string): ApplicationFailure {
  return ApplicationFailure.create({ message, type, nonRetryable: true });
}

function referencesDestination(job: Job, destinationId: string | undefined): boolean {
  if (!destinationId) return false;
  const notifications = (
    job.settings as { webhook_notifications?: Record<string, Array<{ id?: string }>> } | undefined
  )?.webhook_notifications;
  const has = (event: string) => (notifications?.[event] ?? []).some((d) => d.id === destinationId);
  return has('on_success') && has('on_failure');
}

function withWebhook(spec: SubmitSpec, destinationId: string): SubmitSpec {
  const existing = (spec.webhook_notifications ?? {}) as Record<string, Array<{ id: string }>>;
  const add = (event: string) => [
    ...(existing[event] ?? []).filter((d) => d.id !== destinationId),
    { id: destinationId },
  ];
  return {
    ...spec,
    webhook_notifications: {
      ...existing,
      on_start: add('on_start'),
      on_success: add('on_success'),
      on_failure: add('on_failure'),
    },
  };
}

/**
 * The run's `timeout_seconds` no later than the workflow's deadline: the user's own when shorter.
 * (0 or absent means "no timeout" to Databricks.) run-now takes no timeout — a job's lives in its
 * settings — so this applies to one-time runs only.
 */
function withDeadline(spec: SubmitSpec, deadlineSeconds: number | undefined): SubmitSpec {
  if (deadlineSeconds === undefined) return spec;
  const own = spec.timeout_seconds;
  return {
    ...spec,
    timeout_seconds: own !== undefined && own > 0 ? Math.min(own, deadlineSeconds) : deadlineSeconds,
  };
}

function truncateEnd(text: string | undefined, bytes: number): { text?: string; truncated: boolean } {
  if (text === undefined) return { truncated: false };
  const buffer = Buffer.from(text, 'utf8');
  if (buffer.length <= bytes) return { text, truncated: false };
  return { text: buffer.subarray(0, bytes).toString('utf8'), truncated: true };
}

function tail(text: string | undefined, bytes: number): string | undefined {
  if (text === undefined) return undefined;
  const buffer = Buffer.from(text, 'utf8');
  return buffer.length <= bytes ? text : buffer.subarray(buffer.length - bytes).toString('utf8');
}

/**
 * `workspace` is called per activity: a worker without Databricks settings still registers these
 * activities, and they fail non-retryably with a clear message instead of "activity not registered".
 */
export function createRunActivities(workspace: () => RunActivityDeps) {
  /**
   * The activity returning a terminal snapshot is where Lakeloop observes the end of a run: count it
   * (once per run and end time) and measure end_time → now. Workflows stay free of clocks and I/O.
   */
  function observeTerminal(deps: RunActivityDeps, snapshot: RunSnapshot, mode: string): RunSnapshot {
    const unknown = unknownStateOf(snapshot);
    if (unknown !== undefined && !snapshot.terminal) {
      log.warn(
        'Databricks reported a run state this version of Lakeloop does not know; treating the run as still running',
        {
          databricksRunId: snapshot.runId,
          state: unknown,
        },
      );
    }
    const verdict = snapshot.verdict;
    if (!snapshot.terminal || !verdict) return snapshot;
    const latencySeconds = deps.metrics?.runTerminal(snapshot, verdict, mode);
    log.info('Databricks run observed terminal', {
      databricksRunId: snapshot.runId,
      outcome: verdict.outcome,
      terminationType: verdict.terminationType,
      terminationCode: verdict.terminationCode,
      waitMode: mode,
      ...(latencySeconds !== undefined ? { detectionLatencySeconds: latencySeconds } : {}),
    });
    return snapshot;
  }

  async function resolveJob(
    jobs: JobsClient,
    request: SubmitRunRequest,
  ): Promise<Job & { job_id: DatabricksId }> {
    if (request.jobId !== undefined) return jobs.getJob(requireDatabricksId(request.jobId, 'jobId'));
    const matches = await jobs.findJobsByName(request.jobName!);
    if (matches.length === 0)
      throw nonRetryable(`no Databricks job is named "${request.jobName}"`, 'DatabricksJobNotFound');
    if (matches.length > 1) {
      throw nonRetryable(
        `${matches.length} Databricks jobs are named "${request.jobName}" (ids ${matches.map((j) => j.job_id).join(', ')}); use jobId`,
        'DatabricksJobAmbiguous',
      );
    }
    return matches[0]!;
  }

  return {
    /**
     * Starts the run exactly once per workflow execution and step: the idempotency token makes a
     * retried activity (after a crash or a lost response) get the run it already created.
     */
    async submitRun(request: SubmitRunRequest): Promise<SubmitResult> {
      const deps = workspace();
      const { jobs } = deps;
      return withActivityFailures(async () => {
        const execution = activityInfo().workflowExecution;
        if (!execution) throw nonRetryable('submitRun must be called from a workflow', 'NoWorkflowContext');
        const token = idempotencyToken(execution.workflowId, execution.runId, request.step);
        if (request.submit) {
          const submitSpec = withDeadline(request.submit, request.deadlineSeconds);
          const wantWebhook = request.notifyWebhook && deps.webhookDestinationId !== undefined;
          let refused: string | undefined;
          let submitted: { run_id: DatabricksId };
          try {
            const spec = wantWebhook ? withWebhook(submitSpec, deps.webhookDestinationId!) : submitSpec;
            submitted = await jobs.submitRun({ ...spec, idempotency_token: token });
          } catch (err) {
            // A workspace without notification destinations (or without this one) refuses the whole
            // request, so no run exists yet: submit again without notifications (same token) and poll.
            if (!wantWebhook || !isNotificationRefusal(err)) throw err;
            refused = (err as DatabricksApiError).message;
            log.warn(
              'the workspace refused job notifications for this run; submitting without them and polling',
              {
                step: request.step,
                error: refused,
              },
            );
            submitted = await jobs.submitRun({ ...submitSpec, idempotency_token: token });
          }
          const runId = submitted.run_id;
          deps.runDirectory?.remember(runId, execution);
          deps.metrics?.runSubmitted('submit');
          log.info('Databricks run submitted', {
            step: request.step,
            databricksRunId: runId,
            webhook: wantWebhook && refused === undefined,
          });
          return {
            runId,
            jobFingerprint: fingerprint(request.submit),
            definitionFingerprint: definitionFingerprint(request.submit),
            webhooksAvailable: wantWebhook && refused === undefined,
            ...(refused !== undefined ? { webhooksRefused: refused } : {}),
          };
        }
        const job = await resolveJob(jobs, request);
        const { run_id } = await jobs.runNow({
          job_id: job.job_id,
          idempotency_token: token,
          ...(request.jobParameters ? { job_parameters: request.jobParameters } : {}),
        });
        deps.runDirectory?.remember(run_id, execution);
        deps.metrics?.runSubmitted('run-now');
        log.info('Databricks job run started', {
          step: request.step,
          databricksRunId: run_id,
          databricksJobId: job.job_id,
        });
        return {
          runId: run_id,
          jobId: job.job_id,
          // Shown until the first runs/get brings Databricks' own run_page_url.
          runPageUrl: jobRunPageUrl(deps.host, job.job_id, run_id),
          jobFingerprint: fingerprint(job.settings ?? {}),
          webhooksAvailable: referencesDestination(job, deps.webhookDestinationId),
        };
      });
    },

    /** One runs/get reading of a Databricks run, classified (the poll wait mode calls it). */
    async getRunState(runId: DatabricksId | number): Promise<RunSnapshot> {
      const deps = workspace();
      const snapshot = await withActivityFailures(() => readRun(deps.jobs, runId));
      return observeTerminal(deps, snapshot, 'webhook');
    },

    /**
     * Poll mode (and webhook mode's safety net): one runs/get per attempt. Until the run is terminal it fails with a benign error and
     * Temporal's retry policy schedules the next look (retries do not add history events).
     */
    async pollUntilTerminal(
      runId: DatabricksId | number,
      options: {
        skipFirstAttempt?: boolean;
        /** Poll mode: the input's maxPollInterval, which also bounds predicted looks past the likely end. */
        maxPollIntervalMs?: number;
        /** A one-time run's definition fingerprint: earlier runs of it (any name) predict this one. */
        definition?: string;
      } = {},
    ): Promise<RunSnapshot> {
      if (options.skipFirstAttempt && activityInfo().attempt === 1) {
        // Webhook mode's safety net: scheduled at once (so history is the same for any run length),
        // but it first looks one retry interval later — a notification normally arrives before.
        throw ApplicationFailure.create({
          type: 'RunNotTerminal',
          message: `safety-net poll of run ${runId} armed`,
          category: ApplicationFailureCategory.BENIGN,
        });
      }
      const deps = workspace();
      const { snapshot, run } = await withActivityFailures(() => readRunAndAnswer(deps.jobs, runId));
      // The safety net always passes its options (its first look is immediate after a slow submission).
      const safetyNet = options.skipFirstAttempt !== undefined;
      if (snapshot.terminal) return observeTerminal(deps, snapshot, safetyNet ? 'safety-net' : 'poll');
      observeTerminal(deps, snapshot, 'poll'); // warns about a state it does not know
      // Poll mode looks again when this job's earlier runs say the end is likely (the safety net keeps
      // its own slow interval); without enough history the retry policy's back-off decides.
      const plan = safetyNet ? undefined : await predictNextLook(deps, run, options);
      throw ApplicationFailure.create({
        type: 'RunNotTerminal',
        message:
          `run ${snapshot.runId} is ${snapshot.statusState ?? snapshot.lifeCycleState ?? 'not terminal'}` +
          (plan ? `; ${describePlan(plan)}` : ''),
        category: ApplicationFailureCategory.BENIGN,
        ...(plan ? { nextRetryDelay: plan.delayMs } : {}),
      });
    },

    /**
     * Heartbeat mode: one long activity polling every `intervalMs`. Heartbeats carry the last state,
     * so a retried attempt after a worker crash resumes the same wait (and cancellation arrives).
     */
    async waitForTermination(runId: DatabricksId | number, intervalMs: number): Promise<RunSnapshot> {
      const deps = workspace();
      const { jobs } = deps;
      const resumed = activityInfo().heartbeatDetails as { polls?: number } | undefined;
      let polls = resumed?.polls ?? 0;
      for (;;) {
        const snapshot = await withActivityFailures(() => readRun(jobs, runId));
        polls++;
        heartbeat({ polls, lifeCycleState: snapshot.lifeCycleState });
        if (snapshot.terminal) return observeTerminal(deps, snapshot, 'heartbeat');
        await sleep(intervalMs);
      }
    },

    /**
     * Outputs of every task run, bounded: result, log tail, error and trace (never artifacts' bytes).
     * The workflow passes the task runs of the terminal snapshot it already has, which saves a
     * runs/get per run; a bare run id (workflows started before that) still reads them first.
     */
    async getRunOutputs(target: DatabricksId | number | OutputsTarget): Promise<TaskOutput[]> {
      const { jobs, outputLimits } = workspace();
      const limits = { ...DEFAULT_LIMITS, ...outputLimits };
      return withActivityFailures(async () => {
        const tasks: OutputsTarget['tasks'] =
          typeof target === 'object'
            ? target.tasks
            : (await readRun(jobs, target)).tasks.flatMap((t) =>
                t.iterations
                  ? t.iterations.map((it, iteration) => ({ taskKey: t.taskKey, runId: it.runId, iteration }))
                  : [{ taskKey: t.taskKey, runId: t.runId }],
              );
        const outputs: TaskOutput[] = [];
        let budget = limits.totalBytes;
        for (const [index, task] of tasks.entries()) {
          // A run of hundreds of tasks takes a while under the request budget: say we are alive (and
          // learn of a cancellation).
          heartbeat({ collected: index });
          const runId = requireDatabricksId(task.runId, `task ${task.taskKey}`);
          const where = {
            taskKey: task.taskKey,
            runId,
            ...(task.iteration !== undefined ? { iteration: task.iteration } : {}),
          };
          let output;
          try {
            output = await jobs.getRunOutput(runId);
          } catch (err) {
            // One task whose output Databricks will not give (a task type without output, a run
            // deleted meanwhile) must not cost the outputs of the others.
            if (err instanceof DatabricksApiError && !err.retryable) {
              outputs.push({ ...where, error: `output unavailable: ${err.message}` });
              continue;
            }
            throw err;
          }
          // Errors first: they are what a person needs when the budget runs short.
          const error = output.error ? truncateEnd(output.error, limits.logTailBytes).text : undefined;
          const errorTrace = output.error_trace ? tail(output.error_trace, limits.logTailBytes) : undefined;
          const spent = budget <= 0;
          const result = truncateEnd(
            output.notebook_output?.result,
            Math.min(limits.resultBytes, Math.max(0, budget)),
          );
          const logTail =
            output.logs !== undefined
              ? tail(output.logs, Math.min(limits.logTailBytes, Math.max(0, budget)))
              : undefined;
          const entry: TaskOutput = {
            ...where,
            ...(result.text !== undefined && !spent ? { result: result.text } : {}),
            ...(result.truncated || output.notebook_output?.truncated ? { resultTruncated: true } : {}),
            ...(logTail !== undefined && !spent ? { logTail } : {}),
            ...(error ? { error } : {}),
            ...(errorTrace && !spent ? { errorTrace } : {}),
            ...(spent ? { omitted: true } : {}),
          };
          budget -= Buffer.byteLength(JSON.stringify(entry), 'utf8');
          outputs.push(entry);
        }
        return outputs;
      });
    },

    /** Cancels the run and waits (heartbeating) until Databricks reports it terminal. */
    async cancelRun(rawRunId: DatabricksId | number, intervalMs = 1_000): Promise<RunSnapshot> {
      const deps = workspace();
      const { jobs } = deps;
      return withActivityFailures(async () => {
        const runId = requireDatabricksId(rawRunId, 'runId');
        // runs/cancel is asynchronous (reference §1.1): ask, then watch the run until it has ended,
        // asking again while Databricks has not even started terminating it (a lost or ignored cancel).
        for (let polls = 0; ; polls++) {
          if (polls % CANCEL_REPEAT_POLLS === 0) {
            await jobs.cancelRun(runId);
            log.info('Databricks run cancellation requested', { databricksRunId: runId, polls });
          }
          const snapshot = await readRun(jobs, runId);
          heartbeat({ lifeCycleState: snapshot.lifeCycleState, polls });
          if (snapshot.terminal) return observeTerminal(deps, snapshot, 'cancel');
          // Terminating: the cancel took; only wait for it to finish.
          if (snapshot.statusState === 'TERMINATING' || snapshot.lifeCycleState === 'TERMINATING') polls = 1;
          await sleep(intervalMs);
        }
      });
    },

    /**
     * Re-runs only the failed tasks. runs/repair has no idempotency token, so a retried attempt first
     * checks whether its repair already happened (the run has more repairs than the workflow knew of).
     */
    async repairRun(
      rawRunId: DatabricksId | number,
      knownRepairCount: number,
    ): Promise<{ repairId: DatabricksId }> {
      const { jobs } = workspace();
      return withActivityFailures(async () => {
        const runId = requireDatabricksId(rawRunId, 'runId');
        const before = await readRun(jobs, runId);
        if (before.repairCount > knownRepairCount && before.latestRepairId !== undefined) {
          return { repairId: before.latestRepairId };
        }
        try {
          const { repair_id } = await jobs.repairRun({
            run_id: runId,
            rerun_all_failed_tasks: true,
            ...(before.latestRepairId !== undefined ? { latest_repair_id: before.latestRepairId } : {}),
          });
          return { repairId: repair_id };
        } catch (err) {
          // A workspace (or proxy) that does not serve runs/repair: the workflow resubmits instead.
          if (isFeatureUnavailable(err)) {
            throw ApplicationFailure.create({
              type: 'RepairUnavailable',
              message: `this workspace does not offer runs/repair: ${(err as DatabricksApiError).message}`,
              nonRetryable: true,
            });
          }
          throw err;
        }
      });
    },
  };
}

export type RunActivities = ReturnType<typeof createRunActivities>;

/**
 * runs/get of a run (all pages) as a snapshot; once it is terminal, the iterations of its for_each
 * tasks too (a runs/get of each for_each task run lists them, paged the same way), so a result can
 * say which iteration failed. Iterations are read only at the end: a poll of a running run costs one
 * runs/get however many iterations it has.
 */
async function readRun(jobs: JobsClient, rawRunId: DatabricksId | number): Promise<RunSnapshot> {
  return (await readRunAndAnswer(jobs, rawRunId)).snapshot;
}

/** The snapshot, and runs/get's answer it was made from (the poll's prediction reads its job). */
async function readRunAndAnswer(
  jobs: JobsClient,
  rawRunId: DatabricksId | number,
): Promise<{ snapshot: RunSnapshot; run: Run }> {
  const runId = requireDatabricksId(rawRunId, 'runId');
  const run = await jobs.getRun(runId);
  const first = toSnapshot({ ...run, run_id: run.run_id ?? runId });
  const forEachTasks = (run.tasks ?? []).filter((task) => task.for_each_task && task.run_id !== undefined);
  if (!first.terminal || forEachTasks.length === 0) return { snapshot: first, run };
  const iterations = new Map<string, RunTask[]>();
  for (const task of forEachTasks) {
    iterations.set(task.run_id!, (await jobs.getRun(task.run_id!)).iterations ?? []);
  }
  return { snapshot: toSnapshot({ ...run, run_id: run.run_id ?? runId }, iterations), run };
}

/**
 * The predicted next look for a running run, or undefined (no prediction configured, no start time
 * yet, too few earlier runs). Earlier runs that cannot be read count as none (see RunDurations).
 */
async function predictNextLook(
  deps: RunActivityDeps,
  run: Run,
  { maxPollIntervalMs, definition }: { maxPollIntervalMs?: number; definition?: string },
): Promise<PollPlan | undefined> {
  const prediction = deps.pollPrediction;
  if (!prediction || run.start_time === undefined || run.start_time <= 0) return undefined;
  return planNextPoll({
    elapsedMs: Date.now() - run.start_time,
    pastDurationsMs: await prediction.durations.of(run, definition),
    minDelayMs: prediction.minDelayMs,
    maxDelayMs: prediction.maxDelayMs,
    ...(maxPollIntervalMs !== undefined ? { lateMaxDelayMs: maxPollIntervalMs } : {}),
  });
}

function describePlan(plan: PollPlan): string {
  const s = (ms: number) => `${Math.round(ms / 1000)} s`;
  return (
    `${plan.samples} earlier runs of this job took ${s(plan.lowMs)}–${s(plan.highMs)} ` +
    `(median ${s(plan.expectedMs)}): next look in ${s(plan.delayMs)} (${plan.phase})`
  );
}
