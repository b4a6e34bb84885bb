/* What several unit tests share: the seed's example request and a client. */
#ifndef COMMON_H
#define COMMON_H
#include "t.h"
#include "../../wxpay_close.h"

#define KEY "192006250b4c09247ec02edce69f6a2d"

static const wxpay_sub_order seed_subs[] = {{"1900009001", "OD201708030001"}};

static wxpay_client test_client(void) {
  wxpay_client c;
  memset(&c, 0, sizeof c);
  c.api_key = KEY;
  return c;
}

static wxpay_close_req seed_req(void) {
  wxpay_close_req r;
  memset(&r, 0, sizeof r);
  r.combine_appid = "wx8888888888888888";
  r.combine_mch_id = "1900000109";
  r.combine_out_trade_no = "1217752501201407033233368018";
  r.sub_orders = seed_subs;
  r.sub_order_count = 1;
  r.nonce_str = "ibuaiVcKdpRxkhJA";
  return r;
}
#endif
