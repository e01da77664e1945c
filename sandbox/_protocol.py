"""The `Sandbox` protocol: run code in isolation, under limits, and say why a run stopped."""

from __future__ import annotations

from enum import StrEnum
from types import TracebackType
from typing import Protocol, Self, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["ExecResult", "ExecStopReason", "Sandbox", "SandboxLimits"]

_MIB = 1024 * 1024


class ExecStopReason(StrEnum):
    """Why a command stopped; `NONE` when it ended by itself."""

    NONE = "none"
    TIMEOUT = "timeout"
    """Wall time or CPU time ran out; the whole process tree was killed."""
    MEMORY = "memory"
    """The memory limit was hit: an allocation failed, or the command's processes together
    passed `SandboxLimits.memory_bytes` and the whole tree was killed."""
    OUTPUT_LIMIT = "output_limit"
    """Stdout plus stderr passed `SandboxLimits.output_bytes`; the tree was killed."""
    SIGNAL = "signal"
    """A signal ended it that the sandbox did not send (a crash such as SIGSEGV)."""


class SandboxLimits(BaseModel):
    """Resource limits for one command run in a sandbox."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    wall_time_s: float = Field(default=10.0, gt=0)
    """Wall-clock seconds before the whole process tree is killed."""
    cpu_time_s: int = Field(default=10, gt=0)
    """CPU seconds per process (RLIMIT_CPU)."""
    memory_bytes: int = Field(default=1024 * _MIB, gt=0)
    """Memory of the command's processes together; past it the whole tree stops as `MEMORY`.

    Local with a cgroup: a hard cap the kernel enforces (files the episode wrote to its tmpfs
    count too). Local without one: the processes' resident memory summed from /proc every 20 ms,
    so a fast allocation can overshoot briefly. Local, both: also each process's address space
    (RLIMIT_AS). Docker: the container's memory and memory+swap limit. See `agentloop.sandbox`.
    """
    processes: int = Field(default=64, gt=0)
    """Processes and threads the command may have at once (RLIMIT_NPROC, and the cgroup's
    `pids.max` where the local sandbox has a cgroup; Docker: pids limit). The kernel exempts root
    from RLIMIT_NPROC: `isolation="none"` run as root is bounded only by the cgroup."""
    file_size_bytes: int = Field(default=16 * _MIB, gt=0)
    """Largest file a process may write (RLIMIT_FSIZE)."""
    disk_bytes: int = Field(default=64 * _MIB, gt=0)
    """Size of the private writable work dir and /tmp together (a tmpfs)."""
    output_bytes: int = Field(default=1 * _MIB, gt=0)
    """Stdout and stderr kept, each; past it the command is killed and its output truncated."""
    open_files: int = Field(default=256, gt=0)
    """Open file descriptors per process (RLIMIT_NOFILE)."""


class ExecResult(BaseModel):
    """What one command did: its exit, its (capped) output and why it stopped."""

    model_config = ConfigDict(frozen=True)

    exit_code: int
    """The process's exit status; -N when it was killed by signal N."""
    stdout: str = ""
    stderr: str = ""
    stdout_truncated: bool = False
    stderr_truncated: bool = False
    duration_s: float = 0.0
    stop_reason: ExecStopReason = ExecStopReason.NONE
    signal: int | None = None
    """The signal that ended the process, if any."""

    @property
    def ok(self) -> bool:
        """Exited with status 0 by itself."""
        return self.exit_code == 0 and self.stop_reason is ExecStopReason.NONE


@runtime_checkable
class Sandbox(Protocol):
    """An isolated place to run untrusted code; one instance is one episode.

    Files written in an episode stay in its work dir until the episode ends; nothing survives
    into the next episode. Use it as an async context manager.
    """

    limits: SandboxLimits

    @property
    def work_dir(self) -> str:
        """The writable working directory inside the sandbox (the default `cwd`)."""
        ...

    async def exec(
        self,
        cmd: list[str] | str,
        *,
        input: bytes | str | None = None,
        cwd: str | None = None,
        env: dict[str, str] | None = None,
        timeout: float | None = None,
    ) -> ExecResult:
        """Run `cmd` (an argv list, or a string for `/bin/sh -c`) inside the sandbox."""
        ...

    async def run_python(
        self, source: str, *, input: bytes | str | None = None, timeout: float | None = None
    ) -> ExecResult:
        """Run Python source as `__main__` in the sandbox's interpreter (warm where possible)."""
        ...

    async def write_file(self, path: str, content: bytes | str) -> None:
        """Write a file; a relative path is inside the work dir."""
        ...

    async def read_file(self, path: str) -> bytes:
        """Read a file; a relative path is inside the work dir."""
        ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
