/* rsa_test.c -- the APIv3 RSA signer and verifier of one adapter, against
   keys and signatures made by the openssl command (tests/adapters/mkrsa.sh).
   Built once per adapter: -DRSA_OPENSSL (adapters/wxpay_openssl.h, -lcrypto)
   or -DRSA_MBEDTLS (adapters/wxpay_mbedtls.h under WXPAY_MBEDTLS_NO_TRANSPORT,
   -lmbedx509 -lmbedcrypto: the RSA part alone).

   rsa_test DIR           prints PASS/FAIL lines (tests/CONVENTIONS.md) and
                          writes DIR/sig_<adapter>.bin (msg.txt signed with
                          merchant.key) and DIR/sig_<adapter>_4096.bin (with
                          big.key) for run.sh to check with the openssl command
                          and to compare between the adapters
   rsa_test --bench DIR   prints "info:" lines: time per sign and verify

   SHA-256 digests come from the openssl command too (msg.sha256): this
   program computes none itself. */
#if defined(RSA_OPENSSL)
#define WXPAY_OPENSSL_IMPLEMENTATION
#include "adapters/wxpay_openssl.h"
#include <openssl/err.h>
#define ADAPTER "openssl"
typedef wxpay_openssl_rsa rsa_t;
#define F(name) wxpay_openssl_##name
#elif defined(RSA_MBEDTLS)
#define WXPAY_MBEDTLS_NO_TRANSPORT
#define WXPAY_MBEDTLS_IMPLEMENTATION
#include "adapters/wxpay_mbedtls.h"
#define ADAPTER "mbedtls"
typedef wxpay_mbedtls_rsa rsa_t;
#define F(name) wxpay_mbedtls_##name
#else
#error "define RSA_OPENSSL or RSA_MBEDTLS"
#endif

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* the callbacks have exactly the header's types */
static const wxpay_v3_sign_fn sign_fn = F(sign);
static const wxpay_v3_verify_fn verify_fn = F(verify);

static const char *dir;
static int failures;

static void result(const char *name, int ok, const char *fmt, ...) {
  va_list ap;
  if (ok) {
    printf("PASS %s_%s\n", ADAPTER, name);
    return;
  }
  printf("FAIL %s_%s: ", ADAPTER, name);
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  printf("\n");
  failures++;
}

static const char *path(const char *file) {
  static char buf[4][1024];
  static int i;
  i = (i + 1) % 4;
  snprintf(buf[i], sizeof buf[i], "%s/%s", dir, file);
  return buf[i];
}

/* the whole file in an exact-size heap block (no NUL after it) */
static unsigned char *slurp(const char *file, size_t *len) {
  FILE *f = fopen(path(file), "rb");
  unsigned char *buf;
  long n;
  *len = 0;
  if (!f) return NULL;
  if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
    fclose(f);
    return NULL;
  }
  buf = (unsigned char *)malloc((size_t)n + 1);
  if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
    free(buf);
    buf = NULL;
  }
  fclose(f);
  if (buf) *len = (size_t)n;
  return buf;
}

static int spill(const char *file, const unsigned char *data, size_t len) {
  FILE *f = fopen(path(file), "wb");
  int ok;
  if (!f) return 0;
  ok = fwrite(data, 1, len, f) == len;
  return fclose(f) == 0 && ok;
}

static char *text(const char *file) { /* trimmed, NUL-terminated */
  size_t n;
  char *s = (char *)slurp(file, &n);
  if (!s) return NULL;
  while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r')) n--;
  s[n] = '\0';
  return s;
}

static void lower(char *s) {
  for (; *s; s++)
    if (*s >= 'A' && *s <= 'Z') *s = (char)(*s - 'A' + 'a');
}

#if defined(RSA_MBEDTLS)
static unsigned long rng_calls;
static int counting_rng(void *p, unsigned char *out, size_t len) {
  unsigned long *state = (unsigned long *)p;
  size_t i;
  rng_calls++;
  for (i = 0; i < len; i++) {
    *state = *state * 6364136223846793005ul + 1442695040888963407ul;
    out[i] = (unsigned char)(*state >> 33);
  }
  return 0;
}
#endif

