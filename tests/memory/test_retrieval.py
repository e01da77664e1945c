"""Retrieval into prompts: the right lesson comes back (real MiniLM), within the allowance."""

from __future__ import annotations

import pytest

from agentloop.memory import (
    HEADINGS,
    InProcessMemoryStore,
    MemoryEntry,
    MiniLMEmbedder,
    judge_experience,
    lesson,
    retrieve_for_prompt,
)
from agentloop.testing import count_words

pytestmark = pytest.mark.anyio

# Lessons a reflexion run could have written, and tasks worded unlike them that each one
# should help with.
LESSONS = {
    "leap": "When validating dates, February 29th exists only in leap years: divisible by 4, "
    "except centuries not divisible by 400.",
    "empty": "Return early when the input sequence is empty; indexing element 0 of an empty "
    "list raises IndexError.",
    "float": "Never compare floating point results with ==; compare with a tolerance such as "
    "math.isclose.",
    "mutable": "Do not use a mutable default argument such as [] or {}; default to None and "
    "create the list inside the function.",
    "unicode": "Lower-casing and counting letters must handle non-ASCII text; use str.casefold "
    "and unicodedata where accents matter.",
    "recursion": "Deep recursion on long inputs hits Python's recursion limit; rewrite the "
    "recursion as a loop with an explicit stack.",
    "sorting": "Sorting with a key must be stable when ties matter; sort by the secondary key "
    "first, then by the primary key.",
    "regex": "Escape user-supplied text with re.escape before putting it in a regular "
    "expression.",
    "integer": "Integer division in Python floors toward negative infinity; use int(a / b) or "
    "math.trunc when the task wants truncation toward zero.",
    "prime": "When testing whether a number is prime, treat 0, 1 and negative numbers as not "
    "prime, and only check divisors up to the square root.",
}
QUERIES = {
    "Write is_valid_date(day, month, year) that says whether a calendar date exists.": "leap",
    "Implement first_element(xs) that returns the first item of a list, or None if there is "
    "none.": "empty",
    "Check whether the average of the numbers equals 0.3.": "float",
    "Write append_item(item, items=...) that appends item to a list and returns the list.":
        "mutable",
    "Count how many times each letter appears in a sentence like 'Ça va, Émile?'.": "unicode",
    "Compute the depth of a nested list with 100000 levels.": "recursion",
    "Order employees by department and, within a department, by name.": "sorting",
    "Find every occurrence of a search term typed by the user (which may contain '.' or '*') "
    "in a text.": "regex",
    "Divide two integers and drop the fractional part, e.g. -7 and 2 give -3.": "integer",
    "Return True if n is a prime number.": "prime",
}


@pytest.mark.slow
async def test_the_right_lesson_is_in_the_top_three(minilm: MiniLMEmbedder) -> None:
    store = InProcessMemoryStore(embedder=minilm)
    ids = {key: await store.add(lesson(text, task_family="python")) for key, text in
           LESSONS.items()}
    ranks = {}
    for query, key in QUERIES.items():
        hits = await store.search(query, k=3, kind="lesson")
        found = [h.entry.id for h in hits]
        ranks[key] = found.index(ids[key]) + 1 if ids[key] in found else None
    missed = {key: rank for key, rank in ranks.items() if rank is None}
    assert not missed, f"right lesson not in the top 3 for {sorted(missed)}; ranks {ranks}"
    assert sum(rank == 1 for rank in ranks.values()) >= 8, ranks


@pytest.mark.slow
async def test_paraphrases_are_deduplicated_but_distinct_lessons_are_not(
    minilm: MiniLMEmbedder,
) -> None:
    store = InProcessMemoryStore(embedder=minilm, dedup_threshold=0.9)
    first = await store.add(lesson("Handle the empty list before taking its first element."))
    same = await store.add(lesson("Handle an empty list before taking its first element!"))
    different = await store.add(lesson("Handle negative numbers before taking a square root."))
    assert same == first
    assert different != first


async def test_prompt_text_is_grouped_by_kind_and_fits_the_allowance() -> None:
    store = InProcessMemoryStore(embedder="hashing")
    await store.add(lesson("sorting lists: check the key function handles ties"))
    await store.add(MemoryEntry(kind="principle", text="sorting lists: say which order you use"))
    await store.add(
        judge_experience("sorting lists: the first answer is better", confirmed=False,
                         detail="it failed the tie-breaking test")
    )
    memory = await retrieve_for_prompt(store, "sorting lists", k=5, token_allowance=500)
    assert len(memory.hits) == 3
    text = str(memory)
    for kind in ("lesson", "principle", "judge"):
        assert HEADINGS[kind] in text
    assert text.index(HEADINGS["lesson"]) < text.index(HEADINGS["principle"])
    assert "The verifier overturned it: it failed the tie-breaking test." in text
    assert memory.entry_ids == [h.entry.id for h in memory.hits]

    tight = await retrieve_for_prompt(
        store, "sorting lists", k=5, token_allowance=25, count_tokens=count_words
    )
    assert 0 < len(tight.hits) < 3
    assert tight.tokens == count_words(tight.text) <= 25


async def test_a_long_entry_is_skipped_for_shorter_ones_that_fit() -> None:
    store = InProcessMemoryStore(embedder="hashing")
    await store.add(lesson("sorting lists " + "very long explanation " * 60))
    short = await store.add(lesson("sorting lists: mind the ties"))
    memory = await retrieve_for_prompt(store, "sorting lists", k=5, token_allowance=40)
    assert memory.entry_ids == [short]


async def test_nothing_relevant_gives_an_empty_text() -> None:
    store = InProcessMemoryStore(embedder="hashing")
    await store.add(lesson("sorting lists: mind the ties"))
    memory = await retrieve_for_prompt(store, "unrelated words entirely", k=5)
    assert memory.text == "" and memory.hits == [] and memory.tokens == 0


async def test_filters_reach_the_store() -> None:
    store = InProcessMemoryStore(embedder="hashing")
    await store.add(lesson("sorting lists in sql", task_family="sql"))
    python = await store.add(lesson("sorting lists in python", task_family="python"))
    memory = await retrieve_for_prompt(
        store, "sorting lists", kind="lesson", where={"task_family": "python"}
    )
    assert memory.entry_ids == [python]


async def test_a_family_filter_lowers_the_similarity_floor() -> None:
    # Siblings in a family share a convention, not wording: the filter already says the entry
    # is relevant, so a weak textual match still comes back, but not without the filter.
    store = InProcessMemoryStore(embedder="hashing")
    kept = await store.add(
        lesson("empty input raises ValueError in this project", task_family="empty_raises")
    )
    query = "Return the last item of the list xs; raises on empty input."
    [hit] = await store.search(query, k=1)
    assert 0.1 <= hit.similarity < 0.25  # between the two floors
    unfiltered = await retrieve_for_prompt(store, query, kind="lesson")
    assert unfiltered.hits == []
    filtered = await retrieve_for_prompt(
        store, query, kind="lesson", where={"task_family": "empty_raises"}
    )
    assert filtered.entry_ids == [kept]
    strict = await retrieve_for_prompt(
        store, query, kind="lesson", where={"task_family": "empty_raises"}, min_similarity=0.25
    )
    assert strict.hits == []
