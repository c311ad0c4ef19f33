/**
 * The emulator's MLflow subset over plain HTTP: MLflow's request and response shapes, its errors
 * ({error_code, message} with 404 RESOURCE_DOES_NOT_EXIST, 400 RESOURCE_ALREADY_EXISTS, 400
 * INVALID_PARAMETER_VALUE), paging tokens, the artifact proxy round trip, bearer auth, stats and
 * persistence through --state.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestEmulator } from './helpers.js';
import { PAT, startTestEmulator } from './helpers.js';

const M = '/api/2.0/mlflow';
const A = '/api/2.0/mlflow-artifacts/artifacts';

describe('emulator MLflow subset', () => {
  let emu: TestEmulator;
  let artifactRoot: string;
  beforeAll(async () => {
    artifactRoot = mkdtempSync(path.join(tmpdir(), 'emulator-mlflow-test-'));
    emu = await startTestEmulator({ artifactRoot });
  });
  afterAll(async () => {
    await emu.close();
    rmSync(artifactRoot, { recursive: true, force: true });
  });

  const newRun = async (experiment: string): Promise<any> => {
    const created = await emu.api('POST', `${M}/experiments/create`, { name: experiment });
    expect(created.status).toBe(200);
    const run = await emu.api('POST', `${M}/runs/create`, {
      experiment_id: created.body.experiment_id,
      run_name: 'r1',
      start_time: 1000,
    });
    expect(run.status).toBe(200);
    return run.body.run;
  };

  test('experiments: create, get, get-by-name, duplicate and missing names', async () => {
    const created = await emu.api('POST', `${M}/experiments/create`, {
      name: 'exp-a',
      tags: [{ key: 't', value: 'v' }],
    });
    expect(created.status).toBe(200);
    const id = created.body.experiment_id;
    expect(id).toMatch(/^[1-9]\d*$/);

    const byName = await emu.api('GET', `${M}/experiments/get-by-name?experiment_name=exp-a`);
    expect(byName.body.experiment).toMatchObject({
      experiment_id: id,
      name: 'exp-a',
      artifact_location: `mlflow-artifacts:/${id}`,
      lifecycle_stage: 'active',
      tags: [{ key: 't', value: 'v' }],
    });
    expect((await emu.api('GET', `${M}/experiments/get?experiment_id=${id}`)).body.experiment.name).toBe(
      'exp-a',
    );
    // mlflow server starts with the Default experiment 0.
    expect((await emu.api('GET', `${M}/experiments/get?experiment_id=0`)).body.experiment.name).toBe(
      'Default',
    );

    const duplicate = await emu.api('POST', `${M}/experiments/create`, { name: 'exp-a' });
    expect(duplicate.status).toBe(400);
    expect(duplicate.body).toMatchObject({
      error_code: 'RESOURCE_ALREADY_EXISTS',
      message: 'Experiment(name=exp-a) already exists.',
    });
    const missing = await emu.api('GET', `${M}/experiments/get-by-name?experiment_name=nope`);
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({
      error_code: 'RESOURCE_DOES_NOT_EXIST',
      message: "Could not find experiment with name 'nope'",
    });
    expect((await emu.api('GET', `${M}/experiments/get?experiment_id=999`)).status).toBe(404);
    const noName = await emu.api('POST', `${M}/experiments/create`, {});
    expect(noName.status).toBe(400);
    expect(noName.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    expect(noName.body.message).toContain("Missing value for required parameter 'name'");
  });

  test('runs: create, log-batch, log-metric, log-parameter, set-tag, update, get with latest metrics', async () => {
    const run = await newRun('exp-runs');
    const runId = run.info.run_id;
    expect(runId).toMatch(/^[0-9a-f]{32}$/);
    expect(run.info).toMatchObject({
      status: 'RUNNING',
      run_name: 'r1',
      start_time: 1000,
      artifact_uri: `mlflow-artifacts:/${run.info.experiment_id}/${runId}/artifacts`,
      lifecycle_stage: 'active',
    });

    const batch = await emu.api('POST', `${M}/runs/log-batch`, {
      run_id: runId,
      params: [{ key: 'lr', value: '0.5' }],
      metrics: [
        { key: 'loss', value: 0.9, timestamp: 10, step: 0 },
        { key: 'loss', value: 0.4, timestamp: 11, step: 1 },
        { key: 'auc', value: 0.81, timestamp: 12, step: 1 },
      ],
      tags: [{ key: 'team', value: 'ml' }],
    });
    expect(batch).toMatchObject({ status: 200, body: {} });
    expect(
      (
        await emu.api('POST', `${M}/runs/log-metric`, {
          run_id: runId,
          key: 'loss',
          value: 0.7,
          timestamp: 20,
          step: 0,
        })
      ).status,
    ).toBe(200);
    expect(
      (await emu.api('POST', `${M}/runs/log-parameter`, { run_id: runId, key: 'epochs', value: '3' })).status,
    ).toBe(200);
    // Re-logging the same value is fine; a different one is refused and changes nothing.
    expect(
      (await emu.api('POST', `${M}/runs/log-parameter`, { run_id: runId, key: 'lr', value: '0.5' })).status,
    ).toBe(200);
    const changed = await emu.api('POST', `${M}/runs/log-batch`, {
      run_id: runId,
      params: [{ key: 'lr', value: '9' }],
    });
    expect(changed.status).toBe(400);
    expect(changed.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    expect(changed.body.message).toContain('Changing param values is not allowed');
    expect(
      (await emu.api('POST', `${M}/runs/set-tag`, { run_id: runId, key: 'stage', value: 'dev' })).status,
    ).toBe(200);
    const updated = await emu.api('POST', `${M}/runs/update`, {
      run_id: runId,
      status: 'FINISHED',
      end_time: 2000,
    });
    expect(updated.body.run_info).toMatchObject({ run_id: runId, status: 'FINISHED', end_time: 2000 });

    const got = (await emu.api('GET', `${M}/runs/get?run_id=${runId}`)).body.run;
    expect(got.info.status).toBe('FINISHED');
    // Latest = highest step (then timestamp): loss step 1 (0.4), not the later-logged step-0 point.
    const metrics = Object.fromEntries(got.data.metrics.map((m: any) => [m.key, m.value]));
    expect(metrics).toEqual({ loss: 0.4, auc: 0.81 });
    expect(got.data.params).toEqual(
      expect.arrayContaining([
        { key: 'lr', value: '0.5' },
        { key: 'epochs', value: '3' },
      ]),
    );
    expect(got.data.params).toHaveLength(2);
    expect(got.data.tags).toEqual(
      expect.arrayContaining([
        { key: 'team', value: 'ml' },
        { key: 'stage', value: 'dev' },
      ]),
    );

    const missing = await emu.api('GET', `${M}/runs/get?run_id=0123`);
    expect(missing).toMatchObject({
      status: 404,
      body: { error_code: 'RESOURCE_DOES_NOT_EXIST', message: 'Run with id=0123 not found' },
    });
    const noId = await emu.api('GET', `${M}/runs/get`);
    expect(noId.status).toBe(400);
    expect(noId.body.message).toContain("Missing value for required parameter 'run_id'");
    const badStatus = await emu.api('POST', `${M}/runs/update`, { run_id: runId, status: 'DONE' });
    expect(badStatus.status).toBe(400);
    expect(badStatus.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    const tooMany = await emu.api('POST', `${M}/runs/log-batch`, {
      run_id: runId,
      params: Array.from({ length: 101 }, (_, i) => ({ key: `p${i}`, value: 'x' })),
    });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.message).toContain('at most 100 params');
  });

  test('metric history: everything without max_results, pages with it', async () => {
    const run = await newRun('exp-history');
    const runId = run.info.run_id;
    const points = Array.from({ length: 25 }, (_, step) => ({
      key: 'loss',
      value: 1 / (step + 1),
      timestamp: 100 + step,
      step,
    }));
    expect((await emu.api('POST', `${M}/runs/log-batch`, { run_id: runId, metrics: points })).status).toBe(
      200,
    );

    const all = await emu.api('GET', `${M}/metrics/get-history?run_id=${runId}&metric_key=loss`);
    expect(all.body.metrics).toEqual(points);
    expect(all.body.next_page_token).toBeUndefined();

    const collected: any[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const query = `run_id=${runId}&metric_key=loss&max_results=10${token ? `&page_token=${encodeURIComponent(token)}` : ''}`;
      const page = await emu.api('GET', `${M}/metrics/get-history?${query}`);
      expect(page.status).toBe(200);
      expect(page.body.metrics.length).toBeLessThanOrEqual(10);
      collected.push(...page.body.metrics);
      token = page.body.next_page_token;
      pages++;
    } while (token);
    expect(pages).toBe(3);
    expect(collected).toEqual(points);

    const bad = await emu.api(
      'GET',
      `${M}/metrics/get-history?run_id=${runId}&metric_key=loss&page_token=garbage`,
    );
    expect(bad.status).toBe(400);
    expect(bad.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    expect(
      (await emu.api('GET', `${M}/metrics/get-history?run_id=${runId}&metric_key=none`)).body.metrics,
    ).toEqual([]);
    expect((await emu.api('GET', `${M}/metrics/get-history?run_id=nope&metric_key=loss`)).status).toBe(404);
  });

  test('artifacts: PUT and GET through the proxy, listing by directory, errors', async () => {
    const run = await newRun('exp-artifacts');
    const root = `${run.info.experiment_id}/${run.info.run_id}/artifacts`;
    const bytes = Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 31) % 256));
    const put = await fetch(`${emu.url}${A}/${root}/model/weights.bin`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${PAT}`, 'content-type': 'application/octet-stream' },
      body: bytes,
    });
    expect(put.status).toBe(200);
    await fetch(`${emu.url}${A}/${root}/model/model%20card.json`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${PAT}` },
      body: '{"a":1}',
    });
    await fetch(`${emu.url}${A}/${root}/README.txt`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${PAT}` },
      body: 'hi',
    });

    const got = await fetch(`${emu.url}${A}/${root}/model/weights.bin`, {
      headers: { authorization: `Bearer ${PAT}` },
    });
    expect(got.status).toBe(200);
    expect(got.headers.get('content-type')).toBe('application/octet-stream');
    const back = Buffer.from(await got.arrayBuffer());
    expect(createHash('sha256').update(back).digest('hex')).toBe(
      createHash('sha256').update(bytes).digest('hex'),
    );
    // Stored where mlflow server --artifacts-destination would put it.
    expect(readFileSync(path.join(artifactRoot, root, 'model', 'weights.bin')).equals(bytes)).toBe(true);

    const top = await emu.api('GET', `${M}/artifacts/list?run_id=${run.info.run_id}`);
    expect(top.body).toEqual({
      root_uri: run.info.artifact_uri,
      files: [
        { path: 'README.txt', is_dir: false, file_size: 2 },
        { path: 'model', is_dir: true },
      ],
    });
    const model = await emu.api('GET', `${M}/artifacts/list?run_id=${run.info.run_id}&path=model`);
    expect(model.body.files).toEqual([
      { path: 'model/model card.json', is_dir: false, file_size: 7 },
      { path: 'model/weights.bin', is_dir: false, file_size: 70_000 },
    ]);
    expect((await emu.api('GET', `${M}/artifacts/list?run_id=${run.info.run_id}&path=none`)).body).toEqual({
      root_uri: run.info.artifact_uri,
    });

    const missing = await emu.api('GET', `${A}/${root}/model/nothere.json`);
    expect(missing.status).toBe(404);
    expect(missing.body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
    const escape = await emu.api('GET', `${A}/${root}/..%2F..%2Fsecret`);
    expect(escape.status).toBe(400);
    const unauthenticated = await fetch(`${emu.url}${A}/${root}/README.txt`);
    expect(unauthenticated.status).toBe(401);
  });

  test('artifacts/list pages at 1,000 entries', async () => {
    const run = await newRun('exp-many');
    const dir = path.join(artifactRoot, run.info.experiment_id, run.info.run_id, 'artifacts', 'many');
    mkdirSync(dir, { recursive: true });
    for (let i = 0; i < 1001; i++) writeFileSync(path.join(dir, `f${String(i).padStart(4, '0')}.txt`), 'x');
    const first = await emu.api('GET', `${M}/artifacts/list?run_id=${run.info.run_id}&path=many`);
    expect(first.body.files).toHaveLength(1000);
    expect(first.body.next_page_token).toEqual(expect.any(String));
    const second = await emu.api(
      'GET',
      `${M}/artifacts/list?run_id=${run.info.run_id}&path=many&page_token=${encodeURIComponent(first.body.next_page_token)}`,
    );
    expect(second.body.files).toEqual([{ path: 'many/f1000.txt', is_dir: false, file_size: 1 }]);
    expect(second.body.next_page_token).toBeUndefined();
  });

  test('workspace registry: models, versions, search, stages and their errors; no alias endpoints', async () => {
    const run = await newRun('exp-registry');
    const runId = run.info.run_id;
    const created = await emu.api('POST', `${M}/registered-models/create`, { name: 'churn' });
    expect(created.status).toBe(200);
    expect(created.body.registered_model.name).toBe('churn');
    const again = await emu.api('POST', `${M}/registered-models/create`, { name: 'churn' });
    expect(again).toMatchObject({
      status: 400,
      body: {
        error_code: 'RESOURCE_ALREADY_EXISTS',
        message: 'Registered Model (name=churn) already exists.',
      },
    });
    expect((await emu.api('GET', `${M}/registered-models/get?name=nope`)).body).toMatchObject({
      error_code: 'RESOURCE_DOES_NOT_EXIST',
      message: 'Registered Model with name=nope not found',
    });

    const source = `${run.info.artifact_uri}/model`;
    const v1 = await emu.api('POST', `${M}/model-versions/create`, { name: 'churn', source, run_id: runId });
    expect(v1.body.model_version).toMatchObject({
      name: 'churn',
      version: '1',
      source,
      run_id: runId,
      status: 'READY',
      current_stage: 'None',
    });
    const v2 = await emu.api('POST', `${M}/model-versions/create`, { name: 'churn', source: `${source}2` });
    expect(v2.body.model_version.version).toBe('2');
    expect((await emu.api('POST', `${M}/model-versions/create`, { name: 'nope', source })).status).toBe(404);
    expect(
      (await emu.api('POST', `${M}/model-versions/create`, { name: 'churn', source, run_id: 'nope' })).status,
    ).toBe(404);
    expect((await emu.api('GET', `${M}/model-versions/get?name=churn&version=9`)).body).toMatchObject({
      error_code: 'RESOURCE_DOES_NOT_EXIST',
      message: 'Model Version (name=churn, version=9) not found',
    });

    const byRun = await emu.api(
      'GET',
      `${M}/model-versions/search?filter=${encodeURIComponent(`name='churn' AND run_id='${runId}'`)}`,
    );
    expect(byRun.body.model_versions.map((v: any) => v.version)).toEqual(['1']);
    const paged = await emu.api(
      'GET',
      `${M}/model-versions/search?filter=${encodeURIComponent("name='churn'")}&max_results=1`,
    );
    expect(paged.body.model_versions.map((v: any) => v.version)).toEqual(['2']);
    const rest = await emu.api(
      'GET',
      `${M}/model-versions/search?filter=${encodeURIComponent("name='churn'")}&max_results=1&page_token=${encodeURIComponent(paged.body.next_page_token)}`,
    );
    expect(rest.body.model_versions.map((v: any) => v.version)).toEqual(['1']);
    expect(rest.body.next_page_token).toBeUndefined();
    expect(
      (await emu.api('GET', `${M}/model-versions/search?filter=${encodeURIComponent('tags.x LIKE 1')}`))
        .status,
    ).toBe(400);

    // Stages: Databricks' transition-stage and MLflow's own path, get-latest-versions.
    const toProduction = await emu.api('POST', `${M}/databricks/model-versions/transition-stage`, {
      name: 'churn',
      version: '1',
      stage: 'production',
      archive_existing_versions: true,
    });
    expect(toProduction.body.model_version_databricks).toMatchObject({
      version: '1',
      current_stage: 'Production',
    });
    const latest = async (stages: string[]) =>
      (
        await emu.api('POST', `${M}/registered-models/get-latest-versions`, { name: 'churn', stages })
      ).body.model_versions.map((v: any) => [v.version, v.current_stage]);
    expect(await latest(['Production'])).toEqual([['1', 'Production']]);
    await emu.api('POST', `${M}/model-versions/transition-stage`, {
      name: 'churn',
      version: '2',
      stage: 'Production',
      archive_existing_versions: true,
    });
    expect(await latest(['Production', 'Archived'])).toEqual([
      ['2', 'Production'],
      ['1', 'Archived'],
    ]);
    const stagesQuery = await emu.api(
      'GET',
      `${M}/registered-models/get-latest-versions?name=churn&stages=Archived`,
    );
    expect(stagesQuery.body.model_versions.map((v: any) => v.version)).toEqual(['1']);
    expect(
      (
        await emu.api('POST', `${M}/model-versions/transition-stage`, {
          name: 'churn',
          version: '2',
          stage: 'Live',
        })
      ).status,
    ).toBe(400);
    expect(
      (
        await emu.api('POST', `${M}/model-versions/transition-stage`, {
          name: 'churn',
          version: '1',
          stage: 'Archived',
          archive_existing_versions: true,
        })
      ).status,
    ).toBe(400);
    expect(
      (
        await emu.api('POST', `${M}/model-versions/transition-stage`, {
          name: 'churn',
          version: '7',
          stage: 'Staging',
        })
      ).status,
    ).toBe(404);
    expect((await emu.api('GET', `${M}/databricks/registered-models/get?name=churn`)).body).toMatchObject({
      registered_model_databricks: {
        name: 'churn',
        latest_versions: [{ version: '2', current_stage: 'Production' }],
      },
    });

    // A workspace registry has no aliases: every alias call is an unknown endpoint there.
    for (const method of ['POST', 'GET', 'DELETE']) {
      const answer = await emu.api(
        method,
        `${M}/registered-models/alias${method === 'GET' ? '?name=churn&alias=champion' : ''}`,
        method === 'GET' ? undefined : { name: 'churn', alias: 'champion', version: '1' },
      );
      expect(answer.status).toBe(404);
      expect(answer.body).toMatchObject({
        error_code: 'ENDPOINT_NOT_FOUND',
        message: `No API found for '${method} /mlflow/registered-models/alias'`,
      });
    }
  });

  test('requests are counted in stats and need a token', async () => {
    const before = await emu.control<any>('GET', '/stats');
    await emu.api('GET', `${M}/experiments/get?experiment_id=0`);
    const unauthenticated = await emu.api('GET', `${M}/experiments/get?experiment_id=0`, undefined, {
      token: null,
    });
    expect(unauthenticated.status).toBe(401);
    const after = await emu.control<any>('GET', '/stats');
    const key = `GET ${M}/experiments/get`;
    expect(after.requests[key] - (before.requests[key] ?? 0)).toBe(2);
  });
});

describe('emulator MLflow state across a restart (--state)', () => {
  test('experiments, runs, metrics, models, stages, Unity Catalog aliases and artifacts survive', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'emulator-mlflow-state-'));
    const statePath = path.join(dir, 'state.json');
    try {
      let emu = await startTestEmulator({ statePath, persistDebounceMs: 10 });
      const exp = (await emu.api('POST', `${M}/experiments/create`, { name: 'kept' })).body.experiment_id;
      const run = (await emu.api('POST', `${M}/runs/create`, { experiment_id: exp })).body.run;
      await emu.api('POST', `${M}/runs/log-metric`, {
        run_id: run.info.run_id,
        key: 'auc',
        value: 0.8,
        timestamp: 1,
      });
      const artifact = `${A}/${exp}/${run.info.run_id}/artifacts/model/model.json`;
      await fetch(`${emu.url}${artifact}`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${PAT}` },
        body: '{"w":[1]}',
      });
      await emu.api('POST', `${M}/registered-models/create`, { name: 'kept-model' });
      await emu.api('POST', `${M}/model-versions/create`, {
        name: 'kept-model',
        source: `${run.info.artifact_uri}/model`,
      });
      await emu.api('POST', `${M}/model-versions/transition-stage`, {
        name: 'kept-model',
        version: '1',
        stage: 'Production',
      });
      await emu.api('POST', '/api/2.1/unity-catalog/schemas', { catalog_name: 'main', name: 'kept' });
      await emu.api('POST', '/api/2.1/unity-catalog/models', {
        catalog_name: 'main',
        schema_name: 'kept',
        name: 'uc_model',
      });
      const ucVersion = await emu.api('POST', `${M}/unity-catalog/model-versions/create`, {
        name: 'main.kept.uc_model',
        source: `${run.info.artifact_uri}/model`,
        run_id: run.info.run_id,
      });
      expect(ucVersion.body.model_version.status).toBe('PENDING_REGISTRATION');
      await emu.api('POST', `${M}/unity-catalog/model-versions/finalize`, {
        name: 'main.kept.uc_model',
        version: '1',
      });
      await emu.api('PUT', '/api/2.1/unity-catalog/models/main.kept.uc_model/aliases/prod', {
        version_num: 1,
      });
      await emu.close();

      emu = await startTestEmulator({ statePath });
      try {
        const got = (await emu.api('GET', `${M}/runs/get?run_id=${run.info.run_id}`)).body.run;
        expect(got.data.metrics).toEqual([{ key: 'auc', value: 0.8, timestamp: 1, step: 0 }]);
        const kept = await emu.api('POST', `${M}/registered-models/get-latest-versions`, {
          name: 'kept-model',
          stages: ['Production'],
        });
        expect(kept.body.model_versions.map((v: any) => v.version)).toEqual(['1']);
        const alias = await emu.api('GET', '/api/2.1/unity-catalog/models/main.kept.uc_model/aliases/prod');
        expect(alias.body).toMatchObject({ version: 1, status: 'READY', run_id: run.info.run_id });
        const file = await emu.api('GET', artifact);
        expect(file.body).toEqual({ w: [1] });
        // New experiments do not reuse ids.
        const next = (await emu.api('POST', `${M}/experiments/create`, { name: 'after' })).body.experiment_id;
        expect(Number(next)).toBeGreaterThan(Number(exp));
      } finally {
        await emu.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
