/* options.c -- the command line: one table row per flag, the parser that
   walks it, the --help text printed from the same rows, and the usage
   errors (one line on stderr, exit 2, nothing sent). */
#include "cli.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define CLI_STR_(x) #x
#define CLI_STR(x) CLI_STR_(x) /* a number macro as a string literal */

/* What a flag does with its value. */
typedef enum cli_flag_kind {
  CLI_SWITCH,        /* takes no value: sets an int to 1 */
  CLI_TEXT,          /* a value that must not be empty: a const char * */
  CLI_NUMBER,        /* a whole number in its cli_range: a cli_number */
  CLI_API,           /* v2 or v3 */
  CLI_SUB_ORDER,     /* one sub-order, split once --api is known */
  CLI_PLATFORM_CERT, /* a file; repeated, up to CLI_MAX_PLATFORM_CERTS */
  CLI_PRIVATE_KEY,   /* the name of a file, never the key itself */
  CLI_REFUSED_KEY,   /* --key: the API key never comes from argv */
  CLI_HELP,          /* --help, --version: answered before parsing */
  CLI_VERSION
} cli_flag_kind;

/* Where --help lists a flag. */
typedef enum cli_section {
  CLI_SEC_REQUEST,
  CLI_SEC_V3_KEYS,
  CLI_SEC_SENDING,
  CLI_SEC_OUTPUT,
  CLI_SEC_OTHER,
  CLI_SEC_COUNT
} cli_section;

/* Which runs take a flag (the checks after parsing read these). */
enum {
  CLI_FOR_CLOSE_QUERY = 0, /* a close and a query take it, with either API */
  CLI_FOR_VERIFY = 1,      /* `verify` takes it too */
  CLI_FOR_V3_ONLY = 2      /* --api v3 only */
};

/* The whole numbers a CLI_NUMBER flag takes. */
typedef struct cli_range {
  unsigned long long lo, hi;
  const char *in_words;   /* for the usage error */
} cli_range;

#define UNIX_MAX 253402300799ULL /* 9999-12-31T23:59:59Z */
static const cli_range range_unix_seconds = {1, UNIX_MAX, "Unix seconds"};
static const cli_range range_timeout_ms = {1, 600000, "milliseconds, 1 to 600000"};
static const cli_range range_pause_ms = {0, 600000, "milliseconds, 0 to 600000"};
static const cli_range range_attempts = {1, 10, "a number from 1 to 10"};

typedef struct cli_flag {
  const char *name;       /* "--appid" */
  const char *value;      /* the value's name in --help ("APPID"); NULL:
                             the flag takes no value */
  cli_flag_kind kind;
  size_t offset;          /* where the value goes in cli_opts */
  cli_section section;
  unsigned use;           /* CLI_FOR_... */
  const char *help;       /* --help's text ('\n' starts an indented line);
                             NULL: not listed */
  const struct cli_range *range; /* CLI_NUMBER: the values it takes; NULL */
} cli_flag;

#define AT(field) offsetof(cli_opts, field)
/* Every flag, in --help's order: name, value, kind, where it goes, section,
   who takes it, help, a number's range. */
