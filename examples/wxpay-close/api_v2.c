/* api_v2.c -- APIv2: the close (and its settle), the query, and `verify`;
   each assembles its request from the options, calls the library and
   hands the answer to output.c. */
#include "cli.h"

#include <string.h>

/* The client both v2 calls use: the key, the endpoints given. No
   wxpay_client_init(): its cache would be a second copy of the key in
   memory (and in a core file); each signature hashes the key afresh. */
static void v2_client(cli_context *ctx, wxpay_client *cli) {
  const cli_opts *o = &ctx->opts;
  client_defaults(ctx, cli);
  cli->api_key = ctx->key;
  cli->endpoint = o->endpoint;
  cli->backup_endpoint = o->backup;
  cli->query_endpoint = o->query_endpoint;
}

/* An answer with every string "" (nothing was received). */
static void empty_resp(wxpay_close_resp *r) {
  memset(r, 0, sizeof *r);
  r->return_code = r->return_msg = r->combine_appid = r->combine_mch_id = r->nonce_str =
      r->sign = r->result_code = r->err_code = r->err_code_des = "";
  r->fields.data = "";
}

/* 1 when a v2 query has a URL: --query-endpoint, or --endpoint's with its
   "closecombinedorder" made "querycombinedorder" (or the default). */
static int v2_queryable(const cli_opts *o) {
  size_t n = o->endpoint ? strlen(o->endpoint) : 0;
  return o->query_endpoint || !o->endpoint ||
         (n >= 18 && strcmp(o->endpoint + n - 18, "closecombinedorder") == 0);
}

/* The URLs given; `query` needs a query URL (an --endpoint of another
   shape needs --query-endpoint; a close without one does not settle). */
static int check_v2_endpoints(const cli_context *ctx) {
  const cli_opts *o = &ctx->opts;
  int rc;
  if (o->endpoint && (rc = check_url(ctx, "--endpoint", o->endpoint)) != 0) return rc;
  if (o->backup && (rc = check_url(ctx, "--backup-endpoint", o->backup)) != 0) return rc;
  if (o->query_endpoint) return check_url(ctx, "--query-endpoint", o->query_endpoint);
  if (o->query && !v2_queryable(o) && !o->dry_run)
    return usage_error(ctx, "--query-endpoint", "--endpoint '%.500s' does not end in "
                       "closecombinedorder: give --query-endpoint URL too (where the order is "
                       "queried)", o->endpoint);
  return 0;
}

/* Where a v2 query goes, for the sentences: --query-endpoint, else the
   close's URL with "closecombinedorder" made "querycombinedorder" (the
   library derives it the same way; built in ctx->query_url), else the
   default. */
static const char *query_url(cli_context *ctx, const char *close_url) {
  static const char tail[] = "closecombinedorder";
  const cli_opts *o = &ctx->opts;
  size_t n = strlen(close_url), tail_len = sizeof tail - 1;
  if (o->query_endpoint) return o->query_endpoint;
  if (!o->endpoint) return WXPAY_QUERY_ENDPOINT;
  if (n < tail_len || n >= sizeof ctx->query_url || strcmp(close_url + n - tail_len, tail) != 0)
    return close_url; /* the library refuses it: WXPAY_ERR_QUERY_ENDPOINT */
  memcpy(ctx->query_url, close_url, n + 1);
  memcpy(ctx->query_url + n - tail_len, "query", 5);
  return ctx->query_url;
}

/* What went wrong while building a request nobody will send: a bug. */
static int build_failed(const char *what, wxpay_err e) {
  fprintf(stderr, PROG ": %s%s\n", what, wxpay_strerror(e));
  return EXIT_INTERNAL;
}

/* --explain and --dry-run of a close: one nonce for the body and the
   explanation; the signed string (key as ***) on stderr, the body on
   stdout. *done: the run ends here (--dry-run, or a failure). */
static int close_explain_or_dry_run(cli_context *ctx, wxpay_client *cli, wxpay_close_req *req,
                                    char *nonce, int *done) {
  const cli_opts *o = &ctx->opts;
  size_t len = 0;
  wxpay_err e;
  *done = 1;
  if (!req->nonce_str) {
    if ((e = wxpay_nonce(cli, nonce)) != WXPAY_OK) return build_failed("", e);
    req->nonce_str = nonce;
  }
  if (o->explain) {
    e = wxpay_close_explain(cli, req, ctx->text.explain, sizeof ctx->text.explain, &len);
    if (e != WXPAY_OK) return build_failed("--explain: ", e);
    fputs("string to sign (HMAC-SHA256 keyed with the API key): ", stderr);
    fwrite(ctx->text.explain, 1, len, stderr);
    fputc('\n', stderr);
  }
  *done = o->dry_run;
  if (!o->dry_run) return 0;
  if ((e = wxpay_close_build(cli, req, ctx->work, sizeof ctx->work, &len)) != WXPAY_OK)
    return build_failed("", e);
  fwrite(ctx->work, 1, len, stdout);
  return EXIT_DONE;
}

