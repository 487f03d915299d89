// The runtime tests' program: scenarios chosen by the first argument, each
// instrumented by hand in the forms ctinject's model inserts. Its output
// must be the same with telemetry on and off (run-runtime-tests.sh
// compares them); check.py reads the events.
package app;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

public class App {
    static final String F = "app/App.java";

    // A class whose toString and getMessage must never run: they throw and
    // leave a trace.
    static int sideEffects = 0;

    static final class Loud {
        @Override
        public String toString() {
            sideEffects++;
            throw new IllegalStateException("toString ran");
        }
    }

    static final class LoudList extends ArrayList<Object> {
        private static final long serialVersionUID = 1L;

        @Override
        public java.util.Iterator<Object> iterator() {
            sideEffects++;
            return super.iterator();
        }

        @Override
        public String toString() {
            sideEffects++;
            return "LoudList";
        }
    }

    static final class OwnMessage extends RuntimeException {
        private static final long serialVersionUID = 1L;

        OwnMessage() {
            super("the field");
        }

        @Override
        public String getMessage() {
            sideEffects++;
            return "getMessage ran";
        }
    }

    enum Color { RED, GREEN }

    static int add(int a, int b) {
        ctinject.CtInject.Span _ct_s = ctinject.CtInject.span(F, 70, "App.add", "a", a, "b", b); try {
        int sum = a + b;
        ctinject.CtInject.v(F, 72, "sum", sum);
        return sum;
        } catch (Throwable _ct_t) { _ct_s.fail(_ct_t); throw _ct_t; } finally { _ct_s.end(); }
    }

    static int div(int a, int b) {
        ctinject.CtInject.Span _ct_s = ctinject.CtInject.span(F, 77, "App.div", "a", a, "b", b); try {
        return a / b;
        } catch (Throwable _ct_t) { _ct_s.fail(_ct_t); throw _ct_t; } finally { _ct_s.end(); }
    }

    static String load(String key, String password) throws IOException {
        ctinject.CtInject.Span _ct_s = ctinject.CtInject.span(F, 82, "App.load", "key", key, "password", password); try {
        String apiKey = "k-" + key;
        ctinject.CtInject.v(F, 84, "apiKey", apiKey);
        if (key.startsWith("missing")) {
            ctinject.CtInject.b(F, 85, 0);
            throw new IOException("no such key: " + key);
        } else {
            ctinject.CtInject.b(F, 85, 1);
        }
        return key.toUpperCase();
        } catch (Throwable _ct_t) { _ct_s.fail(_ct_t); throw _ct_t; } finally { _ct_s.end(); }
    }

    static int total(List<Integer> xs) {
        ctinject.CtInject.Span _ct_s = ctinject.CtInject.span(F, 94, "App.total", "xs", xs); try {
        int t = 0;
        for (int x : xs) {
            ctinject.CtInject.l(F, 96);
            t += x;
            ctinject.CtInject.v(F, 98, "t", t);
        }
        int i = 0;
        while (i < 3) {
            ctinject.CtInject.l(F, 101, "while");
            i++;
        }
        return t + add(t, 1) - add(t, 1);
        } catch (Throwable _ct_t) { _ct_s.fail(_ct_t); throw _ct_t; } finally { _ct_s.end(); }
    }

