"""Turn a `Verdict` into the short natural-language feedback the actor reads next.

The wording lives here, in one place: these strings go straight into a model's prompt.
"""

from __future__ import annotations

import re

from agentloop._verdict import TestOutcome, TestResult, Verdict, VerdictStatus

__all__ = ["feedback_for"]

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


def _describe(test: TestResult, timeout_s: float) -> str:
    head = f"`{test.source.strip().splitlines()[0] if test.source.strip() else test.name}`"
    if test.outcome is TestOutcome.UNSUPPORTED_VALUE:
        return f"- {head}: {unsupported_value_feedback(_unsupported_type(test))}"
    if test.outcome is TestOutcome.TIMEOUT:
        return f"- {head} timed out (over {timeout_s:g}s: an infinite loop, or far too slow)"
    if test.exception_type == "MemoryError":
        return f"- {head} ran out of memory"
    if test.outcome is TestOutcome.FAILED:
        if test.actual is not None:
            detail = f"got {test.actual}, expected {test.expected}"
        else:
            detail = "the assertion did not hold"
        if test.message:
            detail += f" ({test.message})"
        return f"- {head} failed: {detail}"
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
