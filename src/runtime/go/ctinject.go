// ctinject Go runtime: written by ctinject, do not edit.

// Package ctinject is the Go runtime of ctinject: instrumented files import
// it (as `_ct "IMPORTPATH/_ctinject"`) and call S, SL, P, A, E0 ... E8, V,
// B, L and Rec. It uses the standard library only and never writes to
// standard output. It needs Go 1.18 or later (E1 ... E8 are generic).
//
// # What the planner inserts
//
// First in each instrumented function body, on one line:
//
//	_ct_s := _ct.S("a.go", 12, "Div", "example.com/m"); if _ct_s != nil { _ct.A(_ct_s, "a", &a); _ct.A(_ct_s, "b", &b) }; defer _ct.E2(_ct_s, &q, &err);
//
// and after a statement that assigns variables, one V call (one var
// event) per variable:
//
//	q, err := div(a, b); if _ct_s != nil { _ct.V(_ct_s, 13, "q", &q); _ct.V(_ct_s, 13, "err", &err) }
//
// A function literal opens with `_ct_s := _ct.SL(_ct_s, file, line, name,
// module)` (the enclosing span as its parent hint) and ends the same way.
// Unnamed results are named _ct_r0, _ct_r1, ... so that they can be
// pointed to. The end is a deferred DIRECT call of E<n> (n results, at most
// 8) with a pointer to each result, deferred first so that it runs after
// every user defer and reads the results as returned. It is never a
// deferred closure: a new function literal would renumber the function's
// own literals (F.func1 would become F.func2), which stack traces and
// runtime.FuncForPC show. (The compiler's own wrapper of a deferred call
// with arguments is a wrapper function: it takes no funcN number and
// tracebacks and runtime.Callers leave it out.)
//
// With telemetry off, S and SL return nil and E<n> returns at once: no
// allocation. A blank result `_` has a nil pointer (it must be typed: an
// untyped nil cannot instantiate a type parameter, e.g.
// `(*struct{})(nil)`); it is recorded as _ ("return":"(_, nil)").
//
// # Values go by pointer and are formatted in place
//
// Go's escape analysis is flow-insensitive: it does not see the `if _ct_s
// != nil` around the calls, so whatever a call does with its argument
// counts on every run, telemetry on or off. Boxing a value into an
// interface{} there would make everything it points to escape to the heap
// (a parameter `p *T` recorded would move each caller's `&local` to the
// heap; `hdr := (*reflect.StringHeader)(unsafe.Pointer(&value))` recorded
// would move `value`), and allocation-counting tests (testing.AllocsPerRun,
// as slog's) would fail. So A, V and E<n> are generic functions that take
// a pointer to the value and format the value where it is, with reflect,
// before they return (E<n> runs deferred, while the function's frame is
// still alive): never copied into an interface, and no reflect.Value or
// pointer derived from it is stored anywhere but in the formatter's own
// stack frames, so the compiler itself proves that the pointer does not
// escape (go build -gcflags=-m; the tests check it for every function the
// pointer passes through). The value may live on the caller's stack, which
// can move (grow, or shrink at a garbage collection) while it is
// formatted: the runtime adjusts the pointers that stack frames hold, so
// an address is never held as a uintptr, not even for one instruction (a
// uintptr round trip to hide the pointer from escape analysis, as the Go
// runtime's noescape, let -race's checkptr call in between see the stack
// shrink, and formatting then read the old stack). What is kept is the
// formatted text (copied bytes). Consequence: a value is formatted when it
// is recorded or never.
// A call over max_spans_per_function records no arguments (formatting
// them on every hot call is the cost the cap exists to avoid): if it
// fails and is written (max_failures_per_function), its span has
// "args":null; the "slowest" entries of calls summaries have "args":null
// too (their "return" is formatted when the call ends, as it joins the
// slowest).
//
// How the call ended is read from the stack when the deferred E<n> runs,
// never with recover() (which would stop the panic) nor by re-panicking:
// the frame that ran E<n> is the function itself (its open-coded defers run
// at its return) or runtime.deferreturn for a return; otherwise the
// runtime frames right above E<n> lead to runtime.gopanic (a panic: the
// span fails) or runtime.Goexit (ok, "goexit":true). Only those
// consecutive runtime frames are read: a function that returns normally
// while it runs inside a deferred call during some other panic further up
// the stack ended normally. Reading the stack costs most of a span's end,
// so on amd64 and arm64 it is skipped when the goroutine is neither
// panicking nor running Goexit: the runtime's g then has no _panic (a
// word read by assembly, gPanic, and trusted only after checkPanicWord has
// seen it change as it must at startup).
//
// # What the Go runtime writes (differences from docs/events.md)
//
//   - Every event has "lang":"go" right after "type".
//   - Telemetry is on when CTINJECT_TRACE_FILE is set and CTINJECT_DISABLE is
//     not truthy (1, true, yes, on), read once when the program starts. The
//     file is opened with O_APPEND|O_CREATE|O_WRONLY (its folder created);
//     each event line (or a span's loop events with its span line) is one
//     write(2), so processes and goroutines can share the file. Nothing is
//     buffered: Go has no exit hook (os.Exit, which `go test` calls, skips
//     everything), so a buffered line could be lost.
//   - span: "kind" is "function" for functions, methods and function
//     literals alike. "module" is the package's import path. "args" maps each
//     recorded parameter (receivers as the planner names them) to its value.
//     "return" is the formatted result for one result, "(v1, v2)" for
//     several, null for none, and null when the call panicked. A call that
//     panicked has "status":"error" and "exception":{"type":"panic",
//     "message":null} (the panic value is not read: reading it would need
//     recover()). A goroutine ended by runtime.Goexit (t.FailNow) ends its
//     spans with "status":"ok", "return":null and the optional key
//     "goexit":true after "tid". A function whose panic was recovered by its
//     own deferred call ended normally ("ok", its results as returned).
//   - "tid" is not an OS thread: the runtime numbers a goroutine (1, 2, ...)
//     when it opens a span while it has no span open, and its nested spans
//     carry that number; a goroutine that returns to no open span gets a new
//     number at its next span. Point events outside any span have tid 0.
//   - Parents: spans nest per goroutine (a table keyed by the goroutine's g
//     pointer, read with a few instructions of assembly on amd64 and arm64;
//     elsewhere from runtime.Stack, which costs microseconds). A goroutine
//     starts with no current span; a function literal's span takes the span
//     of its lexically enclosing function as parent when its goroutine has
//     none (`go func(){...}()`, callbacks run on other goroutines). A
//     `go namedFunc()` starts a new trace.
//   - loop events count the iterations of a loop per span (one event per
//     loop and span, written when the span ends), with "target":null and
//     "last":null. Loops outside any span are not recorded.
//   - exception events are written by Rec (a wrapped recover() that returned
//     non-nil): "type" is the value's dynamic type as %T prints it
//     ("string", "*errors.errorString", "runtime.boundsError"); "message" is
//     the value itself when it is a string (of any string type), else the
//     formatted value. Rec with a nil span records nothing (no file is
//     known).
//   - Summaries (calls, vars, branches, loops, exceptions): with no exit hook
//     they cannot be written when the process ends. Instead the runtime
//     writes a site's (or function's) summary each time its omitted count
//     reaches a power of two (1, 2, 4, 8, ...), with the cumulative figures
//     at that moment. A reader takes the last summary per site (per
//     function); its "omitted" is at least half the true count. "slowest"
//     in calls is kept as in docs/events.md, except that its "args" are
//     null (see Values above; the results are formatted only when a call
//     joins the slowest).
//   - Events outside any span (a function whose span is off, P, called with
//     no span open) count against the per-site cap of one process-wide
//     state, whose overflow is not reported.
//   - truncated: the file's size is checked at the first write, then after
//     each megabyte this process writes or a second, and at every write
//     within 16 MB of the limit. At the limit the process writes one
//     truncated line and records nothing more (S, SL, P return nil).
//
// # Values
//
// Values are formatted with reflect only: no method of the program (String,
// Error, GoString, Format, MarshalJSON) is ever called. The notation is Go
// syntax, close to %#v:
//
//	nil interface       nil
//	bool, numbers       true, 42, 3.5, 1e+21, (1+2i); uintptr as 0x1f
//	strings             "quoted" (strconv.Quote)
//	[]byte              []byte("quoted")
//	slices, arrays      []int{1, 2, 3}, [2]string{"a", "b"}, []int(nil)
//	maps                map[string]int{"a":1, "b":2}, keys sorted
//	structs             pkg.T{A:1, b:"x"} (unexported fields read too)
//	pointers            &pkg.T{...} at the outer two levels when they point
//	                    to a struct, array, slice or map; else (*int)(0xc000012345);
//	                    (*T)(nil)
//	funcs, chans        (func(int) string)(0x47e0a0), (chan int)(nil)
//	errors              as their value: &errors.errorString{s:"boom"}
//
// Maps are read through a copy of each entry (reflect copies keys and
// values out of the map into new heap memory), sorted by key.
// Containers nest at most 6 levels (deeper: "..."), and a value is cut at
// value_cap characters, ending with "...". Redaction: the config's
// patterns (case-insensitive regular expressions, as Python's re.search)
// are searched in the names of arguments and variables, in string map keys
// and in struct field names; a match records "[REDACTED]".
package ctinject

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"
	"unsafe"
)

