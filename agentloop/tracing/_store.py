"""The SQLite trace store: spans and evaluations, written in batches by a background thread.

Durability model: the store runs in WAL mode with `synchronous=NORMAL`, so every committed batch
survives the writing process being killed (even with SIGKILL); only spans still queued in memory
are lost. Each batch is one short `BEGIN IMMEDIATE` transaction and every connection waits on
locks (`busy_timeout`), so several processes can write the same store at once.
"""

from __future__ import annotations

import json
import logging
import queue
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import closing, contextmanager
from enum import Enum
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from agentloop._sqlite import retry_while_locked
from agentloop.errors import TraceStoreError
from agentloop.tracing._span import Evaluation, SpanRecord

__all__ = ["DEFAULT_TRACE_PATH", "TraceStore"]

DEFAULT_TRACE_PATH = Path(".agentloop") / "traces.db"
"""Relative to the working directory: traces are project-local, like `.git`."""

_SCHEMA_VERSION = 1
_BUSY_TIMEOUT_MS = 30_000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS spans (
    trace_id TEXT NOT NULL,
    span_id TEXT NOT NULL,
    parent_id TEXT,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    start_ns INTEGER NOT NULL,
    end_ns INTEGER NOT NULL,
    status TEXT NOT NULL,
    error TEXT,
    attributes TEXT NOT NULL,
    -- Copies of well-known attributes, so that runs can be queried without parsing JSON.
    model TEXT,
    input_tokens INTEGER,
    output_tokens INTEGER,
    cost_usd REAL,
    outcome TEXT,
    tags TEXT,
    PRIMARY KEY (trace_id, span_id)
);
CREATE INDEX IF NOT EXISTS spans_roots ON spans (start_ns) WHERE parent_id IS NULL;
CREATE INDEX IF NOT EXISTS spans_model ON spans (model) WHERE model IS NOT NULL;
CREATE TABLE IF NOT EXISTS evaluations (
    id INTEGER PRIMARY KEY,
    trace_id TEXT NOT NULL,
    span_id TEXT NOT NULL,
    name TEXT NOT NULL,
    score REAL,
    label TEXT,
    explanation TEXT,
    time_ns INTEGER NOT NULL,
    -- Makes re-importing the same JSONL idempotent.
    UNIQUE (trace_id, span_id, name, time_ns)
);
"""

_INSERT_SPAN = (
    "INSERT OR REPLACE INTO spans (trace_id, span_id, parent_id, name, kind, start_ns, end_ns, "
    "status, error, attributes, model, input_tokens, output_tokens, cost_usd, outcome, tags) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_INSERT_EVALUATION = (
    "INSERT OR IGNORE INTO evaluations (trace_id, span_id, name, score, label, explanation, "
    "time_ns) VALUES (?, ?, ?, ?, ?, ?, ?)"
)

_log = logging.getLogger("agentloop.tracing")

_QueueItem = SpanRecord | tuple[str, str, Evaluation] | threading.Event | None


def _json_default(value: Any) -> Any:
    # Attributes may hold messages, enums or paths; store them as what a reader would expect.
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def dumps_value(value: Any) -> str:
    """JSON text; values JSON cannot hold (messages, enums, paths) become their closest shape."""
    return json.dumps(value, default=_json_default, ensure_ascii=False)


def dumps_attributes(attributes: dict[str, Any]) -> str:
    """Span attributes as JSON text (see `dumps_value`)."""
    return dumps_value(attributes)


def _number(value: Any) -> float | None:
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


def _span_row(record: SpanRecord) -> tuple[Any, ...]:
    attrs = record.attributes
    model = attrs.get("gen_ai.request.model") or attrs.get("gen_ai.response.model")
    tags = attrs.get("agentloop.tags")
    outcome = attrs.get("agentloop.outcome")
    return (
        record.trace_id,
        record.span_id,
        record.parent_id,
        record.name,
        str(record.kind),
        record.start_ns,
        record.end_ns,
        record.status,
        record.error,
        dumps_attributes(attrs),
        str(model) if model else None,
        _number(attrs.get("gen_ai.usage.input_tokens")),
        _number(attrs.get("gen_ai.usage.output_tokens")),
        _number(attrs.get("agentloop.cost_usd")),
        str(outcome) if outcome is not None else None,
        json.dumps([str(t) for t in tags]) if isinstance(tags, list | tuple | set) else None,
    )


def _evaluation_row(trace_id: str, span_id: str, ev: Evaluation) -> tuple[Any, ...]:
    return (trace_id, span_id, ev.name, ev.score, ev.label, ev.explanation, ev.time_ns)


class TraceStore:
    """A SQLite file of spans and evaluations; also a `SpanSink`.

    `emit` only enqueues; a daemon thread (started on the first emit) writes batches every
    `flush_interval_s` or as soon as `max_batch` items wait. `flush()` waits for everything
    enqueued so far; `close()` flushes and stops the thread. When more than `max_pending`
    items wait (code opening spans faster than SQLite commits them), `emit` waits for the
    writer to catch up instead of letting memory grow without bound.

    With `read_only=True` the file is never written, nor created: it must already be a trace
    store (an empty or damaged file is a `TraceStoreError`), and only reading works. Commands
    that only look (`agentloop traces ls/show/export`) open it so.
    """

    def __init__(
        self,
        path: str | Path = DEFAULT_TRACE_PATH,
        *,
        flush_interval_s: float = 0.25,
        max_batch: int = 2000,
        max_pending: int = 50_000,
        read_only: bool = False,
    ) -> None:
        self.path = Path(path)
        self.read_only = read_only
        self.flush_interval_s = flush_interval_s
        self.max_batch = max_batch
        self.max_pending = max_pending
        self._queue: queue.SimpleQueue[_QueueItem] = queue.SimpleQueue()
        self._writer: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._closed = False
        self._wake = threading.Event()
        self.dropped = 0
        """Spans or evaluations that could not be written (see the log for why)."""
        self._prepare()

    # -- opening -----------------------------------------------------------------------

    def _prepare(self) -> None:
        if self.path.is_dir():
            raise TraceStoreError(
                f"trace store path {self.path} is a directory; pass a file path such as "
                f"{self.path / 'traces.db'}"
            )
        if self.read_only:
            self._check_readable()
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise TraceStoreError(
                f"cannot create the trace store directory {self.path.parent}: {exc}; "
                "pass a writable path to configure_tracing(path=...) or --store"
            ) from exc
        with closing(self._connect()) as conn:
            self._ensure_schema(conn)

    def _check_readable(self) -> None:
        """Refuse, without writing anything, a file that is not a trace store to read."""
        damaged = "move it away, or pass the right one with --store"
        try:
            size = self.path.stat().st_size
        except FileNotFoundError:
            raise TraceStoreError(
                f"no trace store at {self.path}: run something with tracing on first, or pass "
                "--store"
            ) from None
        except OSError as exc:
            raise TraceStoreError(f"cannot read the trace store {self.path}: {exc}") from exc
        if size == 0:
            raise TraceStoreError(
                f"trace store {self.path} is empty (0 bytes): it was truncated or never "
                f"written; {damaged}"
            )
        with closing(self._connect()) as conn:
            try:
                version = conn.execute("PRAGMA user_version").fetchone()[0]
                tables = {
                    row[0] for row in conn.execute("SELECT name FROM sqlite_master")
                }
            except sqlite3.DatabaseError as exc:
                raise TraceStoreError(
                    f"{self.path} is not a readable trace store ({exc}); it may be corrupt or "
                    f"not a SQLite file: {damaged}"
                ) from exc
        if version > _SCHEMA_VERSION:
            raise TraceStoreError(
                f"trace store {self.path} was written by a newer agentloop (schema {version}); "
                "upgrade agentloop to read it"
            )
        if not {"spans", "evaluations"} <= tables:
            raise TraceStoreError(
                f"{self.path} is a SQLite file but not a trace store (it has no spans table); "
                f"{damaged}"
            )

    def _connect(self) -> sqlite3.Connection:
        try:
            if self.read_only:
                # mode=ro: nothing this connection does can create or change the file.
                conn = sqlite3.connect(
                    f"{self.path.absolute().as_uri()}?mode=ro",
                    uri=True,
                    timeout=_BUSY_TIMEOUT_MS / 1000,
                    isolation_level=None,
                    check_same_thread=False,
                )
            else:
                conn = sqlite3.connect(
                    self.path,
                    timeout=_BUSY_TIMEOUT_MS / 1000,
                    isolation_level=None,
                    check_same_thread=False,
                )
            conn.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
            # WAL + NORMAL: a commit survives the process being killed; only a power loss can
            # drop the last batches, and it never corrupts the file.
            conn.execute("PRAGMA synchronous = NORMAL")
        except sqlite3.Error as exc:
            if getattr(exc, "sqlite_errorname", "") == "SQLITE_NOTADB":
                raise TraceStoreError(
                    f"{self.path} is not a readable trace store ({exc}); it may be corrupt or "
                    "not a SQLite file: move it away or pass another path"
                ) from exc
            raise TraceStoreError(f"cannot open the trace store {self.path}: {exc}") from exc
        return conn

    def _ensure_schema(self, conn: sqlite3.Connection) -> None:
        try:
            retry_while_locked(conn, lambda: self._ensure_schema_once(conn))
        except sqlite3.OperationalError as exc:
            raise TraceStoreError(f"cannot open the trace store {self.path}: {exc}") from exc

    def _ensure_schema_once(self, conn: sqlite3.Connection) -> None:
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > _SCHEMA_VERSION:
                raise TraceStoreError(
                    f"trace store {self.path} was written by a newer agentloop (schema "
                    f"{version}); upgrade agentloop or use another path"
                )
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise TraceStoreError(
                    f"trace store {self.path} cannot use WAL mode (got {mode!r}); put it on a "
                    "local filesystem"
                )
            if version < _SCHEMA_VERSION:
                conn.execute("BEGIN IMMEDIATE")
                conn.executescript(_SCHEMA)  # executescript commits the open transaction
                conn.execute(f"PRAGMA user_version = {_SCHEMA_VERSION}")
        except sqlite3.DatabaseError as exc:
            if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
                raise  # busy, not broken: the caller retries
            raise TraceStoreError(
                f"{self.path} is not a readable trace store ({exc}); it may be corrupt or not "
                "a SQLite file: move it away or pass another path"
            ) from exc

    # -- writing (SpanSink) ------------------------------------------------------------

    def emit(self, record: SpanRecord) -> None:
        """Queue a finished span for writing (O(1); waits only when the writer is far behind)."""
        self._enqueue(record)

    def emit_evaluation(self, trace_id: str, span_id: str, evaluation: Evaluation) -> None:
        """Queue an evaluation of an already-ended span (user feedback, a late verdict)."""
        self._enqueue((trace_id, span_id, evaluation))

    def _enqueue(self, item: _QueueItem) -> None:
        if self.read_only:
            raise TraceStoreError(f"trace store {self.path} was opened read-only")
        if self._writer is None:
            self._start_writer()
        self._queue.put(item)
        if self._queue.qsize() >= self.max_pending:
            self._wait_for_writer()

    def _wait_for_writer(self) -> None:
        # Back-pressure, not dropping: every span still reaches the store, and a producer that
        # outruns the disk slows to its pace once this many spans wait.
        self._wake.set()
        deadline = time.monotonic() + 30.0
        writer = self._writer
        while (
            self._queue.qsize() > self.max_pending // 2
            and writer is not None
            and writer.is_alive()
            and time.monotonic() < deadline
        ):
            time.sleep(0.002)

    def flush(self, timeout: float = 30.0) -> bool:
        """Wait until everything queued before this call is written; False on timeout."""
        if self._writer is None or not self._writer.is_alive():
            return self._queue.empty()
        done = threading.Event()
        self._queue.put(done)
        self._wake.set()
        return done.wait(timeout)

    def close(self, timeout: float = 30.0) -> None:
        """Write what is queued and stop the writer thread. Reading still works after."""
        with self._start_lock:
            self._closed = True
            writer = self._writer
        if writer is not None and writer.is_alive():
            self._queue.put(None)
            self._wake.set()
            writer.join(timeout)

    def write(self, records: Iterable[SpanRecord]) -> int:
        """Write spans (and their evaluations) now, in one transaction; returns the count."""
        if self.read_only:
            raise TraceStoreError(f"trace store {self.path} was opened read-only")
        spans: list[tuple[Any, ...]] = []
        evaluations: list[tuple[Any, ...]] = []
        for record in records:
            spans.append(_span_row(record))
            evaluations.extend(
                _evaluation_row(record.trace_id, record.span_id, ev) for ev in record.evaluations
            )
        with closing(self._connect()) as conn:
            self._commit(conn, spans, evaluations)
        return len(spans)

    def start(self) -> None:
        """Start the writer thread now (otherwise the first span starts it).

        `configure_tracing` does this, so that opening the writer's connection happens there
        and not inside the first traced run.
        """
        self._start_writer()

    def _start_writer(self) -> None:
        with self._start_lock:
            if self._writer is not None:
                return
            if self._closed:
                raise TraceStoreError(f"trace store {self.path} is closed; open a new one")
            self._writer = threading.Thread(
                target=self._run_writer, name="agentloop-trace-writer", daemon=True
            )
            self._writer.start()

    def _run_writer(self) -> None:
        conn = self._connect()
        try:
            stop = False
            backlog = False
            while not stop:
                first = self._queue.get()
                # Let spans accumulate so that a busy run commits in few, large batches and
                # the writer rarely competes with the traced code for the GIL; flush() and
                # close() cut the wait short.
                if not backlog and isinstance(first, SpanRecord | tuple):
                    self._wake.wait(self.flush_interval_s)
                self._wake.clear()
                batch: list[_QueueItem] = [first]
                while len(batch) < self.max_batch:
                    try:
                        batch.append(self._queue.get_nowait())
                    except queue.Empty:
                        break
                backlog = len(batch) >= self.max_batch
                stop = self._write_batch(conn, batch)
        finally:
            conn.close()

    def _write_batch(self, conn: sqlite3.Connection, batch: list[_QueueItem]) -> bool:
        spans: list[tuple[Any, ...]] = []
        evaluations: list[tuple[Any, ...]] = []
        waiters: list[threading.Event] = []
        stop = False
        for item in batch:
            if item is None:
                stop = True
            elif isinstance(item, threading.Event):
                waiters.append(item)
            elif isinstance(item, SpanRecord):
                spans.append(_span_row(item))
                evaluations.extend(
                    _evaluation_row(item.trace_id, item.span_id, ev) for ev in item.evaluations
                )
            else:
                evaluations.append(_evaluation_row(*item))
        if spans or evaluations:
            for attempt in range(3):
                try:
                    self._commit(conn, spans, evaluations)
                    break
                except (sqlite3.Error, TraceStoreError) as exc:
                    if attempt == 2:
                        self.dropped += len(spans) + len(evaluations)
                        _log.error("dropped %d trace items: %s", len(spans) + len(evaluations), exc)
                    else:
                        time.sleep(0.1 * (attempt + 1))
        for waiter in waiters:
            waiter.set()
        return stop

    def _commit(
        self,
        conn: sqlite3.Connection,
        spans: list[tuple[Any, ...]],
        evaluations: list[tuple[Any, ...]],
    ) -> None:
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                if spans:
                    conn.executemany(_INSERT_SPAN, spans)
                if evaluations:
                    conn.executemany(_INSERT_EVALUATION, evaluations)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            raise TraceStoreError(f"cannot write to the trace store {self.path}: {exc}") from exc

    # -- reading -----------------------------------------------------------------------

    @contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        """A connection for reads; pending writes of this process are flushed first."""
        self.flush()
        conn = self._connect()
        conn.row_factory = sqlite3.Row
        try:
            yield conn
        except sqlite3.DatabaseError as exc:
            raise TraceStoreError(f"cannot read the trace store {self.path}: {exc}") from exc
        finally:
            conn.close()

    def __repr__(self) -> str:
        mode = ", read_only=True" if self.read_only else ""
        return f"TraceStore({str(self.path)!r}{mode})"
