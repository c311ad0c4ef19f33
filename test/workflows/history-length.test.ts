/**
 * History must not grow with a run's duration: a 1-hour Databricks run and a 1-minute one produce the
 * same number of history events. The emulator's clock runs 3,600× so the hour passes in a second.
 *
 * Poll mode runs on the time-skipping test server, which fast-forwards every retry back-off (the
 * hour's polls all happen, none is recorded). Webhook mode runs on the real dev server with the real
 * receiver (the test server has no visibility queries for it to find workflows). On the time-skipping
 * server, webhook mode is not deterministic: skipping fast-forwards the safety net's 5-minute looks into
 * a continuous poll against an emulator running in real time — which never happens in production — and
 * an abandoned look sometimes completes before the workflow does (measured: 33 events most runs, 36 or
 * 39 in some; with skipping locked it still skipped on the first run of a fresh server).
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { Client } from '@temporalio/client';
import proto from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { resolveTemporalBinary, sdkExecutable } from '../../scripts/lib/temporal-cli.js';
import type { RunInput } from '../../src/shared/run-input.js';
import { INDEXED_VALUE_TYPE, LAKELOOP_SEARCH_ATTRIBUTES } from '../../src/shared/search-attributes.js';
import { databricksRun } from '../../src/workflows/index.js';
import { startTestEmulator, type TestEmulator } from '../emulator/helpers.js';
import {
  createTestWorker,
  installQuietRuntime,
  testActivityDeps,
  uniqueTaskQueue,
} from '../helpers/temporal.js';
import { databricksClientFor, startWorkspaceHarness, type WorkspaceHarness } from '../helpers/workspace.js';

const HOUR = 3_600_000;
const MINUTE = 60_000;
const figures: Record<string, number> = {};

async function historyLength(
  client: Client,
  emulator: TestEmulator,
  taskQueue: string,
  mode: 'poll' | 'webhook',
  durationMs: number,
): Promise<number> {
  const workflowId = `history-${mode}-${durationMs}-${Math.random().toString(36).slice(2)}`;
  await emulator.control('POST', '/scenarios', { match: { runName: workflowId }, durationMs });
  const input: RunInput = {
    submit: { run_name: workflowId, tasks: [{ task_key: 'only', notebook_task: { notebook_path: '/x' } }] },
    wait: { mode },
  };
  const result = await client.workflow.execute(databricksRun, { taskQueue, workflowId, args: [input] });
  expect(result).toMatchObject({ outcome: 'SUCCESS', waitMode: mode });
  // Patch markers are left out: one appears only when the submission itself was slow (a busy machine),
  // which has nothing to do with the run's length.
  const events = ((await client.workflow.getHandle(workflowId).fetchHistory()).events ?? []).filter(
    (e) => e.eventType !== proto.temporal.api.enums.v1.EventType.EVENT_TYPE_MARKER_RECORDED,
  ).length;
  figures[`${mode} ${durationMs / MINUTE} min`] = events;
  return events;
}

afterAll(() => {
  console.log(`history events per databricksRun: ${JSON.stringify(figures)}`);
});

describe('poll mode on the time-skipping server', () => {
  let env: TestWorkflowEnvironment;
  let emulator: TestEmulator;
  let worker: Worker;
  let running: Promise<void>;
  const taskQueue = uniqueTaskQueue('history-poll');

  beforeAll(async () => {
    env = await connectTimeSkipping();
    emulator = await startTestEmulator({ timeScale: 3600 });
    worker = await createTestWorker(
      env,
      taskQueue,
      testActivityDeps({ databricks: databricksClientFor(emulator) }),
    );
    running = worker.run();
  });
  afterAll(async () => {
    worker?.shutdown();
    await running;
    await emulator?.close();
    await env?.teardown();
  });

  test('a 1-hour run records as many events as a 1-minute run', async () => {
    const short = await historyLength(env.client, emulator, taskQueue, 'poll', MINUTE);
    const long = await historyLength(env.client, emulator, taskQueue, 'poll', HOUR);
    expect(long).toBe(short);
  });
});

describe('webhook mode on the dev server with the real receiver', () => {
  let harness: WorkspaceHarness;

  beforeAll(async () => {
    harness = await startWorkspaceHarness({
      name: 'history-webhook',
      emulator: { timeScale: 3600 },
      // A busy CI machine once showed the run's id to the receiver too late (5 s default): look for
      // 9 s, still under the emulator's 10 s delivery timeout so no duplicate adds history events.
      receiver: { username: 'u', password: 'history-test-password', lookupTimeoutMs: 9_000 },
    });
  });
  afterAll(() => harness?.close());

  test('a 1-hour run records as many events as a 1-minute run', async () => {
    const short = await historyLength(
      harness.env.client,
      harness.emulator,
      harness.taskQueue,
      'webhook',
      MINUTE,
    );
    const long = await historyLength(
      harness.env.client,
      harness.emulator,
      harness.taskQueue,
      'webhook',
      HOUR,
    );
    expect(long).toBe(short);
  });
});

async function connectTimeSkipping(): Promise<TestWorkflowEnvironment> {
  installQuietRuntime();
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: sdkExecutable(resolveTemporalBinary('test-server')) },
  });
  // The test server takes no --search-attribute flags; register Lakeloop's through the operator API.
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes: Object.fromEntries(
      LAKELOOP_SEARCH_ATTRIBUTES.map((key) => [key.name, INDEXED_VALUE_TYPE[key.type]!]),
    ),
  });
  return env;
}
