"""Best-of-N: parallel samples, the verifier's filter, and a judge's knockout bracket."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from agentloop import Budget, Message
from agentloop.graphs import (
    BestOfNState,
    Candidate,
    Match,
    StopReason,
    best_of_n_graph,
    record_judge_outcome,
    run_graph,
)
from agentloop.graphs._best_of_n import bracket_survivors, settle_bracket
from agentloop.memory import InProcessMemoryStore, MemoryEntry
from agentloop.model import current_sample_index
from agentloop.roles import FunctionActor, FunctionVerifier, LLMActor, Task
from agentloop.tracing import flush_traces, load_trace, trace_store

from .conftest import ADD, HALF, POEM, RIGHT, WRONG, Roles

pytestmark = pytest.mark.anyio


async def test_samples_run_in_parallel_up_to_the_runs_concurrency_limit() -> None:
    roles = Roles(actor=[WRONG], latency=0.2)
    verifier = FunctionVerifier(lambda code: 0.0)
    graph = best_of_n_graph(
        actor=LLMActor(roles.client(max_concurrency=16)), verifier=lambda t, s: verifier, n=6
    )
    result = await run_graph(graph, ADD, max_concurrency=3)
    assert len(result.candidates) == 6 and roles.model.call_count == 6
    # Three at once: in parallel, and never more than the limit.
    assert roles.model.max_in_flight == 3


async def test_model_calls_stay_within_the_clients_limit_across_branches() -> None:
    # Each bracket match asks the judge twice at once: 3 matches would make 6 calls.
    roles = Roles(actor=["a", "b", "c", "d", "e", "f"], latency=0.05)
    result = await run_graph(
        "best_of_n", POEM, model=roles.client(max_concurrency=2), n=6, max_concurrency=16
    )
    assert len(result.candidates) == 6
    assert roles.model.max_in_flight == 2


def prefer(text: str) -> Callable[[list[Message]], str]:
    """A consistent judge: prefers the answer containing `text`, whichever position it is in."""

    def pairwise(messages: list[Message]) -> str:
        body = messages[-1].content
        a = body.split("Answer A:")[1].split("Answer B:")[0]
        return json.dumps({"rationale": "r", "winner": "A" if text in a else "B"})

    return pairwise


def score_if(text: str, high: int, low: int) -> Callable[[list[Message]], str]:
    """A pointwise judge: `high` for answers containing `text`, else `low`."""

    def pointwise(messages: list[Message]) -> str:
        score = high if text in messages[-1].content else low
        return json.dumps({"rationale": "r", "score": score})

    return pointwise


async def test_the_judges_favourite_wins_the_knockout() -> None:
    roles = Roles(actor=["plain", "dull", "the best line", "weak"], pairwise=prefer("best"))
    result = await run_graph("best_of_n", POEM, model=roles.client(), n=4)
    assert result.answer == "the best line"
    assert result.stop_reason is StopReason.EXHAUSTED
    # 2 first-round matches and a final, each asked in both orders.
    assert len(roles.calls("pairwise")) == 6


async def test_asking_in_both_orders_cancels_a_judge_that_always_picks_the_first() -> None:
    roles = Roles(
        actor=["short", "a much better line"],
        pointwise=score_if("much better", 9, 2),
        pairwise='{"rationale": "first is better", "winner": "A"}',
    )
    result = await run_graph("best_of_n", POEM, model=roles.client(), n=2)
    # Each order said "A": a tie, settled by the pointwise scores.
    assert result.answer == "a much better line"
    orders = [m[-1].content for m in roles.calls("pairwise")]
    assert orders[0].index("short") < orders[0].index("much better") or (
        orders[1].index("short") < orders[1].index("much better")
    )
    assert {o.index("short") < o.index("much better") for o in orders} == {True, False}


def _alpha_first(request: str) -> bool:
    return request.index("alpha") < request.index("omega")


async def test_malformed_judge_output_falls_back_to_scores_and_is_traced() -> None:
    roles = Roles(
        actor=["alpha", "omega"],
        pointwise=score_if("omega", 8, 3),
        pairwise="I think the second one, probably.",
    )
    result = await run_graph("best_of_n", POEM, model=roles.client(), n=2)
    assert result.answer == "omega"
    # The order that fails first asks once and re-asks twice; the comparison has then failed,
    # so the other order, asked at the same time, is cancelled wherever it got to.
    asks = Counter(
        _alpha_first(next(m.content for m in messages if "Answer A:" in m.content))
        for messages in roles.calls("pairwise")
    )
    assert max(asks.values()) == 3
    assert sum(asks.values()) <= 6
    store = trace_store()
    assert store is not None and flush_traces()
    tree = load_trace(store, result.trace_id or "")
    labels = [(e.name, e.label) for s in tree.walk() for e in s.evaluations]
    assert ("judge", "failed") in labels


async def test_a_passing_candidate_wins_without_the_judge() -> None:
    roles = Roles(actor=[WRONG, HALF, RIGHT, WRONG])
    verifier = FunctionVerifier(lambda code: 1.0 if "a + b" in code else 0.3)
    result = await run_graph(
        "best_of_n", ADD, model=roles.client(), n=4, verifier=lambda t, s: verifier
    )
    assert result.stop_reason is StopReason.SOLVED
    assert "a + b" in result.answer
    assert roles.calls("pairwise") == []


async def test_budget_running_out_mid_branch_keeps_the_finished_samples() -> None:
    roles = Roles(actor=[WRONG, HALF, RIGHT, WRONG])
    budget = Budget(max_calls=2)
    verifier = FunctionVerifier(lambda code: 0.9 if "*" in code else 0.1)
    result = await run_graph(
        "best_of_n", ADD, model=roles.client(budget, max_concurrency=1), budget=budget, n=4,
        verifier=lambda t, s: verifier, max_concurrency=1,
    )
    assert result.stop_reason is StopReason.BUDGET
    assert result.calls == 2 and len(result.candidates) == 2
    assert result.best is not None and "*" in result.best.text


async def test_a_bracket_verdict_checked_later_becomes_experience_the_next_judge_reads() -> None:
    memory = InProcessMemoryStore(embedder="hashing")
    prior = await memory.add(lesson_free_judge_entry())
    roles = Roles(actor=["plain", "the best line"], pairwise=prefer("best"))
    result = await run_graph("best_of_n", POEM, model=roles.client(), memory=memory, n=2)
    assert result.answer == "the best line"
    ids = {c.text: c.id for c in result.candidates}
    [match] = result.extra["matches"]
    assert match["preferred"] == ids["the best line"] and match["experience_ids"] == [prior]
    assert all(prior_text() in m[-1].content for m in roles.calls("pairwise"))

    # Both passed: the verdict cannot be checked, nothing is learned.
    both = {ids["plain"]: True, ids["the best line"]: True}
    assert await record_judge_outcome(memory, result, POEM, both) == []
    # A user tried both: only the plain line works. The judge was overturned.
    truth = {ids["plain"]: True, ids["the best line"]: False}
    [written] = await record_judge_outcome(memory, result, POEM, truth, by="user")
    entry = await memory.get(written)
    assert entry is not None and entry.kind == "judge" and entry.extra["confirmed"] is False
    assert "preferred `the best line` over `plain`" in entry.text and "overturned" in entry.text
    shown = await memory.get(prior)
    assert shown is not None and shown.usefulness < 0  # it was shown for a verdict that failed

    again = Roles(actor=["plain", "the best line"], pairwise=prefer("best"))
    await run_graph("best_of_n", POEM, model=again.client(), memory=memory, n=2)
    assert all(entry.text in m[-1].content for m in again.calls("pairwise"))


def prior_text() -> str:
    return "Task: Write a line about rain. Judged: preferred the rhyming line. Confirmed."


def lesson_free_judge_entry() -> MemoryEntry:
    return MemoryEntry(kind="judge", text=prior_text())


async def test_without_a_passing_candidate_the_stop_reason_says_the_samples_ran_out() -> None:
    roles = Roles(actor=[WRONG, HALF])
    verifier = FunctionVerifier(lambda code: 2 / 3 if "*" in code else 1 / 3)
    result = await run_graph(
        "best_of_n", ADD, model=roles.client(), verifier=lambda t, s: verifier, n=2
    )
    assert result.stop_reason is StopReason.EXHAUSTED and not result.succeeded
    assert result.best is not None and "*" in result.best.text


async def test_each_sample_is_its_own_draw_of_the_model() -> None:
    # The n samples send one prompt: without distinct draws a seeded sampler (or the cache)
    # would answer the same candidate n times.
    def draw_aware(task: Task, history: object, lessons: object) -> str:
        return f"def add(a, b):\n    return a + b + {current_sample_index()}"

    graph = best_of_n_graph(
        actor=FunctionActor(draw_aware), verifier=lambda t, s: FunctionVerifier(lambda c: 0.5),
        n=4,
    )
    result = await run_graph(graph, ADD)
    assert sorted(c.text[-1] for c in result.candidates) == ["0", "1", "2", "3"]


async def test_a_judge_that_never_ran_is_reported_and_no_sample_is_called_the_best() -> None:
    # The n samples take the whole budget: the judge's pointwise scores cannot be paid for.
    roles = Roles(actor=["one", "two", "three", "four"])
    budget = Budget(max_calls=4)
    result = await run_graph(
        "best_of_n", POEM, model=roles.client(budget), budget=budget, n=4
    )
    assert result.stop_reason is StopReason.BUDGET and len(result.candidates) == 4
    assert roles.calls("pointwise") == [] and roles.calls("pairwise") == []
    assert result.extra["judged"] is False
    assert result.extra["selection"] == (
        "not judged: the budget ran out before the judge scored any sample; the first sample "
        "is returned, unranked"
    )
    store = trace_store()
    assert store is not None and flush_traces()
    [bracket] = load_trace(store, result.trace_id or "").find(name="bracket")
    assert bracket.attributes["agentloop.judged"] is False


async def test_a_bracket_the_budget_cut_short_picks_by_the_visible_tests_and_says_so() -> None:
    roles = Roles(actor=[RIGHT, RIGHT.replace("a + b", "b + a")])
    budget = Budget(max_calls=2)
    verifier = FunctionVerifier(lambda code: 1.0)
    result = await run_graph(
        "best_of_n", ADD, model=roles.client(budget), budget=budget, n=2,
        verifier=lambda t, s: verifier,
    )
    assert result.stop_reason is StopReason.BUDGET and roles.calls("pairwise") == []
    assert result.extra["judged"] is False
    assert result.extra["selection"].startswith("not judged: the budget ran out before the judge")
    assert result.extra["selection"].endswith("the best pass fraction on the visible tests")


async def test_a_finished_bracket_says_the_judge_chose() -> None:
    roles = Roles(actor=["plain", "the best line"], pairwise=prefer("best"))
    result = await run_graph("best_of_n", POEM, model=roles.client(), n=2)
    assert result.answer == "the best line"
    assert result.extra["judged"] is True
    assert result.extra["selection"] == "won the judge's bracket"


def _state(candidates: list[Candidate], **fields: Any) -> BestOfNState:
    return BestOfNState(task=ADD, tests=list(ADD.tests), candidates=candidates, **fields)


def test_the_bracket_starts_with_the_passing_samples_else_the_best_pass_fraction() -> None:
    a, b, c = (Candidate(id=i, text=i, score=s, passed=s == 1.0) for i, s in
               (("a", 1 / 3), ("b", 2 / 3), ("c", 2 / 3)))
    assert bracket_survivors(_state([a, b, c])) == ["b", "c"]
    solved = c.model_copy(update={"score": 1.0, "passed": True})
    assert bracket_survivors(_state([a, b, solved])) == ["c"]


def test_after_a_bracket_round_its_winners_and_the_odd_one_out_go_on() -> None:
    samples = [Candidate(id=i, text=i, score=0.5, passed=False) for i in "abc"]
    played = [Match(bracket_round=1, a="a", b="b", winner="b")]
    state = _state(samples, alive=["a", "b", "c"], bracket_round=1, matches=played)
    assert bracket_survivors(state) == ["b", "c"]


def test_the_bracket_ends_exhausted_without_a_pass_and_with_budget_when_cut_short() -> None:
    samples = [Candidate(id=i, text=i, score=s, passed=False) for i, s in (("a", 0.2), ("b", 0.6))]
    done = settle_bracket(_state(samples), ["a", "b"], has_judge=False, stopping=False)
    assert done["winner"] == "b" and done["stop_reason"] is StopReason.EXHAUSTED
    assert done["judged"] is False and "no judge" in done["selection"]
    cut = settle_bracket(_state(samples), ["a", "b"], has_judge=True, stopping=True)
    assert cut["stop_reason"] is StopReason.BUDGET and cut["judged"] is False
