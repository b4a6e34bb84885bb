/* >>close: wxpay_close() driven through a scripted in-memory transport. */
#define WXPAY_CLOSE_IMPLEMENTATION
#include "common.h"
#include "fixtures.h"

typedef struct step {
  wxpay_net net;
  int status;
  const char *body;
} step;

typedef struct script {
  const step *steps;
  int n, calls;
  char urls[12][128];
  char nonces[12][33];
  int saw_content_type;
  unsigned timeout_ms, connect_timeout_ms;
} script;

static wxpay_net scripted(void *user, const wxpay_http_req *req, wxpay_http_resp *resp) {
  script *s = (script *)user;
  const step *st;
  const char *p;
  size_t i, n;
  if (s->calls >= s->n) return WXPAY_NET_IO;
  st = &s->steps[s->calls];
  strncpy(s->urls[s->calls], req->url, 127);
  p = strstr(req->body, "<nonce_str>");
  if (p) memcpy(s->nonces[s->calls], p + 11, 32);
  for (i = 0; i < req->header_count; i++)
    if (!strcmp(req->headers[i].name, "Content-Type") &&
        !strcmp(req->headers[i].value, "text/xml; charset=utf-8"))
      s->saw_content_type = 1;
  s->timeout_ms = req->timeout_ms;
  s->connect_timeout_ms = req->connect_timeout_ms;
  s->calls++;
  if (strcmp(req->method, "POST") || req->body_len != strlen(req->body)) return WXPAY_NET_IO;
  if (st->net != WXPAY_NET_OK) return st->net;
  resp->status = st->status;
  n = strlen(st->body);
  if (n > resp->body_cap) return WXPAY_NET_TOO_LARGE;
  memcpy(resp->body, st->body, n);
  resp->body_len = n;
  return WXPAY_NET_OK;
}

static char work[WXPAY_CLOSE_WORK_SIZE];
static wxpay_close_resp resp;
static script sc;

static wxpay_err run_script(wxpay_client *c, const step *steps, int n) {
  wxpay_close_req r = seed_req();
  r.nonce_str = NULL;
  memset(&sc, 0, sizeof sc);
  sc.steps = steps;
  sc.n = n;
  c->transport = scripted;
  c->transport_user = &sc;
  return wxpay_close(c, &r, &resp, work, sizeof work);
}

#define OK200 {WXPAY_NET_OK, 200, RESP_CLOSED}

static void close_succeeds_on_first_attempt_with_defaults(void) {
  wxpay_client c = test_client();
  CHECK_ERR(run_script(&c, (const step[]){OK200}, 1), WXPAY_OK);
  CHECK(resp.outcome == WXPAY_OUTCOME_CLOSED && resp.verified && resp.attempts == 1);
  CHECK(sc.calls == 1 && !strcmp(sc.urls[0], WXPAY_ENDPOINT));
  CHECK(sc.saw_content_type && sc.timeout_ms == 8000 && sc.connect_timeout_ms == 6000);
  CHECK(resp.http_status == 200 && resp.net == WXPAY_NET_OK);
}

static void close_retries_systemerror_with_a_fresh_nonce(void) {
  static const step s[] = {{WXPAY_NET_OK, 200, RESP_SYSTEMERROR}, {WXPAY_NET_OK, 200, RESP_CLOSED}};
  wxpay_client c = test_client();
  CHECK_ERR(run_script(&c, s, 2), WXPAY_OK);
  CHECK(resp.outcome == WXPAY_OUTCOME_CLOSED && resp.attempts == 2 && sc.calls == 2);
  CHECK(strlen(sc.nonces[0]) == 32 && strcmp(sc.nonces[0], sc.nonces[1]) != 0);
  CHECK(!strcmp(sc.urls[1], WXPAY_ENDPOINT)); /* no failover on a business answer */
}

