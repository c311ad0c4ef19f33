/**
 * The page a run link opens: what the workspace UI's run page shows a person, read-only — the run's
 * state and termination, timing, each task with its state, duration and attempt, each task's output
 * (result, error, log tail), the repair history, and a link to the Temporal workflow that owns the run.
 * A task run has a page of its own at the same path shape with its task run id.
 */
import type { RunRecord, TaskRun } from '../runs/run-model.js';
import { isTerminal } from '../runs/run-model.js';
import { runDurationMs, taskRunDurationMs } from '../runs/run-view.js';
import { formatDuration, formatTime } from './format.js';
import { document, html, type HtmlDocument, type SafeHtml } from './html.js';
import {
  factsTable,
  outputBlocks,
  pageHref,
  stateBadge,
  temporalSection,
  type PageContext,
} from './run-sections.js';

/** A page of a run still going reloads itself this often (a meta refresh: no script). */
const REFRESH_SECONDS = 5;

function jobLabel(ctx: PageContext, run: RunRecord): SafeHtml {
  if (run.runType === 'SUBMIT_RUN') return html`one-time run (job ${run.jobId})`;
  const name = ctx.jobName(run.jobId);
  return name !== undefined ? html`${name} (job ${run.jobId})` : html`job ${run.jobId} (deleted)`;
}

function terminationRows(run: RunRecord): Array<[string, SafeHtml | string]> {
  if (!run.outcome || !isTerminal(run.phase)) return [];
  return [
    ['Termination', html`${run.outcome.code} <span class="note">(${run.outcome.type})</span>`],
    ['Message', run.outcome.stateMessage || '—'],
  ];
}

function tasksTable(ctx: PageContext, run: RunRecord): SafeHtml {
  const now = ctx.view.now;
  const rows = run.tasks.map(
    (task) =>
      html`<tr data-task-key="${task.taskKey}">
        <td><a href="${pageHref(ctx, run.jobId, task.runId)}">${task.taskKey}</a></td>
        <td>${task.runId}</td>
        <td>${stateBadge(task.phase, task.outcome)}</td>
        <td>${task.outcome && isTerminal(task.phase) ? task.outcome.code : ''}</td>
        <td>${formatTime(task.startTime)}</td>
        <td>${formatDuration(taskRunDurationMs(task, now))}</td>
        <td>${task.attempt}</td>
        <td>${(task.spec.depends_on ?? []).map((d) => d.task_key).join(', ')}</td>
      </tr>`,
  );
  return html`<table id="tasks">
    <tr>
      <th>Task</th>
      <th>Task run</th>
      <th>State</th>
      <th>Termination</th>
      <th>Started</th>
      <th>Duration</th>
      <th>Attempt</th>
      <th>Depends on</th>
    </tr>
    ${rows}
  </table>`;
}

function outputsSection(ctx: PageContext, run: RunRecord): SafeHtml {
  return html`${run.tasks.map(
    (task) =>
      html`<section class="task" data-task-output="${task.taskKey}">
        <h3>${task.taskKey} <span class="note">task run ${task.runId}, attempt ${task.attempt}</span></h3>
        ${outputBlocks(ctx, run, task)}
      </section>`,
  )}`;
}

/** Every task run the run has had, current and replaced, by id (for the repair history). */
function taskRunsById(run: RunRecord): Map<number, TaskRun> {
  return new Map([...run.previousAttempts, ...run.tasks].map((task) => [task.runId, task]));
}

function repairSection(ctx: PageContext, run: RunRecord): SafeHtml {
  const byId = taskRunsById(run);
  const rows = run.history.map((entry) => {
    const phase = entry.outcome ? entry.outcome.lifeCycle : run.phase;
    const links = entry.taskRunIds.map((id) => {
      const task = byId.get(id);
      return html`<a href="${pageHref(ctx, run.jobId, id)}">${task ? `${task.taskKey} (${id})` : id}</a> `;
    });
    return html`<tr data-repair="${entry.type}">
      <td>${entry.type}</td>
      <td>${entry.id ?? '—'}</td>
      <td>${formatTime(entry.startTime)}</td>
      <td>${formatTime(entry.endTime)}</td>
      <td>${stateBadge(phase, entry.outcome)}</td>
      <td>${links}</td>
    </tr>`;
  });
  return html`<h2>Repair history</h2>
    <table id="repair-history">
      <tr>
        <th>Type</th>
        <th>Repair id</th>
        <th>Started</th>
        <th>Ended</th>
        <th>State</th>
        <th>Task runs</th>
      </tr>
      ${rows}
    </table>`;
}

