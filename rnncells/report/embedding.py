"""The learned embedding in two dimensions (docs/method.md §5).

Each token (a note or an interval) is placed by the first two principal components of its embedding vector and
labelled, so the tokens the model treats alike can be seen next to each other.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from rnncells.report.figures import figure_style, save_figure


def principal_components(vectors: np.ndarray, n: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """``(points, explained)``: the rows of ``vectors`` on their first ``n`` principal axes, and the share of the
    variance each axis explains."""
    centred = vectors - vectors.mean(axis=0)
    _, singular, axes = np.linalg.svd(centred, full_matrices=False)
    variance = singular**2
    explained = variance[:n] / variance.sum() if variance.sum() > 0 else np.zeros(n)
    return centred @ axes[:n].T, explained


def embedding_figure(vectors: np.ndarray, labels: list[str], title: str) -> Figure:
    """A labelled scatter of the tokens on the first two principal components."""
    points, explained = principal_components(vectors)
    with figure_style():
        figure = Figure(figsize=(7.0, 6.0))
        axes = figure.subplots()
        axes.scatter(points[:, 0], points[:, 1], s=12, color="tab:blue")
        for (x, y), label in zip(points, labels):
            axes.annotate(label, (x, y), fontsize=7, xytext=(2, 2), textcoords="offset points")
        axes.set_xlabel(f"first principal component ({explained[0]:.0%} of the variance)")
        axes.set_ylabel(f"second principal component ({explained[1]:.0%})")
        axes.set_title(title)
    return figure


def embedding_plot(vectors: np.ndarray, labels: list[str], out_path: Path, title: str) -> list[Path]:
    """Draw :func:`embedding_figure` and save it as ``out_path`` .png and .pdf."""
    return save_figure(embedding_figure(vectors, labels, title), out_path)
