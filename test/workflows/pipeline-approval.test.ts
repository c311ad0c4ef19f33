/**
 * mlPipeline's approval gate and its children's parent-close policy, on a real dev server, worker and
 * emulator. The train and score steps are scripted notebook tasks (train's output carries the
 * candidate's metrics), so the pipeline reaches its gate in seconds; the decisions are refused or taken
 * exactly where the gate stands, and a signal that would be refused is ignored rather than deciding the
 * gate in advance. The worker uses the workspace registry, where a test makes a champion with three
 * MLflow calls: a rejected candidate is then followed by scoring with the champion, which keeps the
 * pipeline running while a second decision is tried.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { main } from '../../src/client/main.js';
import type { PipelineDefinition } from '../../src/shared/pipeline-definition.js';
import {
  mlPipeline,
  pipelineStatusQuery,
  statusQuery,
  type PipelineStatusView,
} from '../../src/workflows/index.js';
import { getRun, waitFor } from '../emulator/helpers.js';
import { captureConsole, pointCliAtTestServer } from '../helpers/cli.js';
import { startWorkspaceHarness, type WorkspaceHarness } from '../helpers/workspace.js';

const FAST_POLL = { mode: 'poll' as const, pollInterval: '200ms', maxPollInterval: '500ms' };

describe('mlPipeline approval gate', () => {
  let harness: WorkspaceHarness;
  let env: TestWorkflowEnvironment;
  let taskQueue: string;
  let restoreCli: () => void;
  const { err } = captureConsole();

  beforeAll(async () => {
    harness = await startWorkspaceHarness({ name: 'approval', modelRegistry: 'workspace' });
    ({ env, taskQueue } = harness);
    restoreCli = pointCliAtTestServer(taskQueue);
  });
  afterAll(async () => {
    restoreCli?.();
    await harness?.close();
  });

  /** Version 1 of `model` in the Production stage: the workspace registry's champion. */
  async function champion(model: string): Promise<void> {
    const call = async (path: string, body: unknown) => {
      const answer = await harness.emulator.api('POST', `/api/2.0/mlflow/${path}`, body);
      expect(`${path} ${answer.status}`).toBe(`${path} 200`);
    };
    await call('registered-models/create', { name: model });
    await call('model-versions/create', { name: model, source: `dbfs:/champions/${model}` });
    await call('model-versions/transition-stage', { name: model, version: '1', stage: 'Production' });
  }

  /**
   * A pipeline whose train task runs `trainMs` and reports MLflow run `mlflow-<name>` with auc 0.9, and
   * whose score task runs `scoreMs` — when there is a model to score with: with `withChampion`.
   */
  async function start(
    name: string,
    options: { trainMs: number; scoreMs?: number; withChampion?: boolean },
  ): Promise<WorkflowHandle<typeof mlPipeline>> {
    const suffix = randomUUID().slice(0, 8);
    const task = (key: string) => [{ task_key: key, notebook_task: { notebook_path: `/${key}` } }];
    await harness.emulator.control('POST', '/scenarios', {
      match: { runName: `train-${name}-${suffix}` },
      durationMs: options.trainMs,
      output: { mlflow_run_id: `mlflow-${name}`, metrics: { auc: 0.9 } },
    });
    await harness.emulator.control('POST', '/scenarios', {
      match: { runName: `score-${name}-${suffix}` },
      durationMs: options.scoreMs ?? 200,
    });
    const model = `approval-${name}-${suffix}`;
    if (options.withChampion) await champion(model);
    const definition: PipelineDefinition = {
      name: `approval-${name}`,
      train: { submit: { run_name: `train-${name}-${suffix}`, tasks: task('train') }, wait: FAST_POLL },
      evaluate: { metric: 'auc', source: 'output', threshold: 0.5 },
      approval: { timeout: '10m', onTimeout: 'reject' },
      register: { model },
      score: { submit: { run_name: `score-${name}-${suffix}`, tasks: task('score') }, wait: FAST_POLL },
    };
    return env.client.workflow.start(mlPipeline, {
      taskQueue,
      workflowId: `approval-${name}-${suffix}`,
      args: [definition],
    });
  }

  const status = (handle: WorkflowHandle<typeof mlPipeline>) =>
    handle.query(pipelineStatusQuery).catch(() => undefined);

  async function atGate(handle: WorkflowHandle<typeof mlPipeline>): Promise<PipelineStatusView> {
    return (await waitFor(
      () => status(handle),
      (view) => view?.awaitingApproval === true,
      { timeoutMs: 60_000, intervalMs: 200, what: `${handle.workflowId} to wait for approval` },
    ))!;
  }

  /** The validator's message, from a refused update. */
  async function refusal(promise: Promise<unknown>): Promise<string> {
    const error = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(WorkflowUpdateFailedError);
    return (error as WorkflowUpdateFailedError).cause?.message ?? '';
  }

  test('refuses a decision before the gate and ignores an early signal; at the gate takes one decision for the right candidate', async () => {
    // Scoring with the champion, after the rejection, lasts until the test terminates the pipeline.
    const handle = await start('gate', { trainMs: 4_000, scoreMs: 30 * 60_000, withChampion: true });
    await waitFor(
      () => status(handle),
      (view) => view?.steps.find((s) => s.name === 'train')?.state === 'running',
      { timeoutMs: 30_000, intervalMs: 100, what: 'the train step to run' },
    );
    expect(
      await refusal(handle.executeUpdate('decide', { args: [{ decision: 'approve', by: 'eager' }] })),
    ).toMatch(/has not reached its approval gate yet/);
    // A signal cannot be refused; it is ignored (before, it decided the gate in advance).
    await handle.signal('approve', { by: 'eager' });

    const view = await atGate(handle);
    const trainRunId = view.steps.find((s) => s.name === 'train')!.databricksRunId!;
    expect(view.candidate).toEqual({ mlflowRunId: 'mlflow-gate', trainRunId, metric: 'auc', value: 0.9 });

    // A decision meant for another candidate: the update is refused, the signal ignored.
    expect(
      await refusal(
        handle.executeUpdate('decide', {
          args: [{ decision: 'approve', by: 'bob', candidate: 'mlflow-yesterday' }],
        }),
      ),
    ).toBe(
      `the candidate awaiting approval is MLflow run mlflow-gate, train run ${trainRunId} (auc 0.9), not "mlflow-yesterday"`,
    );
    await handle.signal('approve', { by: 'bob', candidate: 'mlflow-yesterday' });
    // The CLI says why, and exits 1.
    expect(await main(['pipeline', 'approve', handle.workflowId, '--candidate', 'mlflow-yesterday'])).toBe(1);
    expect(err.join('\n')).toContain(
      'approve refused: the candidate awaiting approval is MLflow run mlflow-gate',
    );

    // Neither the early signal nor the mismatched one decided: this one is the first, by train run id.
    const decision = await handle.executeUpdate('decide', {
      args: [{ decision: 'reject', by: 'carol', comment: 'not tonight', candidate: trainRunId }],
    });
    expect(decision).toEqual({ decision: 'reject', by: 'carol', comment: 'not tonight' });
    const scoring = await waitFor(
      () => status(handle),
      (v) => v?.steps.find((s) => s.name === 'score')?.state === 'running',
      { timeoutMs: 30_000, intervalMs: 100, what: 'scoring with the champion' },
    );
    expect(scoring!.steps.find((s) => s.name === 'approval')).toMatchObject({
      state: 'failed',
      detail: 'rejected by carol',
    });
    // A second decision, by update or signal, changes nothing.
    expect(
      await refusal(handle.executeUpdate('decide', { args: [{ decision: 'approve', by: 'dave' }] })),
    ).toBe('the approval was already decided: rejected by carol');
    await handle.signal('approve', { by: 'dave' });
    expect(
      await refusal(handle.executeUpdate('decide', { args: [{ decision: 'approve', by: 'erin' }] })),
    ).toBe('the approval was already decided: rejected by carol');

    // Terminated while scoring: the score run is asked to cancel (parent-close policy), and is.
    const scoreChild = env.client.workflow.getHandle(
      scoring!.steps.find((s) => s.name === 'score')!.workflowId!,
    );
    const scoreView = await waitFor(
      () => scoreChild.query(statusQuery).catch(() => undefined),
      (v) => v?.runId !== undefined,
      { timeoutMs: 30_000, intervalMs: 100, what: 'the score run to be submitted' },
    );
    await handle.terminate('test: done');
    await expect(scoreChild.result()).rejects.toThrow();
    const scoreRun = (await getRun(harness.emulator, scoreView!.runId!)) as {
      state: { result_state: string };
    };
    expect(scoreRun.state.result_state).toBe('CANCELED');
  }, 120_000);

  test('a decide update with no decision is refused', async () => {
    const handle = await start('malformed', { trainMs: 200 });
    await atGate(handle);
    expect(await refusal(handle.executeUpdate('decide', { args: [{ by: 'x' } as never] }))).toBe(
      'decision: expected "approve" or "reject" (got undefined)',
    );
    await handle.executeUpdate('decide', { args: [{ decision: 'reject', by: 'x' }] });
    await handle.result();
  }, 60_000);

  test('a terminated pipeline asks its train run to cancel (parent-close policy), which cancels the Databricks run', async () => {
    const handle = await start('terminated', { trainMs: 30 * 60_000 });
    const train = await waitFor(
      () => status(handle),
      (view) => view?.steps.find((s) => s.name === 'train')?.workflowId !== undefined,
      { timeoutMs: 30_000, intervalMs: 100, what: 'the train child to start' },
    );
    const child = env.client.workflow.getHandle(train!.steps.find((s) => s.name === 'train')!.workflowId!);
    const childView = await waitFor(
      () => child.query(statusQuery).catch(() => undefined),
      (v) => v?.phase === 'waiting' && v.runId !== undefined,
      { timeoutMs: 30_000, intervalMs: 100, what: 'the train run to be submitted' },
    );
    await handle.terminate('test: the parent is terminated');

    await expect(child.result()).rejects.toThrow();
    expect((await child.describe()).status.name).toBe('CANCELLED');
    const run = (await getRun(harness.emulator, childView!.runId!)) as {
      state: { life_cycle_state: string; result_state: string };
    };
    expect(run.state).toMatchObject({ life_cycle_state: 'TERMINATED', result_state: 'CANCELED' });
  }, 120_000);
});
