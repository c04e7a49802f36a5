"""A stand-in model server process for the restart tests: `python stub_model_server.py PORT
[DELAY_S] [--api-key-file FILE]` answers /v1/models and, after DELAY_S, every chat request
with one text that names its own pid (so a test can see which server process answered); a
streamed request gets that text's first word at once and the rest after DELAY_S, in chunked
server-sent events as llama-server sends them. With a key file, every request without
`Authorization: Bearer KEY` gets 401, as llama-server's does. `launch` starts one and waits
until it answers."""

import json
import os
import subprocess
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DELAY_S = 0.0  # set from argv when run as a script
API_KEY = None  # read from --api-key-file when given


def launch(port: int, delay_s: float = 0.0) -> subprocess.Popen:
    """This stub as a separate process on `port`, once /v1/models answers."""
    import httpx

    proc = subprocess.Popen([sys.executable, __file__, str(port), str(delay_s)])
    for _ in range(100):
        try:
            httpx.get(f"http://127.0.0.1:{port}/v1/models", timeout=1)
            return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("stub model server did not start")


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

    def _refused(self) -> bool:
        """401 for a request without the key (when the server has one)."""
        if API_KEY is None or self.headers.get("Authorization") == f"Bearer {API_KEY}":
            return False
        data = b'{"error": {"message": "Invalid API Key", "code": 401}}'
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        return True

    def do_GET(self):
        if not self._refused():
            self._send({"data": [{"id": "stub"}]})

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _stream(self, text: str) -> None:
        """`text` word by word as chunked server-sent events, DELAY_S after the first word."""
        self.protocol_version = "HTTP/1.1"  # chunked: a server killed mid-answer is a torn body
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for index, word in enumerate(text.split(" ")):
            piece = word if index == 0 else " " + word
            event = {"model": "stub", "choices": [{"index": 0, "delta": {"content": piece}}]}
            self._chunk(f"data: {json.dumps(event)}\n\n".encode())
            if index == 0:
                time.sleep(DELAY_S)
        self._chunk(b"data: [DONE]\n\n")
        self._chunk(b"")
        self.close_connection = True

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if self._refused():
            return
        if body.get("stream"):
            self._stream(f"answer from {os.getpid()}")
            return
        time.sleep(DELAY_S)
        self._send({"model": "stub", "choices": [{"index": 0, "finish_reason": "stop",
                    "message": {"role": "assistant", "content": f"answer from {os.getpid()}"}}],
                    "usage": {"prompt_tokens": 5, "completion_tokens": 3}})


if __name__ == "__main__":
    args = sys.argv[1:]
    if "--api-key-file" in args:
        at = args.index("--api-key-file")
        with open(args[at + 1]) as key_file:
            API_KEY = key_file.read().strip()
        del args[at:at + 2]
    sys.argv[1:] = args
    DELAY_S = float(sys.argv[2]) if len(sys.argv) > 2 else 0.0
    ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
