"""Trains the churn model and logs it to MLflow over REST (a spark_python_task; standard library only).

    train.py --data PATH --experiment NAME [--weak] [--epochs N] [--lr X] [--seed N]
             [--register-model CATALOG.SCHEMA.MODEL] [--registry-uri databricks-uc|databricks|URL]

Logistic regression by full-batch gradient descent on standardised features, an 80/20 train/validation
split (seeded), and validation AUC, accuracy and log-loss. Everything goes to MLflow: the experiment
(created when missing), a run with params, the per-epoch training loss (metric history `train_loss`),
the validation metrics, and the model as the MLflow model directory `model/` (`model.json` and an `MLmodel`
file with a signature, which Unity Catalog requires); the run ends FINISHED (FAILED if anything goes
wrong after it started).

--register-model registers the model in Unity Catalog as MLflow's client does with registry_uri
"databricks-uc" (the default, or MLFLOW_REGISTRY_URI): Databricks registers from training code, and
only a client that has the files can put them into Unity Catalog's storage (see uc_registry.py). Every
candidate becomes a version; the pipeline's gate decides which one gets the alias. With the workspace
registry (--registry-uri databricks) or an open-source MLflow server, Lakeloop's worker registers.

The last line written to LAKELOOP_TASK_OUTPUT is {"mlflow_run_id", "metrics": {"auc", "accuracy",
"log_loss"}, "model_artifact_path": "model"} (+ "registered_model": {"name", "version"} when registered).

--weak deliberately trains a poor model (only monthly_charges, 2 epochs) so a quality gate rejects it.
Deterministic: the same data, flags and seed give the same model and metrics.
"""

import argparse
import hashlib
import json
import os
import sys
import time

# The sibling modules (churn_model, mlflow_rest) are imported from this directory; no .pyc files in the repo.
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from churn_model import evaluate, feature_names, read_rows, split, train  # noqa: E402
import uc_registry  # noqa: E402
from mlflow_rest import Mlflow, write_task_output  # noqa: E402

MODEL_ARTIFACT_PATH = "model"

# An MLmodel file (MLflow's model format) for model.json: the signature lists the encoded features as
# inputs and the churn probability as output, both required by Unity Catalog.
MLMODEL = """artifact_path: {artifact_path}
flavors:
  lakeloop_churn:
    model_file: model.json
    model_type: logistic_regression
run_id: {run_id}
signature:
  inputs: '{inputs}'
  outputs: '[{{"type": "double", "name": "churn_probability", "required": true}}]'
  params: null
utc_time_created: '{created}'
"""


def mlmodel(run_id, names):
    inputs = json.dumps([{"type": "double", "name": n, "required": True} for n in names]).replace("'", "''")
    created = time.strftime("%Y-%m-%d %H:%M:%S.000000", time.gmtime())
    return MLMODEL.format(artifact_path=MODEL_ARTIFACT_PATH, run_id=run_id, inputs=inputs, created=created)


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True)
    parser.add_argument("--experiment", required=True)
    parser.add_argument("--weak", action="store_true")
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--lr", type=float, default=0.5)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--register-model", default=None)
    parser.add_argument("--registry-uri", default=os.environ.get("MLFLOW_REGISTRY_URI", "databricks-uc"))
    args = parser.parse_args(argv)
    if args.register_model and len(args.register_model.split(".")) != 3 and args.registry_uri == "databricks-uc":
        parser.error("--register-model needs a Unity Catalog name, catalog.schema.model")
    if args.epochs is None:
        args.epochs = 2 if args.weak else 200
    if args.epochs < 1 or args.lr <= 0:
        parser.error("--epochs must be at least 1 and --lr positive")
    return args


def file_sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def main(argv):
    args = parse_args(argv)
    rows = read_rows(args.data)
    train_rows, valid_rows = split(rows, args.seed)
    names = feature_names(["monthly_charges"], {}) if args.weak else feature_names()

    mlflow = Mlflow()
    experiment_id = mlflow.experiment_id(args.experiment)
    run = mlflow.create_run(
        experiment_id,
        run_name=f"churn-{'weak' if args.weak else 'full'}-{int(time.time())}",
        # Code and data references, so the run (and the model version registered from it) says exactly
        # what it was trained with: `lakeloop lineage` shows these tags.
        tags={
            "mlflow.source.name": "jobs/train.py",
            "lakeloop.job": "train",
            "lakeloop.code.sha256": file_sha256(__file__),
            "lakeloop.data.path": args.data,
            "lakeloop.data.sha256": file_sha256(args.data),
        },
    )
    run_id = run["info"]["run_id"]
    try:
        losses = []
        model = train(
            train_rows, names, args.epochs, args.lr, on_epoch=lambda epoch, loss: losses.append((epoch, loss))
        )
        metrics = evaluate(model, valid_rows)
        now = int(time.time() * 1000)
        params = {
            "data": os.path.basename(args.data),
            "epochs": args.epochs,
            "lr": args.lr,
            "seed": args.seed,
            "weak": str(args.weak).lower(),
            "features": ",".join(names),
            "n_train": len(train_rows),
            "n_validation": len(valid_rows),
        }
        mlflow.log_batch(
            run_id,
            params=[{"key": k, "value": str(v)} for k, v in params.items()],
            metrics=[{"key": "train_loss", "value": loss, "timestamp": now, "step": epoch} for epoch, loss in losses]
            + [{"key": k, "value": v, "timestamp": now, "step": args.epochs} for k, v in metrics.items()],
        )
        document = dict(model, model_type="logistic_regression", label="churned", threshold=0.5)
        files = {
            "model.json": json.dumps(document, indent=2, sort_keys=True).encode("utf8"),
            "MLmodel": mlmodel(run_id, names).encode("utf8"),
        }
        for relative, data in sorted(files.items()):
            mlflow.upload_artifact(run["info"]["artifact_uri"], f"{MODEL_ARTIFACT_PATH}/{relative}", data)
        mlflow.finish_run(run_id, "FINISHED")
    except BaseException:
        mlflow.finish_run(run_id, "FAILED")
        raise
    result = {"mlflow_run_id": run_id, "metrics": metrics, "model_artifact_path": MODEL_ARTIFACT_PATH}
    if args.register_model and args.registry_uri == "databricks-uc":
        version = uc_registry.register(mlflow, args.register_model, run_id, MODEL_ARTIFACT_PATH, files)
        result["registered_model"] = {"name": version["name"], "version": str(version["version"])}
    write_task_output(result)


if __name__ == "__main__":
    main(sys.argv[1:])
