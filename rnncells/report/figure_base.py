"""What every report figure shares: the style, a figure on the Agg canvas, and saving as PNG and PDF.

Figures are built with matplotlib's object API on the Agg canvas (no pyplot, so no global figure state and no
display needed) and every figure is saved twice, as PNG (for screens) and PDF (for papers), each atomically.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from rnncells.errors import RnncellsError
from rnncells.files import write_atomic

PNG_DPI = 200

STYLE = {
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "legend.fontsize": 9,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "pdf.fonttype": 42,  # embed TrueType fonts: journals reject Type 3
    "ps.fonttype": 42,
}


class FigureError(RnncellsError, ValueError):
    """Input a figure cannot be drawn from; the message names the file or value and the fix."""


@contextmanager
def figure_style() -> Iterator[None]:
    """The report's matplotlib settings, for drawing and saving a figure."""
    with matplotlib.rc_context(STYLE):
        yield


def new_figure(width: float, height: float, **subplots) -> tuple[Figure, object]:
    """A figure on the Agg canvas (no pyplot) and its axes."""
    figure = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(figure)
    return figure, figure.subplots(**subplots)


def _output_stem(out_path: Path) -> Path:
    out_path = Path(out_path)
    return out_path.with_suffix("") if out_path.suffix.lower() in (".png", ".pdf") else out_path


FIT_LEGENDS = {"bbox_inches": "tight", "pad_inches": 0.2}  # legends sit outside the axes: keep them in the file


def save_figure(figure: Figure, out_path: Path) -> list[Path]:
    """Save ``figure`` atomically as ``<out_path>.png`` and ``.pdf`` (a .png/.pdf suffix is dropped)."""
    stem = _output_stem(out_path)
    paths = []
    with figure_style():  # the PDF font embedding is read at save time
        for fmt, options in (
            ("png", {"dpi": PNG_DPI, "metadata": {"Software": None}, **FIT_LEGENDS}),
            ("pdf", {"metadata": {"CreationDate": None}, **FIT_LEGENDS}),  # no timestamp: same figure, same bytes
        ):
            path = stem.parent / f"{stem.name}.{fmt}"
            write_atomic(path, lambda tmp, fmt=fmt, options=options: figure.savefig(tmp, format=fmt, **options))
            paths.append(path)
    return paths
