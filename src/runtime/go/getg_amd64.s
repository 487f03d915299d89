// ctinject Go runtime: written by ctinject, do not edit.

#include "textflag.h"

// func getg() uintptr: the current goroutine's g pointer (the key of its
// spans; never dereferenced).
TEXT ·getg(SB), NOSPLIT, $0-8
	MOVQ (TLS), AX
	MOVQ AX, ret+0(FP)
	RET
