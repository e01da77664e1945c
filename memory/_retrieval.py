"""Memory into prompts: the best entries for a query, formatted, within a token allowance."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ConfigDict

from agentloop._memory import HEADINGS, MemoryKind, MemoryStore, ScoredEntry

__all__ = [
    "FILTERED_MIN_SIMILARITY",
    "HEADINGS",
    "MIN_SIMILARITY",
    "RetrievedMemory",
    "approx_tokens_from_chars",
    "retrieve_for_prompt",
]

MIN_SIMILARITY = 0.25
"""The similarity floor for an unfiltered search: below it an entry is most likely unrelated."""

FILTERED_MIN_SIMILARITY = 0.1
"""The floor when a `where` filter already picks the relevant entries (e.g. the same
`task_family`). Siblings in a family share a convention, not wording: a lesson learned on
`product` scored about 0.25 against the prompt of `last_item` (MiniLM), right at the
unfiltered floor, so recall was a coin toss. The filter already vouches for relevance; the
floor then only keeps out entries with nothing in common at all."""

def approx_tokens_from_chars(text: str) -> int:
    """Tokens estimated from characters, about four a token: close enough for an allowance
    without a tokenizer."""
    return math.ceil(len(text) / 4)


class RetrievedMemory(BaseModel):
    """What `retrieve_for_prompt` found: the prompt text and the hits behind it."""

    model_config = ConfigDict(frozen=True)

    text: str
    """Ready to append to a prompt; empty when nothing relevant was found."""
    hits: list[ScoredEntry]
    """The entries used, best first."""
    tokens: int
    """The size of `text` by the counter used."""

    @property
    def entry_ids(self) -> list[str]:
        """Pass these to `store.record_outcome` once the run's outcome is known."""
        return [hit.entry.id for hit in self.hits]

    def __str__(self) -> str:
        return self.text


async def retrieve_for_prompt(
    store: MemoryStore,
    query: str,
    *,
    k: int = 5,
    token_allowance: int = 300,
    kind: MemoryKind | None = None,
    where: dict[str, Any] | None = None,
    min_similarity: float | None = None,
    count_tokens: Callable[[str], int] = approx_tokens_from_chars,
) -> RetrievedMemory:
    """The best `k` entries for `query` (usefulness-ranked, retired ones left out), grouped by
    kind under a heading and cut to fit `token_allowance` tokens.

    Entries less similar than `min_similarity` stay out: an unrelated lesson only distracts.
    When None, the floor is `MIN_SIMILARITY` (0.25), or the lower `FILTERED_MIN_SIMILARITY`
    (0.1) when `where` is given: the filter has already chosen the related entries.
    An entry too long for the room left is skipped and a shorter, lower-ranked one may fit.
    """
    if min_similarity is None:
        min_similarity = FILTERED_MIN_SIMILARITY if where else MIN_SIMILARITY
    hits = [
        hit
        for hit in await store.search(query, k=k, kind=kind, where=where)
        if hit.similarity >= min_similarity
    ]
    chosen: list[ScoredEntry] = []
    for hit in hits:
        text = _format([*chosen, hit])
        if count_tokens(text) <= token_allowance:
            chosen.append(hit)
    text = _format(chosen)
    return RetrievedMemory(text=text, hits=chosen, tokens=count_tokens(text) if text else 0)


def _format(hits: list[ScoredEntry]) -> str:
    sections: list[str] = []
    for kind, heading in HEADINGS.items():
        lines = [f"- {' '.join(h.entry.text.split())}" for h in hits if h.entry.kind == kind]
        if lines:
            sections.append("\n".join([heading, *lines]))
    return "\n\n".join(sections)
