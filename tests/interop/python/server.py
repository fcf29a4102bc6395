"""The OpenTelemetry Python server peer. Usage: python server.py '<config JSON>' with
  {service, endpoint, protocol}
Listens on 127.0.0.1, any free port, and prints `listening on 127.0.0.1:PORT` once.
  POST <any other path>  extracts the W3C headers, starts a SERVER span child of the extracted
                         context, records what it got, answers 200 with the record
  GET  /records          the records so far, as a JSON array
  POST /flush            force-flushes the exporter, then answers 200
The record has the same form as server.js's. SIGTERM and SIGINT shut the provider down
(flushing it) and exit 0.
"""

import json
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from opentelemetry import propagate, trace
from opentelemetry.context import Context

from otel_setup import baggage_entries, setup

config = json.loads(sys.argv[1])
provider, tracer = setup(config["service"], config.get("endpoint"), config.get("protocol", "http/protobuf"))
records = []
records_lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _reply(self, status, value):
        body = json.dumps(value).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path == "/records":
            with records_lock:
                return self._reply(200, list(records))
        self._reply(404, {"error": "not found"})

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", "0") or 0)).decode("utf-8", "replace")
        if self.path == "/flush":
            return self._reply(200, {"flushed": provider.force_flush()})
        carrier = {k.lower(): v for k, v in self.headers.items()}
        ctx = propagate.extract(carrier, context=Context())
        remote = trace.get_current_span(ctx).get_span_context()
        attributes = {"http.request.method": "POST", "url.path": self.path, "peer.role": "python-server"}
        span = tracer.start_span("interop python server", context=ctx, kind=trace.SpanKind.SERVER, attributes=attributes)
        sc = span.get_span_context()
        record = {
            "path": self.path,
            "headers": {h: self.headers.get(h) for h in ("traceparent", "tracestate", "baggage")},
            "body": body,
            "extracted": {"trace_id": format(remote.trace_id, "032x"), "span_id": format(remote.span_id, "016x"),
                          "trace_state": remote.trace_state.to_header(), "is_remote": remote.is_remote}
            if remote.is_valid else None,
            "baggage": baggage_entries(ctx),
            "span": {"trace_id": format(sc.trace_id, "032x"), "span_id": format(sc.span_id, "016x"),
                     "parent_span_id": format(remote.span_id, "016x") if remote.is_valid else ""},
        }
        with records_lock:
            records.append(record)
        span.set_attribute("http.response.status_code", 200)
        span.end()
        self._reply(200, record)


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)


def stop(*_):
    threading.Thread(target=server.shutdown, daemon=True).start()


signal.signal(signal.SIGTERM, stop)
signal.signal(signal.SIGINT, stop)
print(f"listening on 127.0.0.1:{server.server_address[1]}", flush=True)
server.serve_forever()
provider.shutdown()
