"""Reflexion: act, check, reflect on the failure, remember the lesson, act again."""

from __future__ import annotations

import operator
import re
from typing import Annotated, Any, Literal

from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.types import Checkpointer
from pydantic import Field

from agentloop._budget import Budget
from agentloop._memory import MemoryStore
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
from agentloop.graphs._stopping import decide_stop
from agentloop.memory import lesson as lesson_entry
from agentloop.memory import retrieve_for_prompt
from agentloop.roles import (
    Actor,
    Critic,
    Reflector,
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
    """The failing tests' feedback the lesson answered, stored with it if the lesson is kept."""


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
    make_verifier = verifier_factory(verifier)

    async def store_lesson(text: str, family: str | None, span_id: str | None) -> None:
        assert memory is not None
        span = current_span()
        await memory.add(
            lesson_entry(
                text,
                task_family=family,
                role="actor",
                source_run=span.trace_id if span else None,
                source_span=span_id,
            )
        )

    @node("prepare")
    async def prepare(state: ReflexionState) -> dict[str, Any]:
        update: dict[str, Any] = {}
        task = state.task
        tests = visible_tests(task)
        if task.is_code and not tests and test_writer is not None:
            tests = await write_tests(task, test_writer, make_verifier)
        update["tests"] = tests
        if task.is_code and not tests and critic is None and task.entry_point is None:
            raise GraphError(
                f"reflexion cannot check task {task.name!r}: give it visible tests, an "
                "entry point, a test writer or a critic"
            )
        if not task.is_code and critic is None:
            raise GraphError(f"reflexion needs a critic to check the prose task {task.name!r}")
        if memory is not None:
            recalled = await retrieve_for_prompt(
                memory, task.prompt, k=recall_k, kind="lesson",
                where={"task_family": task.family} if task.family else None,
                token_allowance=recall_tokens,
            )
            update["recalled"] = [hit.entry.text for hit in recalled.hits]
            update["recalled_ids"] = recalled.entry_ids
        return update

    @node("act")
    async def act(state: ReflexionState) -> dict[str, Any]:
        last = state.candidates[-1] if state.candidates else None
        stuck = explorer is not None and state.stale_rounds > 0
        own_lessons = state.lessons[-max_lessons:] if explorer_lessons or not stuck else []
        candidate = await propose(
            explorer if stuck and explorer is not None else actor,
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
            update |= {"pending_lesson": None, "pending_span": None, "pending_evidence": None}
        return update

    @node("evaluate")
    async def evaluate(state: ReflexionState) -> dict[str, Any]:
        candidate = state.candidates[-1]
        previous_best = best_candidate(state.candidates[:-1])
        if state.task.is_code and (state.tests or critic is None):
            checked = await check_with_verifier(candidate, state.task, state.tests, make_verifier)
        else:
            assert critic is not None  # prepare() refused to start without one
            checked = await check_with_critic(candidate, state.task, critic)
        stop, stale = decide_stop(
            checked, previous_best, round=state.round, max_rounds=max_rounds,
            stale_rounds=state.stale_rounds, patience=patience, budget=budget,
        )
        if memory is not None and state.pending_lesson and _passed(checked):
            # The attempt right after this lesson passed: it earned its place in memory.
            await store_lesson(
                _with_evidence(state.pending_lesson, state.pending_evidence),
                state.task.family, state.pending_span,
            )
        return {
            "candidates": [checked], "stale_rounds": stale, "stop_reason": stop,
            "pending_lesson": None, "pending_span": None, "pending_evidence": None,
        }

    @node("reflect")
    async def reflect_node(state: ReflexionState) -> dict[str, Any]:
        candidate = state.candidates[-1]
        lesson = await reflect(reflector, state.task, candidate)
        if not lesson:
            return {}
        span = current_span()
        span_id = span.span_id if span else None
        if memory is not None and persist_lessons == "all":
            await store_lesson(lesson, state.task.family, span_id)
            return {"lessons": [lesson]}
        return {
            "lessons": [lesson], "pending_lesson": lesson, "pending_span": span_id,
            "pending_evidence": failing_evidence(candidate.feedback),
        }

    @node("finish")
    async def finish(state: ReflexionState) -> dict[str, Any]:
        if memory is not None and state.recalled_ids:
            # The recalled lessons share the run's fate: they gain when it passed (the visible
            # tests, or the critic for prose) and lose when it did not.
            best = best_candidate(state.candidates)
            await memory.record_outcome(
                state.recalled_ids, success=best is not None and _passed(best)
            )
        return {}

    def unless_stopped(next_node: str) -> Any:
        return router(route_unless_stopped(next_node, stop_node="finish"))

    builder = StateGraph(ReflexionState)
    builder.add_node("prepare", prepare)
    builder.add_node("act", act)
    builder.add_node("evaluate", evaluate)
    builder.add_node("reflect", reflect_node)
    builder.add_node("finish", finish)
    builder.add_edge(START, "prepare")
    builder.add_conditional_edges("prepare", unless_stopped("act"), ["act", "finish"])
    builder.add_conditional_edges("act", unless_stopped("evaluate"), ["evaluate", "finish"])
    builder.add_conditional_edges("evaluate", unless_stopped("reflect"), ["reflect", "finish"])
    builder.add_conditional_edges("reflect", unless_stopped("act"), ["act", "finish"])
    builder.add_edge("finish", END)
    return builder.compile(checkpointer=checkpointer, name="reflexion")


EVIDENCE_CHARS = 200
"""The most characters of failing-test evidence stored with a lesson: enough for one or two
expected/actual lines, short enough to stay within the recall allowance."""

# A failed test in the verifier's feedback: "- `<test>` failed: <why>".
_FAILED_TEST = re.compile(r"^- `(?P<test>[^`]*)` failed: (?P<why>.+)$")
_ASSERTION = re.compile(r"^the assertion did not hold \((?P<detail>.+)\)$")


def failing_evidence(feedback: str, *, limit: int = EVIDENCE_CHARS) -> str | None:
    """The failed tests' expected/actual from a verdict's feedback, one `; `-joined line cut to
    `limit` characters; None when the feedback names no failed test (prose, a crash)."""
    pieces: list[str] = []
    for line in feedback.splitlines():
        match = _FAILED_TEST.match(line.strip())
        if not match:
            continue
        why = match["why"].strip()
        if detail := _ASSERTION.match(why):
            why = detail["detail"]  # already says the call, what it did and what was expected
        test = match["test"].strip()
        # A test function's name adds nothing; an assert line is the expectation itself.
        pieces.append(why if test.startswith("def ") else f"{test}: {why}")
    if not pieces:
        return None
    text = " ".join("; ".join(pieces).split())
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."


def _with_evidence(lesson: str, evidence: str | None) -> str:
    return f"{lesson}\nThe failing test it fixed: {evidence}" if evidence else lesson


def _passed(candidate: Candidate) -> bool:
    """Passed the visible tests, or, with none run (prose), was accepted by the critic."""
    return bool(candidate.passed) or (candidate.passed is None and bool(candidate.accepted))
