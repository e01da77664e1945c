"""The memory conformance suite: one behaviour for every memory backend.

A backend subclasses `agentloop.memory.VectorMemoryStore` and implements its storage primitives;
the base class gives it de-duplication, usefulness and filters, and this suite checks that they
hold on its storage. Each check is an async function `check(make_store)`: `make_store(**options)`
returns a fresh, empty store built with `embedder="hashing"` (instant and deterministic: the
checks expect its similarities), passing on the options a check gives (`dedup_threshold=None`,
`policy=UsefulnessPolicy()`).
"""

from __future__ import annotations

import builtins
import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from agentloop._memory import MemoryEntry
from agentloop.errors import ConfigError
from agentloop.memory import UsefulnessPolicy, VectorMemoryStore
from agentloop.testing._conformance import ConformanceFailure, expect, expect_raises

__all__ = ["MEMORY_CHECKS", "MemoryCheck", "check_memory_store"]

MemoryStoreFactory = Callable[..., VectorMemoryStore]


class MemoryCheck(Protocol):
    """One check of the suite; its `__name__` says what it checks."""

    __name__: str

    def __call__(self, make_store: MemoryStoreFactory) -> Awaitable[None]: ...


def _lesson(text: str, **fields: Any) -> MemoryEntry:
    return MemoryEntry(kind="lesson", text=text, **fields)


def _texts(entries: builtins.list[MemoryEntry]) -> builtins.list[str]:
    return [e.text for e in entries]


async def round_trips_every_field(make_store: MemoryStoreFactory) -> None:
    """`get` returns the entry as added, every field equal; None for an unknown id."""
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
    expect(await store.add(entry) == entry.id, "add did not return the entry's id")
    got = await store.get(entry.id)
    expect(got == entry, f"stored {entry!r}, got back {got!r}")
    expect(await store.get("no-such-id") is None, "get of an unknown id is not None")


async def search_finds_the_closest_first(make_store: MemoryStoreFactory) -> None:
    """`search` returns `k` hits, the closest first, similarities within [-1, 1]."""
    store = make_store()
    await store.add(_lesson("handle the empty list before indexing it"))
    await store.add(_lesson("close files with a context manager"))
    await store.add(_lesson("parse dates with an explicit format string"))
    hits = await store.search("what if the list is empty", k=2)
    expect(len(hits) == 2, f"{len(hits)} hits for k=2")
    expect(
        hits[0].entry.text == "handle the empty list before indexing it",
        f"the closest is not first: {[h.entry.text for h in hits]}",
    )
    expect(hits[0].similarity > hits[1].similarity, "hits are not ordered by similarity")
    expect(-1.0 <= hits[1].similarity <= 1.0, f"similarity {hits[1].similarity} out of range")


async def near_identical_text_returns_the_kept_id(make_store: MemoryStoreFactory) -> None:
    """Adding a near-identical entry of the same kind returns the kept entry's id; another kind
    is another entry."""
    store = make_store()
    first = await store.add(_lesson("Check the loop bounds for off by one errors."))
    again = await store.add(_lesson("check the loop bounds for off-by-one errors"))
    other_kind = await store.add(
        MemoryEntry(kind="principle", text="Check the loop bounds for off by one errors.")
    )
    expect(again == first, "a near-identical lesson was kept twice")
    expect(other_kind != first, "de-duplication crossed kinds")
    count = len(await store.list())
    expect(count == 2, f"{count} entries kept, not 2")


async def dedup_can_be_turned_off(make_store: MemoryStoreFactory) -> None:
    """With `dedup_threshold=None`, identical texts are two entries."""
    store = make_store(dedup_threshold=None)
    await store.add(_lesson("same words"))
    await store.add(_lesson("same words"))
    count = len(await store.list())
    expect(count == 2, f"{count} entries kept, not 2")


async def adding_an_existing_id_keeps_the_first(make_store: MemoryStoreFactory) -> None:
    """Adding an entry whose id is taken keeps the first entry."""
    store = make_store()
    entry = _lesson("one")
    await store.add(entry)
    returned = await store.add(entry.model_copy(update={"text": "something else"}))
    expect(returned == entry.id, "adding a taken id returned another id")
    kept = await store.get(entry.id)
    expect(kept is not None and kept.text == "one", f"the first entry was replaced: {kept!r}")


