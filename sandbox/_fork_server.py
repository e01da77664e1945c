"""The sandbox's fork server: a warm Python process *inside* the isolation that runs each command.

This file is a standalone program, never imported by agentloop: `LocalSandbox` starts it as
`python -I -c <this source> <config json>` inside bubblewrap. It answers length-prefixed JSON
requests on fds 0/1. For each command it forks a child that enters a fresh user and pid
namespace (so the command is pid 1 of its own tree, cannot see or signal the runner, and its
whole tree dies with it), drops every capability, applies rlimits and then either execs the
command or, for Python source, runs it in the already-warm interpreter (the fast path: no
interpreter start-up per run). The runner itself never runs untrusted code, so a recycled runner
is as clean as a new one once its work dir is wiped.

Memory is capped per command *tree*: where the host made a cgroup for this runner, the command's
first process joins it (through fds the host opened) before anything else runs, so the kernel
charges all its processes together and OOM-kills at the limit; the runner notices the kill and
ends the rest of the tree. Without a cgroup the runner sums the tree's memory from /proc while it
waits and kills the tree when the sum passes the limit.
"""

from __future__ import annotations

import base64
import builtins
import ctypes
import hashlib
import io
import json
import linecache
import os
import resource
import select
import shutil
import signal
import struct
import sys
import time
import traceback
from typing import Any

_CLONE_NEWUSER = 0x10000000
_CLONE_NEWPID = 0x20000000
_CLONE_NEWCGROUP = 0x02000000
_PR_SET_PDEATHSIG = 1
_PR_SET_DUMPABLE = 4
_PR_SET_CHILD_SUBREAPER = 36
_PR_SET_NO_NEW_PRIVS = 38
_EXIT_MEMORY = 251
"""Exit status the Python fast path uses for an uncaught MemoryError."""
_EXIT_SETUP = 250
"""Exit status when the child could not set itself up (the sandbox's fault, not the code's)."""
_MEMORY_MARKERS = (b"MemoryError", b"Cannot allocate memory", b"std::bad_alloc", b"out of memory")
_CGROUP_POLL_S = 0.05
"""How often the runner looks for an OOM kill in the command's cgroup (the kernel enforces)."""
_PROC_POLL_S = 0.02
"""How often the runner sums the command's memory from /proc where there is no cgroup."""
_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")

_libc = ctypes.CDLL(None, use_errno=True)
_warm: dict[str, Any] = {}
"""Trusted sources from the host (the verifier's harness), compiled once at start-up."""


def _check(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


def _drop_capabilities() -> None:
    # capset(2) with an all-zero v3 data set: no effective, permitted or inheritable caps.
    header = (ctypes.c_uint32 * 2)(0x20080522, 0)
    data = (ctypes.c_uint32 * 6)(0, 0, 0, 0, 0, 0)
    _check(_libc.capset(header, data), "capset")


def _enter_namespaces(uid: int, gid: int) -> None:
    """Move this process into a new user namespace and make its next child pid 1 of a new pid ns."""
    _libc.prctl(_PR_SET_DUMPABLE, 1, 0, 0, 0)  # our own /proc/self/*_map must be writable by us
    _check(_libc.unshare(_CLONE_NEWUSER | _CLONE_NEWPID), "unshare")
    with open("/proc/self/setgroups", "w") as f:
        f.write("deny")
    with open("/proc/self/uid_map", "w") as f:
        f.write(f"{uid} {uid} 1")
    with open("/proc/self/gid_map", "w") as f:
        f.write(f"{gid} {gid} 1")
    _libc.prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0)


def _apply_limits(limits: dict[str, Any]) -> None:
    cpu = int(limits["cpu_time_s"])
    memory = int(limits["memory_bytes"])
    for name, value in (
        (resource.RLIMIT_CPU, (cpu, cpu + 1)),
        (resource.RLIMIT_AS, (memory, memory)),
        (resource.RLIMIT_NPROC, (int(limits["processes"]),) * 2),
        (resource.RLIMIT_FSIZE, (int(limits["file_size_bytes"]),) * 2),
        (resource.RLIMIT_NOFILE, (int(limits["open_files"]),) * 2),
        (resource.RLIMIT_CORE, (0, 0)),
    ):
        resource.setrlimit(name, value)


