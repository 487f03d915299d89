#!/usr/bin/env python3
"""Checks the events the Ruby runtime wrote for one scenario of
tests/ruby/app/app.rb (or forms/forms.rb).

Usage: check.py SCENARIO TRACE [LIMIT_BYTES]
Exits 1 with the failed checks listed."""
import json
import re
import sys

SPAN_KEYS = ["v", "type", "lang", "trace_id", "span_id", "parent_id", "name", "module", "file", "line",
             "kind", "start_unix_ns", "duration_ns", "args", "return", "status", "exception", "pid", "tid"]
POINT_HEAD = ["v", "type", "lang", "time_unix_ns", "trace_id", "span_id", "file", "line"]
POINT_KEYS = {
    "var": ["name", "value"],
    "branch": ["site", "arm"],
    "loop": ["site", "kind", "iterations", "target", "last"],
    "exception": ["exception"],
}
SUMMARY_KEYS = {
    "calls": ["v", "type", "lang", "time_unix_ns", "name", "module", "file", "line", "kind", "recorded", "omitted",
              "omitted_duration_ns", "omitted_max_duration_ns", "omitted_failed", "omitted_exceptions", "slowest",
              "pid"],
    "vars": ["v", "type", "lang", "time_unix_ns", "file", "line", "name", "recorded", "omitted", "last", "pid"],
    "branches": ["v", "type", "lang", "time_unix_ns", "file", "line", "site", "arm", "recorded", "omitted", "pid"],
    "loops": ["v", "type", "lang", "time_unix_ns", "file", "line", "site", "kind", "recorded", "omitted",
              "omitted_iterations", "omitted_max_iterations", "pid"],
    "exceptions": ["v", "type", "lang", "time_unix_ns", "file", "line", "recorded", "omitted", "omitted_types",
                   "pid"],
    "truncated": ["v", "type", "lang", "time_unix_ns", "limit_bytes", "pid"],
}
HEX32 = re.compile(r"^[0-9a-f]{32}$")
HEX16 = re.compile(r"^[0-9a-f]{16}$")

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
    return cond


def eq(got, want, what):
    return check(got == want, "%s: got %r, want %r" % (what, got, want))


def load(path):
    evs = []
    with open(path, "rb") as f:
        data = f.read()
    check(data.endswith(b"\n") or not data, "the file ends with a whole line")
    for i, raw in enumerate(data.splitlines()):
        check(all(b < 0x80 for b in raw), "line %d is ASCII" % (i + 1))
        try:
            evs.append(json.loads(raw))
        except ValueError as e:
            failures.append("line %d is not JSON (%s): %r" % (i + 1, e, raw[:200]))
    return evs


def shape(evs):
    """Keys in order, ids well formed, lang ruby everywhere."""
    for e in evs:
        t = e.get("type")
        keys = list(e)
        if t == "span":
            want = SPAN_KEYS + (["suppressed"] if "suppressed" in e else [])
            eq(keys, want, "span keys")
            check(HEX32.match(e["trace_id"]), "trace id %r" % e["trace_id"])
            check(HEX16.match(e["span_id"]), "span id %r" % e["span_id"])
            check(e["parent_id"] is None or HEX16.match(e["parent_id"]), "parent id")
            pfx = evs_prefix(evs, e["pid"])
            check(pfx is None or e["trace_id"][:16] == pfx, "trace id prefix is the process's")
            eq(e["kind"], "function", "span kind")
            check(e["module"] is None and e["return"] is None, "module and return are null")
            check(isinstance(e["duration_ns"], int) and e["duration_ns"] >= 0, "duration")
            check(e["start_unix_ns"] > 1_500_000_000 * 10**9, "start_unix_ns is wall clock")
            check(e["status"] in ("ok", "error"), "status")
            check((e["status"] == "error") == (e["exception"] is not None), "exception iff error")
        elif t in POINT_KEYS:
            eq(keys, POINT_HEAD + POINT_KEYS[t] + ["pid", "tid"], t + " keys")
            check((e["trace_id"] is None) == (e["span_id"] is None), "ids both null or both set")
        elif t in SUMMARY_KEYS:
            eq(keys, SUMMARY_KEYS[t], t + " keys")
        else:
            failures.append("unknown event type %r" % t)
        eq(e.get("v"), 1, "v")
        eq(e.get("lang"), "ruby", "lang")


_prefix = {}


def evs_prefix(evs, pid):
    if pid not in _prefix:
        roots = [e for e in evs if e["type"] == "span" and e["pid"] == pid and e["parent_id"] is None]
        _prefix[pid] = roots[0]["trace_id"][:16] if roots else None
    return _prefix[pid]


def spans(evs, name=None):
    return [e for e in evs if e["type"] == "span" and (name is None or e["name"] == name)]


def one(evs, name):
    s = spans(evs, name)
    eq(len(s), 1, "spans of " + name)
    return s[0] if s else {}


def of_type(evs, t, **kw):
    return [e for e in evs if e["type"] == t and all(e.get(k) == v for k, v in kw.items())]


