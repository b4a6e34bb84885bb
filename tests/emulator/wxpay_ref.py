"""wxpay_ref: an independent Python reference of the client side of
POST /pay/closecombinedorder (WeChat Pay APIv2), written from WeChat Pay's
public pages: 合单关单 (wechatpay-im/website openapi/v2/pay/closecombinedorder.md,
official https://pay.weixin.qq.com/wiki/doc/api/combine.php?chapter=24_2&index=3)
and 签名算法 (https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=4_3).

It is used by the emulator (signing, parsing) and can be imported by other
tests as an oracle for the C library:

    import sys; sys.path.insert(0, "tests/emulator")
    import wxpay_ref as ref
    ref.sign({"appid": "...", ...}, key)            -> 64 uppercase hex
    ref.sign_string(fields, key)                     -> "a=1&b=2&key=KEY"
    ref.build_body([("combine_appid", ...), ...], key, nonce)  -> bytes
    ref.sub_order_list_json([("1900009001", "OD201708030001")]) -> str
    ref.parse_response(body)                         -> dict (str -> str)
    ref.query_body(appid, mch, no, key, nonce)       -> bytes (合单查单)
    ref.read_query_answer(fields, key, appid, mch, no) -> dict (the order)

The query (合单查单) is written from wechatpay-im/website
openapi/v2/pay/querycombinedorder.md (request fields, answer fields,
sub_order_list's members; official
https://pay.weixin.qq.com/wiki/doc/api/combine.php?chapter=24_3&index=4).

Python 3 standard library only.
"""

import hashlib
import hmac
import secrets

__all__ = [
    "SIGN_TYPE", "REQUEST_FIELD_ORDER", "XmlError",
    "sign_string", "sign", "sign_md5", "verify",
    "xml_value", "xml_cdata", "build_body", "build_xml",
    "sub_order_list_json", "parse_xml", "parse_response", "make_nonce",
    "QUERY_FIELD_ORDER", "TRADE_STATES", "QueryError", "query_body",
    "parse_sub_order_list", "read_query_answer",
]

SIGN_TYPE = "HMAC-SHA256"

# The seed's field order; build_body appends nonce_str and sign after them.
REQUEST_FIELD_ORDER = ("combine_appid", "combine_mch_id", "sign_type",
                       "combine_out_trade_no", "sub_order_list")

