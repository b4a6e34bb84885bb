#!/usr/bin/env python3
"""A local emulator of WeChat Pay's APIv2 POST /pay/closecombinedorder.

Written from SPEC.md and tests/CONVENTIONS.md, independently of the C code,
so that it cross-checks the library. Python 3 standard library only.
See tests/emulator/README.md for the flags, the state file, the
misbehaviours and the control endpoints.

    python3 tests/emulator/emulator.py [--state FILE] [--certs DIR]
                                       [--port-file FILE] [...]

Prints one JSON line once listening:
    {"http": P, "https": P, "https_wrong_host": P}
and runs until SIGTERM/SIGINT. Binds 127.0.0.1 only.
"""

import argparse
import copy
import email.utils
import hashlib
import hmac
import json
import os
import re
import secrets
import signal
import socket
import socketserver
import ssl
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True   # no __pycache__ in the source tree
sys.path.insert(0, HERE)
import wxpay_ref as ref  # noqa: E402  (the independent reference, same dir)

ENDPOINT = "/pay/closecombinedorder"
BIND = "127.0.0.1"

# SPEC section 1: every request field is required; limits in UTF-8 bytes.
REQUEST_FIELDS = (
    ("combine_appid", 32),
    ("combine_mch_id", 32),
    ("nonce_str", 32),
    ("sign_type", 64),
    ("combine_out_trade_no", 32),
    ("sub_order_list", 10240),
    ("sign", 128),
)
MAX_SUB_ORDERS = 10
SUB_FIELD_MAX = 32

MAX_HEAD = 64 * 1024          # request line + headers
MAX_BODY = 1024 * 1024        # request body
HANDSHAKE_TIMEOUT = 10.0
IDLE_TIMEOUT = 30.0
MAX_DELAY_MS = 600000
CONN_LOG = 64                 # connection records shown by /_stats

ORDER_STATES = ("open", "paid", "closed")

# return_code FAIL messages (return_msg). WeChat's exact wording for this API
# is unknown; these follow the v2 family's style.
MSG_POST = "请使用post方法"
MSG_XML = "XML格式错误"
MSG_SIGN = "签名错误"
MSG_SIGN_TYPE = "签名类型错误"
MSG_NO_MCH = "商户号不存在"

SIMPLE_MISBEHAVIOURS = ("systemerror", "http500", "truncated", "notxml",
                        "badsign", "nosign", "emptysign", "md5sign",
                        "extrafield", "drop", "chunked")
EXTRA_FIELD = ("emulator_extra", "未知字段 <&> unknown field, signed")


class ConfigError(Exception):
    pass


def log(*a):
    try:
        print("emulator:", *a, file=sys.stderr, flush=True)
    except Exception:
        pass


# ------------------------------------------------------------------ state --

def _str(v, what, maxlen=None):
    if not isinstance(v, str) or v == "":
        raise ConfigError("%s must be a non-empty string" % what)
    if maxlen is not None and len(v.encode("utf-8")) > maxlen:
        raise ConfigError("%s is longer than %d bytes" % (what, maxlen))
    return v


def check_merchant(m):
    if not isinstance(m, dict):
        raise ConfigError("a merchant must be an object")
    mch = _str(m.get("combine_mch_id"), "merchant combine_mch_id", 32)
    appids = m.get("appids", [])
    if "appid" in m:
        appids = [m["appid"]] + list(appids)
    if not isinstance(appids, list) or not appids:
        raise ConfigError("merchant %s needs an appid (or appids)" % mch)
    appids = [_str(a, "merchant %s appid" % mch, 32) for a in appids]
    key = _str(m.get("key"), "merchant %s key" % mch)
    perm = m.get("combine_permission", True)
    if not isinstance(perm, bool):
        raise ConfigError("merchant %s combine_permission must be true/false" % mch)
    return {"combine_mch_id": mch, "appids": appids, "key": key,
            "combine_permission": perm}


