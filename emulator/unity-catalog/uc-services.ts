/**
 * What the Unity Catalog routes share, and the switch for a workspace without Unity Catalog
 * (`--model-registry workspace`): there every Unity Catalog endpoint, the MLflow `databricks-uc`
 * registry's included, answers METASTORE_DOES_NOT_EXIST, the code MLflow's UC client recognises as
 * "Unity Catalog is not enabled in this workspace" (mlflow/store/_unity_catalog/registry/rest_store.py,
 * create_registered_model) — the workspace model registry (`/api/2.0/mlflow/registered-models/…`)
 * stays.
 */
import type { ApiVersion, Handler, Router } from '../http/router.js';
import type { PrivilegeChecker } from './grants.js';
import { metastoreDoesNotExist } from './uc-errors.js';
import type { UnityCatalogStore } from './uc-store.js';

export interface UnityCatalogServices {
  store: UnityCatalogStore;
  privileges: PrivilegeChecker;
  /** False in workspace-registry mode. */
  enabled: boolean;
  /** Something persistent changed; the state file writer debounces. */
  changed(): void;
}

/** Registers a route that only a workspace with a metastore serves. */
export function ucRoute(
  router: Router,
  uc: UnityCatalogServices,
  method: string,
  pattern: string,
  versions: readonly ApiVersion[],
  handler: Handler,
): void {
  router.api(method, pattern, versions, (ctx) => {
    if (!uc.enabled) throw metastoreDoesNotExist();
    return handler(ctx);
  });
}
