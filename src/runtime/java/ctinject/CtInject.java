// ctinject runtime for Java (written by ctinject; do not edit).
//
// The calls that instrumented Java source makes (F: the source path as
// recorded in events, L/SITE/ARM: ints, N: a string literal, X: an
// expression):
//
//   ctinject.CtInject.Span _ct_s = ctinject.CtInject.span(F, L, N); try {
//   ctinject.CtInject.Span _ct_s = ctinject.CtInject.span(F, L, N, "a", a, "b", b); try {
//       first in a method's or constructor's body (after this(...)/super(...)
//       in a constructor): a call starts, its span becomes the thread's
//       current span; the pairs are its recorded arguments
//   } catch (Throwable _ct_t) { _ct_s.fail(_ct_t); throw _ct_t; } finally { _ct_s.end(); }
//       last in the body: the call failed (precise rethrow keeps the
//       method's own throws clause), it ended (the span is written)
//   ctinject.CtInject.v(F, L, N, X);        a variable was set: a var event
//   ctinject.CtInject.b(F, SITE, ARM);      first in an if/else/case arm: a branch event
//   ctinject.CtInject.l(F, SITE);           first in a loop body: one iteration
//                                           (l(F, SITE, "while") names the loop's kind)
//   ctinject.CtInject.x(F, L, X);           first in a catch block: an exception event
//
// Telemetry is on when CTINJECT_TRACE_FILE names a file and CTINJECT_DISABLE
// is not 1/true/yes/on (read once, when this class is first used). Off,
// every call returns at once (span() returns one shared no-op Span) and no
// file is created. On, events go to that file as JSON lines (schema:
// docs/events.md, "v":1) with "lang":"java" right after "type"; what
// differs from the Python runtime:
//
//   - span: "module" null, "kind" "function", "return" null (not recorded),
//     "args" the pairs given to span(); a call that threw has status
//     "error" and "exception":{"type","message"}.
//   - tid: the Java thread's id (Thread.getId()); the current span is per
//     thread, and a new thread starts with none (its first span starts a
//     new trace).
//   - loop events count iterations per loop site and span (one event per
//     loop and span, written before the span's line when it ends; loops
//     outside any span are counted per thread and written at exit), with
//     "target" and "last" null and "kind" "for" unless l() was given one.
//   - exception type: the class's name (Class.getName(), without
//     "java.lang." for classes of java.lang); message: getMessage(), called
//     only when the class inherits it from a JDK class (an override of the
//     program is not run: the message is null then).
//   - values are Java notation, made without running code of the program
//     (no toString, hashCode, equals, iterator of its classes):
//       null, true, 42, 42L, 1.5, 1.5f, 'c', "text" (escaped as in Java
//       source), enum constants as Type.NAME, classes as Name.class,
//       arrays and JDK collections (exact classes only, see COLLECTIONS)
//       as [a, b] and maps as {k=v} (at most 6 levels, items until the
//       cap), Optional[..], StringBuilder/StringBuffer as their quoted
//       text, BigInteger/BigDecimal, AtomicInteger/AtomicLong, UUID and
//       java.time values by the JDK's toString; any other object as
//       <pkg.ClassName object> (a java.lang class without its package).
//     A value is cut at VALUE_CAP characters (ending with "..."); the names
//     of arguments and variables, and the String keys of maps, that match
//     REDACT record "[REDACTED]".
//   - caps: MAX_EVENTS_PER_SITE per span ("suppressed"),
//     MAX_EVENTS_PER_SITE_PER_PROCESS (vars/branches/loops/exceptions
//     summaries at exit), MAX_SPANS_PER_FUNCTION (calls summaries at exit;
//     failing calls over it written up to MAX_FAILURES_PER_FUNCTION, their
//     args read when they fail), MAX_TRACE_BYTES (truncated).
//   - writing: lines are buffered per process and written (one write of
//     whole lines, to the file opened for appending) when the buffer passes
//     64 KiB, at least once a second while events come, and at exit (a
//     shutdown hook, which also writes the summaries). A process killed
//     (SIGKILL, Runtime.halt) loses what was buffered.
//
// No runtime call throws into the program: every failure inside is caught
// (telemetry goes on, or stops). JDK only, Java 11 source level.
package ctinject;

import java.io.File;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.lang.reflect.Array;
import java.lang.reflect.Method;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.channels.FileChannel;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;

public final class CtInject {
    private CtInject() {}

    // ------------------------------------------------------------ configuration
    // Fixed here for now: ctinject will bake its configuration (values.cap,
    // values.redact, runtime.*) into these constants when it writes this
    // file. (0 means no cap for the max_* settings.)
    static final int VALUE_CAP = 200;
    static final String REDACT = "passw|secret|token|api_?key|auth|credential|private_?key|session|cookie";
    static final int MAX_EVENTS_PER_SITE = 16;
    static final int MAX_EVENTS_PER_SITE_PER_PROCESS = 200;
    static final int MAX_SPANS_PER_FUNCTION = 200;
    static final int MAX_FAILURES_PER_FUNCTION = 100;
    static final int SLOWEST_CALLS = 5;
    static final long MAX_TRACE_BYTES = 1000000000L;

    static final int MAX_DEPTH = 6;
    static final int FLUSH_BYTES = 64 * 1024;
    static final long FLUSH_NS = 1000000000L;
    static final String REDACTED = "[REDACTED]";

    // ------------------------------------------------------------ the API

    /** A call's span: span() returns one, fail() and end() close it. */
    public static final class Span {
        final Site fn;          // the function (null: the no-op span, a thread's root state)
        final TState ts;        // its thread
        Span prev;              // the span current when it started: its parent
        long id, rootId, parentId; // ids (0: none yet, for a quiet span)
        long t0;                // System.nanoTime() at its start
        boolean quiet;          // over MAX_SPANS_PER_FUNCTION: written only if it fails
        boolean done;
        Object[] args;          // a quiet span's arguments, formatted only if needed
        String argsJson;        // the arguments as a JSON object
        Throwable err;          // what it failed with
        // per-site counts of var and branch events (MAX_EVENTS_PER_SITE)
        Site site1;
        int n1;
        HashMap<Site, int[]> counts;
        boolean over;
        // loop iterations: the first loop inline, the others in `loops`
        String lfile;
        int lsite = Integer.MIN_VALUE;
        String lkind;
        long ln;
        ArrayList<LoopCount> loops;

