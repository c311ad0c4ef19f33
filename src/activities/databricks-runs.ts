/**
 * Activities that drive one Databricks run. All I/O to the workspace goes through the typed Jobs
 * client; every failure is converted by toActivityFailure (non-retryable for validation, permission
 * and missing jobs; retryable for throttling, 5xx and network errors).
 */
import { activityInfo, ApplicationFailure, heartbeat, log, sleep } from '@temporalio/activity';
import { ApplicationFailureCategory } from '@temporalio/common';
import type { JobsClient } from '../databricks/jobs.js';
import type { Job } from '../databricks/jobs-schemas.js';
import type { LakeloopMetrics } from '../observability/metrics.js';
import { classify, isTerminal } from '../shared/run-classification.js';
import type { SubmitSpec } from '../shared/run-input.js';
import type { RunSnapshot, SubmitResult, TaskOutput } from '../shared/run-types.js';
import { withActivityFailures } from './failures.js';
import { fingerprint, idempotencyToken } from './fingerprint.js';
import { jobRunPageUrl } from '../shared/run-page-url.js';
import { toSnapshot } from './run-snapshot.js';
import type { RunDirectory } from '../webhooks/run-directory.js';

export interface RunActivityDeps {
  jobs: JobsClient;
  /** Workspace URL, for run page links Databricks does not return on submit. */
  host: string;
  /** The notification destination that points at this worker's webhook receiver, when there is one. */
  webhookDestinationId?: string;
  /** Bounds on what enters workflow history per task. */
  outputLimits?: { resultBytes: number; logTailBytes: number };
  /** Runs submitted/finished and termination-detection latency; absent in workers without metrics. */
  metrics?: LakeloopMetrics;
  /** Shared with the receiver in this process: it finds the workflow of a run without a visibility query. */
  runDirectory?: RunDirectory;
}

/** The task runs whose outputs to collect: from the terminal snapshot the workflow holds. */
export interface OutputsTarget {
  runId: number;
  tasks: Array<{ taskKey: string; runId: number }>;
}

export interface SubmitRunRequest {
  /** Names this submission within the workflow ("attempt-1"…): part of the idempotency token. */
  step: string;
  jobId?: number;
  jobName?: string;
  submit?: SubmitSpec;
  jobParameters?: Record<string, string>;
  /** Ask Databricks to notify the webhook receiver (submit runs; jobs must already reference it). */
  notifyWebhook: boolean;
}

