"""Security conformance: every backend must stop each attack and leave the host unharmed."""

from __future__ import annotations

import os
import resource
import secrets
import shutil
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from agentloop.sandbox import ExecStopReason, Sandbox
from tests.sandbox.conftest import LIMITS

pytestmark = pytest.mark.anyio

_REPO = Path(__file__).resolve().parents[2]


def _host_pids() -> set[int]:
    return {int(p) for p in os.listdir("/proc") if p.isdigit()}


def _host_processes_with(marker: str) -> list[int]:
    found = []
    for pid in _host_pids():
        try:
            if marker.encode() in Path(f"/proc/{pid}/cmdline").read_bytes():
                found.append(pid)
        except OSError:
            continue
    return found


def _max_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def test_fork_bomb_stays_bounded(make_sandbox: Callable[[], Sandbox]) -> None:
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
    shell_bomb = f"b() {{ b | b & }}; b  # {marker}"  # its forks keep this command line
    async with make_sandbox() as sandbox:
        result = await sandbox.run_python(bomb, timeout=10)
        children, errno = map(int, result.stdout.split())
        assert children < LIMITS.processes
        assert errno == 11  # EAGAIN: the process limit, not anything else
        # A shell fork bomb too: bounded, then the whole tree dies at the timeout.
        shell = await sandbox.exec(shell_bomb, timeout=2)
        assert shell.stop_reason in (ExecStopReason.TIMEOUT, ExecStopReason.NONE)
    # Not a count of the host's processes (other work on the machine moves it): none of either
    # bomb's own processes is left.
    assert _host_processes_with(marker) == []


async def test_memory_bomb_is_killed_and_reported(make_sandbox: Callable[[], Sandbox]) -> None:
    rss_before = _max_rss_mib()
    async with make_sandbox() as sandbox:
        big = await sandbox.run_python(f"x = bytearray({LIMITS.memory_bytes * 4})")
        grow = await sandbox.run_python("chunks = []\nwhile True:\n    chunks.append(b'x' * 2**24)")
        still_fine = await sandbox.run_python("print('alive')")
    assert big.stop_reason is ExecStopReason.MEMORY and big.exit_code != 0
    assert grow.stop_reason is ExecStopReason.MEMORY
    assert "MemoryError" in grow.stderr
    assert still_fine.stdout == "alive\n"
    assert _max_rss_mib() - rss_before < 100  # the host process did not grow with the bomb


async def test_infinite_loop_times_out(make_sandbox: Callable[[], Sandbox]) -> None:
    async with make_sandbox() as sandbox:
        python = await sandbox.run_python("while True:\n    pass", timeout=1)
        shell = await sandbox.exec("while :; do :; done", timeout=1)
    for result in (python, shell):
        assert result.stop_reason is ExecStopReason.TIMEOUT
        assert result.exit_code != 0
        assert 0.9 < result.duration_s < 4


async def test_output_flood_is_truncated_with_memory_bounded(
    make_sandbox: Callable[[], Sandbox],
) -> None:
    rss_before = _max_rss_mib()
    async with make_sandbox() as sandbox:
        result = await sandbox.run_python("while True:\n    print('x' * 4096)", timeout=10)
        errors = await sandbox.exec("yes 'flood' >&2", timeout=10)
    assert result.stop_reason is ExecStopReason.OUTPUT_LIMIT
    assert result.stdout_truncated and len(result.stdout) <= LIMITS.output_bytes
    assert errors.stop_reason is ExecStopReason.OUTPUT_LIMIT
    assert errors.stderr_truncated and len(errors.stderr) <= LIMITS.output_bytes
    assert result.duration_s < 5  # killed at the cap, not at the timeout
    assert _max_rss_mib() - rss_before < 100


async def test_disk_fill_hits_enospc_or_efbig_and_host_disk_untouched(
    make_sandbox: Callable[[], Sandbox],
) -> None:
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
        result = await sandbox.run_python(fill, timeout=20)
        many = await sandbox.run_python(
            "import os\nfor i in range(100):\n"
            "    open(f'/work/f{i}', 'wb').write(b'x' * 2**20)", timeout=20,
        )
    codes = result.stdout.split()
    assert len(codes) == 2 and set(codes) <= {"ENOSPC", "EFBIG"}
    assert many.exit_code != 0 and "No space left" in many.stderr
    assert abs(shutil.disk_usage("/").used - host_before) < LIMITS.disk_bytes // 2
    assert not any(p.name.startswith(name) for p in Path("/tmp").iterdir())