        Span(Site fn, TState ts) {
            this.fn = fn;
            this.ts = ts;
        }

        /** The call is failing with t (it is rethrown by the caller). */
        public void fail(Throwable t) {
            if (fn != null) {
                err = t;
            }
        }

        /** The call ended: the span is written (events of the call first). */
        public void end() {
            if (fn == null) {
                return;
            }
            ts.cur = prev; // (first: whatever fails below, the thread's stack is right)
            try {
                long t1 = System.nanoTime();
                if (done) {
                    return;
                }
                done = true;
                if (dead) {
                    return;
                }
                finish(this, t1);
            } catch (Throwable t) {
                // never into the program
            }
        }

        // one more event of site s in this span: whether it is within the cap
        boolean count(Site s) {
            int n;
            if (site1 == s) {
                n = ++n1;
            } else if (site1 == null) {
                site1 = s;
                n = n1 = 1;
            } else {
                if (counts == null) {
                    counts = new HashMap<>();
                }
                int[] c = counts.get(s);
                if (c == null) {
                    counts.put(s, c = new int[1]);
                }
                n = ++c[0];
            }
            if (MAX_EVENTS_PER_SITE > 0 && n > MAX_EVENTS_PER_SITE) {
                over = true;
                return false;
            }
            return true;
        }

        // ids for a quiet span, when a child or its own line needs them
        void giveIds() {
            if (id != 0) {
                return;
            }
            id = newId();
            Span p = prev;
            if (p == null) {
                rootId = id;
            } else {
                p.giveIds();
                rootId = p.rootId;
                parentId = p.id;
            }
        }

        void loop(String file, int site, String kind) {
            if (lsite == site && lfile != null && (lfile == file || lfile.equals(file))) {
                ln++;
                return;
            }
            if (lfile == null) {
                lfile = file;
                lsite = site;
                lkind = kind;
                ln = 1;
                return;
            }
            if (loops == null) {
                loops = new ArrayList<>(4);
            }
            for (int i = 0, n = loops.size(); i < n; i++) {
                LoopCount c = loops.get(i);
                if (c.site == site && c.file.equals(file)) {
                    c.n++;
                    return;
                }
            }
            loops.add(new LoopCount(file, site, kind));
        }
    }

    static final Span NOOP = new Span(null, null);

    /** A call starts: its span, made the thread's current span. */
    public static Span span(String file, int line, String name) {
        if (!ON) {
            return NOOP;
        }
        return start(file, line, name, null);
    }

    /** A call starts, with its arguments as name, value, name, value, ... */
    public static Span span(String file, int line, String name, Object... args) {
        if (!ON) {
            return NOOP;
        }
        return start(file, line, name, args);
    }

    /** Variable `name` was set to value at line: a var event. */
    public static void v(String file, int line, String name, Object value) {
        if (!ON) {
            return;
        }
        var0(file, line, name, value);
    }

    public static void v(String file, int line, String name, int value) {
        if (!ON) {
            return;
        }
        var0(file, line, name, value);
    }

    public static void v(String file, int line, String name, long value) {
        if (!ON) {
            return;
        }
        var0(file, line, name, value);
    }

    public static void v(String file, int line, String name, double value) {
        if (!ON) {
            return;
        }
        var0(file, line, name, value);
    }

    public static void v(String file, int line, String name, float value) {
        if (!ON) {
            return;
        }
        var0(file, line, name, value);
    }

    public static void v(String file, int line, String name, boolean value) {
        if (!ON) {
            return;
        }
        var0(file, line, name, value);
    }

    public static void v(String file, int line, String name, char value) {
        if (!ON) {
            return;
        }
        var0(file, line, name, value);
    }

    public static void v(String file, int line, String name, short value) {
        if (!ON) {
            return;
        }
        var0(file, line, name, value);
    }

    public static void v(String file, int line, String name, byte value) {
        if (!ON) {
            return;
        }
        var0(file, line, name, value);
    }

    /** Arm `arm` of the branch point at line `site` was taken: a branch event. */
    public static void b(String file, int site, int arm) {
        if (!ON) {
            return;
        }
        branch0(file, site, arm);
    }

    /** One iteration of the loop at line `site`. */
    public static void l(String file, int site) {
        if (!ON) {
            return;
        }
        loop0(file, site, "for");
    }

    /** One iteration of the loop at line `site`, of kind `kind` ("for", "while"). */
    public static void l(String file, int site, String kind) {
        if (!ON) {
            return;
        }
        loop0(file, site, kind == null ? "for" : kind);
    }

    /** A catch block at line was entered with t: an exception event. */
    public static void x(String file, int line, Throwable t) {
        if (!ON) {
            return;
        }
        exc0(file, line, t);
    }

    // ------------------------------------------------------------ state

    static final int K_FN = 0, K_VAR = 1, K_BRANCH = 2, K_LOOP = 3, K_EXC = 4;

    /** A function, or a site of var/branch/loop/exception events. */
    static final class Site {
        final int kind;
        final String file;
        final int line;
        final int arm;
        final String name;     // variable or function name, loop kind
        final Site next;       // the next site of the same line
        final String mid;      // its JSON keys after the ids
        final boolean red;     // a redacted variable
        final AtomicInteger recorded = new AtomicInteger();
        // functions
        final AtomicLong calls = new AtomicLong();
        final AtomicLong failed = new AtomicLong();
        // omitted (under the site's lock)
        long omitted, omDur, omMax, omFailed, omIter, omMaxIter;
        Object last;                       // vars: the last omitted value (immutable or formatted)
        LinkedHashMap<String, long[]> omTypes; // exception types of omitted events / calls
        ArrayList<Slow> slow;              // functions: the slowest omitted calls

        Site(int kind, String file, int line, int arm, String name, Site next) {
            this.kind = kind;
            this.file = file;
            this.line = line;
            this.arm = arm;
            this.name = name;
            this.next = next;
            StringBuilder b = new StringBuilder(64);
            switch (kind) {
                case K_FN:
                    b.append(",\"name\":");
                    q(b, name);
                    b.append(",\"module\":null,\"file\":");
                    q(b, file);
                    b.append(",\"line\":").append(line).append(",\"kind\":\"function\"");
                    break;
                case K_VAR:
                    b.append(",\"file\":");
                    q(b, file);
                    b.append(",\"line\":").append(line).append(",\"name\":");
                    q(b, name);
                    break;
                case K_BRANCH:
                    b.append(",\"file\":");
                    q(b, file);
                    b.append(",\"line\":").append(line).append(",\"site\":").append(line).append(",\"arm\":").append(arm);
                    break;
                case K_LOOP:
                    b.append(",\"file\":");
                    q(b, file);
                    b.append(",\"line\":").append(line).append(",\"site\":").append(line).append(",\"kind\":");
                    q(b, name);
                    break;
                default:
                    b.append(",\"file\":");
                    q(b, file);
                    b.append(",\"line\":").append(line);
                    break;
            }
            this.mid = b.toString();
            this.red = kind == K_VAR && redacted(name);
        }

