"""The run store under a failing disk: no half-written record, ever, and one clear error."""

import errno
import os

import pytest

from eval.runstore import RecordWriter, RunDirWriteError, read_records


def test_a_short_write_then_disk_full_is_cut_back_off(tmp_path, monkeypatch):
    with RecordWriter(tmp_path) as writer:
        writer.append({"task_id": "a", "sample": 0, "exit_status": "ok"})
        real_write = os.write

        def fills_up(fd, data):  # the disk takes half the line, then is full
            if len(data) > 10:
                return real_write(fd, data[: len(data) // 2])
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        monkeypatch.setattr(os, "write", fills_up)
        with pytest.raises(RunDirWriteError, match="No space left on device.*rerun"):
            writer.append({"task_id": "b", "sample": 0, "exit_status": "ok", "completion": "x" * 100})
        monkeypatch.setattr(os, "write", real_write)
        writer.append({"task_id": "c", "sample": 0, "exit_status": "ok"})
    loaded = read_records(tmp_path)
    assert loaded.problems == [] and [r["task_id"] for r in loaded.records] == ["a", "c"]


def test_a_device_that_takes_nothing(tmp_path):
    (tmp_path / "records.jsonl").symlink_to("/dev/full")
    with RecordWriter(tmp_path) as writer, pytest.raises(RunDirWriteError, match="No space left"):
        writer.append({"task_id": "a", "sample": 0})


def test_an_unwritable_place_is_a_write_error(tmp_path):
    (tmp_path / "file").write_text("")
    with pytest.raises(RunDirWriteError, match="cannot write"):
        RecordWriter(tmp_path / "file" / "run")  # a parent that is a file: cannot be created


def test_redo_moves_the_checkpoints_aside_with_the_records(tmp_path):
    from eval.runstore import CHECKPOINTS, archive_records

    (tmp_path / "records.jsonl").write_text('{"task_id": "a"}\n')
    (tmp_path / CHECKPOINTS).write_bytes(b"sqlite")
    moved = archive_records(tmp_path)
    assert moved.exists() and not (tmp_path / CHECKPOINTS).exists()
    assert [p.name.endswith("." + CHECKPOINTS) for p in tmp_path.iterdir()].count(True) == 1
