"""Reading the trace store: runs as trees of typed spans, run summaries, queries."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from agentloop.errors import TraceStoreError
from agentloop.tracing._span import Evaluation, SpanKind, SpanRecord
from agentloop.tracing._store import TraceStore

__all__ = [
    "RunSummary",
    "SpanNode",
    "TraceTree",
    "iter_records",
    "load_trace",
    "query_runs",
    "resolve_run_id",
]


class RunSummary(BaseModel):
    """One run (trace) at a glance, as `agentloop traces ls` shows it."""

    model_config = ConfigDict(frozen=True)

    trace_id: str
    name: str
    """The root span's name; the earliest span's when the root was never written."""
    status: str
    """"ok", "error", or "incomplete" (the root span never ended: crashed or still running)."""
    start_ns: int
    end_ns: int
    span_count: int
    models: list[str] = Field(default_factory=list)
    input_tokens: int = 0
    """Summed over the run's model-call (CHAT) spans."""
    output_tokens: int = 0
    cost_usd: float = 0.0
    outcome: str | None = None
    """The root span's `agentloop.outcome` attribute."""
    stop_reason: str | None = None
    graph: str | None = None
    tags: list[str] = Field(default_factory=list)

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens

    @property
    def duration_s(self) -> float:
        return (self.end_ns - self.start_ns) / 1e9


class SpanNode(SpanRecord):
    """A stored span with its children (ordered by start time) and evaluations."""

    children: list[SpanNode] = Field(default_factory=list)

    def walk(self) -> Iterator[SpanNode]:
        """This span and every descendant, depth first."""
        yield self
        for child in self.children:
            yield from child.walk()


class TraceTree(BaseModel):
    """One run loaded from the store: its root span(s) and every span by id."""

    trace_id: str
    roots: list[SpanNode]
    """Usually one: the run's root. Spans whose parent was never written (a crash) are roots too."""

    @property
    def root(self) -> SpanNode:
        return self.roots[0]

    def walk(self) -> Iterator[SpanNode]:
        for root in self.roots:
            yield from root.walk()

    def find(self, *, kind: SpanKind | None = None, name: str | None = None) -> list[SpanNode]:
        """Spans of this run of a kind and/or name, in depth-first order."""
        return [
            node
            for node in self.walk()
            if (kind is None or node.kind == kind) and (name is None or node.name == name)
        ]

    def records(self) -> list[SpanRecord]:
        """Every span as a plain `SpanRecord` (children dropped), depth first."""
        return [SpanRecord(**node.model_dump(exclude={"children"})) for node in self.walk()]


_SUMMARY_COLUMNS = """
    r.trace_id, r.name, r.status, r.start_ns, r.end_ns, r.outcome, r.tags, r.attributes,
    (SELECT COUNT(*) FROM spans s WHERE s.trace_id = r.trace_id) AS span_count,
    (SELECT COALESCE(SUM(input_tokens), 0) FROM spans s
        WHERE s.trace_id = r.trace_id AND s.kind = 'chat') AS input_tokens,
    (SELECT COALESCE(SUM(output_tokens), 0) FROM spans s
        WHERE s.trace_id = r.trace_id AND s.kind = 'chat') AS output_tokens,
    (SELECT COALESCE(SUM(cost_usd), 0.0) FROM spans s
        WHERE s.trace_id = r.trace_id AND s.kind = 'chat') AS cost_usd,
    (SELECT GROUP_CONCAT(DISTINCT model) FROM spans s
        WHERE s.trace_id = r.trace_id AND s.model IS NOT NULL) AS models
"""

# Runs whose root never reached the store (killed, or still running) are listed too.
_INCOMPLETE = """
    SELECT trace_id, MIN(start_ns) AS start_ns FROM spans GROUP BY trace_id
    HAVING SUM(parent_id IS NULL) = 0
"""


def _to_ns(value: datetime | int | None) -> int | None:
    if value is None or isinstance(value, int):
        return value
    return int(value.timestamp() * 1e9)


def query_runs(
    store: TraceStore,
    *,
    since: datetime | int | None = None,
    until: datetime | int | None = None,
    model: str | None = None,
    status: str | None = None,
    outcome: str | None = None,
    tag: str | None = None,
    name: str | None = None,
    limit: int | None = 50,
) -> list[RunSummary]:
    """Runs newest first, filtered by start time (datetime or epoch ns), model, status, outcome,
    tag (an entry of the root's `agentloop.tags`) or root name."""
    since_ns, until_ns = _to_ns(since), _to_ns(until)
    filters: list[tuple[str, Any]] = [
        ("r.start_ns >= ?", since_ns),
        ("r.start_ns < ?", until_ns),
        ("EXISTS (SELECT 1 FROM spans s WHERE s.trace_id = r.trace_id AND s.model = ?)", model),
        ("r.status = ?", status),
        ("r.outcome = ?", outcome),
        ("EXISTS (SELECT 1 FROM json_each(r.tags) WHERE json_each.value = ?)", tag),
        ("r.name = ?", name),
    ]
    given = [(clause, value) for clause, value in filters if value is not None]
    where = ["r.parent_id IS NULL", *(clause for clause, _ in given)]
    params = [value for _, value in given]
    sql = f"SELECT {_SUMMARY_COLUMNS} FROM spans r WHERE {' AND '.join(where)} "
    sql += "ORDER BY r.start_ns DESC"
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    with store.reading() as conn:
        runs = [_summary(row) for row in conn.execute(sql, params)]
        only_complete = any(f is not None for f in (model, outcome, tag, name)) or (
            status not in (None, "incomplete")
        )
        if not only_complete:
            runs.extend(_incomplete_runs(conn, since_ns, until_ns))
    if status == "incomplete":
        runs = [run for run in runs if run.status == "incomplete"]
    runs.sort(key=lambda run: run.start_ns, reverse=True)
    return runs if limit is None else runs[:limit]


