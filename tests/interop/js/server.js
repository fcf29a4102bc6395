// The OpenTelemetry JS server peer. Usage: node server.js '<config JSON>' with
//   {service, endpoint, protocol}
// Listens on 127.0.0.1, any free port, and prints `listening on 127.0.0.1:PORT` once.
//   POST <any other path>  extracts the W3C headers, starts a SERVER span child of the
//                          extracted context, records what it got, answers 200 with the record
//   GET  /records          the records so far, as a JSON array
//   POST /flush            force-flushes the exporter, then answers 200
// A record: {path, headers: {traceparent, tracestate, baggage}, body, extracted: {trace_id,
// span_id, trace_state, is_remote}, baggage: [{key, value, metadata}], span: {trace_id, span_id,
// parent_span_id}}. SIGTERM and SIGINT shut the provider down (flushing it) and exit 0.
'use strict';

const http = require('node:http');
const { api, setup, baggageEntries } = require('./otel_setup');

const config = JSON.parse(process.argv[2]);
const { provider, tracer } = setup(config);
const records = [];

function reply(res, status, value) {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', c => chunks.push(c));
  req.on('end', () => {
    if (req.method === 'GET' && req.url === '/records') return reply(res, 200, records);
    if (req.method === 'POST' && req.url === '/flush') {
      return provider.forceFlush().then(() => reply(res, 200, { flushed: true }), err => reply(res, 500, { error: String(err) }));
    }
    const ctx = api.propagation.extract(api.ROOT_CONTEXT, req.headers);
    const remote = api.trace.getSpanContext(ctx);
    const span = tracer.startSpan('interop js server', {
      kind: api.SpanKind.SERVER,
      attributes: { 'http.request.method': req.method, 'url.path': req.url, 'peer.role': 'js-server' },
    }, ctx);
    const sc = span.spanContext();
    const record = {
      path: req.url,
      headers: { traceparent: req.headers.traceparent, tracestate: req.headers.tracestate, baggage: req.headers.baggage },
      body: Buffer.concat(chunks).toString('utf8'),
      extracted: remote ? { trace_id: remote.traceId, span_id: remote.spanId, trace_state: remote.traceState ? remote.traceState.serialize() : '', is_remote: !!remote.isRemote } : null,
      baggage: baggageEntries(ctx),
      span: { trace_id: sc.traceId, span_id: sc.spanId, parent_span_id: remote ? remote.spanId : '' },
    };
    records.push(record);
    span.setAttribute('http.response.status_code', 200);
    span.end();
    reply(res, 200, record);
  });
});

function stop() {
  server.close();
  provider.shutdown().finally(() => process.exit(0));
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`listening on 127.0.0.1:${server.address().port}\n`);
});
