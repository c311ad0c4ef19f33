/**
 * What workflow code tells the worker about a run's life for OpenLineage (src/lineage/openlineage/),
 * through the `lakeloopLineage` Temporal sink. Only identifiers, names, states and workflow times: never
 * an input, an output or a secret. The worker turns each fact into an OpenLineage RunEvent; the
 * workflow does no I/O and no hashing (the step run ids are derived on the worker).
 */
import type { Sinks } from '@temporalio/workflow';

/** The OpenLineage run state transitions Lakeloop emits (spec 2-0-2 RunEvent.eventType). */
export type LineageState = 'START' | 'COMPLETE' | 'FAIL' | 'ABORT';

/** A workflow execution: its workflow id and run id (a UUID, Temporal's run id). */
export interface LineageExecution {
  workflowId: string;
  runId: string;
}

/** What a databricksRun knows of its Databricks run when it ends (ids as exact decimal strings). */
export interface LineageDatabricksRun {
  runId?: string;
  jobId?: string;
  runPageUrl?: string;
  /** The attempt that ended the run (1 + repairs and resubmissions). */
  attempt?: number;
  /** Lakeloop's classification of how it ended (SUCCESS, FAILED, CANCELED…). */
  outcome?: string;
}

/** One state transition of a run Lakeloop owns. */
export interface LineageFact {
  state: LineageState;
  /** Workflow time of the transition, ISO 8601 with a time part. */
  eventTime: string;
  /** The workflow that emits the fact. */
  workflow: LineageExecution & { workflowType: string };
  /**
   * What ran: the workflow itself (a databricksRun or an mlPipeline), or one step of a pipeline that
   * runs inside the pipeline's workflow (evaluate, approval, register), whose run id the worker derives
   * from the pipeline's run id and the step's name.
   */
  subject: { kind: 'workflow' } | { kind: 'step'; step: string };
  /** The workflow that started this one as a child (absent for a step: its parent is `workflow`). */
  parent?: LineageExecution;
  /** The root of the workflow's chain of parents, when it is not the workflow itself. */
  root?: LineageExecution;
  /** When a Temporal Schedule started the workflow: the time it was scheduled for (ISO 8601). */
  nominalStartTime?: string;
  /** FAIL and ABORT: why, as the workflow's failure says it (bounded; already in history). */
  error?: string;
  databricks?: LineageDatabricksRun;
}

/** The sink Lakeloop's workflows call; every Lakeloop worker registers it (a no-op when lineage is off). */
export interface LineageSinks extends Sinks {
  lakeloopLineage: {
    /** One transition of a run; the worker builds and delivers its event. */
    emit(fact: LineageFact): void;
  };
}
