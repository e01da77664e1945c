"""What the loop learned, kept across runs: the `MemoryStore` protocol and its entries."""

from __future__ import annotations

import time
import uuid
from typing import Any, Literal, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["MemoryEntry", "MemoryKind", "MemoryStore", "ScoredEntry"]

MemoryKind = Literal["lesson", "principle", "judge"]


class MemoryEntry(BaseModel):
    """One remembered lesson, principle or piece of judge experience."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(default_factory=lambda: uuid.uuid4().hex)
    kind: MemoryKind
    text: str
    task_family: str | None = None
    role: str | None = None
    """Which role it serves: "actor", "judge", ..."""
    source_run: str | None = None
    source_span: str | None = None
    created_at: float = Field(default_factory=time.time)
    times_used: int = 0
    usefulness: float = 0.0
    """Raised when a run that retrieved it passed, lowered when it failed."""
    evidence: list[str] = Field(default_factory=list)
    """Ids of the entries or spans a principle was distilled from."""
    extra: dict[str, Any] = Field(default_factory=dict)


class ScoredEntry(BaseModel):
    """A search hit: the entry and how similar it is to the query (higher is closer)."""

    model_config = ConfigDict(frozen=True)

    entry: MemoryEntry
    similarity: float


@runtime_checkable
class MemoryStore(Protocol):
    """Add, search, get, delete and list remembered entries."""

    async def add(self, entry: MemoryEntry) -> str:
        """Store `entry`; returns its id, or the id of a near-identical entry already kept."""
        ...

    async def search(
        self,
        query: str,
        *,
        k: int = 5,
        kind: MemoryKind | None = None,
        where: dict[str, Any] | None = None,
    ) -> list[ScoredEntry]: ...

    async def get(self, entry_id: str) -> MemoryEntry | None: ...

    async def delete(self, entry_id: str) -> bool: ...

    async def list(
        self,
        *,
        kind: MemoryKind | None = None,
        where: dict[str, Any] | None = None,
        limit: int | None = None,
    ) -> list[MemoryEntry]: ...

    async def record_outcome(self, entry_ids: list[str], *, success: bool) -> None:
        """Update usefulness of entries that were retrieved on a run that passed or failed."""
        ...
