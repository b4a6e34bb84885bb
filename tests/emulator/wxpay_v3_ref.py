"""wxpay_v3_ref: an independent Python reference of the client side of the
APIv3 close, POST /v3/combine-transactions/out-trade-no/{no}/close, written
from WeChat Pay's public pages (合单关闭订单, 签名生成, 签名验证), the OpenAPI
definition TheNorthMemory/wechatpay-openapi
docs/v3/combine-transactions/out-trade-no/{combine_out_trade_no}/close.yaml
and the official SDKs (wechatpay-apiv3/wechatpay-go core/client.go,
wechatpay-apiv3/wechatpay-java AbstractHttpClient.java).

The emulator does not use it (it has its own RSA code), so a test that signs
with this module and verifies the emulator's answers with it cross-checks
both. Other tests may use it as an oracle for the C library:

    import sys; sys.path.insert(0, "tests/emulator")
    import wxpay_v3_ref as v3
    rsa = v3.Rsa()                                   # or Rsa("openssl")
    body = v3.close_body("wx8888888888888888", [("1900009001", "OD_V3_OPEN_0001")])
    path = v3.close_path("V3_OPEN_0001")             # percent-encodes '|'
    auth = v3.authorization(rsa, "certs/merchant.key", "1900000109",
                            serial, "POST", path, body)
    hs = v3.close_headers(auth, wechatpay_serial=platform_serial)  # or a PUB_KEY_ID_…
    ok, why = v3.verify_answer(rsa, headers, answer_body,
                               {platform_serial: "certs/platform_pub.pem",
                                pub_key_id: "certs/platform_pubkey_pub.pem"})

RSA is SHA256withRSA (PKCS#1 v1.5, RFC 8017 section 8.2), three ways:
Rsa("cryptography") (python3-cryptography), Rsa("openssl") (the `openssl`
command) and Rsa("python") (pure Python from RFC 8017: no OpenSSL at all).
Rsa() picks cryptography when importable, else python.

The query (合单查询订单, GET /v3/combine-transactions/out-trade-no/{no}, no
body: its signed message ends in an empty body line) is written from the
OpenAPI definition TheNorthMemory/wechatpay-openapi
docs/v3/combine-transactions/out-trade-no/{combine_out_trade_no}.yaml and the
official page https://pay.weixin.qq.com/wiki/doc/apiv3/wxpay/pay/combine/chapter3_3.shtml:

    path = v3.query_path("V3_OPEN_0001")
    auth = v3.authorization(rsa, key, mchid, serial, "GET", path, b"")
    # GET path with v3.query_headers(auth[, wechatpay_serial]); verify_answer, then
    order = v3.parse_query_answer(answer_body)   # dict; raises v3.QueryError
"""

import base64
import hashlib
import json
import os
import re
import secrets
import shutil
import subprocess
import tempfile
import time
import urllib.parse

__all__ = ["SCHEME", "MAX_SKEW", "SIGNTEST_PREFIX", "PUB_KEY_ID_RE", "Rsa", "make_nonce",
           "request_message", "answer_message", "authorization_header",
           "authorization", "close_path", "close_body", "close_headers",
           "is_public_key_id", "verify_answer", "query_path", "query_headers",
           "QueryError", "parse_query_answer"]

SCHEME = "WECHATPAY2-SHA256-RSA2048"
MAX_SKEW = 300
SIGNTEST_PREFIX = "WECHATPAY/SIGNTEST/"
PATH_FMT = "/v3/combine-transactions/out-trade-no/%s/close"
# A WeChat Pay public key id (微信支付公钥ID): PUB_KEY_ID_ and digits (the
# ids in public code have 34: e.g. PUB_KEY_ID_0117040063532025021400298900001527).
PUB_KEY_ID_RE = re.compile(r"PUB_KEY_ID_[0-9]{1,64}")
_ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def _b(v):
    return v if isinstance(v, bytes) else str(v).encode("utf-8")


def make_nonce(n=32):
    return "".join(secrets.choice(_ALNUM) for _ in range(n))


