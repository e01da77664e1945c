"""Best-of-N: n candidates in parallel, the verifier's filter, then a judge's knockout bracket."""

from __future__ import annotations

import operator
from dataclasses import dataclass
from typing import Annotated, Any

from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.types import Checkpointer, Send
from pydantic import BaseModel, ConfigDict, Field

from agentloop._budget import Budget
from agentloop.errors import StructuredOutputError
from agentloop.graphs._events import GraphEvent, emit
from agentloop.graphs._node import node
from agentloop.graphs._routing import fan_out_unscored, router
from agentloop.graphs._state import (
    Candidate,
    GraphState,
    ScoreJob,
    StopReason,
    best_candidate,
    checkpointed,
)
from agentloop.graphs._steps import check_with_judge, check_with_verifier, propose
from agentloop.graphs._stopping import budget_left, cut_short_by
from agentloop.roles import Actor, Judge, Task, VerifierFactory, verifier_factory, visible_tests
from agentloop.tracing import current_span

__all__ = ["BestOfNState", "Match", "best_of_n_graph"]


@checkpointed
class Match(BaseModel):
    """One comparison in the bracket."""

    model_config = ConfigDict(frozen=True)

    bracket_round: int
    a: str
    b: str
    winner: str
    consistent: bool = True
    """False when the judge's two orders disagreed, or it failed and scores decided."""
    preferred: str | None = None
    """The id the judge preferred; None when it called a tie or failed (scores decided)."""
    rationale: str = ""
    experience_ids: list[str] = Field(default_factory=list)
    """Memory entries the judge was shown: `record_judge_outcome` credits or debits them."""


@checkpointed
class SampleJob(BaseModel):
    task: Task
    index: int


@checkpointed
class MatchJob(BaseModel):
    task: Task
    bracket_round: int
    a: Candidate
    b: Candidate


class BestOfNState(GraphState):
    alive: list[str] = Field(default_factory=list)
    """Ids still in the bracket."""
    bracket_round: int = 0
    matches: Annotated[list[Match], operator.add] = Field(default_factory=list)
    winner: str | None = None
    judged: bool | None = None
    """Whether every judgement the strategy called for was made: False when there is no judge,
    or when the budget ran out before the judge scored the samples or finished the bracket."""
    selection: str | None = None
    """How the winner was chosen, in words (`RunResult.extra["selection"]`)."""


def best_of_n_graph(
    *,
    actor: Actor,
    judge: Judge | None = None,
    verifier: VerifierFactory | None = None,
    n: int = 4,
    budget: Budget | None = None,
    checkpointer: Checkpointer = None,
) -> CompiledStateGraph[Any, Any, Any, Any]:
    """Sample `n` candidates in parallel and pick one.

    Code candidates run the visible tests; those that pass all of them go on (or, when none
    does, those with the best pass fraction). Prose candidates get the judge's pointwise score.
    The survivors meet in a knockout bracket decided by the judge's pairwise preference (asked
    in both orders); a tie, or a judge that fails to answer, goes to the higher score.
    Stop reasons: `solved` when the winner passes the visible tests, `budget` when the budget
    ended first, else `exhausted` (every sample was made and compared; prose always ends so).

    Args:
        judge: decides the bracket (and scores prose); without one, the best score wins.
        verifier: builds the verifier for a task's tests; the local sandbox when None.
        n: candidates to sample; they run in parallel up to the run's `max_concurrency`.
    """
    steps = BestOfNNodes(actor=actor, judge=judge, verifier=verifier_factory(verifier), n=n,
                         budget=budget)
    builder = StateGraph(BestOfNState)
    builder.add_node("start", start)
    builder.add_node("sample", node("sample", round_of=_first_round)(steps.sample))
    builder.add_node("gather", gather)
    builder.add_node("score", node("score", round_of=_first_round)(steps.score))
    builder.add_node("bracket", node("bracket", round_of=_bracket_round)(steps.bracket))
    builder.add_node("match", node("match", round_of=_bracket_round)(steps.match))
    builder.add_edge(START, "start")
    builder.add_conditional_edges("start", router(steps.fan_out_samples), ["sample"])
    builder.add_edge("sample", "gather")
    builder.add_conditional_edges(
        "gather", router(fan_out_unscored("score", "bracket")), ["score", "bracket"]
    )
    builder.add_edge("score", "bracket")
    builder.add_conditional_edges("bracket", router(fan_out_matches), ["match", END])
    builder.add_edge("match", "bracket")
    return builder.compile(checkpointer=checkpointer, name="best_of_n")