def var(evs, name):
    v = of_type(evs, "var", name=name)
    eq(len(v), 1, "var events of " + name)
    return v[0]["value"] if v else None


def check_basic(evs):
    basic = one(evs, "App#basic")
    eq(basic.get("parent_id"), None, "App#basic is a root")
    check(basic.get("trace_id", "")[16:] == basic.get("span_id"), "a root's trace id ends with its span id")
    sid = basic.get("span_id")
    total = one(evs, "App#total")
    for s in [total] + spans(evs, "App#load") + spans(evs, "App.div") + spans(evs, "App#values"):
        eq(s.get("parent_id"), sid, s.get("name") + " parent is App#basic")
        eq(s.get("trace_id"), basic.get("trace_id"), s.get("name") + " trace")
    adds = spans(evs, "App.add")
    eq(len(adds), 2, "App.add spans")
    for a in adds:
        eq(a["parent_id"], total.get("span_id"), "App.add parent is App#total")
        eq(a["args"], {"a": "10", "b": "1"}, "App.add args")
    eq(total.get("args"), {"xs": "[1, 2, 3, 4]"}, "App#total args")
    # children end first: their lines come before their parent's
    order = [e.get("span_id") if e["type"] == "span" else None for e in evs]
    check(order.index(total["span_id"]) > max(order.index(a["span_id"]) for a in adds), "children written first")
    # loops counted per span (a block of each: per call), before the span's line
    loops = of_type(evs, "loop", span_id=total.get("span_id"))
    eq([(l["site"], l["kind"], l["iterations"], l["target"], l["last"]) for l in loops],
       [(84, "for", 4, None, None), (88, "while", 3, None, None)], "App#total loops")
    check(all(evs.index(l) < evs.index(total) for l in loops), "loop events before their span")
    eq([v["value"] for v in of_type(evs, "var", name="t")], ["1", "3", "6", "10"], "var t")
    # a failing method: status error with its exception
    ok, bad = sorted(spans(evs, "App#load"), key=lambda s: s["status"] != "ok")
    eq(ok["status"], "ok", "load(cart)")
    eq(ok["args"], {"key": '"cart"', "password": "[REDACTED]"}, "load args (password redacted)")
    eq(bad["status"], "error", "load(missing)")
    eq(bad["exception"], {"type": "KeyError", "message": "no such key: missing:7"}, "load exception")
    div = one(evs, "App.div")
    eq(div.get("exception"), {"type": "ZeroDivisionError", "message": "divided by 0"}, "div exception")
    # branches
    eq([(b["span_id"], b["site"], b["arm"]) for b in of_type(evs, "branch")],
       [(ok["span_id"], 75, 1), (bad["span_id"], 75, 0)], "branches")
    # rescued exceptions
    exc = of_type(evs, "exception")
    eq([(e["line"], e["span_id"], e["exception"]) for e in exc[:2]],
       [(139, sid, {"type": "KeyError", "message": "no such key: missing:7"}),
        (144, sid, {"type": "ZeroDivisionError", "message": "divided by 0"})], "exception events")
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
    # outside any span: ids null, the loop written at exit
    ov = of_type(evs, "var", name="outside_var")
    check(ov and ov[0]["trace_id"] is None and ov[0]["value"] == "42", "var outside spans")
    ol = of_type(evs, "loop", site=298)
    eq([(l["span_id"], l["iterations"]) for l in ol], [(None, 7)], "loop outside spans")
    check(ol and evs.index(ol[0]) > evs.index(basic), "loops outside spans written at exit")


def check_caps(evs):
    hot = spans(evs, "App.hot")
    eq(len(hot), 1003, "App.hot spans written (1000 + 3 failing)")
    failing = [s for s in hot if s["status"] == "error"]
    eq([s["args"] for s in failing], [{"i": "1299"}, {"i": "1399"}, {"i": "1499"}], "failing calls over the cap")
    check(all(s["exception"]["type"] == "ArgumentError" for s in failing), "their exception")
    calls = of_type(evs, "calls", name="App.hot")
    if eq(len(calls), 1, "calls summary"):
        c = calls[0]
        eq((c["recorded"], c["omitted"], c["omitted_failed"], c["omitted_exceptions"]), (1003, 497, 0, {}),
           "calls figures")
        eq(len(c["slowest"]), 5, "slowest")
        ds = [s["duration_ns"] for s in c["slowest"]]
        eq(ds, sorted(ds, reverse=True), "slowest first")
        check(c["omitted_max_duration_ns"] == ds[0] and c["omitted_duration_ns"] >= sum(ds), "durations")
        check(all(int(s["args"]["i"]) >= 1000 for s in c["slowest"]), "slowest args")
        adds = spans(evs, "App.add")
        eq(len(adds), 12, "App.add spans inside App.hot (i = 99, 199, ... 1199)")
        hot_ids = {s["span_id"] for s in hot}
        late = [a for a in adds if a["parent_id"] not in hot_ids]
        eq(len(late), 2, "App.add spans under omitted App.hot calls (i = 1099, 1199)")
        check(all(HEX16.match(a["parent_id"]) for a in late), "their parent ids")
    vs = of_type(evs, "vars", name="i")
    eq([(v["line"], v["recorded"], v["omitted"], v["last"]) for v in vs], [(153, 200, 800, "999")], "vars summary")
    eq(len(of_type(evs, "var", name="i")), 200, "var events written")
    ls = of_type(evs, "loops", site=160)
    eq([(l["recorded"], l["omitted"], l["omitted_iterations"], l["omitted_max_iterations"]) for l in ls],
       [(200, 800, 1600, 2)], "loops summary")
    bs = of_type(evs, "branches", site=172)
    eq([(b["arm"], b["recorded"], b["omitted"]) for b in bs], [(0, 200, 100)], "branches summary")
    es = of_type(evs, "exceptions", line=184)
    eq([(e["recorded"], e["omitted"], e["omitted_types"]) for e in es],
       [(200, 100, {"TypeError": 67, "IndexError": 33})], "exceptions summary")
    ins = one(evs, "App.in_span")
    eq(ins.get("suppressed"), [{"type": "var", "file": "app/app.rb", "line": 166, "name": "k", "count": 4}],
       "suppressed (per-span cap 16)")
    eq(len(of_type(evs, "var", name="k")), 16, "var k events in the span")
    eq(len(of_type(evs, "branch", site=167)), 20, "branch arms (10 each, under 16)")
    eq([l["iterations"] for l in of_type(evs, "loop", site=165)], [20], "loop in in_span")


