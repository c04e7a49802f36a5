#!/usr/bin/env bash
# GPU check of the llama-server engine (issue 12, item 5), for a machine with a CUDA GPU and
# no network: build llama-server with CUDA from the llama.cpp source that travels with the
# tree, make a tiny random-weight Qwen2 model with the transformers installed there (its
# tokenizer is a small BPE trained here: no hub), convert it with the vendored
# convert_hf_to_gguf.py, serve it through `codeloop serve --engine llama-server --gpu-layers 99`
# (or, where codeloop's dependencies are missing, the same binary and our client code, or the
# bare binary and urllib), and send two requests that share a prefix: the second reports the
# shared prefix as cached tokens; the log shows the layers offloaded to CUDA.
#
# Source: build/llama.cpp-src, a trimmed copy of llama-cpp-python 0.3.36's vendor/llama.cpp
# (MIT; models/, docs/, tests/, examples/, web UI sources and non-CUDA GPU backends removed,
# ~31 MiB). It is git-ignored: carry it (`carry: ["build/llama.cpp-src"]`).
# Usage (repository root):  benchmarks/gpu_check.sh
#   GPU_CHECK_CUDA=0 builds for the CPU instead (to try the script on a machine without a GPU);
#   GPU_CHECK_WORK=DIR (default /tmp/codeloop-gpu-check) keeps the build between runs;
#   GPU_CHECK_MODE=cli|client|bare forces how it serves (default: the first that imports);
#   PYTHON=... picks the interpreter (default: the first of python3, python with torch + transformers).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SRC=${LLAMA_SRC:-$ROOT/build/llama.cpp-src}
WORK=${GPU_CHECK_WORK:-/tmp/codeloop-gpu-check}
CUDA=${GPU_CHECK_CUDA:-1}
PY=
for candidate in ${PYTHON:-} python3 python; do  # the first Python that has torch and transformers
  if command -v "$candidate" >/dev/null && "$candidate" -c "import torch, transformers" 2>/dev/null; then
    PY=$(command -v "$candidate"); break
  fi
done
mkdir -p "$WORK"
declare -a ROWS
row() { ROWS+=("| $1 | $2 | $3 |"); printf '==> %s: %s (%s)\n' "$1" "$3" "$2"; }
summary() {
  echo; echo "| step | seconds | result |"; echo "|---|---|---|"
  printf '%s\n' "${ROWS[@]}"
}
trap summary EXIT
[ -f "$SRC/CMakeLists.txt" ] || { row source 0 "missing: $SRC (carry build/llama.cpp-src)"; exit 2; }
[ -n "$PY" ] || { row python 0 "no Python with torch and transformers (set PYTHON=...)"; exit 2; }
PORT=${GPU_CHECK_PORT:-$("$PY" -c "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")}
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader 2>/dev/null | head -1 | sed 's/^/gpu: /' || true

# 1. llama-server, CUDA for sm_90 (H100/H200). FlashAttention kernels and NCCL are left out:
#    they only cost compile time here.
t=$SECONDS
BUILD=$WORK/build-$([ "$CUDA" = 1 ] && echo cuda || echo cpu)
flags=(-DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=OFF -DBUILD_SHARED_LIBS=OFF -DLLAMA_CURL=OFF -DLLAMA_OPENSSL=OFF
       -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_UI=OFF -DLLAMA_USE_PREBUILT_UI=OFF)
[ "$CUDA" = 1 ] && flags+=(-DGGML_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES=90 -DGGML_CUDA_FA=OFF -DGGML_CUDA_NCCL=OFF)
if ! { cmake -S "$SRC" -B "$BUILD" "${flags[@]}" >"$WORK/cmake.log" 2>&1 &&
       cmake --build "$BUILD" --target llama-server -j"${JOBS:-16}" >"$WORK/build.log" 2>&1; }; then
  tail -25 "$WORK/cmake.log" "$WORK/build.log"; row "build llama-server" $((SECONDS - t)) FAILED; exit 1
fi
BIN=$BUILD/bin/llama-server
row "build llama-server (CUDA=$CUDA)" $((SECONDS - t)) "$("$BIN" --version 2>&1 | grep -m1 -i version || echo built)"

# 2. A tiny random Qwen2 (hidden 64, 2 layers, one 64-wide head) and its GGUF.
t=$SECONDS
"$PY" - "$WORK/hf" <<'EOF'
import sys
from pathlib import Path

import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import PreTrainedTokenizerFast, Qwen2Config, Qwen2ForCausalLM

