/**
 * The project's own activity: it records what the Databricks run produced, here as one JSON line in a
 * report file (REPORT_FILE) — in a real project, a table, a ticket or a message.
 */
import { appendFile } from 'node:fs/promises';
import { activityInfo } from '@temporalio/activity';

export interface ReportLine {
  report: string;
  databricksRunId: string;
  outcome: string;
}

export async function recordReport(line: ReportLine): Promise<string> {
  const file = process.env.REPORT_FILE;
  if (!file) throw new Error('REPORT_FILE is not set');
  await appendFile(
    file,
    `${JSON.stringify({ ...line, workflowId: activityInfo().workflowExecution?.workflowId })}\n`,
  );
  return file;
}
