#!/usr/bin/env python3
"""Writes the committed seed corpus of tests/fuzz/ (run from the repo root:
python3 tests/fuzz/make_seeds.py). Signed seeds use the harnesses' key and
ids (fuzz_common.h), signed here with Python's hmac, independently of the C
code. The files are committed; rerun only to change them."""
import hashlib
import hmac
import os
import struct

KEY = "192006250b4c09247ec02edce69f6a2d"
APPID = "wx8888888888888888"
MCHID = "1900000109"
NONCE = "5K8264ILTKCH16CQ2502SI8ZNMTM67VS"
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "seeds")


def sign(fields, key=KEY):
    kept = sorted((k, v) for k, v in fields if v != "" and k != "sign")
    s = "&".join("%s=%s" % kv for kv in kept) + "&key=" + key
    return hmac.new(key.encode(), s.encode(), hashlib.sha256).hexdigest().upper()


def cdata(v):
    return "<![CDATA[" + v.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def xml(fields, wrap=cdata):
    return "<xml>" + "".join("<%s>%s</%s>" % (k, wrap(v), k) for k, v in fields) + "</xml>"


def signed(fields):
    return fields + [("sign", sign(fields))]


def base(result="SUCCESS", **extra):
    f = [("return_code", "SUCCESS"), ("return_msg", "OK"), ("combine_appid", APPID),
         ("combine_mch_id", MCHID), ("nonce_str", NONCE), ("result_code", result)]
    for k, v in extra.items():
        f.append((k, v))
    return f


def write(sub, name, data):
    d = os.path.join(ROOT, sub)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as fh:
        fh.write(data.encode() if isinstance(data, str) else data)


responses = {
    "closed.xml": xml(signed(base())),
    "closed_plain_text.xml": xml(signed(base()), wrap=lambda v: v),
    "orderpaid.xml": xml(signed(base("FAIL", err_code="ORDERPAID", err_code_des="订单已支付"))),
    "orderclosed.xml": xml(signed(base("FAIL", err_code="ORDERCLOSED", err_code_des="订单已关闭"))),
    "ordernotexist.xml": xml(signed(base("FAIL", err_code="ORDERNOTEXIST", err_code_des="x"))),
    "systemerror.xml": xml(signed(base("FAIL", err_code="SYSTEMERROR", err_code_des="系统错误"))),
    "extrafield.xml": xml(signed(base(zz_new_field="1"))),
    "return_fail_unsigned.xml": "<xml><return_code><![CDATA[FAIL]]></return_code>"
                                "<return_msg><![CDATA[签名错误]]></return_msg></xml>",
    "md5_sign.xml": xml(base() + [("sign", hashlib.md5(b"x").hexdigest().upper())]),
    "declaration_ws.xml": '\ufeff<?xml version="1.0" encoding="UTF-8"?>\r\n<xml>\r\n  ' +
                          "\r\n  ".join("<%s>%s</%s>" % (k, v.replace("&", "&amp;"), k)
                                        for k, v in signed(base())) + "\r\n</xml>\r\n",
    "entities_charrefs.xml": xml(signed(base(return_msg_x="a<b>&\"'\u00e9\U0001F600]]>")),
                                 wrap=lambda v: v.replace("&", "&amp;").replace("<", "&lt;")
                                 .replace(">", "&#x3E;").replace("\U0001F600", "&#128512;")),
    "empty_elements.xml": xml(signed(base(device_info=""))).replace(
        "<device_info><![CDATA[]]></device_info>", "<device_info/>"),
}
for name, body in responses.items():
    write("parse", name, body)
    write("xml", name, body)

hostile_xml = {
    "doctype_xxe.xml": '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
                       "<xml><return_code>&x;</return_code></xml>",
    "nested.xml": "<xml><a><b>1</b></a></xml>",
    "attribute.xml": '<xml><return_code a="1">SUCCESS</return_code></xml>',
    "comment_pi.xml": "<xml><!-- c --><a>1<!--x-->2</a><?pi x?></xml>",
    "cdata_split.xml": "<xml><a><![CDATA[]]]]><![CDATA[>]]></a></xml>",
    "unterminated_cdata.xml": "<xml><a><![CDATA[abc</a></xml>",
    "duplicate.xml": "<xml><sign>A</sign><sign>B</sign></xml>",
    "empty_root.xml": "<xml/>",
}
for name, body in hostile_xml.items():
    write("xml", name, body)


def build_seed(flags, count, cap, work, age, strings):
    head = struct.pack("<BBHHB", flags, count, cap, work, (age + 128) & 0xFF)
    return head + b"\0".join(s.encode() if isinstance(s, str) else s for s in strings)


subs = ["1900009001", "OD201708030001"]
write("build", "seed_example_nonce", build_seed(
    2, 1, 0xFFFF, 0xFFFF, 0, [APPID, MCHID, "1217752501201407033233368018", "ibuaiVcKdpRxkhJA"] + subs))
write("build", "random_nonce_close", build_seed(
    64 | 1, 1, 500, 0xFFFF, 0, [APPID, MCHID, "1217752501201407033233368018"] + subs))
