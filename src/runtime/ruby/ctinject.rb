# frozen_string_literal: true
# ctinject runtime for Ruby (written by ctinject; do not edit).
#
# Loading: the program loads this file before its own code, with
#   ruby -r/path/to/ctinject.rb program.rb      (or RUBYOPT=-r/path/to/ctinject.rb)
# or with `require_relative "ctinject"` (a path relative to the requiring
# file) before the first instrumented call. Standard library only, nothing
# else is required; Ruby 2.7 or later (fork handling needs 3.1).
#
# The calls that instrumented Ruby source makes (FILE: the source path as
# recorded in events, a string literal; LINE/SITE/ARM: integers; NAME: a
# string literal; x: a local variable; e: a rescued exception's name):
#
#   def m(a, b = 1); _ct_s = CtInject.span(FILE, LINE, NAME, "a", a, "b", b); begin
#       appended to a def line, after its parameter list (the pairs are
#       optional: the recorded arguments). NAME is "Class#method", or
#       "Class.method" for a singleton method. The call starts, its span
#       becomes the current span.
#   rescue Exception => _ct_e; _ct_s.fail(_ct_e); raise; ensure; _ct_s.finish; end; end
#       inserted right before the `end` that closes the def (at its
#       column): the call failed (the exception is re-raised unchanged,
#       backtrace included), it ended (the span is written). The method's
#       value is its body's.
#   A def with rescue/else/ensure clauses of its own (at the def's level,
#   without a `begin`) takes one more begin, so that its clauses stay its
#   own (the forms above would put a `rescue` after its `ensure`/`else`, a
#   syntax error; with `rescue` clauses only they parse, but a backtrace
#   raised from its handler then shows another line for the def's frame):
#       def m(a); _ct_s = CtInject.span(FILE, LINE, NAME, "a", a); begin; begin
#       ...its body, rescue, else, ensure clauses...
#       end; rescue Exception => _ct_e; _ct_s.fail(_ct_e); raise; ensure; _ct_s.finish; end; end
#   (finish also notices an exception that leaves the call without passing
#   the span's `rescue` clause, by comparing $! with its value at the
#   call's start.) An endless def (`def m = expr`) has no `end`: not
#   covered by these forms.
#
#   CtInject.v(FILE, LINE, "x", x);      before the first statement after an
#   ...; CtInject.v(FILE, LINE, "x", x)  assignment to x, or appended to the
#                                        assignment's line (before a comment):
#                                        a var event. v returns x, so an
#                                        assignment that ends a body keeps its
#                                        value (not a multiple assignment's).
#   CtInject.b(FILE, SITE, ARM);         first in a branch body (if, elsif,
#                                        else, unless, when, in): a branch event
#   CtInject.l(FILE, SITE);              first in a loop body (while, until,
#                                        for) or in a block of each, times,
#                                        map...: one iteration
#                                        (CtInject.l(FILE, SITE, "while") names
#                                        the loop's kind, default "for")
#   CtInject.x(FILE, LINE, e);           first in a `rescue => e` body: an
#                                        exception event
#
# Telemetry is on when CTINJECT_TRACE_FILE names a file and CTINJECT_DISABLE
# is not 1/true/yes/on (read once, when this file is loaded). Off, every call
# returns at once (span returns one shared no-op span, v returns x) and no
# file is created. On, events go to that file as JSON lines (schema:
# docs/events.md, "v":1) with "lang":"ruby" right after "type"; what differs
# from the Python runtime:
#
#   - span: "module" null, "kind" "function", "return" null (not recorded),
#     "args" the pairs given to span (a key that is not a String or Symbol
#     is named argN); a call that raised has status "error" and
#     "exception":{"type","message"}. A `throw`, `break` or `return` that
#     leaves the call is not a failure.
#   - pid is Process.pid; tid is the Thread's object_id (since Ruby 2.7 a
#     small counter given to an object the first time its id is asked:
#     unique while the process lives, never reused). Fibers of a thread
#     share its tid.
#   - current span: fiber-local (Thread.current[:__ctinject__], so
#     Thread.current.keys shows it), so the spans of a Fiber, an Enumerator
#     stepped with next, or a lazy enumerator nest in their own fiber and
#     never become the parent of code of another fiber. A fiber's first
#     event takes, as its starting current span, the span that was made
#     current last on the thread (by a start or an end, in any fiber): for a
#     fiber resumed from the code that created it that is the creator's
#     span; when fibers interleave with spans open in several of them, it
#     can be another fiber's. A new Thread starts with no current span (its
#     first span starts a new trace).
#   - loop events count iterations per loop site and span (one event per
#     loop and span, written before the span's line when it ends; loops
#     outside any span are counted per thread and written at exit), with
#     "target" and "last" null and "kind" "for" unless l was given one.
#   - exception type: the class's name (Foo::BarError; an anonymous class
#     by its first named superclass); message: Exception#message, read only
#     when the class's message and to_s are Ruby's own or those of a class
#     that existed when this file was loaded (an override of the program is
#     not run: the message is null then), and, before Ruby 3.3, null for a
#     NameError/NoMethodError whose receiver is not a core value (its
#     message would call the receiver's inspect).
#   - values are Ruby's inspect notation, made without running code of the
#     program (the methods used are the originals, taken when this file was
#     loaded): nil, true, 42, 1.5, "text", :sym, (1/3), 1..5, [1, "a"] and
#     {"k"=>1, :s=>2} (Array, Hash and Range of exact classes only, at most
#     6 levels, items until the cap), classes and modules by name; any other
#     object, a subclass of a core class too, as #<ClassName> (its inspect
#     and to_s never run). Integers over 3000 bits show as
#     <Integer with N bits>. A value is cut at VALUE_CAP characters (ending
#     with "..."); the names of arguments and variables, and the String and
#     Symbol keys of hashes, that match REDACT record "[REDACTED]".
#   - caps: MAX_EVENTS_PER_SITE per span ("suppressed"),
#     MAX_EVENTS_PER_SITE_PER_PROCESS (vars/branches/loops/exceptions
#     summaries at exit), MAX_SPANS_PER_FUNCTION (calls summaries at exit;
#     failing calls over it written up to MAX_FAILURES_PER_FUNCTION, their
#     args formatted when they fail), MAX_TRACE_BYTES (truncated).
#   - writing: lines are buffered per process and written (one write(2) of
#     whole lines to the file opened for appending) when the buffer passes
#     64 KiB, at least once a second while events come, and at exit (an
#     at_exit handler, registered when this file is loaded, so it runs
#     after the program's own: it writes the loops outside spans and the
#     summaries too; events after it are written at once). A process ended
#     by exit! or a signal's default action, or killed, loses what was
#     buffered.
#   - fork (fork, Process.fork, IO.popen("-"), through the Process._fork
#     hook of Ruby 3.1+): the buffer is written before the fork; the child
#     starts an empty buffer, its own pid, span ids and trace id prefix, and
#     counts the caps afresh (the parent writes its own summaries). The
#     spans open at the fork are the parent's: they stay the child's
#     current spans (the child's new spans have them as parent), but when
#     one of them ends in the child it is not written again. A child writes
#     its buffer at the end of each of its root spans too (a child often
#     leaves with exit!).
#   - a trace file that cannot be opened: one line on standard error (once
#     for a process and the children that inherit its environment:
#     CTINJECT_TRACE_WARNED is set) and telemetry off. A write that fails
#     later: one line on standard error and telemetry off.
#   - inside a trap handler an event that needs the writer's lock is
#     dropped (Mutex cannot be locked there).
#
# No runtime call raises into the program: a StandardError (or ScriptError)
# inside is rescued (telemetry goes on, or stops). Exceptions the program
# could see anyway (Interrupt, a Thread#raise or Timeout arriving while the
# runtime runs, SystemStackError, NoMemoryError) are not caught. The
# program's Random is never used (ids come from Random.urandom).
#
# Per-process counters (calls of a function, events of a site) are
# incremented inside a single method with no call between the read and the
# write, which CRuby's global lock makes atomic; everything else shared is
# under one Mutex.

