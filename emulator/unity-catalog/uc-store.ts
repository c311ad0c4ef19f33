/**
 * Unity Catalog in memory: catalogs, schemas, registered models (three-level names
 * `catalog.schema.model`), their numbered versions and aliases, and the grants on each. Names are
 * case-insensitive and kept lower-case, as Unity Catalog stores them. Privilege checks are the
 * caller's (routes), through PrivilegeChecker; this store only answers "does it exist".
 *
 * A version is created PENDING_REGISTRATION (MLflow's UC client creates it, uploads the files, then
 * finalizes it to READY: mlflow/store/_unity_catalog/registry/rest_store.py,
 * `_create_and_finalize_model_version`); its files live in the emulator's artifact store under
 * `models/<catalog>/<schema>/<model>/<version>/`, which the Files API serves as
 * `/Models/<catalog>/<schema>/<model>/<version>/…`, the path MLflow's presigned-URL repository uses
 * (mlflow/store/artifact/presigned_url_artifact_repo.py).
 */
import { randomUUID } from 'node:crypto';
import { invalidParameter } from '../http/api-error.js';
import type { Securable } from './grants.js';
import { ACCOUNT_USERS } from './grants.js';
import {
  aliasDoesNotExist,
  alreadyExists,
  catalogDoesNotExist,
  modelDoesNotExist,
  notThreeLevels,
  schemaDoesNotExist,
  versionDoesNotExist,
} from './uc-errors.js';

export type VersionStatus = 'PENDING_REGISTRATION' | 'READY' | 'FAILED_REGISTRATION';

export interface CatalogRecord extends Securable {
  type: 'catalog';
  name: string;
  comment?: string;
  createdAt: number;
  createdBy: string;
}

export interface SchemaRecord extends Securable {
  type: 'schema';
  catalogName: string;
  name: string;
  comment?: string;
  createdAt: number;
  createdBy: string;
}

export interface ModelVersionRecord {
  version: number;
  id: string;
  source: string;
  runId?: string;
  runExperimentId?: string;
  comment?: string;
  status: VersionStatus;
  createdAt: number;
  createdBy: string;
  updatedAt: number;
  updatedBy: string;
  tags: Record<string, string>;
}

export interface ModelRecord extends Securable {
  type: 'function';
  catalogName: string;
  schemaName: string;
  name: string;
  id: string;
  comment?: string;
  createdAt: number;
  createdBy: string;
  updatedAt: number;
  updatedBy: string;
  tags: Record<string, string>;
  versions: ModelVersionRecord[];
  /** alias → version number */
  aliases: Record<string, number>;
}

export interface UnityCatalogSnapshot {
  metastoreId: string;
  catalogs: CatalogRecord[];
  schemas: SchemaRecord[];
  models: ModelRecord[];
}

/** One part of a UC name: what Unity Catalog accepts without quoting, lower-cased. */
function part(value: string, what: string): string {
  if (!/^[A-Za-z0-9_][A-Za-z0-9_-]{0,254}$/.test(value)) {
    throw invalidParameter(`Invalid ${what} name '${value}'.`);
  }
  return value.toLowerCase();
}

/** `main.ml.churn` → its parts; anything but three parts is refused as MLflow's UC client expects. */
export function splitModelName(fullName: string): { catalog: string; schema: string; model: string } {
  const parts = fullName.split('.');
  if (parts.length !== 3) throw notThreeLevels(fullName);
  return {
    catalog: part(parts[0]!, 'catalog'),
    schema: part(parts[1]!, 'schema'),
    model: part(parts[2]!, 'model'),
  };
}

/** The artifact-store directory holding a version's files. */
export function versionStoragePath(model: ModelRecord, version: number): string {
  return `models/${model.catalogName}/${model.schemaName}/${model.name}/${version}`;
}

export function modelFullName(model: ModelRecord): string {
  return `${model.catalogName}.${model.schemaName}.${model.name}`;
}

export class UnityCatalogStore {
  metastoreId: string = randomUUID();
  private catalogs = new Map<string, CatalogRecord>();
  private schemas = new Map<string, SchemaRecord>();
  private models = new Map<string, ModelRecord>();

  constructor(private readonly admin: string) {
    this.clear();
  }

