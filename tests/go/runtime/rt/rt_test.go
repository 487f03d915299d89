package rt

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"

	_ct "example.com/m/_ctinject"
)

// The config profile the runtime copy was built with (run-runtime-tests.sh):
// "caps" (small caps) or "nocap".
var profile = os.Getenv("CT_PROFILE")

type ev = map[string]interface{}

// ---------------------------------------------------------------- children

// TestChild runs a scenario in a child process that has telemetry on.
func TestChild(t *testing.T) {
	sc := os.Getenv("CT_SCENARIO")
	if sc == "" {
		t.Skip("only in a child")
	}
	if !_ct.On {
		t.Fatal("telemetry is off in the child")
	}
	switch sc {
	case "basic":
		Outer(3, "bob", "pw123")
		Named()
		NoResult()
		PHandle(1) // outside any span
		Values("m", map[string]int{"b": 2, "a": 1, "secret": 3}, "s", []int{1, 2, 3}, "ns", []int(nil),
			"bs", []byte("hi"), "e", errors.New("boom"), "st", struct {
				A int
				b string
			}{1, "x"}, "p", (*int)(nil), "f", 1.5, "c", complex(1, 2), "long", strings.Repeat("z", 500),
			"ptr", &Tok{V: 3, name: "n"}, "nilv", nil, "token", "abc")
	case "panic":
		Catcher()
		var p *int
		Try(func() { Deref(p) })
		Try(func() { LateDefer() })
		SelfRecover()
		done := make(chan bool)
		go func() { defer close(done); Exiter() }()
		<-done
		if r1, r2 := Try(PanicNil), TryPlain(PanicNil); (r1 == nil) != (r2 == nil) {
			t.Fatalf("panic(nil): instrumented recover gave %v, plain %v", r1, r2)
		}
		if r := Try(func() { Boom("x") }); r != "x" {
			t.Fatalf("recovered %v, want x", r)
		}
	case "deferred":
		PanicDefersInner()
		PanicCallsG()
		Looped(2, false)
		Try(func() { Looped(1, true) })
		Blank()
		Many()
		Literal()
	case "spawn":
		Spawn()
	case "concurrent":
		var wg sync.WaitGroup
		for g := 0; g < 100; g++ {
			wg.Add(1)
			go func(g int) {
				defer wg.Done()
				Worker(g, 100)
			}(g)
		}
		wg.Wait()
	case "moves":
		// built with -d=maymorestack=runtime.mayMoreStackMove: every call
		// moves the goroutine's stack, so a recorded address held anywhere
		// the runtime does not adjust goes stale at once
		for d := 0; d <= 3; d++ {
			if r := StackDeep(d); r != 7+d {
				t.Fatalf("StackDeep(%d) = %d", d, r)
			}
		}
	case "stringer":
		UseTok(Tok{V: 1, name: "x"}, nil)
		Values("t", Tok{V: 2}, "pt", &Tok{V: 3})
		if StringCalls != 0 {
			t.Fatalf("String() was called %d times", StringCalls)
		}
	case "caps":
		for i := 0; i < 120; i++ {
			Hot(i)
		}
		for i := 0; i < 60; i++ {
			Try(func() { HotFail(i) })
		}
		SiteCap(10)
		for i := 0; i < 30; i++ {
			Once(i)
		}
	case "escape":
		if CallParamPtr() != 42 || CallStructPtr() != 4 || CallBytesString() != 5 || Hdr("abc") != 3 {
			t.Fatal("wrong results")
		}
	case "stack":
		// StackDeep at every recursion depth up to 300, each on a new
		// goroutine (a small stack that grows, here and there in the middle
		// of formatting), while another goroutine runs the GC (which
		// shrinks stacks, and checks pointers with GODEBUG=gccheckmark=1)
		stop := make(chan bool)
		var gcs sync.WaitGroup
		gcs.Add(1)
		go func() {
			defer gcs.Done()
			for {
				select {
				case <-stop:
					return
				default:
					runtime.GC()
				}
			}
		}()
		for d := 0; d <= 300; d++ {
			done := make(chan int)
			go func(d int) { done <- StackDeep(d) }(d)
			if r := <-done; r != 7+d {
				t.Fatalf("StackDeep(%d) = %d", d, r)
			}
			if d%50 == 0 {
				runtime.GC()
			}
		}
		close(stop)
		gcs.Wait()
	case "trunc":
		for i := 0; i < 1000; i++ {
			Add(i, i)
		}
	}
}

func child(t *testing.T, scenario string, trace string, extra ...string) (string, string, error) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), "CT_SCENARIO="+scenario, "CTINJECT_TRACE_FILE="+trace, "CTINJECT_DISABLE=")
	cmd.Env = append(cmd.Env, extra...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	return out.String(), errb.String(), err
}