_NONCE_ALPHABET = ("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                   "abcdefghijklmnopqrstuvwxyz")


class XmlError(ValueError):
    """The body is not the flat <xml> document the API speaks."""


# ---------------------------------------------------------------- signing --

def _as_text(v):
    if isinstance(v, bytes):
        return v.decode("utf-8")
    return str(v)


def sign_string(fields, key):
    """The string that gets signed (签名算法 steps 1-4).

    `fields` is a dict or an iterable of (name, value). Fields with an empty
    value and the field `sign` are left out; the rest are sorted by name in
    byte order and joined as k=v with '&'; '&key=KEY' is appended. Values
    are used raw (no escaping of any kind)."""
    items = fields.items() if isinstance(fields, dict) else fields
    kept = []
    for k, v in items:
        k = _as_text(k)
        v = "" if v is None else _as_text(v)
        if k == "sign" or v == "":
            continue
        kept.append((k.encode("utf-8"), k, v))
    kept.sort(key=lambda t: t[0])
    parts = [k + "=" + v for _, k, v in kept]
    parts.append("key=" + _as_text(key))
    return "&".join(parts)


DECISIVE_FIELDS = ("return_code", "result_code", "err_code")


def decisive_values_ok(fields):
    """Whether no value that decides the outcome (return_code, result_code,
    err_code) holds '&' or '='. The string to sign joins k=v with '&', so
    `a=x&b=y` is also one field a holding `x&b=y`: an answer re-cut that way
    keeps its signature (see the emulator's /ambiguous-resplit)."""
    d = dict(fields.items() if isinstance(fields, dict) else fields)
    return not any("&" in _as_text(d.get(k, "")) or "=" in _as_text(d.get(k, ""))
                   for k in DECISIVE_FIELDS)


def sign(fields, key):
    """HMAC-SHA256 keyed with the APIv2 key over sign_string(); uppercase hex."""
    k = _as_text(key).encode("utf-8")
    msg = sign_string(fields, key).encode("utf-8")
    return hmac.new(k, msg, hashlib.sha256).hexdigest().upper()


def sign_md5(fields, key):
    """The old v2 MD5 scheme: MD5 of the same string; uppercase hex (32)."""
    msg = sign_string(fields, key).encode("utf-8")
    return hashlib.md5(msg).hexdigest().upper()


def verify(fields, key):
    """True when fields['sign'] is the HMAC-SHA256 signature of the others.
    Only an exact 64-char uppercase-hex match counts (no MD5 fallback)."""
    got = fields.get("sign", "") if isinstance(fields, dict) else dict(fields).get("sign", "")
    if len(got) != 64:
        return False
    return hmac.compare_digest(got.encode("ascii", "replace"),
                               sign(fields, key).encode("ascii"))


def make_nonce(n=32):
    """n characters from [0-9A-Za-z] drawn with a CSPRNG."""
    return "".join(secrets.choice(_NONCE_ALPHABET) for _ in range(n))


# ------------------------------------------------------------ XML writing --

_NEEDS_CDATA = set('<>&"')


def xml_cdata(v):
    """Always wrap in CDATA; a ']]>' inside is split across two sections."""
    return "<![CDATA[" + v.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def xml_value(v):
    """The seed SDK's rule: CDATA only when the value holds < > & or "."""
    v = _as_text(v)
    if any(c in _NEEDS_CDATA for c in v):
        return xml_cdata(v)
    return v


def build_xml(fields_in_order, always_cdata=False):
    """<xml> with the given (name, value) children in order, no declaration,
    no whitespace. Returns str."""
    out = ["<xml>"]
    for k, v in fields_in_order:
        v = "" if v is None else _as_text(v)
        out.append("<%s>%s</%s>" % (k, xml_cdata(v) if always_cdata else xml_value(v), k))
    out.append("</xml>")
    return "".join(out)


def build_body(fields_in_order, key, nonce):
    """The request body in the byte shape the project pins (README.md): the caller's fields in their
    order, then nonce_str, then sign (HMAC-SHA256 over all of them). Returns
    UTF-8 bytes."""
    fields = [(_as_text(k), "" if v is None else _as_text(v)) for k, v in fields_in_order]
    fields.append(("nonce_str", _as_text(nonce)))
    fields.append(("sign", sign(fields, key)))
    return build_xml(fields).encode("utf-8")


# ------------------------------------------------------------------- JSON --

def _json_string(s):
    """A JSON string the way PHP's json_encode() writes it by default:
    '/' as '\\/', every non-ASCII character as \\uXXXX (lowercase hex,
    surrogate pairs above U+FFFF), the short escapes for \\b \\f \\n \\r \\t."""
    short = {'"': '\\"', "\\": "\\\\", "/": "\\/", "\b": "\\b", "\f": "\\f",
             "\n": "\\n", "\r": "\\r", "\t": "\\t"}
    out = ['"']
    for ch in s:
        o = ord(ch)
        if ch in short:
            out.append(short[ch])
        elif o < 0x20 or 0x80 <= o <= 0xFFFF:
            out.append("\\u%04x" % o)
        elif o > 0xFFFF:
            o -= 0x10000
            out.append("\\u%04x\\u%04x" % (0xD800 + (o >> 10), 0xDC00 + (o & 0x3FF)))
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _json_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return "null"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, str):
        return _json_string(v)
    if isinstance(v, dict):
        return "{" + ",".join(_json_string(str(k)) + ":" + _json_value(x)
                              for k, x in v.items()) + "}"
    if isinstance(v, (list, tuple)):
        return "[" + ",".join(_json_value(x) for x in v) + "]"
    raise TypeError("cannot encode %r" % (v,))


def sub_order_list_json(subs):
    """Compact JSON array of sub-orders, like PHP json_encode().
    Each sub is a (mchid, out_trade_no) pair or a dict (key order kept)."""
    objs = []
    for s in subs:
        if isinstance(s, dict):
            objs.append(s)
        else:
            mchid, out_trade_no = s
            objs.append({"mchid": mchid, "out_trade_no": out_trade_no})
    return _json_value(objs)


