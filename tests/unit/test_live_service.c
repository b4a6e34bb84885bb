/* >>live service: what WeChat Pay really sends and never sends (issue 11),
   one named test per behaviour. Sources, for each: README.md, "What the
   live service does". The platform's RSA is a stand-in here (the digest
   XOR 0x5A under a serial), as in test_v3.c: RSA itself is the adapters'
   job, tested there against OpenSSL and the Node SDK. v2 answers are signed
   here by hand: the sorted string written out in the test, HMAC-SHA256 from
   the library (known-answer tested in test_crypto.c). */
#define WXPAY_CLOSE_IMPLEMENTATION
#include "common.h"

#define NOW 1700000000LL
#define CERT_SERIAL "5157F09EFDC096DE15EBE81A47057A7232F1B8E1"
#define PUBKEY_ID "PUB_KEY_ID_0114232134912410000000000000"

static long long fake_clock(void *user) { (void)user; return NOW; }

static int fake_sign(void *user, const unsigned char *msg, size_t msg_len,
                     const unsigned char digest[32], unsigned char *sig, size_t cap,
                     size_t *sig_len) {
  size_t i, n = *(const size_t *)user; /* the signature length to claim */
  (void)msg; (void)msg_len;
  if (n > cap) return -1;
  for (i = 0; i < n; i++) sig[i] = (unsigned char)(digest[i % 32] ^ 0x5A);
  *sig_len = n;
  return 0;
}

/* Knows the certificate and the public key; an answer is valid when its
   signature is the digest XOR 0x5A. */
static int fake_verify(void *user, const char *serial, const unsigned char digest[32],
                       const unsigned char *sig, size_t sig_len) {
  size_t i;
  (void)user;
  if (strcmp(serial, CERT_SERIAL) != 0 && strcmp(serial, PUBKEY_ID) != 0) return -1;
  if (sig_len != 32) return 0;
  for (i = 0; i < 32; i++)
    if (sig[i] != (digest[i] ^ 0x5A)) return 0;
  return 1;
}

static size_t sig_len_32 = 32;

static wxpay_client v3_client(void) {
  wxpay_client c;
  memset(&c, 0, sizeof c);
  c.mchid = "1900000100";
  c.serial_no = "408B07E79B8269FEC3D5D3E6AB8ED163A6A380DB";
  c.v3_sign = fake_sign;
  c.v3_sign_user = &sig_len_32;
  c.v3_verify = fake_verify;
  c.clock = fake_clock;
  return c;
}

static const wxpay_v3_sub_order one_sub[] = {{"1900009001", "OD201708030001", NULL, NULL, NULL}};

static wxpay_v3_close_req v3_req(void) {
  wxpay_v3_close_req r;
  memset(&r, 0, sizeof r);
  r.combine_appid = "wxd678efh567hg6787";
  r.combine_out_trade_no = "P20150806125346";
  r.sub_orders = one_sub;
  r.sub_order_count = 1;
  r.nonce_str = "593BEC0C930BF1AFEB40B4A08C8FB242";
  r.timestamp = NOW;
  return r;
}

/* An answer signed the platform's way over "ts\nnonce\nbody\n". */
typedef struct answer {
  int status;
  char body[512];
  char ts[24], nonce[40], sig[64], serial[80];
  wxpay_v3_resp_headers h;
} answer;

static void sign_answer(answer *a, int status, const char *body, const char *serial) {
  unsigned char d[32], s[32];
  char msg[1024];
  size_t i;
  a->status = status;
  snprintf(a->body, sizeof a->body, "%s", body);
  snprintf(a->ts, sizeof a->ts, "%lld", NOW);
  snprintf(a->nonce, sizeof a->nonce, "%s", "n0nce4ns3r");
  snprintf(a->serial, sizeof a->serial, "%s", serial);
  snprintf(msg, sizeof msg, "%s\n%s\n%s\n", a->ts, a->nonce, body);
  wxpay_sha256(msg, strlen(msg), d);
  for (i = 0; i < 32; i++) s[i] = (unsigned char)(d[i] ^ 0x5A);
  wxpay_base64_encode(s, 32, a->sig, sizeof a->sig);
  a->h.timestamp = a->ts;
  a->h.nonce = a->nonce;
  a->h.signature = a->sig;
  a->h.serial = a->serial;
}

static wxpay_err parse_answer(answer *a, wxpay_v3_close_resp *r) {
  wxpay_client c = v3_client();
  return wxpay_v3_close_parse(&c, a->status, &a->h, a->body, strlen(a->body), r);
}

/* A scripted transport: answers[i] for the i-th exchange (the last one
   again past the end); records the request headers it was given. */
typedef struct script {
  answer *answers;
  int count, calls;
  char sent_serial[80];
  int sent_serial_found;
} script;

