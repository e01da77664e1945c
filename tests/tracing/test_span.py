"""Spans nest by context (tasks, task groups, threads), record errors, and reach the store."""

from __future__ import annotations

import asyncio
import pickle
import textwrap
from pathlib import Path

import anyio
import pytest

from agentloop.tracing import (
    Evaluation,
    SpanKind,
    SpanRecord,
    TraceStore,
    add_sink,
    configure_tracing,
    current_span,
    disable_tracing,
    flush_traces,
    load_trace,
    query_runs,
    record_evaluation,
    remove_sink,
    span,
    traced,
)

from .conftest import python_process


class ListSink:
    def __init__(self) -> None:
        self.records: list[SpanRecord] = []
        self.late: list[tuple[str, str, Evaluation]] = []

    def emit(self, record: SpanRecord) -> None:
        self.records.append(record)

    def emit_evaluation(self, trace_id: str, span_id: str, evaluation: Evaluation) -> None:
        self.late.append((trace_id, span_id, evaluation))


def _parents(records: list[SpanRecord]) -> dict[str, str | None]:
    by_id = {r.span_id: r.name for r in records}
    return {r.name: by_id.get(r.parent_id or "") for r in records}


@pytest.mark.anyio
async def test_concurrent_asyncio_tasks_nest_under_their_parent_not_each_other() -> None:
    sink = ListSink()
    add_sink(sink)
    try:

        async def branch(label: str) -> None:
            with span(f"branch-{label}", kind=SpanKind.NODE):
                await asyncio.sleep(0.01)  # interleave with the sibling
                with span(f"chat-{label}", kind=SpanKind.CHAT):
                    await asyncio.sleep(0.01)

        with span("run", kind=SpanKind.WORKFLOW):
            await asyncio.gather(branch("a"), branch("b"))
    finally:
        remove_sink(sink)
    parents = _parents(sink.records)
    assert parents == {
        "chat-a": "branch-a",
        "chat-b": "branch-b",
        "branch-a": "run",
        "branch-b": "run",
        "run": None,
    }
    assert len({r.trace_id for r in sink.records}) == 1


@pytest.mark.anyio
async def test_anyio_task_group_and_worker_threads_nest_correctly() -> None:
    sink = ListSink()
    add_sink(sink)
    try:

        def blocking(label: str) -> None:
            with span(f"thread-{label}", kind=SpanKind.TOOL):
                pass

        async def branch(label: str) -> None:
            with span(f"node-{label}", kind=SpanKind.NODE):
                await anyio.sleep(0.01)
                await anyio.to_thread.run_sync(blocking, label)

        with span("run", kind=SpanKind.WORKFLOW):
            async with anyio.create_task_group() as tg:
                for label in "xyz":
                    tg.start_soon(branch, label)
    finally:
        remove_sink(sink)
    parents = _parents(sink.records)
    for label in "xyz":
        assert parents[f"thread-{label}"] == f"node-{label}"
        assert parents[f"node-{label}"] == "run"


@pytest.mark.anyio
async def test_traced_decorator_records_sync_and_async_calls_with_errors() -> None:
    sink = ListSink()
    add_sink(sink)

    @traced(kind=SpanKind.TOOL)
    def add(a: int, b: int) -> int:
        return a + b

    @traced(name="fails")
    async def fails() -> None:
        raise ValueError("bad input")

    try:
        with span("run") as run:
            assert add(2, 3) == 5
            with pytest.raises(ValueError):
                await fails()
            assert current_span() is run
        assert current_span() is None
    finally:
        remove_sink(sink)
    by_name = {r.name: r for r in sink.records}
    assert by_name[add.__qualname__].kind == SpanKind.TOOL
    assert by_name["fails"].status == "error"
    assert by_name["fails"].error == "ValueError: bad input"
    assert by_name["run"].status == "ok"


