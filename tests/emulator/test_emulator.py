#!/usr/bin/env python3
"""The emulator suite: known-answer vectors of the Python reference
(wxpay_ref.py), then the emulator driven over real HTTP and HTTPS.

    python3 tests/emulator/test_emulator.py [CERT_DIR]

Prints one `PASS name` / `FAIL name: why` / `SKIP name: why` line per test
(tests/CONVENTIONS.md). Without CERT_DIR (no openssl) the HTTPS tests skip.
Python 3 standard library only.
"""

import atexit
import hashlib
import hmac
import http.client
import json
import os
import re
import select
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True   # no __pycache__ in the source tree
sys.path.insert(0, HERE)
import wxpay_ref as ref  # noqa: E402

EMULATOR = os.path.join(HERE, "emulator.py")
KEY = "192006250b4c09247ec02edce69f6a2d"
APPID = "wx8888888888888888"
MCH = "1900000109"
SEED_NO = "1217752501201407033233368018"
SEED_SUBS = [("1900009001", "OD201708030001")]
EP = "/pay/closecombinedorder"

CERTS = sys.argv[1] if len(sys.argv) > 1 and sys.argv[1] else None

# ------------------------------------------------------------- mini runner --

TESTS = []
counts = {"PASS": 0, "FAIL": 0, "SKIP": 0}


class Skip(Exception):
    pass


def test(fn):
    TESTS.append(fn)
    return fn


def report(kind, name, why=""):
    counts[kind] += 1
    line = "%s %s" % (kind, name) + (": " + why if why else "")
    print(line.replace("\n", " | "), flush=True)


def check(cond, why):
    if not cond:
        raise AssertionError(why)


def eq(got, want, what="value"):
    if got != want:
        raise AssertionError("%s: got %r, want %r" % (what, got, want))


def scratch_dir():
    """A temporary directory, removed when the suite exits."""
    d = tempfile.mkdtemp(prefix="wxemu")
    atexit.register(shutil.rmtree, d, True)
    return d


# ---------------------------------------------------------- emulator procs --

class Emu:
    def __init__(self, *args, certs=None):
        cmd = [sys.executable, EMULATOR, "--lifetime", "120"] + list(args)
        if certs:
            cmd += ["--certs", certs]
        self.p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        r, _, _ = select.select([self.p.stdout], [], [], 10)
        line = self.p.stdout.readline() if r else b""
        if not line:
            err = b""
            try:
                self.p.kill()
                err = self.p.communicate(timeout=5)[1]
            except Exception:
                pass
            raise RuntimeError("emulator did not start: %s" % err.decode("utf-8", "replace")[-400:])
        self.ports = json.loads(line)
        self.line = line

    @property
    def http(self):
        return self.ports["http"]

    def stop(self, sig=signal.SIGTERM):
        if self.p.poll() is None:
            self.p.send_signal(sig)
            try:
                self.p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
        for f in (self.p.stdout, self.p.stderr):
            try:
                f.close()
            except Exception:
                pass
        return self.p.returncode


EMU = None   # the shared instance (default state, certs when available)


def request(method, path, body=None, headers=None, port=None, tls=None,
            host="127.0.0.1", timeout=5):
    """One request on a fresh connection -> (status, headers, body)."""
    port = port or EMU.http
    if tls is not None:
        c = http.client.HTTPSConnection(host, port, timeout=timeout, context=tls)
    else:
        c = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        h = {"Content-Type": "text/xml; charset=utf-8"}
        h.update(headers or {})
        c.request(method, path, body=body, headers=h)
        r = c.getresponse()
        data = r.read()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, data
    finally:
        c.close()


def post(body, prefix="", **kw):
    return request("POST", prefix + EP, body, **kw)


def close_fields(no, subs, appid=APPID, mch=MCH, sign_type=ref.SIGN_TYPE, extra=()):
    sol = subs if isinstance(subs, str) else ref.sub_order_list_json(subs)
    return [("combine_appid", appid), ("combine_mch_id", mch), ("sign_type", sign_type),
            ("combine_out_trade_no", no), ("sub_order_list", sol)] + list(extra)


def close_body(no, subs, key=KEY, nonce=None, **kw):
    return ref.build_body(close_fields(no, subs, **kw), key, nonce or ref.make_nonce())


def answer(no, subs, prefix="", key=KEY, **kw):
    """POST a close; parse the 200 answer; check a SUCCESS one is signed."""
    st, _, data = post(close_body(no, subs, key=key, **kw), prefix)
    eq(st, 200, "HTTP status")
    f = ref.parse_response(data)
    return f


def expect_business(f, code, key=KEY, appid=APPID, mch=MCH):
    eq(f.get("return_code"), "SUCCESS", "return_code (return_msg %r)" % f.get("return_msg"))
    check(ref.verify(f, key), "answer signature does not verify")
    eq(f.get("combine_appid"), appid, "echoed combine_appid")
    eq(f.get("combine_mch_id"), mch, "echoed combine_mch_id")
    check(re.fullmatch(r"[0-9A-Za-z]{32}", f.get("nonce_str", "")), "nonce_str not 32 alnum")
    if code == "SUCCESS":
        eq(f.get("result_code"), "SUCCESS", "result_code (err_code %r)" % f.get("err_code"))
        check("err_code" not in f, "err_code on success")
    else:
        eq(f.get("result_code"), "FAIL", "result_code")
        eq(f.get("err_code"), code, "err_code (des %r)" % f.get("err_code_des"))
        check(f.get("err_code_des"), "err_code_des empty")


def expect_return_fail(f, msg_part=None):
    eq(f.get("return_code"), "FAIL", "return_code")
    check("sign" not in f, "a return_code FAIL answer carries a sign")
    check("result_code" not in f, "a return_code FAIL answer carries result_code")
    if msg_part is not None:
        check(msg_part in f.get("return_msg", ""), "return_msg %r lacks %r" % (f.get("return_msg"), msg_part))


def order_state(no):
    st, _, data = request("GET", "/_state")
    for o in json.loads(data)["orders"]:
        if o["combine_out_trade_no"] == no:
            return o["state"]
    return None


def reset():
    st, _, _ = request("POST", "/_reset")
    eq(st, 200, "/_reset status")


def stats():
    st, _, data = request("GET", "/_stats")
    eq(st, 200, "/_stats status")
    return json.loads(data)


def stats_when(cond, timeout=3.0):
    """/_stats once cond(stats) holds (the server records a failed handshake
    or a silent connection a moment after the client has moved on)."""
    end = time.monotonic() + timeout
    while True:
        s = stats()
        if cond(s) or time.monotonic() > end:
            return s
        time.sleep(0.05)


def raw_exchange(port, data, read_until_close=True, timeout=5):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        s.sendall(data)
        out = b""
        while True:
            b = s.recv(65536)
            if not b:
                break
            out += b
        return out
    finally:
        s.close()


# ------------------------------------------------------- known answers --

# The example of WeChat Pay's v2 签名算法 page
# (https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=4_3).
SIGN_PAGE_FIELDS = {"appid": "wxd930ea5d5a258f4f", "mch_id": "10000100", "device_info": "1000",
                    "body": "test", "nonce_str": "ibuaiVcKdpRxkhJA"}


@test
def ref_sign_string_matches_the_signature_page_example():
    eq(ref.sign_string(SIGN_PAGE_FIELDS, KEY),
       "appid=wxd930ea5d5a258f4f&body=test&device_info=1000&mch_id=10000100"
       "&nonce_str=ibuaiVcKdpRxkhJA&key=192006250b4c09247ec02edce69f6a2d")


@test
def ref_hmac_sha256_known_answer_of_the_signature_page_example():
    eq(ref.sign(SIGN_PAGE_FIELDS, KEY), "6A9AE1657590FD6257D693A078E1C3E4BB6BA4DC30B23E0EE2496E54170DACD6")


@test
def ref_md5_known_answer_of_the_signature_page_example():
    eq(ref.sign_md5(SIGN_PAGE_FIELDS, KEY), "9A0A8659F005D6984697E2CA0A9CF3B7")


@test
def ref_hmac_without_key_suffix_is_the_classic_mistake():
    s = ref.sign_string(SIGN_PAGE_FIELDS, KEY)
    s = s[:s.rindex("&key=")]
    got = hmac.new(KEY.encode(), s.encode(), hashlib.sha256).hexdigest().upper()
    check(got.startswith("F734F0E6"), "got %s" % got)
    check(got != ref.sign(SIGN_PAGE_FIELDS, KEY), "same as the right signature")


