/**
 * MLflow activities: read a training run's metrics and artifacts, register a model version, and
 * promote it. Exact contract used by the ML pipeline workflow (names and shapes are fixed: recorded
 * histories name these activities). What "register" and "alias" mean depends on the registry
 * (src/mlflow/model-registry.ts): in Unity Catalog the training task registers and the alias moves; in
 * the workspace registry Lakeloop registers and promotion is a stage transition; open-source MLflow
 * has aliases. Every
 * failure goes through withActivityFailures (non-retryable for validation and missing resources,
 * retryable for throttling, 5xx and network errors). Nothing returned ever holds artifact bytes.
 */
import { activityInfo, heartbeat, log } from '@temporalio/activity';
import { DatabricksApiError } from '../databricks/errors.js';
import { filterValue, isAlreadyExists, isMissing, type MlflowClient } from '../mlflow/client.js';
import { joinArtifactUri } from '../mlflow/artifact-uri.js';
import { PROMOTION_STAGE, type ModelRegistryKind } from '../mlflow/model-registry.js';
import type { MlflowModelVersion } from '../mlflow/schemas.js';
import type { UcModelVersion, UnityCatalogModels } from '../mlflow/uc-models.js';
import {
  provenanceTags,
  type ModelProvenance,
  type RegisteringWorkflow,
} from '../shared/model-provenance.js';
import { withActivityFailures } from './failures.js';

/** The metrics (latest value each) and artifact location of an MLflow run. */
export interface RunMetrics {
  runId: string;
  status: string;
  metrics: Record<string, number>;
  params: Record<string, string>;
  artifactUri?: string;
}
/** Where an MLflow run artifact is, as the activities that read it need it. */
export interface ArtifactReference {
  path: string;
  sizeBytes: number;
  sha256: string;
  uri: string;
}
/** A registered model version, as the register and promote steps report it. */
export interface ModelVersionInfo {
  name: string;
  version: string;
  runId?: string;
  source: string;
  status: string;
  aliases: string[];
  /** Workspace registry only: the version's stage (None, Staging, Production, Archived). */
  stage?: string;
}

export interface MlflowActivityDeps {
  mlflow: MlflowClient;
  /** Models in Unity Catalog (used when registry is unity-catalog). */
  ucModels: UnityCatalogModels;
  registry: ModelRegistryKind;
}

/** How long registerModelVersion waits for a PENDING_REGISTRATION version to become READY. */
const READY_TIMEOUT_MS = 5 * 60_000;
const READY_POLL_MS = 1_000;

function toInfo(version: MlflowModelVersion): ModelVersionInfo {
  return {
    name: version.name,
    version: version.version,
    ...(version.run_id ? { runId: version.run_id } : {}),
    source: version.source,
    status: version.status,
    aliases: [...version.aliases].sort(),
    ...(version.current_stage !== undefined ? { stage: version.current_stage } : {}),
  };
}

function ucInfo(name: string, version: UcModelVersion): ModelVersionInfo {
  return {
    name,
    version: version.version,
    ...(version.run_id ? { runId: version.run_id } : {}),
    source: version.source,
    status: version.status,
    aliases: [...version.aliases].sort(),
  };
}

/** The workflow this activity runs for, or undefined outside an activity (unit use of the functions). */
function registeringWorkflowOfActivity(): RegisteringWorkflow | undefined {
  try {
    const info = activityInfo();
    // Absent for an activity started on its own rather than by a workflow: nothing to point back to.
    if (!info.workflowExecution) return undefined;
    return {
      namespace: info.workflowNamespace ?? info.namespace,
      workflowId: info.workflowExecution.workflowId,
      runId: info.workflowExecution.runId,
    };
  } catch {
    return undefined;
  }
}

function safeHeartbeat(details?: unknown): void {
  // Outside an activity context (unit use of the functions) there is nothing to heartbeat to.
  try {
    heartbeat(details);
  } catch {
    // not in an activity
  }
}

