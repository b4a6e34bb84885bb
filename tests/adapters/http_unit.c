/* http_unit.c -- the HTTP/1.1 client of adapters/wxpay_http.h over an
   in-memory stream: framing, caps, header slots, the request head, timeouts.
   Prints PASS/FAIL lines (tests/CONVENTIONS.md). No network. */
#define _POSIX_C_SOURCE 200809L
#define WXPAY_HTTP_IMPLEMENTATION
#include "adapters/wxpay_http.h"

#include <stdio.h>
#include <string.h>

static int failures;

static void result(const char *name, int ok, const char *why) {
  if (ok)
    printf("PASS %s\n", name);
  else {
    printf("FAIL %s: %s\n", name, why);
    failures++;
  }
}

/* ---- an in-memory stream: replays `in` in pieces of `step` bytes ---- */

typedef struct mem {
  const char *in;
  size_t in_len, in_pos, step;
  size_t send_step;        /* most bytes one send() takes (0: all) */
  char out[16384];
  size_t out_len;
  int stall_at_end;        /* at the end: time out instead of EOF */
  unsigned long clock;     /* fake monotonic clock */
  unsigned long tick;      /* advanced by every recv() */
} mem;

static wxpay_net mem_send(void *ctx, const unsigned char *data, size_t len,
                          size_t *sent, unsigned timeout_ms) {
  mem *m = (mem *)ctx;
  (void)timeout_ms;
  if (m->send_step && len > m->send_step) len = m->send_step;
  if (len > sizeof m->out - m->out_len) return WXPAY_NET_IO;
  memcpy(m->out + m->out_len, data, len);
  m->out_len += len;
  *sent = len;
  return WXPAY_NET_OK;
}

static wxpay_net mem_recv(void *ctx, unsigned char *buf, size_t cap,
                          size_t *got, unsigned timeout_ms) {
  mem *m = (mem *)ctx;
  size_t n = m->in_len - m->in_pos;
  m->clock += m->tick;
  if (n == 0) {
    *got = 0;
    if (m->stall_at_end) {
      m->clock += timeout_ms;
      return WXPAY_NET_TIMEOUT;
    }
    return WXPAY_NET_OK;
  }
  if (m->step && n > m->step) n = m->step;
  if (n > cap) n = cap;
  memcpy(buf, m->in + m->in_pos, n);
  m->in_pos += n;
  *got = n;
  return WXPAY_NET_OK;
}

static unsigned long mem_now(void *ctx) { return ((mem *)ctx)->clock; }

typedef struct run {
  wxpay_net net;
  int status;
  char body[512];
  size_t body_len;
  wxpay_header_slot slots[3];
  char v0[64], v1[4], v2[64];
  mem m;
} run;

static const char *REQ_BODY = "<xml></xml>";

/* Runs one exchange of a canned response; cap is resp->body_cap. */
static void exchange(run *r, const char *response, size_t step, size_t cap,
                     const wxpay_header *hdrs, size_t nh, unsigned timeout) {
  wxpay_stream s;
  wxpay_url u;
  wxpay_http_req req;
  wxpay_http_resp resp;
  memset(r, 0, sizeof *r);
  r->m.in = response;
  r->m.in_len = strlen(response);
  r->m.step = step;
  s.ctx = &r->m;
  s.send = mem_send;
  s.recv = mem_recv;
  s.now_ms = mem_now;
  wxpay_url_parse("http://example.com:8080/pay/closecombinedorder", &u);
  memset(&req, 0, sizeof req);
  req.method = "POST";
  req.url = "http://example.com:8080/pay/closecombinedorder";
  req.headers = hdrs;
  req.header_count = nh;
  req.body = REQ_BODY;
  req.body_len = strlen(REQ_BODY);
  req.timeout_ms = timeout;
  r->slots[0].name = "x-request-id";
  r->slots[0].value = r->v0;
  r->slots[0].cap = sizeof r->v0;
  r->slots[1].name = "X-SHORT";
  r->slots[1].value = r->v1;
  r->slots[1].cap = sizeof r->v1;
  r->slots[2].name = "X-Absent";
  r->slots[2].value = r->v2;
  r->slots[2].cap = sizeof r->v2;
  memset(&resp, 0, sizeof resp);
  resp.body = r->body;
  resp.body_cap = cap;
  resp.headers = r->slots;
  resp.header_count = 3;
  r->net = wxpay_http_exchange(&s, &u, &req, &resp, r->m.clock, timeout);
  r->status = resp.status;
  r->body_len = resp.body_len;
}