func readTrace(t *testing.T, path string) []ev {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var evs []ev
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		line := sc.Bytes()
		var e ev
		if err := json.Unmarshal(line, &e); err != nil {
			t.Fatalf("bad line %q: %v", line, err)
		}
		if !bytes.HasPrefix(line, []byte(`{"v":1,"type":"`+e["type"].(string)+`","lang":"go",`)) {
			t.Fatalf("bad head: %s", line)
		}
		evs = append(evs, e)
	}
	if len(data) > 0 && data[len(data)-1] != '\n' {
		t.Fatal("trace does not end with a newline")
	}
	return evs
}

func runScenario(t *testing.T, scenario string) []ev {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sub", "trace.jsonl")
	_, stderr, err := child(t, scenario, path)
	if err != nil {
		t.Fatalf("child %s: %v\n%s", scenario, err, stderr)
	}
	return readTrace(t, path)
}

func spans(evs []ev, name string) []ev {
	var r []ev
	for _, e := range evs {
		if e["type"] == "span" && (name == "" || e["name"] == name) {
			r = append(r, e)
		}
	}
	return r
}

func one(t *testing.T, evs []ev, name string) ev {
	t.Helper()
	s := spans(evs, name)
	if len(s) != 1 {
		t.Fatalf("%d spans named %s, want 1", len(s), name)
	}
	return s[0]
}

func of(evs []ev, typ string, f func(ev) bool) []ev {
	var r []ev
	for _, e := range evs {
		if e["type"] == typ && (f == nil || f(e)) {
			r = append(r, e)
		}
	}
	return r
}

func num(e ev, k string) int {
	f, _ := e[k].(float64)
	return int(f)
}

func eq(t *testing.T, what string, got, want interface{}) {
	t.Helper()
	if got != want {
		t.Errorf("%s: got %#v, want %#v", what, got, want)
	}
}

var hex16 = regexp.MustCompile(`^[0-9a-f]{16}$`)
var hex32 = regexp.MustCompile(`^[0-9a-f]{32}$`)

// ---------------------------------------------------------------- tests

func needProfile(t *testing.T, p string) {
	if os.Getenv("CT_SCENARIO") != "" {
		t.Skip("child")
	}
	if profile != p {
		t.Skip("profile " + p + " only")
	}
}

func TestOffAllocs(t *testing.T) {
	if os.Getenv("CT_SCENARIO") != "" || _ct.On {
		t.Skip("telemetry on")
	}
	if strings.Contains(os.Getenv("GODEBUG"), "efence=1") {
		t.Skip("GODEBUG=efence=1: runtime.ReadMemStats fails its own consistency check")
	}
	if n := testing.AllocsPerRun(1000, func() {
		Add(1, 2); Inner(3); Outer(2, "a", "b"); SiteCap(3); NoResult(); Named(); Blank(); Many(); G(1); PanicCallsG()
	}); n != 0 {
		t.Errorf("off: %v allocs per run, want 0", n)
	}
	// recording a pointer to a stack variable, a parameter pointer, a
	// struct with a pointer field, a string made from a stack []byte, the
	// slog header pattern and a nested value: still nothing on the heap
	for name, f := range map[string]func(){
		"param pointer": func() { sink += CallParamPtr() },
		"pointer field": func() { sink += CallStructPtr() },
		"stack string":  func() { sink += CallBytesString() },
		"slog header":   func() { sink += Hdr("abc") },
		"nested value":  func() { sink += StackDeep(2) },
	} {
		if n := testing.AllocsPerRun(1000, f); n != 0 {
			t.Errorf("off, %s: %v allocs per run, want 0", name, n)
		}
	}
	if _ct.S("f", 1, "x", "m") != nil || _ct.P("f") != nil || _ct.SL(nil, "f", 1, "x", "m") != nil {
		t.Error("off: S/SL/P not nil")
	}
	var s *_ct.Span
	x, err := 1, error(nil)
	_ct.A(s, "a", &x)
	_ct.V(s, 1, "a", &x)
	s.B(1, 0)
	s.L(1, "for")
	_ct.E0(s)
	_ct.E1(s, &x)
	_ct.E2(s, &x, &err)
	_ct.E2(s, (*struct{})(nil), &err)
	_ct.E8(s, &x, &x, &x, &x, &x, &x, &x, &err)
	if _ct.Rec(nil, 1, "x") != "x" {
		t.Error("Rec changed its value")
	}
}