def _first_round(job: object) -> int:
    return 1  # every sample is made in the first (and only) round


def _bracket_round(state_or_job: BestOfNState | MatchJob) -> int:
    return state_or_job.bracket_round


async def start(state: BestOfNState) -> dict[str, Any]:
    """The tests the samples are checked with: the task's visible ones."""
    return {"tests": visible_tests(state.task), "round": 1}


async def gather(state: BestOfNState) -> dict[str, Any]:
    """Where the parallel samples meet, before they are scored."""
    return {}


@dataclass(frozen=True, kw_only=True)
class BestOfNNodes:
    """Best-of-N's steps that need its roles: sampling, scoring, the bracket and its matches."""

    actor: Actor
    judge: Judge | None
    verifier: VerifierFactory
    n: int
    budget: Budget | None

    def fan_out_samples(self, state: BestOfNState) -> list[Send]:
        """`n` parallel samples of the task."""
        return [Send("sample", SampleJob(task=state.task, index=i)) for i in range(self.n)]

    async def sample(self, job: SampleJob) -> dict[str, Any]:
        """One sample: its own draw of the actor's model."""
        candidate = await propose(self.actor, job.task, round=1, sample=job.index)
        return {"candidates": [candidate]}

    async def score(self, job: ScoreJob) -> dict[str, Any]:
        """A code sample runs the visible tests; a prose sample gets the judge's score."""
        candidate = job.candidate
        if job.task.is_code and (job.tests or self.judge is None):
            candidate = await check_with_verifier(candidate, job.task, job.tests, self.verifier)
        elif self.judge is not None:
            candidate = await check_with_judge(candidate, job.task, self.judge)
        return {"candidates": [candidate]}

    async def bracket(self, state: BestOfNState) -> dict[str, Any]:
        """One round of the bracket: who is still in, and, once one is left (or there is no
        judge, or the budget ran out), the winner and the stop reason."""
        alive = bracket_survivors(state)
        update: dict[str, Any] = {"alive": alive, "bracket_round": state.bracket_round + 1}
        stopping = state.stop_reason is not None or not budget_left(self.budget)
        if len(alive) <= 1 or self.judge is None or stopping:
            update |= settle_bracket(state, alive, has_judge=self.judge is not None,
                                     stopping=stopping)
            if (s := current_span()) is not None:
                s.set_attributes({"agentloop.judged": update["judged"],
                                  "agentloop.selection": update["selection"]})
        return update

    async def match(self, job: MatchJob) -> dict[str, Any]:
        """The judge's pairwise preference between two samples, asked in both orders."""
        assert self.judge is not None  # the bracket ends without matches when there is no judge
        return {"matches": [await play_match(self.judge, job)]}


def bracket_survivors(state: BestOfNState) -> list[str]:
    """The ids still in the bracket. Before the first round: the samples that passed every
    visible test, else (code with tests) those with the best pass fraction, else all. After a
    round: its winners, and whoever had no opponent."""
    if state.bracket_round == 0:
        passing = [c.id for c in state.candidates if c.passed]
        if passing:
            return passing
        if state.task.is_code and state.tests:
            top = max((c.score or 0.0) for c in state.candidates) if state.candidates else 0.0
            return [c.id for c in state.candidates if (c.score or 0.0) == top]
        return [c.id for c in state.candidates]
    played = [m for m in state.matches if m.bracket_round == state.bracket_round]
    winners = {m.winner for m in played}
    in_match = {m.a for m in played} | {m.b for m in played}
    return [i for i in state.alive if i in winners or i not in in_match]


