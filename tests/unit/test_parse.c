/* >>parse: verification and outcomes, against responses signed by Python. */
#define WXPAY_CLOSE_IMPLEMENTATION
#include "common.h"
#include "fixtures.h"

static char buf[8192];
static wxpay_close_resp resp;

static wxpay_err parse_with(const wxpay_client *c, const wxpay_close_req *r, const char *body) {
  size_t n = strlen(body);
  memcpy(buf, body, n);
  return wxpay_close_parse(c, r, buf, n, &resp);
}

static wxpay_err parse(const char *body) {
  wxpay_client c = test_client();
  wxpay_close_req r = seed_req();
  return parse_with(&c, &r, body);
}

static void parse_success_is_closed_and_verified(void) {
  CHECK_ERR(parse(RESP_CLOSED), WXPAY_OK);
  CHECK(resp.outcome == WXPAY_OUTCOME_CLOSED && resp.verified == 1);
  CHECK(!strcmp(resp.return_code, "SUCCESS") && !strcmp(resp.result_code, "SUCCESS"));
  CHECK(!strcmp(resp.combine_appid, "wx8888888888888888"));
  CHECK(!strcmp(resp.combine_mch_id, "1900000109"));
  CHECK(!strcmp(resp.nonce_str, "5K8264ILTKCH16CQ2502SI8ZNMTM67VS"));
  CHECK(strlen(resp.sign) == 64);
  CHECK(!strcmp(resp.err_code, "") && !strcmp(resp.err_code_des, ""));
  CHECK(resp.fields.count == 7);
}

static void parse_maps_each_err_code_to_its_outcome(void) {
  CHECK_ERR(parse(RESP_ORDERCLOSED), WXPAY_OK);
  CHECK(resp.outcome == WXPAY_OUTCOME_ALREADY_CLOSED);
  CHECK(!strcmp(resp.err_code_des, "\xe8\xae\xa2\xe5\x8d\x95\xe5\xb7\xb2\xe5\x85\xb3\xe9\x97\xad"));
  CHECK_ERR(parse(RESP_ORDERPAID), WXPAY_OK);
  CHECK(resp.outcome == WXPAY_OUTCOME_PAID);
  CHECK_ERR(parse(RESP_ORDERNOTEXIST), WXPAY_OK);
  CHECK(resp.outcome == WXPAY_OUTCOME_NOT_FOUND);
  CHECK_ERR(parse(RESP_SYSTEMERROR), WXPAY_OK);
  CHECK(resp.outcome == WXPAY_OUTCOME_RETRY);
  CHECK_ERR(parse(RESP_FREQUENCY_LIMITED), WXPAY_OK);
  CHECK(resp.outcome == WXPAY_OUTCOME_RETRY);
  CHECK_ERR(parse(RESP_SIGNERROR), WXPAY_OK);
  CHECK(resp.outcome == WXPAY_OUTCOME_REJECTED && !strcmp(resp.err_code, "SIGNERROR"));
  CHECK_ERR(parse(RESP_NOAUTH), WXPAY_OK);
  CHECK(resp.outcome == WXPAY_OUTCOME_REJECTED);
  CHECK_ERR(parse(RESP_UNKNOWN_CODE), WXPAY_OK);
  CHECK(resp.outcome == WXPAY_OUTCOME_REJECTED && !strcmp(resp.err_code, "BRAND_NEW_CODE"));
}

static void parse_fail_answer_is_rejected_and_marked_unsigned(void) {
  CHECK_ERR(parse(RESP_FAIL), WXPAY_OK);
  CHECK(resp.outcome == WXPAY_OUTCOME_REJECTED && resp.verified == 0);
  CHECK(!strcmp(resp.return_msg, "\xe7\xad\xbe\xe5\x90\x8d\xe9\x94\x99\xe8\xaf\xaf"));
}

static void parse_verifies_unknown_and_skips_empty_fields(void) {
  CHECK_ERR(parse(RESP_EXTRA_FIELD), WXPAY_OK);
  CHECK(resp.outcome == WXPAY_OUTCOME_CLOSED);
  CHECK(!strcmp(wxpay_fields_get(&resp.fields, "zz_new_field"), "x&y<z>"));
  CHECK_ERR(parse(RESP_EMPTY_FIELD), WXPAY_OK);
  CHECK(resp.outcome == WXPAY_OUTCOME_CLOSED);
}

static void parse_rejects_md5_signed_reply(void) {
  CHECK_ERR(parse(RESP_MD5), WXPAY_ERR_SIGNATURE);
  CHECK(resp.outcome == WXPAY_OUTCOME_NONE);
}

static void parse_rejects_reply_signed_with_another_key(void) {
  CHECK_ERR(parse(RESP_WRONG_KEY), WXPAY_ERR_SIGNATURE);
}

/* Rewrites RESP_CLOSED: replaces the first `from` with `to`. */
static const char *tamper(const char *from, const char *to) {
  static char out[4096];
  const char *p = strstr(RESP_CLOSED, from);
  size_t a = (size_t)(p - RESP_CLOSED);
  memcpy(out, RESP_CLOSED, a);
  strcpy(out + a, to);
  strcat(out, p + strlen(from));
  return out;
}