// The recording options, replaced by ctinject (one line, a JSON text).
const configJSON = "{}"

// On is true when telemetry is on (read once at start).
var On bool

// ---------------------------------------------------------------- configuration

type config struct {
	cap      int
	maxSite  int32
	maxProc  int64
	slowest  int
	maxCalls int64
	maxFail  int64
	maxBytes int64
	red      []*regexp.Regexp
	redAll   bool
}

var cfg = config{cap: 200, maxSite: 16, maxProc: 200, slowest: 5, maxCalls: 200, maxFail: 100,
	maxBytes: 1000000000}

var defaultRedact = []string{"passw", "secret", "token", "api_?key", "auth", "credential",
	"private_?key", "session", "cookie"}

func intKey(d map[string]interface{}, k string, dflt, least int64) int64 {
	n, ok := d[k].(json.Number)
	if !ok {
		return dflt
	}
	v, err := strconv.ParseInt(string(n), 10, 64)
	if err != nil || v < least {
		return dflt
	}
	return v
}

func parseConfig(text string) {
	d := map[string]interface{}{}
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	if dec.Decode(&d) != nil || d == nil {
		d = map[string]interface{}{}
	}
	cfg.cap = int(intKey(d, "value_cap", 200, 1))
	if cfg.cap > 1<<20 {
		cfg.cap = 1 << 20
	}
	cfg.maxSite = int32(intKey(d, "max_events_per_site", 16, 0))
	cfg.maxProc = intKey(d, "max_events_per_site_per_process", 200, 0)
	cfg.slowest = int(intKey(d, "slowest_calls", 5, 0))
	cfg.maxCalls = intKey(d, "max_spans_per_function", 200, 0)
	cfg.maxFail = intKey(d, "max_failures_per_function", 100, 0)
	if cfg.maxFail == 0 {
		cfg.maxFail = math.MaxInt64
	}
	cfg.maxBytes = intKey(d, "max_trace_bytes", 1000000000, 0)
	pats := defaultRedact
	if list, ok := d["redact"].([]interface{}); ok {
		pats = nil
		for _, p := range list {
			if s, ok := p.(string); ok && s != "" {
				pats = append(pats, s)
			}
		}
	}
	for _, p := range pats {
		// Python's re syntax as far as RE2 has it ((?P<name> included)
		re, err := regexp.Compile("(?i)" + p)
		if err != nil {
			cfg.redAll = true // fail closed: redact every value rather than none
			continue
		}
		cfg.red = append(cfg.red, re)
	}
}

var redCache sync.Map // name -> bool

func redacted(name string) bool {
	if cfg.redAll {
		return true
	}
	if len(cfg.red) == 0 {
		return false
	}
	if c, ok := redCache.Load(name); ok {
		return c.(bool)
	}
	r := false
	for _, re := range cfg.red {
		if re.MatchString(name) {
			r = true
			break
		}
	}
	redCache.Store(name, r)
	return r
}

// ---------------------------------------------------------------- start

var (
	traceFile *os.File
	pidText   []byte
	baseTime  time.Time // the monotonic origin
	baseUnix  int64     // ... its wall-clock nanoseconds
	dead      int32     // 1: at the size limit (atomic); records nothing more
	idCtr     uint64    // span ids count up from a random start (atomic)
	tracePfx  [16]byte  // the process's random trace id prefix, hex
	tidCtr    int64     // goroutine numbers (atomic)
)

func init() {
	path := os.Getenv("CTINJECT_TRACE_FILE")
	d := strings.ToLower(strings.TrimSpace(os.Getenv("CTINJECT_DISABLE")))
	if path == "" || d == "1" || d == "true" || d == "yes" || d == "on" {
		return
	}
	parseConfig(configJSON)
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = path
	}
	f, err := os.OpenFile(abs, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o666)
	if err != nil {
		if os.MkdirAll(filepath.Dir(abs), 0o777) == nil {
			f, err = os.OpenFile(abs, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o666)
		}
	}
	if err != nil {
		if os.Getenv("CTINJECT_TRACE_WARNED") == "" {
			_ = os.Setenv("CTINJECT_TRACE_WARNED", "1")
			_, _ = os.Stderr.WriteString("ctinject: cannot write the trace file " + abs +
				" (CTINJECT_TRACE_FILE); no telemetry is recorded\n")
		}
		return
	}
	traceFile = f
	pidText = strconv.AppendInt(nil, int64(os.Getpid()), 10)
	baseTime = time.Now()
	baseUnix = baseTime.UnixNano()
	var rb [16]byte
	if _, err := rand.Read(rb[:]); err != nil {
		binary.LittleEndian.PutUint64(rb[:8], uint64(baseUnix))
		binary.LittleEndian.PutUint64(rb[8:], uint64(os.Getpid())*0x9E3779B97F4A7C15)
	}
	hex16(tracePfx[:0], binary.LittleEndian.Uint64(rb[:8]))
	idCtr = binary.LittleEndian.Uint64(rb[8:]) >> 2 // room to count before a wrap
	panicWordOK = haveGPanic && checkPanicWord()
	On = true
}

// panicWordOK: gPanic reads g._panic, so a span whose goroutine has none
// ended by a return without a look at the stack (endHow).
var panicWordOK bool

// selfTestPanic: what checkPanicWord panics with (and recovers).
type selfTestPanic struct{}

// checkPanicWord tells whether gPanic reads g._panic in this Go version:
// 0 outside any panic, not 0 in a deferred call during a panic and during
// runtime.Goexit, 0 again once the panic is recovered. (The word's offset
// has not changed since Go 1.5; should a later Go move it, this fails and
// endHow walks the stack at every span end.) The next word, g._defer,
// follows the same pattern where every defer is open-coded, so a defer
// record is kept alive here (a defer in a loop is never open-coded): it
// sets g._defer, not g._panic.
func checkPanicWord() bool {
	for i := 0; i < 1; i++ {
		defer func() {}()
	}
	if gPanic() != 0 {
		return false
	}
	inPanic := func() (seen bool) {
		defer func() {
			seen = gPanic() != 0
			if _, ours := recover().(selfTestPanic); !ours {
				seen = false
			}
		}()
		panic(selfTestPanic{})
	}()
	inGoexit := make(chan bool)
	go func() {
		defer func() { inGoexit <- gPanic() != 0 }()
		runtime.Goexit()
	}()
	return inPanic && <-inGoexit && gPanic() == 0
}