func TestOffProgram(t *testing.T) {
	needProfile(t, "caps")
	bin := os.Getenv("CT_QUIET_BIN")
	dir := t.TempDir()
	path := filepath.Join(dir, "t", "trace.jsonl")
	for _, env := range [][]string{{"CTINJECT_TRACE_FILE=" + path, "CTINJECT_DISABLE=1"},
		{"CTINJECT_TRACE_FILE=" + path, "CTINJECT_DISABLE=yes"}, {"CTINJECT_TRACE_FILE="}} {
		cmd := exec.Command(bin)
		cmd.Env = append(os.Environ(), env...)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		if err := cmd.Run(); err != nil || out.Len() != 0 || errb.Len() != 0 {
			t.Fatalf("off %v: err %v stdout %q stderr %q", env, err, out.String(), errb.String())
		}
		if _, err := os.Stat(filepath.Join(dir, "t")); err == nil {
			t.Fatalf("off %v: the trace folder was created", env)
		}
	}
	// on: nothing on stdout or stderr either, and a trace
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "CTINJECT_TRACE_FILE="+path, "CTINJECT_DISABLE=0")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil || out.Len() != 0 || errb.Len() != 0 {
		t.Fatalf("on: err %v stdout %q stderr %q", err, out.String(), errb.String())
	}
	if len(spans(readTrace(t, path), "")) == 0 {
		t.Fatal("on: no spans")
	}
	// an unwritable file: one line on stderr, exit 0
	cmd = exec.Command(bin)
	cmd.Env = append(os.Environ(), "CTINJECT_TRACE_FILE=/proc/nonexistent/x/trace.jsonl", "CTINJECT_TRACE_WARNED=")
	errb.Reset()
	cmd.Stderr = &errb
	if err := cmd.Run(); err != nil || strings.Count(errb.String(), "\n") != 1 ||
		!strings.HasPrefix(errb.String(), "ctinject: cannot write the trace file") {
		t.Fatalf("unwritable: err %v stderr %q", err, errb.String())
	}
}

func TestBasic(t *testing.T) {
	needProfile(t, "caps")
	evs := runScenario(t, "basic")
	outer := one(t, evs, "Outer")
	inner := spans(evs, "Inner")
	if len(inner) != 3 {
		t.Fatalf("%d Inner spans", len(inner))
	}
	for _, k := range []string{"span_id", "parent_id"} {
		for _, s := range inner {
			if s[k] == nil || !hex16.MatchString(s[k].(string)) {
				t.Errorf("%s %v", k, s[k])
			}
		}
	}
	if !hex32.MatchString(outer["trace_id"].(string)) || !hex16.MatchString(outer["span_id"].(string)) {
		t.Errorf("ids %v %v", outer["trace_id"], outer["span_id"])
	}
	eq(t, "outer parent", outer["parent_id"], nil)
	if !strings.HasSuffix(outer["trace_id"].(string), outer["span_id"].(string)) {
		t.Error("a root's trace id does not end with its span id")
	}
	for _, s := range inner {
		eq(t, "inner parent", s["parent_id"], outer["span_id"])
		eq(t, "inner trace", s["trace_id"], outer["trace_id"])
		eq(t, "inner tid", s["tid"], outer["tid"])
	}
	eq(t, "inner return", inner[1]["return"], "(2, nil)")
	eq(t, "inner args", inner[1]["args"].(ev)["x"], "1")
	args := outer["args"].(ev)
	eq(t, "arg n", args["n"], "3")
	eq(t, "arg name", args["name"], `"bob"`)
	eq(t, "arg password", args["password"], "[REDACTED]")
	eq(t, "outer return", outer["return"], "6")
	eq(t, "status", outer["status"], "ok")
	eq(t, "exception", outer["exception"], nil)
	eq(t, "kind", outer["kind"], "function")
	eq(t, "module", outer["module"], "example.com/m/rt")
	eq(t, "file", outer["file"], "rt/lib.go")
	eq(t, "line", num(outer, "line"), 41)
	eq(t, "pid", num(outer, "pid"), num(inner[0], "pid"))
	eq(t, "named", one(t, evs, "Named")["return"], "42")
	eq(t, "none", one(t, evs, "NoResult")["return"], nil)
	// point events of Outer
	inOuter := func(e ev) bool { return e["span_id"] == outer["span_id"] }
	vs := of(evs, "var", inOuter)
	if len(vs) != 9 { // total, 3x (v, err), secret, k (from PHandle)
		t.Fatalf("%d var events in Outer: %v", len(vs), vs)
	}
	eq(t, "var secret", of(evs, "var", func(e ev) bool { return e["name"] == "secret" })[0]["value"], "[REDACTED]")
	eq(t, "var err", of(evs, "var", func(e ev) bool { return e["name"] == "err" })[0]["value"], "nil")
	k := of(evs, "var", func(e ev) bool { return e["name"] == "k" })
	if len(k) != 2 || k[0]["span_id"] != outer["span_id"] || k[1]["span_id"] != nil || k[1]["trace_id"] != nil || num(k[1], "tid") != 0 {
		t.Errorf("P handle events: %v", k)
	}
	if b := of(evs, "branch", inOuter); len(b) != 4 || num(b[0], "site") != 46 || num(b[0], "arm") != 1 {
		t.Errorf("branches: %v", b)
	}
	loops := of(evs, "loop", nil)
	if len(loops) != 1 || num(loops[0], "iterations") != 3 || loops[0]["kind"] != "for" ||
		loops[0]["span_id"] != outer["span_id"] || num(loops[0], "site") != 43 || loops[0]["target"] != nil {
		t.Errorf("loops: %v", loops)
	}
	// events of a call come before its span line
	last := -1
	for i, e := range evs {
		if e["span_id"] == outer["span_id"] && e["type"] != "span" {
			last = i
		}
	}
	for i, e := range evs {
		if e["type"] == "span" && e["name"] == "Outer" && i < last {
			t.Error("Outer's span line before its events")
		}
	}
	// values
	want := map[string]string{
		"m":     `map[string]int{"a":1, "b":2, "secret":"[REDACTED]"}`,
		"s":     `[]int{1, 2, 3}`,
		"ns":    `([]int)(nil)`,
		"bs":    `[]byte("hi")`,
		"e":     `&errors.errorString{s:"boom"}`,
		"st":    `struct { A int; b string }{A:1, b:"x"}`,
		"p":     `(*int)(nil)`,
		"f":     `1.5`,
		"c":     `(1+2i)`,
		"ptr":   `&rt.Tok{V:3, name:"n"}`,
		"nilv":  `nil`,
		"token": `[REDACTED]`,
	}
	got := map[string]string{}
	for _, e := range of(evs, "var", func(e ev) bool { return num(e, "line") == 181 }) {
		got[e["name"].(string)] = e["value"].(string)
	}
	for k, w := range want {
		eq(t, "value "+k, got[k], w)
	}
	if l := got["long"]; len(l) != 60 || !strings.HasSuffix(l, "...") || !strings.HasPrefix(l, `"zzz`) {
		t.Errorf("long value %q (cap 60)", l)
	}
}

