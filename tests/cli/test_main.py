"""Bad input at the command line: one clear line, a non-zero exit, never a traceback."""

from __future__ import annotations

import pytest

from tests.cli.test_models import assert_one_line_error, run


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (["--bogus"], ["No such option: --bogus", "agentloop --help"]),
        (["ask", "--max-tokens", "many", "hi"], ["--max-tokens", "agentloop ask --help"]),
        (["verify"], ["Missing argument", "agentloop verify --help"]),
        (["traces", "show"], ["Missing argument", "agentloop traces show --help"]),
        (["run", "nope", "--prompt", "x"], ["unknown graph 'nope'", "reflexion"]),
        (["no-such-command"], ["No such command", "no-such-command"]),
    ],
)
def test_bad_input_is_one_line_and_a_usage_exit_code(args: list[str], needles: list[str]) -> None:
    result = run(*args)
    assert_one_line_error(result, *needles)
    assert result.returncode in (1, 2)


def test_usage_errors_exit_2_and_agentloop_errors_exit_1() -> None:
    assert run("--bogus").returncode == 2
    assert run("run", "nope", "--prompt", "x").returncode == 1
