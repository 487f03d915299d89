package main; import _ct "example.com/m/_ctinject"; var _ = _ct.On

func crash(n int) (_ct_r0 int) { _ct_s := _ct.S("crash/main.go", 3, "crash", "example.com/m/crash"); if _ct_s != nil { _ct.A(_ct_s, "n", &n) }; defer _ct.E1(_ct_s, &_ct_r0)
	if n > 2 {
		panic("boom " + string(rune('0'+n)))
	}
	return crash(n + 1)
}

func main() {
	crash(0)
}