@test
def ref_sign_skips_empty_fields_and_sign_and_sorts_by_bytes():
    f = dict(SIGN_PAGE_FIELDS, attach="", sign="WHATEVER", Zeta="z")
    s = ref.sign_string(f, KEY)
    check(s.startswith("Zeta=z&appid="), "upper case sorts first: %s" % s)
    check("attach" not in s and "sign=" not in s, s)
    eq(ref.sign(dict(SIGN_PAGE_FIELDS, attach="", sign="X"), KEY), ref.sign(SIGN_PAGE_FIELDS, KEY))


# The seed request (合单关单's example values) with nonce ibuaiVcKdpRxkhJA, in the
# byte shape the project pins.
KNOWN_BODY = (
    '<xml><combine_appid>wx8888888888888888</combine_appid><combine_mch_id>1900000109</combine_mch_id>'
    '<sign_type>HMAC-SHA256</sign_type><combine_out_trade_no>1217752501201407033233368018'
    '</combine_out_trade_no><sub_order_list><![CDATA[[{"mchid":"1900009001","out_trade_no":'
    '"OD201708030001"}]]]></sub_order_list><nonce_str>ibuaiVcKdpRxkhJA</nonce_str>'
    '<sign>509AC0CBE8222A321B41F6BD4EFD8FE38D2E61251270F5664280BAD4268C020B</sign></xml>').encode()


@test
def ref_build_body_known_answer_byte_for_byte():
    got = ref.build_body(close_fields(SEED_NO, SEED_SUBS), KEY, "ibuaiVcKdpRxkhJA")
    eq(got, KNOWN_BODY, "body")


@test
def ref_sub_order_list_json_like_php_json_encode():
    eq(ref.sub_order_list_json(SEED_SUBS), '[{"mchid":"1900009001","out_trade_no":"OD201708030001"}]')
    eq(ref.sub_order_list_json([{"mchid": "a/b", "out_trade_no": "中\U0001F600\"\\\n\x01"}]),
       '[{"mchid":"a\\/b","out_trade_no":"\\u4e2d\\ud83d\\ude00\\"\\\\\\n\\u0001"}]')
    subs = [("1900009001", "A"), ("1900009002", "B")]
    eq(json.loads(ref.sub_order_list_json(subs)),
       [{"mchid": "1900009001", "out_trade_no": "A"}, {"mchid": "1900009002", "out_trade_no": "B"}])


@test
def ref_xml_cdata_only_when_needed_and_split_on_cdata_end():
    eq(ref.xml_value("abc"), "abc")
    for v in ('a"b', "a<b", "a>b", "a&b"):
        eq(ref.xml_value(v), "<![CDATA[" + v + "]]>", "value %r" % v)
    eq(ref.xml_value("x]]>y"), "<![CDATA[x]]]]><![CDATA[>y]]>")
    body = ref.build_xml([("a", "x]]>y"), ("b", 'q"<&>'), ("c", "中文")])
    eq(ref.parse_xml(body.encode()), {"a": "x]]>y", "b": 'q"<&>', "c": "中文"})


@test
def ref_parse_xml_is_strict_and_refuses_doctype():
    eq(ref.parse_xml('<?xml version="1.0"?>\n<xml>\n <a>1&amp;2&#x4e2d;&#65;</a><b/><!-- c --></xml>\n'),
       {"a": "1&2中A", "b": ""})
    bad = [b"", b"<xml>", b"<xml><a>1</a>", b"<xml><a>1</b></xml>", b"<root><a>1</a></root>",
           b"<xml><a><b>1</b></a></xml>", b"<xml><a>1</a><a>2</a></xml>", b"<xml><a x='1'>1</a></xml>",
           b"<xml><a>&nbsp;</a></xml>", b"<xml><a><![CDATA[x</a></xml>", b"<xml>text<a>1</a></xml>",
           b"<xml><a>1</a></xml><x/>", b"<xml><a>\xff</a></xml>", b"<xml><a>\x01</a></xml>",
           b'<!DOCTYPE xml [<!ENTITY e SYSTEM "file:///etc/passwd">]><xml><a>&e;</a></xml>',
           b"<xml><!doctype x><a>1</a></xml>"]
    for b in bad:
        try:
            ref.parse_xml(b)
        except ref.XmlError:
            continue
        raise AssertionError("accepted %r" % b)


# --------------------------------------------------------- over HTTP: ok --

@test
def close_open_order_succeeds_with_signed_answer():
    reset()
    req_nonce = ref.make_nonce()
    st, hdr, data = post(close_body(SEED_NO, SEED_SUBS, nonce=req_nonce))
    eq(st, 200, "status")
    check(data.startswith(b"<xml>") and data.endswith(b"</xml>"), "not an <xml> document")
    f = ref.parse_response(data)
    expect_business(f, "SUCCESS")
    check(f["nonce_str"] != req_nonce, "the answer reuses the request nonce")
    check(re.fullmatch(r"[0-9A-F]{64}", f["sign"]), "sign is not 64 uppercase hex")
    # every value in CDATA
    for k, v in f.items():
        check(("<%s><![CDATA[" % k).encode() in data, "%s not in CDATA" % k)
    eq(order_state(SEED_NO), "closed", "state after close")


@test
def close_repeat_answers_orderclosed():
    reset()
    expect_business(answer(SEED_NO, SEED_SUBS), "SUCCESS")
    expect_business(answer(SEED_NO, SEED_SUBS), "ORDERCLOSED")


@test
def close_already_closed_order_answers_orderclosed():
    reset()
    expect_business(answer("DEMO_CLOSED_0001", [("1900009001", "OD_CLOSED_0001")]), "ORDERCLOSED")


@test
def close_paid_order_answers_orderpaid_and_stays_paid():
    reset()
    expect_business(answer("DEMO_PAID_0001", [("1900009001", "OD_PAID_0001")]), "ORDERPAID")
    eq(order_state("DEMO_PAID_0001"), "paid", "state")


@test
def close_unknown_order_answers_ordernotexist():
    reset()
    expect_business(answer("DEMO_NO_SUCH_0001", [("1900009001", "X")]), "ORDERNOTEXIST")


@test
def close_other_merchants_order_answers_ordernotexist():
    reset()
    expect_business(answer("DEMO_OTHER_MCH_0001", [("1900009001", "OD_OTHER_0001")]), "ORDERNOTEXIST")
    eq(order_state("DEMO_OTHER_MCH_0001"), "open", "state")


@test
def close_other_merchant_with_its_own_key_succeeds():
    reset()
    f = answer("DEMO_OTHER_MCH_0001", [("1900009001", "OD_OTHER_0001")], appid="wx1100000000000110",
               mch="1900000110", key="demo0110demo0110demo0110demo0110")
    expect_business(f, "SUCCESS", key="demo0110demo0110demo0110demo0110",
                    appid="wx1100000000000110", mch="1900000110")
    check(not ref.verify(f, KEY), "answer verifies with another merchant's key")


MULTI = [("1900009001", "OD_MULTI_0001_A"), ("1900009002", "OD_MULTI_0001_B"),
         ("1900009003", "OD_MULTI_0001_C")]


@test
def close_with_sub_orders_not_matching_answers_param_error():
    reset()
    cases = {
        "subset": MULTI[:2],
        "superset": MULTI + [("1900009004", "OD_MULTI_0001_D")],
        "wrong mchid": [("1900009009", "OD_MULTI_0001_A")] + MULTI[1:],
        "duplicate": MULTI + MULTI[:1],
        "not JSON": '[{"mchid":"1900009001",',
        "not an array": '{"mchid":"1900009001","out_trade_no":"OD_MULTI_0001_A"}',
        "empty array": "[]",
        "mch_id spelling": json.dumps([{"mch_id": a, "out_trade_no": b} for a, b in MULTI]),
        "number mchid": '[{"mchid":1900009001,"out_trade_no":"OD_MULTI_0001_A"}]',
        "eleven": [("19000090%02d" % i, "X%d" % i) for i in range(11)],
    }
    for what, subs in cases.items():
        f = answer("DEMO_MULTI_0001", subs)
        try:
            expect_business(f, "PARAM_ERROR")
        except AssertionError as e:
            raise AssertionError("%s: %s" % (what, e))
    eq(order_state("DEMO_MULTI_0001"), "open", "state")


