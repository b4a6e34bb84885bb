/* >>query and >>settle (issue 13): the v2 query's request byte for byte,
   both answers' nested JSON read in place (unknown members skipped,
   duplicates at any depth, truncation, depth, bad amounts refused with
   their offsets, 64-bit amounts, never a partial list), the v3 GET's
   signed message, the v3 answer's checks, and each path of settle over a
   scripted transport. The platform's RSA is the stand-in of test_v3.c (the
   digest XOR 0x5A under a serial); v2 answers are signed here by hand: the
   sorted string written out in the test, HMAC-SHA256 from the library
   (known-answer tested in test_crypto.c). The header is compiled with the
   allocator's names redirected to counters: it must never call them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int t_heap_calls;
static void *t_no_malloc(size_t n) { (void)n; t_heap_calls++; return NULL; }
static void *t_no_calloc(size_t n, size_t m) { (void)n; (void)m; t_heap_calls++; return NULL; }
static void *t_no_realloc(void *p, size_t n) { (void)p; (void)n; t_heap_calls++; return NULL; }
static void t_no_free(void *p) { (void)p; t_heap_calls++; }
#define malloc(n) t_no_malloc(n)
#define calloc(n, m) t_no_calloc(n, m)
#define realloc(p, n) t_no_realloc(p, n)
#define free(p) t_no_free(p)
#define WXPAY_CLOSE_IMPLEMENTATION
#include "common.h"
#include "fixtures.h"
#undef malloc
#undef calloc
#undef realloc
#undef free

#define NOW 1700000000LL
#define CERT_SERIAL "5157F09EFDC096DE15EBE81A47057A7232F1B8E1"
#define V3_NO "P20150806125346"
#define V3_APPID "wxd678efh567hg6787"
#define V3_MCHID "1900000100"
#define V2_NO "1217752501201407033233368018"

static long long fake_clock(void *user) { (void)user; return NOW; }

static int fake_sign(void *user, const unsigned char *msg, size_t msg_len,
                     const unsigned char digest[32], unsigned char *sig, size_t cap,
                     size_t *sig_len) {
  size_t i;
  (void)user; (void)msg; (void)msg_len;
  if (cap < 32) return -1;
  for (i = 0; i < 32; i++) sig[i] = (unsigned char)(digest[i] ^ 0x5A);
  *sig_len = 32;
  return 0;
}

static int fake_verify(void *user, const char *serial, const unsigned char digest[32],
                       const unsigned char *sig, size_t sig_len) {
  size_t i;
  (void)user;
  if (strcmp(serial, CERT_SERIAL) != 0) return -1;
  if (sig_len != 32) return 0;
  for (i = 0; i < 32; i++)
    if (sig[i] != (digest[i] ^ 0x5A)) return 0;
  return 1;
}

static wxpay_client v3_client(void) {
  wxpay_client c;
  memset(&c, 0, sizeof c);
  c.mchid = V3_MCHID;
  c.serial_no = "408B07E79B8269FEC3D5D3E6AB8ED163A6A380DB";
  c.v3_sign = fake_sign;
  c.v3_verify = fake_verify;
  c.clock = fake_clock;
  return c;
}

static wxpay_v3_query_req v3_query_req(void) {
  wxpay_v3_query_req r;
  memset(&r, 0, sizeof r);
  r.combine_out_trade_no = V3_NO;
  r.combine_appid = V3_APPID;
  r.nonce_str = "593BEC0C930BF1AFEB40B4A08C8FB242";
  r.timestamp = NOW;
  return r;
}

static wxpay_query_req v2_query_req(void) {
  wxpay_query_req r;
  memset(&r, 0, sizeof r);
  r.combine_appid = "wx8888888888888888";
  r.combine_mch_id = "1900000109";
  r.combine_out_trade_no = V2_NO;
  r.nonce_str = "ibuaiVcKdpRxkhJA";
  return r;
}

/* The platform's signature headers over "ts\nnonce\nbody\n". */
typedef struct v3_sig {
  char ts[24], nonce[16], sig[64];
  wxpay_v3_resp_headers h;
} v3_sig;

static void v3_sign_body(v3_sig *s, const char *body, size_t len) {
  unsigned char d[32], x[32];
  wxpay_sha256_ctx h;
  size_t i;
  snprintf(s->ts, sizeof s->ts, "%lld", NOW);
  snprintf(s->nonce, sizeof s->nonce, "%s", "n0nce4ns3r");
  wxpay_sha256_init(&h);
  wxpay_sha256_update(&h, s->ts, strlen(s->ts));
  wxpay_sha256_update(&h, "\n", 1);
  wxpay_sha256_update(&h, s->nonce, strlen(s->nonce));
  wxpay_sha256_update(&h, "\n", 1);
  wxpay_sha256_update(&h, body, len);
  wxpay_sha256_update(&h, "\n", 1);
  wxpay_sha256_final(&h, d);
  for (i = 0; i < 32; i++) x[i] = (unsigned char)(d[i] ^ 0x5A);
  wxpay_base64_encode(x, 32, s->sig, sizeof s->sig);
  s->h.timestamp = s->ts;
  s->h.nonce = s->nonce;
  s->h.signature = s->sig;
  s->h.serial = CERT_SERIAL;
}

/* A v3 answer: one paid sub-order (state1) and one more (state2, or none
   when NULL), with members WeChat may add. */
static void v3_order(char *out, size_t cap, const char *state1, const char *state2) {
  int n = snprintf(out, cap,
      "{\"combine_appid\":\"" V3_APPID "\",\"combine_mchid\":\"" V3_MCHID "\","
      "\"combine_out_trade_no\":\"" V3_NO "\",\"scene_info\":{\"device_id\":\"POS1:1\"},"
      "\"combine_payer_info\":{\"openid\":\"oUpF8uMuAJO_M2pxb1Q9zNjWeS6o\"},"
      "\"brand_new\":{\"a\":[1,-2.5e3,true,false,null,{\"b\":[[]]}]},"
      "\"sub_orders\":[{\"mchid\":\"1900009001\",\"trade_type\":\"JSAPI\","
      "\"trade_state\":\"%s\",\"bank_type\":\"CMC\",\"attach\":\"\\u6df1\\u5733\\/x\","
      "\"success_time\":\"2015-05-20T13:29:35+08:00\","
      "\"transaction_id\":\"4200000001201501011234567890\",\"out_trade_no\":\"OD201708030001\","
      "\"sub_mchid\":\"1900000109\",\"amount\":{\"total_amount\":10,\"currency\":\"CNY\","
      "\"payer_amount\":9,\"payer_currency\":\"CNY\"},"
      "\"promotion_detail\":[{\"coupon_id\":\"109519\",\"goods_detail\":[{\"goods_id\":\"M1\"}]}]}",
      state1);
  if (state2)
    n += snprintf(out + n, cap - (size_t)n,
                  ",{\"mchid\":\"1900009002\",\"trade_type\":\"JSAPI\",\"trade_state\":\"%s\","
                  "\"out_trade_no\":\"OD201708030002\",\"amount\":{\"total_amount\":20,"
                  "\"currency\":\"CNY\"}}",
                  state2);
  snprintf(out + n, cap - (size_t)n, "]}");
}

