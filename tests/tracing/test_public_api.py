"""`agentloop.tracing` exports exactly its documented names, and every public name it holds."""

from __future__ import annotations

import agentloop.tracing
from tests.public_surface import public_names

EXPECTED = {
    # Spans.
    "Span", "SpanKind", "SpanRecord", "SpanSink", "span", "traced", "current_span", "new_id",
    "Evaluation", "record_evaluation",
    # Where spans go.
    "TracingConfig", "configure_tracing", "disable_tracing", "flush_traces", "trace_store",
    "active_sinks", "add_sink", "remove_sink", "OTLPSink", "TraceStore", "DEFAULT_TRACE_PATH",
    # Reading traces back.
    "RunSummary", "SpanNode", "TraceTree", "iter_records", "load_trace", "query_runs",
    "resolve_run_id", "dump_jsonl", "load_jsonl",
}


def test_all_is_exactly_the_documented_surface_and_all_the_package_holds() -> None:
    assert set(agentloop.tracing.__all__) == EXPECTED
    assert public_names(agentloop.tracing) == EXPECTED