static void put_slot(wxpay_http_resp *resp, const char *name, const char *value) {
  size_t k;
  for (k = 0; k < resp->header_count; k++) {
    wxpay_header_slot *s = &resp->headers[k];
    if (strcmp(s->name, name) == 0) {
      snprintf(s->value, s->cap, "%s", value);
      s->len = strlen(s->value);
      s->found = 1;
    }
  }
}

static wxpay_net scripted(void *user, const wxpay_http_req *req, wxpay_http_resp *resp) {
  script *sc = (script *)user;
  answer *a = &sc->answers[sc->calls < sc->count ? sc->calls : sc->count - 1];
  size_t k, n = strlen(a->body);
  sc->calls++;
  sc->sent_serial_found = 0;
  for (k = 0; k < req->header_count; k++)
    if (strcmp(req->headers[k].name, "Wechatpay-Serial") == 0) {
      snprintf(sc->sent_serial, sizeof sc->sent_serial, "%s", req->headers[k].value);
      sc->sent_serial_found++;
    }
  if (n > resp->body_cap) return WXPAY_NET_TOO_LARGE;
  memcpy(resp->body, a->body, n);
  resp->body_len = n;
  resp->status = a->status;
  put_slot(resp, "Wechatpay-Timestamp", a->ts);
  put_slot(resp, "Wechatpay-Nonce", a->nonce);
  put_slot(resp, "Wechatpay-Signature", a->sig);
  put_slot(resp, "Wechatpay-Serial", a->serial);
  return WXPAY_NET_OK;
}

static char work[WXPAY_V3_WORK_SIZE];

/* ---- 1. Wechatpay-Serial ---- */

static void v3_request_names_the_platform_key_in_wechatpay_serial(void) {
  answer a[1];
  script sc;
  wxpay_client c = v3_client();
  wxpay_v3_close_req r = v3_req();
  wxpay_v3_close_resp resp;
  memset(&sc, 0, sizeof sc);
  sign_answer(&a[0], 204, "", PUBKEY_ID);
  sc.answers = a;
  sc.count = 1;
  c.transport = scripted;
  c.transport_user = &sc;
  c.wechatpay_serial = PUBKEY_ID;
  CHECK_ERR(wxpay_v3_close(&c, &r, &resp, work, sizeof work), WXPAY_OK);
  CHECK(resp.outcome == WXPAY_OUTCOME_CLOSED && resp.verified == 1);
  CHECK(sc.sent_serial_found == 1 && strcmp(sc.sent_serial, PUBKEY_ID) == 0);
  CHECK(strcmp(resp.serial, PUBKEY_ID) == 0);
}

static void v3_request_without_wechatpay_serial_sends_none(void) {
  answer a[1];
  script sc;
  wxpay_client c = v3_client();
  wxpay_v3_close_req r = v3_req();
  wxpay_v3_close_resp resp;
  memset(&sc, 0, sizeof sc);
  sign_answer(&a[0], 204, "", CERT_SERIAL);
  sc.answers = a;
  sc.count = 1;
  c.transport = scripted;
  c.transport_user = &sc;
  CHECK_ERR(wxpay_v3_close(&c, &r, &resp, work, sizeof work), WXPAY_OK);
  CHECK(sc.sent_serial_found == 0);
  c.wechatpay_serial = ""; /* empty is unset */
  CHECK_ERR(wxpay_v3_close(&c, &r, &resp, work, sizeof work), WXPAY_OK);
  CHECK(sc.sent_serial_found == 0);
}

static void v3_validate_refuses_a_malformed_wechatpay_serial(void) {
  wxpay_client c = v3_client();
  wxpay_v3_close_req r = v3_req();
  const char *field = NULL;
  char long_serial[70];
  c.wechatpay_serial = "PUB_KEY_ID_01\"x";
  CHECK_ERR(wxpay_v3_close_validate(&c, &r, &field, NULL), WXPAY_ERR_BAD_CHARS);
  CHECK(field && strcmp(field, "wechatpay_serial") == 0);
  memset(long_serial, 'A', 65);
  long_serial[65] = '\0';
  c.wechatpay_serial = long_serial;
  CHECK_ERR(wxpay_v3_close_validate(&c, &r, NULL, NULL), WXPAY_ERR_FIELD_TOO_LONG);
  long_serial[64] = '\0';
  CHECK_ERR(wxpay_v3_close_validate(&c, &r, NULL, NULL), WXPAY_OK);
}

/* ---- 2. 202 USERPAYING ---- */

