#!/usr/bin/env bash
# The study on the EDM melodies as committed under results/ (issue 21: replicated). The pitch-only grid with SEEDS
# (default [0, 1, 2]; every run drawn and scored, in paper and corrected mode); the cost-function validation of its
# selected control LSTM (seeds 0-2, a checkpoint every 30 steps, 100 songs each); the LSTM/NAS/UGRNN grid (its LSTM
# runs copied from the first grid by content) with SEEDS for layers 1-3 and the first seed for layers 4-5; the rhythm
# grid at the sizes that fit 2 CPU cores (UNITS, default 128-512 units; the published 1024 and 2048 need a GPU) with
# SEEDS for the six sizes its first seed selected on EDM (RHYTHM_REPLICATED; set it to your corpus's selection); the
# budget grid (control LSTM x 1-5, the rate decayed per 505 steps, early stopping); then the report. Every step
# resumes; run it again after any stop. SOURCE defaults to ../shared/data/edm; JOBS to 2. Expect about 2 hours a
# seed of the pitch-only grid on 2 CPU cores, and as much again for the other grids (`rnncells grid plan`).
source "$(dirname "$0")/common.sh"
SOURCE="${SOURCE_EDM:-../shared/data/edm}"; JOBS="${JOBS_EDM:-2}"
UNITS="${UNITS:-[128, 256, 512]}"; SEEDS="${SEEDS:-[0, 1, 2]}"
RHYTHM_REPLICATED="${RHYTHM_REPLICATED:-["control-gru-1-units256", "control-lstm-1-units256", "interval-gru-1-units512", "interval-lstm-1-units256", "transposed-gru-1-units128", "transposed-lstm-1-units128"]}"
paper=results/edm-paper; nas=results/edm-nas-ugrnn; rhythm=results/edm-rhythm; budget=results/edm-budget
study=results/edm-study
$RNNCELLS grid run configs/paper.toml --source "$SOURCE" --out "$paper" --jobs "$JOBS" --all-models --set "seeds=$SEEDS"
$RNNCELLS evaluate "$paper"/songs/* --dataset "$paper/dataset" --mode corrected --cut-baselines $(passed_over "$paper") \
    --out "$paper/evaluation-corrected"
# the selected control LSTM again, a checkpoint every 30 steps (ten epochs of 3 steps: 250 would give 3 points)
layers=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["control-lstm"]["selected"].rsplit("-", 1)[1])' "$paper/selection.json")
WORK="$paper" LAYERS="$layers" STEPS=30 SONGS=100 SEEDS="0 1 2" bash paper_scripts/08_cost_function_validation.sh
shallow=$(python3 -c 'print(", ".join(f"\"{v}-{c}-{n}\"" for v in ("control", "interval", "transposed") for c in ("lstm", "nas", "ugrnn") for n in (1, 2, 3)))')
$RNNCELLS grid run configs/paper-nas-ugrnn.toml --source "$SOURCE" --out "$nas" --jobs "$JOBS" --all-models --reuse "$paper" \
    --set "seeds=$SEEDS" --set "replicate_configurations=[$shallow]"
$RNNCELLS evaluate "$nas"/songs/* --dataset "$nas/dataset" --mode corrected --cut-baselines $(passed_over "$nas") \
    --out "$nas/evaluation-corrected"
$RNNCELLS grid run configs/paper-rhythm.toml --source "$SOURCE" --out "$rhythm" --jobs "$JOBS" --all-models \
    --set "axes.units=$UNITS" --set "seeds=$SEEDS" --set "replicate_configurations=$RHYTHM_REPLICATED"
$RNNCELLS grid run configs/paper-budget.toml --source "$SOURCE" --out "$budget" --jobs "$JOBS" --all-models
WORK="$budget" LAYERS=1 STEPS=15 SONGS=100 SEEDS="0 1 2" bash paper_scripts/08_cost_function_validation.sh
$RNNCELLS report "$paper" "$nas" "$rhythm" "$budget" --out "$study"
