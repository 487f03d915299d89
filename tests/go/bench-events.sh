#!/usr/bin/env bash
# The Go runtime's cost per call, in one run, next to an OpenTelemetry Go SDK
# span (the targets of ci/bench-events, for Go):
#   * with telemetry off, the instrumented call costs at most 0.1 us more
#     than the original;
#   * with telemetry on, one call of an instrumented function that records a
#     span (its two arguments and its result) and one variable event, next
#     to an OpenTelemetry SDK span around the original call with one
#     attribute (SimpleSpanProcessor, which exports each span synchronously
#     when it ends as ctinject writes each span when it ends, and an exporter
#     that drops everything); the other runtimes' target is at most 0.25x.
# The package is tests/go/bench (Add: `c := a + b; return c`), instrumented
# by ctinject itself in a temporary GOPATH (GO111MODULE=off) as
# example.com/bench, twice: with the default policy (the first 200 spans of
# a function and the first 200 events of a variable in full, the rest
# counted: what a hot loop costs in steady state) and with every call
# written (runtime.max_spans_per_function and
# runtime.max_events_per_site_per_process: 0, no trace size limit). Each
# figure is ns/op and allocs/op from `go test -bench -benchmem` with
# -benchtime BENCH_N x (200000), the best of BENCH_ROUNDS (3) rounds; each
# round runs every case once, in its own process, one after the other, so
# that a noisy machine weighs on all of them alike. The ratios are the
# figures to read; nothing here is asserted.
#
# The SDK is Debian's golang-opentelemetry-otel-dev (/usr/share/gocode),
# installed here when it is missing and we are root; without it the OTel
# row is left out (said loudly).
#
#   tests/go/bench-events.sh
#   BENCH_N=1000000 BENCH_ROUNDS=5 tests/go/bench-events.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/../.."
N=${BENCH_N:-200000}
ROUNDS=${BENCH_ROUNDS:-3}
gocode=/usr/share/gocode
otel_pkg=go.opentelemetry.io/otel/sdk/trace

cargo build --release --quiet
bin=$(realpath -m "${CARGO_TARGET_DIR:-target}")/release/ctinject
tmp=$(mktemp -d)
shm=
trap 'rm -rf "$tmp" ${shm:+"$shm"}' EXIT
export GO111MODULE=off GOFLAGS= GOPROXY=off GOTOOLCHAIN=local
unset CTINJECT_TRACE_FILE CTINJECT_DISABLE CTINJECT_TRACE_WARNED

# The trace file: in memory when /dev/shm is there (no disk in the figures).
if [ -d /dev/shm ] && [ -w /dev/shm ] && shm=$(mktemp -d /dev/shm/ctbench.XXXXXX 2>/dev/null); then
    trace=$shm/trace.jsonl
else
    shm=
    trace=$tmp/trace.jsonl
fi

