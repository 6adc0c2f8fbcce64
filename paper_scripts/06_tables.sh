#!/usr/bin/env bash
# Step 6 (docs/method.md §4, §11): the study's LaTeX tables (mean, variance, std, mean ± std with \multirow, best
# songs, most representative songs, dataset baseline, the published anchors) and tables.pdf via pdflatex.
source "$(dirname "$0")/common.sh"
$RNNCELLS tables "$WORK/evaluation" --out "$WORK/tables"
