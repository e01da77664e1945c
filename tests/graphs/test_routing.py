"""Routers: `router` routes like the plain function, without a LangChain callback run."""

from __future__ import annotations

from typing import Any, TypedDict

import pytest
from langchain_core.callbacks import AsyncCallbackHandler
from langgraph.graph import END, START, StateGraph

from agentloop.graphs import router

pytestmark = pytest.mark.anyio


class Count(TypedDict):
    n: int


async def _bump(state: Count) -> dict[str, int]:
    return {"n": state["n"] + 1}


async def _async_route(state: Count) -> str:
    return END if state["n"] >= 3 else "bump"


def _sync_route(state: Count) -> str:
    return END if state["n"] >= 3 else "bump"


class _RouteObject:
    """A router that is an object with an async `__call__`."""

    __name__ = "_RouteObject"

    async def __call__(self, state: Count) -> str:
        return END if state["n"] >= 3 else "bump"


class _ChainStarts(AsyncCallbackHandler):
    def __init__(self) -> None:
        self.names: list[str] = []

    async def on_chain_start(self, serialized: Any, inputs: Any, **kwargs: Any) -> None:
        self.names.append(str(kwargs.get("name")))


@pytest.mark.parametrize("route", [_async_route, _sync_route, _RouteObject()])
async def test_a_router_routes_like_the_plain_function_without_callback_runs(route: Any) -> None:
    builder = StateGraph(Count)
    builder.add_node("bump", _bump)
    builder.add_edge(START, "bump")
    builder.add_conditional_edges("bump", router(route), ["bump", END])
    starts = _ChainStarts()
    final = await builder.compile().ainvoke({"n": 0}, {"callbacks": [starts]})
    assert final == {"n": 3}
    # Three node runs are traced by LangGraph's callbacks; the three routing decisions are not.
    assert starts.names.count("bump") == 3
    assert route.__name__ not in starts.names
