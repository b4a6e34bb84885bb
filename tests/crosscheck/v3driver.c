/* Cross-check driver for APIv3: exposes wxpay_v3_close_build() and
   wxpay_v3_close_parse(), with the OpenSSL adapter (adapters/wxpay_openssl.h)
   as signer and verifier, to tests/crosscheck/check_v3.py.

     v3driver MERCHANT_KEY... -- PLATFORM_CERT... [-- KEY_ID PUBLIC_KEY]...

   loads merchant private keys (chosen per case by index), platform
   certificates (named by their serial) and platform public keys (named by
   the id given). Then reads one case per line on stdin and writes one
   answer line per case on stdout, in the same order. Fields are separated
   by a TAB; every data field is hex of its bytes, "-" a NULL pointer.

   B  keyidx mchid serial appid otn nonce timestamp host
      [mchid otn sub_mchid sub_appid individual_auth_id]...
        keyidx is decimal; host "-": the default host; timestamp decimal
        -> err  path  message  authorization  body
   P  status timestamp nonce signature serial body now
        status and now are decimal; the four header fields may be "-"
        (the header is absent)
        -> err  outcome  verified  code  message  detail
   G  keyidx mchid serial otn nonce timestamp host    (the query's GET)
        -> err  path  message  authorization
   Q  status timestamp nonce signature serial body now mchid otn appid
        (the query's answer; mchid the client's, otn and appid the
        request's, appid may be "-")
        -> err  found  verified  outcome  appid mchid otn openid device_info
        trade_state trade_state_desc state count, then per sub-order mchid
        sub_mchid out_trade_no trade_state transaction_id trade_type
        currency success_time attach state total_amount payer_amount
        (states and amounts decimal)

   Strings out are hex; error names come from wxpay_err_name(), outcomes
   from wxpay_outcome_name(). A line the driver cannot understand is
   answered with "BADLINE". */
#define WXPAY_CLOSE_IMPLEMENTATION
#include "wxpay_close.h"
#define WXPAY_OPENSSL_IMPLEMENTATION
#include "adapters/wxpay_openssl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "put_order.h"

/* room for WXPAY_V3_MAX_SUB_ORDERS + 50 sub-orders (over the limit, to be refused) */
#define MAX_SUBS (WXPAY_V3_MAX_SUB_ORDERS + 50)
#define MAX_TOKENS (9 + 5 * MAX_SUBS)
#define MAX_KEYS 4

static wxpay_openssl_rsa g_merchant[MAX_KEYS];
static size_t g_nmerchant;
static wxpay_openssl_rsa g_platform;
static long long g_now;

static void die(const char *why, const char *what) {
  fprintf(stderr, "v3driver: %s%s%s\n", why, what ? ": " : "", what ? what : "");
  exit(2);
}

static void *xmalloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (!p) die("out of memory", NULL);
  return p;
}

static long long fixed_clock(void *user) {
  (void)user;
  return g_now;
}

static int read_line(char **buf, size_t *cap, size_t *len) {
  int c;
  size_t n = 0;
  if (!*buf) {
    *cap = 4096;
    *buf = (char *)xmalloc(*cap);
  }
  while ((c = getchar()) != EOF && c != '\n') {
    if (n + 1 >= *cap) {
      char *p;
      *cap *= 2;
      p = (char *)realloc(*buf, *cap);
      if (!p) die("out of memory", NULL);
      *buf = p;
    }
    (*buf)[n++] = (char)c;
  }
  (*buf)[n] = '\0';
  *len = n;
  return !(c == EOF && n == 0);
}

