/* text.c -- printing what came from the network, safely, and sentences cut
   on a character boundary.

   Whatever a server sends (a Request-ID header is not even signed), every
   line the tool prints is valid UTF-8 and a --json line parses. Human output
   shows as escapes what could move the cursor, retitle the terminal or
   reorder the line: C0 controls and DEL (\xNN, \n \r \t), C1 controls, the
   bidirectional embeddings, overrides and isolates U+202A..U+202E and
   U+2066..U+2069 (the "Trojan Source" set, CVE-2021-42574) and U+2028/2029
   (\uXXXX); a byte that is not part of a UTF-8 character is shown as \xNN.
   JSON escapes the same characters as \uXXXX (the value read back is the
   same) and turns such a byte into U+FFFD. */
#include "cli.h"

#include <stdarg.h>
#include <string.h>

/* The length (1 to 4) of the UTF-8 character at s[0..n) and its code point
   in *cp; 0 when s does not start with one (overlong forms, surrogates and
   values past U+10FFFF are not characters). */
static size_t utf8_char(const unsigned char *s, size_t n, unsigned long *cp) {
  size_t len, k;
  unsigned long c;
  if (n == 0) return 0;
  if (s[0] < 0x80) { *cp = s[0]; return 1; }
  if (s[0] >= 0xC2 && s[0] <= 0xDF) { len = 2; c = s[0] & 0x1Fu; }
  else if (s[0] >= 0xE0 && s[0] <= 0xEF) { len = 3; c = s[0] & 0x0Fu; }
  else if (s[0] >= 0xF0 && s[0] <= 0xF4) { len = 4; c = s[0] & 0x07u; }
  else return 0;
  if (n < len) return 0;
  for (k = 1; k < len; k++) {
    if ((s[k] & 0xC0) != 0x80) return 0;
    c = c << 6 | (s[k] & 0x3Fu);
  }
  if ((len == 3 && (c < 0x800 || (c >= 0xD800 && c <= 0xDFFF))) ||
      (len == 4 && (c < 0x10000 || c > 0x10FFFF)))
    return 0;
  *cp = c;
  return len;
}

/* 1 for the characters shown escaped: controls, and the invisible ones
   that reorder or break a line. */
static int hidden_char(unsigned long c) {
  return c < 0x20 || (c >= 0x7F && c <= 0x9F) || (c >= 0x202A && c <= 0x202E) ||
         (c >= 0x2066 && c <= 0x2069) || c == 0x2028 || c == 0x2029;
}

/* Human output (stdout or stderr): s[0..n) with the characters above
   escaped. */
void put_safe_n(FILE *f, const char *s, size_t n) {
  const unsigned char *p = (const unsigned char *)s, *end = p + n;
  while (p < end) {
    unsigned long c;
    size_t len = utf8_char(p, (size_t)(end - p), &c);
    if (len == 0) fprintf(f, "\\x%02X", (unsigned)*p++);
    else if (c == '\n') fputs("\\n", f);
    else if (c == '\r') fputs("\\r", f);
    else if (c == '\t') fputs("\\t", f);
    else if (c < 0x20 || c == 0x7F) fprintf(f, "\\x%02X", (unsigned)c);
    else if (hidden_char(c)) fprintf(f, "\\u%04lX", c);
    else fwrite(p, 1, len, f);
    p += len;
  }
}

void put_safe(FILE *f, const char *s) { put_safe_n(f, s, strlen(s)); }

/* A JSON string: quotes, backslashes and the characters above escaped; a
   byte that is not UTF-8 becomes U+FFFD. */
void put_json_str(FILE *f, const char *s) {
  const unsigned char *p = (const unsigned char *)s, *end = p + strlen(s);
  fputc('"', f);
  while (p < end) {
    unsigned long c;
    size_t len = utf8_char(p, (size_t)(end - p), &c);
    if (len == 0) {
      fputs("\\ufffd", f);
      p++;
      continue;
    }
    switch (c) {
    case '"': fputs("\\\"", f); break;
    case '\\': fputs("\\\\", f); break;
    case '\n': fputs("\\n", f); break;
    case '\r': fputs("\\r", f); break;
    case '\t': fputs("\\t", f); break;
    case '\b': fputs("\\b", f); break;
    case '\f': fputs("\\f", f); break;
    default:
      if (hidden_char(c)) fprintf(f, "\\u%04lx", c);
      else fwrite(p, 1, len, f);
    }
    p += len;
  }
  fputc('"', f);
}

void put_json_str_or_null(FILE *f, const char *s) {
  if (s) put_json_str(f, s);
  else fputs("null", f);
}

/* After snprintf(out, cap, ...) returned needed: when the text did not fit,
   it is cut at a character boundary and ends with an ellipsis, so a long
   reason from the server (CJK text is 3 bytes a character) is never split
   inside a character. */
void fit_text(char *out, size_t cap, int needed) {
  static const char ellipsis[] = "\xE2\x80\xA6"; /* U+2026 */
  size_t end;
  if (needed < 0) { /* an encoding error: say nothing rather than half */
    if (cap) out[0] = '\0';
    return;
  }
  if ((size_t)needed < cap || cap < sizeof ellipsis) return;
  end = cap - sizeof ellipsis; /* room for the ellipsis and the NUL */
  while (end > 0 && ((unsigned char)out[end] & 0xC0) == 0x80) end--;
  memcpy(out + end, ellipsis, sizeof ellipsis);
}

/* snprintf() into out[0..cap), cut as fit_text() says. */
void say(char *out, size_t cap, const char *fmt, ...) {
  va_list ap;
  int needed;
  va_start(ap, fmt);
  needed = vsnprintf(out, cap, fmt, ap);
  va_end(ap);
  fit_text(out, cap, needed);
}

