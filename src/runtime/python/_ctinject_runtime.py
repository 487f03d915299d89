# _ctinject_runtime.py.txt: the ctinject telemetry runtime for Python. Written by ctinject into instrumented output; do not edit.
_CONFIG_JSON = "{}"  # replaced by ctinject
#
# Instrumented modules bind one name on an existing line:
#
#     _ct = (__import__("importlib").import_module("._ctinject", __package__ or __spec__.parent)
#            if __package__ or __spec__ and __spec__.parent
#            else __import__("sys").modules.get("__ctinject_runtime_v2__") or __import__("_ctinject")).Module("pkg/mod.py")
#
# and call the methods of that object (see docs/runtime-python-contract.md in
# the ctinject repository). Telemetry is on when CTINJECT_TRACE_FILE names a
# file and CTINJECT_DISABLE is not set; events are appended to that file as
# JSON lines (schema: docs/events.md, version "v": 1). An OTLP endpoint
# (CTINJECT_OTLP_ENDPOINT, OTEL_EXPORTER_OTLP_*) turns it on too, and spans
# are exported as they end; a configured OpenTelemetry SDK gets them through
# the bridge (CTINJECT_OTEL; docs/events.md, "Live export and the
# OpenTelemetry bridge"). When telemetry is off,
# every call does the minimum and instrumented code behaves as the original.
#
# Dependency-free; CPython 3.8 to 3.13.

import sys
import os
import json
import time
import types
import itertools
import collections
import _thread
import re
import threading
import contextvars
import functools
import warnings
import atexit
import weakref
import gc

__all__ = ["Module"]

SCHEMA_VERSION = 1
_REGISTRY = "__ctinject_runtime_v2__"

_get_ident = threading.get_ident
_time_ns = time.time_ns
_perf_ns = time.perf_counter_ns
# A span's start on the wall clock: its start on the monotonic clock that
# times it, plus this offset, taken once (one clock read per span less).
_WALL_OFFSET = _time_ns() - _perf_ns()


def _wall_ns():
    """Now on the wall clock, as the spans' times are: from the monotonic
    clock. Never time.time_ns() itself: a test's clock mock (time-machine)
    replaces it, and its clock starts ticking when it is first read, so a
    read by the runtime would change the time the program sees."""
    return _perf_ns() + _WALL_OFFSET

_exc_info = sys.exc_info
_modules = sys.modules
_q = json.encoder.encode_basestring_ascii  # str -> JSON string literal, ASCII only
_FunctionType = types.FunctionType
_GeneratorType = types.GeneratorType
_CoroutineType = types.CoroutineType
_CodeType = types.CodeType

_CO_VARARGS = 0x04
_CO_VARKEYWORDS = 0x08
_CO_GENERATOR = 0x20
_CO_COROUTINE = 0x80
_CO_ITERABLE_COROUTINE = 0x100
_CO_ASYNC_GENERATOR = 0x200

_REDACTED = "[REDACTED]"
_DEFAULT_REDACT = ["passw", "secret", "token", "api_?key", "auth", "credential",
                   "private_?key", "session", "cookie"]
_NEVER = 1 << 62  # a duration no call reaches, a count no function reaches
_FLUSH_LINES = 256  # about 64 KB: a line is 150 to 500 bytes
_FLUSH_NS = 1000000000  # at least once a second when events keep coming
_MAX_DEPTH = 6
_NO = object()  # "no value" sentinel


# ---------------------------------------------------------------- state

# Wrappers and instrumented functions reach these objects through closures
# and globals. Libraries that pickle functions by value (cloudpickle, dill)
# pickle those too, so each pickles as a reference to the live object of this
# process (and the context variable is never captured directly: the wrappers
# reach it through _start and _finish).

class _State(object):
    __slots__ = ("on", "gc", "seek", "otel", "hook")

    def __init__(self):
        self.on = False
        self.gc = False  # a garbage collection is running (CPython < 3.12 only)
        # The OpenTelemetry bridge: sought (CTINJECT_OTEL auto or bridge),
        # on (an SDK was found), and `hook`: spans call _bridge_start (it is
        # on, or sought and opentelemetry.trace is imported).
        self.seek = False
        self.otel = False
        self.hook = False

    def __reduce__(self):
        return (_the_state, ())


class _Busy(set):
    __slots__ = ()

    def __reduce__(self):
        return (_the_busy, ())


def _the_state():
    return _S


def _the_busy():
    return _BUSY


_S = _State()          # _S.on: telemetry on (decided at import and after fork)
_BUSY = _Busy()        # thread ids for which the runtime is formatting or writing
_HIDDEN = set()        # code objects of the runtime's own frames (warnings fix)
_cur = contextvars.ContextVar("ctinject_current_span", default=None)
# Generators and coroutines over max_spans_per_function are not stepped by
# _drive (see _undriven): the ids of their frames, while they run, and the
# lines of their functions' own code. A point on one of those lines, in one
# of those frames, records nothing, as a point in any call over the limit.
_UNDRIVEN = set()
_UNDRIVEN_LINES = set()


def _gc_phase(phase, info):
    """gc.callbacks hook. On CPython before 3.12, a ContextVar.set made by a
    finalizer or weakref callback while the collection runs inside another
    ContextVar.set can free the context's HAMT under it (CPython gh-148891:
    a crash, or LookupError from a ContextVar with a default). Code that runs
    during a collection (a suspended wrapped generator closed by the
    collector, an instrumented function called from a __del__) therefore
    records no span and leaves the context alone."""
    _S.gc = phase == "start"


_TL = threading.local()


def _new_ids():
    """Span ids count up from a random start, in [2^60, 2^62) so that each
    has 16 hex digits: unique in the process, and almost surely across
    processes. A trace id is a random 64-bit prefix of the process followed
    by its root span's id. Called at import and in a forked child; the
    program's random module is never used."""
    global _IDS, _TRACE_HEAD
    r = int.from_bytes(os.urandom(16), "big")
    _IDS = itertools.count((1 << 60) + (r & ((1 << 61) - 1)))  # "%x": 16 digits
    _TRACE_HEAD = '"%016x' % ((r >> 64) or 1)  # + a span id's digits and quote


_IDS = _TRACE_HEAD = None
_new_ids()
_TAILS = {}  # thread id -> ',"pid":P,"tid":T', the end of every event line


def _tail(tid):
    if len(_TAILS) > 1000:
        _TAILS.clear()
    t = _TAILS[tid] = ',"pid":%d,"tid":%d' % (_W.pid, tid)
    return t


class _Writer(object):
    __slots__ = ("path", "fd", "buf", "lock", "pid", "due", "exiting", "hooked",
                 "eager", "limit", "keep_on")

    def __init__(self):
        self.path = None
        self.fd = None
        self.buf = []
        self.lock = threading.Lock()
        self.pid = os.getpid()
        # The next write by the clock: perf_counter_ns (spans, other events)
        # and time_ns (variable events, which read that clock anyway).
        self.due = _perf_ns() + _FLUSH_NS
        self.exiting = False
        self.hooked = False
        # Worker processes (forked, or multiprocessing children) are often ended
        # without an exit (Pool.terminate, os._exit): write at each root span's end.
        self.eager = False
        # The trace file's size limit in bytes (0: none), from the configuration.
        self.limit = 0
        # Telemetry stays on without the file (live export, or CTINJECT_OTEL=bridge).
        self.keep_on = False


_W = _Writer()


def _decide():
    """Telemetry on or off, from the environment (at import and in a forked child)."""
    on = False
    path = None
    mode = "off"
    export = False
    try:
        env = os.environ
        p = env.get("CTINJECT_TRACE_FILE", "")
        d = env.get("CTINJECT_DISABLE", "").strip().lower()
        if d not in ("1", "true", "yes", "on"):
            if p:
                path = os.path.abspath(p)
                on = True
            mode = _otel_mode(env)
            export = _export_configure(env, mode)
    except Exception:
        on = False
    keep_on = export or mode == "bridge"
    _W.keep_on = keep_on
    _W.path = path
    if on and _W.fd is None:
        on = _open_or_warn(_W)
    on = on or keep_on
    if export:
        # The export thread starts with the first lines handed over (see
        # _export_put): the next event makes the writer take its buffer.
        _W.due = 0
    _S.on = on
    _S.seek = on and mode in ("auto", "bridge") and not _S.otel
    _S.hook = _S.otel or (_S.seek and "opentelemetry.trace" in _modules)
    if on and _mon is not None and _M.tool is None and _M.codes:
        _mon_enable()  # a forked child that turned telemetry on
    if on and not _W.hooked:
        _W.hooked = True
        atexit.register(_at_exit)
        reg = getattr(threading, "_register_atexit", None)
        if reg is not None:
            # Runs before non-daemon threads are joined, also in multiprocessing
            # children that leave with os._exit.
            try:
                reg(_flush)
            except Exception:
                pass


# ---------------------------------------------------------------- writing

def _open(w):
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0)
    try:
        return os.open(w.path, flags, 0o666)
    except OSError:
        pass
    try:
        d = os.path.dirname(w.path)
        if d:
            os.makedirs(d, exist_ok=True)
        return os.open(w.path, flags, 0o666)
    except OSError:
        return None


def _open_or_warn(w):
    """Opens the trace file at start-up: a file that cannot be written is said
    once on standard error (once for a process and its children), instead of
    every event being lost without a word. True when it is open."""
    w.fd = _open(w)
    if w.fd is not None:
        return True
    _say_once("CTINJECT_TRACE_WARNED",
              "cannot write the trace file %s (CTINJECT_TRACE_FILE); %s"
              % (w.path, "it is not written" if w.keep_on else "no telemetry is recorded"))
    w.path = None
    return False


def _flush_locked(w):
    """Writes the buffer; the caller holds w.lock. Events are appended to
    the buffer without the lock (list.append is atomic): the lines written
    are taken out of the same list, so none appended meanwhile is lost."""
    buf = w.buf
    if w.exiting:
        w.due = 0  # every later event is written at once
    else:
        if not w.eager and _mp_child():
            w.eager = True  # (see _mp_spawned: a child not known at import)
        w.due = _perf_ns() + _FLUSH_NS
    x = _X
    if not buf:
        if x.url is not None and x.accepting and not x.running:
            w.due = 0  # (the next event hands its line over: see below)
        return
    lines = buf[:]
    del buf[:len(lines)]
    if x.url is not None:
        _export_put(lines)
        if x.accepting and not x.running:
            # No export thread (it ended when idle, or this is os.fork()):
            # the next event hands its line over at once, which starts one.
            w.due = 0
    elif _S.seek and not _S.hook and "opentelemetry.trace" in _modules:
        _S.hook = True  # (nested spans only, so far: see _bridge_start)
    if w.path is None:
        return
    data = "".join(lines).encode("ascii", "backslashreplace")
    fd = w.fd
    if fd is None:
        fd = w.fd = _open(w)
        if fd is None:
            _S.on = w.keep_on  # cannot write: telemetry off for this process (but export)
            w.path = None
            return
    if w.limit:
        try:
            full = os.fstat(fd).st_size >= w.limit
        except OSError:
            full = False
        if full:
            # A test suite can call a function millions of times: the file
            # stops growing here, with a line that says so, and this process
            # records nothing more.
            data = ('{"v":1,"type":"truncated","time_unix_ns":%d,"limit_bytes":%d,"pid":%d}\n'
                    % (_wall_ns(), w.limit, w.pid)).encode("ascii")
            _S.on = w.keep_on
            w.path = None
    try:
        view = memoryview(data)
        while view:
            n = os.write(fd, view)
            view = view[n:]
    except OSError:
        pass


def _flush():
    w = _W
    tid = _get_ident()
    B = _BUSY
    if tid in B:
        return
    B.add(tid)
    try:
        with w.lock:
            _flush_locked(w)
    except Exception:
        pass
    finally:
        B.discard(tid)


def _at_exit():
    try:
        _write_omitted()
    except Exception:
        pass
    _flush()
    try:
        _export_at_exit()
    except Exception:
        pass
    _W.exiting = True  # later events (other atexit handlers, daemon threads) are written at once


def _emit(s):
    w = _W
    buf = w.buf
    buf.append(s)
    if len(buf) > _FLUSH_LINES or _perf_ns() >= w.due:
        _flush_due(w)


def _flush_due(w):
    """The buffer is full or a second old: write it, unless another thread
    is writing (it takes these lines or the next write does), or this thread
    is, in a finalizer or signal handler that ran while it wrote (nothing
    waits on the lock, so nothing deadlocks). Once the process exits, at once."""
    if w.exiting:
        _flush()
    elif w.lock.acquire(False):
        try:
            _flush_locked(w)
        finally:
            w.lock.release()


def _before_fork():
    # The buffer goes out before the fork (the child starts an empty one);
    # what it hands to live export waits in the queue, with no thread
    # started now (see _after_fork_parent).
    _X.forking = True
    _flush()


def _after_fork_parent():
    x = _X
    x.forking = False
    if x.url is not None and x.accepting and not x.running:
        # Not started here: from CPython 3.13 a thread started by this hook
        # makes this fork warn. The next event hands over the buffer, which
        # starts it.
        _W.due = 0


def _after_fork_child():
    # The parent writes its own "calls" events; the child counts afresh.
    for info in list(_OMITTED):
        _reset_omitted(info)
    _OMITTED.clear()
    for site in _SITES:
        site.reset()
    _OMITTED_SITES.clear()
    w = _W
    w.lock = threading.Lock()
    w.buf = _BridgeBuf() if _S.otel else []
    w.exiting = False
    _X.reset()  # the parent's queue is the parent's; this child starts its own thread
    if _S.otel:
        _X.accepting = False  # (the bridge took over in the parent: no export, no thread)
    # The SDK spans open at the fork are the parent's to end: a span of them
    # that ends in this child (the forking thread's callers) is not bridged
    # again, and only detaches the OpenTelemetry context it attached, so
    # that the child's context is put back as the parent's is.
    _BR.open = {k: (None, o[1], None) for k, o in list(_BR.open.items())}
    w.eager = True
    w.due = _perf_ns() + _FLUSH_NS
    _TAILS.clear()
    fd = w.fd
    w.fd = None
    if fd is not None:
        try:
            os.close(fd)
        except OSError:
            pass
    try:
        w.pid = os.getpid()
    except Exception:
        pass
    try:
        _new_ids()
    except Exception:
        pass
    _BUSY.clear()
    if _mon is not None:
        _M.lock = threading.Lock()
    _decide()


# ---------------------------------------------------------------- configuration

def _redact_all(name):
    return True


class _Config(object):
    __slots__ = ("cap", "full", "max_site", "max_proc", "max_calls", "max_fail", "slowest",
                 "max_timed", "max_bytes", "_red", "_red_cache")

    def __init__(self, text):
        d = {}
        try:
            d = json.loads(text)
            if not isinstance(d, dict):
                d = {}
        except Exception:
            d = {}
        def count(key, default, least=0):
            """A count setting; the default where it is missing or not one."""
            v = d.get(key, default)
            return v if type(v) is int and v >= least else default

        self.cap = count("value_cap", 200, least=1)
        self.max_site = count("max_events_per_site", 16)
        self.max_proc = count("max_events_per_site_per_process", 200)  # 0: no limit
        self.slowest = count("slowest_calls", 5)
        self.max_calls = count("max_spans_per_function", 200)  # 0: no limit
        self.max_fail = count("max_failures_per_function", 100) or _NEVER  # 0: no limit
        self.max_timed = count("max_timed_calls_per_function", 10000)  # 0: no limit (see _count_only)
        self.max_bytes = count("max_trace_bytes", 1000000000)
        self.full = d.get("repr", "safe") == "full"
        pats = d.get("redact", _DEFAULT_REDACT)
        if not isinstance(pats, list):
            pats = _DEFAULT_REDACT
        red = []
        for p in pats:
            if isinstance(p, str) and p:
                try:
                    red.append(re.compile(p, re.IGNORECASE).search)
                except Exception:
                    # ctinject refuses such patterns; should one get here,
                    # fail closed: redact every value rather than none.
                    red.append(_redact_all)
        self._red = tuple(red)
        self._red_cache = {}

    def redacted(self, name):
        c = self._red_cache.get(name)
        if c is None:
            c = False
            try:
                for s in self._red:
                    if s(name):
                        c = True
                        break
            except Exception:
                c = False
            cache = self._red_cache
            if len(cache) > 4096:
                cache.clear()
            cache[name] = c
        return c


# ---------------------------------------------------------------- value formatting

_SCALARS = frozenset((type(None), bool, float, complex))
_BRACKETS = {list: ("[", "]"), tuple: ("(", ")"), set: ("{", "}"),
             frozenset: ("frozenset({", "})"), dict: ("{", "}")}
_EMPTY = {list: "[]", tuple: "()", set: "set()", frozenset: "frozenset()", dict: "{}"}
_type_module = type.__dict__["__module__"].__get__
_type_qualname = type.__dict__["__qualname__"].__get__
_type_mro = type.__dict__["__mro__"].__get__
_type_dict = type.__dict__["__dict__"].__get__
_exc_args = BaseException.__dict__["args"].__get__
_os_filename = OSError.__dict__["filename"].__get__
_os_filename2 = OSError.__dict__["filename2"].__get__
_module_dict = types.ModuleType.__dict__["__dict__"].__get__


def _tname(t):
    """module.QualName of a type without running any of its code."""
    try:
        q = _type_qualname(t)
    except Exception:
        q = "?"
    try:
        m = _type_module(t)
    except Exception:
        m = None
    if type(m) is str and m:
        return m + "." + q
    return q


