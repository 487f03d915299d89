# The shapes of Ruby methods that the inserted calls must work in,
# instrumented by hand as ctinject's model does. run-runtime-tests.sh takes
# the forms out again (exactly their text, see strip.py) to get the original,
# checks both with ruby -c, and runs the original and this file with
# telemetry off and on: stdout, stderr (uncaught exception, backtrace), exit
# code must be the same. It prints what each method returned or raised, with
# the backtrace lines and labels; the checker reads the spans it writes.

def show(what)
  puts "#{what}: #{yield.inspect}"
rescue Exception => e
  puts "#{what} raised #{e.class}: #{e.message}"
  e.backtrace.each { |l| puts "  #{l}" }
  puts "  labels #{e.backtrace_locations.map(&:label).inspect}"
end

class Shapes
  attr_reader :log; def inspect = "#<Shapes>"

  def initialize(name, size: 3); _ct_s = CtInject.span("forms/forms.rb", 20, "Shapes#initialize", "name", name, "size", size); begin
    @name = name
    @size = size
    @log = []
  rescue Exception => _ct_e; _ct_s.fail(_ct_e); raise; ensure; _ct_s.finish; end; end

  # default, keyword, splat, double splat and block parameters
  def greet(greeting, who = "world", *rest, loud: false, **opts, &blk); _ct_s = CtInject.span("forms/forms.rb", 27, "Shapes#greet", "greeting", greeting, "who", who, "rest", rest, "loud", loud, "opts", opts, "blk", blk); begin
    s = "#{greeting}, #{who}#{rest.map { |r| " & #{r}" }.join}"; CtInject.v("forms/forms.rb", 28, "s", s)
    if loud
      CtInject.b("forms/forms.rb", 29, 0); s = s.upcase
      CtInject.v("forms/forms.rb", 30, "s", s); s += "!" * opts.fetch(:bangs, 1)
    end
    blk ? blk.call(s) : s
  rescue Exception => _ct_e; _ct_s.fail(_ct_e); raise; ensure; _ct_s.finish; end; end

  # singleton methods, two ways
  def self.make(name); _ct_s = CtInject.span("forms/forms.rb", 37, "Shapes.make", "name", name); begin
    new(name, size: name.length)
  rescue Exception => _ct_e; _ct_s.fail(_ct_e); raise; ensure; _ct_s.finish; end; end

  class << self
    def plain a, b; _ct_s = CtInject.span("forms/forms.rb", 42, "Shapes.plain", "a", a, "b", b); begin
      a * b
    rescue Exception => _ct_e; _ct_s.fail(_ct_e); raise; ensure; _ct_s.finish; end; end
  end

  # returning from inside a loop and a block
  def first_over(xs, limit); _ct_s = CtInject.span("forms/forms.rb", 48, "Shapes#first_over", "xs", xs, "limit", limit); begin
    i = 0
    while i < xs.length
      CtInject.l("forms/forms.rb", 50, "while"); return i if xs[i] > limit
      i += 1
    end
    xs.each_with_index do |x, j|
      CtInject.l("forms/forms.rb", 54); return -j if x == limit
    end
    nil
  rescue Exception => _ct_e; _ct_s.fail(_ct_e); raise; ensure; _ct_s.finish; end; end

  # raising, from the method and from a block inside it
  def check(n); _ct_s = CtInject.span("forms/forms.rb", 61, "Shapes#check", "n", n); begin
    raise ArgumentError, "negative: #{n}" if n < 0
    [1, 2].map do |k|
      CtInject.l("forms/forms.rb", 63); raise RangeError, "too big: #{n}" if n * k > 10
      n * k
    end
  rescue Exception => _ct_e; _ct_s.fail(_ct_e); raise; ensure; _ct_s.finish; end; end

  # rescue, else and ensure clauses of the def's own: the variant with one
  # more begin
  def parse(text); _ct_s = CtInject.span("forms/forms.rb", 71, "Shapes#parse", "text", text); begin; begin
    n = Integer(text); CtInject.v("forms/forms.rb", 72, "n", n)
  rescue ArgumentError => e
    CtInject.x("forms/forms.rb", 73, e); @log << "bad #{text}"
    raise TypeError, "not a number: #{text}" if text == "boom"
    -1
  else
    @log << "ok #{text}"
    n * 2
  ensure
    @log << "parsed #{text}"
  end; rescue Exception => _ct_e; _ct_s.fail(_ct_e); raise; ensure; _ct_s.finish; end; end

  # a rescue clause of the def's own only: the variant too (the plain forms parse, but
  # a backtrace from the handler would show another line for the def's frame)
  def fetch(h, k); _ct_s = CtInject.span("forms/forms.rb", 86, "Shapes#fetch", "h", h, "k", k); begin; begin
    h.fetch(k)
  rescue KeyError => e
    CtInject.x("forms/forms.rb", 88, e); raise IndexError, "no #{k}" if k == :bad
    :missing
  end; rescue Exception => _ct_e; _ct_s.fail(_ct_e); raise; ensure; _ct_s.finish; end; end

  # retry, begin/rescue/ensure inside the body
  def flaky(times); _ct_s = CtInject.span("forms/forms.rb", 94, "Shapes#flaky", "times", times); begin
    tries = 0
    begin
      tries += 1
      raise IOError, "try #{tries}" if tries < times
      "done after #{tries}"
    rescue IOError => e
      CtInject.x("forms/forms.rb", 100, e); retry
    ensure
      @log << "flaky #{tries}"
    end
  rescue Exception => _ct_e; _ct_s.fail(_ct_e); raise; ensure; _ct_s.finish; end; end

  # yield and block_given?
  def each_square(n); _ct_s = CtInject.span("forms/forms.rb", 108, "Shapes#each_square", "n", n); begin
    return to_enum(:each_square, n) unless block_given?
    for i in 1..n
      CtInject.l("forms/forms.rb", 110); yield i * i
    end
  rescue Exception => _ct_e; _ct_s.fail(_ct_e); raise; ensure; _ct_s.finish; end; end

  # case/when and case/in, unless, until
  def kind(x); _ct_s = CtInject.span("forms/forms.rb", 116, "Shapes#kind", "x", x); begin
    r = case x
        when Integer then CtInject.b("forms/forms.rb", 117, 0); "int"
        when String
          CtInject.b("forms/forms.rb", 117, 1); "str"
        else
          CtInject.b("forms/forms.rb", 117, 2); case x
                                                  in [a, b] then CtInject.b("forms/forms.rb", 122, 0); "pair #{a} #{b}"
                                                  in {name:} then CtInject.b("forms/forms.rb", 122, 1); "named #{name}"
                                                  else CtInject.b("forms/forms.rb", 122, 2); "other"
                                                  end
        end
    CtInject.v("forms/forms.rb", 118, "r", r); unless r.empty?
      CtInject.b("forms/forms.rb", 128, 0); n = 0
      CtInject.v("forms/forms.rb", 129, "n", n); until n >= 2
        CtInject.l("forms/forms.rb", 130, "while"); n += 1
      end
    end
    r
  rescue Exception => _ct_e; _ct_s.fail(_ct_e); raise; ensure; _ct_s.finish; end; end

  # the last statement an assignment: v returns x, the method's value is kept
  def last_assign(a); _ct_s = CtInject.span("forms/forms.rb", 138, "Shapes#last_assign", "a", a); begin
    total = a * 3; CtInject.v("forms/forms.rb", 139, "total", total) # the comment stays last
  rescue Exception => _ct_e; _ct_s.fail(_ct_e); raise; ensure; _ct_s.finish; end; end

  # break and throw through a method; return from ensure swallows
  def each_twice(xs); _ct_s = CtInject.span("forms/forms.rb", 143, "Shapes#each_twice", "xs", xs); begin
    xs.each { |x| CtInject.l("forms/forms.rb", 144); yield x; yield x }
  rescue Exception => _ct_e; _ct_s.fail(_ct_e); raise; ensure; _ct_s.finish; end; end

  def swallow; _ct_s = CtInject.span("forms/forms.rb", 147, "Shapes#swallow"); begin; begin
    raise "lost"
  ensure
    return :swallowed
  end; rescue Exception => _ct_e; _ct_s.fail(_ct_e); raise; ensure; _ct_s.finish; end; end

  def to_s; _ct_s = CtInject.span("forms/forms.rb", 153, "Shapes#to_s"); begin
    "#<Shapes #{@name}>"
  rescue Exception => _ct_e; _ct_s.fail(_ct_e); raise; ensure; _ct_s.finish; end; end

  def method_missing(name, *args); _ct_s = CtInject.span("forms/forms.rb", 157, "Shapes#method_missing", "name", name, "args", args); begin
    return "ghost #{name}" if name.to_s.start_with?("ghost_")
    super
  rescue Exception => _ct_e; _ct_s.fail(_ct_e); raise; ensure; _ct_s.finish; end; end

  def respond_to_missing?(name, priv = false); _ct_s = CtInject.span("forms/forms.rb", 162, "Shapes#respond_to_missing?", "name", name, "priv", priv); begin
    name.to_s.start_with?("ghost_") || super
  rescue Exception => _ct_e; _ct_s.fail(_ct_e); raise; ensure; _ct_s.finish; end; end
