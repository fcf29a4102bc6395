#!/usr/bin/env python3
"""Compares the OTLP trace payloads that our encoders and OpenTelemetry JS make of the fixture
tests/trace/interop/fixture_spans.json, by content, not bytes.

Protobuf payloads are decoded with the official generated classes of the `opentelemetry-proto`
package (ExportTraceServiceRequest); JSON payloads are read by the OTLP JSON mapping (ids in
hex, lowerCamelCase keys, enums as integers, 64-bit integers as strings or numbers) into the
same classes. Each payload then becomes one canonical form: a list of spans, each with its
resource and scope, attributes sorted by key (their order carries no meaning), ids in hex.
Events and links keep their order (it is part of the span).

Checks:
  - our JSON follows the OTLP JSON mapping strictly (what a receiver may insist on);
  - our JSON and our protobuf carry exactly the fixture (the 64-bit integers too);
  - our JSON carries what JS's JsonTraceSerializer gives, our protobuf what its
    ProtobufTraceSerializer gives, for every attribute JS can hold;
  - JS's own payloads carry the fixture (so a difference above is ours, not the fixture's).
Span flags: the low 8 bits are the W3C trace flags; bits 8 and 9 say whether the parent is
known to be remote (OTLP SpanFlags) and are compared for spans. For links, whose remoteness our
model does not carry, only the low 8 bits are compared.

Usage (standalone): compare_payloads.py <fixture> <ours.json> <ours.pb> <theirs.json> <theirs.pb>
"""

import base64
import json
import re
import sys

from google.protobuf import json_format
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

HAS_IS_REMOTE, IS_REMOTE = 0x100, 0x200
TWO_POW_53 = 2**53
ID_FIELDS = {"traceId": 32, "spanId": 16, "parentSpanId": 16}
INT64_STRING_FIELDS = {"intValue", "startTimeUnixNano", "endTimeUnixNano", "timeUnixNano"}
ENUM_FIELDS = {"kind", "code"}


# --- reading -----------------------------------------------------------------------------

def load_pb(path):
    with open(path, "rb") as f:
        return ExportTraceServiceRequest.FromString(f.read())


def json_mapping_problems(node, path="$"):
    """Where a JSON payload departs from the OTLP JSON mapping (for ours, checked strictly)."""
    problems = []
    if isinstance(node, list):
        for i, item in enumerate(node):
            problems += json_mapping_problems(item, f"{path}[{i}]")
    elif isinstance(node, dict):
        for key, value in node.items():
            where = f"{path}.{key}"
            if not re.fullmatch(r"[a-z][A-Za-z0-9]*", key):
                problems.append(f"{where}: key is not lowerCamelCase")
            if key in ID_FIELDS and not (key == "parentSpanId" and value == ""):
                if not (isinstance(value, str) and re.fullmatch(f"[0-9a-f]{{{ID_FIELDS[key]}}}", value)):
                    problems.append(f"{where}: {value!r} is not {ID_FIELDS[key]} lowercase hex digits")
            if key in INT64_STRING_FIELDS and not (isinstance(value, str) and re.fullmatch(r"-?[0-9]+", value)):
                problems.append(f"{where}: 64-bit integer {value!r} is not a decimal string")
            if key in ENUM_FIELDS and not (isinstance(value, int) and not isinstance(value, bool)):
                problems.append(f"{where}: enum {value!r} is not an integer")
            problems += json_mapping_problems(value, where)
    return problems


def _hex_ids_to_base64(node):
    """The OTLP JSON mapping writes ids in hex where proto3's JSON has base64: convert, so the
    protobuf library's JSON parser reads the rest by the standard rules."""
    if isinstance(node, list):
        return [_hex_ids_to_base64(x) for x in node]
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key in ID_FIELDS and isinstance(value, str):
                out[key] = base64.b64encode(bytes.fromhex(value)).decode() if value else ""
            else:
                out[key] = _hex_ids_to_base64(value)
        return out
    return node


