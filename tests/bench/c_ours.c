/* Contender 1: wxpay_close.h, through its public API only.

   Compiled once per SHA-256 configuration of the header (run.sh decides):
   WXPAY_STATIC gives each object its own private copy, and OURS_TAG /
   OURS_NAME name the contenders: "ours" is the default build (portable C),
   "ours-hw" the build with WXPAY_SHA256_HW (the CPU's SHA-256 instructions
   when it has them; wxpay_sha256_backend() says which path runs).

   "<name>"        the client after wxpay_client_init() (cached key pads); the
                   hash part copies a wxpay_hmac_ctx keyed once
   "<name>-noinit" a client never passed to wxpay_client_init(); the hash
                   part is wxpay_hmac_sha256() from the key every time */
#define WXPAY_STATIC
#define WXPAY_CLOSE_IMPLEMENTATION
#include "../../wxpay_close.h"
#include <stdio.h>
#include <string.h>
#include "bench.h"

#ifndef OURS_TAG
#define OURS_TAG ours
#define OURS_NAME "ours"
#endif
#ifndef OURS_LABEL
#define OURS_LABEL "wxpay_close.h"
#endif
/* an expression giving the SHA-256 path in use (a string): run.sh passes
   wxpay_sha256_backend() when the header has it */
#ifndef OURS_BACKEND_EXPR
#define OURS_BACKEND_EXPR "portable"
#endif

#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)
#define SYM(x) CAT(OURS_TAG, x)

static wxpay_client cli_init, cli_noinit;
static wxpay_sub_order subs[BENCH_MAX_SUBS];
static wxpay_close_req req1, req10;
static wxpay_hmac_ctx keyed; /* after the key blocks: copied per MAC */
static char out[8192];
static char in[4096];
/* the query (issue 13): the v2 answer is verified with cli_init's key; the
   v3 one with cli_v3, whose platform check is the stand-in of bench.h */
static wxpay_client cli_v3;
static wxpay_query_req qreq2;
static wxpay_v3_query_req qreq3;
static wxpay_v3_resp_headers qhead3;
static wxpay_query_sub_order qsubs[4];

static long long q3_clock(void *user) {
  (void)user;
  return BENCH_Q3_NOW;
}

static int q3_verify(void *user, const char *serial, const unsigned char digest[32],
                     const unsigned char *sig, size_t sig_len) {
  (void)user;
  return bench_standin_verify(serial, digest, sig, sig_len);
}

static int setup(const char **why) {
  size_t i;
  static int done;
  if (done) return 0;
  for (i = 0; i < BENCH_MAX_SUBS; i++) {
    subs[i].mchid = bench_sub_mchid[i];
    subs[i].out_trade_no = bench_sub_otn[i];
  }
  memset(&req1, 0, sizeof req1);
  req1.combine_appid = BENCH_APPID;
  req1.combine_mch_id = BENCH_MCHID;
  req1.combine_out_trade_no = BENCH_OTN;
  req1.nonce_str = BENCH_NONCE;
  req1.sub_orders = subs;
  req1.sub_order_count = 1;
  req10 = req1;
  req10.sub_order_count = BENCH_MAX_SUBS;
  memset(&cli_init, 0, sizeof cli_init);
  cli_init.api_key = BENCH_KEY;
  cli_noinit = cli_init;
  if (wxpay_client_init(&cli_init) != WXPAY_OK) {
    *why = "wxpay_client_init failed";
    return 1;
  }
  wxpay_hmac_init(&keyed, BENCH_KEY, 32);
  memset(&qreq2, 0, sizeof qreq2);
  qreq2.combine_appid = BENCH_APPID;
  qreq2.combine_mch_id = BENCH_MCHID;
  qreq2.combine_out_trade_no = BENCH_OTN;
  memset(&cli_v3, 0, sizeof cli_v3);
  cli_v3.mchid = BENCH_Q3_MCHID;
  cli_v3.v3_verify = q3_verify;
  cli_v3.clock = q3_clock;
  memset(&qreq3, 0, sizeof qreq3);
  qreq3.combine_out_trade_no = BENCH_Q3_OTN;
  qreq3.combine_appid = BENCH_Q3_APPID;
  qhead3.timestamp = BENCH_Q3_TS;
  qhead3.nonce = BENCH_Q3_NONCE;
  qhead3.signature = bench_query_v3_sig;
  qhead3.serial = BENCH_Q3_SERIAL;
  done = 1;
  return 0;
}

static const char *info(void) {
  static char s[128];
  snprintf(s, sizeof s, "wxpay_close.h %s, SHA-256 path: %s", WXPAY_VERSION,
           OURS_BACKEND_EXPR);
  return s;
}

static int sup_init(int op) { return op >= 0 && op < OP_COUNT; }
static int sup_noinit(int op) { return op >= 0 && op <= OP_H_EXCHANGE; }

static int build(const wxpay_client *c, const wxpay_close_req *r, size_t *len) {
  return wxpay_close_build(c, r, out, sizeof out, len) != WXPAY_OK;
}