static const char *net_name(wxpay_net n) {
  switch (n) {
  case WXPAY_NET_OK: return "OK";
  case WXPAY_NET_DNS: return "DNS";
  case WXPAY_NET_CONNECT: return "CONNECT";
  case WXPAY_NET_TLS: return "TLS";
  case WXPAY_NET_TIMEOUT: return "TIMEOUT";
  case WXPAY_NET_IO: return "IO";
  case WXPAY_NET_TOO_LARGE: return "TOO_LARGE";
  }
  return "?";
}

static int body_is(const run *r, const char *want) {
  return r->body_len == strlen(want) && memcmp(r->body, want, r->body_len) == 0;
}

/* Each framing at several read sizes: 1 byte at a time exercises every
   buffer boundary. */
static const size_t steps[] = {1, 2, 3, 7, 64, 100000};
#define NSTEPS (sizeof steps / sizeof steps[0])

static void expect_body(const char *name, const char *response, size_t cap,
                        wxpay_net want_net, int want_status,
                        const char *want_body) {
  size_t i;
  char why[256];
  for (i = 0; i < NSTEPS; i++) {
    run r;
    exchange(&r, response, steps[i], cap, NULL, 0, 5000);
    if (r.net != want_net || (want_net == WXPAY_NET_OK && r.status != want_status) ||
        (want_body && !body_is(&r, want_body))) {
      snprintf(why, sizeof why, "step %zu: net=%s status=%d body_len=%zu",
               steps[i], net_name(r.net), r.status, r.body_len);
      result(name, 0, why);
      return;
    }
  }
  result(name, 1, "");
}

