/* fuzz_build.c -- the request builder driven by fuzzed fields and buffer sizes:
   wxpay_close_validate(), wxpay_close_build(), wxpay_close_explain(), and
   (when asked) wxpay_close() through a fake transport.

   Input: 7 header bytes, then NUL-separated strings (a missing string is
   NULL):
     [0] flags: 1 cached key (wxpay_client_init), 2 nonce from input,
                4 sub_order_list_json from input, 8 key from input,
                16 random source fails, 32 clock + created_at,
                64 also run wxpay_close(), 128 output pointer NULL when cap 0
     [1] sub-order count (mod 13)   [2..3] output cap selector
     [4..5] work_cap selector       [6] created_at offset (signed, seconds)
     strings: key (flag 8), combine_appid, combine_mch_id,
              combine_out_trade_no, nonce (flag 2), json (flag 4),
              then mchid, out_trade_no for each sub-order.
   Properties:
     - the verdict equals a reference validation (same checks, same order);
       build and validate agree; on any error *len is 0 (or, for BUFFER, the
       cap that succeeds) and out[0] is '\0';
     - no byte is written at or past cap: the buffer is exact-size (ASan) and
       a second canary-guarded buffer is checked byte by byte;
     - cap = need succeeds with len = need - 1 = strlen(out); cap = need - 1
       is BUFFER and reports need again;
     - the body parses back (the library's own reader) to exactly the seven
       fields in the seed's order with the input values, a 32-char
       [0-9A-Za-z] nonce when none was given, the reference JSON for
       sub_orders, and a sign equal to the reference signature;
     - the key never appears in the body or in explain's output, which is
       the reference string to sign with "***" for the key;
     - a response echoing these ids, signed by the reference, parses as
       CLOSED for this request;
     - wxpay_close() sends exactly such a body, answers CLOSED when work_cap
       fits request + response, BUFFER/TOO_LARGE otherwise, TOO_EARLY with
       retry_after when the order is younger than 60 s, and its log callback
       never receives the key. */
#define WXPAY_CLOSE_IMPLEMENTATION
#include "wxpay_close.h"
#include "fuzz_common.h"

#define FZ_NOW 1700000000LL
#define FZ_CANARY 16

typedef struct fz_in {
  unsigned flags, count, cap_sel, work_sel;
  int age_off;
  const char *key, *appid, *mch, *otn, *nonce, *json;
  wxpay_sub_order subs[12];
  char *copy;
} fz_in;

static unsigned fz_rng_state;
static int fz_random(void *user, unsigned char *buf, size_t n) {
  unsigned fail = *(const unsigned *)user;
  size_t i;
  if (fail) return -1;
  for (i = 0; i < n; i++) {
    fz_rng_state ^= fz_rng_state << 13;
    fz_rng_state ^= fz_rng_state >> 17;
    fz_rng_state ^= fz_rng_state << 5;
    buf[i] = (unsigned char)(fz_rng_state >> 11);
  }
  return 0;
}
static long long fz_clock(void *user) { (void)user; return FZ_NOW; }
/* documented: the rest of the minute; a created_at ahead of the clock (skew)
   waits the whole minute */
static long long fz_wait(long long created_at) {
  if (created_at >= FZ_NOW) return 60;
  return FZ_NOW - created_at >= 60 ? 0 : 60 - (FZ_NOW - created_at);
}

static const char *fz_find(const char *hay, size_t n, const char *needle) {
  size_t k = strlen(needle), i;
  if (!k || k > n) return NULL;
  for (i = 0; i + k <= n; i++)
    if (memcmp(hay + i, needle, k) == 0) return hay + i;
  return NULL;
}

/* The key can be looked for in output only when it is plain alphanumeric
   (no XML syntax could form it) and no input value holds it. */
static int fz_key_checkable(const fz_in *in, const char *json) {
  const char *k;
  size_t i;
  for (k = in->key; *k; k++)
    if (!((*k >= '0' && *k <= '9') || (*k >= 'A' && *k <= 'Z') || (*k >= 'a' && *k <= 'z')))
      return 0;
  if (strstr(json, in->key) || strstr(in->appid, in->key) || strstr(in->mch, in->key) ||
      strstr(in->otn, in->key) || (in->nonce && strstr(in->nonce, in->key)))
    return 0;
  for (i = 0; i < in->count; i++)
    if ((in->subs[i].mchid && strstr(in->subs[i].mchid, in->key)) ||
        (in->subs[i].out_trade_no && strstr(in->subs[i].out_trade_no, in->key)))
      return 0;
  return 1;
}