function parametersSection(run: RunRecord): SafeHtml | '' {
  if (!run.jobParameters || run.jobParameters.length === 0) return '';
  return html`<h2>Job parameters</h2>
    <table id="job-parameters">
      <tr>
        <th>Name</th>
        <th>Value</th>
        <th>Default</th>
      </tr>
      ${run.jobParameters.map(
        (p) =>
          html`<tr>
            <td>${p.name}</td>
            <td>${p.value}</td>
            <td>${p.default ?? ''}</td>
          </tr>`,
      )}
    </table>`;
}

export function runPage(ctx: PageContext, run: RunRecord): HtmlDocument {
  const terminal = isTerminal(run.phase);
  const body = html`<h1>${run.runName}</h1>
    <p class="sub">Run ${run.runId} · ${jobLabel(ctx, run)}</p>
    <p id="run-state">${stateBadge(run.phase, run.outcome)}</p>
    ${factsTable([
      ['Run id', run.runId],
      ['Job', jobLabel(ctx, run)],
      ['Run type', run.runType],
      ['Started by', run.creator],
      ['Start time', formatTime(run.createdAt)],
      ['End time', terminal ? formatTime(run.endTime) : '—'],
      ['Duration', formatDuration(runDurationMs(run, ctx.view.now))],
      ...terminationRows(run),
      ['Workspace', ctx.view.workspaceId],
    ])}
    ${temporalSection(ctx, run.runId)} ${parametersSection(run)}
    <h2>Tasks</h2>
    ${tasksTable(ctx, run)}
    <h2>Output</h2>
    ${outputsSection(ctx, run)} ${repairSection(ctx, run)}
    ${terminal ? '' : html`<p class="note">This page reloads every ${REFRESH_SECONDS} s while the run is active.</p>`}`;
  return document({
    title: `${run.runName} · run ${run.runId}`,
    body,
    ...(terminal ? {} : { refreshSeconds: REFRESH_SECONDS }),
  });
}

export function taskRunPage(ctx: PageContext, run: RunRecord, task: TaskRun): HtmlDocument {
  const terminal = isTerminal(task.phase);
  const current = run.tasks.find((t) => t.taskKey === task.taskKey);
  const attempts = [...run.previousAttempts, ...run.tasks].filter((t) => t.taskKey === task.taskKey);
  const body = html`<h1>${task.taskKey}</h1>
    <p class="sub">
      Task run ${task.runId} of
      <a id="parent-run" href="${pageHref(ctx, run.jobId, run.runId)}">${run.runName} (run ${run.runId})</a> ·
      ${jobLabel(ctx, run)}
    </p>
    <p id="run-state">${stateBadge(task.phase, task.outcome)}</p>
    ${current && current.runId !== task.runId ? html`<p class="note" id="replaced">A repair replaced this attempt: the latest is <a href="${pageHref(ctx, run.jobId, current.runId)}">task run ${current.runId}</a>.</p>` : ''}
    ${factsTable([
      ['Task run id', task.runId],
      ['Task', task.taskKey],
      ['Attempt', task.attempt],
      ['Start time', formatTime(task.startTime)],
      ['End time', formatTime(task.endTime)],
      ['Duration', formatDuration(taskRunDurationMs(task, ctx.view.now))],
      ...(task.outcome && terminal
        ? ([
            ['Termination', html`${task.outcome.code} <span class="note">(${task.outcome.type})</span>`],
            ['Message', task.outcome.stateMessage || '—'],
          ] as Array<[string, SafeHtml | string]>)
        : []),
      ['Depends on', (task.spec.depends_on ?? []).map((d) => d.task_key).join(', ') || '—'],
    ])}
    ${temporalSection(ctx, run.runId)}
    <h2>Output</h2>
    <section class="task" data-task-output="${task.taskKey}">${outputBlocks(ctx, run, task)}</section>
    ${
      attempts.length > 1
        ? html`<h2>Attempts</h2>
            <ul id="attempts">
              ${attempts.map((a) => html`<li><a href="${pageHref(ctx, run.jobId, a.runId)}">attempt ${a.attempt} — task run ${a.runId}</a> ${stateBadge(a.phase, a.outcome)}</li>`)}
            </ul>`
        : ''
    }`;
  return document({
    title: `${task.taskKey} · task run ${task.runId}`,
    body,
    ...(terminal ? {} : { refreshSeconds: REFRESH_SECONDS }),
  });
}
