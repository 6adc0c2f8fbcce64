#!/usr/bin/env bash
# Step 8 (docs/method.md §5): does a lower cross-entropy give more tonal songs? Train one model with a checkpoint every
# 250 steps (STEPS; the loss is in each file name), generate one song per checkpoint with the same primer, and score them.
# Output: $WORK/cost_validation/evaluation/songs.csv, one row per checkpoint (model_name = step and loss).
# LAYERS defaults to 2, the original experiment's depth; set it to the depth the grid selected for control LSTM.
# Every checkpoint is kept (--keep-checkpoints), and every song is drawn with the same primer and seed (roulette).
source "$(dirname "$0")/common.sh"
out="$WORK/cost_validation"
variant="${VARIANT:-control}"; cell="${CELL:-lstm}"; layers="${LAYERS:-2}"; epochs="${EPOCHS:-50}"
steps="${STEPS:-250}"
$RNNCELLS train --dataset "$WORK/dataset" --variant "$variant" --cell "$cell" --layers "$layers" --epochs "$epochs" \
  --checkpoint-every-steps "$steps" --keep-checkpoints 100000 --out "$out/run"
shopt -s nullglob
checkpoints=( "$out"/run/checkpoints/step-*.keras )
if [ ${#checkpoints[@]} -eq 0 ]; then
  echo "no step checkpoints: the run has fewer than $steps steps; set STEPS lower or EPOCHS higher" >&2
  exit 1
fi
for checkpoint in "${checkpoints[@]}"; do
  name="$(basename "$checkpoint" .keras)"
  $RNNCELLS generate --run "$out/run" --checkpoint "$checkpoint" --n-songs 1 --length 30 --seed 0 \
    --sampling roulette --name "$name" --out "$out/songs/$name"
done
$RNNCELLS evaluate "$out"/songs/* --out "$out/evaluation"
