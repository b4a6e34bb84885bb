#!/usr/bin/env python3
"""Writes tests/hostile/cases/*.xml and tests/hostile/expected.txt.

The committed files are the corpus; this script is how they were made (exact
bytes: NULs, bad UTF-8, BOMs, CRLF). Edit the table below and rerun from the
repo root: python3 tests/hostile/make_cases.py

Signed bodies are signed here with Python's hmac (independently of the C
code) with the key and ids the replayer uses. Each case has the verdict of
wxpay_xml_read() and of wxpay_close_parse() (error names as
wxpay_err_name() prints them, or OK), and optional checks: outcome=NAME,
count=N (fields), FIELD=VALUE (value with \\xNN escapes, \\s for a space).
"""
import hashlib
import hmac
import os

KEY = "192006250b4c09247ec02edce69f6a2d"
APPID = "wx8888888888888888"
MCHID = "1900000109"
NONCE = "5K8264ILTKCH16CQ2502SI8ZNMTM67VS"
HERE = os.path.dirname(os.path.abspath(__file__))
CASES = os.path.join(HERE, "cases")


def sign(fields, key=KEY):
    kept = sorted((k.encode(), v.encode()) for k, v in fields if v != "" and k != "sign")
    s = b"&".join(k + b"=" + v for k, v in kept) + b"&key=" + key.encode()
    return hmac.new(key.encode(), s, hashlib.sha256).hexdigest().upper()


def esc(s):
    """A check value: non-ASCII and blanks as \\xNN (\\s for a space)."""
    out = []
    for b in s.encode("utf-8"):
        if b == 0x20:
            out.append("\\s")
        elif b < 0x21 or b > 0x7E or b == 0x5C:
            out.append("\\x%02X" % b)
        else:
            out.append(chr(b))
    return "".join(out)


def cdata(v):
    return "<![CDATA[" + v.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def plain(v):
    return v.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def base(result="SUCCESS", appid=APPID, mch=MCHID, **extra):
    f = [("return_code", "SUCCESS"), ("return_msg", "OK"), ("combine_appid", appid),
         ("combine_mch_id", mch), ("nonce_str", NONCE), ("result_code", result)]
    f += list(extra.items())
    return f


def signed(fields):
    return fields + [("sign", sign(fields))]


def xml(fields, wrap=cdata, sep="", head="", tail=""):
    inner = sep.join("<%s>%s</%s>" % (k, wrap(v), k) for k, v in fields)
    return head + "<xml>" + sep + inner + sep + "</xml>" + tail


OK_BODY = xml(signed(base()))
FAIL_BODY = ("<xml><return_code><![CDATA[FAIL]]></return_code>"
             "<return_msg><![CDATA[签名错误]]></return_msg></xml>")
INNER = OK_BODY[len("<xml>"):-len("</xml>")]  # the fields of a good body
XXE_VALUE = "<xml><return_code>&xxe;</return_code>" + INNER[INNER.index("<return_msg>"):] + "</xml>"

cases = []  # (file, bytes, xml verdict, parse verdict, checks)


def case(name, body, xml_v, parse_v, *checks):
    data = body.encode("utf-8") if isinstance(body, str) else body
    cases.append((name + ".xml", data, xml_v, parse_v, list(checks)))


# ---- valid, flat: accepted ------------------------------------------------
case("accepts_signed_closed_cdata", OK_BODY, "OK", "OK", "outcome=closed", "count=7")
case("accepts_signed_closed_plain_text", xml(signed(base()), wrap=plain), "OK", "OK",
     "outcome=closed")
case("accepts_unsigned_return_code_fail", FAIL_BODY, "OK", "OK", "outcome=rejected",
     "return_msg=" + esc("签名错误"))
case("accepts_orderpaid_as_paid",
     xml(signed(base("FAIL", err_code="ORDERPAID", err_code_des="订单已支付"))), "OK", "OK",
     "outcome=paid")