        // one more event of this site for the process: whether it is written
        boolean take() {
            if (MAX_EVENTS_PER_SITE_PER_PROCESS <= 0) {
                return true;
            }
            for (;;) {
                int r = recorded.get();
                if (r >= MAX_EVENTS_PER_SITE_PER_PROCESS) {
                    return false;
                }
                if (recorded.compareAndSet(r, r + 1)) {
                    return true;
                }
            }
        }

        // (under the lock) one more omitted event: listed for the summaries on the first
        void omitOne() {
            if (omitted++ == 0) {
                OMITTED.add(this);
            }
        }
    }

    static final class Slow {
        final long d;
        final String json;

        Slow(long d, String json) {
            this.d = d;
            this.json = json;
        }
    }

    static final class LoopCount {
        final String file;
        final int site;
        final String kind;
        long n = 1;

        LoopCount(String file, int site, String kind) {
            this.file = file;
            this.site = site;
            this.kind = kind;
        }
    }

    /** A file's sites, by line. */
    static final class FileInfo {
        final String file;
        volatile Site[] sites = new Site[64];

        FileInfo(String file) {
            this.file = file;
        }

        synchronized Site add(int kind, int line, int arm, String name) {
            int i = index(line);
            Site[] a = sites;
            if (i < a.length) {
                for (Site s = a[i]; s != null; s = s.next) {
                    if (s.kind == kind && s.line == line && s.arm == arm && s.name.equals(name)) {
                        return s;
                    }
                }
            } else {
                a = Arrays.copyOf(a, Math.max(i + 1, a.length * 2));
            }
            // (a Site's fields are final: a thread that reads the slot
            // without the lock sees it whole)
            Site s = new Site(kind, file, line, arm, name, a[i]);
            a[i] = s;
            sites = a;
            return s;
        }
    }

    static int index(int line) {
        return line < 0 || line > (1 << 22) ? 0 : line;
    }

    /** A thread's state. */
    static final class TState {
        final long tid = Thread.currentThread().getId();
        Span cur;                              // the current span
        final Span root = new Span(null, this); // events outside any span
        boolean rootListed;
        final StringBuilder sb = new StringBuilder(512);
        String lastFile;
        FileInfo lastFi;
    }

    static final ThreadLocal<TState> TS = new ThreadLocal<TState>() {
        @Override
        protected TState initialValue() {
            return new TState();
        }
    };

    static final ConcurrentHashMap<String, FileInfo> FILES = new ConcurrentHashMap<>();
    static final ConcurrentLinkedQueue<Site> OMITTED = new ConcurrentLinkedQueue<>();
    static final ConcurrentLinkedQueue<TState> ROOTS = new ConcurrentLinkedQueue<>();
    static final ConcurrentHashMap<String, Boolean> RED_CACHE = new ConcurrentHashMap<>();
    static final Pattern RED = Pattern.compile(REDACT, Pattern.CASE_INSENSITIVE);

    // the trace file (under LOCK)
    static final Object LOCK = new Object();
    static FileOutputStream out;
    static FileChannel channel;
    static byte[] buf;
    static int blen;
    static long lastFlush;
    static boolean exiting;
    static volatile boolean dead;   // truncated or a write failed: record nothing more

    static long baseUnix;           // unix ns minus System.nanoTime()
    static long pid;
    static String pidText = "0";
    static String tracePrefix = "0000000000000000";
    static AtomicLong nextId;

    /** Telemetry on (read once, when the class is initialized: see the end of the class). */
    static final boolean ON;

    static boolean init() {
        try {
            String path = System.getenv("CTINJECT_TRACE_FILE");
            if (path == null || path.isEmpty()) {
                return false;
            }
            String d = System.getenv("CTINJECT_DISABLE");
            if (d != null) {
                d = d.trim().toLowerCase();
                if (d.equals("1") || d.equals("true") || d.equals("yes") || d.equals("on")) {
                    return false;
                }
            }
            try {
                File f = new File(path).getAbsoluteFile();
                File dir = f.getParentFile();
                if (dir != null && !dir.isDirectory()) {
                    dir.mkdirs();
                }
                out = new FileOutputStream(f, true);
                channel = out.getChannel();
            } catch (Throwable t) {
                try {
                    System.err.println("ctinject: cannot write the trace file " + path + ": " + t.getMessage()
                            + " (telemetry is off)");
                } catch (Throwable t2) {
                    // nothing
                }
                return false;
            }
            buf = new byte[FLUSH_BYTES * 2];
            Instant now = Instant.now();
            long mono = System.nanoTime();
            baseUnix = now.getEpochSecond() * 1000000000L + now.getNano() - mono;
            lastFlush = mono;
            try {
                pid = ProcessHandle.current().pid();
            } catch (Throwable t) {
                pid = 0;
            }
            pidText = Long.toString(pid);
            long[] r = randomLongs(mono);
            StringBuilder b = new StringBuilder(16);
            hex16(b, r[0]);
            tracePrefix = b.toString();
            nextId = new AtomicLong(r[1] >>> 2 == 0 ? 1 : r[1] >>> 2);
            try {
                Thread h = new Thread(CtInject::atExit, "ctinject-exit");
                Runtime.getRuntime().addShutdownHook(h);
            } catch (Throwable t) {
                // no exit hook: events still go out by size and age
            }
            return true;
        } catch (Throwable t) {
            return false;
        }
    }

