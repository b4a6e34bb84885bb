#!/usr/bin/env python3
"""Helpers for tests/cli/run.sh. Python 3 standard library only.

  helpers.py body KEY NONCE APPID MCHID ORDER SUB...      reference request body
        (SUB is MCHID:NO, or json:TEXT for a verbatim sub_order_list)
  helpers.py drycheck CLI OUT NONCE APPID MCHID ORDER SUB... run --dry-run, compare
  helpers.py signstring NONCE APPID MCHID ORDER SUB...    string to sign, key as ***
  helpers.py response KIND KEY                            a response body (bytes)
  helpers.py responses DIR KEY KIND...                    DIR/r_KIND.xml for each KIND
  helpers.py emu URL reset|stats|requests|add JSON        talk to the emulator
  helpers.py freeport                                     a loopback port nobody holds
  helpers.py json-fields FILE                             check JSON output (see below)
  helpers.py safe-text FILE...                            every line valid UTF-8, no
        control (but LF), bidi override/isolate or U+2028/2029 left raw
  helpers.py closed-pipe CMD...                           CMD with stdout a pipe nobody reads
  helpers.py probe DIR NEEDLE [--uid N] -- CMD...         CMD in DIR with cores allowed; what
        /proc shows of it while it waits, then SIGQUIT (see below)
  helpers.py v3dry FILE EXPECT                            check a --api v3 --dry-run (see below)
  helpers.py pem-middle FILE                              a line from the middle of a PEM body
  helpers.py json-expect FILE EXPR...                     one JSON object d, each EXPR true
  helpers.py drop-proxy PORTFILE PORT N SECONDS           drop the first N requests unanswered,
        relay the rest to 127.0.0.1:PORT

The request builder here is written from the seed page (wechatpay-im/website openapi/v2/pay/closecombinedorder.md) and the v2 signature page (https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=4_3) alone and is
a second opinion next to tests/emulator/wxpay_ref.py: `body` prints our
bytes and, when wxpay_ref is importable, exits 3 if the two disagree.
"""

import hashlib
import hmac
import json
import os
import socket
import sys
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(HERE, "..", "emulator"))
try:
    import wxpay_ref  # noqa: E402
except ImportError:  # the suite still works with our own builder alone
    wxpay_ref = None


# ------------------------------------- the seed page and the v2 signature --

def php_json_string(s):
    """json_encode() of an ASCII string: '"', '\\' and '/' escaped."""
    out = ['"']
    for ch in s:
        if ch in '"\\/':
            out.append("\\" + ch)
        elif ord(ch) < 0x20:
            out.append("\\u%04x" % ord(ch))
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def sub_list(subs):
    return "[" + ",".join('{"mchid":%s,"out_trade_no":%s}' % (php_json_string(m), php_json_string(n))
                          for m, n in subs) + "]"


def xml_value(v):
    if any(c in v for c in '<>&"'):
        return "<![CDATA[" + v.replace("]]>", "]]]]><![CDATA[>") + "]]>"
    return v


def string_to_sign(fields, key):
    kept = sorted((k, v) for k, v in fields if v != "" and k != "sign")
    kept.sort(key=lambda kv: kv[0].encode())
    return "&".join("%s=%s" % kv for kv in kept) + "&key=" + key


def hmac_sign(fields, key):
    return hmac.new(key.encode(), string_to_sign(fields, key).encode(), hashlib.sha256).hexdigest().upper()


def request_fields(nonce, appid, mchid, order, subs):
    if len(subs) == 1 and subs[0].startswith("json:"):
        sol = subs[0][5:]
    else:
        pairs = []
        for s in subs:
            m, n = s.rsplit(":", 1)
            pairs.append((m, n))
        sol = sub_list(pairs)
    return [("combine_appid", appid), ("combine_mch_id", mchid), ("sign_type", "HMAC-SHA256"),
            ("combine_out_trade_no", order), ("sub_order_list", sol), ("nonce_str", nonce)]