static void close_gives_retry_outcome_after_systemerror_on_every_attempt(void) {
  static const step s[] = {{WXPAY_NET_OK, 200, RESP_SYSTEMERROR},
                           {WXPAY_NET_OK, 200, RESP_SYSTEMERROR},
                           {WXPAY_NET_OK, 200, RESP_SYSTEMERROR},
                           {WXPAY_NET_OK, 200, RESP_CLOSED}};
  wxpay_client c = test_client();
  CHECK_ERR(run_script(&c, s, 4), WXPAY_OK);
  CHECK(resp.outcome == WXPAY_OUTCOME_RETRY && sc.calls == 3 && resp.attempts == 3);
  CHECK(!strcmp(resp.err_code, "SYSTEMERROR"));
}

static void close_leaves_frequency_limited_to_the_caller(void) {
  static const step s[] = {{WXPAY_NET_OK, 200, RESP_FREQUENCY_LIMITED}, {WXPAY_NET_OK, 200, RESP_CLOSED}};
  wxpay_client c = test_client();
  CHECK_ERR(run_script(&c, s, 2), WXPAY_OK);
  CHECK(resp.outcome == WXPAY_OUTCOME_RETRY && sc.calls == 1);
}

static int random_calls;
static int fails_second_time(void *user, unsigned char *b, size_t n) {
  (void)user;
  memset(b, 1, n);
  return ++random_calls > 1 ? -1 : 0;
}

static void close_clears_an_earlier_answer_when_a_later_build_fails(void) {
  static const step s[] = {{WXPAY_NET_OK, 200, RESP_SYSTEMERROR}, {WXPAY_NET_OK, 200, RESP_CLOSED}};
  wxpay_client c = test_client();
  random_calls = 0;
  c.random = fails_second_time;
  CHECK_ERR(run_script(&c, s, 2), WXPAY_ERR_RANDOM);
  CHECK(sc.calls == 1 && resp.outcome == WXPAY_OUTCOME_NONE && resp.verified == 0);
  CHECK(!strcmp(resp.err_code, "") && resp.attempts == 1);
}

static void close_never_retries_a_verified_business_answer(void) {
  static const step s[] = {{WXPAY_NET_OK, 200, RESP_ORDERPAID}, {WXPAY_NET_OK, 200, RESP_CLOSED}};
  wxpay_client c = test_client();
  CHECK_ERR(run_script(&c, s, 2), WXPAY_OK);
  CHECK(resp.outcome == WXPAY_OUTCOME_PAID && sc.calls == 1);
  CHECK_ERR(run_script(&c, (const step[]){{WXPAY_NET_OK, 200, RESP_FAIL}, OK200}, 2), WXPAY_OK);
  CHECK(resp.outcome == WXPAY_OUTCOME_REJECTED && sc.calls == 1);
}

static void close_fails_over_to_backup_on_network_failures(void) {
  static const wxpay_net kinds[] = {WXPAY_NET_DNS, WXPAY_NET_CONNECT, WXPAY_NET_TLS, WXPAY_NET_TIMEOUT};
  size_t k;
  for (k = 0; k < 4; k++) {
    step s[2];
    wxpay_client c = test_client();
    s[0].net = kinds[k]; s[0].status = 0; s[0].body = "";
    s[1].net = WXPAY_NET_OK; s[1].status = 200; s[1].body = RESP_CLOSED;
    CHECK_ERR(run_script(&c, s, 2), WXPAY_OK);
    CHECK(resp.outcome == WXPAY_OUTCOME_CLOSED && sc.calls == 2);
    CHECK(!strcmp(sc.urls[0], WXPAY_ENDPOINT) && !strcmp(sc.urls[1], WXPAY_BACKUP_ENDPOINT));
  }
}