case("accepts_orderclosed_as_already_closed",
     xml(signed(base("FAIL", err_code="ORDERCLOSED"))), "OK", "OK", "outcome=already_closed")
case("accepts_systemerror_as_retry", xml(signed(base("FAIL", err_code="SYSTEMERROR"))),
     "OK", "OK", "outcome=retry")
case("accepts_unknown_extra_field_when_signed", xml(signed(base(zz_new="1"))), "OK", "OK",
     "outcome=closed", "zz_new=1")
case("accepts_empty_self_closing_field", xml(signed(base(device_info="x"))).replace(
    "<device_info><![CDATA[x]]></device_info>", "<device_info/>").replace(
    sign(base(device_info="x")), sign(base())), "OK", "OK", "device_info=")
case("accepts_self_closing_root_then_needs_return_code", "<xml/>", "OK", "RESPONSE", "count=0")
case("accepts_cdata_split_around_cdata_end",
     xml(signed(base(return_msg_x="a]]>b"))), "OK", "OK", "return_msg_x=a]]>b")
case("accepts_entities_and_char_refs",
     xml(signed(base(v="<&>\"'\u00e9\U0001F600")),
         wrap=lambda v: v.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&#62;")
         .replace('"', "&quot;").replace("'", "&apos;").replace("\u00e9", "&#xE9;")
         .replace("\U0001F600", "&#x1F600;")),
     "OK", "OK", "v=" + esc("<&>\"'\u00e9\U0001F600"))
case("accepts_comments_between_and_inside_fields",
     OK_BODY.replace("<return_msg>", "<!-- a --><return_msg>").replace(
         "<![CDATA[OK]]>", "<![CDATA[O]]><!-- in -->K"), "OK", "OK", "return_msg=OK")
case("accepts_parameter_entity_syntax_as_plain_text",
     xml(signed(base(v="%p;"))), "OK", "OK", "v=%p;")
case("accepts_chinese_utf8_value",
     xml(signed(base("FAIL", err_code="SYSTEMERROR", err_code_des="系统繁忙，请稍后再试"))),
     "OK", "OK", "outcome=retry")
case("accepts_four_byte_utf8_value", xml(signed(base(v="\U0001F600\U0010FFFD"))), "OK", "OK")
case("accepts_lowercase_hex_sign",
     OK_BODY.replace(sign(base()), sign(base()).lower()), "OK", "OK", "outcome=closed")
# BOM, declaration, whitespace, CRLF
case("accepts_utf8_bom", "\ufeff" + OK_BODY, "OK", "OK", "outcome=closed")
case("accepts_bom_and_declaration",
     '\ufeff<?xml version="1.0" encoding="UTF-8"?>' + OK_BODY, "OK", "OK")
case("accepts_declaration_and_trailing_whitespace",
     '<?xml version="1.0"?>\n' + OK_BODY + "\r\n\t \n", "OK", "OK")
case("accepts_crlf_between_fields", xml(signed(base()), sep="\r\n"), "OK", "OK")
case("accepts_tabs_spaces_between_fields", xml(signed(base()), sep=" \t \n "), "OK", "OK")
case("accepts_space_before_tag_close",
     OK_BODY.replace("<return_code>", "<return_code  \t>").replace("</sign>", "</sign\r\n>")
     .replace("<xml>", "<xml \n>").replace("</xml>", "</xml >"), "OK", "OK")
case("keeps_crlf_and_spaces_inside_values_raw",
     xml(signed(base(v=" a\r\nb\t "))), "OK", "OK", "v=" + esc(" a\r\nb\t "))
case("accepts_declared_encoding_is_ignored_utf8_required",
     '<?xml version="1.0" encoding="GBK"?>' + OK_BODY, "OK", "OK")

# ---- XXE and entities: forbidden ------------------------------------------
case("refuses_xxe_external_system_entity",
     '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
     + XXE_VALUE, "XML_FORBIDDEN", "XML_FORBIDDEN")
