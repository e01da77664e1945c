"""Warm runner processes for the local sandbox: how they are started, spoken to and pooled."""

from __future__ import annotations

import atexit
import json
import os
import select
import shutil
import signal
import struct
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
import weakref
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

from agentloop.errors import SandboxError, SandboxUnavailable
from agentloop.sandbox._cgroup import RunnerCgroup, create_runner_cgroup

__all__ = [
    "RunnerConfig", "RunnerProcess", "acquire_runner", "release_runner", "try_acquire_runner",
]

SANDBOX_ROOT = "/sandbox"
"""Inside bwrap: the size-limited tmpfs that holds the work dir and /tmp."""
UNPRIVILEGED_ID = 65534  # "nobody"

_RUNNER_SOURCE = (Path(__file__).parent / "_runner.py").read_text()
_START_TIMEOUT_S = 30.0
_SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
# Not secret, and needed by the dynamic loader and Python; nothing else of /etc is visible.
_ETC_FILES = ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/localtime")


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
            argv = _bwrap_argv(config, cgroup_namespace=self.cgroup is None)
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
                [*argv, "-c", _RUNNER_SOURCE, json.dumps(runner_config)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=self._stderr,
                env=_runner_env(config.python),
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

    def request(
        self, message: dict[str, Any], *, timeout: float, stdin: bytes = b""
    ) -> dict[str, Any]:
        """Send one request and wait at most `timeout` seconds for its reply (the host watchdog).

        `stdin` (for a command) follows the request as raw bytes; the runner splices it into the
        command without ever holding it (see `_runner._spawn`).
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

    def _apply_cgroup(self, message: dict[str, Any]) -> dict[str, Any]:
        """Set the cgroup's limits to this command's (written only when they change)."""
        assert self.cgroup is not None
        if message.get("op") == "wipe":
            self.cgroup.reset_peak()  # a new episode starts
        limits = message.get("limits")  # every request that runs a command carries its limits
        if limits is None:
            return message
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


class _Pool:
    """Keeps `size` fresh runners started ahead of need, on one long-lived thread.

    bwrap's --die-with-parent follows the *thread* that started it, so every runner is started
    on this pool's own thread, which lives as long as the program.
    """

    def __init__(self, config: RunnerConfig, size: int) -> None:
        self.config = config
        self.size = size
        self._idle: list[RunnerProcess] = []
        self._dirty: list[RunnerProcess] = []
        self._waiting = 0
        self._error: Exception | None = None
        self._cond = threading.Condition()
        self._thread = threading.Thread(
            target=self._fill, name="agentloop-sandbox-pool", daemon=True
        )
        self._thread.start()

    def _fill(self) -> None:
        while True:
            with self._cond:
                while (
                    not self._dirty
                    and len(self._idle) >= max(self.size, self._waiting)
                    and self._error is None
                ):
                    self._cond.wait()
                if self._error is not None and not self._dirty:
                    self._cond.wait(timeout=5.0)
                    self._error = None
                    continue
                dirty = self._dirty.pop(0) if self._dirty else None
            if dirty is not None:
                self._recycle(dirty)
                continue
            try:
                runner = RunnerProcess(self.config)
            except Exception as exc:
                with self._cond:
                    self._error = exc
                    self._cond.notify_all()
                continue
            with self._cond:
                self._idle.append(runner)
                self._cond.notify_all()

    def _recycle(self, runner: RunnerProcess) -> None:
        """Wipe a used runner's files and keep it warm, or close it if it cannot be made clean."""
        reusable = runner.alive
        if reusable:
            try:
                reusable = bool(runner.request({"op": "wipe"}, timeout=10.0).get("ok"))
            except (SandboxError, OSError):  # OSError: closed under us at interpreter exit
                reusable = False
        with self._cond:
            if reusable and len(self._idle) < self.size:
                self._idle.append(runner)
                self._cond.notify_all()
                return
        runner.close()

    def _pop_idle(self) -> RunnerProcess | None:
        """The first idle runner still alive (dead ones are closed on the way); `_cond` held."""
        while self._idle:
            runner = self._idle.pop(0)
            if runner.alive:
                self._cond.notify_all()
                return runner
            runner.close()
        return None

    def try_acquire(self) -> RunnerProcess | None:
        """A warm runner if one is idle right now, without waiting."""
        with self._cond:
            return self._pop_idle()

    def acquire(self) -> RunnerProcess:
        with self._cond:
            self._waiting += 1
            self._cond.notify_all()
            try:
                deadline = time.monotonic() + _START_TIMEOUT_S
                while True:
                    runner = self._pop_idle()
                    if runner is not None:
                        return runner
                    if self._error is not None:
                        error = self._error
                        raise error
                    if not self._cond.wait(timeout=deadline - time.monotonic()):
                        raise SandboxError("no sandbox runner started within 30 s")
            finally:
                self._waiting -= 1

    def release(self, runner: RunnerProcess) -> None:
        """Take a runner back after its episode; it is wiped off the caller's path, then reused."""
        with self._cond:
            self._dirty.append(runner)
            self._cond.notify_all()


_pools: dict[RunnerConfig, _Pool] = {}
_pools_lock = threading.Lock()


def _pool(config: RunnerConfig, pool_size: int) -> _Pool:
    with _pools_lock:
        pool = _pools.get(config)
        if pool is None:
            pool = _pools[config] = _Pool(config, pool_size)
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


def _runner_env(python: str) -> dict[str, str]:
    # The runner sees no host variable at all; commands get an explicit allowlist per request.
    return {"PATH": f"{Path(python).parent}:/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8"}


def require_bwrap() -> str:
    path = shutil.which("bwrap")
    if path is None:
        raise SandboxUnavailable(
            "bubblewrap (bwrap) is not installed, so the local sandbox cannot isolate code: "
            "install the Debian package `bubblewrap` (apt-get install bubblewrap), use "
            "sandbox='docker', or pass isolation='none' to run unisolated (NOT a security boundary)"
        )
    return path


@cache
def _interpreter_dirs(python: str) -> tuple[str, ...]:
    """The directories `python` needs: its installation prefixes, nothing else of the home dir."""
    if os.path.realpath(python) == os.path.realpath(sys.executable):
        candidates = {
            sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix,
            sysconfig.get_paths()["stdlib"], sysconfig.get_paths()["purelib"],
        }
    else:
        code = "import sys;print(sys.prefix);print(sys.base_prefix);print(sys.exec_prefix)"
        out = subprocess.run(
            [python, "-I", "-c", code], capture_output=True, text=True, check=True, timeout=30
        ).stdout
        candidates = set(out.split())
    candidates.add(str(Path(os.path.realpath(python)).parent.parent))
    dirs = sorted(
        os.path.realpath(d) for d in candidates
        if os.path.isdir(d) and not any(os.path.realpath(d).startswith(s) for s in _SYSTEM_DIRS)
    )
    # Binding a parent covers its children.
    return tuple(d for d in dirs if not any(d != p and d.startswith(p + os.sep) for p in dirs))


def _bwrap_argv(config: RunnerConfig, *, cgroup_namespace: bool = True) -> list[str]:
    argv = [
        require_bwrap(),
        "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts",
        *(["--unshare-cgroup-try"] if cgroup_namespace else []),
        "--die-with-parent", "--new-session", "--hostname", "sandbox",
    ]
    if os.geteuid() == 0:
        # As host root a user namespace would map the sandbox to uid 0, which the kernel exempts
        # from RLIMIT_NPROC. Instead the runner keeps just enough to become uid 65534 for real;
        # each command then gets its own user namespace from there.
        argv += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
    else:
        argv += ["--unshare-user", "--uid", str(UNPRIVILEGED_ID), "--gid", str(UNPRIVILEGED_ID)]
    binds = (*_interpreter_dirs(config.python), *config.ro_binds)
    # bwrap would create the mount points' parents (/root for a pyenv Python) as 0700, which
    # the unprivileged user cannot traverse; create them world-traversable first.
    parents = sorted({str(p) for b in (*binds, *_ETC_FILES) for p in Path(b).parents} - {"/"})
    for parent in parents:
        argv += ["--perms", "0755", "--dir", parent]
    for path in _SYSTEM_DIRS:
        if os.path.islink(path):
            argv += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            argv += ["--ro-bind", path, path]
    for path in _ETC_FILES:
        argv += ["--ro-bind-try", path, path]
    for path in binds:
        argv += ["--ro-bind", path, path]
    argv += [
        "--proc", "/proc", "--dev", "/dev",
        "--perms", "1777", "--size", str(config.disk_bytes), "--tmpfs", SANDBOX_ROOT,
        "--symlink", f"{SANDBOX_ROOT}/work", "/work",
        "--symlink", f"{SANDBOX_ROOT}/tmp", "/tmp",
        "--chdir", "/",
        "--clearenv",
        config.python, "-I",
    ]
    return argv
