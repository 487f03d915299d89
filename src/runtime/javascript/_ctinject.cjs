// ctinject runtime for JavaScript (generated; do not edit)
// Generated from src/runtime/typescript/_ctinject.ts by ci/gen-js-runtime: edit that file, then run it.
"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.c = exports.li = exports.b = exports.vw = exports.v = exports.ar = exports.aw = exports.e = exports.x = exports.r = exports.s = void 0;
const CONFIG_JSON = "{}";
//
// This file is the one source of ctinject's runtime for TypeScript and for
// JavaScript: ctinject writes it as _ctinject.ts beside instrumented
// TypeScript (the program's own tsc compiles it with the program), and
// ci/gen-js-runtime transpiles it into _ctinject.cjs for JavaScript.
//
// Instrumented files bind it once, as their first statement:
//
//     import * as __ct from "./_ctinject";           (TypeScript)
//     const __ct = require("../_ctinject.cjs");      (JavaScript, CommonJS)
//     import * as __ct from "../_ctinject.cjs";      (JavaScript, ES modules;
//                                                     `import __ct from` works too)
//
// and call its functions (F: the file's path from the project root):
//
//     s(F, line, name, kind, params, args): Span     a call starts (made current)
//     r(span, value): value                          it returns value
//     x(span, error)                                 it throws error
//     e(span)                                        it ends (the span is written)
//     aw(span[, value]): value                       before an await / yield
//     ar(span[, value]): value                       after it resumes
//     v(F, line, name, value, [name, value, ...])    variables assigned
//     vw(F, line, name, value): value                ... inside an expression
//     b(F, site, arm)                                a branch arm taken
//     li(F, site, kind)                              one loop iteration
//     c(F, line[, error])                            a catch handler entered
//
// The functions that pass a value through are generic (r, vw, aw, ar: <T>
// (..., value: T) => T), so that instrumented code type-checks as the
// original did; Span is an opaque handle. Each export is bound once, when
// this module loads, to the functions of the API chosen then (recording,
// or the "off" ones): a call costs one call.
//
// Telemetry is on when CTINJECT_TRACE_FILE names a file and CTINJECT_DISABLE
// is not set; events are appended to that file as JSON lines (schema:
// docs/events.md, version "v": 1, with "lang": "javascript", from
// TypeScript too: it runs as JavaScript). When it is off, every call does
// the minimum and instrumented code behaves as the original. Nothing here
// runs code of the program: no getters, no toJSON, no toString or valueOf
// of its objects, no Proxy traps, no `then`.
//
// A span is current from s() to e(), except between aw() and ar(): across
// an await or a yield the span that was current before it is put back. ar()
// on a span that is current already changes nothing, so it may also open a
// catch block after an await that rejected.
//
// Several copies of this file (and of _ctinject.cjs) may be loaded in one
// thread (one per folder of instrumented output): the first one's code
// serves them all, through a registry on globalThis, so that ids, caps and
// the trace file's buffer are shared. Each worker thread has its own: its
// own buffer and file descriptor (whole lines per write, to a file opened
// for appending), its own id prefix, and its own counts for the caps.
//
// Dependency-free, and free of global types: it type-checks under strict
// settings with or without @types/node, with any lib from es2017, and
// declares nothing global (process and the rest are reached through
// globalThis with types of its own). Node's builtin modules come from
// process.getBuiltinModule (Node.js 20.16 and later) or else from this
// module's own `require` (CommonJS output, the .cjs, jest). An ES module on
// an older Node.js has neither: there telemetry is off. The .cjs runs on
// Node.js 18 and later.
const REGISTRY = Symbol.for("ctinject.runtime.javascript.v1");
const proc = globalThis.process;
// A builtin module by name: through process.getBuiltinModule when Node.js
// has it (ES modules have no require), else this module's require.
function builtin(id) {
    const p = proc;
    if (p !== undefined && typeof p.getBuiltinModule === "function")
        return p.getBuiltinModule(id);
    if (typeof require === "function")
        return require(id);
    throw new Error("ctinject: no way to load builtin modules here");
}
// ---------------------------------------------------------------- spans, and telemetry off
// A call's span: the handle s() returns. The same shape serves as the state
// of events outside any span (`root`) and as the one handle of calls that
// record nothing (DUMMY).
class SpanState {
    constructor(info, quiet) {
        this.info = info; // the function's FnInfo (null: the dummy, a root state)
        this.quiet = quiet; // a call over max_spans_per_function (written only if it fails)
        this.dummy = false; // the shared handle that records nothing
        this.isRoot = false; // the state of events outside any span (no ids)
        // Ids are 16 hex digits: a prefix of the thread (8 digits, changed
        // rarely) and 8 more, kept apart: the prefix as a string, the rest as
        // the number they spell (in [2^28, 2^30): never 0), written into the
        // lines' bytes digit by digit (see spanOut).
        this.c8 = 0; // its id's last 8 digits (0: not given yet, a quiet span)
        this.p = ""; // ... and its prefix
        this.r8 = 0; // its trace's root span's id: last digits
        this.rp = ""; // ... and prefix
        this.pc8 = 0; // its parent's id: last digits (0: no parent)
        this.pp = ""; // ... and prefix
        this.parent = null; // a quiet span's parent SpanState, until its ids are given
        this.aj = "{}"; // the arguments as JSON object text ("": its one argument is av)
        this.av = undefined; // a lone argument that quick() takes, kept as it is (see s())
        this.args = null; // a quiet span's arguments, formatted only if needed
        this.t0 = 0; // monotonic start, ns (now())
        this.prev = null; // the span current when this one last became current
        this.st = 0; // 0 ended without return, 1 returned, 2 threw
        this.ret = undefined; // the returned value (st 1)
        this.err = undefined; // the thrown value (st 2)
        this.done = false; // written (or counted) already
        this.site1 = null; // the Site of its first var/branch event (no Map for one site)
        this.n1 = 0; // its count
        this.counts = null; // Map Site -> count of the other sites
        this.over = false; // some site went over max_events_per_site
        this.lfile = null; // its first loop: file, site, kind, iterations
        this.lsite = 0;
        this.lkind = null;
        this.ln = 0;
        this.loops = null; // the other loops: [file, site, kind, count, ...]
        this.api = null; // a root state: the tables whose files its loops use
    }
}
const DUMMY = new SpanState(null, false);
DUMMY.dummy = true;
// (the handles are SpanStates; the API's type calls them Span)
const DUMMY_SPAN = DUMMY;
// The API when telemetry is off: each call the least it can be.
function offS() { return DUMMY_SPAN; }
function offValue(_sp, v) { return v; }
function offNone() { }
function offVw(_file, _line, _name, value) { return value; }
const OFF = { s: offS, r: offValue, x: offNone, e: offNone, aw: offValue,
    ar: offValue, v: offNone, vw: offVw, b: offNone, li: offNone, c: offNone };
