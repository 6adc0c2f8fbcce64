"""Run a whole grid locally: dataset -> every training run (N processes) -> selection -> generation ->
evaluation -> tables and figures -> an index page. Every step is resumable.

Results folder (``OUT``)::

    grid.toml              the resolved grid
    dataset/               the dataset variants (reused when its parameters match)
    runs/<name>/           one run folder per training run (see rnncells.train)
    registry/<name>.json   the run's status: pending, running, done or failed; attempts; last error; pid
    logs/<name>.log        the run's training output
    selection.json         the run chosen per (variant, cell) and why
    songs/<model>/         generated songs of each selected model
    evaluation/            per-song metrics, statistics, tests (rnncells.evaluate)
    tables/                the LaTeX tables and tables.pdf
    figures/               box plots, learning curves, piano rolls, span plot
    index.html             everything above, linked

A grid started again after a crash or SIGKILL skips finished runs, resumes unfinished ones from their last
epoch (the trainer's own resume), retries failed ones (``retries`` more attempts per start) and lists those that
still fail; later steps reuse what they already wrote.
"""

from __future__ import annotations

import dataclasses
import html
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

from rnncells.config import GridConfig, to_toml
from rnncells.files import remove_stale_temp_files, write_json_atomic, write_text_atomic
from rnncells.grid.plan import PlannedRun, plan_runs

STATUSES = ("pending", "running", "done", "failed")


@dataclass(frozen=True)
class GridPaths:
    """Where a grid writes each of its outputs (module docstring)."""

    root: Path

    @property
    def dataset(self) -> Path:
        return self.root / "dataset"

    @property
    def runs(self) -> Path:
        return self.root / "runs"

    @property
    def registry(self) -> Path:
        return self.root / "registry"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def songs(self) -> Path:
        return self.root / "songs"

    @property
    def evaluation(self) -> Path:
        return self.root / "evaluation"

    @property
    def tables(self) -> Path:
        return self.root / "tables"

    @property
    def figures(self) -> Path:
        return self.root / "figures"


def grid_paths(grid: GridConfig, out: str | Path | None = None) -> GridPaths:
    """The results folder: ``out``, else the grid's ``out``, else ``results/<grid name>``."""
    return GridPaths(Path(out or grid.out or Path("results") / grid.name))


# -- registry ------------------------------------------------------------------------------------------------


def read_registry(paths: GridPaths, run: PlannedRun) -> dict:
    """The run's registry entry (a fresh ``pending`` entry if it has none)."""
    path = paths.registry / f"{run.name}.json"
    if path.is_file():
        return json.loads(path.read_text(encoding="utf-8"))
    return {"status": "pending", "attempts": 0, "error": None, "pid": None}


def write_registry(paths: GridPaths, run: PlannedRun, **changes) -> dict:
    entry = {**read_registry(paths, run), **changes}
    write_json_atomic(paths.registry / f"{run.name}.json", entry)
    return entry


def epochs_done(paths: GridPaths, run: PlannedRun) -> int:
    state = paths.runs / run.name / "state.json"
    try:
        return json.loads(state.read_text())["epochs_done"] if state.is_file() else 0
    except (json.JSONDecodeError, KeyError):
        return 0


def is_finished(paths: GridPaths, run: PlannedRun) -> bool:
    """True once the run has trained all its epochs (however it was run: here or as a Slurm task)."""
    return epochs_done(paths, run) >= run.train.epochs


def best_score(paths: GridPaths, run: PlannedRun) -> float | None:
    """The run's best validation loss (its training loss when it has no validation split)."""
    state = paths.runs / run.name / "state.json"
    return json.loads(state.read_text())["best_val_loss"] if state.is_file() else None


def _stop_orphan(pid: int | None, run_dir: Path) -> None:
    """A trainer left running by a killed grid would write into the same folder: stop it first."""
    if not pid:
        return
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return
    if str(run_dir) not in command:
        return
    os.kill(pid, signal.SIGTERM)
    for _ in range(100):
        if not Path(f"/proc/{pid}").exists():
            return
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)


# -- steps ---------------------------------------------------------------------------------------------------


def prepare_dataset(grid: GridConfig, paths: GridPaths, progress: bool = True) -> Path:
    """Build the grid's dataset, or reuse the one in the results folder when its parameters match."""
    from rnncells.data.build import build_dataset

    summary = paths.dataset / "dataset.json"
    if summary.is_file():
        built = json.loads(summary.read_text(encoding="utf-8"))
        variants_present = all((paths.dataset / v / "manifest.json").is_file() for v in grid.dataset.variants)
        if built.get("parameters") == asdict(grid.dataset) and variants_present:
            return paths.dataset
    build_dataset(grid.dataset, paths.dataset, progress=progress)
    return paths.dataset


