#!/usr/bin/env python3
"""The emulator's APIv3 paths (合单关闭订单 and 合单查询订单, their sources in README.md), driven
over real HTTP(S) by an independent client (wxpay_v3_ref.py), and the APIv3
keys of mkcerts.sh.

    python3 tests/emulator/test_emulator_v3.py CERT_DIR

Prints one `PASS name` / `FAIL name: why` / `SKIP name: why` line per test
(tests/CONVENTIONS.md). CERT_DIR is made by mkcerts.sh; without it (no
openssl command) the suite is one SKIP line.

Back-ends: the main emulator uses python3-cryptography when importable,
the client too (else its pure-Python RSA); a second emulator forced to the
`openssl` command (WXPAY_EMU_CRYPTO=openssl) runs the tests that exercise
its RSA code again (names ending in __openssl); other tests run the client
on the openssl command, the emulator's fallback when cryptography cannot be
imported, and --crypto. Without python3-cryptography the emulator runs on
the openssl command throughout and nothing skips (just slower).
"""

import base64
import http.client
import json
import os
import re
import select
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True   # no __pycache__ in the source tree
sys.path.insert(0, HERE)
import wxpay_ref as ref  # noqa: E402  (v2 bodies, for the shared-state tests)
import wxpay_v3_ref as v3  # noqa: E402

EMULATOR = os.path.join(HERE, "emulator.py")
CERTS = sys.argv[1] if len(sys.argv) > 1 and sys.argv[1] else None

MCH = "1900000109"
APPID = "wx8888888888888888"
V2KEY = "192006250b4c09247ec02edce69f6a2d"
OPEN = ("V3_OPEN_0001", [("1900009001", "OD_V3_OPEN_0001")])
MULTI = ("V3_MULTI_0001", [("1900009001", "OD_V3_MULTI_0001_A"), ("1900009002", "OD_V3_MULTI_0001_B")])
SP_SUBS = [("1900000109", "OD_V3_SP_0001_A", "1900000201", "wx2010000000000201"),
           ("1900000109", "OD_V3_SP_0001_B", "1900000202")]
SP = ("V3_SP_0001", SP_SUBS)
PAID = ("V3_PAID_0001", [("1900009001", "OD_V3_PAID_0001")])
CLOSED = ("V3_CLOSED_0001", [("1900009001", "OD_V3_CLOSED_0001")])
YOUNG = ("V3_YOUNG_0001", [("1900009001", "OD_V3_YOUNG_0001")])
CHARS = ("V3_CHARS-*|@0001", [("1900009001", "OD_V3_CHARS-*|@0001")])
NOSUCH = ("V3_NO_SUCH_0001", [("1900009001", "OD_V3_NO_SUCH_0001")])
OTHER = ("V3_OTHER_MCH_0001", [("1900009001", "OD_V3_OTHER_0001")])
WECHATPAY_HEADERS = ("wechatpay-timestamp", "wechatpay-nonce", "wechatpay-signature", "wechatpay-serial")

# ------------------------------------------------------------- mini runner --

TESTS = []          # (function, also run against the openssl-back-end emulator)
counts = {"PASS": 0, "FAIL": 0, "SKIP": 0}


class Skip(Exception):
    pass


def test(fn=None, openssl_too=False):
    def reg(f):
        TESTS.append((f, openssl_too))
        return f
    return reg(fn) if fn is not None else reg


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


def cert(name):
    return os.path.join(CERTS, name)


def read_serial(name):
    with open(cert(name)) as fh:
        return fh.read().strip()


def have_cryptography():
    try:
        import cryptography  # noqa: F401
        return True
    except ImportError:
        return False


# ---------------------------------------------------------- emulator procs --

class Emu:
    """An emulator process. With wait=False it starts in the background and
    ready() waits for its port line later (the suite starts the extra
    emulators early so that their start-up overlaps the first tests)."""

    def __init__(self, *args, env=None, certs=True, wait=True):
        cmd = [sys.executable, EMULATOR, "--lifetime", "120"] + list(args)
        if certs:
            cmd += ["--certs", CERTS]
        full_env = dict(os.environ)
        full_env.pop("WXPAY_EMU_CRYPTO", None)
        full_env.update(env or {})
        self.p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=full_env)
        self.ports = None
        if wait:
            self.ready()

    def ready(self):
        if self.ports is not None:
            return self
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
        return self

    def stop(self):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
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


class Ctx:
    emu = None        # the emulator the tests talk to
    rsa = None        # the client's RSA back-end
    suffix = ""
    hide = None       # a PYTHONPATH directory whose cryptography.py fails to import
    early = {}        # processes started before the tests, by name


def hidden_env():
    return {"PYTHONPATH": Ctx.hide}


FLAGS_EMU_ARGS = (
    "--no-state", "--merchant", "1900000199:wx1990000000000199:flagkeyflagkeyflagkeyflagkey0199",
    "--order", "V3FLAG_0001:1900000199:open:30:1900000199/OD_A/1900000301/wx3010000000000301,"
               "1900000199/OD_B//wx3020000000000302",
    "--order", "V3FLAG_0002:1900000199:open:3600:1900000199/OD_C",
    "--v3-too-early", "500:SYSTEM_ERROR")


