#!/usr/bin/env bash
# The study on the EDM melodies as committed under results/: the pitch-only grid (every run drawn and scored, in paper
# and corrected mode), the cost-function validation of the selected control LSTM, the LSTM/NAS/UGRNN grid (its LSTM
# runs copied from the first grid by content), the rhythm grid at the sizes that fit 2 CPU cores (UNITS, default
# 128-512 units; the published 1024 and 2048 need a GPU), then the report. Every step resumes; run it again after any
# stop. SOURCE defaults to ../shared/data/edm; JOBS to 2. Expect hours on 2 CPU cores (`rnncells grid plan`).
source "$(dirname "$0")/common.sh"
SOURCE="${SOURCE_EDM:-../shared/data/edm}"; JOBS="${JOBS_EDM:-2}"
UNITS="${UNITS:-[128, 256, 512]}"
paper=results/edm-paper; nas=results/edm-nas-ugrnn; rhythm=results/edm-rhythm; study=results/edm-study
$RNNCELLS grid run configs/paper.toml --source "$SOURCE" --out "$paper" --jobs "$JOBS" --all-models
$RNNCELLS evaluate "$paper"/songs/* --dataset "$paper/dataset" --mode corrected --out "$paper/evaluation-corrected"
# the selected control LSTM again, a checkpoint every 30 steps (ten epochs of 3 steps: 250 would give 3 points)
layers=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["control-lstm"]["selected"].rsplit("-", 1)[1])' "$paper/selection.json")
WORK="$paper" LAYERS="$layers" STEPS=30 bash paper_scripts/08_cost_function_validation.sh
$RNNCELLS grid run configs/paper-nas-ugrnn.toml --source "$SOURCE" --out "$nas" --jobs "$JOBS" --all-models --reuse "$paper"
$RNNCELLS grid run configs/paper-rhythm.toml --source "$SOURCE" --out "$rhythm" --jobs "$JOBS" --all-models \
    --set "axes.units=$UNITS"
$RNNCELLS report "$paper" "$nas" "$rhythm" --out "$study"
