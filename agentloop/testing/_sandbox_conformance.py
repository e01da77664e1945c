"""The sandbox conformance suite: every `Sandbox` backend must stop each escape and enforce each
limit, leaving the host unharmed.

Each check is an async function `check(make_sandbox, *, project_dir=None)`: `make_sandbox()`
returns a fresh, unentered sandbox; its `limits` should be small (`CONFORMANCE_LIMITS`) so that
the bombs end quickly. `project_dir` is a host folder the code must not see (default: the
current directory); the checks put, and remove, marker files there and in $HOME.

The isolation checks come first in `SANDBOX_CHECKS`: `check_sandbox` stops at the first failure,
so a backend that does not isolate fails before any bomb runs on the host.
"""

from __future__ import annotations

import contextlib
import os
import resource
import secrets
import shutil
import socket
import threading
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from agentloop.sandbox import ExecStopReason, Sandbox, SandboxLimits
from agentloop.testing._conformance import ConformanceFailure, expect

__all__ = ["CONFORMANCE_LIMITS", "SANDBOX_CHECKS", "SandboxCheck", "check_sandbox"]

_MIB = 1024 * 1024

CONFORMANCE_LIMITS = SandboxLimits(
    wall_time_s=5.0,
    cpu_time_s=5,
    memory_bytes=512 * _MIB,
    processes=32,
    file_size_bytes=8 * _MIB,
    disk_bytes=16 * _MIB,
    output_bytes=64 * 1024,
    open_files=64,
)
"""Small limits, so that the bombs of the suite end in seconds: build the sandbox with these."""

SandboxFactory = Callable[[], Sandbox]


class SandboxCheck(Protocol):
    """One check of the suite; its `__name__` says what it checks."""

    __name__: str

    def __call__(
        self, make_sandbox: SandboxFactory, *, project_dir: Path | str | None = None
    ) -> Awaitable[None]: ...


# -- host-side probes ------------------------------------------------------------------------


def _host_processes_with(marker: str) -> list[int]:
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if marker.encode() in Path(f"/proc/{pid}/cmdline").read_bytes():
                found.append(int(pid))
        except OSError:
            continue
    return found


def _max_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@contextmanager
def _loopback_server() -> Iterator[tuple[int, list[bytes]]]:
    """A TCP server on the host's loopback that records whatever connects to it."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    seen: list[bytes] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            seen.append(conn.recv(100))
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1], seen
    finally:
        stop.set()
        thread.join()
        server.close()


@dataclass(frozen=True)
class _Secrets:
    token: str
    home_file: Path
    env_file: Path
    project_file: Path

    @property
    def marker(self) -> str:
        """What the secret files' names carry: seen in a listing, they were visible."""
        return self.token[:8]


@contextmanager
def _host_secrets(project_dir: Path | str | None) -> Iterator[_Secrets]:
    """Secrets the sandbox must not see: a file in $HOME, a file and a .env in the project, and
    an API key in this process's environment."""
    token = secrets.token_hex(16)
    project = Path(project_dir) if project_dir is not None else Path.cwd()
    found = _Secrets(
        token=token,
        home_file=Path.home() / f".agentloop-conformance-{token[:8]}",
        env_file=project / ".agentloop" / f"conformance-{token[:8]}" / ".env",
        project_file=project / f".agentloop-conformance-{token[:8]}",
    )
    agentloop_dir = project / ".agentloop"
    made_agentloop_dir = not agentloop_dir.exists()
    found.env_file.parent.mkdir(parents=True, exist_ok=True)
    before = os.environ.get("OPENAI_API_KEY")
    try:
        found.home_file.write_text(f"home-secret-{token}")
        found.project_file.write_text(f"project-secret-{token}")
        found.env_file.write_text(f"OPENAI_API_KEY=dotenv-{token}")
        os.environ["OPENAI_API_KEY"] = f"sk-env-{token}"
        yield found
    finally:
        if before is None:
            os.environ.pop("OPENAI_API_KEY", None)
        else:
            os.environ["OPENAI_API_KEY"] = before
        found.home_file.unlink(missing_ok=True)
        found.project_file.unlink(missing_ok=True)
        shutil.rmtree(found.env_file.parent, ignore_errors=True)
        if made_agentloop_dir:
            with contextlib.suppress(OSError):  # not empty: something else wrote there since
                agentloop_dir.rmdir()


