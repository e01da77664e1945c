"""Spans: the unit of every trace, shaped after the OpenTelemetry GenAI conventions.

A span is opened with `span(...)` (a context manager) or `@traced` (a decorator). The current
span lives in a context variable, so spans opened in concurrent asyncio tasks (or anyio task
group branches, or `anyio.to_thread` calls) nest under the span that was current when the task
was created, and sibling branches never see each other.

When a span ends it is handed, as a `SpanRecord`, to every active `SpanSink` (see `_config`):
`emit` only enqueues, so a span costs a few microseconds on the hot path.
"""

from __future__ import annotations

import contextvars
import functools
import inspect
import logging
import random
import time
from collections.abc import Callable
from enum import StrEnum
from types import TracebackType
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
    "record_evaluation",
    "span",
    "traced",
]

_log = logging.getLogger("agentloop.tracing")


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
    # `random` rather than os.urandom: ids need uniqueness, not secrecy, and a syscall per span
    # is measurable on the hot path. Python reseeds `random` in forked children.
    return f"{_random_bits(64):016x}"


_random_bits = random.getrandbits
_RECORD_FIELDS = tuple(SpanRecord.model_fields)
_new_record = SpanRecord.__new__


def _fast_record(values: dict[str, Any]) -> SpanRecord:
    """A `SpanRecord` from values that are already the right types, without validation.

    What `model_construct` does, minus its per-field default handling: this runs once per span
    and `model_construct` alone cost more than the rest of a span. `values` must hold every field.
    """
    record = _new_record(SpanRecord)
    object.__setattr__(record, "__dict__", values)
    object.__setattr__(record, "__pydantic_fields_set__", set(_RECORD_FIELDS))
    object.__setattr__(record, "__pydantic_extra__", None)
    object.__setattr__(record, "__pydantic_private__", None)
    return record


class _Emission:
    """Where spans go right now; `_config` is the only writer of these fields.

    Kept as plain class attributes so that the hot path reads them without a lock or a call.
    """

    sinks: tuple[SpanSink, ...] = ()
    on_first_root: Callable[[], None] | None = None
    """Set while the default store waits to be opened by the first root span."""


def _emit(record: SpanRecord) -> None:
    for sink in _Emission.sinks:
        try:
            sink.emit(record)
        except Exception:  # a broken sink must never break the traced code
            _log.exception("span sink %r failed to take a span", sink)


def _emit_evaluation(trace_id: str, span_id: str, evaluation: Evaluation) -> None:
    for sink in _Emission.sinks:
        try:
            sink.emit_evaluation(trace_id, span_id, evaluation)
        except Exception:
            _log.exception("span sink %r failed to take an evaluation", sink)


class Span:
    """A live span: add attributes and evaluations while it is open (evaluations also after)."""

    __slots__ = (
        "name",
        "kind",
        "trace_id",
        "span_id",
        "parent_id",
        "attributes",
        "evaluations",
        "start_ns",
        "end_ns",
        "status",
        "error",
        "_token",
    )

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
        self.attributes: dict[str, Any] = dict(attributes) if attributes else {}
        self.evaluations: list[Evaluation] = []
        self.start_ns = time.time_ns()
        self.end_ns: int | None = None
        self.status = "ok"
        self.error: str | None = None
        self._token: contextvars.Token[Span | None] | None = None

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
        """Judge this span. After the span has ended, the evaluation goes straight to the sinks."""
        evaluation = Evaluation(name=name, score=score, label=label, explanation=explanation)
        self.evaluations.append(evaluation)
        if self.end_ns is not None:
            _emit_evaluation(self.trace_id, self.span_id, evaluation)
        return evaluation

    def record_error(self, exc: BaseException) -> None:
        self.status = "error"
        self.error = f"{type(exc).__name__}: {exc}"

    def finish(self) -> SpanRecord:
        """End the span (if not ended yet) and return it as a record."""
        if self.end_ns is None:
            self.end_ns = time.time_ns()
        return _fast_record(
            {
                "trace_id": self.trace_id,
                "span_id": self.span_id,
                "parent_id": self.parent_id,
                "name": self.name,
                "kind": self.kind,
                "start_ns": self.start_ns,
                "end_ns": self.end_ns,
                "status": self.status,
                "error": self.error,
                "attributes": dict(self.attributes),
                "evaluations": list(self.evaluations),
            }
        )

    # The span is its own context manager (see `span()`): a class is cheaper than a generator.
    def __enter__(self) -> Span:
        self._token = _current.set(self)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc is not None:
            self.record_error(exc)
        if self._token is not None:
            _current.reset(self._token)
            self._token = None
        self.end_ns = time.time_ns()
        if _Emission.sinks:
            _emit(self.finish())


_current: contextvars.ContextVar[Span | None] = contextvars.ContextVar(
    "agentloop_current_span", default=None
)


def current_span() -> Span | None:
    """The innermost open span in this context, if any."""
    return _current.get()


def span(
    name: str,
    *,
    kind: SpanKind = SpanKind.INTERNAL,
    attributes: dict[str, Any] | None = None,
) -> Span:
    """Open a span under the current one (or start a new trace when there is none).

    Use as `with span("name", kind=SpanKind.NODE) as s: ...`. An exception escaping the block
    marks the span as failed and is re-raised. The first root span of a process opens the
    default trace store unless tracing was configured or disabled before (see
    `configure_tracing`).
    """
    parent = _current.get()
    if parent is None:
        if _Emission.on_first_root is not None:
            _Emission.on_first_root()
        return Span(name, kind, trace_id=new_id() + new_id(), parent_id=None, attributes=attributes)
    return Span(
        name, kind, trace_id=parent.trace_id, parent_id=parent.span_id, attributes=attributes
    )


def record_evaluation(
    *,
    trace_id: str,
    span_id: str,
    name: str,
    score: float | None = None,
    label: str | None = None,
    explanation: str | None = None,
) -> Evaluation:
    """Attach an evaluation to a span known only by its ids (e.g. user feedback in a chat UI)."""
    evaluation = Evaluation(name=name, score=score, label=label, explanation=explanation)
    _emit_evaluation(trace_id, span_id, evaluation)
    return evaluation


P = ParamSpec("P")
R = TypeVar("R")


@overload
def traced(func: Callable[P, R], /) -> Callable[P, R]: ...


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
                    return await fn(*args, **kwargs)

            return async_wrapper  # type: ignore[return-value]

        @functools.wraps(fn)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            with span(span_name, kind=kind):
                return fn(*args, **kwargs)

        return wrapper

    if func is not None:
        return decorate(func)
    return decorate
