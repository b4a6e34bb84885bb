/* compile_c.c -- the header as a C99 translation unit, for the strict warning
   set, cppcheck and clang-tidy (tests/check.sh builds it with each option
   set: WXPAY_STATIC, WXPAY_NO_ERROR_STRINGS, WXPAY_NO_OS, empty
   WXPAY_ASSERT) and links it with compile_c2.c (a second file that includes
   the header without the implementation). */
#define WXPAY_CLOSE_IMPLEMENTATION
#include "wxpay_close.h"
#include <stdio.h>
#include <string.h>

int wxpay_check_second_unit(void);

static int rng(void *user, unsigned char *buf, size_t n) {
  size_t i;
  (void)user;
  for (i = 0; i < n; i++) buf[i] = (unsigned char)(i * 7u + 1u);
  return 0;
}

int main(void) {
  static const wxpay_sub_order subs[1] = {{"1900009001", "OD201708030001"}};
  wxpay_client cli;
  wxpay_close_req req;
  char out[1024];
  size_t len = 0;
  wxpay_err e;
  memset(&cli, 0, sizeof cli);
  memset(&req, 0, sizeof req);
  cli.api_key = "192006250b4c09247ec02edce69f6a2d";
  cli.random = rng;
  req.combine_appid = "wx8888888888888888";
  req.combine_mch_id = "1900000109";
  req.combine_out_trade_no = "1217752501201407033233368018";
  req.sub_orders = subs;
  req.sub_order_count = 1;
  req.nonce_str = "ibuaiVcKdpRxkhJA";
  e = wxpay_close_build(&cli, &req, out, sizeof out, &len);
  if (e != WXPAY_OK || !strstr(out, "509AC0CBE8222A321B41F6BD4EFD8FE38D2E61251270F5664280BAD4268C020B")) {
    printf("FAIL known-answer body: %s\n", wxpay_err_name(e));
    return 1;
  }
  return wxpay_check_second_unit();
}
