#!/usr/bin/env node
// pino's side of the JSON-lines comparison (bench/compare/log_pino): lines/s of pino writing
// to /dev/null with a `mixin` that returns an AsyncLocalStorage store of 3 fields, the twin of
// log_bench's json_devnull/ours (3 context fields bound with log::with, JSON lines to
// /dev/null).
//
//   node log_pino_bench.js [--quick] [--runner NAME]     (pino found through NODE_PATH)
//
// Two pino set-ups, one JSON line each on stdout:
//   pino_same_output  the line ours writes: ISO time, level as a label, logger name, msg, the
//                     3 fields (timestamp: isoTime, formatters.level, base {logger})
//   pino_defaults     pino's defaults (epoch-ms time, numeric level, pid and hostname): its
//                     fastest configuration
// Both write through pino.destination({dest: '/dev/null', sync: true, minLength: 4096}):
// synchronous, buffered to 4 KiB like spdlog's file sink (stdio). The rate is lines per second
// of CPU time (user + system), as Google Benchmark's items_per_second; wall-clock beside it.
'use strict';

const { AsyncLocalStorage } = require('node:async_hooks');
const pino = require('pino');

const args = process.argv.slice(2);
const QUICK = args.includes('--quick');
const runnerAt = args.indexOf('--runner');
const RUNNER = runnerAt >= 0 ? args[runnerAt + 1] : `node${process.versions.node.split('.')[0]}`;
const LINES = QUICK ? 100_000 : 500_000;
const SAMPLES = QUICK ? 3 : 5;

const als = new AsyncLocalStorage();
const store = { user: 'alice', tenant: 7, request_id: '5f0c2b6e9d7a4e1f-0000000000000001' };

function makeLogger(sameOutput) {
  const dest = pino.destination({ dest: '/dev/null', sync: true, minLength: 4096 });
  const options = { mixin: () => als.getStore() };
  if (sameOutput) {
    options.base = { logger: 'bench' };
    options.timestamp = pino.stdTimeFunctions.isoTime;
    options.formatters = { level: (label) => ({ level: label }) };
  }
  return pino(options, dest);
}

function sample(logger, n) {
  const w0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  als.run(store, () => {
    for (let i = 0; i < n; i++) logger.info('handled %s in %d ms', 'GET /orders', 12);
  });
  const c = process.cpuUsage(c0);
  return { wall: Number(process.hrtime.bigint() - w0), cpu: (c.user + c.system) * 1000 };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

for (const [shape, sameOutput] of [['pino_same_output', true], ['pino_defaults', false]]) {
  const logger = makeLogger(sameOutput);
  sample(logger, LINES);  // warm-up: JIT
  const cpu = [];
  const wall = [];
  for (let s = 0; s < SAMPLES; s++) {
    const t = sample(logger, LINES);
    cpu.push((LINES * 1e9) / t.cpu);
    wall.push((LINES * 1e9) / t.wall);
  }
  logger.flush();
  process.stdout.write(JSON.stringify({
    runner: RUNNER, node: process.versions.node, pino: pino.version, shape,
    lines_per_s: median(cpu), wall_lines_per_s: median(wall), samples: cpu.map(Math.round),
  }) + '\n');
}
