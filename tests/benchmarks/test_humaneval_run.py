"""One problem through the whole harness, on the real client with a scripted model: what the
model is shown never includes the hidden tests, and tokens, calls and the score are recorded."""

from __future__ import annotations

import argparse
from typing import Any

import anyio
import pytest

from agentloop._messages import Message
from agentloop.testing import ScriptedModel
from benchmarks._humaneval_scoring import SubprocessScorer
from benchmarks._humaneval_tasks import HiddenCheck, VisibleProblem
from benchmarks.humaneval import make_client, model_short, parse_args, run_problem

PROBLEM = VisibleProblem(
    task_id="T/1",
    prompt='def add(xs):\n    """Sum xs.\n    >>> add([1, 2])\n    3\n    """\n',
    entry_point="add",
    visible_tests=("assert add([1, 2]) == 3",),
)
SECRET = "assert candidate([40, 2]) == 42  # hidden-marker"
HIDDEN = HiddenCheck("T/1", f"def check(candidate):\n    {SECRET}\n", "add")
WRONG = "```python\ndef add(xs):\n    return 0\n```"
RIGHT = "```python\ndef add(xs):\n    return sum(xs)\n```"


def _args(strategy: str, *extra: str) -> argparse.Namespace:
    return parse_args(["--strategy", strategy, "--model", "unused", *extra])


def _run(strategy: str, replies: list[str], *extra: str) -> tuple[dict[str, Any], list[Message]]:
    seen: list[Message] = []
    answers = iter(replies)

    def reply(messages: list[Message]) -> str:
        seen.extend(messages)
        return next(answers, replies[-1])

    model = ScriptedModel(fn=reply)
    record = anyio.run(
        lambda: run_problem(
            PROBLEM,
            HIDDEN,
            strategy=strategy,
            client=make_client(model.model, threads=1),
            scorer=SubprocessScorer(timeout_s=5),
            args=_args(strategy, *extra),
        )
    )
    return record, seen


@pytest.mark.parametrize(("replies", "passed"), [([RIGHT], True), ([WRONG], False)])
def test_single_shot_is_scored_on_hidden_tests_only(replies: list[str], passed: bool) -> None:
    record, seen = _run("single", replies)
    assert record["passed"] is passed
    assert record["calls"] == 1
    assert record["tokens"] > 0
    assert all("hidden-marker" not in m.content and "check(" not in m.content for m in seen)


def test_reflexion_refines_from_visible_tests_and_never_sees_hidden_ones(
    bwrap_available: bool,
) -> None:
    if not bwrap_available:
        pytest.skip("the graphs' verifier runs visible tests in the bubblewrap sandbox")
    record, seen = _run("reflexion", [WRONG, "Lesson: return the sum.", RIGHT], "--rounds", "3")
    assert record["passed"] is True
    assert record["calls"] >= 2
    assert record["stop_reason"] == "solved"
    # The visible test's failure reached the model; the hidden test never did.
    assert any("add([1, 2])" in m.content for m in seen if m.role == "user")
    assert all("hidden-marker" not in m.content for m in seen)


def test_budget_exhaustion_scores_what_the_strategy_had() -> None:
    record, _ = _run("single", [RIGHT], "--budget-tokens", "100000")
    assert (record["calls"], record["passed"]) == (1, True)
    # The budget is hard: a call whose prompt alone would overrun it is never made.
    for budget in ("1", "0"):
        record, _ = _run("single", [RIGHT], "--budget-tokens", budget)
        assert (record["calls"], record["passed"], record["stop_reason"]) == (0, False, "budget")


def test_result_names_use_a_short_model_name() -> None:
    gguf = "local//home/u/.cache/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"
    assert model_short(gguf) == "qwen2.5-coder-0.5b-instruct-q4_k_m"
    assert model_short("openai/gpt-4o-mini") == "gpt-4o-mini"
    assert model_short("local/smollm2-135m") == "smollm2-135m"


def test_only_reruns_some_problems_into_a_file_of_their_own(tmp_path: Any) -> None:
    import json

    from benchmarks.humaneval import run

    model = ScriptedModel(fn=lambda messages: RIGHT)
    args = parse_args([
        "--strategy", "single", "--model", model.model, "--limit", "40", "--seed", "0",
        "--only", "10,HumanEval/102", "--scorer", "subprocess", "--out-dir", str(tmp_path),
    ])
    out = anyio.run(run, args)
    # Never the name a full run of the subset writes, and never counted as complete.
    assert out.name.endswith("_only-10-102.json")
    summary = json.loads(out.read_text(encoding="utf-8"))
    assert [r["task_id"] for r in summary["per_problem"]] == ["HumanEval/10", "HumanEval/102"]
    assert summary["complete"] is False and summary["only"] is True


def test_only_refuses_problems_outside_the_subset() -> None:
    from benchmarks.humaneval import run

    args = _args("single", "--limit", "40", "--seed", "0", "--only", "0")  # not in seed 0's 40
    with pytest.raises(SystemExit, match="outside the subset: HumanEval/0"):
        anyio.run(run, args)
