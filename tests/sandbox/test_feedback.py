"""The feedback the actor reads: a verdict that verified nothing says so, plainly."""

from __future__ import annotations

import pytest

from agentloop import TestOutcome as Outcome
from agentloop import TestResult, Verdict, VerdictStatus
from agentloop.sandbox._feedback import feedback_for, lesson_evidence


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


def _failing(source: str, outcome: Outcome = Outcome.FAILED, **fields: str) -> TestResult:
    return TestResult(name="test_0", source=source, outcome=outcome, **fields)


MIXED = Verdict(status=VerdictStatus.FAILED, score=0.2, tests=[
    _failing("assert add(1, 2) == 3", Outcome.PASSED),
    _failing("assert add(2, 2) == 4", actual="0", expected="4"),
    _failing("assert add(0, 0) == 0  \n", message="must be zero"),
    _failing(
        "def test_empty():\n    raise AssertionError()", message="add() returned 1; expected 0"
    ),
    _failing("assert add(1, 1) == 2", Outcome.ERROR, exception_type="TypeError", message="bad"),
    _failing("assert add(9, 9) == 18", Outcome.TIMEOUT),
    # Failures past the five the feedback shows: the actor never read them.
    _failing("assert add(5, 5) > 9", actual="0", expected="> 9", message="too   small"),
    _failing("assert add(7, 7) == 14", actual="0", expected="14"),
])


def test_lesson_evidence_is_the_failed_assertions_the_feedback_shows() -> None:
    # Pinned: the same text the evidence had when it was parsed back out of the feedback's prose
    # (checked against that parser on 20,000 generated verdicts before it was removed), since
    # lessons already stored carry it. Errors, timeouts and unshown failures are not evidence;
    # a test function is named by its assertion's message alone.
    assert lesson_evidence(MIXED, limit=200) == (
        "assert add(2, 2) == 4: got 0, expected 4; assert add(0, 0) == 0: must be zero; "
        "add() returned 1; expected 0"
    )
    assert lesson_evidence(MIXED, limit=60) == (
        "assert add(2, 2) == 4: got 0, expected 4; assert add(0, 0..."
    )


@pytest.mark.parametrize(
    "verdict",
    [
        Verdict(status=VerdictStatus.PASSED, tests=[_failing("assert f() == 1", actual="2")]),
        Verdict(status=VerdictStatus.VERIFIER_ERROR, tests=[_failing("assert f() == 1")]),
        Verdict(status=VerdictStatus.CRASHED, traceback="ZeroDivisionError"),
        Verdict(status=VerdictStatus.FAILED, tests=[
            _failing("assert f() == 1", Outcome.ERROR, exception_type="KeyError"),
            _failing("assert f() == 2", exception_type="MemoryError"),
        ]),
    ],
)
def test_no_lesson_evidence_without_a_failed_assertion_in_the_feedback(verdict: Verdict) -> None:
    assert lesson_evidence(verdict, limit=200) is None
