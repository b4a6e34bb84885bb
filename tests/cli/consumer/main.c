/* A tiny program that uses wxpay_close.h as an outside project would: the
   header (and an adapter) found through pkg-config or CMake, not the source
   tree. It builds the seed page's known-answer request and checks its signature.
   Built by tests/cli/run.sh from consumer/pkgconfig and consumer/cmake. */
#define _POSIX_C_SOURCE 200809L
#define WXPAY_CLOSE_IMPLEMENTATION
#include "wxpay_close.h"
#define WXPAY_HTTP_IMPLEMENTATION
#include "adapters/wxpay_http.h"

#include <stdio.h>
#include <string.h>

int main(void) {
  static const char want[] =
      "<sign>509AC0CBE8222A321B41F6BD4EFD8FE38D2E61251270F5664280BAD4268C020B</sign>";
  wxpay_sub_order subs[] = {{"1900009001", "OD201708030001"}};
  wxpay_client cli;
  wxpay_close_req req;
  wxpay_url url;
  char body[1024];
  size_t len = 0;
  memset(&cli, 0, sizeof cli);
  memset(&req, 0, sizeof req);
  cli.api_key = "192006250b4c09247ec02edce69f6a2d";
  cli.transport = wxpay_socket_transport; /* linked from the adapter */
  req.combine_appid = "wx8888888888888888";
  req.combine_mch_id = "1900000109";
  req.combine_out_trade_no = "1217752501201407033233368018";
  req.sub_orders = subs;
  req.sub_order_count = 1;
  req.nonce_str = "ibuaiVcKdpRxkhJA";
  if (wxpay_close_build(&cli, &req, body, sizeof body, &len) != WXPAY_OK || !strstr(body, want)) {
    printf("consumer: wrong body: %s\n", body);
    return 1;
  }
  if (wxpay_url_parse(WXPAY_ENDPOINT, &url) != 0 || !url.https || url.port != 443) {
    printf("consumer: cannot parse the endpoint\n");
    return 1;
  }
  printf("consumer ok: wxpay_close.h %s, %lu-byte known-answer body\n", WXPAY_VERSION,
         (unsigned long)len);
  return 0;
}
