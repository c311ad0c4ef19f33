/**
 * for_each tasks (docs.databricks.com/jobs/for-each.html): one iteration per input, at most
 * `concurrency` at once, `{{input}}` resolved in the nested task, ForEachStats on the parent's task,
 * iterations through runs/get on the for_each task's run id (paged at 100 in 2.2), outputs through
 * runs/get-output on an iteration.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { TestEmulator } from './helpers.js';
import {
  createJob,
  runNow,
  startTestEmulator,
  submit,
  task,
  taskByKey,
  waitFor,
  waitForTerminal,
} from './helpers.js';

const echoTask = pathToFileURL(
  path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'echo_task.py'),
).href;

function loop(
  key: string,
  inputs: string,
  nested: Record<string, unknown>,
  extra: Record<string, unknown> = {},
) {
  return { task_key: key, for_each_task: { inputs, task: nested, ...extra } };
}

/** All iterations of a for_each task run, following next_page_token like the SDKs. */
async function iterationsOf(
  emu: TestEmulator,
  loopRunId: number,
): Promise<{ pages: any[]; iterations: any[] }> {
  const pages: any[] = [];
  let token: string | undefined;
  do {
    const page = await emu.api(
      'GET',
      `/api/2.2/jobs/runs/get?run_id=${loopRunId}${token ? `&page_token=${encodeURIComponent(token)}` : ''}`,
    );
    expect(page.status).toBe(200);
    pages.push(page.body);
    token = page.body.next_page_token;
  } while (token !== undefined);
  return { pages, iterations: pages.flatMap((page) => page.iterations) };
}

/** The most iterations active at one emulated instant (intervals are [start, end)). */
function maxOverlap(iterations: any[]): number {
  const events = iterations.flatMap((it) => [
    [it.start_time, 1],
    [it.end_time, -1],
  ]);
  events.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let active = 0;
  let most = 0;
  for (const [, delta] of events) {
    active += delta!;
    most = Math.max(most, active);
  }
  return most;
}

