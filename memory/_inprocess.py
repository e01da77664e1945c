"""A memory store in a dict: for tests and small, short-lived use (nothing survives the process)."""

from __future__ import annotations

from agentloop._memory import MemoryEntry
from agentloop.memory._base import VectorMemoryStore
from agentloop.memory._embedders import Embedder
from agentloop.memory._filters import Conditions, matches
from agentloop.memory._scoring import UsefulnessPolicy

__all__ = ["InProcessMemoryStore"]


class InProcessMemoryStore(VectorMemoryStore):
    """Entries and their vectors in this process's memory; exact (brute-force) cosine search.

    Args:
        embedder: an `Embedder`, or "minilm" (the default) or "hashing" (a fake for tests).
        dedup_threshold: adding a text this similar to a stored one of the same kind returns
            the stored id instead; None keeps every entry.
        policy: how outcomes change usefulness and how usefulness ranks entries.
    """

    _blocking_io = False

    def __init__(
        self,
        *,
        embedder: Embedder | str | None = None,
        dedup_threshold: float | None = 0.95,
        policy: UsefulnessPolicy | None = None,
    ) -> None:
        super().__init__(embedder=embedder, dedup_threshold=dedup_threshold, policy=policy)
        self._entries: dict[str, MemoryEntry] = {}
        self._vectors: dict[str, list[float]] = {}

    def __repr__(self) -> str:
        return f"InProcessMemoryStore({len(self._entries)} entries, embedder={self.embedder.name})"

    def _nearest(
        self, vector: list[float], n: int, conditions: Conditions
    ) -> list[tuple[MemoryEntry, float]]:
        # Vectors are unit length, so the dot product is the cosine similarity.
        scored = [
            (entry, sum(a * b for a, b in zip(vector, self._vectors[entry.id], strict=True)))
            for entry in self._entries.values()
            if matches(entry, conditions)
        ]
        scored.sort(key=lambda pair: pair[1], reverse=True)
        return scored[:n]

    def _insert_many(self, entries: list[MemoryEntry], vectors: list[list[float]]) -> None:
        for entry, vector in zip(entries, vectors, strict=True):
            self._entries[entry.id] = entry
            self._vectors[entry.id] = vector

    def _fetch(self, ids: list[str]) -> list[MemoryEntry]:
        return [self._entries[i] for i in ids if i in self._entries]

    def _replace(self, entries: list[MemoryEntry]) -> None:
        for entry in entries:
            self._entries[entry.id] = entry

    def _remove(self, entry_id: str) -> bool:
        self._vectors.pop(entry_id, None)
        return self._entries.pop(entry_id, None) is not None

    def _select(self, conditions: Conditions, limit: int | None) -> list[MemoryEntry]:
        found = sorted(
            (e for e in self._entries.values() if matches(e, conditions)),
            key=lambda e: e.created_at,
        )
        return found if limit is None else found[:limit]
