/* fuzz_v3.c -- the APIv3 answer: wxpay_json_error_read() and
   wxpay_v3_close_parse() with a stand-in verifier.

   Input: byte 0 picks the HTTP status, byte 1 the signature headers (none,
   valid, stale, wrong bytes, unknown serial, partial), the rest is the body
   (copied to an exact-size heap buffer, no NUL after it).
   Properties:
     - the JSON reader's verdict is OK or JSON, deterministic, error_offset
       <= len; on OK code and message are NUL-terminated inside the buffer,
       valid UTF-8 (checked here by hand), and detail is "" or the received
       bytes at its place, unchanged;
     - the parse never says CLOSED, ALREADY_CLOSED, PAID, NOT_FOUND or
       PAYING without a verified signature; on any error the outcome is NONE
       or RETRY and verified is 0;
     - a 204 with a body is STATUS_BODY whatever its signature (the
       signature does not cover the status: issue 11 item 3); with an empty
       body, a validly signed, fresh 204 is CLOSED; an unsigned 204 is
       NO_SIGNATURE; a stale one STALE; an unknown serial UNKNOWN_SERIAL. */
#define WXPAY_CLOSE_IMPLEMENTATION
#include "wxpay_close.h"
#include "fuzz_common.h"

#define FZ_NOW 1700000000LL
#define FZ_SERIAL "5157F09EFDC096DE15EBE81A47057A7232F1B8E1"

static long long fz_clock(void *u) { (void)u; return FZ_NOW; }

/* the stand-in "RSA": the digest with every byte XOR 0x5A */
static int fz_verify(void *u, const char *serial, const unsigned char d[32],
                     const unsigned char *sig, size_t n) {
  size_t i;
  (void)u;
  if (strcmp(serial, FZ_SERIAL) != 0) return -1;
  if (n != 32) return 0;
  for (i = 0; i < 32; i++)
    if (sig[i] != (d[i] ^ 0x5A)) return 0;
  return 1;
}

static int fz_sign_dummy(void *u, const unsigned char *m, size_t n, const unsigned char d[32],
                         unsigned char *s, size_t cap, size_t *len) {
  (void)u; (void)m; (void)n; (void)d; (void)s; (void)cap; (void)len;
  return -1;
}

/* 1 when s[0..n) is valid UTF-8 (RFC 3629), written apart from the header */
static int fz_utf8(const unsigned char *s, size_t n) {
  size_t i = 0;
  while (i < n) {
    unsigned c = s[i], len, k;
    unsigned long cp;
    if (c < 0x80) { i++; continue; }
    if (c >= 0xC2 && c <= 0xDF) { len = 2; cp = c & 0x1F; }
    else if (c >= 0xE0 && c <= 0xEF) { len = 3; cp = c & 0x0F; }
    else if (c >= 0xF0 && c <= 0xF4) { len = 4; cp = c & 0x07; }
    else return 0;
    if (n - i < len) return 0;
    for (k = 1; k < len; k++) {
      if ((s[i + k] & 0xC0) != 0x80) return 0;
      cp = cp << 6 | (s[i + k] & 0x3F);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF))
      return 0;
    i += len;
  }
  return 1;
}

