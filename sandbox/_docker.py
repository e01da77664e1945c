"""`DockerSandbox`: one fresh, hardened container per episode, controlled through `exec` only."""

from __future__ import annotations

import atexit
import os
import shlex
import socket
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread

from agentloop.errors import SandboxError, SandboxUnavailable
from agentloop.sandbox._episode import SandboxEpisode, as_bytes, command_argv
from agentloop.sandbox._protocol import ExecResult, ExecStopReason, SandboxLimits
from agentloop.sandbox._warm_pool import WarmPool

__all__ = ["DEFAULT_IMAGE", "LABEL", "DockerSandbox", "container_options", "gc_containers"]

DEFAULT_IMAGE = "agentloop/sandbox-python:3.11"
"""Built on first use from the Dockerfile beside this module."""
LABEL = "agentloop.sandbox"
_DOCKERFILE_DIR = Path(__file__).parent
_WORK_DIR = "/work"
_WATCHDOG_GRACE_S = 5.0
_MAX_READ_BYTES = 64 * 1024 * 1024
_START_TIMEOUT_S = 60.0
_MEMORY_MARKERS = ("MemoryError", "Cannot allocate memory", "std::bad_alloc", "out of memory")


def _client() -> Any:
    try:
        import docker
    except ImportError:
        raise SandboxUnavailable(
            "the docker sandbox needs the docker SDK: pip install 'agentloop[docker]'"
        ) from None
    try:
        client = docker.from_env(timeout=10)
        client.ping()
    except Exception as exc:
        raise SandboxUnavailable(
            f"no Docker daemon answers ({exc}); start Docker, set DOCKER_HOST, "
            "or use sandbox='local'"
        ) from None
    return client


