# The runtime tests' program: scenarios chosen by the first argument, each
# instrumented by hand in the forms ctinject's model inserts. Its output
# must be the same with telemetry on and off (run-runtime-tests.sh compares
# them); check.py reads the events. Line numbers in the calls are real.

# A class whose inspect and to_s must never run: they count and raise.
$side_effects = 0

class Loud
  def inspect
    $side_effects += 1
    raise "inspect ran"
  end

  def to_s
    $side_effects += 1
    raise "to_s ran"
  end

  def ==(_other)
    $side_effects += 1
    false
  end
end

class LoudString < String
  def inspect
    $side_effects += 1
    "loud"
  end
end

class LoudHash < Hash
  def each_pair
    $side_effects += 1
    super
  end
end

class Ghost < BasicObject
  def method_missing(*)
    $side_effects += 1
    nil
  end

  def respond_to_missing?(*)
    true
  end
end

class OwnMessage < StandardError
  def message
    $side_effects += 1
    "message ran"
  end
end

module Shop
  class OutOfStock < StandardError; end
end

Point = Struct.new(:x, :y)

class App
  def self.add(a, b); _ct_s = CtInject.span("app/app.rb", 65, "App.add", "a", a, "b", b); begin
    sum = a + b; CtInject.v("app/app.rb", 66, "sum", sum)
  rescue Exception => _ct_e; _ct_s.fail(_ct_e); raise; ensure; _ct_s.finish; end; end

  def self.div(a, b); _ct_s = CtInject.span("app/app.rb", 69, "App.div", "a", a, "b", b); begin
    a / b
  rescue Exception => _ct_e; _ct_s.fail(_ct_e); raise; ensure; _ct_s.finish; end; end

  def load(key, password); _ct_s = CtInject.span("app/app.rb", 73, "App#load", "key", key, "password", password); begin
    api_key = "k-" + key
    CtInject.v("app/app.rb", 74, "api_key", api_key); if key.start_with?("missing")
      CtInject.b("app/app.rb", 75, 0); raise KeyError, "no such key: #{key}"
    else
      CtInject.b("app/app.rb", 75, 1); key.upcase
    end
  rescue Exception => _ct_e; _ct_s.fail(_ct_e); raise; ensure; _ct_s.finish; end; end

  def total(xs); _ct_s = CtInject.span("app/app.rb", 82, "App#total", "xs", xs); begin
    t = 0
    xs.each do |x|
      CtInject.l("app/app.rb", 84); t += x; CtInject.v("app/app.rb", 85, "t", t)
    end
    i = 0
    while i < 3
      CtInject.l("app/app.rb", 88, "while"); i += 1
    end
    t + App.add(t, 1) - App.add(t, 1)
  rescue Exception => _ct_e; _ct_s.fail(_ct_e); raise; ensure; _ct_s.finish; end; end

  def values(loud, str); _ct_s = CtInject.span("app/app.rb", 94, "App#values", "loud", loud, "str", str); begin
    loud = Loud.new; CtInject.v("app/app.rb", 95, "loud", loud)
    mixed = [1, "two\n\"q\"", :sym, 2.5, nil, true, Loud.new, 1..3, 3r, Ghost.new]; CtInject.v("app/app.rb", 96, "mixed", mixed)
    h = { "user" => "ann", "session_id" => "s3cr3t", api_key: "k", nested: [1, 2] }; CtInject.v("app/app.rb", 97, "h", h)
    by_loud = { Loud.new => "v" }; CtInject.v("app/app.rb", 98, "by_loud", by_loud)
    big = "x" * 500; CtInject.v("app/app.rb", 99, "big", big)
    longs = [0] * 3000; CtInject.v("app/app.rb", 100, "longs", longs)
    pi = 3.25; CtInject.v("app/app.rb", 101, "pi", pi)
    unicode = "h\u00e9\u20ac\u{1F600}"; CtInject.v("app/app.rb", 102, "unicode", unicode)
    cls = String; CtInject.v("app/app.rb", 103, "cls", cls)
    deep = [[[[[[[1]]]]]]]; CtInject.v("app/app.rb", 104, "deep", deep)
    huge = 2**4000; CtInject.v("app/app.rb", 105, "huge", huge)
    auth_header = "Bearer abc"; CtInject.v("app/app.rb", 106, "auth_header", auth_header)
    ghost = Ghost.new; CtInject.v("app/app.rb", 107, "ghost", ghost)
    loud_hash = LoudHash.new; CtInject.v("app/app.rb", 108, "loud_hash", loud_hash)
    point = Point.new(1, 2); CtInject.v("app/app.rb", 109, "point", point)
    anon = Class.new(Shop::OutOfStock).new; CtInject.v("app/app.rb", 110, "anon", anon)
    binary = "\xff\x00a".b; CtInject.v("app/app.rb", 111, "binary", binary)
    begin
      raise OwnMessage, "the field"
    rescue OwnMessage => e
      CtInject.x("app/app.rb", 114, e)
    end
    begin
      Loud.new.no_such_method
    rescue NoMethodError => e
      CtInject.x("app/app.rb", 119, e)
    end
    begin
      nil.no_such_method
    rescue NoMethodError => e
      CtInject.x("app/app.rb", 124, e)
    end
    begin
      raise anon.class, "anonymous"
    rescue StandardError => e
      CtInject.x("app/app.rb", 129, e)
    end
  rescue Exception => _ct_e; _ct_s.fail(_ct_e); raise; ensure; _ct_s.finish; end; end

  def basic; _ct_s = CtInject.span("app/app.rb", 134, "App#basic"); begin
    puts "total #{total([1, 2, 3, 4])}"
    puts "load #{load("cart", "hunter2")}"
    begin
      load("missing:7", "hunter2")
    rescue KeyError => e
      CtInject.x("app/app.rb", 139, e); puts "caught #{e.message}"
    end
    begin
      App.div(1, 0)
    rescue ZeroDivisionError => e
      CtInject.x("app/app.rb", 144, e); puts "caught #{e.message}"
    end
    values(Loud.new, LoudString.new("s"))
    puts "side effects #{$side_effects}"
  rescue Exception => _ct_e; _ct_s.fail(_ct_e); raise; ensure; _ct_s.finish; end; end

  # a function called more often than MAX_SPANS_PER_FUNCTION (1000 in caps1000)
  def self.hot(i); _ct_s = CtInject.span("app/app.rb", 152, "App.hot", "i", i); begin
    CtInject.v("app/app.rb", 153, "i", i)
    if i % 100 == 99
      CtInject.b("app/app.rb", 154, 0); if i >= 1200
        CtInject.b("app/app.rb", 155, 0); raise ArgumentError, "bad #{i}"
      end
      App.add(i, i)
    end
    2.times { CtInject.l("app/app.rb", 160) }
    i
  rescue Exception => _ct_e; _ct_s.fail(_ct_e); raise; ensure; _ct_s.finish; end; end

  def self.in_span; _ct_s = CtInject.span("app/app.rb", 164, "App.in_span"); begin
    20.times do |k|
      CtInject.l("app/app.rb", 165); CtInject.v("app/app.rb", 166, "k", k)
      CtInject.b("app/app.rb", 167, k % 2)
    end
  rescue Exception => _ct_e; _ct_s.fail(_ct_e); raise; ensure; _ct_s.finish; end; end

  def self.branchy(i); _ct_s = CtInject.span("app/app.rb", 171, "App.branchy", "i", i); begin
    if i >= 0
      CtInject.b("app/app.rb", 172, 0); return i
    end
    -i
  rescue Exception => _ct_e; _ct_s.fail(_ct_e); raise; ensure; _ct_s.finish; end; end

  def self.many_catches; _ct_s = CtInject.span("app/app.rb", 178, "App.many_catches"); begin
    n = 0
    300.times do |i|
      begin
        raise IndexError, "s#{i}" if i % 3 == 0
        raise TypeError, "u#{i}"
      rescue StandardError => e
        CtInject.x("app/app.rb", 184, e); n += 1
      end
    end
    n
  rescue Exception => _ct_e; _ct_s.fail(_ct_e); raise; ensure; _ct_s.finish; end; end

  def self.caps
    failures = 0
    1500.times do |i|
      begin
        hot(i)
      rescue ArgumentError => e
        CtInject.x("app/app.rb", 196, e); failures += 1
      end
    end
    in_span
    300.times { |i| branchy(i) }
    puts "failures #{failures}, caught #{many_catches}"
  end

  def self.worker(n); _ct_s = CtInject.span("app/app.rb", 205, "App.worker", "n", n); begin
    5.times do |i|
      CtInject.l("app/app.rb", 206); App.add(n, i)
    end
  rescue Exception => _ct_e; _ct_s.fail(_ct_e); raise; ensure; _ct_s.finish; end; end

  def self.threads; _ct_s = CtInject.span("app/app.rb", 211, "App.threads"); begin
    ts = (0...4).map do |n|
      CtInject.l("app/app.rb", 212); Thread.new { worker(n) }
    end
    ts.each { |t| CtInject.l("app/app.rb", 215); t.join }
    puts "threads done"
  rescue Exception => _ct_e; _ct_s.fail(_ct_e); raise; ensure; _ct_s.finish; end; end

  # fibers: an Enumerator stepped with next runs in a fiber of its own
  def self.gen(n); _ct_s = CtInject.span("app/app.rb", 220, "App.gen", "n", n); begin
    Enumerator.new do |y|
      n.times { |i| CtInject.l("app/app.rb", 222); y << App.add(i, 100) }
    end
  rescue Exception => _ct_e; _ct_s.fail(_ct_e); raise; ensure; _ct_s.finish; end; end

  def self.consume(e); _ct_s = CtInject.span("app/app.rb", 226, "App.consume"); begin
    a = e.next
    b = App.add(a, 1)
    c = e.next
    [a, b, c]
  rescue Exception => _ct_e; _ct_s.fail(_ct_e); raise; ensure; _ct_s.finish; end; end

  def self.fibers; _ct_s = CtInject.span("app/app.rb", 233, "App.fibers"); begin
    p consume(gen(3))
    f = Fiber.new do
      x = App.add(1, 2); CtInject.v("app/app.rb", 236, "x", x)
      Fiber.yield x
      App.add(3, 4)
    end
    p f.resume
    p App.add(5, 6)
    p f.resume
  rescue Exception => _ct_e; _ct_s.fail(_ct_e); raise; ensure; _ct_s.finish; end; end

  # calls with odd arguments: nothing reaches the program
  def self.odd; _ct_s = CtInject.span(nil, -5, nil, "a", 1, 2, "odd", "b"); begin
    CtInject.v(nil, 1, nil, Object.new)
    CtInject.v("app/app.rb", -1, "x", nil)
    CtInject.b(nil, 2, -1)
    CtInject.l(nil, -2**31)
    CtInject.l("app/app.rb", 3, nil)
    CtInject.x("app/app.rb", 4, nil)
    CtInject.x(nil, 1 << 30, Ghost.new)
    CtInject.span("app/app.rb", 9, "App.unended", Ghost.new, 1)
    CtInject.span("app/app.rb", 10, :sym_name)
    puts "odd done"
  rescue Exception => _ct_e; _ct_s.fail(_ct_e); raise; ensure; _ct_s.finish; end; end

  # 8 threads calling the same function: the caps hold exactly
  def self.stress
    ts = (0...8).map do
      Thread.new { 2000.times { |i| add(i, 1) } }
    end
    ts.each(&:join)
    puts "stress done"
  end

  def self.flood
    20_000.times { |i| worker(i) }
    puts "flood done"
  end

  # a fork inside a span: the child has its own pid and ids; the span open
  # at the fork is written once (by the parent)
  def self.forking; _ct_s = CtInject.span("app/app.rb", 275, "App.forking"); begin
    App.add(1, 1)
    pid = fork do
      App.add(2, 2)
      worker(7)
    end
    Process.wait(pid)
    pid2 = fork do
      worker(8) # a root span in the child: written at its end
      exit!(0)  # (no at_exit)
    end
    Process.wait(pid2)
    App.add(3, 3)
    puts "forked #{$?.exitstatus}"
  rescue Exception => _ct_e; _ct_s.fail(_ct_e); raise; ensure; _ct_s.finish; end; end

  def self.exit_with(code); _ct_s = CtInject.span("app/app.rb", 291, "App.exit_with", "code", code); begin
    App.add(code, 0)
    exit(code)
  rescue Exception => _ct_e; _ct_s.fail(_ct_e); raise; ensure; _ct_s.finish; end; end

  def self.outside
    outside_var = 42; CtInject.v("app/app.rb", 297, "outside_var", outside_var)
    7.times { CtInject.l("app/app.rb", 298) }
    puts "outside done"
  end
end

case ARGV[0] || "basic"
when "basic"
  App.outside
  App.new.basic
when "caps" then App.caps
when "threads" then App.threads
when "fibers" then App.fibers
when "odd" then App.odd
when "stress" then App.stress
when "flood" then App.flood
when "fork" then App.forking
when "fail"
  puts "about to fail"
  App.div(3, 0)
when "exit"
  puts "exiting with 3"
  App.exit_with(3)
else
  puts "unknown scenario #{ARGV[0]}"
end
