"""`PythonTestVerifier`: run a candidate against tests in a sandbox and return a `Verdict`."""

from __future__ import annotations

import json
import secrets
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from agentloop._registry import resolve
from agentloop._verdict import TestOutcome, TestResult, Verdict, VerdictStatus
from agentloop.errors import SandboxError
from agentloop.sandbox._feedback import feedback_for
from agentloop.sandbox._protocol import ExecResult, Sandbox, SandboxLimits, StopReason
from agentloop.sandbox._tests import TestPlan, TestStyle, plan_tests

__all__ = ["PythonTestVerifier"]

_HARNESS = (Path(__file__).parent / "_harness.py").read_text()
_OUTPUT_LIMIT = 4000
_EXIT_MEMORY = 251  # the runner's exit status for an uncaught MemoryError


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
        tests = self.plan.tests
        results: dict[int, TestResult] = {}
        tracebacks: dict[int, str] = {}
        output: dict[str, Any] = {"stdout": "", "stderr": ""}
        try:
            async with self._new_sandbox() as sandbox:
                remaining = list(range(len(tests)))
                while True:
                    records, run = await self._run_harness(sandbox, candidate, remaining)
                    early = self._early_verdict(records, run)
                    if early is not None:
                        return self._finish(early, started, records, run)
                    for record in records:
                        if record["event"] == "result":
                            results[record["index"]] = _test_result(tests[record["index"]], record)
                            if record.get("traceback"):
                                tracebacks[record["index"]] = record["traceback"]
                        elif record["event"] == "output":
                            output = record
                    if any(r["event"] == "done" for r in records):
                        break
                    # The run ended mid-test (a hang the timer could not stop, a crash, memory):
                    # blame the test it was in and run the rest in a fresh process.
                    started_tests = [r["index"] for r in records if r["event"] == "start"]
                    if not started_tests:
                        return self._finish(_crash(run), started, records, run)
                    culprit = started_tests[-1]
                    if culprit not in results:
                        results[culprit] = _died_in_test(tests[culprit], run)
                    remaining = [i for i in remaining if i not in results]
                    if not remaining:
                        break
        except SandboxError as exc:
            return Verdict(
                status=VerdictStatus.SANDBOX_ERROR,
                duration_s=time.perf_counter() - started,
                feedback=f"The code could not be run (sandbox error: {exc}).",
            )
        ordered = [results[i] for i in range(len(tests))]
        passed = sum(r.passed for r in ordered)
        score = passed / len(ordered) if ordered else 1.0
        if passed == len(ordered):
            status = VerdictStatus.PASSED
        elif any(r.outcome is TestOutcome.TIMEOUT for r in ordered):
            status = VerdictStatus.TIMEOUT
        elif any(r.exception_type == "MemoryError" for r in ordered):
            status = VerdictStatus.OUT_OF_MEMORY
        elif any(r.exception_type == "Crash" for r in ordered):
            status = VerdictStatus.CRASHED
        else:
            status = VerdictStatus.FAILED
        first_bad = next((i for i, r in enumerate(ordered) if not r.passed), None)
        traceback = tracebacks.get(first_bad) if first_bad is not None else None
        verdict = Verdict(
            status=status,
            score=score,
            tests=ordered,
            traceback=traceback,
            stdout=output.get("stdout", ""),
            stderr=output.get("stderr", ""),
            duration_s=time.perf_counter() - started,
        )
        return verdict.model_copy(update={"feedback": feedback_for(verdict, self.test_timeout_s)})

    async def _run_harness(
        self, sandbox: Sandbox, candidate: str, run: list[int]
    ) -> tuple[list[dict[str, Any]], ExecResult]:
        nonce = secrets.token_hex(8)
        payload = {
            "nonce": nonce,
            "candidate": candidate,
            "entry_point": self.entry_point,
            "steps": self.plan.payload(),
            "run": run,
            "test_timeout": self.test_timeout_s,
            "load_timeout": self.load_timeout_s,
            "output_limit": _OUTPUT_LIMIT,
        }
        # Each test has its own timer inside; this outer limit only catches what the timer can't.
        wall = self.load_timeout_s + self.test_timeout_s * len(run) + 2.0
        result = await sandbox.run_python(_HARNESS, input=json.dumps(payload), timeout=wall)
        records = []
        for line in result.stdout.splitlines():
            if line.startswith(nonce):
                try:
                    records.append(json.loads(line[len(nonce) :]))
                except json.JSONDecodeError:
                    continue  # a record cut by the output cap
        return records, result

    def _early_verdict(self, records: list[dict[str, Any]], run: ExecResult) -> Verdict | None:
        """The verdicts decided before any test runs: syntax, loading, entry point."""
        for record in records:
            event = record["event"]
            if event == "syntax_error":
                where = f"line {record['lineno']}: " if record.get("lineno") else ""
                text = (record.get("text") or "").rstrip()
                return Verdict(
                    status=VerdictStatus.SYNTAX_ERROR,
                    traceback=f"SyntaxError: {where}{record['message']}"
                    + (f"\n    {text}" if text else ""),
                )
            if event == "load_timeout":
                return Verdict(status=VerdictStatus.TIMEOUT, traceback=None)
            if event == "load_error":
                status = VerdictStatus.OUT_OF_MEMORY if record["memory"] else VerdictStatus.CRASHED
                return Verdict(status=status, traceback=record["traceback"])
            if event == "missing_entry_point":
                defined = ", ".join(record["defined"]) or "nothing callable"
                return Verdict(
                    status=VerdictStatus.MISSING_ENTRY_POINT,
                    traceback=f"`{record['name']}` is not defined (the code defines: {defined})",
                )
        loaded = any(r["event"] == "load" for r in records)
        if loaded and not any(r["event"] in ("start", "output", "done") for r in records):
            # Died while loading, past the in-process timer: the sandbox's limits stopped it.
            return _crash(run)
        if not loaded:
            return _crash(run)
        return None

    def _finish(
        self, verdict: Verdict, started: float, records: list[dict[str, Any]], run: ExecResult
    ) -> Verdict:
        output = next((r for r in records if r["event"] == "output"), None)
        stdout = output["stdout"] if output else run.stdout[:_OUTPUT_LIMIT]
        stderr = output["stderr"] if output else run.stderr[-_OUTPUT_LIMIT:]
        verdict = verdict.model_copy(
            update={
                "score": 0.0,
                "tests": [],
                "stdout": stdout,
                "stderr": stderr,
                "duration_s": time.perf_counter() - started,
            }
        )
        return verdict.model_copy(update={"feedback": feedback_for(verdict, self.test_timeout_s)})