func TestPanics(t *testing.T) {
	needProfile(t, "caps")
	evs := runScenario(t, "panic")
	boom := spans(evs, "Boom")
	if len(boom) != 2 {
		t.Fatalf("%d Boom spans", len(boom))
	}
	for _, b := range boom {
		eq(t, "boom status", b["status"], "error")
		eq(t, "boom return", b["return"], nil)
		exc, _ := b["exception"].(ev)
		if exc == nil || exc["type"] != "panic" || exc["message"] != nil {
			t.Errorf("boom exception %v", b["exception"])
		}
	}
	c := one(t, evs, "Catcher")
	eq(t, "catcher status", c["status"], "ok")
	eq(t, "catcher return", c["return"], `"kaboom"`)
	eq(t, "boom parent", boom[0]["parent_id"], c["span_id"])
	eq(t, "deref", one(t, evs, "Deref")["status"], "error")
	eq(t, "late defer", one(t, evs, "LateDefer")["status"], "error")
	sr := one(t, evs, "SelfRecover")
	eq(t, "self recover", sr["status"], "ok")
	eq(t, "self recover return", sr["return"], "5")
	ex := one(t, evs, "Exiter")
	eq(t, "goexit status", ex["status"], "ok")
	eq(t, "goexit", ex["goexit"], true)
	pn := spans(evs, "PanicNil")
	if len(pn) != 2 || pn[0]["status"] != "error" || pn[1]["status"] != "error" {
		t.Errorf("panic(nil) spans %v", pn)
	}
	for _, tr := range spans(evs, "Try") {
		eq(t, "try", tr["status"], "ok")
	}
	excs := of(evs, "exception", nil)
	var kaboom, deref ev
	for _, e := range excs {
		x := e["exception"].(ev)
		if x["message"] == "kaboom" {
			kaboom = e
		}
		if strings.Contains(x["message"].(string), "nil pointer") {
			deref = e
		}
	}
	if kaboom == nil || kaboom["exception"].(ev)["type"] != "string" || kaboom["span_id"] != c["span_id"] || num(kaboom, "line") != 84 {
		t.Errorf("exception event of Catcher: %v in %v", kaboom, excs)
	}
	if deref == nil || deref["exception"].(ev)["type"] != "runtime.errorString" {
		t.Errorf("exception event of Deref: %v in %v", deref, excs)
	}
}

