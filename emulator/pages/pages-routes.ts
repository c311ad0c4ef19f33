/**
 * The HTML pages behind run links: `/` (where every run_page_url points, see root-page.ts),
 * `/jobs/{job_id}/runs/{run_id}` (the path form the workspace UI serves a run or task run at) and
 * `/jobs/runs/{run_id}` (the form without a job id, redirected to the full one).
 *
 * Authentication: a real workspace serves these pages to a browser session after its login; the
 * emulator has no browser login, so it serves them without a bearer token. They are read-only, the
 * emulator listens on 127.0.0.1 only, and they show what the token-protected API shows to any
 * caller of this workspace — run data, never tokens or secrets. They bypass injected faults and are
 * not counted in the API request statistics: they are not API calls.
 */
import type { ApiResponse } from '../http/responses.js';
import type { Router } from '../http/router.js';
import type { Services } from '../services.js';
import { runPagePath } from '../runs/run-view.js';
import { htmlResponse } from './html.js';
import { runPage, taskRunPage } from './run-page.js';
import type { PageContext } from './run-sections.js';
import { notFoundPage, ROOT_RUNS, rootPage } from './root-page.js';

/**
 * The paths that are pages: these shapes with decimal ids (up to int64's 19 digits). Anything else
 * (`/jobs/runs/get` without `/api/2.x`, say) stays an API path and gets the API's answer: 401 without
 * a token, 404 ENDPOINT_NOT_FOUND with one. The emulator's own ids fit a JavaScript number; an id
 * rewritten at the HTTP edge (the `int64-ids` dialect) must be translated back before parseId.
 */
const PAGE_PATHS = [/^\/$/, /^\/jobs\/\d{1,19}\/runs\/\d{1,19}$/, /^\/jobs\/runs\/\d{1,19}$/];

export function isPagePath(method: string, path: string): boolean {
  return (method === 'GET' || method === 'HEAD') && PAGE_PATHS.some((pattern) => pattern.test(path));
}

/** Path ids: decimal digits that fit a JavaScript number exactly, as the emulator's ids do. */
function parseId(text: string | undefined): number | undefined {
  if (text === undefined || !/^\d{1,16}$/.test(text)) return undefined;
  const id = Number(text);
  return Number.isSafeInteger(id) && id > 0 ? id : undefined;
}

function notFound(message: string): ApiResponse {
  return htmlResponse(404, notFoundPage(message));
}

export function registerPageRoutes(router: Router, services: Services): void {
  const { workspace, options } = services;
  const context = (): PageContext => ({
    view: services.view(),
    jobName: (jobId) => workspace.jobs.get(jobId)?.settings.name,
    ...(options.temporalUiUrl !== undefined
      ? { temporal: { uiUrl: options.temporalUiUrl, runIdType: options.temporalRunIdType } }
      : {}),
  });

  const get = (path: string, handler: Parameters<Router['route']>[2]): void => {
    router.route('GET', path, handler);
    router.route('HEAD', path, handler);
  };

  get('/', () => {
    const latest = workspace.runs.list({ limit: ROOT_RUNS }).runs;
    return htmlResponse(200, rootPage(context(), latest));
  });

  get('/jobs/{job_id}/runs/{run_id}', (ctx) => {
    const jobId = parseId(ctx.params.job_id);
    const runId = parseId(ctx.params.run_id);
    if (jobId === undefined || runId === undefined) return notFound('That is not a run address.');
    const run = workspace.runs.get(runId);
    if (run) {
      if (run.jobId !== jobId) return notFound(`Run ${runId} does not belong to job ${jobId}.`);
      return htmlResponse(200, runPage(context(), run));
    }
    const taskRun = workspace.runs.getTaskRun(runId);
    if (!taskRun) return notFound(`Run ${runId} does not exist.`);
    if (taskRun.run.jobId !== jobId) return notFound(`Run ${runId} does not belong to job ${jobId}.`);
    return htmlResponse(200, taskRunPage(context(), taskRun.run, taskRun.task));
  });

  // The run alone, without its job: databricks/cli experimental/air/cmd/format.go links one-time
  // runs as `/jobs/runs/<run_id>?o=<workspace_id>`. Redirected to the full path, query kept.
  get('/jobs/runs/{run_id}', (ctx) => {
    const runId = parseId(ctx.params.run_id);
    const run =
      runId === undefined ? undefined : (workspace.runs.get(runId) ?? workspace.runs.getTaskRun(runId)?.run);
    if (runId === undefined || !run) return notFound(`Run ${ctx.params.run_id ?? ''} does not exist.`);
    const query = ctx.query.toString();
    return {
      status: 302,
      headers: { location: `${runPagePath(run.jobId, runId)}${query ? `?${query}` : ''}` },
    };
  });
}