const DEFAULT_LIMITS = { resultBytes: 16 * 1024, logTailBytes: 4 * 1024 };

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
    if (!isTerminal(snapshot)) return snapshot;
    const verdict = classify(snapshot);
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

  async function resolveJob(jobs: JobsClient, request: SubmitRunRequest): Promise<Job> {
    if (request.jobId !== undefined) return jobs.getJob(request.jobId);
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
          const wantWebhook = request.notifyWebhook && deps.webhookDestinationId !== undefined;
          const spec = wantWebhook ? withWebhook(request.submit, deps.webhookDestinationId!) : request.submit;
          const { run_id } = await jobs.submitRun({ ...spec, idempotency_token: token });
          deps.runDirectory?.remember(run_id, execution);
          deps.metrics?.runSubmitted('submit');
          log.info('Databricks run submitted', {
            step: request.step,
            databricksRunId: run_id,
            webhook: wantWebhook,
          });
          return {
            runId: run_id,
            jobFingerprint: fingerprint(request.submit),
            webhooksAvailable: wantWebhook,
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

    async getRunState(runId: number): Promise<RunSnapshot> {
      const deps = workspace();
      const snapshot = await withActivityFailures(async () => toSnapshot(await deps.jobs.getRun(runId)));
      return observeTerminal(deps, snapshot, 'webhook');
    },

    /**
     * Poll mode (and webhook mode's safety net): one runs/get per attempt. Until the run is terminal it fails with a benign error and
     * Temporal's retry policy schedules the next look (retries do not add history events).
     */
    async pollUntilTerminal(
      runId: number,
      options: { skipFirstAttempt?: boolean } = {},
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
      const snapshot = await withActivityFailures(async () => toSnapshot(await deps.jobs.getRun(runId)));
      // The safety net always passes its options (its first look is immediate after a slow submission).
      if (isTerminal(snapshot))
        return observeTerminal(
          deps,
          snapshot,
          options.skipFirstAttempt !== undefined ? 'safety-net' : 'poll',
        );
      throw ApplicationFailure.create({
        type: 'RunNotTerminal',
        message: `run ${runId} is ${snapshot.lifeCycleState ?? snapshot.statusState ?? 'not terminal'}`,
        category: ApplicationFailureCategory.BENIGN,
      });
    },

    /**
     * Heartbeat mode: one long activity polling every `intervalMs`. Heartbeats carry the last state,
     * so a retried attempt after a worker crash resumes the same wait (and cancellation arrives).
     */
    async waitForTermination(runId: number, intervalMs: number): Promise<RunSnapshot> {
      const deps = workspace();
      const { jobs } = deps;
      const resumed = activityInfo().heartbeatDetails as { polls?: number } | undefined;
      let polls = resumed?.polls ?? 0;
      for (;;) {
        const snapshot = await withActivityFailures(async () => toSnapshot(await jobs.getRun(runId)));
        polls++;
        heartbeat({ polls, lifeCycleState: snapshot.lifeCycleState });
        if (isTerminal(snapshot)) return observeTerminal(deps, snapshot, 'heartbeat');
        await sleep(intervalMs);
      }
    },

    /**
     * Outputs of every task run, bounded: result, log tail, error and trace (never artifacts' bytes).
     * The workflow passes the task runs of the terminal snapshot it already has, which saves a
     * runs/get per run; a bare run id (workflows started before that) still reads them first.
     */
    async getRunOutputs(target: number | OutputsTarget): Promise<TaskOutput[]> {
      const { jobs, outputLimits } = workspace();
      const limits = outputLimits ?? DEFAULT_LIMITS;
      return withActivityFailures(async () => {
        const tasks =
          typeof target === 'number'
            ? ((await jobs.getRun(target)).tasks ?? []).map((t) => ({ taskKey: t.task_key, runId: t.run_id }))
            : target.tasks;
        const outputs: TaskOutput[] = [];
        for (const task of tasks) {
          const output = await jobs.getRunOutput(task.runId);
          const result = truncateEnd(output.notebook_output?.result, limits.resultBytes);
          outputs.push({
            taskKey: task.taskKey,
            runId: task.runId,
            ...(result.text !== undefined ? { result: result.text } : {}),
            ...(result.truncated || output.notebook_output?.truncated ? { resultTruncated: true } : {}),
            ...(output.logs !== undefined ? { logTail: tail(output.logs, limits.logTailBytes) } : {}),
            ...(output.error ? { error: truncateEnd(output.error, limits.logTailBytes).text } : {}),
            ...(output.error_trace ? { errorTrace: tail(output.error_trace, limits.logTailBytes) } : {}),
          });
        }
        return outputs;
      });
    },

    /** Cancels the run and waits (heartbeating) until Databricks reports it terminal. */
    async cancelRun(runId: number, intervalMs = 1_000): Promise<RunSnapshot> {
      const deps = workspace();
      const { jobs } = deps;
      return withActivityFailures(async () => {
        await jobs.cancelRun(runId);
        log.info('Databricks run cancellation requested', { databricksRunId: runId });
        for (;;) {
          const snapshot = toSnapshot(await jobs.getRun(runId));
          heartbeat({ lifeCycleState: snapshot.lifeCycleState });
          if (isTerminal(snapshot)) return observeTerminal(deps, snapshot, 'cancel');
          await sleep(intervalMs);
        }
      });
    },

    /**
     * Re-runs only the failed tasks. runs/repair has no idempotency token, so a retried attempt first
     * checks whether its repair already happened (the run has more repairs than the workflow knew of).
     */
    async repairRun(runId: number, knownRepairCount: number): Promise<{ repairId: number }> {
      const { jobs } = workspace();
      return withActivityFailures(async () => {
        const before = toSnapshot(await jobs.getRun(runId));
        if (before.repairCount > knownRepairCount && before.latestRepairId !== undefined) {
          return { repairId: before.latestRepairId };
        }
        const { repair_id } = await jobs.repairRun({
          run_id: runId,
          rerun_all_failed_tasks: true,
          ...(before.latestRepairId !== undefined ? { latest_repair_id: before.latestRepairId } : {}),
        });
        return { repairId: repair_id };
      });
    },
  };
}

export type RunActivities = ReturnType<typeof createRunActivities>;