case("refuses_xxe_external_public_entity",
     '<!DOCTYPE xml [<!ENTITY xxe PUBLIC "-//x//y" "http://127.0.0.1:1/x.dtd">]>' + XXE_VALUE,
     "XML_FORBIDDEN", "XML_FORBIDDEN")
case("refuses_internal_entity",
     '<!DOCTYPE xml [<!ENTITY xxe "SUCCESS">]>' + XXE_VALUE, "XML_FORBIDDEN", "XML_FORBIDDEN")
case("refuses_parameter_entity",
     '<!DOCTYPE xml [<!ENTITY % p SYSTEM "http://127.0.0.1:1/p.dtd"> %p;]>' + OK_BODY,
     "XML_FORBIDDEN", "XML_FORBIDDEN")
case("refuses_external_dtd",
     '<!DOCTYPE xml SYSTEM "http://127.0.0.1:1/x.dtd">' + OK_BODY, "XML_FORBIDDEN",
     "XML_FORBIDDEN")
case("refuses_billion_laughs",
     '<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
     + "".join(' <!ENTITY lol%d "%s">\n' % (i, ("&lol%d;" % (i - 1) if i > 1 else "&lol;") * 10)
               for i in range(1, 10))
     + ']>\n<xml><return_code>&lol9;</return_code></xml>', "XML_FORBIDDEN", "XML_FORBIDDEN")
case("refuses_undeclared_entity_reference", XXE_VALUE, "XML_FORBIDDEN", "XML_FORBIDDEN")
case("refuses_entity_declaration_without_doctype",
     '<!ENTITY x "y">' + OK_BODY, "XML_FORBIDDEN", "XML_FORBIDDEN")
case("refuses_entity_reference_without_semicolon",
     "<xml><return_code>&amp</return_code></xml>", "XML_FORBIDDEN", "XML_FORBIDDEN")
# DOCTYPE in every position
case("refuses_doctype_first", "<!DOCTYPE xml>" + OK_BODY, "XML_FORBIDDEN", "XML_FORBIDDEN")
case("refuses_doctype_after_declaration", '<?xml version="1.0"?><!DOCTYPE xml>' + OK_BODY,
     "XML_FORBIDDEN", "XML_FORBIDDEN")
case("refuses_doctype_after_bom", "\ufeff<!DOCTYPE xml>" + OK_BODY, "XML_FORBIDDEN",
     "XML_FORBIDDEN")
case("refuses_doctype_after_comment", "<!-- c -->\n<!DOCTYPE xml>" + OK_BODY,
     "XML_FORBIDDEN", "XML_FORBIDDEN")
case("refuses_doctype_inside_root", OK_BODY.replace("<xml>", "<xml><!DOCTYPE xml>"),
     "XML_FORBIDDEN", "XML_FORBIDDEN")
case("refuses_doctype_inside_value",
     OK_BODY.replace("<![CDATA[OK]]>", "O<!DOCTYPE x>K"), "XML_FORBIDDEN", "XML_FORBIDDEN")
case("refuses_doctype_after_root", OK_BODY + "<!DOCTYPE xml>", "XML_FORBIDDEN",
     "XML_FORBIDDEN")
case("accepts_doctype_text_inside_cdata", xml(signed(base(v="<!DOCTYPE x [<!ENTITY y SYSTEM 'file:///etc/passwd'>]>"))),
     "OK", "OK", "v=" + esc("<!DOCTYPE x [<!ENTITY y SYSTEM 'file:///etc/passwd'>]>"))
case("accepts_entity_text_inside_cdata", xml(signed(base(v="&xxe;&#0;"))), "OK", "OK",
     "v=&xxe;&#0;")
case("refuses_utf7_encoded_doctype",
     '<?xml version="1.0" encoding="UTF-7"?>+ADw-!DOCTYPE xml+AD4-' + OK_BODY, "XML", "XML")
