"""Test writers: draft tests from the task (as Reflexion and LATS do), then screen them.

A drafted test is kept only when it is valid Python and fails on a stub solution: a test that
a do-nothing function passes says nothing about the candidate.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import anyio
from pydantic import BaseModel, ConfigDict

from agentloop._messages import Message, system, user
from agentloop.code import docstring_tests, fenced_blocks
from agentloop.roles._adapt import resolve
from agentloop.roles._model import ChatModel, resolve_model
from agentloop.roles._task import Task
from agentloop.roles._verifier import VerifierFactory

if TYPE_CHECKING:
    from agentloop.model import GenerateConfig

__all__ = [
    "DocstringTestWriter",
    "FunctionTestWriter",
    "LLMTestWriter",
    "TestWriter",
    "TestWriterPrompts",
    "parse_asserts",
    "screen_tests",
    "stub_solution",
    "visible_tests",
]


@runtime_checkable
class TestWriter(Protocol):
    """Drafts tests for a code task, each a snippet of Python (usually one `assert`)."""

    async def write_tests(self, task: Task) -> list[str]: ...


class TestWriterPrompts(BaseModel):
    """The test writer's prompts; override any field to change what the model is told."""

    model_config = ConfigDict(frozen=True)
    __test__ = False

    system: str = (
        "You write unit tests for Python functions. Reply with assert statements only, "
        "one per line, each calling the function with concrete inputs and checking the output."
    )
    write: str = (
        "Write {n} assert statements that test `{entry_point}`:\n\n```python\n{prompt}\n```"
    )
    """`{n}`, `{entry_point}` and `{prompt}`."""


def parse_asserts(text: str, *, entry_point: str | None = None) -> list[str]:
    """The one-line `assert` statements in a model's reply that parse, deduplicated, in order.

    With `entry_point`, only asserts that call it are kept.
    """
    sources = fenced_blocks(text) or [text]
    found: list[str] = []
    for source in sources:
        for line in source.splitlines():
            line = line.strip()
            if not line.startswith("assert "):
                continue
            if entry_point is not None and not re.search(rf"\b{re.escape(entry_point)}\s*\(", line):
                continue
            try:
                ast.parse(line)
            except SyntaxError:
                continue
            if line not in found:
                found.append(line)
    return found


class LLMTestWriter:
    """Drafts `n` asserts with a chat model."""

    __test__ = False

    def __init__(
        self,
        model: ChatModel | str,
        *,
        n: int = 4,
        config: GenerateConfig | None = None,
        prompts: TestWriterPrompts | None = None,
    ) -> None:
        self.model = resolve_model(model)
        self.n = n
        self.config = config
        self.prompts = prompts or TestWriterPrompts()

    def messages(self, task: Task) -> list[Message]:
        body = self.prompts.write.format(
            n=self.n, entry_point=task.entry_point or "the function", prompt=task.prompt.strip()
        )
        return [system(self.prompts.system), user(body)]

    async def write_tests(self, task: Task) -> list[str]:
        completion = await self.model.complete(self.messages(task), config=self.config)
        return parse_asserts(completion.text, entry_point=task.entry_point)[: self.n]


def visible_tests(task: Task) -> list[str]:
    """The tests a graph may check a code task by: the task's own `tests`, else asserts made
    from the examples its docstring shows. Every graph derives them this one way.

    Empty for prose, and for code that neither lists tests nor shows examples: such a candidate
    can only be checked by tests drafted for it (a `TestWriter`), a critic, or a judge.
    """
    if not task.is_code:
        return list(task.tests)
    if task.tests:
        return list(task.tests)
    return docstring_tests(task.prompt, task.entry_point)


class DocstringTestWriter:
    """Turns the examples in the task's docstring (`>>>` doctests and inline styles such as
    `f(x) == y` or `f(x) ➞ y`) into asserts; no model call."""

    __test__ = False

    async def write_tests(self, task: Task) -> list[str]:
        return docstring_tests(task.prompt, task.entry_point)


TestWriterFunction = Callable[[Task], list[str] | Awaitable[list[str]]]


class FunctionTestWriter:
    """A test writer from a plain function `(task) -> tests`."""

    __test__ = False

    def __init__(self, fn: TestWriterFunction) -> None:
        self.fn = fn

    async def write_tests(self, task: Task) -> list[str]:
        return list(await resolve(self.fn(task)))


def stub_solution(entry_point: str) -> str:
    """A function that accepts anything and does nothing: every meaningful test fails on it."""
    return f"def {entry_point}(*args, **kwargs):\n    return None\n"


async def screen_tests(
    tests: Sequence[str], task: Task, *, verifier: VerifierFactory | None
) -> list[str]:
    """The tests worth running: valid Python, and (with a verifier) failing on a stub solution."""
    valid = []
    for test in tests:
        try:
            ast.parse(test)
        except SyntaxError:
            continue
        valid.append(test)
    if verifier is None or not valid or task.entry_point is None:
        return valid
    stub = stub_solution(task.entry_point)
    verdict = await verifier(task, valid).verify(stub)
    if len(verdict.tests) == len(valid):
        return [t for t, r in zip(valid, verdict.tests, strict=True) if not r.passed]
    # The run did not report one result per test (it crashed as a whole): try each alone.
    fails = [False] * len(valid)

    async def check(i: int) -> None:
        fails[i] = not (await verifier(task, [valid[i]]).verify(stub)).passed

    try:
        async with anyio.create_task_group() as tg:
            for i in range(len(valid)):
                tg.start_soon(check, i)
    except BaseExceptionGroup as group:
        raise group.exceptions[0] from None
    return [t for t, failed in zip(valid, fails, strict=True) if failed]
