/**
 * Test access to the suite's real Temporal dev server (started in setup/global-setup.ts) and a real
 * Lakeloop worker using the pre-built workflow bundle.
 */
import { randomUUID } from 'node:crypto';
import type { PayloadCodec } from '@temporalio/common';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, type RuntimeOptions, type Worker } from '@temporalio/worker';
import type { ActivityDeps } from '../../src/activities/index.js';
import type { WorkerDeploymentSettings } from '../../src/config/deployment.js';
import { createLakeloopWorker } from '../../src/create-worker.js';
import type { LineageEmitter } from '../../src/lineage/openlineage/emitter.js';
import { openTestOutput } from './secrets-ledger.js';
import { toJsonLine } from './secrets-sweep.js';

function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the tests through Jest's global setup (npm test)`);
  return value;
}

export function testWorkflowBundlePath(): string {
  return requireEnv('LAKELOOP_TEST_WORKFLOW_BUNDLE');
}

let runtimeInstalled = false;

/** SDK logs at WARN: worker state changes at INFO drown the test output. Once per test file. */
export function installQuietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  const printed = new DefaultLogger('WARN');
  const recordLine = openTestOutput('in-process Temporal runtime log');
  // Printed as before, and kept (with metadata: errors, payload excerpts) for the secrets sweep.
  const logger = new DefaultLogger('WARN', (entry) => {
    recordLine(`${toJsonLine(entry)}\n`);
    printed.log(entry.level, entry.message, entry.meta);
  });
  Runtime.install({ logger });
}

/**
 * A test file's own runtime (e.g. a logger that records every line), in place of the quiet one.
 * Call it before connectToTestServer: only the first Runtime.install in a process takes effect.
 */
export function installTestRuntime(options: RuntimeOptions): void {
  if (runtimeInstalled) throw new Error('the Temporal runtime is already installed in this test file');
  runtimeInstalled = true;
  Runtime.install(options);
}

export function connectToTestServer(): Promise<TestWorkflowEnvironment> {
  installQuietRuntime();
  return TestWorkflowEnvironment.createFromExistingServer({
    address: requireEnv('LAKELOOP_TEST_TEMPORAL_ADDRESS'),
  });
}

/** A unique task queue per test, so tests sharing the server never steal each other's tasks. */
export function uniqueTaskQueue(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

export function testActivityDeps(overrides: Partial<ActivityDeps> = {}): ActivityDeps {
  return {
    workerIdentity: `test-worker-${process.pid}`,
    workerStartedAt: new Date().toISOString(),
    lakeloopVersion: 'test',
    ...overrides,
  };
}

export function createTestWorker(
  env: TestWorkflowEnvironment,
  taskQueue: string,
  deps = testActivityDeps(),
  options: {
    payloadCodec?: PayloadCodec;
    lineage?: LineageEmitter;
    /** A versioned worker (test/workflows/worker-versioning.test.ts); default: unversioned. */
    deployment?: WorkerDeploymentSettings;
    /** Another build's workflow code; default: the suite's bundle of src/workflows. */
    workflowBundlePath?: string;
  } = {},
): Promise<Worker> {
  return createLakeloopWorker({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    taskQueue,
    deps,
    workflowBundlePath: options.workflowBundlePath ?? testWorkflowBundlePath(),
    shutdownGraceSeconds: 1,
    payloadCodec: options.payloadCodec,
    lineage: options.lineage,
    deployment: options.deployment,
  });
}
