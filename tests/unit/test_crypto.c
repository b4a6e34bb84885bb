/* >>sha256, >>hmac, >>sign: NIST and RFC 4231 vectors, hashlib boundary
   vectors, every split of incremental input, and the v2 signature page's example. */
#define WXPAY_CLOSE_IMPLEMENTATION
#include "common.h"
#include "fixtures.h"
#include <stdlib.h>

static void sha_hex(const void *d, size_t n, char out[65]) {
  unsigned char h[32];
  wxpay_sha256(d, n, h);
  t_hex(h, 32, out);
}

static void sha256_matches_nist_short_messages(void) {
  char h[65];
  sha_hex("", 0, h);
  CHECK(!strcmp(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
  sha_hex("abc", 3, h);
  CHECK(!strcmp(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
  sha_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, h);
  CHECK(!strcmp(h, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"));
  sha_hex("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu", 112, h);
  CHECK(!strcmp(h, "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"));
}

static void sha256_matches_nist_one_million_a(void) {
  wxpay_sha256_ctx c;
  unsigned char block[1000], h[32];
  char hex[65];
  int i;
  memset(block, 'a', sizeof block);
  wxpay_sha256_init(&c);
  for (i = 0; i < 1000; i++) wxpay_sha256_update(&c, block, sizeof block);
  wxpay_sha256_final(&c, h);
  t_hex(h, 32, hex);
  CHECK(!strcmp(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"));
}

static void pattern(unsigned char *m, size_t n) {
  size_t i;
  for (i = 0; i < n; i++) m[i] = (unsigned char)((i * 7 + 3) & 0xFF);
}

static void sha256_matches_hashlib_at_block_boundaries(void) {
  static const struct { size_t n; const char *hex; } v[] = {
      {0, SHA_PATTERN_0},     {1, SHA_PATTERN_1},     {55, SHA_PATTERN_55},
      {56, SHA_PATTERN_56},   {63, SHA_PATTERN_63},   {64, SHA_PATTERN_64},
      {65, SHA_PATTERN_65},   {119, SHA_PATTERN_119}, {120, SHA_PATTERN_120},
      {127, SHA_PATTERN_127}, {128, SHA_PATTERN_128}, {1000, SHA_PATTERN_1000}};
  unsigned char m[1000];
  char h[65];
  size_t i;
  pattern(m, sizeof m);
  for (i = 0; i < sizeof v / sizeof v[0]; i++) {
    sha_hex(m, v[i].n, h);
    CHECK(!strcmp(h, v[i].hex));
  }
}

static void sha256_incremental_equals_one_shot_for_every_split(void) {
  unsigned char m[300], one[32], inc[32];
  size_t n, a, b;
  pattern(m, sizeof m);
  for (n = 0; n <= 200; n += 13) {
    wxpay_sha256(m, n, one);
    for (a = 0; a <= n; a++)
      for (b = a; b <= n; b += 7) {
        wxpay_sha256_ctx c;
        wxpay_sha256_init(&c);
        wxpay_sha256_update(&c, m, a);
        wxpay_sha256_update(&c, m + a, b - a);
        wxpay_sha256_update(&c, m + b, n - b);
        wxpay_sha256_final(&c, inc);
        CHECK(!memcmp(one, inc, 32));
      }
  }
}

static void hmac_hex(const void *k, size_t kn, const void *d, size_t dn, char out[65]) {
  unsigned char h[32];
  wxpay_hmac_sha256(k, kn, d, dn, h);
  t_hex(h, 32, out);
}

static void hmac_sha256_matches_rfc4231(void) {
  unsigned char k[131], d[50];
  char h[65];
  size_t i;
  memset(k, 0x0b, 20);
  hmac_hex(k, 20, "Hi There", 8, h);
  CHECK(!strcmp(h, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"));
  hmac_hex("Jefe", 4, "what do ya want for nothing?", 28, h);
  CHECK(!strcmp(h, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"));
  memset(k, 0xaa, 20); memset(d, 0xdd, 50);
  hmac_hex(k, 20, d, 50, h);
  CHECK(!strcmp(h, "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"));
  for (i = 0; i < 25; i++) k[i] = (unsigned char)(i + 1);
  memset(d, 0xcd, 50);
  hmac_hex(k, 25, d, 50, h);
  CHECK(!strcmp(h, "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"));
  memset(k, 0x0c, 20);
  hmac_hex(k, 20, "Test With Truncation", 20, h);
  CHECK(!strncmp(h, "a3b6167473100ee06e0c796c2955552b", 32));
  memset(k, 0xaa, 131);
  hmac_hex(k, 131, "Test Using Larger Than Block-Size Key - Hash Key First", 54, h);
  CHECK(!strcmp(h, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"));
  hmac_hex(k, 131, "This is a test using a larger than block-size key and a larger than "
           "block-size data. The key needs to be hashed before being used by the HMAC "
           "algorithm.", 152, h);
  CHECK(!strcmp(h, "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"));
}

/* the example of the v2 signature page (https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=4_3) */
static char spec_fields[] = "appid\0wxd930ea5d5a258f4f\0mch_id\0" "10000100\0device_info\0"
                            "1000\0body\0test\0nonce_str\0ibuaiVcKdpRxkhJA\0";

static void sign_fields_matches_official_v2_vector(void) {
  wxpay_client c = test_client();
  wxpay_fields f;
  char sign[65];
  c.api_key = KEY;
  f.data = spec_fields;
  f.count = 5;
  CHECK_ERR(wxpay_sign_fields(&c, &f, sign), WXPAY_OK);
  CHECK(!strcmp(sign, "6A9AE1657590FD6257D693A078E1C3E4BB6BA4DC30B23E0EE2496E54170DACD6"));
}

static void sign_fields_with_cached_pads_equals_uncached(void) {
  wxpay_client c = test_client();
  wxpay_fields f;
  char a[65], b[65];
  f.data = spec_fields;
  f.count = 5;
  CHECK_ERR(wxpay_sign_fields(&c, &f, a), WXPAY_OK);
  CHECK_ERR(wxpay_client_init(&c), WXPAY_OK);
  CHECK(c.key_cache.key == c.api_key);
  CHECK_ERR(wxpay_sign_fields(&c, &f, b), WXPAY_OK);
  CHECK(!strcmp(a, b));
  wxpay_client_wipe(&c);
  CHECK(c.key_cache.key == NULL && c.key_cache.inner[0] == 0 && c.key_cache.outer[7] == 0);
}

static void cached_pads_are_not_used_for_a_key_changed_in_place(void) {
  char key[33] = KEY;
  wxpay_client c = test_client();
  wxpay_fields f;
  char a[65], b[65];
  f.data = spec_fields;
  f.count = 5;
  c.api_key = key;
  CHECK_ERR(wxpay_client_init(&c), WXPAY_OK);
  key[0] = '0'; /* same buffer, another key */
  CHECK_ERR(wxpay_sign_fields(&c, &f, a), WXPAY_OK);
  c.key_cache.key = NULL; /* no cache at all */
  CHECK_ERR(wxpay_sign_fields(&c, &f, b), WXPAY_OK);
  CHECK(!strcmp(a, b));
  CHECK(strcmp(a, "6A9AE1657590FD6257D693A078E1C3E4BB6BA4DC30B23E0EE2496E54170DACD6") != 0);
}

static void sign_fields_skips_empty_values_and_sign(void) {
  static char with_extras[] = "appid\0wxd930ea5d5a258f4f\0sign\0ABCDEF\0mch_id\0" "10000100\0"
                              "empty\0\0device_info\0" "1000\0body\0test\0nonce_str\0ibuaiVcKdpRxkhJA\0";
  wxpay_client c = test_client();
  wxpay_fields f;
  char sign[65];
  f.data = with_extras;
  f.count = 7;
  CHECK_ERR(wxpay_sign_fields(&c, &f, sign), WXPAY_OK);
  CHECK(!strcmp(sign, "6A9AE1657590FD6257D693A078E1C3E4BB6BA4DC30B23E0EE2496E54170DACD6"));
}

static void sign_fields_refuses_a_key_that_is_not_32_bytes(void) {
  wxpay_client c = test_client();
  wxpay_fields f;
  char sign[65];
  f.data = spec_fields;
  f.count = 5;
  c.api_key = "192006250b4c09247ec02edce69f6a2";
  CHECK_ERR(wxpay_sign_fields(&c, &f, sign), WXPAY_ERR_KEY);
  c.api_key = "192006250b4c09247ec02edce69f6a2dX";
  CHECK_ERR(wxpay_sign_fields(&c, &f, sign), WXPAY_ERR_KEY);
  c.api_key = NULL;
  CHECK_ERR(wxpay_sign_fields(&c, &f, sign), WXPAY_ERR_KEY);
  CHECK_ERR(wxpay_client_init(&c), WXPAY_ERR_KEY);
}

int main(void) {
#ifdef WXPAY_SHA256_HW
  if (!strcmp(wxpay_sha256_backend(), "portable")) {
    /* not a SKIP line: no package can add the instructions, so CI must not
       fail for their absence; the note says what was not run */
    printf("# NOT RUN: SHA-256 hardware path (this CPU or compiler has no SHA-256 instructions)\n");
    return 0;
  }
  printf("# SHA-256 backend: %s\n", wxpay_sha256_backend());
#else
  CHECK(!strcmp(wxpay_sha256_backend(), "portable"));
#endif
  RUN(sha256_matches_nist_short_messages);
  RUN(sha256_matches_nist_one_million_a);
  RUN(sha256_matches_hashlib_at_block_boundaries);
  RUN(sha256_incremental_equals_one_shot_for_every_split);
  RUN(hmac_sha256_matches_rfc4231);
  RUN(sign_fields_matches_official_v2_vector);
  RUN(sign_fields_with_cached_pads_equals_uncached);
  RUN(cached_pads_are_not_used_for_a_key_changed_in_place);
  RUN(sign_fields_skips_empty_values_and_sign);
  RUN(sign_fields_refuses_a_key_that_is_not_32_bytes);
  return t_total_failed ? 1 : 0;
}
