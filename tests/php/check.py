#!/usr/bin/env python3
"""Checks the events the PHP runtime wrote for one scenario of
tests/php/app/app.php (or forms/forms.php): what is the PHP runtime's; the
rest (with tid 0 everywhere) is in tests/fallback-runtimes/events_check.py.

Usage: check.py SCENARIO TRACE [LIMIT_BYTES]
Exits 1 with the failed checks listed."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fallback-runtimes"))
from events_check import (basic_calls, caps_summaries, check, eq, main, of_type, one,  # noqa: E402
                          outside_spans, spans, uncaught, var)


def check_basic(evs):
    basic, exc = basic_calls(
        evs, {"basic": "basic", "total": "total", "load": "load", "div": "div", "values": "values", "add": "add"},
        loop_sites=(66, 70), branch_site=56,
        load_exception={"type": "RuntimeException", "message": "no such key: missing:7"},
        div_exception={"type": "DivisionByZeroError", "message": "Division by zero"}, exception_lines=(105, 112))
    eq(exc[2]["exception"] if len(exc) > 2 else None, {"type": "OwnError", "message": "own message"},
       "an exception with its own __toString: getMessage (final) is read")
    eq([v["value"] for v in of_type(evs, "var", name="apiKey")], ["[REDACTED]", "[REDACTED]"], "apiKey")
    eq(var(evs, "authHeader"), "[REDACTED]", "authHeader")
    vals = one(evs, "values")
    eq(vals.get("args"), {"loud": "<Loud object>", "list": "<LoudList object>"}, "values args")
    eq(var(evs, "mixed"), '[1, "two\\n\\"q\\" \\$x", 2.5, 1.0, null, true, <Loud object>, Color::Green, -0.0]',
       "a list of mixed values")
    eq(var(evs, "m"), '["user" => "ann", "session_id" => [REDACTED], "nested" => [1, 2], 7 => "seven"]',
       "a map (key redacted)")
    eq(var(evs, "sparse"), '["a", "b", 5 => "c", 6 => "d"]', "keys from the first that breaks the list")
    big = var(evs, "big") or ""
    eq(len(big), 200, "a long string is cut at 200")
    check(big.startswith('"xxx') and big.endswith("xxx..."), "cut string %r" % big[-10:])
    ints = var(evs, "ints") or ""
    check(len(ints) == 200 and ints.startswith("[0, 0") and ints.endswith("..."), "a long array is cut")
    eq(var(evs, "pi"), "3.25", "float")
    eq(var(evs, "unicode"), '"h\u00e9\u20ac\U0001F600"', "UTF-8 string")
    eq(var(evs, "bytes"), '"a\\xFF\\x00b"', "bytes that are not UTF-8")
    eq(var(evs, "deep"), "[[[[[[[...]]]]]]]", "nesting cut at 6 levels")
    eq(var(evs, "fn"), "<Closure object>", "a closure")
    eq(var(evs, "anon"), "<class@anonymous object>", "an anonymous class")
    eq(var(evs, "own"), "<OwnError object>", "an exception as a value")
    res = [v["value"] for v in of_type(evs, "var", name="res")]
    check(len(res) == 2 and res[0].endswith("of type (stream)") and res[1].endswith("of type (Unknown)"),
          "resources %r" % res)
    eq(var(evs, "inf"), "-INF", "-INF")
    lu = var(evs, "longUnicode") or ""
    eq((len(lu), lu[:3], lu[-4:]), (200, '"\u00e9\u00e9', "\u00e9..."), "a long UTF-8 string cut by characters")
    outside_spans(evs, basic, "outsideVar", 123)


def check_caps(evs):
    hot, c, late = caps_summaries(
        evs, "hot", "add", "InvalidArgumentException",
        {"vars": 130, "loops": 137, "branches": 154, "exceptions": 168, "suppressed": 144, "arm": 146, "loop": 143},
        {"UnexpectedValueException": 67, "LogicException": 33}, "inSpan", "app/app.php", arms="switch arms")
    if c:
        check(all(a["trace_id"][:16] == hot[0]["trace_id"][:16] for a in late), "their trace ids")
    eq(of_type(evs, "loop", site=162)[0]["iterations"] if of_type(evs, "loop", site=162) else None, 300,
       "a loop of 300")


def check_generators(evs):
    top = one(evs, "generators")
    cons = one(evs, "consume")
    eq(cons.get("parent_id"), top.get("span_id"), "consume's parent")
    gens = spans(evs, "gen")
    eq([(g["args"]["n"], g["status"], g["parent_id"] == cons.get("span_id")) for g in gens],
       [("3", "ok", True), ("5", "ok", True), ("2", "error", True), ("4", "ok", True)],
       "generator spans: finished, destroyed while suspended, thrown into, outliving its consumer")
    eq(gens[2]["exception"], {"type": "LogicException", "message": "thrown in"}, "throw() into a generator")
    # the consumer's calls between two steps have the generator's span as parent
    adds = spans(evs, "add")
    eq([a["parent_id"] for a in adds[:3]], [gens[0]["span_id"]] * 3, "add between steps: under the generator")
    # after the consumer ended, the stack is back to its parent
    eq([a["parent_id"] for a in adds[3:]], [top.get("span_id")] * 2, "add after consume: under generators")
    eq([(l["span_id"], l["iterations"]) for l in of_type(evs, "loop")],
       [(gens[0]["span_id"], 3), (gens[1]["span_id"], 2), (gens[2]["span_id"], 1), (gens[3]["span_id"], 1),
        (top.get("span_id"), 1)], "loops (a step after the consumer ended counts in the current span)")


def check_errstate(evs):
    e = one(evs, "errstate")
    eq(var(evs, "x"), "null", "json_decode's null")
    eq(var(evs, "s"), '"caf\u00e9 \\"quoted\\""', "a string with a JSON error pending")
    eq(var(evs, "r"), "false", "preg_match's false")
    eq(var(evs, "t"), '"na\u00efve \\\\ \\$x"', "a string with a PCRE error pending")
    eq(var(evs, "password2"), "[REDACTED]", "redaction with a PCRE error pending")
    eq([x["exception"] for x in of_type(evs, "exception")], [{"type": "Exception", "message": "with \u00e9"}],
       "a message with a JSON error pending")
    eq(e.get("status"), "ok", "errstate ok")


def check_fork(evs):
    pids = sorted({e["pid"] for e in evs})
    eq(len(pids), 2, "two processes")
    f = one(evs, "forker")
    c = one(evs, "child")
    check(c.get("pid") != f.get("pid"), "the child has its own pid")
    eq(c.get("parent_id"), f.get("span_id"), "the child's span is under the span open at the fork")
    eq(c.get("trace_id"), f.get("trace_id"), "in its trace")
    adds = spans(evs, "add")
    eq(sorted((a["args"]["a"], a["pid"] == c.get("pid")) for a in adds),
       [("1", False), ("3", False), ("5", True)], "add spans: the parent's buffered lines written once")
    ca = [a for a in adds if a["args"]["a"] == "5"]
    check(ca and ca[0]["parent_id"] == c.get("span_id"), "the child's add under child")
    ids = [s["span_id"] for s in spans(evs)]
    eq(len(ids), len(set(ids)), "span ids unique")


def check_shutdown(evs):
    adds = spans(evs, "add")
    eq(len(adds), 1000, "add spans: the cap")
    calls = of_type(evs, "calls", name="add")
    eq([(c["recorded"], c["omitted"]) for c in calls], [(1000, 7)],
       "calls summary counts the calls of a shutdown function and of a destructor")
    d = one(evs, "Closer::__destruct")
    check(d and calls and evs.index(d) < evs.index(calls[0]), "after exit() in a shutdown function: "
          "the summaries are written by the destructor pass")


def check_odd(evs):
    sp = spans(evs)
    eq([(s["name"], s["file"], s["line"], s["args"]) for s in sp],
       [("null", "null", -5, {"a": "1", "2": '"odd"', "x": "[1 => 2]"})], "a span with null file and name")
    eq([s["status"] for s in sp], ["ok"], "it ended ok (fail(null) is ignored)")
    eq([(e["type"], e["file"], e["line"]) for e in evs if e["type"] != "span"],
       [("var", "null", 1), ("var", "app/app.php", 1), ("branch", "null", 2), ("exception", "app/app.php", 4),
        ("exception", "null", 1 << 30), ("exception", "app/app.php", 5), ("loop", "null", -(1 << 63)),
        ("loop", "null", 3), ("loop", "app/app.php", 3)],
       "events with odd arguments")
    eq([e["exception"] for e in of_type(evs, "exception")],
       [{"type": "null", "message": None}, {"type": "Error", "message": ""}, {"type": "string", "message": None}],
       "x() with null, an Error, a string")


def check_forms(evs):
    m = one(evs, "Shop\\main")
    names = {s["name"] for s in spans(evs)}
    for n in ["Shop\\Cart::__construct", "Shop\\Cart::add", "Shop\\Cart::price", "Shop\\Cart::label",
              "Shop\\Cart::slot", "Shop\\Cart::name", "Shop\\bump", "Shop\\sum", "Shop\\countdown", "Shop\\twice",
              "Shop\\fail", "Shop\\guarded", "Shop\\{closure}"]:
        if n != "Shop\\Cart::name":
            check(n in names, "a span of " + n)
    bad = [s for s in spans(evs, "Shop\\Cart::add") if s["status"] == "error"]
    eq([s["exception"] for s in bad], [{"type": "InvalidArgumentException", "message": "bad quantity 0"}],
       "a failing method")
    eq([s["args"] for s in spans(evs, "Shop\\sum")], [{"xs": "[1, 2, 3]"}, {"xs": "[]"}], "variadic args")
    eq(sorted(s["args"]["counts"] for s in spans(evs, "Shop\\bump")),
       sorted(["[]", '["a" => 1, "total" => 1]', '["a" => 2, "total" => 2]', '["a" => 3, "total" => 2]']),
       "by-reference args (their values when the call starts)")
    cd = spans(evs, "Shop\\countdown")
    eq([(s["args"]["from"], s["status"]) for s in cd],
       [("3", "ok"), ("5", "ok"), ("2", "ok"), ("2", "ok"), ("2", "error")],
       "generators: finished, destroyed suspended, delegated twice, thrown into")
    tw = one(evs, "Shop\\twice")
    check(all(s["parent_id"] == tw.get("span_id") for s in cd[2:4]), "yield from: the inner generators under twice")
    fl = spans(evs, "Shop\\fail")
    eq([s["exception"]["message"] for s in fl], ["zero", "for the record"] + (["uncaught"] if len(fl) == 3 else []),
       "a never function")
    check(all(s["exception"]["type"] == "DomainException" for s in fl), "its exception")
    eq(sorted(x["line"] for x in of_type(evs, "exception")), [125, 136, 173, 180], "exception events")
    eq(sorted((b["site"], b["arm"]) for b in of_type(evs, "branch")),
       sorted([(44, 2), (44, 1), (44, 0), (80, 0), (80, 0), (121, 0)] + ([(185, 0)] if len(fl) == 3 else [])),
       "branch events")
    eq(m.get("status"), "error" if len(fl) == 3 else "ok", "main's status")


def check_fail(evs):
    uncaught(evs, "div", {"type": "DivisionByZeroError", "message": "Division by zero"})


def check_exit(evs):
    eq([s["name"] for s in spans(evs)], ["add"], "exit(): the spans that ended are written")
    eq(var(evs, "sum"), "3", "its var")


def check_fatal(evs):
    eq([s["name"] for s in spans(evs)], ["add"], "out of memory: the spans that ended are written")


if __name__ == "__main__":
    main("php", globals(), "basic", tid=0)
