/**
 * MLflow's `databricks-uc` registry, `/api/2.0/mlflow/unity-catalog/…`: the endpoints MLflow's
 * UcModelRegistryStore calls (mlflow/store/_unity_catalog/registry/rest_store.py; paths and methods
 * from UcModelRegistryService in mlflow/protos/databricks_uc_registry_service.proto), over the same
 * models as the Unity Catalog REST API (unity-catalog/model-routes.ts).
 *
 * Registering a version is three calls, as the client makes them: model-versions/create (the version
 * starts PENDING_REGISTRATION), generate-temporary-credentials, then — after the files are uploaded —
 * model-versions/finalize (READY). The credentials say `storage_mode: DEFAULT_STORAGE` and carry no
 * cloud keys: MLflow then uploads and downloads through presigned URLs from
 * /api/2.0/fs/create-upload-url and create-download-url (PresignedUrlArtifactRepository), which the
 * emulator serves without any cloud. `registered-models:is-databricks-sdk-models-artifact-repository-
 * enabled` answers false, so clients take that path rather than the SDK Files one (both work here).
 */
import { z } from 'zod';
import { ApiError, invalidParameter } from '../http/api-error.js';
import { ok } from '../http/responses.js';
import type { Router } from '../http/router.js';
import { accessModel, checkCreateModel } from '../unity-catalog/model-access.js';
import { ucRoute, type UnityCatalogServices } from '../unity-catalog/uc-services.js';
import { modelFullName, type ModelRecord, type ModelVersionRecord } from '../unity-catalog/uc-store.js';
import {
  mlflowModelVersion,
  mlflowRegisteredModel,
  versionStorageLocation,
} from '../unity-catalog/uc-views.js';
import { int64, page, parseMlflow, requestParams, requiredString } from './mlflow-request.js';
import type { TrackingStore } from './tracking-store.js';

const API = '/mlflow/unity-catalog';
const V20 = ['2.0'] as const;
const tag = z.object({ key: requiredString, value: z.string() });
const SEARCH_DEFAULT = 100;
const SEARCH_MAX = 1000;
/** How long generated credentials (and so the presigned URLs behind them) are said to last. */
const CREDENTIAL_TTL_MS = 15 * 60_000;

const FILTER_FIELDS: Record<string, (m: ModelRecord, v: ModelVersionRecord) => string | undefined> = {
  name: (m) => modelFullName(m),
  run_id: (_m, v) => v.runId,
};

