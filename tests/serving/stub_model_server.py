"""A stand-in model server process for the restart tests: `python stub_model_server.py PORT
[DELAY_S]` answers /v1/models and, after DELAY_S, every chat request with one text that
names its own pid (so a test can see which server process answered)."""

import json
import os
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT = int(sys.argv[1])
DELAY_S = float(sys.argv[2]) if len(sys.argv) > 2 else 0.0


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def _send(self, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self._send({"data": [{"id": "stub"}]})

    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        time.sleep(DELAY_S)
        self._send({"model": "stub", "choices": [{"index": 0, "finish_reason": "stop",
                    "message": {"role": "assistant", "content": f"answer from {os.getpid()}"}}],
                    "usage": {"prompt_tokens": 5, "completion_tokens": 3}})


ThreadingHTTPServer(("127.0.0.1", PORT), Handler).serve_forever()
