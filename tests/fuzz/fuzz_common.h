/* fuzz_common.h -- shared by the libFuzzer targets in tests/fuzz/.

   Include it after wxpay_close.h (with WXPAY_CLOSE_IMPLEMENTATION). It holds
   what the properties are checked against, written without the library's
   own sign-string, JSON or XML-writer code so that a bug there cannot hide
   itself:
     - fz_ref_sign(): the v2 signature (sorted non-empty fields but sign,
       "&key=", HMAC-SHA256 upper hex) from a plain name/value list; only the
       HMAC primitive is the library's (it has its own known-answer tests);
     - fz_xml(): an XML writer in several styles (entities, CDATA with "]]>"
       split, one character reference or CDATA section per character, and
       "noise": BOM, declaration, comments, CRLF, self-closing tags);
     - fz_walk(): the packed "name\0value\0...\0" list read by hand.
   A property that does not hold calls abort(), which libFuzzer reports as a
   crash and saves as an artifact. */
#ifndef FUZZ_COMMON_H
#define FUZZ_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_KEY "192006250b4c09247ec02edce69f6a2d"
#define FZ_APPID "wx8888888888888888"
#define FZ_MCHID "1900000109"

static inline void fz_fail(const char *what, const char *expr, int line) {
  fprintf(stderr, "PROPERTY VIOLATED (line %d): %s [%s]\n", line, what, expr);
  abort();
}
#define FZ_CHECK(cond, what) \
  do { if (!(cond)) fz_fail((what), #cond, __LINE__); } while (0)

/* An exact-size heap copy: ASan flags any byte read or written past it. */
static inline char *fz_dup(const void *p, size_t n) {
  char *b = (char *)malloc(n); /* malloc(0) too: any access is flagged */
  if (!b) b = (char *)malloc(1);
  if (!b) abort();
  if (n) memcpy(b, p, n);
  return b;
}

/* ---- a growable byte buffer ---- */
typedef struct fz_buf {
  char *p;
  size_t n, cap;
} fz_buf;

static inline void fz_put(fz_buf *b, const char *s, size_t n) {
  if (b->n + n + 1 > b->cap) {
    size_t c = b->cap ? b->cap : 256;
    while (c < b->n + n + 1) c *= 2;
    b->p = (char *)realloc(b->p, c);
    if (!b->p) abort();
    b->cap = c;
  }
  if (n) memcpy(b->p + b->n, s, n);
  b->n += n;
  b->p[b->n] = '\0';
}
static inline void fz_puts(fz_buf *b, const char *s) { fz_put(b, s, strlen(s)); }
static inline void fz_free(fz_buf *b) { free(b->p); b->p = NULL; b->n = b->cap = 0; }

/* ---- name/value lists ---- */
#define FZ_MAX_KV (WXPAY_MAX_FIELDS + 8)
typedef struct fz_kv {
  const char *name, *value;
} fz_kv;

static inline int fz_name_ok(const char *s) {
  size_t i;
  if (!*s) return 0;
  for (i = 0; s[i]; i++) {
    char c = s[i];
    int alpha = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
    int more = (c >= '0' && c <= '9') || c == '-' || c == '.';
    if (!(alpha || (i && more))) return 0;
  }
  return 1;
}

/* Valid UTF-8, XML characters only (no C0 controls but tab/LF/CR, no
   U+FFFE/U+FFFF, no surrogates, nothing past U+10FFFF, no overlongs). */
static inline int fz_text_ok(const char *s) {
  const unsigned char *p = (const unsigned char *)s;
  while (*p) {
    uint32_t c;
    size_t k, i;
    if (*p < 0x80) {
      if (*p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r') return 0;
      p++;
      continue;
    }
    if (*p >= 0xC2 && *p <= 0xDF) { k = 2; c = *p & 0x1Fu; }
    else if (*p >= 0xE0 && *p <= 0xEF) { k = 3; c = *p & 0x0Fu; }
    else if (*p >= 0xF0 && *p <= 0xF4) { k = 4; c = *p & 0x07u; }
    else return 0;
    for (i = 1; i < k; i++) {
      if ((p[i] & 0xC0) != 0x80) return 0;
      c = (c << 6) | (p[i] & 0x3Fu);
    }
    if ((k == 3 && c < 0x800) || (k == 4 && c < 0x10000) || c > 0x10FFFF ||
        (c >= 0xD800 && c <= 0xDFFF) || c == 0xFFFE || c == 0xFFFF)
      return 0;
    p += k;
  }
  return 1;
}

/* Reads the packed list by hand, checking its shape: every byte inside
   [lo, hi), names valid and unique, values valid XML text. Returns the count. */
static inline size_t fz_walk(const wxpay_fields *f, const char *lo, const char *hi,
                      fz_kv *kv, size_t max) {
  const char *p = f->data;
  size_t n = 0, j;
  const char *cur = NULL, *nn, *vv;
  FZ_CHECK(f->data != NULL, "fields.data is set");
  while (1) {
    if (lo) FZ_CHECK(p >= lo && p < hi, "packed list stays inside the body buffer");
    if (!*p) break;
    FZ_CHECK(n < max, "field count within WXPAY_MAX_FIELDS");
    kv[n].name = p;
    p += strlen(p) + 1;
    if (lo) FZ_CHECK(p < hi, "packed value starts inside the body buffer");
    kv[n].value = p;
    p += strlen(p) + 1;
    FZ_CHECK(fz_name_ok(kv[n].name), "field names are XML names");
    FZ_CHECK(fz_text_ok(kv[n].value), "field values are valid XML text");
    for (j = 0; j < n; j++)
      FZ_CHECK(strcmp(kv[j].name, kv[n].name) != 0, "field names are unique");
    n++;
  }
  FZ_CHECK(n == f->count, "fields.count matches the packed list");
  /* the public iterator and lookup agree with the hand walk */
  for (j = 0; j < n; j++) {
    FZ_CHECK(wxpay_fields_next(f, &cur, &nn, &vv) == 1, "iterator yields every field");
    FZ_CHECK(nn == kv[j].name && vv == kv[j].value, "iterator order is document order");
    FZ_CHECK(wxpay_fields_get(f, kv[j].name) == kv[j].value, "lookup finds the field");
  }
  FZ_CHECK(wxpay_fields_next(f, &cur, &nn, &vv) == 0, "iterator stops at the end");
  return n;
}

static inline const char *fz_get(const fz_kv *kv, size_t n, const char *name) {
  size_t i;
  for (i = 0; i < n; i++)
    if (strcmp(kv[i].name, name) == 0) return kv[i].value;
  return NULL;
}

static inline int fz_kv_equal(const fz_kv *a, size_t na, const fz_kv *b, size_t nb) {
  size_t i;
  if (na != nb) return 0;
  for (i = 0; i < na; i++)
    if (strcmp(a[i].name, b[i].name) != 0 || strcmp(a[i].value, b[i].value) != 0) return 0;
  return 1;
}

/* ---- the reference signature ---- */
static inline int fz_kv_cmp(const void *x, const void *y) {
  return strcmp(((const fz_kv *)x)->name, ((const fz_kv *)y)->name);
}

static inline void fz_hex(const unsigned char *in, size_t n, char *out) {
  static const char h[] = "0123456789ABCDEF";
  size_t i;
  for (i = 0; i < n; i++) {
    out[2 * i] = h[in[i] >> 4];
    out[2 * i + 1] = h[in[i] & 15];
  }
  out[2 * n] = '\0';
}

/* The string to sign (key as given: pass "***" for the masked form). */
static inline void fz_ref_sign_string(const fz_kv *kv, size_t n, const char *key, fz_buf *s) {
  fz_kv sorted[FZ_MAX_KV];
  size_t i, m = 0;
  for (i = 0; i < n && m < FZ_MAX_KV; i++)
    if (kv[i].value[0] && strcmp(kv[i].name, "sign") != 0) sorted[m++] = kv[i];
  qsort(sorted, m, sizeof sorted[0], fz_kv_cmp);
  s->n = 0;
  fz_put(s, "", 0);
  for (i = 0; i < m; i++) {
    fz_puts(s, sorted[i].name);
    fz_put(s, "=", 1);
    fz_puts(s, sorted[i].value);
    fz_put(s, "&", 1);
  }
  fz_put(s, "key=", 4);
  fz_puts(s, key);
}

static inline void fz_ref_sign(const fz_kv *kv, size_t n, const char *key, char out[65]) {
  fz_buf s = {NULL, 0, 0};
  unsigned char mac[32];
  fz_ref_sign_string(kv, n, key, &s);
  wxpay_hmac_sha256(key, strlen(key), s.p, s.n, mac);
  fz_hex(mac, 32, out);
  fz_free(&s);
}

/* ---- the reference XML writer ---- */
enum {
  FZ_XML_ENTITIES = 0, /* &lt; &gt; &amp; in plain text */
  FZ_XML_CDATA = 1,    /* every value in CDATA, "]]>" split */
  FZ_XML_PIECES = 2,   /* each character as text, a CDATA section, &#N; or &#xH; */
  FZ_XML_NOISE = 3,    /* BOM, declaration, comments, CRLF, self-closing tags */
  FZ_XML_STYLES = 4
};

static inline size_t fz_utf8_step(const unsigned char *p, uint32_t *cp) {
  if (p[0] < 0x80) { *cp = p[0]; return 1; }
  if (p[0] < 0xE0) { *cp = ((p[0] & 0x1Fu) << 6) | (p[1] & 0x3Fu); return 2; }
  if (p[0] < 0xF0) {
    *cp = ((p[0] & 0x0Fu) << 12) | ((p[1] & 0x3Fu) << 6) | (p[2] & 0x3Fu);
    return 3;
  }
  *cp = ((p[0] & 0x07u) << 18) | ((p[1] & 0x3Fu) << 12) | ((p[2] & 0x3Fu) << 6) |
        (p[3] & 0x3Fu);
  return 4;
}

static inline void fz_text_escaped(fz_buf *b, const char *s, size_t n) {
  size_t i;
  for (i = 0; i < n; i++) {
    if (s[i] == '<') fz_puts(b, "&lt;");
    else if (s[i] == '>') fz_puts(b, "&gt;");
    else if (s[i] == '&') fz_puts(b, "&amp;");
    else fz_put(b, s + i, 1);
  }
}

static inline void fz_cdata(fz_buf *b, const char *s) {
  const char *q;
  fz_puts(b, "<![CDATA[");
  while ((q = strstr(s, "]]>")) != NULL) {
    fz_put(b, s, (size_t)(q - s) + 2);
    fz_puts(b, "]]><![CDATA[");
    s = q + 2;
  }
  fz_puts(b, s);
  fz_puts(b, "]]>");
}

static inline void fz_value(fz_buf *b, const char *v, int style, unsigned salt) {
  if (style == FZ_XML_CDATA) { fz_cdata(b, v); return; }
  if (style == FZ_XML_PIECES) {
    const unsigned char *p = (const unsigned char *)v;
    unsigned k = salt;
    char tmp[24];
    while (*p) {
      uint32_t cp;
      size_t len = fz_utf8_step(p, &cp);
      switch (k++ % 4) {
        case 0: fz_text_escaped(b, (const char *)p, len); break;
        case 1:
          fz_puts(b, "<![CDATA[");
          fz_put(b, (const char *)p, len);
          fz_puts(b, "]]>");
          break;
        case 2: snprintf(tmp, sizeof tmp, "&#%lu;", (unsigned long)cp); fz_puts(b, tmp); break;
        default: snprintf(tmp, sizeof tmp, "&#x%lX;", (unsigned long)cp); fz_puts(b, tmp); break;
      }
      p += len;
    }
    return;
  }
  fz_text_escaped(b, v, strlen(v));
}

/* Writes <xml> with the fields in order, in the given style. */
static inline void fz_xml(fz_buf *b, const fz_kv *kv, size_t n, int style, unsigned salt) {
  size_t i;
  b->n = 0;
  fz_put(b, "", 0);
  if (style == FZ_XML_NOISE) {
    fz_puts(b, "\xEF\xBB\xBF<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n<!-- r -->\n<xml >\r\n");
  } else {
    fz_puts(b, "<xml>");
  }
  for (i = 0; i < n; i++) {
    if (style == FZ_XML_NOISE && (i + salt) % 3 == 0) fz_puts(b, " <!--c-->\t");
    fz_put(b, "<", 1);
    fz_puts(b, kv[i].name);
    if (style == FZ_XML_NOISE && !kv[i].value[0] && (i + salt) % 2) {
      fz_puts(b, " />\r\n");
      continue;
    }
    fz_put(b, ">", 1);
    if (style == FZ_XML_NOISE) {
      fz_value(b, kv[i].value, (int)((i + salt) % 3), salt);
      if ((i + salt) % 2) fz_puts(b, "<!---->");
    } else {
      fz_value(b, kv[i].value, style, salt + (unsigned)i);
    }
    fz_puts(b, "</");
    fz_puts(b, kv[i].name);
    fz_puts(b, style == FZ_XML_NOISE ? "\n>\n" : ">");
  }
  fz_puts(b, style == FZ_XML_NOISE ? "</xml\t>\r\n<!-- end -->\n" : "</xml>");
}

/* A stable salt from the input, so each input picks its styles. */
static inline unsigned fz_salt(const uint8_t *data, size_t size) {
  unsigned h = 2166136261u;
  size_t i;
  for (i = 0; i < size; i++) h = (h ^ data[i]) * 16777619u;
  return h;
}

static inline int fz_is_xml_err(wxpay_err e) {
  return e == WXPAY_ERR_XML || e == WXPAY_ERR_XML_FORBIDDEN || e == WXPAY_ERR_XML_NESTED ||
         e == WXPAY_ERR_XML_DUPLICATE || e == WXPAY_ERR_XML_LIMIT || e == WXPAY_ERR_UTF8;
}

static inline void fz_client(wxpay_client *cli, int init) {
  memset(cli, 0, sizeof *cli);
  cli->api_key = FZ_KEY;
  if (init && wxpay_client_init(cli) != WXPAY_OK) abort();
}

#endif
