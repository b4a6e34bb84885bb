/* no_secret_logs.c -- the API key never leaves through the log callback.

   Full exchanges through wxpay_close() and a scripted fake transport, chosen
   so that every log id fires: a clean close, SYSTEMERROR then success, a
   timeout and a DNS failure with failover, HTTP 500s, a refused signature,
   an I/O failure, a too-large answer, and the one-minute guard. Everything
   the log callback receives is captured and searched for the key (whole,
   upper/lower case, its first and last 12 bytes) and for "&key=". The same
   search runs over what the transport is given (URL, headers, body), the
   response strings, wxpay_close_explain()'s output and the work buffer; and
   wxpay_client_wipe() must leave no key material in the client.
   Prints PASS/FAIL lines. */
#define WXPAY_CLOSE_IMPLEMENTATION
#include "wxpay_close.h"
#include "../fuzz/fuzz_common.h"

#include <ctype.h>

#define SECRET_KEY "SECRETkey0123456789abcdefghijXYZ"

static int failures;
static fz_buf logs, wire;
static int seen[WXPAY_LOG_COUNT];

typedef struct step {
  wxpay_net net;
  int status;
  const char *kind; /* "ok", "systemerror", "badsign" */
} step;

typedef struct script {
  const step *steps;
  int n, at;
} script;

static void answer(const char *kind, fz_buf *out) {
  fz_kv kv[10];
  char sign[65];
  size_t n = 0;
  kv[n].name = "return_code"; kv[n++].value = "SUCCESS";
  kv[n].name = "return_msg"; kv[n++].value = "OK";
  kv[n].name = "combine_appid"; kv[n++].value = FZ_APPID;
  kv[n].name = "combine_mch_id"; kv[n++].value = FZ_MCHID;
  kv[n].name = "nonce_str"; kv[n++].value = "5K8264ILTKCH16CQ2502SI8ZNMTM67VS";
  if (!strcmp(kind, "systemerror")) {
    kv[n].name = "result_code"; kv[n++].value = "FAIL";
    kv[n].name = "err_code"; kv[n++].value = "SYSTEMERROR";
  } else {
    kv[n].name = "result_code"; kv[n++].value = "SUCCESS";
  }
  fz_ref_sign(kv, n, SECRET_KEY, sign);
  if (!strcmp(kind, "badsign")) sign[0] = sign[0] == 'A' ? 'B' : 'A';
  kv[n].name = "sign"; kv[n++].value = sign;
  fz_xml(out, kv, n, FZ_XML_CDATA, 0);
}

static wxpay_net transport(void *user, const wxpay_http_req *req, wxpay_http_resp *resp) {
  script *s = (script *)user;
  const step *st;
  size_t i;
  fz_buf body = {NULL, 0, 0};
  fz_puts(&wire, req->method);
  fz_puts(&wire, " ");
  fz_puts(&wire, req->url);
  fz_puts(&wire, "\n");
  for (i = 0; i < req->header_count; i++) {
    fz_puts(&wire, req->headers[i].name);
    fz_puts(&wire, ": ");
    fz_puts(&wire, req->headers[i].value);
    fz_puts(&wire, "\n");
  }
  fz_put(&wire, req->body, req->body_len);
  fz_puts(&wire, "\n");
  if (s->at >= s->n) return WXPAY_NET_IO;
  st = &s->steps[s->at++];
  if (st->net != WXPAY_NET_OK) return st->net;
  resp->status = st->status;
  answer(st->kind, &body);
  if (body.n > resp->body_cap) { fz_free(&body); return WXPAY_NET_TOO_LARGE; }
  memcpy(resp->body, body.p, body.n);
  resp->body_len = body.n;
  fz_free(&body);
  return WXPAY_NET_OK;
}

