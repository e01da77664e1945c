"""Making entries of each kind with the fields that kind needs: lessons and judge experience.

Principles come from `distill_principles`, which needs a model.
"""

from __future__ import annotations

from typing import Any, Literal

from agentloop._memory import MemoryEntry

__all__ = ["judge_experience", "lesson"]

JUDGE_TEMPLATE = "{situation}Judged: {judged}. The {by} {outcome} it{detail}."
"""How a piece of judge experience reads in the judge's prompt."""


def lesson(
    text: str,
    *,
    task_family: str | None = None,
    role: str = "actor",
    source_run: str | None = None,
    source_span: str | None = None,
    extra: dict[str, Any] | None = None,
) -> MemoryEntry:
    """A reflexion lesson: what went wrong and what to do instead, for the next similar task."""
    return MemoryEntry(
        kind="lesson",
        text=text.strip(),
        task_family=task_family,
        role=role,
        source_run=source_run,
        source_span=source_span,
        extra=extra or {},
    )


def judge_experience(
    judged: str,
    *,
    confirmed: bool,
    by: Literal["verifier", "user"] = "verifier",
    situation: str = "",
    detail: str = "",
    task_family: str | None = None,
    source_run: str | None = None,
    source_span: str | None = None,
) -> MemoryEntry:
    """A past verdict of the judge and whether the verifier or a user later confirmed or
    overturned it, so the judge can calibrate on similar cases.

    Args:
        judged: what the judge said ("A is better: it handles empty input").
        confirmed: whether the ground truth agreed with the judge.
        situation: what was judged, briefly ("two sorting functions").
        detail: what the ground truth showed ("A failed 3 of 5 hidden tests").
    """
    text = JUDGE_TEMPLATE.format(
        situation=f"{situation.strip().rstrip('.')}. " if situation.strip() else "",
        judged=judged.strip().rstrip("."),
        by=by,
        outcome="confirmed" if confirmed else "overturned",
        detail=f": {detail.strip().rstrip('.')}" if detail.strip() else "",
    )
    return MemoryEntry(
        kind="judge",
        text=text,
        role="judge",
        task_family=task_family,
        source_run=source_run,
        source_span=source_span,
        extra={"confirmed": confirmed, "by": by},
    )
