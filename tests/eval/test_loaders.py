import shutil

import pytest

from eval.data import BenchmarkDataError, data_file
from eval.problems import LOADERS, UnknownProblem, get_problem, load_benchmark


@pytest.mark.parametrize("bench,count", [("humaneval", 164), ("humaneval+", 164), ("mbpp", 500),
                                         ("mbpp-sanitized", 427), ("mbpp+", 378)])
def test_loader_counts(data_dir, bench, count):
    problems = load_benchmark(bench, data_dir)
    assert len(problems) == count
    assert len({p.task_id for p in problems}) == count
    assert all(p.entry_point and p.prompt and p.test and p.canonical_solution for p in problems)


def test_mbpp_is_the_test_split(data_dir):
    ids = [int(p.task_id.split("/")[1]) for p in load_benchmark("mbpp", data_dir)]
    assert min(ids) == 11 and max(ids) == 510


def test_plus_problems_carry_inputs(data_dir):
    for bench in ("humaneval+", "mbpp+"):
        p = load_benchmark(bench, data_dir)[0]
        assert p.has_plus and p.base_inputs and p.plus_inputs
    assert not load_benchmark("humaneval", data_dir)[0].has_plus


def test_get_problem(data_dir):
    assert get_problem("humaneval:HumanEval/0").entry_point == "has_close_elements"
    assert get_problem("mbpp:11", data_dir).task_id == "Mbpp/11"
    assert get_problem("mbpp+:Mbpp/2", data_dir).entry_point == "similar_elements"
    assert "similar_elements(" in get_problem("mbpp-sanitized:Mbpp/2", data_dir).prompt
    for bad in ("humaneval", "nope:1", "humaneval:HumanEval/999"):
        with pytest.raises(UnknownProblem):
            get_problem(bad, data_dir)
    assert set(LOADERS) == {"humaneval", "humaneval+", "mbpp", "mbpp-sanitized", "mbpp+", "mbpp-dev"}


def test_mbpp_dev_is_the_tuning_split(data_dir):
    dev = load_benchmark("mbpp-dev", data_dir)
    ids = [int(p.task_id.split("/")[1]) for p in dev]
    plus = {p.task_id for p in load_benchmark("mbpp+", data_dir)}
    assert len(dev) == len(set(ids)) == 317  # 464 ids in 511-974, 147 of them in MBPP+
    assert all(511 <= i <= 974 for i in ids) and not plus & {p.task_id for p in dev}
    assert {p.benchmark for p in dev} == {"mbpp-dev"} and {p.test_style for p in dev} == {"mbpp"}
    assert all(p.entry_point and p.prompt and p.test and p.canonical_solution for p in dev)
    assert get_problem("mbpp-dev:511", data_dir).task_id == "Mbpp/511"


def test_data_dir_from_environment(data_dir, monkeypatch):
    monkeypatch.setenv("CODELOOP_DATA_DIR", str(data_dir))
    assert len(load_benchmark("mbpp+")) == 378


def test_missing_file_names_it(tmp_path):
    with pytest.raises(BenchmarkDataError, match=r"mbpp\.jsonl not found in .*https://"):
        data_file("mbpp.jsonl", tmp_path, download=False)


def test_checksum_mismatch(data_dir, tmp_path):
    shutil.copy(data_dir / "sanitized-mbpp.json", tmp_path / "sanitized-mbpp.json")
    with open(tmp_path / "sanitized-mbpp.json", "a") as fh:
        fh.write(" ")
    with pytest.raises(BenchmarkDataError, match="sha256"):
        data_file("sanitized-mbpp.json", tmp_path)


def test_download_verifies_before_keeping(tmp_path, monkeypatch):
    import hashlib
    import threading
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    from eval.data import DATA_FILES, DataFile, data_file, fetch

    served = tmp_path / "served"
    served.mkdir()
    (served / "f.jsonl").write_text('{"a": 1}\n')
    good = hashlib.sha256(b'{"a": 1}\n').hexdigest()

    class Quiet(SimpleHTTPRequestHandler):
        def __init__(self, *a, **kw):
            super().__init__(*a, directory=str(served), **kw)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/f.jsonl"
    try:
        fetch(DataFile("f.jsonl", good, url), tmp_path / "data" / "f.jsonl")
        assert (tmp_path / "data" / "f.jsonl").read_text() == '{"a": 1}\n'
        with pytest.raises(BenchmarkDataError, match="sha256"):
            fetch(DataFile("g.jsonl", "0" * 64, url), tmp_path / "data" / "g.jsonl")
        assert sorted(p.name for p in (tmp_path / "data").iterdir()) == ["f.jsonl"]  # nothing half-kept
        # the way loaders get files: missing from the data dir, so fetched and verified
        monkeypatch.delenv("CODELOOP_OFFLINE", raising=False)
        monkeypatch.setitem(DATA_FILES, "f.jsonl", DataFile("f.jsonl", good, url))
        assert data_file("f.jsonl", tmp_path / "fresh").read_text() == '{"a": 1}\n'
    finally:
        server.shutdown()
