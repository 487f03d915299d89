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
. "$here/../fallback-runtimes/lib.sh"
need_tools ruby python3
unset RUBYOPT
rt=$root/src/runtime/ruby/ctinject.rb

# variant NAME 'CONSTANT = VALUE' ...: the runtime with constants replaced
variant() {
	local name=$1; shift
	replace_constants '^(  %s = ).*$' '' "$rt" "$tmp/rt-$name.rb" "$@" || return 1
	ruby -wc "$tmp/rt-$name.rb" >/dev/null
}
compile() {
	local w
	w=$(ruby -wc "$rt" 2>&1) && [ "$w" = "Syntax OK" ] || { echo "$w"; return 1; }
	ruby -wc "$here/app/app.rb" >/dev/null &&
	ruby -wc "$here/bench/bench.rb" >/dev/null &&
	variant small 'MAX_TRACE_BYTES = 20000' &&
	variant nocap 'MAX_SPANS_PER_FUNCTION = 0' 'MAX_EVENTS_PER_SITE_PER_PROCESS = 0' 'MAX_TRACE_BYTES = 0' &&
	variant caps1000 'MAX_SPANS_PER_FUNCTION = 1000'
}
step "ruby -wc: the runtime (no warnings; 4 configurations) and the test programs" compile
stop_if_failed

# run DIR RUNTIME PROGRAM ARGS...: runs in $tmp with the current environment into DIR/{out,err,rc}
run() {
	local d=$1 r=$2; shift 2
	mkdir -p "$d"
	(cd "$tmp" && ruby -r"$r" "$@" >"$d/out" 2>"$d/err"; echo $? >"$d/rc")
}
app=$here/app/app.rb
# scenario NAME [RUNTIME]: off (no file), on (events checked), same output
scenario() {
	checked_scenario "$1" "$1" "${2:-$rt}" "$app" "$1"
}
basic() {
	scenario basic || return 1
	# no inspect, to_s, ==, each_pair, method_missing or message of the program ran
	grep -qx "side effects 0" "$tmp/s-basic/on/out" || { echo "the runtime ran code of the program"; return 1; }
}
step "spans, parents, failures, branches, loops, exceptions, values (no user code run), redaction" basic
# (the caps scenarios are built on 1000 spans of a function, not the default 200)
step "caps: calls, vars, loops, branches, exceptions summaries; suppressed" scenario caps "$tmp/rt-caps1000.rb"
step "threads: own tids, no parent across threads" scenario threads
step "fibers: an Enumerator's next, a Fiber: fiber-local current span" scenario fibers
step "odd arguments (nil file and name, odd pairs, nil and BasicObject exceptions, unended spans)" scenario odd
step "8 threads on one function: the caps hold exactly" scenario stress "$tmp/rt-caps1000.rb"
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

two() { two_processes "$rt" "$app"; }
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
assert len([e for e in evs if e["type"] == "span" and e["name"] == "App.hot"]) == 203, "require_relative"
PY
}
step "loaded by RUBYOPT=-r and by require_relative" loading

off_variants() {
	off_paths "$rt" "$app" || return 1
	# a path that cannot be written: one line on stderr, telemetry off; a
	# forked child that inherits the environment says nothing more
	run "$tmp/v-fork-off" "$rt" "$app" fork
	unwritable_path "$tmp/v-fork-off" "$rt" "$app" fork
}
step "off: CTINJECT_DISABLE, empty path, relative path, unwritable path" off_variants

flood() { truncation "$tmp/rt-small.rb" "$app"; }
step "max_trace_bytes: the truncated event (a variant with a 20000-byte limit)" flood

print_summary

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
print("  on, default caps (quiet after 200)  %9.1f ns/call  (%.1fx plain, %.1fx off)" % (on, on / plain, on / off))
print("  on, every call and event written    %9.1f ns/call  (%.1fx plain, %.1fx off; %d bytes a call)"
      % (full, full / plain, full / off, int(sys.argv[5]) // calls))
PY
fi
[ "$failures" = 0 ]