async def filters_by_kind_and_metadata(make_store: MemoryStoreFactory) -> None:
    """`kind=` and `where=` (equality, `$gt`, `$in`) filter `list` and `search` alike."""
    store = make_store()
    now = time.time()
    await store.add(_lesson("sql joins need keys", task_family="sql", created_at=now - 100))
    await store.add(_lesson("sql null compares false", task_family="sql", role="judge"))
    await store.add(_lesson("python lists are zero indexed", task_family="python"))
    await store.add(MemoryEntry(kind="judge", text="judged sql answer right", task_family="sql"))

    sql = set(_texts(await store.list(where={"task_family": "sql"})))
    expect(
        sql == {"sql joins need keys", "sql null compares false", "judged sql answer right"},
        f"task_family=sql listed {sql}",
    )
    judges = _texts(await store.list(kind="judge"))
    expect(judges == ["judged sql answer right"], f"kind=judge listed {judges}")
    judged = [h.entry.text for h in await store.search("sql", k=5, where={"role": "judge"})]
    expect(judged == ["sql null compares false"], f"role=judge found {judged}")
    recent = _texts(await store.list(where={"created_at": {"$gt": now - 50}, "task_family": "sql"}))
    expect("sql joins need keys" not in recent, f"$gt on created_at listed {recent}")
    families = _texts(await store.list(where={"task_family": {"$in": ["python"]}}))
    expect(families == ["python lists are zero indexed"], f"$in listed {families}")
    hits = await store.search("sql keys", k=5, kind="lesson", where={"task_family": "sql"})
    expect({h.entry.kind for h in hits} == {"lesson"}, "kind= did not filter search")
    expect({h.entry.task_family for h in hits} == {"sql"}, "where= did not filter search")


async def list_is_oldest_first_and_limited(make_store: MemoryStoreFactory) -> None:
    """`list` is ordered by `created_at`, oldest first, and `limit` keeps the oldest."""
    store = make_store()
    for i, when in enumerate([300.0, 100.0, 200.0]):
        await store.add(_lesson(f"entry number {i} alpha beta {i * 7}", created_at=when))
    order = [e.created_at for e in await store.list()]
    expect(order == [100.0, 200.0, 300.0], f"listed in the order {order}")
    limited = [e.created_at for e in await store.list(limit=2)]
    expect(limited == [100.0, 200.0], f"limit=2 listed {limited}")


async def bad_filters_say_what_to_fix(make_store: MemoryStoreFactory) -> None:
    """An unknown field or operator in `where=` is a `ConfigError` that names what is allowed."""
    store = make_store()
    with expect_raises(ConfigError, "filterable fields"):
        await store.list(where={"colour": "red"})
    with expect_raises(ConfigError, "operators"):
        await store.list(where={"usefulness": {"$near": 1}})


async def delete(make_store: MemoryStoreFactory) -> None:
    """`delete` removes an entry from `get` and `search`, and says whether there was one."""
    store = make_store()
    entry_id = await store.add(_lesson("to be removed"))
    expect(await store.delete(entry_id) is True, "deleting an entry returned not True")
    expect(await store.delete(entry_id) is False, "deleting it again returned not False")
    expect(await store.get(entry_id) is None, "a deleted entry is still got")
    expect(await store.search("to be removed", k=3) == [], "a deleted entry is still found")


async def outcomes_move_usefulness_and_rank(make_store: MemoryStoreFactory) -> None:
    """`record_outcome` raises usefulness on success and lowers it on failure (ids since deleted
    are ignored); usefulness reorders hits of equal similarity."""
    store = make_store()
    good = await store.add(_lesson("test the edge cases of the input range"))
    bad = await store.add(_lesson("test the edge cases of the output range"))
    await store.record_outcome([good, "deleted-meanwhile"], success=True)
    await store.record_outcome([bad], success=False)
    kept_good, kept_bad = await store.get(good), await store.get(bad)
    if kept_good is None or kept_bad is None:
        raise ConformanceFailure("recording an outcome lost an entry")
    expect(
        kept_good.usefulness > 0 > kept_bad.usefulness,
        f"usefulness after success {kept_good.usefulness}, after failure {kept_bad.usefulness}",
    )
    expect(kept_good.times_used == kept_bad.times_used == 1, "times_used did not count the use")
    hits = await store.search("test the edge cases of the range", k=2)
    expect([h.entry.id for h in hits] == [good, bad], "the useful entry does not rank first")
    expect(hits[0].score > hits[0].similarity > hits[1].score, "score does not follow usefulness")