    static void values() {
        ctinject.CtInject.Span _ct_s = ctinject.CtInject.span(F, 108, "App.values", "loud", new Loud(), "list", new LoudList()); try {
        Object loud = new Loud();
        ctinject.CtInject.v(F, 110, "loud", loud);
        List<Object> mixed = new ArrayList<>(Arrays.asList(1, "two\n\"q\"", 'c', 2.5, 3L, 1.5f, null, new Loud(), Color.GREEN));
        ctinject.CtInject.v(F, 111, "mixed", mixed);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("user", "ann");
        m.put("session_id", "s3cr3t");
        m.put("nested", new int[] {1, 2});
        ctinject.CtInject.v(F, 115, "m", m);
        Map<Object, Object> byLoud = new HashMap<>();
        byLoud.put(new Loud(), "v");
        ctinject.CtInject.v(F, 118, "byLoud", byLoud);
        ctinject.CtInject.v(F, 119, "big", new StringBuilder().append("x".repeat(500)).toString());
        ctinject.CtInject.v(F, 120, "longs", new long[3000]);
        ctinject.CtInject.v(F, 121, "ch", 'x');
        ctinject.CtInject.v(F, 122, "flag", true);
        ctinject.CtInject.v(F, 123, "pi", 3.25);
        ctinject.CtInject.v(F, 124, "unicode", "h\u00e9\u20ac\ud83d\ude00");
        ctinject.CtInject.v(F, 125, "cls", String.class);
        ctinject.CtInject.v(F, 126, "deep", new Object[] {new Object[] {new Object[] {new Object[] {new Object[] {new Object[] {new Object[] {1}}}}}}});
        ctinject.CtInject.v(F, 127, "tree", new TreeMap<>(Map.of("b", 2, "a", 1)));
        ctinject.CtInject.v(F, 128, "listOf", List.of("x", "y"));
        ctinject.CtInject.v(F, 129, "authHeader", "Bearer abc");
        ctinject.CtInject.v(F, 130, "own", new OwnMessage());
        try {
            throw new OwnMessage();
        } catch (OwnMessage e) {
            ctinject.CtInject.x(F, 133, e);
        }
        } catch (Throwable _ct_t) { _ct_s.fail(_ct_t); throw _ct_t; } finally { _ct_s.end(); }
    }

    static void basic() throws Exception {
        ctinject.CtInject.Span _ct_s = ctinject.CtInject.span(F, 138, "App.basic"); try {
        System.out.println("total " + total(Arrays.asList(1, 2, 3, 4)));
        System.out.println("load " + load("cart", "hunter2"));
        try {
            load("missing:7", "hunter2");
        } catch (IOException e) {
            ctinject.CtInject.x(F, 144, e);
            System.out.println("caught " + e.getMessage());
        }
        try {
            div(1, 0);
        } catch (ArithmeticException e) {
            ctinject.CtInject.x(F, 149, e);
            System.out.println("caught " + e.getMessage());
        }
        values();
        System.out.println("side effects " + sideEffects);
        } catch (Throwable _ct_t) { _ct_s.fail(_ct_t); throw _ct_t; } finally { _ct_s.end(); }
    }

    // a function called more often than MAX_SPANS_PER_FUNCTION (1000 in caps1000)
    static int hot(int i) {
        ctinject.CtInject.Span _ct_s = ctinject.CtInject.span(F, 158, "App.hot", "i", i); try {
        ctinject.CtInject.v(F, 159, "i", i);
        if (i % 100 == 99) {
            ctinject.CtInject.b(F, 160, 0);
            if (i >= 1200) {
                ctinject.CtInject.b(F, 161, 0);
                throw new IllegalArgumentException("bad " + i);
            }
            add(i, i);
        }
        for (int k = 0; k < 2; k++) {
            ctinject.CtInject.l(F, 166);
        }
        return i;
        } catch (Throwable _ct_t) { _ct_s.fail(_ct_t); throw _ct_t; } finally { _ct_s.end(); }
    }

    static void inSpan() {
        ctinject.CtInject.Span _ct_s = ctinject.CtInject.span(F, 172, "App.inSpan"); try {
        for (int k = 0; k < 20; k++) {
            ctinject.CtInject.l(F, 173);
            ctinject.CtInject.v(F, 174, "k", k);
            ctinject.CtInject.b(F, 175, k % 2);
        }
        } catch (Throwable _ct_t) { _ct_s.fail(_ct_t); throw _ct_t; } finally { _ct_s.end(); }
    }

    static void caps() {
        int failures = 0;
        for (int i = 0; i < 1500; i++) {
            try {
                hot(i);
            } catch (IllegalArgumentException e) {
                ctinject.CtInject.x(F, 185, e);
                failures++;
            }
        }
        inSpan();
        for (int i = 0; i < 300; i++) {
            branchy(i);
        }
        System.out.println("failures " + failures + ", caught " + manyCatches());
    }

    static int branchy(int i) {
        ctinject.CtInject.Span _ct_s = ctinject.CtInject.span(F, 190, "App.branchy", "i", i); try {
        if (i >= 0) {
            ctinject.CtInject.b(F, 191, 0);
            return i;
        }
        return -i;
        } catch (Throwable _ct_t) { _ct_s.fail(_ct_t); throw _ct_t; } finally { _ct_s.end(); }
    }

