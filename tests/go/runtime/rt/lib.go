// Package rt holds functions instrumented by hand in the exact shape the Go
// planner inserts, for the runtime's tests.
package rt

import (
	"errors"
	"reflect"
	"runtime"
	"sync"
	"unsafe"

	_ct "example.com/m/_ctinject"
)

var _ = _ct.On

const file = "rt/lib.go"
const mod = "example.com/m/rt"

// Plain is the uninstrumented twin of Add (for the benchmark).
//
//go:noinline
func Plain(a, b int) int {
	return a + b
}

// Add is instrumented.
func Add(a, b int) (_ct_r0 int) {
	_ct_s := _ct.S(file, 25, "Add", mod); if _ct_s != nil { _ct.A(_ct_s, "a", &a); _ct.A(_ct_s, "b", &b) }; defer _ct.E1(_ct_s, &_ct_r0)
	return a + b
}

// Inner returns two results.
func Inner(x int) (_ct_r0 int, _ct_r1 error) {
	_ct_s := _ct.S(file, 31, "Inner", mod); if _ct_s != nil { _ct.A(_ct_s, "x", &x) }; defer _ct.E2(_ct_s, &_ct_r0, &_ct_r1)
	if x < 0 {
		_ct_s.B(33, 0)
		return 0, errors.New("negative")
	}
	return x * 2, nil
}

// Outer nests Inner, with variables, branches and loops.
func Outer(n int, name string, password string) (_ct_r0 int) {
	_ct_s := _ct.S(file, 41, "Outer", mod); if _ct_s != nil { _ct.A(_ct_s, "n", &n); _ct.A(_ct_s, "name", &name); _ct.A(_ct_s, "password", &password) }; defer _ct.E1(_ct_s, &_ct_r0)
	total := 0; if _ct_s != nil { _ct.V(_ct_s, 42, "total", &total) }
	for i := 0; i < n; i++ {
		_ct_s.L(43, "for")
		v, err := Inner(i); if _ct_s != nil { _ct.V(_ct_s, 45, "v", &v); _ct.V(_ct_s, 45, "err", &err) }
		if err != nil {
			_ct_s.B(46, 0)
		} else {
			_ct_s.B(46, 1)
		}
		total += v
	}
	secret := "hunter2"; if _ct_s != nil { _ct.V(_ct_s, 52, "secret", &secret) }
	_ = secret
	PHandle(7)
	return total
}

// PHandle has no span of its own: its events go to the current span.
func PHandle(k int) {
	_ct_s := _ct.P(file)
	k++; if _ct_s != nil { _ct.V(_ct_s, 61, "k", &k) }
	_ct_s.B(62, 0)
}

// Named has a named result changed by a user defer.
func Named() (n int) {
	_ct_s := _ct.S(file, 66, "Named", mod); defer _ct.E1(_ct_s, &n)
	defer func() { n = 42 }()
	return 1
}

// NoResult returns nothing.
func NoResult() {
	_ct_s := _ct.S(file, 72, "NoResult", mod); defer _ct.E0(_ct_s)
}

// Boom panics.
func Boom(msg string) {
	_ct_s := _ct.S(file, 77, "Boom", mod); if _ct_s != nil { _ct.A(_ct_s, "msg", &msg) }; defer _ct.E0(_ct_s)
	panic(msg)
}

// Catcher recovers Boom's panic.
func Catcher() (r interface{}) {
	_ct_s := _ct.S(file, 83, "Catcher", mod); defer _ct.E1(_ct_s, &r)
	defer func() { r = _ct.Rec(_ct_s, 84, recover()) }()
	Boom("kaboom")
	return "unreached"
}

// Deref panics in its return operand.
func Deref(p *int) (_ct_r0 int) {
	_ct_s := _ct.S(file, 90, "Deref", mod); if _ct_s != nil { _ct.A(_ct_s, "p", &p) }; defer _ct.E1(_ct_s, &_ct_r0)
	return *p
}

// Try runs f and recovers (instrumented): returns the recovered value.
func Try(f func()) (r interface{}) {
	_ct_s := _ct.S(file, 96, "Try", mod); defer _ct.E1(_ct_s, &r)
	defer func() { r = _ct.Rec(_ct_s, 97, recover()) }()
	f()
	return nil
}

