"""Traces: spans for every run, node, model call, tool call and piece of feedback."""

from agentloop.tracing._config import active_sinks, add_sink, remove_sink
from agentloop.tracing._span import (
    Evaluation,
    Span,
    SpanKind,
    SpanRecord,
    SpanSink,
    current_span,
    new_id,
    span,
    traced,
)

__all__ = [
    "Evaluation",
    "Span",
    "SpanKind",
    "SpanRecord",
    "SpanSink",
    "active_sinks",
    "add_sink",
    "current_span",
    "new_id",
    "remove_sink",
    "span",
    "traced",
]
