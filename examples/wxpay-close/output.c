/* output.c -- what a run prints: the sentence, the fields and sub-orders
   on human lines, or one --json object. Every string that came from the
   network goes through put_safe() or put_json_str() (text.c). */
#include "cli.h"

#include <string.h>

/* The --json object up to "retry_after", the same for both APIs ("api" and
   "signer": v3 only; what was sent where: not for verify). The caller adds
   its own members and "fields", and closes the object. */
static void json_open(const cli_opts *o, const cli_result *res, const cli_summary *s) {
  printf("{%s\"outcome\":", o->v3 ? "\"api\":\"v3\"," : "");
  put_json_str(stdout, res->outcome);
  printf(",\"exit\":%d,\"error\":", res->exit_code);
  put_json_str_or_null(stdout, res->error);
  printf(",\"message\":");
  put_json_str(stdout, res->message);
  printf(",\"verified\":%s", s->verified ? "true" : "false");
  if (!o->verify) {
    printf(",\"order\":");
    put_json_str(stdout, o->order);
    printf(",\"transport\":");
    put_json_str_or_null(stdout, res->transport);
    if (o->v3) printf(",\"signer\":\"" CLI_RSA_NAME "\"");
    printf(",\"attempts\":%d,\"http_status\":%d,\"net\":", s->attempts, s->http_status);
    put_json_str(stdout, wxpay_net_name(s->net));
  }
  printf(",\"retry_after\":%lld", s->retry_after);
}

/* One "name":"value" member of "fields", after a comma unless the first. */
static void json_field(int *first, const char *name, const char *value) {
  if (!*first) putchar(',');
  *first = 0;
  put_json_str(stdout, name);
  putchar(':');
  put_json_str(stdout, value);
}

/* One line per sub-order, two spaces in: merchant, order number, state,
   transaction id and amount. */
static void print_sub_orders(FILE *f, const wxpay_order *ord) {
  size_t k;
  for (k = 0; k < ord->sub_order_count; k++) {
    const wxpay_query_sub_order *q = &ord->sub_orders[k];
    char amount[64];
    fputs("  ", f);
    put_safe(f, q->mchid);
    if (*q->sub_mchid) {
      fputs(" (sub_mchid ", f);
      put_safe(f, q->sub_mchid);
      fputc(')', f);
    }
    fputc(' ', f);
    put_safe(f, q->out_trade_no);
    fputs(": ", f);
    put_safe(f, *q->trade_state ? q->trade_state : "(no trade_state)");
    fprintf(f, " (%s), transaction_id ", wxpay_trade_state_text(q->state));
    put_safe(f, *q->transaction_id ? q->transaction_id : "none");
    amount_text(amount, sizeof amount, q->total_amount);
    fprintf(f, ", %s\n", amount);
  }
}

/* ,"name":"value" in a JSON object. */
static void json_str_member(const char *name, const char *value) {
  printf(",\"%s\":", name);
  put_json_str(stdout, value);
}

static void json_amount_member(const char *name, int64_t fen) {
  if (fen < 0) printf(",\"%s\":null", name);
  else printf(",\"%s\":%lld", name, (long long)fen);
}

/* The combined order's fields as one object. */
static void json_combined(const wxpay_order *ord) {
  printf("{\"combine_appid\":");
  put_json_str(stdout, ord->combine_appid);
  json_str_member("combine_mchid", ord->combine_mchid);
  json_str_member("combine_out_trade_no", ord->combine_out_trade_no);
  json_str_member("combine_openid", ord->combine_openid);
  json_str_member("device_info", ord->device_info);
  json_str_member("trade_state", ord->trade_state);
  json_str_member("trade_state_desc", ord->trade_state_desc);
  putchar('}');
}

/* The sub-orders as an array of objects; amounts in fen, null when absent. */
static void json_sub_orders(const wxpay_order *ord) {
  size_t k;
  putchar('[');
  for (k = 0; k < ord->sub_order_count; k++) {
    const wxpay_query_sub_order *q = &ord->sub_orders[k];
    printf("%s{\"mchid\":", k ? "," : "");
    put_json_str(stdout, q->mchid);
    json_str_member("sub_mchid", q->sub_mchid);
    json_str_member("out_trade_no", q->out_trade_no);
    json_str_member("trade_state", q->trade_state);
    printf(",\"paid\":%s", paid_state(q->state) ? "true" : "false");
    json_str_member("transaction_id", q->transaction_id);
    json_str_member("trade_type", q->trade_type);
    json_amount_member("total_amount", q->total_amount);
    json_amount_member("payer_amount", q->payer_amount);
    json_str_member("currency", q->currency);
    json_str_member("success_time", q->success_time);
    json_str_member("attach", q->attach);
    putchar('}');
  }
  putchar(']');
}

