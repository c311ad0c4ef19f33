/**
 * MLflow tracking endpoints: experiments (create, get, get-by-name), runs (create, update, get,
 * log-metric, log-parameter, log-batch, set-tag), metric history and artifact listing, with MLflow's
 * request shapes, errors and batch limits. Paging: get-history pages only when max_results is given
 * (as MLflow's server does); artifacts/list pages at 1,000 entries, Databricks' cap.
 */
import { z } from 'zod';
import { invalidParameter } from '../http/api-error.js';
import { ok } from '../http/responses.js';
import type { Router } from '../http/router.js';
import type { MlflowServices } from './mlflow-services.js';
import { artifactRelativeRoot, MLFLOW_VERSIONS, runArtifactRoot } from './mlflow-services.js';
import { double, int64, page, parseMlflow, requestParams, requiredString } from './mlflow-request.js';
import { experimentView, RUN_STATUSES, runInfoView, runView } from './tracking-store.js';

const API = '/mlflow';
const tag = z.object({ key: requiredString, value: z.string() });
const MAX_METRICS_PER_BATCH = 1000;
const MAX_PARAMS_TAGS_PER_BATCH = 100;
const MAX_ENTITIES_PER_BATCH = 1000;
const MAX_METRIC_HISTORY_PAGE = 25_000;
export const ARTIFACT_LIST_PAGE = 1000;

const metricSchema = z.object({
  key: requiredString,
  value: double,
  timestamp: int64,
  step: int64.optional(),
});

function tagsRecord(tags: { key: string; value: string }[] | undefined): Record<string, string> {
  return Object.fromEntries((tags ?? []).map((t) => [t.key, t.value]));
}

