/* transport.c -- how requests travel: the transport picked and set up
   (libcurl, mbedTLS, plain sockets), and the client's callbacks: the
   clock, the pause between attempts, the log. */
#include "cli.h"

#include <errno.h>
#include <string.h>
#include <time.h>
#ifdef _WIN32
#include <windows.h>
#endif
#ifdef WXPAY_CLI_HAVE_MBEDTLS
#include <mbedtls/error.h>
#endif

/* The library pauses through client.sleep for as long as it asks:
   client.retry_delay_ms between the attempts of one call (--retry-delay),
   client.settle_poll_ms between settle's queries while the customer pays
   (--poll-ms). */

#ifdef _WIN32 /* no clock_gettime/nanosleep without winpthreads */
static long long cli_clock(void *user) {
  time_t t = time(NULL);
  (void)user;
  return t == (time_t)-1 ? -1 : (long long)t;
}

static void cli_sleep(void *user, unsigned ms) {
  (void)user;
  Sleep(ms);
}
#else
static long long cli_clock(void *user) {
  struct timespec ts;
  (void)user;
  if (clock_gettime(CLOCK_REALTIME, &ts) != 0) return -1;
  return (long long)ts.tv_sec;
}

static void cli_sleep(void *user, unsigned ms) {
  struct timespec ts;
  (void)user;
  ts.tv_sec = (time_t)(ms / 1000u);
  ts.tv_nsec = (long)(ms % 1000u) * 1000000L;
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}
#endif

static const char *log_text(wxpay_log_id id) {
  switch (id) {
  case WXPAY_LOG_ATTEMPT: return "POST";
  case WXPAY_LOG_NET_FAIL: return "transport failure:";
  case WXPAY_LOG_FAILOVER: return "network failure, next attempt goes to";
  case WXPAY_LOG_HTTP_STATUS: return "HTTP status";
  case WXPAY_LOG_RETRY: return "temporary failure, retrying:";
  case WXPAY_LOG_RESULT: return "verified answer:";
  case WXPAY_LOG_UNTRUSTED: return "response refused:";
  default: return "event";
  }
}

static int is_close_url(const cli_logstate *log, const char *url) {
  size_t n = strlen(url);
  if (log->v3) return n >= 6 && !strcmp(url + n - 6, "/close");
  return (log->close_url && !strcmp(url, log->close_url)) ||
         (log->close_backup && !strcmp(url, log->close_backup));
}

static wxpay_err err_by_name(const char *name) {
  int k;
  for (k = 1; k < (int)WXPAY_ERR_COUNT; k++)
    if (!strcmp(wxpay_err_name((wxpay_err)k), name)) return (wxpay_err)k;
  return WXPAY_ERR_RESPONSE;
}

/* The wxpay_log_fn; user is the run's cli_logstate. */
static void cli_log(void *user, wxpay_log_id id, int attempt, const char *detail) {
  cli_logstate *log = (cli_logstate *)user;
  if (id == WXPAY_LOG_ATTEMPT) {
    log->in_query = !is_close_url(log, detail);
    /* the URL asked, for a sentence about the status it answers */
    say(log->in_query ? log->query_asked : log->close_asked, CLI_URL_MAX, "%s", detail);
  }
  if (!log->in_query) { /* how the close's last attempt ended */
    switch (id) {
    case WXPAY_LOG_ATTEMPT: log->close_err = WXPAY_ERR_TRANSPORT; break; /* until it says */
    case WXPAY_LOG_NET_FAIL:
      log->close_err = strcmp(detail, "TOO_LARGE") ? WXPAY_ERR_TRANSPORT : WXPAY_ERR_TOO_LARGE;
      break;
    case WXPAY_LOG_HTTP_STATUS: log->close_err = WXPAY_ERR_HTTP_STATUS; break;
    case WXPAY_LOG_UNTRUSTED: log->close_err = err_by_name(detail); break;
    case WXPAY_LOG_RETRY:
    case WXPAY_LOG_RESULT: log->close_err = WXPAY_OK; break;
    default: break;
    }
  }
  if (!log->verbose) return;
  fprintf(stderr, PROG ": attempt %d: %s ", attempt,
          id == WXPAY_LOG_ATTEMPT && log->v3 && log->in_query ? "GET" : log_text(id));
  put_safe(stderr, detail);
  fputc('\n', stderr);
}

/* >>transports */

static int is_https(const char *url) { return url && !strncmp(url, "https://", 8); }

int check_url(const cli_context *ctx, const char *flag, const char *url) {
  wxpay_url u;
  if (wxpay_url_parse(url, &u) == 0) return 0;
  return usage_error(ctx, flag, "%s wants an http:// or https:// URL (got '%s')", flag, url);
}

/* The plain-socket transport: refused for an https:// URL here, before
   anything is sent. tls_url: the first https:// URL of the run, or NULL. */
