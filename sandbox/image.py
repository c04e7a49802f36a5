"""The sandbox root filesystem and Docker image: `codeloop sandbox build`.

Offline path (default where `debootstrap` exists, and what CI uses): a Debian minbase
root filesystem with python3 and pytest, cached on disk and imported with `docker import`.
bwrap binds the very same directory read-only, so both backends run identical files.
Registry path (`method="dockerfile"`, or where debootstrap is missing): a small Dockerfile.
"""

from __future__ import annotations

import io
import json
import logging
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from sandbox._apt import mirror_for
from sandbox.base import SandboxError, SandboxUnavailable
from settings.cache import sandbox_fallbacks, sandbox_root
from settings.config import current
from settings.errors import BadInput

log = logging.getLogger(__name__)

SUITE = "bookworm"
PACKAGES = ("python3", "python3-pytest")
IMAGE = f"codeloop-sandbox:{SUITE}"
MARKER = ".codeloop-rootfs.json"
SANDBOX_UID = 65534  # nobody: the user code runs as in every backend
DOCKERFILE = """\
FROM python:3.11-slim-bookworm
RUN pip install --no-cache-dir pytest && mkdir -m 1777 /work
USER 65534:65534
WORKDIR /work
"""


def rootfs_home() -> Path:
    """Where the root filesystem is built: CODELOOP_SANDBOX_ROOTFS, else `sandbox/` under the
    one cache root (settings.cache.sandbox_root: as root by default the site cache
    /var/cache/codeloop, because bwrap runs the sandbox as an unprivileged user, who cannot
    read anything under /root)."""
    override = current().sandbox_rootfs  # CODELOOP_SANDBOX_ROOTFS or the user's config
    return Path(override) if override else sandbox_root() / f"rootfs-{SUITE}"


def rootfs_dir() -> Path:
    """The root filesystem the sandboxes use: the one at `rootfs_home()`, else a finished one
    at a default place (a machine's one build serves every cache root), else `rootfs_home()`."""
    home = rootfs_home()
    if rootfs_info(home) is not None or current().sandbox_rootfs:
        return home
    for place in sandbox_fallbacks():
        if rootfs_info(place / home.name) is not None:
            return place / home.name
    return home


def image_name(image: str | None = None) -> str:
    """The Docker image tag: `image`, else the `sandbox_image` setting (CODELOOP_SANDBOX_IMAGE,
    the user's config), else IMAGE."""
    return image or current().sandbox_image or IMAGE


def rootfs_info(root: Path | None = None) -> dict | None:
    """The build record of a finished root filesystem, or None if there is none."""
    try:
        return json.loads(((root or rootfs_dir()) / MARKER).read_text())
    except (OSError, ValueError):
        return None


