/**
 * The typed MLflow REST client Lakeloop uses, over the one Databricks HTTP layer (same token layer,
 * budget, retries and error mapping; open-source `mlflow server` ignores the bearer header). Only
 * endpoints that both the Databricks workspace MLflow and open-source MLflow serve are used for
 * tracking (`/api/2.0/mlflow/…`); the registry calls here are the workspace registry's (stages) and
 * open-source MLflow's (aliases). Models in Unity Catalog are uc-models.ts. Artifact bytes go
 * by the run's artifact URI (artifact-uri.ts): the `/api/2.0/mlflow-artifacts/artifacts/…` proxy of
 * `mlflow server --serve-artifacts` for `mlflow-artifacts:` URIs, and a workspace's
 * credentials-for-read/-write signed URLs for `dbfs:/databricks/mlflow-tracking/…` (and other remote)
 * URIs — those URLs are credentials, handed out only as SignedArtifactUrl. MLflow errors
 * (`{error_code, message}`, e.g. 404 RESOURCE_DOES_NOT_EXIST) arrive as DatabricksApiError like every
 * other workspace error.
 */
import { createHash } from 'node:crypto';
import { DatabricksApiError } from '../databricks/errors.js';
import type { DatabricksHttpClient } from '../databricks/http.js';
import {
  isProxiedArtifactUri,
  joinArtifactUri,
  normalizeArtifactPath,
  proxyPathFor,
  requireSignedUrlAccess,
} from './artifact-uri.js';
import {
  signedEndpoint,
  signedUpload,
  streamDownload,
  streamSignedDownload,
  upload,
  type TransferOptions,
} from './artifact-transfer.js';
import { SignedArtifactUrl } from './signed-url.js';
import {
  createExperimentResponseSchema,
  credentialsResponseSchema,
  createRunResponseSchema,
  emptyResponseSchema,
  getExperimentResponseSchema,
  getRunResponseSchema,
  listArtifactsResponseSchema,
  metricHistoryResponseSchema,
  modelVersionResponseSchema,
  registeredModelResponseSchema,
  searchModelVersionsResponseSchema,
  transitionStageResponseSchema,
  type MlflowExperiment,
  type MlflowFileInfo,
  type MlflowMetric,
  type MlflowModelVersion,
  type MlflowRegisteredModel,
  type MlflowRun,
} from './schemas.js';

const API = '/api/2.0/mlflow';

/** Page size for metric history: the documented maximum. */
const METRIC_HISTORY_PAGE = 25_000;

export interface ArtifactLocation {
  /** The artifact's own URI (`<run artifact_uri>/<path>`), fit to show or store: never a signed URL. */
  uri: string;
  /** Relative to the run's artifact root, normalised (`model/model.json`). */
  path: string;
  /** For proxied (`mlflow-artifacts:`) runs, the path serving it on the tracking host; else signed URLs. */
  proxyPath?: string;
}

export interface ArtifactFile {
  /** Relative to the run's artifact root, e.g. `model/model.json`. */
  path: string;
  sizeBytes: number;
}

/** True for "that model / version / alias does not exist", in the forms both servers use. */
export function isMissing(err: unknown): boolean {
  if (!(err instanceof DatabricksApiError)) return false;
  if (err.kind === 'not-found' || err.errorCode === 'RESOURCE_DOES_NOT_EXIST') return true;
  // OSS MLflow answers an unknown alias with 400 INVALID_PARAMETER_VALUE "Registered model alias X not found."
  return err.status === 400 && err.errorCode === 'INVALID_PARAMETER_VALUE' && /not found/i.test(err.message);
}

export function isAlreadyExists(err: unknown): boolean {
  return (
    err instanceof DatabricksApiError &&
    (err.errorCode === 'RESOURCE_ALREADY_EXISTS' || err.errorCode === 'ALREADY_EXISTS')
  );
}

export class MlflowClient {
  constructor(readonly http: DatabricksHttpClient) {}

  // ---- tracking -------------------------------------------------------------------------------

  async getRun(runId: string): Promise<MlflowRun> {
    const response = await this.http.request('GET', `${API}/runs/get`, {
      query: { run_id: runId },
      schema: getRunResponseSchema,
    });
    return response.run;
  }

  /** Every point of one metric, following next_page_token to the end. */
  async getMetricHistory(
    runId: string,
    key: string,
    pageSize = METRIC_HISTORY_PAGE,
  ): Promise<MlflowMetric[]> {
    const points: MlflowMetric[] = [];
    let pageToken: string | undefined;
    do {
      const response = await this.http.request('GET', `${API}/metrics/get-history`, {
        query: { run_id: runId, metric_key: key, max_results: pageSize, page_token: pageToken },
        schema: metricHistoryResponseSchema,
      });
      points.push(...response.metrics);
      pageToken = response.next_page_token || undefined;
    } while (pageToken);
    return points;
  }

