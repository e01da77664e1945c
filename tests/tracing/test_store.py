"""The SQLite store: concurrent writers, crashes, bad paths, queries over runs."""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import textwrap
import time
from pathlib import Path

import pytest

from agentloop.errors import TraceStoreError
from agentloop.tracing import (
    SpanKind,
    SpanRecord,
    TraceStore,
    configure_tracing,
    flush_traces,
    load_trace,
    query_runs,
    span,
)

from .conftest import python_process

WRITER = textwrap.dedent("""
    from agentloop.tracing import SpanKind, configure_tracing, span
    configure_tracing(path={path!r}, flush_interval_s=0.01)
    for i in range({runs}):
        with span("run", kind=SpanKind.WORKFLOW, attributes={{"agentloop.tags": [{tag!r}]}}):
            with span("node", kind=SpanKind.NODE):
                with span("chat", kind=SpanKind.CHAT, attributes={{
                    "gen_ai.request.model": "scripted", "gen_ai.usage.input_tokens": 1,
                    "gen_ai.usage.output_tokens": 2,
                }}) as chat:
                    chat.add_evaluation("judge", score=1.0)
""")


def test_four_processes_writing_at_once_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    procs = [python_process(WRITER.format(path=str(path), runs=300, tag=f"p{n}")) for n in range(4)]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    store = TraceStore(path)
    runs = query_runs(store, limit=None)
    assert len(runs) == 4 * 300
    for n in range(4):
        mine = query_runs(store, tag=f"p{n}", limit=None)
        assert len(mine) == 300
        assert all(r.span_count == 3 and r.total_tokens == 3 for r in mine)
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT COUNT(*) FROM evaluations").fetchone()[0] == 4 * 300


def _committed_after_spans(path: Path) -> bool:
    with contextlib.closing(sqlite3.connect(path, timeout=5)) as conn:
        try:
            row = conn.execute("SELECT count(*) FROM spans WHERE name = 'after'").fetchone()
        except sqlite3.OperationalError:  # a writer holding the lock, or no table yet
            return False
    return bool(row[0])


def test_a_writer_killed_with_sigkill_leaves_a_readable_store(tmp_path: Path) -> None:
    path = tmp_path / "killed.db"
    code = textwrap.dedent(f"""
        import sys
        from agentloop.tracing import SpanKind, configure_tracing, flush_traces, span
        configure_tracing(path={str(path)!r}, flush_interval_s=0.005)
        tags = {{"agentloop.tags": ["before"]}}
        for i in range(50):
            with span("before", kind=SpanKind.WORKFLOW, attributes=tags):
                with span("node", kind=SpanKind.NODE):
                    pass
        assert flush_traces()
        print("flushed", flush=True)
        while True:  # keep the writer committing while we are killed
            with span("after", kind=SpanKind.WORKFLOW):
                with span("node", kind=SpanKind.NODE):
                    pass
    """)
    proc = python_process(code)
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "flushed"
    # Kill it only once the writer has committed some "after" spans on its own (no flush), so
    # the check below is about surviving the kill, not about how busy the machine is.
    deadline = time.monotonic() + 30
    while not _committed_after_spans(path) and time.monotonic() < deadline:
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL

    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    store = TraceStore(path)
    before = query_runs(store, tag="before", limit=None)
    assert len(before) == 50
    assert all(run.span_count == 2 for run in before)
    # Batches committed after the flush survived too; at most the in-flight ones were lost.
    assert query_runs(store, name="after", limit=1)


def test_a_path_that_is_a_directory_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(TraceStoreError, match="is a directory"):
        configure_tracing(path=tmp_path)


def test_a_directory_that_cannot_be_created_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(TraceStoreError, match="cannot create the trace store directory"):
        TraceStore(blocker / "sub" / "traces.db")


def test_a_corrupt_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "corrupt.db"
    path.write_bytes(b"this is not sqlite at all\n" * 200)
    with pytest.raises(TraceStoreError, match="not a readable trace store"):
        TraceStore(path)


def test_a_store_from_a_newer_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "future.db"
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA user_version = 99")
    with pytest.raises(TraceStoreError, match="newer agentloop"):
        TraceStore(path)


