#!/usr/bin/env python3
"""Takes the inserted calls out of an instrumented Ruby file: exactly the
texts of the forms documented in src/runtime/ruby/ctinject.rb, nothing else.
What is left must have no CtInject or _ct_ in it (else the forms in the file
are not the documented ones).

Usage: strip.py INSTRUMENTED ORIGINAL_OUT"""
import re
import sys

FILE = r'"[^"\\]*"'
NAME = r'"[^"\\]*"'
IDENT = r"[a-z_][A-Za-z0-9_]*"
PAIRS = r'(?:, "(%s)", \1)*' % IDENT  # (checked pair by pair below)
SPAN_OPEN = re.compile(r'; _ct_s = CtInject\.span\(%s, \d+, %s((?:, "%s", %s)*)\); begin(?:; begin)?$'
                       % (FILE, NAME, IDENT, IDENT))
SPAN_CLOSE = re.compile(r"(?:end; )?rescue Exception => _ct_e; _ct_s\.fail\(_ct_e\); raise; ensure; "
                        r"_ct_s\.finish; end; (?=end\b)")
V_BEFORE = re.compile(r'CtInject\.v\(%s, \d+, "(%s)", \1\); ' % (FILE, IDENT))
V_AFTER = re.compile(r'; CtInject\.v\(%s, \d+, "(%s)", \1\)(?=$| #)' % (FILE, IDENT))
B = re.compile(r"CtInject\.b\(%s, \d+, \d+\); " % FILE)
L = re.compile(r'CtInject\.l\(%s, \d+(?:, "while")?\); ' % FILE)
X = re.compile(r"CtInject\.x\(%s, \d+, (%s)\); " % (FILE, IDENT))


def strip(text):
    out = []
    for n, line in enumerate(text.split("\n"), 1):
        m = SPAN_OPEN.search(line)
        if m:
            for name, value in re.findall(r', "(%s)", (%s)' % (IDENT, IDENT), m.group(1)):
                if name != value:
                    sys.exit("line %d: pair %s, %s" % (n, name, value))
            line = line[:m.start()]
        for pat in (SPAN_CLOSE, V_BEFORE, V_AFTER, B, L, X):
            line = pat.sub("", line)
        if "CtInject" in line or "_ct_" in line:
            sys.exit("line %d: not one of the forms: %s" % (n, line.strip()))
        out.append(line)
    return "\n".join(out)


if __name__ == "__main__":
    with open(sys.argv[1]) as f:
        text = f.read()
    with open(sys.argv[2], "w") as f:
        f.write(strip(text))
