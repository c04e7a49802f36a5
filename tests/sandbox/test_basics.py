"""Fast unit tests: limits, output capping, JUnit parsing, the process backend's basics."""

from __future__ import annotations

import pytest

from sandbox import InvalidLimits, Limits, SandboxError, make_sandbox
from sandbox._files import InvalidFiles, check_files
from sandbox._output import CappedBuffer
from sandbox.junit import is_pytest, parse_junit, with_junit
from sandbox.process import ProcessSandbox


def test_limits_reject_nonsense():
    with pytest.raises(InvalidLimits, match="timeout_s"):
        Limits(timeout_s=0)
    with pytest.raises(InvalidLimits, match="disk_mb"):
        Limits(disk_mb=0)


def test_capped_buffer_keeps_head_and_tail():
    buf = CappedBuffer(1024)
    for i in range(1000):
        buf.feed(f"line {i}\n".encode())
    text = buf.text()
    assert buf.truncated and "line 0\n" in text and "line 999\n" in text and "dropped" in text
    assert len(text) < 1200


def test_file_names_cannot_escape():
    for bad in ("../x.py", "/etc/passwd", "a/../../b", ""):
        with pytest.raises(InvalidFiles):
            check_files({bad: "x"})
    assert check_files({"pkg/./a.py": "x"}) == {"pkg/a.py": "x"}


def test_junit_helpers():
    assert is_pytest(["python", "-m", "pytest", "-q"]) and is_pytest(["pytest"])
    assert not is_pytest(["python", "a.py"])
    assert with_junit(["python", "a.py"]) == ["python", "a.py"]
    xml = ('<testsuite><testcase classname="t" name="a"/><testcase classname="t" name="b">'
           '<failure message="boom">trace</failure></testcase></testsuite>')
    outcomes = parse_junit(xml)
    assert [(o.name, o.outcome) for o in outcomes] == [("t::a", "passed"), ("t::b", "failed")]
    assert "boom" in outcomes[1].message
    assert parse_junit("<!DOCTYPE x [<!ENTITY a 'b'>]><x/>") == []
    assert parse_junit("not xml") == []


def test_process_runs_python_with_files():
    sb = ProcessSandbox()
    res = sb.run({"pkg/mod.py": "X = 41\n", "main.py": "from pkg.mod import X\nprint(X + 1)\n"},
                 ["python", "main.py"], Limits(timeout_s=20))
    assert res.ok and res.stdout == "42\n" and res.backend == "process"


def test_process_failure_is_a_result_not_an_exception():
    res = ProcessSandbox().run({}, ["python", "-c", "import sys; sys.exit(3)"], Limits(timeout_s=20))
    assert res.exit_code == 3 and not res.ok


def test_process_pytest_outcomes():
    test = "def test_ok():\n    assert 1\n\ndef test_bad():\n    assert 1 == 2, 'nope'\n"
    res = ProcessSandbox().run({"test_m.py": test}, ["python", "-m", "pytest", "-q"], Limits(timeout_s=60))
    assert res.exit_code == 1
    assert {t.name: t.outcome for t in res.tests} == {"test_m::test_ok": "passed", "test_m::test_bad": "failed"}
    assert "nope" in [t for t in res.tests if t.outcome == "failed"][0].message


def test_empty_command_is_an_error():
    with pytest.raises(SandboxError):
        ProcessSandbox().run({}, [], Limits())


def test_make_sandbox_by_name_and_unknown():
    assert make_sandbox("process").name == "process"
    with pytest.raises(SandboxError, match="unknown sandbox backend"):
        make_sandbox("vm")
    assert "auto chose" in make_sandbox("auto").selection


def _fake_runc(tmp_path, version: str) -> str:
    runc = tmp_path / "runc"
    runc.write_text(f"#!/bin/sh\necho 'runc version {version}'\necho 'commit: x'\n")
    runc.chmod(0o755)
    return str(tmp_path)


def test_runc_leaky_vessels_verdicts(tmp_path):
    import gzip

    from sandbox.check import runc_status

    none = str(tmp_path / "no-changelog.gz")
    assert runc_status(_fake_runc(tmp_path, "1.1.12"), none)[0] is True
    fixed, text = runc_status(_fake_runc(tmp_path, "1.1.5"), none)
    assert fixed is False and "VULNERABLE" in text
    log = tmp_path / "changelog.Debian.gz"
    with gzip.open(log, "wt") as fh:
        fh.write("runc (1.1.5+ds1-1+deb12u1) bookworm-security\n  * CVE-2024-21626: fd leak\n")
    fixed, text = runc_status(_fake_runc(tmp_path, "1.1.5+ds1"), str(log))
    assert fixed is True and "backported" in text
    assert runc_status(str(tmp_path / "empty"), none)[0] is None


def test_wire_request_roundtrip_through_the_runner_parser():
    from sandbox import _runner
    from sandbox._wire import encode_request

    limits = Limits(timeout_s=2.5, max_output_bytes=4096, max_file_mb=3, cpus=0.5)
    files = {"a.py": "print('é')\n", "pkg/b.txt": "x:y:12:"}
    data = encode_request("/work", limits, ["python3", "-c", "1:2"], {"HOME": "/work"}, files)
    work, nums, command, env, got = _runner.parse_request(data)
    assert work == "/work" and nums == (2.5, 4096, 3, 0.5) and command == ["python3", "-c", "1:2"]
    assert env == {"HOME": "/work"} and {k: v.decode() for k, v in got.items()} == files


def test_wire_result_is_parsed_strictly():
    from sandbox._wire import decode_result

    ok = decode_result(b"CODELOOP-RES1 1 0 1 0 0.5 3 3 4\nouterr<x/>")
    assert ok["exit_code"] == 1 and ok["oom_killed"] and not ok["timed_out"]
    assert (ok["stdout"], ok["stderr"], ok["junit"]) == ("out", "err", b"<x/>")
    for bad in (b"", b"{}", b"CODELOOP-RES1 0 0 0 0 0.1 5 0 0\nhi", b"CODELOOP-RES1 x 0 0 0 0.1 0 0 0\n",
                b"CODELOOP-RES1 0 0 0 0 0.1 -1 1 0\n"):
        with pytest.raises(SandboxError):
            decode_result(bad)


def test_work_dirs_of_dead_processes_are_swept(tmp_path, monkeypatch):
    import subprocess
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    dead = subprocess.Popen(["true"])
    dead.wait()
    stale = tmp_path / f"codeloop-run-{dead.pid}-abc123"
    (stale / "sub").mkdir(parents=True)
    (stale / "sub" / "check.py").write_text("x")
    mine = tmp_path / "codeloop-run-1-keep"  # pid 1 is alive
    mine.mkdir()
    ProcessSandbox()
    assert not stale.exists() and mine.exists()
