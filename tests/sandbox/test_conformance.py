"""Security conformance: every backend must stop each attack and leave the host unharmed.

The checks are `agentloop.testing.SANDBOX_CHECKS`, the suite that a new backend's author runs
too; here each runs against every backend of `make_sandbox`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from agentloop.sandbox import Sandbox
from agentloop.testing import SANDBOX_CHECKS, SandboxCheck

pytestmark = pytest.mark.anyio

_REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("check", SANDBOX_CHECKS, ids=lambda check: check.__name__)
async def test_conformance(check: SandboxCheck, make_sandbox: Callable[[], Sandbox]) -> None:
    # The repository stands for the user's project: a folder of the host the code must not see.
    await check(make_sandbox, project_dir=_REPO)
