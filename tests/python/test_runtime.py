"""Tests of the Python runtime (src/runtime/python/_ctinject_runtime.py, loaded
through the per-package shim src/runtime/python/_ctinject.py).

Run from the repository root:

    python3 -W error -m unittest discover -s tests/python -v

Each test loads a fresh copy of the runtime with importlib (with its config
line substituted where a test needs another configuration) and reads the
events it writes to a temporary trace file.
"""

import asyncio
import contextlib
import functools
import gc
import importlib.util
import inspect
import itertools
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import traceback
import types
import unittest
import warnings
import weakref

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
RUNTIME = os.path.join(ROOT, "src", "runtime", "python", "_ctinject_runtime.py")
SHIM = os.path.join(ROOT, "src", "runtime", "python", "_ctinject.py")
REGISTRY = "__ctinject_runtime_v2__"
CONFIG_LINE = '_CONFIG_JSON = "{}"'
_counter = itertools.count()

with open(RUNTIME, encoding="utf-8") as _f:
    RUNTIME_SRC = _f.read()

# Plain functions' spans come from sys.monitoring (CPython 3.12+), not from a
# wrapper, unless CTINJECT_SPAN_WRAPPERS asks for wrappers.
MONITORING = (sys.implementation.name == "cpython" and sys.version_info >= (3, 12)
              and os.environ.get("CTINJECT_SPAN_WRAPPERS", "") == "")

SPAN_KEYS = ["v", "type", "trace_id", "span_id", "parent_id", "name", "module", "file", "line",
             "kind", "start_unix_ns", "duration_ns", "args", "return", "status", "exception",
             "pid", "tid"]
POINT_HEAD = ["v", "type", "time_unix_ns", "trace_id", "span_id", "file", "line"]
POINT_KEYS = {
    "var": POINT_HEAD + ["name", "value", "pid", "tid"],
    "branch": POINT_HEAD + ["site", "arm", "pid", "tid"],
    "loop": POINT_HEAD + ["site", "kind", "iterations", "target", "last", "pid", "tid"],
    "exception": POINT_HEAD + ["exception", "pid", "tid"],
}


def runtime_source(config=None):
    """The runtime's text, with `config` baked in as ctinject does it."""
    if config is None:
        return RUNTIME_SRC
    assert RUNTIME_SRC.count(CONFIG_LINE) == 1
    literal = json.dumps(json.dumps(config))
    return RUNTIME_SRC.replace(CONFIG_LINE, "_CONFIG_JSON = " + literal, 1)


