"""Does memory help? Reflexion over a sequence of related tasks, memory on vs off.

Each family of tasks shares one pitfall (empty input; inclusive ranges; ...) that the visible
tests check. With memory on, the lessons reflexion writes after failing one task are retrieved
for the next ones of its family (`Task.family`), so later tasks should need fewer attempts.
With memory off, every task starts from nothing. Both arms run the same tasks in the same order
on the same model with greedy decoding; the metric is attempts-to-solve per task (rounds until
the visible tests pass; `max_rounds + 1` when never solved) and the total tokens spent.

Which lessons reach the store is `--persist-lessons`: "validated" (the graph's default) keeps a
lesson only when the attempt right after it passed; "all" keeps every reflection. The result
records the policy, each task's own lessons and the lessons the store held at the end.

Run it alone (it loads a local model):

    flock /tmp/agentloop-model.lock python benchmarks/p6_memory_helps.py \\
        --model local/<path to Qwen2.5-Coder-0.5B gguf> --max-rounds 4

Writes benchmarks/results/p6_memory_helps.json with each task's attempts in both arms.
Needs the reflexion graph (`agentloop.graphs`) and the memory extra.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anyio

RESULTS = Path(__file__).parent / "results"

# (family, name, prompt, entry point, visible tests). The first task of each family teaches the
# pitfall; the rest reward remembering it.
TASKS: list[tuple[str, str, str, str, list[str]]] = [
    ("empty", "largest", 'def largest(xs):\n    """Return the largest number in xs, or None if '
     'xs is empty."""\n', "largest",
     ["assert largest([3, 9, 2]) == 9", "assert largest([]) is None"]),
    ("empty", "mean", 'def mean(xs):\n    """Return the arithmetic mean of xs, or 0.0 if xs is '
     'empty."""\n', "mean", ["assert mean([1, 2, 3]) == 2", "assert mean([]) == 0.0"]),
    ("empty", "first_word", 'def first_word(s):\n    """Return the first word of s, or "" if s '
     'has no words."""\n', "first_word",
     ["assert first_word('hello big world') == 'hello'", "assert first_word('   ') == ''"]),
    ("empty", "shortest", 'def shortest(words):\n    """Return the shortest string in words, or '
     'None for an empty list."""\n', "shortest",
     ["assert shortest(['abc', 'a', 'ab']) == 'a'", "assert shortest([]) is None"]),
    ("inclusive", "sum_range", 'def sum_range(a, b):\n    """Sum of all integers from a to b, '
     'both included."""\n', "sum_range",
     ["assert sum_range(1, 3) == 6", "assert sum_range(5, 5) == 5"]),
    ("inclusive", "evens_between", 'def evens_between(a, b):\n    """List the even integers '
     'from a to b, both included, ascending."""\n', "evens_between",
     ["assert evens_between(2, 6) == [2, 4, 6]", "assert evens_between(3, 3) == []"]),
    ("inclusive", "count_multiples", 'def count_multiples(k, a, b):\n    """How many multiples '
     'of k lie between a and b, both included."""\n', "count_multiples",
     ["assert count_multiples(3, 3, 9) == 3", "assert count_multiples(5, 1, 4) == 0"]),
    ("inclusive", "letters_between", 'def letters_between(x, y):\n    """The lowercase letters '
     'from x to y, both included, as a string."""\n', "letters_between",
     ["assert letters_between('a', 'c') == 'abc'", "assert letters_between('z', 'z') == 'z'"]),
]


async def run_arm(
    model: str, memory_on: bool, max_rounds: int, folder: Path, persist_lessons: str
) -> list[dict[str, Any]]:
    from agentloop.graphs import StopReason, run_graph
    from agentloop.memory import ChromaMemoryStore
    from agentloop.roles import Task

    store = ChromaMemoryStore(folder / "memory") if memory_on else None
    rows = []
    for family, name, prompt, entry_point, tests in TASKS:
        task = Task(prompt=prompt, name=name, entry_point=entry_point, tests=tests, family=family)
        where = {"task_family": family}
        in_store = len(await store.list(kind="lesson", where=where)) if store else 0
        result = await run_graph(
            "reflexion", task, model=model, memory=store, max_rounds=max_rounds,
            patience=max_rounds, persist_lessons=persist_lessons,
        )
        solved = result.stop_reason == StopReason.SOLVED
        rows.append({
            "task": name, "family": family, "solved": solved,
            "attempts": result.rounds if solved else max_rounds + 1,
            "rounds": result.rounds, "stop_reason": str(result.stop_reason),
            "tokens": result.usage.total_tokens, "calls": result.calls,
            "family_lessons_in_store_before": in_store,
            "lessons_written": list(result.extra.get("lessons", [])),
        })
        print(json.dumps({"memory": memory_on, **rows[-1]}), file=sys.stderr)
    if store is not None:
        rows.append({"lessons_kept": [
            {"text": e.text, "family": e.task_family, "times_used": e.times_used,
             "usefulness": e.usefulness}
            for e in await store.list(kind="lesson")
        ]})
        store.close()
    return rows


def _git_commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


async def run(args: argparse.Namespace) -> dict[str, Any]:
    arms: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for arm in ("off", "on"):
            arms[arm] = await run_arm(
                args.model, arm == "on", args.max_rounds, Path(tmp) / arm, args.persist_lessons
            )
    summary = {}
    for arm, rows in arms.items():
        tasks = [r for r in rows if "task" in r]
        later = [r for r in tasks if r["task"] not in {t[1] for t in TASKS[::4]}]
        summary[arm] = {
            "solved": sum(r["solved"] for r in tasks),
            "mean_attempts": statistics.fmean(r["attempts"] for r in tasks),
            "mean_attempts_after_first_of_family": statistics.fmean(r["attempts"] for r in later),
            "tokens": sum(r["tokens"] for r in tasks),
        }
    return {
        "benchmark": "P6b memory helps: reflexion over related tasks, memory on vs off",
        "git_commit": _git_commit(),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cores": os.cpu_count()},
        "model": args.model, "strategy": "reflexion", "budget": {"max_rounds": args.max_rounds},
        "lesson_policy": args.persist_lessons,
        "seed": None, "summary": summary, "arms": arms,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="local/smollm2-135m")
    parser.add_argument("--max-rounds", type=int, default=4)
    parser.add_argument("--persist-lessons", choices=["validated", "all"], default="validated")
    parser.add_argument("--out", type=Path, default=RESULTS / "p6_memory_helps.json")
    args = parser.parse_args()
    result = anyio.run(run, args)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result["summary"], indent=2))


if __name__ == "__main__":
    main()