def _which(name: str, path: str) -> str:
    if "/" in name:
        return name
    for folder in path.split(":"):
        candidate = os.path.join(folder, name)
        if os.access(candidate, os.X_OK):
            return candidate
    return name


def _run_python(source: str, filename: str) -> int:
    """Run `source` as __main__ in this (forked, warm) interpreter; returns the exit status."""
    if "random" in sys.modules:
        sys.modules["random"].seed()  # a fork shares the runner's PRNG state: reseed per run
    sys.stdin = io.TextIOWrapper(io.FileIO(0, "r", closefd=False), encoding="utf-8")
    sys.stdout = io.TextIOWrapper(
        io.FileIO(1, "w", closefd=False), encoding="utf-8", errors="backslashreplace"
    )
    sys.stderr = io.TextIOWrapper(
        io.FileIO(2, "w", closefd=False), encoding="utf-8", errors="backslashreplace",
        line_buffering=True,
    )
    sys.argv = [filename]
    lines = source.splitlines(keepends=True)
    linecache.cache[filename] = (len(source), None, lines, filename)
    namespace: dict[str, Any] = {"__name__": "__main__", "__builtins__": builtins}
    status = 0
    try:
        code = _warm.get(hashlib.sha256(source.encode()).hexdigest())
        exec(code or compile(source, filename, "exec"), namespace)
    except SystemExit as exc:
        if exc.code is None:
            status = 0
        elif isinstance(exc.code, int):
            status = exc.code & 0xFF
        else:
            print(exc.code, file=sys.stderr)
            status = 1
    except BaseException as exc:
        # Skip our own frame: the traceback starts at the user's code.
        tb = exc.__traceback__.tb_next if exc.__traceback__ else None
        traceback.print_exception(type(exc), exc, tb)
        status = _EXIT_MEMORY if isinstance(exc, MemoryError) else 1
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BaseException:
            pass
    return status


def _child(req: dict[str, Any], fds: tuple[int, int, int], config: dict[str, Any]) -> None:
    """The command's own process (pid 1 of its namespace); never returns."""
    try:
        _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        _libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
        cgroup = config["cgroup"] if req.get("cgroup", True) else None
        if cgroup is not None:
            for fd in cgroup["procs"]:
                os.write(fd, b"0")  # before anything of the command runs, so all of it counts
        if config["namespaces"]:
            # Its own cgroup namespace (where the kernel has them): the command sees its cgroup
            # as "/" and no host paths. Needs the capabilities it is about to drop.
            _libc.unshare(_CLONE_NEWCGROUP)
            _drop_capabilities()
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
        os.closerange(3, 65536)
        os.chdir(req["cwd"])
        env: dict[str, str] = req["env"]
        os.environ.clear()
        os.environ.update(env)
        _apply_limits(req["limits"])
    except BaseException as exc:
        os.write(2, f"sandbox child setup failed: {exc!r}\n".encode())
        os._exit(_EXIT_SETUP)
    if req["op"] == "python":
        try:
            status = _run_python(req["source"], req.get("filename", "<sandbox>"))
        except BaseException as exc:
            os.write(2, f"sandbox child setup failed: {exc!r}\n".encode())
            status = _EXIT_SETUP
        os._exit(status)
    for signum in (signal.SIGPIPE, signal.SIGXFSZ, signal.SIGXCPU, signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, signal.SIG_DFL)
    argv: list[str] = req["argv"]
    try:
        os.execve(_which(argv[0], env.get("PATH", "/usr/bin:/bin")), argv, env)
    except OSError as exc:
        os.write(2, f"cannot run {argv[0]!r}: {exc.strerror}\n".encode())
        os._exit(127)


def _oom_kills(fd: int) -> int:
    """The `oom_kill` counter of a cgroup's memory.oom_control (v1) or memory.events (v2)."""
    for line in os.pread(fd, 4096, 0).decode().splitlines():
        name, _, value = line.partition(" ")
        if name == "oom_kill":
            return int(value)
    raise ValueError("this kernel does not count OOM kills per cgroup")