case("refuses_doctype_between_fields", OK_BODY.replace("<return_msg>", "<!DOCTYPE x><return_msg>"),
     "XML_FORBIDDEN", "XML_FORBIDDEN")
case("refuses_lowercase_doctype_as_malformed", "<!doctype xml>" + OK_BODY, "XML", "XML")
case("refuses_element_declaration", "<!ELEMENT xml ANY>" + OK_BODY, "XML", "XML")
# processing instructions
case("refuses_processing_instruction_in_value",
     OK_BODY.replace("<![CDATA[OK]]>", "O<?php system('id'); ?>K"), "XML_FORBIDDEN",
     "XML_FORBIDDEN")
case("refuses_stylesheet_pi_before_root",
     '<?xml-stylesheet href="http://127.0.0.1:1/x.xsl"?>' + OK_BODY, "XML_FORBIDDEN",
     "XML_FORBIDDEN")
case("refuses_pi_after_root", OK_BODY + "<?x y?>", "XML_FORBIDDEN", "XML_FORBIDDEN")
case("refuses_declaration_not_first", '<!-- c --><?xml version="1.0"?>' + OK_BODY,
     "XML_FORBIDDEN", "XML_FORBIDDEN")
case("refuses_declaration_after_whitespace", ' <?xml version="1.0"?>' + OK_BODY,
     "XML_FORBIDDEN", "XML_FORBIDDEN")

# ---- unterminated constructs ----------------------------------------------
case("refuses_unterminated_cdata",
     "<xml><return_code><![CDATA[SUCCESS</return_code></xml>", "XML", "XML")
case("refuses_unterminated_cdata_at_eof", "<xml><return_code><![CDATA[", "XML", "XML")
case("refuses_cdata_open_cut", "<xml><return_code><![CDA", "XML", "XML")
case("refuses_unterminated_comment", "<xml><!-- <return_code>SUCCESS</return_code></xml>",
     "XML", "XML")
case("refuses_unterminated_comment_in_value", "<xml><a>x<!-- y</a></xml>", "XML", "XML")
case("refuses_unterminated_start_tag", "<xml><return_code", "XML", "XML")
case("refuses_unterminated_end_tag", "<xml><a>1</a", "XML", "XML")
case("refuses_missing_root_end", "<xml><a>1</a>", "XML", "XML")
case("refuses_unterminated_declaration", '<?xml version="1.0"', "XML", "XML")
case("refuses_unterminated_char_ref", "<xml><a>&#x41</a></xml>", "XML", "XML")
case("refuses_char_ref_at_eof", "<xml><a>&#", "XML", "XML")
case("refuses_mismatched_end_tag", "<xml><a>1</b></xml>", "XML", "XML")
case("refuses_end_tag_prefix_of_name", "<xml><ab>1</a></xml>", "XML", "XML")
case("refuses_end_tag_longer_than_name", "<xml><a>1</ab></xml>", "XML", "XML")
case("refuses_cdata_end_in_text", OK_BODY.replace("<![CDATA[OK]]>", "O]]>K"), "XML", "XML")
case("refuses_stray_lt_in_value", "<xml><a>1 < 2</a></xml>", "XML_NESTED", "XML_NESTED")

# ---- NUL and control bytes --------------------------------------------------
case("refuses_nul_in_value", OK_BODY.replace("<![CDATA[OK]]>", "<![CDATA[O\0K]]>"),
     "XML", "XML")
case("refuses_nul_in_tag_name", OK_BODY.replace("<return_msg>", "<return\0msg>"), "XML", "XML")
case("refuses_nul_after_root", OK_BODY + "\0", "XML", "XML")
case("refuses_nul_before_root", "\0" + OK_BODY, "XML", "XML")
case("refuses_nul_char_ref", "<xml><a>&#0;</a></xml>", "XML", "XML")
case("refuses_control_byte_in_value", "<xml><a>\x01</a></xml>", "XML", "XML")
case("refuses_control_char_ref", "<xml><a>&#x1B;</a></xml>", "XML", "XML")
case("refuses_form_feed_between_fields", xml(signed(base()), sep="\f"), "XML", "XML")
case("refuses_vertical_tab_between_fields", xml(signed(base()), sep="\v"), "XML", "XML")
case("accepts_del_character_as_text", "<xml><a>\x7f</a></xml>", "OK", "RESPONSE")