  /** One directory level of a run's artifacts (every page), with the run's artifact root URI. */
  async listArtifacts(runId: string, path?: string): Promise<{ rootUri?: string; files: MlflowFileInfo[] }> {
    const files: MlflowFileInfo[] = [];
    let rootUri: string | undefined;
    let pageToken: string | undefined;
    do {
      const response = await this.http.request('GET', `${API}/artifacts/list`, {
        query: { run_id: runId, path: path || undefined, page_token: pageToken },
        schema: listArtifactsResponseSchema,
      });
      rootUri ??= response.root_uri;
      files.push(...response.files);
      pageToken = response.next_page_token || undefined;
    } while (pageToken);
    return { ...(rootUri !== undefined ? { rootUri } : {}), files };
  }

  /** Every file under `path` (depth first, directories expanded), sorted by path. */
  async listArtifactFilesRecursive(runId: string, path?: string): Promise<ArtifactFile[]> {
    const result: ArtifactFile[] = [];
    const pending = [path ?? ''];
    const seen = new Set<string>();
    while (pending.length > 0) {
      const dir = pending.pop()!;
      // A server that lists a directory as its own child would otherwise loop forever.
      if (seen.has(dir)) continue;
      seen.add(dir);
      const { files } = await this.listArtifacts(runId, dir);
      for (const file of files) {
        if (file.is_dir) pending.push(file.path);
        else result.push({ path: file.path, sizeBytes: file.file_size ?? 0 });
      }
    }
    return result.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  /** Where `path` of the run's artifacts is served: the proxy path, or (absent) signed URLs. */
  async artifactLocation(runId: string, path: string): Promise<ArtifactLocation> {
    const run = await this.getRun(runId);
    const root = run.info.artifact_uri;
    if (!root) {
      throw new DatabricksApiError(
        `run ${runId} has no artifact_uri`,
        'invalid-request',
        0,
        'NO_ARTIFACT_URI',
        false,
      );
    }
    const location = { uri: joinArtifactUri(root, path), path: normalizeArtifactPath(path) };
    if (isProxiedArtifactUri(root)) return { ...location, proxyPath: proxyPathFor(root, path) };
    requireSignedUrlAccess(root);
    return location;
  }

  /**
   * Signed read URLs for `paths` (relative to the run's artifact root), in order, following
   * next_page_token (the workspace answers at most 1,000 paths a page).
   */
  async readCredentials(runId: string, paths: string[]): Promise<SignedArtifactUrl[]> {
    return this.credentials('read', runId, paths);
  }

  async writeCredentials(runId: string, paths: string[]): Promise<SignedArtifactUrl[]> {
    return this.credentials('write', runId, paths);
  }

  /** The download reference (signed URL and headers) of one artifact file. Never log it. */
  async artifactDownloadReference(runId: string, path: string): Promise<SignedArtifactUrl> {
    return this.oneCredential('read', runId, path);
  }

  /** The bytes of one artifact file, streamed; the caller must consume the iterable. */
  async downloadArtifact(
    runId: string,
    path: string,
    options?: TransferOptions,
  ): Promise<AsyncIterable<Uint8Array>> {
    const location = await this.artifactLocation(runId, path);
    if (location.proxyPath !== undefined) return streamDownload(this.http, location.proxyPath, options);
    try {
      return await streamSignedDownload(await this.artifactDownloadReference(runId, location.path), options);
    } catch (err) {
      // A URL that expired between credentials-for-read and the GET: once more with a fresh one.
      const expired =
        err instanceof DatabricksApiError &&
        err.status === 403 &&
        err.endpoint === signedEndpoint('GET', location.path);
      if (!expired) throw err;
      return streamSignedDownload(await this.artifactDownloadReference(runId, location.path), options);
    }
  }

  /** An artifact's sha256 (hex) and size, computed while streaming; the bytes are never held. */
  async hashArtifact(
    runId: string,
    path: string,
    options?: TransferOptions,
  ): Promise<{ sha256: string; sizeBytes: number }> {
    const hash = createHash('sha256');
    let sizeBytes = 0;
    for await (const chunk of await this.downloadArtifact(runId, path, options)) {
      hash.update(chunk);
      sizeBytes += chunk.byteLength;
    }
    return { sha256: hash.digest('hex'), sizeBytes };
  }

  /** Upload one file (PUT through the proxy or a signed URL); what train.py does, for tests and tools. */
  async uploadArtifact(
    runId: string,
    path: string,
    data: Uint8Array,
    options?: TransferOptions,
  ): Promise<void> {
    const location = await this.artifactLocation(runId, path);
    if (location.proxyPath !== undefined) return upload(this.http, location.proxyPath, data, options);
    await signedUpload(await this.oneCredential('write', runId, location.path), data, options);
  }

  private async oneCredential(
    access: 'read' | 'write',
    runId: string,
    path: string,
  ): Promise<SignedArtifactUrl> {
    const [credential] = await this.credentials(access, runId, [path]);
    if (!credential) {
      throw new DatabricksApiError(
        `credentials-for-${access}: no signed URL for artifact ${path} of run ${runId}`,
        'invalid-request',
        200,
        'UNEXPECTED_RESPONSE',
        false,
      );
    }
    return credential;
  }

  private async credentials(
    access: 'read' | 'write',
    runId: string,
    paths: string[],
  ): Promise<SignedArtifactUrl[]> {
    const endpoint = `${API}/artifacts/credentials-for-${access}`;
    const result: SignedArtifactUrl[] = [];
    let pageToken: string | undefined;
    do {
      let response;
      try {
        // POST, as the MLflow proto declares it (reference §5).
        response = await this.http.request('POST', endpoint, {
          body: { run_id: runId, path: paths, ...(pageToken ? { page_token: pageToken } : {}) },
          schema: credentialsResponseSchema,
        });
      } catch (err) {
        // No such endpoint (open-source mlflow server, or a proxy-mode emulator): the run's non-proxied
        // artifacts cannot be reached at all. A missing run stays RESOURCE_DOES_NOT_EXIST.
        if (
          err instanceof DatabricksApiError &&
          err.status === 404 &&
          err.errorCode !== 'RESOURCE_DOES_NOT_EXIST'
        ) {
          throw new DatabricksApiError(
            `POST ${endpoint}: the server has no signed-URL artifact access (HTTP 404), so run ${runId}'s ` +
              'artifacts, which are not mlflow-artifacts:/ (proxied), cannot be read or written',
            'invalid-request',
            404,
            'UNSUPPORTED_ARTIFACT_URI',
            false,
            undefined,
            err.endpoint,
          );
        }
        throw err;
      }
      for (const info of response.credential_infos) {
        result.push(
          new SignedArtifactUrl(info.run_id ?? runId, info.path, info.signed_uri, info.headers, info.type),
        );
      }
      pageToken = response.next_page_token || undefined;
      // A server that pages without progress would otherwise loop forever.
      if (response.credential_infos.length === 0) break;
    } while (pageToken);
    return result;
  }

  async getExperimentByName(name: string): Promise<MlflowExperiment | null> {
    try {
      const response = await this.http.request('GET', `${API}/experiments/get-by-name`, {
        query: { experiment_name: name },
        schema: getExperimentResponseSchema,
      });
      return response.experiment;
    } catch (err) {
      if (isMissing(err)) return null;
      throw err;
    }
  }

  async createExperiment(name: string): Promise<string> {
    const response = await this.http.request('POST', `${API}/experiments/create`, {
      body: { name },
      schema: createExperimentResponseSchema,
    });
    return response.experiment_id;
  }

  async createRun(experimentId: string, runName?: string): Promise<MlflowRun> {
    const response = await this.http.request('POST', `${API}/runs/create`, {
      body: {
        experiment_id: experimentId,
        start_time: Date.now(),
        ...(runName ? { run_name: runName } : {}),
      },
      schema: createRunResponseSchema,
    });
    return response.run;
  }

  async logBatch(
    runId: string,
    batch: {
      metrics?: Array<{ key: string; value: number; timestamp: number; step?: number }>;
      params?: Array<{ key: string; value: string }>;
      tags?: Array<{ key: string; value: string }>;
    },
  ): Promise<void> {
    await this.http.request('POST', `${API}/runs/log-batch`, {
      body: { run_id: runId, ...batch },
      schema: emptyResponseSchema,
    });
  }

  async updateRun(runId: string, status: string, endTime = Date.now()): Promise<void> {
    await this.http.request('POST', `${API}/runs/update`, {
      body: { run_id: runId, status, end_time: endTime },
      schema: emptyResponseSchema,
    });
  }

  // ---- registry (workspace registry and open-source MLflow, not Unity Catalog) ----------------------------------------

  async createRegisteredModel(name: string, description?: string): Promise<MlflowRegisteredModel> {
    const response = await this.http.request('POST', `${API}/registered-models/create`, {
      body: { name, ...(description !== undefined ? { description } : {}) },
      schema: registeredModelResponseSchema,
    });
    return response.registered_model;
  }

  async getRegisteredModel(name: string): Promise<MlflowRegisteredModel> {
    const response = await this.http.request('GET', `${API}/registered-models/get`, {
      query: { name },
      schema: registeredModelResponseSchema,
    });
    return response.registered_model;
  }

  async createModelVersion(input: {
    name: string;
    source: string;
    run_id?: string;
    description?: string;
  }): Promise<MlflowModelVersion> {
    const response = await this.http.request('POST', `${API}/model-versions/create`, {
      body: input,
      schema: modelVersionResponseSchema,
    });
    return response.model_version;
  }

  async getModelVersion(name: string, version: string): Promise<MlflowModelVersion> {
    const response = await this.http.request('GET', `${API}/model-versions/get`, {
      query: { name, version },
      schema: modelVersionResponseSchema,
    });
    return response.model_version;
  }

  /**
   * Sets one tag on a model version (MLflow REST API `POST /api/2.0/mlflow/model-versions/set-tag`
   * {name, version, key, value}: SetModelVersionTag in mlflow/protos/model_registry.proto, which the
   * Databricks workspace registry serves too). Setting a tag again overwrites it, so a retry is harmless.
   */
  async setModelVersionTag(name: string, version: string, key: string, value: string): Promise<void> {
    await this.http.request('POST', `${API}/model-versions/set-tag`, {
      body: { name, version, key, value },
      schema: emptyResponseSchema,
    });
  }

  /**
   * Every version matching `filter` (e.g. `name='churn'`), following page tokens. Databricks asks for
   * "a single boolean condition", so callers filter by name here and by anything else themselves.
   */
  async searchModelVersions(filter: string, pageSize = 1000): Promise<MlflowModelVersion[]> {
    const versions: MlflowModelVersion[] = [];
    let pageToken: string | undefined;
    do {
      const response = await this.http.request('GET', `${API}/model-versions/search`, {
        query: { filter, max_results: pageSize, page_token: pageToken },
        schema: searchModelVersionsResponseSchema,
      });
      versions.push(...response.model_versions);
      pageToken = response.next_page_token || undefined;
    } while (pageToken);
    return versions;
  }

  /**
   * Moves a version of a workspace-registry model to `stage` (Databricks' transition-stage, as
   * databricks-sdk-py's ModelRegistryAPI.transition_stage calls it); with archiveExisting, the versions
   * already in that stage are archived.
   */
  async transitionModelVersionStage(
    name: string,
    version: string,
    stage: 'None' | 'Staging' | 'Production' | 'Archived',
    archiveExisting: boolean,
  ): Promise<MlflowModelVersion> {
    const response = await this.http.request('POST', `${API}/databricks/model-versions/transition-stage`, {
      body: { name, version, stage, archive_existing_versions: archiveExisting },
      schema: transitionStageResponseSchema,
    });
    return response.model_version_databricks;
  }

  /** The newest version in each of `stages` (workspace registry, get-latest-versions). */
  async getLatestVersions(name: string, stages: string[]): Promise<MlflowModelVersion[]> {
    const response = await this.http.request('POST', `${API}/registered-models/get-latest-versions`, {
      body: { name, stages },
      schema: searchModelVersionsResponseSchema,
    });
    return response.model_versions;
  }

  /** Open-source MLflow's aliases; a Databricks workspace registry has none (see model-registry.ts). */
  async setRegisteredModelAlias(name: string, alias: string, version: string): Promise<void> {
    await this.http.request('POST', `${API}/registered-models/alias`, {
      body: { name, alias, version },
      schema: emptyResponseSchema,
    });
  }

  async deleteRegisteredModelAlias(name: string, alias: string): Promise<void> {
    // MLflow's own client sends DELETE parameters as a JSON body; the server reads them from there.
    await this.http.request('DELETE', `${API}/registered-models/alias`, {
      body: { name, alias },
      schema: emptyResponseSchema,
    });
  }

  async getModelVersionByAlias(name: string, alias: string): Promise<MlflowModelVersion> {
    const response = await this.http.request('GET', `${API}/registered-models/alias`, {
      query: { name, alias },
      schema: modelVersionResponseSchema,
    });
    return response.model_version;
  }
}

/** A quoted value for MLflow's filter grammar: single quotes, with embedded ones escaped. */
export function filterValue(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}
