"""Make a finished results folder light enough to commit, by the audio policy of :mod:`rnncells.grid.listen`.

Kept: MIDI, CSV, JSON, tables, figures; per selected model the audio of its best and most representative song
(``audio/<model>/song_NNN.ogg``); the TensorBoard projector files of the runs whose embeddings the study report
shows only (rnncells.study.sections.embedding_runs: the selected LSTMs). Removed: every other audio file (WAV
included) and the projector files of the other runs. Nothing removed is a result: ``rnncells grid finish --audio
all`` or ``rnncells render`` renders the audio again from the MIDI files, and a run's projector is written again
when it is trained again. PNG figures are stored with a
256-colour palette (:func:`compress_png`: a third of the bytes, no visible change; each PDF keeps the exact figure).
"""

from __future__ import annotations

import io
import shutil
from pathlib import Path

from PIL import Image

from rnncells.files import write_bytes_atomic
from rnncells.grid.listen import AUDIO_DIR, AUDIO_SUFFIX, ROLES, audio_path, pick_rows
from rnncells.study.grid_folder import GridPaths
from rnncells.study.sections import embedding_runs
from rnncells.training.tensorboard import PROJECTOR_CONFIG


def chosen_runs(paths: GridPaths) -> list[str]:
    """The runs ``selection.json`` chose, every seed's (none when the folder has no selection)."""
    return sorted(paths.selected_runs())


def kept_audio(paths: GridPaths, selected: list[str]) -> set[Path]:
    """The audio files the policy keeps: each selected model's best and most representative song."""
    picks = pick_rows(paths)
    return {
        audio_path(paths, model, int(picks[model][role]["index"]), AUDIO_SUFFIX)
        for model in selected
        for role in ROLES
        if role in picks.get(model, {})
    }


def compress_png(path: Path) -> bool:
    """Store a figure with a palette of 256 colours when that makes it smaller (matplotlib's plots use few colours;
    the mean change is below one level in 255); returns whether the file was rewritten."""
    with Image.open(path) as image:
        if image.mode == "P":
            return False  # already a palette
        opaque = image.mode != "RGBA" or image.getchannel("A").getextrema()[0] == 255
        if opaque:
            palette = image.convert("RGB").quantize(256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
        else:
            palette = image.quantize(256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
    data = io.BytesIO()
    palette.save(data, "PNG", optimize=True)
    if data.tell() >= path.stat().st_size:
        return False
    write_bytes_atomic(path, data.getvalue())
    return True


def compress_figures(folder: Path) -> int:
    """:func:`compress_png` on every PNG below ``folder``; returns how many were rewritten."""
    return sum(compress_png(path) for path in sorted(folder.rglob("*.png")))


def make_light(paths: GridPaths) -> list[Path]:
    """Remove what the module docstring says from ``paths.root``; returns the removed files and folders."""
    selected = chosen_runs(paths)
    keep = kept_audio(paths, selected)
    audio = paths.root / AUDIO_DIR
    removed = [p for p in sorted(audio.rglob("*")) if p.is_file() and p not in keep] if audio.is_dir() else []
    for path in removed:
        path.unlink()
    shown = set(embedding_runs(paths.read_selection())) if selected else set()
    if paths.runs.is_dir() and selected:
        for run in sorted(p for p in paths.runs.iterdir() if p.is_dir() and p.name not in shown):
            for part in (run / "projector", run / PROJECTOR_CONFIG):
                if part.is_dir():
                    shutil.rmtree(part)
                elif part.is_file():
                    part.unlink()
                else:
                    continue
                removed.append(part)
    return removed
