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
    raw: bytes | None = None
    """Sent as the body instead of `body` (e.g. a malformed one)."""
    events: list[str] | None = None
    """Server-sent events (each a `data:` payload), sent one by one, for a stream request."""
    event_delay: float = 0.0
    """Seconds between two events."""
    done: bool = True
    """Whether a stream ends with `data: [DONE]` (False: the connection just closes)."""


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


def chunk(content: str | None = None, finish_reason: str | None = None) -> str:
    """One chat.completion.chunk event's JSON."""
    delta = {"content": content} if content is not None else {}
    return json.dumps(
        {
            "id": "chatcmpl-1",
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": "loopback-model",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
        }
    )


def usage_chunk(prompt_tokens: int, completion_tokens: int) -> str:
    """The last chunk of a stream asked for `include_usage`: no choices, the usage."""
    return json.dumps(
        {
            "id": "chatcmpl-1",
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": "loopback-model",
            "choices": [],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
        }
    )


def streamed(*pieces: str, usage: tuple[int, int] | None = (17, 5), done: bool = True) -> Reply:
    """A well-formed stream: one chunk per piece, a finish reason, then the usage."""
    events = [chunk(p) for p in pieces] + [chunk(finish_reason="stop")]
    if usage is not None:
        events.append(usage_chunk(*usage))
    return Reply(events=events, done=done)


def truncated(*pieces: str) -> Reply:
    """A stream cut off mid-answer: some text, then the connection closes (no finish, no usage)."""
    return Reply(events=[chunk(p) for p in pieces], done=False)


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
                if reply.events is not None:
                    self._stream(reply)
                    return
                data = reply.raw if reply.raw is not None else json.dumps(reply.body or {}).encode()
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

            def _stream(self, reply: Reply) -> None:
                # No content-length: the body ends when the connection closes, so a stream
                # without `[DONE]` looks to the client like one cut off mid-way.
                self.close_connection = True
                try:
                    self.send_response(reply.status)
                    self.send_header("content-type", "text/event-stream")
                    self.send_header("connection", "close")
                    self.end_headers()
                    for event in reply.events or []:
                        self.wfile.write(f"data: {event}\n\n".encode())
                        self.wfile.flush()
                        if reply.event_delay:
                            time.sleep(reply.event_delay)
                    if reply.done:
                        self.wfile.write(b"data: [DONE]\n\n")
                        self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    pass

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
