"""Tasks: loaded from YAML, kind and entry point inferred, bad files rejected clearly."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentloop.errors import ConfigError
from agentloop.roles import Task

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_every_example_task_loads() -> None:
    tasks = {p.stem: Task.from_yaml(p) for p in EXAMPLES.glob("*.yaml")}
    assert tasks["fizzbuzz"].entry_point == "fizzbuzz" and len(tasks["fizzbuzz"].tests) == 4
    assert tasks["haiku"].kind == "writing" and tasks["haiku"].rubric
    # No entry_point in the file: the last function the prompt declares.
    assert tasks["running_mean"].entry_point == "running_mean"


def test_kind_is_inferred_from_what_the_task_gives() -> None:
    assert Task(prompt="Write a poem.", rubric=["short"]).kind == "writing"
    assert Task(prompt="def f(x):\n    pass\n").entry_point == "f"
    assert Task.from_prompt("Summarise the news.").kind == "writing"
    assert Task.from_prompt("def g():\n    pass\n").kind == "code"


def test_bad_task_files_say_what_is_wrong(tmp_path: Path) -> None:
    missing = tmp_path / "missing.yaml"
    with pytest.raises(ConfigError, match="cannot read task file"):
        Task.from_yaml(missing)
    bad = tmp_path / "bad.yaml"
    bad.write_text("prompt: hi\ntests: 3\n")
    with pytest.raises(ConfigError, match="bad.yaml is invalid"):
        Task.from_yaml(bad)
    scalar = tmp_path / "scalar.yaml"
    scalar.write_text("just text\n")
    with pytest.raises(ConfigError, match="mapping"):
        Task.from_yaml(scalar)