def load_runtime(directory, config=None, env=None, name=None, fresh=True):
    """Load a copy of the runtime as module `name` with `env` set during the import.

    fresh: forget any copy loaded before (so this one is the first of the process).
    """
    name = name or "_ctinject_test_%d" % next(_counter)
    path = os.path.join(directory, name + ".py")
    with open(path, "w", encoding="utf-8") as f:
        f.write(runtime_source(config))
    if fresh:
        sys.modules.pop(REGISTRY, None)
    keys = ("CTINJECT_TRACE_FILE", "CTINJECT_DISABLE", "CTINJECT_OTEL", "CTINJECT_OTLP_ENDPOINT",
            "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    saved = {k: os.environ.get(k) for k in keys}
    try:
        for k in keys:
            os.environ.pop(k, None)
        os.environ.update(env or {})
        spec = importlib.util.spec_from_file_location(name, path)
        mod = importlib.util.module_from_spec(spec)
        sys.modules[name] = mod
        spec.loader.exec_module(mod)
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return mod


def shutdown_runtime(rt):
    """Stop a test copy: no more events, file closed, not the registered copy."""
    try:
        rt._flush()
    except Exception:
        pass
    rt._S.on = False
    rt._mon_stop()
    try:
        gc.callbacks.remove(rt._gc_phase)
    except (ValueError, AttributeError):
        pass
    fd = rt._W.fd
    rt._W.fd = None
    if fd is not None:
        os.close(fd)
    if sys.modules.get(REGISTRY) is sys.modules.get(rt.__name__):
        sys.modules.pop(REGISTRY, None)
    sys.modules.pop(rt.__name__, None)


def recursion_depth(f, headroom):
    """How deep probe(n) -> f(probe, n + 1) -> probe(...) recurses with the
    recursion limit `headroom` frames above the current depth."""
    seen = [0]

    def probe(n):
        seen[0] = n
        f(probe, n + 1)

    old = sys.getrecursionlimit()
    sys.setrecursionlimit(len(inspect.stack(0)) + headroom)
    try:
        probe(0)
    except RecursionError:
        pass
    finally:
        sys.setrecursionlimit(old)
    return seen[0]


def traceback_frames(call):
    """The frames in the traceback of the ValueError that call() raises."""
    try:
        call()
    except ValueError as e:
        tb = e.__traceback__
    frames = []
    while tb is not None:
        frames.append(tb.tb_frame)
        tb = tb.tb_next
    return frames


def tb_entries(tb):
    """(function name, line) of each entry of a traceback, outermost first."""
    out = []
    while tb is not None:
        out.append((tb.tb_frame.f_code.co_name, tb.tb_lineno))
        tb = tb.tb_next
    return out


def caught(call):
    """(exception, traceback.format_exc()) of what call() raises, caught one
    frame up, as a caller would."""
    try:
        call()
    except BaseException as e:
        return e, traceback.format_exc()
    raise AssertionError("no exception")


def step(aw):
    """Run an awaitable that does not suspend (or yields None) to its end."""
    while True:
        try:
            aw.send(None)
        except StopIteration as si:
            return si.value


def read_events(path):
    if not os.path.exists(path):
        return []
    with open(path, encoding="ascii") as f:
        return [json.loads(line) for line in f.read().splitlines()]


def accumulator(log):
    """A generator function for tests of send(), throw() and close(): it
    yields 0 to n - 1 and returns the sum of what it was sent; a KeyError
    thrown in counts as 100; it logs what it caught and its `finally`."""
    def g(n):
        total = 0
        try:
            for i in range(n):
                try:
                    got = yield i
                except KeyError as e:
                    log.append(("caught", e))
                    got = 100
                if got:
                    total += got
        finally:
            log.append("finally")
        return total
    return g


class RuntimeCase(unittest.TestCase):
    """A fresh runtime (telemetry on, writing to a temp file) and one Module."""

    config = None
    module_file = "pkg/mod.py"

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="ctinject-test-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.trace = os.path.join(self.dir, "trace.jsonl")
        self.rt = self.load(self.config)
        self.ct = self.rt.Module(self.module_file)

    def load(self, config=None, on=True, fresh=True, name=None, env=None):
        if env is None:
            env = {"CTINJECT_TRACE_FILE": self.trace} if on else {}
        rt = load_runtime(self.dir, config=config, env=env, fresh=fresh, name=name)
        self.addCleanup(shutdown_runtime, rt)
        return rt

    def events(self, type=None, **match):
        self.rt._flush()
        evs = read_events(self.trace)
        if type is not None:
            evs = [e for e in evs if e["type"] == type]
        for k, v in match.items():
            evs = [e for e in evs if e.get(k) == v]
        return evs

    def spans(self, **match):
        return self.events("span", **match)

    def one_span(self, **match):
        s = self.spans(**match)
        self.assertEqual(len(s), 1, s)
        return s[0]

    def current_span_id(self):
        sp = self.rt._cur.get()
        return None if sp is None else json.loads(sp[self.rt._SP_QS])

    def use_wrappers(self, rt=None):
        """Span wrappers for plain functions too, as before CPython 3.13: for
        tests of the wrapper's own properties (generators, coroutines and
        async generators are wrapped on every version)."""
        (rt or self.rt)._mon = None


# ---------------------------------------------------------------- the calls of the contract

class TestContractCalls(RuntimeCase):

    def test_meth_wraps_a_method_after_its_class(self):
        """`_ct.meth(Class, line, "name")` after a class statement: the method
        defined at that line gets its span on every version (a wrapper put in
        the class before 3.12, the function itself registered from 3.12);
        a private name is looked up mangled, and an attribute that is not
        that very function (another line, a replaced attribute) is left
        alone. (Decorated methods always have a line of their own: the
        decorator's.)"""
        src = textwrap.dedent("""\
            class A:
                def f(self, a):
                    return a + 1
                def __p(self):
                    return "p"
                def g(self): return "g"
                def call_p(self): return self.__p()
            A.g = lambda self: "replaced"
            _ct.meth(A, 2, "f"); _ct.meth(A, 4, "__p")
            _ct.meth(A, 6, "g"); _ct.meth(A, 99, "call_p"); _ct.meth(None, 2, "f")
            """)
        ns = {"_ct": self.ct, "__name__": "pkg.mod"}
        exec(compile(src, "pkg/mod.py", "exec"), ns)
        A = ns["A"]
        self.assertEqual((A().f(1), A().call_p(), A().g()), (2, "p", "replaced"))
        self.assertEqual(A.__dict__["f"].__name__, "f")
        spans = sorted(s["name"] for s in self.spans())
        self.assertEqual(spans, ["A.__p", "A.f"])
        f = self.one_span(name="A.f")
        self.assertEqual((f["line"], f["args"]["a"], f["return"]), (2, "1", "2"))

    def test_at_registers_a_function_by_its_lines_for_sys_monitoring(self):
        """`_ct.at(line, name[, first])` after the binding: the function's
        code object, found by name and first line among the module's code,
        gets its spans from sys.monitoring (CPython 3.12+); nothing is
        wrapped, and on older versions nothing happens at all."""
        src = textwrap.dedent("""\
            _ct.at(4, "f"); _ct.at(8, "g", 7); _ct.at(12, "missing"); _ct.at(4, "h")
            class A:
                x = 1
                def f(self, a):
                    return a + 1
                def h(self): pass
                @staticmethod
                def g(b):
                    return b * 2
            """)
        ns = {"_ct": self.ct, "__name__": "pkg.mod"}
        exec(compile(src, "pkg/mod.py", "exec"), ns)
        A = ns["A"]
        self.assertEqual((A().f(1), A.g(3), A().h()), (2, 6, None))
        self.assertIs(type(A.__dict__["f"]), types.FunctionType)
        self.assertEqual(A.__dict__["f"].__code__.co_name, "f")  # the function itself
        spans = {s["name"]: s for s in self.spans()}
        if not MONITORING:
            self.assertEqual(spans, {})
            return
        self.assertEqual(sorted(spans), ["A.f", "A.g"])  # not h: its line is not 4
        f, g = spans["A.f"], spans["A.g"]
        self.assertEqual((f["line"], f["module"], f["args"]["a"], f["return"]),
                         (4, "pkg.mod", "1", "2"))
        self.assertEqual((g["line"], g["args"], g["return"]), (8, {"b": "3"}, "6"))


    def test_fn_records_a_span_with_args_and_return(self):
        ct = self.ct

        @ct.fn(12)
        def add(a, b=10, *rest, c, d=4, **kw):
            return a + b

        self.assertEqual(add(1, 2, 3, c=5, e=6), 3)
        s = self.one_span(name=add.__qualname__)
        self.assertEqual(list(s)[:len(SPAN_KEYS)], SPAN_KEYS)
        self.assertEqual(s["v"], 1)
        self.assertEqual(s["line"], 12)
        self.assertEqual(s["file"], "pkg/mod.py")
        self.assertEqual(s["module"], __name__)
        self.assertEqual(s["kind"], "function")
        self.assertEqual(s["args"], {"a": "1", "b": "2", "rest": "(3,)", "c": "5", "d": "4",
                                     "kw": "{'e': 6}"})
        self.assertEqual(list(s["args"]), ["a", "b", "rest", "c", "d", "kw"])
        self.assertEqual(s["return"], "3")
        self.assertEqual(s["status"], "ok")
        self.assertIsNone(s["exception"])
        self.assertIsNone(s["parent_id"])
        self.assertRegex(s["trace_id"], r"^[0-9a-f]{32}$")
        self.assertRegex(s["span_id"], r"^[0-9a-f]{16}$")
        self.assertNotEqual(s["trace_id"], "0" * 32)
        self.assertEqual(s["pid"], os.getpid())
        self.assertEqual(s["tid"], threading.get_ident())
        self.assertGreaterEqual(s["duration_ns"], 0)
        self.assertGreater(s["start_unix_ns"], 1_500_000_000 * 10**9)
        self.assertNotIn("suppressed", s)

    def test_defaults_and_keywords_map_to_parameter_names(self):
        @self.ct.fn(1)
        def f(a, b=2, /, c=3, *, d):
            return None

        f(1, d=4)
        f(1, 5, c=6, d=7)
        s1, s2 = self.spans()
        self.assertEqual(s1["args"], {"a": "1", "b": "2", "c": "3", "d": "4"})
        self.assertEqual(s2["args"], {"a": "1", "b": "5", "c": "6", "d": "7"})
        self.assertEqual(s1["return"], "None")

    def test_nested_spans_link_to_their_parent(self):
        ct = self.ct

        @ct.fn(1)
        def inner():
            return 1

        @ct.fn(2)
        def outer():
            return inner() + inner()

        outer()
        spans = self.spans()
        self.assertEqual([s["line"] for s in spans], [1, 1, 2])
        parent = spans[2]
        for child in spans[:2]:
            self.assertEqual(child["parent_id"], parent["span_id"])
            self.assertEqual(child["trace_id"], parent["trace_id"])
        self.assertNotEqual(spans[0]["span_id"], spans[1]["span_id"])

    def test_deco_wraps_before_the_decorator(self):
        self.use_wrappers()
        seen = []

        def d(f):
            seen.append(f)

            @functools.wraps(f)
            def outer(*a):
                return ("decorated", f(*a))
            return outer

        @self.ct.deco(7, d)
        def g(x):
            return x * 2

        self.assertEqual(g(4), ("decorated", 8))
        self.assertEqual(len(seen), 1)
        self.assertIn(seen[0].__code__, self.rt._HIDDEN)  # d got the ctinject wrapper
        self.assertIs(g.__wrapped__, seen[0])
        self.assertEqual(seen[0].__wrapped__.__name__, "g")
        s = self.one_span()
        self.assertEqual((s["line"], s["args"], s["return"]), (7, {"x": "4"}, "8"))

    def test_late_and_lam(self):
        ct = self.ct

        def h(x):
            return -x

        h = ct.late(20, h)
        sq = ct.lam(21, lambda y: y * y)
        self.assertEqual(h(3), -3)
        self.assertEqual(sq(5), 25)
        a, b = self.spans()
        self.assertEqual((a["line"], a["return"]), (20, "-3"))
        self.assertEqual((b["line"], b["args"], b["return"]), (21, {"y": "5"}, "25"))
        self.assertTrue(b["name"].endswith("<lambda>"))

    def test_wrap_leaves_non_functions_and_own_wrappers_alone(self):
        ct = self.ct
        part = functools.partial(max, 1)
        self.assertIs(ct.late(1, part), part)
        self.assertIs(ct.late(1, len), len)

        class C:
            pass
        self.assertIs(ct.late(1, C), C)
        w = ct.fn(1)(lambda: 1)
        self.assertIs(ct.late(2, w), w)  # not wrapped twice
        self.assertEqual(w(), 1)
        self.assertEqual(len(self.spans()), 1)

    def test_v_records_each_pair(self):
        ct = self.ct

        @ct.fn(1)
        def f():
            x = 1
            y = "two"
            self.assertIsNone(ct.v(3, "x", x, "y", y))
            return None

        f()
        evs = self.events("var")
        span = self.one_span()
        self.assertEqual([(e["name"], e["value"], e["line"]) for e in evs],
                         [("x", "1", 3), ("y", "'two'", 3)])
        for e in evs:
            self.assertEqual(list(e), POINT_KEYS["var"])
            self.assertEqual(e["span_id"], span["span_id"])
            self.assertEqual(e["trace_id"], span["trace_id"])
            self.assertEqual(e["file"], "pkg/mod.py")
            self.assertEqual(e["pid"], os.getpid())

    def test_var_outside_spans_has_null_ids(self):
        self.ct.v(5, "z", [1, 2])
        (e,) = self.events("var")
        self.assertIsNone(e["trace_id"])
        self.assertIsNone(e["span_id"])
        self.assertEqual(e["value"], "[1, 2]")

    def test_vw_returns_the_value(self):
        obj = object()
        self.assertIs(self.ct.vw(4, "y", obj), obj)
        (e,) = self.events("var")
        self.assertEqual((e["name"], e["line"]), ("y", 4))
        self.assertEqual(e["value"], "<builtins.object object>")

    def test_vwith_records_and_adds_a_with_item_that_does_nothing(self):
        ct = self.ct
        seen = []

        @contextlib.contextmanager
        def opened(name):
            seen.append("enter " + name)
            try:
                yield name.upper()
            finally:
                seen.append("exit " + name)

        with opened("a") as a, ct.vwith(7, "a", a) as nothing:
            seen.append((a, nothing))
        # An exception in the body reaches the outer items, not swallowed.
        with self.assertRaises(KeyError):
            with opened("b") as b, ct.vwith(9, "b", b):
                raise KeyError(b)

        @contextlib.asynccontextmanager
        async def aopened(name):
            yield name * 2

        async def main():
            async with aopened("c") as c, ct.vwith(11, "c", c):
                return c

        self.assertEqual(asyncio.run(main()), "cc")
        self.assertEqual(seen, ["enter a", ("A", None), "exit a", "enter b", "exit b"])
        evs = self.events("var")
        self.assertEqual([(e["name"], e["value"], e["line"]) for e in evs],
                         [("a", "'A'", 7), ("b", "'B'", 9), ("c", "'cc'", 11)])

    def test_br_calls_bool_once_and_records_true_arms(self):
        calls = []

        class Cond:
            def __init__(self, v):
                self.v = v

            def __bool__(self):
                calls.append(1)
                return self.v

        ct = self.ct
        self.assertIs(ct.br(4, 0, Cond(True)), True)
        self.assertIs(ct.br(4, 1, Cond(False)), False)
        self.assertIs(ct.br(4, 1, []), False)
        self.assertIs(ct.br(4, 2, [0]), True)
        self.assertEqual(len(calls), 2)
        evs = self.events("branch")
        self.assertEqual([(e["site"], e["arm"]) for e in evs], [(4, 0), (4, 2)])
        self.assertEqual(list(evs[0]), POINT_KEYS["branch"])
        self.assertEqual(evs[0]["line"], 4)

    def test_brx_records_the_other_arm_on_false(self):
        ct = self.ct
        self.assertIs(ct.brx(5, 0, 1, 1), True)
        self.assertIs(ct.brx(5, 0, 0, 1), False)
        self.assertIs(ct.brx(6, 0, "", -1), False)  # no arm taken
        self.assertIs(ct.brx(6, 0, "x", -1), True)
        evs = self.events("branch")
        self.assertEqual([(e["site"], e["arm"]) for e in evs], [(5, 0), (5, 1), (6, 0)])

    def test_case_and_caseg(self):
        ct = self.ct
        self.assertIs(ct.case(7, 2), True)
        self.assertIs(ct.caseg(7, 3, 0), False)
        self.assertIs(ct.caseg(7, 4, "yes"), True)
        evs = self.events("branch")
        self.assertEqual([(e["site"], e["arm"]) for e in evs], [(7, 2), (7, 4)])

    def test_loop_is_eager_and_counts(self):
        ct = self.ct
        with self.assertRaises(TypeError) as cm:
            ct.loop(8, "x", 5)
        self.assertEqual(str(cm.exception), "'int' object is not iterable")
        self.assertEqual(self.events("loop"), [])

        @ct.fn(1)
        def f():
            total = 0
            for x in ct.loop(8, "x", [1, 2, 3]):
                total += x
            for y in ct.loop(9, "y", []):
                total += 100
            return total

        self.assertEqual(f(), 6)
        evs = self.events("loop")
        span = self.one_span()
        self.assertEqual([(e["site"], e["kind"], e["iterations"], e["target"], e["last"])
                          for e in evs],
                         [(8, "for", 3, "x", "3"), (9, "for", 0, "y", None)])
        self.assertEqual(list(evs[0]), POINT_KEYS["loop"])
        self.assertEqual(evs[0]["span_id"], span["span_id"])

    def test_loop_break_writes_the_event_at_once(self):
        ct = self.ct
        self.rt._flush()
        for x in ct.loop(10, "x", itertools.count()):
            if x == 4:
                break
        # The iterator was dropped by the break: its event is already buffered.
        self.assertEqual(len(self.rt._W.buf), 1)
        self.assertIn('"type":"loop"', self.rt._W.buf[0])
        evs = self.events("loop")
        self.assertEqual([(e["iterations"], e["last"]) for e in evs], [(5, "4")])

    def test_loop_does_not_close_the_iterator_on_break(self):
        it = iter(range(10))
        for x in self.ct.loop(11, "x", it):
            if x == 2:
                break
        self.assertEqual(next(it), 3)

    def test_loop_error_from_the_iterator_propagates_unchanged(self):
        err = ValueError("bad item")

        def items():
            yield 1
            raise err

        with self.assertRaises(ValueError) as cm:
            for _ in self.ct.loop(12, "_", items()):
                pass
        self.assertIs(cm.exception, err)
        self.assertIsNone(err.__context__)
        (e,) = self.events("loop")
        self.assertEqual(e["iterations"], 1)

    def test_wrapper_closures_pickle_by_reference_for_cloudpickle(self):
        self.use_wrappers()
        # attrs' cloudpickle test pickles an instrumented nested function by
        # value: everything a wrapper's closure holds (but the function
        # itself) must pickle, and come back as this process's live objects.
        import pickle
        ct = self.ct

        def outer():
            def inner(x):
                return x
            return inner

        import contextvars
        for w in (ct.late(3, outer()), ct.late(4, (lambda: (yield 1)))):
            contents = [c.cell_contents for c in w.__closure__]
            self.assertFalse([c for c in contents if isinstance(c, contextvars.ContextVar)])
            rest = [c for c in contents if c is not w.__wrapped__ and type(c).__name__ != "_Info"]
            back = pickle.loads(pickle.dumps(rest))
            for before, after in zip(rest, back):
                if before is self.rt._S or before is self.rt._BUSY:
                    self.assertIs(after, before)
        self.assertIs(pickle.loads(pickle.dumps(self.rt._S)), self.rt._S)
        m = pickle.loads(pickle.dumps(ct))
        self.assertEqual(m.file, ct.file)

    def test_aloop_binds_anext_like_async_for_slots_member(self):
        # asyncstdlib's borrowed iterators keep __anext__ in a __slots__
        # member and reassign it when borrowing ends; `async for` looks it
        # up on the type and binds it (descriptor protocol) at every step.
        ct = self.ct

        class Borrowed:
            __slots__ = ("__anext__",)

            def __init__(self, n):
                items = iter(range(n))

                async def anext_():
                    for i in items:
                        if i == 1:
                            self.__anext__ = stopped
                        return i
                    raise StopAsyncIteration

                async def stopped():
                    raise StopAsyncIteration

                self.__anext__ = anext_

            def __aiter__(self):
                return self

        async def main():
            plain = [x async for x in Borrowed(5)]
            loop = []
            async for x in ct.aloop(16, "x", Borrowed(5)):
                loop.append(x)
            return plain, loop

        plain, loop = asyncio.run(main())
        self.assertEqual(plain, [0, 1])
        self.assertEqual(loop, plain)
        self.assertEqual(self.events("loop", site=16)[0]["iterations"], 2)

    def test_aloop(self):
        ct = self.ct

        async def agen(n):
            for i in range(n):
                await asyncio.sleep(0)
                yield i

        class NoNext:
            def __aiter__(self):
                return 5

        async def main():
            out = []
            async for x in ct.aloop(13, "x", agen(3)):
                out.append(x)
            async for x in ct.aloop(14, "x", agen(10)):
                if x == 1:
                    break
            got = []
            for bad in (3, NoNext()):
                try:
                    ct.aloop(15, "x", bad)
                except TypeError as e:
                    got.append(str(e))
                try:
                    async for _ in bad:
                        pass
                except TypeError as e:
                    got.append(str(e))
            return out, got

        out, got = asyncio.run(main())
        self.assertEqual(out, [0, 1, 2])
        self.assertEqual(got[0], got[1])  # same TypeError as Python's own, eagerly
        self.assertEqual(got[2], got[3])
        evs = self.events("loop")
        self.assertEqual([(e["site"], e["kind"], e["iterations"], e["last"]) for e in evs],
                         [(13, "async_for", 3, "2"), (14, "async_for", 2, "1")])

    def test_wt_and_lb(self):
        ct = self.ct

        @ct.fn(1)
        def f():
            i = 0
            while ct.wt(9, i < 3):
                i += 1
            j = 0
            while ct.wt(10, True):
                j += 1
                if j == 2:
                    ct.lb(10)
                    break
            k = 0
            while ct.wt(11, True):
                k += 1
                if k == 4:
                    return k  # pending: written when the span ends
            return None

        self.assertIs(ct.wt(1, 0), False)
        self.assertEqual(f(), 4)
        evs = self.events("loop")
        self.assertEqual([(e["site"], e["kind"], e["iterations"], e["target"]) for e in evs],
                         [(1, "while", 0, None), (9, "while", 3, None), (10, "while", 2, None),
                          (11, "while", 4, None)])
        span = self.one_span()
        self.assertEqual([e["span_id"] for e in evs[1:]], [span["span_id"]] * 3)
        self.assertIsNone(evs[0]["span_id"])

    def test_ex_records_the_handled_exception(self):
        ct = self.ct
        try:
            raise KeyError("k")
        except KeyError:
            self.assertIsNone(ct.ex(10))
        ct.ex(11)  # nothing being handled: no event
        (e,) = self.events("exception")
        self.assertEqual(list(e), POINT_KEYS["exception"])
        self.assertEqual(e["line"], 10)
        self.assertEqual(e["exception"], {"type": "KeyError", "message": "'k'"})

    def test_exm_returns_types_and_records_matches(self):
        ct = self.ct
        types = (KeyError, ValueError)
        try:
            raise ValueError("v")
        except ct.exm(12, types) as e:
            caught = e
        self.assertIsInstance(caught, ValueError)
        self.assertIs(ct.exm(1, types), types)
        try:
            try:
                raise OSError("o")
            except ct.exm(13, KeyError):
                self.fail("must not match")
        except OSError:
            pass
        with self.assertRaises(TypeError) as cm:
            try:
                raise ValueError("w")
            except ct.exm(14, (1, 2)):
                pass
        self.assertIn("BaseException", str(cm.exception))  # Python's own TypeError
        # With the name it binds (`except E as err`): a var event too, on a match only.
        try:
            raise KeyError("k")
        except ct.exm(15, types, "err") as err:
            self.assertIsInstance(err, KeyError)
        try:
            try:
                raise OSError("o2")
            except ct.exm(16, KeyError, "nope") as nope:
                self.fail("must not match")
        except OSError:
            pass
        evs = self.events("exception")
        self.assertEqual([(e["line"], e["exception"]["type"]) for e in evs],
                         [(12, "ValueError"), (15, "KeyError")])
        self.assertEqual([(e["line"], e["name"], e["value"]) for e in self.events("var")],
                         [(15, "err", "<builtins.KeyError object>")])


# ---------------------------------------------------------------- function kinds

class TestFunctionKinds(RuntimeCase):

    def test_wrapper_metadata_and_predicates(self):
        self.use_wrappers()
        ct = self.ct

        def plain(a: int, b: str = "x") -> str:
            """Doc."""
            return b * a
        plain.custom = 42

        def gen(a, *, b=1):
            yield a

        async def coro(a, /, b):
            return a

        async def agen(a, **kw):
            yield a

        for f, pred in [(plain, inspect.isfunction), (gen, inspect.isgeneratorfunction),
                        (coro, inspect.iscoroutinefunction), (agen, inspect.isasyncgenfunction)]:
            w = ct.fn(1)(f)
            self.assertIsNot(w, f)
            self.assertIs(w.__wrapped__, f)
            self.assertTrue(inspect.isfunction(w))
            for p in (inspect.isgeneratorfunction, inspect.iscoroutinefunction,
                      inspect.isasyncgenfunction):
                self.assertEqual(p(w), p(f), (f, p))
            self.assertTrue(pred(w))
            self.assertEqual(inspect.signature(w), inspect.signature(f))
            for attr in ("__name__", "__qualname__", "__doc__", "__module__", "__annotations__"):
                self.assertEqual(getattr(w, attr), getattr(f, attr))
        self.assertEqual(ct.fn(1)(plain).custom, 42)
        self.assertEqual(ct.fn(1)(plain)(2), "xx")

    def test_the_code_object_tells_the_signature_for_every_kind(self):
        self.use_wrappers()
        # sympy's decorators check __code__.co_argcount and read co_varnames;
        # networkx's update __kwdefaults__ in place. A (*args, **kwargs)
        # wrapper broke `import sympy` and `import networkx`.
        ct = self.ct

        def plain(self, other, /, extra=1, *rest, k=2, **more):
            return other

        def gen(a, b=1, *, c):
            yield a

        async def coro(a, b=1, *, c):
            return a

        async def agen(a, b=1, *, c):
            yield a

        for f in (plain, gen, coro, agen):
            w = ct.wrap(f, 1)
            self.assertIsNot(w, f)
            code, wcode = f.__code__, w.__code__
            n = code.co_argcount + code.co_kwonlyargcount
            n += bool(code.co_flags & 0x04) + bool(code.co_flags & 0x08)
            self.assertEqual(
                [wcode.co_argcount, wcode.co_posonlyargcount, wcode.co_kwonlyargcount,
                 wcode.co_varnames[:n], wcode.co_flags & 0x0C],
                [code.co_argcount, code.co_posonlyargcount, code.co_kwonlyargcount,
                 code.co_varnames[:n], code.co_flags & 0x0C], f.__name__)
            self.assertIs(w.__defaults__, f.__defaults__)
            self.assertIs(w.__kwdefaults__, f.__kwdefaults__)
        w = ct.wrap(plain, 1)
        w.__kwdefaults__.update(k=5)  # as networkx does: the call sees it
        self.assertEqual(plain.__kwdefaults__, {"k": 5})
        self.assertEqual(w(None, 7), 7)
        # A signature that cannot be written out (a name of the wrapper's own)
        # gets the generic wrapper, which still calls and records.
        ns = {}
        exec("def odd(__ct_f, b=2):\n    return __ct_f + b\n", ns)
        w = ct.wrap(ns["odd"], 3)
        self.assertEqual((w(1), w.__code__.co_argcount), (3, 0))
        self.assertEqual(self.spans()[-1]["args"], {"__ct_f": "1", "b": "2"})

    def test_bad_arguments_fail_at_the_call_for_every_kind(self):
        ct = self.ct

        def gen(a):
            yield a

        async def coro(a):
            return a

        async def agen(a):
            yield a

        for f in (gen, coro, agen):
            w = ct.fn(1)(f)
            with self.assertRaises(TypeError) as cm:
                w(1, 2)
            self.assertIn("positional argument", str(cm.exception))
        self.assertEqual(self.spans(), [])

    def test_methods_and_descriptors(self):
        ct = self.ct

        class C:
            def __init__(self):
                self.n = 5

            @ct.fn(1)
            def meth(self, k):
                return self.n * k

            @staticmethod
            @ct.fn(2)
            def st(x):
                return x + 1

            @classmethod
            @ct.fn(3)
            def cm(cls, x):
                return (cls.__name__, x)

            @property
            @ct.fn(4)
            def prop(self):
                return self.n

            @prop.setter
            @ct.fn(5)
            def prop(self, v):
                self.n = v

            @functools.cached_property
            @ct.fn(6)
            def cached(self):
                return self.n * 100

        c = C()
        self.assertEqual(c.meth(2), 10)
        self.assertEqual(C.st(1), 2)
        self.assertEqual(c.st(1), 2)
        self.assertEqual(C.cm(7), ("C", 7))
        self.assertEqual(c.prop, 5)
        c.prop = 6
        self.assertEqual(c.prop, 6)
        self.assertEqual(c.cached, 600)
        self.assertEqual(c.cached, 600)
        self.assertEqual(type(C.__dict__["st"]), staticmethod)
        self.assertEqual(type(C.__dict__["cm"]), classmethod)
        lines = [s["line"] for s in self.spans()]
        self.assertEqual(lines, [1, 2, 2, 3, 4, 5, 4, 6])
        meth = self.spans(line=1)[0]
        self.assertEqual(meth["args"]["k"], "2")
        self.assertRegex(meth["args"]["self"], r"^<.*C object>$")
        self.assertEqual(meth["name"], C.meth.__qualname__)

    def test_late_on_staticmethod_and_classmethod_objects(self):
        ct = self.ct

        class C:
            def s(x):
                return x
            s = ct.late(1, staticmethod(s))

            def c(cls):
                return cls
            c = ct.late(2, classmethod(c))

        self.assertEqual(C.s(3), 3)
        self.assertIs(C.c(), C)
        self.assertEqual([s["line"] for s in self.spans()], [1, 2])

    def test_generator_send_throw_close_and_return_value(self):
        ct = self.ct
        log = []
        g = ct.fn(30)(accumulator(log))

        it = g(5)
        self.assertTrue(inspect.isgenerator(it))
        self.assertEqual(next(it), 0)
        self.assertEqual(it.send(10), 1)
        ke = KeyError("k")
        self.assertEqual(it.throw(ke), 2)
        self.assertIs(log[0][1], ke)
        self.assertEqual(it.send(1), 3)
        self.assertEqual(next(it), 4)
        with self.assertRaises(StopIteration) as cm:
            it.send(5)
        self.assertEqual(cm.exception.value, 116)
        s = self.one_span()
        self.assertEqual((s["kind"], s["return"], s["status"]), ("generator", "116", "ok"))

        it2 = g(3)
        next(it2)
        it2.close()
        self.assertEqual(log[-1], "finally")
        self.assertEqual(inspect.getgeneratorstate(it2), inspect.GEN_CLOSED)
        s2 = self.spans()[-1]
        self.assertEqual((s2["status"], s2["return"]), ("ok", None))

        it3 = g(3)
        next(it3)
        err = ValueError("thrown")
        with self.assertRaises(ValueError) as cm:
            it3.throw(err)
        self.assertIs(cm.exception, err)
        self.assertIsNone(err.__context__)
        s3 = self.spans()[-1]
        self.assertEqual(s3["status"], "error")
        self.assertEqual(s3["exception"], {"type": "ValueError", "message": "thrown"})

    def test_generator_gc_close_ends_the_span(self):
        @self.ct.fn(1)
        def g():
            yield 1
            yield 2

        it = g()
        next(it)
        del it
        gc.collect()
        (s,) = self.spans()
        self.assertEqual(s["status"], "ok")

    def test_generator_exception_raised_later_has_no_extra_context(self):
        # The exception thrown in is handled by the generator; a later one must not
        # get it (or anything of the runtime's) as __context__.
        def make():
            def g():
                try:
                    yield 1
                except KeyError:
                    pass
                yield 2
                raise ValueError("late")
            return g

        results = []
        for wrap in (lambda f: f, self.ct.fn(1)):
            it = wrap(make())()
            next(it)
            self.assertEqual(it.throw(KeyError("x")), 2)
            try:
                next(it)
            except ValueError as e:
                results.append((e.__context__, e.__cause__, e.__suppress_context__))
        self.assertEqual(results[0], results[1])
        self.assertEqual(results[1], (None, None, False))

    def test_yield_from_between_wrapped_generators(self):
        ct = self.ct

        @ct.fn(1)
        def inner():
            x = yield "a"
            y = yield x
            return x + y

        @ct.fn(2)
        def outer():
            r = yield from inner()
            yield ("inner returned", r)
            return "outer"

        it = outer()
        self.assertEqual(next(it), "a")
        self.assertEqual(it.send(2), 2)
        self.assertEqual(it.send(3), ("inner returned", 5))
        with self.assertRaises(StopIteration) as cm:
            next(it)
        self.assertEqual(cm.exception.value, "outer")
        si, so = self.spans()
        self.assertEqual((si["line"], si["return"]), (1, "5"))
        self.assertEqual((so["line"], so["return"]), (2, "'outer'"))
        self.assertEqual(si["parent_id"], so["span_id"])

    def test_span_is_not_current_across_yield(self):
        ct = self.ct
        seen = []

        @ct.fn(1)
        def g():
            seen.append(self.current_span_id())
            yield 1
            seen.append(self.current_span_id())
            ct.v(3, "inside", 1)
            yield 2

        @ct.fn(2)
        def consumer():
            mine = self.current_span_id()
            it = g()
            next(it)
            after_first = self.current_span_id()
            ct.v(4, "outside", 1)
            next(it)
            after_second = self.current_span_id()
            it.close()
            return mine, after_first, after_second

        mine, a1, a2 = consumer()
        self.assertEqual((a1, a2), (mine, mine))
        self.assertIsNone(self.current_span_id())
        gspan = self.one_span(line=1)
        cspan = self.one_span(line=2)
        self.assertEqual(seen, [gspan["span_id"]] * 2)
        self.assertEqual(gspan["parent_id"], cspan["span_id"])
        inside = self.events("var", name="inside")[0]
        outside = self.events("var", name="outside")[0]
        self.assertEqual(inside["span_id"], gspan["span_id"])
        self.assertEqual(outside["span_id"], cspan["span_id"])

    def test_coroutines_nest_across_tasks(self):
        ct = self.ct
        inside = {}

        @ct.fn(40)
        async def leaf(i):
            inside[i] = self.current_span_id()
            await asyncio.sleep(0.001 * (3 - i))
            ct.v(41, "i", i)
            return i * 10

        @ct.fn(42)
        async def mid(i):
            return await leaf(i) + 1

        @ct.fn(43)
        async def root():
            before = self.current_span_id()
            results = await asyncio.gather(*(mid(i) for i in range(3)))
            t = asyncio.ensure_future(leaf(9))
            await asyncio.sleep(0)
            after = self.current_span_id()
            results.append(await t)
            return results, before, after

        def check_outside():
            # called from the event loop between steps: nothing current
            inside["loop"] = self.current_span_id()

        async def main():
            asyncio.get_running_loop().call_soon(check_outside)
            return await root()

        results, before, after = asyncio.run(main())
        self.assertEqual(results, [1, 11, 21, 90])
        self.assertIsNone(inside["loop"])
        r = self.one_span(line=43)
        self.assertEqual((before, after), (r["span_id"], r["span_id"]))
        self.assertEqual(r["kind"], "coroutine")
        self.assertIsNone(r["parent_id"])
        mids = self.spans(line=42)
        leaves = self.spans(line=40)
        self.assertEqual(len(mids), 3)
        self.assertEqual(len(leaves), 4)
        mid_by_arg = {m["args"]["i"]: m for m in mids}
        for lf in leaves:
            self.assertEqual(lf["trace_id"], r["trace_id"])
            i = lf["args"]["i"]
            if i == "9":
                self.assertEqual(lf["parent_id"], r["span_id"])
            else:
                self.assertEqual(lf["parent_id"], mid_by_arg[i]["span_id"])
                self.assertEqual(inside[int(i)], lf["span_id"])
        for m in mids:
            self.assertEqual(m["parent_id"], r["span_id"])
        for e in self.events("var"):
            lf = [x for x in leaves if x["args"]["i"] == e["value"]][0]
            self.assertEqual(e["span_id"], lf["span_id"])

    def test_coroutine_exception_and_cancellation(self):
        ct = self.ct
        err = RuntimeError("boom")

        @ct.fn(1)
        async def fails():
            await asyncio.sleep(0)
            raise err

        @ct.fn(2)
        async def sleeps():
            await asyncio.sleep(10)

        async def main():
            try:
                await fails()
            except RuntimeError as e:
                got = e
            t = asyncio.ensure_future(sleeps())
            await asyncio.sleep(0)
            t.cancel()
            try:
                await t
            except asyncio.CancelledError:
                pass
            return got

        got = asyncio.run(main())
        self.assertIs(got, err)
        self.assertIsNone(err.__context__)
        f = self.one_span(line=1)
        self.assertEqual((f["status"], f["exception"]["type"]), ("error", "RuntimeError"))
        c = self.one_span(line=2)
        self.assertEqual(c["status"], "error")
        self.assertTrue(c["exception"]["type"].endswith("CancelledError"))

    def test_coroutine_closed_without_running_and_with_send(self):
        @self.ct.fn(1)
        async def c():
            return 1

        coro = c()
        coro.close()  # never started: no span, no warning
        coro2 = c()
        with self.assertRaises(StopIteration) as cm:
            coro2.send(None)
        self.assertEqual(cm.exception.value, 1)
        self.assertEqual([s["return"] for s in self.spans()], ["1"])

    def test_async_generator_asend_athrow_aclose(self):
        ct = self.ct
        log = []

        @ct.fn(50)
        async def ag(n):
            try:
                for i in range(n):
                    await asyncio.sleep(0)
                    try:
                        got = yield i
                    except KeyError:
                        got = "caught"
                    log.append((got, self.current_span_id()))
            finally:
                await asyncio.sleep(0)
                log.append(("finally", self.current_span_id()))

        async def main():
            a = ag(5)
            self.assertTrue(inspect.isasyncgen(a))
            r = [await a.asend(None)]
            self.assertIsNone(self.current_span_id())
            r.append(await a.asend("s1"))
            r.append(await a.athrow(KeyError("k")))
            self.assertIsNone(self.current_span_id())
            await a.aclose()
            out = [x async for x in ag(2)]
            b = ag(3)
            await b.__anext__()
            err = ValueError("into")
            try:
                await b.athrow(err)
            except ValueError as e:
                r.append(e is err and e.__context__ is None)
            return r, out

        r, out = asyncio.run(main())
        self.assertEqual(r, [0, 1, 2, True])
        self.assertEqual(out, [0, 1])
        spans = self.spans(line=50)
        self.assertEqual(len(spans), 3)
        first = spans[0]
        self.assertEqual(first["kind"], "async_generator")
        self.assertEqual((first["status"], first["return"]), ("ok", None))
        self.assertEqual(log[0], ("s1", first["span_id"]))
        self.assertEqual(log[1], ("caught", first["span_id"]))
        self.assertEqual(log[2], ("finally", first["span_id"]))
        self.assertEqual(spans[2]["status"], "error")
        self.assertEqual(spans[2]["exception"]["type"], "ValueError")

    def test_contextmanager_and_asynccontextmanager(self):
        ct = self.ct
        log = []

        @contextlib.contextmanager
        @ct.fn(60)
        def cm(tag):
            log.append(("enter", tag))
            try:
                yield tag
            except KeyError:
                log.append("suppressed")
            finally:
                log.append(("exit", tag))

        @ct.deco(61, contextlib.asynccontextmanager)
        async def acm(tag):
            await asyncio.sleep(0)
            try:
                yield tag
            finally:
                log.append(("aexit", tag))

        with cm("a") as v:
            self.assertEqual(v, "a")
        with cm("b"):
            raise KeyError("swallowed")
        err = ValueError("through")
        with self.assertRaises(ValueError) as caught:
            with cm("c"):
                raise err
        self.assertIs(caught.exception, err)
        with self.assertRaises(StopIteration):
            with cm("d"):
                raise StopIteration("stop")

        async def main():
            async with acm("x") as v:
                r = v
            e2 = LookupError("async through")
            try:
                async with acm("y"):
                    raise e2
            except LookupError as e:
                r = (r, e is e2)
            return r

        self.assertEqual(asyncio.run(main()), ("x", True))
        self.assertIn("suppressed", log)
        self.assertEqual([s["status"] for s in self.spans(line=60)], ["ok", "ok", "error", "error"])
        self.assertEqual([s["status"] for s in self.spans(line=61)], ["ok", "error"])

    def test_exceptions_propagate_unchanged(self):
        ct = self.ct
        err = ValueError("the error")

        @ct.fn(70)
        def boom():
            raise err

        @ct.fn(71)
        def outer():
            boom()

        for call in (boom, outer):
            try:
                try:
                    raise KeyError("handled by the caller")
                except KeyError:
                    call()
            except ValueError as e:
                self.assertIs(e, err)
                # Only the caller's own exception as context: nothing from the runtime.
                self.assertIsInstance(e.__context__, KeyError)
                self.assertIsNone(e.__cause__)
            err.__context__ = None
            with self.assertRaises(ValueError) as cm:
                call()
            self.assertIs(cm.exception, err)
            self.assertIsNone(cm.exception.__context__)
            err.__context__ = None
        spans = self.spans()
        self.assertTrue(all(s["status"] == "error" for s in spans))
        self.assertEqual(spans[0]["exception"], {"type": "ValueError", "message": "the error"})
        self.assertIsNone(spans[0]["return"])

    def test_types_coroutine_generators_stay_awaitable(self):
        import types as _types

        @self.ct.fn(1)
        @_types.coroutine
        def legacy():
            yield
            return 7

        async def main():
            return await legacy()

        self.assertEqual(asyncio.run(main()), 7)
        self.assertEqual(self.one_span()["return"], "7")


# ---------------------------------------------------------------- tracebacks

WRAPPED_FUNCTIONS = not MONITORING  # plain functions get a wrapper frame


class TestTracebacks(RuntimeCase):
    """An exception that leaves a wrapped function (or generator, coroutine,
    async generator, or an instrumented loop's iterator) has the traceback it
    would have had without the runtime: same entries, same text, and the
    function's own traceback objects. The runtime's frames catch it and
    re-raise it without an entry of their own (see _skip)."""

    def runtimes(self):
        """(runtime, Module) with telemetry on, then off; wrappers for plain
        functions too."""
        off = self.load(on=False)
        self.assertFalse(off._S.on)
        for rt in (self.rt, off):
            self.use_wrappers(rt)
        return [(self.rt, self.ct), (off, off.Module("pkg/off.py"))]

    def assertSameTraceback(self, run, make, ct):
        plain, plain_text = caught(functools.partial(run, make(lambda f: f)))
        wrapped, text = caught(functools.partial(run, make(ct.fn(1))))
        self.assertIs(type(wrapped), type(plain))
        self.assertEqual(tb_entries(wrapped.__traceback__), tb_entries(plain.__traceback__))
        self.assertEqual(text, plain_text)
        self.assertEqual("".join(traceback.format_exception(type(wrapped), wrapped,
                                                            wrapped.__traceback__)), plain_text)
        self.assertNotIn("ctinject", text)
        return wrapped

    def test_functions(self):
        for rt, ct in self.runtimes():
            seen = []

            def make(wrap):
                @wrap
                def boom(x):
                    try:
                        raise ValueError(x)
                    except ValueError as e:
                        seen.append(e.__traceback__)
                        raise

                @wrap
                def via(x):
                    return boom(x) + 1

                return via

            e = self.assertSameTraceback(lambda f: f(1), make, ct)
            tb = e.__traceback__
            while tb.tb_next is not None:
                tb = tb.tb_next
            self.assertIs(tb, seen[-1])  # the function's own traceback object
            self.assertEqual([n for n, _ in tb_entries(e.__traceback__)],
                             ["caught", "<lambda>", "via", "boom"])
        self.assertEqual([s["status"] for s in self.spans()], ["error", "error"])

    def test_the_callers_handled_exception_and_context_stay(self):
        for rt, ct in self.runtimes():
            @ct.fn(1)
            def boom():
                raise ValueError("x")

            try:
                raise KeyError("handled")
            except KeyError as k:
                try:
                    boom()
                except ValueError as e:
                    self.assertIs(e.__context__, k)
                    self.assertEqual([n for n, _ in tb_entries(e.__traceback__)],
                                     ["test_the_callers_handled_exception_and_context_stay", "boom"])
                self.assertIs(sys.exc_info()[1], k)  # the caller's exception, as it was
            self.assertEqual(sys.exc_info(), (None, None, None))

    def test_generators_raising_and_thrown_into(self):
        def make(wrap):
            @wrap
            def gen(x):
                yield 1
                yield 2
                raise ValueError(x)
            return gen

        def run(g):
            return list(g(1))

        def run_throw(g):
            it = g(1)
            next(it)
            try:
                raise ValueError("thrown")
            except ValueError as e:
                err = e
            it.throw(err)

        for rt, ct in self.runtimes():
            self.assertSameTraceback(run, make, ct)
            e = self.assertSameTraceback(run_throw, make, ct)
            self.assertEqual([n for n, _ in tb_entries(e.__traceback__)],
                             ["caught", "run_throw", "gen", "run_throw"])

    def test_contextmanager_body_errors(self):
        def make(wrap):
            @contextlib.contextmanager
            @wrap
            def cm():
                yield

            def body():
                with cm():
                    raise ValueError("in the body")
            return body

        for rt, ct in self.runtimes():
            self.assertSameTraceback(lambda f: f(), make, ct)

    def test_coroutines_and_async_generators(self):
        def make_coro(wrap):
            @wrap
            async def coro(x):
                await asyncio.sleep(0)
                raise ValueError(x)
            return coro

        def make_agen(wrap):
            @wrap
            async def agen(x):
                yield 1
                raise ValueError(x)
            return agen

        def run_coro(c):
            step(c(1))

        def run_agen(a):
            ag = a(1)
            step(ag.__anext__())
            step(ag.__anext__())

        def run_athrow(a):
            ag = a(1)
            step(ag.__anext__())
            try:
                raise KeyError("thrown")
            except KeyError as e:
                err = e
            step(ag.athrow(err))

        for rt, ct in self.runtimes():
            self.assertSameTraceback(run_coro, make_coro, ct)
            self.assertSameTraceback(run_agen, make_agen, ct)
            e = self.assertSameTraceback(run_athrow, make_agen, ct)
            self.assertEqual([n for n, _ in tb_entries(e.__traceback__)],
                             ["caught", "run_athrow", "step", "agen", "run_athrow"])

    def test_loops_over_a_failing_iterator(self):
        def items():
            yield 1
            raise ValueError("bad item")

        def make(wrap):
            def run():
                for _ in wrap(items()):
                    pass
            return run

        async def aitems():
            yield 1
            raise ValueError("bad item")

        def amake(wrap):
            def run():
                async def body():
                    async for _ in wrap(aitems()):
                        pass
                step(body())
            return run

        ct = self.ct
        for mk, loop in ((make, lambda it: ct.loop(1, "_", it)),
                         (amake, lambda it: ct.aloop(2, "_", it))):
            plain, text = caught(mk(lambda it: it))
            e, wtext = caught(mk(loop))
            self.assertEqual(tb_entries(e.__traceback__), tb_entries(plain.__traceback__))
            self.assertEqual(wtext.replace("wrap(", ""), text.replace("wrap(", ""))

    def test_uncaught_exceptions_print_the_original_traceback(self):
        # The default excepthook (C code) walks the same tb_next chain.
        script = textwrap.dedent("""
            import importlib.util, sys
            spec = importlib.util.spec_from_file_location("rt", %r)
            rt = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(rt)
            rt._mon = None  # wrappers on every version
            ct = rt.Module("m.py")

            @ct.fn(1)
            def gen():
                yield 1
                raise ValueError("uncaught")

            @ct.fn(2)
            def f():
                return list(gen())

            f()
            """ % RUNTIME)
        env = dict(os.environ, CTINJECT_TRACE_FILE=self.trace)
        p = subprocess.run([sys.executable, "-c", script], env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, universal_newlines=True, timeout=60)
        self.assertEqual(p.returncode, 1)
        self.assertEqual([ln.split(", in ")[-1] for ln in p.stderr.splitlines()
                          if ln.startswith("  File ")], ["<module>", "f", "gen"])
        self.assertNotIn("ctinject", p.stderr)


class TestKnownDifferences(RuntimeCase):
    """What the wrappers still change, pinned so that a change is noticed
    (docs/events.md, "How spans are taken"). Plain functions are wrapped
    before CPython 3.12; generators, coroutines and async generators on
    every version."""

    def test_known_difference_frame_walks_see_the_wrapper(self):
        self.use_wrappers()
        ct = self.ct

        @ct.fn(1)
        def f():
            return sys._getframe(1).f_code.co_name

        @ct.fn(2)
        def gen():
            yield sys._getframe(1).f_code.co_name

        self.assertEqual(f(), "_ctinject_wrapper")
        self.assertEqual(next(gen()), "_drive")  # the stepping generator, telemetry on
        off = self.load(on=False)
        g = off.Module("m.py").fn(3)(gen.__wrapped__)
        self.assertEqual(next(g()), "_ctinject_wrapper")

    # On 3.8 a RecursionError that the runtime swallows (formatting the
    # arguments at the limit) leaves CPython's overflow flag set, and the
    # deeper calls then abort the process ("Cannot recover from stack
    # overflow"), as before the traceback changes.
    @unittest.skipIf(sys.version_info < (3, 9), "CPython 3.8 aborts (see above)")
    def test_known_difference_the_recursion_limit_comes_at_two_thirds_the_depth(self):
        self.use_wrappers()

        def deepest(f):
            return recursion_depth(f, 200)

        def step_(probe, n):
            probe(n)

        plain = deepest(step_)
        wrapped = deepest(self.ct.fn(1)(step_))
        self.assertGreater(plain, 50)
        self.assertLess(abs(wrapped - plain * 2 / 3), 5)  # two frames of three per level

    def test_known_difference_a_loops_iterator_is_stepped_by_the_runtime(self):
        def items():
            yield sys._getframe(1).f_code.co_name

        self.assertEqual(list(self.ct.loop(1, "x", items())), ["_loop_gen"])

    def test_known_difference_a_generators_code_is_the_wrappers(self):
        @self.ct.fn(1)
        def gen():
            yield 1

        g = gen()
        self.assertEqual(g.gi_code.co_name, "_ctinject_wrapper")
        self.assertEqual(g.gi_code.co_filename, "<ctinject wrapper>")
        g.close()

    @unittest.skipUnless(sys.version_info < (3, 11), "3.11+ re-raises without ctypes")
    def test_known_difference_without_ctypes_before_3_11_the_wrapper_entry_stays(self):
        self.use_wrappers()
        self.rt._capi()
        self.rt._API.setexc = None

        @self.ct.fn(1)
        def boom():
            raise ValueError("x")

        e, text = caught(boom)
        self.assertEqual([n for n, _ in tb_entries(e.__traceback__)],
                         ["caught", "_ctinject_wrapper", "boom"])
        self.assertIn('File "<ctinject wrapper>"', text)


# ---------------------------------------------------------------- values

class TestValues(RuntimeCase):

    def value_of(self, value, name="x"):
        self.ct.v(1, name, value)
        return self.events("var")[-1]["value"]

    def test_builtins_are_reprd(self):
        cases = [None, True, 1.5, 3 + 4j, -12, "s'q", b"\x00b", bytearray(b"ab"),
                 [1, (2,), {3}], frozenset({1}), {"a": [1, 2]}, (), set(), {}]
        for v in cases:
            self.assertEqual(self.value_of(v), repr(v))

    def test_safe_mode_never_calls_user_code(self):
        calls = []

        class Secretive:
            def __repr__(self):
                calls.append("repr")
                return "nope"

            def __str__(self):
                calls.append("str")
                return "nope"

        class Sub(list):
            def __repr__(self):
                calls.append("sub")
                return "sub"

        @self.ct.fn(1)
        def f(o):
            return o

        f(Secretive())
        self.value_of([Secretive(), Sub([1])])
        self.assertEqual(calls, [])
        qual = __name__ + "." + Secretive.__qualname__
        self.assertEqual(self.one_span()["args"]["o"], "<%s object>" % qual)
        self.assertEqual(self.one_span()["return"], "<%s object>" % qual)
        self.assertEqual(self.events("var")[-1]["value"],
                         "[<%s object>, <%s object>]" % (qual, __name__ + "." + Sub.__qualname__))
        self.assertEqual(self.value_of(int), "<class 'int'>")
        self.assertEqual(self.value_of(len), repr(len))
        plain = inspect.unwrap(f)
        self.assertEqual(self.value_of(plain), "<function %s>" % plain.__qualname__)

    def test_value_cap_and_container_caps(self):
        cap = 200
        s = self.value_of("a" * 10000)
        self.assertEqual(len(s), cap)
        self.assertTrue(s.startswith("'aaa") and s.endswith("..."))
        big = self.value_of(list(range(100000)))
        self.assertEqual(len(big), cap)
        self.assertTrue(big.startswith("[0, 1, 2"))
        nested = []
        cur = nested
        for _ in range(50):
            cur.append([])
            cur = cur[0]
        self.assertIn("...", self.value_of(nested))
        loop = [1]
        loop.append(loop)
        self.assertEqual(self.value_of(loop), "[1, [...]]")
        self.assertEqual(self.value_of(10 ** 5000), "<int with 16610 bits>")
        self.assertEqual(len(self.value_of(10 ** 500)), cap)
        d = {i: "v" * 50 for i in range(1000)}
        self.assertLessEqual(len(self.value_of(d)), cap)

    def test_exception_messages(self):
        class MyErr(Exception):
            def __str__(self):
                raise AssertionError("must not be called in safe mode")

        cases = [(KeyError("k"), ("KeyError", "'k'")),
                 (OSError(2, "No such file"), ("FileNotFoundError", "[Errno 2] No such file")),
                 (MyErr("custom"), (__name__ + "." + MyErr.__qualname__, "custom"))]
        if sys.version_info >= (3, 11):
            # A group's message and count, not the repr of its args.
            cases.append((ExceptionGroup("g", [KeyError(1), MyErr("x")]),  # noqa: F821
                          ("ExceptionGroup", "g (2 sub-exceptions)")))

            class Loud(str):
                def __str__(self):
                    raise AssertionError("must not be called in safe mode")

            # A message of a str subclass: its __str__ would run; the args it is.
            loud = "(<%s.%s object>, [<builtins.KeyError object>])" % (__name__, Loud.__qualname__)
            cases.append((ExceptionGroup(Loud("m"), [KeyError(1)]),  # noqa: F821
                          ("ExceptionGroup", loud)))
        for e, want in cases:
            try:
                raise e
            except BaseException:
                self.ct.ex(5)
            got = self.events("exception")[-1]["exception"]
            self.assertEqual((got["type"], got["message"]), want)


class TestFullRepr(RuntimeCase):
    config = {"repr": "full", "value_cap": 50}

    def test_full_mode_calls_repr_guarded(self):
        ct = self.ct

        @ct.fn(1)
        def traced(x):
            return x

        class Good:
            def __repr__(self):
                return "Good!"

        class Broken:
            def __repr__(self):
                raise RuntimeError("broken repr")

        class Recursive:
            def __repr__(self):
                return repr(self)

        class CallsInstrumented:
            def __repr__(self):
                traced(1)  # instrumented code inside a repr: not recorded
                return "CI(%s)" % traced(2)

        class Huge:
            def __repr__(self):
                return "h" * 1000

        for obj in (Good(), Broken(), Recursive(), CallsInstrumented(), Huge()):
            ct.v(2, "obj", obj)
        vals = [e["value"] for e in self.events("var")]
        self.assertEqual(vals[0], "Good!")
        self.assertIn("repr failed", vals[1])
        self.assertIn("repr failed", vals[2])
        self.assertEqual(vals[3], "CI(2)")
        self.assertEqual(len(vals[4]), 50)
        self.assertEqual(self.spans(), [])  # traced() ran inside a repr: no spans
        self.assertEqual(traced(3), 3)
        self.assertEqual(len(self.spans()), 1)


class TestRedaction(RuntimeCase):

    def test_default_patterns(self):
        ct = self.ct

        @ct.fn(1)
        def login(user, password, api_key=None, **extra):
            return "ok"

        login("bob", "hunter2", api_key="K", session_id="S", color="red")
        s = self.one_span()
        self.assertEqual(s["args"], {"user": "'bob'", "password": "[REDACTED]",
                                     "api_key": "[REDACTED]",
                                     "extra": "{'session_id': [REDACTED], 'color': 'red'}"})
        ct.v(2, "AuthToken", "t0ps3cret", "plain", "visible")
        ct.v(3, "cfg", {"Cookie": "c", "n": 1})
        for x in ct.loop(4, "secret", ["s1"]):
            pass
        vals = [e["value"] for e in self.events("var")]
        self.assertEqual(vals, ["[REDACTED]", "'visible'", "{'Cookie': [REDACTED], 'n': 1}"])
        self.assertEqual(self.events("loop")[0]["last"], "[REDACTED]")
        with open(self.trace) as f:
            self.assertNotIn("hunter2", f.read())


class TestCustomConfig(RuntimeCase):
    config = {"value_cap": 12, "redact": ["^pin$"], "max_events_per_site": 3}

    def test_config_is_read_from_the_baked_line(self):
        ct = self.ct
        ct.v(1, "pin", 1234, "password", "shown", "text", "x" * 100)
        vals = [e["value"] for e in self.events("var")]
        self.assertEqual(vals, ["[REDACTED]", "'shown'", "'xxxxxxxx..."])
        self.assertEqual(len(vals[2]), 12)

    def test_events_per_site_cap_and_suppressed_counts(self):
        ct = self.ct

        @ct.fn(1)
        def f():
            for i in range(10):
                ct.v(2, "i", i)
                ct.br(3, 0, True)
                ct.br(3, 1, i == 9)
            return None

        f()
        f()
        self.assertEqual(len(self.events("var")), 6)  # 3 per site per span
        self.assertEqual([e["arm"] for e in self.events("branch")], [0, 0, 0, 1] * 2)
        for s in self.spans():
            self.assertEqual(s["suppressed"], [
                {"type": "var", "file": "pkg/mod.py", "line": 2, "name": "i", "count": 7},
                {"type": "branch", "file": "pkg/mod.py", "site": 3, "arm": 0, "count": 7}])
            self.assertEqual(list(s)[-1], "suppressed")

    def test_suppressed_counts_stay_per_span_when_nested_spans_share_a_site(self):
        # Past the cap, a site's events are counted on the site while one
        # span holds it; a nested call of the same function takes it over,
        # and each span must still report exactly its own events.
        ct = self.ct

        @ct.fn(1)
        def f(depth):
            for i in range(5):
                ct.v(2, "i", i)
                ct.br(3, 0, True)
            if depth:
                f(depth - 1)
            for i in range(6):
                ct.v(2, "i", i)
                ct.br(3, 0, True)
            return None

        f(2)
        f(0)
        got = [(s["args"]["depth"], [(x["type"], x["count"]) for x in s["suppressed"]])
               for s in self.spans()]
        # 11 events a site and span: 3 written, 8 suppressed.
        each = [("var", 8), ("branch", 8)]
        self.assertEqual(got, [("0", each), ("1", each), ("2", each), ("0", each)])
        self.assertEqual(len(self.events("var")), 3 * 4)


class TestClockMocks(RuntimeCase):
    # structlog's tests travel in time with time-machine, which replaces
    # time.time_ns() and starts its clock ticking at the first read: the
    # runtime reading it for an event's time made the timestamp the test
    # then took 40 us late ("16:00:00.000040Z" for "16:00:00Z").
    config = {"max_spans_per_function": 2, "slowest_calls": 1,
              "max_events_per_site_per_process": 1}

    def test_no_event_reads_the_wall_clock(self):
        rt = self.rt
        reads = []
        real = rt._time_ns

        def time_ns():
            reads.append(1)
            return real()
        rt._time_ns = time_ns
        ct = self.ct

        @ct.fn(1)
        def f(x):
            ct.v(2, "x", x)
            ct.br(3, 0, True)
            for _ in ct.loop(4, "_", [1]):
                pass
            try:
                raise KeyError(x)
            except KeyError:
                ct.ex(7)
            if x == 4:
                raise ValueError(x)
            return x

        for i in range(6):
            try:
                f(i)
            except ValueError:
                pass
        rt._at_exit()
        evs = self.events()
        self.assertEqual(reads, [])
        self.assertTrue({"span", "var", "branch", "loop", "exception", "calls", "vars",
                         "branches", "loops", "exceptions"} <= {e["type"] for e in evs})
        (calls,) = [e for e in evs if e["type"] == "calls"]
        self.assertEqual(len(calls["slowest"]), 1)
        times = [e.get("time_unix_ns") or e["start_unix_ns"] for e in evs]
        times.append(calls["slowest"][0]["start_unix_ns"])
        now = time.time_ns()
        for t in times:  # still times on the wall clock
            self.assertLess(abs(now - t), 60 * 10**9)


class TestTraceLimit(RuntimeCase):
    # more-itertools' suite, instrumented, wrote 20 GB of trace and filled the disk.
    config = {"max_trace_bytes": 3000}

    def lines(self):
        self.rt._flush()
        with open(self.trace, encoding="ascii") as f:
            return [json.loads(line) for line in f.read().splitlines()]

    def test_the_file_stops_growing_with_a_truncated_line(self):
        ct = self.ct

        @ct.fn(1)
        def f(i):
            ct.v(2, "i", i)
            return i

        for i in range(2):  # under the limit
            f(i)
        self.rt._flush()
        written = os.path.getsize(self.trace)
        self.assertLess(written, 3000)
        for i in range(20000):  # the limit is crossed at the next flush of 64 KiB
            f(i)
        lines = self.lines()
        self.assertEqual([e for e in lines if e["type"] == "truncated"], [lines[-1]])
        self.assertEqual(list(lines[-1]), ["v", "type", "time_unix_ns", "limit_bytes", "pid"])
        self.assertEqual(lines[-1]["limit_bytes"], 3000)
        # One buffer past the limit at most, and nothing more once it is reached.
        size = os.path.getsize(self.trace)
        self.assertLess(size, 3000 + 2 * 65536)
        self.assertFalse(self.rt._S.on)
        f(1)
        ct.v(3, "after", 1)
        self.rt._flush()
        self.assertEqual(os.path.getsize(self.trace), size)

    def test_a_file_already_over_the_limit_gets_only_the_truncated_line(self):
        shutdown_runtime(self.rt)
        with open(self.trace, "w", encoding="ascii") as f:
            f.write('{"v":1,"type":"earlier run"}\n' * 200)
        rt = self.load(self.config, fresh=True)
        rt.Module("m.py").v(1, "x", 1)
        rt._flush()
        lines = read_events(self.trace)
        self.assertEqual(len(lines), 201)
        self.assertEqual(lines[-1]["type"], "truncated")

    def test_the_smallest_limit_of_the_loaded_configurations_holds(self):
        rt = self.rt
        rt._module_class(json.dumps({"max_trace_bytes": 0}))  # no limit: changes nothing
        self.assertEqual(rt._W.limit, 3000)
        rt._module_class(json.dumps({"max_trace_bytes": 1000}))
        self.assertEqual(rt._W.limit, 1000)
        rt._module_class(json.dumps({"max_trace_bytes": 2000}))
        self.assertEqual(rt._W.limit, 1000)


class TestNoTraceLimit(RuntimeCase):
    config = {"max_trace_bytes": 0}

    def test_zero_means_no_limit(self):
        self.assertEqual(self.rt._W.limit, 0)
        for i in range(3000):
            self.ct.v(i + 1, "i", i)  # one site each: the per-site cap does not apply
        self.rt._flush()
        self.assertGreater(os.path.getsize(self.trace), 65536)
        self.assertEqual(len(self.events("var")), 3000)
        self.assertEqual(self.events("truncated"), [])


class TestSpansPerFunction(RuntimeCase):
    # Test suites call a function millions of times: past the limit a call
    # writes nothing (nor do the events inside it) unless it fails, and one
    # "calls" event per function counts the rest when the process ends.
    config = {"max_spans_per_function": 3}

    def run_calls(self, wrappers):
        if wrappers:
            self.use_wrappers()
        ct = self.ct

        @ct.fn(1)
        def work(i):
            ct.v(2, "i", i)
            if ct.br(3, 0, i == 5):
                raise ValueError(i)
            for _ in ct.loop(4, "_", range(2)):
                pass
            try:
                {}[i]
            except ct.exm(5, KeyError, "err"):
                pass
            try:
                [][i]
            except:  # noqa: E722
                ct.ex(6)
            return i

        for i in range(10):
            try:
                work(i)
            except ValueError:
                pass
        self.rt._at_exit()
        return self.events()

    def check(self, evs):
        spans = [e for e in evs if e["type"] == "span"]
        # The first three, then the failing sixth (its arguments too).
        self.assertEqual([s["args"] for s in spans],
                         [{"i": "0"}, {"i": "1"}, {"i": "2"}, {"i": "5"}])
        self.assertEqual(spans[-1]["status"], "error")
        # Point events of the three recorded calls only.
        self.assertEqual([e["value"] for e in evs if e["type"] == "var" and e["name"] == "i"],
                         ["0", "1", "2"])
        self.assertEqual(len([e for e in evs if e["type"] == "loop"]), 3)
        self.assertEqual(len([e for e in evs if e["type"] == "var" and e["name"] == "err"]), 3)
        self.assertEqual([e["exception"]["type"] for e in evs if e["type"] == "exception"],
                         ["KeyError", "IndexError"] * 3)
        self.assertEqual([e for e in evs if e["type"] == "exceptions"], [])
        calls = [e for e in evs if e["type"] == "calls"]
        self.assertEqual(len(calls), 1, calls)
        c = calls[0]
        self.assertEqual((c["name"], c["line"], c["recorded"], c["omitted"]),
                         ("TestSpansPerFunction.run_calls.<locals>.work", 1, 4, 6))
        self.assertGreater(c["omitted_duration_ns"], 0)
        self.assertGreaterEqual(c["omitted_duration_ns"], c["omitted_max_duration_ns"])

    def test_calls_over_the_limit_are_counted_not_written(self):
        self.check(self.run_calls(wrappers=False))

    def test_the_same_through_wrappers(self):
        self.check(self.run_calls(wrappers=True))


class TestGeneratorsOverTheLimit(RuntimeCase):
    # Past max_spans_per_function a generator's or coroutine's call is not
    # stepped by the runtime (CPython delegates every step): it is counted
    # as other calls are, its points record nothing (they know its frame),
    # and what it yields, returns, raises, and how it closes, are unchanged.
    # Points here pass their own line, as the planner's do: their line must
    # be one of the generator's (the runtime looks the frame up only there).
    config = {"max_spans_per_function": 2}

    def test_points_of_calls_over_the_limit_record_nothing(self):
        ct = self.ct
        line = lambda: sys._getframe(1).f_lineno  # noqa: E731

        @ct.fn(1)
        def squares(n):
            for i in ct.loop(line(), "i", range(n)):
                if ct.br(line(), 0, i % 2):
                    ct.v(line(), "odd", i)
                yield ct.vw(line(), "sq", i * i)
            return n

        def consume(k):
            r = yield from squares(k)
            return r

        # Consumed with no span current (the root state): the points of an
        # undriven call would land there if they were not kept out.
        got = [list(squares(3)) for _ in range(5)]
        self.assertEqual(got, [[0, 1, 4]] * 5)
        it = consume(2)
        self.assertEqual(list(it), [0, 1])
        self.rt._at_exit()
        self.assertEqual(len(self.spans()), 2)
        self.assertEqual([e["value"] for e in self.events("var", name="sq")], ["0", "1", "4"] * 2)
        self.assertEqual(len(self.events("var", name="odd")), 2)
        self.assertEqual(len(self.events("branch")), 2)
        self.assertEqual(len(self.events("loop")), 2)
        (c,) = self.events("calls")
        self.assertEqual((c["recorded"], c["omitted"]), (2, 4))
        self.assertGreater(c["omitted_duration_ns"], 0)
        self.assertFalse(self.rt._UNDRIVEN)

    def test_send_throw_close_and_return_value_as_when_driven(self):
        ct = self.ct
        log = []
        g = accumulator(log)

        def exercise(f):
            out = []
            it = f(5)
            out.append(next(it))
            out.append(it.send(10))
            out.append(it.throw(KeyError("k")))
            out.append(it.send(1))
            out.append(next(it))
            try:
                it.send(5)
            except StopIteration as e:
                out.append(("returned", e.value))
            it2 = f(3)
            next(it2)
            it2.close()
            out.append(inspect.getgeneratorstate(it2))
            it3 = f(3)
            next(it3)
            err = ValueError("thrown")
            try:
                it3.throw(err)
            except ValueError as e:
                out.append((e is err, e.__context__, [t.name for t in traceback.extract_tb(e.__traceback__)]))
            return out

        plain = exercise(g)
        wrapped = ct.fn(1)(g)
        for _ in range(2):
            list(wrapped(1))  # the recorded calls
        log.clear()
        self.assertEqual(exercise(wrapped), plain)
        self.assertEqual(log[-1], "finally")
        self.rt._at_exit()
        (failed,) = self.spans(status="error")
        self.assertEqual(failed["exception"], {"type": "ValueError", "message": "thrown"})
        (c,) = self.events("calls")
        self.assertEqual((c["recorded"], c["omitted"]), (3, 2))
        self.assertFalse(self.rt._UNDRIVEN)

    def test_an_error_raised_inside_has_the_tracebacks_it_had(self):
        ct = self.ct

        def g():
            yield 1
            raise LookupError("inside")

        def names(f):
            try:
                list(f())
            except LookupError as e:
                return [t.name for t in traceback.extract_tb(e.__traceback__)]

        wrapped = ct.fn(1)(g)
        for _ in range(3):
            self.assertEqual(names(wrapped), names(g))

    def test_a_recursive_generator_keeps_its_own_events(self):
        # A recorded call's points are its own, and those of the undriven
        # calls it delegates to (the same code) are not written into it.
        ct = self.ct
        line = lambda: sys._getframe(1).f_lineno  # noqa: E731

        def walk(depth):
            ct.v(line(), "depth", depth)
            yield depth
            if depth:
                yield from walk(depth - 1)

        walk = ct.fn(1)(walk)
        self.assertEqual(list(walk(4)), [4, 3, 2, 1, 0])
        self.rt._at_exit()
        spans = {s["span_id"]: s for s in self.spans()}
        self.assertEqual(len(spans), 2)
        by_span = [(spans[e["span_id"]]["args"]["depth"], e["value"]) for e in self.events("var")]
        self.assertEqual(by_span, [("4", "4"), ("3", "3")])

    def test_an_undriven_generators_locals_die_when_it_finishes(self):
        # Holding the frame of a call not driven made CPython keep its locals
        # in a frame object, in a cycle, until a collection: more-itertools'
        # islice_extended lifecycle tests saw the last items still alive.
        ct = self.ct

        class Item:
            pass

        refs = []

        @ct.fn(1)
        def hold(n):
            items = [Item() for _ in range(n)]
            refs[:] = [weakref.ref(x) for x in items]
            yield len(items)

        for _ in range(2):
            list(hold(1))
        gc.disable()
        try:
            it = hold(3)
            self.assertEqual(next(it), 3)
            self.assertEqual(len([r for r in refs if r() is not None]), 3)
            self.assertEqual(list(it), [])
            self.assertEqual([r() for r in refs], [None, None, None])
        finally:
            gc.enable()

    def test_an_undriven_call_is_no_deeper_than_a_driven_one(self):
        # A frame more per call would be one more per level of a recursive
        # generator's `yield from`, nearer the recursion limit.
        depths = []

        def g():
            f = sys._getframe()
            n = 0
            while f is not None:
                n += 1
                f = f.f_back
            depths.append(n)
            yield

        w = self.ct.fn(1)(g)
        for _ in range(3):
            list(w())
        self.assertEqual(depths[2], depths[0])

    def test_coroutines_over_the_limit(self):
        ct = self.ct
        line = lambda: sys._getframe(1).f_lineno  # noqa: E731

        @ct.fn(1)
        async def co(x):
            await asyncio.sleep(0)
            ct.v(line(), "x", x)
            if x < 0:
                raise ValueError(x)
            return x * 2

        async def main():
            out = [await co(i) for i in range(4)]
            try:
                await co(-1)
            except ValueError as e:
                out.append([t.name for t in traceback.extract_tb(e.__traceback__)])
            return out

        self.assertEqual(asyncio.run(main()), [0, 2, 4, 6, ["main", "co"]])
        self.rt._at_exit()
        self.assertEqual([e["value"] for e in self.events("var")], ["0", "1"])
        self.assertEqual([s["status"] for s in self.spans()], ["ok", "ok", "error"])


class TestSameLinesOnEveryPath(RuntimeCase):
    # A span line is built in more than one place (sys.monitoring's return
    # callback writes the usual case itself): every path writes the same text.

    def normalized_lines(self):
        self.rt._flush()
        with open(self.trace, encoding="ascii") as f:
            text = f.read()
        text = re.sub(r'"(trace_id|span_id|parent_id)":"[0-9a-f]+"', r'"\1":"ID"', text)
        return re.sub(r'"(start_unix_ns|duration_ns|time_unix_ns|pid|tid)":[0-9]+', r'"\1":N',
                      text).splitlines()

    def test_monitoring_and_wrappers_write_the_same_span(self):
        ct = self.ct

        def f(x, password=None):
            return "r%s" % (x,)

        monitored = ct.fn(1)(f)
        self.use_wrappers()
        # The same function with a code object of its own (f's may be watched).
        g = types.FunctionType(f.__code__.replace(), f.__globals__, f.__name__, f.__defaults__,
                               f.__closure__)
        g.__qualname__ = f.__qualname__
        wrapped = ct.fn(1)(g)
        self.assertIsNot(wrapped, g)
        for g in (monitored, wrapped):
            g(7, password="pw")
            g([1, "two"])
            g(2 ** 70)
        lines = self.normalized_lines()
        self.assertEqual(len(lines), 6)
        self.assertEqual(lines[:3], lines[3:])
        self.assertEqual(lines[0], '{"v":1,"type":"span","trace_id":"ID","span_id":"ID",'
                         '"parent_id":null,"name":"%s","module":"%s","file":"pkg/mod.py",'
                         '"line":1,"kind":"function","start_unix_ns":N,"duration_ns":N,'
                         '"args":{"x":"7","password":"[REDACTED]"},"return":"\'r7\'",'
                         '"status":"ok","exception":null,"pid":N,"tid":N}'
                         % (f.__qualname__, __name__))

    def test_a_span_with_suppressed_events_and_one_without_agree(self):
        rt = self.load({"max_events_per_site": 1})
        ct = rt.Module("pkg/mod.py")

        @ct.fn(1)
        def f(n):
            for i in range(n):
                ct.v(2, "i", i)
            return n

        f(1)
        f(2)  # one event over the per-span cap: the general path
        rt._flush()
        lines = [l for l in self.normalized_lines() if '"type":"span"' in l]
        self.assertEqual(lines[1], lines[0].replace('"x":"1"', '"x":"2"').replace(
            '"n":"1"', '"n":"2"').replace('"return":"1"', '"return":"2"').replace(
            '"tid":N}', '"tid":N,"suppressed":[{"type":"var","file":"pkg/mod.py","line":2,'
            '"name":"i","count":1}]}'))


class TestSlowestOmittedCalls(RuntimeCase):
    # The calls past max_spans_per_function are counted; the slowest of them
    # are kept, with their arguments and return value, in the "calls" event.
    config = {"max_spans_per_function": 2, "slowest_calls": 2}

    def check_slowest(self, wrappers):
        if wrappers:
            self.use_wrappers()
        ct = self.ct

        @ct.fn(1)
        def nap(ms):
            time.sleep(ms / 1000.0)
            return ms * 2

        for ms in (0, 0, 1, 30, 2, 60, 0, 15):
            nap(ms)
        self.rt._at_exit()
        self.assertEqual([s["args"]["ms"] for s in self.spans()], ["0", "0"])
        c = self.one_event("calls")
        self.assertEqual((c["recorded"], c["omitted"]), (2, 6))
        self.assertEqual(list(c)[-2:], ["slowest", "pid"])
        slowest = c["slowest"]
        self.assertEqual([(e["args"], e["return"]) for e in slowest],
                         [({"ms": "60"}, "120"), ({"ms": "30"}, "60")])
        for e in slowest:
            self.assertEqual(list(e), ["span_id", "start_unix_ns", "duration_ns", "args",
                                       "return", "exception"])
            self.assertIsNone(e["exception"])
            self.assertRegex(e["span_id"], "^[0-9a-f]{16}$")
            self.assertLess(abs(e["start_unix_ns"] - time.time_ns()), 60 * 10**9)
        self.assertGreaterEqual(slowest[0]["duration_ns"], 60 * 10**6)
        self.assertGreaterEqual(slowest[1]["duration_ns"], 30 * 10**6)
        self.assertEqual(c["omitted_max_duration_ns"], slowest[0]["duration_ns"])
        self.assertNotEqual(slowest[0]["span_id"], slowest[1]["span_id"])

    def one_event(self, type):
        evs = self.events(type)
        self.assertEqual(len(evs), 1, evs)
        return evs[0]

    def test_the_slowest_omitted_calls_are_kept(self):
        self.check_slowest(wrappers=False)

    def test_the_same_through_wrappers(self):
        self.check_slowest(wrappers=True)

    def test_an_omitted_call_gets_the_ids_its_children_name(self):
        # An omitted call's ids are made only when needed: by a child that
        # is written, by its own failure, or by its place among the slowest.
        ct = self.ct

        @ct.fn(1)
        def child(i):
            return i

        @ct.fn(2)
        def parent(i, fail):
            child(i)
            if fail:
                raise KeyError(i)
            return i

        parent(0, False)
        parent(1, False)
        try:
            parent(2, True)  # omitted (over 2) until it fails: then written in full
        except KeyError:
            pass
        self.rt._at_exit()
        spans = self.spans()
        by = {(s["name"].rsplit(".", 1)[-1], s["args"]["i"]): s for s in spans}
        failed = by[("parent", "2")]
        self.assertEqual(failed["status"], "error")
        # child(2) was the third call of child: omitted, but one of the slowest.
        kids = self.one_event("calls")
        self.assertEqual(kids["name"].rsplit(".", 1)[-1], "child")
        self.assertEqual(len(kids["slowest"]), 1)
        for i in ("0", "1"):
            self.assertEqual(by[("child", i)]["parent_id"], by[("parent", i)]["span_id"])
            self.assertEqual(by[("child", i)]["trace_id"], by[("parent", i)]["trace_id"])
        self.assertRegex(failed["span_id"], "^[0-9a-f]{16}$")
        self.assertRegex(failed["trace_id"], "^[0-9a-f]{32}$")
        self.assertNotEqual(failed["trace_id"], by[("parent", "0")]["trace_id"])

    def test_a_written_child_of_nested_omitted_calls_names_them(self):
        # A written span inside two omitted calls, inside a written one: the
        # omitted ones get their ids then, outermost first, in the trace of
        # the written one (regression: they once got them at every start).
        ct = self.ct

        @ct.fn(1)
        def leaf():
            return 0

        @ct.fn(2)
        def inner(last):
            if last:
                leaf()

        @ct.fn(3)
        def outer(last):
            inner(last)

        @ct.fn(4)
        def top():
            outer(True)

        outer(False)
        outer(False)  # outer and inner have had their two calls
        top()
        self.rt._at_exit()
        spans = {s["name"].rsplit(".", 1)[-1]: s for s in self.spans()}
        calls = {c["name"].rsplit(".", 1)[-1]: c for c in self.events("calls")}
        o = [e for e in calls["outer"]["slowest"] if e["args"] == {"last": "True"}][0]
        i = [e for e in calls["inner"]["slowest"] if e["args"] == {"last": "True"}][0]
        self.assertEqual(spans["leaf"]["parent_id"], i["span_id"])
        self.assertEqual(spans["leaf"]["trace_id"], spans["top"]["trace_id"])
        self.assertEqual(len({o["span_id"], i["span_id"], spans["top"]["span_id"]}), 3)
        # Ids count up from one random start: the outer one was given first.
        self.assertLess(int(o["span_id"], 16), int(i["span_id"], 16))

    def test_a_written_child_names_its_omitted_parent(self):
        ct = self.ct

        @ct.fn(1)
        def child(i):
            return i

        @ct.fn(2)
        def parent(i):
            if i == 2:
                child(i)  # child's first call: written
            return i

        for i in range(3):
            parent(i)  # the third is omitted
        self.rt._at_exit()
        (kid,) = [s for s in self.spans() if s["name"].endswith("child")]
        self.assertEqual(kid["args"], {"i": "2"})
        c = self.one_event("calls")
        self.assertEqual(c["omitted"], 1)
        omitted = c["slowest"][0]
        self.assertEqual(kid["parent_id"], omitted["span_id"])
        self.assertEqual(kid["trace_id"][16:], omitted["span_id"])  # its root: the parent


class TestNestedCallsOverTheLimit(RuntimeCase):
    # A call over max_spans_per_function inside another one is not made the
    # current span on CPython 3.12+ (it is timed on the outer one's stack):
    # what is written must be what the wrappers write, on every version.
    config = {"max_spans_per_function": 2, "max_failures_per_function": 1,
              "slowest_calls": 50}

    def test_a_recursion_over_the_limit_times_each_call_as_its_own(self):
        @self.ct.fn(1)
        def down(n):
            return down(n - 1) + 1 if n else 0

        self.assertEqual(down(30), 30)
        self.rt._at_exit()
        self.assertEqual([s["args"]["n"] for s in self.spans()], ["29", "30"])
        (c,) = self.events("calls")
        self.assertEqual((c["recorded"], c["omitted"], c["omitted_failed"]), (2, 29, 0))
        slowest = sorted(c["slowest"], key=lambda e: int(e["args"]["n"]))
        self.assertEqual([e["args"]["n"] for e in slowest], [str(n) for n in range(29)])
        self.assertEqual([e["return"] for e in slowest], [str(n) for n in range(29)])
        # Each call holds the ones it made: a call paired with another's
        # start would break the order.
        durations = [e["duration_ns"] for e in slowest]
        self.assertEqual(durations, sorted(durations))
        self.assertEqual(len({e["span_id"] for e in slowest}), 29)

    def test_a_failure_written_from_nested_calls_names_the_call_it_came_from(self):
        @self.ct.fn(1)
        def walk(n):
            if n == 0:
                raise ValueError("bottom")
            return walk(n - 1)

        with self.assertRaises(ValueError):
            walk(5)
        self.rt._at_exit()
        spans = {s["args"]["n"]: s for s in self.spans()}
        # The first two calls, then the first failure over the limit (n=0).
        self.assertEqual(sorted(spans), ["0", "4", "5"])
        self.assertEqual(spans["0"]["exception"], {"type": "ValueError", "message": "bottom"})
        (c,) = self.events("calls")
        self.assertEqual((c["recorded"], c["omitted"], c["omitted_failed"]), (3, 3, 3))
        kept = {e["args"]["n"]: e for e in c["slowest"]}
        self.assertEqual(sorted(kept), ["1", "2", "3"])
        self.assertEqual(spans["0"]["parent_id"], kept["1"]["span_id"])
        self.assertEqual(spans["0"]["trace_id"], spans["5"]["trace_id"])
        self.assertEqual(len({e["span_id"] for e in kept.values()}), 3)

    def test_calls_over_the_limit_made_from_a_written_call_write_none_of_their_points(self):
        # On 3.12+ a call written in full hosts the calls over the limit made
        # from it (timed on its stack, not made current): their points find
        # it current, and must not write into its span; a call written from
        # one of them names that one as its parent.
        ct = self.ct

        @ct.fn(1)
        def leaf(i):
            return i

        @ct.fn(2)
        def helper(i):
            ct.v(3, "x", i)
            ct.br(4, 0, True)
            for _ in ct.loop(5, "_", [1, 2]):
                ct.wt(6, False)
            try:
                raise KeyError(i)
            except KeyError:
                ct.ex(9)
            if i == 9:
                leaf(i)  # leaf's first call: written, from an omitted call
            return i

        helper(0)
        helper(1)  # helper's two written calls

        @ct.fn(12)
        def top():
            ct.v(13, "y", 1)
            for i in range(2, 10):
                helper(i)
            ct.v(15, "z", 2)
            return 0

        top()
        self.rt._at_exit()
        spans = {s["name"].rsplit(".", 1)[-1]: s for s in self.spans()}
        t = spans["top"]
        mine = [(e["type"], e.get("name")) for e in self.events()
                if e.get("span_id") == t["span_id"] and e["type"] != "span"]
        self.assertEqual(mine, [("var", "y"), ("var", "z")])
        self.assertEqual([e["type"] for e in self.events()
                          if e["type"] in ("vars", "branches", "loops", "exceptions")], [])
        (c,) = [c for c in self.events("calls") if c["name"].endswith("helper")]
        self.assertEqual((c["recorded"], c["omitted"]), (2, 8))
        kept = {e["args"]["i"]: e for e in c["slowest"]}
        self.assertEqual(sorted(kept, key=int), [str(i) for i in range(2, 10)])
        self.assertEqual(spans["leaf"]["parent_id"], kept["9"]["span_id"])
        self.assertEqual(spans["leaf"]["trace_id"], t["trace_id"])


def with_lines(src):
    """Dedented `src`, each `@L` replaced by the number of its line: for
    points that name their own line, as instrumented code does."""
    lines = textwrap.dedent(src).splitlines(True)
    return "".join(line.replace("@L", str(i)) for i, line in enumerate(lines, 1))


@unittest.skipUnless(MONITORING, "calls are only counted on CPython 3.12+ (sys.monitoring)")
class TestDefaultTimedCalls(RuntimeCase):
    # By default a function's first 10,000 calls over max_spans_per_function
    # (200) are timed, and later ones only counted: timing each of millions
    # of calls took parsers' suites past four times their time.

    def test_the_calls_after_ten_thousand_timed_are_only_counted(self):
        ns = {"_ct": self.ct}
        exec(compile("def f(i):\n    return i\nf = _ct.fn(1)(f)\n", "pkg/mod.py", "exec"), ns)
        f = ns["f"]
        for i in range(10_300):
            f(i)
        self.rt._at_exit()
        (c,) = self.events("calls")
        self.assertEqual((c["recorded"], c["omitted"], c["omitted_untimed"]), (200, 10_100, 100))


@unittest.skipUnless(MONITORING, "calls are only counted on CPython 3.12+ (sys.monitoring)")
class TestCallsOnlyCounted(RuntimeCase):
    # runtime.max_timed_calls_per_function: past max_spans_per_function and
    # that many timed calls, a function's calls are only counted (see
    # _count_only).
    config = {"max_spans_per_function": 2, "max_timed_calls_per_function": 3,
              "slowest_calls": 2, "max_failures_per_function": 1}

    def run_source(self, src):
        ns = {"_ct": self.ct, "__name__": "pkg.mod"}
        exec(compile(with_lines(src), "pkg/mod.py", "exec"), ns)
        return ns

    def test_calls_past_the_timed_ones_are_counted_and_write_nothing(self):
        ns = self.run_source("""\
            def g(i):
                return i
            def f(i):
                _ct.v(@L, "x", i)
                if _ct.br(@L, 0, i > 100):
                    pass
                for _ in _ct.loop(@L, "_", [1, 2]):
                    pass
                try:
                    raise KeyError(i)
                except KeyError:
                    _ct.ex(@L)
                if i == 9:
                    g(i)  # g's first call: written, from a call only counted
                if i in (8, 10):
                    raise ValueError(i)
                return i
            def top():
                _ct.v(@L, "y", 1)
                for i in range(11):
                    try:
                        f(i)
                    except ValueError:
                        pass
                _ct.v(@L, "z", 2)
                return 0
            f = _ct.fn(3)(f); g = _ct.fn(1)(g); top = _ct.fn(18)(top)
            """)
        ns["top"]()
        self.rt._at_exit()
        spans = {}
        for s in self.spans():
            spans.setdefault(s["name"], []).append(s)
        (t,) = spans["top"]
        mine = [(e["type"], e.get("name")) for e in self.events()
                if e.get("span_id") == t["span_id"] and e["type"] != "span"]
        # f's calls 0 and 1 are written, 2 to 4 timed, 5 to 10 only counted:
        # none of their points lands in top's span, and nothing is counted
        # per site for them.
        self.assertEqual(mine, [("var", "y"), ("var", "z")])
        self.assertEqual([s["args"]["i"] for s in spans["f"]], ["0", "1"])
        self.assertEqual([e["type"] for e in self.events()
                          if e["type"] in ("vars", "branches", "loops", "exceptions")], [])
        (c,) = [c for c in self.events("calls") if c["name"] == "f"]
        self.assertEqual((c["recorded"], c["omitted"], c["omitted_untimed"]), (2, 9, 6))
        # The slowest are of the timed calls.
        slowest = [e["args"]["i"] for e in c["slowest"]]
        self.assertEqual((len(slowest), set(slowest) <= {"2", "3", "4"}), (2, True), slowest)
        # The two failing calls are only counted: never written, counted by type.
        self.assertEqual((c["omitted_failed"], c["omitted_exceptions"]), (2, {"ValueError": 2}))
        # A call only counted has no span: what it calls has its caller's.
        (gs,) = spans["g"]
        self.assertEqual((gs["args"]["i"], gs["parent_id"]), ("9", t["span_id"]))
        self.assertIsNone(self.rt._cur.get())

    def test_a_function_only_counted_is_not_watched_on_return(self):
        # A call only counted costs its PY_START callback alone: its
        # function's PY_RETURN is no longer watched (it took as long as the
        # PY_START, for nothing), and is watched again when counting ends.
        ns = self.run_source("""\
            def f(i):
                return i
            f = _ct.fn(1)(f)
            """)
        code = ns["f"].__code__
        ev = sys.monitoring.events
        tool = self.rt._M.tool
        self.assertEqual(sys.monitoring.get_local_events(tool, code), ev.PY_START | ev.PY_RETURN)
        for i in range(6):
            ns["f"](i)
        self.assertEqual(sys.monitoring.get_local_events(tool, code), ev.PY_START)
        self.assertEqual(sum(ns["f"](i) for i in range(4)), 6)
        self.rt._at_exit()
        self.assertEqual(sys.monitoring.get_local_events(tool, code), ev.PY_START | ev.PY_RETURN)
        (c,) = self.events("calls")
        self.assertEqual((c["recorded"], c["omitted"], c["omitted_untimed"]), (2, 8, 5))

    def test_not_while_a_call_written_in_full_is_under_way(self):
        # r's first two calls (written in full) are under way through its
        # recursion: its later calls are timed, and the points of the two
        # written calls after it still written. Once they end, its calls
        # are only counted.
        ns = self.run_source("""\
            def r(n):
                if n < 9:
                    r(n + 1)
                _ct.v(@L, "n", n)
                return n
            r = _ct.fn(1)(r)
            """)
        ns["r"](0)
        for _ in range(5):
            ns["r"](9)
        self.rt._at_exit()
        written = [s["args"]["n"] for s in self.spans(name="r")]
        self.assertEqual(written, ["1", "0"])
        self.assertEqual(sorted(e["value"] for e in self.events("var")), ["0", "1"])
        (c,) = self.events("calls")
        # 8 calls over the cap in the recursion, all timed; then 5 calls,
        # only counted.
        self.assertEqual((c["recorded"], c["omitted"], c["omitted_untimed"]), (2, 13, 5))
        self.assertEqual(self.rt._M.counting, 0)  # (undone at exit)
        self.assertEqual(self.ct._ql, {})

    def test_not_while_a_call_over_the_limit_is_under_way(self):
        # r's calls 3 to 5 (timed, over the cap) are under way when its 6th
        # could be only counted: a PY_RETURN of a call only counted would be
        # taken for theirs. It is only counted once they end.
        ns = self.run_source("""\
            def r(n):
                if n:
                    r(n - 1)
                return n
            def g():
                return 1
            r = _ct.fn(1)(r); g = _ct.fn(5)(g)
            """)
        ns["r"](1)  # its two calls written in full
        ns["r"](9)
        self.assertIsNone(self.rt._cur.get())
        ns["g"]()
        ns["r"](0)
        ns["r"](0)
        self.rt._at_exit()
        self.assertIsNone(self.one_span(name="g")["parent_id"])
        (c,) = self.events("calls")
        self.assertEqual((c["recorded"], c["omitted"], c["omitted_untimed"]), (2, 12, 2))
        # The ten calls of the recursion are timed: the slowest is the outermost.
        self.assertEqual(c["slowest"][0]["args"]["n"], "9")


class TestNestedFailuresOverTheLimit(RuntimeCase):
    # Past max_failures_per_function, a failing nested call is counted from
    # its entry on the outer call's stack (see _SP_NEST), its span made only
    # if it is kept among the slowest.
    config = {"max_spans_per_function": 2, "max_failures_per_function": 1,
              "slowest_calls": 1}

    def test_nested_failures_past_the_failure_cap_are_counted_and_the_slowest_kept(self):
        @self.ct.fn(1)
        def walk(n):
            if n == 0:
                raise KeyError("bottom")
            return walk(n - 1)

        for _ in range(2):
            with self.assertRaises(KeyError):
                walk(30)
        self.rt._at_exit()
        # The first two calls, and the first failure over the limit (n=0).
        self.assertEqual(sorted(int(s["args"]["n"]) for s in self.spans()), [0, 29, 30])
        (c,) = self.events("calls")
        self.assertEqual((c["recorded"], c["omitted"], c["omitted_failed"]), (3, 59, 59))
        self.assertEqual(c["omitted_exceptions"], {"KeyError": 59})
        # The slowest: the first call over the limit of either run, which
        # held all the others of its run.
        (slow,) = c["slowest"]
        self.assertIn(slow["args"]["n"], ("28", "30"))
        self.assertEqual(slow["duration_ns"], c["omitted_max_duration_ns"])
        self.assertEqual(slow["exception"]["type"], "KeyError")


class TestFailuresPerFunction(RuntimeCase):
    # Past max_spans_per_function, failing calls are still written, up to
    # max_failures_per_function of them; later ones are counted by
    # exception type in the "calls" event (a parser that fails by design
    # would otherwise write a span per attempt).
    config = {"max_spans_per_function": 2, "max_failures_per_function": 2, "slowest_calls": 1}

    def test_failures_over_the_cap_are_counted_by_type(self):
        @self.ct.fn(1)
        def parse(i):
            if i % 3 == 1:
                raise ValueError(i)
            if i % 3 == 2:
                raise KeyError(i)
            return i

        for i in range(12):
            try:
                parse(i)
            except (ValueError, KeyError):
                pass
        self.rt._at_exit()
        spans = self.spans()
        # The first two calls, then the first two failures after them.
        self.assertEqual([(s["args"]["i"], s["status"]) for s in spans],
                         [("0", "ok"), ("1", "error"), ("2", "error"), ("4", "error")])
        (c,) = self.events("calls")
        self.assertEqual(list(c)[-5:], ["omitted_max_duration_ns", "omitted_failed",
                                        "omitted_exceptions", "slowest", "pid"])
        # Of calls 3 and 5 to 11: 3 returned, 5 failed (KeyError 5, 8, 11;
        # ValueError 7, 10).
        self.assertEqual((c["recorded"], c["omitted"], c["omitted_failed"]), (4, 8, 5))
        self.assertEqual(c["omitted_exceptions"], {"KeyError": 3, "ValueError": 2})
        (slow,) = c["slowest"]
        if slow["exception"] is not None:
            self.assertIn(slow["exception"]["type"], ("KeyError", "ValueError"))
            self.assertIsNone(slow["return"])

    def test_two_exception_types_of_one_name_are_counted_under_it(self):
        # Counted by type while running, named at exit: two classes that
        # print the same are one entry, with both counts.
        first = type("Oops", (Exception,), {"__module__": "pkg.errors"})
        second = type("Oops", (Exception,), {"__module__": "pkg.errors"})

        @self.ct.fn(1)
        def parse(i):
            raise (first if i % 2 else second)(i)

        for i in range(9):
            try:
                parse(i)
            except Exception:
                pass
        self.rt._at_exit()
        (c,) = self.events("calls")
        # 9 calls: 2 written in full, 2 failures written, 5 counted.
        self.assertEqual((c["recorded"], c["omitted"], c["omitted_failed"]), (4, 5, 5))
        self.assertEqual(c["omitted_exceptions"], {"pkg.errors.Oops": 5})

    def test_zero_writes_every_failing_call(self):
        rt = self.load({"max_spans_per_function": 1, "max_failures_per_function": 0})
        ct = rt.Module("pkg/mod.py")

        @ct.fn(1)
        def f(i):
            raise ValueError(i)

        for i in range(300):
            try:
                f(i)
            except ValueError:
                pass
        rt._at_exit()
        rt._flush()
        evs = read_events(self.trace)
        self.assertEqual(len([e for e in evs if e["type"] == "span"]), 300)
        self.assertEqual([e for e in evs if e["type"] == "calls"], [])


class TestLoopsAndExceptionsPerSitePerProcess(RuntimeCase):
    # Loop and exception events have the same per-process cap as variables
    # and branches: a loop run at every call of a hot function, or a handler
    # entered at each attempt, writes its first events, then counts.
    config = {"max_events_per_site_per_process": 2, "max_spans_per_function": 0}

    def test_loops_over_the_cap_are_summarized_at_exit(self):
        ct = self.ct

        @ct.fn(1)
        def f(n):
            for x in ct.loop(2, "x", range(n)):
                pass
            i = 0
            while ct.wt(3, i < n):
                i += 1
            return n

        for n in (1, 2, 5, 3, 0):
            f(n)
        self.rt._at_exit()
        loops = self.events("loop")
        self.assertEqual([(e["site"], e["iterations"]) for e in loops],
                         [(2, 1), (3, 1), (2, 2), (3, 2)])
        fors, whiles = self.events("loops")
        self.assertEqual(list(fors), ["v", "type", "time_unix_ns", "file", "line", "site", "kind",
                                      "recorded", "omitted", "omitted_iterations",
                                      "omitted_max_iterations", "pid"])
        self.assertEqual((fors["site"], fors["kind"], fors["recorded"], fors["omitted"],
                          fors["omitted_iterations"], fors["omitted_max_iterations"]),
                         (2, "for", 2, 3, 8, 5))
        self.assertEqual((whiles["site"], whiles["kind"], whiles["omitted"],
                          whiles["omitted_iterations"]), (3, "while", 3, 8))

    def test_exceptions_over_the_cap_are_counted_by_type(self):
        ct = self.ct
        for e in (ValueError(1), KeyError(2), ValueError(3), KeyError(4), ValueError(5)):
            try:
                raise e
            except Exception:
                ct.ex(7)
        self.rt._at_exit()
        self.assertEqual([e["exception"]["type"] for e in self.events("exception")],
                         ["ValueError", "KeyError"])
        (x,) = self.events("exceptions")
        self.assertEqual(list(x), ["v", "type", "time_unix_ns", "file", "line", "recorded",
                                   "omitted", "omitted_types", "pid"])
        self.assertEqual((x["line"], x["recorded"], x["omitted"], x["omitted_types"]),
                         (7, 2, 3, {"ValueError": 2, "KeyError": 1}))

    def test_a_forked_child_counts_loops_afresh(self):
        ct = self.ct
        for _ in range(3):
            for x in ct.loop(2, "x", [1]):
                pass
        self.rt._after_fork_child()
        self.assertEqual([s.omitted for s in self.rt._SITES if s.kind == "loop"], [0])
        self.assertEqual([s.left for s in self.rt._SITES if s.kind == "loop"], [2])


class TestClosuresShareTheirCap(RuntimeCase):
    # A def run at every call makes a new function each time, all with one
    # code object: max_spans_per_function counts their calls together (a
    # tokenizer's nested helper wrote a span per call of each closure).
    config = {"max_spans_per_function": 3}

    def calls_of_closures(self, defaults):
        ct = self.ct

        def make(k):
            if defaults:
                @ct.fn(3)
                def helper(x, k=k):
                    return x + k
            else:
                @ct.fn(3)
                def helper(x):
                    return x + k
            return helper

        for k in range(4):
            h = make(k)
            h(1)
            h(2)
        self.rt._at_exit()
        return len(self.spans()), [c["omitted"] for c in self.events("calls")]

    def test_closures_count_together(self):
        self.assertEqual(self.calls_of_closures(False), (3, [5]))

    def test_the_same_through_wrappers(self):
        self.use_wrappers()
        self.assertEqual(self.calls_of_closures(False), (3, [5]))

    def test_closures_with_defaults_of_their_own_count_apart(self):
        # (a generic wrapper reads the function's own defaults)
        self.use_wrappers()
        self.assertEqual(self.calls_of_closures(True), (8, []))


class TestNoSlowest(RuntimeCase):
    config = {"max_spans_per_function": 1, "slowest_calls": 0}

    def test_zero_keeps_none(self):
        @self.ct.fn(1)
        def f(i):
            return i

        for i in range(4):
            f(i)
        self.rt._at_exit()
        (c,) = self.events("calls")
        self.assertEqual((c["omitted"], c["slowest"]), (3, []))


class TestEventsPerSitePerProcess(RuntimeCase):
    # A variable assigned in a hot loop, a branch taken on every call: past
    # max_events_per_site_per_process a site's events are counted, and its
    # last value kept, for one "vars" or "branches" event at exit.
    config = {"max_events_per_site_per_process": 3, "max_spans_per_function": 0}

    def test_events_over_the_cap_are_summarized_at_exit(self):
        ct = self.ct

        @ct.fn(1)
        def step(i):
            ct.v(2, "i", i)
            ct.br(3, 0, True)
            ct.v(4, "password", "hunter%d" % i)
            return i

        for i in range(10):
            step(i)
        ct.v(9, "once", 1)  # under the cap: no summary
        self.rt._at_exit()
        self.assertEqual([e["value"] for e in self.events("var", line=2)], ["0", "1", "2"])
        self.assertEqual(len(self.events("branch")), 3)
        self.assertEqual(len(self.spans()), 10)
        v2, v4 = self.events("vars")
        self.assertEqual(list(v2), ["v", "type", "time_unix_ns", "file", "line", "name",
                                    "recorded", "omitted", "last", "pid"])
        self.assertEqual((v2["file"], v2["line"], v2["name"], v2["recorded"], v2["omitted"],
                          v2["last"]), ("pkg/mod.py", 2, "i", 3, 7, "9"))
        self.assertEqual((v4["name"], v4["omitted"], v4["last"]), ("password", 7, "[REDACTED]"))
        (b,) = self.events("branches")
        self.assertEqual(list(b), ["v", "type", "time_unix_ns", "file", "line", "site", "arm",
                                   "recorded", "omitted", "pid"])
        self.assertEqual((b["site"], b["arm"], b["recorded"], b["omitted"]), (3, 0, 3, 7))
        for s in self.spans():
            self.assertNotIn("suppressed", s)  # not the per-span cap

    def test_the_last_value_is_the_value_as_it_was_assigned(self):
        ct = self.ct
        items = []
        for i in range(5):
            items.append(i)
            ct.v(1, "items", items)
        items.append("later")  # after the last assignment: not in `last`
        ct.v(2, "big", 10**30)
        for i in range(3):
            ct.v(2, "big", 10**30 + i)  # the fourth is over the cap
        self.rt._at_exit()
        vs = {e["name"]: e for e in self.events("vars")}
        self.assertEqual((vs["items"]["omitted"], vs["items"]["last"]), (2, "[0, 1, 2, 3, 4]"))
        self.assertEqual(vs["big"]["last"], str(10**30 + 2))

    def test_the_per_span_cap_comes_first(self):
        rt = self.load({"max_events_per_site_per_process": 5, "max_events_per_site": 2,
                        "max_spans_per_function": 0})
        ct = rt.Module("pkg/mod.py")

        @ct.fn(1)
        def loop(n):
            for i in range(n):
                ct.v(2, "i", i)

        for _ in range(4):
            loop(3)  # 2 written, 1 suppressed per span, until 5 are written
        rt._at_exit()
        rt._flush()
        evs = read_events(self.trace)
        self.assertEqual([e["value"] for e in evs if e["type"] == "var"],
                         ["0", "1", "0", "1", "0"])
        self.assertEqual([[x["count"] for x in e.get("suppressed", [])]
                          for e in evs if e["type"] == "span"], [[1], [1], [1], [1]])
        (v,) = [e for e in evs if e["type"] == "vars"]
        self.assertEqual((v["recorded"], v["omitted"], v["last"]), (5, 3, "1"))

    def test_a_forked_child_counts_afresh(self):
        rt = self.rt
        for i in range(5):
            self.ct.v(1, "x", i)
        other = os.path.join(self.dir, "child.jsonl")
        saved = os.environ.get("CTINJECT_TRACE_FILE")
        os.environ["CTINJECT_TRACE_FILE"] = other
        try:
            rt._after_fork_child()  # what os.register_at_fork runs in a child
        finally:
            if saved is None:
                del os.environ["CTINJECT_TRACE_FILE"]
            else:
                os.environ["CTINJECT_TRACE_FILE"] = saved
        for i in range(4):
            self.ct.v(1, "x", 10 + i)
        rt._at_exit()
        child = read_events(other)
        self.assertEqual([e["value"] for e in child if e["type"] == "var"], ["10", "11", "12"])
        self.assertEqual([(e["omitted"], e["last"]) for e in child if e["type"] == "vars"],
                         [(1, "13")])


class TestEverySiteEvent(RuntimeCase):
    config = {"max_events_per_site_per_process": 0, "max_spans_per_function": 0}

    def test_zero_writes_every_event(self):
        ct = self.ct

        @ct.fn(1)
        def f(i):
            ct.v(2, "i", i)
            ct.br(3, 1, True)

        for i in range(300):
            f(i)
        self.rt._at_exit()
        self.assertEqual(len(self.events("var")), 300)
        self.assertEqual(len(self.events("branch")), 300)
        self.assertEqual(self.events("vars") + self.events("branches"), [])


@unittest.skipUnless(MONITORING, "spans come from sys.monitoring on CPython 3.12+ only")
class TestMonitoring(RuntimeCase):
    """Plain functions keep their own code and frame: nothing a program can
    observe of the call stack changes (the wrappers added a frame, which
    frame walks, tracebacks and the recursion limit saw)."""

    def test_a_function_is_left_as_it_is_and_keeps_its_frame(self):
        ct = self.ct

        def caller_name():
            return sys._getframe(1).f_code.co_name

        def boom():
            raise ValueError("x")

        def asks():
            return caller_name()

        original = boom
        boom = ct.fn(1)(boom)
        asks = ct.fn(2)(asks)
        self.assertIs(boom, original)
        self.assertEqual([f.f_code.co_name for f in traceback_frames(boom)],
                         ["traceback_frames", "boom"])
        self.assertEqual(asks(), "asks")
        spans = {s["name"].rsplit(".", 1)[-1]: s for s in self.spans()}
        self.assertEqual(spans["boom"]["status"], "error")
        self.assertEqual(spans["boom"]["exception"], {"type": "ValueError", "message": "x"})
        self.assertEqual(spans["asks"]["return"], "'asks'")
        self.assertIsNone(self.rt._cur.get())  # every span ended

        @ct.fn(3)
        def gen():
            yield 1

        self.assertIsNot(gen, gen.__wrapped__)  # generators are still wrapped

    def test_deco_hands_the_decorator_the_function_itself(self):
        seen = []

        def d(f):
            seen.append(f)
            return functools.wraps(f)(lambda *a: ("decorated", f(*a)))

        def g(x):
            return x * 2

        original = g
        g = self.ct.deco(7, d)(g)
        self.assertEqual(g(4), ("decorated", 8))
        self.assertEqual(seen, [original])
        s = self.one_span()
        self.assertEqual((s["line"], s["args"], s["return"]), (7, {"x": "4"}, "8"))

    def test_the_recursion_limit_is_reached_at_the_same_depth(self):
        def deepest(f):
            return recursion_depth(f, 80)

        def step(probe, n):
            probe(n)

        plain = deepest(step)
        self.assertEqual(deepest(self.ct.fn(1)(step)), plain)  # a wrapper halves it
        self.assertGreater(plain, 10)
        # At the limit itself the callbacks need a frame: the RecursionError
        # comes as the deepest call starts rather than as it calls on, and a
        # span or two there is lost.
        self.assertGreaterEqual(len(self.spans()), plain - 2)

    def test_spans_nest_and_point_events_belong_to_the_running_function(self):
        ct = self.ct

        @ct.fn(1)
        def outer():
            return inner() + 1

        @ct.fn(2)
        def inner():
            ct.v(3, "x", 41)
            return 41

        self.assertEqual(outer(), 42)
        o, i = self.one_span(name=outer.__qualname__), self.one_span(name=inner.__qualname__)
        self.assertEqual(i["parent_id"], o["span_id"])
        self.assertEqual(i["trace_id"], o["trace_id"])
        self.assertEqual(self.events("var")[0]["span_id"], i["span_id"])
        self.assertIsNone(self.rt._cur.get())

    def test_reading_the_arguments_leaves_the_frame_as_it_was(self):
        # Regression (click's test_light_imports on CPython 3.12): reading
        # f_locals there left a dict on the frame, which `import` then passed
        # to __import__ as locals, and which kept a deleted argument alive.
        import builtins

        class Obj(object):
            pass

        seen = []
        real = builtins.__import__

        def hook(name, globals=None, locals=None, fromlist=(), level=0):
            seen.append(locals)
            return real(name, globals, locals, fromlist, level)

        @self.ct.fn(1)
        def f(x):
            import json  # noqa: F401
            r = weakref.ref(x)
            del x
            gc.collect()
            return r() is None

        builtins.__import__ = hook
        try:
            freed = f(Obj())
        finally:
            builtins.__import__ = real
        self.assertEqual(seen, [None])
        self.assertTrue(freed)
        self.assertEqual(self.one_span()["args"], {"x": "<%s.%s object>" % (__name__, Obj.__qualname__)})

    def test_functions_registered_while_off_are_watched_once_it_comes_on(self):
        rt = self.load(on=False)
        ct = rt.Module("m.py")

        @ct.fn(1)
        def f(a):
            return a * 2

        self.assertFalse(hasattr(f, "__wrapped__"))
        self.assertIsNone(rt._M.tool)  # nothing taken while off
        self.rt._mon_stop()  # the runtime of setUp gives its tool id back
        os.environ["CTINJECT_TRACE_FILE"] = self.trace  # as a forked child may find it
        try:
            rt._decide()
        finally:
            del os.environ["CTINJECT_TRACE_FILE"]
        self.assertIn(rt._M.tool, rt._MON_TOOL_IDS)
        self.assertEqual(f(4), 8)
        rt._flush()
        self.assertEqual([(s["args"], s["return"]) for s in self.spans()], [({"a": "4"}, "8")])

    def test_without_a_free_tool_id_functions_are_wrapped(self):
        mon = sys.monitoring
        taken = [t for t in self.rt._MON_TOOL_IDS if mon.get_tool(t) is None]
        for t in taken:
            mon.use_tool_id(t, "someone else")
            self.addCleanup(mon.free_tool_id, t)

        @self.ct.fn(1)
        def f(a):
            return a + 1

        self.assertTrue(hasattr(f, "__wrapped__"))
        self.assertEqual(f(1), 2)
        self.assertEqual(self.one_span()["return"], "2")


class TestGarbageCollection(RuntimeCase):
    # CPython < 3.12 (gh-148891): a ContextVar.set in a finalizer, during a
    # collection that runs inside another ContextVar.set, can free the
    # context's HAMT under it. python-dateutil's suite, instrumented,
    # crashed or raised LookupError from the runtime's context variable.

    def test_the_hook_is_installed_where_cpython_needs_it(self):
        self.assertEqual(self.rt._gc_phase in gc.callbacks, sys.version_info < (3, 12))

    def test_code_run_during_a_collection_leaves_the_context_alone(self):
        self.use_wrappers()  # the hook is for the wrappers of CPython < 3.12
        ct = self.ct
        rt = self.rt

        @ct.fn(1)
        def f():
            return rt._cur.get()

        @ct.fn(2)
        def gen():
            yield rt._cur.get()
            yield rt._cur.get()

        started = gen()
        self.assertIsNotNone(next(started))  # its span is current while it runs
        sets = []
        real = rt._cur

        class Watch(object):  # the context variable, with its sets counted
            def get(self):
                return real.get()

            def set(self, v):
                sets.append(v)
                return real.set(v)

            def reset(self, tok):
                return real.reset(tok)

        rt._cur = Watch()
        # A real collection meanwhile would end the phase (its "stop"
        # callback): none runs until this one is over.
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            rt._gc_phase("start", {})
            try:
                self.assertIsNone(f())  # no span of its own
                g = gen()
                self.assertIsNone(next(g))
                g.close()
                started.close()  # a generator closed by the collector
            finally:
                rt._gc_phase("stop", {})
            self.assertEqual(sets, [])
            f()
            self.assertEqual(len(sets), 1)
        finally:
            rt._cur = real
            if was_enabled:
                gc.enable()
        # What ran during the collection wrote no span; the generator started
        # before it ends its span when closed, and f's call after it is recorded.
        names = [s["name"].rsplit(".", 1)[-1] for s in self.spans()]
        self.assertEqual(names, ["gen", "f"])


class TestYieldedValuesAreNotKept(RuntimeCase):
    # more-itertools' islice_extended tests check with weakrefs that items
    # are freed once consumed: the generator wrapper kept the last one.

    def test_generators_and_async_generators(self):
        ct = self.ct

        class Item(object):
            pass

        @ct.fn(1)
        def gen():
            yield Item()
            yield Item()

        g = gen()
        ref = weakref.ref(next(g))
        gc.collect()
        self.assertIsNone(ref())
        g.close()

        @ct.fn(2)
        async def agen():
            yield Item()
            yield Item()

        async def main():
            a = agen()
            r = weakref.ref(await a.__anext__())
            gc.collect()
            dead = r() is None
            await a.aclose()
            return dead

        self.assertTrue(asyncio.run(main()))
        self.assertEqual(len(self.spans()), 2)

    def test_loops_let_reused_result_tuples_be_reused(self):
        # more-itertools' islice_extended: `for index, item in enumerate(it)`
        # with the loop wrapper holding the last tuple made enumerate build a
        # new one each time and keep the old one, with its item, alive.
        ct = self.ct

        class Item(object):
            pass

        def source(items):
            while items:
                yield items.pop(0)

        def alive_states(wrap):
            items = [Item(), Item(), Item(), Item()]
            refs = [weakref.ref(x) for x in items]
            it = source(items)
            del items
            alive = []
            for index, item in wrap(enumerate(it)):
                item = None
                gc.collect()
                alive.append([r() is not None for r in refs])
            return alive

        plain = alive_states(lambda it: it)
        self.assertEqual(plain[1], [False, True, True, True])  # what the test relies on
        self.assertEqual(alive_states(lambda it: ct.loop(1, "index, item", it)), plain)
        loop = self.events("loop")[0]
        self.assertEqual(loop["iterations"], 4)
        self.assertTrue(loop["last"].startswith("(3, <"), loop)


# ---------------------------------------------------------------- process-level behaviour

class TestBadRedactPattern(RuntimeCase):
    # ctinject refuses such a pattern; a runtime that meets one anyway must
    # fail closed (it used to drop the pattern and record the value).
    config = {"redact": ["pass(word"]}

    def test_every_value_is_redacted(self):
        self.ct.v(1, "password", "hunter2", "colour", "red")
        vals = [e["value"] for e in self.events("var")]
        self.assertEqual(vals, ["[REDACTED]", "[REDACTED]"])


class TestProcess(RuntimeCase):

    def test_threads_write_valid_lines(self):
        # Every call and every event written (no per-function or per-site
        # limit): 2,400 spans.
        self.rt = self.load({"max_spans_per_function": 0, "max_events_per_site_per_process": 0})
        ct = self.rt.Module(self.module_file)

        @ct.fn(1)
        def work(i):
            ct.v(2, "payload", "p" * 150)
            return i

        barrier = threading.Barrier(8)

        def run(n):
            barrier.wait()
            for i in range(n):
                work(i)
            barrier.wait()  # all alive until all are done: thread ids stay distinct

        threads = [threading.Thread(target=run, args=(300,)) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        with open(self.trace, encoding="ascii") as f:
            raw = f.read()  # part is already on disk: the buffer flushed at 64 KiB
        self.assertGreater(len(raw), 65536)
        evs = self.events()
        self.assertEqual(len([e for e in evs if e["type"] == "span"]), 2400)
        self.assertEqual(len([e for e in evs if e["type"] == "var"]), 2400)
        self.assertEqual(len({e["tid"] for e in evs}), 8)
        self.assertEqual(len({e["span_id"] for e in evs if e["type"] == "span"}), 2400)
        for e in evs:
            if e["type"] == "var":
                self.assertIsNotNone(e["span_id"])

    def test_after_fork_child_resets_the_writer(self):
        rt = self.rt
        self.ct.v(1, "x", 1)
        rt._flush()  # the file is open now
        self.ct.v(1, "y", 2)  # buffered
        fd = rt._W.fd
        lock = rt._W.lock
        self.assertIsNotNone(fd)
        self.assertEqual(len(rt._W.buf), 1)
        other = os.path.join(self.dir, "child.jsonl")
        saved = os.environ.get("CTINJECT_TRACE_FILE")
        os.environ["CTINJECT_TRACE_FILE"] = other
        try:
            rt._after_fork_child()  # what os.register_at_fork runs in a child
        finally:
            if saved is None:
                del os.environ["CTINJECT_TRACE_FILE"]
            else:
                os.environ["CTINJECT_TRACE_FILE"] = saved
        self.assertEqual(rt._W.buf, [])
        self.assertIsNot(rt._W.lock, lock)
        # The inherited descriptor is closed, and the child's file opened at
        # once (a file it cannot write is said at start-up); the number may
        # be the same, the file is not.
        self.assertEqual(os.fstat(rt._W.fd).st_ino, os.stat(other).st_ino)
        self.assertNotEqual(os.stat(other).st_ino, os.stat(self.trace).st_ino)
        self.assertTrue(rt._S.on)  # decided again, from the environment
        self.assertEqual(rt._W.path, other)
        self.ct.v(1, "z", 3)
        rt._flush()
        self.assertEqual([e["name"] for e in read_events(other)], ["z"])
        self.assertEqual([e["name"] for e in read_events(self.trace)], ["x"])

    def test_global_random_state_untouched(self):
        state = random.getstate()
        rt = self.load()
        ct = rt.Module("m.py")

        @ct.fn(1)
        def f(x):
            return x

        for i in range(50):
            f(i)
        rt._after_fork_child()  # reseeding happens on the private generator only
        self.assertEqual(random.getstate(), state)

    def test_off_mode_writes_nothing(self):
        # setUp's runtime (on) opened the trace file as it started.
        os.remove(self.trace)
        for env in ({}, {"CTINJECT_TRACE_FILE": self.trace, "CTINJECT_DISABLE": "1"}):
            rt = self.load(env=env)
            self.assertFalse(rt._S.on)
            ct = rt.Module("m.py")

            @ct.fn(1)
            def f(a, b=2):
                return a + b

            @ct.fn(2)
            def g():
                x = yield 1
                return x

            @ct.fn(3)
            async def c():
                return 5

            @ct.fn(4)
            async def ag():
                yield 1

            self.assertEqual(f(1), 3)
            if MONITORING:
                # Left as it is, and no sys.monitoring tool id taken.
                self.assertFalse(hasattr(f, "__wrapped__"))
                self.assertEqual(rt._M.tool, None)
            else:
                self.assertIsNot(f, f.__wrapped__)
            self.assertIsNot(g, g.__wrapped__)
            self.assertTrue(inspect.isgeneratorfunction(g))
            it = g()
            next(it)
            with self.assertRaises(StopIteration) as cm:
                it.send(9)
            self.assertEqual(cm.exception.value, 9)

            async def main():
                return await c(), [x async for x in ag()], [x async for x in ct.aloop(1, "x", ag())]
            self.assertEqual(asyncio.run(main()), (5, [1], [1]))
            self.assertIs(ct.br(1, 0, [1]), True)
            self.assertIs(ct.brx(1, 0, 0, 1), False)
            self.assertIs(ct.caseg(1, 0, 0), False)
            self.assertIs(ct.case(1, 0), True)
            self.assertIs(ct.wt(1, 1), True)
            self.assertEqual(list(ct.loop(1, "x", [1, 2])), [1, 2])
            ct.v(1, "x", 1)
            obj = object()
            self.assertIs(ct.vw(1, "x", obj), obj)
            ct.lb(1)
            try:
                raise KeyError(1)
            except ct.exm(1, KeyError):
                ct.ex(1)
            rt._flush()
            rt._at_exit()
            self.assertFalse(os.path.exists(self.trace))
            self.assertEqual(os.listdir(self.dir), [n for n in os.listdir(self.dir)
                                                    if n.endswith(".py")])

    def test_warnings_point_at_the_callers_line(self):
        ct = self.ct

        def old_api():
            warnings.warn("old", DeprecationWarning, stacklevel=2)

        @ct.fn(1)
        def deeper():
            warnings.warn("deeper", UserWarning, stacklevel=3)

        @ct.fn(2)
        def calls_deeper():
            deeper()

        @ct.fn(3)
        def gen_warns():
            warnings.warn("from gen", UserWarning, stacklevel=2)
            yield 1

        @ct.fn(4)
        async def coro_warns():
            warnings.warn("from coro", UserWarning, stacklevel=2)

        wrapped = ct.fn(5)(old_api)
        with warnings.catch_warnings(record=True) as rec:
            warnings.simplefilter("always")
            old_api(); l1 = sys._getframe().f_lineno  # noqa: E702
            wrapped(); l2 = sys._getframe().f_lineno  # noqa: E702
            calls_deeper(); l3 = sys._getframe().f_lineno  # noqa: E702
            next(gen_warns()); l4 = sys._getframe().f_lineno  # noqa: E702
            warnings.warn("direct", UserWarning); l5 = sys._getframe().f_lineno  # noqa: E702
            warnings.warn("direct2", UserWarning, stacklevel=1); l6 = sys._getframe().f_lineno  # noqa: E702,E501
        got = [(w.filename, w.lineno, str(w.message)) for w in rec]
        me = __file__
        self.assertEqual(got, [(me, l1, "old"), (me, l2, "old"), (me, l3, "deeper"),
                               (me, l4, "from gen"), (me, l5, "direct"), (me, l6, "direct2")])

        async def main():
            with warnings.catch_warnings(record=True) as rec2:
                warnings.simplefilter("always")
                await coro_warns(); line = sys._getframe().f_lineno  # noqa: E702
            return [(w.filename, w.lineno) for w in rec2], line

        got2, line = asyncio.run(main())
        self.assertEqual(got2, [(me, line)])

    def test_warn_is_replaced_once_with_the_same_signature(self):
        self.load()  # a second, independent copy
        w = warnings.warn
        self.assertTrue(hasattr(w, "__ctinject_hidden__"))
        orig = w.__wrapped__
        self.assertFalse(hasattr(orig, "__ctinject_hidden__"))  # not wrapped twice
        ours = inspect.signature(w, follow_wrapped=False)
        want = "(message, category=None, stacklevel=1, source=None)"
        if sys.version_info >= (3, 12):
            want = want[:-1] + ", *, skip_file_prefixes=())"
        self.assertEqual(str(ours), want)
        try:
            theirs = inspect.signature(orig)
        except ValueError:  # 3.12+: the C function's text signature does not parse
            theirs = None
        if theirs is not None:
            self.assertEqual(ours, theirs)
        with self.assertRaises(UserWarning):
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                warnings.warn("as error", UserWarning, stacklevel=2)

    def test_two_copies_share_one_state(self):
        a = self.rt
        b = self.load(fresh=False, name="_ctinject_second_copy")
        self.assertIs(sys.modules[REGISTRY], sys.modules[a.__name__])
        self.assertIs(b.Module, a.Module)  # same config: the very same class
        c = self.load(config={"value_cap": 10}, fresh=False, name="_ctinject_third_copy")
        self.assertTrue(issubclass(c.Module, a._Module))
        ma = a.Module("a/mod.py")
        mb = b.Module("b/mod.py")
        mc = c.Module("c/mod.py")

        @mc.fn(3)
        def leaf(s):
            return s

        @mb.fn(2)
        def mid():
            return leaf("x" * 100)

        @ma.fn(1)
        def top():
            return mid()

        top()
        spans = self.spans()
        self.assertEqual([(s["file"], s["line"]) for s in spans],
                         [("c/mod.py", 3), ("b/mod.py", 2), ("a/mod.py", 1)])
        self.assertEqual(spans[0]["parent_id"], spans[1]["span_id"])
        self.assertEqual(spans[1]["parent_id"], spans[2]["span_id"])
        self.assertEqual(len(spans[0]["args"]["s"]), 10)  # the third copy's own config
        self.assertEqual(len(spans[1]["return"]), 102)
        self.assertIsNone(b._W.fd)  # b never writes: a is the one writer


class TestOpenTelemetrySettings(RuntimeCase):
    """Live export's and the bridge's switches (tests/otlp has the tests
    that need the opentelemetry packages)."""

    def test_ctinject_otel_modes(self):
        mode = self.rt._otel_mode
        self.assertEqual(mode({}), "auto")
        for v in ("auto", "bridge", "export", "off"):
            self.assertEqual(mode({"CTINJECT_OTEL": " %s " % v.upper()}), v)
        self.assertEqual(mode({"CTINJECT_OTEL": "nonsense"}), "auto")

    def test_endpoints(self):
        url = self.rt._otlp_traces_url
        self.assertEqual(url({}), (None, None))
        self.assertEqual(url({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://h:4318"}),
                         ("http://h:4318/v1/traces", "OTEL_EXPORTER_OTLP_ENDPOINT"))
        self.assertEqual(url({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://h:4318/base/"})[0],
                         "http://h:4318/base/v1/traces")
        self.assertEqual(url({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://h:4318",
                              "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://t/x"}),
                         ("http://t/x", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"))
        self.assertEqual(url({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://t/x",
                              "CTINJECT_OTLP_ENDPOINT": "http://c:1/v1/traces"}),
                         ("http://c:1/v1/traces", "CTINJECT_OTLP_ENDPOINT"))

    def test_otel_sdk_disabled_and_traces_exporter_none(self):
        # OTEL_SDK_DISABLED=true turned CTINJECT_OTLP_ENDPOINT off too (ctinject
        # is not the SDK: it now turns off only the OTEL_* endpoints), and
        # OTEL_TRACES_EXPORTER=none did not keep the OTEL_* endpoints from use.
        rt = self.rt
        self.addCleanup(setattr, rt._X, "url", None)
        ours = {"CTINJECT_OTLP_ENDPOINT": "http://c:1"}
        inherited = {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://o:2"}
        for extra, want in [
                ({}, "http://o:2/v1/traces"),
                ({"OTEL_SDK_DISABLED": "true"}, None),
                ({"OTEL_SDK_DISABLED": "false"}, "http://o:2/v1/traces"),
                ({"OTEL_TRACES_EXPORTER": "none"}, None),
                ({"OTEL_TRACES_EXPORTER": "console"}, None),
                ({"OTEL_TRACES_EXPORTER": "console, OTLP"}, "http://o:2/v1/traces")]:
            env = dict(inherited, **extra)
            self.assertEqual(rt._export_configure(env, "auto"), want is not None, extra)
            self.assertEqual(rt._X.url, want, extra)
            env.update(ours)
            self.assertTrue(rt._export_configure(env, "auto"), extra)
            self.assertEqual(rt._X.url, "http://c:1/v1/traces", extra)

    def test_headers_timeout_and_resource(self):
        from urllib.parse import unquote
        rt = self.rt
        self.assertEqual(rt._kv_pairs(" a = 1 ,b=x%20y%2Cz,,novalue, =v,c=", unquote),
                         [("a", "1"), ("b", "x y,z"), ("c", "")])
        self.assertEqual(rt._otlp_timeout_s({}), 10.0)
        self.assertEqual(rt._otlp_timeout_s({"OTEL_EXPORTER_OTLP_TIMEOUT": "2500"}), 2.5)
        self.assertEqual(rt._otlp_timeout_s({"OTEL_EXPORTER_OTLP_TIMEOUT": "2500",
                                             "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT": "500"}), 0.5)
        self.assertEqual(rt._otlp_timeout_s({"OTEL_EXPORTER_OTLP_TIMEOUT": "soon"}), 10.0)
        res = rt._resource_attributes
        self.assertEqual(res({}, unquote), [("service.name", "unknown_service:python")])
        self.assertEqual(res({"OTEL_RESOURCE_ATTRIBUTES": "team=a,service.name=s"}, unquote),
                         [("service.name", "s"), ("team", "a")])
        self.assertEqual(res({"OTEL_RESOURCE_ATTRIBUTES": "service.name=s",
                              "OTEL_SERVICE_NAME": "n"}, unquote), [("service.name", "n")])

    def test_the_queue_is_bounded_and_counts_the_spans_it_drops(self):
        rt = self.rt
        x = rt._X
        self.addCleanup(x.reset)
        self.addCleanup(setattr, x, "url", None)
        x.reset()
        x.url = "http://127.0.0.1:9/v1/traces"  # nothing is sent: no thread runs here
        x.running = True  # (as if it ran: _export_put starts none)
        span = rt._SPAN_PREFIX + '"trace_id":"t"}\n'
        var = '{"v":1,"type":"var","span_id":"s"}\n'
        chunk = [span, var, var, var]
        for _ in range(rt._EXPORT_QUEUE_LINES // len(chunk)):
            rt._export_put(list(chunk))
        self.assertEqual(x.queued_lines, rt._EXPORT_QUEUE_LINES)
        self.assertEqual(x.dropped, {})
        rt._export_put([span, var, span])
        rt._export_put([var])
        self.assertEqual(x.dropped, {"queue full": 2})
        self.assertEqual(x.queued_lines, rt._EXPORT_QUEUE_LINES)

    def test_mapping(self):
        rt = self.rt
        span = {"trace_id": "a" * 32, "span_id": "b" * 16, "parent_id": None, "name": "f",
                "module": None, "file": "m.py", "line": 3, "kind": "function",
                "start_unix_ns": 10, "duration_ns": 5, "args": {"x": "1"}, "return": None,
                "status": "error", "exception": {"type": "E", "message": None},
                "pid": 7, "tid": 8, "suppressed": [{"type": "var", "count": 2}]}
        loop = {"type": "loop", "time_unix_ns": 12, "file": "m.py", "line": 4, "site": 4,
                "kind": "while", "iterations": 2, "target": None, "last": None}
        s = rt._otlp_span(span, [loop])
        self.assertNotIn("parentSpanId", s)
        self.assertEqual((s["kind"], s["startTimeUnixNano"], s["endTimeUnixNano"]), (1, "10", "15"))
        self.assertEqual(s["status"], {"code": 2, "message": "E"})
        self.assertEqual([a["key"] for a in s["attributes"]], [
            "code.function", "code.filepath", "code.lineno", "thread.id", "ctinject.kind",
            "ctinject.args.x", "ctinject.suppressed"])
        self.assertEqual(s["attributes"][2]["value"], {"intValue": "3"})
        self.assertEqual(s["attributes"][-1]["value"],
                         {"stringValue": '[{"type":"var","count":2}]'})
        self.assertEqual(s["events"][0]["attributes"], [
            {"key": "code.filepath", "value": {"stringValue": "m.py"}},
            {"key": "code.lineno", "value": {"intValue": "4"}},
            {"key": "ctinject.site", "value": {"intValue": "4"}},
            {"key": "ctinject.kind", "value": {"stringValue": "while"}},
            {"key": "ctinject.iterations", "value": {"intValue": "2"}}])
        self.assertEqual(s["events"][1], {"timeUnixNano": "15", "name": "exception", "attributes": [
            {"key": "exception.type", "value": {"stringValue": "E"}},
            {"key": "exception.escaped", "value": {"boolValue": True}}]})


class LocalReceiver(object):
    """An OTLP/HTTP receiver in this process (stdlib only): answers 200 to
    each POST, keeps the spans posted (gunzipped JSON) and touches
    `self.posted` (a file) after each answer."""

    def __init__(self, directory):
        import gzip
        import http.server
        self.posted = os.path.join(directory, "posted")
        self.spans = []
        rx = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                req = json.loads(gzip.decompress(body).decode("utf-8"))
                for rs in req["resourceSpans"]:
                    for ss in rs["scopeSpans"]:
                        rx.spans.extend(ss["spans"])
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")
                self.wfile.flush()
                with open(rx.posted, "a") as f:
                    f.write("x")

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()

    def span_args(self, name):
        """The recorded arguments of the spans posted with that name."""
        out = []
        for s in self.spans:
            if s["name"] == name:
                out.append({a["key"][len("ctinject.args."):]: a["value"]["stringValue"]
                            for a in s["attributes"] if a["key"].startswith("ctinject.args.")})
        return out


class TestSubprocesses(unittest.TestCase):
    """Behaviour that needs a process of its own: fork, exit, several packages."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="ctinject-proc-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.trace = os.path.join(self.dir, "trace.jsonl")

    def package(self, name, body, config=None):
        pkg = os.path.join(self.dir, name)
        os.makedirs(pkg)
        with open(os.path.join(pkg, "__init__.py"), "w") as f:
            f.write("")
        with open(os.path.join(pkg, "_ctinject_runtime.py.txt"), "w", encoding="utf-8") as f:
            f.write(runtime_source(config))
        shutil.copy(SHIM, os.path.join(pkg, "_ctinject.py"))
        with open(os.path.join(pkg, "mod.py"), "w") as f:
            f.write('_ct = (__import__("importlib").import_module("._ctinject",'
                    ' __package__ or __spec__.parent) if __package__ or __spec__ and'
                    ' __spec__.parent else __import__("sys").modules.get("__ctinject_runtime_v2__") or __import__("_ctinject")).Module("%s/mod.py")\n'
                    % name)
            f.write(textwrap.dedent(body))

    def run_script(self, script, trace=True, trace_file=None, env=None, timeout=60):
        extra = env
        env = {k: v for k, v in os.environ.items() if not k.startswith(("CTINJECT_", "OTEL_"))}
        if trace:
            env["CTINJECT_TRACE_FILE"] = trace_file or self.trace
        env.update(extra or {})
        p = subprocess.run([sys.executable, "-W", "error", "-c", textwrap.dedent(script)],
                           cwd=self.dir, env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, universal_newlines=True, timeout=timeout)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stderr, "")
        return p.stdout

    def test_module_code_run_by_exec_outside_its_package_binds_the_loaded_runtime(self):
        # lark's standalone generator copies sections of its own source,
        # instrumented, into the code it makes and runs that with exec: the
        # binding found neither a package nor a top-level _ctinject
        # (ModuleNotFoundError), though the runtime was loaded.
        self.package("app", """
            @_ct.fn(2)
            def work(n):
                return n + 1
            """)
        script = """
            import os
            from app import mod
            with open(os.path.join("app", "mod.py")) as f:
                code = f.read()
            ns = {}
            exec(compile(code, "<standalone>", "exec"), ns)
            print(ns["work"](1), type(ns["_ct"]) is type(mod._ct))
            """
        self.assertEqual(self.run_script(script), "2 True\n")
        # With no runtime loaded, the import by name is tried, as before.
        script = """
            import os
            with open(os.path.join("app", "mod.py")) as f:
                code = f.read()
            try:
                exec(compile(code, "<standalone>", "exec"), {})
            except ImportError as e:
                print(e.name)
            """
        self.assertEqual(self.run_script(script), "_ctinject\n")

    def test_unconfigured_export_and_bridge_start_and_import_nothing(self):
        self.package("app", """
            @_ct.fn(2)
            def work(n):
                return n
            """)
        script = """
            import sys, _thread
            before = set(sys.modules)
            from app import mod
            mod.work(3)
            new = set(sys.modules) - before
            print(_thread._count(), sorted(m for m in new if not m.startswith(("app", "_ct", "__ct"))))
            """
        # (ctypes: the runtime's own, on the versions that read frames with it)
        out = self.run_script(script)
        count, mods = out.split(" ", 1)
        self.assertEqual(count, "0")
        self.assertFalse({"gzip", "http.client", "urllib.parse", "socket", "opentelemetry"}
                         & set(eval(mods)), mods)
        # Configured: no thread until a span is handed to the export, then
        # one bare thread, which threading does not list.
        rx, env = self.exporting()
        out = self.run_script("""
            import os, threading, time, _thread
            from app import mod
            before = _thread._count()
            mod.work(3)
            deadline = time.monotonic() + 30
            while not _thread._count() and time.monotonic() < deadline:
                time.sleep(0.01)  # (counted once it runs)
            print(before, _thread._count(), threading.active_count())
            """, trace=False, env=env)
        self.assertEqual(out, "0 1 1\n")

    EXPORT_BODY = """
        @_ct.fn(2)
        def work(n):
            for i in _ct.loop(3, "i", range(n)):
                leaf(i)
            return n

        @_ct.fn(8)
        def leaf(n):
            return n
        """

    # The export thread ends when idle: wait for that (about 2 s).
    WAIT_IDLE = """
        def wait_idle():
            import os, time, _thread
            deadline = time.monotonic() + 20
            while not os.path.exists(os.environ["POSTED"]) and time.monotonic() < deadline:
                time.sleep(0.02)
            deadline = time.monotonic() + 8
            while _thread._count() and time.monotonic() < deadline:
                time.sleep(0.02)
            return os.path.exists(os.environ["POSTED"]), _thread._count()
        """

    def exporting(self):
        rx = LocalReceiver(self.dir)
        self.addCleanup(rx.close)
        return rx, {"CTINJECT_OTLP_ENDPOINT": rx.url, "POSTED": rx.posted}

    def test_the_export_thread_imports_nothing(self):
        # Bug A: the export thread imported gzip and http.client when it first
        # sent; a fork during that import left the module's import lock held
        # in the child, whose next import of it hung forever. Everything is
        # now imported by the thread that configures export.
        self.package("app", self.EXPORT_BODY)
        rx, env = self.exporting()
        out = self.run_script(textwrap.dedent(self.WAIT_IDLE) + textwrap.dedent("""
            import sys, threading
            MAIN = threading.get_ident()
            elsewhere = []
            class Spy(object):
                def find_spec(self, name, path=None, target=None):
                    if threading.get_ident() != MAIN:
                        elsewhere.append(name)
                    return None
            sys.meta_path.insert(0, Spy())
            from app import mod
            mod.work(3)
            print(wait_idle(), sorted(set(elsewhere)))
            """), trace=False, env=env)
        self.assertEqual(out, "(True, 0) []\n")
        self.assertEqual(sorted(a["n"] for a in rx.span_args("leaf")), ["0", "1", "2"])

    @unittest.skipUnless(hasattr(os, "fork"), "needs os.fork")
    def test_a_fork_while_export_is_idle_does_not_warn(self):
        # Bug B: the export thread, started at import and never ended, made
        # every os.fork() on CPython 3.12+ warn (DeprecationWarning: the
        # process is multi-threaded). It now starts with the first span and
        # ends when idle, and starts again for the next one.
        self.package("app", self.EXPORT_BODY)
        rx, env = self.exporting()
        out = self.run_script(textwrap.dedent(self.WAIT_IDLE) + textwrap.dedent("""
            import os, warnings, _thread
            from app import mod
            mod.work(2)
            print(wait_idle())
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                pid = os.fork()
                if pid == 0:
                    os._exit(0)
            os.waitpid(pid, 0)
            print(_thread._count(), [str(w.message) for w in caught])
            os.remove(os.environ["POSTED"])
            mod.leaf(7)
            print(wait_idle())
            """), trace=False, env=env)
        self.assertEqual(out, "(True, 0)\n0 []\n(True, 0)\n")
        self.assertEqual(sorted(a["n"] for a in rx.span_args("leaf")), ["0", "1", "7"])

    def test_turning_the_bridge_on_never_waits_for_the_writers_lock(self):
        # Suspicion 1: the bridge, found at a span's start, flushed with the
        # blocking _flush(): a span started while this very thread held the
        # writer's lock (a signal handler or a finalizer run inside a flush)
        # deadlocked. It now takes the lock without waiting, and a later span
        # turns the bridge on. (A stand-in for the OpenTelemetry API and SDK.)
        self.package("app", """
            @_ct.fn(2)
            def work(n):
                return n
            """)
        out = self.run_script("""
            import sys, types
            otel = types.ModuleType("opentelemetry")
            trace = types.ModuleType("opentelemetry.trace")
            context = types.ModuleType("opentelemetry.context")
            ended = []
            class Span(object):
                def __init__(self, name):
                    self.name = name
                def set_attributes(self, a):
                    pass
                def end(self, end_time=None):
                    ended.append(self.name)
            class Tracer(object):
                def start_span(self, name, context=None, kind=None, start_time=None):
                    return Span(name)
            class Provider(object):
                def get_tracer(self, name, version=None):
                    return Tracer()
            trace.ProxyTracerProvider = type("ProxyTracerProvider", (), {})
            trace.NoOpTracerProvider = type("NoOpTracerProvider", (), {})
            trace.SpanKind = types.SimpleNamespace(INTERNAL=1)
            trace.get_tracer_provider = Provider
            INVALID = object()
            trace.get_current_span = lambda: INVALID
            trace.set_span_in_context = lambda span: {"span": span}
            context.attach = lambda ctx: object()
            context.detach = lambda token: None
            context.get_value = lambda key: None
            context._SUPPRESS_INSTRUMENTATION_KEY = "suppress"
            sys.modules.update({"opentelemetry": otel, "opentelemetry.trace": trace,
                                "opentelemetry.context": context})
            from app import mod
            rt = sys.modules["__ctinject_runtime_v2__"]
            with rt._W.lock:
                mod.work(1)
            mod.work(2)
            print(ended)
            """, timeout=30)
        self.assertEqual(out, "['work']\n")
        self.assertEqual([e["args"]["n"] for e in read_events(self.trace)], ["1", "2"])

    def test_an_unwritable_trace_file_is_said_once_at_start_up(self):
        # Every event used to be lost without a word. The trace path here
        # lies below a regular file, which no one can make a folder of.
        self.package("app", """
            @_ct.fn(2)
            def work(n):
                return n
            """)
        blocker = os.path.join(self.dir, "blocker")
        with open(blocker, "w") as f:
            f.write("x")
        script = textwrap.dedent("""
            import subprocess, sys
            from app import mod
            mod.work(3)
            # A child process inherits the setting, not a second warning.
            subprocess.run([sys.executable, "-c", "from app import mod; mod.work(1)"], check=True)
            print("ok")
            """)
        env = dict(os.environ)
        env.pop("CTINJECT_DISABLE", None)
        env.pop("CTINJECT_TRACE_WARNED", None)
        env["CTINJECT_TRACE_FILE"] = os.path.join(blocker, "trace.jsonl")
        p = subprocess.run([sys.executable, "-W", "error", "-c", script], cwd=self.dir, env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           universal_newlines=True, timeout=60)
        self.assertEqual((p.returncode, p.stdout), (0, "ok\n"), p.stderr)
        self.assertEqual(p.stderr.splitlines(), [
            "ctinject: cannot write the trace file %s (CTINJECT_TRACE_FILE); no telemetry "
            "is recorded" % os.path.join(blocker, "trace.jsonl")])

    @unittest.skipUnless(sys.version_info < (3, 12), "CPython gh-148891 affects 3.11 and older")
    def test_generators_closed_by_the_collector_do_not_corrupt_the_context(self):
        # python-dateutil's suite crashed in ContextVar.set (or raised
        # LookupError from ContextVar.reset) when the collector closed
        # suspended wrapped generators inside the runtime's own set.
        self.package("app", """
            import contextvars
            pad = [contextvars.ContextVar("pad%d" % i) for i in range(20)]
            for v in pad:
                v.set(object())
            class Node:
                @_ct.fn(7)
                def __init__(self):
                    self.gen = self.walk()  # a cycle: Node, generator, frame
                    next(self.gen)
                @_ct.fn(11)
                def walk(self):
                    yield 1
                    yield 2
            @_ct.fn(15)
            def f():
                return 1
        """)
        out = self.run_script("""
            import app.mod as m
            for i in range(100000):
                m.Node(); m.f()
            print("done")
        """, trace_file=os.devnull)
        self.assertEqual(out.strip(), "done")

    def test_runtime_imports_are_not_the_packages(self):
        # click's test_light_imports: a hook on builtins.__import__ records
        # the modules imported by code whose module name starts with the
        # package's; the runtime (loaded as __ctinject_runtime_v2__) must
        # add nothing but the shim's `sys`.
        self.package("app", """
            @_ct.fn(2)
            def f():
                return 1
        """)
        out = self.run_script("""
            import builtins, json
            found = set()
            real = builtins.__import__
            def hook(name, globals=None, locals=None, fromlist=(), level=0):
                if globals and globals.get("__name__", "").startswith("app") and level == 0:
                    found.add(name)
                return real(name, globals, locals, fromlist, level)
            builtins.__import__ = hook
            import app.mod
            builtins.__import__ = real
            print(json.dumps(sorted(found)), app.mod.f())
        """)
        self.assertEqual(out.strip(), '["sys"] 1')

    def test_package_imports_from_a_zip(self):
        # zipapp, PEX, zipimport: the shim built a loader of its own loader's
        # type, and zipimporter() takes other arguments: the import failed,
        # telemetry on or off.
        import zipfile
        self.package("app", """
            @_ct.fn(2)
            def f(x):
                return x + 1
        """)
        archive = os.path.join(self.dir, "app.zip")
        with zipfile.ZipFile(archive, "w") as z:
            for name in sorted(os.listdir(os.path.join(self.dir, "app"))):
                z.write(os.path.join(self.dir, "app", name), "app/" + name)
        shutil.rmtree(os.path.join(self.dir, "app"))
        for trace in (False, True):
            out = self.run_script("""
                import sys
                sys.path.insert(0, "app.zip")
                import app.mod
                print(app.mod.f(1), "app.zip" in app.mod.__file__)
            """, trace=trace)
            self.assertEqual(out.strip(), "2 True")
        with open(self.trace) as f:
            spans = [json.loads(l) for l in f if '"span"' in l]
        self.assertEqual([s["name"] for s in spans], ["f"])

    @unittest.skipUnless(hasattr(os, "fork"), "needs os.fork")
    def test_fork_parent_and_child_both_append(self):
        self.package("app", """
            @_ct.fn(2)
            def work(n):
                _ct.v(3, "n", n)
                return n
            """)
        out = self.run_script("""
            import os, sys
            from app import mod
            mod.work(1)                  # buffered in the parent before the fork
            pid = os.fork()
            if pid == 0:
                mod.work(2)
                sys.exit(0)              # the child's events are written at exit
            os.waitpid(pid, 0)
            mod.work(3)
            print(os.getpid(), pid)
            """)
        parent, child = map(int, out.split())
        evs = read_events(self.trace)
        spans = [e for e in evs if e["type"] == "span"]
        by_arg = {}
        for s in spans:
            by_arg.setdefault(s["args"]["n"], []).append(s)
        self.assertEqual(sorted(by_arg), ["1", "2", "3"])
        self.assertEqual([len(v) for _, v in sorted(by_arg.items())], [1, 1, 1])  # no duplicates
        self.assertEqual(by_arg["1"][0]["pid"], parent)
        self.assertEqual(by_arg["2"][0]["pid"], child)
        self.assertEqual(by_arg["3"][0]["pid"], parent)
        # the child's id generator was reseeded: its first ids differ from the parent's
        self.assertNotEqual(by_arg["2"][0]["span_id"], by_arg["3"][0]["span_id"])
        self.assertNotEqual(by_arg["2"][0]["trace_id"], by_arg["3"][0]["trace_id"])
        self.assertEqual(len([e for e in evs if e["type"] == "var"]), 3)
        # flushed before the fork: the parent's earlier events come first in the file
        self.assertLess(evs.index(by_arg["1"][0]), evs.index(by_arg["2"][0]))

    def test_multiprocessing_workers_write_before_they_are_killed(self):
        self.package("app", """
            import os, signal

            @_ct.fn(4)
            def square(x):
                return x * x

            def square_then_die(x):  # not instrumented: square() is a root span
                square(x)
                os.kill(os.getpid(), signal.SIGKILL)
            """)
        methods = ["spawn"] + (["fork"] if hasattr(os, "fork") else [])
        out = self.run_script("""
            import multiprocessing
            from app import mod
            for i, method in enumerate(%r):
                ctx = multiprocessing.get_context(method)
                with ctx.Pool(2) as pool:
                    print(pool.map(mod.square, range(2)))
                p = ctx.Process(target=mod.square_then_die, args=(10 + i,))
                p.start()
                p.join()
                print(p.exitcode)
            """ % (methods,))
        self.assertEqual(out, "[0, 1]\n-9\n" * len(methods))
        spans = read_events(self.trace)
        want = ["0", "1"] * len(methods) + [str(10 + i) for i in range(len(methods))]
        self.assertEqual(sorted(s["args"]["x"] for s in spans), sorted(want))
        self.assertNotIn(os.getpid(), {s["pid"] for s in spans})

    def test_off_mode_and_exit_in_a_process(self):
        self.package("app", """
            @_ct.fn(2)
            def work(n):
                for i in _ct.loop(3, "i", range(n)):
                    pass
                return n
            """)
        script = """
            import random
            s = random.getstate()
            from app import mod
            mod.work(3)
            assert random.getstate() == s
            print("ok")
            """
        self.assertEqual(self.run_script(script, trace=False), "ok\n")
        self.assertFalse(os.path.exists(self.trace))
        self.assertEqual(self.run_script(script, trace=True), "ok\n")
        self.assertEqual([e["type"] for e in read_events(self.trace)], ["loop", "span"])

    def test_a_walk_of_the_package_does_not_find_the_runtime(self):
        # The runtime was `_ctinject_runtime.py` in the package: a test that
        # imports every module of its package loaded a second copy of it,
        # and parso, which parses every `*.py` of its own package, read
        # 145 KB more in each pass.
        self.package("app", """
            @_ct.fn(2)
            def work(n):
                return n + 1
            """)
        self.run_script("""
            import glob, importlib, os, pkgutil, sys
            import app
            from app import mod
            names = sorted(m.name for m in pkgutil.walk_packages(app.__path__, "app."))
            assert names == ["app._ctinject", "app.mod"], names
            for name in names:
                importlib.import_module(name)
            copies = [m for m in sys.modules if "runtime" in m]
            assert copies == ["__ctinject_runtime_v2__"], copies
            found = sorted(os.path.basename(p) for p in glob.glob(os.path.join("app", "*.py")))
            assert found == ["__init__.py", "_ctinject.py", "mod.py"], found
            assert mod.work(1) == 2
            """)
        self.assertEqual([e["type"] for e in read_events(self.trace)], ["span"])

    def test_packages_with_their_own_copies(self):
        self.package("pkga", """
            from pkgb import mod as b
            @_ct.fn(2)
            def top():
                return b.leaf("y" * 50)
            """)
        self.package("pkgb", """
            @_ct.fn(2)
            def leaf(s):
                return s
            """, config={"value_cap": 8})
        self.run_script("""
            import os, sys
            from pkga import mod
            import pkga._ctinject, pkgb._ctinject
            rt = sys.modules["__ctinject_runtime_v2__"]
            # One runtime per process, from the copy of the package loaded first.
            assert rt.__file__ == os.path.join("pkga", "_ctinject_runtime.py.txt") or rt.__file__.endswith(os.sep + os.path.join("pkga", "_ctinject_runtime.py.txt")), rt.__file__
            assert pkga._ctinject.Module is rt.Module is pkgb._ctinject.Module
            mod.top()
            """)
        leaf, top = read_events(self.trace)
        self.assertEqual((leaf["file"], top["file"]), ("pkgb/mod.py", "pkga/mod.py"))
        self.assertEqual(leaf["parent_id"], top["span_id"])
        # The first copy's configuration applies (default cap).
        self.assertEqual(len(leaf["args"]["s"]), 52)
        self.assertEqual(len(top["return"]), 52)


if __name__ == "__main__":
    unittest.main()
