"""Does memory help? Reflexion over a sequence of related tasks, memory on vs off.

Tasks come in families (`Task.family`); `--tasks` picks the set (_p6_memory_helps_tasks.py):
"pitfalls" (a pitfall the prompt states: empty input, inclusive ranges) or "conventions" (a
project convention the visible tests enforce but the prompt does not state: empty input raises
ValueError, collections come back as a sorted tuple, strings lowercase and stripped). With memory
on, the lessons reflexion writes on one task are retrieved for the later tasks of its family, so
those should need fewer attempts. With memory off, every task starts from nothing. Both arms run
the same tasks in the same order on the same model with greedy, seeded decoding; the metric is
attempts-to-solve per task (rounds until the visible tests pass; `max_rounds + 1` when never
solved), whether the first attempt passed, and the total tokens spent.

Which lessons reach the store is `--persist-lessons`: "validated" (the graph's default) keeps a
lesson only when the attempt right after it passed; "all" keeps every reflection. The result
records the policy, each task's lessons written and recalled, and the lessons the store held at
the end. The store is ChromaDB embedded (`ChromaMemoryStore`), fresh for each run. The result
file is rewritten after every task, so a run cut short still leaves its data (`complete`: false).

Run it alone (it loads a local model):

    flock /tmp/agentloop-model.lock python benchmarks/p6_memory_helps.py --tasks conventions \\
        [--families empty_raises] --model local/<path to Qwen2.5-Coder-0.5B gguf> --max-rounds 4 \\
        --out benchmarks/results/p6_memory_helps_conventions.json

Needs the reflexion graph (`agentloop.graphs`) and the memory extra.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    # Run as a script: make `benchmarks` and `agentloop` importable from the repository root.
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import anyio

from benchmarks._p6_memory_helps_tasks import TASK_SETS, BenchTask
from benchmarks._provenance import git_commit

RESULTS = Path(__file__).parent / "results"


async def run_arm(
    args: argparse.Namespace, tasks: list[BenchTask], memory_on: bool, folder: Path,
    on_row: Callable[[list[dict[str, Any]]], None],
) -> list[dict[str, Any]]:
    from agentloop.graphs import StopReason, run_graph
    from agentloop.memory import ChromaMemoryStore, retrieve_for_prompt
    from agentloop.model import GenerateConfig
    from agentloop.roles import Task

    store = ChromaMemoryStore(folder / "memory") if memory_on else None
    rows: list[dict[str, Any]] = []
    for family, name, prompt, entry_point, tests in tasks:
        task = Task(prompt=prompt, name=name, entry_point=entry_point, tests=tests, family=family)
        where = {"task_family": family}
        in_store = len(await store.list(kind="lesson", where=where)) if store else 0
        # The same retrieval the graph's `prepare` does (read-only), to record what it recalls.
        recalled = (
            await retrieve_for_prompt(store, prompt, k=3, kind="lesson", where=where,
                                      token_allowance=300)
            if store else None
        )
        started = time.perf_counter()
        result = await run_graph(
            "reflexion", task, model=args.model, memory=store, max_rounds=args.max_rounds,
            patience=args.max_rounds, persist_lessons=args.persist_lessons,
            # Greedy and seeded (the explorer too): both arms decode alike, so a difference
            # between them comes from what memory put in the prompt, not from sampling noise.
            config=GenerateConfig(temperature=0.0, seed=args.seed, max_tokens=512),
        )
        solved = result.stop_reason == StopReason.SOLVED
        first = result.candidates[0] if result.candidates else None
        rows.append({
            "task": name, "family": family, "solved": solved,
            "attempts": result.rounds if solved else args.max_rounds + 1,
            "rounds": result.rounds, "stop_reason": str(result.stop_reason),
            "first_attempt_passed": bool(first is not None and first.passed),
            "first_attempt_feedback": first.feedback if first is not None else None,
            "tokens": result.usage.total_tokens, "calls": result.calls,
            "seconds": round(time.perf_counter() - started, 1),
            "family_lessons_in_store_before": in_store,
            "lessons_recalled": [
                {"text": h.entry.text, "similarity": round(h.similarity, 3)}
                for h in (recalled.hits if recalled else [])
            ],
            "lessons_written": list(result.extra.get("lessons", [])),
        })
        print(json.dumps({"memory": memory_on, **rows[-1]}), file=sys.stderr)
        on_row(rows)
    if store is not None:
        rows.append({"lessons_kept": [
            {"text": e.text, "family": e.task_family, "times_used": e.times_used,
             "usefulness": e.usefulness}
            for e in await store.list(kind="lesson")
        ]})
        on_row(rows)
        store.close()
    return rows


def in_reversed_family_order(tasks: list[BenchTask]) -> list[BenchTask]:
    """Each family's tasks in reverse order, the families themselves in their given order."""
    families = list(dict.fromkeys(t.family for t in tasks))
    return [t for f in families for t in reversed([u for u in tasks if u.family == f])]


