"""Spans: the unit of every trace, shaped after the OpenTelemetry GenAI conventions.

A span is opened with `span(...)` (a context manager) or `@traced` (a decorator). The current
span lives in a context variable, so spans opened in concurrent asyncio tasks nest under the
span that was current when the task was created.
"""

from __future__ import annotations

import contextvars
import functools
import inspect
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from typing import Any, ParamSpec, Protocol, TypeVar, overload

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "Evaluation",
    "Span",
    "SpanKind",
    "SpanRecord",
    "SpanSink",
    "current_span",
    "new_id",
    "span",
    "traced",
]


class SpanKind(StrEnum):
    """What a span stands for; values follow `gen_ai.operation.name` where one exists."""

    WORKFLOW = "invoke_workflow"
    """A whole run of a graph or script: the root of a trace."""
    NODE = "node"
    """One step of a graph."""
    AGENT = "invoke_agent"
    CHAT = "chat"
    """One model call."""
    TOOL = "execute_tool"
    VERIFY = "verify"
    """A verifier running a candidate."""
    INTERNAL = "internal"


class Evaluation(BaseModel):
    """A judgement attached to a span: a verdict, critique, judge score or user feedback.

    Shaped after the `gen_ai.evaluation.result` event.
    """

    model_config = ConfigDict(frozen=True)

    name: str
    """What judged: "verifier", "critic", "judge", "user", ..."""
    score: float | None = None
    label: str | None = None
    """E.g. "pass"/"fail", "thumbs_up", "accepted"."""
    explanation: str | None = None
    time_ns: int = Field(default_factory=time.time_ns)


class SpanRecord(BaseModel):
    """A finished span as stored and exported."""

    trace_id: str
    span_id: str
    parent_id: str | None
    name: str
    kind: SpanKind
    start_ns: int
    end_ns: int
    status: str = "ok"
    """"ok" or "error"."""
    error: str | None = None
    attributes: dict[str, Any] = Field(default_factory=dict)
    evaluations: list[Evaluation] = Field(default_factory=list)

    @property
    def duration_s(self) -> float:
        return (self.end_ns - self.start_ns) / 1e9


class SpanSink(Protocol):
    """Where finished spans go (the SQLite store, an OTLP exporter, a list in a test)."""

    def emit(self, record: SpanRecord) -> None:
        """Take one finished span. Must not block for long: called on the hot path."""

    def emit_evaluation(self, trace_id: str, span_id: str, evaluation: Evaluation) -> None:
        """Attach an evaluation to a span that has already ended."""


def new_id() -> str:
    """A random 16-hex-digit id (OpenTelemetry span-id sized)."""
    return os.urandom(8).hex()


class Span:
    """A live span: add attributes and evaluations while it is open."""

    def __init__(
        self,
        name: str,
        kind: SpanKind,
        *,
        trace_id: str,
        parent_id: str | None,
        attributes: dict[str, Any] | None = None,
    ) -> None:
        self.name = name
        self.kind = kind
        self.trace_id = trace_id
        self.span_id = new_id()
        self.parent_id = parent_id
        self.attributes: dict[str, Any] = dict(attributes or {})
        self.evaluations: list[Evaluation] = []
        self.start_ns = time.time_ns()
        self.status = "ok"
        self.error: str | None = None

    def set_attribute(self, key: str, value: Any) -> None:
        self.attributes[key] = value

    def set_attributes(self, attributes: dict[str, Any]) -> None:
        self.attributes.update(attributes)

    def add_evaluation(
        self,
        name: str,
        *,
        score: float | None = None,
        label: str | None = None,
        explanation: str | None = None,
    ) -> Evaluation:
        evaluation = Evaluation(name=name, score=score, label=label, explanation=explanation)
        self.evaluations.append(evaluation)
        return evaluation

    def record_error(self, exc: BaseException) -> None:
        self.status = "error"
        self.error = f"{type(exc).__name__}: {exc}"

    def finish(self) -> SpanRecord:
        return SpanRecord(
            trace_id=self.trace_id,
            span_id=self.span_id,
            parent_id=self.parent_id,
            name=self.name,
            kind=self.kind,
            start_ns=self.start_ns,
            end_ns=time.time_ns(),
            status=self.status,
            error=self.error,
            attributes=self.attributes,
            evaluations=list(self.evaluations),
        )


_current: contextvars.ContextVar[Span | None] = contextvars.ContextVar(
    "agentloop_current_span", default=None
)


def current_span() -> Span | None:
    """The innermost open span in this context, if any."""
    return _current.get()


def _sinks() -> list[SpanSink]:
    from agentloop.tracing._config import active_sinks

    return active_sinks()


@contextmanager
def span(
    name: str,
    *,
    kind: SpanKind = SpanKind.INTERNAL,
    attributes: dict[str, Any] | None = None,
) -> Iterator[Span]:
    """Open a span under the current one (or start a new trace when there is none).

    An exception escaping the block marks the span as failed and is re-raised.
    """
    parent = _current.get()
    live = Span(
        name,
        kind,
        trace_id=parent.trace_id if parent else new_id() + new_id(),
        parent_id=parent.span_id if parent else None,
        attributes=attributes,
    )
    token = _current.set(live)
    try:
        yield live
    except BaseException as exc:
        live.record_error(exc)
        raise
    finally:
        _current.reset(token)
        record = live.finish()
        for sink in _sinks():
            sink.emit(record)


P = ParamSpec("P")
R = TypeVar("R")


@overload
def traced(
    func: Callable[P, R], /
) -> Callable[P, R]: ...


@overload
def traced(
    *, name: str | None = None, kind: SpanKind = SpanKind.INTERNAL
) -> Callable[[Callable[P, R]], Callable[P, R]]: ...


def traced(
    func: Callable[P, R] | None = None,
    /,
    *,
    name: str | None = None,
    kind: SpanKind = SpanKind.INTERNAL,
) -> Callable[P, R] | Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorate a function (sync or async) so that each call is a span."""

    def decorate(fn: Callable[P, R]) -> Callable[P, R]:
        span_name = name or fn.__qualname__
        if inspect.iscoroutinefunction(fn):

            @functools.wraps(fn)
            async def async_wrapper(*args: P.args, **kwargs: P.kwargs) -> Any:
                with span(span_name, kind=kind):
                    return await fn(*args, **kwargs)  # type: ignore[misc]

            return async_wrapper  # type: ignore[return-value]

        @functools.wraps(fn)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            with span(span_name, kind=kind):
                return fn(*args, **kwargs)

        return wrapper

    if func is not None:
        return decorate(func)
    return decorate


