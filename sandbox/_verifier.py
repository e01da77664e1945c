"""`PythonTestVerifier`: run a candidate against tests in a sandbox and return a `Verdict`.

Nothing that decides the verdict runs where the candidate runs. Inside the sandbox, the test
driver (`_test_driver.py`, trusted) runs the tests, holds the expected values, compares and
reports; the candidate lives in its own process (`_candidate_process.py`), a fresh interpreter
that never held any of that, and answers calls with plain data. Here on the host the report is
read strictly (`_report.py`): whatever cannot be read as the driver's report is a
`verifier_error`, and a run in which no test ran is `no_tests`; neither is ever a pass.
"""

from __future__ import annotations

import json
import re
import signal
import time
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Literal

from agentloop._registry import resolve
from agentloop._verdict import TestOutcome, TestResult, Verdict, VerdictStatus
from agentloop.errors import SandboxError
from agentloop.sandbox._candidate_process import EXIT_MEMORY
from agentloop.sandbox._episode import prepare_program
from agentloop.sandbox._feedback import feedback_for
from agentloop.sandbox._protocol import ExecResult, ExecStopReason, Sandbox, SandboxLimits
from agentloop.sandbox._report import (
    DriverReport,
    LoadError,
    LoadTimeout,
    MissingEntryPoint,
    ReportError,
    Result,
    SyntaxErrorRecord,
    parse_report,
)
from agentloop.sandbox._tests import TestPlan, TestStep, TestStyle, plan_tests

__all__ = ["PythonTestVerifier", "driver_program"]

_OUTPUT_LIMIT = 4000
_OUR_IMPORT = re.compile(
    r"^from agentloop\.sandbox\._\w+ import (?:\((?s:.*?)^\)|[^\n]*)$", re.MULTILINE
)
_MAIN_BLOCK = re.compile(r'^if __name__ == "__main__":.*(?:\n(?:    .*)?)*\Z', re.MULTILINE)


@cache
def _program(name: str) -> str:
    """A sandbox program with what it imports of ours spliced in ahead of it.

    The test driver embeds the candidate process's code (it forks it early); both embed the
    plain-data codec. Only the program itself keeps its `if __name__ == "__main__":` block.
    """
    here = Path(__file__).parent
    parts = ["_plain_data.py", *(["_candidate_process.py"] if name == "_test_driver.py" else [])]
    pieces = [_MAIN_BLOCK.sub("", (here / part).read_text()) for part in parts]
    pieces.append((here / name).read_text())
    first, *rest = pieces
    # The codec's `from __future__` import leads the whole program; the others would be errors.
    rest = [_OUR_IMPORT.sub("", piece.replace("from __future__ import annotations\n", "", 1))
            for piece in rest]
    return "\n\n".join([first, *rest])


def driver_program() -> str:
    """The test driver's source, as the sandbox runs it."""
    return _program("_test_driver.py")


prepare_program(driver_program())  # run once per verification: backends may prepare it


