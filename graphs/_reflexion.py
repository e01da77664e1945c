"""Reflexion: act, check, reflect on the failure, remember the lesson, act again."""

from __future__ import annotations

import operator
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.types import Checkpointer
from pydantic import Field

from agentloop._budget import Budget
from agentloop._memory import MemoryStore
from agentloop._verdict import Verdict
from agentloop.errors import GraphError
from agentloop.graphs._node import node
from agentloop.graphs._routing import route_unless_stopped, router
from agentloop.graphs._state import Candidate, GraphState, best_candidate
from agentloop.graphs._steps import (
    check_with_critic,
    check_with_verifier,
    propose,
    reflect,
    write_tests,
)
from agentloop.graphs._stopping import RoundLimits
from agentloop.memory import lesson as lesson_entry
from agentloop.memory import retrieve_for_prompt
from agentloop.roles import (
    Actor,
    Critic,
    Reflector,
    Task,
    TestWriter,
    VerifierFactory,
    verifier_factory,
    visible_tests,
)
from agentloop.tracing import current_span

__all__ = ["LessonPolicy", "ReflexionState", "reflexion_graph"]

LessonPolicy = Literal["validated", "all"]
"""Which lessons reflexion writes to the long-term memory store: `validated` only those the
next attempt passed after (the lesson demonstrably helped), `all` every one it writes."""


class ReflexionState(GraphState):
    lessons: Annotated[list[str], operator.add] = Field(default_factory=list)
    """Reflections written during this run, oldest first."""
    recalled: list[str] = Field(default_factory=list)
    """Lessons retrieved from the memory store at the start."""
    recalled_ids: list[str] = Field(default_factory=list)
    """Their ids: the run's outcome is recorded against them at the end."""
    stale_rounds: int = 0
    """Rounds in a row whose score did not beat the best so far."""
    pending_lesson: str | None = None
    """The latest lesson, not yet stored: it is kept only if the next attempt passes."""
    pending_span: str | None = None
    """The span of the reflection that wrote it, for the stored entry's provenance."""
    pending_evidence: str | None = None
    """The failing tests the lesson answered, stored with it if the lesson is kept."""


def reflexion_graph(
    *,
    actor: Actor,
    reflector: Reflector,
    explorer: Actor | None = None,
    verifier: VerifierFactory | None = None,
    critic: Critic | None = None,
    test_writer: TestWriter | None = None,
    memory: MemoryStore | None = None,
    max_rounds: int = 4,
    patience: int | None = 2,
    max_lessons: int = 3,
    recall_k: int = 3,
    recall_tokens: int = 300,
    persist_lessons: LessonPolicy = "validated",
    explorer_lessons: bool = False,
    budget: Budget | None = None,
    checkpointer: Checkpointer = None,
) -> CompiledStateGraph[Any, Any, Any, Any]:
    """Reflexion (Shinn et al., 2023) as a compiled graph.

    Code tasks are checked by running the task's visible tests (or, without any, tests drafted
    by `test_writer` and screened on a stub); prose is checked by `critic`. Each failure becomes
    a lesson that the next attempt sees; `memory` keeps the ones worth keeping for later runs.

    Args:
        explorer: proposes the attempt after a round that did not beat the best so far,
            typically the same model sampling at a temperature. It starts over from the task
            (see `explorer_lessons`), without the failed attempt in view: a greedy actor that has
            read its failure often writes the same program again, and for weak models a fresh
            sample beats repairing one's own program at equal cost (Olausson et al., 2023,
            "Is Self-Repair a Silver Bullet for Code Generation?"). Without an explorer,
            `actor` proposes every attempt.
        explorer_lessons: whether the explorer also sees this run's own lessons. Off by
            default: a stale round is evidence that those lessons did not help, and a weak
            reflector's wrong diagnosis steers every later sample the same wrong way (on Q1 with
            a 0.5B model, fresh samples with the lessons solved none of 7 stuck problems, without
            them 3; BENCHMARKS.md). Lessons recalled from `memory` were validated by a pass and
            are always shown.
        verifier: builds the verifier for a task's tests; the local sandbox when None.
        max_rounds: attempts at most (stop reason `max_depth`).
        patience: rounds without a better score before stopping (`no_progress`); None: never.
        max_lessons: how many of this run's latest lessons the actor sees.
        recall_k: most lessons retrieved from `memory` for the task (same `task.family` only,
            when the task has one; unrelated and retired lessons stay out).
        recall_tokens: the token allowance for the retrieved lessons in the actor's prompt.
        persist_lessons: which lessons go to `memory`. "validated" (the default) stores a
            lesson only when the attempt that followed it passed (the visible tests, or the
            critic for prose): a weak model's reflections are often wrong, and a wrong lesson
            recalled into sibling tasks misleads them. A validated lesson is stored with the
            evidence it answered (hindsight): the failing tests' expected/actual from the verdict
            right before the passing attempt, e.g. "product([]) returned 1; expected
            ValueError". A weak reflector's wording is often vague; the evidence is what
            actually taught the model. "all" stores every lesson as written.
    """
    if persist_lessons not in ("validated", "all"):
        raise GraphError(
            f"persist_lessons must be 'validated' or 'all', not {persist_lessons!r}"
        )
    steps = ReflexionNodes(
        actor=actor, explorer=explorer, reflector=reflector, critic=critic,
        verifier=verifier_factory(verifier), test_writer=test_writer,
        lessons=LessonMemory(memory, recall_k=recall_k, recall_tokens=recall_tokens,
                             policy=persist_lessons) if memory is not None else None,
        limits=RoundLimits(max_rounds, patience, budget),
        max_lessons=max_lessons, explorer_lessons=explorer_lessons,
    )
    builder = StateGraph(ReflexionState)
    builder.add_node("prepare", node("prepare")(steps.prepare))
    builder.add_node("act", node("act")(steps.act))
    builder.add_node("evaluate", node("evaluate")(steps.evaluate))
    builder.add_node("reflect", node("reflect")(steps.reflect_on_failure))
    builder.add_node("finish", node("finish")(steps.finish))
    builder.add_edge(START, "prepare")
    # Each step goes on to the next, or to finish once a stop reason is set.
    for here, then in (
        ("prepare", "act"), ("act", "evaluate"), ("evaluate", "reflect"), ("reflect", "act")
    ):
        builder.add_conditional_edges(
            here, router(route_unless_stopped(then, stop_node="finish")), [then, "finish"]
        )
    builder.add_edge("finish", END)
    return builder.compile(checkpointer=checkpointer, name="reflexion")