def train_command(run: PlannedRun, paths: GridPaths) -> list[str]:
    """The command line that trains (or resumes) one run."""
    return [
        sys.executable,
        "-m",
        "rnncells.cli",
        *run.train_arguments(paths.dataset.resolve(), (paths.runs / run.name).resolve()),
    ]


def _train_one(run: PlannedRun, paths: GridPaths, retries: int) -> dict:
    entry = read_registry(paths, run)
    _stop_orphan(entry.get("pid"), (paths.runs / run.name).resolve())
    if is_finished(paths, run):
        return write_registry(paths, run, status="done", pid=None)
    for _ in range(retries + 1):
        paths.logs.mkdir(parents=True, exist_ok=True)
        with open(paths.logs / f"{run.name}.log", "a", encoding="utf-8") as log:
            log.write(f"\n$ {' '.join(train_command(run, paths))}\n")
            log.flush()
            process = subprocess.Popen(train_command(run, paths), stdout=log, stderr=subprocess.STDOUT)
            entry = write_registry(paths, run, status="running", pid=process.pid, attempts=entry.get("attempts", 0) + 1)
            code = process.wait()
        if code == 0 and is_finished(paths, run):
            return write_registry(paths, run, status="done", pid=None, error=None)
        lines = (paths.logs / f"{run.name}.log").read_text(encoding="utf-8", errors="replace").strip().splitlines()
        entry = write_registry(
            paths, run, status="failed", pid=None, error=(lines[-1] if lines else f"exit code {code}")[:500]
        )
    return entry


def train_runs(
    runs: list[PlannedRun], paths: GridPaths, jobs: int = 1, retries: int = 1, progress: bool = True
) -> dict[str, dict]:
    """Train every run with ``jobs`` processes at once; one progress bar counts epochs over the whole grid."""
    from tqdm import tqdm

    total = sum(run.train.epochs for run in runs)
    bar = tqdm(total=total, desc="grid", unit="epoch", disable=not progress)
    finished = threading.Event()

    def watch() -> None:
        while not finished.wait(0.5):
            done = sum(min(epochs_done(paths, run), run.train.epochs) for run in runs)
            bar.update(done - bar.n)
            running = [run.name for run in runs if read_registry(paths, run)["status"] == "running"]
            bar.set_postfix_str(", ".join(running)[:80])

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            results = dict(zip((run.name for run in runs), pool.map(lambda r: _train_one(r, paths, retries), runs)))
    finally:
        finished.set()
        watcher.join()
        bar.update(sum(min(epochs_done(paths, run), run.train.epochs) for run in runs) - bar.n)
        bar.close()
    return results


def select_runs(grid: GridConfig, runs: list[PlannedRun], paths: GridPaths) -> dict:
    """The run with the lowest best validation loss per (variant, cell), with the reason written down."""
    groups: dict[tuple[str, str], list[PlannedRun]] = {}
    for run in runs:
        groups.setdefault(run.group, []).append(run)
    selection = {}
    for (variant, cell), members in groups.items():
        scores = {run.name: best_score(paths, run) for run in members if is_finished(paths, run)}
        scores = {name: score for name, score in scores.items() if score is not None}
        missing = sorted(run.name for run in members if run.name not in scores)
        key = f"{variant}-{cell}"
        if not scores:
            selection[key] = {
                "selected": None,
                "candidates": {},
                "missing": missing,
                "why": "no finished run in this group",
            }
            continue
        chosen = min(scores, key=scores.get)
        others = ", ".join(f"{name} {score:.4f}" for name, score in sorted(scores.items()) if name != chosen)
        measure = "validation loss" if grid.select_by == "val_loss" else "training loss"
        selection[key] = {
            "selected": chosen,
            "score": scores[chosen],
            "candidates": scores,
            "missing": missing,
            "why": f"lowest best {measure} {scores[chosen]:.4f}"
            + (f" (others: {others})" if others else " (only candidate)"),
        }
    write_json_atomic(paths.root / "selection.json", selection)
    return selection


def generate_songs(grid: GridConfig, runs: list[PlannedRun], paths: GridPaths, names: list[str]) -> list[Path]:
    """Generate each named run's songs, skipping song sets already written with the same settings."""
    from rnncells.generate import generate

    folders = []
    for run in runs:
        if run.name not in names:
            continue
        folder = paths.songs / run.name
        record = folder / "generation.json"
        if record.is_file() and json.loads(record.read_text())["config"] == asdict(grid.generate):
            folders.append(folder)
            continue
        folders.append(generate(paths.runs / run.name, folder, grid.generate, name=run.name))
    return folders