func mono() int64 { return int64(time.Since(baseTime)) }

func isDead() bool { return atomic.LoadInt32(&dead) != 0 }

func nextID() uint64 {
	for {
		if id := atomic.AddUint64(&idCtr, 1); id != 0 {
			return id
		}
	}
}

const hexDigits = "0123456789abcdef"

func hex16(b []byte, x uint64) []byte {
	for i := 60; i >= 0; i -= 4 {
		b = append(b, hexDigits[(x>>uint(i))&15])
	}
	return b
}

// ---------------------------------------------------------------- writing

var (
	wmu      sync.Mutex
	written  int64 // bytes this process wrote
	checked  bool
	checkedW int64 // written at the last size check
	checkedT int64 // mono() at the last size check
	lastSize int64 // the size then
)

var bufPool = sync.Pool{New: func() interface{} { b := make([]byte, 0, 512); return &b }}

func getBuf() *[]byte { return bufPool.Get().(*[]byte) }

func putBuf(p *[]byte) {
	if cap(*p) <= 64<<10 {
		*p = (*p)[:0]
		bufPool.Put(p)
	}
}

// write writes whole lines with one write(2), after the size check.
func write(b []byte) {
	if len(b) == 0 {
		return
	}
	wmu.Lock()
	defer wmu.Unlock()
	if isDead() {
		return
	}
	if cfg.maxBytes > 0 {
		now := mono()
		est := lastSize + written - checkedW
		if !checked || written-checkedW >= 1<<20 || now-checkedT >= int64(time.Second) ||
			cfg.maxBytes-est <= 16<<20 {
			if fi, err := traceFile.Stat(); err == nil {
				checked, checkedW, checkedT, lastSize = true, written, now, fi.Size()
				if lastSize >= cfg.maxBytes {
					atomic.StoreInt32(&dead, 1)
					t := []byte(`{"v":1,"type":"truncated","lang":"go","time_unix_ns":`)
					t = strconv.AppendInt(t, baseUnix+now, 10)
					t = append(t, `,"limit_bytes":`...)
					t = strconv.AppendInt(t, cfg.maxBytes, 10)
					t = append(t, `,"pid":`...)
					t = append(t, pidText...)
					t = append(t, "}\n"...)
					_, _ = traceFile.Write(t)
					return
				}
			}
		}
	}
	n, _ := traceFile.Write(b)
	written += int64(n)
}

// ---------------------------------------------------------------- JSON text

// appendQ appends s as a JSON string literal in ASCII.
func appendQ(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c < 0x20 || c == 0x7f:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&15])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		if r > 0xffff {
			r -= 0x10000
			b = appendU(b, 0xd800+(r>>10))
			b = appendU(b, 0xdc00+(r&0x3ff))
		} else {
			b = appendU(b, r) // (an invalid byte is U+FFFD)
		}
	}
	return append(b, '"')
}

func appendU(b []byte, r rune) []byte {
	return append(b, '\\', 'u', hexDigits[(r>>12)&15], hexDigits[(r>>8)&15], hexDigits[(r>>4)&15], hexDigits[r&15])
}

// ---------------------------------------------------------------- goroutines

// The current span of each goroutine, by g pointer: a sharded map, the
// entry deleted when the goroutine's last span ends (a g is reused only
// after its goroutine ended).
type gshard struct {
	mu sync.Mutex
	m  map[uintptr]*Span
	_  [40]byte
}

var gtab [64]gshard

func shardOf(g uintptr) *gshard { return &gtab[(uint64(g)*0x9E3779B97F4A7C15)>>58] }

func current() *Span {
	g := getg()
	sh := shardOf(g)
	sh.mu.Lock()
	s := sh.m[g]
	sh.mu.Unlock()
	return s
}

// ---------------------------------------------------------------- functions and sites

type slowCall struct {
	d  int64
	js []byte
}

type fnKey struct {
	file, name string
	line       int
}

type fnInfo struct {
	file, name, module string
	line               int
	calls              int64 // atomic
	failed             int64 // atomic: failing calls over the cap written
	mu                 sync.Mutex
	omitted, omDur     int64
	omMax, omFailed    int64
	slow               []slowCall
}

var fns sync.Map // fnKey -> *fnInfo

func fnFor(file string, line int, name, module string) *fnInfo {
	k := fnKey{file, name, line}
	if f, ok := fns.Load(k); ok {
		return f.(*fnInfo)
	}
	f, _ := fns.LoadOrStore(k, &fnInfo{file: file, name: name, module: module, line: line})
	return f.(*fnInfo)
}

const (
	kVar = iota
	kBranch
	kLoop
	kExc
)

type siteKey struct {
	file string
	line int
	name string // var: the variable; loop: its kind
	arm  int
	kind int
}

type site struct {
	siteKey
	red      bool
	left     int64 // atomic: events the process may still write (-1: no limit)
	mu       sync.Mutex
	omitted  int64
	last     string           // var: the last omitted value
	iters    int64            // loop: omitted iterations
	most     int64            // loop: most iterations of an omitted run
	types    map[string]int64 // exception: omitted by type
	recorded int64            // atomic
}

var sites sync.Map // siteKey -> *site

func siteFor(k siteKey) *site {
	if s, ok := sites.Load(k); ok {
		return s.(*site)
	}
	left := cfg.maxProc
	if left == 0 {
		left = -1
	}
	ns := &site{siteKey: k, left: left}
	if k.kind == kVar {
		ns.red = redacted(k.name)
	}
	s, _ := sites.LoadOrStore(k, ns)
	return s.(*site)
}

// take: whether the process may write one more event of the site.
func (st *site) take() bool {
	for {
		l := atomic.LoadInt64(&st.left)
		if l < 0 {
			atomic.AddInt64(&st.recorded, 1)
			return true
		}
		if l == 0 {
			return false
		}
		if atomic.CompareAndSwapInt64(&st.left, l, l-1) {
			atomic.AddInt64(&st.recorded, 1)
			return true
		}
	}
}

func pow2(n int64) bool { return n > 0 && n&(n-1) == 0 }

// omit counts an event of the site not written (update fills in its
// figures, under the site's lock) and writes the site's summary when the
// count reaches a power of two.
func (st *site) omit(update func(st *site)) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.omitted++
	if update != nil {
		update(st)
	}
	if !pow2(st.omitted) {
		return
	}
	p := getBuf()
	b := *p
	b = append(b, `{"v":1,"type":"`...)
	b = append(b, [...]string{"vars", "branches", "loops", "exceptions"}[st.kind]...)
	b = append(b, `","lang":"go","time_unix_ns":`...)
	b = strconv.AppendInt(b, baseUnix+mono(), 10)
	b = append(b, `,"file":`...)
	b = appendQ(b, st.file)
	b = append(b, `,"line":`...)
	b = strconv.AppendInt(b, int64(st.line), 10)
	switch st.kind {
	case kVar:
		b = append(b, `,"name":`...)
		b = appendQ(b, st.name)
	case kBranch:
		b = append(b, `,"site":`...)
		b = strconv.AppendInt(b, int64(st.line), 10)
		b = append(b, `,"arm":`...)
		b = strconv.AppendInt(b, int64(st.arm), 10)
	case kLoop:
		b = append(b, `,"site":`...)
		b = strconv.AppendInt(b, int64(st.line), 10)
		b = append(b, `,"kind":`...)
		b = appendQ(b, st.name)
	}
	b = append(b, `,"recorded":`...)
	b = strconv.AppendInt(b, atomic.LoadInt64(&st.recorded), 10)
	b = append(b, `,"omitted":`...)
	b = strconv.AppendInt(b, st.omitted, 10)
	switch st.kind {
	case kVar:
		b = append(b, `,"last":`...)
		b = appendQ(b, st.last)
	case kLoop:
		b = append(b, `,"omitted_iterations":`...)
		b = strconv.AppendInt(b, st.iters, 10)
		b = append(b, `,"omitted_max_iterations":`...)
		b = strconv.AppendInt(b, st.most, 10)
	case kExc:
		b = append(b, `,"omitted_types":`...)
		b = appendCounts(b, st.types)
	}
	b = append(b, `,"pid":`...)
	b = append(b, pidText...)
	b = append(b, "}\n"...)
	write(b)
	*p = b
	putBuf(p)
}

