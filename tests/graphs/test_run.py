"""run_graph: events, traces, checkpoints and resume, errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from agentloop import TestOutcome as Outcome  # not Test*: pytest would collect it
from agentloop import TestResult, Verdict, VerdictStatus
from agentloop.errors import ConfigError
from agentloop.graphs import GraphEvent, StopReason, run_graph
from agentloop.memory import InProcessMemoryStore
from agentloop.model import GenerateConfig
from agentloop.roles import FunctionVerifier
from agentloop.tracing import SpanKind, flush_traces, load_trace, trace_store

from .conftest import ADD, HALF, RIGHT, WRONG, Roles, role_of

pytestmark = pytest.mark.anyio
HERE = Path(__file__).parent
REPO = HERE.parents[1]


def _verifier(code_ok: str = "a + b") -> FunctionVerifier:
    return FunctionVerifier(lambda code: 1.0 if code_ok in code else 0.0)


async def test_events_stream_each_node_candidate_score_and_the_stop() -> None:
    roles = Roles(actor=[WRONG, RIGHT])
    events: list[GraphEvent] = []
    await run_graph(
        "reflexion", ADD, model=roles.client(), verifier=lambda t, s: _verifier(),
        on_event=events.append,
    )
    kinds = [(e.kind, e.node) for e in events]
    assert kinds[:2] == [("node_started", "prepare"), ("node_finished", "prepare")]
    assert kinds[2:5] == [("node_started", "act"), ("candidate", "act"), ("node_finished", "act")]
    candidates = [e for e in events if e.kind == "candidate"]
    assert [e.round for e in candidates] == [1, 2] and "a - b" in (candidates[0].text or "")
    scores = [e.score for e in events if e.kind == "score"]
    assert scores == [0.0, 1.0]
    assert any(e.kind == "feedback" and e.node == "reflect" for e in events)
    assert events[-1].kind == "stop" and events[-1].stop_reason == "solved"


async def test_every_step_is_recorded_in_the_trace() -> None:
    roles = Roles(actor=[WRONG, RIGHT])
    result = await run_graph(
        "reflexion", ADD, model=roles.client(), verifier=lambda t, s: _verifier()
    )
    store = trace_store()
    assert store is not None and flush_traces()
    tree = load_trace(store, result.trace_id or "")
    root = tree.root
    assert root.kind is SpanKind.WORKFLOW
    assert root.attributes["agentloop.graph"] == "reflexion"
    assert root.attributes["agentloop.stop_reason"] == "solved"
    assert root.attributes["agentloop.outcome"] == "success"
    nodes = [s.name for s in root.children if s.kind is SpanKind.NODE]
    assert nodes == ["prepare", "act", "evaluate", "reflect", "act", "evaluate", "finish"]
    chats = [s for s in tree.walk() if s.kind is SpanKind.CHAT]
    assert len(chats) == 3 and all(s.parent_id != root.span_id for s in chats)
    verdicts = [e for s in tree.walk() for e in s.evaluations if e.name == "verifier"]
    assert [(e.label, e.score) for e in verdicts] == [("fail", 0.0), ("pass", 1.0)]


async def test_a_finished_thread_returns_its_result_without_calling_the_model(
    tmp_path: Path,
) -> None:
    db = tmp_path / "checkpoints.db"
    roles = Roles(actor=[WRONG, RIGHT])
    first = await run_graph(
        "reflexion", ADD, model=roles.client(), verifier=lambda t, s: _verifier(),
        checkpoint=db, thread_id="run-1",
    )
    calls = roles.model.call_count
    again = await run_graph(
        "reflexion", ADD, model=roles.client(), verifier=lambda t, s: _verifier(),
        checkpoint=db, thread_id="run-1",
    )
    assert roles.model.call_count == calls
    assert again.stop_reason is StopReason.SOLVED and again.answer == first.answer
    assert again.calls == 0


def _structured_verifier() -> FunctionVerifier:
    """Fails WRONG with one failed assertion, passes the rest, as the sandbox's verdicts do."""

    def verdict(code: str) -> Verdict:
        if "a + b" in code:
            test = TestResult(name="test_0", source="assert add(1, 2) == 3",
                              outcome=Outcome.PASSED)
            return Verdict(status=VerdictStatus.PASSED, score=1.0, tests=[test])
        test = TestResult(name="test_0", source="assert add(1, 2) == 3",
                          outcome=Outcome.FAILED, actual="-1", expected="3")
        return Verdict(status=VerdictStatus.FAILED, tests=[test], feedback="It failed.")

    return FunctionVerifier(verdict)


