/**
 * A Lakeloop worker wired to an in-process emulator: the real token layer, HTTP client and request
 * budget, exactly as src/worker.ts builds them, pointed at a local workspace.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import type { DatabricksHttpClient } from '../../src/databricks/http.js';
import { createWorkspaceClient } from '../../src/databricks/workspace-client.js';
import type { DatabricksAuthSettings } from '../../src/config/databricks.js';
import { PAT, type TestEmulator } from '../emulator/helpers.js';
import { createTestWorker, testActivityDeps } from './temporal.js';

export function databricksClientFor(
  emulator: TestEmulator,
  auth?: DatabricksAuthSettings,
): DatabricksHttpClient {
  const settings = auth ?? { authType: 'pat' as const, host: emulator.url, token: PAT };
  return createWorkspaceClient(settings, { requestsPerSecond: 500, burst: 500, timeoutMs: 5_000 });
}

export function createWorkspaceWorker(
  env: TestWorkflowEnvironment,
  taskQueue: string,
  emulator: TestEmulator,
  extra: { webhookDestinationId?: string; auth?: DatabricksAuthSettings } = {},
): Promise<Worker> {
  return createTestWorker(
    env,
    taskQueue,
    testActivityDeps({
      databricks: databricksClientFor(emulator, extra.auth),
      webhookDestinationId: extra.webhookDestinationId,
    }),
  );
}

/** Requests per endpoint from the emulator's stats, ignoring the API version. */
export async function requestCounts(emulator: TestEmulator): Promise<Record<string, number>> {
  const stats = await emulator.control<{ requests: Record<string, number> }>('GET', '/stats');
  const counts: Record<string, number> = {};
  for (const [key, n] of Object.entries(stats.requests)) {
    const normalised = key.replace(/\/api\/2\.\d\//, '/api/*/');
    counts[normalised] = (counts[normalised] ?? 0) + n;
  }
  return counts;
}

export async function runsCreated(emulator: TestEmulator): Promise<number> {
  return (await emulator.control<{ runs: { created: number } }>('GET', '/stats')).runs.created;
}
