"""The README's set-up commands stay true: CI runs the test command verbatim."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

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


def test_custom_roles_example_runs_as_written(monkeypatch: pytest.MonkeyPatch) -> None:
    # The README's custom-roles example, with its remote model and ChromaDB swapped for a
    # scripted model and the in-process store: everything else runs as a user would run it.
    from agentloop.testing import ScriptedModel

    solution = (
        "def fizzbuzz(n):\n    return 'Fizz' * (n % 3 == 0) + 'Buzz' * (n % 5 == 0) or str(n)"
    )
    model = ScriptedModel(replies=[f"```python\n{solution}\n```"])
    example = next(b for b in _python_blocks() if "reflexion_graph(" in b)
    example = example.replace('"openai/gpt-4o-mini"', repr(model.model))
    example = example.replace('open_memory("chroma")', 'open_memory("inprocess")')
    monkeypatch.chdir(ROOT)
    namespace: dict[str, object] = {}
    exec(compile(example, "README.md", "exec"), namespace)
    from agentloop.graphs import RunResult

    result = namespace["result"]
    assert isinstance(result, RunResult)
    assert result.stop_reason == "solved"
    assert "def fizzbuzz" in result.answer
