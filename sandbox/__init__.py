"""Sandboxes that run untrusted code in isolation, and verifiers that turn runs into verdicts."""

from agentloop.sandbox._local import LocalSandbox
from agentloop.sandbox._protocol import ExecResult, Sandbox, SandboxLimits, StopReason

__all__ = ["ExecResult", "LocalSandbox", "Sandbox", "SandboxLimits", "StopReason"]
