"""The part of the event checkers of the Java, Ruby and PHP runtimes' tests
(tests/java/check.py, tests/ruby/check.py, tests/php/check.py) that is the
same for the three: loading a trace file, the shape of every event (keys in
order, ids, lang), the helpers the checks are written with, the checks of
the scenarios the three test programs share (with their names, lines and
exception types passed in), and the command line. Each language's check.py
imports it (from its own folder's ../fallback-runtimes) and holds what is its
own: the value notations and the expectations of each scenario."""
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


def shape(evs, lang, tid=None):
    """Keys in order, ids well formed, lang everywhere (and tid, if given,
    wherever there is one)."""
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
        eq(e.get("lang"), lang, "lang")
        if tid is not None and "tid" in e:
            eq(e["tid"], tid, "tid")


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


def basic_calls(evs, names, loop_sites, branch_site, load_exception, div_exception, exception_lines):
    """The calls of the basic scenario, the same in the three programs: basic
    calls total (which calls add twice, with a for and a while loop), load
    twice (the second fails), div (fails) and values. names maps basic,
    total, load, div, values and add to the span names. Returns the basic
    span and the exception events."""
    root = names["basic"]
    basic = one(evs, root)
    eq(basic.get("parent_id"), None, root + " is a root")
    check(basic.get("trace_id", "")[16:] == basic.get("span_id"), "a root's trace id ends with its span id")
    sid = basic.get("span_id")
    total = one(evs, names["total"])
    for s in [total] + spans(evs, names["load"]) + spans(evs, names["div"]) + spans(evs, names["values"]):
        eq(s.get("parent_id"), sid, s.get("name") + " parent is " + root)
        eq(s.get("trace_id"), basic.get("trace_id"), s.get("name") + " trace")
    adds = spans(evs, names["add"])
    eq(len(adds), 2, names["add"] + " spans")
    for a in adds:
        eq(a["parent_id"], total.get("span_id"), "%s parent is %s" % (names["add"], names["total"]))
        eq(a["args"], {"a": "10", "b": "1"}, names["add"] + " args")
    eq(total.get("args"), {"xs": "[1, 2, 3, 4]"}, names["total"] + " args")
    # children end first: their lines come before their parent's
    order = [e.get("span_id") if e["type"] == "span" else None for e in evs]
    check(order.index(total["span_id"]) > max(order.index(a["span_id"]) for a in adds), "children written first")
    # loops counted per span, before the span's line
    loops = of_type(evs, "loop", span_id=total.get("span_id"))
    eq([(l["site"], l["kind"], l["iterations"], l["target"], l["last"]) for l in loops],
       [(loop_sites[0], "for", 4, None, None), (loop_sites[1], "while", 3, None, None)], names["total"] + " loops")
    check(all(evs.index(l) < evs.index(total) for l in loops), "loop events before their span")
    eq([v["value"] for v in of_type(evs, "var", name="t")], ["1", "3", "6", "10"], "var t")
    # a failing method: status error with its exception
    ok, bad = sorted(spans(evs, names["load"]), key=lambda s: s["status"] != "ok")
    eq(ok["status"], "ok", "load(cart)")
    eq(ok["args"], {"key": '"cart"', "password": "[REDACTED]"}, "load args (password redacted)")
    eq(bad["status"], "error", "load(missing)")
    eq(bad["exception"], load_exception, "load exception")
    div = one(evs, names["div"])
    eq(div.get("exception"), div_exception, "div exception")
    # branches
    eq([(b["span_id"], b["site"], b["arm"]) for b in of_type(evs, "branch")],
       [(ok["span_id"], branch_site, 1), (bad["span_id"], branch_site, 0)], "branches")
    # caught exceptions
    exc = of_type(evs, "exception")
    eq([(e["line"], e["span_id"], e["exception"]) for e in exc[:2]],
       [(exception_lines[0], sid, load_exception), (exception_lines[1], sid, div_exception)], "exception events")
    return basic, exc


def outside_spans(evs, basic, var_name, loop_site):
    """The end of the basic scenario: outside any span, ids null, the loop
    written at exit."""
    ov = of_type(evs, "var", name=var_name)
    check(ov and ov[0]["trace_id"] is None and ov[0]["value"] == "42", "var outside spans")
    ol = of_type(evs, "loop", site=loop_site)
    eq([(l["span_id"], l["iterations"]) for l in ol], [(None, 7)], "loop outside spans")
    check(ol and evs.index(ol[0]) > evs.index(basic), "loops outside spans written at exit")


