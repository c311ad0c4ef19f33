"""The churn model shared by train.py and score.py: reading the CSV, encoding features, logistic
regression by full-batch gradient descent, and the metrics. Standard library only, deterministic."""

import csv
import math
import random

NUMERIC = ["tenure_months", "monthly_charges", "support_calls", "senior"]
CATEGORICAL = {
    "contract": ["month-to-month", "one-year", "two-year"],
    "payment_method": ["electronic-check", "credit-card", "bank-transfer"],
}
LABEL = "churned"


def read_rows(path):
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def feature_names(numeric=None, categorical=None):
    """Encoded names: numeric columns as is, categories as `column=value` (one-hot, first level dropped)."""
    numeric = NUMERIC if numeric is None else numeric
    categorical = CATEGORICAL if categorical is None else categorical
    names = list(numeric)
    for column, levels in categorical.items():
        names.extend(f"{column}={level}" for level in levels[1:])
    return names


def encode(row, names):
    values = []
    for name in names:
        if "=" in name:
            column, level = name.split("=", 1)
            values.append(1.0 if row[column] == level else 0.0)
        else:
            values.append(float(row[name]))
    return values


def split(rows, seed, validation_fraction=0.2):
    shuffled = list(rows)
    random.Random(seed).shuffle(shuffled)
    cut = int(len(shuffled) * (1 - validation_fraction))
    return shuffled[:cut], shuffled[cut:]


def standardisation(matrix):
    columns = list(zip(*matrix))
    means = [sum(c) / len(c) for c in columns]
    stds = []
    for column, mean in zip(columns, means):
        variance = sum((v - mean) ** 2 for v in column) / len(column)
        stds.append(math.sqrt(variance) or 1.0)
    return means, stds


def standardise(vector, means, stds):
    return [(v - m) / s for v, m, s in zip(vector, means, stds)]


def sigmoid(z):
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def predict(model, row):
    x = standardise(encode(row, model["feature_names"]), model["means"], model["stds"])
    return sigmoid(model["bias"] + sum(w * v for w, v in zip(model["weights"], x)))


def train(rows, names, epochs, lr, l2=0.001, on_epoch=None):
    """Full-batch gradient descent on the mean log-loss; returns the model dict."""
    matrix = [encode(r, names) for r in rows]
    labels = [float(r[LABEL]) for r in rows]
    means, stds = standardisation(matrix)
    xs = [standardise(v, means, stds) for v in matrix]
    weights = [0.0] * len(names)
    bias = 0.0
    n = len(xs)
    for epoch in range(epochs):
        grad_w = [0.0] * len(names)
        grad_b = 0.0
        loss = 0.0
        for x, y in zip(xs, labels):
            p = sigmoid(bias + sum(w * v for w, v in zip(weights, x)))
            error = p - y
            grad_b += error
            for i, v in enumerate(x):
                grad_w[i] += error * v
            loss += log_loss_term(y, p)
        weights = [w - lr * (g / n + l2 * w) for w, g in zip(weights, grad_w)]
        bias -= lr * grad_b / n
        if on_epoch:
            on_epoch(epoch, loss / n)
    return {"feature_names": names, "weights": weights, "bias": bias, "means": means, "stds": stds}


def log_loss_term(y, p, eps=1e-12):
    p = min(max(p, eps), 1 - eps)
    return -(y * math.log(p) + (1 - y) * math.log(1 - p))


def auc(labels, scores):
    """Area under the ROC curve: the Mann-Whitney statistic, ties counted as half."""
    pairs = sorted(zip(scores, labels))
    rank_sum = 0.0
    i = 0
    while i < len(pairs):
        j = i
        while j < len(pairs) and pairs[j][0] == pairs[i][0]:
            j += 1
        average_rank = (i + 1 + j) / 2  # ranks i+1..j share their mean
        rank_sum += average_rank * sum(1 for k in range(i, j) if pairs[k][1] == 1)
        i = j
    positives = sum(1 for y in labels if y == 1)
    negatives = len(labels) - positives
    if positives == 0 or negatives == 0:
        return float("nan")
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


def evaluate(model, rows):
    labels = [int(r[LABEL]) for r in rows]
    scores = [predict(model, r) for r in rows]
    accuracy = sum(1 for y, p in zip(labels, scores) if (p >= 0.5) == (y == 1)) / len(rows)
    loss = sum(log_loss_term(y, p) for y, p in zip(labels, scores)) / len(rows)
    return {"auc": auc(labels, scores), "accuracy": accuracy, "log_loss": loss}
