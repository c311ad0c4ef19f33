/**
 * mlPipeline end to end: the real demo jobs (jobs/train.py, jobs/score.py) run as spark_python_tasks
 * in the emulator, log to its MLflow, and the pipeline gates, registers and scores — on a real dev
 * server with a real worker.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { WorkflowFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { PipelineDefinition } from '../../src/shared/pipeline-definition.js';
import type { PipelineResult } from '../../src/shared/pipeline-types.js';
import { mlPipeline } from '../../src/workflows/index.js';
import { waitFor } from '../emulator/helpers.js';
import { startWorkspaceHarness, type WorkspaceHarness } from '../helpers/workspace.js';

const POLL = { mode: 'poll' as const, pollInterval: '200ms', maxPollInterval: '500ms' };

function definition(
  model: string,
  options: { weak?: boolean; approval?: PipelineDefinition['approval'] } = {},
): PipelineDefinition {
  return {
    name: `churn-${model}`,
    train: {
      submit: {
        run_name: `train-${model}`,
        tasks: [
          {
            task_key: 'train',
            spark_python_task: {
              python_file: 'jobs/train.py',
              parameters: [
                '--data',
                'data/churn.csv',
                '--experiment',
                `/Shared/${model}`,
                ...(options.weak ? ['--weak'] : []),
              ],
            },
          },
        ],
      },
      wait: POLL,
    },
    evaluate: {
      metric: 'auc',
      source: 'mlflow',
      direction: 'higher',
      threshold: 0.6,
      mustBeatChampion: true,
    },
    ...(options.approval ? { approval: options.approval } : {}),
    register: { model, alias: 'champion', artifactPath: 'model' },
    score: {
      submit: {
        run_name: `score-${model}`,
        tasks: [
          {
            task_key: 'score',
            spark_python_task: {
              python_file: 'jobs/score.py',
              parameters: ['--model-name', model, '--alias', 'champion', '--data', 'data/churn.csv'],
            },
          },
        ],
      },
      wait: POLL,
    },
  };
}

describe('mlPipeline', () => {
  let harness: WorkspaceHarness;
  let env: TestWorkflowEnvironment;
  let taskQueue: string;

  beforeAll(async () => {
    harness = await startWorkspaceHarness({ name: 'pipeline' });
    ({ env, taskQueue } = harness);
  });
  afterAll(() => harness?.close());

  function execute(def: PipelineDefinition, workflowId = `pipeline-${Math.random().toString(36).slice(2)}`) {
    return env.client.workflow.execute(mlPipeline, { taskQueue, workflowId, args: [def] });
  }

  test('promotes a first model, then keeps it when a weaker candidate fails the gate', async () => {
    const first: PipelineResult = await execute(definition('gate'));
    expect(first.decision.passed).toBe(true);
    expect(first.promoted).toBe(true);
    expect(first.modelVersion).toBe('1');
    expect(first.candidate.value).toBeGreaterThan(0.6);
    expect(first.scoredWithVersion).toBe('1');
    expect(first.steps.map((s) => [s.name, s.state])).toEqual([
      ['train', 'succeeded'],
      ['evaluate', 'succeeded'],
      ['approval', 'skipped'],
      ['register', 'succeeded'],
      ['score', 'succeeded'],
    ]);

    const second: PipelineResult = await execute(definition('gate', { weak: true }));
    expect(second.decision.passed).toBe(false);
    expect(second.decision.reason).toMatch(/does not (beat the champion|reach the threshold)/);
    expect(second.promoted).toBe(false);
    expect(second.champion?.version).toBe('1');
    expect(second.candidate.value!).toBeLessThan(first.candidate.value!);
    expect(second.modelVersion).toBe('1');
    expect(second.scoredWithVersion).toBe('1');
    expect(second.steps.find((s) => s.name === 'register')).toMatchObject({ state: 'skipped' });
    expect(second.steps.find((s) => s.name === 'register')!.detail).toContain(
      '"champion" stays gate version 1',
    );
  });

  test('approval: approve through the update, reject through the signal, default on timeout', async () => {
    const approval: PipelineDefinition['approval'] = { timeout: '20s', onTimeout: 'reject' };
    const start = (model: string, timeout: PipelineDefinition['approval'] = approval) =>
      env.client.workflow.start(mlPipeline, {
        taskQueue,
        workflowId: `pipeline-approval-${model}-${Date.now()}`,
        args: [definition(model, { approval: timeout })],
      });
    const waiting = async (handle: Awaited<ReturnType<typeof start>>) =>
      waitFor(
        () => handle.query('status') as Promise<{ awaitingApproval: boolean }>,
        (s) => s.awaitingApproval,
        { timeoutMs: 45_000, what: 'the pipeline to wait for approval' },
      );

    const approved = await start('approve-me');
    await waiting(approved);
    const decision = await approved.executeUpdate('decide', { args: [{ decision: 'approve', by: 'alice' }] });
    expect(decision).toMatchObject({ decision: 'approve', by: 'alice' });
    const approvedResult = (await approved.result()) as PipelineResult;
    expect(approvedResult).toMatchObject({
      promoted: true,
      decision: { approval: { decision: 'approve', by: 'alice' } },
    });

    const rejected = await start('reject-me');
    await waiting(rejected);
    await rejected.signal('reject', { by: 'bob', comment: 'not tonight' });
    const rejectedResult = (await rejected.result()) as PipelineResult;
    expect(rejectedResult.promoted).toBe(false);
    expect(rejectedResult.steps.find((s) => s.name === 'score')).toMatchObject({ state: 'skipped' });

    const timedOut = await start('nobody-home', { timeout: '2s', onTimeout: 'approve' });
    const timedOutResult = (await timedOut.result()) as PipelineResult;
    expect(timedOutResult.decision.approval).toMatchObject({
      decision: 'approve',
      by: 'timeout',
      timedOut: true,
    });
    expect(timedOutResult.promoted).toBe(true);

    // Approving a pipeline that is not waiting is refused by the update's validator.
    await expect(approved.executeUpdate('decide', { args: [{ decision: 'reject' }] })).rejects.toThrow();
  }, 180_000); // three pipelines of real Python jobs, one after another: ~15 s idle, more when loaded

  test('an invalid definition sent straight to the workflow fails non-retryably, naming the field', async () => {
    const error = await execute({ ...definition('bad'), name: 'has spaces' }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(WorkflowFailedError);
    expect(String((error as WorkflowFailedError).cause?.message)).toContain('name: expected 1-100 letters');
  });
});
