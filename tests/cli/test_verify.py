"""`agentloop verify`: a run that verified nothing is not a pass, and says why."""

from __future__ import annotations

from pathlib import Path

from tests.cli.test_models import run


def test_tests_that_hold_no_test_are_not_a_pass(tmp_path: Path, needs_bwrap: None) -> None:
    candidate, tests = tmp_path / "candidate.py", tmp_path / "tests.py"
    candidate.write_text("def f(x):\n    return x\n")
    tests.write_text("# the tests are still to be written\n")
    result = run("verify", str(candidate), "--tests", str(tests), "--entry-point", "f")
    assert result.returncode == 1 and "Traceback" not in result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("not verified (no_tests)  score 0.00")
    assert lines[1].startswith("Not verified: no test ran")


def test_tests_that_run_and_pass_still_pass(tmp_path: Path, needs_bwrap: None) -> None:
    candidate, tests = tmp_path / "candidate.py", tmp_path / "tests.py"
    candidate.write_text("def f(x):\n    return x\n")
    tests.write_text("assert f(1) == 1\n")
    result = run("verify", str(candidate), "--tests", str(tests), "--entry-point", "f")
    assert result.returncode == 0 and result.stdout.startswith("passed  score 1.00")
