/**
 * The MLflow client and activity checks, run against any MLflow server: the emulator
 * (client.test.ts, where train.py and score.py run as real spark_python_tasks, with the workspace model
 * registry: stages) and a real open-source `mlflow server` (oss-server.test.ts, where they run as
 * plain processes with the same environment; its registry has aliases). Models in Unity Catalog have
 * their own tests (client.test.ts, mlflow-client-uc.test.ts). Everything compares with what the jobs themselves reported or with bytes downloaded
 * independently, never with constants.
 */
import { beforeAll, expect, test } from '@jest/globals';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createHash, randomUUID } from 'node:crypto';
import path from 'node:path';
import { createActivities } from '../../src/activities/index.js';
import type { DatabricksHttpClient } from '../../src/databricks/http.js';
import { DatabricksApiError } from '../../src/databricks/errors.js';
import { MlflowClient } from '../../src/mlflow/client.js';
import { projectRoot } from '../../scripts/python-venv.js';
import { testActivityDeps } from '../helpers/temporal.js';

export const JOBS = path.join(projectRoot, 'jobs');
export const DATA = path.join(JOBS, 'data', 'churn.csv');

export interface TrainOutput {
  mlflow_run_id: string;
  metrics: { auc: number; accuracy: number; log_loss: number };
  model_artifact_path: string;
}

export interface MlflowTarget {
  http: DatabricksHttpClient;
  /** The registry the activities use: the workspace registry (stages) or open-source MLflow (aliases). */
  registry: 'workspace' | 'mlflow';
  /** score.py's --registry-uri for it: "databricks", or the open-source server's URL. */
  registryUri: string;
  /** Runs jobs/<script> with DATABRICKS_HOST/TOKEN for this server; resolves to its output line, parsed. */
  runJob(script: 'train.py' | 'score.py', args: string[]): Promise<any>;
  /** GET a path on the server with the target's credentials, as raw bytes. */
  fetchBytes(pathname: string): Promise<Buffer>;
}

