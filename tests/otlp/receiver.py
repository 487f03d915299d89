"""An OTLP/HTTP trace receiver for tests, built on the official protobuf
definitions (the PyPI package opentelemetry-proto, pinned in
tests/otlp/run-tests.sh; protobuf comes with it).

Run it in a venv that has opentelemetry-proto:

    python tests/otlp/receiver.py --port-file /tmp/port --log /tmp/requests.jsonl \\
        [--responses 503,200] [--retry-after SECS] [--hang] &
    # once /tmp/port exists (written atomically once listening):
    curl -X POST --data-binary @req.pb -H 'Content-Type: application/x-protobuf' \\
        http://127.0.0.1:$(cat /tmp/port)/v1/traces
    kill %1                                   # SIGTERM or SIGINT ends it

It listens on 127.0.0.1 on a port the system chooses. Every POST (any path)
is decoded as an ExportTraceServiceRequest: gunzipped when Content-Encoding
is gzip; application/x-protobuf as protobuf, application/json as OTLP JSON
(ids in hex, turned into protobuf JSON's base64 before parsing, as the OTLP
spec asks of receivers). A body that does not decode is answered 400.

--responses lists the HTTP statuses to answer, in order, the last one
repeating (default 200). 200 carries an empty ExportTraceServiceResponse in
the request's content type; any other status carries a google.rpc.Status,
and 429 and 503 a Retry-After header when --retry-after is given. --hang
reads and logs each request and never answers.

Each request appends one JSON line to --log (flushed at once):
{"path", "content_type", "content_encoding", "headers": {lower-case name:
value}, "status": the status answered (null when hanging), "error": why the
body did not decode (or null), "request": the request as
google.protobuf.json_format.MessageToDict gives it (lowerCamelCase keys,
64-bit integers as strings, enums by name), with trace and span ids in
lower-case hex (or null)}.
"""

import argparse
import base64
import gzip
import http.server
import json
import os
import signal
import sys
import threading
import time

from google.protobuf import json_format
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

ID_KEYS = ("traceId", "spanId", "parentSpanId")
RETRY_AFTER_STATUSES = (429, 503)


def _convert_ids(node, convert):
    """Applies convert to every id string (traceId, spanId, parentSpanId) in
    a decoded JSON tree, in place."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ID_KEYS and isinstance(value, str):
                node[key] = convert(value)
            else:
                _convert_ids(value, convert)
    elif isinstance(node, list):
        for item in node:
            _convert_ids(item, convert)


def _hex_to_base64(text):
    return base64.b64encode(bytes.fromhex(text)).decode("ascii")


def _base64_to_hex(text):
    return base64.b64decode(text).hex()


def decode_request(body, content_type, content_encoding):
    """The ExportTraceServiceRequest in a POST body; raises ValueError (or a
    protobuf error) when it is not one."""
    if content_encoding == "gzip":
        body = gzip.decompress(body)
    elif content_encoding not in ("", "identity"):
        raise ValueError("unsupported Content-Encoding %r" % content_encoding)
    media = content_type.split(";")[0].strip().lower()
    if media == "application/x-protobuf":
        return ExportTraceServiceRequest.FromString(body)
    if media == "application/json":
        tree = json.loads(body.decode("utf-8"))
        _convert_ids(tree, _hex_to_base64)
        return json_format.ParseDict(tree, ExportTraceServiceRequest())
    raise ValueError("unsupported Content-Type %r" % content_type)


def request_as_dict(request):
    tree = json_format.MessageToDict(request)
    _convert_ids(tree, _base64_to_hex)
    return tree


def status_body(code, message, json_wanted):
    """A google.rpc.Status (code, message), encoded by hand: its two fields
    need no extra package."""
    if json_wanted:
        return json.dumps({"code": code, "message": message}).encode("utf-8")
    text = message.encode("utf-8")
    out = bytearray(b"\x08")  # field 1 (code), varint
    n = code
    while True:
        if n < 0x80:
            out.append(n)
            break
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(0x12)  # field 2 (message), length-delimited
    n = len(text)
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out) + text


class Receiver(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, log_path, responses, retry_after, hang):
        super().__init__(("127.0.0.1", 0), Handler)
        self.log = open(log_path, "a", encoding="utf-8")
        self.responses = responses
        self.retry_after = retry_after
        self.hang = hang
        self.count = 0
        self.lock = threading.Lock()

    def next_status(self):
        with self.lock:
            i = self.count
            self.count += 1
        return self.responses[min(i, len(self.responses) - 1)]

    def write_log(self, entry):
        line = json.dumps(entry, sort_keys=False) + "\n"
        with self.lock:
            self.log.write(line)
            self.log.flush()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # quiet: the JSON log says it all
        pass

    def do_POST(self):
        server = self.server
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        content_type = self.headers.get("Content-Type", "")
        content_encoding = self.headers.get("Content-Encoding", "")
        error = None
        request = None
        try:
            request = request_as_dict(decode_request(body, content_type, content_encoding))
        except Exception as e:  # anything that does not decode: 400
            error = "%s: %s" % (type(e).__name__, e)
        status = None if server.hang else (400 if error else server.next_status())
        server.write_log({
            "path": self.path,
            "content_type": content_type,
            "content_encoding": content_encoding,
            "headers": {k.lower(): v for k, v in self.headers.items()},
            "status": status,
            "error": error,
            "request": request,
        })
        if server.hang:
            while True:
                time.sleep(3600)
        json_wanted = content_type.split(";")[0].strip().lower() == "application/json"
        if status == 200:
            response = ExportTraceServiceResponse()
            payload = (json_format.MessageToJson(response).encode("utf-8") if json_wanted
                       else response.SerializeToString())
        else:
            payload = status_body(3 if status == 400 else 14, error or "status %d" % status,
                                  json_wanted)
        self.send_response(status)
        self.send_header("Content-Type",
                         "application/json" if json_wanted else "application/x-protobuf")
        self.send_header("Content-Length", str(len(payload)))
        if status in RETRY_AFTER_STATUSES and server.retry_after is not None:
            self.send_header("Retry-After", str(server.retry_after))
        self.end_headers()
        self.wfile.write(payload)


def parse_statuses(text):
    statuses = [int(s) for s in text.split(",") if s.strip()]
    if not statuses or any(not 100 <= s <= 599 for s in statuses):
        raise argparse.ArgumentTypeError("a comma-separated list of HTTP statuses")
    return statuses


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port-file", required=True,
                        help="written with the port number once listening")
    parser.add_argument("--log", required=True, help="one JSON line per request is appended")
    parser.add_argument("--responses", type=parse_statuses, default=[200],
                        help="statuses to answer in order, the last repeating (default 200)")
    parser.add_argument("--retry-after", type=int, default=None,
                        help="Retry-After seconds sent with 429 and 503")
    parser.add_argument("--hang", action="store_true", help="never answer")
    args = parser.parse_args(argv)

    server = Receiver(args.log, args.responses, args.retry_after, args.hang)

    def stop(signum, frame):
        # shutdown() waits for serve_forever to return: not from its own thread.
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % server.server_address[1])
    os.replace(tmp, args.port_file)
    try:
        server.serve_forever(poll_interval=0.1)
    finally:
        server.server_close()
        server.log.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
