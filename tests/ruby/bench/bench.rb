# Micro-benchmark of the Ruby runtime: the per-call cost of a small
# instrumented method (a span with two arguments, a var, a branch and a
# block loop of two iterations) against the same method without the calls.
# Usage: ruby [-r.../ctinject.rb] bench/bench.rb plain|inst CALLS; prints
# ns/call (best of 3 rounds). run-runtime-tests.sh runs it with telemetry
# off, on (default caps: the first 1000 calls written, then counted) and on
# with every call written.

class Bench
  def self.plain(a, i)
    s = a + i
    if s.even?
      s += 1
    end
    2.times { |k| s += k }
    s
  end

  def self.inst(a, i); _ct_s = CtInject.span("bench/bench.rb", 19, "Bench.inst", "a", a, "i", i); begin
    s = a + i; CtInject.v("bench/bench.rb", 20, "s", s)
    if s.even?
      CtInject.b("bench/bench.rb", 21, 0); s += 1
    end
    2.times { |k| CtInject.l("bench/bench.rb", 24); s += k }
    s
  rescue Exception => _ct_e; _ct_s.fail(_ct_e); raise; ensure; _ct_s.finish; end; end

  def self.run(inst, n)
    t0 = Process.clock_gettime(Process::CLOCK_MONOTONIC, :nanosecond)
    acc = 0
    if inst
      n.times { |i| acc = inst(acc, i) & 0xffff }
    else
      n.times { |i| acc = plain(acc, i) & 0xffff }
    end
    Process.clock_gettime(Process::CLOCK_MONOTONIC, :nanosecond) - t0
  end
end

inst = ARGV[0] == "inst"
n = Integer(ARGV[1])
Bench.run(inst, [n, 20_000].min) # warm-up
best = (1..3).map { Bench.run(inst, n) }.min
printf("%.2f\n", best.to_f / n)