def _descendants(root: int) -> list[int]:
    """Every process under `root` (not `root` itself), as /proc shows it now."""
    found: list[int] = []
    if os.path.exists(f"/proc/{os.getpid()}/task/{os.getpid()}/children"):
        todo = [root]
        while todo:
            pid = todo.pop()
            try:
                tids = os.listdir(f"/proc/{pid}/task")
            except OSError:
                continue
            for tid in tids:
                try:
                    with open(f"/proc/{pid}/task/{tid}/children", "rb") as f:
                        children = [int(c) for c in f.read().split()]
                except OSError:
                    continue
                found += children
                todo += children
        return found
    parents: dict[int, list[int]] = {}  # a kernel without CONFIG_PROC_CHILDREN: scan every pid
    for name in os.listdir("/proc"):
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                ppid = int(f.read().rsplit(b")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        parents.setdefault(ppid, []).append(int(name))
    todo = [root]
    while todo:
        children = parents.get(todo.pop(), [])
        found += children
        todo += children
    return found


def _tree_memory(root: int) -> int:
    """Resident anonymous memory of `root`'s descendants, summed (pages two processes share after
    a fork count once for each)."""
    total = 0
    for pid in _descendants(root):
        try:
            with open(f"/proc/{pid}/statm", "rb") as f:
                fields = f.read().split()
            total += (int(fields[1]) - int(fields[2])) * _PAGE_SIZE
        except (OSError, ValueError, IndexError):
            continue
    return total


class _MemoryWatch:
    """Tells the wait loop when a command's processes together went over the memory limit."""

    def __init__(self, cgroup: dict[str, Any] | None, limit: int) -> None:
        self.cgroup = cgroup
        self.limit = limit
        self.waiter = 0
        self.interval = _CGROUP_POLL_S if cgroup is not None else _PROC_POLL_S
        self.next_check = time.monotonic() + self.interval
        # Read before the command starts, so that every OOM kill of this run is counted.
        self.oom_before = _oom_kills(cgroup["events"]) if cgroup is not None else 0

    def over(self, now: float) -> bool:
        """Checked at most every `interval`: a cgroup OOM kill, or the /proc sum over the limit."""
        if now < self.next_check:
            return False
        self.next_check = now + self.interval
        if self.cgroup is not None:
            return self.oom_killed()
        return self.waiter != 0 and _tree_memory(self.waiter) > self.limit

    def oom_killed(self) -> bool:
        return self.cgroup is not None and _oom_kills(self.cgroup["events"]) > self.oom_before


def _spawn(req: dict[str, Any], config: dict[str, Any], requests: int) -> dict[str, Any]:
    """Run one command to completion under the wall-time and output limits.

    The command's stdin follows the request on `requests` (`stdin_bytes` of it) and is spliced
    straight into the command's stdin pipe: it never enters this process's memory, so nothing a
    command is told on stdin (a verifier's tests, say) is in any later command's forked memory.
    """
    limits = req["limits"]
    cap = int(limits["output_bytes"])
    timeout = float(req["timeout"])
    in_r, in_w = os.pipe()
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    st_r, st_w = os.pipe()
    watch = _MemoryWatch(
        config["cgroup"] if req.get("cgroup", True) else None, int(limits["memory_bytes"])
    )
    started = time.monotonic()
    waiter = os.fork()
    if waiter == 0:
        # The waiter: enters the namespaces, forks the command (pid 1 there) and reports on it.
        try:
            os.setsid()
            # Orphans of the command become ours, so that /proc still shows them under us.
            _libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
            for fd in (in_w, out_r, err_r, st_r):
                os.close(fd)
            if config["namespaces"]:
                _enter_namespaces(config["uid"], config["gid"])
            child = os.fork()
            if child == 0:
                try:
                    os.close(st_w)
                    _child(req, (in_r, out_w, err_w), config)
                finally:
                    os._exit(_EXIT_SETUP)  # a forked child must never fall back into the runner
            for fd in (in_r, out_w, err_w):
                os.close(fd)
            os.write(st_w, f"pid {child}\n".encode())
            _, status, usage = os.wait4(child, 0)
            cpu = usage.ru_utime + usage.ru_stime
            os.write(st_w, f"status {status} {cpu}\n".encode())
            os._exit(0)
        except BaseException as exc:
            os.write(st_w, f"error {exc!r}\n".encode())
            os._exit(_EXIT_SETUP)
    for fd in (in_r, out_w, err_w, st_w):
        os.close(fd)
    watch.waiter = waiter

    stdin_left = int(req.get("stdin_bytes") or 0)
    if stdin_left:
        # Fed from the loop below so that a child that never reads cannot block the runner.
        os.set_blocking(in_w, False)
    else:
        os.close(in_w)
    stdin_open = bool(stdin_left)
    stdin_ready = {"requests": False, "command": False}
    buffers = {out_r: bytearray(), err_r: bytearray()}
    truncated = {out_r: False, err_r: False}
    open_fds = {out_r, err_r, st_r}
    status_text = b""
    child_pid = 0
    stop_reason = "none"

    def kill_tree() -> None:
        # Killing pid 1 of the command's namespace kills every process in it.
        for pid in (child_pid, waiter):
            if pid:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        if not config["namespaces"] and child_pid:
            try:
                os.killpg(waiter, signal.SIGKILL)
            except ProcessLookupError:
                pass

    status_done_at: float | None = None
    while open_fds:
        now = time.monotonic()
        remaining = started + timeout - now
        if remaining <= 0:
            stop_reason = "timeout"
            kill_tree()
            break
        if status_done_at is not None and now - status_done_at > 0.5:
            kill_tree()  # the command exited; stragglers holding its pipes go with it
            break
        if watch.over(now):
            stop_reason = "memory"
            kill_tree()
            break
        # Splice when both ends are ready; wait on whichever is not.
        writers = [in_w] if stdin_open and not stdin_ready["command"] else []
        readers = list(open_fds)
        if stdin_open and not stdin_ready["requests"]:
            readers.append(requests)
        wait = min(remaining, 0.5, max(watch.next_check - now, 0.0))
        readable, writable, _ = select.select(readers, writers, [], wait)
        stdin_ready["command"] = stdin_ready["command"] or bool(writable)
        if requests in readable:
            readable.remove(requests)
            stdin_ready["requests"] = True
        if stdin_ready["command"] and stdin_ready["requests"]:
            stdin_ready["command"] = stdin_ready["requests"] = False
            moved: int | None
            try:
                moved = os.splice(
                    requests, in_w, min(stdin_left, 1 << 16), flags=os.SPLICE_F_NONBLOCK
                )
            except BlockingIOError:
                moved = None
            except BrokenPipeError:  # the command closed its stdin: the rest is drained below
                moved = None
                os.close(in_w)
                stdin_open = False
            if moved is not None:
                stdin_left = stdin_left - moved if moved else 0  # 0: the host went away
                if not stdin_left:
                    os.close(in_w)
                    stdin_open = False
        for fd in readable:
            chunk = os.read(fd, 65536)
            if not chunk:
                open_fds.discard(fd)
                continue
            if fd == st_r:
                status_text += chunk
                if not child_pid and b"pid " in status_text:
                    child_pid = int(status_text.split(b"pid ", 1)[1].split(b"\n", 1)[0] or 0)
                if b"status " in status_text or b"error " in status_text:
                    status_done_at = time.monotonic()
                continue
            buffer = buffers[fd]
            room = cap - len(buffer)
            if len(chunk) > room:
                buffer += chunk[: max(room, 0)]
                truncated[fd] = True
                stop_reason = "output_limit"
                kill_tree()
                open_fds.clear()
                break
            buffer += chunk
    if stdin_open:
        os.close(in_w)
    _discard(requests, stdin_left)  # what the command did not read: the next request follows it
    if stop_reason != "none" and child_pid:
        # SIGKILL is asynchronous: wait until the command's pid 1 (and so its whole namespace)
        # is really gone, so that nothing of this run outlives the reply.
        give_up = time.monotonic() + 5.0
        while os.path.exists(f"/proc/{child_pid}") and time.monotonic() < give_up:
            time.sleep(0.002)
    # Collect the waiter; once it is gone, whatever it reported is complete.
    try:
        os.waitpid(waiter, 0)
    except ChildProcessError:
        pass
    try:
        while True:
            select.select([st_r], [], [], 0.2)
            chunk = os.read(st_r, 4096)
            if not chunk:
                break
            status_text += chunk
    except OSError:
        pass
    for fd in (out_r, err_r, st_r):
        os.close(fd)
    duration = time.monotonic() - started

    exit_code, signum, cpu = -9, None, 0.0
    error = None
    for line in status_text.decode(errors="replace").splitlines():
        if line.startswith("status "):
            _, raw, cpu_text = line.split()
            status = int(raw)
            cpu = float(cpu_text)
            if os.WIFSIGNALED(status):
                signum = os.WTERMSIG(status)
                exit_code = -signum
            else:
                exit_code = os.WEXITSTATUS(status)
        elif line.startswith("error "):
            error = line[6:]
    if error is not None and stop_reason == "none":
        return {"ok": False, "error": f"the sandbox could not start the command: {error}"}
    if stop_reason == "none":
        if exit_code == _EXIT_SETUP and b"sandbox child setup failed" in buffers[err_r]:
            return {"ok": False, "error": bytes(buffers[err_r]).decode(errors="replace").strip()}
        if watch.oom_killed():
            stop_reason = "memory"  # the kernel killed a process of it at the cgroup's limit
        elif signum == signal.SIGXCPU or (
            signum == signal.SIGKILL and cpu >= float(limits["cpu_time_s"]) - 0.05
        ):
            stop_reason = "timeout"
        elif exit_code == _EXIT_MEMORY and req["op"] == "python":
            stop_reason = "memory"
        elif exit_code != 0 and any(m in buffers[err_r][-4096:] for m in _MEMORY_MARKERS):
            stop_reason = "memory"
        elif signum is not None:
            stop_reason = "signal"
    elif stop_reason in ("timeout", "output_limit", "memory"):
        signum, exit_code = signal.SIGKILL, -signal.SIGKILL
    return {
        "ok": True,
        "exit_code": exit_code,
        "signal": signum,
        "stdout": base64.b64encode(bytes(buffers[out_r])).decode(),
        "stderr": base64.b64encode(bytes(buffers[err_r])).decode(),
        "stdout_truncated": truncated[out_r],
        "stderr_truncated": truncated[err_r],
        "duration_s": duration,
        "stop_reason": stop_reason,
    }


def _inside(path: str, config: dict[str, Any]) -> str:
    """`path` resolved against the work dir; refuses anything outside the writable root."""
    full = os.path.normpath(os.path.join(config["work"], path))
    real = os.path.realpath(os.path.dirname(full))
    root = os.path.realpath(config["root"])
    if real != root and not real.startswith(root + os.sep):
        raise PermissionError(f"{path!r} is outside the sandbox's writable dirs")
    return os.path.join(real, os.path.basename(full))


def _write(req: dict[str, Any], config: dict[str, Any]) -> dict[str, Any]:
    path = _inside(req["path"], config)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o644)
    try:
        data = memoryview(base64.b64decode(req["data"]))
        while data:
            data = data[os.write(fd, data) :]
    finally:
        os.close(fd)
    return {"ok": True}


def _read(req: dict[str, Any], config: dict[str, Any]) -> dict[str, Any]:
    fd = os.open(_inside(req["path"], config), os.O_RDONLY | os.O_NOFOLLOW)
    try:
        data = bytearray()
        limit = int(req["max_bytes"])
        while len(data) <= limit:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            data += chunk
    finally:
        os.close(fd)
    if len(data) > limit:
        return {"ok": False, "error": f"{req['path']!r} is larger than {limit} bytes"}
    return {"ok": True, "data": base64.b64encode(bytes(data)).decode()}


def _wipe(config: dict[str, Any]) -> dict[str, Any]:
    """Empty the writable dirs so the next episode starts from nothing."""

    def force(function: Any, path: str, _exc: Any) -> None:
        # The code may have chmod-ed a dir to 000; we own everything in here, so take it back.
        try:
            os.chmod(os.path.dirname(path), 0o700)
            os.chmod(path, 0o700)
        except OSError:
            pass
        function(path)

    root = config["root"]
    for name in os.listdir(root):
        path = os.path.join(root, name)
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path, onerror=force)
        else:
            os.unlink(path)
    for name in ("work", "tmp"):
        os.mkdir(os.path.join(root, name), 0o700 if name == "work" else 0o1777)
    return {"ok": True}


