/* outcome.c -- from (error, answer) to exit status, outcome word and
   sentence, for both APIs; and what a settle's queries found. */
#include "cli.h"

#include <stdarg.h>
#include <string.h>

/* What both APIs' responses tell alike; the rest is each API's to fill. */
static void summary_init(cli_summary *s, wxpay_outcome outcome, int verified, int http_status,
                         int attempts, wxpay_net net, long long retry_after, const char *asked) {
  memset(s, 0, sizeof *s);
  s->http_url = asked && *asked ? asked : NULL;
  s->outcome = outcome;
  s->verified = verified;
  s->http_status = http_status;
  s->attempts = attempts;
  s->net = net;
  s->retry_after = retry_after;
  s->again = "close again with the same order";
}

void set_result(cli_result *res, int exit_code, const char *outcome, const char *fmt, ...) {
  va_list ap;
  int needed;
  res->exit_code = exit_code;
  res->outcome = outcome;
  va_start(ap, fmt);
  needed = vsnprintf(res->message, sizeof res->message, fmt, ap);
  va_end(ap);
  fit_text(res->message, sizeof res->message, needed);
}

/* The sentence for a verified answer (or verify's unverified one). */
static void conclude_answer(const cli_opts *o, const cli_summary *s, cli_result *res) {
  const char *tries = s->attempts == 1 ? "attempt" : "attempts";
  switch (s->outcome) {
  case WXPAY_OUTCOME_CLOSED:
    if (o->order)
      set_result(res, EXIT_DONE, "closed", "closed: combined order %s is closed", o->order);
    else
      set_result(res, EXIT_DONE, "closed", "closed"); /* verify: no order given */
    return;
  case WXPAY_OUTCOME_ALREADY_CLOSED:
    set_result(res, EXIT_DONE, "already_closed",
               "already closed: it was closed before (%s); nothing to do", s->code);
    return;
  case WXPAY_OUTCOME_PAID:
    set_result(res, EXIT_PAID, "paid", "order is PAID — do not reissue, treat as paid (%s)",
               s->code);
    return;
  case WXPAY_OUTCOME_RETRY:
    if (o->verify)
      set_result(res, EXIT_RETRY, "retry", "retry later: %s — %s", s->why, s->again);
    else
      set_result(res, EXIT_RETRY, "retry", "retry later: %s — %s (%d %s made)%s", s->why,
                 s->again, s->attempts, tries, s->note);
    return;
  case WXPAY_OUTCOME_PAYING:
    set_result(res, EXIT_RETRY, "paying",
               "paying: the customer is paying for this order right now (%s) — do not "
               "reissue; query the order in about 5 s, and close again if it is still unpaid",
               s->code);
    return;
  case WXPAY_OUTCOME_NOT_FOUND:
  case WXPAY_OUTCOME_REJECTED:
    set_result(res, EXIT_REJECTED,
               s->outcome == WXPAY_OUTCOME_NOT_FOUND ? "not_found" : "rejected",
               "rejected: %s — %s%s", s->why, s->hint, s->note);
    return;
  default:
    set_result(res, EXIT_INTERNAL, "error", "internal error: no outcome");
    return;
  }
}

/* The exit status, outcome word and sentence for error e, or for the answer
   when e is WXPAY_OK; url and backup: where the close went (NULL when
   nothing was sent). */