const API_NAMES = Object.keys(OFF);
// ---------------------------------------------------------------- the core (one per thread)
function makeCore() {
    let on = false;
    let env = null;
    try {
        env = proc.env;
        const p = env.CTINJECT_TRACE_FILE;
        const d = String(env.CTINJECT_DISABLE || "").trim().toLowerCase();
        on = typeof p === "string" && p !== "" && !(d === "1" || d === "true" || d === "yes" || d === "on");
    }
    catch {
        on = false;
    }
    if (!on) {
        return { on: false, api() { return OFF; } };
    }
    try {
        const core = makeOnCore(env.CTINJECT_TRACE_FILE);
        if (core !== null)
            return core;
    }
    catch {
        // fall through: telemetry off (and so where no builtin can be loaded)
    }
    return { on: false, api() { return OFF; } };
}
// ---------------------------------------------------------------- text helpers
const stringify = JSON.stringify;
const NON_ASCII = /[^\x00-\x7f]/;
const NON_ASCII_ALL = /[^\x00-\x7f]/g;
const uEscape = (c) => "\\u" + (c.charCodeAt(0) + 0x10000).toString(16).slice(1);
// s as a JSON string literal in ASCII (the trace file holds ASCII only)
function q(s) {
    const r = stringify(s);
    return NON_ASCII.test(r) ? r.replace(NON_ASCII_ALL, uEscape) : r;
}
// The usual lines (a var event, a span) are put together as bytes (see
// spanOut and varOut): a string made by concatenation is a tree of pieces
// that V8 copies into one string when it is written, which costs more
// than the line's bytes (and reading such a string with charCodeAt makes
// it one piece first). The other lines are strings: their constant parts
// are joined into single flat strings ahead of time (per thread, per
// second, per function, per site).
let flatSink = 0;
function flat(str) {
    flatSink ^= str | 0; // (ToNumber makes V8 copy a string into one piece)
    return str;
}
const LE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
function piece(str) {
    const w = new Int32Array((str.length + 3) >> 2);
    const b = new Uint8Array(w.buffer);
    for (let i = 0; i < str.length; i++)
        b[i] = str.charCodeAt(i);
    return { n: str.length, w };
}
// an ASCII string's bytes
function bytes(str) {
    const b = new Uint8Array(str.length);
    for (let i = 0; i < str.length; i++)
        b[i] = str.charCodeAt(i);
    return b;
}
function redacted(cfg, name) {
    let c = cfg.redCache.get(name);
    if (c === undefined) {
        c = false;
        try {
            for (const re of cfg.red) {
                if (re.test(name)) {
                    c = true;
                    break;
                }
            }
        }
        catch {
            c = true;
        }
        if (cfg.redCache.size > 4096)
            cfg.redCache.clear();
        cfg.redCache.set(name, c);
    }
    return c;
}
// A function's facts, shared by its calls.
class FnInfo {
    constructor(api, fi, line, name, kind, params) {
        const cfg = api.cfg;
        this.cfg = cfg;
        this.api = api;
        this.file = fi.file;
        this.line = line;
        this.name = name;
        this.kind = kind;
        // the keys from "name" to "kind" (a `calls` event's), and the same
        // between "parent_id" and the start time (a span's)
        this.static = `"name":${q(String(name))},"module":null,"file":${fi.qf},` +
            `"line":${line | 0},"kind":${q(String(kind))},`;
        this.mid = "," + this.static + '"start_unix_ns":';
        this.sec = null; // the second of ms
        this.ms = ""; // mid and that second's digits
        // A span line's bytes up to its duration, with room for its ids and
        // time, for the second tsec and the id prefix tpfx (see spanOut): of a
        // span without parent (tn) and with one (tp).
        this.tn = null;
        this.tp = null;
        this.tsec = null;
        this.tpfx = "";
        this.ah = null; // ',"args":' and the lone parameter's key (with av)
        this.tro = 0; // where the root's id goes in tn and tp
        this.tco = 0; // ... the span's own (its parent's: 8 + K_PA's length later, in tp)
        // [JSON key with "{" or "," before it, redacted, rest parameter]
        const names = typeof params === "string" && params !== ""
            ? params.split(",").map((x) => x.trim()).filter((x) => x !== "") : [];
        this.keys = names.map((n, i) => {
            const rest = n.startsWith("...");
            const bare = rest ? n.slice(3) : n;
            return [(i ? "," : "{") + q(bare) + ":", redacted(cfg, bare), rest];
        });
        this.nkeys = this.keys.length;
        this.hasRest = this.keys.some((k) => k[2]);
        this.cap = cfg.maxCalls;
        this.calls = 0;
        this.omitted = 0;
        this.omittedNs = 0;
        this.omittedMaxNs = 0;
        this.slow = []; // [duration ns, JSON object text], slowest first
        this.slowMin = cfg.slowest ? -1 : Infinity;
        this.failed = 0;
        this.omittedFailed = 0;
        this.omittedExc = new Map();
    }
}
// A site of point events: a variable, a branch arm, a loop, a handler.
class Site {
    constructor(api, kind, fi, line, name, mid, red, sup) {
        const cfg = api.cfg;
        this.kind = kind; // "var", "branch", "loop", "exception"
        this.fi = fi;
        this.cfg = cfg;
        this.line = line | 0;
        this.name = name; // var: the variable; branch: the arm; loop: its kind
        this.mid = mid === null ? null : flat(mid); // its keys from ',"file"' to the value (var), arm (branch)...
        this.midQ = mid === null ? null : flat('"' + mid);
        this.red = red;
        this.sup = sup; // the span's `suppressed` entry without its count
        // a var event's line up to its value, with room for its time and ids,
        // for the second vsec and the id prefix vpfx, its time at vo (see varOut)
        this.vt = null;
        this.vsec = null;
        this.vpfx = "";
        this.vo = 0;
        this.vro = 0; // ... the root's id at vro, the span's at vco
        this.vco = 0;
        this.cap = cfg.maxSite;
        this.left = cfg.maxProc || -1; // events the process may still write; -1: no limit
        this.omitted = 0;
        this.last = null; // var: the last omitted value's text; exception: Map type -> count
        this.iterations = 0;
        this.most = 0;
    }
}
// a value already formatted (a site's last omitted value)
class Formatted {
    constructor(text) {
        this.text = text;
    }
}
class FileInfo {
    constructor(file, qf) {
        this.file = file;
        this.qf = qf;
        this.vs = new Map(); // line -> Site of its first variable
        this.vsn = null; // "line name" -> Site, for lines of several variables
        this.bs = new Map(); // site -> [Site per arm]
        this.ls = new Map(); // site -> Site of the loop
        this.es = new Map(); // line -> Site of the handler
        this.fns = new Map(); // line -> FnInfo of its first function
        this.fnsn = null; // "line name kind" -> FnInfo
    }
}
function makeOnCore(tracePath) {
    const process = proc;
    const fs = builtin("fs");
    const pathMod = builtin("path");
    const util = builtin("util");
    const Buffer = builtin("buffer").Buffer;
    const performance = builtin("perf_hooks").performance;
    let threadId = 0;
    try {
        threadId = builtin("worker_threads").threadId | 0;
    }
    catch {
        threadId = 0;
    }
    // The program may replace these later (fake timers, mocks): the runtime
    // keeps the originals.
    const perfNowFn = performance.now;
    // The monotonic clock, in nanoseconds since the runtime started (a double
    // holds them exactly for 104 days): process.hrtime(), the clock of
    // performance.now() (uv_hrtime) at about half its cost (that one checks
    // its receiver), or performance.now() where there is no hrtime.
    const hrtimeFn = typeof process.hrtime === "function" ? process.hrtime : null;
    const HR_S = hrtimeFn !== null ? hrtimeFn()[0] : 0;
    const hrNow = () => {
        const h = hrtimeFn();
        return (h[0] - HR_S) * 1e9 + h[1];
    };
    const perfNow = () => Math.floor(perfNowFn.call(performance) * 1e6);
    const now = hrtimeFn !== null ? hrNow : perfNow;
    const openSync = fs.openSync;
    const writeSync = fs.writeSync;
    const fstatSync = fs.fstatSync;
    const mkdirSync = fs.mkdirSync;
    const types = util.types;
    const isProxy = types.isProxy;
    const isMap = types.isMap;
    const isSet = types.isSet;
    const isDate = types.isDate;
    const isRegExp = types.isRegExp;
    const isNativeError = types.isNativeError;
    const isTypedArray = types.isTypedArray;
    const isAnyArrayBuffer = types.isAnyArrayBuffer;
    const isBoxedPrimitive = types.isBoxedPrimitive;
    const isNumberObject = types.isNumberObject;
    const isStringObject = types.isStringObject;
    const isBooleanObject = types.isBooleanObject;
    const isBigIntObject = types.isBigIntObject;
    const isSymbolObject = types.isSymbolObject;
    const isAsyncFunction = types.isAsyncFunction;
    const isGeneratorFunction = types.isGeneratorFunction;
    const inspect = util.inspect;
    const getProto = Object.getPrototypeOf;
    const ownDesc = Object.getOwnPropertyDescriptor;
    const ownKeys = Reflect.ownKeys;
    const isArray = Array.isArray;
    const arraySlice = Array.prototype.slice;
    // BigInt is not in lib es2017: its prototype's valueOf, from the global
    const BigIntProto = globalThis.BigInt.prototype;
    const ObjectProto = Object.prototype;
    const ArrayProto = Array.prototype;
    const ErrorProto = Error.prototype;
    const fnToString = Function.prototype.toString;
    // (typed as taking any `this`: they are called on values of the program)
    const dateGetTime = Date.prototype.getTime;
    const dateISO = Date.prototype.toISOString;
    const numValueOf = Number.prototype.valueOf;
    const strValueOf = String.prototype.valueOf;
    const boolValueOf = Boolean.prototype.valueOf;
    const bigValueOf = BigIntProto.valueOf;
    const bigToString = BigIntProto.toString;
    const symValueOf = Symbol.prototype.valueOf;
    const getter = (proto, name) => {
        const d = ownDesc(proto, name);
        return d && typeof d.get === "function" ? d.get : null;
    };
    const mapSize = getter(Map.prototype, "size");
    const setSize = getter(Set.prototype, "size");
    const mapEntries = Map.prototype.entries;
    const setValues = Set.prototype.values;
    const mapIterNext = getProto(new Map().entries()).next;
    const setIterNext = getProto(new Set().values()).next;
    const reSource = getter(RegExp.prototype, "source");
    const reFlagGetters = [];
    const flagNames = [["hasIndices", "d"], ["global", "g"], ["ignoreCase", "i"], ["multiline", "m"],
        ["dotAll", "s"], ["unicode", "u"], ["unicodeSets", "v"], ["sticky", "y"]];
    for (const [n, c] of flagNames) {
        const g = getter(RegExp.prototype, n);
        if (g !== null)
            reFlagGetters.push([g, c]);
    }
    const TypedArrayProto = getProto(Uint8Array.prototype);
    const taLength = getter(TypedArrayProto, "length");
    const taTag = getter(TypedArrayProto, Symbol.toStringTag);
    const abByteLength = getter(ArrayBuffer.prototype, "byteLength");
    const BufferProto = Buffer.prototype;
    // [prototype, name getter, message getter], looked up when needed
    let domException = undefined;
    const SCHEMA_TAIL = `,"pid":${process.pid | 0},"tid":${threadId}`;
    const REDACTED = "[REDACTED]";
    const QREDACTED = '"[REDACTED]"';
    const DEFAULT_REDACT = ["passw", "secret", "token", "api_?key", "auth", "credential",
        "private_?key", "session", "cookie"];
    const WRITE_BYTES = 64 * 1024; // bytes written at once
    const FLUSH_NS = 1e9; // at least once a second when events keep coming
    const CHECK_BYTES = 1 << 20;
    const CHECK_NEAR = 16 << 20;
    const MAX_DEPTH = 6;
    const NEVER = 2 ** 52;
    // ------------------------------------------------------------ the trace file
    let path = null;
    let fd = null;
    try {
        path = pathMod.resolve(tracePath);
        try {
            fd = openSync(path, "a", 0o666);
        }
        catch {
            mkdirSync(pathMod.dirname(path), { recursive: true });
            fd = openSync(path, "a", 0o666);
        }
    }
    catch {
        fd = null;
    }
    if (fd === null) {
        try {
            if (!process.env.CTINJECT_TRACE_WARNED) {
                process.env.CTINJECT_TRACE_WARNED = "1";
                writeSync(2, `ctinject: cannot write the trace file ${path || tracePath} (CTINJECT_TRACE_FILE); ` +
                    "no telemetry is recorded\n");
            }
        }
        catch {
            // nothing to do
        }
        return null;
    }
    const fdOut = fd;
    const state = { on: true };
    const apis = []; // every api object made, to turn off at the size limit
    let limit = 0; // the trace file's size limit in bytes (0: none)
    // The lines not written yet, as bytes (ASCII only): the usual lines are
    // put together in it from templates of bytes (see varOut and spanOut),
    // the others written into it as strings (emit).
    let out = Buffer.allocUnsafeSlow(WRITE_BYTES * 2);
    let ob = new Uint8Array(out.buffer, out.byteOffset, out.length); // (the same bytes)
    let dv = new DataView(out.buffer, out.byteOffset, out.length); // (again: two at a time)
    let outLen = 0;
    let checked = -1; // bytes written when the file's size was last checked (-1: never)
    let written = 0; // bytes this thread wrote
    let checkedAt = 0; // ... and when (now() ns)
    let due = 0; // write by this time (now() ns)
    let writing = false;
    let exiting = false;
    let busy = false; // the runtime is running code of the program (full repr), or is off: record nothing
    let cur = null; // the current span
    // At the size limit. Modules bound the API's functions when they loaded
    // (ES module exports): `busy` for good makes those record nothing; the
    // api objects get the "off" functions for whoever calls through them.
    function turnOff() {
        state.on = false;
        busy = true;
        for (const a of apis) {
            for (const k of API_NAMES)
                a[k] = OFF[k];
        }
    }
    // Room for n more bytes in `out`.
    function grow(n) {
        const bigger = Buffer.allocUnsafeSlow(Math.max(out.length * 2, outLen + n));
        out.copy(bigger, 0, 0, outLen);
        out = bigger;
        ob = new Uint8Array(out.buffer, out.byteOffset, out.length);
        dv = new DataView(out.buffer, out.byteOffset, out.length);
    }
    function flush() {
        if (writing)
            return;
        writing = true;
        try {
            due = exiting ? -Infinity : now() + FLUSH_NS;
            const n = outLen;
            outLen = 0;
            if (n === 0 || path === null)
                return;
            let data = out;
            let len = n;
            const t = now();
            if (limit && (checked < 0 || written - checked >= CHECK_BYTES || t - checkedAt >= FLUSH_NS)) {
                // The file's size, checked at the first write, then after each
                // megabyte this thread writes or a second; within CHECK_NEAR bytes
                // of the limit, at every write.
                let full = false;
                try {
                    const size = fstatSync(fdOut).size;
                    full = size >= limit;
                    checked = limit - size <= CHECK_NEAR ? -1 : written;
                    checkedAt = t;
                }
                catch {
                    full = false;
                }
                if (full) {
                    // The file stops growing here, with a line that says so, and this
                    // thread records nothing more.
                    data = Buffer.from(`{"v":1,"type":"truncated","lang":"javascript","time_unix_ns":${unixNs(t)},` +
                        `"limit_bytes":${limit}${SCHEMA_TAIL}}\n`, "latin1");
                    len = data.length;
                    path = null;
                    turnOff();
                }
            }
            written += len;
            let off = 0;
            while (off < len) {
                const w = writeSync(fdOut, data, off, len - off);
                if (!(w > 0))
                    break;
                off += w;
            }
        }
        catch {
            // never into the program
        }
        finally {
            writing = false;
        }
    }
    // A line (ASCII) at time t (now() ns), written with those before it
    // once they make WRITE_BYTES or when it is due.
    function emit(line, t) {
        const n = line.length;
        if (outLen + n > ob.length)
            grow(n);
        out.latin1Write(line, outLen, n);
        outLen += n;
        if (outLen >= WRITE_BYTES || t >= due)
            flush();
    }
    // Writing bytes at the end of `out` (the caller made room).
    // pairs of characters as the little-endian 16-bit numbers that write
    // them: a byte's two hex digits (HEX2), a number's two decimal digits (DEC2)
    const HEX2 = new Uint16Array(256);
    const DEC2 = new Uint16Array(100);
    const HEX = "0123456789abcdef";
    for (let i = 0; i < 256; i++)
        HEX2[i] = HEX.charCodeAt(i >> 4) | (HEX.charCodeAt(i & 15) << 8);
    for (let i = 0; i < 100; i++)
        DEC2[i] = (48 + ((i / 10) | 0)) | ((48 + (i % 10)) << 8);
    // 8 hex digits of x at p
    function putHex8(p, x) {
        const d = dv;
        d.setUint32(p, HEX2[x >>> 24] | (HEX2[(x >>> 16) & 255] << 16), true);
        d.setUint32(p + 4, HEX2[(x >>> 8) & 255] | (HEX2[x & 255] << 16), true);
    }
    // 9 decimal digits of n (0 <= n < 10^9) at p
    function put9(p, n) {
        n |= 0; // (int32 arithmetic from here)
        const d = dv;
        const a = (n / 10000000) | 0; // the first 2
        n -= a * 10000000;
        const b = (n / 100000) | 0; // 2 more
        n -= b * 100000;
        const c = (n / 1000) | 0; // 2 more
        n -= c * 1000;
        const e = (n / 10) | 0; // 2 more
        d.setUint32(p, DEC2[a] | (DEC2[b] << 16), true);
        d.setUint32(p + 4, DEC2[c] | (DEC2[e] << 16), true);
        ob[p + 8] = 48 + n - e * 10;
    }
    // an int32 as a JSON string literal (as qint writes it), at the end
    function putQint(n) {
        n |= 0;
        const o = ob;
        let p = outLen;
        o[p++] = 34; // "
        if (n < 0) {
            o[p++] = 45; // -
            if (n === -2147483648) {
                outLen = p;
                putStr('2147483648"');
                return;
            }
            n = -n;
        }
        outLen = p;
        putUint(n);
        o[outLen++] = 34;
    }
    // a non-negative int32's digits, at the end
    function putUint(n) {
        n |= 0; // (int32 arithmetic from here)
        const len = n < 100000 ? (n < 100 ? (n < 10 ? 1 : 2) : (n < 1000 ? 3 : n < 10000 ? 4 : 5))
            : (n < 10000000 ? (n < 1000000 ? 6 : 7) : (n < 100000000 ? 8 : n < 1000000000 ? 9 : 10));
        const d2 = dv;
        let i = outLen + len;
        outLen = i;
        while (n >= 100) {
            const h = (n / 100) | 0;
            i -= 2;
            d2.setUint16(i, DEC2[n - h * 100], true);
            n = h;
        }
        if (n >= 10)
            d2.setUint16(i - 2, DEC2[n], true);
        else
            ob[i - 1] = 48 + n;
    }
    // an ASCII string, at the end
    function putStr(str) {
        const o = ob;
        const p = outLen;
        const n = str.length;
        for (let i = 0; i < n; i++)
            o[p + i] = str.charCodeAt(i);
        outLen = p + n;
    }
    // a string (ASCII), at the end: one made of pieces is copied by V8
    // (charCodeAt would first make it one piece, at a greater cost)
    function putText(str) {
        const n = str.length;
        if (n <= 12)
            putStr(str);
        else
            outLen += out.latin1Write(str, outLen, n);
    }
    // bytes, at the end
    function putBytes(b) {
        ob.set(b, outLen);
        outLen += b.length;
    }
    // a short piece, at the end, four bytes at a time (cheaper than set()
    // for a few words; it writes up to 3 bytes past its end: room for them)
    function putPiece(pc) {
        const d = dv;
        const w = pc.w;
        const p = outLen;
        for (let i = 0; i < w.length; i++)
            d.setInt32(p + (i << 2), w[i], LE);
        outLen = p + pc.n;
    }
    // ------------------------------------------------------------ clocks, ids, line pieces
    const END = flat(SCHEMA_TAIL + "}\n"); // a point event's line's end
    const END_OK = flat(',"status":"ok","exception":null' + END); // ... a span's that returned
    const K_NULLIDS = ',"trace_id":null,"span_id":null';
    const K_DUR = ',"duration_ns":';
    const K_ARGS = ',"args":';
    const K_RET = ',"return":';
    const END_P = piece(END);
    const END_OK_B = bytes(END_OK);
    const K_ARGS_P = piece(K_ARGS);
    const K_RET_P = piece(K_RET);
    const K_ARET_P = piece("}" + K_RET);
    const K_PA_LEN = 8 + '","parent_id":"'.length + 8; // from a span's id to its parent's (see newPrefix)
    const K_DUR_LEN = K_DUR.length + 9; // from a span's start time to the end of tn, tp
    const Z8 = "00000000"; // room for 8 digits
    const Z9 = "000000000";
    // Integers as text from tables of three digits: V8's own conversion keeps
    // each result in a cache that the garbage collector copies at each young
    // collection (half a megabyte: a sixth of the time of a call that writes
    // two lines).
    const D3 = []; // "0" to "999"
    const P3 = []; // "000" to "999"
    for (let i = 0; i < 1000; i++) {
        D3.push(String(i));
        P3.push(String(i + 1000).slice(1));
    }
    // a non-negative integer below 10^9 (anything else through String())
    function itoa(n) {
        if (n < 1000 && n >= 0 && n === (n | 0))
            return D3[n];
        if (n !== (n | 0) || n < 0 || n >= 1000000000)
            return String(n);
        if (n < 1000000) {
            const h = (n / 1000) | 0;
            return D3[h] + P3[n - h * 1000];
        }
        const h = (n / 1000000) | 0;
        const m = n - h * 1000000;
        const k = (m / 1000) | 0;
        return D3[h] + P3[k] + P3[m - k * 1000];
    }
    // an int32 as a JSON string literal ("-0" is not one)
    function qint(n) {
        return n >= 0 ? '"' + itoa(n) + '"' : (n === -2147483648 ? '"-2147483648"' : '"-' + itoa(-n) + '"');
    }
    // Wall-clock nanoseconds from the monotonic clock: the wall-clock time
    // at now() = 0 (performance.timeOrigin plus performance.now() at a now()
    // reading, taken once), split into whole seconds and nanoseconds (a
    // double cannot hold a nanosecond count since 1970). A time is written
    // as the second's digits (joined to the constant before them, once a
    // second) and nine more.
    const origin = performance.timeOrigin;
    const originMs = Math.floor(origin);
    const perf0 = perfNowFn.call(performance);
    const mono0 = now();
    const perf1 = perfNowFn.call(performance);
    const originNs = (originMs % 1000) * 1e6 + Math.round((origin - originMs) * 1e6) +
        Math.round((perf0 + perf1) * 5e5) - mono0;
    const originCarry = Math.floor(originNs / 1e9);
    const ORIGIN_SEC = Math.floor(originMs / 1000) + originCarry;
    const ORIGIN_NS = originNs - originCarry * 1e9;
    let secLo = 1; // ns since the origin where secStr's second starts
    let secHi = 0; // ... and ends
    let secStr = "";
    // the heads of point events' lines, up to the time's last nine digits
    let K_VT = "";
    let K_BT = "";
    let K_LT = "";
    let K_ET = "";
    function setSecond(n) {
        const total = ORIGIN_NS + n;
        const rem = total % 1e9;
        secStr = String(ORIGIN_SEC + (total - rem) / 1e9);
        secLo = n - rem;
        secHi = secLo + 1e9;
        const head = '{"v":1,"type":"';
        const tail = '","lang":"javascript","time_unix_ns":' + secStr;
        K_VT = flat(head + "var" + tail);
        K_BT = flat(head + "branch" + tail);
        K_LT = flat(head + "loop" + tail);
        K_ET = flat(head + "exception" + tail);
    }
    // The last nine digits of time t (now() ns), as a number; secStr holds the others.
    function lowNs(t) {
        if (t < secLo || t >= secHi)
            setSecond(t);
        return t - secLo;
    }
    // ... as text
    function timeLow(t) {
        const low = lowNs(t);
        const h = (low / 1000000) | 0;
        const m = low - h * 1000000;
        const k = (m / 1000) | 0;
        return P3[h] + P3[k] + P3[m - k * 1000];
    }
    function unixNs(t) {
        const low = timeLow(t);
        return secStr + low;
    }
    function durNs(t0, t1) {
        const d = t1 - t0;
        return d > 0 ? (d < 2147483648 ? itoa(d) : String(d)) : "0";
    }
    // A span id: the thread's prefix (8 random hex digits) and a counter in
    // [2^28, 2^30) (8 hex digits, from a random start); when the counter runs
    // out, a new random prefix. A trace id is 16 random hex digits of the
    // thread followed by its root span's id. The program's Math.random is
    // never used.
    const randomFillSync = builtin("crypto").randomFillSync;
    const H2 = [];
    for (let i = 0; i < 256; i++)
        H2.push((i + 256).toString(16).slice(1));
    const rnd = new Uint32Array(2);
    function hex8(x) {
        return H2[x >>> 24] + H2[(x >>> 16) & 255] + H2[(x >>> 8) & 255] + H2[x & 255];
    }
    randomFillSync(rnd);
    const TRACE16 = hex8(rnd[0]) + hex8(rnd[1]);
    let PFX = "";
    let ctr = 0;
    // the constant pieces that hold the prefix
    let K_SH = ""; // a span's line, to its root's last digits
    let K_SI = ""; // ... from there to its own last digits
    let K_PA = ""; // ... from there to its parent's last digits
    let K_PN = ""; // ... or to the function's keys, for a root span
    let K_TR = ""; // a point event's trace_id, to the root's last digits
    function newPrefix() {
        randomFillSync(rnd);
        PFX = hex8(rnd[0]);
        ctr = 0x10000000 + (rnd[1] & 0x07ffff00);
        K_SH = flat('{"v":1,"type":"span","lang":"javascript","trace_id":"' + TRACE16 + PFX);
        K_SI = flat('","span_id":"' + PFX);
        K_PA = flat('","parent_id":"' + PFX);
        K_PN = '","parent_id":null';
        K_TR = flat(',"trace_id":"' + TRACE16 + PFX);
    }
    newPrefix();
    // the last 8 digits of a new id, as the number they spell
    function nextC8() {
        let c = ++ctr;
        if (c >= 0x40000000) {
            newPrefix();
            c = ctr;
        }
        return c;
    }
    // ids as JSON literals (the general case; the lines' fast paths write bytes)
    function qsOf(sp) {
        return sp.isRoot || sp.c8 === 0 ? "null" : '"' + sp.p + hex8(sp.c8) + '"';
    }
    function qtOf(sp) {
        return sp.isRoot || sp.c8 === 0 ? "null" : '"' + TRACE16 + sp.rp + hex8(sp.r8) + '"';
    }
    function qpOf(sp) {
        return sp.pc8 === 0 ? "null" : '"' + sp.pp + hex8(sp.pc8) + '"';
    }
    // Gives a quiet span (and first its quiet ancestors) its ids.
    function ids(sp) {
        const chain = [];
        let x = sp;
        while (x !== null && x.c8 === 0) {
            chain.push(x);
            x = x.parent;
        }
        for (let i = chain.length - 1; i >= 0; i--) {
            const y = chain[i];
            const p = y.parent;
            y.c8 = nextC8();
            y.p = PFX;
            if (p === null) {
                y.r8 = y.c8;
                y.rp = PFX;
            }
            else {
                y.r8 = p.r8;
                y.rp = p.rp;
                y.pc8 = p.c8;
                y.pp = p.p;
            }
            y.parent = null;
        }
    }
    // The keys of a point event from "trace_id" to the site's (site.mid:
    // from ',"file"'; site.midQ: the same after the span id's closing quote).
    function idsMid(st, site) {
        if (st.isRoot)
            return K_NULLIDS + site.mid;
        if (st.p === PFX && st.rp === PFX)
            return K_TR + hex8(st.r8) + K_SI + hex8(st.c8) + site.midQ;
        return ',"trace_id":' + qtOf(st) + ',"span_id":' + qsOf(st) + site.mid;
    }
    // ------------------------------------------------------------ configuration
    function intKey(d, k, dflt, min) {
        const v = d[k];
        return typeof v === "number" && Number.isSafeInteger(v) && v >= min ? v : dflt;
    }
    function makeConfig(text) {
        let d = {};
        try {
            const j = JSON.parse(text);
            if (j !== null && typeof j === "object" && !isArray(j))
                d = j;
        }
        catch {
            d = {};
        }
        const cfg = {
            cap: intKey(d, "value_cap", 200, 1),
            maxSite: intKey(d, "max_events_per_site", 16, 0),
            maxProc: intKey(d, "max_events_per_site_per_process", 200, 0),
            slowest: intKey(d, "slowest_calls", 5, 0),
            maxCalls: intKey(d, "max_spans_per_function", 200, 0),
            maxFail: intKey(d, "max_failures_per_function", 100, 0) || NEVER,
            maxBytes: intKey(d, "max_trace_bytes", 1000000000, 0),
            full: d["repr"] === "full",
            red: [],
            redCache: new Map(),
        };
        const redact = d["redact"];
        const pats = isArray(redact) ? redact : DEFAULT_REDACT;
        for (const p of pats) {
            if (typeof p !== "string" || p === "")
                continue;
            try {
                // The syntax common to Python's re and Rust's regex; an inline
                // (?i) is implied, (?P<name> is JavaScript's (?<name>.
                cfg.red.push(new RegExp(p.replace(/^\(\?i\)/, "").replace(/\(\?P</g, "(?<"), "i"));
            }
            catch {
                // fail closed: redact every value rather than none
                cfg.red.push(/(?:)/);
            }
        }
        return cfg;
    }
    // ------------------------------------------------------------ values
    const BUILTIN_ERRORS = /^(?:Error|TypeError|RangeError|SyntaxError|ReferenceError|EvalError|URIError|AggregateError)$/;
    // Printable ASCII but ' " and \: a string that needs no escaping, in its
    // single-quoted form or in JSON.
    const PLAIN = /^[\x20\x21\x23-\x26\x28-\x5b\x5d-\x7e]*$/;
    const IDENT = /^[A-Za-z_$][\w$]*$/;
    const ESC = /[\x00-\x1f\x7f'\\]/g;
    const ESC_MAP = { "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f",
        "\v": "\\v", "'": "\\'", "\\": "\\\\" };
    function escChar(c) {
        const m = ESC_MAP[c];
        return m !== undefined ? m : "\\x" + c.charCodeAt(0).toString(16).padStart(2, "0");
    }
    function strRepr(v, room) {
        if (v.length > room)
            v = v.slice(0, room);
        return "'" + v.replace(ESC, escChar) + "'";
    }
    function numStr(v) {
        return v === 0 && 1 / v < 0 ? "-0" : String(v);
    }
    // (no bigint literals: they need target ES2020)
    function bigStr(v) {
        const hex = bigToString.call(v, 16);
        const sign = hex.charCodeAt(0) === 45 ? 1 : 0; // "-"
        if (hex.length - sign > 750) { // at least 2^3000
            const bits = (hex.length - sign - 1) * 4 + parseInt(hex[sign], 16).toString(2).length;
            return `<bigint with ${bits} bits>`;
        }
        return String(v) + "n";
    }
    function keyStr(k) {
        if (typeof k === "symbol")
            return "[" + String(k) + "]";
        return IDENT.test(k) ? k : strRepr(k, 1000);
    }
    // An own data property's value, or undefined (no getter runs).
    function ownData(o, k) {
        const d = ownDesc(o, k);
        return d !== undefined && "value" in d ? d.value : undefined;
    }
    function fnName(f) {
        if (isProxy(f))
            return "";
        const n = ownData(f, "name");
        return typeof n === "string" ? n : "";
    }
    // The name of an object's class, from the first `constructor` data
    // property up its prototype chain, without running any of its code.
    function ctorName(o) {
        let p = o;
        for (let i = 0; i < 64; i++) {
            if (isProxy(p))
                return "Proxy";
            p = getProto(p);
            if (p === null)
                return "Object";
            if (isProxy(p))
                return "Proxy";
            const c = ownData(p, "constructor");
            if (typeof c === "function") {
                const n = fnName(c);
                if (n)
                    return n;
            }
        }
        return "Object";
    }
    function hasProto(o, target) {
        let p = o;
        for (let i = 0; i < 64; i++) {
            if (isProxy(p))
                return false;
            p = getProto(p);
            if (p === null)
                return false;
            if (p === target)
                return true;
        }
        return false;
    }
    // A prototype like this realm's Object.prototype (another realm's: a vm
    // context, a jest test file).
    function isObjectProto(p) {
        if (p === ObjectProto)
            return true;
        if (isProxy(p) || getProto(p) !== null)
            return false;
        const c = ownData(p, "constructor");
        return typeof c === "function" && fnName(c) === "Object";
    }
    function isExact(_o, p, name) {
        // o's prototype p is the builtin `name`'s (of any realm)
        if (isProxy(p))
            return false;
        const c = ownData(p, "constructor");
        if (typeof c !== "function" || fnName(c) !== name)
            return false;
        const pp = getProto(p);
        return pp !== null && !isProxy(pp) && isObjectProto(pp);
    }
    function fnStr(f) {
        const n = fnName(f) || "(anonymous)";
        let kind = "Function";
        try {
            if (isAsyncFunction(f)) {
                kind = isGeneratorFunction(f) ? "AsyncGeneratorFunction" : "AsyncFunction";
            }
            else if (isGeneratorFunction(f)) {
                kind = "GeneratorFunction";
            }
            else {
                const src = fnToString.call(f);
                if (src.startsWith("class") && /^class[\s{]/.test(src))
                    return `[class ${n}]`;
            }
        }
        catch {
            // keep "Function"
        }
        return `[${kind} ${n}]`;
    }
    function dateStr(v) {
        const t = dateGetTime.call(v);
        return t === t ? dateISO.call(v) : "Invalid Date";
    }
    function regexpStr(v) {
        let flags = "";
        for (const [g, c] of reFlagGetters) {
            try {
                if (g.call(v))
                    flags += c;
            }
            catch {
                // not a flag this regexp knows
            }
        }
        return "/" + reSource.call(v) + "/" + flags;
    }
    // type and message of a thrown value, read without running its code
    function errParts(cfg, e) {
        const t = typeof e;
        if (e === null)
            return ["null", "null"];
        if (t !== "object" && t !== "function") {
            return [t, t === "string" ? e : fmt(cfg, e)];
        }
        if (isProxy(e))
            return ["Proxy", "<Proxy>"];
        let type = ownData(e, "name");
        const cname = ctorName(e);
        if (typeof type !== "string" || type === "")
            type = cname;
        let msg;
        const md = ownDesc(e, "message");
        if (md !== undefined) {
            if (!("value" in md))
                msg = "[Getter]";
            else
                msg = typeof md.value === "string" ? md.value : fmt(cfg, md.value);
        }
        else if (cname === "DOMException") {
            const dx = domEx();
            if (dx !== null && getProto(e) === dx[0]) {
                type = String(dx[1].call(e));
                msg = String(dx[2].call(e));
            }
            else {
                msg = "";
            }
        }
        else if (isNativeError(e) || hasProto(e, ErrorProto)) {
            msg = "";
        }
        else {
            msg = fmt(cfg, e);
        }
        return [type, msg];
    }
    function domEx() {
        if (domException === undefined) {
            domException = null;
            try {
                const D = globalThis.DOMException;
                const n = getter(D.prototype, "name");
                const m = getter(D.prototype, "message");
                if (n !== null && m !== null)
                    domException = [D.prototype, n, m];
            }
            catch {
                domException = null;
            }
        }
        return domException;
    }
    function capStr(s, cap) {
        return s.length <= cap ? s : (cap > 3 ? s.slice(0, cap - 3) + "..." : s.slice(0, cap));
    }
    function excJson(cfg, e) {
        let type = "?";
        let msg = "";
        try {
            const p = errParts(cfg, e);
            type = p[0];
            msg = p[1];
        }
        catch {
            msg = "<unprintable>";
        }
        if (typeof type !== "string")
            type = "?";
        if (typeof msg !== "string")
            msg = "<unprintable>";
        return `{"type":${q(type)},"message":${q(capStr(msg, cfg.cap))}}`;
    }
    // What full mode shows of an object that safe mode shows by class.
    function fullRepr(_cfg, v, room) {
        const was = busy;
        busy = true;
        try {
            const r = inspect(v, { depth: 2, getters: false, customInspect: false, showProxy: true,
                maxArrayLength: 50, maxStringLength: room, breakLength: Infinity, compact: true,
                colors: false, showHidden: false });
            return typeof r === "string" ? r : `<${ctorName(v)} object>`;
        }
        catch {
            let n = "Object";
            try {
                n = ctorName(v);
            }
            catch {
                n = "Object";
            }
            return `<repr failed: ${n} object>`;
        }
        finally {
            busy = was || !state.on;
        }
    }
    // The recorded text of v, at most about `room` characters (the caller cuts).
    function rec(cfg, v, depth, room, seen) {
        if (room < 1)
            room = 1;
        switch (typeof v) {
            case "string": return strRepr(v, room);
            case "number": return numStr(v);
            case "boolean": return v ? "true" : "false";
            case "undefined": return "undefined";
            case "bigint": return bigStr(v);
            case "symbol": return String(v);
            case "function": return isProxy(v) ? "<Proxy>" : fnStr(v);
            default: break;
        }
        if (v === null)
            return "null";
        const o = v;
        if (isProxy(o))
            return "<Proxy>";
        const p = getProto(o);
        let kind = 0; // 1 array, 2 plain object, 3 Map, 4 Set
        if (isArray(o)) {
            if (p === ArrayProto || (p !== null && !isProxy(p) && isArray(p)))
                kind = 1;
        }
        else if (p === null || p === ObjectProto || isObjectProto(p)) {
            kind = 2;
        }
        else if (isMap(o)) {
            if (isExact(o, p, "Map"))
                kind = 3;
        }
        else if (isSet(o)) {
            if (isExact(o, p, "Set"))
                kind = 4;
        }
        if (kind === 0)
            return other(cfg, o, p, depth, room, seen);
        if (seen !== null && seen.includes(o))
            return "[Circular]";
        let open, close, size = 0;
        if (kind === 1) {
            open = "[";
            close = "]";
            size = o.length;
        }
        else if (kind === 2) {
            open = "{";
            close = "}";
        }
        else if (kind === 3) {
            size = mapSize.call(o);
            open = `Map(${size}) {`;
            close = "}";
        }
        else {
            size = setSize.call(o);
            open = `Set(${size}) {`;
            close = "}";
        }
        if (depth >= MAX_DEPTH)
            return open + "..." + close;
        if (seen === null)
            seen = [];
        seen.push(o);
        try {
            const parts = [];
            let used = open.length + close.length;
            let more = false;
            if (kind === 1) {
                for (let i = 0; i < size; i++) {
                    if (used >= room) {
                        more = true;
                        break;
                    }
                    const d = ownDesc(o, i);
                    let s;
                    if (d === undefined)
                        s = "<empty>";
                    else if (!("value" in d))
                        s = accessorStr(d);
                    else
                        s = rec(cfg, d.value, depth + 1, room - used, seen);
                    parts.push(s);
                    used += s.length + 2;
                }
            }
            else if (kind === 2) {
                const keys = ownKeys(o);
                for (let i = 0; i < keys.length; i++) {
                    const k = keys[i];
                    const d = ownDesc(o, k);
                    if (d === undefined || !d.enumerable)
                        continue;
                    if (used >= room) {
                        more = true;
                        break;
                    }
                    const ks = keyStr(k);
                    let xs;
                    if (typeof k === "string" && redacted(cfg, k))
                        xs = REDACTED;
                    else if (!("value" in d))
                        xs = accessorStr(d);
                    else
                        xs = rec(cfg, d.value, depth + 1, room - used - ks.length - 2, seen);
                    const s = ks + ": " + xs;
                    parts.push(s);
                    used += s.length + 2;
                }
            }
            else {
                const it = kind === 3 ? mapEntries.call(o) : setValues.call(o);
                const next = kind === 3 ? mapIterNext : setIterNext;
                for (;;) {
                    const r = next.call(it);
                    if (r.done)
                        break;
                    if (used >= room) {
                        more = true;
                        break;
                    }
                    let s;
                    if (kind === 3) {
                        const e = r.value;
                        const k = e[0];
                        const ks = rec(cfg, k, depth + 1, room - used, seen);
                        const xs = typeof k === "string" && redacted(cfg, k) ? REDACTED
                            : rec(cfg, e[1], depth + 1, room - used - ks.length - 4, seen);
                        s = ks + " => " + xs;
                    }
                    else {
                        s = rec(cfg, r.value, depth + 1, room - used, seen);
                    }
                    parts.push(s);
                    used += s.length + 2;
                }
            }
            if (more)
                parts.push("...");
            return open + parts.join(", ") + close;
        }
        finally {
            seen.pop();
        }
    }
    function accessorStr(d) {
        return d.get !== undefined ? (d.set !== undefined ? "[Getter/Setter]" : "[Getter]") : "[Setter]";
    }
    function other(cfg, v, p, _depth, room, _seen) {
        if (isDate(v) && isExact(v, p, "Date"))
            return dateStr(v);
        if (isRegExp(v) && isExact(v, p, "RegExp"))
            return regexpStr(v);
        if (isNativeError(v) && p !== null && !isProxy(p)) {
            // a builtin error class's own instance (not a subclass's)
            const c = ownData(p, "constructor");
            if (typeof c === "function" && BUILTIN_ERRORS.test(fnName(c))) {
                const parts = errParts(cfg, v);
                return parts[1] ? `[${parts[0]}: ${parts[1]}]` : `[${parts[0]}]`;
            }
        }
        if (isTypedArray(v) && (p === BufferProto || isExactTyped(p))) {
            const a = v;
            const n = taLength.call(v);
            const tag = taTag.call(v);
            const parts = [];
            let used = 0;
            let i = 0;
            if (p === BufferProto) {
                for (; i < n && used < room; i++) {
                    parts.push((a[i] + 256).toString(16).slice(1));
                    used += 3;
                }
                return "<Buffer" + (n ? " " : "") + parts.join(" ") + (i < n ? " ..." : "") + ">";
            }
            for (; i < n && used < room; i++) {
                const x = a[i];
                const s = typeof x === "bigint" ? String(x) + "n" : numStr(x);
                parts.push(s);
                used += s.length + 2;
            }
            return `${tag}(${n}) [` + parts.join(", ") + (i < n ? (n ? ", ..." : "...") : "") + "]";
        }
        if (isAnyArrayBuffer(v) && isExact(v, p, "ArrayBuffer")) {
            return `ArrayBuffer { byteLength: ${abByteLength.call(v)} }`;
        }
        if (isBoxedPrimitive(v)) {
            if (isNumberObject(v) && isExact(v, p, "Number"))
                return `[Number: ${numStr(numValueOf.call(v))}]`;
            if (isStringObject(v) && isExact(v, p, "String")) {
                return `[String: ${strRepr(strValueOf.call(v), room)}]`;
            }
            if (isBooleanObject(v) && isExact(v, p, "Boolean"))
                return `[Boolean: ${boolValueOf.call(v)}]`;
            if (isBigIntObject(v) && isExact(v, p, "BigInt"))
                return `[BigInt: ${bigStr(bigValueOf.call(v))}]`;
            if (isSymbolObject(v) && isExact(v, p, "Symbol"))
                return `[Symbol: ${String(symValueOf.call(v))}]`;
        }
        if (cfg.full)
            return fullRepr(cfg, v, room);
        return `<${ctorName(v)} object>`;
    }
    function isExactTyped(p) {
        if (isProxy(p) || getProto(p) !== TypedArrayProto)
            return false;
        const c = ownData(p, "constructor");
        return typeof c === "function" && /^(?:Big)?(?:Uint|Int|Float)(?:8|16|32|64)(?:Clamped)?Array$/.test(fnName(c));
    }
    // The recorded text of a value: at most cfg.cap characters; never throws.
    function fmt(cfg, v) {
        const cap = cfg.cap;
        let r;
        try {
            r = rec(cfg, v, 0, cap + 1, null);
        }
        catch {
            try {
                r = `<${ctorName(v)} object>`;
            }
            catch {
                r = "<unrepresentable>";
            }
        }
        if (typeof r !== "string")
            r = "<unrepresentable>";
        return capStr(r, cap);
    }
    // The recorded text of a value as a JSON string literal (fast paths first).
    function val(cfg, v) {
        switch (typeof v) {
            case "number": {
                const s = v === 0 && 1 / v < 0 ? "-0" : v === (v | 0) ? (v >= 0 ? itoa(v) : "-" + itoa(-v)) : "" + v;
                if (s.length <= cfg.cap)
                    return '"' + s + '"';
                break;
            }
            case "string":
                if (v.length <= cfg.cap - 2 && PLAIN.test(v))
                    return "\"'" + v + "'\"";
                break;
            case "boolean": return v ? '"true"' : '"false"';
            case "undefined": return '"undefined"';
            default: break;
        }
        return q(fmt(cfg, v));
    }
    // Values whose text is written without making it a string first: an
    // int32 (but -0), a short string of printable ASCII but ' " and \, a
    // boolean, undefined. Their text is val()'s (an int32's qint()'s).
    function quick(cfg, v) {
        switch (typeof v) {
            case "number": return v === (v | 0) && (v !== 0 || 1 / v > 0);
            case "string": return v.length <= cfg.cap - 2 && plain(v);
            case "boolean": return true;
            case "undefined": return true;
            default: return false;
        }
    }
    function plain(v) {
        for (let i = 0; i < v.length; i++) {
            const c = v.charCodeAt(i);
            if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x27 || c === 0x5c)
                return false;
        }
        return true;
    }
    // the text of such a value
    function quickText(v) {
        switch (typeof v) {
            case "number": return qint(v);
            case "string": return "\"'" + v + "'\"";
            case "boolean": return v ? '"true"' : '"false"';
            default: return '"undefined"';
        }
    }
    // ... at most its length
    function quickLen(v) {
        return typeof v === "string" ? v.length + 4 : 13;
    }
    // ... into `out`
    function putQuick(v) {
        switch (typeof v) {
            case "number":
                putQint(v);
                return;
            case "string": {
                const o = ob;
                let p = outLen;
                o[p++] = 34; // "
                o[p++] = 39; // '
                const n = v.length;
                for (let i = 0; i < n; i++)
                    o[p + i] = v.charCodeAt(i);
                p += n;
                o[p++] = 39;
                o[p++] = 34;
                outLen = p;
                return;
            }
            case "boolean":
                putStr(v ? '"true"' : '"false"');
                return;
            default:
                putStr('"undefined"');
        }
    }
    // ------------------------------------------------------------ functions and sites
    const omittedFns = new Set(); // FnInfos with calls not written, in order
    const omittedSites = new Set(); // Sites with events not written, in order
    const root = new SpanState(null, false); // events outside any span
    root.isRoot = true;
    // ------------------------------------------------------------ ending spans
    function argsJson(info, args) {
        const keys = info.keys;
        const cfg = info.cfg;
        if (args === null || args === undefined || typeof args !== "object") {
            return "{}";
        }
        const n = args.length | 0;
        const nk = info.nkeys;
        let out = "";
        if (nk === 1 && !info.hasRest) {
            const k = keys[0];
            out = k[0] + (k[1] ? QREDACTED : val(cfg, n > 0 ? args[0] : undefined));
        }
        else {
            const arr = isArray(args);
            for (let i = 0; i < nk; i++) {
                const k = keys[i];
                let x;
                if (k[1]) {
                    out += k[0] + QREDACTED;
                    continue;
                }
                if (k[2] && !arr)
                    x = arraySlice.call(args, i);
                else
                    x = i < n ? args[i] : undefined;
                out += k[0] + val(cfg, x);
            }
        }
        if (n > nk && !info.hasRest) {
            for (let i = nk; i < n; i++) {
                out += (out === "" ? "{" : ",") + `"arguments[${i}]":` + val(cfg, args[i]);
            }
        }
        return out === "" ? "{}" : out + "}";
    }
    function loopSite(fi, api, site, kind) {
        let ls = fi.ls.get(site);
        if (ls === undefined) {
            ls = new Site(api, "loop", fi, site, kind, `,"file":${fi.qf},"line":${site | 0},"site":${site | 0},"kind":${q(String(kind))}`, false, null);
            fi.ls.set(site, ls);
        }
        return ls;
    }
    function loopEvent(st, file, site, kind, n, t) {
        const api = st.info !== null ? st.info.api : st.api;
        if (api === undefined || api === null)
            return;
        const fi = fileOf(api, file);
        const ls = loopSite(fi, api, site, kind);
        if (ls.left === 0) {
            if (++ls.omitted === 1)
                omittedSites.add(ls);
            ls.iterations += n;
            if (n > ls.most)
                ls.most = n;
            return;
        }
        if (ls.left > 0)
            ls.left--;
        const low = timeLow(t);
        emit(`${K_LT}${low}${idsMid(st, ls)},"iterations":${n},"target":null,"last":null${END}`, t);
    }
    function loopEvents(st, t) {
        if (st.lfile !== null) {
            const file = st.lfile;
            st.lfile = null;
            try {
                loopEvent(st, file, st.lsite, st.lkind, st.ln, t);
            }
            catch {
                // (a site the program made up) the span is still written
            }
            st.ln = 0;
            st.lsite = 0;
        }
        const l = st.loops;
        if (l !== null) {
            st.loops = null;
            for (let i = 0; i < l.length; i += 4) {
                try {
                    loopEvent(st, l[i], l[i + 1], l[i + 2], l[i + 3], t);
                }
                catch {
                    // as above
                }
            }
        }
    }
    function slowCall(info, sp, d, t1) {
        if (sp.c8 === 0)
            ids(sp);
        const cfg = info.cfg;
        const args = argsJson(info, sp.args);
        const ret = sp.st === 1 ? val(cfg, sp.ret) : (sp.st === 2 ? "null" : '"undefined"');
        const exc = sp.st === 2 ? excJson(cfg, sp.err) : "null";
        const slow = info.slow;
        let i = slow.length;
        while (i && slow[i - 1][0] < d)
            i--;
        slow.splice(i, 0, [d, `{"span_id":${qsOf(sp)},"start_unix_ns":${unixNs(sp.t0)},` +
                `"duration_ns":${durNs(sp.t0, t1)},"args":${args},"return":${ret},"exception":${exc}}`]);
        const n = cfg.slowest;
        if (slow.length > n)
            slow.length = n;
        if (slow.length >= n)
            info.slowMin = slow[slow.length - 1][0];
    }
    function finish(sp, t1) {
        const info = sp.info;
        const cfg = info.cfg;
        if (sp.quiet) {
            const failed = sp.st === 2;
            if (!failed || info.failed >= cfg.maxFail) {
                const d = t1 - sp.t0;
                if (++info.omitted === 1)
                    omittedFns.add(info);
                info.omittedNs += d;
                if (d > info.omittedMaxNs)
                    info.omittedMaxNs = d;
                if (failed) {
                    info.omittedFailed++;
                    let k = "?";
                    try {
                        k = errParts(cfg, sp.err)[0];
                    }
                    catch {
                        k = "?";
                    }
                    info.omittedExc.set(k, (info.omittedExc.get(k) || 0) + 1);
                }
                if (d > info.slowMin)
                    slowCall(info, sp, d, t1);
                sp.args = sp.ret = sp.err = undefined;
                return;
            }
            // A failing call is written, its arguments read now.
            info.failed++;
            sp.aj = argsJson(info, sp.args);
            sp.args = null;
            if (sp.c8 === 0)
                ids(sp);
        }
        if (sp.lfile !== null || sp.loops !== null)
            loopEvents(sp, t1);
        let ret = null; // null: the value rv, which quick() takes
        let rv = undefined;
        let end = null; // null: END_OK
        if (sp.st === 1) {
            rv = sp.ret;
            if (!quick(cfg, rv))
                ret = val(cfg, rv);
        }
        else if (sp.st === 2) {
            ret = "null";
            end = ',"status":"error","exception":' + excJson(cfg, sp.err) + END;
        }
        else {
            ret = '"undefined"';
        }
        sp.ret = sp.err = undefined;
        if (sp.over) {
            const sup = suppressed(sp);
            if (sup !== "")
                end = (end === null ? END_OK : end).slice(0, -2) + sup + "}\n";
        }
        if (sp.p === PFX && sp.rp === PFX && (sp.pc8 === 0 || sp.pp === PFX)) {
            spanOut(sp, info, t1, ret, rv, end);
        }
        else {
            emit(spanLine(sp, info, durNs(sp.t0, t1), ret === null ? quickText(rv) : ret, end === null ? END_OK : end), t1);
        }
    }
    // A span's line, into `out` (its ids of this thread's prefix).
    function spanOut(sp, info, t1, ret, rv, end) {
        const low = lowNs(sp.t0);
        if (info.tsec !== secStr || info.tpfx !== PFX) {
            info.tsec = secStr;
            info.tpfx = PFX;
            info.tn = bytes(K_SH + Z8 + K_SI + Z8 + K_PN + info.mid + secStr + Z9 + K_DUR);
            info.tp = bytes(K_SH + Z8 + K_SI + Z8 + K_PA + Z8 + '"' + info.mid + secStr + Z9 + K_DUR);
            // (offsets computed here: the pieces' strings have several shapes in V8)
            info.tro = K_SH.length;
            info.tco = info.tro + 8 + K_SI.length;
        }
        const tpl = sp.pc8 === 0 ? info.tn : info.tp;
        const aj = sp.aj;
        // (the duration's digits, the pieces' words, the arguments, ...)
        const need = tpl.length + 24 + K_ARGS.length + K_ARET_P.n +
            (aj === "" ? info.keys[0][0].length + quickLen(sp.av) : aj.length) +
            (ret === null ? quickLen(rv) : ret.length) + (end === null ? END_OK_B.length : end.length);
        if (outLen + need > ob.length)
            grow(need);
        const p = outLen;
        ob.set(tpl, p);
        const n = tpl.length;
        putHex8(p + info.tro, sp.r8);
        const cp = p + info.tco;
        putHex8(cp, sp.c8);
        if (sp.pc8 !== 0)
            putHex8(cp + K_PA_LEN, sp.pc8);
        put9(p + n - K_DUR_LEN, low);
        outLen = p + n;
        const d = t1 - sp.t0;
        if (d > 0 && d < 2147483648)
            putUint(d);
        else
            putStr(d > 0 ? String(d) : "0");
        if (aj === "") {
            let ah = info.ah;
            if (ah === null)
                ah = info.ah = piece(K_ARGS + info.keys[0][0]);
            putPiece(ah);
            putQuick(sp.av);
            putPiece(K_ARET_P);
            sp.av = undefined;
        }
        else {
            putPiece(K_ARGS_P);
            putText(aj);
            putPiece(K_RET_P);
        }
        if (ret === null)
            putQuick(rv);
        else
            putText(ret);
        if (end === null)
            putBytes(END_OK_B);
        else
            putText(end);
        if (outLen >= WRITE_BYTES || t1 >= due)
            flush();
    }
    // A var event's line, into `out` (its span's ids of this thread's
    // prefix): its value's text, or (text null) the value v, which quick() takes.
    function varOut(st, site, text, v, t) {
        const low = lowNs(t);
        if (site.vsec !== secStr || site.vpfx !== PFX) {
            site.vsec = secStr;
            site.vpfx = PFX;
            site.vo = K_VT.length;
            site.vro = site.vo + 9 + K_TR.length;
            site.vco = site.vro + 8 + K_SI.length;
            site.vt = bytes(K_VT + Z9 + K_TR + Z8 + K_SI + Z8 + site.midQ);
        }
        const tpl = site.vt;
        const need = tpl.length + (text === null ? quickLen(v) : text.length) + END_P.n + 4;
        if (outLen + need > ob.length)
            grow(need);
        const p = outLen;
        ob.set(tpl, p);
        put9(p + site.vo, low);
        putHex8(p + site.vro, st.r8);
        putHex8(p + site.vco, st.c8);
        outLen = p + tpl.length;
        if (text === null)
            putQuick(v);
        else
            putText(text);
        putPiece(END_P);
        if (outLen >= WRITE_BYTES || t >= due)
            flush();
    }
    // The arguments' JSON text of a span that has them.
    function ajOf(sp, info) {
        return sp.aj !== "" ? sp.aj : info.keys[0][0] + quickText(sp.av) + "}";
    }
    // A span's line as text (ids of other prefixes; spanOut writes the others).
    function spanLine(sp, info, d, ret, end) {
        const low = timeLow(sp.t0);
        if (info.sec !== secStr) {
            info.sec = secStr;
            info.ms = flat(info.mid + secStr);
        }
        return `{"v":1,"type":"span","lang":"javascript","trace_id":${qtOf(sp)},"span_id":${qsOf(sp)},` +
            `"parent_id":${qpOf(sp)}${info.ms}${low}${K_DUR}${d}${K_ARGS}${ajOf(sp, info)}${K_RET}${ret}${end}`;
    }
    function suppressed(sp) {
        const entries = [];
        const add = (site, c) => {
            c -= site.cap;
            if (c > 0)
                entries.push(`${site.sup},"count":${c}}`);
        };
        if (sp.site1 !== null)
            add(sp.site1, sp.n1);
        if (sp.counts !== null)
            sp.counts.forEach((c, site) => add(site, c));
        return entries.length ? ',"suppressed":[' + entries.join(",") + "]" : "";
    }
    // ------------------------------------------------------------ exit
    function writeOmitted() {
        const t = now();
        const time = unixNs(t);
        // (forEach, not for-of: a Set's for-of needs target ES2015)
        omittedFns.forEach((info) => {
            const n = info.omitted;
            if (!n)
                return;
            const exc = [];
            info.omittedExc.forEach((c, k) => exc.push(`${q(k)}:${c}`));
            emit(`{"v":1,"type":"calls","lang":"javascript","time_unix_ns":${time},${info.static}` +
                `"recorded":${info.calls - n},"omitted":${n},"omitted_duration_ns":${Math.round(info.omittedNs)},` +
                `"omitted_max_duration_ns":${Math.round(info.omittedMaxNs)},"omitted_failed":${info.omittedFailed},` +
                `"omitted_exceptions":{${exc.join(",")}},"slowest":[${info.slow.map((x) => x[1]).join(",")}],` +
                `"pid":${process.pid | 0}}\n`, t);
            info.omitted = 0;
        });
        omittedFns.clear();
        omittedSites.forEach((site) => {
            const n = site.omitted;
            if (!n)
                return;
            const rec = site.cfg.maxProc - (site.left < 0 ? 0 : site.left);
            const fi = site.fi;
            const head = `{"v":1,"type":"${site.kind === "var" ? "vars" : site.kind === "branch" ? "branches"
                : site.kind === "loop" ? "loops" : "exceptions"}","lang":"javascript","time_unix_ns":${time},` +
                `"file":${fi.qf},"line":${site.line},`;
            let mid;
            if (site.kind === "var") {
                const last = site.last;
                mid = `"name":${q(site.name)},"recorded":${rec},"omitted":${n},"last":` +
                    (last instanceof Formatted ? q(last.text) : site.red ? q(REDACTED) : val(site.cfg, last));
            }
            else if (site.kind === "branch") {
                mid = `"site":${site.line},"arm":${site.name},"recorded":${rec},"omitted":${n}`;
            }
            else if (site.kind === "loop") {
                mid = `"site":${site.line},"kind":${q(String(site.name))},"recorded":${rec},"omitted":${n},` +
                    `"omitted_iterations":${site.iterations},"omitted_max_iterations":${site.most}`;
            }
            else {
                const tl = [];
                if (site.last !== null)
                    site.last.forEach((c, k) => tl.push(`${q(k)}:${c}`));
                mid = `"recorded":${rec},"omitted":${n},"omitted_types":{${tl.join(",")}}`;
            }
            emit(head + mid + `,"pid":${process.pid | 0}}\n`, t);
            site.omitted = 0;
        });
        omittedSites.clear();
    }
    function atExit() {
        try {
            if (state.on) {
                if (root.lfile !== null || root.loops !== null)
                    loopEvents(root, now());
                writeOmitted();
            }
        }
        catch {
            // never into the program
        }
        flush();
        exiting = true; // later events (other exit handlers) are written at once
        due = -Infinity;
    }
    // ------------------------------------------------------------ the api
    function fileOf(api, file) {
        if (file === api.lastFile)
            return api.lastFi;
        let fi = api.files.get(file);
        if (fi === undefined) {
            const name = typeof file === "string" ? file : String(file);
            fi = new FileInfo(name, q(name));
            api.files.set(file, fi);
        }
        api.lastFile = file;
        api.lastFi = fi;
        return fi;
    }
    function makeApi(configJson) {
        const cfg = makeConfig(configJson);
        if (cfg.maxBytes && (!limit || cfg.maxBytes < limit))
            limit = cfg.maxBytes;
        const A = { cfg, files: new Map(), lastFile: null, lastFi: null };
        root.api = root.api || A;
        // the last function started: most calls are of the function called last
        let lf = null;
        let ll = -1;
        let ln = null;
        let lk = null;
        let linfo = null;
        // the last variable's site
        let lvFile = null;
        let lvLine = -1;
        let lvName = null;
        let lvSite = null;
        function fnInfo(file, line, name, kind, params) {
            const fi = fileOf(A, file);
            let info = fi.fns.get(line);
            if (info === undefined || info.name !== name || info.kind !== kind) {
                const key = `${line} ${name} ${kind}`;
                if (fi.fnsn === null)
                    fi.fnsn = new Map();
                const other = info;
                info = fi.fnsn.get(key);
                if (info === undefined) {
                    info = new FnInfo(A, fi, line, name, kind, params);
                    fi.fnsn.set(key, info);
                    if (other === undefined)
                        fi.fns.set(line, info);
                }
            }
            return info;
        }
        function s(file, line, name, kind, params, args) {
            if (busy)
                return DUMMY;
            try {
                let info;
                if (line === ll && name === ln && file === lf && kind === lk) {
                    info = linfo;
                }
                else {
                    info = fnInfo(file, line, name, kind, params);
                    lf = file;
                    ll = line;
                    ln = name;
                    lk = kind;
                    linfo = info;
                }
                const parent = cur;
                const cap = info.cap;
                let sp;
                if (cap !== 0 && ++info.calls > cap) {
                    // Over the limit: its arguments are read only if it fails or is
                    // among the slowest, its ids given only if needed.
                    sp = new SpanState(info, true);
                    sp.parent = parent;
                    sp.args = args;
                }
                else {
                    sp = new SpanState(info, false);
                    const c8 = nextC8();
                    sp.c8 = c8;
                    sp.p = PFX;
                    if (parent === null) {
                        sp.r8 = c8;
                        sp.rp = PFX;
                    }
                    else {
                        if (parent.c8 === 0)
                            ids(parent);
                        sp.r8 = parent.r8;
                        sp.rp = parent.rp;
                        sp.pc8 = parent.c8;
                        sp.pp = parent.p;
                    }
                    const keys = info.keys;
                    if (info.nkeys === 1 && !info.hasRest && args !== null && typeof args === "object" && args.length === 1) {
                        const k = keys[0];
                        if (k[1]) {
                            sp.aj = k[0] + QREDACTED + "}";
                        }
                        else {
                            const v = args[0];
                            if (quick(cfg, v)) {
                                // (a primitive: written as it is now when the span ends)
                                sp.aj = "";
                                sp.av = v;
                            }
                            else {
                                sp.aj = k[0] + val(cfg, v) + "}";
                            }
                        }
                    }
                    else {
                        sp.aj = argsJson(info, args);
                    }
                }
                sp.prev = parent;
                cur = sp;
                sp.t0 = now();
                return sp;
            }
            catch {
                return DUMMY;
            }
        }
        // (sp is checked to be a handle: the runtime never throws into the program)
        function r(sp, v) {
            if (sp instanceof SpanState && !sp.dummy) {
                sp.st = 1;
                sp.ret = v;
            }
            return v;
        }
        function x(sp, err) {
            if (sp instanceof SpanState && !sp.dummy) {
                sp.st = 2;
                sp.err = err;
                sp.ret = undefined;
            }
        }
        function e(sp) {
            if (!(sp instanceof SpanState) || sp.dummy)
                return;
            const t1 = now();
            if (cur === sp)
                cur = sp.prev;
            sp.prev = null;
            if (sp.done)
                return;
            sp.done = true;
            if (busy)
                return;
            try {
                finish(sp, t1);
            }
            catch {
                // never into the program
            }
        }
        function aw(sp, v) {
            if (cur === sp && sp !== null) {
                cur = sp.prev;
                sp.prev = null;
            }
            return v;
        }
        function ar(sp, v) {
            if (cur !== sp && sp instanceof SpanState && !sp.dummy && !sp.done && !sp.isRoot) {
                sp.prev = cur;
                cur = sp;
            }
            return v;
        }
        // One more event of `site` in the span (or root state) `st`: how many
        // it has had. The span's first site is counted without a Map.
        function countInSpan(st, site) {
            if (st.site1 === site)
                return ++st.n1;
            if (st.site1 === null) {
                st.site1 = site;
                return (st.n1 = 1);
            }
            if (st.counts === null)
                st.counts = new Map();
            const c = (st.counts.get(site) || 0) + 1;
            st.counts.set(site, c);
            return c;
        }
        function varOne(st, file, line, name, value) {
            let site;
            if (line === lvLine && name === lvName && file === lvFile) {
                site = lvSite;
            }
            else {
                const fi = file === A.lastFile ? A.lastFi : fileOf(A, file);
                site = fi.vs.get(line);
                if (site === undefined || site.name !== name)
                    site = varSite(fi, line, name, site);
                lvFile = file;
                lvLine = line;
                lvName = name;
                lvSite = site;
            }
            if (countInSpan(st, site) > site.cap) {
                st.over = true;
            }
            else if (site.left !== 0) {
                if (site.left > 0)
                    site.left--;
                const val_ = site.red ? QREDACTED : quick(cfg, value) ? null : val(cfg, value);
                const t = now();
                if (st.p === PFX && st.rp === PFX) {
                    varOut(st, site, val_, value, t);
                }
                else if (val_ === null) {
                    const low = timeLow(t); // (first: it may change K_VT)
                    emit(`${K_VT}${low}${idsMid(st, site)}${quickText(value)}${END}`, t);
                }
                else {
                    const low = timeLow(t);
                    emit(`${K_VT}${low}${idsMid(st, site)}${val_}${END}`, t);
                }
            }
            else {
                if (++site.omitted === 1)
                    omittedSites.add(site);
                // the last value: a number, boolean or short string as it is
                // (formatted at exit), anything else formatted now, so that nothing
                // of the program is kept
                const ty = typeof value;
                site.last = site.red ? REDACTED
                    : ty === "number" || ty === "boolean" || ty === "undefined" || value === null ||
                        (ty === "string" && value.length <= cfg.cap) ? value : new Formatted(fmt(cfg, value));
            }
        }
        function varSite(fi, line, name, first) {
            const key = `${line} ${name}`;
            if (fi.vsn === null)
                fi.vsn = new Map();
            let site = fi.vsn.get(key);
            if (site === undefined) {
                const qn = q(String(name));
                site = new Site(A, "var", fi, line, String(name), `,"file":${fi.qf},"line":${line | 0},"name":${qn},"value":`, redacted(cfg, String(name)), `{"type":"var","file":${fi.qf},"line":${line | 0},"name":${qn}`);
                fi.vsn.set(key, site);
                if (first === undefined)
                    fi.vs.set(line, site);
            }
            return site;
        }
        function v(file, line, name, value) {
            if (busy)
                return;
            const st = cur === null ? root : cur;
            if (st.quiet)
                return;
            try {
                varOne(st, file, line, name, value);
                const n = arguments.length;
                if (n > 5) {
                    for (let i = 4; i + 1 < n; i += 2)
                        varOne(st, file, line, arguments[i], arguments[i + 1]);
                }
            }
            catch {
                // never into the program
            }
        }
        function vw(file, line, name, value) {
            if (busy)
                return value;
            const st = cur === null ? root : cur;
            if (st.quiet)
                return value;
            try {
                varOne(st, file, line, name, value);
            }
            catch {
                // never into the program
            }
            return value;
        }
        function b(file, site, arm) {
            if (busy)
                return;
            const st = cur === null ? root : cur;
            if (st.quiet)
                return;
            try {
                const fi = file === A.lastFile ? A.lastFi : fileOf(A, file);
                let arms = fi.bs.get(site);
                if (arms === undefined) {
                    arms = [];
                    fi.bs.set(site, arms);
                }
                let bs = arms[arm];
                if (bs === undefined) {
                    bs = arms[arm] = new Site(A, "branch", fi, site, arm | 0, `,"file":${fi.qf},"line":${site | 0},"site":${site | 0},"arm":${arm | 0}`, false, `{"type":"branch","file":${fi.qf},"site":${site | 0},"arm":${arm | 0}`);
                }
                if (countInSpan(st, bs) > bs.cap) {
                    st.over = true;
                }
                else if (bs.left !== 0) {
                    if (bs.left > 0)
                        bs.left--;
                    const t = now();
                    const low = timeLow(t);
                    emit(`${K_BT}${low}${idsMid(st, bs)}${END}`, t);
                }
                else if (++bs.omitted === 1) {
                    omittedSites.add(bs);
                }
            }
            catch {
                // never into the program
            }
        }
        function li(file, site, kind) {
            const st = cur === null ? root : cur;
            if (st.lsite === site && st.lfile === file) {
                st.ln++;
                return;
            }
            liSlow(st, file, site, kind);
        }
        function liSlow(st, file, site, kind) {
            if (busy || st.quiet)
                return;
            if (st === root && root.api !== A) {
                // outside spans, each config's loops are written with their own file table
                if (root.lfile !== null || root.loops !== null)
                    loopEvents(root, now());
                root.api = A;
            }
            if (st.lfile === null) {
                st.lfile = file;
                st.lsite = site;
                st.lkind = kind;
                st.ln = 1;
                return;
            }
            let l = st.loops;
            if (l === null)
                l = st.loops = [];
            for (let i = 0; i < l.length; i += 4) {
                if (l[i + 1] === site && l[i] === file) {
                    l[i + 3] = l[i + 3] + 1;
                    return;
                }
            }
            l.push(file, site, kind, 1);
        }
        function c(file, line, err) {
            if (busy)
                return;
            const st = cur === null ? root : cur;
            if (st.quiet)
                return;
            try {
                const fi = file === A.lastFile ? A.lastFi : fileOf(A, file);
                let es = fi.es.get(line);
                if (es === undefined) {
                    es = new Site(A, "exception", fi, line, null, `,"file":${fi.qf},"line":${line | 0}`, false, null);
                    fi.es.set(line, es);
                }
                if (es.left === 0) {
                    if (++es.omitted === 1) {
                        omittedSites.add(es);
                        es.last = new Map();
                    }
                    let k = "?";
                    try {
                        k = errParts(cfg, err)[0];
                    }
                    catch {
                        k = "?";
                    }
                    const types = es.last;
                    types.set(k, (types.get(k) || 0) + 1);
                    return;
                }
                if (es.left > 0)
                    es.left--;
                const t = now();
                const low = timeLow(t);
                emit(`${K_ET}${low}${idsMid(st, es)},"exception":${excJson(cfg, err)}${END}`, t);
            }
            catch {
                // never into the program
            }
        }
        // (the handles are SpanStates inside, Span outside)
        const api = { s, r, x, e, aw, ar, v, vw, b, li, c };
        apis.push(api);
        return api;
    }
    const byConfig = new Map();
    const core = {
        on: true,
        api(configJson) {
            if (!state.on)
                return OFF;
            const text = typeof configJson === "string" ? configJson : "{}";
            let api = byConfig.get(text);
            if (api === undefined) {
                api = makeApi(text);
                byConfig.set(text, api);
            }
            return api;
        },
    };
    try {
        process.on("exit", atExit);
    }
    catch {
        // no exit hook: events still go out by size and age
    }
    due = now() + FLUSH_NS;
    return core;
}
// ---------------------------------------------------------------- one core per thread
let core = null;
try {
    const registry = globalThis;
    core = registry[REGISTRY] || null;
    if (core === null || typeof core !== "object" || typeof core.api !== "function") {
        core = makeCore();
        Object.defineProperty(globalThis, REGISTRY, { value: core, configurable: true, enumerable: false,
            writable: false });
    }
}
catch {
    core = null;
}
let api = OFF;
try {
    if (core !== null)
        api = core.api(CONFIG_JSON);
}
catch {
    api = OFF;
}
// The API, bound once (see the header).
exports.s = api.s;
exports.r = api.r;
exports.x = api.x;
exports.e = api.e;
exports.aw = api.aw;
exports.ar = api.ar;
exports.v = api.v;
exports.vw = api.vw;
exports.b = api.b;
exports.li = api.li;
exports.c = api.c;