write("build", "json_given", build_seed(
    2 | 4, 0, 300, 900, 0, [APPID, MCHID, "OD1", "n0nce",
                            '[{"mchid":"1900009001","out_trade_no":"OD201708030001"}]']))
write("build", "ten_subs_clocked", build_seed(
    32 | 64, 10, 1200, 3000, 90, [APPID, MCHID, "A-B_C|D*E@F"] +
    sum([["19000090%02d" % i, "OD%d" % i] for i in range(10)], [])))
write("build", "too_early", build_seed(
    32 | 64, 1, 100, 100, 10, [APPID, MCHID, "OD1"] + subs))
# ids are digits (merchant) or letters and digits (appid): what XML quotes
# and CDATA splits reaches the body through the nonce and the caller's JSON
write("build", "odd_nonce", build_seed(
    2 | 64, 2, 700, 2000, 0, ["wxABC123", "19", "x", 'N<&">]]>\'!'] + ["1", "o", "2", "q|*@-_"]))
write("build", "odd_json", build_seed(
    2 | 4 | 64, 0, 700, 2000, 0, [APPID, MCHID, "OD1", "n", '["x]]>y]]]>z","a\\/b<&>"]']))
# the old odd ids: refused now, each for its own field
write("build", "odd_ids_refused", build_seed(
    2 | 64, 2, 700, 2000, 0, ['wx<&">]]>', "a/b\\c\"d", "x", "N]]>"] + ["m]]>/", "o", "p", "q"]))
write("build", "sub_mchid_with_colon_refused", build_seed(
    2, 2, 700, 0, 0, [APPID, MCHID, "OD1", "n", "1900009001", "OD1", "1900009001:OD1", "x"]))
write("build", "key_from_input", build_seed(
    8 | 2, 1, 400, 0, 0, ["0123456789abcdef0123456789ABCDEF", APPID, MCHID, "o", "n"] + subs))
write("build", "random_fails", build_seed(16, 1, 400, 0, 0, [APPID, MCHID, "o"] + subs))

# fuzz_v3: byte 0 the status (0: 204), byte 1 the signature mode (1: valid),
# then the body. A validly signed ORDER_PAID body relabelled as 204 (issue 11
# item 3): STATUS_BODY, never CLOSED.
write("v3", "signed_204_with_body", b"\x00\x01" + b'{"code":"ORDER_PAID","message":"paid"}')

# ---- the queries (fuzz_query, fuzz_v3query), from the query pages' fields ----
# fuzz_query: byte 0 = trade_state index | XML style << 3 | room index << 5,
# byte 1 bit 0 = raw body (else the rest is sub_order_list, wrapped and
# signed by the target), bit 1 = unknown fields, bit 2 = client_init.
import json  # noqa: E402

PAID_SUB = {"mchid": "1900009001", "trade_type": "JSAPI", "attach": "深圳分店",
            "amount": {"total_amount": 10, "currency": "CNY"},
            "transaction_id": "4200000123201708030000000001", "out_trade_no": "OD201708030001",
            "goods_tag": "", "description": "腾讯充值中心-QQ会员充值",
            "promotion_detail": {"coupon_id": "109519", "amount": 5,
                                 "goods_detail": [{"goods_id": "M1006", "quantity": 1,
                                                   "unit_price": 100, "discount_amount": 1}]}}


def v2_list(subs, num=None):
    return json.dumps({"order_num": len(subs) if num is None else num, "order_list": subs},
                      ensure_ascii=False, separators=(",", ":"))


def q(b0, b1, text):
    return bytes([b0, b1]) + (text.encode() if isinstance(text, str) else text)


query_seeds = {
    "paid_one": q(0, 0, v2_list([PAID_SUB])),
    "paid_two_cdata_unknown_fields": q(1 << 3, 2, v2_list([PAID_SUB, dict(PAID_SUB, out_trade_no="OD2",
                                                                          mchid="1900009002")])),
    "refund_pieces_style": q(1 | 2 << 3, 4, v2_list([PAID_SUB])),
    "notpay_noise_style": q(2 | 3 << 3, 0, v2_list([{"mchid": "1900009001", "out_trade_no": "OD1",
                                                     "amount": {"total_amount": 10}}])),
    "own_trade_state_and_nulls": q(4, 0, v2_list([{"mchid": "1", "out_trade_no": "O1", "trade_state": "SUCCESS",
                                                   "transaction_id": None, "amount": None}])),
    "escapes_and_cjk": q(0, 0, '{"order_num":1,"order_list":[{"mchid":"19\\u0030","out_trade_no":"O\\/1",'
                               '"attach":"\\ud83d\\ude00 \\u4e2d\\t\\"x\\"","amount":{"currency":"CNY",'
                               '"total_amount":9223372036854775807}}]}'),
    "order_num_mismatch": q(0, 0, v2_list([PAID_SUB], num=2)),
    "duplicate_member": q(0, 0, '{"order_num":1,"order_list":[{"mchid":"1","mchid":"2","out_trade_no":"O"}]}'),
    "amount_overflow": q(0, 0, '{"order_num":1,"order_list":[{"mchid":"1","out_trade_no":"O",'
                               '"amount":{"total_amount":9223372036854775808}}]}'),
    "amount_negative_float": q(0, 0, '{"order_num":1,"order_list":[{"mchid":"1","out_trade_no":"O",'
                                     '"amount":{"total_amount":-1,"payer_amount":1.5}}]}'),
    "deep_16_unknown": q(0, 0, '{"order_num":0,"order_list":[],"x":' + "[" * 15 + "]" * 15 + "}"),
    "deep_17_refused": q(0, 0, '{"order_num":0,"order_list":[],"x":' + "[" * 16 + "]" * 16 + "}"),
    "more_than_room": q(6 << 5, 0, v2_list([{"mchid": "1", "out_trade_no": "O%d" % i} for i in range(3)])),
    "truncated": q(0, 0, v2_list([PAID_SUB])[:-7]),
    "wrong_kind": q(0, 0, '{"order_num":"1","order_list":[{"mchid":1,"out_trade_no":"O"}]}'),
}
# raw: a whole answer, signed here
raw_fields = base(combine_out_trade_no="OD1", trade_state="SUCCESS", trade_state_desc="支付成功",
                  sub_order_list=v2_list([PAID_SUB]))
