#!/usr/bin/env bash
# Step 10 (docs/method.md §5): the most representative song of every model as WAV (FluidSynth, General MIDI) and as a
# piano roll (PNG, PDF), for listening and for figures.
source "$(dirname "$0")/common.sh"
python3 -c 'import csv,sys; [print(r["model_name"], r["index"]) for r in csv.DictReader(open(sys.argv[1])) if r["model_name"] != "dataset"]' \
  "$WORK/evaluation/representative_songs.csv" | while read -r model index; do
  song="$WORK/songs/$model/$(printf 'song_%03d.mid' "$index")"
  $RNNCELLS render "$song" --wav --png --out "$WORK/listen/$model"
done