func appendCounts(b []byte, m map[string]int64) []byte {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendQ(b, k)
		b = append(b, ':')
		b = strconv.AppendInt(b, m[k], 10)
	}
	return append(b, '}')
}

// ---------------------------------------------------------------- spans

// Span is a call's span, or (from P) a handle whose events go to the
// goroutine's current span. A nil *Span records nothing.
type Span struct {
	p      bool // a P handle
	file   string
	fn     *fnInfo
	id     uint64 // 0: the state of events outside any span
	root   uint64 // the trace's root span id
	parent uint64 // 0: none
	tid    int64
	g      uintptr
	prev   *Span  // the span current when this one started (same goroutine)
	t0     int64  // mono()
	quiet  bool   // over max_spans_per_function: written only if it fails
	args   []byte // `{"a":"1","b":"2"` (no closing brace), nil: none recorded

	mu     sync.Mutex // the counts below (events may come from other goroutines)
	site1  *site
	n1     int32
	counts map[*site]int32
	over   bool
	loops  []loopCount
}

type loopCount struct {
	file string
	site int
	kind string
	n    int64
}

// rootState: events outside any span (null ids, tid 0).
var rootState = &Span{}

var handles sync.Map // file -> *Span (P handles)

// S opens the span of a function; nil when telemetry is off.
func S(file string, line int, name, module string) *Span {
	if !On {
		return nil
	}
	return open(nil, file, line, name, module)
}

// SL opens the span of a function literal; parent (the lexically enclosing
// function's span, may be nil) is its parent when the goroutine has no
// current span.
func SL(parent *Span, file string, line int, name, module string) *Span {
	if !On {
		return nil
	}
	return open(parent, file, line, name, module)
}

// P is the handle of point events in a function without a span of its own:
// nil when telemetry is off; its events go to the goroutine's current span.
func P(file string) *Span {
	if !On {
		return nil
	}
	return handle(file)
}

func handle(file string) *Span {
	if isDead() {
		return nil
	}
	if h, ok := handles.Load(file); ok {
		return h.(*Span)
	}
	h, _ := handles.LoadOrStore(file, &Span{p: true, file: file})
	return h.(*Span)
}

func open(hint *Span, file string, line int, name, module string) *Span {
	if isDead() {
		return nil
	}
	fn := fnFor(file, line, name, module)
	s := &Span{file: file, fn: fn, id: nextID()}
	if n := atomic.AddInt64(&fn.calls, 1); cfg.maxCalls != 0 && n > cfg.maxCalls {
		s.quiet = true
	}
	g := getg()
	s.g = g
	sh := shardOf(g)
	sh.mu.Lock()
	cur := sh.m[g]
	if sh.m == nil {
		sh.m = make(map[uintptr]*Span)
	}
	sh.m[g] = s
	sh.mu.Unlock()
	s.prev = cur
	parent := cur
	if parent == nil && hint != nil && !hint.p && hint.id != 0 {
		parent = hint
	}
	if parent != nil {
		s.parent = parent.id
		s.root = parent.root
	} else {
		s.root = s.id
	}
	if cur != nil {
		s.tid = cur.tid
	} else {
		s.tid = atomic.AddInt64(&tidCtr, 1)
	}
	s.t0 = mono()
	return s
}

// pop takes s off its goroutine's stack of spans.
func pop(s *Span) {
	sh := shardOf(s.g)
	sh.mu.Lock()
	top := sh.m[s.g]
	if top == s {
		top = s.prev
	} else {
		for x := top; x != nil; x = x.prev {
			if x == s {
				top = s.prev // (spans above it were left: drop them)
				break
			}
		}
	}
	if top == nil {
		delete(sh.m, s.g)
	} else {
		sh.m[s.g] = top
	}
	sh.mu.Unlock()
}

// target: where the events of handle s go.
func (s *Span) target() *Span {
	if !s.p {
		return s
	}
	if c := current(); c != nil {
		return c
	}
	return rootState
}

// A records the argument `name` of the span's call: the value p points to,
// formatted in place before A returns (see Values). The planner inserts
// one call per argument, `if _ct_s != nil { _ct.A(_ct_s, "a", &a) }`. A
// call over max_spans_per_function records no argument (its args are null
// if it is written).
func A[T any](s *Span, name string, p *T) {
	if s == nil || s.p || s.fn == nil || s.quiet {
		return
	}
	s.arg(name, reflect.TypeOf((*T)(nil)).Elem(), unsafe.Pointer(p))
}

// arg: A's work, for a value of type t at p (alive until arg returns).
func (s *Span) arg(name string, t reflect.Type, p unsafe.Pointer) {
	b := s.args
	if b == nil {
		b = append(b, '{')
	} else {
		b = append(b, ',')
	}
	b = appendQ(b, name)
	b = append(b, ':')
	if redacted(name) {
		b = append(b, `"[REDACTED]"`...)
	} else {
		b = appendQ(b, formatAt(t, p))
	}
	s.args = b
}

// E0 ... E8 end the span of a function with 0 ... 8 results. The planner
// defers a direct call, `defer _ct.E2(_ct_s, &q, &err)`, with a pointer to
// each result (a typed nil for a blank result `_`): the results are read
// through the pointers when the deferred call runs, after every user
// defer, and formatted in place before it returns (the function's frame is
// alive then). With a nil span they return at once (no allocation). The
// pointers are never stored, so the function's result variables stay
// where they were. How the function ended is read from who ran the
// deferred call (endHow): never recover(), never a re-panic.
func E0(s *Span) {
	if s == nil {
		return
	}
	s.end(nil, nil)
}

// E1 ends the span of a function with one result (see E0).
func E1[A any](s *Span, a *A) {
	if s == nil {
		return
	}
	ts := [...]reflect.Type{typeOf(a)}
	ps := [...]unsafe.Pointer{unsafe.Pointer(a)}
	s.end(ts[:], ps[:])
}

// E2 ends the span of a function with two results (see E0).
func E2[A, B any](s *Span, a *A, b *B) {
	if s == nil {
		return
	}
	ts := [...]reflect.Type{typeOf(a), typeOf(b)}
	ps := [...]unsafe.Pointer{unsafe.Pointer(a), unsafe.Pointer(b)}
	s.end(ts[:], ps[:])
}

// E3 ends the span of a function with three results (see E0).
func E3[A, B, C any](s *Span, a *A, b *B, c *C) {
	if s == nil {
		return
	}
	ts := [...]reflect.Type{typeOf(a), typeOf(b), typeOf(c)}
	ps := [...]unsafe.Pointer{unsafe.Pointer(a), unsafe.Pointer(b), unsafe.Pointer(c)}
	s.end(ts[:], ps[:])
}

// E4 ends the span of a function with four results (see E0).
func E4[A, B, C, D any](s *Span, a *A, b *B, c *C, d *D) {
	if s == nil {
		return
	}
	ts := [...]reflect.Type{typeOf(a), typeOf(b), typeOf(c), typeOf(d)}
	ps := [...]unsafe.Pointer{unsafe.Pointer(a), unsafe.Pointer(b), unsafe.Pointer(c), unsafe.Pointer(d)}
	s.end(ts[:], ps[:])
}

// E5 ends the span of a function with five results (see E0).
func E5[A, B, C, D, E any](s *Span, a *A, b *B, c *C, d *D, e *E) {
	if s == nil {
		return
	}
	ts := [...]reflect.Type{typeOf(a), typeOf(b), typeOf(c), typeOf(d), typeOf(e)}
	ps := [...]unsafe.Pointer{unsafe.Pointer(a), unsafe.Pointer(b), unsafe.Pointer(c), unsafe.Pointer(d), unsafe.Pointer(e)}
	s.end(ts[:], ps[:])
}

