/**
 * `--dialect`: answering the way other real workspaces, proxies and Databricks-compatible servers do
 * where they differ from Databricks' usual answers (options.ts DIALECT_FLAGS). Everything happens at
 * the HTTP edge, so the handlers, the run engine and the state file keep one shape and small numeric
 * ids whatever the dialect:
 *  - `int64-ids` (dialect-ids.ts): ids are internal + 2^62 for clients. Requests are parsed exactly
 *    (lossless-json), responses serialized exactly. Where ids cross the edge:
 *      jobs/create                      → job_id
 *      jobs/get, jobs/list              job_id → job_id (and settings.tasks[].run_job_task.job_id)
 *      jobs/delete, jobs/reset, jobs/update, runs/cancel-all   job_id →
 *      jobs/run-now                     job_id → run_id, number_in_job
 *      runs/submit                      → run_id
 *      runs/get                         run_id (query, or a GET body) → job_id, run_id, job_run_id,
 *                                       number_in_job, original_attempt_run_id, tasks[].run_id,
 *                                       iterations[].run_id, repair_history[].id and .task_run_ids,
 *                                       run_page_url of the run and of each task
 *      runs/get-output                  run_id → metadata (as runs/get)
 *      runs/list                        job_id → runs[] (as runs/get)
 *      runs/cancel, runs/delete         run_id →
 *      runs/repair                      run_id, latest_repair_id → repair_id
 *      error messages                   "Run N …", "Job N …", "latest_repair_id N", "the latest repair is N"
 *      GET /__emulator/runs/{id}        id → run_id, job_id, tasks[].run_id (tests look runs up by the
 *                                       id a client got)
 *    and outside HTTP responses: webhook payloads (run.run_id, run.parent_run_id, job.job_id, as
 *    strings or, with --webhook-ids number, exact numbers) and a Python task's LAKELOOP_*_ID variables
 *    and `{{job.run_id}}`-style parameters, through `externalId`.
 *  - `strict-nulls` (dialect-nulls.ts): explicit nulls in runs/get, runs/list, runs/get-output,
 *    jobs/get and jobs/list.
 *  - `no-issuer`: OAuth discovery without `issuer` (auth/oidc-routes.ts asks `advertisesIssuer`).
 *  - `no-repair`: runs/repair, in every version, is an unknown endpoint.
 *  - `no-notifications`: /api/2.0/notification-destinations* is an unknown endpoint, and settings that
 *    name a destination are refused (dialect-destinations.ts).
 * An unknown endpoint is answered by the router's own 404 ENDPOINT_NOT_FOUND "No API found for '…'".
 */
import { stringify as stringifyLossless } from 'lossless-json';
import type { DialectFlag } from '../options.js';
import { getParameters, parseJsonObject } from './body.js';
import { refuseDestinations } from './dialect-destinations.js';
import { externalId, IdTranslator, parseRequestObject } from './dialect-ids.js';
import { explicitNullsFor } from './dialect-nulls.js';
import type { ApiResponse } from './responses.js';

/** `/api/2.1/jobs/runs/get` → `/jobs/runs/get`: the Jobs API, in any version. */
const JOBS_PATH = /^\/api\/[^/]+(\/jobs\/.+)$/;
const CONTROL_RUNS_PATH = /^\/__emulator\/runs\//;
/** Run pages (emulator/pages): their addresses carry the ids a client was given. */
const RUN_PAGE_PATH = /^\/jobs\/(?:\d+\/)?runs\/\d+$/;
const REPAIR_PATH = /^\/api\/[^/]+\/jobs\/runs\/repair$/;
const DESTINATIONS_PATH = /^\/api\/[^/]+\/notification-destinations(?:\/|$)/;

/** One request's side of the dialect: how its parameters are read and its answer is written. */
export interface RequestDialect {
  /** Query parameters, merged with a GET's JSON body as Databricks reads them. */
  getParameters(query: URLSearchParams, raw: Buffer): URLSearchParams;
  query(query: URLSearchParams): URLSearchParams;
  body(raw: Buffer): Record<string, unknown>;
  params(params: Record<string, string>): Record<string, string>;
  response(response: ApiResponse): ApiResponse;
}

export class Dialect {
  private readonly flags: ReadonlySet<DialectFlag>;

  constructor(flags: readonly DialectFlag[]) {
    this.flags = new Set(flags);
  }

  has(flag: DialectFlag): boolean {
    return this.flags.has(flag);
  }

  get advertisesIssuer(): boolean {
    return !this.has('no-issuer');
  }

  /** Endpoints this workspace does not serve: the router answers them ENDPOINT_NOT_FOUND. */
  hides(path: string): boolean {
    return (
      (this.has('no-repair') && REPAIR_PATH.test(path)) ||
      (this.has('no-notifications') && DESTINATIONS_PATH.test(path))
    );
  }

  /** The id a client sees for an internal job, run, task-run or repair id. */
  externalId(id: number): number | bigint {
    return this.has('int64-ids') ? externalId(id) : id;
  }

  /** JSON text of a response or webhook payload: exact for the bigint ids of `int64-ids`. */
  stringify(value: unknown): string {
    return this.has('int64-ids') ? (stringifyLossless(value) ?? '') : JSON.stringify(value);
  }

  forRequest(path: string): RequestDialect {
    const endpoint = JOBS_PATH.exec(path)?.[1];
    const translated =
      this.has('int64-ids') &&
      (endpoint !== undefined || CONTROL_RUNS_PATH.test(path) || RUN_PAGE_PATH.test(path));
    const ids = translated ? new IdTranslator() : undefined;
    const nulls = this.has('strict-nulls') && endpoint !== undefined ? explicitNullsFor(endpoint) : undefined;
    const refuse = this.has('no-notifications') && endpoint !== undefined;

    const body = (raw: Buffer): Record<string, unknown> => {
      const parsed = ids ? parseRequestObject(raw, ids) : parseJsonObject(raw);
      if (refuse) refuseDestinations(endpoint!, parsed);
      return parsed;
    };
    const query = (params: URLSearchParams): URLSearchParams => (ids ? ids.query(params) : params);
    return {
      query,
      body,
      getParameters: (params, raw) => getParameters(query(params), raw, body),
      params: (params) =>
        ids && params.id !== undefined && CONTROL_RUNS_PATH.test(path)
          ? { ...params, id: ids.inboundText(params.id) }
          : params,
      response: (response) => {
        if (response.raw || response.body === undefined) return response;
        let out: unknown = response.body;
        if (nulls && response.status === 200 && isRecord(out)) out = nulls(out);
        if (ids) {
          out = ids.responseBody(out);
          if (response.status >= 400 && isRecord(out) && typeof out.message === 'string') {
            out = { ...out, message: ids.message(out.message) };
          }
        }
        return { ...response, body: out };
      },
    };
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