# ------------------------------------------------------------ XML reading --

_NAME_START = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_")
_NAME_CHARS = _NAME_START | set("0123456789.-")
_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'"}


def _xml_char_ok(c):
    o = ord(c)
    if o < 0x20:
        return c in "\t\n\r"
    return not (0xD800 <= o <= 0xDFFF or o in (0xFFFE, 0xFFFF))


class _Reader:
    def __init__(self, text):
        self.s = text
        self.i = 0

    def fail(self, why):
        raise XmlError("%s at offset %d" % (why, self.i))

    def startswith(self, t):
        return self.s.startswith(t, self.i)

    def skip_ws(self):
        while self.i < len(self.s) and self.s[self.i] in " \t\r\n":
            self.i += 1

    def skip_misc(self):
        """Whitespace and comments between elements."""
        while True:
            self.skip_ws()
            if self.startswith("<!--"):
                end = self.s.find("-->", self.i + 4)
                if end < 0:
                    self.fail("unterminated comment")
                if "--" in self.s[self.i + 4:end]:
                    self.fail("'--' inside a comment")
                self.i = end + 3
            else:
                return

    def name(self):
        j = self.i
        if j >= len(self.s) or self.s[j] not in _NAME_START:
            self.fail("element name expected")
        j += 1
        while j < len(self.s) and self.s[j] in _NAME_CHARS:
            j += 1
        n = self.s[self.i:j]
        self.i = j
        return n

    def open_tag(self):
        """'<name>' or '<name/>' (whitespace before '>' allowed, no
        attributes). Returns (name, empty)."""
        if not self.startswith("<"):
            self.fail("'<' expected")
        self.i += 1
        n = self.name()
        self.skip_ws()
        if self.startswith("/>"):
            self.i += 2
            return n, True
        if self.startswith(">"):
            self.i += 1
            return n, False
        self.fail("attributes are not allowed (in <%s>)" % n)

    def close_tag(self, n):
        if not self.startswith("</"):
            self.fail("'</%s>' expected" % n)
        self.i += 2
        got = self.name()
        if got != n:
            self.fail("mismatched end tag </%s> for <%s>" % (got, n))
        self.skip_ws()
        if not self.startswith(">"):
            self.fail("'>' expected")
        self.i += 1

    def entity(self):
        end = self.s.find(";", self.i, self.i + 12)
        if end < 0:
            self.fail("bad entity reference")
        ref = self.s[self.i + 1:end]
        if ref in _ENTITIES:
            ch = _ENTITIES[ref]
        elif ref.startswith("#x") and len(ref) > 2 and all(c in "0123456789abcdefABCDEF" for c in ref[2:]):
            ch = self._codepoint(int(ref[2:], 16))
        elif ref.startswith("#") and len(ref) > 1 and ref[1:].isdigit() and ref[1:].isascii():
            ch = self._codepoint(int(ref[1:], 10))
        else:
            self.fail("undefined entity &%s;" % ref)
        self.i = end + 1
        return ch

    def _codepoint(self, cp):
        if cp > 0x10FFFF:
            self.fail("character reference out of range")
        ch = chr(cp)
        if not _xml_char_ok(ch):
            self.fail("character reference to a forbidden character")
        return ch

    def text(self, n):
        """Character data up to the end tag of <n>: text, entities, CDATA.
        A child element is an error (the format is flat)."""
        out = []
        while True:
            if self.i >= len(self.s):
                self.fail("unexpected end inside <%s>" % n)
            c = self.s[self.i]
            if c == "<":
                if self.startswith("<![CDATA["):
                    end = self.s.find("]]>", self.i + 9)
                    if end < 0:
                        self.fail("unterminated CDATA section")
                    out.append(self.s[self.i + 9:end])
                    self.i = end + 3
                elif self.startswith("</"):
                    return "".join(out)
                elif self.startswith("<!--"):
                    end = self.s.find("-->", self.i + 4)
                    if end < 0:
                        self.fail("unterminated comment")
                    self.i = end + 3
                else:
                    self.fail("nested element inside <%s>" % n)
            elif c == "&":
                out.append(self.entity())
            else:
                if c == ">" and self.s.startswith("]]>", self.i - 2) and self.i >= 2:
                    self.fail("']]>' in character data")
                out.append(c)
                self.i += 1


