/* embedded.c -- wxpay_close.h the way a microcontroller uses it.

   Only the header, static buffers, no heap, no OS (WXPAY_NO_OS): the device
   supplies the random source and the clock as callbacks, and its network
   stack moves the bytes. Two ways to drive a close are shown:

   1. The split path, for an event loop or an RTOS task that does its own
      non-blocking HTTP:   wxpay_close_build()  -> bytes to POST
                           (the network stack sends, later a reply arrives)
                           wxpay_close_parse()  -> verified outcome
      with the one-minute guard (wxpay_close_wait_seconds) and a back-off on
      a "retry" outcome, one state per tick.
   2. The blocking path, wxpay_close(), with a transport callback that does
      the same exchange in-line.

   Everything marked STAND-IN replaces a part of a real device: the "TRNG",
   the "RTC", the "network link" and, behind the link, a FAKE WECHAT PAY
   SERVER. The fake server is written the way a server would be, with the
   header's public building blocks (wxpay_xml_read to read the request,
   wxpay_sign_fields -- HMAC-SHA256 with the merchant key -- to check the
   request and to sign its answer). It does not use the client-side request
   builder or parser, so the device code below really is checked by an
   independent peer, not by itself.

   Build and run on a PC:   make            (-> build/embedded)
   Build for a Cortex-M4:
     arm-none-eabi-gcc -mcpu=cortex-m4 -mthumb -Os --specs=nano.specs \
       --specs=nosys.specs -DWXPAY_NO_OS -I. examples/embedded.c -o embedded.elf
*/
#ifndef WXPAY_NO_OS
#define WXPAY_NO_OS /* no getrandom(), no time(): the device gives both */
#endif
#define WXPAY_CLOSE_IMPLEMENTATION
#include "wxpay_close.h"

#include <stdio.h>  /* printf for the report; newlib-nano has it */
#include <string.h>

/* The merchant's APIv2 key and ids (the public example values of WeChat Pay's pages). */
#define MERCHANT_KEY "192006250b4c09247ec02edce69f6a2d"
#define APPID "wx8888888888888888"
#define MCHID "1900000109"
#define ORDER_NO "1217752501201407033233368018"

/* ===================================================================== */
/* STAND-IN: device services                                             */
/* ===================================================================== */

/* The "RTC" and the tick counter: one tick is 100 ms of device time. */
static unsigned long g_tick;
#define TICKS_PER_S 10u
#define BOOT_UNIX 1795000000LL /* device time at tick 0 */

static long long dev_clock(void *user) {
  (void)user;
  return BOOT_UNIX + (long long)(g_tick / TICKS_PER_S);
}

/* The "TRNG". NOT A SECURE SOURCE: SHA-256 over a fixed seed and a counter,
   only so that this example runs the same everywhere. On a real device read
   the hardware RNG here (STM32 RNG->DR, nRF RNG, ESP32 esp_fill_random()...)
   and return non-zero if it reports a fault. */
static int dev_random(void *user, unsigned char *buf, size_t n) {
  static unsigned long counter;
  unsigned char block[32], seed[12] = "wxpay-demo";
  size_t take;
  (void)user;
  while (n) {
    seed[10] = (unsigned char)counter;
    seed[11] = (unsigned char)(counter >> 8);
    counter++;
    wxpay_sha256(seed, sizeof seed, block);
    take = n < sizeof block ? n : sizeof block;
    memcpy(buf, block, take);
    buf += take;
    n -= take;
  }
  return 0;
}

/* ===================================================================== */
/* STAND-IN: a FAKE WECHAT PAY SERVER behind an in-memory link            */
/* ===================================================================== */

typedef struct fake_server {
  wxpay_client keyring;      /* only its api_key and random are used: to sign */
  int order_state;           /* 0 open, 1 closed */
  int hiccups;               /* answer SYSTEMERROR this many times first */
  char req[2048];            /* the request as it arrived (decoded in place) */
  char fields[1024];         /* the answer's fields, packed "n\0v\0...\0" */
  size_t fields_len, count;
} fake_server;

