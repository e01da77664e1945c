"""Verifiers for a task: built per task from its tests, or from a plain function."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from agentloop._verdict import Verdict, VerdictStatus, Verifier
from agentloop.roles._adapt import resolve
from agentloop.roles._task import Task

__all__ = ["FunctionVerifier", "VerifierFactory", "sandbox_verifier", "verifier_factory"]

VerifierFactory = Callable[[Task, Sequence[str]], Verifier]
"""Builds the verifier for a task and the tests it should run (visible or self-written)."""

VerifyFunction = Callable[[str], bool | float | Verdict | Awaitable[bool | float | Verdict]]


class FunctionVerifier:
    """A verifier from a plain function of the candidate: a pass flag, a score in [0, 1]
    (1 passes) or a full `Verdict`."""

    def __init__(self, fn: VerifyFunction) -> None:
        self.fn = fn

    async def verify(self, candidate: str) -> Verdict:
        result: bool | float | Verdict = await resolve(self.fn(candidate))
        if isinstance(result, Verdict):
            return result
        score = float(result)
        passed = score >= 1.0
        return Verdict(
            status=VerdictStatus.PASSED if passed else VerdictStatus.FAILED,
            score=score,
            feedback="All checks passed." if passed else "That is not right.",
        )


def sandbox_verifier(task: Task, tests: Sequence[str]) -> Verifier:
    """The default: the task's tests run in the local sandbox."""
    # Imported here: the sandbox is a pillar, and the core imports none at import time.
    from agentloop.sandbox import PythonTestVerifier

    # Each assert line of the joined source counts as one test of the pass fraction.
    verifier: Verifier = PythonTestVerifier("\n".join(tests), entry_point=task.entry_point)
    return verifier


def verifier_factory(verifier: Verifier | VerifierFactory | None) -> VerifierFactory:
    """A factory from what the user gave: a fixed verifier, a factory, or None for the sandbox."""
    if verifier is None:
        return sandbox_verifier
    if isinstance(verifier, Verifier):
        fixed = verifier
        return lambda task, tests: fixed
    return verifier