static void v3_signed_202_userpaying_is_paying(void) {
  static const char *const codes[] = {"USERPAYING", "USER_PAYING"};
  size_t i;
  for (i = 0; i < 2; i++) {
    answer a;
    wxpay_v3_close_resp r;
    char body[128];
    snprintf(body, sizeof body, "{\"code\":\"%s\",\"message\":\"用户支付中\"}", codes[i]);
    sign_answer(&a, 202, body, CERT_SERIAL);
    CHECK_ERR(parse_answer(&a, &r), WXPAY_OK);
    CHECK(r.outcome == WXPAY_OUTCOME_PAYING && r.verified == 1);
    CHECK(strcmp(r.code, codes[i]) == 0);
  }
  CHECK(strcmp(wxpay_outcome_name(WXPAY_OUTCOME_PAYING), "paying") == 0);
}

static void v3_unsigned_202_userpaying_is_not_trusted(void) {
  char body[] = "{\"code\":\"USERPAYING\",\"message\":\"paying\"}";
  wxpay_client c = v3_client();
  wxpay_v3_close_resp r;
  wxpay_v3_resp_headers none;
  memset(&none, 0, sizeof none);
  CHECK_ERR(wxpay_v3_close_parse(&c, 202, &none, body, strlen(body), &r),
            WXPAY_ERR_NO_SIGNATURE);
  CHECK(r.outcome == WXPAY_OUTCOME_NONE && r.verified == 0);
}

static void v3_signed_202_that_is_not_userpaying_is_refused(void) {
  static const char *const bodies[] = {"{\"code\":\"ORDER_CLOSED\",\"message\":\"x\"}",
                                       "{\"code\":\"ORDER_PAID\",\"message\":\"x\"}", "", "{}"};
  size_t i;
  for (i = 0; i < 4; i++) {
    answer a;
    wxpay_v3_close_resp r;
    sign_answer(&a, 202, bodies[i], CERT_SERIAL);
    CHECK(parse_answer(&a, &r) != WXPAY_OK);
    CHECK(r.outcome == WXPAY_OUTCOME_NONE && r.verified == 0);
  }
}

static void v2_userpaying_err_code_is_paying(void) {
  /* the sorted string, written out; signed with the test key */
  const char *sign_string =
      "combine_appid=wx8888888888888888&combine_mch_id=1900000109&err_code=USERPAYING"
      "&nonce_str=n0nce&result_code=FAIL&return_code=SUCCESS&key=" KEY;
  unsigned char mac[32];
  char hex[65], body[1024];
  wxpay_client c = test_client();
  wxpay_close_req req = seed_req();
  wxpay_close_resp r;
  size_t i;
  wxpay_hmac_sha256(KEY, 32, sign_string, strlen(sign_string), mac);
  for (i = 0; i < 32; i++) snprintf(hex + 2 * i, 3, "%02X", mac[i]);
  snprintf(body, sizeof body,
           "<xml><return_code>SUCCESS</return_code><combine_appid>wx8888888888888888"
           "</combine_appid><combine_mch_id>1900000109</combine_mch_id><nonce_str>n0nce"
           "</nonce_str><result_code>FAIL</result_code><err_code>USERPAYING</err_code>"
           "<sign>%s</sign></xml>", hex);
  CHECK_ERR(wxpay_close_parse(&c, &req, body, strlen(body), &r), WXPAY_OK);
  CHECK(r.outcome == WXPAY_OUTCOME_PAYING && r.verified == 1);
}

/* ---- 3. a 204 with a body ---- */

static void v3_relabelled_204_with_a_signed_body_is_refused(void) {
  answer a;
  wxpay_v3_close_resp r;
  /* a genuine signed ORDER_PAID answer, its status changed to 204 */
  sign_answer(&a, 400, "{\"code\":\"ORDER_PAID\",\"message\":\"paid\"}", CERT_SERIAL);
  a.status = 204;
  CHECK_ERR(parse_answer(&a, &r), WXPAY_ERR_STATUS_BODY);
  CHECK(r.outcome == WXPAY_OUTCOME_NONE && r.verified == 0);
}

static void v3_close_refuses_a_relabelled_204_from_its_transport(void) {
  answer a[1];
  script sc;
  wxpay_client c = v3_client();
  wxpay_v3_close_req r = v3_req();
  wxpay_v3_close_resp resp;
  memset(&sc, 0, sizeof sc);
  sign_answer(&a[0], 400, "{\"code\":\"ORDER_PAID\",\"message\":\"paid\"}", CERT_SERIAL);
  a[0].status = 204;
  sc.answers = a;
  sc.count = 1;
  c.transport = scripted;
  c.transport_user = &sc;
  CHECK_ERR(wxpay_v3_close(&c, &r, &resp, work, sizeof work), WXPAY_ERR_STATUS_BODY);
  CHECK(resp.outcome == WXPAY_OUTCOME_NONE && resp.verified == 0);
  CHECK(sc.calls == 1); /* untrustworthy: not retried */
}