static void test_framing(void) {
  expect_body("http_content_length_body_read_at_every_split",
              "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", 64,
              WXPAY_NET_OK, 200, "hello");
  expect_body("http_chunked_body_reassembled_with_extensions_and_trailers",
              "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
              "3;ext=1\r\nabc\r\nA\r\n0123456789\r\n0\r\nX-Trailer: t\r\n\r\n",
              64, WXPAY_NET_OK, 200, "abc0123456789");
  expect_body("http_chunked_end_without_final_crlf_still_complete",
              "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n",
              64, WXPAY_NET_OK, 200, "ok");
  expect_body("http_read_to_close_body_read",
              "HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\n\r\n<xml>x</xml>", 64,
              WXPAY_NET_OK, 200, "<xml>x</xml>");
  expect_body("http_unknown_transfer_coding_read_to_close",
              "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nContent-Length: 2\r\n\r\nabcd",
              64, WXPAY_NET_OK, 200, "abcd");
  expect_body("http_bare_lf_line_ends_accepted",
              "HTTP/1.1 200 OK\nContent-Length: 2\n\nok", 64, WXPAY_NET_OK, 200, "ok");
  expect_body("http_status_without_reason_accepted",
              "HTTP/1.1 500\r\nContent-Length: 0\r\n\r\n", 64, WXPAY_NET_OK, 500, "");
  expect_body("http_interim_100_continue_skipped",
              "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
              64, WXPAY_NET_OK, 200, "ok");
  expect_body("http_body_exactly_at_cap_fits_content_length",
              "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nabcd", 4, WXPAY_NET_OK, 200, "abcd");
  expect_body("http_body_exactly_at_cap_fits_chunked",
              "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n2\r\ncd\r\n0\r\n\r\n",
              4, WXPAY_NET_OK, 200, "abcd");
  expect_body("http_body_exactly_at_cap_fits_read_to_close",
              "HTTP/1.1 200 OK\r\n\r\nabcd", 4, WXPAY_NET_OK, 200, "abcd");
  expect_body("http_body_over_cap_is_too_large_content_length",
              "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nabcde", 4,
              WXPAY_NET_TOO_LARGE, 200, NULL);
  expect_body("http_body_over_cap_is_too_large_chunked",
              "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n3\r\ncde\r\n0\r\n\r\n",
              4, WXPAY_NET_TOO_LARGE, 200, NULL);
  expect_body("http_body_over_cap_is_too_large_read_to_close",
              "HTTP/1.1 200 OK\r\n\r\nabcde", 4, WXPAY_NET_TOO_LARGE, 200, NULL);
  expect_body("http_huge_content_length_is_too_large_before_reading",
              "HTTP/1.1 200 OK\r\nContent-Length: 99999999999\r\n\r\n", 64,
              WXPAY_NET_TOO_LARGE, 200, NULL);
  expect_body("http_body_shorter_than_content_length_is_io",
              "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", 64, WXPAY_NET_IO, 0, NULL);
  expect_body("http_chunked_cut_mid_chunk_is_io",
              "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab", 64,
              WXPAY_NET_IO, 0, NULL);
  expect_body("http_chunked_bad_size_is_io",
              "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nab\r\n0\r\n\r\n", 64,
              WXPAY_NET_IO, 0, NULL);
  expect_body("http_chunked_missing_crlf_after_data_is_io",
              "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabX\r\n0\r\n\r\n", 64,
              WXPAY_NET_IO, 0, NULL);
  expect_body("http_conflicting_content_lengths_are_io",
              "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nabc", 64,
              WXPAY_NET_IO, 0, NULL);
  expect_body("http_bad_content_length_is_io",
              "HTTP/1.1 200 OK\r\nContent-Length: 2x\r\n\r\nab", 64, WXPAY_NET_IO, 0, NULL);
  expect_body("http_no_answer_at_all_is_io", "", 64, WXPAY_NET_IO, 0, NULL);
  expect_body("http_eof_inside_headers_is_io", "HTTP/1.1 200 OK\r\nContent-Le", 64,
              WXPAY_NET_IO, 0, NULL);
  expect_body("http_non_http_status_line_is_io", "<xml>not http</xml>\r\n\r\n", 64,
              WXPAY_NET_IO, 0, NULL);
  expect_body("http_http2_status_line_is_io", "HTTP/2 200\r\n\r\n", 64, WXPAY_NET_IO, 0, NULL);
  expect_body("http_two_digit_status_is_io", "HTTP/1.1 20 OK\r\n\r\n", 64, WXPAY_NET_IO, 0, NULL);
  expect_body("http_header_without_colon_is_io",
              "HTTP/1.1 200 OK\r\nBroken header\r\nContent-Length: 0\r\n\r\n", 64,
              WXPAY_NET_IO, 0, NULL);
  expect_body("http_switching_protocols_is_io", "HTTP/1.1 101 Switching\r\n\r\n", 64,
              WXPAY_NET_IO, 0, NULL);
}