# The OpenTelemetry Go SDK.
otel=1
if [ ! -d "$gocode/src/$otel_pkg" ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "installing golang-opentelemetry-otel-dev (apt-get) ..." >&2
        apt-get install -y -q --no-install-recommends golang-opentelemetry-otel-dev >"$tmp/apt.log" 2>&1 ||
            { apt-get update -q >>"$tmp/apt.log" 2>&1 &&
                apt-get install -y -q --no-install-recommends golang-opentelemetry-otel-dev >>"$tmp/apt.log" 2>&1; } ||
            tail -5 "$tmp/apt.log" >&2 || true
    fi
    [ -d "$gocode/src/$otel_pkg" ] || otel=0
fi
loud() {
    echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!" >&2
    printf '!!! %s\n' "$@" >&2
    echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!" >&2
}
[ $otel = 1 ] || loud "no OpenTelemetry Go SDK ($gocode/src/$otel_pkg): the OTel row is SKIPPED" \
    "(apt-get install golang-opentelemetry-otel-dev as root to get it)"

# The original package, and its two instrumented twins.
pkg=example.com/bench
plain=$tmp/plain/src/$pkg
mkdir -p "$plain"
cp "$here"/bench/*.go "$plain/"
: >"$tmp/default.yml"
printf 'runtime:\n  max_spans_per_function: 0\n  max_events_per_site_per_process: 0\n  max_trace_mb: 0\n' >"$tmp/every.yml"
for policy in default every; do
    GOPATH=$tmp/plain "$bin" "$plain" --out "$tmp/$policy/src/$pkg" --config "$tmp/$policy.yml" --no-cache -q
    grep -q "_ct.S(" "$tmp/$policy/src/$pkg/work.go" ||
        { echo "ctinject did not instrument work.go:" >&2; cat "$tmp/$policy/src/$pkg/work.go" >&2; exit 1; }
done

# Test binaries (built first: no compiler running next to the figures).
build() {  # GOPATH output [tags]
    if ! GOPATH=$1 go test -c -o "$2" ${3:+-tags "$3"} "$pkg" >"$tmp/build.log" 2>&1; then
        loud "go test -c failed for $2 (GOPATH=$1):"
        cat "$tmp/build.log" >&2
        [ "$1" = "$tmp/plain" ] || { echo "--- the instrumented work.go:" >&2; cat "$1/src/$pkg/work.go" >&2; }
        return 1
    fi
}
build "$tmp/plain" "$tmp/plain.test"
build "$tmp/default" "$tmp/default.test"
build "$tmp/every" "$tmp/every.test"
if [ $otel = 1 ] && ! build "$tmp/plain:$gocode" "$tmp/otel.test" ctbench_otel; then
    loud "the OpenTelemetry benchmark does not build: the OTel row is SKIPPED"
    otel=0
fi
otel_version=$(dpkg-query -W -f '${Version}' golang-opentelemetry-otel-dev 2>/dev/null || echo '?')

: >"$tmp/results"
measure() {  # label binary benchmark [VAR=value...]
    local label=$1 exe=$2 bench=$3 line
    shift 3
    line=$(env -u CTINJECT_TRACE_FILE -u CTINJECT_DISABLE -u CTINJECT_TRACE_WARNED "$@" \
        "$exe" -test.run '^$' -test.bench "$bench" -test.benchmem -test.benchtime "${N}x" -test.count 1 |
        grep '^Benchmark') || { echo "no benchmark line from $exe ($label)" >&2; exit 1; }
    # BenchmarkAdd-2  200000  12.3 ns/op  0 B/op  0 allocs/op
    awk -v l="$label" '{ for (i = 2; i <= NF; i++) { if ($i == "ns/op") ns = $(i-1); if ($i == "allocs/op") al = $(i-1) }
        print l, ns, al }' <<<"$line" >>"$tmp/results"
}
lines() { grep -c "\"type\":\"$1\"" "$trace" || true; }
for _ in $(seq "$ROUNDS"); do
    measure plain "$tmp/plain.test" '^BenchmarkAdd$'
    measure off "$tmp/default.test" '^BenchmarkAdd$'
    rm -f "$trace"
    measure default "$tmp/default.test" '^BenchmarkAdd$' CTINJECT_TRACE_FILE="$trace"
    default_spans=$(lines span)
    rm -f "$trace"
    measure every "$tmp/every.test" '^BenchmarkAdd$' CTINJECT_TRACE_FILE="$trace"
    every_spans=$(lines span) every_vars=$(lines var) every_mb=$(du -m "$trace" | cut -f1)
    rm -f "$trace"
    [ $otel = 1 ] && measure otel "$tmp/otel.test" '^BenchmarkOTelSpan$'
done
# The calls benchmarked per round: b.N = 1 first, then N.
if [ "$every_spans" -ne $((N + 1)) ] || [ "$every_vars" -ne $((N + 1)) ]; then
    loud "every call: the trace has $every_spans spans and $every_vars var events, not $((N + 1)) each:" \
        "the telemetry-on figures do not measure what they say"
fi

best() {  # label -> "ns allocs" of its best round
    awk -v l="$1" '$1 == l && (best == "" || $2 + 0 < best + 0) { best = $2; al = $3 } END { print best, al }' "$tmp/results"
}
read -r plain_ns plain_al < <(best plain)
read -r off_ns off_al < <(best off)
read -r default_ns default_al < <(best default)
read -r every_ns every_al < <(best every)
otel_ns= otel_al=
[ $otel = 1 ] && read -r otel_ns otel_al < <(best otel)

echo "$(go version | cut -d' ' -f3) $(go env GOARCH), GOMAXPROCS ${GOMAXPROCS:-$(nproc)}; OpenTelemetry Go SDK $([ $otel = 1 ] && echo "$otel_version" || echo SKIPPED)"
echo "ns and allocs per call, best of $ROUNDS rounds x $N calls; trace in $(dirname "$trace") ($every_mb MB per round when every call is written: $every_spans spans, $every_vars var events; $default_spans spans with the default policy)"
row() {  # label ns allocs [no-ratio]
    awk -v l="$1" -v v="$2" -v a="$3" -v b="$plain_ns" -v o="$otel_ns" -v n="${4:-}" 'BEGIN {
        r = (n != "" || o == "" || o - b <= 0) ? "" : sprintf("%6.2fx of an OTel span", (v - b) / (o - b))
        printf "%-58s %9.1f %9s %12.1f   %s\n", l, v, a, v - b, r }'
}
printf '%-58s %9s %9s %12s   %s\n' case ns/op allocs/op "ns - plain" "(case - plain) / (OTel - plain)"
row "plain call (uninstrumented Add)" "$plain_ns" "$plain_al" -
row "ctinject, telemetry off" "$off_ns" "$off_al"
row "ctinject, telemetry on, default policy" "$default_ns" "$default_al"
row "ctinject, telemetry on, every call" "$every_ns" "$every_al"
if [ $otel = 1 ]; then
    row "OTel SDK span + 1 attribute (SimpleSpanProcessor, drop)" "$otel_ns" "$otel_al" -
else
    printf '%-58s %9s\n' "OTel SDK span" SKIPPED
fi
awk -v f="$off_ns" -v b="$plain_ns" 'BEGIN {
    printf "%-58s %s (%.1f ns)\n", "target: telemetry off at most 0.1 us above plain", (f - b <= 100) ? "met" : "NOT met", f - b }'
if [ $otel = 1 ]; then
    awk -v e="$every_ns" -v o="$otel_ns" -v b="$plain_ns" 'BEGIN {
        printf "%-58s %.2fx (with the plain call: %.2fx)\n", "instrumented, every call / OTel span", (e - b) / (o - b), e / o
        printf "%-58s %s\n", "(other runtimes target: every call at most 0.25x of OTel)", ((e - b) <= 0.25 * (o - b)) ? "met" : "NOT met" }'
fi
