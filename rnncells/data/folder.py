"""The dataset folder: the one module that reads and writes it (no Keras here).

On-disk format (``FORMAT_VERSION``), documented in the README's "Dataset format"::

    DATASET_DIR/dataset.json                  source, parameters, files read, skipped files with reasons,
                                              cleaning counts, melody choice, variants
    DATASET_DIR/split.json                    seed, ratios and the songs of each split
    DATASET_DIR/report.txt                    the same for people: one line per skipped file, then a summary line
    DATASET_DIR/<variant>/manifest.json       variant, representation, parameters, counts, vocabulary,
                                              unseen tokens, skipped files, content hash
    DATASET_DIR/<variant>/songs.jsonl         one song per line (id, song, split, tokens, pitches, durations …)

JSON is written with sorted keys and no timestamps, so the same content always gives the same bytes. Every
other module goes through this one to open these files; a damaged file is a one-line error naming it, and
:meth:`DatasetFolder.damage` lists every such file (each songs.jsonl checked against its manifest's content_hash).

A build writes through :func:`new_dataset`: every file goes into a hidden folder beside DATASET_DIR
(``.NAME.building-*``), which is renamed into place only when all of it is written, so a failed build leaves no
half-written folder. Into a folder that already holds something, the new files replace the dataset's own one by
one, dataset.json last (it is removed first): a folder without dataset.json is not a finished build.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any

from rnncells.config.dataset import VARIANTS, DatasetConfig
from rnncells.errors import RnncellsError
from rnncells.files import Damage, portable_path, write_json_atomic, write_jsonl_atomic, write_text_atomic
from rnncells.locks import LOCK_FILE

FORMAT_VERSION = 1
SPLITS = ("train", "validation", "test")
DATASET_FILE = "dataset.json"
SPLIT_FILE = "split.json"
REPORT_FILE = "report.txt"
MANIFEST_FILE = "manifest.json"
VARIANT_SONGS_FILE = "songs.jsonl"
BUILD_COMMAND = "rnncells dataset build"


class DatasetFolderError(RnncellsError, ValueError):
    """A dataset file that is missing or damaged; the message names the file and the fix."""


def _read_json(path: Path, fix: str) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DatasetFolderError(f"{path}: missing; {fix}") from None
    except json.JSONDecodeError as error:
        raise DatasetFolderError(f"{path}: damaged ({error.msg}, line {error.lineno}); {fix}") from None
    except UnicodeDecodeError:
        raise DatasetFolderError(f"{path}: damaged (not UTF-8 text); {fix}") from None


def _read_jsonl(path: Path, fix: str) -> list[Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DatasetFolderError(f"{path}: missing; {fix}") from None
    except UnicodeDecodeError:
        raise DatasetFolderError(f"{path}: damaged (not UTF-8 text); {fix}") from None
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError as error:
            raise DatasetFolderError(f"{path}: damaged line {number} ({error.msg}); {fix}") from None
    return rows


def content_hash(songs_jsonl: bytes, vocabulary: list) -> str:
    """``sha256:…`` of a variant's songs.jsonl bytes and its vocabulary (the manifest's ``content_hash``)."""
    digest = hashlib.sha256(songs_jsonl)
    digest.update(json.dumps(vocabulary).encode())
    return "sha256:" + digest.hexdigest()


class DatasetFolder:
    """The files of one dataset folder (module docstring), read and written only here."""

    def __init__(self, path: str | Path):
        self.path = Path(path)

    def __repr__(self) -> str:
        return f"DatasetFolder({str(self.path)!r})"

    @property
    def fix(self) -> str:
        """What to do about a missing or damaged file of this folder."""
        return f"build the dataset with `{BUILD_COMMAND} --out {self.path}`"

    # -- paths and variants ---------------------------------------------------------------------------------
    def manifest_path(self, variant: str) -> Path:
        return self.path / variant / MANIFEST_FILE

    def songs_path(self, variant: str) -> Path:
        return self.path / variant / VARIANT_SONGS_FILE

    def has_variant(self, variant: str) -> bool:
        """True when ``variant``'s manifest is there."""
        return self.manifest_path(variant).is_file()

    def variants(self) -> list[str]:
        """The variants built here (each folder holding a manifest), sorted by name."""
        return sorted(p.parent.name for p in self.path.glob(f"*/{MANIFEST_FILE}"))

    def check_variant(self, variant: str) -> Path:
        """The manifest path of ``variant``; a one-line error naming what exists if it is missing."""
        if not self.has_variant(variant):
            present = self.variants()
            if not present:
                raise FileNotFoundError(f"{self.path}: not a dataset folder; build one with `{BUILD_COMMAND}`")
            raise FileNotFoundError(
                f"{self.path}: no {variant!r} variant (has: {', '.join(present)}); "
                f"build it with `{BUILD_COMMAND} --variants {variant}`"
            )
        return self.manifest_path(variant)

    def built_with(self, config: DatasetConfig) -> bool:
        """True when dataset.json records exactly ``config``'s parameters and each of its variants is there."""
        path = self.path / DATASET_FILE
        if not path.is_file():
            return False
        try:
            parameters = self.read_summary().get("parameters")
        except (DatasetFolderError, AttributeError):
            return False  # a damaged summary: build again
        # Compared as JSON would store them, so a tuple in the config equals the list read back.
        wanted = stored_parameters(config)
        return parameters == wanted and all(self.has_variant(v) for v in config.variants)

    def damage(self, deep: bool = True) -> list[Damage]:
        """Every file of a built dataset that is missing or cannot be read, and (``deep``) every songs.jsonl whose
        bytes no longer give its manifest's ``content_hash``; empty for a sound dataset."""
        found = []
        for name, read in ((DATASET_FILE, self.read_summary), (SPLIT_FILE, self.read_split)):
            try:
                read()
            except DatasetFolderError as error:
                found.append(Damage(self.path / name, str(error)))
        for variant in self.variants():
            try:
                self._check_songs(variant, deep)
            except DatasetFolderError as error:
                found.append(Damage(self.path / variant, str(error)))
        return found

    def _check_songs(self, variant: str, deep: bool) -> None:
        manifest = self.read_manifest(variant)
        songs = self.songs_path(variant)
        if not isinstance(manifest, dict) or "content_hash" not in manifest:
            raise DatasetFolderError(f"{self.manifest_path(variant)}: damaged (no content_hash); {self.fix}")
        if not songs.is_file():
            raise DatasetFolderError(f"{songs}: missing; {self.fix}")
        if deep and content_hash(songs.read_bytes(), manifest.get("vocabulary")) != manifest["content_hash"]:
            raise DatasetFolderError(f"{songs}: content differs from its manifest's content_hash; {self.fix}")

    # -- one variant ------------------------------------------------------------------------------------------
    def read_manifest(self, variant: str) -> dict:
        return _read_json(self.check_variant(variant), self.fix)

    def read_songs(self, variant: str) -> list[dict]:
        """The song rows of ``variant``'s songs.jsonl, in file order."""
        return _read_jsonl(self.songs_path(variant), self.fix)

    def write_variant(self, variant: str, rows: list[dict], manifest: dict) -> dict:
        """Write songs.jsonl, then manifest.json with its ``format_version`` and ``content_hash``; return it."""
        songs_path = write_jsonl_atomic(self.songs_path(variant), rows)
        manifest = {
            **manifest,
            "format_version": FORMAT_VERSION,
            "content_hash": content_hash(songs_path.read_bytes(), manifest["vocabulary"]),
        }
        write_json_atomic(self.manifest_path(variant), manifest)
        return manifest

    # -- the whole dataset ------------------------------------------------------------------------------------
    def read_summary(self) -> dict:
        """dataset.json: the build's source, parameters, files read, skipped files and variants."""
        return _read_json(self.path / DATASET_FILE, self.fix)

    def write_summary(self, summary: dict) -> None:
        write_json_atomic(self.path / DATASET_FILE, {**summary, "format_version": FORMAT_VERSION})

    def read_split(self) -> dict:
        """split.json: seed, ratios and the songs of each split."""
        return _read_json(self.path / SPLIT_FILE, self.fix)

    def write_split(self, split: dict) -> None:
        write_json_atomic(self.path / SPLIT_FILE, split)

    def read_report(self) -> str:
        path = self.path / REPORT_FILE
        try:
            return path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise DatasetFolderError(f"{path}: missing; {self.fix}") from None

    def write_report(self, text: str) -> None:
        """report.txt: one line per skipped file, then the summary line."""
        write_text_atomic(self.path / REPORT_FILE, text)


