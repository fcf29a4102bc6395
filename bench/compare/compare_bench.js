#!/usr/bin/env node
// The asyncctx comparison shapes, in Node.js (AsyncLocalStorage / AsyncResource).
//
// Run by bench/compare/run under Node 20 (async_hooks-based AsyncLocalStorage) and Node 26
// (AsyncContextFrame, the default since Node 24). Every shape runs in its own child process,
// so one shape never pays for another (in Node 20 an AsyncLocalStorage that was once run stays
// enabled, and its promise hook taxes every later promise).
//
//   node compare_bench.js [--quick] [--runner NAME] [--only SUBSTRING]
//
// Output: one JSON line per shape on stdout:
//   {"runner":"node20","shape":"get","ns_per_op":1.23,"wall_ns_per_op":1.25,"iters":..,"samples":[..],..}
// ns_per_op is CPU time per operation (the number the table uses), wall_ns_per_op wall time.
//
// Method (the same in compare_bench.py): warm up with doubling iteration counts for twice the
// sample time, size the samples to the target time (100 ms; --quick: 20 ms) from the last
// per-op cost, drop one sample, then time 5 (3) samples with process.hrtime.bigint() and
// process.cpuUsage() and report the median ns/op (CPU time; wall time beside it). Only the
// loop is timed: entering the N nested runs that a shape needs happens outside the clock.
'use strict';

const { AsyncLocalStorage, AsyncResource } = require('node:async_hooks');
const { spawnSync } = require('node:child_process');

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const QUICK = args.includes('--quick');
const RUNNER = opt('--runner', `node${process.versions.node.split('.')[0]}`);
const TARGET_NS = QUICK ? 20e6 : 100e6;  // one sample lasts at least this long
const SAMPLES = QUICK ? 3 : 5;
const WARMUP_NS = 2 * TARGET_NS;

let sink = 0;  // results flow here so the JIT cannot drop the work

// The clock: wall time (process.hrtime.bigint) and CPU time (process.cpuUsage, user + system,
// every thread of the process) of the same interval. The table uses CPU time, which a busy
// shared machine disturbs far less than wall time; both are reported.
const start = () => [process.hrtime.bigint(), process.cpuUsage()];
const since = ([w0, c0]) => {
  const wall = Number(process.hrtime.bigint() - w0);
  const c = process.cpuUsage(c0);
  return { wall, cpu: (c.user + c.system) * 1000 };
};
const noop = () => {};

// Calls fn() inside nested runs of storages[0..n-1], storage i holding the object {i}.
function nest(storages, n, fn, i = 0) {
  if (i === n) return fn();
  return storages[i].run({ i }, () => nest(storages, n, fn, i + 1));
}
const makeStorages = (n) => Array.from({ length: n }, () => new AsyncLocalStorage());

// Each shape is a factory, called once in the child process that runs the shape; it makes the
// storages and returns the body: (iters) => { wall, cpu } ns (or a promise of it) for `iters`
// operations. Storages are made once per shape, not per sample: in Node 26 a run at
// top level leaves its storage's key (bound to undefined) in the top-level frame, so a new
// storage per sample would grow the frame that every later run copies.
const shapes = {};

// get inside a run
shapes['get'] = () => {
  const als = new AsyncLocalStorage();
  return (iters) => als.run({ id: 1 }, () => {
    let acc = 0;
    const t0 = start();
    for (let i = 0; i < iters; i++) acc += als.getStore().id;
    const t = since(t0);
    sink += acc;
    return t;
  });
};

// get of the first storage of N nested runs (N distinct storages)
for (const n of [1, 10, 100]) {
  shapes[`get_nested/${n}`] = () => {
    const storages = makeStorages(n);
    const first = storages[0];
    return (iters) => nest(storages, n, () => {
      let acc = 0;
      const t0 = start();
      for (let i = 0; i < iters; i++) acc += first.getStore().i;
      const t = since(t0);
      sink += acc + 1;
      return t;
    });
  };
}

