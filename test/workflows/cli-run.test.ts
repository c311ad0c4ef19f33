/** `lakeloop run/status/result/cancel/list` against a real dev server, worker and emulator. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { main } from '../../src/client/main.js';
import { PAT, startTestEmulator, type TestEmulator } from '../emulator/helpers.js';
import { readFileSync } from 'node:fs';
import { captureConsole, pointCliAtTestServer, writeSubmitFile } from '../helpers/cli.js';
import { connectToTestServer, uniqueTaskQueue } from '../helpers/temporal.js';
import { createWorkspaceWorker, runsCreated } from '../helpers/workspace.js';

describe('lakeloop run', () => {
  let env: TestWorkflowEnvironment;
  let emulator: TestEmulator;
  let worker: Worker;
  let running: Promise<void>;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lakeloop-cli-run-'));
  const { out, err } = captureConsole();
  let restoreEnvironment: () => void;

  beforeAll(async () => {
    env = await connectToTestServer();
    emulator = await startTestEmulator();
    const taskQueue = uniqueTaskQueue('cli-run');
    worker = await createWorkspaceWorker(env, taskQueue, emulator);
    running = worker.run();
    restoreEnvironment = pointCliAtTestServer(taskQueue);
  });
  afterAll(async () => {
    restoreEnvironment();
    worker?.shutdown();
    await running;
    await emulator?.close();
    await env?.teardown();
  });

  const submitFile = (runName: string) => writeSubmitFile(dir, runName);

  test('run --wait --json prints one JSON document with the result and exits 0', async () => {
    await emulator.control('POST', '/scenarios', {
      match: { runName: 'cli-ok' },
      durationMs: 200,
      output: 'done',
    });
    const code = await main([
      'run',
      '--submit',
      submitFile('cli-ok'),
      '--wait',
      '--json',
      '--wait-mode',
      'poll',
    ]);
    expect(err).toEqual([]);
    expect(code).toBe(0);
    expect(out).toHaveLength(1);
    const document = JSON.parse(out[0]!) as {
      workflowId: string;
      result: { outcome: string; outputs: Array<{ result: string }> };
    };
    expect(document.result.outcome).toBe('SUCCESS');
    expect(document.result.outputs[0]!.result).toBe('done');

    out.length = 0;
    expect(await main(['result', document.workflowId, '--json'])).toBe(0);
    expect(JSON.parse(out[0]!).result.outcome).toBe('SUCCESS');
    out.length = 0;
    expect(await main(['status', document.workflowId])).toBe(0);
    expect(out.join('\n')).toMatch(/^state +succeeded$/m);
    expect(out.join('\n')).toMatch(/^databricks +run \d+ · job \d+ · SUCCESS$/m);
    out.length = 0;
    // The suite's other files share the dev server (one starts waves of 200); look past its newest 20.
    expect(await main(['list', '--limit', '1000', '--json'])).toBe(0);
    expect(JSON.parse(out[0]!)).toEqual(
      expect.arrayContaining([expect.objectContaining({ workflowId: document.workflowId })]),
    );
  });

  test('a failed run exits 1 with a one-line reason', async () => {
    await emulator.control('POST', '/scenarios', {
      match: { runName: 'cli-fail' },
      durationMs: 200,
      result: 'FAILED',
    });
    const code = await main(['run', '--submit', submitFile('cli-fail'), '--wait', '--wait-mode', 'poll']);
    expect(code).toBe(1);
    expect(err.at(-1)).toMatch(/^lakeloop run: Databricks run \d+ ended FAILED/);
    expect(err.at(-1)).not.toContain('\n');
  });

  // Problems are said in the flags a person typed, not in the workflow input's field names.
  test.each([
    [[], 'expected one of --job-id ID, --job-name NAME or --submit FILE (none given)'],
    [
      ['--job-id', '1', '--job-name', 'x'],
      'expected one of --job-id ID, --job-name NAME or --submit FILE (got --job-id and --job-name)',
    ],
    [['--job-id', '1', '--timeout=-5s'], '--timeout: expected a duration'],
    [['--job-id', 'abc'], '--job-id: expected a job id number (got "abc")'],
    [['--job-id', '1', '--wait-mode', 'sometimes'], '--wait-mode: '],
    [['--job-id', '1', '--param', 'novalue'], '--param: expected name=value'],
    [['--job-id', '1', '--param', 'bad key=1'], '--param: bad key: '],
    [['--job-id', '1', '--retries', '20'], '--retries: expected 0 to 19'],
    [['--submit', 'pipelines/churn.json'], '--submit FILE: tasks: '],
    [['--submit', '/nonexistent.json'], '--submit: cannot read /nonexistent.json (ENOENT)'],
  ])(
    'bad input %j is refused at the client (exit 2), naming the field; nothing is created',
    async (args, message) => {
      const before = await runsCreated(emulator);
      const code = await main(['run', ...args]);
      expect(code).toBe(2);
      expect(err.join('\n')).toContain(message);
      expect(await runsCreated(emulator)).toBe(before);
    },
  );

  test('export saves the rendered notebook of each notebook task run and names the ones it cannot', async () => {
    await emulator.control('POST', '/scenarios', {
      match: { runName: 'cli-export' },
      durationMs: 200,
      output: 'exported result 42',
    });
    const file = path.join(dir, 'cli-export.json');
    writeFileSync(
      file,
      JSON.stringify({
        run_name: 'cli-export',
        tasks: [
          { task_key: 'notebook', notebook_task: { notebook_path: '/Repos/ml/report' } },
          { task_key: 'script', spark_python_task: { python_file: 'dbfs:/not/local.py' } },
        ],
      }),
    );
    expect(await main(['run', '--submit', file, '--wait', '--json', '--wait-mode', 'poll'])).toBe(0);
    const { workflowId } = JSON.parse(out.at(-1)!) as { workflowId: string };
    out.length = 0;
    // The CLI reads Databricks with the worker's variables.
    const saved = { host: process.env.DATABRICKS_HOST, token: process.env.DATABRICKS_TOKEN };
    process.env.DATABRICKS_HOST = emulator.url;
    process.env.DATABRICKS_TOKEN = PAT;
    try {
      const outDir = path.join(dir, 'export');
      expect(await main(['export', workflowId, '--out', outDir, '--json'])).toBe(0);
      const report = JSON.parse(out[0]!) as {
        exported: Array<{ taskKey: string; file?: string; skipped?: string }>;
      };
      const notebook = report.exported.find((e) => e.taskKey === 'notebook')!;
      expect(notebook.file).toBe(path.join(outDir, 'notebook.html'));
      expect(readFileSync(notebook.file!, 'utf8')).toContain('exported result 42');
      expect(report.exported.find((e) => e.taskKey === 'script')!.skipped).toMatch(
        /runs\/export.*INVALID_PARAMETER_VALUE/,
      );
    } finally {
      if (saved.host === undefined) delete process.env.DATABRICKS_HOST;
      else process.env.DATABRICKS_HOST = saved.host;
      if (saved.token === undefined) delete process.env.DATABRICKS_TOKEN;
      else process.env.DATABRICKS_TOKEN = saved.token;
    }
  });
});