static int parse(const wxpay_client *c, const char *body, size_t len,
                 wxpay_outcome want) {
  wxpay_close_resp resp;
  memcpy(in, body, len); /* the reader decodes in place: the copy is its cost */
  if (wxpay_close_parse(c, &req1, in, len, &resp) != WXPAY_OK) return 1;
  bench_sink += (unsigned)resp.fields.count;
  return resp.outcome != want || !resp.verified;
}

/* One query answer parsed: copied into the writable buffer first (the
   reader decodes in place: the copy is its cost), as for the close. */
static wxpay_err query_v2(const char *body, size_t len, wxpay_query_resp *r) {
  memcpy(in, body, len);
  r->order.sub_orders = qsubs;
  r->order.sub_order_cap = sizeof qsubs / sizeof qsubs[0];
  return wxpay_query_parse(&cli_init, &qreq2, in, len, r);
}

static wxpay_err query_v3(const char *body, size_t len, wxpay_v3_query_resp *r) {
  memcpy(in, body, len);
  r->order.sub_orders = qsubs;
  r->order.sub_order_cap = sizeof qsubs / sizeof qsubs[0];
  return wxpay_v3_query_parse(&cli_v3, &qreq3, 200, &qhead3, in, len, r);
}

/* the known answer, field by field */
static int query_subs_right(const wxpay_order *o, int v3, char *msg, size_t cap) {
  size_t i;
  if (o->sub_order_count != BENCH_QUERY_SUBS) {
    snprintf(msg, cap, "%lu sub-orders, not %d", (unsigned long)o->sub_order_count,
             BENCH_QUERY_SUBS);
    return 1;
  }
  for (i = 0; i < BENCH_QUERY_SUBS; i++) {
    const wxpay_query_sub_order *q = &o->sub_orders[i];
    if (strcmp(q->mchid, bench_query_mchid[i]) || strcmp(q->out_trade_no, bench_query_otn[i]) ||
        strcmp(q->transaction_id, bench_query_txid[i]) ||
        q->total_amount != bench_query_total[i] ||
        strcmp(q->trade_state, v3 ? bench_query_v3_state[i] : "SUCCESS")) {
      snprintf(msg, cap, "sub-order %lu differs from the known answer", (unsigned long)i);
      return 1;
    }
  }
  return 0;
}

static void mac(int cached, int which, unsigned char m[32]) {
  if (cached) {
    wxpay_hmac_ctx h = keyed;
    wxpay_hmac_update(&h, bench_sign_string[which], bench_sign_string_len[which]);
    wxpay_hmac_final(&h, m);
  } else {
    wxpay_hmac_sha256(BENCH_KEY, 32, bench_sign_string[which],
                      bench_sign_string_len[which], m);
  }
}

static int run_with(int cached, int op, long n) {
  const wxpay_client *c = cached ? &cli_init : &cli_noinit;
  unsigned char m[32];
  size_t len = 0;
  long i;
  for (i = 0; i < n; i++) {
    switch (op) {
      case OP_BUILD1:
        if (build(c, &req1, &len)) return 1;
        bench_sink += (unsigned char)out[len - 9];
        break;
      case OP_BUILD10:
        if (build(c, &req10, &len)) return 1;
        bench_sink += (unsigned char)out[len - 9];
        break;
      case OP_PARSE_OK:
        if (parse(c, bench_resp_ok, bench_resp_ok_len, WXPAY_OUTCOME_CLOSED)) return 1;
        break;
      case OP_PARSE_FAIL:
        if (parse(c, bench_resp_fail, bench_resp_fail_len, WXPAY_OUTCOME_ALREADY_CLOSED))
          return 1;
        break;
      case OP_EXCHANGE:
        if (build(c, &req1, &len)) return 1;
        bench_sink += (unsigned char)out[len - 9];
        if (parse(c, bench_resp_ok, bench_resp_ok_len, WXPAY_OUTCOME_CLOSED)) return 1;
        break;
      case OP_H_BUILD1: case OP_H_BUILD10: case OP_H_PARSE_OK: case OP_H_PARSE_FAIL:
        mac(cached, op - OP_H_BUILD1, m);
        bench_sink += m[0];
        break;
      case OP_H_EXCHANGE:
        mac(cached, 0, m);
        bench_sink += m[0];
        mac(cached, OP_PARSE_OK, m);
        bench_sink += m[0];
        break;
      case OP_SHA_64: case OP_SHA_1K: case OP_SHA_16K:
        wxpay_sha256(bench_sha_data, bench_sha_len(op), m);
        bench_sink += m[0];
        break;
      case OP_QUERY_V2: {
        wxpay_query_resp r;
        if (query_v2(bench_query_v2, bench_query_v2_len, &r) != WXPAY_OK || !r.found ||
            r.order.sub_order_count != BENCH_QUERY_SUBS)
          return 1;
        bench_sink += (unsigned)qsubs[2].total_amount;
        break;
      }
      case OP_QUERY_V3: {
        wxpay_v3_query_resp r;
        if (query_v3(bench_query_v3, bench_query_v3_len, &r) != WXPAY_OK || !r.found ||
            r.order.sub_order_count != BENCH_QUERY_SUBS)
          return 1;
        bench_sink += (unsigned)qsubs[2].total_amount;
        break;
      }
      default:
        return 1;
    }
  }
  return 0;
}

