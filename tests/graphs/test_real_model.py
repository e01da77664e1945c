"""Each graph on the real embedded model and the real sandbox, on a small code task.

The 135M model rarely solves anything, so these do not ask for success: they check that a real
run ends for one of the reasons its limits allow, within its call budget, and returns the best
candidate it verified, with a trace that says the same.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from agentloop import Budget
from agentloop.graphs import GRAPH_NAMES, RunResult, StopReason, run_graph
from agentloop.model import GenerateConfig
from agentloop.roles import Task
from agentloop.tracing import SpanKind, TraceTree, flush_traces, load_trace, trace_store

pytestmark = [pytest.mark.anyio, pytest.mark.local_model, pytest.mark.slow]
TASK = Task.from_yaml(Path(__file__).resolve().parents[2] / "examples" / "add_numbers.yaml")
MAX_CALLS = 6
OPTIONS: dict[str, dict[str, Any]] = {
    "reflexion": {"max_rounds": 2},
    "self_refine": {"max_rounds": 2},
    "try_again": {"max_rounds": 2},
    "best_of_n": {"n": 2},
    "lats": {"k": 2, "max_iterations": 1},
}
# Why each run may end under OPTIONS and MAX_CALLS. The loops make at most 2 calls a round
# (answer, then reflection or critique), 4 in all, so their round limit comes first; LATS's one
# iteration is 2 children and 2 reflections. Best-of-N's 2 samples and one judged match (2 asks,
# each re-asked up to twice on bad JSON) can reach 8 calls, so the budget may end its bracket.
# `error` is never expected: a local model call that fails is a defect.
STOP_REASONS = {
    "reflexion": {StopReason.SOLVED, StopReason.MAX_DEPTH},
    "self_refine": {StopReason.SOLVED, StopReason.MAX_DEPTH},
    "try_again": {StopReason.SOLVED, StopReason.MAX_DEPTH},
    "best_of_n": {StopReason.SOLVED, StopReason.EXHAUSTED, StopReason.BUDGET},
    "lats": {StopReason.SOLVED, StopReason.MAX_DEPTH},
}
ROUND_LIMITED = {"reflexion", "self_refine", "try_again"}


def check_run(graph: str, result: RunResult, tree: TraceTree) -> None:
    """What a user of `graph` may rely on from a run under OPTIONS and MAX_CALLS."""
    assert result.stop_reason in STOP_REASONS[graph], result.extra
    # Every call reserves its slot first: the budget is never overrun, even by calls in flight.
    assert 1 <= result.calls <= MAX_CALLS
    if result.stop_reason is StopReason.BUDGET:
        assert result.calls == MAX_CALLS
    assert result.usage.output_tokens > 0
    # Every candidate ran against the task's 3 visible tests; its score is the pass fraction.
    assert result.candidates
    for c in result.candidates:
        assert c.status is not None and c.passed is not None and c.score is not None, c
        assert round(c.score * 3) / 3 == pytest.approx(c.score)
        assert c.passed == (c.score == 1.0)
    # `solved` exactly when a candidate passed (best-of-N's budget may end a passing bracket).
    if result.stop_reason is not StopReason.BUDGET:
        assert (result.stop_reason is StopReason.SOLVED) == any(
            c.passed for c in result.candidates
        )
    if graph in ROUND_LIMITED and result.stop_reason is StopReason.MAX_DEPTH:
        assert result.rounds == OPTIONS[graph]["max_rounds"]
        assert len(result.candidates) == OPTIONS[graph]["max_rounds"]
    # The answer is the text of the best candidate verified.
    assert result.best is not None and result.best in result.candidates
    assert result.answer == result.best.text
    assert result.best.score == max(c.score or 0.0 for c in result.candidates)
    assert result.passed == (result.best.score == 1.0)
    # The trace says the same.
    assert tree.root.attributes["agentloop.graph"] == graph
    assert tree.root.attributes["agentloop.stop_reason"] == str(result.stop_reason)
    assert tree.root.attributes["agentloop.answer"] == result.answer
    assert any(s.kind is SpanKind.CHAT for s in tree.walk())
    assert any(e.name == "verifier" for s in tree.walk() for e in s.evaluations)


@pytest.mark.parametrize("graph", GRAPH_NAMES)
async def test_a_real_run_ends_within_its_limits_with_its_best_verified_candidate(
    graph: str, needs_bwrap: None
) -> None:
    result = await run_graph(
        graph, TASK, model="local/smollm2-135m", budget=Budget(max_calls=MAX_CALLS),
        config=GenerateConfig(max_tokens=96, temperature=0.0), max_concurrency=2,
        **OPTIONS[graph],
    )
    store = trace_store()
    assert store is not None and flush_traces()
    check_run(graph, result, load_trace(store, result.trace_id or ""))
