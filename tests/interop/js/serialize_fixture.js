// Builds the spans of the payload fixture (tests/trace/interop/fixture_spans.json, format in
// its README.md) as OpenTelemetry JS ReadableSpans and writes what JsonTraceSerializer and
// ProtobufTraceSerializer (@opentelemetry/otlp-transformer) make of them.
// Usage: node serialize_fixture.js <fixture.json> <out.json> <out.pb>
// Attributes JS cannot hold (integers beyond 2^53) are left out, and listed on stdout; the
// comparison (compare_payloads.py) leaves them out of the JS side by the same rule.
'use strict';

const fs = require('node:fs');
const api = require('@opentelemetry/api');
const { resourceFromAttributes } = require('@opentelemetry/resources');
const { JsonTraceSerializer, ProtobufTraceSerializer } = require('@opentelemetry/otlp-transformer');

const TWO_POW_53 = 2n ** 53n;
const skipped = [];

function representable(attr) {
  const ints = attr.type === 'int' ? [attr.value] : attr.type === 'int_array' ? attr.value : [];
  return ints.every(v => { const b = BigInt(v); return b <= TWO_POW_53 && b >= -TWO_POW_53; });
}

function attributes(list, where) {
  const out = {};
  for (const a of list || []) {
    if (!representable(a)) { skipped.push(`${where}: ${a.key}`); continue; }
    out[a.key] = a.type === 'int' ? Number(a.value) : a.type === 'int_array' ? a.value.map(Number) : a.value;
  }
  return out;
}

function hrTime(nanos) {
  const n = BigInt(nanos);
  return [Number(n / 1000000000n), Number(n % 1000000000n)];
}

function traceState(s) { return s ? api.createTraceState(s) : undefined; }

function readableSpan(s, resource, scope) {
  const context = { traceId: s.trace_id, spanId: s.span_id, traceFlags: s.flags, traceState: traceState(s.trace_state) };
  const start = hrTime(s.start_unix_nano);
  const end = hrTime(s.end_unix_nano);
  const duration = hrTime((BigInt(s.end_unix_nano) - BigInt(s.start_unix_nano)).toString());
  return {
    name: s.name,
    kind: s.kind - 1,  // the API's SpanKind starts at INTERNAL = 0; OTLP's at 1
    spanContext: () => context,
    parentSpanContext: s.parent_span_id
      ? { traceId: s.trace_id, spanId: s.parent_span_id, traceFlags: s.flags, isRemote: !!s.parent_is_remote }
      : undefined,
    startTime: start,
    endTime: end,
    duration,
    ended: true,
    status: { code: s.status.code, ...(s.status.message ? { message: s.status.message } : {}) },
    attributes: attributes(s.attributes, `span ${s.span_id}`),
    links: (s.links || []).map(l => ({
      context: { traceId: l.trace_id, spanId: l.span_id, traceFlags: l.flags || 0, traceState: traceState(l.trace_state) },
      attributes: attributes(l.attributes, `link of ${s.span_id}`),
      droppedAttributesCount: l.dropped_attributes_count || 0,
    })),
    events: (s.events || []).map(e => ({
      name: e.name,
      time: hrTime(e.time_unix_nano),
      attributes: attributes(e.attributes, `event ${e.name}`),
      droppedAttributesCount: e.dropped_attributes_count || 0,
    })),
    resource,
    instrumentationScope: scope,
    droppedAttributesCount: s.dropped_attributes_count || 0,
    droppedEventsCount: s.dropped_events_count || 0,
    droppedLinksCount: s.dropped_links_count || 0,
  };
}

function main() {
  const [fixturePath, jsonPath, pbPath] = process.argv.slice(2);
  if (!pbPath) throw new Error('usage: node serialize_fixture.js <fixture.json> <out.json> <out.pb>');
  const fixture = JSON.parse(fs.readFileSync(fixturePath, 'utf8'));
  const resource = resourceFromAttributes(attributes(fixture.resource, 'resource'));
  const scope = { name: fixture.scope.name, version: fixture.scope.version };
  const scopeAttributes = attributes(fixture.scope.attributes, 'scope');
  if (Object.keys(scopeAttributes).length) scope.attributes = scopeAttributes;
  const spans = fixture.spans.map(s => readableSpan(s, resource, scope));
  fs.writeFileSync(jsonPath, JsonTraceSerializer.serializeRequest(spans));
  fs.writeFileSync(pbPath, ProtobufTraceSerializer.serializeRequest(spans));
  console.log(`OpenTelemetry JS serialized ${spans.length} spans; left out (integers beyond 2^53): ${skipped.join(', ') || 'none'}`);
}

main();
