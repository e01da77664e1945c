"""Steps shared by the graphs: the node wrapper, and proposing, checking and reflecting.

A custom graph reuses these: wrap each node function with `node(name)` and call the steps.
"""

from __future__ import annotations

import contextvars
import functools
import inspect
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol, TypedDict, TypeVar

from langgraph.types import Send

from agentloop._budget import Budget
from agentloop._memory import MemoryStore
from agentloop._verdict import Verdict
from agentloop.errors import BudgetExhausted, ModelError
from agentloop.graphs._events import GraphEvent, current_node, emit, events_wanted
from agentloop.graphs._judge_memory import remember_pointwise
from agentloop.graphs._state import Candidate, ScoreJob, StopReason
from agentloop.model import sample_index
from agentloop.roles import (
    Actor,
    Attempt,
    Critic,
    Judge,
    Reflector,
    Task,
    TestWriter,
    VerifierFactory,
    screen_tests,
)
from agentloop.tracing import SpanKind, current_span, span

if TYPE_CHECKING:
    from langgraph.graph.state import CompiledStateGraph
    from langgraph.types import Checkpointer

__all__ = [
    "NodeFunction",
    "act_check_loop",
    "budget_left",
    "check_with_critic",
    "check_with_judge",
    "check_with_verifier",
    "cut_short_by",
    "decide_stop",
    "fan_out_unscored",
    "model_failures",
    "node",
    "propose",
    "reflect",
    "route_unless_stopped",
    "router",
    "write_tests",
]

In = TypeVar("In")
In_contra = TypeVar("In_contra", contravariant=True)
Update = dict[str, Any]


class NodeFunction(Protocol[In_contra]):
    """An async graph node: the state (or a `Send` argument) in, a state update out."""

    def __call__(self, state: In_contra) -> Awaitable[Update]: ...


model_failures: contextvars.ContextVar[list[ModelError] | None] = contextvars.ContextVar(
    "agentloop_model_failures", default=None
)
"""Set by `run_graph` to a list: the model errors that ended nodes of this run, in order."""


def node(
    name: str, *, round_of: Callable[[Any], int | None] | None = None
) -> Callable[[Callable[[In], Awaitable[Update]]], NodeFunction[In]]:
    """Make a graph node out of `fn`: a NODE span, started/finished events, and a budget stop.

    A `BudgetExhausted` raised inside becomes the update `stop_reason=budget`, so a branch that
    runs out ends the run with the best candidate so far instead of crashing it. A `ModelError`
    (a call that failed past its retries) likewise becomes `stop_reason=error`: the node's span
    records it, and so does `model_failures` when the run collects them.
    """

    def wrap(fn: Callable[[In], Awaitable[Update]]) -> NodeFunction[In]:
        @functools.wraps(fn)
        async def run(state: In) -> Update:
            round_ = round_of(state) if round_of else getattr(state, "round", None)
            wanted = events_wanted()
            if wanted:
                emit(GraphEvent(kind="node_started", node=name, round=round_))
            token = current_node.set(name)
            attributes: dict[str, Any] = {"agentloop.node": name}
            if round_ is not None:
                attributes["agentloop.round"] = round_
            with span(name, kind=SpanKind.NODE, attributes=attributes) as s:
                try:
                    update = await fn(state)
                except BudgetExhausted as exc:
                    s.set_attribute("agentloop.budget_exhausted", exc.limit)
                    update = {"stop_reason": StopReason.BUDGET}
                except ModelError as exc:
                    # Parallel branches that are still running finish and keep their results.
                    s.record_error(exc)
                    if (failures := model_failures.get()) is not None:
                        failures.append(exc)
                    update = {"stop_reason": StopReason.ERROR}
                finally:
                    current_node.reset(token)
            if wanted:
                emit(GraphEvent(kind="node_finished", node=name, round=round_))
            return update

        return run

    return wrap


def cut_short_by(stop: StopReason | None) -> str:
    """What ended a phase of a run early, in words ("the budget ran out")."""
    return "a model call failed" if stop is StopReason.ERROR else "the budget ran out"


def budget_left(budget: Budget | None) -> bool:
    """False once a limit is reached: routers stop before starting work that cannot be paid."""
    return budget is None or budget.exceeded() is None


