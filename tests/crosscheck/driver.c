/* Cross-check driver: exposes wxpay_close.h to tests/crosscheck/check.py.

   Reads one case per line on stdin and writes one answer line per case on
   stdout, in the same order. Fields are separated by a TAB; every data field
   is lowercase or uppercase hex of its bytes ("" = empty), and "-" stands for
   a NULL pointer where that makes sense.

   S  msg                               -> sha256hex
   H  key msg                           -> hmachex
   B  key appid mchid otn nonce json [mchid otn]...
        (nonce/json may be "-"; the sub-orders are the pairs that follow)
                                        -> builderr  bodyhex  explainerr  explainhex
   F  key name value [name value]...    -> err  sign
   P  key reqappid reqmchid body        -> err  outcome  verified  [name value]...
        (reqappid and reqmchid "-": parse without a request)
   Q  key appid mchid otn nonce         -> err  bodyhex   (wxpay_query_build)
   R  key appid mchid otn body          -> err  found  verified  outcome
        appid mchid otn openid device_info trade_state trade_state_desc
        state count  then per sub-order: mchid sub_mchid out_trade_no
        trade_state transaction_id trade_type currency success_time attach
        state total_amount payer_amount   (wxpay_query_parse; strings hex,
        states and amounts decimal)

   Digests are lowercase hex; the sign is what the library wrote. Error names
   come from wxpay_err_name(), outcomes from wxpay_outcome_name(). A line the
   driver cannot understand is answered with "BADLINE" (never a crash). */
#define WXPAY_CLOSE_IMPLEMENTATION
#include "wxpay_close.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "put_order.h"

#define MAX_TOKENS 512

static void die(const char *why) {
  fprintf(stderr, "driver: %s\n", why);
  exit(2);
}

static void *xmalloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (!p) die("out of memory");
  return p;
}

/* Reads one line (without its '\n') into a growing buffer; 0 at EOF. */
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
      if (!p) die("out of memory");
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

/* A decoded field: bytes plus a NUL after them; null = "-". */
typedef struct field {
  char *data;
  size_t len;
  int null;
} field;

