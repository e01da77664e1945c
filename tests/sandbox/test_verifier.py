"""PythonTestVerifier on the real local sandbox: one distinct verdict per way a candidate fails."""

from __future__ import annotations

import pytest

from agentloop import TestOutcome as Outcome  # aliased: pytest would collect Test*
from agentloop import VerdictStatus, Verifier
from agentloop.sandbox import PythonTestVerifier
from agentloop.sandbox._verifier import _program

pytestmark = pytest.mark.anyio

CHECK = '''
METADATA = {"author": "test"}

def check(candidate):
    assert True, "banner, not a test"
    assert candidate(1, 2) == 3
    assert candidate(2, 2) == 4
    assert candidate(0, 0) == 0
    assert candidate(-1, 1) == 0
'''


@pytest.fixture
def verifier() -> PythonTestVerifier:
    return PythonTestVerifier(CHECK, entry_point="add", test_timeout_s=1, load_timeout_s=1)


async def test_passing_candidate(verifier: PythonTestVerifier) -> None:
    assert isinstance(verifier, Verifier)
    verdict = await verifier.verify("def add(a, b):\n    print('hi')\n    return a + b\n")
    assert verdict.status is VerdictStatus.PASSED and verdict.score == 1.0
    assert len(verdict.tests) == 4  # the check's asserts, one test each; the banner is not one
    assert verdict.feedback == "All 4 tests passed."
    assert "hi" in verdict.stdout


async def test_failing_tests_are_each_reported_with_expected_and_actual(
    verifier: PythonTestVerifier,
) -> None:
    verdict = await verifier.verify("def add(a, b):\n    return a * b\n")
    assert verdict.status is VerdictStatus.FAILED
    assert verdict.score == 0.5
    first = verdict.tests[0]
    assert first.outcome is Outcome.FAILED
    assert (first.actual, first.expected) == ("2", "3")
    assert first.source == "assert candidate(1, 2) == 3"
    assert "got 2, expected 3" in verdict.feedback and "Passed 2 of 4" in verdict.feedback


async def test_an_exception_gets_a_traceback_trimmed_to_the_candidate(
    verifier: PythonTestVerifier,
) -> None:
    code = "def add(a, b):\n    if a < 0:\n        raise ValueError('negative')\n    return a + b\n"
    verdict = await verifier.verify(code)
    bad = verdict.tests[3]
    assert bad.outcome is Outcome.ERROR
    assert (bad.exception_type, bad.message) == ("ValueError", "negative")
    assert verdict.traceback is not None
    assert "line 3 of your code" in verdict.traceback
    assert "raise ValueError('negative')" in verdict.traceback
    assert "_harness" not in verdict.traceback and "<test>" not in verdict.traceback


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("def add(a, b)\n    return a + b\n", VerdictStatus.SYNTAX_ERROR),
        ("def plus(a, b):\n    return a + b\n", VerdictStatus.MISSING_ENTRY_POINT),
        ("while True:\n    pass\n", VerdictStatus.TIMEOUT),
        ("import no_such_module\n", VerdictStatus.CRASHED),
        ("x = bytearray(10**11)\n", VerdictStatus.OUT_OF_MEMORY),
    ],
    ids=["syntax", "missing-entry-point", "load-loop", "load-crash", "load-memory"],
)
async def test_each_failure_before_the_tests_has_its_own_verdict(
    verifier: PythonTestVerifier, code: str, status: VerdictStatus
) -> None:
    verdict = await verifier.verify(code)
    assert verdict.status is status
    assert verdict.score == 0.0 and verdict.feedback


async def test_a_hanging_test_times_out_alone_and_the_rest_still_run(
    verifier: PythonTestVerifier,
) -> None:
    code = "def add(a, b):\n    while a == 0:\n        pass\n    return a + b\n"
    verdict = await verifier.verify(code)
    assert verdict.status is VerdictStatus.TIMEOUT
    assert [t.outcome for t in verdict.tests] == [
        Outcome.PASSED, Outcome.PASSED, Outcome.TIMEOUT, Outcome.PASSED
    ]
    assert verdict.score == 0.75


async def test_a_test_that_disarms_the_timer_or_crashes_the_process_is_isolated(
    verifier: PythonTestVerifier,
) -> None:
    disarm = (
        "import signal\ndef add(a, b):\n    signal.setitimer(signal.ITIMER_REAL, 0)\n"
        "    while a == 2:\n        pass\n    return a + b\n"
    )
    verdict = await verifier.verify(disarm)
    assert [t.outcome for t in verdict.tests].count(Outcome.TIMEOUT) == 1
    assert verdict.score == 0.75 and verdict.duration_s < 5
    segfault = (
        "import ctypes\ndef add(a, b):\n    if a == 0:\n        ctypes.string_at(0)\n"
        "    return a + b\n"
    )
    crashed = await verifier.verify(segfault)
    assert crashed.status is VerdictStatus.CRASHED and crashed.score == 0.75
    assert "SIGSEGV" in (crashed.tests[2].message or "")


async def test_memory_in_one_test_is_out_of_memory(verifier: PythonTestVerifier) -> None:
    code = "def add(a, b):\n    if a == 2:\n        x = bytearray(10**11)\n    return a + b\n"
    verdict = await verifier.verify(code)
    assert verdict.status is VerdictStatus.OUT_OF_MEMORY
    assert verdict.tests[1].exception_type == "MemoryError" and verdict.score == 0.75