def container_options(
    limits: SandboxLimits, *, image: str, env: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The hardened `containers.run` options for one episode's container."""
    from docker.types import Ulimit

    cpu = limits.cpu_time_s
    return {
        "image": image,
        "command": ["sleep", "infinity"],
        "detach": True,
        "init": True,  # a real pid 1 reaps and forwards signals
        "user": "65534:65534",
        "network_mode": "none",
        "read_only": True,
        "tmpfs": {
            _WORK_DIR: f"size={limits.disk_bytes},mode=1777,uid=65534,gid=65534",
            "/tmp": f"size={limits.disk_bytes},mode=1777",
        },
        "working_dir": _WORK_DIR,
        "cap_drop": ["ALL"],
        "security_opt": ["no-new-privileges:true"],
        "pids_limit": limits.processes,
        "mem_limit": limits.memory_bytes,
        "memswap_limit": limits.memory_bytes,  # equal: no swap to hide in
        "ipc_mode": "private",
        "ulimits": [
            Ulimit(name="cpu", soft=cpu, hard=cpu + 1),
            Ulimit(name="fsize", soft=limits.file_size_bytes, hard=limits.file_size_bytes),
            Ulimit(name="nofile", soft=limits.open_files, hard=limits.open_files),
            Ulimit(name="core", soft=0, hard=0),
        ],
        "environment": {
            "HOME": _WORK_DIR, "TMPDIR": "/tmp", "LANG": "C.UTF-8", "PYTHONDONTWRITEBYTECODE": "1",
            **(env or {}),
        },
        "labels": {LABEL: "1", f"{LABEL}.owner": f"{socket.gethostname()}:{os.getpid()}"},
    }


def _ensure_image(client: Any, image: str) -> None:
    import docker.errors

    try:
        client.images.get(image)
    except docker.errors.ImageNotFound:
        if image != DEFAULT_IMAGE:
            client.images.pull(image)
        else:
            client.images.build(
                path=str(_DOCKERFILE_DIR), dockerfile="Dockerfile", tag=image, rm=True
            )


def _remove(container: Any) -> None:
    try:
        container.remove(force=True)
    except Exception:
        pass  # already gone; `agentloop sandbox gc` sweeps anything left


_pools: dict[str, WarmPool[Any]] = {}
_pools_lock = threading.Lock()


def _pool(options: dict[str, Any], size: int) -> WarmPool[Any]:
    """The pool of fresh containers for these options: each serves one episode, then goes."""
    key = repr(sorted(options.items(), key=lambda kv: kv[0]))
    with _pools_lock:
        pool = _pools.get(key)
        if pool is None:
            client = _client()
            _ensure_image(client, options["image"])
            pool = _pools[key] = WarmPool(
                start=lambda: client.containers.run(**options),
                close=_remove,
                size=size,
                what="sandbox container",
                start_timeout_s=_START_TIMEOUT_S,
            )
    return pool


@atexit.register
def _close_pools() -> None:
    for pool in list(_pools.values()):
        pool.close_idle()


def gc_containers(*, everything: bool = False) -> list[str]:
    """Remove sandbox containers left behind by processes that are gone (or all, `everything`)."""
    client = _client()
    removed = []
    host = socket.gethostname()
    for container in client.containers.list(all=True, filters={"label": LABEL}):
        owner = container.labels.get(f"{LABEL}.owner", "")
        owner_host, _, pid = owner.partition(":")
        alive = owner_host == host and pid.isdigit() and Path(f"/proc/{pid}").exists()
        if everything or not alive:
            _remove(container)
            removed.append(container.short_id)
    return removed


class DockerSandbox(SandboxEpisode):
    """Runs code in a fresh Docker container per episode, with hardened defaults.

    No network, read-only root, size-limited tmpfs for /work and /tmp, all capabilities dropped,
    no-new-privileges, uid 65534, a pids limit, memory limit equal to memory+swap, and an init.
    Commands run through `docker exec` only, each under `timeout -s KILL` inside the container
    and a watchdog on the host that kills the whole container if that ever fails.
    """

    def __init__(
        self,
        *,
        limits: SandboxLimits | None = None,
        image: str = DEFAULT_IMAGE,
        env: Mapping[str, str] | None = None,
        pool_size: int = 2,
        python: str = "python3",
    ) -> None:
        self.limits = limits or SandboxLimits()
        self._options = container_options(self.limits, image=image, env=env)
        self._pool_size = pool_size
        self._python = python
        self._container: Any = None
        self._closed = False
        self._runs = 0

    @property
    def work_dir(self) -> str:
        return _WORK_DIR

    async def aclose(self) -> None:
        """End the episode: the container and everything in it are removed."""
        self._closed = True
        container, self._container = self._container, None
        if container is not None:
            # Removed before the episode ends, never later: nothing of it may outlive it.
            await anyio.to_thread.run_sync(_remove, container)

    async def _ensure_started(self) -> Any:
        self._check_open()
        if self._container is None:
            self._container = await anyio.to_thread.run_sync(self._acquire)
        return self._container

    def _acquire(self) -> Any:
        return _pool(self._options, self._pool_size).acquire()

    async def exec(
        self,
        cmd: list[str] | str,
        *,
        input: bytes | str | None = None,
        cwd: str | None = None,
        env: dict[str, str] | None = None,
        timeout: float | None = None,
    ) -> ExecResult:
        argv = command_argv(cmd)
        data = as_bytes(input)
        container = await self._ensure_started()
        wall = self._wall_time(timeout)
        workdir = self._cwd(cwd)
        return await anyio.to_thread.run_sync(
            lambda: self._exec_blocking(container, argv, data, workdir, env or {}, wall)
        )

    async def run_python(
        self, source: str, *, input: bytes | str | None = None, timeout: float | None = None
    ) -> ExecResult:
        self._runs += 1
        path = f"/tmp/.agentloop-run-{self._runs}.py"
        await self.write_file(path, source)
        return await self.exec([self._python, path], input=input, timeout=timeout)

    async def write_file(self, path: str, content: bytes | str) -> None:
        target = os.path.join(_WORK_DIR, path)
        result = await self.exec(
            ["/bin/sh", "-c", 'mkdir -p "$(dirname "$1")" && cat > "$1"', "sh", target],
            input=content, timeout=60,
        )
        if not result.ok:
            raise SandboxError(f"cannot write {path!r} in the sandbox: {result.stderr.strip()}")

    async def read_file(self, path: str) -> bytes:
        container = await self._ensure_started()
        target = os.path.join(_WORK_DIR, path)

        def read() -> bytes:
            exit_code, out, err, _ = self._stream(
                container, ["cat", "--", target], None, _WORK_DIR, {}, 60.0, _MAX_READ_BYTES
            )
            if exit_code != 0:
                raise SandboxError(f"cannot read {path!r} in the sandbox: {err.decode().strip()}")
            return out

        return await anyio.to_thread.run_sync(read)

    def _exec_blocking(
        self,
        container: Any,
        argv: list[str],
        data: bytes | None,
        workdir: str,
        env: dict[str, str],
        wall: float,
    ) -> ExecResult:
        started = time.monotonic()
        # The command's pid is recorded so that an output flood can be killed group-wide;
        # `timeout` leads its own process group and kills it all at the deadline.
        pid_file = f"/tmp/.agentloop-pid-{time.monotonic_ns()}"
        wrapped = [
            "/bin/sh", "-c", f'echo $$ > {pid_file}; exec timeout -s KILL {wall:.3f} "$@"', "sh",
            *argv,
        ]
        exit_code, out, err, stop = self._stream(
            container, wrapped, data, workdir, env, wall + _WATCHDOG_GRACE_S,
            self.limits.output_bytes, pid_file=pid_file,
        )
        duration = time.monotonic() - started
        stop_reason = ExecStopReason.NONE
        signum: int | None = None
        if stop is not None:
            stop_reason, exit_code, signum = stop, -9, 9
        elif exit_code == 137:
            signum, exit_code = 9, -9
            stop_reason = (
                ExecStopReason.TIMEOUT if duration >= wall - 0.05 else ExecStopReason.MEMORY
            )
        elif exit_code > 128:
            signum, exit_code = exit_code - 128, -(exit_code - 128)
            # Signal 24 is SIGXCPU: the CPU time limit.
            stop_reason = ExecStopReason.TIMEOUT if signum == 24 else ExecStopReason.SIGNAL
        elif exit_code != 0 and any(
            m in err[-4096:].decode(errors="replace") for m in _MEMORY_MARKERS
        ):
            stop_reason = ExecStopReason.MEMORY
        cap = self.limits.output_bytes
        return ExecResult(
            exit_code=exit_code,
            signal=signum,
            stdout=out[:cap].decode(errors="replace"),
            stderr=err[:cap].decode(errors="replace"),
            stdout_truncated=len(out) > cap,
            stderr_truncated=len(err) > cap,
            duration_s=duration,
            stop_reason=stop_reason,
        )

    def _stream(
        self,
        container: Any,
        argv: list[str],
        data: bytes | None,
        workdir: str,
        env: dict[str, str],
        deadline_s: float,
        cap: int,
        *,
        pid_file: str | None = None,
    ) -> tuple[int, bytes, bytes, ExecStopReason | None]:
        """Run one exec, feeding stdin and reading both streams with a cap and a watchdog."""
        from docker.utils.socket import frames_iter

        api = container.client.api
        exec_id = api.exec_create(
            container.id, argv, stdin=data is not None, stdout=True, stderr=True,
            workdir=workdir, environment=env, user="65534:65534",
        )["Id"]
        sock = api.exec_start(exec_id, socket=True)
        raw = getattr(sock, "_sock", sock)
        deadline = time.monotonic() + deadline_s
        if data is not None:
            raw.sendall(data)
        try:
            raw.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        raw.settimeout(max(deadline - time.monotonic(), 0.1))
        buffers = {1: bytearray(), 2: bytearray()}
        stop: ExecStopReason | None = None
        try:
            for stream, chunk in frames_iter(sock, tty=False):
                buffer = buffers.get(stream)
                if buffer is None:
                    continue
                buffer += chunk[: cap + 1 - len(buffer)]
                if len(buffer) > cap:
                    stop = ExecStopReason.OUTPUT_LIMIT
                    self._kill_group(container, pid_file)
                    break
                if time.monotonic() > deadline:
                    raise TimeoutError
                raw.settimeout(max(deadline - time.monotonic(), 0.1))
        except TimeoutError:
            # The in-container timeout should have fired long ago: end the whole episode.
            stop = ExecStopReason.TIMEOUT
            _remove(container)
            self._container = None
            self._closed = True
        finally:
            sock.close()
        exit_code = api.exec_inspect(exec_id).get("ExitCode") if stop is None else -9
        code = int(exit_code if exit_code is not None else -1)
        return code, bytes(buffers[1]), bytes(buffers[2]), stop

    @staticmethod
    def _kill_group(container: Any, pid_file: str | None) -> None:
        if pid_file is None:
            return
        script = f"kill -9 -- -$(cat {shlex.quote(pid_file)}) 2>/dev/null; true"
        container.exec_run(["/bin/sh", "-c", script], user="65534:65534")