def load_json(path):
    with open(path, "rb") as f:
        doc = json.loads(f.read().decode("utf-8"))
    return doc, json_format.ParseDict(_hex_ids_to_base64(doc), ExportTraceServiceRequest())


# --- canonical form ----------------------------------------------------------------------

def any_value(v):
    which = v.WhichOneof("value")
    if which is None:
        return ("empty",)
    if which == "array_value":
        return ("array", tuple(any_value(x) for x in v.array_value.values))
    if which == "kvlist_value":
        return ("kvlist", attrs(v.kvlist_value.values))
    if which == "bytes_value":
        return ("bytes", v.bytes_value.hex())
    return (which.replace("_value", ""), getattr(v, which))


def attrs(kvs):
    return tuple(sorted((kv.key, any_value(kv.value)) for kv in kvs))


def canonical(request, skip=frozenset()):
    """[span dict] sorted by (trace id, span id). `skip`: (where, key) pairs of attributes
    to leave out, `where` = span id, 'resource', 'scope', 'event <name>' or 'link of <span id>'."""
    spans = []
    for rs in request.resource_spans:
        resource = {"attributes": drop(attrs(rs.resource.attributes), skip, "resource"),
                    "dropped_attributes_count": rs.resource.dropped_attributes_count, "schema_url": rs.schema_url}
        for ss in rs.scope_spans:
            scope = {"name": ss.scope.name, "version": ss.scope.version,
                     "attributes": drop(attrs(ss.scope.attributes), skip, "scope"),
                     "dropped_attributes_count": ss.scope.dropped_attributes_count, "schema_url": ss.schema_url}
            for s in ss.spans:
                sid = s.span_id.hex()
                spans.append({
                    "trace_id": s.trace_id.hex(), "span_id": sid, "parent_span_id": s.parent_span_id.hex(),
                    "trace_state": s.trace_state, "flags": s.flags, "name": s.name, "kind": s.kind,
                    "start_time_unix_nano": s.start_time_unix_nano, "end_time_unix_nano": s.end_time_unix_nano,
                    "attributes": drop(attrs(s.attributes), skip, sid),
                    "dropped_attributes_count": s.dropped_attributes_count,
                    "events": [{"name": e.name, "time_unix_nano": e.time_unix_nano,
                                "attributes": drop(attrs(e.attributes), skip, f"event {e.name}"),
                                "dropped_attributes_count": e.dropped_attributes_count} for e in s.events],
                    "dropped_events_count": s.dropped_events_count,
                    "links": [{"trace_id": l.trace_id.hex(), "span_id": l.span_id.hex(), "trace_state": l.trace_state,
                               "w3c_flags": l.flags & 0xFF,
                               "attributes": drop(attrs(l.attributes), skip, f"link of {sid}"),
                               "dropped_attributes_count": l.dropped_attributes_count} for l in s.links],
                    "dropped_links_count": s.dropped_links_count,
                    "status": {"code": s.status.code, "message": s.status.message},
                    "resource": resource, "scope": scope,
                })
    return sorted(spans, key=lambda s: (s["trace_id"], s["span_id"]))


def drop(attributes, skip, where):
    return tuple(a for a in attributes if (where, a[0]) not in skip)


def fixture_value(a):
    t, v = a["type"], a["value"]
    scalar = {"string": lambda x: ("string", x), "bool": lambda x: ("bool", bool(x)),
              "int": lambda x: ("int", int(x)), "double": lambda x: ("double", float(x))}
    if t.endswith("_array"):
        return ("array", tuple(scalar[t[:-6]](x) for x in v))
    return scalar[t](v)


def fixture_attrs(lst):
    return tuple(sorted((a["key"], fixture_value(a)) for a in lst or []))