# ---- UTF-8 ---------------------------------------------------------------
def raw_value(b):
    return OK_BODY.encode().replace(b"<![CDATA[OK]]>", b"<![CDATA[" + b + b"]]>")


case("refuses_overlong_slash", raw_value(b"\xC0\xAF"), "UTF8", "UTF8")
case("refuses_overlong_three_byte", raw_value(b"\xE0\x80\xAF"), "UTF8", "UTF8")
case("refuses_overlong_four_byte", raw_value(b"\xF0\x80\x80\xAF"), "UTF8", "UTF8")
case("refuses_overlong_nul", raw_value(b"\xC0\x80"), "UTF8", "UTF8")
case("refuses_overlong_lt_in_tag", b"<xml>\xC0\xBCa>1</a></xml>", "UTF8", "UTF8")
case("refuses_utf16_surrogate", raw_value(b"\xED\xA0\x80"), "UTF8", "UTF8")
case("refuses_code_point_past_10ffff", raw_value(b"\xF4\x90\x80\x80"), "UTF8", "UTF8")
case("refuses_f5_lead_byte", raw_value(b"\xF5\x80\x80\x80"), "UTF8", "UTF8")
case("refuses_lone_continuation_byte", raw_value(b"\x80"), "UTF8", "UTF8")
case("refuses_truncated_sequence_at_eof", OK_BODY.encode() + b"\xE7\xAD", "UTF8", "UTF8")
case("refuses_truncated_sequence_in_value", raw_value(b"\xE7\xADx"), "UTF8", "UTF8")
case("refuses_noncharacter_fffe", raw_value(b"\xEF\xBF\xBE"), "UTF8", "UTF8")
case("refuses_noncharacter_ffff", raw_value(b"\xEF\xBF\xBF"), "UTF8", "UTF8")
case("refuses_latin1_byte", raw_value(b"caf\xE9"), "UTF8", "UTF8")
case("refuses_gbk_bytes", raw_value("签名错误".encode("gbk")), "UTF8", "UTF8")
case("refuses_gbk_bytes_despite_gbk_declaration",
     b'<?xml version="1.0" encoding="GBK"?>' + raw_value("签名错误".encode("gbk")), "UTF8", "UTF8")
case("refuses_char_ref_surrogate", "<xml><a>&#xD800;</a></xml>", "XML", "XML")
case("refuses_char_ref_past_10ffff", "<xml><a>&#x110000;</a></xml>", "XML", "XML")
case("refuses_char_ref_huge_decimal", "<xml><a>&#99999999999999999999999;</a></xml>", "XML",
     "XML")
case("refuses_char_ref_huge_hex", "<xml><a>&#x" + "F" * 40 + ";</a></xml>", "XML", "XML")
case("refuses_char_ref_fffe", "<xml><a>&#xFFFE;</a></xml>", "XML", "XML")
case("refuses_char_ref_empty", "<xml><a>&#x;</a></xml>", "XML", "XML")
case("refuses_char_ref_bad_digit", "<xml><a>&#12a;</a></xml>", "XML", "XML")

# ---- BOM variants -----------------------------------------------------------
case("refuses_bom_twice", "\ufeff\ufeff" + OK_BODY, "XML", "XML")
case("refuses_utf16le_bom", b"\xFF\xFE" + OK_BODY.encode(), "UTF8", "UTF8")
case("refuses_utf16_body", "\ufeff<xml/>".encode("utf-16-le"), "UTF8", "UTF8")
case("refuses_bom_after_declaration", '<?xml version="1.0"?>\ufeff' + OK_BODY, "XML", "XML")
case("refuses_bom_only", "\ufeff", "XML", "XML")

