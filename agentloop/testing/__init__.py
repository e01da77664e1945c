"""Fakes and checks for tests, yours included: a scripted model, a guard against network models,
and the conformance suites that every sandbox and memory backend must pass.

A backend's author runs the same suites as agentloop's own backends. Each suite is a tuple of
async checks (`SANDBOX_CHECKS`, `MEMORY_CHECKS`) that take a factory of fresh backends and raise
`ConformanceFailure` (an `AssertionError`) on what they catch; `check_sandbox(factory)` and
`check_memory_store(factory)` run a whole suite and stop at the first failure. With pytest and
anyio, one test per check::

    import pytest
    from agentloop.testing import CONFORMANCE_LIMITS, MEMORY_CHECKS, SANDBOX_CHECKS

    @pytest.mark.anyio
    @pytest.mark.parametrize("check", SANDBOX_CHECKS, ids=lambda check: check.__name__)
    async def test_my_sandbox(check):
        await check(lambda: MySandbox(limits=CONFORMANCE_LIMITS))

    @pytest.mark.anyio
    @pytest.mark.parametrize("check", MEMORY_CHECKS, ids=lambda check: check.__name__)
    async def test_my_store(check, tmp_path):
        await check(lambda **options: MyStore(tmp_path, embedder="hashing", **options))

A sandbox factory returns an unentered `Sandbox` under small limits (`CONFORMANCE_LIMITS`), so
that its bombs end in seconds; the isolation checks run first, so a backend that does not
isolate fails before any bomb runs on the host. A memory factory returns a fresh, empty
`agentloop.memory.VectorMemoryStore` subclass with the hashing embedder, passing on the options
a check gives it (`dedup_threshold`, `policy`). Nothing here imports pytest or a heavy extra.
"""

from agentloop.model._guard import block_network_models
from agentloop.testing._conformance import ConformanceFailure
from agentloop.testing._memory_conformance import MEMORY_CHECKS, MemoryCheck, check_memory_store
from agentloop.testing._sandbox_conformance import (
    CONFORMANCE_LIMITS,
    SANDBOX_CHECKS,
    SandboxCheck,
    check_sandbox,
)
from agentloop.testing._scripted import ScriptedCall, ScriptedModel, count_words

__all__ = [
    "CONFORMANCE_LIMITS",
    "MEMORY_CHECKS",
    "SANDBOX_CHECKS",
    "ConformanceFailure",
    "MemoryCheck",
    "SandboxCheck",
    "ScriptedCall",
    "ScriptedModel",
    "block_network_models",
    "check_memory_store",
    "check_sandbox",
    "count_words",
]
