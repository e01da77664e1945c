"""The reflector: turns a failed attempt and its feedback into a short lesson."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict

from agentloop._messages import Message, system, user
from agentloop.roles._adapt import resolve
from agentloop.roles._model import ChatModel, resolve_model
from agentloop.roles._task import Task

if TYPE_CHECKING:
    from agentloop.model import GenerateConfig

__all__ = ["FunctionReflector", "LLMReflector", "Reflector", "ReflectorPrompts", "tidy_lesson"]


@runtime_checkable
class Reflector(Protocol):
    """Says, in a sentence or two, what to do differently next time."""

    async def reflect(self, task: Task, candidate: str, feedback: str) -> str: ...


class ReflectorPrompts(BaseModel):
    """The reflector's prompts; override any field to change what the model is told."""

    model_config = ConfigDict(frozen=True)

    system: str = (
        "You diagnose why an attempt failed and state the lesson in ONE short, general "
        "sentence: the pitfall and what to do instead, worded so it also helps on other, "
        "similar tasks. Do not name the function, do not write code, do not write the solution."
    )
    reflect: str = (
        "Task:\n{prompt}\n\nAttempt:\n{candidate}\n\nWhat happened:\n{feedback}\n\n"
        "Lesson (one general sentence, no code):"
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
        max_chars: int = 300,
        max_sentences: int = 2,
    ) -> None:
        self.model = resolve_model(model)
        self.config = config
        self.prompts = prompts or ReflectorPrompts()
        self.max_chars = max_chars
        """Longer lessons are cut: they go into every later prompt."""
        self.max_sentences = max_sentences
        """Sentences kept: small models follow a one-line lesson and get lost in an essay."""

    def messages(self, task: Task, candidate: str, feedback: str) -> list[Message]:
        body = self.prompts.reflect.format(
            prompt=task.prompt, candidate=candidate, feedback=feedback or "(no details)"
        )
        return [system(self.prompts.system), user(body)]

    async def reflect(self, task: Task, candidate: str, feedback: str) -> str:
        completion = await self.model.complete(
            self.messages(task, candidate, feedback), config=self.config
        )
        return tidy_lesson(
            completion.text, max_chars=self.max_chars, max_sentences=self.max_sentences
        )


_FENCED = re.compile(r"```.*?(?:```|\Z)", re.DOTALL)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def tidy_lesson(text: str, *, max_chars: int = 300, max_sentences: int = 2) -> str:
    """A lesson cut to what is worth carrying into later prompts.

    Code blocks go (they solve one task and mislead on its siblings), and so does the sentence
    that only announced them ("Here is the corrected code:"); then the first `max_sentences`
    sentences are kept, within `max_chars`.
    """
    sentences = [
        sentence
        for chunk in _FENCED.split(text)
        for sentence in _SENTENCE_END.split(" ".join(chunk.split()))
        if sentence and not sentence.endswith(":")
    ]
    kept = " ".join(sentences[:max_sentences])
    if len(kept) > max_chars:
        # Cut at a word boundary so the lesson never ends mid-word.
        kept = kept[:max_chars].rsplit(" ", 1)[0] if " " in kept[:max_chars] else kept[:max_chars]
    return kept.strip()


ReflectorFunction = Callable[[Task, str, str], str | Awaitable[str]]


class FunctionReflector:
    """A reflector from a plain function `(task, candidate, feedback) -> lesson`."""

    def __init__(self, fn: ReflectorFunction) -> None:
        self.fn = fn

    async def reflect(self, task: Task, candidate: str, feedback: str) -> str:
        return await resolve(self.fn(task, candidate, feedback))