static void fz_parse_input(const uint8_t *data, size_t size, fz_in *in) {
  uint8_t h[7] = {0, 0, 0, 0, 0, 0, 0};
  const char *s[6 + 24];
  size_t ns = 0, i, start;
  memset(in, 0, sizeof *in);
  memcpy(h, data, size < 7 ? size : 7);
  in->flags = h[0];
  in->count = h[1] % 13u;
  in->cap_sel = (unsigned)h[2] | ((unsigned)h[3] << 8);
  in->work_sel = (unsigned)h[4] | ((unsigned)h[5] << 8);
  in->age_off = (int)h[6] - 128;
  in->copy = (char *)malloc(size + 1);
  if (!in->copy) abort();
  if (size) memcpy(in->copy, data, size);
  in->copy[size] = '\0';
  for (i = 0; i < 30; i++) s[i] = NULL;
  if (size > 7) {
    for (start = i = 7; i <= size && ns < 30; i++) {
      if (i == size || in->copy[i] == '\0') {
        s[ns++] = in->copy + start;
        start = i + 1;
      }
    }
  }
  i = 0;
  in->key = (in->flags & 8) ? s[i++] : FZ_KEY;
  in->appid = s[i++];
  in->mch = s[i++];
  in->otn = s[i++];
  in->nonce = (in->flags & 2) ? s[i++] : NULL;
  in->json = (in->flags & 4) ? s[i++] : NULL;
  {
    size_t k;
    for (k = 0; k < 12; k++) {
      in->subs[k].mchid = s[i++];
      in->subs[k].out_trade_no = s[i++];
    }
  }
}

/* ---- reference validation: the documented checks, in the documented order */
/* What each field may hold (issue 11 item 10): merchant ids digits, appids
   letters and digits, order numbers 0-9 A-Z a-z _ - | * @, the nonce any
   printable ASCII but space. */
enum { FZ_MERCHANT_ID, FZ_APP_ID, FZ_ORDER_NO, FZ_NONCE };

/* Text that travels in XML, scanned left to right: 0 fine, 1 at a control
   character first (all but TAB and LF; CR too: the server's XML parser would
   turn it into LF before checking the signature), 2 at bad UTF-8 first
   (overlongs, surrogates, past U+10FFFF, and U+FFFE/U+FFFF, which are no
   XML characters). */
static int fz_ref_text(const char *s, size_t n) {
  const unsigned char *p = (const unsigned char *)s;
  size_t i = 0, k, j;
  while (i < n) {
    uint32_t c;
    if (p[i] < 0x80) {
      if (p[i] < 0x20 && p[i] != '\t' && p[i] != '\n') return 1;
      i++;
      continue;
    }
    if (p[i] >= 0xC2 && p[i] <= 0xDF) { k = 2; c = p[i] & 0x1Fu; }
    else if (p[i] >= 0xE0 && p[i] <= 0xEF) { k = 3; c = p[i] & 0x0Fu; }
    else if (p[i] >= 0xF0 && p[i] <= 0xF4) { k = 4; c = p[i] & 0x07u; }
    else return 2;
    if (n - i < k) return 2;
    for (j = 1; j < k; j++) {
      if ((p[i + j] & 0xC0) != 0x80) return 2;
      c = (c << 6) | (p[i + j] & 0x3Fu);
    }
    if ((k == 3 && c < 0x800) || (k == 4 && c < 0x10000) || c > 0x10FFFF ||
        (c >= 0xD800 && c <= 0xDFFF) || c == 0xFFFE || c == 0xFFFF)
      return 2;
    i += k;
  }
  return 0;
}

static wxpay_err fz_ref_check(const char *s, size_t max, int kind) {
  size_t n, i;
  if (!s || !*s) return kind == FZ_NONCE ? WXPAY_ERR_NONCE : WXPAY_ERR_MISSING_FIELD;
  n = strlen(s);
  if (n > max) return kind == FZ_NONCE ? WXPAY_ERR_NONCE : WXPAY_ERR_FIELD_TOO_LONG;
  if (fz_ref_text(s, n) == 2) return WXPAY_ERR_UTF8;
  for (i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    int digit = c >= '0' && c <= '9';
    int letter = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
    int ok = kind == FZ_MERCHANT_ID ? digit
             : kind == FZ_APP_ID ? digit || letter
             : kind == FZ_ORDER_NO
                 ? digit || letter || c == '_' || c == '-' || c == '|' || c == '*' || c == '@'
                 : (c > 0x20 && c < 0x7F);
    if (!ok) return kind == FZ_NONCE ? WXPAY_ERR_NONCE : WXPAY_ERR_BAD_CHARS;
  }
  return WXPAY_OK;
}

