<?php
// The shapes of functions and methods the inserted calls must work in
// (php -l, and the same output, exceptions and exit code with telemetry
// on and off), instrumented as ctinject's model does: every call on the
// line of the code it follows. Arrow functions (fn() => ...) have no body
// and are not instrumented.
//
// Generators: the span opens at the first step (the body does not run at
// the call). A `return $v;` inside the try sets getReturn() as usual. A
// `yield` inside the try/finally: the span stays open (and current) while
// the generator is suspended; if the generator is destroyed before it
// finishes, PHP runs the finally block then, so the span ends there with
// status ok; an exception thrown in with ->throw() goes through the catch
// (status error) and on to the caller of throw().

namespace Shop;

interface Priced
{
    public function price(): float;
}

abstract class Base implements Priced
{
    abstract protected function name(): string;
}

final class Cart extends Base
{
    private array $items = [];
    public static int $made = 0;

    // a constructor with promoted properties
    public function __construct(public string $owner, private float $discount = 0.0) { $_ct_s = \CtInject::span('forms/forms.php', 34, 'Shop\Cart::__construct', ['owner' => $owner, 'discount' => $discount]); try {
        self::$made++;
    } catch (\Throwable $_ct_t) { $_ct_s->fail($_ct_t); throw $_ct_t; } finally { $_ct_s->end(); } }

    protected function name(): string { $_ct_s = \CtInject::span('forms/forms.php', 38, 'Shop\Cart::name'); try {
        return 'cart of ' . $this->owner;
    } catch (\Throwable $_ct_t) { $_ct_s->fail($_ct_t); throw $_ct_t; } finally { $_ct_s->end(); } }

    // returns $this (fluent), a nullable parameter
    public function add(string $sku, int $qty = 1, ?float $price = null): static { $_ct_s = \CtInject::span('forms/forms.php', 43, 'Shop\Cart::add', ['sku' => $sku, 'qty' => $qty, 'price' => $price]); try {
        if ($qty <= 0) { \CtInject::b('forms/forms.php', 44, 0);
            throw new \InvalidArgumentException("bad quantity $qty");
        } elseif ($qty > 99) { \CtInject::b('forms/forms.php', 44, 1);
            $qty = 99; \CtInject::v('forms/forms.php', 47, 'qty', $qty);
        } else { \CtInject::b('forms/forms.php', 44, 2);
        }
        $this->items[$sku] = [$qty, $price ?? 1.0];
        return $this;
    } catch (\Throwable $_ct_t) { $_ct_s->fail($_ct_t); throw $_ct_t; } finally { $_ct_s->end(); } }

    public function price(): float { $_ct_s = \CtInject::span('forms/forms.php', 54, 'Shop\Cart::price'); try {
        $sum = 0.0; \CtInject::v('forms/forms.php', 55, 'sum', $sum);
        foreach ($this->items as $sku => [$qty, $each]) { \CtInject::l('forms/forms.php', 56);
            $sum += $qty * $each; \CtInject::v('forms/forms.php', 57, 'sum', $sum);
        }
        return $sum * (1 - $this->discount);
    } catch (\Throwable $_ct_t) { $_ct_s->fail($_ct_t); throw $_ct_t; } finally { $_ct_s->end(); } }

    // static, a match expression (no branch events: its arms are expressions)
    public static function label(int $n): string { $_ct_s = \CtInject::span('forms/forms.php', 63, 'Shop\Cart::label', ['n' => $n]); try {
        return match (true) {
            $n === 0 => 'none',
            $n < 10 => 'few',
            default => 'many',
        };
    } catch (\Throwable $_ct_t) { $_ct_s->fail($_ct_t); throw $_ct_t; } finally { $_ct_s->end(); } }

    // returns by reference
    public function &slot(string $sku): ?array { $_ct_s = \CtInject::span('forms/forms.php', 72, 'Shop\Cart::slot', ['sku' => $sku]); try {
        return $this->items[$sku];
    } catch (\Throwable $_ct_t) { $_ct_s->fail($_ct_t); throw $_ct_t; } finally { $_ct_s->end(); } }
}

// a by-reference parameter, void
function bump(array &$counts, string $key): void { $_ct_s = \CtInject::span('forms/forms.php', 78, 'Shop\bump', ['counts' => $counts, 'key' => $key]); try {
    $counts[$key] = ($counts[$key] ?? 0) + 1;
    if ($counts[$key] > 2) { \CtInject::b('forms/forms.php', 80, 0);
        return;
    }
    $counts['total'] = array_sum($counts) - ($counts['total'] ?? 0);
} catch (\Throwable $_ct_t) { $_ct_s->fail($_ct_t); throw $_ct_t; } finally { $_ct_s->end(); } }

// variadic
function sum(int ...$xs): int { $_ct_s = \CtInject::span('forms/forms.php', 87, 'Shop\sum', ['xs' => $xs]); try {
    $t = 0;
    $i = 0;
    do { \CtInject::l('forms/forms.php', 90);
        $t += $xs[$i] ?? 0; \CtInject::v('forms/forms.php', 91, 't', $t);
        $i++;
    } while ($i < count($xs));
    return $t;
} catch (\Throwable $_ct_t) { $_ct_s->fail($_ct_t); throw $_ct_t; } finally { $_ct_s->end(); } }