/* ,"settlement":{...}: the settle's end state, its error, the closes and
   queries made and, when a query found the order, what it found. */
static void json_settlement(const cli_settle *st) {
  printf(",\"settlement\":{\"state\":");
  put_json_str(stdout, wxpay_settlement_name(st->settlement));
  printf(",\"error\":");
  put_json_str_or_null(stdout, st->err == WXPAY_OK ? NULL : wxpay_err_name(st->err));
  printf(",\"closes\":%d,\"queries\":%d,\"poll_ms\":%u", st->closes, st->queries,
         st->poll_ms);
  if (st->found) {
    printf(",\"order_state\":\"%s\",\"combined\":", order_state(st->order));
    json_combined(st->order);
    printf(",\"sub_orders\":");
    json_sub_orders(st->order);
  } else {
    printf(",\"order_state\":null,\"combined\":null,\"sub_orders\":null");
  }
  putchar('}');
}

void print_fields(FILE *f, const wxpay_fields *fields, const char *indent) {
  const char *cur = NULL, *name, *value;
  while (wxpay_fields_next(fields, &cur, &name, &value)) {
    fputs(indent, f);
    put_safe(f, name);
    fputs(": ", f);
    put_safe(f, value);
    fputc('\n', f);
  }
}

/* The sentence, then a line per sub-order when a query found the order
   (ord, or NULL). */
static int print_sentence(const cli_result *res, const wxpay_order *ord) {
  put_safe(stdout, res->message);
  putchar('\n');
  if (ord) print_sub_orders(stdout, ord);
  return res->exit_code;
}

/* The --json object of a close: json_open()'s members, "settlement" after
   a settle, the API's own members (tail), one line. */
static int print_json_close(const cli_opts *o, const cli_result *res, const cli_summary *s,
                            const cli_queried *sq, void (*tail)(const void *),
                            const void *tail_arg) {
  json_open(o, res, s);
  if (sq && sq->st) json_settlement(sq->st);
  tail(tail_arg);
  printf("}\n");
  return res->exit_code;
}

/* The close's conclusion into res: after queries, settle_conclude()'s;
   else conclude()'s. */
static void conclude_close(const cli_opts *o, wxpay_err e, const cli_summary *s,
                           const char *url, const char *backup, const cli_queried *sq,
                           cli_result *res) {
  if (sq && sq->st && sq->st->queries)
    settle_conclude(o, sq->st, s, url, backup, &sq->query, sq->url, sq->backup, res);
  else conclude(o, e, s, url, backup, res);
}

/* ,"fields":{...}: every field received but the one named skip (or NULL). */
static void json_fields_except(const wxpay_fields *fields, const char *skip) {
  const char *cur = NULL, *name, *value;
  int first = 1;
  printf(",\"fields\":{");
  while (wxpay_fields_next(fields, &cur, &name, &value))
    if (!skip || strcmp(name, skip) != 0) json_field(&first, name, value);
  putchar('}');
}

static void json_v2_all_fields(const void *resp) {
  json_fields_except(&((const wxpay_close_resp *)resp)->fields, NULL);
}

/* A v2 query answer's fields but sub_order_list, whose text the library
   decoded in place into "sub_orders" (what is left of it is not the text
   received). */
void json_v2_fields(const void *resp) {
  json_fields_except(&((const wxpay_close_resp *)resp)->fields, "sub_order_list");
}

/* Concludes a v2 close or verify (error e, answer r, url and backup as for
   conclude(); sq: what a settle found, or NULL; asked: the URL the close
   asked last) and prints the result; returns the exit status. */
