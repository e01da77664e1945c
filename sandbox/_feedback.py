"""Turn a `Verdict` into the short natural-language feedback the actor reads next.

The wording lives here, in one place: these strings go straight into a model's prompt.
"""

from __future__ import annotations

from agentloop._verdict import TestOutcome, TestResult, Verdict, VerdictStatus

__all__ = ["feedback_for"]

_MAX_FAILURES_SHOWN = 5
_MAX_CHARS = 2000

_HEADLINES = {
    VerdictStatus.SYNTAX_ERROR: "The code does not parse:",
    VerdictStatus.MISSING_ENTRY_POINT: "The code does not define the required function:",
    VerdictStatus.CRASHED: "The code crashed before any test could run:",
    VerdictStatus.SANDBOX_ERROR: (
        "The code could not be run (a problem with the sandbox, not the code)."
    ),
}


def _describe(test: TestResult, timeout_s: float) -> str:
    head = f"`{test.source.strip().splitlines()[0] if test.source.strip() else test.name}`"
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
        return f"All {count} tests passed." if count else "The code ran without errors (no tests)."
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
