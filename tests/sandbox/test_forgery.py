"""Forgery conformance: a wrong candidate is never reported as passing, on every sandbox backend.

The attacks (in `forgery_cases.py`) reach for the checker from the candidate's side: its state in
a shared interpreter, objects that lie about equality, the expected values, the checker's
process itself. Each must end as an ordinary verdict for a wrong answer, whose score counts
only the tests the candidate answered honestly. The honest candidates beside them must pass: a
defence that fails correct code is no defence.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from agentloop import Verdict, VerdictStatus
from agentloop.sandbox import PythonTestVerifier, Sandbox
from tests.sandbox.forgery_cases import FORGERIES, HONEST, Case

pytestmark = pytest.mark.anyio


def _verifier(case: Case, make_sandbox: Callable[[], Sandbox]) -> PythonTestVerifier:
    return PythonTestVerifier(
        case.suite.tests,
        entry_point=case.suite.entry_point,
        sandbox=make_sandbox,
        test_timeout_s=case.test_timeout_s,
        load_timeout_s=case.load_timeout_s,
    )


def _summary(verdict: Verdict) -> str:
    tests = ", ".join(
        f"{t.name}={t.outcome.value}" + (f"({t.exception_type}: {t.message})" if t.message else "")
        for t in verdict.tests
    )
    return f"{verdict.status.value} score={verdict.score:.2f} [{tests}] {verdict.traceback or ''}"


# On Docker the candidate runs as the same uid as the test driver and the `timeout` wrapper that
# holds the report pipe, and the driver is not pid 1 of a namespace of its own: a candidate can
# stop the driver or write into that pipe. It still cannot pass (the report is read strictly),
# but the verdict is then `verifier_error` ("nothing is known"), not a verdict on the candidate.
# The local backend puts the driver out of reach, so there the stricter rule holds.
_REACHABLE_CHECKER = {"docker": {"starve.signal_the_checker", "starve.fake_report_into_other"}}


def _allowed(case: Case, request: pytest.FixtureRequest) -> frozenset[VerdictStatus]:
    backend = request.node.callspec.params.get("make_sandbox", "local")
    if case.id.startswith(tuple(_REACHABLE_CHECKER.get(backend, ()))):
        return case.allowed | {VerdictStatus.VERIFIER_ERROR}
    return case.allowed


@pytest.mark.parametrize("case", FORGERIES, ids=[case.id for case in FORGERIES])
async def test_wrong_candidate_is_not_passed(
    case: Case, make_sandbox: Callable[[], Sandbox], request: pytest.FixtureRequest
) -> None:
    verdict = await _verifier(case, make_sandbox).verify(case.candidate)
    assert not verdict.passed, f"forged: {_summary(verdict)}"
    assert verdict.status in _allowed(case, request), _summary(verdict)
    assert verdict.score <= case.max_score + 1e-9, f"score inflated: {_summary(verdict)}"
    assert len(verdict.tests) in (0, case.suite.n_tests), _summary(verdict)


@pytest.mark.parametrize("case", HONEST, ids=[case.id for case in HONEST])
async def test_honest_candidate_passes(case: Case, make_sandbox: Callable[[], Sandbox]) -> None:
    verdict = await _verifier(case, make_sandbox).verify(case.candidate)
    assert verdict.status is VerdictStatus.PASSED, _summary(verdict)
    assert verdict.score == 1.0
    assert [t.passed for t in verdict.tests] == [True] * case.suite.n_tests
    if "prints_a_lot" in case.id:
        assert verdict.stdout.startswith("loading xxx"), verdict.stdout[:100]
