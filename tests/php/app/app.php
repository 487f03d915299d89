<?php
// The runtime tests' program: scenarios chosen by the first argument, each
// instrumented by hand in the forms ctinject's model inserts (on the lines
// of the code they follow, as the model inserts them). Its output must be
// the same with telemetry on and off (run-runtime-tests.sh compares them);
// check.py reads the events. Run with
//   php -d auto_prepend_file=src/runtime/php/ctinject.php tests/php/app/app.php SCENARIO

// Code of the program that must never run from the runtime: each counts.
$GLOBALS['sideEffects'] = 0;

class Loud
{
    public $secret = 'x';
    public function __toString(): string { $GLOBALS['sideEffects']++; return 'loud'; }
    public function __debugInfo() { $GLOBALS['sideEffects']++; return []; }
    public function __get($n) { $GLOBALS['sideEffects']++; return 1; }
    public function __isset($n) { $GLOBALS['sideEffects']++; return true; }
}

class LoudList implements ArrayAccess, IteratorAggregate, Countable, JsonSerializable
{
    public function offsetExists($o): bool { $GLOBALS['sideEffects']++; return true; }
    public function offsetGet($o): mixed { $GLOBALS['sideEffects']++; return 1; }
    public function offsetSet($o, $v): void { $GLOBALS['sideEffects']++; }
    public function offsetUnset($o): void { $GLOBALS['sideEffects']++; }
    public function getIterator(): Iterator { $GLOBALS['sideEffects']++; return new ArrayIterator([1]); }
    public function count(): int { $GLOBALS['sideEffects']++; return 1; }
    public function jsonSerialize(): mixed { $GLOBALS['sideEffects']++; return 1; }
}

class OwnError extends RuntimeException
{
    public function __toString(): string { $GLOBALS['sideEffects']++; return 'own'; }
}

enum Color: string
{
    case Red = 'r';
    case Green = 'g';
}

function add($a, $b) { $_ct_s = \CtInject::span('app/app.php', 43, 'add', ['a' => $a, 'b' => $b]); try {
    $sum = $a + $b; \CtInject::v('app/app.php', 44, 'sum', $sum);
    return $sum;
} catch (\Throwable $_ct_t) { $_ct_s->fail($_ct_t); throw $_ct_t; } finally { $_ct_s->end(); } }

function div($a, $b) { $_ct_s = \CtInject::span('app/app.php', 48, 'div', ['a' => $a, 'b' => $b]); try {
    return intdiv($a, $b);
} catch (\Throwable $_ct_t) { $_ct_s->fail($_ct_t); throw $_ct_t; } finally { $_ct_s->end(); } }

$GLOBALS['thrown'] = null;

function load($key, $password) { $_ct_s = \CtInject::span('app/app.php', 54, 'load', ['key' => $key, 'password' => $password]); try {
    $apiKey = 'k-' . $key; \CtInject::v('app/app.php', 55, 'apiKey', $apiKey);
    if (strncmp($key, 'missing', 7) === 0) { \CtInject::b('app/app.php', 56, 0);
        $GLOBALS['thrown'] = new RuntimeException("no such key: $key");
        throw $GLOBALS['thrown'];
    } else { \CtInject::b('app/app.php', 56, 1);
    }
    return strtoupper($key);
} catch (\Throwable $_ct_t) { $_ct_s->fail($_ct_t); throw $_ct_t; } finally { $_ct_s->end(); } }

function total(array $xs) { $_ct_s = \CtInject::span('app/app.php', 64, 'total', ['xs' => $xs]); try {
    $t = 0;
    foreach ($xs as $x) { \CtInject::l('app/app.php', 66);
        $t += $x; \CtInject::v('app/app.php', 67, 't', $t);
    }
    $i = 0;
    while ($i < 3) { \CtInject::l('app/app.php', 70, 'while');
        $i++;
    }
    return $t + add($t, 1) - add($t, 1);
} catch (\Throwable $_ct_t) { $_ct_s->fail($_ct_t); throw $_ct_t; } finally { $_ct_s->end(); } }