# -- isolation -------------------------------------------------------------------------------


async def parent_environment_is_not_visible(
    make_sandbox: SandboxFactory, *, project_dir: Path | str | None = None
) -> None:
    """Neither the code's environment nor /proc shows the host's environment (API keys)."""
    probe = """
import os
print(sorted(os.environ.items()))
for pid in os.listdir("/proc"):
    if pid.isdigit():
        try:
            print(open(f"/proc/{pid}/environ", "rb").read())
        except OSError:
            pass
"""
    with _host_secrets(project_dir) as secret:
        async with make_sandbox() as sandbox:
            result = await sandbox.run_python(probe)
            shell = await sandbox.exec("env; cat /proc/1/environ", timeout=5)
    seen = result.stdout + shell.stdout
    expect(result.exit_code == 0, f"the probe failed: {result.stderr[-500:]}")
    expect("OPENAI_API_KEY" not in seen, "the host's OPENAI_API_KEY is visible inside")
    expect(secret.token not in seen, "the host's API key value is visible inside")


async def host_files_cannot_be_read(
    make_sandbox: SandboxFactory, *, project_dir: Path | str | None = None
) -> None:
    """/etc/shadow, files in $HOME and in the project (a .env too) can be neither read nor
    listed."""
    with _host_secrets(project_dir) as secret:
        paths = ["/etc/shadow", str(secret.home_file), str(secret.env_file),
                 str(secret.project_file)]
        probe = f"""
for path in {paths!r}:
    try:
        print("LEAKED", path, open(path).read())
    except OSError as exc:
        print("denied", path, type(exc).__name__)
"""
        folders = [str(Path.home()), str(secret.project_file.parent), str(secret.env_file.parent)]
        async with make_sandbox() as sandbox:
            result = await sandbox.run_python(probe)
            listing = await sandbox.exec(["ls", "-a", *folders])
    expect("LEAKED" not in result.stdout, f"host files were read: {result.stdout[:500]}")
    expect(result.stdout.count("denied") == len(paths), f"not all denied: {result.stdout[:500]}")
    expect(secret.token not in result.stdout + listing.stdout, "a host secret is visible inside")
    expect(secret.marker not in listing.stdout, f"host folders are listed: {listing.stdout[:500]}")


async def network_egress_fails(
    make_sandbox: SandboxFactory, *, project_dir: Path | str | None = None
) -> None:
    """No connection leaves: not to the host's loopback, nor to an address, nor to a name."""
    with _loopback_server() as (port, seen):
        probe = f"""
import socket
for host, port in (("127.0.0.1", {port}), ("1.1.1.1", 53), ("pypi.org", 443)):
    try:
        s = socket.create_connection((host, port), timeout=2)
        s.sendall(b"escaped")
        print("CONNECTED", host)
    except OSError as exc:
        print("blocked", host, type(exc).__name__)
"""
        async with make_sandbox() as sandbox:
            result = await sandbox.run_python(probe, timeout=10)
    expect("CONNECTED" not in result.stdout, f"a connection left: {result.stdout}")
    expect(result.stdout.count("blocked") == 3, f"not all blocked: {result.stdout}")
    expect(seen == [], f"the host's loopback server received {seen!r}")


