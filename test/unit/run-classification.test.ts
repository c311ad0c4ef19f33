import { describe, expect, test } from '@jest/globals';
import {
  classify,
  classifyRun,
  describeFailedTasks,
  failedTaskKeys,
  isTerminal,
  isTerminalState,
  shouldRetry,
  unknownStateOf,
} from '../../src/shared/run-classification.js';
import { retryPolicySchema } from '../../src/shared/run-input.js';
import type { RunSnapshot } from '../../src/shared/run-types.js';

function run(partial: Partial<RunSnapshot>): RunSnapshot {
  return { runId: '1', tasks: [], repairCount: 0, ...partial };
}

/**
 * Snapshots recorded before the activity classified them (no `terminal`/`verdict`): the workflow must
 * decide exactly as it did then, so these rules are kept as they were.
 */
describe('classifying terminal states recorded by older activities (legacy rules)', () => {
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
        { taskKey: 'a', runId: '2', resultState: 'SUCCESS' },
        { taskKey: 'b', runId: '3', resultState: 'FAILED' },
        { taskKey: 'c', runId: '4', resultState: 'UPSTREAM_FAILED' },
        { taskKey: 'd', runId: '5', resultState: 'EXCLUDED' },
      ],
    });
    expect(failedTaskKeys(snapshot)).toEqual(['b', 'c']);
  });
});

