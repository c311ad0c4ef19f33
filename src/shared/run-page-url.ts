/**
 * Links to a Databricks run's page. The Jobs API's `run_page_url` is the legacy fragment form
 * `https://<host>/?o=<workspace_id>#job/<job_id>/run/<run_id>`, which the workspace UI resolves with a
 * client-side redirect that only works for workspace admins: others (CAN_VIEW) land on the workspace
 * home page. The path form `https://<host>/jobs/<job_id>/runs/<run_id>?o=<workspace_id>` opens the run
 * for anyone allowed to see it; the Databricks CLI prints that form for the same reason
 * (databricks/cli#5629, libs/workspaceurls/urls.go ModernizeJobRunPageURL; issue cli#5142).
 * Ids are interpolated as given, numbers or decimal strings alike.
 */

const LEGACY_FRAGMENT = /^#job\/([^/]+)\/run\/([^/]+)$/;

/**
 * The path form of a run_page_url. Anything else (already the path form, an unexpected fragment, not
 * a URL) is returned unchanged: a link is cosmetic and must never fail a run.
 */
export function runPageLink(runPageUrl: string): string;
export function runPageLink(runPageUrl: string | undefined): string | undefined;
export function runPageLink(runPageUrl: string | undefined): string | undefined {
  if (runPageUrl === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(runPageUrl);
  } catch {
    return runPageUrl;
  }
  const match = LEGACY_FRAGMENT.exec(url.hash);
  if (!match) return runPageUrl;
  url.hash = '';
  url.pathname = `/jobs/${match[1]}/runs/${match[2]}`;
  return url.toString();
}

/**
 * A run's page built from the workspace URL, for when Databricks has not returned a run_page_url yet
 * (run-now answers with the run id only). Without a workspace id there is no `?o=`: the host alone
 * names one workspace (the CLI builds its run links the same way, libs/workspaceurls JobRunURL).
 */
export function jobRunPageUrl(host: string, jobId: number | string, runId: number | string): string {
  return `${host.replace(/\/+$/, '')}/jobs/${jobId}/runs/${runId}`;
}
