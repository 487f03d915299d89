"""The bridge to a configured OpenTelemetry SDK (opentelemetry-sdk with an
InMemorySpanExporter): ctinject's spans join the user's trace, under the
user's active span, with the user's own spans nested under them."""

import collections
import json
import sys
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
        self.pkg = self.package()

    def package(self, config=None):
        """A Package whose programs run on this python, which has the
        opentelemetry packages (not on CTINJECT_OTLP_PROGRAM_PYTHON's)."""
        pkg = Package(config)
        self.addCleanup(pkg.cleanup)
        run = pkg.run
        pkg.run = lambda *a, **k: run(*a, python=sys.executable, **k)
        return pkg

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


class TestBridgeRegressions(BridgeCase):

    def test_an_exporter_that_calls_instrumented_code_is_not_bridged_again(self):
        # Bug C: the spans of instrumented code called by the user's exporter
        # were bridged and exported, which called it again: a batch exported
        # every schedule delay, forever, by an idle program. The SDK's
        # processors suppress instrumentation around export(); the bridge
        # now honours it (the trace file still has those spans).
        script = SETUP + textwrap.dedent("""
            import time
            from opentelemetry.sdk.trace import TracerProvider
            from opentelemetry.sdk.trace.export import (
                BatchSpanProcessor, SpanExporter, SpanExportResult)
            from app import mod
            calls = []
            class Exporter(SpanExporter):
                def export(self, spans):
                    calls.append(mod.call(len, spans))
                    return SpanExportResult.SUCCESS
            provider = TracerProvider()
            provider.add_span_processor(BatchSpanProcessor(Exporter(), schedule_delay_millis=50))
            trace.set_tracer_provider(provider)
            mod.leaf(1)
            time.sleep(1.0)
            print(json.dumps(calls))
        """)
        rc, out, err = self.pkg.run(script)
        self.assertEqual((rc, err), (0, ""), err)
        self.assertEqual(json.loads(out), [1])
        names = sorted(e["name"] for e in self.pkg.events() if e["type"] == "span")
        self.assertEqual(names, ["call", "leaf"])

    def test_a_forked_child_puts_the_otel_context_back(self):
        # Bug D: a forked child forgot the bridge's open spans, so the spans
        # open at the fork never detached the OpenTelemetry context they had
        # attached: after `call(os.fork)` returned, the child's current span
        # was still ctinject's `call`. The child does not end the parent's
        # SDK spans either (no duplicate).
        script = SETUP + textwrap.dedent("""
            import os
            from app import mod
            exporter, tracer = configure()
            mod.leaf(1)
            pid = mod.call(os.fork)
            current = trace.get_current_span()
            names = sorted(s.name for s in exporter.get_finished_spans())
            print("child" if pid == 0 else "parent", current.is_recording(), names, flush=True)
            if pid == 0:
                os._exit(0)
            os.waitpid(pid, 0)
        """)
        rc, out, err = self.pkg.run(script)
        self.assertEqual((rc, err), (0, ""), err)
        self.assertEqual(sorted(out.splitlines()), [
            "child False ['leaf']", "parent False ['call', 'leaf']"])

    def test_spans_in_generators_and_coroutines_have_their_ctinject_parent(self):
        # The SDK parent of a span started in a generator's or coroutine's
        # body was the OpenTelemetry span current there (the consumer's),
        # not the generator's or coroutine's span, which is not current.
        script = SETUP + textwrap.dedent("""
            import asyncio
            from app import mod
            exporter, tracer = configure()
            def user_gen():
                with tracer.start_as_current_span("user-in-gen"):
                    yield mod.leaf(8)
            with tracer.start_as_current_span("user"):
                list(mod.gen_calls(2))
                asyncio.run(mod.co_calls(7))
                list(mod.call(user_gen))
            dump(exporter)
        """)
        otel = self.run_bridged(script)
        names = {s["span_id"]: s["name"] for s in otel}
        got = sorted((s["name"], s["attributes"].get("ctinject.args.n"), names.get(s["parent"]))
                     for s in otel)
        self.assertEqual(got, sorted([
            ("user", None, None),
            ("gen_calls", "2", "user"),
            ("leaf", "0", "gen_calls"),
            ("leaf", "1", "gen_calls"),
            ("co_calls", "7", "user"),
            ("leaf", "7", "co_calls"),
            ("call", None, "user"),
            # A span the program makes current in the generator's body
            # is the parent of what starts inside it.
            ("user-in-gen", None, "user"),
            ("leaf", "8", "user-in-gen"),
        ]))

    def test_bridged_spans_follow_max_spans_per_function(self):
        # Bug E (decided): the bridge hands the SDK what the trace file
        # gets: calls over runtime.max_spans_per_function are not bridged,
        # but failing ones, up to max_failures_per_function.
        self.pkg = self.package({"max_spans_per_function": 3, "max_failures_per_function": 2})
        script = SETUP + textwrap.dedent("""
            import collections
            from app import mod
            exporter, tracer = configure()
            for i in range(20):
                mod.leaf(i)
                list(mod.gen(1))
                try:
                    mod.boom(i)
                except ValueError:
                    pass
            print(json.dumps(collections.Counter(s.name for s in exporter.get_finished_spans())))
        """)
        rc, out, err = self.pkg.run(script)
        self.assertEqual((rc, err), (0, ""), err)
        self.assertEqual(json.loads(out), {"leaf": 3, "gen": 3, "boom": 5})
        file_spans = collections.Counter(e["name"] for e in self.pkg.events() if e["type"] == "span")
        self.assertEqual(dict(file_spans), {"leaf": 3, "gen": 3, "boom": 5})


if __name__ == "__main__":
    unittest.main()
