#!/usr/bin/env bash
# Step 13: make committed results folders portable and light, without training, generating or scoring anything.
# (1) every record (run.json, config.toml, generation.json, evaluation.json, grid.toml, history.jsonl,
# reused.json, ...) under RESULTS gets relative paths instead of the absolute paths of the machine that wrote it
# (rnncells.grid.portable); (2) each grid results folder keeps, of its audio, the best and most representative song
# of each selected model, the projector files of its selected runs only, no TensorBoard event files, the per-run
# piano rolls of the shown run of each selected configuration only, evaluation tables with 7 significant digits,
# song-level tests within the test family, no column an evaluation-<mode>/songs.csv repeats from evaluation/ and
# no songs.csv column that follows from one it keeps (a model's variant, cell, layers; a song's file);
# song sets without the tokens, durations and onsets a reader derives again, run metrics without the perplexity
# columns (exp of the losses); every PNG figure is stored with a 256-colour palette (rnncells.grid.light);
# (3) each grid's index.html is written
# again from its folder (`rnncells grid index`). RESULTS defaults to results.
# Afterwards: git add -A results; a git grep for absolute paths under results finds none.
source "$(dirname "$0")/common.sh"
results="${RESULTS:-results}"
PYTHON="${PYTHON:-python3}"
"$PYTHON" - "$results" <<'PY'
import sys
from pathlib import Path

from rnncells.grid.light import (
    compact_evaluations,
    compact_run_metrics,
    compact_song_sets,
    compress_figures,
    make_light,
)
from rnncells.study.grid_folder import GridPaths
from rnncells.grid.portable import make_records_portable

results = Path(sys.argv[1])
print(f"{len(make_records_portable(results))} records made relative under {results}")
for folder in sorted(p for p in results.iterdir() if (p / "grid.toml").is_file()):
    print(f"{folder}: {len(make_light(GridPaths(folder)))} audio, projector, event and figure files removed")
    print(f"{folder}: {len(compact_evaluations(GridPaths(folder)))} evaluation tables made compact")
    print(f"{folder}: {len(compact_song_sets(GridPaths(folder)))} song sets made compact")
    print(f"{folder}: {len(compact_run_metrics(GridPaths(folder)))} metrics.csv files without perplexity columns")
for folder in sorted(p for p in results.iterdir() if p.is_dir()):
    print(f"{folder}: {compress_figures(folder)} PNG figures stored with a 256-colour palette")
PY
for folder in "$results"/*/; do
  if [ -f "$folder/grid.toml" ] && [ -f "$folder/selection.json" ]; then
    $RNNCELLS grid index "$folder/grid.toml" --out "${folder%/}"
  fi
done
