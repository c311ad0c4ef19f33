/** The `lakeloop` CLI against the suite's real dev server, configured only through the environment. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { msToTs } from '@temporalio/common/lib/time.js';
import { freePort } from '../scripts/lib/processes.js';
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

  test('a stack.env left by a stack that is gone is named at once, with how to start one', async () => {
    // A port nothing listens on: the address a killed stack left behind.
    const port = await freePort();
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'lakeloop-stale-')), 'stack.env');
    writeFileSync(file, `TEMPORAL_ADDRESS=127.0.0.1:${port}\nTEMPORAL_NAMESPACE=default\n`);
    const saved = process.env.TEMPORAL_ADDRESS;
    delete process.env.TEMPORAL_ADDRESS;
    process.env.LAKELOOP_STACK_ENV = file;
    try {
      const message =
        `the local stack at 127.0.0.1:${port} is not running: start it with \`npm run stack\` ` +
        `(${file} is left from a stack that did not stop cleanly)`;
      expect(await main(['list'])).toBe(1);
      expect(err).toEqual([`lakeloop list: ${message}`]);
      expect(await main(['status', 'any', '--json'])).toBe(1);
      expect(out).toEqual([JSON.stringify({ error: message })]);
    } finally {
      process.env.TEMPORAL_ADDRESS = saved;
      process.env.LAKELOOP_STACK_ENV = 'off';
    }
  });

  test('--json answers errors in JSON too, usage errors included (exit 2)', async () => {
    expect(await main(['status', '--json'])).toBe(2);
    expect(await main(['list', '--limit', '0', '--json'])).toBe(2);
    expect(out.map((line) => JSON.parse(line) as unknown)).toEqual([
      { error: 'expected a workflow id' },
      { error: '--limit: expected 1 to 1000 (got "0")' },
    ]);
    expect(err).toEqual([]);
  });

  test('a pipeline file is named by the flag that gave it, or by itself', async () => {
    expect(await main(['pipeline', 'start', 'missing.json'])).toBe(2);
    expect(await main(['schedule', 'create', 'nightly', '--pipeline', 'missing.json', '--every', '1h'])).toBe(
      2,
    );
    expect(err).toEqual([
      'lakeloop pipeline: cannot read the pipeline file missing.json (ENOENT)',
      'lakeloop schedule: --pipeline: cannot read the pipeline file missing.json (ENOENT)',
    ]);
  });

  test('an empty schedule list says so instead of printing a blank line', async () => {
    // A namespace of its own: the suite's other files create schedules in "default".
    const namespace = `cli-empty-${uniqueTaskQueue('ns')}`;
    await env.connection.workflowService.registerNamespace({
      namespace,
      workflowExecutionRetentionPeriod: msToTs('1 day'),
    });
    process.env.TEMPORAL_NAMESPACE = namespace;
    try {
      // A new namespace reaches the frontend's cache within seconds.
      const deadline = Date.now() + 30_000;
      while ((await main(['schedule', 'list'])) !== 0 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 500));
      expect(out.at(-1)).toBe(
        'no schedules: create one with `lakeloop schedule create NAME --pipeline FILE …`',
      );
      out.length = 0;
      expect(await main(['schedule', 'list', '--json'])).toBe(0);
      expect(out).toEqual(['[]']);
    } finally {
      delete process.env.TEMPORAL_NAMESPACE;
    }
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
