#!/usr/bin/env bash
# Step 4 (docs/method.md §3): 100 songs of 30 sampled notes with each selected model, all songs of a model in one
# batched pass, the study's primer (60 62 64 62; interval 60 2 2 -2), seeded; MIDI + songs.jsonl per model.
source "$(dirname "$0")/common.sh"
for run in $(selected_runs); do
  $RNNCELLS generate --run "$WORK/runs/$run" --out "$WORK/songs/$run" --n-songs 100 --length 30 --seed 0 --name "$run"
done
