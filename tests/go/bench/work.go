// Package bench is what tests/go/bench-events.sh measures: Add is one
// function span and one variable event per call once ctinject has
// instrumented it (its arguments a and b and its result are recorded with
// the span).
package bench

// Add adds.
func Add(a, b int) int {
	c := a + b
	return c
}
