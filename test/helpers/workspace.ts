/**
 * A Lakeloop worker wired to an in-process emulator: the real token layer, HTTP client and request
 * budget, exactly as src/worker.ts builds them, pointed at a local workspace.
 */
import type { PayloadCodec } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import type { ActivityDeps } from '../../src/activities/index.js';
import type { DatabricksHttpClient } from '../../src/databricks/http.js';
import { createWorkspaceClient } from '../../src/databricks/workspace-client.js';
import type { DatabricksAuthSettings } from '../../src/config/databricks.js';
import type { WorkerDeploymentSettings } from '../../src/config/deployment.js';
import type { EmulatorOptions } from '../../emulator/options.js';
import type { LineageEmitter } from '../../src/lineage/openlineage/emitter.js';
import {
  startWebhookReceiver,
  type WebhookReceiver,
  type WebhookReceiverOptions,
} from '../../src/webhooks/receiver.js';
import { PAT, startTestEmulator, type TestEmulator } from '../emulator/helpers.js';
import { connectToTestServer, createTestWorker, testActivityDeps, uniqueTaskQueue } from './temporal.js';
import { RunDirectory } from '../../src/webhooks/run-directory.js';

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
  extra: {
    webhookDestinationId?: string;
    auth?: DatabricksAuthSettings;
    payloadCodec?: PayloadCodec;
    runDirectory?: RunDirectory;
    modelRegistry?: ActivityDeps['modelRegistry'];
    lineage?: LineageEmitter;
    deployment?: WorkerDeploymentSettings;
    workflowBundlePath?: string;
  } = {},
): Promise<Worker> {
  return createTestWorker(
    env,
    taskQueue,
    testActivityDeps({
      databricks: databricksClientFor(emulator, extra.auth),
      webhookDestinationId: extra.webhookDestinationId,
      runDirectory: extra.runDirectory,
      ...(extra.modelRegistry ? { modelRegistry: extra.modelRegistry } : {}),
      // As in src/worker.ts: the orphan reaper's activities read visibility with it.
      temporal: env.client,
    }),
    {
      payloadCodec: extra.payloadCodec,
      lineage: extra.lineage,
      deployment: extra.deployment,
      workflowBundlePath: extra.workflowBundlePath,
    },
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

export interface WorkspaceHarnessOptions {
  /** Task-queue prefix (each harness gets a unique queue). */
  name: string;
  emulator?: Partial<EmulatorOptions>;
  /**
   * Also run a webhook receiver and register it as the worker's notification destination. Like the
   * receiver inside src/worker.ts it reads the worker's run directory (a new one unless given): without
   * it, routing would hang on visibility catching up within the receiver's lookup window, which a
   * loaded CI machine does not promise when tests shorten that window.
   */
  receiver?: Omit<WebhookReceiverOptions, 'client' | 'host' | 'port'>;
  /** The worker's payload codec (e.g. encryption); the harness's `env.client` stays without it. */
  payloadCodec?: PayloadCodec;
  /** The worker's LAKELOOP_MODEL_REGISTRY (default unity-catalog). */
  modelRegistry?: ActivityDeps['modelRegistry'];
  /** How the worker authenticates (default: the test PAT), given the started emulator. */
  auth?: (emulator: TestEmulator) => DatabricksAuthSettings;
  /**
   * The worker's notification destination when there is no receiver: e.g. one the workspace does not
   * have, to see the worker fall back to polling.
   */
  webhookDestinationId?: string;
  /** Where the worker's OpenLineage events go (src/lineage/openlineage); undefined: lineage off. */
  lineage?: LineageEmitter;
}

/** A running test set-up: dev-server client, emulator, optional receiver, and a worker serving `taskQueue`. */
export interface WorkspaceHarness {
  env: TestWorkflowEnvironment;
  emulator: TestEmulator;
  taskQueue: string;
  receiver?: WebhookReceiver;
  destinationId?: string;
  /** Stops the worker (waiting for it to drain), the receiver, the emulator and the client. */
  close(): Promise<void>;
}

export async function startWorkspaceHarness(options: WorkspaceHarnessOptions): Promise<WorkspaceHarness> {
  const env = await connectToTestServer();
  const emulator = await startTestEmulator(options.emulator);
  const taskQueue = uniqueTaskQueue(options.name);
  let receiver: WebhookReceiver | undefined;
  let destinationId: string | undefined;
  const runDirectory = options.receiver ? (options.receiver.runDirectory ?? new RunDirectory()) : undefined;
  if (options.receiver) {
    receiver = await startWebhookReceiver({
      client: env.client,
      host: '127.0.0.1',
      port: 0,
      ...options.receiver,
      runDirectory,
    });
    const created = await emulator.api<{ id: string }>('POST', '/api/2.0/notification-destinations', {
      display_name: `lakeloop-${options.name}`,
      config: {
        generic_webhook: {
          url: receiver.url,
          username: options.receiver.username,
          password: options.receiver.password,
        },
      },
    });
    if (created.status !== 200)
      throw new Error(`creating the notification destination failed: ${created.status}`);
    destinationId = created.body.id;
  }
  const worker = await createWorkspaceWorker(env, taskQueue, emulator, {
    webhookDestinationId: destinationId ?? options.webhookDestinationId,
    ...(options.auth ? { auth: options.auth(emulator) } : {}),
    payloadCodec: options.payloadCodec,
    // The worker fills the directory the receiver reads, as in src/worker.ts.
    runDirectory,
    modelRegistry: options.modelRegistry,
    lineage: options.lineage,
  });
  const running = worker.run();
  return {
    env,
    emulator,
    taskQueue,
    receiver,
    destinationId,
    async close() {
      worker.shutdown();
      await running;
      await receiver?.close();
      await emulator.close();
      await env.teardown();
    },
  };
}
