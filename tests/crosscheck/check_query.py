#!/usr/bin/env python3
"""Cross-checks the combined-order queries of wxpay_close.h (issue 13)
against independent implementations.

    python3 tests/crosscheck/check_query.py --driver build/crosscheck/driver \\
        [--v3driver build/crosscheck/v3driver --keys DIR] \\
        [--node-modules DIR | --node-skip REASON] [--seed N] [--scale X] \\
        [--failures FILE]

APIv2 (pay/querycombinedorder; wechatpay-im/website openapi/v2/pay/querycombinedorder.md,
the v2 signature page):

  * requests built by wxpay_query_build() (tests/crosscheck/driver.c, op Q)
    are compared byte for byte with a reference written here (fields in the
    order combine_appid, combine_mch_id, sign_type, combine_out_trade_no,
    nonce_str, sign; HMAC-SHA256 over the sorted non-empty fields) and with
    the Node SDK's (wechatpay-axios-plugin) v2 formatter: its signer and
    XML stringifier over the same fields in that order;
  * answers of a SUCCESS query (trade_state, sub_order_list: a JSON string
    of order_num and order_list with amounts, promotion details and text in
    any script) are signed by the Node SDK's Hash.sign() and written by its
    XML stringifier, and by this file's reference with several XML styles;
    wxpay_query_parse() (op R) must accept them and give back every field
    the JSON and the XML hold (Python's json is the reference for the JSON);
  * copies with one change must be refused with SIGNATURE: a field's value,
    the sign, a nested amount, a transaction_id.

APIv3 (GET /v3/combine-transactions/out-trade-no/{no}; the OpenAPI
definition in TheNorthMemory/wechatpay-openapi,
docs/v3/combine-transactions/out-trade-no/{combine_out_trade_no}.yaml):

  * wxpay_v3_query_build() (tests/crosscheck/v3driver.c, op G): the path,
    the signed message "GET\\n" path "\\n" ts "\\n" nonce "\\n\\n" (an empty
    body line) and the Authorization header against a reference written
    here, the Node SDK's Formatter.request('GET', ...) and
    Formatter.authorization(), its Rsa.sign() (the same bytes: PKCS#1 v1.5
    is deterministic), Python's RSA check with the key's numbers read by the
    openssl command, and `openssl dgst -sha256 -verify` for a sample;
  * signed 200 answers (the Node SDK's Rsa.sign() over
    Formatter.response(), or `openssl dgst -sign` without Node) must be
    accepted by wxpay_v3_query_parse() (op Q) with every member read back,
    also when member names are written with \\u escapes;
    copies with a member's value, a nested amount, a transaction_id or the
    Wechatpay-Signature changed must be refused with SIGNATURE.

Prints PASS/FAIL/SKIP lines (tests/CONVENTIONS.md), one PASS per family
with its case count. Python standard library only (plus node and openssl).
"""

import argparse
import base64
import json
import os
import random
import subprocess
import sys
import urllib.parse

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from check import (Report, Ser, diff_at, gen_id, gen_key, gen_nonce,  # noqa: E402
                   gen_order_no, node_safe, ref_sign, run_driver, run_node, short, xml_value)
import check_v3  # noqa: E402

DEFAULT_SEED = 20261213
ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
# SPEC of the query pages: the trade states, in the order of the header's
# public enumeration (wxpay_trade_state: UNKNOWN first), as documented
TRADE_STATES = ["SUCCESS", "REFUND", "NOTPAY", "CLOSED", "REVOKED", "USERPAYING", "PAYERROR", "ACCEPT"]
DECIDING = ["return_code", "result_code", "err_code", "trade_state"]  # no '&' or '=' in these
NAMED = DECIDING + ["sub_order_list"]  # no value may hold "&<one of these>="


JSON_DEPTH = 16  # the README: nesting at most 16 deep, deeper is refused


def json_depth(v):
    """Levels of objects and arrays ({} or []: 1)."""
    if isinstance(v, dict):
        return 1 + max([json_depth(x) for x in v.values()] or [0])
    if isinstance(v, list):
        return 1 + max([json_depth(x) for x in v] or [0])
    return 0


def state_id(s):
    return TRADE_STATES.index(s) + 1 if s in TRADE_STATES else 0


def hx(b):
    if b is None:
        return "-"
    return (b if isinstance(b, bytes) else str(b).encode("utf-8")).hex()


# ------------------------------------------------------------ reference --

def ref_query_body(key, appid, mchid, otn, nonce):
    """The query request as the page's example orders its fields, then
    nonce_str and sign (HMAC-SHA256 over the sorted non-empty fields)."""
    fields = [(b"combine_appid", appid), (b"combine_mch_id", mchid), (b"sign_type", b"HMAC-SHA256"),
              (b"combine_out_trade_no", otn), (b"nonce_str", nonce)]
    fields.append((b"sign", ref_sign(fields, key)))
    return b"<xml>" + b"".join(b"<" + k + b">" + xml_value(v) + b"</" + k + b">" for k, v in fields) + b"</xml>"


