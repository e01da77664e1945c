"""Which sinks receive finished spans, and the process's trace store.

How the default store activates: unless `configure_tracing` or `disable_tracing` was called
first, the first root span of the process opens `.agentloop/traces.db` under the working
directory (if that fails, a warning is logged once and tracing stays off). Call
`configure_tracing(path=...)` to use another file (it opens at once, so a bad path raises
`TraceStoreError` right there), or `disable_tracing()` to record nothing. Extra sinks
(`add_sink`, e.g. an `OTLPSink`) receive spans while tracing is enabled, whether or not a store
is open. Environment variables (`AGENTLOOP_TRACES`) are read only by entry points such as the
CLI, never here.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from agentloop.errors import TraceStoreError
from agentloop.tracing._span import SpanSink, _Emission
from agentloop.tracing._store import DEFAULT_TRACE_PATH, TraceStore

__all__ = [
    "TracingConfig",
    "active_sinks",
    "add_sink",
    "configure_tracing",
    "disable_tracing",
    "flush_traces",
    "remove_sink",
    "trace_store",
]

_log = logging.getLogger("agentloop.tracing")


class TracingConfig(BaseModel):
    """How this process records traces."""

    model_config = ConfigDict(frozen=True)

    enabled: bool = True
    """False: spans still nest (so `current_span()` works) but go nowhere."""
    path: Path = DEFAULT_TRACE_PATH
    """The SQLite store; relative paths are resolved against the working directory when opened."""
    flush_interval_s: float = 0.25
    """How long the writer lets spans accumulate before committing a batch."""
    max_batch: int = 2000
    """The most spans and evaluations committed in one transaction."""


class _State:
    lock = threading.RLock()
    config = TracingConfig()
    store: TraceStore | None = None
    extra: tuple[SpanSink, ...] = ()
    lazy = True
    """True until the first root span (or an explicit configure/disable) settles the store."""


def _publish() -> None:
    # Called with the lock held: recompute what the hot path reads.
    if not _State.config.enabled:
        _Emission.sinks = ()
        _Emission.on_first_root = None
        return
    store: tuple[SpanSink, ...] = (_State.store,) if _State.store is not None else ()
    _Emission.sinks = store + _State.extra
    _Emission.on_first_root = _activate_default if _State.lazy else None


def _activate_default() -> None:
    with _State.lock:
        if not _State.lazy:
            return
        _State.lazy = False
        try:
            _State.store = TraceStore(
                _State.config.path.resolve(),
                flush_interval_s=_State.config.flush_interval_s,
                max_batch=_State.config.max_batch,
            )
        except TraceStoreError as exc:
            _log.warning("tracing is off: %s", exc)
        _publish()


def configure_tracing(
    *,
    path: str | Path | None = None,
    enabled: bool = True,
    flush_interval_s: float = 0.25,
    max_batch: int = 2000,
) -> TraceStore | None:
    """Record spans to the SQLite store at `path` (default `.agentloop/traces.db`), or nothing.

    The store opens now, so a bad path raises `TraceStoreError` here. A previously open store
    is flushed and closed. Returns the open store (None when disabled).
    """
    config = TracingConfig(
        enabled=enabled,
        path=Path(path) if path is not None else DEFAULT_TRACE_PATH,
        flush_interval_s=flush_interval_s,
        max_batch=max_batch,
    )
    new_store = None
    if enabled:
        new_store = TraceStore(
            config.path.resolve(), flush_interval_s=flush_interval_s, max_batch=max_batch
        )
        new_store.start()
    with _State.lock:
        old, _State.store = _State.store, new_store
        _State.config = config
        _State.lazy = False
        _publish()
    if old is not None:
        old.close()
    return new_store


def disable_tracing() -> None:
    """Record nothing from now on (spans already queued are still written)."""
    configure_tracing(enabled=False)


def trace_store() -> TraceStore | None:
    """The store this process writes to, if one is open."""
    return _State.store


def flush_traces(timeout: float = 30.0) -> bool:
    """Wait until every span ended so far is in the store; False on timeout."""
    store = _State.store
    return True if store is None else store.flush(timeout)


def active_sinks() -> list[SpanSink]:
    """The sinks spans are emitted to right now."""
    return list(_Emission.sinks)


def add_sink(sink: SpanSink) -> None:
    """Send every finished span to `sink` too."""
    with _State.lock:
        _State.extra = (*_State.extra, sink)
        _publish()


def remove_sink(sink: SpanSink) -> None:
    """Stop sending spans to `sink`."""
    with _State.lock:
        _State.extra = tuple(s for s in _State.extra if s is not sink)
        _publish()


def _close_at_exit() -> None:
    store = _State.store
    if store is not None:
        store.close(timeout=10.0)
    for sink in _State.extra:
        shutdown = getattr(sink, "shutdown", None)
        if callable(shutdown):
            shutdown()


def _after_fork_in_child() -> None:
    # The parent's writer thread does not exist in the child, and its queue holds the parent's
    # spans: give the child its own store on the same file (its writer starts on first emit).
    _State.lock = threading.RLock()
    store = _State.store
    if store is not None:
        try:
            _State.store = TraceStore(
                store.path, flush_interval_s=store.flush_interval_s, max_batch=store.max_batch
            )
        except TraceStoreError as exc:
            _State.store = None
            _log.warning("tracing is off in forked process %d: %s", os.getpid(), exc)
        _publish()


atexit.register(_close_at_exit)
os.register_at_fork(after_in_child=_after_fork_in_child)
_publish()
