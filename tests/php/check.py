#!/usr/bin/env python3
"""Checks the events the PHP runtime wrote for one scenario of
tests/php/app/app.php (or forms/forms.php).

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
    """Keys in order, ids well formed, lang php everywhere, tid 0."""
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
        eq(e.get("lang"), "php", "lang")
        if "tid" in e:
            eq(e["tid"], 0, "tid")


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
    basic = one(evs, "basic")
    eq(basic.get("parent_id"), None, "basic is a root")
    check(basic.get("trace_id", "")[16:] == basic.get("span_id"), "a root's trace id ends with its span id")
    sid = basic.get("span_id")
    total = one(evs, "total")
    for s in [total] + spans(evs, "load") + spans(evs, "div") + spans(evs, "values"):
        eq(s.get("parent_id"), sid, s.get("name") + " parent is basic")
        eq(s.get("trace_id"), basic.get("trace_id"), s.get("name") + " trace")
    adds = spans(evs, "add")
    eq(len(adds), 2, "add spans")
    for a in adds:
        eq(a["parent_id"], total.get("span_id"), "add parent is total")
        eq(a["args"], {"a": "10", "b": "1"}, "add args")
    eq(total.get("args"), {"xs": "[1, 2, 3, 4]"}, "total args")
    order = [e.get("span_id") if e["type"] == "span" else None for e in evs]
    check(order.index(total["span_id"]) > max(order.index(a["span_id"]) for a in adds), "children written first")
    loops = of_type(evs, "loop", span_id=total.get("span_id"))
    eq([(l["site"], l["kind"], l["iterations"], l["target"], l["last"]) for l in loops],
       [(66, "for", 4, None, None), (70, "while", 3, None, None)], "total loops")
    check(all(evs.index(l) < evs.index(total) for l in loops), "loop events before their span")
    eq([v["value"] for v in of_type(evs, "var", name="t")], ["1", "3", "6", "10"], "var t")
    ok, bad = sorted(spans(evs, "load"), key=lambda s: s["status"] != "ok")
    eq(ok["status"], "ok", "load(cart)")
    eq(ok["args"], {"key": '"cart"', "password": "[REDACTED]"}, "load args (password redacted)")
    eq(bad["status"], "error", "load(missing)")
    eq(bad["exception"], {"type": "RuntimeException", "message": "no such key: missing:7"}, "load exception")
    div = one(evs, "div")
    eq(div.get("exception"), {"type": "DivisionByZeroError", "message": "Division by zero"}, "div exception")
    eq([(b["span_id"], b["site"], b["arm"]) for b in of_type(evs, "branch")],
       [(ok["span_id"], 56, 1), (bad["span_id"], 56, 0)], "branches")
    exc = of_type(evs, "exception")
    eq([(e["line"], e["span_id"], e["exception"]) for e in exc[:2]],
       [(105, sid, {"type": "RuntimeException", "message": "no such key: missing:7"}),
        (112, sid, {"type": "DivisionByZeroError", "message": "Division by zero"})], "exception events")
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
    ov = of_type(evs, "var", name="outsideVar")
    check(ov and ov[0]["trace_id"] is None and ov[0]["value"] == "42", "var outside spans")
    ol = of_type(evs, "loop", site=123)
    eq([(l["span_id"], l["iterations"]) for l in ol], [(None, 7)], "loop outside spans")
    check(ol and evs.index(ol[0]) > evs.index(basic), "loops outside spans written at exit")


def check_caps(evs):
    hot = spans(evs, "hot")
    eq(len(hot), 1003, "hot spans written (1000 + 3 failing)")
    failing = [s for s in hot if s["status"] == "error"]
    eq([s["args"] for s in failing], [{"i": "1299"}, {"i": "1399"}, {"i": "1499"}], "failing calls over the cap")
    check(all(s["exception"]["type"] == "InvalidArgumentException" for s in failing), "their exception")
    calls = of_type(evs, "calls", name="hot")
    if eq(len(calls), 1, "calls summary"):
        c = calls[0]
        eq((c["recorded"], c["omitted"], c["omitted_failed"], c["omitted_exceptions"]), (1003, 497, 0, {}),
           "calls figures")
        eq(len(c["slowest"]), 5, "slowest")
        ds = [s["duration_ns"] for s in c["slowest"]]
        eq(ds, sorted(ds, reverse=True), "slowest first")
        check(c["omitted_max_duration_ns"] == ds[0] and c["omitted_duration_ns"] >= sum(ds), "durations")
        check(all(int(s["args"]["i"]) >= 1000 for s in c["slowest"]), "slowest args")
        adds = spans(evs, "add")
        eq(len(adds), 12, "add spans inside hot (i = 99, 199, ... 1199)")
        hot_ids = {s["span_id"] for s in hot}
        late = [a for a in adds if a["parent_id"] not in hot_ids]
        eq(len(late), 2, "add spans under omitted hot calls (i = 1099, 1199)")
        check(all(HEX16.match(a["parent_id"]) for a in late), "their parent ids")
        check(all(a["trace_id"][:16] == hot[0]["trace_id"][:16] for a in late), "their trace ids")
    vs = of_type(evs, "vars", name="i")
    eq([(v["line"], v["recorded"], v["omitted"], v["last"]) for v in vs], [(130, 200, 800, "999")], "vars summary")
    eq(len(of_type(evs, "var", name="i")), 200, "var events written")
    ls = of_type(evs, "loops", site=137)
    eq([(l["recorded"], l["omitted"], l["omitted_iterations"], l["omitted_max_iterations"]) for l in ls],
       [(200, 800, 1600, 2)], "loops summary")
    bs = of_type(evs, "branches", site=154)
    eq([(b["arm"], b["recorded"], b["omitted"]) for b in bs], [(0, 200, 100)], "branches summary")
    es = of_type(evs, "exceptions", line=168)
    eq([(e["recorded"], e["omitted"], e["omitted_types"]) for e in es],
       [(200, 100, {"UnexpectedValueException": 67, "LogicException": 33})], "exceptions summary")
    ins = one(evs, "inSpan")
    eq(ins.get("suppressed"), [{"type": "var", "file": "app/app.php", "line": 144, "name": "k", "count": 4}],
       "suppressed (per-span cap 16)")
    eq(len(of_type(evs, "var", name="k")), 16, "var k events in the span")
    eq(len(of_type(evs, "branch", site=146)), 20, "switch arms (10 each, under 16)")
    eq([l["iterations"] for l in of_type(evs, "loop", site=143)], [20], "loop in inSpan")
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
    d = one(evs, "div")
    eq((d.get("status"), d.get("exception")), ("error", {"type": "DivisionByZeroError", "message": "Division by zero"}),
       "an uncaught exception: the span is written at exit")


def check_exit(evs):
    eq([s["name"] for s in spans(evs)], ["add"], "exit(): the spans that ended are written")
    eq(var(evs, "sum"), "3", "its var")


def check_fatal(evs):
    eq([s["name"] for s in spans(evs)], ["add"], "out of memory: the spans that ended are written")


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
        eq(len([e for e in evs if e["pid"] == p and e["type"] == "span" and e["name"] == "basic"]), 1,
           "basic of each process")


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
