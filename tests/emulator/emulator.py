#!/usr/bin/env python3
"""A local emulator of WeChat Pay's APIv2 POST /pay/closecombinedorder and
of its APIv3 successor
POST /v3/combine-transactions/out-trade-no/{combine_out_trade_no}/close,
and of the queries of the same orders, APIv2 POST /pay/querycombinedorder
and APIv3 GET /v3/combine-transactions/out-trade-no/{combine_out_trade_no}.

Written from WeChat Pay's public pages, the official SDKs and the OpenAPI
definitions (each behaviour's source is named in tests/emulator/README.md)
and tests/CONVENTIONS.md, independently of the C code, so that it
cross-checks the library. Python 3 standard library; the APIv3
path signs and verifies RSA with python3-cryptography when it is importable,
else with the `openssl` command, and needs the keys of `mkcerts.sh` (--certs).
See tests/emulator/README.md for the flags, the state file, the
misbehaviours and the control endpoints.

    python3 tests/emulator/emulator.py [--state FILE] [--certs DIR]
                                       [--port-file FILE] [...]

Prints one JSON line once listening:
    {"http": P, "https": P, "https_wrong_host": P}
and runs until SIGTERM/SIGINT. Binds 127.0.0.1 only.
"""

import argparse
import atexit
import base64
import copy
import datetime
import email.utils
import hashlib
import hmac
import json
import math
import os
import re
import secrets
import shutil
import signal
import socket
import socketserver
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True   # no __pycache__ in the source tree
sys.path.insert(0, HERE)
import wxpay_ref as ref  # noqa: E402  (the independent reference, same dir)

ENDPOINT = "/pay/closecombinedorder"
QUERY_ENDPOINT = "/pay/querycombinedorder"
BIND = "127.0.0.1"

# Every request field is required (wechatpay-im/website
# openapi/v2/pay/closecombinedorder.md); limits in UTF-8 bytes.
REQUEST_FIELDS = (
    ("combine_appid", 32),
    ("combine_mch_id", 32),
    ("nonce_str", 32),
    ("sign_type", 64),
    ("combine_out_trade_no", 32),
    ("sub_order_list", 10240),
    ("sign", 128),
)
# The query (合单查单, wechatpay-im/website openapi/v2/pay/querycombinedorder.md):
# the close's fields less sub_order_list.
QUERY_REQUEST_FIELDS = tuple(f for f in REQUEST_FIELDS if f[0] != "sub_order_list")
MAX_SUB_ORDERS = 10           # APIv2
V3_MAX_SUB_ORDERS = 50        # APIv3: maxItems 50 (TheNorthMemory/wechatpay-openapi close.yaml)
SUB_FIELD_MAX = 32

MAX_HEAD = 64 * 1024          # request line + headers
MAX_BODY = 1024 * 1024        # request body
HANDSHAKE_TIMEOUT = 10.0
IDLE_TIMEOUT = 30.0
MAX_DELAY_MS = 600000
CONN_LOG = 64                 # connection records shown by /_stats

# paying: the customer is entering the password right now (APIv3 answers 202
# USERPAYING, APIv2 err_code USERPAYING; nothing changes until paying_until,
# if set, has passed: then the order is paying_then, paid or open).
# refund: paid, then refunded (a close answers ORDERPAID / 400 ORDER_PAID).
ORDER_STATES = ("open", "paid", "closed", "paying", "refund")
PAYING_THEN = ("paid", "open")
# What a query reports for each state: trade_state and trade_state_desc (the
# descriptions are the emulator's; WeChat's wording per state is not public).
TRADE_STATE = {"open": ("NOTPAY", "订单未支付"), "paid": ("SUCCESS", "支付成功"),
               "closed": ("CLOSED", "订单已关闭"), "paying": ("USERPAYING", "需要用户输入支付密码"),
               "refund": ("REFUND", "转入退款")}
PAID_STATES = ("paid", "refund")      # with transaction_id, success_time
# Query defaults for what an order does not store (README "State file").
DEFAULT_TOTAL_AMOUNT = 100            # fen
DEFAULT_CURRENCY = "CNY"
DEFAULT_TRADE_TYPE = "JSAPI"
DEFAULT_BANK_TYPE = "OTHERS"
DEFAULT_DESCRIPTION = "测试商品 (emulator item)"
# The example openid of the v3 definition (combine_payer_info.openid).
DEFAULT_OPENID = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"
BEIJING = datetime.timezone(datetime.timedelta(hours=8))
# Optional stored sub-order fields a query reports (and their JSON kinds).
SUB_QUERY_STR = ("trade_type", "attach", "description", "goods_tag", "currency",
                 "transaction_id", "bank_type")
SUB_QUERY_INT = ("total_amount", "payer_amount")

# return_code FAIL messages (return_msg). WeChat's exact wording for this API
# is unknown; these follow the v2 family's style.
MSG_POST = "请使用post方法"
MSG_XML = "XML格式错误"
MSG_SIGN = "签名错误"
MSG_SIGN_TYPE = "签名类型错误"
MSG_NO_MCH = "商户号不存在"

SIMPLE_MISBEHAVIOURS = ("systemerror", "systemerror-noecho", "http500", "truncated",
                        "notxml", "badsign", "nosign", "emptysign", "md5sign",
                        "extrafield", "drop", "chunked", "ambiguous", "ambiguous-resplit",
                        "dupmember", "cutlist", "badordernum")
# Query-only hostile prefixes (a 404 on the close's path).
V2_QUERY_ONLY = ("dupmember", "cutlist", "badordernum")
V3_QUERY_ONLY = ("v3dupmember", "v3cutbody")
EXTRA_FIELD = ("emulator_extra", "未知字段 <&> unknown field, signed")
# /ambiguous: err_code=ORDERCLOSED&err_code_a=b in the string to sign is also
# two fields err_code=ORDERCLOSED, err_code_a=b (which sorts right after it).
AMBIGUOUS_ERR_CODE = "ORDERCLOSED&err_code_a=b"

# ------------------------------------------------------------- APIv3 bits --
# The close of the official page 合单关闭订单 and its OpenAPI definition
# (TheNorthMemory/wechatpay-openapi docs/v3/combine-transactions/out-trade-no/
# {combine_out_trade_no}/close.yaml). The misbehaviour prefixes go before
# /v3/...; v2-only ones (and these on the v2 path) are unknown there, so a 404.
V3_PATH_RE = re.compile(r"(.*)/v3/combine-transactions/out-trade-no/([^/]+)/close")
# The query (合单查询订单): GET, no body (TheNorthMemory/wechatpay-openapi
# docs/v3/combine-transactions/out-trade-no/{combine_out_trade_no}.yaml).
V3_QUERY_PATH_RE = re.compile(r"(.*)/v3/combine-transactions/out-trade-no/([^/]+)")
V3_SCHEME = "WECHATPAY2-SHA256-RSA2048"
V3_AUTH_KEYS = ("mchid", "nonce_str", "timestamp", "serial_no", "signature")
V3_AUTH_ITEM = re.compile(r'([A-Za-z_]+)="([^"]*)"')
V3_MAX_SKEW = 300             # seconds between a request's timestamp and now
V3_FAULT_SKEW = 600           # how far /v3stale, /v3future and /v3replay are off
V3_SIGNTEST_PREFIX = "WECHATPAY/SIGNTEST/"
V3_MISBEHAVIOURS = ("systemerror", "http500", "http502", "ratelimit", "drop",
                    "chunked", "v3nosign", "v3badsign", "v3stale", "v3future",
                    "v3wrongkey", "v3unknownserial", "v3signtest", "v3replay",
                    "v3user_paying", "v3ordernotexist", "v3relabel204", "v3dupcode",
                    "v3dupmember", "v3cutbody")
