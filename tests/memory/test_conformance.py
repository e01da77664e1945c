"""One behaviour for every backend: in-process, ChromaDB embedded and a real ChromaDB server.

The checks are `agentloop.testing.MEMORY_CHECKS`, the suite that a new backend's author runs
too; here each runs against every backend of `make_store`."""

from __future__ import annotations

import pytest

from agentloop.testing import MEMORY_CHECKS, MemoryCheck
from tests.memory.conftest import StoreFactory

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize("check", MEMORY_CHECKS, ids=lambda check: check.__name__)
async def test_conformance(check: MemoryCheck, make_store: StoreFactory) -> None:
    await check(make_store)