static wxpay_err v3_parse(const char *body, wxpay_v3_query_resp *r,
                          wxpay_query_sub_order *subs, size_t cap) {
  static char buf[8192];
  wxpay_client c = v3_client();
  wxpay_v3_query_req q = v3_query_req();
  v3_sig s;
  size_t len = strlen(body);
  memcpy(buf, body, len + 1);
  v3_sign_body(&s, buf, len);
  r->order.sub_orders = subs;
  r->order.sub_order_cap = cap;
  return wxpay_v3_query_parse(&c, &q, 200, &s.h, buf, len, r);
}

/* Signs name, value pairs (any order) the v2 way into an XML answer. */
static int kv_cmp(const void *a, const void *b) {
  return strcmp(**(const char *const *const *)a, **(const char *const *const *)b);
}

static void signed_v2(char *body, size_t cap, const char *const *kv, size_t n) {
  static char s[8192];
  const char *const *order[32];
  char hex[65];
  unsigned char mac[32];
  size_t i, len = 0, at;
  for (i = 0; i < n; i++) order[i] = &kv[2 * i];
  qsort(order, n, sizeof order[0], kv_cmp);
  for (i = 0; i < n; i++)
    if (*order[i][1])
      len += (size_t)snprintf(s + len, sizeof s - len, "%s=%s&", order[i][0], order[i][1]);
  snprintf(s + len, sizeof s - len, "key=%s", KEY);
  wxpay_hmac_sha256(KEY, 32, s, strlen(s), mac);
  for (i = 0; i < 32; i++) snprintf(hex + 2 * i, 3, "%02X", mac[i]);
  at = (size_t)snprintf(body, cap, "<xml>");
  for (i = 0; i < n; i++)
    at += (size_t)snprintf(body + at, cap - at, "<%s><![CDATA[%s]]></%s>", kv[2 * i],
                           kv[2 * i + 1], kv[2 * i]);
  snprintf(body + at, cap - at, "<sign>%s</sign></xml>", hex);
}

#define V2_LIST \
  "{\"order_num\":2,\"order_list\":[{\"mchid\":\"1900009001\",\"trade_type\":\"JSAPI\"," \
  "\"attach\":\"\\u6df1\\u5733\",\"amount\":{\"total_amount\":9223372036854775807," \
  "\"currency\":\"CNY\"},\"transaction_id\":\"4200000001201501011234567890\"," \
  "\"out_trade_no\":\"OD201708030001\",\"goods_tag\":\"WXG\",\"description\":\"a&b=c\"," \
  "\"promotion_detail\":{\"promotion_id\":\"109519\",\"scope\":\"SINGLE\"," \
  "\"goods_detail\":[{\"goods_id\":\"M1006\",\"quantity\":1,\"x\":{\"deep\":[[[]]]}}]}," \
  "\"brand_new\":{\"x\":[1,2.5e3,true,false,null]}},{\"mchid\":\"1900009002\"," \
  "\"trade_type\":\"JSAPI\",\"amount\":{\"total_amount\":20,\"currency\":\"CNY\"}," \
  "\"transaction_id\":\"4200000001201501011234567891\",\"out_trade_no\":\"OD201708030002\"}]}"

/* A signed v2 query answer: SUCCESS with trade_state and list. */
static void v2_answer(char *body, size_t cap, const char *trade_state, const char *list,
                      const char *no) {
  const char *kv[] = {"return_code", "SUCCESS", "return_msg", "OK",
                      "combine_appid", "wx8888888888888888", "combine_mch_id", "1900000109",
                      "nonce_str", "5K8264ILTKCH16CQ2502SI8ZNMTM67VS", "device_info", "",
                      "combine_openid", "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o",
                      "combine_out_trade_no", no, "result_code", "SUCCESS",
                      "trade_state", trade_state, "trade_state_desc", "x",
                      "sub_order_list", list};
  signed_v2(body, cap, kv, sizeof kv / sizeof kv[0] / 2);
}

static wxpay_err v2_parse(char *body, wxpay_query_resp *r, wxpay_query_sub_order *subs,
                          size_t cap) {
  wxpay_client c = test_client();
  wxpay_query_req q = v2_query_req();
  r->order.sub_orders = subs;
  r->order.sub_order_cap = cap;
  return wxpay_query_parse(&c, &q, body, strlen(body), r);
}

/* ---- the v2 request ---- */

static void v2_query_request_is_the_sdk_order_signed_over_sorted_fields(void) {
  /* written out by hand, sorted by name, the key appended */
  static const char sign_string[] =
      "combine_appid=wx8888888888888888&combine_mch_id=1900000109"
      "&combine_out_trade_no=" V2_NO "&nonce_str=ibuaiVcKdpRxkhJA"
      "&sign_type=HMAC-SHA256&key=" KEY;
  /* the same HMAC by Python's hmac module, recorded */
  static const char python_sign[] =
      "833423B8593F53F55B48660B8CA4843724D325CCBB62C7B5C4195DA1AF20A81F";
  wxpay_client c = test_client();
  wxpay_query_req q = v2_query_req();
  unsigned char mac[32];
  char hex[65], want[512], out[512];
  size_t i, len = 0;
  wxpay_hmac_sha256(KEY, 32, sign_string, strlen(sign_string), mac);
  for (i = 0; i < 32; i++) snprintf(hex + 2 * i, 3, "%02X", mac[i]);
  CHECK(strcmp(hex, python_sign) == 0);
  snprintf(want, sizeof want,
           "<xml><combine_appid>wx8888888888888888</combine_appid>"
           "<combine_mch_id>1900000109</combine_mch_id><sign_type>HMAC-SHA256</sign_type>"
           "<combine_out_trade_no>" V2_NO "</combine_out_trade_no>"
           "<nonce_str>ibuaiVcKdpRxkhJA</nonce_str><sign>%s</sign></xml>", hex);
  CHECK_ERR(wxpay_query_build(&c, &q, out, sizeof out, &len), WXPAY_OK);
  CHECK(strcmp(out, want) == 0 && len == strlen(want));
  /* too small: nothing partial, and the size that suffices */
  CHECK_ERR(wxpay_query_build(&c, &q, out, 100, &len), WXPAY_ERR_BUFFER);
  CHECK(out[0] == '\0' && len == strlen(want) + 1);
  CHECK_ERR(wxpay_query_build(&c, &q, out, len, &len), WXPAY_OK);
  q.combine_out_trade_no = "bad no";
  CHECK_ERR(wxpay_query_build(&c, &q, out, sizeof out, &len), WXPAY_ERR_BAD_CHARS);
}

/* ---- v2 answers ---- */

