"""The task sets for the P6b memory-helps benchmark (`p6_memory_helps.py --tasks ...`).

`pitfalls`: each family shares a pitfall that the prompt states (empty input, inclusive
ranges). The 0.5B model solves these single-shot or never, so memory has nothing to add.

`conventions`: each family shares a project convention that the visible tests enforce but the
prompt does NOT state (empty input raises ValueError; collections come back as a sorted tuple;
strings come back lowercase and stripped). The model cannot guess it from the prompt, but one
failed test shows it plainly ("got [4, 2], expected (2, 4)"), so reflexion can learn it once.
That is the case memory is for: what the first task of a family learned, its siblings need
from their first attempt.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["TASK_SETS", "BenchTask"]


class BenchTask(NamedTuple):
    family: str
    name: str
    prompt: str
    entry_point: str
    tests: list[str]


def _fn(signature: str, doc: str) -> str:
    return f'def {signature}:\n    """{doc}"""\n'


PITFALLS: list[BenchTask] = [
    BenchTask("empty", "largest", _fn("largest(xs)", "Return the largest number in xs, or None "
              "if xs is empty."), "largest",
              ["assert largest([3, 9, 2]) == 9", "assert largest([]) is None"]),
    BenchTask("empty", "mean", _fn("mean(xs)", "Return the arithmetic mean of xs, or 0.0 if xs "
              "is empty."), "mean", ["assert mean([1, 2, 3]) == 2", "assert mean([]) == 0.0"]),
    BenchTask("empty", "first_word", _fn("first_word(s)", 'Return the first word of s, or "" if '
              "s has no words."), "first_word",
              ["assert first_word('hello big world') == 'hello'",
               "assert first_word('   ') == ''"]),
    BenchTask("empty", "shortest", _fn("shortest(words)", "Return the shortest string in words, "
              "or None for an empty list."), "shortest",
              ["assert shortest(['abc', 'a', 'ab']) == 'a'", "assert shortest([]) is None"]),
    BenchTask("inclusive", "sum_range", _fn("sum_range(a, b)", "Sum of all integers from a to b, "
              "both included."), "sum_range",
              ["assert sum_range(1, 3) == 6", "assert sum_range(5, 5) == 5"]),
    BenchTask("inclusive", "evens_between", _fn("evens_between(a, b)", "List the even integers "
              "from a to b, both included, ascending."), "evens_between",
              ["assert evens_between(2, 6) == [2, 4, 6]", "assert evens_between(3, 3) == []"]),
    BenchTask("inclusive", "count_multiples", _fn("count_multiples(k, a, b)", "How many "
              "multiples of k lie between a and b, both included."), "count_multiples",
              ["assert count_multiples(3, 3, 9) == 3", "assert count_multiples(5, 1, 4) == 0"]),
    BenchTask("inclusive", "letters_between", _fn("letters_between(x, y)", "The lowercase "
              "letters from x to y, both included, as a string."), "letters_between",
              ["assert letters_between('a', 'c') == 'abc'",
               "assert letters_between('z', 'z') == 'z'"]),
]


def _raises_value_error(call: str) -> str:
    """A pytest-style test that `call` raises ValueError; its failure says what came back
    instead (the verifier shows the AssertionError's message as the feedback)."""
    return (
        "def test_empty_input_raises_value_error():\n"
        "    try:\n"
        f"        got = {call}\n"
        "    except ValueError:\n"
        "        return\n"
        "    except Exception as exc:\n"
        f'        raise AssertionError(f"{call} raised {{type(exc).__name__}}; expected '
        'ValueError") from None\n'
        f'    raise AssertionError(f"{call} returned {{got!r}}; expected ValueError")\n'
    )


def _check(name: str, expression: str) -> str:
    return f"def test_{name}():\n    assert {expression}\n"


def _raising(family: str, name: str, signature: str, doc: str, normal: str, bad_call: str
             ) -> BenchTask:
    return BenchTask(family, name, _fn(signature, doc), name,
                     [_check(name, normal), _raises_value_error(bad_call)])


# Two empty-input tasks that both the `conventions` and the `raises` sets hold.
_PRODUCT = _raising("empty_raises", "product", "product(xs)", "Return the product of the "
                    "numbers in the list xs.", "product([2, 3, 4]) == 24", "product([])")
_LAST_ITEM = _raising("empty_raises", "last_item", "last_item(xs)", "Return the last item of "
                      "the list xs.", "last_item([1, 2, 3]) == 3", "last_item([])")

# Prompts say what the function computes and nothing about the convention. The empty-input
# functions are chosen so that the obvious code does NOT raise ValueError by accident
# (`max([])` would, so `largest` is not among them).
CONVENTIONS: list[BenchTask] = [
    _raising("empty_raises", "mean", "mean(xs)", "Return the mean of the numbers in the list "
             "xs.", "mean([1, 2, 3]) == 2", "mean([])"),
    _raising("empty_raises", "first_word", "first_word(s)", "Return the first word of the "
             "string s.", "first_word('hello big world') == 'hello'", "first_word('')"),
    _PRODUCT,
    _LAST_ITEM,
    BenchTask("sorted_tuple", "evens", _fn("evens(xs)", "Return the even numbers in the list "
              "xs."), "evens",
              ["assert evens([4, 1, 2]) == (2, 4)", "assert evens([1, 3]) == ()"]),
    BenchTask("sorted_tuple", "unique_words", _fn("unique_words(s)", "Return the distinct words "
              "of the string s."), "unique_words",
              ["assert unique_words('b a b c') == ('a', 'b', 'c')"]),
    BenchTask("sorted_tuple", "positives", _fn("positives(xs)", "Return the positive numbers in "
              "the list xs."), "positives",
              ["assert positives([3, -1, 2]) == (2, 3)", "assert positives([-5]) == ()"]),
    BenchTask("sorted_tuple", "common", _fn("common(a, b)", "Return the items that are in both "
              "lists a and b."), "common",
              ["assert common([3, 1, 2], [2, 3, 4]) == (2, 3)"]),
    BenchTask("lower_stripped", "first_line", _fn("first_line(text)", "Return the first line of "
              "the string text."), "first_line",
              ["assert first_line('  Hello World\\nbye') == 'hello world'"]),
    BenchTask("lower_stripped", "extension", _fn("extension(filename)", "Return the extension "
              "of the file name filename (the text after the last dot)."), "extension",
              ["assert extension('Report.PDF ') == 'pdf'"]),
    BenchTask("lower_stripped", "join_words", _fn("join_words(words)", "Return the words of the "
              "list words joined by single spaces."), "join_words",
              ["assert join_words(['Big', 'Red ']) == 'big red'"]),
    BenchTask("lower_stripped", "last_name", _fn("last_name(full)", "Return the last name from "
              "the string full, which holds a first and a last name separated by a space."),
              "last_name", ["assert last_name('Ada Lovelace ') == 'lovelace'"]),
]



# Two conventions that one failed test shows plainly and the 0.5B model can follow once told,
# with enough siblings that the lessons of a family's first tasks have several tasks to help.
# As above, the obvious code does not raise ValueError by accident for the bad input.
RAISES: list[BenchTask] = [
    _PRODUCT,
    _LAST_ITEM,
    _raising("empty_raises", "total", "total(xs)", "Return the sum of the numbers in the list "
             "xs.", "total([1, 2, 3]) == 6", "total([])"),
    _raising("empty_raises", "count_vowels", "count_vowels(s)", "Return how many vowels "
             "(a, e, i, o, u) the string s contains.", "count_vowels('banana') == 3",
             "count_vowels('')"),
    _raising("empty_raises", "join_lines", "join_lines(lines)", "Return the strings in the "
             "list lines joined with newlines.", "join_lines(['a', 'b']) == 'a\\nb'",
             "join_lines([])"),
    _raising("empty_raises", "longest_word", "longest_word(words)", "Return the longest "
             "string in the list words.", "longest_word(['a', 'abc', 'ab']) == 'abc'",
             "longest_word([])"),
    _raising("negative_raises", "factorial", "factorial(n)", "Return n factorial.",
             "factorial(5) == 120", "factorial(-1)"),
    _raising("negative_raises", "triangle", "triangle(n)", "Return the n-th triangular "
             "number, 1 + 2 + ... + n.", "triangle(4) == 10", "triangle(-2)"),
    _raising("negative_raises", "countdown", "countdown(n)", "Return the list n, n-1, ..., 1.",
             "countdown(3) == [3, 2, 1]", "countdown(-3)"),
    _raising("negative_raises", "fib", "fib(n)", "Return the n-th Fibonacci number, with "
             "fib(0) == 0 and fib(1) == 1.", "fib(10) == 55", "fib(-4)"),
    _raising("negative_raises", "repeat_char", "repeat_char(c, n)", "Return the character c "
             "repeated n times.", "repeat_char('x', 3) == 'xxx'", "repeat_char('x', -1)"),
    _raising("negative_raises", "powers_of_two", "powers_of_two(n)", "Return the list of the "
             "first n powers of two, starting at 1.", "powers_of_two(4) == [1, 2, 4, 8]",
             "powers_of_two(-2)"),
]

TASK_SETS: dict[str, list[BenchTask]] = {
    "pitfalls": PITFALLS, "conventions": CONVENTIONS, "raises": RAISES,
}