static int all_zero(const void *p, size_t n) {
  const unsigned char *b = (const unsigned char *)p;
  size_t i;
  for (i = 0; i < n; i++)
    if (b[i]) return 0;
  return 1;
}

#define PUB_ID "PUB_KEY_ID_0114232134912410000000000000"

static unsigned char digest[32], digest2[32];
static unsigned char msg[4096];
static size_t msg_len;

static int load_inputs(void) {
  size_t n;
  unsigned char *d = slurp("msg.sha256", &n);
  unsigned char *m;
  if (!d || n != 32) return 0;
  memcpy(digest, d, 32);
  free(d);
  d = slurp("msg2.sha256", &n);
  if (!d || n != 32) return 0;
  memcpy(digest2, d, 32);
  free(d);
  m = slurp("msg.txt", &n);
  if (!m || n > sizeof msg) return 0;
  memcpy(msg, m, n);
  msg_len = n;
  free(m);
  return 1;
}

/* ---- signing ---- */

static void test_sign(void) {
  rsa_t r, r1, z;
  unsigned char sig[WXPAY_V3_SIG_MAX], sig2[WXPAY_V3_SIG_MAX];
  size_t len = 0, len2 = 0, n;
  unsigned char *pem, *cmd;
  int rc;

  F(rsa_init)(&r);
  rc = F(load_private_key_file)(&r, path("merchant.key"));
  result("loads_pkcs8_private_key_file", rc == 0, "rc=%d (%s)", rc, F(rsa_strerror)(rc));
  rc = sign_fn(&r, msg, msg_len, digest, sig, sizeof sig, &len);
  result("signs_with_2048_bit_key_into_256_bytes", rc == 0 && len == 256,
         "rc=%d len=%zu", rc, len);
  if (!spill("sig_" ADAPTER ".bin", sig, len)) result("writes_signature", 0, "cannot write");
  cmd = slurp("sig_cmd.bin", &n);
  result("signature_equals_openssl_command_bytes",
         cmd && n == len && memcmp(cmd, sig, len) == 0, "differs (%zu bytes)", n);
  free(cmd);

  rc = sign_fn(&r, msg, msg_len, NULL, sig2, sizeof sig2, &len2);
  result("sign_without_digest_hashes_the_message",
         rc == 0 && len2 == len && memcmp(sig, sig2, len) == 0, "rc=%d len=%zu", rc, len2);

  len2 = 99;
  rc = sign_fn(&r, msg, msg_len, digest, sig2, 255, &len2);
  result("sign_refuses_a_buffer_smaller_than_the_modulus",
         rc == WXPAY_RSA_ERR_BUFFER && len2 == 0, "rc=%d len=%zu", rc, len2);
  rc = sign_fn(&r, msg, msg_len, digest, NULL, sizeof sig2, &len2);
  result("sign_refuses_null_output", rc == WXPAY_RSA_ERR_ARG, "rc=%d", rc);
  rc = sign_fn(NULL, msg, msg_len, digest, sig2, sizeof sig2, &len2);
  result("sign_refuses_null_user", rc == WXPAY_RSA_ERR_ARG, "rc=%d", rc);

  F(rsa_init)(&r1);
  len2 = 99;
  rc = sign_fn(&r1, msg, msg_len, digest, sig2, sizeof sig2, &len2);
  result("sign_without_a_private_key_fails", rc == WXPAY_RSA_ERR_NO_KEY && len2 == 0,
         "rc=%d", rc);
  rc = F(load_private_key_file)(&r1, path("merchant_rsa.key"));
  len2 = 0;
  if (rc == 0) rc = sign_fn(&r1, msg, msg_len, digest, sig2, sizeof sig2, &len2);
  result("pkcs1_private_key_gives_the_same_signature",
         rc == 0 && len2 == len && memcmp(sig, sig2, len) == 0, "rc=%d", rc);
  F(rsa_free)(&r1);

  /* in memory: an exact-size block with no NUL after the text, the text
     with its NUL counted, and a NUL-terminated string (pem_len 0) */
  pem = slurp("merchant.key", &n);
  {
    unsigned char *exact = (unsigned char *)malloc(n);
    int a = -99, b = -99, c = -99;
    if (exact && pem) {
      memcpy(exact, pem, n);
      F(rsa_init)(&r1);
      a = F(load_private_key)(&r1, (const char *)exact, n);
      pem[n] = '\0';
      b = F(load_private_key)(&r1, (const char *)pem, n + 1);
      c = F(load_private_key)(&r1, (const char *)pem, 0);
      len2 = 0;
      if (c == 0) (void)sign_fn(&r1, msg, msg_len, digest, sig2, sizeof sig2, &len2);
      F(rsa_free)(&r1);
    }
    result("in_memory_pem_loads_unterminated_with_nul_counted_and_nul_terminated",
           a == 0 && b == 0 && c == 0 && len2 == len && memcmp(sig, sig2, len) == 0,
           "exact=%d counted=%d terminated=%d", a, b, c);
    free(exact);
  }
  free(pem);

  /* 4096 bits: the largest accepted; 512 bytes = WXPAY_V3_SIG_MAX */
  F(rsa_init)(&r1);
  rc = F(load_private_key_file)(&r1, path("big.key"));
  len2 = 0;
  if (rc == 0) rc = sign_fn(&r1, msg, msg_len, digest, sig2, sizeof sig2, &len2);
  result("signs_with_4096_bit_key_into_512_bytes", rc == 0 && len2 == 512,
         "rc=%d len=%zu", rc, len2);
  if (len2) (void)spill("sig_" ADAPTER "_4096.bin", sig2, len2);
  F(rsa_free)(&r1);

  /* a second key replaces the first */
  rc = F(load_private_key_file)(&r, path("other.key"));
  len2 = 0;
  if (rc == 0) rc = sign_fn(&r, msg, msg_len, digest, sig2, sizeof sig2, &len2);
  result("loading_another_private_key_replaces_the_first",
         rc == 0 && len2 == 256 && memcmp(sig, sig2, 256) != 0, "rc=%d", rc);

  /* a zeroed struct is an initialised one */
  memset(&z, 0, sizeof z);
  rc = F(load_private_key_file)(&z, path("merchant.key"));
  len2 = 0;
  if (rc == 0) rc = sign_fn(&z, msg, msg_len, digest, sig2, sizeof sig2, &len2);
  result("zeroed_struct_works_without_init",
         rc == 0 && len2 == len && memcmp(sig, sig2, len) == 0, "rc=%d", rc);
  F(rsa_free)(&z);

  F(rsa_free)(&r);
  result("free_zeroes_the_struct", all_zero(&r, sizeof r), "bytes left");
  rc = F(load_private_key_file)(&r, path("merchant.key"));
  len2 = 0;
  if (rc == 0) rc = sign_fn(&r, msg, msg_len, digest, sig2, sizeof sig2, &len2);
  result("struct_loads_again_after_free",
         rc == 0 && len2 == len && memcmp(sig, sig2, len) == 0, "rc=%d", rc);
  F(rsa_free)(&r);
  F(rsa_free)(NULL);

#if defined(RSA_MBEDTLS)
  {
    unsigned long state = 12345;
    F(rsa_init)(&r1);
    r1.f_rng = counting_rng;
    r1.p_rng = &state;
    rng_calls = 0;
    rc = F(load_private_key_file)(&r1, path("merchant.key"));
    len2 = 0;
    if (rc == 0) rc = sign_fn(&r1, msg, msg_len, digest, sig2, sizeof sig2, &len2);
    result("caller_generator_is_used_for_blinding_and_output_is_unchanged",
           rc == 0 && rng_calls > 0 && len2 == len && memcmp(sig, sig2, len) == 0 &&
               r1.wxpay__rng_ready == 0,
           "rc=%d calls=%lu", rc, rng_calls);
    F(rsa_free)(&r1);
    result("free_keeps_the_generator_option",
           r1.f_rng == counting_rng && r1.p_rng == &state, "lost");
  }
#endif
}

