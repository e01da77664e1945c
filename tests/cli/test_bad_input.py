"""Bad files and options at the command line: one line that says what to fix, a non-zero exit,
no traceback, and no model call spent first."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer

from agentloop.cli import _run
from agentloop.errors import ConfigError, ModelAuthError
from agentloop.testing import ScriptedModel
from tests.cli.test_models import assert_one_line_error, run
from tests.conftest import command_app, invoke_ok

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
WRONG = "```python\ndef add_numbers(a, b):\n    return a - b\n```"
NOT_UTF8 = b'prompt: "def f(x):\\n    \xff"\n'


@pytest.fixture
def cli() -> typer.Typer:
    return command_app(_run.register)


def test_a_task_file_that_is_not_utf8(tmp_path: Path) -> None:
    task = tmp_path / "task.yaml"
    task.write_bytes(NOT_UTF8)
    result = run("run", "reflexion", "--task", str(task), "--model", "scripted/none")
    assert_one_line_error(result, f"task file {task} is not UTF-8 text", "save it as UTF-8")
    assert result.returncode == 1


def test_a_candidate_file_that_is_not_utf8(tmp_path: Path) -> None:
    candidate, tests = tmp_path / "candidate.py", tmp_path / "tests.py"
    candidate.write_bytes(b"def f(x):\n    return '\xe9'\n")
    tests.write_text("assert f(1) == 1\n")
    result = run("verify", str(candidate), "--tests", str(tests))
    assert_one_line_error(result, f"candidate file {candidate} is not UTF-8 text")
    assert result.returncode == 1


def test_a_memory_import_file_that_is_not_utf8(tmp_path: Path) -> None:
    source = tmp_path / "lessons.jsonl"
    source.write_bytes(b'{"kind": "lesson", "text": "caf\xe9"}\n')
    result = run("memory", "import", str(source), "--store", "inprocess")
    assert_one_line_error(result, f"memory export file {source} is not UTF-8 text", "0xe9")
    assert result.returncode == 1


def test_a_checkpoint_file_that_is_not_sqlite(tmp_path: Path) -> None:
    checkpoint = tmp_path / "run.db"
    checkpoint.write_text("these are my notes, not a checkpoint\n" * 40)
    result = run(
        "run", "reflexion", "--prompt", "def f(x):\n    pass", "--model", "scripted/none",
        "--checkpoint", str(checkpoint), "--json",
    )
    assert result.returncode == 1 and "Traceback" not in result.stderr + result.stdout
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith(f"error: checkpoint file {checkpoint} is not a SQLite checkpoint store")
    assert checkpoint.read_text().startswith("these are my notes")  # left as it was


@pytest.mark.parametrize(
    ("option", "needles"),
    [
        ("max_round=3", ["unknown option 'max_round' for graph 'reflexion'",
                         "did you mean 'max_rounds'?", "its options: explore_temperature"]),
        ("max_rounds=abc", ["option max_rounds='abc' for graph 'reflexion' must be an integer"]),
        ("persist_lessons=sometimes", ["must be one of 'validated', 'all'"]),
    ],
)
def test_a_bad_graph_option_is_one_line(option: str, needles: list[str]) -> None:
    result = run("run", "reflexion", "--prompt", "def f(x):\n    pass", "--model",
                 "scripted/none", "-o", option)
    assert_one_line_error(result, *needles)


def test_a_mistyped_option_costs_no_model_call(cli: typer.Typer) -> None:
    model = ScriptedModel(fn=lambda messages: WRONG)
    with pytest.raises(ConfigError, match="max_rounds='abc' .* must be an integer"):
        invoke_ok(cli, "run", "try_again", "--task", str(EXAMPLES / "add_numbers.yaml"),
                  "--model", model.model, "-o", "max_rounds=abc")
    assert model.calls == []


def test_a_run_ended_by_a_model_error_shows_its_best_answer_and_exits_1(
    cli: typer.Typer, needs_bwrap: None
) -> None:
    from typer.testing import CliRunner

    model = ScriptedModel(
        replies=[WRONG, "Add, do not subtract.", ModelAuthError("401: bad key", model="x")]
    )
    result = CliRunner().invoke(
        cli, ["run", "reflexion", "--task", str(EXAMPLES / "add_numbers.yaml"), "--model",
              model.model], env={"COLUMNS": "200"},
    )
    assert result.exit_code == 1
    assert "return a - b" in result.output and "stop reason: error" in result.output
    assert "error: ModelAuthError: 401: bad key" in result.output


def test_an_answer_nothing_verified_says_so(cli: typer.Typer, needs_bwrap: None) -> None:
    right = "```python\ndef add(a, b):\n    return a + b\n```"
    model = ScriptedModel(fn=lambda messages: right)
    out = invoke_ok(cli, "run", "try_again", "--prompt", "def add(a, b):\n    pass",
                    "--model", model.model, "-o", "max_rounds=1")
    assert "stop reason: max_depth" in out
    assert "not verified (no_tests): no test ran" in out
