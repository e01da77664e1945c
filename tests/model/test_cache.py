"""The on-disk response cache: exact replays with no model calls, on real SQLite."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from agentloop import Budget, Message, user
from agentloop.model import GenerateConfig, ModelClient, ResponseCache
from agentloop.model._cache import CachedSample, request_key
from agentloop.testing import ScriptedModel

pytestmark = pytest.mark.anyio


async def run(client: ModelClient) -> list[list[str]]:
    """A small 'run': a plain call, n samples, a seeded call, a streamed call."""
    outputs = [(await client.complete("plan the task")).texts]
    outputs.append((await client.complete("three ideas", n=3)).texts)
    outputs.append((await client.complete("seeded", config=GenerateConfig(seed=7))).texts)
    outputs.append(["".join([d async for d in client.stream("stream it")])])
    return outputs


def counting_model(name: str) -> ScriptedModel:
    counter = iter(range(1000))
    return ScriptedModel(fn=lambda messages: f"answer {next(counter)}", name=name)


async def test_second_run_replays_exactly_with_no_model_calls(tmp_path: Path) -> None:
    cache_path = tmp_path / "cache.sqlite"
    model = counting_model("cache-a")
    first_budget = Budget()
    first = await run(ModelClient(model.model, cache=cache_path, budget=first_budget))
    calls_first_run = model.call_count
    assert calls_first_run == 4

    # Same model string, fresh process state: a new cache handle and a new budget.
    replay_budget = Budget()
    client = ModelClient(model.model, cache=ResponseCache(cache_path), budget=replay_budget)
    second = await run(client)
    assert second == first
    assert model.call_count == calls_first_run
    # A replay charges what the original run spent, so budget-driven control flow replays too.
    assert replay_budget.spent.model_dump(
        exclude={"wall_seconds"}
    ) == first_budget.spent.model_dump(exclude={"wall_seconds"})


async def test_cached_completion_is_marked_and_samples_stay_distinct(tmp_path: Path) -> None:
    model = counting_model("cache-b")
    client = ModelClient(model.model, cache=tmp_path / "c.sqlite")
    fresh = await client.complete("ideas", n=3)
    replayed = await client.complete("ideas", n=3)
    assert not fresh.cached and replayed.cached
    assert replayed.texts == fresh.texts
    assert len(set(replayed.texts)) == 3
    assert model.call_count == 1


async def test_a_different_request_is_a_cache_miss(tmp_path: Path) -> None:
    model = counting_model("cache-c")
    client = ModelClient(model.model, cache=tmp_path / "c.sqlite")
    await client.complete("q", config=GenerateConfig(seed=1))
    await client.complete("q", config=GenerateConfig(seed=2))
    await client.complete("q", config=GenerateConfig(seed=1, temperature=0.5))
    await client.complete("other q", config=GenerateConfig(seed=1))
    # More samples than were cached: the missing one needs the model.
    await client.complete("q", config=GenerateConfig(seed=1), n=2)
    assert model.call_count == 5


async def test_timeout_is_not_part_of_the_key(tmp_path: Path) -> None:
    model = counting_model("cache-d")
    client = ModelClient(model.model, cache=tmp_path / "c.sqlite")
    a = await client.complete("q", config=GenerateConfig(timeout=5))
    b = await client.complete("q", config=GenerateConfig(timeout=50))
    assert b.cached and b.texts == a.texts


def test_key_is_canonical_and_includes_the_sample_index() -> None:
    msgs = [Message(role="user", content="hi")]
    k = request_key(model="m", messages=msgs, params={"a": 1, "b": 2}, sample=0)
    assert k == request_key(model="m", messages=[user("hi")], params={"b": 2, "a": 1}, sample=0)
    assert k != request_key(model="m", messages=msgs, params={"a": 1, "b": 2}, sample=1)
    assert k != request_key(model="m2", messages=msgs, params={"a": 1, "b": 2}, sample=0)


def test_concurrent_writers_on_one_file(tmp_path: Path) -> None:
    path = tmp_path / "shared.sqlite"
    errors: list[BaseException] = []

    def writer(index: int) -> None:
        try:
            cache = ResponseCache(path)  # its own connection, as another process would have
        except BaseException as exc:  # pragma: no cover - the assertion below reports it
            errors.append(exc)
            return
        try:
            for j in range(50):
                cache.put_many("m", [(f"k{index}-{j}", CachedSample(text=f"{index}/{j}"))])
                # Everyone also races on one shared key: the first answer stored must win.
                cache.put_many("m", [("shared", CachedSample(text=f"from {index}"))])
        except BaseException as exc:  # pragma: no cover - the assertion below reports it
            errors.append(exc)
        finally:
            cache.close()

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    cache = ResponseCache(path)
    assert len(cache) == 4 * 50 + 1
    (shared,) = cache.get_many(["shared"])
    assert shared is not None and shared.text.startswith("from ")
    assert cache.get_many(["k3-49", "missing"])[1] is None
