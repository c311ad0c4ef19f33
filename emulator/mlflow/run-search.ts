/**
 * `POST /api/2.0/mlflow/runs/search`, what `mlflow.search_runs()` and `MlflowClient.search_runs()` send
 * (SearchRuns in mlflow/protos/service.proto: experiment_ids, filter, run_view_type, max_results,
 * order_by, page_token → {runs, next_page_token}). The filter is MLflow's search grammar for the forms
 * clients use most: `metrics.<key> <op> <number>`, `params.<key>`, `tags.<key>` and
 * `attributes.<status|run_name|run_id|user_id|start_time|end_time>` compared with `=`, `!=`, `>`,
 * `>=`, `<`, `<=` (and `LIKE`/`ILIKE` with `%` for strings), joined by AND; keys may be backquoted.
 * Anything else is 400 INVALID_PARAMETER_VALUE, as MLflow's parser answers. Order: `order_by` entries
 * (`metrics.auc DESC`, `attributes.start_time`), then start_time descending and run id, MLflow's
 * default.
 */
import { z } from 'zod';
import { invalidParameter } from '../http/api-error.js';
import { ok } from '../http/responses.js';
import type { Router } from '../http/router.js';
import type { MlflowServices } from './mlflow-services.js';
import { MLFLOW_VERSIONS } from './mlflow-services.js';
import { int64, page, parseMlflow, requestParams } from './mlflow-request.js';
import { runView, type RunRecord, type TrackingStore } from './tracking-store.js';

/** MLflow's limit for max_results of runs/search (SEARCH_MAX_RESULTS_THRESHOLD). */
const MAX_RESULTS = 50_000;
const DEFAULT_RESULTS = 1000;

type Value = string | number | undefined;
type Getter = (store: TrackingStore, run: RunRecord) => Value;

function getter(kind: string, key: string): Getter {
  switch (kind) {
    case 'metric':
    case 'metrics':
      return (store, run) => store.latestMetrics(run).find((m) => m.key === key)?.value;
    case 'param':
    case 'params':
    case 'parameter':
    case 'parameters':
      return (_s, run) => run.params[key];
    case 'tag':
    case 'tags':
      return (_s, run) => run.tags[key];
    case 'attribute':
    case 'attributes':
    case 'attr':
    case 'run': {
      const attributes: Record<string, (run: RunRecord) => Value> = {
        status: (r) => r.status,
        run_name: (r) => r.run_name,
        run_id: (r) => r.run_id,
        user_id: (r) => r.user_id,
        start_time: (r) => r.start_time,
        end_time: (r) => r.end_time,
        artifact_uri: (r) => r.artifact_uri,
        lifecycle_stage: (r) => r.lifecycle_stage,
      };
      const get = attributes[key];
      if (!get) throw invalidParameter(`Invalid attribute key '${key}' specified.`);
      return (_s, run) => get(run);
    }
    default:
      throw invalidParameter(
        `Invalid entity type '${kind}'. Valid values are ['metric', 'parameter', 'tag', 'attribute']`,
      );
  }
}

