import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { decideRunIf } from '../../emulator/runs/run-conditions.js';
import type { TestEmulator } from './helpers.js';
import { startTestEmulator, submit, task, taskByKey, waitForTerminal } from './helpers.js';

describe('run_if decisions (docs: "Run tasks conditionally")', () => {
  test.each([
    ['ALL_SUCCESS', ['SUCCESS', 'SUCCESS'], 'RUN'],
    ['ALL_SUCCESS', ['SUCCESS', 'FAILED'], 'UPSTREAM_FAILED'],
    ['ALL_SUCCESS', ['SUCCESS', 'EXCLUDED'], 'RUN'],
    ['ALL_SUCCESS', ['SUCCESS', 'CANCELED'], 'UPSTREAM_CANCELED'],
    ['AT_LEAST_ONE_SUCCESS', ['FAILED', 'SUCCESS'], 'RUN'],
    ['AT_LEAST_ONE_SUCCESS', ['FAILED', 'UPSTREAM_FAILED'], 'UPSTREAM_FAILED'],
    ['NONE_FAILED', ['SUCCESS', 'EXCLUDED'], 'RUN'],
    ['NONE_FAILED', ['SUCCESS', 'TIMEDOUT'], 'UPSTREAM_FAILED'],
    ['ALL_DONE', ['FAILED', 'TIMEDOUT'], 'RUN'],
    ['AT_LEAST_ONE_FAILED', ['SUCCESS', 'FAILED'], 'RUN'],
    ['AT_LEAST_ONE_FAILED', ['SUCCESS', 'UPSTREAM_FAILED'], 'RUN'],
    ['AT_LEAST_ONE_FAILED', ['SUCCESS', 'SUCCESS'], 'EXCLUDED'],
    ['ALL_FAILED', ['FAILED', 'TIMEDOUT'], 'RUN'],
    ['ALL_FAILED', ['FAILED', 'SUCCESS'], 'EXCLUDED'],
    // A task whose dependencies were all excluded is excluded, whatever its condition.
    ['ALL_DONE', ['EXCLUDED', 'EXCLUDED'], 'EXCLUDED'],
    ['ALL_SUCCESS', ['EXCLUDED'], 'EXCLUDED'],
  ] as const)('%s with %j → %s', (runIf, deps, expected) => {
    expect(decideRunIf(runIf, deps)).toBe(expected);
  });
});

