"""`agentloop verify` end to end through the real CLI and sandbox."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from agentloop.cli import _register_commands, app

_register_commands()


def _write(tmp_path: Path, candidate: str, tests: str) -> tuple[str, str]:
    (tmp_path / "solution.py").write_text(candidate)
    (tmp_path / "tests.py").write_text(tests)
    return str(tmp_path / "solution.py"), str(tmp_path / "tests.py")


def test_verify_exits_0_on_pass_and_1_on_fail(tmp_path: Path) -> None:
    tests = "assert add(1, 2) == 3\nassert add(2, 2) == 4\n"
    good, test_file = _write(tmp_path, "def add(a, b):\n    return a + b\n", tests)
    passed = CliRunner().invoke(app, ["verify", good, "--tests", test_file, "--entry-point", "add"])
    assert passed.exit_code == 0, passed.output
    assert "passed" in passed.output and "1.00" in passed.output

    (tmp_path / "solution.py").write_text("def add(a, b):\n    return a * b\n")
    failed = CliRunner().invoke(app, ["verify", good, "--tests", test_file, "--json"])
    assert failed.exit_code == 1
    verdict = json.loads(failed.output)
    assert verdict["status"] == "failed" and verdict["score"] == 0.5
    assert "got 2, expected 3" in verdict["feedback"]


def test_verify_reports_a_missing_file(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["verify", str(tmp_path / "nope.py"), "--tests", "x.py"])
    assert result.exit_code != 0