void conclude(const cli_opts *o, wxpay_err e, const cli_summary *s, const char *url,
              const char *backup, cli_result *res) {
  const char *tries = s->attempts == 1 ? "attempt" : "attempts";
  res->error = e == WXPAY_OK ? NULL : wxpay_err_name(e);
  if (*s->untrusted) {
    set_result(res, EXIT_UNTRUSTED, "untrusted", "%s", s->untrusted);
    return;
  }
  if (e == WXPAY_OK) {
    conclude_answer(o, s, res);
    return;
  }
  switch (e) {
  case WXPAY_ERR_TOO_EARLY:
    set_result(res, EXIT_RETRY, "retry", "retry after %lld s: the order is less than a minute old "
               "and WeChat refuses to close it before then (nothing was sent)", s->retry_after);
    return;
  case WXPAY_ERR_TRANSPORT:
    set_result(res, EXIT_RETRY, "retry", "retry later: could not complete the exchange with %s%s "
               "(last failure: %s) after %d %s", url, backup ? " or its backup" : "",
               wxpay_net_name(s->net), s->attempts, tries);
    return;
  case WXPAY_ERR_HTTP_STATUS:
    /* the URL that answered: an --endpoint without the call's path is the
       usual cause of a 404 */
    if (s->http_retry)
      set_result(res, EXIT_RETRY, "retry", "retry later: the server answered HTTP %d%s%s after %d "
                 "%s", s->http_status, s->http_url ? " from " : "",
                 s->http_url ? s->http_url : "", s->attempts, tries);
    else
      set_result(res, EXIT_REJECTED, "rejected",
                 "rejected: the server answered HTTP %d%s%s%s — %s", s->http_status,
                 s->http_note, s->http_url ? " from " : "", s->http_url ? s->http_url : "",
                 s->http_hint);
    return;
  case WXPAY_ERR_KEY:
  case WXPAY_ERR_MISSING_FIELD:
  case WXPAY_ERR_FIELD_TOO_LONG:
  case WXPAY_ERR_BAD_CHARS:
  case WXPAY_ERR_SUB_ORDER_COUNT:
  case WXPAY_ERR_SUB_ORDER_LIST_TOO_LONG:
  case WXPAY_ERR_NONCE:
    set_result(res, EXIT_USAGE, "invalid", "invalid input: %s", wxpay_strerror(e));
    return;
  default: /* SIGNER, CLOCK, RANDOM, BUFFER, V3_CONFIG: not the server's doing */
    set_result(res, EXIT_INTERNAL, "error", "internal error: %s (%s)", wxpay_strerror(e),
               wxpay_err_name(e));
    return;
  }
}

int paid_state(wxpay_trade_state s) {
  return s == WXPAY_TRADE_SUCCESS || s == WXPAY_TRADE_REFUND;
}

/* An amount for people: "100 fen = 1.00 yuan", or "amount not given". */
void amount_text(char *out, size_t cap, int64_t fen) {
  if (fen < 0)
    snprintf(out, cap, "amount not given");
  else
    snprintf(out, cap, "%lld fen = %lld.%02lld yuan", (long long)fen, (long long)(fen / 100),
             (long long)(fen % 100));
}

/* What a verified order means to the merchant, as settle judges it: paid
   (a sub-order SUCCESS or REFUND), closed (every one CLOSED), paying (one
   USERPAYING or ACCEPT), else unpaid. */
const char *order_state(const wxpay_order *ord) {
  size_t k, closed = 0;
  int paying = 0;
  for (k = 0; k < ord->sub_order_count; k++) {
    wxpay_trade_state st = ord->sub_orders[k].state;
    if (paid_state(st)) return "paid";
    closed += st == WXPAY_TRADE_CLOSED;
    paying |= st == WXPAY_TRADE_USERPAYING || st == WXPAY_TRADE_ACCEPT;
  }
  if (closed && closed == ord->sub_order_count) return "closed";
  return paying ? "paying" : "unpaid";
}

/* "MCHID OUT_TRADE_NO (SUCCESS, transaction_id T, 100 fen = 1.00 yuan); ..."
   for the paid sub-orders, cut as fit_text() says. The strings are the
   server's: the sentence is printed with put_safe() or put_json_str(). */
void paid_list(const wxpay_order *ord, char *out, size_t cap) {
  size_t k, used = 0;
  out[0] = '\0';
  for (k = 0; k < ord->sub_order_count; k++) {
    const wxpay_query_sub_order *q = &ord->sub_orders[k];
    char amount[64];
    int n;
    if (!paid_state(q->state)) continue;
    amount_text(amount, sizeof amount, q->total_amount);
    n = snprintf(out + used, cap - used, "%s%s %s (%s, transaction_id %s, %s)", used ? "; " : "",
                 q->mchid, q->out_trade_no, q->trade_state,
                 *q->transaction_id ? q->transaction_id : "none", amount);
    if (n < 0 || (size_t)n >= cap - used) {
      fit_text(out, cap, n < 0 ? n : (int)(used + (size_t)n));
      return;
    }
    used += (size_t)n;
  }
}

/* What a settle (either API's) found, into st. e: what it returned;
   close_err: why the last close's answer is not one (from the log: settle
   keeps the close's answer, not its error). */
void settle_found(cli_settle *st, wxpay_err e, wxpay_err close_err, wxpay_settlement settlement,
                  int closes, int queries, unsigned poll_ms, int found, const wxpay_order *order) {
  memset(st, 0, sizeof *st);
  st->settlement = settlement;
  st->err = e;
  st->close_err = close_err;
  st->closes = closes;
  st->queries = queries;
  st->poll_ms = poll_ms;
  st->found = found;
  st->order = order;
}