/** log-parameter and set-tag take the same body: a run (by run_id or legacy run_uuid), a key and a value. */
const runKeyValueSchema = z.object({
  run_id: requiredString.optional(),
  run_uuid: requiredString.optional(),
  key: requiredString,
  value: z.string(),
});
export function registerTrackingRoutes(
  router: Router,
  mlflow: MlflowServices,
  principal: () => string,
): void {
  const { tracking } = mlflow;
  const route = (method: string, pattern: string, handler: Parameters<Router['api']>[3]) =>
    router.api(method, `${API}${pattern}`, MLFLOW_VERSIONS, handler);

  route('POST', '/experiments/create', (ctx) => {
    const body = parseMlflow(
      z.object({
        name: requiredString,
        artifact_location: z.string().optional(),
        tags: z.array(tag).optional(),
      }),
      requestParams(ctx),
    );
    if (body.artifact_location !== undefined && artifactRelativeRoot(body.artifact_location) === undefined) {
      // Only proxied artifacts are served here; see emulator/README.md.
      throw invalidParameter(
        'The emulator stores artifacts itself; artifact_location must be mlflow-artifacts:/… ' +
          'or dbfs:/databricks/mlflow-tracking/…',
      );
    }
    const experiment = tracking.createExperiment(body.name, tagsRecord(body.tags), body.artifact_location);
    mlflow.changed();
    return ok({ experiment_id: experiment.experiment_id });
  });

  route('GET', '/experiments/get', (ctx) => {
    const { experiment_id } = parseMlflow(z.object({ experiment_id: requiredString }), requestParams(ctx));
    return ok({ experiment: experimentView(tracking.getExperiment(experiment_id)) });
  });

  route('GET', '/experiments/get-by-name', (ctx) => {
    const { experiment_name } = parseMlflow(
      z.object({ experiment_name: requiredString }),
      requestParams(ctx),
    );
    return ok({ experiment: experimentView(tracking.getExperimentByName(experiment_name)) });
  });

  route('POST', '/runs/create', (ctx) => {
    const body = parseMlflow(
      z.object({
        experiment_id: requiredString.optional(),
        user_id: z.string().optional(),
        run_name: z.string().optional(),
        start_time: int64.optional(),
        tags: z.array(tag).optional(),
      }),
      requestParams(ctx),
    );
    const run = tracking.createRun({
      // MLflow falls back to the Default experiment.
      experimentId: body.experiment_id ?? '0',
      userId: body.user_id ?? principal(),
      ...(body.run_name ? { runName: body.run_name } : {}),
      ...(body.start_time !== undefined ? { startTime: body.start_time } : {}),
      tags: tagsRecord(body.tags),
    });
    mlflow.changed();
    return ok({ run: runView(tracking, run) });
  });

  route('POST', '/runs/update', (ctx) => {
    const body = parseMlflow(
      z.object({
        run_id: requiredString.optional(),
        run_uuid: requiredString.optional(),
        status: z.enum(RUN_STATUSES).optional(),
        end_time: int64.optional(),
        run_name: z.string().optional(),
      }),
      requestParams(ctx),
    );
    const run = tracking.activeRun(requireRunId(body));
    if (body.status !== undefined) run.status = body.status;
    if (body.end_time !== undefined) run.end_time = body.end_time;
    if (body.run_name) {
      run.run_name = body.run_name;
      run.tags['mlflow.runName'] = body.run_name;
    }
    mlflow.changed();
    return ok({ run_info: runInfoView(run) });
  });

  route('GET', '/runs/get', (ctx) => {
    const params = parseMlflow(
      z.object({ run_id: requiredString.optional(), run_uuid: requiredString.optional() }),
      requestParams(ctx),
    );
    return ok({ run: runView(tracking, tracking.getRun(requireRunId(params))) });
  });

  route('POST', '/runs/log-metric', (ctx) => {
    const body = parseMlflow(
      metricSchema.extend({ run_id: requiredString.optional(), run_uuid: requiredString.optional() }),
      requestParams(ctx),
    );
    const run = tracking.activeRun(requireRunId(body));
    tracking.logMetric(run, {
      key: body.key,
      value: body.value,
      timestamp: body.timestamp,
      step: body.step ?? 0,
    });
    mlflow.changed();
    return ok({});
  });

  // MLflow's REST path is runs/log-parameter (the Python client's log_param calls it).
  route('POST', '/runs/log-parameter', (ctx) => {
    const body = parseMlflow(runKeyValueSchema, requestParams(ctx));
    tracking.logParam(tracking.activeRun(requireRunId(body)), body.key, body.value);
    mlflow.changed();
    return ok({});
  });

  route('POST', '/runs/set-tag', (ctx) => {
    const body = parseMlflow(runKeyValueSchema, requestParams(ctx));
    const run = tracking.activeRun(requireRunId(body));
    run.tags[body.key] = body.value;
    if (body.key === 'mlflow.runName') run.run_name = body.value;
    mlflow.changed();
    return ok({});
  });

  route('POST', '/runs/log-batch', (ctx) => {
    const body = parseMlflow(
      z.object({
        run_id: requiredString,
        metrics: z.array(metricSchema).optional(),
        params: z.array(tag).optional(),
        tags: z.array(tag).optional(),
      }),
      requestParams(ctx),
    );
    const metrics = body.metrics ?? [];
    const params = body.params ?? [];
    const tags = body.tags ?? [];
    if (metrics.length > MAX_METRICS_PER_BATCH)
      throw invalidParameter(
        `A batch logging request can contain at most ${MAX_METRICS_PER_BATCH} metrics. Got ${metrics.length} metrics.`,
      );
    if (params.length > MAX_PARAMS_TAGS_PER_BATCH)
      throw invalidParameter(
        `A batch logging request can contain at most ${MAX_PARAMS_TAGS_PER_BATCH} params. Got ${params.length} params.`,
      );
    if (tags.length > MAX_PARAMS_TAGS_PER_BATCH)
      throw invalidParameter(
        `A batch logging request can contain at most ${MAX_PARAMS_TAGS_PER_BATCH} tags. Got ${tags.length} tags.`,
      );
    const total = metrics.length + params.length + tags.length;
    if (total > MAX_ENTITIES_PER_BATCH)
      throw invalidParameter(
        `A batch logging request can contain at most ${MAX_ENTITIES_PER_BATCH} total entities. Got ${total}.`,
      );
    const run = tracking.activeRun(body.run_id);
    // Check every param before writing anything, so a refused batch changes nothing.
    for (const p of params) {
      const existing = run.params[p.key];
      if (existing !== undefined && existing !== p.value) tracking.logParam(run, p.key, p.value);
    }
    for (const p of params) tracking.logParam(run, p.key, p.value);
    for (const m of metrics)
      tracking.logMetric(run, { key: m.key, value: m.value, timestamp: m.timestamp, step: m.step ?? 0 });
    for (const t of tags) run.tags[t.key] = t.value;
    mlflow.changed();
    return ok({});
  });

  route('GET', '/metrics/get-history', (ctx) => {
    const params = parseMlflow(
      z.object({
        run_id: requiredString.optional(),
        run_uuid: requiredString.optional(),
        metric_key: requiredString,
        max_results: int64.optional(),
        page_token: z.string().optional(),
      }),
      requestParams(ctx),
    );
    const run = tracking.getRun(requireRunId(params));
    const history = run.metrics[params.metric_key] ?? [];
    if (params.max_results === undefined && !params.page_token) return ok({ metrics: history });
    const size = params.max_results ?? MAX_METRIC_HISTORY_PAGE;
    if (size < 1 || size > MAX_METRIC_HISTORY_PAGE)
      throw invalidParameter(`max_results must be between 1 and ${MAX_METRIC_HISTORY_PAGE}, got ${size}.`);
    const { items, next_page_token } = page(history, params.page_token, size);
    return ok({ metrics: items, ...(next_page_token ? { next_page_token } : {}) });
  });

  route('GET', '/artifacts/list', async (ctx) => {
    const params = parseMlflow(
      z.object({
        run_id: requiredString.optional(),
        run_uuid: requiredString.optional(),
        path: z.string().optional(),
        page_token: z.string().optional(),
      }),
      requestParams(ctx),
    );
    const run = tracking.getRun(requireRunId(params));
    const base = runArtifactRoot(run);
    const sub = (params.path ?? '').replace(/^\/+|\/+$/g, '');
    const entries = await mlflow.artifacts.list(sub ? `${base}/${sub}` : base, base);
    const { items, next_page_token } = page(entries, params.page_token, ARTIFACT_LIST_PAGE);
    // Like mlflow server, an empty listing has no `files` field at all.
    return ok({
      root_uri: run.artifact_uri,
      ...(items.length > 0 ? { files: items } : {}),
      ...(next_page_token ? { next_page_token } : {}),
    });
  });
}

function requireRunId(params: { run_id?: string; run_uuid?: string }): string {
  const id = params.run_id ?? params.run_uuid;
  if (!id) {
    throw invalidParameter(
      `Missing value for required parameter 'run_id'. See the API docs for more information about request parameters.`,
    );
  }
  return id;
}
