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
//   {"runner":"node20","shape":"get","ns_per_op":1.23,"iters":..,"samples":[..]}
//
// Method (the same in compare_bench.py): warm up by doubling the iteration count until one
// sample lasts at least the target time, then time `samples` samples of that many iterations
// with process.hrtime.bigint() and report the median ns/op. Only the loop is timed: entering
// the N nested runs that a shape needs happens outside the clock.
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

let sink = 0;  // results flow here so the JIT cannot drop the work
const noop = () => {};

// Calls fn() inside nested runs of storages[0..n-1], storage i holding the object {i}.
function nest(storages, n, fn, i = 0) {
  if (i === n) return fn();
  return storages[i].run({ i }, () => nest(storages, n, fn, i + 1));
}
const makeStorages = (n) => Array.from({ length: n }, () => new AsyncLocalStorage());

// Each shape: (iters) => elapsed ns (a number, or a promise of one) for `iters` operations.
const shapes = {};

// get inside a run
shapes['get'] = (iters) => {
  const als = new AsyncLocalStorage();
  return als.run({ id: 1 }, () => {
    let acc = 0;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < iters; i++) acc += als.getStore().id;
    const t = Number(process.hrtime.bigint() - t0);
    sink += acc;
    return t;
  });
};

// get of the first storage of N nested runs (N distinct storages)
for (const n of [1, 10, 100]) {
  shapes[`get_nested/${n}`] = (iters) => {
    const storages = makeStorages(n);
    const first = storages[0];
    return nest(storages, n, () => {
      let acc = 0;
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < iters; i++) acc += first.getStore().i;
      const t = Number(process.hrtime.bigint() - t0);
      sink += acc + 1;
      return t;
    });
  };
}

// run with an empty callback, at top level
shapes['run'] = (iters) => {
  const als = new AsyncLocalStorage();
  const store = { id: 1 };
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < iters; i++) als.run(store, noop);
  return Number(process.hrtime.bigint() - t0);
};

// one await hop (`await null`: a promise + a microtask turn) with N storages active
for (const n of [0, 1, 10, 100]) {
  shapes[`await_hop/${n}`] = (iters) => {
    const storages = makeStorages(n);
    return nest(storages, n, async () => {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < iters; i++) await null;
      const t = Number(process.hrtime.bigint() - t0);
      if (n > 0 && storages[0].getStore().i !== 0) throw new Error('context lost across await');
      return t;
    });
  };
}

// one event-loop hop (setImmediate chain) with one storage active
shapes['immediate_hop'] = (iters) => {
  const als = new AsyncLocalStorage();
  return als.run({ id: 7 }, () => new Promise((resolve, reject) => {
    let left = iters;
    const t0 = process.hrtime.bigint();
    const hop = () => {
      if (--left > 0) return setImmediate(hop);
      const t = Number(process.hrtime.bigint() - t0);
      if (als.getStore().id !== 7) return reject(new Error('context lost across setImmediate'));
      resolve(t);
    };
    setImmediate(hop);
  }));
};

// async-resource creation (captures the context) with N storages active
for (const n of [0, 1, 10, 100]) {
  shapes[`resource/${n}`] = (iters) => {
    const storages = makeStorages(n);
    return nest(storages, n, () => {
      let acc = 0;
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < iters; i++) acc += new AsyncResource('bench').asyncId();
      const t = Number(process.hrtime.bigint() - t0);
      sink += acc;
      return t;
    });
  };
}

async function measure(name) {
  const body = shapes[name];
  let iters = 1000;
  for (;;) {  // warm-up + calibration, bounded: at most 2^30 iterations
    const t = await body(iters);
    if (t >= TARGET_NS || iters >= 2 ** 30) break;
    iters = Math.min(2 ** 30, iters * Math.max(2, Math.min(16, Math.ceil(TARGET_NS / Math.max(t, 1)))));
  }
  const samples = [];
  for (let s = 0; s < SAMPLES; s++) samples.push((await body(iters)) / iters);
  const sorted = [...samples].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)];
  return { runner: RUNNER, shape: name, ns_per_op: +median.toFixed(3), iters,
           samples: samples.map((x) => +x.toFixed(3)) };
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
