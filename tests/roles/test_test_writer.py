"""Test writers: drafted asserts, docstring examples, and screening on a stub in the sandbox."""

from __future__ import annotations

import shutil

import pytest

from agentloop.code import docstring_tests
from agentloop.model import ModelClient
from agentloop.roles import (
    DocstringTestWriter,
    LLMTestWriter,
    Task,
    parse_asserts,
    sandbox_verifier,
    screen_tests,
)
from agentloop.testing import ScriptedModel

pytestmark = pytest.mark.anyio
TASK = Task(
    prompt=(
        'def mean(xs):\n    """Average.\n\n    >>> mean([1, 2])\n    1.5\n'
        "    >>> mean([4])\n    4\n    >>> print('hi')\n    hi\n    \"\"\"\n"
    ),
)


def test_asserts_are_taken_from_the_reply_that_parse_and_call_the_function() -> None:
    reply = (
        "Here:\n```python\nassert mean([1, 2]) == 1.5\nassert mean([4]) == 4\n"
        "assert mean([1, 2) == 1.5\nassert len([1]) == 1\nassert mean([4]) == 4\n```"
    )
    assert parse_asserts(reply, entry_point="mean") == [
        "assert mean([1, 2]) == 1.5", "assert mean([4]) == 4",
    ]


async def test_docstring_examples_become_asserts() -> None:
    tests = await DocstringTestWriter().write_tests(TASK)
    # Floats are compared with a tolerance; a doctest of another function is no test.
    assert tests == ["assert abs(mean([1, 2]) - 1.5) < 1e-6", "assert mean([4]) == 4"]


async def test_inline_examples_are_read_the_same_way_the_benchmark_reads_them() -> None:
    task = Task(
        prompt=(
            'def shout(s):\n    """Upper-case it.\n\n    shout("ab") ➞ "AB"\n'
            '    shout("") => ""\n    shout("x") should return "X".\n'
            '    Call shout(s) on any text.\n    """\n'
        ),
    )
    tests = await DocstringTestWriter().write_tests(task)
    assert tests == [
        'assert shout("ab") == \'AB\'', 'assert shout("") == \'\'', 'assert shout("x") == \'X\'',
    ] == docstring_tests(task.prompt)  # entry point inferred from the prompt


async def test_drafts_that_pass_on_a_stub_are_screened_out_in_the_sandbox() -> None:
    if shutil.which("bwrap") is None:
        pytest.skip("the local sandbox needs bubblewrap")
    model = ScriptedModel(replies=[
        "assert mean([2, 4]) == 3\nassert mean([1]) is None or True\nassert mean([9]) == 9\n"
    ])
    drafted = await LLMTestWriter(ModelClient(model.model), n=5).write_tests(TASK)
    assert len(drafted) == 3
    kept = await screen_tests(drafted, TASK, verifier=sandbox_verifier)
    assert kept == ["assert mean([2, 4]) == 3", "assert mean([9]) == 9"]


async def test_without_a_verifier_only_syntax_is_screened() -> None:
    kept = await screen_tests(["assert f(1) == 1", "assert f(1 == 1"], TASK, verifier=None)
    assert kept == ["assert f(1) == 1"]
