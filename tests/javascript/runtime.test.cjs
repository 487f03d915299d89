// Tests of the JavaScript runtime (src/runtime/javascript/_ctinject.cjs).
//
// Run from the repository root:
//
//     node --test tests/javascript/
//
// Each test writes a copy of the runtime (with a configuration baked in, as
// ctinject does) and a script that calls it as instrumented code does into
// a temporary folder, runs the script in a child node process with
// CTINJECT_TRACE_FILE set, and reads the events it wrote.
"use strict";

const test = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { spawnSync, spawn } = require("node:child_process");

const ROOT = path.resolve(__dirname, "..", "..");
const RUNTIME = path.join(ROOT, "src", "runtime", "javascript", "_ctinject.cjs");
const RUNTIME_SRC = fs.readFileSync(RUNTIME, "utf8");
const CONFIG_LINE = 'const CONFIG_JSON = "{}";';

const SPAN_KEYS = ["v", "type", "lang", "trace_id", "span_id", "parent_id", "name", "module", "file", "line",
  "kind", "start_unix_ns", "duration_ns", "args", "return", "status", "exception", "pid", "tid"];
const HEAD = ["v", "type", "lang", "time_unix_ns", "trace_id", "span_id", "file", "line"];
const POINT_KEYS = {
  var: [...HEAD, "name", "value", "pid", "tid"],
  branch: [...HEAD, "site", "arm", "pid", "tid"],
  loop: [...HEAD, "site", "kind", "iterations", "target", "last", "pid", "tid"],
  exception: [...HEAD, "exception", "pid", "tid"],
};

// The runtime's text with `config` baked in, as ctinject writes it.
function runtimeSource(config) {
  if (config === undefined) return RUNTIME_SRC;
  assert.equal(RUNTIME_SRC.split(CONFIG_LINE).length, 2, "exactly one config line");
  return RUNTIME_SRC.replace(CONFIG_LINE, `const CONFIG_JSON = ${JSON.stringify(JSON.stringify(config))};`);
}

const made = [];
function tempDir() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ctinject-js-test-"));
  made.push(dir);
  return dir;
}
test.after(() => {
  for (const dir of made) fs.rmSync(dir, { recursive: true, force: true });
});

// The header every test script starts with: the runtime bound as the
// planner binds it, and F, the file's path as events show it.
const PRELUDE = 'const __ct = require("./_ctinject.cjs");\nconst F = "src/app.js";\n';

// Runs `code` (after PRELUDE) in a child process; returns its events.
function run(code, opts = {}) {
  const dir = opts.dir || tempDir();
  fs.writeFileSync(path.join(dir, "_ctinject.cjs"), runtimeSource(opts.config));
  const main = path.join(dir, opts.name || "main.cjs");
  fs.writeFileSync(main, (opts.prelude === false ? "" : PRELUDE) + code);
  const trace = opts.trace || path.join(dir, "trace.jsonl");
  const env = { ...process.env };
  delete env.CTINJECT_TRACE_FILE;
  delete env.CTINJECT_DISABLE;
  delete env.CTINJECT_TRACE_WARNED;
  if (opts.on !== false) env.CTINJECT_TRACE_FILE = trace;
  Object.assign(env, opts.env || {});
  const r = spawnSync(process.execPath, [main, ...(opts.args || [])], { cwd: dir, env, encoding: "utf8",
    timeout: 60000 });
  if (opts.mayFail !== true) {
    assert.equal(r.status, 0, `child failed:\n${r.stdout}\n${r.stderr}`);
  }
  const text = fs.existsSync(trace) ? fs.readFileSync(trace, "utf8") : null;
  const events = text === null ? null : text.split("\n").filter((l) => l !== "").map((l) => JSON.parse(l));
  return { dir, trace, text, events, stdout: r.stdout, stderr: r.stderr, status: r.status };
}

const spans = (events, name) => events.filter((e) => e.type === "span" && (name === undefined || e.name === name));
const ofType = (events, type) => events.filter((e) => e.type === type);

// An instrumented function declaration, written as the planner writes it.
function fn(name, params, body, line = 1, kind = "function") {
  return `function ${name}(${params}) { const __ct_s = __ct.s(F, ${line}, ${JSON.stringify(name)}, ` +
    `${JSON.stringify(kind)}, ${JSON.stringify(params.replace(/\s/g, ""))}, arguments); try { ${body} } ` +
    "catch (__ct_e) { __ct.x(__ct_s, __ct_e); throw __ct_e; } finally { __ct.e(__ct_s); } }\n";
}

// ------------------------------------------------------------------ the file itself

