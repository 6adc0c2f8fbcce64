#!/usr/bin/env bash
# Step 11: check that committed results reproduce. (1) Build the dataset again from SOURCE with the grid's
# [dataset] table and check its content hash against the run record; (2) train RUN again from its committed
# config.toml on the same backend and thread count and compare its metrics.csv with the committed one, every
# column but the wall-clock `seconds` (and the perplexities, exp of the losses, which older files also hold);
# (3) evaluate the committed songs again and compare summary.csv byte for byte.
# RUN defaults to control-rnn-1 (the cheapest run); WORK=results/edm-paper SOURCE=../shared/data/edm.
source "$(dirname "$0")/common.sh"
run="${RUN:-control-rnn-1}"; out="${CHECK:-out/reproduce}"
committed="$WORK/runs/$run"
mkdir -p "$out"
# the grid's own dataset step (same parameters as grid.toml) builds it again, counting steps, training nothing
$RNNCELLS grid plan "$WORK/grid.toml" --source "$SOURCE" --out "$out" --no-measure >/dev/null
variant=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["variant"])' "$committed/run.json")
want=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["dataset_hash"])' "$committed/run.json")
got=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["content_hash"])' "$out/dataset/$variant/manifest.json")
[ "$want" = "$got" ] || { echo "dataset differs: $got, the run was trained on $want" >&2; exit 1; }
echo "dataset: same content ($got)"
# the run's thread count (run.json; runs without it were trained by `grid run --jobs 2` on 2 cores: one thread)
threads=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["versions"].get("threads") or 1)' "$committed/run.json")
$RNNCELLS train --dataset "$out/dataset" --config "$committed/config.toml" --out "$out/$run" --threads "$threads" --quiet
# the wall-clock seconds differ; the perplexities are the exp of the losses (an older metrics.csv also holds them)
without_seconds() { python3 -c 'import csv,sys; rows = list(csv.reader(open(sys.argv[1]))); keep = [i for i, c in enumerate(rows[0]) if c not in ("seconds", "perplexity", "val_perplexity")]; [print(",".join(r[i] for i in keep)) for r in rows]' "$1"; }
if diff <(without_seconds "$committed/metrics.csv") <(without_seconds "$out/$run/metrics.csv") >/dev/null; then
  echo "metrics.csv: the same $(($(wc -l < "$committed/metrics.csv") - 1)) epochs (every column but seconds and the perplexities)"
else
  echo "metrics.csv differs from $committed/metrics.csv" >&2; exit 1
fi
evaluation="${EVALUATION:-evaluation}"
# score them as the evaluation did: its mode, and rhythm-aware where it was
read -ra settings < <(python3 -c 'import json,sys; s = json.load(open(sys.argv[1]))["settings"]; print("--mode", s["mode"], "--rhythm" if s.get("rhythm") else "")' "$WORK/$evaluation/evaluation.json")
# the song sets in the order the evaluation lists them (its rows follow that order); the dataset's splits cut to the
# generated length are no folders: --cut-baselines scores them again, as the grid's evaluation did
mapfile -t sets < <(python3 -c 'import json,sys; [print(i["model_name"]) for i in json.load(open(sys.argv[1]))["inputs"] if i.get("kind") != "dataset-cut"]' "$WORK/$evaluation/evaluation.json")
cut=$(python3 -c 'import json,sys; print("--cut-baselines" if any(i.get("kind") == "dataset-cut" for i in json.load(open(sys.argv[1]))["inputs"]) else "")' "$WORK/$evaluation/evaluation.json")
$RNNCELLS evaluate "${sets[@]/#/$WORK/songs/}" --dataset "$out/dataset" "${settings[@]}" $cut --out "$out/$evaluation" >/dev/null
cmp "$WORK/$evaluation/summary.csv" "$out/$evaluation/summary.csv" && echo "summary.csv: byte for byte the same"