def _incomplete_runs(
    conn: sqlite3.Connection, since_ns: int | None, until_ns: int | None
) -> list[RunSummary]:
    runs = []
    for row in conn.execute(_INCOMPLETE).fetchall():
        if (since_ns is not None and row["start_ns"] < since_ns) or (
            until_ns is not None and row["start_ns"] >= until_ns
        ):
            continue
        first = conn.execute(
            f"SELECT {_SUMMARY_COLUMNS} FROM spans r WHERE r.trace_id = ? "
            "ORDER BY r.start_ns LIMIT 1",
            (row["trace_id"],),
        ).fetchone()
        end_ns = conn.execute(
            "SELECT MAX(end_ns) FROM spans WHERE trace_id = ?", (row["trace_id"],)
        ).fetchone()[0]
        summary = _summary(first)
        runs.append(
            summary.model_copy(
                update={
                    "status": "incomplete",
                    "end_ns": end_ns,
                    "outcome": None,
                    "stop_reason": None,
                    "graph": None,
                    "tags": [],
                }
            )
        )
    return runs


def _summary(row: sqlite3.Row) -> RunSummary:
    attributes = json.loads(row["attributes"])
    return RunSummary(
        trace_id=row["trace_id"],
        name=row["name"],
        status=row["status"],
        start_ns=row["start_ns"],
        end_ns=row["end_ns"],
        span_count=row["span_count"],
        models=sorted(row["models"].split(",")) if row["models"] else [],
        input_tokens=int(row["input_tokens"]),
        output_tokens=int(row["output_tokens"]),
        cost_usd=float(row["cost_usd"]),
        outcome=row["outcome"],
        stop_reason=_str_or_none(attributes.get("agentloop.stop_reason")),
        graph=_str_or_none(attributes.get("agentloop.graph")),
        tags=json.loads(row["tags"]) if row["tags"] else [],
    )


def _str_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


def resolve_run_id(store: TraceStore, run_id: str) -> str:
    """The full trace id for a run id or a unique prefix of one."""
    prefix = run_id.strip().lower()
    if not prefix:
        raise TraceStoreError("empty run id: pass one (or a prefix) from `agentloop traces ls`")
    with store.reading() as conn:
        rows = conn.execute(
            "SELECT DISTINCT trace_id FROM spans WHERE trace_id >= ? AND trace_id < ? LIMIT 6",
            (prefix, prefix + "\U0010ffff"),
        ).fetchall()
    matches = [row["trace_id"] for row in rows]
    if not matches:
        raise TraceStoreError(f"no run {run_id!r} in {store.path}; see `agentloop traces ls`")
    if len(matches) > 1:
        raise TraceStoreError(
            f"run id prefix {run_id!r} matches several runs ({', '.join(matches[:5])}); "
            "give more characters"
        )
    return str(matches[0])


def _node(row: sqlite3.Row, evaluations: list[Evaluation]) -> SpanNode:
    return SpanNode(
        trace_id=row["trace_id"],
        span_id=row["span_id"],
        parent_id=row["parent_id"],
        name=row["name"],
        kind=SpanKind(row["kind"]),
        start_ns=row["start_ns"],
        end_ns=row["end_ns"],
        status=row["status"],
        error=row["error"],
        attributes=json.loads(row["attributes"]),
        evaluations=evaluations,
    )


def _evaluations(conn: sqlite3.Connection, trace_id: str) -> dict[str, list[Evaluation]]:
    found: dict[str, list[Evaluation]] = {}
    for row in conn.execute(
        "SELECT span_id, name, score, label, explanation, time_ns FROM evaluations "
        "WHERE trace_id = ? ORDER BY time_ns, id",
        (trace_id,),
    ):
        found.setdefault(row["span_id"], []).append(
            Evaluation(
                name=row["name"],
                score=row["score"],
                label=row["label"],
                explanation=row["explanation"],
                time_ns=row["time_ns"],
            )
        )
    return found


def load_trace(store: TraceStore, run_id: str) -> TraceTree:
    """Load one run (by trace id or a unique prefix) as a tree of spans with evaluations."""
    trace_id = resolve_run_id(store, run_id)
    with store.reading() as conn:
        evaluations = _evaluations(conn, trace_id)
        nodes = [
            _node(row, evaluations.get(row["span_id"], []))
            for row in conn.execute(
                "SELECT * FROM spans WHERE trace_id = ? ORDER BY start_ns, span_id", (trace_id,)
            )
        ]
    by_id = {node.span_id: node for node in nodes}
    roots: list[SpanNode] = []
    for node in nodes:
        parent = by_id.get(node.parent_id) if node.parent_id else None
        (parent.children if parent is not None else roots).append(node)
    return TraceTree(trace_id=trace_id, roots=roots)


def iter_records(store: TraceStore, trace_ids: list[str] | None = None) -> Iterator[SpanRecord]:
    """Every stored span (of the given traces, or all), trace by trace, with evaluations."""
    with store.reading() as conn:
        if trace_ids is None:
            trace_ids = [
                row[0]
                for row in conn.execute(
                    "SELECT trace_id FROM spans GROUP BY trace_id ORDER BY MIN(start_ns)"
                )
            ]
        for trace_id in trace_ids:
            evaluations = _evaluations(conn, trace_id)
            for row in conn.execute(
                "SELECT * FROM spans WHERE trace_id = ? ORDER BY start_ns, span_id", (trace_id,)
            ).fetchall():
                node = _node(row, evaluations.get(row["span_id"], []))
                yield SpanRecord(**node.model_dump(exclude={"children"}))