def _int_repr(v):
    n = v.bit_length()
    if n > 3000:
        return "<int with %d bits>" % n
    return repr(v)


def _other(cfg, v, t, room):
    if cfg.full:
        try:
            r = repr(v)
        except Exception:
            return "<repr failed: %s object>" % _tname(t)
        if type(r) is not str:
            return "<%s object>" % _tname(t)
        return r if len(r) <= room else r[:room]
    if issubclass(t, type):
        return type.__repr__(v)
    if t is _FunctionType:
        return "<function %s>" % (v.__qualname__,)
    if t is types.BuiltinFunctionType:
        return repr(v)
    if t is types.MethodType:
        fn = v.__func__
        if type(fn) is _FunctionType:
            return "<bound method %s>" % (fn.__qualname__,)
    elif t is types.ModuleType:
        name = _module_dict(v).get("__name__")
        if type(name) is str:
            return "<module %s>" % (repr(name),)
    return "<%s object>" % _tname(t)


def _rec(cfg, v, depth, room, seen):
    if room < 1:
        room = 1
    t = type(v)
    if t is str:
        return repr(v) if len(v) <= room else repr(v[:room])
    if t is int:
        return _int_repr(v)
    if t in _SCALARS:
        return repr(v)
    if t is bytes or t is bytearray:
        return repr(v) if len(v) <= room else repr(v[:room])
    br = _BRACKETS.get(t)
    if br is None:
        return _other(cfg, v, t, room)
    if not v:
        return _EMPTY[t]
    op, cl = br
    if depth >= _MAX_DEPTH:
        return op + "..." + cl
    if seen is None:
        seen = set()
    i = id(v)
    if i in seen:
        return op + "..." + cl
    seen.add(i)
    try:
        parts = []
        used = len(op) + len(cl)
        more = False
        if t is dict:
            red = cfg.redacted
            for k, x in dict.items(v):
                if used >= room:
                    more = True
                    break
                ks = _rec(cfg, k, depth + 1, room - used, seen)
                if type(k) is str and red(k):
                    xs = _REDACTED
                else:
                    xs = _rec(cfg, x, depth + 1, room - used - len(ks) - 2, seen)
                s = ks + ": " + xs
                parts.append(s)
                used += len(s) + 2
        else:
            for x in v:
                if used >= room:
                    more = True
                    break
                s = _rec(cfg, x, depth + 1, room - used, seen)
                parts.append(s)
                used += len(s) + 2
        if more:
            parts.append("...")
        body = ", ".join(parts)
        if t is tuple and len(v) == 1 and not more:
            body += ","
        return op + body + cl
    finally:
        seen.discard(i)


def _busy_call(f, v):
    """f(v) with this thread marked busy: code that f runs (a repr() or
    __str__ of the program's, in `full` mode) records nothing."""
    tid = _get_ident()
    B = _BUSY
    if tid in B:
        return f(v)
    B.add(tid)
    try:
        return f(v)
    finally:
        B.discard(tid)


def _fmt(cfg, v):
    """The recorded text of a value: at most cfg.cap characters; never raises.
    In `safe` mode no code of the program runs; in `full` mode, repr() does,
    with the thread marked busy."""
    if cfg.full:
        return _busy_call(functools.partial(_fmt_value, cfg), v)
    return _fmt_value(cfg, v)


def _fmt_value(cfg, v):
    cap = cfg.cap
    try:
        t = type(v)
        if t is str:
            r = repr(v) if len(v) <= cap else repr(v[:cap])
        elif t is int:
            r = _int_repr(v)
        elif t in _SCALARS:
            r = repr(v)
        else:
            r = _rec(cfg, v, 0, cap + 1, None)
    except Exception:
        try:
            r = "<%s object>" % _tname(type(v))
        except Exception:
            r = "<unrepresentable>"
    if len(r) > cap:
        r = r[:cap - 3] + "..." if cap > 3 else r[:cap]
    return r


try:
    _GROUP = BaseExceptionGroup  # noqa: F821 (3.11+)
except NameError:
    _GROUP = None


def _safe_str_ok(v):
    return type(v) in (str, int, float, bool, bytes, type(None))


def _exc_name(t):
    """An exception type's name as events show it: qualified by its module
    unless builtin (read without running code of the program)."""
    try:
        m = _type_module(t)
    except Exception:
        m = None
    try:
        q = _type_qualname(t)
    except Exception:
        q = "?"
    return q if (m == "builtins" or type(m) is not str) else m + "." + q


def _exc_json(cfg, e):
    """{"type": ..., "message": ...} of an exception, as JSON text."""
    if e is None:
        return "null"
    t = type(e)
    name = _exc_name(t)
    msg = None
    try:
        if cfg.full:
            msg = _busy_call(str, e)
        else:
            args = _exc_args(e)
            own_str = False
            for k in _type_mro(t):
                kd = _type_dict(k)
                if "__str__" in kd:
                    own_str = type(kd["__str__"]) is _FunctionType
                    break
            safe = not own_str and all(_safe_str_ok(a) for a in args)
            if not own_str and _GROUP is not None and issubclass(t, _GROUP) \
                    and args and _safe_str_ok(args[0]):
                # "msg (2 sub-exceptions)": the message (a plain str: a
                # subclass's __str__ would run) and a count, no
                # sub-exception's own code.
                safe = True
            if safe and issubclass(t, OSError):
                safe = _safe_str_ok(_os_filename(e)) and _safe_str_ok(_os_filename2(e))
            if safe:
                msg = str(e)
            elif len(args) == 1 and type(args[0]) is str:
                msg = args[0]
            elif len(args) == 1:
                msg = _fmt(cfg, args[0])
            elif args:
                msg = _fmt(cfg, args)
            else:
                msg = ""
    except Exception:
        msg = "<unprintable %s>" % name
    if type(msg) is not str:
        msg = "<unprintable %s>" % name
    cap = cfg.cap
    if len(msg) > cap:
        msg = msg[:cap - 3] + "..." if cap > 3 else msg[:cap]
    return '{"type":%s,"message":%s}' % (_q(name), _q(msg))


# ---------------------------------------------------------------- spans

# A span is a list, indexed by these (a list is made three times faster
# than an object with the same fields, on the hot path of every call).
_SP_INFO = 0     # the function's _Info
_SP_QT = 1       # trace id, as a JSON string literal
_SP_QS = 2       # span id, as a JSON string literal
_SP_QP = 3       # parent span id, JSON literal or "null"
_SP_ARGS = 4     # the arguments, JSON object text
_SP_START = 5    # start_unix_ns
_SP_T0 = 6       # perf_counter_ns at the start
_SP_COUNTS = 7   # {_Site: count}: events of this span per site but the first, or None
_SP_OVER = 8     # some site went over max_events_per_site (the span's `suppressed`)
_SP_WT = 9       # {(module, site): pending while-iterations}, or None
# A call over its function's max_spans_per_function: nothing of it is
# written unless it fails; raw holds (args, kwargs, frame, api) until then
# (from sys.monitoring the frame is taken when the call ends). Its ids are
# given only when needed (_ids): until then its trace and span ids are
# None and _SP_QP holds the parent span (a list) or None.
_SP_QUIET = 10
_SP_RAW = 11
_SP_TOK = 12     # the context variable's token, when _start made it current
_SP_SITE = 13    # the _Site of the span's first point event (no dict for one site)
_SP_N = 14       # its count
# A call over the limit made current by _mon_start has _SP_QUIET == _HOST: the
# calls over the limit that start while it is current, in the thread that
# made it current (_SP_TID), are not made current themselves (a context
# variable's set and reset are a third of such a call's cost) but timed on
# its _SP_NEST. A call written in full that _mon_start made current hosts
# them the same way (a parser's entry point, called once, that calls a hot
# helper millions of times). Their points are quiet: a point finds the host
# current and its _SP_NEST not empty. A call written from one of them has
# that one as parent all the same (_nested_parent).
_HOST = 2        # its _SP_QUIET (true, as any call over the limit)
_SP_NEST = 15    # [(_Info, perf_counter_ns at the start[, its span])] of those calls, or None
_SP_TID = 16     # the thread that made it current
_SP_TASKS = 17   # a root state's states of asyncio tasks (root states only)


def _new_root():
    """Per-thread (and per-asyncio-task) state outside any span: a list
    laid out as a span's, whose point events have no trace or span id and
    are always written."""
    return [None, "null", "null", "null", None, 0, 0, None, False, None, False, None, None, None,
            0, None, None, None]


def _ids(sp):
    """Gives a quiet span its ids (see _SP_QUIET), and first those of its
    quiet ancestors that have none yet; returns its span id."""
    chain = []
    s = sp
    while s is not None and s[_SP_QS] is None:
        chain.append(s)
        s = s[_SP_QP]
    for s in reversed(chain):  # outermost first
        parent = s[_SP_QP]
        qs = '"%x"' % next(_IDS)
        if parent is None:
            s[_SP_QT] = _TRACE_HEAD + qs[1:]
            s[_SP_QP] = "null"
        else:
            s[_SP_QT] = parent[_SP_QT]
            s[_SP_QP] = parent[_SP_QS]
        s[_SP_QS] = qs
    return sp[_SP_QS]


def _root_state():
    tl = _TL
    r = tl.__dict__.get("root")
    if r is None:
        r = tl.root = _new_root()
    aio = sys.modules.get("asyncio")
    if aio is not None:
        try:
            loop = aio._get_running_loop()
            if loop is not None:
                task = aio.current_task(loop)
                if task is not None:
                    m = r[_SP_TASKS]
                    if m is None:
                        m = r[_SP_TASKS] = weakref.WeakKeyDictionary()
                    s = m.get(task)
                    if s is None:
                        s = m[task] = _new_root()
                    return s
        except Exception:
            pass
    return r


class _Info(object):
    """What is known about a wrapped function at wrap time."""
    __slots__ = ("mod", "cfg", "defaults", "kwdefaults", "line", "kind", "pos", "nposonly", "kwonly",
                 "varargs", "varkw", "named", "cap", "code", "aparams", "apos", "simple", "lkeys", "one", "static",
                 "calls", "omitted",
                 "omitted_ns", "omitted_max_ns", "slow", "slow_min", "failed", "omitted_failed",
                 "omitted_exc", "undriven", "untimed_from", "untimed", "counting", "quiet")

    def __init__(self, mod, f, line, kind):
        code = f.__code__
        self.mod = mod
        self.cfg = mod._c
        # (only for the generic wrapper's arguments; `at` passes no function)
        self.defaults = getattr(f, "__defaults__", None)
        self.kwdefaults = getattr(f, "__kwdefaults__", None)
        self.line = line if type(line) is int else 0
        self.kind = kind
        # Calls in this process, and those over the limit that were not
        # written (see _finish and _write_omitted).
        self.code = None  # the code object, for spans from sys.monitoring
        self.cap = self.cfg.max_calls
        self.calls = 0  # counted when cap is not 0
        self.omitted = 0
        self.omitted_ns = 0
        self.omitted_max_ns = 0
        self.slow = []  # the slowest omitted calls: [(duration, JSON object text)], slowest first
        self.slow_min = -1 if self.cfg.slowest else _NEVER  # a call slower joins them
        self.failed = 0  # failing calls over the limit written (max_failures_per_function)
        self.omitted_failed = 0  # ... and those counted instead
        self.omitted_exc = {}  # their exception types: {id(type): [type, count]}
        self.undriven = False  # its code's own lines are in _UNDRIVEN_LINES (see _undriven)
        # Calls after the first untimed_from are only counted (see _count_only).
        self.untimed_from = self.cap + self.cfg.max_timed if self.cap and self.cfg.max_timed else _NEVER
        self.untimed = 0  # calls only counted
        self.counting = False  # its calls are only counted from now on
        self.quiet = ()  # the lines it added to its module's _ql, while counting
        npos = code.co_argcount
        nkw = code.co_kwonlyargcount
        names = code.co_varnames
        self.pos = names[:npos]
        self.nposonly = getattr(code, "co_posonlyargcount", 0)
        self.kwonly = names[npos:npos + nkw]
        i = npos + nkw
        self.varargs = None
        self.varkw = None
        if code.co_flags & _CO_VARARGS:
            self.varargs = names[i]
            i += 1
        if code.co_flags & _CO_VARKEYWORDS:
            self.varkw = names[i]
        self.named = frozenset(self.pos[self.nposonly:] + self.kwonly)
        # (name, JSON key, redacted) of every parameter in the order the span
        # lists them: positional ones (apos, for _fmt_args), *args, keyword-
        # only ones, **kwargs (all of them for _fmt_locals).
        params = self.pos + ((self.varargs,) if self.varargs else ()) + self.kwonly + \
            ((self.varkw,) if self.varkw else ())
        cfg = self.cfg
        self.aparams = tuple((n, _q(n) + ":", cfg.redacted(n)) for n in params)
        self.apos = tuple((key, red) for _, key, red in self.aparams[:npos])
        # The same keys with the "{" or "," before them, for the usual case
        # of _fmt_args (only positional parameters, all passed: a wrapper of
        # the exact signature) and of _fmt_locals.
        self.simple = tuple((("," if i else "{") + key, red)
                            for i, (key, red) in enumerate(self.apos)) \
            if not (self.varargs or self.varkw or self.kwonly) else None
        self.lkeys = tuple((n, ("," if i else "{") + key, red)
                           for i, (n, key, red) in enumerate(self.aparams))
        # ("{" + JSON key, redacted, name) of a function whose only parameter is
        # positional (see _start), else None.
        self.one = (self.simple[0][0], self.simple[0][1], self.pos[0]) \
            if self.simple is not None and len(self.simple) == 1 else None
        self.static = _static(mod, f, self.line, kind)


def _static(mod, f, line, kind):
    """The keys of f's spans from "name" to "kind", as JSON text."""
    name = getattr(f, "__qualname__", None)
    m = getattr(f, "__module__", None)
    return ('"name":%s,"module":%s,"file":%s,"line":%d,"kind":"%s",'
            % (_q(name if type(name) is str else "?"),
               _q(m) if type(m) is str else "null", mod._qf, line, kind))


_QREDACTED = _q(_REDACTED)


def _val(cfg, v):
    """The recorded text of a value as a JSON string literal (fast paths first)."""
    t = type(v)
    if t is int:
        if -1000000000000000000 < v < 1000000000000000000:
            return f'"{v}"'
    elif t is str:
        if len(v) < cfg.cap - 2:
            r = repr(v)
            if len(r) <= cfg.cap:
                return _q(r)
    elif v is None:
        return '"None"'
    elif t is bool:
        return '"True"' if v else '"False"'
    return _q(_fmt(cfg, v))


def _arg_json(cfg, name, value):
    return _q(name) + ":" + (_QREDACTED if cfg.redacted(name) else _val(cfg, value))


def _fmt_args(info, args, kwargs):
    cfg = info.cfg
    keys = info.simple
    if kwargs is None and keys is not None and len(args) == len(keys):
        if len(keys) == 1:
            k, red = keys[0]
            return k + (_QREDACTED if red else _val(cfg, args[0])) + "}"
        if not keys:
            return "{}"
        return "".join([k + (_QREDACTED if red else _val(cfg, v))
                        for (k, red), v in zip(keys, args)]) + "}"
    n = len(info.pos)
    na = len(args)
    parts = []
    add = parts.append
    if na:
        apos = info.apos
        for i in range(na if na < n else n):
            k, red = apos[i]
            add(k + _QREDACTED if red else k + _val(cfg, args[i]))
    if na >= n and not kwargs and info.varargs is None and info.varkw is None and not info.kwonly:
        return "{" + ",".join(parts) + "}"
    if kwargs is None:  # a wrapper's call with no keyword parameters
        kwargs = {}
    pos = info.pos
    if na < n:
        defaults = info.defaults or ()
        first = n - len(defaults)
        nposonly = info.nposonly
        for i in range(na, n):
            nm = pos[i]
            if i >= nposonly and nm in kwargs:
                add(_arg_json(cfg, nm, kwargs[nm]))
            elif i >= first:
                add(_arg_json(cfg, nm, defaults[i - first]))
    if info.varargs is not None:
        add(_arg_json(cfg, info.varargs, args[n:]))
    if info.kwonly:
        kwd = info.kwdefaults or {}
        for nm in info.kwonly:
            if nm in kwargs:
                add(_arg_json(cfg, nm, kwargs[nm]))
            elif nm in kwd:
                add(_arg_json(cfg, nm, kwd[nm]))
    if info.varkw is not None:
        named = info.named
        extra = {k: x for k, x in kwargs.items() if k not in named}
        add(_arg_json(cfg, info.varkw, extra))
    return "{" + ",".join(parts) + "}"


def _fmt_locals(info, frame, getvar):
    """The arguments as _fmt_args gives them, read from a frame as the
    function starts, when every parameter is bound: with getvar
    (PyFrame_GetVar, on 3.12) or else from f_locals (a view, on 3.13+). On
    3.12 f_locals would leave a snapshot dict on the frame (see
    _mon_register); PyFrame_GetVar reads the fast locals, cells included, and
    leaves nothing."""
    cfg = info.cfg
    keys = info.lkeys
    try:
        # Every parameter is bound as the function starts.
        if getvar is None:
            loc = frame.f_locals
            if len(keys) == 1:
                nm, k, red = keys[0]
                return k + (_QREDACTED if red else _val(cfg, loc[nm])) + "}"
            parts = [k + (_QREDACTED if red else _val(cfg, loc[nm])) for nm, k, red in keys]
        else:
            parts = [k + (_QREDACTED if red else _val(cfg, getvar(frame, nm)))
                     for nm, k, red in keys]
        return "".join(parts) + "}" if parts else "{}"
    except (KeyError, NameError):
        pass
    parts = []
    add = parts.append
    if getvar is None:
        loc = frame.f_locals
        for nm, key, red in info.aparams:
            try:
                v = loc[nm]
            except KeyError:
                continue
            add(key + _QREDACTED if red else key + _val(cfg, v))
    else:
        for nm, key, red in info.aparams:
            try:
                v = getvar(frame, nm)
            except NameError:
                continue
            add(key + _QREDACTED if red else key + _val(cfg, v))
    return "{" + ",".join(parts) + "}"


