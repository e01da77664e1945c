"""P6b's convention tasks: the obvious code fails only on the hidden convention, the code that
follows it passes, and the feedback shows the convention; the summary counts partial runs."""

from __future__ import annotations

import anyio
import pytest

from agentloop import Verdict
from benchmarks._p6_memory_helps_tasks import CONVENTIONS, RAISES, TASK_SETS, BenchTask
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
# The "raises" set: obvious code, and the guard each family's convention adds in front of it.
OBVIOUS_RAISES = {
    "product": OBVIOUS["product"],
    "last_item": OBVIOUS["last_item"],
    "total": "def total(xs):\n    return sum(xs)\n",
    "count_vowels": "def count_vowels(s):\n    return sum(c in 'aeiou' for c in s)\n",
    "join_lines": "def join_lines(lines):\n    return '\\n'.join(lines)\n",
    "longest_word": "def longest_word(words):\n    return max(words, key=len, default='')\n",
    "factorial": "def factorial(n):\n    r = 1\n    for i in range(2, n + 1):\n"
    "        r *= i\n    return r\n",
    "triangle": "def triangle(n):\n    return n * (n + 1) // 2\n",
    "countdown": "def countdown(n):\n    return list(range(n, 0, -1))\n",
    "fib": "def fib(n):\n    a, b = 0, 1\n    for _ in range(n):\n        a, b = b, a + b\n"
    "    return a\n",
    "repeat_char": "def repeat_char(c, n):\n    return c * n\n",
    "powers_of_two": "def powers_of_two(n):\n    return [2 ** i for i in range(n)]\n",
}
GUARD = {"empty_raises": "if len({arg}) == 0", "negative_raises": "if {arg} < 0"}
GUARDED_ARG = {"repeat_char": "n", "count_vowels": "s"}


def _follows(task: BenchTask) -> str:
    obvious = OBVIOUS_RAISES[task.name]
    signature, body = obvious.split("\n", 1)
    arg = GUARDED_ARG.get(task.name) or signature.split("(")[1].split(")")[0]
    guard = GUARD[task.family].format(arg=arg)
    return f"{signature}\n    {guard}:\n        raise ValueError('bad input')\n{body}"


HIDDEN = ("valueerror", "raise", "tuple", "sort", "lower", "strip", "empty")
SHOWS = {"empty_raises": "expected ValueError", "sorted_tuple": "expected (",
         "lower_stripped": "expected '"}


def _verify_both(
    task: BenchTask, obvious: str, follows: str, *, bwrap_available: bool
) -> tuple[Verdict, Verdict]:
    """The task's visible tests run in the real sandbox on the obvious code, then on the code
    that follows the family's convention."""
    if not bwrap_available:
        pytest.skip("bubblewrap is not installed")
    from agentloop.sandbox import PythonTestVerifier

    verifier = PythonTestVerifier("\n".join(task.tests), entry_point=task.entry_point)
    return anyio.run(verifier.verify, obvious), anyio.run(verifier.verify, follows)


def test_convention_families_have_four_tasks_each() -> None:
    families = [t.family for t in CONVENTIONS]
    assert {f: families.count(f) for f in families} == {f: 4 for f in SHOWS}
    assert set(TASK_SETS) == {"pitfalls", "conventions", "raises"}


@pytest.mark.parametrize("task", CONVENTIONS, ids=lambda t: t.name)
def test_only_the_convention_separates_obvious_from_passing_code(
    task: BenchTask, bwrap_available: bool
) -> None:
    obvious, follows = _verify_both(task, OBVIOUS[task.name], FOLLOWS[task.name],
                                    bwrap_available=bwrap_available)
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


@pytest.mark.parametrize("task", RAISES, ids=lambda t: t.name)
def test_a_raises_task_fails_obvious_code_and_passes_it_with_the_guard(
    task: BenchTask, bwrap_available: bool
) -> None:
    obvious, follows = _verify_both(task, OBVIOUS_RAISES[task.name], _follows(task),
                                    bwrap_available=bwrap_available)
    assert follows.passed, follows.feedback
    assert not obvious.passed
    assert "expected ValueError" in (obvious.feedback or "")
    assert not any(word in task.prompt.lower() for word in HIDDEN)


def test_reversed_order_reverses_each_family_and_keeps_the_family_order() -> None:
    from benchmarks.p6_memory_helps import in_reversed_family_order

    reordered = in_reversed_family_order(RAISES)
    assert [t.family for t in reordered] == [t.family for t in RAISES]
    assert reordered[0].name == "longest_word" and reordered[6].name == "powers_of_two"
    assert sorted(t.name for t in reordered) == sorted(t.name for t in RAISES)