/* PHP json_encode of the ids: " \ / escaped (none of them can reach here
   any more: mchid is digits, out_trade_no the order-number set). */
static void fz_ref_json(const wxpay_sub_order *subs, size_t n, fz_buf *b) {
  size_t i;
  const char *p;
  b->n = 0;
  fz_puts(b, "[");
  for (i = 0; i < n; i++) {
    int f;
    fz_puts(b, i ? ",{\"mchid\":\"" : "{\"mchid\":\"");
    for (f = 0; f < 2; f++) {
      for (p = f ? subs[i].out_trade_no : subs[i].mchid; *p; p++) {
        if (*p == '"' || *p == '\\' || *p == '/') fz_put(b, "\\", 1);
        fz_put(b, p, 1);
      }
      fz_puts(b, f ? "\"}" : "\",\"out_trade_no\":\"");
    }
  }
  fz_puts(b, "]");
}

static wxpay_err fz_ref_validate(const wxpay_close_req *req, const char *key, int clocked,
                                 fz_buf *json) {
  wxpay_err e;
  size_t i;
  if (!key || strlen(key) != 32) return WXPAY_ERR_KEY;
  if ((e = fz_ref_check(req->combine_appid, 32, FZ_APP_ID)) != WXPAY_OK) return e;
  if ((e = fz_ref_check(req->combine_mch_id, 32, FZ_MERCHANT_ID)) != WXPAY_OK) return e;
  if ((e = fz_ref_check(req->combine_out_trade_no, 32, FZ_ORDER_NO)) != WXPAY_OK) return e;
  if (req->nonce_str && (e = fz_ref_check(req->nonce_str, 32, FZ_NONCE)) != WXPAY_OK) return e;
  if (req->sub_order_list_json) {
    size_t n = strlen(req->sub_order_list_json);
    if (!n) return WXPAY_ERR_MISSING_FIELD;
    if (n > 10240) return WXPAY_ERR_SUB_ORDER_LIST_TOO_LONG;
    switch (fz_ref_text(req->sub_order_list_json, n)) {
      case 1: return WXPAY_ERR_BAD_CHARS;
      case 2: return WXPAY_ERR_UTF8;
      default: break;
    }
    json->n = 0;
    fz_puts(json, req->sub_order_list_json);
  } else {
    if (req->sub_order_count < 1 || req->sub_order_count > WXPAY_MAX_SUB_ORDERS)
      return WXPAY_ERR_SUB_ORDER_COUNT;
    for (i = 0; i < req->sub_order_count; i++) {
      if ((e = fz_ref_check(req->sub_orders[i].mchid, 32, FZ_MERCHANT_ID)) != WXPAY_OK) return e;
      if ((e = fz_ref_check(req->sub_orders[i].out_trade_no, 32, FZ_ORDER_NO)) != WXPAY_OK)
        return e;
    }
    fz_ref_json(req->sub_orders, req->sub_order_count, json);
    if (json->n > 10240) return WXPAY_ERR_SUB_ORDER_LIST_TOO_LONG;
  }
  if (clocked && FZ_NOW - req->created_at < 60) return WXPAY_ERR_TOO_EARLY;
  return WXPAY_OK;
}

/* ---- the fake transport for wxpay_close() ---- */
typedef struct fz_net {
  const fz_buf *answer;
  const char *key;
  int calls;
  fz_buf sent;
  fz_buf logs;
} fz_net;