def ref_v3_path(host, otn):
    return check_v3.host_prefix(host) + "/v3/combine-transactions/out-trade-no/" + \
        urllib.parse.quote(otn, safe="*@-_")


def ref_v3_message(path, ts, nonce):
    return ("GET\n%s\n%s\n%s\n\n" % (path, ts, nonce)).encode()


# ------------------------------------------------------------ generators --

def gen_text(rng, lo, hi, amp=True):
    """Text of any script, with what JSON and XML escape; amp: may hold
    '&' and '=' (never "&trade_state=" and the like: such an answer is
    refused as ambiguous, a rule of its own)."""
    pool = ALNUM + " .,:;!?-_+()[]{}#%$^*~`|/\\\"'<>" + ("&=" if amp else "")
    out = []
    for _ in range(rng.randint(lo, hi)):
        r = rng.random()
        if r < 0.6:
            out.append(rng.choice(pool))
        elif r < 0.85:
            out.append(rng.choice("深圳分店腾讯充值中心会员订单已支付退款商品"))
        elif r < 0.95:
            out.append(rng.choice(["\U0001F600", "\u20ac", "\u00e9", "\U0001F4B0"]))
        else:
            out.append(rng.choice("\t\n"))
    return "".join(out)


def gen_amount(rng):
    r = rng.random()
    if r < 0.1:
        return rng.choice([0, 1, 2 ** 31, 2 ** 53 + 1, 2 ** 63 - 1])
    return rng.randint(1, 10 ** rng.randint(1, 9))


def gen_promotion(rng, depth=0):
    """Nested objects and arrays a sub-order may carry (skipped, unknown)."""
    d = {"coupon_id": str(rng.randint(1, 10 ** 9)), "amount": gen_amount(rng),
         "scope": rng.choice(["GLOBAL", "SINGLE"]), "type": rng.choice(["CASH", "NOCASH"])}
    if depth < 3 and rng.random() < 0.4:  # now and then past 16 levels, to be refused
        d["goods_detail"] = [{"goods_id": "M%d" % rng.randint(1, 9999), "quantity": rng.randint(1, 9),
                              "unit_price": gen_amount(rng), "discount_amount": rng.randint(0, 99),
                              "goods_remark": gen_text(rng, 0, 8), "x": [1.5, -2e3, True, None,
                                                                         gen_promotion(rng, depth + 1)]}
                             for _ in range(rng.randint(0, 3))]
    return d


def gen_v2_sub(rng, order_state):
    """One order_list entry with the page's members, some left out, plus
    members this library does not know. Returns (dict, expected row)."""
    s = {}
    keys = ["mchid", "trade_type", "attach", "amount", "transaction_id", "out_trade_no", "goods_tag",
            "description", "promotion_detail"]
    rng.shuffle(keys)
    for k in keys:
        if k in ("mchid", "out_trade_no"):
            s[k] = gen_id(rng, "mchid").decode() if k == "mchid" else gen_order_no(rng).decode()
        elif rng.random() < 0.2:
            continue  # an optional member left out
        elif rng.random() < 0.05:
            s[k] = None  # null: as if absent
        elif k == "amount":
            a = {}
            if rng.random() < 0.9:
                a["total_amount"] = gen_amount(rng)
            if rng.random() < 0.9:
                a["currency"] = "CNY"
            if rng.random() < 0.2:
                a["payer_amount"] = gen_amount(rng)
            s[k] = a
        elif k == "transaction_id":
            s[k] = "42000" + "".join(rng.choice("0123456789") for _ in range(23))
        elif k == "trade_type":
            s[k] = rng.choice(["JSAPI", "NATIVE", "APP", "MWEB"])
        elif k == "promotion_detail":
            s[k] = gen_promotion(rng) if rng.random() < 0.7 else [gen_promotion(rng)]
        else:
            s[k] = gen_text(rng, 0, 24)
    if rng.random() < 0.15:
        s["trade_state"] = rng.choice(TRADE_STATES)
    return s, expect_sub(s, order_state, v3=False)


def expect_sub(s, order_state, v3):
    def g(d, k):
        v = d.get(k) if isinstance(d, dict) else None
        return v
    a = g(s, "amount") or {}
    st = g(s, "trade_state") or ("" if v3 else order_state)
    row = [g(s, "mchid") or "", g(s, "sub_mchid") or "", g(s, "out_trade_no") or "", st,
           g(s, "transaction_id") or "", g(s, "trade_type") or "", g(a, "currency") or "",
           g(s, "success_time") or "", g(s, "attach") or "", state_id(st),
           a.get("total_amount") if a.get("total_amount") is not None else -1,
           a.get("payer_amount") if a.get("payer_amount") is not None else -1]
    return row


