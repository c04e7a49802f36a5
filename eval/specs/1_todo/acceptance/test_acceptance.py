import json

import pytest

from todo.cli import main
from todo.store import TodoStore


def test_add_returns_increasing_ids(tmp_path):
    store = TodoStore(tmp_path / "t.json")
    assert store.add("milk") == 1 and store.add("eggs") == 2


def test_items_in_id_order(tmp_path):
    store = TodoStore(tmp_path / "t.json")
    store.add("a")
    store.add("b")
    assert store.items() == [{"id": 1, "text": "a", "done": False}, {"id": 2, "text": "b", "done": False}]


def test_complete_and_unknown_id(tmp_path):
    store = TodoStore(tmp_path / "t.json")
    store.add("a")
    store.complete(1)
    assert store.items()[0]["done"] is True
    with pytest.raises(KeyError):
        store.complete(99)


def test_persisted_as_json(tmp_path):
    path = tmp_path / "t.json"
    TodoStore(path).add("keep me")
    json.loads(path.read_text())  # valid JSON
    assert TodoStore(path).items()[0]["text"] == "keep me"


def test_cli_add_list_done(tmp_path, capsys):
    path = str(tmp_path / "t.json")
    assert main(["--file", path, "add", "buy milk"]) == 0
    assert main(["--file", path, "add", "call bob"]) == 0
    assert main(["--file", path, "done", "1"]) == 0
    capsys.readouterr()
    assert main(["--file", path, "list"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines == ["[x] 1 buy milk", "[ ] 2 call bob"]


def test_cli_unknown_id_returns_1(tmp_path):
    assert main(["--file", str(tmp_path / "t.json"), "done", "5"]) == 1
