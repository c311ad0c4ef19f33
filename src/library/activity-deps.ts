/**
 * ActivityDeps for a worker that is not Lakeloop's own process: the workspace client built from the
 * same settings `npm run worker` reads (DATABRICKS_* / ~/.databrickscfg, LAKELOOP_DATABRICKS_*
 * request budget, LAKELOOP_HTTP_TIMEOUT_SECONDS), so an embedding worker gets the same token layer and
 * request budget without copying src/worker.ts.
 */
import os from 'node:os';
import type { ActivityDeps } from '../activities/index.js';
import { ConfigError, type LakeloopConfig } from '../config/index.js';
import { createWorkspaceClient } from '../databricks/workspace-client.js';
import { lakeloopVersion } from '../shared/version.js';

/**
 * What {@link activityDepsFromConfig} does not read from the configuration, or overrides: any
 * ActivityDeps field but the workspace client, and where the client's warnings go.
 */
export interface ActivityDepsOptions extends Partial<Omit<ActivityDeps, 'databricks'>> {
  /** Told when the workspace client has something to say (a PAT in use, OAuth discovery falling back). */
  warn?(message: string): void;
}

/**
 * Builds the dependencies of `createActivities` from a loaded configuration (`loadConfig()`): a
 * Databricks workspace client with the configured credentials, request budget and timeout, this
 * process's identity, and Lakeloop's version. Pass `temporal` (a Client on your worker's connection)
 * if your worker runs the orphan reaper's activities.
 *
 * @throws {@link ConfigError} when the configuration names no Databricks workspace.
 */
export function activityDepsFromConfig(
  config: LakeloopConfig,
  options: ActivityDepsOptions = {},
): ActivityDeps {
  if (!config.databricks) {
    throw new ConfigError([
      'DATABRICKS_HOST: required — the workspace URL, with credentials (DATABRICKS_CLIENT_ID and ' +
        'DATABRICKS_CLIENT_SECRET, LAKELOOP_OIDC_* for federation, or DATABRICKS_TOKEN), or a ~/.databrickscfg profile',
    ]);
  }
  const { warn, ...deps } = options;
  return {
    workerIdentity: `${process.pid}@${os.hostname()}`,
    workerStartedAt: new Date().toISOString(),
    lakeloopVersion: lakeloopVersion(),
    modelRegistry: config.worker.modelRegistry,
    pollPrediction:
      config.worker.pollPrediction === 'off' ? 'off' : { maxDelayMs: config.worker.pollPrediction },
    ...deps,
    databricks: createWorkspaceClient(config.databricks, {
      ...(warn ? { warn } : {}),
      ...(deps.metrics ? { metrics: deps.metrics } : {}),
      requestsPerSecond: config.worker.databricksRequestsPerSecond,
      burst: config.worker.databricksBurst,
      timeoutMs: config.worker.httpTimeoutSeconds * 1000,
    }),
  };
}