def check_threads(evs):
    main = one(evs, "App.threads")
    workers = spans(evs, "App.worker")
    eq(len(workers), 4, "worker spans")
    tids = {w["tid"] for w in workers}
    eq(len(tids), 4, "each thread its own tid")
    check(main.get("tid") not in tids, "workers' tids differ from main's")
    for w in workers:
        eq(w["parent_id"], None, "a thread starts with no current span")
        check(w["trace_id"] != main.get("trace_id"), "a thread's first span starts a trace")
        adds = [a for a in spans(evs, "App.add") if a["parent_id"] == w["span_id"]]
        eq(len(adds), 5, "add spans of a worker")
        check(all(a["tid"] == w["tid"] and a["trace_id"] == w["trace_id"] for a in adds), "same thread and trace")
        lp = of_type(evs, "loop", span_id=w["span_id"])
        eq([(l["iterations"], l["tid"]) for l in lp], [(5, w["tid"])], "a worker's loop")
    eq(sorted(l["site"] for l in of_type(evs, "loop", span_id=main.get("span_id"))), [212, 215], "main's loops")
    eq(len(spans(evs)), 4 * 6 + 1, "all spans")


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


def check_stress(evs):
    adds = spans(evs, "App.add")
    eq(len(adds), 1000, "App.add spans: exactly max_spans_per_function")
    eq(len({a["tid"] for a in adds}) > 1, True, "from several threads")
    eq(len(of_type(evs, "var", name="sum")), 200, "var events: exactly max_events_per_site_per_process")
    c = of_type(evs, "calls", name="App.add")
    eq([(x["recorded"], x["omitted"]) for x in c], [(1000, 15000)], "calls summary")
    v = of_type(evs, "vars", name="sum")
    eq([(x["recorded"], x["omitted"]) for x in v], [(200, 800)], "vars summary")
    eq(len({a["span_id"] for a in adds}), 1000, "span ids unique")


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
    d = one(evs, "App.div")
    eq((d.get("status"), d.get("exception")), ("error", {"type": "ZeroDivisionError", "message": "divided by 0"}),
       "an uncaught exception: the span is written at exit")


def check_exit(evs):
    eq([s["name"] for s in spans(evs)], ["App.add", "App.exit_with"], "exit: the spans end, written at exit")
    e = one(evs, "App.exit_with")
    eq((e.get("status"), e.get("exception")), ("error", {"type": "SystemExit", "message": "exit"}),
       "exit raises SystemExit through the span")
    eq(var(evs, "sum"), "3", "its var")


def check_flood(evs, limit):
    tr = of_type(evs, "truncated")
    if eq(len(tr), 1, "one truncated event"):
        eq(tr[0]["limit_bytes"], limit, "limit_bytes")
        eq(evs[-1]["type"], "truncated", "nothing written after it")
        check(len(spans(evs)) > 10, "spans before the limit")


def check_two(evs):
    pids = {e["pid"] for e in evs}
    eq(len(pids), 2, "two processes in one file")
    for p in pids:
        eq(len([e for e in evs if e["pid"] == p and e["type"] == "span" and e["name"] == "App#basic"]), 1,
           "App#basic of each process")


def main():
    scenario, path = sys.argv[1], sys.argv[2]
    evs = load(path)
    shape(evs)
    if scenario == "flood":
        check_flood(evs, int(sys.argv[3]))
    elif scenario == "two":
        check_two(evs)
    else:
        globals()["check_" + scenario](evs)
    if failures:
        print("%s: %d failed checks" % (scenario, len(failures)))
        for f in failures[:40]:
            print("  - " + f)
        sys.exit(1)
    print("%s: ok (%d events)" % (scenario, len(evs)))


if __name__ == "__main__":
    main()
