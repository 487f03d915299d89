"""The cost of live export per span, against the trace file alone, in one
run (not a test: no assertion). Run in the tests/otlp venv:

    target/otlp-venv/bin/python tests/otlp/bench_export.py [CALLS]

A program calls an instrumented function CALLS times (default 200000;
each call is a span with a `var` event; every call is written:
max_spans_per_function and the per-site caps are 0) and times the loop
in-process; the whole process (start-up, exit flush) is timed too. Modes:
telemetry off, trace file only, trace file and live export to receiver.py,
live export only. Each mode runs 3 times; the best is kept. A loop this
tight makes spans faster than the export thread maps and sends them: the
queue fills and the rest are dropped (and counted), as designed; the runs'
lines about it are printed."""

import http.server
import sys
import threading
import time

from program import Package

SCRIPT = """
    import sys, time
    from app import mod
    n = int(sys.argv[1])
    leaf = mod.leaf
    t = time.perf_counter_ns()
    for i in range(n):
        leaf(1)
    print((time.perf_counter_ns() - t) / n)
"""
class Sink(http.server.BaseHTTPRequestHandler):
    """A receiver that reads each request and answers 200 at once (receiver.py
    decodes with protobuf's Python JSON parser, slower than the runtime
    sends): what it measures is the runtime."""
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")
        Sink.requests += 1

    def log_message(self, *args):
        pass


Sink.requests = 0
CONFIG = {"max_spans_per_function": 0, "max_events_per_site": 0,
          "max_events_per_site_per_process": 0}


def main():
    calls = int(sys.argv[1]) if len(sys.argv) > 1 else 200000
    pkg = Package(CONFIG)
    try:
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Sink)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = "http://127.0.0.1:%d" % server.server_address[1]
        try:
            modes = [
                ("off", False, {}),
                ("trace file", True, {}),
                ("trace file + export", True, {"CTINJECT_OTLP_ENDPOINT": url}),
                ("export only", False, {"CTINJECT_OTLP_ENDPOINT": url}),
            ]
            results = {}
            drops = {}  # mode -> the runtime's line about spans not exported (last run)
            for _ in range(3):
                for name, trace, env in modes:
                    start = time.perf_counter()
                    rc, out, err = pkg.run(SCRIPT.replace("sys.argv[1]", str(calls)),
                                           env=env, trace=trace)
                    wall = time.perf_counter() - start
                    if rc or any(not line.startswith("ctinject: ") for line in err.splitlines()):
                        raise SystemExit("%s: %s %s" % (name, rc, err))
                    if err:
                        drops[name] = err.strip()
                    per_call = float(out)
                    best = results.get(name)
                    if best is None or per_call < best[0]:
                        results[name] = (per_call, wall)
        finally:
            server.shutdown()
    finally:
        pkg.cleanup()
    print("%d calls per run, %s, %s" % (calls, sys.version.split()[0], sys.platform))
    base = results["trace file"][0]
    for name, _, _ in modes:
        per_call, wall = results[name]
        print("%-20s %7.0f ns per call (%.2fx the trace file's)  process %.2f s"
              % (name, per_call, per_call / base, wall))
    print("requests received in all runs: %d" % Sink.requests)
    for name, line in drops.items():
        print("%s: %s" % (name, line))


if __name__ == "__main__":
    main()
