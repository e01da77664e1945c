"""`agentloop traces`: list, show, export and import the runs in a trace store."""

from __future__ import annotations

import re
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer

from agentloop.errors import ConfigError

if TYPE_CHECKING:
    from rich.tree import Tree

    from agentloop.tracing import Evaluation, SpanNode, TraceStore

__all__ = ["register"]

traces_app = typer.Typer(help="Browse and export recorded runs.", no_args_is_help=True)

_DEFAULT_STORE = Path(".agentloop/traces.db")
StoreOption = Annotated[
    Path,
    typer.Option(
        "--store",
        envvar="AGENTLOOP_TRACES",
        help="The trace store (SQLite file).",
    ),
]

_AGE = re.compile(r"^(\d+(?:\.\d+)?)([smhdw])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def _open(path: Path, *, create: bool = False) -> TraceStore:
    """The store at `path`: read-only (never created, never changed) unless `create`."""
    from agentloop.tracing import TraceStore

    return TraceStore(path, read_only=not create)


def _parse_since(value: str | None) -> datetime | None:
    if value is None:
        return None
    if match := _AGE.match(value.strip()):
        amount, unit = match.groups()
        return datetime.now() - timedelta(**{_UNITS[unit]: float(amount)})
    try:
        return datetime.fromisoformat(value)
    except ValueError as exc:
        raise ConfigError(
            f"--since {value!r}: give an age such as 30m, 2h, 7d or an ISO date (2025-01-31)"
        ) from exc


def _duration(seconds: float) -> str:
    if seconds < 1:
        return f"{seconds * 1000:.0f}ms"
    if seconds < 120:
        return f"{seconds:.1f}s"
    return f"{seconds / 60:.1f}m"


def _started(ns: int) -> str:
    return datetime.fromtimestamp(ns / 1e9).strftime("%Y-%m-%d %H:%M:%S")


def _status_markup(status: str) -> str:
    color = {"ok": "green", "error": "red"}.get(status, "yellow")
    return f"[{color}]{status}[/]"


def ls(
    store: StoreOption = _DEFAULT_STORE,
    since: Annotated[
        str | None, typer.Option(help="Only runs started since: 30m, 2h, 7d or a date.")
    ] = None,
    model: Annotated[str | None, typer.Option(help="Only runs that called this model.")] = None,
    status: Annotated[str | None, typer.Option(help="ok, error or incomplete.")] = None,
    outcome: Annotated[str | None, typer.Option(help="Only runs with this outcome.")] = None,
    tag: Annotated[str | None, typer.Option(help="Only runs with this tag.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many runs, newest first.")] = 50,
) -> None:
    """List runs: id, start, status, model, tokens, cost, duration, outcome."""
    from rich.console import Console
    from rich.table import Table

    from agentloop.tracing import query_runs

    runs = query_runs(
        _open(store),
        since=_parse_since(since),
        model=model,
        status=status,
        outcome=outcome,
        tag=tag,
        limit=limit,
    )
    table = Table(title=f"{len(runs)} run(s) in {store}", title_justify="left")
    for column in (
        "run",
        "started",
        "name",
        "status",
        "model",
        "tokens",
        "cost",
        "duration",
        "outcome",
        "spans",
    ):
        numeric = column in ("tokens", "cost", "duration", "spans")
        justify: Literal["left", "right"] = "right" if numeric else "left"
        table.add_column(column, justify=justify, no_wrap=column in ("run", "started"))
    for run in runs:
        table.add_row(
            run.trace_id[:12],
            _started(run.start_ns),
            run.name,
            _status_markup(run.status),
            ", ".join(run.models) or "-",
            f"{run.total_tokens:,}",
            f"${run.cost_usd:.4f}",
            _duration(run.duration_s),
            run.outcome or "-",
            str(run.span_count),
        )
    Console().print(table)


def _evaluation_label(ev: Evaluation) -> str:
    from rich.markup import escape

    mark = {"pass": "[green]✔[/]", "fail": "[red]✘[/]"}.get(ev.label or "", "[cyan]●[/]")
    parts = [f"{mark} [bold]{escape(ev.name)}[/]"]
    if ev.label is not None:
        parts.append(escape(ev.label))
    if ev.score is not None:
        parts.append(f"score={ev.score:g}")
    if ev.explanation:
        text = ev.explanation if len(ev.explanation) <= 200 else ev.explanation[:197] + "..."
        parts.append(f"[dim]{escape(text)}[/]")
    return " ".join(parts)


def _span_label(node: SpanNode) -> str:
    from rich.markup import escape

    attrs: dict[str, Any] = node.attributes
    parts = [
        f"[magenta]{node.kind}[/] [bold]{escape(node.name)}[/]",
        f"[dim]{_duration(node.duration_s)}[/]",
    ]
    if model := attrs.get("gen_ai.request.model"):
        parts.append(f"[blue]{escape(str(model))}[/]")
    tokens_in = attrs.get("gen_ai.usage.input_tokens")
    tokens_out = attrs.get("gen_ai.usage.output_tokens")
    if tokens_in is not None or tokens_out is not None:
        parts.append(f"tokens {tokens_in or 0}→{tokens_out or 0}")
    if cost := attrs.get("agentloop.cost_usd"):
        parts.append(f"${float(cost):.4f}")
    if attrs.get("agentloop.cache_hit"):
        parts.append("[dim](cached)[/]")
    for key in ("agentloop.outcome", "agentloop.stop_reason"):
        if key in attrs:
            parts.append(f"{key.split('.')[-1]}={escape(str(attrs[key]))}")
    if node.status == "error":
        parts.append(f"[red]{escape(node.error or 'error')}[/]")
    return "  ".join(parts)


def _add(tree: Tree, node: SpanNode) -> None:
    branch = tree.add(_span_label(node))
    for ev in node.evaluations:
        branch.add(_evaluation_label(ev))
    for child in node.children:
        _add(branch, child)


def show(
    run: Annotated[str, typer.Argument(help="A run id, or a unique prefix of one.")],
    store: StoreOption = _DEFAULT_STORE,
) -> None:
    """Show one run as a tree of spans, with verdicts, critiques and feedback inline."""
    from rich.console import Console
    from rich.markup import escape
    from rich.tree import Tree

    from agentloop.tracing import load_trace

    trace = load_trace(_open(store), run)
    root = Tree(f"run [bold]{trace.trace_id}[/]  started {_started(trace.root.start_ns)}")
    tags = trace.root.attributes.get("agentloop.tags")
    if tags:
        root.label = f"{root.label}  tags: {escape(', '.join(map(str, tags)))}"
    for node in trace.roots:
        _add(root, node)
    Console().print(root)


def export(
    run: Annotated[str | None, typer.Argument(help="A run id or prefix; omit with --all.")] = None,
    all_runs: Annotated[bool, typer.Option("--all", help="Export every run.")] = False,
    format: Annotated[str, typer.Option("--format", help="Output format (jsonl).")] = "jsonl",
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="File (default: stdout).")
    ] = None,
    store: StoreOption = _DEFAULT_STORE,
) -> None:
    """Export runs as JSON lines, one span per line with its evaluations."""
    from agentloop.tracing import dump_jsonl, iter_records, resolve_run_id

    if format != "jsonl":
        raise ConfigError(f"--format {format!r} is not supported; use --format jsonl")
    if (run is None) == (not all_runs):
        raise ConfigError("give either a RUN id or --all (not both)")
    trace_store = _open(store)
    trace_ids = None if all_runs else [resolve_run_id(trace_store, run or "")]
    records = iter_records(trace_store, trace_ids)
    if output is None:
        dump_jsonl(records, sys.stdout)
        return
    with output.open("w", encoding="utf-8") as out:
        count = dump_jsonl(records, out)
    typer.echo(f"wrote {count} spans to {output}", err=True)


def import_(
    file: Annotated[Path, typer.Argument(help="A JSONL file from `agentloop traces export`.")],
    store: StoreOption = _DEFAULT_STORE,
) -> None:
    """Import spans from a JSONL export into the store (re-importing is harmless)."""
    from agentloop.tracing import load_jsonl

    count = _open(store, create=True).write(load_jsonl(file))
    typer.echo(f"imported {count} spans into {store}", err=True)


def register(app: typer.Typer) -> None:
    traces_app.command("ls")(ls)
    traces_app.command("show")(show)
    traces_app.command("export")(export)
    traces_app.command("import")(import_)
    app.add_typer(traces_app, name="traces")
