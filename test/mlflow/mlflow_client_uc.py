"""MLflow's own Python client against the emulator, as a Databricks user's code points it at a workspace.

    DATABRICKS_HOST=… DATABRICKS_TOKEN=… python mlflow_client_uc.py SCHEMA

tracking_uri="databricks", registry_uri="databricks-uc": log a run with a model directory (an MLmodel
file with a signature, which Unity Catalog requires, and model.json), list its artifacts, search runs,
register it as main.<SCHEMA>.churn, set the alias "champion", and download models:/…@champion. Each
check raises on a mismatch; the last line printed is a JSON summary the Jest test reads.
"""

import json
import os
import sys
import tempfile

import mlflow
from databricks.sdk import WorkspaceClient
from mlflow import MlflowClient

MLMODEL = """artifact_path: model
flavors:
  lakeloop_churn:
    model_file: model.json
mlflow_version: {version}
run_id: {run_id}
signature:
  inputs: '[{{"type": "double", "name": "tenure_months", "required": true}}]'
  outputs: '[{{"type": "double", "name": "churn_probability", "required": true}}]'
  params: null
utc_time_created: '2026-01-01 00:00:00.000000'
"""


def check(condition, message):
    if not condition:
        raise AssertionError(message)


def main(schema):
    mlflow.set_tracking_uri("databricks")
    mlflow.set_registry_uri("databricks-uc")
    client = MlflowClient()
    WorkspaceClient().schemas.create(name=schema, catalog_name="main")
    name = f"main.{schema}.churn"

    experiment = mlflow.set_experiment(f"/Shared/lakeloop/{schema}")
    with mlflow.start_run(run_name="mlflow-client-uc") as run:
        run_id = run.info.run_id
        mlflow.log_param("epochs", "200")
        mlflow.log_metric("auc", 0.81)
        model_dir = tempfile.mkdtemp()
        weights = json.dumps({"weights": [0.25, -1.5], "bias": 0.1}, sort_keys=True).encode()
        with open(os.path.join(model_dir, "model.json"), "wb") as handle:
            handle.write(weights)
        with open(os.path.join(model_dir, "MLmodel"), "w") as handle:
            handle.write(MLMODEL.format(version=mlflow.__version__, run_id=run_id))
        mlflow.log_artifacts(model_dir, "model")
    check(run.info.artifact_uri.startswith("dbfs:/databricks/mlflow-tracking/"), run.info.artifact_uri)

    top = [(f.path, f.is_dir) for f in client.list_artifacts(run_id)]
    check(top == [("model", True)], f"list_artifacts(run) = {top}")
    inside = sorted((f.path, f.file_size) for f in client.list_artifacts(run_id, "model"))
    check([p for p, _ in inside] == ["model/MLmodel", "model/model.json"], f"list_artifacts(model) = {inside}")
    check(dict(inside)["model/model.json"] == len(weights), f"file_size of model.json: {inside}")

    found = mlflow.search_runs(experiment_ids=[experiment.experiment_id], filter_string="metrics.auc > 0.8")
    check(list(found["run_id"]) == [run_id], f"search_runs(metrics.auc > 0.8) = {list(found['run_id'])}")
    none = client.search_runs([experiment.experiment_id], filter_string="params.epochs = '1'")
    check(len(none) == 0, f"search_runs(params.epochs = '1') found {len(none)}")

    version = mlflow.register_model(f"runs:/{run_id}/model", name)
    check(version.version == "1" and version.status == "READY", f"registered {version}")
    check(version.run_id == run_id, f"version run_id {version.run_id}")
    client.set_registered_model_alias(name, "champion", version.version)
    champion = client.get_model_version_by_alias(name, "champion")
    check(champion.version == "1" and "champion" in champion.aliases, f"champion {champion}")

    local = mlflow.artifacts.download_artifacts(f"models:/{name}@champion")
    with open(os.path.join(local, "model.json"), "rb") as handle:
        downloaded = handle.read()
    check(downloaded == weights, "the champion's model.json differs from the logged one")
    print(
        json.dumps(
            {
                "run_id": run_id,
                "experiment_id": experiment.experiment_id,
                "model": name,
                "version": version.version,
                "files": sorted(os.listdir(local)),
                "source": version.source,
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1])