def make_figures(runs: list[PlannedRun], paths: GridPaths, selected: list[str]) -> list[Path]:
    """Box plots, learning curves per (variant, cell), piano rolls of each model's best song, a span plot."""
    import csv

    from rnncells.files import read_jsonl
    from rnncells.report.figures import box_plots, learning_curves, piano_roll, span_plot

    made = box_plots(paths.evaluation / "songs.csv", paths.figures)
    groups: dict[tuple[str, str], list[Path]] = {}
    for run in runs:
        if (paths.runs / run.name / "metrics.csv").is_file():
            groups.setdefault(run.group, []).append(paths.runs / run.name)
    for (variant, cell), folders in groups.items():
        made += learning_curves(folders, paths.figures / f"curves_{variant}_{cell}")
    with open(paths.evaluation / "best_songs.csv", encoding="utf-8") as handle:
        best = {row["model_name"]: row for row in csv.DictReader(handle)}
    for name in selected:
        if name not in best:
            continue
        songs = read_jsonl(paths.songs / name / "songs.jsonl")
        song = next(s for s in songs if s["index"] == int(best[name]["index"]))
        made += piano_roll(
            song["pitches"],
            song["durations"],
            paths.figures / f"best_song_{name}",
            title=f"{name}: best song (general tonality {float(best[name]['general']):.2f})",
        )
        if name == selected[0]:
            made += span_plot(song["pitches"], paths.figures / f"span_{name}", title=f"{name}: best song")
    return made


def finish_grid(
    grid: GridConfig, runs: list[PlannedRun], paths: GridPaths, generate_all: bool = False, progress: bool = True
) -> Path:
    """Selection, generation, evaluation, tables, figures and the index page, from finished runs."""
    from rnncells.evaluate import evaluate_song_sets
    from rnncells.report.tables import compile_pdf, write_tables

    selection = select_runs(grid, runs, paths)
    chosen = [entry["selected"] for entry in selection.values() if entry["selected"]]
    if generate_all or grid.generate_all:
        chosen = [run.name for run in runs if is_finished(paths, run)]
    if not chosen:
        raise RuntimeError(f"{paths.root}: no finished run to generate from; see `rnncells grid status`")
    _say(progress, f"generating {grid.generate.n_songs} songs with {len(chosen)} model(s)")
    song_dirs = generate_songs(grid, runs, paths, chosen)
    _say(progress, "evaluating")
    evaluate_song_sets(
        song_dirs,
        paths.dataset,
        paths.evaluation,
        mode=grid.evaluate.mode,
        span=grid.evaluate.span,
        rhythm=grid.evaluate.rhythm,
    )
    figures = make_figures(runs, paths, chosen)
    tables = write_tables(paths.evaluation, paths.tables)
    pdf = compile_pdf(paths.tables / "tables.tex") if shutil.which("pdflatex") else None
    return write_index(grid, runs, paths, selection, figures, tables, pdf)


def _say(progress: bool, text: str) -> None:
    if progress:
        print(text, file=sys.stderr)


def run_grid(
    grid: GridConfig,
    out: str | Path | None = None,
    jobs: int = 1,
    retries: int = 1,
    generate_all: bool = False,
    progress: bool = True,
) -> Path:
    """The whole study: dataset, training, selection, generation, evaluation, tables; returns index.html."""
    paths = grid_paths(grid, out)
    paths.root.mkdir(parents=True, exist_ok=True)
    remove_stale_temp_files(paths.root)  # half-written files of a killed earlier start
    write_text_atomic(paths.root / "grid.toml", grid_toml(grid))
    prepare_dataset(grid, paths, progress)
    runs = plan_runs(grid)
    results = train_runs(runs, paths, jobs=jobs, retries=retries, progress=progress)
    failed = [name for name, entry in results.items() if entry["status"] != "done"]
    if failed:  # said even when quiet: a result folder with missing runs must not pass unnoticed
        print(
            f"{len(failed)} run(s) failed and are left out: {', '.join(failed)} "
            f"(logs in {paths.logs}; `rnncells grid run` again retries them)",
            file=sys.stderr,
        )
    return finish_grid(grid, runs, paths, generate_all=generate_all, progress=progress)


def grid_toml(grid: GridConfig) -> str:
    """The resolved grid as TOML, readable again by ``rnncells grid run``."""
    scalars = {
        f.name: getattr(grid, f.name)
        for f in dataclasses.fields(grid)
        if isinstance(getattr(grid, f.name), (str, bool, int, float))
    }
    head = "".join(f"{key} = {json.dumps(value)}\n" for key, value in scalars.items())
    tables = {
        "dataset": grid.dataset,
        "axes": grid.axes,
        "epochs": grid.epochs,
        "model": grid.model,
        "train": grid.train,
        "generate": grid.generate,
        "evaluate": grid.evaluate,
    }
    return (
        head
        + "\n"
        + to_toml({name: table for name, table in tables.items() if dataclasses.is_dataclass(table) or table})
    )


