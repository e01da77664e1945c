"""LocalSandbox on the real bubblewrap: episodes, files, environment, and the unisolated mode."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import textwrap
from dataclasses import replace
from pathlib import Path
from typing import Literal

import pytest

import agentloop.sandbox._runner_process as runners
from agentloop.errors import SandboxError, SandboxUnavailable
from agentloop.sandbox import ExecStopReason, LocalSandbox, SandboxLimits
from agentloop.sandbox._cgroup import RunnerCgroup, _layout
from agentloop.sandbox._local import DEFAULT_PRELOAD
from agentloop.sandbox._runner_process import RunnerProcess

pytestmark = pytest.mark.anyio

_MIB = 1024 * 1024


def _children_touching(count: int, mib: int) -> str:
    """A program whose `count` children each allocate `mib` MiB and write to every page."""
    return textwrap.dedent(f"""
        import os
        children = []
        for _ in range({count}):
            pid = os.fork()
            if pid == 0:
                block = bytearray({mib} * 2**20)
                for i in range(0, len(block), 4096):
                    block[i] = 1
                os._exit(0)
            children.append(pid)
        codes = [os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) for pid in children]
        print("all done", codes)
    """)


@pytest.fixture(params=["cgroup", "proc"])
def accounting(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each memory test runs with the kernel's cgroup and with the /proc fallback."""
    if request.param == "cgroup" and _layout() is None:
        pytest.skip("no writable memory cgroup here (the /proc variant still runs)")
    if request.param == "proc":
        monkeypatch.setattr(runners, "create_runner_cgroup", lambda: None)
    return str(request.param)


def _sandbox(
    accounting: str, limits: SandboxLimits, isolation: Literal["bwrap", "none"] = "bwrap"
) -> LocalSandbox:
    preload = DEFAULT_PRELOAD
    if accounting != "cgroup":
        # A pool of its own (a preload no other test uses), so that its runners are all started
        # without a cgroup, and no cgroup runner of another test is handed out here.
        preload = (*DEFAULT_PRELOAD, f"agentloop_test_{secrets.token_hex(4)}")
    return LocalSandbox(limits=limits, isolation=isolation, pool_size=1, preload=preload)


def _check_accounting(sandbox: LocalSandbox, accounting: str) -> None:
    runner = sandbox._runner
    assert runner is not None
    assert (runner.cgroup is not None) == (accounting == "cgroup")


async def test_runs_commands_and_python_as_an_unprivileged_user() -> None:
    async with LocalSandbox() as sandbox:
        shell = await sandbox.exec("id -u; pwd; echo $HOME", input="ignored")
        python = await sandbox.run_python("import os, sys\nprint(os.getuid(), sys.stdin.read())",
                                          input="from stdin")
        failing = await sandbox.exec(["python3", "-c", "import sys; sys.exit(3)"])
        missing = await sandbox.exec(["no-such-program"])
    assert shell.stdout.split() == ["65534", "/sandbox/work", "/work"]
    assert python.stdout == "65534 from stdin\n" and python.ok
    assert failing.exit_code == 3 and failing.stop_reason is ExecStopReason.NONE
    assert missing.exit_code == 127 and "no-such-program" in missing.stderr


async def test_stdin_larger_than_a_pipe_reaches_the_command_whole() -> None:
    data = secrets.token_bytes(3 * 1024 * 1024)
    async with LocalSandbox(limits=SandboxLimits(output_bytes=1024)) as sandbox:
        result = await sandbox.run_python(
            "import hashlib, sys\nprint(hashlib.sha256(sys.stdin.buffer.read()).hexdigest())",
            input=data,
        )
    import hashlib

    assert result.ok and result.stdout.strip() == hashlib.sha256(data).hexdigest()


async def test_stdin_a_command_never_reads_does_not_leak_into_the_next_request() -> None:
    async with LocalSandbox() as sandbox:
        ignored = await sandbox.exec(["true"], input=b"x" * (2 * 1024 * 1024))
        after = await sandbox.exec(["cat"], input=b"next")
        closed = await sandbox.run_python("import os\nos.close(0)", input=b"y" * 200_000)
        last = await sandbox.exec(["cat"], input=b"last")
    assert ignored.ok and closed.ok
    assert (after.stdout, last.stdout) == ("next", "last")


