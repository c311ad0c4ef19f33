"""Scores customers with the champion model version (a spark_python_task; standard library only).

    score.py --model-name NAME --alias ALIAS --data PATH [--registry-uri databricks-uc|databricks|URL]

Finds the champion the way MLflow's client loads it for each registry (--registry-uri, default
MLFLOW_REGISTRY_URI or "databricks-uc"):
  * databricks-uc: models:/NAME@ALIAS, resolved by GET /api/2.0/mlflow/unity-catalog/registered-models/alias,
    its files read from Unity Catalog's storage (uc_registry.download);
  * databricks: the workspace registry has stages, not aliases: the latest version in stage
    Production (POST registered-models/get-latest-versions), read from its source run's artifacts;
  * an http(s) URL: an open-source MLflow server, GET registered-models/alias, files from the source.
Scores every row and writes {"model_version", "scored", "positive_rate"} as the last line of
LAKELOOP_TASK_OUTPUT.
"""

import argparse
import json
import os
import sys

# The sibling modules (churn_model, mlflow_rest) are imported from this directory; no .pyc files in the repo.
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from churn_model import predict, read_rows  # noqa: E402
import uc_registry  # noqa: E402
from mlflow_rest import Mlflow, write_task_output  # noqa: E402

# The stage Lakeloop promotes to in the workspace registry (src/mlflow/model-registry.ts).
PROMOTION_STAGE = "Production"


def champion_model(mlflow, registry_uri, name, alias):
    """(version, model.json bytes) of the champion."""
    if registry_uri == "databricks-uc":
        version = uc_registry.version_by_alias(mlflow, name, alias)
        return version, uc_registry.download(mlflow, name, version["version"], "model.json")
    if registry_uri == "databricks":
        found = mlflow.call("POST", "registered-models/get-latest-versions", {"name": name, "stages": [PROMOTION_STAGE]})
        versions = found.get("model_versions") or []
        if not versions:
            raise SystemExit(f"{name} has no version in stage {PROMOTION_STAGE}")
        version = versions[0]
    elif registry_uri.startswith(("http://", "https://")):
        version = Mlflow(host=registry_uri, token=mlflow.token).call(
            "GET", "registered-models/alias", {"name": name, "alias": alias}
        )["model_version"]
    else:
        raise SystemExit(f"unsupported --registry-uri {registry_uri!r}")
    return version, mlflow.download_artifact(version["source"], "model.json")


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-name", required=True)
    parser.add_argument("--alias", required=True)
    parser.add_argument("--data", required=True)
    parser.add_argument("--registry-uri", default=os.environ.get("MLFLOW_REGISTRY_URI", "databricks-uc"))
    args = parser.parse_args(argv)

    mlflow = Mlflow()
    version, payload = champion_model(mlflow, args.registry_uri, args.model_name, args.alias)
    model = json.loads(payload)
    rows = read_rows(args.data)
    threshold = model.get("threshold", 0.5)
    positives = sum(1 for row in rows if predict(model, row) >= threshold)
    write_task_output(
        {
            "model_version": str(version["version"]),
            "scored": len(rows),
            "positive_rate": positives / len(rows) if rows else 0.0,
        }
    )


if __name__ == "__main__":
    main(sys.argv[1:])
