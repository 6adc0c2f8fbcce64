"""The sets a grid scores beside its selected models: the n-gram baselines and the selected runs' final weights.

- :func:`generate_baselines`: one n-gram per variant of ``[baseline] ngram_variants`` that the dataset has
  (rnncells.generation.baseline), as ``songs/<variant>-ngram-<order>``;
- :func:`generate_final_songs`: with ``score_final_weights = true``, each selected run's songs from its final
  weights (checkpoints/last.keras, the published study's choice) as ``songs/<run>-final``, while the tables' models
  sample the best-validation weights.

Both use the grid's ``[generate]`` settings and keep a set already written with them. Both are off by default, so
a grid file written before them (configs/quick.toml) gives the same results; the study's grid files turn them on.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

from rnncells.generation.song_set import FINAL_WEIGHTS_SUFFIX, SongSetFolder
from rnncells.grid.config import GridConfig
from rnncells.study.grid_folder import GridPaths


def generate_final_songs(
    grid: GridConfig, paths: GridPaths, selected: list[str], say: Callable[[str], None]
) -> list[Path]:
    """Songs of each selected run's final weights (checkpoints/last.keras, the published study's choice) as the set
    ``<run>-final``, beside its best-validation songs; an archived run without weights is left out, and said so."""
    from rnncells.generation.generate import generate

    folders = []
    for name in selected:
        folder = paths.songs / f"{name}{FINAL_WEIGHTS_SUFFIX}"
        if SongSetFolder(folder).made_with(grid.generate) and not SongSetFolder(folder).damage():
            folders.append(folder)
            continue
        if not paths.run_folder(name).named_checkpoint("last").is_file():
            say(f"{name}: no final weights here (an archived run); its final-weights songs are not scored")
            continue
        settings = dataclasses.replace(grid.generate, overwrite=True)
        folders.append(generate(paths.runs / name, folder, settings, checkpoint="last", name=folder.name))
    return folders


def generate_baselines(grid: GridConfig, paths: GridPaths) -> list[Path]:
    """The n-gram baseline of each variant in ``[baseline] ngram_variants`` that the dataset has, with the grid's
    sampling settings (rnncells.generation.baseline); a set already written with the same settings is kept."""
    from rnncells.generation.baseline import fit_ngram, generate_ngram, ngram_name

    folders = []
    for variant in grid.baseline.ngram_variants:
        if variant not in grid.dataset.variants:
            continue
        model, _, _ = fit_ngram(paths.dataset, variant, grid.baseline.max_order)  # milliseconds: its order names it
        folder = paths.songs / ngram_name(variant, model.order)
        if not (SongSetFolder(folder).made_with(grid.generate) and not SongSetFolder(folder).damage()):
            settings = dataclasses.replace(grid.generate, overwrite=True)
            generate_ngram(paths.dataset, variant, folder, settings, grid.baseline.max_order)
        folders.append(folder)
    return folders