@test
def close_matches_sub_orders_as_a_set_in_any_order():
    reset()
    expect_business(answer("DEMO_MULTI_0001", list(reversed(MULTI))), "SUCCESS")
    eq(order_state("DEMO_MULTI_0001"), "closed", "state")


@test
def close_order_numbers_with_special_characters_succeed():
    reset()
    expect_business(answer("DEMO_CHARS_0001", [("1900009001", "OD-CHARS_*|@0001")]), "SUCCESS")


@test
def close_appid_not_of_merchant_answers_noauth():
    reset()
    f = answer(SEED_NO, SEED_SUBS, appid="wx1100000000000110")
    expect_business(f, "NOAUTH", appid="wx1100000000000110")
    eq(order_state(SEED_NO), "open", "state")


@test
def close_merchant_without_permission_answers_noauth():
    reset()
    k = "demo0111demo0111demo0111demo0111"
    f = answer("DEMO_NOAUTH_0001", [("1900009001", "OD_NOAUTH_0001")], appid="wx1110000000000111",
               mch="1900000111", key=k)
    expect_business(f, "NOAUTH", key=k, appid="wx1110000000000111", mch="1900000111")


@test
def close_unknown_merchant_answers_return_fail_noauth():
    reset()
    f = answer(SEED_NO, SEED_SUBS, mch="1999999999")
    expect_return_fail(f, "NOAUTH")


@test
def close_too_young_order_refused_with_systemerror_too_early():
    reset()
    f = answer("DEMO_YOUNG_0001", [("1900009001", "OD_YOUNG_0001")])
    expect_business(f, "SYSTEMERROR")
    check("too early" in f["err_code_des"], "err_code_des %r" % f["err_code_des"])
    eq(order_state("DEMO_YOUNG_0001"), "open", "state")


# ----------------------------------------------------- over HTTP: refusals --

@test
def bad_signature_answers_return_fail_unsigned_in_utf8():
    reset()
    body = close_body(SEED_NO, SEED_SUBS, key="0" * 32)
    st, _, data = post(body)
    eq(st, 200, "status")
    check("签名错误".encode("utf-8") in data, "no UTF-8 签名错误 in %r" % data)
    expect_return_fail(ref.parse_response(data))
    eq(order_state(SEED_NO), "open", "state")


@test
def request_signatures_that_are_wrong_are_refused():
    reset()
    fields = close_fields(SEED_NO, SEED_SUBS) + [("nonce_str", ref.make_nonce())]
    good = ref.sign(fields, KEY)
    s = ref.sign_string(fields, KEY)
    nokey = hmac.new(KEY.encode(), s[:s.rindex("&key=")].encode(), hashlib.sha256).hexdigest().upper()
    plain_sha = hashlib.sha256(s.encode()).hexdigest().upper()
    variants = {"lowercase": good.lower(), "md5": ref.sign_md5(fields, KEY),
                "no &key=": nokey, "sha256 not hmac": plain_sha, "one char off": good[:-1] + ("0" if good[-1] != "0" else "1")}
    for what, sig in variants.items():
        f = ref.parse_response(post(ref.build_xml(fields + [("sign", sig)]).encode())[2])
        try:
            expect_return_fail(f, "签名错误")
        except AssertionError as e:
            raise AssertionError("%s: %s" % (what, e))
    # unsigned extra field, and a signed field changed after signing
    f = ref.parse_response(post(ref.build_xml(fields + [("sign", good), ("attach", "x")]).encode())[2])
    expect_return_fail(f, "签名错误")
    tampered = [(k, "DEMO_OPEN_0001" if k == "combine_out_trade_no" else v) for k, v in fields]
    f = ref.parse_response(post(ref.build_xml(tampered + [("sign", good)]).encode())[2])
    expect_return_fail(f, "签名错误")
    # the right one still works
    expect_business(ref.parse_response(post(ref.build_xml(fields + [("sign", good)]).encode())[2]), "SUCCESS")


@test
def request_fields_signed_per_the_signature_page_are_accepted():
    """Unknown fields signed, empty fields unsigned, ]]> split CDATA,
    entity escaping instead of CDATA, an XML declaration and whitespace."""
    reset()
    extra = [("attach", 'a]]>b <"&>'), ("device_info", ""), ("zz_unknown", "中文")]
    expect_business(answer("DEMO_NO_SUCH_0002", [("1", "2")], extra=extra), "ORDERNOTEXIST")
    fields = close_fields(SEED_NO, SEED_SUBS) + [("nonce_str", "n" * 32)]
    fields.append(("sign", ref.sign(fields, KEY)))
    esc = "".join("<%s>%s</%s>\n" % (k, v.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                                     .replace('"', "&quot;"), k) for k, v in fields)
    body = ('<?xml version="1.0" encoding="UTF-8"?>\n<xml>\n' + esc + "</xml>\n").encode()
    expect_business(ref.parse_response(post(body)[2]), "SUCCESS")


@test
def sign_type_other_than_hmac_sha256_is_refused():
    reset()
    for st in ("HMAC_SHA256", "MD5", "hmac-sha256"):
        f = answer(SEED_NO, SEED_SUBS, sign_type=st)
        expect_return_fail(f, "sign_type")
    eq(order_state(SEED_NO), "open", "state")


@test
def missing_fields_are_refused():
    reset()
    base = close_fields(SEED_NO, SEED_SUBS) + [("nonce_str", ref.make_nonce())]
    for drop in ("combine_appid", "combine_mch_id", "sign_type", "combine_out_trade_no",
                 "sub_order_list", "nonce_str", "sign"):
        fields = [(k, v) for k, v in base if k != drop]
        fields.append(("sign", ref.sign(fields, KEY)))
        if drop == "sign":
            fields = fields[:-1]
        f = ref.parse_response(post(ref.build_xml(fields).encode())[2])
        try:
            expect_return_fail(f, drop)
        except AssertionError as e:
            raise AssertionError("without %s: %s" % (drop, e))


@test
def field_length_limits_are_enforced():
    reset()
    # the limits themselves are accepted
    f = answer("N" * 32, SEED_SUBS, nonce="x" * 32)
    expect_business(f, "ORDERNOTEXIST")
    over = {
        "combine_appid": dict(appid="w" * 33),
        "combine_mch_id": dict(mch="1" * 33),
        "combine_out_trade_no": dict(no="N" * 33),
        "nonce_str": dict(nonce="x" * 33),
        "sub_order_list": dict(subs="[" + " " * 10239 + "]"),
    }
    for field, kw in over.items():
        no = kw.pop("no", SEED_NO)
        subs = kw.pop("subs", SEED_SUBS)
        f = answer(no, subs, **kw)
        try:
            expect_return_fail(f, field)
        except AssertionError as e:
            raise AssertionError("%s: %s" % (field, e))
    # exactly 10240 bytes of sub_order_list is not a length error
    f = answer(SEED_NO, "[" + " " * 10238 + "]")
    expect_business(f, "PARAM_ERROR")
    fields = close_fields(SEED_NO, SEED_SUBS) + [("nonce_str", "n"), ("sign", "A" * 129)]
    expect_return_fail(ref.parse_response(post(ref.build_xml(fields).encode())[2]), "sign")


@test
def malformed_xml_is_refused_with_return_fail():
    reset()
    good = close_body(SEED_NO, SEED_SUBS)
    for body in (b"", b"hello", good[:-3], good.replace(b"<xml>", b"<root>").replace(b"</xml>", b"</root>"),
                 good.replace(b"</sign>", b"</sign><sign>x</sign>"),
                 good.replace(b"<![CDATA[", b"<![CDATA[", 1).replace(b"]]></sub", b"</sub"),
                 good.replace(b"1900000109", b"19000\xff0109")):
        f = ref.parse_response(post(body)[2])
        try:
            expect_return_fail(f, "XML")
        except AssertionError as e:
            raise AssertionError("%r: %s" % (body[:40], e))
    eq(order_state(SEED_NO), "open", "state")


@test
def doctype_and_entities_are_refused_xxe():
    reset()
    good = close_body(SEED_NO, SEED_SUBS).decode()
    xxe = '<!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]>' + good.replace(
        "<combine_appid>", "<combine_appid>&x;")
    f = ref.parse_response(post(xxe.encode())[2])
    expect_return_fail(f, "DOCTYPE")
    check("root:" not in json.dumps(f), "entity expanded")
    f = ref.parse_response(post(('<?xml version="1.0"?><!DOCTYPE xml>' + good).encode())[2])
    expect_return_fail(f, "DOCTYPE")