// TestDeferredDuringPanic: functions that return normally while a panic
// runs their caller's defers end "ok"; defers run by runtime.deferreturn;
// blank and many results.
func TestDeferredDuringPanic(t *testing.T) {
	needProfile(t, "caps")
	evs := runScenario(t, "deferred")
	d := one(t, evs, "DeferredOK")
	eq(t, "deferred by gopanic: status", d["status"], "ok")
	eq(t, "deferred by gopanic: return", d["return"], "3")
	eq(t, "deferred by gopanic: exception", d["exception"], nil)
	g := one(t, evs, "G")
	eq(t, "called from a deferred closure during a panic: status", g["status"], "ok")
	eq(t, "called from a deferred closure during a panic: return", g["return"], "2")
	lp := spans(evs, "Looped")
	if len(lp) != 2 {
		t.Fatalf("%d Looped spans", len(lp))
	}
	eq(t, "deferreturn: status", lp[0]["status"], "ok")
	eq(t, "deferreturn: return", lp[0]["return"], "(12, nil)")
	eq(t, "deferreturn panic: status", lp[1]["status"], "error")
	eq(t, "deferreturn panic: return", lp[1]["return"], nil)
	eq(t, "blank result", one(t, evs, "Blank")["return"], "(_, nil)")
	eq(t, "eight results", one(t, evs, "Many")["return"], `(1, 2, 3, 4, "e", nil, [2]int{7, 8}, true)`)
	lit := one(t, evs, "Literal.func1")
	eq(t, "literal status", lit["status"], "ok")
	eq(t, "literal parent", lit["parent_id"], one(t, evs, "Literal")["span_id"])
}

// TestLiteralNames: the end is not a closure, so the function's own
// literals keep their names.
func TestLiteralNames(t *testing.T) {
	if os.Getenv("CT_SCENARIO") != "" {
		t.Skip("child")
	}
	eq(t, "literal name", Literal(), "example.com/m/rt.Literal.func1")
}

// normalize: a panic's output without addresses, offsets and folders.
func normalize(s string) string {
	// (an argument may print as "0x3?" in one and "0x3" in the other: the
	// instrumented function keeps its arguments in memory, so the
	// traceback's values are exact, no "?" mark)
	s = regexp.MustCompile(`0x[0-9a-f]+\??`).ReplaceAllString(s, "0x?")
	s = regexp.MustCompile(`\S*/(crash|crashplain)/main\.go`).ReplaceAllString(s, "main.go")
	s = regexp.MustCompile(`\S*/src/runtime/`).ReplaceAllString(s, "runtime/")
	return s
}

func TestCrashTwin(t *testing.T) {
	needProfile(t, "caps")
	run := func(bin string, env ...string) (string, int) {
		cmd := exec.Command(bin)
		cmd.Env = append(os.Environ(), env...)
		var errb bytes.Buffer
		cmd.Stderr = &errb
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		}
		return normalize(errb.String()), code
	}
	path := filepath.Join(t.TempDir(), "trace.jsonl")
	plain, pc := run(os.Getenv("CT_CRASHPLAIN_BIN"))
	on, oc := run(os.Getenv("CT_CRASH_BIN"), "CTINJECT_TRACE_FILE="+path)
	off, fc := run(os.Getenv("CT_CRASH_BIN"), "CTINJECT_TRACE_FILE=")
	if pc != 2 || oc != 2 || fc != 2 {
		t.Fatalf("exit codes plain %d on %d off %d", pc, oc, fc)
	}
	if plain != on || plain != off {
		t.Fatalf("panic output differs:\nplain:\n%s\non:\n%s\noff:\n%s", plain, on, off)
	}
	if !strings.Contains(plain, "panic: boom 3") {
		t.Fatalf("unexpected output %s", plain)
	}
	sp := spans(readTrace(t, path), "crash")
	if len(sp) != 4 {
		t.Fatalf("%d crash spans", len(sp))
	}
	for _, s := range sp {
		eq(t, "crash status", s["status"], "error")
	}
}

func TestSpawn(t *testing.T) {
	needProfile(t, "caps")
	evs := runScenario(t, "spawn")
	sp := one(t, evs, "Spawn")
	lit := one(t, evs, "Spawn.func1")
	add := one(t, evs, "Add")
	eq(t, "literal parent", lit["parent_id"], sp["span_id"])
	eq(t, "literal trace", lit["trace_id"], sp["trace_id"])
	eq(t, "add parent", add["parent_id"], lit["span_id"])
	if lit["tid"] == sp["tid"] {
		t.Error("the goroutine has the same tid as its creator")
	}
}