static const cli_flag cli_flags[] = {
    /* request */
    {"--api", "v2|v3", CLI_API, AT(v3), CLI_SEC_REQUEST, CLI_FOR_VERIFY,
     "which WeChat Pay API (default v2)", NULL},
    {"--appid", "APPID", CLI_TEXT, AT(appid), CLI_SEC_REQUEST, CLI_FOR_VERIFY,
     "combine_appid (合单 appid)", NULL},
    {"--combine-appid", "APPID", CLI_TEXT, AT(appid), CLI_SEC_REQUEST, CLI_FOR_VERIFY,
     "the same as --appid (the APIv3 name)", NULL},
    {"--mchid", "MCHID", CLI_TEXT, AT(mchid), CLI_SEC_REQUEST, CLI_FOR_VERIFY,
     "v2: combine_mch_id (合单商户号); v3: the merchant id\n"
     "that signs the request (Authorization mchid)", NULL},
    {"--order", "NO", CLI_TEXT, AT(order), CLI_SEC_REQUEST, CLI_FOR_CLOSE_QUERY,
     "combine_out_trade_no (合单商户订单号)", NULL},
    {"--combine-out-trade-no", "NO", CLI_TEXT, AT(order), CLI_SEC_REQUEST, CLI_FOR_CLOSE_QUERY,
     "the same as --order (the APIv3 name)", NULL},
    {"--sub", "MCHID:NO", CLI_SUB_ORDER, 0, CLI_SEC_REQUEST, CLI_FOR_CLOSE_QUERY,
     "one sub-order: mchid and out_trade_no; 1 to " CLI_STR(WXPAY_MAX_SUB_ORDERS) " of them,\n"
     "in the order of the original combined order", NULL},
    {"--sub-order", "MCHID:NO[:SUB_MCHID[:SUB_APPID]]", CLI_SUB_ORDER, 0, CLI_SEC_REQUEST,
     CLI_FOR_CLOSE_QUERY,
     "the same as --sub; with --api v3 it also takes the\n"
     "sub-merchant's mchid and appid (service providers)", NULL},
    {"--sub-order-list", "JSON", CLI_TEXT, AT(sub_json), CLI_SEC_REQUEST, CLI_FOR_CLOSE_QUERY,
     "v2: send JSON verbatim as sub_order_list (instead of --sub)", NULL},
    {"--nonce", "STR", CLI_TEXT, AT(nonce), CLI_SEC_REQUEST, CLI_FOR_CLOSE_QUERY,
     "fix nonce_str (v2: 1-32 printable characters; v3: 1-32\n"
     "of 0-9 A-Z a-z _ - | * @); default: 32 random\n"
     "[0-9A-Za-z], fresh for every attempt", NULL},
    {"--created-at", "UNIX", CLI_NUMBER, AT(created_at), CLI_SEC_REQUEST, CLI_FOR_CLOSE_QUERY,
     "when the order was created (Unix seconds): within its\n"
     "first minute nothing is sent and the answer is\n"
     "\"retry after N s\" (exit 4)", &range_unix_seconds},
    {"--key-file", "FILE", CLI_TEXT, AT(key_file), CLI_SEC_REQUEST, CLI_FOR_VERIFY,
     "v2: read the API key from FILE (default: $WXPAY_API_KEY)", NULL},
    {"--key", "KEY", CLI_REFUSED_KEY, 0, CLI_SEC_REQUEST, CLI_FOR_CLOSE_QUERY,
     NULL, NULL},
    /* APIv3 keys */
    {"--serial", "SERIAL", CLI_TEXT, AT(serial), CLI_SEC_V3_KEYS, CLI_FOR_V3_ONLY,
     "the serial number of the merchant API certificate\n"
     "(Authorization serial_no)", NULL},
    {"--private-key", "FILE", CLI_PRIVATE_KEY, AT(private_key), CLI_SEC_V3_KEYS, CLI_FOR_V3_ONLY,
     "the merchant's private key, PEM (apiclient_key.pem);\n"
     "default: the PEM text in $WXPAY_PRIVATE_KEY. Never\n"
     "printed; wiped and freed before exit", NULL},
    {"--platform-cert", "FILE", CLI_PLATFORM_CERT, 0, CLI_SEC_V3_KEYS, CLI_FOR_V3_ONLY,
     "a platform certificate (PEM): answers signed under its\n"
     "serial are verified with it; up to " CLI_STR(CLI_MAX_PLATFORM_CERTS) " (key rotation)", NULL},
    {"--platform-public-key", "FILE", CLI_TEXT, AT(platform_pub), CLI_SEC_V3_KEYS, CLI_FOR_V3_ONLY,
     "a platform public key (PEM), with --platform-key-id", NULL},
    {"--platform-key-id", "ID", CLI_TEXT, AT(platform_key_id), CLI_SEC_V3_KEYS, CLI_FOR_V3_ONLY,
     "its id (PUB_KEY_ID_...), the Wechatpay-Serial of the\n"
     "answers it signs. A platform key is required, except\n"
     "with --dry-run", NULL},
    {"--timestamp", "UNIX", CLI_NUMBER, AT(timestamp), CLI_SEC_V3_KEYS, CLI_FOR_V3_ONLY,
     "fix the request timestamp (default: now), e.g. for\n"
     "reproducible --dry-run output; WeChat refuses one more\n"
     "than 5 minutes off", &range_unix_seconds},
    /* sending */
    {"--endpoint", "URL", CLI_TEXT, AT(endpoint), CLI_SEC_SENDING, CLI_FOR_CLOSE_QUERY,
     "v2: the URL, default " WXPAY_ENDPOINT "\n"
     "v3: the host, default " WXPAY_V3_HOST ";\n"
     "a path after the host goes before /v3/... and is signed", NULL},
    {"--backup-endpoint", "URL", CLI_TEXT, AT(backup), CLI_SEC_SENDING, CLI_FOR_CLOSE_QUERY,
     "where the next attempt goes after a DNS, connect, TLS\n"
     "or timeout failure; default (only when --endpoint is\n"
     "not given) " WXPAY_BACKUP_ENDPOINT "\n"
     "(v3: " WXPAY_V3_BACKUP_HOST ")", NULL},
    {"--transport", "NAME", CLI_TEXT, AT(transport), CLI_SEC_SENDING, CLI_FOR_CLOSE_QUERY,
     "one of the built-in transports: " CLI_TRANSPORTS "\n"
     "(default: curl, else mbedtls, else socket; the socket\n"
     "transport speaks plain http:// only)", NULL},
    {"--cacert", "FILE", CLI_TEXT, AT(cacert), CLI_SEC_SENDING, CLI_FOR_CLOSE_QUERY,
     "CA certificates (PEM) for https:// (curl and mbedtls)", NULL},
    {"--timeout", "MS", CLI_NUMBER, AT(timeout_ms), CLI_SEC_SENDING, CLI_FOR_CLOSE_QUERY,
     "time for one attempt, connect included (default 8000;\n"
     "connecting alone: at most 6000)", &range_timeout_ms},
    {"--query-endpoint", "URL", CLI_TEXT, AT(query_endpoint), CLI_SEC_SENDING, CLI_FOR_CLOSE_QUERY,
     "v2: where the order is queried; default: --endpoint with\n"
     "closecombinedorder made querycombinedorder (an\n"
     "--endpoint of another shape needs this flag)", NULL},
    {"--attempts", "N", CLI_NUMBER, AT(attempts), CLI_SEC_SENDING, CLI_FOR_CLOSE_QUERY,
     "attempts in all, 1 to 10 (default 3), for each close\n"
     "and each query", &range_attempts},
    {"--retry-delay", "MS", CLI_NUMBER, AT(retry_delay_ms), CLI_SEC_SENDING, CLI_FOR_CLOSE_QUERY,
     "pause between attempts (default 1000)", &range_pause_ms},
    {"--poll-ms", "MS", CLI_NUMBER, AT(poll_ms), CLI_SEC_SENDING, CLI_FOR_CLOSE_QUERY,
     "pause between the queries while the customer pays\n"
     "(default " CLI_STR(WXPAY_SETTLE_POLL_MS) ", as WeChat advises; at most "
     CLI_STR(WXPAY_SETTLE_POLLS) " queries,\n"
     "then a second close)", &range_pause_ms},
    /* output */
    {"--dry-run", NULL, CLI_SWITCH, AT(dry_run), CLI_SEC_OUTPUT, CLI_FOR_CLOSE_QUERY,
     "send nothing; v2: print exactly the request body that\n"
     "would be POSTed (the bytes, no newline); v3: print the\n"
     "request line (POST URL), the headers (Authorization\n"
     "included), a blank line and the body", NULL},
    {"--explain", NULL, CLI_SWITCH, AT(explain), CLI_SEC_OUTPUT, CLI_FOR_CLOSE_QUERY,
     "print the signed string too (v2: key as ***; v3: the\n"
     "message the RSA signature covers), on stderr", NULL},
    {"--json", NULL, CLI_SWITCH, AT(json), CLI_SEC_OUTPUT, CLI_FOR_VERIFY,
     "print one JSON object on stdout: outcome, exit, error,\n"
     "message, and every response field received (\"fields\";\n"
     "v3: code, message, detail of an error answer); a close\n"
     "adds \"settlement\" (state, error, closes, queries and,\n"
     "once queried, \"combined\" and \"sub_orders\"); a query\n"
     "\"state\", \"combined\" and \"sub_orders\" (amounts in fen)", NULL},
    {"--verbose", NULL, CLI_SWITCH, AT(verbose), CLI_SEC_OUTPUT, CLI_FOR_VERIFY,
     "log each attempt and the fields received on stderr\n"
     "(never the key)", NULL},
    /* other */
    {"--help", NULL, CLI_HELP, 0, CLI_SEC_OTHER, CLI_FOR_CLOSE_QUERY,
     "print this help and exit", NULL},
    {"--version", NULL, CLI_VERSION, 0, CLI_SEC_OTHER, CLI_FOR_CLOSE_QUERY,
     "print the version, the signer and the transports built in", NULL},
};
#define CLI_FLAG_COUNT (sizeof cli_flags / sizeof cli_flags[0])