class PythonTestVerifier:
    """Runs a Python candidate against tests, one test at a time, in a fresh sandbox episode.

    `tests` may be assert lines, a HumanEval-style `def check(candidate)` (give `entry_point`),
    or pytest-style `def test_*()` functions; each assert of `check` counts as its own test so
    that the score is the fraction passed. Tests are the task's, never the model's: they are
    parsed on the host, while the candidate only ever runs inside the sandbox.
    """

    def __init__(
        self,
        tests: str,
        *,
        entry_point: str | None = None,
        style: TestStyle = "auto",
        sandbox: str | Callable[[], Sandbox] = "local",
        limits: SandboxLimits | None = None,
        test_timeout_s: float = 5.0,
        load_timeout_s: float = 5.0,
    ) -> None:
        """
        Args:
            tests: the test source.
            entry_point: the function the tests call; a candidate without it gets its own verdict.
            style: "auto" (detect), "asserts", "check" or "pytest".
            sandbox: a backend name from the registry ("local", "docker") or a factory.
            limits: resource limits for the sandbox (when `sandbox` is a name).
            test_timeout_s: how long one test may run before it is reported as a timeout.
            load_timeout_s: how long the candidate's top-level code may run.
        """
        self.plan: TestPlan = plan_tests(tests, entry_point=entry_point, style=style)
        self.entry_point = entry_point
        self.limits = limits or SandboxLimits()
        self.test_timeout_s = test_timeout_s
        self.load_timeout_s = load_timeout_s
        self._sandbox = sandbox

    def _new_sandbox(self) -> Sandbox:
        if callable(self._sandbox):
            return self._sandbox()
        backend = resolve("sandbox", self._sandbox)
        sandbox: Sandbox = backend(limits=self.limits)
        return sandbox

    async def verify(self, candidate: str) -> Verdict:
        started = time.perf_counter()
        try:
            async with self._new_sandbox() as sandbox:
                run = await self._run_driver(sandbox, candidate)
        except SandboxError as exc:
            return Verdict(
                status=VerdictStatus.SANDBOX_ERROR,
                duration_s=time.perf_counter() - started,
                feedback=f"The code could not be run (sandbox error: {exc}).",
            )
        try:
            report = parse_report(run.stdout, tests=len(self.plan.tests))
        except ReportError as exc:
            verdict = Verdict(status=VerdictStatus.VERIFIER_ERROR, traceback=str(exc))
        else:
            verdict = self._verdict(report, run)
        verdict = verdict.model_copy(update={"duration_s": time.perf_counter() - started})
        return verdict.model_copy(update={"feedback": feedback_for(verdict, self.test_timeout_s)})

    async def _run_driver(self, sandbox: Sandbox, candidate: str) -> ExecResult:
        payload = {
            "candidate": candidate,
            "candidate_program": _program("_candidate_process.py"),
            "entry_point": self.entry_point,
            "steps": self.plan.payload(),
            "test_timeout": self.test_timeout_s,
            "load_timeout": self.load_timeout_s,
            "output_limit": _OUTPUT_LIMIT,
        }
        # Each test has its own timer in the driver; this outer limit only catches what it can't
        # (a restart of the candidate's process per test that timed out is included).
        tests = len(self.plan.tests)
        wall = self.load_timeout_s * 2 + (self.test_timeout_s + 0.5) * (tests + 1) + 5.0
        return await sandbox.run_python(driver_program(), input=json.dumps(payload), timeout=wall)

    def _verdict(self, report: DriverReport, run: ExecResult) -> Verdict:
        """The verdict from a well-formed report (complete, or cut short by the sandbox)."""
        output = report.output
        stdout = output.stdout if output else ""
        stderr = output.stderr if output else ""
        load = report.load
        if load is None:
            return _stopped(run) or Verdict(
                status=VerdictStatus.VERIFIER_ERROR, traceback="the test driver reported nothing"
            )
        early = _early_verdict(load)
        if early is not None:
            return early.model_copy(update={"stdout": stdout, "stderr": stderr})
        tests = self.plan.tests
        results = [_test_result(tests[r.index], r) for r in report.results]
        if report.setup_error is not None:
            error = report.setup_error
            if not error.from_candidate:
                return Verdict(
                    status=VerdictStatus.SETUP_ERROR,
                    tests=results,
                    traceback=f"{error.source.strip()}\n{error.exception_type}: {error.message}",
                    stdout=stdout,
                    stderr=stderr,
                )
            # The candidate raised inside a setup line: the tests after it could not run.
            results += [
                TestResult(
                    name=step.name, source=step.source, outcome=TestOutcome.ERROR,
                    exception_type=error.exception_type,
                    message=f"not run: `{error.source.strip()}` raised {error.exception_type} "
                    f"in your code: {error.message}",
                )
                for step in tests[len(results) :]
            ]
        elif not report.complete:
            stopped = _stopped(run)
            if stopped is None or stopped.status is VerdictStatus.VERIFIER_ERROR:
                return Verdict(status=VerdictStatus.VERIFIER_ERROR, traceback=_ended_early(run))
            # The sandbox stopped the driver (time, memory): the test it was in, and the rest,
            # are blamed on that; nothing is counted as passed that was not reported so.
            results += [
                _stopped_test(step, run) for step in tests[len(results) :]
            ]
        if not results:
            return Verdict(status=VerdictStatus.NO_TESTS, stdout=stdout, stderr=stderr)
        passed = sum(r.passed for r in results)
        first_bad = next((r for r in report.results if r.outcome != "passed"), None)
        return Verdict(
            status=_status(results),
            score=passed / len(results),
            tests=results,
            traceback=first_bad.traceback if first_bad is not None else None,
            stdout=stdout,
            stderr=stderr,
        )