func TestConcurrent(t *testing.T) {
	needProfile(t, "nocap")
	evs := runScenario(t, "concurrent")
	workers := spans(evs, "Worker")
	adds := spans(evs, "Add")
	if len(workers) != 100 || len(adds) != 10000 {
		t.Fatalf("%d workers, %d adds", len(workers), len(adds))
	}
	byID := map[interface{}]ev{}
	for _, w := range workers {
		byID[w["span_id"]] = w
	}
	per := map[interface{}]int{}
	for _, a := range adds {
		w := byID[a["parent_id"]]
		if w == nil {
			t.Fatalf("Add span with parent %v", a["parent_id"])
		}
		if a["tid"] != w["tid"] || a["trace_id"] != w["trace_id"] {
			t.Fatalf("Add span tid/trace differ from its worker's")
		}
		per[a["parent_id"]]++
	}
	for id, n := range per {
		if n != 100 {
			t.Fatalf("worker %v has %d Add children", id, n)
		}
	}
	ids := map[interface{}]bool{}
	for _, s := range spans(evs, "") {
		if ids[s["span_id"]] {
			t.Fatal("duplicate span id")
		}
		ids[s["span_id"]] = true
	}
	if l := of(evs, "loop", nil); len(l) != 100 || num(l[0], "iterations") != 100 {
		t.Fatalf("loops %d", len(l))
	}
}

func TestStringerNotCalled(t *testing.T) {
	needProfile(t, "caps")
	evs := runScenario(t, "stringer")
	if len(spans(evs, "Tok.String")) != 0 {
		t.Fatal("Tok.String ran while formatting")
	}
	u := one(t, evs, "UseTok")
	eq(t, "tok arg", u["args"].(ev)["t"], `rt.Tok{V:1, name:"x"}`)
	eq(t, "nil error arg", u["args"].(ev)["e"], `nil`)
	eq(t, "tok return", u["return"], `rt.Tok{V:1, name:"x"}`)
}

func TestCaps(t *testing.T) {
	needProfile(t, "caps")
	evs := runScenario(t, "caps")
	// max_spans_per_function 50: Hot written 50 times; calls summaries at
	// 1, 2, 4, 8, 16, 32, 64 omitted
	if n := len(spans(evs, "Hot")); n != 50 {
		t.Errorf("%d Hot spans, want 50", n)
	}
	calls := of(evs, "calls", func(e ev) bool { return e["name"] == "Hot" })
	if len(calls) != 7 {
		t.Fatalf("%d calls summaries for Hot, want 7", len(calls))
	}
	lc := calls[len(calls)-1]
	eq(t, "omitted", num(lc, "omitted"), 64)
	eq(t, "recorded", num(lc, "recorded"), 50)
	if sl := lc["slowest"].([]interface{}); len(sl) != 2 || sl[0].(ev)["args"] != nil ||
		sl[0].(ev)["return"] == nil || !regexp.MustCompile(`^[0-9]+$`).MatchString(sl[0].(ev)["return"].(string)) {
		t.Errorf("slowest %v", sl)
	}
	// failures: 50 in full, then 3 more (max_failures_per_function), 7 omitted
	hf := spans(evs, "HotFail")
	eq(t, "HotFail spans", len(hf), 53)
	// (a call over max_spans_per_function records no arguments)
	eq(t, "late failing call args", hf[52]["args"], nil)
	eq(t, "late failing call status", hf[52]["status"], "error")
	fc := of(evs, "calls", func(e ev) bool { return e["name"] == "HotFail" })
	eq(t, "HotFail omitted_failed", num(fc[len(fc)-1], "omitted_failed"), 4)
	// events of omitted calls are not written: Hot's var at 187 written 10 times
	// (per-process cap), from the first 50 calls
	hv := of(evs, "var", func(e ev) bool { return num(e, "line") == 187 })
	eq(t, "Hot vars", len(hv), 10)
	// per-span cap 4: SiteCap(10) writes 4 x and 4 branches, suppressed 6 each
	sc := one(t, evs, "SiteCap")
	eq(t, "site cap vars", len(of(evs, "var", func(e ev) bool { return e["span_id"] == sc["span_id"] })), 4)
	sup, _ := sc["suppressed"].([]interface{})
	if len(sup) != 2 || num(sup[0].(ev), "count") != 6 || sup[0].(ev)["type"] != "var" || sup[1].(ev)["type"] != "branch" {
		t.Errorf("suppressed %v", sc["suppressed"])
	}
	// per-process cap 10: Once(30) writes 10 y, vars summaries up to 16 of 20
	eq(t, "Once vars", len(of(evs, "var", func(e ev) bool { return e["name"] == "y" })), 10)
	vs := of(evs, "vars", func(e ev) bool { return e["name"] == "y" })
	if len(vs) != 5 || num(vs[4], "omitted") != 16 || num(vs[4], "recorded") != 10 || vs[4]["last"] != "25" {
		t.Errorf("vars summaries %v", vs)
	}
}

