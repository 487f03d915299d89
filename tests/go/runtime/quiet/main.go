// A program that prints nothing: run with telemetry off and on, its
// standard output and error must stay empty.
package main; import _ct "example.com/m/_ctinject"

import "example.com/m/rt"; var _ = _ct.On

func main() {
	rt.Outer(3, "q", "pw")
	rt.Catcher()
	rt.Values("a", 1)
}
