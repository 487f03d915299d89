package ctinject

import (
	"runtime"
	"testing"
)

// TestPanicWord: gPanic reads the goroutine's _panic on this Go, so endHow
// skips the stack walk for spans that end by a return (the walk is most of
// a span's end: x/exp/rand's hot functions ran 2.6 times slower with it).
func TestPanicWord(t *testing.T) {
	if !haveGPanic {
		t.Skip("no assembly getg on " + runtime.GOARCH + ": endHow walks the stack at every span end")
	}
	if !checkPanicWord() {
		t.Fatal("gPanic does not read g._panic on " + runtime.Version())
	}
	if gPanic() != 0 {
		t.Fatal("g._panic is set after the self-test")
	}
}
