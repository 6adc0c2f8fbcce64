"""The studio's piano roll, drawn with Pillow in a few milliseconds (matplotlib's, the report's, takes half a
second a melody, which the page cannot wait for).

It looks like :func:`rnncells.report.figures.piano_roll_figure`: one row per pitch (black keys shaded, note names
on the left, C4 = 60), faint 16th lines, grey beats, dark bar lines numbered below, the notes as blue bars, and a
title with the note and step counts and the tempo. Drawn at twice the pixels shown, for sharp text on any screen.
"""

from __future__ import annotations

import importlib.util
import io
import math
from functools import cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from rnncells.music.melody import STEPS_PER_BAR, STEPS_PER_QUARTER, note_name

SCALE = 2  # pixels drawn per pixel shown
NOTE_COLOR, NOTE_EDGE = "#3b6fb6", "#1d3d6e"  # the report's piano roll colours
BLACK_KEY_ROW, STEP_LINE, BEAT_LINE, BAR_LINE = "#f0f0f0", "#e2e2e2", "#b0b0b0", "#333333"
BLACK_KEYS = (1, 3, 6, 8, 10)
LEFT, RIGHT, TOP, BOTTOM = 44, 10, 26, 22  # margins, in shown pixels
GRID_WIDTH = 720  # shown pixels the steps share (3 to 40 a step)


@cache
def font(size: int) -> ImageFont.ImageFont:
    """DejaVu Sans (matplotlib's, as in the report's figures) at ``size`` drawn pixels, else Pillow's own."""
    spec = importlib.util.find_spec("matplotlib")
    if spec and spec.submodule_search_locations:
        path = Path(spec.submodule_search_locations[0]) / "mpl-data" / "fonts" / "ttf" / "DejaVuSans.ttf"
        if path.is_file():
            return ImageFont.truetype(str(path), size)
    return ImageFont.load_default(size=size)


def piano_roll_image(
    pitches: list[int], durations: list[int], title: str = "", bpm: float | None = None, flats: bool = False
) -> Image.Image:
    """The piano roll of a melody laid end to end (durations in 16th-note steps; note names with flats when
    ``flats``)."""
    if not pitches or len(pitches) != len(durations) or min(durations) < 1:
        raise ValueError("a piano roll needs notes, each with a duration of at least one step")
    total = sum(durations)
    grid_steps = math.ceil(total / STEPS_PER_BAR) * STEPS_PER_BAR
    low, high = min(pitches) - 1, max(pitches) + 1
    rows = high - low + 1
    step_px = min(40.0, max(3.0, GRID_WIDTH / grid_steps)) * SCALE
    row_px = (14 if rows <= 36 else max(5, 500 // rows)) * SCALE
    left, top = LEFT * SCALE, TOP * SCALE
    width = round(left + grid_steps * step_px + RIGHT * SCALE)
    height = top + rows * row_px + BOTTOM * SCALE
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)

    def y_of(pitch: int) -> int:  # top edge of the pitch's row
        return top + (high - pitch) * row_px

    def x_of(step: float) -> float:
        return left + step * step_px

    label_every = 1 if rows <= 30 else 12
    small = font(9 * SCALE if rows > 20 else 10 * SCALE)
    for pitch in range(low, high + 1):
        if pitch % 12 in BLACK_KEYS:
            draw.rectangle([left, y_of(pitch), width - RIGHT * SCALE, y_of(pitch) + row_px], fill=BLACK_KEY_ROW)
        if label_every == 1 or pitch % 12 == 0:
            label = note_name(pitch, flats)
            draw.text((left - 4 * SCALE, y_of(pitch) + row_px / 2), label, fill="black", font=small, anchor="rm")
    for step in range(grid_steps + 1):
        bar, beat = step % STEPS_PER_BAR == 0, step % STEPS_PER_QUARTER == 0
        if not (bar or beat) and step_px < 4 * SCALE:
            continue  # a 16th grid this dense would only grey the picture
        colour, line = (BAR_LINE, SCALE) if bar else (BEAT_LINE, SCALE) if beat else (STEP_LINE, 1)
        draw.line([x_of(step), top, x_of(step), top + rows * row_px], fill=colour, width=line)
        if bar and step < grid_steps:
            number = str(step // STEPS_PER_BAR + 1)
            draw.text((x_of(step) + 3 * SCALE, top + rows * row_px + 4 * SCALE), number, fill="black", font=small)
    onset = 0
    for pitch, duration in zip(pitches, durations, strict=True):
        box = [
            x_of(onset + 0.05),
            y_of(pitch) + 0.1 * row_px,
            x_of(onset + duration - 0.05),
            y_of(pitch) + 0.9 * row_px,
        ]
        draw.rectangle(box, fill=NOTE_COLOR, outline=NOTE_EDGE, width=SCALE)
        onset += duration
    heading = f"{title or 'Piano roll'}  ({len(pitches)} notes, {total} steps" + (f", {bpm:g} BPM)" if bpm else ")")
    draw.text((width / 2, top / 2), heading, fill="black", font=font(11 * SCALE), anchor="mm")
    return image


def piano_roll_png(
    pitches: list[int], durations: list[int], title: str = "", bpm: float | None = None, flats: bool = False
) -> bytes:
    """:func:`piano_roll_image` as PNG bytes (note names with flats when ``flats``)."""
    buffer = io.BytesIO()
    piano_roll_image(pitches, durations, title, bpm, flats).save(buffer, format="PNG", optimize=False)
    return buffer.getvalue()
