"""`agentloop run`: a graph from the shell, with progress, result, stop reason and trace id."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import typer

from agentloop.cli import _run
from agentloop.errors import ConfigError
from agentloop.testing import ScriptedModel
from tests.conftest import command_app, invoke_ok

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
RIGHT = "```python\ndef add_numbers(a, b):\n    return a + b\n```"
WRONG = "```python\ndef add_numbers(a, b):\n    return a - b\n```"


@pytest.fixture
def cli() -> typer.Typer:
    return command_app(_run.register)


def _scripted() -> ScriptedModel:
    replies = iter([WRONG, "Add, do not subtract.", RIGHT])
    return ScriptedModel(fn=lambda messages: next(replies))


def test_run_shows_the_answer_the_stop_reason_and_the_trace(
    cli: typer.Typer, needs_bwrap: None
) -> None:
    model = _scripted()
    out = invoke_ok(cli, "run", "reflexion", "--task", str(EXAMPLES / "add_numbers.yaml"),
                  "--model", model.model)
    assert "return a + b" in out
    assert "stop reason: solved" in out
    assert "trace: " in out and "calls: 3" in out


def test_run_as_json_with_budget_and_options(cli: typer.Typer, tmp_path: Path) -> None:
    model = ScriptedModel(fn=lambda messages: "Rain on the lane.")
    out = invoke_ok(cli, "run", "try_again", "--prompt", "Write a line about rain.",
                  "--model", model.model, "--budget-calls", "2", "-o", "max_rounds=5", "--json")
    result = json.loads(out[out.index("{"):])
    # The critic's answer has no verdict, so it never accepts; the budget ends the run.
    assert result["stop_reason"] == "budget" and result["calls"] == 2
    assert result["trace_id"]


def test_lats_writes_its_tree_as_dot(cli: typer.Typer, tmp_path: Path, needs_bwrap: None) -> None:
    model = ScriptedModel(fn=lambda messages: RIGHT)
    dot = tmp_path / "tree.dot"
    invoke_ok(cli, "run", "lats", "--task", str(EXAMPLES / "add_numbers.yaml"), "--model",
            model.model, "--tree-out", str(dot), "-o", "k=2")
    assert dot.read_text().startswith("digraph lats")


def test_a_task_and_a_prompt_together_are_refused(cli: typer.Typer) -> None:
    with pytest.raises(ConfigError, match="exactly one of --task"):
        invoke_ok(cli, "run", "reflexion", "--prompt", "x", "--task", "y.yaml")
    with pytest.raises(ConfigError, match="KEY=VALUE"):
        invoke_ok(cli, "run", "reflexion", "--prompt", "x", "-o", "nonsense")


def test_a_graph_registered_by_name_runs_with_its_options(
    cli: typer.Typer, monkeypatch: pytest.MonkeyPatch
) -> None:
    import copy

    from agentloop import _registry, register
    from agentloop.graphs import try_again_graph
    from agentloop.roles import LLMActor

    def repeat(model: Any, task: Any, *, budget: Any, config: Any, memory: Any, verifier: Any,
               checkpointer: Any, max_rounds: int = 1) -> Any:
        return try_again_graph(actor=LLMActor(model, config=config), max_rounds=max_rounds,
                               budget=budget, checkpointer=checkpointer)

    monkeypatch.setattr(_registry, "_REGISTRY", copy.deepcopy(_registry._REGISTRY))
    register("graph", "repeat")(repeat)
    model = ScriptedModel(fn=lambda messages: "Rain on the lane.")
    out = invoke_ok(cli, "run", "repeat", "--prompt", "Write a line about rain.",
                    "--model", model.model, "-o", "max_rounds=2", "--json")
    result = json.loads(out[out.index("{"):])
    assert result["graph"] == "repeat" and result["rounds"] == 2 and result["calls"] == 2