end

def deep(n); _ct_s = CtInject.span("forms/forms.rb", 167, "Object#deep", "n", n); begin
  n.zero? ? raise(NotImplementedError, "bottom") : deep(n - 1)
rescue Exception => _ct_e; _ct_s.fail(_ct_e); raise; ensure; _ct_s.finish; end; end

s = Shapes.make("box")
show("greet") { s.greet("hello") }
show("greet all") { s.greet("hey", "you", "me", "them", loud: true, bangs: 3) { |t| "<#{t}>" } }
show("plain") { Shapes.plain(6, 7) }
show("first_over") { s.first_over([1, 5, 9], 4) }
show("first_over each") { s.first_over([1, 4], 4) }
show("first_over nil") { s.first_over([1], 4) }
show("check") { s.check(2) }
show("check negative") { s.check(-1) }
show("check block") { s.check(7) }
show("parse") { s.parse("21") }
show("parse bad") { s.parse("x") }
show("parse boom") { s.parse("boom") }
show("fetch") { s.fetch({ a: 1 }, :a) }
show("fetch missing") { s.fetch({ a: 1 }, :b) }
show("fetch bad") { s.fetch({ a: 1 }, :bad) }
show("flaky") { s.flaky(3) }
show("each_square") { a = []; s.each_square(3) { |q| a << q }; a }
show("each_square enum") { s.each_square(4).to_a }
show("kinds") { [1, "a", [1, 2], { name: "n" }, 2.5].map { |x| s.kind(x) } }
show("last_assign") { s.last_assign(5) }
show("break") { s.each_twice([1, 2, 3]) { |x| break x * 10 if x == 2 } }
show("throw") { catch(:out) { s.each_twice([1, 2]) { |x| throw :out, x } } }
show("swallow") { s.swallow }
show("to_s") { "#{s}" }
show("ghost") { s.ghost_x(1) }
show("respond") { s.respond_to?(:ghost_y) }
show("no method") { s.nothing_here }
show("deep") { deep(3) }
show("log") { s.log }
show("init kw") { Shapes.new("k", size: 9).greet("x") { |t| t.length } }
deep(2)