static void parse_rejects_any_tampering(void) {
  CHECK_ERR(parse(tamper("[SUCCESS]]></result_code>", "[FAIL]]></result_code>")), WXPAY_ERR_SIGNATURE);
  CHECK_ERR(parse(tamper("5K8264", "5K8265")), WXPAY_ERR_SIGNATURE);
  CHECK_ERR(parse(tamper("<result_code>", "<err_code>ORDERPAID</err_code><result_code>")),
            WXPAY_ERR_SIGNATURE); /* added */
  CHECK_ERR(parse(tamper("<return_msg><![CDATA[OK]]></return_msg>", "")), WXPAY_ERR_SIGNATURE);
  CHECK_ERR(parse(tamper("<result_code>", "<result_code>SUCCESS</result_code><result_code>")),
            WXPAY_ERR_XML_DUPLICATE);
  CHECK_ERR(parse(tamper("<sign>", "<sign>A</sign><sign>")), WXPAY_ERR_XML_DUPLICATE);
  CHECK_ERR(parse(tamper("9CC085", "9CC086")), WXPAY_ERR_SIGNATURE);
  CHECK_ERR(parse(tamper("9CC085", "9CC08")), WXPAY_ERR_SIGNATURE);   /* 63 hex */
  CHECK_ERR(parse(tamper("9CC085", "9CC0855")), WXPAY_ERR_SIGNATURE); /* 65 hex */
  CHECK_ERR(parse(tamper("9CC085", "9CC08G")), WXPAY_ERR_SIGNATURE);
  /* lower-case hex of the right MAC is the same signature */
  CHECK_ERR(parse(tamper("9CC085B20B6E6A75F18DE5B039A69F11816E86471470AD7F6CDB9578F73B928F",
                         "9cc085b20b6e6a75f18de5b039a69f11816e86471470ad7f6cdb9578f73b928f")),
            WXPAY_OK);
}

static void parse_refuses_success_without_signature(void) {
  CHECK_ERR(parse(tamper("<sign><![CDATA[9CC085B20B6E6A75F18DE5B039A69F11816E86471470AD7F6CDB9578F73B928F]]></sign>", "")),
            WXPAY_ERR_NO_SIGNATURE);
  CHECK_ERR(parse(tamper("[9CC085B20B6E6A75F18DE5B039A69F11816E86471470AD7F6CDB9578F73B928F]", "[]")),
            WXPAY_ERR_NO_SIGNATURE);
  CHECK(resp.outcome == WXPAY_OUTCOME_NONE && resp.verified == 0);
}

static void parse_checks_the_echoed_appid_and_mch_id(void) {
  wxpay_client c = test_client();
  wxpay_close_req r = seed_req();
  CHECK_ERR(parse(RESP_OTHER_APPID), WXPAY_ERR_ECHO_MISMATCH);
  CHECK(resp.outcome == WXPAY_OUTCOME_NONE && resp.verified == 0);
  CHECK_ERR(parse_with(&c, NULL, RESP_OTHER_APPID), WXPAY_OK); /* no request: no check */
  r.combine_mch_id = "1900000110";
  CHECK_ERR(parse_with(&c, &r, RESP_CLOSED), WXPAY_ERR_ECHO_MISMATCH);
}

static void parse_needs_return_and_result_codes(void) {
  CHECK_ERR(parse(RESP_NO_RESULT_CODE), WXPAY_ERR_RESPONSE);
  CHECK(resp.verified == 0); /* signed, but not an answer to act on */
  CHECK_ERR(parse("<xml><return_msg>x</return_msg></xml>"), WXPAY_ERR_RESPONSE);
  CHECK_ERR(parse("<xml><return_code>MAYBE</return_code></xml>"), WXPAY_ERR_RESPONSE);
}

static void parse_passes_reader_errors_through_with_offset(void) {
  CHECK_ERR(parse("<xml><return_code>SUCCESS</return_code><a><b/></a></xml>"), WXPAY_ERR_XML_NESTED);
  CHECK(resp.error_offset == 42);
  CHECK_ERR(parse("<!DOCTYPE x><xml/>"), WXPAY_ERR_XML_FORBIDDEN);
  CHECK(!strcmp(resp.return_code, "") && resp.outcome == WXPAY_OUTCOME_NONE);
}

static void parse_refuses_bad_arguments_and_keys(void) {
  wxpay_client c = test_client();
  CHECK_ERR(wxpay_close_parse(&c, NULL, buf, 1, NULL), WXPAY_ERR_ARG);
  CHECK_ERR(wxpay_close_parse(NULL, NULL, buf, 1, &resp), WXPAY_ERR_ARG);
  CHECK_ERR(wxpay_close_parse(&c, NULL, NULL, 1, &resp), WXPAY_ERR_ARG);
  c.api_key = "too short";
  CHECK_ERR(parse_with(&c, NULL, RESP_CLOSED), WXPAY_ERR_KEY);
  CHECK(!strcmp(resp.sign, ""));
}

int main(void) {
  RUN(parse_success_is_closed_and_verified);
  RUN(parse_maps_each_err_code_to_its_outcome);
  RUN(parse_fail_answer_is_rejected_and_marked_unsigned);
  RUN(parse_verifies_unknown_and_skips_empty_fields);
  RUN(parse_rejects_md5_signed_reply);
  RUN(parse_rejects_reply_signed_with_another_key);
  RUN(parse_rejects_any_tampering);
  RUN(parse_refuses_success_without_signature);
  RUN(parse_checks_the_echoed_appid_and_mch_id);
  RUN(parse_needs_return_and_result_codes);
  RUN(parse_passes_reader_errors_through_with_offset);
  RUN(parse_refuses_bad_arguments_and_keys);
  return t_total_failed ? 1 : 0;
}