async def test_the_runner_never_holds_a_commands_stdin() -> None:
    # What a command is told on stdin (a verifier's tests) must not be in any later command's
    # memory, which is forked from the runner: it is spliced through, never read by the runner.
    marker = "stdin-marker-" + secrets.token_hex(8)
    async with LocalSandbox() as sandbox:
        await sandbox.exec(["wc", "-c"], input=marker)  # reads it, never echoes it
        # The probe never joins the marker's two halves, so only a real copy can match.
        probe = await sandbox.run_python(
            textwrap.dedent(f"""
                import ctypes
                prefix, suffix = {marker[:13]!r}.encode(), {marker[13:]!r}.encode()
                found = False
                for line in open('/proc/self/maps').read().splitlines():
                    span, perms = line.split()[:2]
                    start, end = (int(x, 16) for x in span.split('-'))
                    anonymous = len(line.split()) < 6 or line.endswith(('[heap]', '[stack]'))
                    if 'r' not in perms or not anonymous:
                        continue  # the heap and anonymous memory; files can SIGBUS
                    chunk = ctypes.string_at(start, end - start)  # its own memory, read directly
                    at = chunk.find(prefix)
                    while at != -1 and not found:
                        found = chunk[at + len(prefix):at + len(prefix) + len(suffix)] == suffix
                        at = chunk.find(prefix, at + 1)
                print(found)
            """)
        )
    assert probe.ok, probe.stderr
    assert probe.stdout.strip() == "False"


async def test_files_persist_within_an_episode_only() -> None:
    limits = SandboxLimits()
    async with LocalSandbox(limits=limits, pool_size=1) as first:
        await first.write_file("data/input.txt", "hello")
        result = await first.exec(["sh", "-c", "cat data/input.txt > out.txt; echo x > /tmp/t"])
        assert result.ok
        assert await first.read_file("out.txt") == b"hello"
        assert await first.read_file("/work/out.txt") == b"hello"
    # The next episode gets the recycled runner: nothing of the first one is left.
    async with LocalSandbox(limits=limits, pool_size=1) as second:
        listing = await second.exec("ls -A /work /tmp")
    assert "out.txt" not in listing.stdout and "data" not in listing.stdout
    assert listing.stdout.split() == ["/tmp:", "/work:"]


async def test_a_background_process_does_not_survive_into_the_next_run() -> None:
    marker = secrets.token_hex(4)
    async with LocalSandbox(pool_size=1) as sandbox:
        spawned = await sandbox.exec(f"(sleep 60; echo {marker} > /work/late) & echo started")
        assert spawned.stdout == "started\n"
        ps = await sandbox.exec("for p in /proc/[0-9]*; do cat $p/cmdline; echo; done")
    assert marker not in ps.stdout  # the backgrounded shell died with its command


async def test_commands_see_their_own_cgroup_as_the_root_and_no_host_path() -> None:
    async with LocalSandbox() as sandbox:
        result = await sandbox.exec("cat /proc/self/cgroup")
    lines = result.stdout.splitlines()
    assert lines and all(line.endswith(":/") for line in lines), result.stdout


async def test_file_paths_cannot_escape_the_sandbox_root() -> None:
    async with LocalSandbox() as sandbox:
        await sandbox.exec("ln -s /usr/lib link")
        with pytest.raises(SandboxError, match="outside"):
            await sandbox.write_file("/etc/x", "no")
        with pytest.raises(SandboxError, match="outside"):
            await sandbox.read_file("link/os-release")
        with pytest.raises(SandboxError):
            await sandbox.read_file("missing.txt")


async def test_environment_is_an_allowlist_plus_what_the_caller_passes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-host-secret")
    async with LocalSandbox(env={"MODE": "test"}) as sandbox:
        result = await sandbox.exec("env", env={"EXTRA": "1"})
    names = {line.split("=", 1)[0] for line in result.stdout.splitlines()}
    assert "ANTHROPIC_API_KEY" not in names and "sk-host-secret" not in result.stdout
    assert {"MODE", "EXTRA", "PATH", "HOME"} <= names


async def test_cpu_limit_stops_a_busy_process_as_a_timeout() -> None:
    limits = SandboxLimits(cpu_time_s=1, wall_time_s=60)
    async with LocalSandbox(limits=limits) as sandbox:
        result = await sandbox.run_python("while True:\n    pass")
    assert result.stop_reason is ExecStopReason.TIMEOUT
    assert result.signal in (signal.SIGXCPU, signal.SIGKILL)
    assert result.duration_s < 30  # stopped by RLIMIT_CPU (1 s of CPU), not by the wall clock


async def test_missing_bwrap_names_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(SandboxUnavailable, match="bubblewrap"):
        LocalSandbox()


_FORK_BOMB = """
import os, time
children = 0
try:
    while children < {cap}:
        if os.fork() == 0:
            time.sleep(30)
            os._exit(0)
        children += 1
except OSError as exc:
    print(children, exc.errno)
else:
    print(children, "unbounded")
"""