def _discard(fd: int, size: int) -> None:
    """Skip `size` bytes of `fd` without reading them into memory."""
    if size <= 0:
        return
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        while size > 0:
            moved = os.splice(fd, null, min(size, 1 << 20))
            if moved == 0:
                break
            size -= moved
    finally:
        os.close(null)


def _serve(config: dict[str, Any]) -> None:
    requests, replies = os.dup(0), os.dup(1)
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1):
        os.dup2(null, fd)
    os.close(null)

    def receive() -> dict[str, Any] | None:
        header = b""
        while len(header) < 4:
            chunk = os.read(requests, 4 - len(header))
            if not chunk:
                return None
            header += chunk
        (size,) = struct.unpack(">I", header)
        body = bytearray()
        while len(body) < size:
            chunk = os.read(requests, min(size - len(body), 1 << 20))
            if not chunk:
                return None
            body += chunk
        message: dict[str, Any] = json.loads(body)
        return message

    def reply(message: dict[str, Any]) -> None:
        body = json.dumps(message).encode()
        data = memoryview(struct.pack(">I", len(body)) + body)
        while data:
            data = data[os.write(replies, data) :]

    reply({"ok": True, "ready": True, "pid": os.getpid(), "cgroup": config["cgroup"] is not None})
    while (req := receive()) is not None:
        try:
            op = req["op"]
            if op in ("exec", "python"):
                reply(_spawn(req, config, requests))
            elif op == "write":
                reply(_write(req, config))
            elif op == "read":
                reply(_read(req, config))
            elif op == "wipe":
                reply(_wipe(config))
            elif op == "ping":
                reply({"ok": True})
            else:
                reply({"ok": False, "error": f"unknown op {op!r}"})
        except Exception as exc:
            reply({"ok": False, "error": f"{type(exc).__name__}: {exc}"})


