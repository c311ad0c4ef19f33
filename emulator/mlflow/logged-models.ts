/**
 * MLflow 3 logged models, `/api/2.0/mlflow/logged-models…`, as MLflow's RestStore calls them (paths
 * and methods from MlflowService in mlflow/protos/service.proto): create (POST), get/finalize/delete
 * (GET/PATCH/DELETE `/{model_id}`), search (POST `/search`), tags (PATCH `/{id}/tags`, DELETE
 * `/{id}/tags/{key}`) and params (POST `/{id}/params`). MLflow 3 asks logged-models/search on every
 * `list_artifacts(run_id, path)` and on `register_model("runs:/…")` when the path holds no MLmodel
 * (mlflow/store/artifact/runs_artifact_repo.py, mlflow/tracking/_model_registry/fluent.py), with the
 * filter `name = '<path>'`, so an emulator without it fails those everyday calls.
 *
 * A model's artifacts live at `<experiment artifact_location>/logged_models/<model_id>/artifacts`; in
 * dbfs mode that is `dbfs:/databricks/mlflow-tracking/<exp>/logged_models/<id>/artifacts`, which MLflow
 * reaches through the Files API at /WorkspaceInternal/Mlflow/Artifacts/<exp>/LoggedModels/<id>/…
 * (databricks_logged_model_artifact_repo.py; served by files/fs-paths.ts).
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { invalidParameter, resourceDoesNotExist } from '../http/api-error.js';
import { ok } from '../http/responses.js';
import type { Router } from '../http/router.js';
import type { MlflowServices } from './mlflow-services.js';
import { MLFLOW_VERSIONS } from './mlflow-services.js';
import { int64, page, parseMlflow, requestParams, requiredString } from './mlflow-request.js';
import type { LoggedModelRecord, TrackingStore } from './tracking-store.js';

const tag = z.object({ key: requiredString, value: z.string() });
const STATUSES = ['LOGGED_MODEL_PENDING', 'LOGGED_MODEL_READY', 'LOGGED_MODEL_UPLOAD_FAILED'] as const;
const SEARCH_DEFAULT = 100;
const SEARCH_MAX = 1000;

export function loggedModelView(model: LoggedModelRecord): Record<string, unknown> {
  return {
    info: {
      model_id: model.model_id,
      experiment_id: model.experiment_id,
      name: model.name,
      creation_timestamp_ms: model.creation_timestamp_ms,
      last_updated_timestamp_ms: model.last_updated_timestamp_ms,
      artifact_uri: model.artifact_uri,
      status: model.status,
      ...(model.model_type !== undefined ? { model_type: model.model_type } : {}),
      ...(model.source_run_id !== undefined ? { source_run_id: model.source_run_id } : {}),
      tags: Object.entries(model.tags).map(([key, value]) => ({ key, value })),
    },
    data: { params: Object.entries(model.params).map(([key, value]) => ({ key, value })), metrics: [] },
  };
}

function getModel(tracking: TrackingStore, id: string): LoggedModelRecord {
  const model = tracking.loggedModels.get(id);
  if (!model) throw resourceDoesNotExist(`Logged model with ID '${id}' not found.`);
  return model;
}

const ATTRIBUTES: Record<string, (m: LoggedModelRecord) => string | undefined> = {
  name: (m) => m.name,
  model_id: (m) => m.model_id,
  source_run_id: (m) => m.source_run_id,
  status: (m) => m.status,
  model_type: (m) => m.model_type,
};

/** `name = 'model' AND tags.k = 'v'`: equality on attributes, tags and params, joined by AND. */
function parseFilter(filter: string | undefined): (m: LoggedModelRecord) => boolean {
  if (filter === undefined || filter.trim() === '') return () => true;
  const predicates = filter.split(/\s+AND\s+/i).map((part) => {
    const match = /^\s*(?:(attributes|tags|params)\.)?`?([\w.-]+)`?\s*(=|!=)\s*(['"])(.*)\4\s*$/i.exec(part);
    if (!match) throw invalidParameter(`Invalid filter '${filter}'. Could not be parsed.`);
    const [, scope, key, op, , value] = match;
    const kind = scope?.toLowerCase();
    const get =
      kind === 'tags'
        ? (m: LoggedModelRecord) => m.tags[key!]
        : kind === 'params'
          ? (m: LoggedModelRecord) => m.params[key!]
          : ATTRIBUTES[key!];
    if (!get) throw invalidParameter(`Invalid attribute key '${key}' specified.`);
    return (m: LoggedModelRecord) => (get(m) === value) === (op === '=');
  });
  return (m) => predicates.every((p) => p(m));
}

export function registerLoggedModelRoutes(
  router: Router,
  mlflow: MlflowServices,
  principal: () => string,
): void {
  const { tracking } = mlflow;
  const route = (method: string, pattern: string, handler: Parameters<Router['api']>[3]) =>
    router.api(method, `/mlflow/logged-models${pattern}`, MLFLOW_VERSIONS, handler);

  route('POST', '', (ctx) => {
    const body = parseMlflow(
      z.object({
        experiment_id: requiredString,
        name: z.string().optional(),
        model_type: z.string().optional(),
        source_run_id: z.string().optional(),
        params: z.array(tag).optional(),
        tags: z.array(tag).optional(),
      }),
      requestParams(ctx),
    );
    const experiment = tracking.getExperiment(body.experiment_id);
    if (body.source_run_id) tracking.getRun(body.source_run_id);
    const id = `m-${randomUUID().replace(/-/g, '')}`;
    const now = Date.now();
    const model: LoggedModelRecord = {
      model_id: id,
      experiment_id: experiment.experiment_id,
      name: body.name || `model-${id.slice(2, 10)}`,
      ...(body.model_type ? { model_type: body.model_type } : {}),
      ...(body.source_run_id ? { source_run_id: body.source_run_id } : {}),
      status: 'LOGGED_MODEL_PENDING',
      creation_timestamp_ms: now,
      last_updated_timestamp_ms: now,
      artifact_uri: `${experiment.artifact_location}/logged_models/${id}/artifacts`,
      creator: principal(),
      tags: Object.fromEntries((body.tags ?? []).map((t) => [t.key, t.value])),
      params: Object.fromEntries((body.params ?? []).map((p) => [p.key, p.value])),
    };
    tracking.loggedModels.set(id, model);
    mlflow.changed();
    return ok({ model: loggedModelView(model) });
  });

  route('POST', '/search', (ctx) => {
    const params = parseMlflow(
      z.object({
        experiment_ids: z.array(z.string()).min(1),
        filter: z.string().optional(),
        max_results: int64.optional(),
        page_token: z.string().optional(),
      }),
      requestParams(ctx),
    );
    const size = params.max_results ?? SEARCH_DEFAULT;
    if (size < 1 || size > SEARCH_MAX)
      throw invalidParameter(`max_results must be between 1 and ${SEARCH_MAX}.`);
    const experiments = new Set(params.experiment_ids);
    const matches = parseFilter(params.filter);
    // Newest first, MLflow's default order.
    const found = [...tracking.loggedModels.values()]
      .filter((m) => experiments.has(m.experiment_id) && matches(m))
      .sort(
        (a, b) => b.creation_timestamp_ms - a.creation_timestamp_ms || (a.model_id < b.model_id ? -1 : 1),
      );
    const { items, next_page_token } = page(found, params.page_token, size);
    return ok({ models: items.map(loggedModelView), ...(next_page_token ? { next_page_token } : {}) });
  });

  route('GET', '/{model_id}', (ctx) =>
    ok({ model: loggedModelView(getModel(tracking, ctx.params.model_id!)) }),
  );

  route('PATCH', '/{model_id}', (ctx) => {
    const body = parseMlflow(z.object({ status: z.enum(STATUSES) }), requestParams(ctx));
    const model = getModel(tracking, ctx.params.model_id!);
    model.status = body.status;
    model.last_updated_timestamp_ms = Date.now();
    mlflow.changed();
    return ok({ model: loggedModelView(model) });
  });

  route('DELETE', '/{model_id}', (ctx) => {
    getModel(tracking, ctx.params.model_id!);
    tracking.loggedModels.delete(ctx.params.model_id!);
    mlflow.changed();
    return ok({});
  });

  route('PATCH', '/{model_id}/tags', (ctx) => {
    const body = parseMlflow(z.object({ tags: z.array(tag) }), requestParams(ctx));
    const model = getModel(tracking, ctx.params.model_id!);
    for (const t of body.tags) model.tags[t.key] = t.value;
    model.last_updated_timestamp_ms = Date.now();
    mlflow.changed();
    return ok({});
  });

  route('DELETE', '/{model_id}/tags/{tag_key}', (ctx) => {
    const model = getModel(tracking, ctx.params.model_id!);
    delete model.tags[ctx.params.tag_key!];
    mlflow.changed();
    return ok({});
  });

  route('POST', '/{model_id}/params', (ctx) => {
    const body = parseMlflow(z.object({ params: z.array(tag) }), requestParams(ctx));
    const model = getModel(tracking, ctx.params.model_id!);
    for (const p of body.params) model.params[p.key] = p.value;
    mlflow.changed();
    return ok({});
  });
}