static int check_with(int cached, int op, char *msg, size_t cap) {
  const wxpay_client *c = cached ? &cli_init : &cli_noinit;
  unsigned char m[32];
  size_t len;
  wxpay_close_resp resp;
  wxpay_err e;
  switch (op) {
    case OP_BUILD1: case OP_BUILD10:
      e = wxpay_close_build(c, op == OP_BUILD1 ? &req1 : &req10, out, sizeof out, &len);
      if (e != WXPAY_OK || strcmp(out, op == OP_BUILD1 ? bench_body1 : bench_body10)) {
        snprintf(msg, cap, "body differs from the known answer (%s): %.300s",
                 wxpay_err_name(e), out);
        return 1;
      }
      return 0;
    case OP_PARSE_OK: case OP_PARSE_FAIL: case OP_EXCHANGE:
      if (op == OP_EXCHANGE && check_with(cached, OP_BUILD1, msg, cap)) return 1;
      if (run_with(cached, op == OP_EXCHANGE ? OP_PARSE_OK : op, 1)) {
        snprintf(msg, cap, "a signed response was not verified or got the wrong outcome");
        return 1;
      }
      memcpy(in, bench_resp_wrong_key, bench_resp_wrong_key_len);
      e = wxpay_close_parse(c, &req1, in, bench_resp_wrong_key_len, &resp);
      if (e != WXPAY_ERR_SIGNATURE) {
        snprintf(msg, cap, "a response signed with another key was not refused (%s)",
                 wxpay_err_name(e));
        return 1;
      }
      return 0;
    case OP_H_BUILD1: case OP_H_BUILD10: case OP_H_PARSE_OK: case OP_H_PARSE_FAIL:
      mac(cached, op - OP_H_BUILD1, m);
      if (memcmp(m, bench_expected_mac[op - OP_H_BUILD1], 32)) {
        snprintf(msg, cap, "HMAC differs from the known answer");
        return 1;
      }
      return 0;
    case OP_H_EXCHANGE:
      return check_with(cached, OP_H_BUILD1, msg, cap) ||
             check_with(cached, OP_H_PARSE_OK, msg, cap);
    case OP_SHA_64: case OP_SHA_1K: case OP_SHA_16K:
      wxpay_sha256(bench_sha_data, bench_sha_len(op), m);
      if (memcmp(m, bench_sha_expected[op - OP_SHA_64], 32)) {
        snprintf(msg, cap, "SHA-256 differs from the known answer");
        return 1;
      }
      return 0;
    case OP_QUERY_V2: {
      wxpay_query_resp r;
      e = query_v2(bench_query_v2, bench_query_v2_len, &r);
      if (e != WXPAY_OK || !r.found || !r.answer.verified ||
          r.order.state != WXPAY_TRADE_SUCCESS) {
        snprintf(msg, cap, "the signed query answer was not read (%s)", wxpay_err_name(e));
        return 1;
      }
      if (query_subs_right(&r.order, 0, msg, cap)) return 1;
      e = query_v2(bench_query_v2_tampered, strlen(bench_query_v2_tampered), &r);
      if (e != WXPAY_ERR_SIGNATURE) {
        snprintf(msg, cap, "a tampered query answer was not refused (%s)", wxpay_err_name(e));
        return 1;
      }
      return 0;
    }
    case OP_QUERY_V3: {
      wxpay_v3_query_resp r;
      e = query_v3(bench_query_v3, bench_query_v3_len, &r);
      if (e != WXPAY_OK || !r.found || !r.answer.verified) {
        snprintf(msg, cap, "the signed query answer was not read (%s)", wxpay_err_name(e));
        return 1;
      }
      if (query_subs_right(&r.order, 1, msg, cap)) return 1;
      e = query_v3(bench_query_v3_tampered, strlen(bench_query_v3_tampered), &r);
      if (e != WXPAY_ERR_SIGNATURE) {
        snprintf(msg, cap, "a tampered query answer was not refused (%s)", wxpay_err_name(e));
        return 1;
      }
      return 0;
    }
    default:
      snprintf(msg, cap, "unsupported op");
      return 1;
  }
}

static int run_init(int op, long n) { return run_with(1, op, n); }
static int run_noinit(int op, long n) { return run_with(0, op, n); }
static int check_init(int op, char *msg, size_t cap) { return check_with(1, op, msg, cap); }
static int check_noinit(int op, char *msg, size_t cap) { return check_with(0, op, msg, cap); }

const bench_contender SYM(_init_c) = {
    OURS_NAME, OURS_LABEL " (wxpay_client_init: key pads cached)",
    setup, sup_init, check_init, run_init, info};
const bench_contender SYM(_noinit_c) = {
    OURS_NAME "-noinit", OURS_LABEL " (no wxpay_client_init)",
    setup, sup_noinit, check_noinit, run_noinit, info};