static void v2_query_reads_the_nested_sub_order_list(void) {
  static char body[8192];
  wxpay_query_sub_order subs[4];
  wxpay_query_resp r;
  v2_answer(body, sizeof body, "SUCCESS", V2_LIST, V2_NO);
  CHECK_ERR(v2_parse(body, &r, subs, 4), WXPAY_OK);
  CHECK(r.found == 1 && r.answer.verified == 1 && r.answer.outcome == WXPAY_OUTCOME_NONE);
  CHECK(strcmp(r.order.combine_out_trade_no, V2_NO) == 0);
  CHECK(strcmp(r.order.combine_mchid, "1900000109") == 0);
  CHECK(strcmp(r.order.combine_openid, "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o") == 0);
  CHECK(r.order.state == WXPAY_TRADE_SUCCESS && r.order.sub_order_count == 2);
  CHECK(strcmp(subs[0].mchid, "1900009001") == 0);
  CHECK(strcmp(subs[0].out_trade_no, "OD201708030001") == 0);
  CHECK(strcmp(subs[0].attach, "\xe6\xb7\xb1\xe5\x9c\xb3") == 0); /* decoded in place */
  CHECK(strcmp(subs[0].transaction_id, "4200000001201501011234567890") == 0);
  CHECK(subs[0].total_amount == INT64_MAX); /* 64-bit */
  CHECK(subs[0].payer_amount == WXPAY_AMOUNT_ABSENT);
  CHECK(strcmp(subs[0].currency, "CNY") == 0 && strcmp(subs[0].trade_type, "JSAPI") == 0);
  /* APIv2 sub-orders have no state of their own: the combined order's */
  CHECK(strcmp(subs[0].trade_state, "SUCCESS") == 0 && subs[0].state == WXPAY_TRADE_SUCCESS);
  CHECK(subs[1].total_amount == 20 && *subs[1].attach == '\0' && *subs[1].sub_mchid == '\0');
}

static void v2_query_refuses_a_duplicate_member_at_any_depth(void) {
  static char body[8192], list[4096];
  const char *second;
  wxpay_query_sub_order subs[4];
  wxpay_query_resp r;
  /* in goods_detail[0], six levels down, inside a member nobody reads */
  snprintf(list, sizeof list, "%s", V2_LIST);
  second = strstr(list, "\"quantity\"");
  CHECK(second != NULL);
  if (!second) return;
  memcpy((char *)second, "\"goods_id\"", 10);
  v2_answer(body, sizeof body, "SUCCESS", list, V2_NO);
  CHECK_ERR(v2_parse(body, &r, subs, 4), WXPAY_ERR_JSON);
  CHECK(r.found == 0 && r.json_error_offset == (size_t)(second - list));
  CHECK(r.answer.outcome == WXPAY_OUTCOME_NONE && r.answer.verified == 0);
  /* at the top, and one spelled with an escape */
  v2_answer(body, sizeof body, "SUCCESS",
            "{\"order_num\":0,\"order_list\":[],\"order_num\":0}", V2_NO);
  CHECK_ERR(v2_parse(body, &r, subs, 4), WXPAY_ERR_JSON);
  CHECK(r.json_error_offset == 31);
  v2_answer(body, sizeof body, "SUCCESS",
            "{\"order_num\":0,\"order_list\":[],\"x\":{\"ab\":1,\"a\\u0062\":2}}", V2_NO);
  CHECK_ERR(v2_parse(body, &r, subs, 4), WXPAY_ERR_JSON);
  CHECK(r.json_error_offset == 43);
}

static void v2_query_checks_order_num_and_the_echo(void) {
  static char body[8192];
  wxpay_query_sub_order subs[4];
  wxpay_query_resp r;
  static const char *const not_found[] = {
      "return_code", "SUCCESS", "result_code", "FAIL", "err_code", "ORDERNOTEXIST",
      "nonce_str", "n0nce"};
  v2_answer(body, sizeof body, "SUCCESS",
            "{\"order_num\":3,\"order_list\":[{\"mchid\":\"1\",\"out_trade_no\":\"A\"}]}", V2_NO);
  CHECK_ERR(v2_parse(body, &r, subs, 4), WXPAY_ERR_QUERY_FIELDS);
  v2_answer(body, sizeof body, "SUCCESS",
            "{\"order_num\":1,\"order_list\":[{\"out_trade_no\":\"A\"}]}", V2_NO);
  CHECK_ERR(v2_parse(body, &r, subs, 4), WXPAY_ERR_QUERY_FIELDS); /* no mchid */
  v2_answer(body, sizeof body, "SUCCESS", V2_LIST, "1217752501201407033233368019");
  CHECK_ERR(v2_parse(body, &r, subs, 4), WXPAY_ERR_ECHO_MISMATCH);
  v2_answer(body, sizeof body, "SUCCESS", V2_LIST, ""); /* a SUCCESS must echo it */
  CHECK_ERR(v2_parse(body, &r, subs, 4), WXPAY_ERR_ECHO_MISMATCH);
  CHECK(r.found == 0 && r.order.sub_order_count == 0);
  signed_v2(body, sizeof body, not_found, 4); /* a signed FAIL may leave echoes out */
  CHECK_ERR(v2_parse(body, &r, subs, 4), WXPAY_OK);
  CHECK(r.found == 0 && r.answer.outcome == WXPAY_OUTCOME_NOT_FOUND && r.answer.verified);
}

static void v2_query_refuses_a_value_hiding_trade_state(void) {
  static char body[8192];
  wxpay_query_sub_order subs[4];
  wxpay_query_resp r;
  v2_answer(body, sizeof body, "SUCCESS",
            "{\"order_num\":1,\"order_list\":[{\"mchid\":\"1\",\"out_trade_no\":\"A\","
            "\"attach\":\"x&trade_state=SUCCESS\"}]}", V2_NO);
  CHECK_ERR(v2_parse(body, &r, subs, 4), WXPAY_ERR_AMBIGUOUS);
  v2_answer(body, sizeof body, "NOTPAY&x=y", V2_LIST, V2_NO);
  CHECK_ERR(v2_parse(body, &r, subs, 4), WXPAY_ERR_AMBIGUOUS);
  CHECK(r.found == 0);
}

static void more_sub_orders_than_room_is_refused_with_the_count(void) {
  static char body[8192], v3[4096];
  wxpay_query_sub_order subs[2];
  wxpay_query_resp r;
  wxpay_v3_query_resp r3;
  v2_answer(body, sizeof body, "SUCCESS", V2_LIST, V2_NO);
  CHECK_ERR(v2_parse(body, &r, subs, 1), WXPAY_ERR_BUFFER);
  CHECK(r.found == 0 && r.order.sub_order_count == 2 && *r.order.combine_appid == '\0');
  v3_order(v3, sizeof v3, "SUCCESS", "NOTPAY");
  CHECK_ERR(v3_parse(v3, &r3, subs, 1), WXPAY_ERR_BUFFER);
  CHECK(r3.found == 0 && r3.order.sub_order_count == 2);
  CHECK_ERR(v3_parse(v3, &r3, subs, 2), WXPAY_OK);
  CHECK(r3.found == 1 && r3.order.sub_order_count == 2);
}

/* ---- the nested reader, through the v3 answer ---- */