V3_BODY_KEYS = ("combine_appid", "sub_orders")
V3_SUB_KEYS = ("mchid", "out_trade_no", "sub_mchid", "sub_appid", "individual_auth_id")
# Optional sub-order fields. sub_mchid and sub_appid (service providers) must
# be sent exactly as stored; individual_auth_id (商品单个人收款方受理授权ID, the
# 2024 definition) is compared when the order stores one, else ignored.
V3_SUB_OPTIONAL = ("sub_mchid", "sub_appid", "individual_auth_id")
V3_SUB_EXACT = ("sub_mchid", "sub_appid")
V3_FIELD_MAX = {"individual_auth_id": 64}   # the definition gives no length
# The key modes of --v3-key-mode: which key signs an answer (README "Signing
# keys"). switching = a merchant moving from platform certificates to the
# WeChat Pay public key: the key the request's Wechatpay-Serial names.
V3_KEY_MODES = ("switching", "certificate", "public-key")
# The real form of a WeChat Pay public key id: PUB_KEY_ID_ and digits.
PUB_KEY_ID_RE = re.compile(r"PUB_KEY_ID_[0-9]{1,64}")
ORDER_NO_RE = re.compile(r"[0-9A-Za-z_\-|*@]{1,32}")
V3_JSON_TYPE = "application/json; charset=utf-8"
V3_REASONS = {200: "OK", 202: "Accepted", 204: "No Content", 400: "Bad Request", 401: "Unauthorized",
              403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
              429: "Too Many Requests", 500: "Internal Server Error",
              502: "Bad Gateway", 503: "Service Unavailable"}
# Messages of the codes /v3error-STATUS-CODE may send (WeChat's wording where
# a public page gives it, else a plain Chinese one); any other code gets
# V3_ERROR_MESSAGE_DEFAULT.
V3_ERROR_MESSAGES = {
    "RULE_LIMIT": "因业务规则限制请求频率",
    "RULELIMIT": "因业务规则限制请求频率",
    "SERVICE_UNAVAILABLE": "服务不可用，请稍后重试",
    "FREQUENCY_LIMITED": "频率超限，请降低请求频率",
    "RATELIMIT_EXCEEDED": "请求超过频率限制",
    "SYSTEM_ERROR": "系统错误",
    "SYSTEMERROR": "系统错误",
    "ORDER_NOT_EXIST": "订单不存在",
    "ORDERNOTEXIST": "订单不存在",
}
V3_ERROR_MESSAGE_DEFAULT = "系统繁忙，请稍后重试"
V3_USERPAYING_MESSAGE = "用户支付中，需要输入密码"
# /v3dupcode: a duplicate member; a reader that keeps the last one sees
# ORDER_CLOSED, one that keeps the first sees an empty code.
V3_DUPCODE_BODY = '{"code":"","code":"ORDER_CLOSED","message":"订单已关闭"}'.encode("utf-8")
# Messages: WeChat's wording for this API is not documented; Chinese first,
# as WeChat answers, then why in English.
V3_MSG_SIGN = "签名错误"
V3_MSG_PARAM = "参数错误"


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
        sub = {"mchid": _str(s.get("mchid"), "order %s sub-order mchid" % no, SUB_FIELD_MAX),
               "out_trade_no": _str(s.get("out_trade_no"), "order %s sub-order out_trade_no" % no, SUB_FIELD_MAX)}
        # APIv3 service-provider fields: must then be sent (and equal) on close
        for k in V3_SUB_OPTIONAL:
            if s.get(k) is not None:
                sub[k] = _str(s[k], "order %s sub-order %s" % (no, k), V3_FIELD_MAX.get(k, SUB_FIELD_MAX))
        # what a query reports (defaults in Emulator._query_subs)
        for k in SUB_QUERY_STR:
            if s.get(k) is not None:
                if not isinstance(s[k], str):
                    raise ConfigError("order %s sub-order %s must be a string" % (no, k))
                sub[k] = s[k]
        for k in SUB_QUERY_INT:
            if s.get(k) is not None:
                v = s[k]
                if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                    raise ConfigError("order %s sub-order %s must be an integer >= 0 (fen)" % (no, k))
                sub[k] = v
        if s.get("promotion_detail") is not None:
            sub["promotion_detail"] = s["promotion_detail"]    # passed through (APIv2)
        unknown = set(s) - {"mchid", "out_trade_no", "promotion_detail"} - set(V3_SUB_OPTIONAL) \
            - set(SUB_QUERY_STR) - set(SUB_QUERY_INT)
        if unknown:
            raise ConfigError("order %s: unknown sub-order key(s) %s" % (no, ", ".join(sorted(unknown))))
        out.append(sub)
    order = {"combine_out_trade_no": no, "combine_mch_id": mch, "state": st,
             "age": age, "sub_orders": out}
    if "paying_until" in o or "paying_then" in o:
        until, then = o.get("paying_until"), o.get("paying_then", "paid")
        if st != "paying":
            raise ConfigError("order %s: paying_until/paying_then need state paying" % no)
        if isinstance(until, bool) or not isinstance(until, (int, float)) or until < 0:
            raise ConfigError("order %s paying_until must be a number of seconds >= 0" % no)
        if then not in PAYING_THEN:
            raise ConfigError("order %s paying_then must be one of %s" % (no, ", ".join(PAYING_THEN)))
        order["paying_until"], order["paying_then"] = until, then
    for k in ("combine_appid", "combine_openid", "device_info"):
        if o.get(k) is not None:
            order[k] = _str(o[k], "order %s %s" % (no, k), 128)
    unknown = set(o) - {"combine_out_trade_no", "combine_mch_id", "state", "age", "sub_orders",
                        "paying_until", "paying_then", "combine_appid", "combine_openid",
                        "device_info", "comment"}
    if unknown:
        raise ConfigError("order %s: unknown key(s) %s" % (no, ", ".join(sorted(unknown))))
    return order


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
    """NO:MCH_ID:STATE:AGE:SUBMCH/SUBNO[/SUB_MCHID[/SUB_APPID[/INDIVIDUAL_AUTH_ID]]][,...]"""
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
        a, b, *sp = item.split("/")
        if len(sp) > 3:
            raise ConfigError("--order %s: sub-order %r has more than 5 parts" % (no, item))
        sub = {"mchid": a, "out_trade_no": b}
        for k, v in zip(V3_SUB_OPTIONAL, sp):
            if v:
                sub[k] = v
        sub_list.append(sub)
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


def response_head(status, reason, headers, keep_alive, request_id=None):
    lines = ["HTTP/1.1 %d %s" % (status, reason),
             "Server: wxpay-close-emulator",
             "Date: " + http_date(),
             "Request-ID: " + (request_id or secrets.token_hex(16))]
    lines += ["%s: %s" % kv for kv in headers]
    lines.append("Connection: " + ("keep-alive" if keep_alive else "close"))
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def send_simple(conn, status, reason, ctype, body, keep_alive, head_only=False):
    hdr = [("Content-Type", ctype), ("Content-Length", str(len(body)))]
    conn.send(response_head(status, reason, hdr, keep_alive) + (b"" if head_only else body))


