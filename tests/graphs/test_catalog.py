"""Graphs by name: a graph registered by a package is built, checked and run by name like the
built-ins, with its own options."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest

import agentloop
from agentloop import _registry
from agentloop.errors import ConfigError, UnknownBackendError
from agentloop.graphs import (
    GRAPH_NAMES,
    StopReason,
    graph_options,
    run_graph,
    try_again_graph,
)
from agentloop.roles import LLMActor, Task
from agentloop.testing import ScriptedModel

pytestmark = pytest.mark.anyio

TASK = Task.from_prompt("Write a line about rain.")


def repeat_graph(
    model: Any, task: Task, *, budget: Any, config: Any, memory: Any, verifier: Any,
    checkpointer: Any, max_rounds: int = 1,
) -> Any:
    """A registered graph: ask again, with no critic to accept, `max_rounds` times."""
    return try_again_graph(
        actor=LLMActor(model, config=config), verifier=verifier, max_rounds=max_rounds,
        budget=budget, checkpointer=checkpointer,
    )


@pytest.fixture(autouse=True)
def registered_graph(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(_registry, "_REGISTRY", copy.deepcopy(_registry._REGISTRY))
    agentloop.register("graph", "repeat")(repeat_graph)
    yield


def test_its_options_are_its_own_keyword_only_parameters() -> None:
    options = graph_options("repeat")
    assert list(options) == ["max_rounds"]
    assert options["max_rounds"].annotation is int and options["max_rounds"].default == 1
    assert "repeat" not in GRAPH_NAMES and "repeat" in agentloop.registered("graph")


async def test_it_runs_by_name_with_its_options_checked_and_converted() -> None:
    model = ScriptedModel(replies=["Rain.", "Rain falls.", "Rain falls softly."])

    result = await run_graph("repeat", TASK, model=model.model, max_rounds="3")

    assert result.graph == "repeat" and result.rounds == 3
    assert result.stop_reason is StopReason.MAX_DEPTH
    assert len(model.calls) == 3


async def test_a_misspelt_option_or_name_fails_before_any_call() -> None:
    model = ScriptedModel(replies=["unused"])
    with pytest.raises(ConfigError, match="unknown option 'max_round' for graph 'repeat'.*"
                                          "did you mean 'max_rounds'"):
        await run_graph("repeat", TASK, model=model.model, max_round=2)
    with pytest.raises(UnknownBackendError, match="unknown graph 'repaet'; known: .*repeat"):
        await run_graph("repaet", TASK, model=model.model)
    assert model.calls == []