static void v3_parse_of_an_empty_204_takes_a_null_body(void) {
  answer a;
  wxpay_client c = v3_client();
  wxpay_v3_close_resp r;
  sign_answer(&a, 204, "", CERT_SERIAL);
  CHECK_ERR(wxpay_v3_close_parse(&c, 204, &a.h, NULL, 0, &r), WXPAY_OK);
  CHECK(r.outcome == WXPAY_OUTCOME_CLOSED && r.verified == 1);
}

/* ---- 4. up to 50 sub-orders, individual_auth_id ---- */

static char ids[WXPAY_V3_MAX_SUB_ORDERS + 1][4][70];

/* n sub-orders with every field at its longest */
static void longest_subs(wxpay_v3_sub_order *s, size_t n) {
  size_t i;
  for (i = 0; i < n; i++) {
    memset(ids[i][0], '9', 32); ids[i][0][32] = '\0';               /* mchid */
    snprintf(ids[i][1], 70, "OD_%029lu", (unsigned long)i);         /* 32 chars */
    memset(ids[i][2], 'z', 32); ids[i][2][32] = '\0';               /* sub_appid */
    memset(ids[i][3], 'A', 64); ids[i][3][64] = '\0';               /* individual_auth_id */
    s[i].mchid = ids[i][0];
    s[i].out_trade_no = ids[i][1];
    s[i].sub_mchid = ids[i][0];
    s[i].sub_appid = ids[i][2];
    s[i].individual_auth_id = ids[i][3];
  }
}

static void v3_takes_fifty_sub_orders_and_refuses_fifty_one(void) {
  static wxpay_v3_sub_order s[WXPAY_V3_MAX_SUB_ORDERS + 1];
  wxpay_client c = v3_client();
  wxpay_v3_close_req r = v3_req();
  CHECK(WXPAY_V3_MAX_SUB_ORDERS == 50 && WXPAY_MAX_SUB_ORDERS == 10);
  longest_subs(s, WXPAY_V3_MAX_SUB_ORDERS + 1);
  r.sub_orders = s;
  r.sub_order_count = 50;
  CHECK_ERR(wxpay_v3_close_validate(&c, &r, NULL, NULL), WXPAY_OK);
  r.sub_order_count = 51;
  CHECK_ERR(wxpay_v3_close_validate(&c, &r, NULL, NULL), WXPAY_ERR_SUB_ORDER_COUNT);
}

static void v2_still_takes_at_most_ten_sub_orders(void) {
  static wxpay_sub_order s[11];
  wxpay_client c = test_client();
  wxpay_close_req r = seed_req();
  size_t i;
  for (i = 0; i < 11; i++) { s[i].mchid = "1900009001"; s[i].out_trade_no = "OD1"; }
  r.sub_orders = s;
  r.sub_order_count = 10;
  CHECK_ERR(wxpay_close_validate(&c, &r, NULL, NULL), WXPAY_OK);
  r.sub_order_count = 11;
  CHECK_ERR(wxpay_close_validate(&c, &r, NULL, NULL), WXPAY_ERR_SUB_ORDER_COUNT);
}

/* The worst request (50 longest sub-orders, a 4096-bit signature) is built
   by wxpay_v3_close() inside WXPAY_V3_WORK_SIZE, with room left for an
   answer: a transport that records the room it was given. */
static size_t room_for_answer;
static wxpay_net room_recorder(void *user, const wxpay_http_req *req, wxpay_http_resp *resp) {
  (void)user; (void)req;
  room_for_answer = resp->body_cap;
  return WXPAY_NET_CONNECT;
}

static void v3_worst_request_fits_the_default_work_size(void) {
  static wxpay_v3_sub_order s[WXPAY_V3_MAX_SUB_ORDERS];
  static size_t sig_len_512 = 512;
  wxpay_client c = v3_client();
  wxpay_v3_close_req r = v3_req();
  wxpay_v3_close_resp resp;
  longest_subs(s, WXPAY_V3_MAX_SUB_ORDERS);
  r.sub_orders = s;
  r.sub_order_count = WXPAY_V3_MAX_SUB_ORDERS;
  c.v3_sign_user = &sig_len_512;
  c.transport = room_recorder;
  c.attempts = 1;
  c.v3_host = "https://api.mch.weixin.qq.com";
  CHECK_ERR(wxpay_v3_close(&c, &r, &resp, work, sizeof work), WXPAY_ERR_TRANSPORT);
  CHECK(room_for_answer >= 1536);
}