def summarize(tasks: list[BenchTask], arms: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """Per arm: solved, mean attempts, and the same over the tasks after each family's first
    (the ones memory can help), over the tasks that arm has finished so far."""
    firsts = {t.name for i, t in enumerate(tasks) if t.family not in {u.family for u in tasks[:i]}}
    summary: dict[str, Any] = {}
    for arm, rows in arms.items():
        done = [r for r in rows if "task" in r]
        later = [r for r in done if r["task"] not in firsts]
        summary[arm] = {
            "tasks_done": len(done),
            "solved": sum(r["solved"] for r in done),
            "first_attempt_passed": sum(r["first_attempt_passed"] for r in done),
            "first_attempt_passed_after_first_of_family": sum(
                r["first_attempt_passed"] for r in later
            ),
            "mean_attempts": statistics.fmean(r["attempts"] for r in done) if done else None,
            "mean_attempts_after_first_of_family": (
                statistics.fmean(r["attempts"] for r in later) if later else None
            ),
            "tokens": sum(r["tokens"] for r in done),
        }
    return summary


async def run(args: argparse.Namespace) -> dict[str, Any]:
    tasks = [t for t in TASK_SETS[args.tasks] if not args.families or t.family in args.families]
    if args.order == "reversed":
        tasks = in_reversed_family_order(tasks)
    if not tasks:
        raise SystemExit(f"no task of set {args.tasks!r} is in families {args.families}")
    result: dict[str, Any] = {
        "benchmark": "P6b memory helps: reflexion over related tasks, memory on vs off",
        "git_commit": git_commit(),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cores": os.cpu_count()},
        "model": args.model, "strategy": "reflexion", "budget": {"max_rounds": args.max_rounds},
        "tasks": args.tasks,
        "lesson_policy": args.persist_lessons,
        "memory_backend": "ChromaMemoryStore (ChromaDB embedded, PersistentClient, "
                          "all-MiniLM-L6-v2), fresh per run",
        "families": args.families,
        "order": args.order,
        "retrieval": {"recall_k": 3, "min_similarity": 0.1, "filter": "same Task.family",
                      "note": "floor 0.1 when filtered by family (0.25 unfiltered)"},
        "stored_lessons": "validated lesson + the failing test's expected/actual it fixed",
        "decoding": {"temperature": 0.0, "max_tokens": 512,
                     "explore_temperature": "graph default (0.8), after a stale round"},
        "seed": args.seed, "complete": False, "summary": {}, "arms": {},
    }
    arms: dict[str, list[dict[str, Any]]] = result["arms"]

    def save(arm: str) -> Callable[[list[dict[str, Any]]], None]:
        # Written after every task, so a run cut short still leaves its data.
        def write(rows: list[dict[str, Any]]) -> None:
            arms[arm] = rows
            result["summary"] = summarize(tasks, arms)
            args.out.write_text(json.dumps(result, indent=2) + "\n")
        return write

    with tempfile.TemporaryDirectory() as tmp:
        for arm in ("off", "on"):
            await run_arm(args, tasks, arm == "on", Path(tmp) / arm, save(arm))
    result["complete"] = True
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="local/smollm2-135m")
    parser.add_argument("--tasks", choices=sorted(TASK_SETS), default="pitfalls")
    parser.add_argument("--families", nargs="+", default=None,
                        help="run only these task families (default: all of the set)")
    parser.add_argument("--max-rounds", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--order", choices=["given", "reversed"], default="given",
                        help="reversed: each family's tasks in reverse order (another first "
                             "task teaches the family), families in the given order")
    parser.add_argument("--persist-lessons", choices=["validated", "all"], default="validated")
    parser.add_argument("--out", type=Path, default=RESULTS / "p6_memory_helps.json")
    args = parser.parse_args()
    result = anyio.run(run, args)
    print(json.dumps(result["summary"], indent=2))


if __name__ == "__main__":
    main()