/* The conclusion of a close that was followed by queries (st->queries >
   0), in res. cs: the last close's summary (its outcome NONE when it got
   no trustworthy answer); qs: the last query's, for a query that failed or
   found no order; qurl, qbackup: where the queries went.

   A verified PAID or PAYING close keeps its exit status (3, 4) unless the
   queries settled the order; a close without a trustworthy answer takes
   the query's: a failed query is never made into a state. */
void settle_conclude(const cli_opts *o, const cli_settle *st, const cli_summary *cs,
                            const char *url, const char *backup, const cli_summary *qs,
                            const char *qurl, const char *qbackup, cli_result *res) {
  char list[700], note[600];
  int close_answered = st->close_err == WXPAY_OK && cs->outcome != WXPAY_OUTCOME_NONE;
  if (st->err == WXPAY_OK && st->settlement == WXPAY_SETTLE_PAID) {
    paid_list(st->order, list, sizeof list);
    set_result(res, EXIT_PAID, "paid", "order is PAID — do not reissue, treat as paid (%s); "
               "paid: %s", cs->outcome == WXPAY_OUTCOME_PAID ? cs->code : "the query found it paid",
               list);
    res->error = NULL;
    return;
  }
  if (st->err == WXPAY_OK && st->settlement == WXPAY_SETTLE_CLOSED) {
    set_result(res, EXIT_DONE, "closed", "closed: combined order %s is closed (%s)", o->order,
               st->closes > 1 ? "closed again after a query found it unpaid"
                              : "a query found every sub-order CLOSED");
    res->error = NULL;
    return;
  }
  if (st->err == WXPAY_OK && st->settlement == WXPAY_SETTLE_PAYING) {
    set_result(res, EXIT_RETRY, "paying", "paying: the customer is paying for this order right "
               "now (%s) — do not reissue; still paying after %d queries and a second close: "
               "close again later with the same order", *cs->code ? cs->code : "USERPAYING",
               st->queries);
    res->error = NULL;
    return;
  }
  if (st->err != WXPAY_OK)
    say(note, sizeof note, "the query that followed failed: %s (%s)", wxpay_strerror(st->err),
        wxpay_err_name(st->err));
  else if (!st->found)
    say(note, sizeof note, "the query that followed found no order (%s)", qs->why ? qs->why : "");
  else
    say(note, sizeof note, "a query found it %s", order_state(st->order));
  if (close_answered && (cs->outcome == WXPAY_OUTCOME_PAID || cs->outcome == WXPAY_OUTCOME_PAYING ||
                         st->found)) {
    /* the last close's verified answer stands: what the query added is said */
    size_t n;
    conclude(o, WXPAY_OK, cs, NULL, NULL, res);
    n = strlen(res->message);
    say(res->message + n, sizeof res->message - n, "; %s", note);
    return;
  }
  if (st->err == WXPAY_OK && st->found) {
    set_result(res, EXIT_RETRY, "retry", "retry later: %s, and the close that followed got no "
               "trustworthy answer — close again with the same order", note);
    res->error = NULL;
    return;
  }
  {
    /* nothing trustworthy from the close: the query's answer or error
       decides the status; the sentence says both */
    cli_result q, c;
    memset(&q, 0, sizeof q);
    memset(&c, 0, sizeof c);
    conclude(o, st->err, qs, qurl, qbackup, &q);
    conclude(o, st->close_err, cs, url, backup, &c);
    set_result(res, q.exit_code, q.outcome, "%s; then the query: %s", c.message, q.message);
    res->error = q.error;
  }
}

/* >>v2: what an APIv2 answer means */

