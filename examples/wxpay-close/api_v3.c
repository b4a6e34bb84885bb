/* api_v3.c -- APIv3 (--api v3): the close (and its settle) and the query,
   signed and verified through the RSA adapter built in. */
#include "cli.h"

#ifndef CLI_RSA_NONE

#include <string.h>

/* A wxpay_v3_sign_fn over the adapter's that shows, with --explain, each
   message it signs (a fresh timestamp and nonce every attempt). */
static int cli_v3_sign(void *user, const unsigned char *msg, size_t msg_len,
                       const unsigned char digest[32], unsigned char *sig, size_t sig_cap,
                       size_t *sig_len) {
  cli_v3 *v = (cli_v3 *)user;
  if (v->explain) {
    fputs("message signed (SHA256withRSA with the merchant private key): ", stderr);
    put_safe_n(stderr, (const char *)msg, msg_len);
    fputc('\n', stderr);
  }
  return CLI_RSA(sign)(&v->keys, msg, msg_len, digest, sig, sig_cap, sig_len);
}

/* A wxpay_v3_verify_fn over the adapter's that remembers the serial asked
   about, for the sentence about an unknown platform key. */
static int cli_v3_verify(void *user, const char *serial, const unsigned char digest[32],
                         const unsigned char *sig, size_t sig_len) {
  cli_v3 *v = (cli_v3 *)user;
  snprintf(v->serial_seen, sizeof v->serial_seen, "%s", serial ? serial : "");
  return CLI_RSA(verify)(&v->keys, serial, digest, sig, sig_len);
}

/* --endpoint for v3 is the host, optionally with a path (a gateway's
   prefix) that the library sends, and signs, before /v3/... Refused: a
   query, and what looks like the URL of the call itself. *origin_len: the
   bytes of scheme and authority. */
static int v3_host(const cli_context *ctx, const char *flag, const char *url,
                   size_t *origin_len) {
  const char *p = strstr(url, "://"), *path;
  int rc;
  if ((rc = check_url(ctx, flag, url)) != 0) return rc;
  path = p ? p + 3 + strcspn(p + 3, "/") : url + strlen(url);
  *origin_len = (size_t)(path - url);
  if (strpbrk(url, "?#") || strstr(path, "/v3/") || strstr(path, "closecombinedorder"))
    return usage_error(ctx, flag, "with --api v3, %s is the host (default %s), not the URL of "
                       "the call, and has no ?query (got '%.900s')", flag, WXPAY_V3_HOST, url);
  return 0;
}

/* What a v3 close and a v3 query set alike: the client (signer,
   verifier, hosts) and where the requests go; 0 or the usage error. */
static int v3_client(cli_context *ctx, wxpay_client *cli, size_t *origin_len,
                     const char **primary, const char **backup) {
  const cli_opts *o = &ctx->opts;
  size_t ignored;
  int rc;
  client_defaults(ctx, cli);
  *origin_len = sizeof WXPAY_V3_HOST - 1;
  if (o->endpoint && (rc = v3_host(ctx, "--endpoint", o->endpoint, origin_len)) != 0) return rc;
  if (o->backup && (rc = v3_host(ctx, "--backup-endpoint", o->backup, &ignored)) != 0) return rc;
  pick_endpoints(o, WXPAY_V3_HOST, WXPAY_V3_BACKUP_HOST, primary, backup);
  ctx->v3.explain = o->explain;
  cli->mchid = o->mchid;
  cli->serial_no = o->serial;
  cli->v3_sign = cli_v3_sign;
  cli->v3_sign_user = &ctx->v3;
  cli->v3_verify = cli_v3_verify;
  cli->v3_verify_user = &ctx->v3;
  /* answers signed with the key we prefer: the platform public key when one
     was given (the live service follows the Wechatpay-Serial request header) */
  cli->wechatpay_serial = CLI_RSA(preferred_serial)(&ctx->v3.keys);
  cli->v3_host = o->endpoint;
  cli->v3_backup_host = o->backup;
  return 0;
}