/* ---- verifying ---- */

static void test_verify(void) {
  rsa_t r;
  unsigned char *sp, *so, bad[WXPAY_V3_SIG_MAX + 1];
  size_t np = 0, no = 0, i;
  char *serial = text("platform.serial"), *oserial = text("other.serial");
  char lowered[80];
  int rc, v, flips_ok = 1, first_bad = -1;

  sp = slurp("sig_platform.bin", &np);
  so = slurp("sig_other.bin", &no);
  if (!serial || !oserial || !sp || !so || np != 256 || no != 256) {
    result("verify_inputs_readable", 0, "missing inputs in %s", dir);
    return;
  }

  F(rsa_init)(&r);
  rc = F(add_platform_cert_file)(&r, path("platform.pem"));
  result("loads_platform_certificate", rc == 0, "rc=%d (%s)", rc, F(rsa_strerror)(rc));
  result("certificate_serial_is_uppercase_hex_as_openssl_prints_it",
         r.platform_count == 1 && strcmp(r.platform[0].serial, serial) == 0 &&
             strlen(serial) == 40,
         "got %s, want %s", r.platform[0].serial, serial);
  v = verify_fn(&r, serial, digest, sp, np);
  result("verifies_openssl_command_signature_cert_mode", v == 1, "verify=%d", v);
  snprintf(lowered, sizeof lowered, "%s", serial);
  lower(lowered);
  v = verify_fn(&r, lowered, digest, sp, np);
  result("serial_match_is_case_insensitive", v == 1, "verify=%d", v);

  memcpy(bad, sp, np);
  for (i = 0; i < np * 8; i++) {
    bad[i / 8] ^= (unsigned char)(1u << (i % 8));
    v = verify_fn(&r, serial, digest, bad, np);
    bad[i / 8] ^= (unsigned char)(1u << (i % 8));
    if (v != 0) {
      flips_ok = 0;
      first_bad = (int)i;
      break;
    }
  }
  result("every_single_bit_flip_is_invalid", flips_ok, "bit %d gave %d", first_bad, v);
  v = verify_fn(&r, serial, digest, sp, np - 1);
  result("truncated_signature_is_invalid", v == 0, "verify=%d", v);
  v = verify_fn(&r, serial, digest, sp, 0);
  result("empty_signature_is_invalid", v == 0, "verify=%d", v);
  memcpy(bad, sp, np);
  bad[np] = 0;
  v = verify_fn(&r, serial, digest, bad, np + 1);
  result("signature_with_a_byte_appended_is_invalid", v == 0, "verify=%d", v);
  memset(bad, 0, np);
  v = verify_fn(&r, serial, digest, bad, np);
  memset(bad, 0xff, np);
  rc = verify_fn(&r, serial, digest, bad, np);
  result("all_zero_and_all_ones_signatures_are_invalid", v == 0 && rc == 0,
         "zeros=%d ones=%d", v, rc);
  v = verify_fn(&r, serial, digest, NULL, np);
  rc = verify_fn(&r, serial, NULL, sp, np);
  result("null_signature_or_digest_is_invalid", v == 0 && rc == 0, "sig=%d digest=%d", v, rc);
  v = verify_fn(&r, serial, digest2, sp, np);
  result("signature_of_another_message_is_invalid", v == 0, "verify=%d", v);
  v = verify_fn(&r, serial, digest, so, no);
  result("signature_by_another_key_is_invalid", v == 0, "verify=%d", v);
  v = verify_fn(&r, "7A2F19E52B71CA334E81E12B71F57CE91E378480", digest, sp, np);
  rc = verify_fn(&r, "", digest, sp, np);
  i = (size_t)verify_fn(&r, NULL, digest, sp, np);
  result("unknown_serial_is_minus_one", v == -1 && rc == -1 && (int)i == -1,
         "unknown=%d empty=%d null=%d", v, rc, (int)i);
  v = verify_fn(&r, PUB_ID, digest, sp, np);
  result("public_key_id_does_not_match_a_certificate", v == -1, "verify=%d", v);
  v = verify_fn(NULL, serial, digest, sp, np);
  result("null_user_is_minus_one", v == -1, "verify=%d", v);

  /* several keys, chosen by serial; a serial with a leading zero digit also
     matches as WeChat Pay's Java SDK prints it (without the zero) */
  rc = F(add_platform_cert_file)(&r, path("other.pem"));
  v = verify_fn(&r, oserial, digest, so, no);
  i = (size_t)verify_fn(&r, serial, digest, so, no);
  result("several_platform_keys_are_chosen_by_serial", rc == 0 && v == 1 && (int)i == 0,
         "rc=%d other=%d platform=%d", rc, v, (int)i);
  v = oserial[0] == '0' ? verify_fn(&r, oserial + 1, digest, so, no) : -9;
  rc = verify_fn(&r, "00000000000000", digest, so, no);
  result("certificate_serial_matches_without_leading_zero", v == 1 && rc == -1,
         "stripped=%d zeros=%d (serial %s)", v, rc, oserial);
  {
    char padded[80];
    snprintf(padded, sizeof padded, "00%s", serial);
    v = verify_fn(&r, padded, digest, sp, np);
    result("certificate_serial_matches_with_leading_zeros", v == 1, "verify=%d", v);
  }

  /* the adapter's own signature, checked with the merchant certificate */
  {
    rsa_t m;
    unsigned char sig[WXPAY_V3_SIG_MAX];
    size_t len = 0;
    char *ms;
    F(rsa_init)(&m);
    rc = F(load_private_key_file)(&m, path("merchant.key"));
    if (rc == 0) rc = sign_fn(&m, msg, msg_len, digest, sig, sizeof sig, &len);
    if (rc == 0) rc = F(add_platform_cert_file)(&m, path("merchant.pem"));
    ms = m.platform_count ? m.platform[0].serial : NULL;
    v = ms ? verify_fn(&m, ms, digest, sig, len) : -9;
    result("own_signature_verifies_with_own_certificate", rc == 0 && v == 1,
           "rc=%d verify=%d", rc, v);
    F(rsa_free)(&m);
  }
  F(rsa_free)(&r);

  /* public key mode */
  F(rsa_init)(&r);
  rc = F(add_platform_public_key_file)(&r, PUB_ID, path("platform_pub.pem"));
  snprintf(lowered, sizeof lowered, "%s", PUB_ID);
  lower(lowered);
  v = verify_fn(&r, PUB_ID, digest, sp, np);
  i = (size_t)verify_fn(&r, lowered, digest, sp, np);
  result("verifies_openssl_command_signature_public_key_mode",
         rc == 0 && v == 1 && (int)i == 1, "rc=%d verify=%d lower=%d", rc, v, (int)i);
  v = verify_fn(&r, serial, digest, sp, np);
  result("certificate_serial_does_not_match_a_public_key_id", v == -1, "verify=%d", v);
  v = verify_fn(&r, "PUB_KEY_ID_011423213491241000000000000", digest, sp, np);
  result("public_key_id_prefix_does_not_match", v == -1, "verify=%d", v);
  rc = F(add_platform_public_key_file)(&r, "PUB_KEY_ID_PKCS1", path("platform_rsapub.pem"));
  v = verify_fn(&r, "PUB_KEY_ID_PKCS1", digest, sp, np);
  result("pkcs1_rsa_public_key_accepted", rc == 0 && v == 1, "rc=%d verify=%d", rc, v);
  rc = F(add_platform_cert_file)(&r, path("other.pem"));
  v = verify_fn(&r, oserial, digest, so, no);
  i = (size_t)verify_fn(&r, PUB_ID, digest, so, no);
  result("certificate_and_public_key_modes_mix", rc == 0 && v == 1 && (int)i == 0,
         "rc=%d other=%d pub=%d", rc, v, (int)i);
  {
    size_t n;
    unsigned char *pem = slurp("platform_pub.pem", &n);
    rsa_t m;
    F(rsa_init)(&m);
    rc = pem ? F(add_platform_public_key)(&m, "K1", (const char *)pem, n) : -99;
    v = verify_fn(&m, "k1", digest, sp, np);
    result("in_memory_public_key_loads_unterminated", rc == 0 && v == 1,
           "rc=%d verify=%d", rc, v);
    F(rsa_free)(&m);
    free(pem);
    pem = slurp("platform.pem", &n);
    F(rsa_init)(&m);
    rc = pem ? F(add_platform_cert)(&m, (const char *)pem, n) : -99;
    v = verify_fn(&m, serial, digest, sp, np);
    result("in_memory_certificate_loads_unterminated", rc == 0 && v == 1,
           "rc=%d verify=%d", rc, v);
    F(rsa_free)(&m);
    free(pem);
  }
  F(rsa_free)(&r);
  free(sp);
  free(so);
  free(serial);
  free(oserial);
}