static void v3_query_reads_the_order_and_skips_unknown_members(void) {
  static char body[4096];
  wxpay_query_sub_order subs[3];
  wxpay_v3_query_resp r;
  v3_order(body, sizeof body, "SUCCESS", "REFUND");
  CHECK_ERR(v3_parse(body, &r, subs, 3), WXPAY_OK);
  CHECK(r.found == 1 && r.answer.verified == 1 && r.answer.outcome == WXPAY_OUTCOME_NONE);
  CHECK(strcmp(r.order.combine_appid, V3_APPID) == 0);
  CHECK(strcmp(r.order.device_info, "POS1:1") == 0);
  CHECK(strcmp(r.order.combine_openid, "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o") == 0);
  CHECK(*r.order.trade_state == '\0' && r.order.sub_order_count == 2);
  CHECK(subs[0].state == WXPAY_TRADE_SUCCESS && subs[1].state == WXPAY_TRADE_REFUND);
  CHECK(strcmp(subs[0].attach, "\xe6\xb7\xb1\xe5\x9c\xb3/x") == 0);
  CHECK(strcmp(subs[0].sub_mchid, "1900000109") == 0);
  CHECK(strcmp(subs[0].success_time, "2015-05-20T13:29:35+08:00") == 0);
  CHECK(subs[0].total_amount == 10 && subs[0].payer_amount == 9);
  CHECK(subs[1].total_amount == 20 && subs[1].payer_amount == WXPAY_AMOUNT_ABSENT);
  CHECK(*subs[1].transaction_id == '\0');
  /* a state this library does not know is kept, by name UNKNOWN */
  v3_order(body, sizeof body, "BRAND_NEW_STATE", NULL);
  CHECK_ERR(v3_parse(body, &r, subs, 3), WXPAY_OK);
  CHECK(subs[0].state == WXPAY_TRADE_UNKNOWN && strcmp(subs[0].trade_state, "BRAND_NEW_STATE") == 0);
}

static void truncated_answers_are_refused_at_every_length(void) {
  static char full[4096], cut[4096];
  wxpay_query_sub_order subs[3];
  wxpay_v3_query_resp r;
  size_t n, len, bad = 0;
  v3_order(full, sizeof full, "SUCCESS", "NOTPAY");
  len = strlen(full);
  for (n = 0; n < len; n++) {
    wxpay_err e;
    memcpy(cut, full, n);
    cut[n] = '\0';
    e = v3_parse(cut, &r, subs, 3);
    if (e != WXPAY_ERR_JSON || r.found || r.answer.error_offset > n) bad++;
  }
  CHECK(bad == 0);
  CHECK_ERR(v3_parse(full, &r, subs, 3), WXPAY_OK);
}

static void deep_wrong_and_bad_amounts_are_refused_with_offsets(void) {
  static char body[4096], doc[8192];
  wxpay_query_sub_order subs[3];
  wxpay_v3_query_resp r;
  const char *at;
  int i;
  size_t n;
  /* 16 levels are fine, the 17th is not (the object itself is the first) */
  v3_order(body, sizeof body, "SUCCESS", NULL);
  for (i = 15; i <= 16; i++) {
    n = (size_t)snprintf(doc, sizeof doc, "{\"deep\":");
    memset(doc + n, '[', (size_t)i);
    memset(doc + n + (size_t)i, ']', (size_t)i);
    snprintf(doc + n + 2 * (size_t)i, sizeof doc - n - 2 * (size_t)i, ",%s", body + 1);
    CHECK_ERR(v3_parse(doc, &r, subs, 3), i == 15 ? WXPAY_OK : WXPAY_ERR_JSON);
    if (i == 16) CHECK(r.answer.error_offset == n + 15);
  }
  /* amounts: digits only, at most 2^63 - 1 */
  {
    static const char *const bad[] = {"10.5", "1e3", "-1", "9223372036854775808", "\"10\"",
                                      "true"};
    for (i = 0; i < 6; i++) {
      char *p;
      v3_order(body, sizeof body, "SUCCESS", NULL);
      p = strstr(body, "\"total_amount\":10") + 15;
      snprintf(doc, sizeof doc, "%.*s%s%s", (int)(p - body), body, bad[i], p + 2);
      CHECK_ERR(v3_parse(doc, &r, subs, 3), WXPAY_ERR_JSON);
      CHECK(r.answer.error_offset == (size_t)(p - body));
    }
    v3_order(body, sizeof body, "SUCCESS", NULL);
    at = strstr(body, "\"total_amount\":10") + 15;
    snprintf(doc, sizeof doc, "%.*s9223372036854775807%s", (int)(at - body), body, at + 2);
    CHECK_ERR(v3_parse(doc, &r, subs, 3), WXPAY_OK);
    CHECK(subs[0].total_amount == INT64_MAX);
  }
  /* a string where an object is, and a required member left out */
  v3_order(body, sizeof body, "SUCCESS", NULL);
  at = strstr(body, "{\"device_id\"");
  snprintf(doc, sizeof doc, "%.*s\"x\"%s", (int)(at - body), body, strchr(at, '}') + 1);
  CHECK_ERR(v3_parse(doc, &r, subs, 3), WXPAY_ERR_JSON);
  CHECK(r.answer.error_offset == (size_t)(at - body));
  v3_order(body, sizeof body, "SUCCESS", NULL);
  at = strstr(body, "\"trade_state\":\"SUCCESS\",");
  snprintf(doc, sizeof doc, "%.*s%s", (int)(at - body), body, at + 24);
  CHECK_ERR(v3_parse(doc, &r, subs, 3), WXPAY_ERR_QUERY_FIELDS);
  /* null is absent; trailing garbage is not JSON */
  v3_order(body, sizeof body, "SUCCESS", NULL);
  at = strstr(body, "\"POS1:1\"");
  snprintf(doc, sizeof doc, "%.*snull%s", (int)(at - body), body, at + 8);
  CHECK_ERR(v3_parse(doc, &r, subs, 3), WXPAY_OK);
  CHECK(*r.order.device_info == '\0');
  v3_order(body, sizeof body, "SUCCESS", NULL);
  n = strlen(body);
  snprintf(body + n, sizeof body - n, " x");
  CHECK_ERR(v3_parse(body, &r, subs, 3), WXPAY_ERR_JSON);
  CHECK(r.answer.error_offset == n + 1);
}

/* doc = body with its first `find` replaced by `by` */
static void edited(char *doc, size_t cap, const char *body, const char *find, const char *by) {
  const char *at = strstr(body, find);
  CHECK(at != NULL);
  if (!at) {
    snprintf(doc, cap, "%s", body);
    return;
  }
  snprintf(doc, cap, "%.*s%s%s", (int)(at - body), body, by, at + strlen(find));
}

static void a_walk_back_over_kept_values_finds_what_it_should(void) {
  static char body[4096], doc[8192];
  wxpay_query_sub_order subs[3];
  wxpay_v3_query_resp r;
  /* a name with an escape always walks its object again: here over values
     already ended in place (mchid...) and one still to decode (attach) */
  v3_order(body, sizeof body, "SUCCESS", NULL);
  edited(doc, sizeof doc, body, "\"promotion_detail\"", "\"z\\u0061\":1,\"promotion_detail\"");
  CHECK_ERR(v3_parse(doc, &r, subs, 3), WXPAY_OK);
  CHECK(strcmp(subs[0].mchid, "1900009001") == 0 && strcmp(subs[0].trade_type, "JSAPI") == 0);
  CHECK(strcmp(subs[0].attach, "\xe6\xb7\xb1\xe5\x9c\xb3/x") == 0);
  CHECK(strcmp(subs[0].out_trade_no, "OD201708030001") == 0 && subs[0].total_amount == 10);
  /* the same name twice, after those values: unknown, then known and escaped */
  edited(doc, sizeof doc, body, "\"promotion_detail\"", "\"bank_type\":\"X\",\"promotion_detail\"");
  CHECK_ERR(v3_parse(doc, &r, subs, 3), WXPAY_ERR_JSON);
  CHECK(r.answer.error_offset == (size_t)(strstr(doc, "\"bank_type\":\"X\"") - doc));
  edited(doc, sizeof doc, body, "\"promotion_detail\"", "\"mch\\u0069d\":\"1\",\"promotion_detail\"");
  CHECK_ERR(v3_parse(doc, &r, subs, 3), WXPAY_ERR_JSON);
  CHECK(r.answer.error_offset == (size_t)(strstr(doc, "\"mch\\u0069d\"") - doc));
  CHECK(r.found == 0 && r.order.sub_order_count == 0);
}

