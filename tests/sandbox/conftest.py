"""Sandbox test fixtures: every backend, with small limits so the attacks end quickly."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

import pytest

from agentloop.sandbox import Sandbox
from agentloop.testing import CONFORMANCE_LIMITS


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

        return lambda: DockerSandbox(limits=CONFORMANCE_LIMITS)
    from agentloop.sandbox import LocalSandbox

    return lambda: LocalSandbox(limits=CONFORMANCE_LIMITS)
