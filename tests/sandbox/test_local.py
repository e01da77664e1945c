"""LocalSandbox on the real bubblewrap: episodes, files, environment, and the unisolated mode."""

from __future__ import annotations

import os
import secrets
import signal

import pytest

from agentloop.errors import SandboxError, SandboxUnavailable
from agentloop.sandbox import LocalSandbox, SandboxLimits, StopReason

pytestmark = pytest.mark.anyio


async def test_runs_commands_and_python_as_an_unprivileged_user() -> None:
    async with LocalSandbox() as sandbox:
        shell = await sandbox.exec("id -u; pwd; echo $HOME", input="ignored")
        python = await sandbox.run_python("import os, sys\nprint(os.getuid(), sys.stdin.read())",
                                          input="from stdin")
        failing = await sandbox.exec(["python3", "-c", "import sys; sys.exit(3)"])
        missing = await sandbox.exec(["no-such-program"])
    assert shell.stdout.split() == ["65534", "/sandbox/work", "/work"]
    assert python.stdout == "65534 from stdin\n" and python.ok
    assert failing.exit_code == 3 and failing.stop_reason is StopReason.NONE
    assert missing.exit_code == 127 and "no-such-program" in missing.stderr


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
    assert result.stop_reason is StopReason.TIMEOUT
    assert result.signal in (signal.SIGXCPU, signal.SIGKILL)
    assert result.duration_s < 30  # stopped by RLIMIT_CPU (1 s of CPU), not by the wall clock


async def test_missing_bwrap_names_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(SandboxUnavailable, match="bubblewrap"):
        LocalSandbox()


async def test_isolation_none_warns_and_still_applies_limits() -> None:
    with pytest.warns(RuntimeWarning, match="NOT a security boundary"):
        sandbox = LocalSandbox(isolation="none", pool_size=1)
    async with sandbox:
        result = await sandbox.run_python("print('hi'); open('left.txt', 'w').write('x')")
        loop = await sandbox.run_python("while True:\n    pass", timeout=0.5)
        assert os.path.exists(os.path.join(sandbox.work_dir, "left.txt"))
    assert result.stdout == "hi\n"
    assert loop.stop_reason is StopReason.TIMEOUT
    with pytest.warns(RuntimeWarning):
        second = LocalSandbox(isolation="none", pool_size=1)
    async with second:
        assert os.listdir(second.work_dir) == []
