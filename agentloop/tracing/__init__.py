"""Traces: spans for every run, node, model call, tool call and piece of feedback.

Spans go to a SQLite store (`.agentloop/traces.db` by default, opened by the first root span;
see `configure_tracing`) and to any extra sink such as `agentloop.tracing.otlp.OTLPSink`.
"""

from agentloop.tracing._config import (
    TracingConfig,
    active_sinks,
    add_sink,
    configure_tracing,
    disable_tracing,
    flush_traces,
    remove_sink,
    trace_store,
)
from agentloop.tracing._jsonl import dump_jsonl, load_jsonl
from agentloop.tracing._otlp import OTLPSink
from agentloop.tracing._read import (
    RunSummary,
    SpanNode,
    TraceTree,
    iter_records,
    load_trace,
    query_runs,
    resolve_run_id,
)
from agentloop.tracing._span import (
    Evaluation,
    Span,
    SpanKind,
    SpanRecord,
    SpanSink,
    current_span,
    new_id,
    record_evaluation,
    span,
    traced,
)
from agentloop.tracing._store import DEFAULT_TRACE_PATH, TraceStore

__all__ = [
    "DEFAULT_TRACE_PATH",
    "OTLPSink",
    "Evaluation",
    "RunSummary",
    "Span",
    "SpanKind",
    "SpanNode",
    "SpanRecord",
    "SpanSink",
    "TraceStore",
    "TraceTree",
    "TracingConfig",
    "active_sinks",
    "add_sink",
    "configure_tracing",
    "current_span",
    "disable_tracing",
    "dump_jsonl",
    "flush_traces",
    "iter_records",
    "load_jsonl",
    "load_trace",
    "new_id",
    "query_runs",
    "record_evaluation",
    "remove_sink",
    "resolve_run_id",
    "span",
    "trace_store",
    "traced",
]