// TryPlain is Try without instrumentation.
func TryPlain(f func()) (r interface{}) {
	defer func() { r = recover() }()
	f()
	return nil
}

// PanicNil panics with nil.
func PanicNil() {
	_ct_s := _ct.S(file, 111, "PanicNil", mod); defer _ct.E0(_ct_s)
	panic(nil)
}

// SelfRecover recovers its own panic and returns 5.
func SelfRecover() (n int) {
	_ct_s := _ct.S(file, 117, "SelfRecover", mod); defer _ct.E1(_ct_s, &n)
	defer func() { _ = _ct.Rec(_ct_s, 118, recover()); n = 5 }()
	panic("self")
}

// LateDefer panics in a user defer after returning.
func LateDefer() (_ct_r0 int) {
	_ct_s := _ct.S(file, 123, "LateDefer", mod); defer _ct.E1(_ct_s, &_ct_r0)
	defer func() { panic("late") }()
	return 1
}

// Exiter calls runtime.Goexit.
func Exiter() {
	_ct_s := _ct.S(file, 129, "Exiter", mod); defer _ct.E0(_ct_s)
	runtime.Goexit()
}

// Spawn runs a function literal on a new goroutine.
func Spawn() {
	_ct_s := _ct.S(file, 135, "Spawn", mod); defer _ct.E0(_ct_s)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		_ct_s := _ct.SL(_ct_s, file, 138, "Spawn.func1", mod); defer _ct.E0(_ct_s)
		defer wg.Done()
		Add(1, 2)
	}()
	wg.Wait()
}

// Worker calls Add n times.
func Worker(id, n int) (_ct_r0 int) {
	_ct_s := _ct.S(file, 147, "Worker", mod); if _ct_s != nil { _ct.A(_ct_s, "id", &id); _ct.A(_ct_s, "n", &n) }; defer _ct.E1(_ct_s, &_ct_r0)
	t := 0
	for i := 0; i < n; i++ {
		_ct_s.L(149, "for")
		t = Add(t, i)
	}
	return t
}

// StringCalls counts calls of Tok.String.
var StringCalls int

// Tok has an instrumented String method.
type Tok struct {
	V    int
	name string
}

func (t Tok) String() (_ct_r0 string) {
	_ct_s := _ct.S(file, 166, "Tok.String", mod); if _ct_s != nil { _ct.A(_ct_s, "t", &t) }; defer _ct.E1(_ct_s, &_ct_r0)
	StringCalls++
	return "tok"
}

// UseTok records a Tok.
func UseTok(t Tok, e error) (_ct_r0 Tok) {
	_ct_s := _ct.S(file, 173, "UseTok", mod); if _ct_s != nil { _ct.A(_ct_s, "t", &t); _ct.A(_ct_s, "e", &e) }; defer _ct.E1(_ct_s, &_ct_r0)
	u := &t; if _ct_s != nil { _ct.V(_ct_s, 174, "u", &u) }
	return t
}

// Values records values of many kinds: name, value pairs, as variables
// of line 181 (a variable's name is not a literal here, unlike the
// planner's, and the loop is not counted).
func Values(kv ...interface{}) {
	_ct_s := _ct.S(file, 180, "Values", mod); defer _ct.E0(_ct_s)
	for i := 0; i+1 < len(kv); i += 2 {
		name, v := kv[i].(string), kv[i+1]; if _ct_s != nil { _ct.V(_ct_s, 181, name, &v) }
	}
}

// Hot is called more often than max_spans_per_function.
func Hot(i int) (_ct_r0 int) {
	_ct_s := _ct.S(file, 186, "Hot", mod); if _ct_s != nil { _ct.A(_ct_s, "i", &i) }; defer _ct.E1(_ct_s, &_ct_r0)
	if _ct_s != nil { _ct.V(_ct_s, 187, "i", &i) }
	return i
}

// HotFail panics each call.
func HotFail(i int) {
	_ct_s := _ct.S(file, 192, "HotFail", mod); if _ct_s != nil { _ct.A(_ct_s, "i", &i) }; defer _ct.E0(_ct_s)
	panic("hot")
}