// E6 ends the span of a function with six results (see E0).
func E6[A, B, C, D, E, F any](s *Span, a *A, b *B, c *C, d *D, e *E, f *F) {
	if s == nil {
		return
	}
	ts := [...]reflect.Type{typeOf(a), typeOf(b), typeOf(c), typeOf(d), typeOf(e), typeOf(f)}
	ps := [...]unsafe.Pointer{unsafe.Pointer(a), unsafe.Pointer(b), unsafe.Pointer(c), unsafe.Pointer(d), unsafe.Pointer(e), unsafe.Pointer(f)}
	s.end(ts[:], ps[:])
}

// E7 ends the span of a function with seven results (see E0).
func E7[A, B, C, D, E, F, G any](s *Span, a *A, b *B, c *C, d *D, e *E, f *F, g *G) {
	if s == nil {
		return
	}
	ts := [...]reflect.Type{typeOf(a), typeOf(b), typeOf(c), typeOf(d), typeOf(e), typeOf(f), typeOf(g)}
	ps := [...]unsafe.Pointer{unsafe.Pointer(a), unsafe.Pointer(b), unsafe.Pointer(c), unsafe.Pointer(d), unsafe.Pointer(e), unsafe.Pointer(f), unsafe.Pointer(g)}
	s.end(ts[:], ps[:])
}

// E8 ends the span of a function with eight results (see E0).
func E8[A, B, C, D, E, F, G, H any](s *Span, a *A, b *B, c *C, d *D, e *E, f *F, g *G, h *H) {
	if s == nil {
		return
	}
	ts := [...]reflect.Type{typeOf(a), typeOf(b), typeOf(c), typeOf(d), typeOf(e), typeOf(f), typeOf(g), typeOf(h)}
	ps := [...]unsafe.Pointer{unsafe.Pointer(a), unsafe.Pointer(b), unsafe.Pointer(c), unsafe.Pointer(d), unsafe.Pointer(e), unsafe.Pointer(f), unsafe.Pointer(g), unsafe.Pointer(h)}
	s.end(ts[:], ps[:])
}

// The results go to end as their types and their addresses apart: escape analysis does not tell a struct's fields
// apart, and the types are kept (they never point into a stack) while the
// addresses must not be. A blank result `_` has a nil type and address,
// and is formatted as _.
func typeOf[A any](a *A) reflect.Type {
	if a == nil {
		return nil
	}
	return reflect.TypeOf((*A)(nil)).Elem()
}

// end: what E0 ... E8 share. Not inlined: endHow counts the frames above it.
//
//go:noinline
func (s *Span) end(ts []reflect.Type, ps []unsafe.Pointer) {
	if s.p || s.fn == nil {
		return
	}
	how := endHow()
	t1 := mono()
	pop(s)
	if isDead() {
		return
	}
	finish(s, how, ts, ps, t1)
}

const (
	endReturn = iota
	endGoexit
	endPanic
)

// endHow: how the function whose deferred E<n> call is running ended.
// Frames: 0 runtime.Callers, 1 endHow, 2 Span.end, 3 E<n>, 4 whoever ran
// E<n> (the compiler's wrapper of a deferred call with arguments is a
// wrapper function, left out of runtime.Callers). Frame 4 is the function
// itself (an open-coded defer run at its return) or runtime.deferreturn for
// a return. Otherwise the defer machinery runs it: the consecutive runtime
// frames from frame 4 up lead to runtime.gopanic for a panic or to
// runtime.Goexit for Goexit; meeting a frame outside the runtime first (or
// runtime.deferreturn, or the end) is a return. Only the runtime frames
// right above the call are read: a function that returns normally while it
// runs (itself or deeper) inside a deferred call during some other panic
// higher up the stack ended normally.
//
//go:noinline
func endHow() int {
	if panicWordOK && gPanic() == 0 {
		return endReturn // neither panicking nor in Goexit
	}
	var pc [1]uintptr
	if runtime.Callers(4, pc[:]) == 0 {
		return endReturn
	}
	// the common case without the cost of CallersFrames: frame 4 outside
	// the runtime (FuncForPC names the innermost function at a pc, and the
	// deferred call is never inside an inlined body of the function)
	if f := runtime.FuncForPC(pc[0] - 1); f != nil && !strings.HasPrefix(f.Name(), "runtime.") {
		return endReturn
	}
	return endHowWalk()
}

// endHowWalk: endHow's walk through the runtime frames, one frame further
// (its own): frame 5 is whoever ran E<n>. (Apart from endHow, whose array
// stays on the stack: CallersFrames keeps the slice.)
//
//go:noinline
func endHowWalk() int {
	var pcs [32]uintptr
	n := runtime.Callers(5, pcs[:])
	if n == 0 {
		return endReturn
	}
	frames := runtime.CallersFrames(pcs[:n])
	for {
		f, more := frames.Next()
		switch {
		case f.Function == "runtime.Goexit":
			return endGoexit
		case f.Function == "runtime.gopanic":
			return endPanic
		case f.Function == "runtime.deferreturn", !strings.HasPrefix(f.Function, "runtime."):
			return endReturn
		}
		if !more {
			return endReturn
		}
	}
}

func formatResults(ts []reflect.Type, ps []unsafe.Pointer) string {
	var b []byte
	if len(ts) > 1 {
		b = append(b, '(')
	}
	for i, t := range ts {
		if i > 0 {
			b = append(b, ", "...)
		}
		if t == nil {
			b = append(b, '_')
		} else {
			b = append(b, formatAt(t, ps[i])...)
		}
		if len(b) > cfg.cap {
			break
		}
	}
	if len(ts) > 1 {
		b = append(b, ')')
	}
	return capStr(string(b), cfg.cap)
}

func appendReturn(b []byte, how int, ts []reflect.Type, ps []unsafe.Pointer) []byte {
	if how != endReturn || len(ts) == 0 {
		return append(b, "null"...)
	}
	return appendQ(b, formatResults(ts, ps))
}

func finish(s *Span, how int, ts []reflect.Type, ps []unsafe.Pointer, t1 int64) {
	fn := s.fn
	failed := how == endPanic
	if s.quiet {
		if !failed || atomic.AddInt64(&fn.failed, 1) > cfg.maxFail {
			omitCall(s, how, ts, ps, t1)
			return
		}
	}
	p := getBuf()
	b := *p
	s.mu.Lock()
	loops := s.loops
	s.loops = nil
	sup := s.over
	s.mu.Unlock()
	for _, l := range loops {
		b = loopEvent(b, s, l, t1)
	}
	b = append(b, `{"v":1,"type":"span","lang":"go","trace_id":"`...)
	b = append(b, tracePfx[:]...)
	b = hex16(b, s.root)
	b = append(b, `","span_id":"`...)
	b = hex16(b, s.id)
	if s.parent == 0 {
		b = append(b, `","parent_id":null`...)
	} else {
		b = append(b, `","parent_id":"`...)
		b = hex16(b, s.parent)
		b = append(b, '"')
	}
	b = append(b, `,"name":`...)
	b = appendQ(b, fn.name)
	b = append(b, `,"module":`...)
	b = appendQ(b, fn.module)
	b = append(b, `,"file":`...)
	b = appendQ(b, fn.file)
	b = append(b, `,"line":`...)
	b = strconv.AppendInt(b, int64(fn.line), 10)
	b = append(b, `,"kind":"function","start_unix_ns":`...)
	b = strconv.AppendInt(b, baseUnix+s.t0, 10)
	b = append(b, `,"duration_ns":`...)
	b = strconv.AppendInt(b, t1-s.t0, 10)
	b = append(b, `,"args":`...)
	switch {
	case s.quiet:
		b = append(b, "null"...) // (over max_spans_per_function: none recorded)
	case s.args == nil:
		b = append(b, "{}"...)
	default:
		b = append(b, s.args...)
		b = append(b, '}')
	}
	b = append(b, `,"return":`...)
	b = appendReturn(b, how, ts, ps)
	if failed {
		b = append(b, `,"status":"error","exception":{"type":"panic","message":null}`...)
	} else {
		b = append(b, `,"status":"ok","exception":null`...)
	}
	b = append(b, `,"pid":`...)
	b = append(b, pidText...)
	b = append(b, `,"tid":`...)
	b = strconv.AppendInt(b, s.tid, 10)
	if sup {
		b = appendSuppressed(b, s)
	}
	if how == endGoexit {
		b = append(b, `,"goexit":true`...)
	}
	b = append(b, "}\n"...)
	write(b)
	*p = b
	putBuf(p)
}

