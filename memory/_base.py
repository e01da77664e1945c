"""What every vector-backed store shares: de-duplication, ranking and outcome bookkeeping.

A backend supplies six blocking primitives; this base turns them into the async
`MemoryStore` protocol, embedding in a worker thread and serialising read-modify-write steps.
"""

from __future__ import annotations

import abc
import builtins
from collections.abc import Callable
from typing import Any, TypeVar

import anyio
import anyio.to_thread

from agentloop._memory import MemoryEntry, MemoryKind, ScoredEntry
from agentloop.errors import ConfigError
from agentloop.memory._embedders import Embedder, resolve_embedder
from agentloop.memory._filters import Conditions, normalize_where
from agentloop.memory._scoring import UsefulnessPolicy, rank_hits

__all__ = ["VectorMemoryStore"]

T = TypeVar("T")


class VectorMemoryStore(abc.ABC):
    """Base of the stores that keep one embedding per entry and search by cosine similarity."""

    _blocking_io = True
    """Whether the primitives block (disk, network) and so run in a worker thread."""

    def __init__(
        self,
        *,
        embedder: Embedder | str | None = None,
        dedup_threshold: float | None = 0.95,
        policy: UsefulnessPolicy | None = None,
    ) -> None:
        if dedup_threshold is not None and not 0.0 < dedup_threshold <= 1.0:
            raise ConfigError(f"dedup_threshold must be in (0, 1] or None, got {dedup_threshold}")
        self.embedder = resolve_embedder(embedder)
        self.dedup_threshold = dedup_threshold
        self.policy = policy or UsefulnessPolicy()
        # One writer at a time in this process: de-duplication and usefulness updates read
        # before they write.
        self._write_lock = anyio.Lock()

    # -- primitives a backend implements (blocking is fine) ---------------------------------

    @abc.abstractmethod
    def _nearest(
        self, vector: list[float], n: int, conditions: Conditions
    ) -> list[tuple[MemoryEntry, float]]:
        """Up to `n` (entry, cosine similarity) pairs matching `conditions`, closest first."""

    @abc.abstractmethod
    def _insert_many(self, entries: list[MemoryEntry], vectors: list[list[float]]) -> None:
        """Write new entries with their vectors (ids not yet stored)."""

    @abc.abstractmethod
    def _fetch(self, ids: list[str]) -> list[MemoryEntry]:
        """The entries with these ids that exist, in any order."""

    @abc.abstractmethod
    def _replace(self, entries: list[MemoryEntry]) -> None:
        """Overwrite the stored fields (not the text) of existing entries."""

    @abc.abstractmethod
    def _remove(self, entry_id: str) -> bool: ...

    @abc.abstractmethod
    def _select(self, conditions: Conditions, limit: int | None) -> list[MemoryEntry]:
        """Entries matching `conditions`, oldest first."""

    # -- the MemoryStore protocol ------------------------------------------------------------

    async def _run(self, fn: Callable[..., T], *args: Any) -> T:
        if self._blocking_io:
            return await anyio.to_thread.run_sync(fn, *args)
        return fn(*args)

    async def _ready(self) -> None:
        """Called before every operation: a backend opens its storage here (once)."""
        return None

    async def _embed(self, text: str) -> list[float]:
        vectors = await anyio.to_thread.run_sync(self.embedder.embed, [text])
        return vectors[0]

    async def add(self, entry: MemoryEntry) -> str:
        """Store `entry`; returns its id, or the id of a near-identical entry of the same kind
        already kept (similarity at or above `dedup_threshold`), or of an entry with its id."""
        await self._ready()
        return await self._add_embedded(entry, await self._embed(entry.text))

    async def add_many(self, entries: list[MemoryEntry]) -> list[str]:
        """Add several entries, embedding them in one batch; de-duplicates like `add`
        (with `dedup_threshold=None` they are written in one batch too)."""
        await self._ready()
        vectors = await anyio.to_thread.run_sync(
            self.embedder.embed, [entry.text for entry in entries]
        )
        if self.dedup_threshold is None:
            async with self._write_lock:
                await self._run(self._insert_many, entries, vectors)
            return [entry.id for entry in entries]
        return [await self._add_embedded(e, v) for e, v in zip(entries, vectors, strict=True)]

    async def _add_embedded(self, entry: MemoryEntry, vector: list[float]) -> str:
        async with self._write_lock:
            if await self._run(self._fetch, [entry.id]):
                return entry.id
            if self.dedup_threshold is not None:
                twins = await self._run(
                    self._nearest, vector, 1, normalize_where(None, kind=entry.kind)
                )
                if twins and twins[0][1] >= self.dedup_threshold:
                    return twins[0][0].id
            await self._run(self._insert_many, [entry], [vector])
        return entry.id

    async def search(
        self,
        query: str,
        *,
        k: int = 5,
        kind: MemoryKind | None = None,
        where: dict[str, Any] | None = None,
        include_retired: bool = False,
    ) -> list[ScoredEntry]:
        """The `k` best entries for `query` by similarity adjusted by usefulness; entries
        retired by repeated failure are left out unless `include_retired`."""
        if k <= 0:
            return []
        await self._ready()
        conditions = normalize_where(where, kind=kind)
        vector = await self._embed(query)
        candidates = await self._run(self._nearest, vector, k * self.policy.overfetch, conditions)
        return rank_hits(candidates, k=k, policy=self.policy, include_retired=include_retired)

    async def get(self, entry_id: str) -> MemoryEntry | None:
        await self._ready()
        found = await self._run(self._fetch, [entry_id])
        return found[0] if found else None

    async def delete(self, entry_id: str) -> bool:
        await self._ready()
        async with self._write_lock:
            return await self._run(self._remove, entry_id)

    async def list(
        self,
        *,
        kind: MemoryKind | None = None,
        where: dict[str, Any] | None = None,
        limit: int | None = None,
    ) -> builtins.list[MemoryEntry]:
        await self._ready()
        return await self._run(self._select, normalize_where(where, kind=kind), limit)

    async def record_outcome(self, entry_ids: builtins.list[str], *, success: bool) -> None:
        """Move each entry's usefulness toward +1 (success) or -1 (failure); ids that no
        longer exist are skipped (an entry may be deleted while a run uses it)."""
        if not entry_ids:
            return
        await self._ready()
        async with self._write_lock:
            entries = await self._run(self._fetch, list(dict.fromkeys(entry_ids)))
            updated = [self.policy.updated(entry, success=success) for entry in entries]
            if updated:
                await self._run(self._replace, updated)