    // two random longs from /dev/urandom (never the program's Random), or
    // from the clock and the pid where there is none
    static long[] randomLongs(long mono) {
        long a = 0, b = 0;
        boolean ok = false;
        try (FileInputStream in = new FileInputStream("/dev/urandom")) {
            byte[] x = new byte[16];
            int n = 0;
            while (n < 16) {
                int k = in.read(x, n, 16 - n);
                if (k <= 0) {
                    break;
                }
                n += k;
            }
            if (n == 16) {
                for (int i = 0; i < 8; i++) {
                    a = (a << 8) | (x[i] & 0xff);
                    b = (b << 8) | (x[i + 8] & 0xff);
                }
                ok = true;
            }
        } catch (Throwable t) {
            ok = false;
        }
        if (!ok) {
            long s = mono ^ (pid * 0x9E3779B97F4A7C15L) ^ System.currentTimeMillis() ^ System.identityHashCode(new Object());
            a = mix(s);
            b = mix(s + 0x9E3779B97F4A7C15L);
        }
        return new long[] {a, b};
    }

    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    static long newId() {
        long v;
        do {
            v = nextId.getAndIncrement();
        } while (v == 0);
        return v;
    }

    static Site site(TState ts, int kind, String file, int line, int arm, String name) {
        FileInfo fi;
        if (file == ts.lastFile) {
            fi = ts.lastFi;
        } else {
            fi = FILES.get(file);
            if (fi == null) {
                fi = FILES.computeIfAbsent(file, FileInfo::new);
            }
            ts.lastFile = file;
            ts.lastFi = fi;
        }
        Site[] a = fi.sites;
        int i = index(line);
        if (i < a.length) {
            for (Site s = a[i]; s != null; s = s.next) {
                if (s.kind == kind && s.line == line && s.arm == arm && (s.name == name || s.name.equals(name))) {
                    return s;
                }
            }
        }
        return fi.add(kind, line, arm, name);
    }

    static String str(String s) {
        return s == null ? "null" : s;
    }

    // ------------------------------------------------------------ spans

    static Span start(String file, int line, String name, Object[] args) {
        if (dead) {
            return NOOP;
        }
        try {
            TState ts = TS.get();
            Site fn = site(ts, K_FN, str(file), line, 0, str(name));
            Span parent = ts.cur;
            Span sp = new Span(fn, ts);
            sp.prev = parent;
            if (MAX_SPANS_PER_FUNCTION > 0 && fn.calls.incrementAndGet() > MAX_SPANS_PER_FUNCTION) {
                sp.quiet = true;
                sp.args = args;
            } else {
                long id = newId();
                sp.id = id;
                if (parent == null) {
                    sp.rootId = id;
                } else {
                    if (parent.id == 0) {
                        parent.giveIds();
                    }
                    sp.rootId = parent.rootId;
                    sp.parentId = parent.id;
                }
                sp.argsJson = argsJson(args);
            }
            sp.t0 = System.nanoTime();
            ts.cur = sp; // (last: nothing after it can fail)
            return sp;
        } catch (Throwable t) {
            return NOOP;
        }
    }

    static String argsJson(Object[] args) {
        if (args == null || args.length < 2) {
            return "{}";
        }
        StringBuilder b = new StringBuilder(32);
        b.append('{');
        for (int i = 0; i + 1 < args.length; i += 2) {
            Object k = args[i];
            String key = k instanceof String ? (String) k : "arg" + (i / 2);
            if (i > 0) {
                b.append(',');
            }
            q(b, key);
            b.append(':');
            q(b, redacted(key) ? REDACTED : fmt(args[i + 1]));
        }
        return b.append('}').toString();
    }

    static void finish(Span sp, long t1) {
        Site fn = sp.fn;
        boolean failed = sp.err != null;
        if (sp.quiet) {
            if (!failed || (MAX_FAILURES_PER_FUNCTION > 0 && fn.failed.incrementAndGet() > MAX_FAILURES_PER_FUNCTION)) {
                omitCall(sp, t1);
                return;
            }
            sp.giveIds();
            sp.argsJson = argsJson(sp.args);
        }
        TState ts = sp.ts;
        StringBuilder b = ts.sb;
        b.setLength(0);
        loopEvents(b, sp, ts.tid, t1);
        b.append("{\"v\":1,\"type\":\"span\",\"lang\":\"java\",\"trace_id\":\"").append(tracePrefix);
        hex16(b, sp.rootId);
        b.append("\",\"span_id\":\"");
        hex16(b, sp.id);
        if (sp.parentId == 0) {
            b.append("\",\"parent_id\":null");
        } else {
            b.append("\",\"parent_id\":\"");
            hex16(b, sp.parentId);
            b.append('"');
        }
        b.append(fn.mid).append(",\"start_unix_ns\":").append(baseUnix + sp.t0);
        b.append(",\"duration_ns\":").append(t1 - sp.t0);
        b.append(",\"args\":").append(sp.argsJson).append(",\"return\":null");
        if (failed) {
            b.append(",\"status\":\"error\",\"exception\":");
            excJson(b, sp.err);
        } else {
            b.append(",\"status\":\"ok\",\"exception\":null");
        }
        b.append(",\"pid\":").append(pidText).append(",\"tid\":").append(ts.tid);
        if (sp.over) {
            suppressed(b, sp);
        }
        b.append("}\n");
        emit(b);
        if (b.capacity() > 1 << 16) {
            b.setLength(0);
            b.trimToSize();
        }
    }

    static void suppressed(StringBuilder b, Span sp) {
        ArrayList<Object[]> es = new ArrayList<>();
        if (sp.site1 != null && sp.n1 > MAX_EVENTS_PER_SITE) {
            es.add(new Object[] {sp.site1, sp.n1 - MAX_EVENTS_PER_SITE});
        }
        if (sp.counts != null) {
            for (Map.Entry<Site, int[]> e : sp.counts.entrySet()) {
                if (e.getValue()[0] > MAX_EVENTS_PER_SITE) {
                    es.add(new Object[] {e.getKey(), e.getValue()[0] - MAX_EVENTS_PER_SITE});
                }
            }
        }
        if (es.isEmpty()) {
            return;
        }
        es.sort((x, y) -> {
            Site a = (Site) x[0], c = (Site) y[0];
            if (a.line != c.line) {
                return Integer.compare(a.line, c.line);
            }
            if (a.kind != c.kind) {
                return Integer.compare(a.kind, c.kind);
            }
            int n = a.name.compareTo(c.name);
            return n != 0 ? n : Integer.compare(a.arm, c.arm);
        });
        b.append(",\"suppressed\":[");
        for (int i = 0; i < es.size(); i++) {
            Site s = (Site) es.get(i)[0];
            if (i > 0) {
                b.append(',');
            }
            if (s.kind == K_VAR) {
                b.append("{\"type\":\"var\",\"file\":");
                q(b, s.file);
                b.append(",\"line\":").append(s.line).append(",\"name\":");
                q(b, s.name);
            } else {
                b.append("{\"type\":\"branch\",\"file\":");
                q(b, s.file);
                b.append(",\"site\":").append(s.line).append(",\"arm\":").append(s.arm);
            }
            b.append(",\"count\":").append((int) es.get(i)[1]).append('}');
        }
        b.append(']');
    }