def test_spans_and_evaluations_reach_the_store(store: TraceStore) -> None:
    with span("run", kind=SpanKind.WORKFLOW, attributes={"agentloop.outcome": "solved"}) as run:
        with span("verify", kind=SpanKind.VERIFY) as verify:
            verify.add_evaluation("verifier", score=0.5, label="fail", explanation="1/2 passed")
    # Feedback arriving after the span ended: through the live object and by ids alone.
    verify.add_evaluation("critic", explanation="off by one")
    record_evaluation(trace_id=run.trace_id, span_id=verify.span_id, name="user", label="thumbs_up")
    tree = load_trace(store, run.trace_id)
    node = tree.find(kind=SpanKind.VERIFY)[0]
    assert [(e.name, e.label, e.score) for e in node.evaluations] == [
        ("verifier", "fail", 0.5),
        ("critic", None, None),
        ("user", "thumbs_up", None),
    ]
    assert tree.root.attributes == {"agentloop.outcome": "solved"}


def test_disabled_tracing_writes_nothing_but_spans_still_nest(store: TraceStore) -> None:
    disable_tracing()
    with span("outer") as outer, span("inner") as inner:
        assert inner.parent_id == outer.span_id
    assert flush_traces()
    assert query_runs(store) == []


def test_configure_tracing_switches_to_a_new_store(tmp_path: Path) -> None:
    other = configure_tracing(path=tmp_path / "other.db")
    assert other is not None
    with span("here"):
        pass
    assert [run.name for run in query_runs(other)] == ["here"]


def test_first_root_span_opens_the_default_store_in_the_working_directory(
    tmp_path: Path,
) -> None:
    code = textwrap.dedent("""
        from agentloop.tracing import span, trace_store
        assert trace_store() is None  # nothing opened at import
        with span("lazy run"):
            pass
        print(trace_store().path)
    """)
    proc = python_process(code, cwd=tmp_path)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    db = tmp_path / ".agentloop" / "traces.db"
    assert out.strip() == str(db)
    # The atexit flush wrote the span before the process ended.
    assert [run.name for run in query_runs(TraceStore(db))] == ["lazy run"]


def test_a_sink_gets_a_record_of_what_the_span_held_that_behaves_as_a_validated_one() -> None:
    """Records are built without validation on the hot path; a sink must not notice."""
    sink = ListSink()
    add_sink(sink)
    try:
        with span("outer"), span(
            "chat", kind=SpanKind.CHAT, attributes={"gen_ai.request.model": "m"}
        ) as live:
            live.set_attribute("gen_ai.usage.output_tokens", 7)
            live.add_evaluation("judge", score=0.5)
    finally:
        remove_sink(sink)
    record = next(r for r in sink.records if r.name == "chat")
    # It holds what the span held.
    assert (record.trace_id, record.span_id, record.parent_id) == (
        live.trace_id, live.span_id, live.parent_id,
    )
    assert record.parent_id is not None and record.kind is SpanKind.CHAT
    assert record.attributes == {"gen_ai.request.model": "m", "gen_ai.usage.output_tokens": 7}
    assert [(e.name, e.score) for e in record.evaluations] == [("judge", 0.5)]
    assert record.status == "ok" and record.error is None
    assert 0 <= record.duration_s < 60
    # Ids are OpenTelemetry-sized hex.
    assert len(live.span_id) == 16 and len(live.trace_id) == 32
    assert int(live.span_id, 16) >= 0 and int(live.trace_id, 16) >= 0
    # Changing the live span after it ended does not change what the sink got.
    live.set_attribute("late", True)
    assert "late" not in record.attributes
    # It dumps, copies and pickles as a validated record does (a sink that exports, redacts or
    # hands records to another process).
    validated = SpanRecord.model_validate(record.model_dump())
    assert record == validated
    assert record.model_dump_json() == validated.model_dump_json()
    assert record.model_fields_set == validated.model_fields_set  # exclude_unset keeps all
    redacted = record.model_copy(update={"attributes": {}})
    assert redacted.attributes == {} and record.attributes["gen_ai.request.model"] == "m"
    assert pickle.loads(pickle.dumps(record)) == validated