static void null_is_absent_but_still_a_name(void) {
  static char body[4096], doc[8192];
  wxpay_query_sub_order subs[3];
  wxpay_v3_query_resp r;
  v3_order(body, sizeof body, "SUCCESS", NULL);
  edited(doc, sizeof doc, body, "\"sub_mchid\":\"1900000109\"", "\"sub_mchid\":null");
  CHECK_ERR(v3_parse(doc, &r, subs, 3), WXPAY_OK);
  CHECK(*subs[0].sub_mchid == '\0' && strcmp(subs[0].mchid, "1900009001") == 0);
  /* a known member null and given again: twice, whichever comes first */
  edited(doc, sizeof doc, body, "\"trade_type\"", "\"attach\":null,\"trade_type\"");
  CHECK_ERR(v3_parse(doc, &r, subs, 3), WXPAY_ERR_JSON);
  edited(doc, sizeof doc, body, "\"promotion_detail\"", "\"attach\":null,\"promotion_detail\"");
  CHECK_ERR(v3_parse(doc, &r, subs, 3), WXPAY_ERR_JSON);
  /* a required member null is a missing one */
  edited(doc, sizeof doc, body, "\"trade_state\":\"SUCCESS\"", "\"trade_state\":null");
  CHECK_ERR(v3_parse(doc, &r, subs, 3), WXPAY_ERR_QUERY_FIELDS);
}

static void text_that_is_not_json_is_told_before_what_it_means(void) {
  static char body[4096], doc[8192];
  wxpay_query_sub_order subs[3];
  wxpay_v3_query_resp r;
  size_t n;
  /* a sub-order without its mchid is QUERY_FIELDS, unless the text is bad
     further on: then the bad text, at its own offset */
  v3_order(body, sizeof body, "SUCCESS", NULL);
  edited(doc, sizeof doc, body, "\"mchid\":\"1900009001\",", "");
  CHECK_ERR(v3_parse(doc, &r, subs, 3), WXPAY_ERR_QUERY_FIELDS);
  n = strlen(doc);
  doc[n - 1] = ']'; /* the document's '}' */
  CHECK_ERR(v3_parse(doc, &r, subs, 3), WXPAY_ERR_JSON);
  CHECK(r.answer.error_offset == n - 1);
  /* the same for a value of the wrong kind */
  edited(doc, sizeof doc, body, "\"total_amount\":10", "\"total_amount\":\"10\"");
  CHECK_ERR(v3_parse(doc, &r, subs, 3), WXPAY_ERR_JSON);
  CHECK(r.answer.error_offset == (size_t)(strstr(doc, "\"10\"") - doc));
  n = strlen(doc);
  doc[n - 1] = ']';
  CHECK_ERR(v3_parse(doc, &r, subs, 3), WXPAY_ERR_JSON);
  CHECK(r.answer.error_offset == n - 1);
}

/* wxpay__om_find looks for a name from its object's first row to its
   last: the rows of one object must stay together in the list. */
static void order_rows_of_one_object_stay_together(void) {
  unsigned k, m, apart = 0;
  for (k = 1; k < WXPAY__OM_COUNT; k++)
    for (m = k + 1; m < WXPAY__OM_COUNT; m++)
      if (wxpay__order_members[m].node == wxpay__order_members[k - 1].node &&
          wxpay__order_members[k].node != wxpay__order_members[k - 1].node)
        apart++;
  CHECK(apart == 0);
}

/* ---- v3 request and answer checks ---- */

static void v3_query_get_signs_an_empty_body_line(void) {
  wxpay_client c = v3_client();
  wxpay_v3_query_req q = v3_query_req();
  wxpay_v3_request b;
  char out[2048], want[256], auth[512];
  unsigned char d[32], x[32];
  char sig[64];
  size_t i;
  snprintf(want, sizeof want,
           "GET\n/v3/combine-transactions/out-trade-no/" V3_NO "\n1700000000\n%s\n\n",
           q.nonce_str);
  CHECK_ERR(wxpay_v3_query_build(&c, &q, out, sizeof out, &b), WXPAY_OK);
  CHECK(strcmp(b.path, "/v3/combine-transactions/out-trade-no/" V3_NO) == 0);
  CHECK(strcmp(b.message, want) == 0 && b.message_len == strlen(want));
  CHECK(b.body_len == 0);
  wxpay_sha256(want, strlen(want), d);
  for (i = 0; i < 32; i++) x[i] = (unsigned char)(d[i] ^ 0x5A);
  wxpay_base64_encode(x, 32, sig, sizeof sig);
  snprintf(auth, sizeof auth,
           "WECHATPAY2-SHA256-RSA2048 mchid=\"" V3_MCHID "\",serial_no=\"%s\","
           "timestamp=\"1700000000\",nonce_str=\"%s\",signature=\"%s\"",
           c.serial_no, q.nonce_str, sig);
  CHECK(strcmp(b.authorization, auth) == 0);
  q.combine_out_trade_no = "a/b";
  CHECK_ERR(wxpay_v3_query_build(&c, &q, out, sizeof out, &b), WXPAY_ERR_BAD_CHARS);
}