@test
def non_post_methods_answer_require_post_method():
    for m in ("GET", "PUT", "DELETE"):
        st, _, data = request(m, EP)
        eq(st, 200, "%s status" % m)
        expect_return_fail(ref.parse_response(data), "post")


@test
def unknown_paths_and_prefixes_are_404():
    for p in ("/", "/pay/closeorder", "/nosuch/pay/closecombinedorder", "/delay-x/pay/closecombinedorder",
              "/systemerror-/pay/closecombinedorder", "//pay/closecombinedorder"):
        st, _, _ = request("POST", p, b"<xml></xml>")
        eq(st, 404, "status for %s" % p)


# ----------------------------------------------------------- misbehaviour --

@test
def misbehave_systemerror_answers_signed_systemerror_without_closing():
    reset()
    f = answer(SEED_NO, SEED_SUBS, prefix="/systemerror")
    expect_business(f, "SYSTEMERROR")
    eq(order_state(SEED_NO), "open", "state")


@test
def misbehave_systemerror_n_fails_n_times_then_closes():
    reset()
    for i in range(2):
        expect_business(answer(SEED_NO, SEED_SUBS, prefix="/systemerror-2"), "SYSTEMERROR")
    expect_business(answer(SEED_NO, SEED_SUBS, prefix="/systemerror-2"), "SUCCESS")
    expect_business(answer(SEED_NO, SEED_SUBS, prefix="/systemerror-2"), "ORDERCLOSED")
    reset()   # the counter restarts too
    expect_business(answer(SEED_NO, SEED_SUBS, prefix="/systemerror-1"), "SYSTEMERROR")


@test
def misbehave_delay_ms_delays_past_a_client_timeout():
    reset()
    t = time.monotonic()
    expect_business(answer("DEMO_NO_SUCH_0003", [("1", "2")], prefix="/delay-300"), "ORDERNOTEXIST")
    check(time.monotonic() - t >= 0.3, "answered too soon")
    t = time.monotonic()
    try:
        post(close_body(SEED_NO, SEED_SUBS), "/delay-1500", timeout=0.2)
    except (socket.timeout, TimeoutError):
        check(time.monotonic() - t < 1.0, "timeout took too long")
    else:
        raise AssertionError("no timeout")


@test
def misbehave_http500_answers_500_and_does_not_close():
    reset()
    st, _, data = post(close_body(SEED_NO, SEED_SUBS), "/http500")
    eq(st, 500, "status")
    eq(order_state(SEED_NO), "open", "state")


@test
def misbehave_truncated_sends_half_the_announced_body():
    reset()
    try:
        post(close_body(SEED_NO, SEED_SUBS), "/truncated")
    except http.client.IncompleteRead as e:
        check(len(e.partial) > 0 and e.expected > 0, "nothing partial")
    else:
        raise AssertionError("a complete body arrived")


@test
def misbehave_notxml_answers_200_with_a_body_that_is_not_xml():
    reset()
    st, _, data = post(close_body(SEED_NO, SEED_SUBS), "/notxml")
    eq(st, 200, "status")
    try:
        ref.parse_response(data)
    except ref.XmlError:
        pass
    else:
        raise AssertionError("parsed as XML: %r" % data)
    eq(order_state(SEED_NO), "open", "state")


@test
def misbehave_badsign_answers_with_a_wrong_signature():
    reset()
    f = answer(SEED_NO, SEED_SUBS, prefix="/badsign")
    eq(f.get("return_code"), "SUCCESS", "return_code")
    check(re.fullmatch(r"[0-9A-F]{64}", f.get("sign", "")), "sign not 64 hex")
    check(not ref.verify(f, KEY), "badsign verifies")


@test
def misbehave_nosign_and_emptysign_answer_without_a_signature():
    reset()
    f = answer(SEED_NO, SEED_SUBS, prefix="/nosign")
    eq(f.get("return_code"), "SUCCESS", "return_code")
    check("sign" not in f, "sign present")
    reset()
    f = answer(SEED_NO, SEED_SUBS, prefix="/emptysign")
    eq(f.get("sign"), "", "sign")


@test
def misbehave_md5sign_answers_signed_with_v2_md5():
    reset()
    f = answer(SEED_NO, SEED_SUBS, prefix="/md5sign")
    eq(f.get("return_code"), "SUCCESS", "return_code")
    eq(len(f.get("sign", "")), 32, "sign length")
    eq(f["sign"], ref.sign_md5(f, KEY), "md5 sign")
    check(not ref.verify(f, KEY), "md5sign verifies as HMAC")


@test
def misbehave_extrafield_adds_a_signed_unknown_field():
    reset()
    f = answer(SEED_NO, SEED_SUBS, prefix="/extrafield")
    expect_business(f, "SUCCESS")
    check("emulator_extra" in f, "no extra field")
    g = {k: v for k, v in f.items() if k != "emulator_extra"}
    check(not ref.verify(g, KEY), "the extra field is not covered by the signature")


@test
def misbehave_drop_closes_without_an_answer():
    reset()
    try:
        post(close_body(SEED_NO, SEED_SUBS), "/drop")
    except (http.client.RemoteDisconnected, ConnectionResetError, http.client.BadStatusLine):
        pass
    else:
        raise AssertionError("an answer arrived")
    # processed before the answer was lost: a retry says ORDERCLOSED
    expect_business(answer(SEED_NO, SEED_SUBS), "ORDERCLOSED")


