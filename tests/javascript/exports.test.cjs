// How programs bind the generated JavaScript runtime (_ctinject.cjs):
// require() gives the API object; an ES module sees its functions as named
// exports (`import * as __ct`), and as the default export's properties.
//
//     node --test tests/javascript/
"use strict";

const test = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { spawnSync } = require("node:child_process");

const RUNTIME = path.resolve(__dirname, "..", "..", "src", "runtime", "javascript", "_ctinject.cjs");
const NAMES = ["s", "r", "x", "e", "aw", "ar", "v", "vw", "b", "li", "c"];

test("require() gives an object of the API's functions", () => {
  const api = require(RUNTIME);
  for (const k of NAMES) assert.equal(typeof api[k], "function", k);
});

test("ES modules: named exports, the namespace and the default export", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ctinject-js-exports-"));
  try {
    fs.copyFileSync(RUNTIME, path.join(dir, "_ctinject.cjs"));
    fs.writeFileSync(path.join(dir, "main.mjs"), `import * as __ct from "./_ctinject.cjs";
      import { s, r, e } from "./_ctinject.cjs";
      import def from "./_ctinject.cjs";
      const names = ${JSON.stringify(NAMES)};
      for (const k of names) {
        if (typeof __ct[k] !== "function" || def[k] !== __ct[k]) throw new Error("export " + k);
      }
      const F = "src/mod.mjs";
      function f(x) { const __ct_s = __ct.s(F, 6, "f", "function", "x", arguments);
        try { __ct.v(F, 7, "x", x); return __ct.r(__ct_s, x + 1); }
        catch (__ct_e) { __ct.x(__ct_s, __ct_e); throw __ct_e; } finally { __ct.e(__ct_s); } }
      const sp = s(F, 9, "g", "function", "", null);
      e(sp, r(sp, f(1)));
    `);
    const trace = path.join(dir, "trace.jsonl");
    const env = { ...process.env, CTINJECT_TRACE_FILE: trace };
    delete env.CTINJECT_DISABLE;
    const c = spawnSync(process.execPath, ["main.mjs"], { cwd: dir, env, encoding: "utf8" });
    assert.equal(c.status, 0, c.stderr);
    const events = fs.readFileSync(trace, "utf8").trim().split("\n").map((l) => JSON.parse(l));
    const spans = events.filter((ev) => ev.type === "span");
    assert.deepEqual(spans.map((sp) => [sp.name, sp.return]), [["f", "2"], ["g", "2"]]);
    assert.equal(spans[0].parent_id, spans[1].span_id);
    assert.equal(events.find((ev) => ev.type === "var").value, "1");
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