func appendSuppressed(b []byte, s *Span) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	type entry struct {
		st *site
		n  int32
	}
	var es []entry
	if s.site1 != nil && s.n1 > cfg.maxSite {
		es = append(es, entry{s.site1, s.n1 - cfg.maxSite})
	}
	for st, n := range s.counts {
		if n > cfg.maxSite {
			es = append(es, entry{st, n - cfg.maxSite})
		}
	}
	if len(es) == 0 {
		return b
	}
	sort.Slice(es, func(i, j int) bool {
		a, c := es[i].st, es[j].st
		if a.line != c.line {
			return a.line < c.line
		}
		if a.kind != c.kind {
			return a.kind < c.kind
		}
		if a.name != c.name {
			return a.name < c.name
		}
		return a.arm < c.arm
	})
	b = append(b, `,"suppressed":[`...)
	for i, e := range es {
		if i > 0 {
			b = append(b, ',')
		}
		if e.st.kind == kVar {
			b = append(b, `{"type":"var","file":`...)
			b = appendQ(b, e.st.file)
			b = append(b, `,"line":`...)
			b = strconv.AppendInt(b, int64(e.st.line), 10)
			b = append(b, `,"name":`...)
			b = appendQ(b, e.st.name)
		} else {
			b = append(b, `{"type":"branch","file":`...)
			b = appendQ(b, e.st.file)
			b = append(b, `,"site":`...)
			b = strconv.AppendInt(b, int64(e.st.line), 10)
			b = append(b, `,"arm":`...)
			b = strconv.AppendInt(b, int64(e.st.arm), 10)
		}
		b = append(b, `,"count":`...)
		b = strconv.AppendInt(b, int64(e.n), 10)
		b = append(b, '}')
	}
	return append(b, ']')
}

// omitCall counts a call over max_spans_per_function that is not written.
func omitCall(s *Span, how int, ts []reflect.Type, ps []unsafe.Pointer, t1 int64) {
	fn := s.fn
	d := t1 - s.t0
	fn.mu.Lock()
	defer fn.mu.Unlock()
	fn.omitted++
	fn.omDur += d
	if d > fn.omMax {
		fn.omMax = d
	}
	if how == endPanic {
		fn.omFailed++
	}
	if n := cfg.slowest; n > 0 && (len(fn.slow) < n || d > fn.slow[len(fn.slow)-1].d) {
		var js []byte
		js = append(js, `{"span_id":"`...)
		js = hex16(js, s.id)
		js = append(js, `","start_unix_ns":`...)
		js = strconv.AppendInt(js, baseUnix+s.t0, 10)
		js = append(js, `,"duration_ns":`...)
		js = strconv.AppendInt(js, d, 10)
		js = append(js, `,"args":null`...) // (not recorded over the cap)
		js = append(js, `,"return":`...)
		js = appendReturn(js, how, ts, ps)
		if how == endPanic {
			js = append(js, `,"exception":{"type":"panic","message":null}}`...)
		} else {
			js = append(js, `,"exception":null}`...)
		}
		i := len(fn.slow)
		for i > 0 && fn.slow[i-1].d < d {
			i--
		}
		fn.slow = append(fn.slow, slowCall{})
		copy(fn.slow[i+1:], fn.slow[i:])
		fn.slow[i] = slowCall{d, js}
		if len(fn.slow) > n {
			fn.slow = fn.slow[:n]
		}
	}
	if !pow2(fn.omitted) {
		return
	}
	b := []byte(`{"v":1,"type":"calls","lang":"go","time_unix_ns":`)
	b = strconv.AppendInt(b, baseUnix+mono(), 10)
	b = append(b, `,"name":`...)
	b = appendQ(b, fn.name)
	b = append(b, `,"module":`...)
	b = appendQ(b, fn.module)
	b = append(b, `,"file":`...)
	b = appendQ(b, fn.file)
	b = append(b, `,"line":`...)
	b = strconv.AppendInt(b, int64(fn.line), 10)
	b = append(b, `,"kind":"function","recorded":`...)
	b = strconv.AppendInt(b, atomic.LoadInt64(&fn.calls)-fn.omitted, 10)
	b = append(b, `,"omitted":`...)
	b = strconv.AppendInt(b, fn.omitted, 10)
	b = append(b, `,"omitted_duration_ns":`...)
	b = strconv.AppendInt(b, fn.omDur, 10)
	b = append(b, `,"omitted_max_duration_ns":`...)
	b = strconv.AppendInt(b, fn.omMax, 10)
	b = append(b, `,"omitted_failed":`...)
	b = strconv.AppendInt(b, fn.omFailed, 10)
	b = append(b, `,"omitted_exceptions":{`...)
	if fn.omFailed > 0 {
		b = append(b, `"panic":`...)
		b = strconv.AppendInt(b, fn.omFailed, 10)
	}
	b = append(b, `},"slowest":[`...)
	for i, sc := range fn.slow {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, sc.js...)
	}
	b = append(b, `],"pid":`...)
	b = append(b, pidText...)
	b = append(b, "}\n"...)
	write(b)
}

// ---------------------------------------------------------------- point events

// count: one more event of st in span t; whether it is within the span's cap.
func (t *Span) count(st *site) bool {
	t.mu.Lock()
	var n int32
	if t.site1 == st {
		t.n1++
		n = t.n1
	} else if t.site1 == nil {
		t.site1, t.n1, n = st, 1, 1
	} else {
		if t.counts == nil {
			t.counts = make(map[*site]int32)
		}
		n = t.counts[st] + 1
		t.counts[st] = n
	}
	ok := n <= cfg.maxSite
	if !ok {
		t.over = true
	}
	t.mu.Unlock()
	return ok
}

// head: a point event's keys up to "file"'s value.
func head(b []byte, typ string, t *Span, file string, line int) []byte {
	b = append(b, `{"v":1,"type":"`...)
	b = append(b, typ...)
	b = append(b, `","lang":"go","time_unix_ns":`...)
	b = strconv.AppendInt(b, baseUnix+mono(), 10)
	b = appendIDs(b, t)
	b = append(b, `,"file":`...)
	b = appendQ(b, file)
	b = append(b, `,"line":`...)
	return strconv.AppendInt(b, int64(line), 10)
}

func appendIDs(b []byte, t *Span) []byte {
	if t.id == 0 {
		return append(b, `,"trace_id":null,"span_id":null`...)
	}
	b = append(b, `,"trace_id":"`...)
	b = append(b, tracePfx[:]...)
	b = hex16(b, t.root)
	b = append(b, `","span_id":"`...)
	b = hex16(b, t.id)
	return append(b, '"')
}

func tail(b []byte, t *Span) []byte {
	b = append(b, `,"pid":`...)
	b = append(b, pidText...)
	b = append(b, `,"tid":`...)
	b = strconv.AppendInt(b, t.tid, 10)
	return append(b, "}\n"...)
}