def _usable_cgroup(cgroup: dict[str, Any] | None) -> dict[str, Any] | None:
    """The host's cgroup if a child of this runner can join it and its OOM count can be read."""
    if cgroup is None:
        return None
    probe = os.fork()
    if probe == 0:
        try:
            for fd in cgroup["procs"]:
                os.write(fd, b"0")
            _oom_kills(cgroup["events"])
        except BaseException:
            os._exit(1)
        os._exit(0)
    _, status = os.waitpid(probe, 0)
    if os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0:
        return cgroup
    for fd in (*cgroup["procs"], cgroup["events"]):
        os.close(fd)
    return None


def main() -> None:
    config: dict[str, Any] = json.loads(sys.argv[1])
    if config["drop_uid"]:
        # Started as host root with only CAP_SETUID/CAP_SETGID: become the unprivileged user for
        # real (the kernel exempts uid 0 from RLIMIT_NPROC, so a fork bomb would be unbounded).
        os.setgroups([])
        os.setgid(config["gid"])
        os.setuid(config["uid"])
    _libc.prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0)  # commands may not ptrace or read the runner
    config["cgroup"] = _usable_cgroup(config.get("cgroup"))
    os.umask(0o022)
    for name in config.get("preload", []):
        try:
            __import__(name)
        except Exception:
            pass
    for source in config.get("warm", []):
        _warm[hashlib.sha256(source.encode()).hexdigest()] = compile(source, "<sandbox>", "exec")
    _wipe(config)
    _serve(config)


if __name__ == "__main__":
    main()