static void v3_body_sends_individual_auth_id_after_out_trade_no(void) {
  static const wxpay_v3_sub_order s[] = {{"1900009001", "OD1", "1900000109", NULL, "1900000109"}};
  wxpay_client c = v3_client();
  wxpay_v3_close_req r = v3_req();
  wxpay_v3_request b;
  char out[4096];
  const char *want = "{\"combine_appid\":\"wxd678efh567hg6787\",\"sub_orders\":[{\"mchid\":"
                     "\"1900009001\",\"out_trade_no\":\"OD1\",\"individual_auth_id\":"
                     "\"1900000109\",\"sub_mchid\":\"1900000109\"}]}";
  r.sub_orders = s;
  CHECK_ERR(wxpay_v3_close_build(&c, &r, out, sizeof out, &b), WXPAY_OK);
  CHECK(b.body_len == strlen(want) && memcmp(b.body, want, b.body_len) == 0);
}

static void v3_validate_refuses_a_malformed_individual_auth_id(void) {
  static wxpay_v3_sub_order s[1] = {{"1900009001", "OD1", NULL, NULL, "a\"b"}};
  wxpay_client c = v3_client();
  wxpay_v3_close_req r = v3_req();
  const char *field = NULL;
  char long_id[70];
  r.sub_orders = s;
  CHECK_ERR(wxpay_v3_close_validate(&c, &r, &field, NULL), WXPAY_ERR_BAD_CHARS);
  CHECK(field && strcmp(field, "sub_orders.individual_auth_id") == 0);
  memset(long_id, '7', 65);
  long_id[65] = '\0';
  s[0].individual_auth_id = long_id;
  CHECK_ERR(wxpay_v3_close_validate(&c, &r, NULL, NULL), WXPAY_ERR_FIELD_TOO_LONG);
}

/* ---- 5. SIGNTEST probes ---- */

static void v3_signtest_probe_is_refused(void) {
  answer a;
  wxpay_v3_close_resp r;
  sign_answer(&a, 204, "", CERT_SERIAL);
  snprintf(a.sig, sizeof a.sig, "%s", "WECHATPAY/SIGNTEST/2K2sYv7+4TDhGE3JvVA8lg==");
  CHECK_ERR(parse_answer(&a, &r), WXPAY_ERR_SIGNTEST);
  CHECK(r.outcome == WXPAY_OUTCOME_NONE && r.verified == 0);
}

static void v3_close_closes_again_after_a_signtest_probe(void) {
  answer a[2];
  script sc;
  wxpay_client c = v3_client();
  wxpay_v3_close_req r = v3_req();
  wxpay_v3_close_resp resp;
  memset(&sc, 0, sizeof sc);
  sign_answer(&a[0], 204, "", CERT_SERIAL);
  snprintf(a[0].sig, sizeof a[0].sig, "%s", "WECHATPAY/SIGNTEST/AAAA");
  /* the probe's close went through: closing again says so */
  sign_answer(&a[1], 400, "{\"code\":\"ORDER_CLOSED\",\"message\":\"closed\"}", CERT_SERIAL);
  sc.answers = a;
  sc.count = 2;
  c.transport = scripted;
  c.transport_user = &sc;
  CHECK_ERR(wxpay_v3_close(&c, &r, &resp, work, sizeof work), WXPAY_OK);
  CHECK(resp.outcome == WXPAY_OUTCOME_ALREADY_CLOSED && resp.verified == 1);
  CHECK(sc.calls == 2 && resp.attempts == 2);
}

static void v3_close_gives_up_when_every_attempt_is_a_signtest_probe(void) {
  answer a[1];
  script sc;
  wxpay_client c = v3_client();
  wxpay_v3_close_req r = v3_req();
  wxpay_v3_close_resp resp;
  memset(&sc, 0, sizeof sc);
  sign_answer(&a[0], 204, "", CERT_SERIAL);
  snprintf(a[0].sig, sizeof a[0].sig, "%s", "WECHATPAY/SIGNTEST/AAAA");
  sc.answers = a;
  sc.count = 1;
  c.transport = scripted;
  c.transport_user = &sc;
  c.attempts = 2;
  CHECK_ERR(wxpay_v3_close(&c, &r, &resp, work, sizeof work), WXPAY_ERR_SIGNTEST);
  CHECK(resp.outcome == WXPAY_OUTCOME_NONE && sc.calls == 2);
}

static void v3_other_bad_signatures_are_not_retried(void) {
  answer a[1];
  script sc;
  wxpay_client c = v3_client();
  wxpay_v3_close_req r = v3_req();
  wxpay_v3_close_resp resp;
  memset(&sc, 0, sizeof sc);
  sign_answer(&a[0], 204, "", CERT_SERIAL);
  a[0].sig[5] = a[0].sig[5] == 'A' ? 'B' : 'A';
  sc.answers = a;
  sc.count = 1;
  c.transport = scripted;
  c.transport_user = &sc;
  CHECK_ERR(wxpay_v3_close(&c, &r, &resp, work, sizeof work), WXPAY_ERR_SIGNATURE);
  CHECK(sc.calls == 1);
}

/* ---- 6. codes ---- */