/* >>errors */

/* The --json object of a run refused before anything was sent: a usage
   error, or --api v3 on a build that cannot sign. */
static void json_refusal(const char *outcome, int exit_code, const char *error,
                         const char *msg, const char *flag) {
  printf("{\"outcome\":\"%s\",\"exit\":%d,\"error\":\"%s\",\"message\":", outcome, exit_code,
         error);
  put_json_str(stdout, msg);
  fputs(",\"flag\":", stdout);
  put_json_str_or_null(stdout, flag);
  fputs("}\n", stdout);
}

/* One line on stderr naming the problem (and flag, the flag behind it, in
   the JSON object with --json); returns EXIT_USAGE. */
int usage_error(const cli_context *ctx, const char *flag, const char *fmt, ...) {
  char msg[512]; /* a longer message is cut short: its start names the problem */
  va_list ap;
  int needed;
  va_start(ap, fmt);
  needed = vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  fit_text(msg, sizeof msg, needed);
  fputs(PROG ": ", stderr);
  put_safe(stderr, msg); /* it may quote an argument, in any encoding */
  fputs(" (see " PROG " --help)\n", stderr);
  if (ctx->json_errors) json_refusal("invalid", EXIT_USAGE, "USAGE", msg, flag);
  return EXIT_USAGE;
}

#ifdef CLI_RSA_NONE
/* One line on stderr (and the JSON object with --json): this build cannot
   do APIv3 at all. */