async def propose(
    actor: Actor,
    task: Task,
    *,
    history: Sequence[Attempt] = (),
    lessons: Sequence[str] = (),
    round: int = 0,
    parent: str | None = None,
    sample: int = 0,
) -> Candidate:
    """Ask the actor for a candidate, and announce it.

    `sample` tells parallel branches that ask the same thing apart: the actor's model calls ask
    for that sample of their request (`agentloop.model.sample_index`), so n branches get n
    different answers, each reproducible, instead of one answer n times.
    """
    with sample_index(sample):
        text = await actor.propose(task, history=history, lessons=lessons)
    candidate = Candidate(text=text, round=round, parent=parent)
    if (s := current_span()) is not None:
        s.set_attributes({"agentloop.candidate_id": candidate.id, "agentloop.candidate": text})
    if events_wanted():
        emit(GraphEvent(kind="candidate", round=round, candidate_id=candidate.id, text=text))
    return candidate


def _announce(candidate: Candidate, *, evaluator: str, label: str, explanation: str) -> None:
    if (s := current_span()) is not None:
        s.add_evaluation(evaluator, score=candidate.score, label=label, explanation=explanation)
    if not events_wanted():
        return
    emit(
        GraphEvent(
            kind="score", round=candidate.round, candidate_id=candidate.id,
            score=candidate.score, passed=candidate.passed,
        )
    )
    if candidate.feedback:
        emit(
            GraphEvent(
                kind="feedback", round=candidate.round, candidate_id=candidate.id,
                text=candidate.feedback,
            )
        )


async def check_with_verifier(
    candidate: Candidate, task: Task, tests: Sequence[str], verifier: VerifierFactory
) -> Candidate:
    """Run the candidate against `tests`; its score becomes the pass fraction.

    A verdict that verified nothing (no test ran, the tests or the sandbox failed: see
    `VerdictStatus.verified`) leaves `passed` None and the score 0: such a candidate is never
    solved, whatever the verifier's status says about the code itself.
    """
    verdict: Verdict = await verifier(task, tests).verify(candidate.text)
    verified = verdict.status.verified
    passed = verdict.passed if verified else None
    checked = candidate.model_copy(
        update={
            "score": verdict.score if verified else 0.0,
            "passed": passed,
            "feedback": verdict.feedback or ("All tests passed." if passed else ""),
            "status": str(verdict.status),
        }
    )
    label = ("pass" if passed else "fail") if verified else str(verdict.status)
    _announce(checked, evaluator="verifier", label=label, explanation=verdict.feedback)
    return checked


async def check_with_critic(candidate: Candidate, task: Task, critic: Critic) -> Candidate:
    """Ask the critic; its feedback is added to any the candidate already has."""
    critique = await critic.critique(task, candidate.text)
    feedback = "\n\n".join(f for f in (candidate.feedback, critique.feedback) if f)
    update: dict[str, Any] = {"accepted": critique.accept, "feedback": feedback}
    if candidate.passed is None and critique.score is not None:
        update["score"] = critique.score
    checked = candidate.model_copy(update=update)
    _announce(
        checked, evaluator="critic", label="accepted" if critique.accept else "revise",
        explanation=critique.feedback,
    )
    return checked


async def check_with_judge(
    candidate: Candidate,
    task: Task,
    judge: Judge,
    *,
    weight: float = 1.0,
    memory: MemoryStore | None = None,
) -> Candidate:
    """Score the candidate with the judge; with a verifier score already, mix them by `weight`.

    With `memory` and a verifier's verdict on the candidate, the judge's score is checked
    against it and kept as judge experience (`remember_pointwise`).
    """
    verdict = await judge.score(task, candidate.text)
    if memory is not None:
        await remember_pointwise(memory, task, verdict, candidate)
    if candidate.score is None or candidate.passed is None:
        score = verdict.score
    else:
        score = (1 - weight) * candidate.score + weight * verdict.score
    feedback = "\n\n".join(f for f in (candidate.feedback, verdict.rationale) if f)
    checked = candidate.model_copy(update={"score": score, "feedback": feedback})
    _announce(
        checked, evaluator="judge", label=f"{verdict.score:.2f}", explanation=verdict.rationale
    )
    return checked


async def reflect(reflector: Reflector, task: Task, candidate: Candidate) -> str:
    """A lesson from a failed candidate."""
    lesson = await reflector.reflect(task, candidate.text, candidate.feedback)
    if (s := current_span()) is not None:
        s.set_attribute("agentloop.lesson", lesson)
    if events_wanted():
        emit(GraphEvent(kind="feedback", round=candidate.round, candidate_id=candidate.id,
                        text=f"lesson: {lesson}"))
    return lesson


async def write_tests(
    task: Task, writer: TestWriter, verifier: VerifierFactory | None
) -> list[str]:
    """Tests drafted from the task, kept only when valid and failing on a stub solution."""
    drafted = await writer.write_tests(task)
    kept = await screen_tests(drafted, task, verifier=verifier)
    if (s := current_span()) is not None:
        s.set_attributes(
            {"agentloop.tests_drafted": len(drafted), "agentloop.tests_kept": len(kept)}
        )
    return kept


