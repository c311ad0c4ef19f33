/**
 * GET jobs/runs/export (docs.databricks.com/api/jobs/v2/export-run.md): the views of a notebook task
 * run as HTML, with the notebook model embedded the way workspace exports embed it, built from what the
 * run really received and produced.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import type { TestEmulator } from './helpers.js';
import { createJob, runNow, startTestEmulator, submit, task, taskByKey, waitForTerminal } from './helpers.js';

/** What public extractors do: base64, then URL-decoding, then JSON. */
function notebookModel(html: string): any {
  const match = /var __DATABRICKS_NOTEBOOK_MODEL = '([^']+)';/.exec(html);
  expect(match).not.toBeNull();
  return JSON.parse(decodeURIComponent(Buffer.from(match![1]!, 'base64').toString('utf8')));
}

describe('runs/export', () => {
  let emu: TestEmulator;
  beforeAll(async () => {
    emu = await startTestEmulator({ defaultTaskDurationMs: 40 });
  });
  afterAll(async () => {
    await emu.close();
  });
  beforeEach(async () => {
    await emu.control('POST', '/reset');
  });

  const exportRun = (runId: number, views?: string) =>
    emu.api('GET', `/api/2.2/jobs/runs/export?run_id=${runId}${views ? `&views_to_export=${views}` : ''}`);

  test('a notebook task run exports as one NOTEBOOK view holding its parameters and exit value', async () => {
    await emu.control('POST', '/scenarios', {
      match: { taskKey: 'train' },
      durationMs: 40,
      output: { auc: 0.91 },
    });
    const jobId = await createJob(emu, {
      name: 'export-me',
      parameters: [{ name: 'date', default: '2026-01-01' }],
      tasks: [
        task('train', [], {
          notebook_task: {
            notebook_path: '/Workspace/ml/train_model',
            base_parameters: { model: 'gbt', run: '{{job.run_id}}' },
          },
        }),
        task('report', ['train']),
      ],
    });
    const runId = await runNow(emu, { job_id: jobId, job_parameters: { date: '2026-12-03' } });
    const run = await waitForTerminal(emu, runId);
    const train = taskByKey(run, 'train');

    const exported = await exportRun(train.run_id);
    expect(exported.status).toBe(200);
    expect(exported.body.views).toHaveLength(1);
    const [view] = exported.body.views;
    expect(view).toMatchObject({ name: 'train_model', type: 'NOTEBOOK' });
    expect(view.content).toMatch(/^<!DOCTYPE html>/);
    // Readable without a browser: the exit value is in the page itself.
    expect(view.content).toContain('{&quot;auc&quot;:0.91}');

    const model = notebookModel(view.content);
    expect(model.name).toBe('train_model');
    expect(model.inputWidgets).toEqual({ model: 'gbt', run: String(runId), date: '2026-12-03' });
    const sources = model.commands.map((c: any) => c.command);
    expect(sources[0]).toContain(`task run ${train.run_id}`);
    expect(sources[0]).toContain('SUCCESS');
    const exit = model.commands.find((c: any) => c.command.startsWith('dbutils.notebook.exit'));
    expect(exit.results).toEqual({ type: 'raw', data: '{"auc":0.91}' });
    const widgets = model.commands.find((c: any) => c.command.includes('dbutils.widgets.get'));
    expect(widgets.results.data).toContain('date = 2026-12-03');

    // CODE is the default; ALL is the same here (no dashboards); DASHBOARDS is empty.
    expect((await exportRun(train.run_id, 'CODE')).body).toEqual(exported.body);
    expect((await exportRun(train.run_id, 'ALL')).body).toEqual(exported.body);
    expect((await exportRun(train.run_id, 'DASHBOARDS')).body).toEqual({ views: [] });
    expect((await exportRun(train.run_id, 'EVERYTHING')).status).toBe(400);
  });

  test('a failed notebook exports its error; other runs are refused', async () => {
    await emu.control('POST', '/scenarios', {
      match: { taskKey: 'broken' },
      durationMs: 40,
      result: 'FAILED',
      error: 'ZeroDivisionError: division by zero',
      errorTrace: 'Traceback (most recent call last):\nZeroDivisionError: division by zero',
    });
    const single = await waitForTerminal(emu, await submit(emu, { tasks: [task('broken')] }));
    // A one-task run exports as its task would.
    for (const id of [single.run_id, single.tasks[0].run_id]) {
      const model = notebookModel((await exportRun(id)).body.views[0].content);
      const failed = model.commands.find((c: any) => c.state === 'error');
      expect(failed.results).toMatchObject({ type: 'error', summary: 'ZeroDivisionError: division by zero' });
      expect(failed.results.data).toContain('Traceback');
      expect(model.commands[0].command).toContain('FAILED');
    }

    const multi = await waitForTerminal(emu, await submit(emu, { tasks: [task('a'), task('b')] }));
    const parent = await exportRun(multi.run_id);
    expect(parent.status).toBe(400);
    expect(parent.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    expect(parent.body.message).toContain('multiple tasks');

    const python = await waitForTerminal(
      emu,
      await submit(emu, {
        tasks: [{ task_key: 'py', spark_python_task: { python_file: 'dbfs:/jobs/train.py' } }],
      }),
    );
    const refused = await exportRun(python.tasks[0].run_id);
    expect(refused.status).toBe(400);
    expect(refused.body.message).toContain('only notebook task runs can be exported');
    expect((await exportRun(123)).body.message).toBe('Run 123 does not exist.');
  });

  test('an iteration of a for_each loop over notebooks exports with its {{input}} resolved', async () => {
    const run = await waitForTerminal(
      emu,
      await submit(emu, {
        tasks: [
          {
            task_key: 'loop',
            for_each_task: {
              inputs: '["eu", "us"]',
              task: {
                task_key: 'region',
                notebook_task: {
                  notebook_path: '/Workspace/etl/region',
                  base_parameters: { region: '{{input}}' },
                },
              },
            },
          },
        ],
      }),
    );
    const loop = (await emu.api('GET', `/api/2.2/jobs/runs/get?run_id=${run.tasks[0].run_id}`)).body;
    const regions = await Promise.all(
      loop.iterations.map(
        async (it: any) =>
          notebookModel((await exportRun(it.run_id)).body.views[0].content).inputWidgets.region,
      ),
    );
    expect(regions).toEqual(['eu', 'us']);
    expect((await exportRun(run.tasks[0].run_id)).body.message).toContain('for_each task run');
  });
});
