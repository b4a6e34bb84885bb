#!/usr/bin/env python3
"""A misbehaving HTTP/1.1 server on 127.0.0.1, for the CLI suite
(tests/cli/run.sh) and the transport suite (tests/adapters/run.sh).
Python 3 standard library only.

  server.py --port-file FILE [--key KEY] [--lifetime S]

Listens on a free loopback port (written to FILE as {"http": PORT}) and
answers every request, whatever its method and path, with the case named by
the first path segment: POST /v3-message-long/v3/combine-transactions/...
gets the answer of the case v3-message-long. A request to an unknown case
gets 404. Every answer closes the connection. --key: the APIv2 key that the
signed v2 answers are signed with (HMAC-SHA256).

The answers (CASES below) are of two kinds:

  v2-* and v3-*   what a hostile or broken gateway could send the wxpay-close
                  tool: CJK text and bytes that are not UTF-8 in every field
                  and header the tool prints, C0 and C1 controls, the
                  bidirectional overrides and isolates, U+2028/2029, and
                  values longer than any buffer of the tool.
  hdr-*           response heads at and past the transports' limits on
                  response header lines (adapters/wxpay_http.h, LIMITS):
                  8192 bytes a line, 100 header lines, 65536 bytes a head.
"""

import argparse
import hashlib
import hmac
import json
import os
import socket
import sys
import threading
import time

sys.dont_write_bytecode = True

# The limits the transports enforce (adapters/wxpay_http.h WXPAY_HTTP_MAX_*):
# the hdr-* cases sit exactly at them and one byte or line past them.
MAX_LINE = 8192
MAX_HEADERS = 100
MAX_HEAD = 65536

# Text a hostile server puts wherever the tool prints: CJK, a terminal's
# CSI as C0 ESC and as C1 U+009B, BEL, every bidirectional override and
# isolate, the line and paragraph separators, an emoji (4 bytes of UTF-8).
HOSTILE_TEXT = ("签名错误\x1b[31m红\x07\u009b2J\u202e反向\u202a\u202b\u202c\u202d"
                "\u2066\u2067\u2068\u2069行\u2028段\u2029 \U0001F600 <&>")
LONG_CJK = "订单金额不匹配" * 300  # 2100 characters, 6300 bytes of UTF-8
V3_LONG_CJK = LONG_CJK[:700]  # 2100 bytes: what an APIv3 answer body has room for
# XML 1.0 has no C0 controls but tab, LF and CR (the XML reader refuses the
# others): the v2 answers carry the rest
V2_TEXT = HOSTILE_TEXT.replace("\x1b", "").replace("\x07", "") + "\t\r\n"


def v2_sign(fields, key):
    """HMAC-SHA256 of the sorted non-empty fields and &key=, as APIv2
    signs (the same as tests/cli/helpers.py hmac_sign)."""
    kept = sorted(((k, v) for k, v in fields if v != "" and k != "sign"),
                  key=lambda kv: kv[0].encode())
    text = "&".join("%s=%s" % kv for kv in kept) + "&key=" + key
    return hmac.new(key.encode(), text.encode(), hashlib.sha256).hexdigest().upper()


def v2_xml(fields):
    return ("<xml>" + "".join("<%s><![CDATA[%s]]></%s>" % (k, v, k) for k, v in fields)
            + "</xml>").encode("utf-8")


def v2_signed(fields, key):
    fields = list(fields)
    fields.append(("sign", v2_sign(fields, key)))
    return v2_xml(fields)


def v2_base(result, code=None, des=None):
    f = [("return_code", "SUCCESS"), ("return_msg", "OK"), ("combine_appid", "wx8888888888888888"),
         ("combine_mch_id", "1900000109"), ("nonce_str", "5K8264ILTKCH16CQ2502SI8ZNMTM67VS"),
         ("result_code", result)]
    if code:
        f += [("err_code", code), ("err_code_des", des)]
    return f


def answer(status, reason, headers, body):
    """A whole response: status line, headers (name, value as str or bytes),
    Content-Length and Connection: close, then the body."""
    head = b"HTTP/1.1 %d %s\r\n" % (status, reason.encode())
    for name, value in headers:
        if isinstance(value, str):
            value = value.encode("utf-8")
        head += name.encode() + b": " + value + b"\r\n"
    head += b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body)
    return head + body


def json_body(doc):
    """C0 controls travel as \\u escapes (JSON has no other way), the rest
    (C1, bidi, CJK) as raw UTF-8."""
    return json.dumps(doc, ensure_ascii=False).encode("utf-8")


# ------------------------------------------------------- the tool's cases --

