"""A reflexion run in its own process, for the resume test: `python crash_run.py DB LOG CRASH_AT`.

Every model call is appended to LOG before it is answered; the call numbered CRASH_AT (counted
over the whole LOG, so across processes) kills the process with SIGKILL, as a crash would.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import anyio

from agentloop.graphs import run_graph
from agentloop.model import ModelClient
from agentloop.roles import FunctionVerifier, Task
from agentloop.testing import ScriptedModel

db, log, crash_at = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
task = Task(name="add", prompt="def add(a, b):\n    pass\n", tests=["assert add(1, 2) == 3"])


def reply(messages: list) -> str:  # type: ignore[type-arg]
    role = "reflector" if "diagnose" in messages[0].content else "actor"
    with log.open("a") as f:
        f.write(role + "\n")
        f.flush()
        os.fsync(f.fileno())
    if len(log.read_text().splitlines()) == crash_at:
        os.kill(os.getpid(), signal.SIGKILL)
    return "lesson" if role == "reflector" else "def add(a, b):\n    return a - b\n"


async def main() -> None:
    model = ScriptedModel(fn=reply)
    verifier = FunctionVerifier(lambda code: False)
    result = await run_graph(
        "reflexion", task, model=ModelClient(model.model), checkpoint=db, thread_id="t1",
        verifier=lambda t, s: verifier, max_rounds=3, patience=None,
    )
    print(result.stop_reason, len(result.candidates), model.call_count)


anyio.run(main)
