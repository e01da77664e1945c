"""The act-check loop: the shape of self-refine and try-again, and the simplest custom graph."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from agentloop.graphs._node import NodeFunction, Update, node
from agentloop.graphs._routing import route_unless_stopped, router

if TYPE_CHECKING:
    from langgraph.graph.state import CompiledStateGraph
    from langgraph.types import Checkpointer

__all__ = ["act_check_loop"]


@node("finish")
async def _finish(state: Any) -> Update:
    # Does nothing: the run ends here, with a span and events that say so.
    return {}


def act_check_loop(
    state_type: type[Any],
    *,
    act: NodeFunction[Any],
    check: NodeFunction[Any],
    check_name: str = "check",
    checkpointer: Checkpointer = None,
    name: str = "act_check_loop",
) -> CompiledStateGraph[Any, Any, Any, Any]:
    """A compiled loop: act, check, act, ... until a node sets `stop_reason`.

    Its nodes are "act", `check_name` and "finish", which ends the run. `act` typically appends
    a candidate (and increments `round`); `check` scores the latest one and sets `stop_reason`
    when the loop should end (`decide_stop`). Wrap both with `node(name)`. `run_graph` reads the
    result from the final state, whatever the nodes are called.

    Args:
        state_type: a `GraphState` subclass.
        name: the graph's name, as `RunResult.graph` and the traces show it.
    """
    from langgraph.graph import END, START, StateGraph

    builder = StateGraph(state_type)
    builder.add_node("act", act)
    builder.add_node(check_name, check)
    builder.add_node("finish", _finish)
    builder.add_edge(START, "act")
    builder.add_conditional_edges(
        "act", router(route_unless_stopped(check_name, stop_node="finish")), [check_name, "finish"]
    )
    builder.add_conditional_edges(
        check_name, router(route_unless_stopped("act", stop_node="finish")), ["act", "finish"]
    )
    builder.add_edge("finish", END)
    return builder.compile(checkpointer=checkpointer, name=name)