def caps_summaries(evs, hot_name, add_name, hot_exception, lines, exception_types, in_span, file,
                   arms="branch arms"):
    """The caps scenario: hot called 1500 times (3 failing over the cap, add
    under every 100th), the per-site caps of a var, a loop, a branch and
    exceptions, and in_span's per-span cap. lines: the lines or sites of
    vars, loops, branches, exceptions (the summaries), suppressed, arm and
    loop (in in_span). Returns the hot spans, the calls summary (or None)
    and the add spans under omitted hot calls."""
    hot = spans(evs, hot_name)
    eq(len(hot), 1003, hot_name + " spans written (1000 + 3 failing)")
    failing = [s for s in hot if s["status"] == "error"]
    eq([s["args"] for s in failing], [{"i": "1299"}, {"i": "1399"}, {"i": "1499"}], "failing calls over the cap")
    check(all(s["exception"]["type"] == hot_exception for s in failing), "their exception")
    calls = of_type(evs, "calls", name=hot_name)
    c, late = None, []
    if eq(len(calls), 1, "calls summary"):
        c = calls[0]
        eq((c["recorded"], c["omitted"], c["omitted_failed"], c["omitted_exceptions"]), (1003, 497, 0, {}),
           "calls figures")
        eq(len(c["slowest"]), 5, "slowest")
        ds = [s["duration_ns"] for s in c["slowest"]]
        eq(ds, sorted(ds, reverse=True), "slowest first")
        check(c["omitted_max_duration_ns"] == ds[0] and c["omitted_duration_ns"] >= sum(ds), "durations")
        check(all(int(s["args"]["i"]) >= 1000 for s in c["slowest"]), "slowest args")
        # spans inside an omitted call name it as parent
        adds = spans(evs, add_name)
        eq(len(adds), 12, "%s spans inside %s (i = 99, 199, ... 1199)" % (add_name, hot_name))
        hot_ids = {s["span_id"] for s in hot}
        late = [a for a in adds if a["parent_id"] not in hot_ids]
        eq(len(late), 2, "%s spans under omitted %s calls (i = 1099, 1199)" % (add_name, hot_name))
        check(all(HEX16.match(a["parent_id"]) for a in late), "their parent ids")
    vs = of_type(evs, "vars", name="i")
    eq([(v["line"], v["recorded"], v["omitted"], v["last"]) for v in vs], [(lines["vars"], 200, 800, "999")],
       "vars summary")
    eq(len(of_type(evs, "var", name="i")), 200, "var events written")
    ls = of_type(evs, "loops", site=lines["loops"])
    eq([(l["recorded"], l["omitted"], l["omitted_iterations"], l["omitted_max_iterations"]) for l in ls],
       [(200, 800, 1600, 2)], "loops summary")
    bs = of_type(evs, "branches", site=lines["branches"])
    eq([(b["arm"], b["recorded"], b["omitted"]) for b in bs], [(0, 200, 100)], "branches summary")
    es = of_type(evs, "exceptions", line=lines["exceptions"])
    eq([(e["recorded"], e["omitted"], e["omitted_types"]) for e in es],
       [(200, 100, exception_types)], "exceptions summary")
    ins = one(evs, in_span)
    eq(ins.get("suppressed"), [{"type": "var", "file": file, "line": lines["suppressed"], "name": "k", "count": 4}],
       "suppressed (per-span cap 16)")
    eq(len(of_type(evs, "var", name="k")), 16, "var k events in the span")
    eq(len(of_type(evs, "branch", site=lines["arm"])), 20, arms + " (10 each, under 16)")
    eq([l["iterations"] for l in of_type(evs, "loop", site=lines["loop"])], [20], "loop in " + in_span)
    return hot, c, late


def threads(evs, main_loop_sites):
    """The threads scenario (Java, Ruby): App.threads starts 4 App.worker
    threads, each calling App.add 5 times in a loop."""
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
    eq(sorted(l["site"] for l in of_type(evs, "loop", span_id=main.get("span_id"))), main_loop_sites,
       "main's loops")
    eq(len(spans(evs)), 4 * 6 + 1, "all spans")


def stress(evs):
    """The stress scenario (Java, Ruby): 8 threads calling App.add."""
    adds = spans(evs, "App.add")
    eq(len(adds), 1000, "App.add spans: exactly max_spans_per_function")
    eq(len({a["tid"] for a in adds}) > 1, True, "from several threads")
    eq(len(of_type(evs, "var", name="sum")), 200, "var events: exactly max_events_per_site_per_process")
    c = of_type(evs, "calls", name="App.add")
    eq([(x["recorded"], x["omitted"]) for x in c], [(1000, 15000)], "calls summary")
    v = of_type(evs, "vars", name="sum")
    eq([(x["recorded"], x["omitted"]) for x in v], [(200, 800)], "vars summary")
    eq(len({a["span_id"] for a in adds}), 1000, "span ids unique")


def uncaught(evs, name, exception):
    """The fail scenario: an uncaught exception through the span of name."""
    d = one(evs, name)
    eq((d.get("status"), d.get("exception")), ("error", exception),
       "an uncaught exception: the span is written at exit")


def check_flood(evs, limit):
    tr = of_type(evs, "truncated")
    if eq(len(tr), 1, "one truncated event"):
        eq(tr[0]["limit_bytes"], limit, "limit_bytes")
        eq(evs[-1]["type"], "truncated", "nothing written after it")
        check(len(spans(evs)) > 10, "spans before the limit")


def check_two(evs, basic_name):
    pids = {e["pid"] for e in evs}
    eq(len(pids), 2, "two processes in one file")
    for p in pids:
        eq(len([e for e in evs if e["pid"] == p and e["type"] == "span" and e["name"] == basic_name]), 1,
           basic_name + " of each process")


def main(lang, checks, basic_name, tid=None):
    """Usage: check.py SCENARIO TRACE [LIMIT_BYTES]: the events of TRACE in
    the shape of lang's, then checks["check_" + SCENARIO] (flood and two are
    here; basic_name is the name of the basic scenario's root span). Exits 1
    with the failed checks listed."""
    scenario, path = sys.argv[1], sys.argv[2]
    evs = load(path)
    shape(evs, lang, tid)
    if scenario == "flood":
        check_flood(evs, int(sys.argv[3]))
    elif scenario == "two":
        check_two(evs, basic_name)
    else:
        checks["check_" + scenario](evs)
    if failures:
        print("%s: %d failed checks" % (scenario, len(failures)))
        for f in failures[:40]:
            print("  - " + f)
        sys.exit(1)
    print("%s: ok (%d events)" % (scenario, len(evs)))
