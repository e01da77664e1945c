"""The local sandbox's runners: a warm fork server in bubblewrap, started, spoken to and pooled.

`_fork_server.py` is the program inside the jail; `_bwrap.py` builds the jail's command line;
`_warm_pool.py` keeps runners ready. This module is the host's side of a runner."""

from __future__ import annotations

import atexit
import json
import os
import select
import shutil
import signal
import struct
import subprocess
import tempfile
import threading
import time
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from agentloop.errors import SandboxError, SandboxUnavailable
from agentloop.sandbox._bwrap import (
    SANDBOX_ROOT,
    UNPRIVILEGED_ID,
    bwrap_argv,
    runner_env,
)
from agentloop.sandbox._cgroup import RunnerCgroup, create_runner_cgroup
from agentloop.sandbox._warm_pool import WarmPool
from agentloop.sandbox._wire import Request

__all__ = [
    "RunnerConfig", "RunnerProcess", "acquire_runner", "release_runner", "try_acquire_runner",
]

_FORK_SERVER_SOURCE = (Path(__file__).parent / "_fork_server.py").read_text()
_START_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class RunnerConfig:
    """What makes two runners interchangeable (limits travel with each request instead)."""

    isolation: Literal["bwrap", "none"]
    python: str
    disk_bytes: int
    preload: tuple[str, ...]
    ro_binds: tuple[str, ...] = ()
    warm: tuple[str, ...] = ()
    """Trusted Python sources (ours, not the user's) the runner compiles once at start-up."""


