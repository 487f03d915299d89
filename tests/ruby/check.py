#!/usr/bin/env python3
"""Checks the events the Ruby runtime wrote for one scenario of
tests/ruby/app/app.rb (or forms/forms.rb): what is the Ruby runtime's; the
rest is in tests/fallback-runtimes/events_check.py.

Usage: check.py SCENARIO TRACE [LIMIT_BYTES]
Exits 1 with the failed checks listed."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fallback-runtimes"))
from events_check import (basic_calls, caps_summaries, check, eq, main, of_type, one,  # noqa: E402
                          outside_spans, spans, stress, threads, uncaught, var)


def check_basic(evs):
    # (a block of each in total: its loop counted per call)
    basic, exc = basic_calls(
        evs, {"basic": "App#basic", "total": "App#total", "load": "App#load", "div": "App.div",
              "values": "App#values", "add": "App.add"},
        loop_sites=(84, 88), branch_site=75,
        load_exception={"type": "KeyError", "message": "no such key: missing:7"},
        div_exception={"type": "ZeroDivisionError", "message": "divided by 0"}, exception_lines=(139, 144))
    # an overridden message is not called; NoMethodError on a user object
    # (its message would run the receiver's inspect before Ruby 3.3), on nil;
    # an anonymous class by its named superclass
    eq([(e["line"], e["exception"]) for e in exc[2:]],
       [(114, {"type": "OwnMessage", "message": None}),
        (119, {"type": "NoMethodError", "message": None}),
        (124, {"type": "NoMethodError", "message": "undefined method `no_such_method' for nil:NilClass"}),
        (129, {"type": "Shop::OutOfStock", "message": "anonymous"})], "exceptions of the program's classes")
    # redaction
    eq([v["value"] for v in of_type(evs, "var", name="api_key")], ["[REDACTED]", "[REDACTED]"], "api_key")
    eq(var(evs, "auth_header"), "[REDACTED]", "auth_header")
    # values
    vals = one(evs, "App#values")
    eq(vals.get("args"), {"loud": "#<Loud>", "str": "#<LoudString>"}, "values args (a String subclass)")
    eq(var(evs, "loud"), "#<Loud>", "a user object")
    eq(var(evs, "mixed"), '[1, "two\\n\\"q\\"", :sym, 2.5, nil, true, #<Loud>, 1..3, (3/1), #<Ghost>]',
       "an array of mixed values")
    eq(var(evs, "h"), '{"user"=>"ann", "session_id"=>[REDACTED], :api_key=>[REDACTED], :nested=>[1, 2]}',
       "a hash (String and Symbol keys redacted)")
    eq(var(evs, "by_loud"), '{#<Loud>=>"v"}', "a hash with a user key")
    big = var(evs, "big") or ""
    eq(len(big), 200, "a long string is cut at 200")
    check(big.startswith('"xxx') and big.endswith("xxx..."), "cut string %r" % big[-10:])
    longs = var(evs, "longs") or ""
    check(len(longs) == 200 and longs.startswith("[0, 0") and longs.endswith("..."), "a long array is cut")
    eq(var(evs, "pi"), "3.25", "float")
    eq(var(evs, "unicode"), '"h\u00e9\u20ac\U0001F600"', "non-ASCII string")
    eq(var(evs, "cls"), "String", "a class")
    eq(var(evs, "deep"), "[[[[[[[...]]]]]]]", "nesting cut at 6 levels")
    eq(var(evs, "huge"), "<Integer with 4001 bits>", "a huge integer")
    eq(var(evs, "ghost"), "#<Ghost>", "a BasicObject (method_missing not run)")
    eq(var(evs, "loud_hash"), "#<LoudHash>", "a Hash subclass")
    eq(var(evs, "point"), "#<Point>", "a Struct")
    eq(var(evs, "anon"), "#<Shop::OutOfStock>", "an object of an anonymous class")
    eq(var(evs, "binary"), '"\\xFF\\x00a"', "a binary string")
    outside_spans(evs, basic, "outside_var", 298)


def check_caps(evs):
    caps_summaries(
        evs, "App.hot", "App.add", "ArgumentError",
        {"vars": 153, "loops": 160, "branches": 172, "exceptions": 184, "suppressed": 166, "arm": 167, "loop": 165},
        {"TypeError": 67, "IndexError": 33}, "App.in_span", "app/app.rb")


def check_threads(evs):
    threads(evs, [212, 215])


def check_fibers(evs):
    f = one(evs, "App.fibers")
    gen = one(evs, "App.gen")
    con = one(evs, "App.consume")
    eq(gen.get("parent_id"), f.get("span_id"), "gen's parent")
    eq(con.get("parent_id"), f.get("span_id"), "consume's parent")
    adds = spans(evs, "App.add")
    eq([(a["args"]["a"], a["args"]["b"]) for a in adds],
       [("0", "100"), ("100", "1"), ("1", "100"), ("1", "2"), ("5", "6"), ("3", "4")], "App.add calls")
    # the enumerator's body runs in a fiber resumed by consume: its spans
    # have consume's span as parent; consume's own call too
    eq([a["parent_id"] for a in adds[:3]], [con.get("span_id")] * 3, "spans in the enumerator's fiber")
    eq(of_type(evs, "loop", site=222)[0]["span_id"] if of_type(evs, "loop", site=222) else None,
       con.get("span_id"), "the enumerator's loop counted in consume's span")
    # a Fiber created in fibers: its spans are fibers' children, and fibers'
    # own call between the two resumes too
    eq([a["parent_id"] for a in adds[3:]], [f.get("span_id")] * 3, "spans in a Fiber")
    eq(var(evs, "x"), "3", "var in a Fiber")
    check(len({e["tid"] for e in evs if "tid" in e}) == 1, "one tid for the fibers of a thread")


def check_forms(evs):
    names = {s["name"] for s in spans(evs)}
    for n in ["Shapes#initialize", "Shapes.make", "Shapes#greet", "Shapes.plain", "Shapes#first_over",
              "Shapes#check", "Shapes#parse", "Shapes#fetch", "Shapes#flaky", "Shapes#each_square", "Shapes#kind",
              "Shapes#last_assign", "Shapes#each_twice", "Shapes#swallow", "Shapes#to_s", "Shapes#method_missing",
              "Shapes#respond_to_missing?", "Object#deep"]:
        check(n in names, "a span of " + n)
    g = spans(evs, "Shapes#greet")
    eq([s["args"] for s in g[:2]],
       [{"greeting": '"hello"', "who": '"world"', "rest": "[]", "loud": "false", "opts": "{}", "blk": "nil"},
        {"greeting": '"hey"', "who": '"you"', "rest": '["me", "them"]', "loud": "true", "opts": "{:bangs=>3}",
         "blk": "#<Proc>"}], "default, splat, keyword, double splat and block arguments")
    st = lambda n: [(s["status"], s["exception"]) for s in spans(evs, n)]
    eq(st("Shapes#check"), [("ok", None), ("error", {"type": "ArgumentError", "message": "negative: -1"}),
                            ("error", {"type": "RangeError", "message": "too big: 7"})], "check: raising")
    eq(st("Shapes#parse"), [("ok", None), ("ok", None),
                            ("error", {"type": "TypeError", "message": "not a number: boom"})],
       "parse: the def's own rescue/else/ensure (a failing handler)")
    eq(st("Shapes#fetch"), [("ok", None), ("ok", None), ("error", {"type": "IndexError", "message": "no bad"})],
       "fetch: the def's own rescue")
    eq(st("Shapes#swallow"), [("ok", None)], "return in ensure swallows: ok")
    eq([s["status"] for s in spans(evs, "Shapes#each_twice")], ["ok", "ok"], "break and throw through: ok")
    eq([s["exception"] for s in spans(evs, "Shapes#method_missing")],
       [None, {"type": "NoMethodError", "message": None}], "super in method_missing (a user receiver)")
    deep = spans(evs, "Object#deep")
    eq([s["args"]["n"] for s in deep], ["0", "1", "2", "3", "0", "1", "2"], "recursion, inner spans first")
    check(all(deep[i]["parent_id"] == deep[i + 1]["span_id"] for i in (0, 1, 2, 4, 5)), "recursion parents")
    eq([s["status"] for s in deep], ["error"] * 7, "an exception through every frame (uncaught at the end)")
    eq([(l["site"], l["kind"], l["iterations"]) for l in of_type(evs, "loop") if l["site"] in (50, 54)],
       [(50, "while", 2), (50, "while", 2), (54, "for", 2), (50, "while", 1), (54, "for", 1)],
       "loops left by return")
    eq([l["iterations"] for l in of_type(evs, "loop", site=110)], [3, 4], "a for loop with yield (and to_enum)")
    eq([(b["site"], b["arm"]) for b in of_type(evs, "branch") if b["site"] in (117, 122)],
       [(117, 0), (117, 1), (117, 2), (122, 0), (117, 2), (122, 1), (117, 2), (122, 2)], "case/when, case/in")
    eq([v["value"] for v in of_type(evs, "var", name="r")], ['"int"', '"str"', '"pair 1 2"', '"named n"', '"other"'],
       "var after a multi-line case")
    eq(var(evs, "total"), "15", "an assignment that ends the method")
    eq([e["exception"]["message"] for e in of_type(evs, "exception", line=100)], ["try 1", "try 2"], "retry")


def check_odd(evs):
    sp = spans(evs)
    eq([(s["name"], s["file"], s["line"], s["args"]) for s in sp],
       [("nil", "nil", -5, {"a": "1", "arg1": '"odd"'})], "a span with nil file and name, odd pairs")
    eq([s["status"] for s in sp], ["ok"], "it ended ok")
    eq([(e["type"], e["file"], e["line"]) for e in evs if e["type"] != "span"],
       [("var", "nil", 1), ("var", "app/app.rb", -1), ("branch", "nil", 2), ("exception", "app/app.rb", 4),
        ("exception", "nil", 1 << 30), ("loop", "nil", -2**31), ("loop", "app/app.rb", 3)],
       "events with odd arguments")
    eq([e["exception"] for e in of_type(evs, "exception")],
       [{"type": "NilClass", "message": None}, {"type": "Ghost", "message": None}], "x(F, L, nil), a BasicObject")


check_stress = stress


def check_fork(evs):
    f = one(evs, "App.forking")
    pids = sorted({e["pid"] for e in evs})
    eq(len(pids), 3, "the parent and two children")
    parent = f.get("pid")
    workers = spans(evs, "App.worker")
    eq(sorted(w["args"]["n"] for w in workers), ["7", "8"], "a worker in each child (exit! too: written at its end)")
    for w in workers:
        check(w["pid"] != parent, "the worker ran in a child")
        eq(w["parent_id"], f.get("span_id"), "a child's span has the span open at the fork as parent")
        eq(w["trace_id"], f.get("trace_id"), "and its trace")
        check(w["span_id"][:8] != f.get("span_id", "")[:8], "the child's span ids start afresh")
    adds = spans(evs, "App.add")
    eq(sorted((a["args"]["a"], a["pid"] == parent) for a in adds),
       [("1", True), ("2", False), ("3", True)] + [("7", False)] * 5 + [("8", False)] * 5, "App.add spans")
    eq(len({s["span_id"] for s in spans(evs)}), len(spans(evs)), "no span written twice")
    first = [e for e in evs if e["type"] == "span" and e["name"] == "App.add" and e["args"]["a"] == "1"]
    two = [e for e in evs if e["type"] == "span" and e["name"] == "App.add" and e["args"]["a"] == "2"]
    check(first and two and evs.index(first[0]) < evs.index(two[0]), "the parent's buffer written before the fork")


def check_fail(evs):
    uncaught(evs, "App.div", {"type": "ZeroDivisionError", "message": "divided by 0"})


def check_exit(evs):
    eq([s["name"] for s in spans(evs)], ["App.add", "App.exit_with"], "exit: the spans end, written at exit")
    e = one(evs, "App.exit_with")
    eq((e.get("status"), e.get("exception")), ("error", {"type": "SystemExit", "message": "exit"}),
       "exit raises SystemExit through the span")
    eq(var(evs, "sum"), "3", "its var")


if __name__ == "__main__":
    main("ruby", globals(), "App#basic")
