/**
 * The workspace model registry in memory: registered models, their numbered versions (registered
 * READY at once: there is no copy step here) and aliases, with the errors MLflow's SQL store raises.
 */
import { invalidParameter, resourceDoesNotExist } from '../http/api-error.js';
import { resourceAlreadyExists } from './mlflow-request.js';

export interface ModelVersionRecord {
  name: string;
  version: number;
  creation_timestamp: number;
  last_updated_timestamp: number;
  source: string;
  run_id?: string;
  run_link?: string;
  description?: string;
  tags: Record<string, string>;
}

export interface RegisteredModelRecord {
  name: string;
  creation_timestamp: number;
  last_updated_timestamp: number;
  description?: string;
  tags: Record<string, string>;
  versions: ModelVersionRecord[];
  /** alias → version number */
  aliases: Record<string, number>;
}

export interface RegistrySnapshot {
  models: RegisteredModelRecord[];
}

/** MLflow reserves "latest" and version-like names (v1, V2…) for its own model URIs. */
function checkAliasName(alias: string): void {
  if (alias.toLowerCase() === 'latest' || /^v\d+$/i.test(alias)) {
    throw invalidParameter(`'${alias}' alias name (case insensitive) is reserved.`);
  }
}

export class RegistryStore {
  private models = new Map<string, RegisteredModelRecord>();

  clear(): void {
    this.models.clear();
  }

  createModel(
    name: string,
    description: string | undefined,
    tags: Record<string, string>,
  ): RegisteredModelRecord {
    if (this.models.has(name)) throw resourceAlreadyExists(`Registered Model (name=${name}) already exists.`);
    const now = Date.now();
    const model: RegisteredModelRecord = {
      name,
      creation_timestamp: now,
      last_updated_timestamp: now,
      ...(description !== undefined ? { description } : {}),
      tags: { ...tags },
      versions: [],
      aliases: {},
    };
    this.models.set(name, model);
    return model;
  }

  getModel(name: string): RegisteredModelRecord {
    const model = this.models.get(name);
    if (!model) throw resourceDoesNotExist(`Registered Model with name=${name} not found`);
    return model;
  }

  createVersion(
    input: Omit<ModelVersionRecord, 'version' | 'creation_timestamp' | 'last_updated_timestamp'>,
  ): ModelVersionRecord {
    const model = this.getModel(input.name);
    const now = Date.now();
    const version: ModelVersionRecord = {
      ...input,
      tags: { ...input.tags },
      version: (model.versions.at(-1)?.version ?? 0) + 1,
      creation_timestamp: now,
      last_updated_timestamp: now,
    };
    model.versions.push(version);
    model.last_updated_timestamp = now;
    return version;
  }

  getVersion(name: string, version: string): ModelVersionRecord {
    const model = this.models.get(name);
    const found = /^\d+$/.test(version)
      ? model?.versions.find((v) => v.version === Number(version))
      : undefined;
    if (!found) throw resourceDoesNotExist(`Model Version (name=${name}, version=${version}) not found`);
    return found;
  }

  allVersions(): ModelVersionRecord[] {
    return [...this.models.values()].flatMap((model) => model.versions);
  }

  setAlias(name: string, alias: string, version: string): void {
    checkAliasName(alias);
    const found = this.getVersion(name, version);
    const model = this.getModel(name);
    model.aliases[alias] = found.version;
    model.last_updated_timestamp = Date.now();
  }

  deleteAlias(name: string, alias: string): void {
    checkAliasName(alias);
    const model = this.getModel(name);
    delete model.aliases[alias];
  }

  /**
   * As MLflow's SQL store: an unknown model is 404 RESOURCE_DOES_NOT_EXIST, an unknown alias of a
   * known model 400 INVALID_PARAMETER_VALUE (checked against mlflow server 3.17).
   */
  versionByAlias(name: string, alias: string): ModelVersionRecord {
    const version = this.getModel(name).aliases[alias];
    if (version === undefined) throw invalidParameter(`Registered model alias ${alias} not found.`);
    return this.getVersion(name, String(version));
  }

  aliasesOf(version: ModelVersionRecord): string[] {
    const model = this.models.get(version.name);
    return Object.entries(model?.aliases ?? {})
      .filter(([, v]) => v === version.version)
      .map(([alias]) => alias)
      .sort();
  }

  snapshot(): RegistrySnapshot {
    return { models: [...this.models.values()] };
  }

  restore(snapshot: RegistrySnapshot): void {
    this.models = new Map(snapshot.models.map((m) => [m.name, m]));
  }
}

export function modelVersionView(store: RegistryStore, version: ModelVersionRecord): Record<string, unknown> {
  return {
    name: version.name,
    version: String(version.version),
    creation_timestamp: version.creation_timestamp,
    last_updated_timestamp: version.last_updated_timestamp,
    current_stage: 'None',
    ...(version.description !== undefined ? { description: version.description } : {}),
    source: version.source,
    ...(version.run_id !== undefined ? { run_id: version.run_id } : {}),
    ...(version.run_link !== undefined ? { run_link: version.run_link } : {}),
    status: 'READY',
    tags: Object.entries(version.tags).map(([key, value]) => ({ key, value })),
    aliases: store.aliasesOf(version),
  };
}

export function registeredModelView(
  store: RegistryStore,
  model: RegisteredModelRecord,
): Record<string, unknown> {
  const latest = model.versions.at(-1);
  return {
    name: model.name,
    creation_timestamp: model.creation_timestamp,
    last_updated_timestamp: model.last_updated_timestamp,
    ...(model.description !== undefined ? { description: model.description } : {}),
    tags: Object.entries(model.tags).map(([key, value]) => ({ key, value })),
    aliases: Object.entries(model.aliases).map(([alias, version]) => ({ alias, version: String(version) })),
    ...(latest ? { latest_versions: [modelVersionView(store, latest)] } : {}),
  };
}