def request_message(method, path, timestamp, nonce, body):
    """METHOD\\nPATH_AND_QUERY\\nTIMESTAMP\\nNONCE\\nBODY\\n (bytes)."""
    return b"\n".join([_b(method), _b(path), _b(timestamp), _b(nonce), _b(body)]) + b"\n"


def answer_message(timestamp, nonce, body):
    """TIMESTAMP\\nNONCE\\nBODY\\n (bytes); BODY is empty for a 204."""
    return b"\n".join([_b(timestamp), _b(nonce), _b(body)]) + b"\n"


def authorization_header(mchid, nonce, timestamp, serial_no, signature_b64, order=None):
    """The header value; `order` lists the five item names (default:
    mchid, nonce_str, timestamp, serial_no, signature, the order of the
    official 签名生成 page's example)."""
    vals = {"mchid": mchid, "nonce_str": nonce, "timestamp": str(timestamp),
            "serial_no": serial_no, "signature": signature_b64}
    order = order or ("mchid", "nonce_str", "timestamp", "serial_no", "signature")
    return SCHEME + " " + ",".join('%s="%s"' % (k, vals[k]) for k in order)


def authorization(rsa, key_path, mchid, serial_no, method, path, body,
                  timestamp=None, nonce=None):
    """A signed Authorization header value for one request."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    nonce = nonce or make_nonce()
    sig = base64.b64encode(rsa.sign(key_path, request_message(method, path, ts, nonce, body)))
    return authorization_header(mchid, nonce, ts, serial_no, sig.decode("ascii"))


def close_path(combine_out_trade_no, prefix=""):
    """The request path; characters outside RFC 3986 pchar ('|') are
    percent-encoded, the rest (0-9 A-Z a-z _ - * @) are kept."""
    return prefix + PATH_FMT % urllib.parse.quote(combine_out_trade_no, safe="*@-_")


def is_public_key_id(s):
    """Whether s names a WeChat Pay public key (PUB_KEY_ID_…) rather than a
    platform certificate (a hex serial)."""
    return bool(PUB_KEY_ID_RE.fullmatch(s))


def close_headers(authorization_value, wechatpay_serial=None):
    """The request headers of a close, as (name, value) pairs. With
    wechatpay_serial (a platform certificate serial or a PUB_KEY_ID_…) the
    request carries Wechatpay-Serial, as the official Go and Java SDKs do
    on every request: while a merchant moves to the public key, WeChat signs
    the answer with the key it names."""
    hs = [("Accept", "application/json"), ("Content-Type", "application/json"),
          ("Authorization", authorization_value)]
    if wechatpay_serial:
        hs.append(("Wechatpay-Serial", wechatpay_serial))
    return hs


def close_body(combine_appid, sub_orders):
    """Compact JSON. sub_orders: (mchid, out_trade_no[, sub_mchid[, sub_appid]])
    tuples or dicts (a dict may also carry individual_auth_id)."""
    subs = []
    for s in sub_orders:
        if isinstance(s, dict):
            subs.append(dict(s))
            continue
        d = {"mchid": s[0], "out_trade_no": s[1]}
        if len(s) > 2 and s[2]:
            d["sub_mchid"] = s[2]
        if len(s) > 3 and s[3]:
            d["sub_appid"] = s[3]
        subs.append(d)
    return json.dumps({"combine_appid": combine_appid, "sub_orders": subs},
                      ensure_ascii=False, separators=(",", ":")).encode("utf-8")


# ------------------------------------------------- RSA in pure Python --
# Just enough DER to find the numbers in PEM keys and certificates, and
# EMSA-PKCS1-v1_5 with SHA-256 (RFC 8017 sections 8.2 and 9.2).

_SHA256_DIGEST_INFO = bytes.fromhex("3031300d060960864801650304020105000420")


def _der_items(buf):
    """The (tag, value) TLVs in buf, in order (definite lengths only)."""
    out, pos = [], 0
    while pos < len(buf):
        if pos + 2 > len(buf):
            raise ValueError("truncated DER")
        tag, n = buf[pos], buf[pos + 1]
        pos += 2
        if n & 0x80:
            k = n & 0x7F
            if k == 0 or k > 4 or pos + k > len(buf):
                raise ValueError("bad DER length")
            n = int.from_bytes(buf[pos:pos + k], "big")
            pos += k
        if pos + n > len(buf):
            raise ValueError("truncated DER")
        out.append((tag, buf[pos:pos + n]))
        pos += n
    return out


def _der_seq(buf):
    items = _der_items(buf)
    if len(items) != 1 or items[0][0] != 0x30:
        raise ValueError("not a DER SEQUENCE")
    return _der_items(items[0][1])


def _ints(items):
    return [int.from_bytes(v, "big") for t, v in items if t == 0x02]


def _pem_blocks(pem):
    """{label: DER} of the PEM blocks in the text."""
    out = {}
    for m in re.finditer(r"-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \1-----", pem.decode("ascii"), re.S):
        out[m.group(1)] = base64.b64decode("".join(m.group(2).split()))
    return out


def _spki_numbers(spki_items):
    """(n, e) from the items of a SubjectPublicKeyInfo."""
    bits = [v for t, v in spki_items if t == 0x03][0]
    return tuple(_ints(_der_seq(bits[1:]))[:2])


def python_public_numbers(pem):
    """(n, e) of a PEM public key, certificate or private key."""
    blocks = _pem_blocks(pem)
    if "PUBLIC KEY" in blocks:
        return _spki_numbers(_der_seq(blocks["PUBLIC KEY"]))
    if "CERTIFICATE" in blocks:
        tbs = _der_items(_der_seq(blocks["CERTIFICATE"])[0][1])
        if tbs[0][0] == 0xA0:           # explicit version
            tbs = tbs[1:]
        return _spki_numbers(_der_items(tbs[5][1]))
    n, e, _, _, _, _, _, _ = python_private_numbers(pem)
    return n, e


def python_private_numbers(pem):
    """(n, e, d, p, q, dp, dq, qinv) of a PKCS#8 or PKCS#1 PEM private key."""
    blocks = _pem_blocks(pem)
    if "PRIVATE KEY" in blocks:
        inner = [v for t, v in _der_seq(blocks["PRIVATE KEY"]) if t == 0x04][0]
    elif "RSA PRIVATE KEY" in blocks:
        inner = blocks["RSA PRIVATE KEY"]
    else:
        raise ValueError("no private key in the PEM")
    nums = _ints(_der_seq(inner))
    if len(nums) < 9 or nums[0] != 0:
        raise ValueError("not a two-prime RSAPrivateKey")
    return tuple(nums[1:9])


