/**
 * `lakeloop/activities`: Lakeloop's activities for any worker that serves its workflows. Build their
 * dependencies with `activityDepsFromConfig` from `lakeloop/worker`, or pass your own workspace client.
 *
 * @packageDocumentation
 */
import { activityInfo, ApplicationFailure, Context, log } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type { DatabricksHttpClient } from '../databricks/http.js';
import { JobsClient } from '../databricks/jobs.js';
import { MlflowClient } from '../mlflow/client.js';
import type { ModelRegistryKind } from '../mlflow/model-registry.js';
import { UnityCatalogModels } from '../mlflow/uc-models.js';
import type { LakeloopMetrics } from '../observability/metrics.js';
import { createRunActivities, type RunActivityDeps } from './databricks-runs.js';
import { describeIdentity, type IdentityDescription } from './describe-identity.js';
import { createMlflowActivities, type MlflowActivityDeps } from './mlflow.js';
import { createReaperActivities } from './reaper.js';
import { definitionHistoryFrom } from './definition-history.js';
import { DEFAULT_RUN_DURATION_OPTIONS, RunDurations } from './run-durations.js';
import type { RunDirectory } from '../webhooks/run-directory.js';

export type { IdentityDescription } from './describe-identity.js';
export type { ArtifactReference, ModelVersionInfo, RunMetrics } from './mlflow.js';

/** What each activity needs from the worker process; tests pass real objects pointed at local servers. */
export interface ActivityDeps {
  /** The worker's Temporal identity (e.g. "1234@host"), as shown in the Temporal UI. */
  workerIdentity: string;
  /** When the worker process started (ISO 8601). */
  workerStartedAt: string;
  lakeloopVersion: string;
  /** The workspace client (token layer inside); absent only in workers that run no Databricks work. */
  databricks?: DatabricksHttpClient;
  /** The notification destination pointing at this worker's webhook receiver, when it has one. */
  webhookDestinationId?: string;
  outputLimits?: RunActivityDeps['outputLimits'];
  /** The worker's metrics (runs submitted/finished, detection latency); tests pass a real one. */
  metrics?: LakeloopMetrics;
  /** Filled on every submission, read by the webhook receiver in the same process. */
  runDirectory?: RunDirectory;
  /** Where models are registered and promoted (LAKELOOP_MODEL_REGISTRY); default unity-catalog. */
  modelRegistry?: ModelRegistryKind;
  /**
   * A Temporal client on the worker's connection, namespace and codec: the orphan reaper reads the
   * visibility store with it. Absent: the reaper's activities fail non-retryably, saying so.
   */
  temporal?: Client;
  /**
   * Poll mode's predictive looks: the longest wait between looks (LAKELOOP_POLL_PREDICTION), or "off".
   * Absent: on, with the default 10-minute bound.
   */
  pollPrediction?: { maxDelayMs: number } | 'off';
}

/** What the `describeWorker` activity (the health check's) reports about the worker that ran it. */
export interface WorkerDescription {
  identity: string;
  taskQueue: string;
  startedAt: string;
  lakeloopVersion: string;
  nodeVersion: string;
}

/** The activities {@link createActivities} returns, by name. */
export type LakeloopActivities = ReturnType<typeof createActivities>;

/**
 * The cancellation signal of the activity running now, if any: a Databricks request made on behalf of
 * a cancelled activity is aborted at once (the activity learns of its cancellation through heartbeats).
 */
export function activityCancellationSignal(): AbortSignal | undefined {
  try {
    return Context.current().cancellationSignal;
  } catch {
    return undefined; // not inside an activity (worker start-up checks, the CLI)
  }
}

/** Predicted looks are never closer than this (the retry policy's own floor is the poll interval). */
const MIN_PREDICTED_DELAY_MS = 1_000;
const DEFAULT_PREDICTED_MAX_DELAY_MS = 10 * 60_000;

/**
 * Lakeloop's activities, bound to `deps`: register them on any worker that serves Lakeloop's
 * workflows (`Worker.create({ activities: { ...createActivities(deps), ...yours } })`). Their names
 * are the ones the workflows schedule, so do not rename them; your own activities must not reuse
 * these names.
 */
export function createActivities(deps: ActivityDeps) {
  deps.databricks?.setCancellationSource(activityCancellationSignal);
  const requireDatabricks = (): DatabricksHttpClient => {
    if (!deps.databricks) {
      throw ApplicationFailure.nonRetryable(
        'this worker has no Databricks workspace configured (set DATABRICKS_HOST and credentials)',
        'DatabricksNotConfigured',
      );
    }
    return deps.databricks;
  };
  let workspace: RunActivityDeps | undefined;
  const requireWorkspace = (): RunActivityDeps => {
    const http = requireDatabricks();
    if (workspace) return workspace;
    const jobs = new JobsClient(http);
    workspace = {
      jobs,
      host: http.host,
      webhookDestinationId: deps.webhookDestinationId,
      outputLimits: deps.outputLimits,
      metrics: deps.metrics,
      runDirectory: deps.runDirectory,
      ...(deps.pollPrediction === 'off'
        ? {}
        : {
            pollPrediction: {
              durations: new RunDurations(
                jobs,
                (error, key) =>
                  log.warn(
                    'could not read earlier runs to predict when runs end; polling with the back-off',
                    {
                      jobs: key,
                      error: (error as Error).message,
                    },
                  ),
                DEFAULT_RUN_DURATION_OPTIONS,
                Date.now,
                // One-time runs also learn from this worker's namespace: earlier runs of their definition.
                deps.temporal ? definitionHistoryFrom(deps.temporal) : undefined,
              ),
              minDelayMs: MIN_PREDICTED_DELAY_MS,
              maxDelayMs: deps.pollPrediction?.maxDelayMs ?? DEFAULT_PREDICTED_MAX_DELAY_MS,
            },
          }),
    };
    return workspace;
  };
  let mlflow: MlflowActivityDeps | undefined;
  // Built on first use from the same workspace client (token layer, budget); fails non-retryably
  // through requireDatabricks when the worker has no workspace.
  const requireMlflow = (): MlflowActivityDeps => {
    if (mlflow) return mlflow;
    const http = requireDatabricks();
    mlflow = {
      mlflow: new MlflowClient(http),
      ucModels: new UnityCatalogModels(http),
      registry: deps.modelRegistry ?? 'unity-catalog',
    };
    return mlflow;
  };

  const requireTemporal = (): Client => {
    if (!deps.temporal) {
      throw ApplicationFailure.nonRetryable(
        'this worker was started without a Temporal client for visibility queries (ActivityDeps.temporal)',
        'TemporalClientNotConfigured',
      );
    }
    return deps.temporal;
  };

  return {
    ...createRunActivities(requireWorkspace),
    ...createMlflowActivities(requireMlflow),
    ...createReaperActivities({ temporal: requireTemporal, jobs: () => requireWorkspace().jobs }),

    /** Describes the worker that ran this activity; contains no configuration values or secrets. */
    async describeWorker(): Promise<WorkerDescription> {
      return {
        identity: deps.workerIdentity,
        taskQueue: activityInfo().taskQueue,
        startedAt: deps.workerStartedAt,
        lakeloopVersion: deps.lakeloopVersion,
        nodeVersion: process.version,
      };
    },

    /** The design card's "token exchange" step: returns who we are to Databricks, never the token. */
    async describeIdentity(): Promise<IdentityDescription> {
      return describeIdentity(requireDatabricks());
    },
  };
}