function values($loud, $list) { $_ct_s = \CtInject::span('app/app.php', 76, 'values', ['loud' => $loud, 'list' => $list]); try {
    $mixed = [1, "two\n\"q\" \$x", 2.5, 1.0, null, true, new Loud(), Color::Green, -0.0]; \CtInject::v('app/app.php', 77, 'mixed', $mixed);
    $m = ['user' => 'ann', 'session_id' => 's3cr3t', 'nested' => [1, 2], 7 => 'seven']; \CtInject::v('app/app.php', 78, 'm', $m);
    $sparse = [0 => 'a', 1 => 'b', 5 => 'c', 6 => 'd']; \CtInject::v('app/app.php', 79, 'sparse', $sparse);
    $big = str_repeat('x', 500); \CtInject::v('app/app.php', 80, 'big', $big);
    $ints = array_fill(0, 3000, 0); \CtInject::v('app/app.php', 81, 'ints', $ints);
    $pi = 3.25; \CtInject::v('app/app.php', 82, 'pi', $pi);
    $unicode = "h\u{e9}\u{20ac}\u{1F600}"; \CtInject::v('app/app.php', 83, 'unicode', $unicode);
    $bytes = "a\xff\x00b"; \CtInject::v('app/app.php', 84, 'bytes', $bytes);
    $deep = [[[[[[[1]]]]]]]; \CtInject::v('app/app.php', 85, 'deep', $deep);
    $fn = function () { return 1; }; \CtInject::v('app/app.php', 86, 'fn', $fn);
    $anon = new class { }; \CtInject::v('app/app.php', 87, 'anon', $anon);
    $own = new OwnError('the message'); \CtInject::v('app/app.php', 88, 'own', $own);
    $authHeader = 'Bearer abc'; \CtInject::v('app/app.php', 89, 'authHeader', $authHeader);
    $res = fopen('php://memory', 'r'); \CtInject::v('app/app.php', 90, 'res', $res);
    fclose($res); \CtInject::v('app/app.php', 91, 'res', $res);
    $inf = -INF; \CtInject::v('app/app.php', 92, 'inf', $inf);
    $longUnicode = str_repeat("\u{e9}", 300); \CtInject::v('app/app.php', 93, 'longUnicode', $longUnicode);
    try {
        throw new OwnError('own message');
    } catch (OwnError $e) { \CtInject::x('app/app.php', 96, $e);
    }
} catch (\Throwable $_ct_t) { $_ct_s->fail($_ct_t); throw $_ct_t; } finally { $_ct_s->end(); } }

function basic() { $_ct_s = \CtInject::span('app/app.php', 100, 'basic'); try {
    echo 'total ', total([1, 2, 3, 4]), "\n";
    echo 'load ', load('cart', 'hunter2'), "\n";
    try {
        load('missing:7', 'hunter2');
    } catch (RuntimeException $e) { \CtInject::x('app/app.php', 105, $e);
        // the same object, with the line and trace it was made with
        echo 'caught ', $e->getMessage(), ' same ', var_export($e === $GLOBALS['thrown'], true), ' line ', $e->getLine(), "\n";
        echo $e->getTraceAsString(), "\n";
    }
    try {
        div(1, 0);
    } catch (DivisionByZeroError $e) { \CtInject::x('app/app.php', 112, $e);
        echo 'caught ', $e->getMessage(), "\n";
    }
    values(new Loud(), new LoudList());
    echo 'side effects ', $GLOBALS['sideEffects'], "\n";
} catch (\Throwable $_ct_t) { $_ct_s->fail($_ct_t); throw $_ct_t; } finally { $_ct_s->end(); } }

// outside any span: top-level code
function outside()
{
    $outsideVar = 42; \CtInject::v('app/app.php', 122, 'outsideVar', $outsideVar);
    for ($i = 0; $i < 7; $i++) { \CtInject::l('app/app.php', 123);
    }
    echo "outside done\n";
}

// a function called more often than MAX_SPANS_PER_FUNCTION (1000 in caps1000)
function hot($i) { $_ct_s = \CtInject::span('app/app.php', 129, 'hot', ['i' => $i]); try {
    \CtInject::v('app/app.php', 130, 'i', $i);
    if ($i % 100 === 99) { \CtInject::b('app/app.php', 131, 0);
        if ($i >= 1200) { \CtInject::b('app/app.php', 132, 0);
            throw new InvalidArgumentException("bad $i");
        }
        add($i, $i);
    }
    for ($k = 0; $k < 2; $k++) { \CtInject::l('app/app.php', 137);
    }
    return $i;
} catch (\Throwable $_ct_t) { $_ct_s->fail($_ct_t); throw $_ct_t; } finally { $_ct_s->end(); } }

function inSpan() { $_ct_s = \CtInject::span('app/app.php', 142, 'inSpan'); try {
    for ($k = 0; $k < 20; $k++) { \CtInject::l('app/app.php', 143);
        \CtInject::v('app/app.php', 144, 'k', $k);
        switch ($k % 2) {
            case 0: \CtInject::b('app/app.php', 146, 0);
                break;
            default: \CtInject::b('app/app.php', 146, 1);
        }
    }
} catch (\Throwable $_ct_t) { $_ct_s->fail($_ct_t); throw $_ct_t; } finally { $_ct_s->end(); } }

