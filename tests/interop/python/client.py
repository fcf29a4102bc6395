"""The OpenTelemetry Python client peer. Usage: python client.py '<config JSON>' with
  {service, endpoint, protocol, url, body, baggage: [{key, value}], tracestate}
Starts a CLIENT span (a root span whose tracestate is `tracestate`), puts `baggage` in the
context, POSTs `body` (JSON) to `url` with the headers the W3C propagators inject, ends the span,
flushes its exporter and prints one JSON line: the span's ids, the headers sent, the response
status and body. (Baggage properties are not in the Python API, so none are sent.)
"""

import json
import sys
import urllib.error
import urllib.request

from opentelemetry import baggage, context, propagate, trace

from otel_setup import baggage_entries, setup


def main():
    config = json.loads(sys.argv[1])
    provider, tracer = setup(config["service"], config.get("endpoint"), config.get("protocol", "http/protobuf"), config.get("tracestate"))
    ctx = context.get_current()
    for entry in config.get("baggage", []):
        ctx = baggage.set_baggage(entry["key"], entry["value"], ctx)
    token = context.attach(ctx)
    try:
        attributes = {"http.request.method": "POST", "url.full": config["url"], "peer.role": "python-client"}
        with tracer.start_as_current_span("interop python client", kind=trace.SpanKind.CLIENT, attributes=attributes) as span:
            headers = {}
            propagate.inject(headers)
            request = urllib.request.Request(config["url"], data=json.dumps(config["body"]).encode(), method="POST",
                                             headers={**headers, "content-type": "application/json"})
            try:
                with urllib.request.urlopen(request, timeout=20) as response:
                    status, body = response.status, response.read().decode()
            except urllib.error.HTTPError as err:
                status, body = err.code, err.read().decode(errors="replace")
            span.set_attribute("http.response.status_code", status)
            sc = span.get_span_context()
            out = {"trace_id": format(sc.trace_id, "032x"), "span_id": format(sc.span_id, "016x"), "sent": headers,
                   "baggage": baggage_entries(context.get_current()), "status": status, "response": body}
    finally:
        context.detach(token)
    provider.shutdown()  # flushes the batch processor: the span is exported before exit
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
