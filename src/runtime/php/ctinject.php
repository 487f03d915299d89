<?php
// ctinject runtime for PHP (written by ctinject; do not edit).
//
// Loading. The program loads this file before any instrumented code runs,
// in one of three ways:
//
//   php -d auto_prepend_file=/path/to/ctinject.php script.php
//       (or auto_prepend_file in php.ini, or php_value auto_prepend_file
//       in a web server's configuration)
//   require_once '/path/to/ctinject.php';      first in the program's bootstrap
//   "autoload": {"files": ["path/to/ctinject.php"]}   in composer.json
//
// It declares the class \CtInject in the global namespace (and the helper
// \CtInject\Flush); a second copy loaded in the same process declares
// nothing (the first one loaded is used). Core PHP only, PHP 7.4 or later
// (tested with 8.2); pcntl is used when it is there (see fork below).
//
// The calls that instrumented PHP source makes (F: the source path as
// recorded in events, a string literal; L/SITE/ARM: ints; N: a string
// literal like 'Shop::add'; $x a variable, $e the caught exception):
//
//   $_ct_s = \CtInject::span(F, L, N, ['a' => $a, 'b' => $b]); try {
//   $_ct_s = \CtInject::span(F, L, N); try {
//       right after the `{` of a function's or method's body: a call
//       starts, its span becomes the current span; the array holds its
//       recorded arguments (copied when the call starts: PHP arrays are
//       values, so later changes of the parameters are not seen)
//   } catch (\Throwable $_ct_t) { $_ct_s->fail($_ct_t); throw $_ct_t; } finally { $_ct_s->end(); }
//       right before the body's closing `}`: the call failed (the same
//       exception object goes on, with its own trace and line: PHP takes
//       them when the exception is made, not when it is thrown), it ended
//       (the span is written)
//   \CtInject::v(F, L, 'x', $x);   after a statement that sets $x: a var event
//   \CtInject::b(F, SITE, ARM);    first in an if/elseif/else block or a
//                                  switch case: a branch event
//   \CtInject::l(F, SITE);         first in a loop body (for, foreach,
//                                  while, do): one iteration
//                                  (l(F, SITE, 'while') names the kind)
//   \CtInject::x(F, L, $e);        first in a catch block: an exception event
//
// Arrow functions (fn() => ...) have no body to hold the calls and are not
// instrumented; match arms are expressions and get no branch events.
//
// Telemetry is on when CTINJECT_TRACE_FILE names a file and CTINJECT_DISABLE
// is not 1/true/yes/on (read once, when this file is loaded; under PHP-FPM
// getenv() sees the pool's env[...] settings, and each request is a run of
// its own). Off, every call returns at once (span() returns one shared
// no-op object) and no file is created; the program still builds the
// arguments' array of each span() call. On, events go to that file as JSON
// lines (schema: docs/events.md, "v":1) with "lang":"php" right after
// "type". What differs from the Python runtime:
//
//   - span: "module" null, "kind" "function" (methods, closures and
//     generators too), "return" null (not recorded), "args" the array given
//     to span(); a call that threw has status "error" and
//     "exception":{"type","message"}.
//   - pid: getmypid(); tid: always 0 (PHP runs a request on one thread; a
//     ZTS build's threads each have their own copy of this state).
//   - the current span is a stack (each span keeps the one current when it
//     started, its parent). A generator's span opens at its first step and
//     stays current when it yields (there is no call at a yield): spans and
//     events of its consumer between two steps belong to the generator's
//     span, until the generator returns, throws or is destroyed (PHP runs
//     the finally block of a generator destroyed while suspended, so its
//     span ends then, with status "ok"), or until the consumer's own call
//     ends (then the stack goes back to the consumer's parent). A span that
//     ends while another is current is taken off the stack only if it is
//     below the current one.
//   - loop events count iterations per loop site and span (one event per
//     loop and span, written before the span's line when it ends; loops
//     outside any span are counted per process and written at exit), with
//     "target" and "last" null and "kind" "for" unless l() was given one.
//   - exception type: the class's name (get_class: RuntimeException,
//     App\Errors\OutOfStock, class@anonymous); message: getMessage(), which
//     PHP declares final (no code of the program runs).
//   - values are PHP notation, made without running code of the program (no
//     __toString, __debugInfo, __get, offsetGet, getIterator, no autoload):
//       null, true, 42, 1.5, 1.0, INF, "text" (double-quoted and escaped as
//       in PHP source, \x.. for bytes that are not UTF-8), arrays as
//       [1, 2] or ["k" => v, 5 => w] (keys shown from the first one that
//       does not follow 0, 1, 2, ...; at most 6 levels, items until the
//       cap), enum cases as Suit::Hearts, resources as
//       resource(5) of type (stream), any other object as
//       <App\ClassName object> (closures <Closure object>).
//     A value is cut at VALUE_CAP characters (ending with "..."); the names
//     of arguments and variables, and the string keys of arrays, that
//     match REDACT record "[REDACTED]".
//   - caps: MAX_EVENTS_PER_SITE per span ("suppressed"),
//     MAX_EVENTS_PER_SITE_PER_PROCESS (vars/branches/loops/exceptions
//     summaries at exit), MAX_SPANS_PER_FUNCTION (calls summaries at exit;
//     failing calls over it written up to MAX_FAILURES_PER_FUNCTION),
//     MAX_TRACE_BYTES (truncated).
//   - writing: lines are buffered and written (one fwrite of whole lines,
//     one write(2), to the file opened for appending) when the buffer
//     passes 64 KiB, at least once a second while events come, and at the
//     end: a shutdown function (run at the script's end, at exit() and
//     after a fatal error, before the program's own shutdown functions and
//     again after them, with the summaries). Lines of later code (objects'
//     destructors) are written at once. exit() does not run finally
//     blocks: the spans open at an exit() are not written, nor are those
//     open at a fatal error (out of memory, time limit). A process killed
//     (SIGKILL) loses what was buffered.
//   - pcntl_fork(): the child is recognised at its first span start (or
//     at its first write, or at exit): from then on it has its own pid,
//     span ids, trace prefix, caps and summaries; the parent's buffered
//     lines it inherited are dropped (the parent writes them), and so is
//     what the child recorded before it was recognised. The spans open at
//     the fork are the child's parents too; both processes end them, and
//     the child's copy is written when it ends after the recognition.
//
// No call of this runtime throws into the program, emits a warning or a
// notice (the program's error handler is not called), changes what
// json_last_error(), preg_last_error() or error_get_last() return, uses
// mt_rand's state, or prints anything; the one exception is a trace file
// that cannot be opened: one line on standard error (once for a process
// and the children that inherit its environment) and telemetry off.
//
// Object handles: the runtime makes one object when it is loaded (the
// no-op span), and with telemetry on one per open span (and one at
// shutdown). Objects of the program made while spans are open therefore
// get other handles with telemetry on than off: var_dump()'s #N and
// spl_object_id() differ (spl_object_hash() too); nothing else does.