def _emsa_pkcs1_sha256(data, k):
    t = _SHA256_DIGEST_INFO + hashlib.sha256(data).digest()
    if k < len(t) + 11:
        raise ValueError("RSA modulus too short")
    return b"\x00\x01" + b"\xff" * (k - len(t) - 3) + b"\x00" + t


def python_sign(pem, data):
    n, e, d, p, q, dp, dq, qinv = python_private_numbers(pem)
    k = (n.bit_length() + 7) // 8
    m = int.from_bytes(_emsa_pkcs1_sha256(data, k), "big")
    s1, s2 = pow(m, dp, p), pow(m, dq, q)          # CRT (RFC 8017 5.1.2)
    s = s2 + q * ((qinv * (s1 - s2)) % p)
    if pow(s, e, n) != m:
        raise ValueError("RSA key is inconsistent")
    return s.to_bytes(k, "big")


def python_verify(pem, data, sig):
    n, e = python_public_numbers(pem)
    k = (n.bit_length() + 7) // 8
    if len(sig) != k:
        return False
    s = int.from_bytes(sig, "big")
    if s >= n:
        return False
    return pow(s, e, n).to_bytes(k, "big") == _emsa_pkcs1_sha256(data, k)


class Rsa:
    """SHA256withRSA PKCS#1 v1.5 by path to a PEM file (private key to sign;
    public key or certificate to verify)."""

    BACKENDS = ("cryptography", "openssl", "python")

    def __init__(self, backend=None):
        if backend is None:
            try:
                import cryptography  # noqa: F401
                backend = "cryptography"
            except ImportError:
                backend = "python"
        if backend not in self.BACKENDS:
            raise ValueError("backend must be one of %s" % ", ".join(self.BACKENDS))
        self.backend = backend
        if backend == "cryptography":
            from cryptography import x509
            from cryptography.exceptions import InvalidSignature
            from cryptography.hazmat.primitives import hashes, serialization
            from cryptography.hazmat.primitives.asymmetric import padding
            self._m = (x509, InvalidSignature, hashes, serialization, padding)
            self._keys = {}    # loading checks the key, which is slow: once per file
        elif shutil.which("openssl") is None:
            raise RuntimeError("no openssl command")

    # -- cryptography --
    def _c_private(self, path):
        with open(path, "rb") as fh:
            pem = fh.read()
        if pem not in self._keys:
            self._keys[pem] = self._m[3].load_pem_private_key(pem, password=None)
        return self._keys[pem]

    def _c_public(self, path):
        with open(path, "rb") as fh:
            pem = fh.read()
        if pem not in self._keys:
            if b"BEGIN CERTIFICATE" in pem:
                self._keys[pem] = self._m[0].load_pem_x509_certificate(pem).public_key()
            else:
                self._keys[pem] = self._m[3].load_pem_public_key(pem)
        return self._keys[pem]

    # -- openssl --
    @staticmethod
    def _o(args, data=b""):
        return subprocess.run(["openssl"] + args, input=data, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, timeout=20)

    @staticmethod
    def _pem(path):
        with open(path, "rb") as fh:
            return fh.read()

    def sign(self, key_path, data):
        data = _b(data)
        if self.backend == "python":
            return python_sign(self._pem(key_path), data)
        if self.backend == "cryptography":
            x509, _, hashes, _, padding = self._m
            return self._c_private(key_path).sign(data, padding.PKCS1v15(), hashes.SHA256())
        p = self._o(["dgst", "-sha256", "-sign", key_path], data)
        if p.returncode != 0:
            raise RuntimeError("openssl dgst -sign: %s" % p.stderr.decode("utf-8", "replace"))
        return p.stdout

    def verify(self, pub_or_cert_path, data, sig):
        data = _b(data)
        if self.backend == "python":
            return python_verify(self._pem(pub_or_cert_path), data, sig)
        if self.backend == "cryptography":
            _, invalid, hashes, _, padding = self._m
            try:
                self._c_public(pub_or_cert_path).verify(sig, data, padding.PKCS1v15(), hashes.SHA256())
                return True
            except (invalid, ValueError):
                return False
        with tempfile.TemporaryDirectory(prefix="wxv3ref") as d:
            pub = pub_or_cert_path
            with open(pub, "rb") as fh:
                is_cert = b"BEGIN CERTIFICATE" in fh.read()
            if is_cert:
                p = self._o(["x509", "-noout", "-pubkey", "-in", pub_or_cert_path])
                pub = os.path.join(d, "pub.pem")
                with open(pub, "wb") as fh:
                    fh.write(p.stdout)
            sp = os.path.join(d, "sig.bin")
            with open(sp, "wb") as fh:
                fh.write(sig)
            p = self._o(["dgst", "-sha256", "-verify", pub, "-signature", sp], data)
            return p.returncode == 0