func TestTruncation(t *testing.T) {
	needProfile(t, "caps")
	const limit = 50000000 // max_trace_bytes of the caps profile
	dir := t.TempDir()
	// already over the limit: only a truncated line
	path := filepath.Join(dir, "over.jsonl")
	if err := os.WriteFile(path, nil, 0o666); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, limit+10); err != nil {
		t.Fatal(err)
	}
	if _, stderr, err := child(t, "trunc", path); err != nil {
		t.Fatalf("%v %s", err, stderr)
	}
	data, _ := os.ReadFile(path)
	tail := string(data[limit+10:])
	if strings.Count(tail, "\n") != 1 || !strings.HasPrefix(tail, `{"v":1,"type":"truncated","lang":"go","time_unix_ns":`) ||
		!strings.Contains(tail, `"limit_bytes":50000000,"pid":`) {
		t.Fatalf("tail %q", tail)
	}
	// near the limit: some spans, then a truncated line, then nothing
	path = filepath.Join(dir, "near.jsonl")
	os.WriteFile(path, nil, 0o666)
	os.Truncate(path, limit-5000)
	if _, stderr, err := child(t, "trunc", path); err != nil {
		t.Fatalf("%v %s", err, stderr)
	}
	data, _ = os.ReadFile(path)
	lines := strings.Split(strings.TrimSuffix(string(data[limit-5000:]), "\n"), "\n")
	if len(lines) < 3 || !strings.Contains(lines[len(lines)-1], `"type":"truncated"`) ||
		!strings.Contains(lines[0], `"type":"span"`) || len(data) > limit+2000 {
		t.Fatalf("%d lines, size %d, last %q", len(lines), len(data), lines[len(lines)-1])
	}
}

func TestEscapeValues(t *testing.T) {
	needProfile(t, "caps")
	evs := runScenario(t, "escape")
	addr := `\(\*int\)\(0x[0-9a-f]+\)`
	pp := one(t, evs, "ParamPtr")
	if !regexp.MustCompile("^" + addr + "$").MatchString(pp["args"].(ev)["p"].(string)) {
		t.Errorf("ParamPtr p: %v", pp["args"])
	}
	eq(t, "ParamPtr return", pp["return"], "42")
	x := of(evs, "var", func(e ev) bool { return e["name"] == "x" })
	if len(x) != 1 || x[0]["value"] != pp["args"].(ev)["p"] {
		t.Errorf("ParamPtr x: %v", x)
	}
	sp := one(t, evs, "StructPtr")
	eq(t, "StructPtr n", sp["args"].(ev)["n"], `rt.Node{V:2, Next:&rt.Node{V:1, Next:(*rt.Node)(nil)}}`)
	eq(t, "StructPtr return", sp["return"], `(3, &rt.Node{V:1, Next:(*rt.Node)(nil)})`)
	eq(t, "StructPtr next", of(evs, "var", func(e ev) bool { return e["name"] == "next" })[0]["value"],
		`&rt.Node{V:1, Next:(*rt.Node)(nil)}`)
	bs := one(t, evs, "BytesString")
	eq(t, "BytesString b", bs["args"].(ev)["b"], `[]byte("hello")`)
	eq(t, "BytesString s", of(evs, "var", func(e ev) bool { return e["name"] == "s" })[0]["value"], `"hello"`)
	h := one(t, evs, "Hdr")
	eq(t, "Hdr value", h["args"].(ev)["value"], `"abc"`)
	hdr := of(evs, "var", func(e ev) bool { return e["name"] == "hdr" })[0]["value"].(string)
	if !regexp.MustCompile(`^&reflect.StringHeader\{Data:0x[0-9a-f]+, Len:3\}$`).MatchString(hdr) {
		t.Errorf("hdr %q", hdr)
	}
}

// deepWant: StackDeep's value as recorded (value_cap 4096, the "big"
// profile), its two addresses (of the same int on the stack) as 0xADDR.
const deepWant = `rt.Deep{N:0, S:"leafdata", L:&rt.Deep{N:1, S:"leaf", L:(*rt.Deep)(nil), Kids:[]rt.Deep{rt.Deep{N:2, S:"leafdata", L:(*rt.Deep)(nil), Kids:[]rt.Deep{rt.Deep{...}}, M:(map[string]int)(nil), I:nil, A:[2]rt.Leaf{rt.Leaf{...}, rt.Leaf{...}}}}, M:(map[string]int)(nil), I:nil, A:[2]rt.Leaf{rt.Leaf{B:([]uint8)(nil), P:(*int)(nil)}, rt.Leaf{B:([]uint8)(nil), P:(*int)(nil)}}}, Kids:[]rt.Deep{rt.Deep{N:1, S:"leaf", L:(*rt.Deep)(nil), Kids:[]rt.Deep{rt.Deep{N:2, S:"leafdata", L:(*rt.Deep)(nil), Kids:[]rt.Deep{rt.Deep{...}}, M:(map[string]int)(nil), I:nil, A:[2]rt.Leaf{rt.Leaf{...}, rt.Leaf{...}}}}, M:(map[string]int)(nil), I:nil, A:[2]rt.Leaf{rt.Leaf{B:([]uint8)(nil), P:(*int)(nil)}, rt.Leaf{B:([]uint8)(nil), P:(*int)(nil)}}}, rt.Deep{N:5, S:"", L:(*rt.Deep)(nil), Kids:([]rt.Deep)(nil), M:(map[string]int)(nil), I:"leafdata", A:[2]rt.Leaf{rt.Leaf{B:([]uint8)(nil), P:(*int)(nil)}, rt.Leaf{B:([]uint8)(nil), P:(*int)(nil)}}}}, M:map[string]int{"a":1, "b":2}, I:rt.Leaf{B:[]byte("leaf"), P:(*int)(0xADDR)}, A:[2]rt.Leaf{rt.Leaf{B:[]byte("leaf"), P:(*int)(0xADDR)}, rt.Leaf{B:([]uint8)(nil), P:(*int)(nil)}}}`

