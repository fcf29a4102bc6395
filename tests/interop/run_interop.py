#!/usr/bin/env python3
"""Interop test of asyncctx tracing against real peers, on 127.0.0.1 only.

Run by scripts/test.sh (step_interop) with the peers installed by scripts/peers.sh, under the
Python of the OpenTelemetry Python peer's virtual environment (it has opentelemetry-proto, used
to decode protobuf payloads):

  run_interop.py --js-peer DIR --python-peer PYTHON --jaeger JAEGER [--long]
                 TRACE_CONTEXT_SERVICE OTLP_PAYLOAD_DUMP
  run_interop.py --js-peer DIR --python-peer PYTHON --jaeger JAEGER --peers-only

What it checks (each check prints PASS or FAIL with what differed; the exit status is 1 when
one failed):
  1. Payloads: the fixture tests/trace/interop/fixture_spans.json written by our
     otlp_payload_dump and by OpenTelemetry JS's JsonTraceSerializer / ProtobufTraceSerializer
     carry the same content once decoded (compare_payloads.py); Jaeger accepts ours.
  2. Cross-service, for each OTLP protocol our service exports with (http/protobuf, http/json):
     a JS client (sdk-trace-node) POSTs to our /test with traceparent, tracestate and baggage;
     our service calls the JS and Python servers through its client helper; a Python client does
     the same. Each server saw the client's trace id, a parent id that is one of our CLIENT
     spans (a different one per outbound call), the tracestate and the baggage intact.
  3. Jaeger: every side exported over OTLP/HTTP to a real Jaeger; the trace read back from its
     query API is one tree with the expected span names, parents, kinds, attributes and
     service names.
--peers-only runs 2 and 3 with the peers calling each other directly (JS client -> Python
server, Python client -> JS server): everything but our binaries.
--long repeats the cross-service rounds (with several clients at once) and raises the waits.
"""

import argparse
import json
import os
import random
import shutil
import signal
import socket
import string
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
FIXTURE = os.path.join(REPO, "tests", "trace", "interop", "fixture_spans.json")

SERVICE_NAME = "asyncctx-trace-context-service"
JS_CLIENT, JS_SERVER = "interop-js-client", "interop-js-server"
PY_CLIENT, PY_SERVER = "interop-python-client", "interop-python-server"
SPAN_NAME = {JS_CLIENT: "interop js client", JS_SERVER: "interop js server",
             PY_CLIENT: "interop python client", PY_SERVER: "interop python server"}
KIND_INTERNAL, KIND_SERVER, KIND_CLIENT = 1, 2, 3
KIND_NAMES = {0: "unspecified", 1: "internal", 2: "server", 3: "client", 4: "producer", 5: "consumer"}


# --- reporting ---------------------------------------------------------------------------

class Report:
    """Counts and prints checks; safe to call from several threads (the --long rounds)."""

    def __init__(self):
        self.failures = []
        self.passes = 0
        self._lock = threading.Lock()

    def check(self, ok, what, detail=""):
        with self._lock:
            if ok:
                self.passes += 1
                print(f"PASS {what}", flush=True)
            else:
                self.failures.append(what)
                print(f"FAIL {what}" + (f"\n     {detail}" if detail else ""), flush=True)
        return ok

    def equal(self, got, expected, what):
        return self.check(got == expected, what, f"got {got!r}, expected {expected!r}")


# --- processes ---------------------------------------------------------------------------

