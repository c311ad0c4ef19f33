"""Models in Unity Catalog over REST, the calls MLflow's client makes with registry_uri "databricks-uc"
(standard library only). Paths and order from MLflow 3.17's UcModelRegistryStore and
PresignedUrlArtifactRepository (mlflow/store/_unity_catalog/registry/rest_store.py,
mlflow/store/artifact/presigned_url_artifact_repo.py):

register: POST /api/2.0/mlflow/unity-catalog/registered-models/create (an existing model is fine),
GET runs/get (its x-databricks-org-id header names the workspace that tracked the run),
POST …/model-versions/create {name, source, run_id, run_tracking_server_id} (PENDING_REGISTRATION),
GET …/registered-models:is-databricks-sdk-models-artifact-repository-enabled, then either the Files
API at /Models/<catalog>/<schema>/<model>/<version>/… or
POST …/model-versions/generate-temporary-credentials; with storage_mode DEFAULT_STORAGE each file goes
to a presigned URL from POST /api/2.0/fs/create-upload-url; finally POST …/model-versions/finalize
(READY). Storage in the customer's own cloud account answers with cloud keys (AWS/Azure/GCP), which
need MLflow's client and the cloud SDKs: this module says so rather than guess.

download: GET …/registered-models/alias resolves models:/<name>@<alias>; the files come back the same
way (Files API, or READ credentials and POST /api/2.0/fs/create-download-url).
"""

import urllib.parse

from mlflow_rest import MlflowError

UC = "/api/2.0/mlflow/unity-catalog"
FS = "/api/2.0/fs"


def _sdk_files_enabled(mlflow):
    try:
        answer = mlflow.call(
            "GET", "registered-models:is-databricks-sdk-models-artifact-repository-enabled", {}, prefix=UC
        )
    except MlflowError:
        # MLflow's client treats a failed check as "not enabled" too (utils/_unity_catalog_utils.py).
        return False
    return bool(answer.get("is_databricks_sdk_models_artifact_repository_enabled"))


def _version_root(name, version):
    return "/Models/" + "/".join(urllib.parse.quote(p, safe="") for p in name.split(".")) + f"/{version}"


def _require_default_storage(credentials, name, version):
    if credentials.get("storage_mode") != "DEFAULT_STORAGE":
        raise SystemExit(
            f"{name} version {version} lives in cloud storage that needs temporary cloud credentials; "
            "register it with MLflow's client (mlflow.register_model) and the cloud SDK it needs"
        )


def register(mlflow, name, run_id, artifact_path, files):
    """Registers `files` ({relative path: bytes}, an MLflow model directory) from runs:/<run_id>/<artifact_path>
    as a new version of `name` (catalog.schema.model); returns the finalized model_version."""
    try:
        mlflow.call("POST", "registered-models/create", {"name": name}, prefix=UC)
    except MlflowError as error:
        if error.error_code not in ("RESOURCE_ALREADY_EXISTS", "ALREADY_EXISTS"):
            raise
    run, headers = mlflow.get_run_with_headers(run_id)
    body = {"name": name, "source": run["info"]["artifact_uri"].rstrip("/") + "/" + artifact_path, "run_id": run_id}
    workspace_id = headers.get("x-databricks-org-id")
    if workspace_id:
        body["run_tracking_server_id"] = workspace_id
    version = mlflow.call("POST", "model-versions/create", body, prefix=UC)["model_version"]["version"]
    root = _version_root(name, version)
    if _sdk_files_enabled(mlflow):
        for relative, data in sorted(files.items()):
            mlflow._send(
                "PUT",
                FS + "/files" + root + "/" + relative,
                body=data,
                content_type="application/octet-stream",
                query={"overwrite": "true"},
            )
    else:
        credentials = mlflow.call(
            "POST",
            "model-versions/generate-temporary-credentials",
            {"name": name, "version": version, "operation": "MODEL_VERSION_OPERATION_READ_WRITE"},
            prefix=UC,
        )["credentials"]
        _require_default_storage(credentials, name, version)
        for relative, data in sorted(files.items()):
            target = mlflow.call("POST", "create-upload-url", {"path": f"{root}/{relative}"}, prefix=FS)
            mlflow.presigned_request("PUT", target["url"], target.get("headers"), data, relative)
    return mlflow.call("POST", "model-versions/finalize", {"name": name, "version": version}, prefix=UC)[
        "model_version"
    ]


def version_by_alias(mlflow, name, alias):
    """The model_version models:/<name>@<alias> resolves to."""
    return mlflow.call("GET", "registered-models/alias", {"name": name, "alias": alias}, prefix=UC)["model_version"]


def download(mlflow, name, version, relative):
    """The bytes of one file of a model version."""
    root = _version_root(name, version)
    if _sdk_files_enabled(mlflow):
        return mlflow._send("GET", FS + "/files" + root + "/" + relative)
    credentials = mlflow.call(
        "POST",
        "model-versions/generate-temporary-credentials",
        {"name": name, "version": str(version), "operation": "MODEL_VERSION_OPERATION_READ"},
        prefix=UC,
    )["credentials"]
    _require_default_storage(credentials, name, version)
    target = mlflow.call("POST", "create-download-url", {"path": f"{root}/{relative}"}, prefix=FS)
    return mlflow.presigned_request("GET", target["url"], target.get("headers"), None, relative)