def gen_v2_answer(rng, key):
    """A signed SUCCESS query answer: (fields as (name, value) pairs, the
    request (appid, mchid, otn), the expected order)."""
    appid = gen_id(rng, "appid").decode()
    mchid = gen_id(rng, "mchid").decode()
    otn = gen_order_no(rng).decode()
    state = rng.choice(TRADE_STATES)
    subs, rows = [], []
    for _ in range(rng.randint(1, 10)):
        s, row = gen_v2_sub(rng, state)
        subs.append(s)
        rows.append(row)
    r = rng.random()
    if r < 0.5:
        text = json.dumps({"order_num": len(subs), "order_list": subs}, ensure_ascii=False,
                          separators=(",", ":"))
    elif r < 0.8:
        text = json.dumps({"order_list": subs, "order_num": len(subs)}, ensure_ascii=True)
    else:
        text = json.dumps({"order_num": len(subs), "order_list": subs, "new": {"x": [1, {}]}},
                          ensure_ascii=False, indent=rng.choice([1, 2, "\t"]))
    f = [("return_code", "SUCCESS"), ("return_msg", rng.choice(["OK", "", "成功"])),
         ("combine_appid", appid), ("combine_mch_id", mchid),
         ("nonce_str", "".join(rng.choice(ALNUM) for _ in range(32))),
         ("result_code", "SUCCESS")]
    opt = [("device_info", gen_text(rng, 1, 16, amp=False)), ("combine_openid", "o" + gen_id(rng, "appid").decode()),
           ("combine_out_trade_no", otn), ("trade_state", state),
           ("trade_state_desc", gen_text(rng, 0, 20, amp=False)), ("sub_order_list", text)]
    for kv in opt:
        if kv[0] in ("device_info", "combine_openid") and rng.random() < 0.3:
            continue
        f.append(kv)
    if rng.random() < 0.2:
        f.append(("zz_new_field", gen_text(rng, 1, 10, amp=False)))
    if rng.random() < 0.2:
        rng.shuffle(f)
    d = dict(f)
    order = [appid, mchid, otn, d.get("combine_openid", ""), d.get("device_info", ""), state,
             d.get("trade_state_desc", ""), state_id(state), len(subs)]
    return f, (appid, mchid, otn), order, rows


def signed(fields, key):
    return fields + [("sign", ref_sign([(k.encode(), v.encode()) for k, v in fields], key).decode())]


def ambiguous(fields):
    for k, v in fields:
        if k in DECIDING and ("&" in v or "=" in v):
            return True
        if any("&" + d + "=" in v for d in NAMED):
            return True
    return False


def tamper_json_amount(text, rng):
    """sub_order_list with one sub-order's total_amount changed (None when
    no sub-order has one)."""
    doc = json.loads(text)
    have = [s for s in doc["order_list"] if isinstance(s.get("amount"), dict) and
            isinstance(s["amount"].get("total_amount"), int)]
    if not have:
        return None
    s = rng.choice(have)
    s["amount"]["total_amount"] += rng.choice([1, -1, 10, 100]) if s["amount"]["total_amount"] > 100 else 1
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":"))


def tamper_tx(text, rng):
    doc = json.loads(text)
    have = [s for s in doc["order_list"] if isinstance(s.get("transaction_id"), str) and s["transaction_id"]]
    if not have:
        return None
    s = rng.choice(have)
    t = s["transaction_id"]
    i = rng.randrange(len(t))
    s["transaction_id"] = t[:i] + rng.choice([c for c in "0123456789" if c != t[i]]) + t[i + 1:]
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":"))


def decode_order(parts, hexed=True):
    """The driver's order columns: 7 strings, state, count, then 12 per sub-order."""
    def s(x):
        return bytes.fromhex(x).decode("utf-8", "backslashreplace") if hexed else x
    top = [s(x) for x in parts[:7]] + [int(parts[7]), int(parts[8])]
    rows = []
    rest = parts[9:]
    for i in range(0, len(rest), 12):
        r = rest[i:i + 12]
        if len(r) < 12:
            return top, None
        rows.append([s(x) for x in r[:9]] + [int(r[9]), int(r[10]), int(r[11])])
    return top, rows


