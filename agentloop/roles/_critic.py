"""The critic: verbal feedback on a candidate, free or against a rubric, with an accept flag."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

from agentloop._messages import Message, system, user
from agentloop.roles._adapt import resolve
from agentloop.roles._model import ChatModel, resolve_model
from agentloop.roles._task import Task

if TYPE_CHECKING:
    from agentloop.model import GenerateConfig

__all__ = ["Critic", "CriticPrompts", "Critique", "FunctionCritic", "LLMCritic", "parse_critique"]


class Critique(BaseModel):
    """What a critic said about a candidate."""

    model_config = ConfigDict(frozen=True)

    accept: bool
    """True when the candidate is good enough to stop refining."""
    feedback: str
    """What to change, in words the actor can act on."""
    score: float | None = Field(default=None, ge=0.0, le=1.0)
    """Quality in [0, 1], when the critic gave one."""


@runtime_checkable
class Critic(Protocol):
    """Says what is wrong with a candidate, and whether it is good enough."""

    async def critique(self, task: Task, candidate: str) -> Critique: ...


class CriticPrompts(BaseModel):
    """The critic's prompts; override any field to change what the model is told."""

    model_config = ConfigDict(frozen=True)

    system: str = (
        "You review answers and give short, specific, actionable feedback. "
        "End your review with two lines exactly like:\n"
        "SCORE: <a number from 1 to 10>\n"
        "VERDICT: ACCEPT or VERDICT: REVISE"
    )
    review: str = "Task:\n{prompt}\n\nAnswer:\n{candidate}\n\nReview the answer."
    """`{prompt}` is the task, `{candidate}` the answer under review."""
    rubric: str = "\n\nCheck it against each of these criteria:\n{rubric}"
    """Appended when the task has a rubric (or the critic was given a checklist)."""


_SCORE = re.compile(r"score\s*[:=]\s*(\d+(?:\.\d+)?)\s*(?:/\s*(\d+))?", re.IGNORECASE)
_VERDICT = re.compile(r"verdict\s*[:=]\s*\**\s*(accept|revise|reject)", re.IGNORECASE)


def parse_critique(text: str) -> Critique:
    """Read a review in the `CriticPrompts.system` format; missing parts count against acceptance.

    Small models often leave out the SCORE or VERDICT line: a review without a verdict is not an
    acceptance (so refinement goes on), and one without a score has `score=None`.
    """
    score: float | None = None
    if match := _SCORE.search(text):
        value = float(match.group(1))
        scale = float(match.group(2)) if match.group(2) else 10.0
        if scale > 0:
            score = min(max(value / scale, 0.0), 1.0)
    verdicts = _VERDICT.findall(text)
    accept = bool(verdicts) and verdicts[-1].lower() == "accept"
    feedback = _VERDICT.sub("", _SCORE.sub("", text)).strip() or text.strip()
    return Critique(accept=accept, feedback=feedback, score=score)


class LLMCritic:
    """A critic backed by a chat model; checks the task's rubric, or `checklist` when given."""

    def __init__(
        self,
        model: ChatModel | str,
        *,
        checklist: Sequence[str] = (),
        config: GenerateConfig | None = None,
        prompts: CriticPrompts | None = None,
    ) -> None:
        self.model = resolve_model(model)
        self.checklist = list(checklist)
        self.config = config
        self.prompts = prompts or CriticPrompts()

    def messages(self, task: Task, candidate: str) -> list[Message]:
        """The conversation sent to the model."""
        p = self.prompts
        body = p.review.format(prompt=task.prompt, candidate=candidate)
        criteria = self.checklist or task.rubric
        if criteria:
            body += p.rubric.format(rubric="\n".join(f"- {c}" for c in criteria))
        return [system(p.system), user(body)]

    async def critique(self, task: Task, candidate: str) -> Critique:
        completion = await self.model.complete(self.messages(task, candidate), config=self.config)
        return parse_critique(completion.text)


CriticFunction = Callable[[Task, str], Critique | Awaitable[Critique]]


class FunctionCritic:
    """A critic from a plain function `(task, candidate) -> Critique`, sync or async."""

    def __init__(self, fn: CriticFunction) -> None:
        self.fn = fn

    async def critique(self, task: Task, candidate: str) -> Critique:
        return await resolve(self.fn(task, candidate))
