"""A stand-in for the `llama-server` binary (point $CODELOOP_LLAMA_SERVER at a script that
runs it): takes the options our launcher passes (argparse rejects any other, as llama-server
does), serves the --alias model on --host:--port with llama-server's API-key rules (with
--api-key-file, every path but /health wants `Authorization: Bearer KEY`, else 401), and
answers every chat request with one fixed reply. It appends its argv and every request it
accepts or refuses to $FAKE_LLAMA_RECORD (JSON lines), so a test sees what reached it.
"""

import argparse
import json
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

REPLY = "```python\ndef add(a, b):\n    return a + b\n```"


def parse(argv):
    parser = argparse.ArgumentParser(prog="llama-server")
    for flag in ("--model", "--alias", "--host", "--api-key-file", "--cache-ram", "--ctx-size", "--threads",
                 "--gpu-layers"):
        parser.add_argument(flag)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--parallel", type=int, default=1)
    parser.add_argument("--no-webui", action="store_true")
    parser.add_argument("--metrics", action="store_true")
    return parser.parse_args(argv)


def record(**fields):
    path = os.environ.get("FAKE_LLAMA_RECORD")
    if path:
        with open(path, "a") as out:
            out.write(json.dumps(fields) + "\n")


def main(argv):
    args = parse(argv)
    key = None
    if args.api_key_file:
        with open(args.api_key_file) as key_file:
            key = next((line.strip() for line in key_file if line.strip() and not line.startswith("#")), None)

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

        def _allowed(self, body=None) -> bool:
            ok = key is None or self.path == "/health" or self.headers.get("Authorization") == f"Bearer {key}"
            record(method=self.command, path=self.path, allowed=ok, body=body)
            if not ok:
                self._send(401, {"error": {"message": "Invalid API Key", "type": "authentication_error", "code": 401}})
            return ok

        def do_GET(self):
            if not self._allowed():
                return
            if self.path in ("/v1/models", "/models"):
                self._send(200, {"object": "list", "data": [{"id": args.alias, "object": "model"}]})
            elif self.path == "/props":
                self._send(200, {"total_slots": args.parallel})
            else:
                self._send(200 if self.path == "/health" else 404, {})

        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
            if not self._allowed(body):
                return
            n = int(body.get("n", 1))
            choices = [{"index": i, "finish_reason": "stop", "message": {"role": "assistant", "content": REPLY}}
                       for i in range(n)]
            self._send(200, {"model": args.alias, "choices": choices,
                             "usage": {"prompt_tokens": 10, "completion_tokens": 10}})

    record(argv=argv, pid=os.getpid())
    ThreadingHTTPServer((args.host, args.port), Handler).serve_forever()


if __name__ == "__main__":
    main(sys.argv[1:])
