// ctinject Go runtime: written by ctinject, do not edit.

//go:build amd64 || arm64
// +build amd64 arm64

package ctinject

// getg returns the current goroutine's g pointer (getg_$GOARCH.s): a key
// for the table of current spans, never dereferenced.
func getg() uintptr
