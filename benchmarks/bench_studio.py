"""The studio's Generate button: 4 melodies x 8 bars in F minor with the default model (goal: <= 2 s after the first
request on 2 cores while another process trains; issue 25).

Times what the page does for one request (rnncells.studio.engine.make_melodies: generation and piano rolls, which
the page shows first, then the WAVs through FluidSynth), first with an empty model cache (load and compile), then
``--repeats`` more times with the model kept, changing the seed each time as a producer pressing Generate again
would. The baseline, in the same process, is the studio before: rnncells.generate.generate (a model built and
loaded per request, eager steps), then matplotlib's piano rolls and the WAVs one after another.
Run: python benchmarks/bench_studio.py [--melodies 4] [--bars 8] [--key "F minor"] [--repeats 5]
     [--sampling roulette|beam] [--run DIR]
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

from rnncells.generation.default_model import default_run  # noqa: E402
from rnncells.generation.song_set import SongSetFolder  # noqa: E402
from rnncells.report.audio import render_wav  # noqa: E402
from rnncells.report.figures import piano_roll_figure  # noqa: E402
from rnncells.studio.engine import Models, Request, make_melodies  # noqa: E402
from rnncells.training.run_folder import RunFolder  # noqa: E402


def uncached(request: Request) -> None:
    """The studio's request before the model cache: generate(), then piano rolls and WAVs one by one."""
    from rnncells.generation.generate import generate

    with tempfile.TemporaryDirectory() as work:
        song_set = SongSetFolder(generate(request.run, Path(work) / "songs", request.generate_config()))
        for song in song_set.read_songs():
            figure = piano_roll_figure(song["pitches"], song["durations"], title="Melody", bpm=request.bpm)
            figure.savefig(io.BytesIO(), format="png", dpi=110)
            midi = song_set.midi_path(song["index"])
            render_wav(midi, midi.with_suffix(".wav"))


def timed(action) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--melodies", type=int, default=4)
    parser.add_argument("--bars", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--sampling", default="roulette", choices=("roulette", "beam"))
    parser.add_argument("--run", type=Path, default=None, help="a run folder (default: the default model)")
    parser.add_argument("--key", default="F minor")
    args = parser.parse_args()
    args.run = args.run or default_run()

    temperature = RunFolder(args.run).generation_defaults().get("temperature", 1.0)  # the studio slider's start

    def request(seed: int) -> Request:
        settings = (args.run, args.key, None, 128.0, args.bars, temperature, 81, args.melodies, seed)
        return Request(*settings, scale=None, sampling=args.sampling)

    uncached(request(0))  # imports Keras, matplotlib, music libraries: not counted on either side
    models = Models()
    first = timed(lambda: make_melodies(request(1), models=models))
    warm = [timed(lambda seed=seed: make_melodies(request(seed), models=models)) for seed in range(2, 2 + args.repeats)]
    before = [timed(lambda seed=seed: uncached(request(seed))) for seed in range(2, 2 + args.repeats)]
    silent = [timed(lambda s=s: make_melodies(request(s), with_audio=False, models=models)) for s in (7, 8)]
    print(f"{args.melodies} melodies x {args.bars} bars in {args.key}, {args.sampling}, T {temperature}, ", end="")
    print(f"{os.cpu_count()} cores, run {args.run.name}")
    print(f"first request (model loaded and compiled): {first:6.2f} s")
    rolls = statistics.median(silent)
    print(f"next requests, model kept (median of 2): piano rolls and MIDI on the page after {rolls:.2f} s")
    print(f"  (goal <= 2 s), audio too after {statistics.median(warm):.2f} s (median of {args.repeats})")
    print(f"before the cache (median of {args.repeats}):          {statistics.median(before):6.2f} s")
    print(f"speed-up: {statistics.median(before) / statistics.median(warm):.1f}x; models loaded: {models.loads}")


if __name__ == "__main__":
    main()
