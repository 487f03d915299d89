#!/usr/bin/env bash
# Tests of the PHP runtime (src/runtime/php/ctinject.php): php -l of the
# runtime, of variants of its configuration constants and of the test
# programs tests/php/app (scenarios) and tests/php/forms (the function and
# method shapes the inserted calls must work in); runs each scenario with
# telemetry on and off (same stdout, stderr and exit code), checks the
# events with check.py, then runs the benchmark.
# Usage: tests/php/run-runtime-tests.sh [--no-bench]
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
. "$here/../fallback-runtimes/lib.sh"
need_tools php python3
rt=$root/src/runtime/php/ctinject.php

# variant NAME 'CONSTANT = VALUE' ...: the runtime with constants replaced
variant() {
	local name=$1; shift
	replace_constants '(\n    const %s = )[^;]+;' ';' "$rt" "$tmp/rt-$name.php" "$@" || return 1
	php -l "$tmp/rt-$name.php"
}
lint() {
	php -l "$rt" && php -l "$here/app/app.php" && php -l "$here/forms/forms.php" && php -l "$here/bench/bench.php" &&
	variant small 'MAX_TRACE_BYTES = 20000' &&
	variant nocap 'MAX_SPANS_PER_FUNCTION = 0' 'MAX_EVENTS_PER_SITE_PER_PROCESS = 0' 'MAX_TRACE_BYTES = 0' &&
	variant caps1000 'MAX_SPANS_PER_FUNCTION = 1000' &&
	# loaded with no telemetry, it declares \CtInject and prints nothing; a
	# second copy (auto_prepend_file and the bootstrap's require) declares nothing
	echo '<?php echo class_exists("CtInject", false) ? "yes" : "no";' >"$tmp/declared.php" &&
	[ "$(php -d auto_prepend_file="$rt" "$tmp/declared.php")" = yes ] &&
	echo '<?php require "'"$tmp/rt-small.php"'"; require_once "'"$rt"'"; echo "fine";' >"$tmp/twice.php" &&
	[ "$(php -d auto_prepend_file="$rt" "$tmp/twice.php")" = fine ]
}
step "php -l: the runtime (4 configurations) and the test programs; loading it twice" lint
stop_if_failed

# run DIR RUNTIME PROGRAM ARGS...: runs with the current environment into DIR/{out,err,rc}
run() {
	local d=$1 r=$2; shift 2
	mkdir -p "$d"
	(cd "$tmp" && php -d auto_prepend_file="$r" -d display_errors=stderr -d log_errors=0 "$@" >"$d/out" 2>"$d/err"; echo $? >"$d/rc")
}
# scenario NAME PROGRAM ARGS...: off (no file), on (events checked), same output
# (with the runtime $runtime when it is set)
scenario() {
	local name=$1; shift
	checked_scenario "$name" "${check:-$name}" "${runtime:-$rt}" "$@"
}
# the caps scenarios are built on 1000 spans of a function, not the default 200
caps_scenario() { runtime=$tmp/rt-caps1000.php scenario "$@"; }
app=$here/app/app.php
basic() {
	scenario basic "$app" basic || return 1
	# no __toString, __debugInfo, __get, offsetGet, getIterator, jsonSerialize of the program ran
	grep -qx "side effects 0" "$tmp/s-basic/on/out" || { echo "the runtime ran code of the program"; return 1; }
	# the rethrown exception is the same object, with its line and trace
	grep -q "^caught no such key: missing:7 same true line 57$" "$tmp/s-basic/on/out" || { echo "not the same exception"; return 1; }
}
step "spans, parents, failures, branches, loops, exceptions, values (no code of the program run), redaction" basic
step "caps: calls, vars, loops, branches, exceptions summaries; suppressed" caps_scenario caps "$app" caps
step "generators: finished, abandoned, thrown into, outliving the consumer; the stack stays right" scenario generators "$app" generators
errstate() {
	scenario errstate "$app" errstate || return 1
	grep -qx "json_last_error 4, preg_last_error 4" "$tmp/s-errstate/on/out" &&
		grep -qx "handler calls 0, last error NULL" "$tmp/s-errstate/on/out" ||
		{ echo "the program's error state changed:"; cat "$tmp/s-errstate/on/out"; return 1; }
}
step "the program's json_last_error, preg_last_error, error handler, error_get_last, mt_rand left alone" errstate
if php -r 'exit(function_exists("pcntl_fork") ? 0 : 1);'; then
	step "pcntl_fork: the child's own pid and ids, the parent's buffer written once" scenario fork "$app" fork
