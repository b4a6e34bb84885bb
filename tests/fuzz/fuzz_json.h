/* fuzz_json.h -- an independent JSON reader for the query targets
   (fuzz_query.c, fuzz_v3query.c), written from RFC 8259 apart from the
   header's reader: recursive, allocating, one tree per document, so that
   whatever the library keeps from an answer can be compared with what the
   text says. Strict where the library documents itself strict: strings are
   UTF-8 (RFC 3629), no \u0000, no lone surrogate; numbers by the RFC's
   grammar; at most FJ_DEPTH levels (deeper is "not read").
   Include after fuzz_common.h. */
#ifndef FUZZ_JSON_H
#define FUZZ_JSON_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define FJ_DEPTH 40

typedef struct fj_node fj_node;
struct fj_node {
  char type;          /* 'o' object, 'a' array, 's' string, 'n' number, 't' 'f' 'z' (null) */
  char *str;          /* 's': decoded, NUL-terminated; 'n': the number's text */
  size_t len;         /* bytes of str */
  size_t count;       /* 'o' / 'a': members or elements */
  char **names;       /* 'o': decoded member names */
  size_t *name_lens;
  int escaped_name;   /* 'o': some member name is spelled with an escape (1),
                         one of them in more than 64 bytes (2) */
  int nonchar;        /* the document's root: some string holds U+FFFE or
                         U+FFFF (the header refuses them, F4) */
  fj_node **kids;
};

typedef struct fj_reader {
  const unsigned char *p;
  size_t n, i;
  int nonchar;  /* a string held U+FFFE or U+FFFF, raw or escaped */
} fj_reader;

static inline void fj_free(fj_node *x) {
  size_t k;
  if (!x) return;
  for (k = 0; k < x->count; k++) {
    fj_free(x->kids[k]);
    if (x->names) free(x->names[k]);
  }
  free(x->kids);
  free(x->names);
  free(x->name_lens);
  free(x->str);
  free(x);
}

static inline void fj_ws(fj_reader *r) {
  while (r->i < r->n && (r->p[r->i] == ' ' || r->p[r->i] == '\t' || r->p[r->i] == '\n' ||
                         r->p[r->i] == '\r'))
    r->i++;
}

static inline int fj_hex(fj_reader *r, uint32_t *v) {
  size_t k;
  *v = 0;
  if (r->n - r->i < 4) return 0;
  for (k = 0; k < 4; k++) {
    unsigned c = r->p[r->i + k];
    unsigned d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
               : c >= 'A' && c <= 'F' ? c - 'A' + 10 : 16;
    if (d == 16) return 0;
    *v = *v * 16 + d;
  }
  r->i += 4;
  return 1;
}

