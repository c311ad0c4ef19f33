/** What the MLflow routes share: the stores, the artifact directory, and the persistence hook. */
import type { ArtifactStore } from './artifact-store.js';
import type { RegistryStore } from './registry-store.js';
import type { TrackingStore } from './tracking-store.js';

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

/** `mlflow-artifacts:/1/abc/artifacts` (or `mlflow-artifacts://host/1/…`) → `1/abc/artifacts`. */
export function artifactRelativeRoot(uri: string): string | undefined {
  const match = /^mlflow-artifacts:(?:\/\/[^/]*)?\/*(.*)$/.exec(uri);
  return match ? match[1]!.replace(/\/+$/, '') : undefined;
}
