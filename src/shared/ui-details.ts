/**
 * The static details the Temporal Web UI shows in a workflow's Details pane: what the workflow was
 * started with (the job or one-time run, its parameters, how it waits, its deadline and retries; for a
 * pipeline, its steps, gate and model). Like the summary (ui-summary.ts) it is user metadata fixed at
 * start, so whoever starts a workflow sets it: the CLI, schedules, the demo, and mlPipeline for its
 * train and score children. It goes through the payload codec like the workflow's input, and says
 * nothing the input does not. Markdown (the pane renders it); deterministic: workflow code uses it too.
 */
import { formatDuration } from './duration.js';

/** What the details need of a databricksRun input, raw (durations as text) or validated (ms). */
export interface RunDetailsInput {
  jobId?: number | string;
  jobName?: string;
  submit?: { run_name?: string; tasks?: ReadonlyArray<{ task_key?: string }> };
  jobParameters?: Record<string, string>;
  wait?: { mode?: string };
  timeout?: number | string;
  retry?: { maxAttempts?: number; strategy?: string };
  onCancel?: string;
  label?: string;
}

/** What the details need of a pipeline definition, raw or validated. */
export interface PipelineDetailsInput {
  name: string;
  description?: string;
  train: RunDetailsInput;
  evaluate: {
    metric: string;
    source?: string;
    direction?: string;
    threshold?: number;
    mustBeatChampion?: boolean;
    acceptPartialSuccess?: boolean;
  };
  approval?: { timeout?: number | string; onTimeout?: string };
  register: { model: string; alias?: string };
  score?: RunDetailsInput;
}

const MAX_VALUE = 200;
const MAX_PARAMETERS = 20;

/** Inline code, so names and values show as typed (backticks in them cannot end it early). */
function code(text: string): string {
  const flat = text.replace(/\s+/g, ' ');
  const shown = flat.length <= MAX_VALUE ? flat : `${flat.slice(0, MAX_VALUE - 1)}…`;
  const fence = shown.includes('`') ? '``' : '`';
  return `${fence}${shown.startsWith('`') || shown.endsWith('`') ? ` ${shown} ` : shown}${fence}`;
}

const duration = (value: number | string): string =>
  typeof value === 'number' ? formatDuration(value) : value;

const WAIT_MODES: Record<string, string> = {
  auto: 'auto (by webhook when the run will notify this worker, otherwise by polling)',
  webhook: 'by webhook (a slow safety-net poll covers lost notifications)',
  poll: 'by polling runs/get',
  heartbeat: 'by one heartbeating activity',
};

/** The Databricks side of a run: `job 123`, `job "nightly-train"`, `one-time run "x" (tasks a, b)`. */
function what(input: RunDetailsInput): string {
  if (input.jobId !== undefined) return `job ${code(String(input.jobId))} (run-now)`;
  if (input.jobName !== undefined) return `job named ${code(input.jobName)} (run-now)`;
  const tasks = (input.submit?.tasks ?? []).map((t) => t.task_key).filter((k) => k !== undefined);
  const name = input.submit?.run_name ? ` ${code(input.submit.run_name)}` : '';
  const list = tasks.length
    ? `, ${tasks.length} task${tasks.length === 1 ? '' : 's'}: ${tasks.slice(0, MAX_PARAMETERS).map(code).join(', ')}${tasks.length > MAX_PARAMETERS ? ', …' : ''}`
    : '';
  return `one-time run${name} (runs/submit${list})`;
}

function runLines(input: RunDetailsInput): string[] {
  const parameters = Object.entries(input.jobParameters ?? {});
  const retries = (input.retry?.maxAttempts ?? 1) - 1;
  return [
    `**Databricks** ${what(input)}`,
    parameters.length
      ? `**Parameters** ${parameters
          .slice(0, MAX_PARAMETERS)
          .map(([k, v]) => code(`${k}=${v}`))
          .join(', ')}${parameters.length > MAX_PARAMETERS ? `, … (${parameters.length} in all)` : ''}`
      : '',
    `**Wait** ${WAIT_MODES[input.wait?.mode ?? 'auto'] ?? code(input.wait?.mode ?? 'auto')}`,
    `**Deadline** ${input.timeout !== undefined ? `${duration(input.timeout)}, then the Databricks run is cancelled` : 'none'}`,
    `**Retries** ${retries > 0 ? `${retries}, by ${input.retry?.strategy ?? 'repair'}` : 'none'}`,
    `**On cancel** ${input.onCancel === 'detach' ? 'the Databricks run is left running (detach)' : 'the Databricks run is cancelled'}`,
    input.label ? `**Label** ${code(input.label)}` : '',
  ].filter(Boolean);
}

/** The details of a databricksRun started on its own (`lakeloop run`, the demo). */
export function runDetails(input: RunDetailsInput): string {
  return runLines(input).join('\n\n');
}

/** A pipeline's train or score child: which pipeline and step, then the run's own details. */
export function pipelineStepDetails(pipeline: string, step: string, input: RunDetailsInput): string {
  return [`**Pipeline** ${code(pipeline)}, ${step} step`, ...runLines(input)].join('\n\n');
}

/** The details of an mlPipeline: every step as the definition gives it. */
export function pipelineDetails(pipeline: PipelineDetailsInput): string {
  const { evaluate, register, approval } = pipeline;
  const comparison = evaluate.direction === 'lower' ? '≤' : '≥';
  const gate = [
    evaluate.threshold !== undefined ? `${code(evaluate.metric)} ${comparison} ${evaluate.threshold}` : '',
    evaluate.mustBeatChampion ? `better than the model holding ${code(register.alias ?? 'champion')}` : '',
    evaluate.acceptPartialSuccess ? 'a train run that ended SUCCESS_WITH_FAILURES is gated too' : '',
  ].filter(Boolean);
  return [
    `**Pipeline** ${code(pipeline.name)}`,
    pipeline.description ? pipeline.description.replace(/\s+/g, ' ').slice(0, 500) : '',
    `**Train** ${what(pipeline.train)}`,
    `**Evaluate** ${code(evaluate.metric)} from ${evaluate.source === 'output' ? "the train task's output" : 'the MLflow run'}, ${evaluate.direction ?? 'higher'} is better`,
    `**Gate** ${gate.length ? gate.join('; ') : `any ${code(evaluate.metric)}`}`,
    `**Approval** ${approval ? `required, within ${duration(approval.timeout ?? 86_400_000)} (then ${approval.onTimeout ?? 'reject'})` : 'none'}`,
    `**Register** ${code(register.model)}, alias ${code(register.alias ?? 'champion')}`,
    `**Score** ${pipeline.score ? what(pipeline.score) : 'none'}`,
  ]
    .filter(Boolean)
    .join('\n\n');
}

/** The details of a healthCheck: who asked for it. */
export function healthCheckDetails(requestedBy: string): string {
  return `**Health check** requested by ${code(requestedBy)}: a worker on this task queue answers it`;
}
