/**
 * The link from a run page to the Temporal workflow that owns the run. The emulator knows nothing of
 * Temporal, and a workflow id is Lakeloop's business; but Lakeloop's databricksRun workflow sets the
 * `DatabricksRunId` search attribute (src/shared/search-attributes.ts) on the workflow that submitted
 * a run, so the Temporal Web UI's workflow list filtered by that attribute finds it from the run id
 * alone — including a repaired run's later attempts, which keep the run id.
 */

/** How the namespace registers DatabricksRunId: a Keyword holding the decimal id, or an Int. */
export type RunIdAttributeType = 'Keyword' | 'Int';

export interface TemporalLinkSettings {
  /** The Temporal Web UI of one namespace, e.g. http://127.0.0.1:8233/namespaces/default. */
  uiUrl: string;
  runIdType: RunIdAttributeType;
}

/**
 * The visibility query for a run id. The two types need different literals: an Int attribute
 * refuses a quoted "123" and a Keyword refuses a bare 123 ("invalid value type for search attribute"
 * — checked against `temporal server start-dev` 1.9.1).
 */
export function runIdQuery(runId: number | string, type: RunIdAttributeType): string {
  const id = String(runId);
  if (!/^\d+$/.test(id)) throw new Error(`not a run id: ${id}`);
  return type === 'Keyword' ? `DatabricksRunId="${id}"` : `DatabricksRunId=${id}`;
}

/** The Web UI's workflow list filtered to the workflows of this Databricks run. */
export function temporalWorkflowsUrl(settings: TemporalLinkSettings, runId: number | string): string {
  const base = settings.uiUrl.replace(/\/+$/, '');
  return `${base}/workflows?query=${encodeURIComponent(runIdQuery(runId, settings.runIdType))}`;
}

/** Accepts only an absolute http(s) URL without query or fragment (it becomes a link's base). */
export function checkTemporalUiUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`--temporal-ui-url (temporalUiUrl) must be an absolute http(s) URL, got "${value}"`);
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.search || url.hash) {
    throw new Error(
      `--temporal-ui-url (temporalUiUrl) must be an http(s) URL without query or fragment, got "${value}"`,
    );
  }
  return value.replace(/\/+$/, '');
}
