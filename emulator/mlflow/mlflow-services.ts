/** What the MLflow routes share: the stores, the artifact directory, and the persistence hook. */
import { invalidParameter } from '../http/api-error.js';
import type { ArtifactStore } from './artifact-store.js';
import type { RegistryStore } from './registry-store.js';
import type { RunRecord, TrackingStore } from './tracking-store.js';

export interface MlflowServices {
  tracking: TrackingStore;
  registry: RegistryStore;
  artifacts: ArtifactStore;
  /** Something persistent changed; the state file writer debounces. */
  changed(): void;
}

/** Where MLflow's REST API lives, on Databricks and in `mlflow server` alike. */
export const MLFLOW_VERSIONS = ['2.0'] as const;
/** The artifact proxy of `mlflow server --serve-artifacts`, whose URIs are `mlflow-artifacts:/…`. */
export const ARTIFACTS_PREFIX = '/api/2.0/mlflow-artifacts/artifacts';

/**
 * Where a URI's files live in the artifact store: `mlflow-artifacts:/1/abc/artifacts` (or
 * `mlflow-artifacts://host/1/…`) and `dbfs:/databricks/mlflow-tracking/1/abc/artifacts` both →
 * `1/abc/artifacts`. Anything else is not served by the emulator.
 */
export function artifactRelativeRoot(uri: string): string | undefined {
  const match =
    /^mlflow-artifacts:(?:\/\/[^/]*)?\/*(.*)$/.exec(uri) ??
    /^dbfs:\/databricks\/mlflow-tracking\/+(.*)$/.exec(uri);
  return match ? match[1]!.replace(/\/+$/, '') : undefined;
}

/** A run's artifact directory in the store (400 for a URI the emulator does not serve). */
export function runArtifactRoot(run: RunRecord): string {
  const root = artifactRelativeRoot(run.artifact_uri);
  if (root === undefined)
    throw invalidParameter(
      `Run ${run.run_id} has artifact URI ${run.artifact_uri}, which the emulator does not serve.`,
    );
  return root;
}
