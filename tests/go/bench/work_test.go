package bench

import "testing"

var sink int

// BenchmarkAdd calls Add: the original one in the plain copy, the
// instrumented one in ctinject's copy (ctinject leaves _test.go files
// alone, so this loop is the same in both). The arguments vary so that
// recorded values are not all small integers, which Go boxes without an
// allocation.
func BenchmarkAdd(b *testing.B) {
	b.ReportAllocs()
	s := 0
	for i := 0; i < b.N; i++ {
		s = Add(s&1023, i)
	}
	sink = s
}