static void v3_query_answer_is_trusted_only_when_signed_and_ours(void) {
  static char body[4096], doc[4096];
  wxpay_query_sub_order subs[3];
  wxpay_v3_query_resp r;
  wxpay_client c = v3_client();
  wxpay_v3_query_req q = v3_query_req();
  v3_sig s;
  size_t len;
  v3_order(body, sizeof body, "SUCCESS", NULL);
  len = strlen(body);
  r.order.sub_orders = subs;
  r.order.sub_order_cap = 3;
  /* unsigned */
  memcpy(doc, body, len + 1);
  CHECK_ERR(wxpay_v3_query_parse(&c, &q, 200, NULL, doc, len, &r), WXPAY_ERR_NO_SIGNATURE);
  /* tampered after signing */
  memcpy(doc, body, len + 1);
  v3_sign_body(&s, doc, len);
  doc[strstr(doc, ":10,") - doc + 1] = '9';
  CHECK_ERR(wxpay_v3_query_parse(&c, &q, 200, &s.h, doc, len, &r), WXPAY_ERR_SIGNATURE);
  CHECK(r.found == 0 && r.order.sub_order_count == 0);
  /* a probe; a timestamp changed after signing */
  memcpy(doc, body, len + 1);
  v3_sign_body(&s, doc, len);
  s.h.signature = "WECHATPAY/SIGNTEST/abc";
  CHECK_ERR(wxpay_v3_query_parse(&c, &q, 200, &s.h, doc, len, &r), WXPAY_ERR_SIGNTEST);
  s.h.signature = s.sig;
  snprintf(s.ts, sizeof s.ts, "%lld", NOW - 301);
  CHECK_ERR(wxpay_v3_query_parse(&c, &q, 200, &s.h, doc, len, &r), WXPAY_ERR_SIGNATURE);
  /* another merchant's order, signed */
  c.mchid = "1900000101";
  memcpy(doc, body, len + 1);
  v3_sign_body(&s, doc, len);
  CHECK_ERR(wxpay_v3_query_parse(&c, &q, 200, &s.h, doc, len, &r), WXPAY_ERR_ECHO_MISMATCH);
  c.mchid = V3_MCHID;
  q.combine_out_trade_no = "P20150806125347";
  memcpy(doc, body, len + 1);
  CHECK_ERR(wxpay_v3_query_parse(&c, &q, 200, &s.h, doc, len, &r), WXPAY_ERR_ECHO_MISMATCH);
  q = v3_query_req();
  /* 404 ORDER_NOT_EXIST, signed: not found; unsigned: not to be trusted */
  snprintf(doc, sizeof doc, "{\"code\":\"ORDER_NOT_EXIST\",\"message\":\"x\"}");
  len = strlen(doc);
  v3_sign_body(&s, doc, len);
  CHECK_ERR(wxpay_v3_query_parse(&c, &q, 404, &s.h, doc, len, &r), WXPAY_OK);
  CHECK(r.found == 0 && r.answer.outcome == WXPAY_OUTCOME_NOT_FOUND);
  snprintf(doc, sizeof doc, "{\"code\":\"ORDER_NOT_EXIST\",\"message\":\"x\"}");
  CHECK_ERR(wxpay_v3_query_parse(&c, &q, 404, NULL, doc, len, &r), WXPAY_ERR_NO_SIGNATURE);
  snprintf(doc, sizeof doc, "{\"code\":\"SYSTEM_ERROR\",\"message\":\"x\"}");
  len = strlen(doc);
  CHECK_ERR(wxpay_v3_query_parse(&c, &q, 500, NULL, doc, len, &r), WXPAY_OK);
  CHECK(r.answer.outcome == WXPAY_OUTCOME_RETRY);
  /* 204 is no query's answer */
  CHECK_ERR(wxpay_v3_query_parse(&c, &q, 204, NULL, NULL, 0, &r), WXPAY_ERR_HTTP_STATUS);
}

/* ---- a scripted transport for query and settle ---- */

typedef struct step {
  wxpay_net net;     /* WXPAY_NET_OK: an answer follows */
  int status;
  const char *body;
  int v3_signed;     /* v3: sign it (1), a wrong signature (2), a SIGNTEST probe (3) */
} step;

typedef struct script {
  const step *steps;
  int count, calls, sleeps_5s, other_sleeps;
  char method[8][8], url[8][128];
  int content_type[8], accept_json[8], serial[8];
  size_t body_len[8];
} script;

static void put_slot(wxpay_http_resp *resp, const char *name, const char *value) {
  size_t k;
  for (k = 0; k < resp->header_count; k++)
    if (strcmp(resp->headers[k].name, name) == 0) {
      snprintf(resp->headers[k].value, resp->headers[k].cap, "%s", value);
      resp->headers[k].len = strlen(resp->headers[k].value);
      resp->headers[k].found = 1;
    }
}

static wxpay_net scripted(void *user, const wxpay_http_req *req, wxpay_http_resp *resp) {
  script *sc = (script *)user;
  const step *st = &sc->steps[sc->calls < sc->count ? sc->calls : sc->count - 1];
  int i = sc->calls < 8 ? sc->calls : 7;
  size_t k, n = strlen(st->body);
  sc->calls++;
  snprintf(sc->method[i], sizeof sc->method[i], "%s", req->method);
  snprintf(sc->url[i], sizeof sc->url[i], "%s", req->url);
  sc->body_len[i] = req->body_len;
  sc->content_type[i] = sc->accept_json[i] = sc->serial[i] = 0;
  for (k = 0; k < req->header_count; k++) {
    sc->content_type[i] += strcmp(req->headers[k].name, "Content-Type") == 0;
    sc->accept_json[i] += strcmp(req->headers[k].name, "Accept") == 0 &&
                          strcmp(req->headers[k].value, "application/json") == 0;
    sc->serial[i] += strcmp(req->headers[k].name, "Wechatpay-Serial") == 0;
  }
  if (st->net != WXPAY_NET_OK) return st->net;
  if (n > resp->body_cap) return WXPAY_NET_TOO_LARGE;
  memcpy(resp->body, st->body, n);
  resp->body_len = n;
  resp->status = st->status;
  if (st->v3_signed) {
    v3_sig s;
    v3_sign_body(&s, st->body, n);
    if (st->v3_signed == 2) s.sig[0] = s.sig[0] == 'A' ? 'B' : 'A';
    if (st->v3_signed == 3) snprintf(s.sig, sizeof s.sig, "WECHATPAY/SIGNTEST/x");
    put_slot(resp, "Wechatpay-Timestamp", s.ts);
    put_slot(resp, "Wechatpay-Nonce", s.nonce);
    put_slot(resp, "Wechatpay-Signature", s.sig);
    put_slot(resp, "Wechatpay-Serial", CERT_SERIAL);
  }
  return WXPAY_NET_OK;
}

static void record_sleep(void *user, unsigned ms) {
  script *sc = (script *)user;
  if (ms == WXPAY_SETTLE_POLL_MS) sc->sleeps_5s++;
  else sc->other_sleeps++;
}

static void use_script(wxpay_client *c, script *sc, const step *steps, int count) {
  memset(sc, 0, sizeof *sc);
  sc->steps = steps;
  sc->count = count;
  c->transport = scripted;
  c->transport_user = sc;
  c->sleep = record_sleep;
  c->sleep_user = sc;
}

static char v3_work[WXPAY_V3_SETTLE_WORK_SIZE];
static char v2_work[WXPAY_SETTLE_WORK_SIZE];

static const wxpay_v3_sub_order v3_subs[] = {{"1900009001", "OD201708030001", NULL, NULL, NULL},
                                             {"1900009002", "OD201708030002", NULL, NULL, NULL}};

static wxpay_v3_close_req v3_close_req(void) {
  wxpay_v3_close_req r;
  memset(&r, 0, sizeof r);
  r.combine_appid = V3_APPID;
  r.combine_out_trade_no = V3_NO;
  r.sub_orders = v3_subs;
  r.sub_order_count = 2;
  return r;
}

static void v3_query_sends_a_get_without_body_and_retries_a_probe(void) {
  static char order[4096];
  step steps[2];
  script sc;
  wxpay_client c = v3_client();
  wxpay_v3_query_req q = v3_query_req();
  wxpay_query_sub_order subs[2];
  wxpay_v3_query_resp r;
  v3_order(order, sizeof order, "SUCCESS", NULL);
  steps[0].net = steps[1].net = WXPAY_NET_OK;
  steps[0].status = steps[1].status = 200;
  steps[0].body = steps[1].body = order;
  steps[0].v3_signed = 2; /* refused; asked again, which a query may be */
  steps[1].v3_signed = 1;
  use_script(&c, &sc, steps, 2);
  c.wechatpay_serial = CERT_SERIAL;
  r.order.sub_orders = subs;
  r.order.sub_order_cap = 2;
  CHECK_ERR(wxpay_v3_query(&c, &q, &r, v3_work, WXPAY_V3_QUERY_WORK_SIZE), WXPAY_ERR_SIGNATURE);
  CHECK(sc.calls == 1 && strcmp(sc.method[0], "GET") == 0 && sc.body_len[0] == 0);
  CHECK(strcmp(sc.url[0], "https://api.mch.weixin.qq.com/v3/combine-transactions/out-trade-no/"
                          V3_NO) == 0);
  CHECK(sc.content_type[0] == 0 && sc.accept_json[0] == 1 && sc.serial[0] == 1);
  /* a SIGNTEST probe is WeChat's own: asked again, the real answer */
  steps[0].v3_signed = 3;
  use_script(&c, &sc, steps, 2);
  c.wechatpay_serial = NULL;
  CHECK_ERR(wxpay_v3_query(&c, &q, &r, v3_work, WXPAY_V3_QUERY_WORK_SIZE), WXPAY_OK);
  CHECK(r.found == 1 && r.order.sub_order_count == 1 && sc.calls == 2);
  CHECK(sc.serial[1] == 0 && strcmp(sc.method[1], "GET") == 0);
}