async def writing_outside_the_work_dir_fails(
    make_sandbox: SandboxFactory, *, project_dir: Path | str | None = None
) -> None:
    """Writes to /, /usr, /etc, /root, the host's Python and the project fail; the work dir and
    /tmp take them, and /tmp is not the host's."""
    project = Path(project_dir) if project_dir is not None else Path.cwd()
    name = f"escape-{secrets.token_hex(4)}"
    targets = [f"/{name}", f"/usr/{name}", f"/etc/{name}", f"/root/{name}",
               f"{os.path.dirname(os.__file__)}/{name}", f"{project}/{name}"]
    attack = f"""
for path in {targets!r}:
    try:
        open(path, "w").write("x")
        print("WROTE", path)
    except OSError as exc:
        print("refused", path, type(exc).__name__)
open("/work/inside.txt", "w").write("ok")
open("/tmp/{name}", "w").write("ok")
print("inside ok")
"""
    try:
        async with make_sandbox() as sandbox:
            result = await sandbox.run_python(attack)
            inside = await sandbox.read_file("inside.txt")
    finally:
        escaped = [p for p in [*targets, f"/tmp/{name}"] if os.path.exists(p)]
        for path in escaped:  # the name is this check's own: whatever is there, it wrote
            Path(path).unlink(missing_ok=True)
    expect(inside == b"ok", f"the work dir kept {inside!r}, not b'ok'")
    expect("WROTE" not in result.stdout, f"wrote outside: {result.stdout}")
    expect(result.stdout.count("refused") == len(targets), f"not all refused: {result.stdout}")
    expect("inside ok" in result.stdout, f"the work dir and /tmp refused: {result.stderr[-500:]}")
    expect(escaped == [], f"files appeared on the host: {escaped}")


async def parent_cannot_be_signalled(
    make_sandbox: SandboxFactory, *, project_dir: Path | str | None = None
) -> None:
    """The code cannot kill the host process or its parent, and the sandbox survives `kill -1`."""
    targets = [os.getpid(), os.getppid()]
    attack = f"""
import os, signal
for pid in {targets!r}:
    try:
        os.kill(pid, signal.SIGKILL)
        print("SIGNALLED", pid)
    except OSError as exc:
        print("refused", pid, type(exc).__name__)
try:
    os.kill(-1, signal.SIGKILL)  # everything it may signal: only its own namespace
except OSError:
    pass
"""
    async with make_sandbox() as sandbox:
        await sandbox.run_python(attack)
        after = await sandbox.run_python("print('sandbox still works')")
    expect(after.stdout == "sandbox still works\n", f"the sandbox died: {after!r}")
    # We are still here, and so is our parent.
    os.kill(os.getppid(), 0)


# -- limits ----------------------------------------------------------------------------------


async def infinite_loop_times_out(
    make_sandbox: SandboxFactory, *, project_dir: Path | str | None = None
) -> None:
    """A loop in Python or in the shell is killed at its timeout and reported as TIMEOUT."""
    async with make_sandbox() as sandbox:
        python = await sandbox.run_python("while True:\n    pass", timeout=1)
        shell = await sandbox.exec("while :; do :; done", timeout=1)
    for result in (python, shell):
        expect(result.stop_reason is ExecStopReason.TIMEOUT, f"not a timeout: {result!r}")
        expect(result.exit_code != 0, f"a killed loop exited 0: {result!r}")
        expect(0.9 < result.duration_s < 4, f"killed after {result.duration_s:.2f}s, not ~1s")


async def output_flood_is_truncated_with_memory_bounded(
    make_sandbox: SandboxFactory, *, project_dir: Path | str | None = None
) -> None:
    """Endless stdout or stderr is cut at `output_bytes` (killed at the cap, not the timeout)
    and the host process does not grow with it."""
    rss_before = _max_rss_mib()
    async with make_sandbox() as sandbox:
        cap = sandbox.limits.output_bytes
        result = await sandbox.run_python("while True:\n    print('x' * 4096)", timeout=10)
        errors = await sandbox.exec("yes 'flood' >&2", timeout=10)
    expect(result.stop_reason is ExecStopReason.OUTPUT_LIMIT, f"stdout: {result.stop_reason}")
    expect(result.stdout_truncated and len(result.stdout) <= cap, "stdout was not cut at the cap")
    expect(errors.stop_reason is ExecStopReason.OUTPUT_LIMIT, f"stderr: {errors.stop_reason}")
    expect(errors.stderr_truncated and len(errors.stderr) <= cap, "stderr was not cut at the cap")
    expect(result.duration_s < 5, f"killed after {result.duration_s:.1f}s, not at the cap")
    expect(_max_rss_mib() - rss_before < 100, "the host process grew by 100 MiB or more")


