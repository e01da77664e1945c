"""Sandbox test fixtures: every backend, with small limits so the attacks end quickly."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

import pytest

from agentloop.sandbox import Sandbox, SandboxLimits

LIMITS = SandboxLimits(
    wall_time_s=5.0,
    cpu_time_s=5,
    memory_bytes=512 * 1024 * 1024,
    processes=32,
    file_size_bytes=8 * 1024 * 1024,
    disk_bytes=16 * 1024 * 1024,
    output_bytes=64 * 1024,
    open_files=64,
)


@cache
def docker_available() -> bool:
    try:
        import docker

        docker.from_env(timeout=3).ping()
    except Exception:
        return False
    return True


@pytest.fixture(
    params=["local", pytest.param("docker", marks=pytest.mark.docker)],
)
def make_sandbox(request: pytest.FixtureRequest) -> Callable[[], Sandbox]:
    """A factory for fresh episodes of each backend (docker skips when no daemon answers)."""
    if request.param == "docker":
        if not docker_available():
            pytest.skip("no Docker daemon answers here")
        from agentloop.sandbox import DockerSandbox

        return lambda: DockerSandbox(limits=LIMITS)
    from agentloop.sandbox import LocalSandbox

    return lambda: LocalSandbox(limits=LIMITS)
