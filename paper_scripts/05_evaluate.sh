#!/usr/bin/env bash
# Step 5 (docs/method.md §4): CMM, LM, CENTR and general tonality of every song (music_geometry_eval's definitions),
# mean/variance/std per model, best and most representative songs, Mann-Whitney tests between models, box plots;
# the training songs are scored the same way as the dataset baseline.
source "$(dirname "$0")/common.sh"
$RNNCELLS evaluate "$WORK"/songs/* --dataset "$WORK/dataset" --out "$WORK/evaluation"
