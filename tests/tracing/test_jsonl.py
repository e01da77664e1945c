"""JSONL export and import round-trip exactly."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from agentloop import Message
from agentloop.errors import TraceStoreError
from agentloop.tracing import (
    SpanKind,
    TraceStore,
    dump_jsonl,
    iter_records,
    load_jsonl,
    load_trace,
    span,
)


def _record_run() -> str:
    with span("run", kind=SpanKind.WORKFLOW, attributes={"agentloop.tags": ["t"]}) as run:
        with span(
            "chat",
            kind=SpanKind.CHAT,
            attributes={
                "gen_ai.request.model": "scripted",
                "gen_ai.input.messages": [Message(role="user", content="hé, 2+2?")],
                "gen_ai.output.messages": [{"role": "assistant", "content": "4"}],
                "agentloop.cache_hit": False,
            },
        ) as chat:
            chat.add_evaluation("judge", score=0.9, explanation="right")
        with pytest.raises(KeyError), span("tool", kind=SpanKind.TOOL):
            raise KeyError("missing")
    chat.add_evaluation("user", label="thumbs_down")
    return run.trace_id


def test_export_then_import_into_a_new_store_gives_the_same_spans(
    store: TraceStore, tmp_path: Path
) -> None:
    trace_id = _record_run()
    exported = io.StringIO()
    assert dump_jsonl(iter_records(store), exported) == 3
    path = tmp_path / "export.jsonl"
    path.write_text(exported.getvalue(), encoding="utf-8")

    copy = TraceStore(tmp_path / "copy.db")
    assert copy.write(load_jsonl(path)) == 3
    again = io.StringIO()
    dump_jsonl(iter_records(copy), again)
    assert again.getvalue() == exported.getvalue()

    chat = load_trace(copy, trace_id).find(kind=SpanKind.CHAT)[0]
    assert chat.attributes["gen_ai.input.messages"] == [
        {"role": "user", "content": "hé, 2+2?", "name": None}
    ]
    assert [e.name for e in chat.evaluations] == ["judge", "user"]
    assert load_trace(copy, trace_id).find(name="tool")[0].error == "KeyError: 'missing'"

    # Importing the same file twice duplicates nothing.
    copy.write(load_jsonl(path))
    assert len(list(iter_records(copy))) == 3
    assert len(load_trace(copy, trace_id).find(kind=SpanKind.CHAT)[0].evaluations) == 2


def test_a_line_that_is_not_a_span_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"name": "no ids"}\n', encoding="utf-8")
    with pytest.raises(TraceStoreError, match=r"bad.jsonl:1 is not a span record"):
        load_jsonl(path)
