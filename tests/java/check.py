#!/usr/bin/env python3
"""Checks the events the Java runtime wrote for one scenario of
tests/java/app/App.java (or forms/Forms.java): what is the Java runtime's;
the rest is in tests/fallback-runtimes/events_check.py.

Usage: check.py SCENARIO TRACE [LIMIT_BYTES]
Exits 1 with the failed checks listed."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fallback-runtimes"))
from events_check import (basic_calls, caps_summaries, check, eq, main, of_type, one,  # noqa: E402
                          outside_spans, spans, stress, threads, uncaught, var)


def check_basic(evs):
    basic, exc = basic_calls(
        evs, {"basic": "App.basic", "total": "App.total", "load": "App.load", "div": "App.div",
              "values": "App.values", "add": "App.add"},
        loop_sites=(96, 101), branch_site=85,
        load_exception={"type": "java.io.IOException", "message": "no such key: missing:7"},
        div_exception={"type": "ArithmeticException", "message": "/ by zero"}, exception_lines=(144, 149))
    # an overridden getMessage is not called
    eq(exc[2]["exception"] if len(exc) > 2 else None, {"type": "app.App$OwnMessage", "message": None},
       "exception with its own getMessage")
    # redaction
    eq([v["value"] for v in of_type(evs, "var", name="apiKey")], ["[REDACTED]", "[REDACTED]"], "apiKey")
    eq(var(evs, "authHeader"), "[REDACTED]", "authHeader")
    # values
    vals = one(evs, "App.values")
    eq(vals.get("args"), {"loud": "<app.App$Loud object>", "list": "<app.App$LoudList object>"}, "values args")
    eq(var(evs, "loud"), "<app.App$Loud object>", "a user object")
    eq(var(evs, "mixed"), '[1, "two\\n\\"q\\"", \'c\', 2.5, 3L, 1.5f, null, <app.App$Loud object>, Color.GREEN]',
       "a list of mixed values")
    eq(var(evs, "m"), '{"user"="ann", "session_id"=[REDACTED], "nested"=[1, 2]}', "a map (key redacted)")
    eq(var(evs, "byLoud"), '{<app.App$Loud object>="v"}', "a map with a user key")
    big = var(evs, "big") or ""
    eq(len(big), 200, "a long string is cut at 200")
    check(big.startswith('"xxx') and big.endswith("xxx..."), "cut string %r" % big[-10:])
    longs = var(evs, "longs") or ""
    check(len(longs) == 200 and longs.startswith("[0L, 0L") and longs.endswith("..."), "a long array is cut")
    eq(var(evs, "ch"), "'x'", "char")
    eq(var(evs, "flag"), "true", "boolean")
    eq(var(evs, "pi"), "3.25", "double")
    eq(var(evs, "unicode"), '"h\u00e9\u20ac\U0001F600"', "non-ASCII string")
    eq(var(evs, "cls"), "java.lang.String.class", "a class")
    eq(var(evs, "deep"), "[[[[[[[...]]]]]]]", "nesting cut at 6 levels")
    eq(var(evs, "tree"), '{"a"=1, "b"=2}', "TreeMap")
    eq(var(evs, "listOf"), '["x", "y"]', "List.of")
    eq(var(evs, "own"), "<app.App$OwnMessage object>", "an exception as a value")
    outside_spans(evs, basic, "outsideVar", 225)


def check_caps(evs):
    hot, c, late = caps_summaries(
        evs, "App.hot", "App.add", "IllegalArgumentException",
        {"vars": 159, "loops": 166, "branches": 191, "exceptions": 207, "suppressed": 174, "arm": 175, "loop": 173},
        {"UnsupportedOperationException": 67, "IllegalStateException": 33}, "App.inSpan", "app/App.java")
    if c:
        ids = {s["span_id"] for s in c["slowest"]}
        check(ids & {a["parent_id"] for a in late} == {a["parent_id"] for a in late} & ids, "ids consistent")


def check_threads(evs):
    threads(evs, [202, 208])


def check_forms(evs):
    m = one(evs, "Forms.main")
    names = [s["name"] for s in spans(evs)]
    for n in ["Forms.read", "Forms.parse", "Forms.<init>", "Forms.fill", "Forms.max", "Forms.rethrow",
              "Forms.lambda$FAILS", "Forms.name", "Forms.firstOver", "Forms.lambda$HELLO", "Shape.area",
              "Forms.twice"]:
        check(n in names, "a span of " + n)
    parse = [s for s in spans(evs, "Forms.parse") if s["status"] == "error"]
    eq([s["exception"] for s in parse], [{"type": "InterruptedException", "message": "asked to wait"}],
       "a checked exception thrown through precise rethrow")
    rt = one(evs, "Forms.rethrow")
    eq(rt.get("exception"), {"type": "java.io.IOException", "message": "from a callable"}, "a generic throws E")
    eq([(l["site"], l["kind"], l["iterations"]) for l in of_type(evs, "loop")],
       [(56, "for", 6), (70, "for", 3), (109, "while", 2)], "loops (a return inside the loop ends it)")
    eq([e["line"] for e in of_type(evs, "exception")], [153, 45, 45, 159, 83, 169], "exception events")
    ctor = [s for s in spans(evs, "Forms.<init>")]
    eq(sorted(s["line"] for s in ctor), [17, 17, 24], "constructor spans")
    inner = [s for s in ctor if s["line"] == 17 and s["args"] == {"size": "7"}]
    eq(len(inner), 1, "this(7) ran before the delegating constructor's span")
    check(inner and inner[0]["parent_id"] == m.get("span_id"), "so its parent is main")


def check_odd(evs):
    sp = spans(evs)
    eq([(s["name"], s["file"], s["line"], s["args"]) for s in sp],
       [("null", "null", -5, {"a": "1", "arg1": '"odd"'})], "a span with null file and name, odd pairs")
    eq([s["status"] for s in sp], ["ok"], "it ended ok")
    eq([(e["type"], e["file"], e["line"]) for e in evs if e["type"] != "span"],
       [("var", "null", 1), ("var", "app/App.java", -1), ("branch", "null", 2), ("exception", "app/App.java", 4),
        ("exception", "null", 1 << 30), ("loop", "null", -2147483648), ("loop", "app/App.java", 3)],
       "events with odd arguments")
    eq(of_type(evs, "exception")[0]["exception"], {"type": "null", "message": None}, "x(F, L, null)")


check_stress = stress


def check_fail(evs):
    uncaught(evs, "App.div", {"type": "ArithmeticException", "message": "/ by zero"})


def check_exit(evs):
    eq([s["name"] for s in spans(evs)], ["App.add"], "System.exit: the spans that ended are written")
    eq(var(evs, "sum"), "3", "its var")


if __name__ == "__main__":
    main("java", globals(), "App.basic")