def _test_result(step: Any, record: dict[str, Any]) -> TestResult:
    return TestResult(
        name=step.name,
        source=step.source,
        outcome=TestOutcome(record["outcome"]),
        expected=record.get("expected"),
        actual=record.get("actual"),
        exception_type=record.get("exception_type"),
        message=record.get("message"),
        duration_s=record.get("duration_s", 0.0),
    )


def _died_in_test(step: Any, run: ExecResult) -> TestResult:
    """The result for a test during which the whole process was stopped from outside."""
    if run.stop_reason is StopReason.TIMEOUT:
        outcome, kind, message = TestOutcome.TIMEOUT, None, "did not finish in time"
    elif run.stop_reason is StopReason.MEMORY or run.exit_code == _EXIT_MEMORY:
        outcome, kind, message = TestOutcome.ERROR, "MemoryError", "ran out of memory"
    elif run.stop_reason is StopReason.OUTPUT_LIMIT:
        outcome, kind, message = TestOutcome.ERROR, "OutputLimit", "printed too much output"
    elif run.signal is not None:
        outcome, kind = TestOutcome.ERROR, "Crash"
        message = f"the process was killed by {_signal_name(run.signal)}"
    else:
        outcome, kind = TestOutcome.ERROR, "Crash"
        message = f"the process exited with status {run.exit_code}"
    return TestResult(
        name=step.name, source=step.source, outcome=outcome, exception_type=kind, message=message
    )


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def _crash(run: ExecResult) -> Verdict:
    """A verdict for a run that died outside any test."""
    if run.stop_reason is StopReason.TIMEOUT:
        return Verdict(status=VerdictStatus.TIMEOUT)
    if run.stop_reason is StopReason.MEMORY or run.exit_code == _EXIT_MEMORY:
        return Verdict(status=VerdictStatus.OUT_OF_MEMORY)
    detail = run.stderr.strip().splitlines()[-1:] or [f"exit status {run.exit_code}"]
    if run.signal is not None:
        detail = [f"the process was killed by {_signal_name(run.signal)}"]
    if run.stop_reason is StopReason.OUTPUT_LIMIT:
        detail = ["it printed more output than allowed"]
    return Verdict(status=VerdictStatus.CRASHED, traceback=detail[0])