module CtInject
  # ---------------------------------------------------------- configuration
  # Fixed here for now: ctinject will bake its configuration (values.cap,
  # values.redact, runtime.*) into these constants when it writes this file.
  # (0 means no cap for the MAX_* settings.)
  VALUE_CAP = 200
  REDACT = "passw|secret|token|api_?key|auth|credential|private_?key|session|cookie"
  MAX_EVENTS_PER_SITE = 16
  MAX_EVENTS_PER_SITE_PER_PROCESS = 200
  MAX_SPANS_PER_FUNCTION = 200
  MAX_FAILURES_PER_FUNCTION = 100
  SLOWEST_CALLS = 5
  MAX_TRACE_BYTES = 1_000_000_000

  MAX_DEPTH = 6
  FLUSH_BYTES = 64 * 1024
  FLUSH_NS = 1_000_000_000
  REDACTED = "[REDACTED]"
  RED = Regexp.new(REDACT, Regexp::IGNORECASE)
  MONO = Process::CLOCK_MONOTONIC
  KEY = :__ctinject__

  # the originals of the methods values are formatted with (taken now,
  # before the program could redefine them)
  K_CLASS = Kernel.instance_method(:class)
  K_FROZEN = Kernel.instance_method(:frozen?)
  M_NAME = Module.instance_method(:name)
  INT_S = Integer.instance_method(:to_s)
  INT_BITS = Integer.instance_method(:bit_length)
  FLOAT_S = Float.instance_method(:to_s)
  STR_INSPECT = String.instance_method(:inspect)
  STR_LEN = String.instance_method(:length)
  STR_SLICE = String.instance_method(:[])
  SYM_INSPECT = Symbol.instance_method(:inspect)
  RAT_INSPECT = Rational.instance_method(:inspect)
  CPX_INSPECT = Complex.instance_method(:inspect)
  ARR_EACH = Array.instance_method(:each)
  HASH_EACH = Hash.instance_method(:each_pair)
  RANGE_BEGIN = Range.instance_method(:begin)
  RANGE_END = Range.instance_method(:end)
  RANGE_EXCL = Range.instance_method(:exclude_end?)
  CORE_EXC = {}.compare_by_identity
  # the exception classes, and the modules they include, that exist now (before the program)
  ObjectSpace.each_object(Class) do |c|
    next unless c <= Exception
    c.ancestors.each { |m| CORE_EXC[m] = true }
  end
  CORE_EXC[Exception] = true
  NAME_ERROR_OLD = (RUBY_VERSION.split(".").map(&:to_i) <=> [3, 3]) < 0

  # ---------------------------------------------------------- spans

  # A call's span. The shared NOOP (telemetry off) does nothing.
  class Span
    def fail(_e)
      nil
    end

    def finish
      nil
    end
  end
  NOOP = Span.new.freeze

  class Live < Span
    attr_reader :fn, :fs, :prev, :id, :trace, :parent_id, :t0, :quiet, :args, :err, :gen,
                :counts, :over, :loops, :done, :args_json
    attr_writer :quiet, :args, :args_json, :id, :trace, :parent_id, :t0, :done

    def initialize(fn, fs, prev, gen)
      @fn = fn
      @fs = fs
      @prev = prev
      @gen = gen
      @errin = $!
      @err = nil
      @id = nil
      @done = false
      @quiet = false
      @counts = nil
      @loops = nil
      @over = false
    end

    # The call is failing with e (the caller re-raises it).
    def fail(e)
      @err = e
      nil
    end

    # The call ended: the span is written (its loop events first).
    def finish
      return nil if @done
      @done = true
      fs = @fs
      fs.cur = @prev # (first: whatever fails below, the fiber's stack is right)
      fs.ts.last = @prev
      if @err.nil?
        e = $!
        @err = e if e && !e.equal?(@errin) # an exception leaving by a handler of the def's own
      end
      CtInject.end_span(self)
      nil
    rescue StandardError, ScriptError
      nil
    end

    # one more event of site s in this span: whether it is within the cap
    def count(s)
      c = (@counts ||= {}.compare_by_identity)
      n = c[s] = (c[s] || 0) + 1
      if MAX_EVENTS_PER_SITE > 0 && n > MAX_EVENTS_PER_SITE
        @over = true
        return false
      end
      true
    end

    def loop(s)
      l = (@loops ||= {}.compare_by_identity)
      l[s] = (l[s] || 0) + 1
    end

    def take_loops
      l = @loops
      @loops = nil
      l
    end

    # ids for a quiet span, when a child or its own line needs them
    def give_ids
      return if @id
      @id = CtInject.new_id
      p = @prev
      if p.nil?
        @trace = CtInject.trace_of(@id)
      else
        p.give_ids
        @trace = p.trace
        @parent_id = p.id
      end
    end
  end

  # A thread's state: its tid, the span made current last (a new fiber's
  # start), the events outside any span.
  class TState
    attr_reader :tid, :root
    attr_accessor :last, :listed

    def initialize
      @tid = Thread.current.object_id
      @last = nil
      @root = Live.new(nil, nil, nil, -1)
      @listed = false
    end
  end

  # A fiber's state: its current span.
  class FState
    attr_reader :ts
    attr_accessor :cur

    def initialize(ts)
      @ts = ts
      l = ts.last
      @cur = l && !l.done ? l : nil
    end
  end

  # A function, or a site of var/branch/loop/exception events.
  class Site
    attr_reader :kind, :file, :line, :key, :mid, :red, :recorded, :calls, :failed
    attr_accessor :nxt, :omitted, :om_dur, :om_max, :om_failed, :om_iter, :om_max_iter, :last, :om_types, :slow

    def initialize(kind, file, line, key, mid, red, nxt)
      @kind = kind
      @file = file
      @line = line
      @key = key
      @mid = mid
      @red = red
      @nxt = nxt
      @recorded = 0
      @calls = 0
      @failed = 0
      reset
    end

    def reset
      @recorded = 0
      @calls = 0
      @failed = 0
      @omitted = 0
      @om_dur = 0
      @om_max = 0
      @om_failed = 0
      @om_iter = 0
      @om_max_iter = 0
      @last = nil
      @om_types = nil
      @slow = nil
    end

    # (each a single method: atomic under CRuby's global lock)
    def add_call
      @calls += 1
    end

    def add_failed
      @failed += 1
    end

    # one more event of this site for the process: whether it is written
    def take
      return true if MAX_EVENTS_PER_SITE_PER_PROCESS <= 0
      return false if @recorded >= MAX_EVENTS_PER_SITE_PER_PROCESS
      @recorded += 1
      true
    end

    # (under the lock) one more omitted event: listed for the summaries on the first
    def omit_one
      CtInject.omitted_sites << self if (@omitted += 1) == 1
    end

    def count_type(t)
      h = (@om_types ||= {})
      h[t] = (h[t] || 0) + 1
    end
  end

  Formatted = Struct.new(:text)

  K_FN = 0
  K_VAR = 1
  K_BRANCH = 2
  K_LOOP = 3
  K_EXC = 4
  SUMMARY = %w[calls vars branches loops exceptions].freeze

  @on = false
  @dead = true

  class << self
    attr_reader :omitted_sites

    # ------------------------------------------------------ the API

    # A call starts: its span, made the fiber's current span. args: name,
    # value, name, value, ...
    def span(file, line, name, *args)
      return NOOP if @dead
      fs = Thread.current[KEY] || fstate
      fn = site(K_FN, file, line, name)
      parent = fs.cur
      sp = Live.new(fn, fs, parent, @gen)
      if MAX_SPANS_PER_FUNCTION > 0 && fn.add_call > MAX_SPANS_PER_FUNCTION
        sp.quiet = true
        sp.args = args
      else
        id = new_id
        sp.id = id
        if parent.nil?
          sp.trace = trace_of(id)
        else
          parent.give_ids unless parent.id
          sp.trace = parent.trace
          sp.parent_id = parent.id
        end
        sp.args_json = args_json(args)
      end
      sp.t0 = Process.clock_gettime(MONO, :nanosecond)
      fs.cur = sp # (last: nothing after it can fail)
      fs.ts.last = sp
      sp
    rescue StandardError, ScriptError
      NOOP
    end

    # Variable name was set to value at line: a var event. Returns value.
    def v(file, line, name, value)
      return value if @dead
      begin
        fs = Thread.current[KEY] || fstate
        sp = fs.cur || fs.ts.root
        return value if sp.quiet
        s = site(K_VAR, file, line, name)
        return value unless sp.count(s)
        if s.take
          val = s.red ? REDACTED : fmt(value)
          b = head("var", sp, s, Process.clock_gettime(MONO, :nanosecond))
          b << ',"value":' << q(val)
          emit(tail(b, fs.ts.tid))
        else
          last = s.red ? REDACTED : immutable?(value) ? value : Formatted.new(fmt(value))
          @lock.synchronize do
            s.omit_one
            s.last = last
          end
        end
      rescue StandardError, ScriptError
        nil
      end
      value
    end

    # Arm arm of the branch point at line site was taken: a branch event.
    def b(file, site_line, arm)
      return nil if @dead
      fs = Thread.current[KEY] || fstate
      sp = fs.cur || fs.ts.root
      return nil if sp.quiet
      s = site(K_BRANCH, file, site_line, arm)
      return nil unless sp.count(s)
      if s.take
        emit(tail(head("branch", sp, s, Process.clock_gettime(MONO, :nanosecond)), fs.ts.tid))
      else
        @lock.synchronize { s.omit_one }
      end
      nil
    rescue StandardError, ScriptError
      nil
    end

    # One iteration of the loop at line site (of kind "for" or "while").
    def l(file, site_line, kind = "for")
      return nil if @dead
      fs = Thread.current[KEY] || fstate
      sp = fs.cur
      s = site(K_LOOP, file, site_line, kind.is_a?(String) ? kind : "for")
      if sp.nil? || sp.done
        ts = fs.ts
        @lock.synchronize do # (read at exit by the exiting thread)
          ts.root.loop(s)
          unless ts.listed
            ts.listed = true
            @roots << ts
          end
        end
      elsif !sp.quiet
        sp.loop(s)
      end
      nil
    rescue StandardError, ScriptError
      nil
    end

    # A rescue body at line was entered with e: an exception event.
    def x(file, line, e)
      return nil if @dead
      fs = Thread.current[KEY] || fstate
      sp = fs.cur || fs.ts.root
      return nil if sp.quiet
      s = site(K_EXC, file, line, nil)
      if s.take
        b = head("exception", sp, s, Process.clock_gettime(MONO, :nanosecond))
        b << ',"exception":' << exc_json(e)
        emit(tail(b, fs.ts.tid))
      else
        t = type_name(e)
        @lock.synchronize do
          s.omit_one
          s.count_type(t)
        end
      end
      nil
    rescue StandardError, ScriptError
      nil
    end

    # ------------------------------------------------------ state

    def fstate
      t = Thread.current
      ts = t.thread_variable_get(KEY)
      unless ts.is_a?(TState)
        ts = TState.new
        t.thread_variable_set(KEY, ts)
      end
      fs = FState.new(ts)
      t[KEY] = fs
      fs
    end

    # One read and one write of @next_id with no call between them (see the
    # header), and the value returned is the one written: it read @next_id
    # again after a branch, where another thread could have taken the next
    # id, and two spans got one id. It starts below 2**62 (new_ids), so it
    # never reaches 2**64 and never wraps to 0.
    def new_id
      @next_id += 1
    end

    def trace_of(id)
      @prefix + hex16(id)
    end

    def hex16(n)
      s = n.to_s(16)
      s.length < 16 ? ("0" * (16 - s.length)) << s : s
    end

    # the Site of (kind, file, line, key), made once
    def site(kind, file, line, key)
      file = "nil" unless file.is_a?(String)
      line = 0 unless line.is_a?(Integer)
      t = @files[file] || new_file(file)
      s = t[kind][line]
      while s
        return s if s.key == key
        s = s.nxt
      end
      new_site(kind, file, line, key)
    end

    def new_file(file)
      @lock.synchronize do
        @files[file] ||= [{}, {}, {}, {}, {}]
      end
    end

    def new_site(kind, file, line, key)
      @lock.synchronize do
        t = @files[file][kind]
        s = t[line]
        while s
          return s if s.key == key
          s = s.nxt
        end
        ff = -file
        key = -key if key.is_a?(String)
        mid = +""
        case kind
        when K_FN
          name = key.is_a?(String) ? key : key.is_a?(Symbol) ? key.to_s : "nil"
          mid << ',"name":' << q(name) << ',"module":null,"file":' << q(ff) << ',"line":' << line.to_s <<
            ',"kind":"function"'
        when K_VAR
          mid << ',"file":' << q(ff) << ',"line":' << line.to_s << ',"name":' << q(key.is_a?(String) ? key : "nil")
        when K_BRANCH
          mid << ',"file":' << q(ff) << ',"line":' << line.to_s << ',"site":' << line.to_s << ',"arm":' <<
            (key.is_a?(Integer) ? key.to_s : "0")
        when K_LOOP
          mid << ',"file":' << q(ff) << ',"line":' << line.to_s << ',"site":' << line.to_s << ',"kind":' << q(key)
        else
          mid << ',"file":' << q(ff) << ',"line":' << line.to_s
        end
        red = kind == K_VAR && redacted?(key)
        s = Site.new(kind, ff, line, key, mid.freeze, red, t[line])
        t[line] = s
        @sites << s
        s
      end
    end

    # ------------------------------------------------------ span lines

    def args_json(args)
      return "{}" if args.nil? || args.length < 2
      b = +"{"
      i = 0
      while i + 1 < args.length
        k = args[i]
        key = k.is_a?(String) ? k : k.is_a?(Symbol) ? k.to_s : "arg#{i / 2}"
        b << "," if i > 0
        b << q(key) << ":" << q(redacted?(key) ? REDACTED : fmt(args[i + 1]))
        i += 2
      end
      b << "}"
    end

    def end_span(sp)
      t1 = Process.clock_gettime(MONO, :nanosecond)
      return if @dead
      return if sp.gen != @gen # opened before a fork: the parent's to write
      fn = sp.fn
      failed = !sp.err.nil?
      if sp.quiet
        if !failed || (MAX_FAILURES_PER_FUNCTION > 0 && fn.add_failed > MAX_FAILURES_PER_FUNCTION)
          omit_call(sp, t1)
          return
        end
        sp.give_ids
        sp.args_json = args_json(sp.args)
      end
      tid = sp.fs.ts.tid
      b = +""
      loop_events(b, sp, tid, t1)
      b << '{"v":1,"type":"span","lang":"ruby","trace_id":"' << sp.trace << '","span_id":"' << hex16(sp.id)
      pid = sp.parent_id
      b << (pid ? '","parent_id":"' + hex16(pid) + '"' : '","parent_id":null')
      b << fn.mid << ',"start_unix_ns":' << (@base + sp.t0).to_s << ',"duration_ns":' << (t1 - sp.t0).to_s
      b << ',"args":' << sp.args_json << ',"return":null'
      if failed
        b << ',"status":"error","exception":' << exc_json(sp.err)
      else
        b << ',"status":"ok","exception":null'
      end
      b << ',"pid":' << @pid_s << ',"tid":' << tid.to_s
      suppressed(b, sp) if sp.over
      b << "}\n"
      emit(b)
      # a forked child writes at the end of each of its root spans
      flush if @child && (sp.prev.nil? || sp.prev.gen != @gen)
    end

    def suppressed(b, sp)
      es = []
      sp.counts.each_pair do |s, n|
        es << [s, n - MAX_EVENTS_PER_SITE] if n > MAX_EVENTS_PER_SITE
      end
      return if es.empty?
      es.sort_by! { |s, _| [s.line, s.kind, s.key.to_s] }
      b << ',"suppressed":['
      es.each_with_index do |(s, n), i|
        b << "," if i > 0
        if s.kind == K_VAR
          b << '{"type":"var","file":' << q(s.file) << ',"line":' << s.line.to_s << ',"name":' << q(s.key.to_s)
        else
          b << '{"type":"branch","file":' << q(s.file) << ',"site":' << s.line.to_s << ',"arm":' << s.key.to_s
        end
        b << ',"count":' << n.to_s << "}"
      end
      b << "]"
    end

    # a call over MAX_SPANS_PER_FUNCTION that is not written: counted
    def omit_call(sp, t1)
      fn = sp.fn
      d = t1 - sp.t0
      @lock.synchronize do
        fn.omit_one
        fn.om_dur += d
        fn.om_max = d if d > fn.om_max
        unless sp.err.nil?
          fn.om_failed += 1
          fn.count_type(type_name(sp.err))
        end
        slow = fn.slow
        if SLOWEST_CALLS > 0 && (slow.nil? || slow.length < SLOWEST_CALLS || d > slow[-1][0])
          sp.give_ids
          j = +'{"span_id":"'
          j << hex16(sp.id) << '","start_unix_ns":' << (@base + sp.t0).to_s << ',"duration_ns":' << d.to_s
          j << ',"args":' << args_json(sp.args) << ',"return":null,"exception":'
          j << (sp.err.nil? ? "null" : exc_json(sp.err)) << "}"
          slow = fn.slow = [] if slow.nil?
          i = slow.length
          i -= 1 while i > 0 && slow[i - 1][0] < d
          slow.insert(i, [d, j])
          slow.pop if slow.length > SLOWEST_CALLS
        end
      end
    end

    # the loop events of a span (or a thread's root state), before its line
    def loop_events(b, sp, tid, t1)
      loops = sp.take_loops
      return unless loops
      loops.each_pair do |s, n|
        if s.take
          b << head("loop", sp, s, t1) << ',"iterations":' << n.to_s << ',"target":null,"last":null'
          tail(b, tid)
        else
          @lock.synchronize do
            s.omit_one
            s.om_iter += n
            s.om_max_iter = n if n > s.om_max_iter
          end
        end
      end
    end

    # ------------------------------------------------------ point events

    def head(type, sp, s, t)
      b = +'{"v":1,"type":"'
      b << type << '","lang":"ruby","time_unix_ns":' << (@base + t).to_s
      if sp.fn.nil?
        b << ',"trace_id":null,"span_id":null'
      else
        b << ',"trace_id":"' << sp.trace << '","span_id":"' << hex16(sp.id) << '"'
      end
      b << s.mid
    end

    def tail(b, tid)
      b << ',"pid":' << @pid_s << ',"tid":' << tid.to_s << "}\n"
    end

    # (=== of core classes: nothing of v runs)
    def immutable?(v)
      case v
      when NilClass, TrueClass, FalseClass, Integer, Float, Symbol then true
      else K_CLASS.bind_call(v).equal?(String) && K_FROZEN.bind_call(v)
      end
    end

    # ------------------------------------------------------ exceptions

    def exc_json(e)
      b = +'{"type":'
      b << q(type_name(e)) << ',"message":'
      m = exc_message(e)
      b << (m.nil? ? "null" : q(cut(m))) << "}"
    end

    def class_name(c)
      while c
        n = M_NAME.bind_call(c)
        return n if n
        c = c.superclass
      end
      "Object"
    end

    def type_name(e)
      class_name(K_CLASS.bind_call(e))
    rescue StandardError
      "Object"
    end

    def exc_message(e)
      return nil unless Exception === e
      c = K_CLASS.bind_call(e)
      m = @msg_of[c]
      if m.nil?
        m = message_method(c) || false
        @msg_of[c] = m
      end
      return nil unless m
      if NAME_ERROR_OLD && NameError === e
        r = begin
          e.receiver
        rescue ArgumentError
          nil
        end
        return nil unless core_value?(r)
      end
      t = m.bind_call(e)
      String === t ? t : nil
    rescue StandardError
      nil
    end

    # The to_s that makes c's message: that of the first class of its
    # ancestors that defines one, past the modules loaded before the program
    # (did_you_mean's and error_highlight's, which add suggestions and source
    # lines), when that class and the owner of c's message existed then;
    # else nil (the program's own code would run).
    def message_method(c)
      return nil unless CORE_EXC[c.instance_method(:message).owner]
      m = c.instance_method(:to_s)
      m = m.super_method while m && !m.owner.is_a?(Class) && CORE_EXC[m.owner]
      m && CORE_EXC[m.owner] ? m : nil
    end

    def core_value?(v)
      case v
      when NilClass, TrueClass, FalseClass, Integer, Float, Symbol then true
      else
        c = K_CLASS.bind_call(v)
        c.equal?(String) || c.equal?(Array) || c.equal?(Hash)
      end
    end

    # ------------------------------------------------------ values

    def redacted?(name)
      return false unless name.is_a?(String)
      r = @red_cache[name]
      if r.nil?
        r = RED.match?(name)
        @red_cache.clear if @red_cache.size > 4096
        @red_cache[-name] = r
      end
      r
    end

    def cut(s)
      return s if s.length <= VALUE_CAP
      return s[0, VALUE_CAP] if VALUE_CAP <= 3
      s[0, VALUE_CAP - 3] + "..."
    end

    # A value as recorded: Ruby's inspect notation, capped, never running
    # the program's code.
    def fmt(v)
      case v
      when nil then return "nil"
      when true then return "true"
      when false then return "false"
      when Integer
        return INT_BITS.bind_call(v) > 3000 ? "<Integer with #{INT_BITS.bind_call(v)} bits>" : INT_S.bind_call(v)
      end
      b = +""
      fv(b, v, 0)
      cut(b)
    rescue StandardError
      "#<#{type_name(v)}>"
    end

    def full?(b)
      b.length > VALUE_CAP
    end

    def fv(b, v, depth)
      case v
      when nil then b << "nil"
      when true then b << "true"
      when false then b << "false"
      when Symbol then b << SYM_INSPECT.bind_call(v)
      when Integer
        n = INT_BITS.bind_call(v)
        b << (n > 3000 ? "<Integer with #{n} bits>" : INT_S.bind_call(v))
      else
        c = K_CLASS.bind_call(v)
        if c.equal?(String)
          s = STR_LEN.bind_call(v) > VALUE_CAP + 1 ? STR_SLICE.bind_call(v, 0, VALUE_CAP + 1) : v
          b << STR_INSPECT.bind_call(s)
        elsif c.equal?(Float)
          b << FLOAT_S.bind_call(v)
        elsif c.equal?(Array)
          return b << "[...]" if depth >= MAX_DEPTH
          b << "["
          first = true
          ARR_EACH.bind_call(v) do |x|
            b << ", " unless first
            first = false
            if full?(b)
              b << "..."
              break
            end
            fv(b, x, depth + 1)
          end
          b << "]"
        elsif c.equal?(Hash)
          return b << "{...}" if depth >= MAX_DEPTH
          b << "{"
          first = true
          HASH_EACH.bind_call(v) do |k, x|
            b << ", " unless first
            first = false
            if full?(b)
              b << "..."
              break
            end
            fv(b, k, depth + 1)
            b << "=>"
            if (String === k || Symbol === k) && redacted?(k.to_s)
              b << REDACTED
            else
              fv(b, x, depth + 1)
            end
          end
          b << "}"
        elsif c.equal?(Range)
          return b << "..." if depth >= MAX_DEPTH
          x = RANGE_BEGIN.bind_call(v)
          fv(b, x, depth + 1) unless x.nil?
          b << (RANGE_EXCL.bind_call(v) ? "..." : "..")
          x = RANGE_END.bind_call(v)
          fv(b, x, depth + 1) unless x.nil?
        elsif c.equal?(Rational)
          b << RAT_INSPECT.bind_call(v)
        elsif c.equal?(Complex)
          b << CPX_INSPECT.bind_call(v)
        elsif c.equal?(Class) || c.equal?(Module)
          n = M_NAME.bind_call(v)
          b << (n || (c.equal?(Class) ? "#<Class>" : "#<Module>"))
        else
          b << "#<" << class_name(c) << ">"
        end
      end
    end

    # ------------------------------------------------------ JSON text

    JSON_ESC = { '"' => '\\"', "\\" => "\\\\", "\n" => "\\n", "\t" => "\\t", "\r" => "\\r" }.freeze
    NEEDS_ESC = /["\\\x00-\x1f\x7f]/.freeze

    # s as a JSON string in ASCII (the trace file holds ASCII only)
    def q(s)
      s = s.to_s unless s.is_a?(String)
      if s.ascii_only?
        return "\"#{s}\"" unless NEEDS_ESC.match?(s)
      else
        s = s.encode(Encoding::UTF_8, invalid: :replace, undef: :replace) unless s.encoding == Encoding::UTF_8
        s = s.scrub("?") unless s.valid_encoding?
      end
      r = +'"'
      s.each_char do |ch|
        o = ch.ord
        if o >= 0x20 && o < 0x7f
          r << (ch == '"' || ch == "\\" ? JSON_ESC[ch] : ch)
        elsif (e = JSON_ESC[ch])
          r << e
        elsif o < 0x10000
          r << format("\\u%04x", o)
        else
          o -= 0x10000
          r << format("\\u%04x\\u%04x", 0xd800 + (o >> 10), 0xdc00 + (o & 0x3ff))
        end
      end
      r << '"'
    rescue StandardError
      '"?"'
    end

    # ------------------------------------------------------ writing

    # one or more whole lines (ASCII) into the buffer
    def emit(line)
      return if @dead
      @lock.synchronize do
        @buf << line
        now = Process.clock_gettime(MONO, :nanosecond)
        flush_locked if @buf.bytesize >= FLUSH_BYTES || @exiting || now - @last_flush > FLUSH_NS
      end
    rescue ThreadError
      nil # a trap handler: the event is dropped
    end

    def flush_locked
      @last_flush = Process.clock_gettime(MONO, :nanosecond)
      if @buf.empty? || @dead
        @buf = +""
        return
      end
      data = @buf
      @buf = +""
      begin
        if MAX_TRACE_BYTES > 0 && @out.size >= MAX_TRACE_BYTES
          @dead = true
          @out.syswrite('{"v":1,"type":"truncated","lang":"ruby","time_unix_ns":' +
                        (@base + Process.clock_gettime(MONO, :nanosecond)).to_s +
                        ',"limit_bytes":' + MAX_TRACE_BYTES.to_s + ',"pid":' + @pid_s + "}\n")
          return
        end
        @out.syswrite(data)
      rescue StandardError => e
        @dead = true
        begin
          $stderr.write("ctinject: cannot write the trace file: #{e.class}: #{e.message} (telemetry is off)\n")
        rescue StandardError
          nil
        end
      end
    end

    def flush
      @lock.synchronize { flush_locked }
    rescue ThreadError
      nil
    end

    # the at_exit handler: loops outside spans, the summaries, the last lines
    def at_exit_hook
      unless @dead
        t = Process.clock_gettime(MONO, :nanosecond)
        roots = @lock.synchronize do
          r = @roots
          @roots = []
          r
        end
        roots.each do |ts|
          b = +""
          loops = @lock.synchronize { ts.root.take_loops }
          next unless loops
          loops.each_pair do |s, n|
            if s.take
              b << head("loop", ts.root, s, t) << ',"iterations":' << n.to_s << ',"target":null,"last":null'
              tail(b, ts.tid)
            else
              @lock.synchronize do
                s.omit_one
                s.om_iter += n
                s.om_max_iter = n if n > s.om_max_iter
              end
            end
          end
          ts.listed = false
          emit(b) unless b.empty?
        end
        sites = @lock.synchronize do
          r = @omitted_sites
          @omitted_sites = []
          r
        end
        sites.each do |s|
          b = nil
          @lock.synchronize do
            b = summary(s, @base + t)
            s.omitted = 0
          end
          emit(b) if b
        end
      end
    rescue StandardError, ScriptError
      nil
    ensure
      begin
        @lock.synchronize do
          flush_locked
          @exiting = true # later events (other at_exit handlers) are written at once
        end
      rescue StandardError
        nil
      end
    end

    def summary(s, time)
      return nil if s.omitted == 0
      b = +'{"v":1,"type":"'
      b << SUMMARY[s.kind] << '","lang":"ruby","time_unix_ns":' << time.to_s << s.mid
      case s.kind
      when K_FN
        b << ',"recorded":' << (s.calls - s.omitted).to_s << ',"omitted":' << s.omitted.to_s
        b << ',"omitted_duration_ns":' << s.om_dur.to_s << ',"omitted_max_duration_ns":' << s.om_max.to_s
        b << ',"omitted_failed":' << s.om_failed.to_s << ',"omitted_exceptions":' << types(s)
        b << ',"slowest":[' << (s.slow || []).map { |x| x[1] }.join(",") << "]"
      when K_VAR
        last = s.last
        text = last.is_a?(Formatted) ? last.text : last.equal?(REDACTED) ? REDACTED : fmt(last)
        b << ',"recorded":' << s.recorded.to_s << ',"omitted":' << s.omitted.to_s << ',"last":' << q(text)
      when K_LOOP
        b << ',"recorded":' << s.recorded.to_s << ',"omitted":' << s.omitted.to_s
        b << ',"omitted_iterations":' << s.om_iter.to_s << ',"omitted_max_iterations":' << s.om_max_iter.to_s
      when K_EXC
        b << ',"recorded":' << s.recorded.to_s << ',"omitted":' << s.omitted.to_s << ',"omitted_types":' << types(s)
      else
        b << ',"recorded":' << s.recorded.to_s << ',"omitted":' << s.omitted.to_s
      end
      b << ',"pid":' << @pid_s << "}\n"
    end

    def types(s)
      return "{}" if s.om_types.nil?
      "{" + s.om_types.map { |k, n| q(k) + ":" + n.to_s }.join(",") + "}"
    end

    # ------------------------------------------------------ start-up and fork

    def new_ids
      r = Random.urandom(16)
      a, c = r.unpack("Q>Q>")
      @prefix = hex16(a)
      @next_id = c >> 2
    rescue StandardError
      s = Process.clock_gettime(MONO, :nanosecond) ^ (Process.pid * 0x9E3779B97F4A7C15)
      @prefix = hex16(s & 0xffff_ffff_ffff_ffff)
      @next_id = (s >> 3) & 0x3fff_ffff_ffff_ffff
    end

    def say_once(text)
      return if ENV["CTINJECT_TRACE_WARNED"]
      ENV["CTINJECT_TRACE_WARNED"] = "1"
      $stderr.write(text)
    rescue StandardError
      nil
    end

    def mkdirs(dir)
      return if File.directory?(dir)
      parent = File.dirname(dir)
      mkdirs(parent) unless parent == dir
      Dir.mkdir(dir)
    rescue Errno::EEXIST
      nil
    end

    def init
      path = ENV["CTINJECT_TRACE_FILE"]
      return false if path.nil? || path.empty?
      d = ENV["CTINJECT_DISABLE"]
      return false if d && %w[1 true yes on].include?(d.strip.downcase)
      begin
        full = File.expand_path(path)
        mkdirs(File.dirname(full))
        @out = File.new(full, File::WRONLY | File::APPEND | File::CREAT | File::BINARY, 0o666)
        @out.sync = true
      rescue StandardError => e
        say_once("ctinject: cannot write the trace file #{path}: #{e.message} (telemetry is off)\n")
        return false
      end
      @lock = Mutex.new
      @buf = +""
      @files = {}
      @sites = []
      @omitted_sites = []
      @roots = []
      @red_cache = {}
      @msg_of = {}.compare_by_identity
      @exiting = false
      @child = false
      @gen = 0
      mono = Process.clock_gettime(MONO, :nanosecond)
      @base = Process.clock_gettime(Process::CLOCK_REALTIME, :nanosecond) - mono
      @last_flush = mono
      @pid_s = Process.pid.to_s
      new_ids
      at_exit { CtInject.at_exit_hook }
      Process.singleton_class.prepend(ForkHook) if Process.respond_to?(:_fork)
      true
    rescue StandardError, ScriptError
      false
    end

    def before_fork
      flush unless @dead
    end

    def after_fork_child
      @lock = Mutex.new
      @buf = +""
      @gen += 1
      @child = true
      @pid_s = Process.pid.to_s
      new_ids
      @sites.each(&:reset)
      @omitted_sites = []
      @roots.each { |ts| ts.root.take_loops; ts.listed = false }
      @roots = []
      @last_flush = Process.clock_gettime(MONO, :nanosecond)
    rescue StandardError
      @dead = true
    end
  end

  # Process._fork (Ruby 3.1+): every fork of the process goes through it.
  module ForkHook
    def _fork
      CtInject.before_fork
      pid = super
      CtInject.after_fork_child if pid == 0
      pid
    end
  end

  @on = init
  @dead = !@on

  # Telemetry off: the calls return at once.
  unless @on
    class << self
      def span(_file, _line, _name, *_args)
        NOOP
      end

      def v(_file, _line, _name, value)
        value
      end

      def b(_file, _site, _arm)
        nil
      end

      def l(_file, _site, _kind = nil)
        nil
      end

      def x(_file, _line, _e)
        nil
      end
    end
  end
end
