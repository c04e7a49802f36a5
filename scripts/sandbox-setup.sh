#!/usr/bin/env bash
# Prepare a fresh Debian machine (as root) for the docker and bwrap sandboxes:
# install docker.io, bubblewrap and debootstrap, start dockerd if it is not running,
# then build the root filesystem and the image. Idempotent: safe to run again.
# With --bwrap only the light backend: bubblewrap and debootstrap, the root filesystem, a
# check that bwrap works (what `make run` uses; a second run costs well under a second).
# Usage: scripts/sandbox-setup.sh [--bwrap] [PYTHON]   (PYTHON defaults to .venv/bin/python)
set -euo pipefail

cd "$(dirname "$0")/.."
BWRAP_ONLY=0
if [ "${1:-}" = --bwrap ]; then BWRAP_ONLY=1; shift; fi
PY="${1:-.venv/bin/python}"

if [ "$(id -u)" -ne 0 ]; then
    echo "sandbox-setup: must run as root (apt-get, dockerd, debootstrap)" >&2
    exit 1
fi

# A config file's values (sandbox_rootfs, sandbox_image, cache_dir, ...) as the codeloop
# commands see them: the python steps below read their CODELOOP_* variables (set ones win).
config_env=$("$PY" -c 'from apps.cli import main; main()' config --env)
eval "$config_env"

pairs="dockerd:docker.io bwrap:bubblewrap debootstrap:debootstrap"
[ "$BWRAP_ONLY" = 1 ] && pairs="bwrap:bubblewrap debootstrap:debootstrap"
need=()
for pair in $pairs; do
    command -v "${pair%%:*}" >/dev/null 2>&1 || need+=("${pair#*:}")
done
if [ "${#need[@]}" -gt 0 ]; then
    echo "sandbox-setup: installing ${need[*]}"
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}"
fi

if [ "$BWRAP_ONLY" = 1 ]; then
    # The root filesystem only (reused when present), then bwrap's own probe: exit 1 with
    # the reason when bwrap cannot run here (e.g. no user namespaces in this container).
    "$PY" -c "
import logging, sys
logging.basicConfig(level=logging.INFO, format='sandbox-setup: %(message)s')
from sandbox.bwrap import BwrapSandbox
from sandbox.image import build_rootfs
root = build_rootfs()
why = BwrapSandbox.probe(root)
print('sandbox-setup: bwrap', 'ok' if why is None else 'UNAVAILABLE: ' + why, 'rootfs', root)
sys.exit(0 if why is None else 1)
"
    exit 0
fi

if ! docker info >/dev/null 2>&1; then
    echo "sandbox-setup: starting dockerd"
    # No systemd in CI containers/VMs: start the daemon directly, detached from this shell.
    setsid nohup dockerd >/var/log/codeloop-dockerd.log 2>&1 < /dev/null &
    for _ in $(seq 1 60); do
        docker info >/dev/null 2>&1 && break
        sleep 1
    done
    if ! docker info >/dev/null 2>&1; then
        echo "sandbox-setup: dockerd did not come up; last log lines:" >&2
        tail -n 20 /var/log/codeloop-dockerd.log >&2 || true
        exit 1
    fi
fi

# The docker SDK is a core dependency; install it if this environment predates that.
"$PY" -c "import docker" 2>/dev/null || "$PY" -m pip install -q "docker>=7"

# Builds the debootstrap rootfs (cached, ~1 min the first time) and imports the image.
"$PY" -c "
import logging, sys
logging.basicConfig(level=logging.INFO, format='sandbox-setup: %(message)s')
from sandbox.image import build_image, rootfs_dir
print('sandbox-setup: image', build_image(), 'rootfs', rootfs_dir())
"
"$PY" -c "
from sandbox.check import check_all
for s in check_all():
    print('sandbox-setup:', s.name, 'ok' if s.available else 'UNAVAILABLE: ' + s.reason, *s.notes, sep=' ')
"