test("the runtime starts with its marker line and holds one config line", () => {
  const first = RUNTIME_SRC.split("\n")[0];
  assert.match(first, /^\/\/ ctinject runtime for JavaScript/);
  assert.equal(RUNTIME_SRC.split(CONFIG_LINE).length, 2);
  const code = RUNTIME_SRC.split("\n").filter((l) => !l.trim().startsWith("//")).join("\n");
  // (modules are loaded by name through builtin(): process.getBuiltinModule, else require)
  assert.deepEqual([...new Set(code.match(/\bbuiltin\("[^"]*"\)/g))].sort(), ['builtin("buffer")', 'builtin("crypto")',
    'builtin("fs")', 'builtin("path")', 'builtin("perf_hooks")', 'builtin("util")', 'builtin("worker_threads")'],
  "only built-in modules are required");
  assert.deepEqual([...new Set(code.match(/\brequire\([^)]*\)/g))], ["require(id)"], "require() only in builtin()");
});

// ------------------------------------------------------------------ off

test("telemetry off: nothing is written, the API passes values through", () => {
  const r = run(`
    const a = __ct.s(F, 1, "f", "function", "x", [1]);
    const b = __ct.s(F, 2, "g", "function", "", null);
    if (a !== b) throw new Error("off: s must return one shared handle");
    const o = {};
    if (__ct.r(a, o) !== o || __ct.vw(F, 1, "x", o) !== o || __ct.aw(a, o) !== o || __ct.ar(a, o) !== o)
      throw new Error("off: values must pass through");
    for (const k of ["x", "e", "v", "b", "li", "c"]) if (__ct[k](a, 1, 2, 3) !== undefined) throw new Error(k);
    ${fn("f", "x", "return __ct.r(__ct_s, x * 2);")}
    console.log(f(21));
  `, { on: false });
  assert.equal(r.stdout.trim(), "42");
  assert.equal(r.text, null, "no trace file is created");
});

test("CTINJECT_DISABLE turns telemetry off even with a trace file", () => {
  for (const value of ["1", "true", "YES", "on"]) {
    const r = run(`${fn("f", "x", "return __ct.r(__ct_s, x);")} f(1);`, { env: { CTINJECT_DISABLE: value } });
    assert.equal(r.text, null, `CTINJECT_DISABLE=${value}`);
  }
  const r = run(`${fn("f", "x", "return __ct.r(__ct_s, x);")} f(1);`, { env: { CTINJECT_DISABLE: "0" } });
  assert.equal(spans(r.events).length, 1);
});

test("a trace file that cannot be written: one line on stderr, the program runs", () => {
  const dir = tempDir();
  fs.writeFileSync(path.join(dir, "blocker"), "");
  const r = run(`${fn("f", "x", "return __ct.r(__ct_s, x + 1);")} console.log(f(1));`,
    { dir, trace: path.join(dir, "blocker", "trace.jsonl") });
  assert.equal(r.stdout.trim(), "2");
  assert.equal(r.stderr.match(/ctinject: cannot write the trace file/g).length, 1);
});

test("a relative trace path is taken from the working directory, its folder created", () => {
  const dir = tempDir();
  const r = run(`${fn("f", "", "return __ct.r(__ct_s, 1);")} f();`,
    { dir, env: { CTINJECT_TRACE_FILE: "out/deeper/t.jsonl" } });
  const text = fs.readFileSync(path.join(dir, "out", "deeper", "t.jsonl"), "utf8");
  assert.equal(JSON.parse(text.trim()).name, "f");
  assert.equal(r.status, 0);
});

// ------------------------------------------------------------------ spans

test("a span's keys, ids and values", () => {
  const before = BigInt(Date.now()) * 1000000n;
  const r = run(`${fn("add", "a, b", "const y = a + b; return __ct.r(__ct_s, y);", 3)} add(2, 3);`);
  const after = BigInt(Date.now()) * 1000000n;
  const [sp] = spans(r.events);
  assert.deepEqual(Object.keys(sp), SPAN_KEYS);
  assert.equal(sp.v, 1);
  assert.equal(sp.lang, "javascript");
  assert.match(sp.trace_id, /^[0-9a-f]{32}$/);
  assert.match(sp.span_id, /^[0-9a-f]{16}$/);
  assert.equal(sp.trace_id.slice(16), sp.span_id, "a root span's trace id ends with its id");
  assert.equal(sp.parent_id, null);
  assert.deepEqual([sp.name, sp.module, sp.file, sp.line, sp.kind], ["add", null, "src/app.js", 3, "function"]);
  assert.deepEqual(sp.args, { a: "2", b: "3" });
  assert.equal(sp.return, "5");
  assert.equal(sp.status, "ok");
  assert.equal(sp.exception, null);
  assert.equal(sp.tid, 0);
  assert.ok(Number.isInteger(sp.pid) && sp.pid > 0);
  assert.ok(Number.isInteger(sp.duration_ns) && sp.duration_ns >= 0);
  // start_unix_ns exceeds 2^53: read it from the text
  const start = BigInt(r.text.match(/"start_unix_ns":(\d+)/)[1]);
  assert.ok(start >= before - 5000000000n && start <= after, `${start} in [${before}, ${after}]`);
  assert.ok(r.text.endsWith("}\n"));
});

test("nested calls: parent ids, one trace, events before their span's line", () => {
  const r = run(`
    ${fn("inner", "x", "__ct.v(F, 2, 'y', x); return __ct.r(__ct_s, x * 2);", 1)}
    ${fn("outer", "x", "const a = inner(x); const b = inner(x + 1); return __ct.r(__ct_s, a + b);", 5)}
    outer(1); outer(10);
  `);
  const outer = spans(r.events, "outer");
  const inner = spans(r.events, "inner");
  assert.equal(outer.length, 2);
  assert.equal(inner.length, 4);
  assert.notEqual(outer[0].trace_id, outer[1].trace_id, "each root span starts a trace");
  for (const [i, o] of [[0, 0], [1, 0], [2, 1], [3, 1]]) {
    assert.equal(inner[i].parent_id, outer[o].span_id);
    assert.equal(inner[i].trace_id, outer[o].trace_id);
  }
  const ids = new Set(spans(r.events).map((s) => s.span_id));
  assert.equal(ids.size, 6, "span ids are unique");
  const lines = r.events.map((e) => `${e.type}:${e.name}`);
  assert.ok(lines.indexOf("var:y") < lines.indexOf("span:inner"), "a call's events come before its span");
  const v = ofType(r.events, "var")[0];
  assert.equal(v.span_id, inner[0].span_id);
  assert.equal(v.trace_id, inner[0].trace_id);
});

test("a span that throws: status, exception, no return; the error passes through", () => {
  const r = run(`
    class OutOfStock extends Error {}
    ${fn("boom", "n", "throw new OutOfStock('only ' + n + ' left');")}
    ${fn("raw", "", "throw 'a string';")}
    ${fn("named", "", "const e = new Error('m'); e.name = 'CustomName'; throw e;")}
    ${fn("typed", "", "null.x;")}
    for (const f of [() => boom(2), raw, named, typed]) {
      try { f(); } catch (e) { console.log(typeof e === "string" ? e : e.constructor.name); }
    }
  `);
  assert.deepEqual(r.stdout.trim().split("\n"), ["OutOfStock", "a string", "Error", "TypeError"]);
  const byName = Object.fromEntries(spans(r.events).map((s) => [s.name, s]));
  assert.equal(byName.boom.status, "error");
  assert.equal(byName.boom.return, null);
  assert.deepEqual(byName.boom.exception, { type: "OutOfStock", message: "only 2 left" });
  assert.deepEqual(byName.raw.exception, { type: "string", message: "a string" });
  assert.deepEqual(byName.named.exception, { type: "CustomName", message: "m" });
  assert.equal(byName.typed.exception.type, "TypeError");
  assert.match(byName.typed.exception.message, /null/);
});

test("a function that falls off its end returns undefined", () => {
  const r = run(`${fn("f", "x", "x + 1;")} f(1);`);
  assert.equal(spans(r.events)[0].return, "undefined");
});

test("arguments: extra ones, rest parameters, arrows' arrays, missing ones, redacted names", () => {
  const r = run(`
    ${fn("extra", "a", "return __ct.r(__ct_s, a);")}
    ${fn("rest", "a, ...xs", "return __ct.r(__ct_s, xs.length);")}
    ${fn("login", "user, password", "return __ct.r(__ct_s, true);")}
    ${fn("none", "", "return __ct.r(__ct_s, 0);")}
    const arrow = (a, ...xs) => { const __ct_s = __ct.s(F, 9, "arrow", "arrow", "a,...xs", [a, xs]);
      try { return __ct.r(__ct_s, a); } catch (__ct_e) { __ct.x(__ct_s, __ct_e); throw __ct_e; } finally { __ct.e(__ct_s); } };
    extra(1, 2, "three"); rest(1, 2, 3); login("bob", "hunter2"); none(7); arrow(5, 6, 7); extra();
  `);
  const s = spans(r.events);
  assert.deepEqual(s[0].args, { a: "1", "arguments[1]": "2", "arguments[2]": "'three'" });
  assert.deepEqual(s[1].args, { a: "1", xs: "[2, 3]" });
  assert.deepEqual(s[2].args, { user: "'bob'", password: "[REDACTED]" });
  assert.deepEqual(s[3].args, { "arguments[0]": "7" });
  assert.deepEqual(s[4].args, { a: "5", xs: "[6, 7]" });
  assert.equal(s[4].kind, "arrow");
  assert.deepEqual(s[5].args, { a: "undefined" });
});

test("the API never throws into the program, whatever it is given", () => {
  const r = run(`
    const weird = [undefined, null, 0, {}, new Proxy({}, { get() { throw new Error("trap"); } }), Symbol("s")];
    for (const a of weird) for (const b of weird) {
      const sp = __ct.s(a, b, a, b, a, b);
      __ct.v(a, b, a, b, a); __ct.vw(a, b, a, b); __ct.b(a, b, a); __ct.li(a, b, a); __ct.c(a, b, a);
      __ct.r(sp, a); __ct.x(sp, b); __ct.aw(sp, a); __ct.ar(sp, a); __ct.e(sp); __ct.e(sp);
    }
    __ct.e(undefined); __ct.r(undefined, 1); __ct.x(null, 1); __ct.aw(null, 1); __ct.ar(undefined, 1);
    console.log("ok");
  `);
  assert.equal(r.stdout.trim(), "ok");
  for (const l of r.text.split("\n").filter(Boolean)) JSON.parse(l);
});

// ------------------------------------------------------------------ async functions and generators

test("async functions: spans across awaits, parents right when two calls interleave", () => {
  const r = run(`
    const tick = () => new Promise((res) => setImmediate(res));
    ${fn("leaf", "tag", "__ct.v(F, 2, 'tag', tag); return __ct.r(__ct_s, tag);", 1)}
    async function job(tag) { const __ct_s = __ct.s(F, 5, "job", "async", "tag", arguments); try {
      leaf(tag + ":before");
      __ct.ar(__ct_s, await __ct.aw(__ct_s, tick()));
      leaf(tag + ":middle");
      __ct.v(F, 8, "tag", tag);
      __ct.ar(__ct_s, await __ct.aw(__ct_s, tick()));
      return __ct.r(__ct_s, leaf(tag + ":after"));
    } catch (__ct_e) { __ct.x(__ct_s, __ct_e); throw __ct_e; } finally { __ct.e(__ct_s); } }
    ${fn("main", "", "const p = Promise.all([job('a'), job('b')]); leaf('sync'); return __ct.r(__ct_s, p);", 12)}
    main().then((v) => console.log(v.join(",")));
  `);
  assert.equal(r.stdout.trim(), "a:after,b:after");
  const main = spans(r.events, "main")[0];
  const jobs = Object.fromEntries(spans(r.events, "job").map((s) => [JSON.parse(s.args.tag.replace(/'/g, '"')), s]));
  assert.equal(jobs.a.parent_id, main.span_id);
  assert.equal(jobs.b.parent_id, main.span_id);
  assert.equal(main.return, "<Promise object>");
  const leaves = spans(r.events, "leaf");
  const parentOf = (tag) => leaves.find((l) => l.args.tag === `'${tag}'`).parent_id;
  for (const t of ["a", "b"]) {
    for (const step of ["before", "middle", "after"]) {
      assert.equal(parentOf(`${t}:${step}`), jobs[t].span_id, `${t}:${step}`);
    }
  }
  assert.equal(parentOf("sync"), main.span_id, "the caller's work between awaits is the caller's");
  const tagVars = ofType(r.events, "var").filter((e) => e.line === 8);
  assert.deepEqual(tagVars.map((e) => e.span_id).sort(), [jobs.a.span_id, jobs.b.span_id].sort());
  assert.ok(jobs.a.duration_ns > 0);
});

test("generators: the span is current only while the body runs; return() on a suspended one", () => {
  const r = run(`
    ${fn("work", "x", "return __ct.r(__ct_s, x);", 1)}
    function* gen(n) { const __ct_s = __ct.s(F, 3, "gen", "generator", "n", arguments); try {
      for (let i = 0; i < n; i++) { work("in" + i); __ct.ar(__ct_s, yield __ct.aw(__ct_s, i)); }
      return __ct.r(__ct_s, "done");
    } catch (__ct_e) { __ct.x(__ct_s, __ct_e); throw __ct_e; } finally { __ct.e(__ct_s); } }
    ${fn("consume", "", `
      const g = gen(3);
      work("before first next");
      g.next(); work("between");
      g.next(); g.return(7);
      work("after return");
      const all = [...gen(2)];
      return __ct.r(__ct_s, all.length);`, 10)}
    consume();
  `);
  const consume = spans(r.events, "consume")[0];
  const gens = spans(r.events, "gen");
  assert.equal(gens.length, 2);
  const [closed, full] = gens;
  assert.equal(closed.parent_id, consume.span_id, "a generator's span starts at its first next()");
  assert.equal(closed.status, "ok");
  assert.equal(full.return, "'done'");
  const work = spans(r.events, "work");
  const parentOf = (x) => work.find((w) => w.args.x === `'${x}'`).parent_id;
  assert.equal(parentOf("in0"), closed.span_id);
  assert.equal(parentOf("in1"), closed.span_id);
  assert.equal(parentOf("before first next"), consume.span_id);
  assert.equal(parentOf("between"), consume.span_id, "not the suspended generator's");
  assert.equal(parentOf("after return"), consume.span_id, "return() leaves the consumer's span current");
  assert.ok(r.events.indexOf(closed) < r.events.indexOf(consume));
  // a later root call is a root: nothing was left current
  assert.equal(consume.parent_id, null);
});

test("async generators: awaits and yields both leave the span", () => {
  const r = run(`
    ${fn("work", "x", "return __ct.r(__ct_s, x);", 1)}
    async function* agen() { const __ct_s = __ct.s(F, 3, "agen", "async_generator", "", arguments); try {
      __ct.ar(__ct_s, await __ct.aw(__ct_s, null));
      work("in");
      __ct.ar(__ct_s, yield __ct.aw(__ct_s, 1));
      work("in2");
    } catch (__ct_e) { __ct.x(__ct_s, __ct_e); throw __ct_e; } finally { __ct.e(__ct_s); } }
    async function main() { const __ct_s = __ct.s(F, 9, "main", "async", "", arguments); try {
      const it = agen();
      __ct.ar(__ct_s, await __ct.aw(__ct_s, it.next()));
      work("out");
      __ct.ar(__ct_s, await __ct.aw(__ct_s, it.next()));
    } catch (__ct_e) { __ct.x(__ct_s, __ct_e); throw __ct_e; } finally { __ct.e(__ct_s); } }
    main();
  `);
  const main = spans(r.events, "main")[0];
  const agen = spans(r.events, "agen")[0];
  const work = spans(r.events, "work");
  const parentOf = (x) => work.find((w) => w.args.x === `'${x}'`).parent_id;
  assert.equal(agen.parent_id, main.span_id);
  assert.equal(agen.kind, "async_generator");
  assert.equal(parentOf("in"), agen.span_id);
  assert.equal(parentOf("in2"), agen.span_id);
  assert.equal(parentOf("out"), main.span_id);
});

test("ar() on a span already current changes nothing; after a rejected await it makes it current again", () => {
  const r = run(`
    ${fn("work", "x", "return __ct.r(__ct_s, x);", 1)}
    async function job() { const __ct_s = __ct.s(F, 3, "job", "async", "", arguments); try {
      __ct.ar(__ct_s); __ct.ar(__ct_s); work("sync");
      try { __ct.ar(__ct_s, await __ct.aw(__ct_s, Promise.reject(new Error("no")))); }
      catch (err) { __ct.ar(__ct_s); __ct.c(F, 6, err); work("in catch"); }
    } catch (__ct_e) { __ct.x(__ct_s, __ct_e); throw __ct_e; } finally { __ct.e(__ct_s); } }
    job().then(() => { work("later root"); });
  `);
  const job = spans(r.events, "job")[0];
  const work = spans(r.events, "work");
  const parentOf = (x) => work.find((w) => w.args.x === `'${x}'`).parent_id;
  assert.equal(parentOf("sync"), job.span_id);
  assert.equal(parentOf("in catch"), job.span_id);
  assert.equal(parentOf("later root"), null, "nothing is left current after the span ends");
  assert.equal(ofType(r.events, "exception")[0].span_id, job.span_id);
});

// ------------------------------------------------------------------ point events

test("var, branch, loop and exception events", () => {
  const r = run(`
    ${fn("f", "n", `
      let total = 0; __ct.v(F, 2, "total", total);
      const [a, b] = [1, 2]; __ct.v(F, 3, "a", a, "b", b);
      for (let i = 0; i < n; i++) { __ct.li(F, 4, "for"); total += i; __ct.v(F, 4, "total", total); }
      let k = 0; while (k < 2) { __ct.li(F, 5, "while"); k++; }
      if (total > 1) { __ct.b(F, 6, 0); } else { __ct.b(F, 6, 1); }
      const t = total > 100 ? (__ct.b(F, 7, 0), "big") : (__ct.b(F, 7, 1), "small");
      try { JSON.parse("{"); } catch (err) { __ct.c(F, 8, err); }
      return __ct.r(__ct_s, __ct.vw(F, 9, "t", t));`)}
    console.log(f(3));
    for (let j = 0; j < 4; j++) { __ct.li(F, 20, "for_of"); }
    __ct.v(F, 21, "top", "level");
  `);
  assert.equal(r.stdout.trim(), "small");
  const sp = spans(r.events, "f")[0];
  for (const e of r.events.filter((x) => x.type in POINT_KEYS)) {
    assert.deepEqual(Object.keys(e), POINT_KEYS[e.type], e.type);
  }
  const vars = ofType(r.events, "var").filter((e) => e.span_id === sp.span_id);
  assert.deepEqual(vars.map((e) => [e.line, e.name, e.value]), [
    [2, "total", "0"], [3, "a", "1"], [3, "b", "2"], [4, "total", "0"], [4, "total", "1"], [4, "total", "3"],
    [9, "t", "'small'"]]);
  const br = ofType(r.events, "branch");
  assert.deepEqual(br.map((e) => [e.site, e.line, e.arm]), [[6, 6, 0], [7, 7, 1]]);
  const loops = ofType(r.events, "loop");
  assert.deepEqual(loops.map((e) => [e.site, e.kind, e.iterations, e.span_id]),
    [[4, "for", 3, sp.span_id], [5, "while", 2, sp.span_id], [20, "for_of", 4, null]]);
  assert.ok(r.events.indexOf(loops[1]) < r.events.indexOf(sp), "a span's loops are written as it ends");
  const exc = ofType(r.events, "exception")[0];
  assert.equal(exc.exception.type, "SyntaxError");
  assert.equal(exc.span_id, sp.span_id);
  const top = ofType(r.events, "var").find((e) => e.name === "top");
  assert.equal(top.trace_id, null);
  assert.equal(top.span_id, null);
  assert.equal(top.value, "'level'");
});

// ------------------------------------------------------------------ caps and summaries

test("max_events_per_site: a span's overflow in its suppressed list", () => {
  const r = run(`
    ${fn("f", "", `
      for (let i = 0; i < 20; i++) { __ct.v(F, 2, "i", i); __ct.b(F, 3, i % 2); }
      __ct.v(F, 4, "once", 1);`)}
    f();
  `, { config: { max_events_per_site: 3 } });
  const sp = spans(r.events)[0];
  assert.equal(ofType(r.events, "var").filter((e) => e.name === "i").length, 3);
  assert.deepEqual(ofType(r.events, "var").filter((e) => e.name === "i").map((e) => e.value), ["0", "1", "2"]);
  assert.equal(ofType(r.events, "branch").length, 6);
  assert.deepEqual(sp.suppressed, [
    { type: "var", file: "src/app.js", line: 2, name: "i", count: 17 },
    { type: "branch", file: "src/app.js", site: 3, arm: 0, count: 7 },
    { type: "branch", file: "src/app.js", site: 3, arm: 1, count: 7 },
  ]);
  assert.equal(Object.keys(sp).at(-1), "suppressed");
});

test("max_events_per_site_per_process: vars, branches, loops and exceptions summaries", () => {
  const r = run(`
    ${fn("f", "i", `
      __ct.v(F, 2, "secret_ish", "v" + i); __ct.v(F, 2, "token", i);
      __ct.b(F, 3, 1);
      for (let k = 0; k < i; k++) __ct.li(F, 4, "for");
      try { if (i % 2) throw new RangeError("r"); else throw new TypeError("t"); } catch (e) { __ct.c(F, 5, e); }`)}
    for (let i = 0; i < 6; i++) f(i);
  `, { config: { max_events_per_site_per_process: 2, redact: ["token"] } });
  const vars = ofType(r.events, "var");
  assert.deepEqual(vars.map((e) => [e.name, e.value]),
    [["secret_ish", "'v0'"], ["token", "[REDACTED]"], ["secret_ish", "'v1'"], ["token", "[REDACTED]"]]);
  assert.equal(ofType(r.events, "branch").length, 2);
  assert.equal(ofType(r.events, "loop").length, 2);
  assert.equal(ofType(r.events, "exception").length, 2);
  const summary = (type) => ofType(r.events, type);
  const vs = summary("vars");
  assert.equal(vs.length, 2);
  assert.deepEqual(Object.keys(vs[0]), ["v", "type", "lang", "time_unix_ns", "file", "line", "name", "recorded",
    "omitted", "last", "pid"]);
  assert.deepEqual(vs.map((e) => [e.name, e.recorded, e.omitted, e.last]),
    [["secret_ish", 2, 4, "'v5'"], ["token", 2, 4, "[REDACTED]"]]);
  const [bs] = summary("branches");
  assert.deepEqual([bs.site, bs.arm, bs.recorded, bs.omitted], [3, 1, 2, 4]);
  // loops run with i = 1..5 (i = 0 runs no iteration, so writes no event)
  const [ls] = summary("loops");
  assert.deepEqual([ls.site, ls.kind, ls.recorded, ls.omitted, ls.omitted_iterations, ls.omitted_max_iterations],
    [4, "for", 2, 3, 3 + 4 + 5, 5]);
  const [es] = summary("exceptions");
  assert.deepEqual([es.recorded, es.omitted, es.omitted_types], [2, 4, { RangeError: 2, TypeError: 2 }]);
  const last = r.events.at(-1);
  assert.ok(["vars", "branches", "loops", "exceptions"].includes(last.type), "summaries come at exit");
});

test("a variable's last omitted value is the value at the time of that event", () => {
  const r = run(`
    const o = { n: 0 };
    for (let i = 1; i <= 3; i++) { o.n = i; __ct.v(F, 1, "o", o); __ct.v(F, 2, "i", i); __ct.v(F, 3, "s", "s" + i); }
    o.n = 99;
  `, { config: { max_events_per_site_per_process: 1 } });
  const last = Object.fromEntries(ofType(r.events, "vars").map((e) => [e.name, [e.omitted, e.last]]));
  assert.deepEqual(last, { o: [2, "{n: 3}"], i: [2, "3"], s: [2, "'s3'"] });
});

test("loops and point events inside calls over max_spans_per_function are not counted", () => {
  const r = run(`
    ${fn("f", "", "for (let i = 0; i < 3; i++) __ct.li(F, 2, 'for'); __ct.b(F, 3, 0); __ct.c(F, 4, new Error('x'));")}
    for (let i = 0; i < 5; i++) f();
  `, { config: { max_spans_per_function: 2, max_events_per_site_per_process: 1 } });
  assert.equal(spans(r.events).length, 2);
  assert.deepEqual(ofType(r.events, "loop").map((e) => e.iterations), [3]);
  // the second recorded call's events went over the per-process cap; the omitted calls' are not counted
  assert.deepEqual(ofType(r.events, "loops").map((e) => [e.recorded, e.omitted, e.omitted_iterations]), [[1, 1, 3]]);
  assert.deepEqual(ofType(r.events, "branches").map((e) => e.omitted), [1]);
  assert.deepEqual(ofType(r.events, "exceptions").map((e) => e.omitted), [1]);
});

test("max_spans_per_function: calls over it counted, the slowest kept, children still written", () => {
  const r = run(`
    ${fn("child", "", "return __ct.r(__ct_s, 0);", 1)}
    ${fn("hot", "i, password", `
      __ct.v(F, 3, "i", i);
      if (i === 4) { const t = Date.now(); while (Date.now() - t < 30); child(); }
      return __ct.r(__ct_s, i * 10);`, 2)}
    for (let i = 0; i < 6; i++) hot(i, "pw");
  `, { config: { max_spans_per_function: 2, slowest_calls: 1 } });
  const hot = spans(r.events, "hot");
  assert.deepEqual(hot.map((s) => s.args.i), ["0", "1"]);
  assert.equal(ofType(r.events, "var").length, 2, "events inside omitted calls are not written");
  const [calls] = ofType(r.events, "calls");
  assert.deepEqual(Object.keys(calls), ["v", "type", "lang", "time_unix_ns", "name", "module", "file", "line", "kind",
    "recorded", "omitted", "omitted_duration_ns", "omitted_max_duration_ns", "omitted_failed", "omitted_exceptions",
    "slowest", "pid"]);
  assert.deepEqual([calls.name, calls.recorded, calls.omitted, calls.omitted_failed], ["hot", 2, 4, 0]);
  assert.ok(calls.omitted_max_duration_ns >= 25000000, String(calls.omitted_max_duration_ns));
  assert.ok(calls.omitted_duration_ns >= calls.omitted_max_duration_ns);
  assert.equal(calls.slowest.length, 1);
  const slow = calls.slowest[0];
  assert.deepEqual(slow.args, { i: "4", password: "[REDACTED]" });
  assert.equal(slow.return, "40");
  assert.equal(slow.exception, null);
  const child = spans(r.events, "child")[0];
  assert.equal(child.parent_id, slow.span_id, "a child of an omitted call names it as parent");
  assert.equal(child.trace_id.slice(16), slow.span_id);
});

test("max_failures_per_function: failing calls over the cap written, then counted by type", () => {
  const r = run(`
    ${fn("f", "i", "if (i >= 2) throw (i % 2 ? new RangeError('odd ' + i) : new TypeError('even')); return __ct.r(__ct_s, i);")}
    for (let i = 0; i < 8; i++) { try { f(i); } catch (e) {} }
  `, { config: { max_spans_per_function: 1, max_failures_per_function: 2, slowest_calls: 0 } });
  const s = spans(r.events);
  assert.deepEqual(s.map((x) => [x.args.i, x.status]), [["0", "ok"], ["2", "error"], ["3", "error"]]);
  assert.deepEqual(s[2].exception, { type: "RangeError", message: "odd 3" });
  const [calls] = ofType(r.events, "calls");
  assert.deepEqual([calls.recorded, calls.omitted, calls.omitted_failed, calls.omitted_exceptions, calls.slowest],
    [3, 5, 4, { TypeError: 2, RangeError: 2 }, []]);
});

test("max_trace_bytes: the file stops with a truncated event", () => {
  const r = run(`
    ${fn("f", "i", "__ct.v(F, 2, 'i', i); return __ct.r(__ct_s, i);")}
    for (let i = 0; i < 5000; i++) f(i);
    console.log(__ct.s(F, 1, "f", "function", "i", [1]) === __ct.s(F, 1, "f", "function", "i", [2]));
  `, { config: { max_trace_bytes: 20000, max_spans_per_function: 0 } });
  assert.equal(r.stdout.trim(), "true", "telemetry is off once the limit is met");
  const last = r.events.at(-1);
  assert.deepEqual(Object.keys(last), ["v", "type", "lang", "time_unix_ns", "limit_bytes", "pid", "tid"]);
  assert.equal(last.type, "truncated");
  assert.equal(last.limit_bytes, 20000);
  assert.equal(ofType(r.events, "truncated").length, 1);
  assert.ok(r.text.length < 20000 + 70000, `${r.text.length} bytes`);
  assert.ok(r.text.length >= 20000);
});

// ------------------------------------------------------------------ values

test("values: no getter, toJSON, toString, valueOf, toPrimitive or Proxy trap runs", () => {
  const r = run(`
    const ran = [];
    class Cart { constructor() { this.items = 2; } get total() { ran.push("getter"); return 1; }
      toString() { ran.push("toString"); return "x"; } toJSON() { ran.push("toJSON"); return 1; } }
    const sneaky = { a: 1, get b() { ran.push("plain getter"); return 2; },
      toJSON() { ran.push("toJSON2"); }, valueOf() { ran.push("valueOf"); return 3; },
      [Symbol.toPrimitive]() { ran.push("toPrimitive"); return 4; } };
    const proxy = new Proxy({}, new Proxy({}, { get(t, k) { ran.push("trap " + String(k)); return undefined; } }));
    const arr = [1]; Object.defineProperty(arr, 1, { get() { ran.push("index getter"); return 9; }, enumerable: true });
    const thenable = { then() { ran.push("then"); } };
    class Named extends Error { get message() { ran.push("message getter"); return "m"; } }
    ${fn("f", "cart, sneaky, proxy, arr, thenable", "return __ct.r(__ct_s, thenable);")}
    f(new Cart(), sneaky, proxy, arr, thenable);
    __ct.v(F, 3, "err", new Named());
    try { throw new Named(); } catch (e) { __ct.c(F, 4, e); }
    ${fn("g", "", "throw new Named();")}
    try { g(); } catch (e) {}
    console.log(JSON.stringify(ran));
  `);
  assert.equal(r.stdout.trim(), "[]");
  const sp = spans(r.events, "f")[0];
  assert.equal(sp.args.cart, "<Cart object>");
  assert.equal(sp.args.sneaky, "{a: 1, b: [Getter], toJSON: [Function toJSON], valueOf: [Function valueOf], " +
    "[Symbol(Symbol.toPrimitive)]: [Function [Symbol.toPrimitive]]}");
  assert.equal(sp.args.proxy, "<Proxy>");
  assert.equal(sp.args.arr, "[1, [Getter]]");
  assert.equal(sp.return, "{then: [Function then]}");
  assert.equal(ofType(r.events, "var")[0].value, "<Named object>");
  assert.deepEqual(ofType(r.events, "exception")[0].exception, { type: "Named", message: "" });
});

test("values: formatting of builtin values", () => {
  const r = run(`
    const cyc = { name: "c" }; cyc.self = cyc; const list = [1]; list.push(list);
    const deep = [[[[[[[[1]]]]]]]];
    class Foo {}
    const pairs = [
      ["int", 42], ["neg0", -0], ["float", 1.5], ["nan", NaN], ["inf", -Infinity], ["big", 12345678901234567890n],
      ["huge", 2n ** 4000n], ["str", "it's \\"q\\"\\n"], ["bool", true], ["nul", null], ["undef", undefined],
      ["sym", Symbol("tag")], ["fn", function named() {}], ["anon", (() => () => {})()], ["cls", Foo],
      ["asyncFn", async function af() {}], ["gen", function* gf() {}], ["cyc", cyc], ["list", list],
      ["deep", deep], ["map", new Map([["k", 1], [2, { x: "y" }]])], ["set", new Set([1, "a"])],
      ["date", new Date(0)], ["re", /a+b/gi], ["buf", Buffer.from("hi")], ["u8", new Uint16Array([1, 2])],
      ["err", new RangeError("bad")], ["inst", new Foo()], ["nullproto", Object.assign(Object.create(null), { z: 1 })],
      ["sparse", [1, , 3]], ["keys", { "a-b": 1, ok: 2, 3: 4 }], ["unicode", "h\\u00e9\\u{1F600}"],
      ["promise", Promise.resolve(1)], ["boxed", new Number(5)],
    ];
    for (const [n, v] of pairs) __ct.v(F, 1, n, v);
  `);
  const got = Object.fromEntries(ofType(r.events, "var").map((e) => [e.name, e.value]));
  assert.deepEqual(got, {
    int: "42", neg0: "-0", float: "1.5", nan: "NaN", inf: "-Infinity", big: "12345678901234567890n",
    huge: "<bigint with 4001 bits>", str: "'it\\'s \"q\"\\n'", bool: "true", nul: "null", undef: "undefined",
    sym: "Symbol(tag)", fn: "[Function named]", anon: "[Function (anonymous)]", cls: "[class Foo]",
    asyncFn: "[AsyncFunction af]", gen: "[GeneratorFunction gf]", cyc: "{name: 'c', self: [Circular]}",
    list: "[1, [Circular]]", deep: "[[[[[[[...]]]]]]]", map: "Map(2) {'k' => 1, 2 => {x: 'y'}}",
    set: "Set(2) {1, 'a'}", date: "1970-01-01T00:00:00.000Z", re: "/a+b/gi", buf: "<Buffer 68 69>",
    u8: "Uint16Array(2) [1, 2]", err: "[RangeError: bad]", inst: "<Foo object>", nullproto: "{z: 1}",
    sparse: "[1, <empty>, 3]", keys: "{'3': 4, 'a-b': 1, ok: 2}", unicode: "'h\u00e9\u{1F600}'",
    promise: "<Promise object>", boxed: "[Number: 5]",
  });
  assert.match(r.text, /^[\x00-\x7f]*$/, "the trace file is ASCII");
  assert.ok(r.text.includes("\\u00e9"));
});

test("values written as bytes (ints, short plain strings, booleans, undefined) read as the others", () => {
  // In a span, a var event's value, a lone argument and a return value of
  // these kinds are written into the file's bytes directly; outside spans
  // the same values go through the text path. Both must read the same.
  const r = run(`
    const X198 = "x".repeat(198), X199 = "x".repeat(199);
    const vals = [0, 7, -7, 123456789, 2147483647, -2147483648, 2147483648, 1.5, -0, true, false, undefined,
      "", "plain text", "it's", 'q"', "back\\\\slash", "tab\\t", "\\u00e9", X198, X199, null];
    ${fn("one", "v", "__ct.v(F, 2, 'y', v); return __ct.r(__ct_s, v);", 1)}
    for (const v of vals) one(v);
    vals.forEach((v, i) => __ct.v(F, 100 + i, "z", v)); // (one site each: max_events_per_site)
  `);
  const X = (n) => "x".repeat(n);
  const want = ["0", "7", "-7", "123456789", "2147483647", "-2147483648", "2147483648", "1.5", "-0", "true",
    "false", "undefined", "''", "'plain text'", "'it\\'s'", "'q\"'", "'back\\\\slash'", "'tab\\t'", "'\u00e9'",
    `'${X(198)}'`, `'${X(196)}...`, "null"];
  const sp = spans(r.events, "one");
  assert.deepEqual(sp.map((e) => e.args.v), want, "lone arguments");
  assert.deepEqual(sp.map((e) => e.return), want, "return values");
  const vars = ofType(r.events, "var");
  assert.deepEqual(vars.filter((e) => e.name === "y").map((e) => e.value), want, "var events in spans");
  assert.deepEqual(vars.filter((e) => e.name === "z").map((e) => e.value), want, "var events outside spans");
  assert.match(r.text, /^[\x00-\x7f]*$/, "the trace file is ASCII");
});

test("many lines: whole across the buffer's writes, each span's events between its start and end", () => {
  // about 3 MB: many writes of the buffer; a parameter name longer than a
  // line's usual room; every var event's time within its span
  const long = "p".repeat(300);
  const r = run(`
    ${fn("hot", long, `const y = ${long} + 1; __ct.v(F, 2, 'y', y); return __ct.r(__ct_s, y);`, 1)}
    ${fn("outer", "n", "let s = 0; for (let i = 0; i < n; i++) s += hot(i); return __ct.r(__ct_s, s);", 5)}
    outer(4000); for (let i = 0; i < 1000; i++) hot(-i);
  `, { config: { max_spans_per_function: 0, max_events_per_site_per_process: 0 } });
  const lines = r.text.split("\n").filter((l) => l !== "");
  assert.equal(lines.length, 1 + 2 * 5000);
  const big = (line, key) => BigInt(line.match(new RegExp(`"${key}":(\\d+)`))[1]);
  const ids = new Set();
  let pending = null;
  for (const line of lines) {
    const e = JSON.parse(line);
    if (e.type === "var") {
      pending = [e, big(line, "time_unix_ns")];
      continue;
    }
    assert.equal(e.type, "span");
    assert.ok(!ids.has(e.span_id), "span ids are unique");
    ids.add(e.span_id);
    if (e.name !== "hot") continue;
    assert.deepEqual(Object.keys(e.args), [long]);
    assert.equal(e.return, String(Number(e.args[long]) + 1));
    const [v, t] = pending;
    assert.equal(v.span_id, e.span_id);
    assert.equal(v.trace_id, e.trace_id);
    assert.equal(v.value, e.return);
    const start = big(line, "start_unix_ns");
    assert.ok(start <= t && t <= start + BigInt(e.duration_ns), `${start} <= ${t} <= +${e.duration_ns}`);
  }
  const outer = spans(r.events, "outer")[0];
  const hot = spans(r.events, "hot");
  assert.equal(hot.filter((e) => e.parent_id === outer.span_id && e.trace_id === outer.trace_id).length, 4000);
  assert.equal(hot.filter((e) => e.parent_id === null && e.trace_id.endsWith(e.span_id)).length, 1000);
});

test("a span across a second: its start, its events and its end read right", () => {
  // The lines' constant parts are made again when the clock's second
  // changes: a span that starts in one second and has events in the next.
  const r = run(`
    ${fn("slow", "x", `__ct.v(F, 2, "a", x); const s0 = Math.floor(Date.now() / 1000);
      while (Math.floor(Date.now() / 1000) === s0) {}
      __ct.v(F, 4, "b", x + 1); return __ct.r(__ct_s, x);`, 1)}
    slow(1); slow(2);
  `);
  const lines = r.text.split("\n").filter((l) => l !== "");
  const big = (line, key) => BigInt(line.match(new RegExp(`"${key}":(\\d+)`))[1]);
  assert.equal(lines.length, 6);
  for (let i = 0; i < 6; i += 3) {
    const [a, b, sp] = lines.slice(i, i + 3);
    const [ea, eb, es] = [a, b, sp].map((l) => JSON.parse(l));
    assert.deepEqual([ea.name, eb.name, es.type], ["a", "b", "span"]);
    const start = big(sp, "start_unix_ns");
    const ta = big(a, "time_unix_ns");
    const tb = big(b, "time_unix_ns");
    assert.ok(start <= ta && ta < tb && tb <= start + BigInt(es.duration_ns));
    assert.ok(tb / 1000000000n > ta / 1000000000n, "the events are in different seconds");
    assert.equal(ea.span_id, es.span_id);
    assert.equal(eb.span_id, es.span_id);
  }
});

test("values: capped at value_cap characters, big containers cut while formatted", () => {
  const r = run(`
    __ct.v(F, 1, "long", "x".repeat(100000));
    __ct.v(F, 2, "many", Array.from({ length: 1000000 }, (_, i) => i));
    __ct.v(F, 3, "wide", Object.fromEntries(Array.from({ length: 1000 }, (_, i) => ["k" + i, i])));
    __ct.v(F, 4, "short", "abc");
    class E extends Error {}
    try { throw new E("m".repeat(500)); } catch (e) { __ct.c(F, 5, e); }
  `, { config: { value_cap: 40 } });
  const got = Object.fromEntries(ofType(r.events, "var").map((e) => [e.name, e.value]));
  assert.equal(got.long, "'" + "x".repeat(36) + "...");
  assert.equal(got.long.length, 40);
  assert.equal(got.many.length, 40);
  assert.ok(got.many.startsWith("[0, 1, 2, 3,") && got.many.endsWith("..."), got.many);
  assert.ok(got.wide.startsWith("{k0: 0, k1: 1,") && got.wide.length === 40, got.wide);
  assert.equal(got.short, "'abc'");
  const exc = ofType(r.events, "exception")[0].exception;
  assert.equal(exc.message.length, 40);
  assert.ok(exc.message.endsWith("..."));
});

test("redaction: names and object keys, case-insensitive; a bad pattern redacts everything", () => {
  const r = run(`
    __ct.v(F, 1, "userPassword", "p", "name", "bob", "config", { apiKey: "k", API_KEY: "k2", Session: { id: 1 }, ok: 1 });
    __ct.v(F, 2, "m", new Map([["auth_token", "t"], ["plain", "p"]]));
  `);
  const got = Object.fromEntries(ofType(r.events, "var").map((e) => [e.name, e.value]));
  assert.deepEqual(got, { userPassword: "[REDACTED]", name: "'bob'",
    config: "{apiKey: [REDACTED], API_KEY: [REDACTED], Session: [REDACTED], ok: 1}",
    m: "Map(2) {'auth_token' => [REDACTED], 'plain' => 'p'}" });
  const custom = run(`__ct.v(F, 1, "password", "p", "zeta", "z", "Zed", "z2");`, { config: { redact: ["^z"] } });
  assert.deepEqual(ofType(custom.events, "var").map((e) => e.value), ["'p'", "[REDACTED]", "[REDACTED]"]);
  const bad = run(`__ct.v(F, 1, "plain", "p");`, { config: { redact: ["(unclosed"] } });
  assert.equal(ofType(bad.events, "var")[0].value, "[REDACTED]");
});

test("full repr mode: class instances inspected without getters, guarded", () => {
  const r = run(`
    const ran = [];
    class Point { constructor() { this.x = 1; this.y = 2; } get len() { ran.push("getter"); return 3; } }
    class Bad { constructor() { this.a = 1; } }
    __ct.v(F, 1, "p", new Point(), "plain", { a: 1 });
    console.log(JSON.stringify(ran));
  `, { config: { repr: "full" } });
  assert.equal(r.stdout.trim(), "[]");
  const got = Object.fromEntries(ofType(r.events, "var").map((e) => [e.name, e.value]));
  assert.equal(got.p, "Point { x: 1, y: 2 }");
  assert.equal(got.plain, "{a: 1}");
});

// ------------------------------------------------------------------ processes, threads, copies

test("worker threads and two processes append whole lines to one file", async () => {
  const dir = tempDir();
  const trace = path.join(dir, "trace.jsonl");
  fs.writeFileSync(path.join(dir, "_ctinject.cjs"), runtimeSource({ max_spans_per_function: 0 }));
  fs.writeFileSync(path.join(dir, "main.cjs"), PRELUDE + `
    const { Worker, isMainThread, threadId } = require("worker_threads");
    ${fn("f", "i, pad", "__ct.v(F, 2, 'pad', pad); return __ct.r(__ct_s, i);")}
    const pad = "p".repeat(150) + process.argv[2];
    const n = 3000;
    if (isMainThread) {
      for (let k = 0; k < 2; k++) new Worker(__filename, { argv: [process.argv[2] + "w" + k] });
      for (let i = 0; i < n; i++) f(i, pad);
    } else {
      for (let i = 0; i < n; i++) f(i, pad);
    }
  `);
  const env = { ...process.env, CTINJECT_TRACE_FILE: trace };
  delete env.CTINJECT_DISABLE;
  const runOne = (tag) => new Promise((resolve, reject) => {
    const c = spawn(process.execPath, [path.join(dir, "main.cjs"), tag], { cwd: dir, env, stdio: "inherit" });
    c.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`exit ${code}`))));
  });
  await Promise.all([runOne("A"), runOne("B")]);
  const lines = fs.readFileSync(trace, "utf8").split("\n");
  assert.equal(lines.pop(), "", "the file ends with a whole line");
  const events = lines.map((l) => JSON.parse(l)); // throws on an interleaved line
  const s = spans(events);
  assert.equal(s.length, 2 * 3 * 3000);
  const byThread = new Map();
  for (const e of s) {
    const k = `${e.pid}/${e.tid}`;
    byThread.set(k, (byThread.get(k) || 0) + 1);
  }
  assert.equal(byThread.size, 6);
  for (const c of byThread.values()) assert.equal(c, 3000);
  assert.deepEqual(new Set(s.map((e) => e.tid)), new Set([0, 1, 2]));
  for (const v of ofType(events, "var")) {
    assert.match(v.value, /^'p{150}[AB](w[01])?'$/);
  }
  assert.equal(new Set(s.map((e) => e.span_id)).size, s.length, "span ids unique across threads and processes");
});

test("a worker that exits with process.exit() still writes its events", () => {
  const r = run(`
    const { Worker, isMainThread } = require("worker_threads");
    ${fn("f", "", "return __ct.r(__ct_s, 1);")}
    if (isMainThread) { new Worker(__filename); } else { f(); f(); process.exit(0); }
  `);
  const s = spans(r.events);
  assert.equal(s.length, 2);
  assert.ok(s.every((e) => e.tid === 1));
});

test("process.exit() and an uncaught exception: buffered events are written", () => {
  const r = run(`${fn("f", "", "return __ct.r(__ct_s, 1);")} f(); process.exit(3);`, { mayFail: true });
  assert.equal(r.status, 3);
  assert.equal(spans(r.events).length, 1);
  const u = run(`${fn("f", "", "throw new Error('x');")} f();`, { mayFail: true });
  assert.equal(u.status, 1);
  assert.equal(spans(u.events)[0].status, "error");
});

test("two copies of the runtime in one process share ids, current span and the file", () => {
  const dir = tempDir();
  fs.mkdirSync(path.join(dir, "pkg"));
  fs.writeFileSync(path.join(dir, "pkg", "_ctinject.cjs"), runtimeSource({ redact: ["^nothing$"] }));
  fs.writeFileSync(path.join(dir, "pkg", "lib.cjs"), `const __ct = require("./_ctinject.cjs"); const F = "pkg/lib.js";
    ${fn("libf", "token", "return __ct.r(__ct_s, token);")}
    module.exports = { libf, api: __ct };`);
  const r = run(`
    const lib = require("./pkg/lib.cjs");
    ${fn("appf", "token", "return __ct.r(__ct_s, lib.libf(token));")}
    appf("t");
    console.log(lib.api === __ct ? "same" : "distinct");
  `, { dir });
  assert.equal(r.stdout.trim(), "distinct", "each configuration has its own API object");
  const app = spans(r.events, "appf")[0];
  const lib = spans(r.events, "libf")[0];
  assert.equal(lib.parent_id, app.span_id);
  assert.equal(lib.trace_id, app.trace_id);
  assert.equal(app.args.token, "[REDACTED]", "the app's copy: default patterns");
  assert.equal(lib.args.token, "'t'", "the library's copy: its own patterns");
  assert.equal(lib.file, "pkg/lib.js");
});

test("ES modules import the runtime as their default export", () => {
  const r = run(`import __ct from "./_ctinject.cjs";
    const F = "src/mod.mjs";
    ${fn("f", "x", "return __ct.r(__ct_s, x);")}
    f(5);
  `, { name: "main.mjs", prelude: false });
  const [sp] = spans(r.events);
  assert.equal(sp.file, "src/mod.mjs");
  assert.equal(sp.return, "5");
});
