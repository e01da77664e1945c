"""P5: what tracing costs. The same scripted zero-latency run with tracing on and off.

A run is one WORKFLOW span of `--steps` graph-like steps; each step is a NODE span holding a
real `ModelClient.complete` call to a zero-latency `ScriptedModel` (its CHAT span carries the
GenAI attributes) and a VERIFY span with a "verifier" evaluation. On and off runs alternate
(the order flips every repetition) so that drift on this shared machine hits both alike.
Reported: median run time on/off and their ratio (target <= 1.05), the hot-path cost of one
span alone (spans with attributes, no model), and spans written to SQLite per second.

    python benchmarks/p5_tracing.py [--reps 41] [--steps 40]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    # Run as a script: make `benchmarks` and `agentloop` importable from the repository root.
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import anyio

from agentloop.model import ModelClient
from agentloop.testing import ScriptedModel
from agentloop.tracing import (
    SpanKind,
    TraceStore,
    configure_tracing,
    disable_tracing,
    flush_traces,
    span,
)
from benchmarks._provenance import git_commit

RESULTS = Path(__file__).parent / "results"


async def scripted_run(client: ModelClient, steps: int) -> None:
    with span(
        "bench_run",
        kind=SpanKind.WORKFLOW,
        attributes={
            "agentloop.graph": "p5",
            "agentloop.tags": ["p5"],
        },
    ) as run:
        for step in range(steps):
            with span("actor", kind=SpanKind.NODE):
                completion = await client.complete(f"step {step}: write the answer")
            with span("verify", kind=SpanKind.VERIFY) as verify:
                verify.add_evaluation(
                    "verifier", score=1.0, label="pass", explanation=completion.text[:20]
                )
        run.set_attribute("agentloop.outcome", "solved")


def spans_only(n: int) -> None:
    """`n` node+chat span pairs with ModelClient-like attributes and no work inside."""
    with span("bench_spans", kind=SpanKind.WORKFLOW):
        for i in range(n):
            with span("actor", kind=SpanKind.NODE), span("chat", kind=SpanKind.CHAT) as chat:
                chat.set_attributes(
                    {
                        "gen_ai.request.model": "scripted/p5",
                        "gen_ai.input.messages": [{"role": "user", "content": f"q{i}"}],
                        "gen_ai.usage.input_tokens": 3,
                        "gen_ai.usage.output_tokens": 2,
                        "gen_ai.output.messages": ["a"],
                        "agentloop.cost_usd": 0.0,
                        "agentloop.cache_hit": False,
                        "agentloop.latency_s": 0.0,
                    }
                )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=41)
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--span-pairs", type=int, default=2000)
    parser.add_argument("--write-spans", type=int, default=50_000)
    parser.add_argument("--out", type=Path, default=RESULTS / "p5_tracing.json")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="p5-"))
    store_path = tmp / "traces.db"
    model = ScriptedModel(fn=lambda messages: "the answer is 42", name="p5")
    client = ModelClient(model.model)

    def set_tracing(on: bool) -> None:
        if on:
            configure_tracing(path=store_path)
        else:
            disable_tracing()

    async def timed_run(on: bool) -> tuple[float, float]:
        set_tracing(on)
        t0 = time.perf_counter()
        await scripted_run(client, args.steps)
        hot = time.perf_counter() - t0
        flush_traces()
        return hot, time.perf_counter() - t0

    async def run_benchmark() -> dict[str, list[float]]:
        for on in (False, True):  # warm-up: imports, litellm's first call, store creation
            await timed_run(on)
        times: dict[str, list[float]] = {"on": [], "on_incl_flush": [], "off": [], "pair": []}
        for rep in range(args.reps):
            pair = {}
            for on in (True, False) if rep % 2 else (False, True):
                hot, with_flush = await timed_run(on)
                pair[on] = hot
                if on:
                    times["on"].append(hot)
                    times["on_incl_flush"].append(with_flush)
                else:
                    times["off"].append(hot)
            times["pair"].append(pair[True] / pair[False])
        return times

    times = anyio.run(run_benchmark)
    spans_per_run = 1 + 3 * args.steps

    span_times: dict[str, list[float]] = {"on": [], "off": []}
    for rep in range(args.reps):
        for on in (True, False) if rep % 2 else (False, True):
            set_tracing(on)
            t0 = time.perf_counter()
            spans_only(args.span_pairs)
            span_times["on" if on else "off"].append(time.perf_counter() - t0)
            flush_traces()

    # Throughput: spans from the first emit until all are committed, with a fresh store.
    write_store = configure_tracing(path=tmp / "throughput.db")
    assert write_store is not None
    t0 = time.perf_counter()
    spans_only(args.write_spans // 2)
    emitted = time.perf_counter() - t0
    flush_traces(timeout=300)
    total = time.perf_counter() - t0
    disable_tracing()
    written = TraceStore(tmp / "throughput.db")
    with written.reading() as conn:
        stored = conn.execute("SELECT COUNT(*) FROM spans").fetchone()[0]

    med = {k: statistics.median(v) for k, v in times.items()}
    span_med = {k: statistics.median(v) for k, v in span_times.items()}
    n_spans = 1 + 2 * args.span_pairs
    result: dict[str, Any] = {
        "benchmark": "P5 tracing overhead",
        "git_commit": git_commit(),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cores": os.cpu_count(),
            "python": sys.version.split()[0],
            # Shared machine: the load at the end says how noisy the medians may be.
            "loadavg_1m": os.getloadavg()[0],
        },
        "model": model.model + " (ScriptedModel, zero latency, through ModelClient/litellm)",
        "strategy": "scripted run: workflow > steps x (node > chat, verify + evaluation)",
        "budget": None,
        "seed": None,
        "reps": args.reps,
        "steps_per_run": args.steps,
        "spans_per_run": spans_per_run,
        "run_median_s": {"on": med["on"], "off": med["off"], "on_incl_flush": med["on_incl_flush"]},
        "ratio_on_off": med["on"] / med["off"],
        "ratio_median_of_pairs": med["pair"],
        # Less noisy on a shared machine: the measured per-span cost times spans per run.
        "ratio_estimated_from_span_cost": 1
        + spans_per_run * ((span_med["on"] - span_med["off"]) / n_spans) / med["off"],
        "ratio_on_off_incl_flush": med["on_incl_flush"] / med["off"],
        "target_ratio": 1.05,
        "span_only": {
            "spans": n_spans,
            "median_s": span_med,
            "us_per_span_on": span_med["on"] / n_spans * 1e6,
            "us_per_span_off": span_med["off"] / n_spans * 1e6,
            "us_overhead_per_span": (span_med["on"] - span_med["off"]) / n_spans * 1e6,
        },
        "write_throughput": {
            "spans": stored,
            "emit_s": emitted,
            "emit_to_committed_s": total,
            "spans_written_per_s": stored / total,
        },
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
