#!/usr/bin/env bash
# Tests of the Ruby runtime (src/runtime/ruby/ctinject.rb): checks it with
# ruby -wc, makes variants of its configuration constants, runs the scenarios
# of tests/ruby/app/app.rb with telemetry on and off (same stdout, stderr and
# exit code) and checks their events with check.py; the forms test takes
# tests/ruby/forms/forms.rb (methods of every shape with the forms inserted
# by hand), strips the forms (forms/strip.py: exactly their documented
# text) to get the original, checks both with ruby -c, and runs the original
# without the runtime and the instrumented file with telemetry off and on:
# the same stdout (results, exception messages, backtrace lines and labels),
# stderr (an uncaught exception) and exit code. Then the benchmark.
# Usage: tests/ruby/run-runtime-tests.sh [--no-bench]
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bench=1
[ "${1:-}" = "--no-bench" ] && bench=0
for tool in ruby python3; do
	command -v "$tool" >/dev/null || { echo "run-runtime-tests.sh: $tool not found" >&2; exit 2; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
unset CTINJECT_TRACE_FILE CTINJECT_DISABLE CTINJECT_TRACE_WARNED RUBYOPT
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
rt=$root/src/runtime/ruby/ctinject.rb

# variant NAME 'CONSTANT = VALUE' ...: the runtime with constants replaced
variant() {
	local name=$1; shift
	python3 - "$rt" "$tmp/rt-$name.rb" "$@" <<'PY' || return 1
import re, sys
src, dst, *subs = sys.argv[1:]
s = open(src).read()
for sub in subs:
    name, value = [x.strip() for x in sub.split("=", 1)]
    pat = re.compile(r"^(  %s = ).*$" % re.escape(name), re.M)
    assert len(pat.findall(s)) == 1, "no constant " + name
    s = pat.sub(lambda m: m.group(1) + value, s)
open(dst, "w").write(s)
PY
	ruby -wc "$tmp/rt-$name.rb" >/dev/null
}
compile() {
	local w
	w=$(ruby -wc "$rt" 2>&1) && [ "$w" = "Syntax OK" ] || { echo "$w"; return 1; }
	ruby -wc "$here/app/app.rb" >/dev/null &&
	ruby -wc "$here/bench/bench.rb" >/dev/null &&
	variant small 'MAX_TRACE_BYTES = 20000' &&
	variant nocap 'MAX_SPANS_PER_FUNCTION = 0' 'MAX_EVENTS_PER_SITE_PER_PROCESS = 0' 'MAX_TRACE_BYTES = 0'
}
step "ruby -wc: the runtime (no warnings; 3 configurations) and the test programs" compile
if [ "$failures" -gt 0 ]; then
	printf '%s\n' "${summary[@]}"
	exit 1
fi

# run DIR RUNTIME PROGRAM ARGS...: runs in $tmp with the current environment into DIR/{out,err,rc}
run() {
	local d=$1 r=$2; shift 2
	mkdir -p "$d"
	(cd "$tmp" && ruby -r"$r" "$@" >"$d/out" 2>"$d/err"; echo $? >"$d/rc")
}
same() { # dir1 dir2: same stdout, stderr, exit code
	local f ok=0
	for f in out err rc; do
		if ! cmp -s "$1/$f" "$2/$f"; then
			echo "$f differs:"; diff "$1/$f" "$2/$f" | head -20; ok=1
		fi
	done
	return $ok
}
app=$here/app/app.rb
# scenario NAME [RUNTIME]: off (no file), on (events checked), same output
scenario() {
	local name=$1 r=${2:-$rt}
	local d=$tmp/s-$name
	rm -f "$tmp/trace.jsonl"
	run "$d/off" "$r" "$app" "$name"
	[ ! -e "$tmp/trace.jsonl" ] || { echo "a trace file with telemetry off"; return 1; }
	CTINJECT_TRACE_FILE=$tmp/trace.jsonl run "$d/on" "$r" "$app" "$name"
	same "$d/off" "$d/on" || return 1
	echo "exit code $(cat "$d/on/rc")"
	python3 "$here/check.py" "$name" "$tmp/trace.jsonl"
}
basic() {
	scenario basic || return 1
	# no inspect, to_s, ==, each_pair, method_missing or message of the program ran
	grep -qx "side effects 0" "$tmp/s-basic/on/out" || { echo "the runtime ran code of the program"; return 1; }
}
step "spans, parents, failures, branches, loops, exceptions, values (no user code run), redaction" basic
step "caps: calls, vars, loops, branches, exceptions summaries; suppressed" scenario caps
step "threads: own tids, no parent across threads" scenario threads
step "fibers: an Enumerator's next, a Fiber: fiber-local current span" scenario fibers
step "odd arguments (nil file and name, odd pairs, nil and BasicObject exceptions, unended spans)" scenario odd
step "8 threads on one function: the caps hold exactly" scenario stress
step "fork: the child's pid, ids and buffer; the span open at the fork written once; exit!" scenario fork
step "an uncaught exception (exit code 1)" scenario fail
step "exit(3) inside a span (SystemExit through it)" scenario exit

forms() {
	local d=$tmp/forms
	mkdir -p "$d/orig" "$d/inst"
	python3 "$here/forms/strip.py" "$here/forms/forms.rb" "$d/orig/forms.rb" || return 1
	cp "$here/forms/forms.rb" "$d/inst/forms.rb"
	(cd "$d/orig" && ruby -c forms.rb) && (cd "$d/inst" && ruby -c forms.rb) || return 1
	(cd "$d/orig" && ruby forms.rb >out 2>err; echo $? >rc)
	rm -f "$tmp/trace.jsonl"
	(cd "$d/inst" && mkdir -p off on &&
		ruby -r"$rt" forms.rb >off/out 2>off/err; echo $? >off/rc
		CTINJECT_TRACE_FILE=$tmp/trace.jsonl ruby -r"$rt" forms.rb >on/out 2>on/err; echo $? >on/rc)
	[ "$(cat "$d/orig/rc")" = 1 ] || { echo "the forms program should end with an uncaught exception"; return 1; }
	same "$d/orig" "$d/inst/off" || { echo "(original vs telemetry off)"; return 1; }
	same "$d/orig" "$d/inst/on" || { echo "(original vs telemetry on)"; return 1; }
	echo "$(grep -c 'forms.rb:' "$d/orig/out") backtrace lines, the same"
	python3 "$here/check.py" forms "$tmp/trace.jsonl"
}
step "the forms in every method shape: ruby -c, same output, exceptions and backtraces as the original" forms

two() {
	rm -f "$tmp/trace.jsonl"
	CTINJECT_TRACE_FILE=$tmp/trace.jsonl run "$tmp/two1" "$rt" "$app" basic &
	CTINJECT_TRACE_FILE=$tmp/trace.jsonl run "$tmp/two2" "$rt" "$app" basic &
	wait
	python3 "$here/check.py" two "$tmp/trace.jsonl"
}
step "two processes appending to one file" two

loading() {
	# RUBYOPT=-r and require_relative load it as -r does
	rm -f "$tmp/trace.jsonl"
	(cd "$tmp" && CTINJECT_TRACE_FILE=$tmp/trace.jsonl RUBYOPT="-r$rt" ruby "$app" basic >/dev/null) || return 1
	python3 "$here/check.py" basic "$tmp/trace.jsonl" || return 1
	mkdir -p "$tmp/rr"
	cp "$rt" "$tmp/rr/ctinject.rb"
	{ echo 'require_relative "ctinject"'; cat "$app"; } >"$tmp/rr/app.rb"
	rm -f "$tmp/trace.jsonl"
	(cd "$tmp" && CTINJECT_TRACE_FILE=$tmp/trace.jsonl ruby "$tmp/rr/app.rb" caps >/dev/null) || return 1
	python3 - "$tmp/trace.jsonl" <<'PY'
import json, sys
evs = [json.loads(l) for l in open(sys.argv[1])]
assert len([e for e in evs if e["type"] == "span" and e["name"] == "App.hot"]) == 1003, "require_relative"
PY
}
step "loaded by RUBYOPT=-r and by require_relative" loading

off_variants() {
	run "$tmp/v-off" "$rt" "$app" basic
	rm -f "$tmp/trace.jsonl"
	CTINJECT_TRACE_FILE=$tmp/trace.jsonl CTINJECT_DISABLE=1 run "$tmp/v-disabled" "$rt" "$app" basic
	[ ! -e "$tmp/trace.jsonl" ] || { echo "CTINJECT_DISABLE=1 wrote a file"; return 1; }
	same "$tmp/v-off" "$tmp/v-disabled" || return 1
	CTINJECT_TRACE_FILE=$tmp/trace.jsonl CTINJECT_DISABLE=yes run "$tmp/v-yes" "$rt" "$app" basic
	[ ! -e "$tmp/trace.jsonl" ] || { echo "CTINJECT_DISABLE=yes wrote a file"; return 1; }
	CTINJECT_TRACE_FILE= run "$tmp/v-empty" "$rt" "$app" basic
	same "$tmp/v-off" "$tmp/v-empty" || return 1
	# relative to the working directory, its folders created
	CTINJECT_TRACE_FILE=rel/dir/t.jsonl run "$tmp/v-rel" "$rt" "$app" basic
	python3 "$here/check.py" basic "$tmp/rel/dir/t.jsonl" || return 1
	# a path that cannot be written: one line on stderr, telemetry off; a
	# forked child that inherits the environment says nothing more
	touch "$tmp/afile"
	CTINJECT_TRACE_FILE=$tmp/afile/sub/t.jsonl run "$tmp/v-bad" "$rt" "$app" fork
	run "$tmp/v-fork-off" "$rt" "$app" fork
	cmp -s "$tmp/v-fork-off/out" "$tmp/v-bad/out" || { echo "stdout differs"; return 1; }
	cmp -s "$tmp/v-fork-off/rc" "$tmp/v-bad/rc" || { echo "exit code differs"; return 1; }
	[ "$(wc -l <"$tmp/v-bad/err")" = 1 ] && grep -q '^ctinject: cannot write the trace file ' "$tmp/v-bad/err" ||
		{ echo "want one line on stderr, got:"; cat "$tmp/v-bad/err"; return 1; }
	cat "$tmp/v-bad/err"
}
step "off: CTINJECT_DISABLE, empty path, relative path, unwritable path" off_variants

flood() {
	rm -f "$tmp/trace.jsonl"
	run "$tmp/f-off" "$tmp/rt-small.rb" "$app" flood
	CTINJECT_TRACE_FILE=$tmp/trace.jsonl run "$tmp/f-on" "$tmp/rt-small.rb" "$app" flood
	same "$tmp/f-off" "$tmp/f-on" || return 1
	python3 "$here/check.py" flood "$tmp/trace.jsonl" 20000 || return 1
	local size
	size=$(wc -c <"$tmp/trace.jsonl")
	echo "file: $size bytes for a limit of 20000"
	[ "$size" -le $((20000 + 2 * 65536 + 200)) ] || { echo "too far past the limit"; return 1; }
	# a file already over the limit gets only the truncated line
	CTINJECT_TRACE_FILE=$tmp/trace.jsonl run "$tmp/f-on2" "$tmp/rt-small.rb" "$app" basic
	[ "$(wc -c <"$tmp/trace.jsonl")" -le $((size + 200)) ] || { echo "wrote past the limit"; return 1; }
	tail -n 1 "$tmp/trace.jsonl" | grep -q '"type":"truncated"' || { echo "no truncated line at the end"; return 1; }
}
step "max_trace_bytes: the truncated event (a variant with a 20000-byte limit)" flood

for s in "${summary[@]}"; do echo "$s"; done

if [ "$bench" = 1 ]; then
	echo
	echo "benchmark (bench/bench.rb: a span with 2 args, a var, a branch, a 2-iteration block loop per call; best of 3):"
	b=$here/bench/bench.rb
	plain=$(cd "$tmp" && ruby -r"$rt" "$b" plain 1000000)
	off=$(cd "$tmp" && ruby -r"$rt" "$b" inst 1000000)
	on=$(cd "$tmp" && CTINJECT_TRACE_FILE=$tmp/bench.jsonl ruby -r"$rt" "$b" inst 300000)
	rm -f "$tmp/bench.jsonl"
	full=$(cd "$tmp" && CTINJECT_TRACE_FILE=$tmp/bench.jsonl ruby -r"$tmp/rt-nocap.rb" "$b" inst 50000)
	full_bytes=$(wc -c <"$tmp/bench.jsonl")
	rm -f "$tmp/bench.jsonl"
	python3 - "$plain" "$off" "$on" "$full" "$full_bytes" <<'PY'
import sys
plain, off, on, full = map(float, sys.argv[1:5])
calls = 20000 + 3 * 50000  # bench.rb's warm-up and 3 rounds
print("  plain method (no calls)             %9.1f ns/call" % plain)
print("  instrumented, telemetry off         %9.1f ns/call  (%.1fx plain, +%.0f ns)" % (off, off / plain, off - plain))
print("  on, default caps (quiet after 1000) %9.1f ns/call  (%.1fx plain, %.1fx off)" % (on, on / plain, on / off))
print("  on, every call and event written    %9.1f ns/call  (%.1fx plain, %.1fx off; %d bytes a call)"
      % (full, full / plain, full / off, int(sys.argv[5]) // calls))
PY
fi
[ "$failures" = 0 ]