static void v2_query_goes_to_the_query_endpoint(void) {
  static char order[8192];
  step steps[1];
  script sc;
  wxpay_client c = test_client();
  wxpay_query_req q = v2_query_req();
  wxpay_query_sub_order subs[2];
  wxpay_query_resp r;
  v2_answer(order, sizeof order, "NOTPAY", V2_LIST, V2_NO);
  steps[0].net = WXPAY_NET_OK;
  steps[0].status = 200;
  steps[0].body = order;
  steps[0].v3_signed = 0;
  use_script(&c, &sc, steps, 1);
  r.order.sub_orders = subs;
  r.order.sub_order_cap = 2;
  CHECK_ERR(wxpay_query(&c, &q, &r, v2_work, WXPAY_QUERY_WORK_SIZE), WXPAY_OK);
  CHECK(strcmp(sc.url[0], WXPAY_QUERY_ENDPOINT) == 0 && strcmp(sc.method[0], "POST") == 0);
  CHECK(r.found == 1 && subs[1].state == WXPAY_TRADE_NOTPAY);
  c.endpoint = "http://127.0.0.1:8080/pay/closecombinedorder";
  CHECK_ERR(wxpay_query(&c, &q, &r, v2_work, WXPAY_QUERY_WORK_SIZE), WXPAY_OK);
  CHECK(strcmp(sc.url[1], "http://127.0.0.1:8080/pay/querycombinedorder") == 0);
  c.endpoint = "http://127.0.0.1:8080/close";
  CHECK_ERR(wxpay_query(&c, &q, &r, v2_work, WXPAY_QUERY_WORK_SIZE),
            WXPAY_ERR_QUERY_ENDPOINT);
  c.query_endpoint = "http://127.0.0.1:8080/query";
  CHECK_ERR(wxpay_query(&c, &q, &r, v2_work, WXPAY_QUERY_WORK_SIZE), WXPAY_OK);
  CHECK(strcmp(sc.url[2], "http://127.0.0.1:8080/query") == 0);
}

/* ---- settle, each path ---- */

static void settle_closed_needs_no_query(void) {
  step steps[1] = {{WXPAY_NET_OK, 204, "", 1}};
  script sc;
  wxpay_client c = v3_client();
  wxpay_v3_close_req req = v3_close_req();
  wxpay_v3_settle_result res;
  wxpay_query_sub_order subs[2];
  use_script(&c, &sc, steps, 1);
  res.query.order.sub_orders = subs;
  res.query.order.sub_order_cap = 2;
  CHECK_ERR(wxpay_v3_settle(&c, &req, &res, v3_work, sizeof v3_work), WXPAY_OK);
  CHECK(res.settlement == WXPAY_SETTLE_CLOSED && res.closes == 1 && res.queries == 0);
  CHECK(strcmp(sc.method[0], "POST") == 0 && sc.content_type[0] == 1);
}

static void settle_paid_reports_each_sub_order(void) {
  static char order[8192];
  step steps[2];
  script sc;
  wxpay_client c = test_client();
  wxpay_close_req req = seed_req();
  wxpay_settle_result res;
  wxpay_query_sub_order subs[2];
  v2_answer(order, sizeof order, "SUCCESS", V2_LIST, V2_NO);
  steps[0].net = steps[1].net = WXPAY_NET_OK;
  steps[0].status = steps[1].status = 200;
  steps[0].body = RESP_ORDERPAID;
  steps[1].body = order;
  steps[0].v3_signed = steps[1].v3_signed = 0;
  use_script(&c, &sc, steps, 2);
  res.query.order.sub_orders = subs;
  res.query.order.sub_order_cap = 2;
  CHECK_ERR(wxpay_settle(&c, &req, &res, v2_work, sizeof v2_work), WXPAY_OK);
  CHECK(res.settlement == WXPAY_SETTLE_PAID && res.closes == 1 && res.queries == 1);
  CHECK(res.close.outcome == WXPAY_OUTCOME_PAID);
  CHECK(strcmp(sc.url[1], WXPAY_QUERY_ENDPOINT) == 0);
  CHECK(res.query.order.sub_order_count == 2 && subs[0].state == WXPAY_TRADE_SUCCESS);
  CHECK(strcmp(subs[1].transaction_id, "4200000001201501011234567891") == 0);
  CHECK(subs[1].total_amount == 20);
#ifndef WXPAY_NO_ERROR_STRINGS
  CHECK(strcmp(wxpay_settlement_name(res.settlement), "paid") == 0);
  CHECK(strcmp(wxpay_trade_state_text(WXPAY_TRADE_REFUND), "paid, then refunded in part or in whole") == 0);
#endif
}

static void settle_polls_paying_until_paid(void) {
  static char paying[4096], paid[4096];
  step steps[4];
  script sc;
  wxpay_client c = v3_client();
  wxpay_v3_close_req req = v3_close_req();
  wxpay_v3_settle_result res;
  wxpay_query_sub_order subs[2];
  v3_order(paying, sizeof paying, "USERPAYING", "USERPAYING");
  v3_order(paid, sizeof paid, "SUCCESS", "SUCCESS");
  steps[0].net = steps[1].net = steps[2].net = steps[3].net = WXPAY_NET_OK;
  steps[0].status = 202;
  steps[0].body = "{\"code\":\"USERPAYING\",\"message\":\"paying\"}";
  steps[1].status = steps[2].status = steps[3].status = 200;
  steps[1].body = steps[2].body = paying;
  steps[3].body = paid;
  steps[0].v3_signed = steps[1].v3_signed = steps[2].v3_signed = steps[3].v3_signed = 1;
  use_script(&c, &sc, steps, 4);
  res.query.order.sub_orders = subs;
  res.query.order.sub_order_cap = 2;
  CHECK_ERR(wxpay_v3_settle(&c, &req, &res, v3_work, sizeof v3_work), WXPAY_OK);
  CHECK(res.settlement == WXPAY_SETTLE_PAID && res.closes == 1 && res.queries == 3);
  CHECK(sc.sleeps_5s == 2 && res.close.outcome == WXPAY_OUTCOME_PAYING);
  CHECK(subs[0].state == WXPAY_TRADE_SUCCESS && subs[0].total_amount == 10);
}

