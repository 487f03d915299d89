"""The bridge to a configured OpenTelemetry SDK (opentelemetry-sdk with an
InMemorySpanExporter): ctinject's spans join the user's trace, under the
user's active span, with the user's own spans nested under them."""

import json
import textwrap
import unittest

from program import Package, expected_attributes, expected_events, status_message

SETUP = textwrap.dedent("""
    import json, sys
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    def configure():
        exporter = InMemorySpanExporter()
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(exporter))
        trace.set_tracer_provider(provider)
        return exporter, trace.get_tracer("user")

    def dump(exporter):
        out = []
        for s in exporter.get_finished_spans():
            out.append({
                "name": s.name, "trace_id": "%032x" % s.context.trace_id,
                "span_id": "%016x" % s.context.span_id,
                "parent": None if s.parent is None else "%016x" % s.parent.span_id,
                "kind": s.kind.name, "start": s.start_time, "end": s.end_time,
                "attributes": dict(s.attributes),
                "events": [[e.name, e.timestamp, dict(e.attributes)] for e in s.events],
                "status": [s.status.status_code.name, s.status.description],
                "scope": s.instrumentation_scope.name})
        print(json.dumps(out))
""")

# The runtime is imported first (as at the top of every instrumented
# module); the SDK is configured after it.
NESTED = SETUP + textwrap.dedent("""
    from app import mod
    exporter, tracer = configure()

    def user_code():
        with tracer.start_as_current_span("user-inner"):
            return mod.leaf(5)

    with tracer.start_as_current_span("user-root"):
        mod.work(3)
        mod.call(user_code)
        list(mod.gen(2))
    dump(exporter)
""")


class BridgeCase(unittest.TestCase):

    def setUp(self):
        self.pkg = Package()
        self.addCleanup(self.pkg.cleanup)

    def run_bridged(self, script, **env):
        rc, out, err = self.pkg.run(script, env=env)
        self.assertEqual((rc, err), (0, ""), err)
        return json.loads(out)


class TestBridge(BridgeCase):

    def test_ctinject_spans_join_the_user_trace(self):
        otel = self.run_bridged(NESTED)
        trace = self.pkg.events()
        by_name = {}
        for s in otel:
            by_name.setdefault(s["name"], []).append(s)
        root = by_name["user-root"][0]
        self.assertEqual(len({s["trace_id"] for s in otel}), 1)  # one trace
        work, call, gen = by_name["work"][0], by_name["call"][0], by_name["gen"][0]
        for s in (work, call, gen):
            self.assertEqual(s["parent"], root["span_id"])
            self.assertEqual((s["kind"], s["scope"]), ("INTERNAL", "ctinject"))
        leaves = by_name["leaf"]
        self.assertEqual(len(leaves), 4)
        inner = by_name["user-inner"][0]
        # The user's span made inside ctinject's `call` nests under it, and
        # the leaf called in the user's span under that one.
        self.assertEqual(inner["parent"], call["span_id"])
        self.assertEqual(sorted(s["parent"] for s in leaves),
                         sorted([work["span_id"]] * 3 + [inner["span_id"]]))
        self.assertEqual(by_name["boom"][0]["parent"], work["span_id"])
        # Attributes, events, times and status as mapped, from the trace file's spans.
        file_spans = [e for e in trace if e["type"] == "span"]
        self.assertEqual(len(file_spans), len(otel) - 2)
        for fs in file_spans:
            match = [s for s in by_name[fs["name"]]
                     if s["start"] == fs["start_unix_ns"]]
            self.assertEqual(len(match), 1, fs["name"])
            s = match[0]
            self.assertEqual(s["end"], fs["start_unix_ns"] + fs["duration_ns"])
            self.assertEqual(s["attributes"], expected_attributes(fs))
            self.assertEqual([tuple(e) for e in s["events"]], expected_events(fs, trace))
            if fs["status"] == "error":
                self.assertEqual(s["status"], ["ERROR", status_message(fs)])
            else:
                self.assertEqual(s["status"], ["UNSET", None])

    def test_configured_in_an_instrumented_main(self):
        # The SDK appears while ctinject's `call` span is open: spans nested
        # in it find the SDK (the outer one started before, and is not bridged).
        script = SETUP + textwrap.dedent("""
            from app import mod
            holder = {}
            def main():
                holder["exporter"], tracer = configure()
                mod.work(2)
            mod.call(main)
            dump(holder["exporter"])
        """)
        otel = self.run_bridged(script)
        names = sorted(s["name"] for s in otel)
        self.assertIn("work", names)
        self.assertIn("leaf", names)
        work = next(s for s in otel if s["name"] == "work")
        self.assertTrue(all(s["parent"] == work["span_id"] for s in otel if s["name"] == "leaf"))

    def test_bridge_mode_turns_telemetry_on_without_a_trace_file(self):
        script = SETUP + textwrap.dedent("""
            from app import mod
            exporter, tracer = configure()
            mod.work(2)
            dump(exporter)
        """)
        rc, out, err = self.pkg.run(script, trace=False, env={"CTINJECT_OTEL": "bridge"})
        self.assertEqual((rc, err), (0, ""))
        self.assertEqual(sorted(s["name"] for s in json.loads(out)), ["boom", "leaf", "leaf", "work"])
        rc, out, err = self.pkg.run(script, trace=False)
        self.assertEqual(json.loads(out), [])  # auto: off without a trace file or endpoint

    def test_off_and_export_modes_do_not_bridge(self):
        for mode in ("off", "export"):
            otel = self.run_bridged(NESTED, CTINJECT_OTEL=mode)
            self.assertEqual(sorted(s["name"] for s in otel), ["user-inner", "user-root"], mode)
            self.assertTrue(self.pkg.events())  # the trace file is still written

    def test_no_sdk_nothing_of_opentelemetry_is_imported(self):
        script = """
            import sys
            from app import mod
            mod.work(3)
            list(mod.gen(2))
            print(sorted(m for m in sys.modules if m.split(".")[0] == "opentelemetry"))
        """
        rc, out, err = self.pkg.run(script)
        self.assertEqual((rc, out, err), (0, "[]\n", ""))
        self.assertTrue(self.pkg.events())

    def test_opentelemetry_imported_but_not_configured(self):
        script = """
            import sys
            from opentelemetry import trace
            from app import mod
            mod.work(3)
            print(type(trace.get_tracer_provider()).__name__)
        """
        rc, out, err = self.pkg.run(script)
        self.assertEqual((rc, out, err), (0, "ProxyTracerProvider\n", ""))
        self.assertEqual(len([e for e in self.pkg.events() if e["type"] == "span"]), 5)


if __name__ == "__main__":
    unittest.main()