static int unsupported_v3(const cli_context *ctx) {
  const char *msg = "--api v3 needs an RSA adapter, and this " PROG " was built without "
                    "OpenSSL (libcrypto) and without mbedTLS: rebuild with one of them "
                    "(Debian: libssl-dev or libmbedtls-dev)";
  fprintf(stderr, PROG ": %s\n", msg);
  if (ctx->json_errors) json_refusal("unsupported", EXIT_UNSUPPORTED, "NO_RSA", msg, "--api");
  return EXIT_UNSUPPORTED;
}
#endif

/* >>help */

static const char *const section_title[CLI_SEC_COUNT] = {
    "request:",
    "APIv3 keys (--api v3; this build signs with: " CLI_RSA_NAME "):",
    "sending:",
    "output:",
    "other:",
};

/* One flag's lines: the flag and its value, then the text from column 25
   (on a line of its own when the flag is too long for that). */
static void print_flag_help(const cli_flag *f) {
  const char *line = f->help, *end;
  int width = printf("  %s%s%s", f->name, f->value ? " " : "", f->value ? f->value : "");
  if (width > 23) printf("\n%25s", "");
  else printf("%*s", 25 - width, "");
  for (;;) {
    end = strchr(line, '\n');
    if (!end) break;
    printf("%.*s\n%25s", (int)(end - line), line, "");
    line = end + 1;
  }
  printf("%s\n", line);
}

static const char help_usage[] =
    "usage: " PROG " --appid APPID --mchid MCHID --order COMBINE_OUT_TRADE_NO\n"
    "                   --sub SUB_MCHID:OUT_TRADE_NO [--sub ...] [options]\n"
    "       " PROG " --api v3 --mchid MCHID --serial SERIAL --private-key FILE\n"
    "                   --platform-cert FILE --combine-appid APPID\n"
    "                   --combine-out-trade-no NO\n"
    "                   --sub-order MCHID:OUT_TRADE_NO[:SUB_MCHID[:SUB_APPID]] ...\n"
    "                   [options]\n"
    "       " PROG " query --appid APPID --mchid MCHID --order NO [options]\n"
    "       " PROG " query --api v3 --mchid MCHID --serial SERIAL --private-key FILE\n"
    "                   --platform-cert FILE --combine-out-trade-no NO [options]\n"
    "       " PROG " verify [--appid APPID] [--mchid MCHID] [--json] < body.xml\n"
    "       " PROG " --help | --version\n"
    "\n"
    "Closes a WeChat Pay combined order (合单关单), verifies the signed answer and\n"
    "says what happened. When the close answers PAID, PAYING or nothing that can\n"
    "be trusted, it settles: it queries the order (合单查询订单) and says which\n"
    "sub-orders were paid, with transaction ids and amounts; while the customer\n"
    "pays it asks again up to " CLI_STR(WXPAY_SETTLE_POLLS) " times, --poll-ms apart, "
    "then closes once more.\n"
    "`query` only asks: each sub-order's state, transaction id and amount.\n"
    "--api v2 (the default) uses POST /pay/closecombinedorder;\n"
    "the API key (the 32-byte APIv2 key, not the APIv3 key or the AppSecret) comes\n"
    "from the environment variable WXPAY_API_KEY or from --key-file FILE, never\n"
    "from the command line. --api v3 uses POST /v3/combine-transactions/\n"
    "out-trade-no/{no}/close, signed with the merchant's RSA private key. Queries:\n"
    "v2 POST /pay/querycombinedorder, v3 GET /v3/combine-transactions/out-trade-no/{no}.\n";

/* (a string literal of its own: ISO C99 compilers need not take one longer
   than 4095 bytes) */
static const char help_verify[] =
    "verify (APIv2 only): reads a response body on stdin, checks its signature with\n"
    "the key (and, when given, the echoed --appid and --mchid), prints every field\n"
    "and the outcome, and exits with the same statuses as a real close.\n";