  /**
   * A fresh metastore with the catalog `main` and its schema `default`, owned by the workspace admin.
   * `account users` may use `main` and create schemas in it, so any principal can make its own schema
   * (and owns it); `main.default` grants nothing more, so a principal without grants meets
   * PERMISSION_DENIED there. Real workspaces' default grants differ from one to another.
   */
  clear(): void {
    this.catalogs.clear();
    this.schemas.clear();
    this.models.clear();
    const now = Date.now();
    this.catalogs.set('main', {
      type: 'catalog',
      name: 'main',
      fullName: 'main',
      owner: this.admin,
      comment: 'Main catalog (auto-created)',
      createdAt: now,
      createdBy: this.admin,
      grants: { [ACCOUNT_USERS]: ['CREATE_SCHEMA', 'USE_CATALOG'] },
    });
    this.schemas.set('main.default', {
      type: 'schema',
      catalogName: 'main',
      name: 'default',
      fullName: 'main.default',
      owner: this.admin,
      comment: 'Default schema (auto-created)',
      createdAt: now,
      createdBy: this.admin,
      grants: {},
    });
  }

  // ---- catalogs and schemas ----------------------------------------------------------------------

  allCatalogs(): CatalogRecord[] {
    return [...this.catalogs.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  getCatalog(name: string): CatalogRecord {
    const catalog = this.catalogs.get(name.toLowerCase());
    if (!catalog) throw catalogDoesNotExist(name);
    return catalog;
  }

  createCatalog(name: string, owner: string, comment?: string): CatalogRecord {
    const key = part(name, 'catalog');
    if (this.catalogs.has(key)) throw alreadyExists('Catalog', key);
    const catalog: CatalogRecord = {
      type: 'catalog',
      name: key,
      fullName: key,
      owner,
      ...(comment !== undefined ? { comment } : {}),
      createdAt: Date.now(),
      createdBy: owner,
      grants: {},
    };
    this.catalogs.set(key, catalog);
    return catalog;
  }

  schemasOf(catalog: string): SchemaRecord[] {
    return [...this.schemas.values()]
      .filter((s) => s.catalogName === catalog)
      .sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  getSchema(fullName: string): SchemaRecord {
    const [catalog, schema, ...rest] = fullName.toLowerCase().split('.');
    if (!catalog || !schema || rest.length > 0) throw invalidParameter(`Invalid schema name '${fullName}'.`);
    this.getCatalog(catalog);
    const found = this.schemas.get(`${catalog}.${schema}`);
    if (!found) throw schemaDoesNotExist(`${catalog}.${schema}`);
    return found;
  }

  createSchema(catalogName: string, name: string, owner: string, comment?: string): SchemaRecord {
    const catalog = this.getCatalog(catalogName);
    const key = part(name, 'schema');
    const fullName = `${catalog.name}.${key}`;
    if (this.schemas.has(fullName)) throw alreadyExists('Schema', fullName);
    const schema: SchemaRecord = {
      type: 'schema',
      catalogName: catalog.name,
      name: key,
      fullName,
      owner,
      ...(comment !== undefined ? { comment } : {}),
      createdAt: Date.now(),
      createdBy: owner,
      grants: {},
    };
    this.schemas.set(fullName, schema);
    return schema;
  }

  deleteSchema(fullName: string, force: boolean): void {
    const schema = this.getSchema(fullName);
    const models = this.modelsIn(schema.catalogName, schema.name);
    if (models.length > 0 && !force) {
      throw invalidParameter(`Schema '${schema.fullName}' is not empty. Use force to delete it.`);
    }
    for (const model of models) this.models.delete(model.fullName);
    this.schemas.delete(schema.fullName);
  }

  // ---- registered models ------------------------------------------------------------------------

  /** The catalog and schema a model name lives in; missing ones are CATALOG/SCHEMA_DOES_NOT_EXIST. */
  parentsOf(fullName: string): { catalog: CatalogRecord; schema: SchemaRecord; model: string } {
    const names = splitModelName(fullName);
    const catalog = this.getCatalog(names.catalog);
    const schema = this.getSchema(`${names.catalog}.${names.schema}`);
    return { catalog, schema, model: names.model };
  }

  createModel(fullName: string, owner: string, comment?: string): ModelRecord {
    const { schema, model: name } = this.parentsOf(fullName);
    const key = `${schema.fullName}.${name}`;
    if (this.models.has(key)) throw alreadyExists('Registered model', key);
    const now = Date.now();
    const model: ModelRecord = {
      type: 'function',
      catalogName: schema.catalogName,
      schemaName: schema.name,
      name,
      fullName: key,
      id: randomUUID(),
      owner,
      ...(comment !== undefined ? { comment } : {}),
      createdAt: now,
      createdBy: owner,
      updatedAt: now,
      updatedBy: owner,
      tags: {},
      grants: {},
      versions: [],
      aliases: {},
    };
    this.models.set(key, model);
    return model;
  }

  getModel(fullName: string): ModelRecord {
    const { schema, model: name } = this.parentsOf(fullName);
    const model = this.models.get(`${schema.fullName}.${name}`);
    if (!model) throw modelDoesNotExist(`${schema.fullName}.${name}`);
    return model;
  }

  /** Models of one schema, or every model (sorted by full name). */
  modelsIn(catalog?: string, schema?: string): ModelRecord[] {
    return [...this.models.values()]
      .filter(
        (m) =>
          (catalog === undefined || m.catalogName === catalog) &&
          (schema === undefined || m.schemaName === schema),
      )
      .sort((a, b) => (a.fullName < b.fullName ? -1 : 1));
  }

  deleteModel(fullName: string): ModelRecord {
    const model = this.getModel(fullName);
    this.models.delete(model.fullName);
    return model;
  }

  // ---- versions and aliases ---------------------------------------------------------------------

  createVersion(
    model: ModelRecord,
    input: {
      source: string;
      runId?: string;
      runExperimentId?: string;
      comment?: string;
      tags: Record<string, string>;
    },
    by: string,
  ): ModelVersionRecord {
    const now = Date.now();
    const version: ModelVersionRecord = {
      version: (model.versions.at(-1)?.version ?? 0) + 1,
      id: randomUUID(),
      source: input.source,
      ...(input.runId ? { runId: input.runId } : {}),
      ...(input.runExperimentId ? { runExperimentId: input.runExperimentId } : {}),
      ...(input.comment !== undefined ? { comment: input.comment } : {}),
      status: 'PENDING_REGISTRATION',
      createdAt: now,
      createdBy: by,
      updatedAt: now,
      updatedBy: by,
      tags: { ...input.tags },
    };
    model.versions.push(version);
    model.updatedAt = now;
    model.updatedBy = by;
    return version;
  }

  getVersion(model: ModelRecord, version: string | number): ModelVersionRecord {
    const text = String(version);
    const found = /^\d{1,15}$/.test(text)
      ? model.versions.find((v) => v.version === Number(text))
      : undefined;
    if (!found) throw versionDoesNotExist(model.fullName, text);
    return found;
  }

  deleteVersion(model: ModelRecord, version: string | number): void {
    const found = this.getVersion(model, version);
    model.versions = model.versions.filter((v) => v !== found);
    for (const [alias, number] of Object.entries(model.aliases)) {
      if (number === found.version) delete model.aliases[alias];
    }
  }

  setAlias(model: ModelRecord, alias: string, version: string | number, by: string): ModelVersionRecord {
    checkAliasName(alias);
    const found = this.getVersion(model, version);
    model.aliases[alias.toLowerCase()] = found.version;
    model.updatedAt = Date.now();
    model.updatedBy = by;
    return found;
  }

  deleteAlias(model: ModelRecord, alias: string): void {
    const key = alias.toLowerCase();
    if (model.aliases[key] === undefined) throw aliasDoesNotExist(model.fullName, alias);
    delete model.aliases[key];
  }

  versionByAlias(model: ModelRecord, alias: string): ModelVersionRecord {
    const number = model.aliases[alias.toLowerCase()];
    if (number === undefined) throw aliasDoesNotExist(model.fullName, alias);
    return this.getVersion(model, number);
  }

  aliasesOf(model: ModelRecord, version: ModelVersionRecord): string[] {
    return Object.entries(model.aliases)
      .filter(([, number]) => number === version.version)
      .map(([alias]) => alias)
      .sort();
  }

  snapshot(): UnityCatalogSnapshot {
    return {
      metastoreId: this.metastoreId,
      catalogs: [...this.catalogs.values()],
      schemas: [...this.schemas.values()],
      models: [...this.models.values()],
    };
  }

  restore(snapshot: UnityCatalogSnapshot): void {
    this.metastoreId = snapshot.metastoreId;
    this.catalogs = new Map(snapshot.catalogs.map((c) => [c.name, c]));
    this.schemas = new Map(snapshot.schemas.map((s) => [s.fullName, s]));
    this.models = new Map(snapshot.models.map((m) => [m.fullName, m]));
  }
}

/**
 * MLflow reserves `latest` and version-like names (`v1`, `V2`…) for its model URIs
 * (`models:/name@alias` next to `models:/name/1` and `models:/name/latest`), and so does Unity Catalog
 * for the same reason; an alias must also be a valid UC identifier.
 */
function checkAliasName(alias: string): void {
  if (alias.toLowerCase() === 'latest' || /^v\d+$/i.test(alias)) {
    throw invalidParameter(`'${alias}' alias name (case insensitive) is reserved.`);
  }
  if (!/^[A-Za-z0-9_][A-Za-z0-9_-]{0,254}$/.test(alias))
    throw invalidParameter(`Invalid alias name '${alias}'.`);
}