namespace CtInject {

if (!\class_exists('CtInject\Flush', false)) {

/** Its destructor writes the summaries when the last shutdown function did not run (internal). */
final class Flush
{
    public function __destruct()
    {
        \CtInject::atExit();
    }
}

}

}

namespace {

if (!\class_exists('CtInject', false)) {

final class CtInject
{
    // ------------------------------------------------------------ configuration
    // Fixed here for now: ctinject will bake its configuration (values.cap,
    // values.redact, runtime.*) into these constants when it writes this
    // file. (0 means no cap for the MAX_* settings.)
    const VALUE_CAP = 200;
    const REDACT = '/passw|secret|token|api_?key|auth|credential|private_?key|session|cookie/i';
    const MAX_EVENTS_PER_SITE = 16;
    const MAX_EVENTS_PER_SITE_PER_PROCESS = 200;
    const MAX_SPANS_PER_FUNCTION = 200;
    const MAX_FAILURES_PER_FUNCTION = 100;
    const SLOWEST_CALLS = 5;
    const MAX_TRACE_BYTES = 1000000000;

    const MAX_DEPTH = 6;
    const FLUSH_BYTES = 65536;
    const FLUSH_NS = 1000000000;
    const REDACTED = '[REDACTED]';

    const K_FN = 0;
    const K_VAR = 1;
    const K_BRANCH = 2;
    const K_LOOP = 3;
    const K_EXC = 4;

    // ------------------------------------------------------------ a span (instances)
    // One object per open span, and one shared object (the no-op span that
    // span() returns with telemetry off, which also holds the state of
    // events outside any span). Sites are kept in arrays, not objects.

    private $fn = 0;            // the function's site id (0: the shared object)
    /** @var CtInject|null the span current when it started: its parent */
    private $prev = null;
    private $id = 0;            // 0: none yet (a quiet span)
    private $hex = null;        // its id, 16 hex digits
    private $trace = null;      // its trace id, 32 hex digits
    private $phex = null;       // its parent's id
    private $idj = null;        // ,"trace_id":..,"span_id":.. of its events
    private $t0 = 0;
    private $quiet = false;     // over MAX_SPANS_PER_FUNCTION: written only if it fails
    private $done = false;
    private $args = null;       // a quiet span's arguments, formatted only if needed
    private $argsJson = '{}';
    private $err = null;        // what it failed with
    private $counts = null;     // site id => events of var and branch sites
    private $over = false;
    private $loops = null;      // file => site => iterations
    private $lkinds = null;     // file => site => kind, for kinds other than "for"

    /** The call is failing with $t (the caller rethrows it). */
    public function fail($t = null)
    {
        if ($this->fn !== 0 && $t !== null) {
            $this->err = $t;
        }
    }

    /** The call ended: its span is written (the events of the call first). */
    public function end()
    {
        if ($this->fn === 0) {
            return;
        }
        try {
            $t1 = \hrtime(true);
            $c = self::$cur;
            if ($c === $this) {
                self::$cur = $this->prev;
            } elseif ($c !== null) {
                // (a generator's span left current by a yield, or a span never
                // ended: this span is taken off only if it is below them)
                for ($p = $c->prev; $p !== null; $p = $p->prev) {
                    if ($p === $this) {
                        self::$cur = $this->prev;
                        break;
                    }
                }
            }
            if ($this->done) {
                return;
            }
            $this->done = true;
            if (self::$dead) {
                return;
            }
            self::finish($this, $t1);
        } catch (\Throwable $t) {
            // never into the program
        }
    }

    // ids for a quiet span, when a child or its own line needs them
    private function giveIds()
    {
        if ($this->id !== 0 || $this->fn === 0) {
            return;
        }
        $this->id = self::$nextId++;
        $this->hex = \sprintf('%016x', $this->id);
        $p = $this->prev;
        if ($p === null) {
            $this->trace = self::$prefix . $this->hex;
        } else {
            $p->giveIds();
            $this->trace = $p->trace;
            $this->phex = $p->hex;
        }
    }

    // ,"trace_id":"..","span_id":".." of its point events
    private function idJson()
    {
        if ($this->fn === 0) {
            return $this->idj = ',"trace_id":null,"span_id":null';
        }
        $this->giveIds();
        return $this->idj = ',"trace_id":"' . $this->trace . '","span_id":"' . $this->hex . '"';
    }

    // ------------------------------------------------------------ state

    private static $on = false;
    private static $dead = false;       // truncated or a write failed: record nothing more
    private static $exiting = false;    // after the last shutdown function: lines written at once
    private static $exited = false;
    private static $cur = null;         // the current span
    /** @var CtInject */
    private static $noop = null;        // the shared object (and the state outside spans)
    private static $fh = null;
    private static $buf = '';
    private static $lastFlush = 0;
    private static $baseUnix = 0;       // unix ns minus hrtime
    private static $pid = 0;
    private static $ptail = '';         // ,"pid":N,"tid":0
    private static $tail = '';          // ,"pid":N,"tid":0}\n
    private static $prefix = '0000000000000000';
    private static $nextId = 1;
    private static $forkable = false;   // pcntl_fork can be called: the pid is checked
    private static $flushObj = null;
    private static $errText = null;

    // sites: file => line => name (or arm) => id, and their figures by id
    private static $fsites = [];
    private static $vsites = [];
    private static $bsites = [];
    private static $lsites = [];
    private static $xsites = [];
    private static $nsites = 0;
    private static $sKind = [];
    private static $sFile = [];
    private static $sLine = [];
    private static $sArm = [];
    private static $sName = [];
    private static $sMid = [];          // its JSON keys after the ids
    private static $sRed = [];          // a redacted variable
    private static $sRec = [];          // events written (functions: calls)
    private static $sFailed = [];       // functions: failing calls over the cap
    private static $sOm = [];           // omitted events or calls
    private static $sOmDur = [];
    private static $sOmMax = [];
    private static $sOmFailed = [];
    private static $sOmIter = [];
    private static $sOmMaxIter = [];
    private static $sLast = [];         // vars: the last omitted value (a PHP value is a copy)
    private static $sTypes = [];        // exception types of omitted events or calls
    private static $sSlow = [];         // functions: the slowest omitted calls, [duration, json]
    private static $omitted = [];       // ids of sites with omitted events, in order

    private static $redCache = [];
    private static $esc = [];           // strtr maps: PHP string escapes
    private static $escBin = [];        // ... and of bytes that are not UTF-8
    private static $jesc = [];          // ... JSON escapes of ASCII
    private static $fb = '';            // the value being formatted

    // characters that need no escape in a PHP "..." string (SAFE) or JSON (SAFEJ)
    const SAFE = "etaoinsrhldcumfpgwybvkxjqz_ETAOINSRHLDCUMFPGWYBVKXJQZ0123456789 .,:;-+*/=!?'#%&()<>@[]^`{|}~";
    const SAFEJ = self::SAFE . '$';
    const NOT_SAFE = '/[^ !#%-\[\]-~]/';
    const NOT_SAFEJ = '/[^ !#-\[\]-~]/';
    const HIGH = '/[\x80-\xff]/';

    // ------------------------------------------------------------ the API

    /**
     * A call starts: its span, made the current span. $args: parameter name => value.
     * @return CtInject
     */
    public static function span($file, $line, $name, $args = null)
    {
        if (!self::$on) {
            return self::$noop;
        }
        try {
            if (self::$dead) {
                return self::$noop;
            }
            if (self::$forkable && \getmypid() !== self::$pid) {
                self::forked();
            }
            if (!\is_string($file) || !\is_int($line) || !\is_string($name)) {
                $file = self::str0($file);
                $line = self::int0($line);
                $name = self::str0($name);
            }
            $fn = self::$fsites[$file][$line][$name] ?? self::site(self::K_FN, $file, $line, 0, $name);
            $parent = self::$cur;
            $sp = new self();
            $sp->fn = $fn;
            $sp->prev = $parent;
            if (self::MAX_SPANS_PER_FUNCTION > 0 && ++self::$sRec[$fn] > self::MAX_SPANS_PER_FUNCTION) {
                $sp->quiet = true;
                $sp->args = $args;
            } else {
                $id = self::$nextId++;
                $sp->id = $id;
                $sp->hex = $hex = \sprintf('%016x', $id);
                if ($parent === null) {
                    $sp->trace = self::$prefix . $hex;
                } else {
                    if ($parent->id === 0) {
                        $parent->giveIds();
                    }
                    $sp->trace = $parent->trace;
                    $sp->phex = $parent->hex;
                }
                if ($args !== null) {
                    $sp->argsJson = self::argsJson($args);
                }
            }
            $sp->t0 = \hrtime(true);
            self::$cur = $sp; // (last: nothing after it can fail)
            return $sp;
        } catch (\Throwable $t) {
            return self::$noop;
        }
    }

    /** Variable $name was set to $value at $line: a var event. */
    public static function v($file, $line, $name, $value)
    {
        if (!self::$on) {
            return;
        }
        try {
            $sp = self::$cur ?? self::$noop;
            if ($sp->quiet || self::$dead) {
                return;
            }
            if (!\is_string($file) || !\is_int($line) || !\is_string($name)) {
                $file = self::str0($file);
                $line = self::int0($line);
                $name = self::str0($name);
            }
            $s = self::$vsites[$file][$line][$name] ?? self::site(self::K_VAR, $file, $line, 0, $name);
            $n = ($sp->counts[$s] ?? 0) + 1;
            $sp->counts[$s] = $n;
            if (self::MAX_EVENTS_PER_SITE > 0 && $n > self::MAX_EVENTS_PER_SITE) {
                $sp->over = true;
                return;
            }
            if (self::MAX_EVENTS_PER_SITE_PER_PROCESS > 0 && self::$sRec[$s] >= self::MAX_EVENTS_PER_SITE_PER_PROCESS) {
                if (self::$sOm[$s]++ === 0) {
                    self::$omitted[] = $s;
                }
                self::$sLast[$s] = self::$sRed[$s] ? null : $value;
                return;
            }
            self::$sRec[$s]++;
            $now = \hrtime(true);
            self::$buf .= '{"v":1,"type":"var","lang":"php","time_unix_ns":' . (self::$baseUnix + $now)
                . ($sp->idj ?? $sp->idJson()) . self::$sMid[$s] . ',"value":'
                . (self::$sRed[$s] ? '"[REDACTED]"' : (\is_int($value) ? '"' . $value . '"' : self::q(self::fmt($value))))
                . self::$tail;
            if (\strlen(self::$buf) >= self::FLUSH_BYTES || $now - self::$lastFlush > self::FLUSH_NS || self::$exiting) {
                self::flush($now);
            }
        } catch (\Throwable $t) {
            // never into the program
        }
    }

    /** Arm $arm of the branch point at line $site was taken: a branch event. */
    public static function b($file, $site, $arm)
    {
        if (!self::$on) {
            return;
        }
        try {
            $sp = self::$cur ?? self::$noop;
            if ($sp->quiet || self::$dead) {
                return;
            }
            if (!\is_string($file) || !\is_int($site) || !\is_int($arm)) {
                $file = self::str0($file);
                $site = self::int0($site);
                $arm = self::int0($arm);
            }
            $s = self::$bsites[$file][$site][$arm] ?? self::site(self::K_BRANCH, $file, $site, $arm, '');
            $n = ($sp->counts[$s] ?? 0) + 1;
            $sp->counts[$s] = $n;
            if (self::MAX_EVENTS_PER_SITE > 0 && $n > self::MAX_EVENTS_PER_SITE) {
                $sp->over = true;
                return;
            }
            if (self::MAX_EVENTS_PER_SITE_PER_PROCESS > 0 && self::$sRec[$s] >= self::MAX_EVENTS_PER_SITE_PER_PROCESS) {
                if (self::$sOm[$s]++ === 0) {
                    self::$omitted[] = $s;
                }
                return;
            }
            self::$sRec[$s]++;
            $now = \hrtime(true);
            self::$buf .= '{"v":1,"type":"branch","lang":"php","time_unix_ns":' . (self::$baseUnix + $now)
                . ($sp->idj ?? $sp->idJson()) . self::$sMid[$s] . self::$tail;
            if (\strlen(self::$buf) >= self::FLUSH_BYTES || $now - self::$lastFlush > self::FLUSH_NS || self::$exiting) {
                self::flush($now);
            }
        } catch (\Throwable $t) {
            // never into the program
        }
    }

    /** One iteration of the loop at line $site (of kind $kind: "for", "while", ...). */
    public static function l($file, $site, $kind = null)
    {
        if (!self::$on) {
            return;
        }
        try {
            $sp = self::$cur ?? self::$noop;
            if ($sp->quiet || self::$dead) {
                return;
            }
            if (!\is_string($file) || !\is_int($site)) {
                $file = self::str0($file);
                $site = self::int0($site);
            }
            $sp->loops[$file][$site] = ($sp->loops[$file][$site] ?? 0) + 1;
            if ($kind !== null && $kind !== 'for' && \is_string($kind)) {
                $sp->lkinds[$file][$site] = $kind;
            }
        } catch (\Throwable $t) {
            // never into the program
        }
    }

    /** A catch block at $line was entered with $e: an exception event. */
    public static function x($file, $line, $e = null)
    {
        if (!self::$on) {
            return;
        }
        try {
            $sp = self::$cur ?? self::$noop;
            if ($sp->quiet || self::$dead) {
                return;
            }
            if (!\is_string($file) || !\is_int($line)) {
                $file = self::str0($file);
                $line = self::int0($line);
            }
            $s = self::$xsites[$file][$line] ?? self::site(self::K_EXC, $file, $line, 0, '');
            if (self::MAX_EVENTS_PER_SITE_PER_PROCESS > 0 && self::$sRec[$s] >= self::MAX_EVENTS_PER_SITE_PER_PROCESS) {
                if (self::$sOm[$s]++ === 0) {
                    self::$omitted[] = $s;
                }
                $type = self::typeOf($e);
                self::$sTypes[$s][$type] = (self::$sTypes[$s][$type] ?? 0) + 1;
                return;
            }
            self::$sRec[$s]++;
            $now = \hrtime(true);
            self::$buf .= '{"v":1,"type":"exception","lang":"php","time_unix_ns":' . (self::$baseUnix + $now)
                . ($sp->idj ?? $sp->idJson()) . self::$sMid[$s] . ',"exception":' . self::excJson($e) . self::$tail;
            if (\strlen(self::$buf) >= self::FLUSH_BYTES || $now - self::$lastFlush > self::FLUSH_NS || self::$exiting) {
                self::flush($now);
            }
        } catch (\Throwable $t) {
            // never into the program
        }
    }

    // ------------------------------------------------------------ start, fork

    /** (internal) reads the environment and opens the trace file, once, when this file is loaded */
    public static function init()
    {
        if (self::$noop !== null) {
            return;
        }
        self::$noop = new self();
        try {
            $path = \getenv('CTINJECT_TRACE_FILE');
            if (!\is_string($path) || $path === '') {
                return;
            }
            $d = \getenv('CTINJECT_DISABLE');
            if (\is_string($d) && \in_array(\strtolower(\trim($d)), ['1', 'true', 'yes', 'on'], true)) {
                return;
            }
            $abs = $path[0] === '/' || $path[0] === '\\' || (\strlen($path) > 2 && $path[1] === ':');
            if (!$abs) {
                $cwd = \getcwd();
                if (\is_string($cwd)) {
                    $path = \rtrim($cwd, '/\\') . '/' . $path;
                }
            }
            self::$errText = null;
            \set_error_handler([self::class, 'quietError']);
            try {
                $dir = \dirname($path);
                if (!\is_dir($dir)) {
                    \mkdir($dir, 0777, true);
                }
                $fh = \fopen($path, 'ab');
            } finally {
                \restore_error_handler();
            }
            if (!\is_resource($fh)) {
                $why = self::$errText;
                if (\is_string($why) && ($i = \strpos($why, '): ')) !== false) {
                    $why = \substr($why, $i + 3);
                }
                self::sayOnce('ctinject: cannot write the trace file ' . $path . ' (CTINJECT_TRACE_FILE)'
                    . (\is_string($why) ? ': ' . $why : '') . '; no telemetry is recorded');
                return;
            }
            self::$fh = $fh;
            $esc = [];
            $jesc = [];
            for ($i = 0; $i < 32; $i++) {
                $esc[\chr($i)] = \sprintf('\\x%02X', $i);
                $jesc[\chr($i)] = \sprintf('\\u%04x', $i);
            }
            $esc["\n"] = $jesc["\n"] = '\\n';
            $esc["\t"] = $jesc["\t"] = '\\t';
            $esc["\r"] = $jesc["\r"] = '\\r';
            $esc["\f"] = $jesc["\f"] = '\\f';
            $esc["\v"] = '\\v';
            $esc["\x1b"] = '\\e';
            $esc["\x7f"] = '\\x7F';
            $esc['"'] = $jesc['"'] = '\\"';
            $esc['\\'] = $jesc['\\'] = '\\\\';
            $esc['$'] = '\\$';
            self::$esc = $esc;
            self::$jesc = $jesc;
            for ($i = 128; $i < 256; $i++) {
                $esc[\chr($i)] = \sprintf('\\x%02X', $i);
            }
            self::$escBin = $esc;
            self::$forkable = \function_exists('pcntl_fork');
            self::process();
            \register_shutdown_function([self::class, 'atShutdown']);
            self::$on = true;
        } catch (\Throwable $t) {
            self::$on = false;
        }
    }

    /** (internal) the error handler around the runtime's own file calls: the program's is not called */
    public static function quietError($no, $str)
    {
        self::$errText = $str;
        return true;
    }

    private static function sayOnce($text)
    {
        $w = \getenv('CTINJECT_TRACE_WARNED');
        if (\is_string($w) && $w !== '') {
            return;
        }
        \putenv('CTINJECT_TRACE_WARNED=1');
        \set_error_handler([self::class, 'quietError']);
        try {
            $e = \fopen('php://stderr', 'wb');
            if (\is_resource($e)) {
                \fwrite($e, $text . "\n");
                \fclose($e);
            }
        } finally {
            \restore_error_handler();
        }
    }

    // the process's pid, clock and random ids (at start and in a forked child)
    private static function process()
    {
        $pid = \getmypid();
        self::$pid = \is_int($pid) ? $pid : 0;
        self::$ptail = ',"pid":' . self::$pid . ',"tid":0';
        self::$tail = self::$ptail . "}\n";
        $mono = \hrtime(true);
        $tv = \gettimeofday();
        self::$baseUnix = $tv['sec'] * 1000000000 + $tv['usec'] * 1000 - $mono;
        self::$lastFlush = $mono;
        try {
            $r = \random_bytes(16); // (never the program's mt_rand state)
        } catch (\Throwable $t) {
            $r = \hash('sha256', $mono . ':' . self::$pid . ':' . \microtime(), true);
        }
        self::$prefix = \bin2hex(\substr($r, 0, 8));
        $n = \unpack('J', \substr($r, 8, 8))[1] & 0x0fffffffffffffff;
        self::$nextId = $n === 0 ? 1 : $n;
    }

    // in a forked child: the buffer is the parent's to write; the child counts afresh
    private static function forked()
    {
        self::$buf = '';
        self::process();
        self::$fsites = self::$vsites = self::$bsites = self::$lsites = self::$xsites = [];
        self::$sKind = self::$sFile = self::$sLine = self::$sArm = self::$sName = self::$sMid = self::$sRed = [];
        self::$sRec = self::$sFailed = self::$sOm = self::$sOmDur = self::$sOmMax = self::$sOmFailed = [];
        self::$sOmIter = self::$sOmMaxIter = self::$sLast = self::$sTypes = self::$sSlow = [];
        self::$omitted = [];
        $r = self::$noop;
        $r->counts = $r->loops = $r->lkinds = null;
    }

    // ------------------------------------------------------------ sites

    private static function site($kind, $file, $line, $arm, $name)
    {
        // (ids go on counting in a forked child: a span open at the fork keeps its own)
        $s = ++self::$nsites;
        $f = self::q($file);
        switch ($kind) {
            case self::K_FN:
                $mid = ',"name":' . self::q($name) . ',"module":null,"file":' . $f . ',"line":' . $line . ',"kind":"function"';
                self::$fsites[$file][$line][$name] = $s;
                break;
            case self::K_VAR:
                $mid = ',"file":' . $f . ',"line":' . $line . ',"name":' . self::q($name);
                self::$vsites[$file][$line][$name] = $s;
                break;
            case self::K_BRANCH:
                $mid = ',"file":' . $f . ',"line":' . $line . ',"site":' . $line . ',"arm":' . $arm;
                self::$bsites[$file][$line][$arm] = $s;
                break;
            case self::K_LOOP:
                $mid = ',"file":' . $f . ',"line":' . $line . ',"site":' . $line . ',"kind":' . self::q($name);
                self::$lsites[$file][$line] = $s;
                break;
            default:
                $mid = ',"file":' . $f . ',"line":' . $line;
                self::$xsites[$file][$line] = $s;
                break;
        }
        self::$sKind[$s] = $kind;
        self::$sFile[$s] = $file;
        self::$sLine[$s] = $line;
        self::$sArm[$s] = $arm;
        self::$sName[$s] = $name;
        self::$sMid[$s] = $mid;
        self::$sRed[$s] = $kind === self::K_VAR && self::redacted($name);
        self::$sRec[$s] = 0;
        self::$sOm[$s] = 0;
        return $s;
    }

    private static function str0($s)
    {
        if (\is_string($s)) {
            return $s;
        }
        if (\is_int($s) || \is_float($s)) {
            return (string) $s;
        }
        if (\is_bool($s)) {
            return $s ? 'true' : 'false';
        }
        return 'null';
    }

    private static function int0($n)
    {
        if (\is_int($n)) {
            return $n;
        }
        if (\is_string($n) && \is_numeric($n)) {
            $n = (float) $n;
        }
        if (\is_float($n) && \is_finite($n) && \abs($n) < 9.2e18) {
            return (int) $n;
        }
        if (\is_bool($n)) {
            return $n ? 1 : 0;
        }
        return 0;
    }

    // ------------------------------------------------------------ spans

    private static function argsJson($args)
    {
        if (!\is_array($args)) {
            return '{}';
        }
        $out = '';
        foreach ($args as $k => $v) {
            $k = (string) $k;
            $out .= ($out === '' ? '{' : ',') . self::q($k) . ':'
                . (self::redacted($k) ? '"[REDACTED]"' : (\is_int($v) ? '"' . $v . '"' : self::q(self::fmt($v))));
        }
        return $out === '' ? '{}' : $out . '}';
    }

    private static function finish($sp, $t1)
    {
        $fn = $sp->fn;
        $failed = $sp->err !== null;
        if ($sp->quiet) {
            if (!$failed || (self::MAX_FAILURES_PER_FUNCTION > 0
                    && (self::$sFailed[$fn] = (self::$sFailed[$fn] ?? 0) + 1) > self::MAX_FAILURES_PER_FUNCTION)) {
                self::omitCall($sp, $t1);
                return;
            }
            $sp->giveIds();
            $sp->argsJson = self::argsJson($sp->args);
        }
        self::$buf .= ($sp->loops !== null ? self::loopEvents($sp, $t1) : '')
            . '{"v":1,"type":"span","lang":"php","trace_id":"' . $sp->trace . '","span_id":"' . $sp->hex
            . ($sp->phex === null ? '","parent_id":null' : '","parent_id":"' . $sp->phex . '"')
            . self::$sMid[$fn] . ',"start_unix_ns":' . (self::$baseUnix + $sp->t0) . ',"duration_ns":' . ($t1 - $sp->t0)
            . ',"args":' . $sp->argsJson
            . ($failed ? ',"return":null,"status":"error","exception":' . self::excJson($sp->err)
                : ',"return":null,"status":"ok","exception":null')
            . self::$ptail . ($sp->over ? self::suppressed($sp) : '') . "}\n";
        if (\strlen(self::$buf) >= self::FLUSH_BYTES || $t1 - self::$lastFlush > self::FLUSH_NS || self::$exiting) {
            self::flush($t1);
        }
    }

    private static function suppressed($sp)
    {
        $keys = [];
        foreach ($sp->counts as $s => $n) {
            if ($n > self::MAX_EVENTS_PER_SITE && isset(self::$sKind[$s])) {
                $keys[$s] = [self::$sLine[$s], self::$sKind[$s], self::$sName[$s], self::$sArm[$s]];
            }
        }
        if (!$keys) {
            return '';
        }
        \asort($keys);
        $out = '';
        foreach ($keys as $s => $k) {
            $out .= ($out === '' ? ',"suppressed":[' : ',') . (self::$sKind[$s] === self::K_VAR
                ? '{"type":"var","file":' . self::q(self::$sFile[$s]) . ',"line":' . self::$sLine[$s]
                    . ',"name":' . self::q(self::$sName[$s])
                : '{"type":"branch","file":' . self::q(self::$sFile[$s]) . ',"site":' . self::$sLine[$s]
                    . ',"arm":' . self::$sArm[$s])
                . ',"count":' . ($sp->counts[$s] - self::MAX_EVENTS_PER_SITE) . '}';
        }
        return $out . ']';
    }

    // a call over MAX_SPANS_PER_FUNCTION that is not written: counted
    private static function omitCall($sp, $t1)
    {
        $fn = $sp->fn;
        $d = $t1 - $sp->t0;
        if (self::$sOm[$fn]++ === 0) {
            self::$omitted[] = $fn;
            self::$sOmDur[$fn] = self::$sOmMax[$fn] = self::$sOmFailed[$fn] = 0;
        }
        self::$sOmDur[$fn] += $d;
        if ($d > self::$sOmMax[$fn]) {
            self::$sOmMax[$fn] = $d;
        }
        if ($sp->err !== null) {
            self::$sOmFailed[$fn]++;
            $type = self::typeOf($sp->err);
            self::$sTypes[$fn][$type] = (self::$sTypes[$fn][$type] ?? 0) + 1;
        }
        if (self::SLOWEST_CALLS > 0) {
            $slow = self::$sSlow[$fn] ?? [];
            $k = \count($slow);
            if ($k < self::SLOWEST_CALLS || $d > $slow[$k - 1][0]) {
                $sp->giveIds();
                $json = '{"span_id":"' . $sp->hex . '","start_unix_ns":' . (self::$baseUnix + $sp->t0)
                    . ',"duration_ns":' . $d . ',"args":' . self::argsJson($sp->args) . ',"return":null,"exception":'
                    . ($sp->err !== null ? self::excJson($sp->err) : 'null') . '}';
                $i = $k;
                while ($i > 0 && $slow[$i - 1][0] < $d) {
                    $i--;
                }
                \array_splice($slow, $i, 0, [[$d, $json]]);
                if (\count($slow) > self::SLOWEST_CALLS) {
                    \array_pop($slow);
                }
                self::$sSlow[$fn] = $slow;
            }
        }
    }

    // the loop events of a span (or of the state outside spans)
    private static function loopEvents($sp, $t1)
    {
        $out = '';
        $ids = $sp->idj ?? $sp->idJson();
        foreach ($sp->loops as $file => $sites) {
            $file = (string) $file;
            foreach ($sites as $line => $n) {
                $s = self::$lsites[$file][$line] ?? self::site(self::K_LOOP, $file, $line, 0,
                    $sp->lkinds[$file][$line] ?? 'for');
                if (self::MAX_EVENTS_PER_SITE_PER_PROCESS > 0 && self::$sRec[$s] >= self::MAX_EVENTS_PER_SITE_PER_PROCESS) {
                    if (self::$sOm[$s]++ === 0) {
                        self::$omitted[] = $s;
                        self::$sOmIter[$s] = self::$sOmMaxIter[$s] = 0;
                    }
                    self::$sOmIter[$s] += $n;
                    if ($n > self::$sOmMaxIter[$s]) {
                        self::$sOmMaxIter[$s] = $n;
                    }
                    continue;
                }
                self::$sRec[$s]++;
                $out .= '{"v":1,"type":"loop","lang":"php","time_unix_ns":' . (self::$baseUnix + $t1) . $ids
                    . self::$sMid[$s] . ',"iterations":' . $n . ',"target":null,"last":null' . self::$tail;
            }
        }
        $sp->loops = null;
        return $out;
    }

    // ------------------------------------------------------------ exceptions

    private static function typeOf($e)
    {
        if (\is_object($e)) {
            return self::className($e);
        }
        return $e === null ? 'null' : \gettype($e);
    }

    private static function excJson($e)
    {
        if (!($e instanceof \Throwable)) {
            return '{"type":' . self::q(self::typeOf($e)) . ',"message":null}';
        }
        try {
            $m = $e->getMessage(); // (final in Exception and Error: no code of the program)
        } catch (\Throwable $t) {
            $m = null;
        }
        return '{"type":' . self::q(self::className($e)) . ',"message":'
            . (\is_string($m) ? self::q(self::cut($m)) : 'null') . '}';
    }

    private static function className($o)
    {
        $c = \get_class($o);
        $p = \strpos($c, "\0"); // (class@anonymous\0/path/to/file.php:12$0)
        return $p === false ? $c : \substr($c, 0, $p);
    }

    // ------------------------------------------------------------ strings
    // preg_* and json_encode are used only when the program has no error
    // of theirs pending, with patterns that cannot fail: preg_last_error()
    // and json_last_error() stay what the program left.

    // whether s matches one of the patterns above
    private static function has($pattern, $s)
    {
        if (\preg_last_error() === \PREG_NO_ERROR) {
            return \preg_match($pattern, $s) === 1;
        }
        switch ($pattern) {
            case self::NOT_SAFE:
                return \strspn($s, self::SAFE) !== \strlen($s);
            case self::NOT_SAFEJ:
                return \strspn($s, self::SAFEJ) !== \strlen($s);
            default:
                for ($i = 0, $n = \strlen($s); $i < $n; $i++) {
                    if (\ord($s[$i]) >= 0x80) {
                        return true;
                    }
                }
                return false;
        }
    }

    private static function redacted($name)
    {
        $r = self::$redCache[$name] ?? null;
        if ($r === null) {
            if (\preg_last_error() !== \PREG_NO_ERROR) {
                // (a pattern of the form a|b_?c|..., as substrings)
                $r = false;
                $body = \trim(\substr(self::REDACT, 1, \strrpos(self::REDACT, '/') - 1), '^$');
                foreach (\explode('|', $body) as $alt) {
                    foreach ([\str_replace('_?', '_', $alt), \str_replace('_?', '', $alt)] as $a) {
                        if ($a !== '' && \stripos($name, $a) !== false) {
                            $r = true;
                        }
                    }
                }
                return $r;
            }
            $r = \preg_match(self::REDACT, $name) === 1;
            if (\count(self::$redCache) > 4096) {
                self::$redCache = [];
            }
            self::$redCache[$name] = $r;
        }
        return $r;
    }

    // s as JSON text, ASCII only (other characters as \u escapes)
    private static function q($s)
    {
        if (\json_last_error() === \JSON_ERROR_NONE) {
            $j = \json_encode($s, \JSON_UNESCAPED_SLASHES | \JSON_INVALID_UTF8_SUBSTITUTE);
            if (\is_string($j)) {
                return $j;
            }
        }
        if (!self::has(self::NOT_SAFEJ, $s)) {
            return '"' . $s . '"';
        }
        if (!self::has(self::HIGH, $s)) {
            return '"' . \strtr($s, self::$jesc) . '"';
        }
        // UTF-8 to \u escapes, by hand (rare: the program has a JSON error pending)
        $out = '';
        $n = \strlen($s);
        for ($i = 0; $i < $n;) {
            $c = \ord($s[$i]);
            if ($c < 0x80) {
                $out .= self::$jesc[$s[$i]] ?? $s[$i];
                $i++;
                continue;
            }
            $len = $c >= 0xf0 ? 4 : ($c >= 0xe0 ? 3 : ($c >= 0xc2 ? 2 : 0));
            $ch = $len > 0 && $c < 0xf5 ? \substr($s, $i, $len) : '';
            if ($ch === '' || \strlen($ch) < $len || \htmlspecialchars($ch, \ENT_NOQUOTES, 'UTF-8') === '') {
                $out .= '\\ufffd';
                $i++;
                continue;
            }
            $cp = $len === 2 ? (($c & 0x1f) << 6) | (\ord($ch[1]) & 0x3f)
                : ($len === 3 ? (($c & 0x0f) << 12) | ((\ord($ch[1]) & 0x3f) << 6) | (\ord($ch[2]) & 0x3f)
                : (($c & 0x07) << 18) | ((\ord($ch[1]) & 0x3f) << 12) | ((\ord($ch[2]) & 0x3f) << 6) | (\ord($ch[3]) & 0x3f));
            if ($cp >= 0x10000) {
                $cp -= 0x10000;
                $out .= \sprintf('\\u%04x\\u%04x', 0xd800 | ($cp >> 10), 0xdc00 | ($cp & 0x3ff));
            } else {
                $out .= \sprintf('\\u%04x', $cp);
            }
            $i += $len;
        }
        return '"' . $out . '"';
    }

    // at most VALUE_CAP characters, else cut with "..."
    private static function cut($s)
    {
        $cap = self::VALUE_CAP;
        $n = \strlen($s);
        if ($n <= $cap) {
            return $s;
        }
        $k = $cap > 3 ? $cap - 3 : $cap;
        if (!self::has(self::HIGH, $s)) {
            return \substr($s, 0, $k) . ($cap > 3 ? '...' : '');
        }
        // UTF-8: count characters (bytes that are not 10xxxxxx)
        $c = 0;
        for ($i = 0; $i < $n; $i++) {
            if ((\ord($s[$i]) & 0xc0) !== 0x80) {
                if (++$c > $cap) {
                    break;
                }
            }
        }
        if ($c <= $cap) {
            return $s;
        }
        $c = 0;
        for ($i = 0; $i < $n; $i++) {
            if ((\ord($s[$i]) & 0xc0) !== 0x80 && ++$c > $k) {
                break;
            }
        }
        return \substr($s, 0, $i) . ($cap > 3 ? '...' : '');
    }

    // ------------------------------------------------------------ values

    /** A value as recorded: PHP notation, capped, never running the program's code. */
    private static function fmt($v)
    {
        self::$fb = '';
        try {
            self::fv($v, 0);
            $s = self::$fb;
        } catch (\Throwable $t) {
            $s = \is_object($v) ? '<' . self::className($v) . ' object>' : '<' . \gettype($v) . '>';
        }
        self::$fb = '';
        return \strlen($s) <= self::VALUE_CAP ? $s : self::cut($s);
    }

    private static function fv($v, $depth)
    {
        if (\is_int($v)) {
            self::$fb .= $v;
        } elseif (\is_string($v)) {
            self::$fb .= self::phpStr($v);
        } elseif ($v === null) {
            self::$fb .= 'null';
        } elseif (\is_bool($v)) {
            self::$fb .= $v ? 'true' : 'false';
        } elseif (\is_float($v)) {
            self::$fb .= \var_export($v, true);
        } elseif (\is_array($v)) {
            if ($depth >= self::MAX_DEPTH) {
                self::$fb .= '[...]';
                return;
            }
            self::$fb .= '[';
            $i = 0;
            $list = true;
            foreach ($v as $k => $x) {
                if ($i > 0) {
                    self::$fb .= ', ';
                }
                if (\strlen(self::$fb) > self::VALUE_CAP) {
                    self::$fb .= '...';
                    break;
                }
                if ($list && $k !== $i) {
                    $list = false;
                }
                if (!$list) {
                    self::$fb .= (\is_int($k) ? $k : self::phpStr($k)) . ' => ';
                }
                if (\is_string($k) && self::redacted($k)) {
                    self::$fb .= self::REDACTED;
                } else {
                    self::fv($x, $depth + 1);
                }
                $i++;
            }
            self::$fb .= ']';
        } elseif (\is_object($v)) {
            if ($v instanceof \UnitEnum) {
                self::$fb .= self::className($v) . '::' . $v->name;
            } else {
                self::$fb .= '<' . self::className($v) . ' object>';
            }
        } elseif (\is_resource($v)) {
            self::$fb .= 'resource(' . (int) $v . ') of type (' . \get_resource_type($v) . ')';
        } else {
            $t = \gettype($v);
            self::$fb .= $t === 'resource (closed)' ? 'resource(' . (int) $v . ') of type (Unknown)' : '<' . $t . '>';
        }
    }

    // a PHP double-quoted string literal of s (cut after about VALUE_CAP characters)
    private static function phpStr($s)
    {
        $n = \strlen($s);
        if ($n <= self::VALUE_CAP && !self::has(self::NOT_SAFE, $s)) {
            return '"' . $s . '"';
        }
        $more = false;
        $max = self::VALUE_CAP * 4 + 4;
        if ($n > $max) {
            $s = \substr($s, 0, $max);
            $more = true;
        }
        if (!self::has(self::HIGH, $s)) {
            return '"' . \strtr($s, self::$esc) . ($more ? '...' : '') . '"';
        }
        // valid UTF-8 stays as it is (htmlspecialchars returns '' for invalid UTF-8)
        $utf8 = \htmlspecialchars($s, \ENT_NOQUOTES, 'UTF-8') !== '';
        for ($k = 1; !$utf8 && $more && $k <= 3; $k++) {
            // (a character cut in two at the end)
            if (\htmlspecialchars(\substr($s, 0, $max - $k), \ENT_NOQUOTES, 'UTF-8') !== '') {
                $s = \substr($s, 0, $max - $k);
                $utf8 = true;
            }
        }
        return '"' . \strtr($s, $utf8 ? self::$esc : self::$escBin) . ($more ? '...' : '') . '"';
    }

    // ------------------------------------------------------------ writing

    private static function flush($now)
    {
        self::$lastFlush = $now;
        if (self::$buf === '' || self::$dead) {
            self::$buf = '';
            return;
        }
        if (self::$forkable && \getmypid() !== self::$pid) {
            self::forked(); // (the buffer was the parent's, and what this child added before its first span)
            return;
        }
        $data = self::$buf;
        self::$buf = '';
        self::$errText = null;
        \set_error_handler([self::class, 'quietError']);
        try {
            if (self::MAX_TRACE_BYTES > 0) {
                $st = \fstat(self::$fh);
                if (\is_array($st) && $st['size'] >= self::MAX_TRACE_BYTES) {
                    self::$dead = true;
                    \fwrite(self::$fh, '{"v":1,"type":"truncated","lang":"php","time_unix_ns":' . (self::$baseUnix + \hrtime(true))
                        . ',"limit_bytes":' . self::MAX_TRACE_BYTES . ',"pid":' . self::$pid . "}\n");
                    return;
                }
            }
            $w = \fwrite(self::$fh, $data);
            if ($w !== \strlen($data)) {
                self::$dead = true;
                $e = \fopen('php://stderr', 'wb');
                if (\is_resource($e)) {
                    \fwrite($e, 'ctinject: cannot write the trace file'
                        . (\is_string(self::$errText) ? ': ' . self::$errText : '') . "; no telemetry is recorded\n");
                    \fclose($e);
                }
            }
        } catch (\Throwable $t) {
            self::$dead = true;
        } finally {
            \restore_error_handler();
        }
    }

    /** (internal) the first shutdown function: writes the buffer, registers the last one */
    public static function atShutdown()
    {
        try {
            if (!self::$on || self::$exited) {
                return;
            }
            self::flush(\hrtime(true));
            \register_shutdown_function([self::class, 'atExit']);
            // (and if a shutdown function of the program calls exit(), which
            // skips the later ones: the destructors still run)
            self::$flushObj = new CtInject\Flush();
        } catch (\Throwable $t) {
            // never into the program
        }
    }

    /** (internal) after the program's shutdown functions: loops outside spans, the summaries, the last lines */
    public static function atExit()
    {
        if (!self::$on || self::$exited) {
            return;
        }
        self::$exited = true;
        try {
            if (self::$forkable && \getmypid() !== self::$pid) {
                self::forked();
            }
            if (!self::$dead) {
                $t = \hrtime(true);
                $r = self::$noop;
                if ($r->loops !== null) {
                    self::$buf .= self::loopEvents($r, $t);
                }
                $om = self::$omitted;
                self::$omitted = [];
                foreach ($om as $s) {
                    self::$buf .= self::summary($s, self::$baseUnix + $t);
                    self::$sOm[$s] = 0;
                }
            }
        } catch (\Throwable $e) {
            // never into the program
        }
        try {
            self::flush(\hrtime(true));
        } catch (\Throwable $e) {
            // never into the program
        }
        self::$exiting = true; // later events (destructors) are written at once
    }

    const SUMMARY = ['calls', 'vars', 'branches', 'loops', 'exceptions'];

    private static function summary($s, $time)
    {
        $om = self::$sOm[$s];
        if ($om === 0) {
            return '';
        }
        $kind = self::$sKind[$s];
        $out = '{"v":1,"type":"' . self::SUMMARY[$kind] . '","lang":"php","time_unix_ns":' . $time . self::$sMid[$s];
        switch ($kind) {
            case self::K_FN:
                $slow = '';
                foreach (self::$sSlow[$s] ?? [] as $i => $e) {
                    $slow .= ($i > 0 ? ',' : '') . $e[1];
                }
                $out .= ',"recorded":' . (self::$sRec[$s] - $om) . ',"omitted":' . $om
                    . ',"omitted_duration_ns":' . self::$sOmDur[$s] . ',"omitted_max_duration_ns":' . self::$sOmMax[$s]
                    . ',"omitted_failed":' . self::$sOmFailed[$s] . ',"omitted_exceptions":' . self::types($s)
                    . ',"slowest":[' . $slow . ']';
                break;
            case self::K_VAR:
                $out .= ',"recorded":' . self::$sRec[$s] . ',"omitted":' . $om . ',"last":'
                    . (self::$sRed[$s] ? '"[REDACTED]"' : self::q(self::fmt(self::$sLast[$s] ?? null)));
                break;
            case self::K_LOOP:
                $out .= ',"recorded":' . self::$sRec[$s] . ',"omitted":' . $om
                    . ',"omitted_iterations":' . self::$sOmIter[$s] . ',"omitted_max_iterations":' . self::$sOmMaxIter[$s];
                break;
            case self::K_EXC:
                $out .= ',"recorded":' . self::$sRec[$s] . ',"omitted":' . $om . ',"omitted_types":' . self::types($s);
                break;
            default:
                $out .= ',"recorded":' . self::$sRec[$s] . ',"omitted":' . $om;
                break;
        }
        return $out . ',"pid":' . self::$pid . "}\n";
    }

    private static function types($s)
    {
        $out = '';
        foreach (self::$sTypes[$s] ?? [] as $type => $n) {
            $out .= ($out === '' ? '' : ',') . self::q((string) $type) . ':' . $n;
        }
        return '{' . $out . '}';
    }
}

CtInject::init();

}

}