def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Process:
    """A child process whose stdout's first line may announce `listening on 127.0.0.1:PORT`;
    stderr and the rest of stdout go to a log file, printed when a check fails."""

    def __init__(self, name, argv, logdir, env=None, cwd=None):
        self.name = name
        self.log_path = os.path.join(logdir, name.replace(" ", "_").replace("/", "_") + ".log")
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=self.log, env=env, cwd=cwd)
        self.port = None

    def wait_listening(self, timeout):
        result = {}

        def read():
            result["line"] = self.proc.stdout.readline().decode(errors="replace").strip()

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        reader.join(timeout)
        text = result.get("line")
        if text is None or not text.startswith("listening on 127.0.0.1:"):
            raise RuntimeError(f"{self.name} did not print 'listening on 127.0.0.1:PORT' within {timeout}s "
                               f"(got {text!r}, exit status {self.proc.poll()}); log:\n{self.tail()}")
        self.port = int(text.rsplit(":", 1)[1])
        # The rest of stdout is drained into the log so the child never blocks on a full pipe.
        threading.Thread(target=self._drain, daemon=True).start()
        return self.port

    def _drain(self):
        for chunk in iter(lambda: self.proc.stdout.read(4096), b""):
            self.log.write(chunk)
            self.log.flush()

    def tail(self, lines=40):
        if not self.log.closed:
            self.log.flush()
        try:
            with open(self.log_path, "rb") as f:
                return "\n".join(f.read().decode(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self, timeout=10):
        """SIGTERM (each of our children flushes its exporter on it), then SIGKILL."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        return self.proc.returncode


def http_request(method, url, body=None, headers=None, timeout=20):
    data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as res:
            return res.status, res.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def wait_until(predicate, timeout, interval=0.2):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)


class Jaeger:
    """Jaeger v2 with tests/interop/jaeger.yaml: OTLP/HTTP receiver and query API on free
    loopback ports (picked here; a start that loses a port race is retried)."""

    def __init__(self, binary, logdir, startup_timeout):
        last_error = None
        for attempt in range(3):
            self.otlp_port, self.query_port, grpc_port = free_port(), free_port(), free_port()
            env = dict(os.environ, ASYNCCTX_JAEGER_OTLP_HTTP_PORT=str(self.otlp_port),
                       ASYNCCTX_JAEGER_QUERY_HTTP_PORT=str(self.query_port),
                       ASYNCCTX_JAEGER_QUERY_GRPC_PORT=str(grpc_port))
            self.process = Process(f"jaeger-{attempt}", [binary, "--config", os.path.join(HERE, "jaeger.yaml")],
                                   logdir, env=env)
            if wait_until(self._ready, startup_timeout, 0.25):
                print(f"jaeger: OTLP/HTTP on 127.0.0.1:{self.otlp_port}, query API on 127.0.0.1:{self.query_port}",
                      flush=True)
                return
            last_error = self.process.tail()
            self.process.stop()
        raise RuntimeError(f"jaeger did not start; its log:\n{last_error}")

    @property
    def endpoint(self):
        return f"http://127.0.0.1:{self.otlp_port}"

    def _ready(self):
        if self.process.proc.poll() is not None:
            return False
        try:
            status, _ = http_request("GET", f"http://127.0.0.1:{self.query_port}/api/v3/services", timeout=2)
            with socket.create_connection(("127.0.0.1", self.otlp_port), timeout=2):
                pass
            return status == 200
        except OSError:
            return False

    def trace(self, trace_id):
        """The spans of a trace, read from the query API (/api/v3/traces/<id>, OTLP JSON):
        [{service, trace_id, span_id, parent_span_id, name, kind, attributes: {key: value}}]."""
        # raw_traces: the spans as stored, without the query service's adjustments.
        status, body = http_request(
            "GET", f"http://127.0.0.1:{self.query_port}/api/v3/traces/{trace_id}?raw_traces=true", timeout=5)
        if status != 200:
            return []
        spans = []
        doc = json.loads(body)
        for rs in doc.get("result", doc).get("resourceSpans", []):
            resource = attributes_of(rs.get("resource", {}).get("attributes", []))
            for ss in rs.get("scopeSpans", []):
                for s in ss.get("spans", []):
                    spans.append({
                        "service": resource.get("service.name"),
                        "trace_id": id_hex(s.get("traceId", "")),
                        "span_id": id_hex(s.get("spanId", "")),
                        "parent_span_id": id_hex(s.get("parentSpanId", "")),
                        "name": s.get("name"),
                        "kind": span_kind(s.get("kind", 0)),
                        "attributes": attributes_of(s.get("attributes", [])),
                    })
        return spans

    def wait_trace(self, trace_id, expected_count, timeout):
        """Polls until the trace has `expected_count` spans (bounded wait), then waits a little
        more so a span that should not be there has the time to arrive too."""
        spans = wait_until(lambda: (lambda s: s if len(s) >= expected_count else None)(self.trace(trace_id)), timeout)
        if spans is None:
            return self.trace(trace_id)
        time.sleep(0.5)
        return self.trace(trace_id)

    def stop(self):
        self.process.stop()


def id_hex(value):
    """Jaeger's OTLP JSON gives ids in hex (the OTLP mapping); base64 is accepted too."""
    if not value:
        return ""
    if all(c in string.hexdigits for c in value) and len(value) in (16, 32):
        return value.lower()
    import base64
    return base64.b64decode(value).hex()


def span_kind(value):
    """OTLP JSON has integer enums; proto3 JSON's enum names are accepted too."""
    if isinstance(value, str) and value.startswith("SPAN_KIND_"):
        return {"UNSPECIFIED": 0, "INTERNAL": 1, "SERVER": 2, "CLIENT": 3, "PRODUCER": 4,
                "CONSUMER": 5}.get(value[len("SPAN_KIND_"):], -1)
    return int(value)


def any_value(v):
    for k in ("stringValue", "boolValue", "doubleValue"):
        if k in v:
            return v[k]
    if "intValue" in v:
        return int(v["intValue"])
    if "arrayValue" in v:
        return [any_value(x) for x in v["arrayValue"].get("values", [])]
    return None


def attributes_of(kvs):
    return {kv["key"]: any_value(kv.get("value", {})) for kv in kvs}


# --- W3C headers, parsed strictly here so the check does not trust any peer's parser ----

def parse_traceparent(value):
    parts = (value or "").split("-")
    if len(parts) < 4 or len(parts[0]) != 2 or len(parts[1]) != 32 or len(parts[2]) != 16 or len(parts[3]) != 2:
        return None
    if any(c not in "0123456789abcdef" for c in "".join(parts[:4])):
        return None
    return {"version": parts[0], "trace_id": parts[1], "parent_id": parts[2], "flags": int(parts[3], 16)}


def tracestate_members(value):
    return [m.strip() for m in (value or "").split(",") if m.strip()]


def parse_baggage(value):
    """W3C Baggage: [(key, decoded value, (properties...))], in header order."""
    entries = []
    for member in (value or "").split(","):
        member = member.strip()
        if not member:
            continue
        fields = [f.strip() for f in member.split(";")]
        key, _, raw = fields[0].partition("=")
        entries.append((key.strip(), urllib.parse.unquote(raw.strip()), tuple(f for f in fields[1:] if f)))
    return entries


def expected_baggage(sent):
    return sorted((e["key"], e["value"], tuple(p.strip() for p in e.get("metadata", "").split(";") if p.strip()))
                  for e in sent)


# --- scenarios ---------------------------------------------------------------------------

def random_token(n, alphabet=string.ascii_lowercase + string.digits):
    return "".join(random.choice(alphabet) for _ in range(n))


def client_payload(peer, limits):
    """The tracestate and baggage a client sends. `limits`: at the sizes the W3C
    specifications say must be propagated (32 tracestate members, 512 characters; 64 baggage
    members, 8,192 bytes), else a few members with percent-encoding and properties."""
    if limits:
        members = [f"v{i:02d}{random_token(3)}=x{random_token(6)}" for i in range(31)] + ["tenant@vendor=ok"]
        baggage = [{"key": f"k{i:02d}", "value": random_token(110) + " %,;", "metadata": ""} for i in range(64)]
    else:
        members = ["asyncctx-interop=" + random_token(8), "rojo=00f067aa0ba902b7", "fw529a3039@dt=t61rcWkgMzE"]
        baggage = [
            {"key": "user.id", "value": "alice-" + random_token(6), "metadata": ""},
            {"key": "note", "value": "hello world, 100% sure; =ok", "metadata": ""},
            {"key": "tenant", "value": "acme", "metadata": "scope=internal;sensitive" if peer == "js" else ""},
        ]
    return ",".join(members), baggage


def run_client(peer, peers, service_url, items, jaeger, protocol, limits, logdir, report):
    tracestate, baggage = client_payload(peer, limits)
    config = {"service": JS_CLIENT if peer == "js" else PY_CLIENT, "endpoint": jaeger.endpoint,
              "protocol": protocol if peer == "js" else "http/protobuf", "url": service_url, "body": items,
              "tracestate": tracestate, "baggage": baggage}
    if peer == "js":
        argv = ["node", os.path.join(HERE, "js", "client.js"), json.dumps(config)]
    else:
        argv = [peers.python, os.path.join(HERE, "python", "client.py"), json.dumps(config)]
    done = subprocess.run(argv, capture_output=True, env=peers.env(peer), timeout=120)
    if not report.check(done.returncode == 0, f"{peer} client ran", done.stderr.decode(errors="replace")[-2000:]):
        return None
    out = json.loads(done.stdout.decode().strip().splitlines()[-1])
    out.update(tracestate=tracestate, sent_baggage=baggage, peer=peer, protocol=config["protocol"])
    on_wire = sorted(parse_baggage(out["sent"].get("baggage")))
    if peer == "js":
        report.equal(on_wire, expected_baggage(baggage), f"{peer} client put its baggage on the wire as W3C Baggage says")
    elif on_wire != expected_baggage(baggage):
        # OpenTelemetry Python percent-encodes baggage values with urllib's quote_plus: a space
        # goes out as '+', which W3C Baggage reads as a '+'. What it sent is what is checked.
        print(f"note: the python client's baggage on the wire differs from what it was given (spaces as '+'): "
              f"{out['sent'].get('baggage', '')[:120]}...", flush=True)
    return out


def check_headers_at_server(tag, client, record, report, direct):
    """What a server got from a client, directly (`direct`) or through our service."""
    tp = parse_traceparent(record["headers"].get("traceparent"))
    if not report.check(tp is not None, f"{tag}: traceparent received is valid", repr(record["headers"])):
        return None
    report.equal(tp["trace_id"], client["trace_id"], f"{tag}: same trace id as the client")
    if direct:
        report.equal(tp["parent_id"], client["span_id"], f"{tag}: parent id is the client's span")
    else:
        report.check(tp["parent_id"] != client["span_id"],
                     f"{tag}: parent id is a new span of ours, not the client's span", tp["parent_id"])
    report.equal(tp["flags"] & 1, 1, f"{tag}: sampled flag kept")
    sent, got = tracestate_members(client["tracestate"]), tracestate_members(record["headers"].get("tracestate"))
    # A service may put its own member in front (W3C Trace Context: a vendor updating its entry).
    report.check(got == sent or got[1:] == sent, f"{tag}: tracestate kept (all {len(sent)} members, in order)",
                 f"sent {sent}, got {got}")
    # Intact = the entries the client put on the wire, decoded by the W3C rules (what the client
    # meant to send is checked once per client, in run_client).
    report.equal(sorted(parse_baggage(record["headers"].get("baggage"))), sorted(parse_baggage(client["sent"]["baggage"])),
                 f"{tag}: baggage intact (keys, decoded values, properties)")
    return tp["parent_id"]


def records_for(server_url, trace_id):
    status, body = http_request("GET", server_url + "/records")
    if status != 200:
        return []
    return [r for r in json.loads(body)
            if (parse_traceparent(r["headers"].get("traceparent")) or {}).get("trace_id") == trace_id]


def check_tree(tag, spans, expected, report):
    """`expected`: [(service, kind, name or predicate, parent index or None, {attr: value or None})],
    in an order where each parent comes first. Checks that the trace is exactly that tree."""
    report.equal(len(spans), len(expected), f"{tag}: Jaeger has every span of the trace, and no other")
    unmatched = list(spans)
    matched = []
    for i, (service, kind, name, parent, attrs) in enumerate(expected):
        parent_id = "" if parent is None else (matched[parent]["span_id"] if matched[parent] else None)
        what = f"{tag}: span {i} ({service}, {KIND_NAMES[kind]}, parent {'none' if parent is None else parent})"
        found = [s for s in unmatched if s["service"] == service and s["kind"] == kind and s["parent_span_id"] == parent_id
                 and (name(s["name"]) if callable(name) else s["name"] == name)]
        if not report.check(bool(found), what + " is in Jaeger with the right service, kind, name and parent",
                            "spans: " + json.dumps(spans, indent=1)[:4000]):
            matched.append(None)
            continue
        span = found[0]
        unmatched.remove(span)
        matched.append(span)
        for key, value in attrs.items():
            got = span["attributes"].get(key)
            if value is None:
                report.check(got not in (None, ""), f"{what}: attribute {key} is set", f"attributes {span['attributes']}")
            else:
                report.equal(got, value, f"{what}: attribute {key}")
    report.check(not unmatched, f"{tag}: no unexpected span", json.dumps(unmatched)[:2000])
    return matched


def server_span_attrs(port):
    return {"http.request.method": "POST", "url.path": "/test", "url.scheme": "http",
            "http.response.status_code": 200, "server.address": None, "server.port": port}


def client_span_attrs(url):
    parsed = urllib.parse.urlsplit(url)
    return {"http.request.method": "POST", "url.full": url, "server.address": parsed.hostname,
            "server.port": parsed.port, "http.response.status_code": 200}


def is_http_span_name(name):
    return name == "POST" or name.startswith("POST ")


def round_through_service(tag, client_peer, servers, peers, service, jaeger, protocol, limits, logdir, report, timeout):
    """One client call through our service to the given peer servers; checks headers and tree."""
    path = f"/record/{client_peer}-{protocol.replace('/', '-')}"
    items = [{"url": url + path, "arguments": {"from": client_peer, "to": name}}
             for name, url in servers]
    client = run_client(client_peer, peers, f"http://127.0.0.1:{service.port}/test", items, jaeger, protocol, limits,
                        logdir, report)
    if client is None:
        return
    report.equal(client["status"], 200, f"{tag}: our /test answered 200")
    parent_ids = []
    for (name, url), item in zip(servers, items):
        recs = records_for(url, client["trace_id"])
        if not report.equal(len(recs), 1, f"{tag}: {name} got exactly one call in this trace"):
            continue
        report.equal(json.loads(recs[0]["body"]), item["arguments"], f"{tag}: {name} got the item's arguments")
        parent_ids.append(check_headers_at_server(f"{tag}: at {name}", client, recs[0], report, direct=False))
    report.equal(len(set(parent_ids)), len(parent_ids), f"{tag}: each outbound call has its own client span")
    for _, url in servers:
        http_request("POST", url + "/flush")
    http_request("POST", f"http://127.0.0.1:{service.port}/flush")
    client_service = JS_CLIENT if client_peer == "js" else PY_CLIENT
    expected = [(client_service, KIND_CLIENT, SPAN_NAME[client_service], None, {"peer.role": f"{client_peer}-client"}),
                (SERVICE_NAME, KIND_SERVER, is_http_span_name, 0, server_span_attrs(service.port))]
    for (name, url), item in zip(servers, items):
        expected.append((SERVICE_NAME, KIND_CLIENT, is_http_span_name, 1, client_span_attrs(item["url"])))
        expected.append((name, KIND_SERVER, SPAN_NAME[name], len(expected) - 1,
                         {"url.path": urllib.parse.urlsplit(item["url"]).path}))
    spans = jaeger.wait_trace(client["trace_id"], len(expected), timeout)
    matched = check_tree(f"{tag}: Jaeger trace {client['trace_id']}", spans, expected, report)
    # The parent id each server saw is the id of our CLIENT span of that call (as exported).
    ours = [m["span_id"] for m, e in zip(matched, expected) if m and e[0] == SERVICE_NAME and e[1] == KIND_CLIENT]
    report.equal(sorted(p for p in parent_ids if p), sorted(ours),
                 f"{tag}: the parent ids the servers got are our exported CLIENT spans")


def round_direct(tag, client_peer, server, peers, jaeger, protocol, limits, logdir, report, timeout):
    """--peers-only: a client calls a peer server directly."""
    name, url = server
    client = run_client(client_peer, peers, f"{url}/record/direct", {"from": client_peer}, jaeger, protocol, limits,
                        logdir, report)
    if client is None:
        return
    report.equal(client["status"], 200, f"{tag}: {name} answered 200")
    recs = records_for(url, client["trace_id"])
    if report.equal(len(recs), 1, f"{tag}: {name} got exactly one call in this trace"):
        check_headers_at_server(f"{tag}: at {name}", client, recs[0], report, direct=True)
    http_request("POST", url + "/flush")
    client_service = JS_CLIENT if client_peer == "js" else PY_CLIENT
    expected = [(client_service, KIND_CLIENT, SPAN_NAME[client_service], None, {"peer.role": f"{client_peer}-client"}),
                (name, KIND_SERVER, SPAN_NAME[name], 0, {"url.path": "/record/direct"})]
    spans = jaeger.wait_trace(client["trace_id"], len(expected), timeout)
    check_tree(f"{tag}: Jaeger trace {client['trace_id']}", spans, expected, report)


class Peers:
    def __init__(self, js_dir, python):
        self.js_dir, self.python = js_dir, python

    def env(self, peer):
        env = dict(os.environ)
        for k in [k for k in env if k.startswith("OTEL_")]:
            del env[k]  # the peers are configured by their arguments only
        if peer == "js":
            env["NODE_PATH"] = os.path.join(self.js_dir, "node_modules")
        else:
            env["PYTHONPATH"] = os.path.join(HERE, "python")
        return env

    def start_server(self, peer, protocol, jaeger, logdir, timeout):
        service = JS_SERVER if peer == "js" else PY_SERVER
        config = json.dumps({"service": service, "endpoint": jaeger.endpoint,
                             "protocol": protocol if peer == "js" else "http/protobuf"})
        if peer == "js":
            argv = ["node", os.path.join(HERE, "js", "server.js"), config]
        else:
            argv = [self.python, os.path.join(HERE, "python", "server.py"), config]
        proc = Process(f"{service}-{protocol}", argv, logdir, env=self.env(peer))
        proc.wait_listening(timeout)
        return proc


def start_our_service(binary, protocol, jaeger, logdir, timeout):
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    env.update(OTEL_SERVICE_NAME=SERVICE_NAME, OTEL_TRACES_EXPORTER="otlp", OTEL_EXPORTER_OTLP_ENDPOINT=jaeger.endpoint,
               OTEL_EXPORTER_OTLP_PROTOCOL=protocol, OTEL_PROPAGATORS="tracecontext,baggage",
               OTEL_TRACES_SAMPLER="parentbased_always_on", OTEL_BSP_SCHEDULE_DELAY="200")
    proc = Process(f"trace_context_service-{protocol.replace('/', '_')}", [binary, "--port", "0"], logdir, env=env)
    proc.wait_listening(timeout)
    return proc


# --- payloads ----------------------------------------------------------------------------

def check_payloads(dump_tool, peers, jaeger, workdir, report):
    import compare_payloads

    ours_json, ours_pb = os.path.join(workdir, "ours.json"), os.path.join(workdir, "ours.pb")
    theirs_json, theirs_pb = os.path.join(workdir, "theirs.json"), os.path.join(workdir, "theirs.pb")
    done = subprocess.run([dump_tool, FIXTURE, ours_json, ours_pb], capture_output=True, timeout=60)
    if not report.check(done.returncode == 0, "otlp_payload_dump wrote our payloads",
                        done.stderr.decode(errors="replace")[-2000:]):
        return
    done = subprocess.run(["node", os.path.join(HERE, "js", "serialize_fixture.js"), FIXTURE, theirs_json, theirs_pb],
                          capture_output=True, env=peers.env("js"), timeout=60)
    if not report.check(done.returncode == 0, "OpenTelemetry JS serialized the fixture",
                        done.stderr.decode(errors="replace")[-2000:]):
        return
    for line in done.stdout.decode().splitlines():
        print(f"     {line}")
    compare_payloads.compare_all(FIXTURE, ours_json, ours_pb, theirs_json, theirs_pb, report)
    # A real back end takes both of our payloads (an OTLP/HTTP receiver answers 200 with an
    # ExportTraceServiceResponse, and would answer 400 to a payload it cannot decode).
    for path, content_type in ((ours_pb, "application/x-protobuf"), (ours_json, "application/json")):
        with open(path, "rb") as f:
            status, body = http_request("POST", jaeger.endpoint + "/v1/traces", f.read(), {"content-type": content_type})
        report.check(status == 200, f"Jaeger's OTLP/HTTP receiver accepts our {content_type} payload",
                     f"status {status}: {body[:500]!r}")
    # And stores what they say: each fixture span twice (once per payload), with its name, kind
    # and parent.
    with open(FIXTURE, encoding="utf-8") as f:
        fixture_spans = json.load(f)["spans"]
    for trace_id in sorted({s["trace_id"] for s in fixture_spans}):
        expected = sorted((s["span_id"], s["parent_span_id"], s["name"], s["kind"]) for s in fixture_spans
                          if s["trace_id"] == trace_id) * 2
        stored = jaeger.wait_trace(trace_id, len(expected), 20)
        report.equal(sorted((s["span_id"], s["parent_span_id"], s["name"], s["kind"]) for s in stored), sorted(expected),
                     f"Jaeger stored the fixture's trace {trace_id} from both of our payloads (ids, parents, names, kinds)")


# --- main --------------------------------------------------------------------------------

def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("trace_context_service", nargs="?")
    parser.add_argument("otlp_payload_dump", nargs="?")
    parser.add_argument("--js-peer", required=True, help="folder holding the OpenTelemetry JS node_modules")
    parser.add_argument("--python-peer", required=True, help="python of the OpenTelemetry Python venv")
    parser.add_argument("--jaeger", required=True, help="the jaeger binary")
    parser.add_argument("--long", action="store_true", help="more rounds, several clients at once")
    parser.add_argument("--peers-only", action="store_true", help="the peers against each other, without our binaries")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (logs, payloads)")
    args = parser.parse_args()
    if not args.peers_only and not (args.trace_context_service and args.otlp_payload_dump):
        parser.error("the paths of trace_context_service and otlp_payload_dump are required (or --peers-only)")
    if shutil.which("node") is None:
        parser.error("node is not on PATH")
    sys.path.insert(0, HERE)

    rounds = 8 if args.long else 1
    timeout = 60 if args.long else 20
    report = Report()
    peers = Peers(args.js_peer, args.python_peer)
    workdir = tempfile.mkdtemp(prefix="asyncctx-interop-")
    started = []
    jaeger = None
    try:
        jaeger = Jaeger(args.jaeger, workdir, timeout)
        started.append(jaeger)
        if not args.peers_only:
            check_payloads(args.otlp_payload_dump, peers, jaeger, workdir, report)
        for protocol in ("http/protobuf", "http/json"):
            print(f"\n--- OTLP {protocol} ---", flush=True)
            js_server = peers.start_server("js", protocol, jaeger, workdir, timeout)
            started.append(js_server)
            py_server = peers.start_server("python", protocol, jaeger, workdir, timeout)
            started.append(py_server)
            servers = {"js": (JS_SERVER, f"http://127.0.0.1:{js_server.port}"),
                       "python": (PY_SERVER, f"http://127.0.0.1:{py_server.port}")}
            jobs = []
            if args.peers_only:
                for r in range(rounds):
                    for limits in (False, True):
                        size = "W3C limits" if limits else "small"
                        jobs.append((round_direct, (f"[{protocol}] js client -> python server, {size} #{r}", "js",
                                                    servers["python"], peers, jaeger, protocol, limits)))
                        jobs.append((round_direct, (f"[{protocol}] python client -> js server, {size} #{r}", "python",
                                                    servers["js"], peers, jaeger, protocol, limits)))
            else:
                service = start_our_service(args.trace_context_service, protocol, jaeger, workdir, timeout)
                started.append(service)
                for r in range(rounds):
                    for limits in (False, True):
                        size = "W3C limits" if limits else "small"
                        jobs.append((round_through_service,
                                     (f"[{protocol}] js client -> ours -> js + python servers, {size} #{r}", "js",
                                      [servers["js"], servers["python"]], peers, service, jaeger, protocol, limits)))
                        jobs.append((round_through_service,
                                     (f"[{protocol}] python client -> ours -> python server, {size} #{r}", "python",
                                      [servers["python"]], peers, service, jaeger, protocol, limits)))
            run_jobs(jobs, workdir, report, timeout, parallel=4 if args.long else 1)
            for proc in started[1:]:
                code = proc.stop()
                report.check(code == 0, f"[{protocol}] {proc.name} exited cleanly on SIGTERM",
                             f"exit status {code}; log:\n{proc.tail()}")
            del started[1:]
    except RuntimeError as err:
        report.check(False, "interop set-up", str(err))
    finally:
        for proc in reversed(started):
            proc.stop()
        if report.failures:
            for log in sorted(os.listdir(workdir)):
                if log.endswith(".log"):
                    with open(os.path.join(workdir, log), "rb") as f:
                        text = f.read().decode(errors="replace").splitlines()[-30:]
                    print(f"\n--- last lines of {log} ---\n" + "\n".join(text))
        if args.keep:
            print(f"work folder kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    print(f"\ninterop: {report.passes} checks passed, {len(report.failures)} failed")
    for what in report.failures:
        print(f"  FAILED: {what}")
    return 1 if report.failures else 0


def run_jobs(jobs, workdir, report, timeout, parallel):
    if parallel <= 1:
        for fn, fargs in jobs:
            fn(*fargs, workdir, report, timeout)
        return
    pending = list(jobs)
    lock = threading.Lock()

    def worker():
        while True:
            with lock:
                if not pending:
                    return
                fn, fargs = pending.pop(0)
            fn(*fargs, workdir, report, timeout)

    threads = [threading.Thread(target=worker) for _ in range(parallel)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


if __name__ == "__main__":
    sys.exit(main())