out = Path(sys.argv[1])
specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
tok = Tokenizer(models.BPE())
tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
tok.decoder = decoders.ByteLevel()
lines = ["def add(a, b):\n    return a + b\n", "The quick brown fox jumps over the lazy dog.",
         "You are a helpful assistant. Write careful Python code with tests.", "system user assistant"] * 20
tok.train_from_iterator(lines, trainers.BpeTrainer(vocab_size=400, special_tokens=specials, show_progress=False,
                                                   initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
fast = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|im_end|>", pad_token="<|endoftext|>")
fast.chat_template = ("{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
                      "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")
fast.save_pretrained(out)
torch.manual_seed(0)
config = Qwen2Config(vocab_size=len(fast), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                     num_attention_heads=1, num_key_value_heads=1, max_position_embeddings=4096,
                     tie_word_embeddings=True, eos_token_id=fast.eos_token_id)
Qwen2ForCausalLM(config).save_pretrained(out)
print(f"tiny Qwen2: vocab {len(fast)}, {sum(p.numel() for p in Qwen2ForCausalLM(config).parameters())} parameters")
EOF
# llama.cpp's conversion modules are imported from the source tree (PYTHONPATH, not installed)
PYTHONPATH="$SRC:$SRC/gguf-py${PYTHONPATH:+:$PYTHONPATH}" "$PY" - "$SRC" "$WORK/hf" --outfile "$WORK/tiny-qwen2.gguf" --outtype f16 >"$WORK/convert.log" 2>&1 <<'EOF' || { tail -20 "$WORK/convert.log"; row convert $((SECONDS - t)) FAILED; exit 1; }
import runpy
import sys

src = sys.argv.pop(1)
import conversion.base as base
import conversion.qwen as qwen

# A tokenizer trained here has no known pre-tokenizer hash; it is a ByteLevel BPE like Qwen2's.
base.TextModel.get_vocab_base_pre = lambda self, tokenizer: "qwen2"
qwen.Qwen2Model.set_vocab = lambda self: self._set_vocab_gpt2()  # BPE only, no sentencepiece
sys.argv[0] = src + "/convert_hf_to_gguf.py"
runpy.run_path(sys.argv[0], run_name="__main__")
EOF
row "tiny Qwen2 → GGUF (convert_hf_to_gguf.py)" $((SECONDS - t)) "$(du -h "$WORK/tiny-qwen2.gguf" | cut -f1)"

# 3. Serve it. Prefer `codeloop serve`; fall back to our client code; then to the bare binary.
t=$SECONDS
export CODELOOP_LLAMA_SERVER=$BIN CODELOOP_CACHE_DIR=$WORK/cache PYTHONPATH=$ROOT${PYTHONPATH:+:$PYTHONPATH}
# The CUDA build leaves out the FlashAttention kernels; with FA on "auto" llama.cpp would put
# attention on the CPU (first H100 run). llama-server reads its flags from LLAMA_ARG_* too.
[ "$CUDA" = 1 ] && export LLAMA_ARG_FLASH_ATTN=off
LOG=$WORK/server.log
: >"$LOG"
MODE=${GPU_CHECK_MODE:-auto}  # cli | client | bare; auto: the first whose imports work
if [ "$MODE" = cli ] || { [ "$MODE" = auto ] && "$PY" -c "import apps.cli" 2>/dev/null; }; then
  how="codeloop serve --engine llama-server --gpu-layers 99"
  "$PY" -c "import sys; from apps.cli import main; sys.argv[0] = 'codeloop'; main()" serve --engine llama-server \
    --model "$WORK/tiny-qwen2.gguf" --gpu-layers 99 --parallel 2 --ctx 2048 --port "$PORT" >"$WORK/serve.out" 2>&1 &
  LOG=$WORK/cache/logs/server-$PORT-llama-server.log
elif [ "$MODE" = client ] || { [ "$MODE" = auto ] && "$PY" -c "import serving.engines" 2>/dev/null; }; then
  how="serving.engines + ManagedServer (codeloop's CLI deps missing)"
  "$PY" - "$WORK/tiny-qwen2.gguf" "$PORT" "$LOG" >"$WORK/serve.out" 2>&1 <<'EOF' &
import sys, time
from pathlib import Path
from serving.embedded import ManagedServer
from serving.engines import make_engine
server = ManagedServer(make_engine("llama-server", sys.argv[1], n_ctx=2048, parallel=2, gpu_layers=99),
                       port=int(sys.argv[2]), log_path=Path(sys.argv[3]), reuse=False)
server.start()
while server.process.poll() is None:
    time.sleep(0.5)
EOF
else
  how="bare llama-server (httpx/platformdirs missing)"
  "$BIN" --model "$WORK/tiny-qwen2.gguf" --alias tiny-qwen2 --host 127.0.0.1 --port "$PORT" --ctx-size 4096 \
    --parallel 2 --cache-ram 256 --no-webui --metrics --gpu-layers 99 --verbose >"$LOG" 2>&1 &
fi
SERVER_PID=$!
trap 'kill $SERVER_PID 2>/dev/null; wait $SERVER_PID 2>/dev/null; summary' EXIT
healthy() {  # 200 from /health (the one path that wants no API key): 503 while it loads the model
  "$PY" -c "import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)" \
    "http://127.0.0.1:$PORT/health" >/dev/null 2>&1
}
for _ in $(seq 240); do
  healthy && break
  kill -0 $SERVER_PID 2>/dev/null || { cat "$WORK/serve.out" "$LOG" | tail -20; row serve $((SECONDS - t)) "FAILED ($how)"; exit 1; }
  sleep 0.5
done
row "serve" $((SECONDS - t)) "$how"

# 4. Two requests sharing a ~200-token prefix; the second asks for n=2 (one request, n_cmpl).
t=$SECONDS
answers=$("$PY" - "$PORT" <<'EOF'
import json, os, sys, urllib.request
base = f"http://127.0.0.1:{sys.argv[1]}/v1"
system = {"role": "system", "content": "You are a helpful assistant. Write careful Python code with tests. " * 12}
def ask(question, n):
    try:  # our client when its dependencies are here, else plain urllib
        if os.environ.get("GPU_CHECK_MODE") == "bare":
            raise ImportError("bare mode")
        from serving import server_keys
        from serving.engines import detect_traits
        from serving.openai_client import OpenAICompatibleLLM, check_server
        # the server codeloop started wants its per-launch key, kept in the cache's key file
        server_keys.remember(base, server_keys.read_key(server_keys.key_file(int(sys.argv[1]))))
        model = check_server(base)
        c = OpenAICompatibleLLM(base, model, traits=detect_traits(base)).complete(
            [system, {"role": "user", "content": question}], n=n, max_tokens=16, temperature=0.8)
        return c.usage.prompt_tokens, c.usage.cached_tokens, len(c.texts), c.usage.calls, "codeloop client"
    except ImportError:
        body = {"messages": [system, {"role": "user", "content": question}], "n": n, "max_tokens": 16,
                "temperature": 0.8, "cache_prompt": True}
        req = urllib.request.Request(base + "/chat/completions", json.dumps(body).encode(), {"Content-Type": "application/json"})
        data = json.load(urllib.request.urlopen(req))
        u = data["usage"]
        return u["prompt_tokens"], u.get("prompt_tokens_details", {}).get("cached_tokens", 0), len(data["choices"]), 1, "urllib"
for i, (question, n) in enumerate((("def add(a, b):", 1), ("The quick brown fox", 2))):
    prompt, cached, texts, calls, via = ask(question, n)
    print(f"request {i + 1}|prompt {prompt} tokens, cached {cached}; {texts} completion(s) in {calls} request(s) via {via}")
EOF
) || { tail -20 "$LOG"; row "requests" $((SECONDS - t)) FAILED; exit 1; }
while IFS='|' read -r what result; do row "$what" $((SECONDS - t)) "$result"; done <<<"$answers"
# Proof of offload, two ways: the GPU memory the server process holds (nvidia-smi, while it
# still runs), and the load lines of the verbose log ("using device CUDA0", "offloaded N/N").
gpu_mem=$(nvidia-smi --query-compute-apps=pid,process_name,used_memory --format=csv,noheader 2>/dev/null \
          | grep -i llama | paste -sd';' - || true)
row "GPU memory held by llama-server (nvidia-smi)" 0 "${gpu_mem:-none: the server holds no GPU memory}"
offload=$(grep -m4 -oE "offloaded [0-9]+/[0-9]+ layers to GPU|using device CUDA0[^|]{0,60}|CUDA0[^|]{0,70}" "$LOG" | paste -sd';' - || true)
row "offload (server log)" 0 "${offload:-no CUDA0 line in $LOG (CPU build?)}"
head -c 2000000 "$LOG" >"${OUT:-$WORK}/server.log" 2>/dev/null || true
row total $SECONDS "log: $LOG"
