/**
 * Models in Unity Catalog through the Unity Catalog REST API, `/api/2.1/unity-catalog/models…`, the
 * public API the Databricks SDKs use (databricks-sdk-py service/catalog.py RegisteredModelsAPI and
 * ModelVersionsAPI; docs.databricks.com/api/workspace/registeredmodels and …/modelversions):
 *
 *  - GET  /models/{full_name}/versions[?page_token]          → {model_versions, next_page_token}
 *  - GET  /models/{full_name}/versions/{version}             → ModelVersionInfo
 *  - GET  /models/{full_name}/aliases/{alias}?include_aliases → ModelVersionInfo (get by alias)
 *  - PUT  /models/{full_name}/aliases/{alias} {version_num}  → RegisteredModelAlias
 *
 * Same HTTP layer as everything else (token layer, budget, retries, error mapping). Versions are not
 * created here: Unity Catalog takes new versions only through MLflow's client, which uploads the files
 * to the model's storage (the SDK docstring: "Creating new model versions requires use of the MLflow
 * Python client"), so Lakeloop's training task registers and Lakeloop finds and promotes the version.
 */
import { z } from 'zod';
import type { DatabricksHttpClient } from '../databricks/http.js';
import { DatabricksApiError } from '../databricks/errors.js';
import { emptyResponseSchema, tagListSchema } from './schemas.js';

const API = '/api/2.1/unity-catalog/models';
/**
 * Tags of a Unity Catalog model version live behind MLflow's `databricks-uc` registry endpoints (the
 * Unity Catalog REST API's ModelVersionInfo has none): SetModelVersionTag is
 * `POST /api/2.0/mlflow/unity-catalog/model-versions/set-tag` {name, version, key, value} and
 * GetModelVersion `GET …/model-versions/get` answers ModelVersion with `tags` — UcModelRegistryService
 * in mlflow/protos/databricks_uc_registry_service.proto as mlflow 3.17.2 ships it (an older revision
 * of that file said `…/tags`; the client in use calls `set-tag`).
 */
const MLFLOW_UC = '/api/2.0/mlflow/unity-catalog';

const numeric = z.union([z.number(), z.string()]).transform((v) => String(v));

export const ucModelVersionSchema = z.looseObject({
  catalog_name: z.string().optional(),
  schema_name: z.string().optional(),
  model_name: z.string().optional(),
  version: numeric,
  source: z.string().optional().default(''),
  run_id: z.string().optional(),
  status: z.string().optional().default('READY'),
  aliases: z
    .array(z.looseObject({ alias_name: z.string() }))
    .nullish()
    .transform((aliases) => (aliases ?? []).map((a) => a.alias_name)),
});

const listSchema = z.looseObject({
  model_versions: z
    .array(ucModelVersionSchema)
    .nullish()
    .transform((v) => v ?? []),
  next_page_token: z.string().optional(),
});

const aliasSchema = z.looseObject({ alias_name: z.string().optional(), version_num: numeric.optional() });

/**
 * Only the tags of the `databricks-uc` ModelVersion: its aliases are RegisteredModelAlias objects
 * {alias, version} there (databricks_uc_registry_messages.proto), unlike the workspace registry's strings.
 */
const ucMlflowVersionTagsSchema = z.looseObject({
  model_version: z.looseObject({ tags: tagListSchema }),
});

export type UcModelVersion = z.infer<typeof ucModelVersionSchema>;

/** `main.ml.churn`: three non-empty parts; anything else is refused before a request is made. */
export function requireThreeLevelName(name: string): void {
  const parts = name.split('.');
  if (parts.length !== 3 || parts.some((p) => p === '' || /[\s/`]/.test(p))) {
    throw new DatabricksApiError(
      `model name ${JSON.stringify(name)} is not a Unity Catalog name: models in Unity Catalog are named ` +
        'catalog.schema.model (e.g. main.ml.churn); for the workspace model registry set LAKELOOP_MODEL_REGISTRY=workspace',
      'invalid-request',
      0,
      'INVALID_PARAMETER_VALUE',
      false,
    );
  }
}

const segment = (value: string) => encodeURIComponent(value);

export class UnityCatalogModels {
  constructor(readonly http: DatabricksHttpClient) {}

  /** Every version of the model, newest first, following page tokens. */
  async listVersions(fullName: string): Promise<UcModelVersion[]> {
    requireThreeLevelName(fullName);
    const versions: UcModelVersion[] = [];
    let pageToken: string | undefined;
    do {
      const response = await this.http.request('GET', `${API}/${segment(fullName)}/versions`, {
        query: { max_results: 1000, page_token: pageToken },
        schema: listSchema,
      });
      versions.push(...response.model_versions);
      pageToken = response.next_page_token || undefined;
    } while (pageToken);
    return versions;
  }

  async getVersion(fullName: string, version: string): Promise<UcModelVersion> {
    requireThreeLevelName(fullName);
    return this.http.request('GET', `${API}/${segment(fullName)}/versions/${segment(version)}`, {
      query: { include_aliases: true },
      schema: ucModelVersionSchema,
    });
  }

  async getByAlias(fullName: string, alias: string): Promise<UcModelVersion> {
    requireThreeLevelName(fullName);
    return this.http.request('GET', `${API}/${segment(fullName)}/aliases/${segment(alias)}`, {
      query: { include_aliases: true },
      schema: ucModelVersionSchema,
    });
  }

  async setAlias(fullName: string, alias: string, version: string): Promise<void> {
    requireThreeLevelName(fullName);
    if (!/^\d{1,15}$/.test(version)) {
      throw new DatabricksApiError(
        `model version ${JSON.stringify(version)} is not a version number`,
        'invalid-request',
        0,
        'INVALID_PARAMETER_VALUE',
        false,
      );
    }
    await this.http.request('PUT', `${API}/${segment(fullName)}/aliases/${segment(alias)}`, {
      body: { version_num: Number(version) },
      schema: aliasSchema,
    });
  }

  /** Sets one tag on a version (idempotent: setting it again overwrites it). */
  async setVersionTag(fullName: string, version: string, key: string, value: string): Promise<void> {
    requireThreeLevelName(fullName);
    await this.http.request('POST', `${MLFLOW_UC}/model-versions/set-tag`, {
      body: { name: fullName, version, key, value },
      schema: emptyResponseSchema,
    });
  }

  /** The version's tags, `{}` when it has none. */
  async getVersionTags(fullName: string, version: string): Promise<Record<string, string>> {
    requireThreeLevelName(fullName);
    const response = await this.http.request('GET', `${MLFLOW_UC}/model-versions/get`, {
      query: { name: fullName, version },
      schema: ucMlflowVersionTagsSchema,
    });
    return response.model_version.tags;
  }
}