/* Decodes token in place (hex is never shorter than its bytes). */
static int decode(char *tok, field *f) {
  size_t n = strlen(tok), i;
  f->null = 0;
  if (n == 1 && tok[0] == '-') {
    f->null = 1;
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

static void put_hex(const void *p, size_t n) {
  static const char h[] = "0123456789abcdef";
  const unsigned char *b = (const unsigned char *)p;
  size_t i;
  for (i = 0; i < n; i++) {
    putchar(h[b[i] >> 4]);
    putchar(h[b[i] & 15]);
  }
}

static const char *str(const field *f) { return f->null ? NULL : f->data; }

static void op_sha(field *t, size_t nt) {
  unsigned char d[32];
  if (nt != 1) { fputs("BADLINE", stdout); return; }
  wxpay_sha256(t[0].data, t[0].len, d);
  put_hex(d, 32);
}

static void op_hmac(field *t, size_t nt) {
  unsigned char d[32];
  if (nt != 2 || t[0].null || t[1].null) { fputs("BADLINE", stdout); return; }
  wxpay_hmac_sha256(t[0].data, t[0].len, t[1].data, t[1].len, d);
  put_hex(d, 32);
}

/* Builds with cap 0 first (must say how much it needs), then with exactly
   that much; a disagreement is reported as LEN_CONTRACT. */
typedef wxpay_err (*writer_fn)(const wxpay_client *, const wxpay_close_req *,
                               char *, size_t, size_t *);

static void write_with(writer_fn fn, const wxpay_client *cli,
                       const wxpay_close_req *req) {
  size_t need = 0, len = 0;
  char probe = 'x';
  char *out;
  wxpay_err e = fn(cli, req, &probe, 0, &need);
  if (e != WXPAY_ERR_BUFFER) {
    fputs(wxpay_err_name(e), stdout);
    putchar('\t');
    return;
  }
  out = (char *)xmalloc(need);
  e = fn(cli, req, out, need, &len);
  if (e != WXPAY_OK) {
    fputs(wxpay_err_name(e), stdout);
    putchar('\t');
  } else if (len + 1 != need || strlen(out) != len) {
    fputs("LEN_CONTRACT\t", stdout);
  } else {
    fputs("OK\t", stdout);
    put_hex(out, len);
  }
  free(out);
}

static void op_build(field *t, size_t nt) {
  wxpay_client cli;
  wxpay_close_req req;
  wxpay_sub_order *subs;
  size_t i, n;
  if (nt < 6 || (nt - 6) % 2) { fputs("BADLINE", stdout); return; }
  n = (nt - 6) / 2;
  subs = (wxpay_sub_order *)xmalloc((n ? n : 1) * sizeof *subs);
  for (i = 0; i < n; i++) {
    subs[i].mchid = str(&t[6 + 2 * i]);
    subs[i].out_trade_no = str(&t[7 + 2 * i]);
  }
  memset(&cli, 0, sizeof cli);
  memset(&req, 0, sizeof req);
  cli.api_key = str(&t[0]);
  req.combine_appid = str(&t[1]);
  req.combine_mch_id = str(&t[2]);
  req.combine_out_trade_no = str(&t[3]);
  req.nonce_str = str(&t[4]);
  req.sub_order_list_json = str(&t[5]);
  req.sub_orders = subs;
  req.sub_order_count = n;
  write_with(wxpay_close_build, &cli, &req);
  putchar('\t');
  write_with(wxpay_close_explain, &cli, &req);
  free(subs);
}

static void op_sign_fields(field *t, size_t nt) {
  wxpay_client cli;
  wxpay_fields f;
  char sign[65], *packed, *p;
  size_t i, total = 1;
  wxpay_err e;
  if (nt < 1 || (nt - 1) % 2) { fputs("BADLINE", stdout); return; }
  for (i = 1; i < nt; i++) total += t[i].len + 1;
  packed = p = (char *)xmalloc(total);
  for (i = 1; i < nt; i++) {
    memcpy(p, t[i].data ? t[i].data : "", t[i].len);
    p += t[i].len;
    *p++ = '\0';
  }
  *p = '\0';
  memset(&cli, 0, sizeof cli);
  cli.api_key = str(&t[0]);
  f.data = packed;
  f.count = (nt - 1) / 2;
  e = wxpay_sign_fields(&cli, &f, sign);
  fputs(wxpay_err_name(e), stdout);
  putchar('\t');
  if (e == WXPAY_OK) fputs(sign, stdout);
  free(packed);
}

static void op_parse(field *t, size_t nt) {
  wxpay_client cli;
  wxpay_close_req req;
  wxpay_close_resp resp;
  const char *cur = NULL, *name, *value;
  char *body;
  wxpay_err e;
  if (nt != 4) { fputs("BADLINE", stdout); return; }
  memset(&cli, 0, sizeof cli);
  memset(&req, 0, sizeof req);
  cli.api_key = str(&t[0]);
  req.combine_appid = str(&t[1]);
  req.combine_mch_id = str(&t[2]);
  /* a private copy with nothing after it, so a reader overrun is caught by
     the sanitizer builds rather than hidden by the line buffer */
  body = (char *)xmalloc(t[3].len);
  memcpy(body, t[3].data, t[3].len);
  e = wxpay_close_parse(&cli, (t[1].null && t[2].null) ? NULL : &req, body,
                        t[3].len, &resp);
  fputs(wxpay_err_name(e), stdout);
  putchar('\t');
  fputs(wxpay_outcome_name(resp.outcome), stdout);
  printf("\t%d", resp.verified);
  if (e == WXPAY_OK) {
    while (wxpay_fields_next(&resp.fields, &cur, &name, &value)) {
      putchar('\t');
      put_hex(name, strlen(name));
      putchar('\t');
      put_hex(value, strlen(value));
    }
  }
  free(body);
}

static void put_str(const char *s) { put_hex(s, strlen(s)); }

/* Q  key appid mchid otn nonce  -> err  bodyhex  (the query request; cap 0
   first: it must say how much it needs, then fit in exactly that) */
static void op_query_build(field *t, size_t nt) {
  wxpay_client cli;
  wxpay_query_req req;
  size_t need = 0, len = 0;
  char probe = 'x', *out;
  wxpay_err e;
  if (nt != 5) { fputs("BADLINE", stdout); return; }
  memset(&cli, 0, sizeof cli);
  memset(&req, 0, sizeof req);
  cli.api_key = str(&t[0]);
  req.combine_appid = str(&t[1]);
  req.combine_mch_id = str(&t[2]);
  req.combine_out_trade_no = str(&t[3]);
  req.nonce_str = str(&t[4]);
  e = wxpay_query_build(&cli, &req, &probe, 0, &need);
  if (e != WXPAY_ERR_BUFFER) { fputs(wxpay_err_name(e), stdout); return; }
  out = (char *)xmalloc(need);
  e = wxpay_query_build(&cli, &req, out, need, &len);
  if (e != WXPAY_OK) {
    fputs(wxpay_err_name(e), stdout);
  } else if (len + 1 != need || strlen(out) != len) {
    fputs("LEN_CONTRACT", stdout);
  } else {
    fputs("OK\t", stdout);
    put_hex(out, len);
  }
  free(out);
}

/* R  key appid mchid otn body  -> err  found  verified  outcome  order...
   (room for WXPAY_MAX_SUB_ORDERS sub-orders) */
static void op_query_parse(field *t, size_t nt) {
  wxpay_client cli;
  wxpay_query_req req;
  wxpay_query_resp resp;
  wxpay_query_sub_order subs[WXPAY_MAX_SUB_ORDERS];
  char *body;
  wxpay_err e;
  if (nt != 5) { fputs("BADLINE", stdout); return; }
  memset(&cli, 0, sizeof cli);
  memset(&req, 0, sizeof req);
  cli.api_key = str(&t[0]);
  req.combine_appid = str(&t[1]);
  req.combine_mch_id = str(&t[2]);
  req.combine_out_trade_no = str(&t[3]);
  memset(&resp, 0, sizeof resp);
  resp.order.sub_orders = subs;
  resp.order.sub_order_cap = WXPAY_MAX_SUB_ORDERS;
  body = (char *)xmalloc(t[4].len); /* exact size: an overrun is the sanitizer's */
  memcpy(body, t[4].data, t[4].len);
  e = wxpay_query_parse(&cli, &req, body, t[4].len, &resp);
  printf("%s\t%d\t%d\t%s", wxpay_err_name(e), resp.found, resp.answer.verified,
         wxpay_outcome_name(resp.answer.outcome));
  put_order(&resp.order, put_str);
  free(body);
}

int main(void) {
  char *line = NULL, *tokens[MAX_TOKENS];
  field fields[MAX_TOKENS];
  size_t cap = 0, len, nt, i;
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
    } else {
      switch (tokens[0][0]) {
        case 'S': op_sha(fields, nt - 1); break;
        case 'H': op_hmac(fields, nt - 1); break;
        case 'B': op_build(fields, nt - 1); break;
        case 'F': op_sign_fields(fields, nt - 1); break;
        case 'P': op_parse(fields, nt - 1); break;
        case 'Q': op_query_build(fields, nt - 1); break;
        case 'R': op_query_parse(fields, nt - 1); break;
        default: fputs("BADLINE", stdout); break;
      }
    }
    putchar('\n');
  }
  free(line);
  return ferror(stdout) ? 1 : 0;
}