/* ---- what the loaders refuse ---- */

static void expect(const char *name, int rc, int want) {
  result(name, rc == want, "rc=%d (%s), want %d (%s)", rc, F(rsa_strerror)(rc), want,
         F(rsa_strerror)(want));
}

static void test_refusals(void) {
  rsa_t r;
  unsigned char sig[WXPAY_V3_SIG_MAX], sig0[WXPAY_V3_SIG_MAX];
  size_t len = 0, len0 = 0, i;
  char *serial = text("platform.serial");
  char id[80];
  unsigned char *sp;
  size_t np = 0;
  int rc, v;

  sp = slurp("sig_platform.bin", &np);
  F(rsa_init)(&r);
  /* keys first: every refusal below must leave them as they are */
  rc = F(load_private_key_file)(&r, path("merchant.key"));
  if (rc == 0) rc = F(add_platform_cert_file)(&r, path("platform.pem"));
  if (rc == 0) rc = sign_fn(&r, msg, msg_len, digest, sig0, sizeof sig0, &len0);
  if (rc != 0) {
    result("refusal_setup", 0, "rc=%d", rc);
    return;
  }

  expect("refuses_garbage_pem_private_key",
         F(load_private_key_file)(&r, path("garbage.pem")), WXPAY_RSA_ERR_PARSE);
#if defined(RSA_OPENSSL)
  result("last_error_keeps_the_library_code", r.last_error != 0, "0");
#else
  result("last_error_keeps_the_library_code", r.last_error < 0, "%d", r.last_error);
#endif
  expect("refuses_garbage_pem_certificate",
         F(add_platform_cert_file)(&r, path("garbage.pem")), WXPAY_RSA_ERR_PARSE);
  expect("refuses_garbage_pem_public_key",
         F(add_platform_public_key_file)(&r, "G1", path("garbage.pem")), WXPAY_RSA_ERR_PARSE);
  expect("refuses_random_bytes_private_key",
         F(load_private_key_file)(&r, path("random.bin")), WXPAY_RSA_ERR_PARSE);
  expect("refuses_random_bytes_certificate",
         F(add_platform_cert_file)(&r, path("random.bin")), WXPAY_RSA_ERR_PARSE);
  expect("refuses_random_bytes_public_key",
         F(add_platform_public_key_file)(&r, "G1", path("random.bin")), WXPAY_RSA_ERR_PARSE);
  expect("refuses_empty_file", F(load_private_key_file)(&r, path("empty.pem")),
         WXPAY_RSA_ERR_PARSE);
  expect("refuses_empty_string", F(load_private_key)(&r, "", 0), WXPAY_RSA_ERR_PARSE);
  expect("refuses_1024_bit_private_key",
         F(load_private_key_file)(&r, path("small.key")), WXPAY_RSA_ERR_KEY_SIZE);
  expect("refuses_1024_bit_certificate",
         F(add_platform_cert_file)(&r, path("small.pem")), WXPAY_RSA_ERR_KEY_SIZE);
  expect("refuses_1024_bit_public_key",
         F(add_platform_public_key_file)(&r, "S1", path("small_pub.pem")), WXPAY_RSA_ERR_KEY_SIZE);
  expect("refuses_ec_private_key", F(load_private_key_file)(&r, path("ec.key")),
         WXPAY_RSA_ERR_NOT_RSA);
  expect("refuses_ec_certificate", F(add_platform_cert_file)(&r, path("ec.pem")),
         WXPAY_RSA_ERR_NOT_RSA);
  expect("refuses_ec_public_key",
         F(add_platform_public_key_file)(&r, "E1", path("ec_pub.pem")), WXPAY_RSA_ERR_NOT_RSA);
  expect("refuses_encrypted_pkcs8_key_without_prompting",
         F(load_private_key_file)(&r, path("enc.key")), WXPAY_RSA_ERR_ENCRYPTED);
  expect("refuses_encrypted_traditional_key_without_prompting",
         F(load_private_key_file)(&r, path("enc_rsa.key")), WXPAY_RSA_ERR_ENCRYPTED);
  expect("refuses_certificate_as_private_key",
         F(load_private_key_file)(&r, path("platform.pem")), WXPAY_RSA_ERR_PARSE);
  expect("refuses_private_key_as_certificate",
         F(add_platform_cert_file)(&r, path("other.key")), WXPAY_RSA_ERR_PARSE);
  expect("refuses_certificate_as_public_key",
         F(add_platform_public_key_file)(&r, "C1", path("other.pem")), WXPAY_RSA_ERR_PARSE);
  expect("refuses_public_key_as_private_key",
         F(load_private_key_file)(&r, path("other_pub.pem")), WXPAY_RSA_ERR_PARSE);
  expect("refuses_missing_private_key_file",
         F(load_private_key_file)(&r, path("no-such.key")), WXPAY_RSA_ERR_FILE);
  expect("refuses_missing_certificate_file",
         F(add_platform_cert_file)(&r, path("no-such.pem")), WXPAY_RSA_ERR_FILE);
  expect("refuses_missing_public_key_file",
         F(add_platform_public_key_file)(&r, "M1", path("no-such.pem")), WXPAY_RSA_ERR_FILE);
  expect("refuses_a_directory_as_file", F(load_private_key_file)(&r, dir), WXPAY_RSA_ERR_FILE);
  expect("refuses_file_over_64_kib", F(load_private_key_file)(&r, path("big.pem")),
         WXPAY_RSA_ERR_FILE);
  expect("refuses_null_arguments", F(load_private_key)(&r, NULL, 5), WXPAY_RSA_ERR_ARG);
  expect("refuses_null_struct", F(add_platform_cert_file)(NULL, path("platform.pem")),
         WXPAY_RSA_ERR_ARG);
  expect("refuses_null_public_key_serial",
         F(add_platform_public_key_file)(&r, NULL, path("platform_pub.pem")), WXPAY_RSA_ERR_ARG);
  expect("refuses_empty_public_key_serial",
         F(add_platform_public_key_file)(&r, "", path("platform_pub.pem")), WXPAY_RSA_ERR_SERIAL);
  expect("refuses_public_key_serial_with_a_space",
         F(add_platform_public_key_file)(&r, "PUB KEY", path("platform_pub.pem")),
         WXPAY_RSA_ERR_SERIAL);
  memset(id, 'A', 65);
  id[65] = '\0';
  expect("refuses_65_character_serial",
         F(add_platform_public_key_file)(&r, id, path("platform_pub.pem")), WXPAY_RSA_ERR_SERIAL);
  expect("refuses_duplicate_certificate", F(add_platform_cert_file)(&r, path("platform.pem")),
         WXPAY_RSA_ERR_DUPLICATE);
  if (serial) lower(serial);
  expect("refuses_public_key_under_a_loaded_serial_any_case",
         F(add_platform_public_key_file)(&r, serial ? serial : "x", path("other_pub.pem")),
         WXPAY_RSA_ERR_DUPLICATE);
  result("refusals_add_no_platform_key", r.platform_count == 1, "count=%zu", r.platform_count);
  rc = sign_fn(&r, msg, msg_len, digest, sig, sizeof sig, &len);
  v = (sp && serial) ? verify_fn(&r, serial, digest, sp, np) : -9;
  result("refusals_leave_loaded_keys_working",
         rc == 0 && len == len0 && memcmp(sig, sig0, len) == 0 && v == 1,
         "sign=%d verify=%d", rc, v);
#if defined(RSA_OPENSSL)
  result("error_queue_left_as_found", ERR_peek_error() == 0, "queue holds %lx",
         ERR_peek_error());
#endif

  /* 64 characters is the limit; then fill every slot */
  id[64] = '\0';
  rc = F(add_platform_public_key_file)(&r, id, path("other_pub.pem"));
  expect("accepts_64_character_serial", rc, 0);
  for (i = r.platform_count; i < 8; i++) {
    snprintf(id, sizeof id, "K%zu", i);
    rc = F(add_platform_public_key_file)(&r, id, path("other_pub.pem"));
    if (rc != 0) break;
  }
  result("holds_8_platform_keys", rc == 0 && r.platform_count == 8, "rc=%d count=%zu", rc,
         r.platform_count);
  expect("refuses_a_ninth_platform_key",
         F(add_platform_public_key_file)(&r, "K9", path("other_pub.pem")), WXPAY_RSA_ERR_FULL);
  v = (sp && serial) ? verify_fn(&r, serial, digest, sp, np) : -9;
  result("full_table_still_verifies", v == 1, "verify=%d", v);
  F(rsa_free)(&r);
  result("free_after_full_table_zeroes_the_struct", all_zero(&r, sizeof r), "bytes left");
  free(serial);
  free(sp);
}

