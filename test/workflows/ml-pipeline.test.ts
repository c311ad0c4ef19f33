/**
 * mlPipeline end to end: the real demo jobs (jobs/train.py, jobs/score.py) run as spark_python_tasks
 * in the emulator, log to its MLflow, and the pipeline gates, promotes and scores — on a real dev
 * server with a real worker. In Unity Catalog (the default) the train task registers every candidate
 * and the worker moves the alias; with the emulator and the worker in workspace-registry mode the
 * worker registers and promotes by stage transition, and no alias call is ever made.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { WorkflowFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { PipelineDefinition } from '../../src/shared/pipeline-definition.js';
import type { PipelineResult } from '../../src/shared/pipeline-types.js';
import { mlPipeline } from '../../src/workflows/index.js';
import { randomUUID } from 'node:crypto';
import { waitFor } from '../emulator/helpers.js';
import { requestCounts, startWorkspaceHarness, type WorkspaceHarness } from '../helpers/workspace.js';

const POLL = { mode: 'poll' as const, pollInterval: '200ms', maxPollInterval: '500ms' };

/**
 * A churn pipeline for `model`: a Unity Catalog name (`main.<schema>.<name>`, registered by the train
 * task) unless `registry` is "databricks", the workspace registry (the worker registers).
 */
function definition(
  model: string,
  options: { weak?: boolean; approval?: PipelineDefinition['approval']; registry?: 'databricks' } = {},
): PipelineDefinition {
  const registryArgs = options.registry ? ['--registry-uri', options.registry] : ['--register-model', model];
  const pipelineName = model.split('.').at(-1)!;
  return {
    name: `churn-${pipelineName}`,
    train: {
      submit: {
        run_name: `train-${pipelineName}`,
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
                ...registryArgs,
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
        run_name: `score-${pipelineName}`,
        tasks: [
          {
            task_key: 'score',
            spark_python_task: {
              python_file: 'jobs/score.py',
              parameters: [
                '--model-name',
                model,
                '--alias',
                'champion',
                '--data',
                'data/churn.csv',
                ...(options.registry ? ['--registry-uri', options.registry] : []),
              ],
            },
          },
        ],
      },
      wait: POLL,
    },
  };
}

/** Requests whose endpoint contains `part`. */
function countOf(counts: Record<string, number>, part: string): number {
  return Object.entries(counts)
    .filter(([key]) => key.includes(part))
    .reduce((sum, [, n]) => sum + n, 0);
}

