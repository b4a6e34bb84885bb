/* implementations.c -- wxpay_close.h and the adapters the build found,
   compiled here once; the tool's other files include their declarations
   only (cli.h), with the same options. */
#define WXPAY_CLOSE_IMPLEMENTATION
#define WXPAY_HTTP_IMPLEMENTATION
#ifdef WXPAY_CLI_HAVE_CURL
#define WXPAY_CURL_IMPLEMENTATION
#endif
#ifdef WXPAY_CLI_HAVE_MBEDTLS
#define WXPAY_MBEDTLS_IMPLEMENTATION
#endif
#ifdef WXPAY_CLI_HAVE_OPENSSL
#define WXPAY_OPENSSL_IMPLEMENTATION
#endif
#include "cli.h"
