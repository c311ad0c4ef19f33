/**
 * The project's workflow bundle. Lakeloop's workflows are re-exported so this worker serves them too
 * (a child workflow runs on the parent's task queue unless told otherwise); the project's own
 * workflow runs databricksRun as a child with typed input and result, then does its own step.
 */
import { executeChild, ParentClosePolicy, proxyActivities, workflowInfo } from '@temporalio/workflow';
import { databricksRun, type RunInput, type RunResult } from 'lakeloop/workflows';
import type * as activities from './activities.js';

export * from 'lakeloop/workflows';

const { recordReport } = proxyActivities<typeof activities>({ startToCloseTimeout: '1 minute' });

export interface NightlyReportInput {
  report: string;
  /** The Databricks run to start: a job by id or name, or a one-time submit. */
  run: RunInput;
}

export interface NightlyReportResult {
  run: RunResult;
  recordedIn: string;
}

export async function nightlyReport(input: NightlyReportInput): Promise<NightlyReportResult> {
  const run = await executeChild(databricksRun, {
    args: [input.run],
    workflowId: `${workflowInfo().workflowId}/databricks-run`,
    // If this workflow is terminated or times out, the child is asked to cancel, and so cancels its
    // Databricks run. The SDK's default (TERMINATE) would end the child where it stands and leave the
    // run going until an orphan reaper finds it.
    parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
  });
  const recordedIn = await recordReport({
    report: input.report,
    databricksRunId: run.runId,
    outcome: run.outcome,
  });
  return { run, recordedIn };
}
