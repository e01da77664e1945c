"""Events a running graph streams for user interfaces (LangGraph's "custom" stream mode)."""

from __future__ import annotations

import contextvars
import time
from typing import Literal

from langgraph.config import get_stream_writer
from pydantic import BaseModel, ConfigDict, Field

__all__ = ["EventKind", "GraphEvent", "emit", "events_wanted", "listening"]

EventKind = Literal["node_started", "node_finished", "candidate", "feedback", "score", "stop"]


class GraphEvent(BaseModel):
    """One thing that happened in a run; fields not relevant to `kind` are None."""

    model_config = ConfigDict(frozen=True)

    kind: EventKind
    node: str | None = None
    round: int | None = None
    candidate_id: str | None = None
    text: str | None = None
    """The candidate (kind "candidate") or the feedback (kind "feedback")."""
    score: float | None = None
    passed: bool | None = None
    stop_reason: str | None = None
    time: float = Field(default_factory=time.time)


current_node: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "agentloop_current_node", default=None
)
"""The graph node running in this context; events emitted inside it are tagged with it."""


listening: contextvars.ContextVar[bool | None] = contextvars.ContextVar(
    "agentloop_events_listening", default=None
)
"""Set by `run_graph`: whether anyone receives this run's events (None: not known, send them)."""


def events_wanted() -> bool:
    """False when nobody receives events here: callers skip building them (benchmark P1)."""
    return listening.get() is not False


def emit(event: GraphEvent) -> None:
    """Send `event` to whoever streams this run; a no-op outside a streaming run."""
    if listening.get() is False:
        return
    if event.node is None and (name := current_node.get()) is not None:
        event = event.model_copy(update={"node": name})
    try:
        writer = get_stream_writer()
    except RuntimeError:
        # Called outside a graph run (a node function used on its own): nobody is listening.
        return
    writer(event)