static const char *reject_hint(const wxpay_close_resp *r) {
  const char *c = r->err_code;
  if (!strcmp(r->return_code, "FAIL")) {
    if (strstr(r->return_msg, "签名") || strstr(r->return_msg, "sign"))
      return "check the API key (the 32-byte APIv2 key of this merchant)";
    if (strstr(r->return_msg, "商户号")) return "check --mchid";
    return "WeChat refused the request itself (return_code FAIL)";
  }
  if (!strcmp(c, "SIGNERROR")) return "check the API key";
  if (!strcmp(c, "NOAUTH"))
    return "the merchant lacks the combined-payment permission, or the appid is not its own";
  if (!strcmp(c, "PARAM_ERROR"))
    return "check --order and the sub-orders (they must match the original order exactly)";
  if (!strcmp(c, "ORDERNOTEXIST")) return "no such combined order: check --order and --mchid";
  if (!strcmp(c, "INVALID_REQUEST")) return "check the request parameters";
  if (!strcmp(c, "REQUIRE_POST_METHOD")) return "the transport did not POST";
  if (!strcmp(c, "XML_FORMAT_ERROR")) return "the request body was malformed (a bug: please report it)";
  return "fix the request";
}

/* The reason WeChat gave, for a sentence: "SIGNERROR 签名错误". */
static void reason_of(const wxpay_close_resp *r, char *out, size_t cap) {
  if (*r->err_code)
    say(out, cap, "%s%s%s", r->err_code, *r->err_code_des ? " " : "", r->err_code_des);
  else if (*r->return_msg)
    say(out, cap, "%s", r->return_msg);
  else
    say(out, cap, "return_code %s", r->return_code);
}

/* The sentence for an error that makes a v2 answer untrustworthy; "" for
   any other error. */
static void untrusted_v2(wxpay_err e, const wxpay_close_resp *r, char *out, size_t cap) {
  switch (e) {
  case WXPAY_ERR_TOO_LARGE:
    snprintf(out, cap, "untrustworthy response: %s — nothing is known about the order",
             wxpay_strerror(e));
    return;
  case WXPAY_ERR_JSON:          /* a query's sub_order_list */
  case WXPAY_ERR_QUERY_FIELDS:
    snprintf(out, cap, "untrustworthy response: %s (%s) — nothing is known about the order",
             wxpay_strerror(e), wxpay_err_name(e));
    return;
  case WXPAY_ERR_XML:
  case WXPAY_ERR_XML_FORBIDDEN:
  case WXPAY_ERR_XML_NESTED:
  case WXPAY_ERR_XML_DUPLICATE:
  case WXPAY_ERR_XML_LIMIT:
  case WXPAY_ERR_UTF8:
    snprintf(out, cap, "untrustworthy response: %s (%s, at byte %lu) — nothing is known about the "
             "order", wxpay_strerror(e), wxpay_err_name(e), (unsigned long)r->error_offset);
    return;
  case WXPAY_ERR_RESPONSE:
  case WXPAY_ERR_NO_SIGNATURE:
  case WXPAY_ERR_SIGNATURE:
  case WXPAY_ERR_ECHO_MISMATCH:
  case WXPAY_ERR_AMBIGUOUS:
    snprintf(out, cap, "untrustworthy response: %s (%s) — nothing is known about the order; %s",
             wxpay_strerror(e), wxpay_err_name(e),
             e == WXPAY_ERR_ECHO_MISMATCH ? "check --appid and --mchid"
                                          : "check the API key and the endpoint");
    return;
  default:
    *out = '\0';
    return;
  }
}

/* What a v2 answer r (error e) tells, into s (its reason in why). */
void summarize_v2(wxpay_err e, const wxpay_close_resp *r, const char *asked, cli_summary *s,
                  char *why, size_t cap) {
  summary_init(s, r->outcome, r->verified, r->http_status, r->attempts, r->net, r->retry_after,
               asked);
  s->http_hint = "is --endpoint the URL of the call, ending in /pay/closecombinedorder?";
  s->code = r->outcome == WXPAY_OUTCOME_PAID     ? "ORDERPAID"
            : r->outcome == WXPAY_OUTCOME_PAYING ? "USERPAYING"
                                                 : "ORDERCLOSED";
  s->note = "";
  s->http_retry = r->http_status >= 500;
  s->http_note = "";
  if (e == WXPAY_OK) { /* the answer's strings are set */
    reason_of(r, why, cap);
    s->why = why;
    s->hint = reject_hint(r);
  }
  untrusted_v2(e, r, s->untrusted, sizeof s->untrusted);
}