_BIG_FILE = """
import errno, os
try:
    with open("big.bin", "wb") as f:
        f.write(b"x" * {size})
except OSError as exc:
    print(errno.errorcode[exc.errno], os.path.getsize("big.bin"))
"""


def test_a_runner_that_dies_at_start_says_why() -> None:
    config = replace(LocalSandbox()._config, warm=("def broken(:\n",))
    with pytest.raises(SandboxUnavailable, match="SyntaxError"):
        RunnerProcess(config)


async def test_isolation_none_warns_and_still_applies_limits() -> None:
    limits = SandboxLimits(
        memory_bytes=256 * _MIB, processes=16, file_size_bytes=1 * _MIB,
        output_bytes=64 * 1024, wall_time_s=20, cpu_time_s=20,
    )
    with pytest.warns(RuntimeWarning, match="NOT a security boundary"):
        sandbox = LocalSandbox(isolation="none", limits=limits, pool_size=1)
    async with sandbox:
        result = await sandbox.run_python("print('hi'); open('left.txt', 'w').write('x')")
        loop = await sandbox.run_python("while True:\n    pass", timeout=0.5)
        memory = await sandbox.run_python(_children_touching(4, 100))
        big_file = await sandbox.run_python(_BIG_FILE.format(size=2 * limits.file_size_bytes))
        flood = await sandbox.run_python("while True:\n    print('x' * 4096)")
        assert sandbox._runner is not None
        # As root without a cgroup nothing bounds processes here (the kernel exempts root from
        # RLIMIT_NPROC, and there is no user namespace to drop into).
        bounded = sandbox._runner.cgroup is not None or os.geteuid() != 0
        bomb = await sandbox.run_python(_FORK_BOMB.format(cap=4 * limits.processes), timeout=10)
        assert os.path.exists(os.path.join(sandbox.work_dir, "left.txt"))
    assert result.stdout == "hi\n"
    assert loop.stop_reason is ExecStopReason.TIMEOUT
    # The four children were charged together: 400 MiB against 256 MiB.
    assert memory.stop_reason is ExecStopReason.MEMORY and "all done" not in memory.stdout
    assert big_file.stdout.split() == ["EFBIG", str(limits.file_size_bytes)]
    assert flood.stop_reason is ExecStopReason.OUTPUT_LIMIT and flood.stdout_truncated
    assert len(flood.stdout) <= limits.output_bytes
    if bounded:
        children, errno = bomb.stdout.split()
        assert int(children) < limits.processes and errno == "11"  # EAGAIN
    with pytest.warns(RuntimeWarning):
        second = LocalSandbox(isolation="none", pool_size=1)
    async with second:
        assert os.listdir(second.work_dir) == []


async def test_memory_limit_caps_the_whole_process_tree(accounting: str) -> None:
    limits = SandboxLimits(memory_bytes=1024 * _MIB, wall_time_s=60, cpu_time_s=60)
    async with _sandbox(accounting, limits) as sandbox:
        # 4 x 400 MiB: each child alone is far under 1 GiB, together they are not.
        result = await sandbox.run_python(_children_touching(4, 400))
        _check_accounting(sandbox, accounting)
        assert sandbox._runner is not None
        cgroup = sandbox._runner.cgroup
        peak = cgroup.peak_bytes() if cgroup is not None else None
        after = await sandbox.run_python("print('still fine')")
    assert result.stop_reason is ExecStopReason.MEMORY
    assert result.exit_code == -signal.SIGKILL and "all done" not in result.stdout
    assert result.duration_s < 30  # stopped at the limit, not by the wall clock
    if accounting == "cgroup":
        assert peak is not None and peak <= limits.memory_bytes  # never over, not even briefly
    assert after.ok and after.stdout == "still fine\n"


async def test_one_allocation_over_the_limit_is_a_memory_stop(accounting: str) -> None:
    limits = SandboxLimits(memory_bytes=256 * _MIB)
    async with _sandbox(accounting, limits) as sandbox:
        warm = await sandbox.run_python(f"x = bytearray({2 * limits.memory_bytes})")
        _check_accounting(sandbox, accounting)
        process = await sandbox.exec(
            [sys.executable, "-c", f"x = bytearray({2 * limits.memory_bytes})"]
        )
    for result in (warm, process):
        assert result.stop_reason is ExecStopReason.MEMORY and result.exit_code != 0
        assert "MemoryError" in result.stderr


