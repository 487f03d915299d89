// Runs the TypeScript runtime (src/runtime/typescript/_ctinject.ts) as
// programs run it: compiled by tsc to CommonJS and to ES modules, and
// untyped under tsx; with and without process.getBuiltinModule; beside a
// copy of the generated _ctinject.cjs in one process.
//
//     node --test tests/typescript/
//
// The pinned tsc and tsx come from ci/node-tools (CTINJECT_NODE_TOOLS_DIR,
// when set, names its folder).
"use strict";

const test = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { spawnSync, execFileSync } = require("node:child_process");

const ROOT = path.resolve(__dirname, "..", "..");
const TS_RUNTIME = fs.readFileSync(path.join(ROOT, "src", "runtime", "typescript", "_ctinject.ts"), "utf8");
const JS_RUNTIME = fs.readFileSync(path.join(ROOT, "src", "runtime", "javascript", "_ctinject.cjs"), "utf8");
const CONFIG_LINE = 'const CONFIG_JSON = "{}";';
const TOOLS = process.env.CTINJECT_NODE_TOOLS_DIR ||
  execFileSync(path.join(ROOT, "ci", "node-tools"), { encoding: "utf8" }).trim();
const TSC = path.join(TOOLS, "node_modules", ".bin", "tsc");
const TSX = path.join(TOOLS, "node_modules", ".bin", "tsx");

// the runtime with a configuration baked in, as ctinject writes it
function baked(text, config) {
  assert.equal(text.split(CONFIG_LINE).length, 2, "exactly one config line");
  return text.replace(CONFIG_LINE, `const CONFIG_JSON = ${JSON.stringify(JSON.stringify(config))};`);
}

const made = [];
test.after(() => {
  for (const dir of made) fs.rmSync(dir, { recursive: true, force: true });
});

// A project: package.json of `type`, the runtime, main.ts importing it as
// `spec`, and a tsconfig for `module`.
function project(type, spec, module) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ctinject-ts-test-"));
  made.push(dir);
  fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ private: true, type }));
  fs.writeFileSync(path.join(dir, "_ctinject.ts"), baked(TS_RUNTIME, { redact: ["^secret$"] }));
  fs.writeFileSync(path.join(dir, "main.ts"), `import * as __ct from ${JSON.stringify(spec)};\n${MAIN}`);
  fs.writeFileSync(path.join(dir, "tsconfig.json"), JSON.stringify({
    compilerOptions: { strict: true, target: "es2022", module, moduleResolution: module === "commonjs" ? "node10" : module,
      outDir: "out", types: ["node"], typeRoots: [path.join(TOOLS, "node_modules", "@types")] },
    files: ["main.ts", "_ctinject.ts"],
  }));
  return dir;
}

// Instrumented code, as ctinject writes it.
const MAIN = `const F = "src/main.ts";
export function add(a: number, secret: string): number {
  const __ct_s = __ct.s(F, 2, "add", "function", "a,secret", arguments);
  try {
    const y: number = a + secret.length;
    __ct.v(F, 5, "y", y);
    return __ct.r(__ct_s, y);
  } catch (__ct_e) { __ct.x(__ct_s, __ct_e); throw __ct_e; } finally { __ct.e(__ct_s); }
}
async function later(p: Promise<string>): Promise<string> {
  const __ct_s = __ct.s(F, 10, "later", "async function", "p", arguments);
  try {
    const got = __ct.ar(__ct_s, await __ct.aw(__ct_s, p));
    return __ct.r(__ct_s, got + "!");
  } catch (__ct_e) { __ct.ar(__ct_s); __ct.x(__ct_s, __ct_e); throw __ct_e; } finally { __ct.e(__ct_s); }
}
console.log(add(40, "xy"));
later(Promise.resolve("done")).then((s) => console.log(s));
`;

function compile(dir) {
  const r = spawnSync(TSC, ["-p", dir], { encoding: "utf8" });
  assert.equal(r.status, 0, `tsc failed:\n${r.stdout}${r.stderr}`);
}

