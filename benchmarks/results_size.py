"""What ``results/`` tracks, per folder and per kind of file, and what a three-seed edm-paper would cost.

Reads the sizes of the files git tracks under ``results/`` (``git ls-files``; the working tree's bytes), groups them
by top folder and by kind (MIDI songs, songs.jsonl, generation.json, evaluation tables, per-run figures, run files,
...), and prints each kind's cost per run of the folder named by ``--folder`` (default ``results/edm-paper``).
From these it estimates the folder with ``--seeds`` seeds: kinds that grow with the runs (songs, run files, the
per-song rows of songs.csv, per-run figures) scale with the run count, the song-level tests.csv with the number of
pairs of scored sets, the rest (tables, summary figures, cost validation) stays. ``--policy`` first applies the
light policy of :mod:`rnncells.grid.light` to a copy of the folder (in a temporary directory; ``results/`` is not
touched), so the estimate is of the folder as it would be committed today.

Run: python benchmarks/results_size.py [--folder results/edm-paper] [--seeds 3] [--policy] [--limit-mb 60]
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import tempfile
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MB = 1_000_000
RUN_PART = r"[a-z]+-[a-z]+-\d+(?:-[a-z0-9]+)*"
LIGHT_FIXED = {"figures/best_song_<run>"}  # the light policy keeps these for the selected configurations only
# (kind, pattern on the path inside a results folder, how it grows with seeds: "run", "pairs" or "fixed")
KINDS = (
    ("songs/*.mid", rf"^songs/{RUN_PART}/song_\d+\.mid$", "run"),
    ("songs/*/songs.jsonl", rf"^songs/{RUN_PART}/songs\.jsonl$", "run"),
    ("songs/*/generation.json", rf"^songs/{RUN_PART}/generation\.json$", "run"),
    ("songs/ other sets", r"^songs/", "fixed"),
    ("evaluation*/songs.csv", r"^evaluation[^/]*/songs\.csv$", "run"),
    ("evaluation*/tests.csv", r"^evaluation[^/]*/tests\.csv$", "pairs"),
    ("evaluation*/comparison.csv", r"^evaluation[^/]*/comparison\.csv$", "run"),
    ("evaluation*/summary.csv", r"^evaluation[^/]*/summary\.csv$", "run"),
    ("evaluation*/other per-set tables", r"^evaluation[^/]*/[a-z_]+\.(csv|json)$", "run"),
    ("evaluation*/figures", r"^evaluation[^/]*/figures/", "fixed"),
    ("figures/best_song_<run>", rf"^figures/best_song_{RUN_PART}\.(png|pdf)$", "run"),  # light: "shown"
    ("figures/ other", r"^figures/", "fixed"),
    ("runs/*/events.out.tfevents.*", r"^runs/[^/]+/events\.out\.tfevents\.", "run"),
    ("runs/*/metrics.csv", r"^runs/[^/]+/metrics\.csv$", "run"),
    ("runs/*/projector (TSVs)", r"^runs/[^/]+/(projector/|projector_config\.pbtxt$)", "fixed"),
    ("runs/*/ other", r"^runs/", "run"),
    ("audio", r"^audio/", "fixed"),
    ("cost_validation", r"^cost_validation/", "fixed"),
    ("index.html", r"^index\.html$", "run"),  # lists every run (and its songs), so it grows with them
    ("other (tables, README, selection, ...)", r"", "fixed"),
)


def kind_of(relative: str) -> tuple[str, str]:
    """The kind of a path inside a results folder and how it grows with seeds."""
    for kind, pattern, growth in KINDS:
        if re.search(pattern, relative):
            return kind, growth
    raise AssertionError("the last kind matches everything")


def tracked_sizes() -> dict[str, int]:
    """Every file git tracks under results/ (path relative to the repository -> bytes in the working tree)."""
    names = subprocess.run(
        ["git", "ls-files", "-z", "results"], cwd=REPO, check=True, capture_output=True
    ).stdout.split(b"\0")
    paths = [name.decode() for name in names if name]
    return {path: (REPO / path).stat().st_size for path in paths if (REPO / path).is_file()}


def folder_sizes(folder: Path) -> dict[str, int]:
    """Every file below ``folder`` (path relative to it -> bytes)."""
    return {p.relative_to(folder).as_posix(): p.stat().st_size for p in folder.rglob("*") if p.is_file()}


def by_kind(files: dict[str, int]) -> dict[str, tuple[int, int, str]]:
    """kind -> (bytes, files, growth) for the files of one results folder (paths relative to it)."""
    totals: dict[str, list] = {kind: [0, 0, growth] for kind, _, growth in KINDS}
    for relative, size in files.items():
        kind, _ = kind_of(relative)
        totals[kind][0] += size
        totals[kind][1] += 1
    return {kind: (b, n, growth) for kind, (b, n, growth) in totals.items() if n}


def run_count(files: dict[str, int]) -> int:
    """The trained runs of a results folder: its folders under runs/."""
    return len({relative.split("/")[1] for relative in files if relative.startswith("runs/")})


def seed_count(files: dict[str, int]) -> int:
    """How many seeds the folder's runs have already (their names' ``-seedN``; 1 without replicates)."""
    seeds = {m.group(1) for relative in files if (m := re.search(r"^runs/[^/]*-seed(\d+)", relative))}
    return max(1, len(seeds))


def other_sets(folder: Path, runs: int) -> int:
    """The scored sets of ``folder`` that are no run (dataset, n-gram, cut baselines), from evaluation/tests.csv."""
    tests = folder / "evaluation" / "tests.csv"
    if not tests.is_file():
        return 1
    with open(tests, encoding="utf-8") as handle:
        names = {part for line in list(handle)[1:] for part in line.split(",")[1:3]}
    return max(1, len(names) - runs)


def estimate(kinds: dict[str, tuple[int, int, str]], seeds: float, others: int, family: int, light: bool) -> int:
    """The folder's bytes with ``seeds`` times its runs: per-run kinds scale with the runs, tests.csv with the
    pairs of tested sets (``family`` of them now: its runs and ``others`` baselines; with the light policy only
    the selected configurations' runs and the baselines), the rest stays; so do the light policy's per-run figures,
    drawn for the first seed of each selected configuration only."""
    pairs = family * (family - 1) / 2
    tested = (family - others) * seeds + others
    scale = {"run": seeds, "pairs": tested * (tested - 1) / 2 / max(pairs, 1), "fixed": 1}
    fixed = LIGHT_FIXED if light else set()
    return round(sum(size * scale["fixed" if kind in fixed else growth] for kind, (size, _, growth) in kinds.items()))


def light_copy(folder: Path, scratch: Path) -> Path:
    """A copy of ``folder`` made light by the policy of rnncells.grid.light (as paper_scripts/13 applies it)."""
    from rnncells.grid.light import (
        compact_evaluations,
        compact_run_metrics,
        compact_song_sets,
        compress_figures,
        make_light,
    )
    from rnncells.study.grid_folder import GridPaths

    copy = scratch / folder.name
    shutil.copytree(folder, copy, symlinks=True)
    if (copy / "grid.toml").is_file():
        make_light(GridPaths(copy))
        compact_evaluations(GridPaths(copy))
        compact_song_sets(GridPaths(copy))
        compact_run_metrics(GridPaths(copy))
    compress_figures(copy)
    return copy


def tested_sets(folder: Path) -> int:
    """How many sets tests.csv of ``folder`` tests against each other."""
    tests = folder / "evaluation" / "tests.csv"
    if not tests.is_file():
        return 0
    with open(tests, encoding="utf-8") as handle:
        return len({part for line in list(handle)[1:] for part in line.split(",")[1:3]})


def print_kinds(tracked: dict[str, tuple[int, int, str]], light: dict[str, tuple[int, int, str]], runs: int) -> None:
    print(f"{'kind':42} {'tracked MB':>10} {'light MB':>9} {'files':>6} {'KB/run':>7}  grows with")
    for kind, (size, _, growth) in sorted(tracked.items(), key=lambda item: -item[1][0]):
        lighter, kept, _ = light.get(kind, (0, 0, growth))
        per_run = f"{lighter / runs / 1000:7.1f}" if growth != "fixed" and runs else f"{'':7}"
        grows = f"{growth} (light: fixed)" if kind in LIGHT_FIXED else growth
        print(f"{kind:42} {size / MB:10.3f} {lighter / MB:9.3f} {kept:6d} {per_run}  {grows}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--folder", type=Path, default=Path("results/edm-paper"), help="the folder to estimate")
    parser.add_argument("--seeds", type=int, default=3, help="seeds of every configuration in the estimate")
    parser.add_argument("--limit-mb", type=float, default=60.0, help="what results/ may track (issue 22)")
    args = parser.parse_args()
    sizes = tracked_sizes()
    folders: dict[str, dict[str, int]] = defaultdict(dict)
    for path, size in sizes.items():
        top = "/".join(Path(path).parts[:2])
        folders[top][path[len(top) + 1 :]] = size
    light: dict[str, dict[str, int]] = {}
    with tempfile.TemporaryDirectory() as scratch:
        for top, files in folders.items():
            if (REPO / top).is_dir():
                copy = folder_sizes(light_copy(REPO / top, Path(scratch)))
                light[top] = {relative: size for relative, size in copy.items() if relative in files}
            else:
                light[top] = files
        target = args.folder.as_posix().rstrip("/")
        family = tested_sets(Path(scratch) / Path(target).name)
    total, total_light = sum(sizes.values()), sum(sum(f.values()) for f in light.values())
    print(f"results/ tracks {total / MB:.3f} MB in {len(sizes)} files (limit {args.limit_mb:g} MB); with the light")
    print(f"policy applied to every folder {total_light / MB:.3f} MB ({'folder':>24}: tracked -> light MB)")
    for top, files in sorted(folders.items(), key=lambda item: -sum(item[1].values())):
        print(f"  {top:32} {sum(files.values()) / MB:8.3f} -> {sum(light[top].values()) / MB:8.3f}")
    tracked, lighter = folders[target], light[target]
    runs, others = run_count(tracked), other_sets(REPO / target, run_count(tracked))
    print(f"\n{target}: {runs} runs, {others} other scored sets; per kind (KB/run: light, per trained run)")
    print_kinds(by_kind(tracked), by_kind(lighter), runs)
    factor = args.seeds / seed_count(tracked)  # the folder may hold several seeds already
    before = estimate(by_kind(tracked), factor, others, runs + others, light=False)
    after = estimate(by_kind(lighter), factor, others, family or runs + others, light=True)
    rest, rest_light = total - sum(tracked.values()), total_light - sum(lighter.values())
    print(f"\n{target} with {args.seeds} seeds ({round(runs * factor)} runs, every run's songs scored):")
    as_tracked = "with the other folders as tracked"
    print(f"  today's policy : {before / MB:6.2f} MB; results/ {(rest + before) / MB:6.2f} MB {as_tracked}")
    print(f"  light policy   : {after / MB:6.2f} MB; results/ {(rest + after) / MB:6.2f} MB {as_tracked},")
    print(f"                   {(rest_light + after) / MB:6.2f} MB with the policy applied to every folder")
    print(f"  (limit {args.limit_mb:g} MB)")


if __name__ == "__main__":
    main()