    static int manyCatches() {
        ctinject.CtInject.Span _ct_s = ctinject.CtInject.span(F, 199, "App.manyCatches"); try {
        int n = 0;
        for (int i = 0; i < 300; i++) {
            try {
                if (i % 3 == 0) {
                    throw new IllegalStateException("s" + i);
                }
                throw new UnsupportedOperationException("u" + i);
            } catch (RuntimeException e) {
                ctinject.CtInject.x(F, 207, e);
                n++;
            }
        }
        return n;
        } catch (Throwable _ct_t) { _ct_s.fail(_ct_t); throw _ct_t; } finally { _ct_s.end(); }
    }

    static void worker(int n) {
        ctinject.CtInject.Span _ct_s = ctinject.CtInject.span(F, 193, "App.worker", "n", n); try {
        for (int i = 0; i < 5; i++) {
            ctinject.CtInject.l(F, 194);
            add(n, i);
        }
        } catch (Throwable _ct_t) { _ct_s.fail(_ct_t); throw _ct_t; } finally { _ct_s.end(); }
    }

    static void threads() throws InterruptedException {
        ctinject.CtInject.Span _ct_s = ctinject.CtInject.span(F, 200, "App.threads"); try {
        List<Thread> ts = new ArrayList<>();
        for (int n = 0; n < 4; n++) {
            ctinject.CtInject.l(F, 202);
            final int k = n;
            Thread t = new Thread(() -> worker(k));
            ts.add(t);
            t.start();
        }
        for (Thread t : ts) {
            ctinject.CtInject.l(F, 208);
            t.join();
        }
        System.out.println("threads done");
        } catch (Throwable _ct_t) { _ct_s.fail(_ct_t); throw _ct_t; } finally { _ct_s.end(); }
    }

    static void flood() {
        for (int i = 0; i < 20000; i++) {
            worker(i);
        }
        System.out.println("flood done");
    }

    // calls with odd arguments: nothing reaches the program
    static void odd() {
        ctinject.CtInject.Span _ct_s = ctinject.CtInject.span(null, -5, null, "a", 1, 2, "odd", "b"); try {
        ctinject.CtInject.v(null, 1, null, new Object());
        ctinject.CtInject.v(F, -1, "x", (Object) null);
        ctinject.CtInject.b(null, 2, -1);
        ctinject.CtInject.l(null, Integer.MIN_VALUE);
        ctinject.CtInject.l(F, 3, null);
        ctinject.CtInject.x(F, 4, null);
        ctinject.CtInject.x(null, 1 << 30, new Error());
        ctinject.CtInject.span(F, 9, "App.unended", (Object[]) null);
        System.out.println("odd done");
        } catch (Throwable _ct_t) { _ct_s.fail(_ct_t); throw _ct_t; } finally { _ct_s.end(); }
    }

    // 8 threads calling the same function: the caps hold exactly
    static void stress() throws InterruptedException {
        List<Thread> ts = new ArrayList<>();
        for (int n = 0; n < 8; n++) {
            Thread t = new Thread(() -> {
                for (int i = 0; i < 2000; i++) {
                    add(i, 1);
                }
            });
            ts.add(t);
            t.start();
        }
        for (Thread t : ts) {
            t.join();
        }
        System.out.println("stress done");
    }

    // outside any span: module-level-like events
    static void outside() {
        ctinject.CtInject.v(F, 223, "outsideVar", 42);
        for (int i = 0; i < 7; i++) {
            ctinject.CtInject.l(F, 225);
        }
        System.out.println("outside done");
    }

    public static void main(String[] args) throws Exception {
        String what = args.length > 0 ? args[0] : "basic";
        switch (what) {
            case "basic":
                outside();
                basic();
                break;
            case "caps":
                caps();
                break;
            case "threads":
                threads();
                break;
            case "odd":
                odd();
                break;
            case "stress":
                stress();
                break;
            case "flood":
                flood();
                break;
            case "fail":
                // an uncaught exception: the span is written, the exit code is 1
                System.out.println("about to fail");
                div(3, 0);
                break;
            case "exit":
                System.out.println("exiting with 3");
                exitWith(3);
                break;
            default:
                System.out.println("unknown scenario " + what);
        }
    }

    static void exitWith(int code) {
        ctinject.CtInject.Span _ct_s = ctinject.CtInject.span(F, 260, "App.exitWith", "code", code); try {
        add(code, 0);
        System.exit(code);
        } catch (Throwable _ct_t) { _ct_s.fail(_ct_t); throw _ct_t; } finally { _ct_s.end(); }
    }
}
