"""What an agent is asked to do: a `Task`, and the attempts made at it so far."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from agentloop.code import function_names
from agentloop.errors import ConfigError

__all__ = ["Attempt", "Task", "TaskKind"]

TaskKind = Literal["code", "writing"]


class Task(BaseModel):
    """A prompt, and what the agent may use to check its answer.

    Only what is given here is visible to a graph; an evaluation's hidden tests never are.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    prompt: str = Field(min_length=1)
    """What to do: for code, usually a signature with a docstring."""
    name: str = "task"
    """A short identifier shown in progress output and traces."""
    kind: TaskKind = "code"
    """"code" answers are programs checked by running tests; "writing" answers are prose."""
    entry_point: str | None = None
    """The function the tests call (code tasks)."""
    tests: list[str] = Field(default_factory=list)
    """Visible tests: each a snippet of Python, usually one `assert`, run against the answer."""
    rubric: list[str] = Field(default_factory=list)
    """Criteria a critic or judge checks the answer against (writing tasks, mostly)."""
    family: str | None = None
    """A group of similar tasks; lessons learned on one are retrieved for the others."""

    @model_validator(mode="before")
    @classmethod
    def _infer_kind(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        data = dict(data)
        # A task with neither an entry point nor tests but with a rubric is prose.
        if "kind" not in data and data.get("rubric") and not data.get("entry_point"):
            if not data.get("tests"):
                data["kind"] = "writing"
        # The function to write is the last one the prompt declares.
        if data.get("kind", "code") == "code" and not data.get("entry_point"):
            names = function_names(str(data.get("prompt", "")))
            if names:
                data["entry_point"] = names[-1]
        return data

    @property
    def is_code(self) -> bool:
        return self.kind == "code"

    @classmethod
    def from_yaml(cls, path: str | Path) -> Task:
        """Load a task file (see `examples/` for the fields)."""
        import yaml

        file = Path(path)
        try:
            data = yaml.safe_load(file.read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigError(f"cannot read task file {file}: {exc.strerror}") from exc
        except UnicodeDecodeError as exc:
            raise ConfigError(
                f"task file {file} is not UTF-8 text (byte {exc.object[exc.start]:#04x} at "
                f"offset {exc.start}); save it as UTF-8"
            ) from exc
        except yaml.YAMLError as exc:
            raise ConfigError(f"task file {file} is not valid YAML: {exc}") from exc
        if not isinstance(data, dict):
            raise ConfigError(f"task file {file} must hold a mapping with at least `prompt:`")
        data.setdefault("name", file.stem)
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise ConfigError(f"task file {file} is invalid: {exc}") from exc

    @classmethod
    def from_prompt(cls, prompt: str, *, kind: TaskKind | None = None) -> Task:
        """A task from a bare prompt; code when it looks like a function to write."""
        if kind is None:
            kind = "code" if "def " in prompt else "writing"
        return cls(prompt=prompt, kind=kind, name="prompt")


class Attempt(BaseModel):
    """One earlier candidate and the feedback it got, as the actor sees it."""

    model_config = ConfigDict(frozen=True)

    candidate: str
    feedback: str = ""
    """What the critic, verifier or user said; may be empty."""
    score: float | None = None
