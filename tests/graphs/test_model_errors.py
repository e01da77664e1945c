"""A model call that fails for good ends the run with its best candidate so far, not a crash."""

from __future__ import annotations

import anyio
import pytest

from agentloop import Message
from agentloop.errors import ModelAuthError, ModelServerError
from agentloop.graphs import StopReason, run_graph
from agentloop.model import ModelClient, RetryPolicy
from agentloop.roles import FunctionVerifier
from agentloop.testing import ScriptedModel
from agentloop.tracing import flush_traces, load_trace, trace_store

from .conftest import ADD, HALF, WRONG, role_of

pytestmark = pytest.mark.anyio
NO_RETRY = RetryPolicy(max_attempts=2, initial_wait=0.0, jitter=0.0)


def _failing_on(calls: set[int], reply: str = HALF) -> ScriptedModel:
    """A model whose actor calls number `calls` (1-based, retries counted) answer 503."""
    count = 0

    def answer(messages: list[Message]) -> str:
        nonlocal count
        if role_of(messages) != "actor":
            return "Use + instead of -."
        count += 1
        if count in calls:
            raise ModelServerError("503 Service Unavailable", model="scripted")
        return reply

    return ScriptedModel(fn=answer)


def _verifier() -> FunctionVerifier:
    return FunctionVerifier(lambda code: 2 / 3 if "*" in code else 0.0)


async def test_an_episode_whose_retries_ran_out_returns_its_best_candidate_so_far() -> None:
    # Round 1 answers; round 2's call fails on both attempts.
    model = _failing_on({2, 3})
    client = ModelClient(model.model, retry=NO_RETRY)
    result = await run_graph("reflexion", ADD, model=client, verifier=lambda t, s: _verifier())
    assert result.stop_reason is StopReason.ERROR and not result.succeeded
    assert result.best is not None and "a * b" in result.best.text
    assert len(result.candidates) == 1 and result.rounds == 1
    assert result.extra["error"] == "ModelServerError: 503 Service Unavailable"
    store = trace_store()
    assert store is not None and flush_traces()
    tree = load_trace(store, result.trace_id or "")
    assert tree.root.status == "error"
    assert tree.root.error == "ModelServerError: 503 Service Unavailable"
    assert tree.root.attributes["agentloop.stop_reason"] == "error"
    [failed_act] = [s for s in tree.find(name="act") if s.status == "error"]
    assert failed_act.error == "ModelServerError: 503 Service Unavailable"


async def test_one_failing_sample_leaves_the_others_to_be_judged() -> None:
    # The second sample's call fails on both attempts; the other three answer.
    model = _failing_on({2, 3}, reply=WRONG)
    client = ModelClient(model.model, retry=NO_RETRY, max_concurrency=1)
    result = await run_graph(
        "best_of_n", ADD, model=client, verifier=lambda t, s: _verifier(), n=4,
        max_concurrency=1,
    )
    assert result.stop_reason is StopReason.ERROR
    assert len(result.candidates) == 3 and all(c.score is not None for c in result.candidates)
    assert result.best is not None
    assert result.extra["error"].startswith("ModelServerError")


async def test_a_run_whose_first_call_is_refused_says_why() -> None:
    model = ScriptedModel(replies=[ModelAuthError("401: invalid API key", model="scripted")])
    result = await run_graph("self_refine", ADD, model=ModelClient(model.model))
    assert result.stop_reason is StopReason.ERROR and result.best is None
    assert result.extra["error"] == "ModelAuthError: 401: invalid API key"


async def test_many_episodes_with_flaky_calls_each_return_a_result() -> None:
    # Each episode's second actor call fails for good; none of them takes the others down.
    results = []

    async def episode() -> None:
        model = _failing_on({2, 3})
        client = ModelClient(model.model, retry=NO_RETRY)
        results.append(
            await run_graph("try_again", ADD, model=client, verifier=lambda t, s: _verifier())
        )

    async with anyio.create_task_group() as tg:
        for _ in range(20):
            tg.start_soon(episode)
    assert len(results) == 20
    assert all(r.stop_reason is StopReason.ERROR and r.best is not None for r in results)
