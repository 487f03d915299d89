"""A small instrumented package (written as ctinject writes one: the runtime
beside it, the Module import on the first line), and runs of programs that
use it, for the live export and bridge tests."""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
RUNTIME_DIR = os.path.join(ROOT, "src", "runtime", "python")

IMPORT_LINE = ('_ct = (__import__("importlib").import_module("._ctinject", __package__ or'
               ' __spec__.parent) if __package__ or __spec__ and __spec__.parent else'
               ' __import__("_ctinject")).Module("app/mod.py")\n')

# Instrumented by hand as ctinject instruments (docs/runtime-python-contract.md);
# line numbers are those of this text, from the import line (1).
MODULE = '''
@_ct.fn(3)
def leaf(n):
    total = _ct.vw(5, "total", n * 2)
    if _ct.br(6, 0, total > 3):
        return total
    return -1


@_ct.fn(11)
def boom(x, password="hunter2"):
    try:
        raise KeyError(x)
    except _ct.exm(14, KeyError):
        pass
    raise ValueError("bad %s" % x)


@_ct.fn(19)
def work(n):
    out = []
    for i in _ct.loop(22, "i", range(n)):
        out.append(leaf(i))
    try:
        boom("q")
    except ValueError:
        pass
    return sum(out)


@_ct.fn(30)
def gen(n):
    for i in _ct.loop(32, "i", range(n)):
        yield i


@_ct.fn(36)
def call(f, *args):
    return f(*args)


@_ct.fn(41)
def gen_calls(n):
    for i in range(n):
        yield leaf(i)


@_ct.fn(47)
async def co_calls(n):
    return leaf(n)
'''


class Package(object):
    """A temporary folder with the package `app` and its runtime."""

    def __init__(self, config=None):
        self.dir = tempfile.mkdtemp(prefix="ctinject-otlp-app-")
        pkg = os.path.join(self.dir, "app")
        os.makedirs(pkg)
        open(os.path.join(pkg, "__init__.py"), "w").close()
        with open(os.path.join(RUNTIME_DIR, "_ctinject_runtime.py"), encoding="utf-8") as f:
            runtime = f.read()
        if config is not None:
            line = '_CONFIG_JSON = "{}"'
            runtime = runtime.replace(line, "_CONFIG_JSON = " + json.dumps(json.dumps(config)), 1)
        with open(os.path.join(pkg, "_ctinject_runtime.py.txt"), "w", encoding="utf-8") as f:
            f.write(runtime)
        shutil.copy(os.path.join(RUNTIME_DIR, "_ctinject.py"), pkg)
        with open(os.path.join(pkg, "mod.py"), "w") as f:
            f.write(IMPORT_LINE + MODULE.lstrip("\n"))
        self.trace = os.path.join(self.dir, "trace.jsonl")

    def run(self, script, env=None, trace=True, timeout=120, python=None):
        """(exit code, stdout, stderr) of `python -W error -c script` in the
        package's folder, with the environment cleaned of ctinject's and
        OpenTelemetry's variables, then `env` added. The python is this one,
        or CTINJECT_OTLP_PROGRAM_PYTHON's for programs that need no package
        (the export tests on each CPython)."""
        e = {k: v for k, v in os.environ.items()
             if not k.startswith(("CTINJECT_", "OTEL_"))}
        if trace:
            e["CTINJECT_TRACE_FILE"] = self.trace
        e.update(env or {})
        if os.path.exists(self.trace):
            os.remove(self.trace)
        python = python or os.environ.get("CTINJECT_OTLP_PROGRAM_PYTHON") or sys.executable
        p = subprocess.run([python, "-W", "error", "-c", textwrap.dedent(script)],
                           cwd=self.dir, env=e, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           universal_newlines=True, timeout=timeout)
        return p.returncode, p.stdout, p.stderr

    def events(self):
        if not os.path.exists(self.trace):
            return []
        with open(self.trace, encoding="ascii") as f:
            return [json.loads(line) for line in f if line.strip()]

    def cleanup(self):
        shutil.rmtree(self.dir, True)


def expected_attributes(span):
    """docs/events.md, "Mapping to OpenTelemetry", written out again."""
    a = {"code.function": span["name"]}
    if span["module"] is not None:
        a["code.namespace"] = span["module"]
    a.update({"code.filepath": span["file"], "code.lineno": span["line"],
              "thread.id": span["tid"], "ctinject.kind": span["kind"]})
    for k, v in span["args"].items():
        a["ctinject.args." + k] = v
    if span["return"] is not None:
        a["ctinject.return"] = span["return"]
    if "suppressed" in span:
        a["ctinject.suppressed"] = json.dumps(span["suppressed"], separators=(",", ":"))
    return a


def expected_event(e):
    """(name, time, attributes) of a point event."""
    a = {"code.filepath": e["file"], "code.lineno": e["line"]}
    t = e["type"]
    if t == "var":
        a.update({"ctinject.name": e["name"], "ctinject.value": e["value"]})
    elif t == "branch":
        a.update({"ctinject.site": e["site"], "ctinject.arm": e["arm"]})
    elif t == "loop":
        a.update({"ctinject.site": e["site"], "ctinject.kind": e["kind"],
                  "ctinject.iterations": e["iterations"]})
        if e["target"] is not None:
            a["ctinject.target"] = e["target"]
        if e["last"] is not None:
            a["ctinject.last"] = e["last"]
    else:
        a["exception.type"] = e["exception"]["type"]
        if e["exception"]["message"] is not None:
            a["exception.message"] = e["exception"]["message"]
    return (t, e["time_unix_ns"], a)


def expected_events(span, trace):
    evs = [expected_event(e) for e in trace
           if e["type"] in ("var", "branch", "loop", "exception")
           and e["span_id"] == span["span_id"]]
    x = span["exception"]
    if x is not None:
        a = {"exception.type": x["type"]}
        if x["message"] is not None:
            a["exception.message"] = x["message"]
        a["exception.escaped"] = True
        evs.append(("exception", span["start_unix_ns"] + span["duration_ns"], a))
    return evs


def status_message(span):
    x = span["exception"]
    return x["type"] if x["message"] is None else "%s: %s" % (x["type"], x["message"])