def _start(info, args, kwargs, frame, api, enter):
    """A new span, its arguments read from (args, kwargs) or else from the
    locals of `frame` as the function starts; with `enter`, made current
    (_finish puts the previous one back). Called only when telemetry is on
    and not busy."""
    parent = _cur.get()
    if parent is not None and parent[_SP_NEST]:
        parent = _nested_parent(parent)
    cap = info.cap
    if cap:
        n = info.calls + 1
        info.calls = n
    if cap and n > cap:
        # Over the limit: its arguments are read only if it fails, its ids
        # given only if needed (see _finish).
        sp = [info, None, None, parent, None, 0, _perf_ns(), None, False, None, True,
              (args, kwargs, frame, api), None, None, 0, None, None]
    else:
        if parent is None:
            qt = None
            qp = "null"
            if _S.seek and "opentelemetry.trace" in _modules:
                _S.hook = True
        else:
            qt = parent[_SP_QT]
            qp = parent[_SP_QS]
            if qp is None:
                qp = _ids(parent)
                qt = parent[_SP_QT]
        one = info.one
        try:
            if one is not None and kwargs is None:
                # One parameter (self, often), passed by a wrapper of the
                # exact signature or bound in the frame: _fmt_args's and
                # _fmt_locals's result, without their calls.
                if one[1]:
                    a = one[0] + _QREDACTED + "}"
                else:
                    if frame is None:
                        v = args[0]
                    elif api.getvar is None:
                        v = frame.f_locals[one[2]]
                    else:
                        v = api.getvar(frame, one[2])
                    if type(v) is int and -1000000000000000000 < v < 1000000000000000000:
                        a = f'{one[0]}"{v}"}}'
                    else:
                        a = one[0] + _val(info.cfg, v) + "}"
            elif frame is None:
                a = _fmt_args(info, args, kwargs)
            else:
                a = _fmt_locals(info, frame, api.getvar)
        except Exception:
            a = "{}"
        qs = '"%x"' % next(_IDS)
        if qt is None:
            qt = _TRACE_HEAD + qs[1:]
        t0 = _perf_ns()
        sp = [info, qt, qs, qp, a, t0 + _WALL_OFFSET, t0, None, False, None, False, None, None,
              None, 0, None, None]
    if enter:
        sp[_SP_TOK] = _cur.set(sp)
    if _S.hook and not sp[_SP_QUIET]:
        _bridge_start(sp, parent, enter)
    return sp


def _read_args(info, args, kwargs, frame, api):
    """The arguments as JSON object text, from (args, kwargs) or else from
    `frame` (see _fmt_locals)."""
    try:
        if frame is None:
            return _fmt_args(info, args, kwargs)
        return _fmt_locals(info, frame, api.getvar)
    except Exception:
        return "{}"


_OMITTED = {}  # the _Info of every function with calls not written, in order


def _reset_omitted(info):
    if info.counting:
        _stop_counting(info)
    info.calls = info.omitted = info.omitted_ns = info.omitted_max_ns = info.untimed = 0
    info.failed = info.omitted_failed = 0
    info.omitted_exc = {}
    info.slow = []
    info.slow_min = -1 if info.cfg.slowest else _NEVER


def _count_exc(info, e):
    """One more omitted failing call of info, which raised e: counted by
    type (keyed by the type's id, the type kept so that the id stays its
    own); the types are named when the `calls` event is written."""
    info.omitted_failed += 1
    t = type(e)
    oe = info.omitted_exc
    entry = oe.get(id(t))
    if entry is None:
        oe[id(t)] = [t, 1]
    else:
        entry[1] += 1


def _slow(info, sp, d, raw, mode, value):
    """An omitted call among the slowest of its function so far: kept for
    its `calls` event, with its arguments (read now, as it ends) and its
    return value."""
    qs = sp[_SP_QS]
    if qs is None:
        qs = _ids(sp)
    args = _read_args(info, raw[0], raw[1], raw[2], raw[3])
    ret = _val(info.cfg, value) if mode == 1 else "null"
    exc = _exc_json(info.cfg, value) if mode == 0 else "null"
    slow = info.slow
    i = len(slow)
    while i and slow[i - 1][0] < d:
        i -= 1
    slow.insert(i, (d, '{"span_id":%s,"start_unix_ns":%d,"duration_ns":%d,"args":%s,"return":%s,'
                       '"exception":%s}' % (qs, _wall_ns() - d, d, args, ret, exc)))
    n = info.cfg.slowest
    if len(slow) > n:
        del slow[n:]
    if len(slow) >= n:
        info.slow_min = slow[-1][0]


def _write_omitted():
    """At exit: one "calls" event per function whose calls over the limit
    were not written (how many, how long they took, the slowest), one
    "vars" or "branches" event per site whose events over the limit were
    not written (how many, the last value)."""
    now = _wall_ns()
    pid = _W.pid
    for info in list(_OMITTED):
        n = info.omitted
        u = info.untimed
        if n or u:
            names = {}
            for t, c in info.omitted_exc.values():
                k = _exc_name(t)
                names[k] = names.get(k, 0) + c
            exc = ",".join('%s:%d' % (_q(k), c) for k, c in names.items())
            _emit('{"v":1,"type":"calls","time_unix_ns":%d,%s"recorded":%d,"omitted":%d,'
                  '"omitted_untimed":%d,"omitted_duration_ns":%d,"omitted_max_duration_ns":%d,'
                  '"omitted_failed":%d,"omitted_exceptions":{%s},"slowest":[%s],"pid":%d}\n'
                  % (now, info.static, info.calls - n, n + u, u, info.omitted_ns,
                     info.omitted_max_ns, info.omitted_failed, exc,
                     ",".join(e[1] for e in info.slow), pid))
        _reset_omitted(info)
    _OMITTED.clear()
    for site in list(_OMITTED_SITES):
        n = site.omitted
        if n:
            cfg = site.mod._c
            rec = cfg.max_proc - site.left
            if site.kind == "var":
                last = site.last
                last = _q(last) if type(last) is str else _val(cfg, last)
                _emit('{"v":1,"type":"vars","time_unix_ns":%d,"file":%s,"line":%d,"name":%s,'
                      '"recorded":%d,"omitted":%d,"last":%s,"pid":%d}\n'
                      % (now, site.mod._qf, site.line, _q(site.name), rec, n, last, pid))
            elif site.kind == "branch":
                _emit('{"v":1,"type":"branches","time_unix_ns":%d,"file":%s,"line":%d,'
                      '"site":%d,"arm":%d,"recorded":%d,"omitted":%d,"pid":%d}\n'
                      % (now, site.mod._qf, site.line, site.line, site.name, rec, n, pid))
            elif site.kind == "loop":
                _emit('{"v":1,"type":"loops","time_unix_ns":%d,"file":%s,"line":%d,"site":%d,'
                      '"kind":"%s","recorded":%d,"omitted":%d,"omitted_iterations":%d,'
                      '"omitted_max_iterations":%d,"pid":%d}\n'
                      % (now, site.mod._qf, site.line, site.line, site.name, rec, n,
                         site.iterations, site.most, pid))
            else:
                types = ",".join('%s:%d' % (_q(k), c) for k, c in site.last.items())
                _emit('{"v":1,"type":"exceptions","time_unix_ns":%d,"file":%s,"line":%d,'
                      '"recorded":%d,"omitted":%d,"omitted_types":{%s},"pid":%d}\n'
                      % (now, site.mod._qf, site.line, rec, n, types, pid))
        site.reset()
    _OMITTED_SITES.clear()


def _loop_line(mod, st, tid, kind, site, n, target, last):
    return ('{"v":1,"type":"loop","time_unix_ns":%d,"trace_id":%s,"span_id":%s,"file":%s,'
            '"line":%d,"site":%d,"kind":"%s","iterations":%d,"target":%s,"last":%s,'
            '"pid":%d,"tid":%d}\n'
            % (_wall_ns(), st[_SP_QT], st[_SP_QS], mod._qf, site, site, kind, n, target, last, _W.pid, tid))


def _finish(sp, mode, value):
    """End a span: mode 1 = returned value, 2 = finished without a value (closed,
    async generator), 0 = the exception `value` escaped. Puts back the span
    that was current before it, if _start made it current."""
    t1 = _perf_ns()
    info, qt, qs, qp, args, start, t0, counts, over, wt, quiet, raw, tok, site1, n1, _, _ = sp
    if tok is not None:
        sp[_SP_TOK] = None
        try:
            _cur.reset(tok)
        except Exception:
            pass
    B = _BUSY
    if B and _get_ident() in B:
        return
    try:
        if quiet:
            sp[_SP_RAW] = None
            if mode or info.failed >= info.cfg.max_fail:
                # (every failing call is written, up to max_failures_per_function)
                d = t1 - t0
                n = info.omitted + 1
                info.omitted = n
                info.omitted_ns += d
                if d > info.omitted_max_ns:
                    info.omitted_max_ns = d
                if n == 1:
                    _OMITTED[info] = None
                if not mode:
                    _count_exc(info, value)
                if d > info.slow_min:
                    _slow(info, sp, d, raw, mode, value)
                return
            # A failing call is written, its arguments read now.
            info.failed += 1
            args = sp[_SP_ARGS] = _read_args(info, raw[0], raw[1], raw[2], raw[3])
            start = sp[_SP_START] = _wall_ns() - (t1 - t0)
            if qs is None:
                qs = _ids(sp)
                qt = sp[_SP_QT]
                qp = sp[_SP_QP]
            wt = None  # its point events were not written
        tid = _get_ident()
        if wt:
            sp[_SP_WT] = None
            for key, n in list(wt.items()):
                _emit(_loop_line(key[0], sp, tid, "while", key[1], n, "null", "null"))
        if mode == 1:
            if type(value) is int and -1000000000000000000 < value < 1000000000000000000:
                ret = f'"{value}"'  # _val's first fast path, without the call
            else:
                ret = _val(info.cfg, value)
            status = '"ok","exception":null'
        elif mode == 2:
            ret = "null"
            status = '"ok","exception":null'
        else:
            ret = "null"
            status = '"error","exception":' + _exc_json(info.cfg, value)
        sup = ""
        if over:
            entries = []
            for site, c in [(site1, n1)] + (list(counts.items()) if counts else []):
                if site.mute is sp:
                    c += site.extra
                    site.mute = None
                c -= site.cap
                if c > 0:
                    entries.append('%s,"count":%d}' % (site.sup, c))
            if entries:
                sup = ',"suppressed":[' + ",".join(entries) + "]"
        pt = _TAILS.get(tid) or _tail(tid)
        line = (f'{{"v":1,"type":"span","trace_id":{qt},"span_id":{qs},"parent_id":{qp},'
                f'{info.static}"start_unix_ns":{start},"duration_ns":{t1 - t0},"args":{args},'
                f'"return":{ret},"status":{status}{pt}{sup}}}\n')
        w = _W
        buf = w.buf
        buf.append(line)
        if w.eager and qp == "null":
            _flush()
        elif len(buf) > _FLUSH_LINES or t1 >= w.due:
            _flush_due(w)
    except Exception:
        pass


def _mp_child():
    """True in a multiprocessing child (spawn, forkserver), once it has started."""
    m = _modules.get("multiprocessing.process")
    return m is not None and getattr(m, "_parent_process", None) is not None


def _mp_spawned():
    """True in a multiprocessing child (spawn, forkserver) that has started,
    or that is being prepared: it imports the parent's __main__ and unpickles
    its process object (which may import the runtime) before _parent_process
    is set. A forked child is known by os.register_at_fork."""
    if _mp_child():
        return True
    m = _modules.get("multiprocessing.process")
    return m is not None and \
        getattr(getattr(m, "_current_process", None), "_inheriting", False) is True


def _finish_exc(sp):
    _finish(sp, 0, _exc_info()[1])


# ---------------------------------------------------------------- the runtime's frames in tracebacks

class _CApi(object):
    """The few C API functions the runtime calls through ctypes, loaded only
    on the versions that need them (see _capi)."""
    __slots__ = ("tried", "getvar", "setexc", "incref")

    def __init__(self):
        self.tried = False
        self.getvar = None   # PyFrame_GetVar (3.12: arguments for sys.monitoring)
        self.setexc = None   # PyErr_SetExcInfo (3.8 to 3.10: see _skip)
        self.incref = None


_API = _CApi()


def _capi():
    """_API, loaded the first time: ctypes is imported only on CPython 3.12
    (when telemetry is on) and 3.8 to 3.10 (as the runtime is). Without
    ctypes its functions stay None."""
    a = _API
    if not a.tried:
        a.tried = True
        try:
            v = sys.version_info[:2]
            if sys.implementation.name == "cpython" and (v < (3, 11) or v == (3, 12)):
                import ctypes
                api = ctypes.pythonapi
                obj = ctypes.py_object
                # pythonapi[name] is a new function object, not the one
                # pythonapi.name that the program may have set up its own way.
                if sys.version_info >= (3, 12):
                    f = api["PyFrame_GetVar"]
                    f.argtypes = (obj, obj)
                    f.restype = obj
                    a.getvar = f
                else:
                    inc = api["Py_IncRef"]
                    inc.argtypes = (obj,)
                    inc.restype = None
                    f = api["PyErr_SetExcInfo"]
                    f.argtypes = (obj, obj, obj)
                    f.restype = None
                    a.incref = inc
                    a.setexc = f
        except Exception:
            a.getvar = a.setexc = a.incref = None
    return a


def _untb(e):
    """Drop the runtime's frame that e is passing through (the head of
    e.__traceback__) from e's traceback: a program then sees the traceback
    it would have seen without the runtime (generators thrown into, and
    the re-raise of _skip)."""
    try:
        tb = e.__traceback__
        if tb is not None and tb.tb_frame.f_code in _HIDDEN:
            e.__traceback__ = tb.tb_next
    except Exception:
        pass


def _skip(e, api=_API):
    """Called in a runtime's frame, in the `except` block that then re-raises
    e with a bare `raise`, so that the frame leaves no traceback entry (as
    _untb). From CPython 3.11 a bare raise takes the traceback from the
    exception (do_raise in ceval.c) and adds no entry for the re-raising
    frame; before, it takes it from the thread's handled-exception state
    (exc_info), which is set here to the same one (PyErr_SetExcInfo, which
    steals its three references). Without ctypes there, the entry stays."""
    try:
        tb = e.__traceback__
        if tb is not None and tb.tb_frame.f_code in _HIDDEN:
            e.__traceback__ = tb = tb.tb_next
            setexc = api.setexc
            if setexc is not None:
                inc = api.incref
                t = type(e)
                inc(t)
                inc(e)
                inc(tb)
                setexc(t, e, tb)
    except Exception:
        pass


# ---------------------------------------------------------------- stepping generators and coroutines

class _Step(object):
    """Awaitable whose __await__ is a generator that steps an inner coroutine."""
    __slots__ = ("_g",)

    def __init__(self, g):
        self._g = g

    def __await__(self):
        return self._g


def _drive(info, f, args, kwargs):
    """Run f(*args, **kwargs), a generator or a coroutine, step by step (PEP 380
    expansion), with its span current only during each step; yields what it
    yields, returns what it returns, and ends the span when it finishes or is
    closed. During a garbage collection (see _gc_phase) the span is not made
    current. A call over max_spans_per_function is not stepped here but
    delegated to (see _undriven)."""
    __tracebackhide__ = True
    try:
        sp = _start(info, args, kwargs, None, None, False)
        if sp[_SP_QUIET]:
            # Over max_spans_per_function: CPython steps it (see _undriven),
            # from this frame (one frame more would be one more per level of
            # a recursive generator's `yield from`).
            try:
                it = f(*args, **kwargs)
            except BaseException:
                _finish_exc(sp)
                raise
            args = kwargs = None
            inner, key = _undriven(info, f, it)
            it = None
            try:
                ret = yield from inner
            except GeneratorExit:
                _finish(sp, 2, None)
                raise
            except BaseException as e:
                _finish(sp, 0, e)
                raise
            finally:
                _UNDRIVEN.discard(key)
            _finish(sp, 1, ret)
            return ret
        cur = _cur
        S = _S
        tok = None if S.gc else cur.set(sp)
        st = 0
        try:
            it = f(*args, **kwargs)
            st = 1
        finally:
            if tok is not None:
                cur.reset(tok)
            if not st:
                _finish_exc(sp)
        args = kwargs = None
        send = it.send
        throw = it.throw
        value = None
        exc = None
        # What is being yielded: taken out before the yield, so that it is not
        # kept alive while the generator is suspended.
        out = []
        while True:
            tok = None if S.gc else cur.set(sp)
            st = 0
            try:
                if exc is None:
                    out.append(send(value))
                else:
                    out.append(throw(exc))
                st = 1
            except StopIteration as si:
                ret = si.value
                st = 2
            finally:
                exc = value = None
                if tok is not None:
                    cur.reset(tok)
                if not st:
                    _finish_exc(sp)
            if st == 2:
                _finish(sp, 1, ret)
                return ret
            closing = False
            try:
                value = yield out.pop()
            except GeneratorExit:
                closing = True
            except BaseException as x:
                _untb(x)  # thrown in: f sees it as it was thrown
                exc = x
            if closing:
                # Close the inner object outside any except block, then end: the
                # caller of close() (or CPython's yield-from) raises GeneratorExit.
                tok = None if S.gc else cur.set(sp)
                st = 0
                try:
                    it.close()
                    st = 1
                finally:
                    if tok is not None:
                        cur.reset(tok)
                    if not st:
                        _finish_exc(sp)
                _finish(sp, 2, None)
                return None
    except BaseException as e:
        _skip(e)
        raise


