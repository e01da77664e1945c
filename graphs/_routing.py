"""Routers: the functions on a graph's conditional edges, which pick the next node (or the
parallel `Send`s) from the state."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any, TypedDict

from langgraph.types import Send

from agentloop.graphs._langgraph_internals import untraced_runnable
from agentloop.graphs._state import ScoreJob, StopReason

__all__ = ["StopView", "fan_out_unscored", "route_unless_stopped", "router"]


def router(route: Callable[..., Any]) -> Any:
    """`route`, ready for `add_conditional_edges`, without LangChain callback tracing.

    LangGraph wraps a plain router in a traced runnable that opens a callback run (and an
    asyncio task) for every routing decision: about a tenth of agentloop's overhead per step in
    P1, and the decision is already in agentloop's own spans. Where LangGraph's runnable class
    cannot be found (it is only half public: see `_langgraph_internals`), the router is returned
    as it is: slower, same behaviour. A sync router runs on the event loop (LangGraph would run
    it in a worker thread), so it must not block; an async one, or an object with an async
    `__call__`, is awaited.
    """
    name = getattr(route, "__name__", None) or type(route).__name__
    if inspect.iscoroutinefunction(route) or inspect.iscoroutinefunction(
        getattr(route, "__call__", None)  # noqa: B004 - an object with an async __call__
    ):
        runnable = untraced_runnable(None, route, name=name)
    else:
        runnable = untraced_runnable(route, name=name)
    return route if runnable is None else runnable


class StopView(TypedDict, total=False):
    """The one field a stop router reads. Annotated with it, a router gets only that channel:
    LangGraph otherwise rebuilds (and validates) the whole pydantic state for every decision."""

    stop_reason: StopReason | None


def route_unless_stopped(
    next_node: str, *, stop_node: str
) -> Callable[[StopView], Awaitable[str]]:
    """A router to `next_node`, or to `stop_node` once the state has a stop reason.

    Async, like the nodes: LangGraph runs a sync router in a worker thread (a thread hop and two
    event-loop wake-ups per step), an async one inline.
    """

    async def route(state: StopView) -> str:
        # A channel never written is absent: the state's default, no stop reason.
        return stop_node if state.get("stop_reason") else next_node

    return route


def fan_out_unscored(
    score_node: str, done_node: str
) -> Callable[[Any], Awaitable[list[Send] | str]]:
    """A router that scores every candidate not yet scored, in parallel, then goes to `done_node`.

    Async for the same reason as `route_unless_stopped`.
    """

    async def route(state: Any) -> list[Send] | str:
        jobs = [
            Send(score_node, ScoreJob(task=state.task, tests=state.tests, candidate=c))
            for c in state.candidates
            if c.score is None
        ]
        return jobs or done_node

    return route