// TestStackGrowth: values on the stack of a goroutine whose stack grows
// (and is shrunk by the GC) while they are formatted come out right.
func TestStackGrowth(t *testing.T) {
	needProfile(t, "big")
	path := filepath.Join(t.TempDir(), "trace.jsonl")
	_, stderr, err := child(t, "stack", path, "GODEBUG=gccheckmark=1")
	if err != nil {
		t.Fatalf("child: %v\n%s", err, stderr)
	}
	evs := readTrace(t, path)
	vs := of(evs, "var", func(e ev) bool { return e["name"] == "deep" })
	if len(vs) != 301 {
		t.Fatalf("%d deep values, want 301", len(vs))
	}
	addr := regexp.MustCompile(`0x[0-9a-f]+`)
	for _, v := range vs {
		val := v["value"].(string)
		as := addr.FindAllString(val, -1)
		if len(as) != 2 || as[0] != as[1] || addr.ReplaceAllString(val, "0xADDR") != deepWant {
			t.Fatalf("deep value\n%v\nwant\n%v", val, deepWant)
		}
	}
	sp := spans(evs, "StackDeep")
	if len(sp) != 301*302/2 {
		t.Fatalf("%d StackDeep spans", len(sp))
	}
}

// TestStackMoves: arguments, variables and results are read where they
// are after the stack has moved, at every call (run-runtime-tests.sh
// builds this with -race and -d=maymorestack=runtime.mayMoreStackMove and
// sets CT_STACK_MOVES). Regression: the runtime hid the address of a
// result from escape analysis with a uintptr round trip, and -race's
// checkptr call in between moved the stack, so the result was formatted
// from the freed old stack ("found bad pointer in Go heap", 1 run in 20
// under load without the flag, every run with it).
func TestStackMoves(t *testing.T) {
	needProfile(t, "big")
	if os.Getenv("CT_STACK_MOVES") == "" {
		t.Skip("needs a build with -d=maymorestack=runtime.mayMoreStackMove")
	}
	path := filepath.Join(t.TempDir(), "trace.jsonl")
	if _, stderr, err := child(t, "moves", path); err != nil {
		t.Fatalf("child: %v\n%s", err, stderr)
	}
	evs := readTrace(t, path)
	vs := of(evs, "var", func(e ev) bool { return e["name"] == "deep" })
	addr := regexp.MustCompile(`0x[0-9a-f]+`)
	for _, v := range vs {
		if val := addr.ReplaceAllString(v["value"].(string), "0xADDR"); val != deepWant {
			t.Fatalf("deep value\n%v\nwant\n%v", val, deepWant)
		}
	}
	sp := spans(evs, "StackDeep")
	if len(vs) != 4 || len(sp) != 4*5/2 {
		t.Fatalf("%d deep values and %d StackDeep spans, want 4 and 10", len(vs), len(sp))
	}
	for _, s := range sp {
		d := s["args"].(ev)["d"].(string)
		if want := map[string]string{"0": "7", "1": "8", "2": "9", "3": "10"}[d]; s["return"] != want {
			t.Fatalf("StackDeep(%s) returned %v, want %s", d, s["return"], want)
		}
	}
}

// ---------------------------------------------------------------- benchmarks

var sink int

func BenchmarkPlain(b *testing.B) {
	for i := 0; i < b.N; i++ {
		sink += Plain(i, 1)
	}
}

func BenchmarkInstrumented(b *testing.B) {
	if _ct.On {
		b.Skip("on")
	}
	for i := 0; i < b.N; i++ {
		sink += Add(i, 1)
	}
}

func BenchmarkOn(b *testing.B) {
	if os.Getenv("CT_SCENARIO") != "bench" {
		b.Skip("on only (child)")
	}
	for i := 0; i < b.N; i++ {
		sink += Add(i, 1)
	}
}

var _ = runtime.GOARCH