function branchy($i) { $_ct_s = \CtInject::span('app/app.php', 153, 'branchy', ['i' => $i]); try {
    if ($i >= 0) { \CtInject::b('app/app.php', 154, 0);
        return $i;
    }
    return -$i;
} catch (\Throwable $_ct_t) { $_ct_s->fail($_ct_t); throw $_ct_t; } finally { $_ct_s->end(); } }

function manyCatches() { $_ct_s = \CtInject::span('app/app.php', 160, 'manyCatches'); try {
    $n = 0;
    for ($i = 0; $i < 300; $i++) { \CtInject::l('app/app.php', 162);
        try {
            if ($i % 3 === 0) {
                throw new LogicException("s$i");
            }
            throw new UnexpectedValueException("u$i");
        } catch (Exception $e) { \CtInject::x('app/app.php', 168, $e);
            $n++;
        }
    }
    return $n;
} catch (\Throwable $_ct_t) { $_ct_s->fail($_ct_t); throw $_ct_t; } finally { $_ct_s->end(); } }

function caps()
{
    $failures = 0;
    for ($i = 0; $i < 1500; $i++) {
        try {
            hot($i);
        } catch (InvalidArgumentException $e) { \CtInject::x('app/app.php', 181, $e);
            $failures++;
        }
    }
    inSpan();
    for ($i = 0; $i < 300; $i++) {
        branchy($i);
    }
    echo "failures $failures, caught ", manyCatches(), "\n";
}

// generators: the span opens at the first step and stays current across yields
function gen($n) { $_ct_s = \CtInject::span('app/app.php', 193, 'gen', ['n' => $n]); try {
    for ($i = 0; $i < $n; $i++) { \CtInject::l('app/app.php', 194);
        yield $i;
    }
    return "done $n";
} catch (\Throwable $_ct_t) { $_ct_s->fail($_ct_t); throw $_ct_t; } finally { $_ct_s->end(); } }

function consume() { $_ct_s = \CtInject::span('app/app.php', 200, 'consume'); try {
    $g = gen(3);
    foreach ($g as $v) {
        add($v, 100);
    }
    echo 'returned ', $g->getReturn(), "\n";
    $g2 = gen(5);
    foreach ($g2 as $v) {
        if ($v === 1) {
            break;
        }
    }
    unset($g2); // destroyed while suspended: its finally runs
    echo "abandoned\n";
    $g3 = gen(2);
    $g3->current();
    try {
        $g3->throw(new LogicException('thrown in'));
    } catch (LogicException $e) { \CtInject::x('app/app.php', 218, $e);
        echo 'thrown ', $e->getMessage(), "\n";
    }
    $g4 = gen(4);
    $g4->current();
    return $g4; // suspended: consume ends first
} catch (\Throwable $_ct_t) { $_ct_s->fail($_ct_t); throw $_ct_t; } finally { $_ct_s->end(); } }

function generators() { $_ct_s = \CtInject::span('app/app.php', 226, 'generators'); try {
    $g4 = consume();
    add(1, 1); // the stack is back: generators' span is the parent
    $g4->next();
    unset($g4);
    add(2, 2);
} catch (\Throwable $_ct_t) { $_ct_s->fail($_ct_t); throw $_ct_t; } finally { $_ct_s->end(); } }

// the program's JSON and PCRE error states and its error handler are left alone
function errstate() { $_ct_s = \CtInject::span('app/app.php', 235, 'errstate'); try {
    $calls = 0;
    set_error_handler(function () use (&$calls) { $calls++; return true; });
    $x = json_decode('{'); \CtInject::v('app/app.php', 238, 'x', $x);
    $s = "caf\u{e9} \"quoted\""; \CtInject::v('app/app.php', 239, 's', $s);
    echo 'json_last_error ', json_last_error(), "\n";
    $r = preg_match('//u', "\xff"); \CtInject::v('app/app.php', 241, 'r', $r);
    $t = "na\u{ef}ve \\ \$x"; \CtInject::v('app/app.php', 242, 't', $t);
    $password2 = 'p'; \CtInject::v('app/app.php', 243, 'password2', $password2);
    echo 'preg_last_error ', preg_last_error(), "\n";
    try {
        throw new Exception("with \u{e9}");
    } catch (Exception $e) { \CtInject::x('app/app.php', 247, $e);
    }
    echo 'json_last_error ', json_last_error(), ', preg_last_error ', preg_last_error(), "\n";
    echo 'handler calls ', $calls, ', last error ', var_export(error_get_last(), true), "\n";
    echo 'mt_rand ', mt_srand(7) ?? '', mt_rand(), "\n";
    restore_error_handler();
} catch (\Throwable $_ct_t) { $_ct_s->fail($_ct_t); throw $_ct_t; } finally { $_ct_s->end(); } }

