"""`LocalSandbox`: bubblewrap namespaces + rlimits around a warm Python fork server."""

from __future__ import annotations

import base64
import os
import sys
import warnings
from collections.abc import Mapping
from typing import Any, Literal, cast

import anyio
import anyio.to_thread

from agentloop.errors import SandboxError
from agentloop.sandbox._bwrap import require_bwrap
from agentloop.sandbox._episode import (
    SandboxEpisode,
    as_bytes,
    command_argv,
    prepared_programs,
)
from agentloop.sandbox._protocol import ExecResult, ExecStopReason, SandboxLimits
from agentloop.sandbox._runner_process import (
    RunnerConfig,
    RunnerProcess,
    acquire_runner,
    release_runner,
    try_acquire_runner,
)
from agentloop.sandbox._wire import (
    CommandLimits,
    CommandReply,
    CommandRequest,
    DataReply,
    Request,
)

__all__ = ["DEFAULT_PRELOAD", "LocalSandbox", "sandbox_env"]

DEFAULT_PRELOAD = (
    "ast", "bisect", "collections", "copy", "ctypes", "dataclasses", "decimal", "fractions",
    "functools", "hashlib", "heapq", "importlib", "io", "itertools", "json", "linecache", "math",
    "operator", "random", "re", "select", "signal", "statistics", "string", "threading", "time",
    "traceback", "types", "typing",
)
"""Modules the warm interpreter imports once, so that each run finds them already loaded."""

_WATCHDOG_GRACE_S = 5.0
_MAX_READ_BYTES = 64 * 1024 * 1024


