"""Generates jobs/data/churn.csv: a small synthetic customer-churn dataset (run once; the CSV is committed).

2,000 customers with numeric and categorical features. Churn follows a logistic model with real
signal (short tenure, month-to-month contracts, many support calls, high charges and electronic-check
payments raise it) plus label noise, so a good model reaches a validation AUC around 0.8 and a
one-feature model clearly less. Fixed seed: re-running reproduces the file byte for byte.

    python3 jobs/data/make_churn.py            # writes jobs/data/churn.csv next to this script
"""

import csv
import math
import os
import random

SEED = 20240611
ROWS = 2000
CONTRACTS = [("month-to-month", 0.55), ("one-year", 0.25), ("two-year", 0.20)]
PAYMENTS = [("electronic-check", 0.35), ("credit-card", 0.35), ("bank-transfer", 0.30)]


def pick(rng, choices):
    roll = rng.random()
    total = 0.0
    for value, weight in choices:
        total += weight
        if roll < total:
            return value
    return choices[-1][0]


def main():
    rng = random.Random(SEED)
    rows = []
    for index in range(ROWS):
        contract = pick(rng, CONTRACTS)
        payment = pick(rng, PAYMENTS)
        # Longer contracts go with longer tenure.
        base_tenure = {"month-to-month": 14, "one-year": 30, "two-year": 45}[contract]
        tenure = max(1, min(72, int(rng.gauss(base_tenure, 12))))
        monthly = round(max(18.0, min(120.0, rng.gauss(65, 22))), 2)
        support_calls = min(10, int(rng.expovariate(1 / 1.6)))
        senior = 1 if rng.random() < 0.16 else 0
        logit = (
            -1.1
            - 0.045 * (tenure - 24)
            + 0.018 * (monthly - 65)
            + 0.42 * (support_calls - 1.5)
            + {"month-to-month": 0.9, "one-year": -0.3, "two-year": -1.3}[contract]
            + (0.45 if payment == "electronic-check" else 0.0)
            + 0.35 * senior
            + rng.gauss(0, 0.6)  # what the features cannot explain
        )
        churned = 1 if rng.random() < 1 / (1 + math.exp(-logit)) else 0
        rows.append(
            {
                "customer_id": f"C{index + 1:05d}",
                "tenure_months": tenure,
                "monthly_charges": f"{monthly:.2f}",
                "support_calls": support_calls,
                "senior": senior,
                "contract": contract,
                "payment_method": payment,
                "churned": churned,
            }
        )
    target = os.path.join(os.path.dirname(os.path.abspath(__file__)), "churn.csv")
    with open(target, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0].keys()), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    rate = sum(r["churned"] for r in rows) / len(rows)
    print(f"wrote {len(rows)} rows to {target} (churn rate {rate:.3f})")


if __name__ == "__main__":
    main()