static void test_slots(void) {
  run r;
  static char response[4096];
  size_t i, n;
  exchange(&r, "HTTP/1.1 200 OK\r\nX-Request-ID:   abc123  \r\nx-short: 123456\r\n"
               "X-Request-Id: second\r\nContent-Length: 0\r\n\r\n",
           1, 64, NULL, 0, 5000);
  result("http_header_slots_filled_case_insensitive_trimmed_first_wins",
         r.net == WXPAY_NET_OK && r.slots[0].found == 1 && strcmp(r.v0, "abc123") == 0 &&
             r.slots[0].len == 6,
         r.v0);
  result("http_header_slot_truncated_to_cap_minus_one",
         r.slots[1].found == 1 && strcmp(r.v1, "123") == 0 && r.slots[1].len == 3, r.v1);
  result("http_header_slot_absent_not_found",
         r.slots[2].found == 0 && r.slots[2].len == 0 && r.v2[0] == '\0', "found");

  /* a header line longer than WXPAY_HTTP_BUF_SIZE: kept, cut, not refused */
  n = (size_t)snprintf(response, sizeof response, "HTTP/1.1 200 OK\r\nX-Request-Id: ");
  for (i = 0; i < 3000; i++) response[n++] = (char)('a' + (int)(i % 26));
  n += (size_t)snprintf(response + n, sizeof response - n,
                        "\r\nX-Short: yes\r\nContent-Length: 2\r\n\r\nok");
  for (i = 0; i < NSTEPS; i++) {
    exchange(&r, response, steps[i], 64, NULL, 0, 5000);
    if (!(r.net == WXPAY_NET_OK && body_is(&r, "ok") && r.slots[0].found &&
          strncmp(r.v0, "abcdef", 6) == 0 && r.slots[0].len == sizeof r.v0 - 1 &&
          r.slots[1].found && strcmp(r.v1, "yes") == 0))
      break;
  }
  result("http_header_line_longer_than_buffer_cut_not_refused", i == NSTEPS,
         "long header broke the exchange");

  /* the LIMITS: a line of WXPAY_HTTP_MAX_LINE bytes passes, one byte more
     is TOO_LARGE, whatever the pieces the stream hands over (the CR may
     arrive alone, at any buffer boundary) */
  {
    static char big[WXPAY_HTTP_MAX_LINE + 256];
    size_t extra;
    for (extra = 0; extra < 2; extra++) {
      size_t k, want = WXPAY_HTTP_MAX_LINE + extra;
      n = (size_t)snprintf(big, sizeof big, "HTTP/1.1 200 OK\r\n");
      k = n;
      n += (size_t)snprintf(big + n, sizeof big - n, "X-Long: ");
      while (n - k < want) big[n++] = 'a';
      n += (size_t)snprintf(big + n, sizeof big - n, "\r\nContent-Length: 2\r\n\r\nok");
      for (i = 0; i < NSTEPS; i++) {
        exchange(&r, big, steps[i], 64, NULL, 0, 5000);
        if (r.net != (extra ? WXPAY_NET_TOO_LARGE : WXPAY_NET_OK)) break;
      }
      result(extra ? "http_header_line_one_byte_over_the_limit_too_large_at_every_step"
                   : "http_header_line_at_the_limit_accepted_at_every_step",
             i == NSTEPS, net_name(r.net));
    }
  }

  exchange(&r, "HTTP/1.1 100 Continue\r\nX-Request-Id: interim\r\n\r\n"
               "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
           3, 64, NULL, 0, 5000);
  result("http_interim_response_headers_forgotten",
         r.net == WXPAY_NET_OK && r.status == 200 && r.slots[0].found == 0, r.v0);
}

static int contains(const mem *m, const char *s) {
  size_t n = strlen(s), i;
  for (i = 0; i + n <= m->out_len; i++)
    if (memcmp(m->out + i, s, n) == 0) return 1;
  return 0;
}

static int count(const mem *m, const char *s) {
  size_t n = strlen(s), i;
  int c = 0;
  for (i = 0; i + n <= m->out_len; i++)
    if (memcmp(m->out + i, s, n) == 0) c++;
  return c;
}