static int fz_inside(const char *p, const char *b, size_t n) {
  return p >= b && p < b + n && p + strlen(p) < b + n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const int statuses[] = {204, 200, 400, 401, 403, 404, 429, 500, 502, 301};
  wxpay_client c;
  wxpay_v3_resp_headers h;
  wxpay_v3_close_resp resp;
  const char *code, *msg, *detail;
  char ts[24], nonce[] = "fuzznonce", sig[64], *body, *body2;
  unsigned char d[32], raw[32];
  size_t n, off = 0, off2 = 0, i;
  int status, mode;
  wxpay_err e, e2;
  wxpay_sha256_ctx s;

  if (size < 2) return 0;
  status = statuses[data[0] % 10];
  mode = data[1] % 6;
  data += 2;
  n = size - 2;

  /* the JSON reader alone */
  body = fz_dup(data, n);
  body2 = fz_dup(data, n);
  e = wxpay_json_error_read(body, n, &code, &msg, &detail, &off);
  e2 = wxpay_json_error_read(body2, n, NULL, NULL, NULL, &off2);
  FZ_CHECK(e == e2 && off == off2, "the verdict is deterministic");
  FZ_CHECK(e == WXPAY_OK || e == WXPAY_ERR_JSON, "OK or JSON");
  FZ_CHECK(off <= n, "error_offset inside the body");
  if (e == WXPAY_OK) {
    FZ_CHECK(!*code || fz_inside(code, body, n), "code inside the buffer");
    FZ_CHECK(!*msg || fz_inside(msg, body, n), "message inside the buffer");
    FZ_CHECK(!*detail || fz_inside(detail, body, n), "detail inside the buffer");
    FZ_CHECK(fz_utf8((const unsigned char *)code, strlen(code)), "code is UTF-8");
    FZ_CHECK(fz_utf8((const unsigned char *)msg, strlen(msg)), "message is UTF-8");
    FZ_CHECK(!*detail || strchr("{[\"-0123456789tfn", detail[0]), "detail is a JSON value");
    FZ_CHECK(!*detail || memcmp(detail, data + (detail - body), strlen(detail)) == 0,
             "detail is the received bytes, unchanged");
  } else {
    FZ_CHECK(*code == 0 && *msg == 0 && *detail == 0, "nothing read after an error");
  }
  free(body);
  free(body2);

  /* the whole answer */
  memset(&c, 0, sizeof c);
  c.clock = fz_clock;
  c.v3_verify = fz_verify;
  c.v3_sign = fz_sign_dummy;
  snprintf(ts, sizeof ts, "%lld", mode == 2 ? FZ_NOW - 400 : FZ_NOW);
  wxpay_sha256_init(&s);
  wxpay_sha256_update(&s, ts, strlen(ts));
  wxpay_sha256_update(&s, "\n", 1);
  wxpay_sha256_update(&s, nonce, strlen(nonce));
  wxpay_sha256_update(&s, "\n", 1);
  wxpay_sha256_update(&s, data, n);
  wxpay_sha256_update(&s, "\n", 1);
  wxpay_sha256_final(&s, d);
  for (i = 0; i < 32; i++) raw[i] = (unsigned char)(d[i] ^ (mode == 3 ? 0x5B : 0x5A));
  wxpay_base64_encode(raw, 32, sig, sizeof sig);
  h.timestamp = ts;
  h.nonce = nonce;
  h.signature = sig;
  h.serial = mode == 4 ? "UNKNOWN" : FZ_SERIAL;
  if (mode == 5) h.nonce = NULL;
  body = fz_dup(data, n);
  e = wxpay_v3_close_parse(&c, status, mode ? &h : NULL, body, n, &resp);
  FZ_CHECK((unsigned)e < (unsigned)WXPAY_ERR_COUNT, "a known error code");
  FZ_CHECK(resp.http_status == status || e == WXPAY_ERR_ARG, "the status is kept");
  if (resp.outcome == WXPAY_OUTCOME_CLOSED || resp.outcome == WXPAY_OUTCOME_ALREADY_CLOSED ||
      resp.outcome == WXPAY_OUTCOME_PAID || resp.outcome == WXPAY_OUTCOME_NOT_FOUND ||
      resp.outcome == WXPAY_OUTCOME_PAYING)
    FZ_CHECK(e == WXPAY_OK && resp.verified == 1, "only a verified answer settles the order");
  if (e != WXPAY_OK)
    FZ_CHECK(resp.verified == 0 && (resp.outcome == WXPAY_OUTCOME_NONE ||
                                    resp.outcome == WXPAY_OUTCOME_RETRY),
             "an error leaves nothing trusted");
  if (resp.outcome == WXPAY_OUTCOME_CLOSED) FZ_CHECK(status == 204, "closed only from 204");
  if (status == 204) {
    wxpay_err want = n ? WXPAY_ERR_STATUS_BODY
                     : mode == 1 ? WXPAY_OK : mode == 0 || mode == 5 ? WXPAY_ERR_NO_SIGNATURE
                     : mode == 2 ? WXPAY_ERR_STALE : mode == 3 ? WXPAY_ERR_SIGNATURE
                     : WXPAY_ERR_UNKNOWN_SERIAL;
    FZ_CHECK(e == want, "a 204's verdict follows its signature");
    if (e == WXPAY_OK) FZ_CHECK(resp.outcome == WXPAY_OUTCOME_CLOSED, "a signed 204 is closed");
  }
  free(body);
  return 0;
}