// V records the variable `name` assigned at line: the value p points to,
// formatted in place before V returns (see Values); one var event. The
// planner inserts one call per variable, `if _ct_s != nil { _ct.V(_ct_s,
// 12, "x", &x); _ct.V(_ct_s, 12, "err", &err) }`.
func V[T any](s *Span, line int, name string, p *T) {
	if s == nil {
		return
	}
	s.varAt(line, name, reflect.TypeOf((*T)(nil)).Elem(), unsafe.Pointer(p))
}

// varAt: V's work, for a value of type typ at p (alive until it returns).
func (s *Span) varAt(line int, name string, typ reflect.Type, p unsafe.Pointer) {
	if isDead() {
		return
	}
	t := s.target()
	if t.quiet {
		return
	}
	file := s.file
	st := siteFor(siteKey{file: file, line: line, name: name, kind: kVar})
	if !t.count(st) {
		return
	}
	val := "[REDACTED]"
	if !st.take() {
		if !st.red {
			val = formatAt(typ, p)
		}
		st.omit(func(st *site) { st.last = val })
		return
	}
	if !st.red {
		val = formatAt(typ, p)
	}
	b := getBuf()
	*b = varEvent(*b, t, file, line, name, val)
	write(*b)
	putBuf(b)
}

func varEvent(b []byte, t *Span, file string, line int, name, val string) []byte {
	b = head(b, "var", t, file, line)
	b = append(b, `,"name":`...)
	b = appendQ(b, name)
	b = append(b, `,"value":`...)
	b = appendQ(b, val)
	return tail(b, t)
}

// B records that arm `arm` of the branch point at line `site` was taken.
func (s *Span) B(site, arm int) {
	if s == nil {
		return
	}
	s.branch(site, arm)
}

func (s *Span) branch(line, arm int) {
	if isDead() {
		return
	}
	t := s.target()
	if t.quiet {
		return
	}
	st := siteFor(siteKey{file: s.file, line: line, arm: arm, kind: kBranch})
	if !t.count(st) {
		return
	}
	if !st.take() {
		st.omit(nil)
		return
	}
	p := getBuf()
	b := head(*p, "branch", t, s.file, line)
	b = append(b, `,"site":`...)
	b = strconv.AppendInt(b, int64(line), 10)
	b = append(b, `,"arm":`...)
	b = strconv.AppendInt(b, int64(arm), 10)
	b = tail(b, t)
	write(b)
	*p = b
	putBuf(p)
}

// L counts one iteration of the loop at line `site` (kind: for, while,
// forever, range); one loop event per span and loop is written when the
// span ends.
func (s *Span) L(site int, kind string) {
	if s == nil {
		return
	}
	s.loop(site, kind)
}

func (s *Span) loop(site int, kind string) {
	t := s.target()
	if t.quiet || t.id == 0 {
		return
	}
	t.mu.Lock()
	for i := range t.loops {
		l := &t.loops[i]
		if l.site == site && l.file == s.file {
			l.n++
			t.mu.Unlock()
			return
		}
	}
	t.loops = append(t.loops, loopCount{s.file, site, kind, 1})
	t.mu.Unlock()
}

func loopEvent(b []byte, t *Span, l loopCount, t1 int64) []byte {
	st := siteFor(siteKey{file: l.file, line: l.site, name: l.kind, kind: kLoop})
	if !st.take() {
		n := l.n
		st.omit(func(st *site) {
			st.iters += n
			if n > st.most {
				st.most = n
			}
		})
		return b
	}
	b = head(b, "loop", t, l.file, l.site)
	b = append(b, `,"site":`...)
	b = strconv.AppendInt(b, int64(l.site), 10)
	b = append(b, `,"kind":`...)
	b = appendQ(b, l.kind)
	b = append(b, `,"iterations":`...)
	b = strconv.AppendInt(b, l.n, 10)
	b = append(b, `,"target":null,"last":null`...)
	return tail(b, t)
}

// Rec wraps a recover() call, `_ct.Rec(_ct_s, 12, recover())`: it records
// an exception event when v is not nil and returns v unchanged.
func Rec(s *Span, line int, v interface{}) interface{} {
	if v == nil || s == nil || isDead() {
		return v
	}
	t := s.target()
	if t.quiet {
		return v
	}
	typ := reflect.TypeOf(v).String()
	st := siteFor(siteKey{file: s.file, line: line, kind: kExc})
	if !st.take() {
		st.omit(func(st *site) {
			if st.types == nil {
				st.types = make(map[string]int64)
			}
			st.types[typ]++
		})
		return v
	}
	var msg string
	if rv := reflect.ValueOf(v); rv.Kind() == reflect.String {
		msg = capStr(rv.String(), cfg.cap)
	} else {
		msg = formatValue(v)
	}
	p := getBuf()
	b := head(*p, "exception", t, s.file, line)
	b = append(b, `,"exception":{"type":`...)
	b = appendQ(b, typ)
	b = append(b, `,"message":`...)
	b = appendQ(b, msg)
	b = append(b, '}')
	b = tail(b, t)
	write(b)
	*p = b
	putBuf(p)
	return v
}

// ---------------------------------------------------------------- values

const maxDepth = 6

var bytesType = reflect.TypeOf([]byte(nil))

// capStr cuts s to cap characters (bytes, on a rune boundary), ending with "...".
func capStr(s string, c int) string {
	if len(s) <= c {
		return s
	}
	if c <= 3 {
		return s[:c]
	}
	i := c - 3
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "..."
}

type formatter struct {
	b     []byte
	limit int
}

// formatValue formats an interface value (Rec's recovered value).
func formatValue(v interface{}) string {
	return formatAt(emptyIface, unsafe.Pointer(&v))
}

var emptyIface = reflect.TypeOf((*interface{})(nil)).Elem()

// formatAt formats the value of type t at p in place, with reflect only (no
// method of the value is called, nothing of it is copied into an
// interface). p may point into a goroutine stack (the caller's frame): the
// reflect.Values made from it are only ever held in the formatter's own
// stack frames (parameters and locals that do not escape), which the
// runtime adjusts when the stack grows during the walk. Every Value the
// walk handles is addressable, so its memory is read through
// UnsafeAddr, whose result (a uintptr) carries no flow for escape analysis
// either; reflect's Len, String, Type, Bytes and MapKeys are not used on
// them (escape analysis is field-insensitive: through the Value's type
// word they count as leaking the whole Value). Types are passed along
// beside the Values (a reflect.Type never points into a stack).
func formatAt(t reflect.Type, p unsafe.Pointer) string {
	f := formatter{limit: cfg.cap + 1}
	f.val(reflect.NewAt(t, p).Elem(), t, 0)
	return capStr(string(f.b), cfg.cap)
}

func (f *formatter) full() bool { return len(f.b) > f.limit }

func (f *formatter) typ(t reflect.Type) { f.b = append(f.b, t.String()...) }

func (f *formatter) addr(t reflect.Type, p uintptr, isNil bool) {
	f.b = append(f.b, '(')
	f.typ(t)
	f.b = append(f.b, ")("...)
	if isNil {
		f.b = append(f.b, "nil"...)
	} else {
		f.b = append(f.b, "0x"...)
		f.b = strconv.AppendUint(f.b, uint64(p), 16)
	}
	f.b = append(f.b, ')')
}

func (f *formatter) str(s string) {
	room := f.limit - len(f.b)
	if room < 0 {
		room = 0
	}
	if len(s) > room {
		i := room
		for i > 0 && !utf8.RuneStart(s[i]) {
			i--
		}
		s = s[:i]
	}
	f.b = strconv.AppendQuote(f.b, s)
}

// directIface: whether an interface holding a t holds the value itself in
// its data word (else a pointer to it), the compiler's rule.
func directIface(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Ptr, reflect.Chan, reflect.Map, reflect.Func, reflect.UnsafePointer:
		return true
	case reflect.Array:
		return t.Len() == 1 && directIface(t.Elem())
	case reflect.Struct:
		return t.NumField() == 1 && directIface(t.Field(0).Type)
	}
	return false
}

