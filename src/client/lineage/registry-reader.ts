/**
 * Reads one model version, with its tags, from whichever registry the pipelines use
 * (LAKELOOP_MODEL_REGISTRY, as for the worker): Unity Catalog (version and alias through the Unity
 * Catalog API, tags through MLflow's `databricks-uc` endpoints), the workspace registry (no aliases:
 * the alias is the newest version in the promotion stage, as the pipeline promotes it), or open-source
 * MLflow (aliases).
 */
import { isMissing, MlflowClient } from '../../mlflow/client.js';
import { PROMOTION_STAGE, type ModelRegistryKind } from '../../mlflow/model-registry.js';
import { UnityCatalogModels } from '../../mlflow/uc-models.js';
import type { DatabricksHttpClient } from '../../databricks/http.js';

export interface ModelVersionRecord {
  name: string;
  version: string;
  registry: ModelRegistryKind;
  status: string;
  source: string;
  /** The MLflow run the version was registered from. */
  mlflowRunId?: string;
  aliases: string[];
  /** Workspace registry only. */
  stage?: string;
  tags: Record<string, string>;
}

/** `name@alias` or `name/version`, as the command line names a model. */
export type ModelReference = { name: string; alias: string } | { name: string; version: string };

export class RegistryReader {
  private readonly mlflow: MlflowClient;
  private readonly uc: UnityCatalogModels;

  constructor(
    http: DatabricksHttpClient,
    readonly registry: ModelRegistryKind,
  ) {
    this.mlflow = new MlflowClient(http);
    this.uc = new UnityCatalogModels(http);
  }

  /** The version, or undefined when the model, version or alias does not exist. */
  async read(reference: ModelReference): Promise<ModelVersionRecord | undefined> {
    try {
      return await this.readOrThrow(reference);
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw err;
    }
  }

  private async readOrThrow(reference: ModelReference): Promise<ModelVersionRecord | undefined> {
    const { name } = reference;
    if (this.registry === 'unity-catalog') {
      const found =
        'alias' in reference
          ? await this.uc.getByAlias(name, reference.alias)
          : await this.uc.getVersion(name, reference.version);
      return this.record(name, found, { tags: await this.uc.getVersionTags(name, found.version) });
    }
    let version: string;
    if ('alias' in reference) {
      if (this.registry === 'workspace') {
        const [latest] = await this.mlflow.getLatestVersions(name, [PROMOTION_STAGE]);
        if (!latest) return undefined;
        version = latest.version;
      } else {
        version = (await this.mlflow.getModelVersionByAlias(name, reference.alias)).version;
      }
    } else {
      version = reference.version;
    }
    const found = await this.mlflow.getModelVersion(name, version);
    return this.record(name, found, {
      tags: found.tags,
      ...(found.current_stage !== undefined ? { stage: found.current_stage } : {}),
    });
  }

  private record(
    name: string,
    found: { version: string; status: string; source: string; run_id?: string; aliases: string[] },
    extra: Pick<ModelVersionRecord, 'tags' | 'stage'>,
  ): ModelVersionRecord {
    return {
      name,
      version: found.version,
      registry: this.registry,
      status: found.status,
      source: found.source,
      ...(found.run_id ? { mlflowRunId: found.run_id } : {}),
      aliases: [...found.aliases].sort(),
      ...extra,
    };
  }
}
