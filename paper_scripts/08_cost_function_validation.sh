#!/usr/bin/env bash
# Step 8 (docs/method.md §5): does a lower cross-entropy give more tonal songs, or more copying? Train one model again
# with a checkpoint every STEPS steps (the loss is in each file name), draw SONGS songs from each checkpoint with the
# same primer and seed (roulette), score them with memorisation, and plot loss against tonality and copying.
# The model is VARIANT-CELL-LAYERS (default control-lstm-2, the original experiment's depth; set LAYERS to the depth
# the grid selected); when the grid trained it, its config.toml is used, so only the checkpoints differ.
# Output: $WORK/cost_validation/{run,songs,evaluation}/ and cost_validation.{csv,tex,png,pdf}.
source "$(dirname "$0")/common.sh"
out="$WORK/cost_validation"
variant="${VARIANT:-control}"; cell="${CELL:-lstm}"; layers="${LAYERS:-2}"; epochs="${EPOCHS:-50}"
steps="${STEPS:-250}"; songs="${SONGS:-1}"
selected="$WORK/runs/$variant-$cell-$layers/config.toml"
if [ -f "$selected" ]; then
  $RNNCELLS train --dataset "$WORK/dataset" --config "$selected" --checkpoint-every-steps "$steps" \
    --keep-checkpoints 100000 --out "$out/run"
else
  $RNNCELLS train --dataset "$WORK/dataset" --variant "$variant" --cell "$cell" --layers "$layers" --epochs "$epochs" \
    --checkpoint-every-steps "$steps" --keep-checkpoints 100000 --out "$out/run"
fi
shopt -s nullglob
checkpoints=( "$out"/run/checkpoints/step-*.keras )
if [ ${#checkpoints[@]} -eq 0 ]; then
  echo "no step checkpoints: the run has fewer than $steps steps; set STEPS lower or EPOCHS higher" >&2
  exit 1
fi
for checkpoint in "${checkpoints[@]}"; do
  name="$(basename "$checkpoint" .keras)"
  [ -f "$out/songs/$name/generation.json" ] && continue  # resumable: sets already drawn are kept
  $RNNCELLS generate --run "$out/run" --checkpoint "$checkpoint" --n-songs "$songs" --length 30 --seed 0 \
    --sampling roulette --name "$name" --out "$out/songs/$name" >/dev/null
done
$RNNCELLS evaluate "$out"/songs/* --dataset "$WORK/dataset" --out "$out/evaluation"
$RNNCELLS plot checkpoints "$out/evaluation" --out "$out/cost_validation" --title "$variant-$cell-$layers"
