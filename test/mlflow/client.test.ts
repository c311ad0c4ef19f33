/**
 * The MLflow client and activities against the emulator, with train.py and score.py running as real
 * spark_python_tasks (runs/submit), their LAKELOOP_TASK_OUTPUT line read back through get-output: the
 * shared suite with the workspace registry, then Models in Unity Catalog, where train.py registers and
 * the activities find, promote and resolve the version.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { pathToFileURL } from 'node:url';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { createActivities } from '../../src/activities/index.js';
import { PAT, startTestEmulator, submit, waitForTerminal, type TestEmulator } from '../emulator/helpers.js';
import { databricksClientFor } from '../helpers/workspace.js';
import { testActivityDeps } from '../helpers/temporal.js';
import { DATA, defineMlflowSuite, JOBS, type MlflowTarget, type TrainOutput } from './shared-suite.js';

let emu: TestEmulator;
let target: MlflowTarget;

beforeAll(async () => {
  emu = await startTestEmulator();
  target = {
    registry: 'workspace',
    registryUri: 'databricks',
    http: databricksClientFor(emu),
    async runJob(script, args) {
      const runId = await submit(emu, {
        run_name: `mlflow-test-${script}`,
        tasks: [
          {
            task_key: 'job',
            spark_python_task: { python_file: pathToFileURL(path.join(JOBS, script)).href, parameters: args },
          },
        ],
      });
      const run = await waitForTerminal(emu, runId, 90_000);
      const output = (await emu.api('GET', `/api/2.1/jobs/runs/get-output?run_id=${run.tasks[0].run_id}`))
        .body;
      if (run.state.result_state !== 'SUCCESS')
        throw new Error(`${script} failed: ${JSON.stringify(output).slice(0, 4000)}`);
      return JSON.parse(output.notebook_output.result);
    },
    async fetchBytes(pathname) {
      const response = await fetch(`${emu.url}${pathname}`, { headers: { authorization: `Bearer ${PAT}` } });
      if (!response.ok) throw new Error(`GET ${pathname}: ${response.status}`);
      return Buffer.from(await response.arrayBuffer());
    },
  };
}, 30_000);

afterAll(async () => {
  await emu?.close();
});

describe('MLflow client and activities against the emulator (jobs as spark_python_tasks)', () => {
  defineMlflowSuite(() => target);

  test('the jobs used MLflow through the emulator API, counted in stats', async () => {
    const stats = await emu.control<{ requests: Record<string, number> }>('GET', '/stats');
    expect(stats.requests['POST /api/2.0/mlflow/runs/log-batch']).toBeGreaterThanOrEqual(2);
    expect(stats.requests['POST /api/2.0/mlflow/runs/update']).toBeGreaterThanOrEqual(2);
    expect(
      Object.keys(stats.requests).some((key) => key.startsWith('PUT /api/2.0/mlflow-artifacts/artifacts/')),
    ).toBe(true);
  });
});

describe('Models in Unity Catalog: train.py registers, the activities find, promote and resolve', () => {
  const schema = `uc_${randomUUID().slice(0, 8)}`;
  const name = `main.${schema}.churn`;
  let activities: ReturnType<typeof createActivities>;
  let full: TrainOutput & { registered_model: { name: string; version: string } };
  let weak: TrainOutput & { registered_model: { name: string; version: string } };
  let unregistered: TrainOutput;

  beforeAll(async () => {
    activities = createActivities(testActivityDeps({ databricks: target.http }));
    expect(
      (await emu.api('POST', '/api/2.1/unity-catalog/schemas', { catalog_name: 'main', name: schema }))
        .status,
    ).toBe(200);
    const train = (...extra: string[]) =>
      target.runJob('train.py', ['--data', DATA, '--experiment', `/Shared/${schema}`, ...extra]);
    full = await train('--register-model', name);
    weak = await train('--register-model', name, '--weak');
    unregistered = await train();
  }, 120_000);

  test('each candidate is a version; registerModelVersion finds it by run, idempotently', async () => {
    expect(full.registered_model).toEqual({ name, version: '1' });
    expect(weak.registered_model).toEqual({ name, version: '2' });
    const run = await activities.fetchRunMetrics(full.mlflow_run_id);
    const found = await activities.registerModelVersion({
      name,
      runId: full.mlflow_run_id,
      artifactPath: 'model',
    });
    expect(found).toEqual({
      name,
      version: '1',
      runId: full.mlflow_run_id,
      source: `${run.artifactUri}/model`,
      status: 'READY',
      aliases: [],
    });
    expect(
      await activities.registerModelVersion({ name, runId: full.mlflow_run_id, artifactPath: 'model' }),
    ).toEqual(found);
    expect(
      (await activities.registerModelVersion({ name, runId: weak.mlflow_run_id, artifactPath: 'model' }))
        .version,
    ).toBe('2');
    // A run whose task registered nothing: Lakeloop cannot put files into Unity Catalog, and says so.
    await expect(
      activities.registerModelVersion({ name, runId: unregistered.mlflow_run_id, artifactPath: 'model' }),
    ).rejects.toMatchObject({ nonRetryable: true, message: expect.stringContaining('--register-model') });
    // A two-level name is refused before any request.
    await expect(
      activities.registerModelVersion({ name: 'churn', runId: full.mlflow_run_id, artifactPath: 'model' }),
    ).rejects.toMatchObject({ nonRetryable: true, message: expect.stringContaining('catalog.schema.model') });
  });

  test('the alias promotes, resolves, moves; score.py loads models:/name@champion', async () => {
    expect(await activities.getModelVersionByAlias({ name, alias: 'champion' })).toBeNull();
    expect(await activities.setModelAlias({ name, alias: 'champion', version: '1' })).toBe(
      'alias "champion"',
    );
    expect(await activities.getModelVersionByAlias({ name, alias: 'champion' })).toMatchObject({
      version: '1',
      runId: full.mlflow_run_id,
      aliases: ['champion'],
    });
    const scored = await target.runJob('score.py', [
      '--model-name',
      name,
      '--alias',
      'champion',
      '--data',
      DATA,
    ]);
    expect(scored).toMatchObject({ model_version: '1', scored: 2000 });

    await activities.setModelAlias({ name, alias: 'champion', version: '2' });
    expect((await activities.getModelVersionByAlias({ name, alias: 'champion' }))?.version).toBe('2');
    const rescored = await target.runJob('score.py', [
      '--model-name',
      name,
      '--alias',
      'champion',
      '--data',
      DATA,
    ]);
    expect(rescored.model_version).toBe('2');
    expect(rescored.positive_rate).not.toBe(scored.positive_rate);

    // Errors: an alias on a missing version, and models in a schema that does not exist.
    await expect(activities.setModelAlias({ name, alias: 'champion', version: '99' })).rejects.toMatchObject({
      nonRetryable: true,
      type: 'DatabricksApiError:not-found',
    });
    expect(
      await activities.getModelVersionByAlias({ name: 'main.no_such_schema.churn', alias: 'champion' }),
    ).toBeNull();
  });
});

describe('MLflow activities without a workspace', () => {
  test('fail non-retryably with DatabricksNotConfigured', async () => {
    const activities = createActivities(testActivityDeps());
    await expect(activities.fetchRunMetrics('abc')).rejects.toMatchObject({
      type: 'DatabricksNotConfigured',
      nonRetryable: true,
    });
  });
});