def build_rootfs(force: bool = False) -> Path:
    """Create (or reuse) the Debian root filesystem; idempotent, atomic on success."""
    if rootfs_info(rootfs_dir()) and not force:
        log.info("reusing root filesystem %s", rootfs_dir())
        return rootfs_dir()
    final = rootfs_home()
    if shutil.which("debootstrap") is None:
        raise SandboxUnavailable("debootstrap is not installed (apt-get install debootstrap)")
    if os.geteuid() != 0:
        raise SandboxUnavailable("building the root filesystem needs root (debootstrap)")
    final.parent.mkdir(parents=True, exist_ok=True)
    # bwrap runs as nobody when we are root: every directory on the way must be searchable
    # whatever the umask was.
    for d in (final.parent, final.parent.parent):
        if d.stat().st_uid == os.geteuid():
            os.chmod(d, d.stat().st_mode | 0o755)
    staging = final.with_name(final.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    # The machine's own apt mirror (it may be the only one reachable); without one,
    # debootstrap picks its default.
    mirror = mirror_for(SUITE)
    cmd = ["debootstrap", "--variant=minbase", f"--include={','.join(PACKAGES)}", SUITE, str(staging)]
    cmd += [mirror] if mirror else []
    log.info("running %s (about a minute)", " ".join(cmd))
    started = time.monotonic()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        tail = (proc.stdout + proc.stderr).strip().splitlines()[-3:]
        raise SandboxError(f"debootstrap failed ({proc.returncode}): {' | '.join(tail)}")
    _finish_rootfs(staging, time.monotonic() - started, mirror)
    shutil.rmtree(final, ignore_errors=True)
    os.rename(staging, final)
    return final


def _finish_rootfs(root: Path, seconds: float, mirror: str | None) -> None:
    """Add the mount points the sandboxes use, drop package caches, write the marker."""
    (root / "work").mkdir(exist_ok=True)
    os.chmod(root / "work", 0o1777)  # mkdir's mode is filtered by the umask
    os.chmod(root, 0o755)
    for cache in (root / "var/cache/apt/archives").glob("*.deb"):
        cache.unlink()
    info = {"suite": SUITE, "packages": list(PACKAGES), "built": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "seconds": round(seconds, 1), "mirror": mirror or "debootstrap default"}
    (root / MARKER).write_text(json.dumps(info))


def docker_client():
    """A docker SDK client for the local engine, or SandboxUnavailable saying why not."""
    try:
        import docker
    except ImportError as exc:
        raise SandboxUnavailable("the docker backend needs the `docker` package (pip install 'docker>=7')") from exc
    try:
        client = docker.from_env(timeout=30)
        client.ping()
        return client
    except Exception as exc:  # the SDK raises several unrelated types for "no engine"
        raise SandboxUnavailable(f"no Docker engine reachable ({type(exc).__name__}); start dockerd") from exc


def image_present(client, name: str | None = None) -> bool:
    """True when the sandbox image exists in the engine."""
    import docker

    try:
        client.images.get(name or image_name())
        return True
    except docker.errors.ImageNotFound:
        return False


BUILD_METHODS = ("auto", "debootstrap", "dockerfile")


def build_image(client=None, method: str = "auto", force: bool = False) -> str:
    """Build the Docker image (and the root filesystem it comes from); return its tag."""
    import docker

    if method not in BUILD_METHODS:
        raise BadInput(f"unknown build method {method!r} ({', '.join(BUILD_METHODS)})")
    client = client or docker_client()
    try:
        return _build_image(client, method, force)
    except docker.errors.DockerException as exc:
        raise SandboxError(f"building the sandbox image failed: {exc}".splitlines()[0][:300]) from exc
    except subprocess.CalledProcessError as exc:
        raise SandboxError(f"packing the root filesystem failed: {exc}") from exc


def _build_image(client, method: str, force: bool) -> str:
    name = image_name()
    if method == "auto":
        method = "debootstrap" if shutil.which("debootstrap") else "dockerfile"
    if method == "dockerfile":
        log.info("building %s from a Dockerfile (needs a registry)", name)
        client.images.build(fileobj=io.BytesIO(DOCKERFILE.encode()), tag=name, rm=True, pull=True)
        return name
    root = build_rootfs(force=force)
    stamp = rootfs_info(root)["built"]
    if not force and image_present(client, name):
        labels = client.images.get(name).labels or {}
        if labels.get("org.codeloop.rootfs") == stamp:
            log.info("image %s is up to date", name)
            return name
    with tempfile.NamedTemporaryFile(suffix=".tar") as tar:
        subprocess.run(["tar", "-C", str(root), "--numeric-owner", "-cf", tar.name, "."], check=True)
        changes = [f"LABEL org.codeloop.rootfs={stamp}", f"USER {SANDBOX_UID}:{SANDBOX_UID}", "WORKDIR /work",
                   "ENV LANG=C.UTF-8 PATH=/usr/local/bin:/usr/bin:/bin"]
        repo, _, tag = name.partition(":")
        client.api.import_image_from_file(tar.name, repository=repo, tag=tag or "latest", changes=changes)
    log.info("imported %s from %s", name, root)
    return name
