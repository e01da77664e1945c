"""An OpenAI chat-completions server on loopback that answers from a script (for tests)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from agentloop.tracing import SpanRecord, add_sink, remove_sink

USAGE = {"prompt_tokens": 17, "completion_tokens": 5, "total_tokens": 22}


@dataclass
class Reply:
    """What the server answers to one request."""

    status: int = 200
    body: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


def ok(text: str) -> Reply:
    return Reply(
        body={
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": "loopback-model",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": text},
                    "finish_reason": "stop",
                }
            ],
            "usage": USAGE,
        }
    )


def slow(reply: Reply, delay: float) -> Reply:
    reply.delay = delay
    return reply


def error(status: int, message: str, code: str | None = None, **headers: str) -> Reply:
    return Reply(
        status=status,
        body={"error": {"message": message, "type": "invalid_request_error", "code": code}},
        headers=headers,
    )


class ScriptedServer:
    """An OpenAI chat-completions endpoint that answers from a script and records requests."""

    def __init__(self) -> None:
        self.script: list[Reply] = []
        self.requests: list[tuple[float, dict[str, Any]]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                length = int(self.headers.get("content-length", 0))
                payload = json.loads(self.rfile.read(length) or b"{}")
                server.requests.append((time.monotonic(), payload))
                index = len(server.requests) - 1
                reply = server.script[min(index, len(server.script) - 1)]
                if reply.delay:
                    time.sleep(reply.delay)
                data = json.dumps(reply.body or {}).encode()
                try:
                    self.send_response(reply.status)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(data)))
                    for key, value in reply.headers.items():
                        self.send_header(key, value)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up on a slow reply: that is the point of the test

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    @property
    def attempts(self) -> int:
        return len(self.requests)


@contextmanager
def running_server() -> Iterator[ScriptedServer]:
    s = ScriptedServer()
    s.thread.start()
    try:
        yield s
    finally:
        s.httpd.shutdown()
        s.httpd.server_close()


@contextmanager
def recording_spans() -> Iterator[list[SpanRecord]]:
    records: list[SpanRecord] = []

    class ListSink:
        def emit(self, record: SpanRecord) -> None:
            records.append(record)

        def emit_evaluation(self, trace_id: str, span_id: str, evaluation: Any) -> None:
            pass

    sink = ListSink()
    add_sink(sink)
    try:
        yield records
    finally:
        remove_sink(sink)
