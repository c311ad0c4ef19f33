/**
 * Runs bigger than one page of the Jobs API 2.2: runs/get answers at most 100 tasks (or 100 iterations
 * of a for_each task) per call, with `next_page_token` for the rest (docs.databricks.com
 * jobs/jobs-api-updates; databricks-sdk-py mixins/jobs.py `get_run` merges the pages). databricksRun
 * must list every task and every iteration, and say which ones failed, however many pages it took.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { WorkflowFailedError } from '@temporalio/client';
import type { RunInput } from '../../src/shared/run-input.js';
import type { RunResult } from '../../src/shared/run-types.js';
import { getRun } from '../emulator/helpers.js';
import { requestCounts, startWorkspaceHarness, type WorkspaceHarness } from '../helpers/workspace.js';

describe('runs larger than one runs/get page', () => {
  let harness: WorkspaceHarness;

  beforeAll(async () => {
    harness = await startWorkspaceHarness({
      name: 'large-runs',
      emulator: { defaultTaskDurationMs: 50, timeScale: 20 },
    });
  });
  afterAll(async () => {
    await harness?.close();
  });

  async function execute(input: RunInput, id: string): Promise<RunResult> {
    try {
      return await harness.env.client.workflow.execute('databricksRun', {
        taskQueue: harness.taskQueue,
        workflowId: `${id}-${Date.now()}`,
        args: [input],
      });
    } catch (err) {
      // A failed run's typed result travels in the failure.
      if (err instanceof WorkflowFailedError) {
        const details = (err.cause as { details?: unknown[] } | undefined)?.details;
        if (details?.[0]) return details[0] as RunResult;
      }
      throw err;
    }
  }

  test('a 300-task run lists all 300 tasks, read over three pages', async () => {
    const tasks = Array.from({ length: 300 }, (_, i) => ({
      task_key: `t${String(i).padStart(3, '0')}`,
      notebook_task: { notebook_path: `/Repos/ml/shard_${i}` },
    }));
    const before = (await requestCounts(harness.emulator))['GET /api/*/jobs/runs/get'] ?? 0;
    const result = await execute(
      { submit: { run_name: 'three-hundred', tasks }, wait: { mode: 'poll', pollInterval: '1s' } },
      'three-hundred',
    );
    expect(result.outcome).toBe('SUCCESS');
    expect(result.tasks).toHaveLength(300);
    expect(new Set(result.tasks.map((t) => t.taskKey))).toEqual(new Set(tasks.map((t) => t.task_key)));
    expect(new Set(result.tasks.map((t) => t.runId)).size).toBe(300);
    expect(result.tasks.every((t) => t.resultState === 'SUCCESS')).toBe(true);
    // Every task run's output was asked for, and the outputs stayed within the run's budget.
    expect(result.outputs).toHaveLength(300);
    // Each look at the run is 3 pages; the emulator's own (unpaged) count of the run agrees.
    const calls = ((await requestCounts(harness.emulator))['GET /api/*/jobs/runs/get'] ?? 0) - before;
    expect(calls % 3).toBe(0);
    const firstPage = await getRun(harness.emulator, result.runId);
    expect(firstPage.tasks).toHaveLength(100);
    expect(firstPage.next_page_token).toBeDefined();
  });

  test('a for_each task lists its 250 iterations, and a failed iteration is named', async () => {
    const inputs = Array.from({ length: 250 }, (_, i) => `region-${i}`);
    await harness.emulator.control('POST', '/scenarios', {
      match: { runName: 'fan-out', input: 'region-137' },
      durationMs: 50,
      result: 'FAILED',
      error: 'KeyError: region-137',
    });
    const result = await execute(
      {
        submit: {
          run_name: 'fan-out',
          tasks: [
            {
              task_key: 'score_regions',
              for_each_task: {
                inputs: JSON.stringify(inputs),
                concurrency: 50,
                task: {
                  task_key: 'score_region',
                  notebook_task: {
                    notebook_path: '/Repos/ml/score',
                    base_parameters: { region: '{{input}}' },
                  },
                },
              },
            },
          ],
        },
        wait: { mode: 'poll', pollInterval: '1s' },
      },
      'fan-out',
    );
    expect(result.outcome).toBe('FAILED');
    const loop = result.tasks.find((t) => t.taskKey === 'score_regions')!;
    expect(loop.iterations).toHaveLength(250);
    expect(new Set(loop.iterations!.map((it) => it.runId)).size).toBe(250);
    expect(loop.iterations!.filter((it) => it.resultState === 'SUCCESS')).toHaveLength(249);
    expect(loop.iterationStats).toMatchObject({ total: 250, succeeded: 249, failed: 1 });
    const failedIndex = loop.iterations!.findIndex((it) => it.resultState === 'FAILED');
    expect(result.failedTasks).toEqual([`score_regions[${failedIndex}] FAILED`]);
    // Outputs are the iterations' own, and the failed one carries its error.
    expect(result.outputs.filter((o) => o.taskKey === 'score_regions')).toHaveLength(250);
    expect(result.outputs.find((o) => o.iteration === failedIndex)?.error).toContain('KeyError: region-137');
  });
});