/* The close sent, then settled: after PAID, PAYING or no trustworthy
   answer it queries the order (>>settle in the header); with no URL to
   query (an --endpoint of another shape, no --query-endpoint) it only
   closes, and "settlement" says QUERY_ENDPOINT where a query was wanted. */
static int close_and_settle(cli_context *ctx, wxpay_client *cli, const wxpay_close_req *req,
                            const char *primary, const char *backup, cli_result *res) {
  const cli_opts *o = &ctx->opts;
  wxpay_settle_result *sres = &ctx->answer.v2_settle;
  cli_settle st;
  cli_queried sq;
  char qwhy[600];
  int settles = v2_queryable(o);
  wxpay_err e;
  memset(sres, 0, sizeof *sres);
  sres->query.order.sub_orders = ctx->states;
  sres->query.order.sub_order_cap = CLI_MAX_SUBS;
  if (settles) {
    e = wxpay_settle(cli, req, sres, ctx->work, sizeof ctx->work);
  } else {
    e = wxpay_close(cli, req, &sres->close, ctx->work, sizeof ctx->work);
    sres->closes = 1;
    sres->settlement = e == WXPAY_OK && (sres->close.outcome == WXPAY_OUTCOME_CLOSED ||
                                         sres->close.outcome == WXPAY_OUTCOME_ALREADY_CLOSED)
                           ? WXPAY_SETTLE_CLOSED
                           : WXPAY_SETTLE_UNSETTLED;
  }
  wxpay_client_wipe(cli);
  if (o->verbose && sres->close.fields.count) {
    fprintf(stderr, PROG ": HTTP %d, %s; fields received:\n", sres->close.http_status,
            sres->close.verified ? "signature verified" : "not verified");
    print_fields(stderr, &sres->close.fields, "    ");
  }
  print_verbose_settle(o, sres->closes, sres->queries, sres->settlement);
  log_transport_error(ctx, e);
  settle_found(&st, e, ctx->log.close_err, sres->settlement, sres->closes, sres->queries,
               cli->settle_poll_ms, sres->query.found, &sres->query.order);
  if (!settles && (e == WXPAY_OK ? sres->close.outcome == WXPAY_OUTCOME_PAID ||
                                       sres->close.outcome == WXPAY_OUTCOME_PAYING
                                 : sres->close.attempts > 0))
    st.err = WXPAY_ERR_QUERY_ENDPOINT; /* a query was wanted, and had no URL */
  memset(&sq, 0, sizeof sq);
  sq.st = &st;
  summarize_v2(e, &sres->query.answer, ctx->log.query_asked, &sq.query, qwhy, sizeof qwhy);
  sq.url = query_url(ctx, primary);
  sq.backup = o->query_endpoint ? NULL : backup;
  return report_v2(o, e, &sres->close, primary, backup, ctx->log.close_asked, res, &sq);
}

int run_close(cli_context *ctx) {
  const cli_opts *o = &ctx->opts;
  wxpay_client cli;
  wxpay_close_req req;
  wxpay_close_resp resp;
  cli_result res;
  const char *field = NULL, *primary, *backup;
  size_t index = 0;
  char nonce[WXPAY_NONCE_LEN + 1];
  wxpay_err e;
  int rc, done;

  v2_client(ctx, &cli);
  memset(&req, 0, sizeof req);
  memset(&res, 0, sizeof res);
  req.combine_appid = o->appid;
  req.combine_mch_id = o->mchid;
  req.combine_out_trade_no = o->order;
  req.sub_orders = o->nsubs ? o->subs : NULL;
  req.sub_order_count = o->nsubs;
  req.sub_order_list_json = o->sub_json;
  req.nonce_str = o->nonce;
  req.created_at = (long long)o->created_at.value;
  if ((rc = check_v2_endpoints(ctx)) != 0) return rc;

  e = wxpay_close_validate(&cli, &req, &field, &index);
  if (e == WXPAY_ERR_TOO_EARLY) {
    empty_resp(&resp);
    resp.retry_after = wxpay_close_wait_seconds(&cli, &req);
    return report_v2(o, e, &resp, NULL, NULL, NULL, &res, NULL);
  }
  if (e != WXPAY_OK) return invalid_field(ctx, e, field, index);
  if (o->dry_run || o->explain) {
    rc = close_explain_or_dry_run(ctx, &cli, &req, nonce, &done);
    if (done) {
      wxpay_client_wipe(&cli);
      return rc;
    }
  }
  pick_endpoints(o, WXPAY_ENDPOINT, WXPAY_BACKUP_ENDPOINT, &primary, &backup);
  if ((rc = open_transport(ctx, &cli, &res, primary, backup)) != 0) {
    wxpay_client_wipe(&cli);
    return rc;
  }
  ctx->log.close_url = primary;
  ctx->log.close_backup = backup;
  rc = close_and_settle(ctx, &cli, &req, primary, backup, &res);
  close_transport(ctx);
  return rc;
}

/* >>query: `wxpay-close query`, the order's state now */