def _undriven(info, f, it):
    """For _drive, `it`, the generator or coroutine of a call of f over
    max_spans_per_function, which is not stepped by the runtime: it counts
    (and is written if it fails or is among the slowest) as a call to a
    plain function over the limit, but CPython delegates each of its steps
    (`yield from`), so that a hot generator costs no more per item than it
    did. Its span is never current: its points know its frame instead
    (_UNDRIVEN), and calls it makes have its caller's span as parent.
    Returns what to delegate to, and the key to take out of _UNDRIVEN when
    it ends (None: nothing to take out)."""
    t = type(it)
    if t is _GeneratorType:
        frame = it.gi_frame
        inner = it
    elif t is _CoroutineType:
        frame = it.cr_frame
        inner = it.__await__()
    else:  # (a types.coroutine generator-based coroutine, or anything else)
        return it, None
    # The frame's id, not the frame: a reference held when the generator
    # finishes would keep its locals alive (CPython copies them into a
    # frame object that outlives its frame), and in a cycle with _drive's,
    # until the next collection (more-itertools' lifecycle tests).
    try:
        if not info.undriven:
            _UNDRIVEN_LINES.update(_own_lines(f.__code__))
            info.undriven = True
    except Exception:
        return inner, None
    key = id(frame)
    _UNDRIVEN.add(key)
    return inner, key


def _in_undriven(line, getframe=sys._getframe):
    """True when the point at `line` (its statement's line) that calls the
    caller runs in the frame of a call not driven (see _undriven)."""
    return line in _UNDRIVEN_LINES and id(getframe(2)) in _UNDRIVEN


def _own_lines(code):
    """The lines that `code` spans, less those of the functions, lambdas and
    comprehensions nested in it (unless `code` has instructions there too):
    the lines of the points that run in its own frame. A point's line is
    its statement's first line, which may have no instruction of its own."""
    own = _code_lines(code)
    nested = set()
    for c in _nested_codes(code):
        nested.update(_code_lines(c))
    spanned = set(range(min(own), max(own) + 1))
    return frozenset(spanned - (nested - own))


def _nested_codes(code):
    """The code objects among the constants of `code` and, in turn, of those."""
    todo = [code]
    while todo:
        for c in todo.pop().co_consts:
            if type(c) is _CodeType:
                yield c
                todo.append(c)


def _code_lines(code):
    """The lines of `code`'s instructions."""
    try:
        return {line for _, _, line in code.co_lines() if line is not None} or {code.co_firstlineno}
    except AttributeError:  # CPython < 3.10: co_lnotab, (offset, line) increments
        line = code.co_firstlineno
        lines = {line}
        tab = code.co_lnotab
        for i in range(1, len(tab), 2):
            d = tab[i]
            line += d - 256 if d >= 128 else d
            lines.add(line)
        return lines


def _steps(aw, sp):
    """Step one awaitable (an async generator's asend/athrow/aclose) with sp
    current only during each step; returns its result, propagates its exception."""
    __tracebackhide__ = True
    try:
        cur = _cur
        S = _S
        value = None
        exc = None
        out = []  # as in _drive: nothing kept while suspended
        while True:
            tok = None if S.gc else cur.set(sp)
            done = False
            try:
                if exc is None:
                    out.append(aw.send(value))
                else:
                    out.append(aw.throw(exc))
            except StopIteration as si:
                ret = si.value
                done = True
            finally:
                exc = value = None
                if tok is not None:
                    cur.reset(tok)
            if done:
                return ret
            closing = False
            try:
                value = yield out.pop()
            except GeneratorExit:
                closing = True
            except BaseException as x:
                _untb(x)
                exc = x
            if closing:
                tok = None if S.gc else cur.set(sp)
                try:
                    aw.close()
                finally:
                    if tok is not None:
                        cur.reset(tok)
                return None
    except BaseException as e:
        _skip(e)
        raise


_HIDDEN.add(_drive.__code__)
_HIDDEN.add(_steps.__code__)


# ---------------------------------------------------------------- spans from sys.monitoring (CPython 3.12+)

# From CPython 3.12 a plain function is not wrapped: fn() registers its code
# object with sys.monitoring and returns the function itself, so that
# tracebacks, frame walks (sys._getframe, inspect.stack, logging's and
# warnings' stacklevel), the recursion depth, the code object, its globals
# and its signature are the original's. The span opens at PY_START (current
# from then on) and ends at PY_RETURN or PY_UNWIND. PY_START and PY_RETURN
# are set on the registered code objects only; PY_UNWIND cannot be (CPython
# allows it only process-wide), so its callback first looks the code up.
#
# Generators, coroutines and async generators are still wrapped: closing a
# generator suspended outside any try block (close(), or the collector)
# ends its frame with no event at all, so its span would never end.
#
# The arguments are read from the frame at PY_START. On 3.12 that is done
# with PyFrame_GetVar through ctypes (see _fmt_locals): frame.f_locals there
# leaves a snapshot dict on the frame, which keeps the values alive after a
# `del` and is what an `import` in the function then passes to __import__
# as its locals (click's import hook test saw it); from 3.13 f_locals is a
# view that leaves nothing behind. On 3.12 without ctypes functions are
# wrapped.
#
# The tool id is taken the first time a function is registered while
# telemetry is on (never when it is off); when none of the ids that tools
# leave free by convention is free, functions are wrapped as on older
# versions. CTINJECT_SPAN_WRAPPERS=1 asks for the wrappers.

_MON_TOOL_IDS = (4, 3)  # 0 debugger, 1 coverage, 2 profiler, 5 optimizer, by convention
_mon = getattr(sys, "monitoring", None) \
    if sys.implementation.name == "cpython" and sys.version_info >= (3, 12) else None
try:
    if os.environ.get("CTINJECT_SPAN_WRAPPERS", "").strip().lower() in ("1", "true", "yes", "on"):
        _mon = None
except Exception:
    pass
_getframe = sys._getframe


class _Mon(object):
    """The monitoring state: the tool id (None until taken, False when none
    was free) and the registered code objects. The callbacks look a code
    object up by its id (hashing a code object hashes its bytecode and
    constants, at every call); codes keeps the objects, so ids stay theirs."""
    __slots__ = ("tool", "codes", "ids", "lock", "counting")

    def __init__(self):
        self.tool = None
        self.codes = {}     # code -> _Info (the function itself is not kept)
        self.ids = {}       # id(code) -> _Info, for the same codes
        self.lock = threading.Lock()  # taking the tool id (two importing threads)
        self.counting = 0  # functions whose calls are only counted (see _count_only)


_M = _Mon()


def _mon_take_tool():
    if sys.version_info < (3, 13) and _capi().getvar is None:
        return False  # 3.12 without ctypes: no way to read the arguments as they are
    mon = _mon
    ev = mon.events
    for tool in _MON_TOOL_IDS:
        try:
            if mon.get_tool(tool) is not None:
                continue
            mon.use_tool_id(tool, "ctinject")
        except Exception:
            continue
        try:
            mon.register_callback(tool, ev.PY_START, _mon_start)
            mon.register_callback(tool, ev.PY_RETURN, _mon_return)
            mon.register_callback(tool, ev.PY_UNWIND, _mon_unwind)
            mon.set_events(tool, ev.PY_UNWIND)
        except Exception:
            _mon_free(tool)
            continue
        return tool
    return False


def _mon_watch(tool, code):
    ev = _mon.events
    try:
        _mon.set_local_events(tool, code, ev.PY_START | ev.PY_RETURN)
        return True
    except Exception:
        return False


def _mon_enable():
    """Take a tool id and watch the code objects registered so far."""
    m = _M
    with m.lock:
        if m.tool is not None:
            return  # another thread took it
        tool = _mon_take_tool()
        if tool:
            for code in list(m.codes):
                if not _mon_watch(tool, code):
                    del m.codes[code]
                    m.ids.pop(id(code), None)
        m.tool = tool


def _mon_free(tool):
    try:
        _mon.set_events(tool, 0)
        for code in _M.codes:
            _mon.set_local_events(tool, code, 0)
        _mon.free_tool_id(tool)
    except Exception:
        pass


def _mon_stop():
    """Give the tool id back and forget every registration (tests)."""
    m = _M
    if m.tool:
        _mon_free(m.tool)
    m.tool = None
    m.codes.clear()
    m.ids.clear()


def _mon_register(mod, f, line):
    """True when f's spans come from sys.monitoring, so that f stays as it is.
    With telemetry off the code object is only remembered (nothing runs per
    call); it is watched if telemetry comes on (see _decide)."""
    if _mon is None:
        return False
    code = f.__code__
    if code.co_flags & (_CO_GENERATOR | _CO_COROUTINE | _CO_ASYNC_GENERATOR):
        return False
    m = _M
    if _S.on and m.tool is None:
        _mon_enable()
    if m.tool is False:
        return False
    if code in m.codes:
        return True
    info = _Info(mod, f, line, "function")
    info.code = code
    with m.lock:  # watched here, or by _mon_enable's pass over the codes
        if m.tool and not _mon_watch(m.tool, code):
            return False
        m.codes[code] = info
        m.ids[id(code)] = info
    return True


# The code objects of the module being registered, by (first line, name):
# (module code, index), for the last module only (its registrations run one
# after another while it is imported).
_AT_INDEX = [None, None]


def _code_at(module_code, first, name):
    """The code object of the function `name` whose code starts on line
    `first`, among the constants of `module_code` and of the code nested in
    them; None when there is none, or more than one."""
    if _AT_INDEX[0] is not module_code:
        index = {}
        for c in _nested_codes(module_code):
            key = (c.co_firstlineno, c.co_name)
            index[key] = None if key in index else c
        _AT_INDEX[0] = module_code
        _AT_INDEX[1] = index
    return _AT_INDEX[1].get((first, name))


# The callbacks take what they use as defaults: bound once, fast, and still
# there if the interpreter clears this module's globals while it shuts down
# (the wrappers hold theirs in closures for the same reason).

def _mon_start(code, offset, S=_S, B=_BUSY, ids=_M.ids, ident=_get_ident,
               getframe=_getframe, api=_API, DISABLE=getattr(_mon, "DISABLE", None),
               cur=_cur, perf=_perf_ns, raw=(None, None, None, _API)):
    """PY_START of a registered code object: _start(info, None, None, frame,
    api, True), written out here (it runs at every call)."""
    try:
        if not S.on:
            return DISABLE
        if B and ident() in B:
            return None  # the runtime formatting a value: no span (as the wrappers)
        info = ids.get(id(code))
        if info is None:
            return None
        if info.counting:
            info.untimed += 1  # (see _count_only)
            return None
        parent = cur.get()
        cap = info.cap
        if cap:
            n = info.calls + 1
            info.calls = n
            if n > cap:
                if n > info.untimed_from and _count_only(info):
                    info.calls = n - 1
                    info.untimed += 1
                    return None
                # (the frame is taken when the call ends, if its arguments are needed)
                # (a host: a call over the limit, _HOST, or one written in
                # full, False; a quiet span made current by a wrapper, True,
                # has no _SP_TID)
                if parent is not None and parent[_SP_QUIET] is not True:
                    if parent[_SP_TID] == ident():  # (see _SP_NEST)
                        nest = parent[_SP_NEST]
                        if nest is None:
                            nest = parent[_SP_NEST] = []
                        nest.append((info, perf()))
                        return None
                sp = [info, None, None, parent, None, 0, perf(), None, False, None, _HOST,
                      raw, None, None, 0, None, ident()]
                sp[_SP_TOK] = cur.set(sp)
                return None
        if parent is None:
            qt = None
            qp = "null"
            if S.seek and "opentelemetry.trace" in _modules:
                S.hook = True
        else:
            if parent[_SP_NEST]:
                parent = _nested_parent(parent)
            qt = parent[_SP_QT]
            qp = parent[_SP_QS]
            if qp is None:
                qp = _ids(parent)
                qt = parent[_SP_QT]
        frame = getframe(1)
        one = info.one
        try:
            if one is not None:
                if one[1]:
                    a = one[0] + _QREDACTED + "}"
                else:
                    getvar = api.getvar
                    v = frame.f_locals[one[2]] if getvar is None else getvar(frame, one[2])
                    if type(v) is int and -1000000000000000000 < v < 1000000000000000000:
                        a = f'{one[0]}"{v}"}}'
                    else:
                        a = one[0] + _val(info.cfg, v) + "}"
            else:
                a = _fmt_locals(info, frame, api.getvar)
        except Exception:
            a = "{}"
        qs = '"%x"' % next(_IDS)
        if qt is None:
            qt = _TRACE_HEAD + qs[1:]
        t0 = _perf_ns()
        sp = [info, qt, qs, qp, a, t0 + _WALL_OFFSET, t0, None, False, None, False, None, None,
              None, 0, None, ident()]
        sp[_SP_TOK] = _cur.set(sp)
        if S.hook:
            _bridge_start(sp, parent, True)
    except Exception:
        pass
    return None


# A plain function's PY_START and its PY_RETURN or PY_UNWIND come in pairs,
# nested, in one thread and one context (it cannot suspend), and its span
# is the current one from the first to the second: the span to end is the
# current span if it is one of this code's. Its PY_START made none when
# the runtime was busy (then it still is) or telemetry was off; a span of
# the same code then current is that of a call further out, which is left
# to its own end.

def _mon_return(code, offset, value, B=_BUSY, ident=_get_ident, cur=_cur, finish=_finish,
                getframe=_getframe, api=_API, perf=_perf_ns):
    try:
        t1 = perf()
        sp = cur.get()
        if sp is None or (B and ident() in B):
            return
        nest = sp[_SP_NEST]  # (a list only in a call over the limit that is current)
        if nest and nest[-1][0].code is code:
            e = nest.pop()  # a call over the limit nested in sp, never current (see _SP_NEST)
            info = e[0]
            t0 = e[1]
            quiet = True
        else:
            info = sp[_SP_INFO]
            if info.code is not code or sp[_SP_TOK] is None:
                return
            e = None
            t0 = sp[_SP_T0]
            quiet = sp[_SP_QUIET]
        if quiet:
            # _finish(sp, 1, value) of a call over the limit, written out:
            # counted, and kept (its arguments read from its frame, still
            # there) if it is among the slowest.
            d = t1 - t0
            if e is None:
                tok = sp[_SP_TOK]
                sp[_SP_TOK] = None
                try:
                    cur.reset(tok)
                except Exception:
                    pass
            n = info.omitted + 1
            info.omitted = n
            info.omitted_ns += d
            if d > info.omitted_max_ns:
                info.omitted_max_ns = d
            if n == 1:
                _OMITTED[info] = None
            if d > info.slow_min:
                _slow(info, sp if e is None else _nested_span(sp, e), d,
                      (None, None, getframe(1), api), 1, value)
            return
        info, qt, qs, qp, args, start, t0, counts, over, wt, quiet, raw, tok, _, _, _, _ = sp
        if wt or over:
            finish(sp, 1, value)
            return
        # _finish(sp, 1, value), written out for the usual case (this runs at
        # every call): a call recorded in full, with no pending while loop
        # and no event over the per-span cap.
        sp[_SP_TOK] = None
        try:
            cur.reset(tok)
        except Exception:
            pass
        if type(value) is int and -1000000000000000000 < value < 1000000000000000000:
            ret = f'"{value}"'  # _val's first fast path, without the call
        else:
            ret = _val(info.cfg, value)
        tid = ident()
        pt = _TAILS.get(tid) or _tail(tid)
        line = (f'{{"v":1,"type":"span","trace_id":{qt},"span_id":{qs},"parent_id":{qp},'
                f'{info.static}"start_unix_ns":{start},"duration_ns":{t1 - t0},"args":{args},'
                f'"return":{ret},"status":"ok","exception":null{pt}}}\n')
        w = _W
        buf = w.buf
        buf.append(line)
        if w.eager and qp == "null":
            _flush()
        elif len(buf) > _FLUSH_LINES or t1 >= w.due:
            _flush_due(w)
    except Exception:
        pass


