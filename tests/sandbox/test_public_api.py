"""`agentloop.sandbox` exports exactly its documented names, and every public name it holds;
the old `StopReason` name is only a deprecated alias."""

from __future__ import annotations

import pytest

import agentloop.sandbox
from tests.public_surface import public_names

EXPECTED = {
    "Sandbox", "SandboxLimits", "ExecResult", "ExecStopReason",
    "LocalSandbox", "DockerSandbox", "gc_containers",
    "PythonTestVerifier", "TestPlan", "TestStep", "plan_tests",
}


def test_all_is_exactly_the_documented_surface_and_all_the_package_holds() -> None:
    assert set(agentloop.sandbox.__all__) == EXPECTED
    assert public_names(agentloop.sandbox) == EXPECTED


def test_stop_reason_is_a_deprecated_alias_outside_the_surface() -> None:
    with pytest.warns(DeprecationWarning, match="ExecStopReason"):
        assert agentloop.sandbox.StopReason is agentloop.sandbox.ExecStopReason
    assert "StopReason" not in vars(agentloop.sandbox)
