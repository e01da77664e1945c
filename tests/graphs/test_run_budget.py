"""run_graph and its budget: one budget per run, hard across branches, cut in flight, resumed."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from agentloop import Budget, Message
from agentloop.errors import GraphError
from agentloop.graphs import StopReason, build_graph, run_graph
from agentloop.model import ModelClient
from agentloop.roles import FunctionVerifier
from agentloop.testing import ScriptedModel
from tests.openai_loopback import ok, recording_spans, running_server, slow

from .conftest import ADD, HALF, RIGHT, WRONG, Roles

pytestmark = pytest.mark.anyio
HERE = Path(__file__).parent
REPO = HERE.parents[1]


def _never_passes() -> FunctionVerifier:
    return FunctionVerifier(lambda code: 0.5)


# -- one budget per run ----------------------------------------------------------------------


async def test_the_runs_budget_limits_a_compiled_graph_whose_client_has_none() -> None:
    roles = Roles(actor=[HALF])
    graph = build_graph("self_refine", model=roles.client(), task=ADD, max_rounds=10)
    result = await run_graph(graph, ADD, budget=Budget(max_calls=3))
    assert roles.model.call_count == 3
    assert result.stop_reason is StopReason.BUDGET and result.calls == 3
    assert result.best is not None  # the best candidate so far is kept


async def test_a_clients_own_budget_and_the_runs_both_apply() -> None:
    roles = Roles(actor=[HALF])
    graph = build_graph(
        "self_refine", model=roles.client(Budget(max_calls=2)), task=ADD, max_rounds=10
    )
    result = await run_graph(graph, ADD, budget=Budget(max_calls=5))
    assert roles.model.call_count == 2
    assert result.stop_reason is StopReason.BUDGET and result.calls == 2


# -- branches cannot overrun a call budget ---------------------------------------------------


@pytest.mark.parametrize("graph", ["best_of_n", "lats"])
async def test_parallel_branches_make_no_more_calls_than_the_budget(graph: str) -> None:
    roles = Roles(actor=[WRONG, HALF, RIGHT], latency=0.05)
    result = await run_graph(
        graph, ADD, model=roles.client(), budget=Budget(max_calls=1),
        verifier=lambda t, s: _never_passes(),
    )
    assert roles.model.call_count == 1
    assert result.calls == 1 and result.stop_reason is StopReason.BUDGET


# -- wall time -------------------------------------------------------------------------------


async def test_the_wall_time_limit_cuts_a_hanging_call_and_keeps_the_best_candidate() -> None:
    with running_server() as server:
        server.script = [ok(HALF), slow(ok("Looks fine.\nSCORE: 9\nVERDICT: ACCEPT"), 30.0)]
        client = ModelClient("openai/loopback", api_base=server.api_base, api_key="sk-test")
        started = time.monotonic()
        result = await run_graph(
            "self_refine", ADD, model=client, budget=Budget(max_seconds=2.0), max_rounds=3
        )
    assert time.monotonic() - started < 10.0
    assert result.stop_reason is StopReason.BUDGET
    assert result.best is not None and "a * b" in result.best.text


# -- resume ----------------------------------------------------------------------------------


def test_a_killed_run_resumes_with_what_was_left_of_its_budget(tmp_path: Path) -> None:
    db, log = tmp_path / "checkpoints.db", tmp_path / "calls.log"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    script = str(HERE / "crash_run.py")
    # Calls: act, reflect, act, then the 4th (a reflect) is killed mid-call; budget 6 calls.
    killed = subprocess.run(
        [sys.executable, script, str(db), str(log), "4", "6"], env=env, capture_output=True,
        text=True, timeout=120,
    )
    assert killed.returncode == -9, killed.stderr
    resumed = subprocess.run(
        [sys.executable, script, str(db), str(log), "0", "6"], env=env, capture_output=True,
        text=True, timeout=120,
    )
    assert resumed.returncode == 0, resumed.stderr
    # 3 calls were saved as spent: 3 are left, not a fresh 6.
    assert log.read_text().splitlines()[4:] == ["reflector", "actor", "reflector"]
    assert resumed.stdout.split()[0] == "budget"


async def test_resuming_a_thread_the_checkpoint_lacks_is_an_error_naming_both(
    tmp_path: Path,
) -> None:
    db = tmp_path / "checkpoints.db"
    roles = Roles(actor=[RIGHT])
    with pytest.raises(GraphError, match=r"no checkpoint file .*checkpoints\.db"):
        await run_graph("self_refine", ADD, model=roles.client(), checkpoint=db,
                        thread_id="t-1", resume=True)
    await run_graph("self_refine", ADD, model=roles.client(), checkpoint=db, thread_id="t-1",
                    max_rounds=1)
    with pytest.raises(GraphError, match=r"no run with thread id 'nope' in checkpoint file"):
        await run_graph("self_refine", ADD, model=roles.client(), checkpoint=db,
                        thread_id="nope", resume=True)
    again = await run_graph("self_refine", ADD, model=roles.client(), checkpoint=db,
                            thread_id="t-1", resume=True)
    assert again.thread_id == "t-1" and again.calls == 0


async def test_a_checkpointed_run_records_its_thread_before_its_first_step(
    tmp_path: Path,
) -> None:
    seen_at_first_call: list[dict[str, object]] = []

    def reply(messages: list[Message]) -> str:
        # What a kill -9 right now would have left in the trace store.
        seen_at_first_call.extend(r.attributes for r in records)
        return RIGHT

    model = ScriptedModel(fn=reply)
    with recording_spans() as records:
        await run_graph("self_refine", ADD, model=ModelClient(model.model),
                        checkpoint=tmp_path / "c.db", thread_id="t-7", max_rounds=1)
    assert any(a.get("agentloop.thread_id") == "t-7" for a in seen_at_first_call)
