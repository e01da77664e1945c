"""Retries against a real OpenAI-compatible HTTP server on loopback, through litellm."""

from __future__ import annotations

import time
from collections.abc import Iterator
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
from agentloop.tracing import SpanRecord
from tests.openai_loopback import (
    USAGE,
    ScriptedServer,
    error,
    ok,
    recording_spans,
    slow,
)

pytestmark = pytest.mark.anyio


@pytest.fixture
def spans() -> Iterator[list[SpanRecord]]:
    with recording_spans() as records:
        yield records


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


async def test_a_server_that_ignores_n_is_asked_again_for_the_missing_samples(
    server: ScriptedServer,
) -> None:
    server.script = [ok("one choice only")]  # whatever `n` says
    budget = Budget()
    completion = await client(server, budget).complete("q", n=3)
    assert completion.texts == ["one choice only"] * 3
    assert [p.get("n") for _, p in server.requests] == [3, 2, None]
    assert budget.spent.calls == 3
    assert completion.usage.input_tokens == 3 * USAGE["prompt_tokens"]
