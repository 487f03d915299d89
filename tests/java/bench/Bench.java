// Micro-benchmark of the Java runtime: the per-call cost of a small
// instrumented method (a span with two arguments, a var, a branch and a
// loop of two iterations) against the same method without the calls.
// Usage: java bench.Bench plain|inst CALLS; prints "ns/call".
// run-runtime-tests.sh runs it with telemetry off, on (default caps: the
// first 1000 calls written, then counted) and on with every call written.
package bench;

public class Bench {
    static final String F = "bench/Bench.java";
    static volatile int sink;

    static int plain(int a, int i) {
        int s = a + i;
        if ((s & 1) == 0) {
            s++;
        }
        for (int k = 0; k < 2; k++) {
            s += k;
        }
        return s;
    }

    static int inst(int a, int i) {
        ctinject.CtInject.Span _ct_s = ctinject.CtInject.span(F, 24, "Bench.inst", "a", a, "i", i); try {
        int s = a + i;
        ctinject.CtInject.v(F, 26, "s", s);
        if ((s & 1) == 0) {
            ctinject.CtInject.b(F, 27, 0);
            s++;
        }
        for (int k = 0; k < 2; k++) {
            ctinject.CtInject.l(F, 31);
            s += k;
        }
        return s;
        } catch (Throwable _ct_t) { _ct_s.fail(_ct_t); throw _ct_t; } finally { _ct_s.end(); }
    }

    static long run(boolean instrumented, int n) {
        long t0 = System.nanoTime();
        int acc = 0;
        if (instrumented) {
            for (int i = 0; i < n; i++) {
                acc += inst(acc, i);
            }
        } else {
            for (int i = 0; i < n; i++) {
                acc += plain(acc, i);
            }
        }
        sink = acc;
        return System.nanoTime() - t0;
    }

    public static void main(String[] args) {
        boolean instrumented = args[0].equals("inst");
        int n = Integer.parseInt(args[1]);
        run(instrumented, Math.min(n, 200000)); // warm-up (and JIT)
        long best = Long.MAX_VALUE;
        for (int r = 0; r < 3; r++) {
            best = Math.min(best, run(instrumented, n));
        }
        System.out.printf("%.2f%n", (double) best / n);
    }
}
