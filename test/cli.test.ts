/** The `lakeloop` CLI against the suite's real dev server, configured only through the environment. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, jest, test } from '@jest/globals';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { main } from '../src/client/main.js';
import { connectToTestServer, createTestWorker, uniqueTaskQueue } from './helpers/temporal.js';

describe('lakeloop CLI', () => {
  let env: TestWorkflowEnvironment;
  const saved = { ...process.env };
  let out: string[];
  let err: string[];

  beforeAll(async () => {
    env = await connectToTestServer();
    const profile = path.join(mkdtempSync(path.join(os.tmpdir(), 'lakeloop-cli-')), 'temporal.toml');
    writeFileSync(profile, '[profile.default]\n');
    Object.assign(process.env, {
      TEMPORAL_ADDRESS: process.env.LAKELOOP_TEST_TEMPORAL_ADDRESS,
      TEMPORAL_CONFIG_FILE: profile,
      LAKELOOP_STACK_ENV: 'off',
    });
  });
  afterAll(async () => {
    process.env = saved;
    await env?.teardown();
  });
  beforeEach(() => {
    out = [];
    err = [];
    jest.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
    jest.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  });
  afterEach(() => {
    jest.restoreAllMocks();
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