def _mon_unwind(code, offset, exc, B=_BUSY, ident=_get_ident, cur=_cur, finish=_finish,
                getframe=_getframe, api=_API, perf=_perf_ns, M=_M):
    try:
        sp = cur.get()
        if sp is None or (B and ident() in B):
            if M.counting and sp is None:
                _unwind_untimed(code, exc)
            return
        nest = sp[_SP_NEST]
        if nest and nest[-1][0].code is code:
            # A call over the limit nested in sp, not made current (see
            # _SP_NEST): its span is made only if it is written (made for
            # each failing call, it would cost a walk of the nest each).
            e = nest.pop()
            info = e[0]
            t0 = e[1]
            quiet = True
        else:
            info = sp[_SP_INFO]
            if info.code is not code or sp[_SP_TOK] is None:
                if M.counting and info.code is not code:
                    _unwind_untimed(code, exc)
                return
            e = None
            t0 = sp[_SP_T0]
            quiet = sp[_SP_QUIET]
        if quiet and info.failed >= info.cfg.max_fail:
            # _finish(sp, 0, exc) of a call over the limit once
            # max_failures_per_function are written, written out (a parser
            # that backtracks by raising fails at most of its calls):
            # counted, and kept if among the slowest.
            d = perf() - t0
            if e is None:
                tok = sp[_SP_TOK]
                sp[_SP_TOK] = None
                try:
                    cur.reset(tok)
                except Exception:
                    pass
            n = info.omitted + 1
            info.omitted = n
            info.omitted_ns += d
            if d > info.omitted_max_ns:
                info.omitted_max_ns = d
            if n == 1:
                _OMITTED[info] = None
            _count_exc(info, exc)
            if d > info.slow_min:
                _slow(info, sp if e is None else _nested_span(sp, e), d,
                      (None, None, getframe(1), api), 0, exc)
            return
        if e is not None:
            sp = _nested_span(sp, e)  # from here on, as a call that was current
        if quiet:
            sp[_SP_RAW] = (None, None, getframe(1), api)  # its arguments, if written
        finish(sp, 0, exc)
    except Exception:
        pass


def _count_only(info, current_frames=sys._current_frames):
    """Make the calls of info's function only counted from now on, from its
    call starting now (its PY_START calls this), once
    runtime.max_timed_calls_per_function of its calls over
    max_spans_per_function have been timed: True when done. Not while
    another call of it is under way in any thread (a recursive function's):
    one written in full must still write its points, and its PY_RETURN must
    still come. It is tried again after a sixteenth of those calls more.

    A call only counted costs its PY_START callback and little else: its
    function's PY_RETURN is no longer watched, it is not timed, has no span,
    and is not current, so what it calls has its caller's span as parent.
    Its points write nothing (as in any call over the limit): the lines of
    the function's own code are in its module's _ql, which they look at. It
    is counted when it fails (by its PY_UNWIND, which is global:
    _unwind_untimed), and is never written."""
    code = info.code
    tool = _M.tool
    if code is None or not tool:
        return False
    try:
        starting = _getframe(2)  # (_mon_start's caller: the call starting)
        # Counting first, then one snapshot of every thread's stack: a call
        # that another thread starts in between is only counted, and one
        # already under way is in the snapshot.
        info.counting = True
        frames = current_frames()
        for f in frames.values():
            while f is not None:
                if f.f_code is code and f is not starting:
                    info.counting = False
                    info.untimed_from = info.calls + (info.cfg.max_timed >> 4)
                    return False
                f = f.f_back
        frames = f = None
        # (only now: a recursive function is tried again and again)
        quiet = _quiet_lines(code, info.line)
        ql = info.mod._ql
        if any(line in ql for line in quiet):
            raise ValueError("lines taken")  # (cannot be: each line is one code's)
        _mon.set_local_events(tool, code, _mon.events.PY_START)
    except Exception:
        info.counting = False
        info.untimed_from = _NEVER  # (timed, as before)
        return False
    ql.update(quiet)
    info.quiet = quiet
    _M.counting += 1
    _OMITTED[info] = None
    return True


def _quiet_lines(code, def_line):
    """{line: None or code} of the points of `code` (a function whose `def`
    is on def_line): the lines its own statements start on, below the def
    line (the enclosing scope's code runs on that one and on the
    decorators'); None where no other code's statements can start, else
    `code` (where a nested function, lambda or comprehension has lines: a
    point there is this function's only when it runs in its frame)."""
    own = _code_lines(code)
    # A point's line is its statement's first line, which may have no
    # instruction of its own: every line from the first to the last.
    quiet = dict.fromkeys(range(max(min(own), def_line + 1), max(own) + 1))
    for c in _nested_codes(code):
        lines = _code_lines(c)
        for line in range(min(lines), max(lines) + 1):
            if line in quiet:
                if line in own:
                    quiet[line] = code
                else:
                    del quiet[line]
    return quiet


def _quiet_at(ql, line, getframe=_getframe, none=_NO):
    """True when the point at `line`, in a module whose _ql is `ql`, runs in
    a call only counted (see _count_only). The point's caller is two frames
    up, looked at only on a line shared with nested code: _in_undriven's
    check of the frame at every point cost a call only counted, with five
    points, half as much again (1.5 µs to 2.3 µs on CPython 3.13: the
    frame object is made for it)."""
    c = ql.get(line, none)
    return c is None or (c is not none and getframe(2).f_code is c)


def _stop_counting(info):
    """Undo _count_only (a forked child counts afresh)."""
    info.counting = False
    if _M.tool and info.code is not None:
        _mon_watch(_M.tool, info.code)
    ql = info.mod._ql
    for line in info.quiet:
        ql.pop(line, None)
    info.quiet = ()
    _M.counting -= 1


def _unwind_untimed(code, exc):
    """PY_UNWIND of a code object that is not the current span's: a call
    only counted (see _count_only) that failed is counted by exception type."""
    info = _M.ids.get(id(code))
    if info is not None and info.counting:
        _count_exc(info, exc)


def _nested_span(host, entry):
    """The span of `entry`, a call over the limit timed on host's _SP_NEST
    (see there) instead of being made current, taken off it: made now if it
    was not yet (see _nested_parent), for what writes it (a failure, one of
    the slowest)."""
    if len(entry) == 3:
        return entry[2]
    return _untaken_span(entry[0], _nested_parent(host), entry[1])


def _nested_parent(host):
    """The innermost call on host's _SP_NEST, as the parent of a span that
    starts in it: each call there gets its span (quiet, its ids given only
    if needed), with the one it is nested in as parent, so that what is
    written names the call it was made from. Host's own span when the nest
    is another thread's (a context copied into a thread)."""
    if host[_SP_TID] != _get_ident():
        return host
    nest = host[_SP_NEST] or ()
    parent = host
    for k, e in enumerate(nest):
        if len(e) == 2:
            e = nest[k] = (e[0], e[1], _untaken_span(e[0], parent, e[1]))
        parent = e[2]
    return parent


def _untaken_span(info, parent, t0):
    """A quiet span that was never current (no token, nothing to put back)."""
    return [info, None, None, parent, None, 0, t0, None, False, None, True,
            (None, None, None, _API), None, None, 0, None, None]


# ---------------------------------------------------------------- wrappers

# Wrappers are generated with the exact signature of the wrapped function:
# a generator, coroutine or async generator called with bad arguments then
# fails at the call (as it did) and not at the first step, and decorators
# that read the signature from the code object (`__code__.co_argcount`,
# `co_varnames`, as sympy's do) or change `__kwdefaults__` (networkx's) see
# what they would have seen. Signatures that cannot be written out get the
# generic (*args, **kwargs) shape.
_TEMPLATES = {
    "function": '''
    def _ctinject_wrapper(%(params)s):
        __tracebackhide__ = True
        if not __ct_S.on or __ct_S.gc or (__ct_B and __ct_id() in __ct_B):
            try:
                return __ct_f(%(call)s)
            except __ct_BE as __ct_x:
                __ct_skip(__ct_x)
                raise
        __ct_sp = __ct_start(__ct_i, %(tup)s, %(dctn)s, None, None, True)
        try:
            __ct_r = __ct_f(%(call)s)
        except __ct_BE as __ct_x:
            __ct_fin(__ct_sp, 0, __ct_x)
            __ct_skip(__ct_x)
            raise
        __ct_fin(__ct_sp, 1, __ct_r)
        return __ct_r
''',
    "generator": '''
    def _ctinject_wrapper(%(params)s):
        __tracebackhide__ = True
        try:
            if __ct_S.on and not __ct_S.gc and not (__ct_B and __ct_id() in __ct_B):
                return (yield from __ct_drive(__ct_i, __ct_f, %(tup)s, %(dct)s))
            return (yield from __ct_f(%(call)s))
        except __ct_BE as __ct_x:
            __ct_skip(__ct_x)
            raise
''',
    "coroutine": '''
    async def _ctinject_wrapper(%(params)s):
        __tracebackhide__ = True
        try:
            if __ct_S.on and not __ct_S.gc and not (__ct_B and __ct_id() in __ct_B):
                return await __ct_Step(__ct_drive(__ct_i, __ct_f, %(tup)s, %(dct)s))
            return await __ct_f(%(call)s)
        except __ct_BE as __ct_x:
            __ct_skip(__ct_x)
            raise
''',
    "async_generator": '''
    async def _ctinject_wrapper(%(params)s):
        __tracebackhide__ = True
        try:
            __ct_g = __ct_f(%(call)s)
            __ct_sp = None
            if __ct_S.on and not __ct_S.gc and not (__ct_B and __ct_id() in __ct_B):
                __ct_sp = __ct_start(__ct_i, %(tup)s, %(dctn)s, None, None, False)
            __ct_v = __ct_e = __ct_w = None
            # What is being yielded: taken out before the yield, so that it is not
            # kept alive while the generator is suspended.
            __ct_y = []
            while True:
                __ct_s = 0
                try:
                    if __ct_e is None:
                        __ct_w = __ct_g.asend(__ct_v)
                    else:
                        __ct_w = __ct_g.athrow(__ct_e)
                    if __ct_sp is None:
                        __ct_y.append(await __ct_w)
                    else:
                        __ct_y.append(await __ct_Step(__ct_steps(__ct_w, __ct_sp)))
                    __ct_s = 1
                except __ct_SAI:
                    __ct_s = 2
                finally:
                    __ct_e = __ct_w = __ct_v = None
                    if __ct_s == 0 and __ct_sp is not None:
                        __ct_finx(__ct_sp)
                if __ct_s == 2:
                    if __ct_sp is not None:
                        __ct_fin(__ct_sp, 2, None)
                    return
                try:
                    __ct_v = yield __ct_y.pop()
                except __ct_GE:
                    if __ct_sp is None:
                        await __ct_g.aclose()
                    else:
                        __ct_s = 0
                        try:
                            await __ct_Step(__ct_steps(__ct_g.aclose(), __ct_sp))
                            __ct_s = 1
                        finally:
                            if not __ct_s:
                                __ct_finx(__ct_sp)
                        __ct_fin(__ct_sp, 2, None)
                    raise
                except __ct_BE as __ct_x:
                    __ct_untb(__ct_x)
                    __ct_e = __ct_x
        except __ct_BE as __ct_x:
            __ct_skip(__ct_x)
            raise
''',
}

_FACTORY_HEAD = ("def __ct_factory(__ct_f, __ct_i, __ct_S, __ct_B, __ct_id, __ct_drive, __ct_Step,"
                 " __ct_steps, __ct_start, __ct_fin, __ct_finx, __ct_SAI, __ct_GE, __ct_BE,"
                 " __ct_skip, __ct_untb):")
_FACTORY_TAIL = "    return _ctinject_wrapper\n"
_FACTORIES = {}
_KEYWORDS = frozenset((
    "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class",
    "continue", "def", "del", "elif", "else", "except", "finally", "for", "from", "global",
    "if", "import", "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise",
    "return", "try", "while", "with", "yield"))


def _ok_name(n):
    return (type(n) is str and n.isidentifier() and n not in _KEYWORDS
            and not n.startswith("__ct_") and n != "__tracebackhide__")


def _shape(info):
    """(params, call, tup, dct) source fragments for the exact signature, or None."""
    pos = info.pos
    names = list(pos) + list(info.kwonly)
    if info.varargs is not None:
        names.append(info.varargs)
    if info.varkw is not None:
        names.append(info.varkw)
    if not all(_ok_name(n) for n in names) or len(set(names)) != len(names):
        return None
    ndef = len(info.defaults or ())
    kwd = info.kwdefaults or {}
    params = []
    npos = len(pos)
    for j, n in enumerate(pos):
        params.append(n + "=None" if j >= npos - ndef else n)
        if j == info.nposonly - 1:
            params.append("/")
    if info.varargs is not None:
        params.append("*" + info.varargs)
    elif info.kwonly:
        params.append("*")
    for n in info.kwonly:
        params.append(n + "=None" if n in kwd else n)
    if info.varkw is not None:
        params.append("**" + info.varkw)
    call = list(pos)
    tup = "(" + "".join(n + ", " for n in pos)
    if info.varargs is not None:
        call.append("*" + info.varargs)
        tup += "*" + info.varargs + ", "
    tup += ")"
    call.extend("%s=%s" % (n, n) for n in info.kwonly)
    dct = "{" + "".join("%r: %s, " % (n, n) for n in info.kwonly)
    if info.varkw is not None:
        call.append("**" + info.varkw)
        dct += "**" + info.varkw + ", "
    dct += "}"
    return ", ".join(params), ", ".join(call), tup, dct


_GENERIC_SHAPE = ("*__ct_a, **__ct_k", "*__ct_a, **__ct_k", "__ct_a", "__ct_k")


def _factory(kind, shape):
    key = (kind,) + shape
    fac = _FACTORIES.get(key)
    if fac is None:
        params, call, tup, dct = shape
        src = _FACTORY_HEAD + _TEMPLATES[kind] % {
            "params": params, "call": call, "tup": tup, "dct": dct,
            # the keyword arguments for _start alone (no dict when none)
            "dctn": "None" if dct == "{}" else dct,
        } + _FACTORY_TAIL
        ns = {"__builtins__": __builtins__, "__name__": __name__}
        exec(compile(src, "<ctinject wrapper>", "exec"), ns)
        fac = ns["__ct_factory"]
        if len(_FACTORIES) < 10000:
            _FACTORIES[key] = fac
    return fac


def _exact(f, info, kind):
    """The wrapper of f with f's own signature (see _TEMPLATES)."""
    shape = None
    try:
        shape = _shape(info)
    except Exception:
        shape = None
    fac = None
    if shape is not None:
        try:
            fac = _factory(kind, shape)
        except Exception:
            shape = fac = None
    if fac is None:
        fac = _factory(kind, _GENERIC_SHAPE)
    w = fac(f, info, _S, _BUSY, _get_ident, _drive, _Step, _steps, _start, _finish,
            _finish_exc, StopAsyncIteration, GeneratorExit, BaseException, _skip, _untb)
    if shape is not None:
        w.__defaults__ = f.__defaults__
        w.__kwdefaults__ = f.__kwdefaults__
    if f.__code__.co_flags & _CO_ITERABLE_COROUTINE:
        w = types.coroutine(w)
    _HIDDEN.add(w.__code__)
    return w


# A def run many times (a nested function, a closure made per call) makes
# a function each time, all with one code object: their calls are counted
# together against max_spans_per_function, as from sys.monitoring (which
# knows code objects only). Not when defaults differ (a generic wrapper
# reads them).
_INFOS = weakref.WeakKeyDictionary()  # code object -> _Info


def _info_of(mod, f, line, kind):
    code = f.__code__
    shared = f.__defaults__ is None and f.__kwdefaults__ is None
    if shared:
        info = _INFOS.get(code)
        if info is not None and info.mod is mod and info.kind == kind and info.line == line \
                and info.static == _static(mod, f, info.line, kind):
            return info
    info = _Info(mod, f, line, kind)
    if shared:
        _INFOS[code] = info
    return info


def _make(mod, f, line):
    flags = f.__code__.co_flags
    if flags & _CO_ASYNC_GENERATOR:
        kind = "async_generator"
    elif flags & _CO_COROUTINE:
        kind = "coroutine"
    elif flags & _CO_GENERATOR:
        kind = "generator"
    else:
        kind = "function"
    info = _info_of(mod, f, line, kind)
    w = _exact(f, info, kind)
    functools.update_wrapper(w, f)
    return w


def _wrap(mod, f, line):
    """A wrapper of the same kind as f that records a span per call; f itself
    when its spans come from sys.monitoring (a plain function on CPython
    3.12+), or when it cannot be wrapped faithfully (not a Python function)
    or is one of ours already."""
    try:
        t = type(f)
        if t is _FunctionType:
            if f.__code__ in _HIDDEN or _mon_register(mod, f, line):
                return f
            return _make(mod, f, line)
        if t is staticmethod or t is classmethod:
            inner = f.__func__
            if type(inner) is _FunctionType and inner.__code__ not in _HIDDEN:
                if _mon_register(mod, inner, line):
                    return f
                return t(_make(mod, inner, line))
    except Exception:
        pass
    return f


def _deco(mod, line, d):
    def _ctinject_deco(f):
        __tracebackhide__ = True
        return d(_wrap(mod, f, line))
    return _ctinject_deco


_HIDDEN.add(_deco(None, 0, None).__code__)


# ---------------------------------------------------------------- point events

def _head(typ, mod, st, line):
    return ('{"v":1,"type":"%s","time_unix_ns":%d,"trace_id":%s,"span_id":%s,"file":%s,"line":%d,'
            % (typ, _wall_ns(), st[_SP_QT], st[_SP_QS], mod._qf, line))


