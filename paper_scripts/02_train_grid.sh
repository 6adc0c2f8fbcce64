#!/usr/bin/env bash
# Step 2 (docs/method.md §2): train every run of the grid -- 3 variants x 3 cells x 1-5 layers, 300 epochs (50 for
# transposed) -- then pick the best depth per (variant, cell) by validation loss, generate 100 songs with each,
# evaluate them and write the tables: one resumable command (start it again after a crash).
# On a Slurm cluster use instead: rnncells grid slurm "$CONFIG" --source "$SOURCE" --out "$WORK" --submit --gpus 1
source "$(dirname "$0")/common.sh"
$RNNCELLS grid run "$CONFIG" --source "$SOURCE" --out "$WORK" --jobs "$JOBS"
$RNNCELLS grid status "$CONFIG" --source "$SOURCE" --out "$WORK"
