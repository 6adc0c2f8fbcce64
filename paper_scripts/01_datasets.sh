#!/usr/bin/env bash
# Step 1 (docs/method.md §1): read the corpus, clean it (>= 12 notes), split by song, and write the three dataset
# variants -- control, interval, transposed to 12 keys -- with their vocabularies; print what was built.
source "$(dirname "$0")/common.sh"
$RNNCELLS dataset build --source "$SOURCE" --out "$WORK/dataset"
$RNNCELLS dataset info "$WORK/dataset"