class _Site(object):
    """One variable of one line (`var` events), one arm of one branch point
    (`branch`), one loop (`loop`) or one exception handler (`exception`) of
    one Module: what its lines hold that does not change, how a span
    reports the events it did not write, and the events of the process that
    went over max_events_per_site_per_process."""
    __slots__ = ("kind", "mod", "line", "name", "mid", "red", "sup", "cap", "left", "omitted",
                 "last", "iterations", "most", "mute", "extra")

    def __init__(self, kind, mod, line, name, mid, red, sup):
        cfg = mod._c
        self.kind = kind  # "var", "branch", "loop" or "exception"
        self.mod = mod
        self.line = line  # the line (var, exception), the branch point or the loop's site
        self.name = name  # the variable (var), the arm (branch), the loop's kind (loop)
        self.mid = mid    # the line's keys from "file" to the value (var) or arm (branch)
        self.red = red    # var: the name is redacted
        self.sup = sup    # the span's `suppressed` entry, without its count and "}"
        self.cap = cfg.max_site  # events written per span (var, branch)
        self.mute = None  # the span in which this site is over cap (see _mute)
        self.extra = 0    # its events there since
        self.reset()
        _SITES.append(self)

    def take(self):
        """One more event of this site in the process: True when it is to
        be written; past max_events_per_site_per_process, counted for the
        summary event at exit instead (see omit), and False."""
        left = self.left
        if left:
            if left > 0:
                self.left = left - 1
            return True
        self.omit()
        return False

    def omit(self):
        n = self.omitted = self.omitted + 1
        if n == 1:
            _OMITTED_SITES[self] = None

    def reset(self):
        # Events the process may still write (max_events_per_site_per_process,
        # or _NO_LIMIT); the rest are counted in one event at exit.
        self.left = self.mod._c.max_proc or _NO_LIMIT
        self.omitted = 0
        # var: the value of the last omitted event (an int as it is);
        # exception: {type name: count} of the omitted ones.
        self.last = None
        self.iterations = 0  # loop: of the omitted runs, in all
        self.most = 0        # ... and of the longest


_NO_LIMIT = -1         # a site's `left` when it has no limit (never counted down)
_SITES = []            # every _Site, to count afresh in a forked child
_OMITTED_SITES = {}    # the _Sites with omitted events, in order


def _var_site(mod, line, name):
    """The _Site of variable `name` at `line`. mod._vs maps a line to the
    site of its first name (most lines assign one), and (line, name) to
    every site."""
    vs = mod._vs
    site = vs.get((line, name))
    if site is None:
        qn = _q(name)
        site = vs[(line, name)] = _Site(
            "var", mod, line, name,
            '"file":%s,"line":%d,"name":%s,"value":' % (mod._qf, line, qn),
            mod._c.redacted(name),
            '{"type":"var","file":%s,"line":%d,"name":%s' % (mod._qf, line, qn))
        if line not in vs:
            vs[line] = site
    return site


def _branch_site(mod, site, arm):
    s = mod._bs[arm * 4294967296 + site] = _Site(
        "branch", mod, site, arm,
        '"file":%s,"line":%d,"site":%d,"arm":%d' % (mod._qf, site, site, arm),
        False,
        '{"type":"branch","file":%s,"site":%d,"arm":%d' % (mod._qf, site, arm))
    return s


def _var(mod, line, name, value, *more):
    """`var` events: one per (name, value) pair. The Module's v()."""
    if not _S.on:
        return
    sp = _cur.get()
    if sp is None:
        sp = _root_state()
    elif sp[_SP_QUIET] or sp[_SP_NEST]:
        return
    if (_UNDRIVEN and _in_undriven(line)) or (_BUSY and _get_ident() in _BUSY) \
            or (mod._ql and _quiet_at(mod._ql, line)):
        return
    try:
        site = mod._vs.get(line)
        if site is None or site.name is not name:
            site = _var_site(mod, line, name)
        if site.mute is sp:
            site.extra += 1  # (over max_events_per_site in this span: the hot path)
        else:
            c = _count_in_span(sp, site)
            if c > site.cap:
                sp[_SP_OVER] = True
                _mute(sp, site)
            elif site.left:
                if site.left > 0:
                    site.left -= 1
                if site.red:
                    val = _QREDACTED
                elif type(value) is int and -1000000000000000000 < value < 1000000000000000000:
                    val = f'"{value}"'  # _val's first fast path, without the call
                else:
                    val = _val(mod._c, value)
                now = _perf_ns()
                tid = _get_ident()
                pt = _TAILS.get(tid) or _tail(tid)
                s = (f'{{"v":1,"type":"var","time_unix_ns":{now + _WALL_OFFSET},"trace_id":{sp[_SP_QT]},'
                     f'"span_id":{sp[_SP_QS]},{site.mid}{val}{pt}}}\n')
                w = _W
                buf = w.buf
                buf.append(s)
                if len(buf) > _FLUSH_LINES or now >= w.due:
                    _flush_due(w)
            else:
                _var_omitted(site, value)
    except Exception:
        pass
    if len(more) >= 2:  # `a, b = ...`: the next pairs, one by one
        _var(mod, line, *more)


def _count_in_span(st, site):
    """One more event of `site` in the span (or root state) `st`: returns
    how many it has had. The span's first site is counted without a dict."""
    first = st[_SP_SITE]
    if first is site:
        c = st[_SP_N] = st[_SP_N] + 1
    elif first is None:
        st[_SP_SITE] = site
        c = st[_SP_N] = 1
    else:
        counts = st[_SP_COUNTS]
        if counts is None:
            st[_SP_COUNTS] = {site: 1}
            c = 1
        else:
            c = counts.get(site, 0) + 1
            counts[site] = c
    return c


def _mute(st, site):
    """Site's events went over max_events_per_site in span (or root state)
    st: its later events there are only counted, on the site (site.extra),
    which costs no lookup in st. The count goes back to st when it ends
    (_finish) or when the site goes over the cap in another span."""
    old = site.mute
    if old is not None:
        extra = site.extra
        if old[_SP_SITE] is site:
            old[_SP_N] += extra
        else:
            old[_SP_COUNTS][site] += extra
    site.mute = st
    site.extra = 0


def _var_omitted(site, value):
    """A variable event over max_events_per_site_per_process: counted, and
    its value kept as the site's last (an int as it is, formatted at exit;
    any other value formatted now, so that nothing of the program is kept)."""
    site.omit()
    if site.red:
        site.last = _REDACTED
    elif type(value) is int and -1000000000000000000 < value < 1000000000000000000:
        site.last = value
    else:
        site.last = _fmt(site.mod._c, value)


def _branch(mod, sp, site, arm):
    """A `branch` event in the current span `sp` (or the thread's root
    state), which is not a call over max_spans_per_function."""
    if _BUSY and _get_ident() in _BUSY:
        return
    try:
        st = sp if sp is not None else _root_state()
        bs = mod._bs.get(arm * 4294967296 + site)  # (lines are under 2**32: a key per arm)
        if bs is None:
            bs = _branch_site(mod, site, arm)
        if bs.mute is st:
            bs.extra += 1
        elif _count_in_span(st, bs) > bs.cap:
            st[_SP_OVER] = True
            _mute(st, bs)
        elif bs.take():
            tid = _get_ident()
            pt = _TAILS.get(tid) or _tail(tid)
            _emit(f'{{"v":1,"type":"branch","time_unix_ns":{_wall_ns()},"trace_id":{st[_SP_QT]},'
                  f'"span_id":{st[_SP_QS]},{bs.mid}{pt}}}\n')
    except Exception:
        pass


def _loop_done(mod, st, site, kind, target, n, last):
    if st[_SP_QUIET] or st[_SP_NEST] or (_BUSY and _get_ident() in _BUSY):
        return
    ls = mod._ls.get(site)
    if ls is None:
        ls = mod._ls[site] = _Site("loop", mod, site, kind, None, False, None)
    left = ls.left
    if not left:
        # (ls.take() written out: a hot loop's runs are mostly past
        # max_events_per_site_per_process) counted for the "loops" event.
        ls.omit()
        ls.iterations += n
        if n > ls.most:
            ls.most = n
        return
    if left > 0:
        ls.left = left - 1
    tid = _get_ident()
    B = _BUSY
    B.add(tid)
    try:
        cfg = mod._c
        if last is _NO:
            ql = "null"
        elif type(target) is str and cfg.redacted(target):
            ql = _q(_REDACTED)
        else:
            ql = _q(_fmt(cfg, last))
        qtarget = _q(target) if type(target) is str else "null"
        _emit(_loop_line(mod, st, tid, kind, site, n, qtarget, ql))
    except Exception:
        pass
    finally:
        B.discard(tid)


def _loop_gen(mod, st, site, target, it):
    __tracebackhide__ = True
    n = 0
    last = _NO
    try:
        for item in it:
            n += 1
            # Reported as `last` at the end. A tuple is kept as a copy, and
            # the item is let go before the next one is fetched: enumerate,
            # zip and dict.items reuse their result tuple only while nobody
            # else holds it, and a new tuple each time left the old one, with
            # its items, alive in the iterator (more-itertools' lifecycle tests).
            last = (*item,) if type(item) is tuple else item
            yield item
            item = None
    except BaseException as e:
        _loop_done(mod, st, site, "for", target, n, last)
        _skip(e)  # the iterator's error, with no entry of this frame
        raise
    _loop_done(mod, st, site, "for", target, n, last)


_HIDDEN.add(_loop_gen.__code__)


class _ALoop(object):
    """Async iterator over another one that counts items; writes its loop event
    when exhausted, on error, or when dropped (break)."""
    __slots__ = ("_it", "_next", "mod", "st", "site", "target", "n", "last", "done")

    def __init__(self, mod, st, site, target, it, anext):
        self._it = it
        self._next = anext
        self.mod = mod
        self.st = st
        self.site = site
        self.target = target
        self.n = 0
        self.last = _NO
        self.done = False

    def __aiter__(self):
        return self

    async def __anext__(self):
        __tracebackhide__ = True
        try:
            # As `async for` does: look __anext__ up on the type at every
            # step and bind it through the descriptor protocol (it may be a
            # __slots__ member that the object reassigns).
            v = await _special(self._it, "__anext__")()
        except BaseException as e:
            self._finish()
            _skip(e)
            raise
        self.n += 1
        self.last = v
        return v

    def _finish(self):
        if not self.done:
            self.done = True
            last = self.last
            self.last = None
            _loop_done(self.mod, self.st, self.site, "async_for", self.target, self.n, last)

    def __del__(self):
        try:
            self._finish()
        except Exception:
            pass


_HIDDEN.add(_ALoop.__anext__.__code__)


def _special(obj, name):
    """obj's special method `name` bound as the interpreter binds it: looked
    up on the type (not the instance) and passed through __get__."""
    t = type(obj)
    for k in t.__mro__:
        d = k.__dict__.get(name, _NO)
        if d is not _NO:
            get = getattr(type(d), "__get__", None)
            return d if get is None else get(d, obj, t)
    return None


def _while(mod, sp, site, c):
    """One test of a while loop's condition (wt): counted in the current
    span (`sp`, or the thread's root state) until the condition is false."""
    B = _BUSY
    if B and _get_ident() in B:
        return
    st = sp if sp is not None else _root_state()
    d = st[_SP_WT]
    if d is None:
        d = st[_SP_WT] = {}
    key = (mod, site)
    if c:
        d[key] = d.get(key, 0) + 1
    else:
        _loop_done(mod, st, site, "while", None, d.pop(key, 0), _NO)


def _while_break(mod, sp, site):
    B = _BUSY
    if B and _get_ident() in B:
        return
    st = sp if sp is not None else _root_state()
    d = st[_SP_WT]
    n = d.pop((mod, site), 0) if d else 0
    _loop_done(mod, st, site, "while", None, n, _NO)


def _exc_event(mod, line, e, sp):
    """An `exception` event of handler `line` in the current span `sp` (or
    the thread's root state), which is not a call over
    max_spans_per_function."""
    tid = _get_ident()
    B = _BUSY
    if tid in B:
        return
    es = mod._es.get(line)
    if es is None:
        es = mod._es[line] = _Site("exception", mod, line, None, None, False, None)
    if not es.take():  # counted, by type, for the "exceptions" event
        if es.last is None:
            es.last = {}
        k = _exc_name(type(e))
        es.last[k] = es.last.get(k, 0) + 1
        return
    B.add(tid)
    try:
        st = sp if sp is not None else _root_state()
        _emit(_head("exception", mod, st, line)
              + '"exception":%s,"pid":%d,"tid":%d}\n' % (_exc_json(mod._c, e), _W.pid, tid))
    except Exception:
        pass
    finally:
        B.discard(tid)


# ---------------------------------------------------------------- the Module object

class _NoOpContext(object):
    """What `vwith` returns: one more item of a `with` or `async with`
    statement that does nothing on entry or exit (and never swallows an
    exception)."""

    __slots__ = ()

    def __enter__(self):
        return None

    def __exit__(self, kind, value, tb):
        return None

    async def __aenter__(self):
        return None

    async def __aexit__(self, kind, value, tb):
        return None


_NO_OP_CONTEXT = _NoOpContext()


class _Module(object):
    """The object instrumented code calls (bound to the name _ct)."""
    __slots__ = ("file", "_qf", "_vs", "_bs", "_ls", "_es", "_ql")
    _c = None  # the configuration; set by the subclass made per config

    def __init__(self, file):
        self.file = file if type(file) is str else str(file)
        self._qf = _q(self.file)
        self._vs = {}  # line and (line, name) -> _Site of `var` events (see _var_site)
        self._bs = {}  # arm * 2**32 + site -> _Site of `branch` events
        self._ls = {}  # site -> _Site of `loop` events
        self._es = {}  # line -> _Site of `exception` events
        self._ql = {}  # line -> None or code: points of calls only counted (see _quiet_lines)

    def __repr__(self):
        return "<ctinject Module %r>" % (self.file,)

    def __reduce__(self):
        return (_module_of, (self.file,))

    # -- functions
    def fn(self, line):
        mod = self

        def _ctinject_fn(f):
            return _wrap(mod, f, line)
        return _ctinject_fn

    def deco(self, line, d):
        return _deco(self, line, d)

    def late(self, line, f):
        return _wrap(self, f, line)

    lam = late  # around a lambda: the same wrapping

    def wrap(self, f, line=0):
        return _wrap(self, f, line)

    def meth(self, cls, line, name):
        """After a class statement: wraps the method `name` defined at `line`
        of the class body (a plain function, or a staticmethod or
        classmethod of one), for methods of a class written without blank
        lines, which have no line of their own for a wrapper. The class's
        attribute is replaced only by a wrapper of that very function (on
        CPython 3.12+ the function is registered with sys.monitoring and
        stays as it is); anything else is left alone."""
        try:
            if not isinstance(cls, type):
                return
            key = name
            if name.startswith("__") and not name.endswith("__"):
                key = "_" + cls.__name__.lstrip("_") + name  # mangled in the class
            f = cls.__dict__.get(key)
            t = type(f)
            inner = f.__func__ if t is staticmethod or t is classmethod else f
            if type(inner) is not _FunctionType or inner.__name__ != name \
                    or inner.__code__.co_firstlineno != line:
                return
            w = _wrap(self, f, line)
            if w is not f:
                setattr(cls, key, w)
        except Exception:
            pass

    def at(self, line, name, first=0):
        """A span from sys.monitoring (CPython 3.12+) for the function `name`
        defined at `line` of the calling module, whose code starts on line
        `first` (its first decorator; `line` when 0): for functions that no
        wrapper can reach without moving a line. The function itself is not
        touched; on older versions, or where sys.monitoring cannot be used,
        nothing is done."""
        if _mon is None:
            return
        try:
            frame = _getframe(1)
            code = _code_at(frame.f_code, first or line, name)
            if code is not None:
                f = types.SimpleNamespace(
                    __code__=code, __qualname__=getattr(code, "co_qualname", name),
                    __module__=frame.f_globals.get("__name__"))
                _mon_register(self, f, line)
        except Exception:
            pass

    # -- variables
    v = _var  # v(line, name, value, [name2, value2, ...]): the hot path, with no call between

    # Each point call below looks at the current span first: in a call over
    # max_spans_per_function (sp[_SP_QUIET], or a host's _SP_NEST not empty:
    # the call is nested in it) it records nothing, and a hot function's
    # calls are mostly such calls. Nor in a generator's or a
    # coroutine's call over that limit, which is not current (see _undriven):
    # its frame is in _UNDRIVEN.

    def vw(self, line, name, value):
        if _S.on:
            sp = _cur.get()
            if (sp is None or not (sp[_SP_QUIET] or sp[_SP_NEST])) and not (_UNDRIVEN and _in_undriven(line)) \
                    and not (self._ql and _quiet_at(self._ql, line)):
                _var(self, line, name, value)
        return value

    def vwith(self, line, name, value, *more):
        if _S.on and not (_UNDRIVEN and _in_undriven(line)) \
                and not (self._ql and _quiet_at(self._ql, line)):
            _var(self, line, name, value, *more)
        return _NO_OP_CONTEXT

    # -- branches
    def br(self, site, arm, cond):
        c = True if cond else False
        if c and _S.on:
            sp = _cur.get()
            if (sp is None or not (sp[_SP_QUIET] or sp[_SP_NEST])) and not (_UNDRIVEN and _in_undriven(site)) \
                    and not (self._ql and _quiet_at(self._ql, site)):
                _branch(self, sp, site, arm)
        return c

    def brx(self, site, arm, cond, other):
        c = True if cond else False
        if _S.on:
            sp = _cur.get()
            if (sp is None or not (sp[_SP_QUIET] or sp[_SP_NEST])) and not (_UNDRIVEN and _in_undriven(site)) \
                    and not (self._ql and _quiet_at(self._ql, site)):
                if c:
                    _branch(self, sp, site, arm)
                elif other != -1:
                    _branch(self, sp, site, other)
        return c

    def case(self, site, arm):
        if _S.on:
            sp = _cur.get()
            if (sp is None or not (sp[_SP_QUIET] or sp[_SP_NEST])) and not (_UNDRIVEN and _in_undriven(site)) \
                    and not (self._ql and _quiet_at(self._ql, site)):
                _branch(self, sp, site, arm)
        return True

    caseg = br  # a case's guard: an arm taken when it is true, like an if

    # -- loops
    def loop(self, site, target, iterable):
        it = iter(iterable)
        if not _S.on or (_BUSY and _get_ident() in _BUSY):
            return it
        if (_UNDRIVEN and _in_undriven(site)) or (self._ql and _quiet_at(self._ql, site)):
            return it
        sp = _cur.get()
        if sp is None:
            return _loop_gen(self, _root_state(), site, target, it)
        if sp[_SP_QUIET] or sp[_SP_NEST]:
            return it  # a call over max_spans_per_function: its loops are not written
        return _loop_gen(self, sp, site, target, it)

    def aloop(self, site, target, aiterable):
        t = type(aiterable)
        get = _special(aiterable, "__aiter__")
        if get is None:
            raise TypeError("'async for' requires an object with __aiter__ method, got %s"
                            % (t.__name__,))
        it = get()
        anext = _special(it, "__anext__")
        if anext is None:
            raise TypeError("'async for' received an object from __aiter__ that does not "
                            "implement __anext__: %s" % (type(it).__name__,))
        if not _S.on or (_BUSY and _get_ident() in _BUSY) or (_UNDRIVEN and _in_undriven(site)):
            return it
        sp = _cur.get()
        return _ALoop(self, sp if sp is not None else _root_state(), site, target, it, anext)

    def wt(self, site, cond):
        c = True if cond else False
        if _S.on:
            sp = _cur.get()
            # (a call over max_spans_per_function: its loops are not written)
            if (sp is None or not (sp[_SP_QUIET] or sp[_SP_NEST])) and not (_UNDRIVEN and _in_undriven(site)) \
                    and not (self._ql and _quiet_at(self._ql, site)):
                _while(self, sp, site, c)
        return c

    def lb(self, site):
        if _S.on:
            sp = _cur.get()
            if (sp is None or not (sp[_SP_QUIET] or sp[_SP_NEST])) and not (_UNDRIVEN and _in_undriven(site)) \
                    and not (self._ql and _quiet_at(self._ql, site)):
                _while_break(self, sp, site)

    # -- exceptions
    # (a call over max_spans_per_function: its handlers are not written, and
    # a parser that backtracks by raising runs them at most of its calls)
    def ex(self, line):
        if _S.on:
            sp = _cur.get()
            if (sp is None or not (sp[_SP_QUIET] or sp[_SP_NEST])) and not (_UNDRIVEN and _in_undriven(line)) \
                    and not (self._ql and _quiet_at(self._ql, line)):
                e = _exc_info()[1]
                if e is not None:
                    _exc_event(self, line, e, sp)

    def exm(self, line, types, name=None):
        if _S.on:
            sp = _cur.get()
            if (sp is None or not (sp[_SP_QUIET] or sp[_SP_NEST])) and not (_UNDRIVEN and _in_undriven(line)) \
                    and not (self._ql and _quiet_at(self._ql, line)):
                e = _exc_info()[1]
                if e is not None:
                    try:
                        m = isinstance(e, types)
                    except Exception:
                        m = False
                    if m:
                        _exc_event(self, line, e, sp)
                        if name is not None:
                            # `except E as name`: what the handler binds to `name`.
                            _var(self, line, name, e)
        return types


