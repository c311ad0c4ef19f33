"""Scores customers with the model version an alias points at (a spark_python_task; standard library only).

    score.py --model-name NAME --alias ALIAS --data PATH

Resolves the alias over MLflow REST (GET registered-models/alias), downloads `model.json` from the
version's source (e.g. mlflow-artifacts:/1/<run>/artifacts/model), scores every row, and writes
{"model_version", "scored", "positive_rate"} as the last line of LAKELOOP_TASK_OUTPUT.
"""

import argparse
import json
import os
import sys

# The sibling modules (churn_model, mlflow_rest) are imported from this directory; no .pyc files in the repo.
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from churn_model import predict, read_rows  # noqa: E402
from mlflow_rest import Mlflow, write_task_output  # noqa: E402


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-name", required=True)
    parser.add_argument("--alias", required=True)
    parser.add_argument("--data", required=True)
    args = parser.parse_args(argv)

    mlflow = Mlflow()
    version = mlflow.call("GET", "registered-models/alias", {"name": args.model_name, "alias": args.alias})[
        "model_version"
    ]
    model = json.loads(mlflow.download_artifact(version["source"], "model.json"))
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