static void settle_closes_again_when_paying_never_ends(void) {
  static char paying[4096];
  step steps[4 + WXPAY_SETTLE_POLLS];
  script sc;
  wxpay_client c = v3_client();
  wxpay_v3_close_req req = v3_close_req();
  wxpay_v3_settle_result res;
  wxpay_query_sub_order subs[2];
  int i;
  v3_order(paying, sizeof paying, "USERPAYING", "USERPAYING");
  steps[0].net = WXPAY_NET_OK;
  steps[0].status = 202;
  steps[0].body = "{\"code\":\"USERPAYING\",\"message\":\"paying\"}";
  steps[0].v3_signed = 1;
  for (i = 1; i <= WXPAY_SETTLE_POLLS + 1; i++) {
    steps[i].net = WXPAY_NET_OK;
    steps[i].status = 200;
    steps[i].body = paying;
    steps[i].v3_signed = 1;
  }
  steps[i].net = WXPAY_NET_OK; /* the second close */
  steps[i].status = 204;
  steps[i].body = "";
  steps[i].v3_signed = 1;
  use_script(&c, &sc, steps, i + 1);
  res.query.order.sub_orders = subs;
  res.query.order.sub_order_cap = 2;
  CHECK_ERR(wxpay_v3_settle(&c, &req, &res, v3_work, sizeof v3_work), WXPAY_OK);
  CHECK(res.settlement == WXPAY_SETTLE_CLOSED && res.closes == 2);
  CHECK(res.queries == WXPAY_SETTLE_POLLS + 1 && sc.sleeps_5s == WXPAY_SETTLE_POLLS);
  CHECK(strcmp(sc.method[i], "POST") == 0 && sc.calls == i + 1);
  /* ... and when the second close says PAYING too, one last query: PAYING */
  steps[i] = steps[0];
  steps[i + 1] = steps[1];
  use_script(&c, &sc, steps, i + 2);
  CHECK_ERR(wxpay_v3_settle(&c, &req, &res, v3_work, sizeof v3_work), WXPAY_OK);
  CHECK(res.settlement == WXPAY_SETTLE_PAYING && res.closes == 2);
  CHECK(res.queries == WXPAY_SETTLE_POLLS + 2 && sc.sleeps_5s == WXPAY_SETTLE_POLLS);
}

static void settle_queries_after_a_close_that_got_no_answer(void) {
  static char closed[8192];
  step steps[4];
  script sc;
  wxpay_client c = test_client();
  wxpay_close_req req = seed_req();
  wxpay_settle_result res;
  wxpay_query_sub_order subs[2];
  int i;
  v2_answer(closed, sizeof closed, "CLOSED", V2_LIST, V2_NO);
  for (i = 0; i < 3; i++) { /* every attempt times out after it went out */
    steps[i].net = WXPAY_NET_TIMEOUT;
    steps[i].status = 0;
    steps[i].body = "";
    steps[i].v3_signed = 0;
  }
  steps[3].net = WXPAY_NET_OK;
  steps[3].status = 200;
  steps[3].body = closed;
  steps[3].v3_signed = 0;
  use_script(&c, &sc, steps, 4);
  res.query.order.sub_orders = subs;
  res.query.order.sub_order_cap = 2;
  CHECK_ERR(wxpay_settle(&c, &req, &res, v2_work, sizeof v2_work), WXPAY_OK);
  CHECK(res.settlement == WXPAY_SETTLE_CLOSED && res.closes == 1 && res.queries == 1);
  CHECK(res.close.attempts == 3 && res.close.outcome == WXPAY_OUTCOME_RETRY);
  CHECK(subs[0].state == WXPAY_TRADE_CLOSED && subs[1].state == WXPAY_TRADE_CLOSED);
}

static void settle_never_trusts_an_untrustworthy_query(void) {
  static char order[4096];
  step steps[2];
  script sc;
  wxpay_client c = v3_client();
  wxpay_v3_close_req req = v3_close_req();
  wxpay_v3_settle_result res;
  wxpay_query_sub_order subs[2];
  v3_order(order, sizeof order, "SUCCESS", "SUCCESS");
  steps[0].net = steps[1].net = WXPAY_NET_OK;
  steps[0].status = 400;
  steps[0].body = "{\"code\":\"ORDER_PAID\",\"message\":\"paid\"}";
  steps[0].v3_signed = 1;
  steps[1].status = 200;
  steps[1].body = order;
  steps[1].v3_signed = 2; /* a wrong signature */
  use_script(&c, &sc, steps, 2);
  res.query.order.sub_orders = subs;
  res.query.order.sub_order_cap = 2;
  CHECK_ERR(wxpay_v3_settle(&c, &req, &res, v3_work, sizeof v3_work), WXPAY_ERR_SIGNATURE);
  CHECK(res.settlement == WXPAY_SETTLE_UNSETTLED && res.closes == 1 && res.queries == 1);
  CHECK(res.query.found == 0 && res.query.order.sub_order_count == 0);
  /* nor a close it could not trust, when the query fails too */
  steps[0].v3_signed = 2;
  use_script(&c, &sc, steps, 2);
  CHECK_ERR(wxpay_v3_settle(&c, &req, &res, v3_work, sizeof v3_work), WXPAY_ERR_SIGNATURE);
  CHECK(res.settlement == WXPAY_SETTLE_UNSETTLED && res.queries == 1);
  /* a refusal is no state to settle: no query */
  steps[0].v3_signed = 1;
  steps[0].body = "{\"code\":\"PARAM_ERROR\",\"message\":\"x\"}";
  use_script(&c, &sc, steps, 2);
  CHECK_ERR(wxpay_v3_settle(&c, &req, &res, v3_work, sizeof v3_work), WXPAY_OK);
  CHECK(res.settlement == WXPAY_SETTLE_UNSETTLED && res.queries == 0);
  CHECK(res.close.outcome == WXPAY_OUTCOME_REJECTED);
}

static void query_and_settle_use_no_heap(void) {
  CHECK(t_heap_calls == 0);
}

int main(void) {
  RUN(v2_query_request_is_the_sdk_order_signed_over_sorted_fields);
  RUN(v2_query_reads_the_nested_sub_order_list);
  RUN(v2_query_refuses_a_duplicate_member_at_any_depth);
  RUN(v2_query_checks_order_num_and_the_echo);
  RUN(v2_query_refuses_a_value_hiding_trade_state);
  RUN(more_sub_orders_than_room_is_refused_with_the_count);
  RUN(v3_query_reads_the_order_and_skips_unknown_members);
  RUN(truncated_answers_are_refused_at_every_length);
  RUN(deep_wrong_and_bad_amounts_are_refused_with_offsets);
  RUN(a_walk_back_over_kept_values_finds_what_it_should);
  RUN(null_is_absent_but_still_a_name);
  RUN(text_that_is_not_json_is_told_before_what_it_means);
  RUN(order_rows_of_one_object_stay_together);
  RUN(v3_query_get_signs_an_empty_body_line);
  RUN(v3_query_answer_is_trusted_only_when_signed_and_ours);
  RUN(v3_query_sends_a_get_without_body_and_retries_a_probe);
  RUN(v2_query_goes_to_the_query_endpoint);
  RUN(settle_closed_needs_no_query);
  RUN(settle_paid_reports_each_sub_order);
  RUN(settle_polls_paying_until_paid);
  RUN(settle_closes_again_when_paying_never_ends);
  RUN(settle_queries_after_a_close_that_got_no_answer);
  RUN(settle_never_trusts_an_untrustworthy_query);
  RUN(query_and_settle_use_no_heap);
  return t_total_failed ? 1 : 0;
}