# ---- whitespace and text in the wrong places -------------------------------
case("refuses_space_after_lt", OK_BODY.replace("<return_msg>", "< return_msg>"), "XML", "XML")
case("refuses_nbsp_between_fields", xml(signed(base()), sep="\u00a0"), "XML", "XML")
case("refuses_text_between_fields", xml(signed(base()), sep="x"), "XML", "XML")
case("refuses_text_after_root", OK_BODY + "x", "XML", "XML")
case("refuses_whitespace_only", " \r\n\t", "XML", "XML")

# ---- attributes, namespaces, nesting, roots --------------------------------
case("refuses_attribute_on_field", OK_BODY.replace("<return_code>", '<return_code a="1">'),
     "XML_NESTED", "XML_NESTED")
case("refuses_attribute_on_root", OK_BODY.replace("<xml>", '<xml version="1">'),
     "XML_NESTED", "XML_NESTED")
case("refuses_xmlns_on_root", OK_BODY.replace("<xml>", '<xml xmlns="urn:x">'), "XML_NESTED",
     "XML_NESTED")
case("refuses_attribute_with_entity",
     OK_BODY.replace("<return_code>", '<return_code a="&xxe;">'), "XML_NESTED", "XML_NESTED")
case("refuses_attribute_on_end_tag", OK_BODY.replace("</return_code>", '</return_code a="1">'),
     "XML_NESTED", "XML_NESTED")
case("refuses_namespace_prefixed_field",
     OK_BODY.replace("<return_code>", "<wx:return_code>").replace("</return_code>",
                                                                  "</wx:return_code>"),
     "XML", "XML")
case("refuses_namespace_prefixed_root", "<wx:xml></wx:xml>", "XML", "XML")
case("refuses_nested_element", OK_BODY.replace("<![CDATA[OK]]>", "<b>OK</b>"), "XML_NESTED",
     "XML_NESTED")
case("refuses_nested_field_same_name", "<xml><a><a>1</a></a></xml>", "XML_NESTED",
     "XML_NESTED")
case("refuses_nested_self_closing", "<xml><a><b/></a></xml>", "XML_NESTED", "XML_NESTED")
case("refuses_root_not_named_xml", OK_BODY.replace("<xml>", "<root>").replace("</xml>",
                                                                              "</root>"),
     "XML", "XML")
case("refuses_uppercase_root", "<XML></XML>", "XML", "XML")
case("refuses_root_name_with_suffix", "<xmlx></xmlx>", "XML", "XML")
case("refuses_two_roots", "<xml/><xml/>", "XML", "XML")
case("refuses_root_end_mismatch", "<xml></xmlx>", "XML", "XML")
case("refuses_field_name_starting_with_digit", "<xml><1a>x</1a></xml>", "XML", "XML")

# ---- duplicates ---------------------------------------------------------------
case("refuses_duplicate_sign", OK_BODY.replace("</xml>", "<sign>%s</sign></xml>" % sign(base())),
     "XML_DUPLICATE", "XML_DUPLICATE")
case("refuses_duplicate_return_code",
     OK_BODY.replace("<xml>", "<xml><return_code>SUCCESS</return_code>"), "XML_DUPLICATE",
     "XML_DUPLICATE")
case("refuses_duplicate_return_code_fail_then_success",
     "<xml><return_code>FAIL</return_code>" + INNER + "</xml>", "XML_DUPLICATE", "XML_DUPLICATE")
case("refuses_duplicate_empty_then_full_sign",
     "<xml><sign/>" + INNER + "</xml>", "XML_DUPLICATE", "XML_DUPLICATE")

# ---- signature and response semantics -------------------------------------
nosign = xml(base())
case("refuses_success_without_sign", nosign, "OK", "NO_SIGNATURE")
case("refuses_success_with_empty_sign", nosign.replace("</xml>", "<sign></sign></xml>"), "OK",
     "NO_SIGNATURE")
