import { describe, expect, test } from '@jest/globals';
import { parseRunInput } from '../../src/shared/run-input.js';

function problems(input: unknown): string[] {
  const result = parseRunInput(input);
  return result.ok ? [] : result.problems;
}

describe('databricksRun input', () => {
  test('a job id is kept exact as a decimal string, however it was given', () => {
    for (const [given, kept] of [
      ['4611686018427387905', '4611686018427387905'],
      ['9223372036854775807', '9223372036854775807'],
      [' 0042 ', '42'],
      [42, '42'],
    ] as const) {
      const parsed = parseRunInput({ jobId: given });
      expect(parsed.ok && parsed.value.jobId).toBe(kept);
    }
  });

  test('fills in defaults for a job id', () => {
    const result = parseRunInput({ jobId: 42, jobParameters: { date: '2026-11-26' } });
    expect(result).toMatchObject({
      ok: true,
      value: {
        jobId: '42',
        wait: { mode: 'auto', pollInterval: 5000, maxPollInterval: 60000, safetyNetInterval: 300000 },
        retry: { maxAttempts: 1, terminationTypes: ['CLOUD_FAILURE', 'INTERNAL_ERROR'], strategy: 'repair' },
        onCancel: 'cancel',
      },
    });
  });

  test('accepts a one-time submit spec and durations in words', () => {
    const result = parseRunInput({
      submit: {
        run_name: 'adhoc',
        tasks: [{ task_key: 'train', spark_python_task: { python_file: 'jobs/train.py' } }],
      },
      wait: { mode: 'webhook', safetyNetInterval: '2m' },
      timeout: '1h',
    });
    expect(result.ok && result.value.timeout).toBe(3_600_000);
    expect(result.ok && result.value.wait.safetyNetInterval).toBe(120_000);
  });

  test.each([
    [{}, 'jobId: expected exactly one of jobId, jobName or submit (none given)'],
    [
      { jobId: 1, jobName: 'x' },
      'jobName: expected exactly one of jobId, jobName or submit (got jobId and jobName)',
    ],
    [
      { jobId: 1, timeout: '-5s' },
      'timeout: expected a duration such as "30s", "5m", "2h" or milliseconds (got "-5s")',
    ],
    [{ jobId: 1, timeout: -5 }, 'timeout: expected a positive duration (got -5)'],
    [{ jobId: '12a' }, 'jobId: expected a Databricks job id'],
    [{ jobId: '9223372036854775808' }, 'jobId: expected a Databricks job id'],
    [
      { jobId: 2 ** 60 },
      'jobId: a number above 2^53 may have been rounded; pass the job id as a decimal string',
    ],
    [{ jobId: 1, wait: { mode: 'sometimes' } }, 'wait.mode:'],
    [{ jobId: 1, colour: 'blue' }, 'colour: unknown field'],
    [{ jobId: 1, retry: { maxAttempts: 0 } }, 'retry.maxAttempts:'],
    [{ submit: { tasks: [] } }, 'submit.tasks: expected at least one task'],
    [
      {
        submit: {
          tasks: [
            { task_key: 'a', notebook_task: {} },
            { task_key: 'a', notebook_task: {} },
          ],
        },
      },
      'submit.tasks.1.task_key: duplicate task key "a"',
    ],
    [{ jobId: 1, timeout: '99999999999999d' }, 'timeout: expected a duration from 1ms to 365d'],
    [{ jobId: 1, timeout: '0.0001ms' }, 'timeout: expected a duration from 1ms to 365d'],
    [{ submit: { tasks: [{ task_key: 'a' }] } }, 'submit.tasks.0: expected a task type'],
    [
      { submit: { tasks: [{ task_key: 'a', notebook_task: {} }] }, jobParameters: { a: 'b' } },
      'jobParameters: jobParameters apply',
    ],
  ])('%j is rejected naming the field', (input, expected) => {
    expect(problems(input).join('\n')).toContain(expected);
  });
});
