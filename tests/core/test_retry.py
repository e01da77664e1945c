"""Retries against a real OpenAI-compatible HTTP server on loopback, through litellm."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from agentloop import Budget
from agentloop.errors import (
    ContextWindowError,
    ModelAuthError,
    ModelServerError,
    RateLimitedError,
)
from agentloop.model import GenerateConfig, ModelClient, RetryPolicy
from agentloop.tracing import SpanRecord, add_sink, remove_sink

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"  # litellm runs on asyncio only


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
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    @property
    def attempts(self) -> int:
        return len(self.requests)


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    s = ScriptedServer()
    s.thread.start()
    yield s
    s.httpd.shutdown()
    s.httpd.server_close()


@pytest.fixture
def spans() -> Iterator[list[SpanRecord]]:
    records: list[SpanRecord] = []

    class ListSink:
        def emit(self, record: SpanRecord) -> None:
            records.append(record)

        def emit_evaluation(self, trace_id: str, span_id: str, evaluation: Any) -> None:
            pass

    sink = ListSink()
    add_sink(sink)
    yield records
    remove_sink(sink)


FAST = RetryPolicy(max_attempts=5, initial_wait=0.05, max_wait=0.2, jitter=0.05)


def client(server: ScriptedServer, budget: Budget | None = None, **kw: Any) -> ModelClient:
    return ModelClient(
        "openai/loopback-model",
        api_base=server.api_base,
        api_key="sk-test",
        budget=budget,
        retry=kw.pop("retry", FAST),
        **kw,
    )


async def test_429_then_500_then_timeout_then_success(
    server: ScriptedServer, spans: list[SpanRecord]
) -> None:
    server.script = [
        error(429, "slow down", "rate_limit_exceeded", **{"Retry-After": "1"}),
        error(500, "upstream broke"),
        slow(ok("too late"), 1.5),
        ok("the answer"),
    ]
    budget = Budget()
    started = time.monotonic()
    completion = await client(server, budget).complete(
        "question", config=GenerateConfig(timeout=0.5, max_tokens=8)
    )
    elapsed = time.monotonic() - started

    assert completion.text == "the answer"
    assert server.attempts == 4
    # Retry-After: 1 was waited out before the second attempt (backoff alone is <= 0.25s).
    (t429, _), (t500, _) = server.requests[0], server.requests[1]
    assert t500 - t429 >= 1.0
    assert elapsed >= 1.0 + 0.5
    # Charged once, with the usage the server reported for the successful attempt.
    assert budget.spent.calls == 1
    assert budget.spent.input_tokens == USAGE["prompt_tokens"]
    assert budget.spent.output_tokens == USAGE["completion_tokens"]
    assert completion.usage.input_tokens == USAGE["prompt_tokens"]
    # The server received our parameters, and litellm did not retry on its own.
    assert all(p["max_tokens"] == 8 for _, p in server.requests)
    (chat,) = [s for s in spans if s.kind == "chat"]
    assert chat.attributes["agentloop.attempts"] == 4
    assert chat.attributes["gen_ai.usage.input_tokens"] == USAGE["prompt_tokens"]
    assert chat.status == "ok"


async def test_rate_limit_that_never_clears_surfaces_after_max_attempts(
    server: ScriptedServer,
) -> None:
    server.script = [error(429, "slow down", "rate_limit_exceeded", **{"Retry-After": "0.1"})]
    budget = Budget()
    policy = RetryPolicy(max_attempts=3, initial_wait=0.01, max_wait=0.05, jitter=0.0)
    with pytest.raises(RateLimitedError) as caught:
        await client(server, budget, retry=policy).complete("q")
    assert caught.value.retry_after == pytest.approx(0.1)
    assert server.attempts == 3
    assert budget.spent.calls == 0


async def test_5xx_retries_are_bounded(server: ScriptedServer) -> None:
    server.script = [error(503, "overloaded")]
    policy = RetryPolicy(max_attempts=2, initial_wait=0.01, max_wait=0.01, jitter=0.0)
    with pytest.raises(ModelServerError):
        await client(server, retry=policy).complete("q")
    assert server.attempts == 2


async def test_401_is_not_retried(server: ScriptedServer) -> None:
    server.script = [error(401, "Incorrect API key provided", "invalid_api_key")]
    with pytest.raises(ModelAuthError):
        await client(server).complete("q")
    assert server.attempts == 1


async def test_context_length_400_is_a_context_window_error(server: ScriptedServer) -> None:
    server.script = [
        error(
            400,
            "This model's maximum context length is 2048 tokens. However, your messages "
            "resulted in 9000 tokens. Please reduce the length of the messages.",
            "context_length_exceeded",
        )
    ]
    with pytest.raises(ContextWindowError):
        await client(server).complete("q " * 100)
    assert server.attempts == 1


async def test_retry_after_longer_than_policy_allows_is_not_waited(server: ScriptedServer) -> None:
    server.script = [error(429, "come back tomorrow", None, **{"Retry-After": "3600"})]
    started = time.monotonic()
    with pytest.raises(RateLimitedError):
        await client(server).complete("q")
    assert time.monotonic() - started < 1.0
    assert server.attempts == 1
