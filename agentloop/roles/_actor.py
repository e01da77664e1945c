"""The actor: proposes a candidate from the task, the feedback so far and retrieved lessons."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict

from agentloop._memory import HEADINGS
from agentloop._messages import Message, assistant, system, user
from agentloop.code import extract_code
from agentloop.roles._adapt import resolve
from agentloop.roles._model import ChatModel, resolve_model
from agentloop.roles._task import Attempt, Task

if TYPE_CHECKING:
    from agentloop.model import GenerateConfig

__all__ = ["Actor", "ActorPrompts", "FunctionActor", "LLMActor"]


@runtime_checkable
class Actor(Protocol):
    """Proposes a candidate answer."""

    async def propose(
        self, task: Task, *, history: Sequence[Attempt] = (), lessons: Sequence[str] = ()
    ) -> str:
        """A new candidate, given the earlier attempts (oldest first) and lessons learned."""
        ...


class ActorPrompts(BaseModel):
    """The actor's prompts; override any field to change what the model is told."""

    model_config = ConfigDict(frozen=True)

    system_code: str = (
        "You are an expert Python programmer. Answer with one complete Python code block "
        "that defines the requested function, with any imports it needs. "
        "Do not add example calls, prints or tests."
    )
    """System prompt for code tasks."""
    system_writing: str = "You are a careful writer. Answer with the requested text only."
    """System prompt for writing tasks."""
    task: str = "{prompt}"
    """The first user message; `{prompt}` is the task's prompt."""
    code_task: str = "Complete this Python function:\n\n```python\n{prompt}\n```"
    """The first user message for code tasks."""
    rubric: str = "\n\nYour answer will be checked against:\n{rubric}"
    """Appended to the task when it has a rubric; `{rubric}` is a bulleted list."""
    lessons: str = "\n\n" + HEADINGS["lesson"] + "\n{lessons}"
    """Appended to the task when there are lessons; `{lessons}` is a bulleted list."""
    feedback: str = "{feedback}\n\nWrite an improved answer."
    """The user turn after each earlier attempt; `{feedback}` is what was said about it."""
    no_feedback: str = "Try again with a different answer."
    """The user turn after an attempt that got no feedback."""


def _bullets(items: Sequence[str]) -> str:
    return "\n".join(f"- {item}" for item in items)


class LLMActor:
    """An actor backed by a chat model.

    Earlier attempts become a multi-turn conversation (answer, feedback, answer, ...), so the
    model sees its own answers and what was said about each.
    """

    def __init__(
        self,
        model: ChatModel | str,
        *,
        config: GenerateConfig | None = None,
        prompts: ActorPrompts | None = None,
    ) -> None:
        self.model = resolve_model(model)
        self.config = config
        self.prompts = prompts or ActorPrompts()

    def messages(
        self, task: Task, *, history: Sequence[Attempt] = (), lessons: Sequence[str] = ()
    ) -> list[Message]:
        """The conversation sent to the model."""
        p = self.prompts
        if task.is_code:
            first = p.code_task.format(prompt=task.prompt.strip("\n"))
        else:
            first = p.task.format(prompt=task.prompt)
        if task.rubric:
            first += p.rubric.format(rubric=_bullets(task.rubric))
        if lessons:
            first += p.lessons.format(lessons=_bullets(lessons))
        out = [system(p.system_code if task.is_code else p.system_writing), user(first)]
        for attempt in history:
            shown = attempt.candidate
            if task.is_code:
                shown = f"```python\n{shown.strip()}\n```"
            out.append(assistant(shown))
            out.append(
                user(p.feedback.format(feedback=attempt.feedback) if attempt.feedback
                     else p.no_feedback)
            )
        return out

    async def propose(
        self, task: Task, *, history: Sequence[Attempt] = (), lessons: Sequence[str] = ()
    ) -> str:
        completion = await self.model.complete(
            self.messages(task, history=history, lessons=lessons), config=self.config
        )
        if task.is_code:
            return extract_code(completion.text, entry_point=task.entry_point, prompt=task.prompt)
        return completion.text.strip()


ActorFunction = Callable[[Task, Sequence[Attempt], Sequence[str]], str | Awaitable[str]]


class FunctionActor:
    """An actor from a plain function `(task, history, lessons) -> candidate`, sync or async."""

    def __init__(self, fn: ActorFunction) -> None:
        self.fn = fn

    async def propose(
        self, task: Task, *, history: Sequence[Attempt] = (), lessons: Sequence[str] = ()
    ) -> str:
        return await resolve(self.fn(task, history, lessons))
