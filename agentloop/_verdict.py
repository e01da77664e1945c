"""Ground truth from execution: a verifier runs a candidate and returns a `Verdict`."""

from __future__ import annotations

from enum import StrEnum
from typing import Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["TestOutcome", "TestResult", "Verdict", "VerdictStatus", "Verifier"]


class VerdictStatus(StrEnum):
    """Why a candidate passed or failed, each failure kind distinct."""

    PASSED = "passed"
    FAILED = "failed"
    """It ran, and at least one test failed."""
    SYNTAX_ERROR = "syntax_error"
    MISSING_ENTRY_POINT = "missing_entry_point"
    TIMEOUT = "timeout"
    CRASHED = "crashed"
    """The program died outside any test (an exception at import, a signal)."""
    OUT_OF_MEMORY = "out_of_memory"
    UNSUPPORTED_VALUE = "unsupported_value"
    """A value the candidate returned could not cross to the trusted checker as plain data
    (an object of its own class, a generator, a subclass of a builtin type): it was not checked."""
    NO_TESTS = "no_tests"
    """Nothing was verified: the tests were empty, or none of them ran. Never a pass."""
    SETUP_ERROR = "setup_error"
    """The tests themselves failed to set up (an import or a helper raised): fix the tests."""
    SANDBOX_ERROR = "sandbox_error"
    """The sandbox itself failed; says nothing about the candidate."""
    VERIFIER_ERROR = "verifier_error"
    """The trusted checker's report was missing, malformed or out of order; nothing is known."""

    @property
    def verified(self) -> bool:
        """Whether the candidate was checked against at least one test (pass or fail)."""
        return self not in _UNVERIFIED


_UNVERIFIED = frozenset(
    {
        VerdictStatus.NO_TESTS,
        VerdictStatus.SETUP_ERROR,
        VerdictStatus.SANDBOX_ERROR,
        VerdictStatus.VERIFIER_ERROR,
    }
)


class TestOutcome(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    """An assertion did not hold."""
    ERROR = "error"
    """The test raised something other than AssertionError."""
    TIMEOUT = "timeout"
    UNSUPPORTED_VALUE = "unsupported_value"
    """The candidate returned something that cannot cross to the checker as plain data."""


class TestResult(BaseModel):
    """One test's result."""

    model_config = ConfigDict(frozen=True)
    __test__ = False  # not a pytest class

    name: str
    source: str
    outcome: TestOutcome
    expected: str | None = None
    actual: str | None = None
    exception_type: str | None = None
    message: str | None = None
    duration_s: float = 0.0

    @property
    def passed(self) -> bool:
        return self.outcome is TestOutcome.PASSED


class Verdict(BaseModel):
    """What running a candidate against tests showed, and feedback ready for the actor."""

    model_config = ConfigDict(frozen=True)

    status: VerdictStatus
    score: float = 0.0
    """Fraction of tests passed, in [0, 1]."""
    tests: list[TestResult] = Field(default_factory=list)
    traceback: str | None = None
    """Trimmed to the candidate's own lines."""
    stdout: str = ""
    stderr: str = ""
    duration_s: float = 0.0
    feedback: str = ""
    """A concise natural-language summary to put in the actor's next prompt."""

    @property
    def passed(self) -> bool:
        return self.status is VerdictStatus.PASSED


@runtime_checkable
class Verifier(Protocol):
    """Runs a candidate and says how good it is, by execution."""

    async def verify(self, candidate: str) -> Verdict: ...
