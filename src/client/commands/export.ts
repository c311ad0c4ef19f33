/**
 * `lakeloop export WORKFLOW_ID [--out DIR] [--views CODE|DASHBOARDS|ALL] [--json]`: the rendered
 * notebooks of a finished databricksRun, from Databricks' `runs/export` (GET
 * /api/2.2/jobs/runs/export?run_id=&views_to_export=, answering `{views: [{name, type, content}]}`
 * for a notebook task run; databricks-sdk-go service/jobs `ExportRunOutput`, `ViewItem`). Outputs stay
 * references in workflow history (a rendered notebook is megabytes of HTML); this fetches them on
 * demand, with the CLI's own Databricks credentials (the same DATABRICKS_* variables as the worker),
 * for every task run of the result — each iteration of a for_each task too.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { LakeloopConfig } from '../../config/index.js';
import { DatabricksApiError } from '../../databricks/errors.js';
import { JobsClient, type ExportViews } from '../../databricks/jobs.js';
import { createWorkspaceClient } from '../../databricks/workspace-client.js';
import type { RunResult } from '../../shared/run-types.js';
import type { LakeloopClient } from '../connect.js';
import { CommandFailed, UsageError } from '../cli-support.js';
import { explainFailure } from './runs.js';

export interface ExportedView {
  taskKey: string;
  iteration?: number;
  runId: string;
  file?: string;
  bytes?: number;
  /** Why nothing was written (not a notebook task run, the run was deleted…). */
  skipped?: string;
}

const VIEWS = new Set<ExportViews>(['CODE', 'DASHBOARDS', 'ALL']);

export function parseViews(text: string | undefined): ExportViews {
  const views = (text ?? 'CODE').toUpperCase() as ExportViews;
  if (!VIEWS.has(views)) throw new UsageError(`--views: expected CODE, DASHBOARDS or ALL (got "${text}")`);
  return views;
}

/** The result of a closed databricksRun, whether it succeeded or failed (failures carry it too). */
async function closedResult(lakeloop: LakeloopClient, workflowId: string): Promise<RunResult> {
  const handle = lakeloop.client.workflow.getHandle(workflowId);
  const { status } = await handle.describe();
  if (status.name === 'RUNNING')
    throw new CommandFailed(`${workflowId} is still running: export it once it has ended`);
  try {
    return (await handle.result()) as RunResult;
  } catch (err) {
    const { reason, result } = explainFailure(err);
    if (!result) throw new CommandFailed(`${workflowId} has no Databricks result to export: ${reason}`);
    return result;
  }
}

const fileSafe = (text: string) => text.replace(/[^\w.-]+/g, '_').slice(0, 100);

export async function exportRunViews(
  lakeloop: LakeloopClient,
  config: LakeloopConfig,
  options: { workflowId: string; outDir: string; views: ExportViews },
): Promise<ExportedView[]> {
  if (!config.databricks) {
    throw new CommandFailed(
      'export reads from Databricks: set DATABRICKS_HOST and credentials (as for the worker)',
    );
  }
  const result = await closedResult(lakeloop, options.workflowId);
  const jobs = new JobsClient(
    createWorkspaceClient(config.databricks, { requestsPerSecond: 5, burst: 5, timeoutMs: 60_000 }),
  );
  const taskRuns = result.tasks.flatMap((task) =>
    task.iterations
      ? task.iterations.map((it, iteration) => ({ taskKey: task.taskKey, runId: it.runId, iteration }))
      : [{ taskKey: task.taskKey, runId: task.runId }],
  );
  await mkdir(options.outDir, { recursive: true });
  const exported: ExportedView[] = [];
  for (const taskRun of taskRuns) {
    const base = `${fileSafe(taskRun.taskKey)}${'iteration' in taskRun ? `-${taskRun.iteration}` : ''}`;
    try {
      const { views = [] } = await jobs.exportRun(taskRun.runId, options.views);
      if (views.length === 0) exported.push({ ...taskRun, skipped: 'Databricks exported no view' });
      for (const [index, view] of views.entries()) {
        const file = path.join(options.outDir, `${base}${views.length > 1 ? `-${index}` : ''}.html`);
        const content = view.content ?? '';
        await writeFile(file, content);
        exported.push({ ...taskRun, file, bytes: Buffer.byteLength(content) });
      }
    } catch (err) {
      // Databricks exports notebook task runs only; other task types are refused with a 4xx.
      if (err instanceof DatabricksApiError && !err.retryable) {
        exported.push({ ...taskRun, skipped: err.message });
        continue;
      }
      throw err;
    }
  }
  return exported;
}

export function formatExport(exported: ExportedView[]): string {
  return exported
    .map((e) => {
      const name = `${e.taskKey}${e.iteration !== undefined ? `[${e.iteration}]` : ''}`;
      return e.file
        ? `wrote    ${e.file} (${e.bytes} bytes) ← ${name}, run ${e.runId}`
        : `skipped  ${name}, run ${e.runId}: ${e.skipped}`;
    })
    .join('\n');
}
