/* driver.c -- one wxpay_close() (or one bare transport call) through one
   adapter, with the result on one line of key=value words for run.sh.

   Built once per adapter: -DDRIVER_SOCKET, -DDRIVER_CURL or -DDRIVER_MBEDTLS.

   driver [options] URL
     --order NO          combine_out_trade_no (sub-order 1900009001/OD_<NO>)
     --backup URL        client.backup_endpoint
     --attempts N        client.attempts
     --timeout MS        client.timeout_ms
     --connect-timeout MS
     --ca FILE           trusted CA file (curl: ca_file, mbedTLS: ca_file)
     --ca-pem FILE       mbedTLS: the same file handed over as a PEM buffer
     --created-ago S     req.created_at = now - S (the library's own guard)
     --raw               call the transport once, no wxpay_close():
       --cap N           response body cap
       --slot NAME       a response header to ask for
       --body TEXT       request body
       --method M        request method (default POST; GET with no --body
                         is the APIv3 query's bodyless GET)
   prints  err=.. outcome=.. net=.. http=.. attempts=.. verified=.. err_code=..
           seq=PB.. elapsed_ms=..      (seq: endpoint of each attempt)
   or, with --raw,  net=.. status=.. body_len=.. found=.. slot=.. elapsed_ms=..
                    (mbedTLS: and verify=0x.., the certificate verify flags)
   driver --mbedtls-version   (mbedTLS) headers=X.Y.Z linked=X.Y.Z

   Helpers for run.sh (fast, unlike a Python start-up), over plain HTTP with
   wxpay_socket_transport whatever the adapter:
     --fetch GET|POST URL      prints the response body (emulator /_last ...)
     --stats URL KEY...        GET URL (/_stats) and print KEY=N for each
                               top-level number KEY or path:/P (by_path)
     --free-port               a loopback port nobody listens on (bound, closed)
     --silent-port MS          listen on a loopback port, print it, never
                               accept or answer; exit after MS ms
*/
#define _POSIX_C_SOURCE 200809L
#define WXPAY_CLOSE_IMPLEMENTATION
#include "wxpay_close.h"
#define WXPAY_HTTP_IMPLEMENTATION
#include "adapters/wxpay_http.h"
#if defined(DRIVER_CURL)
#define WXPAY_CURL_IMPLEMENTATION
#include "adapters/wxpay_curl.h"
#elif defined(DRIVER_MBEDTLS)
#define WXPAY_MBEDTLS_IMPLEMENTATION
#include "adapters/wxpay_mbedtls.h"
#elif !defined(DRIVER_SOCKET)
#error "define DRIVER_SOCKET, DRIVER_CURL or DRIVER_MBEDTLS"
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

#define TEST_KEY "192006250b4c09247ec02edce69f6a2d"
#define TEST_APPID "wx8888888888888888"
#define TEST_MCH "1900000109"

typedef struct seq_log {
  const char *primary;
  char seq[16];
  size_t n;
  int verbose;
} seq_log;

static void on_log(void *user, wxpay_log_id id, int attempt, const char *detail) {
  seq_log *s = (seq_log *)user;
  if (s->verbose) fprintf(stderr, "log: %d %d %s\n", (int)id, attempt, detail);
  if (id == WXPAY_LOG_ATTEMPT && s->n + 1 < sizeof s->seq)
    s->seq[s->n++] = strcmp(detail, s->primary) == 0 ? 'P' : 'B';
}

static unsigned long now_ms(void) { return wxpay_http_now_ms(NULL); }

#if defined(DRIVER_MBEDTLS)
static char *read_file(const char *path) {
  FILE *f = fopen(path, "rb");
  static char buf[65536];
  size_t n;
  if (!f) return NULL;
  n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = '\0';
  return buf;
}
#endif

static void usage(void) {
  fprintf(stderr, "usage: driver [--order NO] [--backup URL] [--attempts N] "
                  "[--timeout MS] [--connect-timeout MS] [--ca FILE] "
                  "[--ca-pem FILE] [--created-ago S] [--raw [--cap N] "
                  "[--slot NAME] [--body TEXT]] URL\n");
  exit(2);
}

/* ---- helpers for run.sh ---- */

