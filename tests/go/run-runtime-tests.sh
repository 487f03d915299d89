#!/usr/bin/env bash
# Tests of the Go runtime (src/runtime/go): copies it into a temporary
# GOPATH as example.com/m/_ctinject with a configuration baked in (as
# ctinject does), then runs the test packages tests/go/runtime/rt and
# tests/go/runtime/_ctinject (internal tests, copied into the runtime) (GOPATH
# mode), go vet, the race detector when available, and benchmarks.
# Usage: tests/go/run-runtime-tests.sh [--no-bench]
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
# --no-bench, $tmp, the CTINJECT_ variables cleared, step and the summary.
. "$here/../fallback-runtimes/lib.sh"
export GO111MODULE=off GOFLAGS= GOPROXY=off GOTOOLCHAIN=local

# setup PROFILE CONFIG: a GOPATH with the runtime (config line replaced)
setup() {
	local gp=$tmp/$1 cfg=$2
	local m=$gp/src/example.com/m
	mkdir -p "$m/_ctinject"
	cp "$root"/src/runtime/go/* "$m/_ctinject/"
	grep -qx 'const configJSON = "{}"' "$m/_ctinject/ctinject.go" || { echo "no config line"; return 1; }
	# the config as a Go interpreted string literal (JSON string escaping)
	local lit
	lit=$(printf '%s' "$cfg" | python3 -c 'import json,sys; print(json.dumps(sys.stdin.read()))')
	python3 - "$m/_ctinject/ctinject.go" "$lit" <<'PY'
import sys
p, lit = sys.argv[1], sys.argv[2]
s = open(p).read()
old = 'const configJSON = "{}"\n'
assert s.count(old) == 1
open(p, "w").write(s.replace(old, "const configJSON = " + lit + "\n"))
PY
	cp -r "$here"/runtime/* "$m/"
}

caps='{"value_cap":60,"redact":["passw","secret","tok_?en"],"repr":"safe","max_events_per_site":4,"max_events_per_site_per_process":10,"max_spans_per_function":50,"max_failures_per_function":3,"slowest_calls":2,"max_trace_bytes":50000000}'
nocap='{"value_cap":200,"max_events_per_site":1000,"max_events_per_site_per_process":0,"max_spans_per_function":0,"max_failures_per_function":0,"slowest_calls":5,"max_trace_bytes":0}'
big='{"value_cap":4096,"max_events_per_site":1000,"max_events_per_site_per_process":0,"max_spans_per_function":0,"max_failures_per_function":0,"max_trace_bytes":0}'
setup caps "$caps" || exit 1
setup nocap "$nocap" || exit 1
setup big "$big" || exit 1

gp=$tmp/caps
m=example.com/m
build_bins() {
	GOPATH=$gp go build -o "$tmp/crash" $m/crash &&
	GOPATH=$gp go build -o "$tmp/crashplain" $m/crashplain &&
	GOPATH=$gp go build -o "$tmp/quiet" $m/quiet
}
step "build (GOPATH mode)" build_bins
step "go vet runtime (amd64, arm64, 386)" env GOPATH=$gp sh -c "cd $gp/src/$m/_ctinject && go vet . && GOARCH=arm64 go vet . && GOARCH=386 go vet ."
step "go vet test programs" env GOPATH=$gp go vet $m/rt $m/crash $m/crashplain $m/quiet
# escape analysis: recording changes nothing. The runtime's A, V and E<n>
# (instantiated in rt) take pointers that do not escape, contents
# included; the formatter's Values do not escape; the test programs'
# recorded variables are not moved to the heap.
escapes() {
	GOPATH=$gp go build -gcflags="$m/rt=-m=2" -o /dev/null $m/rt >"$tmp/esc" 2>&1 || { cat "$tmp/esc"; return 1; }
	GOPATH=$gp go build -gcflags="$m/_ctinject=-m" -o /dev/null $m/_ctinject >"$tmp/esc2" 2>&1 || { cat "$tmp/esc2"; return 1; }
	local bad=0 f
	# the pointers given to the instantiated A, V, E<n> (-m=2 lists every
	# parameter that leaks, with its flow; they must not be there)
	grep -q 'parameter ctinject.name leaks' "$tmp/esc" || { echo "no -m=2 output for the runtime's instantiations"; bad=1; }
	if grep -E 'parameter ctinject.([a-hp]|ps|q) leaks' "$tmp/esc"; then
		echo "a pointer given to the runtime leaks"; bad=1
	fi
	# the formatter's Values and addresses
	for f in \
'func (f \*formatter) val(' 'func (f \*formatter) iface(' 'func (f \*formatter) list(' \
		'func (f \*formatter) mapv(' 'func formatAt(' 'func (s \*Span) arg(' 'func (s \*Span) varAt(' 'func (s \*Span) end('; do
		local ln
		ln=$(grep -n "^$f" "$gp/src/$m/_ctinject/ctinject.go" | cut -d: -f1)
		if grep -E "ctinject.go:$ln:[0-9]+: leaking param( content)?: (v|p|ps)$" "$tmp/esc2"; then
			echo "$f leaks its Value or address"; bad=1
		fi
		grep -qE "ctinject.go:$ln:[0-9]+: (v|p|ps) does not escape" "$tmp/esc2" ||
			{ echo "no 'does not escape' for $f (line $ln)"; bad=1; }
	done
	# the recorded variables of the test programs stay on the stack
	if grep -E 'rt/lib.go:[0-9]+:[0-9]+: moved to heap: (local|a|b|buf|value|hdr|p|x|n|next|s|deep|leaf|m|d|total|v|err|secret|k|t|u|i|y)$' "$tmp/esc"; then
		echo "a recorded variable was moved to the heap"; bad=1
	fi
	[ $bad = 0 ]
}
step "escape analysis (-gcflags=-m)" escapes
# module mode: the same folder in a module compiles and vets
modmode() {
	local d=$tmp/mod
	mkdir -p "$d/_ctinject" && cp "$gp/src/$m/_ctinject/"* "$d/_ctinject/" &&
	printf 'module example.com/mm\n\ngo 1.19\n' >"$d/go.mod" &&
	cat >"$d/main.go" <<'GO'
package main; import _ct "example.com/mm/_ctinject"; var _ = _ct.On

func main() {}
GO
	(cd "$d" && GO111MODULE=on GOPATH=$tmp/modcache go vet . ./_ctinject && GO111MODULE=on GOPATH=$tmp/modcache go build -o /dev/null .)
}
step "module mode build and vet" modmode
export CT_CRASH_BIN=$tmp/crash CT_CRASHPLAIN_BIN=$tmp/crashplain CT_QUIET_BIN=$tmp/quiet
step "go test (runtime internals)" env GOPATH=$gp go test -count=1 $m/_ctinject
step "go test (caps profile)" env GOPATH=$gp CT_PROFILE=caps go test -count=1 $m/rt
step "go test (big profile: stack growth)" env GOPATH=$tmp/big CT_PROFILE=big go test -count=1 -run 'TestStackGrowth|TestOffAllocs' $m/rt
step "go test (nocap profile: concurrency)" env GOPATH=$tmp/nocap CT_PROFILE=nocap go test -count=1 -run 'TestConcurrent|TestOffAllocs' $m/rt
if GOPATH=$tmp/nocap go test -race -count=1 -run XXX $m/rt >/dev/null 2>&1; then
	step "go test -race (nocap profile)" env GOPATH=$tmp/nocap CT_PROFILE=nocap go test -race -count=1 -run 'TestConcurrent|TestSpawn' $m/rt
	step "go test -race (caps profile)" env GOPATH=$gp CT_PROFILE=caps go test -race -count=1 $m/rt
	step "go test -race (big profile: stack growth)" env GOPATH=$tmp/big CT_PROFILE=big go test -race -count=1 -run 'TestStackGrowth' $m/rt
	# every call moves the goroutine's stack (maymorestack) and a freed
	# stack faults when touched (efence): a recorded address that the
	# runtime holds where a stack move does not adjust it crashes at once
	moves=(-race -gcflags=all=-d=maymorestack=runtime.mayMoreStackMove -count=1)
	step "go test -race, the stack moving at every call (big profile)" env GOPATH=$tmp/big CT_PROFILE=big CT_STACK_MOVES=1 \
		GODEBUG=efence=1 go test "${moves[@]}" -run 'TestStackMoves' $m/rt
	step "go test -race, the stack moving at every call (caps profile)" env GOPATH=$gp CT_PROFILE=caps GODEBUG=efence=1 \
		go test "${moves[@]}" -run 'TestBasic|TestPanics|TestDeferredDuringPanic|TestSpawn|TestStringerNotCalled|TestTruncation' $m/rt
else
	summary+=("skip  go test -race (not available here)")
fi
if [ $bench = 1 ]; then
	if GOPATH=$gp go test -count=1 -run '^$' -bench 'Plain|Instrumented' -benchmem $m/rt >"$tmp/bench" 2>&1 &&
		env GOPATH=$tmp/nocap CT_SCENARIO=bench CTINJECT_TRACE_FILE=$tmp/bench.jsonl go test -count=1 -run '^$' -bench 'On' -benchmem $m/rt >>"$tmp/bench" 2>&1 &&
		env GOPATH=$gp CT_SCENARIO=bench CTINJECT_TRACE_FILE=$tmp/bench2.jsonl go test -count=1 -run '^$' -bench 'On' -benchmem $m/rt | sed 's/BenchmarkOn/BenchmarkOnOverSpanCap/' >>"$tmp/bench" 2>&1; then
		summary+=("ok    benchmarks:")
		while read -r l; do summary+=("        $l"); done < <(grep '^Benchmark' "$tmp/bench")
	else
		summary+=("FAIL  benchmarks")
		failures=$((failures + 1))
		cat "$tmp/bench"
	fi
fi
echo
echo "Go runtime tests ($(go version | cut -d' ' -f3)):"
printf '  %s\n' "${summary[@]}"
if [ $failures -ne 0 ]; then
	echo "$failures step(s) failed"
	exit 1
fi
echo "all passed"