static wxpay_net fz_transport(void *user, const wxpay_http_req *req, wxpay_http_resp *resp) {
  fz_net *t = (fz_net *)user;
  t->calls++;
  FZ_CHECK(req->method && !strcmp(req->method, "POST"), "transport: POST");
  FZ_CHECK(req->url && !strcmp(req->url, WXPAY_ENDPOINT), "transport: primary endpoint");
  FZ_CHECK(req->header_count >= 1 && req->headers, "transport: headers given");
  FZ_CHECK(req->body && req->body_len == strlen(req->body), "transport: body is NUL-terminated");
  t->sent.n = 0;
  fz_put(&t->sent, req->body, req->body_len);
  resp->status = 200;
  if (t->answer->n > resp->body_cap) return WXPAY_NET_TOO_LARGE;
  memcpy(resp->body, t->answer->p, t->answer->n);
  resp->body_len = t->answer->n;
  return WXPAY_NET_OK;
}

static void fz_log(void *user, wxpay_log_id id, int attempt, const char *detail) {
  fz_net *t = (fz_net *)user;
  (void)id; (void)attempt;
  FZ_CHECK(detail != NULL, "log detail is never NULL");
  fz_puts(&t->logs, detail);
  fz_puts(&t->logs, "\n");
}

/* Checks a successful body against the expected fields. */
static void fz_check_body(const char *out, size_t len, const wxpay_close_req *req,
                          const char *key, const char *json) {
  fz_kv kv[FZ_MAX_KV], want[7];
  wxpay_fields f;
  char *b = fz_dup(out, len), sign[65], lib_sign[65];
  wxpay_client c;
  size_t n, i;
  wxpay_err e = wxpay_xml_read(b, len, &f, NULL);
  if (e != WXPAY_OK) {
    fprintf(stderr, "built body refused by the reader: %s\n%s\n", wxpay_err_name(e), out);
    fz_fail("the built body parses back", wxpay_err_name(e), __LINE__);
  }
  n = fz_walk(&f, b, b + len, kv, FZ_MAX_KV);
  FZ_CHECK(n == 7, "the body has exactly seven fields");
  want[0].name = "combine_appid"; want[0].value = req->combine_appid;
  want[1].name = "combine_mch_id"; want[1].value = req->combine_mch_id;
  want[2].name = "sign_type"; want[2].value = "HMAC-SHA256";
  want[3].name = "combine_out_trade_no"; want[3].value = req->combine_out_trade_no;
  want[4].name = "sub_order_list"; want[4].value = json;
  want[5].name = "nonce_str"; want[5].value = req->nonce_str ? req->nonce_str : kv[5].value;
  fz_ref_sign(want, 6, key, sign);
  want[6].name = "sign"; want[6].value = sign;
  for (i = 0; i < 7; i++) {
    if (strcmp(kv[i].name, want[i].name) || strcmp(kv[i].value, want[i].value)) {
      fprintf(stderr, "field %lu: got %s=[%s], want %s=[%s]\n", (unsigned long)i, kv[i].name,
              kv[i].value, want[i].name, want[i].value);
      fz_fail("the body's fields are the request's, in order", kv[i].name, __LINE__);
    }
  }
  if (!req->nonce_str) {
    FZ_CHECK(strlen(kv[5].value) == 32, "a drawn nonce has 32 characters");
    for (i = 0; i < 32; i++) {
      char ch = kv[5].value[i];
      FZ_CHECK((ch >= '0' && ch <= '9') || (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z'),
               "a drawn nonce is [0-9A-Za-z]");
    }
  }
  memset(&c, 0, sizeof c);
  c.api_key = key;
  FZ_CHECK(wxpay_sign_fields(&c, &f, lib_sign) == WXPAY_OK && !strcmp(lib_sign, sign),
           "wxpay_sign_fields agrees with the reference");
  free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fz_in in;
  wxpay_client cli;
  wxpay_close_req req;
  fz_buf json = {NULL, 0, 0}, ss = {NULL, 0, 0}, answer = {NULL, 0, 0};
  wxpay_err v, ref, e;
  size_t len = 7777, need = 0, cap, i;
  char *out;
  unsigned fail;
  const char *bad_field = NULL;
  int clocked;

  fz_parse_input(data, size, &in);
  fz_rng_state = fz_salt(data, size) | 1u;
  fail = (in.flags & 16) ? 1u : 0u;
  clocked = (in.flags & 32) != 0;
  memset(&cli, 0, sizeof cli);
  cli.api_key = in.key;
  cli.random = fz_random;
  cli.random_user = &fail;
  cli.clock = fz_clock;
  if ((in.flags & 1) && in.key && strlen(in.key) == 32)
    FZ_CHECK(wxpay_client_init(&cli) == WXPAY_OK, "client_init takes a 32-byte key");
  memset(&req, 0, sizeof req);
  req.combine_appid = in.appid;
  req.combine_mch_id = in.mch;
  req.combine_out_trade_no = in.otn;
  req.nonce_str = in.nonce;
  req.sub_order_list_json = in.json;
  req.sub_orders = in.subs;
  req.sub_order_count = in.count;
  if (clocked) req.created_at = FZ_NOW - in.age_off;

#ifdef FZ_TOLERATE_FINDINGS
  /* exploration only: skip inputs that hit an open finding of
     tests/fuzz/FINDINGS.md here, so a long run can look for new ones
     (none open for this target now; F1 is fixed) */
#endif
  v = wxpay_close_validate(&cli, &req, &bad_field, NULL);
  ref = fz_ref_validate(&req, in.key, clocked, &json);
  if (v != ref) {
    fprintf(stderr, "validate: got %s (%s), reference %s\n", wxpay_err_name(v),
            bad_field ? bad_field : "-", wxpay_err_name(ref));
    fz_fail("validation matches the reference", wxpay_err_name(v), __LINE__);
  }
  FZ_CHECK((v == WXPAY_OK) == (bad_field == NULL), "bad_field is set exactly on error");
  if (v == WXPAY_ERR_TOO_EARLY)
    FZ_CHECK(wxpay_close_wait_seconds(&cli, &req) == fz_wait(req.created_at),
             "wait_seconds is the rest of the minute (60 when created_at is ahead)");

  /* the size query: cap 0 (out NULL or a zero-size buffer) */
  out = (in.flags & 128) ? NULL : fz_dup("", 0);
  e = wxpay_close_build(&cli, &req, out, 0, &len);
  free(out);
  if (v != WXPAY_OK) {
    FZ_CHECK(e == v && len == 0, "build refuses what validate refuses, len 0");
    goto done;
  }
  if (fail && !req.nonce_str) {
    FZ_CHECK(e == WXPAY_ERR_RANDOM && len == 0, "a failing random source is RANDOM");
    goto done;
  }
  FZ_CHECK(e == WXPAY_ERR_BUFFER && len > 0, "cap 0 asks for a bigger buffer");
  need = len;

  /* a fuzzed cap in [0, need + 8), in an exact-size buffer */
  cap = in.cap_sel % (need + 8);
  out = (char *)malloc(cap); /* cap 0: a zero-size block, any access is flagged */
  if (!out && !cap) out = (char *)malloc(1);
  if (!out) abort();
  e = wxpay_close_build(&cli, &req, out, cap, &len);
  if (cap < need) {
    FZ_CHECK(e == WXPAY_ERR_BUFFER && len == need, "too small: BUFFER with the needed cap");
    if (cap) FZ_CHECK(out[0] == '\0', "too small: out[0] is NUL");
  } else {
    FZ_CHECK(e == WXPAY_OK && len == need - 1 && strlen(out) == len, "big enough: OK, len fits");
    fz_check_body(out, len, &req, in.key, json.p);
  }
  free(out);

  /* need - 1 and need, with canaries after cap */
  {
    size_t k;
    for (k = 0; k < 2; k++) {
      size_t c = need - 1 + k;
      char *g = (char *)malloc(c + FZ_CANARY);
      if (!g) abort();
      memset(g, 0xA5, c + FZ_CANARY);
      e = wxpay_close_build(&cli, &req, g, c, &len);
      for (i = c; i < c + FZ_CANARY; i++)
        FZ_CHECK((unsigned char)g[i] == 0xA5, "nothing written at or past cap");
      if (k == 0) {
        FZ_CHECK(e == WXPAY_ERR_BUFFER && len == need, "cap need-1 is BUFFER");
        if (c) FZ_CHECK(g[0] == '\0', "cap need-1 leaves out[0] NUL");
      } else {
        FZ_CHECK(e == WXPAY_OK && len == need - 1, "cap need is OK");
        fz_check_body(g, len, &req, in.key, json.p);
        if (fz_key_checkable(&in, json.p))
          FZ_CHECK(!fz_find(g, len, in.key), "the key is not in the body");
      }
      free(g);
    }
  }

  /* explain: the reference string to sign with the key masked */
  if (req.nonce_str) {
    fz_kv kv[6];
    char ebuf[12000];
    kv[0].name = "combine_appid"; kv[0].value = req.combine_appid;
    kv[1].name = "combine_mch_id"; kv[1].value = req.combine_mch_id;
    kv[2].name = "sign_type"; kv[2].value = "HMAC-SHA256";
    kv[3].name = "combine_out_trade_no"; kv[3].value = req.combine_out_trade_no;
    kv[4].name = "sub_order_list"; kv[4].value = json.p;
    kv[5].name = "nonce_str"; kv[5].value = req.nonce_str;
    fz_ref_sign_string(kv, 6, "***", &ss);
    e = wxpay_close_explain(&cli, &req, ebuf, sizeof ebuf, &len);
    FZ_CHECK(e == WXPAY_OK && len == ss.n && !strcmp(ebuf, ss.p),
             "explain is the reference string to sign, key masked");
  }

  /* a response echoing this request, signed by the reference, is CLOSED */
  {
    fz_kv kv[7];
    char sign[65], *b;
    wxpay_close_resp r;
    kv[0].name = "return_code"; kv[0].value = "SUCCESS";
    kv[1].name = "return_msg"; kv[1].value = "OK";
    kv[2].name = "combine_appid"; kv[2].value = req.combine_appid;
    kv[3].name = "combine_mch_id"; kv[3].value = req.combine_mch_id;
    kv[4].name = "nonce_str"; kv[4].value = "5K8264ILTKCH16CQ2502SI8ZNMTM67VS";
    kv[5].name = "result_code"; kv[5].value = "SUCCESS";
    fz_ref_sign(kv, 6, in.key, sign);
    kv[6].name = "sign"; kv[6].value = sign;
    fz_xml(&answer, kv, 7, (int)(in.cap_sel % FZ_XML_STYLES), in.work_sel);
    b = fz_dup(answer.p, answer.n);
    e = wxpay_close_parse(&cli, &req, b, answer.n, &r);
    FZ_CHECK(e == WXPAY_OK && r.outcome == WXPAY_OUTCOME_CLOSED && r.verified == 1,
             "an echoing, correctly signed response is CLOSED");
    free(b);
  }

  /* the whole exchange through a fake transport */
  if (in.flags & 64) {
    fz_net t;
    wxpay_close_resp r;
    size_t wcap = in.work_sel % (need + answer.n + 16), blen = need - 1;
    char *work = (char *)malloc(wcap ? wcap : 1);
    if (!work) abort();
    memset(&t, 0, sizeof t);
    t.answer = &answer;
    t.key = in.key;
    cli.transport = fz_transport;
    cli.transport_user = &t;
    cli.log = fz_log;
    cli.log_user = &t;
    e = wxpay_close(&cli, &req, &r, work, wcap);
    if (wcap < blen + 2) {
      FZ_CHECK(e == WXPAY_ERR_BUFFER && t.calls == 0, "close: no room for the request");
    } else if (wcap - blen - 1 < answer.n) {
      FZ_CHECK(e == WXPAY_ERR_TOO_LARGE && t.calls == 1, "close: no room for the response");
    } else {
      FZ_CHECK(e == WXPAY_OK && r.outcome == WXPAY_OUTCOME_CLOSED && t.calls == 1,
               "close: CLOSED when request and response fit");
    }
    if (t.calls) {
      FZ_CHECK(t.sent.n == blen, "close: sent body has the built length");
      fz_check_body(t.sent.p, t.sent.n, &req, in.key, json.p);
    }
    if (t.logs.p && fz_key_checkable(&in, json.p))
      FZ_CHECK(!fz_find(t.logs.p, t.logs.n, in.key), "the key never reaches the log");
    fz_free(&t.sent);
    fz_free(&t.logs);
    free(work);
  }
done:
  if (clocked && v == WXPAY_ERR_TOO_EARLY && (in.flags & 64)) {
    fz_net t;
    wxpay_close_resp r;
    char work[64];
    memset(&t, 0, sizeof t);
    t.answer = &answer;
    cli.transport = fz_transport;
    cli.transport_user = &t;
    e = wxpay_close(&cli, &req, &r, work, sizeof work);
    FZ_CHECK(e == WXPAY_ERR_TOO_EARLY && r.outcome == WXPAY_OUTCOME_RETRY &&
                 r.retry_after == fz_wait(req.created_at) && t.calls == 0,
             "close: too early is RETRY with retry_after, nothing sent");
  }
  fz_free(&json);
  fz_free(&ss);
  fz_free(&answer);
  free(in.copy);
  return 0;
}
