"""P2: concurrency. Throughput against a slow loopback server, as a fraction of the ideal.

An OpenAI-compatible server on loopback (`_loopback_openai.py`, its own process) sleeps
`--latency-ms` L per request and never limits concurrency itself. With at most C requests in
flight, the ideal throughput is C / L, so R requests take at best R * L / C seconds;
reported is achieved / ideal = R * L / (C * wall).

Variants, interleaved (order rotates each repetition), for each C in `--concurrency`:

- `agentloop_graph`: `--episodes` Self-Refine episodes (`--rounds` rounds of actor + critic
  calls each, writing task, critic always REVISE) run at once with `run_graph`, all sharing one
  `ModelClient(max_concurrency=C)` (each episode charges its own budget via `with_budget`).
  Tracing on (the default), to a SQLite store in a temp folder.
- `agentloop_direct`: the same number of `ModelClient.complete` calls, all started at once.
- `minimal_graph`: P1's hand-written LangGraph + litellm loop, same episodes, its litellm
  calls gated by an `asyncio.Semaphore(C)`.
- `minimal_direct`: the same number of `litellm.acompletion` calls under that semaphore.

The server reports the most requests it saw in flight, which must equal C.

    python benchmarks/p2_concurrency.py [--latency-ms 200] [--concurrency 8 16] [--episodes 32]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
# p1_overhead sets up litellm the way agentloop does (no cost-map fetch) before importing it.
from p1_overhead import PROMPT, WRITER_SYSTEM, _git_commit, minimal_graph  # noqa: I001

import anyio
import litellm

from _loopback_openai import loopback_server
from agentloop import Budget, Message
from agentloop.graphs import run_graph
from agentloop.model import ModelClient
from agentloop.roles import Task
from agentloop.tracing import configure_tracing, disable_tracing, flush_traces

RESULTS = Path(__file__).parent / "results"
MODEL = "openai/loopback"
KEY = "sk-loopback"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--latency-ms", type=float, default=200.0)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[8, 16])
    parser.add_argument("--episodes", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    latency = args.latency_ms / 1000.0
    out_path = args.out or RESULTS / f"p2_concurrency_{args.latency_ms:g}ms.json"
    calls = args.episodes * 2 * args.rounds
    task = Task(prompt=PROMPT, kind="writing", name="p2")
    tmp = Path(tempfile.mkdtemp(prefix="p2-"))
    direct_messages = [
        {"role": "system", "content": WRITER_SYSTEM},
        {"role": "user", "content": PROMPT},
    ]

    with loopback_server(latency_ms=args.latency_ms) as server:
        base = server.api_base

        def variants(c: int) -> dict[str, Callable[[], Awaitable[None]]]:
            client = ModelClient(MODEL, api_base=base, api_key=KEY, max_concurrency=c)
            gate = asyncio.Semaphore(c)

            async def gated_call(messages: list[dict[str, str]]) -> Any:
                async with gate:
                    return await litellm.acompletion(
                        model=MODEL, messages=messages, api_base=base, api_key=KEY
                    )

            async def agentloop_graph() -> None:
                async def episode() -> None:
                    budget = Budget()
                    result = await run_graph(
                        "self_refine", task, model=client.with_budget(budget), budget=budget,
                        max_rounds=args.rounds, patience=None,
                    )
                    assert result.calls == 2 * args.rounds, result

                async with anyio.create_task_group() as tg:
                    for _ in range(args.episodes):
                        tg.start_soon(episode)

            async def agentloop_direct() -> None:
                msgs = [Message(role=m["role"], content=m["content"]) for m in direct_messages]
                async with anyio.create_task_group() as tg:
                    for _ in range(calls):
                        tg.start_soon(client.complete, msgs)

            async def minimal_graph_run() -> None:
                await asyncio.gather(
                    *(minimal_graph(gated_call, args.rounds).ainvoke({})
                      for _ in range(args.episodes))
                )

            async def minimal_direct() -> None:
                await asyncio.gather(*(gated_call(direct_messages) for _ in range(calls)))

            return {
                "agentloop_graph": agentloop_graph,
                "agentloop_direct": agentloop_direct,
                "minimal_graph": minimal_graph_run,
                "minimal_direct": minimal_direct,
            }

        async def bench() -> dict[str, Any]:
            configure_tracing(path=tmp / "traces.db")
            out: dict[str, Any] = {}
            for c in args.concurrency:
                fns = variants(c)
                names = list(fns)
                walls: dict[str, list[float]] = {n: [] for n in names}
                cpus: dict[str, list[float]] = {n: [] for n in names}
                in_flight: dict[str, list[int]] = {n: [] for n in names}
                served: dict[str, list[int]] = {n: [] for n in names}
                for name in names:  # warm-up: connections, litellm's first call
                    await fns[name]()
                for rep in range(args.reps):
                    k = rep % len(names)
                    order = names[k:] + names[:k]
                    for name in order:
                        flush_traces()
                        server.stats(reset=True)
                        c0, t0 = time.process_time(), time.perf_counter()
                        await fns[name]()
                        walls[name].append(time.perf_counter() - t0)
                        cpus[name].append(time.process_time() - c0)
                        stats = server.stats()
                        in_flight[name].append(stats["max_in_flight"])
                        served[name].append(stats["served"])
                ideal_s = calls * latency / c
                out[str(c)] = {
                    "ideal_wall_s": ideal_s,
                    "wall_median_s": {n: statistics.median(v) for n, v in walls.items()},
                    "achieved_over_ideal": {
                        n: ideal_s / statistics.median(v) for n, v in walls.items()
                    },
                    "achieved_over_ideal_min_max": {
                        n: [ideal_s / max(v), ideal_s / min(v)] for n, v in walls.items()
                    },
                    "server_max_in_flight": {n: max(v) for n, v in in_flight.items()},
                    # Client CPU (this process, all threads) per request: with C requests
                    # finishing together, each waits for the others' share of this.
                    "client_cpu_ms_per_request": {
                        n: statistics.median(v) / calls * 1000 for n, v in cpus.items()
                    },
                    "requests_served_per_run": {n: sorted(set(v)) for n, v in served.items()},
                }
            flush_traces()
            disable_tracing()
            return out

        per_c = anyio.run(bench)

    worst = min(
        ratio
        for entry in per_c.values()
        for name, ratio in entry["achieved_over_ideal"].items()
        if name.startswith("agentloop")
    )
    result: dict[str, Any] = {
        "benchmark": "P2 concurrency: achieved / ideal throughput",
        "git_commit": _git_commit(),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cores": os.cpu_count(),
            "python": sys.version.split()[0],
            "loadavg_1m_5m_15m": list(os.getloadavg()),
        },
        "versions": {p: version(p) for p in ("litellm", "langgraph", "openai", "httpx")},
        "model": f"{MODEL} (OpenAI-compatible server on loopback, own process)",
        "strategy": "self_refine on a writing task, critic always REVISE, patience=None",
        "budget": None,
        "seed": None,
        "latency_ms": args.latency_ms,
        "episodes": args.episodes,
        "rounds": args.rounds,
        "requests_per_run": calls,
        "reps": args.reps,
        "tracing": "on for agentloop (SQLite store in a temp folder)",
        "by_concurrency": per_c,
        "agentloop_worst_achieved_over_ideal": worst,
        "target": 0.90,
        "meets_target": worst >= 0.90,
    }
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