static const char help_exit[] =
    "exit status (the same for v2 and v3):\n"
    "  0  closed, or already closed (ORDERCLOSED, v3 ORDER_CLOSED): done;\n"
    "     query: the order was found (the answer verified)\n"
    "  2  usage error or invalid input (a one-line message; nothing was sent)\n"
    "  3  the order is PAID (ORDERPAID, or a query after the close found a\n"
    "     sub-order SUCCESS or REFUND): do not reissue it, treat it as paid\n"
    "  4  retry later with the same order: SYSTEMERROR (v3 SYSTEM_ERROR),\n"
    "     FREQUENCY_LIMITED, RULE_LIMIT, too early (\"retry after N s\"), a transport\n"
    "     failure or HTTP 5xx on every attempt; or USERPAYING (v3: a signed 202):\n"
    "     the customer is paying right now, query in about 5 s, then close again;\n"
    "     after a close: still paying after the polls and a second close\n"
    "  5  rejected by the server: SIGNERROR, NOAUTH, PARAM_ERROR, ORDERNOTEXIST,\n"
    "     another err_code, return_code FAIL or HTTP 4xx (v3: SIGN_ERROR, NO_AUTH,\n"
    "     PARAM_ERROR, INVALID_REQUEST, ORDER_NOT_EXIST, ...): fix the request;\n"
    "     query: no such order\n"
    "  6  untrustworthy response: bad or missing signature, malformed XML, echo\n"
    "     mismatch, an ambiguous signed string, oversized body or response head;\n"
    "     v3 also: unsigned, stale (Wechatpay-Timestamp over 5 minutes off), signed\n"
    "     by an unknown platform key, a SIGNTEST probe on every attempt, a 204 with\n"
    "     a body; a query answer whose order cannot be read (QUERY_FIELDS, JSON):\n"
    "     nothing can be concluded about the order (a close that got no trustworthy\n"
    "     answer is followed by a query, which decides the status)\n"
    "  7  --api v3 on a build without an RSA adapter (rebuild with OpenSSL's\n"
    "     libcrypto or mbedTLS)\n"
    "  1  internal error (no secure random source, out of buffer): a bug; or the\n"
    "     result could not be written to stdout (full disk, closed pipe): stderr\n"
    "     then names the status the run would have had\n";

/* The usage, every listed flag of cli_flags[] under its section's title,
   what verify does and the exit statuses. */
void print_help(void) {
  int section;
  size_t k;
  fputs(help_usage, stdout);
  for (section = 0; section < CLI_SEC_COUNT; section++) {
    printf("\n%s\n", section_title[section]);
    for (k = 0; k < CLI_FLAG_COUNT; k++)
      if (cli_flags[k].section == (cli_section)section && cli_flags[k].help)
        print_flag_help(&cli_flags[k]);
  }
  printf("\n%s\n%s", help_verify, help_exit);
}

void print_version(void) {
  printf(PROG " %s (wxpay_close.h %s; sha256: %s; v3 signer: %s; transports: %s)\n",
         WXPAY_VERSION, WXPAY_VERSION, wxpay_sha256_backend(), CLI_RSA_NAME, CLI_TRANSPORTS);
}

/* >>args */

/* Digits only, no sign, no overflow past max. */
static int parse_ull(const char *s, unsigned long long max, unsigned long long *out) {
  unsigned long long v = 0;
  if (!s || !*s) return -1;
  for (; *s; s++) {
    unsigned d;
    if (*s < '0' || *s > '9') return -1;
    d = (unsigned)(*s - '0');
    if (v > (max - d) / 10) return -1;
    v = v * 10 + d;
  }
  *out = v;
  return 0;
}

/* The row of the flag arg names ("--name", or "--name=VALUE" for a flag
   that takes a value, with *attached pointing at VALUE); NULL if none. */
static const cli_flag *flag_named(const char *arg, const char **attached) {
  size_t k;
  *attached = NULL;
  for (k = 0; k < CLI_FLAG_COUNT; k++) {
    const cli_flag *f = &cli_flags[k];
    size_t n = strlen(f->name);
    if (strncmp(arg, f->name, n) != 0) continue;
    if (arg[n] == '\0') return f;
    if (arg[n] == '=' && f->value) {
      *attached = arg + n + 1;
      return f;
    }
  }
  return NULL;
}

/* v2: SUB_MCHID:OUT_TRADE_NO, exactly one ':' (neither a merchant id nor an
   out_trade_no holds one: a second is a mistake, not part of a value). */
static int parse_sub(cli_context *ctx, char *arg, const char *flag) {
  cli_opts *o = &ctx->opts;
  char *colon = strchr(arg, ':');
  if (!colon || colon == arg || !colon[1] || strchr(colon + 1, ':'))
    return usage_error(ctx, flag, "malformed %s '%s': expected SUB_MCHID:OUT_TRADE_NO (one ':')",
                       flag, arg);
  if (o->nsubs >= WXPAY_MAX_SUB_ORDERS)
    return usage_error(ctx, flag, "too many %s: a combined order has at most %d sub-orders", flag,
                       WXPAY_MAX_SUB_ORDERS);
  *colon = '\0';
  o->subs[o->nsubs].mchid = arg;
  o->subs[o->nsubs].out_trade_no = colon + 1;
  o->nsubs++;
  return 0;
}

/* v3: MCHID:OUT_TRADE_NO[:SUB_MCHID[:SUB_APPID]], split at every ':' (a
   merchant id is digits; an appid is wx and hex). SUB_MCHID may be empty
   when SUB_APPID follows; nothing else may be. */
