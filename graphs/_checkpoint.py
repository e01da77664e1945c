"""Checkpoints in SQLite: a run killed at any point resumes from its last completed node."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

from agentloop.graphs._state import CHECKPOINTED_TYPES

__all__ = ["open_checkpointer"]


def _serializer() -> JsonPlusSerializer:
    # Name the types a checkpoint may hold: LangGraph revives only these (and its own safe
    # types), instead of any class named in the file, and it warns about none of them.
    allowed = [(cls.__module__, cls.__name__) for cls in CHECKPOINTED_TYPES]
    return JsonPlusSerializer(allowed_msgpack_modules=allowed)


@asynccontextmanager
async def open_checkpointer(path: str | Path) -> AsyncIterator[AsyncSqliteSaver]:
    """An async SQLite checkpointer on `path` (created with its folder when missing)."""
    import aiosqlite

    file = Path(path)
    file.parent.mkdir(parents=True, exist_ok=True)
    async with aiosqlite.connect(str(file)) as conn:
        # WAL lets a reader (a UI, `agentloop runs`) look while a run writes.
        await conn.execute("PRAGMA journal_mode=WAL")
        yield AsyncSqliteSaver(conn, serde=_serializer())
