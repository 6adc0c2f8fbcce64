"""rnncells.files: atomic writes (a failed write leaves no file, an OS error names the path being written) and
portable paths for records (no machine path in anything a results folder commits)."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest

from rnncells.files import portable_path, resolve_recorded, write_atomic, write_text_atomic


def test_a_full_disk_names_the_path_being_written_and_leaves_nothing(tmp_path, capsys, monkeypatch):
    target = tmp_path / "songs" / "song_000.mid"

    def disk_full(tmp):
        tmp.write_bytes(b"half")
        raise OSError(errno.ENOSPC, "No space left on device")  # what a write() on a full disk raises: no file

    with pytest.raises(OSError) as failed:
        write_atomic(target, disk_full)
    assert failed.value.errno == errno.ENOSPC and failed.value.filename == str(target)
    assert str(target) in str(failed.value) and "No space left on device" in str(failed.value)
    assert list(target.parent.iterdir()) == []  # neither the file nor its temp file

    from rnncells import cli

    def full(*args, **kwargs):
        write_atomic(target, disk_full)

    monkeypatch.setattr(cli, "HANDLERS", {**cli.HANDLERS, "evaluate": full})
    assert cli.main(["evaluate", "--out", str(tmp_path / "e")]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and str(target) in error and "No space left on device" in error


def test_an_os_error_naming_its_own_file_is_kept(tmp_path):
    (tmp_path / "dir").mkdir()
    with pytest.raises(IsADirectoryError) as failed:
        write_text_atomic(tmp_path / "dir", "x")  # the rename onto a folder names both paths already
    assert str(tmp_path / "dir") in str(failed.value)


def test_a_relative_path_is_kept_as_given_and_an_absolute_one_made_relative(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert portable_path("../shared/data/edm") == "../shared/data/edm"
    assert portable_path(Path("corpus") / "edm") == "corpus/edm"
    assert portable_path(tmp_path / "corpus" / "edm") == "corpus/edm"  # relative to the working directory
    run = tmp_path / "results" / "grid" / "runs" / "control-lstm-1"
    recorded = portable_path(tmp_path / "results" / "grid" / "dataset", run)
    assert recorded == "../../dataset"
    assert resolve_recorded(recorded, run).resolve() == (tmp_path / "results" / "grid" / "dataset").resolve()
    assert resolve_recorded("/elsewhere/dataset", run) == Path("/elsewhere/dataset")  # an older, absolute record


def test_compact_csv_keeps_seven_significant_digits_and_leaves_text_and_integers():
    from rnncells.files import compact_csv, compact_number

    assert compact_number("4.606060606060606") == "4.606061"
    assert compact_number("0.0022437564481514244") == "0.002243756"
    assert compact_number("2.2437564481514244e-30") == "2.243756e-30"
    assert compact_number("1234567.891") == "1234568.0"  # stays a float
    for cell in ("4.0", "3749.0", "-0.2502", "00014", "song_000", "True", "", "nan", "12345678.5"):
        assert compact_number(cell) == cell
    text = 'name,value,id,list\ncontrol-lstm-1,0.13333333333333333,00012,"a,b"\ndataset,,7,\n'
    assert compact_csv(text) == 'name,value,id,list\ncontrol-lstm-1,0.1333333,00012,"a,b"\ndataset,,7,\n'
    assert compact_csv(compact_csv(text)) == compact_csv(text)
    assert compact_csv("") == ""