_CLASSES = {}


def _module_of(file):
    """A Module of this process's runtime for `file` (unpickling)."""
    return Module(file)


def _module_class(config_json):
    """The Module class for one configuration (one per distinct config text)."""
    cls = _CLASSES.get(config_json)
    if cls is None:
        cfg = _Config(config_json)
        cls = type("Module", (_Module,), {"__slots__": (), "_c": cfg, "__module__": __name__})
        _CLASSES[config_json] = cls
        # One file, one limit: the smallest that a package's configuration asks for.
        if cfg.max_bytes and (not _W.limit or cfg.max_bytes < _W.limit):
            _W.limit = cfg.max_bytes
    return cls


# ---------------------------------------------------------------- warnings stacklevel fix

def _install_warn():
    """Make warnings.warn(..., stacklevel=N) skip the runtime's own frames."""
    global _HIDDEN
    orig = warnings.warn
    shared = getattr(orig, "__ctinject_hidden__", None)
    if type(shared) is set:
        shared.update(_HIDDEN)
        _HIDDEN = shared
        return
    hidden = _HIDDEN
    getframe = sys._getframe

    def _extra(stacklevel):
        extra = 0
        try:
            f = getframe(2)
            n = stacklevel - 1
            while n > 0:
                f = f.f_back
                if f is None:
                    break
                if f.f_code in hidden:
                    extra += 1
                else:
                    n -= 1
        except Exception:
            return 0
        return extra

    if sys.version_info >= (3, 12):
        def warn(message, category=None, stacklevel=1, source=None, *, skip_file_prefixes=()):
            if type(stacklevel) is int:
                stacklevel = (stacklevel + 1 + _extra(stacklevel)) if stacklevel > 1 else 2
            return orig(message, category, stacklevel, source,
                        skip_file_prefixes=skip_file_prefixes)
    else:
        def warn(message, category=None, stacklevel=1, source=None):
            if type(stacklevel) is int:
                stacklevel = (stacklevel + 1 + _extra(stacklevel)) if stacklevel > 1 else 2
            return orig(message, category, stacklevel, source)

    try:
        functools.update_wrapper(warn, orig)
    except Exception:
        pass
    warn.__ctinject_hidden__ = hidden
    warnings.warn = warn


# ---------------------------------------------------------------- OpenTelemetry: live export and the SDK bridge

# Both are described in docs/events.md ("Live export and the OpenTelemetry
# bridge"). Live export hands the lines the writer takes out of its buffer
# to a background thread, which maps them to OTLP/HTTP JSON (as `ctinject
# trace export` maps a trace file) and posts them; the program's threads only
# append to a queue. The bridge, once the program has configured an
# OpenTelemetry SDK, starts an SDK span at each span's start (current in
# OpenTelemetry's context while a plain function runs) and ends it from the
# span's line. Neither imports anything until it is configured or found.

_EXPORT_QUEUE_LINES = 16384     # lines (spans and their events) waiting to be sent
_EXPORT_BATCH_SPANS = 512       # spans per request
_EXPORT_EVERY_S = 1.0           # a batch is sent at least this often; the buffer is taken as often
_EXPORT_PENDING_EVENTS = 8192   # point events waiting for their span's end
_EXPORT_RETRIES = 5             # retries of a batch (429, 502, 503, 504, no connection)
_EXPORT_MAX_WAIT_S = 30.0       # the longest backoff or Retry-After honoured
_RETRY_STATUSES = (429, 502, 503, 504)
_SPAN_PREFIX = '{"v":1,"type":"span",'
_POINT_TYPES = frozenset(("var", "branch", "loop", "exception"))
_OTEL_MODES = ("auto", "bridge", "export", "off")
_EXPORT_IDLE_S = 2.0           # the export thread ends after this long with nothing to do
_BRIDGE_CHECK_NS = 100000000  # nested spans look for a configured SDK this often at most


def _otel_mode(env):
    """CTINJECT_OTEL: auto (the default, and for a value it does not know),
    bridge, export or off."""
    m = env.get("CTINJECT_OTEL", "").strip().lower()
    return m if m in _OTEL_MODES else "auto"


def _otel_endpoints_apply(env):
    """Whether the OTEL_EXPORTER_OTLP_* endpoints are meant for traces:
    not with OTEL_SDK_DISABLED=true, nor when OTEL_TRACES_EXPORTER names
    exporters and `otlp` is not among them (`none`, `console`, ...)."""
    if env.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    names = env.get("OTEL_TRACES_EXPORTER", "").strip().lower()
    return not names or "otlp" in [n.strip() for n in names.split(",")]


def _otlp_traces_url(env):
    """The URL to post spans to, and the variable it came from, or (None,
    None). CTINJECT_OTLP_ENDPOINT and OTEL_EXPORTER_OTLP_ENDPOINT are base
    URLs (v1/traces is appended, unless the path already ends with it);
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is used as is. The OTEL_* ones only
    when _otel_endpoints_apply; CTINJECT_OTLP_ENDPOINT always."""
    otel = None
    for var, base in (("CTINJECT_OTLP_ENDPOINT", True),
                      ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", False),
                      ("OTEL_EXPORTER_OTLP_ENDPOINT", True)):
        if var != "CTINJECT_OTLP_ENDPOINT":
            if otel is None:
                otel = _otel_endpoints_apply(env)
            if not otel:
                break
        url = env.get(var, "").strip()
        if url:
            if base and not url.rstrip("/").endswith("/v1/traces"):
                url = url + ("v1/traces" if url.endswith("/") else "/v1/traces")
            return url, var
    return None, None


def _kv_pairs(text, unquote):
    """`k=v,k2=v2` (OTEL_EXPORTER_OTLP_HEADERS, OTEL_RESOURCE_ATTRIBUTES):
    [(key, URL-decoded value)], skipping entries without a key or `=`."""
    out = []
    for item in (text or "").split(","):
        k, eq, v = item.partition("=")
        k = k.strip()
        if eq and k:
            out.append((k, unquote(v.strip())))
    return out


def _otlp_timeout_s(env):
    for var in ("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "OTEL_EXPORTER_OTLP_TIMEOUT"):
        v = env.get(var, "").strip()
        if v:
            try:
                ms = float(v)
                if ms > 0:
                    return ms / 1000.0
            except ValueError:
                pass
    return 10.0


def _say_once(marker, text):
    """One line on standard error, once for a process and the children that
    inherit its environment."""
    try:
        if not os.environ.get(marker):
            os.environ[marker] = "1"
            os.write(2, ("ctinject: " + text + "\n").encode("ascii", "backslashreplace"))
    except Exception:
        pass


class _Export(object):
    """Live export's state: the settings, the queue (chunks of lines, as the
    writer takes them) and the counts. `url` is None when export is off."""
    __slots__ = ("url", "target", "http", "compress", "headers", "timeout", "resource",
                 "version", "accepting", "forking", "queue", "queued_lines", "lock", "wake",
                 "closing", "done", "running", "dropped", "deadline", "pending", "npending",
                 "batch", "taken", "due")

    def __init__(self):
        self.url = None
        # What the export thread uses, imported by _export_configure (the
        # thread imports nothing: a fork while it imported would leave the
        # module's import lock held in the child): (https, host, port, path
        # and query), http.client, gzip.compress.
        self.target = None
        self.http = None
        self.compress = None
        self.headers = {}
        self.timeout = 10.0
        self.resource = []      # [(key, value)] but process.pid, which is the span's pid
        self.version = None     # the ctinject version, when the configuration says it
        self.reset()

    def reset(self):
        """A new queue and thread (at start and in a forked child)."""
        self.accepting = True   # False once the bridge takes over, or after the exit flush
        self.forking = False    # in os.fork(): no thread starts (see _before_fork)
        self.queue = collections.deque()
        self.queued_lines = 0
        self.lock = threading.Lock()
        self.wake = threading.Event()     # lines were queued, or the process is exiting
        self.closing = threading.Event()  # the process is exiting: send all, by the deadline
        self.done = threading.Event()     # ... sent (or given up)
        self.running = False    # the export thread runs (it ends when idle; see _export_loop)
        self.dropped = {}       # reason -> spans not exported
        self.deadline = None    # the exit flush's end (perf counter seconds)
        # The export thread's (or the exit flush's) own: point events waiting
        # for their span's line (span id -> events), their count, the spans
        # mapped and not yet sent, the spans taken from the queue and not yet
        # sent or dropped, when the batch is due.
        self.pending = {}
        self.npending = 0
        self.batch = []
        self.taken = 0
        self.due = None


_X = _Export()


def _export_configure(env, mode):
    """Live export's settings from the environment; True when it is on."""
    x = _X
    x.url = None
    if mode not in ("auto", "export"):
        return False
    url, var = _otlp_traces_url(env)
    if url is None:
        return False
    if var != "CTINJECT_OTLP_ENDPOINT":
        proto = (env.get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "")
                 or env.get("OTEL_EXPORTER_OTLP_PROTOCOL", "")).strip().lower()
        if proto.startswith("grpc"):
            # That endpoint speaks gRPC, which the runtime does not.
            _say_once("CTINJECT_OTLP_WARNED",
                      "OTEL_EXPORTER_OTLP_PROTOCOL is grpc; the runtime sends only OTLP/HTTP "
                      "JSON, so it does not export to %s (set CTINJECT_OTLP_ENDPOINT to an "
                      "OTLP/HTTP endpoint)" % var)
            return False
    # Everything the export thread needs is imported here, on the thread
    # that configures (at the runtime's import, or in a forked child).
    from urllib.parse import unquote, urlsplit
    import gzip
    import http.client
    import encodings.idna  # (socket.getaddrinfo encodes the host name with it)
    u = urlsplit(url)
    if u.scheme == "https":
        import ssl  # (http.client has imported it, when it can be)
    path = u.path or "/"
    if u.query:
        path += "?" + u.query
    x.target = (u.scheme == "https", u.hostname, u.port, path)
    x.http = http.client
    x.compress = gzip.compress
    headers = {}
    for var in ("OTEL_EXPORTER_OTLP_HEADERS", "OTEL_EXPORTER_OTLP_TRACES_HEADERS"):
        for k, v in _kv_pairs(env.get(var, ""), unquote):
            headers[k.lower()] = v
    x.headers = headers
    x.timeout = _otlp_timeout_s(env)
    x.resource = _resource_attributes(env, unquote)
    x.version = _ctinject_version()
    x.url = url
    return True


_VERSION = [_NO]


def _ctinject_version():
    """The version of ctinject that wrote this runtime, when its
    configuration says it (key "ctinject_version"), else None."""
    v = _VERSION[0]
    if v is _NO:
        try:
            v = json.loads(_CONFIG_JSON).get("ctinject_version")
            v = v if type(v) is str and v else None
        except Exception:
            v = None
        _VERSION[0] = v
    return v


def _resource_attributes(env, unquote):
    """service.name first, then the other OTEL_RESOURCE_ATTRIBUTES pairs."""
    pairs = _kv_pairs(env.get("OTEL_RESOURCE_ATTRIBUTES", ""), unquote)
    name = env.get("OTEL_SERVICE_NAME", "").strip() or \
        next((v for k, v in pairs if k == "service.name"), "") or "unknown_service:python"
    return [("service.name", name)] + [(k, v) for k, v in pairs if k != "service.name"]


def _export_put(lines):
    """Queues lines the writer took out of its buffer (the caller holds the
    writer's lock), and starts the export thread if it is not running (but
    in os.fork()). Never waits on the network: when the queue is full, the
    chunk is dropped and its spans counted."""
    x = _X
    if not x.accepting:
        return
    with x.lock:
        if x.queued_lines >= _EXPORT_QUEUE_LINES:
            n = 0
            for line in lines:
                if line.startswith(_SPAN_PREFIX):
                    n += 1
            if n:
                x.dropped["queue full"] = x.dropped.get("queue full", 0) + n
        else:
            x.queue.append(lines)
            x.queued_lines += len(lines)
        start = not x.running and not x.forking
        if start:
            x.running = True
    x.wake.set()
    if start:
        _export_start()


def _export_start():
    """Starts the export thread (x.running is set). A bare thread: not in
    threading.enumerate(), not joined at exit, not traced by
    threading.settrace (coverage). Where it cannot start (at interpreter
    exit from CPython 3.12), the exit flush sends what was queued."""
    x = _X
    try:
        _thread.start_new_thread(_export_loop, ())
    except Exception:
        with x.lock:
            x.running = False


def _export_loop():
    """The export thread: wakes when lines are queued, and once a second to
    take what the writer buffered (an idle program's last spans). Marked
    busy while it works, so that instrumented code it might reach records
    nothing. It ends after _EXPORT_IDLE_S with nothing queued, batched or
    buffered (so that a program that forks while idle has no other thread,
    which CPython 3.12+ warns about); the next lines handed over start
    another."""
    x = _X
    w = _W
    tid = _get_ident()
    B = _BUSY
    idle = None  # since when (perf counter seconds) there was nothing to do
    try:
        while True:
            closing = x.closing.is_set()
            if not closing:
                due = x.due
                x.wake.wait(_EXPORT_EVERY_S if due is None else max(0.0, due - _perf_ns() / 1e9))
                x.wake.clear()
                closing = x.closing.is_set()
            B.add(tid)
            try:
                if not closing and w.buf and x.accepting and w.lock.acquire(False):
                    try:
                        _flush_locked(w)
                    finally:
                        w.lock.release()
                _export_work(x, closing)
                if closing:
                    x.done.set()
                    return
            finally:
                B.discard(tid)
            if x.batch or x.queue or (w.buf and x.accepting):
                idle = None
                continue
            now = _perf_ns() / 1e9
            if idle is None:
                idle = now
                continue
            if now - idle < _EXPORT_IDLE_S:
                continue
            # The next event makes the writer hand its buffer over (which
            # starts a thread), set before the last look at the buffer: a
            # line appended after that look sees it.
            w.due = 0
            with x.lock:
                if not (x.queue or x.batch or (w.buf and x.accepting) or x.closing.is_set()):
                    x.running = False
                    return
            idle = None
    except BaseException:
        x.running = False
        x.done.set()


