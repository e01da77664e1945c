"""The judge: a pointwise score with a rationale, and a pairwise preference without order bias."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Literal, Protocol, runtime_checkable

import anyio
from pydantic import BaseModel, ConfigDict, Field

from agentloop._memory import MemoryStore
from agentloop._messages import Message, system, user
from agentloop.roles._adapt import resolve
from agentloop.roles._model import ChatModel, resolve_model
from agentloop.roles._task import Task

if TYPE_CHECKING:
    from agentloop.model import GenerateConfig

__all__ = [
    "FunctionJudge",
    "Judge",
    "JudgePrompts",
    "JudgeScore",
    "LLMJudge",
    "PairwiseJudgement",
    "PointwiseJudgement",
    "Preference",
    "combine_preferences",
]

Winner = Literal["a", "b", "tie"]


class JudgeScore(BaseModel):
    """A judge's pointwise verdict on one candidate."""

    model_config = ConfigDict(frozen=True)

    score: float = Field(ge=0.0, le=1.0)
    rationale: str = ""
    experience_ids: list[str] = Field(default_factory=list)
    """Memory entries of past judgements shown to the judge: record this verdict's outcome
    against them once a verifier or a user has confirmed or overturned it."""


class Preference(BaseModel):
    """Which of two candidates a judge prefers."""

    model_config = ConfigDict(frozen=True)

    winner: Winner
    """"a" or "b" (as passed to `compare`), or "tie"."""
    rationale: str = ""
    consistent: bool = True
    """False when asking in the two orders gave different answers (a sign of position bias)."""
    experience_ids: list[str] = Field(default_factory=list)
    """Memory entries of past judgements shown to the judge (see `JudgeScore.experience_ids`)."""


@runtime_checkable
class Judge(Protocol):
    """Scores candidates, alone or against each other."""

    async def score(self, task: Task, candidate: str) -> JudgeScore: ...

    async def compare(self, task: Task, a: str, b: str) -> Preference: ...


class PointwiseJudgement(BaseModel):
    """What the model must return for a pointwise score."""

    rationale: str = Field(description="One or two sentences on the answer's quality.")
    score: int = Field(ge=1, le=10, description="1 (useless) to 10 (perfect).")


class PairwiseJudgement(BaseModel):
    """What the model must return for a pairwise comparison."""

    rationale: str = Field(description="One or two sentences comparing the answers.")
    winner: Literal["A", "B", "tie"] = Field(description="The better answer, or tie.")


class JudgePrompts(BaseModel):
    """The judge's prompts; override any field to change what the model is told."""

    model_config = ConfigDict(frozen=True)

    system: str = (
        "You are an impartial judge of answers to a task. Judge correctness first, then "
        "clarity. Reply with JSON only."
    )
    pointwise: str = (
        "Task:\n{prompt}\n{rubric}\nAnswer:\n{candidate}\n\n"
        'Reply as JSON: {{"rationale": "...", "score": <1-10>}}'
    )
    """`{prompt}`, `{rubric}` (criteria or empty) and `{candidate}`."""
    pairwise: str = (
        "Task:\n{prompt}\n{rubric}\nAnswer A:\n{first}\n\nAnswer B:\n{second}\n\n"
        "Which answer is better? Reply as JSON: "
        '{{"rationale": "...", "winner": "A" or "B" or "tie"}}'
    )
    """`{prompt}`, `{rubric}`, `{first}` and `{second}` (the order is swapped on the second ask)."""
    rubric: str = "\nCriteria:\n{rubric}\n"
    experience: str = "{experience}\n\n"
    """Put before the request when memory holds past judgements on similar cases;
    `{experience}` is those entries under their heading."""