static void v3_codes_of_the_live_service_map_to_their_outcomes(void) {
  static const struct { int status; const char *code; wxpay_outcome want; } rows[] = {
      {403, "RULELIMIT", WXPAY_OUTCOME_RETRY},
      {403, "RULE_LIMIT", WXPAY_OUTCOME_RETRY},
      {502, "SERVICE_UNAVAILABLE", WXPAY_OUTCOME_RETRY},
      {503, "SERVICE_UNAVAILABLE", WXPAY_OUTCOME_RETRY},
      {404, "ORDERNOTEXIST", WXPAY_OUTCOME_NOT_FOUND},
      {404, "ORDER_NOT_EXIST", WXPAY_OUTCOME_NOT_FOUND},
      {429, "FREQUENCY_LIMITED", WXPAY_OUTCOME_RETRY},
      {429, "RATELIMIT_EXCEEDED", WXPAY_OUTCOME_RETRY},
      {500, "SYSTEM_ERROR", WXPAY_OUTCOME_RETRY},
      {400, "ORDER_CLOSED", WXPAY_OUTCOME_ALREADY_CLOSED},
      {400, "ORDER_PAID", WXPAY_OUTCOME_PAID},
      {403, "NO_AUTH", WXPAY_OUTCOME_REJECTED},
  };
  size_t i;
  for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
    answer a;
    wxpay_v3_close_resp r;
    char body[128];
    snprintf(body, sizeof body, "{\"code\":\"%s\",\"message\":\"m\"}", rows[i].code);
    sign_answer(&a, rows[i].status, body, CERT_SERIAL);
    CHECK_ERR(parse_answer(&a, &r), WXPAY_OK);
    if (r.outcome != rows[i].want) {
      printf("  %d %s gave %s\n", rows[i].status, rows[i].code, wxpay_outcome_name(r.outcome));
      CHECK(r.outcome == rows[i].want);
    }
  }
}

/* ---- 7. the JSON reader ---- */

static void json_reader_refuses_a_duplicate_after_an_empty_first_value(void) {
  static const char *const docs[] = {
      "{\"code\":\"\",\"code\":\"ORDER_CLOSED\"}",
      "{\"message\":\"\",\"code\":\"X\",\"message\":\"y\"}",
      "{\"detail\":{},\"code\":\"X\",\"detail\":{}}",
      "{\"code\":\"ORDER_PAID\",\"code\":\"ORDER_CLOSED\"}"};
  size_t i;
  for (i = 0; i < 4; i++) {
    char body[128];
    const char *code = NULL;
    snprintf(body, sizeof body, "%s", docs[i]);
    CHECK_ERR(wxpay_json_error_read(body, strlen(body), &code, NULL, NULL, NULL),
              WXPAY_ERR_JSON);
  }
}

static void v3_signed_duplicate_code_is_not_an_outcome(void) {
  answer a;
  wxpay_v3_close_resp r;
  sign_answer(&a, 400, "{\"code\":\"\",\"code\":\"ORDER_CLOSED\",\"message\":\"x\"}", CERT_SERIAL);
  CHECK_ERR(parse_answer(&a, &r), WXPAY_ERR_JSON);
  CHECK(r.outcome == WXPAY_OUTCOME_NONE && r.verified == 0);
}

/* ---- 8 and 9: APIv2 answers ---- */

/* Signs fields (name, value pairs, already in sorted order for the string
   to sign) into an XML answer. */
static void signed_v2(char *body, size_t cap, const char *const *kv, size_t n) {
  char s[2048], hex[65];
  unsigned char mac[32];
  size_t i, len = 0, at;
  s[0] = '\0';
  for (i = 0; i < n; i++)
    if (*kv[2 * i + 1])
      len += (size_t)snprintf(s + len, sizeof s - len, "%s=%s&", kv[2 * i], kv[2 * i + 1]);
  snprintf(s + len, sizeof s - len, "key=%s", KEY);
  wxpay_hmac_sha256(KEY, 32, s, strlen(s), mac);
  for (i = 0; i < 32; i++) snprintf(hex + 2 * i, 3, "%02X", mac[i]);
  at = (size_t)snprintf(body, cap, "<xml>");
  for (i = 0; i < n; i++)
    at += (size_t)snprintf(body + at, cap - at, "<%s><![CDATA[%s]]></%s>", kv[2 * i],
                           kv[2 * i + 1], kv[2 * i]);
  snprintf(body + at, cap - at, "<sign>%s</sign></xml>", hex);
}

static wxpay_err parse_v2(const char *const *kv, size_t n, wxpay_close_resp *r,
                          const wxpay_close_req *req) {
  static char body[4096];
  wxpay_client c = test_client();
  signed_v2(body, sizeof body, kv, n);
  return wxpay_close_parse(&c, req, body, strlen(body), r);
}