// a generator: return inside the try, yield inside try/finally
function countdown(int $from) { $_ct_s = \CtInject::span('forms/forms.php', 98, 'Shop\countdown', ['from' => $from]); try {
    while ($from > 0) { \CtInject::l('forms/forms.php', 99);
        $got = yield $from; \CtInject::v('forms/forms.php', 100, 'got', $got);
        $from--;
    }
    return 'liftoff';
} catch (\Throwable $_ct_t) { $_ct_s->fail($_ct_t); throw $_ct_t; } finally { $_ct_s->end(); } }

// a generator delegating with yield from
function twice(int $n) { $_ct_s = \CtInject::span('forms/forms.php', 107, 'Shop\twice', ['n' => $n]); try {
    $r = yield from countdown($n); \CtInject::v('forms/forms.php', 108, 'r', $r);
    yield from countdown($n);
    return $r;
} catch (\Throwable $_ct_t) { $_ct_s->fail($_ct_t); throw $_ct_t; } finally { $_ct_s->end(); } }

// never returns
function fail(string $why): never { $_ct_s = \CtInject::span('forms/forms.php', 114, 'Shop\fail', ['why' => $why]); try {
    throw new \DomainException($why);
} catch (\Throwable $_ct_t) { $_ct_s->fail($_ct_t); throw $_ct_t; } finally { $_ct_s->end(); } }

// a try/catch/finally of the program's own inside, and a finally that returns
function guarded(int $n): string { $_ct_s = \CtInject::span('forms/forms.php', 119, 'Shop\guarded', ['n' => $n]); try {
    try {
        if ($n === 0) { \CtInject::b('forms/forms.php', 121, 0);
            fail('zero');
        }
        return "ok $n";
    } catch (\DomainException $e) { \CtInject::x('forms/forms.php', 125, $e);
        return 'caught ' . $e->getMessage();
    } finally {
        $GLOBALS['finally'] = ($GLOBALS['finally'] ?? 0) + 1;
    }
} catch (\Throwable $_ct_t) { $_ct_s->fail($_ct_t); throw $_ct_t; } finally { $_ct_s->end(); } }

function main(array $argv): int { $_ct_s = \CtInject::span('forms/forms.php', 132, 'Shop\main', ['argv' => $argv]); try {
    $cart = (new Cart('ann', 0.1))->add('apple', 3, 0.5)->add('pear', 150);
    try {
        $cart->add('plum', 0);
    } catch (\InvalidArgumentException $e) { \CtInject::x('forms/forms.php', 136, $e);
        echo 'caught ', $e->getMessage(), ' at line ', $e->getLine(), "\n";
    }
    printf("%.2f %s %s %s\n", $cart->price(), Cart::label(0), Cart::label(5), Cart::label(50));
    $slot = &$cart->slot('apple');
    $slot[0] = 7;
    printf("%.2f after the reference\n", $cart->price());
    $counts = [];
    for ($i = 0; $i < 4; $i++) { \CtInject::l('forms/forms.php', 144);
        bump($counts, 'a');
    }
    echo json_encode($counts), ' ', sum(1, 2, 3), ' ', sum(), "\n";
    // closures: a static one, one with use by reference
    $seen = 0;
    $inc = function (int $by) use (&$seen): int { $_ct_s = \CtInject::span('forms/forms.php', 150, 'Shop\{closure}', ['by' => $by]); try {
        $seen += $by; \CtInject::v('forms/forms.php', 151, 'seen', $seen);
        return $seen;
    } catch (\Throwable $_ct_t) { $_ct_s->fail($_ct_t); throw $_ct_t; } finally { $_ct_s->end(); } };
    $double = static function (int $x): int { $_ct_s = \CtInject::span('forms/forms.php', 154, 'Shop\{closure}', ['x' => $x]); try {
        return $x * 2;
    } catch (\Throwable $_ct_t) { $_ct_s->fail($_ct_t); throw $_ct_t; } finally { $_ct_s->end(); } };
    $triple = fn(int $x): int => $x * 3; // not instrumentable
    echo $inc(2), ' ', $inc(3), ' ', implode(',', array_map($double, [1, 2])), ' ', $triple(3), "\n";
    $g = countdown(3);
    foreach ($g as $k => $v) { \CtInject::l('forms/forms.php', 160);
        echo "t-$v ";
    }
    echo $g->getReturn(), "\n";
    $g = countdown(5);
    echo $g->current(), ' ', $g->send('x'), "\n";
    unset($g); // destroyed while suspended: the finally runs, the span ends
    $t = twice(2);
    echo implode(' ', iterator_to_array($t, false)), ' ', $t->getReturn(), "\n";
    $g = countdown(2);
    $g->current();
    try {
        $g->throw(new \RuntimeException('abort'));
    } catch (\RuntimeException $e) { \CtInject::x('forms/forms.php', 173, $e);
        echo 'generator threw ', $e->getMessage(), ' valid ', var_export($g->valid(), true), "\n";
    }
    echo guarded(1), ', ', guarded(0), ', finally ran ', $GLOBALS['finally'], "\n";
    $thrown = null;
    try {
        fail('for the record');
    } catch (\DomainException $e) { \CtInject::x('forms/forms.php', 180, $e);
        $thrown = $e;
        echo 'fail threw at line ', $e->getLine(), ': ', str_replace(__DIR__, '.', $e->getTraceAsString()), "\n";
    }
    echo 'made ', Cart::$made, "\n";
    if (($argv[1] ?? '') === 'throw') { \CtInject::b('forms/forms.php', 185, 0);
        fail('uncaught');
    }
    return 3;
} catch (\Throwable $_ct_t) { $_ct_s->fail($_ct_t); throw $_ct_t; } finally { $_ct_s->end(); } }

exit(main($argv));
