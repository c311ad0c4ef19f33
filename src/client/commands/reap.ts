/**
 * `lakeloop reap [--dry-run] [--json]`: one orphan-reaper sweep now, on the worker's task queue — the
 * same workflow the worker's Schedule starts — and its report. Exit 1 when a run could not be cancelled.
 */
import { randomUUID } from 'node:crypto';
import { REAPER_WORKFLOW_TYPE, type ReapedRun, type ReaperReport } from '../../shared/reaper.js';
import type { orphanReaper } from '../../workflows/index.js';
import { CommandFailed, parse, withClient } from '../cli-support.js';
import { explainFailure } from './runs.js';

/** After this long without a result, say that a worker must serve the queue (the sweep runs on one). */
const NO_WORKER_HINT_MS = 30_000;

export async function reapCommand(argv: string[]): Promise<void> {
  const { values } = parse(argv, {
    'dry-run': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  });
  await withClient(async (lakeloop) => {
    const handle = await lakeloop.client.workflow.start<typeof orphanReaper>(REAPER_WORKFLOW_TYPE, {
      taskQueue: lakeloop.taskQueue,
      workflowId: `lakeloop-reap-${randomUUID()}`,
      args: [{ dryRun: values['dry-run'] }],
      workflowExecutionTimeout: '30 minutes',
      staticSummary: `lakeloop reap${values['dry-run'] ? ' --dry-run' : ''}`,
    });
    if (!values.json) console.error(`sweeping (${handle.workflowId})…`);
    const hint = setTimeout(() => {
      console.error(
        `no result after ${NO_WORKER_HINT_MS / 1000} s: the sweep runs on a worker — is one serving task queue "${lakeloop.taskQueue}"?`,
      );
    }, NO_WORKER_HINT_MS);
    let report: ReaperReport;
    try {
      report = await handle.result();
    } catch (err) {
      throw new CommandFailed(explainFailure(err).reason);
    } finally {
      clearTimeout(hint);
    }
    console.log(
      values.json ? JSON.stringify({ workflowId: handle.workflowId, report }) : formatReport(report),
    );
    if (report.failed.length > 0) {
      throw new CommandFailed(
        `${report.failed.length} run(s) could not be looked at or cancelled; the next sweep tries again`,
      );
    }
  });
}

function line(label: string, entry: ReapedRun): string {
  return [
    `  ${label.padEnd(16)}`,
    `run ${entry.databricksRunId ?? '—'}`.padEnd(24),
    `${entry.workflowId} (${entry.workflowStatus}, was ${entry.recordedState || '—'})`,
    entry.runState ? ` → ${entry.runState}` : '',
    entry.reason ? ` — ${entry.reason}` : '',
  ].join('');
}

export function formatReport(report: ReaperReport): string {
  const lines = [
    `orphan reaper${report.dryRun ? ' (dry run: nothing cancelled)' : ''} · task queue ${report.taskQueue}` +
      ` · workflows closed ${report.window.since} → ${report.window.until}`,
    `found ${report.found}: cancelled ${report.cancelled.length}` +
      (report.dryRun ? `, would cancel ${report.wouldCancel.length}` : '') +
      `, already ended ${report.alreadyEnded.length}, failed ${report.failed.length}` +
      `, skipped ${report.skipped.length}` +
      (report.deferred > 0 ? `, left for the next sweep ${report.deferred}` : ''),
    ...report.cancelled.map((e) => line(e.action === 'cancelled' ? 'cancelled' : 'cancel requested', e)),
    ...report.wouldCancel.map((e) => line('would cancel', e)),
    ...report.failed.map((e) => line('failed', e)),
    ...report.skipped.map((e) => line('skipped', e)),
    ...report.alreadyEnded.map((e) => line(e.action === 'not-found' ? 'not found' : 'already ended', e)),
  ];
  return lines.join('\n');
}
