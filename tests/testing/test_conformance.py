"""The conformance suites shipped to backend authors catch broken backends, name the check that
caught them, and pass a correct one; importing them pulls in no test runner."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import pytest

from agentloop.memory import InProcessMemoryStore, MemoryEntry
from agentloop.sandbox import ExecResult, SandboxLimits
from agentloop.testing import (
    MEMORY_CHECKS,
    SANDBOX_CHECKS,
    ConformanceFailure,
    check_memory_store,
    check_sandbox,
)

pytestmark = pytest.mark.anyio


class ForgetfulStore(InProcessMemoryStore):
    """A backend whose storage drops updates: outcomes never stick."""

    def _replace(self, entries: list[MemoryEntry]) -> None:
        pass


class HostShell:
    """A "sandbox" that runs everything as a plain process of the host: no isolation at all."""

    def __init__(self, limits: SandboxLimits) -> None:
        self.limits = limits
        self._dir = tempfile.TemporaryDirectory()

    @property
    def work_dir(self) -> str:
        return self._dir.name

    async def exec(self, cmd: list[str] | str, *, timeout: float | None = None,
                   **_: Any) -> ExecResult:
        argv = ["/bin/sh", "-c", cmd] if isinstance(cmd, str) else cmd
        process = await asyncio.create_subprocess_exec(
            *argv, cwd=self.work_dir, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        out, err = await asyncio.wait_for(process.communicate(), timeout or 10)
        return ExecResult(
            exit_code=process.returncode or 0, stdout=out.decode(), stderr=err.decode()
        )

    async def run_python(self, source: str, *, timeout: float | None = None,
                         **_: Any) -> ExecResult:
        return await self.exec([sys.executable, "-c", source], timeout=timeout)

    async def write_file(self, path: str, content: bytes | str) -> None:
        raise NotImplementedError

    async def read_file(self, path: str) -> bytes:
        return (Path(self.work_dir) / path).read_bytes()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        self._dir.cleanup()


def test_isolation_checks_come_before_any_bomb() -> None:
    names = [check.__name__ for check in SANDBOX_CHECKS]
    assert names.index("writing_outside_the_work_dir_fails") < names.index(
        "infinite_loop_times_out"
    )
    assert names[0] == "parent_environment_is_not_visible"
    assert names[-1] == "no_processes_left_behind"


async def test_a_sandbox_that_does_not_isolate_fails_first_on_the_hosts_secrets(
    tmp_path: Path,
) -> None:
    before = os.environ.get("OPENAI_API_KEY")
    make = lambda: HostShell(SandboxLimits())  # noqa: E731
    with pytest.raises(ConformanceFailure, match="^parent_environment_is_not_visible: the host's "
                                                 "OPENAI_API_KEY is visible inside"):
        await check_sandbox(make, project_dir=tmp_path)
    # The secrets it planted are gone again: the environment and the project folder are as before.
    assert os.environ.get("OPENAI_API_KEY") == before
    assert list(tmp_path.iterdir()) == []
    # Each isolation check catches it on its own too.
    host_files = next(c for c in SANDBOX_CHECKS if c.__name__ == "host_files_cannot_be_read")
    with pytest.raises(ConformanceFailure, match="host files were read: LEAKED"):
        await host_files(make, project_dir=tmp_path)


async def test_a_memory_backend_that_drops_updates_fails_on_outcomes() -> None:
    with pytest.raises(ConformanceFailure, match="^outcomes_move_usefulness_and_rank: usefulness"):
        await check_memory_store(lambda **options: ForgetfulStore(embedder="hashing", **options))


async def test_a_correct_memory_backend_passes_the_whole_suite() -> None:
    made: list[InProcessMemoryStore] = []

    def make(**options: Any) -> InProcessMemoryStore:
        made.append(InProcessMemoryStore(embedder="hashing", **options))
        return made[-1]

    await check_memory_store(make)
    assert len(made) >= len(MEMORY_CHECKS)  # every check ran, each on fresh stores


def test_importing_the_suites_loads_no_test_runner_and_no_heavy_extra() -> None:
    heavy = ["pytest", "chromadb", "docker", "torch", "litellm", "langgraph"]
    code = f"import sys, agentloop.testing\nprint([m for m in {heavy!r} if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "[]", out.stderr