def build_body(key, nonce, appid, mchid, order, subs):
    fields = request_fields(nonce, appid, mchid, order, subs)
    fields.append(("sign", hmac_sign(fields, key)))
    return ("<xml>" + "".join("<%s>%s</%s>" % (k, xml_value(v), k) for k, v in fields) + "</xml>").encode()


def cmd_body(args):
    key, nonce, appid, mchid, order, subs = args[0], args[1], args[2], args[3], args[4], args[5:]
    ours = build_body(key, nonce, appid, mchid, order, subs)
    sys.stdout.buffer.write(ours)
    if wxpay_ref is not None:
        fields = request_fields(nonce, appid, mchid, order, subs)[:-1]
        theirs = wxpay_ref.build_body(fields, key, nonce)
        if theirs != ours:
            sys.stderr.write("helpers.py and wxpay_ref.py disagree:\n%r\n%r\n" % (ours, theirs))
            return 3
    return 0


def cmd_drycheck(args):
    """drycheck CLI OUTFILE NONCE APPID MCHID ORDER SUB...: runs the tool with
    --dry-run (exact argv, key from the environment) and compares its stdout
    byte for byte with build_body() and, when present, wxpay_ref."""
    import subprocess
    cli, outfile, nonce, appid, mchid, order, subs = args[0], args[1], args[2], args[3], args[4], args[5], args[6:]
    key = os.environ["WXPAY_API_KEY"]
    argv = [cli, "--dry-run", "--nonce", nonce, "--appid", appid, "--mchid", mchid, "--order", order]
    for s in subs:
        argv += ["--sub-order-list", s[5:]] if s.startswith("json:") else ["--sub", s]
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    with open(outfile, "wb") as fh:
        fh.write(p.stdout)
    if p.returncode != 0:
        print("exit %d: %s" % (p.returncode, p.stderr.decode("utf-8", "replace").strip()))
        return 1
    ours = build_body(key, nonce, appid, mchid, order, subs)
    if p.stdout != ours:
        print("bytes differ:\n got  %r\n want %r" % (p.stdout, ours))
        return 1
    if wxpay_ref is not None:
        fields = request_fields(nonce, appid, mchid, order, subs)
        if wxpay_ref.build_body(fields[:-1], key, nonce) != ours:
            print("helpers.py and wxpay_ref.py disagree (a test bug)")
            return 1
    return 0


def cmd_signstring(args):
    nonce, appid, mchid, order, subs = args[0], args[1], args[2], args[3], args[4:]
    sys.stdout.write(string_to_sign(request_fields(nonce, appid, mchid, order, subs), "***"))
    return 0


# --------------------------------------------------------------- responses --

APPID = "wx8888888888888888"
MCHID = "1900000109"

HOSTILE = [("return_code", "SUCCESS"), ("return_msg", 'q"uote \\back/slash'),
           ("combine_appid", APPID), ("combine_mch_id", MCHID),
           ("nonce_str", "N0nce"), ("result_code", "FAIL"), ("err_code", "ORDERCLOSED"),
           ("err_code_des", "line1\nline2\r\ttab \u2028sep \u009b[31mcsi 订单已关闭 \U0001F600 <&>"),
           ("x_unknown", "\u2029")]


def signed_xml(fields, key, sign_value=None):
    fields = list(fields)
    sig = hmac_sign(fields, key) if sign_value is None else sign_value
    fields.insert(len(fields), ("sign", sig))
    return ("<xml>" + "".join("<%s><![CDATA[%s]]></%s>" % (k, v, k) for k, v in fields)
            + "</xml>").encode("utf-8")


def success(result="SUCCESS", code=None, des=None, appid=APPID, mchid=MCHID):
    f = [("return_code", "SUCCESS"), ("return_msg", "OK"), ("combine_appid", appid),
         ("combine_mch_id", mchid), ("nonce_str", "5K8264ILTKCH16CQ2502SI8ZNMTM67VS"),
         ("result_code", result)]
    if code:
        f += [("err_code", code), ("err_code_des", des)]
    return f