def status_rows(grid: GridConfig, paths: GridPaths) -> list[dict]:
    """One row per planned run: status, epochs done / asked, best validation loss, attempts, last error."""
    rows = []
    for run in plan_runs(grid):
        entry = read_registry(paths, run)
        status = "done" if is_finished(paths, run) else entry["status"]
        if status == "running" and entry.get("pid") and not Path(f"/proc/{entry['pid']}").exists():
            status = "interrupted"
        score = best_score(paths, run)
        rows.append(
            {
                "run": run.name,
                "status": status,
                "epochs": f"{epochs_done(paths, run)}/{run.train.epochs}",
                "best_val_loss": "" if score is None else f"{score:.4f}",
                "attempts": entry.get("attempts", 0),
                "error": entry.get("error") or "",
            }
        )
    return rows


def format_status(rows: list[dict]) -> str:
    """The run table as aligned text."""
    columns = ("run", "status", "epochs", "best_val_loss", "attempts", "error")
    widths = {c: max(len(c), *(len(str(r[c])) for r in rows)) for c in columns} if rows else {}
    lines = ["  ".join(c.ljust(widths[c]) for c in columns)]
    lines += ["  ".join(str(r[c]).ljust(widths[c]) for c in columns) for r in rows]
    counts = {s: sum(r["status"] == s for r in rows) for s in (*STATUSES, "interrupted")}
    lines.append(", ".join(f"{n} {s}" for s, n in counts.items() if n))
    return "\n".join(lines)


def write_index(
    grid: GridConfig,
    runs: list[PlannedRun],
    paths: GridPaths,
    selection: dict,
    figures: list[Path],
    tables: list[Path],
    pdf: Path | None,
) -> Path:
    """index.html: the runs, the selection and why, links to tables, figures, songs and evaluation files."""

    def link(path: Path) -> str:
        relative = path.relative_to(paths.root)
        return f'<a href="{html.escape(str(relative))}">{html.escape(str(relative))}</a>'

    rows = status_rows(grid, paths)
    run_table = "".join(
        "<tr>"
        + "".join(f"<td>{html.escape(str(r[c]))}</td>" for c in ("run", "status", "epochs", "best_val_loss"))
        + "</tr>"
        for r in rows
    )
    chosen = "".join(
        f"<li><b>{html.escape(k)}</b>: {html.escape(str(v['selected']))} — {html.escape(v['why'])}</li>"
        for k, v in selection.items()
    )
    pngs = [p for p in figures if p.suffix == ".png"]
    images = "".join(
        f'<figure><img src="{html.escape(str(p.relative_to(paths.root)))}" width="480">'
        f"<figcaption>{link(p)} ({link(p.with_suffix('.pdf'))})</figcaption></figure>"
        for p in pngs
    )
    evaluation = "".join(f"<li>{link(p)}</li>" for p in sorted(paths.evaluation.glob("*.csv")))
    songs = "".join(
        f"<li>{link(p)} ({len(list(p.glob('*.mid')))} MIDI files)</li>"
        for p in sorted(paths.songs.iterdir())
        if p.is_dir()
    )
    page = f"""<!doctype html>
<html><head><meta charset="utf-8"><title>rnncells grid {html.escape(grid.name)}</title>
<style>body{{font-family:sans-serif;max-width:1100px;margin:2em auto}}td,th{{padding:2px 10px}}
figure{{display:inline-block;margin:8px}}</style></head><body>
<h1>Grid {html.escape(grid.name)}</h1>
<p>Source <code>{html.escape(grid.dataset.source)}</code>, {len(runs)} runs;
config {link(paths.root / "grid.toml")}.</p>
<h2>Tables</h2><ul>{"<li>" + link(pdf) + "</li>" if pdf else ""}{"".join(f"<li>{link(p)}</li>" for p in tables)}</ul>
<h2>Selected models</h2><ul>{chosen}</ul><p>{link(paths.root / "selection.json")}</p>
<h2>Runs</h2><table><tr><th>run</th><th>status</th><th>epochs</th><th>best val loss</th></tr>{run_table}</table>
<h2>Figures</h2>{images}
<h2>Evaluation</h2><ul>{evaluation}</ul>
<h2>Songs</h2><ul>{songs}</ul>
</body></html>
"""
    return write_text_atomic(paths.root / "index.html", page)
