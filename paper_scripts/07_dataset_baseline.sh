#!/usr/bin/env bash
# Step 7: the dataset's own tonality (training songs), with the same metrics, on its own -- the baseline row
# the generated songs are read against (docs/method.md §4, §7: EDM CMM 2.71, LM 1.39, CENTR 0.20).
source "$(dirname "$0")/common.sh"
$RNNCELLS evaluate --dataset "$WORK/dataset" --out "$WORK/baseline"
column -s, -t < "$WORK/baseline/summary.csv"
