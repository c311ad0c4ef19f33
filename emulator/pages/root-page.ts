/**
 * The workspace root, `/?o=<workspace_id>`, where every run_page_url the Jobs API returns points:
 * `/?o=…#job/<job_id>/run/<run_id>`. A server never sees the fragment, so, as in the workspace UI, a
 * script follows it to the run's page (`/jobs/<job_id>/runs/<run_id>?o=…`, keeping the query). Without
 * a run fragment (or without script) the page lists the latest runs.
 */
import type { RunRecord } from '../runs/run-model.js';
import { formatTime } from './format.js';
import { document, html, type HtmlDocument } from './html.js';
import { pageHref, stateBadge, type PageContext } from './run-sections.js';

/**
 * Only digits reach the new path, so nothing from the fragment can become markup or a scheme. The
 * `#job/run/<run_id>` form (no job id; the databricks/cli test server uses it for one-time runs) goes
 * to `/jobs/runs/<run_id>`, which names the run alone.
 */
export const FOLLOW_FRAGMENT_SCRIPT =
  '(function(){var h=location.hash,q=location.search,m=/^#job\\/(\\d+)\\/run\\/(\\d+)$/.exec(h);' +
  "if(m){location.replace('/jobs/'+m[1]+'/runs/'+m[2]+q);return;}" +
  "m=/^#job\\/run\\/(\\d+)$/.exec(h);if(m){location.replace('/jobs/runs/'+m[1]+q);}})();";

/** How many runs the root lists. */
export const ROOT_RUNS = 25;

export function rootPage(ctx: PageContext, latest: RunRecord[]): HtmlDocument {
  const rows = latest.map(
    (run) =>
      html`<tr>
        <td><a href="${pageHref(ctx, run.jobId, run.runId)}">${run.runName}</a></td>
        <td>${run.runId}</td>
        <td>${run.runType === 'SUBMIT_RUN' ? 'one-time' : (ctx.jobName(run.jobId) ?? run.jobId)}</td>
        <td>${stateBadge(run.phase, run.outcome)}</td>
        <td>${formatTime(run.createdAt)}</td>
      </tr>`,
  );
  const body = html`<h1>Workspace ${ctx.view.workspaceId}</h1>
    <p class="sub">
      Run links of the form <code>/?o=…#job/&lt;job_id&gt;/run/&lt;run_id&gt;</code> open their run page from
      here.
    </p>
    <h2>Latest runs</h2>
    ${
      latest.length === 0
        ? html`<p class="note">No runs yet.</p>`
        : html`<table id="runs">
            <tr>
              <th>Run</th>
              <th>Run id</th>
              <th>Job</th>
              <th>State</th>
              <th>Started</th>
            </tr>
            ${rows}
          </table>`
    }`;
  return document({ title: `Workspace ${ctx.view.workspaceId}`, body, script: FOLLOW_FRAGMENT_SCRIPT });
}

export function notFoundPage(message: string): HtmlDocument {
  return document({
    title: 'Not found',
    body: html`<h1>Not found</h1>
      <p id="not-found">${message}</p>
      <p><a href="/">Latest runs</a></p>`,
  });
}