async def test_programs_under_the_memory_limit_run_normally(accounting: str) -> None:
    limits = SandboxLimits(memory_bytes=1024 * _MIB, wall_time_s=60, cpu_time_s=60)
    touch = "b = bytearray(600 * 2**20)\nfor i in range(0, len(b), 4096):\n    b[i] = 1\nprint(600)"
    async with _sandbox(accounting, limits) as sandbox:
        tree = await sandbox.run_python(_children_touching(4, 150))
        _check_accounting(sandbox, accounting)
        single = await sandbox.run_python(touch)
        shell = await sandbox.exec("for i in 1 2 3 4; do sleep 0.1 & done; wait; echo waited")
    assert tree.ok and tree.stdout == "all done [0, 0, 0, 0]\n"
    assert single.ok and single.stdout == "600\n"
    assert shell.ok and shell.stdout == "waited\n"


async def test_a_runner_that_cannot_join_its_cgroup_falls_back_to_proc(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    layout = _layout()
    if layout is None:
        pytest.skip("no writable memory cgroup here")
    made: list[RunnerCgroup] = []

    def unjoinable(self: RunnerCgroup) -> tuple[list[int], int]:
        made.append(self)
        # Read-only fds where cgroup.procs should be: the runner's probe cannot move into it.
        procs = [os.open(d / "cgroup.procs", os.O_RDONLY | os.O_CLOEXEC) for d in self.dirs]
        return procs, os.open(self.events_file, os.O_RDONLY | os.O_CLOEXEC)

    monkeypatch.setattr(RunnerCgroup, "open_for_runner", unjoinable)
    limits = SandboxLimits(memory_bytes=256 * _MIB, wall_time_s=60, cpu_time_s=60)
    async with _sandbox("fallback", limits) as sandbox:
        result = await sandbox.run_python(_children_touching(4, 100))
        assert sandbox._runner is not None and sandbox._runner.cgroup is None
    assert result.stop_reason is ExecStopReason.MEMORY and "all done" not in result.stdout
    # The runner it used (the pool's first; the pool may be starting the next one meanwhile)
    # removed the cgroup it could not use.
    assert made and not any(d.exists() for d in made[0].dirs)


async def test_a_cgroup_that_refuses_the_limit_falls_back_to_proc_for_that_command(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if _layout() is None:
        pytest.skip("no writable memory cgroup here")

    def refuse(self: RunnerCgroup, *, memory_bytes: int, processes: int) -> None:
        raise OSError(16, "Device or resource busy")

    monkeypatch.setattr(RunnerCgroup, "set_limits", refuse)
    limits = SandboxLimits(memory_bytes=256 * _MIB, wall_time_s=60, cpu_time_s=60)
    async with _sandbox("cgroup", limits) as sandbox:
        result = await sandbox.run_python(_children_touching(4, 100))
        fine = await sandbox.run_python("print('fine')")
        assert sandbox._runner is not None and sandbox._runner.cgroup is not None
    assert result.stop_reason is ExecStopReason.MEMORY and "all done" not in result.stdout
    assert fine.ok and fine.stdout == "fine\n"


def test_no_runner_cgroup_outlives_its_runner_or_the_program() -> None:
    layout = _layout()
    if layout is None:
        pytest.skip("no writable memory cgroup here")
    runner = RunnerProcess(LocalSandbox()._config)
    assert runner.cgroup is not None
    dirs = runner.cgroup.dirs
    assert all(d.is_dir() for d in dirs)
    runner.close()
    assert not any(d.exists() for d in dirs)

    # One left by a host process that died (no pid is ever this large) is cleared by the next.
    stale = layout.memory / "4194305-1-0"
    stale.mkdir(exist_ok=True)
    program = textwrap.dedent("""
        import anyio
        from agentloop.sandbox import LocalSandbox

        async def main():
            async with LocalSandbox(pool_size=2) as sandbox:
                await sandbox.exec("true")
                for d in sandbox._runner.cgroup.dirs:
                    print(d)

        anyio.run(main)
    """)
    done = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=120, check=True
    )
    used = [Path(line) for line in done.stdout.split()]
    assert used and not any(d.exists() for d in used)  # gone when the program ended
    assert not stale.exists()


async def test_a_prepared_program_is_compiled_ahead_in_new_runners() -> None:
    from agentloop.sandbox._episode import prepare_program, prepared_programs
    from agentloop.sandbox._verifier import driver_program

    assert driver_program() in prepared_programs()  # the verifier declares its driver itself
    program = "import sys\nprint('prepared', sys.stdin.read())\n# " + secrets.token_hex(4)
    prepare_program(program)
    sandbox = LocalSandbox()
    assert program in sandbox._config.warm
    async with sandbox:
        result = await sandbox.run_python(program, input="ok")
    assert result.stdout.strip() == "prepared ok"