static void v2_signed_systemerror_without_echo_is_retry(void) {
  static const char *const kv[] = {"err_code", "SYSTEMERROR", "err_code_des", "系统错误",
                                   "nonce_str", "n0nce", "result_code", "FAIL",
                                   "return_code", "SUCCESS", "return_msg", "OK"};
  wxpay_close_req req = seed_req();
  wxpay_close_resp r;
  CHECK_ERR(parse_v2(kv, 6, &r, &req), WXPAY_OK);
  CHECK(r.outcome == WXPAY_OUTCOME_RETRY && r.verified == 1);
}

static void v2_signed_fail_with_another_echo_is_still_refused(void) {
  static const char *const kv[] = {"combine_mch_id", "1900000110", "err_code", "SYSTEMERROR",
                                   "nonce_str", "n0nce", "result_code", "FAIL",
                                   "return_code", "SUCCESS"};
  wxpay_close_req req = seed_req();
  wxpay_close_resp r;
  CHECK_ERR(parse_v2(kv, 5, &r, &req), WXPAY_ERR_ECHO_MISMATCH);
  CHECK(r.outcome == WXPAY_OUTCOME_NONE);
}

static void v2_signed_success_without_echo_is_still_refused(void) {
  static const char *const kv[] = {"nonce_str", "n0nce", "result_code", "SUCCESS",
                                   "return_code", "SUCCESS"};
  wxpay_close_req req = seed_req();
  wxpay_close_resp r;
  CHECK_ERR(parse_v2(kv, 3, &r, &req), WXPAY_ERR_ECHO_MISMATCH);
  CHECK(r.outcome == WXPAY_OUTCOME_NONE);
}

static void v2_deciding_value_with_ampersand_or_equals_is_ambiguous(void) {
  static const char *const amp[] = {"combine_appid", "wx8888888888888888", "combine_mch_id",
                                    "1900000109", "err_code", "ORDERPAID&x=y", "nonce_str",
                                    "n0nce", "result_code", "FAIL", "return_code", "SUCCESS"};
  static const char *const eq[] = {"combine_appid", "wx8888888888888888", "combine_mch_id",
                                   "1900000109", "err_code", "ORDERCLOSED=", "nonce_str",
                                   "n0nce", "result_code", "FAIL", "return_code", "SUCCESS"};
  wxpay_close_req req = seed_req();
  wxpay_close_resp r;
  CHECK_ERR(parse_v2(amp, 6, &r, &req), WXPAY_ERR_AMBIGUOUS);
  CHECK(r.outcome == WXPAY_OUTCOME_NONE && r.verified == 0);
  CHECK_ERR(parse_v2(eq, 6, &r, &req), WXPAY_ERR_AMBIGUOUS);
}

/* The genuine answer "...&device_info=POS1&err_code=ORDERPAID&..." cut
   again as one field device_info = "POS1&err_code=ORDERPAID": the same
   string to sign, no err_code any more. */
static void v2_value_hiding_a_deciding_field_is_ambiguous(void) {
  static const char *const genuine[] = {
      "combine_appid", "wx8888888888888888", "combine_mch_id", "1900000109",
      "device_info", "POS1", "err_code", "ORDERPAID", "nonce_str", "n0nce",
      "result_code", "FAIL", "return_code", "SUCCESS"};
  static const char *const recut[] = {
      "combine_appid", "wx8888888888888888", "combine_mch_id", "1900000109",
      "device_info", "POS1&err_code=ORDERPAID", "nonce_str", "n0nce",
      "result_code", "FAIL", "return_code", "SUCCESS"};
  wxpay_close_req req = seed_req();
  wxpay_close_resp r;
  CHECK_ERR(parse_v2(genuine, 7, &r, &req), WXPAY_OK);
  CHECK(r.outcome == WXPAY_OUTCOME_PAID);
  CHECK_ERR(parse_v2(recut, 6, &r, &req), WXPAY_ERR_AMBIGUOUS);
  CHECK_ERR(parse_v2(recut, 6, &r, NULL), WXPAY_ERR_AMBIGUOUS);
  CHECK(r.outcome == WXPAY_OUTCOME_NONE);
}

static void v2_ampersand_in_a_message_is_not_ambiguous(void) {
  static const char *const kv[] = {"combine_appid", "wx8888888888888888", "combine_mch_id",
                                   "1900000109", "err_code", "ORDERCLOSED", "err_code_des",
                                   "订单已关闭 & 不可再付 a=b", "nonce_str", "n0nce",
                                   "result_code", "FAIL", "return_code", "SUCCESS"};
  wxpay_close_req req = seed_req();
  wxpay_close_resp r;
  CHECK_ERR(parse_v2(kv, 7, &r, &req), WXPAY_OK);
  CHECK(r.outcome == WXPAY_OUTCOME_ALREADY_CLOSED);
}

