#!/usr/bin/env python3
"""Measures one bare-metal link for tests/size/run.sh (Python 3, stdlib only).

    analyze.py flash MAP CORE_OBJ APP_OBJ
        -> "core_text core_rodata libc_text libc_rodata app_text app_rodata"
           bytes of .text*/.rodata* input sections kept in the link, by origin
           (the library object, libc/libgcc members, the test program)
    analyze.py stack CI SU ELF OBJDUMP NM ENTRY...
        -> one line per entry: "ENTRY BYTES PATH" (worst case, or "ENTRY
           RECURSIVE ..." when the call graph has a cycle)

Worst-case stack: -fcallgraph-info=su gives the call graph (VCG) with each
function's frame; -fstack-usage (.su) confirms the frames are static. The
worst case of a function is its frame plus the worst of its callees. Calls
into libc (memcpy, memset, ...) are costed from the linked ELF: the bytes
their prologue pushes (ARM: push/stmdb register count x 4, plus "sub sp,
#N"; RISC-V: "addi sp,sp,-N"); they are leaves. Indirect calls are the caller's callbacks (transport, random,
clock, sleep, log) and are left out: their stack is the caller's, and the
figure is "the library's own, below the caller's buffers and callbacks".
IGNORE_EDGES="caller>callee,..." leaves calls out (run.sh uses it for a
second, run-time figure: see there). EXTRA_EDGES="caller>callee,..." adds
calls the graph cannot see: the library's own calls through a function
pointer (settle's machine calls its API's close and query that way), which
would otherwise be costed as the caller's callbacks.
"""
import os
import re
import subprocess
import sys


def flash(map_path, core, app):
    text = open(map_path, encoding="utf-8", errors="replace").read()
    start = text.find("Linker script and memory map")
    lines = text[start:].splitlines()
    sums = {"core": [0, 0], "libc": [0, 0], "app": [0, 0]}
    pending = None
    out_sec = None
    for line in lines:
        m = re.match(r"^(\.\S+)\s", line)  # an output section header
        if m:
            out_sec = m.group(1)
        if out_sec not in (".text", ".rodata"):
            pending = None
            continue
        m = re.match(r"^ (\.(?:text|rodata)\S*)\s*$", line)
        if m:
            pending = m.group(1)
            continue
        m = re.match(r"^ (\.(?:text|rodata)\S*)\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(\S.*)$", line)
        if m:
            sec, size, origin = m.group(1), int(m.group(3), 16), m.group(4)
        else:
            m = re.match(r"^\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(\S.*)$", line)
            if not (m and pending):
                pending = None
                continue
            sec, size, origin = pending, int(m.group(2), 16), m.group(3)
        pending = None
        kind = 0 if sec.startswith(".text") else 1
        if origin.endswith(core):
            sums["core"][kind] += size
        elif origin.endswith(app):
            sums["app"][kind] += size
        else:
            sums["libc"][kind] += size
    print(" ".join(str(v) for k in ("core", "libc", "app") for v in sums[k]))


def parse_ci(path):
    nodes, edges = {}, {}
    for line in open(path, encoding="utf-8", errors="replace"):
        m = re.match(r'node: \{ title: "([^"]+)" label: "([^"\\]+)(?:\\n([^"]*))?"', line)
        if m:
            title, label, rest = m.group(1), m.group(2), m.group(3) or ""
            fm = re.search(r"(\d+) bytes \((\w+)", rest)
            nodes[title] = {
                "name": label.replace("__builtin_", ""),
                "frame": int(fm.group(1)) if fm else None,
                "kind": fm.group(2) if fm else "extern",
            }
            continue
        m = re.match(r'edge: \{ sourcename: "([^"]+)" targetname: "([^"]+)"', line)
        if m:
            edges.setdefault(m.group(1), set()).add(m.group(2))
    return nodes, edges