async def entries_that_keep_failing_leave_retrieval(make_store: MemoryStoreFactory) -> None:
    """Under `UsefulnessPolicy()`, an entry that failed three times leaves `search` (not
    `include_retired=True`), and a success brings it back."""
    store = make_store(policy=UsefulnessPolicy())
    failing = await store.add(_lesson("always return None on error"))
    await store.add(_lesson("raise a clear error on bad input"))

    async def found(**options: Any) -> bool:
        return failing in [h.entry.id for h in await store.search("error", k=5, **options)]

    for _ in range(2):
        await store.record_outcome([failing], success=False)
    expect(await found(), "retired after two failures")
    await store.record_outcome([failing], success=False)
    expect(not await found(), "still retrieved after three failures")
    expect(await found(include_retired=True), "include_retired=True does not find it")
    # Still kept for inspection, and a success brings it back.
    await store.record_outcome([failing], success=True)
    expect(await found(), "a success did not bring it back")


async def filter_on_usefulness(make_store: MemoryStoreFactory) -> None:
    """`where=` filters on `usefulness` and `times_used`."""
    store = make_store()
    good = await store.add(_lesson("good advice here"))
    await store.add(_lesson("untried advice there"))
    await store.record_outcome([good], success=True)
    proven = await store.list(where={"usefulness": {"$gt": 0.0}, "times_used": {"$gte": 1}})
    expect([e.id for e in proven] == [good], f"listed {_texts(proven)}")


async def add_many_batches_and_dedups(make_store: MemoryStoreFactory) -> None:
    """`add_many` returns one id per entry, de-duplicating within the batch."""
    store = make_store()
    ids = await store.add_many([_lesson("alpha one"), _lesson("beta two"), _lesson("alpha one")])
    expect(ids[0] == ids[2] != ids[1], f"add_many returned {ids}")
    count = len(await store.list())
    expect(count == 2, f"{count} entries kept, not 2")


async def negative_filters_include_entries_without_the_field(
    make_store: MemoryStoreFactory,
) -> None:
    """`$ne` and `$nin` keep entries that do not have the field at all."""
    store = make_store()
    await store.add(_lesson("judged text", role="judge"))
    await store.add(_lesson("acted text", role="actor"))
    await store.add(_lesson("unlabelled text"))
    for where in ({"role": {"$ne": "judge"}}, {"role": {"$nin": ["judge"]}}):
        listed = sorted(_texts(await store.list(where=where)))
        expect(listed == ["acted text", "unlabelled text"], f"{where} listed {listed}")


MEMORY_CHECKS: tuple[MemoryCheck, ...] = (
    round_trips_every_field,
    search_finds_the_closest_first,
    near_identical_text_returns_the_kept_id,
    dedup_can_be_turned_off,
    adding_an_existing_id_keeps_the_first,
    filters_by_kind_and_metadata,
    list_is_oldest_first_and_limited,
    bad_filters_say_what_to_fix,
    delete,
    outcomes_move_usefulness_and_rank,
    entries_that_keep_failing_leave_retrieval,
    filter_on_usefulness,
    add_many_batches_and_dedups,
    negative_filters_include_entries_without_the_field,
)
"""Every check of the suite."""


async def check_memory_store(make_store: MemoryStoreFactory) -> None:
    """Run every check of `MEMORY_CHECKS` in order; the first that fails raises
    `ConformanceFailure`, its message prefixed with the check's name."""
    for check in MEMORY_CHECKS:
        try:
            await check(make_store)
        except ConformanceFailure as exc:
            raise ConformanceFailure(f"{check.__name__}: {exc}") from exc