/* --dry-run: the request line (method, the host's origin_len bytes, the
   path, which holds the endpoint's own path too), the headers, a blank
   line and, for a POST, the body and a newline. */
static int print_v3_request(const wxpay_client *cli, const char *method, size_t origin_len,
                            const char *host, const wxpay_v3_request *b) {
  int post = !strcmp(method, "POST");
  printf("%s %.*s%s\n", method, (int)origin_len, host, b->path);
  printf("Authorization: %s\n", b->authorization);
  if (post) printf("Content-Type: application/json\n"); /* a GET has no body */
  printf("Accept: application/json\nUser-Agent: %s\n", cli->user_agent);
  if (cli->wechatpay_serial) printf("Wechatpay-Serial: %s\n", cli->wechatpay_serial);
  putchar('\n');
  if (post) {
    fwrite(b->body, 1, b->body_len, stdout);
    putchar('\n');
  }
  return EXIT_DONE;
}

static int v3_build_failed(wxpay_err e) {
  fprintf(stderr, PROG ": %s (%s)\n", wxpay_strerror(e), wxpay_err_name(e));
  return EXIT_INTERNAL;
}

/* With --verbose: the answer's status, the platform key that verified it,
   its Request-ID and an error body's code, message and detail. */
static void print_verbose_v3(const cli_context *ctx, const wxpay_v3_close_resp *r) {
  if (!ctx->opts.verbose || !r->http_status) return;
  fprintf(stderr, PROG ": HTTP %d, %s", r->http_status,
          r->verified ? "signature verified, platform key " : "not verified");
  if (r->verified) put_safe(stderr, ctx->v3.serial_seen);
  fputs("; Request-ID: ", stderr);
  put_safe(stderr, *r->request_id ? r->request_id : "(none)");
  fputc('\n', stderr);
  if (*r->code) {
    fputs("    code: ", stderr);
    put_safe(stderr, r->code);
    fputs("\n    message: ", stderr);
    put_safe(stderr, r->message);
    fputs("\n    detail: ", stderr);
    put_safe(stderr, r->detail);
    fputc('\n', stderr);
  }
}

/* The close sent and settled (wxpay_v3_settle()), then reported. */
static int close_and_settle_v3(cli_context *ctx, wxpay_client *cli,
                               const wxpay_v3_close_req *req, const char *primary,
                               const char *backup, cli_result *res) {
  wxpay_v3_settle_result *sres = &ctx->answer.v3_settle;
  cli_settle st;
  cli_queried sq;
  char qwhy[700];
  wxpay_err e;
  memset(sres, 0, sizeof *sres);
  sres->query.order.sub_orders = ctx->states;
  sres->query.order.sub_order_cap = CLI_MAX_SUBS;
  e = wxpay_v3_settle(cli, req, sres, ctx->work, sizeof ctx->work);
  settle_found(&st, e, ctx->log.close_err, sres->settlement, sres->closes, sres->queries,
               cli->settle_poll_ms, sres->query.found, &sres->query.order);
  memset(&sq, 0, sizeof sq);
  sq.st = &st;
  summarize_v3(&ctx->v3, e, &sres->query.answer, ctx->log.query_asked, &sq.query, qwhy,
               sizeof qwhy);
  sq.url = primary;
  sq.backup = backup;
  print_verbose_settle(&ctx->opts, sres->closes, sres->queries, sres->settlement);
  print_verbose_v3(ctx, &sres->close);
  log_transport_error(ctx, e);
  return report_v3(ctx, e, &sres->close, primary, backup, res, &sq);
}

