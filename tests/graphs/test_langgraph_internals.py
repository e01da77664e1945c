"""What agentloop takes from LangGraph's private modules is still where it looks for it.

When this fails after a LangGraph upgrade, routers still route (through LangGraph's traced
wrapper), but every routing decision costs a callback run again (benchmark P1): find where the
new release keeps `RunnableCallable` and add it to `graphs/_langgraph_internals.py`.
"""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.callbacks import AsyncCallbackHandler

from agentloop.graphs._langgraph_internals import (
    LANGGRAPH_VERSION,
    RUNNABLE_CALLABLE_PLACES,
    untraced_runnable,
)

pytestmark = pytest.mark.anyio

MOVED = (
    f"LangGraph {LANGGRAPH_VERSION} keeps RunnableCallable in none of "
    f"{', '.join(RUNNABLE_CALLABLE_PLACES)}: routers fall back to LangGraph's traced wrapper "
    "(same routes, ~10% more overhead per step in benchmark P1). Find where this release "
    "keeps it and update graphs/_langgraph_internals.py."
)


class _ChainStarts(AsyncCallbackHandler):
    def __init__(self) -> None:
        self.names: list[str] = []

    async def on_chain_start(self, serialized: Any, inputs: Any, **kwargs: Any) -> None:
        self.names.append(str(kwargs.get("name")))


def _double(x: int) -> int:
    return 2 * x


async def _adouble(x: int) -> int:
    return 2 * x


async def test_langgraph_still_has_the_untraced_runnable_agentloop_routes_with() -> None:
    sync = untraced_runnable(_double, name="double")
    asynchronous = untraced_runnable(None, _adouble, name="adouble")
    assert sync is not None and asynchronous is not None, MOVED
    starts = _ChainStarts()
    config: Any = {"callbacks": [starts]}
    try:
        results = (await sync.ainvoke(3, config), await asynchronous.ainvoke(4, config))
    except TypeError as exc:  # its constructor or call changed shape
        pytest.fail(f"{MOVED} ({exc})")
    assert results == (6, 8), MOVED
    # trace=False: the runnable opens no callback run of its own.
    assert starts.names == [], (
        f"LangGraph {LANGGRAPH_VERSION}'s RunnableCallable(trace=False) opened callback runs "
        f"{starts.names}: routers are traced again; see graphs/_langgraph_internals.py"
    )