describe('DAG execution', () => {
  let emu: TestEmulator;
  beforeAll(async () => {
    emu = await startTestEmulator({ defaultTaskDurationMs: 60 });
  });
  afterAll(async () => {
    await emu.close();
  });
  beforeEach(async () => {
    await emu.control('POST', '/reset');
  });

  test('tasks start only after their dependencies end; independent tasks run in parallel', async () => {
    // extract → (clean, features) → train → report
    const run = await waitForTerminal(
      emu,
      await submit(emu, {
        tasks: [
          task('report', ['train']),
          task('train', ['clean', 'features']),
          task('features', ['extract']),
          task('clean', ['extract']),
          task('extract'),
        ],
      }),
    );
    expect(run.state.result_state).toBe('SUCCESS');
    const t = (key: string): any => taskByKey(run, key);
    expect(t('clean').start_time).toBeGreaterThanOrEqual(t('extract').end_time);
    expect(t('features').start_time).toBeGreaterThanOrEqual(t('extract').end_time);
    expect(t('train').start_time).toBeGreaterThanOrEqual(
      Math.max(t('clean').end_time, t('features').end_time),
    );
    expect(t('report').start_time).toBeGreaterThanOrEqual(t('train').end_time);
    // clean and features overlap: both start when extract ends.
    expect(t('clean').start_time).toBe(t('features').start_time);
    // The tasks array keeps the submitted order.
    expect(run.tasks.map((x: any) => x.task_key)).toEqual([
      'report',
      'train',
      'features',
      'clean',
      'extract',
    ]);
  });

  test('a failure marks downstream tasks UPSTREAM_FAILED or EXCLUDED by run_if, and the leaves decide the run', async () => {
    await emu.control('POST', '/scenarios', {
      match: { taskKey: 'ingest' },
      durationMs: 40,
      result: 'FAILED',
    });
    const run = await waitForTerminal(
      emu,
      await submit(emu, {
        tasks: [
          task('ingest'),
          task('transform', ['ingest']),
          task('publish', ['transform']),
          task('alert', ['ingest'], { run_if: 'AT_LEAST_ONE_FAILED' }),
          task('celebrate', ['ingest'], { run_if: 'ALL_FAILED' }),
          task('cleanup', ['transform', 'ingest'], { run_if: 'ALL_DONE' }),
          task('audit', ['ingest'], { run_if: 'NONE_FAILED' }),
          task('any', ['transform', 'ingest'], { run_if: 'AT_LEAST_ONE_SUCCESS' }),
          task('not-failed', ['ingest'], { run_if: 'AT_LEAST_ONE_FAILED' }),
        ],
      }),
    );
    const result = (key: string): string => taskByKey(run, key).state.result_state;
    expect(result('ingest')).toBe('FAILED');
    expect(result('transform')).toBe('UPSTREAM_FAILED');
    expect(result('publish')).toBe('UPSTREAM_FAILED');
    expect(result('alert')).toBe('SUCCESS');
    expect(result('celebrate')).toBe('SUCCESS');
    expect(result('cleanup')).toBe('SUCCESS');
    expect(result('audit')).toBe('UPSTREAM_FAILED');
    expect(result('any')).toBe('UPSTREAM_FAILED');
    const skipped = taskByKey(run, 'transform');
    expect(skipped.state.life_cycle_state).toBe('SKIPPED');
    expect(skipped.status.termination_details.code).toBe('SKIPPED');
    expect(skipped.execution_duration).toBe(0);
    // publish, audit and any are failed leaves: the run failed, and says which task caused it.
    expect(run.state.result_state).toBe('FAILED');
    expect(run.state.state_message).toBe(
      'Task ingest failed with message: Workload failed, see run output for details.',
    );
  });

  test('when every leaf succeeds despite a failure the run is SUCCESS_WITH_FAILURES; excluded leaves count as success', async () => {
    await emu.control('POST', '/scenarios', {
      match: { taskKey: 'flaky' },
      durationMs: 30,
      result: 'FAILED',
    });
    const recovered = await waitForTerminal(
      emu,
      await submit(emu, {
        tasks: [task('flaky'), task('fallback', ['flaky'], { run_if: 'AT_LEAST_ONE_FAILED' })],
      }),
    );
    expect(recovered.state.result_state).toBe('SUCCESS_WITH_FAILURES');
    expect(recovered.status.termination_details).toMatchObject({
      code: 'SUCCESS_WITH_FAILURES',
      type: 'SUCCESS',
    });

    const clean = await waitForTerminal(
      emu,
      await submit(emu, { tasks: [task('main'), task('on-failure', ['main'], { run_if: 'ALL_FAILED' })] }),
    );
    expect(taskByKey(clean, 'on-failure').state.result_state).toBe('EXCLUDED');
    expect(clean.state.result_state).toBe('SUCCESS');
  });

  test('invalid graphs are rejected: duplicate keys, unknown dependencies, cycles', async () => {
    const cases: [unknown[], string][] = [
      [[task('a'), task('a')], 'Task key a is not unique.'],
      [[task('a', ['ghost'])], 'Task a depends on ghost, which does not exist.'],
      [
        [task('a', ['c']), task('b', ['a']), task('c', ['b'])],
        'The task dependencies contain a cycle: a -> c -> b -> a.',
      ],
    ];
    for (const [tasks, message] of cases) {
      const result = await emu.api('POST', '/api/2.1/jobs/runs/submit', { tasks });
      expect(result.status).toBe(400);
      expect(result.body).toMatchObject({ error_code: 'INVALID_PARAMETER_VALUE', message });
    }
    expect((emu.handle.stats() as any).runs.created).toBe(0);
  });
});
