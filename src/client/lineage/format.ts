/** The lineage chain as text, one link per line, in the order the model was made and then used. */
import type { Lineage } from './trace.js';

const preview = (record: Record<string, string | number>, limit = 8) => {
  const entries = Object.entries(record);
  const shown = entries.slice(0, limit).map(([k, v]) => `${k}=${v}`);
  return `${shown.join(', ')}${entries.length > limit ? `, … (${entries.length - limit} more)` : ''}`;
};

export function formatLineage(lineage: Lineage): string {
  const lines: string[] = [];
  const add = (label: string, text: string) => lines.push(`${label.padEnd(12)} ${text}`);
  const { model, pipeline, train, mlflowRun, approval } = lineage;
  if (model) {
    add(
      'model',
      `${model.name} version ${model.version}${model.alias ? ` (${model.alias})` : ''} — ${model.status}, ` +
        `${model.registry} registry${model.aliases.length ? `, aliases: ${model.aliases.join(', ')}` : ''}` +
        `${model.stage ? `, stage ${model.stage}` : ''}`,
    );
    if (model.source) add('', `source ${model.source}`);
  }
  add(
    'pipeline',
    `${pipeline.name ?? '?'}: workflow ${pipeline.workflowId} (run ${pipeline.runId}) ${pipeline.status}` +
      `${pipeline.decision ? `, ${pipeline.decision}` : ''}, started ${pipeline.startedAt}`,
  );
  if (train) {
    add(
      'train',
      `workflow ${train.workflowId} ${train.status}${train.outcome ? ` → ${train.outcome}` : ''}; ` +
        `${train.attempts.length} attempt(s), ${train.repairs} repair(s)`,
    );
    if (train.databricksRunId) {
      const state = train.databricks
        ? ` (Databricks: ${[train.databricks.lifeCycleState, train.databricks.resultState].filter(Boolean).join(' ')})`
        : '';
      add(
        'databricks',
        `run ${train.databricksRunId}${state}${train.runPageUrl ? ` ${train.runPageUrl}` : ''}`,
      );
    }
    for (const attempt of train.attempts.length > 1 ? train.attempts : []) {
      add('', `attempt ${attempt.attempt}: ${attempt.kind} run ${attempt.runId} → ${attempt.outcome}`);
    }
    add(
      'job',
      `${train.jobId && !train.oneTime ? `job ${train.jobId}${train.jobName ? ` "${train.jobName}"` : ''}` : 'one-time run (runs/submit)'}` +
        `${train.jobFingerprint ? `, definition ${train.jobFingerprint}` : ''}`,
    );
  }
  if (mlflowRun) {
    add(
      'mlflow run',
      `${mlflowRun.runId}${mlflowRun.runName ? ` "${mlflowRun.runName}"` : ''}` +
        `${mlflowRun.experimentId ? ` in experiment ${mlflowRun.experimentId}` : ''}${mlflowRun.status ? ` ${mlflowRun.status}` : ''}`,
    );
    if (Object.keys(mlflowRun.params).length) add('', `params  ${preview(mlflowRun.params)}`);
    if (Object.keys(mlflowRun.metrics).length) add('', `metrics ${preview(mlflowRun.metrics)}`);
    if (Object.keys(mlflowRun.references).length) add('', `code/data ${preview(mlflowRun.references)}`);
  }
  if (approval) {
    add(
      'approval',
      `${approval.decision === 'approve' ? 'approved' : 'rejected'} by ${approval.by}` +
        `${approval.at ? ` at ${approval.at}` : ''}${approval.timedOut ? ' (the timeout default)' : ''}` +
        `${approval.comment ? ` — ${approval.comment}` : ''}`,
    );
  }
  if (lineage.aliasChanges.length) {
    add(
      'promotions',
      lineage.aliasChanges
        .map((c) => `version ${c.version ?? '?'} by ${c.workflowId} at ${c.at}`)
        .join('\n' + ' '.repeat(13)),
    );
  }
  for (const [index, run] of lineage.scoring.entries()) {
    add(
      index === 0 ? 'scored by' : '',
      `${run.workflowId ?? run.pipelineWorkflowId} ${run.state}` +
        `${run.databricksRunId ? `, run ${run.databricksRunId}` : ''}${run.scoredWithVersion ? ` with version ${run.scoredWithVersion}` : ''}`,
    );
  }
  if (lineage.scoring.length === 0) add('scored by', 'no pipeline has scored with this version yet');
  for (const [index, why] of lineage.unresolved.entries()) add(index === 0 ? 'unresolved' : '', why);
  return lines.join('\n');
}