static int parse_v3_sub(cli_context *ctx, char *arg, const char *flag) {
  cli_opts *o = &ctx->opts;
  char *part[4];
  size_t n = 0, k;
  char *p = arg;
  int bad = 0;
  for (;;) {
    char *colon = strchr(p, ':');
    part[n++] = p;
    if (!colon) break;
    if (n == 4) { bad = 1; break; } /* a fifth part: left as it is */
    *colon = '\0';
    p = colon + 1;
  }
  for (k = 0; k < n && !bad; k++)
    if (!*part[k] && k != 2) bad = 1;
  if (bad || n < 2 || (n == 3 && !*part[2])) {
    for (k = 1; k < n; k++) part[k][-1] = ':'; /* the argument as given */
    return usage_error(ctx, flag,
                       "malformed %s '%s': expected MCHID:OUT_TRADE_NO[:SUB_MCHID[:SUB_APPID]]",
                       flag, arg);
  }
  if (o->nsubs >= WXPAY_V3_MAX_SUB_ORDERS)
    return usage_error(ctx, flag, "too many %s: a combined order has at most %d sub-orders", flag,
                       WXPAY_V3_MAX_SUB_ORDERS);
  o->v3subs[o->nsubs].mchid = part[0];
  o->v3subs[o->nsubs].out_trade_no = part[1];
  o->v3subs[o->nsubs].sub_mchid = n > 2 && *part[2] ? part[2] : NULL;
  o->v3subs[o->nsubs].sub_appid = n > 3 ? part[3] : NULL;
  o->nsubs++;
  return 0;
}

/* A value that must be there and not be empty: 0, or the usage error. */
static int need_text(const cli_context *ctx, const cli_flag *f, const char *value) {
  if (!value) return usage_error(ctx, f->name, "%s needs a value", f->name);
  if (!*value) return usage_error(ctx, f->name, "%s must not be empty", f->name);
  return 0;
}

/* Puts flag f's value (NULL: none followed it) where its row says. */
static int apply_flag(cli_context *ctx, const cli_flag *f, const char *value) {
  cli_opts *o = &ctx->opts;
  char *field = (char *)o + f->offset;
  int rc;
  switch (f->kind) {
  case CLI_SWITCH:
    *(int *)(void *)field = 1;
    return 0;
  case CLI_TEXT:
    if ((rc = need_text(ctx, f, value)) != 0) return rc;
    *(const char **)(void *)field = value;
    return 0;
  case CLI_NUMBER: {
    cli_number *num = (cli_number *)(void *)field;
    if (!value || parse_ull(value, f->range->hi, &num->value) != 0 || num->value < f->range->lo)
      return usage_error(ctx, f->name, "%s wants %s (got '%s')", f->name, f->range->in_words,
                         value ? value : "");
    num->given = 1;
    return 0;
  }
  case CLI_API:
    if (!value || (strcmp(value, "v2") != 0 && strcmp(value, "v3") != 0))
      return usage_error(ctx, f->name, "--api wants v2 or v3 (got '%s')", value ? value : "");
    o->v3 = value[1] == '3';
    return 0;
  case CLI_SUB_ORDER:
    if (!value) return usage_error(ctx, f->name, "%s needs a value", f->name);
    /* split once --api is known; the first one past the limit is kept so
       that it is judged (malformed, else "too many") as the others */
    if (o->nraw <= CLI_MAX_SUBS) {
      o->raw_subs[o->nraw].arg = (char *)value; /* argv is writable */
      o->raw_subs[o->nraw].flag = f->name;
      o->nraw++;
    }
    return 0;
  case CLI_PLATFORM_CERT:
    if ((rc = need_text(ctx, f, value)) != 0) return rc;
    if (o->ncerts >= CLI_MAX_PLATFORM_CERTS)
      return usage_error(ctx, f->name, "too many --platform-cert: at most %d",
                         CLI_MAX_PLATFORM_CERTS);
    o->platform_certs[o->ncerts++] = value;
    return 0;
  case CLI_PRIVATE_KEY:
    if ((rc = need_text(ctx, f, value)) != 0) return rc;
    if (strstr(value, "-----BEGIN") || strchr(value, '\n'))
      return usage_error(ctx, f->name, "%s",
                         "--private-key takes the FILE that holds the key, never the key itself "
                         "(it would show in ps); or set WXPAY_PRIVATE_KEY to the PEM text");
    o->private_key = value;
    return 0;
  case CLI_REFUSED_KEY:
    return usage_error(ctx, f->name, "%s",
                       "the API key is not taken from the command line (it would show in ps): "
                       "set WXPAY_API_KEY or use --key-file FILE");
  case CLI_HELP:
  case CLI_VERSION:
    return 0; /* main() answered them before parsing */
  }
  return 0;
}

/* An argument that names no flag. */
static int not_a_flag(const cli_context *ctx, const char *a) {
  if (strcmp(a, "verify") == 0)
    return usage_error(ctx, NULL, "%s",
                       "'verify' must come first: " PROG " verify [options] < body.xml");
  if (strcmp(a, "query") == 0)
    return usage_error(ctx, NULL, "%s", "'query' must come first: " PROG " query [options]");
  if (a[0] == '-') return usage_error(ctx, a, "unknown option '%s'", a);
  return usage_error(ctx, NULL, "unexpected argument '%s'", a);
}

