/* v3_driver.c -- one APIv3 close, wxpay_v3_close(), end to end through a
   transport adapter and an RSA adapter, with the result on one line of
   key=value words for run.sh.

   Built once per pairing:
     -DV3_CURL     libcurl transport (wxpay_curl.h) + OpenSSL signer and
                   verifier (wxpay_openssl.h)       -lcurl -lcrypto
     -DV3_MBEDTLS  mbedTLS transport and mbedTLS signer and verifier (both
                   from wxpay_mbedtls.h)            -lmbedtls -lmbedx509 -lmbedcrypto

   v3_driver --certs DIR --ca FILE --order NO [--prefix P] [--pubkey]
             [--attempts N] HOST
     DIR       what tests/emulator/mkcerts.sh made: merchant.key (signs),
               merchant.serial (client.serial_no), platform.pem (verifies);
               with --pubkey, platform_pub.pem instead, under the id in
               platform.serial (WeChat Pay's "platform public key" mode)
     --order   combine_out_trade_no NO, one sub-order 1900009001/OD_<NO>
     --prefix  an emulator misbehaviour prefix (/v3nosign, ...) appended to
               HOST: the library sends and signs it before the API path, as
               it would a gateway's path
     HOST      client.v3_host, e.g. https://localhost:PORT
   prints  err=.. outcome=.. http=.. verified=.. code=.. attempts=.. request_id_len=..
*/
#define _POSIX_C_SOURCE 200809L
#define WXPAY_CLOSE_IMPLEMENTATION
#include "wxpay_close.h"
#if defined(V3_CURL)
#define WXPAY_CURL_IMPLEMENTATION
#include "adapters/wxpay_curl.h"
#define WXPAY_OPENSSL_IMPLEMENTATION
#include "adapters/wxpay_openssl.h"
typedef wxpay_openssl_rsa rsa_t;
#define F(name) wxpay_openssl_##name
#elif defined(V3_MBEDTLS)
#define WXPAY_HTTP_IMPLEMENTATION
#define WXPAY_MBEDTLS_IMPLEMENTATION
#include "adapters/wxpay_mbedtls.h"
typedef wxpay_mbedtls_rsa rsa_t;
#define F(name) wxpay_mbedtls_##name
#else
#error "define V3_CURL or V3_MBEDTLS"
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TEST_APPID "wx8888888888888888"
#define TEST_MCH "1900000109"

static void usage(void) {
  fprintf(stderr, "usage: v3_driver --certs DIR --ca FILE --order NO [--prefix P] "
                  "[--pubkey] [--attempts N] HOST\n");
  exit(2);
}

static char *read_line(const char *dir, const char *file) {
  static char buf[2][128];
  static int i;
  char p[1024];
  FILE *f;
  size_t n;
  i ^= 1;
  snprintf(p, sizeof p, "%s/%s", dir, file);
  f = fopen(p, "r");
  if (!f) return NULL;
  n = fread(buf[i], 1, sizeof buf[i] - 1, f);
  fclose(f);
  while (n > 0 && (buf[i][n - 1] == '\n' || buf[i][n - 1] == '\r')) n--;
  buf[i][n] = '\0';
  return buf[i];
}

int main(int argc, char **argv) {
  static char work[WXPAY_V3_WORK_SIZE];
  const char *certs = NULL, *ca = NULL, *order = NULL, *prefix = NULL, *host = NULL;
  char path[1024], url[512], sub_no[64];
  int i, pubkey = 0, attempts = 1, rc;
  rsa_t rsa;
  wxpay_client cli;
  wxpay_v3_close_req req;
  wxpay_v3_close_resp resp;
  wxpay_v3_sub_order sub;
  wxpay_err e;
  const char *serial, *pserial;
#if defined(V3_CURL)
  wxpay_curl http;
#else
  wxpay_mbedtls http;
#endif

  for (i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--certs") == 0 && i + 1 < argc) certs = argv[++i];
    else if (strcmp(argv[i], "--ca") == 0 && i + 1 < argc) ca = argv[++i];
    else if (strcmp(argv[i], "--order") == 0 && i + 1 < argc) order = argv[++i];
    else if (strcmp(argv[i], "--prefix") == 0 && i + 1 < argc) prefix = argv[++i];
    else if (strcmp(argv[i], "--attempts") == 0 && i + 1 < argc) attempts = atoi(argv[++i]);
    else if (strcmp(argv[i], "--pubkey") == 0) pubkey = 1;
    else if (argv[i][0] == '-') usage();
    else host = argv[i];
  }
  if (!certs || !ca || !order || !host) usage();

  F(rsa_init)(&rsa);
  snprintf(path, sizeof path, "%s/merchant.key", certs);
  rc = F(load_private_key_file)(&rsa, path);
  if (rc != 0) {
    printf("err=SETUP why=merchant.key:%d\n", rc);
    return 1;
  }
  pserial = read_line(certs, "platform.serial");
  if (pubkey) {
    snprintf(path, sizeof path, "%s/platform_pub.pem", certs);
    rc = pserial ? F(add_platform_public_key_file)(&rsa, pserial, path) : -99;
  } else {
    snprintf(path, sizeof path, "%s/platform.pem", certs);
    rc = F(add_platform_cert_file)(&rsa, path);
  }
  serial = read_line(certs, "merchant.serial");
  if (rc != 0 || !serial) {
    printf("err=SETUP why=platform:%d\n", rc);
    return 1;
  }

  memset(&http, 0, sizeof http);
  http.ca_file = ca;
  memset(&cli, 0, sizeof cli);
  cli.mchid = TEST_MCH;
  cli.serial_no = serial;
#if defined(V3_CURL)
  cli.transport = wxpay_curl_transport;
#else
  cli.transport = wxpay_mbedtls_transport;
#endif
  cli.transport_user = &http;
  cli.v3_sign = F(sign);
  cli.v3_sign_user = &rsa;
  snprintf(url, sizeof url, "%s%s", host, prefix ? prefix : "");
  cli.v3_host = url; /* a path in it is sent and signed */
  cli.v3_verify = F(verify);
  cli.v3_verify_user = &rsa;
  cli.attempts = attempts;
  cli.timeout_ms = 8000;

  snprintf(sub_no, sizeof sub_no, "OD_%s", order);
  memset(&sub, 0, sizeof sub);
  sub.mchid = "1900009001";
  sub.out_trade_no = sub_no;
  memset(&req, 0, sizeof req);
  req.combine_appid = TEST_APPID;
  req.combine_out_trade_no = order;
  req.sub_orders = &sub;
  req.sub_order_count = 1;

  e = wxpay_v3_close(&cli, &req, &resp, work, sizeof work);
  printf("err=%s outcome=%s http=%d verified=%d code=%s attempts=%d net=%s "
         "request_id_len=%zu\n",
         wxpay_err_name(e), wxpay_outcome_name(resp.outcome), resp.http_status, resp.verified,
         *resp.code ? resp.code : "-", resp.attempts, wxpay_net_name(resp.net),
         strlen(resp.request_id));
#if defined(V3_CURL)
  wxpay_curl_free(&http);
#else
  wxpay_mbedtls_free(&http);
#endif
  F(rsa_free)(&rsa);
  return 0;
}
