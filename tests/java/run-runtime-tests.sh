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
. "$here/../fallback-runtimes/lib.sh"
need_tools javac java python3
rt=$root/src/runtime/java/ctinject/CtInject.java

# variant NAME 'CONSTANT = VALUE' ...: the runtime with constants replaced, compiled
variant() {
	local name=$1; shift
	mkdir -p "$tmp/src-$name/ctinject"
	replace_constants '(static final \w+ %s = )[^;]+;' ';' "$rt" "$tmp/src-$name/ctinject/CtInject.java" "$@" || return 1
	javac --release 11 -Xlint:all -Werror -d "$tmp/rt-$name" "$tmp/src-$name/ctinject/CtInject.java"
}
compile() {
	javac --release 11 -Xlint:all -Werror -d "$tmp/rt" "$rt" &&
	javac --release 11 -Xlint:all -Werror -cp "$tmp/rt" -d "$tmp/app" "$here/app/App.java" &&
	javac --release 11 -Xlint:all -Werror -cp "$tmp/rt" -d "$tmp/forms" "$here/forms/Forms.java" &&
	javac --release 11 -Xlint:all -Werror -cp "$tmp/rt" -d "$tmp/bench" "$here/bench/Bench.java" &&
	variant small 'MAX_TRACE_BYTES = 20000L' &&
	variant nocap 'MAX_SPANS_PER_FUNCTION = 0' 'MAX_EVENTS_PER_SITE_PER_PROCESS = 0' 'MAX_TRACE_BYTES = 0L' &&
	variant caps1000 'MAX_SPANS_PER_FUNCTION = 1000'
}
step "javac --release 11: the runtime (4 configurations) and the test programs" compile
stop_if_failed

# run DIR CP MAIN ARGS...: runs with the current environment into DIR/{out,err,rc}
run() {
	local d=$1 cp=$2; shift 2
	mkdir -p "$d"
	(cd "$tmp" && java -cp "$cp" "$@" >"$d/out" 2>"$d/err"; echo $? >"$d/rc")
}
# scenario NAME CP MAIN ARGS...: off (no file), on (events checked), same output
scenario() {
	local name=$1; shift
	checked_scenario "$name" "$name" "$@"
}
app=$tmp/rt:$tmp/app
basic() {
	scenario basic "$app" app.App basic || return 1
	# no toString, hashCode, iterator or getMessage of the program ran
	grep -qx "side effects 0" "$tmp/s-basic/on/out" || { echo "the runtime ran code of the program"; return 1; }
}
step "spans, parents, failures, branches, loops, exceptions, values (no user code run), redaction" basic
# (the caps scenarios are built on 1000 spans of a function, not the default 200)
caps_app=$tmp/rt-caps1000:$tmp/app
step "caps: calls, vars, loops, branches, exceptions summaries; suppressed" scenario caps "$caps_app" app.App caps
step "threads: own tids, no parent across threads" scenario threads "$app" app.App threads
step "odd arguments (null file and name, odd pairs, null exception)" scenario odd "$app" app.App odd
step "8 threads on one function: the caps hold exactly" scenario stress "$caps_app" app.App stress
step "an uncaught exception (exit code 1)" scenario fail "$app" app.App fail
step "System.exit(3) inside a span" scenario exit "$app" app.App exit
step "the forms in every method shape (checked exceptions, generics, lambdas, constructors)" scenario forms "$tmp/rt:$tmp/forms" forms.Forms

two() { two_processes "$app" app.App; }
step "two processes appending to one file" two

off_variants() {
	off_paths "$app" app.App &&
	# a path that cannot be written: one line on stderr, telemetry off
	unwritable_path "$tmp/v-off" "$app" app.App basic
}
step "off: CTINJECT_DISABLE, empty path, relative path, unwritable path" off_variants

flood() { truncation "$tmp/rt-small:$tmp/app" app.App; }
step "max_trace_bytes: the truncated event (a variant with a 20000-byte limit)" flood

print_summary

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
print("  on, default caps (quiet after 200)  %6.2f ns/call  (%.1fx plain, %.1fx off)" % (on, on / plain, on / off))
print("  on, every call and event written  %8.2f ns/call  (%.1fx plain, %.1fx off; %d bytes a call)"
      % (full, full / plain, full / off, int(sys.argv[5]) // calls))
PY
fi
[ "$failures" = 0 ]
