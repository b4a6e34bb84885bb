/* compile_all.c -- every adapter in one translation unit, for the compiler
   matrix in run.sh. -DHEADERS_ONLY: only the public parts, in strict C99
   without any POSIX feature macro (what a user's ordinary file sees).
   -DHAVE_CURL / -DHAVE_MBEDTLS add those adapters. */
#ifndef HEADERS_ONLY
#define _POSIX_C_SOURCE 200809L
#define WXPAY_HTTP_IMPLEMENTATION
#define WXPAY_CURL_IMPLEMENTATION
#define WXPAY_MBEDTLS_IMPLEMENTATION
#endif
#include "wxpay_close.h"
#include "adapters/wxpay_http.h"
#ifdef HAVE_CURL
#include "adapters/wxpay_curl.h"
#endif
#ifdef HAVE_MBEDTLS
#include "adapters/wxpay_mbedtls.h"
#endif

int wxpay_compile_all_anchor(void);
int wxpay_compile_all_anchor(void) {
  wxpay_stream s;
  (void)s;
  return (int)sizeof(wxpay_url);
}
