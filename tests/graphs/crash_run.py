"""A reflexion run in its own process, for the resume tests:
`python crash_run.py DB LOG CRASH_AT [MAX_CALLS]`.

Every model call is appended to LOG before it is answered; the call numbered CRASH_AT (counted
over the whole LOG, so across processes) kills the process with SIGKILL, as a crash would.
With MAX_CALLS the run has that call budget (and up to 10 rounds instead of 3).
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import anyio

from agentloop import Budget
from agentloop.graphs import run_graph
from agentloop.model import ModelClient
from agentloop.roles import ActorPrompts, FunctionVerifier, ReflectorPrompts, Task
from agentloop.testing import ScriptedModel

db, log, crash_at = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
max_calls = int(sys.argv[4]) if len(sys.argv) > 4 else None
task = Task(name="add", prompt="def add(a, b):\n    pass\n", tests=["assert add(1, 2) == 3"])
# Each role by its own system prompt; any other request ends the process with status 3 (not a
# SIGKILL, which the tests read as the planned crash). See conftest's `role_of`.
ROLES = {ActorPrompts().system_code: "actor", ReflectorPrompts().system: "reflector"}


def reply(messages: list) -> str:  # type: ignore[type-arg]
    role = ROLES.get(messages[0].content)
    if role is None:
        print(f"no role has this system prompt: {messages[0].content!r}", file=sys.stderr)
        os._exit(3)
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
        verifier=lambda t, s: verifier, max_rounds=3 if max_calls is None else 10, patience=None,
        budget=Budget(max_calls=max_calls),
    )
    print(result.stop_reason, len(result.candidates), model.call_count)


anyio.run(main)