def _json_safe(value: Any) -> Any:
    """``value`` with every string made UTF-8-safe (a path given with bytes that are not UTF-8 is escaped)."""
    from rnncells.music.midi import printable

    if isinstance(value, str):
        return printable(value)
    if isinstance(value, dict):
        return {key: _json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(item) for item in value]
    return value


def stored_parameters(config: DatasetConfig) -> dict:
    """A build's parameters as dataset.json and every manifest store them (plain JSON, printable strings; the
    source as :func:`rnncells.files.portable_path` writes it, never absolute)."""
    parameters = asdict(config)
    if parameters.get("source") is not None:
        parameters["source"] = portable_path(parameters["source"])
    return _json_safe(json.loads(json.dumps(parameters)))


@contextmanager
def new_dataset(path: str | Path) -> Iterator[DatasetFolder]:
    """A :class:`DatasetFolder` in a hidden folder beside ``path``; put in place at the end of the ``with`` block,
    removed instead if the block raises (``path`` is then left as it was)."""
    target = Path(os.path.abspath(path))
    if target.is_symlink() and target.is_dir():
        target = target.resolve()  # write where the link leads, keep the link
    if os.path.lexists(target) and not target.is_dir():
        raise DatasetFolderError(f"{target}: not a folder; give --out a new or existing folder")
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.parent / f".{target.name}.building-{os.getpid()}-{secrets.token_hex(4)}"
    staging.mkdir()  # the usual permissions (umask), as the folder it becomes
    try:
        yield DatasetFolder(staging)
        _put_in_place(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _put_in_place(staging: Path, target: Path) -> None:
    """Move a finished dataset from ``staging`` to ``target``: one rename when ``target`` is missing or empty,
    else the dataset's own entries one by one, dataset.json removed first and written last."""
    if not target.exists() or all(entry.name == LOCK_FILE for entry in target.iterdir()):
        try:
            if (target / LOCK_FILE).is_file():  # the builder's lock moves along (a lock follows its file)
                os.replace(target / LOCK_FILE, staging / LOCK_FILE)
            os.replace(staging, target)  # an empty folder is replaced by the rename
            return
        except OSError:
            if (staging / LOCK_FILE).is_file() and not (target / LOCK_FILE).exists():
                os.replace(staging / LOCK_FILE, target / LOCK_FILE)
            # e.g. an empty mount point: fall back to moving the entries
    (target / DATASET_FILE).unlink(missing_ok=True)
    old = staging / ".replaced"
    old.mkdir()
    for name in (*VARIANTS, SPLIT_FILE, REPORT_FILE):  # the dataset's own names; anything else there stays
        if os.path.lexists(target / name):
            os.replace(target / name, old / name)
    for entry in sorted(staging.iterdir()):
        if entry.name not in (DATASET_FILE, old.name):
            os.replace(entry, target / entry.name)
    os.replace(staging / DATASET_FILE, target / DATASET_FILE)


def check_variant(dataset_dir: str | Path, variant: str) -> Path:
    """The manifest path of a dataset's variant; a one-line error naming what exists if it is missing."""
    return DatasetFolder(dataset_dir).check_variant(variant)


def load_variant(dataset_dir: str | Path, variant: str) -> tuple[dict, list[dict]]:
    """The manifest and song rows of one variant of a dataset."""
    folder = DatasetFolder(dataset_dir)
    return folder.read_manifest(variant), folder.read_songs(variant)