/* >>validate: name the flag behind a bad field */

static const char *flag_of(const char *field, const cli_opts *o) {
  if (!field) return "?";
  if (!strcmp(field, "api_key")) return o->key_file ? "--key-file" : "WXPAY_API_KEY";
  if (!strcmp(field, "combine_appid")) return o->v3 ? "--combine-appid" : "--appid";
  if (!strcmp(field, "combine_mch_id")) return "--mchid";
  if (!strcmp(field, "combine_out_trade_no")) return o->v3 ? "--combine-out-trade-no" : "--order";
  if (!strcmp(field, "nonce_str")) return "--nonce";
  if (!strcmp(field, "created_at")) return "--created-at";
  if (!strcmp(field, "mchid")) return "--mchid";         /* v3: the signing merchant */
  if (!strcmp(field, "serial_no")) return "--serial";
  if (!strcmp(field, "v3_sign")) return "--private-key";
  if (!strcmp(field, "v3_verify")) return "--platform-cert";
  if (o->v3) return "--sub-order";
  if (!strcmp(field, "sub_order_list")) return o->sub_json ? "--sub-order-list" : "--sub";
  return "--sub";
}

/* A field the library refused (the index-th sub-order's, for a sub-order
   field), as a usage error naming the flag that gave it. */
int invalid_field(const cli_context *ctx, wxpay_err e, const char *field, size_t index) {
  const cli_opts *o = &ctx->opts;
  const char *flag = flag_of(field, o);
  if (field && !strncmp(field, "sub_orders.", 11))
    return usage_error(ctx, flag, "invalid %s #%lu (%s): %s", flag, (unsigned long)index + 1,
                       field + 11, wxpay_strerror(e));
  if (field && !strcmp(field, "nonce_str"))
    return usage_error(ctx, flag, "invalid --nonce: %s",
                       o->v3 ? "1 to 32 of 0-9 A-Z a-z _ - | * @"
                             : "1 to 32 printable ASCII characters, no spaces");
  if (field && !strcmp(field, "sub_orders"))
    return usage_error(ctx, flag, "invalid %s: %s", flag, wxpay_strerror(e));
  return usage_error(ctx, flag, "invalid %s (%s): %s", flag, field ? field : "?",
                     wxpay_strerror(e));
}

/* >>checks: what one run may combine; given[k]: cli_flags[k] was on the
   command line */

static int check_verify(const cli_context *ctx, const unsigned char *given) {
  size_t k;
  if (ctx->opts.v3)
    return usage_error(ctx, "--api", "%s", "verify checks APIv2 answers only (drop --api v3)");
  for (k = 0; k < CLI_FLAG_COUNT; k++)
    if (given[k] && !(cli_flags[k].use & CLI_FOR_VERIFY))
      return usage_error(ctx, NULL, "%s",
                         "verify takes only --appid, --mchid, --key-file, --json and --verbose");
  return 0;
}

/* The close's flags less the sub-orders and what only a close uses. */
static int check_query(const cli_context *ctx) {
  const cli_opts *o = &ctx->opts;
  if (o->nraw)
    return usage_error(ctx, o->raw_subs[0].flag,
                       "query takes no sub-orders (drop %s): the answer lists them",
                       o->raw_subs[0].flag);
  if (o->sub_json)
    return usage_error(ctx, "--sub-order-list", "%s",
                       "query takes no sub-orders (drop --sub-order-list): the answer lists them");
  if (o->created_at.given)
    return usage_error(ctx, "--created-at", "%s",
                       "--created-at is for the close (a query may come at any time)");
  if (o->poll_ms.given)
    return usage_error(ctx, "--poll-ms", "%s",
                       "--poll-ms is for the close, which polls while the customer pays");
  if (o->explain && !o->v3)
    return usage_error(ctx, "--explain", "%s",
                       "--explain shows the close's signed string; with query it is for --api "
                       "v3 only");
  return 0;
}

static int check_v2(const cli_context *ctx, const unsigned char *given) {
  const cli_opts *o = &ctx->opts;
  size_t k;
  for (k = 0; k < CLI_FLAG_COUNT; k++)
    if (given[k] && (cli_flags[k].use & CLI_FOR_V3_ONLY))
      return usage_error(ctx, cli_flags[k].name, "%s is for --api v3", cli_flags[k].name);
  if (!o->appid) return usage_error(ctx, "--appid", "%s", "missing --appid (combine_appid)");
  if (!o->mchid) return usage_error(ctx, "--mchid", "%s", "missing --mchid (combine_mch_id)");
  if (!o->order)
    return usage_error(ctx, "--order", "%s", "missing --order (combine_out_trade_no)");
  if (!o->nsubs && !o->sub_json && !o->query)
    return usage_error(ctx, "--sub", "%s",
                       "missing --sub SUB_MCHID:OUT_TRADE_NO (at least one sub-order)");
  if (o->nsubs && o->sub_json)
    return usage_error(ctx, "--sub-order-list", "%s", "give --sub or --sub-order-list, not both");
  return 0;
}

