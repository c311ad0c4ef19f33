/**
 * How long earlier one-time runs of the same definition took, from Lakeloop's own closed workflows:
 * each databricksRun of a one-time run records its definition fingerprint (LakeloopDefinition) and,
 * when it succeeded at the first try, its run's duration (LakeloopRunMs). Databricks cannot answer
 * this itself: runs/list filters one-time runs only by run_type (databricks-sdk-go service/jobs
 * ListRunsRequest: job_id, run_type, completed_only, active_only, start_time_from/to — no name or
 * definition filter), and their run names often carry a date.
 */
import type { Client } from '@temporalio/client';
import { LakeloopDefinition, LakeloopRunMs } from '../shared/search-attributes.js';

/** Reads up to `limit` durations (ms) of closed workflows whose run had `definition`, newest first. */
export type DefinitionHistory = (definition: string, limit: number) => Promise<number[]>;

export function definitionHistoryFrom(client: Client): DefinitionHistory {
  return async (definition, limit) => {
    // A fingerprint is "sha256:<hex>"; anything else never reaches a query.
    if (!/^sha256:[0-9a-f]{64}$/.test(definition)) return [];
    const query = `${LakeloopDefinition.name} = '${definition}' AND ${LakeloopRunMs.name} > 0`;
    const durations: number[] = [];
    // Visibility lists closed executions newest first (by close time), which is the order wanted.
    for await (const execution of client.workflow.list({ query, pageSize: limit })) {
      const ms = execution.typedSearchAttributes.get(LakeloopRunMs);
      if (typeof ms === 'number' && ms > 0) durations.push(ms);
      if (durations.length >= limit) break;
    }
    return durations;
  };
}
