"""Self-test of receiver.py: a protobuf request and a gzip+JSON request,
built with opentelemetry-proto's classes, decode to what was sent."""

import gzip
import json
import unittest
import urllib.error
import urllib.request

from google.protobuf import json_format
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span

from receiver_process import ReceiverProcess, attributes_dict, spans_of

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
SPAN = "00f067aa0ba902b7"
PARENT = "b7ad6b7169203331"


def sample_request():
    span = Span(trace_id=bytes.fromhex(TRACE), span_id=bytes.fromhex(SPAN),
                parent_span_id=bytes.fromhex(PARENT), name="Cart.total",
                kind=Span.SPAN_KIND_INTERNAL, start_time_unix_nano=1732300000123456789,
                end_time_unix_nano=1732300000123505000,
                attributes=[KeyValue(key="code.lineno", value=AnyValue(int_value=41))])
    return ExportTraceServiceRequest(resource_spans=[ResourceSpans(
        scope_spans=[ScopeSpans(spans=[span])])])


def otlp_json(request):
    """OTLP JSON: protobuf's JSON mapping, with ids in hex."""
    tree = json_format.MessageToDict(request)
    for rs in tree["resourceSpans"]:
        for ss in rs["scopeSpans"]:
            for sp in ss["spans"]:
                for k in ("traceId", "spanId", "parentSpanId"):
                    sp[k] = __import__("base64").b64decode(sp[k]).hex()
    return json.dumps(tree).encode()


def post(url, body, headers):
    req = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


class TestReceiver(unittest.TestCase):

    def check_span(self, entry):
        spans = spans_of([entry])
        self.assertEqual(len(spans), 1)
        sp = spans[0]
        self.assertEqual((sp["traceId"], sp["spanId"], sp["parentSpanId"]), (TRACE, SPAN, PARENT))
        self.assertEqual(sp["name"], "Cart.total")
        self.assertEqual(sp["kind"], "SPAN_KIND_INTERNAL")
        self.assertEqual(sp["startTimeUnixNano"], "1732300000123456789")
        self.assertEqual(attributes_dict(sp["attributes"]), {"code.lineno": 41})

    def test_protobuf_and_gzip_json(self):
        with ReceiverProcess() as rx:
            status, _, body = post(rx.url + "/v1/traces", sample_request().SerializeToString(),
                                   {"Content-Type": "application/x-protobuf"})
            self.assertEqual((status, body), (200, b""))
            status, headers, body = post(
                rx.url + "/v1/traces", gzip.compress(otlp_json(sample_request())),
                {"Content-Type": "application/json", "Content-Encoding": "gzip", "X-Key": "k1"})
            self.assertEqual((status, json.loads(body)), (200, {}))
            self.assertEqual(headers["Content-Type"], "application/json")
            log = rx.wait_for(2)
        self.assertEqual(len(log), 2)
        self.assertEqual([e["content_type"] for e in log],
                         ["application/x-protobuf", "application/json"])
        self.assertEqual([e["content_encoding"] for e in log], ["", "gzip"])
        self.assertEqual(log[1]["headers"]["x-key"], "k1")
        for e in log:
            self.assertEqual((e["status"], e["error"], e["path"]), (200, None, "/v1/traces"))
            self.check_span(e)

    def test_statuses_in_order_with_retry_after_and_400_for_garbage(self):
        with ReceiverProcess("--responses", "503,429,200", "--retry-after", "2") as rx:
            pb = sample_request().SerializeToString()
            answers = [post(rx.url, pb, {"Content-Type": "application/x-protobuf"})
                       for _ in range(4)]
            bad = post(rx.url, b"\xff\xff garbage", {"Content-Type": "application/x-protobuf"})
            log = rx.wait_for(5)
        self.assertEqual([a[0] for a in answers], [503, 429, 200, 200])
        self.assertEqual([a[1].get("Retry-After") for a in answers], ["2", "2", None, None])
        self.assertEqual(bad[0], 400)
        self.assertEqual([e["status"] for e in log], [503, 429, 200, 200, 400])
        self.assertIsNotNone(log[4]["error"])
        self.assertIsNone(log[4]["request"])


if __name__ == "__main__":
    unittest.main()