    // a call over MAX_SPANS_PER_FUNCTION that is not written: counted
    static void omitCall(Span sp, long t1) {
        Site fn = sp.fn;
        long d = t1 - sp.t0;
        synchronized (fn) {
            fn.omitOne();
            fn.omDur += d;
            if (d > fn.omMax) {
                fn.omMax = d;
            }
            String type = null;
            if (sp.err != null) {
                fn.omFailed++;
                type = typeName(sp.err.getClass());
                countType(fn, type);
            }
            if (SLOWEST_CALLS > 0 && (fn.slow == null || fn.slow.size() < SLOWEST_CALLS
                    || d > fn.slow.get(fn.slow.size() - 1).d)) {
                sp.giveIds();
                StringBuilder b = new StringBuilder(128);
                b.append("{\"span_id\":\"");
                hex16(b, sp.id);
                b.append("\",\"start_unix_ns\":").append(baseUnix + sp.t0).append(",\"duration_ns\":").append(d);
                b.append(",\"args\":").append(argsJson(sp.args)).append(",\"return\":null,\"exception\":");
                if (sp.err != null) {
                    excJson(b, sp.err);
                } else {
                    b.append("null");
                }
                b.append('}');
                if (fn.slow == null) {
                    fn.slow = new ArrayList<>(SLOWEST_CALLS + 1);
                }
                int i = fn.slow.size();
                while (i > 0 && fn.slow.get(i - 1).d < d) {
                    i--;
                }
                fn.slow.add(i, new Slow(d, b.toString()));
                if (fn.slow.size() > SLOWEST_CALLS) {
                    fn.slow.remove(fn.slow.size() - 1);
                }
            }
        }
    }

    static void countType(Site s, String type) {
        if (s.omTypes == null) {
            s.omTypes = new LinkedHashMap<>();
        }
        long[] c = s.omTypes.get(type);
        if (c == null) {
            s.omTypes.put(type, c = new long[1]);
        }
        c[0]++;
    }

    // the loop events of a span (or a thread's root state), before its line
    static void loopEvents(StringBuilder b, Span sp, long tid, long t1) {
        if (sp.lfile == null) {
            return;
        }
        TState ts = TS.get(); // (the writing thread's, for its site cache)
        loopEvent(b, ts, sp, tid, sp.lfile, sp.lsite, sp.lkind, sp.ln, t1);
        if (sp.loops != null) {
            for (LoopCount c : sp.loops) {
                loopEvent(b, ts, sp, tid, c.file, c.site, c.kind, c.n, t1);
            }
        }
    }

    static void loopEvent(StringBuilder b, TState ts, Span sp, long tid, String file, int line, String kind, long n, long t1) {
        Site s = site(ts, K_LOOP, file, line, 0, kind);
        if (!s.take()) {
            synchronized (s) {
                s.omitOne();
                s.omIter += n;
                if (n > s.omMaxIter) {
                    s.omMaxIter = n;
                }
            }
            return;
        }
        head(b, "loop", sp, s, t1);
        b.append(",\"iterations\":").append(n).append(",\"target\":null,\"last\":null");
        tail(b, tid);
    }

    // ------------------------------------------------------------ point events

    static void head(StringBuilder b, String type, Span sp, Site s, long t) {
        b.append("{\"v\":1,\"type\":\"").append(type).append("\",\"lang\":\"java\",\"time_unix_ns\":").append(baseUnix + t);
        if (sp.fn == null) {
            b.append(",\"trace_id\":null,\"span_id\":null");
        } else {
            b.append(",\"trace_id\":\"").append(tracePrefix);
            hex16(b, sp.rootId);
            b.append("\",\"span_id\":\"");
            hex16(b, sp.id);
            b.append('"');
        }
        b.append(s.mid);
    }

    static void tail(StringBuilder b, long tid) {
        b.append(",\"pid\":").append(pidText).append(",\"tid\":").append(tid).append("}\n");
    }

    static Span target(TState ts) {
        Span sp = ts.cur;
        return sp != null ? sp : ts.root;
    }

    static void var0(String file, int line, String name, Object value) {
        if (dead) {
            return;
        }
        try {
            TState ts = TS.get();
            Span sp = target(ts);
            if (sp.quiet) {
                return;
            }
            Site s = site(ts, K_VAR, str(file), line, 0, str(name));
            if (!sp.count(s)) {
                return;
            }
            if (!s.take()) {
                // the last value: immutable ones kept as they are (formatted
                // at exit), others formatted now
                Object last = s.red ? REDACTED : immutable(value) ? value : new Formatted(fmt(value));
                synchronized (s) {
                    s.omitOne();
                    s.last = last;
                }
                return;
            }
            String val = s.red ? REDACTED : fmt(value);
            StringBuilder b = ts.sb;
            b.setLength(0);
            head(b, "var", sp, s, System.nanoTime());
            b.append(",\"value\":");
            q(b, val);
            tail(b, ts.tid);
            emit(b);
        } catch (Throwable t) {
            // never into the program
        }
    }

    static final class Formatted {
        final String text;

        Formatted(String text) {
            this.text = text;
        }
    }

    static boolean immutable(Object v) {
        return v == null || v instanceof String || v instanceof Integer || v instanceof Long || v instanceof Boolean
                || v instanceof Double || v instanceof Character || v instanceof Float || v instanceof Short
                || v instanceof Byte;
    }

    static void branch0(String file, int line, int arm) {
        if (dead) {
            return;
        }
        try {
            TState ts = TS.get();
            Span sp = target(ts);
            if (sp.quiet) {
                return;
            }
            Site s = site(ts, K_BRANCH, str(file), line, arm, "");
            if (!sp.count(s)) {
                return;
            }
            if (!s.take()) {
                synchronized (s) {
                    s.omitOne();
                }
                return;
            }
            StringBuilder b = ts.sb;
            b.setLength(0);
            head(b, "branch", sp, s, System.nanoTime());
            tail(b, ts.tid);
            emit(b);
        } catch (Throwable t) {
            // never into the program
        }
    }