// run with an empty callback, at top level
shapes['run'] = () => {
  const als = new AsyncLocalStorage();
  const store = { id: 1 };
  return (iters) => {
    const t0 = start();
    for (let i = 0; i < iters; i++) als.run(store, noop);
    return since(t0);
  };
};

// one await hop (`await null`: a promise + a microtask turn) with N storages active
for (const n of [0, 1, 10, 100]) {
  shapes[`await_hop/${n}`] = () => {
    const storages = makeStorages(n);
    return (iters) => nest(storages, n, async () => {
      const t0 = start();
      for (let i = 0; i < iters; i++) await null;
      const t = since(t0);
      if (n > 0 && storages[0].getStore().i !== 0) throw new Error('context lost across await');
      return t;
    });
  };
}

// one event-loop hop (setImmediate chain) with one storage active
shapes['immediate_hop'] = () => {
  const als = new AsyncLocalStorage();
  return (iters) => als.run({ id: 7 }, () => new Promise((resolve, reject) => {
    let left = iters;
    const t0 = start();
    const hop = () => {
      if (--left > 0) return setImmediate(hop);
      const t = since(t0);
      if (als.getStore().id !== 7) return reject(new Error('context lost across setImmediate'));
      resolve(t);
    };
    setImmediate(hop);
  }));
};

// async-resource creation (captures the context) with N storages active
for (const n of [0, 1, 10, 100]) {
  shapes[`resource/${n}`] = () => {
    const storages = makeStorages(n);
    return (iters) => nest(storages, n, () => {
      let acc = 0;
      const t0 = start();
      for (let i = 0; i < iters; i++) acc += new AsyncResource('bench').asyncId();
      const t = since(t0);
      sink += acc;
      return t;
    });
  };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function measure(name) {
  const body = shapes[name]();
  // Warm-up: doubling iteration counts until WARMUP_NS of CPU time is spent (the first runs
  // are slow: JIT tiers, inline caches, the heap growing). Then the count for a TARGET_NS
  // sample comes from the last per-op cost, and one sample at that count is dropped.
  let iters = 100;
  let spent = 0;
  let perOp = 0;
  for (let round = 0; round < 40; round++) {  // bounded
    const t = (await body(iters)).cpu;
    spent += t;
    perOp = Math.max(t, 1) / iters;
    if (spent >= WARMUP_NS) break;
    iters = Math.min(2 ** 28, iters * 2);
  }
  iters = Math.max(100, Math.min(2 ** 30, Math.ceil(TARGET_NS / perOp)));
  await body(iters);
  const cpu = [];
  const wall = [];
  for (let s = 0; s < SAMPLES; s++) {
    const t = await body(iters);
    cpu.push(t.cpu / iters);
    wall.push(t.wall / iters);
  }
  const r3 = (x) => +x.toFixed(3);
  return { runner: RUNNER, shape: name, ns_per_op: r3(median(cpu)), wall_ns_per_op: r3(median(wall)), iters,
           samples: cpu.map(r3), wall_samples: wall.map(r3) };
}

async function main() {
  const shape = opt('--shape', null);
  if (shape !== null) {  // child: one shape
    if (!(shape in shapes)) throw new Error(`unknown shape ${shape}`);
    process.stdout.write(JSON.stringify(await measure(shape)) + '\n');
    if (sink === 0.5) console.error('');  // keep sink alive
    return;
  }
  const only = opt('--only', '');
  let failed = 0;
  for (const name of Object.keys(shapes)) {  // parent: one child process per shape
    if (only && !name.includes(only)) continue;
    const childArgs = [...process.execArgv, __filename, '--shape', name, '--runner', RUNNER];
    if (QUICK) childArgs.push('--quick');
    const r = spawnSync(process.execPath, childArgs, { encoding: 'utf8', timeout: 120e3 });
    if (r.status !== 0) {
      failed++;
      process.stderr.write(`${RUNNER} ${name}: failed (${r.status ?? r.signal})\n${r.stderr}`);
      continue;
    }
    process.stdout.write(r.stdout);
  }
  process.exitCode = failed ? 1 : 0;
}

main().catch((e) => { console.error(e); process.exit(1); });