async def test_assert_lines_and_pytest_functions() -> None:
    asserts = PythonTestVerifier(
        "import math\nassert f(4) == 2\nassert f(9) == 3\nassert f(2) > 1.5\n"
    )
    verdict = await asserts.verify("import math\ndef f(x):\n    return int(math.sqrt(x))\n")
    assert [t.passed for t in verdict.tests] == [True, True, False]
    assert verdict.tests[2].actual == "1" and verdict.tests[2].expected == "> 1.5"

    pytest_style = PythonTestVerifier(
        "from solution import f\n\ndef test_small():\n    assert f(1) == 1\n\n"
        "def test_big():\n    assert f(10) == 100, 'squares'\n"
    )
    verdict = await pytest_style.verify("def f(x):\n    return x * x if x < 5 else 0\n")
    assert [t.name for t in verdict.tests] == ["test_small", "test_big"]
    assert verdict.tests[1].outcome is Outcome.FAILED
    assert verdict.tests[1].message is not None and "squares" in verdict.tests[1].message


async def test_captured_output_is_capped(verifier: PythonTestVerifier) -> None:
    verdict = await verifier.verify("def add(a, b):\n    print('x' * 100000)\n    return a + b\n")
    assert verdict.passed
    assert 0 < len(verdict.stdout) <= 4000


@pytest.mark.parametrize(
    ("tests", "status"),
    [
        ("", VerdictStatus.NO_TESTS),
        ("# only a comment\nimport math\n", VerdictStatus.NO_TESTS),
        ("import no_such_module\nassert add(1, 2) == 3\n", VerdictStatus.SETUP_ERROR),
        ("def helper():\n    return 1\nvalue = 1 / 0\nassert add(1, 2) == 3\n",
         VerdictStatus.SETUP_ERROR),
    ],
    ids=["empty", "no-asserts", "failing-import", "failing-helper"],
)
async def test_nothing_verified_is_never_a_pass(tests: str, status: VerdictStatus) -> None:
    verdict = await PythonTestVerifier(tests, entry_point="add").verify(
        "def add(a, b):\n    return a + b\n"
    )
    assert verdict.status is status
    assert not verdict.passed and not verdict.status.verified and verdict.score == 0.0
    assert verdict.feedback.startswith("Not verified")


async def test_a_candidate_raising_in_a_setup_line_fails_the_tests_after_it() -> None:
    verifier = PythonTestVerifier("x = f(3)\nassert x == 9\nassert f(2) == 4\n", entry_point="f")
    verdict = await verifier.verify("def f(n):\n    raise ValueError('no')\n")
    assert verdict.status is VerdictStatus.FAILED and verdict.score == 0.0
    assert [t.exception_type for t in verdict.tests] == ["ValueError", "ValueError"]
    assert "`x = f(3)` raised ValueError in your code" in (verdict.tests[0].message or "")


async def test_a_value_that_cannot_cross_as_data_is_its_own_verdict() -> None:
    verifier = PythonTestVerifier("assert f() == [1, 2]\n", entry_point="f")
    verdict = await verifier.verify("def f():\n    return (x for x in [1, 2])\n")
    assert verdict.status is VerdictStatus.UNSUPPORTED_VALUE and not verdict.passed
    assert verdict.tests[0].outcome is Outcome.UNSUPPORTED_VALUE
    assert "generator" in verdict.feedback and "plain data" in verdict.feedback


HONEST_TYPES = '''
def check(candidate):
    assert candidate("tuple") == (1, 2)
    assert candidate("tuple") != [1, 2]
    assert candidate("list") == [1, 2]
    assert candidate("dict") == {"a": [1, {2}], (1, 2): None}
    assert candidate("counter") == {"a": 2}
    assert candidate("float") == 0.30000000000000004
    assert abs(candidate("float") - 0.3) < 1e-9
    assert candidate("bool") is True
    assert candidate("none") is None
    assert candidate("big") == 2 ** 200
    assert candidate("bytes") == b"\\x00"
    assert math.isnan(candidate("nan"))
    assert SCALE == 10 and helper(2) == 20
    try:
        candidate("raise")
        assert False, "expected ValueError"
    except ValueError as exc:
        assert "bad kind" in str(exc)
'''


async def test_honest_answers_of_every_plain_type_pass() -> None:
    code = '''
import collections, math
SCALE = 10
def helper(x):
    return x * SCALE
def f(kind):
    return {
        "tuple": (1, 2), "list": [1, 2], "dict": {"a": [1, {2}], (1, 2): None},
        "counter": collections.Counter("aa"), "float": 0.1 + 0.2, "bool": True, "none": None,
        "big": 2 ** 200, "bytes": b"\\x00", "nan": float("nan"),
    }[kind] if kind != "raise" else (_ for _ in ()).throw(ValueError("bad kind"))
'''
    verdict = await PythonTestVerifier(HONEST_TYPES, entry_point="f").verify(code)
    assert verdict.passed, verdict.feedback
    assert len(verdict.tests) == 14


@pytest.mark.parametrize("name", ["_test_driver.py", "_candidate_process.py"])
def test_the_sandbox_programs_are_standalone(name: str) -> None:
    source = _program(name)
    compile(source, name, "exec")  # the codec is spliced in whole (a bad splice broke startup)
    imports = [line for line in source.splitlines() if line.startswith(("from ", "import "))]
    assert imports and not any("agentloop" in line for line in imports)


def test_the_sandbox_programs_agree_on_the_memory_exit_status() -> None:
    # Each standalone program must define it itself; the host reads it from one of them.
    from agentloop.sandbox import _candidate_process, _fork_server

    assert _candidate_process.EXIT_MEMORY == _fork_server._EXIT_MEMORY
