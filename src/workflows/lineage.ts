/**
 * OpenLineage run events from workflow code, through the `lakeloopLineage` sink: a sink call is not a
 * command, so emitting changes no history and needs no patch, and the worker registers the sink with
 * `callDuringReplay: false` (src/lineage/openlineage/sinks.ts), so a replay does not emit again. (The
 * SDK runs sink calls of a workflow task that fails and is retried once per try: at least once, not
 * exactly once; @temporalio/worker lib/sinks.d.ts, InjectedSinkFunction.callDuringReplay.)
 *
 * Times are workflow time (`Date.now()` in the sandbox is the task's time), ids come from
 * workflowInfo(): everything here is deterministic.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  ChildWorkflowFailure,
  isCancellation,
  proxySinks,
  workflowInfo,
} from '@temporalio/workflow';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import type {
  LineageDatabricksRun,
  LineageExecution,
  LineageFact,
  LineageSinks,
  LineageState,
} from '../shared/lineage-facts.js';

const { lakeloopLineage } = proxySinks<LineageSinks>();

/** Set by Temporal on workflows a Schedule starts: the time the action was scheduled for. */
const SCHEDULED_START = defineSearchAttributeKey('TemporalScheduledStartTime', SearchAttributeType.DATETIME);

/** An error message bounded like the failures Temporal records (it is in history already). */
const MAX_ERROR_LENGTH = 2_000;

/** One run's events: START once, then exactly one of COMPLETE, FAIL or ABORT. */
export class LineageRun {
  private ended = false;

  private constructor(private readonly subject: LineageFact['subject']) {
    this.send('START', {});
  }

  /** The workflow's own run (a databricksRun or an mlPipeline); emits START now. */
  static ofWorkflow(): LineageRun {
    return new LineageRun({ kind: 'workflow' });
  }

  /** A step that runs inside this workflow (a pipeline's evaluate, approval, register); emits START now. */
  static ofStep(step: string): LineageRun {
    return new LineageRun({ kind: 'step', step });
  }

  /** Ends the run once; later calls are ignored (a step ended by its own code is not failed again). */
  end(
    state: Exclude<LineageState, 'START'>,
    extra: { error?: string; databricks?: LineageDatabricksRun } = {},
  ) {
    if (this.ended) return;
    this.ended = true;
    this.send(state, extra);
  }

  /** Ends the run with how `err` ended it: ABORT for a cancellation, FAIL with its message otherwise. */
  endWith(err: unknown, databricks?: LineageDatabricksRun): void {
    this.end(isCancellation(err) ? 'ABORT' : 'FAIL', {
      error: failureMessage(err),
      ...(databricks ? { databricks } : {}),
    });
  }

  private send(state: LineageState, extra: { error?: string; databricks?: LineageDatabricksRun }): void {
    const info = workflowInfo();
    const self: LineageExecution = { workflowId: info.workflowId, runId: info.runId };
    const scheduled = info.typedSearchAttributes.get(SCHEDULED_START);
    const isStep = this.subject.kind === 'step';
    const fact: LineageFact = {
      state,
      eventTime: new Date(Date.now()).toISOString(),
      workflow: { ...self, workflowType: info.workflowType },
      subject: this.subject,
      // A step's parent is this workflow (the worker links it); a workflow's is the one that started it.
      ...(!isStep && info.parent
        ? { parent: { workflowId: info.parent.workflowId, runId: info.parent.runId } }
        : {}),
      ...rootOf(info.root, self, isStep),
      ...(scheduled ? { nominalStartTime: scheduled.toISOString() } : {}),
      ...(extra.error !== undefined ? { error: extra.error } : {}),
      ...(extra.databricks ? { databricks: extra.databricks } : {}),
    };
    lakeloopLineage.emit(fact);
  }
}

/**
 * The root of the chain, when it is not the run itself: a step's root is the workflow's root, or the
 * workflow when it has none; a workflow without a parent is its own root (none is sent).
 */
function rootOf(
  root: LineageExecution | undefined,
  self: LineageExecution,
  isStep: boolean,
): { root?: LineageExecution } {
  if (root && root.runId !== self.runId) return { root: { workflowId: root.workflowId, runId: root.runId } };
  return isStep ? { root: self } : {};
}

/**
 * What went wrong, in the words that explain it: the cause of a child's or an activity's failure (whose
 * own message only says "Child Workflow execution failed"), bounded.
 */
export function failureMessage(err: unknown): string {
  let e: unknown = err;
  while ((e instanceof ChildWorkflowFailure || e instanceof ActivityFailure) && e.cause) e = e.cause;
  const message =
    e instanceof ApplicationFailure && e.type
      ? `${e.type}: ${e.message}`
      : e instanceof Error
        ? e.message
        : String(e);
  return message.length > MAX_ERROR_LENGTH ? `${message.slice(0, MAX_ERROR_LENGTH - 1)}…` : message;
}

/**
 * The steps a pipeline runs inside its own workflow, each an OpenLineage run of its own whose parent is
 * the pipeline. (Train and score are databricksRun children: they emit their own events.)
 */
export class LineageSteps {
  private readonly open = new Map<string, LineageRun>();

  started(step: string): void {
    if (!this.open.has(step)) this.open.set(step, LineageRun.ofStep(step));
  }

  /** The step's work is done, whatever its verdict (a candidate below the threshold was evaluated). */
  completed(step: string): void {
    this.open.get(step)?.end('COMPLETE');
    this.open.delete(step);
  }

  /** The pipeline stopped with `err`: every step still open ends with it (FAIL, or ABORT when cancelled). */
  endAllWith(err: unknown): void {
    for (const run of this.open.values()) run.endWith(err);
    this.open.clear();
  }
}
