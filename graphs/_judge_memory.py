"""Judge experience: a judge's verdict, once a verifier or a user has confirmed or overturned it,
becomes a memory entry that later judge prompts retrieve.

The entries shown to the judge for that verdict share its fate: they gain when it was confirmed
and lose when it was overturned, so advice that misleads the judge decays out of retrieval.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

from agentloop._memory import MemoryStore
from agentloop.graphs._state import Candidate, RunResult
from agentloop.memory import judge_experience
from agentloop.roles import JudgeScore, Task
from agentloop.tracing import current_span

__all__ = ["record_judge_outcome", "remember_judgement", "remember_pointwise"]

Judger = Literal["verifier", "user"]


def _gist(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _situation(task: Task) -> str:
    # The task's own words make the entry retrievable for similar tasks.
    return f"Task: {_gist(task.prompt, 160)}"


async def remember_judgement(
    memory: MemoryStore,
    task: Task,
    *,
    judged: str,
    confirmed: bool,
    experience_ids: Sequence[str] = (),
    by: Judger = "verifier",
    detail: str = "",
) -> str:
    """Store one checked verdict as judge experience and credit or debit the entries the judge
    was shown for it; returns the new entry's id (or the id of a near-identical one)."""
    span = current_span()
    entry = judge_experience(
        judged, confirmed=confirmed, by=by, situation=_situation(task), detail=detail,
        task_family=task.family,
        source_run=span.trace_id if span else None,
        source_span=span.span_id if span else None,
    )
    entry_id = await memory.add(entry)
    await memory.record_outcome(list(experience_ids), success=confirmed)
    return entry_id


async def remember_pointwise(
    memory: MemoryStore, task: Task, verdict: JudgeScore, candidate: Candidate
) -> str | None:
    """Check a pointwise score against the verifier's verdict on the same candidate: a score of
    at least 0.5 claims the answer is good, which a pass confirms and a failure overturns.
    None when no verifier has judged the candidate."""
    if candidate.passed is None:
        return None
    thought_good = verdict.score >= 0.5
    points = round(1 + 9 * verdict.score)
    judged = f"scored {points}/10 the answer `{_gist(candidate.text, 100)}`"
    if verdict.rationale:
        judged += f" ({_gist(verdict.rationale, 120)})"
    fraction = f" ({candidate.score:.0%} of them)" if candidate.score is not None else ""
    detail = f"it {'passed' if candidate.passed else 'failed'} the tests{fraction}"
    return await remember_judgement(
        memory, task, judged=judged, confirmed=thought_good == candidate.passed,
        experience_ids=verdict.experience_ids, detail=detail,
    )


async def record_judge_outcome(
    memory: MemoryStore,
    result: RunResult,
    task: Task,
    passed: Mapping[str, bool],
    *,
    by: Judger = "verifier",
) -> list[str]:
    """Learn from a best-of-N bracket once the truth about its candidates is known.

    Inside the graph the bracket only meets candidates the visible tests cannot tell apart, so
    whether the judge chose well is learned afterwards: from a stronger verifier, or a user
    who tried the answers. `passed` maps candidate ids to that outcome. Each match the judge
    decided between a candidate that passed and one that failed becomes judge experience
    (confirmed when the judge preferred the one that passed); matches where both passed, both
    failed, an outcome is unknown, or the judge gave no preference teach nothing and are
    skipped. Returns the ids of the entries written.
    """
    texts = {c.id: c.text for c in result.candidates}
    written: list[str] = []
    for match in result.extra.get("matches", []):
        preferred = match.get("preferred")
        a, b = match["a"], match["b"]
        if preferred not in (a, b) or a not in passed or b not in passed:
            continue
        if passed[a] == passed[b]:
            continue
        other = b if preferred == a else a
        judged = (
            f"preferred `{_gist(texts.get(preferred, ''), 80)}` over "
            f"`{_gist(texts.get(other, ''), 80)}`"
        )
        if match.get("rationale"):
            judged += f" ({_gist(match['rationale'], 120)})"
        outcome = {True: "passed", False: "failed"}
        detail = (
            f"the preferred answer {outcome[passed[preferred]]}, "
            f"the other {outcome[passed[other]]}"
        )
        written.append(
            await remember_judgement(
                memory, task, judged=judged, confirmed=passed[preferred],
                experience_ids=match.get("experience_ids", []), by=by, detail=detail,
            )
        )
    return written