describe('mlPipeline', () => {
  let harness: WorkspaceHarness;
  let env: TestWorkflowEnvironment;
  let taskQueue: string;
  // A schema of its own in the emulator's `main` catalog (the PAT user, who runs the jobs, owns it).
  const schema = `pipeline_${randomUUID().slice(0, 8)}`;
  const uc = (name: string) => `main.${schema}.${name}`;

  beforeAll(async () => {
    harness = await startWorkspaceHarness({ name: 'pipeline' });
    ({ env, taskQueue } = harness);
    const created = await harness.emulator.api('POST', '/api/2.1/unity-catalog/schemas', {
      catalog_name: 'main',
      name: schema,
    });
    expect(created.status).toBe(200);
  });
  afterAll(() => harness?.close());

  function execute(def: PipelineDefinition, workflowId = `pipeline-${Math.random().toString(36).slice(2)}`) {
    return env.client.workflow.execute(mlPipeline, { taskQueue, workflowId, args: [def] });
  }

  test('promotes a first model, then keeps it when a weaker candidate fails the gate', async () => {
    const model = uc('gate');
    const first: PipelineResult = await execute(definition(model));
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

    const second: PipelineResult = await execute(definition(model, { weak: true }));
    expect(second.decision.passed).toBe(false);
    expect(second.decision.reason).toMatch(/does not (beat the champion|reach the threshold)/);
    expect(second.promoted).toBe(false);
    expect(second.champion?.version).toBe('1');
    expect(second.candidate.value!).toBeLessThan(first.candidate.value!);
    expect(second.modelVersion).toBe('1');
    expect(second.scoredWithVersion).toBe('1');
    expect(second.steps.find((s) => s.name === 'register')).toMatchObject({ state: 'skipped' });
    expect(second.steps.find((s) => s.name === 'register')!.detail).toContain(
      `"champion" stays ${model} version 1`,
    );
    expect(first.steps.find((s) => s.name === 'register')!.detail).toBe(
      `${model} version 1 is now alias "champion"`,
    );

    // Unity Catalog holds both candidates (the train task registers each); the alias stayed on 1.
    const versions = await harness.emulator.api('GET', `/api/2.1/unity-catalog/models/${model}/versions`);
    expect(versions.body.model_versions.map((v: any) => [v.version, v.status, v.run_id])).toEqual([
      [2, 'READY', second.candidate.mlflowRunId],
      [1, 'READY', first.candidate.mlflowRunId],
    ]);
    const champion = await harness.emulator.api(
      'GET',
      `/api/2.1/unity-catalog/models/${model}/aliases/champion`,
    );
    expect(champion.body).toMatchObject({ version: 1, run_id: first.candidate.mlflowRunId });
    const counts = await requestCounts(harness.emulator);
    expect(counts[`PUT /api/*/unity-catalog/models/${model}/aliases/champion`]).toBe(1);
    expect(countOf(counts, '/mlflow/registered-models/alias')).toBe(0);
  });

  test('approval: approve through the update, reject through the signal, default on timeout', async () => {
    const approval: PipelineDefinition['approval'] = { timeout: '20s', onTimeout: 'reject' };
    const start = (model: string, timeout: PipelineDefinition['approval'] = approval) =>
      env.client.workflow.start(mlPipeline, {
        taskQueue,
        workflowId: `pipeline-approval-${model}-${Date.now()}`,
        args: [definition(uc(model), { approval: timeout })],
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

  test('a train run that ends SUCCESS_WITH_FAILURES is not promoted by default, and the pipeline says why', async () => {
    // A data check fails; train still runs (run_if ALL_DONE) and succeeds, so the run is SUCCESS_WITH_FAILURES.
    await harness.emulator.control('POST', '/scenarios', {
      match: { taskKey: 'data_checks' },
      durationMs: 100,
      result: 'FAILED',
      error: 'AssertionError: 3% of rows have no tenure',
    });
    const partial = (model: string, acceptPartialSuccess?: boolean): PipelineDefinition => {
      const base = definition(model);
      const trainTask = base.train.submit!.tasks[0]!;
      return {
        ...base,
        train: {
          ...base.train,
          submit: {
            ...base.train.submit!,
            tasks: [
              { task_key: 'data_checks', notebook_task: { notebook_path: '/Repos/ml/checks' } },
              { ...trainTask, depends_on: [{ task_key: 'data_checks' }], run_if: 'ALL_DONE' },
            ],
          },
        },
        evaluate: {
          ...base.evaluate,
          taskKey: 'train',
          ...(acceptPartialSuccess !== undefined ? { acceptPartialSuccess } : {}),
        },
      };
    };
    const refused: PipelineResult = await execute(partial(uc('partial')));
    expect(refused.steps.find((s) => s.name === 'train')).toMatchObject({
      state: 'succeeded',
      detail: 'SUCCESS_WITH_FAILURES',
    });
    expect(refused.decision).toMatchObject({ passed: false });
    expect(refused.decision.reason).toBe(
      'the train run ended SUCCESS_WITH_FAILURES (data_checks FAILED); a partly failed run is not promoted ' +
        'unless evaluate.acceptPartialSuccess is true',
    );
    expect(refused.promoted).toBe(false);
    expect(refused.steps.find((s) => s.name === 'register')).toMatchObject({ state: 'skipped' });

    const accepted: PipelineResult = await execute(partial(uc('partial_ok'), true));
    expect(accepted).toMatchObject({ promoted: true, modelVersion: '1' });
  }, 120_000);

  test('an invalid definition sent straight to the workflow fails non-retryably, naming the field', async () => {
    const error = await execute({ ...definition(uc('bad')), name: 'has spaces' }).catch(
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(WorkflowFailedError);
    expect(String((error as WorkflowFailedError).cause?.message)).toContain('name: expected 1-100 letters');
  });
});

describe('mlPipeline against a workspace without Unity Catalog (workspace model registry)', () => {
  let harness: WorkspaceHarness;

  beforeAll(async () => {
    harness = await startWorkspaceHarness({
      name: 'pipeline-wsreg',
      emulator: { modelRegistry: 'workspace' },
      modelRegistry: 'workspace',
    });
  });
  afterAll(() => harness?.close());

  const execute = (def: PipelineDefinition) =>
    harness.env.client.workflow.execute(mlPipeline, {
      taskQueue: harness.taskQueue,
      workflowId: `pipeline-wsreg-${randomUUID().slice(0, 8)}`,
      args: [def],
    });

  test('promotes by stage transition without any alias call; an alias call gets what a workspace answers', async () => {
    const model = `churn-wsreg-${randomUUID().slice(0, 6)}`;
    const first: PipelineResult = await execute(definition(model, { registry: 'databricks' }));
    expect(first).toMatchObject({ promoted: true, modelVersion: '1', scoredWithVersion: '1' });
    expect(first.steps.find((s) => s.name === 'register')!.detail).toBe(
      `${model} version 1 is now stage Production (for "champion")`,
    );
    const second: PipelineResult = await execute(definition(model, { registry: 'databricks', weak: true }));
    expect(second).toMatchObject({ promoted: false, modelVersion: '1', scoredWithVersion: '1' });
    expect(second.champion?.version).toBe('1');

    const latest = await harness.emulator.api(
      'POST',
      '/api/2.0/mlflow/registered-models/get-latest-versions',
      {
        name: model,
        stages: ['Production'],
      },
    );
    expect(latest.body.model_versions.map((v: any) => [v.version, v.current_stage])).toEqual([
      ['1', 'Production'],
    ]);

    const counts = await requestCounts(harness.emulator);
    expect(counts['POST /api/*/mlflow/databricks/model-versions/transition-stage']).toBe(1);
    expect(countOf(counts, 'alias')).toBe(0);
    expect(countOf(counts, 'unity-catalog')).toBe(0);

    // What the workspace answers to alias calls: its registry has no alias endpoint, and without a
    // metastore the Unity Catalog ones say so.
    const workspaceAlias = await harness.emulator.api('POST', '/api/2.0/mlflow/registered-models/alias', {
      name: model,
      alias: 'champion',
      version: '1',
    });
    expect(workspaceAlias.status).toBe(404);
    expect(workspaceAlias.body.error_code).toBe('ENDPOINT_NOT_FOUND');
    const ucAlias = await harness.emulator.api(
      'PUT',
      `/api/2.1/unity-catalog/models/main.ml.${model}/aliases/champion`,
      {
        version_num: 1,
      },
    );
    expect(ucAlias.status).toBe(404);
    expect(ucAlias.body.error_code).toBe('METASTORE_DOES_NOT_EXIST');
  }, 120_000);
});
