"""The docker backend's request/result encoding, shared with the in-container runner.

Netstrings both ways: no JSON parser to load in the container on every run, and nothing
on the host that evaluates what the container sends (the result is untrusted).
"""

from __future__ import annotations

from sandbox.base import Limits, SandboxError

REQUEST_MAGIC = b"CODELOOP-REQ1"
RESULT_MAGIC = "CODELOOP-RES1"


def _net(token: bytes) -> bytes:
    return b"%d:%s" % (len(token), token)


def encode_request(work: str, limits: Limits, command: list[str], env: dict[str, str],
                   files: dict[str, str]) -> bytes:
    """The runner's stdin for one run."""
    numbers = f"{limits.timeout_s} {limits.max_output_bytes} {limits.max_file_mb} {limits.cpus}"
    tokens = [REQUEST_MAGIC, work.encode(), numbers.encode(), str(len(command)).encode()]
    tokens += [a.encode() for a in command]
    tokens.append(str(len(env)).encode())
    for key, value in env.items():
        tokens += [key.encode(), value.encode()]
    tokens.append(str(len(files)).encode())
    for name, content in files.items():
        tokens += [name.encode(), content.encode("utf-8")]
    return b"".join(_net(t) for t in tokens)


def decode_result(data: bytes) -> dict:
    """Parse the runner's answer; anything malformed raises SandboxError."""
    head, sep, body = data.partition(b"\n")
    fields = head.decode("ascii", "replace").split()
    if not sep or len(fields) != 9 or fields[0] != RESULT_MAGIC:
        raise SandboxError("malformed answer from the sandbox runner")
    try:
        code, timed_out, oom, truncated = (int(x) for x in fields[1:5])
        duration = float(fields[5])
        n_out, n_err, n_junit = (int(x) for x in fields[6:9])
    except ValueError:
        raise SandboxError("malformed answer from the sandbox runner") from None
    if min(n_out, n_err, n_junit) < 0 or n_out + n_err + n_junit != len(body):
        raise SandboxError("truncated answer from the sandbox runner")
    out, err, junit = body[:n_out], body[n_out:n_out + n_err], body[n_out + n_err:]
    return {"exit_code": code, "timed_out": bool(timed_out), "oom_killed": bool(oom), "truncated": bool(truncated),
            "duration_s": duration, "stdout": out.decode("utf-8", "replace"),
            "stderr": err.decode("utf-8", "replace"), "junit": junit}
