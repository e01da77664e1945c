"""State shared by every graph: candidates, the stop reason, and the uniform `RunResult`."""

# No `from __future__ import annotations` here: LangGraph reads the type hints of the
# state classes on every graph build, and string annotations are compiled each time (P1).

import uuid
from enum import StrEnum
from typing import Annotated, Any, Protocol, Self, TypeVar

from pydantic import BaseModel, ConfigDict, Field, computed_field

from agentloop._messages import Usage
from agentloop._verdict import TestOutcome, TestResult, Verdict, VerdictStatus
from agentloop.roles import Attempt, Task

__all__ = [
    "CHECKPOINTED_TYPES",
    "Candidate",
    "GraphState",
    "RunResult",
    "ScoreJob",
    "StopReason",
    "best_candidate",
    "checkpointed",
    "first_stop",
    "upsert",
]


CHECKPOINTED_TYPES: list[type[Any]] = [
    Task, Attempt, Verdict, TestResult, VerdictStatus, TestOutcome
]
"""Types that may appear in a checkpoint; the checkpointer revives these and no others."""

M = TypeVar("M", bound=type[Any])


def checkpointed(cls: M) -> M:
    """Class decorator: allow instances of `cls` in checkpoints (state fields, `Send` arguments)."""
    CHECKPOINTED_TYPES.append(cls)
    return cls


@checkpointed
class StopReason(StrEnum):
    """Why a graph stopped."""

    SOLVED = "solved"
    """A candidate passed every test the graph could see."""
    ACCEPTED = "accepted"
    """The critic (or the judge, for prose) accepted a candidate."""
    BUDGET = "budget"
    """A budget limit was reached; the result is the best candidate so far."""
    NO_PROGRESS = "no_progress"
    """Scores stopped improving for `patience` rounds."""
    MAX_DEPTH = "max_depth"
    """The round, depth or iteration limit was reached, or the search tree was exhausted."""
    EXHAUSTED = "exhausted"
    """Every candidate the strategy makes was made and compared, and none passed the visible
    tests (best-of-N after its n samples and its bracket): the result is the best of them.
    Not a limit cut short, as `max_depth` and `budget` are: more of the same would not help."""
    ERROR = "error"
    """A model call failed for good (its retries spent, or an error not worth retrying): the
    result is the best candidate so far, and `RunResult.extra["error"]` says what failed."""


@checkpointed
class Candidate(BaseModel):
    """One proposed answer and what was learned about it."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(default_factory=lambda: uuid.uuid4().hex[:12])
    text: str
    round: int = 0
    parent: str | None = None
    """The candidate this one refined (LATS: its parent in the tree)."""
    score: float | None = None
    """In [0, 1]: the verifier's pass fraction, else the critic's or judge's score."""
    passed: bool | None = None
    """The verifier's verdict on the visible tests; None when none ran."""
    accepted: bool | None = None
    """The critic's verdict; None when no critic looked."""
    feedback: str = ""
    """What the verifier, critic or user said about it, as the actor will see it."""
    verdict: Verdict | None = None
    """The verifier's verdict, with each test's result; None when no verifier ran."""

    @computed_field  # type: ignore[prop-decorator]
    @property
    def status(self) -> VerdictStatus | None:
        """The verifier's status, when one ran."""
        return self.verdict.status if self.verdict is not None else None

    def verified_by(self, verdict: Verdict) -> Self:
        """This candidate with the verifier's `verdict`, and the score, pass and feedback it
        gives. A verdict that verified nothing (see `VerdictStatus.verified`) leaves `passed`
        None and the score 0: such a candidate is never solved, whatever its status says."""
        verified = verdict.status.verified
        passed = verdict.passed if verified else None
        return self.model_copy(
            update={
                "verdict": verdict,
                "score": verdict.score if verified else 0.0,
                "passed": passed,
                "feedback": verdict.feedback or ("All tests passed." if passed else ""),
            }
        )

    def attempt(self, *, feedback: str | None = None) -> Attempt:
        return Attempt(
            candidate=self.text,
            feedback=self.feedback if feedback is None else feedback,
            score=self.score,
        )


class _HasId(Protocol):
    @property
    def id(self) -> str: ...


T = TypeVar("T", bound=_HasId)


def upsert(old: list[T], new: list[T]) -> list[T]:
    """Reducer: entries of `new` replace the entries of `old` with the same id, or are appended."""
    index = {item.id: i for i, item in enumerate(old)}
    merged = list(old)
    for item in new:
        if item.id in index:
            merged[index[item.id]] = item
        else:
            index[item.id] = len(merged)
            merged.append(item)
    return merged


def first_stop(old: StopReason | None, new: StopReason | None) -> StopReason | None:
    """Reducer: the first stop reason set wins (branches that end later do not overwrite it)."""
    return old if old is not None else new


def best_candidate(candidates: list[Candidate]) -> Candidate | None:
    """Passing beats failing, accepted beats not, then the higher score, then the earlier one."""
    if not candidates:
        return None

    def rank(pair: tuple[int, Candidate]) -> tuple[bool, bool, float, int]:
        i, c = pair
        return (bool(c.passed), bool(c.accepted), c.score if c.score is not None else -1.0, -i)

    return max(enumerate(candidates), key=rank)[1]


@checkpointed
class ScoreJob(BaseModel):
    """A `Send` argument: score one candidate in its own branch."""

    task: Task
    tests: list[str]
    candidate: Candidate


class GraphState(BaseModel):
    """Fields every graph's state has; each graph adds its own. `run_graph` makes its
    `RunResult` from these fields of the final state."""

    task: Task
    tests: list[str] = Field(default_factory=list)
    """The tests the verifier runs: the task's visible ones, or ones the graph wrote itself."""
    candidates: Annotated[list[Candidate], upsert] = Field(default_factory=list)
    round: int = 0
    stop_reason: Annotated[StopReason | None, first_stop] = None


class RunResult(BaseModel):
    """What every graph run returns, whatever the strategy."""

    model_config = ConfigDict(frozen=True)

    graph: str
    task: str
    """The task's name."""
    best: Candidate | None
    stop_reason: StopReason
    rounds: int = 0
    candidates: list[Candidate] = Field(default_factory=list)
    usage: Usage = Usage()
    """Tokens and cost spent by this run (in this process, when resumed)."""
    calls: int = 0
    """Model calls made by this run (in this process, when resumed)."""
    wall_seconds: float = 0.0
    trace_id: str | None = None
    thread_id: str | None = None
    """The checkpoint thread: pass it back to resume."""
    extra: dict[str, Any] = Field(default_factory=dict)
    """Graph-specific results (e.g. LATS's tree)."""

    @property
    def answer(self) -> str:
        """The best candidate's text ("" when none was produced)."""
        return self.best.text if self.best else ""

    @property
    def score(self) -> float | None:
        return self.best.score if self.best else None

    @property
    def passed(self) -> bool:
        """True when the best candidate passed the visible tests."""
        return bool(self.best and self.best.passed)

    @property
    def succeeded(self) -> bool:
        return self.stop_reason in (StopReason.SOLVED, StopReason.ACCEPTED)
