"""What agentloop takes from LangGraph's private modules, all in one place.

LangGraph wraps every router in a `RunnableCallable` that opens a LangChain callback run (and an
asyncio task) per routing decision; made with `trace=False`, it opens none (see `router`). That
class is not public API: LangGraph 1.0 moved it from `langgraph.utils.runnable` to
`langgraph._internal._runnable`. Where this LangGraph keeps it elsewhere, routers fall back to
LangGraph's own wrapper: the same routes, about a tenth more overhead per step (benchmark P1).
`tests/graphs/test_langgraph_internals.py` fails, naming the installed LangGraph, when that
happens, so an upgrade that moves it is noticed rather than only slower.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from importlib.metadata import version
from typing import Any

__all__ = ["LANGGRAPH_VERSION", "RUNNABLE_CALLABLE_PLACES", "untraced_runnable"]

LANGGRAPH_VERSION = version("langgraph")
"""The installed LangGraph release, for messages about what it moved."""

RUNNABLE_CALLABLE_PLACES = ("langgraph._internal._runnable", "langgraph.utils.runnable")
"""Where LangGraph releases keep `RunnableCallable`, newest first."""


def _find_runnable_callable() -> Any | None:
    try:
        from langgraph._internal._runnable import RunnableCallable
    except ImportError:  # pragma: no cover - depends on the LangGraph release
        try:
            from langgraph.utils.runnable import RunnableCallable  # type: ignore[attr-defined]
        except ImportError:
            return None
    return RunnableCallable


_RUNNABLE_CALLABLE = _find_runnable_callable()


def untraced_runnable(
    func: Callable[..., Any] | None,
    afunc: Callable[..., Awaitable[Any]] | None = None,
    *,
    name: str,
) -> Any | None:
    """`func` (sync) or `afunc` (async) as a LangGraph runnable that opens no callback run;
    None where this LangGraph keeps `RunnableCallable` in none of `RUNNABLE_CALLABLE_PLACES`."""
    if _RUNNABLE_CALLABLE is None:
        return None
    return _RUNNABLE_CALLABLE(func, afunc, name=name, trace=False)
