/* fuzz_query.c -- the APIv2 query's answer: wxpay_query_parse(), and
   through it the nested JSON reader on sub_order_list.

   Input: byte 0 picks the trade_state, the XML style (fuzz_common.h's
   fz_xml) and the room for sub-orders (0, 1, 2, 10 or 50); byte 1 bit 0
   says "raw": the rest is the whole body, end to end; else the rest is
   the sub_order_list JSON, put by the target into an answer it signs
   correctly (fz_ref_sign, apart from the library's signer), with the
   fields of a SUCCESS query (bit 1: a few unknown fields too). The body is
   an exact-size heap copy (no NUL after it: ASan flags a read past it).
   Properties (the tree of fuzz_json.h, an independent reader, is the
   reference for the JSON):
     - the verdict is a known error code;
     - a signed SUCCESS wrapper around JSON that is accepted: found 1,
       verified 1, outcome NONE; the JSON is RFC 8259, at most 16 levels,
       no member named twice; order_num is the list's length; every
       sub-order's string points inside the body buffer and is the decoded
       member ("" when absent or null), a sub-order without a trade_state
       has the order's; amounts are the integers in the text; the order's
       fields are the XML's;
     - a signed SUCCESS wrapper never answers OK without the order;
     - the other way: text JSON (no CR, no '&') that the README's rules
       accept (fj_must_accept) in that wrapper is the order;
     - an error: found 0, verified 0, outcome NONE, the order cleared
       (BUFFER: sub_order_count is the list's length, over the room). */
#define WXPAY_CLOSE_IMPLEMENTATION
#include "wxpay_close.h"
#include "fuzz_common.h"
#include "fuzz_json.h"

#define FZ_OTN "OD1"

