"""The OpenTelemetry Python set-up shared by the interop peers (client.py, server.py).

A TracerProvider with the W3C Trace Context and Baggage propagators and, when an endpoint is
given, a batch processor exporting over OTLP/HTTP with protobuf (the Python SDK's HTTP exporter
speaks only protobuf). Runs in the cached virtual environment of requirements.txt
(scripts/peers.sh).
"""

from opentelemetry import baggage, propagate, trace
from opentelemetry.baggage.propagation import W3CBaggagePropagator
from opentelemetry.propagators.composite import CompositePropagator
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.sampling import (
    ALWAYS_ON,
    Decision,
    ParentBased,
    Sampler,
    SamplingResult,
)
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from opentelemetry.trace.span import TraceState


class TraceStateSampler(Sampler):
    """Parent-based, always on; root spans get `root_trace_state` (a tracestate header value),
    so the tracestate the peer sends comes from the SDK's own span context."""

    def __init__(self, root_trace_state):
        self._inner = ParentBased(ALWAYS_ON)
        self._root_trace_state = None
        if root_trace_state:
            pairs = [m.split("=", 1) for m in root_trace_state.split(",")]
            self._root_trace_state = TraceState([(k.strip(), v.strip()) for k, v in pairs])

    def should_sample(self, parent_context, trace_id, name, kind=None, attributes=None, links=None, trace_state=None):
        parent = trace.get_current_span(parent_context).get_span_context()
        if not parent.is_valid and self._root_trace_state is not None:
            return SamplingResult(Decision.RECORD_AND_SAMPLE, attributes, self._root_trace_state)
        return self._inner.should_sample(parent_context, trace_id, name, kind, attributes, links, trace_state)

    def get_description(self):
        return "TraceStateSampler"


def setup(service, endpoint=None, protocol="http/protobuf", root_trace_state=None):
    """Returns (provider, tracer)."""
    provider = TracerProvider(
        resource=Resource.create({"service.name": service}),
        sampler=TraceStateSampler(root_trace_state),
    )
    if endpoint:
        if protocol != "http/protobuf":
            raise SystemExit(f"python peer: OTLP protocol {protocol} is not supported (http/protobuf only)")
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        exporter = OTLPSpanExporter(endpoint=endpoint.rstrip("/") + "/v1/traces")
        provider.add_span_processor(BatchSpanProcessor(exporter, schedule_delay_millis=200))
    trace.set_tracer_provider(provider)
    propagate.set_global_textmap(CompositePropagator([TraceContextTextMapPropagator(), W3CBaggagePropagator()]))
    return provider, trace.get_tracer("asyncctx-interop-python", "1.0.0")


def baggage_entries(ctx):
    """The baggage of a context as [{key, value, metadata}], sorted by key (the Python API keeps
    no baggage properties, so metadata is always empty)."""
    return [{"key": k, "value": str(v), "metadata": ""} for k, v in sorted(baggage.get_all(ctx).items())]
