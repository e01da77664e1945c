"""Splitting test suites into single tests (host side, no sandbox)."""

from __future__ import annotations

import pytest

from agentloop.errors import ConfigError
from agentloop.sandbox import plan_tests


def test_check_style_splits_each_assert_and_keeps_loops_whole() -> None:
    plan = plan_tests(
        "def check(candidate):\n    import math\n    assert candidate(1) == 2\n"
        "    for x in range(3):\n        assert candidate(x) == x + 1\n"
        "    assert abs(candidate(0.5) - 1.5) < 1e-6\n",
        entry_point="inc",
    )
    assert plan.style == "check"
    assert [t.source for t in plan.tests] == [
        "assert candidate(1) == 2",
        "for x in range(3):\n    assert candidate(x) == x + 1",
        "assert abs(candidate(0.5) - 1.5) < 1e-6",
    ]
    first = plan.tests[0]
    assert (first.left, first.op, first.right) == ("candidate(1)", "==", "2")


def test_a_multi_line_statement_in_check_is_dedented_whole() -> None:
    plan = plan_tests(
        "def check(candidate):\n    try:\n        candidate(-1)\n        assert False\n"
        "    except ValueError:\n        pass\n",
        entry_point="f",
    )
    source = plan.tests[0].code
    assert source == "try:\n    candidate(-1)\n    assert False\nexcept ValueError:\n    pass"
    compile(source, "<test>", "exec")  # was an IndentationError: `except` kept its indent


def test_a_multi_line_assert_keeps_both_sides_evaluable() -> None:
    plan = plan_tests(
        "def check(candidate):\n    assert candidate('a b') == [\n        'a', 'b'\n    ]\n",
        entry_point="split",
    )
    step = plan.tests[0]
    assert step.right is not None
    assert eval(compile(step.right, "<test>", "eval")) == ["a", "b"]  # was an IndentationError


def test_the_side_that_calls_the_code_is_the_actual_value() -> None:
    plan = plan_tests("assert 3 == add(1, 2)\n", entry_point="add")
    assert plan.tests[0].actual_side == "right"


def test_check_style_needs_an_entry_point_and_tests_must_parse() -> None:
    with pytest.raises(ConfigError, match="entry_point"):
        plan_tests("def check(candidate):\n    assert candidate(1)\n")
    with pytest.raises(ConfigError, match="do not parse"):
        plan_tests("assert (\n")