static int setup_socket(cli_context *ctx, const char *tls_url) {
#ifdef WXPAY_HTTP_NO_POSIX
  (void)tls_url;
  return usage_error(ctx, "--transport", "%s",
                     "this " PROG " has no socket transport (built without POSIX sockets)");
#else
  if (tls_url)
    return usage_error(ctx, "--transport",
                       "the socket transport speaks plain http:// only and will not send to %s; "
                       "https:// needs --transport curl or mbedtls (this build has: %s)",
                       tls_url, CLI_TRANSPORTS);
  ctx->net.name = "socket";
  ctx->net.fn = wxpay_socket_transport;
  ctx->net.user = NULL;
  return 0;
#endif
}

#ifdef WXPAY_CLI_HAVE_CURL
static int setup_curl(cli_context *ctx) {
  CURLcode code = curl_global_init(CURL_GLOBAL_DEFAULT);
  if (code != CURLE_OK)
    return usage_error(ctx, "--transport", "libcurl failed to initialise: %s (CURLcode %d)",
                       curl_easy_strerror(code), (int)code);
  ctx->net.curl.ca_file = ctx->opts.cacert;
  ctx->net.name = "curl";
  ctx->net.fn = wxpay_curl_transport;
  ctx->net.user = &ctx->net.curl;
  return 0;
}
#endif

#ifdef WXPAY_CLI_HAVE_MBEDTLS
/* mbedTLS's own words for error code (negative): its sentence when the
   library was built with them (MBEDTLS_ERROR_C), and the code. */
void mbedtls_error_text(int code, char *out, size_t cap) {
  char why[200] = "";
#ifdef MBEDTLS_ERROR_C
  mbedtls_strerror(code, why, sizeof why);
#endif
  if (*why) say(out, cap, "%s (-0x%04X)", why, (unsigned)-code);
  else say(out, cap, "error -0x%04X", (unsigned)-code);
}

/* Which step of wxpay_mbedtls_init() an mbedTLS error code comes from, by
   the module that raised it (the adapter returns the code, not the step). */
static const char *mbedtls_init_step(int code) {
  int high = -code & 0xFF80, low = -code & 0x007F;
  if ((high >= 0x1080 && high <= 0x1480) || (high >= 0x2080 && high <= 0x2980) ||
      (high >= 0x3880 && high <= 0x3F80) || (low >= 0x002A && low <= 0x002C) ||
      (low >= 0x0060 && low <= 0x006C))
    return "loading the CA certificates"; /* PEM, X509, PK (the file), BASE64, ASN1 */
  if (low >= 0x0034 && low <= 0x0042)
    return "seeding its random generator"; /* CTR_DRBG, ENTROPY */
  return "configuring the TLS context"; /* SSL, PSA */
}

/* The mbedTLS transport; for https:// it loads the CAs now (--cacert, else
   the first system bundle found), so that a bad file is said before
   anything is sent, with mbedTLS's own error. */
static int setup_mbedtls(cli_context *ctx, int tls_needed) {
  static const char *const bundles[] = {"/etc/ssl/certs/ca-certificates.crt",
                                        "/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/cert.pem"};
  wxpay_mbedtls *tls = &ctx->net.tls;
  size_t k;
  int code;
  tls->ca_file = ctx->opts.cacert;
  for (k = 0; !tls->ca_file && k < sizeof bundles / sizeof bundles[0]; k++) {
    FILE *f = fopen(bundles[k], "rb");
    if (f) { fclose(f); tls->ca_file = bundles[k]; }
  }
  if (tls_needed && !tls->ca_file)
    return usage_error(ctx, "--cacert", "%s", "mbedTLS has no system CA store: give --cacert FILE");
  if (tls_needed && (code = wxpay_mbedtls_init(tls)) != 0) {
    char why[240];
    mbedtls_error_text(code, why, sizeof why);
    return usage_error(ctx, "--cacert", "mbedTLS could not set up TLS while %s (CA file '%s'): %s",
                       mbedtls_init_step(code), tls->ca_file, why);
  }
  ctx->net.name = "mbedtls";
  ctx->net.fn = wxpay_mbedtls_transport;
  ctx->net.user = tls;
  return 0;
}
#endif

/* Picks and sets up the transport: --transport, else the first built in
   of curl, mbedtls, socket. */
static int setup_transport(cli_context *ctx, const char *primary, const char *backup) {
  const cli_opts *o = &ctx->opts;
  const char *want = o->transport;
  const char *tls_url = is_https(primary) ? primary
                        : is_https(backup) ? backup
                        : is_https(o->query_endpoint) ? o->query_endpoint
                                                      : NULL;
  if (!want) want = *CLI_HAS_CURL ? "curl" : *CLI_HAS_MBEDTLS ? "mbedtls" : "socket";
  memset(&ctx->net, 0, sizeof ctx->net);
  if (!strcmp(want, "socket")) return setup_socket(ctx, tls_url);
#ifdef WXPAY_CLI_HAVE_CURL
  if (!strcmp(want, "curl")) return setup_curl(ctx);
#endif
#ifdef WXPAY_CLI_HAVE_MBEDTLS
  if (!strcmp(want, "mbedtls")) return setup_mbedtls(ctx, tls_url != NULL);
#endif
  if (strcmp(want, "curl") != 0 && strcmp(want, "mbedtls") != 0)
    return usage_error(ctx, "--transport", "unknown --transport '%s' (curl, mbedtls or socket)",
                       want);
  return usage_error(ctx, "--transport", "this " PROG " was built without %s (transports: %s)",
                     want, CLI_TRANSPORTS);
}