static int fetch(const char *method, const char *url, char *body, size_t cap,
                 size_t *len) {
  wxpay_http_req hreq;
  wxpay_http_resp hresp;
  wxpay_net n;
  memset(&hreq, 0, sizeof hreq);
  hreq.method = method;
  hreq.url = url;
  hreq.body = "";
  hreq.timeout_ms = 5000;
  memset(&hresp, 0, sizeof hresp);
  hresp.body = body;
  hresp.body_cap = cap - 1;
  n = wxpay_socket_transport(NULL, &hreq, &hresp);
  if (n != WXPAY_NET_OK || hresp.status != 200) {
    fprintf(stderr, "fetch %s %s: net=%s status=%d\n", method, url,
            wxpay_net_name(n), hresp.status);
    return -1;
  }
  body[hresp.body_len] = '\0';
  *len = hresp.body_len;
  return 0;
}

/* A minimal JSON walk: enough for the emulator's /_stats. */
static const char *json_ws(const char *p) {
  while (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t') p++;
  return p;
}

/* p at a '"': returns after the closing quote; *k, *klen the raw text */
static const char *json_str(const char *p, const char **k, size_t *klen) {
  const char *q = p + 1;
  while (*q && *q != '"') q += (*q == '\\' && q[1]) ? 2 : 1;
  if (k) { *k = p + 1; *klen = (size_t)(q - (p + 1)); }
  return *q ? q + 1 : q;
}

static const char *json_skip(const char *p) {
  int depth = 0;
  p = json_ws(p);
  do {
    if (*p == '"') { p = json_str(p, NULL, NULL); continue; }
    if (*p == '{' || *p == '[') depth++;
    else if (*p == '}' || *p == ']') depth--;
    else if (depth == 0) { /* a number or literal */
      while (*p && *p != ',' && *p != '}' && *p != ']') p++;
      return p;
    }
    if (!*p) return p;
    p++;
  } while (depth > 0);
  return p;
}

/* The number at key in the object at p (a '{'), or -1. */
static long long json_get(const char *p, const char *key) {
  size_t kl = strlen(key);
  p = json_ws(p);
  if (*p != '{') return -1;
  p++;
  for (;;) {
    const char *k;
    size_t klen;
    p = json_ws(p);
    if (*p != '"') return -1;
    p = json_str(p, &k, &klen);
    p = json_ws(p);
    if (*p != ':') return -1;
    p = json_ws(p + 1);
    if (klen == kl && memcmp(k, key, kl) == 0)
      return (*p >= '0' && *p <= '9') ? atoll(p) : -1;
    p = json_ws(json_skip(p));
    if (*p != ',') return -1;
    p++;
  }
}

static const char *json_find_object(const char *p, const char *key) {
  size_t kl = strlen(key);
  p = json_ws(p);
  if (*p != '{') return NULL;
  p++;
  for (;;) {
    const char *k;
    size_t klen;
    p = json_ws(p);
    if (*p != '"') return NULL;
    p = json_str(p, &k, &klen);
    p = json_ws(p);
    if (*p != ':') return NULL;
    p = json_ws(p + 1);
    if (klen == kl && memcmp(k, key, kl) == 0) return p;
    p = json_ws(json_skip(p));
    if (*p != ',') return NULL;
    p++;
  }
}

static int helper(int argc, char **argv) {
  static char body[1 << 20];
  size_t len = 0;
  int i;
  if (strcmp(argv[1], "--free-port") == 0) {
    struct sockaddr_in a;
    socklen_t al = sizeof a;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &al) != 0)
      return 1;
    printf("%u\n", (unsigned)ntohs(a.sin_port));
    close(fd);
    return 0;
  }
  if (strcmp(argv[1], "--silent-port") == 0 && argc == 3) {
    /* the kernel completes TCP connects into the backlog; nobody reads */
    struct sockaddr_in a;
    socklen_t al = sizeof a;
    struct timespec ts;
    unsigned long ms = strtoul(argv[2], NULL, 10);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        listen(fd, 16) != 0 || getsockname(fd, (struct sockaddr *)&a, &al) != 0)
      return 1;
    printf("%u\n", (unsigned)ntohs(a.sin_port));
    fflush(stdout);
    ts.tv_sec = (time_t)(ms / 1000u);
    ts.tv_nsec = (long)(ms % 1000u) * 1000000l;
    nanosleep(&ts, NULL);
    close(fd);
    return 0;
  }
  if (strcmp(argv[1], "--fetch") == 0 && argc == 4) {
    if (fetch(argv[2], argv[3], body, sizeof body, &len) != 0) return 1;
    fwrite(body, 1, len, stdout);
    return 0;
  }
  if (strcmp(argv[1], "--stats") == 0 && argc >= 3) {
    if (fetch("GET", argv[2], body, sizeof body, &len) != 0) return 1;
    for (i = 3; i < argc; i++) {
      long long v;
      if (strncmp(argv[i], "path:", 5) == 0) {
        const char *o = json_find_object(body, "by_path");
        v = o ? json_get(o, argv[i] + 5) : -1;
        if (v < 0) v = 0; /* never requested */
      } else {
        v = json_get(body, argv[i]);
      }
      printf("%s%s=%lld", i > 3 ? " " : "", argv[i], v);
    }
    printf("\n");
    return 0;
  }
  return 2;
}