class LLMJudge:
    """A judge backed by a chat model's structured output.

    Malformed output is re-asked (`max_reasks` times) and then raises `StructuredOutputError`.
    A pairwise comparison asks twice, once in each order, so a preference for whichever answer
    comes first cancels out: when the two asks disagree the result is a tie.

    With `memory`, each request starts with the judge's past verdicts on similar tasks
    (`kind="judge"` entries, same `task.family` when the task has one) and how the verifier or
    a user later judged them, within `experience_tokens`; the verdict names the entries shown.
    """

    def __init__(
        self,
        model: ChatModel | str,
        *,
        max_reasks: int = 2,
        config: GenerateConfig | None = None,
        prompts: JudgePrompts | None = None,
        memory: MemoryStore | None = None,
        experience_k: int = 3,
        experience_tokens: int = 200,
    ) -> None:
        self.model = resolve_model(model)
        self.max_reasks = max_reasks
        self.config = config
        self.prompts = prompts or JudgePrompts()
        self.memory = memory
        self.experience_k = experience_k
        self.experience_tokens = experience_tokens

    async def experience(self, task: Task) -> tuple[str, list[str]]:
        """Past judgements on tasks like `task` as prompt text, and their entry ids."""
        if self.memory is None:
            return "", []
        # Imported here: memory is a pillar, and the core imports none at import time.
        from agentloop.memory import retrieve_for_prompt

        found = await retrieve_for_prompt(
            self.memory, task.prompt, k=self.experience_k, kind="judge",
            where={"task_family": task.family} if task.family else None,
            token_allowance=self.experience_tokens,
        )
        return found.text, found.entry_ids

    def _intro(self, experience: str) -> str:
        return self.prompts.experience.format(experience=experience) if experience else ""

    def _rubric(self, task: Task) -> str:
        if not task.rubric:
            return ""
        return self.prompts.rubric.format(rubric="\n".join(f"- {c}" for c in task.rubric))

    def pointwise_messages(
        self, task: Task, candidate: str, *, experience: str = ""
    ) -> list[Message]:
        body = self.prompts.pointwise.format(
            prompt=task.prompt, rubric=self._rubric(task), candidate=candidate
        )
        return [system(self.prompts.system), user(self._intro(experience) + body)]

    def pairwise_messages(
        self, task: Task, first: str, second: str, *, experience: str = ""
    ) -> list[Message]:
        body = self.prompts.pairwise.format(
            prompt=task.prompt, rubric=self._rubric(task), first=first, second=second
        )
        return [system(self.prompts.system), user(self._intro(experience) + body)]

    async def score(self, task: Task, candidate: str) -> JudgeScore:
        experience, ids = await self.experience(task)
        out = await self.model.structured(
            self.pointwise_messages(task, candidate, experience=experience), PointwiseJudgement,
            max_reasks=self.max_reasks, config=self.config,
        )
        return JudgeScore(score=(out.score - 1) / 9, rationale=out.rationale, experience_ids=ids)

    async def compare(self, task: Task, a: str, b: str) -> Preference:
        experience, ids = await self.experience(task)
        results: dict[str, PairwiseJudgement] = {}

        async def ask(key: str, first: str, second: str) -> None:
            results[key] = await self.model.structured(
                self.pairwise_messages(task, first, second, experience=experience),
                PairwiseJudgement, max_reasks=self.max_reasks, config=self.config,
            )

        try:
            async with anyio.create_task_group() as tg:
                tg.start_soon(ask, "ab", a, b)
                tg.start_soon(ask, "ba", b, a)
        except BaseExceptionGroup as group:
            # One failed ask fails the comparison: raise its typed error, not a group.
            raise group.exceptions[0] from None
        as_given: dict[str, Winner] = {"A": "a", "B": "b", "tie": "tie"}
        swapped: dict[str, Winner] = {"A": "b", "B": "a", "tie": "tie"}
        preference = combine_preferences(
            as_given[results["ab"].winner],
            swapped[results["ba"].winner],
            rationale=results["ab"].rationale,
        )
        return preference.model_copy(update={"experience_ids": ids})


def combine_preferences(forward: Winner, backward: Winner, *, rationale: str = "") -> Preference:
    """One preference from the two orders: agreement wins, a tie and a win is a win, else a tie."""
    votes = {"a": 1, "b": -1, "tie": 0}
    total = votes[forward] + votes[backward]
    winner: Winner = "a" if total > 0 else "b" if total < 0 else "tie"
    return Preference(winner=winner, rationale=rationale, consistent=forward == backward)


ScoreFunction = Callable[[Task, str], float | Awaitable[float]]
CompareFunction = Callable[[Task, str, str], Winner | Awaitable[Winner]]


class FunctionJudge:
    """A judge from plain functions: `score(task, candidate) -> float in [0, 1]`, and
    optionally `compare(task, a, b) -> "a" | "b" | "tie"` (by default, the higher score wins).
    """

    def __init__(self, score: ScoreFunction, *, compare: CompareFunction | None = None) -> None:
        self.score_fn = score
        self.compare_fn = compare

    async def score(self, task: Task, candidate: str) -> JudgeScore:
        return JudgeScore(score=float(await resolve(self.score_fn(task, candidate))))

    async def compare(self, task: Task, a: str, b: str) -> Preference:
        if self.compare_fn is not None:
            return Preference(winner=await resolve(self.compare_fn(task, a, b)))
        sa, sb = (await self.score(task, a)).score, (await self.score(task, b)).score
        return Preference(winner="a" if sa > sb else "b" if sb > sa else "tie")