def verify_answer(rsa, headers, body, keys_by_serial, now=None, max_skew=MAX_SKEW,
                  want_serial=None):
    """Checks an answer's Wechatpay-* headers (a dict, any case) ->
    (True, "") or (False, why). keys_by_serial maps a platform certificate
    serial or a PUB_KEY_ID_… (compared case-insensitively) to a public key
    or certificate path. want_serial: the answer must also name this key
    (the Wechatpay-Serial the request sent)."""
    h = {k.lower(): v for k, v in headers.items()}
    names = ("wechatpay-timestamp", "wechatpay-nonce", "wechatpay-signature", "wechatpay-serial")
    missing = [n for n in names if not h.get(n)]
    if missing:
        return False, "missing " + ", ".join(missing)
    serial = h["wechatpay-serial"].upper()
    keys = {k.upper(): v for k, v in keys_by_serial.items()}
    if serial not in keys:
        return False, "unknown Wechatpay-Serial %s" % serial
    if want_serial is not None and serial != want_serial.upper():
        return False, "Wechatpay-Serial %s, not the %s the request named" % (serial, want_serial)
    ts = h["wechatpay-timestamp"]
    if not re.fullmatch(r"[0-9]{1,20}", ts):
        return False, "Wechatpay-Timestamp is not Unix seconds"
    now = time.time() if now is None else now
    if abs(int(ts) - now) > max_skew:
        return False, "Wechatpay-Timestamp %s s off" % int(int(ts) - now)
    sig_text = h["wechatpay-signature"]
    if sig_text.startswith(SIGNTEST_PREFIX):
        return False, "a WECHATPAY/SIGNTEST/ probe signature"
    try:
        sig = base64.b64decode(sig_text, validate=True)
    except ValueError:
        return False, "Wechatpay-Signature is not Base64"
    if not rsa.verify(keys[serial], answer_message(ts, h["wechatpay-nonce"], body), sig):
        return False, "Wechatpay-Signature does not verify"
    return True, ""