def parse_xml(body, root="xml"):
    """Parse a flat <xml><name>value</name>...</xml> document strictly.

    Accepts bytes (must be UTF-8) or str. An XML declaration and comments
    are allowed; a DOCTYPE (and so any entity definition) is refused before
    parsing; attributes, nested elements, duplicate fields, undefined
    entities, text outside the fields and anything after the root are
    errors. Returns a dict in document order. Raises XmlError."""
    if isinstance(body, (bytes, bytearray)):
        if b"<!doctype" in bytes(body).lower() or b"<!entity" in bytes(body).lower():
            raise XmlError("DOCTYPE/ENTITY not allowed")
        try:
            text = bytes(body).decode("utf-8")
        except UnicodeDecodeError as e:
            raise XmlError("not UTF-8 (%s)" % e.reason)
    else:
        text = body
        if "<!doctype" in text.lower() or "<!entity" in text.lower():
            raise XmlError("DOCTYPE/ENTITY not allowed")
    if text.startswith("\ufeff"):
        text = text[1:]
    for c in text:
        if not _xml_char_ok(c):
            raise XmlError("forbidden character U+%04X" % ord(c))
    r = _Reader(text)
    if r.startswith("<?xml"):
        end = text.find("?>")
        if end < 0:
            r.fail("unterminated XML declaration")
        r.i = end + 2
    r.skip_misc()
    if r.startswith("<!") or r.startswith("<?"):
        r.fail("unexpected markup before the root")
    n, empty = r.open_tag()
    if n != root:
        r.fail("root element is <%s>, not <%s>" % (n, root))
    fields = {}
    if not empty:
        while True:
            r.skip_misc()
            if r.i >= len(text):
                r.fail("unexpected end: </%s> missing" % root)
            if r.startswith("</"):
                r.close_tag(root)
                break
            if not r.startswith("<"):
                r.fail("text outside the fields")
            if r.startswith("<!") or r.startswith("<?"):
                r.fail("unexpected markup")
            fname, fempty = r.open_tag()
            value = "" if fempty else r.text(fname)
            if not fempty:
                r.close_tag(fname)
            if fname in fields:
                r.fail("duplicate field <%s>" % fname)
            fields[fname] = value
    r.skip_misc()
    if r.i != len(text):
        r.fail("content after the root element")
    return fields


def parse_response(body):
    """The response's fields as a dict (see parse_xml)."""
    return parse_xml(body)


# ------------------------------------------------------------- 合单查单 --
# POST /pay/querycombinedorder: the request fields in the order of the
# documented example (wechatpay-im/website openapi/v2/pay/querycombinedorder.md),
# then nonce_str and sign (build_body).
QUERY_FIELD_ORDER = ("combine_appid", "combine_mch_id", "sign_type", "combine_out_trade_no")
# trade_state's values, as the page lists them.
TRADE_STATES = ("SUCCESS", "REFUND", "NOTPAY", "CLOSED", "REVOKED", "USERPAYING",
                "PAYERROR", "ACCEPT")


class QueryError(ValueError):
    """A query answer that must not be believed (why in the message)."""


def query_body(combine_appid, combine_mch_id, combine_out_trade_no, key, nonce=None):
    """The signed body of a 合单查单 request."""
    return build_body([("combine_appid", combine_appid), ("combine_mch_id", combine_mch_id),
                       ("sign_type", SIGN_TYPE), ("combine_out_trade_no", combine_out_trade_no)],
                      key, nonce if nonce is not None else make_nonce())


def _strict_json(text):
    import json

    def pairs(items):
        d = {}
        for k, v in items:
            if k in d:
                raise QueryError("duplicate member %r" % k)
            d[k] = v
        return d

    def constant(c):
        raise QueryError("%s is not JSON" % c)
    try:
        return json.loads(text, object_pairs_hook=pairs, parse_constant=constant)
    except QueryError:
        raise
    except ValueError as e:
        raise QueryError("not JSON: %s" % e)


