/* compile_all.c -- every adapter in one translation unit, for the compiler
   matrix in run.sh. -DHEADERS_ONLY: only the public parts, in strict C99
   without any POSIX feature macro (what a user's ordinary file sees).
   -DHAVE_CURL / -DHAVE_MBEDTLS / -DHAVE_OPENSSL add those adapters. */
#ifndef HEADERS_ONLY
#define _POSIX_C_SOURCE 200809L
#define WXPAY_HTTP_IMPLEMENTATION
#define WXPAY_CURL_IMPLEMENTATION
#define WXPAY_MBEDTLS_IMPLEMENTATION
#define WXPAY_OPENSSL_IMPLEMENTATION
#endif
#include "wxpay_close.h"
#include "adapters/wxpay_http.h"
#ifdef HAVE_CURL
#include "adapters/wxpay_curl.h"
#endif
#ifdef HAVE_MBEDTLS
#include "adapters/wxpay_mbedtls.h"
#endif
#ifdef HAVE_OPENSSL
#include "adapters/wxpay_openssl.h"
#endif

int wxpay_compile_all_anchor(void);
int wxpay_compile_all_anchor(void) {
  wxpay_stream s;
  int n = (int)sizeof(wxpay_url);
  /* the APIv3 RSA callbacks have exactly the header's types */
#ifdef HAVE_MBEDTLS
  wxpay_v3_sign_fn mbedtls_sign = wxpay_mbedtls_sign;
  wxpay_v3_verify_fn mbedtls_verify = wxpay_mbedtls_verify;
  n += mbedtls_sign != 0 && mbedtls_verify != 0;
#endif
#ifdef HAVE_OPENSSL
  {
    wxpay_v3_sign_fn openssl_sign = wxpay_openssl_sign;
    wxpay_v3_verify_fn openssl_verify = wxpay_openssl_verify;
    n += openssl_sign != 0 && openssl_verify != 0;
  }
#endif
  (void)s;
  return n;
}
