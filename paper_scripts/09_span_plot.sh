#!/usr/bin/env bash
# Step 9 (docs/method.md §5): LM and CENTR of one song for window sizes 5-29 -- how the window choice (12) moves the
# metrics. Uses the most representative song of the first selected model unless SONG=path/to/song.mid is given.
source "$(dirname "$0")/common.sh"
if [ -z "${SONG:-}" ]; then
  read -r model index < <(python3 -c 'import csv,sys; r=next(csv.DictReader(open(sys.argv[1]))); print(r["model_name"], r["index"])' "$WORK/evaluation/representative_songs.csv")
  SONG="$WORK/songs/$model/$(printf 'song_%03d.mid' "$index")"
fi
$RNNCELLS plot span "$SONG" --out "$WORK/figures/span_$(basename "$SONG" .mid)"
