#!/usr/bin/env bash
# Step 8 (docs/method.md §5): does a lower loss give more tonal songs, or more copying? Train one model again once per
# seed (SEEDS, default "0 1 2") over its whole run with a checkpoint every STEPS steps (the training loss is in each
# file name), draw SONGS songs (default 100, one batch) from each checkpoint with the same primer and sampling seed
# (roulette), score them with memorisation, and plot general tonality against each checkpoint's validation loss (x
# axis), with the training loss beside it: Spearman's rho on the checkpoint means, a block-bootstrap interval.
# The model is VARIANT-CELL-LAYERS (default control-lstm-2, the original experiment's depth; set LAYERS to the depth
# the grid selected); when the grid trained it, its config.toml is used, so only the seed and checkpoints differ.
# Output: $WORK/cost_validation/{run-seedN,songs,evaluation}/ and cost_validation.{csv,tex,json,png,pdf}.
source "$(dirname "$0")/common.sh"
out="$WORK/cost_validation"
variant="${VARIANT:-control}"; cell="${CELL:-lstm}"; layers="${LAYERS:-2}"; epochs="${EPOCHS:-50}"
steps="${STEPS:-250}"; songs="${SONGS:-100}"; seeds="${SEEDS:-0 1 2}"
selected="$WORK/runs/$variant-$cell-$layers/config.toml"
shopt -s nullglob
replicates=( "$WORK/runs/$variant-$cell-$layers"-seed*/config.toml )  # a grid with seeds names its runs -seedN
[ -f "$selected" ] || [ ${#replicates[@]} -eq 0 ] || selected="${replicates[0]}"
runs=()
for seed in $seeds; do
  run="$out/run-seed$seed"
  runs+=( --run "$run" )
  if [ -f "$selected" ]; then
    $RNNCELLS train --dataset "$WORK/dataset" --config "$selected" --seed "$seed" --checkpoint-every-steps "$steps" \
      --keep-checkpoints 100000 --out "$run"
  else
    $RNNCELLS train --dataset "$WORK/dataset" --variant "$variant" --cell "$cell" --layers "$layers" \
      --epochs "$epochs" --seed "$seed" --checkpoint-every-steps "$steps" --keep-checkpoints 100000 --out "$run"
  fi
  checkpoints=( "$run"/checkpoints/step-*.keras )
  if [ ${#checkpoints[@]} -eq 0 ]; then
    echo "no step checkpoints: the run has fewer than $steps steps; set STEPS lower or EPOCHS higher" >&2
    exit 1
  fi
  for checkpoint in "${checkpoints[@]}"; do
    name="seed$seed-$(basename "$checkpoint" .keras)"
    [ -f "$out/songs/$name/generation.json" ] && continue  # resumable: sets already drawn are kept
    $RNNCELLS generate --run "$run" --checkpoint "$checkpoint" --n-songs "$songs" --length 30 --seed 0 \
      --sampling roulette --name "$name" --out "$out/songs/$name" >/dev/null
  done
done
$RNNCELLS evaluate "$out"/songs/* --dataset "$WORK/dataset" --out "$out/evaluation"
$RNNCELLS plot checkpoints "$out/evaluation" "${runs[@]}" --out "$out/cost_validation" --title "$variant-$cell-$layers"
