/**
 * runs/export: "Export and retrieve the job run task" — `GET /api/2.x/jobs/runs/export?run_id=
 * &views_to_export=CODE|DASHBOARDS|ALL` → `{views: [{content, name, type: NOTEBOOK|DASHBOARD}]}`,
 * where content is "the exported content in HTML format (one for every view item)"
 * (docs.databricks.com/api/jobs/v2/export-run.md; databricks-sdk-py `service/jobs.py` export_run,
 * ExportRunOutput, ViewItem, ViewType, ViewsToExport). It exports the run of a notebook task; what
 * a workspace answers for other runs is not documented in what we could read [U] — we refuse with 400
 * INVALID_PARAMETER_VALUE, as get-output refuses a multi-task parent.
 *
 * The HTML has the shape of a Databricks notebook export, which tools read without a browser: the
 * notebook model is JSON, URL-encoded, then base64, in `var __DATABRICKS_NOTEBOOK_MODEL = '…';`, with
 * `commands[]` each holding `command` (source) and `results` ({type, data}; errors as {type: "error",
 * summary, cause}) — the layout public extractors decode (e.g. databricks/databricks-cli PR #354 "the
 * actual notebook model is embedded in it"; the extract.py script the API reference links). Its
 * cells are built from the run's real record: the notebook path, the parameters it ran with (base
 * parameters, run-now `notebook_params`, and job parameters, which "take precedence over task
 * parameters", docs.databricks.com/jobs/job-parameters.html, "Job parameter pushdown"), the
 * `dbutils.notebook.exit` value and the error, if any. The emulator never has the notebook's source,
 * and says so in the first cell. The page also shows the same facts as plain HTML.
 */
import { invalidParameter } from '../http/api-error.js';
import { resolveDynamicValues } from '../tasks/dynamic-values.js';
import type { DynamicValueContext } from '../tasks/dynamic-values.js';
import type { RunRecord, TaskRun } from './run-model.js';
import { isTerminal } from './run-model.js';

export type ViewsToExport = 'CODE' | 'DASHBOARDS' | 'ALL';

/** The refusal for anything but a notebook task run; the wording is ours [U]. */
export function notExportable(runId: number, what: string): Error {
  return invalidParameter(
    `Run ${runId} cannot be exported: only notebook task runs can be exported, and this is ${what}.`,
  );
}

/** What a task run is, for the refusal message. */
export function taskKind(task: TaskRun): string {
  if (task.spec.for_each_task) return 'a for_each task run';
  if (task.spec.spark_python_task) return 'a spark_python_task run';
  if (task.spec.python_wheel_task) return 'a python_wheel_task run';
  return 'not a notebook task run';
}

interface Command {
  source: string;
  results: Record<string, unknown> | null;
  failed?: boolean;
}

/** `views` for a notebook task run. Notebooks run here have no dashboards, so DASHBOARDS is empty. */
export function exportViews(run: RunRecord, task: TaskRun, views: ViewsToExport): Record<string, unknown>[] {
  if (!task.spec.notebook_task) throw notExportable(task.runId, taskKind(task));
  if (views === 'DASHBOARDS') return [];
  const name = notebookName(task.spec.notebook_task.notebook_path);
  return [{ name, type: 'NOTEBOOK', content: exportHtml(run, task, name) }];
}

function notebookName(path: string): string {
  return path.split('/').filter(Boolean).pop() ?? path;
}

/** The notebook parameters the task ran with, dynamic values resolved. */
export function notebookParameters(run: RunRecord, task: TaskRun): Record<string, string> {
  const ctx: DynamicValueContext = {
    jobId: run.jobId,
    jobRunId: run.runId,
    taskRunId: task.runId,
    taskKey: task.taskKey,
    jobName: run.runName,
    jobParameters: Object.fromEntries((run.jobParameters ?? []).map((p) => [p.name, p.value])),
    ...(task.iteration ? { iteration: { input: task.iteration.input } } : {}),
  };
  const legacy = task.iteration
    ? {}
    : ((run.overridingParameters?.notebook_params as Record<string, string> | undefined) ?? {});
  const merged = { ...(task.spec.notebook_task?.base_parameters ?? {}), ...legacy, ...ctx.jobParameters };
  return Object.fromEntries(
    Object.entries(merged).map(([key, value]) => [key, resolveDynamicValues(value, ctx)]),
  );
}