// pcntl_fork: the child has its own pid and ids, under the span open at the fork
function child() { $_ct_s = \CtInject::span('app/app.php', 256, 'child'); try {
    add(5, 6);
} catch (\Throwable $_ct_t) { $_ct_s->fail($_ct_t); throw $_ct_t; } finally { $_ct_s->end(); } }

function forker() { $_ct_s = \CtInject::span('app/app.php', 260, 'forker'); try {
    add(1, 2);
    $pid = pcntl_fork();
    if ($pid === 0) {
        child();
        exit(0);
    }
    pcntl_waitpid($pid, $status);
    add(3, 4);
    echo 'child exited ', pcntl_wexitstatus($status), "\n";
} catch (\Throwable $_ct_t) { $_ct_s->fail($_ct_t); throw $_ct_t; } finally { $_ct_s->end(); } }

// events in shutdown functions and destructors; exit() in a shutdown function
class Closer
{
    public function __destruct() { $_ct_s = \CtInject::span('app/app.php', 275, 'Closer::__destruct'); try {
        add(9, 9);
    } catch (\Throwable $_ct_t) { $_ct_s->fail($_ct_t); throw $_ct_t; } finally { $_ct_s->end(); } }
}

function shutdown()
{
    for ($i = 0; $i < 1005; $i++) {
        add($i, 0);
    }
    $GLOBALS['closer'] = new Closer();
    register_shutdown_function(function () {
        add(7, 8);
        echo "shutdown function\n";
        exit(4);
    });
    echo "exiting\n";
}

// odd arguments: nothing reaches the program
function odd() { $_ct_s = \CtInject::span(null, -5, null, ['a' => 1, 2 => 'odd', 'x' => [1 => 2]]); try {
    \CtInject::v(null, 1, null, new stdClass());
    \CtInject::v('app/app.php', 1.5, 'x', null);
    \CtInject::b(null, '2', -1);
    \CtInject::l(null, PHP_INT_MIN);
    \CtInject::l('app/app.php', 3, null);
    \CtInject::l(['arr'], 3, 7);
    \CtInject::x('app/app.php', 4, null);
    \CtInject::x(null, 1 << 30, new Error());
    \CtInject::x('app/app.php', 5, 'a string');
    \CtInject::span('app/app.php', 9, 'unended', 'not an array');
    $_ct_s->fail(null);
    echo "odd done\n";
} catch (\Throwable $_ct_t) { $_ct_s->fail($_ct_t); throw $_ct_t; } finally { $_ct_s->end(); } }

function worker($n) { $_ct_s = \CtInject::span('app/app.php', 310, 'worker', ['n' => $n]); try {
    for ($i = 0; $i < 5; $i++) { \CtInject::l('app/app.php', 311);
        add($n, $i);
    }
} catch (\Throwable $_ct_t) { $_ct_s->fail($_ct_t); throw $_ct_t; } finally { $_ct_s->end(); } }

function flood()
{
    for ($i = 0; $i < 20000; $i++) {
        worker($i);
    }
    echo "flood done\n";
}

function exitWith($code) { $_ct_s = \CtInject::span('app/app.php', 324, 'exitWith', ['code' => $code]); try {
    add($code, 0);
    exit($code);
} catch (\Throwable $_ct_t) { $_ct_s->fail($_ct_t); throw $_ct_t; } finally { $_ct_s->end(); } }

function hog() { $_ct_s = \CtInject::span('app/app.php', 329, 'hog'); try {
    add(1, 1);
    $a = [];
    while (true) {
        $a[] = str_repeat('x', 1 << 20);
    }
} catch (\Throwable $_ct_t) { $_ct_s->fail($_ct_t); throw $_ct_t; } finally { $_ct_s->end(); } }

$what = $argv[1] ?? 'basic';
switch ($what) {
    case 'basic':
        outside();
        basic();
        break;
    case 'caps':
        caps();
        break;
    case 'generators':
        generators();
        break;
    case 'errstate':
        errstate();
        break;
    case 'fork':
        forker();
        break;
    case 'shutdown':
        shutdown();
        break;
    case 'odd':
        odd();
        break;
    case 'flood':
        flood();
        break;
    case 'fail':
        // an uncaught exception: the spans are written, the exit code is 255
        echo "about to fail\n";
        div(3, 0);
        break;
    case 'exit':
        echo "exiting with 3\n";
        exitWith(3);
        break;
    case 'fatal':
        // out of memory: the spans that ended are written at shutdown
        ini_set('memory_limit', '64M');
        echo "about to run out of memory\n";
        hog();
        break;
    default:
        echo "unknown scenario $what\n";
}
