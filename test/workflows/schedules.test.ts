/** `lakeloop schedule …` creates real Temporal Schedules that start mlPipeline; they fire and obey pause/backfill. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { main } from '../../src/client/main.js';
import { startTestEmulator, waitFor, type TestEmulator } from '../emulator/helpers.js';
import { captureConsole, pointCliAtTestServer } from '../helpers/cli.js';
import { connectToTestServer, uniqueTaskQueue } from '../helpers/temporal.js';
import { createWorkspaceWorker } from '../helpers/workspace.js';

describe('lakeloop schedule', () => {
  let env: TestWorkflowEnvironment;
  let emulator: TestEmulator;
  let worker: Worker;
  let running: Promise<void>;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lakeloop-schedule-'));
  const name = `nightly-${Math.random().toString(36).slice(2, 8)}`;
  const pipelineFile = path.join(dir, 'pipeline.json');
  const { out, err } = captureConsole();
  let restoreEnvironment: () => void;

  beforeAll(async () => {
    env = await connectToTestServer();
    emulator = await startTestEmulator();
    const taskQueue = uniqueTaskQueue('schedule');
    worker = await createWorkspaceWorker(env, taskQueue, emulator);
    running = worker.run();
    // A scenario-driven train step reporting its metrics in its output: fast, no MLflow needed.
    await emulator.control('POST', '/scenarios', {
      match: { runName: name },
      durationMs: 200,
      output: { metrics: { auc: 0.8 } },
    });
    writeFileSync(
      pipelineFile,
      JSON.stringify({
        name,
        train: {
          submit: {
            run_name: name,
            tasks: [{ task_key: 'train', notebook_task: { notebook_path: '/train' } }],
          },
          wait: { mode: 'poll', pollInterval: '200ms', maxPollInterval: '500ms' },
        },
        evaluate: { metric: 'auc', source: 'output', threshold: 0.5 },
        // A Unity Catalog name (the default registry); the model does not exist, so there is no champion.
        register: { model: `main.default.${name}` },
      }),
    );
    restoreEnvironment = pointCliAtTestServer(taskQueue);
  });
  afterAll(async () => {
    await env.client.schedule
      .getHandle(name)
      .delete()
      .catch(() => undefined);
    restoreEnvironment();
    worker?.shutdown();
    await running;
    await emulator?.close();
    await env?.teardown();
  });

  async function describeSchedule(): Promise<{
    paused: boolean;
    actions: number;
    recentActions: Array<{ workflowId: string }>;
  }> {
    out.length = 0;
    expect(await main(['schedule', 'describe', name, '--json'])).toBe(0);
    return JSON.parse(out[0]!);
  }

  test('create, trigger (the pipeline runs to completion), pause, unpause, backfill, update, delete', async () => {
    expect(
      await main([
        'schedule',
        'create',
        name,
        '--pipeline',
        pipelineFile,
        '--cron',
        '0 2 * * *',
        '--overlap',
        'buffer-one',
      ]),
    ).toBe(0);
    expect(err).toEqual([]);

    expect(await main(['schedule', 'trigger', name])).toBe(0);
    const triggered = await waitFor(describeSchedule, (d) => d.recentActions.length >= 1, {
      what: 'the schedule to fire',
    });
    const workflowId = triggered.recentActions[0]!.workflowId;
    const result = (await env.client.workflow.getHandle(workflowId).result()) as {
      pipeline: string;
      decision: { passed: boolean };
    };
    expect(result).toMatchObject({ pipeline: name, decision: { passed: true } });
    const described = await env.client.workflow.getHandle(workflowId).describe();
    expect(described.searchAttributes.LakeloopPipeline).toEqual([name]);

    expect(await main(['schedule', 'pause', name, '--note', 'maintenance'])).toBe(0);
    expect((await describeSchedule()).paused).toBe(true);
    expect(await main(['schedule', 'unpause', name])).toBe(0);
    expect((await describeSchedule()).paused).toBe(false);

    const before = (await describeSchedule()).actions;
    expect(
      await main([
        'schedule',
        'backfill',
        name,
        '--from',
        '2026-11-01T00:00:00Z',
        '--to',
        '2026-11-03T00:00:00Z',
      ]),
    ).toBe(0);
    // Two nights at 02:00 fall inside the window.
    await waitFor(describeSchedule, (d) => d.actions >= before + 2, {
      what: 'the backfill to start two runs',
    });

    expect(await main(['schedule', 'update', name, '--every', '6h'])).toBe(0);
    const updated = await env.client.schedule.getHandle(name).describe();
    expect(updated.spec.intervals?.[0]?.every).toBe(6 * 3_600_000);
    expect(updated.policies.overlap).toBe('BUFFER_ONE'); // kept: update changes only what was given

    expect(await main(['schedule', 'delete', name])).toBe(0);
    await expect(env.client.schedule.getHandle(name).describe()).rejects.toThrow();
  });

  test.each([
    [
      ['schedule', 'create', 'x', '--pipeline', '/nonexistent.json', '--cron', '0 2 * * *'],
      '--pipeline: cannot read',
    ],
    [
      ['schedule', 'create', 'x', '--pipeline', 'PIPELINE', '--cron', '0 2 *'],
      '--cron: expected five fields',
    ],
    [
      ['schedule', 'create', 'x', '--pipeline', 'PIPELINE'],
      'expected exactly one of --cron EXPR or --every DURATION',
    ],
    [
      ['schedule', 'create', 'x', '--pipeline', 'PIPELINE', '--every', '5s'],
      '--every: expected a duration of at least 1m',
    ],
    [
      ['schedule', 'create', 'x', '--pipeline', 'PIPELINE', '--every', '1h', '--overlap', 'sometimes'],
      '--overlap: expected one of',
    ],
  ])('bad schedule input %j is refused with exit 2', async (args, message) => {
    const code = await main(args.map((a) => (a === 'PIPELINE' ? pipelineFile : a)));
    expect(code).toBe(2);
    expect(err.join('\n')).toContain(message);
  });
});