class RunnerProcess:
    """One warm runner (bwrap + Python fork server), spoken to over length-prefixed JSON."""

    def __init__(self, config: RunnerConfig) -> None:
        self.config = config
        self._host_root: str | None = None
        self._stderr = tempfile.TemporaryFile()
        self.cgroup: RunnerCgroup | None = create_runner_cgroup()
        """Caps each command's processes together; None where no cgroup could be made (then
        the runner sums their memory from /proc)."""
        cgroup_fds: list[int] = []
        cgroup_config: dict[str, Any] | None = None
        if self.cgroup is not None:
            try:
                procs, events = self.cgroup.open_for_runner()
            except OSError:
                self.cgroup.remove()
                self.cgroup = None
            else:
                cgroup_fds = [*procs, events]
                cgroup_config = {"procs": procs, "events": events}
        if config.isolation == "bwrap":
            # With a cgroup, the commands get their cgroup namespace from the runner (rooted at
            # their own cgroup, which they join first); the runner must still see that cgroup.
            argv = bwrap_argv(config, cgroup_namespace=self.cgroup is None)
            root = SANDBOX_ROOT
        else:
            self._host_root = tempfile.mkdtemp(prefix="agentloop-sandbox-")
            root = self._host_root
            argv = [config.python, "-I"]
        runner_config = {
            "root": root,
            "work": f"{root}/work",
            "namespaces": config.isolation == "bwrap",
            "drop_uid": config.isolation == "bwrap" and os.geteuid() == 0,
            "uid": UNPRIVILEGED_ID,
            "gid": UNPRIVILEGED_ID,
            "preload": list(config.preload),
            "warm": list(config.warm),
            "cgroup": cgroup_config,
        }
        self.root = root
        self.work_dir = f"{root}/work" if config.isolation == "none" else "/work"
        try:
            self._process = subprocess.Popen(
                [*argv, "-c", _FORK_SERVER_SOURCE, json.dumps(runner_config)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=self._stderr,
                env=runner_env(config.python),
                start_new_session=True,  # so that closing kills bwrap and everything under it
                umask=0o022,  # bwrap creates mount points with it; 077 would hide the interpreter
                pass_fds=cgroup_fds,
            )
        except BaseException:
            if self.cgroup is not None:
                self.cgroup.remove()
            raise
        finally:
            for fd in cgroup_fds:
                os.close(fd)  # the runner holds its own copies
        _live_runners.add(self)
        assert self._process.stdin is not None and self._process.stdout is not None
        self._to = self._process.stdin.fileno()
        self._from = self._process.stdout.fileno()
        self.lock = threading.Lock()
        try:
            ready = self._receive(deadline=time.monotonic() + _START_TIMEOUT_S)
        except SandboxError as exc:
            detail = self.stderr_text() or str(exc)
            self.close()
            raise SandboxUnavailable(
                f"the local sandbox could not start ({detail.strip()}); bubblewrap needs user "
                "namespaces (sysctl kernel.unprivileged_userns_clone=1) or root"
            ) from None
        if self.cgroup is not None and not ready.get("cgroup"):
            # The runner could not move a process into it (an old kernel's permission rules).
            self.cgroup.remove()
            self.cgroup = None

    @property
    def alive(self) -> bool:
        return self._process.poll() is None

    def stderr_text(self) -> str:
        if self._stderr.closed:
            return ""
        self._stderr.seek(0)
        return self._stderr.read().decode(errors="replace")[-2000:]

    def request(self, message: Request, *, timeout: float, stdin: bytes = b"") -> dict[str, Any]:
        """Send one request and wait at most `timeout` seconds for its reply (the host watchdog).

        `stdin` (for a command) follows the request as raw bytes; the runner splices it into the
        command without ever holding it (see `_fork_server._spawn`).
        """
        if self.cgroup is not None:
            message = self._apply_cgroup(message)
        body = json.dumps({**message, "stdin_bytes": len(stdin)} if stdin else message).encode()
        try:
            os.write(self._to, struct.pack(">I", len(body)))
            view = memoryview(body + stdin)
            while view:
                view = view[os.write(self._to, view) :]
        except OSError as exc:
            self.close()
            raise SandboxError(f"the sandbox runner is gone ({exc}); start a new sandbox") from None
        return self._receive(deadline=time.monotonic() + timeout)

    def _apply_cgroup(self, message: Request) -> Request:
        """Set the cgroup's limits to this command's (written only when they change)."""
        assert self.cgroup is not None
        if message["op"] == "wipe":
            self.cgroup.reset_peak()  # a new episode starts
        if message["op"] not in ("exec", "python"):
            return message
        limits = message["limits"]
        try:
            self.cgroup.set_limits(
                memory_bytes=int(limits["memory_bytes"]), processes=int(limits["processes"])
            )
        except OSError:
            # The cgroup would not take the limit (e.g. it holds more than it): this command
            # runs outside it and the runner sums its memory from /proc instead.
            return {**message, "cgroup": False}
        return message

    def _read_exactly(self, size: int, deadline: float) -> bytes:
        data = bytearray()
        while len(data) < size:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.close()
                raise TimeoutError("the sandbox runner did not answer in time")
            readable, _, _ = select.select([self._from], [], [], remaining)
            if not readable:
                continue
            chunk = os.read(self._from, min(size - len(data), 1 << 20))
            if not chunk:
                detail = self.stderr_text().strip()  # before close(), which discards it
                self.close()
                raise SandboxError(f"the sandbox runner exited unexpectedly: {detail}")
            data += chunk
        return bytes(data)

    def _receive(self, *, deadline: float) -> dict[str, Any]:
        try:
            (size,) = struct.unpack(">I", self._read_exactly(4, deadline))
            reply: dict[str, Any] = json.loads(self._read_exactly(size, deadline))
        except TimeoutError as exc:
            raise SandboxError(str(exc)) from None
        return reply

    def close(self) -> None:
        """Kill the runner and everything it started (bwrap's pid namespace goes with it)."""
        if self._process.poll() is None:
            try:
                os.killpg(self._process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self._process.wait()
        for stream in (self._process.stdin, self._process.stdout):
            if stream is not None:
                stream.close()
        self._stderr.close()
        if self.cgroup is not None:
            self.cgroup.remove()
            self.cgroup = None
        if self._host_root is not None:
            shutil.rmtree(self._host_root, ignore_errors=True)
            self._host_root = None


_live_runners: weakref.WeakSet[RunnerProcess] = weakref.WeakSet()


@atexit.register
def _close_live_runners() -> None:
    """At exit, close every runner still open (pooled ones too), so no cgroup outlives us."""
    for runner in list(_live_runners):
        try:
            runner.close()
        except Exception:
            pass


def _wipe(runner: RunnerProcess) -> bool:
    """Empty a used runner's files so that the next episode starts from nothing."""
    try:
        return bool(runner.request({"op": "wipe"}, timeout=10.0).get("ok"))
    except (SandboxError, OSError):  # OSError: closed under us at interpreter exit
        return False


_pools: dict[RunnerConfig, WarmPool[RunnerProcess]] = {}
_pools_lock = threading.Lock()


def _pool(config: RunnerConfig, pool_size: int) -> WarmPool[RunnerProcess]:
    with _pools_lock:
        pool = _pools.get(config)
        if pool is None:
            pool = _pools[config] = WarmPool(
                start=lambda: RunnerProcess(config),
                close=RunnerProcess.close,
                recycle=_wipe,
                alive=lambda runner: runner.alive,
                size=pool_size,
                what="sandbox runner",
                start_timeout_s=_START_TIMEOUT_S,
            )
    return pool


def try_acquire_runner(config: RunnerConfig, *, pool_size: int) -> RunnerProcess | None:
    """An idle warm runner, or None at once (never blocks)."""
    return _pool(config, pool_size).try_acquire()


def acquire_runner(config: RunnerConfig, *, pool_size: int) -> RunnerProcess:
    """A fresh warm runner for one episode (blocking: call it from a worker thread)."""
    return _pool(config, pool_size).acquire()


def release_runner(runner: RunnerProcess) -> None:
    """Give a runner back after its episode: wiped and reused, or discarded."""
    pool = _pools.get(runner.config)
    if pool is None:
        runner.close()
    else:
        pool.release(runner)
