/** The `lakeloop` CLI against the suite's real dev server, configured only through the environment. */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { main } from '../src/client/main.js';
import { captureConsole, pointCliAtTestServer } from './helpers/cli.js';
import { connectToTestServer, createTestWorker, uniqueTaskQueue } from './helpers/temporal.js';

describe('lakeloop CLI', () => {
  let env: TestWorkflowEnvironment;
  let restoreEnvironment: () => void;
  const { out, err } = captureConsole();

  beforeAll(async () => {
    env = await connectToTestServer();
    restoreEnvironment = pointCliAtTestServer();
  });
  afterAll(async () => {
    restoreEnvironment();
    await env?.teardown();
  });

  test('doctor runs the health check through a real worker and exits 0', async () => {
    const taskQueue = uniqueTaskQueue('cli');
    process.env.LAKELOOP_TASK_QUEUE = taskQueue;
    const worker = await createTestWorker(env, taskQueue);
    const code = await worker.runUntil(main(['doctor', '--json']));
    expect(err).toEqual([]);
    expect(code).toBe(0);
    const result = JSON.parse(out.join('\n')) as { requestedBy: string; worker: { taskQueue: string } };
    expect(result.requestedBy).toBe('lakeloop doctor');
    expect(result.worker.taskQueue).toBe(taskQueue);
  });

  test('doctor with no worker fails within its timeout with a one-line reason', async () => {
    process.env.LAKELOOP_TASK_QUEUE = uniqueTaskQueue('nobody-home');
    const code = await main(['doctor', '--timeout', '2']);
    expect(code).toBe(1);
    expect(err).toHaveLength(1);
    expect(err[0]).toMatch(/no Lakeloop worker completed the health check .* within 2s/);
    expect(err[0]).not.toContain('\n');
  });

  test('bad configuration and bad flags are reported, not thrown', async () => {
    process.env.LAKELOOP_TASK_QUEUE = 'not valid!';
    expect(await main(['doctor'])).toBe(1);
    expect(err.join('\n')).toContain('LAKELOOP_TASK_QUEUE: expected a task queue name');
    expect(await main(['doctor', '--timeout', 'soon'])).toBe(2);
    expect(await main(['launch'])).toBe(2);
    expect(err.join('\n')).toContain('unknown command "launch"');
  });
});