def settle_bracket(
    state: BestOfNState, alive: list[str], *, has_judge: bool, stopping: bool
) -> dict[str, Any]:
    """The state update that ends the bracket: the winner (the best of those still in), how it
    was chosen, and the stop reason (unless one is set already)."""
    by_id = {c.id: c for c in state.candidates}
    pool = [by_id[i] for i in alive] or list(state.candidates)
    winner = best_candidate(pool)
    judged, selection = _selection(state, alive, has_judge, stopping)
    update: dict[str, Any] = {
        "winner": winner.id if winner else None, "judged": judged, "selection": selection
    }
    if state.stop_reason is None:
        if stopping:
            update["stop_reason"] = StopReason.BUDGET
        elif winner is not None and winner.passed:
            update["stop_reason"] = StopReason.SOLVED
        else:
            # All n samples were made and the bracket is over; no limit cut it short.
            update["stop_reason"] = StopReason.EXHAUSTED
    return update


def fan_out_matches(state: BestOfNState) -> list[Send] | str:
    """The round's matches, pairing those still in by order (an odd one out goes through);
    the end once there is a winner or a stop reason."""
    if state.winner is not None or state.stop_reason is not None:
        return END
    by_id = {c.id: c for c in state.candidates}
    alive = state.alive
    return [
        Send(
            "match",
            MatchJob(
                task=state.task, bracket_round=state.bracket_round,
                a=by_id[alive[i]], b=by_id[alive[i + 1]],
            ),
        )
        for i in range(0, len(alive) - 1, 2)
    ]


async def play_match(judge: Judge, job: MatchJob) -> Match:
    """The judge's verdict on `job`'s two samples; a tie, or a judge that fails to answer,
    goes to the higher score."""
    a, b = job.a, job.b
    by_score = a if (a.score or 0.0) >= (b.score or 0.0) else b
    try:
        preference = await judge.compare(job.task, a.text, b.text)
    except StructuredOutputError as exc:
        # A judge that cannot produce a verdict does not end the run: scores decide.
        if (s := current_span()) is not None:
            s.add_evaluation("judge", label="failed", explanation=str(exc))
        winner, consistent, preferred, rationale, seen = by_score, False, None, "", []
    else:
        winner = {"a": a, "b": b, "tie": by_score}[preference.winner]
        consistent = preference.consistent
        preferred = {"a": a.id, "b": b.id}.get(preference.winner)
        rationale, seen = preference.rationale, preference.experience_ids
        if (s := current_span()) is not None:
            s.add_evaluation(
                "judge", score=1.0 if winner is a else 0.0, label=preference.winner,
                explanation=preference.rationale,
            )
    emit(GraphEvent(kind="feedback", node="match", round=job.bracket_round,
                    candidate_id=winner.id, text=f"{winner.id} wins against "
                    f"{(b if winner is a else a).id}"))
    return Match(
        bracket_round=job.bracket_round, a=a.id, b=b.id, winner=winner.id,
        consistent=consistent, preferred=preferred, rationale=rationale, experience_ids=seen,
    )


def _selection(
    state: BestOfNState, alive: list[str], has_judge: bool, stopping: bool
) -> tuple[bool, str]:
    """Whether the winner was judged as the strategy intends, and how it was chosen."""
    candidates = state.candidates
    if not candidates:
        return False, "no sample was made"
    tested = any(c.passed is not None for c in candidates)
    if tested:
        ranked_by = "the best pass fraction on the visible tests"
    elif any(c.status is None and c.score is not None for c in candidates):
        ranked_by = "the highest score among the samples the judge scored"
    else:
        ranked_by = ""  # neither the tests nor the judge ranked the samples
    if has_judge and stopping and (len(alive) > 1 or any(c.score is None for c in candidates)):
        why = cut_short_by(state.stop_reason)
        if ranked_by:
            return False, f"not judged: {why} before the judge finished; the winner has {ranked_by}"
        return False, (
            f"not judged: {why} before the judge scored any sample; the first sample is "
            "returned, unranked"
        )
    if not has_judge:
        if ranked_by:
            return False, f"no judge: the winner has {ranked_by}"
        return False, "no judge and nothing verified: the first sample is returned, unranked"
    if len(alive) <= 1 and state.bracket_round == 0 and tested:
        return True, "the only sample with the best result on the visible tests"
    return True, "won the judge's bracket"

