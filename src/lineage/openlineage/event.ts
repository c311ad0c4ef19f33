/**
 * Builds OpenLineage RunEvents (spec 2-0-2) from the facts workflow code sends (src/shared/lineage-facts.ts).
 * Pure: the same fact and settings give the same event, so it is unit-tested without a worker.
 *
 * Shapes follow the official Python client's generated model of the spec (openlineage-python 1.54.0,
 * openlineage/client/generated/base.py RunEvent/Run/Job, parent_run.py, error_message_run.py,
 * job_type_job.py, processing_engine_run.py, nominal_time_run.py), which
 * test/lineage/validate_openlineage.py structures every emitted event into.
 *
 * Identity: a workflow's run is its Temporal run id (a UUID, as the spec's Run.runId requires); its job
 * is its workflow id. A pipeline step that is not a workflow of its own is the job `<workflow id>/<step>`
 * (the same shape as the train and score children's workflow ids) with the run id uuid5(pipeline run
 * id, step). Job names are workflow ids, not pipeline names, because a child can name its parent only
 * by what Temporal tells it (the parent's workflow id and run id), and ParentRunFacet needs the
 * parent's job name.
 */
import type { LineageExecution, LineageFact } from '../../shared/lineage-facts.js';
import {
  DATABRICKS_RUN_FACET,
  databricksRunFacetSchemaUrl,
  FACET_SCHEMA_URLS,
  producerUri,
  RUN_EVENT_SCHEMA_URL,
} from './spec.js';
import { uuidV5 } from './uuid.js';

/** What every event of a worker shares. */
export interface EventSettings {
  /** The job namespace (LAKELOOP_OPENLINEAGE_NAMESPACE). */
  namespace: string;
  /** Lakeloop's version: the producer URI's tag and ProcessingEngineRunFacet.version. */
  version: string;
}

/** A facet: who produced it, the schema it follows, and its own fields. */
export type OpenLineageFacet = { _producer: string; _schemaURL: string } & Record<string, unknown>;

/** An OpenLineage RunEvent as JSON (no inputs or outputs yet: Lakeloop does not know datasets). */
export interface RunEvent {
  eventType: LineageFact['state'];
  eventTime: string;
  producer: string;
  schemaURL: string;
  run: { runId: string; facets: Record<string, OpenLineageFacet> };
  job: { namespace: string; name: string; facets: Record<string, OpenLineageFacet> };
  inputs: [];
  outputs: [];
}

/** The job name of a step run inside a workflow. */
export function stepJobName(workflowId: string, step: string): string {
  return `${workflowId}/${step}`;
}

/** The run id of a step run inside a workflow: uuid5 of the workflow's run id and the step name. */
export function stepRunId(workflowRunId: string, step: string): string {
  return uuidV5(workflowRunId, step);
}

/** What kind of job it is, for JobTypeJobFacet.jobType (an integration-specific value, per the spec). */
function jobTypeOf(fact: LineageFact): string {
  if (fact.subject.kind === 'step') return 'TASK';
  return fact.workflow.workflowType === 'mlPipeline' ? 'PIPELINE' : 'JOB';
}

/** The OpenLineage RunEvent for one fact a workflow sent. */
export function buildRunEvent(fact: LineageFact, settings: EventSettings): RunEvent {
  const producer = producerUri(settings.version);
  const facet = (schemaURL: string, fields: Record<string, unknown>): OpenLineageFacet => ({
    _producer: producer,
    _schemaURL: schemaURL,
    ...fields,
  });
  const { workflow, subject } = fact;
  const isStep = subject.kind === 'step';
  const runId = isStep ? stepRunId(workflow.runId, subject.step) : workflow.runId;
  const jobName = isStep ? stepJobName(workflow.workflowId, subject.step) : workflow.workflowId;
  const parent: LineageExecution | undefined = isStep ? workflow : fact.parent;

  const runFacets: Record<string, OpenLineageFacet> = {
    // Facet keys as OpenLineage's own integrations name them: its Airflow adapter (openlineage.airflow
    // .adapter, whose tests expect "nominalTime", "processing_engine", "parent" and the job's "jobType"
    // with integration "AIRFLOW", jobType "TASK"); the Python client reads run.facets["parent"]
    // (openlineage-python 1.54.0 transport/kafka.py).
    processing_engine: facet(FACET_SCHEMA_URLS.processing_engine, {
      version: settings.version,
      name: 'lakeloop',
      openlineageAdapterVersion: settings.version,
    }),
  };
  if (parent) {
    runFacets.parent = facet(FACET_SCHEMA_URLS.parent, {
      run: { runId: parent.runId },
      job: { namespace: settings.namespace, name: parent.workflowId },
      ...(fact.root
        ? {
            root: {
              run: { runId: fact.root.runId },
              job: { namespace: settings.namespace, name: fact.root.workflowId },
            },
          }
        : {}),
    });
  }
  if (fact.nominalStartTime) {
    runFacets.nominalTime = facet(FACET_SCHEMA_URLS.nominalTime, { nominalStartTime: fact.nominalStartTime });
  }
  if ((fact.state === 'FAIL' || fact.state === 'ABORT') && fact.error) {
    // ErrorMessageRunFacet requires programmingLanguage: the language of the system reporting it.
    runFacets.errorMessage = facet(FACET_SCHEMA_URLS.errorMessage, {
      message: fact.error,
      programmingLanguage: 'TypeScript',
    });
  }
  if (fact.databricks && Object.keys(fact.databricks).length > 0) {
    runFacets[DATABRICKS_RUN_FACET] = facet(databricksRunFacetSchemaUrl(settings.version), {
      ...fact.databricks,
    });
  }

  return {
    eventType: fact.state,
    eventTime: fact.eventTime,
    producer,
    schemaURL: RUN_EVENT_SCHEMA_URL,
    run: { runId, facets: runFacets },
    job: {
      namespace: settings.namespace,
      name: jobName,
      facets: {
        jobType: facet(FACET_SCHEMA_URLS.jobType, {
          processingType: 'BATCH',
          integration: 'LAKELOOP',
          jobType: jobTypeOf(fact),
        }),
      },
    },
    inputs: [],
    outputs: [],
  };
}