def _export_work(x, closing):
    """Maps the queued lines and sends the batches that are full or a
    second old (every one when closing)."""
    while True:
        while len(x.batch) < _EXPORT_BATCH_SPANS:
            with x.lock:
                chunk = x.queue.popleft() if x.queue else None
                if chunk is not None:
                    x.queued_lines -= len(chunk)
            if chunk is None:
                break
            _export_map(x, chunk)
        now = _perf_ns() / 1e9
        if not x.batch:
            x.due = None
            return
        if x.due is None:
            x.due = now + _EXPORT_EVERY_S
        if not (closing or len(x.batch) >= _EXPORT_BATCH_SPANS or now >= x.due):
            return
        part = x.batch[:_EXPORT_BATCH_SPANS]
        del x.batch[:_EXPORT_BATCH_SPANS]
        reason = _export_send(part)
        x.taken -= len(part)
        if reason is not None:
            x.dropped[reason] = x.dropped.get(reason, 0) + len(part)
        x.due = None


def _point_event(line):
    """The point event (var, branch, loop, exception) of an event line, as a
    dict, when it has a span; else None. (Only the first two of a line's
    keys are fixed: `{"v":1,"type":"` is 15 characters.)"""
    if line[15:18] in ("var", "bra", "loo", "exc"):
        d = json.loads(line)
        if d["type"] in _POINT_TYPES and d.get("span_id") is not None:
            return d
    return None


def _export_map(x, lines):
    """Point events wait in x.pending for their span; a span line becomes an
    OTLP span (a JSON-ready dict) with them, in x.batch."""
    loads = json.loads
    pending = x.pending
    for line in lines:
        try:
            if line.startswith(_SPAN_PREFIX):
                d = loads(line)
                events = pending.pop(d["span_id"], ())
                x.npending -= len(events)
                x.batch.append(_otlp_span(d, events))
                x.taken += 1
            else:
                d = _point_event(line)
                if d is not None:
                    if x.npending >= _EXPORT_PENDING_EVENTS:
                        # Spans that never end keep no memory: the oldest events go.
                        x.npending -= len(pending.pop(next(iter(pending))))
                    pending.setdefault(d["span_id"], []).append(d)
                    x.npending += 1
        except Exception:
            pass


# The mapping, shared by live export and the bridge (and the same as `ctinject
# trace export`'s): attributes as [(key, str, int or bool value)].

def _span_attributes(d):
    a = [("code.function", d["name"])]
    if d.get("module") is not None:
        a.append(("code.namespace", d["module"]))
    a += [("code.filepath", d["file"]), ("code.lineno", d["line"]), ("thread.id", d["tid"]),
          ("ctinject.kind", d["kind"])]
    for k, v in (d.get("args") or {}).items():
        a.append(("ctinject.args." + k, v))
    if d.get("return") is not None:
        a.append(("ctinject.return", d["return"]))
    if "suppressed" in d:
        a.append(("ctinject.suppressed", json.dumps(d["suppressed"], separators=(",", ":"))))
    return a


def _event_attributes(e):
    a = [("code.filepath", e["file"]), ("code.lineno", e["line"])]
    t = e["type"]
    if t == "var":
        a += [("ctinject.name", e["name"]), ("ctinject.value", e["value"])]
    elif t == "branch":
        a += [("ctinject.site", e["site"]), ("ctinject.arm", e["arm"])]
    elif t == "loop":
        a += [("ctinject.site", e["site"]), ("ctinject.kind", e["kind"]),
              ("ctinject.iterations", e["iterations"])]
        if e.get("target") is not None:
            a.append(("ctinject.target", e["target"]))
        if e.get("last") is not None:
            a.append(("ctinject.last", e["last"]))
    elif t == "exception":
        a += _exception_attributes(e["exception"])
    return a


def _exception_attributes(x):
    a = [("exception.type", x["type"])]
    if x.get("message") is not None:
        a.append(("exception.message", x["message"]))
    return a


def _span_end_ns(d):
    return d["start_unix_ns"] + d["duration_ns"]


def _status_message(x):
    return x["type"] if x.get("message") is None else "%s: %s" % (x["type"], x["message"])


def _otlp_value(v):
    t = type(v)
    if t is bool:
        return {"boolValue": v}
    if t is int:
        return {"intValue": str(v)}  # 64-bit integers are strings in OTLP JSON
    return {"stringValue": v if t is str else str(v)}


def _otlp_attrs(pairs):
    return [{"key": k, "value": _otlp_value(v)} for k, v in pairs]


def _otlp_span(d, events):
    end = _span_end_ns(d)
    s = {"traceId": d["trace_id"], "spanId": d["span_id"]}
    if d.get("parent_id") is not None:
        s["parentSpanId"] = d["parent_id"]
    s.update(name=d["name"], kind=1, startTimeUnixNano=str(d["start_unix_ns"]),
             endTimeUnixNano=str(end), attributes=_otlp_attrs(_span_attributes(d)))
    evs = [{"timeUnixNano": str(e["time_unix_ns"]), "name": e["type"],
            "attributes": _otlp_attrs(_event_attributes(e))} for e in events]
    x = d.get("exception")
    if x is not None:
        evs.append({"timeUnixNano": str(end), "name": "exception",
                    "attributes": _otlp_attrs(_exception_attributes(x) + [("exception.escaped", True)])})
    if evs:
        s["events"] = evs
    if d.get("status") == "error" and x is not None:
        s["status"] = {"code": 2, "message": _status_message(x)}
    s["_pid"] = d["pid"]
    return s


def _otlp_request(spans):
    """The ExportTraceServiceRequest, as OTLP JSON: one ResourceSpans per
    process (a forked child's spans come from its own thread)."""
    x = _X
    by_pid = {}
    for s in spans:
        by_pid.setdefault(s.pop("_pid"), []).append(s)
    resource_spans = []
    for pid, group in by_pid.items():
        attrs = x.resource + [("process.pid", pid), ("telemetry.sdk.name", "ctinject"),
                              ("telemetry.sdk.language", "python")]
        if x.version:
            attrs.append(("telemetry.sdk.version", x.version))
        resource_spans.append({"resource": {"attributes": _otlp_attrs(attrs)},
                               "scopeSpans": [{"scope": {"name": "ctinject"}, "spans": group}]})
    return {"resourceSpans": resource_spans}


def _export_send(spans):
    """Posts one batch: None when it was taken, else why it was given up.
    Retries on 429, 502, 503, 504 and connection errors, with exponential
    backoff or the Retry-After asked for, never past the exit deadline
    (and, once the process exits, on those statuses only)."""
    x = _X
    if x.deadline is not None and _perf_ns() / 1e9 >= x.deadline:
        return "not sent before exit"
    # Level 1: a tenth of level 9's time, for a body about 10% larger.
    body = x.compress(json.dumps(_otlp_request(spans), separators=(",", ":")).encode("utf-8"), 1)
    delay = 1.0
    reason = None
    for attempt in range(_EXPORT_RETRIES + 1):
        status, retry_after = _export_post(body)
        if status is not None and 200 <= status < 300:
            return None
        if status is not None and status not in _RETRY_STATUSES:
            return "rejected with HTTP %d" % status
        reason = "receiver unreachable" if status is None else "HTTP %d after retries" % status
        if status is None and x.deadline is not None:
            break  # exiting: a receiver that is down or does not answer is not waited for
        wait = min(retry_after if retry_after is not None else delay, _EXPORT_MAX_WAIT_S)
        delay *= 2
        if attempt == _EXPORT_RETRIES:
            break
        if x.deadline is None:
            x.closing.wait(wait)  # cut short when the process exits
        elif _perf_ns() / 1e9 + wait >= x.deadline:
            return "not sent before exit"
        else:
            time.sleep(wait)
    return reason


def _export_post(body):
    """(HTTP status or None when there was no answer, Retry-After seconds or None).
    Imports nothing (see _Export.target)."""
    x = _X
    conn = None
    try:
        https, host, port, path = x.target
        timeout = x.timeout
        if x.deadline is not None:
            timeout = max(0.05, min(timeout, x.deadline - _perf_ns() / 1e9))
        if https:
            conn = x.http.HTTPSConnection(host, port, timeout=timeout)
        else:
            conn = x.http.HTTPConnection(host, port or 80, timeout=timeout)
        headers = {"Content-Type": "application/json", "Content-Encoding": "gzip",
                   "User-Agent": "ctinject-python"}
        headers.update(x.headers)
        conn.request("POST", path, body, headers)
        r = conn.getresponse()
        r.read()
        retry_after = None
        ra = r.getheader("Retry-After")
        if ra is not None:
            try:
                retry_after = max(0.0, float(ra))
            except ValueError:
                pass
        return r.status, retry_after
    except Exception:
        return None, None
    finally:
        if conn is not None:
            try:
                conn.close()
            except Exception:
                pass


def _export_at_exit():
    """Sends what is queued, by the export timeout at most: on the export
    thread when it runs, else here (it ended when idle, or never started:
    from CPython 3.12 no thread starts during the exit); then says once on
    standard error how many spans were not exported, and why. Nothing
    when export is off or the bridge took over."""
    x = _X
    if x.url is None or not x.accepting:
        return
    x.accepting = False
    x.deadline = _perf_ns() / 1e9 + x.timeout
    with x.lock:
        # (An idle thread ends under this lock unless closing is set.)
        running = x.running
        if running:
            x.closing.set()
    if running:
        x.wake.set()
        x.done.wait(x.timeout)
    else:
        tid = _get_ident()
        _BUSY.add(tid)
        try:
            _export_work(x, True)
        except Exception:
            pass
        finally:
            _BUSY.discard(tid)
        x.done.set()
    dropped = dict(x.dropped)
    if not x.done.is_set():
        left = x.taken
        with x.lock:
            for chunk in x.queue:
                for line in chunk:
                    if line.startswith(_SPAN_PREFIX):
                        left += 1
        if left:
            dropped["not sent before exit"] = dropped.get("not sent before exit", 0) + left
    total = sum(dropped.values())
    if total:
        try:
            os.write(2, ("ctinject: %d spans not exported to %s (%s)\n" % (
                total, x.url, ", ".join("%d %s" % (n, r) for r, n in dropped.items()))
            ).encode("ascii", "backslashreplace"))
        except Exception:
            pass


# ---------------------------------------------------------------- the bridge

class _Bridge(object):
    """The OpenTelemetry bridge (sought or on: see _State): `api` the
    opentelemetry.trace module once a configured SDK is found; `open` maps
    the span id of each span started since to (SDK span or None when it is
    not bridged, the context token to detach or None, the OpenTelemetry
    span current at its start)."""
    __slots__ = ("api", "context", "tracer", "suppress", "open", "names", "next_check")

    def __init__(self):
        self.next_check = 0  # perf counter ns: when a nested span looks for an SDK again
        self.api = None
        self.context = None
        self.tracer = None
        self.suppress = None  # opentelemetry.context's _SUPPRESS_INSTRUMENTATION_KEY
        self.open = {}
        self.names = {}  # _Info -> the function's qualified name


_BR = _Bridge()
_UNBRIDGED = (None, None, None)  # an open span that has no SDK span


def _bridge_find():
    """True once the program has configured an OpenTelemetry SDK (its
    tracer provider is not the API's default proxy or no-op one), looked
    for in sys.modules (nothing is imported); _bridge_start asks at root
    spans, and at nested ones at most ten times a second. The caller has
    the thread busy. Turning the bridge on takes the writer's lock without
    waiting: a span started while it is held (by this thread, in a signal
    handler or finalizer run inside a flush, or by another) leaves it to a
    later span."""
    api = _modules.get("opentelemetry.trace")
    if api is None:
        return False
    try:
        tp = api.get_tracer_provider()
        if isinstance(tp, (api.ProxyTracerProvider, api.NoOpTracerProvider)):
            return False
        context = _modules.get("opentelemetry.context")
        if context is None:
            return False
        tracer = tp.get_tracer("ctinject", _ctinject_version())
    except Exception:
        return False
    w = _W
    if not w.lock.acquire(False):
        return False
    try:
        br = _BR
        br.api = api
        br.context = context
        br.tracer = tracer
        br.suppress = getattr(context, "_SUPPRESS_INSTRUMENTATION_KEY", None)
        # Direct export stops here (what is buffered goes first): the SDK's
        # own exporters take the spans from now on.
        try:
            _flush_locked(w)
        except Exception:
            pass
        _X.accepting = False
        old = w.buf
        new = w.buf = _BridgeBuf()
        _S.otel = True
        _S.seek = False
        # Lines appended to the old buffer since the flush (by threads that
        # took it before the swap) go to the new one, bridged as spans that
        # ended before the bridge was on.
        rest = old[:]
        del old[:len(rest)]
        for line in rest:
            new.append(line)
    finally:
        w.lock.release()
    return True


class _BridgeBuf(list):
    """The writer's buffer while the bridge is on: each line appended is
    also handed to the bridge (a point event to its SDK span, a span line
    ends its SDK span)."""
    __slots__ = ()

    def append(self, line):
        list.append(self, line)
        tid = _get_ident()
        B = _BUSY
        # (Lines of loops and handled exceptions come with the thread busy already.)
        mine = tid not in B
        if mine:
            B.add(tid)
        try:
            if line.startswith(_SPAN_PREFIX):
                _bridge_end(json.loads(line))
            else:
                d = _point_event(line)
                if d is not None:
                    span = _BR.open.get(d["span_id"], _UNBRIDGED)[0]
                    if span is not None:
                        span.add_event(d["type"], dict(_event_attributes(d)), d["time_unix_ns"])
        except Exception:
            pass
        finally:
            if mine:
                B.discard(tid)


def _bridge_suppressed(br):
    """OpenTelemetry's context says instrumentation is suppressed: the SDK's
    span processors say so around their exporter's export() (an exporter
    that calls instrumented code would have its spans exported again, and
    so on forever)."""
    key = br.suppress
    return key is not None and bool(br.context.get_value(key))


def _bridge_start(sp, parent, enter):
    """At a span's start (telemetry on, the bridge on or sought): its SDK
    span, made current in OpenTelemetry's context when `enter` (the span is
    current while the function runs: plain functions). Its parent is the
    OpenTelemetry span current now, or its ctinject parent's SDK span when
    that one is not current (a generator's or coroutine's: not entered)
    and nothing was made current since it started."""
    B = _BUSY
    tid = _get_ident()
    B.add(tid)
    try:
        br = _BR
        if not _S.otel:
            # Sought at every root span, and at most ten times a second at
            # nested ones (a program whose main function configures the SDK).
            if parent is not None:
                t0 = sp[_SP_T0]
                if t0 < br.next_check:
                    return
                br.next_check = t0 + _BRIDGE_CHECK_NS
            if not _bridge_find():
                return
        sid = sp[_SP_QS][1:-1]
        if _bridge_suppressed(br):
            br.open[sid] = _UNBRIDGED  # (nor made at its end)
            return
        info = sp[_SP_INFO]
        name = br.names.get(info)
        if name is None:
            if len(br.names) > 10000:
                br.names.clear()
            # info.static starts with '"name":' and the name's JSON string.
            name = br.names[info] = json.decoder.scanstring(info.static, 8)[0]
        api = br.api
        outer = api.get_current_span()
        ctx = None
        if parent is not None:
            pq = parent[_SP_QS]
            o = br.open.get(pq[1:-1]) if pq is not None else None
            if o is not None and o[0] is not None and o[1] is None and o[2] is outer:
                ctx = api.set_span_in_context(o[0])
        span = br.tracer.start_span(name, context=ctx, kind=api.SpanKind.INTERNAL,
                                    start_time=sp[_SP_START])
        token = br.context.attach(api.set_span_in_context(span)) if enter else None
        br.open[sid] = (span, token, outer)
    except Exception:
        pass
    finally:
        B.discard(tid)


def _bridge_end(d):
    br = _BR
    o = br.open.pop(d["span_id"], None)
    if o is None:
        # Started before the bridge was on, or a call over
        # max_spans_per_function that failed: made now, under the current span.
        if _bridge_suppressed(br):
            return
        span, token = br.tracer.start_span(d["name"], kind=br.api.SpanKind.INTERNAL,
                                           start_time=d["start_unix_ns"]), None
    else:
        span, token = o[0], o[1]
    try:
        if span is not None:
            end = _span_end_ns(d)
            span.set_attributes(dict(_span_attributes(d)))
            x = d.get("exception")
            if x is not None:
                span.add_event("exception",
                               dict(_exception_attributes(x) + [("exception.escaped", True)]), end)
                if d.get("status") == "error":
                    span.set_status(br.api.Status(br.api.StatusCode.ERROR, _status_message(x)))
            span.end(end_time=end)
    finally:
        if token is not None:
            br.context.detach(token)


# ---------------------------------------------------------------- one state per process

_first = sys.modules.get(_REGISTRY)
if _first is not None and getattr(_first, "_module_class", None) is not None and \
        getattr(_first, "__dict__", None) is not globals():
    # A later copy (another package's _ctinject.py): use the first copy's state.
    Module = _first._module_class(_CONFIG_JSON)
else:
    Module = _module_class(_CONFIG_JSON)
    if _first is None or getattr(_first, "_module_class", None) is None:
        _me = sys.modules.get(__name__)
        if _me is None or getattr(_me, "__dict__", None) is not globals():
            _me = types.ModuleType(_REGISTRY)
            _me._module_class = _module_class
            _me.Module = Module
        sys.modules[_REGISTRY] = _me
        del _me
    _decide()
    _install_warn()
    if sys.version_info < (3, 11):
        _capi()  # for _skip, before the first exception goes through a wrapper
    if sys.version_info < (3, 12):
        gc.callbacks.append(_gc_phase)
    if hasattr(os, "register_at_fork"):
        os.register_at_fork(before=_before_fork, after_in_parent=_after_fork_parent,
                            after_in_child=_after_fork_child)
    if _mp_spawned():
        _W.eager = True
del _first
