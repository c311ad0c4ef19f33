/**
 * The workspace model registry in memory: registered models, their numbered versions (registered
 * READY at once: there is no copy step here) and their stages (None, Staging, Production, Archived),
 * with the errors MLflow's SQL store raises. A Databricks workspace registry has no aliases: its REST
 * API (databricks-sdk-py service/ml.py ModelRegistryAPI) offers none, and MLflow's client refuses
 * alias calls for it without sending them (mlflow/store/model_registry/
 * databricks_workspace_model_registry_rest_store.py). Lifecycle there is stage transitions.
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
  /** None (absent), Staging, Production or Archived. */
  current_stage?: Stage;
}

export const STAGES = ['None', 'Staging', 'Production', 'Archived'] as const;
export type Stage = (typeof STAGES)[number];

export interface RegisteredModelRecord {
  name: string;
  creation_timestamp: number;
  last_updated_timestamp: number;
  description?: string;
  tags: Record<string, string>;
  versions: ModelVersionRecord[];
  /** alias → version number (kept for state files written before; never served). */
  aliases: Record<string, number>;
}

export interface RegistrySnapshot {
  models: RegisteredModelRecord[];
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

  /**
   * Moves a version to `stage`; with archive_existing_versions, the model's other versions in that
   * stage go to Archived (Databricks: only for Staging and Production).
   */
  transitionStage(name: string, version: string, stage: Stage, archiveExisting: boolean): ModelVersionRecord {
    const found = this.getVersion(name, version);
    if (archiveExisting && stage !== 'Staging' && stage !== 'Production') {
      throw invalidParameter(`archive_existing_versions can only be used with stage Staging or Production.`);
    }
    const now = Date.now();
    if (archiveExisting) {
      for (const other of this.getModel(name).versions) {
        if (other !== found && other.current_stage === stage) {
          other.current_stage = 'Archived';
          other.last_updated_timestamp = now;
        }
      }
    }
    found.current_stage = stage;
    found.last_updated_timestamp = now;
    return found;
  }

  /** The newest version in each of `stages` (every stage but None when not given), oldest stage first. */
  latestVersions(name: string, stages: readonly string[] | undefined): ModelVersionRecord[] {
    const model = this.getModel(name);
    const wanted = stages && stages.length > 0 ? stages : STAGES;
    const result: ModelVersionRecord[] = [];
    for (const stage of STAGES) {
      if (!wanted.some((w) => w.toLowerCase() === stage.toLowerCase())) continue;
      const latest = model.versions.filter((v) => (v.current_stage ?? 'None') === stage).at(-1);
      if (latest) result.push(latest);
    }
    return result;
  }

  snapshot(): RegistrySnapshot {
    return { models: [...this.models.values()] };
  }

  restore(snapshot: RegistrySnapshot): void {
    this.models = new Map(snapshot.models.map((m) => [m.name, m]));
  }
}

export function modelVersionView(version: ModelVersionRecord): Record<string, unknown> {
  return {
    name: version.name,
    version: String(version.version),
    creation_timestamp: version.creation_timestamp,
    last_updated_timestamp: version.last_updated_timestamp,
    current_stage: version.current_stage ?? 'None',
    ...(version.description !== undefined ? { description: version.description } : {}),
    source: version.source,
    ...(version.run_id !== undefined ? { run_id: version.run_id } : {}),
    ...(version.run_link !== undefined ? { run_link: version.run_link } : {}),
    status: 'READY',
    tags: Object.entries(version.tags).map(([key, value]) => ({ key, value })),
  };
}

export function registeredModelView(
  store: RegistryStore,
  model: RegisteredModelRecord,
): Record<string, unknown> {
  return {
    name: model.name,
    creation_timestamp: model.creation_timestamp,
    last_updated_timestamp: model.last_updated_timestamp,
    ...(model.description !== undefined ? { description: model.description } : {}),
    tags: Object.entries(model.tags).map(([key, value]) => ({ key, value })),
    latest_versions: store
      .latestVersions(model.name, ['None', 'Staging', 'Production'])
      .map(modelVersionView),
  };
}
