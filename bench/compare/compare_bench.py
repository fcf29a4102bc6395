#!/usr/bin/env python3
"""The asyncctx comparison shapes, in Python 3 (contextvars + asyncio).

Python has no AsyncLocalStorage; its twin is contextvars.ContextVar (which TC39
AsyncContext.Variable also resembles). The closest honest equivalents, shape by shape:

  get             var.get() after var.set(v)
  get_nested/N    N distinct ContextVars set one after another; get of the first one
  run             tok = var.set(v); fn(); var.reset(tok)  -- bind, call, restore: what
                  als.run(store, fn) does. (copy_context().run(fn) is a different thing: it
                  copies without binding.)
  await_hop/N     `await asyncio.sleep(0)` inside a task, N variables set: one trip through the
                  event loop, the task resumed in its own context (Task.__step runs under
                  context.run). Python has no cheaper await that switches context: awaiting a
                  coroutine directly runs it as a plain call in the caller's context.
  immediate_hop   loop.call_soon chain with one variable set (call_soon captures the context)
  resource/N      contextvars.copy_context() with N variables set: what capturing a context
                  for a callback costs (AsyncResource captures the context at creation)

  python3 compare_bench.py [--quick] [--runner NAME] [--only SUBSTRING]

Prints one JSON line per shape, the same format as compare_bench.js. Each shape runs in its
own child process; see compare_bench.js for the method (calibrated loop, median of samples).
"""
import asyncio
import contextvars
import json
import subprocess
import sys
import time

ARGS = sys.argv[1:]


def opt(name, default=None):
    return ARGS[ARGS.index(name) + 1] if name in ARGS else default


QUICK = "--quick" in ARGS
RUNNER = opt("--runner", "python")
TARGET_NS = 20_000_000 if QUICK else 100_000_000
SAMPLES = 3 if QUICK else 5
WARMUP_NS = 2 * TARGET_NS


# The clock: wall time (perf_counter_ns) and CPU time (process_time_ns: user + system, every
# thread of the process) of the same interval. The table uses CPU time, which a busy shared
# machine disturbs far less than wall time; both are reported.
def now():
    return time.perf_counter_ns(), time.process_time_ns()


def since(t0):
    w, c = now()
    return w - t0[0], c - t0[1]


def noop():
    pass


def make_vars(n):
    return [contextvars.ContextVar(f"v{i}") for i in range(n)]


def in_context(variables, fn):
    """Runs fn() in a fresh context where variables[i] holds i (sets outside the clock)."""

    def body():
        for i, v in enumerate(variables):
            v.set(i)
        return fn()

    return contextvars.copy_context().run(body)


# Each shape is a factory called once in the child: it returns body(iters) -> (wall, cpu) ns.
SHAPES = {}


def shape(name):
    def register(factory):
        SHAPES[name] = factory
        return factory

    return register


@shape("get")
def _get():
    var = contextvars.ContextVar("id")

    def timed(iters):
        get = var.get
        acc = 0
        t0 = now()
        for _ in range(iters):
            acc += get()
        t = since(t0)
        assert acc == iters
        return t

    return lambda iters: in_context([var], lambda: (var.set(1), timed(iters))[1])


for _n in (1, 10, 100):

    @shape(f"get_nested/{_n}")
    def _get_nested(n=_n):
        variables = make_vars(n)
        first = variables[0]

        def timed(iters):
            get = first.get
            acc = 0
            t0 = now()
            for _ in range(iters):
                acc += get()
            t = since(t0)
            assert acc == 0
            return t

        return lambda iters: in_context(variables, lambda: timed(iters))


@shape("run")
def _run():
    var = contextvars.ContextVar("id")

    def timed(iters):
        setv, reset, f = var.set, var.reset, noop
        t0 = now()
        for _ in range(iters):
            tok = setv(1)
            f()
            reset(tok)
        return since(t0)

    return lambda iters: contextvars.copy_context().run(timed, iters)


for _n in (0, 1, 10, 100):

    @shape(f"await_hop/{_n}")
    def _await_hop(n=_n):
        variables = make_vars(n)

        async def timed(iters):
            sleep = asyncio.sleep
            t0 = now()
            for _ in range(iters):
                await sleep(0)
            t = since(t0)
            if n and variables[0].get() != 0:
                raise RuntimeError("context lost across await")
            return t

        # asyncio.run makes its task in a copy of the current context: the variables are set.
        return lambda iters: in_context(variables, lambda: asyncio.run(timed(iters)))


@shape("immediate_hop")
def _immediate_hop():
    var = contextvars.ContextVar("id")

    async def timed(iters):
        loop = asyncio.get_running_loop()
        done = loop.create_future()
        left = iters
        t0 = now()

        def hop():
            nonlocal left
            left -= 1
            if left > 0:
                loop.call_soon(hop)
                return
            t = since(t0)
            if var.get() != 7:
                done.set_exception(RuntimeError("context lost across call_soon"))
            else:
                done.set_result(t)

        loop.call_soon(hop)
        return await done

    def body(iters):
        var.set(7)
        return asyncio.run(timed(iters))

    return lambda iters: contextvars.copy_context().run(body, iters)


for _n in (0, 1, 10, 100):

    @shape(f"resource/{_n}")
    def _resource(n=_n):
        variables = make_vars(n)

        def timed(iters):
            copy = contextvars.copy_context
            acc = 0
            t0 = now()
            for _ in range(iters):
                acc += len(copy())
            t = since(t0)
            assert acc == n * iters
            return t

        return lambda iters: in_context(variables, lambda: timed(iters))


def measure(name):
    """Warm-up with doubling counts for WARMUP_NS of CPU, samples sized to TARGET_NS from the
    last per-op cost, one sample dropped, then the median of SAMPLES samples (CPU ns/op)."""
    body = SHAPES[name]()
    iters, spent, per_op = 100, 0, 0.0
    for _ in range(40):  # bounded
        cpu = body(iters)[1]
        spent += cpu
        per_op = max(cpu, 1) / iters
        if spent >= WARMUP_NS:
            break
        iters = min(1 << 28, iters * 2)
    iters = max(100, min(1 << 30, int(TARGET_NS / per_op) + 1))
    body(iters)
    walls, cpus = [], []
    for _ in range(SAMPLES):
        w, c = body(iters)
        walls.append(w / iters)
        cpus.append(c / iters)

    def median(xs):
        return sorted(xs)[len(xs) // 2]

    return {"runner": RUNNER, "shape": name, "ns_per_op": round(median(cpus), 3),
            "wall_ns_per_op": round(median(walls), 3), "iters": iters,
            "samples": [round(x, 3) for x in cpus], "wall_samples": [round(x, 3) for x in walls]}


def main():
    name = opt("--shape")
    if name is not None:
        if name not in SHAPES:
            raise SystemExit(f"unknown shape {name}")
        print(json.dumps(measure(name)), flush=True)
        return 0
    only = opt("--only", "")
    failed = 0
    for name in SHAPES:  # parent: one child process per shape
        if only and only not in name:
            continue
        cmd = [sys.executable, __file__, "--shape", name, "--runner", RUNNER] + (["--quick"] if QUICK else [])
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
        if r.returncode != 0:
            failed += 1
            sys.stderr.write(f"{RUNNER} {name}: failed ({r.returncode})\n{r.stderr}")
            continue
        sys.stdout.write(r.stdout)
        sys.stdout.flush()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
