/**
 * Which workflow waits on which Databricks run, as this worker process submitted them. The webhook
 * receiver inside the worker asks here first and only then the DatabricksRunId search attribute: at
 * scale the visibility store can lag behind a burst of starts, while this map is written the moment
 * runs/submit or run-now answers (the 10,000-run bench routed all 10,000 notifications through it).
 *
 * It is a cache, never the source of truth: a miss (another replica submitted the run, the worker
 * restarted) falls back to the visibility query, and a stale hit (the workflow has closed) makes the
 * signal fail, after which the receiver looks again. Bounded: the oldest entries go first.
 */
export interface WorkflowRef {
  workflowId: string;
  runId: string;
}

/** Keyed by the exact decimal run id. */
export class RunDirectory {
  private readonly entries = new Map<string, WorkflowRef>();

  constructor(private readonly capacity = 50_000) {}

  remember(databricksRunId: string, workflow: WorkflowRef): void {
    this.entries.delete(databricksRunId); // re-insert: a repaired run is the newest again
    this.entries.set(databricksRunId, workflow);
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
  }

  lookup(databricksRunId: string): WorkflowRef | undefined {
    return this.entries.get(databricksRunId);
  }

  forget(databricksRunId: string): void {
    this.entries.delete(databricksRunId);
  }

  get size(): number {
    return this.entries.size;
  }
}