def _is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def parse_sub_order_list(text):
    """sub_order_list, a JSON string: {"order_num":N,"order_list":[...]}.
    Duplicate members (any depth) and non-JSON are refused; order_num must
    be the list's length; each sub-order needs the page's required members
    (mchid, trade_type, attach, amount.total_amount an integer, out_trade_no,
    description); unknown members are kept. Returns the list of dicts."""
    doc = _strict_json(text)
    if not isinstance(doc, dict):
        raise QueryError("sub_order_list is not a JSON object")
    lst, num = doc.get("order_list"), doc.get("order_num")
    if not isinstance(lst, list):
        raise QueryError("order_list is not an array")
    if not _is_int(num) or num != len(lst):
        raise QueryError("order_num %r is not the list's length %d" % (num, len(lst)))
    for i, sub in enumerate(lst):
        if not isinstance(sub, dict):
            raise QueryError("order_list[%d] is not an object" % i)
        for k in ("mchid", "trade_type", "attach", "out_trade_no", "description"):
            if not isinstance(sub.get(k), str):
                raise QueryError("order_list[%d].%s missing or not a string" % (i, k))
        amount = sub.get("amount")
        if not isinstance(amount, dict) or not _is_int(amount.get("total_amount")):
            raise QueryError("order_list[%d].amount.total_amount missing or not an integer" % i)
        if "transaction_id" in sub and not isinstance(sub["transaction_id"], str):
            raise QueryError("order_list[%d].transaction_id is not a string" % i)
    return lst


def read_query_answer(fields, key, combine_appid, combine_mch_id, combine_out_trade_no):
    """What a careful client makes of a parsed 合单查单 answer (parse_response):
    return_code FAIL -> {"return_code": "FAIL", "return_msg"}; else the
    signature must verify (HMAC-SHA256), the decisive values be unambiguous,
    combine_appid and combine_mch_id echo ours, combine_out_trade_no echo
    ours (it may be absent on result_code FAIL) -> {"result_code": "FAIL",
    "err_code", "err_code_des"} or {"result_code": "SUCCESS", "trade_state",
    "trade_state_desc", "sub_orders": [...]} (trade_state required, one of
    TRADE_STATES; sub_order_list required, parse_sub_order_list). Anything
    else raises QueryError."""
    if fields.get("return_code") != "SUCCESS":
        if fields.get("return_code") != "FAIL":
            raise QueryError("return_code %r" % fields.get("return_code"))
        return {"return_code": "FAIL", "return_msg": fields.get("return_msg", "")}
    if "sign" not in fields:
        raise QueryError("no sign")
    if not verify(fields, key):
        raise QueryError("sign does not verify")
    if not decisive_values_ok(fields) or "&" in fields.get("trade_state", "") \
            or "=" in fields.get("trade_state", ""):
        raise QueryError("a decisive value holds & or =")
    if fields.get("combine_appid") != combine_appid or fields.get("combine_mch_id") != combine_mch_id:
        raise QueryError("combine_appid/combine_mch_id do not echo the request")
    rc = fields.get("result_code")
    no = fields.get("combine_out_trade_no")
    if rc == "FAIL":
        if no not in (None, combine_out_trade_no):
            raise QueryError("combine_out_trade_no does not echo the request")
        return {"result_code": "FAIL", "err_code": fields.get("err_code", ""),
                "err_code_des": fields.get("err_code_des", "")}
    if rc != "SUCCESS":
        raise QueryError("result_code %r" % rc)
    if no != combine_out_trade_no:
        raise QueryError("combine_out_trade_no does not echo the request")
    if fields.get("trade_state") not in TRADE_STATES:
        raise QueryError("trade_state %r" % fields.get("trade_state"))
    if "sub_order_list" not in fields:
        raise QueryError("no sub_order_list")
    return {"result_code": "SUCCESS", "trade_state": fields["trade_state"],
            "trade_state_desc": fields.get("trade_state_desc", ""),
            "combine_openid": fields.get("combine_openid", ""),
            "sub_orders": parse_sub_order_list(fields["sub_order_list"])}
