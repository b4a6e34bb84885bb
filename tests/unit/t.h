/* A tiny test harness: RUN(fn) prints "PASS fn" or "FAIL fn: where: what". */
#ifndef T_H
#define T_H
#include <stdio.h>
#include <string.h>

#ifndef T_SUFFIX
#define T_SUFFIX "" /* names a variant build, e.g. "[sha-hw]" */
#endif

static int t_failed, t_total_failed;
static const char *t_name;

#define CHECK(c)                                                              \
  do {                                                                        \
    if (!(c)) {                                                               \
      if (!t_failed) printf("FAIL %s" T_SUFFIX ": %s:%d: %s\n", t_name, __FILE__, __LINE__, #c); \
      t_failed = 1;                                                           \
    }                                                                         \
  } while (0)

#define CHECK_ERR(expr, want)                                                 \
  do {                                                                        \
    wxpay_err t_got = (expr);                                                 \
    if (t_got != (want)) {                                                    \
      if (!t_failed)                                                          \
        printf("FAIL %s" T_SUFFIX ": %s:%d: %s gave %s, want %s\n", t_name, __FILE__,     \
               __LINE__, #expr, wxpay_err_name(t_got), wxpay_err_name(want)); \
      t_failed = 1;                                                           \
    }                                                                         \
  } while (0)

#define RUN(fn)                                       \
  do {                                                \
    t_name = #fn;                                     \
    t_failed = 0;                                     \
    fn();                                             \
    if (!t_failed) printf("PASS %s" T_SUFFIX "\n", #fn);          \
    t_total_failed += t_failed;                       \
  } while (0)

static void t_hex(const unsigned char *b, size_t n, char *out) {
  static const char h[] = "0123456789abcdef";
  size_t i;
  for (i = 0; i < n; i++) { out[2 * i] = h[b[i] >> 4]; out[2 * i + 1] = h[b[i] & 15]; }
  out[2 * n] = 0;
}
#endif