@dataclass(frozen=True)
class LessonMemory:
    """Where reflexion's lessons outlive a run: recalled into the prompt at the start, kept
    by `policy`, and credited or debited with the run's outcome at the end."""

    store: MemoryStore
    recall_k: int
    """Most lessons recalled (same `task.family` only, when the task has one)."""
    recall_tokens: int
    """The token allowance for the recalled lessons in the actor's prompt."""
    policy: LessonPolicy

    async def recall(self, task: Task) -> dict[str, Any]:
        """The state update with the lessons recalled for `task` and their ids."""
        recalled = await retrieve_for_prompt(
            self.store, task.prompt, k=self.recall_k, kind="lesson",
            where={"task_family": task.family} if task.family else None,
            token_allowance=self.recall_tokens,
        )
        return {
            "recalled": [hit.entry.text for hit in recalled.hits],
            "recalled_ids": recalled.entry_ids,
        }

    async def keep(self, text: str, family: str | None, span_id: str | None) -> None:
        """Store a lesson, with the run and the reflection span that wrote it."""
        span = current_span()
        await self.store.add(
            lesson_entry(
                text,
                task_family=family,
                role="actor",
                source_run=span.trace_id if span else None,
                source_span=span_id,
            )
        )

    async def settle(self, recalled_ids: list[str], *, success: bool) -> None:
        """The recalled lessons share the run's fate: they gain when it passed and lose when
        it did not."""
        await self.store.record_outcome(recalled_ids, success=success)


_NO_PENDING: dict[str, Any] = {
    "pending_lesson": None, "pending_span": None, "pending_evidence": None
}
"""The update that drops the pending lesson."""


