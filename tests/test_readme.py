"""The README's set-up commands stay true: CI runs the test command verbatim."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

import agentloop
from agentloop import Budget
from agentloop.graphs import RunResult
from agentloop.testing import ScriptedModel

ROOT = Path(__file__).resolve().parents[1]


def _setup_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Set up", 1)[1].split("\n## ", 1)[0]
    return [block.strip() for block in re.findall(r"```bash\n(.*?)```", section, re.S)]


def test_readme_has_exactly_two_setup_commands() -> None:
    commands = _setup_commands()
    assert len(commands) == 2
    assert all("\n" not in c for c in commands)


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    test_command = _setup_commands()[1]
    ci_lines = (ROOT / ".ci" / "run").read_text().splitlines()
    assert test_command in ci_lines


def _python_blocks() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    return re.findall(r"```python\n(.*?)```", readme, re.S)


# Each Python example of the README, by what only it calls; each test below runs one.
EXAMPLES = ("run_graph_sync(", "complete_sync(", "reflexion_graph(")
LOCAL_MODEL = '"local/smollm2-135m"'
RIGHT = "def fizzbuzz(n):\n    return 'Fizz' * (n % 3 == 0) + 'Buzz' * (n % 5 == 0) or str(n)"
WRONG = "def fizzbuzz(n):\n    return str(n)"


def _example(marker: str) -> str:
    [example] = [block for block in _python_blocks() if marker in block]
    return example


def _run(example: str) -> dict[str, Any]:
    namespace: dict[str, Any] = {}
    exec(compile(example, "README.md", "exec"), namespace)
    return namespace


@pytest.fixture
def budgets(monkeypatch: pytest.MonkeyPatch) -> list[Budget]:
    """Every `Budget` the examples make (`from agentloop import Budget` gets this one)."""
    made: list[Budget] = []

    class RecordedBudget(Budget):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            made.append(self)

    monkeypatch.setattr(agentloop, "Budget", RecordedBudget)
    return made


def test_every_python_example_is_run_by_a_test() -> None:
    blocks = _python_blocks()
    assert [sum(marker in block for block in blocks) for marker in EXAMPLES] == [1, 1, 1]
    assert len(blocks) == len(EXAMPLES), "a README example that no test runs"


def test_quickstart_runs_as_written_and_spends_from_its_budget(
    monkeypatch: pytest.MonkeyPatch, budgets: list[Budget]
) -> None:
    # The local model swapped for a scripted one that fails once, learns, then passes.
    model = ScriptedModel(
        replies=[f"```python\n{WRONG}\n```", "Check 15 first.", f"```python\n{RIGHT}\n```"]
    )
    example = _example(EXAMPLES[0])
    assert LOCAL_MODEL in example
    monkeypatch.chdir(ROOT)
    result = _run(example.replace(LOCAL_MODEL, repr(model.model)))["result"]
    assert isinstance(result, RunResult)
    assert result.stop_reason == "solved" and result.answer.strip() == RIGHT
    # The run spent from the README's budget, every call of it, and stayed within it.
    [budget] = budgets
    assert budget.max_calls == 8
    assert budget.spent.calls == result.calls == model.call_count == 3
    assert budget.exceeded() is None


def test_client_example_runs_as_written_and_spends_from_its_budget(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, budgets: list[Budget]
) -> None:
    model = ScriptedModel(replies=["2, 3 and 5."])
    example = _example(EXAMPLES[1])
    assert LOCAL_MODEL in example
    monkeypatch.chdir(tmp_path)  # its cache is a path relative to the working directory
    answer = _run(example.replace(LOCAL_MODEL, repr(model.model)))["answer"]
    assert answer.text == "2, 3 and 5."
    [budget] = budgets
    assert budget.max_tokens == 2_000
    spent = budget.spent
    assert spent.calls == model.call_count == 1
    assert (spent.input_tokens, spent.output_tokens) == (
        answer.usage.input_tokens, answer.usage.output_tokens,
    )
    assert 0 < spent.total_tokens <= 2_000
    assert (tmp_path / ".agentloop" / "cache.db").is_file()


def test_custom_roles_example_runs_as_written_and_spends_from_its_budget(
    monkeypatch: pytest.MonkeyPatch, budgets: list[Budget]
) -> None:
    # The README's custom-roles example, with its remote model and ChromaDB swapped for a
    # scripted model and the in-process store: everything else runs as a user would run it.
    model = ScriptedModel(replies=[f"```python\n{RIGHT}\n```"])
    example = _example(EXAMPLES[2])
    example = example.replace('"openai/gpt-4o-mini"', repr(model.model))
    example = example.replace('open_memory("chroma")', 'open_memory("inprocess")')
    monkeypatch.chdir(ROOT)
    result = _run(example)["result"]
    assert isinstance(result, RunResult)
    assert result.stop_reason == "solved"
    assert "def fizzbuzz" in result.answer
    [budget] = budgets
    assert budget.max_tokens == 20_000
    spent = budget.spent
    assert spent.calls == result.calls == model.call_count == 1
    assert (spent.input_tokens, spent.output_tokens) == (
        result.usage.input_tokens, result.usage.output_tokens,
    )
    assert 0 < spent.total_tokens <= 20_000


def _main_job_args() -> list[str]:
    """The README's main job: the `agentloop run ...` that ends its first set-up command."""
    import shlex

    args = shlex.split(_setup_commands()[0].split(" && ")[-1])
    assert args[:3] == ["agentloop", "run", "reflexion"]
    return args[1:]


def test_main_job_keeps_going_until_a_later_round_passes(
    bwrap_available: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The main job as written, its embedded model swapped for a scripted one that answers with
    # prose four times and then with the function: the README's options must give the run the
    # rounds to get there (the defaults stop after three), and its output shows every round.
    if not bwrap_available:
        pytest.skip("the local sandbox needs bubblewrap (apt-get install bubblewrap)")
    from agentloop.cli import _run
    from agentloop.testing import ScriptedModel
    from tests.conftest import command_app, invoke_ok

    prose = "To convert Celsius to Fahrenheit, multiply by nine fifths and add thirty-two."
    right = "```python\ndef celsius_to_fahrenheit(c):\n    return c * 9 / 5 + 32\n```"
    replies = iter([prose, "Write code."] * 4 + [right])
    model = ScriptedModel(fn=lambda messages: next(replies))
    args = _main_job_args()
    assert "--model" not in args  # the embedded model, the default
    monkeypatch.chdir(ROOT)  # the README runs it from the repository's root
    out = invoke_ok(command_app(_run.register), *args, "--model", model.model)
    assert "stop reason: solved" in out and "rounds: 5" in out and "calls: 9" in out
    rows = [line.split()[1:4] for line in out.splitlines() if re.match(r"[0-9a-f]{8} ", line)]
    assert rows == [[str(r), "0.00", "fail"] for r in range(1, 5)] + [["5", "1.00", "pass"]]