void close_transport(cli_context *ctx) {
#ifdef WXPAY_CLI_HAVE_CURL
  if (ctx->net.name && !strcmp(ctx->net.name, "curl")) {
    wxpay_curl_free(&ctx->net.curl);
    curl_global_cleanup();
  }
#endif
#ifdef WXPAY_CLI_HAVE_MBEDTLS
  if (ctx->net.name && !strcmp(ctx->net.name, "mbedtls")) wxpay_mbedtls_free(&ctx->net.tls);
#endif
  (void)ctx;
}

/* Where a close goes: --endpoint, else the API's default; and where the
   next attempt goes after a network failure: --backup-endpoint, else the
   default backup when --endpoint was not given, else nowhere (NULL). */
void pick_endpoints(const cli_opts *o, const char *def, const char *def_backup,
                    const char **primary, const char **backup) {
  *primary = o->endpoint ? o->endpoint : def;
  *backup = o->backup ? o->backup : o->endpoint ? NULL : def_backup;
}

/* Sets up the transport for primary and backup, hands it to cli and names
   it in res; with --verbose, says where the close goes. */
int open_transport(cli_context *ctx, wxpay_client *cli, cli_result *res, const char *primary,
                   const char *backup) {
  const cli_opts *o = &ctx->opts;
  int rc = setup_transport(ctx, primary, backup);
  if (rc != 0) return rc;
  if (o->cacert && !strcmp(ctx->net.name, "socket"))
    fprintf(stderr, PROG ": note: --cacert is ignored by the socket transport (no TLS)\n");
  cli->transport = ctx->net.fn;
  cli->transport_user = ctx->net.user;
  res->transport = ctx->net.name;
  if (o->verbose)
    fprintf(stderr, PROG ": %stransport %s%s; %s %s; backup %s; %d attempt(s) at most\n",
            o->v3 ? "APIv3; " : "", ctx->net.name, o->v3 ? "; signer " CLI_RSA_NAME : "",
            o->v3 ? "host" : "endpoint", primary, backup ? backup : "none",
            o->attempts.given ? (int)o->attempts.value : 3);
  return 0;
}

/* With --verbose, what the TLS library said about a transport failure:
   libcurl's message, or mbedTLS's error and the certificate check's
   flags. */
void log_transport_error(const cli_context *ctx, wxpay_err e) {
  const cli_net *net = &ctx->net;
  if (!ctx->opts.verbose || e != WXPAY_ERR_TRANSPORT || !net->name) return;
#ifdef WXPAY_CLI_HAVE_CURL
  if (!strcmp(net->name, "curl") && net->curl.error[0]) {
    fputs(PROG ": libcurl: ", stderr);
    put_safe(stderr, net->curl.error);
    fputc('\n', stderr);
  }
#endif
#ifdef WXPAY_CLI_HAVE_MBEDTLS
  if (!strcmp(net->name, "mbedtls") && net->tls.last_error) {
    char why[240];
    mbedtls_error_text(net->tls.last_error, why, sizeof why);
    fprintf(stderr, PROG ": mbedTLS: %s", why);
    if (net->tls.verify_flags)
      fprintf(stderr, "; certificate check flags 0x%08lX", (unsigned long)net->tls.verify_flags);
    fputc('\n', stderr);
  }
#endif
}

/* >>client: what both APIs set the same way */

void client_defaults(cli_context *ctx, wxpay_client *cli) {
  const cli_opts *o = &ctx->opts;
  memset(cli, 0, sizeof *cli);
  cli->clock = cli_clock;
  cli->sleep = cli_sleep;
  cli->retry_delay_ms = o->retry_delay_ms.given ? (unsigned)o->retry_delay_ms.value : 1000;
  cli->settle_poll_ms = o->poll_ms.given ? (unsigned)o->poll_ms.value : WXPAY_SETTLE_POLL_MS;
  cli->attempts = (int)o->attempts.value;
  if (o->timeout_ms.given) {
    cli->timeout_ms = (unsigned)o->timeout_ms.value;
    cli->connect_timeout_ms = cli->timeout_ms < 6000 ? cli->timeout_ms : 6000;
  }
  cli->user_agent = "wxpay-close/" WXPAY_VERSION " (wxpay_close.h)";
  memset(&ctx->log, 0, sizeof ctx->log);
  ctx->log.verbose = o->verbose;
  ctx->log.v3 = o->v3;
  cli->log = cli_log;
  cli->log_user = &ctx->log;
}