int run_close_v3(cli_context *ctx) {
  const cli_opts *o = &ctx->opts;
  wxpay_client cli;
  wxpay_v3_close_req req;
  wxpay_v3_close_resp resp;
  cli_result res;
  const char *field = NULL, *primary, *backup;
  size_t index = 0, origin_len;
  wxpay_err e;
  int rc;

  memset(&req, 0, sizeof req);
  memset(&res, 0, sizeof res);
  if ((rc = v3_client(ctx, &cli, &origin_len, &primary, &backup)) != 0) return rc;
  req.combine_appid = o->appid;
  req.combine_out_trade_no = o->order;
  req.sub_orders = o->v3subs;
  req.sub_order_count = o->nsubs;
  req.nonce_str = o->nonce;
  req.timestamp = (long long)o->timestamp.value;
  req.created_at = (long long)o->created_at.value;

  e = wxpay_v3_close_validate(&cli, &req, &field, &index);
  if (e == WXPAY_ERR_TOO_EARLY) {
    memset(&resp, 0, sizeof resp);
    resp.code = resp.message = resp.detail = resp.request_id = "";
    resp.retry_after = wxpay_v3_close_wait_seconds(&cli, &req);
    return report_v3(ctx, e, &resp, NULL, NULL, &res, NULL);
  }
  if (e != WXPAY_OK) return invalid_field(ctx, e, field, index);
  if (o->dry_run) {
    wxpay_v3_request b;
    e = wxpay_v3_close_build(&cli, &req, ctx->work, sizeof ctx->work, &b);
    if (e != WXPAY_OK) return v3_build_failed(e);
    return print_v3_request(&cli, "POST", origin_len, primary, &b);
  }
  if ((rc = open_transport(ctx, &cli, &res, primary, backup)) != 0) return rc;
  rc = close_and_settle_v3(ctx, &cli, &req, primary, backup, &res);
  close_transport(ctx);
  return rc;
}

int run_query_v3(cli_context *ctx) {
  const cli_opts *o = &ctx->opts;
  wxpay_client cli;
  wxpay_v3_query_req req;
  wxpay_v3_query_resp *resp = &ctx->answer.v3_query;
  cli_v3_answer answer;
  cli_result res;
  cli_summary s;
  const char *field = NULL, *primary, *backup;
  char why[700];
  size_t origin_len;
  wxpay_err e;
  int rc;

  memset(&req, 0, sizeof req);
  memset(&res, 0, sizeof res);
  if ((rc = v3_client(ctx, &cli, &origin_len, &primary, &backup)) != 0) return rc;
  req.combine_out_trade_no = o->order;
  req.combine_appid = o->appid;
  req.nonce_str = o->nonce;
  req.timestamp = (long long)o->timestamp.value;
  e = wxpay_v3_query_validate(&cli, &req, &field);
  if (e != WXPAY_OK) return invalid_field(ctx, e, field, 0);
  if (o->dry_run) {
    wxpay_v3_request b;
    e = wxpay_v3_query_build(&cli, &req, ctx->work, sizeof ctx->work, &b);
    if (e != WXPAY_OK) return v3_build_failed(e);
    return print_v3_request(&cli, "GET", origin_len, primary, &b);
  }
  if ((rc = open_transport(ctx, &cli, &res, primary, backup)) != 0) return rc;
  memset(resp, 0, sizeof *resp);
  resp->order.sub_orders = ctx->states;
  resp->order.sub_order_cap = CLI_MAX_SUBS;
  e = wxpay_v3_query(&cli, &req, resp, ctx->work, sizeof ctx->work);
  if (o->verbose && resp->answer.http_status) {
    fprintf(stderr, PROG ": HTTP %d, %s; Request-ID: ", resp->answer.http_status,
            resp->answer.verified ? "signature verified" : "not verified");
    put_safe(stderr, *resp->answer.request_id ? resp->answer.request_id : "(none)");
    fputc('\n', stderr);
  }
  log_transport_error(ctx, e);
  summarize_v3(&ctx->v3, e, &resp->answer, ctx->log.query_asked, &s, why, sizeof why);
  s.again = "query again";
  answer.resp = &resp->answer;
  answer.serial_seen = ctx->v3.serial_seen;
  rc = report_query(o, e, resp->found, &resp->order, &s, primary, backup, &res, json_v3_tail,
                    &answer);
  close_transport(ctx);
  return rc;
}

#endif /* CLI_RSA_NONE */
