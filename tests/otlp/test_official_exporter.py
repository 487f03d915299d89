"""ctinject's exports against the official one: the trace file's spans,
built again with opentelemetry-sdk (same ids, times, attributes, events,
status, resource) and sent by opentelemetry-exporter-otlp-proto-http's
OTLPSpanExporter (protobuf) to receiver.py, decode to what the runtime sent
live (OTLP JSON) for the same run, and to what `ctinject trace export` sends
from the trace file (protobuf and JSON)."""

import os
import subprocess
import unittest

from opentelemetry import trace as trace_api
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import Event, ReadableSpan
from opentelemetry.sdk.util.instrumentation import InstrumentationScope
from opentelemetry.trace.status import Status, StatusCode

from program import Package, expected_attributes, expected_events, status_message
from receiver_process import ReceiverProcess, spans_of

SCRIPT = """
    from app import mod
    mod.work(3)
    list(mod.gen(2))
"""

SDK_ONLY = ("telemetry.sdk.name", "telemetry.sdk.version", "telemetry.sdk.language")


def sdk_span(sp, trace):
    """The trace file's span `sp` as the SDK's ReadableSpan."""
    def context(span_id):
        return trace_api.SpanContext(int(sp["trace_id"], 16), int(span_id, 16), is_remote=False,
                                     trace_flags=trace_api.TraceFlags(trace_api.TraceFlags.SAMPLED))
    resource = Resource({"service.name": "unknown_service:python", "process.pid": sp["pid"]})
    status = (Status(StatusCode.ERROR, status_message(sp)) if sp["status"] == "error"
              else Status(StatusCode.UNSET))
    return ReadableSpan(
        name=sp["name"], context=context(sp["span_id"]),
        parent=context(sp["parent_id"]) if sp["parent_id"] else None,
        resource=resource, attributes=expected_attributes(sp),
        events=[Event(name, attributes, timestamp)
                for name, timestamp, attributes in expected_events(sp, trace)],
        kind=trace_api.SpanKind.INTERNAL, status=status, start_time=sp["start_unix_ns"],
        end_time=sp["start_unix_ns"] + sp["duration_ns"],
        instrumentation_scope=InstrumentationScope("ctinject"))


def normalized(span):
    """A decoded span, without what only one side says: the SDK's flags
    (sampled, parent-is-remote), an UNSET status, the SDK's own resource
    attributes, the scope's version, and the order of the spans' resource
    attributes."""
    s = dict(span)
    s.pop("flags", None)
    if s.get("status") == {}:
        del s["status"]
    s["resource"] = {k: v for k, v in s["resource"].items() if k not in SDK_ONLY}
    # the version ctinject gives its scope (trace export knows it)
    s["scope"] = {k: v for k, v in s["scope"].items() if k != "version"}
    return s


def ctinject_bin():
    """The ctinject under test: CTINJECT_BIN, else the debug build."""
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    target = os.environ.get("CARGO_TARGET_DIR") or os.path.join(root, "target")
    path = os.environ.get("CTINJECT_BIN") or os.path.join(target, "debug", "ctinject")
    if os.path.exists(path):
        return path
    if os.environ.get("CI") == "true":
        raise AssertionError("no ctinject at %s (cargo build first)" % path)
    raise unittest.SkipTest("no ctinject at %s: cargo build first, or set CTINJECT_BIN" % path)


def official(rx, trace):
    """What the official exporter sends for the trace file's spans, decoded."""
    before = len(rx.entries())
    spans = [sdk_span(e, trace) for e in trace if e["type"] == "span"]
    exporter = OTLPSpanExporter(endpoint=rx.url + "/v1/traces")
    result = exporter.export(spans)
    exporter.shutdown()
    assert result.name == "SUCCESS", result
    theirs = rx.wait_for(before + 1)[before:]
    assert [e["content_type"] for e in theirs] == ["application/x-protobuf"], theirs
    return sorted((normalized(s) for s in spans_of(theirs)), key=lambda s: s["spanId"])


class TestSameAsTheOfficialExporter(unittest.TestCase):

    def test_trace_export_sends_what_the_official_exporter_sends(self):
        binary = ctinject_bin()
        pkg = Package()
        self.addCleanup(pkg.cleanup)
        self.assertEqual(pkg.run(SCRIPT), (0, "", ""))
        trace = pkg.events()
        for protocol, content_type in (("http/protobuf", "application/x-protobuf"),
                                       ("http/json", "application/json")):
            with ReceiverProcess() as rx:
                env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
                done = subprocess.run(
                    [binary, "trace", "export", pkg.trace, "--otlp", rx.url,
                     "--otlp-protocol", protocol],
                    env=env, capture_output=True, text=True, timeout=120)
                self.assertEqual(done.returncode, 0, done.stderr)
                ours = rx.entries()
                self.assertEqual([e["content_type"] for e in ours], [content_type])
                self.assertEqual([e["content_encoding"] for e in ours], ["gzip"])
                mine = sorted((normalized(s) for s in spans_of(ours)), key=lambda s: s["spanId"])
                theirs = official(rx, trace)
            self.assertEqual(len(mine), 6)
            self.assertEqual(mine, theirs)

    def test_same_spans(self):
        pkg = Package()
        self.addCleanup(pkg.cleanup)
        with ReceiverProcess() as rx:
            rc, out, err = pkg.run(SCRIPT, env={"OTEL_EXPORTER_OTLP_ENDPOINT": rx.url})
            self.assertEqual((rc, out, err), (0, "", ""))
            ours = rx.entries()
            trace = pkg.events()
            spans = [sdk_span(e, trace) for e in trace if e["type"] == "span"]
            exporter = OTLPSpanExporter(endpoint=rx.url + "/v1/traces")
            result = exporter.export(spans)
            exporter.shutdown()
            theirs = rx.wait_for(len(ours) + 1)[len(ours):]
        self.assertEqual(result.name, "SUCCESS")
        self.assertEqual([e["content_type"] for e in theirs], ["application/x-protobuf"])
        mine = sorted((normalized(s) for s in spans_of(ours)), key=lambda s: s["spanId"])
        official = sorted((normalized(s) for s in spans_of(theirs)), key=lambda s: s["spanId"])
        self.assertEqual(len(mine), 6)
        self.assertEqual(mine, official)


if __name__ == "__main__":
    unittest.main()