// Runs `args` with node (or `cmd`) in `dir` with a trace file; its events.
function run(dir, args, opts = {}) {
  const trace = path.join(dir, "trace.jsonl");
  fs.rmSync(trace, { force: true });
  const env = { ...process.env, CTINJECT_TRACE_FILE: trace };
  delete env.CTINJECT_DISABLE;
  delete env.CTINJECT_TRACE_WARNED;
  const r = spawnSync(opts.cmd || process.execPath, args, { cwd: dir, env, encoding: "utf8", timeout: 60000 });
  assert.equal(r.status, 0, `child failed:\n${r.stdout}\n${r.stderr}`);
  const text = fs.existsSync(trace) ? fs.readFileSync(trace, "utf8") : null;
  const events = text === null ? null : text.split("\n").filter((l) => l !== "").map((l) => JSON.parse(l));
  return { events, stdout: r.stdout };
}

function checkEvents(r) {
  assert.deepEqual(r.stdout.split("\n"), ["42", "done!", ""]);
  assert.ok(r.events !== null, "a trace file is written");
  const add = r.events.find((e) => e.type === "span" && e.name === "add");
  assert.deepEqual([add.lang, add.file, add.line, add.kind, add.status], ["javascript", "src/main.ts", 2, "function", "ok"]);
  assert.deepEqual(add.args, { a: "40", secret: "[REDACTED]" }, "the baked configuration's patterns");
  assert.equal(add.return, "42");
  const y = r.events.find((e) => e.type === "var");
  assert.deepEqual([y.name, y.value, y.line, y.span_id, y.trace_id], ["y", "42", 5, add.span_id, add.trace_id]);
  const later = r.events.find((e) => e.type === "span" && e.name === "later");
  assert.equal(later.return, "'done!'");
  assert.equal(later.parent_id, null);
}

// Node.js without process.getBuiltinModule (before 20.16): loaded first.
const NO_GBM = "delete process.getBuiltinModule;\n";

test("compiled to CommonJS by tsc: spans, arguments, return values, variables", () => {
  const dir = project("commonjs", "./_ctinject", "commonjs");
  compile(dir);
  checkEvents(run(dir, ["out/main.js"]));
  // without getBuiltinModule: through the module's require
  fs.writeFileSync(path.join(dir, "no-gbm.cjs"), NO_GBM);
  checkEvents(run(dir, ["--require", "./no-gbm.cjs", "out/main.js"]));
});

test("compiled to ES modules by tsc; without getBuiltinModule telemetry is off", () => {
  const dir = project("module", "./_ctinject.js", "nodenext");
  compile(dir);
  assert.match(fs.readFileSync(path.join(dir, "out", "_ctinject.js"), "utf8"), /^export const s = api\.s;$/m);
  checkEvents(run(dir, ["out/main.js"]));
  fs.writeFileSync(path.join(dir, "no-gbm.cjs"), NO_GBM);
  const off = run(dir, ["--require", "./no-gbm.cjs", "out/main.js"]);
  assert.deepEqual(off.stdout.split("\n"), ["42", "done!", ""], "the program runs as the original");
  assert.equal(off.events, null, "no require in an ES module: no telemetry");
});

test("untyped under tsx (transpile only), ES module and CommonJS", () => {
  checkEvents(run(project("module", "./_ctinject.js", "nodenext"), ["main.ts"], { cmd: TSX }));
  checkEvents(run(project("commonjs", "./_ctinject", "commonjs"), ["main.ts"], { cmd: TSX }));
});

test("a .ts copy (compiled) and a .cjs copy in one process share one core", () => {
  const dir = project("commonjs", "./_ctinject", "commonjs");
  compile(dir);
  fs.writeFileSync(path.join(dir, "_ctinject.cjs"), baked(JS_RUNTIME, {}));
  fs.writeFileSync(path.join(dir, "app.cjs"), `const __ct = require("./_ctinject.cjs");
    const F = "src/app.js";
    function outer() { const __ct_s = __ct.s(F, 3, "outer", "function", "", arguments);
      try { return __ct.r(__ct_s, require("./out/main.js").add(1, "a")); }
      catch (__ct_e) { __ct.x(__ct_s, __ct_e); throw __ct_e; } finally { __ct.e(__ct_s); } }
    outer();`);
  const { events } = run(dir, ["app.cjs"]);
  const outer = events.find((e) => e.type === "span" && e.name === "outer");
  const adds = events.filter((e) => e.type === "span" && e.name === "add");
  const inner = adds.find((e) => e.args.a === "1");
  assert.equal(inner.parent_id, outer.span_id, "the .ts copy's span is the .cjs copy's child");
  assert.equal(inner.trace_id, outer.trace_id);
  assert.equal(new Set(events.map((e) => e.tid + "/" + e.pid)).size, 1);
});
