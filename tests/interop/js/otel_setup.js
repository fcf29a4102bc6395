// The OpenTelemetry JS set-up shared by the interop peers (client.js, server.js): a
// NodeTracerProvider (AsyncLocalStorage context manager), the W3C Trace Context and Baggage
// propagators, and a batch processor exporting over OTLP/HTTP, protobuf or JSON, when an
// endpoint is given. The modules come from the cached install of package.json
// (scripts/peers.sh); run_interop.py puts its node_modules on NODE_PATH.
'use strict';

const api = require('@opentelemetry/api');
const { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } = require('@opentelemetry/core');
const { resourceFromAttributes } = require('@opentelemetry/resources');
const { NodeTracerProvider, BatchSpanProcessor, ParentBasedSampler, AlwaysOnSampler, SamplingDecision } =
  require('@opentelemetry/sdk-trace-node');

// Root spans carry `rootTraceState` (a W3C tracestate header value), so that the tracestate
// the peer sends comes from the SDK's own span context, as a vendor's sampler would put it.
class TraceStateSampler {
  constructor(rootTraceState) {
    this.inner = new ParentBasedSampler({ root: new AlwaysOnSampler() });
    this.rootTraceState = rootTraceState ? api.createTraceState(rootTraceState) : undefined;
  }
  shouldSample(context, traceId, name, kind, attributes, links) {
    const result = this.inner.shouldSample(context, traceId, name, kind, attributes, links);
    if (!api.trace.getSpanContext(context) && this.rootTraceState) {
      return { ...result, decision: SamplingDecision.RECORD_AND_SAMPLED, traceState: this.rootTraceState };
    }
    return result;
  }
  toString() { return 'TraceStateSampler'; }
}

function makeExporter(endpoint, protocol) {
  const url = endpoint.replace(/\/$/, '') + '/v1/traces';
  if (protocol === 'http/protobuf') {
    const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-proto');
    return new OTLPTraceExporter({ url });
  }
  if (protocol === 'http/json') {
    const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-http');
    return new OTLPTraceExporter({ url });
  }
  throw new Error(`unknown OTLP protocol ${protocol} (http/protobuf or http/json)`);
}

// setup({service, endpoint, protocol, rootTraceState}) -> {provider, tracer}
function setup(options) {
  const spanProcessors = [];
  if (options.endpoint) {
    spanProcessors.push(new BatchSpanProcessor(makeExporter(options.endpoint, options.protocol), {
      scheduledDelayMillis: 200,
    }));
  }
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': options.service }),
    sampler: new TraceStateSampler(options.rootTraceState),
    spanProcessors,
  });
  provider.register({
    propagator: new CompositePropagator({
      propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()],
    }),
  });
  return { provider, tracer: api.trace.getTracer('asyncctx-interop-js', '1.0.0') };
}

// The baggage of a context as [{key, value, metadata}], sorted by key: the form both peers
// record and the driver compares.
function baggageEntries(ctx) {
  const bag = api.propagation.getBaggage(ctx);
  if (!bag) return [];
  return bag.getAllEntries()
    .map(([key, entry]) => ({ key, value: entry.value, metadata: entry.metadata ? entry.metadata.toString() : '' }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

module.exports = { api, setup, baggageEntries };