@test
def misbehave_chunked_sends_a_chunked_answer():
    reset()
    body = close_body(SEED_NO, SEED_SUBS)
    raw = raw_exchange(EMU.http, b"POST /chunked" + EP.encode() + b" HTTP/1.1\r\nHost: x\r\n"
                       b"Connection: close\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
    head, _, rest = raw.partition(b"\r\n\r\n")
    check(b"transfer-encoding: chunked" in head.lower(), "no chunked header: %r" % head)
    check(b"content-length" not in head.lower(), "Content-Length with chunked")
    data, n = b"", 0
    while True:
        size_line, _, rest = rest.partition(b"\r\n")
        size = int(size_line, 16)
        if size == 0:
            break
        data, rest, n = data + rest[:size], rest[size + 2:], n + 1
    check(n >= 2, "only %d chunk(s)" % n)
    expect_business(ref.parse_response(data), "SUCCESS")


@test
def misbehaviours_combine_delay_and_chunked():
    reset()
    t = time.monotonic()
    expect_business(answer(SEED_NO, SEED_SUBS, prefix="/delay-100/chunked/extrafield"), "SUCCESS")
    check(time.monotonic() - t >= 0.1, "not delayed")


# ------------------------------------- what the live service sends (issue 11) --

@test
def close_paying_order_answers_userpaying_and_stays_paying():
    reset()
    subs = [("1900009001", "OD_PAYING_0001")]
    f = answer("DEMO_PAYING_0001", subs)
    expect_business(f, "USERPAYING")
    eq(f.get("err_code_des"), "需要用户输入支付密码", "err_code_des")
    eq(order_state("DEMO_PAYING_0001"), "paying", "state")
    expect_business(answer("DEMO_PAYING_0001", subs), "USERPAYING")


@test
def close_v2_still_takes_at_most_ten_sub_orders():
    reset()
    ten = [("19000090%02d" % i, "X%d" % i) for i in range(10)]
    # ten pass the count check (then do not match the order): PARAM_ERROR
    # "not the stored ones"; eleven fail the count check itself
    f = answer("DEMO_MULTI_0001", ten)
    expect_business(f, "PARAM_ERROR")
    check("sub_order_list" not in f["err_code_des"], "ten refused as a list: %r" % f["err_code_des"])
    f = answer("DEMO_MULTI_0001", ten + [("1900009010", "X10")])
    expect_business(f, "PARAM_ERROR")
    check("11 sub-orders" in f["err_code_des"], "eleven: %r" % f["err_code_des"])


def expect_noecho_systemerror(f):
    eq(f.get("return_code"), "SUCCESS", "return_code")
    check(ref.verify(f, KEY), "answer signature does not verify")
    eq((f.get("result_code"), f.get("err_code")), ("FAIL", "SYSTEMERROR"), "result_code, err_code")
    check("combine_appid" not in f and "combine_mch_id" not in f, "echo fields present: %r" % sorted(f))
    eq(sorted(f), ["err_code", "err_code_des", "nonce_str", "result_code", "return_code",
                   "return_msg", "sign"], "fields")


@test
def misbehave_systemerror_noecho_answers_signed_systemerror_without_echo_fields():
    reset()
    expect_noecho_systemerror(answer(SEED_NO, SEED_SUBS, prefix="/systemerror-noecho"))
    eq(order_state(SEED_NO), "open", "state")
    # a bad request still gets its own answer
    expect_return_fail(answer(SEED_NO, SEED_SUBS, prefix="/systemerror-noecho", key="x" * 32), "签名错误")


@test
def misbehave_systemerror_noecho_n_fails_n_times_then_closes():
    reset()
    for _ in range(2):
        expect_noecho_systemerror(answer(SEED_NO, SEED_SUBS, prefix="/systemerror-noecho-2"))
    expect_business(answer(SEED_NO, SEED_SUBS, prefix="/systemerror-noecho-2"), "SUCCESS")
    expect_business(answer(SEED_NO, SEED_SUBS, prefix="/systemerror-noecho-2"), "ORDERCLOSED")


@test
def misbehave_ambiguous_signs_an_err_code_holding_amp_and_equals():
    reset()
    f = answer(SEED_NO, SEED_SUBS, prefix="/ambiguous")
    check(ref.verify(f, KEY), "not correctly signed")
    eq((f.get("result_code"), f.get("err_code")), ("FAIL", "ORDERCLOSED&err_code_a=b"), "result_code, err_code")
    check(not ref.decisive_values_ok(f), "decisive_values_ok accepted it")
    # the same string to sign as two fields err_code=ORDERCLOSED and err_code_a=b
    two = dict((k, v) for k, v in f.items() if k != "err_code")
    two.update(err_code="ORDERCLOSED", err_code_a="b")
    eq(ref.sign_string(two, KEY), ref.sign_string(f, KEY), "string to sign")
    check(ref.verify(dict(two, sign=f["sign"]), KEY), "the re-cut fields do not verify")
    eq(order_state(SEED_NO), "open", "state (nothing was closed)")


@test
def misbehave_ambiguous_resplit_recuts_a_genuine_answer_keeping_its_signature():
    reset()
    # ORDERPAID: err_code absorbs err_code_des, nonce_str and result_code
    f = answer("DEMO_PAID_0001", [("1900009001", "OD_PAID_0001")], prefix="/ambiguous-resplit")
    check(ref.verify(f, KEY), "the re-cut answer does not verify")
    check("result_code" not in f and "nonce_str" not in f and "err_code_des" not in f,
          "fields not absorbed: %r" % sorted(f))
    check(re.fullmatch(r"ORDERPAID&err_code_des=订单已支付&nonce_str=[0-9A-Za-z]{32}&result_code=FAIL",
                       f.get("err_code", "")), "err_code %r" % f.get("err_code"))
    check(not ref.decisive_values_ok(f), "decisive_values_ok accepted it")
    # SUCCESS (no err_code): combine_mch_id absorbs nonce_str and result_code; the order closes
    f = answer(SEED_NO, SEED_SUBS, prefix="/ambiguous-resplit")
    check(ref.verify(f, KEY), "the re-cut SUCCESS answer does not verify")
    check(re.fullmatch(r"1900000109&nonce_str=[0-9A-Za-z]{32}&result_code=SUCCESS",
                       f.get("combine_mch_id", "")), "combine_mch_id %r" % f.get("combine_mch_id"))
    check("result_code" not in f, "result_code still present")
    eq(order_state(SEED_NO), "closed", "state")


# ------------------------------------------------------ HTTP, control, TLS --

@test
def http_keep_alive_expect_continue_and_chunked_request_body():
    reset()
    c = http.client.HTTPConnection("127.0.0.1", EMU.http, timeout=5)
    try:
        for no in ("DEMO_NO_SUCH_A", "DEMO_NO_SUCH_B"):
            c.request("POST", EP, body=close_body(no, [("1", "2")]))
            expect_business(ref.parse_response(c.getresponse().read()), "ORDERNOTEXIST")
        # chunked request body (http.client chunks an iterable)
        body = close_body(SEED_NO, SEED_SUBS)
        c.request("POST", EP, body=iter([body[:10], body[10:]]), encode_chunked=True,
                  headers={"Transfer-Encoding": "chunked"})
        expect_business(ref.parse_response(c.getresponse().read()), "SUCCESS")
    finally:
        c.close()
    s = stats()
    eq(s["connections"], 1, "connections")
    eq(s["requests"], 3, "requests")
    # Expect: 100-continue (what libcurl sends for larger bodies)
    body = close_body("DEMO_NO_SUCH_C", [("1", "2")])
    sock = socket.create_connection(("127.0.0.1", EMU.http), timeout=5)
    try:
        sock.sendall(b"POST " + EP.encode() + b" HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
                     b"Connection: close\r\nContent-Length: %d\r\n\r\n" % len(body))
        first = sock.recv(4096)
        check(first.startswith(b"HTTP/1.1 100 Continue\r\n\r\n"), "no 100 Continue: %r" % first[:40])
        sock.sendall(body)
        out = first[len(b"HTTP/1.1 100 Continue\r\n\r\n"):]
        while True:
            b = sock.recv(65536)
            if not b:
                break
            out += b
    finally:
        sock.close()
    check(out.startswith(b"HTTP/1.1 200 "), "status: %r" % out[:30])
    expect_business(ref.parse_response(out.partition(b"\r\n\r\n")[2]), "ORDERNOTEXIST")


@test
def stats_count_requests_connections_and_exact_bytes():
    reset()
    s = stats()
    eq((s["requests"], s["connections"], s["bytes"], s["by_path"]), (0, 0, 0, {}), "after reset")
    body = close_body(SEED_NO, SEED_SUBS)
    req = (b"POST /systemerror" + EP.encode() + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
           b"Content-Length: %d\r\n\r\n" % len(body) + body)
    raw_exchange(EMU.http, req)
    st, _, _ = post(close_body(SEED_NO, SEED_SUBS))
    s = stats()
    eq(s["requests"], 2, "requests")
    eq(s["connections"], 2, "connections")
    eq(s["by_path"], {"/systemerror" + EP: 1, EP: 1}, "by_path")
    eq(s["connection_log"][0]["bytes"], len(req), "bytes of the raw connection")
    check(s["bytes"] > len(req), "total bytes %d" % s["bytes"])
    eq(s["by_outcome"], {"SYSTEMERROR": 1, "SUCCESS": 1}, "by_outcome")
    # a silent connection counts, with 0 bytes
    socket.create_connection(("127.0.0.1", EMU.http)).close()
    s = stats_when(lambda s: s["connections"] >= 3)
    eq(s["connections"], 3, "connections after a silent connect")
    eq(s["connection_log"][-1]["bytes"], 0, "silent bytes")


@test
def reset_restores_state_and_counters_and_last_shows_the_request():
    reset()
    expect_business(answer(SEED_NO, SEED_SUBS), "SUCCESS")
    post(close_body(SEED_NO, SEED_SUBS), headers={"User-Agent": "wxpay-test/1.0"})
    st, _, data = request("GET", "/_last")
    last = json.loads(data)
    eq(last["method"], "POST", "last method")
    check(["User-Agent", "wxpay-test/1.0"] in last["headers"], "headers %r" % last["headers"])
    check(last["body"].startswith("<xml>"), "last body")
    eq(order_state(SEED_NO), "closed", "state")
    reset()
    eq(order_state(SEED_NO), "open", "state after reset")
    eq(stats()["requests"], 0, "requests after reset")
    st, _, _ = request("GET", "/_reset")
    eq(st, 405, "GET /_reset")


@test
def orders_can_be_added_at_run_time():
    reset()
    o = {"combine_out_trade_no": "RUNTIME_0001", "combine_mch_id": MCH, "state": "open", "age": 120,
         "sub_orders": [{"mchid": "1900009001", "out_trade_no": "OD_RT_0001"}]}
    st, _, data = request("POST", "/_orders", json.dumps({"orders": [o]}).encode(),
                          headers={"Content-Type": "application/json"})
    eq(st, 200, "status %r" % data)
    expect_business(answer("RUNTIME_0001", [("1900009001", "OD_RT_0001")]), "SUCCESS")
    st, _, _ = request("POST", "/_orders", b'{"orders":[{"state":"open"}]}')
    eq(st, 400, "a bad order")
    reset()
    eq(order_state("RUNTIME_0001"), None, "after reset")


@test
def concurrent_requests_are_served_in_parallel():
    reset()
    results = []

    def one(i):
        try:
            f = answer("DEMO_NO_SUCH_P%d" % i, [("1", "2")], prefix="/delay-400")
            results.append(f.get("err_code"))
        except Exception as e:  # noqa
            results.append(repr(e))
    t = time.monotonic()
    th = [threading.Thread(target=one, args=(i,)) for i in range(8)]
    for x in th:
        x.start()
    for x in th:
        x.join()
    el = time.monotonic() - t
    eq(results, ["ORDERNOTEXIST"] * 8, "results")
    check(el < 1.6, "8 requests delayed 400 ms took %.2f s" % el)


def tls_ctx(ca):
    if not CERTS:
        raise Skip("no test certificates (openssl missing?)")
    return ssl.create_default_context(cafile=os.path.join(CERTS, ca))


@test
def https_with_test_ca_closes_by_name_and_by_ip():
    ctx = tls_ctx("ca.pem")
    reset()
    for host, no in (("localhost", SEED_NO), ("127.0.0.1", "DEMO_OPEN_0001")):
        subs = SEED_SUBS if no == SEED_NO else [("1900009001", "OD_OPEN_0001")]
        st, _, data = request("POST", EP, close_body(no, subs), port=EMU.ports["https"], tls=ctx, host=host)
        eq(st, 200, "status")
        expect_business(ref.parse_response(data), "SUCCESS")
    s = stats()
    eq(s["by_listener"]["https"]["requests"], 2, "https requests")


@test
def https_unknown_ca_is_refused_before_a_request_byte():
    ctx = tls_ctx("other-ca.pem")
    reset()
    try:
        request("POST", EP, close_body(SEED_NO, SEED_SUBS), port=EMU.ports["https"], tls=ctx, host="localhost")
    except ssl.SSLCertVerificationError:
        pass
    else:
        raise AssertionError("the client accepted an unknown CA")
    s = stats_when(lambda s: s["tls_handshake_failures"] >= 1)
    eq((s["requests"], s["bytes"], s["connections"], s["tls_handshake_failures"]), (0, 0, 1, 1),
       "requests, bytes, connections, tls failures")
    eq(s["connection_log"][0]["tls"], "failed", "tls")


@test
def https_wrong_host_certificate_is_refused_before_a_request_byte():
    ctx = tls_ctx("ca.pem")
    if EMU.ports.get("https_wrong_host") is None:
        raise AssertionError("no https_wrong_host port")
    reset()
    try:
        request("POST", EP, close_body(SEED_NO, SEED_SUBS), port=EMU.ports["https_wrong_host"],
                tls=ctx, host="localhost")
    except ssl.SSLCertVerificationError as e:
        check("match" in str(e).lower() or "hostname" in str(e).lower(), str(e))
    else:
        raise AssertionError("the client accepted a certificate for wrong.invalid")
    s = stats_when(lambda s: s["tls_handshake_failures"] >= 1)
    eq((s["requests"], s["bytes"]), (0, 0), "requests, bytes")
    eq(s["by_listener"]["https_wrong_host"]["connections"], 1, "connections")
    # the same CA signed it: without the name check it is served normally
    loose = tls_ctx("ca.pem")
    loose.check_hostname = False
    st, _, data = request("POST", EP, close_body(SEED_NO, SEED_SUBS), port=EMU.ports["https_wrong_host"],
                          tls=loose, host="localhost")
    expect_business(ref.parse_response(data), "SUCCESS")


# ---------------------------------------------------- flags and lifecycle --

@test
def flags_seed_state_and_set_too_early_code_and_interval():
    tmp = scratch_dir()
    pf = os.path.join(tmp, "ports.json")
    e = Emu("--no-state", "--merchant", "1900000199:wx1990000000000199:flagkeyflagkeyflagkeyflagkey0199",
            "--order", "FLAG_0001:1900000199:open:0:1900009001/OD_FLAG_A,1900009002/OD_FLAG_B",
            "--too-early-code", "ORDER_TOO_EARLY", "--min-close-age", "1", "--port-file", pf)
    try:
        with open(pf) as fh:
            eq(json.loads(fh.read()), e.ports, "port file")
        eq(e.ports["https"], None, "https without --certs")
        k = "flagkeyflagkeyflagkeyflagkey0199"
        subs = [("1900009002", "OD_FLAG_B"), ("1900009001", "OD_FLAG_A")]
        kw = dict(appid="wx1990000000000199", mch="1900000199")
        st, _, data = post(close_body("FLAG_0001", subs, key=k, **kw), port=e.http)
        f = ref.parse_response(data)
        expect_business(f, "ORDER_TOO_EARLY", key=k, **kw)
        check("too early" in f["err_code_des"], f["err_code_des"])
        time.sleep(1.05)
        st, _, data = post(close_body("FLAG_0001", subs, key=k, **kw), port=e.http)
        expect_business(ref.parse_response(data), "SUCCESS", key=k, **kw)
        # the default merchant is not there
        st, _, data = post(close_body(SEED_NO, SEED_SUBS), port=e.http)
        expect_return_fail(ref.parse_response(data), "NOAUTH")
    finally:
        rc = e.stop()
    eq(rc, 0, "exit code after SIGTERM")


@test
def state_file_is_loaded_and_bad_state_is_rejected():
    tmp = scratch_dir()
    good = os.path.join(tmp, "s.json")
    with open(good, "w") as fh:
        json.dump({"merchants": [{"combine_mch_id": MCH, "appid": APPID, "key": KEY}],
                   "orders": [{"combine_out_trade_no": "FILE_0001", "combine_mch_id": MCH, "state": "paid",
                               "age": 100, "sub_orders": [{"mchid": "1", "out_trade_no": "2"}]}]}, fh)
    e = Emu("--state", good)
    try:
        st, _, data = post(close_body("FILE_0001", [("1", "2")]), port=e.http)
        expect_business(ref.parse_response(data), "ORDERPAID")
    finally:
        rc = e.stop(signal.SIGINT)
    eq(rc, 0, "exit code after SIGINT")
    bad = os.path.join(tmp, "bad.json")
    with open(bad, "w") as fh:
        fh.write('{"orders":[{"combine_out_trade_no":"X","combine_mch_id":"1","state":"lost","sub_orders":[]}]}')
    p = subprocess.run([sys.executable, EMULATOR, "--state", bad], capture_output=True, timeout=10)
    eq(p.returncode, 2, "exit code for a bad state")
    check(b"state" in p.stderr, "stderr %r" % p.stderr)


@test
def sigterm_stops_promptly_even_with_a_request_in_flight():
    e = Emu()
    t = threading.Thread(target=lambda: _swallow(lambda: post(close_body(SEED_NO, SEED_SUBS), "/delay-5000",
                                                              port=e.http, timeout=8)))
    t.start()
    time.sleep(0.2)
    t0 = time.monotonic()
    rc = e.stop()
    eq(rc, 0, "exit code")
    check(time.monotonic() - t0 < 2.0, "took %.2f s" % (time.monotonic() - t0))
    t.join(10)


def _swallow(fn):
    try:
        fn()
    except Exception:
        pass


# ------------------------------------------------------------------ main --

# ------------------------------------------------- 合单查单 (the v2 query) --
# wechatpay-im/website openapi/v2/pay/querycombinedorder.md: request fields,
# answer fields and sub_order_list's members (a JSON string).
QEP = "/pay/querycombinedorder"
TXID_RE = re.compile(r"4200000[0-9]{21}")


def query(no, prefix="", key=KEY, appid=APPID, mch=MCH, body=None):
    """POST a query; the parsed 200 answer."""
    st, _, data = request("POST", prefix + QEP, body or ref.query_body(appid, mch, no, key))
    eq(st, 200, "HTTP status")
    return ref.parse_response(data)


def query_order(no, prefix="", key=KEY, appid=APPID, mch=MCH):
    """A query read as a careful client reads it (ref.read_query_answer)."""
    return ref.read_query_answer(query(no, prefix, key, appid, mch), key, appid, mch, no)


def add_order(no, state="open", age=3600, subs=None, **extra):
    o = {"combine_out_trade_no": no, "combine_mch_id": MCH, "state": state, "age": age,
         "sub_orders": subs or [{"mchid": "1900009001", "out_trade_no": no + "_A"}]}
    o.update(extra)
    st, _, data = request("POST", "/_orders", json.dumps(o).encode(),
                          headers={"Content-Type": "application/json"})
    eq(st, 200, "/_orders status (%r)" % data)


def close_code(no, subs):
    f = answer(no, subs)
    check(ref.verify(f, KEY), "close answer does not verify")
    return f.get("err_code") or f.get("result_code")


@test
def ref_query_body_known_answer_byte_for_byte():
    # the documented example's fields, then nonce_str and sign; the string
    # to sign written out by hand (签名算法: names in byte order, &key=KEY)
    s = ("combine_appid=wx8888888888888888&combine_mch_id=1900000109"
         "&combine_out_trade_no=1217752501201407033233368018"
         "&nonce_str=5K8264ILTKCH16CQ2502SI8ZNMTM67VS&sign_type=HMAC-SHA256&key=" + KEY)
    sig = hmac.new(KEY.encode(), s.encode(), hashlib.sha256).hexdigest().upper()
    eq(ref.query_body(APPID, MCH, SEED_NO, KEY, "5K8264ILTKCH16CQ2502SI8ZNMTM67VS"),
       ("<xml><combine_appid>wx8888888888888888</combine_appid><combine_mch_id>1900000109"
        "</combine_mch_id><sign_type>HMAC-SHA256</sign_type><combine_out_trade_no>"
        "1217752501201407033233368018</combine_out_trade_no><nonce_str>"
        "5K8264ILTKCH16CQ2502SI8ZNMTM67VS</nonce_str><sign>%s</sign></xml>" % sig).encode())


@test
def ref_sub_order_list_reader_is_strict_and_skips_nothing_it_needs():
    good = ('{"order_num":1,"order_list":[{"mchid":"1","trade_type":"JSAPI","attach":"",'
            '"amount":{"total_amount":100,"currency":"CNY"},"out_trade_no":"A",'
            '"description":"d","new_member":{"x":[1,2]}}]}')
    eq(ref.parse_sub_order_list(good)[0]["amount"]["total_amount"], 100, "total_amount")
    for bad, why in ((good.replace('"total_amount":100', '"total_amount":1,"total_amount":100'),
                      "duplicate"),
                     (good[:len(good) // 2], "not JSON"),
                     (good.replace('"order_num":1', '"order_num":2'), "order_num"),
                     (good.replace('"out_trade_no":"A",', ''), "out_trade_no"),
                     (good.replace('"total_amount":100', '"total_amount":"100"'), "total_amount")):
        try:
            ref.parse_sub_order_list(bad)
        except ref.QueryError as e:
            check(why in str(e), "%r: refused for %r" % (why, str(e)))
        else:
            raise AssertionError("accepted a sub_order_list with a %s" % why)


@test
def query_paid_order_lists_each_sub_order_with_transaction_id_and_amount():
    f = query("DEMO_QUERY_PAID_0001")
    o = ref.read_query_answer(f, KEY, APPID, MCH, "DEMO_QUERY_PAID_0001")
    eq(o["trade_state"], "SUCCESS", "trade_state")
    check(o["trade_state_desc"], "trade_state_desc empty")
    eq(o["combine_openid"], "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o", "combine_openid")
    got = [(d["mchid"], d["out_trade_no"], d["transaction_id"], d["amount"]["total_amount"],
            d["amount"]["currency"], d["trade_type"]) for d in o["sub_orders"]]
    eq(got, [("1900009001", "OD_QUERY_PAID_0001_A", "4200000001202612050000000001", 1000, "CNY", "JSAPI"),
             ("1900009002", "OD_QUERY_PAID_0001_B", "4200000002202612050000000002", 2550, "CNY", "NATIVE")],
       "sub-orders")
    a = o["sub_orders"][0]
    eq((a["attach"], a["goods_tag"]), ("深圳分店", "WXG"), "attach, goods_tag")
    eq(a["promotion_detail"]["goods_detail"][0]["price"], 1000, "promotion_detail.goods_detail[0].price")
    # the signature covers every field: without any one of them it fails
    for k in f:
        if k != "sign":
            check(not ref.verify({n: v for n, v in f.items() if n != k}, KEY),
                  "the sign does not cover %s" % k)


@test
def query_demo_paid_order_has_a_stable_28_digit_transaction_id():
    a, b = query_order("DEMO_PAID_0001"), query_order("DEMO_PAID_0001")
    eq(a["trade_state"], "SUCCESS", "trade_state")
    sub = a["sub_orders"][0]
    eq((sub["out_trade_no"], sub["amount"]["total_amount"]), ("OD_PAID_0001", 100), "sub-order, default amount")
    check(TXID_RE.fullmatch(sub["transaction_id"]), "transaction_id %r" % sub["transaction_id"])
    eq(b["sub_orders"][0]["transaction_id"], sub["transaction_id"], "transaction_id of a second query")


@test
def query_open_order_is_notpay_then_closed_after_a_close():
    add_order("Q_OPEN_0001")
    o = query_order("Q_OPEN_0001")
    eq(o["trade_state"], "NOTPAY", "trade_state")
    check("transaction_id" not in o["sub_orders"][0], "an unpaid sub-order has a transaction_id")
    eq(o["combine_openid"], "", "combine_openid of an unpaid order")
    eq(close_code("Q_OPEN_0001", [("1900009001", "Q_OPEN_0001_A")]), "SUCCESS", "close")
    o = query_order("Q_OPEN_0001")
    eq(o["trade_state"], "CLOSED", "trade_state after the close")
    check("transaction_id" not in o["sub_orders"][0], "a closed sub-order has a transaction_id")


@test
def query_closed_order_is_closed():
    eq(query_order("DEMO_CLOSED_0001")["trade_state"], "CLOSED", "trade_state")


@test
def query_refunded_order_is_refund_and_its_close_answers_orderpaid():
    o = query_order("DEMO_REFUND_0001")
    eq(o["trade_state"], "REFUND", "trade_state")
    sub = o["sub_orders"][0]
    check(TXID_RE.fullmatch(sub.get("transaction_id", "")), "transaction_id %r" % sub.get("transaction_id"))
    eq(sub["amount"]["total_amount"], 500, "total_amount")
    eq(close_code("DEMO_REFUND_0001", [("1900009001", "OD_REFUND_0001")]), "ORDERPAID", "close")
    eq(query_order("DEMO_REFUND_0001")["trade_state"], "REFUND", "trade_state after the close")


@test
def query_paying_order_is_userpaying_every_time():
    for _ in range(2):
        o = query_order("DEMO_PAYING_0001")
        eq(o["trade_state"], "USERPAYING", "trade_state")
        check("transaction_id" not in o["sub_orders"][0], "a paying sub-order has a transaction_id")
        eq(o["combine_openid"], "", "combine_openid before payment")


@test
def query_paying_order_becomes_paid_after_paying_until():
    add_order("Q_PAYING_PAID_0001", "paying", paying_until=1.0, paying_then="paid")
    subs = [("1900009001", "Q_PAYING_PAID_0001_A")]
    eq(query_order("Q_PAYING_PAID_0001")["trade_state"], "USERPAYING", "trade_state before")
    eq(close_code("Q_PAYING_PAID_0001", subs), "USERPAYING", "close before")
    time.sleep(1.2)
    o = query_order("Q_PAYING_PAID_0001")
    eq(o["trade_state"], "SUCCESS", "trade_state after")
    check(TXID_RE.fullmatch(o["sub_orders"][0].get("transaction_id", "")), "no transaction_id once paid")
    eq(close_code("Q_PAYING_PAID_0001", subs), "ORDERPAID", "close after")


@test
def query_paying_order_becomes_open_after_paying_until_then_closes():
    add_order("Q_PAYING_OPEN_0001", "paying", paying_until=1.0, paying_then="open")
    subs = [("1900009001", "Q_PAYING_OPEN_0001_A")]
    eq(query_order("Q_PAYING_OPEN_0001")["trade_state"], "USERPAYING", "trade_state before")
    time.sleep(1.2)
    eq(query_order("Q_PAYING_OPEN_0001")["trade_state"], "NOTPAY", "trade_state after")
    eq(close_code("Q_PAYING_OPEN_0001", subs), "SUCCESS", "close after")
    eq(query_order("Q_PAYING_OPEN_0001")["trade_state"], "CLOSED", "trade_state after the close")


@test
def query_state_shows_paying_left_and_the_state_it_turns_into():
    add_order("Q_PAYING_LEFT_0001", "paying", paying_until=30, paying_then="open")
    st, _, data = request("GET", "/_state")
    o = [x for x in json.loads(data)["orders"] if x["combine_out_trade_no"] == "Q_PAYING_LEFT_0001"][0]
    check(25 < o["paying_left"] <= 30, "paying_left %r" % o.get("paying_left"))
    eq((o["state"], o["paying_then"]), ("paying", "open"), "state, paying_then")


@test
def query_orders_refuse_bad_paying_fields():
    for bad in ({"paying_until": 5}, {"state": "paying", "paying_until": -1},
                {"state": "paying", "paying_until": 5, "paying_then": "closed"},
                {"state": "paying", "paying_untill": 5}):
        o = {"combine_out_trade_no": "Q_BAD_0001", "combine_mch_id": MCH,
             "sub_orders": [{"mchid": "1900009001", "out_trade_no": "Q_BAD_0001_A"}]}
        o.update(bad)
        st, _, data = request("POST", "/_orders", json.dumps(o).encode(),
                              headers={"Content-Type": "application/json"})
        eq(st, 400, "/_orders with %r (%r)" % (bad, data))


@test
def query_unknown_or_other_merchants_order_answers_ordernotexist():
    for no in ("Q_NO_SUCH_0001", "DEMO_OTHER_MCH_0001"):
        f = query(no)
        expect_business(f, "ORDERNOTEXIST")
        eq(ref.read_query_answer(f, KEY, APPID, MCH, no)["err_code"], "ORDERNOTEXIST", "err_code")
    o = query_order("DEMO_OTHER_MCH_0001", key="demo0110demo0110demo0110demo0110",
                    appid="wx1100000000000110", mch="1900000110")
    eq(o["trade_state"], "NOTPAY", "with its own merchant's credentials")


@test
def query_request_is_verified_like_the_close():
    good = ref.query_body(APPID, MCH, "DEMO_PAID_0001", KEY)
    expect_return_fail(query("DEMO_PAID_0001", body=good.replace(b"<sign>", b"<sign>0")), "签名错误")
    expect_return_fail(query("DEMO_PAID_0001", body=ref.query_body(APPID, MCH, "DEMO_PAID_0001", "k" * 32)),
                       "签名错误")
    expect_return_fail(query("DEMO_PAID_0001", mch="1999999999"))
    expect_business(query("DEMO_PAID_0001", appid="wx0000000000000000"), "NOAUTH", appid="wx0000000000000000")
    expect_business(query("DEMO_NOAUTH_0001", key="demo0111demo0111demo0111demo0111",
                          appid="wx1110000000000111", mch="1900000111"),
                    "NOAUTH", key="demo0111demo0111demo0111demo0111",
                    appid="wx1110000000000111", mch="1900000111")
    md5 = ref.build_body([("combine_appid", APPID), ("combine_mch_id", MCH), ("sign_type", "MD5"),
                          ("combine_out_trade_no", "DEMO_PAID_0001")], KEY, ref.make_nonce())
    expect_return_fail(query("DEMO_PAID_0001", body=md5), "签名类型错误")
    missing = ref.build_body([("combine_appid", APPID), ("combine_mch_id", MCH), ("sign_type", ref.SIGN_TYPE)],
                             KEY, ref.make_nonce())
    expect_return_fail(query("DEMO_PAID_0001", body=missing), "缺少参数combine_out_trade_no")
    st, _, data = request("GET", QEP)
    expect_return_fail(ref.parse_response(data), "请使用post方法")


@test
def query_signature_misbehaviours_apply():
    f = query("DEMO_PAID_0001", "/nosign")
    check("sign" not in f and f.get("trade_state") == "SUCCESS", "/nosign: %r" % f)
    f = query("DEMO_PAID_0001", "/badsign")
    check("sign" in f and not ref.verify(f, KEY), "/badsign verifies")
    f = query("DEMO_PAID_0001", "/extrafield")
    eq(ref.read_query_answer(f, KEY, APPID, MCH, "DEMO_PAID_0001")["trade_state"], "SUCCESS", "/extrafield")
    check("emulator_extra" in f, "/extrafield: no extra field")
    f = query("DEMO_PAID_0001", "/md5sign")
    check(not ref.verify(f, KEY), "/md5sign verifies as HMAC")
    f = query("DEMO_PAID_0001", "/systemerror")
    expect_business(f, "SYSTEMERROR")
    f = query("DEMO_PAID_0001", "/systemerror-noecho")
    check(ref.verify(f, KEY) and f.get("err_code") == "SYSTEMERROR" and "combine_appid" not in f,
          "/systemerror-noecho: %r" % f)
    f = query("DEMO_PAID_0001", "/ambiguous-resplit")
    check(ref.verify(f, KEY) and "result_code" not in f, "/ambiguous-resplit: %r" % f)
    st, _, _ = request("POST", "/http500" + QEP, ref.query_body(APPID, MCH, "DEMO_PAID_0001", KEY))
    eq(st, 500, "/http500 status")


@test
def query_hostile_answers_verify_but_must_be_refused():
    for prefix, why in (("/dupmember", "duplicate"), ("/cutlist", "not JSON"), ("/badordernum", "order_num")):
        f = query("DEMO_QUERY_PAID_0001", prefix)
        check(ref.verify(f, KEY), "%s: the answer is not genuinely signed" % prefix)
        try:
            ref.read_query_answer(f, KEY, APPID, MCH, "DEMO_QUERY_PAID_0001")
        except ref.QueryError as e:
            check(why in str(e), "%s: refused for %r, want %r" % (prefix, str(e), why))
        else:
            raise AssertionError("%s: a careful client accepts it" % prefix)
    f = query("DEMO_QUERY_PAID_0001", "/dupmember")
    check('"total_amount":1,"total_amount":1000' in f["sub_order_list"], "/dupmember: %r" % f["sub_order_list"])


@test
def query_only_prefixes_are_404_on_the_close():
    for prefix in ("/dupmember", "/cutlist", "/badordernum"):
        st, _, _ = post(close_body(SEED_NO, SEED_SUBS), prefix)
        eq(st, 404, prefix + " on the close")


@test
def query_default_paying_then_orders_pay_or_open_after_8_s_from_reset():
    reset()
    for no in ("DEMO_PAYING_THEN_PAID_0001", "DEMO_PAYING_THEN_OPEN_0001"):
        eq(query_order(no)["trade_state"], "USERPAYING", no)
    st, _, data = request("GET", "/_state")
    left = {o["combine_out_trade_no"]: o.get("paying_left") for o in json.loads(data)["orders"]}
    for no in ("DEMO_PAYING_THEN_PAID_0001", "DEMO_PAYING_THEN_OPEN_0001"):
        check(left[no] is not None and 6 < left[no] <= 8, "%s paying_left %r" % (no, left[no]))


def main():
    global EMU
    t0 = time.monotonic()
    try:
        EMU = Emu(certs=CERTS)
    except Exception as e:
        report("FAIL", "emulator_starts", str(e))
        return 1
    try:
        for fn in TESTS:
            try:
                fn()
            except Skip as e:
                report("SKIP", fn.__name__, str(e))
            except AssertionError as e:
                report("FAIL", fn.__name__, str(e))
            except Exception as e:  # noqa
                tb = traceback.format_exc().strip().splitlines()
                report("FAIL", fn.__name__, "%s: %s (%s)" % (type(e).__name__, e, tb[-3].strip() if len(tb) > 2 else ""))
            else:
                report("PASS", fn.__name__)
    finally:
        rc = EMU.stop()
        if rc != 0:
            report("FAIL", "emulator_exits_cleanly_on_sigterm", "exit code %r" % rc)
        else:
            report("PASS", "emulator_exits_cleanly_on_sigterm")
    print("emulator suite: %d passed, %d failed, %d skipped in %.1f s"
          % (counts["PASS"], counts["FAIL"], counts["SKIP"], time.monotonic() - t0), flush=True)
    return 1 if counts["FAIL"] else 0


if __name__ == "__main__":
    sys.exit(main())