static void close_with_custom_endpoint_never_falls_back_to_production(void) {
  static const step s[] = {{WXPAY_NET_CONNECT, 0, ""}, {WXPAY_NET_CONNECT, 0, ""}, {WXPAY_NET_CONNECT, 0, ""}};
  wxpay_client c = test_client();
  int i;
  c.endpoint = "http://127.0.0.1:9/pay/closecombinedorder";
  CHECK_ERR(run_script(&c, s, 3), WXPAY_ERR_TRANSPORT);
  CHECK(sc.calls == 3 && resp.outcome == WXPAY_OUTCOME_RETRY && resp.net == WXPAY_NET_CONNECT);
  for (i = 0; i < 3; i++) CHECK(!strcmp(sc.urls[i], c.endpoint));
  c.backup_endpoint = "http://127.0.0.1:10/pay/closecombinedorder";
  CHECK_ERR(run_script(&c, (const step[]){{WXPAY_NET_TIMEOUT, 0, ""}, OK200}, 2), WXPAY_OK);
  CHECK(!strcmp(sc.urls[1], c.backup_endpoint));
}

static void close_does_not_fail_over_on_io_errors_or_http_status(void) {
  static const step s[] = {{WXPAY_NET_IO, 0, ""}, {WXPAY_NET_OK, 503, "busy"}, OK200};
  wxpay_client c = test_client();
  CHECK_ERR(run_script(&c, s, 3), WXPAY_OK);
  CHECK(sc.calls == 3 && resp.outcome == WXPAY_OUTCOME_CLOSED);
  CHECK(!strcmp(sc.urls[1], WXPAY_ENDPOINT) && !strcmp(sc.urls[2], WXPAY_ENDPOINT));
}

static void close_reports_http_status_and_stops_on_client_errors(void) {
  static const step s500[] = {{WXPAY_NET_OK, 500, "x"}, {WXPAY_NET_OK, 500, "x"}, {WXPAY_NET_OK, 500, "x"}};
  wxpay_client c = test_client();
  CHECK_ERR(run_script(&c, s500, 3), WXPAY_ERR_HTTP_STATUS);
  CHECK(resp.http_status == 500 && sc.calls == 3 && resp.outcome == WXPAY_OUTCOME_RETRY);
  CHECK_ERR(run_script(&c, (const step[]){{WXPAY_NET_OK, 404, "x"}, OK200}, 2), WXPAY_ERR_HTTP_STATUS);
  CHECK(resp.http_status == 404 && sc.calls == 1 && resp.outcome == WXPAY_OUTCOME_NONE);
}

static void close_does_not_retry_an_untrustworthy_answer(void) {
  wxpay_client c = test_client();
  CHECK_ERR(run_script(&c, (const step[]){{WXPAY_NET_OK, 200, RESP_MD5}, OK200}, 2), WXPAY_ERR_SIGNATURE);
  CHECK(sc.calls == 1 && resp.outcome == WXPAY_OUTCOME_NONE);
  CHECK_ERR(run_script(&c, (const step[]){{WXPAY_NET_OK, 200, "<html>"}, OK200}, 2), WXPAY_ERR_XML);
  CHECK(sc.calls == 1);
}

static void close_stops_when_the_response_does_not_fit(void) {
  wxpay_client c = test_client();
  CHECK_ERR(run_script(&c, (const step[]){{WXPAY_NET_TOO_LARGE, 0, ""}, OK200}, 2), WXPAY_ERR_TOO_LARGE);
  CHECK(sc.calls == 1 && resp.outcome == WXPAY_OUTCOME_NONE);
}

static void close_honours_attempt_count(void) {
  static const step s[] = {{WXPAY_NET_IO, 0, ""}, {WXPAY_NET_IO, 0, ""}, {WXPAY_NET_IO, 0, ""},
                           {WXPAY_NET_IO, 0, ""}, {WXPAY_NET_IO, 0, ""}, OK200};
  wxpay_client c = test_client();
  c.attempts = 1;
  CHECK_ERR(run_script(&c, s, 6), WXPAY_ERR_TRANSPORT);
  CHECK(sc.calls == 1 && resp.attempts == 1);
  c.attempts = 6;
  CHECK_ERR(run_script(&c, s, 6), WXPAY_OK);
  CHECK(sc.calls == 6 && resp.attempts == 6);
}