/* ---- 10. ids ---- */

static void merchant_ids_are_digits_and_appids_letters_and_digits(void) {
  static wxpay_sub_order bad_sub[1] = {{"1900009001:OD1", "x"}};
  wxpay_client c = test_client();
  wxpay_close_req r = seed_req();
  const char *field = NULL;
  r.combine_mch_id = "19000001\"9";
  CHECK_ERR(wxpay_close_validate(&c, &r, &field, NULL), WXPAY_ERR_BAD_CHARS);
  CHECK(field && strcmp(field, "combine_mch_id") == 0);
  r = seed_req();
  r.combine_appid = "wx_8888";
  CHECK_ERR(wxpay_close_validate(&c, &r, &field, NULL), WXPAY_ERR_BAD_CHARS);
  CHECK(field && strcmp(field, "combine_appid") == 0);
  r = seed_req();
  r.sub_orders = bad_sub;
  CHECK_ERR(wxpay_close_validate(&c, &r, &field, NULL), WXPAY_ERR_BAD_CHARS);
  CHECK(field && strcmp(field, "sub_orders.mchid") == 0);
}

static void v3_merchant_ids_are_digits_and_appids_letters_and_digits(void) {
  static wxpay_v3_sub_order s[1];
  wxpay_client c = v3_client();
  wxpay_v3_close_req r = v3_req();
  const char *field = NULL;
  c.mchid = "1900000100a";
  CHECK_ERR(wxpay_v3_close_validate(&c, &r, &field, NULL), WXPAY_ERR_BAD_CHARS);
  CHECK(field && strcmp(field, "mchid") == 0);
  c = v3_client();
  r.sub_orders = s;
  s[0].mchid = "1900009001";
  s[0].out_trade_no = "OD1";
  s[0].sub_mchid = "19000091x";
  CHECK_ERR(wxpay_v3_close_validate(&c, &r, &field, NULL), WXPAY_ERR_BAD_CHARS);
  CHECK(field && strcmp(field, "sub_orders.sub_mchid") == 0);
  s[0].sub_mchid = "1900009101";
  s[0].sub_appid = "wx-1";
  CHECK_ERR(wxpay_v3_close_validate(&c, &r, &field, NULL), WXPAY_ERR_BAD_CHARS);
  CHECK(field && strcmp(field, "sub_orders.sub_appid") == 0);
  s[0].sub_appid = "wxd678efh567hg6999";
  CHECK_ERR(wxpay_v3_close_validate(&c, &r, NULL, NULL), WXPAY_OK);
}

int main(void) {
  RUN(v3_request_names_the_platform_key_in_wechatpay_serial);
  RUN(v3_request_without_wechatpay_serial_sends_none);
  RUN(v3_validate_refuses_a_malformed_wechatpay_serial);
  RUN(v3_signed_202_userpaying_is_paying);
  RUN(v3_unsigned_202_userpaying_is_not_trusted);
  RUN(v3_signed_202_that_is_not_userpaying_is_refused);
  RUN(v2_userpaying_err_code_is_paying);
  RUN(v3_relabelled_204_with_a_signed_body_is_refused);
  RUN(v3_close_refuses_a_relabelled_204_from_its_transport);
  RUN(v3_parse_of_an_empty_204_takes_a_null_body);
  RUN(v3_takes_fifty_sub_orders_and_refuses_fifty_one);
  RUN(v2_still_takes_at_most_ten_sub_orders);
  RUN(v3_worst_request_fits_the_default_work_size);
  RUN(v3_body_sends_individual_auth_id_after_out_trade_no);
  RUN(v3_validate_refuses_a_malformed_individual_auth_id);
  RUN(v3_signtest_probe_is_refused);
  RUN(v3_close_closes_again_after_a_signtest_probe);
  RUN(v3_close_gives_up_when_every_attempt_is_a_signtest_probe);
  RUN(v3_other_bad_signatures_are_not_retried);
  RUN(v3_codes_of_the_live_service_map_to_their_outcomes);
  RUN(json_reader_refuses_a_duplicate_after_an_empty_first_value);
  RUN(v3_signed_duplicate_code_is_not_an_outcome);
  RUN(v2_signed_systemerror_without_echo_is_retry);
  RUN(v2_signed_fail_with_another_echo_is_still_refused);
  RUN(v2_signed_success_without_echo_is_still_refused);
  RUN(v2_deciding_value_with_ampersand_or_equals_is_ambiguous);
  RUN(v2_value_hiding_a_deciding_field_is_ambiguous);
  RUN(v2_ampersand_in_a_message_is_not_ambiguous);
  RUN(merchant_ids_are_digits_and_appids_letters_and_digits);
  RUN(v3_merchant_ids_are_digits_and_appids_letters_and_digits);
  return t_total_failed ? 1 : 0;
}
