"""A custom graph, built from what `agentloop.graphs` exports and nothing else, runs like the
prebuilt ones: `run_graph` reads its result from the final state, whatever its nodes are called."""

from __future__ import annotations

from typing import Any

import pytest
from langgraph.graph import END, START, StateGraph

import agentloop.graphs
from agentloop.graphs import (
    GraphEvent,
    GraphState,
    NodeFunction,
    StopReason,
    act_check_loop,
    best_candidate,
    check_with_verifier,
    decide_stop,
    node,
    propose,
    route_unless_stopped,
    router,
    run_graph,
)
from agentloop.roles import FunctionVerifier, LLMActor, Task, VerifierFactory
from agentloop.testing import ScriptedModel

pytestmark = pytest.mark.anyio

USED = {
    "GraphEvent", "GraphState", "NodeFunction", "StopReason", "act_check_loop", "best_candidate",
    "check_with_verifier", "decide_stop", "node", "propose", "route_unless_stopped", "router",
    "run_graph",
}

TASK = Task.from_prompt("What is six times seven? Answer with the number only.")


class Guess(GraphState):
    pass


def guessing_steps(
    replies: list[str], scores: dict[str, float], *, max_rounds: int
) -> tuple[NodeFunction[Guess], NodeFunction[Guess], ScriptedModel]:
    """An act node (a scripted actor's next reply) and a check node (a function verifier's
    score, and `decide_stop`)."""
    model = ScriptedModel(replies=replies)
    actor = LLMActor(model.model)
    verifier = FunctionVerifier(lambda answer: scores.get(answer, 0.0))

    def verifiers(task: Task, tests: Any) -> FunctionVerifier:
        return verifier

    make_verifier: VerifierFactory = verifiers

    @node("guess")
    async def guess(state: Guess) -> dict[str, Any]:
        candidate = await propose(
            actor, state.task, history=[c.attempt() for c in state.candidates],
            round=state.round + 1,
        )
        return {"candidates": [candidate], "round": state.round + 1}

    @node("grade")
    async def grade(state: Guess) -> dict[str, Any]:
        checked = await check_with_verifier(
            state.candidates[-1], state.task, state.tests, make_verifier
        )
        stop, _ = decide_stop(
            checked, best_candidate(state.candidates[:-1]), round=state.round,
            max_rounds=max_rounds, stale_rounds=0, patience=None, budget=None,
        )
        return {"candidates": [checked], "stop_reason": stop}

    return guess, grade, model


def test_the_test_uses_only_exported_names() -> None:
    assert set(agentloop.graphs.__all__) >= USED


async def test_an_act_check_loop_stops_solved_at_the_first_pass_and_streams_its_steps() -> None:
    guess, grade, model = guessing_steps(["41", "42", "43"], {"41": 0.5, "42": 1.0}, max_rounds=5)
    # The graph's node names are act_check_loop's; events and spans carry node()'s names.
    graph = act_check_loop(Guess, act=guess, check=grade, check_name="grade", name="guessing")
    events: list[GraphEvent] = []

    result = await run_graph(graph, TASK, on_event=events.append)

    assert result.graph == "guessing"
    assert result.stop_reason is StopReason.SOLVED and result.succeeded
    assert result.answer == "42" and result.passed and result.score == 1.0
    assert result.rounds == 2 and [c.text for c in result.candidates] == ["41", "42"]
    assert len(model.calls) == 2  # no third guess after the pass
    # The second guess was asked with the first and the verifier's feedback in view.
    second = "\n".join(m.content for m in model.calls[1].messages)
    assert "41" in second and "That is not right." in second
    steps = [(e.kind, e.node) for e in events if e.kind in ("node_started", "node_finished")]
    assert steps == [
        ("node_started", "guess"), ("node_finished", "guess"),
        ("node_started", "grade"), ("node_finished", "grade"),
    ] * 2 + [("node_started", "finish"), ("node_finished", "finish")]
    assert [e.text for e in events if e.kind == "candidate"] == ["41", "42"]
    assert [(e.score, e.passed) for e in events if e.kind == "score"] == [
        (0.5, False), (1.0, True)
    ]
    assert events[-1].kind == "stop" and events[-1].stop_reason == "solved"


async def test_without_a_pass_the_run_ends_at_max_rounds_with_the_best_scored_answer() -> None:
    guess, grade, _ = guessing_steps(["40", "41", "39"], {"41": 0.5}, max_rounds=3)
    graph = act_check_loop(Guess, act=guess, check=grade)

    result = await run_graph(graph, TASK)

    assert result.stop_reason is StopReason.MAX_DEPTH and not result.succeeded
    assert result.answer == "41" and result.score == 0.5 and not result.passed
    assert result.rounds == 3


async def test_a_hand_built_graph_needs_no_node_with_a_special_name() -> None:
    # No "finish" node: the stop router goes straight to the end.
    guess, grade, _ = guessing_steps(["41", "42"], {"42": 1.0}, max_rounds=5)
    builder = StateGraph(Guess)
    builder.add_node("guess", guess)
    builder.add_node("grade", grade)
    builder.add_edge(START, "guess")
    builder.add_edge("guess", "grade")
    builder.add_conditional_edges(
        "grade", router(route_unless_stopped("guess", stop_node=END)), ["guess", END]
    )
    events: list[GraphEvent] = []

    result = await run_graph(builder.compile(name="by_hand"), TASK, on_event=events.append)

    assert result.graph == "by_hand"
    assert result.stop_reason is StopReason.SOLVED and result.answer == "42"
    assert [e.node for e in events if e.kind == "node_started"] == ["guess", "grade"] * 2
    assert events[-1].kind == "stop" and events[-1].stop_reason == "solved"