export function defineMlflowSuite(target: () => MlflowTarget): void {
  let client: MlflowClient;
  let activities: ReturnType<typeof createActivities>;
  let full: TrainOutput;
  let weak: TrainOutput;
  const experiment = `churn-${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    client = new MlflowClient(target().http);
    activities = createActivities(
      testActivityDeps({ databricks: target().http, modelRegistry: target().registry }),
    );
    full = await target().runJob('train.py', ['--data', DATA, '--experiment', experiment]);
    weak = await target().runJob('train.py', ['--data', DATA, '--experiment', experiment, '--weak']);
  }, 120_000);

  test('fetchRunMetrics reads back exactly the metrics train.py logged; --weak is clearly worse', async () => {
    const metrics = await activities.fetchRunMetrics(full.mlflow_run_id);
    expect(metrics.runId).toBe(full.mlflow_run_id);
    expect(metrics.status).toBe('FINISHED');
    expect(metrics.metrics.auc).toBe(full.metrics.auc);
    expect(metrics.metrics.accuracy).toBe(full.metrics.accuracy);
    expect(metrics.metrics.log_loss).toBe(full.metrics.log_loss);
    expect(metrics.params).toMatchObject({ epochs: '200', weak: 'false', data: 'churn.csv' });
    expect(metrics.artifactUri).toMatch(/^mlflow-artifacts:/);

    const weakMetrics = await activities.fetchRunMetrics(weak.mlflow_run_id);
    expect(weakMetrics.metrics.auc).toBe(weak.metrics.auc);
    expect(weakMetrics.params.weak).toBe('true');
    expect(full.metrics.auc).toBeGreaterThan(0.75);
    expect(weak.metrics.auc).toBeLessThan(full.metrics.auc - 0.1);
  });

  test('metric history pages through every train_loss point', async () => {
    const all = await client.getMetricHistory(full.mlflow_run_id, 'train_loss');
    const paged = await client.getMetricHistory(full.mlflow_run_id, 'train_loss', 7);
    expect(all.map((m) => m.step)).toEqual(Array.from({ length: 200 }, (_, i) => i));
    expect(paged).toEqual(all);
    // Gradient descent lowers the training loss.
    expect(all[199]!.value).toBeLessThan(all[0]!.value);
    expect(await client.getMetricHistory(full.mlflow_run_id, 'no-such-metric')).toEqual([]);
  });

  test('listArtifacts: the model files with their sizes and sha256s equal to the downloaded bytes', async () => {
    const refs = await activities.listArtifacts(full.mlflow_run_id);
    expect(refs.map((r) => r.path)).toEqual(['model/MLmodel', 'model/model.json']);
    const ref = refs.find((r) => r.path === 'model/model.json')!;
    const run = await activities.fetchRunMetrics(full.mlflow_run_id);
    expect(ref.uri).toBe(`${run.artifactUri}/model/model.json`);
    const root = run.artifactUri!.replace(/^mlflow-artifacts:\/*/, '');
    const bytes = await target().fetchBytes(`/api/2.0/mlflow-artifacts/artifacts/${root}/model/model.json`);
    expect(ref.sizeBytes).toBe(bytes.length);
    expect(ref.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    const model = JSON.parse(bytes.toString('utf8'));
    expect(model.feature_names).toContain('tenure_months');
    expect(model.weights).toHaveLength(model.feature_names.length);
    expect(await activities.listArtifacts(full.mlflow_run_id, 'model')).toEqual(refs);
    expect(await activities.listArtifacts(full.mlflow_run_id, 'nothing-here')).toEqual([]);
  });

  test('registerModelVersion is idempotent; promotion moves and resolves; missing ones are null', async () => {
    const { registry } = target();
    const name = `churn-model-${randomUUID().slice(0, 8)}`;
    expect(await activities.getModelVersionByAlias({ name, alias: 'champion' })).toBeNull();

    const first = await activities.registerModelVersion({
      name,
      runId: full.mlflow_run_id,
      artifactPath: 'model',
    });
    const run = await activities.fetchRunMetrics(full.mlflow_run_id);
    expect(first).toEqual({
      name,
      version: '1',
      runId: full.mlflow_run_id,
      source: `${run.artifactUri}/model`,
      status: 'READY',
      aliases: [],
      stage: 'None',
    });
    // A retry (same run and path) returns the same version instead of registering again.
    const retried = await activities.registerModelVersion({
      name,
      runId: full.mlflow_run_id,
      artifactPath: 'model',
    });
    expect(retried).toEqual(first);
    const other = await activities.registerModelVersion({
      name,
      runId: weak.mlflow_run_id,
      artifactPath: 'model',
    });
    expect(other.version).toBe('2');
    const versions = await client.searchModelVersions(`name='${name}'`);
    expect(versions.map((v) => v.version).sort()).toEqual(['1', '2']);

    expect(await activities.getModelVersionByAlias({ name, alias: 'champion' })).toBeNull();
    const promotedAs = await activities.setModelAlias({ name, alias: 'champion', version: '1' });
    const champion = await activities.getModelVersionByAlias({ name, alias: 'champion' });
    if (registry === 'workspace') {
      // No aliases in a workspace registry: the version moved to Production.
      expect(promotedAs).toBe('stage Production (for "champion")');
      expect(champion).toEqual({ ...first, stage: 'Production' });
    } else {
      expect(promotedAs).toBe('alias "champion"');
      expect(champion).toEqual({ ...first, aliases: ['champion'] });
      // After registration with an alias, the idempotent path reports the alias too.
      expect(
        (await activities.registerModelVersion({ name, runId: full.mlflow_run_id, artifactPath: 'model' }))
          .aliases,
      ).toEqual(['champion']);
    }
    await activities.setModelAlias({ name, alias: 'champion', version: '2' });
    expect((await activities.getModelVersionByAlias({ name, alias: 'champion' }))?.version).toBe('2');
    if (registry === 'workspace') {
      // The previous champion was archived, so only one version holds the stage.
      expect((await client.getModelVersion(name, '1')).current_stage).toBe('Archived');
    } else {
      await client.deleteRegisteredModelAlias(name, 'champion');
      expect(await activities.getModelVersionByAlias({ name, alias: 'champion' })).toBeNull();
    }

    // Errors surface as non-retryable activity failures with MLflow's error code.
    await expect(activities.setModelAlias({ name, alias: 'champion', version: '99' })).rejects.toMatchObject({
      nonRetryable: true,
      type: 'DatabricksApiError:not-found',
    });
    await expect(activities.fetchRunMetrics('0'.repeat(32))).rejects.toMatchObject({ nonRetryable: true });
    await expect(client.getRegisteredModel(`${name}-missing`)).rejects.toBeInstanceOf(DatabricksApiError);
  });

  test('registerModelVersion inside a workflow tags the version with its provenance', async () => {
    const name = `churn-provenance-${randomUUID().slice(0, 8)}`;
    // An activity context like the worker's: the tags name the workflow the activity ran for.
    const env = new MockActivityEnvironment({
      workflowNamespace: 'lineage-ns',
      workflowExecution: { workflowId: 'nightly-churn-42', runId: 'run-7' },
    });
    const provenance = {
      pipeline: 'churn-nightly',
      trainWorkflowId: 'nightly-churn-42/train',
      databricksRunId: '9223372036854775807',
      jobFingerprint: `sha256:${'ab'.repeat(32)}`,
      approvedBy: 'alice',
    };
    const version: { version: string } = await env.run(activities.registerModelVersion, {
      name,
      runId: full.mlflow_run_id,
      artifactPath: 'model',
      provenance,
    });
    // Read back with the server's own model-versions/get: every tag, the int64 run id exact.
    expect((await client.getModelVersion(name, version.version)).tags).toEqual({
      'lakeloop.temporal_namespace': 'lineage-ns',
      'lakeloop.workflow_id': 'nightly-churn-42',
      'lakeloop.workflow_run_id': 'run-7',
      'lakeloop.pipeline': 'churn-nightly',
      'lakeloop.train_workflow_id': 'nightly-churn-42/train',
      'lakeloop.databricks_run_id': '9223372036854775807',
      'lakeloop.job_fingerprint': provenance.jobFingerprint,
      'lakeloop.approved_by': 'alice',
    });
    // A retry tags the same version again (no second version, same tags).
    const retried: { version: string } = await env.run(activities.registerModelVersion, {
      name,
      runId: full.mlflow_run_id,
      artifactPath: 'model',
      provenance,
    });
    expect(retried.version).toBe(version.version);
    expect((await client.searchModelVersions(`name='${name}'`)).length).toBe(1);
  });

  test('score.py scores with the model version the alias points at', async () => {
    const name = `churn-score-${randomUUID().slice(0, 8)}`;
    const strong = await activities.registerModelVersion({
      name,
      runId: full.mlflow_run_id,
      artifactPath: 'model',
    });
    const poor = await activities.registerModelVersion({
      name,
      runId: weak.mlflow_run_id,
      artifactPath: 'model',
    });
    await activities.setModelAlias({ name, alias: 'champion', version: strong.version });
    const scored = await target().runJob('score.py', [
      '--model-name',
      name,
      '--alias',
      'champion',
      '--data',
      DATA,
      '--registry-uri',
      target().registryUri,
    ]);
    expect(scored.model_version).toBe(strong.version);
    expect(scored.scored).toBe(2000);
    expect(scored.positive_rate).toBeGreaterThan(0.1);
    expect(scored.positive_rate).toBeLessThan(0.9);

    await activities.setModelAlias({ name, alias: 'champion', version: poor.version });
    const rescored = await target().runJob('score.py', [
      '--model-name',
      name,
      '--alias',
      'champion',
      '--data',
      DATA,
      '--registry-uri',
      target().registryUri,
    ]);
    expect(rescored.model_version).toBe(poor.version);
    expect(rescored.positive_rate).not.toBe(scored.positive_rate);
  });
}
