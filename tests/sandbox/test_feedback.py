"""The feedback the actor reads: a verdict that verified nothing says so, plainly."""

from __future__ import annotations

import pytest

from agentloop import TestOutcome as Outcome
from agentloop import TestResult, Verdict, VerdictStatus
from agentloop.sandbox._feedback import feedback_for


@pytest.mark.parametrize("status", [VerdictStatus.NO_TESTS, VerdictStatus.PASSED])
def test_no_tests_says_nothing_was_verified(status: VerdictStatus) -> None:
    # Even a verdict that calls zero tests a pass verified nothing.
    text = feedback_for(Verdict(status=status), 5.0)
    assert text.startswith("Not verified: no test ran")
    assert "passed" not in text.lower() and "without errors" not in text


def test_a_setup_error_blames_the_tests_and_shows_what_raised() -> None:
    verdict = Verdict(
        status=VerdictStatus.SETUP_ERROR,
        traceback="import helpers\nModuleNotFoundError: No module named 'helpers'",
    )
    text = feedback_for(verdict, 5.0)
    assert text.startswith("Not verified: the tests themselves failed to set up")
    assert "No module named 'helpers'" in text


def test_a_verifier_error_says_nothing_is_known() -> None:
    text = feedback_for(Verdict(status=VerdictStatus.VERIFIER_ERROR), 5.0)
    assert text.startswith("Not verified: the test run's report was missing or malformed")


def test_an_unsupported_value_names_its_type_and_what_to_return_instead() -> None:
    result = TestResult(
        name="t1", source="assert pairs([1, 2]) == [(1, 2)]",
        outcome=Outcome.UNSUPPORTED_VALUE, exception_type="UnsupportedValue",
        message="returned Pair, which cannot be checked: return plain data (numbers, strings, "
        "lists, tuples, dicts, sets)",
    )
    verdict = Verdict(status=VerdictStatus.UNSUPPORTED_VALUE, tests=[result])
    text = feedback_for(verdict, 5.0)
    assert "Passed 0 of 1 tests." in text
    assert (
        "- `assert pairs([1, 2]) == [(1, 2)]`: your function returned an object of type Pair "
        "that cannot be checked; return plain data (numbers, strings, lists, tuples, dicts, sets)"
    ) in text
    assert "raised UnsupportedValue" not in text
