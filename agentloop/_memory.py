"""What the loop learned, kept across runs: the `MemoryStore` protocol and its entries.

Filters (`where=`) use one small language on every backend: keys are entry fields
(`task_family`, `role`, `source_run`, `source_span`, `created_at`, `times_used`, `usefulness`),
values are either a plain value (equality) or a dict of operators
`{"$gt"|"$gte"|"$lt"|"$lte"|"$ne": value, "$in"|"$nin": [values]}`; several keys all apply.
"""

from __future__ import annotations

import builtins
import time
import uuid
from typing import Any, Literal, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["HEADINGS", "MemoryEntry", "MemoryKind", "MemoryStore", "ScoredEntry"]

MemoryKind = Literal["lesson", "principle", "judge"]

HEADINGS: dict[str, str] = {
    "lesson": "Lessons from earlier attempts at similar tasks:",
    "principle": "Principles learned from earlier feedback:",
    "judge": "Your past judgements on similar cases, and how they turned out:",
}
"""The heading put above each kind of entry in a prompt: by memory retrieval, and by the actor
above the lessons it is given."""


class MemoryEntry(BaseModel):
    """One remembered lesson, principle or piece of judge experience."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(default_factory=lambda: uuid.uuid4().hex)
    kind: MemoryKind
    text: str
    task_family: str | None = None
    """A label for related tasks ("humaneval", "sql", ...): lessons transfer within a family."""
    role: str | None = None
    """Which role it serves: "actor", "judge", ..."""
    source_run: str | None = None
    """The trace id of the run that produced it."""
    source_span: str | None = None
    """The span (a verdict, a piece of feedback) it came from."""
    created_at: float = Field(default_factory=time.time)
    times_used: int = 0
    """How many runs retrieved it and reported an outcome."""
    usefulness: float = 0.0
    """In [-1, 1]: raised when a run that retrieved it passed, lowered when it failed."""
    evidence: list[str] = Field(default_factory=list)
    """Ids of the entries or spans a principle was distilled from."""
    extra: dict[str, Any] = Field(default_factory=dict)
    """Anything else worth keeping; must be JSON-serialisable."""


class ScoredEntry(BaseModel):
    """A search hit: the entry, how similar it is to the query, and its rank score."""

    model_config = ConfigDict(frozen=True)

    entry: MemoryEntry
    similarity: float
    """Cosine similarity of the query and the entry's text (higher is closer)."""
    score: float = 0.0
    """Similarity adjusted by usefulness: what hits are ordered by."""


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
    ) -> list[ScoredEntry]:
        """The `k` best entries for `query`, best first; entries that kept failing are left out."""
        ...

    async def get(self, entry_id: str) -> MemoryEntry | None: ...

    async def delete(self, entry_id: str) -> bool:
        """Remove an entry; False when there was none with that id."""
        ...

    async def list(
        self,
        *,
        kind: MemoryKind | None = None,
        where: dict[str, Any] | None = None,
        limit: int | None = None,
    ) -> builtins.list[MemoryEntry]:
        """Entries matching the filters, oldest first."""
        ...

    async def record_outcome(self, entry_ids: builtins.list[str], *, success: bool) -> None:
        """Update usefulness of entries that were retrieved on a run that passed or failed."""
        ...
