"""P4: local model tokens/s through agentloop against raw llama-cpp-python.

Both sides run the same GGUF with the same settings (thread count, context, greedy decoding,
max_tokens) on the same prompts; each holds its own loaded `Llama`, so each gets the same KV
prefix reuse. "agentloop" is `ModelClient(local/...)`: litellm custom provider, worker thread,
model lock, tracing as configured by default. Two modes: a whole answer (`complete` vs
`create_chat_completion`) and a streamed one (`stream` vs `create_chat_completion(stream=True)`).
Raw and agentloop calls alternate (the order flips every repetition) so that drift on this shared
machine hits both alike. tokens/s = generated tokens / wall time of the call. Reported: median
tokens/s per side and mode, their ratio, and the median of per-pair ratios (target >= 0.95).

Run it alone on the machine:

    flock /tmp/agentloop-model.lock python benchmarks/p4_local_model.py [--reps 8] [--threads 1]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
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
from agentloop.model import GenerateConfig, ModelClient
from agentloop.model._gguf import resolve_gguf
from agentloop.model._local import DEFAULT_CONTEXT
from benchmarks._provenance import git_commit

RESULTS = Path(__file__).parent / "results"
PROMPTS = [
    "Write a short story about a lighthouse keeper who finds a message in a bottle.",
    "Explain how a hash table works, step by step.",
    "List ten ideas for a weekend project with a Raspberry Pi, one line each.",
]


class Raw:
    """llama-cpp-python used directly, as a user without agentloop would."""

    def __init__(self, path: Path, threads: int) -> None:
        import llama_cpp

        self.llama = llama_cpp.Llama(
            model_path=str(path),
            n_ctx=DEFAULT_CONTEXT,
            n_threads=threads,
            n_threads_batch=threads,
            verbose=False,
        )

    def complete(self, prompt: str, max_tokens: int) -> tuple[str, int, float]:
        started = time.perf_counter()
        out: Any = self.llama.create_chat_completion(
            messages=[{"role": "user", "content": prompt}], temperature=0.0, max_tokens=max_tokens
        )
        elapsed = time.perf_counter() - started
        return out["choices"][0]["message"]["content"], out["usage"]["completion_tokens"], elapsed

    def stream(self, prompt: str, max_tokens: int) -> tuple[str, int, float]:
        started = time.perf_counter()
        pieces: list[str] = []
        for chunk in self.llama.create_chat_completion(
            messages=[{"role": "user", "content": prompt}],
            temperature=0.0,
            max_tokens=max_tokens,
            stream=True,
        ):
            text = chunk["choices"][0]["delta"].get("content")  # type: ignore[index]
            if text:
                pieces.append(text)
        elapsed = time.perf_counter() - started
        # One streamed chunk per token (the count the provider reports too).
        return "".join(pieces), len(pieces), elapsed


class Agentloop:
    """The same model through agentloop's one door (the async API, in one event loop)."""

    def __init__(self, model: str, threads: int, max_tokens: int) -> None:
        self.client = ModelClient(
            model,
            config=GenerateConfig(
                temperature=0.0, max_tokens=max_tokens, extra={"n_threads": threads}
            ),
        )

    async def complete(self, prompt: str) -> tuple[str, int, float]:
        started = time.perf_counter()
        completion = await self.client.complete(prompt)
        elapsed = time.perf_counter() - started
        return completion.text, completion.usage.output_tokens, elapsed

    async def stream(self, prompt: str) -> tuple[str, int, float]:
        budget = Budget()
        client = self.client.with_budget(budget)
        started = time.perf_counter()
        text = "".join([piece async for piece in client.stream(prompt)])
        elapsed = time.perf_counter() - started
        return text, budget.spent.output_tokens, elapsed


async def bench() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="local/smollm2-135m")
    parser.add_argument("--reps", type=int, default=8)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--max-tokens", type=int, default=96)
    parser.add_argument("--out", type=Path, default=RESULTS / "p4_local_model.json")
    args = parser.parse_args()

    path = resolve_gguf(args.model)
    raw = Raw(path, args.threads)
    ours = Agentloop(args.model, args.threads, args.max_tokens)
    # Warm both (model load, litellm import, first-call allocations) outside the timings.
    for prompt in PROMPTS:
        raw.complete(prompt, args.max_tokens)
        await ours.complete(prompt)

    rates: dict[str, dict[str, list[float]]] = {
        mode: {"raw": [], "agentloop": []} for mode in ("complete", "stream")
    }
    pair_ratios: dict[str, list[float]] = {"complete": [], "stream": []}
    cpu_per_token: dict[str, dict[str, list[float]]] = {
        mode: {"raw": [], "agentloop": []} for mode in ("complete", "stream")
    }
    mismatches = 0
    tokens = 0
    for rep in range(args.reps):
        for i, prompt in enumerate(PROMPTS):
            for mode in ("complete", "stream"):
                order = ["raw", "agentloop"] if (rep + i) % 2 == 0 else ["agentloop", "raw"]
                got: dict[str, tuple[str, int, float]] = {}
                for side in order:
                    cpu = time.process_time()
                    if side == "raw":
                        got[side] = getattr(raw, mode)(prompt, args.max_tokens)
                    else:
                        got[side] = await getattr(ours, mode)(prompt)
                    # CPU seconds of the whole process per token: overhead that wall-clock
                    # noise from other work on the machine does not blur.
                    cpu_per_token[mode][side].append(
                        (time.process_time() - cpu) / max(got[side][1], 1)
                    )
                if got["raw"][0] != got["agentloop"][0]:
                    mismatches += 1
                for side, (_, n, elapsed) in got.items():
                    rates[mode][side].append(n / elapsed)
                    tokens += n
                pair_ratios[mode].append(
                    (got["agentloop"][1] / got["agentloop"][2]) / (got["raw"][1] / got["raw"][2])
                )
        print(f"rep {rep + 1}/{args.reps} done", flush=True)

    summary: dict[str, Any] = {}
    for mode in ("complete", "stream"):
        raw_median = statistics.median(rates[mode]["raw"])
        ours_median = statistics.median(rates[mode]["agentloop"])
        summary[mode] = {
            "tokens_per_s_median": {"raw": raw_median, "agentloop": ours_median},
            "ratio_agentloop_raw": ours_median / raw_median,
            "ratio_median_of_pairs": statistics.median(pair_ratios[mode]),
            "cpu_ms_per_token_median": {
                side: 1000 * statistics.median(cpu_per_token[mode][side])
                for side in ("raw", "agentloop")
            },
        }
    result = {
        "benchmark": "P4 local model tokens/s",
        "git_commit": git_commit(),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cores": os.cpu_count(),
            "python": platform.python_version(),
            "loadavg_1m": os.getloadavg()[0],
        },
        "model": args.model,
        "model_file": path.name,
        "strategy": "greedy chat completion, same prompts and settings on both sides",
        "budget": None,
        "seed": None,
        "threads": args.threads,
        "n_ctx": DEFAULT_CONTEXT,
        "max_tokens": args.max_tokens,
        "prompts": len(PROMPTS),
        "reps": args.reps,
        "generated_tokens": tokens,
        "texts_differing_between_sides": mismatches,
        **summary,
        "target_ratio": 0.95,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


def main() -> None:
    anyio.run(bench)


if __name__ == "__main__":
    main()
