"""Sandboxes that run untrusted code in isolation, and verifiers that turn runs into verdicts."""

from agentloop.sandbox._docker import DockerSandbox, gc_containers
from agentloop.sandbox._local import LocalSandbox
from agentloop.sandbox._protocol import ExecResult, Sandbox, SandboxLimits, StopReason
from agentloop.sandbox._tests import TestPlan, TestStep, plan_tests
from agentloop.sandbox._verifier import PythonTestVerifier

__all__ = [
    "DockerSandbox",
    "ExecResult",
    "LocalSandbox",
    "PythonTestVerifier",
    "Sandbox",
    "SandboxLimits",
    "StopReason",
    "TestPlan",
    "TestStep",
    "gc_containers",
    "plan_tests",
]
