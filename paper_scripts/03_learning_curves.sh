#!/usr/bin/env bash
# Step 3: learning curves per (variant, cell), the figure the study chose depths from; also prints the
# TensorBoard command for the same curves, and the selection with its reasons (selection.json).
source "$(dirname "$0")/common.sh"
for variant in control interval transposed; do
  for cell in lstm gru rnn nas ugrnn; do
    runs=( "$WORK"/runs/"$variant-$cell"-* )
    [ -d "${runs[0]}" ] || continue
    $RNNCELLS plot curves "${runs[@]}" --out "$WORK/figures/curves_${variant}_${cell}"
  done
done
echo "tensorboard --logdir $WORK/runs   (scalars per run: loss, accuracy, perplexity)"
python3 -m json.tool "$WORK/selection.json"