static void test_request(void) {
  run r;
  static const wxpay_header given[] = {
      {"User-Agent", "wxpay_close.h/" WXPAY_VERSION " test"},
      {"X-Extra", "1"},
      {"Content-Length", "999"},
      {"Host", "evil.example"},
  };
  static const wxpay_header bad[] = {{"X-Evil", "a\r\nInjected: yes"}};
  static const wxpay_header badname[] = {{"X Evil", "a"}};
  const char *ok = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
  const char *head_end;

  exchange(&r, ok, 100, 64, NULL, 0, 5000);
  head_end = "\r\n\r\n<xml></xml>";
  result("http_request_line_and_host_with_port",
         r.m.out_len > 0 &&
             memcmp(r.m.out, "POST /pay/closecombinedorder HTTP/1.1\r\nHost: example.com:8080\r\n",
                    strlen("POST /pay/closecombinedorder HTTP/1.1\r\nHost: example.com:8080\r\n")) == 0,
         "bad request line");
  result("http_request_carries_spec_headers",
         contains(&r.m, "\r\nContent-Type: text/xml; charset=utf-8\r\n") &&
             contains(&r.m, "\r\nAccept: text/xml, text/plain, application/x-gzip\r\n") &&
             contains(&r.m, "\r\nUser-Agent: wxpay_close.h/" WXPAY_VERSION "\r\n") &&
             contains(&r.m, "\r\nContent-Length: 11\r\n") &&
             contains(&r.m, "\r\nConnection: close\r\n"),
         "a header is missing");
  result("http_request_body_follows_head",
         r.m.out_len > strlen(head_end) &&
             memcmp(r.m.out + r.m.out_len - strlen(head_end), head_end, strlen(head_end)) == 0,
         "body not at the end");

  exchange(&r, ok, 100, 64, given, 4, 5000);
  result("http_given_headers_override_defaults_owned_ones_dropped",
         r.net == WXPAY_NET_OK && count(&r.m, "User-Agent:") == 1 &&
             contains(&r.m, "\r\nUser-Agent: wxpay_close.h/" WXPAY_VERSION " test\r\n") &&
             contains(&r.m, "\r\nX-Extra: 1\r\n") && count(&r.m, "Content-Length:") == 1 &&
             contains(&r.m, "\r\nContent-Length: 11\r\n") && count(&r.m, "Host:") == 1 &&
             !contains(&r.m, "evil.example"),
         "headers wrong");

  exchange(&r, ok, 100, 64, bad, 1, 5000);
  result("http_header_value_with_crlf_refused_before_sending",
         r.net == WXPAY_NET_IO && r.m.out_len == 0, "sent or accepted");
  exchange(&r, ok, 100, 64, badname, 1, 5000);
  result("http_header_name_with_space_refused_before_sending",
         r.net == WXPAY_NET_IO && r.m.out_len == 0, "sent or accepted");

  {
    /* a stream that takes 7 bytes per send */
    wxpay_stream s;
    wxpay_url u;
    wxpay_http_req req;
    wxpay_http_resp resp;
    char body[64];
    wxpay_net n;
    memset(&r, 0, sizeof r);
    r.m.in = ok;
    r.m.in_len = strlen(ok);
    r.m.send_step = 7;
    s.ctx = &r.m;
    s.send = mem_send;
    s.recv = mem_recv;
    s.now_ms = mem_now;
    wxpay_url_parse("https://api.mch.weixin.qq.com/pay/closecombinedorder", &u);
    memset(&req, 0, sizeof req);
    req.url = "https://api.mch.weixin.qq.com/pay/closecombinedorder";
    req.body = REQ_BODY;
    req.body_len = strlen(REQ_BODY);
    memset(&resp, 0, sizeof resp);
    resp.body = body;
    resp.body_cap = sizeof body;
    n = wxpay_http_exchange(&s, &u, &req, &resp, 0, 5000);
    result("http_partial_sends_complete_the_request_default_port_not_in_host",
           n == WXPAY_NET_OK && resp.status == 200 &&
               contains(&r.m, "\r\nHost: api.mch.weixin.qq.com\r\n") &&
               contains(&r.m, "\r\n\r\n<xml></xml>"),
           "request incomplete");
  }
}

