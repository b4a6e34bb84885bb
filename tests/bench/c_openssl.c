/* OpenSSL for the hash part alone (HMAC over the exact strings the four
   operations sign) and for SHA-256 throughput.

   "openssl"         one EVP_MAC_CTX keyed once, EVP_MAC_init(ctx, NULL, ...)
                     per MAC; SHA-256 through one EVP_MD_CTX and a fetched
                     EVP_MD (the fastest EVP use)
   "openssl-oneshot" HMAC(EVP_sha256(), key, ...) per MAC, as most code does */
#include <stdio.h>
#include <string.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/params.h>
#include <openssl/crypto.h>
#include "bench.h"

static EVP_MAC_CTX *mac_ctx;
static EVP_MD *md;
static EVP_MD_CTX *md_ctx;
static const char *key;

static int setup(const char **why) {
  EVP_MAC *mac;
  OSSL_PARAM params[2];
  static char digest[] = "SHA256";
  if (mac_ctx) return 0;
  key = BENCH_KEY;
  mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
  if (!mac) { *why = "EVP_MAC_fetch(HMAC) failed"; return 1; }
  mac_ctx = EVP_MAC_CTX_new(mac);
  EVP_MAC_free(mac);
  params[0] = OSSL_PARAM_construct_utf8_string("digest", digest, 0);
  params[1] = OSSL_PARAM_construct_end();
  if (!mac_ctx || !EVP_MAC_init(mac_ctx, (const unsigned char *)key, 32, params)) {
    *why = "EVP_MAC_init failed";
    return 1;
  }
  md = EVP_MD_fetch(NULL, "SHA256", NULL);
  md_ctx = EVP_MD_CTX_new();
  if (!md || !md_ctx) { *why = "EVP_MD_fetch(SHA256) failed"; return 1; }
  return 0;
}

static const char *info(void) { return OpenSSL_version(OPENSSL_VERSION); }

static int sup_reuse(int op) { return op >= OP_H_BUILD1 && op <= OP_SHA_16K; }
static int sup_oneshot(int op) { return op >= OP_H_BUILD1 && op <= OP_H_EXCHANGE; }

static int mac_reuse(int which, unsigned char m[32]) {
  size_t ml = 0;
  return !EVP_MAC_init(mac_ctx, NULL, 0, NULL) ||
         !EVP_MAC_update(mac_ctx, (const unsigned char *)bench_sign_string[which],
                         bench_sign_string_len[which]) ||
         !EVP_MAC_final(mac_ctx, m, &ml, 32) || ml != 32;
}

static int mac_oneshot(int which, unsigned char m[32]) {
  unsigned ml = 0;
  return !HMAC(EVP_sha256(), key, 32, (const unsigned char *)bench_sign_string[which],
               bench_sign_string_len[which], m, &ml) || ml != 32;
}

static int sha(int op, unsigned char m[32]) {
  unsigned ml = 0;
  return !EVP_DigestInit_ex(md_ctx, md, NULL) ||
         !EVP_DigestUpdate(md_ctx, bench_sha_data, bench_sha_len(op)) ||
         !EVP_DigestFinal_ex(md_ctx, m, &ml) || ml != 32;
}

static int run_reuse(int op, long n) { return bench_hash_run(mac_reuse, sha, op, n); }
static int run_oneshot(int op, long n) { return bench_hash_run(mac_oneshot, sha, op, n); }
static int check_reuse(int op, char *msg, size_t cap) {
  return bench_hash_check(mac_reuse, sha, op, msg, cap);
}
static int check_oneshot(int op, char *msg, size_t cap) {
  return bench_hash_check(mac_oneshot, sha, op, msg, cap);
}

const bench_contender openssl_c = {
    "openssl", "OpenSSL EVP_MAC (context keyed once) / EVP_Digest",
    setup, sup_reuse, check_reuse, run_reuse, info};
const bench_contender openssl_oneshot_c = {
    "openssl-oneshot", "OpenSSL HMAC() one-shot",
    setup, sup_oneshot, check_oneshot, run_oneshot, info};
