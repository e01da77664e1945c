"""Turn a `Verdict` into the short natural-language feedback the actor reads next.

The wording lives here, in one place: these strings go straight into a model's prompt.
"""

from __future__ import annotations

import re

from agentloop._verdict import TestOutcome, TestResult, Verdict, VerdictStatus

__all__ = ["feedback_for", "lesson_evidence"]

_MAX_FAILURES_SHOWN = 5
_MAX_CHARS = 2000

PLAIN_DATA = "numbers, strings, lists, tuples, dicts, sets"
"""What a checked function may return: values that cross to the trusted checker as data."""

_HEADLINES = {
    VerdictStatus.SYNTAX_ERROR: "The code does not parse:",
    VerdictStatus.MISSING_ENTRY_POINT: "The code does not define the required function:",
    VerdictStatus.CRASHED: "The code crashed before any test could run:",
    VerdictStatus.SANDBOX_ERROR: (
        "The code could not be run (a problem with the sandbox, not the code)."
    ),
}

# Verdicts that checked nothing: said first and plainly, since none of them is a pass.
_NOT_VERIFIED = {
    VerdictStatus.NO_TESTS: (
        "Not verified: no test ran (the tests are empty, or none of them could run), so "
        "nothing is known about the code."
    ),
    VerdictStatus.SETUP_ERROR: (
        "Not verified: the tests themselves failed to set up (an import or a helper in the "
        "tests raised), so the code was not checked. Fix the tests:"
    ),
    VerdictStatus.VERIFIER_ERROR: (
        "Not verified: the test run's report was missing or malformed, so nothing is known "
        "about the code. Code must not exit the process, write to the test harness's "
        "streams or files, or replace builtins."
    ),
}

_UNSUPPORTED = re.compile(r"^returned (?P<type>.+?), which cannot be checked")


def unsupported_value_feedback(type_name: str) -> str:
    """What the actor is told when its function returned a value the checker cannot read."""
    return (
        f"your function returned an object of type {type_name} that cannot be checked; "
        f"return plain data ({PLAIN_DATA})"
    )


def _unsupported_type(test: TestResult) -> str:
    if test.message and (match := _UNSUPPORTED.match(test.message)):
        return match["type"]
    return test.actual or "an unknown type"


def _head(test: TestResult) -> str:
    """How a test is named to the model: its source's first line, else its name."""
    return test.source.strip().splitlines()[0] if test.source.strip() else test.name


def _failed_assertion(test: TestResult) -> str | None:
    """What a failed assertion showed ("got X, expected Y", and its message); None when the test
    failed another way (it raised, timed out, ran out of memory or returned what cannot be
    checked)."""
    if test.outcome is not TestOutcome.FAILED or test.exception_type == "MemoryError":
        return None
    if test.actual is not None:
        detail = f"got {test.actual}, expected {test.expected}"
    else:
        detail = "the assertion did not hold"
    if test.message:
        detail += f" ({test.message})"
    return detail


def _describe(test: TestResult, timeout_s: float) -> str:
    head = f"`{_head(test)}`"
    if test.outcome is TestOutcome.UNSUPPORTED_VALUE:
        return f"- {head}: {unsupported_value_feedback(_unsupported_type(test))}"
    if test.outcome is TestOutcome.TIMEOUT:
        return f"- {head} timed out (over {timeout_s:g}s: an infinite loop, or far too slow)"
    if (detail := _failed_assertion(test)) is not None:
        return f"- {head} failed: {detail}"
    if test.exception_type == "MemoryError":
        return f"- {head} ran out of memory"
    message = f": {test.message}" if test.message else ""
    return f"- {head} raised {test.exception_type}{message}"


def feedback_for(verdict: Verdict, test_timeout_s: float) -> str:
    """A concise summary of what went wrong (or that everything passed)."""
    status = verdict.status
    if status is VerdictStatus.PASSED:
        count = len(verdict.tests)
        # A pass of no test verified nothing: it never reads as a success.
        return f"All {count} tests passed." if count else _NOT_VERIFIED[VerdictStatus.NO_TESTS]
    if status in _NOT_VERIFIED:
        text = _NOT_VERIFIED[status]
        if verdict.traceback:
            text += "\n" + verdict.traceback.strip()
        return text[:_MAX_CHARS]
    if not verdict.tests:
        if status is VerdictStatus.TIMEOUT:
            text = (
                "The code did not finish loading in time: top-level code runs forever "
                "(an infinite loop or blocking call outside any function?)."
            )
        elif status is VerdictStatus.OUT_OF_MEMORY:
            text = "The code ran out of memory while loading."
        else:
            text = _HEADLINES.get(status, f"The code failed ({status.value}).")
        if verdict.traceback:
            text += "\n" + verdict.traceback.strip()
        return text[:_MAX_CHARS]
    failed = [t for t in verdict.tests if not t.passed]
    lines = [f"Passed {len(verdict.tests) - len(failed)} of {len(verdict.tests)} tests."]
    lines += [_describe(t, test_timeout_s) for t in failed[:_MAX_FAILURES_SHOWN]]
    if len(failed) > _MAX_FAILURES_SHOWN:
        lines.append(f"- ... and {len(failed) - _MAX_FAILURES_SHOWN} more failing tests")
    if verdict.traceback:
        lines.append("First error:\n" + verdict.traceback.strip())
    return "\n".join(lines)[:_MAX_CHARS]


def lesson_evidence(verdict: Verdict, *, limit: int) -> str | None:
    """The failed assertions that `feedback_for` shows the actor, as evidence to store with a
    lesson: each test's expected and actual (a test function by its assertion's message alone,
    which already says the call, what it did and what was expected), one `; `-joined line cut
    to `limit` characters. None when no assertion failed (a pass, a crash, only errors raised).

    Read from the results, not the prose: a failure whose message spans lines, whose test's
    first line holds a backtick, or whose line the feedback's length cap cut is kept whole.
    """
    if verdict.status is VerdictStatus.PASSED or verdict.status in _NOT_VERIFIED:
        return None  # the feedback lists no failing test
    pieces: list[str] = []
    for test in [t for t in verdict.tests if not t.passed][:_MAX_FAILURES_SHOWN]:
        detail = _failed_assertion(test)
        if detail is None:
            continue
        why = test.message if test.actual is None and test.message else detail.strip()
        head = _head(test).strip()
        pieces.append(why if head.startswith("def ") else f"{head}: {why}")
    if not pieces:
        return None
    text = " ".join("; ".join(pieces).split())
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."