def case_v2_return_msg_long(key):
    """Unsigned return_code FAIL (WeChat does not sign these) whose return_msg
    is hostile and far longer than the tool's sentence: rejected, exit 5."""
    return answer(200, "OK", [("Request-ID", b"\xff\xfe")],
                  v2_xml([("return_code", "FAIL"), ("return_msg", V2_TEXT + LONG_CJK)]))


def case_v2_err_code_des_long(key):
    """A signed SYSTEMERROR whose err_code_des is hostile and long: retry,
    exit 4."""
    des = V2_TEXT + LONG_CJK
    return answer(200, "OK", [("Request-ID", "请求\u202e")],
                  v2_signed(v2_base("FAIL", "SYSTEMERROR", des), key))


def case_v2_unknown_field(key):
    """A signed ORDERCLOSED with an extra field holding hostile text: done,
    exit 0; --json lists the field."""
    f = v2_base("FAIL", "ORDERCLOSED", "订单已关闭\u202e") + [("x_note", V2_TEXT + LONG_CJK)]
    return answer(200, "OK", [], v2_signed(f, key))


def case_v2_not_utf8(key):
    """return_msg in GBK: refused as not UTF-8, exit 6."""
    return answer(200, "OK", [("Request-ID", b"\x9b\xe2\x80")],
                  b"<xml><return_code>FAIL</return_code><return_msg>" +
                  "签名错误".encode("gbk") + b"</return_msg></xml>")


def v3_error(status, reason, code, message, detail=None, request_id=b"", extra=()):
    doc = {"code": code, "message": message}
    if detail is not None:
        doc["detail"] = detail
    return answer(status, reason, [("Content-Type", "application/json"), ("Request-ID", request_id)]
                  + list(extra), json_body(doc))


def case_v3_message_long(key):
    """Unsigned 400 PARAM_ERROR (an unsigned answer may reject): message and
    detail hostile and long, Request-ID bytes that are not UTF-8: exit 5."""
    return v3_error(400, "Bad Request", "PARAM_ERROR", HOSTILE_TEXT + V3_LONG_CJK,
                    {"field": "\u202e" + HOSTILE_TEXT, "issue": V3_LONG_CJK},
                    b"\xff\xfe\x9b\xe2\x80\xae\xe8\xaf")


def case_v3_request_id_bytes(key):
    """Unsigned 500 SYSTEM_ERROR (retry, exit 4) with a Request-ID of raw
    bytes: invalid UTF-8, a lone C1 byte, a UTF-8 C1 control, RLO, BEL."""
    return v3_error(500, "Internal Server Error", "SYSTEM_ERROR", "系统繁忙",
                    request_id=b"\xff\xfe\x9b\xc2\x9b2J\xe2\x80\xae\x07id-\xe8\xaf\xb7")


def case_v3_request_id_long(key):
    """A Request-ID of 1200 bytes of CJK: the transport keeps what fits its
    slot, cut inside a character. Retry, exit 4."""
    return v3_error(500, "Internal Server Error", "SYSTEM_ERROR", "系统繁忙",
                    request_id=("请求编号" * 100).encode("utf-8"))


def case_v3_code_hostile(key):
    """An unknown code with controls and bidi characters (an unsigned answer
    with an unknown code is a rejection): exit 5; the code is in the
    sentence."""
    return v3_error(403, "Forbidden", "NO\u202eAUTH\u0007\u009b\u2028", "无权限\u2066",
                    request_id="\u2067RID")


def case_v3_serial_hostile(key):
    """Signature headers that are not WeChat's, a Wechatpay-Serial of bytes
    that are not UTF-8: untrustworthy, exit 6."""
    return v3_error(404, "Not Found", "ORDER_NOT_EXIST", "订单不存在\u202e", request_id=b"\xc0\xaf",
                    extra=[("Wechatpay-Serial", b"\xff\xe2\x80\xae5157F09EFDC096DE15EBE81A47057A72"),
                           ("Wechatpay-Timestamp", str(int(time.time()))),
                           ("Wechatpay-Nonce", "n" * 32),
                           ("Wechatpay-Signature", "c2lnbmF0dXJl")])


# ---------------------------------------------- the transports' limits --

def head_of(status_line, lines, body=b"ok"):
    """status line, header lines (bytes, no CR LF), Content-Length and the
    body; returns the bytes and the size of the head (every line with its
    CR LF, the empty line included)."""
    lines = list(lines) + [b"Content-Length: %d" % len(body), b"Connection: close"]
    head = status_line + b"\r\n" + b"".join(l + b"\r\n" for l in lines) + b"\r\n"
    return head + body, len(head)


