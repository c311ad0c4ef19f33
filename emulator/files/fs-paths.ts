/**
 * Which Files API paths the emulator serves, and where their bytes live in its artifact store:
 *
 *  - `/WorkspaceInternal/Mlflow/Artifacts/<experiment>/Runs/<run>/<rest>`: a run's artifacts when its
 *    artifact URI is `dbfs:/databricks/mlflow-tracking/<experiment>/<run>/<rest>`. MLflow's
 *    DatabricksRunArtifactRepository maps run URIs to exactly this path and reads and writes it with the
 *    Databricks SDK's Files API (mlflow/store/artifact/databricks_run_artifact_repo.py,
 *    `_build_root_path`; databricks_sdk_artifact_repo.py), falling back to credentials-for-read/-write
 *    only when a Files API call fails.
 *  - `/WorkspaceInternal/Mlflow/Artifacts/<experiment>/LoggedModels/<model_id>/<rest>`: an MLflow 3
 *    logged model's artifacts (`dbfs:/databricks/mlflow-tracking/<exp>/logged_models/<id>/<rest>`),
 *    the same way (databricks_logged_model_artifact_repo.py).
 *  - `/Models/<catalog>/<schema>/<model>/<version>/<rest>`: a Unity Catalog model version's files, the
 *    root MLflow's PresignedUrlArtifactRepository (and DatabricksSDKModelsArtifactRepository) use
 *    (presigned_url_artifact_repo.py: `/Models/` + the full name with dots as slashes + the version).
 *
 * Anything else (a UC volume under `/Volumes/…`, for instance) is not stored here: 404 NOT_FOUND.
 * Reading run files needs nothing more than a token (experiment permissions are not modelled); writing
 * needs an active run. Model files need EXECUTE (read) or ownership (write) on the model, and are
 * writable only while the version is PENDING_REGISTRATION, before MLflow finalizes it.
 */
import { ApiError, invalidParameter } from '../http/api-error.js';
import type { ArtifactStore } from '../mlflow/artifact-store.js';
import { DBFS_ARTIFACT_BASE, type TrackingStore } from '../mlflow/tracking-store.js';
import { accessModel } from '../unity-catalog/model-access.js';
import type { UnityCatalogServices } from '../unity-catalog/uc-services.js';
import { versionStoragePath } from '../unity-catalog/uc-store.js';

export interface FilesContext {
  tracking: TrackingStore;
  uc: UnityCatalogServices;
  artifacts: ArtifactStore;
}

export type Access = 'read' | 'write';

export function fileNotFound(kind: 'file' | 'directory', path: string): ApiError {
  return new ApiError(404, 'NOT_FOUND', `The ${kind} being accessed is not found: ${path}`);
}

/** `/a/b/c` → `['a', 'b', 'c']`, refusing empty, `.` and `..` segments. */
export function fsSegments(path: string): string[] {
  const segments = path.replace(/^\/+/, '').replace(/\/+$/, '').split('/');
  if (segments.some((s) => s === '' || s === '.' || s === '..' || s.includes('\\'))) {
    throw invalidParameter(`Invalid path: '${path}'`);
  }
  return segments;
}

const RUN_PREFIX = ['WorkspaceInternal', 'Mlflow', 'Artifacts'];

/**
 * The artifact-store path behind Files API path `path` (absolute, `/…`), after checking that
 * `principal` may `access` it; 404 NOT_FOUND for paths the emulator does not serve.
 */
export function resolveFsPath(ctx: FilesContext, principal: string, path: string, access: Access): string {
  const segments = fsSegments(path);
  if (RUN_PREFIX.every((part, i) => segments[i] === part) && segments[4] === 'Runs' && segments.length >= 6) {
    const [experimentId, , runId, ...rest] = segments.slice(3);
    let run;
    try {
      run = access === 'write' ? ctx.tracking.activeRun(runId!) : ctx.tracking.getRun(runId!);
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) throw fileNotFound('directory', path);
      throw error;
    }
    if (run.experiment_id !== experimentId || !run.artifact_uri.startsWith(`${DBFS_ARTIFACT_BASE}/`)) {
      throw fileNotFound('directory', path);
    }
    return [experimentId, runId, ...rest].join('/');
  }
  if (
    RUN_PREFIX.every((part, i) => segments[i] === part) &&
    segments[4] === 'LoggedModels' &&
    segments.length >= 6
  ) {
    const [experimentId, , modelId, ...rest] = segments.slice(3);
    const model = ctx.tracking.loggedModels.get(modelId!);
    if (
      !model ||
      model.experiment_id !== experimentId ||
      !model.artifact_uri.startsWith(`${DBFS_ARTIFACT_BASE}/`)
    ) {
      throw fileNotFound('directory', path);
    }
    return [experimentId, 'logged_models', modelId, ...rest].join('/');
  }
  if (segments[0] === 'Models' && segments.length >= 5) {
    const [catalog, schema, name, versionText, ...rest] = segments.slice(1);
    const model = accessModel(
      ctx.uc,
      principal,
      `${catalog}.${schema}.${name}`,
      access === 'read' ? 'read' : 'write',
    );
    const version = ctx.uc.store.getVersion(model, versionText!);
    if (access === 'write' && version.status !== 'PENDING_REGISTRATION') {
      throw new ApiError(
        403,
        'PERMISSION_DENIED',
        `Model version ${version.version} of '${model.fullName}' is ${version.status}; its files can no longer be written.`,
      );
    }
    return [versionStoragePath(model, version.version), ...rest].join('/');
  }
  throw fileNotFound('directory', path);
}