static inline void fj_put_cp(char *out, size_t *w, uint32_t cp) {
  if (cp < 0x80) {
    out[(*w)++] = (char)cp;
  } else if (cp < 0x800) {
    out[(*w)++] = (char)(0xC0 | (cp >> 6));
    out[(*w)++] = (char)(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out[(*w)++] = (char)(0xE0 | (cp >> 12));
    out[(*w)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[(*w)++] = (char)(0x80 | (cp & 0x3F));
  } else {
    out[(*w)++] = (char)(0xF0 | (cp >> 18));
    out[(*w)++] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[(*w)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[(*w)++] = (char)(0x80 | (cp & 0x3F));
  }
}

/* One UTF-8 sequence at r->i (RFC 3629): its length, 0 when invalid. */
static inline size_t fj_utf8(const fj_reader *r) {
  const unsigned char *s = r->p + r->i;
  size_t left = r->n - r->i, len, k;
  uint32_t cp;
  if (s[0] < 0x80) return 1;
  if (s[0] >= 0xC2 && s[0] <= 0xDF) { len = 2; cp = s[0] & 0x1Fu; }
  else if (s[0] >= 0xE0 && s[0] <= 0xEF) { len = 3; cp = s[0] & 0x0Fu; }
  else if (s[0] >= 0xF0 && s[0] <= 0xF4) { len = 4; cp = s[0] & 0x07u; }
  else return 0;
  if (left < len) return 0;
  for (k = 1; k < len; k++) {
    if ((s[k] & 0xC0) != 0x80) return 0;
    cp = cp << 6 | (s[k] & 0x3Fu);
  }
  if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10FFFF ||
      (cp >= 0xD800 && cp <= 0xDFFF))
    return 0;
  return len;
}

/* The string at r->i == '"', decoded into a new buffer (*len bytes). */
static inline char *fj_string(fj_reader *r, size_t *len) {
  char *out = (char *)malloc(r->n - r->i + 1); /* decoding never grows it */
  size_t w = 0;
  if (!out) abort();
  r->i++;
  while (r->i < r->n) {
    unsigned char c = r->p[r->i];
    if (c == '"') {
      r->i++;
      out[w] = '\0';
      *len = w;
      return out;
    }
    if (c < 0x20) break;
    if (c == '\\') {
      unsigned char e;
      if (r->n - r->i < 2) break;
      e = r->p[r->i + 1];
      r->i += 2;
      if (e == 'u') {
        uint32_t cp, lo;
        if (!fj_hex(r, &cp)) break;
        if (cp >= 0xDC00 && cp <= 0xDFFF) break;
        if (cp >= 0xD800 && cp <= 0xDBFF) {
          if (r->n - r->i < 2 || r->p[r->i] != '\\' || r->p[r->i + 1] != 'u') break;
          r->i += 2;
          if (!fj_hex(r, &lo) || lo < 0xDC00 || lo > 0xDFFF) break;
          cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        }
        if (cp == 0) break;
        if (cp == 0xFFFE || cp == 0xFFFF) r->nonchar = 1;
        fj_put_cp(out, &w, cp);
        continue;
      }
      switch (e) {
        case '"': out[w++] = '"'; break;
        case '\\': out[w++] = '\\'; break;
        case '/': out[w++] = '/'; break;
        case 'b': out[w++] = '\b'; break;
        case 'f': out[w++] = '\f'; break;
        case 'n': out[w++] = '\n'; break;
        case 'r': out[w++] = '\r'; break;
        case 't': out[w++] = '\t'; break;
        default: free(out); return NULL;
      }
      continue;
    }
    {
      size_t k = fj_utf8(r), m;
      if (!k) break;
      if (k == 3 && r->p[r->i] == 0xEF && r->p[r->i + 1] == 0xBF && (r->p[r->i + 2] | 1) == 0xBF)
        r->nonchar = 1;
      for (m = 0; m < k; m++) out[w++] = (char)r->p[r->i + m];
      r->i += k;
    }
  }
  free(out);
  return NULL;
}

static inline int fj_digit(const fj_reader *r) {
  return r->i < r->n && r->p[r->i] >= '0' && r->p[r->i] <= '9';
}

static inline fj_node *fj_new(char type) {
  fj_node *x = (fj_node *)calloc(1, sizeof *x);
  if (!x) abort();
  x->type = type;
  return x;
}

static inline void fj_add(fj_node *x, char *name, size_t name_len, fj_node *kid) {
  x->kids = (fj_node **)realloc(x->kids, (x->count + 1) * sizeof *x->kids);
  if (!x->kids) abort();
  if (x->type == 'o') {
    x->names = (char **)realloc(x->names, (x->count + 1) * sizeof *x->names);
    x->name_lens = (size_t *)realloc(x->name_lens, (x->count + 1) * sizeof *x->name_lens);
    if (!x->names || !x->name_lens) abort();
    x->names[x->count] = name;
    x->name_lens[x->count] = name_len;
  }
  x->kids[x->count++] = kid;
}

static inline fj_node *fj_value(fj_reader *r, int depth) {
  fj_node *x;
  unsigned char c;
  fj_ws(r);
  if (r->i >= r->n) return NULL;
  c = r->p[r->i];
  if (c == '{' || c == '[') {
    const unsigned char end = c == '{' ? '}' : ']';
    if (depth >= FJ_DEPTH) return NULL;
    x = fj_new(c == '{' ? 'o' : 'a');
    r->i++;
    fj_ws(r);
    if (r->i < r->n && r->p[r->i] == end) {
      r->i++;
      return x;
    }
    for (;;) {
      char *name = NULL;
      size_t name_len = 0;
      fj_node *kid;
      fj_ws(r);
      if (c == '{') {
        const size_t from = r->i;
        if (r->i >= r->n || r->p[r->i] != '"' || !(name = fj_string(r, &name_len))) break;
        if (memchr(r->p + from, '\\', r->i - from)) {
          if (r->i - from - 2 > 64) x->escaped_name = 2;
          else if (!x->escaped_name) x->escaped_name = 1;
        }
        fj_ws(r);
        if (r->i >= r->n || r->p[r->i] != ':') { free(name); break; }
        r->i++;
      }
      if (!(kid = fj_value(r, depth + 1))) { free(name); break; }
      fj_add(x, name, name_len, kid);
      fj_ws(r);
      if (r->i >= r->n) break;
      if (r->p[r->i] == end) {
        r->i++;
        return x;
      }
      if (r->p[r->i] != ',') break;
      r->i++;
    }
    fj_free(x);
    return NULL;
  }
  if (c == '"') {
    size_t len;
    char *s = fj_string(r, &len);
    if (!s) return NULL;
    x = fj_new('s');
    x->str = s;
    x->len = len;
    return x;
  }
  if (c == '-' || (c >= '0' && c <= '9')) {
    const size_t from = r->i;
    if (c == '-') r->i++;
    if (r->i < r->n && r->p[r->i] == '0') r->i++;
    else if (!fj_digit(r)) return NULL;
    else while (fj_digit(r)) r->i++;
    if (r->i < r->n && r->p[r->i] == '.') {
      r->i++;
      if (!fj_digit(r)) return NULL;
      while (fj_digit(r)) r->i++;
    }
    if (r->i < r->n && (r->p[r->i] == 'e' || r->p[r->i] == 'E')) {
      r->i++;
      if (r->i < r->n && (r->p[r->i] == '+' || r->p[r->i] == '-')) r->i++;
      if (!fj_digit(r)) return NULL;
      while (fj_digit(r)) r->i++;
    }
    x = fj_new('n');
    x->len = r->i - from;
    x->str = (char *)malloc(x->len + 1);
    if (!x->str) abort();
    memcpy(x->str, r->p + from, x->len);
    x->str[x->len] = '\0';
    return x;
  }
  {
    static const char *const words[3] = {"true", "false", "null"};
    static const char types[3] = {'t', 'f', 'z'};
    int k;
    for (k = 0; k < 3; k++) {
      size_t len = strlen(words[k]);
      if (r->n - r->i >= len && memcmp(r->p + r->i, words[k], len) == 0) {
        r->i += len;
        return fj_new(types[k]);
      }
    }
  }
  return NULL;
}

/* The document (one value, whitespace around it), or NULL. */
static inline fj_node *fj_parse(const void *p, size_t n) {
  fj_reader r;
  fj_node *x;
  r.p = (const unsigned char *)p;
  r.n = n;
  r.i = 0;
  r.nonchar = 0;
  x = fj_value(&r, 0);
  if (!x) return NULL;
  x->nonchar = r.nonchar;
  fj_ws(&r);
  if (r.i != n) {
    fj_free(x);
    return NULL;
  }
  return x;
}

/* How deep the tree nests (a scalar: 0, [] or {}: 1). */
static inline int fj_depth(const fj_node *x) {
  int d = 0;
  size_t k;
  if (x->type != 'o' && x->type != 'a') return 0;
  for (k = 0; k < x->count; k++) {
    int e = fj_depth(x->kids[k]);
    if (e > d) d = e;
  }
  return d + 1;
}

/* 1 when some object in the tree names a member twice (decoded names). */
static inline int fj_has_duplicate(const fj_node *x) {
  size_t a, b;
  if (x->type == 'o')
    for (a = 0; a < x->count; a++)
      for (b = a + 1; b < x->count; b++)
        if (x->name_lens[a] == x->name_lens[b] &&
            memcmp(x->names[a], x->names[b], x->name_lens[a]) == 0)
          return 1;
  for (a = 0; a < x->count; a++)
    if (fj_has_duplicate(x->kids[a])) return 1;
  return 0;
}

/* 1 when some member name in the tree is spelled with an escape in more
   than 64 bytes (the reader documents that it refuses such a name). */
static inline int fj_has_long_escaped_name(const fj_node *x) {
  size_t k;
  if (x->escaped_name == 2) return 1;
  for (k = 0; k < x->count; k++)
    if (fj_has_long_escaped_name(x->kids[k])) return 1;
  return 0;
}

/* The member called name of object x; NULL when x is no object, the member
   is absent, or it is null (the library reads null as absent). */
static inline const fj_node *fj_get(const fj_node *x, const char *name) {
  size_t k, len = strlen(name);
  if (!x || x->type != 'o') return NULL;
  for (k = 0; k < x->count; k++)
    if (x->name_lens[k] == len && memcmp(x->names[k], name, len) == 0)
      return x->kids[k]->type == 'z' ? NULL : x->kids[k];
  return NULL;
}

/* ---- what a query's reader kept, against the tree (needs wxpay_close.h) ---- */

/* s is inside [lo, lo + n), and so is its NUL. */
static inline int fj_inside(const char *s, const char *lo, size_t n) {
  return s >= lo && s < lo + n && (size_t)(s - lo) + strlen(s) < n;
}

/* A string the library kept: "" when the tree has none (absent or null),
   else the tree's decoded string, kept inside the caller's buffer (an
   empty one may be the library's own ""). */
static inline void fj_check_str(const char *got, const fj_node *want, const char *lo, size_t n,
                         const char *what) {
  FZ_CHECK(got != NULL, what);
  if (!want) {
    FZ_CHECK(*got == '\0', what);
    return;
  }
  FZ_CHECK(want->type == 's', what);
  if (want->len) FZ_CHECK(fj_inside(got, lo, n), what); /* "" may be any "" */
  FZ_CHECK(strlen(got) == want->len && memcmp(got, want->str, want->len) == 0, what);
}

/* An amount: WXPAY_AMOUNT_ABSENT when the tree has none, else the integer
   the text spells (digits only, printed back the same). */
static inline void fj_check_amount(int64_t got, const fj_node *want, const char *what) {
  char text[32];
  size_t k;
  if (!want) {
    FZ_CHECK(got == WXPAY_AMOUNT_ABSENT, what);
    return;
  }
  FZ_CHECK(want->type == 'n' && want->len > 0, what);
  for (k = 0; k < want->len; k++) FZ_CHECK(want->str[k] >= '0' && want->str[k] <= '9', what);
  FZ_CHECK(got >= 0, what);
  snprintf(text, sizeof text, "%lld", (long long)got);
  FZ_CHECK(strcmp(text, want->str) == 0, what);
}

/* The trade states by name, written here (id order of WXPAY_TRADE_STATES). */
static inline wxpay_trade_state fj_state(const char *s) {
  static const char *const names[] = {"SUCCESS", "REFUND", "NOTPAY", "CLOSED", "REVOKED",
                                      "USERPAYING", "PAYERROR", "ACCEPT"};
  static const wxpay_trade_state ids[] = {WXPAY_TRADE_SUCCESS, WXPAY_TRADE_REFUND,
      WXPAY_TRADE_NOTPAY, WXPAY_TRADE_CLOSED, WXPAY_TRADE_REVOKED, WXPAY_TRADE_USERPAYING,
      WXPAY_TRADE_PAYERROR, WXPAY_TRADE_ACCEPT};
  size_t k;
  for (k = 0; k < sizeof ids / sizeof ids[0]; k++)
    if (strcmp(s, names[k]) == 0) return ids[k];
  return WXPAY_TRADE_UNKNOWN;
}

/* The members the reader must have found in a document it accepted, and
   what it kept of them: the list (v3 "sub_orders", v2 "order_list"), each
   sub-order's strings and amounts, the count. v3: the order's own members
   too; v2: "order_num" is the count, and a sub-order without a trade_state
   of its own has the order's (o->trade_state, from the XML). */
static inline void fj_check_order(const wxpay_order *o, const fj_node *doc, int v3, const char *lo,
                           size_t n) {
  const fj_node *list, *x;
  size_t k;
  FZ_CHECK(doc->type == 'o', "the document is an object");
  FZ_CHECK(fj_depth(doc) <= 16, "an accepted document nests 16 levels at most");
  FZ_CHECK(!fj_has_duplicate(doc), "an accepted document names no member twice");
  list = fj_get(doc, v3 ? "sub_orders" : "order_list");
  FZ_CHECK(list && list->type == 'a', "the list is there, an array");
  FZ_CHECK(o->sub_order_count == list->count, "sub_order_count is the list's length");
  FZ_CHECK(o->sub_order_count <= o->sub_order_cap, "no more than the room");
  if (v3) {
    const fj_node *scene = fj_get(doc, "scene_info"), *payer = fj_get(doc, "combine_payer_info");
    fj_check_str(o->combine_appid, fj_get(doc, "combine_appid"), lo, n, "combine_appid");
    fj_check_str(o->combine_mchid, fj_get(doc, "combine_mchid"), lo, n, "combine_mchid");
    fj_check_str(o->combine_out_trade_no, fj_get(doc, "combine_out_trade_no"), lo, n,
                 "combine_out_trade_no");
    FZ_CHECK(fj_get(doc, "combine_appid") && fj_get(doc, "combine_mchid") &&
             fj_get(doc, "combine_out_trade_no"), "the order's required members are there");
    FZ_CHECK(!scene || scene->type == 'o', "scene_info is an object");
    FZ_CHECK(!payer || payer->type == 'o', "combine_payer_info is an object");
    fj_check_str(o->device_info, fj_get(scene, "device_id"), lo, n, "scene_info.device_id");
    fj_check_str(o->combine_openid, fj_get(payer, "openid"), lo, n, "combine_payer_info.openid");
    FZ_CHECK(*o->trade_state == '\0' && *o->trade_state_desc == '\0', "APIv3 has no order state");
  } else {
    x = fj_get(doc, "order_num");
    FZ_CHECK(x != NULL, "order_num is there");
    fj_check_amount((int64_t)list->count, x, "order_num is the list's length");
  }
  for (k = 0; k < list->count; k++) {
    const fj_node *sub = list->kids[k], *amount, *ts;
    const wxpay_query_sub_order *s = &o->sub_orders[k];
    FZ_CHECK(sub->type == 'o', "each sub-order is an object");
    FZ_CHECK(fj_get(sub, "mchid") && fj_get(sub, "out_trade_no"), "mchid and out_trade_no are there");
    fj_check_str(s->mchid, fj_get(sub, "mchid"), lo, n, "sub-order mchid");
    fj_check_str(s->sub_mchid, fj_get(sub, "sub_mchid"), lo, n, "sub-order sub_mchid");
    fj_check_str(s->out_trade_no, fj_get(sub, "out_trade_no"), lo, n, "sub-order out_trade_no");
    fj_check_str(s->transaction_id, fj_get(sub, "transaction_id"), lo, n, "sub-order transaction_id");
    fj_check_str(s->trade_type, fj_get(sub, "trade_type"), lo, n, "sub-order trade_type");
    fj_check_str(s->success_time, fj_get(sub, "success_time"), lo, n, "sub-order success_time");
    fj_check_str(s->attach, fj_get(sub, "attach"), lo, n, "sub-order attach");
    ts = fj_get(sub, "trade_state");
    if (v3) {
      FZ_CHECK(ts != NULL, "an APIv3 sub-order has its trade_state");
      fj_check_str(s->trade_state, ts, lo, n, "sub-order trade_state");
    } else if (ts && ts->type == 's' && ts->len) {
      fj_check_str(s->trade_state, ts, lo, n, "sub-order trade_state");
    } else {
      FZ_CHECK(!ts || ts->type == 's', "trade_state is a string");
      FZ_CHECK(s->trade_state == o->trade_state, "an APIv2 sub-order has the order's state");
    }
    FZ_CHECK(s->state == fj_state(s->trade_state), "state is trade_state by name");
    amount = fj_get(sub, "amount");
    FZ_CHECK(!amount || amount->type == 'o', "amount is an object");
    fj_check_amount(s->total_amount, fj_get(amount, "total_amount"), "amount.total_amount");
    fj_check_amount(s->payer_amount, fj_get(amount, "payer_amount"), "amount.payer_amount");
    fj_check_str(s->currency, fj_get(amount, "currency"), lo, n, "amount.currency");
  }
}

/* After an error: nothing of the order is presented. */
static inline void fj_check_cleared(const wxpay_order *o, wxpay_err e) {
  FZ_CHECK(!*o->combine_appid && !*o->combine_mchid && !*o->combine_out_trade_no &&
           !*o->combine_openid && !*o->device_info && !*o->trade_state &&
           !*o->trade_state_desc && o->state == WXPAY_TRADE_UNKNOWN,
           "an error leaves the order cleared");
  if (e != WXPAY_ERR_BUFFER) FZ_CHECK(o->sub_order_count == 0, "an error lists no sub-order");
  else FZ_CHECK(o->sub_order_count > o->sub_order_cap, "BUFFER says how much room is needed");
}

/* ---- the other way: what the reader must accept (the README's rules) ---- */

/* A string member: a string, or null/absent. */
static inline int fj_str_or_absent(const fj_node *x, const char *name) {
  const fj_node *m = fj_get(x, name);
  return !m || m->type == 's';
}

/* An amount: digits only (no sign, fraction or exponent), at most 2^63 - 1. */
static inline int fj_amount_ok(const fj_node *m) {
  size_t k;
  if (m->type != 'n' || m->len > 19) return 0;
  for (k = 0; k < m->len; k++)
    if (m->str[k] < '0' || m->str[k] > '9') return 0;
  return m->len < 19 || strcmp(m->str, "9223372036854775807") <= 0;
}

static inline int fj_amount_or_absent(const fj_node *x, const char *name) {
  const fj_node *m = fj_get(x, name);
  return !m || fj_amount_ok(m);
}

/* An object member: an object, or null/absent. */
static inline int fj_obj_or_absent(const fj_node *x, const char *name) {
  const fj_node *m = fj_get(x, name);
  return !m || m->type == 'o';
}

/* 1 when the README's rules say the reader accepts doc (v3: an APIv3
   answer; else APIv2's sub_order_list): an object, at most 16 levels, no
   member named twice, no name with an escape longer than 64 bytes, no
   U+FFFE or U+FFFF however written (refused since F4), the
   known members of their kind, the
   required ones there, amounts whole fen, v2's order_num the list's
   length, and no more sub-orders than cap. */
static inline int fj_must_accept(const fj_node *doc, int v3, size_t cap) {
  static const char *const strs[] = {"sub_mchid", "trade_state", "transaction_id", "trade_type",
                                     "success_time", "attach"};
  const fj_node *list;
  size_t k, m;
  if (!doc || doc->type != 'o' || doc->nonchar || fj_depth(doc) > 16 || fj_has_duplicate(doc) ||
      fj_has_long_escaped_name(doc))
    return 0;
  list = fj_get(doc, v3 ? "sub_orders" : "order_list");
  if (!list || list->type != 'a' || list->count > cap) return 0;
  if (v3) {
    if (!fj_get(doc, "combine_appid") || !fj_get(doc, "combine_mchid") ||
        !fj_get(doc, "combine_out_trade_no") || !fj_str_or_absent(doc, "combine_appid") ||
        !fj_str_or_absent(doc, "combine_mchid") || !fj_str_or_absent(doc, "combine_out_trade_no") ||
        !fj_obj_or_absent(doc, "scene_info") || !fj_obj_or_absent(doc, "combine_payer_info") ||
        !fj_str_or_absent(fj_get(doc, "scene_info"), "device_id") ||
        !fj_str_or_absent(fj_get(doc, "combine_payer_info"), "openid"))
      return 0;
  } else {
    const fj_node *num = fj_get(doc, "order_num");
    char text[24];
    if (!num || !fj_amount_ok(num)) return 0;
    snprintf(text, sizeof text, "%lu", (unsigned long)list->count);
    if (strcmp(text, num->str) != 0) return 0;
  }
  for (k = 0; k < list->count; k++) {
    const fj_node *sub = list->kids[k], *amount;
    if (sub->type != 'o' || !fj_get(sub, "mchid") || !fj_get(sub, "out_trade_no") ||
        !fj_str_or_absent(sub, "mchid") || !fj_str_or_absent(sub, "out_trade_no") ||
        (v3 && !fj_get(sub, "trade_state")) || !fj_obj_or_absent(sub, "amount"))
      return 0;
    for (m = 0; m < sizeof strs / sizeof strs[0]; m++)
      if (!fj_str_or_absent(sub, strs[m])) return 0;
    amount = fj_get(sub, "amount");
    if (!fj_amount_or_absent(amount, "total_amount") || !fj_amount_or_absent(amount, "payer_amount") ||
        !fj_str_or_absent(amount, "currency"))
      return 0;
  }
  return 1;
}

#endif
