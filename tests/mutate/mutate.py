#!/usr/bin/env python3
"""Mutation testing of wxpay_close.h (`make mutate`; not part of `make test`).

Each mutant in tests/mutate/mutants.txt is one small bug: an exact piece of
the header (its anchor) and what replaces it. For each one this script copies
the source tree to build/mutate/<id>/, puts the bug into the copy's header,
runs the fast suites there (unit, cross-check, hostile; the first that fails
is enough) and prints one line:

    KILLED   <id>  <what the bug does>  [<suite>: <first FAIL line>]
    SURVIVED <id>  <what the bug does>

then "mutants: K killed of N (S survived: ids)" and the time taken. A mutant
whose anchor is missing from the header, or found more than once, is not
run: "STALE mutant <id>" (the header changed: update the anchor), counted
as an error. The unmutated tree runs first; if it fails, nothing else runs.

    python3 tests/mutate/mutate.py [-j 1|2] [--keep] [--check] [ID ...]

ID selects mutants (default: all); -j how many run at once (default 2, at
most 2); --keep keeps every copy (survivors' copies are always kept, for a
look at what the suites missed); --check only checks the anchors (a
second, after an edit of the header). Exit status 0 only when every mutant was
killed and none was stale. Python 3 standard library only.
"""
import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HEADER = "wxpay_close.h"
LIST = os.path.join(ROOT, "tests", "mutate", "mutants.txt")
OUT = os.path.join(ROOT, "build", "mutate")
NODE = os.path.join(ROOT, "build", "crosscheck", "node")  # the crosscheck's npm install

# The fast suites, the quickest first; seconds each may take before the
# mutant counts as killed (a bug can make a loop endless).
SUITES = [
    ("unit", "tests/unit/run.sh", 180),
    ("crosscheck", "tests/crosscheck/run.sh", 300),
    ("hostile", "tests/hostile/run.sh", 600),
]


class Mutant:
    def __init__(self, ident, what, line):
        self.id = ident
        self.what = what
        self.line = line
        self.anchor = []
        self.replacement = []


def read_mutants(path):
    """The list's blocks: "@ ID what it does", then "- " lines (the anchor,
    joined with newlines) and "+ " lines (the replacement; none: the anchor
    is deleted). '#' lines and blank lines are comments."""
    mutants, errors = [], []
    cur = None
    with open(path, encoding="utf-8") as f:
        for no, raw in enumerate(f, 1):
            line = raw.rstrip("\n")
            if not line.strip() or line.startswith("#"):
                continue
            if line.startswith("@ "):
                m = re.match(r"@ (\d+) +(.+)$", line)
                if not m:
                    errors.append("line %d: expected '@ ID what it does'" % no)
                    cur = None
                    continue
                cur = Mutant(int(m.group(1)), m.group(2).strip(), no)
                mutants.append(cur)
            elif line[:1] in "-+" and (len(line) == 1 or line[1] == " ") and cur:
                (cur.anchor if line[0] == "-" else cur.replacement).append(line[2:])
            else:
                errors.append("line %d: not '@ ', '- ', '+ ' or '#': %r" % (no, line[:60]))
    seen = set()
    for m in mutants:
        if m.id in seen:
            errors.append("line %d: mutant id %d used twice" % (m.line, m.id))
        seen.add(m.id)
        if not m.anchor or not "".join(m.anchor).strip():
            errors.append("line %d: mutant %d has no anchor" % (m.line, m.id))
    return mutants, errors


def copy_tree(dest):
    if os.path.lexists(dest):
        shutil.rmtree(dest)

    def skip(d, names):
        top = os.path.abspath(d) == ROOT
        return [n for n in names
                if n in (".git", "node_modules", "__pycache__") or (top and n == "build")]

    shutil.copytree(ROOT, dest, ignore=skip, symlinks=True)
    if os.path.isdir(NODE):  # the Node SDK oracle, installed once, shared read-only
        os.makedirs(os.path.join(dest, "build", "crosscheck"), exist_ok=True)
        os.symlink(NODE, os.path.join(dest, "build", "crosscheck", "node"))