@dataclass(frozen=True, kw_only=True)
class ReflexionNodes:
    """Reflexion's steps, each a function of `ReflexionState` to a state update."""

    actor: Actor
    explorer: Actor | None
    reflector: Reflector
    critic: Critic | None
    verifier: VerifierFactory
    test_writer: TestWriter | None
    lessons: LessonMemory | None
    limits: RoundLimits
    max_lessons: int
    explorer_lessons: bool

    async def prepare(self, state: ReflexionState) -> dict[str, Any]:
        """The tests to check with (drafted when the task has none), and the recalled lessons."""
        task = state.task
        tests = visible_tests(task)
        if task.is_code and not tests and self.test_writer is not None:
            tests = await write_tests(task, self.test_writer, self.verifier)
        update: dict[str, Any] = {"tests": tests}
        check_checkable(task, tests, self.critic)
        if self.lessons is not None:
            update |= await self.lessons.recall(task)
        return update

    async def act(self, state: ReflexionState) -> dict[str, Any]:
        """The next attempt: the actor revises the last one, or, after a round that did not
        beat the best, the explorer starts over from the task."""
        last = state.candidates[-1] if state.candidates else None
        stuck = self.explorer is not None and state.stale_rounds > 0
        own_lessons = (
            state.lessons[-self.max_lessons:] if self.explorer_lessons or not stuck else []
        )
        candidate = await propose(
            self.explorer if stuck and self.explorer is not None else self.actor,
            state.task,
            # The explorer starts over from the task: shown its own failed program, a weak
            # model tends to write it again.
            history=[last.attempt()] if last and not stuck else [],
            # A reflector that repeats itself would show the actor one lesson several times.
            lessons=list(dict.fromkeys([*state.recalled, *own_lessons])),
            round=state.round + 1,
            parent=last.id if last else None,
            # Each exploring round is its own sample, even where its prompt repeats an earlier.
            sample=state.round if stuck else 0,
        )
        update: dict[str, Any] = {"candidates": [candidate], "round": state.round + 1}
        if state.pending_lesson is not None and state.pending_lesson not in own_lessons:
            # An attempt that never saw the latest lesson cannot vouch for it in memory.
            update |= _NO_PENDING
        return update

    async def evaluate(self, state: ReflexionState) -> dict[str, Any]:
        """Check the latest attempt (the tests, or the critic for prose), decide whether to
        stop, and keep the pending lesson if this attempt passed after it."""
        candidate = state.candidates[-1]
        previous_best = best_candidate(state.candidates[:-1])
        if state.task.is_code and (state.tests or self.critic is None):
            checked = await check_with_verifier(candidate, state.task, state.tests, self.verifier)
        else:
            assert self.critic is not None  # prepare() refused to start without one
            checked = await check_with_critic(candidate, state.task, self.critic)
        stop, stale = self.limits.decide(
            checked, previous_best, round=state.round, stale_rounds=state.stale_rounds
        )
        if self.lessons is not None and state.pending_lesson and passed_or_accepted(checked):
            # The attempt right after this lesson passed: it earned its place in memory.
            await self.lessons.keep(
                with_evidence(state.pending_lesson, state.pending_evidence),
                state.task.family, state.pending_span,
            )
        return {
            "candidates": [checked], "stale_rounds": stale, "stop_reason": stop, **_NO_PENDING
        }

    async def reflect_on_failure(self, state: ReflexionState) -> dict[str, Any]:
        """A lesson from the failed attempt: stored at once under policy "all", else pending
        until the next attempt shows whether it helped."""
        candidate = state.candidates[-1]
        lesson = await reflect(self.reflector, state.task, candidate)
        if not lesson:
            return {}
        span = current_span()
        span_id = span.span_id if span else None
        if self.lessons is not None and self.lessons.policy == "all":
            await self.lessons.keep(lesson, state.task.family, span_id)
            return {"lessons": [lesson]}
        return {
            "lessons": [lesson], "pending_lesson": lesson, "pending_span": span_id,
            "pending_evidence": failing_evidence(candidate.verdict),
        }

    async def finish(self, state: ReflexionState) -> dict[str, Any]:
        """Credit or debit the recalled lessons with the run's outcome."""
        if self.lessons is not None and state.recalled_ids:
            # Passed: the visible tests, or the critic for prose.
            best = best_candidate(state.candidates)
            await self.lessons.settle(
                state.recalled_ids, success=best is not None and passed_or_accepted(best)
            )
        return {}


def check_checkable(task: Task, tests: list[str], critic: Critic | None) -> None:
    """Raise a `GraphError` when reflexion has no way to check `task`'s attempts."""
    if task.is_code and not tests and critic is None and task.entry_point is None:
        raise GraphError(
            f"reflexion cannot check task {task.name!r}: give it visible tests, an "
            "entry point, a test writer or a critic"
        )
    if not task.is_code and critic is None:
        raise GraphError(f"reflexion needs a critic to check the prose task {task.name!r}")


EVIDENCE_CHARS = 200
"""The most characters of failing-test evidence stored with a lesson: enough for one or two
expected/actual lines, short enough to stay within the recall allowance."""

def failing_evidence(verdict: Verdict | None, *, limit: int = EVIDENCE_CHARS) -> str | None:
    """The failed assertions' expected and actual, from the verdict's test results, one line cut
    to `limit` characters; None without a verdict (prose) or a failed assertion (a crash)."""
    if verdict is None:
        return None
    # Imported here: the wording lives with the sandbox's feedback, which a graph loads only
    # once it verifies something.
    from agentloop.sandbox._feedback import lesson_evidence

    return lesson_evidence(verdict, limit=limit)


def with_evidence(lesson: str, evidence: str | None) -> str:
    """A validated lesson as stored: with the failing test it answered, when known."""
    return f"{lesson}\nThe failing test it fixed: {evidence}" if evidence else lesson


def passed_or_accepted(candidate: Candidate) -> bool:
    """Passed the visible tests, or, with none run (prose), was accepted by the critic."""
    return bool(candidate.passed) or (candidate.passed is None and bool(candidate.accepted))
