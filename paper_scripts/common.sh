# Shared settings of the paper scripts (sourced by each; not run on its own).
# SOURCE: your corpus (a folder of monophonic .mid files, or music21:essenFolksong).
# CONFIG: the grid file (configs/paper.toml; configs/paper-nas-ugrnn.toml for the study's own cells).
# WORK:   where everything goes (default out/paper, which git ignores; WORK=results/NAME for results to commit).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
SOURCE="${SOURCE:-music21:essenFolksong}"
CONFIG="${CONFIG:-configs/paper.toml}"
WORK="${WORK:-out/paper}"
JOBS="${JOBS:-1}"
RNNCELLS="${RNNCELLS:-rnncells}"
selected_runs() {  # the runs chosen per (variant, cell) (every seed of the chosen configuration), one per line
  python3 -c 'import json,sys; print("\n".join(r for v in json.load(open(sys.argv[1])).values() if v["selected"] for r in v.get("runs") or [v["selected"]]))' "$WORK/selection.json"
}
passed_over() {  # --leave-out for each configuration selection.json of results folder $1 passed over
  python3 -c 'import json,sys; [print("--leave-out", c) for v in json.load(open(sys.argv[1])).values() for c in sorted(v.get("candidates") or {}) if c != v["selected"]]' "$1/selection.json"
}
