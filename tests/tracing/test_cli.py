"""`agentloop traces ls/show/export/import` on a real store."""

from __future__ import annotations

import json
from contextlib import closing
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from agentloop.cli import _traces
from agentloop.errors import TraceStoreError
from agentloop.tracing import SpanKind, TraceStore, flush_traces, span
from tests.conftest import command_app, invoke_ok


@pytest.fixture
def cli() -> typer.Typer:
    return command_app(_traces.register)


@pytest.fixture
def recorded(store: TraceStore) -> str:
    with span(
        "self_refine",
        kind=SpanKind.WORKFLOW,
        attributes={
            "agentloop.outcome": "solved",
            "agentloop.tags": ["demo"],
        },
    ) as run:
        with span("actor", kind=SpanKind.NODE):
            with span(
                "chat",
                kind=SpanKind.CHAT,
                attributes={
                    "gen_ai.request.model": "local/smollm2-135m",
                    "gen_ai.usage.input_tokens": 1200,
                    "gen_ai.usage.output_tokens": 34,
                    "agentloop.cost_usd": 0.0,
                },
            ) as chat:
                pass
        with span("verify", kind=SpanKind.VERIFY) as verify:
            verify.add_evaluation(
                "verifier", label="fail", score=0.0, explanation="test_add failed: expected 4"
            )
    chat.add_evaluation("user", label="thumbs_down", explanation="too long")
    with span("other run", kind=SpanKind.WORKFLOW, attributes={"agentloop.outcome": "failed"}):
        pass
    flush_traces()
    return run.trace_id


def test_ls_lists_runs_with_model_tokens_and_outcome(
    cli: typer.Typer, store: TraceStore, recorded: str
) -> None:
    out = invoke_ok(cli, "traces", "ls", "--store", str(store.path))
    assert recorded[:12] in out
    assert "local/smollm2-135m" in out and "1,234" in out and "solved" in out
    assert "other run" in out
    filtered = invoke_ok(cli, "traces", "ls", "--store", str(store.path), "--outcome", "failed")
    assert "other run" in filtered and recorded[:12] not in filtered
    recent = invoke_ok(
        cli, "traces", "ls", "--store", str(store.path), "--since", "1h", "--tag", "demo"
    )
    assert recorded[:12] in recent and "other run" not in recent
    from_env = CliRunner().invoke(
        cli,
        ["traces", "ls"],
        env={
            "AGENTLOOP_TRACES": str(store.path),
            "COLUMNS": "200",
        },
    )
    assert recorded[:12] in from_env.output


def test_show_draws_the_tree_with_verdicts_and_feedback_inline(
    cli: typer.Typer, store: TraceStore, recorded: str
) -> None:
    out = invoke_ok(cli, "traces", "show", recorded[:6], "--store", str(store.path))
    lines = out.splitlines()
    assert recorded in lines[0]
    order = [
        next(i for i, line in enumerate(lines) if text in line)
        for text in (
            "self_refine",
            "actor",
            "local/smollm2-135m",
            "thumbs_down",
            "verify",
            "test_add failed",
        )
    ]
    assert order == sorted(order)
    assert "too long" in out and "tokens 1200→34" in out


def test_export_then_import_round_trips_through_files(
    cli: typer.Typer, store: TraceStore, recorded: str, tmp_path: Path
) -> None:
    one = tmp_path / "one.jsonl"
    invoke_ok(cli, "traces", "export", recorded[:8], "-o", str(one), "--store", str(store.path))
    spans = [json.loads(line) for line in one.read_text().splitlines()]
    assert {s["trace_id"] for s in spans} == {recorded} and len(spans) == 4

    everything = invoke_ok(cli, "traces", "export", "--all", "--store", str(store.path))
    assert len(everything.splitlines()) == 5

    copy = tmp_path / "copy.db"
    invoke_ok(cli, "traces", "import", str(one), "--store", str(copy))
    again = invoke_ok(cli, "traces", "export", "--all", "--store", str(copy))
    assert again == one.read_text()


def test_reading_a_missing_store_or_run_says_what_to_do(
    cli: typer.Typer, store: TraceStore, recorded: str, tmp_path: Path
) -> None:
    with pytest.raises(TraceStoreError, match="no trace store at .*pass --store"):
        invoke_ok(cli, "traces", "ls", "--store", str(tmp_path / "absent.db"))
    with pytest.raises(TraceStoreError, match="no run 'ffffffffff'"):
        invoke_ok(cli, "traces", "show", "ffffffffff", "--store", str(store.path))


def test_a_truncated_store_is_reported_not_reinitialised(
    cli: typer.Typer, recorded: str, store: TraceStore, tmp_path: Path
) -> None:
    truncated = tmp_path / "traces.db"
    truncated.write_bytes(b"")
    for command in (["ls"], ["show", recorded[:8]], ["export", "--all"]):
        with pytest.raises(TraceStoreError, match=r"is empty \(0 bytes\): it was truncated"):
            invoke_ok(cli, "traces", *command, "--store", str(truncated))
    assert truncated.stat().st_size == 0  # a read command wrote nothing


def test_a_sqlite_file_that_is_not_a_trace_store_is_left_alone(
    cli: typer.Typer, tmp_path: Path
) -> None:
    import sqlite3

    other = tmp_path / "notes.db"
    with closing(sqlite3.connect(other)) as conn:
        conn.execute("CREATE TABLE notes (text TEXT)")
        conn.commit()
    before = other.read_bytes()
    with pytest.raises(TraceStoreError, match="not a trace store .*no spans table"):
        invoke_ok(cli, "traces", "ls", "--store", str(other))
    assert other.read_bytes() == before


def test_a_store_opened_read_only_refuses_writes(store: TraceStore) -> None:
    reader = TraceStore(store.path, read_only=True)
    with pytest.raises(TraceStoreError, match="opened read-only"):
        reader.write([])
    with span("run", kind=SpanKind.WORKFLOW):
        pass
    assert flush_traces()
    from agentloop.tracing import query_runs

    assert [run.name for run in query_runs(reader)] == ["run"]