@pytest.fixture
def loopback_server() -> Iterator[tuple[int, list[bytes]]]:
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
    yield server.getsockname()[1], seen
    stop.set()
    thread.join()
    server.close()


async def test_network_egress_fails(
    make_sandbox: Callable[[], Sandbox], loopback_server: tuple[int, list[bytes]]
) -> None:
    port, seen = loopback_server
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
    assert "CONNECTED" not in result.stdout
    assert result.stdout.count("blocked") == 3
    assert seen == []


@pytest.fixture
def host_secrets(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """Secrets the sandbox must not see: a file in $HOME, a project .env, an API key in env."""
    token = secrets.token_hex(16)
    home_file = Path.home() / f".agentloop-conformance-{token[:8]}"
    project_dir = _REPO / ".agentloop" / f"conformance-{token[:8]}"
    project_dir.mkdir(parents=True, exist_ok=True)
    env_file = project_dir / ".env"
    home_file.write_text(f"home-secret-{token}")
    env_file.write_text(f"OPENAI_API_KEY=dotenv-{token}")
    monkeypatch.setenv("OPENAI_API_KEY", f"sk-env-{token}")
    try:
        yield {"token": token, "home": str(home_file), "env_file": str(env_file)}
    finally:
        home_file.unlink()
        shutil.rmtree(project_dir)


async def test_host_files_cannot_be_read(
    make_sandbox: Callable[[], Sandbox], host_secrets: dict[str, str]
) -> None:
    paths = ["/etc/shadow", host_secrets["home"], host_secrets["env_file"]]
    paths.append(str(_REPO / "README.md"))
    probe = f"""
for path in {paths!r}:
    try:
        print("LEAKED", path, open(path).read())
    except OSError as exc:
        print("denied", path, type(exc).__name__)
"""
    async with make_sandbox() as sandbox:
        result = await sandbox.run_python(probe)
        listing = await sandbox.exec(["ls", "-a", str(Path.home()), str(_REPO)])
    assert "LEAKED" not in result.stdout
    assert result.stdout.count("denied") == len(paths)
    assert host_secrets["token"] not in result.stdout + listing.stdout
    assert "README.md" not in listing.stdout


async def test_parent_environment_is_not_visible(
    make_sandbox: Callable[[], Sandbox], host_secrets: dict[str, str]
) -> None:
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
    async with make_sandbox() as sandbox:
        result = await sandbox.run_python(probe)
        shell = await sandbox.exec("env; cat /proc/1/environ", timeout=5)
    assert result.exit_code == 0
    assert "OPENAI_API_KEY" not in result.stdout + shell.stdout
    assert host_secrets["token"] not in result.stdout + shell.stdout


async def test_parent_cannot_be_signalled(make_sandbox: Callable[[], Sandbox]) -> None:
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
    assert after.stdout == "sandbox still works\n"
    # We are still here, and so is our parent.
    os.kill(os.getppid(), 0)


async def test_no_processes_left_behind(make_sandbox: Callable[[], Sandbox]) -> None:
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
    async with make_sandbox() as sandbox:
        result = await sandbox.run_python(daemon, timeout=1)
        assert result.stop_reason is ExecStopReason.TIMEOUT
        assert _host_processes_with(marker) == []
        probe = (
            "import os\n"
            "for pid in filter(str.isdigit, os.listdir('/proc')):\n"
            "    try:\n"
            f"        if {marker!r}.encode() in open(f'/proc/{{pid}}/cmdline', 'rb').read():\n"
            "            print('LEFT', pid)\n"
            "    except OSError:\n"
            "        pass\n"
        )
        leftover = await sandbox.run_python(probe)
        assert leftover.exit_code == 0 and "LEFT" not in leftover.stdout
    assert _host_processes_with(marker) == []


async def test_writing_outside_the_work_dir_fails(make_sandbox: Callable[[], Sandbox]) -> None:
    name = f"escape-{secrets.token_hex(4)}"
    targets = [f"/{name}", f"/usr/{name}", f"/etc/{name}", f"/root/{name}",
               f"{os.path.dirname(os.__file__)}/{name}", f"{_REPO}/{name}"]
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
    async with make_sandbox() as sandbox:
        result = await sandbox.run_python(attack)
        assert await sandbox.read_file("inside.txt") == b"ok"
    assert "WROTE" not in result.stdout
    assert result.stdout.count("refused") == len(targets)
    assert "inside ok" in result.stdout
    for path in [*targets, f"/tmp/{name}"]:
        assert not os.path.exists(path)
