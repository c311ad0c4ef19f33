import { describe, expect, test } from '@jest/globals';
import { classify, failedTaskKeys, isTerminal, shouldRetry } from '../../src/shared/run-classification.js';
import { retryPolicySchema } from '../../src/shared/run-input.js';
import type { RunSnapshot } from '../../src/shared/run-types.js';

function run(partial: Partial<RunSnapshot>): RunSnapshot {
  return { runId: 1, tasks: [], repairCount: 0, ...partial };
}

describe('classifying terminal states', () => {
  test.each([
    [
      {
        lifeCycleState: 'TERMINATED',
        resultState: 'SUCCESS',
        terminationType: 'SUCCESS',
        terminationCode: 'SUCCESS',
      },
      'SUCCESS',
      true,
    ],
    [{ lifeCycleState: 'TERMINATED', resultState: 'SUCCESS_WITH_FAILURES' }, 'SUCCESS_WITH_FAILURES', true],
    [
      {
        lifeCycleState: 'TERMINATED',
        resultState: 'FAILED',
        terminationType: 'CLIENT_ERROR',
        terminationCode: 'RUN_EXECUTION_ERROR',
      },
      'FAILED',
      false,
    ],
    [{ lifeCycleState: 'TERMINATED', resultState: 'TIMEDOUT' }, 'TIMEDOUT', false],
    [
      { lifeCycleState: 'TERMINATED', resultState: 'CANCELED', terminationCode: 'USER_CANCELED' },
      'CANCELED',
      false,
    ],
    [{ lifeCycleState: 'SKIPPED', terminationCode: 'SKIPPED' }, 'SKIPPED', false],
    // Serverless reports a failed task as INTERNAL_ERROR + FAILED: terminal and a failure.
    [
      { lifeCycleState: 'INTERNAL_ERROR', resultState: 'FAILED', terminationCode: 'RUN_EXECUTION_ERROR' },
      'INTERNAL_ERROR',
      false,
    ],
    // Only `status` present.
    [
      { statusState: 'TERMINATED', terminationType: 'CLOUD_FAILURE', terminationCode: 'CLOUD_FAILURE' },
      'FAILED',
      false,
    ],
    [{ statusState: 'TERMINATED', terminationType: 'SUCCESS', terminationCode: 'SUCCESS' }, 'SUCCESS', true],
  ])('%j → %s', (state, outcome, succeeded) => {
    const snapshot = run(state);
    expect(isTerminal(snapshot)).toBe(true);
    expect(classify(snapshot)).toMatchObject({ outcome, succeeded });
  });

  test.each([['QUEUED'], ['PENDING'], ['RUNNING'], ['TERMINATING'], ['BLOCKED'], ['WAITING_FOR_RETRY']])(
    '%s is not terminal',
    (s) => {
      expect(isTerminal(run({ lifeCycleState: s }))).toBe(false);
    },
  );
});

describe('retry policy', () => {
  const policy = retryPolicySchema.parse({ maxAttempts: 3 });
  test('platform failures are retried until attempts run out; user errors and cancellations are not', () => {
    const cloud = classify(
      run({
        lifeCycleState: 'TERMINATED',
        resultState: 'FAILED',
        terminationType: 'CLOUD_FAILURE',
        terminationCode: 'CLOUD_FAILURE',
      }),
    );
    expect(shouldRetry(cloud, policy, 1)).toBe(true);
    expect(shouldRetry(cloud, policy, 3)).toBe(false);
    const user = classify(
      run({
        lifeCycleState: 'TERMINATED',
        resultState: 'FAILED',
        terminationType: 'CLIENT_ERROR',
        terminationCode: 'RUN_EXECUTION_ERROR',
      }),
    );
    expect(shouldRetry(user, policy, 1)).toBe(false);
    expect(
      shouldRetry(
        user,
        retryPolicySchema.parse({ maxAttempts: 2, terminationCodes: ['RUN_EXECUTION_ERROR'] }),
        1,
      ),
    ).toBe(true);
    const internal = classify(run({ lifeCycleState: 'INTERNAL_ERROR' }));
    expect(shouldRetry(internal, policy, 1)).toBe(true);
    const cancelled = classify(
      run({ lifeCycleState: 'TERMINATED', resultState: 'CANCELED', terminationType: 'CLOUD_FAILURE' }),
    );
    expect(shouldRetry(cancelled, policy, 1)).toBe(false);
  });

  test('failed task keys exclude successful and excluded tasks', () => {
    const snapshot = run({
      tasks: [
        { taskKey: 'a', runId: 2, resultState: 'SUCCESS' },
        { taskKey: 'b', runId: 3, resultState: 'FAILED' },
        { taskKey: 'c', runId: 4, resultState: 'UPSTREAM_FAILED' },
        { taskKey: 'd', runId: 5, resultState: 'EXCLUDED' },
      ],
    });
    expect(failedTaskKeys(snapshot)).toEqual(['b', 'c']);
  });
});