const CONDITION =
  /^\s*(\w+)\.(?:`([^`]+)`|"([^"]+)"|([\w.\-/ ]+?))\s*(<=|>=|!=|=|<|>|LIKE|ILIKE)\s*(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)"|(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?))\s*$/i;

function likeToRegExp(pattern: string, flags: string): RegExp {
  const escaped = pattern
    .replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
    .replace(/%/g, '.*')
    .replace(/_/g, '.');
  return new RegExp(`^${escaped}$`, flags);
}

export function parseRunFilter(
  filter: string | undefined,
): (store: TrackingStore, run: RunRecord) => boolean {
  if (filter === undefined || filter.trim() === '') return () => true;
  const predicates = filter.split(/\s+AND\s+/i).map((part) => {
    const match = CONDITION.exec(part);
    if (!match) throw invalidParameter(`Invalid filter '${filter}'. Could not be parsed.`);
    const [, kind, k1, k2, k3, rawOp, s1, s2, num] = match;
    const get = getter(kind!.toLowerCase(), (k1 ?? k2 ?? k3)!);
    const op = rawOp!.toUpperCase();
    const expected: string | number =
      num !== undefined ? Number(num) : (s1 ?? s2 ?? '').replace(/\\(.)/g, '$1');
    return (store: TrackingStore, run: RunRecord) => {
      const actual = get(store, run);
      if (actual === undefined) return false;
      if (op === 'LIKE' || op === 'ILIKE') {
        return (
          typeof actual === 'string' && likeToRegExp(String(expected), op === 'ILIKE' ? 'i' : '').test(actual)
        );
      }
      const a = typeof expected === 'number' ? Number(actual) : String(actual);
      switch (op) {
        case '=':
          return a === expected;
        case '!=':
          return a !== expected;
        case '>':
          return a > expected;
        case '>=':
          return a >= expected;
        case '<':
          return a < expected;
        default:
          return a <= expected;
      }
    };
  });
  return (store, run) => predicates.every((p) => p(store, run));
}

function comparator(
  orderBy: readonly string[],
): (store: TrackingStore, a: RunRecord, b: RunRecord) => number {
  const keys = orderBy.map((clause) => {
    const match = /^\s*(\w+)\.(?:`([^`]+)`|([\w.\-/]+))\s*(ASC|DESC)?\s*$/i.exec(clause);
    if (!match) throw invalidParameter(`Invalid order_by clause '${clause}'. Could not be parsed.`);
    return {
      get: getter(match[1]!.toLowerCase(), (match[2] ?? match[3])!),
      desc: match[4]?.toUpperCase() === 'DESC',
    };
  });
  return (store, a, b) => {
    for (const { get, desc } of keys) {
      const x = get(store, a);
      const y = get(store, b);
      // Runs without the key sort last, whichever the direction.
      if (x === undefined || y === undefined) {
        if (x !== y) return x === undefined ? 1 : -1;
        continue;
      }
      if (x !== y) return (x < y ? -1 : 1) * (desc ? -1 : 1);
    }
    if (a.start_time !== b.start_time) return b.start_time - a.start_time;
    return a.run_id < b.run_id ? -1 : 1;
  };
}

export function registerRunSearchRoute(router: Router, mlflow: MlflowServices): void {
  router.api('POST', '/mlflow/runs/search', MLFLOW_VERSIONS, (ctx) => {
    const params = parseMlflow(
      z.object({
        experiment_ids: z.array(z.string()).optional(),
        filter: z.string().optional(),
        run_view_type: z.enum(['ACTIVE_ONLY', 'DELETED_ONLY', 'ALL']).optional(),
        max_results: int64.optional(),
        order_by: z.array(z.string()).optional(),
        page_token: z.string().optional(),
      }),
      requestParams(ctx),
    );
    const size = params.max_results ?? DEFAULT_RESULTS;
    if (size < 1 || size > MAX_RESULTS) {
      throw invalidParameter(
        `Invalid value ${size} for parameter 'max_results' supplied. It must be at most ${MAX_RESULTS}.`,
      );
    }
    const experiments = new Set(params.experiment_ids ?? []);
    for (const id of experiments) mlflow.tracking.getExperiment(id);
    const view = params.run_view_type ?? 'ACTIVE_ONLY';
    const matches = parseRunFilter(params.filter);
    const compare = comparator(params.order_by ?? []);
    const { tracking } = mlflow;
    const found = tracking
      .allRuns()
      .filter((run) => experiments.has(run.experiment_id))
      .filter((run) => view === 'ALL' || (view === 'ACTIVE_ONLY') === (run.lifecycle_stage === 'active'))
      .filter((run) => matches(tracking, run))
      .sort((a, b) => compare(tracking, a, b));
    const { items, next_page_token } = page(found, params.page_token, size);
    return ok({
      ...(items.length > 0 ? { runs: items.map((run) => runView(tracking, run)) } : {}),
      ...(next_page_token ? { next_page_token } : {}),
    });
  });
}