#ifndef CLI_RSA_NONE
static const char *v3_hint(const wxpay_v3_close_resp *r) {
  const char *c = r->code;
  if (!strcmp(c, "SIGN_ERROR"))
    return "check --private-key, --serial and --mchid (the key must be the one of the "
           "certificate with that serial)";
  if (!strcmp(c, "NO_AUTH"))
    return "the merchant lacks the combined-payment permission, or the appid is not its own";
  if (!strcmp(c, "PARAM_ERROR"))
    return "check --combine-out-trade-no and the sub-orders";
  if (!strcmp(c, "INVALID_REQUEST"))
    return "check --combine-appid and the sub-orders (they must match the original order "
           "exactly, sub_mchid and sub_appid included)";
  if (r->outcome == WXPAY_OUTCOME_NOT_FOUND)
    return "no such combined order: check --combine-out-trade-no and --mchid";
  return "fix the request";
}

/* The sentence for an error that makes a v3 answer untrustworthy; "" for
   any other error. */
static void untrusted_v3(const cli_v3 *v3, wxpay_err e, const wxpay_v3_close_resp *r, char *out,
                         size_t cap) {
  switch (e) {
  case WXPAY_ERR_NO_SIGNATURE:
    snprintf(out, cap, "untrustworthy response: HTTP %d without a platform signature (%s) — "
             "nothing is known about the order; check --endpoint", r->http_status,
             wxpay_err_name(e));
    return;
  case WXPAY_ERR_SIGNATURE:
    if (*v3->serial_seen)
      snprintf(out, cap, "untrustworthy response: its signature does not verify with the platform "
               "key %s (%s) — nothing is known about the order; check --platform-cert and "
               "--endpoint", v3->serial_seen, wxpay_err_name(e));
    else
      snprintf(out, cap, "untrustworthy response: its Wechatpay-Signature or Wechatpay-Nonce is "
               "malformed (%s) — nothing is known about the order; check --endpoint",
               wxpay_err_name(e));
    return;
  case WXPAY_ERR_UNKNOWN_SERIAL:
    snprintf(out, cap, "untrustworthy response: signed with platform key %s, which was not given "
             "(%s) — nothing is known about the order; add that platform certificate "
             "with --platform-cert (or --platform-public-key)",
             *v3->serial_seen ? v3->serial_seen : "(no valid Wechatpay-Serial)",
             wxpay_err_name(e));
    return;
  case WXPAY_ERR_SIGNTEST:
    snprintf(out, cap, "untrustworthy response: a WECHATPAY/SIGNTEST/ probe signature on every "
             "answer (%d %s; %s) — WeChat checks that answers are verified; nothing is known "
             "about the order: close again", r->attempts, r->attempts == 1 ? "attempt" : "attempts",
             wxpay_err_name(e));
    return;
  case WXPAY_ERR_STATUS_BODY:
    snprintf(out, cap, "untrustworthy response: HTTP %d with a body that does not fit it (%s) — "
             "the signature does not cover the status; nothing is known about the order; check "
             "--endpoint", r->http_status, wxpay_err_name(e));
    return;
  case WXPAY_ERR_STALE:
    snprintf(out, cap, "untrustworthy response: its Wechatpay-Timestamp is more than 5 minutes "
             "from this machine's clock (%s): a replayed answer, or a wrong clock — nothing is "
             "known about the order; check the system clock", wxpay_err_name(e));
    return;
  case WXPAY_ERR_TOO_LARGE:
  case WXPAY_ERR_JSON:
  case WXPAY_ERR_UTF8:
  case WXPAY_ERR_QUERY_FIELDS:
    snprintf(out, cap, "untrustworthy response: %s (%s) — nothing is known about the order",
             wxpay_strerror(e), wxpay_err_name(e));
    return;
  default:
    *out = '\0';
    return;
  }
}

/* What a v3 answer r (error e) tells, into s (its reason in why). */
void summarize_v3(const cli_v3 *v3, wxpay_err e, const wxpay_v3_close_resp *r,
                  const char *asked, cli_summary *s, char *why, size_t cap) {
  summary_init(s, r->outcome, r->verified, r->http_status, r->attempts, r->net, r->retry_after,
               asked);
  s->http_hint = "check --endpoint (the host, and a gateway's path if any; /v3/... is added)";
  s->code = r->code;
  s->note = r->verified ? "" : " (unsigned answer)";
  s->http_retry = r->http_status >= 500 || r->http_status == 429;
  s->http_note = " without a WeChat Pay error body";
  say(why, cap, "%s%s%s", r->code, *r->message ? " " : "", r->message);
  s->why = why;
  s->hint = v3_hint(r);
  untrusted_v3(v3, e, r, s->untrusted, sizeof s->untrusted);
}

#endif /* CLI_RSA_NONE */