static fake_server g_server;

static void srv_field(fake_server *s, const char *name, const char *value) {
  size_t a = strlen(name) + 1, b = strlen(value) + 1;
  if (s->fields_len + a + b + 1 > sizeof s->fields) return; /* fixed answers fit */
  memcpy(s->fields + s->fields_len, name, a);
  memcpy(s->fields + s->fields_len + a, value, b);
  s->fields_len += a + b;
  s->fields[s->fields_len] = '\0'; /* the empty name that ends the list */
  s->count++;
}

static void out_add(char *out, size_t cap, size_t *len, const char *s) {
  size_t n = strlen(s);
  if (*len + n + 1 > cap) n = cap - *len - 1;
  memcpy(out + *len, s, n);
  *len += n;
  out[*len] = '\0';
}

/* Reads a request body and writes the XML answer a server would send. */
static size_t fake_server_answer(fake_server *s, const char *body, size_t len, char *out,
                                 size_t cap) {
  wxpay_fields in, answer;
  const char *cur = NULL, *name, *value, *sign;
  char expect[65], nonce[33];
  size_t n = 0;
  s->fields_len = s->count = 0;
  s->fields[0] = '\0';
  if (len >= sizeof s->req) len = sizeof s->req - 1;
  memcpy(s->req, body, len);
  if (wxpay_xml_read(s->req, len, &in, NULL) != WXPAY_OK) {
    srv_field(s, "return_code", "FAIL");
    srv_field(s, "return_msg", "XML格式错误");
  } else if (!(sign = wxpay_fields_get(&in, "sign")) ||
             wxpay_sign_fields(&s->keyring, &in, expect) != WXPAY_OK || strcmp(sign, expect)) {
    srv_field(s, "return_code", "FAIL"); /* unsigned, as WeChat does */
    srv_field(s, "return_msg", "签名错误");
  } else {
    const char *subs = wxpay_fields_get(&in, "sub_order_list");
    srv_field(s, "return_code", "SUCCESS");
    srv_field(s, "return_msg", "OK");
    srv_field(s, "combine_appid", APPID);
    srv_field(s, "combine_mch_id", MCHID);
    if (wxpay_nonce(&s->keyring, nonce) != WXPAY_OK) nonce[0] = '\0';
    srv_field(s, "nonce_str", nonce);
    if (s->hiccups > 0) {
      s->hiccups--;
      srv_field(s, "result_code", "FAIL");
      srv_field(s, "err_code", "SYSTEMERROR");
      srv_field(s, "err_code_des", "系统错误");
    } else if (!subs ||
               strcmp(subs, "[{\"mchid\":\"1900009001\",\"out_trade_no\":\"OD201708030001\"}]")) {
      srv_field(s, "result_code", "FAIL");
      srv_field(s, "err_code", "PARAM_ERROR");
      srv_field(s, "err_code_des", "子单信息不一致");
    } else if (s->order_state == 1) {
      srv_field(s, "result_code", "FAIL");
      srv_field(s, "err_code", "ORDERCLOSED");
      srv_field(s, "err_code_des", "订单已关闭");
    } else {
      s->order_state = 1;
      srv_field(s, "result_code", "SUCCESS");
    }
  }
  answer.data = s->fields;
  answer.count = s->count;
  out_add(out, cap, &n, "<xml>");
  while (wxpay_fields_next(&answer, &cur, &name, &value)) {
    out_add(out, cap, &n, "<");
    out_add(out, cap, &n, name);
    out_add(out, cap, &n, "><![CDATA[");
    out_add(out, cap, &n, value);
    out_add(out, cap, &n, "]]></");
    out_add(out, cap, &n, name);
    out_add(out, cap, &n, ">");
  }
  /* the server signs what it sends: every non-empty field but sign */
  if (!strcmp(wxpay_fields_get(&answer, "return_code"), "SUCCESS") &&
      wxpay_sign_fields(&s->keyring, &answer, expect) == WXPAY_OK) {
    out_add(out, cap, &n, "<sign><![CDATA[");
    out_add(out, cap, &n, expect);
    out_add(out, cap, &n, "]]></sign>");
  }
  out_add(out, cap, &n, "</xml>");
  return n;
}

