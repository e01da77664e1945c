"""The steps graphs are made of: propose a candidate, check it (verifier, critic, judge), reflect
on a failure, write tests. Each is a plain async function of explicit arguments that announces
what it learned (span attributes and evaluations, streamed events); a node calls them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from agentloop._memory import MemoryStore
from agentloop._verdict import Verdict
from agentloop.graphs._events import GraphEvent, emit, events_wanted
from agentloop.graphs._judge_memory import remember_pointwise
from agentloop.graphs._state import Candidate
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
from agentloop.tracing import current_span

__all__ = [
    "check_with_critic",
    "check_with_judge",
    "check_with_verifier",
    "propose",
    "reflect",
    "write_tests",
]


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
    """Run the candidate against `tests`; it carries the verdict, and its score becomes the pass
    fraction (`Candidate.verified_by`: a verdict that verified nothing is never solved)."""
    verdict: Verdict = await verifier(task, tests).verify(candidate.text)
    checked = candidate.verified_by(verdict)
    if (s := current_span()) is not None:
        # The status only: the whole verdict (each test's source and values) stays out of traces.
        s.set_attribute("agentloop.verdict_status", verdict.status.value)
    label = (
        ("pass" if checked.passed else "fail") if verdict.status.verified else verdict.status.value
    )
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