def send_chunked(conn, status, reason, headers, body, keep_alive, head_only=False):
    """The body with Transfer-Encoding: chunked, in a few uneven chunks."""
    head = response_head(status, reason, headers + [("Transfer-Encoding", "chunked")], keep_alive)
    conn.send(head)
    if not head_only:
        cuts = sorted({0, min(7, len(body)), len(body) // 2, len(body)})
        for a, b in zip(cuts, cuts[1:]):
            if b > a:
                conn.send(b"%x\r\n" % (b - a) + body[a:b] + b"\r\n")
        conn.send(b"0\r\n\r\n")


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

# Counted prefixes: the first N requests whose path has the segment misbehave,
# then normal (one counter per segment text, restarted by /_reset).
V2_COUNTED = ((re.compile(r"systemerror-([0-9]{1,6})"), "systemerror_n"),
              (re.compile(r"systemerror-noecho-([0-9]{1,6})"), "noecho_n"))
V3_COUNTED = ((re.compile(r"systemerror-([0-9]{1,6})"), "systemerror_n"),
              (re.compile(r"v3signtest-([0-9]{1,6})"), "signtest_n"))
# /v3error-STATUS-CODE[-N]: a signed JSON error answer with this status and code.
V3_ERROR_SEG = re.compile(r"v3error-([45][0-9][0-9])-([A-Z][A-Z0-9_]{0,62}[A-Z0-9])(?:-([0-9]{1,6}))?")


def parse_prefix(prefix, names=SIMPLE_MISBEHAVIOURS):
    """'/delay-100/chunked' -> {'delay': 100, 'chunked': True}; None when a
    segment is not a known misbehaviour (of `names`, the counted ones of
    that API, /v3error-… for APIv3, and delay-MS)."""
    mb = {}
    if prefix == "":
        return mb
    if not prefix.startswith("/"):
        return None
    v3 = names is V3_MISBEHAVIOURS
    for seg in prefix[1:].split("/"):
        if seg in names:
            mb[seg] = True
            continue
        counted = False
        for rx, key in (V3_COUNTED if v3 else V2_COUNTED):
            m = rx.fullmatch(seg)
            if m:
                mb[key] = (seg, int(m.group(1)))
                counted = True
        if counted:
            continue
        m = V3_ERROR_SEG.fullmatch(seg) if v3 else None
        if m:
            mb["v3error"] = (seg, int(m.group(1)), m.group(2),
                             int(m.group(3)) if m.group(3) else None)
            continue
        m = re.fullmatch(r"delay-([0-9]{1,7})", seg)
        if m and int(m.group(1)) <= MAX_DELAY_MS:
            mb["delay"] = int(m.group(1))
            continue
        return None
    return mb


def _reject_constant(c):
    raise ValueError("%s is not JSON" % c)


def _no_duplicate_keys(items):
    d = {}
    for k, v in items:
        if k in d:
            raise ValueError("duplicate key %r" % k)
        d[k] = v
    return d


# ---------------------------------------------------------- APIv3: RSA --
# SHA256withRSA (PKCS#1 v1.5) signing and verification, two ways. Both load
# PEM files by path: a private key (PKCS#8 or PKCS#1) for signing, a public
# key or a certificate for verifying.

class RsaCryptography:
    """python3-cryptography. Raises ImportError when it is not importable."""
    name = "cryptography"

    def __init__(self):
        from cryptography import x509
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import padding
        self._x509, self._invalid = x509, InvalidSignature
        self._hashes, self._ser, self._padding = hashes, serialization, padding
        self._cache = {}
        self._lock = threading.Lock()

    def _load(self, path, kind):
        with self._lock:
            if (path, kind) in self._cache:
                return self._cache[(path, kind)]
        with open(path, "rb") as fh:
            pem = fh.read()
        if kind == "private":
            obj = self._ser.load_pem_private_key(pem, password=None)
        elif b"-----BEGIN CERTIFICATE-----" in pem:
            obj = self._x509.load_pem_x509_certificate(pem)
            if kind == "public":
                obj = obj.public_key()
        else:
            obj = self._ser.load_pem_public_key(pem)
        with self._lock:
            self._cache[(path, kind)] = obj
        return obj

    def sign(self, key_path, data):
        key = self._load(key_path, "private")
        return key.sign(data, self._padding.PKCS1v15(), self._hashes.SHA256())

    def verify(self, pub_path, data, sig):
        pub = self._load(pub_path, "public")
        try:
            pub.verify(sig, data, self._padding.PKCS1v15(), self._hashes.SHA256())
            return True
        except (self._invalid, ValueError):
            return False

    def cert_serial(self, cert_path):
        return "%X" % self._load(cert_path, "cert").serial_number


class RsaOpenssl:
    """The `openssl` command (dgst -sha256 -sign / -verify)."""
    name = "openssl"

    def __init__(self):
        self._exe = shutil.which("openssl")
        if self._exe is None:
            raise ConfigError("no openssl command")
        self._tmp = None
        self._lock = threading.Lock()

    def _tmpdir(self):
        """A private directory for signature files, made on first use and
        removed at exit."""
        with self._lock:
            if self._tmp is None:
                self._tmp = tempfile.mkdtemp(prefix="wxpay-emu-")
                atexit.register(self.close)
            return self._tmp

    def _run(self, args, data):
        return subprocess.run([self._exe] + args, input=data, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, timeout=20)

    def sign(self, key_path, data):
        p = self._run(["dgst", "-sha256", "-sign", key_path], data)
        if p.returncode != 0 or not p.stdout:
            raise RuntimeError("openssl dgst -sign failed: %s" % p.stderr.decode("utf-8", "replace")[:200])
        return p.stdout

    def _pubkey_file(self, path):
        """openssl dgst -verify wants a public key: extract it from a
        certificate once."""
        with open(path, "rb") as fh:
            if b"-----BEGIN CERTIFICATE-----" not in fh.read():
                return path
        out = os.path.join(self._tmpdir(), "pub-%s.pem" % hashlib.sha256(path.encode()).hexdigest()[:16])
        if not os.path.exists(out):
            p = self._run(["x509", "-noout", "-pubkey", "-in", path], b"")
            if p.returncode != 0:
                raise RuntimeError("openssl x509 -pubkey failed for %s" % path)
            tmp = out + ".%d.%d" % (os.getpid(), threading.get_ident())
            with open(tmp, "wb") as fh:
                fh.write(p.stdout)
            os.replace(tmp, out)
        return out

    def verify(self, pub_path, data, sig):
        fd, sig_path = tempfile.mkstemp(dir=self._tmpdir(), suffix=".sig")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(sig)
            p = self._run(["dgst", "-sha256", "-verify", self._pubkey_file(pub_path),
                           "-signature", sig_path], data)
            return p.returncode == 0 and b"Verified OK" in p.stdout
        finally:
            os.unlink(sig_path)

    def cert_serial(self, cert_path):
        p = self._run(["x509", "-noout", "-serial", "-in", cert_path], b"")
        out = p.stdout.decode("ascii", "replace").strip()
        if p.returncode != 0 or not out.startswith("serial="):
            raise RuntimeError("openssl x509 -serial failed for %s" % cert_path)
        return out[len("serial="):]

    def close(self):
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)


def make_rsa(choice):
    """auto: python3-cryptography when importable, else the openssl command."""
    if choice in ("auto", "cryptography"):
        try:
            return RsaCryptography()
        except ImportError as e:
            if choice == "cryptography":
                raise ConfigError("--crypto cryptography: cannot import it (%s)" % e)
    return RsaOpenssl()


class V3Keys:
    """The APIv3 keys of a mkcerts.sh directory: the merchant's certificate
    and public key (requests), the platform certificate's key and serial and
    the WeChat Pay public key pair and its PUB_KEY_ID_… id (answers), and an
    unrelated second platform key (faults). The public key pair is optional
    (a directory of an older mkcerts.sh has none): without it the emulator
    signs with the certificate key only and --v3-key-mode public-key is an
    error."""
    FILES = ("merchant.pem", "merchant_pub.pem", "platform.key", "platform.serial",
             "platform2.key", "platform2.serial")
    PUBKEY_FILES = ("platform_pubkey.key", "platform_pubkey.id")

    def __init__(self, certs, rsa, key_mode="switching"):
        missing = [f for f in self.FILES if not os.path.isfile(os.path.join(certs, f))]
        if missing:
            raise ConfigError("%s lacks %s (make it with a current mkcerts.sh)"
                              % (certs, ", ".join(missing)))
        self.rsa = rsa
        path = lambda f: os.path.join(certs, f)  # noqa: E731
        self.merchant_pub = path("merchant_pub.pem")
        self.merchant_serial = rsa.cert_serial(path("merchant.pem"))
        self.platform_key = path("platform.key")
        self.platform2_key = path("platform2.key")
        self.platform_serial = self._serial_file(path("platform.serial"))
        self.platform2_serial = self._serial_file(path("platform2.serial"))
        self.pubkey_key = self.pubkey_id = None
        if all(os.path.isfile(path(f)) for f in self.PUBKEY_FILES):
            self.pubkey_key = path("platform_pubkey.key")
            with open(path("platform_pubkey.id"), "r", encoding="ascii") as fh:
                self.pubkey_id = fh.read().strip()
            if not PUB_KEY_ID_RE.fullmatch(self.pubkey_id):
                raise ConfigError("%s is not PUB_KEY_ID_ and digits" % path("platform_pubkey.id"))
        if key_mode == "public-key" and self.pubkey_key is None:
            raise ConfigError("--v3-key-mode public-key needs platform_pubkey.key and "
                              "platform_pubkey.id in %s (a current mkcerts.sh makes them)" % certs)
        self.key_mode = key_mode

    def answer_key(self, named):
        """(private key path, Wechatpay-Serial) for an answer to a request
        whose Wechatpay-Serial header is `named` (None when absent).

        switching: the key named, the certificate when none or an unknown
        one is named. certificate: always the certificate (a merchant that
        has not started the move: a PUB_KEY_ID_ named still gets the
        certificate). public-key: always the public key (the certificate is
        void)."""
        cert = (self.platform_key, self.platform_serial)
        pub = (self.pubkey_key, self.pubkey_id)
        if self.key_mode == "public-key":
            return pub
        if self.key_mode == "certificate" or named is None:
            return cert
        if self.pubkey_id is not None and named == self.pubkey_id:
            return pub
        return cert

    @staticmethod
    def _serial_file(p):
        with open(p, "r", encoding="ascii") as fh:
            v = fh.read().strip()
        if not re.fullmatch(r"[0-9A-Fa-f]{1,64}", v):
            raise ConfigError("%s is not a hex serial" % p)
        return v


def norm_serial(v):
    return v.upper().lstrip("0") or "0"


def parse_v3_authorization(values):
    """The Authorization header(s) -> (dict of the five items, "") or
    (None, why). Strict: the scheme, one space, then exactly the five
    key="value" items, any order, separated by a bare comma."""
    if not values:
        return None, "no Authorization header"
    if len(values) > 1:
        return None, "more than one Authorization header"
    v = values[0]
    if not v.startswith(V3_SCHEME + " "):
        return None, "Authorization must start with '%s ' (one space)" % V3_SCHEME
    rest, pos, items = v[len(V3_SCHEME) + 1:], 0, {}
    while True:
        m = V3_AUTH_ITEM.match(rest, pos)
        if m is None:
            return None, "malformed Authorization at %r (want key=\"value\" items separated by ',')" % rest[pos:pos + 20]
        k, val = m.groups()
        if k not in V3_AUTH_KEYS:
            return None, "unknown Authorization item %r" % k
        if k in items:
            return None, "Authorization item %s given twice" % k
        if val == "":
            return None, "Authorization item %s is empty" % k
        items[k] = val
        pos = m.end()
        if pos == len(rest):
            break
        if rest[pos] != ",":
            return None, "malformed Authorization at %r (want ',' between items)" % rest[pos:pos + 20]
        pos += 1
    missing = [k for k in V3_AUTH_KEYS if k not in items]
    if missing:
        return None, "Authorization lacks %s" % ", ".join(missing)
    if not re.fullmatch(r"[0-9]{1,20}", items["timestamp"]):
        return None, "timestamp must be decimal Unix seconds"
    if not re.fullmatch(r"[0-9A-Fa-f]{1,64}", items["serial_no"]):
        return None, "serial_no must be a hex certificate serial"
    if not re.fullmatch(r"[\x21-\x7e]{1,64}", items["nonce_str"]):
        return None, "nonce_str must be 1 to 64 printable ASCII characters"
    if not re.fullmatch(r"[\x21-\x7e]{1,32}", items["mchid"]):
        return None, "mchid must be 1 to 32 printable ASCII characters"
    return items, ""


def v3_error(status, code, message, **detail):
    """An APIv3 error answer: (status, {"code", "message"[, "detail"]})."""
    d = {"code": code, "message": message}
    if detail:
        d["detail"] = detail
    return status, d


def parse_v3_body(body):
    """The JSON body of a close -> (doc, None, None) or (None, field, why)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return None, "body", "the body is not UTF-8"
    try:
        doc = json.loads(text, object_pairs_hook=_no_duplicate_keys, parse_constant=_reject_constant)
    except ValueError as e:
        return None, "body", "the body is not JSON: %s" % e
    if not isinstance(doc, dict):
        return None, "body", "the body must be a JSON object"
    for k in doc:
        if k not in V3_BODY_KEYS:
            return None, k, "unknown field %s" % k

    def text_ok(v):
        return isinstance(v, str) and v != "" and len(v.encode("utf-8")) <= SUB_FIELD_MAX

    if "combine_appid" not in doc:
        return None, "combine_appid", "combine_appid is missing"
    if not text_ok(doc["combine_appid"]):
        return None, "combine_appid", "combine_appid must be a string of 1 to %d bytes" % SUB_FIELD_MAX
    subs = doc.get("sub_orders")
    if not isinstance(subs, list) or not 1 <= len(subs) <= V3_MAX_SUB_ORDERS:
        return None, "sub_orders", "sub_orders must be an array of 1 to %d objects" % V3_MAX_SUB_ORDERS
    seen = set()
    for i, sub in enumerate(subs):
        where = "sub_orders[%d]" % i
        if not isinstance(sub, dict):
            return None, where, "%s is not an object" % where
        for k in sub:
            if k not in V3_SUB_KEYS:
                return None, "%s.%s" % (where, k), "unknown field %s.%s" % (where, k)
        for k in V3_SUB_KEYS:
            if k in sub or k not in V3_SUB_OPTIONAL:
                v, most = sub.get(k), V3_FIELD_MAX.get(k, SUB_FIELD_MAX)
                if not (isinstance(v, str) and v != "" and len(v.encode("utf-8")) <= most):
                    return None, "%s.%s" % (where, k), \
                        "%s.%s must be a string of 1 to %d bytes" % (where, k, most)
        pair = (sub["mchid"], sub["out_trade_no"])
        if pair in seen:
            return None, where, "duplicate sub-order %s/%s" % pair
        seen.add(pair)
    return doc, None, None


def v3_sub_key(sub):
    return (sub["mchid"], sub["out_trade_no"])


def v3_sub_mismatch(stored, sent):
    """Why the sent sub-orders are not exactly the stored ones, or ""."""
    want = {v3_sub_key(s): s for s in stored}
    got = {v3_sub_key(s): s for s in sent}
    for k in got:
        if k not in want:
            return "sub-order %s/%s is not part of this combined order" % k
    for k in want:
        if k not in got:
            return "sub-order %s/%s is missing (a partial close is not allowed)" % k
    for k, s in want.items():
        for f in V3_SUB_OPTIONAL:
            a, b = s.get(f), got[k].get(f)
            if a is None and f not in V3_SUB_EXACT:
                continue          # not stored: whatever was sent is ignored
            if a != b:
                how = "missing" if b is None else "not expected" if a is None else "different"
                return "%s of sub-order %s/%s does not match the order (%s)" % (f, k[0], k[1], how)
    return ""


class Emulator:
    def __init__(self, initial_state, too_early_code="SYSTEMERROR",
                 min_close_age=60.0, verbose=False, v3_keys=None,
                 v3_unavailable="APIv3 needs --certs DIR (made by mkcerts.sh)",
                 v3_too_early=(400, "INVALID_REQUEST")):
        self.initial = copy.deepcopy(initial_state)
        self.too_early_code = too_early_code
        self.min_close_age = min_close_age
        self.verbose = verbose
        self.v3 = v3_keys                   # a V3Keys, or None: v3 answers 500
        self.v3_unavailable = v3_unavailable
        self.v3_too_early = v3_too_early
        self.v3_replay_record = None        # made once, on the first /v3replay
        self.lock = threading.Lock()
        self.started = time.time()
        self.reset()

    # -- state and counters ------------------------------------------------

    def _materialise(self, orders, now):
        out = {}
        for no, o in orders.items():
            o = copy.deepcopy(o)
            o["created"] = now - float(o["age"])
            if o["state"] in PAID_STATES:
                # paid half a minute after creation (or at creation, if younger)
                o["paid_at"] = o["created"] + min(30.0, float(o["age"]))
            if "paying_until" in o:
                o["paying_deadline"] = now + float(o["paying_until"])
            out[no] = o
        return out

    @staticmethod
    def _settle(order, now):
        """A paying order whose paying_until has passed becomes paying_then
        (paid at its deadline, or open again). Call with self.lock held."""
        if order["state"] == "paying" and "paying_deadline" in order \
                and now >= order["paying_deadline"]:
            order["state"] = order["paying_then"]
            if order["state"] == "paid":
                order["paid_at"] = order["paying_deadline"]
            del order["paying_deadline"]

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
                "v3_crypto": self.v3.rsa.name if self.v3 else None,
            }

    def state_json(self):
        with self.lock:
            now = time.time()
            orders = []
            for o in self.orders.values():
                self._settle(o, now)
                d = {k: v for k, v in o.items()
                     if k not in ("created", "paid_at", "paying_deadline", "closed_at")}
                d["age"] = round(now - o["created"], 3)
                if "paying_deadline" in o:
                    d["paying_left"] = round(o["paying_deadline"] - now, 3)
                orders.append(d)
            merchants = [{k: v for k, v in m.items() if k != "key"} for m in self.merchants.values()]
            return {"merchants": merchants, "orders": orders}

    # -- the endpoint -----------------------------------------------------

    def process(self, body, force_systemerror=False, noecho=False, ambiguous=False,
                query=False, hostile=None):
        """Decides the answer to one POST body (the checks in README.md
        order). noecho: a SYSTEMERROR answer without the echo fields;
        ambiguous: a FAIL answer whose err_code holds '&' and '='; query:
        the body is a querycombinedorder (合单查单), hostile: its prefixes."""
        if not body.strip():
            return fail_answer(MSG_XML + " (empty body)")
        try:
            f = ref.parse_xml(body)
        except ref.XmlError as e:
            return fail_answer("%s (%s)" % (MSG_XML, e))

        for name, limit in (QUERY_REQUEST_FIELDS if query else REQUEST_FIELDS):
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
        if query:
            # the query echoes the number (a required field of its answer)
            head.append(("combine_out_trade_no", f["combine_out_trade_no"]))

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
        if noecho:
            # A real signed SYSTEMERROR answer carried no appid/mch_id echo
            # (developers' community thread on the ordinary closeorder).
            return Answer([("return_code", "SUCCESS"), ("return_msg", "OK"),
                           ("nonce_str", ref.make_nonce(32)), ("result_code", "FAIL"),
                           ("err_code", "SYSTEMERROR"), ("err_code_des", "系统错误")],
                          key, "SYSTEMERROR")
        if ambiguous:
            # Correctly signed, but its string to sign is also that of two
            # fields (see AMBIGUOUS_ERR_CODE).
            return business(AMBIGUOUS_ERR_CODE, "订单已关闭")
        if query:
            return self._query_v2(f, mch, head, key, business, hostile or {})

        subs, why = self._parse_subs(f["sub_order_list"])
        if subs is None:
            return business("PARAM_ERROR", "sub_order_list格式错误 (%s)" % why)

        no = f["combine_out_trade_no"]
        with self.lock:
            order = self.orders.get(no)
            if order is None or order["combine_mch_id"] != mch:
                return business("ORDERNOTEXIST", "订单不存在")
            self._settle(order, time.time())
            if order["state"] in PAID_STATES:
                return business("ORDERPAID", "订单已支付")
            if order["state"] == "closed":
                return business("ORDERCLOSED", "订单已关闭")
            if order["state"] == "paying":
                # The wording of the v2 micropay page for the same state; the
                # close pages list no USERPAYING (not documented for a close).
                return business("USERPAYING", "需要用户输入支付密码")
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

    # -- the queries (合单查单, 合单查询订单) ----------------------------------

    @staticmethod
    def transaction_id(combine_no, out_trade_no):
        """A deterministic 28-digit 微信支付订单号 of a paid sub-order: 4200000
        and 21 digits of a hash of the two numbers (real ones are 28 digits
        starting 42000, e.g. 4200000913202101152566792388 in wechatpay-im/website
        openapi/v3/marketing/busifavor/subsidy/pay-receipts.md)."""
        h = hashlib.sha256(("%s/%s" % (combine_no, out_trade_no)).encode("utf-8")).hexdigest()
        return "4200000" + "%021d" % (int(h, 16) % 10 ** 21)

    @staticmethod
    def rfc3339(t):
        """Beijing time, as WeChat writes it: 2026-12-05T09:15:03+08:00."""
        return datetime.datetime.fromtimestamp(int(t), BEIJING).isoformat()

    def _query_subs(self, order):
        """The sub-orders as a query reports them, in stored order: a dict
        per sub-order with the stored fields or their defaults; paid ones
        (state paid, refund) with transaction_id, success_time, bank_type,
        payer_amount. Call with self.lock held, after _settle."""
        st = order["state"]
        out = []
        for s in order["sub_orders"]:
            total = s.get("total_amount", DEFAULT_TOTAL_AMOUNT)
            d = {"mchid": s["mchid"], "out_trade_no": s["out_trade_no"],
                 "trade_type": s.get("trade_type", DEFAULT_TRADE_TYPE),
                 "attach": s.get("attach", ""),
                 "description": s.get("description", DEFAULT_DESCRIPTION),
                 "total_amount": total, "currency": s.get("currency", DEFAULT_CURRENCY)}
            for k in ("sub_mchid", "goods_tag", "promotion_detail"):
                if k in s:
                    d[k] = s[k]
            if st in PAID_STATES:
                d["transaction_id"] = s.get("transaction_id") or \
                    self.transaction_id(order["combine_out_trade_no"], s["out_trade_no"])
                d["success_time"] = self.rfc3339(order.get("paid_at", order["created"]))
                d["bank_type"] = s.get("bank_type", DEFAULT_BANK_TYPE)
                d["payer_amount"] = s.get("payer_amount", total)
            out.append(d)
        return out

    def _query_v2(self, f, mch, head, key, business, hostile):
        """The rest of a v2 query once the request is verified: the order's
        state and sub_order_list (a JSON string: order_num, order_list)."""
        no = f["combine_out_trade_no"]
        with self.lock:
            order = self.orders.get(no)
            if order is None or order["combine_mch_id"] != mch:
                return business("ORDERNOTEXIST", "订单不存在")
            self._settle(order, time.time())
            st = order["state"]
            subs = self._query_subs(order)
            extra = [(k, order[k]) for k in ("device_info",) if k in order]
            if st in PAID_STATES:
                # "支付成功后返回" (the v3 query page, of combine_payer_info)
                extra.append(("combine_openid", order.get("combine_openid", DEFAULT_OPENID)))
        items = []
        for d in subs:
            amount = {"total_amount": d["total_amount"], "currency": d["currency"]}
            item = {"mchid": d["mchid"], "trade_type": d["trade_type"], "attach": d["attach"],
                    "amount": amount}
            if "transaction_id" in d:
                item["transaction_id"] = d["transaction_id"]
            item["out_trade_no"] = d["out_trade_no"]
            if "goods_tag" in d:
                item["goods_tag"] = d["goods_tag"]
            item["description"] = d["description"]
            if "promotion_detail" in d:
                item["promotion_detail"] = d["promotion_detail"]
            items.append(item)
        order_num = len(items) + (1 if hostile.get("badordernum") else 0)
        text = json.dumps({"order_num": order_num, "order_list": items},
                          ensure_ascii=False, separators=(",", ":"))
        if hostile.get("dupmember"):
            # the first sub-order's total_amount twice, the first one 1 fen:
            # a reader keeping the first sees 1, one keeping the last the truth
            text = text.replace('"amount":{"total_amount":', '"amount":{"total_amount":1,"total_amount":', 1)
        if hostile.get("cutlist"):
            text = text[:len(text) // 2]
        state, desc = TRADE_STATE[st]
        fields = head[:4] + extra + head[4:] + [
            ("result_code", "SUCCESS"), ("result_msg", "OK"),
            ("trade_state", state), ("trade_state_desc", desc), ("sub_order_list", text)]
        return Answer(fields, key, "QUERY:" + state)

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
    def resplit(fields):
        """/ambiguous-resplit: the fields of a signed answer re-cut so that
        the v2 string to sign is unchanged. In name order, the field F
        (err_code when present, else combine_mch_id) absorbs every field
        after it up to and including result_code: F's value becomes
        `v_F&k1=v1&…&result_code=v` and those fields are dropped."""
        order = sorted(k for k, v in fields if v != "")
        first = "err_code" if "err_code" in order else "combine_mch_id"
        i, j = order.index(first), order.index("result_code")
        merged = dict(fields)
        value = "&".join([merged[first]] + ["%s=%s" % (k, merged[k]) for k in order[i + 1:j + 1]])
        dropped = set(order[i + 1:j + 1])
        return [(k, value if k == first else v) for k, v in fields if k not in dropped]

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
            if mb.get("ambiguous-resplit"):
                fields = Emulator.resplit(fields)
            if not mb.get("nosign"):
                names = [k for k, _ in fields]
                i = names.index("nonce_str") + 1 if "nonce_str" in names else len(names)
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
        v3_no = None
        query = False
        if req.path.endswith(ENDPOINT):
            mb = parse_prefix(req.path[:-len(ENDPOINT)])
        elif req.path.endswith(QUERY_ENDPOINT):
            mb = parse_prefix(req.path[:-len(QUERY_ENDPOINT)])
            query = True
        else:
            m = V3_PATH_RE.fullmatch(req.path)
            if not m:
                m = V3_QUERY_PATH_RE.fullmatch(req.path)
                query = m is not None
            if m:
                mb = parse_prefix(m.group(1), V3_MISBEHAVIOURS)
                v3_no = m.group(2)
        if mb is not None and not query and \
                any(mb.get(k) for k in V2_QUERY_ONLY + V3_QUERY_ONLY):
            mb = None     # the query's hostile prefixes mean nothing to a close
        if mb is None:
            self._count("NOT_FOUND")
            send_simple(conn, 404, "Not Found", "text/plain", b"404 Not Found\n", req.keep_alive, head_only)
            return req.keep_alive
        if v3_no is not None:
            return self.dispatch_v3(conn, req, listener, mb, v3_no, head_only, query)

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
            force = bool(mb.get("systemerror")) or self._counted(mb, "systemerror_n")
            noecho = bool(mb.get("systemerror-noecho")) or self._counted(mb, "noecho_n")
            ans = self.process(req.body, force, noecho, bool(mb.get("ambiguous")), query, mb)
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
            send_chunked(conn, 200, "OK", [hdr_ct], body, req.keep_alive, head_only)
            return req.keep_alive
        send_simple(conn, 200, "OK", "text/plain", body, req.keep_alive, head_only)
        return req.keep_alive

    # -- APIv3 -------------------------------------------------------------

    def _counted(self, mb, key):
        """Whether a counted prefix (systemerror-N, v3signtest-N, …) still
        misbehaves for this request: its segment's N-th use or earlier."""
        if key not in mb:
            return False
        seg, n = mb[key]
        with self.lock:
            c = self.seq_counters.get(seg, 0) + 1
            self.seq_counters[seg] = c
        return c <= n

    def _systemerror_forced(self, req, mb):
        return bool(mb.get("systemerror")) or (req.method == "POST" and self._counted(mb, "systemerror_n"))

    def dispatch_v3(self, conn, req, listener, mb, raw_no, head_only, query=False):
        ka = req.keep_alive
        if mb.get("http500") or mb.get("http502"):
            # A gateway in front of the service: nothing checked or processed.
            st = 502 if mb.get("http502") else 500
            self._count("v3:HTTP%d" % st)
            self._delay(mb)
            send_simple(conn, st, V3_REASONS[st], "text/html",
                        b"<html><head><title>%d %s</title></head><body><h1>%d %s</h1></body></html>\n"
                        % (st, V3_REASONS[st].encode(), st, V3_REASONS[st].encode()), ka, head_only)
            return ka
        if self.v3 is None:
            self._count("v3:NO_KEYS")
            body = json.dumps({"code": "EMULATOR_NO_V3_KEYS", "message": self.v3_unavailable},
                              ensure_ascii=False).encode("utf-8")
            send_simple(conn, 500, V3_REASONS[500], V3_JSON_TYPE, body, ka, head_only)
            return ka
        if mb.get("v3replay"):
            # An old, genuinely signed 204 played back: the request never
            # reached the service, nothing is checked or processed.
            self._count("v3:REPLAY")
            rec = self._v3_replay()
            self._delay(mb)
            if mb.get("drop"):
                self._hard_close(conn)
                return False
            conn.send(response_head(204, V3_REASONS[204], rec["headers"], ka, rec["request_id"]))
            return ka

        force_sys = self._systemerror_forced(req, mb)
        forced = None
        if "v3error" in mb:
            seg, st, code, n = mb["v3error"]
            if n is None or self._counted({"e": (seg, n)}, "e"):
                forced = (st, code)
        if mb.get("v3dupcode"):
            forced = (400, "ORDER_CLOSED")
        not_found = "ORDERNOTEXIST" if mb.get("v3ordernotexist") else "ORDER_NOT_EXIST"
        if query:
            status, err = self.process_v3_query(req, raw_no, force_sys, bool(mb.get("ratelimit")),
                                                forced, not_found)
            self._count("v3query:%s" % (status if status == 200 else err["code"]))
        else:
            status, err = self.process_v3(req, raw_no, force_sys, bool(mb.get("ratelimit")), forced,
                                          not_found,
                                          "USER_PAYING" if mb.get("v3user_paying") else "USERPAYING")
            self._count("v3:%s" % (status if err is None else err["code"]))
        body = b"" if err is None else json.dumps(err, ensure_ascii=False,
                                                  separators=(",", ":")).encode("utf-8")
        if query and status == 200:
            if mb.get("v3dupmember"):
                # hostile: the first sub-order's trade_state twice, the first
                # one SUCCESS (NOTPAY if it is SUCCESS): first and last differ
                real = err["sub_orders"][0]["trade_state"]
                fake = "NOTPAY" if real == "SUCCESS" else "SUCCESS"
                body = body.replace(b'"trade_state":', b'"trade_state":"%s","trade_state":'
                                    % fake.encode("ascii"), 1)
            if mb.get("v3cutbody"):
                body = body[:len(body) // 2]     # hostile: signed, but cut
        if mb.get("v3dupcode") and err is not None and err.get("code") == "ORDER_CLOSED":
            # forced at step 11, before the order is looked up
            body = V3_DUPCODE_BODY
        sign_mb = mb
        if self._counted(mb, "signtest_n"):
            sign_mb = dict(mb, v3signtest=True)
        headers = self._v3_sign(body, sign_mb, named=self._named_serial(req))
        if self.verbose:
            log("%s %s %s -> %d %s" % (listener, req.method, req.target, status,
                                        err.get("code", "") if err else ""))
        self._delay(mb)
        if mb.get("drop"):
            self._hard_close(conn)
            return False
        ct = ("Content-Type", V3_JSON_TYPE)
        if mb.get("v3relabel204") and body:
            # A man in the middle relabels a genuine signed error answer as
            # 204 and keeps its body; then hangs up (the body of a 204 would
            # otherwise be read as the start of the next answer).
            conn.send(response_head(204, V3_REASONS[204],
                                    [ct, ("Content-Length", str(len(body)))] + headers, False) + body)
            self._hard_close(conn)
            return False
        if status == 204:
            # No Content-Length, no Content-Type, no body (RFC 9110 8.6, 15.3.5).
            conn.send(response_head(204, V3_REASONS[204], headers, ka))
            return ka
        if status == 405:
            headers = headers + [("Allow", "GET" if query else "POST")]
        if mb.get("chunked"):
            send_chunked(conn, status, V3_REASONS[status], [ct] + headers, body, ka, head_only)
            return ka
        conn.send(response_head(status, V3_REASONS[status],
                                [ct, ("Content-Length", str(len(body)))] + headers, ka)
                  + (b"" if head_only else body))
        return ka

    @staticmethod
    def _named_serial(req):
        """The request's Wechatpay-Serial (the key the answer should be signed
        with), or None when absent or empty."""
        vals = [v for k, v in req.headers if k.lower() == "wechatpay-serial"]
        return vals[0] if len(vals) == 1 and vals[0] else None

    def _v3_sign(self, body, mb, now=None, named=None):
        """The Wechatpay-* answer headers over TIMESTAMP\\nNONCE\\nBODY\\n,
        signed with the key for `named` (V3Keys.answer_key), applying the
        signature misbehaviours."""
        if mb.get("v3nosign"):
            return []
        ts = int(time.time() if now is None else now)
        if mb.get("v3stale"):
            ts -= V3_FAULT_SKEW
        if mb.get("v3future"):
            ts += V3_FAULT_SKEW
        nonce = ref.make_nonce(32)
        key, serial = self.v3.answer_key(named)
        if mb.get("v3wrongkey"):
            key = self.v3.platform2_key
        if mb.get("v3unknownserial"):
            key, serial = self.v3.platform2_key, self.v3.platform2_serial
        msg = ("%d\n%s\n" % (ts, nonce)).encode("ascii") + body + b"\n"
        if mb.get("v3badsign"):
            msg = msg[:-1]    # a real signature, over other bytes (no final \n)
        sig = base64.b64encode(self.v3.rsa.sign(key, msg)).decode("ascii")
        if mb.get("v3signtest"):
            sig = V3_SIGNTEST_PREFIX + sig
        return [("Wechatpay-Nonce", nonce), ("Wechatpay-Signature", sig),
                ("Wechatpay-Timestamp", str(ts)), ("Wechatpay-Serial", serial),
                ("Wechatpay-Signature-Type", V3_SCHEME)]

    def _v3_replay(self):
        with self.lock:
            rec = self.v3_replay_record
        if rec is None:
            rec = {"headers": self._v3_sign(b"", {}, time.time() - V3_FAULT_SKEW),
                   "request_id": secrets.token_hex(16)}
            with self.lock:
                if self.v3_replay_record is None:
                    self.v3_replay_record = rec
                rec = self.v3_replay_record
        return rec

    def process_v3(self, req, raw_no, force_systemerror=False, force_ratelimit=False,
                   forced=None, not_found_code="ORDER_NOT_EXIST", paying_code="USERPAYING"):
        """Decides the answer to one v3 close: (204, None) or (status, JSON
        object), the checks in README.md order. forced: (status, code) for a
        good request (/v3error-…, /v3dupcode); not_found_code and paying_code
        the spelling of those two answers."""
        err = v3_error
        if req.method != "POST":
            return err(405, "METHOD_NOT_ALLOWED", "请使用POST方法 (use POST)")
        auth, refusal = self._v3_authenticate(req, err)
        if auth is None:
            return refusal
        media = req.hdict.get("content-type", "").split(";", 1)[0].strip().lower()
        if media != "application/json":
            why = "Content-Type must be application/json"
            return err(400, "PARAM_ERROR", "%s (%s)" % (V3_MSG_PARAM, why), location="header",
                       field="Content-Type", issue=why)
        doc, field, why = parse_v3_body(req.body)
        if doc is None:
            return err(400, "PARAM_ERROR", "%s (%s)" % (V3_MSG_PARAM, why), location="body",
                       field=field, issue=why)
        no, refusal = self._v3_order_no(raw_no, err)
        if no is None:
            return refusal

        mch = auth["mchid"]
        merchant, refusal = self._v3_merchant(mch, err)
        if merchant is None:
            return refusal
        if doc["combine_appid"] not in merchant["appids"]:
            why = "combine_appid %s does not belong to mchid %s" % (doc["combine_appid"], mch)
            return err(400, "INVALID_REQUEST", "appid和mchid不匹配 (%s)" % why,
                       field="combine_appid", issue=why)
        refusal = self._v3_forced(force_systemerror, force_ratelimit, forced, err)
        if refusal is not None:
            return refusal
        return self._v3_close_order(no, mch, doc, err, not_found_code, paying_code)

    def _v3_authenticate(self, req, err):
        """Steps 2-6 of both v3 endpoints: Authorization, its serial,
        timestamp and signature over METHOD\nTARGET\nTS\nNONCE\nBODY\n (a
        GET: an empty body line), then one Wechatpay-Serial at most.
        (auth items, None) or (None, the refusal)."""
        auth, why = parse_v3_authorization([v for k, v in req.headers if k.lower() == "authorization"])
        if auth is None:
            return None, err(401, "SIGN_ERROR", "%s (%s)" % (V3_MSG_SIGN, why), location="header",
                             field="Authorization", issue=why)
        if norm_serial(auth["serial_no"]) != norm_serial(self.v3.merchant_serial):
            why = "serial_no %s is not the merchant certificate's serial" % auth["serial_no"]
            return None, err(401, "SIGN_ERROR", "%s (%s)" % (V3_MSG_SIGN, why), location="header",
                       field="serial_no", issue=why)
        skew = int(auth["timestamp"]) - int(time.time())
        if abs(skew) > V3_MAX_SKEW:
            why = "timestamp is %d s %s the server clock (at most %d s)" % (
                abs(skew), "behind" if skew < 0 else "ahead of", V3_MAX_SKEW)
            return None, err(401, "SIGN_ERROR", "%s (%s)" % (V3_MSG_SIGN, why), location="header",
                       field="timestamp", issue=why)
        try:
            sig = base64.b64decode(auth["signature"], validate=True)
        except ValueError:
            sig = None
        if not sig:
            why = "signature is not Base64"
            return None, err(401, "SIGN_ERROR", "%s (%s)" % (V3_MSG_SIGN, why), location="header",
                       field="signature", issue=why)
        # Header values were decoded as latin-1: encoding back gives the bytes sent.
        msg = b"".join([req.method.encode("latin-1"), b"\n", req.target.encode("latin-1"), b"\n",
                        auth["timestamp"].encode("latin-1"), b"\n",
                        auth["nonce_str"].encode("latin-1"), b"\n", req.body, b"\n"])
        if not self.v3.rsa.verify(self.v3.merchant_pub, msg, sig):
            why = ("signature does not verify with the merchant certificate "
                   "over %s\\n<path and query>\\n<timestamp>\\n<nonce_str>\\n<body>\\n" % req.method)
            return None, err(401, "SIGN_ERROR", "%s (%s)" % (V3_MSG_SIGN, why), location="header",
                       field="signature", issue=why)

        if len([k for k, _ in req.headers if k.lower() == "wechatpay-serial"]) > 1:
            why = "more than one Wechatpay-Serial header"
            return None, err(400, "PARAM_ERROR", "%s (%s)" % (V3_MSG_PARAM, why), location="header",
                             field="Wechatpay-Serial", issue=why)
        return auth, None

    @staticmethod
    def _v3_order_no(raw_no, err):
        """Step 8: the path's number, percent-decoded. (no, None) or (None, refusal)."""
        try:
            no = urllib.parse.unquote(raw_no, errors="strict")
        except UnicodeDecodeError:
            no = ""
        if not ORDER_NO_RE.fullmatch(no):
            why = "combine_out_trade_no must be 1 to 32 of 0-9 A-Z a-z _ - | * @"
            return None, err(400, "PARAM_ERROR", "%s (%s)" % (V3_MSG_PARAM, why), location="path",
                             field="combine_out_trade_no", issue=why)
        return no, None

    def _v3_merchant(self, mch, err):
        """Step 9. (merchant, None) or (None, refusal)."""
        with self.lock:
            merchant = self.merchants.get(mch)
        if merchant is None:
            return None, err(403, "NO_AUTH", "商户无权限 (NO_AUTH: unknown mchid %s)" % mch)
        if not merchant["combine_permission"]:
            return None, err(403, "NO_AUTH", "商户无此接口权限 (no combined-payment permission)")
        return merchant, None

    @staticmethod
    def _v3_forced(force_systemerror, force_ratelimit, forced, err):
        """Step 11: the prefixes that answer a good request with an error."""
        if force_ratelimit:
            return err(429, "FREQUENCY_LIMITED", "频率超限，请降低请求频率 (rate limited)")
        if force_systemerror:
            return err(500, "SYSTEM_ERROR", "系统错误 (system error, try again)")
        if forced is not None:
            st, code = forced
            if code == "ORDER_CLOSED":
                return err(st, code, "订单已关闭")
            return err(st, code, "%s (emulated %d %s: nothing was done, try again later)"
                       % (V3_ERROR_MESSAGES.get(code, V3_ERROR_MESSAGE_DEFAULT), st, code))
        return None

    def _v3_close_order(self, no, mch, doc, err, not_found_code, paying_code):
        """Steps 12-18 of the close."""
        with self.lock:
            order = self.orders.get(no)
            if order is None or order["combine_mch_id"] != mch:
                return err(404, not_found_code, "订单不存在 (no such combined order for this mchid)")
            why = v3_sub_mismatch(order["sub_orders"], doc["sub_orders"])
            if why:
                return err(400, "INVALID_REQUEST", "子单信息与原合单不一致 (%s)" % why,
                           field="sub_orders", issue=why)
            age = time.time() - order["created"]
            if age < self.min_close_age:
                st, code = self.v3_too_early
                why = "closed too early: order created %.1f s ago, minimum %g s" % (age, self.min_close_age)
                return err(st, code, "订单创建后%g秒内不能关单 (%s)" % (self.min_close_age, why),
                           issue=why, retry_after=max(1, math.ceil(self.min_close_age - age)))
            self._settle(order, time.time())
            if order["state"] == "paying":
                # Not an error: signed like every 2xx; nothing changes.
                return err(202, paying_code, "%s (the customer is paying: query the order "
                           "in about 5 s, then close again if still unpaid)" % V3_USERPAYING_MESSAGE)
            if order["state"] in PAID_STATES:
                return err(400, "ORDER_PAID", "订单已支付 (the order is paid)")
            if order["state"] == "closed":
                return err(400, "ORDER_CLOSED", "订单已关闭 (the order is already closed)")
            order["state"] = "closed"
            order["closed_at"] = time.time()
        return 204, None

    def process_v3_query(self, req, raw_no, force_systemerror=False, force_ratelimit=False,
                         forced=None, not_found_code="ORDER_NOT_EXIST"):
        """Decides the answer to one v3 query (合单查询订单): (200, the order
        as a JSON object) or (status, error object). The close's checks less
        the body's: GET, Authorization over GET\\nTARGET\\nTS\\nNONCE\\n\\n,
        the path's number, the merchant, the forcing prefixes, the order."""
        err = v3_error
        if req.method != "GET":
            return err(405, "METHOD_NOT_ALLOWED", "请使用GET方法 (use GET)")
        auth, refusal = self._v3_authenticate(req, err)
        if auth is None:
            return refusal
        if req.body:
            why = "a GET carries no body"
            return err(400, "PARAM_ERROR", "%s (%s)" % (V3_MSG_PARAM, why), location="body",
                       issue=why)
        no, refusal = self._v3_order_no(raw_no, err)
        if no is None:
            return refusal
        mch = auth["mchid"]
        merchant, refusal = self._v3_merchant(mch, err)
        if merchant is None:
            return refusal
        refusal = self._v3_forced(force_systemerror, force_ratelimit, forced, err)
        if refusal is not None:
            return refusal
        with self.lock:
            order = self.orders.get(no)
            if order is None or order["combine_mch_id"] != mch:
                return err(404, not_found_code, "订单不存在 (no such combined order for this mchid)")
            self._settle(order, time.time())
            st = order["state"]
            subs = self._query_subs(order)
            doc = {"combine_appid": order.get("combine_appid", merchant["appids"][0]),
                   "combine_mchid": mch, "combine_out_trade_no": no}
            if "device_info" in order:
                doc["scene_info"] = {"device_id": order["device_info"]}
            # combine_payer_info: "支付成功后返回" (returned once paid)
            payer = order.get("combine_openid", DEFAULT_OPENID) if st in PAID_STATES else None
        trade_state = TRADE_STATE[st][0]
        doc["sub_orders"] = []
        for d in subs:
            item = {"mchid": d["mchid"], "trade_type": d["trade_type"], "trade_state": trade_state}
            if "bank_type" in d:
                item["bank_type"] = d["bank_type"]
            item["attach"] = d["attach"]
            for k in ("success_time", "transaction_id"):
                if k in d:
                    item[k] = d[k]
            item["out_trade_no"] = d["out_trade_no"]
            if "sub_mchid" in d:
                item["sub_mchid"] = d["sub_mchid"]
            amount = {"total_amount": d["total_amount"], "currency": d["currency"]}
            if "payer_amount" in d:
                amount["payer_amount"] = d["payer_amount"]
                amount["payer_currency"] = d["currency"]
            item["amount"] = amount
            doc["sub_orders"].append(item)
        if payer is not None:
            doc["combine_payer_info"] = {"openid": payer}
        return 200, doc

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
    ap = argparse.ArgumentParser(description="Local emulator of WeChat Pay APIv2 POST /pay/closecombinedorder "
                                 "and APIv3 POST /v3/combine-transactions/out-trade-no/{no}/close")
    ap.add_argument("--state", help="state file (default: default_state.json beside this script)")
    ap.add_argument("--no-state", action="store_true", help="start with no merchants or orders (use --merchant/--order)")
    ap.add_argument("--merchant", action="append", default=[], metavar="MCH:APPID[,APPID]:KEY[:noauth]",
                    help="add a merchant (repeatable)")
    ap.add_argument("--order", action="append", default=[], metavar="NO:MCH:STATE:AGE:SUBMCH/SUBNO[,...]",
                    help="add an order (repeatable)")
    ap.add_argument("--certs", help="directory made by mkcerts.sh: server.pem/server.key (and wronghost.pem/.key) "
                    "for HTTPS; merchant.pem, merchant_pub.pem, platform.key/.serial, platform2.key/.serial "
                    "(and platform_pubkey.key/.id) for APIv3")
    ap.add_argument("--crypto", choices=("auto", "cryptography", "openssl"),
                    default=os.environ.get("WXPAY_EMU_CRYPTO") or "auto",
                    help="APIv3 RSA back-end: python3-cryptography or the openssl command "
                         "(default $WXPAY_EMU_CRYPTO, else auto: cryptography when importable)")
    ap.add_argument("--v3-key-mode", choices=V3_KEY_MODES, default="switching",
                    help="which key signs APIv3 answers: switching (default: the key the request's "
                         "Wechatpay-Serial names, the platform certificate when none), certificate "
                         "(always the certificate), public-key (always the WeChat Pay public key)")
    ap.add_argument("--v3-too-early", default="400:INVALID_REQUEST", metavar="STATUS:CODE",
                    help="APIv3 answer to a close within --min-close-age (default 400:INVALID_REQUEST)")
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
    m = re.fullmatch(r"([45][0-9][0-9]):([A-Z0-9_]{1,64})", args.v3_too_early)
    if not m:
        log("error: --v3-too-early must be STATUS:CODE, e.g. 400:INVALID_REQUEST or 500:SYSTEM_ERROR")
        return 2
    v3_too_early = (int(m.group(1)), m.group(2))
    if v3_too_early[0] not in V3_REASONS:
        V3_REASONS[v3_too_early[0]] = "Error"

    # APIv3 keys: without them the v3 path answers 500 EMULATOR_NO_V3_KEYS.
    v3_keys, v3_why, rsa = None, "APIv3 needs --certs DIR (made by mkcerts.sh)", None
    try:
        rsa = make_rsa(args.crypto)
    except ConfigError as e:
        if args.crypto != "auto":
            log("error:", e)
            return 2
        v3_why = "APIv3 needs python3-cryptography or the openssl command"
    if args.v3_key_mode == "public-key" and not (args.certs and all(
            os.path.isfile(os.path.join(args.certs, f)) for f in V3Keys.PUBKEY_FILES)):
        log("error: --v3-key-mode public-key needs --certs DIR with platform_pubkey.key and platform_pubkey.id")
        return 2
    if rsa is not None and args.certs:
        try:
            v3_keys = V3Keys(args.certs, rsa, args.v3_key_mode)
        except (ConfigError, OSError, RuntimeError, ValueError) as e:
            v3_why = "APIv3 is off: %s" % e
            log("warning:", v3_why)

    emu = Emulator(state, args.too_early_code, args.min_close_age, args.verbose,
                   v3_keys, v3_why, v3_too_early)
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
        threading.Thread(target=li.serve_forever, kwargs={"poll_interval": 0.05},
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
    # all listeners at once: each shutdown() waits up to one poll interval
    closers = [threading.Thread(target=li.shutdown) for li in listeners]
    for t in closers:
        t.start()
    for t in closers:
        t.join()
    for li in listeners:
        li.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
