// OpenTelemetry JS side of bench/compare/trace_compare: start + end a span with 2 attributes
// into a BatchSpanProcessor whose exporter drops everything, the shape of trace_bench's
// span_start_end_2attrs_batch. Pinned: @opentelemetry/api 1.9.0, @opentelemetry/sdk-trace-base
// 2.12.1 (installed by trace_compare; NODE_PATH points at them).
// The loop yields to the event loop every 512 spans, so that the processor's exports (which
// run on this one thread) happen and the queue does not just fill up and drop.
// Prints one JSON line per round: {"runner", "case", "ns_per_op" (wall), "cpu_ns_per_op"
// (process CPU, user + system), "created", "exported"}.
'use strict';
const { BasicTracerProvider, BatchSpanProcessor } = require('@opentelemetry/sdk-trace-base');

const quick = process.argv.includes('--quick');
const runnerIndex = process.argv.indexOf('--runner');
const runner = runnerIndex > 0 ? process.argv[runnerIndex + 1] : 'node';

let exported = 0;
const exporter = {
  export(spans, done) {
    exported += spans.length;
    done({ code: 0 });
  },
  shutdown() { return Promise.resolve(); },
  forceFlush() { return Promise.resolve(); },
};
const provider = new BasicTracerProvider({
  spanProcessors: [new BatchSpanProcessor(exporter, {
    maxQueueSize: 2048, maxExportBatchSize: 512, scheduledDelayMillis: 5000, exportTimeoutMillis: 30000,
  })],
});
const tracer = provider.getTracer('bench');
const yieldToLoop = () => new Promise((resolve) => setImmediate(resolve));

async function round(n) {
  const cpu0 = process.cpuUsage();
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const span = tracer.startSpan('op');
    span.setAttribute('a', i);
    span.setAttribute('b', 'x');
    span.end();
    if ((i & 511) === 511) await yieldToLoop();
  }
  const wall = Number(process.hrtime.bigint() - start) / n;
  const cpu = process.cpuUsage(cpu0);
  return { wall, cpu: ((cpu.user + cpu.system) * 1000) / n };
}

(async () => {
  const n = quick ? 50000 : 300000;
  await round(n);  // warm-up (JIT)
  for (let r = 0; r < (quick ? 3 : 7); r++) {
    exported = 0;
    const t = await round(n);
    await provider.forceFlush();
    console.log(JSON.stringify({
      runner, case: 'span_start_end_2attrs_batch', ns_per_op: t.wall, cpu_ns_per_op: t.cpu, created: n, exported,
    }));
  }
  await provider.shutdown();
})();
