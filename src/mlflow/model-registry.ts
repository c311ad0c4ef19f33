/**
 * Which model registry Lakeloop registers and promotes models in (LAKELOOP_MODEL_REGISTRY):
 *
 *  - `unity-catalog` (default): Models in Unity Catalog, what Databricks recommends and new workspaces
 *    use (`databricks-uc` in MLflow). Names are three-level (`main.ml.churn`); promotion sets an alias
 *    (`models:/main.ml.churn@champion`). The training task registers the version (with MLflow's client,
 *    which copies the files into Unity Catalog's storage; Databricks' guidance registers from training
 *    code); Lakeloop finds it by run id, gates it, and moves the alias.
 *  - `workspace`: the legacy Workspace Model Registry of workspaces without Unity Catalog. It has stages,
 *    not aliases: its REST API offers no alias endpoint (databricks-sdk-py service/ml.py
 *    ModelRegistryAPI) and MLflow's client refuses alias calls for it
 *    (mlflow/store/model_registry/databricks_workspace_model_registry_rest_store.py). Promotion is a
 *    transition to PROMOTION_STAGE with the previous holder archived; the champion is the latest
 *    version in that stage. Lakeloop registers the version (the registry copies the files itself).
 *  - `mlflow`: an open-source MLflow tracking server's registry, which has aliases on
 *    `/api/2.0/mlflow/registered-models/alias`.
 */
export const MODEL_REGISTRIES = ['unity-catalog', 'workspace', 'mlflow'] as const;
export type ModelRegistryKind = (typeof MODEL_REGISTRIES)[number];

/** The workspace-registry stage a promoted version moves to (the pipeline's alias stands for it). */
export const PROMOTION_STAGE = 'Production';