def check_order(o):
    if not isinstance(o, dict):
        raise ConfigError("an order must be an object")
    no = _str(o.get("combine_out_trade_no"), "order combine_out_trade_no", 32)
    mch = _str(o.get("combine_mch_id"), "order %s combine_mch_id" % no, 32)
    st = o.get("state", "open")
    if st not in ORDER_STATES:
        raise ConfigError("order %s state must be one of %s" % (no, ", ".join(ORDER_STATES)))
    age = o.get("age", 3600)
    if isinstance(age, bool) or not isinstance(age, (int, float)) or age < 0:
        raise ConfigError("order %s age must be a number of seconds >= 0" % no)
    subs = o.get("sub_orders")
    if not isinstance(subs, list) or not subs:
        raise ConfigError("order %s needs a non-empty sub_orders list" % no)
    out = []
    for s in subs:
        if not isinstance(s, dict):
            raise ConfigError("order %s: a sub-order must be an object" % no)
        out.append({"mchid": _str(s.get("mchid"), "order %s sub-order mchid" % no, SUB_FIELD_MAX),
                    "out_trade_no": _str(s.get("out_trade_no"), "order %s sub-order out_trade_no" % no, SUB_FIELD_MAX)})
    return {"combine_out_trade_no": no, "combine_mch_id": mch, "state": st,
            "age": age, "sub_orders": out}


def merge_state(state, doc):
    """Adds (or replaces) the merchants and orders of a state document."""
    if isinstance(doc, list):
        doc = {"orders": doc}
    elif isinstance(doc, dict) and "combine_out_trade_no" in doc:
        doc = {"orders": [doc]}
    if not isinstance(doc, dict):
        raise ConfigError("the state must be a JSON object")
    unknown = set(doc) - {"merchants", "orders", "comment", "_comment"}
    if unknown:
        raise ConfigError("unknown key(s) in state: %s" % ", ".join(sorted(unknown)))
    ms, os_ = doc.get("merchants", []), doc.get("orders", [])
    if not isinstance(ms, list) or not isinstance(os_, list):
        raise ConfigError("merchants and orders must be lists")
    for m in ms:
        m = check_merchant(m)
        state["merchants"][m["combine_mch_id"]] = m
    for o in os_:
        o = check_order(o)
        state["orders"][o["combine_out_trade_no"]] = o
    return state


def empty_state():
    return {"merchants": {}, "orders": {}}


def parse_merchant_flag(s):
    """MCH_ID:APPID[,APPID...]:KEY[:noauth]"""
    parts = s.split(":")
    if len(parts) not in (3, 4) or (len(parts) == 4 and parts[3] != "noauth"):
        raise ConfigError("--merchant wants MCH_ID:APPID[,APPID]:KEY[:noauth], got %r" % s)
    return {"combine_mch_id": parts[0], "appids": parts[1].split(","),
            "key": parts[2], "combine_permission": len(parts) == 3}


def parse_order_flag(s):
    """NO:MCH_ID:STATE:AGE:SUBMCH/SUBNO[,SUBMCH/SUBNO...]"""
    parts = s.split(":")
    if len(parts) != 5:
        raise ConfigError("--order wants NO:MCH_ID:STATE:AGE:SUBMCH/SUBNO[,...], got %r" % s)
    no, mch, st, age, subs = parts
    try:
        agev = float(age)
    except ValueError:
        raise ConfigError("--order %s: age %r is not a number" % (no, age))
    sub_list = []
    for item in subs.split(","):
        if "/" not in item:
            raise ConfigError("--order %s: sub-order %r is not SUBMCH/SUBNO" % (no, item))
        a, b = item.split("/", 1)
        sub_list.append({"mchid": a, "out_trade_no": b})
    return {"combine_out_trade_no": no, "combine_mch_id": mch, "state": st,
            "age": agev, "sub_orders": sub_list}


# ---------------------------------------------------------------- records --

class ConnRecord:
    """One accepted TCP connection. `bytes` counts application bytes read
    (decrypted for TLS): a failed handshake leaves it at 0."""

    def __init__(self, listener):
        self.listener = listener
        self.tls = "none"         # none (plain), pending, ok, failed
        self.tls_error = ""
        self.bytes = 0
        self.control_bytes = 0
        self.requests = 0
        self.controls = 0
        self.opened = time.time()

    def counted(self):
        """Connections that only carried control requests are not counted."""
        return not (self.controls > 0 and self.requests == 0)

    def as_json(self):
        d = {"listener": self.listener, "tls": self.tls,
             "bytes": self.bytes - self.control_bytes,
             "requests": self.requests}
        if self.tls_error:
            d["tls_error"] = self.tls_error
        return d


class Answer:
    """What process() decided: the response fields (without sign) and the
    key to sign them with (None for return_code FAIL, which is unsigned)."""

    def __init__(self, fields, key=None, outcome="FAIL"):
        self.fields = fields
        self.key = key
        self.outcome = outcome


