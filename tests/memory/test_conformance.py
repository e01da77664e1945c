"""One behaviour for every backend: in-process, ChromaDB embedded and a real ChromaDB server."""

from __future__ import annotations

import time

import pytest

from agentloop.errors import ConfigError
from agentloop.memory import MemoryEntry, MemoryStore, UsefulnessPolicy
from tests.memory.conftest import StoreFactory

pytestmark = pytest.mark.anyio


def _lesson(text: str, **fields: object) -> MemoryEntry:
    return MemoryEntry(kind="lesson", text=text, **fields)  # type: ignore[arg-type]


async def test_is_a_memory_store(make_store: StoreFactory) -> None:
    assert isinstance(make_store(), MemoryStore)


async def test_round_trips_every_field(make_store: StoreFactory) -> None:
    store = make_store()
    entry = MemoryEntry(
        kind="principle",
        text="Name variables for what they hold.",
        task_family="style",
        role="actor",
        source_run="run-1",
        source_span="span-9",
        created_at=1000.5,
        times_used=3,
        usefulness=0.25,
        evidence=["f1", "f2"],
        extra={"support": 2, "nested": {"a": [1, 2]}},
    )
    assert await store.add(entry) == entry.id
    assert await store.get(entry.id) == entry
    assert await store.get("no-such-id") is None


async def test_search_finds_the_closest_first(make_store: StoreFactory) -> None:
    store = make_store()
    await store.add(_lesson("handle the empty list before indexing it"))
    await store.add(_lesson("close files with a context manager"))
    await store.add(_lesson("parse dates with an explicit format string"))
    hits = await store.search("what if the list is empty", k=2)
    assert len(hits) == 2
    assert hits[0].entry.text == "handle the empty list before indexing it"
    assert hits[0].similarity > hits[1].similarity
    assert -1.0 <= hits[1].similarity <= 1.0


async def test_near_identical_text_returns_the_kept_id(make_store: StoreFactory) -> None:
    store = make_store()
    first = await store.add(_lesson("Check the loop bounds for off by one errors."))
    again = await store.add(_lesson("check the loop bounds for off-by-one errors"))
    other_kind = await store.add(
        MemoryEntry(kind="principle", text="Check the loop bounds for off by one errors.")
    )
    assert again == first
    assert other_kind != first  # de-duplication is within a kind
    assert len(await store.list()) == 2


async def test_dedup_can_be_turned_off(make_store: StoreFactory) -> None:
    store = make_store(dedup_threshold=None)
    await store.add(_lesson("same words"))
    await store.add(_lesson("same words"))
    assert len(await store.list()) == 2


async def test_adding_an_existing_id_keeps_the_first(make_store: StoreFactory) -> None:
    store = make_store()
    entry = _lesson("one")
    await store.add(entry)
    assert await store.add(entry.model_copy(update={"text": "something else"})) == entry.id
    kept = await store.get(entry.id)
    assert kept is not None and kept.text == "one"


async def test_filters_by_kind_and_metadata(make_store: StoreFactory) -> None:
    store = make_store()
    now = time.time()
    await store.add(_lesson("sql joins need keys", task_family="sql", created_at=now - 100))
    await store.add(_lesson("sql null compares false", task_family="sql", role="judge"))
    await store.add(_lesson("python lists are zero indexed", task_family="python"))
    await store.add(MemoryEntry(kind="judge", text="judged sql answer right", task_family="sql"))

    sql = await store.list(where={"task_family": "sql"})
    assert {e.text for e in sql} == {
        "sql joins need keys", "sql null compares false", "judged sql answer right"
    }
    assert [e.text for e in await store.list(kind="judge")] == ["judged sql answer right"]
    judged = await store.search("sql", k=5, where={"role": "judge"})
    assert [h.entry.text for h in judged] == ["sql null compares false"]
    recent = await store.list(where={"created_at": {"$gt": now - 50}, "task_family": "sql"})
    assert "sql joins need keys" not in {e.text for e in recent}
    families = await store.list(where={"task_family": {"$in": ["python"]}})
    assert [e.text for e in families] == ["python lists are zero indexed"]
    hits = await store.search("sql keys", k=5, kind="lesson", where={"task_family": "sql"})
    assert {h.entry.kind for h in hits} == {"lesson"}
    assert {h.entry.task_family for h in hits} == {"sql"}


