/**
 * The one-line summaries the Temporal Web UI shows for Lakeloop workflows. A summary is user metadata
 * fixed when a workflow starts, so whoever starts one sets it: the CLI (`run`, `pipeline start`),
 * schedules, the demo, and mlPipeline for its train and score children. The workflow's current
 * details (set by the workflow as it goes) carry the Databricks run link.
 *
 * Plain text on one line: the UI renders it as markdown in some places and shows it raw in others
 * (the started event), so names are quoted rather than marked up.
 * Deterministic and import-free: workflow code uses it too.
 */

/** What a summary needs of a databricksRun input (raw or validated). */
export interface RunSummaryInput {
  jobId?: number | string;
  jobName?: string;
  submit?: { run_name?: string };
  label?: string;
}

/** What a summary needs of a pipeline definition (raw or validated). */
export interface PipelineSummaryInput {
  name: string;
  approval?: unknown;
  register: { model: string };
  score?: unknown;
}

const oneLine = (text: string, max: number): string => {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
};
const quoted = (text: string): string => `"${oneLine(text, 80)}"`;

/** e.g. `nightly retrain — Databricks job "nightly-train"`, `Databricks one-time run "train-churn"`. */
export function runSummary(input: RunSummaryInput): string {
  const what =
    input.jobId !== undefined
      ? `job ${input.jobId}`
      : input.jobName !== undefined
        ? `job ${quoted(input.jobName)}`
        : input.submit?.run_name
          ? `one-time run ${quoted(input.submit.run_name)}`
          : 'one-time run';
  const label = input.label ? oneLine(input.label, 100) : '';
  return label ? `${label} — Databricks ${what}` : `Databricks ${what}`;
}

/** e.g. `ML pipeline "churn": train → evaluate → gate → register "churn" → score`. */
export function pipelineSummary(pipeline: PipelineSummaryInput): string {
  const steps = [
    'train',
    'evaluate',
    'gate',
    ...(pipeline.approval ? ['approval'] : []),
    `register ${quoted(pipeline.register.model)}`,
    ...(pipeline.score ? ['score'] : []),
  ];
  return `ML pipeline ${quoted(pipeline.name)}: ${steps.join(' → ')}`;
}

/** A pipeline's train or score child: `ML pipeline "churn", train step — Databricks one-time run "churn-train"`. */
export function pipelineStepSummary(pipeline: string, step: string, input: RunSummaryInput): string {
  return `ML pipeline ${quoted(pipeline)}, ${step} step — ${runSummary(input)}`;
}
