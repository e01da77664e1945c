"""`agentloop memory`: list, search, show, remove, export and import remembered entries."""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from agentloop.errors import ConfigError, MemoryStoreError

if TYPE_CHECKING:
    from agentloop._memory import MemoryEntry, MemoryStore

__all__ = ["register"]

T = TypeVar("T")

memory_app = typer.Typer(
    help="Browse and move the lessons, principles and judge experience in memory.",
    no_args_is_help=True,
)

StoreOption = Annotated[str | None, typer.Option(
    "--store", envvar="AGENTLOOP_MEMORY",
    help="A folder (ChromaDB embedded), http://HOST:PORT (ChromaDB server) or a backend name. "
    "Default: .agentloop/memory.",
)]
KindOption = Annotated[str | None, typer.Option(help="Only this kind: lesson, principle, judge.")]
FamilyOption = Annotated[str | None, typer.Option("--task-family", help="Only this task family.")]


def _run(fn: Callable[[], Awaitable[T]]) -> T:
    import anyio

    return anyio.run(fn)


def _open(spec: str | None, *, create: bool = False) -> MemoryStore:
    from agentloop.memory import DEFAULT_PATH, open_memory

    if spec is None or not spec.startswith(("http://", "https://")):
        from agentloop._registry import registered

        if spec not in registered("memory"):
            path = Path(spec) if spec is not None else DEFAULT_PATH
            if not create and not path.exists():
                raise MemoryStoreError(
                    f"no memory store at {path}: nothing has been remembered there yet; "
                    "pass --store, or import entries with `agentloop memory import FILE`"
                )
    return open_memory(spec)


def _kind(kind: str | None) -> Any:
    if kind is not None and kind not in ("lesson", "principle", "judge"):
        raise ConfigError(f"--kind {kind!r}: use lesson, principle or judge")
    return kind


async def _resolve_id(store: MemoryStore, entry_id: str) -> MemoryEntry:
    """The entry with this id, or the one whose id starts with it (ls shows 8 characters)."""
    entry = await store.get(entry_id)
    if entry is not None:
        return entry
    matching = [e for e in await store.list() if e.id.startswith(entry_id)]
    if len(matching) == 1:
        return matching[0]
    if not matching:
        raise ConfigError(f"no memory entry with id {entry_id!r}; `agentloop memory ls` lists them")
    raise ConfigError(f"id prefix {entry_id!r} matches {len(matching)} entries; give more of it")


def _one_line(text: str, width: int = 90) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def ls(
    store: StoreOption = None,
    kind: KindOption = None,
    task_family: FamilyOption = None,
    limit: Annotated[int, typer.Option(help="Show at most this many (oldest first).")] = 100,
) -> None:
    """List remembered entries."""
    from rich.console import Console
    from rich.table import Table

    memory = _open(store)
    where = {"task_family": task_family} if task_family else None
    entries = _run(lambda: memory.list(kind=_kind(kind), where=where, limit=limit))
    table = Table("id", "kind", "useful", "used", "family", "text", box=None)
    for e in entries:
        table.add_row(e.id[:8], e.kind, f"{e.usefulness:+.2f}", str(e.times_used),
                      e.task_family or "", _one_line(e.text))
    Console().print(table)
    typer.echo(f"{len(entries)} entries")


def search(
    query: Annotated[str, typer.Argument(help="What to look for, in plain words.")],
    store: StoreOption = None,
    k: Annotated[int, typer.Option("-k", help="How many hits.")] = 5,
    kind: KindOption = None,
    task_family: FamilyOption = None,
) -> None:
    """Search memory by meaning, best first (as retrieval into prompts ranks them)."""
    from rich.console import Console
    from rich.table import Table

    memory = _open(store)
    where = {"task_family": task_family} if task_family else None
    hits = _run(lambda: memory.search(query, k=k, kind=_kind(kind), where=where))
    table = Table("id", "kind", "similarity", "score", "text", box=None)
    for hit in hits:
        table.add_row(hit.entry.id[:8], hit.entry.kind, f"{hit.similarity:.3f}",
                      f"{hit.score:.3f}", _one_line(hit.entry.text))
    Console().print(table)


def show(
    entry_id: Annotated[str, typer.Argument(metavar="ID", help="An id or a unique prefix.")],
    store: StoreOption = None,
) -> None:
    """Show every field of one entry, as JSON."""
    memory = _open(store)
    entry = _run(lambda: _resolve_id(memory, entry_id))
    typer.echo(entry.model_dump_json(indent=2))


def rm(
    entry_id: Annotated[str, typer.Argument(metavar="ID", help="An id or a unique prefix.")],
    store: StoreOption = None,
) -> None:
    """Remove one entry."""
    memory = _open(store)

    async def remove() -> str:
        entry = await _resolve_id(memory, entry_id)
        await memory.delete(entry.id)
        return entry.id

    typer.echo(f"removed {_run(remove)}")


def export(
    file: Annotated[Path, typer.Argument(help="The JSONL file to write; - for stdout.")],
    store: StoreOption = None,
) -> None:
    """Write every entry as JSONL, one a line."""
    from agentloop.memory import dump_entries, export_jsonl

    memory = _open(store)
    if str(file) == "-":
        dump_entries(_run(memory.list), sys.stdout)
        return
    count = _run(lambda: export_jsonl(memory, file))
    typer.echo(f"exported {count} entries to {file}")


def import_(
    file: Annotated[Path, typer.Argument(help="JSONL: one entry a line, with kind and text.")],
    store: StoreOption = None,
) -> None:
    """Add the entries of a JSONL file, skipping ones already kept (same id or near-identical)."""
    from agentloop.memory import import_jsonl

    memory = _open(store, create=True)
    added, kept = _run(lambda: import_jsonl(memory, file))
    typer.echo(f"imported {added} entries ({kept} were already kept)")


memory_app.command("ls")(ls)
memory_app.command("search")(search)
memory_app.command("show")(show)
memory_app.command("rm")(rm)
memory_app.command("export")(export)
memory_app.command("import")(import_)


def register(app: typer.Typer) -> None:
    app.add_typer(memory_app, name="memory")
