/** Pieces shared by the run page and the task-run page. */
import type { Outcome, LifeCycleState, RunRecord, TaskRun } from '../runs/run-model.js';
import { isTerminal } from '../runs/run-model.js';
import { renderTaskOutput, runPagePath, type ViewContext } from '../runs/run-view.js';
import { bounded, formatBytes } from './format.js';
import { html, type SafeHtml } from './html.js';
import { runIdQuery, temporalWorkflowsUrl, type TemporalLinkSettings } from './temporal-link.js';

export interface PageContext {
  /** Base URL, workspace id and emulated now: what the API renders runs with. */
  view: ViewContext;
  /** A job's name, or undefined for a one-time run's hidden job (or a deleted job). */
  jobName(jobId: number): string | undefined;
  temporal?: TemporalLinkSettings;
}

/** How much of one output text a page shows; the API still returns all of it. */
export const PAGE_TEXT_LIMIT_BYTES = 64 * 1024;

const GOOD = new Set(['SUCCESS', 'SUCCESS_WITH_FAILURES']);
const NEUTRAL = new Set(['EXCLUDED', 'DISABLED']);

/** "TERMINATED · FAILED" (a coloured badge), or the life-cycle state of something still going. */
export function stateBadge(phase: LifeCycleState, outcome: Outcome | undefined): SafeHtml {
  if (!isTerminal(phase) || !outcome) return html`<span class="state active">${phase}</span>`;
  const tone = GOOD.has(outcome.result) ? 'good' : NEUTRAL.has(outcome.result) ? '' : 'bad';
  return html`<span class="state ${tone}">${phase} · ${outcome.result}</span>`;
}

/** Links to pages keep the workspace selector, as the workspace UI's own links do. */
export function pageHref(ctx: PageContext, jobId: number, runId: number): string {
  return `${runPagePath(jobId, runId)}?o=${encodeURIComponent(ctx.view.workspaceId)}`;
}

export function factsTable(rows: Array<[label: string, value: SafeHtml | string | number]>): SafeHtml {
  return html`<table class="facts">
    ${rows.map(
      ([label, value]) =>
        html`<tr>
          <th>${label}</th>
          <td>${value}</td>
        </tr>`,
    )}
  </table>`;
}

/** The Temporal workflow(s) whose DatabricksRunId is this run's id, or how to get that link. */
export function temporalSection(ctx: PageContext, runId: number): SafeHtml {
  if (!ctx.temporal) {
    return html`<h2>Temporal</h2>
      <p class="note" id="temporal-missing">
        Start the emulator with
        <code>--temporal-ui-url http://127.0.0.1:8233/namespaces/default</code> (option
        <code>temporalUiUrl</code>) to link to the workflow that owns this run.
      </p>`;
  }
  const href = temporalWorkflowsUrl(ctx.temporal, runId);
  return html`<h2>Temporal</h2>
    <p>
      <a id="temporal-link" href="${href}">Workflow that owns run ${runId}</a>
      <span class="note"
        >— the Temporal Web UI's workflows with
        <code>${runIdQuery(runId, ctx.temporal.runIdType)}</code></span
      >
    </p>`;
}

function textBlock(label: string, text: string, keep: 'start' | 'end', extraNote = ''): SafeHtml {
  const shown = bounded(text, PAGE_TEXT_LIMIT_BYTES, keep);
  const cut =
    shown.omittedFrom !== undefined
      ? ` (${keep === 'end' ? 'last' : 'first'} ${formatBytes(PAGE_TEXT_LIMIT_BYTES)} of ${formatBytes(shown.omittedFrom)})`
      : '';
  const note = cut || extraNote ? html` <span class="note">${cut}${extraNote}</span>` : '';
  return html`<div class="output-block" data-output="${label}">
    <strong>${label}</strong>${note}
    <pre>${shown.text}</pre>
  </div>`;
}

/**
 * A task run's output exactly as runs/get-output reports it (§1.4: the notebook result, error and
 * trace; logs only for tasks that are not notebooks), each shown bounded.
 */
export function outputBlocks(ctx: PageContext, run: RunRecord, task: TaskRun): SafeHtml {
  const output = renderTaskOutput(run, task, ctx.view) as {
    notebook_output?: { result: string; truncated: boolean };
    logs?: string;
    logs_truncated?: boolean;
    error?: string;
    error_trace?: string;
  };
  const blocks: SafeHtml[] = [];
  if (output.error !== undefined) blocks.push(textBlock('Error', output.error, 'start'));
  if (output.notebook_output !== undefined) {
    blocks.push(
      textBlock(
        'Result',
        output.notebook_output.result,
        'start',
        output.notebook_output.truncated ? ' (truncated by the workspace)' : '',
      ),
    );
  }
  if (output.logs !== undefined) {
    blocks.push(
      textBlock('Log tail', output.logs, 'end', output.logs_truncated ? ' (older output was dropped)' : ''),
    );
  }
  if (output.error_trace !== undefined) blocks.push(textBlock('Error trace', output.error_trace, 'start'));
  if (blocks.length > 0) return html`${blocks}`;
  return html`<p class="note">${isTerminal(task.phase) ? 'No output.' : 'No output yet.'}</p>`;
}
