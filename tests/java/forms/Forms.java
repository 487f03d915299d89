// The shapes of methods that the inserted calls must compile in (javac
// --release 11 -Xlint:all -Werror), instrumented as ctinject's model does:
// precise rethrow keeps each method's own throws clause. Run, it prints
// what each returned; the runtime tests check the spans it writes.
package forms;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Supplier;

public class Forms {
    private final int size;

    // a constructor
    public Forms(int size) {
        ctinject.CtInject.Span _ct_s = ctinject.CtInject.span("forms/Forms.java", 17, "Forms.<init>", "size", size); try {
        this.size = size;
        } catch (Throwable _ct_t) { _ct_s.fail(_ct_t); throw _ct_t; } finally { _ct_s.end(); }
    }

    // a constructor that calls another: the span comes after this(...)
    public Forms() {
        this(7);
        ctinject.CtInject.Span _ct_s = ctinject.CtInject.span("forms/Forms.java", 24, "Forms.<init>"); try {
        ctinject.CtInject.v("forms/Forms.java", 27, "size", size);
        } catch (Throwable _ct_t) { _ct_s.fail(_ct_t); throw _ct_t; } finally { _ct_s.end(); }
    }

    // declares a checked exception
    static String read(String name) throws IOException {
        ctinject.CtInject.Span _ct_s = ctinject.CtInject.span("forms/Forms.java", 31, "Forms.read", "name", name); try {
        if (name.isEmpty()) {
            ctinject.CtInject.b("forms/Forms.java", 33, 0);
            throw new IOException("empty name");
        }
        return name.toUpperCase();
        } catch (Throwable _ct_t) { _ct_s.fail(_ct_t); throw _ct_t; } finally { _ct_s.end(); }
    }

    // two checked exceptions, one of them caught inside
    static int parse(String s) throws IOException, InterruptedException {
        ctinject.CtInject.Span _ct_s = ctinject.CtInject.span("forms/Forms.java", 41, "Forms.parse", "s", s); try {
        try {
            return Integer.parseInt(read(s));
        } catch (NumberFormatException e) {
            ctinject.CtInject.x("forms/Forms.java", 45, e);
            if (s.equals("wait")) {
                ctinject.CtInject.b("forms/Forms.java", 46, 0);
                throw new InterruptedException("asked to wait");
            }
            return -1;
        }
        } catch (Throwable _ct_t) { _ct_s.fail(_ct_t); throw _ct_t; } finally { _ct_s.end(); }
    }

    // void, with a loop and an early return
    void fill(List<Integer> out) {
        ctinject.CtInject.Span _ct_s = ctinject.CtInject.span("forms/Forms.java", 55, "Forms.fill", "out", out); try {
        for (int i = 0; i < size; i++) {
            ctinject.CtInject.l("forms/Forms.java", 56);
            if (i == 5) {
                ctinject.CtInject.b("forms/Forms.java", 58, 0);
                return;
            }
            out.add(i);
        }
        } catch (Throwable _ct_t) { _ct_s.fail(_ct_t); throw _ct_t; } finally { _ct_s.end(); }
    }

    // generic, static
    static <T extends Comparable<T>> T max(List<T> xs) {
        ctinject.CtInject.Span _ct_s = ctinject.CtInject.span("forms/Forms.java", 67, "Forms.max", "xs", xs); try {
        T best = null;
        ctinject.CtInject.v("forms/Forms.java", 69, "best", best);
        for (T x : xs) {
            ctinject.CtInject.l("forms/Forms.java", 70);
            if (best == null || x.compareTo(best) > 0) {
                ctinject.CtInject.b("forms/Forms.java", 71, 0);
                best = x;
                ctinject.CtInject.v("forms/Forms.java", 73, "best", best);
            }
        }
        return best;
        } catch (Throwable _ct_t) { _ct_s.fail(_ct_t); throw _ct_t; } finally { _ct_s.end(); }
    }

    // a generic method that throws a type parameter
    static <E extends Exception> void rethrow(Callable<Void> c, Class<E> k) throws E {
        ctinject.CtInject.Span _ct_s = ctinject.CtInject.span("forms/Forms.java", 80, "Forms.rethrow"); try {
        try {
            c.call();
        } catch (Exception e) {
            ctinject.CtInject.x("forms/Forms.java", 83, e);
            if (k.isInstance(e)) {
                throw k.cast(e);
            }
            throw new IllegalStateException(e);
        }
        } catch (Throwable _ct_t) { _ct_s.fail(_ct_t); throw _ct_t; } finally { _ct_s.end(); }
    }

