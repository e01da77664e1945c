"""The command line's limits: `--timeout`, a missing API key, and resuming a checkpointed run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from click.testing import Result
from typer.testing import CliRunner

from agentloop.cli import _run
from agentloop.errors import GraphError
from agentloop.testing import ScriptedModel
from tests.conftest import command_app
from tests.openai_loopback import ScriptedServer, ok, running_server, slow

_AGENTLOOP = [sys.executable, "-c", "from agentloop.cli import main; main()"]


def _agentloop(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*_AGENTLOOP, *args], capture_output=True, text=True, timeout=120,
        env={**env, "COLUMNS": "400", "NO_COLOR": "1"},
    )


def _one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    return lines[0]


def _env_for(server: ScriptedServer, **more: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}
    return {**env, "OPENAI_BASE_URL": server.api_base, **more}


def test_ask_without_a_key_says_which_variable_to_set_at_once() -> None:
    with running_server() as server:
        server.script = [ok("never")]
        result = _agentloop("ask", "hi", "-m", "openai/gpt-4o-mini", env=_env_for(server))
    line = _one_error_line(result)
    assert "no API key: set OPENAI_API_KEY in the environment" in line
    assert server.attempts == 0


def test_ask_timeout_gives_up_on_a_server_that_hangs() -> None:
    with running_server() as server:
        server.script = [slow(ok("too late"), 60.0)]
        started = time.monotonic()
        result = _agentloop(
            "ask", "hi", "-m", "openai/loopback", "--timeout", "0.5",
            env=_env_for(server, OPENAI_API_KEY="sk-test"),
        )
    assert time.monotonic() - started < 40.0
    assert "no answer in time" in _one_error_line(result)
    assert server.attempts == 4  # each attempt was cut at 0.5 s, then retried


def _invoke(*args: str) -> Result:
    return CliRunner().invoke(command_app(_run.register), list(args), env={"COLUMNS": "300"})


def test_run_prints_its_thread_at_the_start_and_refuses_an_unknown_one(tmp_path: Path) -> None:
    model = ScriptedModel(fn=lambda messages: "Rain on the lane.")
    db = tmp_path / "runs.db"
    base = ["run", "try_again", "--prompt", "Write a line about rain.", "--model", model.model,
            "--checkpoint", str(db), "-o", "max_rounds=1", "--json"]
    first = _invoke(*base)
    assert first.exit_code == 0, first.output
    thread = json.loads(first.stdout[first.stdout.index("{"):])["thread_id"]
    assert first.stderr.startswith(f"checkpointing to {db}   thread: {thread}")

    again = _invoke(*base, "--thread", thread)
    assert again.exit_code == 0 and again.stderr.startswith(f"resuming {db}   thread: {thread}")

    unknown = _invoke(*base, "--thread", "no-such-thread")
    assert isinstance(unknown.exception, GraphError)  # `agentloop` prints it as one line
    assert str(unknown.exception).startswith(
        f"no run with thread id 'no-such-thread' in checkpoint file '{db}'"
    )


def test_run_has_a_timeout_option(tmp_path: Path) -> None:
    model = ScriptedModel(fn=lambda messages: "Rain on the lane.", latency=2.0)
    run = _invoke(
        "run", "try_again", "--prompt", "Write a line about rain.", "--model", model.model,
        "--timeout", "0.2", "-o", "max_rounds=1", "--json",
    )
    result = json.loads(run.stdout[run.stdout.index("{"):])
    assert result["stop_reason"] == "error" and "no answer within 0.2s" in result["extra"]["error"]