describe('for_each tasks', () => {
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

  test('250 inputs run as 250 iterations, 10 at a time, paged 100 per runs/get page; one failure fails the loop', async () => {
    await emu.control('POST', '/scenarios', { match: { taskKey: 'score' }, durationMs: 20 });
    await emu.control('POST', '/scenarios', {
      match: { taskKey: 'score', input: '13' },
      durationMs: 20,
      result: 'FAILED',
      error: 'ValueError: input 13',
    });
    await emu.control('POST', '/scenarios', {
      match: { taskKey: 'score', input: '7' },
      durationMs: 20,
      output: { scored: 7 },
    });
    const inputs = JSON.stringify(Array.from({ length: 250 }, (_, i) => i));
    const runId = await submit(emu, {
      run_name: 'fan-out',
      tasks: [loop('fan_out', inputs, task('score'), { concurrency: 10 })],
    });
    const run = await waitForTerminal(emu, runId, 60_000);
    expect(run.state.result_state).toBe('FAILED');
    const fanOut = taskByKey(run, 'fan_out');
    expect(fanOut.state.result_state).toBe('FAILED');
    expect(fanOut.for_each_task).toMatchObject({ inputs, concurrency: 10, task: { task_key: 'score' } });
    expect(fanOut.for_each_task.stats).toEqual({
      task_run_stats: {
        total_iterations: 250,
        scheduled_iterations: 250,
        active_iterations: 0,
        completed_iterations: 250,
        succeeded_iterations: 249,
        failed_iterations: 1,
      },
      error_message_stats: [
        { count: 1, error_message: 'ValueError: input 13', termination_category: 'RUN_EXECUTION_ERROR' },
      ],
    });
    expect(run.iterations).toBeUndefined();

    const { pages, iterations } = await iterationsOf(emu, fanOut.run_id);
    expect(pages.map((page) => page.iterations.length)).toEqual([100, 100, 50]);
    // Every page is the for_each task's own run, with that single task in `tasks`.
    for (const page of pages) {
      expect(page.run_id).toBe(fanOut.run_id);
      expect(page.job_run_id).toBe(runId);
      expect(page.tasks.map((t: any) => t.run_id)).toEqual([fanOut.run_id]);
    }
    expect(iterations).toHaveLength(250);
    expect(new Set(iterations.map((it) => it.run_id)).size).toBe(250);
    expect(iterations.every((it) => it.task_key === 'score')).toBe(true);
    expect(iterations.map((it) => it.state.result_state).filter((r) => r !== 'SUCCESS')).toEqual(['FAILED']);
    expect(iterations[13].state.result_state).toBe('FAILED');
    // Bounded by concurrency, and using all of it.
    expect(maxOverlap(iterations)).toBe(10);

    // An iteration is a run of its own: runs/get and runs/get-output take its run id.
    const seventh = (await emu.api('GET', `/api/2.2/jobs/runs/get-output?run_id=${iterations[7].run_id}`))
      .body;
    expect(JSON.parse(seventh.notebook_output.result)).toEqual({ scored: 7 });
    expect(seventh.metadata).toMatchObject({
      run_id: iterations[7].run_id,
      job_run_id: runId,
      task_key: 'score',
    });
    const failed = (await emu.api('GET', `/api/2.2/jobs/runs/get-output?run_id=${iterations[13].run_id}`))
      .body;
    expect(failed.error).toBe('ValueError: input 13');
    const loopOutput = (await emu.api('GET', `/api/2.2/jobs/runs/get-output?run_id=${fanOut.run_id}`)).body;
    expect(loopOutput.error).toBe('1 of 250 iterations failed.');

    // 2.1 does not page: every iteration in one answer.
    const whole = (await emu.api('GET', `/api/2.1/jobs/runs/get?run_id=${fanOut.run_id}`)).body;
    expect(whole.iterations).toHaveLength(250);
    expect(whole.next_page_token).toBeUndefined();
  }, 90_000);

  test('real Python iterations get {{input}}, {{input.<key>}} and job parameters, with inputs from a job parameter', async () => {
    const jobId = await createJob(emu, {
      name: 'python-loop',
      parameters: [
        { name: 'tables', default: '[]' },
        { name: 'tag', default: 'job-{{job.id}}' },
      ],
      tasks: [
        loop(
          'per_table',
          '{{job.parameters.tables}}',
          {
            task_key: 'load',
            spark_python_task: {
              python_file: echoTask,
              parameters: ['{{input.name}}', '{{input}}', '{{job.parameters.tag}}'],
            },
          },
          { concurrency: 2 },
        ),
        task('after', ['per_table']),
      ],
    });
    const tables = [
      { name: 'users', rows: 3 },
      { name: 'orders', rows: 5 },
      { name: 'items', rows: 8 },
    ];
    const runId = await runNow(emu, { job_id: jobId, job_parameters: { tables: JSON.stringify(tables) } });
    const run = await waitForTerminal(emu, runId, 60_000);
    expect(run.state.result_state).toBe('SUCCESS');
    const perTable = taskByKey(run, 'per_table');
    expect(perTable.for_each_task.stats.task_run_stats).toMatchObject({
      total_iterations: 3,
      succeeded_iterations: 3,
      failed_iterations: 0,
    });
    // The task after the loop starts only once every iteration has ended.
    expect(taskByKey(run, 'after').start_time).toBeGreaterThanOrEqual(perTable.end_time);

    const { iterations } = await iterationsOf(emu, perTable.run_id);
    expect(maxOverlap(iterations)).toBeLessThanOrEqual(2);
    const outputs = await Promise.all(
      iterations.map(async (it) => {
        const out = (await emu.api('GET', `/api/2.2/jobs/runs/get-output?run_id=${it.run_id}`)).body;
        expect(out.logs).toContain('hello from the task');
        return JSON.parse(out.notebook_output.result);
      }),
    );
    expect(outputs.map((o) => o.argv)).toEqual(
      tables.map((t) => [t.name, JSON.stringify(t), `job-${jobId}`]),
    );
    // The task's token worked while it ran: it read its own job run through the API.
    expect(outputs.every((o) => o.api_status === 200 && o.own_state === 'RUNNING')).toBe(true);
  }, 90_000);

  test('inputs are checked: a literal must be a JSON array, a nested for_each is refused, a bad reference fails the task', async () => {
    const bad = await emu.api('POST', '/api/2.2/jobs/create', {
      name: 'bad',
      tasks: [loop('l', '{"not": "an array"}', task('n'))],
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    expect(bad.body.message).toContain('tasks[0].for_each_task.inputs');
    const nested = await emu.api('POST', '/api/2.2/jobs/create', {
      name: 'nested',
      tasks: [loop('outer', '[1]', loop('inner', '[2]', task('n')))],
    });
    expect(nested.status).toBe(400);
    expect(nested.body.message).toContain('for_each_task.task');
    const zero = await emu.api('POST', '/api/2.2/jobs/create', {
      name: 'zero',
      tasks: [loop('l', '[1]', task('n'), { concurrency: 0 })],
    });
    expect(zero.status).toBe(400);

    const jobId = await createJob(emu, {
      name: 'ref',
      parameters: [{ name: 'list', default: 'not json' }],
      tasks: [loop('l', '{{job.parameters.list}}', task('n'))],
    });
    const run = await waitForTerminal(emu, await runNow(emu, { job_id: jobId }));
    expect(run.state.result_state).toBe('FAILED');
    const l = taskByKey(run, 'l');
    expect(l.state.result_state).toBe('FAILED');
    expect(l.state.state_message).toContain('must be a JSON array');
    expect(l.for_each_task.stats).toBeUndefined();

    // An empty array is a loop with nothing to do.
    const empty = await waitForTerminal(emu, await submit(emu, { tasks: [loop('l', '[]', task('n'))] }));
    expect(empty.state.result_state).toBe('SUCCESS');
    expect(taskByKey(empty, 'l').for_each_task.stats.task_run_stats.total_iterations).toBe(0);
  });

  test('cancelling a run stops its loop: active iterations are CANCELED and no more are scheduled', async () => {
    await emu.control('POST', '/scenarios', { match: { taskKey: 'slow' }, durationMs: 600_000 });
    const runId = await submit(emu, {
      tasks: [loop('l', JSON.stringify([1, 2, 3, 4, 5, 6]), task('slow'), { concurrency: 2 })],
    });
    const running = await waitFor(
      () => emu.api('GET', `/api/2.2/jobs/runs/get?run_id=${runId}`).then((r) => r.body),
      (r) => r.tasks[0].for_each_task?.stats?.task_run_stats.active_iterations === 2,
      { what: 'two active iterations' },
    );
    expect(running.tasks[0].for_each_task.stats.task_run_stats.scheduled_iterations).toBe(2);
    await emu.api('POST', '/api/2.2/jobs/runs/cancel', { run_id: runId });
    const run = await waitForTerminal(emu, runId);
    expect(run.state.result_state).toBe('CANCELED');
    const l = run.tasks[0];
    expect(l.state.result_state).toBe('CANCELED');
    expect(l.for_each_task.stats.task_run_stats).toMatchObject({
      scheduled_iterations: 2,
      active_iterations: 0,
    });
    const { iterations } = await iterationsOf(emu, l.run_id);
    expect(iterations.map((it) => it.state.result_state)).toEqual(['CANCELED', 'CANCELED']);
  });

  test('a for_each task timeout ends the loop TIMEDOUT; a nested timeout fails only its iteration', async () => {
    await emu.control('POST', '/scenarios', { match: { taskKey: 'slow' }, durationMs: 600_000 });
    await emu.control('POST', '/scenarios', { match: { taskKey: 'quick' }, durationMs: 20 });
    await emu.control('POST', '/scenarios', { match: { taskKey: 'quick', input: 'b' }, durationMs: 600_000 });
    const runId = await submit(emu, {
      tasks: [
        loop('whole', '[1, 2, 3]', task('slow'), { concurrency: 3 }),
        loop('each', '["a", "b", "c"]', task('quick', [], { timeout_seconds: 1 }), { concurrency: 3 }),
      ],
    });
    // The whole-loop timeout: 1 s on the for_each task itself.
    const slowRun = await submit(emu, {
      tasks: [{ ...loop('whole', '[1, 2]', task('slow'), { concurrency: 2 }), timeout_seconds: 1 }],
    });
    const timedOut = await waitForTerminal(emu, slowRun, 30_000);
    expect(timedOut.tasks[0].state.result_state).toBe('TIMEDOUT');
    const { iterations } = await iterationsOf(emu, timedOut.tasks[0].run_id);
    expect(iterations.map((it) => it.state.result_state)).toEqual(['TIMEDOUT', 'TIMEDOUT']);
    // 'whole' in the first run never ends by itself; cancelling the run ends it once 'each' is done.
    await waitFor(
      () => emu.api('GET', `/api/2.2/jobs/runs/get?run_id=${runId}`).then((r) => taskByKey(r.body, 'each')),
      (each) => each.state.life_cycle_state === 'TERMINATED',
      { timeoutMs: 30_000, what: 'the per-iteration timeouts' },
    );
    await emu.api('POST', '/api/2.2/jobs/runs/cancel', { run_id: runId });
    const mixed = await waitForTerminal(emu, runId, 30_000);
    const each = taskByKey(mixed, 'each');
    const eachIterations = (await iterationsOf(emu, each.run_id)).iterations;
    expect(eachIterations.map((it) => it.state.result_state)).toEqual(['SUCCESS', 'TIMEDOUT', 'SUCCESS']);
    expect(each.state.result_state).toBe('FAILED');
  }, 60_000);

  test('repairing a failed for_each task re-runs the loop as a new attempt; the old iterations stay readable', async () => {
    await emu.control('POST', '/scenarios', { match: { taskKey: 'step' }, durationMs: 20 });
    await emu.control('POST', '/scenarios', {
      match: { taskKey: 'step', input: 'c' },
      durationMs: 20,
      failTimes: 1,
      error: 'transient',
    });
    const jobId = await createJob(emu, {
      name: 'repairable',
      tasks: [loop('l', '["a", "b", "c", "d"]', task('step'), { concurrency: 2 })],
    });
    const runId = await runNow(emu, { job_id: jobId });
    const failed = await waitForTerminal(emu, runId);
    expect(failed.state.result_state).toBe('FAILED');
    const firstLoop = failed.tasks[0];
    const firstIterations = (await iterationsOf(emu, firstLoop.run_id)).iterations;

    const repair = await emu.api('POST', '/api/2.2/jobs/runs/repair', {
      run_id: runId,
      rerun_all_failed_tasks: true,
    });
    expect(repair.status).toBe(200);
    const repaired = await waitForTerminal(emu, runId);
    expect(repaired.state.result_state).toBe('SUCCESS');
    const secondLoop = repaired.tasks[0];
    expect(secondLoop.run_id).not.toBe(firstLoop.run_id);
    expect(secondLoop.attempt_number).toBe(1);
    const secondIterations = (await iterationsOf(emu, secondLoop.run_id)).iterations;
    expect(secondIterations.map((it) => it.state.result_state)).toEqual([
      'SUCCESS',
      'SUCCESS',
      'SUCCESS',
      'SUCCESS',
    ]);
    expect(secondIterations.some((it) => firstIterations.some((old) => old.run_id === it.run_id))).toBe(
      false,
    );
    // The replaced attempt and its iterations are still there.
    const old = (await emu.api('GET', `/api/2.2/jobs/runs/get?run_id=${firstLoop.run_id}`)).body;
    expect(old.iterations.map((it: any) => it.state.result_state)).toEqual([
      'SUCCESS',
      'SUCCESS',
      'FAILED',
      'SUCCESS',
    ]);
    const oldFailure = await emu.api(
      'GET',
      `/api/2.2/jobs/runs/get-output?run_id=${firstIterations[2].run_id}`,
    );
    expect(oldFailure.body.error).toBe('transient');
  });
});

describe('a for_each loop across an emulator restart (--state)', () => {
  test('iterations in flight are resumed, the rest scheduled, and every iteration stays readable', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'emulator-loop-state-'));
    const statePath = path.join(dir, 'workspace.json');
    try {
      const first = await startTestEmulator({ statePath, persistDebounceMs: 20 });
      let runId: number;
      let before: any[];
      try {
        await first.control('POST', '/scenarios', { match: { taskKey: 'step' }, durationMs: 1500 });
        runId = await submit(first, {
          tasks: [loop('l', '[1, 2, 3, 4, 5, 6]', task('step'), { concurrency: 2 })],
        });
        const running = await waitFor(
          () => first.api('GET', `/api/2.2/jobs/runs/get?run_id=${runId}`).then((r) => r.body.tasks[0]),
          (l) => l.for_each_task?.stats?.task_run_stats.active_iterations === 2,
          { what: 'two active iterations' },
        );
        before = (await iterationsOf(first, running.run_id)).iterations;
      } finally {
        await first.close();
      }
      const second = await startTestEmulator({ statePath, persistDebounceMs: 20 });
      try {
        const run = await waitForTerminal(second, runId, 60_000);
        expect(run.state.result_state).toBe('SUCCESS');
        const { iterations } = await iterationsOf(second, run.tasks[0].run_id);
        expect(iterations.map((it) => it.state.result_state)).toEqual(Array(6).fill('SUCCESS'));
        expect(iterations.slice(0, 2).map((it) => it.run_id)).toEqual(
          before.slice(0, 2).map((it) => it.run_id),
        );
        expect(maxOverlap(iterations)).toBeLessThanOrEqual(2);
        const out = await second.api('GET', `/api/2.2/jobs/runs/get-output?run_id=${iterations[0].run_id}`);
        expect(out.status).toBe(200);
        expect(out.body.metadata.run_id).toBe(iterations[0].run_id);
      } finally {
        await second.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);
});
