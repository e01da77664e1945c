"""P6b's convention tasks: the obvious code fails only on the hidden convention, the code that
follows it passes, and the feedback shows the convention; the summary counts partial runs."""

from __future__ import annotations

import anyio
import pytest

from benchmarks._p6_memory_helps_tasks import CONVENTIONS, TASK_SETS, BenchTask
from benchmarks.p6_memory_helps import summarize

# What a model writes from the prompt alone, and what the family's convention asks for.
OBVIOUS = {
    "mean": "def mean(xs):\n    return sum(xs) / len(xs)\n",
    "first_word": "def first_word(s):\n    return s.split()[0]\n",
    "product": "def product(xs):\n    r = 1\n    for x in xs:\n        r *= x\n    return r\n",
    "last_item": "def last_item(xs):\n    return xs[-1] if xs else None\n",
    "evens": "def evens(xs):\n    return [x for x in xs if x % 2 == 0]\n",
    "unique_words": "def unique_words(s):\n    return list(dict.fromkeys(s.split()))\n",
    "positives": "def positives(xs):\n    return [x for x in xs if x > 0]\n",
    "common": "def common(a, b):\n    return [x for x in a if x in b]\n",
    "first_line": "def first_line(text):\n    return text.split('\\n')[0]\n",
    "extension": "def extension(filename):\n    return filename.rsplit('.', 1)[-1]\n",
    "join_words": "def join_words(words):\n    return ' '.join(words)\n",
    "last_name": "def last_name(full):\n    return full.split()[-1]\n",
}
FOLLOWS = {
    "mean": "def mean(xs):\n    if not xs:\n        raise ValueError\n"
    "    return sum(xs) / len(xs)\n",
    "first_word": "def first_word(s):\n    if not s.split():\n        raise ValueError\n"
    "    return s.split()[0]\n",
    "product": "import math\ndef product(xs):\n    if not xs:\n        raise ValueError\n"
    "    return math.prod(xs)\n",
    "last_item": "def last_item(xs):\n    if not xs:\n        raise ValueError\n"
    "    return xs[-1]\n",
    "evens": "def evens(xs):\n    return tuple(sorted(x for x in xs if x % 2 == 0))\n",
    "unique_words": "def unique_words(s):\n    return tuple(sorted(set(s.split())))\n",
    "positives": "def positives(xs):\n    return tuple(sorted(x for x in xs if x > 0))\n",
    "common": "def common(a, b):\n    return tuple(sorted(set(a) & set(b)))\n",
    "first_line": "def first_line(text):\n    return text.split('\\n')[0].strip().lower()\n",
    "extension": "def extension(filename):\n"
    "    return filename.rsplit('.', 1)[-1].strip().lower()\n",
    "join_words": "def join_words(words):\n    return ' '.join(words).strip().lower()\n",
    "last_name": "def last_name(full):\n    return full.split()[-1].strip().lower()\n",
}
HIDDEN = ("valueerror", "raise", "tuple", "sort", "lower", "strip", "empty")
SHOWS = {"empty_raises": "expected ValueError", "sorted_tuple": "expected (",
         "lower_stripped": "expected '"}


def test_convention_families_have_four_tasks_each() -> None:
    families = [t.family for t in CONVENTIONS]
    assert {f: families.count(f) for f in families} == {f: 4 for f in SHOWS}
    assert set(TASK_SETS) == {"pitfalls", "conventions"}


@pytest.mark.parametrize("task", CONVENTIONS, ids=lambda t: t.name)
def test_only_the_convention_separates_obvious_from_passing_code(
    task: BenchTask, bwrap_available: bool
) -> None:
    if not bwrap_available:
        pytest.skip("bubblewrap is not installed")
    from agentloop.sandbox import PythonTestVerifier

    source = "\n".join(task.tests)
    obvious = anyio.run(PythonTestVerifier(source, entry_point=task.entry_point).verify,
                        OBVIOUS[task.name])
    follows = anyio.run(PythonTestVerifier(source, entry_point=task.entry_point).verify,
                        FOLLOWS[task.name])
    assert follows.passed, follows.feedback
    assert not obvious.passed
    # The failure names what the convention expects, so one retry can learn it.
    assert SHOWS[task.family] in (obvious.feedback or "")
    # ...and the prompt does not give it away.
    assert not any(word in task.prompt.lower() for word in HIDDEN)


def test_summary_counts_later_tasks_of_each_family_on_a_partial_run() -> None:
    tasks = CONVENTIONS[:5]  # four of one family, the first of the next

    def row(name: str, attempts: int) -> dict[str, object]:
        return {"task": name, "solved": attempts <= 4, "attempts": attempts,
                "first_attempt_passed": attempts == 1, "tokens": 10}

    summary = summarize(tasks, {
        "off": [row("mean", 2), row("first_word", 2), row("product", 5)],
        "on": [row("mean", 2), row("first_word", 1), row("product", 1), row("last_item", 1),
               row("evens", 2), {"lessons_kept": []}],
    })
    assert summary["off"]["tasks_done"] == 3
    assert summary["off"]["mean_attempts_after_first_of_family"] == 3.5
    assert summary["on"]["first_attempt_passed_after_first_of_family"] == 3
    assert summary["on"]["solved"] == 5
