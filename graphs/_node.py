"""The node wrapper: what turns an async function of the state into a graph node.

Every node of every graph goes through `node(name)`: it opens the node's span, streams its
started/finished events, and turns a budget stop or a failed model call into the state's stop
reason instead of an exception that would end the run without its best candidate.
"""

from __future__ import annotations

import contextvars
import functools
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar

from agentloop.errors import BudgetExhausted, ModelError
from agentloop.graphs._events import GraphEvent, current_node, emit, events_wanted
from agentloop.graphs._state import StopReason
from agentloop.tracing import SpanKind, span

__all__ = ["NodeFunction", "Update", "model_failures", "node"]

In = TypeVar("In")
In_contra = TypeVar("In_contra", contravariant=True)
Update = dict[str, Any]
"""What a node returns: the state fields it changes."""


class NodeFunction(Protocol[In_contra]):
    """An async graph node: the state (or a `Send` argument) in, a state update out."""

    def __call__(self, state: In_contra) -> Awaitable[Update]: ...


model_failures: contextvars.ContextVar[list[ModelError] | None] = contextvars.ContextVar(
    "agentloop_model_failures", default=None
)
"""Set by `run_graph` to a list: the model errors that ended nodes of this run, in order."""


def node(
    name: str, *, round_of: Callable[[Any], int | None] | None = None
) -> Callable[[Callable[[In], Awaitable[Update]]], NodeFunction[In]]:
    """Make a graph node out of `fn`: a NODE span, started/finished events, and a budget stop.

    A `BudgetExhausted` raised inside becomes the update `stop_reason=budget`, so a branch that
    runs out ends the run with the best candidate so far instead of crashing it. A `ModelError`
    (a call that failed past its retries) likewise becomes `stop_reason=error`: the node's span
    records it, and so does `model_failures` when the run collects them.

    Args:
        round_of: the round to tag the span and events with, from the node's input; by
            default its `round` field, when it has one.
    """

    def wrap(fn: Callable[[In], Awaitable[Update]]) -> NodeFunction[In]:
        @functools.wraps(fn)
        async def run(state: In) -> Update:
            round_ = round_of(state) if round_of else getattr(state, "round", None)
            wanted = events_wanted()
            if wanted:
                emit(GraphEvent(kind="node_started", node=name, round=round_))
            token = current_node.set(name)
            attributes: dict[str, Any] = {"agentloop.node": name}
            if round_ is not None:
                attributes["agentloop.round"] = round_
            with span(name, kind=SpanKind.NODE, attributes=attributes) as s:
                try:
                    update = await fn(state)
                except BudgetExhausted as exc:
                    s.set_attribute("agentloop.budget_exhausted", exc.limit)
                    update = {"stop_reason": StopReason.BUDGET}
                except ModelError as exc:
                    # Parallel branches that are still running finish and keep their results.
                    s.record_error(exc)
                    if (failures := model_failures.get()) is not None:
                        failures.append(exc)
                    update = {"stop_reason": StopReason.ERROR}
                finally:
                    current_node.reset(token)
            if wanted:
                emit(GraphEvent(kind="node_finished", node=name, round=round_))
            return update

        return run

    return wrap
