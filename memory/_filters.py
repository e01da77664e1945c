"""The `where=` filter language: validated once, evaluated in Python or translated for ChromaDB."""

from __future__ import annotations

from typing import Any

from agentloop._memory import MemoryEntry, MemoryKind
from agentloop.errors import ConfigError

__all__ = ["FILTER_FIELDS", "chroma_where", "matches", "normalize_where"]

FILTER_FIELDS = frozenset(
    {
        "kind",
        "task_family",
        "role",
        "source_run",
        "source_span",
        "created_at",
        "times_used",
        "usefulness",
    }
)
_OPERATORS = frozenset({"$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$in", "$nin"})

Conditions = dict[str, dict[str, Any]]
"""field -> {operator: value}, the normalized form every backend consumes."""


def normalize_where(where: dict[str, Any] | None, kind: MemoryKind | None = None) -> Conditions:
    """Check a user's filter and spell every condition as `{field: {op: value}}`."""
    conditions: Conditions = {}
    for field, condition in (where or {}).items():
        if field not in FILTER_FIELDS:
            known = ", ".join(sorted(FILTER_FIELDS))
            raise ConfigError(f"cannot filter memory on {field!r}; filterable fields: {known}")
        if isinstance(condition, dict):
            unknown = set(condition) - _OPERATORS
            if unknown or not condition:
                raise ConfigError(
                    f"bad filter on {field!r}: {condition!r}; use a value or operators "
                    f"{', '.join(sorted(_OPERATORS))}"
                )
            for op in ("$in", "$nin"):
                if op in condition and not isinstance(condition[op], list | tuple):
                    raise ConfigError(f"filter {field!r}: {op} needs a list of values")
            conditions[field] = dict(condition)
        elif condition is None:
            raise ConfigError(
                f"filter {field!r}: None cannot be matched (missing fields are not stored); "
                "filter on a value instead"
            )
        else:
            conditions[field] = {"$eq": condition}
    if kind is not None:
        conditions.setdefault("kind", {})["$eq"] = kind
    return conditions


def _holds(value: Any, op: str, expected: Any) -> bool:
    if op == "$eq":
        return bool(value == expected)
    if op == "$ne":
        return bool(value != expected)
    if op == "$in":
        return value in expected
    if op == "$nin":
        return value not in expected
    if value is None:
        return False
    if op == "$gt":
        return bool(value > expected)
    if op == "$gte":
        return bool(value >= expected)
    if op == "$lt":
        return bool(value < expected)
    return bool(value <= expected)  # $lte


def matches(entry: MemoryEntry, conditions: Conditions) -> bool:
    """Whether `entry` satisfies every condition."""
    return all(
        _holds(getattr(entry, field), op, expected)
        for field, ops in conditions.items()
        for op, expected in ops.items()
    )


def chroma_where(conditions: Conditions) -> dict[str, Any] | None:
    """The same conditions in ChromaDB's `where` syntax (one `$and` of single conditions)."""
    clauses = [
        {field: {op: list(expected) if isinstance(expected, tuple) else expected}}
        for field, ops in conditions.items()
        for op, expected in ops.items()
    ]
    if not clauses:
        return None
    if len(clauses) == 1:
        return clauses[0]
    return {"$and": clauses}
