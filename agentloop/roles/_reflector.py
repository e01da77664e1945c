"""The reflector: turns a failed attempt and its feedback into a short lesson."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict

from agentloop._messages import Message, system, user
from agentloop.roles._adapt import resolve
from agentloop.roles._model import ChatModel, resolve_model
from agentloop.roles._task import Task

if TYPE_CHECKING:
    from agentloop.model import GenerateConfig

__all__ = ["FunctionReflector", "LLMReflector", "Reflector", "ReflectorPrompts"]


@runtime_checkable
class Reflector(Protocol):
    """Says, in a sentence or two, what to do differently next time."""

    async def reflect(self, task: Task, candidate: str, feedback: str) -> str: ...


class ReflectorPrompts(BaseModel):
    """The reflector's prompts; override any field to change what the model is told."""

    model_config = ConfigDict(frozen=True)

    system: str = (
        "You diagnose why an attempt failed and state, in one or two sentences, a concrete "
        "lesson for the next attempt. Do not write the solution."
    )
    reflect: str = (
        "Task:\n{prompt}\n\nAttempt:\n{candidate}\n\nWhat happened:\n{feedback}\n\n"
        "Lesson for the next attempt:"
    )
    """`{prompt}`, `{candidate}` and `{feedback}`."""


class LLMReflector:
    """A reflector backed by a chat model."""

    def __init__(
        self,
        model: ChatModel | str,
        *,
        config: GenerateConfig | None = None,
        prompts: ReflectorPrompts | None = None,
        max_chars: int = 600,
    ) -> None:
        self.model = resolve_model(model)
        self.config = config
        self.prompts = prompts or ReflectorPrompts()
        self.max_chars = max_chars
        """Longer lessons are cut: they go into every later prompt."""

    def messages(self, task: Task, candidate: str, feedback: str) -> list[Message]:
        body = self.prompts.reflect.format(
            prompt=task.prompt, candidate=candidate, feedback=feedback or "(no details)"
        )
        return [system(self.prompts.system), user(body)]

    async def reflect(self, task: Task, candidate: str, feedback: str) -> str:
        completion = await self.model.complete(
            self.messages(task, candidate, feedback), config=self.config
        )
        return completion.text.strip()[: self.max_chars]


ReflectorFunction = Callable[[Task, str, str], str | Awaitable[str]]


class FunctionReflector:
    """A reflector from a plain function `(task, candidate, feedback) -> lesson`."""

    def __init__(self, fn: ReflectorFunction) -> None:
        self.fn = fn

    async def reflect(self, task: Task, candidate: str, feedback: str) -> str:
        return await resolve(self.fn(task, candidate, feedback))
