// ctinject Go runtime: written by ctinject, do not edit.

#include "textflag.h"

// func getg() uintptr: the current goroutine's g pointer (the key of its
// spans; never dereferenced).
TEXT ·getg(SB), NOSPLIT, $0-8
	MOVD g, R0
	MOVD R0, ret+0(FP)
	RET

// func gPanic() uintptr: g._panic, the word after g.stack (lo, hi),
// g.stackguard0 and g.stackguard1 (an offset the compiler relies on).
TEXT ·gPanic(SB), NOSPLIT, $0-8
	MOVD 32(g), R0
	MOVD R0, ret+0(FP)
	RET
