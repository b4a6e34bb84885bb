/* win_test.c -- what is Windows-specific in wxpay_close.h, run under wine by
   tests/windows/run.sh (built with mingw-w64, -lbcrypt): the default random
   source (BCryptGenRandom), the default clock (time()) against the Windows
   system clock, and a whole build / parse round trip with neither callback
   given, as a Windows program with no sockets would use it. PASS/FAIL lines
   (tests/unit/t.h). */
#define WXPAY_CLOSE_IMPLEMENTATION
#include "wxpay_close.h"
#include <windows.h>
#include <stdlib.h>
#include "tests/unit/t.h"
#include "tests/unit/fixtures.h"

#ifndef _WIN32
#error "a Windows program: build it with mingw-w64"
#endif
#ifndef WXPAY__RANDOM_WIN32
#error "wxpay_close.h did not pick BCryptGenRandom on Windows"
#endif

#define KEY "192006250b4c09247ec02edce69f6a2d"

static const wxpay_sub_order subs[1] = {{"1900009001", "OD201708030001"}};

static void request(wxpay_close_req *req) {
  memset(req, 0, sizeof *req);
  req->combine_appid = "wx8888888888888888";
  req->combine_mch_id = "1900000109";
  req->combine_out_trade_no = "1217752501201407033233368018";
  req->sub_orders = subs;
  req->sub_order_count = 1;
}

static int in_alphabet(char c) {
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/* 2000 nonces from the default source: each 32 of [0-9A-Za-z], no two alike,
   every one of the 62 characters drawn (a stuck or constant source fails) */
static void default_random_is_bcryptgenrandom_and_looks_random(void) {
  static char nonces[2000][33];
  unsigned long seen[62];
  wxpay_client cli;
  size_t i, j, distinct = 0;
  memset(&cli, 0, sizeof cli);
  memset(seen, 0, sizeof seen);
  CHECK(cli.random == NULL);
  for (i = 0; i < 2000; i++) {
    CHECK_ERR(wxpay_nonce(&cli, nonces[i]), WXPAY_OK);
    CHECK(strlen(nonces[i]) == 32);
    for (j = 0; j < 32; j++) {
      char c = nonces[i][j];
      CHECK(in_alphabet(c));
      if (!in_alphabet(c)) return;
      seen[c <= '9' ? c - '0' : c <= 'Z' ? c - 'A' + 10 : c - 'a' + 36]++;
    }
  }
  for (i = 0; i < 62; i++) distinct += seen[i] > 0;
  CHECK(distinct == 62);
  for (i = 1; i < 2000; i++) CHECK(strcmp(nonces[i], nonces[i - 1]) != 0);
  CHECK(strcmp(nonces[0], nonces[1999]) != 0);
}

/* BCryptGenRandom itself, as the header calls it (the import the exe has is
   checked by run.sh) */
static void bcryptgenrandom_system_rng_answers(void) {
  unsigned char a[32], b[32];
  memset(a, 0, sizeof a);
  memset(b, 0, sizeof b);
  CHECK(BCryptGenRandom(NULL, a, (ULONG)sizeof a, BCRYPT_USE_SYSTEM_PREFERRED_RNG) == 0);
  CHECK(BCryptGenRandom(NULL, b, (ULONG)sizeof b, BCRYPT_USE_SYSTEM_PREFERRED_RNG) == 0);
  CHECK(memcmp(a, b, sizeof a) != 0);
}

/* Unix seconds from the Windows system clock (100 ns ticks since 1601) */
static long long windows_unix_now(void) {
  FILETIME ft;
  ULARGE_INTEGER t;
  GetSystemTimeAsFileTime(&ft);
  t.LowPart = ft.dwLowDateTime;
  t.HighPart = ft.dwHighDateTime;
  return (long long)(t.QuadPart / 10000000ULL) - 11644473600LL;
}

/* the default clock is Unix time: the one-minute guard counts from it */
static void default_clock_is_unix_time_on_windows(void) {
  wxpay_client cli;
  wxpay_close_req req;
  long long now = windows_unix_now(), wait;
  memset(&cli, 0, sizeof cli);
  cli.api_key = KEY;
  CHECK(cli.clock == NULL);
  CHECK(sizeof(time_t) == 8); /* no 2038 limit in the default clock */
  request(&req);
  req.created_at = now - 20;
  wait = wxpay_close_wait_seconds(&cli, &req);
  CHECK(wait >= 38 && wait <= 42);
  CHECK_ERR(wxpay_close_validate(&cli, &req, NULL, NULL), WXPAY_ERR_TOO_EARLY);
  req.created_at = now - 3600;
  CHECK(wxpay_close_wait_seconds(&cli, &req) == 0);
  CHECK_ERR(wxpay_close_validate(&cli, &req, NULL, NULL), WXPAY_OK);
}

/* build with the default random source, then parse a signed answer (a
   fixture of tests/unit): the path of a Windows program that sends through
   its own transport */
static void build_and_parse_without_callbacks(void) {
  static char body[4096];
  static char answer[] = RESP_CLOSED;
  wxpay_client cli;
  wxpay_close_req req;
  wxpay_close_resp resp;
  size_t len = 0;
  const char *nonce;
  memset(&cli, 0, sizeof cli);
  cli.api_key = KEY;
  CHECK_ERR(wxpay_client_init(&cli), WXPAY_OK);
  request(&req);
  CHECK_ERR(wxpay_close_build(&cli, &req, body, sizeof body, &len), WXPAY_OK);
  CHECK(len > 0 && strstr(body, "<sign>") != NULL);
  nonce = strstr(body, "<nonce_str>");
  CHECK(nonce != NULL);
  CHECK_ERR(wxpay_close_parse(&cli, &req, answer, sizeof answer - 1, &resp), WXPAY_OK);
  CHECK(resp.verified == 1 && resp.outcome == WXPAY_OUTCOME_CLOSED);
  wxpay_client_wipe(&cli);
}

int main(void) {
  RUN(default_random_is_bcryptgenrandom_and_looks_random);
  RUN(bcryptgenrandom_system_rng_answers);
  RUN(default_clock_is_unix_time_on_windows);
  RUN(build_and_parse_without_callbacks);
  return t_total_failed ? 1 : 0;
}