    static void loop0(String file, int line, String kind) {
        if (dead) {
            return;
        }
        try {
            TState ts = TS.get();
            Span sp = ts.cur;
            if (sp == null) {
                sp = ts.root;
                synchronized (sp) { // (read at exit by the hook's thread)
                    sp.loop(str(file), line, kind);
                    if (!ts.rootListed) {
                        ts.rootListed = true;
                        ROOTS.add(ts);
                    }
                }
                return;
            }
            if (!sp.quiet) {
                sp.loop(str(file), line, kind);
            }
        } catch (Throwable t) {
            // never into the program
        }
    }

    static void exc0(String file, int line, Throwable t) {
        if (dead) {
            return;
        }
        try {
            TState ts = TS.get();
            Span sp = target(ts);
            if (sp.quiet) {
                return;
            }
            Site s = site(ts, K_EXC, str(file), line, 0, "");
            if (!s.take()) {
                String type = t == null ? "null" : typeName(t.getClass());
                synchronized (s) {
                    s.omitOne();
                    countType(s, type);
                }
                return;
            }
            StringBuilder b = ts.sb;
            b.setLength(0);
            head(b, "exception", sp, s, System.nanoTime());
            b.append(",\"exception\":");
            excJson(b, t);
            tail(b, ts.tid);
            emit(b);
        } catch (Throwable e) {
            // never into the program
        }
    }

    // ------------------------------------------------------------ exceptions

    // whether a class's getMessage() is the JDK's (an override of the
    // program is never run)
    static final ClassValue<Boolean> JDK_MESSAGE = new ClassValue<Boolean>() {
        @Override
        protected Boolean computeValue(Class<?> c) {
            try {
                Method m = c.getMethod("getMessage");
                return jdkClass(m.getDeclaringClass());
            } catch (Throwable t) {
                return false;
            }
        }
    };

    static boolean jdkClass(Class<?> c) {
        ClassLoader l = c.getClassLoader();
        return l == null || l == ClassLoader.getPlatformClassLoader();
    }

    static void excJson(StringBuilder b, Throwable t) {
        if (t == null) {
            b.append("{\"type\":\"null\",\"message\":null}");
            return;
        }
        b.append("{\"type\":");
        q(b, typeName(t.getClass()));
        b.append(",\"message\":");
        String m = null;
        try {
            if (JDK_MESSAGE.get(t.getClass())) {
                m = t.getMessage();
            }
        } catch (Throwable e) {
            m = null;
        }
        if (m == null) {
            b.append("null");
        } else {
            q(b, cut(m));
        }
        b.append('}');
    }

    static String typeName(Class<?> c) {
        String n = c.getName();
        if (n.startsWith("java.lang.") && n.indexOf('.', 10) < 0) {
            return n.substring(10);
        }
        return n;
    }

    // ------------------------------------------------------------ values

    static boolean redacted(String name) {
        if (name == null) {
            return false;
        }
        Boolean r = RED_CACHE.get(name);
        if (r == null) {
            r = RED.matcher(name).find();
            if (RED_CACHE.size() > 4096) {
                RED_CACHE.clear();
            }
            RED_CACHE.put(name, r);
        }
        return r;
    }

    static String cut(String s) {
        if (s.length() <= VALUE_CAP) {
            return s;
        }
        if (VALUE_CAP <= 3) {
            return s.substring(0, VALUE_CAP);
        }
        int n = VALUE_CAP - 3;
        if (Character.isHighSurrogate(s.charAt(n - 1))) {
            n--;
        }
        return s.substring(0, n) + "...";
    }

    /** A value as recorded: Java notation, capped, never running the program's code. */
    static String fmt(Object v) {
        StringBuilder b = new StringBuilder(16);
        try {
            fv(b, v, 0);
        } catch (Throwable t) {
            b.setLength(0);
            b.append('<').append(v == null ? "null" : typeName(v.getClass())).append(" object>");
        }
        return cut(b.toString());
    }

    static boolean full(StringBuilder b) {
        return b.length() > VALUE_CAP;
    }

    // JDK collections whose iteration runs JDK code only (exact classes)
    static final int SEQ = 1, MAP = 2;
    static final class Kinds {
        static final IdentityHashMap<Class<?>, Integer> COLLECTIONS = new IdentityHashMap<>();

        static {
            String[] seqs = {"java.util.ArrayList", "java.util.LinkedList", "java.util.ArrayDeque", "java.util.Vector",
                "java.util.Stack", "java.util.HashSet", "java.util.LinkedHashSet", "java.util.TreeSet",
                "java.util.PriorityQueue", "java.util.Arrays$ArrayList", "java.util.ImmutableCollections$List12",
                "java.util.ImmutableCollections$ListN", "java.util.ImmutableCollections$Set12",
                "java.util.ImmutableCollections$SetN", "java.util.Collections$EmptyList",
                "java.util.Collections$EmptySet", "java.util.Collections$SingletonList",
                "java.util.Collections$SingletonSet", "java.util.concurrent.CopyOnWriteArrayList",
                "java.util.concurrent.ConcurrentLinkedQueue", "java.util.concurrent.ConcurrentLinkedDeque",
                "java.util.concurrent.ConcurrentSkipListSet", "java.util.concurrent.LinkedBlockingQueue",
                "java.util.concurrent.ArrayBlockingQueue"};
            String[] maps = {"java.util.HashMap", "java.util.LinkedHashMap", "java.util.TreeMap", "java.util.Hashtable",
                "java.util.IdentityHashMap", "java.util.ImmutableCollections$Map1", "java.util.ImmutableCollections$MapN",
                "java.util.Collections$EmptyMap", "java.util.Collections$SingletonMap",
                "java.util.concurrent.ConcurrentHashMap", "java.util.concurrent.ConcurrentSkipListMap"};
            for (String n : seqs) {
                put(n, SEQ);
            }
            for (String n : maps) {
                put(n, MAP);
            }
        }

        static void put(String name, int kind) {
            try {
                Class<?> c = Class.forName(name, false, null);
                if (c.getClassLoader() == null) {
                    COLLECTIONS.put(c, kind);
                }
            } catch (Throwable t) {
                // not in this JDK
            }
        }