// val formats v, an addressable value of type t.
func (f *formatter) val(v reflect.Value, t reflect.Type, depth int) {
	if f.full() {
		return
	}
	switch t.Kind() {
	case reflect.Bool:
		f.b = strconv.AppendBool(f.b, v.Bool())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		f.b = strconv.AppendInt(f.b, v.Int(), 10)
	case reflect.Uintptr:
		f.b = append(f.b, "0x"...)
		f.b = strconv.AppendUint(f.b, v.Uint(), 16)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		f.b = strconv.AppendUint(f.b, v.Uint(), 10)
	case reflect.Float32:
		f.b = strconv.AppendFloat(f.b, v.Float(), 'g', -1, 32)
	case reflect.Float64:
		f.b = strconv.AppendFloat(f.b, v.Float(), 'g', -1, 64)
	case reflect.Complex64:
		f.b = append(f.b, strconv.FormatComplex(v.Complex(), 'g', -1, 64)...)
	case reflect.Complex128:
		f.b = append(f.b, strconv.FormatComplex(v.Complex(), 'g', -1, 128)...)
	case reflect.String:
		f.str(*(*string)(unsafe.Pointer(v.UnsafeAddr())))
	case reflect.Interface:
		f.iface(v, t, depth)
	case reflect.Ptr:
		if v.IsNil() {
			f.addr(t, 0, true)
			return
		}
		switch t.Elem().Kind() {
		case reflect.Struct, reflect.Array, reflect.Slice, reflect.Map:
			if depth <= 1 {
				f.b = append(f.b, '&')
				f.val(v.Elem(), t.Elem(), depth+1)
				return
			}
		}
		f.addr(t, v.Pointer(), false)
	case reflect.Func, reflect.Chan, reflect.UnsafePointer:
		f.addr(t, v.Pointer(), v.IsNil())
	case reflect.Slice:
		if v.IsNil() {
			f.b = append(f.b, '(')
			f.typ(t)
			f.b = append(f.b, ")(nil)"...)
			return
		}
		if et := t.Elem(); et.Kind() == reflect.Uint8 && et.PkgPath() == "" {
			if t == bytesType {
				f.b = append(f.b, "[]byte"...)
			} else {
				f.typ(t)
			}
			f.b = append(f.b, '(')
			bs := *(*[]byte)(unsafe.Pointer(v.UnsafeAddr()))
			if room := f.limit - len(f.b); len(bs) > room {
				if room < 0 {
					room = 0
				}
				bs = bs[:room]
			}
			f.b = strconv.AppendQuote(f.b, string(bs))
			f.b = append(f.b, ')')
			return
		}
		f.list(v, t, len(*(*[]struct{})(unsafe.Pointer(v.UnsafeAddr()))), depth)
	case reflect.Array:
		f.list(v, t, t.Len(), depth)
	case reflect.Map:
		if v.IsNil() {
			f.b = append(f.b, '(')
			f.typ(t)
			f.b = append(f.b, ")(nil)"...)
			return
		}
		f.mapv(v, t, depth)
	case reflect.Struct:
		f.typ(t)
		if depth >= maxDepth {
			f.b = append(f.b, "{...}"...)
			return
		}
		f.b = append(f.b, '{')
		n := t.NumField()
		for i := 0; i < n; i++ {
			if f.full() {
				return
			}
			if i > 0 {
				f.b = append(f.b, ", "...)
			}
			sf := t.Field(i)
			f.b = append(f.b, sf.Name...)
			f.b = append(f.b, ':')
			if redacted(sf.Name) {
				f.b = append(f.b, `"[REDACTED]"`...)
			} else {
				f.val(v.Field(i), sf.Type, depth+1)
			}
		}
		f.b = append(f.b, '}')
	default:
		f.typ(t)
	}
}

// iface formats the interface value v (addressable, of interface type t):
// its two words are read at its address; the dynamic value is formatted
// where it is (in the data word itself for a pointer-shaped type, else
// where the data word points).
func (f *formatter) iface(v reflect.Value, t reflect.Type, depth int) {
	w := (*[2]unsafe.Pointer)(unsafe.Pointer(v.UnsafeAddr()))
	if w[0] == nil {
		f.b = append(f.b, "nil"...)
		return
	}
	// the dynamic type, from a Value made from the interface's address
	// (not from v: Type counts as leaking its Value; this one holds an
	// address escape analysis does not trace to v, and the Type it gives
	// never points into a stack)
	dt := reflect.NewAt(t, unsafe.Pointer(w)).Elem().Elem().Type()
	p := w[1]
	if directIface(dt) {
		p = unsafe.Pointer(&w[1])
	}
	f.val(reflect.NewAt(dt, p).Elem(), dt, depth)
}

func (f *formatter) list(v reflect.Value, t reflect.Type, n, depth int) {
	f.typ(t)
	if depth >= maxDepth {
		f.b = append(f.b, "{...}"...)
		return
	}
	f.b = append(f.b, '{')
	et := t.Elem()
	for i := 0; i < n; i++ {
		if f.full() {
			return
		}
		if i > 0 {
			f.b = append(f.b, ", "...)
		}
		f.val(v.Index(i), et, depth+1)
	}
	f.b = append(f.b, '}')
}

// mapEntry: a map entry, copied (reflect copies keys and values out of a
// map into new heap memory, which nothing on a stack is: a map's contents
// always escape), addressable.
type mapEntry struct {
	k, v reflect.Value
	ks   string
}

func (f *formatter) mapv(v reflect.Value, t reflect.Type, depth int) {
	f.typ(t)
	if depth >= maxDepth {
		f.b = append(f.b, "{...}"...)
		return
	}
	f.b = append(f.b, '{')
	kt, vt := t.Key(), t.Elem()
	// The map's header may be on a stack (a map that does not escape); its
	// iterator is a local here, and the map Value given to it is made from
	// the field's address, so that escape analysis traces nothing from v
	// into it (MapIter.Reset counts as leaking its Value).
	var it reflect.MapIter
	it.Reset(reflect.NewAt(t, unsafe.Pointer(v.UnsafeAddr())).Elem())
	var es []mapEntry
	max := 4096 // (a larger map: the first entries met, unsorted)
	if n := f.limit; n < max {
		max = n
	}
	for it.Next() && len(es) < max {
		k := reflect.New(kt).Elem()
		k.SetIterKey(&it)
		x := reflect.New(vt).Elem()
		x.SetIterValue(&it)
		es = append(es, mapEntry{k: k, v: x})
	}
	it.Reset(reflect.Value{})
	sortEntries(es, kt)
	strKeys := kt.Kind() == reflect.String
	for i := range es {
		if f.full() {
			return
		}
		if i > 0 {
			f.b = append(f.b, ", "...)
		}
		f.val(es[i].k, kt, depth+1)
		f.b = append(f.b, ':')
		if strKeys && redacted(es[i].k.String()) {
			f.b = append(f.b, `"[REDACTED]"`...)
		} else {
			f.val(es[i].v, vt, depth+1)
		}
	}
	f.b = append(f.b, '}')
}

func sortEntries(es []mapEntry, kt reflect.Type) {
	if len(es) < 2 {
		return
	}
	switch kt.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		sort.Slice(es, func(i, j int) bool { return es[i].k.Int() < es[j].k.Int() })
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		sort.Slice(es, func(i, j int) bool { return es[i].k.Uint() < es[j].k.Uint() })
	case reflect.Float32, reflect.Float64:
		sort.Slice(es, func(i, j int) bool { return es[i].k.Float() < es[j].k.Float() })
	case reflect.String:
		sort.Slice(es, func(i, j int) bool { return es[i].k.String() < es[j].k.String() })
	default:
		for i := range es {
			g := formatter{limit: 64}
			g.val(es[i].k, kt, maxDepth-1)
			es[i].ks = string(g.b)
		}
		sort.SliceStable(es, func(i, j int) bool { return es[i].ks < es[j].ks })
	}
}
