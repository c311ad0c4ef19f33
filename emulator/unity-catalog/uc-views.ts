/**
 * The two JSON shapes of the same models: the Unity Catalog REST API's (`/api/2.1/unity-catalog/…`,
 * RegisteredModelInfo / ModelVersionInfo / RegisteredModelAlias in databricks-sdk-py
 * service/catalog.py: snake_case, version as an integer, timestamps `created_at`/`updated_at`), and
 * MLflow's UC registry proto (`/api/2.0/mlflow/unity-catalog/…`, RegisteredModel / ModelVersion in
 * mlflow/protos/databricks_uc_registry_messages.proto: version as a string, `creation_timestamp`,
 * `aliases: [{alias, version}]`, `tags: [{key, value}]`).
 *
 * `storage_location` is where a real workspace keeps the version's files in cloud storage; the emulator
 * answers generate-temporary-credentials with storage_mode DEFAULT_STORAGE, under which MLflow reaches
 * the files through presigned URLs of the Files API instead (presigned_url_artifact_repo.py), so the
 * location only needs to be stable and unique.
 */
import type {
  CatalogRecord,
  ModelRecord,
  ModelVersionRecord,
  SchemaRecord,
  UnityCatalogStore,
} from './uc-store.js';
import { modelFullName } from './uc-store.js';

function storageRoot(store: UnityCatalogStore, model: ModelRecord): string {
  return `s3://lakeloop-emulator-metastore/${store.metastoreId}/models/${model.id}`;
}

export function versionStorageLocation(
  store: UnityCatalogStore,
  model: ModelRecord,
  version: ModelVersionRecord,
): string {
  return `${storageRoot(store, model)}/versions/${version.id}`;
}

export function catalogInfo(store: UnityCatalogStore, catalog: CatalogRecord): Record<string, unknown> {
  return {
    name: catalog.name,
    full_name: catalog.name,
    owner: catalog.owner,
    ...(catalog.comment !== undefined ? { comment: catalog.comment } : {}),
    catalog_type: 'MANAGED_CATALOG',
    metastore_id: store.metastoreId,
    created_at: catalog.createdAt,
    created_by: catalog.createdBy,
  };
}

export function schemaInfo(store: UnityCatalogStore, schema: SchemaRecord): Record<string, unknown> {
  return {
    name: schema.name,
    catalog_name: schema.catalogName,
    full_name: schema.fullName,
    owner: schema.owner,
    ...(schema.comment !== undefined ? { comment: schema.comment } : {}),
    metastore_id: store.metastoreId,
    created_at: schema.createdAt,
    created_by: schema.createdBy,
  };
}

function aliasInfos(model: ModelRecord, only?: ModelVersionRecord): Record<string, unknown>[] {
  return Object.entries(model.aliases)
    .filter(([, version]) => only === undefined || version === only.version)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([alias, version]) => ({
      alias_name: alias,
      version_num: version,
      catalog_name: model.catalogName,
      schema_name: model.schemaName,
      model_name: model.name,
    }));
}

export function registeredModelInfo(
  store: UnityCatalogStore,
  model: ModelRecord,
  includeAliases: boolean,
): Record<string, unknown> {
  return {
    name: model.name,
    catalog_name: model.catalogName,
    schema_name: model.schemaName,
    full_name: modelFullName(model),
    owner: model.owner,
    ...(model.comment !== undefined ? { comment: model.comment } : {}),
    metastore_id: store.metastoreId,
    storage_location: storageRoot(store, model),
    created_at: model.createdAt,
    created_by: model.createdBy,
    updated_at: model.updatedAt,
    updated_by: model.updatedBy,
    ...(includeAliases ? { aliases: aliasInfos(model) } : {}),
  };
}

export function modelVersionInfo(
  store: UnityCatalogStore,
  model: ModelRecord,
  version: ModelVersionRecord,
  includeAliases: boolean,
): Record<string, unknown> {
  return {
    model_name: model.name,
    catalog_name: model.catalogName,
    schema_name: model.schemaName,
    version: version.version,
    id: version.id,
    source: version.source,
    ...(version.runId !== undefined ? { run_id: version.runId } : {}),
    ...(version.comment !== undefined ? { comment: version.comment } : {}),
    status: version.status,
    metastore_id: store.metastoreId,
    storage_location: versionStorageLocation(store, model, version),
    created_at: version.createdAt,
    created_by: version.createdBy,
    updated_at: version.updatedAt,
    updated_by: version.updatedBy,
    ...(includeAliases ? { aliases: aliasInfos(model, version) } : {}),
  };
}

const tagList = (tags: Record<string, string>) =>
  Object.entries(tags).map(([key, value]) => ({ key, value }));

export function mlflowRegisteredModel(model: ModelRecord): Record<string, unknown> {
  return {
    name: modelFullName(model),
    creation_timestamp: model.createdAt,
    last_updated_timestamp: model.updatedAt,
    user_id: model.createdBy,
    ...(model.comment !== undefined ? { description: model.comment } : {}),
    aliases: Object.entries(model.aliases)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([alias, version]) => ({ alias, version: String(version) })),
    tags: tagList(model.tags),
  };
}

export function mlflowModelVersion(
  store: UnityCatalogStore,
  model: ModelRecord,
  version: ModelVersionRecord,
): Record<string, unknown> {
  return {
    name: modelFullName(model),
    version: String(version.version),
    creation_timestamp: version.createdAt,
    last_updated_timestamp: version.updatedAt,
    user_id: version.createdBy,
    ...(version.comment !== undefined ? { description: version.comment } : {}),
    source: version.source,
    ...(version.runId !== undefined ? { run_id: version.runId } : {}),
    ...(version.runExperimentId !== undefined ? { run_experiment_id: version.runExperimentId } : {}),
    status: version.status,
    storage_location: versionStorageLocation(store, model, version),
    aliases: store.aliasesOf(model, version).map((alias) => ({ alias, version: String(version.version) })),
    tags: tagList(version.tags),
  };
}