function commandsOf(run: RunRecord, task: TaskRun): Command[] {
  const path = task.spec.notebook_task!.notebook_path;
  const state = task.outcome ? task.outcome.result : task.phase;
  const commands: Command[] = [
    {
      source: [
        `%md # ${notebookName(path)}`,
        `Notebook \`${path}\`, task \`${task.taskKey}\` (task run ${task.runId}) of run ${run.runId}` +
          ` (job ${run.jobId}): **${state}**.`,
        'Exported by the Lakeloop workspace emulator, which has no notebook source: the cells below show',
        'what the run received and produced.',
      ].join('\n'),
      results: null,
    },
  ];
  const params = notebookParameters(run, task);
  const names = Object.keys(params);
  if (names.length > 0) {
    commands.push({
      source: names.map((key) => `${key} = dbutils.widgets.get(${JSON.stringify(key)})`).join('\n'),
      results: { type: 'raw', data: names.map((key) => `${key} = ${params[key]}`).join('\n') },
    });
  }
  const output = task.output ?? {};
  if (output.error !== undefined) {
    const summary = output.error;
    commands.push({
      source: '# the notebook failed here',
      results: { type: 'error', data: output.errorTrace ?? summary, summary, cause: summary },
      failed: true,
    });
  }
  if (output.notebookResult !== undefined) {
    commands.push({
      source: `dbutils.notebook.exit(${JSON.stringify(output.notebookResult)})`,
      results: { type: 'raw', data: output.notebookResult },
    });
  }
  if (!isTerminal(task.phase)) commands.push({ source: '# still running', results: null });
  return commands;
}

function notebookModel(run: RunRecord, task: TaskRun, name: string): Record<string, unknown> {
  const start = task.startTime;
  return {
    version: 'NotebookV1',
    origId: task.runId,
    name,
    language: 'python',
    commands: commandsOf(run, task).map((command, position) => ({
      version: 'CommandV1',
      origId: task.runId * 1000 + position,
      guid: `${task.runId}-${position}`,
      subtype: 'command',
      commandType: 'auto',
      position: position + 1,
      command: command.source,
      commandTitle: '',
      state: command.failed ? 'error' : 'finished',
      results: command.results,
      errorSummary: command.failed ? (command.results?.summary ?? null) : null,
      error: command.failed ? (command.results?.data ?? null) : null,
      startTime: start,
      submitTime: start,
      finishTime: task.endTime,
    })),
    dashboards: [],
    guid: String(task.runId),
    globalVars: {},
    iPythonMetadata: null,
    inputWidgets: notebookParameters(run, task),
  };
}

/** JSON → URL-encoded → base64, which `urllib.parse.unquote(base64.b64decode(…))` reverses. */
export function encodeModel(model: unknown): string {
  return Buffer.from(encodeURIComponent(JSON.stringify(model)), 'utf8').toString('base64');
}

function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}

function exportHtml(run: RunRecord, task: TaskRun, name: string): string {
  const model = notebookModel(run, task, name);
  const cells = (model.commands as { command: string; results: { data?: unknown } | null }[])
    .map((command) => {
      const data = command.results?.data;
      const result = data === undefined ? '' : `<pre class="result">${escapeHtml(String(data))}</pre>`;
      return `<div class="command"><pre class="source">${escapeHtml(command.command)}</pre>${result}</div>`;
    })
    .join('\n');
  return [
    '<!DOCTYPE html>',
    '<html>',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="databricks-html-version" content="1">',
    `<title>${escapeHtml(name)} - Databricks</title>`,
    '</head>',
    '<body>',
    `<h1>${escapeHtml(name)}</h1>`,
    cells,
    `<script>var __DATABRICKS_NOTEBOOK_MODEL = '${encodeModel(model)}';</script>`,
    '</body>',
    '</html>',
  ].join('\n');
}