/** `name = 'main.ml.churn' AND run_id = 'abc'`; a version search must name its model. */
function parseFilter(filter: string | undefined): {
  name: string;
  matches: (m: ModelRecord, v: ModelVersionRecord) => boolean;
} {
  const conditions = (filter ?? '')
    .split(/\s+AND\s+/i)
    .filter((part) => part.trim() !== '')
    .map((part) => {
      const match = /^\s*`?(\w+)`?\s*=\s*(['"])(.*)\2\s*$/.exec(part);
      const field = match ? FILTER_FIELDS[match[1]!] : undefined;
      if (!match || !field) throw invalidParameter(`Invalid filter string '${filter ?? ''}'`);
      return { field: match[1]!, get: field, value: match[3]! };
    });
  const name = conditions.find((c) => c.field === 'name');
  if (!name) {
    throw invalidParameter(
      `Unity Catalog model version search requires a filter of the form "name = '<catalog>.<schema>.<model>'"; got '${filter ?? ''}'`,
    );
  }
  return {
    name: name.value,
    matches: (m, v) =>
      conditions.every((c) =>
        c.field === 'name' ? c.value.toLowerCase() === modelFullName(m) : c.get(m, v) === c.value,
      ),
  };
}

export function registerUcRegistryRoutes(
  router: Router,
  uc: UnityCatalogServices,
  tracking: TrackingStore,
): void {
  const { store } = uc;
  const route = (method: string, pattern: string, handler: Parameters<Router['api']>[3]) =>
    ucRoute(router, uc, method, `${API}${pattern}`, V20, handler);
  const nameSchema = z.object({ name: requiredString });
  const versionSchema = z.object({ name: requiredString, version: requiredString });

  route('POST', '/registered-models/create', (ctx) => {
    const body = parseMlflow(
      nameSchema.extend({ description: z.string().optional(), tags: z.array(tag).optional() }),
      requestParams(ctx),
    );
    checkCreateModel(uc, ctx.principal, body.name);
    const model = store.createModel(body.name, ctx.principal, body.description);
    for (const t of body.tags ?? []) model.tags[t.key] = t.value;
    uc.changed();
    return ok({ registered_model: mlflowRegisteredModel(model) });
  });

  route('GET', '/registered-models/get', (ctx) => {
    const { name } = parseMlflow(nameSchema, requestParams(ctx));
    return ok({ registered_model: mlflowRegisteredModel(accessModel(uc, ctx.principal, name, 'read')) });
  });

  route('GET', '/registered-models/search', (ctx) => {
    const params = parseMlflow(
      z.object({ max_results: int64.optional(), page_token: z.string().optional() }),
      requestParams(ctx),
    );
    const size = params.max_results ?? SEARCH_DEFAULT;
    if (size < 1 || size > SEARCH_MAX)
      throw invalidParameter(`max_results must be between 1 and ${SEARCH_MAX}.`);
    const visible = store.modelsIn().filter((m) => {
      try {
        accessModel(uc, ctx.principal, m.fullName, 'read');
        return true;
      } catch {
        return false;
      }
    });
    const { items, next_page_token } = page(visible, params.page_token, size);
    return ok({
      registered_models: items.map(mlflowRegisteredModel),
      ...(next_page_token ? { next_page_token } : {}),
    });
  });

  route('PATCH', '/registered-models/update', (ctx) => {
    const body = parseMlflow(nameSchema.extend({ description: z.string().optional() }), requestParams(ctx));
    const model = accessModel(uc, ctx.principal, body.name, 'write');
    if (body.description !== undefined) model.comment = body.description;
    model.updatedAt = Date.now();
    uc.changed();
    return ok({ registered_model: mlflowRegisteredModel(model) });
  });

  route('DELETE', '/registered-models/delete', (ctx) => {
    const { name } = parseMlflow(nameSchema, requestParams(ctx));
    store.deleteModel(accessModel(uc, ctx.principal, name, 'write').fullName);
    uc.changed();
    return ok({});
  });

  route('POST', '/registered-models/set-tag', (ctx) => {
    const body = parseMlflow(
      nameSchema.extend({ key: requiredString, value: z.string() }),
      requestParams(ctx),
    );
    accessModel(uc, ctx.principal, body.name, 'tag').tags[body.key] = body.value;
    uc.changed();
    return ok({});
  });

  route('DELETE', '/registered-models/delete-tag', (ctx) => {
    const body = parseMlflow(nameSchema.extend({ key: requiredString }), requestParams(ctx));
    delete accessModel(uc, ctx.principal, body.name, 'tag').tags[body.key];
    uc.changed();
    return ok({});
  });

  const aliasSchema = nameSchema.extend({ alias: requiredString });

  route('POST', '/registered-models/alias', (ctx) => {
    const body = parseMlflow(aliasSchema.extend({ version: requiredString }), requestParams(ctx));
    store.setAlias(
      accessModel(uc, ctx.principal, body.name, 'write'),
      body.alias,
      body.version,
      ctx.principal,
    );
    uc.changed();
    return ok({});
  });

  route('GET', '/registered-models/alias', (ctx) => {
    const params = parseMlflow(aliasSchema, requestParams(ctx));
    const model = accessModel(uc, ctx.principal, params.name, 'read');
    return ok({ model_version: mlflowModelVersion(store, model, store.versionByAlias(model, params.alias)) });
  });

  route('DELETE', '/registered-models/alias', (ctx) => {
    const params = parseMlflow(aliasSchema, requestParams(ctx));
    store.deleteAlias(accessModel(uc, ctx.principal, params.name, 'write'), params.alias);
    uc.changed();
    return ok({});
  });

  route('GET', '/registered-models:is-databricks-sdk-models-artifact-repository-enabled', () =>
    ok({ is_databricks_sdk_models_artifact_repository_enabled: false }),
  );

  route('POST', '/model-versions/create', (ctx) => {
    const body = parseMlflow(
      nameSchema.extend({
        source: requiredString,
        run_id: z.string().optional(),
        description: z.string().optional(),
        tags: z.array(tag).optional(),
        run_tracking_server_id: z.string().optional(),
        feature_deps: z.string().optional(),
        model_id: z.string().optional(),
        model_version_dependencies: z.array(z.unknown()).optional(),
      }),
      requestParams(ctx),
    );
    const model = accessModel(uc, ctx.principal, body.name, 'write');
    // The run's experiment, when the run is in this workspace (MLflow sends run_tracking_server_id,
    // the workspace id, for runs tracked elsewhere).
    let runExperimentId: string | undefined;
    if (body.run_id) {
      try {
        runExperimentId = tracking.getRun(body.run_id).experiment_id;
      } catch {
        runExperimentId = undefined;
      }
    }
    const version = store.createVersion(
      model,
      {
        source: body.source,
        ...(body.run_id ? { runId: body.run_id } : {}),
        ...(runExperimentId ? { runExperimentId } : {}),
        ...(body.description !== undefined ? { comment: body.description } : {}),
        tags: Object.fromEntries((body.tags ?? []).map((t) => [t.key, t.value])),
      },
      ctx.principal,
    );
    uc.changed();
    return ok({ model_version: mlflowModelVersion(store, model, version) });
  });

  route('GET', '/model-versions/get', (ctx) => {
    const params = parseMlflow(versionSchema, requestParams(ctx));
    const model = accessModel(uc, ctx.principal, params.name, 'read');
    return ok({ model_version: mlflowModelVersion(store, model, store.getVersion(model, params.version)) });
  });

  route('GET', '/model-versions/search', (ctx) => {
    const params = parseMlflow(
      z.object({
        filter: z.string().optional(),
        max_results: int64.optional(),
        page_token: z.string().optional(),
      }),
      requestParams(ctx),
    );
    const size = params.max_results ?? SEARCH_DEFAULT;
    if (size < 1 || size > SEARCH_MAX)
      throw invalidParameter(`max_results must be between 1 and ${SEARCH_MAX}.`);
    const filter = parseFilter(params.filter);
    const model = accessModel(uc, ctx.principal, filter.name, 'read');
    const found = [...model.versions].reverse().filter((v) => filter.matches(model, v));
    const { items, next_page_token } = page(found, params.page_token, size);
    return ok({
      model_versions: items.map((v) => mlflowModelVersion(store, model, v)),
      ...(next_page_token ? { next_page_token } : {}),
    });
  });

  route('PATCH', '/model-versions/update', (ctx) => {
    const body = parseMlflow(
      versionSchema.extend({ description: z.string().optional() }),
      requestParams(ctx),
    );
    const model = accessModel(uc, ctx.principal, body.name, 'write');
    const version = store.getVersion(model, body.version);
    if (body.description !== undefined) version.comment = body.description;
    version.updatedAt = Date.now();
    uc.changed();
    return ok({ model_version: mlflowModelVersion(store, model, version) });
  });

  route('DELETE', '/model-versions/delete', (ctx) => {
    const params = parseMlflow(versionSchema, requestParams(ctx));
    store.deleteVersion(accessModel(uc, ctx.principal, params.name, 'write'), params.version);
    uc.changed();
    return ok({});
  });

  route('POST', '/model-versions/set-tag', (ctx) => {
    const body = parseMlflow(
      versionSchema.extend({ key: requiredString, value: z.string() }),
      requestParams(ctx),
    );
    const model = accessModel(uc, ctx.principal, body.name, 'tag');
    store.getVersion(model, body.version).tags[body.key] = body.value;
    uc.changed();
    return ok({});
  });

  route('DELETE', '/model-versions/delete-tag', (ctx) => {
    const body = parseMlflow(versionSchema.extend({ key: requiredString }), requestParams(ctx));
    const model = accessModel(uc, ctx.principal, body.name, 'tag');
    delete store.getVersion(model, body.version).tags[body.key];
    uc.changed();
    return ok({});
  });

  route('POST', '/model-versions/generate-temporary-credentials', (ctx) => {
    const body = parseMlflow(
      versionSchema.extend({
        operation: z.enum(['MODEL_VERSION_OPERATION_READ', 'MODEL_VERSION_OPERATION_READ_WRITE']),
      }),
      requestParams(ctx),
    );
    const write = body.operation === 'MODEL_VERSION_OPERATION_READ_WRITE';
    const model = accessModel(uc, ctx.principal, body.name, write ? 'write' : 'read');
    const version = store.getVersion(model, body.version);
    if (write && version.status !== 'PENDING_REGISTRATION') {
      throw new ApiError(
        400,
        'INVALID_STATE',
        `Model version ${version.version} of '${model.fullName}' is ${version.status}; only a version pending registration can be written.`,
      );
    }
    return ok({
      credentials: { storage_mode: 'DEFAULT_STORAGE', expiration_time: Date.now() + CREDENTIAL_TTL_MS },
    });
  });

  route('GET', '/model-versions/get-download-uri', (ctx) => {
    const params = parseMlflow(versionSchema, requestParams(ctx));
    const model = accessModel(uc, ctx.principal, params.name, 'read');
    const version = store.getVersion(model, params.version);
    return ok({ artifact_uri: versionStorageLocation(store, model, version) });
  });

  route('POST', '/model-versions/finalize', (ctx) => {
    const body = parseMlflow(versionSchema, requestParams(ctx));
    const model = accessModel(uc, ctx.principal, body.name, 'write');
    const version = store.getVersion(model, body.version);
    if (version.status === 'PENDING_REGISTRATION') {
      version.status = 'READY';
      version.updatedAt = Date.now();
      version.updatedBy = ctx.principal;
      uc.changed();
    }
    return ok({ model_version: mlflowModelVersion(store, model, version) });
  });
}
