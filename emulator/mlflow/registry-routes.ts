/**
 * The workspace model registry: registered-models/create|get|get-latest-versions (and Databricks'
 * databricks/registered-models/get), model-versions/create|get|search|set-tag|delete-tag, and stage transitions
 * (model-versions/transition-stage as MLflow's client calls it, databricks/model-versions/
 * transition-stage as databricks-sdk-py's ModelRegistryAPI does). Versions are READY at once. There are
 * no alias endpoints: a Databricks workspace registry has none (see registry-store.ts), so alias calls
 * get the workspace's answer to an unknown endpoint, 404 ENDPOINT_NOT_FOUND.
 * search understands MLflow's filter grammar for what Lakeloop uses: `key = 'value'` conditions on
 * name, run_id and source_path joined with AND.
 */
import { z } from 'zod';
import { invalidParameter } from '../http/api-error.js';
import { ok } from '../http/responses.js';
import type { Router } from '../http/router.js';
import type { MlflowServices } from './mlflow-services.js';
import { MLFLOW_VERSIONS } from './mlflow-services.js';
import { int64, page, parseMlflow, requestParams, requiredString } from './mlflow-request.js';
import { modelVersionView, registeredModelView, STAGES, type ModelVersionRecord } from './registry-store.js';

const API = '/mlflow';
const tag = z.object({ key: requiredString, value: z.string() });
/** MLflow's default and maximum page size for model-versions/search. */
const SEARCH_MAX_RESULTS = 200_000;
const SEARCH_DEFAULT_RESULTS = 10_000;

const FILTER_FIELDS: Record<string, (v: ModelVersionRecord) => string | undefined> = {
  name: (v) => v.name,
  run_id: (v) => v.run_id,
  source_path: (v) => v.source,
};