static void test_timeouts(void) {
  run r;
  /* the server never closes a read-to-close body: the budget ends it */
  {
    wxpay_stream s;
    wxpay_url u;
    wxpay_http_req req;
    wxpay_http_resp resp;
    char body[64];
    wxpay_net n;
    memset(&r, 0, sizeof r);
    r.m.in = "HTTP/1.1 200 OK\r\n\r\nabc";
    r.m.in_len = strlen(r.m.in);
    r.m.stall_at_end = 1;
    r.m.tick = 10;
    s.ctx = &r.m;
    s.send = mem_send;
    s.recv = mem_recv;
    s.now_ms = mem_now;
    wxpay_url_parse("http://h/", &u);
    memset(&req, 0, sizeof req);
    req.url = "http://h/";
    memset(&resp, 0, sizeof resp);
    resp.body = body;
    resp.body_cap = sizeof body;
    n = wxpay_http_exchange(&s, &u, &req, &resp, 0, 1000);
    result("http_stalled_server_times_out_within_budget",
           n == WXPAY_NET_TIMEOUT && r.m.clock <= 1000 + 10, "no timeout");
  }
  /* a server trickling one byte per 300 ms: the whole exchange has one
     budget, not one per read */
  {
    static const char slow[] = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
    exchange(&r, slow, 1, 64, NULL, 0, 0); /* warm: 0 = default budget */
    result("http_zero_timeout_means_default_budget", r.net == WXPAY_NET_OK, "failed");
    memset(&r, 0, sizeof r);
    {
      wxpay_stream s;
      wxpay_url u;
      wxpay_http_req req;
      wxpay_http_resp resp;
      char body[64];
      wxpay_net n;
      r.m.in = slow;
      r.m.in_len = strlen(slow);
      r.m.step = 1;
      r.m.tick = 300;
      s.ctx = &r.m;
      s.send = mem_send;
      s.recv = mem_recv;
      s.now_ms = mem_now;
      wxpay_url_parse("http://h/", &u);
      memset(&req, 0, sizeof req);
      req.url = "http://h/";
      memset(&resp, 0, sizeof resp);
      resp.body = body;
      resp.body_cap = sizeof body;
      n = wxpay_http_exchange(&s, &u, &req, &resp, 0, 2000);
      result("http_trickling_server_times_out_on_the_whole_budget",
             n == WXPAY_NET_TIMEOUT && r.m.clock <= 2000 + 300, "no timeout");
    }
  }
}

static void test_url(void) {
  wxpay_url u;
  int ok;
  ok = wxpay_url_parse("https://api.mch.weixin.qq.com/pay/closecombinedorder", &u) == 0 &&
       u.https == 1 && u.port == 443 && !u.port_given &&
       strcmp(u.host, "api.mch.weixin.qq.com") == 0 && u.path_len == 23 &&
       strncmp(u.path, "/pay/closecombinedorder", u.path_len) == 0;
  result("url_https_default_port", ok, "parse");
  ok = wxpay_url_parse("HTTP://127.0.0.1:8080/a/b?x=1#frag", &u) == 0 && u.https == 0 &&
       u.port == 8080 && strcmp(u.host, "127.0.0.1") == 0 && u.path_len == 8 &&
       strncmp(u.path, "/a/b?x=1", u.path_len) == 0;
  result("url_http_port_query_kept_fragment_dropped", ok, "parse");
  ok = wxpay_url_parse("http://[::1]:99", &u) == 0 && u.ipv6 && strcmp(u.host, "::1") == 0 &&
       u.port == 99 && u.path_len == 1 && u.path[0] == '/';
  result("url_ipv6_literal_and_empty_path", ok, "parse");
  ok = wxpay_url_parse("ftp://h/", &u) != 0 && wxpay_url_parse("http://", &u) != 0 &&
       wxpay_url_parse("http://h:0/", &u) != 0 && wxpay_url_parse("http://h:65536/", &u) != 0 &&
       wxpay_url_parse("http://user@h/", &u) != 0 && wxpay_url_parse("http://h:12a/", &u) != 0 &&
       wxpay_url_parse("http://h/a b", &u) != 0 && wxpay_url_parse("http://[::1/", &u) != 0 &&
       wxpay_url_parse("https:/h/", &u) != 0 && wxpay_url_parse("", &u) != 0 &&
       wxpay_url_parse("http://h?q=1", &u) != 0 &&
       wxpay_url_parse(NULL, &u) != 0;
  result("url_malformed_refused", ok, "accepted a bad URL");
}

int main(void) {
  test_url();
  test_framing();
  test_slots();
  test_request();
  test_timeouts();
  return failures ? 1 : 0;
}