def fail_answer(msg):
    return Answer([("return_code", "FAIL"), ("return_msg", msg)], None, "RETURN_FAIL")


# ------------------------------------------------------------------- HTTP --

class Request:
    def __init__(self):
        self.method = ""
        self.target = ""
        self.path = ""
        self.version = "HTTP/1.1"
        self.headers = []
        self.hdict = {}
        self.body = b""
        self.keep_alive = True


class CloseConnection(Exception):
    pass


class Conn:
    """A byte-counting buffered reader/writer over a (TLS) socket."""

    def __init__(self, sock, rec):
        self.sock = sock
        self.rec = rec
        self.buf = bytearray()
        self.consumed = 0

    def _fill(self):
        data = self.sock.recv(65536)
        if not data:
            return False
        self.rec.bytes += len(data)
        self.buf += data
        return True

    def _take(self, n):
        out = bytes(self.buf[:n])
        del self.buf[:n]
        self.consumed += n
        return out

    def readline(self, limit):
        while True:
            i = self.buf.find(b"\n")
            if i >= 0:
                if i + 1 > limit:
                    raise ValueError("line too long")
                return self._take(i + 1)
            if len(self.buf) > limit:
                raise ValueError("line too long")
            if not self._fill():
                return None

    def read(self, n):
        while len(self.buf) < n:
            if not self._fill():
                return None
        return self._take(n)

    def send(self, data):
        self.sock.sendall(data)


def http_date():
    return email.utils.formatdate(usegmt=True)


def response_head(status, reason, headers, keep_alive):
    lines = ["HTTP/1.1 %d %s" % (status, reason),
             "Server: wxpay-close-emulator",
             "Date: " + http_date(),
             "Request-ID: " + secrets.token_hex(16)]
    lines += ["%s: %s" % kv for kv in headers]
    lines.append("Connection: " + ("keep-alive" if keep_alive else "close"))
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def send_simple(conn, status, reason, ctype, body, keep_alive, head_only=False):
    hdr = [("Content-Type", ctype), ("Content-Length", str(len(body)))]
    conn.send(response_head(status, reason, hdr, keep_alive) + (b"" if head_only else body))


def read_request(conn):
    """Reads one request. Returns a Request, or None when the peer closed
    (or went idle) between requests. Sends 400/413/431 itself and raises
    CloseConnection on a request it cannot take."""
    start = conn.consumed
    # Tolerate empty lines before the request line (RFC 9112 2.2).
    while True:
        try:
            line = conn.readline(8192)
        except ValueError:
            send_simple(conn, 414, "URI Too Long", "text/plain", b"request line too long\n", False)
            raise CloseConnection()
        if line is None:
            return None
        if line.strip():
            break
    req = Request()
    parts = line.decode("latin-1").strip().split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/1.") or not parts[1].startswith("/"):
        send_simple(conn, 400, "Bad Request", "text/plain", b"bad request line\n", False)
        raise CloseConnection()
    req.method, req.target, req.version = parts
    req.path = req.target.split("?", 1)[0]
    while True:
        try:
            line = conn.readline(MAX_HEAD)
        except ValueError:
            line = b"x" * (MAX_HEAD + 1)
        if line is None:
            return None
        if conn.consumed - start > MAX_HEAD:
            send_simple(conn, 431, "Request Header Fields Too Large", "text/plain", b"headers too large\n", False)
            raise CloseConnection()
        if line in (b"\r\n", b"\n"):
            break
        text = line.decode("latin-1").rstrip("\r\n")
        if not text or ":" not in text or text[0] in " \t":
            send_simple(conn, 400, "Bad Request", "text/plain", b"bad header line\n", False)
            raise CloseConnection()
        k, v = text.split(":", 1)
        k, v = k.strip(), v.strip()
        req.headers.append((k, v))
        lk = k.lower()
        if lk in req.hdict and lk == "content-length" and req.hdict[lk] != v:
            send_simple(conn, 400, "Bad Request", "text/plain", b"conflicting Content-Length\n", False)
            raise CloseConnection()
        req.hdict[lk] = v
    connhdr = req.hdict.get("connection", "").lower()
    if req.version == "HTTP/1.0":
        req.keep_alive = "keep-alive" in connhdr
    else:
        req.keep_alive = "close" not in connhdr
    te = req.hdict.get("transfer-encoding", "").lower()
    cl = req.hdict.get("content-length")
    expect = req.hdict.get("expect", "").lower() == "100-continue"
    if te:
        if te.split(",")[-1].strip() != "chunked":
            send_simple(conn, 501, "Not Implemented", "text/plain", b"transfer-encoding not supported\n", False)
            raise CloseConnection()
        if expect:
            conn.send(b"HTTP/1.1 100 Continue\r\n\r\n")
        body = bytearray()
        while True:
            try:
                line = conn.readline(1024)
            except ValueError:
                line = None
            if line is None:
                return None
            size_s = line.split(b";", 1)[0].strip()
            try:
                size = int(size_s, 16)
            except ValueError:
                send_simple(conn, 400, "Bad Request", "text/plain", b"bad chunk size\n", False)
                raise CloseConnection()
            if size == 0:
                while True:   # trailers
                    t = conn.readline(MAX_HEAD)
                    if t is None:
                        return None
                    if t in (b"\r\n", b"\n"):
                        break
                break
            if len(body) + size > MAX_BODY:
                send_simple(conn, 413, "Payload Too Large", "text/plain", b"body too large\n", False)
                raise CloseConnection()
            chunk = conn.read(size)
            if chunk is None:
                return None
            body += chunk
            if conn.read(2) not in (b"\r\n",):
                send_simple(conn, 400, "Bad Request", "text/plain", b"bad chunk end\n", False)
                raise CloseConnection()
        req.body = bytes(body)
    elif cl is not None:
        if not cl.isdigit():
            send_simple(conn, 400, "Bad Request", "text/plain", b"bad Content-Length\n", False)
            raise CloseConnection()
        n = int(cl)
        if n > MAX_BODY:
            send_simple(conn, 413, "Payload Too Large", "text/plain", b"body too large\n", False)
            raise CloseConnection()
        if expect and n > 0:
            conn.send(b"HTTP/1.1 100 Continue\r\n\r\n")
        body = conn.read(n)
        if body is None:
            return None
        req.body = body
    req.size = conn.consumed - start
    return req


