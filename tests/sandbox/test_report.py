"""The driver's report, read strictly: a bad one is a `verifier_error`, never a crash or a pass."""

from __future__ import annotations

import json
from types import TracebackType
from typing import Any, Self

import pytest

from agentloop import VerdictStatus
from agentloop.sandbox import ExecResult, PythonTestVerifier, SandboxLimits
from agentloop.sandbox._report import ReportError, parse_report

pytestmark = pytest.mark.anyio


def report(*records: dict[str, Any]) -> str:
    return "".join(json.dumps(r) + "\n" for r in records)


LOADED = {"event": "loaded"}
OUTPUT = {"event": "output", "stdout": "", "stderr": "", "truncated": False}
DONE = {"event": "done"}


def passed(index: int) -> dict[str, Any]:
    return {"event": "result", "index": index, "outcome": "passed", "duration_s": 0.001}


def test_a_well_formed_report_is_read_whole() -> None:
    parsed = parse_report(report(LOADED, passed(0), passed(1), OUTPUT, DONE), tests=2)
    assert parsed.complete and [r.index for r in parsed.results] == [0, 1]


@pytest.mark.parametrize(
    ("text", "why"),
    [
        (report(LOADED, passed(0), OUTPUT, DONE), "reported 1 of 2 tests"),
        (report(LOADED, passed(0), passed(0), OUTPUT, DONE), "test 1 where test 2 was due"),
        (report(LOADED, passed(1), passed(0), OUTPUT, DONE), "test 2 where test 1 was due"),
        (report(LOADED, passed(0), passed(1), passed(2), OUTPUT, DONE), "of only 2"),
        (report(LOADED, passed(0), {**passed(1), "outcome": "great"}, OUTPUT, DONE), "malformed"),
        (report(LOADED, passed(0), {**passed(1), "index": "1"}, OUTPUT, DONE), "malformed"),
        (report(LOADED, passed(0), {**passed(1), "extra": 1}, OUTPUT, DONE), "malformed"),
        (report(passed(0), passed(1), OUTPUT, DONE), "before the load record"),
        (report(LOADED, passed(0), passed(1), DONE), "before its output record"),
        (report(LOADED, passed(0), passed(1), OUTPUT, DONE, DONE), "more lines follow"),
        (report(LOADED, LOADED, passed(0), passed(1), OUTPUT, DONE), "second load record"),
        ("hello\n" + report(LOADED, passed(0), passed(1), OUTPUT, DONE), "line 1"),
        (report(LOADED, passed(0), passed(1), OUTPUT) + "{}\n" + report(DONE), "malformed"),
    ],
    ids=["missing", "duplicated", "reordered", "bogus-index", "bad-outcome", "index-as-text",
         "unknown-field", "no-load", "no-output", "after-done", "two-loads", "stray-text",
         "empty-record"],
)
def test_every_deviation_is_a_report_error_with_a_reason(text: str, why: str) -> None:
    with pytest.raises(ReportError, match=why):
        parse_report(text, tests=2)


def test_a_record_cut_by_a_kill_makes_an_incomplete_report_not_an_error() -> None:
    text = report(LOADED, passed(0)) + '{"event": "res'
    parsed = parse_report(text, tests=2)
    assert not parsed.complete and len(parsed.results) == 1


class _ForgedReportSandbox:
    """A sandbox whose run prints a given report: the host must judge it, not trust it."""

    limits = SandboxLimits()
    work_dir = "/work"

    def __init__(self, stdout: str, exit_code: int = 0) -> None:
        self.result = ExecResult(exit_code=exit_code, stdout=stdout)

    async def run_python(self, source: str, **_: Any) -> ExecResult:
        return self.result

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, a: type[BaseException] | None, b: BaseException | None, c: TracebackType | None
    ) -> None:
        return None


@pytest.mark.parametrize(
    ("stdout", "exit_code", "status"),
    [
        (report(LOADED, passed(0), OUTPUT, DONE), 0, VerdictStatus.VERIFIER_ERROR),
        (report(LOADED, passed(0), passed(7), OUTPUT, DONE), 0, VerdictStatus.VERIFIER_ERROR),
        (report(LOADED, {"event": "result", "index": 0}, OUTPUT, DONE), 0,
         VerdictStatus.VERIFIER_ERROR),
        ("", 0, VerdictStatus.VERIFIER_ERROR),
        (report(LOADED, passed(0)), 0, VerdictStatus.VERIFIER_ERROR),
        (report(LOADED, passed(0)), -9, VerdictStatus.VERIFIER_ERROR),
        (report(LOADED, passed(0), passed(1), OUTPUT, DONE), 0, VerdictStatus.PASSED),
    ],
    ids=["dropped-result", "bogus-index", "missing-fields", "nothing", "no-done-exit-0",
         "killed", "well-formed"],
)
async def test_the_verifier_turns_a_bad_report_into_a_verifier_error(
    stdout: str, exit_code: int, status: VerdictStatus
) -> None:
    verifier = PythonTestVerifier(
        "assert f(1) == 1\nassert f(2) == 2\n",
        sandbox=lambda: _ForgedReportSandbox(stdout, exit_code),  # type: ignore[arg-type,return-value]
    )
    verdict = await verifier.verify("def f(x):\n    return x\n")
    assert verdict.status is status
    assert verdict.passed is (status is VerdictStatus.PASSED)
    if status is VerdictStatus.VERIFIER_ERROR:
        assert verdict.traceback and "\n" not in verdict.traceback.strip()
        assert verdict.score == 0.0 and not verdict.status.verified