def extern_frame(name, elf, objdump, nm, cache={}):
    if name in cache:
        return cache[name]
    syms = subprocess.run([nm, elf], capture_output=True, text=True).stdout
    addr = None
    for line in syms.splitlines():
        p = line.split()
        if len(p) == 3 and p[2] == name and p[1] in "Tt":
            addr = int(p[0], 16) & ~1
    if addr is None:
        cache[name] = 0  # not linked: inlined by the compiler
        return 0
    dis = subprocess.run([objdump, "-d", "--start-address=%d" % addr,
                          "--stop-address=%d" % (addr + 64), elf],
                         capture_output=True, text=True).stdout
    total = 0
    for line in dis.splitlines():
        m = re.search(r"\s(push|stmdb)(?:\.w)?\s+(?:sp!,\s*)?\{([^}]*)\}", line)
        if m:
            regs = 0
            for part in m.group(2).split(","):
                part = part.strip()
                r = re.match(r"r(\d+)-r(\d+)", part)
                regs += int(r.group(2)) - int(r.group(1)) + 1 if r else 1
            total += 4 * regs
        m = re.search(r"\ssub(?:\.w)?\s+sp,\s*(?:sp,\s*)?#(\d+)", line)
        if m:
            total += int(m.group(1))
        # RISC-V: the frame is allocated at once, "addi sp,sp,-N" (which
        # newer objdumps print as "add sp,sp,-N"; "c.addi16sp sp,-N")
        m = re.search(r"\s(?:c\.)?add(?:i|i16sp)?\s+sp,\s*(?:sp,\s*)?-(\d+)", line)
        if m:
            total += int(m.group(1))
    cache[name] = total
    return total


def stack(ci, su, elf, objdump, nm, entries, ignore=(), extra=()):
    nodes, edges = parse_ci(ci)
    for pair in extra:  # "caller>callee" by function name: an edge added
        a, b = pair.split(">")
        src = [t for t, n in nodes.items() if n["name"] == a]
        dst = [t for t, n in nodes.items() if n["name"] == b]
        if not src or not dst:
            sys.exit("EXTRA_EDGES: no function %s" % (a if not src else b))
        for t in src:
            edges.setdefault(t, set()).update(dst)
    for pair in ignore:  # "caller>callee" by function name: an edge left out
        a, b = pair.split(">")
        for src in list(edges):
            if nodes.get(src, {}).get("name") == a:
                edges[src] = {t for t in edges[src] if nodes.get(t, {"name": t})["name"] != b}
    dynamic = [l for l in open(su) if "dynamic" in l]
    by_name = {}
    for title, n in nodes.items():
        by_name.setdefault(n["name"], title)
    memo = {}

    def worst(title, trail):
        if title in trail:
            raise RecursionError(" -> ".join(nodes.get(t, {"name": t})["name"]
                                            for t in trail + [title]))
        if title in memo:
            return memo[title]
        n = nodes.get(title, {"name": title, "frame": None, "kind": "extern"})
        if title == "__indirect_call":
            memo[title] = (0, ["(callback)"])
            return memo[title]
        if n["frame"] is None:
            f = extern_frame(n["name"], elf, objdump, nm)
            memo[title] = (f, ["%s(%d)" % (n["name"], f)])
            return memo[title]
        best, path = 0, []
        for callee in sorted(edges.get(title, ())):
            w, p = worst(callee, trail + [title])
            if w > best:
                best, path = w, p
        memo[title] = (n["frame"] + best, ["%s(%d)" % (n["name"], n["frame"])] + path)
        return memo[title]

    for e in entries:
        title = by_name.get(e)
        if title is None:
            print("%s MISSING -" % e)
            continue
        try:
            w, p = worst(title, [])
            print("%s %d %s%s" % (e, w, ">".join(p), " DYNAMIC" if dynamic else ""))
        except RecursionError as r:
            print("%s RECURSIVE %s" % (e, r))


if __name__ == "__main__":
    if sys.argv[1] == "flash":
        flash(sys.argv[2], sys.argv[3], sys.argv[4])
    elif sys.argv[1] == "stack":
        ignore = [x for x in os.environ.get("IGNORE_EDGES", "").split(",") if x]
        extra = [x for x in os.environ.get("EXTRA_EDGES", "").split(",") if x]
        stack(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6], sys.argv[7:],
              ignore, extra)
    else:
        sys.exit("usage: analyze.py flash MAP CORE APP | stack CI SU ELF OBJDUMP NM ENTRY...")