# -------------------------------------------------------------- emulator --

def parse_prefix(prefix):
    """'/delay-100/chunked' -> {'delay': 100, 'chunked': True}; None when a
    segment is not a known misbehaviour."""
    mb = {}
    if prefix == "":
        return mb
    if not prefix.startswith("/"):
        return None
    for seg in prefix[1:].split("/"):
        if seg in SIMPLE_MISBEHAVIOURS:
            mb[seg] = True
            continue
        m = re.fullmatch(r"systemerror-([0-9]{1,6})", seg)
        if m:
            mb["systemerror_n"] = (seg, int(m.group(1)))
            continue
        m = re.fullmatch(r"delay-([0-9]{1,7})", seg)
        if m and int(m.group(1)) <= MAX_DELAY_MS:
            mb["delay"] = int(m.group(1))
            continue
        return None
    return mb


def _reject_constant(c):
    raise ValueError("%s is not JSON" % c)


class Emulator:
    def __init__(self, initial_state, too_early_code="SYSTEMERROR",
                 min_close_age=60.0, verbose=False):
        self.initial = copy.deepcopy(initial_state)
        self.too_early_code = too_early_code
        self.min_close_age = min_close_age
        self.verbose = verbose
        self.lock = threading.Lock()
        self.started = time.time()
        self.reset()

    # -- state and counters ------------------------------------------------

    def _materialise(self, orders, now):
        out = {}
        for no, o in orders.items():
            o = copy.deepcopy(o)
            o["created"] = now - float(o["age"])
            out[no] = o
        return out

    def reset(self):
        with self.lock:
            now = time.time()
            self.merchants = copy.deepcopy(self.initial["merchants"])
            self.orders = self._materialise(self.initial["orders"], now)
            self.conns = []
            self.requests = 0
            self.by_path = {}
            self.by_outcome = {}
            self.seq_counters = {}
            self.last = None

    def add_state(self, doc):
        tmp = empty_state()
        merge_state(tmp, doc)
        with self.lock:
            self.merchants.update(tmp["merchants"])
            self.orders.update(self._materialise(tmp["orders"], time.time()))
        return {"merchants": len(tmp["merchants"]), "orders": len(tmp["orders"])}

    def new_conn(self, listener):
        rec = ConnRecord(listener)
        with self.lock:
            self.conns.append(rec)
        return rec

    def stats(self):
        with self.lock:
            counted = [c for c in self.conns if c.counted()]
            by_listener = {}
            for c in counted:
                d = by_listener.setdefault(c.listener, {"connections": 0, "requests": 0, "bytes": 0,
                                                        "tls_handshake_failures": 0})
                d["connections"] += 1
                d["requests"] += c.requests
                d["bytes"] += c.bytes - c.control_bytes
                d["tls_handshake_failures"] += c.tls == "failed"
            return {
                "requests": self.requests,
                "connections": len(counted),
                "bytes": sum(c.bytes - c.control_bytes for c in counted),
                "by_path": dict(self.by_path),
                "by_outcome": dict(self.by_outcome),
                "tls_handshake_failures": sum(1 for c in counted if c.tls == "failed"),
                "by_listener": by_listener,
                "connection_log": [c.as_json() for c in counted[-CONN_LOG:]],
                "uptime": round(time.time() - self.started, 3),
            }

    def state_json(self):
        with self.lock:
            now = time.time()
            orders = []
            for o in self.orders.values():
                d = {k: v for k, v in o.items() if k != "created"}
                d["age"] = round(now - o["created"], 3)
                orders.append(d)
            merchants = [{k: v for k, v in m.items() if k != "key"} for m in self.merchants.values()]
            return {"merchants": merchants, "orders": orders}

    # -- the endpoint -----------------------------------------------------

    def process(self, body, force_systemerror=False):
        """Decides the answer to one POST body (SPEC sections 1-3)."""
        if not body.strip():
            return fail_answer(MSG_XML + " (empty body)")
        try:
            f = ref.parse_xml(body)
        except ref.XmlError as e:
            return fail_answer("%s (%s)" % (MSG_XML, e))

        for name, limit in REQUEST_FIELDS:
            v = f.get(name, "")
            if v == "":
                return fail_answer("缺少参数%s (missing %s)" % (name, name))
            if len(v.encode("utf-8")) > limit:
                return fail_answer("%s参数长度有误 (%s longer than %d bytes)" % (name, name, limit))
        if f["sign_type"] != ref.SIGN_TYPE:
            return fail_answer("%s (sign_type must be %s)" % (MSG_SIGN_TYPE, ref.SIGN_TYPE))

        mch = f["combine_mch_id"]
        with self.lock:
            merchant = self.merchants.get(mch)
        if merchant is None:
            # No key to verify the request or sign an answer with: WeChat
            # cannot give a signed business answer here either.
            return fail_answer("%s (NOAUTH: unknown combine_mch_id)" % MSG_NO_MCH)
        key = merchant["key"]
        if not re.fullmatch(r"[0-9A-F]{64}", f["sign"]) or not ref.verify(f, key):
            return fail_answer(MSG_SIGN)

        head = [("return_code", "SUCCESS"), ("return_msg", "OK"),
                ("combine_appid", f["combine_appid"]), ("combine_mch_id", mch),
                ("nonce_str", ref.make_nonce(32))]

        def business(code=None, des=None):
            if code is None:
                return Answer(head + [("result_code", "SUCCESS")], key, "SUCCESS")
            return Answer(head + [("result_code", "FAIL"), ("err_code", code),
                                  ("err_code_des", des)], key, code)

        if f["combine_appid"] not in merchant["appids"]:
            return business("NOAUTH", "combine_appid与combine_mch_id不匹配 (appid does not belong to the merchant)")
        if not merchant["combine_permission"]:
            return business("NOAUTH", "商户无此接口权限 (no combined-payment permission)")
        if force_systemerror:
            return business("SYSTEMERROR", "系统错误")

        subs, why = self._parse_subs(f["sub_order_list"])
        if subs is None:
            return business("PARAM_ERROR", "sub_order_list格式错误 (%s)" % why)

        no = f["combine_out_trade_no"]
        with self.lock:
            order = self.orders.get(no)
            if order is None or order["combine_mch_id"] != mch:
                return business("ORDERNOTEXIST", "订单不存在")
            if order["state"] == "paid":
                return business("ORDERPAID", "订单已支付")
            if order["state"] == "closed":
                return business("ORDERCLOSED", "订单已关闭")
            want = sorted((s["mchid"], s["out_trade_no"]) for s in order["sub_orders"])
            if sorted(subs) != want:
                return business("PARAM_ERROR", "子单信息与原合单不一致 (sub-orders do not match the combined order)")
            age = time.time() - order["created"]
            if age < self.min_close_age:
                return business(self.too_early_code,
                                "订单创建后%g秒内不能关单 (closed too early: order created %.1f s ago, "
                                "minimum %g s)" % (self.min_close_age, age, self.min_close_age))
            order["state"] = "closed"
            order["closed_at"] = time.time()
        return business()

    @staticmethod
    def _parse_subs(text):
        def pairs(items):
            d = {}
            for k, v in items:
                if k in d:
                    raise ValueError("duplicate key %r" % k)
                d[k] = v
            return d
        try:
            arr = json.loads(text, object_pairs_hook=pairs, parse_constant=_reject_constant)
        except ValueError as e:
            return None, "not JSON: %s" % e
        if not isinstance(arr, list):
            return None, "not a JSON array"
        if not 1 <= len(arr) <= MAX_SUB_ORDERS:
            return None, "%d sub-orders, want 1 to %d" % (len(arr), MAX_SUB_ORDERS)
        out = []
        for s in arr:
            if not isinstance(s, dict) or set(s) != {"mchid", "out_trade_no"}:
                return None, "each sub-order must be {mchid, out_trade_no}"
            for k in ("mchid", "out_trade_no"):
                v = s[k]
                if not isinstance(v, str) or v == "" or len(v.encode("utf-8")) > SUB_FIELD_MAX:
                    return None, "%s must be a string of 1 to %d bytes" % (k, SUB_FIELD_MAX)
            out.append((s["mchid"], s["out_trade_no"]))
        if len(set(out)) != len(out):
            return None, "duplicate sub-order"
        return out, ""

    @staticmethod
    def render(ans, mb):
        """The XML body of an answer, applying the signature misbehaviours."""
        fields = list(ans.fields)
        if ans.key is not None:
            if mb.get("extrafield"):
                fields.append(EXTRA_FIELD)
            if mb.get("md5sign"):
                sig = ref.sign_md5(fields, ans.key)
            elif mb.get("badsign"):
                # the classic mistake: HMAC over the string without &key=...
                s = ref.sign_string(fields, ans.key)
                s = s[:s.rindex("&key=")]
                sig = hmac.new(ans.key.encode("utf-8"), s.encode("utf-8"),
                               hashlib.sha256).hexdigest().upper()
            else:
                sig = ref.sign(fields, ans.key)
            if mb.get("emptysign"):
                sig = ""
            if not mb.get("nosign"):
                i = [k for k, _ in fields].index("nonce_str") + 1
                fields.insert(i, ("sign", sig))
        return ref.build_xml(fields, always_cdata=True).encode("utf-8")

    # -- dispatch ---------------------------------------------------------

    def serve_connection(self, sock, listener, ctx):
        rec = self.new_conn(listener)
        try:
            sock.settimeout(HANDSHAKE_TIMEOUT)
            if ctx is not None:
                rec.tls = "pending"
                try:
                    sock = ctx.wrap_socket(sock, server_side=True)
                except (ssl.SSLError, OSError, ValueError) as e:
                    rec.tls = "failed"
                    rec.tls_error = str(e)[:200]
                    if self.verbose:
                        log("%s: TLS handshake failed: %s" % (listener, rec.tls_error))
                    return
                rec.tls = "ok"
            sock.settimeout(IDLE_TIMEOUT)
            conn = Conn(sock, rec)
            while True:
                try:
                    req = read_request(conn)
                except CloseConnection:
                    break
                if req is None:
                    break
                if not self.dispatch(conn, req, listener):
                    break
        except (OSError, ssl.SSLError):
            pass
        except Exception as e:  # a bug here must not kill the server
            log("%s: internal error: %s: %s" % (listener, type(e).__name__, e))
        finally:
            try:
                sock.close()
            except OSError:
                pass

    def dispatch(self, conn, req, listener):
        """Answers one request; returns whether to keep the connection."""
        head_only = req.method == "HEAD"
        control = {"/_stats": ("GET", lambda: self.stats()),
                   "/_state": ("GET", lambda: self.state_json()),
                   "/_last": ("GET", lambda: self.last),
                   "/_reset": ("POST", self._do_reset),
                   "/_orders": ("POST", lambda: self.add_state(json.loads(req.body.decode("utf-8"))))}
        if req.path in control:
            with self.lock:
                conn.rec.controls += 1
                conn.rec.control_bytes += req.size
            want, fn = control[req.path]
            if req.method != want and not (want == "GET" and head_only):
                send_simple(conn, 405, "Method Not Allowed", "text/plain",
                            ("use %s\n" % want).encode(), req.keep_alive)
                return req.keep_alive
            try:
                payload = json.dumps(fn(), ensure_ascii=False, sort_keys=True).encode("utf-8")
                status = (200, "OK")
            except (ValueError, ConfigError) as e:
                payload = json.dumps({"error": str(e)}, ensure_ascii=False).encode("utf-8")
                status = (400, "Bad Request")
            send_simple(conn, status[0], status[1], "application/json", payload + b"\n",
                        req.keep_alive, head_only)
            return req.keep_alive

        with self.lock:
            self.requests += 1
            conn.rec.requests += 1
            self.by_path[req.path] = self.by_path.get(req.path, 0) + 1
            self.last = {"listener": listener, "method": req.method, "target": req.target,
                         "version": req.version, "headers": req.headers,
                         "body": req.body.decode("utf-8", "replace")}

        mb = None
        if req.path.endswith(ENDPOINT):
            mb = parse_prefix(req.path[:-len(ENDPOINT)])
        if mb is None:
            self._count("NOT_FOUND")
            send_simple(conn, 404, "Not Found", "text/plain", b"404 Not Found\n", req.keep_alive, head_only)
            return req.keep_alive

        if mb.get("http500") or mb.get("notxml"):
            # A gateway failure in front of the service: nothing processed.
            self._count("HTTP500" if mb.get("http500") else "NOTXML")
            self._delay(mb)
            if mb.get("http500"):
                send_simple(conn, 500, "Internal Server Error", "text/html",
                            b"<html><head><title>500 Internal Server Error</title></head>"
                            b"<body><h1>500 Internal Server Error</h1></body></html>\n",
                            req.keep_alive, head_only)
            else:
                send_simple(conn, 200, "OK", "text/plain",
                            b"Service temporarily unavailable: this body is not XML.\n",
                            req.keep_alive, head_only)
            return req.keep_alive

        if req.method != "POST":
            ans = fail_answer(MSG_POST)
        else:
            force = bool(mb.get("systemerror"))
            if "systemerror_n" in mb:
                seg, n = mb["systemerror_n"]
                with self.lock:
                    c = self.seq_counters.get(seg, 0) + 1
                    self.seq_counters[seg] = c
                force = force or c <= n
            ans = self.process(req.body, force)
        self._count(ans.outcome)
        body = self.render(ans, mb)
        if self.verbose:
            log("%s %s %s -> %s" % (listener, req.method, req.target, ans.outcome))
        self._delay(mb)

        if mb.get("drop"):
            self._hard_close(conn)
            return False
        hdr_ct = ("Content-Type", "text/plain")
        if mb.get("truncated"):
            head = response_head(200, "OK", [hdr_ct, ("Content-Length", str(len(body)))], False)
            conn.send(head + body[:len(body) // 2])
            self._hard_close(conn)
            return False
        if mb.get("chunked"):
            head = response_head(200, "OK", [hdr_ct, ("Transfer-Encoding", "chunked")], req.keep_alive)
            conn.send(head)
            if not head_only:
                cuts = sorted({0, min(7, len(body)), len(body) // 2, len(body)})
                for a, b in zip(cuts, cuts[1:]):
                    if b > a:
                        conn.send(b"%x\r\n" % (b - a) + body[a:b] + b"\r\n")
                conn.send(b"0\r\n\r\n")
            return req.keep_alive
        send_simple(conn, 200, "OK", "text/plain", body, req.keep_alive, head_only)
        return req.keep_alive

    def _do_reset(self):
        self.reset()
        return {"ok": True}

    def _count(self, outcome):
        with self.lock:
            self.by_outcome[outcome] = self.by_outcome.get(outcome, 0) + 1

    @staticmethod
    def _delay(mb):
        if mb.get("delay"):
            time.sleep(mb["delay"] / 1000.0)

    @staticmethod
    def _hard_close(conn):
        try:
            if not isinstance(conn.sock, ssl.SSLSocket):
                conn.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        try:
            conn.sock.close()
        except OSError:
            pass


# ---------------------------------------------------------------- servers --

class Listener(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, name, port, ctx, emu):
        self.name = name
        self.ctx = ctx
        self.emu = emu
        super().__init__((BIND, port), _Handler)

    def shutdown_request(self, request):
        # serve_connection closes the socket (it may have been wrapped).
        try:
            request.close()
        except OSError:
            pass


class _Handler(socketserver.BaseRequestHandler):
    def handle(self):
        srv = self.server
        srv.emu.serve_connection(self.request, srv.name, srv.ctx)


def tls_context(cert, key):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(cert, key)
    try:
        ctx.set_alpn_protocols(["http/1.1"])
    except (NotImplementedError, AttributeError):
        pass
    return ctx


def build_state(args):
    state = empty_state()
    if not args.no_state:
        path = args.state or os.path.join(HERE, "default_state.json")
        try:
            with open(path, "rb") as fh:
                doc = json.loads(fh.read().decode("utf-8"))
        except (OSError, ValueError) as e:
            raise ConfigError("cannot read state %s: %s" % (path, e))
        merge_state(state, doc)
    extra = {"merchants": [parse_merchant_flag(m) for m in args.merchant],
             "orders": [parse_order_flag(o) for o in args.order]}
    merge_state(state, extra)
    return state


def main(argv=None):
    ap = argparse.ArgumentParser(description="Local emulator of WeChat Pay APIv2 POST /pay/closecombinedorder")
    ap.add_argument("--state", help="state file (default: default_state.json beside this script)")
    ap.add_argument("--no-state", action="store_true", help="start with no merchants or orders (use --merchant/--order)")
    ap.add_argument("--merchant", action="append", default=[], metavar="MCH:APPID[,APPID]:KEY[:noauth]",
                    help="add a merchant (repeatable)")
    ap.add_argument("--order", action="append", default=[], metavar="NO:MCH:STATE:AGE:SUBMCH/SUBNO[,...]",
                    help="add an order (repeatable)")
    ap.add_argument("--certs", help="directory with server.pem/server.key (and wronghost.pem/.key)")
    ap.add_argument("--port-file", help="also write the JSON port line to this file (atomically)")
    ap.add_argument("--http-port", type=int, default=0)
    ap.add_argument("--https-port", type=int, default=0)
    ap.add_argument("--https-wrong-host-port", type=int, default=0)
    ap.add_argument("--too-early-code", default="SYSTEMERROR",
                    help="err_code for a close within --min-close-age of creation (default SYSTEMERROR)")
    ap.add_argument("--min-close-age", type=float, default=60.0,
                    help="seconds an order must exist before it may be closed (default 60)")
    ap.add_argument("--lifetime", type=float, default=0.0,
                    help="exit by itself after this many seconds (default 0: run until signalled)")
    ap.add_argument("--verbose", action="store_true", help="log each request to stderr")
    args = ap.parse_args(argv)

    try:
        state = build_state(args)
    except ConfigError as e:
        log("error:", e)
        return 2
    if not re.fullmatch(r"[A-Z0-9_]{1,64}", args.too_early_code):
        log("error: --too-early-code must be an upper-case err_code")
        return 2

    emu = Emulator(state, args.too_early_code, args.min_close_age, args.verbose)
    listeners = []
    try:
        listeners.append(Listener("http", args.http_port, None, emu))
        if args.certs:
            ctx = tls_context(os.path.join(args.certs, "server.pem"),
                              os.path.join(args.certs, "server.key"))
            listeners.append(Listener("https", args.https_port, ctx, emu))
            wp = os.path.join(args.certs, "wronghost.pem")
            if os.path.exists(wp):
                wctx = tls_context(wp, os.path.join(args.certs, "wronghost.key"))
                listeners.append(Listener("https_wrong_host", args.https_wrong_host_port, wctx, emu))
    except (OSError, ssl.SSLError) as e:
        log("error: cannot listen: %s" % e)
        for li in listeners:
            li.server_close()
        return 2

    ports = {"http": None, "https": None, "https_wrong_host": None}
    for li in listeners:
        ports[li.name] = li.server_address[1]
        threading.Thread(target=li.serve_forever, kwargs={"poll_interval": 0.2},
                         name="serve-" + li.name, daemon=True).start()

    stop = threading.Event()

    def on_signal(signum, frame):
        stop.set()
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    line = json.dumps(ports)
    if args.port_file:
        tmp = args.port_file + ".tmp%d" % os.getpid()
        with open(tmp, "w") as fh:
            fh.write(line + "\n")
        os.replace(tmp, args.port_file)
    try:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()
    except (OSError, ValueError):
        pass

    deadline = time.time() + args.lifetime if args.lifetime > 0 else None
    while not stop.wait(0.5):
        if deadline is not None and time.time() >= deadline:
            log("lifetime of %g s reached, exiting" % args.lifetime)
            break
    for li in listeners:
        li.shutdown()
        li.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