def decide_stop(
    checked: Candidate,
    previous_best: Candidate | None,
    *,
    round: int,
    max_rounds: int,
    stale_rounds: int,
    patience: int | None,
    budget: Budget | None,
) -> tuple[StopReason | None, int]:
    """For a loop that makes one candidate per round: whether to stop, and the new stale count.

    A verifier's pass settles it (`solved`); a critic's acceptance counts only where no verifier
    ran, since execution outranks opinion.
    """
    better = previous_best is None or (checked.score or 0.0) > (previous_best.score or 0.0)
    stale = 0 if better else stale_rounds + 1
    if checked.passed:
        return StopReason.SOLVED, stale
    if checked.accepted and checked.passed is None:
        return StopReason.ACCEPTED, stale
    if round >= max_rounds:
        return StopReason.MAX_DEPTH, stale
    if patience is not None and stale >= patience:
        return StopReason.NO_PROGRESS, stale
    if not budget_left(budget):
        return StopReason.BUDGET, stale
    return None, stale


def router(route: Callable[..., Any]) -> Any:
    """`route`, ready for `add_conditional_edges`, without LangChain callback tracing.

    LangGraph wraps a plain router in a traced runnable that opens a callback run (and an
    asyncio task) for every routing decision: about a tenth of agentloop's overhead per step in
    P1, and the decision is already in agentloop's own spans. Where LangGraph's runnable class
    cannot be found (it is only half public), the router is returned as it is: slower, same
    behaviour. A sync router runs on the event loop (LangGraph would run it in a worker
    thread), so it must not block; an async one, or an object with an async `__call__`, is
    awaited.
    """
    try:
        from langgraph._internal._runnable import RunnableCallable
    except ImportError:  # pragma: no cover - depends on the LangGraph release
        try:
            from langgraph.utils.runnable import RunnableCallable  # type: ignore[attr-defined]
        except ImportError:
            return route
    name = getattr(route, "__name__", None) or type(route).__name__
    if inspect.iscoroutinefunction(route) or inspect.iscoroutinefunction(
        getattr(route, "__call__", None)  # noqa: B004 - an object with an async __call__
    ):
        return RunnableCallable(None, route, name=name, trace=False)
    return RunnableCallable(route, name=name, trace=False)


def route_unless_stopped(
    next_node: str, *, stop_node: str = "finish"
) -> Callable[[StopView], Awaitable[str]]:
    """A router to `next_node`, or to `stop_node` once the state has a stop reason.

    Async, like the nodes: LangGraph runs a sync router in a worker thread (a thread hop and two
    event-loop wake-ups per step), an async one inline.
    """

    async def route(state: StopView) -> str:
        # A channel never written is absent: the state's default, no stop reason.
        return stop_node if state.get("stop_reason") else next_node

    return route


class StopView(TypedDict, total=False):
    """The one field a stop router reads. Annotated with it, a router gets only that channel:
    LangGraph otherwise rebuilds (and validates) the whole pydantic state for every decision."""

    stop_reason: StopReason | None


def fan_out_unscored(
    score_node: str, done_node: str
) -> Callable[[Any], Awaitable[list[Send] | str]]:
    """A router that scores every candidate not yet scored, in parallel, then goes to `done_node`.

    Async for the same reason as `route_unless_stopped`.
    """

    async def route(state: Any) -> list[Send] | str:
        jobs = [
            Send(score_node, ScoreJob(task=state.task, tests=state.tests, candidate=c))
            for c in state.candidates
            if c.score is None
        ]
        return jobs or done_node

    return route


def act_check_loop(
    state_type: type[Any],
    *,
    act: NodeFunction[Any],
    check: NodeFunction[Any],
    check_name: str,
    checkpointer: Checkpointer,
    name: str,
) -> CompiledStateGraph[Any, Any, Any, Any]:
    """The loop of self-refine and try-again: act, check, act, ... until a stop reason is set."""
    from langgraph.graph import END, START, StateGraph

    @node("finish")
    async def finish(state: Any) -> dict[str, Any]:
        return {}

    builder = StateGraph(state_type)
    builder.add_node("act", act)
    builder.add_node(check_name, check)
    builder.add_node("finish", finish)
    builder.add_edge(START, "act")
    builder.add_conditional_edges(
        "act", router(route_unless_stopped(check_name)), [check_name, "finish"]
    )
    builder.add_conditional_edges(
        check_name, router(route_unless_stopped("act")), ["act", "finish"]
    )
    builder.add_edge("finish", END)
    return builder.compile(checkpointer=checkpointer, name=name)