/** `name = 'm' AND run_id='abc'` → predicate; anything else is INVALID_PARAMETER_VALUE. */
export function parseVersionFilter(filter: string | undefined): (v: ModelVersionRecord) => boolean {
  if (filter === undefined || filter.trim() === '') return () => true;
  const conditions = filter.split(/\s+AND\s+/i).map((part) => {
    const match = /^\s*`?(\w+)`?\s*=\s*(['"])(.*)\2\s*$/.exec(part);
    const field = match ? FILTER_FIELDS[match[1]!] : undefined;
    if (!match || !field) throw invalidParameter(`Invalid filter string '${filter}'`);
    const expected = match[3]!;
    return (v: ModelVersionRecord) => field(v) === expected;
  });
  return (v) => conditions.every((condition) => condition(v));
}

export function registerRegistryRoutes(router: Router, mlflow: MlflowServices): void {
  const { registry } = mlflow;
  const route = (method: string, pattern: string, handler: Parameters<Router['api']>[3]) =>
    router.api(method, `${API}${pattern}`, MLFLOW_VERSIONS, handler);

  route('POST', '/registered-models/create', (ctx) => {
    const body = parseMlflow(
      z.object({ name: requiredString, description: z.string().optional(), tags: z.array(tag).optional() }),
      requestParams(ctx),
    );
    const tags = Object.fromEntries((body.tags ?? []).map((t) => [t.key, t.value]));
    const model = registry.createModel(body.name, body.description, tags);
    mlflow.changed();
    return ok({ registered_model: registeredModelView(registry, model) });
  });

  route('GET', '/registered-models/get', (ctx) => {
    const { name } = parseMlflow(z.object({ name: requiredString }), requestParams(ctx));
    return ok({ registered_model: registeredModelView(registry, registry.getModel(name)) });
  });

  route('POST', '/model-versions/create', (ctx) => {
    const body = parseMlflow(
      z.object({
        name: requiredString,
        source: requiredString,
        run_id: z.string().optional(),
        run_link: z.string().optional(),
        description: z.string().optional(),
        tags: z.array(tag).optional(),
      }),
      requestParams(ctx),
    );
    // MLflow checks that the run exists when one is named.
    if (body.run_id) mlflow.tracking.getRun(body.run_id);
    const version = registry.createVersion({
      name: body.name,
      source: body.source,
      ...(body.run_id ? { run_id: body.run_id } : {}),
      ...(body.run_link ? { run_link: body.run_link } : {}),
      ...(body.description !== undefined ? { description: body.description } : {}),
      tags: Object.fromEntries((body.tags ?? []).map((t) => [t.key, t.value])),
    });
    mlflow.changed();
    return ok({ model_version: modelVersionView(version) });
  });

  route('GET', '/model-versions/get', (ctx) => {
    const { name, version } = parseMlflow(
      z.object({ name: requiredString, version: requiredString }),
      requestParams(ctx),
    );
    return ok({ model_version: modelVersionView(registry.getVersion(name, version)) });
  });

  // SetModelVersionTag / DeleteModelVersionTag (mlflow/protos/model_registry.proto:
  // POST /mlflow/model-versions/set-tag {name, version, key, value}, DELETE …/delete-tag {name, version, key}).
  route('POST', '/model-versions/set-tag', (ctx) => {
    const body = parseMlflow(
      z.object({ name: requiredString, version: requiredString, key: requiredString, value: z.string() }),
      requestParams(ctx),
    );
    registry.getVersion(body.name, body.version).tags[body.key] = body.value;
    mlflow.changed();
    return ok({});
  });

  route('DELETE', '/model-versions/delete-tag', (ctx) => {
    const body = parseMlflow(
      z.object({ name: requiredString, version: requiredString, key: requiredString }),
      requestParams(ctx),
    );
    delete registry.getVersion(body.name, body.version).tags[body.key];
    mlflow.changed();
    return ok({});
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
    const size = params.max_results ?? SEARCH_DEFAULT_RESULTS;
    if (size < 1 || size > SEARCH_MAX_RESULTS)
      throw invalidParameter(
        `Invalid value for max_results. It must be at most ${SEARCH_MAX_RESULTS}, but got value ${size}`,
      );
    const matches = parseVersionFilter(params.filter);
    // MLflow's default order: name ascending, then newest version first.
    const found = registry
      .allVersions()
      .filter(matches)
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : b.version - a.version));
    const { items, next_page_token } = page(found, params.page_token, size);
    return ok({
      model_versions: items.map(modelVersionView),
      ...(next_page_token ? { next_page_token } : {}),
    });
  });

  route('GET', '/databricks/registered-models/get', (ctx) => {
    const { name } = parseMlflow(z.object({ name: requiredString }), requestParams(ctx));
    const view = registeredModelView(registry, registry.getModel(name));
    return ok({ registered_model_databricks: { ...view, id: name, permission_level: 'CAN_MANAGE' } });
  });

  const latestVersions = (ctx: Parameters<Parameters<Router['api']>[3]>[0]) => {
    const params = requestParams(ctx);
    // GET carries stages as repeated query parameters.
    const stages = ctx.method === 'GET' ? ctx.query.getAll('stages') : params.stages;
    const body = parseMlflow(z.object({ name: requiredString, stages: z.array(z.string()).optional() }), {
      ...params,
      ...(stages !== undefined ? { stages } : {}),
    });
    return ok({ model_versions: registry.latestVersions(body.name, body.stages).map(modelVersionView) });
  };
  route('POST', '/registered-models/get-latest-versions', latestVersions);
  route('GET', '/registered-models/get-latest-versions', latestVersions);

  const transitionSchema = z.object({
    name: requiredString,
    version: requiredString,
    stage: z.string().transform((stage, issue) => {
      const found = STAGES.find((s) => s.toLowerCase() === stage.toLowerCase());
      if (!found) {
        issue.addIssue({ code: 'custom', message: `expected one of ${STAGES.join(', ')}` });
        return z.NEVER;
      }
      return found;
    }),
    archive_existing_versions: z.boolean().optional(),
    comment: z.string().optional(),
  });
  const transition = (ctx: Parameters<Parameters<Router['api']>[3]>[0]) => {
    const body = parseMlflow(transitionSchema, requestParams(ctx));
    const version = registry.transitionStage(
      body.name,
      body.version,
      body.stage,
      body.archive_existing_versions ?? false,
    );
    mlflow.changed();
    return modelVersionView(version);
  };
  route('POST', '/model-versions/transition-stage', (ctx) => ok({ model_version: transition(ctx) }));
  route('POST', '/databricks/model-versions/transition-stage', (ctx) =>
    ok({ model_version_databricks: transition(ctx) }),
  );
}
