#!/usr/bin/env bash
# A Kaggle-style run: kaggle/train.csv and kaggle/test.csv in, submission.csv out.
#
#   examples/kaggle_submission.sh [OUTPUT_DIR] [TIME_BUDGET]
#
# Needs the `automl` command on PATH (activate the virtual environment first).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
OUT="${1:-.}"
BUDGET="${2:-30}"
mkdir -p "$OUT"

# The id column is not a feature: fit leaves it out and predict copies it into the submission.
automl fit "$HERE/kaggle/train.csv" --target species --id-column id \
    --time-budget "$BUDGET" --output "$OUT/model.pkl"
automl predict "$OUT/model.pkl" "$HERE/kaggle/test.csv" --output "$OUT/submission.csv"
head -n 5 "$OUT/submission.csv"
