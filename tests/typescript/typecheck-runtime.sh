#!/usr/bin/env bash
# Type-checks the TypeScript runtime (src/runtime/typescript/_ctinject.ts)
# as the program's own tsc sees it: under every module setting, with every
# strictness flag at once and with `strict` alone, with and without
# @types/node, with lib es2017 (no DOM) and with the default libs (and
# once for target ES5). Beside
# it, user.ts calls the API as instrumented code does (generic values,
# await, yield, overloads), and with @types/node a file uses Node's
# globals, which the runtime must leave alone. Any diagnostic fails
# (skipLibCheck: only .d.ts files go unchecked; a clash with a global of
# @types/node would be reported in the runtime).
#
#   tests/typescript/typecheck-runtime.sh      # from anywhere; uses ci/node-tools
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
tools=$("$root/ci/node-tools")
tsc=$tools/node_modules/.bin/tsc
runtime=$root/src/runtime/typescript/_ctinject.ts
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Every strictness flag (and erasableSyntaxOnly: Node.js strips the types
# of such files itself); each only adds checks, so all at once covers
# any subset of them (and `strict` alone is checked too).
ALL='"strict": true, "exactOptionalPropertyTypes": true, "noUncheckedIndexedAccess": true,
  "noImplicitOverride": true, "noImplicitReturns": true, "noUnusedLocals": true, "noUnusedParameters": true,
  "noFallthroughCasesInSwitch": true, "noPropertyAccessFromIndexSignature": true,
  "useUnknownInCatchVariables": true, "allowUnreachableCode": false, "isolatedModules": true,
  "isolatedDeclarations": true, "declaration": true, "erasableSyntaxOnly": true'
STRICT='"strict": true'

# Instrumented code, as ctinject writes it (the import line is prepended).
user_body() {
    cat <<'TS'
const F = "src/user.ts";
function add(a: number, b: number): number {
  const __ct_s = __ct.s(F, 2, "add", "function", "a,b", arguments);
  try {
    const y = a + b;
    __ct.v(F, 5, "y", y, "a", a);
    return __ct.r(__ct_s, y);
  } catch (__ct_e) { __ct.x(__ct_s, __ct_e); throw __ct_e; } finally { __ct.e(__ct_s); }
}
// literal and contextual types survive r() and vw()
function pick(flag: boolean): "a" | "b" {
  const __ct_s = __ct.s(F, 11, "pick", "function", "flag", arguments);
  try {
    if (flag) { __ct.b(F, 13, 0); return __ct.r(__ct_s, "a"); }
    __ct.b(F, 13, 1);
    return __ct.r(__ct_s, "b");
  } catch (__ct_e) { __ct.x(__ct_s, __ct_e); throw __ct_e; } finally { __ct.e(__ct_s); }
}
const twice: (n: number) => string = (n) => {
  const __ct_s = __ct.s(F, 20, "twice", "arrow", "n", [n]);
  try { return __ct.r(__ct_s, n.toFixed(1) + n.toFixed(1)); }
  catch (__ct_e) { __ct.x(__ct_s, __ct_e); throw __ct_e; } finally { __ct.e(__ct_s); }
};
let mode: 1 | 2 = 1;
mode = __ct.vw(F, 25, "mode", 2);
const tuple: readonly [number, string] = __ct.vw(F, 26, "tuple", [1, "x"] as const);
async function later(p: Promise<number>): Promise<number> {
  const __ct_s = __ct.s(F, 27, "later", "async function", "p", arguments);
  try {
    const got = __ct.ar(__ct_s, await __ct.aw(__ct_s, p));
    const n: number = got;
    await __ct.aw(__ct_s, null);
    __ct.ar(__ct_s);
    return __ct.r(__ct_s, n + 1);
  } catch (__ct_e) {
    __ct.ar(__ct_s);
    __ct.c(F, 36, __ct_e);
    __ct.x(__ct_s, __ct_e);
    throw __ct_e;
  } finally { __ct.e(__ct_s); }
}
function* gen(): Generator<number, string, boolean> {
  const __ct_s = __ct.s(F, 43, "gen", "generator", "", arguments);
  try {
    const ok: boolean = __ct.ar(__ct_s, yield __ct.aw(__ct_s, 1));
    for (let i = 0; i < 2; i++) {
      __ct.li(F, 47, "for");
      __ct.ar(__ct_s, yield __ct.aw(__ct_s, i));
    }
    return __ct.r(__ct_s, ok ? "yes" : "no");
  } catch (__ct_e) { __ct.x(__ct_s, __ct_e); throw __ct_e; } finally { __ct.e(__ct_s); }
}
function* bare(): Generator<undefined, void, unknown> {
  const __ct_s = __ct.s(F, 55, "bare", "generator", "", arguments);
  try { __ct.ar(__ct_s, yield __ct.aw(__ct_s)); } catch (__ct_e) { __ct.x(__ct_s, __ct_e); throw __ct_e; }
  finally { __ct.e(__ct_s); }
}
function noReturn(): void {
  const __ct_s = __ct.s(F, 60, "noReturn", "function", "", null);
  try { __ct.c(F, 61); } finally { __ct.e(__ct_s); }
}
const span: __ct.Span = __ct.s(F, 64, "top", "function", "", null);
__ct.e(span);
const letters: string = pick(add(1, 2) > 2) + twice(mode) + tuple[1];
void later(Promise.resolve(letters.length));
void gen().next();
void bare().next();
noReturn();
TS
}

# Node's globals still as @types/node declares them, beside the runtime.
node_user() {
    cat <<'TS'
const home: string | undefined = process.env["HOME"];
const b: Buffer = Buffer.from(home ?? "");
const r: NodeJS.Require | undefined = typeof require === "function" ? require : undefined;
console.log(b.length, r === undefined, process.pid);
TS
}

# check NAME MODULE RESOLUTION PKG_TYPE IMPORT FLAGS NODE(yes|no) LIB(es2017|default|es5) [VERBATIM]
check() {
    local name=$1 module=$2 resolution=$3 pkgtype=$4 import=$5 flags=$6 node=$7 lib=$8 verbatim=${9:-}
    local dir=$work/$name
    mkdir -p "$dir"
    cp "$runtime" "$dir/_ctinject.ts"
    printf '{ "private": true, "type": "%s" }\n' "$pkgtype" >"$dir/package.json"
    { echo "import * as __ct from \"$import\";"; user_body; } >"$dir/user.ts"
    local files='"_ctinject.ts", "user.ts"' types='"types": []' libs='"target": "es2017", "lib": ["es2017"]'
    if [ "$node" = yes ]; then
        node_user >"$dir/node-user.ts"
        files="$files, \"node-user.ts\""
        types="\"types\": [\"node\"], \"typeRoots\": [\"$tools/node_modules/@types\"]"
    fi
    [ "$lib" = default ] && libs='"target": "es2022"'
    # (the runtime alone: ES5 forbids `arguments` in async functions, which
    # is the instrumented code's matter)
    [ "$lib" = es5 ] && libs='"target": "es5", "lib": ["es2017"]' && files='"_ctinject.ts"'
    [ -n "$verbatim" ] && flags="$flags, \"verbatimModuleSyntax\": true"
    cat >"$dir/tsconfig.json" <<JSON
{ "compilerOptions": { $flags, $libs, $types, "module": "$module", "moduleResolution": "$resolution",
    "outDir": "out", "skipLibCheck": true },
  "files": [$files] }
JSON
    local out
    if ! out=$(cd "$dir" && "$tsc" -p . --pretty false 2>&1); then
        { echo "FAIL $name: module $module, $resolution, type $pkgtype, @types/node $node, lib $lib${verbatim:+, verbatimModuleSyntax}"
          echo "$out" | sed 's/^/    /'; } >"$dir.fail"
    fi
}

# Runs check in the background, as many at once as there are processors.
jobs_max=$(nproc 2>/dev/null || echo 2)
checked=0
spawn() {
    while [ "$(jobs -rp | wc -l)" -ge "$jobs_max" ]; do wait -n || true; done
    checked=$((checked + 1))
    check "$@" &
}

for node in no yes; do
    for set in all strict; do
        if [ "$set" = all ]; then flags=$ALL; else flags=$STRICT; fi
        for lib in es2017 default; do
            tag=$node-$set-$lib
            spawn "cjs-$tag" commonjs node10 commonjs ./_ctinject "$flags" "$node" "$lib"
            spawn "esnext-$tag" esnext bundler module ./_ctinject "$flags" "$node" "$lib" verbatim
            spawn "preserve-$tag" preserve bundler module ./_ctinject "$flags" "$node" "$lib" verbatim
            spawn "nodenext-cjs-$tag" nodenext nodenext commonjs ./_ctinject "$flags" "$node" "$lib"
            spawn "nodenext-esm-$tag" nodenext nodenext module ./_ctinject.js "$flags" "$node" "$lib" verbatim
        done
    done
done
# target ES5 (lib es2017) too: older projects still compile to it
spawn cjs-es5 commonjs node10 commonjs ./_ctinject "$ALL" no es5
wait
fails=0
for f in "$work"/*.fail; do
    [ -e "$f" ] || continue
    cat "$f"
    fails=$((fails + 1))
done
echo "typecheck-runtime: $checked configurations, $fails failed ($("$tsc" --version))"
[ "$fails" = 0 ]
