/**
 * Where a model version came from, written on the version itself as tags when a pipeline registers it,
 * so the answer is visible from Databricks (Catalog Explorer, `mlflow.MlflowClient().get_model_version`)
 * and `lakeloop lineage` can start from a model: the tags name the pipeline workflow, and the workflow
 * holds the rest of the chain. Tag keys follow MLflow's tag-key rules (letters, digits, `_ - . /`); the
 * values are ids and names, never a credential.
 */

/** What the pipeline knows about the candidate it registers. */
export interface ModelProvenance {
  pipeline: string;
  /** The train step's child workflow. */
  trainWorkflowId: string;
  /** The train run's Databricks run id (exact decimal). */
  databricksRunId: string;
  databricksRunPageUrl?: string;
  jobFingerprint?: string;
  /** Who approved the candidate, when the pipeline has an approval step. */
  approvedBy?: string;
}

/** The pipeline workflow that registered the version (from the activity's own info). */
export interface RegisteringWorkflow {
  namespace: string;
  workflowId: string;
  runId: string;
}

/** The tag keys Lakeloop writes on a model version it registers, by the fact each one holds. */
export const PROVENANCE_TAG = {
  namespace: 'lakeloop.temporal_namespace',
  workflowId: 'lakeloop.workflow_id',
  workflowRunId: 'lakeloop.workflow_run_id',
  pipeline: 'lakeloop.pipeline',
  trainWorkflowId: 'lakeloop.train_workflow_id',
  databricksRunId: 'lakeloop.databricks_run_id',
  databricksRunPageUrl: 'lakeloop.databricks_run_page_url',
  jobFingerprint: 'lakeloop.job_fingerprint',
  approvedBy: 'lakeloop.approved_by',
} as const;

/** The tags to set, in a stable order; absent facts are left out rather than written empty. */
export function provenanceTags(
  workflow: RegisteringWorkflow,
  provenance: ModelProvenance,
): [string, string][] {
  const entries: [string, string | undefined][] = [
    [PROVENANCE_TAG.namespace, workflow.namespace],
    [PROVENANCE_TAG.workflowId, workflow.workflowId],
    [PROVENANCE_TAG.workflowRunId, workflow.runId],
    [PROVENANCE_TAG.pipeline, provenance.pipeline],
    [PROVENANCE_TAG.trainWorkflowId, provenance.trainWorkflowId],
    [PROVENANCE_TAG.databricksRunId, provenance.databricksRunId],
    [PROVENANCE_TAG.databricksRunPageUrl, provenance.databricksRunPageUrl],
    [PROVENANCE_TAG.jobFingerprint, provenance.jobFingerprint],
    [PROVENANCE_TAG.approvedBy, provenance.approvedBy],
  ];
  return entries.filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== '');
}

/** The registering workflow named by a version's tags, or undefined when Lakeloop did not tag it. */
export function registeringWorkflow(tags: Record<string, string>): RegisteringWorkflow | undefined {
  const workflowId = tags[PROVENANCE_TAG.workflowId];
  if (!workflowId) return undefined;
  return {
    namespace: tags[PROVENANCE_TAG.namespace] ?? '',
    workflowId,
    runId: tags[PROVENANCE_TAG.workflowRunId] ?? '',
  };
}
