"""DockerSandbox: hardened container options always; the real thing only where a daemon answers."""

from __future__ import annotations

import pytest

from agentloop.errors import SandboxUnavailable
from agentloop.sandbox import SandboxLimits
from agentloop.sandbox._docker import LABEL, container_options, gc_containers
from tests.sandbox.conftest import docker_available


def test_container_options_are_hardened() -> None:
    limits = SandboxLimits(memory_bytes=256 * 2**20, processes=16, disk_bytes=8 * 2**20)
    options = container_options(limits, image="img", env={"A": "1"})
    assert options["network_mode"] == "none"
    assert options["read_only"] is True
    assert options["cap_drop"] == ["ALL"]
    assert options["security_opt"] == ["no-new-privileges:true"]
    assert options["user"] == "65534:65534"
    assert options["pids_limit"] == 16
    assert options["mem_limit"] == options["memswap_limit"] == 256 * 2**20
    assert options["init"] is True
    assert "size=8388608" in options["tmpfs"]["/work"]
    assert options["labels"][LABEL] == "1"
    assert "ports" not in options  # control through exec only
    assert options["environment"]["A"] == "1"


@pytest.mark.docker
def test_gc_without_a_daemon_is_a_clear_error_or_works() -> None:
    if docker_available():
        assert isinstance(gc_containers(), list)
    else:
        with pytest.raises(SandboxUnavailable, match="Docker"):
            gc_containers()
