"""Live export from the Python runtime to receiver.py: what arrives is the
trace file's spans and events as docs/events.md maps them, and the
program's output and exit code are those of a run with export off, whatever
the receiver does."""

import os
import socket
import unittest

from program import Package, expected_attributes, expected_events, status_message
from receiver_process import ReceiverProcess, attributes_dict, spans_of

SCRIPT = """
    import sys
    from app import mod
    print(mod.work(4))
    print(list(mod.gen(2)))
    print("done", file=sys.stderr)
    sys.exit(3)
"""


def closed_port():
    """A local port nothing listens on (bound, then closed)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class ExportCase(unittest.TestCase):

    def setUp(self):
        self.pkg = Package()
        self.addCleanup(self.pkg.cleanup)
        self.baseline = self.pkg.run(SCRIPT)
        self.assertEqual(self.baseline, (3, "8\n[0, 1]\n", "done\n"))
        self.baseline_trace = self.pkg.events()

    def run_exporting(self, url, **env):
        e = {"OTEL_EXPORTER_OTLP_ENDPOINT": url, "OTEL_EXPORTER_OTLP_TIMEOUT": "2000"}
        e.update(env)
        rc, out, err = self.pkg.run(SCRIPT, env=e)
        self.assertEqual((rc, out), self.baseline[:2])
        lines = err.splitlines()
        self.assertEqual(lines[0], "done", err)
        return lines[1:]

    def check_exported(self, exported, trace):
        spans = [e for e in trace if e["type"] == "span"]
        self.assertEqual(len(spans), 7)  # work, 4 leaf, boom, gen
        got = {s["spanId"]: s for s in exported}
        self.assertEqual(sorted(got), sorted(s["span_id"] for s in spans))
        self.assertEqual(len(exported), len(spans))  # each once
        for sp in spans:
            o = got[sp["span_id"]]
            self.assertEqual(o["traceId"], sp["trace_id"])
            self.assertEqual(o.get("parentSpanId"), sp["parent_id"])
            self.assertEqual(o["name"], sp["name"])
            self.assertEqual(o["kind"], "SPAN_KIND_INTERNAL")
            self.assertEqual(int(o["startTimeUnixNano"]), sp["start_unix_ns"])
            self.assertEqual(int(o["endTimeUnixNano"]), sp["start_unix_ns"] + sp["duration_ns"])
            self.assertEqual(attributes_dict(o["attributes"]), expected_attributes(sp))
            events = [(e["name"], int(e["timeUnixNano"]), attributes_dict(e.get("attributes", [])))
                      for e in o.get("events", [])]
            self.assertEqual(events, expected_events(sp, trace))
            if sp["status"] == "error":
                self.assertEqual(o["status"], {"code": "STATUS_CODE_ERROR",
                                               "message": status_message(sp)})
            else:
                self.assertNotIn("status", o)
            self.assertEqual(o["resource"], {
                "service.name": "unknown_service:python", "process.pid": sp["pid"],
                "telemetry.sdk.name": "ctinject", "telemetry.sdk.language": "python"})
            self.assertEqual(o["scope"], {"name": "ctinject"})
        # What the mapping covers is there: a var, a branch, loops, a handled
        # exception, an escaping one, a redacted argument.
        names = sorted(e["name"] for s in exported for e in s.get("events", []))
        self.assertEqual(sorted(set(names)), ["branch", "exception", "loop", "var"])
        boom = next(s for s in exported if s["name"] == "boom")
        self.assertEqual(attributes_dict(boom["attributes"])["ctinject.args.password"],
                         "[REDACTED]")


class TestLiveExport(ExportCase):

    def test_json_gzip_spans_and_events_as_in_the_trace_file(self):
        with ReceiverProcess() as rx:
            extra = self.run_exporting(rx.url, OTEL_SERVICE_NAME="")
            log = rx.entries()
        self.assertEqual(extra, [])
        self.assertGreaterEqual(len(log), 1)
        for e in log:
            self.assertEqual((e["path"], e["content_type"], e["content_encoding"], e["status"],
                              e["error"]), ("/v1/traces", "application/json", "gzip", 200, None))
        self.check_exported(spans_of(log), self.pkg.events())
        # The trace file is the same with export on.
        self.assertEqual([(e["type"], e.get("name")) for e in self.pkg.events()],
                         [(e["type"], e.get("name")) for e in self.baseline_trace])

    def test_headers_resource_and_a_ctinject_endpoint_without_a_trace_file(self):
        with ReceiverProcess() as rx:
            rc, out, err = self.pkg.run(SCRIPT, trace=False, env={
                "CTINJECT_OTLP_ENDPOINT": rx.url + "/custom/",
                "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:9/never",
                "OTEL_EXPORTER_OTLP_HEADERS": "api-key=a%20b,x-other=1",
                "OTEL_EXPORTER_OTLP_TRACES_HEADERS": "x-other=2",
                "OTEL_SERVICE_NAME": "shop",
                "OTEL_RESOURCE_ATTRIBUTES": "service.name=ignored,deployment.environment=test,team=a%2Cb",
            })
            log = rx.entries()
        self.assertEqual((rc, out, err), self.baseline)
        self.assertFalse(os.path.exists(self.pkg.trace))
        self.assertEqual({e["path"] for e in log}, {"/custom/v1/traces"})
        self.assertEqual(log[0]["headers"]["api-key"], "a b")
        self.assertEqual(log[0]["headers"]["x-other"], "2")
        spans = spans_of(log)
        self.assertEqual(len(spans), 7)
        res = spans[0]["resource"]
        self.assertEqual(list(res)[:3], ["service.name", "deployment.environment", "team"])
        self.assertEqual((res["service.name"], res["deployment.environment"], res["team"]),
                         ("shop", "test", "a,b"))

    def test_503_then_200_with_retry_after(self):
        with ReceiverProcess("--responses", "503,200", "--retry-after", "1") as rx:
            extra = self.run_exporting(rx.url)
            log = rx.entries()
        self.assertEqual(extra, [])
        self.assertEqual([e["status"] for e in log], [503, 200])
        self.assertEqual(log[0]["request"], log[1]["request"])
        self.check_exported(spans_of(log[1:]), self.pkg.events())

    def test_400_drops_the_batch_with_one_line(self):
        with ReceiverProcess("--responses", "400") as rx:
            extra = self.run_exporting(rx.url)
            log = rx.entries()
        self.assertEqual([e["status"] for e in log], [400])
        self.assertEqual(extra, ["ctinject: 7 spans not exported to %s/v1/traces "
                                 "(7 rejected with HTTP 400)" % rx.url])

    def test_a_receiver_that_never_answers(self):
        with ReceiverProcess("--hang") as rx:
            # The exit waits for the export timeout (1 s) at most.
            extra = self.run_exporting(rx.url, OTEL_EXPORTER_OTLP_TIMEOUT="1000")
            log = rx.wait_for(1)
        self.assertGreaterEqual(len(log), 1)
        self.assertEqual(len(extra), 1, extra)
        self.assertRegex(extra[0], r"^ctinject: 7 spans not exported to http://127\.0\.0\.1:\d+"
                                   r"/v1/traces \(7 (not sent before exit|receiver unreachable)\)$")

    def test_a_receiver_that_is_down(self):
        url = "http://127.0.0.1:%d" % closed_port()
        extra = self.run_exporting(url, OTEL_EXPORTER_OTLP_TIMEOUT="1000")
        self.assertEqual(len(extra), 1, extra)
        self.assertRegex(extra[0], r"^ctinject: 7 spans not exported to %s/v1/traces "
                                   r"\(7 (not sent before exit|receiver unreachable)\)$" % url)

    def test_grpc_protocol_is_said_once_and_not_used(self):
        rc, out, err = self.pkg.run(SCRIPT, env={
            "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:%d" % closed_port(),
            "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"})
        self.assertEqual((rc, out), self.baseline[:2])
        self.assertEqual(len(err.splitlines()), 2, err)
        self.assertIn("OTEL_EXPORTER_OTLP_PROTOCOL is grpc", err.splitlines()[0])

    def test_ctinject_otel_off_keeps_an_inherited_endpoint_from_exporting(self):
        url = "http://127.0.0.1:%d" % closed_port()
        rc, out, err = self.pkg.run(SCRIPT, trace=False, env={
            "OTEL_EXPORTER_OTLP_ENDPOINT": url, "CTINJECT_OTEL": "off"})
        self.assertEqual((rc, out, err), self.baseline)


class TestExportThread(ExportCase):
    """A program that keeps running: its spans go out from the export
    thread, which threading.enumerate() does not show."""

    def test_spans_go_out_while_the_program_runs(self):
        script = """
            import os, sys, threading, time
            before = threading.enumerate()
            from app import mod
            mod.work(4)
            list(mod.gen(2))
            log = os.environ.get("RECEIVER_LOG")
            seen = False
            deadline = time.monotonic() + 30
            while log and not seen and time.monotonic() < deadline:
                seen = os.path.exists(log) and os.path.getsize(log) > 0
                time.sleep(0.05)
            if log:
                with open(os.environ["SEEN_FILE"], "w") as f:
                    f.write(str(seen))
            print(threading.enumerate() == before, threading.active_count())
            print("done", file=sys.stderr)
            sys.exit(3)
        """
        rc, out, err = self.pkg.run(script)
        self.assertEqual((rc, out, err), (3, "True 1\n", "done\n"))
        seen_file = os.path.join(self.pkg.dir, "seen")
        with ReceiverProcess() as rx:
            got = self.pkg.run(script, env={"OTEL_EXPORTER_OTLP_ENDPOINT": rx.url,
                                            "RECEIVER_LOG": rx.log, "SEEN_FILE": seen_file})
            log = rx.entries()
        self.assertEqual(got, (rc, out, err))
        with open(seen_file) as f:
            self.assertEqual(f.read(), "True")  # before the exit
        self.check_exported(spans_of(log), self.pkg.events())

    def test_a_forked_child_exports_its_own_spans(self):
        script = """
            import os, sys
            from app import mod
            mod.leaf(1)
            pid = os.fork()
            if pid == 0:
                mod.work(2)
                sys.exit(0)
            _, status = os.waitpid(pid, 0)
            mod.leaf(2)
            print(status)
        """
        with ReceiverProcess() as rx:
            rc, out, err = self.pkg.run(script, env={"OTEL_EXPORTER_OTLP_ENDPOINT": rx.url})
            log = rx.entries()
        self.assertEqual((rc, out, err), (0, "0\n", ""))
        trace = self.pkg.events()
        spans = spans_of(log)
        by_pid = {}
        for s in spans:
            by_pid.setdefault(s["resource"]["process.pid"], []).append(s["name"])
        file_by_pid = {}
        for e in trace:
            if e["type"] == "span":
                file_by_pid.setdefault(e["pid"], []).append(e["name"])
        self.assertEqual(len(file_by_pid), 2)
        self.assertEqual({p: sorted(n) for p, n in by_pid.items()},
                         {p: sorted(n) for p, n in file_by_pid.items()})


if __name__ == "__main__":
    unittest.main()