def sandbox_env(
    work_dir: str, python: str, extra: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The whole environment a command sees: an allowlist, never the host's variables."""
    env = {
        "PATH": f"{os.path.dirname(python)}:/usr/local/bin:/usr/bin:/bin",
        "HOME": work_dir,
        "TMPDIR": "/tmp",
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONIOENCODING": "utf-8",
    }
    env.update(extra or {})
    return env


class LocalSandbox(SandboxEpisode):
    """Runs code on this machine inside bubblewrap: one instance is one episode.

    Each command runs in new user, pid, net, ipc and uts namespaces as an unprivileged user,
    sees the filesystem read-only except a private size-limited tmpfs (`/work`, `/tmp`), sees
    only the Python installation and system libraries (no home, no project, no /etc secrets),
    and runs under rlimits; on timeout its whole process tree dies. Python runs in a warm
    interpreter forked per command, so a run costs milliseconds, not an interpreter start.

    `isolation="none"` runs without bubblewrap (rlimits and a process group only): it is not a
    security boundary and warns so.
    """

    def __init__(
        self,
        *,
        limits: SandboxLimits | None = None,
        isolation: Literal["bwrap", "none"] = "bwrap",
        python: str | None = None,
        env: Mapping[str, str] | None = None,
        pool_size: int = 4,
        preload: tuple[str, ...] = DEFAULT_PRELOAD,
        ro_binds: tuple[str, ...] = (),
    ) -> None:
        """
        Args:
            limits: per-command resource limits (`disk_bytes` sizes the episode's tmpfs).
            isolation: "bwrap" (default), or "none" to run unisolated on explicit request.
            python: the interpreter to run; its installation is bound read-only.
            env: extra variables for every command, on top of the minimal allowlist.
            pool_size: how many warm runners to keep ready for new episodes.
            preload: modules the warm interpreter imports ahead of time.
            ro_binds: extra host paths to make visible read-only (bwrap only).
        """
        if isolation == "bwrap":
            require_bwrap()
        elif isolation == "none":
            warnings.warn(
                "LocalSandbox(isolation='none') runs code without isolation: it is NOT a security "
                "boundary (only rlimits and a process group); use it only for trusted code",
                RuntimeWarning,
                stacklevel=2,
            )
        else:
            raise ValueError(f"isolation must be 'bwrap' or 'none', not {isolation!r}")
        self.limits = limits or SandboxLimits()
        self._python = python or sys.executable
        self._config = RunnerConfig(
            isolation=isolation,
            python=self._python,
            disk_bytes=self.limits.disk_bytes,
            preload=tuple(preload),
            ro_binds=tuple(ro_binds),
            warm=prepared_programs(),  # trusted programs run often (the verifier's driver)
        )
        self._extra_env = dict(env or {})
        self._pool_size = pool_size
        self._runner: RunnerProcess | None = None
        self._lock = anyio.Lock()
        self._closed = False

    @property
    def work_dir(self) -> str:
        if self._runner is not None:
            return self._runner.work_dir
        return "/work" if self._config.isolation == "bwrap" else "<unstarted>"

    async def aclose(self) -> None:
        """End the episode: its files and processes are gone, the runner goes back to the pool."""
        self._closed = True
        runner, self._runner = self._runner, None
        if runner is not None:
            release_runner(runner)  # never blocks: the pool wipes it on its own thread

    async def _ensure_started(self) -> RunnerProcess:
        self._check_open()
        if self._runner is None:
            self._runner = try_acquire_runner(self._config, pool_size=self._pool_size)
        if self._runner is None:
            self._runner = await anyio.to_thread.run_sync(
                lambda: acquire_runner(self._config, pool_size=self._pool_size)
            )
        return self._runner

    async def _request(
        self, message: Request, *, timeout: float, stdin: bytes = b""
    ) -> dict[str, Any]:
        async with self._lock:
            runner = await self._ensure_started()

            def call() -> dict[str, Any]:
                with runner.lock:
                    return runner.request(message, timeout=timeout, stdin=stdin)

            try:
                reply = await anyio.to_thread.run_sync(call)
            except SandboxError:
                self._runner = None
                raise
        if not reply.get("ok"):
            raise SandboxError(f"sandbox: {reply.get('error', 'unknown error')}")
        return reply

    def _command(
        self,
        op: Literal["exec", "python"],
        *,
        cwd: str | None,
        env: Mapping[str, str] | None,
        timeout: float | None,
    ) -> CommandRequest:
        limits: CommandLimits = self.limits.model_dump()  # type: ignore[assignment]
        return {
            "op": op,
            "cwd": self._cwd(cwd),
            "env": sandbox_env(self.work_dir, self._python, {**self._extra_env, **(env or {})}),
            "timeout": self._wall_time(timeout),
            "limits": limits,
        }

    async def _run(self, message: CommandRequest, stdin: bytes | str | None) -> ExecResult:
        try:
            timeout = message["timeout"] + _WATCHDOG_GRACE_S
            reply = await self._request(message, timeout=timeout, stdin=as_bytes(stdin) or b"")
        except SandboxError as exc:
            if "did not answer in time" not in str(exc):
                raise
            # The host watchdog fired: the runner was killed with everything in it.
            return ExecResult(
                exit_code=-9, signal=9, stop_reason=ExecStopReason.TIMEOUT,
                duration_s=message["timeout"] + _WATCHDOG_GRACE_S,
            )
        done = cast(CommandReply, reply)
        return ExecResult(
            exit_code=done["exit_code"],
            signal=done["signal"],
            stdout=base64.b64decode(done["stdout"]).decode(errors="replace"),
            stderr=base64.b64decode(done["stderr"]).decode(errors="replace"),
            stdout_truncated=done["stdout_truncated"],
            stderr_truncated=done["stderr_truncated"],
            duration_s=done["duration_s"],
            stop_reason=ExecStopReason(done["stop_reason"]),
        )

    async def exec(
        self,
        cmd: list[str] | str,
        *,
        input: bytes | str | None = None,
        cwd: str | None = None,
        env: dict[str, str] | None = None,
        timeout: float | None = None,
    ) -> ExecResult:
        await self._ensure_started()
        argv = command_argv(cmd)
        if not argv:
            raise ValueError("exec needs a command")
        message = self._command("exec", cwd=cwd, env=env, timeout=timeout)
        message["argv"] = argv
        return await self._run(message, input)

    async def run_python(
        self, source: str, *, input: bytes | str | None = None, timeout: float | None = None
    ) -> ExecResult:
        await self._ensure_started()
        message = self._command("python", cwd=None, env=None, timeout=timeout)
        message["source"] = source
        message["filename"] = "<sandbox>"
        return await self._run(message, input)

    async def write_file(self, path: str, content: bytes | str) -> None:
        data = base64.b64encode(as_bytes(content)).decode()
        await self._request({"op": "write", "path": path, "data": data}, timeout=30.0)

    async def read_file(self, path: str) -> bytes:
        reply = await self._request(
            {"op": "read", "path": path, "max_bytes": _MAX_READ_BYTES}, timeout=30.0
        )
        return base64.b64decode(cast(DataReply, reply)["data"])
