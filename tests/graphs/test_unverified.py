"""Every graph checks code by the same visible tests, and a check that verified nothing is
never a pass."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from agentloop import Verdict, VerdictStatus, Verifier
from agentloop.graphs import GRAPH_NAMES, GraphEvent, StopReason, run_graph
from agentloop.roles import FunctionVerifier, Task, visible_tests
from agentloop.tracing import flush_traces, load_trace, trace_store

from .conftest import RIGHT, Roles

pytestmark = pytest.mark.anyio
REPO = Path(__file__).parents[2]

MEAN = Task.from_yaml(REPO / "examples" / "running_mean.yaml")
"""A code task with no `tests:`, whose docstring shows two examples."""
MEAN_EXAMPLES = [
    "assert running_mean([2.0, 4.0, 6.0]) == [2.0, 3.0, 4.0]",
    "assert running_mean([]) == []",
]
# Uses a name it never defined: the docstring's first example fails with a NameError.
BROKEN_MEAN = (
    "```python\ndef running_mean(values):\n"
    "    return [total / (i + 1) for i, v in enumerate(values)]\n```"
)
SHORT = {
    "self_refine": {"max_rounds": 2}, "try_again": {"max_rounds": 2},
    "reflexion": {"max_rounds": 2}, "best_of_n": {"n": 2}, "lats": {"k": 2, "max_iterations": 2},
}
"""Options that keep each graph's run short."""
ADD_NO_TESTS = Task(name="add", prompt='def add(a, b):\n    """Return a + b."""\n')
"""A code task with neither tests nor examples: nothing can check it by execution."""


class Recorder:
    """A verifier factory that remembers the tests each check was given."""

    def __init__(self, verdict: Verdict) -> None:
        self.verdict = verdict
        self.seen: list[list[str]] = []

    def __call__(self, task: Task, tests: Sequence[str]) -> Verifier:
        self.seen.append(list(tests))
        return FunctionVerifier(lambda code: self.verdict)


def test_the_visible_tests_are_the_tasks_own_else_its_docstring_examples() -> None:
    assert MEAN.tests == [] and visible_tests(MEAN) == MEAN_EXAMPLES
    own = MEAN.model_copy(update={"tests": ["assert running_mean([1.0]) == [1.0]"]})
    assert visible_tests(own) == ["assert running_mean([1.0]) == [1.0]"]
    assert visible_tests(ADD_NO_TESTS) == []


@pytest.mark.parametrize("graph", GRAPH_NAMES)
async def test_every_graph_checks_code_by_the_docstrings_examples(graph: str) -> None:
    failing = Verdict(status=VerdictStatus.FAILED, score=0.0, feedback="no")
    recorder = Recorder(failing)
    roles = Roles(actor=[BROKEN_MEAN])
    await run_graph(graph, MEAN, model=roles.client(), verifier=recorder, **SHORT[graph])
    assert recorder.seen and all(tests == MEAN_EXAMPLES for tests in recorder.seen)
    # The examples were tests already: no model call drafted others.
    assert roles.calls("test_writer") == []


@pytest.mark.parametrize("graph", GRAPH_NAMES)
@pytest.mark.parametrize(
    "status",
    [VerdictStatus.NO_TESTS, VerdictStatus.SETUP_ERROR, VerdictStatus.VERIFIER_ERROR],
)
async def test_a_check_that_verified_nothing_is_never_solved(
    graph: str, status: VerdictStatus
) -> None:
    # A verifier that ran no test reports a vacuous 0-of-0 as a full score.
    recorder = Recorder(Verdict(status=status, score=1.0, feedback="Not verified."))
    roles = Roles(actor=[RIGHT])
    events: list[GraphEvent] = []
    result = await run_graph(
        graph, MEAN, model=roles.client(), verifier=recorder, on_event=events.append,
        **SHORT[graph],
    )
    assert result.stop_reason is not StopReason.SOLVED and not result.passed
    checked = [c for c in result.candidates if c.status is not None]
    assert checked and all(c.status == status.value for c in checked)
    # The vacuous score counts for nothing (self-refine's critic may still score the answer).
    assert all(c.passed is None and c.score != 1.0 for c in checked)
    assert all(e.passed is None for e in events if e.kind == "score")
    store = trace_store()
    assert store is not None and flush_traces()
    labels = {
        e.label
        for s in load_trace(store, result.trace_id or "").walk()
        for e in s.evaluations
        if e.name == "verifier"
    }
    assert labels == {status.value}


async def test_try_again_on_running_mean_fails_the_docstrings_example(needs_bwrap: None) -> None:
    # As a new user first ran it: the NameError used to end "solved 1.00" (no tests ran).
    roles = Roles(actor=[BROKEN_MEAN])
    result = await run_graph("try_again", MEAN, model=roles.client(), max_rounds=2)
    assert result.stop_reason is StopReason.MAX_DEPTH and not result.succeeded
    assert result.best is not None and result.best.passed is False
    assert result.best.status == "failed" and "NameError" in result.best.feedback
    assert result.extra["tests"] == MEAN_EXAMPLES


async def test_a_code_task_nothing_can_check_is_not_solved(needs_bwrap: None) -> None:
    roles = Roles(actor=[RIGHT])
    result = await run_graph("try_again", ADD_NO_TESTS, model=roles.client(), max_rounds=1)
    assert result.stop_reason is not StopReason.SOLVED and not result.succeeded
    assert result.best is not None and result.best.passed is None
    assert result.best.status == "no_tests"
    assert result.best.feedback.startswith("Not verified: no test ran")
