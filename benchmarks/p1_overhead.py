"""P1: framework overhead per graph step, agentloop against a minimal LangGraph + litellm loop.

Both sides run the same Self-Refine episode on a writing task: `--rounds` rounds of actor call
then critic call (the critic always says REVISE, so every episode makes 2 x rounds model calls),
then a finish node. The minimal loop is a hand-written LangGraph `StateGraph` (TypedDict state)
whose nodes build the same messages and call `litellm.acompletion` directly. A check run first
asserts that both sides sent the model the very same conversations.

The model answers at once, so what is timed is the framework:

- `--transport scripted` (default, the strictest): both sides call litellm with the model
  string `scripted/p1`, agentloop's `ScriptedModel` behind litellm's custom-provider hook; no
  HTTP, so nothing dilutes the overhead.
- `--transport http`: both sides call an OpenAI-compatible server on loopback
  (`_loopback_openai.py`, 0 ms latency, its own process) through litellm's openai provider.

Variants, interleaved (the order rotates every repetition, so drift on this shared machine
hits all alike); each episode builds its graph and runs it, as `run_graph("self_refine")` does:

- `agentloop_trace_on`: `run_graph("self_refine", ...)` with tracing on (the default), to a
  fresh SQLite store in a temp folder; the store's background writer is flushed after the
  timed region (the flush is reported separately).
- `agentloop_trace_off`: the same with `disable_tracing()`.
- `minimal`: the hand-written loop.
- `agentloop_prebuilt` / `minimal_prebuilt` (tracing off): the graph compiled once, then run.

    python benchmarks/p1_overhead.py [--transport scripted|http] [--reps 41] [--rounds 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any, TypedDict

# litellm fetches its cost map from the network at import unless told not to (as agentloop does).
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

import anyio  # noqa: E402
import litellm  # noqa: E402
from langgraph.graph import END, START, StateGraph  # noqa: E402

from agentloop import Budget, Message  # noqa: E402
from agentloop.graphs import build_graph, run_graph  # noqa: E402
from agentloop.model import ModelClient  # noqa: E402
from agentloop.model._litellm import import_litellm  # noqa: E402
from agentloop.roles import Task  # noqa: E402
from agentloop.testing import ScriptedModel  # noqa: E402
from agentloop.tracing import configure_tracing, disable_tracing, flush_traces  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
from _loopback_openai import (  # noqa: E402
    DEFAULT_CRITIQUE,
    DEFAULT_REPLY,
    LoopbackServer,
    loopback_server,
)
from _provenance import git_commit  # noqa: E402

RESULTS = Path(__file__).parent / "results"
_OURS = [f"benchmarks/{f}" for f in ("p1_overhead.py", "p2_concurrency.py", "_loopback_openai.py")]
PROMPT = "Write two lines about autumn rain."

# The minimal loop's prompts, written out by hand: the same text agentloop's default LLMActor and
# LLMCritic send for a writing task (the check run asserts the conversations are identical).
WRITER_SYSTEM = "You are a careful writer. Answer with the requested text only."
CRITIC_SYSTEM = (
    "You review answers and give short, specific, actionable feedback. "
    "End your review with two lines exactly like:\n"
    "SCORE: <a number from 1 to 10>\n"
    "VERDICT: ACCEPT or VERDICT: REVISE"
)

Call = Callable[[list[dict[str, str]]], Awaitable[Any]]
ClientFactory = Callable[[Budget | None], ModelClient]
Times = dict[str, list[float]]


# -- the minimal hand-written loop -----------------------------------------------------------


class MiniState(TypedDict, total=False):
    history: list[tuple[str, str]]
    answer: str
    round: int
    done: bool


def minimal_graph(call: Call, rounds: int) -> Any:
    async def act(s: MiniState) -> dict[str, Any]:
        messages = [
            {"role": "system", "content": WRITER_SYSTEM},
            {"role": "user", "content": PROMPT},
        ]
        for answer, feedback in s.get("history", []):
            messages.append({"role": "assistant", "content": answer})
            messages.append({"role": "user", "content": f"{feedback}\n\nWrite an improved answer."})
        response = await call(messages)
        return {
            "answer": (response.choices[0].message.content or "").strip(),
            "round": s.get("round", 0) + 1,
        }

    async def critique(s: MiniState) -> dict[str, Any]:
        review = f"Task:\n{PROMPT}\n\nAnswer:\n{s['answer']}\n\nReview the answer."
        response = await call(
            [{"role": "system", "content": CRITIC_SYSTEM}, {"role": "user", "content": review}]
        )
        text = response.choices[0].message.content or ""
        feedback = "\n".join(
            ln for ln in text.splitlines() if not ln.startswith(("SCORE:", "VERDICT:"))
        ).strip()
        return {
            "history": [*s.get("history", []), (s["answer"], feedback)],
            "done": "VERDICT: ACCEPT" in text or s["round"] >= rounds,
        }

    async def finish(s: MiniState) -> dict[str, Any]:
        return {}

    builder = StateGraph(MiniState)
    builder.add_node("act", act)
    builder.add_node("critique", critique)
    builder.add_node("finish", finish)
    builder.add_edge(START, "act")
    builder.add_edge("act", "critique")
    builder.add_conditional_edges(
        "critique", lambda s: "finish" if s["done"] else "act", ["act", "finish"]
    )
    builder.add_edge("finish", END)
    return builder.compile()


# -- the model both sides call -----------------------------------------------------------------


def scripted_reply(messages: list[Message]) -> str:
    return DEFAULT_CRITIQUE if "VERDICT" in str(messages[0].content) else DEFAULT_REPLY


@contextmanager
def transport(kind: str) -> Iterator[tuple[Call, ClientFactory, LoopbackServer | None]]:
    """(the minimal loop's call, a factory of agentloop clients, the server if any)."""
    if kind == "scripted":
        model = ScriptedModel(fn=scripted_reply, name="p1")

        async def call(messages: list[dict[str, str]]) -> Any:
            return await litellm.acompletion(model=model.model, messages=messages)

        yield call, lambda budget: ModelClient(model.model, budget=budget), None
        return
    with loopback_server(latency_ms=0) as server:
        base, key = server.api_base, "sk-loopback"

        async def http_call(messages: list[dict[str, str]]) -> Any:
            return await litellm.acompletion(
                model="openai/loopback", messages=messages, api_base=base, api_key=key
            )

        def client(budget: Budget | None) -> ModelClient:
            return ModelClient("openai/loopback", budget=budget, api_base=base, api_key=key)

        yield http_call, client, server


# -- runs ----------------------------------------------------------------------------------------


def _git_commit() -> str:
    """This commit; "-dirty" when the library or the P1/P2 scripts have uncommitted changes."""
    return git_commit("agentloop", "graphs", *_OURS)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--transport", choices=["scripted", "http"], default="scripted")
    parser.add_argument("--reps", type=int, default=41)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    out = args.out or RESULTS / f"p1_overhead_{args.transport}.json"
    tmp = Path(tempfile.mkdtemp(prefix="p1-"))
    task = Task(prompt=PROMPT, kind="writing", name="p1")
    steps = 2 * args.rounds  # model calls; each is one act or critique node
    import_litellm()  # registers the scripted/ provider; the first import takes seconds

    with transport(args.transport) as (call, make_client, server):
        options: dict[str, Any] = {"max_rounds": args.rounds, "patience": None}
        prebuilt_client = make_client(None)
        al_prebuilt = build_graph("self_refine", model=prebuilt_client, task=task, **options)
        min_prebuilt = minimal_graph(call, args.rounds)

        async def agentloop_run() -> None:
            # A client passed in charges its own budget: hand run_graph the same one.
            budget = Budget()
            result = await run_graph(
                "self_refine", task, model=make_client(budget), budget=budget, **options
            )
            assert result.calls == steps, result

        async def agentloop_prebuilt_run() -> None:
            result = await run_graph(al_prebuilt, task)
            assert len(result.candidates) == args.rounds, result

        async def minimal_run() -> None:
            final = await minimal_graph(call, args.rounds).ainvoke({})
            assert final["round"] == args.rounds

        async def minimal_prebuilt_run() -> None:
            await min_prebuilt.ainvoke({})

        variants: dict[str, tuple[bool, Callable[[], Awaitable[None]]]] = {
            "agentloop_trace_on": (True, agentloop_run),
            "agentloop_trace_off": (False, agentloop_run),
            "minimal": (False, minimal_run),
            "agentloop_prebuilt": (False, agentloop_prebuilt_run),
            "minimal_prebuilt": (False, minimal_prebuilt_run),
        }

        async def timed(name: str) -> tuple[float, float, float]:
            tracing, fn = variants[name]
            if tracing:
                configure_tracing(path=tmp / "traces.db")
            else:
                disable_tracing()
            c0, t0 = time.process_time(), time.perf_counter()
            await fn()
            hot, cpu = time.perf_counter() - t0, time.process_time() - c0
            flush = 0.0
            if tracing:
                t1 = time.perf_counter()
                flush_traces()
                flush = time.perf_counter() - t1
                disable_tracing()
            return hot, cpu, flush

        async def same_calls() -> bool:
            """Both sides send the model identical conversations, in the same order."""
            if server is not None:
                server.stats(reset=True)
                await timed("agentloop_trace_off")
                a = server.stats(reset=True)
                await timed("minimal")
                b = server.stats(reset=True)
                return bool(a["served"] == steps and a == b)
            model = ScriptedModel(fn=scripted_reply, name="p1")  # re-registered: fresh record
            await timed("agentloop_trace_off")
            ours = [[(m.role, m.content) for m in c.messages] for c in model.calls]
            model.calls.clear()
            await timed("minimal")
            theirs = [[(m.role, m.content) for m in c.messages] for c in model.calls]
            return len(ours) == steps and ours == theirs

        async def bench() -> tuple[bool, Times, Times, list[float], Times]:
            identical = await same_calls()
            for name in variants:  # warm-up
                await timed(name)
            times: Times = {name: [] for name in variants}
            cpus: Times = {name: [] for name in variants}
            flushes: list[float] = []
            names = list(variants)
            for rep in range(args.reps):
                k = rep % len(names)
                order = names[k:] + names[:k]
                if rep % 2:
                    order.reverse()
                for name in order:
                    hot, cpu, flush = await timed(name)
                    times[name].append(hot)
                    cpus[name].append(cpu)
                    if flush:
                        flushes.append(flush)
            pairs = {
                name: [a / b for a, b in zip(times[name], times[base], strict=True)]
                for name, base in (
                    ("agentloop_trace_on", "minimal"),
                    ("agentloop_trace_off", "minimal"),
                    ("agentloop_prebuilt", "minimal_prebuilt"),
                )
            }
            return identical, times, cpus, flushes, pairs

        identical, times, cpus, flushes, pairs = anyio.run(bench)

    med = {name: statistics.median(v) for name, v in times.items()}
    cpu_med = {name: statistics.median(v) for name, v in cpus.items()}

    def ratios_of(m: dict[str, float]) -> dict[str, float]:
        return {
            "trace_on_vs_minimal": m["agentloop_trace_on"] / m["minimal"],
            "trace_off_vs_minimal": m["agentloop_trace_off"] / m["minimal"],
            "prebuilt_vs_minimal_prebuilt": m["agentloop_prebuilt"] / m["minimal_prebuilt"],
        }

    ratios = ratios_of(med)
    result: dict[str, Any] = {
        "benchmark": "P1 framework overhead per graph step",
        "git_commit": _git_commit(),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cores": os.cpu_count(),
            "python": sys.version.split()[0],
            # Shared machine: how loaded it was at the end says how noisy the medians may be.
            "loadavg_1m_5m_15m": list(os.getloadavg()),
        },
        "versions": {p: version(p) for p in ("litellm", "langgraph", "openai", "httpx")},
        "transport": args.transport,
        "model": (
            "scripted/p1 (ScriptedModel via litellm custom provider, 0 ms)"
            if args.transport == "scripted"
            else "openai/loopback (OpenAI-compatible server on loopback, own process, 0 ms)"
        ),
        "strategy": "self_refine on a writing task, critic always REVISE, patience=None",
        "budget": None,
        "seed": None,
        "reps": args.reps,
        "rounds": args.rounds,
        "steps_per_episode": steps,
        "nodes_per_episode": steps + 1,
        "same_calls_both_sides": identical,
        "episode_median_s": med,
        "per_step_median_ms": {name: m / steps * 1000 for name, m in med.items()},
        "overhead_per_step_ms": {
            "trace_on": (med["agentloop_trace_on"] - med["minimal"]) / steps * 1000,
            "trace_off": (med["agentloop_trace_off"] - med["minimal"]) / steps * 1000,
            "prebuilt": (med["agentloop_prebuilt"] - med["minimal_prebuilt"]) / steps * 1000,
        },
        "ratio": ratios,
        "ratio_median_of_pairs": {name: statistics.median(v) for name, v in pairs.items()},
        # CPU time of this process (all its threads, the trace writer's included): less moved
        # by other processes on a loaded machine than wall time.
        "episode_cpu_median_s": cpu_med,
        "ratio_cpu": ratios_of(cpu_med),
        "trace_flush_median_s": statistics.median(flushes) if flushes else None,
        "target_ratio": 1.10,
        "meets_target": ratios["trace_on_vs_minimal"] <= 1.10,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
