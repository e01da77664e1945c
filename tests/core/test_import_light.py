"""`import agentloop` stays fast and loads none of the heavy libraries."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = [
    "torch", "transformers", "chromadb", "docker", "llama_cpp", "gradio", "ray", "litellm",
    "aiohttp",
]

PROBE = f"""
import json, sys, time
t0 = time.process_time()
import agentloop, agentloop.tracing, agentloop.cli
elapsed = time.process_time() - t0
print(json.dumps({{"elapsed": elapsed, "loaded": [m for m in {HEAVY!r} if m in sys.modules]}}))
"""


def _probe() -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True
    ).stdout
    result: dict[str, object] = json.loads(out.strip().splitlines()[-1])
    return result


def test_import_loads_no_heavy_library() -> None:
    assert _probe()["loaded"] == []


def test_import_is_fast() -> None:
    # CPU time, best of three: wall time on a shared 2-core machine measures the neighbours.
    best = min(float(str(_probe()["elapsed"])) for _ in range(3))
    assert best < 0.5, f"import agentloop took {best:.2f}s"
