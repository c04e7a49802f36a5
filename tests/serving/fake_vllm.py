"""A stand-in for the `vllm` executable: `vllm serve MODEL ...` on loopback, OpenAI endpoints.

Used by tests/serving/test_vllm_engine.py on machines without a GPU. It accepts only the
options vLLM's `serve` has that our launcher uses (argparse rejects anything else, like vLLM
does), records its arguments to $FAKE_VLLM_RECORD, becomes healthy only after
$FAKE_VLLM_DELAY seconds (vLLM loads weights before it listens), reports prefix-cache hits
the way vLLM does (`usage.prompt_tokens_details.cached_tokens`, only with
--enable-prompt-tokens-details), wants `Authorization: Bearer $VLLM_API_KEY` on every /v1
path when that variable is set (401 otherwise, as vLLM's API-key middleware), records the
key it was given (`key_seen`: whether the variable was set), and on SIGTERM records
"stopped" and exits 0.
Tokens are whitespace-separated words; the cache remembers every prompt it has seen.
"""

import argparse
import json
import os
import signal
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def parse(argv):
    parser = argparse.ArgumentParser(prog="vllm")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve")
    serve.add_argument("model")
    serve.add_argument("--host", required=True)
    serve.add_argument("--port", type=int, required=True)
    serve.add_argument("--served-model-name")
    serve.add_argument("--max-model-len", type=int)
    serve.add_argument("--gpu-memory-utilization", type=float)
    serve.add_argument("--enable-prefix-caching", action="store_true")
    serve.add_argument("--enable-prompt-tokens-details", action="store_true")
    return parser.parse_args(argv)


def record(**fields):
    path = os.environ.get("FAKE_VLLM_RECORD")
    if path:
        with open(path, "a") as fh:
            fh.write(json.dumps(fields) + "\n")


def main(argv):
    args = parse(argv)
    name = args.served_model_name or args.model
    key = os.environ.get("VLLM_API_KEY")
    seen: list[list[str]] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def _send(self, status, body):
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _refused(self) -> bool:
            if key is None or not self.path.startswith("/v1") or self.headers.get("Authorization") == f"Bearer {key}":
                return False
            self._send(401, {"error": "Unauthorized"})
            return True

        def do_GET(self):
            if self._refused():
                return
            if self.path == "/v1/models":
                self._send(200, {"object": "list", "data": [{"id": name, "object": "model"}]})
            elif self.path == "/health":
                self._send(200, {})
            else:
                self._send(404, {"error": "not found"})

        def do_POST(self):
            if self._refused():
                return
            if self.path != "/v1/chat/completions":
                return self._send(404, {"error": "not found"})
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            if body.get("model") != name:
                return self._send(404, {"error": f"model {body.get('model')} does not exist"})
            words = " ".join(m["content"] for m in body["messages"]).split()
            cached = 0
            if args.enable_prefix_caching:
                for old in seen:
                    common = 0
                    while common < min(len(old), len(words)) and old[common] == words[common]:
                        common += 1
                    cached = max(cached, common)
            seen.append(words)
            n = int(body.get("n", 1))
            choices = [{"index": i, "message": {"role": "assistant", "content": f"sample {i}"},
                        "finish_reason": "stop"} for i in range(n)]
            usage = {"prompt_tokens": len(words), "completion_tokens": 2 * n, "total_tokens": len(words) + 2 * n}
            if args.enable_prompt_tokens_details:
                usage["prompt_tokens_details"] = {"cached_tokens": cached}
            record(request={k: v for k, v in body.items() if k != "messages"})
            self._send(200, {"id": "x", "object": "chat.completion", "model": name, "choices": choices, "usage": usage})

    record(argv=argv, key_seen=key is not None)
    time.sleep(float(os.environ.get("FAKE_VLLM_DELAY", "0")))
    httpd = ThreadingHTTPServer((args.host, args.port), Handler)

    def stop(*_):
        record(event="stopped")
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    httpd.serve_forever()


if __name__ == "__main__":
    main(sys.argv[1:])
