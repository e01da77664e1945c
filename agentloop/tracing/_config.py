"""Which sinks receive finished spans. The trace store is configured here."""

from __future__ import annotations

import threading

from agentloop.tracing._span import SpanSink

__all__ = ["active_sinks", "add_sink", "remove_sink"]

_lock = threading.Lock()
_sinks: list[SpanSink] = []


def active_sinks() -> list[SpanSink]:
    """The sinks spans are emitted to right now."""
    return _sinks


def add_sink(sink: SpanSink) -> None:
    """Send every finished span to `sink` too."""
    global _sinks
    with _lock:
        _sinks = [*_sinks, sink]


def remove_sink(sink: SpanSink) -> None:
    """Stop sending spans to `sink`."""
    global _sinks
    with _lock:
        _sinks = [s for s in _sinks if s is not sink]