def fixture_canonical(fixture, skip=frozenset()):
    """The canonical form the fixture must become: what every encoder must produce."""
    resource = {"attributes": drop(fixture_attrs(fixture["resource"]), skip, "resource"),
                "dropped_attributes_count": 0, "schema_url": ""}
    sc = fixture["scope"]
    scope = {"name": sc["name"], "version": sc.get("version", ""),
             "attributes": drop(fixture_attrs(sc.get("attributes")), skip, "scope"),
             "dropped_attributes_count": 0, "schema_url": ""}
    spans = []
    for s in fixture["spans"]:
        sid = s["span_id"]
        flags = s["flags"] | HAS_IS_REMOTE | (IS_REMOTE if s.get("parent_is_remote") else 0)
        spans.append({
            "trace_id": s["trace_id"], "span_id": sid, "parent_span_id": s["parent_span_id"],
            "trace_state": s["trace_state"], "flags": flags, "name": s["name"], "kind": s["kind"],
            "start_time_unix_nano": int(s["start_unix_nano"]), "end_time_unix_nano": int(s["end_unix_nano"]),
            "attributes": drop(fixture_attrs(s["attributes"]), skip, sid),
            "dropped_attributes_count": s.get("dropped_attributes_count", 0),
            "events": [{"name": e["name"], "time_unix_nano": int(e["time_unix_nano"]),
                        "attributes": drop(fixture_attrs(e["attributes"]), skip, f"event {e['name']}"),
                        "dropped_attributes_count": e.get("dropped_attributes_count", 0)} for e in s["events"]],
            "dropped_events_count": s.get("dropped_events_count", 0),
            "links": [{"trace_id": l["trace_id"], "span_id": l["span_id"], "trace_state": l["trace_state"],
                       "w3c_flags": l.get("flags", 0) & 0xFF,
                       "attributes": drop(fixture_attrs(l["attributes"]), skip, f"link of {sid}"),
                       "dropped_attributes_count": l.get("dropped_attributes_count", 0)} for l in s["links"]],
            "dropped_links_count": s.get("dropped_links_count", 0),
            "status": {"code": s["status"]["code"], "message": s["status"].get("message", "")},
            "resource": resource, "scope": scope,
        })
    return sorted(spans, key=lambda s: (s["trace_id"], s["span_id"]))


def js_unrepresentable(fixture):
    """(where, key) of the attributes OpenTelemetry JS cannot hold: integers beyond 2^53."""
    def big(a):
        ints = [a["value"]] if a["type"] == "int" else a["value"] if a["type"] == "int_array" else []
        return any(abs(int(v)) > TWO_POW_53 for v in ints)

    out = {("resource", a["key"]) for a in fixture["resource"] if big(a)}
    out |= {("scope", a["key"]) for a in fixture["scope"].get("attributes", []) if big(a)}
    for s in fixture["spans"]:
        out |= {(s["span_id"], a["key"]) for a in s["attributes"] if big(a)}
        for e in s["events"]:
            out |= {(f"event {e['name']}", a["key"]) for a in e["attributes"] if big(a)}
        for l in s["links"]:
            out |= {(f"link of {s['span_id']}", a["key"]) for a in l["attributes"] if big(a)}
    return frozenset(out)


# --- comparing ---------------------------------------------------------------------------

def _is_attribute_list(x):
    return isinstance(x, tuple) and all(isinstance(a, tuple) and len(a) == 2 and isinstance(a[0], str)
                                        and isinstance(a[1], tuple) for a in x)


def differences(got, expected, path="", limit=25):
    """Human-readable differences between two canonical forms, each with its path."""
    out = []

    def walk(g, e, p):
        if len(out) >= limit:
            return
        if _is_attribute_list(g) and _is_attribute_list(e) and (g or e):
            g, e = dict(g), dict(e)
        if isinstance(g, dict) and isinstance(e, dict):
            for k in sorted(set(g) | set(e), key=str):
                if k not in g:
                    out.append(f"{p}.{k}: missing (expected {e[k]!r})")
                elif k not in e:
                    out.append(f"{p}.{k}: unexpected {g[k]!r}")
                else:
                    walk(g[k], e[k], f"{p}.{k}")
        elif isinstance(g, list) and isinstance(e, list):
            if len(g) != len(e):
                out.append(f"{p}: {len(g)} items, expected {len(e)}: got {g!r}, expected {e!r}")
                return
            for i, (gi, ei) in enumerate(zip(g, e)):
                walk(gi, ei, f"{p}[{i}]")
        elif g != e or type(g) is not type(e):
            out.append(f"{p}: got {g!r}, expected {e!r}")

    walk(got, expected, path)
    return out


