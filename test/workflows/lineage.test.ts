/**
 * `lakeloop lineage`: two runs of one pipeline (the real jobs/train.py and score.py in the emulator, a
 * real worker on the suite's dev server). The first trains, is approved by alice through the update and
 * promotes version 1; the second trains a weak candidate that fails the gate and scores with version 1.
 * The lineage of `<model>@champion` must name each link, and every link is checked against the system
 * that owns it, not against the CLI's own reading: the version's tags in the registry, the Databricks
 * runs in the emulator (runs/get), the MLflow run, the workflows and their results in Temporal, and the
 * data and code hashes against the files the job read.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { WorkflowHandle } from '@temporalio/client';
import type { Lineage } from '../../src/client/lineage/trace.js';
import type { PipelineResult } from '../../src/shared/pipeline-types.js';
import { mlPipeline } from '../../src/workflows/index.js';
import { PAT, waitFor } from '../emulator/helpers.js';
import { captureConsole, cliRunner, pointCliAtTestServer } from '../helpers/cli.js';
import { churnPipeline } from '../helpers/churn-pipeline.js';
import { startWorkspaceHarness, type WorkspaceHarness } from '../helpers/workspace.js';

const APPROVAL = { timeout: '2m', onTimeout: 'reject' as const };
const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

describe('lakeloop lineage', () => {
  let harness: WorkspaceHarness;
  let restoreEnvironment: () => void;
  const captured = captureConsole();
  const tag = randomUUID().slice(0, 8);
  const schema = `lineage_${tag}`;
  const model = `main.${schema}.churn`;
  const pipelineName = `churn-lineage-${tag}`;
  const promotedId = `lineage-promoted-${tag}`;
  const keptId = `lineage-kept-${tag}`;
  let promoted: PipelineResult;
  let kept: PipelineResult;

  const definition = (weak: boolean) =>
    churnPipeline({ name: pipelineName, model, weak, approval: APPROVAL });
  const cli = cliRunner(captured);

  async function lineageOf(target: string): Promise<Lineage> {
    const { code, out, err } = await cli('lineage', target, '--json');
    expect({ code, err }).toEqual({ code: 0, err: '' });
    return JSON.parse(out) as Lineage;
  }

  /** A Databricks run as the emulator reports it, read with its own API. */
  async function databricksRun(runId: string) {
    const answer = await harness.emulator.api<{ state: { result_state?: string } }>(
      'GET',
      `/api/2.2/jobs/runs/get?run_id=${runId}`,
    );
    expect(answer.status).toBe(200);
    return answer.body;
  }

  beforeAll(async () => {
    harness = await startWorkspaceHarness({ name: 'lineage' });
    const created = await harness.emulator.api('POST', '/api/2.1/unity-catalog/schemas', {
      catalog_name: 'main',
      name: schema,
    });
    expect(created.status).toBe(200);
    const { client } = harness.env;
    const start = (workflowId: string, weak: boolean): Promise<WorkflowHandle<typeof mlPipeline>> =>
      client.workflow.start(mlPipeline, {
        taskQueue: harness.taskQueue,
        workflowId,
        args: [definition(weak)],
      });

    const first = await start(promotedId, false);
    await waitFor(
      () => first.query('status') as Promise<{ awaitingApproval: boolean }>,
      (s) => s.awaitingApproval,
      { timeoutMs: 90_000, intervalMs: 200, what: 'the first pipeline to wait for approval' },
    );
    await first.executeUpdate('decide', {
      args: [{ decision: 'approve', by: 'alice', comment: 'looks good' }],
    });
    promoted = await first.result();
    kept = await (await start(keptId, true)).result();
    restoreEnvironment = pointCliAtTestServer(harness.taskQueue);
    process.env.DATABRICKS_HOST = harness.emulator.url;
    process.env.DATABRICKS_TOKEN = PAT;
  }, 240_000);

  afterAll(async () => {
    restoreEnvironment?.();
    await harness?.close();
  });

  test('the pipelines did what the lineage will be read from', () => {
    expect(promoted).toMatchObject({ promoted: true, modelVersion: '1', model, alias: 'champion' });
    expect(kept).toMatchObject({ promoted: false, modelVersion: '1', scoredWithVersion: '1' });
  });

  test('model@alias: every link of the chain resolves, each checked at its source', async () => {
    // Visibility (search attributes of the second pipeline) may trail its completion by a moment.
    const lineage = await waitFor(
      () => lineageOf(`${model}@champion`),
      (l) => l.scoring.length === 2,
      { timeoutMs: 30_000, intervalMs: 500, what: 'both scoring pipelines in the lineage' },
    );
    expect(lineage.unresolved).toEqual([]);

    // The model version, and its tags as the registry holds them (read through MLflow's UC endpoint).
    expect(lineage.model).toMatchObject({
      name: model,
      version: '1',
      alias: 'champion',
      registry: 'unity-catalog',
    });
    const registered = await harness.emulator.api<{
      model_version: { tags: { key: string; value: string }[] };
    }>('GET', `/api/2.0/mlflow/unity-catalog/model-versions/get?name=${model}&version=1`);
    const tags = Object.fromEntries(registered.body.model_version.tags.map((t) => [t.key, t.value]));
    const trainStep = promoted.steps.find((s) => s.name === 'train')!;
    const described = await harness.env.client.workflow.getHandle(promotedId).describe();
    expect(tags).toMatchObject({
      'lakeloop.workflow_id': promotedId,
      'lakeloop.workflow_run_id': described.runId,
      'lakeloop.pipeline': pipelineName,
      'lakeloop.train_workflow_id': `${promotedId}/train`,
      'lakeloop.databricks_run_id': trainStep.databricksRunId,
      'lakeloop.approved_by': 'alice',
    });
    expect(tags['lakeloop.job_fingerprint']).toMatch(/^sha256:[0-9a-f]{64}$/);

    // The pipeline workflow and its train child, as Temporal has them.
    expect(lineage.pipeline).toMatchObject({
      workflowId: promotedId,
      runId: described.runId,
      status: 'COMPLETED',
      name: pipelineName,
      decision: 'promoted',
      modelVersion: '1',
    });
    const trainResult = await harness.env.client.workflow.getHandle(`${promotedId}/train`).result();
    expect(lineage.train).toMatchObject({
      workflowId: `${promotedId}/train`,
      status: 'COMPLETED',
      outcome: 'SUCCESS',
      databricksRunId: trainResult.runId,
      jobFingerprint: trainResult.jobFingerprint,
      repairs: 0,
      oneTime: true,
      databricks: { lifeCycleState: 'TERMINATED', resultState: 'SUCCESS' },
    });
    expect(lineage.train!.attempts).toHaveLength(1);
    expect((await databricksRun(trainResult.runId)).state.result_state).toBe('SUCCESS');

    // The MLflow run that logged the candidate, with the data and code it was trained with.
    const mlflowRun = await harness.emulator.api<{ run: { info: { run_id: string } } }>(
      'GET',
      `/api/2.0/mlflow/runs/get?run_id=${promoted.candidate.mlflowRunId}`,
    );
    expect(mlflowRun.status).toBe(200);
    expect(lineage.mlflowRun).toMatchObject({
      runId: promoted.candidate.mlflowRunId,
      status: 'FINISHED',
      params: { data: 'churn.csv' },
      metrics: { auc: promoted.candidate.value },
      references: {
        'mlflow.source.name': 'jobs/train.py',
        'lakeloop.data.path': 'data/churn.csv',
        'lakeloop.data.sha256': sha256(path.join('jobs', 'data', 'churn.csv')),
        'lakeloop.code.sha256': sha256(path.join('jobs', 'train.py')),
      },
    });
    expect(lineage.model!.mlflowRunId).toBe(promoted.candidate.mlflowRunId);

    // Who approved, and when: between the pipeline's start and its end.
    expect(lineage.approval).toMatchObject({ decision: 'approve', by: 'alice', comment: 'looks good' });
    const at = Date.parse(lineage.approval!.at!);
    expect(at).toBeGreaterThanOrEqual(described.startTime.getTime());
    expect(at).toBeLessThanOrEqual(described.closeTime!.getTime());

    // The alias moved once, by the first pipeline; both pipelines scored with version 1.
    expect(lineage.aliasChanges).toEqual([{ workflowId: promotedId, version: '1', at: expect.any(String) }]);
    const scoring = [...lineage.scoring].sort((a, b) =>
      a.pipelineWorkflowId.localeCompare(b.pipelineWorkflowId),
    );
    expect(scoring.map((s) => [s.pipelineWorkflowId, s.workflowId, s.state, s.scoredWithVersion])).toEqual([
      [keptId, `${keptId}/score`, 'succeeded', '1'],
      [promotedId, `${promotedId}/score`, 'succeeded', '1'],
    ]);
    for (const [run, result] of [
      [scoring[0]!, kept],
      [scoring[1]!, promoted],
    ] as const) {
      expect(run.databricksRunId).toBe(result.steps.find((s) => s.name === 'score')!.databricksRunId);
      expect((await databricksRun(run.databricksRunId!)).state.result_state).toBe('SUCCESS');
    }
  });

  test('model/version and the workflow id give the same chain; the text names every link', async () => {
    const byAlias = await lineageOf(`${model}@champion`);
    const byVersion = await lineageOf(`${model}/1`);
    const byWorkflow = await lineageOf(promotedId);
    for (const other of [byVersion, byWorkflow]) {
      expect(other.pipeline).toEqual(byAlias.pipeline);
      expect(other.train).toEqual(byAlias.train);
      expect(other.mlflowRun).toEqual(byAlias.mlflowRun);
      expect(other.model).toMatchObject({ name: model, version: '1' });
      expect(other.unresolved).toEqual([]);
    }

    const { code, out } = await cli('lineage', `${model}@champion`);
    expect(code).toBe(0);
    for (const label of [
      'model',
      'pipeline',
      'train',
      'databricks',
      'job',
      'mlflow run',
      'approval',
      'promotions',
      'scored by',
    ])
      expect(out).toMatch(new RegExp(`^${label} `, 'm'));
    expect(out).toContain(`approved by alice at ${byAlias.approval!.at}`);
    expect(out).toContain(`run ${byAlias.train!.databricksRunId} (Databricks: TERMINATED SUCCESS)`);
    expect(out).toMatch(/^job +one-time run \(runs\/submit\), definition sha256:[0-9a-f]{64}$/m);
  });

  test('a version no pipeline promoted, an unknown alias and an unknown workflow are refused plainly', async () => {
    // Version 2 is the weak candidate: the train task registered it, no pipeline promoted or tagged it.
    const untagged = await cli('lineage', `${model}/2`);
    expect(untagged.code).toBe(1);
    expect(untagged.err).toContain(`${model} version 2 carries no lakeloop.workflow_id tag`);
    const noAlias = await cli('lineage', `${model}@nope`);
    expect(noAlias.code).toBe(1);
    expect(noAlias.err).toContain(`${model} has no "nope" in the unity-catalog registry`);
    const unknown = await cli('lineage', `no-such-workflow-${tag}`);
    expect(unknown.code).toBe(1);
    expect(unknown.err).toContain('is not a model reference');
  });
});