        static final String[] TO_STRING = {"java.util.UUID", "java.time.Instant", "java.time.Duration",
            "java.time.LocalDate", "java.time.LocalTime", "java.time.LocalDateTime", "java.time.OffsetDateTime",
            "java.time.OffsetTime", "java.time.ZonedDateTime", "java.time.Period", "java.time.Year",
            "java.time.YearMonth", "java.time.MonthDay", "java.time.ZoneOffset"};
        static final IdentityHashMap<Class<?>, Boolean> SAFE_TO_STRING = new IdentityHashMap<>();

        static {
            for (String n : TO_STRING) {
                try {
                    Class<?> c = Class.forName(n, false, null);
                    SAFE_TO_STRING.put(c, Boolean.TRUE);
                } catch (Throwable t) {
                    // not in this JDK
                }
            }
        }
    }

    static void fv(StringBuilder b, Object v, int depth) {
        if (v == null) {
            b.append("null");
            return;
        }
        Class<?> c = v.getClass();
        if (c == String.class) {
            quoteJava(b, (String) v, '"');
        } else if (c == Integer.class || c == Short.class || c == Byte.class || c == Boolean.class) {
            b.append(v.toString());
        } else if (c == Long.class) {
            b.append(((Long) v).longValue()).append('L');
        } else if (c == Double.class) {
            b.append(((Double) v).doubleValue());
        } else if (c == Float.class) {
            b.append(((Float) v).floatValue()).append('f');
        } else if (c == Character.class) {
            quoteJava(b, String.valueOf(((Character) v).charValue()), '\'');
        } else if (c.isArray()) {
            if (depth >= MAX_DEPTH) {
                b.append("[...]");
                return;
            }
            int n = Array.getLength(v);
            b.append('[');
            for (int i = 0; i < n; i++) {
                if (i > 0) {
                    b.append(", ");
                }
                if (full(b)) {
                    b.append("...");
                    break;
                }
                fv(b, Array.get(v, i), depth + 1);
            }
            b.append(']');
        } else if (v instanceof Enum) {
            Enum<?> e = (Enum<?>) v;
            b.append(e.getDeclaringClass().getSimpleName()).append('.').append(e.name());
        } else if (c == Class.class) {
            b.append(((Class<?>) v).getName()).append(".class");
        } else if (c == StringBuilder.class || c == StringBuffer.class) {
            CharSequence s = (CharSequence) v;
            int n = Math.min(s.length(), VALUE_CAP + 1);
            quoteJava(b, s.subSequence(0, n).toString(), '"');
        } else if (c == BigInteger.class) {
            BigInteger x = (BigInteger) v;
            if (x.bitLength() > 3000) {
                b.append("<BigInteger with ").append(x.bitLength()).append(" bits>");
            } else {
                b.append(x.toString());
            }
        } else if (c == BigDecimal.class) {
            BigDecimal x = (BigDecimal) v;
            int bits = x.unscaledValue().bitLength();
            if (bits > 3000 || Math.abs((long) x.scale()) > 3000) {
                b.append("<BigDecimal with ").append(bits).append(" bits>");
            } else {
                b.append(x.toString());
            }
        } else if (c == AtomicInteger.class) {
            b.append(((AtomicInteger) v).get());
        } else if (c == AtomicLong.class) {
            b.append(((AtomicLong) v).get()).append('L');
        } else if (c == Optional.class) {
            Optional<?> o = (Optional<?>) v;
            if (o.isPresent()) {
                b.append("Optional[");
                fv(b, o.get(), depth + 1);
                b.append(']');
            } else {
                b.append("Optional.empty");
            }
        } else if (Kinds.SAFE_TO_STRING.containsKey(c)) {
            b.append(v.toString());
        } else {
            Integer k = Kinds.COLLECTIONS.get(c);
            if (k == null) {
                b.append('<').append(typeName(c)).append(" object>");
            } else if (depth >= MAX_DEPTH) {
                b.append(k == SEQ ? "[...]" : "{...}");
            } else if (k == SEQ) {
                b.append('[');
                boolean first = true;
                for (Object o : (Collection<?>) v) {
                    if (!first) {
                        b.append(", ");
                    }
                    first = false;
                    if (full(b)) {
                        b.append("...");
                        break;
                    }
                    fv(b, o, depth + 1);
                }
                b.append(']');
            } else {
                b.append('{');
                boolean first = true;
                for (Map.Entry<?, ?> e : ((Map<?, ?>) v).entrySet()) {
                    if (!first) {
                        b.append(", ");
                    }
                    first = false;
                    if (full(b)) {
                        b.append("...");
                        break;
                    }
                    Object key = e.getKey();
                    fv(b, key, depth + 1);
                    b.append('=');
                    if (key instanceof String && redacted((String) key)) {
                        b.append(REDACTED);
                    } else {
                        fv(b, e.getValue(), depth + 1);
                    }
                }
                b.append('}');
            }
        }
    }

    // s as a Java literal in quote `qc` (at most VALUE_CAP + 1 of its chars)
    static void quoteJava(StringBuilder b, String s, char qc) {
        b.append(qc);
        int n = Math.min(s.length(), VALUE_CAP + 1);
        for (int i = 0; i < n; i++) {
            char ch = s.charAt(i);
            switch (ch) {
                case '\b':
                    b.append("\\b");
                    break;
                case '\t':
                    b.append("\\t");
                    break;
                case '\n':
                    b.append("\\n");
                    break;
                case '\f':
                    b.append("\\f");
                    break;
                case '\r':
                    b.append("\\r");
                    break;
                case '\\':
                    b.append("\\\\");
                    break;
                default:
                    if (ch == qc) {
                        b.append('\\').append(ch);
                    } else if (ch < 0x20 || ch == 0x7f) {
                        b.append("\\u");
                        hex4(b, ch);
                    } else {
                        b.append(ch);
                    }
            }
        }
        if (n < s.length()) {
            b.append("...");
        }
        b.append(qc);
    }

    // ------------------------------------------------------------ JSON text

    static final char[] HEX = "0123456789abcdef".toCharArray();

    static void hex16(StringBuilder b, long v) {
        for (int i = 60; i >= 0; i -= 4) {
            b.append(HEX[(int) (v >>> i) & 15]);
        }
    }

    static void hex4(StringBuilder b, int c) {
        b.append(HEX[(c >> 12) & 15]).append(HEX[(c >> 8) & 15]).append(HEX[(c >> 4) & 15]).append(HEX[c & 15]);
    }