def padded_head(total, line_len=8000):
    """A head of exactly `total` bytes made of lines of at most line_len
    bytes (a Request-ID first, for the slot)."""
    fixed, _ = head_of(b"HTTP/1.1 200 OK", [b"Request-ID: 0123456789abcdef0123456789abcdef"])
    room = total - (len(fixed) - 2)  # what the padding lines may take
    pads = []
    while room > 0:
        n = min(line_len + 2, room)
        if n < len(b"X-Pad-000: ") + 2 + 1:  # too short for a line: grow the last
            pads[-1] = pads[-1] + b"p" * n
            room = 0
            break
        name = b"X-Pad-%03d: " % len(pads)
        pads.append(name + b"p" * (n - 2 - len(name)))
        room -= n
    data, size = head_of(b"HTTP/1.1 200 OK",
                         [b"Request-ID: 0123456789abcdef0123456789abcdef"] + pads)
    assert size == total, (size, total)
    return data


def line_of(n):
    """A header line of exactly n bytes (its CR LF not counted)."""
    name = b"X-Long: "
    return name + b"a" * (n - len(name))


def hdr_case(lines=(), status_line=b"HTTP/1.1 200 OK"):
    def make(key):
        data, _ = head_of(status_line, [b"Request-ID: 0123456789abcdef0123456789abcdef"] + list(lines))
        return data
    return make


def many(n):
    """n header lines in all (the Request-ID, n - 3 fillers, Content-Length
    and Connection)."""
    return [b"X-H%05d: v" % i for i in range(n - 3)]


CASES = {
    "v2-return-msg-long": case_v2_return_msg_long,
    "v2-err-code-des-long": case_v2_err_code_des_long,
    "v2-unknown-field": case_v2_unknown_field,
    "v2-not-utf8": case_v2_not_utf8,
    "v3-message-long": case_v3_message_long,
    "v3-request-id-bytes": case_v3_request_id_bytes,
    "v3-request-id-long": case_v3_request_id_long,
    "v3-code-hostile": case_v3_code_hostile,
    "v3-serial-hostile": case_v3_serial_hostile,
    # one header line: at the limit, one byte past it, 1 MiB
    "hdr-line-at-limit": hdr_case([line_of(MAX_LINE)]),
    "hdr-line-over-limit": hdr_case([line_of(MAX_LINE + 1)]),
    "hdr-line-1mib": hdr_case([line_of(1 << 20)]),
    # the status line counts as a line
    "hdr-status-line-over-limit": hdr_case(status_line=b"HTTP/1.1 200 " + b"O" * (MAX_LINE - 12)),
    # header lines: at the limit, one past it, 10,000
    "hdr-count-at-limit": hdr_case(many(MAX_HEADERS)),
    "hdr-count-over-limit": hdr_case(many(MAX_HEADERS + 1)),
    "hdr-count-10000": hdr_case(many(10000)),
    # the whole head: at the limit and one byte past it, in lines of 8000
    "hdr-head-at-limit": lambda key: padded_head(MAX_HEAD),
    "hdr-head-over-limit": lambda key: padded_head(MAX_HEAD + 1),
}


def read_request(conn):
    """Reads one request (head and Content-Length body); returns the path."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        data += chunk
        if len(data) > 1 << 20:
            return None
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    parts = lines[0].split(b" ")
    length = 0
    for l in lines[1:]:
        name, _, value = l.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip() or b"0")
    while len(rest) < length:
        chunk = conn.recv(65536)
        if not chunk:
            break
        rest += chunk
    return parts[1].decode("latin-1") if len(parts) > 1 else None


def serve(conn, key):
    try:
        conn.settimeout(10)
        path = read_request(conn)
        if path is None:
            return
        name = path.lstrip("/").split("/", 1)[0]
        make = CASES.get(name)
        data = make(key) if make else answer(404, "Not Found", [], b"no such case\n")
        conn.sendall(data)
        try:
            conn.shutdown(socket.SHUT_WR)
            conn.settimeout(2)
            while conn.recv(65536):  # until the client closes: no RST
                pass
        except OSError:
            pass
    except OSError:
        pass
    finally:
        conn.close()


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--key", default="192006250b4c09247ec02edce69f6a2d")
    ap.add_argument("--lifetime", type=float, default=600.0)
    a = ap.parse_args(argv)
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    s.listen(64)
    tmp = a.port_file + ".tmp"
    with open(tmp, "w") as fh:
        json.dump({"http": s.getsockname()[1]}, fh)
    os.replace(tmp, a.port_file)
    deadline = time.time() + a.lifetime
    s.settimeout(1.0)
    while time.time() < deadline:
        try:
            conn, _ = s.accept()
        except socket.timeout:
            continue
        threading.Thread(target=serve, args=(conn, a.key), daemon=True).start()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
