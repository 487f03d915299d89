// ctinject Go runtime: written by ctinject, do not edit.

//go:build !amd64 && !arm64
// +build !amd64,!arm64

package ctinject

import "runtime"

// getg returns a key of the current goroutine: here its id, parsed from
// runtime.Stack ("goroutine 17 [running]:"), which costs microseconds per
// span open and close (a traceback of the stack). amd64 and arm64 read the
// g pointer with assembly instead.
func getg() uintptr {
	var buf [64]byte
	n := runtime.Stack(buf[:], false)
	var id uintptr
	for i := len("goroutine "); i < n; i++ {
		c := buf[i]
		if c < '0' || c > '9' {
			break
		}
		id = id*10 + uintptr(c-'0')
	}
	return id
}

// gPanic: no g to read here; checkPanicWord is never run and endHow walks
// the stack at every span end.
func gPanic() uintptr { return 0 }

const haveGPanic = false
