"""A small OpenAI-compatible chat server on 127.0.0.1 that answers from a script (real HTTP)."""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Reply:
    content: str = ""
    status: int = 200
    sleep: float = 0.0
    body: str = ""  # raw body for errors


def fields(**texts: str) -> Reply:
    return Reply(content=json.dumps(texts, ensure_ascii=False))


@dataclass
class FakeLLM:
    script: deque = field(default_factory=deque)
    requests: list[dict] = field(default_factory=list)
    default: Reply | None = None
    server: ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        host, port = self.server.server_address
        return f"http://{host}:{port}/v1"

    def add(self, *replies: Reply) -> FakeLLM:
        self.script.extend(replies)
        return self

    def next_reply(self) -> Reply:
        if self.script:
            return self.script.popleft()
        if self.default is not None:
            return self.default
        return Reply(status=500, body="script exhausted")

    @property
    def chat_calls(self) -> int:
        return len(self.requests)

    def start(self) -> FakeLLM:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                payload = json.loads(self.rfile.read(length) or b"{}")
                if self.path != "/v1/chat/completions":
                    self.send_error(404)
                    return
                fake.requests.append(payload)
                reply = fake.next_reply()
                if reply.sleep:
                    time.sleep(reply.sleep)
                if reply.status != 200:
                    body = (reply.body or json.dumps({"error": {"message": "scripted error"}})).encode()
                else:
                    body = json.dumps(
                        {
                            "id": "chatcmpl-fake",
                            "object": "chat.completion",
                            "model": payload.get("model"),
                            "choices": [
                                {
                                    "index": 0,
                                    "message": {"role": "assistant", "content": reply.content},
                                    "finish_reason": "stop",
                                }
                            ],
                            "usage": {
                                "prompt_tokens": 50,
                                "completion_tokens": len(reply.content) // 4,
                                "total_tokens": 50 + len(reply.content) // 4,
                            },
                        }
                    ).encode()
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout test)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
