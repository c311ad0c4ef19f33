"""Trains the churn model and logs it to MLflow over REST (a spark_python_task; standard library only).

    train.py --data PATH --experiment NAME [--weak] [--epochs N] [--lr X] [--seed N]

Logistic regression by full-batch gradient descent on standardised features, an 80/20 train/validation
split (seeded), and validation AUC, accuracy and log-loss. Everything goes to MLflow: the experiment
(created when missing), a run with params, the per-epoch training loss (metric history `train_loss`),
the validation metrics, and the model as the artifact `model/model.json`; the run ends FINISHED (FAILED
if anything goes wrong after it started). The last line written to LAKELOOP_TASK_OUTPUT is
{"mlflow_run_id", "metrics": {"auc", "accuracy", "log_loss"}, "model_artifact_path": "model"}.

--weak deliberately trains a poor model (only monthly_charges, 2 epochs) so a quality gate rejects it.
Deterministic: the same data, flags and seed give the same model and metrics.
"""

import argparse
import json
import os
import sys
import time

# The sibling modules (churn_model, mlflow_rest) are imported from this directory; no .pyc files in the repo.
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from churn_model import evaluate, feature_names, read_rows, split, train  # noqa: E402
from mlflow_rest import Mlflow, write_task_output  # noqa: E402

MODEL_ARTIFACT_PATH = "model"


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True)
    parser.add_argument("--experiment", required=True)
    parser.add_argument("--weak", action="store_true")
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--lr", type=float, default=0.5)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    if args.epochs is None:
        args.epochs = 2 if args.weak else 200
    if args.epochs < 1 or args.lr <= 0:
        parser.error("--epochs must be at least 1 and --lr positive")
    return args


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
        tags={"mlflow.source.name": "jobs/train.py", "lakeloop.job": "train"},
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
        payload = json.dumps(document, indent=2, sort_keys=True).encode("utf8")
        mlflow.upload_artifact(run["info"]["artifact_uri"], f"{MODEL_ARTIFACT_PATH}/model.json", payload)
        mlflow.finish_run(run_id, "FINISHED")
    except BaseException:
        mlflow.finish_run(run_id, "FAILED")
        raise
    write_task_output({"mlflow_run_id": run_id, "metrics": metrics, "model_artifact_path": MODEL_ARTIFACT_PATH})


if __name__ == "__main__":
    main(sys.argv[1:])