/* The "network link": a request goes out, the reply comes back a few ticks
   later, like a non-blocking socket in an event loop would see it. */
#define LINK_LATENCY_TICKS 3u
static struct {
  int busy;
  unsigned long ready_at;
  char reply[1024];
  size_t reply_len;
} g_link;

static int link_send(const char *body, size_t len) {
  if (g_link.busy) return -1;
  g_link.reply_len = fake_server_answer(&g_server, body, len, g_link.reply, sizeof g_link.reply);
  g_link.ready_at = g_tick + LINK_LATENCY_TICKS;
  g_link.busy = 1;
  return 0;
}

/* 1 and the reply copied into buf when it has arrived, else 0. */
static int link_poll(char *buf, size_t cap, size_t *len) {
  if (!g_link.busy || g_tick < g_link.ready_at) return 0;
  *len = g_link.reply_len < cap ? g_link.reply_len : cap;
  memcpy(buf, g_link.reply, *len);
  g_link.busy = 0;
  return 1;
}

/* ===================================================================== */
/* The device code                                                       */
/* ===================================================================== */

static void say(const char *what, const char *detail) {
  printf("[t=%3lu.%lus] %s%s\n", g_tick / TICKS_PER_S, g_tick % TICKS_PER_S, what,
         detail ? detail : "");
}

static const wxpay_sub_order g_subs[] = {{"1900009001", "OD201708030001"}};

static void make_client(wxpay_client *cli) {
  memset(cli, 0, sizeof *cli); /* zero = every default */
  cli->api_key = MERCHANT_KEY; /* in flash or a secure element, in real life */
  cli->random = dev_random;
  cli->clock = dev_clock;
  (void)wxpay_client_init(cli); /* caches the HMAC key pads: cheaper signing */
}

static void make_request(wxpay_close_req *req, long long created_at) {
  memset(req, 0, sizeof *req);
  req->combine_appid = APPID;
  req->combine_mch_id = MCHID;
  req->combine_out_trade_no = ORDER_NO;
  req->sub_orders = g_subs;
  req->sub_order_count = 1;
  req->created_at = created_at; /* enables the one-minute guard */
}

/* 1. The split path: one state per tick, nothing blocks. */
enum task_state { ST_IDLE, ST_WAIT_AGE, ST_BUILD, ST_IN_FLIGHT, ST_BACKOFF, ST_DONE };

static wxpay_outcome split_path_close(void) {
  static char tx[1024];         /* the request body */
  static char rx[1024];         /* the response body, parsed in place */
  static wxpay_client cli;
  static wxpay_close_req req;
  static wxpay_close_resp resp; /* points into rx: keep rx alive with it */
  enum task_state st = ST_IDLE;
  unsigned long wake = 0;
  size_t tx_len = 0, rx_len = 0;
  int attempts = 0;
  char num[48];
  wxpay_err e;

  make_client(&cli);
  make_request(&req, dev_clock(NULL) - 30); /* the order is 30 s old */
  while (st != ST_DONE) {
    switch (st) {
    case ST_IDLE: {
      long long wait = wxpay_close_wait_seconds(&cli, &req);
      if (wait > 0) {
        snprintf(num, sizeof num, "%lld s before closing", wait);
        say("order too young (one-minute rule): waiting ", num);
        wake = g_tick + (unsigned long)wait * TICKS_PER_S;
        st = ST_WAIT_AGE;
      } else {
        st = ST_BUILD;
      }
      break;
    }
    case ST_WAIT_AGE:
      if (g_tick >= wake) st = ST_IDLE;
      break;
    case ST_BUILD:
      e = wxpay_close_build(&cli, &req, tx, sizeof tx, &tx_len);
      if (e != WXPAY_OK) {
        say("build failed: ", wxpay_err_name(e));
        return WXPAY_OUTCOME_NONE;
      }
      attempts++;
      snprintf(num, sizeof num, "%lu bytes (attempt %d)", (unsigned long)tx_len, attempts);
      say("wxpay_close_build(): POST ", num);
      if (link_send(tx, tx_len) != 0) return WXPAY_OUTCOME_NONE;
      st = ST_IN_FLIGHT;
      break;
    case ST_IN_FLIGHT:
      if (!link_poll(rx, sizeof rx, &rx_len)) break; /* not yet: do other work */
      e = wxpay_close_parse(&cli, &req, rx, rx_len, &resp);
      if (e != WXPAY_OK) { /* untrustworthy: never acted upon */
        say("response refused: ", wxpay_err_name(e));
        return WXPAY_OUTCOME_NONE;
      }
      snprintf(num, sizeof num, "%s%s%s", wxpay_outcome_name(resp.outcome),
               *resp.err_code ? " " : "", resp.err_code);
      say("wxpay_close_parse(): signature verified, outcome ", num);
      if (resp.outcome == WXPAY_OUTCOME_RETRY && attempts < 3) {
        wake = g_tick + 2 * TICKS_PER_S; /* back off, same order, fresh nonce */
        st = ST_BACKOFF;
      } else {
        st = ST_DONE;
      }
      break;
    case ST_BACKOFF:
      if (g_tick >= wake) st = ST_BUILD;
      break;
    case ST_DONE:
      break;
    }
    g_tick++; /* the rest of the event loop runs here */
  }
  return resp.outcome;
}

