/* ct_valgrind.c -- constant time, checked the Monocypher/ctgrind way: the
   secret bytes are marked undefined with memcheck client requests, so
   valgrind reports any branch (or memory index) that depends on them.

     ct_valgrind compare   the signature comparison: expected MAC secret,
                           received hex public; equal, one bit off, all off
     ct_valgrind hmac      HMAC-SHA256 and the cached key pads with a secret
                           key (and a secret message)
     ct_valgrind leaky     negative control: an early-exit comparison on the
                           same secret, which valgrind MUST report

   Run: valgrind --error-exitcode=99 ./ct_valgrind MODE (tests/check.sh). */
#define WXPAY_CLOSE_IMPLEMENTATION
#include "wxpay_close.h"
#include <stdio.h>
#include <string.h>
#include <valgrind/memcheck.h>

#define SECRET(p, n) VALGRIND_MAKE_MEM_UNDEFINED((p), (n))
#define PUBLIC(p, n) VALGRIND_MAKE_MEM_DEFINED((p), (n))

static const char key[33] = "192006250b4c09247ec02edce69f6a2d";

static int leaky_compare(const unsigned char mac[32], const unsigned char *got) {
  int i;
  for (i = 0; i < 32; i++)
    if (mac[i] != got[i]) return 0;
  return 1;
}

int main(int argc, char **argv) {
  unsigned char mac[32], got[32];
  char hex[65];
  int r[3], i;
  const char *mode = argc > 1 ? argv[1] : "compare";
  wxpay_hmac_sha256(key, 32, "message", 7, mac);
  for (i = 0; i < 32; i++) {
    hex[2 * i] = "0123456789ABCDEF"[mac[i] >> 4];
    hex[2 * i + 1] = "0123456789ABCDEF"[mac[i] & 15];
  }
  hex[64] = '\0';
  if (!strcmp(mode, "compare")) {
    SECRET(mac, sizeof mac);
    r[0] = wxpay__sign_matches(mac, hex);       /* equal */
    hex[63] = hex[63] == '0' ? '1' : '0';
    r[1] = wxpay__sign_matches(mac, hex);       /* last nibble differs */
    hex[0] = hex[0] == '0' ? '1' : '0';
    r[2] = wxpay__sign_matches(mac, hex);       /* first and last differ */
    PUBLIC(r, sizeof r);                        /* the verdict is public */
    printf("compare: %d %d %d\n", r[0], r[1], r[2]);
    return (r[0] == 1 && r[1] == 0 && r[2] == 0) ? 0 : 1;
  }
  if (!strcmp(mode, "hmac")) {
    char k[33], msg[64];
    wxpay_hmac_ctx h;
    uint32_t in[8], out[8];
    memcpy(k, key, sizeof k);
    memcpy(msg, "return_code=SUCCESS&result_code=SUCCESS&key=", 45);
    SECRET(k, 32);
    SECRET(msg, 45);
    wxpay_hmac_sha256(k, 32, msg, 45, mac);
    wxpay_hmac_init(&h, k, 32);
    wxpay_hmac_update(&h, msg, 45);
    wxpay_hmac_final(&h, got);
    wxpay__hmac_pads(k, 32, in, out);
    PUBLIC(mac, sizeof mac);
    PUBLIC(got, sizeof got);
    printf("hmac: %s\n", memcmp(mac, got, 32) == 0 ? "consistent" : "MISMATCH");
    return memcmp(mac, got, 32) == 0 ? 0 : 1;
  }
  if (!strcmp(mode, "leaky")) {
    memcpy(got, mac, 32);
    SECRET(mac, sizeof mac);
    r[0] = leaky_compare(mac, got);
    PUBLIC(r, sizeof r);
    printf("leaky: %d\n", r[0]);
    return 0;
  }
  return 2;
}
