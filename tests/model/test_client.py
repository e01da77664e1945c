"""ModelClient on scripted models: answers, samples, streaming, budget, concurrency, traces."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest

from agentloop import Budget, BudgetExhausted, Message, system, user
from agentloop.errors import ConfigError, ModelAuthError, RateLimitedError, UnknownModelError
from agentloop.model import GenerateConfig, ModelClient, RetryPolicy, sample_index
from agentloop.testing import ScriptedModel
from agentloop.tracing import SpanRecord
from tests.openai_loopback import recording_spans

pytestmark = pytest.mark.anyio


@pytest.fixture
def spans() -> Iterator[list[SpanRecord]]:
    with recording_spans() as records:
        yield records


async def test_complete_returns_the_scripted_reply_with_word_usage() -> None:
    model = ScriptedModel(replies=["Paris is the capital"])
    completion = await ModelClient(model.model).complete(
        [system("be brief"), user("capital of France?")]
    )
    assert completion.text == "Paris is the capital"
    assert completion.finish_reasons == ["stop"]
    assert completion.usage.input_tokens == 2 + 3
    assert completion.usage.output_tokens == 4
    assert completion.usage.cost_usd == 0.0
    assert not completion.cached
    (call,) = model.calls
    assert [m.role for m in call.messages] == ["system", "user"]


async def test_n_samples_come_from_one_call() -> None:
    model = ScriptedModel(replies=["a", "b", "c"])
    completion = await ModelClient(model.model).complete("pick", n=3)
    assert completion.texts == ["a", "b", "c"]
    assert model.call_count == 1
    assert model.calls[0].params["n"] == 3


async def test_generation_config_merges_and_reaches_the_provider() -> None:
    model = ScriptedModel(fn=lambda messages: "ok")
    client = ModelClient(model.model, config=GenerateConfig(temperature=0.2, max_tokens=50))
    await client.complete("x", config=GenerateConfig(max_tokens=7, seed=3, extra={"top_k": 5}))
    params = model.calls[0].params
    assert params["temperature"] == 0.2
    assert params["max_tokens"] == 7
    assert params["seed"] == 3


async def test_stream_yields_deltas_and_charges_at_the_end(spans: list[SpanRecord]) -> None:
    model = ScriptedModel(replies=["one two three"])
    budget = Budget()
    deltas = [d async for d in ModelClient(model.model, budget=budget).stream("count")]
    assert len(deltas) == 3
    assert "".join(deltas) == "one two three"
    assert budget.spent.calls == 1
    assert budget.spent.output_tokens == 3
    (chat,) = [s for s in spans if s.kind == "chat"]
    assert chat.attributes["gen_ai.output.messages"] == ["one two three"]
    assert chat.attributes["gen_ai.usage.output_tokens"] == 3


async def test_budget_charges_each_call_and_stops_at_the_limit() -> None:
    model = ScriptedModel(fn=lambda messages: "four words right here")
    budget = Budget(max_calls=3)
    client = ModelClient(model.model, budget=budget)
    for _ in range(3):
        await client.complete("hello there")
    assert budget.spent.calls == 3
    assert budget.spent.input_tokens == 6
    assert budget.spent.output_tokens == 12
    with pytest.raises(BudgetExhausted) as caught:
        await client.complete("hello there")
    assert caught.value.limit == "calls"
    assert caught.value.spent.calls == 3
    assert model.call_count == 3  # the refused call never reached the model


async def test_token_budget_is_shared_across_concurrent_tasks_and_clients() -> None:
    model = ScriptedModel(fn=lambda messages: "a b c d e", latency=0.01)
    budget = Budget(max_output_tokens=100)
    first = ModelClient(model.model, budget=budget, max_concurrency=2)
    second = first.with_budget(budget)
    stopped: list[int] = []

    async def worker(client: ModelClient, index: int) -> None:
        while True:
            try:
                await client.complete(f"task {index}")
            except BudgetExhausted:
                stopped.append(index)
                return

    async with anyio.create_task_group() as tg:
        for i in range(6):
            tg.start_soon(worker, first if i % 2 else second, i)

    assert sorted(stopped) == list(range(6))
    spent = budget.spent
    assert spent.calls == model.call_count
    assert spent.output_tokens == 5 * model.call_count
    # The limit is hard: with no max_tokens set, a call may take all that is left, so each
    # holds it while in flight; once fewer than MIN_ANSWER_TOKENS (16) are left, calls stop.
    assert model.call_count == 17 and spent.output_tokens == 85


async def test_concurrency_limit_is_the_most_calls_in_flight() -> None:
    model = ScriptedModel(fn=lambda messages: "ok", latency=0.05)
    client = ModelClient(model.model, max_concurrency=3)
    async with anyio.create_task_group() as tg:
        for i in range(10):
            tg.start_soon(client.complete, f"q{i}")
    assert model.call_count == 10
    assert model.max_in_flight == 3


async def test_with_budget_shares_the_concurrency_limit() -> None:
    model = ScriptedModel(fn=lambda messages: "ok", latency=0.05)
    client = ModelClient(model.model, max_concurrency=2)
    other = client.with_budget(Budget())
    async with anyio.create_task_group() as tg:
        for i in range(8):
            tg.start_soon((client if i % 2 else other).complete, f"q{i}")
    assert model.max_in_flight == 2


async def test_retryable_errors_from_a_provider_are_retried() -> None:
    model = ScriptedModel(replies=[RateLimitedError("busy", retry_after=0.05), "fine"])
    policy = RetryPolicy(initial_wait=0.01, jitter=0.0)
    completion = await ModelClient(model.model, retry=policy).complete("q")
    assert completion.text == "fine"
    assert model.call_count == 2


async def test_fatal_errors_from_a_provider_surface_at_once() -> None:
    model = ScriptedModel(replies=[ModelAuthError("bad key"), "never"])
    with pytest.raises(ModelAuthError):
        await ModelClient(model.model).complete("q")
    assert model.call_count == 1


async def test_timeout_on_an_in_process_model_is_retried_then_surfaces() -> None:
    model = ScriptedModel(fn=lambda messages: "late", latency=0.5)
    policy = RetryPolicy(max_attempts=2, initial_wait=0.01, jitter=0.0)
    client = ModelClient(model.model, retry=policy, config=GenerateConfig(timeout=0.05))
    from agentloop.errors import ModelTimeoutError

    with pytest.raises(ModelTimeoutError):
        await client.complete("q")
    assert model.call_count == 2


async def test_chat_span_carries_the_gen_ai_attributes(spans: list[SpanRecord]) -> None:
    model = ScriptedModel(replies=["x y", "z"])
    client = ModelClient(model.model, config=GenerateConfig(temperature=0.7, max_tokens=9))
    await client.complete([Message(role="user", content="hi there")], n=2)
    (chat,) = spans
    assert chat.name == f"chat {model.model}"
    a = chat.attributes
    assert a["gen_ai.operation.name"] == "chat"
    assert a["gen_ai.request.model"] == model.model
    assert a["gen_ai.request.temperature"] == 0.7
    assert a["gen_ai.request.max_tokens"] == 9
    assert a["gen_ai.input.messages"] == [{"role": "user", "content": "hi there"}]
    assert a["gen_ai.output.messages"] == ["x y", "z"]
    assert a["gen_ai.response.finish_reasons"] == ["stop", "stop"]
    assert a["gen_ai.usage.input_tokens"] == 2
    assert a["gen_ai.usage.output_tokens"] == 3
    assert a["agentloop.cost_usd"] == 0.0
    assert a["agentloop.cache_hit"] is False
    assert a["agentloop.attempts"] == 1
    assert a["agentloop.latency_s"] >= 0.0


async def test_unknown_provider_is_a_config_error() -> None:
    with pytest.raises(UnknownModelError, match="prefix it with a litellm provider"):
        await ModelClient("nosuchprovider/model").complete("q")


async def test_sync_wrapper_refuses_to_run_inside_an_event_loop() -> None:
    model = ScriptedModel(replies=["x"])
    with pytest.raises(ConfigError, match="await client.complete"):
        ModelClient(model.model).complete_sync("q")


def test_sync_wrapper_runs_in_scripts() -> None:
    model = ScriptedModel(replies=["first", "second"])
    client = ModelClient(model.model, max_concurrency=1)
    # Two calls, two fresh event loops: the client's limiter must not leak between them.
    assert client.complete_sync("q").text == "first"
    assert client.complete_sync("q").text == "second"


async def test_streams_hold_a_concurrency_slot_until_read_to_the_end() -> None:
    model = ScriptedModel(fn=lambda messages: "a b c", latency=0.02)
    client = ModelClient(model.model, max_concurrency=1)
    first = client.stream("one")
    assert await first.__anext__() == "a "
    second_done = anyio.Event()

    async def read_second() -> None:
        assert "".join([d async for d in client.stream("two")]) == "a b c"
        second_done.set()

    async with anyio.create_task_group() as tg:
        tg.start_soon(read_second)
        await anyio.sleep(0.1)
        assert model.call_count == 1  # the second stream waits for the first one's slot
        assert "".join([d async for d in first]) == "b c"
        await second_done.wait()
    assert model.call_count == 2


async def test_abandoned_stream_is_still_charged(spans: list[SpanRecord]) -> None:
    model = ScriptedModel(replies=["many words that nobody reads"])
    budget = Budget()
    stream = ModelClient(model.model, budget=budget).stream("talk")
    async for _ in stream:
        break
    await stream.aclose()
    assert budget.spent.calls == 1
    assert budget.spent.output_tokens > 0
    (chat,) = [s for s in spans if s.kind == "chat"]
    assert chat.attributes["agentloop.stream_abandoned"] is True
    assert chat.status == "ok"


async def test_a_sample_index_asks_for_that_sample_of_a_seeded_request() -> None:
    model = ScriptedModel(fn=lambda messages: "ok")
    client = ModelClient(model.model, config=GenerateConfig(temperature=0.8, seed=5))
    await client.complete("x")
    with sample_index(2):
        await client.complete("x")
        await client.complete("x", n=3)  # samples 6, 7, 8 of the request
    assert [call.params["seed"] for call in model.calls] == [5, 7, 11]


async def test_sample_j_of_a_cached_request_replays_as_the_jth_draw(tmp_path: Path) -> None:
    counter = iter(range(1000))
    model = ScriptedModel(fn=lambda messages: f"answer {next(counter)}")
    client = ModelClient(model.model, cache=tmp_path / "c.sqlite")
    three = await client.complete("ideas", n=3)
    draws = []
    for j in range(3):
        with sample_index(j):
            draws.append((await client.complete("ideas")).text)
    assert draws == three.texts  # draw j is sample j: three different answers, all replayed
    assert model.call_count == 1
    with sample_index(3):  # a sample never asked for is a miss
        await client.complete("ideas")
    assert model.call_count == 2


def test_a_negative_sample_index_is_refused() -> None:
    with pytest.raises(ConfigError, match="sample index"), sample_index(-1):
        pass


async def test_the_model_receives_each_message_with_its_name() -> None:
    model = ScriptedModel(replies=["ok"])
    conversation = [
        Message(role="system", content="be brief"),
        Message(role="user", content="hi", name="ann"),
    ]
    await ModelClient(model.model).complete(conversation)
    assert model.calls[0].messages == conversation


async def test_each_event_loop_has_its_own_concurrency_limit() -> None:
    model = ScriptedModel(fn=lambda messages: "ok", latency=0.3)
    client = ModelClient(model.model, max_concurrency=1)
    clone = client.with_budget(Budget())
    async with anyio.create_task_group() as tg:
        tg.start_soon(client.complete, "in this loop")
        await anyio.sleep(0.05)  # its slot is taken now
        # A script's sync call runs in a loop of its own: it must not wait on, or use, the
        # limiter of this loop (an anyio limiter belongs to one loop).
        with anyio.fail_after(5):
            text = await anyio.to_thread.run_sync(
                lambda: clone.complete_sync("in a thread").text, abandon_on_cancel=True
            )
    assert text == "ok"
    assert model.max_in_flight == 2
    # Back in this loop, clones still share one limit.
    async with anyio.create_task_group() as tg:
        for i in range(4):
            tg.start_soon((client if i % 2 else clone).complete, f"q{i}")
    assert model.call_count == 6


async def test_a_client_that_has_made_calls_can_still_be_copied_and_pickled() -> None:
    # Process pools and Ray ship clients by pickling; the per-loop limiter cache must not stop it.
    import copy
    import pickle

    client = ModelClient(ScriptedModel(fn=lambda messages: "ok").model, max_concurrency=2)
    assert (await client.complete("warm up")).text == "ok"
    for twin in (copy.deepcopy(client), pickle.loads(pickle.dumps(client))):
        assert (await twin.complete("again")).text == "ok"