async def test_list_is_oldest_first_and_limited(make_store: StoreFactory) -> None:
    store = make_store()
    for i, when in enumerate([300.0, 100.0, 200.0]):
        await store.add(_lesson(f"entry number {i} alpha beta {i * 7}", created_at=when))
    entries = await store.list()
    assert [e.created_at for e in entries] == [100.0, 200.0, 300.0]
    assert [e.created_at for e in await store.list(limit=2)] == [100.0, 200.0]


async def test_bad_filters_say_what_to_fix(make_store: StoreFactory) -> None:
    store = make_store()
    with pytest.raises(ConfigError, match="filterable fields"):
        await store.list(where={"colour": "red"})
    with pytest.raises(ConfigError, match="operators"):
        await store.list(where={"usefulness": {"$near": 1}})


async def test_delete(make_store: StoreFactory) -> None:
    store = make_store()
    entry_id = await store.add(_lesson("to be removed"))
    assert await store.delete(entry_id) is True
    assert await store.delete(entry_id) is False
    assert await store.get(entry_id) is None
    assert await store.search("to be removed", k=3) == []


async def test_outcomes_move_usefulness_and_rank(make_store: StoreFactory) -> None:
    store = make_store()
    good = await store.add(_lesson("test the edge cases of the input range"))
    bad = await store.add(_lesson("test the edge cases of the output range"))
    await store.record_outcome([good, "deleted-meanwhile"], success=True)
    await store.record_outcome([bad], success=False)
    kept_good, kept_bad = await store.get(good), await store.get(bad)
    assert kept_good is not None and kept_bad is not None
    assert kept_good.usefulness > 0 > kept_bad.usefulness
    assert kept_good.times_used == kept_bad.times_used == 1
    hits = await store.search("test the edge cases of the range", k=2)
    assert [h.entry.id for h in hits] == [good, bad]
    assert hits[0].score > hits[0].similarity > hits[1].score


async def test_entries_that_keep_failing_leave_retrieval(make_store: StoreFactory) -> None:
    store = make_store(policy=UsefulnessPolicy())
    failing = await store.add(_lesson("always return None on error"))
    await store.add(_lesson("raise a clear error on bad input"))
    for _ in range(2):
        await store.record_outcome([failing], success=False)
    assert failing in [h.entry.id for h in await store.search("error", k=5)]
    await store.record_outcome([failing], success=False)
    assert failing not in [h.entry.id for h in await store.search("error", k=5)]
    retired = await store.search("error", k=5, include_retired=True)
    assert failing in [h.entry.id for h in retired]
    # Still kept for inspection, and a success brings it back.
    await store.record_outcome([failing], success=True)
    assert failing in [h.entry.id for h in await store.search("error", k=5)]


async def test_filter_on_usefulness(make_store: StoreFactory) -> None:
    store = make_store()
    good = await store.add(_lesson("good advice here"))
    await store.add(_lesson("untried advice there"))
    await store.record_outcome([good], success=True)
    proven = await store.list(where={"usefulness": {"$gt": 0.0}, "times_used": {"$gte": 1}})
    assert [e.id for e in proven] == [good]


async def test_add_many_batches_and_dedups(make_store: StoreFactory) -> None:
    store = make_store()
    ids = await store.add_many([_lesson("alpha one"), _lesson("beta two"), _lesson("alpha one")])
    assert ids[0] == ids[2] != ids[1]
    assert len(await store.list()) == 2


async def test_negative_filters_include_entries_without_the_field(make_store: StoreFactory) -> None:
    store = make_store()
    await store.add(_lesson("judged text", role="judge"))
    await store.add(_lesson("acted text", role="actor"))
    await store.add(_lesson("unlabelled text"))
    for where in ({"role": {"$ne": "judge"}}, {"role": {"$nin": ["judge"]}}):
        assert sorted(e.text for e in await store.list(where=where)) == [
            "acted text", "unlabelled text"
        ]
