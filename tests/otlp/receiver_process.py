"""Starts tests/otlp/receiver.py as a child process for a test, and reads
what it logged."""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
RECEIVER = os.path.join(HERE, "receiver.py")


class ReceiverProcess(object):
    """receiver.py with the given options, listening once started; use as a
    context manager (stopped with SIGTERM at the end)."""

    def __init__(self, *options):
        self.dir = tempfile.mkdtemp(prefix="ctinject-otlp-")
        self.port_file = os.path.join(self.dir, "port")
        self.log = os.path.join(self.dir, "requests.jsonl")
        self.options = [str(o) for o in options]
        self.proc = None
        self.port = None

    def __enter__(self):
        self.proc = subprocess.Popen(
            [sys.executable, RECEIVER, "--port-file", self.port_file, "--log", self.log]
            + self.options, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 30
        while not os.path.exists(self.port_file):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                err = self.proc.stderr.read().decode(errors="replace")
                self.stop()
                raise RuntimeError("receiver.py did not start: %s" % err)
            time.sleep(0.02)
        with open(self.port_file) as f:
            self.port = int(f.read())
        return self

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def entries(self):
        if not os.path.exists(self.log):
            return []
        with open(self.log, encoding="utf-8") as f:
            return [json.loads(line) for line in f if line.strip()]

    def wait_for(self, count, timeout=30):
        """The log's entries once there are at least `count` (or at the timeout)."""
        deadline = time.monotonic() + timeout
        while True:
            got = self.entries()
            if len(got) >= count or time.monotonic() > deadline:
                return got
            time.sleep(0.02)

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc is not None:
            self.proc.stderr.close()
        shutil.rmtree(self.dir, True)

    def __exit__(self, *exc):
        self.stop()
        return False


def spans_of(entries):
    """Every span in the logged requests, with its resource's attributes
    (as a plain dict) under "resource" and its scope under "scope"."""
    out = []
    for e in entries:
        req = e.get("request") or {}
        for rs in req.get("resourceSpans", []):
            resource = attributes_dict(rs.get("resource", {}).get("attributes", []))
            for ss in rs.get("scopeSpans", []):
                for sp in ss.get("spans", []):
                    sp = dict(sp)
                    sp["resource"] = resource
                    sp["scope"] = ss.get("scope", {})
                    out.append(sp)
    return out


def any_value(v):
    """A decoded OTLP AnyValue as a Python value (ints from their string form)."""
    if "stringValue" in v:
        return v["stringValue"]
    if "intValue" in v:
        return int(v["intValue"])
    if "boolValue" in v:
        return v["boolValue"]
    if "doubleValue" in v:
        return v["doubleValue"]
    if "arrayValue" in v:
        return [any_value(x) for x in v["arrayValue"].get("values", [])]
    return None


def attributes_dict(attrs):
    return {a["key"]: any_value(a.get("value", {})) for a in attrs}
