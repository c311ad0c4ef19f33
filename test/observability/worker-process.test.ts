/**
 * `npm run worker` with both metrics endpoints and JSON logs, configured only by its environment:
 * Lakeloop's metrics on LAKELOOP_METRICS_ADDR, the Temporal runtime's on LAKELOOP_TEMPORAL_METRICS_ADDR.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { msToTs } from '@temporalio/common/lib/time.js';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { freePort } from '../../scripts/lib/processes.js';
import { databricksRun } from '../../src/workflows/index.js';
import { PAT, startTestEmulator, waitFor, type TestEmulator } from '../emulator/helpers.js';
import { connectToTestServer, uniqueTaskQueue } from '../helpers/temporal.js';
import { startWorkerProcess, type WorkerProcess } from '../helpers/worker-process.js';

describe('worker process metrics and logs', () => {
  let env: TestWorkflowEnvironment;
  let emulator: TestEmulator;
  let worker: WorkerProcess | undefined;

  beforeAll(async () => {
    env = await connectToTestServer();
    emulator = await startTestEmulator();
  });
  afterAll(async () => {
    if (worker && worker.child.exitCode === null) {
      const exited = new Promise((resolve) => worker!.child.once('exit', resolve));
      worker.child.kill('SIGTERM');
      await exited;
    }
    await emulator?.close();
    await env?.teardown();
  });

  test('serves Lakeloop and Temporal metrics on their own ports, sizes its workflow cache and logs JSON without the token', async () => {
    const lakeloopPort = await freePort();
    const temporalPort = await freePort();
    const taskQueue = uniqueTaskQueue('metrics-proc');
    worker = await startWorkerProcess(emulator, taskQueue, {
      LAKELOOP_LOG_LEVEL: 'INFO',
      LAKELOOP_LOG_FORMAT: 'json',
      LAKELOOP_METRICS_ADDR: `127.0.0.1:${lakeloopPort}`,
      LAKELOOP_TEMPORAL_METRICS_ADDR: `127.0.0.1:${temporalPort}`,
      LAKELOOP_MAX_CACHED_WORKFLOWS: '50',
    });
    const result = await env.client.workflow.execute(databricksRun, {
      taskQueue,
      workflowId: `metrics-proc-${Date.now()}`,
      args: [
        {
          submit: { run_name: 'proc', tasks: [{ task_key: 'only', notebook_task: { notebook_path: '/x' } }] },
          wait: { mode: 'poll', pollInterval: '100ms', maxPollInterval: '300ms' },
        },
      ],
    });
    expect(result.outcome).toBe('SUCCESS');

    const lakeloop = await (await fetch(`http://127.0.0.1:${lakeloopPort}/metrics`)).text();
    expect(lakeloop).toMatch(
      /^lakeloop_runs_finished_total\{outcome="SUCCESS",termination_type="SUCCESS"\} 1$/m,
    );
    expect(lakeloop).toMatch(/^lakeloop_runs_submitted_total\{kind="submit"\} 1$/m);
    expect(lakeloop).toMatch(/^lakeloop_token_refreshes_total\{auth_type="pat"\} 1$/m);
    const temporal = await waitFor(
      async () => (await fetch(`http://127.0.0.1:${temporalPort}/metrics`)).text(),
      (text) => text.includes('temporal_'),
      { timeoutMs: 10_000, what: 'Temporal runtime metrics' },
    );
    expect(temporal).not.toContain('lakeloop_');

    const records = worker
      .output()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(records).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          level: 'INFO',
          message: expect.stringContaining('lakeloop worker polling'),
          maxCachedWorkflows: 50, // as the Temporal worker was created, not as configured
        }),
        expect.objectContaining({ message: 'Databricks run submitted', databricksRunId: result.runId }),
      ]),
    );
    expect(worker.output()).not.toContain(PAT);
  });

  test("refuses to start on a namespace without Lakeloop's search attributes, printing the commands that add them", async () => {
    // A namespace of its own, registered bare: the suite's dev server registered them on "default" only.
    const namespace = `bare-${Date.now()}`;
    await env.client.connection.workflowService.registerNamespace({
      namespace,
      workflowExecutionRetentionPeriod: msToTs('1 day'),
    });
    await waitFor(
      () =>
        env.client.connection.workflowService
          .describeNamespace({ namespace })
          .then(() => true)
          .catch(() => false),
      (known) => known,
      { timeoutMs: 30_000, what: `namespace ${namespace} to be known` },
    );
    const failure = await startWorkerProcess(emulator, uniqueTaskQueue('bare-ns'), {
      TEMPORAL_NAMESPACE: namespace,
    }).then(
      () => undefined,
      (err: Error) => err.message,
    );
    expect(failure).toContain(
      `lakeloop worker: the Temporal namespace "${namespace}" lacks search attributes`,
    );
    for (const [name, type] of [
      ['DatabricksRunId', 'Keyword'],
      ['LakeloopRunMs', 'Int'],
      ['LakeloopNotificationWaitSince', 'Datetime'],
    ]) {
      expect(failure).toContain(
        `temporal operator search-attribute create --namespace ${namespace} --name ${name} --type ${type}`,
      );
    }
    expect(failure).not.toContain('lakeloop worker polling');
  }, 60_000);
});