# ------------------------------------------------------------------ main --

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--driver", required=True)
    ap.add_argument("--v3driver")
    ap.add_argument("--keys")
    ap.add_argument("--v3-skip")
    ap.add_argument("--node-modules")
    ap.add_argument("--node-skip")
    ap.add_argument("--seed", type=int, default=int(os.environ.get("CROSSCHECK_SEED", DEFAULT_SEED)))
    ap.add_argument("--scale", type=float, default=float(os.environ.get("CROSSCHECK_SCALE", "1") or 1))
    ap.add_argument("--failures")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    rep = Report(args.failures)
    count = lambda n: max(1, int(n * args.scale))  # noqa: E731
    use_node = bool(not args.node_skip and args.node_modules)
    print("crosscheck query: seed %d" % args.seed, flush=True)
    node_reqs, node_checks = [], []

    def ask_node(r, cb):
        node_checks.append((len(node_reqs), cb))
        node_reqs.append(r)

    # ---- APIv2: the request ----
    reqs = []
    for _ in range(count(300)):
        key = gen_key(rng)
        reqs.append({"key": key, "appid": gen_id(rng, "appid"), "mchid": gen_id(rng, "mchid"),
                     "otn": gen_order_no(rng), "nonce": gen_nonce(rng)})
    lines = ["\t".join(["Q", hx(r["key"]), hx(r["appid"]), hx(r["mchid"]), hx(r["otn"]), hx(r["nonce"])])
             for r in reqs]

    # ---- APIv2: answers, signed here (several XML styles) and by Node ----
    answers = []  # (family, key, body, req, order, rows, want_err)
    for _ in range(count(300)):
        key = gen_key(rng)
        f, req, order, rows = gen_v2_answer(rng, key)
        f = signed(f, key)
        want = "AMBIGUOUS" if ambiguous(f) else \
            "JSON" if json_depth(json.loads(dict(f)["sub_order_list"])) > JSON_DEPTH else "OK"
        answers.append(("query_parse_accepts_python_signed_answers", key, Ser(rng).document(f), req, order,
                        rows, want, f))
    lines += ["\t".join(["R", hx(k), hx(q[0]), hx(q[1]), hx(q[2]), hx(b)])
              for _, k, b, q, _, _, _, _ in answers]

    # tampered copies of the Python-signed ones
    tampered = []  # (family, key, body, req, how)
    for fam, key, body, req, order, rows, want, f in answers:
        if want != "OK":
            continue
        names = [k for k, _ in f]
        # a field's value (any but the echo, which has rules of its own)
        cand = [i for i, (k, v) in enumerate(f) if k in ("trade_state", "trade_state_desc", "device_info",
                                                          "combine_openid", "return_msg", "nonce_str",
                                                          "zz_new_field")]
        i = rng.choice(cand)
        k, v = f[i]
        nv = rng.choice([x for x in TRADE_STATES if x != v]) if k == "trade_state" else v + rng.choice(["x", "中"])
        g = list(f)
        g[i] = (k, nv)
        tampered.append(("query_parse_refuses_a_changed_field", key, Ser(rng).document(g), req, "%s -> %r" % (k, nv)))
        g = list(f)
        si = names.index("sign")
        s = g[si][1]
        j = rng.randrange(64)
        g[si] = ("sign", s[:j] + rng.choice([c for c in "0123456789ABCDEF" if c != s[j]]) + s[j + 1:])
        tampered.append(("query_parse_refuses_a_changed_sign", key, Ser(rng).document(g), req, "sign digit %d" % j))
        li = names.index("sub_order_list")
        for fam2, fn in (("query_parse_refuses_a_changed_nested_amount", tamper_json_amount),
                         ("query_parse_refuses_a_changed_transaction_id", tamper_tx)):
            t = fn(f[li][1], rng)
            if t is None:
                continue
            g = list(f)
            g[li] = ("sub_order_list", t)
            tampered.append((fam2, key, Ser(rng).document(g), req, short(t, 200)))
    lines += ["\t".join(["R", hx(k), hx(q[0]), hx(q[1]), hx(q[2]), hx(b)]) for _, k, b, q, _ in tampered]

    # Node: the same requests through its v2 formatter, answers signed by it
    node_answers = []
    if use_node:
        for r in reqs:
            if not node_safe(r["nonce"]):  # the SDK puts a ' in CDATA, and does not split ]]>
                continue
            try:
                [r[x].decode("utf-8") for x in ("appid", "mchid", "otn", "nonce")]
            except UnicodeDecodeError:
                continue
            r["node"] = True
            ask_node({"op": "qbuild", "key": r["key"].hex(), "appid": r["appid"].decode(),
                      "mchid": r["mchid"].decode(), "otn": r["otn"].decode(), "nonce": r["nonce"].decode()},
                     lambda a, r=r: r.__setitem__("node_body", a.get("body", "ERROR " + a.get("error", ""))))
        for _ in range(count(200)):
            key = gen_key(rng)
            f, req, order, rows = gen_v2_answer(rng, key)
            # the SDK's XML writer: no "]]>" split, and values with ' go in CDATA
            f = [(k, v.replace("]]>", "]] >")) for k, v in f]
            if ambiguous(f):
                continue
            entry = {"key": key, "fields": f, "req": req, "order": order, "rows": rows}
            node_answers.append(entry)
            ask_node({"op": "v2answer", "key": key.hex(), "fields": [list(x) for x in f]},
                     lambda a, e=entry: e.update(node=a))

    # ---- APIv3 ----
    v3 = args.v3driver and not args.v3_skip
    v3_reqs, v3_answers = [], []
    if v3:
        check_v3.make_keys(args.keys, random.Random(args.seed))
        K = lambda f: os.path.join(args.keys, f)  # noqa: E731
        merchant_keys = [K("m2048.key"), K("m4096.key"), K("m2048_pkcs1.key")]
        merchant_pubs = [K("m2048_pub.pem"), K("m4096_pub.pem"), K("m2048_pub.pem")]
        numbers = {p: check_v3.public_numbers(p) for p in set(merchant_pubs)}
        with open(K("platform.serial")) as fh:
            pserial = fh.read().strip()
        v3argv = [args.v3driver] + merchant_keys + ["--", K("platform.pem"), "--", check_v3.PUB_KEY_ID,
                                                    K("pubmode_pub.pem")]
        for _ in range(count(300)):
            r = rng.random()
            v3_reqs.append({"key": 0 if r < 0.6 else 1 if r < 0.8 else 2, "mchid": gen_id(rng, "mchid").decode(),
                            "serial": check_v3.gen_serial(rng), "otn": check_v3.gen_order_no(rng),
                            "nonce": check_v3.gen_nonce(rng), "ts": rng.randint(1500000000, 2000000000),
                            "host": check_v3.gen_host(rng)})
        now0 = 1795000000
        for _ in range(count(300)):
            mchid = gen_id(rng, "mchid").decode()
            otn = check_v3.gen_order_no(rng)
            appid = gen_id(rng, "appid").decode()
            subs = []
            for _ in range(rng.randint(1, rng.choice([2, 10, 50]))):
                s = {"mchid": gen_id(rng, "mchid").decode(), "trade_state": rng.choice(TRADE_STATES + ["NEW_STATE"]),
                     "out_trade_no": check_v3.gen_order_no(rng)}
                if rng.random() < 0.8:
                    s["trade_type"] = rng.choice(["JSAPI", "NATIVE", "APP", "MWEB"])
                if rng.random() < 0.5:
                    s["bank_type"] = "CMC"
                if rng.random() < 0.7:
                    s["attach"] = gen_text(rng, 0, 30)
                if rng.random() < 0.7:
                    s["success_time"] = "2018-06-08T10:34:56+08:00"
                if rng.random() < 0.7:
                    s["transaction_id"] = "42000" + "".join(rng.choice("0123456789") for _ in range(23))
                if rng.random() < 0.5:
                    s["sub_mchid"] = gen_id(rng, "mchid").decode()
                if rng.random() < 0.9:
                    a = {"total_amount": gen_amount(rng), "currency": "CNY"}
                    if rng.random() < 0.7:
                        a["payer_amount"] = gen_amount(rng)
                        a["payer_currency"] = "CNY"
                    s["amount"] = a
                if rng.random() < 0.2:
                    s["promotion_detail"] = [gen_promotion(rng)]
                items = list(s.items())
                rng.shuffle(items)
                subs.append(dict(items))
            doc = {"combine_appid": appid, "combine_mchid": mchid, "combine_out_trade_no": otn, "sub_orders": subs}
            if rng.random() < 0.7:
                doc["scene_info"] = {"device_id": gen_text(rng, 1, 12)}
            if rng.random() < 0.7:
                doc["combine_payer_info"] = {"openid": "o" + gen_id(rng, "appid").decode()}
            if rng.random() < 0.2:
                doc["new_member"] = gen_promotion(rng)
            items = list(doc.items())
            rng.shuffle(items)
            doc = dict(items)
            r = rng.random()
            body = (json.dumps(doc, ensure_ascii=False, separators=(",", ":")) if r < 0.5 else
                    json.dumps(doc, ensure_ascii=True) if r < 0.8 else
                    json.dumps(doc, ensure_ascii=False, indent=rng.choice([1, 2, "\t"]))).encode()
            escaped = rng.random() < 0.15  # names any JSON writer may escape (RFC 8259 section 7)
            if escaped:
                for name in (b"transaction_id", b"total_amount", b"out_trade_no", b"combine_appid"):
                    body = body.replace(b'"' + name + b'"', b'"' + name.replace(b"_", b"\\u005f", 1) + b'"')
            ts = now0 + rng.randint(-10 ** 6, 10 ** 6)
            pubmode = rng.random() < 0.25
            order = [appid, mchid, otn, doc.get("combine_payer_info", {}).get("openid", ""),
                     doc.get("scene_info", {}).get("device_id", ""), "", "", 0, len(subs)]
            v3_answers.append({"doc": doc, "body": body, "escaped": escaped, "ts": str(ts), "now": ts + rng.randint(-300, 300),
                               "nonce": "".join(rng.choice(ALNUM) for _ in range(32)),
                               "serial": check_v3.PUB_KEY_ID if pubmode else pserial,
                               "key": K("pubmode.key") if pubmode else K("platform.key"),
                               "req_appid": appid if rng.random() < 0.5 else None,
                               "order": order, "rows": [expect_sub(s, "", v3=True) for s in subs],
                               "by": "node" if use_node and rng.random() < 0.8 else "openssl"})
        if not use_node:
            v3_answers = v3_answers[:count(80)]  # openssl signs each in its own process
        by_key = {}
        for a in v3_answers:
            if a["by"] == "openssl":
                by_key.setdefault(a["key"], []).append(a)
        for key, group in by_key.items():
            sigs = check_v3.openssl_sign_many(key, [("%s\n%s\n" % (a["ts"], a["nonce"])).encode() + a["body"] + b"\n"
                                                    for a in group])
            for a, s in zip(group, sigs):
                a["sig"] = base64.b64encode(s).decode()

    # the v3 GETs first: Node needs their signatures
    v3_built = []
    if v3:
        glines = ["\t".join(["G", hx(str(r["key"])), hx(r["mchid"]), hx(r["serial"]), hx(r["otn"]), hx(r["nonce"]),
                             hx(str(r["ts"])), hx(r["host"])]) for r in v3_reqs]
        rc, gans, err = check_v3.run_driver(v3argv, glines)
        if rc != 0 or len(gans) != len(glines):
            print("FAIL v3_query_driver_runs: exit %d, %d answers for %d; stderr: %s" % (
                rc, len(gans), len(glines), err.strip()[-300:]))
            gans += ["DRIVER_DIED"] * (len(glines) - len(gans))
        for r, a in zip(v3_reqs, gans):
            t = a.split("\t")
            if len(t) != 4 or t[0] != "OK":
                rep.case("v3_query_build_accepts_valid_requests", False, "driver answered %r" % a[:200], json.dumps(r))
                continue
            rep.case("v3_query_build_accepts_valid_requests", True)
            path, msg, auth = (bytes.fromhex(x).decode("utf-8") for x in t[1:])
            msg = msg.encode()
            want_path = ref_v3_path(r["host"], r["otn"])
            rep.case("v3_query_path_matches_python_reference", path == want_path,
                     "path %r, want %r" % (path, want_path), json.dumps(r))
            want_msg = ref_v3_message(want_path, r["ts"], r["nonce"])
            rep.case("v3_query_message_has_an_empty_body_line", msg == want_msg,
                     "message %r, want %r" % (msg[:200], want_msg[:200]), json.dumps(r))
            sig_b64 = auth.rsplit('signature="', 1)[-1].rstrip('"')
            want_auth = check_v3.ref_authorization(r["mchid"], r["serial"], r["ts"], r["nonce"], sig_b64)
            rep.case("v3_query_authorization_matches_python_reference", auth == want_auth,
                     "Authorization %r, want %r" % (auth[:160], want_auth[:160]), json.dumps(r))
            try:
                sig = base64.b64decode(sig_b64, validate=True)
            except ValueError:
                sig = b""
            rep.case("v3_query_signature_verifies_with_python_rsa",
                     check_v3.rsa_verify(numbers[merchant_pubs[r["key"]]], want_msg, sig),
                     "signature %s" % sig_b64[:40], json.dumps(r))
            v3_built.append((r, path, msg, auth, sig_b64))
        sample = v3_built[:count(40)]
        groups = {}
        for i, b in enumerate(sample):
            groups.setdefault(merchant_pubs[b[0]["key"]], []).append(i)
        for pub, idx in groups.items():
            oks = check_v3.openssl_verify_many(pub, [(sample[i][2], base64.b64decode(sample[i][4])) for i in idx],
                                               os.path.join(args.keys, "tmp"))
            for i, ok in zip(idx, oks):
                rep.case("v3_query_signature_verifies_with_openssl_dgst", ok, "openssl refused",
                         json.dumps(sample[i][0]))
        if use_node:
            for r, path, msg, auth, sig_b64 in v3_built:
                def cb(n, r=r, path=path, msg=msg, auth=auth, sig_b64=sig_b64):
                    if "error" in n:
                        rep.case("node_sdk_v3_formatter_request_get_matches_c_message", False, n["error"], json.dumps(r))
                        return
                    rep.case("node_sdk_v3_formatter_request_get_matches_c_message",
                             n["message"].encode("utf-8") == msg, "Node %r" % n["message"][:200], json.dumps(r))
                    rep.case("node_sdk_v3_formatter_authorization_matches_c_query_header", n["authorization"] == auth,
                             "Node %r, C %r" % (n["authorization"][:120], auth[:120]), json.dumps(r))
                    rep.case("node_sdk_v3_rsa_sign_matches_c_query_signature", n["signature"] == sig_b64,
                             "Node %s, C %s" % (n["signature"][:40], sig_b64[:40]), json.dumps(r))
                ask_node({"op": "v3req", "method": "GET", "path": path, "ts": str(r["ts"]), "nonce": r["nonce"],
                          "body": "", "mchid": r["mchid"], "serial": r["serial"], "sig": sig_b64,
                          "keyfile": merchant_keys[r["key"]], "obj": None, "base": "https://api.mch.weixin.qq.com"},
                         cb)
            for a in v3_answers:
                if a["by"] == "node":
                    ask_node({"op": "v3resp", "ts": a["ts"], "nonce": a["nonce"], "body": a["body"].decode("utf-8"),
                              "keyfile": a["key"]}, lambda n, a=a: a.__setitem__("sig", n.get("signature", "")))

    if use_node:
        try:
            nans = run_node(args.node_modules, node_reqs)
            for idx, cb in node_checks:
                cb(nans[idx])
        except (OSError, RuntimeError, subprocess.SubprocessError, ValueError) as e:
            print("FAIL node_sdk_query_oracle_runs: %s" % str(e).replace("\n", " ")[:300])
            use_node = False
            node_answers = []
            v3_answers = [a for a in v3_answers if a["by"] != "node"]
    node_lines = []
    for e in node_answers:
        n = e.get("node", {})
        want_sign = ref_sign([(k.encode(), v.encode()) for k, v in e["fields"]], e["key"]).decode()
        rep.case("node_sdk_hash_sign_matches_python_for_query_answers", n.get("sign") == want_sign,
                 "Node %s, Python %s" % (n.get("sign") or n.get("error"), want_sign))
        if "body" in n:
            e["body"] = n["body"].encode("utf-8")
            node_lines.append(e)
    lines += ["\t".join(["R", hx(e["key"]), hx(e["req"][0]), hx(e["req"][1]), hx(e["req"][2]), hx(e["body"])])
              for e in node_lines]

    # ---- run the v2 driver ----
    rc, ans, err = run_driver(args.driver, lines)
    if rc != 0 or len(ans) != len(lines):
        print("FAIL query_crosscheck_driver_runs: exit %d, %d answers for %d cases; stderr: %s" % (
            rc, len(ans), len(lines), err.strip()[-500:]))
        ans += ["DRIVER_DIED"] * (len(lines) - len(ans))
    at = 0
    for r, a in zip(reqs, ans[at:at + len(reqs)]):
        want = ref_query_body(r["key"], r["appid"], r["mchid"], r["otn"], r["nonce"])
        t = a.split("\t")
        got = bytes.fromhex(t[1]) if len(t) == 2 and t[0] == "OK" else None
        rep.case("query_request_matches_python_reference", got == want,
                 diff_at(want, got) if got is not None else "driver answered %r" % a[:100], repr(r))
        if r.get("node"):
            nb = r.get("node_body", "").encode("utf-8")
            rep.case("node_sdk_v2_formatter_matches_c_query_request", got == nb,
                     diff_at(nb, got) if got is not None else "driver answered %r" % a[:100], repr(r))
    at += len(reqs)

    def judge(fam, a, order, rows, want_err, where):
        t = a.split("\t")
        if len(t) < 13:
            rep.case(fam, False, "driver answered %r" % a[:200], where)
            return
        err, found, verified, outcome = t[0], int(t[1]), int(t[2]), t[3]
        if want_err != "OK":
            rep.case(fam, (err, found, verified, outcome) == (want_err, 0, 0, "none"),
                     "want %s, got %s found %d verified %d outcome %s" % (want_err, err, found, verified, outcome),
                     where)
            return
        top, got_rows = decode_order(t[4:])
        ok = (err, found, verified, outcome) == ("OK", 1, 1, "none") and top == order and got_rows == rows
        why = "got %s found %d verified %d outcome %s" % (err, found, verified, outcome)
        if ok is False and err == "OK":
            why = "order %r want %r" % (top, order) if top != order else \
                "sub-orders %s want %s" % (short(json.dumps(got_rows, ensure_ascii=False), 600),
                                           short(json.dumps(rows, ensure_ascii=False), 600))
        rep.case(fam, ok, why, where)

    for (fam, key, body, req, order, rows, want, f), a in zip(answers, ans[at:at + len(answers)]):
        if want == "JSON":
            fam = "query_parse_refuses_sub_order_list_nested_past_16"
        judge(fam, a, order, rows, want, "key %s body %s" % (key.hex(), short(body, 100000)))
    at += len(answers)
    for (fam, key, body, req, how), a in zip(tampered, ans[at:at + len(tampered)]):
        judge(fam, a, None, None, "SIGNATURE", "%s; key %s body %s" % (how, key.hex(), short(body, 100000)))
    at += len(tampered)
    for e, a in zip(node_lines, ans[at:]):
        deep = json_depth(json.loads(dict(e["fields"])["sub_order_list"])) > JSON_DEPTH
        judge("query_parse_refuses_sub_order_list_nested_past_16" if deep else
              "query_parse_accepts_node_sdk_signed_answers", a, e["order"], e["rows"], "JSON" if deep else "OK",
              "key %s body %s" % (e["key"].hex(), short(e["body"], 100000)))
    if not use_node:
        for n in ("node_sdk_v2_formatter_matches_c_query_request", "node_sdk_hash_sign_matches_python_for_query_answers",
                  "query_parse_accepts_node_sdk_signed_answers", "node_sdk_v3_formatter_request_get_matches_c_message",
                  "node_sdk_v3_formatter_authorization_matches_c_query_header",
                  "node_sdk_v3_rsa_sign_matches_c_query_signature", "v3_query_parse_accepts_node_signed_answers"):
            rep.skip(n, args.node_skip or "no --node-modules given")

    # ---- APIv3 answers and their changed copies ----
    if v3:
        cases = []  # (family, answer, headers, body, want)
        for a in v3_answers:
            if not a.get("sig"):
                continue
            h = {"ts": a["ts"], "nonce": a["nonce"], "sig": a["sig"], "serial": a["serial"]}
            fam = "v3_query_parse_accepts_node_signed_answers" if a["by"] == "node" else \
                "v3_query_parse_accepts_openssl_signed_answers"
            if json_depth(a["doc"]) > JSON_DEPTH:
                fam, want0 = "v3_query_parse_refuses_answers_nested_past_16", "JSON"
            else:
                want0 = "OK"
                if a["escaped"]:
                    fam = "v3_query_parse_reads_escaped_member_names"
            cases.append((fam, a, h, a["body"], want0))
            doc = a["doc"]

            def changed(fn):
                d = json.loads(json.dumps(doc))
                if fn(d) is False:
                    return None
                return json.dumps(d, ensure_ascii=False, separators=(",", ":")).encode()

            def value(d):
                s = rng.choice(d["sub_orders"])
                k = rng.choice(["out_trade_no", "mchid", "trade_state"])
                s[k] = s[k] + "1" if k != "trade_state" else rng.choice([x for x in TRADE_STATES if x != s[k]])

            def amount(d):
                have = [s for s in d["sub_orders"] if "amount" in s]
                if not have:
                    return False
                s = rng.choice(have)
                s["amount"]["total_amount"] += 1

            def tx(d):
                have = [s for s in d["sub_orders"] if "transaction_id" in s]
                if not have:
                    return False
                s = rng.choice(have)
                t = s["transaction_id"]
                i = rng.randrange(len(t))
                s["transaction_id"] = t[:i] + rng.choice([c for c in "0123456789" if c != t[i]]) + t[i + 1:]

            for fam2, fn in (("v3_query_parse_refuses_a_changed_member", value),
                             ("v3_query_parse_refuses_a_changed_nested_amount", amount),
                             ("v3_query_parse_refuses_a_changed_transaction_id", tx)):
                b = changed(fn)
                if b is not None:
                    cases.append((fam2, a, h, b, "SIGNATURE"))
            sig = bytearray(base64.b64decode(a["sig"]))
            i = rng.randrange(len(sig))
            sig[i] ^= 1 << rng.randrange(8)
            cases.append(("v3_query_parse_refuses_a_changed_wechatpay_signature", a,
                          dict(h, sig=base64.b64encode(bytes(sig)).decode()), a["body"], "SIGNATURE"))
        qlines = ["\t".join(["Q", hx("200"), hx(h["ts"]), hx(h["nonce"]), hx(h["sig"]), hx(h["serial"]), hx(body),
                             hx(str(a["now"])), hx(a["order"][1]), hx(a["order"][2]), hx(a["req_appid"])])
                  for _, a, h, body, _ in cases]
        rc, qans, err = check_v3.run_driver(v3argv, qlines)
        if rc != 0 or len(qans) != len(qlines):
            print("FAIL v3_query_driver_runs: exit %d, %d answers for %d; stderr: %s" % (
                rc, len(qans), len(qlines), err.strip()[-300:]))
            qans += ["DRIVER_DIED"] * (len(qlines) - len(qans))
        for (fam, a, h, body, want), got in zip(cases, qans):
            where = "headers %r now %d body %s" % (h, a["now"], short(body, 4000))
            t = got.split("\t")
            if len(t) < 13:
                rep.case(fam, False, "driver answered %r" % got[:200], where)
                continue
            err, found, verified, outcome = t[0], int(t[1]), int(t[2]), t[3]
            if want != "OK":
                rep.case(fam, (err, found, verified, outcome) == (want, 0, 0, "none"),
                         "want %s, got %s found %d verified %d outcome %s" % (want, err, found, verified, outcome),
                         where)
                continue
            top, rows = decode_order(t[4:])
            ok = (err, found, verified, outcome) == ("OK", 1, 1, "none") and top == a["order"] and rows == a["rows"]
            why = "got %s found %d verified %d outcome %s" % (err, found, verified, outcome)
            if err == "OK" and not ok:
                why = "order %r want %r" % (top, a["order"]) if top != a["order"] else \
                    "sub-orders %s want %s" % (short(json.dumps(rows, ensure_ascii=False), 600),
                                               short(json.dumps(a["rows"], ensure_ascii=False), 600))
            rep.case(fam, ok, why, where)
    else:
        for n in ("v3_query_build_matches_python_reference_node_sdk_and_openssl",
                  "v3_query_parse_accepts_signed_answers"):
            rep.skip(n, args.v3_skip or "no --v3driver given")

    rep.finish()
    return 0


if __name__ == "__main__":
    sys.exit(main())
