/* Contender 3: mbedTLS for the hash part alone, and SHA-256 throughput.

   "mbedtls"         one mbedtls_md_context_t keyed once (hmac_starts), then
                     mbedtls_md_hmac_reset + update + finish per MAC
   "mbedtls-oneshot" mbedtls_md_hmac() per MAC (sets up a context each time)
   SHA-256: mbedtls_sha256() (mbedtls_sha256_ret() before 3.0) */
#include <stdio.h>
#include <string.h>
#include <mbedtls/version.h>
#include <mbedtls/md.h>
#include <mbedtls/sha256.h>
#include "bench.h"

static mbedtls_md_context_t ctx;
static const mbedtls_md_info_t *info_sha256;
static const unsigned char *key;

static int setup(const char **why) {
  static int done;
  if (done) return 0;
  key = (const unsigned char *)BENCH_KEY;
  info_sha256 = mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);
  mbedtls_md_init(&ctx);
  if (!info_sha256 || mbedtls_md_setup(&ctx, info_sha256, 1) != 0 ||
      mbedtls_md_hmac_starts(&ctx, key, 32) != 0) {
    *why = "mbedtls_md_setup/hmac_starts failed";
    return 1;
  }
  done = 1;
  return 0;
}

static const char *info(void) { return "mbedTLS " MBEDTLS_VERSION_STRING; }

static int sup_reuse(int op) { return op >= OP_H_BUILD1 && op <= OP_SHA_16K; }
static int sup_oneshot(int op) { return op >= OP_H_BUILD1 && op <= OP_H_EXCHANGE; }

static int mac_reuse(int which, unsigned char m[32]) {
  return mbedtls_md_hmac_reset(&ctx) != 0 ||
         mbedtls_md_hmac_update(&ctx, (const unsigned char *)bench_sign_string[which],
                                bench_sign_string_len[which]) != 0 ||
         mbedtls_md_hmac_finish(&ctx, m) != 0;
}

static int mac_oneshot(int which, unsigned char m[32]) {
  return mbedtls_md_hmac(info_sha256, key, 32,
                         (const unsigned char *)bench_sign_string[which],
                         bench_sign_string_len[which], m) != 0;
}

static int sha(int op, unsigned char m[32]) {
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
  return mbedtls_sha256(bench_sha_data, bench_sha_len(op), m, 0) != 0;
#else
  return mbedtls_sha256_ret(bench_sha_data, bench_sha_len(op), m, 0) != 0;
#endif
}

static int run_reuse(int op, long n) { return bench_hash_run(mac_reuse, sha, op, n); }
static int run_oneshot(int op, long n) { return bench_hash_run(mac_oneshot, sha, op, n); }
static int check_reuse(int op, char *msg, size_t cap) {
  return bench_hash_check(mac_reuse, sha, op, msg, cap);
}
static int check_oneshot(int op, char *msg, size_t cap) {
  return bench_hash_check(mac_oneshot, sha, op, msg, cap);
}

const bench_contender mbedtls_c = {
    "mbedtls", "mbedTLS md_hmac (context keyed once, hmac_reset) / sha256",
    setup, sup_reuse, check_reuse, run_reuse, info};
const bench_contender mbedtls_oneshot_c = {
    "mbedtls-oneshot", "mbedTLS mbedtls_md_hmac() one-shot",
    setup, sup_oneshot, check_oneshot, run_oneshot, info};