def test_the_store_uses_wal_mode(store: TraceStore) -> None:
    with sqlite3.connect(store.path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def _run(name: str, *, model: str, outcome: str, tags: list[str], fail: bool = False) -> str:
    with span(
        name,
        kind=SpanKind.WORKFLOW,
        attributes={
            "agentloop.outcome": outcome,
            "agentloop.tags": tags,
            "agentloop.graph": "g",
            "agentloop.stop_reason": "budget",
        },
    ) as run:
        for _ in range(2):
            with span(
                "chat",
                kind=SpanKind.CHAT,
                attributes={
                    "gen_ai.request.model": model,
                    "gen_ai.usage.input_tokens": 10,
                    "gen_ai.usage.output_tokens": 5,
                    "agentloop.cost_usd": 0.25,
                },
            ):
                pass
        if fail:
            run.record_error(RuntimeError("boom"))
    return run.trace_id


def test_runs_are_summarised_and_queried_by_model_outcome_tag_status_and_time(
    store: TraceStore,
) -> None:
    t0 = time.time_ns()
    a = _run("a", model="m1", outcome="solved", tags=["nightly", "x"])
    t1 = time.time_ns()
    b = _run("b", model="m2", outcome="unsolved", tags=["nightly"], fail=True)

    summary = query_runs(store, outcome="solved")[0]
    assert (summary.trace_id, summary.name, summary.status) == (a, "a", "ok")
    assert (summary.input_tokens, summary.output_tokens, summary.cost_usd) == (20, 10, 0.5)
    assert summary.models == ["m1"] and summary.span_count == 3
    assert (summary.graph, summary.stop_reason, summary.tags) == ("g", "budget", ["nightly", "x"])
    assert summary.duration_s > 0

    assert [r.trace_id for r in query_runs(store)] == [b, a]  # newest first
    assert [r.trace_id for r in query_runs(store, model="m2")] == [b]
    assert [r.trace_id for r in query_runs(store, tag="x")] == [a]
    assert [r.trace_id for r in query_runs(store, tag="nightly")] == [b, a]
    assert [r.trace_id for r in query_runs(store, status="error")] == [b]
    assert [r.trace_id for r in query_runs(store, since=t1)] == [b]
    assert [r.trace_id for r in query_runs(store, since=t0, until=t1)] == [a]


def test_a_run_whose_root_never_ended_is_listed_as_incomplete(store: TraceStore) -> None:
    with span("crashed run", kind=SpanKind.WORKFLOW) as root:
        with span("finished node", kind=SpanKind.NODE):
            pass
        flush_traces()
        # The root is still open: as after a crash, only the child is in the store.
        runs = query_runs(store)
        assert [(r.name, r.status) for r in runs] == [("finished node", "incomplete")]
        tree = load_trace(store, root.trace_id)
        assert [n.name for n in tree.roots] == ["finished node"]
    assert query_runs(store, status="incomplete") == []


def test_run_ids_resolve_from_a_unique_prefix(store: TraceStore) -> None:
    with span("one") as one:
        pass
    assert load_trace(store, one.trace_id[:8]).root.name == "one"
    with pytest.raises(TraceStoreError, match="no run"):
        load_trace(store, "zzzz")


def test_a_producer_faster_than_the_disk_is_slowed_not_allowed_to_pile_up(tmp_path: Path) -> None:
    store = TraceStore(tmp_path / "busy.db", flush_interval_s=0.5, max_pending=500)
    most_waiting = 0
    try:
        for i in range(5000):
            now = time.time_ns()
            store.emit(
                SpanRecord(
                    trace_id="t" * 32,
                    span_id=f"{i:016x}",
                    parent_id=None,
                    name="busy",
                    kind=SpanKind.NODE,
                    start_ns=now,
                    end_ns=now,
                )
            )
            most_waiting = max(most_waiting, store._queue.qsize())
        assert store.flush()
    finally:
        store.close()
    assert most_waiting <= 500
    with sqlite3.connect(tmp_path / "busy.db") as conn:
        assert conn.execute("SELECT count(*) FROM spans").fetchone()[0] == 5000


def test_configure_tracing_starts_the_writer_so_the_first_run_does_not(tmp_path: Path) -> None:
    import threading

    from agentloop.tracing import configure_tracing, disable_tracing

    def writers() -> set[threading.Thread]:
        return {t for t in threading.enumerate() if t.name == "agentloop-trace-writer"}

    before = writers()
    store = configure_tracing(path=tmp_path / "traces.db")
    try:
        assert store is not None
        [started] = writers() - before  # running before any span was opened
        store.start()  # idempotent
        assert writers() - before == {started}
    finally:
        disable_tracing()
    assert not started.is_alive()  # closing the store stopped its writer