def _status(results: list[TestResult]) -> VerdictStatus:
    if all(r.passed for r in results):
        return VerdictStatus.PASSED
    outcomes = {r.outcome for r in results}
    if TestOutcome.TIMEOUT in outcomes:
        return VerdictStatus.TIMEOUT
    if any(r.exception_type == "MemoryError" for r in results):
        return VerdictStatus.OUT_OF_MEMORY
    if TestOutcome.UNSUPPORTED_VALUE in outcomes:
        return VerdictStatus.UNSUPPORTED_VALUE
    if any(r.exception_type == "Crash" for r in results):
        return VerdictStatus.CRASHED
    return VerdictStatus.FAILED


def _early_verdict(load: object) -> Verdict | None:
    """The verdicts decided before any test runs: syntax, loading, entry point."""
    if isinstance(load, SyntaxErrorRecord):
        where = f"line {load.lineno}: " if load.lineno else ""
        text = load.text.rstrip()
        return Verdict(
            status=VerdictStatus.SYNTAX_ERROR,
            traceback=f"SyntaxError: {where}{load.message}" + (f"\n    {text}" if text else ""),
        )
    if isinstance(load, LoadTimeout):
        return Verdict(status=VerdictStatus.TIMEOUT)
    if isinstance(load, LoadError):
        status = VerdictStatus.OUT_OF_MEMORY if load.memory else VerdictStatus.CRASHED
        return Verdict(status=status, traceback=load.traceback or f"{load.message}")
    if isinstance(load, MissingEntryPoint):
        defined = ", ".join(load.defined) or "nothing callable"
        return Verdict(
            status=VerdictStatus.MISSING_ENTRY_POINT,
            traceback=f"`{load.name}` is not defined (the code defines: {defined})",
        )
    return None


def _outside_stop(run: ExecResult) -> Literal["timeout", "memory"] | None:
    """Whether the sandbox stopped the driver from outside: for time, for memory, or not."""
    if run.stop_reason is ExecStopReason.TIMEOUT:
        return "timeout"
    if run.stop_reason is ExecStopReason.MEMORY or run.exit_code == EXIT_MEMORY:
        return "memory"
    return None


def _stopped(run: ExecResult) -> Verdict | None:
    """The verdict for a driver the sandbox stopped before it could report; None if it wasn't."""
    stop = _outside_stop(run)
    if stop == "timeout":
        return Verdict(status=VerdictStatus.TIMEOUT)
    if stop == "memory":
        return Verdict(status=VerdictStatus.OUT_OF_MEMORY)
    if run.stop_reason is ExecStopReason.NONE and run.exit_code == 0:
        return None
    return Verdict(status=VerdictStatus.VERIFIER_ERROR, traceback=_ended_early(run))


def _ended_early(run: ExecResult) -> str:
    how = (
        f"was killed by {_signal_name(run.signal)}" if run.signal is not None
        else f"stopped ({run.stop_reason.value})" if run.stop_reason is not ExecStopReason.NONE
        else f"exited with status {run.exit_code}"
    )
    detail = run.stderr.strip().splitlines()[-1:] if run.stderr.strip() else []
    return f"the test driver {how} before finishing its report" + (
        f": {detail[0][:300]}" if detail else ""
    )


def _stopped_test(step: TestStep, run: ExecResult) -> TestResult:
    """The result for a test during which the whole driver was stopped from outside."""
    stop = _outside_stop(run)
    if stop == "timeout":
        outcome, kind, message = TestOutcome.TIMEOUT, None, "did not finish in time"
    elif stop == "memory":
        outcome, kind, message = TestOutcome.ERROR, "MemoryError", "ran out of memory"
    else:
        outcome, kind, message = TestOutcome.ERROR, "Crash", _ended_early(run)
    return TestResult(
        name=step.name, source=step.source, outcome=outcome, exception_type=kind, message=message
    )


def _test_result(step: TestStep, record: Result) -> TestResult:
    return TestResult(
        name=step.name,
        source=step.source,
        outcome=TestOutcome(record.outcome),
        expected=record.expected,
        actual=record.actual,
        exception_type="MemoryError" if record.memory else record.exception_type,
        message=record.message,
        duration_s=record.duration_s,
    )


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"
