// ctinject Go runtime: written by ctinject, do not edit.

//go:build amd64 || arm64
// +build amd64 arm64

package ctinject

// getg returns the current goroutine's g pointer (getg_$GOARCH.s): a key
// for the table of current spans, never dereferenced.
func getg() uintptr

// gPanic returns the word of the current goroutine's g that holds its
// _panic (getg_$GOARCH.s): 0 unless the goroutine is panicking or running
// Goexit. Only compared with 0, never dereferenced, and trusted only after
// checkPanicWord (ctinject.go).
func gPanic() uintptr

const haveGPanic = true