/* 2. The blocking path: the same link behind a wxpay_transport_fn. */
static wxpay_net link_transport(void *user, const wxpay_http_req *hreq, wxpay_http_resp *hresp) {
  unsigned long deadline = g_tick + hreq->timeout_ms / 100u;
  (void)user;
  if (link_send(hreq->body, hreq->body_len) != 0) return WXPAY_NET_IO;
  while (!link_poll(hresp->body, hresp->body_cap, &hresp->body_len)) {
    if (g_tick >= deadline) return WXPAY_NET_TIMEOUT;
    g_tick++; /* an RTOS task would block on the socket here */
  }
  hresp->status = 200;
  return WXPAY_NET_OK;
}

static wxpay_outcome blocking_path_close(int *attempts) {
  static char work[WXPAY_CLOSE_WORK_SIZE]; /* request + response */
  static wxpay_client cli;
  static wxpay_close_req req;
  static wxpay_close_resp resp;
  wxpay_err e;
  make_client(&cli);
  cli.transport = link_transport;
  make_request(&req, dev_clock(NULL) - 3600);
  e = wxpay_close(&cli, &req, &resp, work, sizeof work);
  *attempts = resp.attempts;
  if (e != WXPAY_OK) {
    say("wxpay_close() failed: ", wxpay_err_name(e));
    return WXPAY_OUTCOME_NONE;
  }
  return resp.outcome;
}

int main(void) {
  wxpay_outcome first, second;
  int attempts = 0;
  char num[64];

  /* FAKE SERVER set-up: it knows the merchant's key, like WeChat does */
  g_server.keyring.api_key = MERCHANT_KEY;
  g_server.keyring.random = dev_random;
  g_server.hiccups = 1;                     /* one SYSTEMERROR, to show the retry */

  printf("wxpay_close.h %s, embedded-style: static buffers, WXPAY_NO_OS\n", WXPAY_VERSION);
  printf("split path (event loop): build -> send -> parse\n");
  first = split_path_close();
  printf("blocking path: wxpay_close() through a transport callback\n");
  second = blocking_path_close(&attempts);
  snprintf(num, sizeof num, "%s after %d attempt(s)", wxpay_outcome_name(second), attempts);
  say("wxpay_close(): ", num);

  if (first == WXPAY_OUTCOME_CLOSED && second == WXPAY_OUTCOME_ALREADY_CLOSED) {
    printf("ok: closed, then already closed\n");
    return 0;
  }
  printf("unexpected outcomes: %s, %s\n", wxpay_outcome_name(first), wxpay_outcome_name(second));
  return 1;
}
