#!/usr/bin/env bash
# Tests of the Java runtime (src/runtime/java/ctinject/CtInject.java):
# compiles it (javac --release 11 -Xlint:all -Werror), with variants of its
# configuration constants, and the test programs tests/java/app (scenarios)
# and tests/java/forms (every method shape the inserted calls must compile
# in); runs each scenario with telemetry on and off (same stdout, stderr and
# exit code), checks the events with check.py, then runs the benchmark.
# Usage: tests/java/run-runtime-tests.sh [--no-bench]
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bench=1
[ "${1:-}" = "--no-bench" ] && bench=0
for tool in javac java python3; do
	command -v "$tool" >/dev/null || { echo "run-runtime-tests.sh: $tool not found" >&2; exit 2; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
unset CTINJECT_TRACE_FILE CTINJECT_DISABLE CTINJECT_TRACE_WARNED
failures=0
summary=()
step() { # name, command...
	local name=$1; shift
	if "$@" >"$tmp/log" 2>&1; then
		summary+=("ok    $name")
	else
		summary+=("FAIL  $name")
		failures=$((failures + 1))
		sed 's/^/    /' "$tmp/log" | tail -60
	fi
}
rt=$root/src/runtime/java/ctinject/CtInject.java

# variant NAME 'CONSTANT = VALUE' ...: the runtime with constants replaced, compiled
variant() {
	local name=$1; shift
	mkdir -p "$tmp/src-$name/ctinject"
	python3 - "$rt" "$tmp/src-$name/ctinject/CtInject.java" "$@" <<'PY' || return 1
import re, sys
src, dst, *subs = sys.argv[1:]
s = open(src).read()
for sub in subs:
    name, value = [x.strip() for x in sub.split("=", 1)]
    pat = re.compile(r"(static final \w+ %s = )[^;]+;" % re.escape(name))
    assert len(pat.findall(s)) == 1, "no constant " + name
    s = pat.sub(lambda m: m.group(1) + value + ";", s)
open(dst, "w").write(s)
PY
	javac --release 11 -Xlint:all -Werror -d "$tmp/rt-$name" "$tmp/src-$name/ctinject/CtInject.java"
}
compile() {
	javac --release 11 -Xlint:all -Werror -d "$tmp/rt" "$rt" &&
	javac --release 11 -Xlint:all -Werror -cp "$tmp/rt" -d "$tmp/app" "$here/app/App.java" &&
	javac --release 11 -Xlint:all -Werror -cp "$tmp/rt" -d "$tmp/forms" "$here/forms/Forms.java" &&
	javac --release 11 -Xlint:all -Werror -cp "$tmp/rt" -d "$tmp/bench" "$here/bench/Bench.java" &&
	variant small 'MAX_TRACE_BYTES = 20000L' &&
	variant nocap 'MAX_SPANS_PER_FUNCTION = 0' 'MAX_EVENTS_PER_SITE_PER_PROCESS = 0' 'MAX_TRACE_BYTES = 0L'
}
step "javac --release 11: the runtime (3 configurations) and the test programs" compile
if [ "$failures" -gt 0 ]; then
	printf '%s\n' "${summary[@]}"
	exit 1
fi

# run DIR CP MAIN ARGS...: runs with the current environment into DIR/{out,err,rc}
run() {
	local d=$1 cp=$2; shift 2
	mkdir -p "$d"
	(cd "$tmp" && java -cp "$cp" "$@" >"$d/out" 2>"$d/err"; echo $? >"$d/rc")
}
same() { # dir1 dir2: same stdout, stderr, exit code
	local f ok=0
	for f in out err rc; do
		if ! cmp -s "$1/$f" "$2/$f"; then
			echo "$f differs with telemetry on and off:"; diff "$1/$f" "$2/$f" | head -20; ok=1
		fi
	done
	return $ok
}
# scenario NAME CP MAIN ARGS...: off (no file), on (events checked), same output
scenario() {
	local name=$1 cp=$2; shift 2
	local d=$tmp/s-$name
	rm -f "$tmp/trace.jsonl"
	run "$d/off" "$cp" "$@"
	[ ! -e "$tmp/trace.jsonl" ] || { echo "a trace file with telemetry off"; return 1; }
	CTINJECT_TRACE_FILE=$tmp/trace.jsonl run "$d/on" "$cp" "$@"
	same "$d/off" "$d/on" || return 1
	echo "exit code $(cat "$d/on/rc")"
	python3 "$here/check.py" "$name" "$tmp/trace.jsonl"
}
app=$tmp/rt:$tmp/app
basic() {
	scenario basic "$app" app.App basic || return 1
	# no toString, hashCode, iterator or getMessage of the program ran
	grep -qx "side effects 0" "$tmp/s-basic/on/out" || { echo "the runtime ran code of the program"; return 1; }
}
step "spans, parents, failures, branches, loops, exceptions, values (no user code run), redaction" basic
step "caps: calls, vars, loops, branches, exceptions summaries; suppressed" scenario caps "$app" app.App caps
step "threads: own tids, no parent across threads" scenario threads "$app" app.App threads
step "odd arguments (null file and name, odd pairs, null exception)" scenario odd "$app" app.App odd
step "8 threads on one function: the caps hold exactly" scenario stress "$app" app.App stress
step "an uncaught exception (exit code 1)" scenario fail "$app" app.App fail
step "System.exit(3) inside a span" scenario exit "$app" app.App exit
step "the forms in every method shape (checked exceptions, generics, lambdas, constructors)" scenario forms "$tmp/rt:$tmp/forms" forms.Forms

two() {
	rm -f "$tmp/trace.jsonl"
	CTINJECT_TRACE_FILE=$tmp/trace.jsonl run "$tmp/two1" "$app" app.App basic &
	CTINJECT_TRACE_FILE=$tmp/trace.jsonl run "$tmp/two2" "$app" app.App basic &
	wait
	python3 "$here/check.py" two "$tmp/trace.jsonl"
}
step "two processes appending to one file" two

off_variants() {
	run "$tmp/v-off" "$app" app.App basic
	rm -f "$tmp/trace.jsonl"
	CTINJECT_TRACE_FILE=$tmp/trace.jsonl CTINJECT_DISABLE=1 run "$tmp/v-disabled" "$app" app.App basic
	[ ! -e "$tmp/trace.jsonl" ] || { echo "CTINJECT_DISABLE=1 wrote a file"; return 1; }
	same "$tmp/v-off" "$tmp/v-disabled" || return 1
	CTINJECT_TRACE_FILE=$tmp/trace.jsonl CTINJECT_DISABLE=yes run "$tmp/v-yes" "$app" app.App basic
	[ ! -e "$tmp/trace.jsonl" ] || { echo "CTINJECT_DISABLE=yes wrote a file"; return 1; }
	CTINJECT_TRACE_FILE= run "$tmp/v-empty" "$app" app.App basic
	same "$tmp/v-off" "$tmp/v-empty" || return 1
	# relative to the working directory, its folders created
	CTINJECT_TRACE_FILE=rel/dir/t.jsonl run "$tmp/v-rel" "$app" app.App basic
	python3 "$here/check.py" basic "$tmp/rel/dir/t.jsonl" || return 1
	# a path that cannot be written: one line on stderr, telemetry off
	touch "$tmp/afile"
	CTINJECT_TRACE_FILE=$tmp/afile/sub/t.jsonl run "$tmp/v-bad" "$app" app.App basic
	cmp -s "$tmp/v-off/out" "$tmp/v-bad/out" || { echo "stdout differs"; return 1; }
	cmp -s "$tmp/v-off/rc" "$tmp/v-bad/rc" || { echo "exit code differs"; return 1; }
	[ "$(wc -l <"$tmp/v-bad/err")" = 1 ] && grep -q '^ctinject: cannot write the trace file ' "$tmp/v-bad/err" ||
		{ echo "want one line on stderr, got:"; cat "$tmp/v-bad/err"; return 1; }
	cat "$tmp/v-bad/err"
}
step "off: CTINJECT_DISABLE, empty path, relative path, unwritable path" off_variants

flood() {
	rm -f "$tmp/trace.jsonl"
	run "$tmp/f-off" "$tmp/rt-small:$tmp/app" app.App flood
	CTINJECT_TRACE_FILE=$tmp/trace.jsonl run "$tmp/f-on" "$tmp/rt-small:$tmp/app" app.App flood
	same "$tmp/f-off" "$tmp/f-on" || return 1
	python3 "$here/check.py" flood "$tmp/trace.jsonl" 20000 || return 1
	local size
	size=$(wc -c <"$tmp/trace.jsonl")
	echo "file: $size bytes for a limit of 20000"
	[ "$size" -le $((20000 + 2 * 65536 + 200)) ] || { echo "too far past the limit"; return 1; }
	# a file already over the limit gets only the truncated line
	CTINJECT_TRACE_FILE=$tmp/trace.jsonl run "$tmp/f-on2" "$tmp/rt-small:$tmp/app" app.App basic
	[ "$(wc -c <"$tmp/trace.jsonl")" -le $((size + 200)) ] || { echo "wrote past the limit"; return 1; }
	tail -n 1 "$tmp/trace.jsonl" | grep -q '"type":"truncated"' || { echo "no truncated line at the end"; return 1; }
}
step "max_trace_bytes: the truncated event (a variant with a 20000-byte limit)" flood

for s in "${summary[@]}"; do echo "$s"; done

if [ "$bench" = 1 ]; then
	echo
	echo "benchmark (bench/Bench.java: a span with 2 args, a var, a branch, a 2-iteration loop per call; best of 3):"
	n=20000000
	plain=$(cd "$tmp" && java -cp "$tmp/rt:$tmp/bench" bench.Bench plain $n)
	off=$(cd "$tmp" && java -cp "$tmp/rt:$tmp/bench" bench.Bench inst $n)
	on=$(cd "$tmp" && CTINJECT_TRACE_FILE=$tmp/bench.jsonl java -cp "$tmp/rt:$tmp/bench" bench.Bench inst 5000000)
	rm -f "$tmp/bench.jsonl"
	full=$(cd "$tmp" && CTINJECT_TRACE_FILE=$tmp/bench.jsonl java -cp "$tmp/rt-nocap:$tmp/bench" bench.Bench inst 300000)
	full_bytes=$(wc -c <"$tmp/bench.jsonl")
	rm -f "$tmp/bench.jsonl"
	python3 - "$plain" "$off" "$on" "$full" "$full_bytes" <<'PY'
import sys
plain, off, on, full = map(float, sys.argv[1:5])
calls = 200000 + 3 * 300000  # Bench's warm-up and 3 rounds
print("  plain method (no calls)           %8.2f ns/call" % plain)
print("  instrumented, telemetry off       %8.2f ns/call  (%.1fx plain, +%.2f ns)" % (off, off / plain, off - plain))
print("  on, default caps (quiet after 1000) %6.2f ns/call  (%.1fx plain, %.1fx off)" % (on, on / plain, on / off))
print("  on, every call and event written  %8.2f ns/call  (%.1fx plain, %.1fx off; %d bytes a call)"
      % (full, full / plain, full / off, int(sys.argv[5]) // calls))
PY
fi
[ "$failures" = 0 ]
