/**
 * SIGTERM to the worker process: it stops taking work, gives in-flight activities its grace period,
 * and exits cleanly; the workflows it was running finish on the next worker without failing.
 */
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { databricksRun } from '../../src/workflows/index.js';
import { startTestEmulator, waitFor, type TestEmulator } from '../emulator/helpers.js';
import { connectToTestServer, uniqueTaskQueue } from '../helpers/temporal.js';
import { startWorkerProcess } from '../helpers/worker-process.js';
import { runsCreated } from '../helpers/workspace.js';

describe('worker graceful shutdown', () => {
  let env: TestWorkflowEnvironment;
  let emulator: TestEmulator;
  const taskQueue = uniqueTaskQueue('shutdown');
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

  test('in-flight poll and heartbeat workflows survive a SIGTERM of their worker', async () => {
    await emulator.control('POST', '/scenarios', { match: { runName: 'survivor' }, durationMs: 6_000 });
    const first = await startWorkerProcess(emulator, taskQueue, { LAKELOOP_SHUTDOWN_GRACE_SECONDS: '3' });
    workers.push(first.child);
    const modes = ['poll', 'heartbeat'] as const;
    const handles = await Promise.all(
      modes.map((mode) =>
        env.client.workflow.start(databricksRun, {
          taskQueue,
          workflowId: `shutdown-${mode}-${Date.now()}`,
          args: [
            {
              submit: {
                run_name: 'survivor',
                tasks: [{ task_key: 'only', notebook_task: { notebook_path: '/x' } }],
              },
              wait: { mode, pollInterval: '300ms', maxPollInterval: '500ms', heartbeatPollInterval: '300ms' },
            },
          ],
        }),
      ),
    );
    // Both runs submitted and being waited on (the heartbeat one inside a running activity).
    await waitFor(
      () => runsCreated(emulator),
      (n) => n === 2,
      { what: 'both runs to be submitted' },
    );
    await waitFor(
      () => Promise.all(handles.map((h) => h.query('status') as Promise<{ phase: string }>)),
      (views) => views.every((v) => v.phase === 'waiting'),
      { what: 'both workflows to be waiting' },
    );

    first.child.kill('SIGTERM');
    const exitCode = await new Promise<number | null>((resolve) =>
      first.child.once('exit', (code) => resolve(code)),
    );
    expect(exitCode).toBe(0);
    expect(first.output()).toContain('lakeloop worker stopped');

    workers.push((await startWorkerProcess(emulator, taskQueue)).child);
    const results = await Promise.all(handles.map((h) => h.result()));
    expect(results.map((r) => [r.waitMode, r.outcome])).toEqual([
      ['poll', 'SUCCESS'],
      ['heartbeat', 'SUCCESS'],
    ]);
    expect(await runsCreated(emulator)).toBe(2);
  }, 120_000);
});
