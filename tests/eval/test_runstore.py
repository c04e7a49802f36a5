import json

from eval.runstore import RecordWriter, read_records


def test_append_and_read_back(tmp_path):
    with RecordWriter(tmp_path) as w:
        w.append({"task_id": "A/1", "sample": 0, "text": "ünïcode"})
        w.append({"task_id": "A/2", "sample": 0})
    loaded = read_records(tmp_path)
    assert [r["task_id"] for r in loaded.records] == ["A/1", "A/2"] and loaded.problems == []
    assert loaded.done() == {("A/1", 0), ("A/2", 0)}


def test_malformed_and_truncated_lines_are_reported_with_numbers(tmp_path):
    good = [json.dumps({"task_id": f"T/{i}", "sample": 0}) for i in range(4)]
    text = "\n".join([good[0], "{not json", good[1], '["a list"]', good[2], good[3][:-7]])  # last line cut
    (tmp_path / "records.jsonl").write_text(text)
    loaded = read_records(tmp_path)
    assert [r["task_id"] for r in loaded.records] == ["T/0", "T/1", "T/2"]
    assert [p.split(": ")[1] for p in loaded.problems] == ["line 2", "line 4", "line 6"]
    # The next append must not be glued onto the truncated line.
    with RecordWriter(tmp_path) as w:
        w.append({"task_id": "T/3", "sample": 0})
    again = read_records(tmp_path)
    assert [r["task_id"] for r in again.records] == ["T/0", "T/1", "T/2", "T/3"]
    assert len(again.problems) == 3


def test_missing_file_is_empty(tmp_path):
    assert read_records(tmp_path).records == []


def test_redos_within_one_second_keep_every_archive(tmp_path, monkeypatch):
    import time

    from eval.runstore import CHECKPOINTS, archive_records

    monkeypatch.setattr(time, "strftime", lambda fmt, *a: "20260101T000000")  # the same second, three times
    for n in range(3):
        with RecordWriter(tmp_path) as writer:
            writer.append({"task_id": f"T/{n}"})
        (tmp_path / CHECKPOINTS).write_text(str(n))
        archive_records(tmp_path)
    archives = sorted(tmp_path.glob("records.*.jsonl"))
    assert len(archives) == 3
    assert sorted(json.loads(p.read_text())["task_id"] for p in archives) == ["T/0", "T/1", "T/2"]
    assert sorted(p.read_text() for p in tmp_path.glob(f"*.{CHECKPOINTS}")) == ["0", "1", "2"]


def test_a_writer_that_cannot_start_closes_its_file(tmp_path, monkeypatch):
    import os

    import pytest

    from eval.runstore import RunDirWriteError

    (tmp_path / "records.jsonl").write_bytes(b'{"task_id": "T/0"}')  # torn: a newline is written first
    monkeypatch.setattr(os, "write", lambda fd, data: (_ for _ in ()).throw(OSError(28, "No space left on device")))
    before = len(os.listdir("/proc/self/fd"))
    for _ in range(5):
        with pytest.raises(RunDirWriteError, match="No space left"):
            RecordWriter(tmp_path)
    assert len(os.listdir("/proc/self/fd")) == before


def test_a_compressed_part_is_read_first_and_a_resume_appends_beside_it(tmp_path):
    import gzip

    with gzip.open(tmp_path / "records.jsonl.gz", "wt") as fh:  # a finished run, compressed to commit it
        fh.write("".join(json.dumps({"task_id": f"T/{i}", "sample": 0}) + "\n" for i in range(3)))
    assert read_records(tmp_path).done() == {("T/0", 0), ("T/1", 0), ("T/2", 0)}
    with RecordWriter(tmp_path) as w:  # resumed: the new records go to records.jsonl
        w.append({"task_id": "T/3", "sample": 0})
    assert [r["task_id"] for r in read_records(tmp_path).records] == ["T/0", "T/1", "T/2", "T/3"]
    whole = (tmp_path / "records.jsonl.gz").read_bytes()
    (tmp_path / "records.jsonl.gz").write_bytes(whole[:len(whole) - 12])  # cut: the gzip trailer is lost
    cut = read_records(tmp_path)
    assert cut.records[-1]["task_id"] == "T/3" and len(cut.problems) == 1 and "unreadable after" in cut.problems[0]