#ifndef CLI_RSA_NONE
/* v3: its own names for what is missing, and the keys it needs. */
static int check_v3(const cli_context *ctx) {
  const cli_opts *o = &ctx->opts;
  const char *env_key = getenv("WXPAY_PRIVATE_KEY");
  if (o->key_file)
    return usage_error(ctx, "--key-file", "%s",
                       "--key-file holds the APIv2 key; --api v3 signs with --private-key FILE");
  if (o->sub_json)
    return usage_error(ctx, "--sub-order-list", "%s",
                       "--sub-order-list is APIv2 only; give --sub-order for each sub-order");
  if (!o->appid && !o->query) /* a query checks the echo only when given one */
    return usage_error(ctx, "--combine-appid", "%s", "missing --combine-appid (combine_appid)");
  if (!o->mchid)
    return usage_error(ctx, "--mchid", "%s",
                       "missing --mchid (the merchant id that signs the request)");
  if (!o->order)
    return usage_error(ctx, "--combine-out-trade-no", "%s",
                       "missing --combine-out-trade-no (combine_out_trade_no)");
  if (!o->nsubs && !o->query)
    return usage_error(ctx, "--sub-order", "%s",
                       "missing --sub-order MCHID:OUT_TRADE_NO (at least one sub-order)");
  if (!o->serial)
    return usage_error(ctx, "--serial", "%s",
                       "missing --serial (the serial number of the merchant API certificate)");
  if (!o->private_key && !(env_key && *env_key))
    return usage_error(ctx, "--private-key", "%s",
                       "missing --private-key FILE (the merchant's apiclient_key.pem), or set "
                       "WXPAY_PRIVATE_KEY to its PEM text");
  if (o->platform_pub && !o->platform_key_id)
    return usage_error(ctx, "--platform-key-id", "%s",
                       "--platform-public-key needs --platform-key-id ID (the PUB_KEY_ID_... "
                       "WeChat Pay gives that key)");
  if (o->platform_key_id && !o->platform_pub)
    return usage_error(ctx, "--platform-public-key", "%s",
                       "--platform-key-id needs --platform-public-key FILE");
  if (!o->ncerts && !o->platform_pub && !o->dry_run)
    return usage_error(ctx, "--platform-cert", "%s",
                       "missing --platform-cert FILE (or --platform-public-key FILE with "
                       "--platform-key-id ID): the answers' signatures are checked with it");
  return 0;
}
#endif

/* What the flags given add up to, once all are read. */
static int check_combination(const cli_context *ctx, const unsigned char *given) {
  const cli_opts *o = &ctx->opts;
  int rc;
  if (o->verify) return check_verify(ctx, given);
  if (o->query && (rc = check_query(ctx)) != 0) return rc;
  if (o->query_endpoint && o->v3)
    return usage_error(ctx, "--query-endpoint", "%s",
                       "--query-endpoint is for --api v2; an APIv3 query goes to the --endpoint "
                       "host");
  if (!o->v3) rc = check_v2(ctx, given);
#ifdef CLI_RSA_NONE
  else return unsupported_v3(ctx);
#else
  else rc = check_v3(ctx);
#endif
  if (rc != 0) return rc;
  if (o->dry_run && o->json)
    return usage_error(ctx, "--json", "--dry-run prints the %s only; drop --json",
                       o->v3 ? "request" : "body bytes");
  return 0;
}

/* argv into ctx->opts: an optional command word first, then one cli_flags[]
   row per flag, then the sub-orders (their form depends on --api), then
   the checks of what was given together. 0, or the usage error. */
int parse_args(cli_context *ctx, int argc, char **argv) {
  cli_opts *o = &ctx->opts;
  unsigned char given[CLI_FLAG_COUNT];
  int i = 1, rc;
  size_t k;
  memset(o, 0, sizeof *o);
  memset(given, 0, sizeof given);
  if (argc > 1 && strcmp(argv[1], "verify") == 0) { o->verify = 1; i = 2; }
  else if (argc > 1 && strcmp(argv[1], "query") == 0) { o->query = 1; i = 2; }
  for (; i < argc; i++) {
    const char *value;
    const cli_flag *f = flag_named(argv[i], &value);
    if (!f) return not_a_flag(ctx, argv[i]);
    if (f->value && !value && i + 1 < argc) value = argv[++i];
    if ((rc = apply_flag(ctx, f, value)) != 0) return rc;
    given[f - cli_flags] = 1;
  }
  for (k = 0; k < o->nraw; k++) {
    rc = o->v3 ? parse_v3_sub(ctx, o->raw_subs[k].arg, o->raw_subs[k].flag)
               : parse_sub(ctx, o->raw_subs[k].arg, o->raw_subs[k].flag);
    if (rc != 0) return rc;
  }
  return check_combination(ctx, given);
}