int report_v2(const cli_opts *o, wxpay_err e, const wxpay_close_resp *r, const char *url,
              const char *backup, const char *asked, cli_result *res, const cli_queried *sq) {
  cli_summary s;
  char why[600];
  int queried = sq && sq->st && sq->st->queries;
  /* after queries, e is theirs: the close is judged by its answer alone */
  summarize_v2(queried ? sq->st->close_err : e, r, asked, &s, why, sizeof why);
  conclude_close(o, e, &s, url, backup, sq, res);
  if (o->json) return print_json_close(o, res, &s, sq, json_v2_all_fields, r);
  if (o->verify && r->fields.count) {
    print_fields(stdout, &r->fields, "  ");
    if (res->exit_code != EXIT_UNTRUSTED)
      printf("  (%s)\n", r->verified ? "signature verified"
                                     : "unsigned: WeChat does not sign return_code FAIL answers");
  }
  return print_sentence(res, sq && sq->st && sq->st->found ? sq->st->order : NULL);
}

/* Concludes a query (error e; found, ord: what it found; s: the answer's
   summary; url, backup as for conclude()) and prints it: the sentence and
   a line per sub-order, or one JSON object whose API-specific members
   tail() adds. Returns the exit status. */
int report_query(const cli_opts *o, wxpay_err e, int found, const wxpay_order *ord,
                 const cli_summary *s, const char *url, const char *backup, cli_result *res,
                 void (*tail)(const void *), const void *tail_arg) {
  int known = e == WXPAY_OK && found;
  if (known) {
    char list[700];
    paid_list(ord, list, sizeof list);
    res->error = NULL;
    set_result(res, EXIT_DONE, "found", "found: combined order %s is %s%s%s%s (%lu sub-order%s)%s%s",
               o->order, order_state(ord), *ord->trade_state ? " (trade_state " : "",
               ord->trade_state, *ord->trade_state ? ")" : "", (unsigned long)ord->sub_order_count,
               ord->sub_order_count == 1 ? "" : "s", *list ? "; paid: " : "", list);
  } else {
    conclude(o, e, s, url, backup, res);
  }
  if (!o->json) return print_sentence(res, known ? ord : NULL);
  json_open(o, res, s);
  if (known) {
    printf(",\"state\":\"%s\",\"combined\":", order_state(ord));
    json_combined(ord);
    printf(",\"sub_orders\":");
    json_sub_orders(ord);
  } else {
    printf(",\"state\":null,\"combined\":null,\"sub_orders\":null");
  }
  tail(tail_arg);
  printf("}\n");
  return res->exit_code;
}

/* With --verbose: how many closes and queries a settle made. */
void print_verbose_settle(const cli_opts *o, int closes, int queries,
                          wxpay_settlement settlement) {
  if (o->verbose && queries)
    fprintf(stderr, PROG ": settle: %d close(s), %d query(ies), settlement %s\n", closes,
            queries, wxpay_settlement_name(settlement));
}

#ifndef CLI_RSA_NONE
/* The v3 members after "retry_after": request_id, platform_serial, fields.
   arg: a cli_v3_answer. */
void json_v3_tail(const void *arg) {
  const cli_v3_answer *a = (const cli_v3_answer *)arg;
  const wxpay_v3_close_resp *r = a->resp;
  int first = 1;
  printf(",\"request_id\":");
  put_json_str(stdout, r->request_id);
  printf(",\"platform_serial\":");
  put_json_str_or_null(stdout, *a->serial_seen ? a->serial_seen : NULL);
  printf(",\"fields\":{");
  if (*r->code) json_field(&first, "code", r->code);
  if (*r->message) json_field(&first, "message", r->message);
  if (*r->detail) json_field(&first, "detail", r->detail);
  putchar('}');
}

/* Concludes a v3 close (error e, answer r, url and backup as for
   conclude(); sq: what a settle found, or NULL) and prints the result;
   returns the exit status. */
int report_v3(const cli_context *ctx, wxpay_err e, const wxpay_v3_close_resp *r, const char *url,
              const char *backup, cli_result *res, const cli_queried *sq) {
  const cli_opts *o = &ctx->opts;
  cli_v3_answer answer;
  cli_summary s;
  char why[700];
  int queried = sq && sq->st && sq->st->queries;
  /* after queries, e is theirs: the close is judged by its answer alone */
  summarize_v3(&ctx->v3, queried ? sq->st->close_err : e, r, ctx->log.close_asked, &s, why,
               sizeof why);
  conclude_close(o, e, &s, url, backup, sq, res);
  if (!o->json) return print_sentence(res, sq && sq->st && sq->st->found ? sq->st->order : NULL);
  answer.resp = r;
  answer.serial_seen = ctx->v3.serial_seen;
  return print_json_close(o, res, &s, sq, json_v3_tail, &answer);
}
#endif /* CLI_RSA_NONE */