int run_query(cli_context *ctx) {
  const cli_opts *o = &ctx->opts;
  wxpay_client cli;
  wxpay_query_req req;
  wxpay_query_resp *resp = &ctx->answer.v2_query;
  cli_result res;
  cli_summary s;
  const char *field = NULL, *primary, *backup, *qurl, *qbackup;
  char why[600];
  size_t len = 0;
  wxpay_err e;
  int rc;

  v2_client(ctx, &cli);
  memset(&req, 0, sizeof req);
  memset(&res, 0, sizeof res);
  req.combine_appid = o->appid;
  req.combine_mch_id = o->mchid;
  req.combine_out_trade_no = o->order;
  req.nonce_str = o->nonce;
  if ((rc = check_v2_endpoints(ctx)) != 0) return rc;
  e = wxpay_query_validate(&cli, &req, &field);
  if (e != WXPAY_OK) return invalid_field(ctx, e, field, 0);
  if (o->dry_run) {
    e = wxpay_query_build(&cli, &req, ctx->work, sizeof ctx->work, &len);
    wxpay_client_wipe(&cli);
    if (e != WXPAY_OK) return build_failed("", e);
    fwrite(ctx->work, 1, len, stdout);
    return EXIT_DONE;
  }
  pick_endpoints(o, WXPAY_ENDPOINT, WXPAY_BACKUP_ENDPOINT, &primary, &backup);
  qurl = query_url(ctx, primary);
  qbackup = o->query_endpoint ? NULL : backup;
  if ((rc = open_transport(ctx, &cli, &res, qurl, qbackup)) != 0) {
    wxpay_client_wipe(&cli);
    return rc;
  }
  memset(resp, 0, sizeof *resp);
  resp->order.sub_orders = ctx->states;
  resp->order.sub_order_cap = CLI_MAX_SUBS;
  e = wxpay_query(&cli, &req, resp, ctx->work, sizeof ctx->work);
  wxpay_client_wipe(&cli);
  if (o->verbose && resp->answer.fields.count) /* sub_order_list: decoded in place, not shown */
    fprintf(stderr, PROG ": HTTP %d, %s, %lu fields\n", resp->answer.http_status,
            resp->answer.verified ? "signature verified" : "not verified",
            (unsigned long)resp->answer.fields.count);
  log_transport_error(ctx, e);
  summarize_v2(e, &resp->answer, ctx->log.query_asked, &s, why, sizeof why);
  s.again = "query again";
  if (o->query_endpoint)
    s.http_hint = "is --query-endpoint the URL of the call, ending in /pay/querycombinedorder?";
  if (e == WXPAY_ERR_JSON)
    say(s.untrusted, sizeof s.untrusted, "untrustworthy response: its sub_order_list is not "
        "JSON the order can be read from (%s, at byte %lu of it) — nothing is known about "
        "the order", wxpay_err_name(e), (unsigned long)resp->json_error_offset);
  rc = report_query(o, e, resp->found, &resp->order, &s, qurl, qbackup, &res, json_v2_fields,
                    &resp->answer);
  close_transport(ctx);
  return rc;
}

/* >>verify: an answer read on stdin, checked as a close's would be */

int run_verify(cli_context *ctx) {
  const cli_opts *o = &ctx->opts;
  char *body = ctx->text.body;
  wxpay_client cli;
  wxpay_close_resp resp;
  wxpay_close_req req;
  cli_result res;
  size_t n = 0, got;
  wxpay_err e;

  memset(&cli, 0, sizeof cli);
  memset(&res, 0, sizeof res);
  memset(&req, 0, sizeof req);
  cli.api_key = ctx->key;
  do {
    got = fread(body + n, 1, sizeof ctx->text.body - n, stdin);
    n += got;
  } while (got && n < sizeof ctx->text.body);
  if (ferror(stdin)) {
    fprintf(stderr, PROG ": cannot read standard input\n");
    return EXIT_INTERNAL;
  }
  if (n > CLI_VERIFY_MAX) {
    empty_resp(&resp);
    return report_v2(o, WXPAY_ERR_TOO_LARGE, &resp, NULL, NULL, NULL, &res, NULL);
  }
  /* Both echoes given: the library checks them. One alone: checked here,
     the same way (only on a verified return_code SUCCESS answer). */
  req.combine_appid = o->appid;
  req.combine_mch_id = o->mchid;
  e = wxpay_close_parse(&cli, o->appid && o->mchid ? &req : NULL, body, n, &resp);
  if (e == WXPAY_OK && resp.verified && !strcmp(resp.return_code, "SUCCESS") &&
      ((o->appid && strcmp(o->appid, resp.combine_appid)) ||
       (o->mchid && strcmp(o->mchid, resp.combine_mch_id)))) {
    e = WXPAY_ERR_ECHO_MISMATCH;
    resp.outcome = WXPAY_OUTCOME_NONE;
  }
  return report_v2(o, e, &resp, NULL, NULL, NULL, &res, NULL);
}
