#!/usr/bin/env bash
# A baseline for a dataset seen for the first time: what works on it, and how well.
#
#   examples/baseline.sh [OUTPUT_DIR] [TIME_BUDGET]
#
# Fits on 75 % of the penguins (body mass as the target), scores the other 25 %, and writes
# OUTPUT_DIR/model.pkl, OUTPUT_DIR/report.html and OUTPUT_DIR/summary.md (also printed).
# Needs the `automl` command on PATH (activate the virtual environment first).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
OUT="${1:-baseline-penguins}"
BUDGET="${2:-30}"

automl baseline "$HERE/penguins.csv" --target body_mass_g --time-budget "$BUDGET" \
    --output "$OUT"
