// The OpenTelemetry JS client peer. Usage: node client.js '<config JSON>' with
//   {service, endpoint, protocol, url, body, baggage: [{key, value, metadata}], tracestate}
// It starts a CLIENT span (a root span whose tracestate is `tracestate`), puts `baggage` in
// the context, POSTs `body` (JSON) to `url` with the headers the W3C propagators inject, ends
// the span, flushes its exporter and prints one JSON line: the span's ids, the headers sent,
// the response status and body.
'use strict';

const http = require('node:http');
const { api, setup, baggageEntries } = require('./otel_setup');

function post(url, headers, body) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' } }, res => {
      const chunks = [];
      res.on('data', c => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.setTimeout(20000, () => req.destroy(new Error(`timeout posting to ${url}`)));
    req.end(body);
  });
}

async function main() {
  const config = JSON.parse(process.argv[2]);
  const { provider, tracer } = setup({ ...config, rootTraceState: config.tracestate });
  const entries = {};
  for (const e of config.baggage || []) {
    entries[e.key] = { value: e.value, ...(e.metadata ? { metadata: api.baggageEntryMetadataFromString(e.metadata) } : {}) };
  }
  const ctx = api.propagation.setBaggage(api.context.active(), api.propagation.createBaggage(entries));
  const out = await api.context.with(ctx, () => tracer.startActiveSpan('interop js client', {
    kind: api.SpanKind.CLIENT,
    attributes: { 'http.request.method': 'POST', 'url.full': config.url, 'peer.role': 'js-client' },
  }, async span => {
    const headers = {};
    api.propagation.inject(api.context.active(), headers);
    try {
      const res = await post(config.url, headers, JSON.stringify(config.body));
      span.setAttribute('http.response.status_code', res.status);
      const sc = span.spanContext();
      return { trace_id: sc.traceId, span_id: sc.spanId, sent: headers, baggage: baggageEntries(api.context.active()), status: res.status, response: res.body };
    } finally {
      span.end();
    }
  }));
  await provider.shutdown();  // flushes the batch processor: the span is exported before exit
  process.stdout.write(JSON.stringify(out) + '\n');
}

main().catch(err => { console.error(`js client: ${err.stack || err}`); process.exit(1); });
