/**
 * `lakeloop run | status | result | cancel | list`: start and follow databricksRun workflows.
 * Input is validated with the workflow's own schema before anything starts, so a bad flag or file
 * never reaches Temporal or Databricks.
 */
import { readFileSync } from 'node:fs';
import type { WorkflowHandle } from '@temporalio/client';
import { parseRunInput, type RunInput, type ValidRunInput } from '../../shared/run-input.js';
import type { RunResult } from '../../shared/run-types.js';
import type { databricksRun, RunStatusView } from '../../workflows/index.js';
import type { LakeloopClient } from '../connect.js';
import { attachedRunResult, failureReason } from '../outcome.js';
import { startRunWorkflow } from '../start.js';
import { RUN_PHASES } from '../status-text.js';

export class InputError extends Error {}

export interface RunFlags {
  jobId?: string;
  jobName?: string;
  submit?: string;
  param?: string[];
  waitMode?: string;
  timeout?: string;
  retries?: string;
  retryStrategy?: string;
  detachOnCancel?: boolean;
}

/** Turns CLI flags into a validated databricksRun input, or throws InputError naming the flag/field. */
export function runInputFromFlags(flags: RunFlags): ValidRunInput {
  const input: Record<string, unknown> = {};
  if (flags.jobId !== undefined) {
    if (!/^\d+$/.test(flags.jobId))
      throw new InputError(`--job-id: expected a job id number (got "${flags.jobId}")`);
    // Kept as the digits typed: a job id is int64, and Number() would round one above 2^53.
    input.jobId = flags.jobId;
  }
  if (flags.jobName !== undefined) input.jobName = flags.jobName;
  if (flags.submit !== undefined) {
    let text: string;
    try {
      text = readFileSync(flags.submit, 'utf8');
    } catch (err) {
      throw new InputError(
        `--submit: cannot read ${flags.submit} (${(err as NodeJS.ErrnoException).code ?? err})`,
      );
    }
    try {
      input.submit = JSON.parse(text) as unknown;
    } catch (err) {
      throw new InputError(`--submit: ${flags.submit} is not valid JSON (${(err as Error).message})`);
    }
  }
  if (flags.param?.length) {
    const parameters: Record<string, string> = {};
    for (const pair of flags.param) {
      const eq = pair.indexOf('=');
      if (eq <= 0) throw new InputError(`--param: expected name=value (got "${pair}")`);
      parameters[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
    input.jobParameters = parameters;
  }
  if (flags.waitMode !== undefined) input.wait = { mode: flags.waitMode };
  if (flags.timeout !== undefined) input.timeout = flags.timeout;
  if (flags.retries !== undefined || flags.retryStrategy !== undefined) {
    // Digits only: Number() alone took "", " 2 ", "0x10" and "1e1" as 0, 2, 16 and 10 retries.
    if (flags.retries !== undefined && !/^\d+$/.test(flags.retries))
      throw new InputError(`--retries: expected 0 or more (got "${flags.retries}")`);
    const retries = flags.retries === undefined ? 0 : Number(flags.retries);
    input.retry = {
      maxAttempts: retries + 1,
      ...(flags.retryStrategy ? { strategy: flags.retryStrategy } : {}),
    };
  }
  if (flags.detachOnCancel) input.onCancel = 'detach';
  // Exactly one of the three, said in flags: the schema's own message names its fields.
  const selectors = SELECTOR_FLAGS.filter(([field]) => input[field] !== undefined).map(([, flag]) => flag);
  if (selectors.length !== 1) {
    throw new InputError(
      `expected one of --job-id ID, --job-name NAME or --submit FILE (${selectors.length ? `got ${selectors.join(' and ')}` : 'none given'})`,
    );
  }
  if (input.submit !== undefined && input.jobParameters !== undefined)
    throw new InputError('--param: parameters apply to --job-id and --job-name runs, not to --submit');
  const parsed = parseRunInput(input);
  if (!parsed.ok) throw new InputError(parsed.problems.map(inFlags).join('\n'));
  return parsed.value;
}

const SELECTOR_FLAGS = [
  ['jobId', '--job-id'],
  ['jobName', '--job-name'],
  ['submit', '--submit'],
] as const;

/** The flag behind each input field the schema may name (the longest matching path wins). */
const FLAG_OF_FIELD: Array<[field: string, flag: string]> = [
  ['retry.maxAttempts', '--retries'],
  ['retry.strategy', '--retry-strategy'],
  ['wait.mode', '--wait-mode'],
  ['jobParameters', '--param'],
  ['jobId', '--job-id'],
  ['jobName', '--job-name'],
  ['submit', '--submit FILE'],
  ['timeout', '--timeout'],
  ['onCancel', '--detach-on-cancel'],
];

/** "wait.mode: expected …" → "--wait-mode: expected …"; fields of the --submit file keep their path. */
function inFlags(problem: string): string {
  // --retries counts the runs after the first; the schema's maxAttempts counts them all.
  if (problem.startsWith('retry.maxAttempts: ')) return '--retries: expected 0 to 19';
  for (const [field, flag] of FLAG_OF_FIELD) {
    if (problem.startsWith(`${field}: `)) return `${flag}: ${problem.slice(field.length + 2)}`;
    if (problem.startsWith(`${field}.`)) return `${flag}: ${problem.slice(field.length + 1)}`;
  }
  return problem;
}

export function startRun(
  lakeloop: LakeloopClient,
  input: RunInput,
  workflowId?: string,
): Promise<WorkflowHandle<typeof databricksRun>> {
  return startRunWorkflow(lakeloop.client, input, { taskQueue: lakeloop.taskQueue, workflowId });
}

/** One live line of a run: `run 500000000001 RUNNING — waiting for the Databricks run (by webhook)`. */
export function describeStatus(view: RunStatusView): string {
  const run = view.runId !== undefined ? `run ${view.runId}` : undefined;
  const state = view.outcome ?? view.lifeCycleState;
  const waiting = view.phase === 'waiting' && view.waitMode ? ` (by ${view.waitMode})` : '';
  return [run, state].filter(Boolean).join(' ') + `${run ? ' — ' : ''}${RUN_PHASES[view.phase]}${waiting}`;
}

/** Follows a run until it ends, calling `onChange` with each new status line. */
export async function followRun(
  handle: WorkflowHandle<typeof databricksRun>,
  onChange: (line: string, view: RunStatusView) => void,
  intervalMs = 1_000,
): Promise<RunResult> {
  let last = '';
  let done = false;
  const result = handle.result().finally(() => {
    done = true;
  });
  result.catch(() => undefined);
  while (!done) {
    try {
      const view = await handle.query<RunStatusView>('status');
      const line = describeStatus(view);
      if (line !== last) onChange((last = line), view);
    } catch {
      // The workflow may not have run its first task yet, or just finished; the result tells.
    }
    await Promise.race([result.catch(() => undefined), new Promise((r) => setTimeout(r, intervalMs))]);
  }
  return result;
}

/** The one-line reason of a failed run, and its typed result when the workflow attached one. */
export function explainFailure(err: unknown): { reason: string; result?: RunResult } {
  const result = attachedRunResult(err);
  return { reason: failureReason(err), ...(result ? { result } : {}) };
}

export function formatResult(workflowId: string, result: RunResult): string {
  const lines = [
    `workflow     ${workflowId}`,
    `outcome      ${result.outcome}${result.terminationCode ? ` (${result.terminationCode})` : ''}${result.detached ? ' — detached, still running' : ''}`,
    `run          ${result.runId}${result.runPageUrl ? `  ${result.runPageUrl}` : ''}`,
    `attempts     ${result.attempts.length} (repairs: ${result.repairs})  waited by ${result.waitMode}`,
    `job version  ${result.jobFingerprint}`,
  ];
  // SUCCESS_WITH_FAILURES hides these: say which tasks (and for_each iterations) did not succeed.
  if (result.failedTasks?.length) lines.push(`failed tasks ${result.failedTasks.join(', ')}`);
  for (const fallback of result.fallbacks ?? []) lines.push(`fallback     ${fallback}`);
  if (result.outputsOmitted) lines.push(`outputs      ${result.outputsOmitted}`);
  for (const output of result.outputs) {
    if (output.result !== undefined)
      lines.push(`output       ${output.taskKey}: ${output.result.slice(0, 200)}`);
    if (output.error) lines.push(`error        ${output.taskKey}: ${output.error.slice(0, 200)}`);
  }
  return lines.join('\n');
}
