"""Each graph on the real embedded model and the real sandbox, on a small code task.

The 135M model rarely solves anything: these check that a real run ends with a stop reason,
a trace and a verdict, not that it succeeds.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from agentloop import Budget
from agentloop.graphs import GRAPH_NAMES, StopReason, run_graph
from agentloop.model import GenerateConfig
from agentloop.roles import Task
from agentloop.tracing import SpanKind, flush_traces, load_trace, trace_store

pytestmark = [pytest.mark.anyio, pytest.mark.local_model, pytest.mark.slow]
TASK = Task.from_yaml(Path(__file__).resolve().parents[2] / "examples" / "add_numbers.yaml")
OPTIONS: dict[str, dict[str, int]] = {
    "reflexion": {"max_rounds": 2},
    "self_refine": {"max_rounds": 2},
    "try_again": {"max_rounds": 2},
    "best_of_n": {"n": 2},
    "lats": {"k": 2, "max_iterations": 1},
}


@pytest.mark.parametrize("graph", GRAPH_NAMES)
async def test_a_real_run_ends_with_a_stop_reason_a_trace_and_a_verdict(
    graph: str, needs_bwrap: None
) -> None:
    budget = Budget(max_calls=6)
    result = await run_graph(
        graph, TASK, model="local/smollm2-135m", budget=budget,
        config=GenerateConfig(max_tokens=96, temperature=0.0), max_concurrency=2,
        **OPTIONS[graph],
    )
    assert isinstance(result.stop_reason, StopReason)
    assert 1 <= result.calls <= 6 + 2  # calls in flight when the budget ran out still finish
    assert result.usage.output_tokens > 0
    verified = [c for c in result.candidates if c.status is not None]
    assert verified, "no candidate was run against the tests"
    assert all(0.0 <= (c.score or 0.0) <= 1.0 for c in verified)
    store = trace_store()
    assert store is not None and flush_traces()
    tree = load_trace(store, result.trace_id or "")
    assert tree.root.attributes["agentloop.graph"] == graph
    assert tree.root.attributes["agentloop.stop_reason"] == str(result.stop_reason)
    assert any(s.kind is SpanKind.CHAT for s in tree.walk())
    assert any(e.name == "verifier" for s in tree.walk() for e in s.evaluations)