    // a switch returning from every case, no return after it
    static String name(int n) {
        ctinject.CtInject.Span _ct_s = ctinject.CtInject.span("forms/Forms.java", 93, "Forms.name", "n", n); try {
        switch (n) {
            case 0:
                ctinject.CtInject.b("forms/Forms.java", 94, 0);
                return "zero";
            case 1:
                ctinject.CtInject.b("forms/Forms.java", 94, 1);
                return "one";
            default:
                ctinject.CtInject.b("forms/Forms.java", 94, 2);
                return "many";
        }
        } catch (Throwable _ct_t) { _ct_s.fail(_ct_t); throw _ct_t; } finally { _ct_s.end(); }
    }

    // an infinite loop left by return only
    static int firstOver(int[] xs, int limit) {
        ctinject.CtInject.Span _ct_s = ctinject.CtInject.span("forms/Forms.java", 107, "Forms.firstOver", "xs", xs, "limit", limit); try {
        int i = 0;
        while (true) {
            ctinject.CtInject.l("forms/Forms.java", 109, "while");
            if (xs[i] > limit) {
                ctinject.CtInject.b("forms/Forms.java", 110, 0);
                return i;
            }
            i++;
        }
        } catch (Throwable _ct_t) { _ct_s.fail(_ct_t); throw _ct_t; } finally { _ct_s.end(); }
    }

    // lambdas with block bodies: a Supplier, and a Callable (throws Exception)
    static final Supplier<String> HELLO = () -> {
        ctinject.CtInject.Span _ct_s = ctinject.CtInject.span("forms/Forms.java", 119, "Forms.lambda$HELLO"); try {
        return "hello";
        } catch (Throwable _ct_t) { _ct_s.fail(_ct_t); throw _ct_t; } finally { _ct_s.end(); }
    };

    static final Callable<Void> FAILS = () -> {
        ctinject.CtInject.Span _ct_s = ctinject.CtInject.span("forms/Forms.java", 124, "Forms.lambda$FAILS"); try {
        throw new IOException("from a callable");
        } catch (Throwable _ct_t) { _ct_s.fail(_ct_t); throw _ct_t; } finally { _ct_s.end(); }
    };

    // an interface's default method, and an anonymous class's method
    interface Shape {
        default double area() {
            ctinject.CtInject.Span _ct_s = ctinject.CtInject.span("forms/Forms.java", 131, "Shape.area"); try {
            return 0.0;
            } catch (Throwable _ct_t) { _ct_s.fail(_ct_t); throw _ct_t; } finally { _ct_s.end(); }
        }
    }

    // synchronized, final local used after a nested try
    synchronized int twice() {
        ctinject.CtInject.Span _ct_s = ctinject.CtInject.span("forms/Forms.java", 138, "Forms.twice"); try {
        final int r;
        try {
            r = size * 2;
        } finally {
            ctinject.CtInject.v("forms/Forms.java", 143, "size", size);
        }
        return r;
        } catch (Throwable _ct_t) { _ct_s.fail(_ct_t); throw _ct_t; } finally { _ct_s.end(); }
    }

    public static void main(String[] args) throws Exception {
        ctinject.CtInject.Span _ct_s = ctinject.CtInject.span("forms/Forms.java", 149, "Forms.main", "args", args); try {
        System.out.println(read("abc"));
        try {
            read("");
        } catch (IOException e) {
            ctinject.CtInject.x("forms/Forms.java", 153, e);
            System.out.println("caught " + e.getMessage());
        }
        System.out.println(parse("x"));
        try {
            parse("wait");
        } catch (InterruptedException e) {
            ctinject.CtInject.x("forms/Forms.java", 159, e);
            System.out.println("interrupted " + e.getMessage());
        }
        List<Integer> out = new ArrayList<>();
        new Forms(9).fill(out);
        System.out.println(out);
        System.out.println(new Forms().twice());
        System.out.println(max(List.of(3, 9, 4)));
        try {
            rethrow(FAILS, IOException.class);
        } catch (IOException e) {
            ctinject.CtInject.x("forms/Forms.java", 169, e);
            System.out.println("rethrown " + e.getMessage());
        }
        System.out.println(name(0) + name(1) + name(5));
        System.out.println(firstOver(new int[] {1, 5, 9}, 4));
        System.out.println(HELLO.get());
        System.out.println(new Shape() {}.area());
        } catch (Throwable _ct_t) { _ct_s.fail(_ct_t); throw _ct_t; } finally { _ct_s.end(); }
    }
}
