"""Principles distilled from many pieces of feedback, after ConstitutionMaker and Inverse
Constitutional AI: group related feedback by meaning, have a model state the rule the group
implies, and keep links to the feedback it rests on."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import anyio.to_thread
from pydantic import BaseModel, ConfigDict, Field

from agentloop._memory import MemoryEntry, MemoryStore
from agentloop._messages import Message, system, user
from agentloop.memory._embedders import Embedder, resolve_embedder

__all__ = ["Feedback", "PrincipleWriter", "cluster_feedback", "distill_principles"]

T = TypeVar("T", bound=BaseModel)

PRINCIPLE_SYSTEM = (
    "You turn recurring feedback into principles an assistant can follow. A principle is one "
    "imperative sentence, specific enough to act on and general enough to apply beyond the "
    "cases it came from."
)
PRINCIPLE_PROMPT = (
    "These pieces of feedback on an assistant's outputs share a theme:\n\n{feedback}\n\n"
    "State the one principle that would have avoided all of them."
)


class Feedback(BaseModel):
    """One piece of feedback to learn from: a critique, a user's comment, a failed test."""

    model_config = ConfigDict(frozen=True)

    id: str
    """Where it came from (a span id or an entry id): kept as the principle's evidence."""
    text: str


class PrincipleDraft(BaseModel):
    """What the model is asked to return."""

    principle: str = Field(min_length=8)
    """One imperative sentence."""


class PrincipleWriter(Protocol):
    """What distillation needs of a model: `agentloop.model.ModelClient` provides it."""

    async def structured(self, messages: list[Message], output_type: type[T]) -> T: ...


if TYPE_CHECKING:
    from agentloop.model import ModelClient

    def _model_client_writes_principles(client: ModelClient) -> PrincipleWriter:
        return client  # mypy checks that the real client fits the protocol


def _cosine(a: Sequence[float], b: Sequence[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return dot / norm if norm else 0.0


def cluster_feedback(
    items: Sequence[Feedback], vectors: Sequence[Sequence[float]], *, similarity: float
) -> list[list[Feedback]]:
    """Group items by average-linkage agglomerative clustering on cosine similarity: the two
    closest groups merge until no two groups are, on average, `similarity` alike.

    Deterministic; quadratic memory and about cubic time in pure Python, which suits the
    hundreds of pieces of feedback a batch of runs collects (cluster bigger sets in chunks).
    """
    n = len(items)
    if n != len(vectors):
        raise ValueError(f"{n} items but {len(vectors)} vectors")
    sim = [[_cosine(vectors[i], vectors[j]) for j in range(n)] for i in range(n)]
    groups: dict[int, list[int]] = {i: [i] for i in range(n)}
    while len(groups) > 1:
        keys = sorted(groups)
        best, pair = similarity, None
        for x, a in enumerate(keys):
            for b in keys[x + 1 :]:
                if sim[a][b] >= best:
                    best, pair = sim[a][b], (a, b)
        if pair is None:
            break
        a, b = pair
        na, nb = len(groups[a]), len(groups[b])
        # Lance-Williams update: the merged group's average similarity to every other group.
        for c in groups:
            if c not in pair:
                merged = (na * sim[a][c] + nb * sim[b][c]) / (na + nb)
                sim[a][c] = sim[c][a] = merged
        groups[a].extend(groups.pop(b))
    return [[items[i] for i in sorted(members)] for _, members in sorted(groups.items())]


async def distill_principles(
    feedback: Sequence[Feedback],
    *,
    model: PrincipleWriter,
    embedder: Embedder | str | None = None,
    store: MemoryStore | None = None,
    min_support: int = 2,
    cluster_similarity: float = 0.25,
    task_family: str | None = None,
    role: str = "actor",
    extra: dict[str, Any] | None = None,
) -> list[MemoryEntry]:
    """One principle for each group of at least `min_support` related pieces of feedback.

    Each principle's `evidence` lists the ids of the feedback it was written from. With a
    `store`, principles are added to it (a principle near-identical to one kept already
    returns that entry instead of a new one).
    """
    items = list(feedback)
    if not items:
        return []
    embed = resolve_embedder(embedder)
    vectors = await anyio.to_thread.run_sync(embed.embed, [item.text for item in items])
    groups = [
        group
        for group in cluster_feedback(items, vectors, similarity=cluster_similarity)
        if len(group) >= min_support
    ]
    principles: list[MemoryEntry] = []
    for group in groups:
        listing = "\n".join(f"- {' '.join(item.text.split())}" for item in group)
        draft = await model.structured(
            [system(PRINCIPLE_SYSTEM), user(PRINCIPLE_PROMPT.format(feedback=listing))],
            PrincipleDraft,
        )
        entry = MemoryEntry(
            kind="principle",
            text=draft.principle.strip(),
            task_family=task_family,
            role=role,
            evidence=[item.id for item in group],
            extra={"support": len(group), **(extra or {})},
        )
        if store is not None:
            kept_id = await store.add(entry)
            kept = await store.get(kept_id) if kept_id != entry.id else None
            entry = kept or entry
        principles.append(entry)
    return principles