static void log_cb(void *user, wxpay_log_id id, int attempt, const char *detail) {
  char tmp[32];
  (void)user;
  if ((unsigned)id < (unsigned)WXPAY_LOG_COUNT) seen[id] = 1;
  snprintf(tmp, sizeof tmp, "%d %d ", (int)id, attempt);
  fz_puts(&logs, tmp);
  fz_puts(&logs, detail ? detail : "(null)");
  fz_puts(&logs, "\n");
}

static const char *find(const char *hay, size_t n, const char *needle, size_t k) {
  size_t i;
  if (k > n) return NULL;
  for (i = 0; i + k <= n; i++)
    if (memcmp(hay + i, needle, k) == 0) return hay + i;
  return NULL;
}

/* NULL when no form of the key is in hay[0..n), else which one. */
static const char *leak(const char *hay, size_t n) {
  char up[33], low[33];
  size_t i;
  for (i = 0; i < 32; i++) {
    up[i] = (char)toupper((unsigned char)SECRET_KEY[i]);
    low[i] = (char)tolower((unsigned char)SECRET_KEY[i]);
  }
  up[32] = low[32] = '\0';
  if (!hay) return NULL;
  if (find(hay, n, SECRET_KEY, 32)) return "the key";
  if (find(hay, n, up, 32)) return "the key in upper case";
  if (find(hay, n, low, 32)) return "the key in lower case";
  if (find(hay, n, SECRET_KEY, 12)) return "the key's first 12 bytes";
  if (find(hay, n, SECRET_KEY + 20, 12)) return "the key's last 12 bytes";
  if (find(hay, n, "&key=", 5)) return "a string to sign (&key=)";
  return NULL;
}

static void check(const char *name, const char *hay, size_t n) {
  const char *what = leak(hay, n);
  if (what) {
    printf("FAIL %s: %s found\n", name, what);
    failures++;
  } else {
    printf("PASS %s\n", name);
  }
}