async def memory_bomb_is_killed_and_reported(
    make_sandbox: SandboxFactory, *, project_dir: Path | str | None = None
) -> None:
    """A too-large allocation and a growing one stop as MEMORY; the sandbox still runs code
    after them, and the host process did not grow."""
    rss_before = _max_rss_mib()
    async with make_sandbox() as sandbox:
        too_big = sandbox.limits.memory_bytes * 4
        big = await sandbox.run_python(f"x = bytearray({too_big})")
        grow = await sandbox.run_python("chunks = []\nwhile True:\n    chunks.append(b'x' * 2**24)")
        still_fine = await sandbox.run_python("print('alive')")
    expect(big.stop_reason is ExecStopReason.MEMORY and big.exit_code != 0, f"big: {big!r}")
    expect(grow.stop_reason is ExecStopReason.MEMORY, f"growing: {grow.stop_reason}")
    expect("MemoryError" in grow.stderr, f"no MemoryError for the code: {grow.stderr[-500:]}")
    expect(still_fine.stdout == "alive\n", f"the sandbox died: {still_fine!r}")
    expect(_max_rss_mib() - rss_before < 100, "the host process grew with the bomb")


async def disk_fill_hits_enospc_or_efbig_and_host_disk_untouched(
    make_sandbox: SandboxFactory, *, project_dir: Path | str | None = None
) -> None:
    """Filling the work dir or /tmp ends in ENOSPC or EFBIG; so do many files; the host's disk
    and /tmp are untouched."""
    name = f"fill-{secrets.token_hex(4)}"
    fill = f"""
import errno
codes = []
for path in ("/work/{name}", "/tmp/{name}-2"):
    try:
        with open(path, "wb") as f:
            while True:
                f.write(b"x" * 2**20)
                f.flush()
    except OSError as exc:
        codes.append(errno.errorcode[exc.errno])
print(" ".join(codes))
"""
    host_before = shutil.disk_usage("/").used
    async with make_sandbox() as sandbox:
        disk = sandbox.limits.disk_bytes
        result = await sandbox.run_python(fill, timeout=20)
        many = await sandbox.run_python(
            "import os\nfor i in range(100):\n"
            "    open(f'/work/f{i}', 'wb').write(b'x' * 2**20)", timeout=20,
        )
    codes = result.stdout.split()
    expect(len(codes) == 2 and set(codes) <= {"ENOSPC", "EFBIG"}, f"fills ended: {codes}")
    expect(many.exit_code != 0 and "No space left" in many.stderr, f"many files: {many!r}")
    grown = abs(shutil.disk_usage("/").used - host_before)
    expect(grown < disk // 2, f"the host's disk moved by {grown} bytes")
    leaked = [p.name for p in Path("/tmp").iterdir() if p.name.startswith(name)]
    expect(leaked == [], f"the host's /tmp got {leaked}")


async def fork_bomb_stays_bounded(
    make_sandbox: SandboxFactory, *, project_dir: Path | str | None = None
) -> None:
    """A Python fork bomb stops at `processes` with EAGAIN; a shell fork bomb whose processes
    stay is bounded too and killed at the timeout; one that returns at once leaves its command
    as soon as it does; none of the bombs' processes is left on the host."""
    marker = f"forkbomb-{secrets.token_hex(4)}"
    bomb = f"""
import os, sys, time
sys.argv[0] = {marker!r}
children = 0
try:
    while True:
        if os.fork() == 0:
            time.sleep(30)
            os._exit(0)
        children += 1
except OSError as exc:
    print(children, exc.errno)
"""
    # Shell bombs, each with one possible end. Their forks keep this command line (the marker).
    # Each process of this one waits forever (a FIFO that no one opens for writing), so only the
    # timeout ends it:
    staying_bomb = (
        f'f=$(mktemp -u) && mkfifo "$f" && b() {{ b & b & read x <"$f"; }}; b  # {marker}'
    )
    # This one's command returns at once, its forks holding none of the command's output: a
    # backend that waits for the output to close would otherwise wait for the bomb to die out.
    returning_bomb = f"b() {{ b | b & }}; b >/dev/null 2>&1  # {marker}"
    async with make_sandbox() as sandbox:
        processes = sandbox.limits.processes
        result = await sandbox.run_python(bomb, timeout=10)
        try:
            children, errno = map(int, result.stdout.split())
        except ValueError:
            raise ConformanceFailure(f"the bomb did not report: {result!r}") from None
        expect(children < processes, f"{children} children under a limit of {processes}")
        expect(errno == 11, f"forking ended with errno {errno}, not EAGAIN (the process limit)")
        # A shell fork bomb too: it meets the process limit, then the whole tree dies at the
        # timeout.
        staying = await sandbox.exec(staying_bomb, timeout=2)
        expect(
            staying.stop_reason is ExecStopReason.TIMEOUT,
            f"the staying shell bomb stopped as {staying.stop_reason}, not at its timeout",
        )
        expect("fork" in staying.stderr.lower(), f"no fork failed: {staying.stderr[-500:]!r}")
        returning = await sandbox.exec(returning_bomb, timeout=2)
        expect(
            returning.stop_reason is ExecStopReason.NONE and returning.exit_code == 0,
            f"the returning shell bomb's command ended as {returning!r}",
        )
        expect(returning.duration_s < 1, f"it returned after {returning.duration_s:.2f}s")
    # Not a count of the host's processes (other work on the machine moves it): none of either
    # bomb's own processes is left.
    left = _host_processes_with(marker)
    expect(left == [], f"the bombs left processes on the host: {left}")


async def no_processes_left_behind(
    make_sandbox: SandboxFactory, *, project_dir: Path | str | None = None
) -> None:
    """A daemon that double-forks into a new session dies with the command, on the host and in
    the sandbox."""
    marker = f"daemon-{secrets.token_hex(4)}"
    daemon = f"""
import os, sys, time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.execv(sys.executable, [sys.executable, "-c", "import time; time.sleep(300)", {marker!r}])
    os._exit(0)
os.execv(sys.executable, [sys.executable, "-c", "import time; time.sleep(300)", {marker!r}])
"""
    probe = (
        "import os\n"
        "for pid in filter(str.isdigit, os.listdir('/proc')):\n"
        "    try:\n"
        f"        if {marker!r}.encode() in open(f'/proc/{{pid}}/cmdline', 'rb').read():\n"
        "            print('LEFT', pid)\n"
        "    except OSError:\n"
        "        pass\n"
    )
    async with make_sandbox() as sandbox:
        result = await sandbox.run_python(daemon, timeout=1)
        expect(result.stop_reason is ExecStopReason.TIMEOUT, f"not a timeout: {result!r}")
        left = _host_processes_with(marker)
        expect(left == [], f"the daemon outlived its command on the host: {left}")
        leftover = await sandbox.run_python(probe)
        expect(leftover.exit_code == 0, f"the probe failed: {leftover!r}")
        expect("LEFT" not in leftover.stdout, f"left in the sandbox: {leftover.stdout}")
    left = _host_processes_with(marker)
    expect(left == [], f"the daemon outlived the sandbox on the host: {left}")


SANDBOX_CHECKS: tuple[SandboxCheck, ...] = (
    parent_environment_is_not_visible,
    host_files_cannot_be_read,
    network_egress_fails,
    writing_outside_the_work_dir_fails,
    parent_cannot_be_signalled,
    infinite_loop_times_out,
    output_flood_is_truncated_with_memory_bounded,
    memory_bomb_is_killed_and_reported,
    disk_fill_hits_enospc_or_efbig_and_host_disk_untouched,
    fork_bomb_stays_bounded,
    no_processes_left_behind,
)
"""Every check, isolation first."""


async def check_sandbox(
    make_sandbox: SandboxFactory, *, project_dir: Path | str | None = None
) -> None:
    """Run every check of `SANDBOX_CHECKS` in order; the first that fails raises
    `ConformanceFailure`, its message prefixed with the check's name."""
    for check in SANDBOX_CHECKS:
        try:
            await check(make_sandbox, project_dir=project_dir)
        except ConformanceFailure as exc:
            raise ConformanceFailure(f"{check.__name__}: {exc}") from exc