static int hexval(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

typedef struct field {
  char *data; /* NUL-terminated; NULL for "-" */
  size_t len;
} field;

static int decode(char *tok, field *f) {
  size_t n = strlen(tok), i;
  if (n == 1 && tok[0] == '-') {
    f->data = NULL;
    f->len = 0;
    return 1;
  }
  if (n % 2) return 0;
  for (i = 0; i < n / 2; i++) {
    int hi = hexval(tok[2 * i]), lo = hexval(tok[2 * i + 1]);
    if (hi < 0 || lo < 0) return 0;
    tok[i] = (char)(unsigned char)(hi * 16 + lo);
  }
  tok[n / 2] = '\0';
  f->data = tok;
  f->len = n / 2;
  return 1;
}

/* A decimal field (given as hex of its digits, like every other). */
static int number(const field *f, long long *out) {
  long long v = 0;
  size_t i;
  int neg = 0;
  if (!f->data || !f->len) return 0;
  for (i = 0; i < f->len; i++) {
    char c = f->data[i];
    if (i == 0 && c == '-') { neg = 1; continue; }
    if (c < '0' || c > '9' || v > 99999999999999LL) return 0;
    v = v * 10 + (c - '0');
  }
  *out = neg ? -v : v;
  return 1;
}

static void put_hex(const void *p, size_t n) {
  static const char h[] = "0123456789abcdef";
  const unsigned char *b = (const unsigned char *)p;
  size_t i;
  for (i = 0; i < n; i++) {
    putchar(h[b[i] >> 4]);
    putchar(h[b[i] & 15]);
  }
}

static void put_str(const char *s) { put_hex(s, strlen(s)); }

static void op_build(field *t, size_t nt) {
  wxpay_client cli;
  wxpay_v3_close_req req;
  wxpay_v3_request b;
  static wxpay_v3_sub_order subs[MAX_SUBS];
  char *out;
  size_t i, n, need;
  long long idx, ts;
  wxpay_err e;
  if (nt < 8 || (nt - 8) % 5 || (nt - 8) / 5 > MAX_SUBS || !number(&t[0], &idx) ||
      idx < 0 || (size_t)idx >= g_nmerchant || !number(&t[6], &ts)) {
    fputs("BADLINE", stdout);
    return;
  }
  n = (nt - 8) / 5;
  memset(subs, 0, sizeof subs);
  for (i = 0; i < n; i++) {
    subs[i].mchid = t[8 + 5 * i].data;
    subs[i].out_trade_no = t[9 + 5 * i].data;
    subs[i].sub_mchid = t[10 + 5 * i].data;
    subs[i].sub_appid = t[11 + 5 * i].data;
    subs[i].individual_auth_id = t[12 + 5 * i].data;
  }
  memset(&cli, 0, sizeof cli);
  memset(&req, 0, sizeof req);
  cli.mchid = t[1].data;
  cli.serial_no = t[2].data;
  cli.v3_sign = wxpay_openssl_sign;
  cli.v3_sign_user = &g_merchant[idx];
  cli.v3_verify = wxpay_openssl_verify;
  cli.v3_verify_user = &g_platform;
  cli.v3_host = t[7].data;
  req.combine_appid = t[3].data;
  req.combine_out_trade_no = t[4].data;
  req.nonce_str = t[5].data;
  req.timestamp = ts;
  req.sub_orders = subs;
  req.sub_order_count = n;
  /* cap 0 first: the build must say how much it needs, then fit in it */
  e = wxpay_v3_close_build(&cli, &req, NULL, 0, &b);
  if (e != WXPAY_ERR_BUFFER) {
    fputs(wxpay_err_name(e), stdout);
    return;
  }
  need = b.used;
  out = (char *)xmalloc(need);
  e = wxpay_v3_close_build(&cli, &req, out, need, &b);
  if (e != WXPAY_OK) {
    fputs(wxpay_err_name(e), stdout);
  } else if (b.used > need || strlen(b.message) != b.message_len ||
             b.body < b.message || b.body + b.body_len > b.message + b.message_len) {
    fputs("LAYOUT", stdout);
  } else {
    fputs("OK\t", stdout);
    put_str(b.path);
    putchar('\t');
    put_hex(b.message, b.message_len);
    putchar('\t');
    put_str(b.authorization);
    putchar('\t');
    put_hex(b.body, b.body_len);
  }
  free(out);
}

static void op_parse(field *t, size_t nt) {
  wxpay_client cli;
  wxpay_v3_resp_headers h;
  wxpay_v3_close_resp resp;
  long long status, now;
  char *body;
  wxpay_err e;
  if (nt != 7 || !number(&t[0], &status) || !number(&t[6], &now) || !t[5].data) {
    fputs("BADLINE", stdout);
    return;
  }
  memset(&cli, 0, sizeof cli);
  cli.v3_verify = wxpay_openssl_verify;
  cli.v3_verify_user = &g_platform;
  cli.clock = fixed_clock;
  g_now = now;
  h.timestamp = t[1].data;
  h.nonce = t[2].data;
  h.signature = t[3].data;
  h.serial = t[4].data;
  /* a private copy with nothing after it (the body is read in place) */
  body = (char *)xmalloc(t[5].len);
  memcpy(body, t[5].data, t[5].len);
  e = wxpay_v3_close_parse(&cli, (int)status, &h, body, t[5].len, &resp);
  fputs(wxpay_err_name(e), stdout);
  printf("\t%s\t%d\t", wxpay_outcome_name(resp.outcome), resp.verified);
  put_str(resp.code);
  putchar('\t');
  put_str(resp.message);
  putchar('\t');
  put_str(resp.detail);
  free(body);
}

/* G  keyidx mchid serial otn nonce timestamp host  -> err path message
   authorization (wxpay_v3_query_build; cap 0 first, then exactly that) */
static void op_query_build(field *t, size_t nt) {
  wxpay_client cli;
  wxpay_v3_query_req req;
  wxpay_v3_request b;
  char *out;
  size_t need;
  long long idx, ts;
  wxpay_err e;
  if (nt != 7 || !number(&t[0], &idx) || idx < 0 || (size_t)idx >= g_nmerchant ||
      !number(&t[5], &ts)) {
    fputs("BADLINE", stdout);
    return;
  }
  memset(&cli, 0, sizeof cli);
  memset(&req, 0, sizeof req);
  cli.mchid = t[1].data;
  cli.serial_no = t[2].data;
  cli.v3_sign = wxpay_openssl_sign;
  cli.v3_sign_user = &g_merchant[idx];
  cli.v3_verify = wxpay_openssl_verify;
  cli.v3_verify_user = &g_platform;
  cli.v3_host = t[6].data;
  req.combine_out_trade_no = t[3].data;
  req.nonce_str = t[4].data;
  req.timestamp = ts;
  e = wxpay_v3_query_build(&cli, &req, NULL, 0, &b);
  if (e != WXPAY_ERR_BUFFER) {
    fputs(wxpay_err_name(e), stdout);
    return;
  }
  need = b.used;
  out = (char *)xmalloc(need);
  e = wxpay_v3_query_build(&cli, &req, out, need, &b);
  if (e != WXPAY_OK) {
    fputs(wxpay_err_name(e), stdout);
  } else if (b.used > need || strlen(b.message) != b.message_len || b.body_len != 0) {
    fputs("LAYOUT", stdout);
  } else {
    fputs("OK\t", stdout);
    put_str(b.path);
    putchar('\t');
    put_hex(b.message, b.message_len);
    putchar('\t');
    put_str(b.authorization);
  }
  free(out);
}

/* Q  status timestamp nonce signature serial body now mchid otn appid
   -> err found verified outcome, then the order as tests/crosscheck/driver.c
   prints it (room for WXPAY_V3_MAX_SUB_ORDERS) */
static void op_query_parse(field *t, size_t nt) {
  wxpay_client cli;
  wxpay_v3_resp_headers h;
  wxpay_v3_query_req req;
  wxpay_v3_query_resp resp;
  static wxpay_query_sub_order subs[WXPAY_V3_MAX_SUB_ORDERS];
  const wxpay_order *o = &resp.order;
  long long status, now;
  char *body;
  wxpay_err e;
  if (nt != 10 || !number(&t[0], &status) || !number(&t[6], &now) || !t[5].data) {
    fputs("BADLINE", stdout);
    return;
  }
  memset(&cli, 0, sizeof cli);
  cli.v3_verify = wxpay_openssl_verify;
  cli.v3_verify_user = &g_platform;
  cli.clock = fixed_clock;
  cli.mchid = t[7].data;
  g_now = now;
  memset(&req, 0, sizeof req);
  req.combine_out_trade_no = t[8].data;
  req.combine_appid = t[9].data;
  h.timestamp = t[1].data;
  h.nonce = t[2].data;
  h.signature = t[3].data;
  h.serial = t[4].data;
  memset(&resp, 0, sizeof resp);
  resp.order.sub_orders = subs;
  resp.order.sub_order_cap = WXPAY_V3_MAX_SUB_ORDERS;
  body = (char *)xmalloc(t[5].len); /* exact size, read in place */
  memcpy(body, t[5].data, t[5].len);
  e = wxpay_v3_query_parse(&cli, &req, (int)status, &h, body, t[5].len, &resp);
  printf("%s\t%d\t%d\t%s", wxpay_err_name(e), resp.found, resp.answer.verified,
         wxpay_outcome_name(resp.answer.outcome));
  put_order(o, put_str);
  free(body);
}

static void load(int argc, char **argv) {
  int i = 1, part = 0, rc;
  wxpay_openssl_rsa_init(&g_platform);
  for (; i < argc; i++) {
    if (!strcmp(argv[i], "--")) {
      part++;
      continue;
    }
    if (part == 0) {
      if (g_nmerchant == MAX_KEYS) die("too many merchant keys", NULL);
      wxpay_openssl_rsa_init(&g_merchant[g_nmerchant]);
      if ((rc = wxpay_openssl_load_private_key_file(&g_merchant[g_nmerchant], argv[i])) != 0)
        die(wxpay_openssl_rsa_strerror(rc), argv[i]);
      g_nmerchant++;
    } else if (part == 1) {
      if ((rc = wxpay_openssl_add_platform_cert_file(&g_platform, argv[i])) != 0)
        die(wxpay_openssl_rsa_strerror(rc), argv[i]);
    } else {
      if (i + 1 >= argc) die("a key id without its public key", argv[i]);
      if ((rc = wxpay_openssl_add_platform_public_key_file(&g_platform, argv[i], argv[i + 1])) != 0)
        die(wxpay_openssl_rsa_strerror(rc), argv[i + 1]);
      i++;
    }
  }
  if (!g_nmerchant) die("no merchant key given", NULL);
}

int main(int argc, char **argv) {
  char *line = NULL, *tokens[MAX_TOKENS];
  field fields[MAX_TOKENS];
  size_t cap = 0, len, nt, i;
  load(argc, argv);
  while (read_line(&line, &cap, &len)) {
    char *p = line;
    int ok = 1;
    nt = 0;
    for (;;) {
      char *tab = strchr(p, '\t');
      if (nt == MAX_TOKENS) { ok = 0; break; }
      tokens[nt++] = p;
      if (!tab) break;
      *tab = '\0';
      p = tab + 1;
    }
    for (i = 1; ok && i < nt; i++) ok = decode(tokens[i], &fields[i - 1]);
    if (!ok || nt == 0 || strlen(tokens[0]) != 1) {
      fputs("BADLINE", stdout);
    } else if (tokens[0][0] == 'B') {
      op_build(fields, nt - 1);
    } else if (tokens[0][0] == 'P') {
      op_parse(fields, nt - 1);
    } else if (tokens[0][0] == 'G') {
      op_query_build(fields, nt - 1);
    } else if (tokens[0][0] == 'Q') {
      op_query_parse(fields, nt - 1);
    } else {
      fputs("BADLINE", stdout);
    }
    putchar('\n');
  }
  free(line);
  for (i = 0; i < g_nmerchant; i++) wxpay_openssl_rsa_free(&g_merchant[i]);
  wxpay_openssl_rsa_free(&g_platform);
  return ferror(stdout) ? 1 : 0;
}
