"""OTLP export reaches a real OTLP/HTTP endpoint (a collector stub on loopback) intact."""

from __future__ import annotations

import gzip
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from agentloop.tracing import SpanKind, add_sink, remove_sink, span

pytest.importorskip("opentelemetry.sdk")
trace_service_pb2 = pytest.importorskip("opentelemetry.proto.collector.trace.v1.trace_service_pb2")

from agentloop.tracing import OTLPSink  # noqa: E402


class _Collector(ThreadingHTTPServer):
    requests: list[Any]


class _Handler(BaseHTTPRequestHandler):
    server: _Collector

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        request = trace_service_pb2.ExportTraceServiceRequest()
        request.ParseFromString(body)
        self.server.requests.append((self.path, self.headers.get("Content-Type"), request))
        reply = trace_service_pb2.ExportTraceServiceResponse().SerializeToString()
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def collector() -> Iterator[_Collector]:
    server = _Collector(("127.0.0.1", 0), _Handler)
    server.requests = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _attrs(otel_span: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for kv in otel_span.attributes:
        field = kv.value.WhichOneof("value")
        value = getattr(kv.value, field)
        if field == "array_value":
            value = [getattr(v, v.WhichOneof("value")) for v in value.values]
        out[kv.key] = value
    return out


def test_spans_reach_an_otlp_http_collector_with_ids_times_attributes_and_evaluations(
    collector: _Collector,
) -> None:
    port = collector.server_address[1]
    sink = OTLPSink(endpoint=f"http://127.0.0.1:{port}/v1/traces", export_interval_s=0.05)
    add_sink(sink)
    try:
        with span("run", kind=SpanKind.WORKFLOW, attributes={"agentloop.tags": ["a", "b"]}) as run:
            with span(
                "chat",
                kind=SpanKind.CHAT,
                attributes={
                    "gen_ai.request.model": "scripted",
                    "gen_ai.usage.input_tokens": 7,
                    "gen_ai.input.messages": [{"role": "user", "content": "hi"}],
                },
            ) as chat:
                chat.add_evaluation("verifier", score=1.0, label="pass", explanation="3/3")
        chat.add_evaluation("user", label="thumbs_up")
        assert sink.force_flush(10)
    finally:
        remove_sink(sink)
        sink.shutdown()

    assert collector.requests, "nothing reached the collector"
    assert {(path, ctype) for path, ctype, _ in collector.requests} == {
        ("/v1/traces", "application/x-protobuf")
    }
    spans = {}
    for _, _, request in collector.requests:
        for resource_spans in request.resource_spans:
            resource = {kv.key: kv.value.string_value for kv in resource_spans.resource.attributes}
            assert resource["service.name"] == "agentloop"
            for scope_spans in resource_spans.scope_spans:
                for otel_span in scope_spans.spans:
                    spans[otel_span.name] = otel_span

    root, model_call, feedback = spans["run"], spans["chat"], spans["evaluation user"]
    assert root.trace_id.hex() == run.trace_id and root.span_id.hex() == run.span_id
    assert root.parent_span_id == b""
    assert model_call.span_id.hex() == chat.span_id
    assert model_call.parent_span_id.hex() == run.span_id
    assert model_call.start_time_unix_nano == chat.start_ns
    assert model_call.end_time_unix_nano == chat.end_ns
    attrs = _attrs(model_call)
    assert attrs["gen_ai.request.model"] == "scripted"
    assert attrs["gen_ai.usage.input_tokens"] == 7
    assert attrs["gen_ai.operation.name"] == "chat"
    assert attrs["gen_ai.input.messages"] == '[{"role": "user", "content": "hi"}]'
    assert _attrs(root)["agentloop.tags"] == ["a", "b"]

    [event] = model_call.events
    assert event.name == "gen_ai.evaluation.result"
    assert {kv.key: kv.value for kv in event.attributes}[
        "gen_ai.evaluation.name"
    ].string_value == "verifier"
    assert _attrs(event)["gen_ai.evaluation.score.value"] == 1.0
    assert _attrs(event)["gen_ai.evaluation.score.label"] == "pass"
    # Late feedback travels as a child of the span it judges.
    assert feedback.parent_span_id.hex() == chat.span_id
    assert _attrs(feedback.events[0])["gen_ai.evaluation.score.label"] == "thumbs_up"
