"""In-container run agent for the docker backend (stdlib only; runs as `python3 -I -S -c`).

Reads one JSON request on stdin ({files, command, limits}), resets /work, runs the
command in its own session with rlimits and a timeout, kills every other process of the
sandbox user afterwards (kill(-1) spares only PID 1 and ourselves), and prints one JSON
result on stdout. Output is capped here, inside the container, so the host never
receives more than the cap.
"""

import json
import os
import resource
import selectors
import shutil
import signal
import subprocess
import sys
import time

WORK = "/work"
JUNIT = ".codeloop-junit.xml"
OOM_FILES = ("/sys/fs/cgroup/memory.events", "/sys/fs/cgroup/memory/memory.oom_control")


class Capped:
    """First and last bytes of a stream, like sandbox._output.CappedBuffer."""

    def __init__(self, cap):
        self.cap, self.head, self.tail, self.total = cap, bytearray(), bytearray(), 0

    def feed(self, data):
        self.total += len(data)
        room = self.cap // 2 - len(self.head)
        if room > 0:
            self.head += data[:room]
            data = data[room:]
        if data:
            self.tail += data
            if len(self.tail) > self.cap:
                del self.tail[: len(self.tail) - (self.cap - self.cap // 2)]

    def text(self):
        tail = bytes(self.tail[-(self.cap - self.cap // 2):]) if self.tail else b""
        mid = b""
        if self.total > self.cap:
            mid = b"\n...[codeloop: %d bytes of output dropped]...\n" % (self.total - len(self.head) - len(tail))
        return (bytes(self.head) + mid + tail).decode("utf-8", "replace")


def oom_kills():
    for path in OOM_FILES:
        try:
            for line in open(path):
                if line.startswith("oom_kill "):
                    return int(line.split()[1])
        except OSError:
            continue
    return -1


def reset_work(files):
    for name in os.listdir(WORK):
        path = os.path.join(WORK, name)
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path, ignore_errors=True)
        else:
            os.unlink(path)
    for name, content in files.items():
        path = os.path.join(WORK, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(content)


def child_setup(limits, libc):
    # Runs in the child between fork and exec; the runner is single-threaded, so safe.
    if libc is not None:
        libc.prctl(4, 1, 0, 0, 0)  # dumpable again, or /proc/self is root's (exec resets it anyway)
    fsize = limits["max_file_mb"] * 1024 * 1024
    cpu = int(limits["timeout_s"] * max(1.0, limits["cpus"])) + 2
    resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    with open("/proc/self/oom_score_adj", "w") as fh:  # the OOM killer takes the child, not us
        fh.write("1000")


def pump(proc, bufs, deadline):
    sel = selectors.DefaultSelector()
    for pipe, buf in bufs.items():
        sel.register(pipe, selectors.EVENT_READ, buf)
    exited = None
    while sel.get_map():
        now = time.monotonic()
        if now >= deadline:
            return True
        if exited is None and proc.poll() is not None:
            exited = now
        if exited is not None and now - exited > 0.2:
            return False
        for key, _ in sel.select(min(deadline - now, 0.05 if exited else 0.5)):
            chunk = os.read(key.fd, 65536)
            if chunk:
                key.data.feed(chunk)
            else:
                sel.unregister(key.fileobj)
    return False


def undumpable():
    """Code under test runs as our uid: without this it could ptrace us or open
    /proc/<us>/fd/1 and forge the result. Non-dumpable processes are off limits to it."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE, 0
        return libc
    except (ImportError, OSError, AttributeError):
        return None


def main():
    libc = undumpable()
    req = json.loads(sys.stdin.buffer.read())
    limits, env = req["limits"], req["env"]
    reset_work(req["files"])
    before = oom_kills()
    start = time.monotonic()
    deadline = start + limits["timeout_s"]
    out, err = Capped(limits["max_output_bytes"]), Capped(limits["max_output_bytes"])
    try:
        proc = subprocess.Popen(req["command"], cwd=WORK, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, start_new_session=True,
                                preexec_fn=lambda: child_setup(limits, libc))
    except OSError as exc:
        print(json.dumps({"exit_code": 127, "stdout": "", "stderr": f"cannot run command: {exc}\n",
                          "truncated": False, "timed_out": False, "oom": False, "duration_s": 0.0, "junit": None}))
        return
    timed_out = pump(proc, {proc.stdout: out, proc.stderr: err}, deadline)
    if not timed_out:
        try:
            proc.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            timed_out = True
    duration = time.monotonic() - start
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        os.kill(-1, signal.SIGKILL)  # every leftover, daemonised or not
    except ProcessLookupError:
        pass
    proc.wait()
    code = proc.returncode
    oom = oom_kills() > before >= 0 or (code == -signal.SIGKILL and not timed_out)
    junit = None
    path = os.path.join(WORK, JUNIT)
    if os.path.isfile(path) and not os.path.islink(path):
        with open(path, "rb") as fh:
            junit = fh.read(2 * 1024 * 1024 + 1).decode("utf-8", "replace")
    print(json.dumps({"exit_code": 128 - code if code < 0 else code, "stdout": out.text(), "stderr": err.text(),
                      "truncated": out.total > out.cap or err.total > err.cap, "timed_out": timed_out,
                      "oom": oom, "duration_s": duration, "junit": junit}))


if __name__ == "__main__":
    main()