query_seeds["raw_signed_answer"] = q(0, 1, xml(signed(raw_fields)))
query_seeds["raw_orderNotExist"] = q(0, 1, xml(signed(base("FAIL", err_code="ORDERNOTEXIST",
                                                           err_code_des="订单不存在"))))
for name, data in query_seeds.items():
    write("query", name, data)

# fuzz_v3query: byte 0 = status index (0-4: 200, 5: 404, 6: 500, 7: 202)
# | room index << 3 | 0x40 when the request names its combine_appid.
V3_SUB = {"mchid": "1900000109", "trade_type": "JSAPI", "trade_state": "SUCCESS", "bank_type": "CMC",
          "attach": "深圳分店", "success_time": "2015-05-20T13:29:35.120+08:00",
          "transaction_id": "1009660380201506130728806387", "out_trade_no": "20150806125346",
          "sub_mchid": "1230000109",
          "amount": {"total_amount": 100, "currency": "CNY", "payer_amount": 100, "payer_currency": "CNY"}}


def v3_doc(subs, **extra):
    d = {"combine_appid": APPID, "combine_mchid": MCHID, "combine_out_trade_no": "OD1",
         "scene_info": {"device_id": "POS1:1"}, "combine_payer_info": {"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"},
         "sub_orders": subs}
    d.update(extra)
    return json.dumps(d, ensure_ascii=False)


v3_seeds = {
    "paid": bytes([0x40]) + v3_doc([V3_SUB]).encode(),
    "two_subs_notpay": bytes([0]) + v3_doc([V3_SUB, {"mchid": "1900000109", "trade_state": "NOTPAY",
                                                    "out_trade_no": "O2", "amount": {"total_amount": 5}}]).encode(),
    "unknown_members_nested": bytes([0]) + v3_doc([dict(V3_SUB, promotion_detail=[{"a": [1, {"b": None}]}])],
                                                  new_member={"x": [True, False, 1e5]}).encode(),
    "scene_null": bytes([0]) + v3_doc([V3_SUB], scene_info=None).encode(),
    "missing_trade_state": bytes([0]) + v3_doc([{"mchid": "1", "out_trade_no": "O"}]).encode(),
    "other_order": bytes([0]) + v3_doc([V3_SUB], combine_out_trade_no="OD2").encode(),
    "room_of_one": bytes([4 << 3]) + v3_doc([V3_SUB, V3_SUB]).encode(),
    "not_found_404": bytes([5]) + b'{"code":"ORDER_NOT_EXIST","message":"\xe8\xae\xa2\xe5\x8d\x95\xe4\xb8\x8d\xe5\xad\x98\xe5\x9c\xa8"}',
    "system_error_500": bytes([6]) + b'{"code":"SYSTEM_ERROR","message":"busy"}',
    "accepted_202": bytes([7]),
    "escaped_names": bytes([0]) + v3_doc([V3_SUB]).replace('"combine_appid"', '"combine\\u005fappid"').encode(),
    # an empty trade_state: "" (the library may give its own "", not a pointer into the body)
    "empty_trade_state": bytes([0]) + v3_doc([dict(V3_SUB, trade_state="")]).encode(),
    # U+FFFE written as an escape: refused like its UTF-8 form (finding F4)
    "escaped_uFFFE_refused": bytes([0]) + v3_doc([dict(V3_SUB, attach="x")]).replace(
        '"attach": "x"', '"attach": "\\ufffe"').encode(),
    # escaped spellings of optional names (finding F3: read as those members)
    "escaped_optional_names": bytes([0]) + v3_doc([V3_SUB]).replace('"transaction_id"', '"transaction\\u005fid"')
    .replace('"total_amount"', '"total\\u005famount"').encode(),
}
for name, data in v3_seeds.items():
    write("v3query", name, data)
