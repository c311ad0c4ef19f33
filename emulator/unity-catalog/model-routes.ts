/**
 * Models in Unity Catalog over the Unity Catalog REST API, `/api/2.1/unity-catalog/models…`, as
 * databricks-sdk-py (service/catalog.py RegisteredModelsAPI, ModelVersionsAPI) calls it: registered
 * models (create, list, get, update, delete), aliases (PUT `{version_num}`, DELETE, GET → the model
 * version), and versions (list, get, update, delete). Versions are created through MLflow's
 * `databricks-uc` registry endpoints (mlflow/uc-registry-routes.ts); the SDK docstring says so too
 * ("Creating new model versions requires use of the MLflow Python client").
 */
import { z } from 'zod';
import { page } from '../mlflow/mlflow-request.js';
import { ok } from '../http/responses.js';
import type { RequestContext, Router } from '../http/router.js';
import { flag, int64, parseWith, queryObject } from '../http/validation.js';
import { accessModel, checkCreateModel } from './model-access.js';
import { ucRoute, type UnityCatalogServices } from './uc-services.js';
import { modelVersionInfo, registeredModelInfo } from './uc-views.js';

const V21 = ['2.1'] as const;
const LIST_DEFAULT = 100;
const LIST_MAX = 1000;

function listParams(ctx: RequestContext) {
  return parseWith(
    z.object({
      max_results: int64.pipe(z.number().int().min(0).max(LIST_MAX)).optional(),
      page_token: z.string().optional(),
      include_aliases: flag.optional(),
      catalog_name: z.string().optional(),
      schema_name: z.string().optional(),
    }),
    queryObject(ctx.query),
  );
}

export function registerModelRoutes(router: Router, uc: UnityCatalogServices): void {
  const { store } = uc;
  const route = (method: string, pattern: string, handler: Parameters<Router['api']>[3]) =>
    ucRoute(router, uc, method, `/unity-catalog${pattern}`, V21, handler);
  const includeAliases = (ctx: RequestContext) => ctx.query.get('include_aliases') === 'true';

  route('POST', '/models', (ctx) => {
    const body = parseWith(
      z.object({
        catalog_name: z.string().min(1),
        schema_name: z.string().min(1),
        name: z.string().min(1),
        comment: z.string().optional(),
      }),
      ctx.body,
    );
    const fullName = `${body.catalog_name}.${body.schema_name}.${body.name}`;
    checkCreateModel(uc, ctx.principal, fullName);
    const model = store.createModel(fullName, ctx.principal, body.comment);
    uc.changed();
    return ok(registeredModelInfo(store, model, false));
  });

  route('GET', '/models', (ctx) => {
    const params = listParams(ctx);
    const visible = store
      .modelsIn(params.catalog_name?.toLowerCase(), params.schema_name?.toLowerCase())
      .filter((m) => {
        try {
          accessModel(uc, ctx.principal, m.fullName, 'read');
          return true;
        } catch {
          return false;
        }
      });
    const { items, next_page_token } = page(visible, params.page_token, params.max_results || LIST_DEFAULT);
    return ok({
      registered_models: items.map((m) => registeredModelInfo(store, m, params.include_aliases ?? false)),
      ...(next_page_token ? { next_page_token } : {}),
    });
  });

  route('GET', '/models/{full_name}', (ctx) => {
    const model = accessModel(uc, ctx.principal, ctx.params.full_name!, 'read');
    return ok(registeredModelInfo(store, model, includeAliases(ctx)));
  });

  route('PATCH', '/models/{full_name}', (ctx) => {
    const body = parseWith(
      z.object({ comment: z.string().optional(), owner: z.string().min(1).optional() }),
      ctx.body,
    );
    const model = accessModel(uc, ctx.principal, ctx.params.full_name!, 'write');
    if (body.comment !== undefined) model.comment = body.comment;
    if (body.owner !== undefined) model.owner = body.owner;
    model.updatedAt = Date.now();
    model.updatedBy = ctx.principal;
    uc.changed();
    return ok(registeredModelInfo(store, model, false));
  });

  route('DELETE', '/models/{full_name}', (ctx) => {
    const model = accessModel(uc, ctx.principal, ctx.params.full_name!, 'write');
    store.deleteModel(model.fullName);
    uc.changed();
    return ok({});
  });

  route('PUT', '/models/{full_name}/aliases/{alias}', (ctx) => {
    const body = parseWith(z.object({ version_num: int64 }), ctx.body);
    const model = accessModel(uc, ctx.principal, ctx.params.full_name!, 'write');
    const version = store.setAlias(model, ctx.params.alias!, body.version_num, ctx.principal);
    uc.changed();
    return ok({
      alias_name: ctx.params.alias!.toLowerCase(),
      version_num: version.version,
      catalog_name: model.catalogName,
      schema_name: model.schemaName,
      model_name: model.name,
    });
  });

  route('DELETE', '/models/{full_name}/aliases/{alias}', (ctx) => {
    const model = accessModel(uc, ctx.principal, ctx.params.full_name!, 'write');
    store.deleteAlias(model, ctx.params.alias!);
    uc.changed();
    return ok({});
  });

  route('GET', '/models/{full_name}/aliases/{alias}', (ctx) => {
    const model = accessModel(uc, ctx.principal, ctx.params.full_name!, 'read');
    const version = store.versionByAlias(model, ctx.params.alias!);
    return ok(modelVersionInfo(store, model, version, includeAliases(ctx)));
  });

  route('GET', '/models/{full_name}/versions', (ctx) => {
    const params = listParams(ctx);
    const model = accessModel(uc, ctx.principal, ctx.params.full_name!, 'read');
    // Newest first, as the registry lists them.
    const versions = [...model.versions].reverse();
    const { items, next_page_token } = page(versions, params.page_token, params.max_results || LIST_DEFAULT);
    return ok({
      model_versions: items.map((v) => modelVersionInfo(store, model, v, false)),
      ...(next_page_token ? { next_page_token } : {}),
    });
  });

  route('GET', '/models/{full_name}/versions/{version}', (ctx) => {
    const model = accessModel(uc, ctx.principal, ctx.params.full_name!, 'read');
    const version = store.getVersion(model, ctx.params.version!);
    return ok(modelVersionInfo(store, model, version, includeAliases(ctx)));
  });

  route('PATCH', '/models/{full_name}/versions/{version}', (ctx) => {
    const body = parseWith(z.object({ comment: z.string().optional() }), ctx.body);
    const model = accessModel(uc, ctx.principal, ctx.params.full_name!, 'write');
    const version = store.getVersion(model, ctx.params.version!);
    if (body.comment !== undefined) version.comment = body.comment;
    version.updatedAt = Date.now();
    version.updatedBy = ctx.principal;
    uc.changed();
    return ok(modelVersionInfo(store, model, version, false));
  });

  route('DELETE', '/models/{full_name}/versions/{version}', (ctx) => {
    const model = accessModel(uc, ctx.principal, ctx.params.full_name!, 'write');
    store.deleteVersion(model, ctx.params.version!);
    uc.changed();
    return ok({});
  });
}
