"""Export and import: JSONL, one entry a line, with at least `kind` and `text`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from pydantic import ValidationError

from agentloop._memory import MemoryEntry, MemoryStore
from agentloop.errors import ConfigError

__all__ = ["dump_entries", "export_jsonl", "import_jsonl", "read_entries"]


def dump_entries(entries: list[MemoryEntry], out: TextIO) -> int:
    """Write entries as JSONL; returns how many."""
    for entry in entries:
        out.write(entry.model_dump_json() + "\n")
    return len(entries)


def read_entries(lines: TextIO, *, source: str = "input") -> Iterator[MemoryEntry]:
    """Entries from JSONL; blank lines are skipped, a bad line is an error naming it."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            yield MemoryEntry.model_validate(json.loads(line))
        except (json.JSONDecodeError, ValidationError) as exc:
            raise ConfigError(
                f"{source} line {number} is not a memory entry "
                f"(JSON with at least kind and text): {exc}"
            ) from exc


async def export_jsonl(store: MemoryStore, path: str | Path) -> int:
    """Write every entry of `store` to `path`; returns how many."""
    entries = await store.list()
    with Path(path).open("w", encoding="utf-8") as out:
        return dump_entries(entries, out)


async def import_jsonl(store: MemoryStore, path: str | Path) -> tuple[int, int]:
    """Add every entry in `path` to `store`; returns (added, already kept).

    The whole file is read and checked before anything is added, so a bad line adds nothing.
    """
    source = Path(path)
    if not source.is_file():
        raise ConfigError(f"no such memory export file: {source}")
    try:
        with source.open(encoding="utf-8") as lines:
            entries = list(read_entries(lines, source=str(source)))
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"memory export file {source} is not UTF-8 text (it holds byte "
            f"{exc.object[exc.start]:#04x}); save it as UTF-8 JSONL"
        ) from exc
    added = 0
    for entry in entries:
        # An id already present (a re-import) or a near-identical text both keep what is there.
        if await store.get(entry.id) is None and await store.add(entry) == entry.id:
            added += 1
    return added, len(entries) - added