def span_label(spans):
    return {i: f"span {s['span_id']} ({s['name']})" for i, s in enumerate(spans)}


def same_content(report, what, got, expected):
    if len(got) != len(expected):
        return report.check(False, what, f"{len(got)} spans, expected {len(expected)}: "
                                         f"got ids {[s['span_id'] for s in got]}, expected {[s['span_id'] for s in expected]}")
    diffs = []
    labels = span_label(expected)
    for i, (g, e) in enumerate(zip(got, expected)):
        diffs += differences(g, e, labels[i])
    return report.check(not diffs, what, "\n     ".join(diffs[:40]))


def compare_all(fixture_path, ours_json, ours_pb, theirs_json, theirs_pb, report):
    with open(fixture_path, encoding="utf-8") as f:
        fixture = json.load(f)
    skip = js_unrepresentable(fixture)
    if skip:
        print("     compared against the fixture only (OpenTelemetry JS cannot hold them): "
              + ", ".join(f"{k} ({w})" for w, k in sorted(skip)))

    try:
        ours_doc, ours_j = load_json(ours_json)
    except (ValueError, json_format.ParseError) as err:
        report.check(False, "our OTLP JSON payload decodes", str(err))
        ours_doc = ours_j = None
    try:
        ours_p = load_pb(ours_pb)
    except Exception as err:  # noqa: BLE001 -- any decode error is the failure reported
        report.check(False, "our OTLP protobuf payload decodes with opentelemetry-proto's classes", str(err))
        ours_p = None
    theirs_j = load_json(theirs_json)[1]
    theirs_p = load_pb(theirs_pb)

    expected_all = fixture_canonical(fixture)
    expected_js = fixture_canonical(fixture, skip)
    # The fixture builder and JS's serializers agree with the fixture, or nothing below means much.
    same_content(report, "JS JsonTraceSerializer payload carries the fixture", canonical(theirs_j), expected_js)
    same_content(report, "JS ProtobufTraceSerializer payload carries the fixture", canonical(theirs_p), expected_js)

    if ours_doc is not None:
        problems = json_mapping_problems(ours_doc)
        report.check(not problems, "our OTLP JSON follows the OTLP JSON mapping (hex ids, lowerCamelCase, "
                                   "integer enums, 64-bit integers as strings)", "\n     ".join(problems[:40]))
        same_content(report, "our OTLP JSON payload carries the fixture exactly (64-bit integers included)",
                     canonical(ours_j), expected_all)
        same_content(report, "our OTLP JSON payload = JS JsonTraceSerializer's, decoded",
                     canonical(ours_j, skip), canonical(theirs_j))
    if ours_p is not None:
        same_content(report, "our OTLP protobuf payload carries the fixture exactly (64-bit integers included)",
                     canonical(ours_p), expected_all)
        same_content(report, "our OTLP protobuf payload = JS ProtobufTraceSerializer's, decoded",
                     canonical(ours_p, skip), canonical(theirs_p))
    if ours_j is not None and ours_p is not None:
        same_content(report, "our OTLP JSON and protobuf payloads carry the same content", canonical(ours_j),
                     canonical(ours_p))


class _PrintReport:
    def __init__(self):
        self.failures = []

    def check(self, ok, what, detail=""):
        print(("PASS " if ok else "FAIL ") + what + ("" if ok or not detail else "\n     " + detail))
        if not ok:
            self.failures.append(what)
        return ok


if __name__ == "__main__":
    if len(sys.argv) != 6:
        sys.exit(__doc__)
    r = _PrintReport()
    compare_all(*sys.argv[1:], r)
    sys.exit(1 if r.failures else 0)