# ------------------------------------------------------- 合单查询订单 --
QUERY_PATH_FMT = "/v3/combine-transactions/out-trade-no/%s"
# trade_state values the page names (WeChat may add others)
TRADE_STATES = ("SUCCESS", "REFUND", "NOTPAY", "CLOSED", "REVOKED", "USERPAYING",
                "PAYERROR", "ACCEPT")
_RFC3339 = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?"
                      r"(Z|[+-][0-9]{2}:[0-9]{2})")


class QueryError(ValueError):
    """A query answer body that must not be believed."""


def query_path(combine_out_trade_no, prefix=""):
    """The query's path (percent-encoding as close_path)."""
    return prefix + QUERY_PATH_FMT % urllib.parse.quote(combine_out_trade_no, safe="*@-_")


def query_headers(authorization_value, wechatpay_serial=None):
    """The headers of the GET: no Content-Type (there is no body)."""
    hs = [("Accept", "application/json"), ("Authorization", authorization_value)]
    if wechatpay_serial:
        hs.append(("Wechatpay-Serial", wechatpay_serial))
    return hs


def parse_query_answer(body):
    """The 200 body of a query, strictly: UTF-8 JSON, no duplicate member at
    any depth; the definition's required combine_appid, combine_mchid,
    combine_out_trade_no (strings) and sub_orders (an array of objects, each
    with mchid, out_trade_no, trade_state strings, amount.total_amount an
    integer when amount is there); a SUCCESS or REFUND sub-order must carry
    transaction_id and an RFC 3339 success_time. Unknown members are kept
    (WeChat adds fields). Returns the dict."""
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
        doc = json.loads(_b(body).decode("utf-8"), object_pairs_hook=pairs, parse_constant=constant)
    except QueryError:
        raise
    except ValueError as e:
        raise QueryError("not JSON: %s" % e)
    if not isinstance(doc, dict):
        raise QueryError("not a JSON object")
    for k in ("combine_appid", "combine_mchid", "combine_out_trade_no"):
        if not isinstance(doc.get(k), str):
            raise QueryError("%s missing or not a string" % k)
    subs = doc.get("sub_orders")
    if not isinstance(subs, list):
        raise QueryError("sub_orders missing or not an array")
    for i, sub in enumerate(subs):
        if not isinstance(sub, dict):
            raise QueryError("sub_orders[%d] is not an object" % i)
        for k in ("mchid", "out_trade_no", "trade_state"):
            if not isinstance(sub.get(k), str):
                raise QueryError("sub_orders[%d].%s missing or not a string" % (i, k))
        amount = sub.get("amount")
        if amount is not None:
            if not isinstance(amount, dict) or not isinstance(amount.get("total_amount"), int) \
                    or isinstance(amount.get("total_amount"), bool):
                raise QueryError("sub_orders[%d].amount.total_amount is not an integer" % i)
        if sub["trade_state"] in ("SUCCESS", "REFUND"):
            if not isinstance(sub.get("transaction_id"), str) or not sub["transaction_id"]:
                raise QueryError("sub_orders[%d] is paid without a transaction_id" % i)
            if not isinstance(sub.get("success_time"), str) or not _RFC3339.fullmatch(sub["success_time"]):
                raise QueryError("sub_orders[%d].success_time is not RFC 3339" % i)
    return doc
