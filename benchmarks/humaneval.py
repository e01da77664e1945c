"""Benchmark Q1: HumanEval pass@1 of a refinement strategy, hidden tests scored once at the end.

    python benchmarks/humaneval.py --strategy single \\
        --model local/$(python benchmarks/fetch_models.py) --limit 40 --seed 0

Each problem: the strategy sees the prompt and the visible tests parsed from its docstring (never
the dataset's `test` field), spends at most `--budget-tokens` tokens, and returns one answer; the
harness extracts the code with the framework's shared extractor and only then runs the hidden
`check(candidate)` in the sandbox. Writes benchmarks/results/q1_<strategy>_<model>_<K>_<seed>.json
(rewritten after every problem, `complete: false` until the end). Run alone on the machine, inside
`flock /tmp/agentloop-model.lock` for local models. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    # Run as a script: make `benchmarks` and `agentloop` importable from the repository root.
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import anyio

from agentloop import Budget
from agentloop.errors import BudgetExhausted
from benchmarks._humaneval_code import EXTRACTOR, candidate_program
from benchmarks._humaneval_scoring import SCORERS, Scorer, make_scorer
from benchmarks._humaneval_strategies import (
    DEFAULT_TEMPERATURE,
    STRATEGIES,
    StrategyContext,
    StrategyResult,
)
from benchmarks._humaneval_tasks import (
    HiddenCheck,
    VisibleProblem,
    load_humaneval,
    select_subset,
)
from benchmarks._provenance import REPO, git_commit
from benchmarks.fetch_models import sha256_of

RESULTS_DIR = REPO / "benchmarks" / "results"


def model_short(model: str) -> str:
    """A file-name-safe short model name: `local/.../qwen2.5-coder-0.5b-instruct-q4_k_m.gguf`
    -> `qwen2.5-coder-0.5b-instruct-q4_k_m`, `openai/gpt-4o` -> `gpt-4o`."""
    name = model.rsplit("/", 1)[-1]
    name = name.removesuffix(".gguf").lower()
    return re.sub(r"[^a-z0-9._-]+", "-", name).strip("-")[:48] or "model"


def model_identity(model: str) -> dict[str, str | None]:
    """How a result file names its model: a GGUF file by its stem and sha256 (never the path it
    had on the machine that ran it), a packaged local model by its name and its file's sha256,
    any other model by its string (no sha256: the weights are not here to hash)."""
    from agentloop.model._gguf import LOCAL_PREFIX, PACKAGED_MODELS, resolve_gguf

    if not model.startswith(LOCAL_PREFIX):
        return {"model": model, "model_sha256": None}
    path = resolve_gguf(model)
    packaged = model.removeprefix(LOCAL_PREFIX) in PACKAGED_MODELS
    return {"model": model if packaged else path.stem, "model_sha256": sha256_of(path)}


def result_path(strategy: str, model: str, limit: int, seed: int, out_dir: Path) -> Path:
    return out_dir / f"q1_{strategy}_{model_short(model)}_{limit}_{seed}.json"


def make_client(model: str, *, threads: int) -> Any:
    """One client shared by every problem (a local model is loaded once); per-problem budgets
    come from `with_budget`."""
    from agentloop.model import GenerateConfig, ModelClient

    # n_threads reaches llama.cpp for local models; other providers drop unknown parameters.
    return ModelClient(model, config=GenerateConfig(extra={"n_threads": threads}))


async def run_problem(
    problem: VisibleProblem,
    hidden: HiddenCheck,
    *,
    strategy: str,
    client: Any,
    scorer: Scorer,
    args: argparse.Namespace,
) -> dict[str, Any]:
    budget = Budget(max_tokens=args.budget_tokens)
    ctx = StrategyContext(
        model=client.with_budget(budget),
        budget=budget,
        seed=args.seed,
        max_tokens=args.max_tokens,
        n=args.n,
        rounds=args.rounds,
        temperature=args.temperature,
        graph_options=args.graph_options,
    )
    start = time.monotonic()
    error: str | None = None
    try:
        result = await STRATEGIES[strategy](problem, ctx)
    except BudgetExhausted:
        # A strategy that ran out before producing anything scores as an empty answer.
        result = StrategyResult(answer="", stop_reason="budget")
    except Exception as exc:  # noqa: BLE001 - one problem's crash must not end the run
        error = f"{type(exc).__name__}: {exc}"
        result = StrategyResult(answer="", stop_reason="error")
    wall = time.monotonic() - start
    program = candidate_program(problem, result.answer) if result.answer.strip() else ""
    # The hidden tests are read here, after the strategy returned, and nowhere else.
    verdict = await scorer.score(program, hidden)
    spent = budget.spent
    return {
        "task_id": problem.task_id,
        "passed": verdict.passed,
        "status": verdict.status,
        "tokens": spent.total_tokens,
        "input_tokens": spent.input_tokens,
        "output_tokens": spent.output_tokens,
        "calls": spent.calls,
        "wall_s": round(wall, 3),
        "score_s": round(verdict.duration_s, 3),
        "stop_reason": result.stop_reason,
        "rounds": result.rounds,
        "visible_tests": len(problem.visible_tests),
        "error": error,
        "detail": verdict.detail,
        "program": program,
    }


def summarize(records: list[dict[str, Any]], meta: dict[str, Any]) -> dict[str, Any]:
    n = len(records)
    passed = sum(r["passed"] for r in records)
    tokens = sum(r["tokens"] for r in records)
    calls = sum(r["calls"] for r in records)
    return {
        **meta,
        "complete": n == meta["problems"] and not meta.get("only"),
        "scored": n,
        "passed": passed,
        "pass_at_1": round(passed / n, 4) if n else 0.0,
        "tokens": tokens,
        "tokens_per_problem": round(tokens / n, 1) if n else 0.0,
        "calls": calls,
        "calls_per_problem": round(calls / n, 2) if n else 0.0,
        "wall_s": round(sum(r["wall_s"] for r in records), 1),
        "wall_s_median": round(statistics.median(r["wall_s"] for r in records), 2) if n else 0.0,
        "errors": sum(r["error"] is not None for r in records),
        "per_problem": records,
    }


async def run(args: argparse.Namespace) -> Path:
    pairs = {v.task_id: (v, h) for v, h in load_humaneval(args.dataset)}
    chosen = select_subset(list(pairs), limit=args.limit, seed=args.seed)
    if args.only:
        # A rerun of some of the subset's problems, e.g. to look at the failures of a variant;
        # its file says so ("only") and is never a complete result.
        missing = sorted(set(args.only) - set(chosen))
        if missing:
            raise SystemExit(f"--only names problems outside the subset: {', '.join(missing)}")
        chosen = [task_id for task_id in chosen if task_id in args.only]
    out = result_path(args.strategy, args.model, len(chosen), args.seed, args.out_dir)
    if args.only:
        # Never the name of a full run: a rerun of some problems must not replace one.
        picked = "-".join(task_id.rsplit("/", 1)[-1] for task_id in chosen)
        out = out.with_name(f"{out.stem}_only-{picked}{out.suffix}")
    out.parent.mkdir(parents=True, exist_ok=True)
    scorer = make_scorer(args.scorer)
    client = make_client(args.model, threads=args.threads)
    meta = {
        "benchmark": "Q1 HumanEval pass@1",
        "strategy": args.strategy,
        **model_identity(args.model),
        "problems": len(chosen),
        "seed": args.seed,
        "budget": {"tokens_per_problem": args.budget_tokens},
        "max_tokens_per_call": args.max_tokens,
        "n": args.n,
        "rounds": args.rounds,
        "temperature": args.temperature,
        "graph_options": args.graph_options,
        "threads": args.threads,
        "scorer": scorer.name,
        "extractor": EXTRACTOR,
        "git_commit": git_commit("agentloop", "graphs", "sandbox", "benchmarks"),
        "cores": os.cpu_count(),
        "machine": platform.machine(),
        "python": platform.python_version(),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "task_ids": chosen,
        **({"only": True} if args.only else {}),
    }
    records: list[dict[str, Any]] = []
    for i, task_id in enumerate(chosen, 1):
        problem, hidden = pairs[task_id]
        record = await run_problem(
            problem, hidden, strategy=args.strategy, client=client, scorer=scorer, args=args
        )
        records.append(record)
        out.write_text(json.dumps(summarize(records, meta), indent=1) + "\n", encoding="utf-8")
        mark = "PASS" if record["passed"] else record["status"].upper()
        print(
            f"[{i}/{len(chosen)}] {task_id:<14} {mark:<8} tokens={record['tokens']:<6} "
            f"calls={record['calls']:<3} {record['wall_s']:.1f}s  "
            f"pass@1 so far {sum(r['passed'] for r in records)}/{len(records)}",
            flush=True,
        )
    return out


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Benchmark Q1: HumanEval pass@1 per strategy.")
    parser.add_argument("--strategy", choices=sorted(STRATEGIES), required=True)
    parser.add_argument("--model", required=True, help="a model string, e.g. local/<path>.gguf")
    parser.add_argument("--limit", type=int, default=None, help="seeded random subset size")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--only",
        type=lambda text: [f"HumanEval/{t.strip()}" if t.strip().isdigit() else t.strip()
                           for t in text.split(",") if t.strip()],
        default=None,
        metavar="IDS",
        help="run only these problems of the subset (e.g. 10,102 or HumanEval/10); "
        "the result is not a complete run",
    )
    parser.add_argument("--budget-tokens", type=int, default=None, help="per problem")
    parser.add_argument("--max-tokens", type=int, default=512, help="per model call")
    parser.add_argument("--n", type=int, default=4, help="candidates (best_of_n)")
    parser.add_argument(
        "--rounds", type=int, default=4, help="most rounds (self_refine, reflexion)"
    )
    parser.add_argument(
        "--temperature", type=float, default=None, help="default: 0 (greedy), 0.8 for sampling"
    )
    parser.add_argument(
        "--graph-option",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="passed to the graph builder (VALUE parsed as JSON when it can be), repeatable",
    )
    parser.add_argument("--threads", type=int, default=2, help="llama.cpp threads (local models)")
    parser.add_argument("--scorer", choices=SCORERS, default="sandbox")
    parser.add_argument("--dataset", type=Path, default=None, help="HumanEval.jsonl(.gz)")
    parser.add_argument("--out-dir", type=Path, default=RESULTS_DIR)
    parser.add_argument("--plot", action="store_true", help="redraw the pass@1-vs-tokens plot")
    args = parser.parse_args(argv)
    if args.temperature is None:
        args.temperature = DEFAULT_TEMPERATURE[args.strategy]
    args.graph_options = dict(_option(o) for o in args.graph_option)
    return args


def _option(text: str) -> tuple[str, Any]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise SystemExit(f"--graph-option wants KEY=VALUE, got {text!r}")
    try:
        return key, json.loads(value)
    except json.JSONDecodeError:
        return key, value


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    out = anyio.run(run, args)
    summary = json.loads(out.read_text(encoding="utf-8"))
    print(
        f"{summary['strategy']} on {summary['model']}: pass@1 {summary['pass_at_1']:.3f} "
        f"({summary['passed']}/{summary['scored']}), {summary['tokens']} tokens, "
        f"{summary['calls']} calls -> {out}"
    )
    if args.plot:
        from benchmarks.plot_q1 import plot

        print(plot(args.out_dir))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
