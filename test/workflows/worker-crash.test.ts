/**
 * The worker process is SIGKILLed after runs/submit reached Databricks but before the activity
 * completed (the response is lost too). A new worker takes over; the workflow finishes with the same
 * Databricks run: exactly one run created, asserted from the emulator's stats.
 */
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { databricksRun } from '../../src/workflows/index.js';
import { startTestEmulator, waitFor, type TestEmulator } from '../emulator/helpers.js';
import { connectToTestServer, uniqueTaskQueue } from '../helpers/temporal.js';
import { startWorkerProcess } from '../helpers/worker-process.js';
import { requestCounts, runsCreated } from '../helpers/workspace.js';

describe('worker killed mid-submit', () => {
  let env: TestWorkflowEnvironment;
  let emulator: TestEmulator;
  const taskQueue = uniqueTaskQueue('crash');
  const workers: ChildProcess[] = [];

  beforeAll(async () => {
    env = await connectToTestServer();
    emulator = await startTestEmulator();
  });
  afterAll(async () => {
    for (const worker of workers) if (worker.exitCode === null) worker.kill('SIGKILL');
    await emulator?.close();
    await env?.teardown();
  });

  test('exactly one Databricks run when the worker dies after submit reached the workspace', async () => {
    await emulator.control('POST', '/scenarios', { match: { runName: 'crash' }, durationMs: 500 });
    // The submit is processed (the run exists) but its response never arrives.
    await emulator.control('POST', '/faults', {
      method: 'POST',
      path: '/jobs/runs/submit',
      dropResponse: true,
      count: 1,
    });
    const first = await startWorkerProcess(emulator, taskQueue);
    workers.push(first.child);
    const handle = await env.client.workflow.start(databricksRun, {
      taskQueue,
      workflowId: `crash-${Date.now()}`,
      args: [
        {
          submit: {
            run_name: 'crash',
            tasks: [{ task_key: 'only', notebook_task: { notebook_path: '/x' } }],
          },
          wait: { mode: 'poll', pollInterval: '200ms', maxPollInterval: '500ms' },
        },
      ],
    });
    await waitFor(
      () => runsCreated(emulator),
      (n) => n === 1,
      { timeoutMs: 20_000, what: 'the run to be created' },
    );
    first.child.kill('SIGKILL');
    await new Promise((resolve) => first.child.once('exit', resolve));

    workers.push((await startWorkerProcess(emulator, taskQueue)).child);
    const result = await handle.result();

    expect(result.outcome).toBe('SUCCESS');
    expect(await runsCreated(emulator)).toBe(1);
    const counts = await requestCounts(emulator);
    expect(counts['POST /api/*/jobs/runs/submit']).toBe(2); // the lost one and the retry that got it back
    const history = await handle.fetchHistory();
    const submitAttempts = (history.events ?? []).filter(
      (e) => e.activityTaskStartedEventAttributes && e.activityTaskStartedEventAttributes.attempt! > 1,
    );
    expect(submitAttempts.length).toBeGreaterThanOrEqual(1);
    // A killed worker's activity is retried once its 30 s start-to-close timeout passes.
  }, 120_000);
});
