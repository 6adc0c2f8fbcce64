"""Atomic writes: a failed write leaves no file, and an OS error names the path being written."""

from __future__ import annotations

import errno

import pytest

from rnncells.files import write_atomic, write_text_atomic


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
