/**
 * The emulator's Unity Catalog and the MLflow surface around it, over plain HTTP: catalogs, schemas and
 * grants; models and versions in both shapes (the UC REST API's and MLflow's databricks-uc registry's)
 * with their errors (unknown catalog or schema, two-level names, an alias on a missing version,
 * missing privileges); the Files API and presigned URLs for model files; workspace-registry mode
 * (no metastore); runs/search and MLflow 3 logged models.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { startTestEmulator, type TestEmulator } from './helpers.js';
import { tokenRequest } from './oauth-helpers.js';

const UC = '/api/2.1/unity-catalog';
const MUC = '/api/2.0/mlflow/unity-catalog';
const M = '/api/2.0/mlflow';
const SP = 'uc-test-sp';
const SP_SECRET = 'uc-test-sp-secret-0123456789';

describe('emulator Unity Catalog', () => {
  let emu: TestEmulator;
  let spToken: string;
  beforeAll(async () => {
    emu = await startTestEmulator({ servicePrincipals: [{ applicationId: SP, secret: SP_SECRET }] });
    const token = await tokenRequest(
      emu.url,
      { grant_type: 'client_credentials', scope: 'all-apis' },
      { id: SP, secret: SP_SECRET },
    );
    spToken = token.body.access_token;
  });
  afterAll(async () => {
    await emu?.close();
  });

  /** A run whose artifact URI the model versions can name as their source. */
  const newRun = async (): Promise<{ run_id: string; artifact_uri: string }> => {
    const experiment = await emu.api('POST', `${M}/experiments/create`, { name: `uc-${Math.random()}` });
    const run = await emu.api('POST', `${M}/runs/create`, { experiment_id: experiment.body.experiment_id });
    return run.body.run.info;
  };

  /** Creates and finalizes a version whose one file, model.json, holds `content`. */
  const registerVersion = async (name: string, content: string, token?: string): Promise<string> => {
    const run = await newRun();
    const created = await emu.api(
      'POST',
      `${MUC}/model-versions/create`,
      { name, source: `${run.artifact_uri}/model`, run_id: run.run_id },
      { token },
    );
    expect(created.status).toBe(200);
    const version = created.body.model_version.version as string;
    const credentials = await emu.api(
      'POST',
      `${MUC}/model-versions/generate-temporary-credentials`,
      { name, version, operation: 'MODEL_VERSION_OPERATION_READ_WRITE' },
      { token },
    );
    expect(credentials.body.credentials.storage_mode).toBe('DEFAULT_STORAGE');
    const path = `/Models/${name.replace(/\./g, '/')}/${version}/model.json`;
    const upload = await emu.api('POST', '/api/2.0/fs/create-upload-url', { path }, { token });
    const put = await fetch(upload.body.url, {
      method: 'PUT',
      headers: Object.fromEntries(upload.body.headers.map((h: any) => [h.name, h.value])),
      body: content,
    });
    expect(put.status).toBe(200);
    const finalized = await emu.api('POST', `${MUC}/model-versions/finalize`, { name, version }, { token });
    expect(finalized.body.model_version.status).toBe('READY');
    return version;
  };

  test('catalogs and schemas: main is there, schemas are created, unknown ones are named errors', async () => {
    const catalogs = await emu.api('GET', `${UC}/catalogs`);
    expect(catalogs.body.catalogs.map((c: any) => c.name)).toContain('main');
    const created = await emu.api('POST', `${UC}/schemas`, { catalog_name: 'main', name: 'Models_A' });
    expect(created.body).toMatchObject({
      name: 'models_a',
      catalog_name: 'main',
      full_name: 'main.models_a',
    });
    expect(
      (await emu.api('POST', `${UC}/schemas`, { catalog_name: 'main', name: 'models_a' })).body,
    ).toMatchObject({
      error_code: 'ALREADY_EXISTS',
    });
    const noCatalog = await emu.api('POST', `${UC}/schemas`, { catalog_name: 'nope', name: 'x' });
    expect(noCatalog).toMatchObject({ status: 404, body: { error_code: 'CATALOG_DOES_NOT_EXIST' } });
    const noSchema = await emu.api('GET', `${UC}/schemas/main.nope`);
    expect(noSchema).toMatchObject({ status: 404, body: { error_code: 'SCHEMA_DOES_NOT_EXIST' } });
  });

  test('models: both APIs see one model; errors for bad names, missing parents, versions and aliases', async () => {
    await emu.api('POST', `${UC}/schemas`, { catalog_name: 'main', name: 'models_b' });
    const name = 'main.models_b.churn';
    const created = await emu.api('POST', `${MUC}/registered-models/create`, { name });
    expect(created.body.registered_model).toMatchObject({ name, aliases: [] });
    expect(
      (
        await emu.api('POST', `${UC}/models`, {
          catalog_name: 'main',
          schema_name: 'models_b',
          name: 'churn',
        })
      ).status,
    ).toBe(409);
    const v1 = await registerVersion(name, '{"v":1}');
    const v2 = await registerVersion(name, '{"v":2}');
    expect([v1, v2]).toEqual(['1', '2']);

    const twoLevels = await emu.api('POST', `${MUC}/registered-models/create`, { name: 'churn' });
    expect(twoLevels.status).toBe(400);
    expect(twoLevels.body.message).toContain('specify all three levels');
    expect(
      (await emu.api('POST', `${MUC}/registered-models/create`, { name: 'nope.x.churn' })).body.error_code,
    ).toBe('CATALOG_DOES_NOT_EXIST');
    expect(
      (await emu.api('POST', `${MUC}/registered-models/create`, { name: 'main.nope.churn' })).body.error_code,
    ).toBe('SCHEMA_DOES_NOT_EXIST');
    expect((await emu.api('GET', `${UC}/models/main.models_b.nope`)).status).toBe(404);
    expect((await emu.api('GET', `${UC}/models/${name}/versions/9`)).body.error_code).toBe(
      'RESOURCE_DOES_NOT_EXIST',
    );

    // Aliases: set through one API, read through the other; on a missing version, refused.
    const set = await emu.api('PUT', `${UC}/models/${name}/aliases/champion`, { version_num: 1 });
    expect(set.body).toMatchObject({ alias_name: 'champion', version_num: 1 });
    const byMlflow = await emu.api('GET', `${MUC}/registered-models/alias?name=${name}&alias=champion`);
    expect(byMlflow.body.model_version).toMatchObject({
      name,
      version: '1',
      status: 'READY',
      aliases: [{ alias: 'champion', version: '1' }],
    });
    await emu.api('POST', `${MUC}/registered-models/alias`, { name, alias: 'champion', version: '2' });
    const byUc = await emu.api('GET', `${UC}/models/${name}/aliases/champion?include_aliases=true`);
    expect(byUc.body).toMatchObject({ version: 2, aliases: [{ alias_name: 'champion', version_num: 2 }] });
    const missingVersion = await emu.api('PUT', `${UC}/models/${name}/aliases/champion`, { version_num: 7 });
    expect(missingVersion).toMatchObject({ status: 404, body: { error_code: 'RESOURCE_DOES_NOT_EXIST' } });
    expect((await emu.api('PUT', `${UC}/models/${name}/aliases/latest`, { version_num: 1 })).status).toBe(
      400,
    );
    expect((await emu.api('GET', `${UC}/models/${name}/aliases/nope`)).status).toBe(404);

    const versions = await emu.api('GET', `${UC}/models/${name}/versions`);
    expect(versions.body.model_versions.map((v: any) => v.version)).toEqual([2, 1]);
    const search = await emu.api(
      'GET',
      `${MUC}/model-versions/search?filter=${encodeURIComponent(`name='${name}'`)}&max_results=1`,
    );
    expect(search.body.model_versions.map((v: any) => v.version)).toEqual(['2']);
    expect(search.body.next_page_token).toBeDefined();
    expect(
      (await emu.api('GET', `${MUC}/model-versions/search?filter=${encodeURIComponent("run_id='x'")}`))
        .status,
    ).toBe(400);

    // A READY version's files can be read, never written again.
    const files = await emu.api('GET', `/api/2.0/fs/directories/Models/main/models_b/churn/2/`);
    expect(files.body.contents).toEqual([
      expect.objectContaining({
        name: 'model.json',
        path: '/Models/main/models_b/churn/2/model.json',
        is_directory: false,
        file_size: 7,
      }),
    ]);
    const download = await emu.api('POST', '/api/2.0/fs/create-download-url', {
      path: '/Models/main/models_b/churn/2/model.json',
    });
    expect(
      await (
        await fetch(download.body.url, {
          headers: Object.fromEntries(download.body.headers.map((h: any) => [h.name, h.value])),
        })
      ).text(),
    ).toBe('{"v":2}');
    expect(
      (await emu.api('POST', '/api/2.0/fs/create-upload-url', { path: '/Models/main/models_b/churn/2/x' }))
        .status,
    ).toBe(403);
    const rewrite = await emu.api('POST', `${MUC}/model-versions/generate-temporary-credentials`, {
      name,
      version: '2',
      operation: 'MODEL_VERSION_OPERATION_READ_WRITE',
    });
    expect(rewrite.status).toBe(400);
    expect((await emu.api('GET', `/api/2.0/fs/directories/Volumes/main/x/y`)).body.error_code).toBe(
      'NOT_FOUND',
    );
  });

  test('privileges: a service principal needs USE SCHEMA and CREATE MODEL; grants give them', async () => {
    await emu.api('POST', `${UC}/schemas`, { catalog_name: 'main', name: 'models_c' });
    const name = 'main.models_c.churn';
    const denied = await emu.api('POST', `${MUC}/registered-models/create`, { name }, { token: spToken });
    expect(denied).toMatchObject({
      status: 403,
      body: {
        error_code: 'PERMISSION_DENIED',
        message: "User does not have USE SCHEMA on Schema 'main.models_c'.",
      },
    });
    await emu.api('PATCH', `${UC}/permissions/schema/main.models_c`, {
      changes: [{ principal: SP, add: ['USE_SCHEMA'] }],
    });
    const stillDenied = await emu.api(
      'POST',
      `${MUC}/registered-models/create`,
      { name },
      { token: spToken },
    );
    expect(stillDenied.body.message).toBe("User does not have CREATE MODEL on Schema 'main.models_c'.");
    const grants = await emu.api('PATCH', `${UC}/permissions/schema/main.models_c`, {
      changes: [{ principal: SP, add: ['CREATE_MODEL'] }],
    });
    expect(grants.body.privilege_assignments).toEqual([
      { principal: SP, privileges: ['CREATE_MODEL', 'USE_SCHEMA'] },
    ]);
    expect(
      (await emu.api('POST', `${MUC}/registered-models/create`, { name }, { token: spToken })).status,
    ).toBe(200);
    // The creator owns the model: it may version and promote it.
    const version = await registerVersion(name, '{"sp":true}', spToken);
    expect(
      (
        await emu.api(
          'PUT',
          `${UC}/models/${name}/aliases/champion`,
          { version_num: Number(version) },
          { token: spToken },
        )
      ).status,
    ).toBe(200);
    // A model the principal neither owns nor may EXECUTE is hidden behind PERMISSION_DENIED.
    await emu.api('POST', `${MUC}/registered-models/create`, { name: 'main.models_c.admins_only' });
    const other = await emu.api('GET', `${UC}/models/main.models_c.admins_only`, undefined, {
      token: spToken,
    });
    expect(other).toMatchObject({ status: 403, body: { error_code: 'PERMISSION_DENIED' } });
    // Only an owner changes grants.
    expect(
      (
        await emu.api(
          'PATCH',
          `${UC}/permissions/schema/main.models_c`,
          { changes: [{ principal: SP, add: ['MANAGE'] }] },
          { token: spToken },
        )
      ).status,
    ).toBe(403);
  });

  test('runs/search filters and orders as MLflow does; logged models are created, searched and finalized', async () => {
    const experiment = (await emu.api('POST', `${M}/experiments/create`, { name: 'search-me' })).body
      .experiment_id;
    const ids: string[] = [];
    for (const [auc, name] of [
      [0.9, 'good'],
      [0.6, 'poor'],
      [0.8, 'fine'],
    ] as const) {
      const run = (await emu.api('POST', `${M}/runs/create`, { experiment_id: experiment, run_name: name }))
        .body.run.info;
      await emu.api('POST', `${M}/runs/log-batch`, {
        run_id: run.run_id,
        metrics: [{ key: 'auc', value: auc, timestamp: 1, step: 0 }],
        params: [{ key: 'kind', value: name }],
      });
      ids.push(run.run_id);
    }
    const search = (body: Record<string, unknown>) =>
      emu.api('POST', `${M}/runs/search`, { experiment_ids: [experiment], ...body });
    const good = await search({ filter: 'metrics.auc > 0.7', order_by: ['metrics.auc DESC'] });
    expect(good.body.runs.map((r: any) => r.info.run_name)).toEqual(['good', 'fine']);
    expect(
      (await search({ filter: "params.kind = 'poor'" })).body.runs.map((r: any) => r.info.run_id),
    ).toEqual([ids[1]]);
    expect((await search({ filter: "attributes.run_name LIKE 'f%'" })).body.runs).toHaveLength(1);
    expect((await search({ filter: "params.kind = 'none'" })).body.runs).toBeUndefined();
    const paged = await search({ max_results: 2, order_by: ['metrics.auc ASC'] });
    expect(paged.body.runs.map((r: any) => r.info.run_name)).toEqual(['poor', 'fine']);
    const rest = await search({
      max_results: 2,
      order_by: ['metrics.auc ASC'],
      page_token: paged.body.next_page_token,
    });
    expect(rest.body.runs.map((r: any) => r.info.run_name)).toEqual(['good']);
    expect((await search({ filter: 'metrics.auc >>> 1' })).status).toBe(400);

    const model = await emu.api('POST', `${M}/logged-models`, {
      experiment_id: experiment,
      name: 'model',
      source_run_id: ids[0],
    });
    expect(model.body.model.info).toMatchObject({
      name: 'model',
      status: 'LOGGED_MODEL_PENDING',
      source_run_id: ids[0],
    });
    const id = model.body.model.info.model_id;
    expect(model.body.model.info.artifact_uri).toBe(
      `mlflow-artifacts:/${experiment}/logged_models/${id}/artifacts`,
    );
    const finalized = await emu.api('PATCH', `${M}/logged-models/${id}`, { status: 'LOGGED_MODEL_READY' });
    expect(finalized.body.model.info.status).toBe('LOGGED_MODEL_READY');
    const found = await emu.api('POST', `${M}/logged-models/search`, {
      experiment_ids: [experiment],
      filter: "name = 'model'",
    });
    expect(found.body.models.map((m: any) => m.info.model_id)).toEqual([id]);
    expect(
      (
        await emu.api('POST', `${M}/logged-models/search`, {
          experiment_ids: [experiment],
          filter: "name = 'other'",
        })
      ).body.models,
    ).toEqual([]);
    expect((await emu.api('GET', `${M}/logged-models/m-nope`)).status).toBe(404);
  });
});

describe('emulator without Unity Catalog (--model-registry workspace)', () => {
  test('every Unity Catalog endpoint answers METASTORE_DOES_NOT_EXIST; the workspace registry works', async () => {
    const emu = await startTestEmulator({ modelRegistry: 'workspace' });
    try {
      for (const [method, path, body] of [
        ['GET', `${UC}/catalogs`, undefined],
        ['PUT', `${UC}/models/main.ml.churn/aliases/champion`, { version_num: 1 }],
        ['POST', `${MUC}/registered-models/create`, { name: 'main.ml.churn' }],
        ['GET', `${MUC}/registered-models/alias?name=main.ml.churn&alias=champion`, undefined],
      ] as const) {
        const answer = await emu.api(method, path, body);
        expect(answer).toMatchObject({ status: 404, body: { error_code: 'METASTORE_DOES_NOT_EXIST' } });
      }
      expect((await emu.api('POST', `${M}/registered-models/create`, { name: 'churn' })).status).toBe(200);
    } finally {
      await emu.close();
    }
  });
});
