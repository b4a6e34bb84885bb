/* compile_c2.c -- a second translation unit: the header without the
   implementation (declarations only), linked with compile_c.c. Under
   WXPAY_STATIC it carries its own private copy instead. */
#ifdef WXPAY_STATIC
#define WXPAY_CLOSE_IMPLEMENTATION
#endif
#include "wxpay_close.h"

int wxpay_check_second_unit(void);

int wxpay_check_second_unit(void) {
  unsigned char d[32];
  wxpay_sha256("abc", 3, d);
  /* SHA-256("abc") starts ba7816bf */
  return (d[0] == 0xba && d[1] == 0x78 && d[2] == 0x16 && d[3] == 0xbf) ? 0 : 1;
}