static void fz_check_inside(const char *s, const char *lo, size_t n, const char *what) {
  FZ_CHECK(!*s || fj_inside(s, lo, n), what);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const char *const states[8] = {"SUCCESS", "REFUND", "NOTPAY", "CLOSED",
                                        "USERPAYING", "PAYERROR", "ACCEPT", "SOMETHING_NEW"};
  static const size_t caps[8] = {10, 10, 10, 50, 2, 1, 0, 10};
  wxpay_client c;
  wxpay_query_req req;
  wxpay_query_resp resp;
  wxpay_query_sub_order *subs;
  fz_kv kv[20];
  fz_buf xml = {NULL, 0, 0};
  char sign[65], *json = NULL, *body;
  size_t n, cap, nkv = 0, body_len, k;
  const char *state;
  int raw, style;
  wxpay_err e;

  if (size < 2) return 0;
  state = states[data[0] & 7];
  style = (data[0] >> 3) & 3;
  cap = caps[data[0] >> 5];
  raw = data[1] & 1;
  n = size - 2;
  if (!raw && memchr(data + 2, '\0', n)) raw = 1; /* a C string cannot carry it */
  if (raw) {
    body = fz_dup(data + 2, n);
    body_len = n;
  } else {
    json = (char *)malloc(n + 1);
    if (!json) abort();
    memcpy(json, data + 2, n);
    json[n] = '\0';
    kv[nkv].name = "return_code", kv[nkv++].value = "SUCCESS";
    kv[nkv].name = "return_msg", kv[nkv++].value = "OK";
    kv[nkv].name = "combine_appid", kv[nkv++].value = FZ_APPID;
    kv[nkv].name = "combine_mch_id", kv[nkv++].value = FZ_MCHID;
    kv[nkv].name = "nonce_str", kv[nkv++].value = "5K8264ILTKCH16CQ2502SI8ZNMTM67VS";
    if (data[1] & 2) kv[nkv].name = "zz_new", kv[nkv++].value = "{\"a\":[1]}";
    kv[nkv].name = "result_code", kv[nkv++].value = "SUCCESS";
    kv[nkv].name = "combine_out_trade_no", kv[nkv++].value = FZ_OTN;
    kv[nkv].name = "device_info", kv[nkv++].value = "DEV1";
    kv[nkv].name = "combine_openid", kv[nkv++].value = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o";
    kv[nkv].name = "trade_state", kv[nkv++].value = state;
    kv[nkv].name = "trade_state_desc", kv[nkv++].value = "desc";
    if (data[1] & 2) kv[nkv].name = "promotion", kv[nkv++].value = "";
    kv[nkv].name = "sub_order_list", kv[nkv++].value = json;
    fz_ref_sign(kv, nkv, FZ_KEY, sign);
    kv[nkv].name = "sign", kv[nkv++].value = sign;
    /* the character-by-character styles walk UTF-8: bytes that are not
       text go in CDATA (the library's XML reader refuses them there) */
    if (!fz_text_ok(json)) style = FZ_XML_CDATA;
    fz_xml(&xml, kv, nkv, style, (unsigned)data[1]);
    body = fz_dup(xml.p, xml.n);
    body_len = xml.n;
  }

  fz_client(&c, data[1] & 4);
  memset(&req, 0, sizeof req);
  req.combine_appid = FZ_APPID;
  req.combine_mch_id = FZ_MCHID;
  req.combine_out_trade_no = FZ_OTN;
  subs = (wxpay_query_sub_order *)malloc(cap ? cap * sizeof *subs : 1);
  if (!subs) abort();
  memset(&resp, 0xA5, sizeof resp); /* nothing is read before it is set */
  resp.order.sub_orders = subs;
  resp.order.sub_order_cap = cap;
  e = wxpay_query_parse(&c, &req, body, body_len, &resp);
#ifdef FZ_VERBOSE /* seeds: say what each one reaches */
  fprintf(stderr, "fuzz_query: %s style %d cap %zu: %s, found %d, %zu sub-order(s), json at %zu\n",
          raw ? "raw" : "wrapped", style, cap, wxpay_err_name(e), resp.found,
          resp.order.sub_order_count, resp.json_error_offset);
#endif
  FZ_CHECK((unsigned)e < (unsigned)WXPAY_ERR_COUNT, "a known error code");
  FZ_CHECK(resp.order.sub_orders == subs && resp.order.sub_order_cap == cap,
           "the caller's room is kept");
  if (!raw && fz_text_ok(json) && !strchr(json, '\r') && !strchr(json, '&')) {
    /* the other way: JSON the rules accept, in a signed SUCCESS answer, is
       the order ('&' could make the answer ambiguous, a CR is made LF by
       XML before the signature is checked: both are rules of their own) */
    fj_node *doc = fj_parse(json, n);
    int rules_accept = fj_must_accept(doc, 0, cap);
    if (rules_accept)
      FZ_CHECK(e == WXPAY_OK && resp.found == 1, "a sub_order_list the rules accept is accepted");
    fj_free(doc);
  }
  if (e == WXPAY_OK && resp.found) {
    const wxpay_order *o = &resp.order;
    FZ_CHECK(resp.answer.verified == 1 && resp.answer.outcome == WXPAY_OUTCOME_NONE,
             "found: verified, outcome NONE");
    FZ_CHECK(*o->trade_state, "found: the order has a trade_state");
    FZ_CHECK(strcmp(o->combine_appid, FZ_APPID) == 0 && strcmp(o->combine_mchid, FZ_MCHID) == 0 &&
             strcmp(o->combine_out_trade_no, FZ_OTN) == 0, "found: the echo is ours");
    fz_check_inside(o->combine_appid, body, body_len, "combine_appid inside the body");
    fz_check_inside(o->trade_state, body, body_len, "trade_state inside the body");
    FZ_CHECK(o->state == fj_state(o->trade_state), "state is trade_state by name");
    if (!raw) {
      fj_node *doc = fj_parse(json, n);
      FZ_CHECK(strcmp(o->trade_state, state) == 0, "trade_state is the XML's");
      FZ_CHECK(strcmp(o->trade_state_desc, "desc") == 0 && strcmp(o->device_info, "DEV1") == 0 &&
               strcmp(o->combine_openid, "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o") == 0,
               "the order's fields are the XML's");
      FZ_CHECK(doc != NULL, "an accepted sub_order_list is JSON (RFC 8259)");
      fj_check_order(o, doc, 0, body, body_len);
      fj_free(doc);
    } else {
      for (k = 0; k < o->sub_order_count; k++) {
        const wxpay_query_sub_order *s = &o->sub_orders[k];
        fz_check_inside(s->mchid, body, body_len, "mchid inside the body");
        fz_check_inside(s->out_trade_no, body, body_len, "out_trade_no inside the body");
        fz_check_inside(s->transaction_id, body, body_len, "transaction_id inside the body");
        FZ_CHECK(*s->mchid && *s->out_trade_no, "required sub-order members");
        FZ_CHECK(s->total_amount >= WXPAY_AMOUNT_ABSENT, "amounts are fen or absent");
      }
    }
  } else if (e == WXPAY_OK) {
    FZ_CHECK(raw, "a signed SUCCESS answer is either the order or an error");
    FZ_CHECK(resp.answer.outcome == WXPAY_OUTCOME_NOT_FOUND ||
             resp.answer.outcome == WXPAY_OUTCOME_RETRY ||
             resp.answer.outcome == WXPAY_OUTCOME_REJECTED, "not found: says why");
    fj_check_cleared(&resp.order, WXPAY_ERR_JSON);
  } else {
    FZ_CHECK(resp.found == 0 && resp.answer.verified == 0 &&
             resp.answer.outcome == WXPAY_OUTCOME_NONE, "an error leaves nothing trusted");
    fj_check_cleared(&resp.order, e);
    if (e == WXPAY_ERR_BUFFER && !raw) {
      fj_node *doc = fj_parse(json, n);
      const fj_node *list = fj_get(doc, "order_list");
      FZ_CHECK(doc && list && list->type == 'a' && list->count == resp.order.sub_order_count,
               "BUFFER counts the list of a well-formed sub_order_list");
      fj_free(doc);
    }
  }
  free(body);
  free(json);
  free(subs);
  fz_free(&xml);
  return 0;
}