def cmd_responses(args):
    """responses DIR KEY KIND...: writes DIR/r_KIND.xml for each KIND."""
    d, key = args[0], args[1]
    for kind in args[2:]:
        body = make_response(kind, key)
        if body is None:
            sys.stderr.write("unknown response kind %s\n" % kind)
            return 2
        with open(os.path.join(d, "r_%s.xml" % kind), "wb") as fh:
            fh.write(body)
    return 0


def cmd_response(args):
    body = make_response(args[0], args[1])
    if body is None:
        sys.stderr.write("unknown response kind %s\n" % args[0])
        return 2
    sys.stdout.buffer.write(body)
    return 0


def make_response(kind, key):
    out = None
    if kind == "closed":
        out = signed_xml(success(), key)
    elif kind == "already":
        out = signed_xml(success("FAIL", "ORDERCLOSED", "订单已关闭"), key)
    elif kind == "paid":
        out = signed_xml(success("FAIL", "ORDERPAID", "订单已支付"), key)
    elif kind == "systemerror":
        out = signed_xml(success("FAIL", "SYSTEMERROR", "系统错误"), key)
    elif kind == "notexist":
        out = signed_xml(success("FAIL", "ORDERNOTEXIST", "订单不存在"), key)
    elif kind == "noauth":
        out = signed_xml(success("FAIL", "NOAUTH", "无权限"), key)
    elif kind == "unsigned-fail":
        out = "<xml><return_code><![CDATA[FAIL]]></return_code><return_msg><![CDATA[签名错误]]></return_msg></xml>".encode()
    elif kind == "extra":
        out = signed_xml(success() + [("brand_new_field", "新 <&> value")], key)
    elif kind == "tampered":
        out = signed_xml(success("FAIL", "ORDERPAID", "订单已支付"), key).replace(b"ORDERPAID", b"ORDERCLOSED")
    elif kind == "tampered-extra":  # a field slipped in after signing
        body = signed_xml(success(), key)
        out = body.replace(b"</xml>", b"<injected>1</injected></xml>")
    elif kind == "wrongkey":
        out = signed_xml(success(), "0" * 32)
    elif kind == "nosign":
        f = success()
        out = ("<xml>" + "".join("<%s>%s</%s>" % (k, v, k) for k, v in f) + "</xml>").encode()
    elif kind == "emptysign":
        out = signed_xml(success(), key, "")
    elif kind == "md5":
        s = string_to_sign(success(), key)
        out = signed_xml(success(), key, hashlib.md5(s.encode()).hexdigest().upper())
    elif kind == "nokeysuffix":  # HMAC over the string without &key=
        s = string_to_sign(success(), key).rsplit("&key=", 1)[0]
        out = signed_xml(success(), key, hmac.new(key.encode(), s.encode(), hashlib.sha256).hexdigest().upper())
    elif kind == "otherappid":
        out = signed_xml(success(appid="wx0000000000000000"), key)
    elif kind == "othermchid":
        out = signed_xml(success(mchid="1900000999"), key)
    elif kind == "noresult":
        out = signed_xml(success()[:-1], key)
    elif kind == "hostile":
        out = signed_xml(HOSTILE, key)
    elif kind == "doctype":
        out = (b'<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
               b"<xml><return_code>SUCCESS</return_code><return_msg>&xxe;</return_msg></xml>")
    elif kind == "entity":
        out = b"<xml><return_code>SUCCESS</return_code><return_msg>&xxe;</return_msg></xml>"
    elif kind == "pi":
        out = b"<xml><?php system('id'); ?><return_code>SUCCESS</return_code></xml>"
    elif kind == "nested":
        out = b"<xml><return_code><a>SUCCESS</a></return_code></xml>"
    elif kind == "attribute":
        out = b'<xml><return_code x="1">SUCCESS</return_code></xml>'
    elif kind == "duplicate":
        f = success()
        f.append(("result_code", "FAIL"))
        out = signed_xml(f, key)
    elif kind == "notutf8":
        out = b"<xml><return_code>SUCCESS</return_code><return_msg>\xff\xfe</return_msg></xml>"
    elif kind == "gbk":
        out = "<xml><return_code>FAIL</return_code><return_msg>签名错误</return_msg></xml>".encode("gbk")
    elif kind == "empty":
        out = b""
    elif kind == "binary":
        out = bytes(range(256)) * 4
    elif kind == "unterminated-cdata":
        out = b"<xml><return_code><![CDATA[SUCCESS</return_code></xml>"
    elif kind == "truncated":
        out = signed_xml(success(), key)[:-9]
    elif kind == "nul":
        out = b"<xml><return_code>SUCC\x00ESS</return_code></xml>"
    elif kind == "manyfields":
        f = success() + [("f%03d" % i, "v") for i in range(70)]
        out = signed_xml(f, key)
    elif kind == "huge":
        out = signed_xml(success() + [("padding", "x" * 70000)], key)
    elif kind == "deep":
        out = b"<xml>" + b"<a>" * 5000 + b"</a>" * 5000 + b"</xml>"
    return out


