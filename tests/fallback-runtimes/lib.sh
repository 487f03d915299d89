# The plumbing shared by tests/java, tests/ruby and tests/php's
# run-runtime-tests.sh (and the setup and step of tests/go's): sourced by each (with its arguments, after it sets
# here, its folder, and root) it reads --no-bench into bench, makes $tmp
# (removed at exit), clears the CTINJECT_ variables and starts the summary.
# Each script then defines run DIR ARGS... (the program run in $tmp with the
# current environment into DIR/{out,err,rc}); the functions below that run
# a program take ARGS, the arguments of run, and those that run a scenario
# of the test program append the scenario's name to them.
bench=1
[ "${1:-}" = "--no-bench" ] && bench=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
unset CTINJECT_TRACE_FILE CTINJECT_DISABLE CTINJECT_TRACE_WARNED
failures=0
summary=()

need_tools() { # tool...: exits 2 if one is not found
	local tool
	for tool; do
		command -v "$tool" >/dev/null || { echo "run-runtime-tests.sh: $tool not found" >&2; exit 2; }
	done
}
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
print_summary() {
	printf '%s\n' "${summary[@]}"
}
stop_if_failed() { # after the step that builds or checks the programs
	if [ "$failures" -gt 0 ]; then
		print_summary
		exit 1
	fi
}

# replace_constants PATTERN END SRC DST 'CONSTANT = VALUE'...: SRC with each
# constant's definition replaced, to DST. PATTERN (a Python regex, multiline)
# matches a definition once, with %s for the name; its group 1 is kept, the
# rest replaced by VALUE and END.
replace_constants() {
	python3 - "$@" <<'PY'
import re, sys
pattern, end, src, dst, *subs = sys.argv[1:]
s = open(src).read()
for sub in subs:
    name, value = [x.strip() for x in sub.split("=", 1)]
    pat = re.compile(pattern % re.escape(name), re.M)
    assert len(pat.findall(s)) == 1, "no constant " + name
    s = pat.sub(lambda m: m.group(1) + value + end, s)
open(dst, "w").write(s)
PY
}

same() { # dir1 dir2: same stdout, stderr, exit code
	local f ok=0
	for f in out err rc; do
		if ! cmp -s "$1/$f" "$2/$f"; then
			echo "$f differs between ${1#"$tmp"/} and ${2#"$tmp"/}:"; diff "$1/$f" "$2/$f" | head -20; ok=1
		fi
	done
	return $ok
}

# checked_scenario NAME CHECK ARGS...: ARGS run with telemetry off (no
# file) and on, into $tmp/s-NAME/{off,on}: the same output; the events
# checked by check.py CHECK
checked_scenario() {
	local name=$1 check=$2; shift 2
	local d=$tmp/s-$name
	rm -f "$tmp/trace.jsonl"
	run "$d/off" "$@"
	[ ! -e "$tmp/trace.jsonl" ] || { echo "a trace file with telemetry off"; return 1; }
	CTINJECT_TRACE_FILE=$tmp/trace.jsonl run "$d/on" "$@"
	same "$d/off" "$d/on" || return 1
	echo "exit code $(cat "$d/on/rc")"
	python3 "$here/check.py" "$check" "$tmp/trace.jsonl"
}

two_processes() { # ARGS...: the basic scenario twice at once, one file
	rm -f "$tmp/trace.jsonl"
	CTINJECT_TRACE_FILE=$tmp/trace.jsonl run "$tmp/two1" "$@" basic &
	CTINJECT_TRACE_FILE=$tmp/trace.jsonl run "$tmp/two2" "$@" basic &
	wait
	python3 "$here/check.py" two "$tmp/trace.jsonl"
}

# off_paths ARGS...: the basic scenario into $tmp/v-off, and with
# CTINJECT_DISABLE or an empty path: no file, the same output; a relative
# path: the file under the working directory
off_paths() {
	run "$tmp/v-off" "$@" basic
	rm -f "$tmp/trace.jsonl"
	CTINJECT_TRACE_FILE=$tmp/trace.jsonl CTINJECT_DISABLE=1 run "$tmp/v-disabled" "$@" basic
	[ ! -e "$tmp/trace.jsonl" ] || { echo "CTINJECT_DISABLE=1 wrote a file"; return 1; }
	same "$tmp/v-off" "$tmp/v-disabled" || return 1
	CTINJECT_TRACE_FILE=$tmp/trace.jsonl CTINJECT_DISABLE=yes run "$tmp/v-yes" "$@" basic
	[ ! -e "$tmp/trace.jsonl" ] || { echo "CTINJECT_DISABLE=yes wrote a file"; return 1; }
	CTINJECT_TRACE_FILE= run "$tmp/v-empty" "$@" basic
	same "$tmp/v-off" "$tmp/v-empty" || return 1
	# relative to the working directory, its folders created
	CTINJECT_TRACE_FILE=rel/dir/t.jsonl run "$tmp/v-rel" "$@" basic
	python3 "$here/check.py" basic "$tmp/rel/dir/t.jsonl"
}

# unwritable_path OFF ARGS...: ARGS (with the scenario) run with a path
# that cannot be written, into $tmp/v-bad: one line on stderr, telemetry
# off: stdout and exit code those of the run in OFF
unwritable_path() {
	local off=$1; shift
	touch "$tmp/afile"
	CTINJECT_TRACE_FILE=$tmp/afile/sub/t.jsonl run "$tmp/v-bad" "$@"
	cmp -s "$off/out" "$tmp/v-bad/out" || { echo "stdout differs"; return 1; }
	cmp -s "$off/rc" "$tmp/v-bad/rc" || { echo "exit code differs"; return 1; }
	[ "$(wc -l <"$tmp/v-bad/err")" = 1 ] && grep -q '^ctinject: cannot write the trace file ' "$tmp/v-bad/err" ||
		{ echo "want one line on stderr, got:"; cat "$tmp/v-bad/err"; return 1; }
	cat "$tmp/v-bad/err"
}

# truncation ARGS...: ARGS with the runtime's 20000-byte variant: the
# flood scenario, on and off; then basic into the file over the limit
truncation() {
	rm -f "$tmp/trace.jsonl"
	run "$tmp/f-off" "$@" flood
	CTINJECT_TRACE_FILE=$tmp/trace.jsonl run "$tmp/f-on" "$@" flood
	same "$tmp/f-off" "$tmp/f-on" || return 1
	python3 "$here/check.py" flood "$tmp/trace.jsonl" 20000 || return 1
	local size
	size=$(wc -c <"$tmp/trace.jsonl")
	echo "file: $size bytes for a limit of 20000"
	[ "$size" -le $((20000 + 2 * 65536 + 200)) ] || { echo "too far past the limit"; return 1; }
	# a file already over the limit gets only the truncated line
	CTINJECT_TRACE_FILE=$tmp/trace.jsonl run "$tmp/f-on2" "$@" basic
	[ "$(wc -c <"$tmp/trace.jsonl")" -le $((size + 200)) ] || { echo "wrote past the limit"; return 1; }
	tail -n 1 "$tmp/trace.jsonl" | grep -q '"type":"truncated"' || { echo "no truncated line at the end"; return 1; }
}
