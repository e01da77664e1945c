"""What a model call may spend: time limits, budget reservations, missing keys, broken streams.

Real HTTP on loopback where the server's behaviour matters (sleeping, malformed, cut off);
the scripted model where only the client's bookkeeping does.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import anyio
import pytest

from agentloop import Budget, BudgetExhausted, Message
from agentloop.errors import IncompleteResponseError, MissingCredentialsError, ModelTimeoutError
from agentloop.model import GenerateConfig, ModelClient, ResponseCache, RetryPolicy
from agentloop.testing import ScriptedModel
from tests.openai_loopback import Reply, ScriptedServer, ok, slow, streamed, truncated

pytestmark = pytest.mark.anyio

ONCE = RetryPolicy(max_attempts=1)


@pytest.fixture(autouse=True)
def _litellm_imported() -> None:
    # Its first import takes seconds, inside the first call: not what these tests time.
    from agentloop.model._litellm import import_litellm

    import_litellm()


def loopback(server: ScriptedServer, **kw: Any) -> ModelClient:
    return ModelClient(
        "openai/loopback-model", api_base=server.api_base, api_key="sk-test", **kw
    )


async def read(client: ModelClient, prompt: str = "hello there") -> str:
    return "".join([piece async for piece in client.stream(prompt)])


# -- time ------------------------------------------------------------------------------------


def test_every_model_has_a_default_timeout() -> None:
    assert ModelClient("openai/gpt-4o-mini").default_timeout == 60.0
    assert ModelClient("local/smollm2-135m").default_timeout == 600.0


async def test_a_server_that_hangs_times_out_without_a_configured_timeout(
    server: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The default, shortened so that the test need not wait a minute for it.
    monkeypatch.setattr("agentloop.model._client.REMOTE_TIMEOUT", 0.3)
    server.script = [slow(ok("too late"), 3.0)]
    started = time.monotonic()
    with pytest.raises(ModelTimeoutError):
        await loopback(server, retry=ONCE).complete("hi")
    assert time.monotonic() - started < 2.0


async def test_the_budgets_wall_time_cuts_a_call_in_flight(server: ScriptedServer) -> None:
    server.script = [slow(ok("too late"), 5.0)]
    budget = Budget(max_seconds=0.5)
    started = time.monotonic()
    with pytest.raises(BudgetExhausted) as caught:
        await loopback(server, budget=budget).complete("hi")
    assert caught.value.limit == "seconds"
    assert time.monotonic() - started < 2.0
    assert budget.spent.calls == 0  # cut before an answer: nothing known to charge


async def test_the_budgets_wall_time_cuts_a_stream_between_chunks(server: ScriptedServer) -> None:
    reply = streamed("one ", "two ", "three ", "four")
    reply.event_delay = 1.0
    server.script = [reply]
    budget = Budget(max_seconds=0.8)
    pieces: list[str] = []
    with pytest.raises(BudgetExhausted):
        async for piece in loopback(server, budget=budget).stream("hi"):
            pieces.append(piece)
    assert pieces == ["one "]
    assert budget.spent.calls == 1 and budget.spent.output_tokens > 0  # what was shown is paid


# -- reservations ----------------------------------------------------------------------------


async def test_concurrent_calls_cannot_all_pass_a_call_limit_of_one() -> None:
    model = ScriptedModel(fn=lambda messages: "ok", latency=0.05)
    client = ModelClient(model.model, budget=Budget(max_calls=1))
    refused: list[str] = []

    async def call(i: int) -> None:
        try:
            await client.complete(f"branch {i}")
        except BudgetExhausted as exc:
            refused.append(exc.limit)

    async with anyio.create_task_group() as tg:
        for i in range(4):
            tg.start_soon(call, i)
    assert model.call_count == 1
    assert refused == ["calls"] * 3


def _answers_as_many_words_as_allowed(model: list[ScriptedModel]) -> Any:
    """A reply of `max_tokens` words (one scripted token each), as a real model may give."""

    async def reply(messages: list[Message]) -> str:
        cap = model[0].calls[-1].params.get("max_tokens", 500)  # read before any other call runs
        await anyio.sleep(0.02)
        return " ".join(["w"] * int(cap))

    return reply


async def test_branches_in_flight_share_what_is_left_of_a_token_budget() -> None:
    holder: list[ScriptedModel] = []
    model = ScriptedModel(fn=_answers_as_many_words_as_allowed(holder))
    holder.append(model)
    budget = Budget(max_tokens=300)
    client = ModelClient(model.model, budget=budget, config=GenerateConfig(max_tokens=100))

    async def branch(i: int) -> None:
        with pytest.raises(BudgetExhausted):
            while True:
                await client.complete(f"branch {i}")

    async with anyio.create_task_group() as tg:
        for i in range(4):
            tg.start_soon(branch, i)
    sent = [call.params["max_tokens"] for call in model.calls]
    assert sent[0] == 100 and min(sent) < 100  # later calls were capped at what was left
    assert budget.spent.total_tokens <= 300


async def test_a_call_whose_prompt_leaves_no_room_for_an_answer_is_not_made() -> None:
    model = ScriptedModel(fn=lambda messages: "never")
    client = ModelClient(model.model, budget=Budget(max_tokens=40))
    with pytest.raises(BudgetExhausted, match="cannot cover a prompt"):
        await client.complete("a prompt " * 20)
    assert model.call_count == 0


# -- credentials -----------------------------------------------------------------------------


async def test_a_missing_api_key_is_a_config_error_at_once_naming_the_variable(
    server: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    server.script = [ok("never")]
    client = ModelClient("openai/gpt-4o-mini", api_base=server.api_base)
    started = time.monotonic()
    with pytest.raises(MissingCredentialsError) as caught:
        await client.complete("hi")
    assert time.monotonic() - started < 1.0  # not retried
    assert caught.value.env_vars == ["OPENAI_API_KEY"]
    assert "set OPENAI_API_KEY" in str(caught.value) and "\n" not in str(caught.value)
    assert server.attempts == 0


# -- streams ---------------------------------------------------------------------------------


async def test_a_well_formed_stream_is_charged_and_cached(
    server: ScriptedServer, tmp_path: Path
) -> None:
    server.script = [streamed("Hel", "lo")]
    budget = Budget()
    client = loopback(server, budget=budget, cache=tmp_path / "cache.db")
    assert await read(client) == "Hello"
    assert await read(client) == "Hello"
    assert server.attempts == 1  # the second came from the cache
    assert budget.spent.output_tokens == 10  # 5 for the call, 5 for its replay


async def test_a_malformed_stream_body_is_an_error_with_its_usage_and_never_cached(
    server: ScriptedServer, tmp_path: Path
) -> None:
    server.script = [Reply(raw=b'{"not": "an event stream"'), streamed("Fine")]
    budget = Budget()
    cache = ResponseCache(tmp_path / "cache.db")
    client = loopback(server, budget=budget, cache=cache, retry=ONCE)
    with pytest.raises(IncompleteResponseError, match="without a finish reason") as caught:
        await read(client)
    assert caught.value.usage.input_tokens > 0 and caught.value.partial_text == ""
    assert budget.spent.calls == 1 and budget.spent.input_tokens == caught.value.usage.input_tokens
    assert len(cache) == 0
    assert await read(client) == "Fine"  # asked again, not replayed empty
    assert server.attempts == 2


async def test_a_truncated_stream_is_an_error_that_charges_the_partial_answer(
    server: ScriptedServer, tmp_path: Path
) -> None:
    server.script = [truncated("Hel", "lo wor")]
    budget = Budget()
    cache = ResponseCache(tmp_path / "cache.db")
    pieces: list[str] = []
    with pytest.raises(IncompleteResponseError) as caught:
        async for piece in loopback(server, budget=budget, cache=cache).stream("hello there"):
            pieces.append(piece)
    assert "".join(pieces) == caught.value.partial_text == "Hello wor"
    assert caught.value.usage.output_tokens > 0
    spent = budget.spent
    assert spent.calls == 1 and spent.output_tokens == caught.value.usage.output_tokens
    assert len(cache) == 0
