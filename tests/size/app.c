/* app.c -- the minimal bare-metal programs measured by tests/size/run.sh.
   One of APP_BUILD, APP_PARSE, APP_BUILD_PARSE, APP_CLOSE, APP_EMPTY,
   APP_MINIMAL (build and parse without asking for an error string: the
   core the flash budget is about), APP_QUERY (the close's build and parse,
   and the APIv2 query's: a program that also queries) and APP_SETTLE
   (wxpay_settle(): close, query, poll) is defined. Inputs come through volatile pointers so nothing is folded away;
   buffers are static (the caller's, not counted as stack). */
#define WXPAY_NO_OS
#include "wxpay_close.h"

static const wxpay_sub_order subs[1] = {{"1900009001", "OD201708030001"}};
static char work[WXPAY_CLOSE_WORK_SIZE];
static char answer[] =
    "<xml><return_code><![CDATA[SUCCESS]]></return_code>"
    "<return_msg><![CDATA[OK]]></return_msg>"
    "<combine_appid><![CDATA[wx8888888888888888]]></combine_appid>"
    "<combine_mch_id><![CDATA[1900000109]]></combine_mch_id>"
    "<nonce_str><![CDATA[5K8264ILTKCH16CQ2502SI8ZNMTM67VS]]></nonce_str>"
    "<result_code><![CDATA[SUCCESS]]></result_code>"
    "<sign><![CDATA[0000000000000000000000000000000000000000000000000000000000000000]]></sign></xml>";
const char *volatile app_key = "192006250b4c09247ec02edce69f6a2d";
volatile unsigned app_seed = 1;
volatile int app_result;

static int rng(void *user, unsigned char *buf, size_t n) {
  unsigned s = app_seed;
  (void)user;
  while (n--) { s = s * 1103515245u + 12345u; *buf++ = (unsigned char)(s >> 16); }
  app_seed = s;
  return 0;
}

#if defined(APP_CLOSE) || defined(APP_SETTLE)
static wxpay_net transport(void *user, const wxpay_http_req *req, wxpay_http_resp *resp) {
  size_t n = sizeof answer - 1, i;
  (void)user;
  (void)req;
  if (n > resp->body_cap) return WXPAY_NET_TOO_LARGE;
  for (i = 0; i < n; i++) resp->body[i] = answer[i];
  resp->body_len = n;
  resp->status = 200;
  return WXPAY_NET_OK;
}
#endif

static void setup(wxpay_client *cli, wxpay_close_req *req) {
  unsigned char *p = (unsigned char *)cli;
  size_t i;
  for (i = 0; i < sizeof *cli; i++) p[i] = 0;
  p = (unsigned char *)req;
  for (i = 0; i < sizeof *req; i++) p[i] = 0;
  cli->api_key = app_key;
  cli->random = rng;
  req->combine_appid = "wx8888888888888888";
  req->combine_mch_id = "1900000109";
  req->combine_out_trade_no = "1217752501201407033233368018";
  req->sub_orders = subs;
  req->sub_order_count = 1;
}

int main(void) {
#ifndef APP_EMPTY
  wxpay_client cli;
  wxpay_close_req req;
  wxpay_close_resp resp;
  size_t len = 0;
  int r = 0;
  setup(&cli, &req);
#if defined(APP_BUILD) || defined(APP_BUILD_PARSE) || defined(APP_MINIMAL) || defined(APP_QUERY)
  r += (int)wxpay_close_build(&cli, &req, work, sizeof work, &len);
#endif
#if defined(APP_PARSE) || defined(APP_BUILD_PARSE) || defined(APP_MINIMAL) || defined(APP_QUERY)
  r += (int)wxpay_close_parse(&cli, &req, answer, sizeof answer - 1, &resp);
  r += (int)resp.outcome;
#endif
#ifdef APP_CLOSE
  cli.transport = transport;
  r += (int)wxpay_close(&cli, &req, &resp, work, sizeof work);
  r += (int)resp.outcome;
#endif
#ifdef APP_QUERY
  {
    static wxpay_query_sub_order states[2];
    static wxpay_query_resp qresp;
    wxpay_query_req q;
    q.combine_appid = req.combine_appid;
    q.combine_mch_id = req.combine_mch_id;
    q.combine_out_trade_no = req.combine_out_trade_no;
    q.nonce_str = NULL;
    r += (int)wxpay_query_build(&cli, &q, work, sizeof work, &len);
    qresp.order.sub_orders = states;
    qresp.order.sub_order_cap = 2;
    r += (int)wxpay_query_parse(&cli, &q, answer, sizeof answer - 1, &qresp);
    r += qresp.found + (int)states[0].state;
  }
#endif
#ifdef APP_SETTLE
  {
    static wxpay_query_sub_order states[2];
    static wxpay_settle_result res;
    static char settle_work[WXPAY_SETTLE_WORK_SIZE];
    cli.transport = transport;
    res.query.order.sub_orders = states;
    res.query.order.sub_order_cap = 2;
    r += (int)wxpay_settle(&cli, &req, &res, settle_work, sizeof settle_work);
    r += (int)res.settlement + (int)states[0].state;
  }
#endif
#ifndef APP_MINIMAL /* the core: build and parse, no error strings asked for */
  r += (int)wxpay_strerror((wxpay_err)r)[0];
#endif
  app_result = r + (int)len;
#endif
  return 0;
}