// SiteCap assigns a variable and takes a branch n times in one span.
func SiteCap(n int) {
	_ct_s := _ct.S(file, 198, "SiteCap", mod); defer _ct.E0(_ct_s)
	for i := 0; i < n; i++ {
		_ct_s.L(199, "for")
		x := i; if _ct_s != nil { _ct.V(_ct_s, 200, "x", &x) }
		_ct_s.B(201, 0)
	}
}

// Once assigns one variable per call (the per-process cap).
func Once(i int) {
	_ct_s := _ct.S(file, 206, "Once", mod); defer _ct.E0(_ct_s)
	y := i; if _ct_s != nil { _ct.V(_ct_s, 207, "y", &y) }
}

// DeferredOK returns normally; PanicDefersInner defers it (no closure)
// before panicking, so gopanic runs it directly.
func DeferredOK() (n int) {
	_ct_s := _ct.S(file, 212, "DeferredOK", mod); defer _ct.E1(_ct_s, &n)
	return 3
}

// PanicDefersInner panics with DeferredOK deferred and recovers (plain).
func PanicDefersInner() {
	defer func() { recover() }()
	defer DeferredOK()
	panic("x")
}

// G returns normally.
func G(x int) (_ct_r0 int) {
	_ct_s := _ct.S(file, 225, "G", mod); if _ct_s != nil { _ct.A(_ct_s, "x", &x) }; defer _ct.E1(_ct_s, &_ct_r0)
	return x + 1
}

// PanicCallsG calls G from a deferred closure that runs during a panic
// (plain).
func PanicCallsG() {
	defer func() { recover() }()
	defer func() { G(1) }()
	panic("y")
}

// Looped has a defer in a loop: its defers are not open-coded, so
// runtime.deferreturn runs the end at a return.
func Looped(n int, fail bool) (_ct_r0 int, err error) {
	_ct_s := _ct.S(file, 240, "Looped", mod); if _ct_s != nil { _ct.A(_ct_s, "n", &n); _ct.A(_ct_s, "fail", &fail) }; defer _ct.E2(_ct_s, &_ct_r0, &err)
	for i := 0; i < n; i++ {
		defer func() { _ct_r0++ }()
	}
	if fail {
		panic("looped")
	}
	return 10, nil
}

// Blank has a blank result: its pointer is a (typed) nil.
func Blank() (_ int, err error) {
	_ct_s := _ct.S(file, 252, "Blank", mod); defer _ct.E2(_ct_s, (*struct{})(nil), &err)
	return 7, nil
}

// Many has eight results.
func Many() (a, b, c, d int, e string, f error, g [2]int, h bool) {
	_ct_s := _ct.S(file, 258, "Many", mod); defer _ct.E8(_ct_s, &a, &b, &c, &d, &e, &f, &g, &h)
	return 1, 2, 3, 4, "e", nil, [2]int{7, 8}, true
}

// Literal opens a span in a function literal it defers (the literal ends
// with E0) and returns the literal's name as runtime.FuncForPC gives it.
func Literal() (_ct_r0 string) {
	_ct_s := _ct.S(file, 265, "Literal", mod); defer _ct.E1(_ct_s, &_ct_r0)
	f := func() (_ct_r0 string) {
		_ct_s := _ct.SL(_ct_s, file, 267, "Literal.func1", mod); defer _ct.E1(_ct_s, &_ct_r0)
		pc, _, _, _ := runtime.Caller(0)
		return runtime.FuncForPC(pc).Name()
	}
	return f()
}

// ---------------------------------------------------------------- escape analysis
//
// Recording must not change escape analysis: the plain callers below keep
// their variables on the stack (TestOffAllocs counts 0 allocations;
// run-runtime-tests.sh checks -gcflags=-m for "moved to heap").

// ParamPtr records a parameter pointer and a copy of it.
func ParamPtr(p *int) (_ct_r0 int) {
	_ct_s := _ct.S(file, 301, "ParamPtr", mod); if _ct_s != nil { _ct.A(_ct_s, "p", &p) }; defer _ct.E1(_ct_s, &_ct_r0)
	x := p; if _ct_s != nil { _ct.V(_ct_s, 302, "x", &x) }
	return *x + 1
}

