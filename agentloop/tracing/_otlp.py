"""Optional OTLP/HTTP export, so the same spans reach Langfuse, Jaeger or any OTel backend.

Needs the `otel` extra (opentelemetry-sdk, opentelemetry-exporter-otlp-proto-http), imported
only when an `OTLPSink` is created. Spans keep their ids, timestamps and attributes; each
evaluation becomes a `gen_ai.evaluation.result` event on the span it judges. An evaluation added
after its span was exported (user feedback) cannot be attached to the already-sent span, so it
travels as a zero-length child span named `evaluation <name>` carrying that event.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Mapping
from typing import Any

from agentloop.errors import ConfigError
from agentloop.tracing._span import Evaluation, SpanKind, SpanRecord
from agentloop.tracing._store import dumps_value

__all__ = ["OTLPSink"]

_log = logging.getLogger("agentloop.tracing")

_Item = SpanRecord | tuple[str, str, Evaluation] | threading.Event | None


def _otel_value(value: Any) -> Any:
    # OTel attributes hold primitives or homogeneous lists of them; anything richer (messages)
    # is sent as JSON text, which is what the GenAI conventions ask for message attributes.
    if isinstance(value, str | bool | int | float):
        return value
    if (
        isinstance(value, list | tuple)
        and value
        and type(value[0]) in (str, bool, int, float)
        and all(type(v) is type(value[0]) for v in value)
    ):
        return list(value)
    return dumps_value(value)


def _evaluation_event_attributes(evaluation: Evaluation) -> dict[str, Any]:
    attributes: dict[str, Any] = {"gen_ai.evaluation.name": evaluation.name}
    if evaluation.score is not None:
        attributes["gen_ai.evaluation.score.value"] = evaluation.score
    if evaluation.label is not None:
        attributes["gen_ai.evaluation.score.label"] = evaluation.label
    if evaluation.explanation is not None:
        attributes["gen_ai.evaluation.explanation"] = evaluation.explanation
    return attributes


class OTLPSink:
    """A `SpanSink` that sends spans to an OTLP/HTTP collector, in batches, off the hot path.

    Add it with `agentloop.tracing.add_sink(OTLPSink(endpoint=...))`; off by default.
    """

    def __init__(
        self,
        *,
        endpoint: str = "http://localhost:4318/v1/traces",
        headers: Mapping[str, str] | None = None,
        service_name: str = "agentloop",
        export_interval_s: float = 1.0,
        timeout_s: float = 10.0,
    ) -> None:
        try:
            from opentelemetry.exporter.otlp.proto.http import Compression
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
            from opentelemetry.sdk.resources import Resource
        except ImportError as exc:
            raise ConfigError(
                "OTLP export needs the otel extra: pip install 'agentloop[otel]'"
            ) from exc
        self.endpoint = endpoint
        self.export_interval_s = export_interval_s
        self._exporter: Any = OTLPSpanExporter(
            endpoint=endpoint,
            headers=dict(headers or {}),
            timeout=timeout_s,
            compression=Compression.NoCompression,
        )
        self._resource = Resource.create({"service.name": service_name})
        self._queue: queue.SimpleQueue[_Item] = queue.SimpleQueue()
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._run, name="agentloop-otlp", daemon=True)
        self._stopped = False
        self._thread.start()

    def emit(self, record: SpanRecord) -> None:
        self._queue.put(record)

    def emit_evaluation(self, trace_id: str, span_id: str, evaluation: Evaluation) -> None:
        self._queue.put((trace_id, span_id, evaluation))

    def force_flush(self, timeout: float = 30.0) -> bool:
        """Send everything queued so far; False on timeout."""
        done = threading.Event()
        self._queue.put(done)
        self._wake.set()
        return done.wait(timeout)

    def shutdown(self, timeout: float = 30.0) -> None:
        """Send what is queued, then stop the export thread."""
        if self._stopped:
            return
        self._stopped = True
        self._queue.put(None)
        self._wake.set()
        self._thread.join(timeout)
        self._exporter.shutdown()

    def _run(self) -> None:
        stop = False
        while not stop:
            first = self._queue.get()
            if isinstance(first, SpanRecord | tuple):
                self._wake.wait(self.export_interval_s)
            self._wake.clear()
            batch: list[_Item] = [first]
            while True:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            spans = []
            waiters = []
            for item in batch:
                if item is None:
                    stop = True
                elif isinstance(item, threading.Event):
                    waiters.append(item)
                else:
                    try:
                        spans.append(self._convert(item))
                    except Exception:
                        _log.exception("cannot convert %r to an OTel span", item)
            if spans:
                try:
                    self._exporter.export(spans)
                except Exception:
                    _log.exception("OTLP export to %s failed", self.endpoint)
            for waiter in waiters:
                waiter.set()

    def _convert(self, item: SpanRecord | tuple[str, str, Evaluation]) -> Any:
        from opentelemetry.sdk.trace import Event, ReadableSpan
        from opentelemetry.sdk.util.instrumentation import InstrumentationScope
        from opentelemetry.trace import SpanContext, TraceFlags
        from opentelemetry.trace import SpanKind as OTelKind
        from opentelemetry.trace.status import Status, StatusCode

        from agentloop._version import __version__
        from agentloop.tracing._span import new_id

        def context(trace_id: str, span_id: str) -> SpanContext:
            return SpanContext(
                trace_id=int(trace_id, 16),
                span_id=int(span_id, 16),
                is_remote=False,
                trace_flags=TraceFlags(TraceFlags.SAMPLED),
            )

        scope = InstrumentationScope("agentloop", __version__)
        if isinstance(item, tuple):
            trace_id, span_id, evaluation = item
            return ReadableSpan(
                name=f"evaluation {evaluation.name}",
                context=context(trace_id, new_id()),
                parent=context(trace_id, span_id),
                resource=self._resource,
                attributes={"gen_ai.operation.name": "evaluation"},
                events=[
                    Event(
                        "gen_ai.evaluation.result",
                        _evaluation_event_attributes(evaluation),
                        timestamp=evaluation.time_ns,
                    )
                ],
                start_time=evaluation.time_ns,
                end_time=evaluation.time_ns,
                instrumentation_scope=scope,
            )
        record = item
        attributes = {k: _otel_value(v) for k, v in record.attributes.items() if v is not None}
        attributes.setdefault("gen_ai.operation.name", str(record.kind))
        status = (
            Status(StatusCode.ERROR, record.error)
            if record.status == "error"
            else Status(StatusCode.OK)
        )
        return ReadableSpan(
            name=record.name,
            context=context(record.trace_id, record.span_id),
            parent=context(record.trace_id, record.parent_id) if record.parent_id else None,
            resource=self._resource,
            attributes=attributes,
            events=[
                Event(
                    "gen_ai.evaluation.result",
                    _evaluation_event_attributes(ev),
                    timestamp=ev.time_ns,
                )
                for ev in record.evaluations
            ],
            kind=OTelKind.CLIENT if record.kind == SpanKind.CHAT else OTelKind.INTERNAL,
            status=status,
            start_time=record.start_ns,
            end_time=record.end_ns,
            instrumentation_scope=scope,
        )