static long long fake_now;
static long long fake_clock(void *user) { (void)user; return fake_now; }

static void close_too_early_sends_nothing_and_says_when(void) {
  wxpay_client c = test_client();
  wxpay_close_req r = seed_req();
  memset(&sc, 0, sizeof sc);
  c.transport = scripted;
  c.transport_user = &sc;
  c.clock = fake_clock;
  fake_now = 1700000000;
  r.created_at = fake_now - 18;
  CHECK_ERR(wxpay_close(&c, &r, &resp, work, sizeof work), WXPAY_ERR_TOO_EARLY);
  CHECK(sc.calls == 0 && resp.outcome == WXPAY_OUTCOME_RETRY && resp.retry_after == 42);
}

static void close_needs_a_transport_and_room(void) {
  wxpay_client c = test_client();
  wxpay_close_req r = seed_req();
  CHECK_ERR(wxpay_close(&c, &r, &resp, work, sizeof work), WXPAY_ERR_NO_TRANSPORT);
  c.transport = scripted;
  c.transport_user = &sc;
  memset(&sc, 0, sizeof sc);
  CHECK_ERR(wxpay_close(&c, &r, &resp, work, 100), WXPAY_ERR_BUFFER);
  CHECK(sc.calls == 0);
  CHECK_ERR(wxpay_close(&c, &r, NULL, work, sizeof work), WXPAY_ERR_ARG);
}

static char logged[8192];
static void capture_log(void *user, wxpay_log_id id, int attempt, const char *detail) {
  (void)user; (void)attempt;
  strcat(logged, wxpay_err_name(WXPAY_OK)); /* any text: only the key matters */
  strcat(logged, "|");
  strcat(logged, detail);
  strcat(logged, id == WXPAY_LOG_FAILOVER ? "|FAILOVER\n" : "\n");
}

static void close_logs_attempts_but_never_the_key(void) {
  static const step s[] = {{WXPAY_NET_CONNECT, 0, ""}, {WXPAY_NET_OK, 200, RESP_SYSTEMERROR}, OK200};
  wxpay_client c = test_client();
  logged[0] = 0;
  c.log = capture_log;
  CHECK_ERR(run_script(&c, s, 3), WXPAY_OK);
  CHECK(strstr(logged, WXPAY_ENDPOINT) != NULL && strstr(logged, "|FAILOVER") != NULL);
  CHECK(strstr(logged, "SYSTEMERROR") != NULL && strstr(logged, "closed") != NULL);
  CHECK(strstr(logged, KEY) == NULL && strstr(logged, "192006250b") == NULL);
}

int main(void) {
  RUN(close_succeeds_on_first_attempt_with_defaults);
  RUN(close_retries_systemerror_with_a_fresh_nonce);
  RUN(close_gives_retry_outcome_after_systemerror_on_every_attempt);
  RUN(close_never_retries_a_verified_business_answer);
  RUN(close_leaves_frequency_limited_to_the_caller);
  RUN(close_clears_an_earlier_answer_when_a_later_build_fails);
  RUN(close_fails_over_to_backup_on_network_failures);
  RUN(close_with_custom_endpoint_never_falls_back_to_production);
  RUN(close_does_not_fail_over_on_io_errors_or_http_status);
  RUN(close_reports_http_status_and_stops_on_client_errors);
  RUN(close_does_not_retry_an_untrustworthy_answer);
  RUN(close_stops_when_the_response_does_not_fit);
  RUN(close_honours_attempt_count);
  RUN(close_too_early_sends_nothing_and_says_when);
  RUN(close_needs_a_transport_and_room);
  RUN(close_logs_attempts_but_never_the_key);
  return t_total_failed ? 1 : 0;
}