/* ---- figures ---- */

static double now_s(void) { /* CPU time */
  return (double)clock() / CLOCKS_PER_SEC;
}

static int bench(void) {
  rsa_t r;
  unsigned char sig[WXPAY_V3_SIG_MAX], *sp;
  size_t len = 0, np = 0;
  char *serial = text("platform.serial");
  int i, n_sign = 200, n_verify = 4000, ok = 0;
  double t0, t1, t2;
  sp = slurp("sig_platform.bin", &np);
  F(rsa_init)(&r);
  if (F(load_private_key_file)(&r, path("merchant.key")) != 0 ||
      F(add_platform_cert_file)(&r, path("platform.pem")) != 0 || !sp || !serial)
    return 1;
  t0 = now_s();
  for (i = 0; i < n_sign; i++) ok += sign_fn(&r, msg, msg_len, digest, sig, sizeof sig, &len) == 0;
  t1 = now_s();
  for (i = 0; i < n_verify; i++) ok += verify_fn(&r, serial, digest, sp, np) == 1;
  t2 = now_s();
  printf("info: %s RSA-2048 sign %.0f us/op (%d), verify %.1f us/op (%d)%s\n", ADAPTER,
         (t1 - t0) / n_sign * 1e6, n_sign, (t2 - t1) / n_verify * 1e6, n_verify,
         ok == n_sign + n_verify ? "" : " (SOME FAILED)");
  F(rsa_free)(&r);
  free(sp);
  free(serial);
  return ok == n_sign + n_verify ? 0 : 1;
}

int main(int argc, char **argv) {
  int is_bench = argc == 3 && strcmp(argv[1], "--bench") == 0;
  if (argc != 2 && !is_bench) {
    fprintf(stderr, "usage: rsa_test [--bench] DIR\n");
    return 2;
  }
  dir = argv[argc - 1];
  (void)sign_fn;
  (void)verify_fn;
  if (!load_inputs()) {
    printf("FAIL %s_rsa_inputs: cannot read msg.txt, msg.sha256, msg2.sha256 in %s\n",
           ADAPTER, dir);
    return 1;
  }
  if (is_bench) return bench();
  test_sign();
  test_verify();
  test_refusals();
  return failures ? 1 : 0;
}