// CallParamPtr passes a pointer to its stack variable.
//
//go:noinline
func CallParamPtr() int {
	local := 41
	return ParamPtr(&local)
}

// Node has a pointer field.
type Node struct {
	V    int
	Next *Node
}

// StructPtr records a struct whose field points to the caller's stack, and
// returns a pointer it was given (a result pointing to the caller's stack).
func StructPtr(n Node) (_ct_r0 int, _ct_r1 *Node) {
	_ct_s := _ct.S(file, 323, "StructPtr", mod); if _ct_s != nil { _ct.A(_ct_s, "n", &n) }; defer _ct.E2(_ct_s, &_ct_r0, &_ct_r1)
	next := n.Next; if _ct_s != nil { _ct.V(_ct_s, 324, "next", &next) }
	return n.V + next.V, next
}

// CallStructPtr builds a two-node list on its stack.
//
//go:noinline
func CallStructPtr() int {
	a := Node{V: 1}
	b := Node{V: 2, Next: &a}
	v, p := StructPtr(b)
	return v + p.V
}

// BytesString records a string built from a []byte on the caller's stack
// (the string's bytes are on BytesString's stack: a small non-escaping
// conversion uses a stack buffer).
func BytesString(b []byte) (_ct_r0 int) {
	_ct_s := _ct.S(file, 342, "BytesString", mod); if _ct_s != nil { _ct.A(_ct_s, "b", &b) }; defer _ct.E1(_ct_s, &_ct_r0)
	s := string(b); if _ct_s != nil { _ct.V(_ct_s, 343, "s", &s) }
	return len(s)
}

// CallBytesString passes a slice of its stack array.
//
//go:noinline
func CallBytesString() int {
	var buf [16]byte
	copy(buf[:], "hello")
	return BytesString(buf[:5])
}

// Hdr is the slog pattern: a header pointer to a parameter.
func Hdr(value string) (_ct_r0 int) {
	_ct_s := _ct.S(file, 358, "Hdr", mod); if _ct_s != nil { _ct.A(_ct_s, "value", &value) }; defer _ct.E1(_ct_s, &_ct_r0)
	hdr := (*reflect.StringHeader)(unsafe.Pointer(&value)); if _ct_s != nil { _ct.V(_ct_s, 359, "hdr", &hdr) }
	return hdr.Len
}

// Deep is a nested value, built on the stack by StackDeep.
type Deep struct {
	N    int
	S    string
	L    *Deep
	Kids []Deep
	M    map[string]int
	I    interface{}
	A    [2]Leaf
}

// Leaf is a small struct held in an interface.
type Leaf struct {
	B []byte
	P *int
}

// StackDeep builds a nested value on its stack (strings from a stack
// []byte, slices, a map, an interface holding a struct, pointers) and
// records it; d is its recursion depth, so that the formatting runs at
// every offset in the stack.
func StackDeep(d int) (_ct_r0 int) {
	_ct_s := _ct.S(file, 385, "StackDeep", mod); if _ct_s != nil { _ct.A(_ct_s, "d", &d) }; defer _ct.E1(_ct_s, &_ct_r0)
	if d > 0 {
		return StackDeep(d-1) + 1
	}
	var buf [8]byte
	copy(buf[:], "leafdata")
	s := string(buf[:])
	n := 7
	m := map[string]int{"b": 2, "a": 1}
	leaf := Leaf{B: buf[:4], P: &n}
	deep := Deep{N: 0, S: s, M: m, I: leaf, A: [2]Leaf{leaf, {}}}
	deep.L = &Deep{N: 1, S: s[:4], Kids: []Deep{{N: 2, S: s, Kids: []Deep{{N: 3, Kids: []Deep{{N: 4, I: &leaf}}}}}}}
	deep.Kids = []Deep{*deep.L, {N: 5, I: s}}
	if _ct_s != nil { _ct.V(_ct_s, 398, "deep", &deep) }
	return n
}