int main(void) {
  static const wxpay_sub_order subs[1] = {{"1900009001", "OD201708030001"}};
  static const step s_ok[] = {{WXPAY_NET_OK, 200, "ok"}};
  static const step s_retry[] = {{WXPAY_NET_OK, 200, "systemerror"}, {WXPAY_NET_OK, 200, "ok"}};
  static const step s_failover[] = {{WXPAY_NET_TIMEOUT, 0, ""}, {WXPAY_NET_DNS, 0, ""},
                                    {WXPAY_NET_OK, 200, "ok"}};
  static const step s_500[] = {{WXPAY_NET_OK, 500, "ok"}, {WXPAY_NET_OK, 503, "ok"},
                               {WXPAY_NET_OK, 502, "ok"}};
  static const step s_badsign[] = {{WXPAY_NET_OK, 200, "badsign"}};
  static const step s_io[] = {{WXPAY_NET_IO, 0, ""}, {WXPAY_NET_TLS, 0, ""},
                              {WXPAY_NET_CONNECT, 0, ""}};
  static const step s_large[] = {{WXPAY_NET_TOO_LARGE, 0, ""}};
  static const struct { const step *s; int n; int init; const char *name; } runs[] = {
      {s_ok, 1, 0, "clean"},          {s_retry, 2, 1, "systemerror"},
      {s_failover, 3, 0, "failover"}, {s_500, 3, 1, "http500"},
      {s_badsign, 1, 0, "badsign"},   {s_io, 3, 1, "io"},
      {s_large, 1, 0, "toolarge"}};
  wxpay_client cli;
  wxpay_close_req req;
  wxpay_close_resp resp;
  static char work[WXPAY_CLOSE_WORK_SIZE];
  char explain[2048];
  size_t i, len;
  int all = 1, work_ok = 1, wipe_ok = 1;
  fz_buf strs = {NULL, 0, 0};

  /* the detector itself: a planted key must be found */
  if (!leak("log: " SECRET_KEY, 37) || !leak("x&key=y", 7)) {
    printf("FAIL leak_detector_finds_a_planted_key\n");
    return 1;
  }
  printf("PASS leak_detector_finds_a_planted_key\n");
  memset(&req, 0, sizeof req);
  req.combine_appid = FZ_APPID;
  req.combine_mch_id = FZ_MCHID;
  req.combine_out_trade_no = "1217752501201407033233368018";
  req.sub_orders = subs;
  req.sub_order_count = 1;

  for (i = 0; i < sizeof runs / sizeof runs[0]; i++) {
    script s;
    const char *const *p;
    memset(&cli, 0, sizeof cli);
    cli.api_key = SECRET_KEY;
    cli.transport = transport;
    cli.transport_user = &s;
    cli.log = log_cb;
    if (runs[i].init && wxpay_client_init(&cli) != WXPAY_OK) return 1;
    s.steps = runs[i].s;
    s.n = runs[i].n;
    s.at = 0;
    (void)wxpay_close(&cli, &req, &resp, work, sizeof work);
    for (p = &resp.return_code; p <= &resp.err_code_des; p++) {
      fz_puts(&strs, *p ? *p : "");
      fz_puts(&strs, "\n");
    }
    if (leak(work, sizeof work)) {
      printf("FAIL no_key_in_work_buffer_after_%s: %s found\n", runs[i].name,
             leak(work, sizeof work));
      failures++;
      work_ok = 0;
    }
    wxpay_client_wipe(&cli);
    {
      const unsigned char *kc = (const unsigned char *)&cli.key_cache;
      size_t j, nz = 0;
      for (j = 0; j < sizeof cli.key_cache; j++) nz += kc[j] != 0;
      if (nz || cli.key_cache.key != NULL) {
        printf("FAIL client_wipe_clears_key_cache_after_%s: %lu bytes left\n", runs[i].name,
               (unsigned long)nz);
        failures++;
        wipe_ok = 0;
      }
    }
  }
  if (work_ok) printf("PASS no_key_in_work_buffer_after_every_exchange\n");
  if (wipe_ok) printf("PASS client_wipe_clears_the_cached_key_pads\n");
  /* the one-minute guard (no exchange, but it is a call path too) */
  memset(&cli, 0, sizeof cli);
  cli.api_key = SECRET_KEY;
  cli.transport = transport;
  cli.log = log_cb;
  req.created_at = 4102444800LL; /* far future: too early */
  (void)wxpay_close(&cli, &req, &resp, work, sizeof work);
  req.created_at = 0;

  for (i = 0; i < (size_t)WXPAY_LOG_COUNT; i++)
    if (!seen[i]) {
      printf("FAIL log_covers_every_id: log id %lu never fired\n", (unsigned long)i);
      failures++;
      all = 0;
    }
  if (all) printf("PASS log_covers_every_id (%d ids)\n", (int)WXPAY_LOG_COUNT);
  if (logs.n == 0) { printf("FAIL log_captured_something\n"); failures++; }
  check("no_key_in_log_callback_over_full_exchanges", logs.p, logs.n);
  check("no_key_in_request_url_headers_or_body", wire.p, wire.n);
  check("no_key_in_response_strings", strs.p, strs.n);

  req.nonce_str = "ibuaiVcKdpRxkhJA";
  if (wxpay_close_explain(&cli, &req, explain, sizeof explain, &len) != WXPAY_OK ||
      !strstr(explain, "&key=***")) {
    printf("FAIL explain_masks_the_key: %s\n", explain);
    failures++;
  } else {
    /* "&key=***" is the masked form: only the key itself is a leak here */
    if (find(explain, len, SECRET_KEY, 12) || find(explain, len, SECRET_KEY + 20, 12)) {
      printf("FAIL explain_masks_the_key: key bytes found\n");
      failures++;
    } else {
      printf("PASS explain_masks_the_key\n");
    }
  }
  fz_free(&logs);
  fz_free(&wire);
  fz_free(&strs);
  return failures ? 1 : 0;
}
