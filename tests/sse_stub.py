"""A loopback OpenAI-compatible server that streams its scripted answers (`stream: true` →
server-sent events, one word per event, `delay_s` apart), for the streaming tests."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from serving.fake import pieces
from tests.conftest import send_json


def sse_events(texts: list[str], usage: dict | None = None) -> list[dict]:
    """The chunks a server streams for `texts` (choice i = texts[i]), interleaved by word."""
    split = [pieces(text) for text in texts]
    events = [{"choices": [{"index": i, "delta": {"role": "assistant", "content": None}}]} for i in range(len(texts))]
    for step in range(max(len(p) for p in split)):
        for index, words in enumerate(split):
            if step < len(words):
                entry = {"token": words[step], "logprob": -0.5}
                events.append({"model": "stream-stub", "choices": [
                    {"index": index, "delta": {"content": words[step]}, "logprobs": {"content": [entry]}}]})
    events += [{"choices": [{"index": i, "delta": {}, "finish_reason": "stop"}]} for i in range(len(texts))]
    events.append({"choices": [], "usage": usage or {"prompt_tokens": 100, "completion_tokens": len(split[0])}})
    return events


class StreamingStub:
    """Answers each chat request with the next scripted text: streamed when asked, with a
    pause of `delay_s` before each word (and a last `usage` event unless `report_usage` is
    False, as some servers do); one JSON body otherwise."""

    def __init__(self, texts: list[str], delay_s: float = 0.0, report_usage: bool = True) -> None:
        self.texts, self.delay_s, self.requests = list(texts), delay_s, []
        self.report_usage = report_usage
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                send_json(self, {"data": [{"id": "stream-stub"}]})

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                stub.requests.append(body)
                text = stub.texts.pop(0) if stub.texts else ""
                if not body.get("stream"):
                    message = {"role": "assistant", "content": text}
                    send_json(self, {"model": "stream-stub", "choices": [{"index": 0, "message": message,
                                     "finish_reason": "stop"}], "usage": {"prompt_tokens": 100, "completion_tokens": 5}})
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                for event in sse_events([text]):
                    if "usage" in event and not stub.report_usage:
                        continue
                    if event["choices"] and event["choices"][0]["delta"].get("content"):
                        time.sleep(stub.delay_s)
                    self.wfile.write(f"data: {json.dumps(event)}\n\n".encode())
                    self.wfile.flush()
                self.wfile.write(b"data: [DONE]\n\n")

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