int main(int argc, char **argv) {
  const char *url = NULL, *backup = NULL, *order = "1217752501201407033233368018";
  const char *ca = NULL, *ca_pem = NULL, *slot_name = NULL, *raw_body = "";
  const char *raw_method = "POST";
  int attempts = 0, raw = 0, i, verbose = getenv("DRIVER_VERBOSE") != NULL;
  unsigned timeout = 0, conn_timeout = 0;
  long long created_ago = -1;
  size_t cap = 4096;
  static char work[WXPAY_CLOSE_WORK_SIZE];
  static char sub_no[64];
  wxpay_client cli;
  wxpay_sub_order sub;
  wxpay_close_req req;
  wxpay_close_resp resp;
  wxpay_err e;
  seq_log slog;
  unsigned long t0;
  wxpay_transport_fn transport;
  void *transport_user;
  const char *detail = "";
  char detail_buf[64];
#if defined(DRIVER_CURL)
  static wxpay_curl http;
#elif defined(DRIVER_MBEDTLS)
  static wxpay_mbedtls tls;
#endif

#if defined(DRIVER_MBEDTLS)
  if (argc == 2 && strcmp(argv[1], "--mbedtls-version") == 0) {
    /* the headers compiled against, and the library linked */
    char linked[32] = "unknown";
#ifdef MBEDTLS_VERSION_C
    mbedtls_version_get_string(linked);
#endif
    printf("headers=%s linked=%s\n", MBEDTLS_VERSION_STRING, linked);
    return 0;
  }
#endif
  if (argc > 1 && (strcmp(argv[1], "--free-port") == 0 ||
                   strcmp(argv[1], "--silent-port") == 0 ||
                   strcmp(argv[1], "--fetch") == 0 ||
                   strcmp(argv[1], "--stats") == 0))
    return helper(argc, argv);
  for (i = 1; i < argc; i++) {
    const char *a = argv[i];
#define NEXT() (i + 1 < argc ? argv[++i] : (usage(), (char *)NULL))
    if (strcmp(a, "--order") == 0) order = NEXT();
    else if (strcmp(a, "--backup") == 0) backup = NEXT();
    else if (strcmp(a, "--attempts") == 0) attempts = atoi(NEXT());
    else if (strcmp(a, "--timeout") == 0) timeout = (unsigned)strtoul(NEXT(), NULL, 10);
    else if (strcmp(a, "--connect-timeout") == 0) conn_timeout = (unsigned)strtoul(NEXT(), NULL, 10);
    else if (strcmp(a, "--ca") == 0) ca = NEXT();
    else if (strcmp(a, "--ca-pem") == 0) ca_pem = NEXT();
    else if (strcmp(a, "--created-ago") == 0) created_ago = atoll(NEXT());
    else if (strcmp(a, "--raw") == 0) raw = 1;
    else if (strcmp(a, "--cap") == 0) cap = (size_t)strtoul(NEXT(), NULL, 10);
    else if (strcmp(a, "--slot") == 0) slot_name = NEXT();
    else if (strcmp(a, "--body") == 0) raw_body = NEXT();
    else if (strcmp(a, "--method") == 0) raw_method = NEXT();
    else if (a[0] == '-') usage();
    else url = a;
#undef NEXT
  }
  if (!url) usage();

#if defined(DRIVER_SOCKET)
  (void)ca;
  (void)ca_pem;
  transport = wxpay_socket_transport;
  transport_user = NULL;
#elif defined(DRIVER_CURL)
  (void)ca_pem;
  curl_global_init(CURL_GLOBAL_DEFAULT);
  http.ca_file = ca;
  http.proxy = ""; /* loopback only, whatever the environment says */
  if (wxpay_curl_init(&http) != 0) {
    printf("setup=FAIL curl_init\n");
    return 1;
  }
  transport = wxpay_curl_transport;
  transport_user = &http;
#else
  tls.ca_file = ca;
  if (ca_pem) {
    tls.ca_pem = read_file(ca_pem);
    if (!tls.ca_pem) {
      printf("setup=FAIL cannot read %s\n", ca_pem);
      return 1;
    }
  }
  transport = wxpay_mbedtls_transport;
  transport_user = &tls;
#endif

  if (raw) {
    /* one bare transport call */
    static char body[65536];
    static char slot_val[256];
    wxpay_header_slot slot;
    wxpay_http_req hreq;
    wxpay_http_resp hresp;
    wxpay_net n;
    memset(&hreq, 0, sizeof hreq);
    hreq.method = raw_method;
    hreq.url = url;
    hreq.body = raw_body;
    hreq.body_len = strlen(raw_body);
    hreq.timeout_ms = timeout;
    hreq.connect_timeout_ms = conn_timeout;
    memset(&slot, 0, sizeof slot);
    slot.name = slot_name ? slot_name : "X-None";
    slot.value = slot_val;
    slot.cap = sizeof slot_val;
    memset(&hresp, 0, sizeof hresp);
    hresp.body = body;
    hresp.body_cap = cap < sizeof body ? cap : sizeof body;
    hresp.headers = &slot;
    hresp.header_count = 1;
    t0 = now_ms();
    n = transport(transport_user, &hreq, &hresp);
    printf("net=%s status=%d body_len=%lu found=%d slot=%s slot_len=%lu elapsed_ms=%lu",
           wxpay_net_name(n), hresp.status, (unsigned long)hresp.body_len, slot.found,
           slot.found ? slot_val : "-", (unsigned long)slot.len, now_ms() - t0);
#if defined(DRIVER_MBEDTLS)
    printf(" verify=0x%x", (unsigned)tls.verify_flags);
#endif
    printf("\n");
    if (verbose) fprintf(stderr, "body: %.*s\n", (int)hresp.body_len, body);
  } else {
    memset(&cli, 0, sizeof cli);
    cli.api_key = TEST_KEY;
    cli.endpoint = url;
    cli.backup_endpoint = backup;
    cli.attempts = attempts;
    cli.timeout_ms = timeout;
    cli.connect_timeout_ms = conn_timeout;
    cli.transport = transport;
    cli.transport_user = transport_user;
    memset(&slog, 0, sizeof slog);
    slog.primary = url;
    slog.verbose = verbose;
    cli.log = on_log;
    cli.log_user = &slog;
    if (wxpay_client_init(&cli) != WXPAY_OK) {
      printf("setup=FAIL client_init\n");
      return 1;
    }
    snprintf(sub_no, sizeof sub_no, "OD_%s", order);
    sub.mchid = "1900009001";
    sub.out_trade_no = sub_no;
    memset(&req, 0, sizeof req);
    req.combine_appid = TEST_APPID;
    req.combine_mch_id = TEST_MCH;
    req.combine_out_trade_no = order;
    req.sub_orders = &sub;
    req.sub_order_count = 1;
    if (created_ago >= 0) req.created_at = (long long)time(NULL) - created_ago;
    t0 = now_ms();
    e = wxpay_close(&cli, &req, &resp, work, sizeof work);
#if defined(DRIVER_CURL)
    if (http.last_code != CURLE_OK) {
      snprintf(detail_buf, sizeof detail_buf, "curl_%d", (int)http.last_code);
      detail = detail_buf;
    }
#elif defined(DRIVER_MBEDTLS)
    if (tls.last_error != 0) {
      snprintf(detail_buf, sizeof detail_buf, "mbedtls_-0x%04x_verify_0x%x",
               (unsigned)-tls.last_error, (unsigned)tls.verify_flags);
      detail = detail_buf;
    }
#else
    (void)detail_buf;
#endif
    printf("err=%s outcome=%s net=%s http=%d attempts=%d verified=%d err_code=%s "
           "seq=%s elapsed_ms=%lu detail=%s\n",
           wxpay_err_name(e), wxpay_outcome_name(resp.outcome), wxpay_net_name(resp.net),
           resp.http_status, resp.attempts, resp.verified,
           resp.err_code && *resp.err_code ? resp.err_code : "-",
           slog.n ? slog.seq : "-", now_ms() - t0, *detail ? detail : "-");
    wxpay_client_wipe(&cli);
  }
#if defined(DRIVER_CURL)
  wxpay_curl_free(&http);
  curl_global_cleanup();
#elif defined(DRIVER_MBEDTLS)
  wxpay_mbedtls_free(&tls);
#endif
  return 0;
}