async def test_a_checkpointed_run_keeps_each_candidates_verdict_typed(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    db = tmp_path / "checkpoints.db"
    roles = Roles(actor=[WRONG, RIGHT])
    first = await run_graph(
        "reflexion", ADD, model=roles.client(), verifier=lambda t, s: _structured_verifier(),
        checkpoint=db, thread_id="run-1",
    )
    # Read back from the checkpoint, not from this process's memory.
    again = await run_graph(
        "reflexion", ADD, model=roles.client(), verifier=lambda t, s: _structured_verifier(),
        checkpoint=db, thread_id="run-1",
    )
    assert again.calls == 0 and again.stop_reason is StopReason.SOLVED
    failed, passed = again.candidates
    assert failed.verdict == first.candidates[0].verdict
    assert failed.status is VerdictStatus.FAILED and passed.status is VerdictStatus.PASSED
    [test] = failed.verdict.tests if failed.verdict else []
    assert isinstance(test, TestResult) and test.outcome is Outcome.FAILED
    assert (test.actual, test.expected) == ("-1", "3")
    assert (failed.score, failed.passed, failed.feedback) == (0.0, False, "It failed.")
    # Every type in the checkpoint was one the serializer may revive.
    assert "Blocked deserialization" not in caplog.text


async def test_the_trace_records_the_verdicts_status_not_the_verdict() -> None:
    roles = Roles(actor=[WRONG, RIGHT])
    result = await run_graph(
        "reflexion", ADD, model=roles.client(), verifier=lambda t, s: _structured_verifier()
    )
    store = trace_store()
    assert store is not None and flush_traces()
    tree = load_trace(store, result.trace_id or "")
    evaluates = [s for s in tree.walk() if s.name == "evaluate"]
    assert [s.attributes["agentloop.verdict_status"] for s in evaluates] == ["failed", "passed"]
    assert not any("assert add(1, 2) == 3" in str(v) for s in evaluates
                   for v in s.attributes.values())


async def test_a_graph_compiled_with_its_own_checkpointer_keeps_the_run_under_its_thread() -> None:
    from langgraph.checkpoint.memory import InMemorySaver

    from agentloop.graphs import build_graph

    roles = Roles(actor=[HALF])
    saver = InMemorySaver()
    graph = build_graph(
        "self_refine", model=roles.client(), task=ADD, checkpointer=saver, max_rounds=2
    )
    result = await run_graph(graph, ADD, thread_id="mine")
    assert result.thread_id == "mine"
    stored = await graph.aget_state({"configurable": {"thread_id": "mine"}})
    assert [c.text for c in stored.values["candidates"]] == [c.text for c in result.candidates]


async def test_a_thread_cannot_be_resumed_with_another_task(tmp_path: Path) -> None:
    db = tmp_path / "checkpoints.db"
    roles = Roles(actor=[HALF])
    await run_graph("try_again", ADD, model=roles.client(), verifier=lambda t, s: _verifier(),
                    checkpoint=db, thread_id="x", max_rounds=1)
    other = ADD.model_copy(update={"name": "other"})
    with pytest.raises(ConfigError, match="another task"):
        await run_graph("try_again", other, model=roles.client(), checkpoint=db, thread_id="x")


def test_a_run_killed_mid_way_resumes_without_repeating_finished_model_calls(
    tmp_path: Path,
) -> None:
    db, log = tmp_path / "checkpoints.db", tmp_path / "calls.log"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    script = str(HERE / "crash_run.py")
    # Calls: act, reflect, act, reflect, act. The 4th (second reflect) is killed mid-call.
    killed = subprocess.run(
        [sys.executable, script, str(db), str(log), "4"], env=env, capture_output=True,
        text=True, timeout=120,
    )
    assert killed.returncode == -9, killed.stderr
    assert log.read_text().splitlines() == ["actor", "reflector", "actor", "reflector"]

    resumed = subprocess.run(
        [sys.executable, script, str(db), str(log), "0"], env=env, capture_output=True,
        text=True, timeout=120,
    )
    assert resumed.returncode == 0, resumed.stderr
    # Only the interrupted reflect is made again, then the last act: 2 calls, not 5.
    assert log.read_text().splitlines()[4:] == ["reflector", "actor"]
    assert resumed.stdout.split() == ["max_depth", "3", "2"]


async def test_unknown_graphs_and_options_are_config_errors() -> None:
    roles = Roles()
    with pytest.raises(ConfigError, match="unknown graph 'nope'.*reflexion"):
        await run_graph("nope", ADD, model=roles.client())
    unknown = (
        r"unknown option 'rounds' for graph 'reflexion' \(did you mean 'max_rounds'\?\); "
        r"its options: explore_temperature, explorer_lessons, max_lessons, max_rounds, patience"
    )
    with pytest.raises(ConfigError, match=unknown):
        await run_graph("reflexion", ADD, model=roles.client(), rounds=3)
    with pytest.raises(ConfigError, match="max_iterations='abc' for graph 'lats' must be an int"):
        await run_graph("lats", ADD, model=roles.client(), max_iterations="abc")
    # Memory goes to the graphs that read it; elsewhere it would be silently ignored.
    memory = InProcessMemoryStore(embedder="hashing")
    with pytest.raises(ConfigError, match="'self_refine' does not use memory; best_of_n, lats"):
        await run_graph("self_refine", ADD, model=roles.client(), memory=memory)
    assert roles.model.call_count == 0


async def test_reflexion_by_name_samples_at_the_explore_temperature_after_no_progress() -> None:
    roles = Roles(actor=[HALF])  # the same 2-of-3 answer, greedy or not
    half = FunctionVerifier(lambda code: 2 / 3)
    await run_graph(
        "reflexion", ADD, model=roles.client(), verifier=lambda t, s: half,
        config=GenerateConfig(temperature=0.0), max_rounds=3, patience=None,
        explore_temperature=0.6,
    )
    actor_temperatures = [
        call.params["temperature"] for call in roles.model.calls
        if role_of(call.messages) == "actor"
    ]
    assert actor_temperatures == [0.0, 0.0, 0.6]  # round 2 was stale: round 3 explores


async def test_an_explore_temperature_that_cannot_sample_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="explore_temperature"):
        await run_graph("lats", ADD, model=Roles().client(), explore_temperature=0.0)