case("refuses_wrong_sign", OK_BODY.replace(sign(base()), "0" * 64), "OK", "SIGNATURE")
case("refuses_md5_sign",
     xml(base() + [("sign", hashlib.md5(b"a").hexdigest().upper())]), "OK", "SIGNATURE")
case("refuses_sign_with_spaces", OK_BODY.replace(sign(base()), " " + sign(base()) + " "), "OK",
     "SIGNATURE")
case("refuses_sign_with_non_hex", OK_BODY.replace(sign(base()), "G" + sign(base())[1:]), "OK",
     "SIGNATURE")
case("refuses_sign_over_string_without_key_suffix",
     xml(base() + [("sign", hmac.new(KEY.encode(), "&".join(
         "%s=%s" % kv for kv in sorted(base())).encode(), hashlib.sha256).hexdigest().upper())]),
     "OK", "SIGNATURE")
case("refuses_unsigned_field_added_after_signing",
     OK_BODY.replace("</xml>", "<zz_new>1</zz_new></xml>"), "OK", "SIGNATURE")
case("accepts_empty_field_added_after_signing",
     OK_BODY.replace("</xml>", "<zz_new></zz_new></xml>"), "OK", "OK")
case("refuses_value_changed_after_signing", OK_BODY.replace("<![CDATA[OK]]>", "OK!"), "OK",
     "SIGNATURE")
case("refuses_return_fail_with_wrong_sign",
     FAIL_BODY.replace("</xml>", "<sign>%s</sign></xml>" % ("A" * 64)), "OK", "SIGNATURE")
case("refuses_missing_return_code", xml(signed(base()[1:])), "OK", "RESPONSE")
case("refuses_lowercase_return_code",
     xml(signed([("return_code", "success")] + base()[1:])), "OK", "RESPONSE")
case("refuses_missing_result_code", xml(signed(base()[:-1])), "OK", "RESPONSE")
case("refuses_unknown_result_code", xml(signed(base("MAYBE"))), "OK", "RESPONSE")
case("refuses_echo_of_other_appid", xml(signed(base(appid="wx0000000000000000"))), "OK",
     "ECHO_MISMATCH")
case("refuses_echo_of_other_mch_id", xml(signed(base(mch="1900000110"))), "OK",
     "ECHO_MISMATCH")
case("refuses_success_without_echo", xml(signed([f for f in base()
                                                  if f[0] != "combine_appid"])), "OK",
     "ECHO_MISMATCH")
case("refuses_sign_made_with_other_key",
     xml(base() + [("sign", sign(base(), "0" * 32))]), "OK", "SIGNATURE")

# ---- empty ----------------------------------------------------------------------
case("refuses_empty_body", b"", "XML", "XML")

if __name__ == "__main__":
    os.makedirs(CASES, exist_ok=True)
    for f in os.listdir(CASES):
        if f.endswith(".xml"):
            os.remove(os.path.join(CASES, f))
    names = set()
    with open(os.path.join(HERE, "expected.txt"), "w") as ex:
        ex.write("# Hostile corpus: expected verdicts (written by make_cases.py).\n"
                 "# file  wxpay_xml_read  wxpay_close_parse  [outcome=NAME count=N FIELD=VALUE]\n"
                 "# Parse runs with key %s, request combine_appid %s,\n"
                 "# combine_mch_id %s. VALUE uses \\xNN escapes and \\s for a space.\n"
                 % (KEY, APPID, MCHID))
        for name, data, xv, pv, checks in cases:
            assert name not in names, name
            names.add(name)
            with open(os.path.join(CASES, name), "wb") as fh:
                fh.write(data)
            ex.write(("%-58s %-14s %-14s %s" % (name, xv, pv, " ".join(checks))).rstrip() + "\n")
    print("%d cases" % len(cases))