/** The activity's rules: `status` first, `state` second, unknown values never crash. */
describe('classifying runs by status first (classifyRun, isTerminalState)', () => {
  test.each([
    [
      {
        statusState: 'TERMINATED',
        lifeCycleState: 'TERMINATED',
        resultState: 'SUCCESS',
        terminationCode: 'SUCCESS',
      },
      'SUCCESS',
      true,
    ],
    [
      {
        statusState: 'TERMINATED',
        resultState: 'SUCCESS_WITH_FAILURES',
        terminationCode: 'SUCCESS_WITH_FAILURES',
      },
      'SUCCESS_WITH_FAILURES',
      true,
    ],
    // CANCELED covers a platform cancel and an exceeded timeout; result_state says which.
    [{ statusState: 'TERMINATED', resultState: 'TIMEDOUT', terminationCode: 'CANCELED' }, 'TIMEDOUT', false],
    [{ statusState: 'TERMINATED', resultState: 'CANCELED', terminationCode: 'CANCELED' }, 'CANCELED', false],
    [
      { statusState: 'TERMINATED', resultState: 'CANCELED', terminationCode: 'USER_CANCELED' },
      'CANCELED',
      false,
    ],
    // Serverless: life cycle INTERNAL_ERROR, but status says a task failed in user code.
    [
      {
        statusState: 'TERMINATED',
        lifeCycleState: 'INTERNAL_ERROR',
        resultState: 'FAILED',
        terminationCode: 'RUN_EXECUTION_ERROR',
        terminationType: 'CLIENT_ERROR',
      },
      'FAILED',
      false,
    ],
    [
      { statusState: 'TERMINATED', lifeCycleState: 'INTERNAL_ERROR', terminationCode: 'INTERNAL_ERROR' },
      'INTERNAL_ERROR',
      false,
    ],
    // status contradicts state: status wins.
    [{ statusState: 'TERMINATED', resultState: 'SUCCESS', terminationCode: 'DRIVER_ERROR' }, 'FAILED', false],
    [
      { statusState: 'TERMINATED', terminationCode: 'MAX_JOB_QUEUE_SIZE_EXCEEDED' },
      'MAXIMUM_CONCURRENT_RUNS_REACHED',
      false,
    ],
    [{ statusState: 'TERMINATED', terminationCode: 'DISABLED' }, 'DISABLED', false],
    // Only `state` (an older server).
    [{ lifeCycleState: 'TERMINATED', resultState: 'UPSTREAM_FAILED' }, 'UPSTREAM_FAILED', false],
    [{ lifeCycleState: 'SKIPPED' }, 'SKIPPED', false],
    // A run that never ran is SKIPPED whatever its leaves say; a task not run says why.
    [
      {
        statusState: 'TERMINATED',
        lifeCycleState: 'SKIPPED',
        resultState: 'EXCLUDED',
        terminationCode: 'SKIPPED',
      },
      'SKIPPED',
      false,
    ],
    [
      {
        statusState: 'TERMINATED',
        lifeCycleState: 'TERMINATED',
        resultState: 'EXCLUDED',
        terminationCode: 'SKIPPED',
      },
      'EXCLUDED',
      false,
    ],
    // A termination code added later: result_state decides.
    [
      { statusState: 'TERMINATED', resultState: 'SUCCESS', terminationCode: 'SOME_NEW_CODE' },
      'SUCCESS',
      true,
    ],
  ])('%j → %s', (state, outcome, succeeded) => {
    const snapshot = run(state);
    expect(isTerminalState(snapshot)).toBe(true);
    expect(classifyRun(snapshot)).toMatchObject({ outcome, succeeded });
  });

  test('an unknown result state is a failure that names it', () => {
    const c = classifyRun(run({ lifeCycleState: 'TERMINATED', resultState: 'PARTIALLY_MELTED' }));
    expect(c).toMatchObject({ outcome: 'UNKNOWN', succeeded: false });
    expect(c.message).toContain('PARTIALLY_MELTED');
  });

  test('status decides terminality when present and known; unknown states are still running', () => {
    expect(isTerminalState(run({ statusState: 'RUNNING', lifeCycleState: 'TERMINATED' }))).toBe(false);
    expect(isTerminalState(run({ statusState: 'TERMINATED', lifeCycleState: 'RUNNING' }))).toBe(true);
    expect(isTerminalState(run({ statusState: 'WAITING', lifeCycleState: 'WAITING_FOR_RETRY' }))).toBe(false);
    // An unknown status.state falls back to the life cycle; both unknown: still running, with a warning.
    expect(isTerminalState(run({ statusState: 'HIBERNATING', lifeCycleState: 'TERMINATED' }))).toBe(true);
    expect(isTerminalState(run({ lifeCycleState: 'HIBERNATING' }))).toBe(false);
    expect(unknownStateOf(run({ lifeCycleState: 'HIBERNATING' }))).toContain('HIBERNATING');
    expect(unknownStateOf(run({ statusState: 'HIBERNATING' }))).toContain('HIBERNATING');
    expect(unknownStateOf(run({}))).toBe('no state at all');
    expect(unknownStateOf(run({ statusState: 'QUEUED', lifeCycleState: 'QUEUED' }))).toBeUndefined();
  });

  test('a snapshot carrying the activity verdict is classified by it, not re-derived', () => {
    const snapshot = run({
      lifeCycleState: 'TERMINATED',
      resultState: 'SUCCESS',
      terminal: true,
      verdict: { outcome: 'FAILED', succeeded: false, terminationCode: 'DRIVER_ERROR' },
    });
    expect(isTerminal(snapshot)).toBe(true);
    expect(classify(snapshot)).toMatchObject({ outcome: 'FAILED' });
    expect(isTerminal(run({ lifeCycleState: 'TERMINATED', terminal: false }))).toBe(false);
  });

  test('failed tasks and for_each iterations are named for people', () => {
    expect(
      describeFailedTasks([
        { taskKey: 'prepare', runId: '2', resultState: 'SUCCESS' },
        { taskKey: 'train', runId: '3', resultState: 'FAILED' },
        { taskKey: 'branch', runId: '4', resultState: 'EXCLUDED' },
        { taskKey: 'off', runId: '5', resultState: 'DISABLED' },
        {
          taskKey: 'score',
          runId: '6',
          resultState: 'FAILED',
          iterations: [
            { taskKey: 'score_one', runId: '7', resultState: 'SUCCESS' },
            { taskKey: 'score_one', runId: '8', resultState: 'FAILED' },
            { taskKey: 'score_one', runId: '9', resultState: 'TIMEDOUT' },
          ],
        },
      ]),
    ).toEqual(['train FAILED', 'score[1] FAILED', 'score[2] TIMEDOUT']);
  });
});