else
	summary+=("skip  pcntl_fork (no pcntl in this PHP)")
fi
step "a shutdown function and a destructor record; exit() in a shutdown function" caps_scenario shutdown "$app" shutdown
step "odd arguments (null file and name, floats, arrays, no array, odd exceptions)" scenario odd "$app" odd
step "an uncaught exception (exit code 255)" scenario fail "$app" fail
step "exit(3) inside a span" scenario exit "$app" exit
step "out of memory inside a span (the shutdown flush after a fatal error)" scenario fatal "$app" fatal
forms() {
	check=forms scenario forms "$here/forms/forms.php" || return 1
	check=forms scenario forms-throw "$here/forms/forms.php" throw
}
step "the forms in every function shape (static, by-reference, variadic, generators, closures, never, constructors)" forms

two() { two_processes "$rt" "$app"; }
step "two processes appending to one file" two

off_variants() {
	off_paths "$rt" "$app" &&
	# a path that cannot be written: one line on stderr, telemetry off ...
	unwritable_path "$tmp/v-off" "$rt" "$app" basic || return 1
	# ... once for the children that inherit the environment
	CTINJECT_TRACE_FILE=$tmp/afile/sub/t.jsonl CTINJECT_TRACE_WARNED=1 run "$tmp/v-warned" "$rt" "$app" basic
	[ ! -s "$tmp/v-warned/err" ] || { echo "warned again"; return 1; }
}
step "off: CTINJECT_DISABLE, empty path, relative path, unwritable path" off_variants

flood() { truncation "$tmp/rt-small.php" "$app"; }
step "max_trace_bytes: the truncated event (a variant with a 20000-byte limit)" flood

print_summary

if [ "$bench" = 1 ]; then
	echo
	echo "benchmark (bench/bench.php: a span with 2 args, a var, a branch, a 2-iteration loop per call; best of 3; $(php -r 'echo PHP_VERSION;'), opcache.enable_cli $(php -r 'echo ini_get("opcache.enable_cli") ? "on" : "off";')):"
	b=$here/bench/bench.php
	plain=$(cd "$tmp" && php -d auto_prepend_file="$rt" "$b" plain 1000000)
	off=$(cd "$tmp" && php -d auto_prepend_file="$rt" "$b" inst 1000000)
	on=$(cd "$tmp" && CTINJECT_TRACE_FILE=$tmp/bench.jsonl php -d auto_prepend_file="$rt" "$b" inst 1000000)
	rm -f "$tmp/bench.jsonl"
	full=$(cd "$tmp" && CTINJECT_TRACE_FILE=$tmp/bench.jsonl php -d auto_prepend_file="$tmp/rt-nocap.php" "$b" inst 100000)
	full_bytes=$(wc -c <"$tmp/bench.jsonl")
	rm -f "$tmp/bench.jsonl"
	python3 - "$plain" "$off" "$on" "$full" "$full_bytes" <<'PY'
import sys
plain, off, on, full = map(float, sys.argv[1:5])
calls = 20000 + 3 * 100000  # bench.php's warm-up and 3 rounds
print("  plain function (no calls)           %8.2f ns/call" % plain)
print("  instrumented, telemetry off         %8.2f ns/call  (%.1fx plain, +%.2f ns)" % (off, off / plain, off - plain))
print("  on, default caps (quiet after 200)  %8.2f ns/call  (%.1fx plain, %.1fx off)" % (on, on / plain, on / off))
print("  on, every call and event written    %8.2f ns/call  (%.1fx plain, %.1fx off; %d bytes a call)"
      % (full, full / plain, full / off, int(sys.argv[5]) // calls))
PY
fi
[ "$failures" = 0 ]
