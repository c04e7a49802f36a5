"""The instruction registry: requirements from a spec, atomic saves, resume, bad files."""

import json
import os

import pytest

from memory import registry as reg
from memory.registry import RegistryError

SPEC = """# Todo

A command-line todo list.

1. `add(text)` stores an item
   and returns its id.
2) `done(id)` marks it finished.
R3: items persist in a JSON file.
"""


def test_requirements_are_the_numbered_items_with_continuations():
    reqs = reg.parse_requirements(SPEC)
    assert reqs == [{"id": "R1", "text": "`add(text)` stores an item and returns its id."},
                    {"id": "R2", "text": "`done(id)` marks it finished."},
                    {"id": "R3", "text": "items persist in a JSON file."}]


def test_bullets_count_when_nothing_is_numbered_and_prose_is_one_requirement():
    assert [r["text"] for r in reg.parse_requirements("Intro\n- a\n* b\n")] == ["a", "b"]
    assert reg.parse_requirements("Write  a\nthing.") == [{"id": "R1", "text": "Write a thing."}]


def test_coverage_and_unknown_ids(tmp_path):
    r = reg.new_registry("spec.md", SPEC)
    r.set_instructions([("write add", ["R1", "R9"]), ("write done", ["R2"])])
    assert r.instructions[0].covers == ["R1"]  # R9 is not a requirement
    assert r.uncovered() == ["R3"]


def test_save_load_round_trip_and_resume_point(tmp_path):
    path = tmp_path / ".codeloop" / "registry.json"
    r = reg.new_registry("spec.md", SPEC)
    r.set_instructions([("a", ["R1"]), ("b", ["R2", "R3"])])
    r.instructions[0].status, r.instructions[0].commit = "done", "abc"
    r.instructions[1].status = "running"
    reg.save(r, path)
    back = reg.load(path)
    assert back == r
    assert back.next_open().id == 2 and back.last_commit() == "abc"
    back.reset_from(1)
    assert [i.status for i in back.instructions] == ["pending", "pending"] and back.last_commit() == ""
    back.head = "def"
    assert back.last_commit() == "def"


def test_a_failed_save_keeps_the_old_file_whole(tmp_path, monkeypatch):
    path = tmp_path / "registry.json"
    r = reg.new_registry("spec.md", SPEC)
    reg.save(r, path)
    before = path.read_text()

    def crash(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    r.set_instructions([("a", ["R1"])])
    with pytest.raises(OSError):
        reg.save(r, path)
    assert path.read_text() == before
    assert [p.name for p in tmp_path.iterdir()] == ["registry.json"]  # no temp file left


@pytest.mark.parametrize("content, why", [
    ("{not json", "not a readable registry"),
    (json.dumps({"kind": "something-else"}), "not a codeloop build registry"),
    (json.dumps({"kind": reg.KIND, "schema": 99}), "schema 99"),
    (json.dumps({"kind": reg.KIND, "schema": reg.SCHEMA, "spec_path": "s"}), "missing or mangles"),
    (json.dumps([1, 2]), "not a codeloop build registry"),
])
def test_corrupt_or_foreign_files_are_one_line_errors(tmp_path, content, why):
    path = tmp_path / "registry.json"
    path.write_text(content)
    with pytest.raises(RegistryError, match=why) as info:
        reg.load(path)
    assert "\n" not in str(info.value)


def test_unknown_status_is_refused(tmp_path):
    path = tmp_path / "registry.json"
    r = reg.new_registry("spec.md", SPEC)
    r.set_instructions([("a", ["R1"])])
    data = r.to_dict()
    data["instructions"][0]["status"] = "weird"
    path.write_text(json.dumps(data))
    with pytest.raises(RegistryError, match="unknown status"):
        reg.load(path)
