<?php
// Micro-benchmark of the PHP runtime: the per-call cost of a small
// instrumented function (a span with two arguments, a var, a branch and a
// loop of two iterations) against the same function without the calls.
// Usage: php [-d auto_prepend_file=ctinject.php] bench.php plain|inst CALLS; prints ns/call.
// run-runtime-tests.sh runs it with telemetry off, on (default caps: the
// first 1000 calls written, then counted) and on with every call written.

function plain($a, $i)
{
    $s = $a + $i;
    if (($s & 1) === 0) {
        $s++;
    }
    for ($k = 0; $k < 2; $k++) {
        $s += $k;
    }
    return $s & 0xffff;
}

function inst($a, $i) { $_ct_s = \CtInject::span('bench/bench.php', 21, 'inst', ['a' => $a, 'i' => $i]); try {
    $s = $a + $i; \CtInject::v('bench/bench.php', 22, 's', $s);
    if (($s & 1) === 0) { \CtInject::b('bench/bench.php', 23, 0);
        $s++;
    }
    for ($k = 0; $k < 2; $k++) { \CtInject::l('bench/bench.php', 26);
        $s += $k;
    }
    return $s & 0xffff;
} catch (\Throwable $_ct_t) { $_ct_s->fail($_ct_t); throw $_ct_t; } finally { $_ct_s->end(); } }

function run($f, $n)
{
    $t0 = hrtime(true);
    $acc = 0;
    for ($i = 0; $i < $n; $i++) {
        $acc = $f($acc, $i);
    }
    return hrtime(true) - $t0;
}

$f = $argv[1] === 'inst' ? 'inst' : 'plain';
$n = (int) $argv[2];
run($f, min($n, 20000)); // warm-up
$best = PHP_INT_MAX;
for ($r = 0; $r < 3; $r++) {
    $best = min($best, run($f, $n));
}
printf("%.2f\n", $best / $n);
