"""In-container run agent for the docker backend, exec'd once per run as `python3 -I -S -c`.

Reads one request on stdin (netstring tokens, see sandbox/_wire.py), resets /work to
the request's files, runs the command in its own session with rlimits and a timeout,
then kills every other process of the sandbox user (kill(-1) spares only PID 1 and
ourselves) and writes one result: a header line and the capped output bytes.

Lean on purpose: only modules that load in a few ms (no json, subprocess, signal), as
this start-up is paid on every run. Never run it on the host: kill(-1) there would
hit every process of the user, hence the container check in main().
"""

import os
import resource
import select
import sys
import time

SIGKILL = 9
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

    def value(self):
        tail = bytes(self.tail[-(self.cap - self.cap // 2):]) if self.tail else b""
        mid = b""
        if self.total > self.cap:
            mid = b"\n...[codeloop: %d bytes of output dropped]...\n" % (self.total - len(self.head) - len(tail))
        return bytes(self.head) + mid + tail


def read_tokens(data):
    """Netstrings: b"<len>:<bytes>" repeated."""
    tokens, i = [], 0
    while i < len(data):
        colon = data.index(b":", i)
        size = int(data[i:colon])
        tokens.append(data[colon + 1: colon + 1 + size])
        i = colon + 1 + size
    return tokens


def parse_request(data):
    tokens = iter(read_tokens(data))
    if next(tokens) != b"CODELOOP-REQ1":
        raise ValueError("unknown request format")
    work = next(tokens).decode()
    timeout, max_out, max_file, cpus = (float(x) for x in next(tokens).split())
    command = [next(tokens).decode() for _ in range(int(next(tokens)))]
    env = {}
    for _ in range(int(next(tokens))):
        key = next(tokens).decode()
        env[key] = next(tokens).decode()
    files = {}
    for _ in range(int(next(tokens))):
        name = next(tokens).decode()
        files[name] = next(tokens)
    return work, (timeout, int(max_out), int(max_file), cpus), command, env, files


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


def oom_kills():
    for path in OOM_FILES:
        try:
            with open(path) as fh:
                for line in fh:
                    if line.startswith("oom_kill "):
                        return int(line.split()[1])
        except OSError:
            continue
    return -1


def wipe(path):
    """Empty `path`; code under test may have chmod-ed things, so restore access first.
    Any failure propagates: the host then discards this container instead of reusing it."""
    for entry in os.scandir(path):
        if entry.is_dir(follow_symlinks=False):
            os.chmod(entry.path, 0o700)
            wipe(entry.path)
            os.rmdir(entry.path)
        else:
            os.unlink(entry.path)


def write_files(work, files):
    for name, content in files.items():
        path = os.path.join(work, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as fh:
            fh.write(content)


def spawn(work, command, env, limits, libc):
    timeout, _, max_file, cpus = limits
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: only async-signal-safe-ish work until exec
        try:
            os.setsid()
            null = os.open(os.devnull, os.O_RDONLY)
            os.dup2(null, 0)
            os.dup2(out_w, 1)
            os.dup2(err_w, 2)
            if libc is not None:
                libc.prctl(4, 1, 0, 0, 0)  # dumpable again, or /proc/self is root's (exec resets it too)
            fsize = max_file * 1024 * 1024
            cpu = int(timeout * max(1.0, cpus)) + 2
            resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
            resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
            with open("/proc/self/oom_score_adj", "w") as fh:  # the OOM killer takes the child, not us
                fh.write("1000")
            os.chdir(work)
            os.execvpe(command[0], command, env)
        except BaseException as exc:
            try:
                os.write(2, ("cannot run command: %s\n" % exc).encode())
            finally:
                os._exit(127)
    os.close(out_w)
    os.close(err_w)
    return pid, out_r, err_r


def supervise(pid, pipes, deadline):
    """Read the pipes until EOF (or 0.2 s after exit) and reap the child, without busy
    waiting: a pidfd wakes us when it exits. Returns (wait status or None, timed_out)."""
    poller = select.poll()
    for fd in pipes:
        poller.register(fd, select.POLLIN)
    try:
        pidfd = os.pidfd_open(pid)
        poller.register(pidfd, select.POLLIN)
    except (AttributeError, OSError):
        pidfd = None  # old kernel or filtered syscall: poll waitpid every 10 ms instead
    status, exited_at = None, None
    try:
        while pipes or status is None:
            now = time.monotonic()
            if now >= deadline:
                return status, True
            if status is None and pidfd is None:
                done, st = os.waitpid(pid, os.WNOHANG)
                if done:
                    status, exited_at = st, now
            if exited_at is not None and (not pipes or now - exited_at > 0.2):
                break  # a grandchild may hold the pipes open: stop waiting for it
            wait = deadline - now
            if exited_at is not None:
                wait = min(wait, exited_at + 0.2 - now)
            elif pidfd is None:
                wait = min(wait, 0.01)
            for fd, _ in poller.poll(int(1000 * max(wait, 0)) + 1):
                if fd == pidfd:
                    poller.unregister(pidfd)
                    status, exited_at = os.waitpid(pid, 0)[1], time.monotonic()
                    continue
                chunk = os.read(fd, 65536)
                if chunk:
                    pipes[fd].feed(chunk)
                else:
                    poller.unregister(fd)
                    del pipes[fd]
        return status, False
    finally:
        if pidfd is not None:
            os.close(pidfd)


def main():
    if not os.path.exists("/.dockerenv") or os.getuid() == 0:
        sys.stderr.write("codeloop runner: refusing to run outside an unprivileged container\n")
        sys.exit(3)
    libc = undumpable()
    work, limits, command, env, files = parse_request(sys.stdin.buffer.read())
    wipe(work)
    write_files(work, files)
    before = oom_kills()
    start = time.monotonic()
    out, err = Capped(limits[1]), Capped(limits[1])
    pid, out_r, err_r = spawn(work, command, env, limits, libc)
    status, timed_out = supervise(pid, {out_r: out, err_r: err}, start + limits[0])
    duration = time.monotonic() - start
    try:
        os.kill(-1, SIGKILL)  # every leftover, daemonised or not
    except ProcessLookupError:
        pass
    if status is None:
        status = os.waitpid(pid, 0)[1]
    code = os.waitstatus_to_exitcode(status)
    oom = oom_kills() > before >= 0 or (code == -SIGKILL and not timed_out)
    junit = b""
    path = os.path.join(work, JUNIT)
    if os.path.isfile(path) and not os.path.islink(path):
        with open(path, "rb") as fh:
            junit = fh.read(2 * 1024 * 1024 + 1)
    o, e = out.value(), err.value()
    header = "CODELOOP-RES1 %d %d %d %d %.6f %d %d %d\n" % (
        128 - code if code < 0 else code, timed_out, oom, out.total > out.cap or err.total > err.cap,
        duration, len(o), len(e), len(junit))
    sys.stdout.buffer.write(header.encode() + o + e + junit)
    sys.stdout.buffer.flush()


if __name__ == "__main__":
    main()
