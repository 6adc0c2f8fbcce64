"""A results folder made light: the selected models' best and representative audio and projectors stay, the rest
goes."""

from __future__ import annotations

import json

from rnncells.grid.light import make_light
from rnncells.training.tensorboard import PROJECTOR_CONFIG
from tests.grid.test_grid_listen import MODELS, evaluated, pick_files, results  # noqa: F401 (fixtures)


def test_only_the_picks_audio_and_the_selected_projectors_stay(results):  # noqa: F811
    grid, paths = results
    (paths.root / "selection.json").write_text(json.dumps({"control-lstm": {"selected": MODELS[0]}}))
    for model in MODELS:
        for index in range(4):
            for suffix in (".ogg", ".wav"):
                path = paths.root / "audio" / model / f"song_{index:03d}{suffix}"
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(b"audio")
    for name in ("control-lstm-1", "control-lstm-2"):
        (paths.runs / name / "projector").mkdir(parents=True)
        (paths.runs / name / "projector" / "vectors.tsv").write_text("0.1\t0.2\n")
        (paths.runs / name / PROJECTOR_CONFIG).write_text("embeddings {}\n")
    removed = make_light(paths)
    kept = {p.relative_to(paths.root).as_posix() for p in (paths.root / "audio").rglob("*") if p.is_file()}
    assert kept == {name for name in pick_files(paths) if name.startswith(f"audio/{MODELS[0]}/")}
    assert 1 <= len(kept) <= 2 and len(removed) == 16 - len(kept) + 2
    assert (paths.runs / "control-lstm-1" / "projector" / "vectors.tsv").is_file()
    assert not (paths.runs / "control-lstm-2" / "projector").exists()
    assert not (paths.runs / "control-lstm-2" / PROJECTOR_CONFIG).exists()
    assert make_light(paths) == []