# ---------------------------------------------------------------- emulator --

def cmd_emu(args):
    base, what = args[0].rstrip("/"), args[1]
    if what == "reset":
        req = urllib.request.Request(base + "/_reset", data=b"", method="POST")
    elif what == "add":
        req = urllib.request.Request(base + "/_orders", data=args[2].encode(), method="POST")
    else:
        req = urllib.request.Request(base + "/_stats")
    with urllib.request.urlopen(req, timeout=5) as r:
        doc = json.loads(r.read().decode())
    if what == "requests":
        print(doc["requests"])
    elif what == "stats":
        print(json.dumps(doc))
    return 0


def cmd_freeport(args):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    print(port)
    return 0


# ----------------------------------------------------------------- checks --

def hidden(ch):
    """The characters no line of the tool's output may hold raw: C0 and C1
    controls, DEL, the bidirectional embeddings, overrides and isolates,
    U+2028 and U+2029 (LF only ends lines)."""
    c = ord(ch)
    return (c < 0x20 and ch != "\n") or 0x7F <= c <= 0x9F or 0x202A <= c <= 0x202E or \
        0x2066 <= c <= 0x2069 or c in (0x2028, 0x2029)


def unsafe_text(raw):
    """None when raw is UTF-8 without hidden characters, else why not."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        return "not UTF-8: %s near %r" % (e, raw[max(0, e.start - 20):e.start + 8])
    for i, ch in enumerate(text):
        if hidden(ch):
            return "raw U+%04X near %r" % (ord(ch), text[max(0, i - 20):i + 4])
    return None


def cmd_safe_text(args):
    for path in args:
        why = unsafe_text(open(path, "rb").read())
        if why:
            print("%s: %s" % (os.path.basename(path), why))
            return 1
    return 0


def cmd_closed_pipe(args):
    """Runs args with stdout the write end of a pipe whose read end is
    already closed; prints its exit status and stderr on one line."""
    import subprocess
    r, w = os.pipe()
    os.close(r)
    p = subprocess.run(args, stdout=w, stderr=subprocess.PIPE)
    os.close(w)
    print("rc=%d err=%s" % (p.returncode, p.stderr.decode("utf-8", "replace").strip()))
    return 0


def mem_copies(pid, needle):
    """How many times needle is in the writable and private mappings of
    pid, read through /proc/PID/mem; None when that memory cannot be read."""
    count = 0
    try:
        with open("/proc/%d/maps" % pid) as maps, open("/proc/%d/mem" % pid, "rb", 0) as mem:
            for line in maps:
                addr, perms = line.split()[:2]
                if not perms.startswith("r") or "[vvar]" in line or "[vsyscall]" in line:
                    continue
                lo, hi = (int(x, 16) for x in addr.split("-"))
                try:
                    mem.seek(lo)
                    count += mem.read(hi - lo).count(needle)
                except (OSError, ValueError, OverflowError):
                    pass
    except OSError:
        return None
    return count


def cmd_probe(args):
    """probe DIR NEEDLE [--uid N] -- CMD...: starts CMD in DIR with
    RLIMIT_CORE unlimited (as `ulimit -c unlimited`; as user N when given),
    waits 1 s (CMD is then in a slow exchange), reads its /proc entries,
    sends SIGQUIT and waits. Prints one JSON object: core_limit (soft and
    hard of /proc/PID/limits), proc_uid (owner of /proc/PID/status: root when the
    process is not dumpable), uid (the process's), environ_has and mem_copies
    (NEEDLE in /proc/PID/environ and in its memory; null when unreadable),
    status (exit status, negative: killed by that signal), cores (files named
    core* in DIR afterwards)."""
    import resource
    import signal
    import subprocess
    import time
    d, needle, rest = args[0], args[1].encode(), args[2:]
    uid = None
    if rest[:1] == ["--uid"]:
        uid, rest = int(rest[1]), rest[2:]
    cmd = rest[1:] if rest[:1] == ["--"] else rest

    def allow_cores():
        resource.setrlimit(resource.RLIMIT_CORE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
        if uid is not None:
            os.setgid(uid)
            os.setgroups([])
            os.setuid(uid)

    p = subprocess.Popen(cmd, cwd=d, preexec_fn=allow_cores, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    time.sleep(1.0)
    out = {"core_limit": None, "proc_uid": None, "uid": None, "environ_has": None,
           "mem_copies": None}
    try:
        for line in open("/proc/%d/limits" % p.pid):
            if line.startswith("Max core file size"):
                out["core_limit"] = " ".join(line.split()[4:6])
        out["proc_uid"] = os.stat("/proc/%d/status" % p.pid).st_uid
        for line in open("/proc/%d/status" % p.pid):
            if line.startswith("Uid:"):
                out["uid"] = int(line.split()[1])
        try:
            out["environ_has"] = needle in open("/proc/%d/environ" % p.pid, "rb").read()
        except OSError:
            pass
        out["mem_copies"] = mem_copies(p.pid, needle)
    except OSError as e:
        out["error"] = str(e)
    p.send_signal(signal.SIGQUIT)
    out["status"] = p.wait()
    time.sleep(0.3)  # a core is written before the parent sees the status; be generous
    out["cores"] = sorted(f for f in os.listdir(d) if f.startswith("core"))
    print(json.dumps(out))
    return 0


def hostile_server():
    sys.path.insert(0, os.path.join(HERE, "..", "hostile"))
    import server  # noqa: E402  (tests/hostile/server.py)
    return server


def cmd_json_fields(args):
    """json-fields FILE EXPECT: FILE holds the CLI's stdout; it must be one
    JSON object. EXPECT is a JSON object of top-level key -> value to match,
    with "fields" compared as an ordered list of pairs when given as a list,
    and "has_fields" a list of field names that must be present."""
    raw = open(args[0], "rb").read()
    why = unsafe_text(raw)
    if why:
        print("JSON line unsafe: %s" % why)
        return 1
    try:
        text = raw.decode("utf-8")
        lines = [l for l in text.split("\n") if l.strip()]
        if len(lines) != 1:
            print("expected one line of JSON, got %d" % len(lines))
            return 1
        doc = json.loads(lines[0], object_pairs_hook=lambda p: p)
    except (UnicodeDecodeError, ValueError) as e:
        print("not valid JSON: %s" % e)
        return 1
    top = dict(doc)
    exp = json.loads(args[1])
    for k, v in exp.items():
        if k == "fields":
            got = [tuple(p) for p in top.get("fields", [])]
            want = [tuple(p) for p in v]
            if got != want:
                print("fields differ:\n got  %r\n want %r" % (got, want))
                return 1
        elif k == "hostile_fields_signed_with":
            want = HOSTILE + [("sign", hmac_sign(HOSTILE, v))]
            got = [tuple(p) for p in top.get("fields", [])]
            if got != want:
                print("fields differ:\n got  %r\n want %r" % (got, want))
                return 1
        elif k == "field_values":
            got = dict(top.get("fields", []))
            for name, value in v.items():
                if got.get(name) != value:
                    print("field %s is %r, want %r" % (name, got.get(name), value))
                    return 1
        elif k == "fields_from_server":  # name -> expression of tests/hostile/server.py
            got = dict(top.get("fields", []))
            srv = hostile_server()
            for name, expr in v.items():
                want = eval(expr, vars(srv))
                if got.get(name) != want:
                    print("field %s is %r..., want %r..." % (name, str(got.get(name))[:80], want[:80]))
                    return 1
        elif k == "has":  # key -> substrings its value must hold
            for key, subs in v.items():
                for sub in subs:
                    if sub not in str(top.get(key)):
                        print("%s lacks %r: %r" % (key, sub, top.get(key)))
                        return 1
        elif k == "has_fields":
            names = [p[0] for p in top.get("fields", [])]
            for n in v:
                if n not in names:
                    print("field %s missing from %r" % (n, names))
                    return 1
        elif top.get(k) != v:
            print("%s is %r, want %r" % (k, top.get(k), v))
            return 1
    return 0


def cmd_json_expect(args):
    """json-expect FILE EXPR...: FILE holds the CLI's stdout, one line of
    safe UTF-8 holding one JSON object, read with the json module into d;
    each EXPR is a Python expression over d that must be true."""
    raw = open(args[0], "rb").read()
    why = unsafe_text(raw)
    if why:
        print("JSON line unsafe: %s" % why)
        return 1
    try:
        lines = [l for l in raw.decode("utf-8").split("\n") if l.strip()]
        if len(lines) != 1:
            print("expected one line of JSON, got %d" % len(lines))
            return 1
        d = json.loads(lines[0])
    except (UnicodeDecodeError, ValueError) as e:
        print("not valid JSON: %s" % e)
        return 1
    for expr in args[1:]:
        try:
            ok = eval(expr, {"d": d})
        except Exception as e:  # a missing member is a failed expectation
            ok, why = False, "%s: %s" % (type(e).__name__, e)
        else:
            why = "false"
        if not ok:
            print("%s (%s) in %s" % (expr, why, lines[0][:600]))
            return 1
    return 0


def cmd_drop_proxy(args):
    """drop-proxy PORTFILE TARGET_PORT N LIFETIME_S: listens on 127.0.0.1;
    the first N connections are read until their request head has come and
    then dropped unanswered (the request went out, no answer came back);
    later ones are relayed to 127.0.0.1:TARGET_PORT. Writes its port to
    PORTFILE; exits after LIFETIME_S seconds."""
    import threading
    port_file, target, drops, lifetime = args[0], int(args[1]), int(args[2]), float(args[3])
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(16)
    with open(port_file + ".tmp", "w") as f:
        f.write(str(srv.getsockname()[1]))
    os.rename(port_file + ".tmp", port_file)
    timer = threading.Timer(lifetime, lambda: os._exit(0))
    timer.daemon = True
    timer.start()

    def pipe(a, b):
        try:
            while True:
                chunk = a.recv(65536)
                if not chunk:
                    break
                b.sendall(chunk)
        except OSError:
            pass
        for s_ in (a, b):
            try:
                s_.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    seen = 0
    while True:
        conn, _ = srv.accept()
        seen += 1
        if seen <= drops:
            conn.settimeout(5)
            got = b""
            try:
                while b"\r\n\r\n" not in got:
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    got += chunk
            except OSError:
                pass
            conn.close()
            continue
        up = socket.create_connection(("127.0.0.1", target), 5)
        for a, b in ((conn, up), (up, conn)):
            threading.Thread(target=pipe, args=(a, b), daemon=True).start()


# ------------------------------------------- APIv3 (the combined-close page) --

V3_SCHEME = "WECHATPAY2-SHA256-RSA2048"
V3_HEADERS = ["Authorization", "Content-Type", "Accept", "User-Agent"]
V3_AUTH_KEYS = {"mchid", "serial_no", "timestamp", "nonce_str", "signature"}


def openssl_verify(pub_pem, message, sig):
    """True when `openssl dgst -sha256 -verify` accepts sig over message."""
    import subprocess
    import tempfile
    with tempfile.TemporaryDirectory(prefix="wxpay-cli-") as d:
        sig_path = os.path.join(d, "sig")
        with open(sig_path, "wb") as fh:
            fh.write(sig)
        p = subprocess.run(["openssl", "dgst", "-sha256", "-verify", pub_pem, "-signature", sig_path],
                           input=message, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return p.returncode == 0 and b"Verified OK" in p.stdout


def cmd_v3dry(args):
    """v3dry FILE EXPECT: FILE holds the stdout of `wxpay-close --api v3
    --dry-run`. EXPECT (JSON): url, mchid, serial, appid, subs ([mchid,
    out_trade_no, sub_mchid or null, sub_appid or null]...), pub (the
    merchant public key, PEM path), and optionally timestamp and nonce
    (else: now within 120 s, and 32 of [0-9A-Za-z]). Checks the request line,
    the header names and values, the Authorization items, the body parsed
    with json field by field, and the signature with the openssl command
    over POST\nPATH\nTIMESTAMP\nNONCE\nBODY\n (the APIv3 signature rules)."""
    import base64
    import re
    import time
    import urllib.parse
    exp = json.loads(args[1])
    raw = open(args[0], "rb").read()
    head, sep, rest = raw.partition(b"\n\n")
    if not sep or not rest.endswith(b"\n") or rest.count(b"\n") != 1:
        print("want request line, headers, a blank line and the body on one line: %r" % raw[:300])
        return 1
    body = rest[:-1]
    lines = head.decode("utf-8").split("\n")
    if lines[0] != "POST " + exp["url"]:
        print("request line %r, want %r" % (lines[0], "POST " + exp["url"]))
        return 1
    headers = []
    for line in lines[1:]:
        name, colon, value = line.partition(": ")
        if not colon:
            print("not a header line: %r" % line)
            return 1
        headers.append((name, value))
    names = [n for n, _ in headers]
    if names != V3_HEADERS:
        print("header names %r, want %r" % (names, V3_HEADERS))
        return 1
    h = dict(headers)
    if h["Content-Type"] != "application/json" or h["Accept"] != "application/json":
        print("Content-Type %r / Accept %r" % (h["Content-Type"], h["Accept"]))
        return 1
    if not h["User-Agent"].startswith("wxpay-close/"):
        print("User-Agent %r" % h["User-Agent"])
        return 1
    auth = h["Authorization"]
    if not auth.startswith(V3_SCHEME + " "):
        print("Authorization scheme: %r" % auth[:40])
        return 1
    items = re.findall(r'([a-z_]+)="([^"]*)"', auth[len(V3_SCHEME) + 1:])
    rebuilt = ",".join('%s="%s"' % kv for kv in items)
    if rebuilt != auth[len(V3_SCHEME) + 1:] or set(k for k, _ in items) != V3_AUTH_KEYS or len(items) != 5:
        print("Authorization items malformed: %r" % auth)
        return 1
    a = dict(items)
    if a["mchid"] != exp["mchid"] or a["serial_no"] != exp["serial"]:
        print("mchid %r / serial_no %r" % (a["mchid"], a["serial_no"]))
        return 1
    if exp.get("timestamp") is not None:
        if a["timestamp"] != str(exp["timestamp"]):
            print("timestamp %r, want %r" % (a["timestamp"], exp["timestamp"]))
            return 1
    elif not re.fullmatch(r"[0-9]{10}", a["timestamp"]) or abs(int(a["timestamp"]) - time.time()) > 120:
        print("timestamp %r is not now" % a["timestamp"])
        return 1
    if exp.get("nonce") is not None:
        if a["nonce_str"] != exp["nonce"]:
            print("nonce_str %r, want %r" % (a["nonce_str"], exp["nonce"]))
            return 1
    elif not re.fullmatch(r"[0-9A-Za-z]{32}", a["nonce_str"]):
        print("drawn nonce_str %r is not 32 of [0-9A-Za-z]" % a["nonce_str"])
        return 1
    # the body, parsed: exact members, in order, no duplicates
    try:
        doc = json.loads(body.decode("utf-8"), object_pairs_hook=lambda p: p)
    except (UnicodeDecodeError, ValueError) as e:
        print("body is not JSON: %s: %r" % (e, body[:200]))
        return 1
    want_subs = []
    for m, o, sm, sa in exp["subs"]:
        d = [("mchid", m), ("out_trade_no", o)]
        if sm:
            d.append(("sub_mchid", sm))
        if sa:
            d.append(("sub_appid", sa))
        want_subs.append(d)
    if [k for k, _ in doc] != ["combine_appid", "sub_orders"]:
        print("body members %r" % [k for k, _ in doc])
        return 1
    got = dict(doc)
    if got["combine_appid"] != exp["appid"]:
        print("combine_appid %r, want %r" % (got["combine_appid"], exp["appid"]))
        return 1
    if not isinstance(got["sub_orders"], list) or len(got["sub_orders"]) != len(want_subs):
        print("sub_orders %r" % (got["sub_orders"],))
        return 1
    for i, (g, w) in enumerate(zip(got["sub_orders"], want_subs)):
        if list(g) != w:
            print("sub_orders[%d] is %r, want %r" % (i, g, w))
            return 1
    # the signature over the request target that is sent
    target = urllib.parse.urlsplit(exp["url"])
    path = target.path + ("?" + target.query if target.query else "")
    msg = b"POST\n" + path.encode() + b"\n" + a["timestamp"].encode() + b"\n" + \
        a["nonce_str"].encode() + b"\n" + body + b"\n"
    try:
        sig = base64.b64decode(a["signature"], validate=True)
    except ValueError:
        print("signature is not Base64: %r" % a["signature"][:40])
        return 1
    if not openssl_verify(exp["pub"], msg, sig):
        print("openssl dgst -sha256 -verify refuses the signature over %r" % msg[:200])
        return 1
    # and the emulator author's reference, when present, builds the same path
    try:
        import wxpay_v3_ref
    except ImportError:
        wxpay_v3_ref = None
    if wxpay_v3_ref is not None and "order" in exp:
        want_path = wxpay_v3_ref.close_path(exp["order"], exp.get("prefix", ""))
        if want_path != path:
            print("path %r, wxpay_v3_ref.close_path says %r" % (path, want_path))
            return 1
    return 0


def cmd_pem_middle(args):
    """A Base64 line from the middle of a PEM file's body: text that no
    output may hold."""
    lines = [l.strip() for l in open(args[0]) if l.strip() and not l.startswith("-----")]
    print(lines[len(lines) // 2])
    return 0


def main(argv):
    cmds = {"body": cmd_body, "drycheck": cmd_drycheck, "responses": cmd_responses, "signstring": cmd_signstring, "response": cmd_response,
            "emu": cmd_emu, "freeport": cmd_freeport, "json-fields": cmd_json_fields,
            "v3dry": cmd_v3dry, "pem-middle": cmd_pem_middle, "safe-text": cmd_safe_text,
            "closed-pipe": cmd_closed_pipe, "probe": cmd_probe,
            "json-expect": cmd_json_expect, "drop-proxy": cmd_drop_proxy}
    if len(argv) < 2 or argv[1] not in cmds:
        sys.stderr.write(__doc__)
        return 2
    return cmds[argv[1]](argv[2:])


if __name__ == "__main__":
    sys.exit(main(sys.argv))
