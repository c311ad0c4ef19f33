/**
 * The OpenLineage schema versions Lakeloop's events follow, as the official Python client 1.54.0
 * generates them from the spec (openlineage-python 1.54.0, openlineage/client/generated/*.py: each
 * class's `_get_schema()`). test/lineage/validate_openlineage.py checks every emitted `_schemaURL`
 * against those same methods, so a drift between this file and the client fails the test.
 */
export const RUN_EVENT_SCHEMA_URL = 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent';

/** Standard facets (generated/parent_run.py, error_message_run.py, job_type_job.py, …). */
export const FACET_SCHEMA_URLS = {
  parent: 'https://openlineage.io/spec/facets/1-2-0/ParentRunFacet.json#/$defs/ParentRunFacet',
  errorMessage:
    'https://openlineage.io/spec/facets/1-0-1/ErrorMessageRunFacet.json#/$defs/ErrorMessageRunFacet',
  processing_engine:
    'https://openlineage.io/spec/facets/1-1-1/ProcessingEngineRunFacet.json#/$defs/ProcessingEngineRunFacet',
  nominalTime: 'https://openlineage.io/spec/facets/1-0-1/NominalTimeRunFacet.json#/$defs/NominalTimeRunFacet',
  jobType: 'https://openlineage.io/spec/facets/2-0-4/JobTypeJobFacet.json#/$defs/JobTypeJobFacet',
} as const;

/**
 * Lakeloop's home, for `producer` ("URI identifying the producer of this metadata. For example this
 * could be a git url with a given tag or sha": spec 2-0-2, BaseEvent.producer) and for the `_schemaURL`
 * of Lakeloop's own facet. This URL is the project's own choice: the project has no published home
 * yet, so change it here (one place) when it has.
 */
export const LAKELOOP_PROJECT_URL = 'https://github.com/lakeloop/lakeloop';

/** The repository path of the custom facet's JSON schema (shipped beside this file). */
export const DATABRICKS_RUN_FACET_SCHEMA_PATH =
  'src/lineage/openlineage/schemas/LakeloopDatabricksRunFacet.json';

/**
 * The custom run facet's key. Custom facets are prefixed with their producer's name, as Airflow's
 * `airflow_runArgs` (https://openlineage.io/docs/spec/facets/custom-facets).
 */
export const DATABRICKS_RUN_FACET = 'lakeloop_databricksRun';

export function producerUri(version: string): string {
  return `${LAKELOOP_PROJECT_URL}/tree/v${version}`;
}

export function databricksRunFacetSchemaUrl(version: string): string {
  return `${LAKELOOP_PROJECT_URL}/blob/v${version}/${DATABRICKS_RUN_FACET_SCHEMA_PATH}#/$defs/LakeloopDatabricksRunFacet`;
}