export function createMlflowActivities(resolve: () => MlflowActivityDeps) {
  /** The version as MLflow reports it once registration has finished (READY or FAILED_REGISTRATION). */
  async function waitUntilSettled(
    mlflow: MlflowClient,
    version: MlflowModelVersion,
  ): Promise<MlflowModelVersion> {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    let current = version;
    while (current.status === 'PENDING_REGISTRATION') {
      if (Date.now() > deadline) {
        // Retryable: the next attempt finds this version (idempotent) and waits again.
        throw new DatabricksApiError(
          `model ${current.name} version ${current.version} still PENDING_REGISTRATION after ${READY_TIMEOUT_MS} ms`,
          'unavailable',
          0,
          'PENDING_REGISTRATION',
          true,
        );
      }
      safeHeartbeat({ name: current.name, version: current.version });
      await new Promise((done) => setTimeout(done, READY_POLL_MS));
      current = await mlflow.getModelVersion(current.name, current.version);
    }
    if (current.status === 'FAILED_REGISTRATION') {
      throw new DatabricksApiError(
        `model ${current.name} version ${current.version} failed registration`,
        'invalid-request',
        0,
        'FAILED_REGISTRATION',
        false,
      );
    }
    return current;
  }

  /** The UC version once READY (MLflow's client finalizes it after the upload). */
  async function waitUntilUcReady(ucModels: UnityCatalogModels, name: string, version: UcModelVersion) {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    let current = version;
    while (current.status === 'PENDING_REGISTRATION') {
      if (Date.now() > deadline) {
        throw new DatabricksApiError(
          `model ${name} version ${current.version} still PENDING_REGISTRATION after ${READY_TIMEOUT_MS} ms`,
          'unavailable',
          0,
          'PENDING_REGISTRATION',
          true,
        );
      }
      safeHeartbeat({ name, version: current.version });
      await new Promise((done) => setTimeout(done, READY_POLL_MS));
      current = await ucModels.getVersion(name, current.version);
    }
    if (current.status !== 'READY') {
      throw new DatabricksApiError(
        `model ${name} version ${current.version} is ${current.status}`,
        'invalid-request',
        0,
        'FAILED_REGISTRATION',
        false,
      );
    }
    return current;
  }

  /**
   * Unity Catalog: the version the training task registered from this run's artifacts (the oldest,
   * should a retried task have registered twice), once READY. None is a non-retryable failure that says
   * what the training task must do: only MLflow's client can put a version's files into Unity Catalog.
   */
  async function findUcVersion(
    ucModels: UnityCatalogModels,
    input: { name: string; runId: string },
    source: string,
  ): Promise<ModelVersionInfo> {
    let versions: UcModelVersion[] = [];
    try {
      versions = await ucModels.listVersions(input.name);
    } catch (err) {
      if (!isMissing(err)) throw err;
    }
    const registered = versions
      .filter((v) => v.run_id === input.runId && v.source.replace(/\/+$/, '') === source)
      .sort((a, b) => Number(a.version) - Number(b.version))[0];
    if (!registered) {
      throw new DatabricksApiError(
        `run ${input.runId} has no version of ${input.name} registered from ${source}: in Unity Catalog ` +
          'the training task registers its model (mlflow.register_model with registry_uri "databricks-uc", ' +
          'or jobs/train.py --register-model), and Lakeloop promotes it',
        'invalid-request',
        0,
        'MODEL_VERSION_NOT_REGISTERED',
        false,
      );
    }
    return ucInfo(input.name, await waitUntilUcReady(ucModels, input.name, registered));
  }

  /** registerModelVersion without the tags: the version found (Unity Catalog) or registered. */
  function registerOrFindVersion(input: {
    name: string;
    runId: string;
    artifactPath: string;
    description?: string;
  }): Promise<ModelVersionInfo> {
    return withActivityFailures(async () => {
      const { mlflow } = resolve();
      const run = await mlflow.getRun(input.runId);
      if (!run.info.artifact_uri) {
        throw new DatabricksApiError(
          `run ${input.runId} has no artifact_uri`,
          'invalid-request',
          0,
          'NO_ARTIFACT_URI',
          false,
        );
      }
      const source = joinArtifactUri(run.info.artifact_uri, input.artifactPath);
      const { registry, ucModels } = resolve();
      if (registry === 'unity-catalog') return findUcVersion(ucModels, input, source);
      try {
        await mlflow.getRegisteredModel(input.name);
      } catch (err) {
        if (!isMissing(err)) throw err;
        try {
          await mlflow.createRegisteredModel(input.name);
        } catch (createErr) {
          // Created concurrently (or by a previous attempt whose answer was lost): fine.
          if (!isAlreadyExists(createErr)) throw createErr;
        }
      }
      const existing = (await mlflow.searchModelVersions(`name=${filterValue(input.name)}`))
        .filter((v) => v.name === input.name && v.run_id === input.runId && v.source === source)
        .sort((a, b) => Number(a.version) - Number(b.version))[0];
      // Search results omit aliases on mlflow server; model-versions/get has them.
      const version = existing
        ? await mlflow.getModelVersion(existing.name, existing.version)
        : await mlflow.createModelVersion({
            name: input.name,
            source,
            run_id: input.runId,
            ...(input.description !== undefined ? { description: input.description } : {}),
          });
      return toInfo(await waitUntilSettled(mlflow, version));
    });
  }

  /**
   * Writes the provenance tags on the version (see shared/model-provenance.ts). A principal allowed to
   * promote but not to tag (Unity Catalog's APPLY TAG is a separate privilege) still gets its model
   * promoted: the refusal is logged as a warning naming the privilege, and lineage then starts from the
   * workflow instead of the model. Anything else fails the activity and is retried as usual.
   */
  async function tagProvenance(name: string, version: string, provenance: ModelProvenance): Promise<void> {
    const workflow = registeringWorkflowOfActivity();
    if (!workflow) return;
    const { mlflow, registry, ucModels } = resolve();
    try {
      for (const [key, value] of provenanceTags(workflow, provenance)) {
        if (registry === 'unity-catalog') await ucModels.setVersionTag(name, version, key, value);
        else await mlflow.setModelVersionTag(name, version, key, value);
      }
    } catch (err) {
      if (err instanceof DatabricksApiError && err.kind === 'permission-denied') {
        log.warn(
          `model ${name} version ${version} was not tagged with its provenance: ${err.message} ` +
            '(in Unity Catalog, grant APPLY TAG on the model to the worker’s principal)',
        );
        return;
      }
      throw err;
    }
  }

  return {
    /** The run's status, params and the latest value of each metric (what runs/get reports). */
    async fetchRunMetrics(runId: string): Promise<RunMetrics> {
      return withActivityFailures(async () => {
        const run = await resolve().mlflow.getRun(runId);
        const metrics: Record<string, number> = {};
        for (const metric of run.data.metrics) metrics[metric.key] = metric.value;
        const params: Record<string, string> = {};
        for (const param of run.data.params) params[param.key] = param.value;
        return {
          runId: run.info.run_id,
          status: run.info.status ?? 'UNKNOWN',
          metrics,
          params,
          ...(run.info.artifact_uri ? { artifactUri: run.info.artifact_uri } : {}),
        };
      });
    },

    /**
     * Every file under `path` (recursive), with size and a sha256 computed by streaming it (through the
     * artifact proxy, or a signed URL from credentials-for-read for workspace `dbfs:/` runs). `uri` is
     * the artifact's own URI (`<run artifact_uri>/<path>`), never the signed URL, which is a credential.
     */
    async listArtifacts(runId: string, path?: string): Promise<ArtifactReference[]> {
      return withActivityFailures(async () => {
        const { mlflow } = resolve();
        const run = await mlflow.getRun(runId);
        const root = run.info.artifact_uri ?? '';
        const files = await mlflow.listArtifactFilesRecursive(runId, path);
        const result: ArtifactReference[] = [];
        for (const file of files) {
          safeHeartbeat({ path: file.path });
          const { sha256, sizeBytes } = await mlflow.hashArtifact(runId, file.path);
          // The bytes read are the truth; the listing's file_size can be absent on some stores.
          result.push({ path: file.path, sizeBytes, sha256, uri: joinArtifactUri(root, file.path) });
        }
        return result;
      });
    },

    /**
     * Unity Catalog: finds the version the training task registered from `<run artifact_uri>/
     * <artifactPath>` (see findUcVersion). Workspace registry and open-source MLflow: registers that
     * source as a new version of `name`, creating the model when missing. Idempotent: a version of `name` with the same run_id and source is returned instead of
     * registering again, so a retried activity (e.g. after a lost response) never adds a second version.
     */
    async registerModelVersion(input: {
      name: string;
      runId: string;
      artifactPath: string;
      description?: string;
      /** Written on the version as `lakeloop.*` tags (absent in histories recorded before lineage). */
      provenance?: ModelProvenance;
    }): Promise<ModelVersionInfo> {
      const registered = await registerOrFindVersion(input);
      if (input.provenance) {
        await withActivityFailures(() => tagProvenance(input.name, registered.version, input.provenance!));
      }
      return registered;
    },

    /**
     * Promotes `version`: sets the alias in Unity Catalog and open-source MLflow; in the workspace
     * registry, which has no aliases, moves it to PROMOTION_STAGE and archives the previous holder.
     * Returns how it was promoted, for the pipeline's step detail (`alias "champion"`).
     */
    async setModelAlias(input: { name: string; alias: string; version: string }): Promise<string> {
      return withActivityFailures(async () => {
        const { mlflow, registry, ucModels } = resolve();
        if (registry === 'unity-catalog') {
          await ucModels.setAlias(input.name, input.alias, input.version);
          return `alias "${input.alias}"`;
        }
        if (registry === 'workspace') {
          await mlflow.transitionModelVersionStage(input.name, input.version, PROMOTION_STAGE, true);
          return `stage ${PROMOTION_STAGE} (for "${input.alias}")`;
        }
        await mlflow.setRegisteredModelAlias(input.name, input.alias, input.version);
        return `alias "${input.alias}"`;
      });
    },

    /**
     * The version an alias points at (workspace registry: the latest version in PROMOTION_STAGE), or
     * null when the model or the alias does not exist.
     */
    async getModelVersionByAlias(input: { name: string; alias: string }): Promise<ModelVersionInfo | null> {
      return withActivityFailures(async () => {
        const { mlflow, registry, ucModels } = resolve();
        try {
          if (registry === 'unity-catalog')
            return ucInfo(input.name, await ucModels.getByAlias(input.name, input.alias));
          if (registry === 'workspace') {
            const [latest] = await mlflow.getLatestVersions(input.name, [PROMOTION_STAGE]);
            return latest ? toInfo(latest) : null;
          }
          return toInfo(await mlflow.getModelVersionByAlias(input.name, input.alias));
        } catch (err) {
          if (isMissing(err)) return null;
          throw err;
        }
      });
    },
  };
}