    // s as a JSON string in ASCII (the trace file holds ASCII only)
    static void q(StringBuilder b, String s) {
        b.append('"');
        for (int i = 0, n = s.length(); i < n; i++) {
            char c = s.charAt(i);
            if (c >= 0x20 && c < 0x7f) {
                if (c == '"' || c == '\\') {
                    b.append('\\');
                }
                b.append(c);
            } else if (c == '\n') {
                b.append("\\n");
            } else if (c == '\t') {
                b.append("\\t");
            } else if (c == '\r') {
                b.append("\\r");
            } else {
                b.append("\\u");
                hex4(b, c);
            }
        }
        b.append('"');
    }

    // ------------------------------------------------------------ writing

    // one or more whole lines (ASCII) into the buffer
    static void emit(StringBuilder b) {
        if (dead) {
            return;
        }
        synchronized (LOCK) {
            int n = b.length();
            if (blen + n > buf.length) {
                flushLocked();
                if (dead) {
                    return;
                }
                if (n > buf.length) {
                    buf = new byte[n + FLUSH_BYTES];
                }
            }
            byte[] a = buf;
            int o = blen;
            for (int i = 0; i < n; i++) {
                a[o + i] = (byte) b.charAt(i);
            }
            blen = o + n;
            long now = System.nanoTime();
            if (blen >= FLUSH_BYTES || exiting || now - lastFlush > FLUSH_NS) {
                flushLocked();
            }
        }
    }

    static void flushLocked() {
        lastFlush = System.nanoTime();
        if (blen == 0 || dead) {
            blen = 0;
            return;
        }
        try {
            if (MAX_TRACE_BYTES > 0 && channel.size() >= MAX_TRACE_BYTES) {
                dead = true;
                blen = 0;
                StringBuilder t = new StringBuilder(128);
                t.append("{\"v\":1,\"type\":\"truncated\",\"lang\":\"java\",\"time_unix_ns\":")
                        .append(baseUnix + System.nanoTime()).append(",\"limit_bytes\":").append(MAX_TRACE_BYTES)
                        .append(",\"pid\":").append(pidText).append("}\n");
                byte[] x = new byte[t.length()];
                for (int i = 0; i < x.length; i++) {
                    x[i] = (byte) t.charAt(i);
                }
                out.write(x, 0, x.length);
                return;
            }
            out.write(buf, 0, blen);
        } catch (Throwable t) {
            dead = true;
            try {
                System.err.println("ctinject: cannot write the trace file: " + t + " (telemetry is off)");
            } catch (Throwable t2) {
                // nothing
            }
        }
        blen = 0;
    }

    static void flush() {
        synchronized (LOCK) {
            flushLocked();
        }
    }

    // the shutdown hook: loops outside spans, the summaries, the last lines
    static void atExit() {
        try {
            if (!dead) {
                long t = System.nanoTime();
                TState me = TS.get();
                for (TState ts : ROOTS) {
                    Span r = ts.root;
                    StringBuilder b = new StringBuilder(256);
                    synchronized (r) {
                        loopEvents(b, r, ts.tid, t);
                        r.lfile = null;
                        r.lsite = Integer.MIN_VALUE;
                        r.loops = null;
                    }
                    if (b.length() > 0) {
                        emit(b);
                    }
                }
                ROOTS.clear();
                Site s;
                while ((s = OMITTED.poll()) != null) {
                    StringBuilder b = me.sb;
                    b.setLength(0);
                    synchronized (s) {
                        summary(b, s, baseUnix + t);
                        s.omitted = 0;
                    }
                    emit(b);
                }
            }
        } catch (Throwable e) {
            // never into the program
        }
        synchronized (LOCK) {
            flushLocked();
            exiting = true; // later events (other shutdown hooks) are written at once
        }
    }

    static final String[] SUMMARY = {"calls", "vars", "branches", "loops", "exceptions"};

    static void summary(StringBuilder b, Site s, long time) {
        if (s.omitted == 0) {
            return;
        }
        b.append("{\"v\":1,\"type\":\"").append(SUMMARY[s.kind]).append("\",\"lang\":\"java\",\"time_unix_ns\":")
                .append(time).append(s.mid);
        switch (s.kind) {
            case K_FN:
                b.append(",\"recorded\":").append(s.calls.get() - s.omitted).append(",\"omitted\":").append(s.omitted)
                        .append(",\"omitted_duration_ns\":").append(s.omDur).append(",\"omitted_max_duration_ns\":")
                        .append(s.omMax).append(",\"omitted_failed\":").append(s.omFailed)
                        .append(",\"omitted_exceptions\":");
                types(b, s);
                b.append(",\"slowest\":[");
                if (s.slow != null) {
                    for (int i = 0; i < s.slow.size(); i++) {
                        if (i > 0) {
                            b.append(',');
                        }
                        b.append(s.slow.get(i).json);
                    }
                }
                b.append(']');
                break;
            case K_VAR:
                b.append(",\"recorded\":").append(s.recorded.get()).append(",\"omitted\":").append(s.omitted)
                        .append(",\"last\":");
                Object last = s.last;
                q(b, last instanceof Formatted ? ((Formatted) last).text : last == REDACTED ? REDACTED : fmt(last));
                break;
            case K_LOOP:
                b.append(",\"recorded\":").append(s.recorded.get()).append(",\"omitted\":").append(s.omitted)
                        .append(",\"omitted_iterations\":").append(s.omIter).append(",\"omitted_max_iterations\":")
                        .append(s.omMaxIter);
                break;
            case K_EXC:
                b.append(",\"recorded\":").append(s.recorded.get()).append(",\"omitted\":").append(s.omitted)
                        .append(",\"omitted_types\":");
                types(b, s);
                break;
            default:
                b.append(",\"recorded\":").append(s.recorded.get()).append(",\"omitted\":").append(s.omitted);
                break;
        }
        b.append(",\"pid\":").append(pidText).append("}\n");
    }

    static void types(StringBuilder b, Site s) {
        b.append('{');
        if (s.omTypes != null) {
            boolean first = true;
            for (Map.Entry<String, long[]> e : s.omTypes.entrySet()) {
                if (!first) {
                    b.append(',');
                }
                first = false;
                q(b, e.getKey());
                b.append(':').append(e.getValue()[0]);
            }
        }
        b.append('}');
    }

    // last: every other static field is initialized by now
    static {
        ON = init();
    }
}