def run_suites(tree):
    """(None, seconds) when every suite passes, else ("suite: why", seconds)."""
    env = dict(os.environ)
    env["UNIT_NO_HW"] = "1"  # the SHA-256 instruction build: no mutant touches it
    env.pop("WXPAY_NO_SKIP", None)
    if not os.path.isdir(NODE):
        env["CROSSCHECK_NO_NPM"] = "1"  # never an npm install per copy
    start = time.time()
    for name, script, limit in SUITES:
        p = subprocess.Popen(["sh", script], cwd=tree, env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, start_new_session=True)
        try:
            out, _ = p.communicate(timeout=limit)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)  # the suite's own group only
            p.communicate()
            return "%s: timed out after %d s" % (name, limit), time.time() - start
        text = out.decode("utf-8", "replace")
        fails = [l for l in text.splitlines() if l.startswith("FAIL ")]
        if fails:  # control bytes and non-ASCII shown as '?': one line each
            return "%s: %s" % (name, re.sub(r"[^\x20-\x7e]", "?", fails[0][:160])), \
                time.time() - start
        if p.returncode != 0:
            return "%s: exit status %d" % (name, p.returncode), time.time() - start
    return None, time.time() - start


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("ids", nargs="*", type=int, help="mutant ids (default: all)")
    ap.add_argument("-j", "--jobs", type=int, default=2, choices=(1, 2))
    ap.add_argument("--keep", action="store_true", help="keep every mutated copy")
    ap.add_argument("--check", action="store_true",
                    help="only check that every anchor is in the header exactly once")
    args = ap.parse_args()

    mutants, errors = read_mutants(LIST)
    for e in errors:
        print("ERROR mutants.txt %s" % e)
    if errors:
        return 2
    if args.ids:
        unknown = set(args.ids) - {m.id for m in mutants}
        if unknown:
            print("ERROR no mutant with id %s" % ", ".join(map(str, sorted(unknown))))
            return 2
        mutants = [m for m in mutants if m.id in args.ids]

    with open(os.path.join(ROOT, HEADER), encoding="utf-8") as f:
        source = f.read()
    runnable, stale = [], []
    for m in mutants:
        anchor = "\n".join(m.anchor)
        n = source.count(anchor)
        if n != 1:
            print("STALE mutant %d: its anchor is %s in %s (update tests/mutate/mutants.txt "
                  "line %d)" % (m.id, "missing" if n == 0 else "found %d times" % n, HEADER,
                                m.line), flush=True)
            stale.append(m.id)
        else:
            runnable.append(m)

    if args.check:
        print("anchors: %d of %d found once in %s%s" % (len(runnable), len(mutants), HEADER,
              "; STALE: %s" % " ".join(map(str, stale)) if stale else ""))
        return 0 if not stale else 1

    started = time.time()
    os.makedirs(OUT, exist_ok=True)
    base = os.path.join(OUT, "base")
    copy_tree(base)
    why, secs = run_suites(base)
    if why:
        print("ERROR the unmutated tree fails (%s): fix that first; copy kept in %s"
              % (why, os.path.relpath(base, ROOT)))
        return 2
    print("baseline: the unmutated tree passes the fast suites in %.0f s" % secs, flush=True)
    if not args.keep:
        shutil.rmtree(base)

    lock = threading.Lock()
    survived, killed = [], []

    def one(m):
        tree = os.path.join(OUT, str(m.id))
        copy_tree(tree)
        with open(os.path.join(tree, HEADER), "w", encoding="utf-8") as f:
            f.write(source.replace("\n".join(m.anchor), "\n".join(m.replacement), 1))
        why, secs = run_suites(tree)
        with lock:
            if why:
                killed.append(m.id)
                print("KILLED   %-3d %s  [%s] (%.0f s)" % (m.id, m.what, why, secs), flush=True)
            else:
                survived.append(m.id)
                print("SURVIVED %-3d %s  (copy kept: %s) (%.0f s)"
                      % (m.id, m.what, os.path.relpath(tree, ROOT), secs), flush=True)
        if why and not args.keep:
            shutil.rmtree(tree, ignore_errors=True)

    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        list(pool.map(one, runnable))

    survived.sort()
    print("mutants: %d killed of %d (%d survived%s)%s"
          % (len(killed), len(runnable), len(survived),
             ": " + " ".join(map(str, survived)) if survived else "",
             "; STALE: %s" % " ".join(map(str, stale)) if stale else ""))
    print("time: %.0f s, %d at a time" % (time.time() - started, args.jobs))
    return 0 if not survived and not stale else 1


if __name__ == "__main__":
    sys.exit(main())
