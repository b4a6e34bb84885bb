/* fuzz_v3query.c -- the APIv3 query's answer: wxpay_v3_query_parse() end
   to end, with a stand-in verifier that accepts every signature, so that
   what is fuzzed is the nested JSON reader behind it (>>order) and the
   query's own rules.

   Input: byte 0 picks the HTTP status (mostly 200), the room for sub-orders
   (0, 1, 2, 5 or 50) and whether the request names its combine_appid; the
   rest is the body, copied to an exact-size heap buffer (no NUL after it:
   ASan flags a read past it).
   Properties (the tree of fuzz_json.h, an independent reader, is the
   reference):
     - the verdict is a known error code; OK with status 200 is found = 1,
       outcome NONE; any other status is found = 0;
     - an accepted order: the body is JSON by RFC 8259, at most 16 levels,
       no member named twice, the order's required members there and of
       their kind; every string kept points inside the body buffer and is
       the member's decoded value ("" when absent or null); every amount is
       the integer the text spells (WXPAY_AMOUNT_ABSENT when absent);
       sub_order_count is the list's length; combine_mchid and
       combine_out_trade_no are the client's and the request's;
     - the other way: a 200 whose JSON the README's rules accept
       (fj_must_accept: kinds, required members, amounts, depth, no
       duplicates, the room) and that is about our order is accepted;
     - an error: found 0, verified 0, outcome NONE (RETRY only for a 5xx
       or 429 status), the order cleared; BUFFER says how many sub-orders
       the list holds, and that list is well-formed and longer than the room. */
#define WXPAY_CLOSE_IMPLEMENTATION
#include "wxpay_close.h"
#include "fuzz_common.h"
#include "fuzz_json.h"

#define FZ_NOW 1700000000LL
#define FZ_OTN "OD1"

static long long fz_clock(void *u) { (void)u; return FZ_NOW; }

/* accepts every signature: the answer's bytes are what is fuzzed */
static int fz_accept(void *u, const char *serial, const unsigned char d[32],
                     const unsigned char *sig, size_t n) {
  (void)u; (void)serial; (void)d; (void)sig; (void)n;
  return 1;
}

static int fz_sign_dummy(void *u, const unsigned char *m, size_t n, const unsigned char d[32],
                         unsigned char *s, size_t cap, size_t *len) {
  (void)u; (void)m; (void)n; (void)d; (void)s; (void)cap; (void)len;
  return -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const int statuses[8] = {200, 200, 200, 200, 200, 404, 500, 202};
  static const size_t caps[8] = {50, 50, 5, 2, 1, 0, 50, 50};
  wxpay_client c;
  wxpay_v3_resp_headers h;
  wxpay_v3_query_req req;
  wxpay_v3_query_resp resp;
  wxpay_query_sub_order *subs;
  char ts[24], *body;
  size_t n, cap;
  int status;
  wxpay_err e;

  if (size < 1) return 0;
  status = statuses[data[0] & 7];
  cap = caps[(data[0] >> 3) & 7];
  memset(&req, 0, sizeof req);
  req.combine_out_trade_no = FZ_OTN;
  if (data[0] & 0x40) req.combine_appid = FZ_APPID;
  data++;
  n = size - 1;

  memset(&c, 0, sizeof c);
  c.clock = fz_clock;
  c.v3_verify = fz_accept;
  c.v3_sign = fz_sign_dummy;
  c.mchid = FZ_MCHID;
  c.serial_no = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1";
  snprintf(ts, sizeof ts, "%lld", FZ_NOW);
  h.timestamp = ts;
  h.nonce = "fuzznonce";
  h.signature = "c2lnbmF0dXJl"; /* "signature": any Base64, the verifier says yes */
  h.serial = "PLATFORM";

  subs = (wxpay_query_sub_order *)malloc(cap ? cap * sizeof *subs : 1);
  if (!subs) abort();
  memset(&resp, 0xA5, sizeof resp); /* nothing is read before it is set */
  resp.order.sub_orders = subs;
  resp.order.sub_order_cap = cap;
  body = fz_dup(data, n);
  e = wxpay_v3_query_parse(&c, &req, status, &h, body, n, &resp);
#ifdef FZ_VERBOSE /* seeds: say what each one reaches */
  fprintf(stderr, "fuzz_v3query: status %d cap %zu: %s, found %d, %zu sub-order(s)\n", status,
          cap, wxpay_err_name(e), resp.found, resp.order.sub_order_count);
#endif
  FZ_CHECK((unsigned)e < (unsigned)WXPAY_ERR_COUNT, "a known error code");
  FZ_CHECK(resp.order.sub_orders == subs && resp.order.sub_order_cap == cap,
           "the caller's room is kept");
  if (status == 200) { /* the other way: what the rules accept is accepted */
    fj_node *doc = fj_parse(data, n);
    const fj_node *mchid = fj_get(doc, "combine_mchid"), *otn = fj_get(doc, "combine_out_trade_no"),
                  *appid = fj_get(doc, "combine_appid");
    int rules_accept = fj_must_accept(doc, 1, cap);
    if (rules_accept && strcmp(mchid->str, FZ_MCHID) == 0 &&
        strcmp(otn->str, FZ_OTN) == 0 && (!req.combine_appid || strcmp(appid->str, FZ_APPID) == 0))
      FZ_CHECK(e == WXPAY_OK, "an answer the rules accept is accepted");
    fj_free(doc);
  }
  if (e == WXPAY_OK && status == 200) {
    fj_node *doc = fj_parse(data, n);
    FZ_CHECK(resp.found == 1 && resp.answer.verified == 1, "a signed 200 is found");
    FZ_CHECK(resp.answer.outcome == WXPAY_OUTCOME_NONE, "found: outcome NONE");
    FZ_CHECK(doc != NULL, "an accepted body is JSON (RFC 8259)");
    fj_check_order(&resp.order, doc, 1, body, n);
    FZ_CHECK(strcmp(resp.order.combine_mchid, FZ_MCHID) == 0, "combine_mchid is the client's");
    FZ_CHECK(strcmp(resp.order.combine_out_trade_no, FZ_OTN) == 0, "the order is the request's");
    if (req.combine_appid)
      FZ_CHECK(strcmp(resp.order.combine_appid, FZ_APPID) == 0, "the appid is the request's");
    fj_free(doc);
  } else if (e == WXPAY_OK) {
    FZ_CHECK(resp.found == 0, "only a 200 describes the order");
    FZ_CHECK(status >= 400, "a 202 or 204 is no query's answer");
    fj_check_cleared(&resp.order, WXPAY_ERR_JSON);
  } else {
    FZ_CHECK(resp.found == 0 && resp.answer.verified == 0, "an error leaves nothing trusted");
    FZ_CHECK(resp.answer.outcome == WXPAY_OUTCOME_NONE ||
             (resp.answer.outcome == WXPAY_OUTCOME_RETRY && e == WXPAY_ERR_HTTP_STATUS &&
              status >= 500), "an error's outcome is NONE");
    fj_check_cleared(&resp.order, e);
    if (e == WXPAY_ERR_BUFFER) {
      fj_node *doc = fj_parse(data, n);
      const fj_node *list = fj_get(doc, "sub_orders");
      FZ_CHECK(status == 200 && doc && list && list->type == 'a' &&
               list->count == resp.order.sub_order_count,
               "BUFFER counts the list of a well-formed answer");
      fj_free(doc);
    }
  }
  free(body);
  free(subs);
  return 0;
}
