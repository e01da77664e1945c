"""Checkpoints in SQLite: a run killed at any point resumes from its last completed node, with
what it had spent of its budget."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import ChannelVersions, Checkpoint, CheckpointMetadata
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

from agentloop._budget import BudgetUsage
from agentloop.errors import ConfigError
from agentloop.graphs._state import CHECKPOINTED_TYPES

__all__ = ["BudgetedSaver", "open_checkpointer"]

_SPENT_TABLE = """
CREATE TABLE IF NOT EXISTS agentloop_spent (
    thread_id TEXT PRIMARY KEY,
    input_tokens INTEGER NOT NULL,
    output_tokens INTEGER NOT NULL,
    cost_usd REAL NOT NULL,
    calls INTEGER NOT NULL,
    wall_seconds REAL NOT NULL
)
"""


def _serializer() -> JsonPlusSerializer:
    # Name the types a checkpoint may hold: LangGraph revives only these (and its own safe
    # types), instead of any class named in the file, and it warns about none of them.
    allowed = [(cls.__module__, cls.__name__) for cls in CHECKPOINTED_TYPES]
    return JsonPlusSerializer(allowed_msgpack_modules=allowed)


class BudgetedSaver(AsyncSqliteSaver):
    """LangGraph's SQLite saver that also stores what the run has spent, with every step.

    The spent counters are written in the same transaction as the step's checkpoint (or a
    finished node's writes), so a resumed run starts from what had been spent when its last
    saved step was: work lost to a crash is made again and charged again.
    """

    spent: Callable[[], BudgetUsage] | None = None
    """What the run on this saver has spent so far; set by `run_graph`."""
    _table_ready = False

    async def _record_spent(self, config: RunnableConfig) -> None:
        if self.spent is None:
            return
        await self.setup()
        thread_id = str(config["configurable"]["thread_id"])
        spent = self.spent()
        async with self.lock:
            if not self._table_ready:
                await self.conn.execute(_SPENT_TABLE)
                self._table_ready = True
            # Not committed here: the checkpoint write that follows commits both at once.
            await self.conn.execute(
                "INSERT OR REPLACE INTO agentloop_spent VALUES (?, ?, ?, ?, ?, ?)",
                (
                    thread_id,
                    spent.input_tokens,
                    spent.output_tokens,
                    spent.cost_usd,
                    spent.calls,
                    spent.wall_seconds,
                ),
            )

    async def aput(
        self,
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> RunnableConfig:
        await self._record_spent(config)
        return await super().aput(config, checkpoint, metadata, new_versions)

    async def aput_writes(
        self,
        config: RunnableConfig,
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str = "",
    ) -> None:
        await self._record_spent(config)
        await super().aput_writes(config, writes, task_id, task_path)

    async def spent_by(self, thread_id: str) -> BudgetUsage | None:
        """What the run under `thread_id` had spent at its last saved step (None: unknown)."""
        await self.setup()
        async with self.lock:
            await self.conn.execute(_SPENT_TABLE)
            self._table_ready = True
            async with self.conn.execute(
                "SELECT input_tokens, output_tokens, cost_usd, calls, wall_seconds "
                "FROM agentloop_spent WHERE thread_id = ?",
                (thread_id,),
            ) as cursor:
                row = await cursor.fetchone()
        if row is None:
            return None
        return BudgetUsage(
            input_tokens=row[0],
            output_tokens=row[1],
            cost_usd=row[2],
            calls=row[3],
            wall_seconds=row[4],
        )


@asynccontextmanager
async def open_checkpointer(path: str | Path) -> AsyncIterator[BudgetedSaver]:
    """An async SQLite checkpointer on `path` (created with its folder when missing)."""
    import aiosqlite

    file = Path(path)
    file.parent.mkdir(parents=True, exist_ok=True)
    async with aiosqlite.connect(str(file)) as conn:
        try:
            # WAL lets a reader (a UI, `agentloop runs`) look while a run writes.
            await conn.execute("PRAGMA journal_mode=WAL")
        except sqlite3.DatabaseError as exc:
            raise ConfigError(
                f"checkpoint file {file} is not a SQLite checkpoint store ({exc}): pass another "
                "path, or move this file away to start afresh"
            ) from None
        yield BudgetedSaver(conn, serde=_serializer())