def start_early():
    """Starts what later tests need, all at once."""
    Ctx.hide = tempfile.mkdtemp(prefix="wxemu-nocrypto")
    with open(os.path.join(Ctx.hide, "cryptography.py"), "w") as fh:
        fh.write('raise ImportError("hidden by test_emulator_v3.py")\n')
    env = dict(os.environ, **hidden_env())
    env.pop("WXPAY_EMU_CRYPTO", None)
    Ctx.early.update({
        "nocerts": Emu(certs=False, wait=False),
        "fallback": Emu(*FLAGS_EMU_ARGS, env=hidden_env(), wait=False),
        "exit:--crypto cryptography without it": subprocess.Popen(
            [sys.executable, EMULATOR, "--certs", CERTS, "--crypto", "cryptography"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env),
        "exit:WXPAY_EMU_CRYPTO=cryptography without it": subprocess.Popen(
            [sys.executable, EMULATOR, "--certs", CERTS], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env=dict(env, WXPAY_EMU_CRYPTO="cryptography")),
        "exit:a bad --v3-too-early": subprocess.Popen(
            [sys.executable, EMULATOR, "--v3-too-early", "INVALID"], stdout=subprocess.PIPE,
            stderr=subprocess.PIPE),
        "mode:public-key": Emu("--v3-key-mode", "public-key", wait=False),
        "mode:certificate": Emu("--v3-key-mode", "certificate", wait=False),
    })


def stop_early():
    for p in Ctx.early.values():
        if isinstance(p, Emu):
            p.stop()
        elif p.poll() is None:
            p.kill()
            p.communicate()
    Ctx.early = {}
    if Ctx.hide:
        for f in os.listdir(Ctx.hide):
            os.unlink(os.path.join(Ctx.hide, f))
        os.rmdir(Ctx.hide)
        Ctx.hide = None


def early_emu(name, *args, **kw):
    e = Ctx.early.pop(name, None)
    return e.ready() if e is not None else Emu(*args, **kw)


class Resp:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers           # lower-case name -> value
        self.body = body

    def json(self):
        return json.loads(self.body.decode("utf-8"))


def http_call(method, path, body=b"", headers=None, port=None, tls=None, host="127.0.0.1",
              timeout=5, conn=None):
    c = conn
    if c is None:
        port = port or Ctx.emu.ports["http"]
        if tls is not None:
            c = http.client.HTTPSConnection(host, port, timeout=timeout, context=tls)
        else:
            c = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        c.putrequest(method, path, skip_accept_encoding=True)
        hs = list(headers.items()) if isinstance(headers, dict) else list(headers or [])
        for k, v in hs:
            c.putheader(k, v)
        if body is not None and not any(k.lower() == "content-length" for k, _ in hs):
            c.putheader("Content-Length", str(len(body)))
        c.endheaders(body if body else None)
        r = c.getresponse()
        data = r.read()
        return Resp(r.status, {k.lower(): v for k, v in r.getheaders()}, data)
    finally:
        if conn is None:
            c.close()


def close_v3(order, prefix="", appid=APPID, mch=MCH, body=None, path=None, query="",
             ctype="application/json", auth=None, timestamp=None, nonce=None, serial=None,
             key=None, sign_method="POST", sign_path=None, sign_body=None, sign_ts=None,
             method="POST", extra_headers=(), **kw):
    """One signed v3 close. Every part of the request and of what is signed
    can be overridden to make it wrong."""
    no, subs = order
    if body is None:
        body = v3.close_body(appid, subs)
    if path is None:
        path = v3.close_path(no, prefix) + query
    if auth is None:
        ts = str(int(time.time()) if timestamp is None else timestamp)
        nonce = nonce or v3.make_nonce()
        msg = v3.request_message(sign_method, path if sign_path is None else sign_path,
                                 ts if sign_ts is None else sign_ts, nonce,
                                 body if sign_body is None else sign_body)
        sig = base64.b64encode(Ctx.rsa.sign(key or cert("merchant.key"), msg)).decode("ascii")
        auth = v3.authorization_header(mch, nonce, ts, serial or read_serial("merchant.serial"), sig)
    hs = [("Accept", "application/json")]
    if ctype is not None:
        hs.append(("Content-Type", ctype))
    if auth is not False:
        for a in (auth if isinstance(auth, list) else [auth]):
            hs.append(("Authorization", a))
    hs += list(extra_headers)
    return http_call(method, path, body, hs, **kw)


def platform_keys():
    return {read_serial("platform.serial"): cert("platform_pub.pem")}


def pub_key_id():
    return read_serial("platform_pubkey.id")


def pubkey_keys():
    """What a client holding only the WeChat Pay public key has."""
    return {pub_key_id(): cert("platform_pubkey_pub.pem")}


def expect(r, status, code=None, signed=True, what="", signer="certificate"):
    """Checks an answer: status, Request-ID, a good signature by the
    platform certificate's key (signer="public-key": by the WeChat Pay
    public key, Wechatpay-Serial its PUB_KEY_ID_…), the 204 / JSON shape.
    Returns the JSON object (None for 204)."""
    pre = (what + ": ") if what else ""
    if r.status != status:
        raise AssertionError("%sstatus %d, want %d (body %r)" % (pre, r.status, status, r.body[:300]))
    check(re.fullmatch(r"[0-9a-f]{32}", r.headers.get("request-id", "")), pre + "no Request-ID")
    if signed:
        keys, serial = ((platform_keys(), read_serial("platform.serial")) if signer == "certificate"
                        else (pubkey_keys(), pub_key_id()))
        eq(r.headers.get("wechatpay-serial"), serial, pre + "Wechatpay-Serial")
        ok, why = v3.verify_answer(Ctx.rsa, r.headers, r.body, keys)
        check(ok, pre + "answer signature: " + why)
    if status == 204:
        eq(r.body, b"", pre + "204 body")
        check("content-length" not in r.headers and "content-type" not in r.headers,
              pre + "a 204 with Content-Length/Type: %r" % r.headers)
        return None
    check(r.headers.get("content-type", "").startswith("application/json"),
          pre + "Content-Type %r" % r.headers.get("content-type"))
    doc = r.json()
    check(isinstance(doc, dict), pre + "not an object")
    if code is not None:
        eq(doc.get("code"), code, pre + "code (message %r)" % doc.get("message"))
    check(isinstance(doc.get("message"), str) and doc["message"], pre + "no message")
    check(isinstance(doc.get("detail", {}), dict), pre + "detail not an object")
    return doc


def control(method, path, body=None):
    r = http_call(method, path, body or b"", [("Content-Type", "application/json")])
    eq(r.status, 200, "%s %s" % (method, path))
    return r.json()


def reset():
    control("POST", "/_reset")


def stats():
    return control("GET", "/_stats")


def state_of(no):
    for o in control("GET", "/_state")["orders"]:
        if o["combine_out_trade_no"] == no:
            return o["state"]
    return None


def v2_close(no, subs):
    body = ref.build_body([("combine_appid", APPID), ("combine_mch_id", MCH), ("sign_type", ref.SIGN_TYPE),
                           ("combine_out_trade_no", no), ("sub_order_list", ref.sub_order_list_json(subs))],
                          V2KEY, ref.make_nonce())
    r = http_call("POST", "/pay/closecombinedorder", body, [("Content-Type", "text/xml")])
    eq(r.status, 200, "v2 status")
    f = ref.parse_response(r.body)
    check(ref.verify(f, V2KEY), "v2 answer does not verify")
    return f.get("err_code") or f.get("result_code")


# -------------------------------------------------------------- mkcerts --

@test
def mkcerts_makes_the_v3_identities():
    for name in ("merchant", "platform", "platform2"):
        for ext in (".key", ".pem", ".serial", "_pub.pem"):
            check(os.path.isfile(cert(name + ext)), "%s%s missing" % (name, ext))
        with open(cert(name + ".key")) as fh:
            eq(fh.readline().strip(), "-----BEGIN PRIVATE KEY-----", "%s.key PKCS#8 header" % name)
        with open(cert(name + "_pub.pem")) as fh:
            pub = fh.read()
        x = subprocess.run(["openssl", "x509", "-noout", "-serial", "-pubkey", "-in", cert(name + ".pem")],
                           capture_output=True, text=True).stdout
        k = subprocess.run(["openssl", "pkey", "-in", cert(name + ".key"), "-pubout", "-text_pub"],
                           capture_output=True, text=True).stdout
        serial_line = x.splitlines()[0] if x else ""
        eq(read_serial(name + ".serial"), serial_line[len("serial="):], "%s.serial" % name)
        check(re.fullmatch(r"[0-9A-F]{40}", read_serial(name + ".serial")), "%s serial not 40 hex" % name)
        # the public key file and the certificate hold the key's public half
        check(pub.startswith("-----BEGIN PUBLIC KEY-----") and pub in x and pub in k,
              "%s: key, certificate and _pub.pem disagree" % name)
        check("(2048 bit)" in k, "%s is not RSA-2048" % name)
    serials = {read_serial(n + ".serial") for n in ("merchant", "platform", "platform2")}
    eq(len(serials), 3, "distinct serials")
    with open(cert("platform_pub.pem")) as a, open(cert("platform2_pub.pem")) as b:
        check(a.read() != b.read(), "platform2 is the same key as platform")


@test
def ref_v3_messages_and_header_follow_the_signature_pages():
    eq(v3.request_message("POST", "/v3/x?a=1", "1554208460", "593BEC0C930BF1AFEB40B4A08C8FB242", b'{"a":1}'),
       b'POST\n/v3/x?a=1\n1554208460\n593BEC0C930BF1AFEB40B4A08C8FB242\n{"a":1}\n')
    eq(v3.answer_message("1554209980", "c5ac7061fccab6bf3e254dcf98995b8c", b""),
       b"1554209980\nc5ac7061fccab6bf3e254dcf98995b8c\n\n")
    eq(v3.authorization_header("1900000109", "N", 1554208460, "ABC", "U0lH"),
       'WECHATPAY2-SHA256-RSA2048 mchid="1900000109",nonce_str="N",timestamp="1554208460",'
       'serial_no="ABC",signature="U0lH"')
    eq(v3.close_path("V3_CHARS-*|@0001"), "/v3/combine-transactions/out-trade-no/V3_CHARS-*%7C@0001/close")
    eq(v3.close_body(APPID, SP_SUBS[1:]),
       b'{"combine_appid":"wx8888888888888888","sub_orders":[{"mchid":"1900000109",'
       b'"out_trade_no":"OD_V3_SP_0001_B","sub_mchid":"1900000202"}]}')


@test
def ref_v3_rsa_backends_agree_with_each_other():
    """The client's RSA back-ends (pure Python, the openssl command and, when
    importable, python3-cryptography) make byte-identical signatures
    (PKCS#1 v1.5 is deterministic) and verify each other's."""
    backends = [v3.Rsa("python"), v3.Rsa("openssl")] + ([v3.Rsa("cryptography")] if have_cryptography() else [])
    msg = v3.request_message("POST", "/v3/p", "1", "n", "中文 body")
    sigs = {}
    for a in backends:
        sig = sigs[a.backend] = a.sign(cert("merchant.key"), msg)
        eq(len(sig), 256, "signature length (%s)" % a.backend)
        eq(sig, sigs["python"], "%s signature differs from the pure-Python one" % a.backend)
        for b in backends:
            what = "%s -> %s" % (a.backend, b.backend)
            check(b.verify(cert("merchant_pub.pem"), msg, sig), what)
            check(b.verify(cert("merchant.pem"), msg, sig), what + " (certificate)")
            check(not b.verify(cert("merchant_pub.pem"), msg + b"x", sig), what + ": tampered accepted")
            check(not b.verify(cert("platform_pub.pem"), msg, sig), what + ": wrong key accepted")


# ------------------------------------------------------------- outcomes --

@test(openssl_too=True)
def v3_close_open_order_answers_204_signed_by_the_platform():
    reset()
    nonce = v3.make_nonce()
    r = close_v3(OPEN, nonce=nonce)
    expect(r, 204)
    check(r.headers["wechatpay-nonce"] != nonce, "the answer reuses the request nonce")
    check(re.fullmatch(r"[0-9A-Za-z]{32}", r.headers["wechatpay-nonce"]), "nonce not 32 alnum")
    check(abs(int(r.headers["wechatpay-timestamp"]) - time.time()) < 10, "timestamp not now")
    eq(r.headers.get("wechatpay-signature-type"), v3.SCHEME, "Wechatpay-Signature-Type")
    # the platform certificate verifies it too; the other platform key does not
    ok, why = v3.verify_answer(Ctx.rsa, r.headers, r.body, {read_serial("platform.serial"): cert("platform.pem")})
    check(ok, "with platform.pem: " + why)
    ok, _ = v3.verify_answer(Ctx.rsa, r.headers, r.body, {read_serial("platform.serial"): cert("platform2_pub.pem")})
    check(not ok, "verifies with platform2's key")
    eq(state_of(OPEN[0]), "closed", "state")


@test(openssl_too=True)
def v3_repeat_close_answers_400_order_closed():
    reset()
    expect(close_v3(OPEN), 204)
    expect(close_v3(OPEN), 400, "ORDER_CLOSED")
    expect(close_v3(CLOSED), 400, "ORDER_CLOSED")


@test
def v3_paid_order_answers_400_order_paid_and_stays_paid():
    reset()
    expect(close_v3(PAID), 400, "ORDER_PAID")
    eq(state_of(PAID[0]), "paid", "state")


@test
def v3_unknown_or_other_merchants_order_answers_404_order_not_exist():
    reset()
    expect(close_v3(NOSUCH), 404, "ORDER_NOT_EXIST")
    expect(close_v3(OTHER), 404, "ORDER_NOT_EXIST")
    eq(state_of(OTHER[0]), "open", "state")
    # its owner closes it (one merchant key pair serves every mchid)
    expect(close_v3(OTHER, mch="1900000110", appid="wx1100000000000110"), 204)


@test
def v3_unknown_mchid_or_no_permission_answers_403_no_auth():
    reset()
    expect(close_v3(OPEN, mch="1999999999"), 403, "NO_AUTH")
    expect(close_v3(("DEMO_NOAUTH_0001", [("1900009001", "OD_NOAUTH_0001")]), mch="1900000111",
                    appid="wx1110000000000111"), 403, "NO_AUTH")
    eq(state_of(OPEN[0]), "open", "state")


@test
def v3_appid_not_of_the_merchant_answers_400_invalid_request():
    reset()
    doc = expect(close_v3(OPEN, appid="wx1100000000000110"), 400, "INVALID_REQUEST")
    eq(doc.get("detail", {}).get("field"), "combine_appid", "detail.field")
    eq(state_of(OPEN[0]), "open", "state")


@test
def v3_sub_orders_must_match_exactly_else_400_invalid_request():
    reset()
    no, subs = MULTI
    cases = {
        "subset (partial close)": subs[:1],
        "superset": subs + [("1900009003", "OD_V3_MULTI_0001_C")],
        "wrong mchid": [("1900009009", subs[0][1])] + subs[1:],
        "sub_mchid not in the order": [subs[0] + ("1900000201",)] + subs[1:],
    }
    sp_a, sp_b = SP_SUBS
    sp_cases = {
        "sub_appid missing": [sp_a[:3], sp_b],
        "sub_mchid missing": [sp_a, sp_b[:2]],
        "sub_mchid different": [sp_a, (sp_b[0], sp_b[1], "1900000299")],
        "sub_appid not in the order": [sp_a, sp_b + ("wx2020000000000202",)],
        "service provider subset": [sp_a],
    }
    for what, s in list(cases.items()) + [("SP " + k, v) for k, v in sp_cases.items()]:
        order = (no, s) if not what.startswith("SP ") else (SP[0], s)
        doc = expect(close_v3(order), 400, "INVALID_REQUEST", what=what)
        eq(doc.get("detail", {}).get("field"), "sub_orders", "%s: detail.field" % what)
    eq((state_of(MULTI[0]), state_of(SP[0])), ("open", "open"), "states")
    # any order of the sub-orders, and the service-provider fields when stored
    expect(close_v3((no, list(reversed(subs)))), 204)
    expect(close_v3((SP[0], list(reversed(SP_SUBS)))), 204)


@test
def v3_young_order_answers_400_invalid_request_too_early():
    reset()
    doc = expect(close_v3(YOUNG), 400, "INVALID_REQUEST")
    check("too early" in doc["message"], "message %r" % doc["message"])
    ra = doc.get("detail", {}).get("retry_after")
    check(isinstance(ra, int) and 55 <= ra <= 60, "detail.retry_after %r" % ra)
    eq(state_of(YOUNG[0]), "open", "state")


@test
def v3_order_numbers_with_special_characters_raw_or_percent_encoded():
    reset()
    path = v3.close_path(CHARS[0])
    check("%7C" in path, "| not encoded: %s" % path)
    expect(close_v3(CHARS), 204)
    reset()
    expect(close_v3(CHARS, path="/v3/combine-transactions/out-trade-no/V3_CHARS-*|@0001/close"), 204)
    reset()
    expect(close_v3(CHARS, path="/v3/combine-transactions/out-trade-no/%56%33_CHARS-*%7c@0001/close"), 204)


@test
def v3_bad_order_numbers_in_the_path_answer_400_param_error():
    reset()
    for raw in ("N" * 33, "V3_OPEN%200001", "V3%FF", "V3_OPEN.0001", "%"):
        doc = expect(close_v3((raw, OPEN[1]), path="/v3/combine-transactions/out-trade-no/%s/close" % raw),
                     400, "PARAM_ERROR", what=raw)
        eq(doc["detail"].get("location"), "path", "%s: detail.location" % raw)
    expect(close_v3(("N" * 32, OPEN[1])), 404, "ORDER_NOT_EXIST")


@test
def v3_and_v2_share_one_state():
    reset()
    expect(close_v3(("DEMO_OPEN_0001", [("1900009001", "OD_OPEN_0001")])), 204)
    eq(v2_close("DEMO_OPEN_0001", [("1900009001", "OD_OPEN_0001")]), "ORDERCLOSED", "v2 after v3")
    eq(v2_close(MULTI[0], MULTI[1]), "SUCCESS", "v2 close of a V3_ order")
    expect(close_v3(MULTI), 400, "ORDER_CLOSED")


# ------------------------------------------------------ request checks --

def auth_variants(path, body):
    """(what, Authorization value(s) or False) that must all be refused."""
    ts, nonce, serial = str(int(time.time())), v3.make_nonce(), read_serial("merchant.serial")
    sig = base64.b64encode(Ctx.rsa.sign(cert("merchant.key"), v3.request_message("POST", path, ts, nonce, body)))
    sig = sig.decode("ascii")
    items = {"mchid": MCH, "nonce_str": nonce, "timestamp": ts, "serial_no": serial, "signature": sig}
    keys = list(items)

    def hdr(its, sep=",", scheme=v3.SCHEME + " ", fmt='%s="%s"'):
        return scheme + sep.join(fmt % kv for kv in its)

    good = list(items.items())
    out = [("no Authorization", False), ("empty", ""),
           ("lower-case scheme", hdr(good, scheme=v3.SCHEME.lower() + " ")),
           ("two spaces after the scheme", hdr(good, scheme=v3.SCHEME + "  ")),
           ("no space after the scheme", hdr(good, scheme=v3.SCHEME)),
           ("no scheme", hdr(good, scheme="")),
           ("Bearer scheme", hdr(good, scheme="Bearer ")),
           ("another scheme version", hdr(good, scheme="WECHATPAY2-SHA256-RSA4096 ")),
           ("space after commas", hdr(good, sep=", ")),
           ("semicolons", hdr(good, sep=";")),
           ("trailing comma", hdr(good) + ","),
           ("leading comma", v3.SCHEME + " ," + hdr(good, scheme="")),
           ("unquoted values", hdr(good, fmt="%s=%s")),
           ("single quotes", hdr(good, fmt="%s='%s'")),
           ("spaces around =", hdr(good, fmt='%s = "%s"')),
           ("upper-case key", hdr([("MCHID", MCH)] + good[1:])),
           ("duplicate item", hdr(good + [("mchid", MCH)])),
           ("unknown sixth item", hdr(good + [("type", "x")])),
           ("two Authorization headers", [hdr(good), hdr(good)])]
    for k in keys:
        out.append(("without " + k, hdr([kv for kv in good if kv[0] != k])))
        out.append(("empty " + k, hdr([(a, "" if a == k else b) for a, b in good])))
    bad_values = [("timestamp", ts + "a"), ("timestamp", "-" + ts), ("timestamp", ts + ".5"),
                  ("timestamp", str(int(ts) - 310)), ("timestamp", str(int(ts) + 310)),
                  ("serial_no", read_serial("platform.serial")), ("serial_no", serial[:-1]),
                  ("serial_no", serial + "0"), ("serial_no", "XYZ"),
                  ("signature", "!!!not base64!!!"), ("signature", sig[:-4]),
                  ("signature", base64.b64encode(b"\0" * 256).decode()),
                  ("signature", sig[:10] + " " + sig[10:]),
                  ("nonce_str", nonce + "x")]
    for k, v in bad_values:
        out.append(("%s=%r" % (k, v[:24]), hdr([(a, v if a == k else b) for a, b in good])))
    return out


@test
def v3_malformed_or_wrong_authorization_answers_401_sign_error():
    reset()
    no, subs = OPEN
    path, body = v3.close_path(no), v3.close_body(APPID, subs)
    for what, auth in auth_variants(path, body):
        doc = expect(close_v3(OPEN, auth=auth), 401, "SIGN_ERROR", what=what)
        check(doc.get("detail", {}).get("issue"), "%s: no detail.issue" % what)
    eq(state_of(no), "open", "state")
    expect(close_v3(OPEN), 204, what="the right one")


@test
def v3_authorization_items_in_any_order_and_serial_in_any_case():
    reset()
    no, subs = NOSUCH
    path, body = v3.close_path(no), v3.close_body(APPID, subs)
    orders = [("signature", "serial_no", "timestamp", "nonce_str", "mchid"),
              ("timestamp", "mchid", "signature", "nonce_str", "serial_no")]
    for order in orders:
        ts, nonce = str(int(time.time())), v3.make_nonce()
        sig = base64.b64encode(Ctx.rsa.sign(cert("merchant.key"), v3.request_message("POST", path, ts, nonce, body)))
        auth = v3.authorization_header(MCH, nonce, ts, read_serial("merchant.serial"), sig.decode(), order)
        expect(close_v3(NOSUCH, auth=auth), 404, "ORDER_NOT_EXIST", what=",".join(order))
    expect(close_v3(NOSUCH, serial=read_serial("merchant.serial").lower()), 404, "ORDER_NOT_EXIST",
           what="lower-case serial")
    expect(close_v3(NOSUCH, nonce="n"), 404, "ORDER_NOT_EXIST", what="1-char nonce")


@test
def v3_timestamp_within_300_seconds_is_accepted():
    reset()
    now = int(time.time())
    for off in (-290, 290):
        expect(close_v3(NOSUCH, timestamp=now + off), 404, "ORDER_NOT_EXIST", what="%+d s" % off)
    for off in (-320, 320):
        doc = expect(close_v3(NOSUCH, timestamp=now + off), 401, "SIGN_ERROR", what="%+d s" % off)
        eq(doc["detail"].get("field"), "timestamp", "detail.field")


@test(openssl_too=True)
def v3_signature_must_cover_the_exact_request():
    reset()
    no, subs = OPEN
    path = v3.close_path(no)
    good_body = v3.close_body(APPID, subs)
    cases = {
        "the path without the query": dict(query="?x=1", sign_path=path),
        "a path without the prefix": dict(prefix="/delay-1", sign_path=path),
        "another body": dict(sign_body=good_body.replace(b"}]}", b'}] }')),
        "an empty body": dict(sign_body=b""),
        "GET instead of POST": dict(sign_method="GET"),
        "another timestamp": dict(sign_ts=str(int(time.time()) - 1)),
        "the merchant key of platform2": dict(key=cert("platform2.key")),
        "the platform key": dict(key=cert("platform.key")),
    }
    for what, kw in cases.items():
        doc = expect(close_v3(OPEN, **kw), 401, "SIGN_ERROR", what=what)
        eq(doc["detail"].get("field"), "signature", "%s: detail.field" % what)
    # no final newline in the signed message
    ts, nonce = str(int(time.time())), v3.make_nonce()
    msg = v3.request_message("POST", path, ts, nonce, good_body)[:-1]
    sig = base64.b64encode(Ctx.rsa.sign(cert("merchant.key"), msg)).decode()
    auth = v3.authorization_header(MCH, nonce, ts, read_serial("merchant.serial"), sig)
    expect(close_v3(OPEN, auth=auth), 401, "SIGN_ERROR", what="no final newline")
    eq(state_of(no), "open", "state")
    # a query string is fine when it is signed
    expect(close_v3(OPEN, query="?x=1&y=%7C"), 204, what="signed query")


@test
def v3_bad_content_type_or_body_answers_400_param_error():
    reset()
    for ct in (None, "text/xml", "application/jsonx", "application/x-www-form-urlencoded", "json"):
        doc = expect(close_v3(OPEN, ctype=ct), 400, "PARAM_ERROR", what="Content-Type %r" % ct)
        eq(doc["detail"].get("field"), "Content-Type", "detail.field")
    sub = '{"mchid":"1900009001","out_trade_no":"OD_V3_OPEN_0001"}'
    bodies = {
        "empty": b"",
        "not JSON": b"combine_appid=wx8888888888888888",
        "truncated": ('{"combine_appid":"%s","sub_orders":[%s' % (APPID, sub)).encode(),
        "an array": ('[{"combine_appid":"%s"}]' % APPID).encode(),
        "no combine_appid": ('{"sub_orders":[%s]}' % sub).encode(),
        "numeric combine_appid": ('{"combine_appid":8888,"sub_orders":[%s]}' % sub).encode(),
        "empty combine_appid": ('{"combine_appid":"","sub_orders":[%s]}' % sub).encode(),
        "33-byte combine_appid": ('{"combine_appid":"%s","sub_orders":[%s]}' % ("w" * 33, sub)).encode(),
        "no sub_orders": ('{"combine_appid":"%s"}' % APPID).encode(),
        "empty sub_orders": ('{"combine_appid":"%s","sub_orders":[]}' % APPID).encode(),
        "sub_orders an object": ('{"combine_appid":"%s","sub_orders":%s}' % (APPID, sub)).encode(),
        "sub-order a string": ('{"combine_appid":"%s","sub_orders":["x"]}' % APPID).encode(),
        "sub-order without mchid": ('{"combine_appid":"%s","sub_orders":[{"out_trade_no":"x"}]}' % APPID).encode(),
        "sub-order without out_trade_no": ('{"combine_appid":"%s","sub_orders":[{"mchid":"1"}]}' % APPID).encode(),
        "numeric mchid": ('{"combine_appid":"%s","sub_orders":[{"mchid":1900009001,"out_trade_no":"x"}]}'
                          % APPID).encode(),
        "null sub_mchid": ('{"combine_appid":"%s","sub_orders":[%s]}'
                           % (APPID, sub[:-1] + ',"sub_mchid":null}')).encode(),
        "mch_id spelling": ('{"combine_appid":"%s","sub_orders":[{"mch_id":"1900009001","out_trade_no":"x"}]}'
                            % APPID).encode(),
        "unknown top-level field": ('{"combine_appid":"%s","combine_mchid":"%s","sub_orders":[%s]}'
                                    % (APPID, MCH, sub)).encode(),
        "duplicate key": ('{"combine_appid":"%s","combine_appid":"%s","sub_orders":[%s]}'
                          % (APPID, APPID, sub)).encode(),
        "duplicate sub-order": ('{"combine_appid":"%s","sub_orders":[%s,%s]}' % (APPID, sub, sub)).encode(),
        "fifty-one sub-orders": json.dumps({"combine_appid": APPID, "sub_orders": [
            {"mchid": "1900009001", "out_trade_no": "X%d" % i} for i in range(51)]}).encode(),
        "not UTF-8": ('{"combine_appid":"%s","sub_orders":[%s]}' % (APPID, sub)).encode().replace(b"OD_", b"\xff_"),
        "NaN": ('{"combine_appid":"%s","sub_orders":[%s],"x":NaN}' % (APPID, sub)).encode(),
    }
    for what, body in bodies.items():
        doc = expect(close_v3(OPEN, body=body), 400, "PARAM_ERROR", what=what)
        eq(doc["detail"].get("location"), "body", "%s: detail.location" % what)
    eq(state_of(OPEN[0]), "open", "state")
    # a charset parameter and spaces in the JSON are fine
    body = ('{ "combine_appid" : "%s",\n "sub_orders" : [ %s ] }' % (APPID, sub)).encode()
    expect(close_v3(OPEN, body=body, ctype="Application/JSON; charset=utf-8"), 204)


@test
def v3_checks_run_in_the_documented_order():
    reset()
    bad_body = b"not json"
    # Authorization before the body (and before the merchant)
    expect(close_v3(OPEN, body=bad_body, auth="Bearer x"), 401, "SIGN_ERROR", what="auth > body")
    # the body before the merchant and the path number
    expect(close_v3(OPEN, body=bad_body, mch="1999999999"), 400, "PARAM_ERROR", what="body > merchant")
    expect(close_v3(("N" * 33, OPEN[1]), mch="1999999999"), 400, "PARAM_ERROR", what="path > merchant")
    # the merchant before the appid, the appid before the order
    expect(close_v3(NOSUCH, mch="1999999999", appid="wx0"), 403, "NO_AUTH", what="merchant > appid")
    expect(close_v3(NOSUCH, appid="wx0"), 400, "INVALID_REQUEST", what="appid > order")
    # sub-orders before the age, the age before paid/closed
    doc = expect(close_v3((YOUNG[0], [("1", "2")])), 400, "INVALID_REQUEST", what="sub-orders > age")
    eq(doc["detail"].get("field"), "sub_orders", "detail.field")
    expect(close_v3((PAID[0], [("1", "2")])), 400, "INVALID_REQUEST", what="sub-orders > paid")
    o = {"combine_out_trade_no": "V3_YOUNG_PAID", "combine_mch_id": MCH, "state": "paid", "age": 0,
         "sub_orders": [{"mchid": "1900009001", "out_trade_no": "OD_V3_YOUNG_PAID"}]}
    control("POST", "/_orders", json.dumps(o).encode())
    doc = expect(close_v3(("V3_YOUNG_PAID", [("1900009001", "OD_V3_YOUNG_PAID")])), 400, "INVALID_REQUEST",
                 what="age > paid")
    check("too early" in doc["message"], doc["message"])


@test
def v3_methods_other_than_post_answer_405_signed():
    for m in ("GET", "PUT", "DELETE"):
        r = close_v3(OPEN, method=m)
        expect(r, 405, "METHOD_NOT_ALLOWED", what=m)
        eq(r.headers.get("allow"), "POST", "Allow")


@test
def v3_unknown_paths_and_prefixes_are_404():
    for p in ("/v3/combine-transactions/out-trade-no//close",
              "/v3/combine-transactions/out-trade-no/V3_OPEN_0001/close/",
              "/v3/combine-transactions/V3_OPEN_0001/close",
              "/badsign/v3/combine-transactions/out-trade-no/V3_OPEN_0001/close",
              "/md5sign/v3/combine-transactions/out-trade-no/V3_OPEN_0001/close",
              "/nosuch/v3/combine-transactions/out-trade-no/V3_OPEN_0001/close",
              "/v3nosign/pay/closecombinedorder", "/ratelimit/pay/closecombinedorder",
              "/http502/pay/closecombinedorder"):
        r = close_v3(OPEN, path=p)
        eq(r.status, 404, "status for %s" % p)


# ----------------------------------------------------------- misbehaviour --

@test
def v3_misbehave_systemerror_answers_500_system_error_signed():
    reset()
    expect(close_v3(OPEN, prefix="/systemerror"), 500, "SYSTEM_ERROR")
    eq(state_of(OPEN[0]), "open", "state")
    # a bad request still gets its own answer
    expect(close_v3(OPEN, prefix="/systemerror", auth="x"), 401, "SIGN_ERROR")


@test
def v3_misbehave_systemerror_n_fails_n_times_then_closes():
    reset()
    for i in range(2):
        expect(close_v3(OPEN, prefix="/systemerror-2"), 500, "SYSTEM_ERROR", what="attempt %d" % (i + 1))
    expect(close_v3(OPEN, prefix="/systemerror-2"), 204)
    expect(close_v3(OPEN, prefix="/systemerror-2"), 400, "ORDER_CLOSED")


@test
def v3_misbehave_http502_and_http500_answer_html_unsigned():
    reset()
    for prefix, st in (("/http502", 502), ("/http500", 500)):
        r = close_v3(OPEN, prefix=prefix)
        eq(r.status, st, "%s status" % prefix)
        check(r.headers.get("content-type", "").startswith("text/html"), "%s Content-Type" % prefix)
        check(b"<html>" in r.body, "%s body" % prefix)
        check(not any(h in r.headers for h in WECHATPAY_HEADERS), "%s is signed" % prefix)
    eq(state_of(OPEN[0]), "open", "state")


@test
def v3_misbehave_ratelimit_answers_429_frequency_limited_signed():
    reset()
    expect(close_v3(OPEN, prefix="/ratelimit"), 429, "FREQUENCY_LIMITED")
    eq(state_of(OPEN[0]), "open", "state")


@test
def v3_misbehave_v3nosign_answers_without_wechatpay_headers():
    reset()
    r = close_v3(OPEN, prefix="/v3nosign")
    expect(r, 204, signed=False)
    check(not any(h.startswith("wechatpay-") for h in r.headers), "Wechatpay-* present: %r" % r.headers)
    eq(state_of(OPEN[0]), "closed", "state")
    r = close_v3(OPEN, prefix="/v3nosign")
    expect(r, 400, "ORDER_CLOSED", signed=False)
    check("wechatpay-signature" not in r.headers, "signed error")


def answer_verifies_over(r, msg, pub="platform_pub.pem"):
    sig = base64.b64decode(r.headers["wechatpay-signature"])
    return Ctx.rsa.verify(cert(pub), msg, sig)


@test(openssl_too=True)
def v3_misbehave_v3badsign_signs_other_bytes():
    reset()
    for order, st in ((OPEN, 204), (PAID, 400)):
        r = close_v3(order, prefix="/v3badsign")
        expect(r, st, signed=False)
        ok, why = v3.verify_answer(Ctx.rsa, r.headers, r.body, platform_keys())
        check(not ok and "does not verify" in why, "verified (%s)" % why)
        h = r.headers
        msg = v3.answer_message(h["wechatpay-timestamp"], h["wechatpay-nonce"], r.body)
        check(answer_verifies_over(r, msg[:-1]), "not a platform signature over the message minus its final \\n")
    eq(state_of(OPEN[0]), "closed", "state")


@test(openssl_too=True)
def v3_misbehave_v3stale_and_v3future_are_signed_600_seconds_off():
    reset()
    for prefix, off in (("/v3stale", -600), ("/v3future", 600)):
        r = close_v3(NOSUCH, prefix=prefix)
        expect(r, 404, "ORDER_NOT_EXIST", signed=False)
        d = int(r.headers["wechatpay-timestamp"]) - time.time()
        check(abs(d - off) < 10, "%s: timestamp %+d s" % (prefix, d))
        ok, why = v3.verify_answer(Ctx.rsa, r.headers, r.body, platform_keys())
        check(not ok and "off" in why, "%s: %s" % (prefix, why or "accepted"))
        ok, why = v3.verify_answer(Ctx.rsa, r.headers, r.body, platform_keys(), max_skew=10 ** 6)
        check(ok, "%s: not correctly signed over its timestamp: %s" % (prefix, why))
    expect(close_v3(OPEN, prefix="/v3stale"), 204, signed=False)
    eq(state_of(OPEN[0]), "closed", "state")


@test(openssl_too=True)
def v3_misbehave_v3wrongkey_and_v3unknownserial_sign_with_platform2():
    reset()
    r = close_v3(OPEN, prefix="/v3wrongkey")
    expect(r, 204, signed=False)
    eq(r.headers["wechatpay-serial"], read_serial("platform.serial"), "v3wrongkey serial")
    ok, why = v3.verify_answer(Ctx.rsa, r.headers, r.body, platform_keys())
    check(not ok and "does not verify" in why, "v3wrongkey: %s" % (why or "verified"))
    ok, why = v3.verify_answer(Ctx.rsa, r.headers, r.body, {read_serial("platform.serial"): cert("platform2_pub.pem")})
    check(ok, "v3wrongkey is not signed by platform2: " + why)
    r = close_v3(OPEN, prefix="/v3unknownserial")
    expect(r, 400, "ORDER_CLOSED", signed=False)
    eq(r.headers["wechatpay-serial"], read_serial("platform2.serial"), "v3unknownserial serial")
    ok, why = v3.verify_answer(Ctx.rsa, r.headers, r.body, platform_keys())
    check(not ok and "unknown" in why, "v3unknownserial: %s" % (why or "verified"))
    ok, why = v3.verify_answer(Ctx.rsa, r.headers, r.body, {read_serial("platform2.serial"): cert("platform2.pem")})
    check(ok, "v3unknownserial is not signed by platform2: " + why)


@test(openssl_too=True)
def v3_misbehave_v3signtest_prefixes_the_signature():
    reset()
    r = close_v3(OPEN, prefix="/v3signtest")
    expect(r, 204, signed=False)
    sig = r.headers["wechatpay-signature"]
    check(sig.startswith("WECHATPAY/SIGNTEST/"), "signature %r" % sig[:30])
    h = dict(r.headers, **{"wechatpay-signature": sig[len("WECHATPAY/SIGNTEST/"):]})
    ok, why = v3.verify_answer(Ctx.rsa, h, r.body, platform_keys())
    check(ok, "the rest is not the real signature: " + why)


@test(openssl_too=True)
def v3_misbehave_v3replay_plays_back_an_old_204_and_closes_nothing():
    reset()
    r1 = close_v3(OPEN, prefix="/v3replay")
    r2 = close_v3(PAID, prefix="/v3replay", auth=False, body=b"junk")
    for r in (r1, r2):
        expect(r, 204, signed=False)
    for h in WECHATPAY_HEADERS + ("request-id",):
        eq(r1.headers[h], r2.headers[h], "replayed %s" % h)
    d = int(r1.headers["wechatpay-timestamp"]) - time.time()
    check(d <= -595, "replay timestamp only %+d s old" % d)
    ok, why = v3.verify_answer(Ctx.rsa, r1.headers, b"", platform_keys())
    check(not ok and "off" in why, "a replay was accepted: %s" % why)
    ok, why = v3.verify_answer(Ctx.rsa, r1.headers, b"", platform_keys(), max_skew=10 ** 6)
    check(ok, "the replayed 204 was not genuinely signed: " + why)
    eq((state_of(OPEN[0]), state_of(PAID[0])), ("open", "paid"), "states")


@test
def v3_misbehave_drop_closes_the_connection_after_closing_the_order():
    reset()
    try:
        close_v3(OPEN, prefix="/drop")
    except (http.client.RemoteDisconnected, ConnectionResetError, http.client.BadStatusLine):
        pass
    else:
        raise AssertionError("an answer arrived")
    expect(close_v3(OPEN), 400, "ORDER_CLOSED")


@test
def v3_misbehave_delay_and_chunked_combine_with_the_signature_faults():
    reset()
    t = time.monotonic()
    r = close_v3(PAID, prefix="/delay-150/chunked")
    check(time.monotonic() - t >= 0.15, "not delayed")
    expect(r, 400, "ORDER_PAID")
    eq(r.headers.get("transfer-encoding"), "chunked", "Transfer-Encoding")
    check("content-length" not in r.headers, "Content-Length with chunked")
    r = close_v3(OPEN, prefix="/chunked")
    expect(r, 204)
    check("transfer-encoding" not in r.headers, "a chunked 204")
    r = close_v3(NOSUCH, prefix="/delay-10/chunked/v3stale")
    expect(r, 404, "ORDER_NOT_EXIST", signed=False)
    check(int(r.headers["wechatpay-timestamp"]) < time.time() - 500, "not stale")
    t = time.monotonic()
    try:
        close_v3(NOSUCH, prefix="/delay-1500", timeout=0.2)
    except (socket.timeout, TimeoutError):
        check(time.monotonic() - t < 1.0, "timeout took too long")
    else:
        raise AssertionError("no timeout")


# ------------------------------ what the live service sends (issue 11) --

PAYING = ("V3_PAYING_0001", [("1900009001", "OD_V3_PAYING_0001")])
FIFTY = ("V3_FIFTY_0001", [("1900009001", "OD_V3_FIFTY_%02d" % i) for i in range(1, 51)])
INDIV_AUTH = "1900009001202612040001"
INDIV = ("V3_INDIV_0001", [{"mchid": "1900009001", "out_trade_no": "OD_V3_INDIV_0001",
                            "individual_auth_id": INDIV_AUTH}])


def serial_header(v):
    return [("Wechatpay-Serial", v)]


@test
def mkcerts_makes_the_wechatpay_public_key_pair_and_its_id():
    for f in ("platform_pubkey.key", "platform_pubkey_pub.pem", "platform_pubkey.id"):
        check(os.path.isfile(cert(f)), "%s missing" % f)
    check(not os.path.exists(cert("platform_pubkey.pem")), "the public key has a certificate")
    m = re.fullmatch(r"PUB_KEY_ID_01(1900000109)([0-9]{8})([0-9]{14})", pub_key_id())
    check(m, "id %r is not PUB_KEY_ID_01 + mchid + yyyymmdd + 14 digits" % pub_key_id())
    made = os.path.getmtime(cert("platform_pubkey.id"))    # the day it was made (or, at midnight, the one before)
    check(m.group(2) in {time.strftime("%Y%m%d", time.gmtime(made - d)) for d in (0, 60)},
          "date %s is not the UTC day the id was made" % m.group(2))
    check(v3.is_public_key_id(pub_key_id()) and not v3.is_public_key_id(read_serial("platform.serial")),
          "is_public_key_id")
    with open(cert("platform_pubkey.key")) as fh:
        eq(fh.readline().strip(), "-----BEGIN PRIVATE KEY-----", "PKCS#8 header")
    k = subprocess.run(["openssl", "pkey", "-in", cert("platform_pubkey.key"), "-pubout", "-text_pub"],
                       capture_output=True, text=True).stdout
    with open(cert("platform_pubkey_pub.pem")) as fh:
        pub = fh.read()
    check(pub.startswith("-----BEGIN PUBLIC KEY-----") and pub in k, "key and _pub.pem disagree")
    check("(2048 bit)" in k, "not RSA-2048")
    with open(cert("platform_pub.pem")) as fh:
        check(fh.read() != pub, "the public key is the certificate's key")


@test(openssl_too=True)
def v3_answer_is_signed_with_the_key_wechatpay_serial_names():
    """Switching (the default): the key the request names; the certificate
    when it names none. A client holding only the public key can verify only
    when it sends its PUB_KEY_ID_ (why the header matters)."""
    reset()
    r = close_v3(NOSUCH)
    expect(r, 404, "ORDER_NOT_EXIST", what="no Wechatpay-Serial")
    ok, why = v3.verify_answer(Ctx.rsa, r.headers, r.body, pubkey_keys())
    check(not ok and "unknown" in why, "a public-key-only client verified a certificate answer: %s" % why)
    expect(close_v3(NOSUCH, extra_headers=serial_header(read_serial("platform.serial"))), 404,
           "ORDER_NOT_EXIST", what="the certificate serial")
    expect(close_v3(NOSUCH, extra_headers=serial_header(read_serial("platform.serial").lower())), 404,
           "ORDER_NOT_EXIST", what="the certificate serial in lower case")
    r = close_v3(NOSUCH, extra_headers=serial_header(pub_key_id()))
    expect(r, 404, "ORDER_NOT_EXIST", signer="public-key", what="the PUB_KEY_ID_")
    ok, why = v3.verify_answer(Ctx.rsa, r.headers, r.body, pubkey_keys(), want_serial=pub_key_id())
    check(ok, "want_serial: " + why)
    ok, _ = v3.verify_answer(Ctx.rsa, r.headers, r.body, {pub_key_id(): cert("platform_pub.pem")})
    check(not ok, "the public key answer verifies with the certificate's key")
    # the 204 of a close, too: a public-key-only client closes verified
    r = close_v3(OPEN, extra_headers=serial_header(pub_key_id()))
    expect(r, 204, signer="public-key")
    eq(state_of(OPEN[0]), "closed", "state")
    expect(close_v3(OPEN, extra_headers=serial_header(pub_key_id())), 400, "ORDER_CLOSED", signer="public-key")


@test
def v3_unknown_or_empty_wechatpay_serial_gets_the_certificate_and_two_are_refused():
    reset()
    for what, v in (("platform2's serial", read_serial("platform2.serial")),
                    ("an unknown PUB_KEY_ID_", "PUB_KEY_ID_0119000001092026010100000000000000"),
                    ("empty", "")):
        expect(close_v3(NOSUCH, extra_headers=serial_header(v)), 404, "ORDER_NOT_EXIST", what=what)
    expect(close_v3(OPEN, extra_headers=serial_header("PUB_KEY_ID_01")), 204, what="unknown, processed")
    reset()
    doc = expect(close_v3(OPEN, extra_headers=serial_header(pub_key_id()) + serial_header(pub_key_id())),
                 400, "PARAM_ERROR", what="two Wechatpay-Serial headers")
    eq(doc["detail"].get("field"), "Wechatpay-Serial", "detail.field")
    eq(state_of(OPEN[0]), "open", "state")


def with_emu(name, fn):
    e = early_emu(name)
    saved, Ctx.emu = Ctx.emu, e
    try:
        fn()
    finally:
        Ctx.emu = saved
        eq(e.stop(), 0, "%s: exit code" % name)


@test
def v3_key_mode_public_key_signs_every_answer_with_the_public_key():
    """A merchant moved fully to the public key: the certificate is void."""
    def run():
        for what, hs in (("none named", []), ("certificate named", serial_header(read_serial("platform.serial"))),
                         ("key named", serial_header(pub_key_id()))):
            expect(close_v3(NOSUCH, extra_headers=hs), 404, "ORDER_NOT_EXIST", signer="public-key", what=what)
        expect(close_v3(OPEN), 204, signer="public-key")
    with_emu("mode:public-key", run)
    # without the key pair: exit status 2
    with tempfile.TemporaryDirectory(prefix="wxemu-nopub") as d:
        for f in os.listdir(CERTS):
            if not f.startswith("platform_pubkey"):
                os.symlink(os.path.join(os.path.abspath(CERTS), f), os.path.join(d, f))
        p = subprocess.run([sys.executable, EMULATOR, "--certs", d, "--v3-key-mode", "public-key"],
                           capture_output=True, timeout=10)
        eq(p.returncode, 2, "exit status without platform_pubkey.*")
        check(b"platform_pubkey" in p.stderr, "stderr %r" % p.stderr[-200:])


@test
def v3_key_mode_certificate_ignores_a_named_public_key():
    """A merchant that has not started the move: a PUB_KEY_ID_ named still
    gets the certificate."""
    def run():
        expect(close_v3(NOSUCH, extra_headers=serial_header(pub_key_id())), 404, "ORDER_NOT_EXIST")
        expect(close_v3(OPEN), 204)
    with_emu("mode:certificate", run)


@test(openssl_too=True)
def v3_paying_order_answers_202_userpaying_signed_and_stays_paying():
    reset()
    r = close_v3(PAYING)
    doc = expect(r, 202, "USERPAYING")
    check(doc["message"].startswith("用户支付中，需要输入密码"), "message %r" % doc["message"])
    eq(set(doc), {"code", "message"}, "members")
    eq(r.headers.get("content-length"), str(len(r.body)), "Content-Length")
    eq(state_of(PAYING[0]), "paying", "state")
    expect(close_v3(PAYING, prefix="/v3user_paying"), 202, "USER_PAYING", what="/v3user_paying")
    expect(close_v3(PAYING, extra_headers=serial_header(pub_key_id())), 202, "USERPAYING", signer="public-key")
    # the prefix only respells the 202
    expect(close_v3(OPEN, prefix="/v3user_paying"), 204)
    # the sub-orders are checked first, as for a paid order
    expect(close_v3((PAYING[0], OPEN[1])), 400, "INVALID_REQUEST")
    eq(state_of(PAYING[0]), "paying", "state at the end")


@test
def v3_takes_up_to_fifty_sub_orders_and_refuses_fifty_one():
    reset()
    expect(close_v3((FIFTY[0], FIFTY[1][:49])), 400, "INVALID_REQUEST", what="49 of the 50 (a partial close)")
    doc = expect(close_v3((FIFTY[0], FIFTY[1] + [("1900009001", "OD_V3_FIFTY_51")])), 400, "PARAM_ERROR",
                 what="51")
    check("1 to 50" in doc["message"], "message %r" % doc["message"])
    eq(state_of(FIFTY[0]), "open", "state")
    expect(close_v3((FIFTY[0], list(reversed(FIFTY[1])))), 204, what="all 50, in another order")
    expect(close_v3(FIFTY), 400, "ORDER_CLOSED")


@test
def v3_individual_auth_id_is_compared_when_stored_and_ignored_otherwise():
    reset()
    sub = INDIV[1][0]
    no_id = {k: v for k, v in sub.items() if k != "individual_auth_id"}
    expect(close_v3((INDIV[0], [no_id])), 400, "INVALID_REQUEST", what="missing")
    expect(close_v3((INDIV[0], [dict(sub, individual_auth_id="1900009001202612049999")])), 400,
           "INVALID_REQUEST", what="different")
    for what, v in (("65 bytes", "1" * 65), ("a number", 1900009001), ("empty", "")):
        body = v3.close_body(APPID, [dict(sub, individual_auth_id=v)])
        expect(close_v3(INDIV, body=body), 400, "PARAM_ERROR", what=what)
    eq(state_of(INDIV[0]), "open", "state")
    expect(close_v3(INDIV), 204, what="equal")
    # an order that stores none: a sent one is accepted and ignored
    expect(close_v3((OPEN[0], [{"mchid": OPEN[1][0][0], "out_trade_no": OPEN[1][0][1],
                                "individual_auth_id": "1" * 64}])), 204, what="not stored")


@test(openssl_too=True)
def v3_misbehave_v3signtest_n_probes_n_answers_and_the_close_still_happens():
    reset()
    p = "/v3signtest-2"
    sigs = []
    for want in ((204, None), (400, "ORDER_CLOSED")):
        r = close_v3(OPEN, prefix=p)
        expect(r, want[0], want[1], signed=False)
        sig = r.headers["wechatpay-signature"]
        check(sig.startswith("WECHATPAY/SIGNTEST/"), "signature %r" % sig[:30])
        h = dict(r.headers, **{"wechatpay-signature": sig[len("WECHATPAY/SIGNTEST/"):]})
        ok, why = v3.verify_answer(Ctx.rsa, h, r.body, platform_keys())
        check(ok, "the rest is not the real signature: " + why)
        sigs.append(sig)
        eq(state_of(OPEN[0]), "closed", "state (closing is re-entrant)")
    expect(close_v3(OPEN, prefix=p), 400, "ORDER_CLOSED", what="third: a normal signature")
    reset()   # the counter restarts
    r = close_v3(OPEN, prefix="/v3signtest-1", extra_headers=serial_header(pub_key_id()))
    check(r.headers["wechatpay-signature"].startswith("WECHATPAY/SIGNTEST/"), "after reset")
    expect(close_v3(OPEN, prefix="/v3signtest-1", extra_headers=serial_header(pub_key_id())), 400,
           "ORDER_CLOSED", signer="public-key")


V3_CODES = ((403, "RULE_LIMIT"), (403, "RULELIMIT"), (502, "SERVICE_UNAVAILABLE"),
            (503, "SERVICE_UNAVAILABLE"), (429, "FREQUENCY_LIMITED"), (429, "RATELIMIT_EXCEEDED"),
            (500, "SYSTEM_ERROR"), (500, "SYSTEMERROR"), (404, "ORDERNOTEXIST"))


@test
def v3_misbehave_v3error_sends_signed_json_errors_and_closes_nothing():
    reset()
    for st, code in V3_CODES:
        p = "/v3error-%d-%s" % (st, code)
        doc = expect(close_v3(OPEN, prefix=p), st, code, what=p)
        check("emulated %d %s" % (st, code) in doc["message"], "%s: message %r" % (p, doc["message"]))
    eq(state_of(OPEN[0]), "open", "state")
    expect(close_v3(OPEN, prefix="/v3error-503-SERVICE_UNAVAILABLE", auth="x"), 401, "SIGN_ERROR",
           what="a bad request still gets its own answer")
    p = "/v3error-503-SERVICE_UNAVAILABLE-2"
    expect(close_v3(OPEN, prefix=p), 503, "SERVICE_UNAVAILABLE")
    expect(close_v3(OPEN, prefix=p, extra_headers=serial_header(pub_key_id())), 503, "SERVICE_UNAVAILABLE",
           signer="public-key")
    expect(close_v3(OPEN, prefix=p), 204, what="third")
    for bad in ("/v3error-200-OK", "/v3error-503-lower", "/v3error-503-", "/v3error-503-X-Y"):
        eq(close_v3(OPEN, prefix=bad).status, 404, "status for %s" % bad)


@test
def v3_misbehave_v3ordernotexist_spells_the_404_the_older_way():
    reset()
    expect(close_v3(NOSUCH, prefix="/v3ordernotexist"), 404, "ORDERNOTEXIST")
    expect(close_v3(OTHER, prefix="/v3ordernotexist"), 404, "ORDERNOTEXIST", what="another merchant's")
    expect(close_v3(NOSUCH), 404, "ORDER_NOT_EXIST", what="without the prefix")
    expect(close_v3(OPEN, prefix="/v3ordernotexist"), 204)


def raw_v3(order, prefix="", extra=b""):
    """One close over a raw socket with Connection: close -> (status line,
    header dict, body bytes exactly as sent)."""
    no, subs = order
    body = v3.close_body(APPID, subs)
    path = v3.close_path(no, prefix)
    auth = v3.authorization(Ctx.rsa, cert("merchant.key"), MCH, read_serial("merchant.serial"), "POST", path, body)
    req = ("POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nAuthorization: %s\r\n"
           "Content-Length: %d\r\nConnection: close\r\n" % (path, auth, len(body))).encode() + extra + b"\r\n" + body
    s = socket.create_connection(("127.0.0.1", Ctx.emu.ports["http"]), timeout=5)
    try:
        s.sendall(req)
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    finally:
        s.close()
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    hs = {}
    for ln in lines[1:]:
        k, _, v = ln.partition(":")
        hs[k.strip().lower()] = v.strip()
    return lines[0], hs, rest


@test(openssl_too=True)
def v3_every_2xx_is_signed_and_a_204_has_no_body_bytes():
    reset()
    line, hs, rest = raw_v3(OPEN)
    eq(line, "HTTP/1.1 204 No Content", "status line")
    eq(rest, b"", "bytes after the 204's head")
    ok, why = v3.verify_answer(Ctx.rsa, hs, b"", platform_keys())
    check(ok, "204: " + why)
    line, hs, rest = raw_v3(PAYING)
    eq(line, "HTTP/1.1 202 Accepted", "status line")
    eq(len(rest), int(hs["content-length"]), "202 Content-Length")
    ok, why = v3.verify_answer(Ctx.rsa, hs, rest, platform_keys())
    check(ok, "202: " + why)


@test(openssl_too=True)
def v3_misbehave_v3relabel204_sends_a_signed_error_body_as_204():
    reset()
    line, hs, rest = raw_v3(PAID, prefix="/v3relabel204")
    eq(line, "HTTP/1.1 204 No Content", "status line")
    eq(json.loads(rest.decode("utf-8"))["code"], "ORDER_PAID", "body code")
    eq(hs.get("content-length"), str(len(rest)), "Content-Length")
    eq(hs.get("connection"), "close", "Connection")
    ok, why = v3.verify_answer(Ctx.rsa, hs, rest, platform_keys())
    check(ok, "the relabelled body is not genuinely signed: " + why)
    ok, _ = v3.verify_answer(Ctx.rsa, hs, b"", platform_keys())
    check(not ok, "the signature also covers an empty body")
    eq(state_of(PAID[0]), "paid", "state")
    # a real 204 is left alone
    line, _, rest = raw_v3(OPEN, prefix="/v3relabel204")
    eq((line, rest), ("HTTP/1.1 204 No Content", b""), "a genuine 204")


@test(openssl_too=True)
def v3_misbehave_v3dupcode_signs_a_body_with_a_duplicate_code_member():
    reset()
    r = close_v3(OPEN, prefix="/v3dupcode")
    eq(r.status, 400, "status")
    eq(r.body, '{"code":"","code":"ORDER_CLOSED","message":"订单已关闭"}'.encode("utf-8"), "body")
    ok, why = v3.verify_answer(Ctx.rsa, r.headers, r.body, platform_keys())
    check(ok, "not genuinely signed: " + why)
    eq(state_of(OPEN[0]), "open", "state (nothing was closed)")
    expect(close_v3(OPEN, prefix="/v3dupcode", auth="x"), 401, "SIGN_ERROR", what="a bad request")


# ------------------------------------------------------ HTTP and control --

@test
def v3_keep_alive_204_then_more_requests_on_one_connection():
    reset()
    c = http.client.HTTPConnection("127.0.0.1", Ctx.emu.ports["http"], timeout=5)
    try:
        expect(close_v3(OPEN, conn=c), 204)
        expect(close_v3(OPEN, conn=c), 400, "ORDER_CLOSED")
        expect(close_v3(NOSUCH, conn=c), 404, "ORDER_NOT_EXIST")
    finally:
        c.close()
    s = stats()
    eq((s["connections"], s["requests"]), (1, 3), "connections, requests")


@test
def v3_requests_count_in_stats_and_reset_restores_state():
    reset()
    expect(close_v3(OPEN, auth=False), 401, "SIGN_ERROR")
    expect(close_v3(OPEN, prefix="/ratelimit"), 429, "FREQUENCY_LIMITED")
    close_v3(OPEN, prefix="/http502")
    expect(close_v3(OPEN), 204)
    s = stats()
    eq(s["requests"], 4, "requests")
    p = v3.close_path(OPEN[0])
    eq(s["by_path"], {p: 2, "/ratelimit" + p: 1, "/http502" + p: 1}, "by_path")
    eq(s["by_outcome"], {"v3:204": 1, "v3:FREQUENCY_LIMITED": 1, "v3:HTTP502": 1, "v3:SIGN_ERROR": 1},
       "by_outcome")
    check(s["v3_crypto"] in ("cryptography", "openssl"), "v3_crypto %r" % s["v3_crypto"])
    last = control("GET", "/_last")
    check(any(k == "Authorization" for k, _ in last["headers"]), "no Authorization in /_last")
    reset()
    eq(state_of(OPEN[0]), "open", "state after reset")
    eq(stats()["requests"], 0, "requests after reset")


@test
def v3_over_https_with_the_test_ca():
    ctx = ssl.create_default_context(cafile=cert("ca.pem"))
    reset()
    expect(close_v3(OPEN, port=Ctx.emu.ports["https"], tls=ctx, host="localhost"), 204)
    eq(stats()["by_listener"]["https"]["requests"], 1, "https requests")


# ------------------------------------------------ flags and back-ends --

@test
def v3_without_certs_answers_500_json_and_v2_still_works():
    e = early_emu("nocerts", certs=False)
    try:
        saved, Ctx.emu = Ctx.emu, e
        try:
            r = close_v3(OPEN)
            eq(r.status, 500, "status")
            doc = r.json()
            eq(doc.get("code"), "EMULATOR_NO_V3_KEYS", "code")
            check("--certs" in doc.get("message", ""), "message %r" % doc.get("message"))
            check("wechatpay-signature" not in r.headers, "signed")
            eq(stats()["v3_crypto"], None, "v3_crypto")
            eq(v2_close("DEMO_OPEN_0001", [("1900009001", "OD_OPEN_0001")]), "SUCCESS", "v2")
        finally:
            Ctx.emu = saved
    finally:
        eq(e.stop(), 0, "exit code")


@test
def v3_without_cryptography_falls_back_to_openssl_and_flags_work():
    """python3-cryptography hidden from the emulator: auto picks the openssl
    command, and asking for cryptography (flag or environment) is an error.
    The same emulator checks --v3-too-early and --order's sub_mchid/sub_appid."""
    for name in [n for n in Ctx.early if n.startswith("exit:")]:
        p = Ctx.early.pop(name)
        _, err = p.communicate(timeout=10)
        eq(p.returncode, 2, "%s: exit code" % name[5:])
        check(b"cryptography" in err or b"v3-too-early" in err, "%s: stderr %r" % (name[5:], err[-200:]))
    e = early_emu("fallback", *FLAGS_EMU_ARGS, env=hidden_env())
    try:
        saved, Ctx.emu = Ctx.emu, e
        try:
            eq(stats()["v3_crypto"], "openssl", "the back-end without cryptography")
            expect(close_v3(("V3FLAG_0002", [("1900000199", "OD_C")]), mch="1900000199",
                            appid="wx1990000000000199"), 204)
            expect(close_v3(("V3FLAG_0002", [("1900000199", "OD_C")]), mch="1900000199",
                            appid="wx1990000000000199", key=cert("platform2.key")), 401, "SIGN_ERROR")
            subs = [("1900000199", "OD_A", "1900000301", "wx3010000000000301"),
                    {"mchid": "1900000199", "out_trade_no": "OD_B", "sub_appid": "wx3020000000000302"}]
            kw = dict(mch="1900000199", appid="wx1990000000000199")
            # too early comes after the sub-order check: the flag's sub-orders matched
            doc = expect(close_v3(("V3FLAG_0001", subs), **kw), 500, "SYSTEM_ERROR")
            check("too early" in doc["message"], doc["message"])
            doc = expect(close_v3(("V3FLAG_0001", subs[:1] + [("1900000199", "OD_B")]), **kw),
                         400, "INVALID_REQUEST", what="without the flag's sub_appid")
        finally:
            Ctx.emu = saved
    finally:
        eq(e.stop(), 0, "exit code")
    p = subprocess.run([sys.executable, EMULATOR, "--v3-too-early", "INVALID"], capture_output=True, timeout=10)
    eq(p.returncode, 2, "exit code for a bad --v3-too-early")


@test
def v3_client_on_the_openssl_command_interoperates_with_the_emulator():
    """The suite's client normally signs with python3-cryptography or pure
    Python; here its openssl-command back-end signs and verifies."""
    saved, Ctx.rsa = Ctx.rsa, v3.Rsa("openssl")
    try:
        reset()
        expect(close_v3(OPEN), 204)
        expect(close_v3(OPEN), 400, "ORDER_CLOSED")
        expect(close_v3(PAID, key=cert("platform2.key")), 401, "SIGN_ERROR")
    finally:
        Ctx.rsa = saved


# ------------------------------------------------------------------ main --

# -------------------------------------------- 合单查询订单 (the v3 query) --
# TheNorthMemory/wechatpay-openapi
# docs/v3/combine-transactions/out-trade-no/{combine_out_trade_no}.yaml;
# official https://pay.weixin.qq.com/wiki/doc/apiv3/wxpay/pay/combine/chapter3_3.shtml
TXID_RE = re.compile(r"4200000[0-9]{21}")


def query_v3(no, prefix="", mch=MCH, query="", method="GET", body=b"", sign_method="GET",
             sign_path=None, sign_body=b"", timestamp=None, serial=None, extra_headers=(), **kw):
    """One signed v3 query (GET, the signed message's body line empty)."""
    path = v3.query_path(no, prefix) + query
    ts = str(int(time.time()) if timestamp is None else timestamp)
    nonce = v3.make_nonce()
    msg = v3.request_message(sign_method, path if sign_path is None else sign_path, ts, nonce, sign_body)
    sig = base64.b64encode(Ctx.rsa.sign(cert("merchant.key"), msg)).decode("ascii")
    auth = v3.authorization_header(mch, nonce, ts, serial or read_serial("merchant.serial"), sig)
    hs = v3.query_headers(auth) + list(extra_headers)
    return http_call(method, path, body if body else None, hs, **kw)


def v3_order(no, **kw):
    """A query whose 200 answer is signed and strictly well-formed."""
    r = query_v3(no, **kw)
    expect_query_200(r)
    doc = v3.parse_query_answer(r.body)
    eq((doc["combine_mchid"], doc["combine_out_trade_no"]), (kw.get("mch", MCH), no), "echo")
    return doc


def expect_query_200(r, what=""):
    pre = (what + ": ") if what else ""
    if r.status != 200:
        raise AssertionError("%sstatus %d, want 200 (body %r)" % (pre, r.status, r.body[:300]))
    ok, why = v3.verify_answer(Ctx.rsa, r.headers, r.body, platform_keys())
    check(ok, pre + "answer signature: " + why)
    check(r.headers.get("content-type", "").startswith("application/json"), pre + "Content-Type")
    eq(r.headers.get("content-length"), str(len(r.body)), pre + "Content-Length")


def v3_add_order(no, state="open", subs=None, **extra):
    o = {"combine_out_trade_no": no, "combine_mch_id": MCH, "state": state, "age": 3600,
         "sub_orders": subs or [{"mchid": "1900009001", "out_trade_no": "OD_" + no}]}
    o.update(extra)
    control("POST", "/_orders", json.dumps(o).encode())
    return (no, [("1900009001", "OD_" + no)])


@test
def ref_v3_query_path_and_signed_message_have_an_empty_body_line():
    eq(v3.query_path("V3_CHARS-*|@0001"), "/v3/combine-transactions/out-trade-no/V3_CHARS-*%7C@0001")
    eq(v3.request_message("GET", v3.query_path("P1") + "?a=1", "1554208460", "N", b""),
       b"GET\n/v3/combine-transactions/out-trade-no/P1?a=1\n1554208460\nN\n\n")
    for bad in (b'{"combine_appid":"a","combine_appid":"a","combine_mchid":"m","combine_out_trade_no":"n",'
                b'"sub_orders":[]}',
                b'{"combine_appid":"a","combine_mchid":"m","combine_out_trade_no":"n","sub_orders":[{"mchid":'
                b'"1","out_trade_no":"o","trade_state":"SUCCESS","amount":{"total_amount":1}}]}',
                b'{"combine_appid":"a","combine_mchid":"m","combine_out_trade_no":"n","sub_orders":[',
                b'{"combine_appid":"a","combine_mchid":"m","combine_out_trade_no":"n"}'):
        try:
            v3.parse_query_answer(bad)
        except v3.QueryError:
            continue
        raise AssertionError("parse_query_answer accepted %r" % bad)


@test(openssl_too=True)
def v3_query_paid_order_lists_transaction_ids_amounts_and_success_times():
    doc = v3_order("V3_QUERY_PAID_0001")
    eq(doc["combine_appid"], APPID, "combine_appid")
    eq(doc["scene_info"], {"device_id": "POS1:1"}, "scene_info")
    eq(doc["combine_payer_info"], {"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"}, "combine_payer_info")
    got = [(d["mchid"], d["out_trade_no"], d["trade_state"], d["transaction_id"], d["amount"]["total_amount"],
            d["amount"]["payer_amount"], d["amount"]["currency"], d["amount"]["payer_currency"], d["bank_type"])
           for d in doc["sub_orders"]]
    eq(got, [("1900009001", "OD_V3_QUERY_PAID_0001_A", "SUCCESS", "4200000003202612050000000003", 1000, 995,
              "CNY", "CNY", "CMC"),
             ("1900009002", "OD_V3_QUERY_PAID_0001_B", "SUCCESS", "4200000004202612050000000004", 2550, 2550,
              "CNY", "CNY", "OTHERS")], "sub-orders")
    eq(doc["sub_orders"][0]["attach"], "深圳分店", "attach")
    check(all(d["success_time"].endswith("+08:00") for d in doc["sub_orders"]), "success_time in Beijing time")


@test
def v3_query_service_provider_order_carries_sub_mchid():
    doc = v3_order("V3_QUERY_SP_PAID_0001")
    sub = doc["sub_orders"][0]
    eq((sub["mchid"], sub["sub_mchid"], sub["amount"]["total_amount"]), ("1900000109", "1900000201", 300),
       "mchid, sub_mchid, total_amount")
    check(TXID_RE.fullmatch(sub["transaction_id"]), "transaction_id %r" % sub["transaction_id"])


@test
def v3_query_and_v2_query_agree_on_a_paid_order():
    doc = v3_order("DEMO_PAID_0001")
    sub = doc["sub_orders"][0]
    body = ref.query_body(APPID, MCH, "DEMO_PAID_0001", V2KEY)
    r = http_call("POST", "/pay/querycombinedorder", body, [("Content-Type", "text/xml")])
    o = ref.read_query_answer(ref.parse_response(r.body), V2KEY, APPID, MCH, "DEMO_PAID_0001")
    eq(sub["transaction_id"], o["sub_orders"][0]["transaction_id"], "transaction_id over v3 and v2")
    check(TXID_RE.fullmatch(sub["transaction_id"]), "transaction_id %r" % sub["transaction_id"])
    eq(sub["amount"]["total_amount"], 100, "default total_amount")


@test(openssl_too=True)
def v3_query_open_order_is_notpay_then_closed_after_a_close():
    reset()
    doc = v3_order(OPEN[0])
    sub = doc["sub_orders"][0]
    eq(sub["trade_state"], "NOTPAY", "trade_state")
    for k in ("transaction_id", "success_time", "bank_type"):
        check(k not in sub, "an unpaid sub-order has %s" % k)
    check("payer_amount" not in sub["amount"], "an unpaid sub-order has payer_amount")
    check("combine_payer_info" not in doc, "an unpaid order has a payer")
    expect(close_v3(OPEN), 204)
    eq(v3_order(OPEN[0])["sub_orders"][0]["trade_state"], "CLOSED", "trade_state after the close")


@test
def v3_query_closed_refunded_and_paying_orders():
    eq(v3_order(CLOSED[0])["sub_orders"][0]["trade_state"], "CLOSED", "closed")
    sub = v3_order("V3_REFUND_0001")["sub_orders"][0]
    eq(sub["trade_state"], "REFUND", "refund")
    check(TXID_RE.fullmatch(sub["transaction_id"]), "refund transaction_id %r" % sub["transaction_id"])
    expect(close_v3(("V3_REFUND_0001", [("1900009001", "OD_V3_REFUND_0001")])), 400, "ORDER_PAID",
           what="close of a refunded order")
    for _ in range(2):
        sub = v3_order("V3_PAYING_0001")["sub_orders"][0]
        eq(sub["trade_state"], "USERPAYING", "paying")
        check("transaction_id" not in sub, "a paying sub-order has a transaction_id")
    check("combine_payer_info" not in v3_order("V3_PAYING_0001"), "a payer before payment")


@test(openssl_too=True)
def v3_query_paying_order_becomes_paid_after_paying_until():
    order = v3_add_order("V3Q_PAYING_PAID", "paying", paying_until=1.0, paying_then="paid")
    eq(v3_order(order[0])["sub_orders"][0]["trade_state"], "USERPAYING", "before")
    expect(close_v3(order), 202, "USERPAYING", what="close before")
    time.sleep(1.2)
    sub = v3_order(order[0])["sub_orders"][0]
    eq(sub["trade_state"], "SUCCESS", "after")
    check(TXID_RE.fullmatch(sub.get("transaction_id", "")), "no transaction_id once paid")
    expect(close_v3(order), 400, "ORDER_PAID", what="close after")


@test
def v3_query_paying_order_becomes_open_after_paying_until_then_closes():
    order = v3_add_order("V3Q_PAYING_OPEN", "paying", paying_until=1.0, paying_then="open")
    eq(v3_order(order[0])["sub_orders"][0]["trade_state"], "USERPAYING", "before")
    time.sleep(1.2)
    eq(v3_order(order[0])["sub_orders"][0]["trade_state"], "NOTPAY", "after")
    expect(close_v3(order), 204, what="close after")
    eq(v3_order(order[0])["sub_orders"][0]["trade_state"], "CLOSED", "after the close")


@test(openssl_too=True)
def v3_query_unknown_order_answers_404_order_not_exist_signed():
    expect(query_v3(NOSUCH[0]), 404, "ORDER_NOT_EXIST")
    expect(query_v3(OTHER[0]), 404, "ORDER_NOT_EXIST", what="another merchant's")
    expect(query_v3(NOSUCH[0], prefix="/v3ordernotexist"), 404, "ORDERNOTEXIST")
    eq(v3_order(OTHER[0], mch="1900000110")["combine_appid"], "wx1100000000000110", "with its merchant")


@test(openssl_too=True)
def v3_query_request_is_verified_like_the_close():
    expect_query_200(query_v3(OPEN[0], query="?x=1"), "a query string, signed")
    expect(query_v3(OPEN[0], query="?x=1", sign_path=v3.query_path(OPEN[0])), 401, "SIGN_ERROR",
           what="the query string left out of the signed path")
    expect(query_v3(OPEN[0], sign_method="POST"), 401, "SIGN_ERROR", what="signed as POST")
    expect(query_v3(OPEN[0], sign_body=b"{}"), 401, "SIGN_ERROR", what="a body line that is not empty")
    expect(query_v3(OPEN[0], timestamp=int(time.time()) - 600), 401, "SIGN_ERROR", what="stale timestamp")
    expect(query_v3(OPEN[0], serial="0" * 40), 401, "SIGN_ERROR", what="another serial_no")
    expect(query_v3(OPEN[0], mch="1999999999"), 403, "NO_AUTH", what="unknown mchid")
    expect(query_v3("N" * 33), 400, "PARAM_ERROR", what="a number of 33")
    expect(query_v3(OPEN[0], body=b"{}", sign_body=b"{}"), 400, "PARAM_ERROR", what="a GET with a body")
    r = query_v3(OPEN[0], method="POST", sign_method="POST")
    expect(r, 405, "METHOD_NOT_ALLOWED", what="POST")
    eq(r.headers.get("allow"), "GET", "Allow")
    expect_query_200(query_v3(CHARS[0]), "%7C in the number")


@test(openssl_too=True)
def v3_query_misbehaviour_prefixes_apply():
    r = query_v3(OPEN[0], prefix="/v3nosign")
    eq(r.status, 200, "/v3nosign status")
    check(not any(h in r.headers for h in WECHATPAY_HEADERS), "/v3nosign has Wechatpay-* headers")
    r = query_v3(OPEN[0], prefix="/v3badsign")
    ok, why = v3.verify_answer(Ctx.rsa, r.headers, r.body, platform_keys())
    check(r.status == 200 and not ok, "/v3badsign verifies")
    r = query_v3(OPEN[0], prefix="/v3signtest")
    check(r.headers["wechatpay-signature"].startswith("WECHATPAY/SIGNTEST/"), "/v3signtest")
    expect(query_v3(OPEN[0], prefix="/systemerror"), 500, "SYSTEM_ERROR")
    expect(query_v3(OPEN[0], prefix="/v3error-503-SERVICE_UNAVAILABLE"), 503, "SERVICE_UNAVAILABLE")
    eq(query_v3(OPEN[0], prefix="/http502").status, 502, "/http502 status")
    r = query_v3(OPEN[0], prefix="/v3stale")
    ok, why = v3.verify_answer(Ctx.rsa, r.headers, r.body, platform_keys())
    check(not ok and "off" in why, "/v3stale: %s" % (why or "verified"))


@test(openssl_too=True)
def v3_query_signtest_n_probes_n_answers_then_genuine():
    reset()
    for i in range(2):
        r = query_v3(OPEN[0], prefix="/v3signtest-2")
        check(r.headers["wechatpay-signature"].startswith("WECHATPAY/SIGNTEST/"), "probe %d" % (i + 1))
        h = dict(r.headers, **{"wechatpay-signature": r.headers["wechatpay-signature"][19:]})
        ok, why = v3.verify_answer(Ctx.rsa, h, r.body, platform_keys())
        check(ok, "the rest is not the real signature: " + why)
    expect_query_200(query_v3(OPEN[0], prefix="/v3signtest-2"), "third")


@test(openssl_too=True)
def v3_query_hostile_bodies_verify_but_must_be_refused():
    for prefix, why in (("/v3dupmember", "duplicate"), ("/v3cutbody", "not JSON")):
        r = query_v3("V3_QUERY_PAID_0001", prefix=prefix)
        expect_query_200(r, prefix)
        try:
            v3.parse_query_answer(r.body)
        except v3.QueryError as e:
            check(why in str(e), "%s: refused for %r, want %r" % (prefix, str(e), why))
        else:
            raise AssertionError("%s: a careful client accepts it" % prefix)
    r = query_v3("V3_QUERY_PAID_0001", prefix="/v3dupmember")
    check(b'"trade_state":"NOTPAY","trade_state":"SUCCESS"' in r.body, "/v3dupmember: %r" % r.body[:200])


@test
def v3_query_only_prefixes_are_404_on_the_close():
    for prefix in ("/v3dupmember", "/v3cutbody"):
        eq(close_v3(OPEN, prefix=prefix).status, 404, prefix + " on the close")


@test
def v3_query_default_paying_then_orders_are_paying_after_reset():
    reset()
    for no in ("V3_PAYING_THEN_PAID_0001", "V3_PAYING_THEN_OPEN_0001"):
        eq(v3_order(no)["sub_orders"][0]["trade_state"], "USERPAYING", no)
    left = {o["combine_out_trade_no"]: o.get("paying_left") for o in control("GET", "/_state")["orders"]}
    for no in ("V3_PAYING_THEN_PAID_0001", "V3_PAYING_THEN_OPEN_0001"):
        check(left[no] is not None and 6 < left[no] <= 8, "%s paying_left %r" % (no, left[no]))


def run(fn, name):
    try:
        fn()
    except Skip as e:
        report("SKIP", name, str(e))
    except AssertionError as e:
        report("FAIL", name, str(e))
    except Exception as e:  # noqa
        tb = traceback.format_exc().strip().splitlines()
        report("FAIL", name, "%s: %s (%s)" % (type(e).__name__, e, tb[-3].strip() if len(tb) > 2 else ""))
    else:
        report("PASS", name)


def main():
    t0 = time.monotonic()
    if not CERTS:
        report("SKIP", "emulator_v3_suite", "no test keys (mkcerts.sh needs the openssl command)")
        return 0
    crypto = have_cryptography()
    if not crypto:
        print("note: python3-cryptography is not importable: the emulator uses the openssl command, "
              "the client its pure-Python RSA", flush=True)
    # The client signs with python3-cryptography where it can, else in pure
    # Python (both fast; one test switches it to the openssl command).
    client = v3.Rsa()
    rounds = [("", {}, client)]
    if crypto:
        rounds.append(("__openssl", {"WXPAY_EMU_CRYPTO": "openssl"}, client))
    rc = 0
    for suffix, env, _ in rounds:
        Ctx.early["round:" + suffix] = Emu(env=env, wait=False)
    start_early()
    try:
        rc = run_rounds(rounds, crypto)
    finally:
        stop_early()
    print("emulator v3 suite: %d passed, %d failed, %d skipped in %.1f s"
          % (counts["PASS"], counts["FAIL"], counts["SKIP"], time.monotonic() - t0), flush=True)
    return 1 if counts["FAIL"] or rc else 0


def run_rounds(rounds, crypto):
    rc = 0
    for suffix, env, client in rounds:
        try:
            emu = early_emu("round:" + suffix, env=env)
        except Exception as e:
            report("FAIL", "emulator_v3_starts" + suffix, str(e))
            rc = 1
            continue
        Ctx.emu, Ctx.rsa, Ctx.suffix = emu, client, suffix
        try:
            want = ("cryptography" if crypto else "openssl") if not suffix else "openssl"
            got = stats()["v3_crypto"]
            if got != want:
                report("FAIL", "emulator_v3_backend" + suffix, "v3_crypto %r, want %r" % (got, want))
            for fn, openssl_too in TESTS:
                if suffix and not openssl_too:
                    continue
                run(fn, fn.__name__ + suffix)
        finally:
            code = emu.stop()
            if code != 0:
                report("FAIL", "emulator_v3_exits_cleanly" + suffix, "exit code %r" % code)
                rc = 1
    return rc


if __name__ == "__main__":
    sys.exit(main())
