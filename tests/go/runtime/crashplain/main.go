package main

func crash(n int) int {
	if n > 2 {
		panic("boom " + string(rune('0'+n)))
	}
	return crash(n + 1)
}

func main() {
	crash(0)
}
