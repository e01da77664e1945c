"""Usefulness: how outcomes move an entry's standing, and how standing moves it in retrieval."""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import BaseModel, ConfigDict, Field

from agentloop._memory import MemoryEntry, ScoredEntry

__all__ = ["UsefulnessPolicy", "rank_hits"]


class UsefulnessPolicy(BaseModel):
    """How outcomes update usefulness and how usefulness ranks and retires entries."""

    model_config = ConfigDict(frozen=True)

    learning_rate: float = Field(default=0.3, gt=0.0, le=1.0)
    """Each outcome moves usefulness this fraction of the way to +1 (success) or -1 (failure),
    so a long record counts more than one recent run and the value stays in [-1, 1]."""
    weight: float = Field(default=0.15, ge=0.0)
    """Rank score = similarity + weight * usefulness: a proven entry beats a slightly closer one."""
    retire_below: float = Field(default=-0.6, ge=-1.0, le=0.0)
    """Entries whose usefulness falls below this leave retrieval (three straight failures
    from a fresh start with the defaults); they stay in the store for inspection."""
    overfetch: int = Field(default=3, ge=1)
    """Search asks the backend for `overfetch * k` neighbours, so retired entries and the
    usefulness re-ranking still leave `k` good hits."""

    def updated(self, entry: MemoryEntry, *, success: bool) -> MemoryEntry:
        """`entry` after one more run that retrieved it ended in `success` or failure."""
        target = 1.0 if success else -1.0
        usefulness = entry.usefulness + self.learning_rate * (target - entry.usefulness)
        return entry.model_copy(
            update={"usefulness": usefulness, "times_used": entry.times_used + 1}
        )

    def score(self, entry: MemoryEntry, similarity: float) -> float:
        return similarity + self.weight * entry.usefulness

    def retired(self, entry: MemoryEntry) -> bool:
        return entry.usefulness < self.retire_below


def rank_hits(
    candidates: Iterable[tuple[MemoryEntry, float]],
    *,
    k: int,
    policy: UsefulnessPolicy,
    include_retired: bool = False,
) -> list[ScoredEntry]:
    """The best `k` of (entry, similarity) pairs by usefulness-adjusted score."""
    hits = [
        ScoredEntry(entry=entry, similarity=similarity, score=policy.score(entry, similarity))
        for entry, similarity in candidates
        if include_retired or not policy.retired(entry)
    ]
    hits.sort(key=lambda hit: hit.score, reverse=True)
    return hits[:k]
