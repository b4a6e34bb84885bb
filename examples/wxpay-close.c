/* wxpay-close -- close a WeChat Pay combined order (合单关单) from the shell.

   A command-line front end to wxpay_close.h: it signs the request, sends it
   through one of the adapters compiled in (libcurl, mbedTLS, plain sockets),
   verifies the answer and says in one sentence what happened; the exit
   status tells a script what to do next. `wxpay-close --help` for the flags.

   Two APIs: --api v2 (the default: POST /pay/closecombinedorder, HMAC-SHA256
   with the 32-byte APIv2 key) and --api v3 (POST /v3/combine-transactions/
   out-trade-no/{no}/close, SHA256withRSA with the merchant's private key,
   answers verified with the platform certificate or public key).

   Built by `make` (examples/examples.mk), which defines WXPAY_CLI_HAVE_CURL,
   WXPAY_CLI_HAVE_MBEDTLS and WXPAY_CLI_HAVE_OPENSSL when a compile probe
   finds those libraries. The socket transport is always there. APIv3 signs
   with the OpenSSL adapter (adapters/wxpay_openssl.h) when libcrypto was
   found, else with the mbedTLS one; with neither, --api v3 exits 7.

   Secrets never come from argv (argv shows in `ps`) and are never printed:
   the APIv2 key is read from $WXPAY_API_KEY or --key-file (--explain shows
   "***"), kept in one buffer and wiped from memory before exit; the APIv3
   private key is read from --private-key FILE or $WXPAY_PRIVATE_KEY (PEM),
   its text wiped once the RSA adapter has parsed it, and the adapter wipes
   and frees the key before exit. The variables are overwritten in the
   process's environment once read, and the process makes no core file
   (harden_process()). */
#define _POSIX_C_SOURCE 200809L /* nanosleep, clock_gettime, POSIX sockets */
#if defined(_WIN32) && !defined(WXPAY_HTTP_NO_POSIX)
/* Windows has no POSIX sockets: no socket transport there (--dry-run and
   verify work; libcurl, WXPAY_CLI_HAVE_CURL, would be the transport) */
#define WXPAY_HTTP_NO_POSIX
#endif

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#if defined(__unix__) || defined(__APPLE__)
#include <sys/resource.h> /* setrlimit(RLIMIT_CORE) */
#endif
#ifdef __linux__
#include <sys/prctl.h> /* prctl(PR_SET_DUMPABLE) */
#endif
#ifdef _WIN32
#include <io.h>
#include <windows.h>
#endif

/* The close's part of wxpay_settle()'s work buffer: a request with a
   caller-given sub_order_list of WXPAY_SUB_ORDER_LIST_MAX (10240) bytes,
   the rest of the request and the answer (the default 4096 holds sub-order
   lists of about 3 KB only). */
#define WXPAY_CLOSE_WORK_SIZE (4096 + 10240 + 4096)
#define WXPAY_CLOSE_IMPLEMENTATION
#include "wxpay_close.h"
#define WXPAY_HTTP_IMPLEMENTATION
#include "adapters/wxpay_http.h"
#ifdef WXPAY_CLI_HAVE_CURL
#define WXPAY_CURL_IMPLEMENTATION
#include "adapters/wxpay_curl.h"
#endif
#ifdef WXPAY_CLI_HAVE_MBEDTLS
#define WXPAY_MBEDTLS_IMPLEMENTATION
#include "adapters/wxpay_mbedtls.h"
#endif
#ifdef WXPAY_CLI_HAVE_OPENSSL
#define WXPAY_OPENSSL_IMPLEMENTATION
#include "adapters/wxpay_openssl.h"
#endif

/* The APIv3 signer: OpenSSL first (what libcurl users link already), else
   mbedTLS, else none (--api v3 then exits EXIT_UNSUPPORTED). */
#if defined(WXPAY_CLI_HAVE_OPENSSL)
#define CLI_RSA_NAME "openssl"
#elif defined(WXPAY_CLI_HAVE_MBEDTLS)
#define CLI_RSA_NAME "mbedtls"
#else
#define CLI_RSA_NONE
#define CLI_RSA_NAME "none"
#endif

#define PROG "wxpay-close"

/* >>exit: the statuses a script acts on (documented in --help and README) */
enum {
  EXIT_DONE = 0,      /* closed, or already closed */
  EXIT_INTERNAL = 1,  /* should not happen: no random source, a bug */
  EXIT_USAGE = 2,     /* usage or invalid input; nothing was sent */
  EXIT_PAID = 3,      /* ORDERPAID: never reissue, treat as paid */
  EXIT_RETRY = 4,     /* SYSTEMERROR, too early, transport failure, HTTP 5xx,
                         or USERPAYING: the customer is paying right now */
  EXIT_REJECTED = 5,  /* the server refused the request: fix it */
  EXIT_UNTRUSTED = 6, /* bad/missing signature, malformed XML, echo mismatch,
                         an APIv3 answer unsigned, stale or of an unknown key */
  EXIT_UNSUPPORTED = 7 /* --api v3 on a build without an RSA adapter */
};

/* Response and request buffers: a settle's closes and queries (the larger
   API's), which also hold a close's or a query's alone. */
#define CLI_WORK_SIZE \
  (WXPAY_V3_SETTLE_WORK_SIZE > WXPAY_SETTLE_WORK_SIZE ? WXPAY_V3_SETTLE_WORK_SIZE \
                                                       : WXPAY_SETTLE_WORK_SIZE)
#define CLI_VERIFY_MAX 65536
/* the most sub-orders either API takes */
#define CLI_MAX_SUBS \
  (WXPAY_V3_MAX_SUB_ORDERS > WXPAY_MAX_SUB_ORDERS ? WXPAY_V3_MAX_SUB_ORDERS : WXPAY_MAX_SUB_ORDERS)

static char g_work[CLI_WORK_SIZE];
static char g_body[CLI_VERIFY_MAX + 1];
static char g_key[WXPAY_KEY_LEN + 64];

static const char *const g_transports =
#ifdef WXPAY_CLI_HAVE_CURL
    "curl "
#endif
#ifdef WXPAY_CLI_HAVE_MBEDTLS
    "mbedtls "
#endif
#ifndef WXPAY_HTTP_NO_POSIX
    "socket";
#else
    "(no socket transport)";
#endif

/* Platform certificates one run may be given (--platform-cert, repeated). */
#define CLI_MAX_PLATFORM_CERTS 4

typedef struct cli_opts {
  int verify;                 /* the `verify` subcommand */
  int query;                  /* the `query` subcommand */
  int v3;                     /* --api v3 */
  const char *appid, *mchid, *order, *sub_json, *nonce, *key_file;
  wxpay_sub_order subs[WXPAY_MAX_SUB_ORDERS];        /* --api v2 */
  wxpay_v3_sub_order v3subs[WXPAY_V3_MAX_SUB_ORDERS]; /* --api v3 */
  size_t nsubs;
  /* --api v3 only */
  const char *serial, *private_key, *platform_pub, *platform_key_id;
  const char *platform_certs[CLI_MAX_PLATFORM_CERTS];
  size_t ncerts;
  long long timestamp;
  const char *endpoint, *backup, *transport, *cacert;
  const char *query_endpoint; /* --query-endpoint (v2) */
  unsigned timeout_ms, retry_delay_ms, poll_ms;
  int attempts, timeout_set, retry_delay_set, poll_set;
  long long created_at;
  int dry_run, explain, json, verbose;
} cli_opts;

/* What the run concluded, for the sentence and the JSON object. */
typedef struct cli_result {
  int exit_code;
  const char *outcome;        /* closed, already_closed, paid, not_found,
                                 retry, rejected, untrusted, invalid, error */
  const char *error;          /* wxpay_err_name(), "USAGE", or NULL */
  char message[1024];         /* the human sentence */
  const char *transport;      /* NULL when nothing was sent */
} cli_result;

static int g_json;            /* --json seen (also for usage errors) */

/* >>text: safe printing of values that came from the network

   Whatever a server sends (a Request-ID header is not even signed), every
   line the tool prints is valid UTF-8 and a --json line parses. Human output
   shows as escapes what could move the cursor, retitle the terminal or
   reorder the line: C0 controls and DEL (\xNN, \n \r \t), C1 controls, the
   bidirectional embeddings, overrides and isolates U+202A..U+202E and
   U+2066..U+2069 (the "Trojan Source" set, CVE-2021-42574) and U+2028/2029
   (\uXXXX); a byte that is not part of a UTF-8 character is shown as \xNN.
   JSON escapes the same characters as \uXXXX (the value read back is the
   same) and turns such a byte into U+FFFD. */

/* The length (1 to 4) of the UTF-8 character at s[0..n) and its code point
   in *cp; 0 when s does not start with one (overlong forms, surrogates and
   values past U+10FFFF are not characters). */
static size_t utf8_char(const unsigned char *s, size_t n, unsigned long *cp) {
  size_t len, k;
  unsigned long c;
  if (n == 0) return 0;
  if (s[0] < 0x80) { *cp = s[0]; return 1; }
  if (s[0] >= 0xC2 && s[0] <= 0xDF) { len = 2; c = s[0] & 0x1Fu; }
  else if (s[0] >= 0xE0 && s[0] <= 0xEF) { len = 3; c = s[0] & 0x0Fu; }
  else if (s[0] >= 0xF0 && s[0] <= 0xF4) { len = 4; c = s[0] & 0x07u; }
  else return 0;
  if (n < len) return 0;
  for (k = 1; k < len; k++) {
    if ((s[k] & 0xC0) != 0x80) return 0;
    c = c << 6 | (s[k] & 0x3Fu);
  }
  if ((len == 3 && (c < 0x800 || (c >= 0xD800 && c <= 0xDFFF))) ||
      (len == 4 && (c < 0x10000 || c > 0x10FFFF)))
    return 0;
  *cp = c;
  return len;
}

/* 1 for the characters shown escaped: controls, and the invisible ones
   that reorder or break a line. */
static int hidden_char(unsigned long c) {
  return c < 0x20 || (c >= 0x7F && c <= 0x9F) || (c >= 0x202A && c <= 0x202E) ||
         (c >= 0x2066 && c <= 0x2069) || c == 0x2028 || c == 0x2029;
}

/* Human output (stdout or stderr): s[0..n) with the characters above
   escaped. */
static void put_safe_n(FILE *f, const char *s, size_t n) {
  const unsigned char *p = (const unsigned char *)s, *end = p + n;
  while (p < end) {
    unsigned long c;
    size_t len = utf8_char(p, (size_t)(end - p), &c);
    if (len == 0) fprintf(f, "\\x%02X", (unsigned)*p++);
    else if (c == '\n') fputs("\\n", f);
    else if (c == '\r') fputs("\\r", f);
    else if (c == '\t') fputs("\\t", f);
    else if (c < 0x20 || c == 0x7F) fprintf(f, "\\x%02X", (unsigned)c);
    else if (hidden_char(c)) fprintf(f, "\\u%04lX", c);
    else fwrite(p, 1, len, f);
    p += len;
  }
}

static void put_safe(FILE *f, const char *s) { put_safe_n(f, s, strlen(s)); }

/* A JSON string: quotes, backslashes and the characters above escaped; a
   byte that is not UTF-8 becomes U+FFFD. */
static void put_json_str(FILE *f, const char *s) {
  const unsigned char *p = (const unsigned char *)s, *end = p + strlen(s);
  fputc('"', f);
  while (p < end) {
    unsigned long c;
    size_t len = utf8_char(p, (size_t)(end - p), &c);
    if (len == 0) {
      fputs("\\ufffd", f);
      p++;
      continue;
    }
    switch (c) {
    case '"': fputs("\\\"", f); break;
    case '\\': fputs("\\\\", f); break;
    case '\n': fputs("\\n", f); break;
    case '\r': fputs("\\r", f); break;
    case '\t': fputs("\\t", f); break;
    case '\b': fputs("\\b", f); break;
    case '\f': fputs("\\f", f); break;
    default:
      if (hidden_char(c)) fprintf(f, "\\u%04lx", c);
      else fwrite(p, 1, len, f);
    }
    p += len;
  }
  fputc('"', f);
}

static void put_json_str_or_null(FILE *f, const char *s) {
  if (s) put_json_str(f, s);
  else fputs("null", f);
}

/* After snprintf(out, cap, ...) returned needed: when the text did not fit,
   it is cut at a character boundary and ends with an ellipsis, so a long
   reason from the server (CJK text is 3 bytes a character) is never split
   inside a character. */
static void fit_text(char *out, size_t cap, int needed) {
  static const char ellipsis[] = "\xE2\x80\xA6"; /* U+2026 */
  size_t end;
  if (needed < 0) { /* an encoding error: say nothing rather than half */
    if (cap) out[0] = '\0';
    return;
  }
  if ((size_t)needed < cap || cap < sizeof ellipsis) return;
  end = cap - sizeof ellipsis; /* room for the ellipsis and the NUL */
  while (end > 0 && ((unsigned char)out[end] & 0xC0) == 0x80) end--;
  memcpy(out + end, ellipsis, sizeof ellipsis);
}

/* snprintf() into out[0..cap), cut as fit_text() says. */
static void say(char *out, size_t cap, const char *fmt, ...) {
  va_list ap;
  int needed;
  va_start(ap, fmt);
  needed = vsnprintf(out, cap, fmt, ap);
  va_end(ap);
  fit_text(out, cap, needed);
}

/* >>errors: one line on stderr, exit 2, nothing sent */

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

static int usage_error(const char *flag, const char *fmt, const char *arg) {
  char msg[512]; /* a longer message is cut short: its start names the problem */
  fit_text(msg, sizeof msg, snprintf(msg, sizeof msg, fmt, arg ? arg : ""));
  fputs(PROG ": ", stderr);
  put_safe(stderr, msg); /* it may quote an argument, in any encoding */
  fputs(" (see " PROG " --help)\n", stderr);
  if (g_json) json_refusal("invalid", EXIT_USAGE, "USAGE", msg, flag);
  return EXIT_USAGE;
}

/* >>help (in several calls: ISO C99 compilers need not take a string
   literal longer than 4095 bytes) */
static void print_help(void) {
  printf(
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
      "pays it asks again up to %d times, --poll-ms apart, then closes once more.\n"
      "`query` only asks: each sub-order's state, transaction id and amount.\n"
      "--api v2 (the default) uses POST /pay/closecombinedorder;\n"
      "the API key (the 32-byte APIv2 key, not the APIv3 key or the AppSecret) comes\n"
      "from the environment variable WXPAY_API_KEY or from --key-file FILE, never\n"
      "from the command line. --api v3 uses POST /v3/combine-transactions/\n"
      "out-trade-no/{no}/close, signed with the merchant's RSA private key. Queries:\n"
      "v2 POST /pay/querycombinedorder, v3 GET /v3/combine-transactions/out-trade-no/{no}.\n"
      "\n"
      "request:\n"
      "  --api v2|v3            which WeChat Pay API (default v2)\n"
      "  --appid APPID          combine_appid (合单 appid); also --combine-appid\n"
      "  --mchid MCHID          v2: combine_mch_id (合单商户号); v3: the merchant id\n"
      "                         that signs the request (Authorization mchid)\n"
      "  --order NO             combine_out_trade_no (合单商户订单号); also\n"
      "                         --combine-out-trade-no\n"
      "  --sub MCHID:NO         one sub-order: mchid and out_trade_no; 1 to %d of them,\n"
      "                         in the order of the original combined order; also\n"
      "                         --sub-order, which in v3 takes\n"
      "                         MCHID:NO[:SUB_MCHID[:SUB_APPID]] (service providers)\n"
      "  --sub-order-list JSON  v2: send JSON verbatim as sub_order_list (instead of --sub)\n"
      "  --nonce STR            fix nonce_str (v2: 1-32 printable characters; v3: 1-32\n"
      "                         of 0-9 A-Z a-z _ - | * @); default: 32 random\n"
      "                         [0-9A-Za-z], fresh for every attempt\n"
      "  --created-at UNIX      when the order was created (Unix seconds): within its\n"
      "                         first minute nothing is sent and the answer is\n"
      "                         \"retry after N s\" (exit 4)\n"
      "  --key-file FILE        v2: read the API key from FILE (default: $WXPAY_API_KEY)\n"
      "\n",
      WXPAY_SETTLE_POLLS, WXPAY_MAX_SUB_ORDERS);
  printf(
      "APIv3 keys (--api v3; this build signs with: %s):\n"
      "  --serial SERIAL        the serial number of the merchant API certificate\n"
      "                         (Authorization serial_no)\n"
      "  --private-key FILE     the merchant's private key, PEM (apiclient_key.pem);\n"
      "                         default: the PEM text in $WXPAY_PRIVATE_KEY. Never\n"
      "                         printed; wiped and freed before exit\n"
      "  --platform-cert FILE   a platform certificate (PEM): answers signed under its\n"
      "                         serial are verified with it; up to %d (key rotation)\n"
      "  --platform-public-key FILE  a platform public key (PEM), with\n"
      "  --platform-key-id ID   its id (PUB_KEY_ID_...), the Wechatpay-Serial of the\n"
      "                         answers it signs. A platform key is required, except\n"
      "                         with --dry-run\n"
      "  --timestamp UNIX       fix the request timestamp (default: now), e.g. for\n"
      "                         reproducible --dry-run output; WeChat refuses one more\n"
      "                         than 5 minutes off\n"
      "\n",
      CLI_RSA_NAME, CLI_MAX_PLATFORM_CERTS);
  printf(
      "sending:\n"
      "  --endpoint URL         v2: the URL, default " WXPAY_ENDPOINT "\n"
      "                         v3: the host, default " WXPAY_V3_HOST ";\n"
      "                         a path after the host goes before /v3/... and is signed\n"
      "  --backup-endpoint URL  where the next attempt goes after a DNS, connect, TLS\n"
      "                         or timeout failure; default (only when --endpoint is\n"
      "                         not given) " WXPAY_BACKUP_ENDPOINT "\n"
      "                         (v3: " WXPAY_V3_BACKUP_HOST ")\n"
      "  --transport NAME       one of the built-in transports: %s\n"
      "                         (default: curl, else mbedtls, else socket; the socket\n"
      "                         transport speaks plain http:// only)\n"
      "  --cacert FILE          CA certificates (PEM) for https:// (curl and mbedtls)\n"
      "  --timeout MS           time for one attempt, connect included (default 8000;\n"
      "                         connecting alone: at most 6000)\n"
      "  --query-endpoint URL   v2: where the order is queried; default: --endpoint with\n"
      "                         closecombinedorder made querycombinedorder (an\n"
      "                         --endpoint of another shape needs this flag)\n"
      "  --attempts N           attempts in all, 1 to 10 (default 3), for each close\n"
      "                         and each query\n"
      "  --retry-delay MS       pause between attempts (default 1000)\n"
      "  --poll-ms MS           pause between the queries while the customer pays\n"
      "                         (default %d, as WeChat advises; at most %d queries,\n"
      "                         then a second close)\n"
      "\n",
      g_transports, WXPAY_SETTLE_POLL_MS, WXPAY_SETTLE_POLLS);
  printf(
      "output:\n"
      "  --dry-run              send nothing; v2: print exactly the request body that\n"
      "                         would be POSTed (the bytes, no newline); v3: print the\n"
      "                         request line (POST URL), the headers (Authorization\n"
      "                         included), a blank line and the body\n"
      "  --explain              print the signed string too (v2: key as ***; v3: the\n"
      "                         message the RSA signature covers), on stderr\n"
      "  --json                 print one JSON object on stdout: outcome, exit, error,\n"
      "                         message, and every response field received (\"fields\";\n"
      "                         v3: code, message, detail of an error answer); a close\n"
      "                         adds \"settlement\" (state, error, closes, queries and,\n"
      "                         once queried, \"combined\" and \"sub_orders\"); a query\n"
      "                         \"state\", \"combined\" and \"sub_orders\" (amounts in fen)\n"
      "  --verbose              log each attempt and the fields received on stderr\n"
      "                         (never the key)\n"
      "\n"
      "verify (APIv2 only): reads a response body on stdin, checks its signature with\n"
      "the key (and, when given, the echoed --appid and --mchid), prints every field\n"
      "and the outcome, and exits with the same statuses as a real close.\n"
      "\n");
  fputs(
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
      "     then names the status the run would have had\n",
      stdout);
}

static void print_version(void) {
  printf(PROG " %s (wxpay_close.h %s; sha256: %s; v3 signer: %s; transports: %s)\n",
         WXPAY_VERSION, WXPAY_VERSION, wxpay_sha256_backend(), CLI_RSA_NAME, g_transports);
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

/* "--name VALUE" or "--name=VALUE". Returns 1 and sets *val when argv[*i]
   is this flag; -1 when the value is missing. */
static int flag_value(int argc, char **argv, int *i, const char *name, const char **val) {
  const char *a = argv[*i];
  size_t n = strlen(name);
  if (strncmp(a, name, n) != 0) return 0;
  if (a[n] == '=') { *val = a + n + 1; return 1; }
  if (a[n] != '\0') return 0;
  if (*i + 1 >= argc) return -1;
  *val = argv[++*i];
  return 1;
}

/* A flag whose value must not be empty. Returns 1 when argv[*i] is this
   flag, with *rc 0 and *val set, or *rc the usage error; 0 when it is not. */
static int str_flag(int argc, char **argv, int *i, const char *name, const char **val, int *rc) {
  int r = flag_value(argc, argv, i, name, val);
  if (r == 0) return 0;
  if (r < 0) *rc = usage_error(name, "%s needs a value", name);
  else if (!**val) *rc = usage_error(name, "%s must not be empty", name);
  else *rc = 0;
  return 1;
}

/* A flag whose value is a whole number from lo to hi. Returns 1 when argv[*i]
   is this flag, with *rc 0 and *out set, or *rc the usage error fmt (its %s:
   the value given); 0 when it is not. */
static int num_flag(int argc, char **argv, int *i, const char *name, unsigned long long lo,
                    unsigned long long hi, const char *fmt, unsigned long long *out, int *rc) {
  const char *v = NULL;
  int r = flag_value(argc, argv, i, name, &v);
  if (r == 0) return 0;
  *rc = r < 0 || parse_ull(v, hi, out) != 0 || *out < lo ? usage_error(name, fmt, v) : 0;
  return 1;
}

static int too_many_subs(const char *flag, int most) {
  char msg[128];
  snprintf(msg, sizeof msg, "too many %s: a combined order has at most %d sub-orders", flag,
           most);
  return usage_error(flag, "%s", msg);
}

/* v2: SUB_MCHID:OUT_TRADE_NO, exactly one ':' (neither a merchant id nor an
   out_trade_no holds one: a second is a mistake, not part of a value). */
static int parse_sub(cli_opts *o, char *arg, const char *flag) {
  char *colon = strchr(arg, ':');
  char msg[600];
  if (!colon || colon == arg || !colon[1] || strchr(colon + 1, ':')) {
    snprintf(msg, sizeof msg, "malformed %s '%s': expected SUB_MCHID:OUT_TRADE_NO (one ':')",
             flag, arg);
    return usage_error(flag, "%s", msg);
  }
  if (o->nsubs >= WXPAY_MAX_SUB_ORDERS) return too_many_subs(flag, WXPAY_MAX_SUB_ORDERS);
  *colon = '\0';
  o->subs[o->nsubs].mchid = arg;
  o->subs[o->nsubs].out_trade_no = colon + 1;
  o->nsubs++;
  return 0;
}

/* v3: MCHID:OUT_TRADE_NO[:SUB_MCHID[:SUB_APPID]], split at every ':' (a
   merchant id is digits; an appid is wx and hex). SUB_MCHID may be empty
   when SUB_APPID follows; nothing else may be. */
static int parse_v3_sub(cli_opts *o, char *arg, const char *flag) {
  char *part[4];
  size_t n = 0, k;
  char *p = arg, msg[700];
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
    snprintf(msg, sizeof msg, "malformed %s '%s': expected MCHID:OUT_TRADE_NO[:SUB_MCHID[:SUB_APPID]]",
             flag, arg);
    return usage_error(flag, "%s", msg);
  }
  if (o->nsubs >= WXPAY_V3_MAX_SUB_ORDERS) return too_many_subs(flag, WXPAY_V3_MAX_SUB_ORDERS);
  o->v3subs[o->nsubs].mchid = part[0];
  o->v3subs[o->nsubs].out_trade_no = part[1];
  o->v3subs[o->nsubs].sub_mchid = n > 2 && *part[2] ? part[2] : NULL;
  o->v3subs[o->nsubs].sub_appid = n > 3 ? part[3] : NULL;
  o->nsubs++;
  return 0;
}

#ifdef CLI_RSA_NONE
/* One line on stderr (and the JSON object with --json): this build cannot
   do APIv3 at all. */
static int unsupported_v3(void) {
  const char *msg = "--api v3 needs an RSA adapter, and this " PROG " was built without "
                    "OpenSSL (libcrypto) and without mbedTLS: rebuild with one of them "
                    "(Debian: libssl-dev or libmbedtls-dev)";
  fprintf(stderr, PROG ": %s\n", msg);
  if (g_json) json_refusal("unsupported", EXIT_UNSUPPORTED, "NO_RSA", msg, "--api");
  return EXIT_UNSUPPORTED;
}
#endif

static int parse_args(int argc, char **argv, cli_opts *o) {
  int i = 1, r;
  const char *v;
  unsigned long long n;
  /* room for the larger API's limit, and one past it */
  struct { char *arg; const char *flag; } raw[CLI_MAX_SUBS + 1];
  size_t nraw = 0, k;
  memset(o, 0, sizeof *o);
  if (argc > 1 && strcmp(argv[1], "verify") == 0) { o->verify = 1; i = 2; }
  else if (argc > 1 && strcmp(argv[1], "query") == 0) { o->query = 1; i = 2; }
  for (; i < argc; i++) {
    const char *a = argv[i];
    v = NULL;
#define STR_FLAG(name, field)                                                 \
    if (str_flag(argc, argv, &i, name, &v, &r)) {                             \
      if (r) return r;                                                        \
      o->field = v;                                                           \
      continue;                                                               \
    }
    STR_FLAG("--appid", appid)
    STR_FLAG("--combine-appid", appid)
    STR_FLAG("--mchid", mchid)
    STR_FLAG("--order", order)
    STR_FLAG("--combine-out-trade-no", order)
    STR_FLAG("--sub-order-list", sub_json)
    STR_FLAG("--nonce", nonce)
    STR_FLAG("--key-file", key_file)
    STR_FLAG("--endpoint", endpoint)
    STR_FLAG("--backup-endpoint", backup)
    STR_FLAG("--query-endpoint", query_endpoint)
    STR_FLAG("--transport", transport)
    STR_FLAG("--cacert", cacert)
    STR_FLAG("--serial", serial)
    STR_FLAG("--platform-public-key", platform_pub)
    STR_FLAG("--platform-key-id", platform_key_id)
#undef STR_FLAG
    if ((r = flag_value(argc, argv, &i, "--api", &v)) != 0) {
      if (r < 0 || (strcmp(v, "v2") != 0 && strcmp(v, "v3") != 0))
        return usage_error("--api", "--api wants v2 or v3 (got '%s')", r < 0 ? "" : v);
      o->v3 = v[1] == '3';
      continue;
    }
    if (str_flag(argc, argv, &i, "--private-key", &v, &r)) {
      if (r) return r;
      if (strstr(v, "-----BEGIN") || strchr(v, '\n'))
        return usage_error("--private-key", "%s",
                           "--private-key takes the FILE that holds the key, never the key itself "
                           "(it would show in ps); or set WXPAY_PRIVATE_KEY to the PEM text");
      o->private_key = v;
      continue;
    }
    if (str_flag(argc, argv, &i, "--platform-cert", &v, &r)) {
      if (r) return r;
      if (o->ncerts >= CLI_MAX_PLATFORM_CERTS) {
        char msg[64];
        snprintf(msg, sizeof msg, "%d", CLI_MAX_PLATFORM_CERTS);
        return usage_error("--platform-cert", "too many --platform-cert: at most %s", msg);
      }
      o->platform_certs[o->ncerts++] = v;
      continue;
    }
    {
      const char *flag = NULL;
      if ((r = flag_value(argc, argv, &i, "--sub", &v)) != 0) flag = "--sub";
      else if ((r = flag_value(argc, argv, &i, "--sub-order", &v)) != 0) flag = "--sub-order";
      if (flag) {
        if (r < 0) return usage_error(flag, "%s needs a value", flag);
        /* parsed once --api is known; the first one past the limit is kept
           so that it is judged (malformed, else "too many") as before */
        if (nraw <= CLI_MAX_SUBS) {
          raw[nraw].arg = (char *)v; /* argv is writable */
          raw[nraw].flag = flag;
          nraw++;
        }
        continue;
      }
    }
    if (num_flag(argc, argv, &i, "--timeout", 1, 600000,
                 "--timeout wants milliseconds, 1 to 600000 (got '%s')", &n, &r)) {
      if (r) return r;
      o->timeout_ms = (unsigned)n;
      o->timeout_set = 1;
      continue;
    }
    if (num_flag(argc, argv, &i, "--retry-delay", 0, 600000,
                 "--retry-delay wants milliseconds, 0 to 600000 (got '%s')", &n, &r)) {
      if (r) return r;
      o->retry_delay_ms = (unsigned)n;
      o->retry_delay_set = 1;
      continue;
    }
    if (num_flag(argc, argv, &i, "--poll-ms", 0, 600000,
                 "--poll-ms wants milliseconds, 0 to 600000 (got '%s')", &n, &r)) {
      if (r) return r;
      o->poll_ms = (unsigned)n;
      o->poll_set = 1;
      continue;
    }
    if (num_flag(argc, argv, &i, "--attempts", 1, 10,
                 "--attempts wants a number from 1 to 10 (got '%s')", &n, &r)) {
      if (r) return r;
      o->attempts = (int)n;
      continue;
    }
    /* Unix seconds: 1 to 9999-12-31T23:59:59Z */
    if (num_flag(argc, argv, &i, "--created-at", 1, 253402300799ULL,
                 "--created-at wants Unix seconds (got '%s')", &n, &r)) {
      if (r) return r;
      o->created_at = (long long)n;
      continue;
    }
    if (num_flag(argc, argv, &i, "--timestamp", 1, 253402300799ULL,
                 "--timestamp wants Unix seconds (got '%s')", &n, &r)) {
      if (r) return r;
      o->timestamp = (long long)n;
      continue;
    }
    if (strcmp(a, "--dry-run") == 0) { o->dry_run = 1; continue; }
    if (strcmp(a, "--explain") == 0) { o->explain = 1; continue; }
    if (strcmp(a, "--json") == 0) { o->json = 1; continue; }
    if (strcmp(a, "--verbose") == 0) { o->verbose = 1; continue; }
    if (strncmp(a, "--key", 5) == 0 && (a[5] == '\0' || a[5] == '='))
      return usage_error("--key", "%s",
                         "the API key is not taken from the command line (it would show in ps): "
                         "set WXPAY_API_KEY or use --key-file FILE");
    if (strcmp(a, "verify") == 0)
      return usage_error(NULL, "%s", "'verify' must come first: " PROG " verify [options] < body.xml");
    if (strcmp(a, "query") == 0)
      return usage_error(NULL, "%s", "'query' must come first: " PROG " query [options]");
    if (a[0] == '-') return usage_error(a, "unknown option '%s'", a);
    return usage_error(NULL, "unexpected argument '%s'", a);
  }
  for (k = 0; k < nraw; k++) {
    r = o->v3 ? parse_v3_sub(o, raw[k].arg, raw[k].flag) : parse_sub(o, raw[k].arg, raw[k].flag);
    if (r != 0) return r;
  }
  if (o->verify) {
    if (o->v3)
      return usage_error("--api", "%s", "verify checks APIv2 answers only (drop --api v3)");
    if (o->order || o->nsubs || o->sub_json || o->nonce || o->endpoint || o->backup ||
        o->transport || o->cacert || o->timeout_set || o->retry_delay_set || o->attempts ||
        o->created_at || o->dry_run || o->explain || o->serial || o->private_key ||
        o->ncerts || o->platform_pub || o->platform_key_id || o->timestamp ||
        o->query_endpoint || o->poll_set)
      return usage_error(NULL, "%s", "verify takes only --appid, --mchid, --key-file, --json and --verbose");
    return 0;
  }
  if (o->query) {
    /* the close's flags less the sub-orders and what only a close uses */
    if (nraw)
      return usage_error(raw[0].flag, "query takes no sub-orders (drop %s): the answer lists them",
                         raw[0].flag);
    if (o->sub_json)
      return usage_error("--sub-order-list", "%s",
                         "query takes no sub-orders (drop --sub-order-list): the answer lists them");
    if (o->created_at)
      return usage_error("--created-at", "%s", "--created-at is for the close (a query may come at any time)");
    if (o->poll_set)
      return usage_error("--poll-ms", "%s", "--poll-ms is for the close, which polls while the customer pays");
    if (o->explain && !o->v3)
      return usage_error("--explain", "%s", "--explain shows the close's signed string; with query it is for --api v3 only");
  }
  if (o->query_endpoint && o->v3)
    return usage_error("--query-endpoint", "%s",
                       "--query-endpoint is for --api v2; an APIv3 query goes to the --endpoint host");
  if (!o->v3) {
    static const char *const v3_only[] = {"--serial", "--private-key", "--platform-cert",
                                          "--platform-public-key", "--platform-key-id",
                                          "--timestamp"};
    const int given[] = {o->serial != NULL, o->private_key != NULL, o->ncerts != 0,
                         o->platform_pub != NULL, o->platform_key_id != NULL, o->timestamp != 0};
    for (k = 0; k < sizeof given / sizeof given[0]; k++)
      if (given[k]) return usage_error(v3_only[k], "%s is for --api v3", v3_only[k]);
    if (!o->appid) return usage_error("--appid", "%s", "missing --appid (combine_appid)");
    if (!o->mchid) return usage_error("--mchid", "%s", "missing --mchid (combine_mch_id)");
    if (!o->order) return usage_error("--order", "%s", "missing --order (combine_out_trade_no)");
    if (!o->nsubs && !o->sub_json && !o->query)
      return usage_error("--sub", "%s", "missing --sub SUB_MCHID:OUT_TRADE_NO (at least one sub-order)");
    if (o->nsubs && o->sub_json)
      return usage_error("--sub-order-list", "%s", "give --sub or --sub-order-list, not both");
  } else {
#ifdef CLI_RSA_NONE
    return unsupported_v3();
#else
    if (o->key_file)
      return usage_error("--key-file", "%s",
                         "--key-file holds the APIv2 key; --api v3 signs with --private-key FILE");
    if (o->sub_json)
      return usage_error("--sub-order-list", "%s",
                         "--sub-order-list is APIv2 only; give --sub-order for each sub-order");
    if (!o->appid && !o->query) /* a query checks the echo only when given one */
      return usage_error("--combine-appid", "%s", "missing --combine-appid (combine_appid)");
    if (!o->mchid)
      return usage_error("--mchid", "%s",
                         "missing --mchid (the merchant id that signs the request)");
    if (!o->order)
      return usage_error("--combine-out-trade-no", "%s",
                         "missing --combine-out-trade-no (combine_out_trade_no)");
    if (!o->nsubs && !o->query)
      return usage_error("--sub-order", "%s",
                         "missing --sub-order MCHID:OUT_TRADE_NO (at least one sub-order)");
    if (!o->serial)
      return usage_error("--serial", "%s",
                         "missing --serial (the serial number of the merchant API certificate)");
    if (!o->private_key && !(getenv("WXPAY_PRIVATE_KEY") && *getenv("WXPAY_PRIVATE_KEY")))
      return usage_error("--private-key", "%s",
                         "missing --private-key FILE (the merchant's apiclient_key.pem), or set "
                         "WXPAY_PRIVATE_KEY to its PEM text");
    if (o->platform_pub && !o->platform_key_id)
      return usage_error("--platform-key-id", "%s",
                         "--platform-public-key needs --platform-key-id ID (the PUB_KEY_ID_... "
                         "WeChat Pay gives that key)");
    if (o->platform_key_id && !o->platform_pub)
      return usage_error("--platform-public-key", "%s",
                         "--platform-key-id needs --platform-public-key FILE");
    if (!o->ncerts && !o->platform_pub && !o->dry_run)
      return usage_error("--platform-cert", "%s",
                         "missing --platform-cert FILE (or --platform-public-key FILE with "
                         "--platform-key-id ID): the answers' signatures are checked with it");
#endif
  }
  if (o->dry_run && o->json)
    return usage_error("--json", "--dry-run prints the %s only; drop --json",
                       o->v3 ? "request" : "body bytes");
  return 0;
}

/* >>key: from a file or the environment, exactly 32 bytes, wiped at exit */

static void wipe(void *p, size_t n) {
  volatile unsigned char *q = (volatile unsigned char *)p;
  while (n--) *q++ = 0;
}

/* >>files: keys and certificates from files that are files

   A key file is opened with O_NONBLOCK (a FIFO without a writer would
   otherwise block the run for ever), must be a regular file (a directory,
   FIFO, device such as /dev/zero or socket is refused by name) and is read
   with read(2), at most what the key can be, into the caller's buffer: no
   stdio buffer keeps a copy of a secret. */

#ifndef O_NONBLOCK /* not on Windows, where nothing blocks an open() like a FIFO */
#define O_NONBLOCK 0
#endif
#ifndef O_NOCTTY
#define O_NOCTTY 0
#endif
#ifndef O_CLOEXEC
#define O_CLOEXEC 0
#endif
#ifndef O_BINARY
#define O_BINARY 0
#endif

static const char *file_kind(mode_t m) {
  if (S_ISDIR(m)) return "a directory";
#ifdef S_ISFIFO
  if (S_ISFIFO(m)) return "a FIFO (named pipe)";
#endif
  if (S_ISCHR(m)) return "a character device";
#ifdef S_ISBLK
  if (S_ISBLK(m)) return "a block device";
#endif
#ifdef S_ISSOCK
  if (S_ISSOCK(m)) return "a socket";
#endif
  return "not a regular file";
}

static int file_error(const char *flag, const char *path, const char *what) {
  char msg[700];
  say(msg, sizeof msg, "cannot read %s '%s': %s", flag, path, what);
  return usage_error(flag, "%s", msg);
}

/* Reads the regular file path, named flag in messages, into buf: at most
   cap - 1 bytes, NUL-terminated, *len of them; a longer file is refused
   unread past that. *exposed: group or others may read the file. Returns 0
   or the usage error. */
static int read_file_of(const char *flag, const char *path, char *buf, size_t cap, size_t *len,
                        int *exposed) {
  struct stat st;
  size_t n = 0;
  int fd, failed = 0;
  *len = 0;
  *exposed = 0;
  buf[0] = '\0';
  if (stat(path, &st) != 0) return file_error(flag, path, strerror(errno));
  if (!S_ISREG(st.st_mode)) {
    char what[80];
    snprintf(what, sizeof what, "it is %s, not a regular file", file_kind(st.st_mode));
    return file_error(flag, path, what);
  }
  fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC | O_BINARY);
  if (fd < 0) return file_error(flag, path, strerror(errno));
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) { /* replaced since stat() */
    close(fd);
    return file_error(flag, path, "it is not a regular file");
  }
#if defined(S_IRGRP) && defined(S_IROTH) /* not on Windows, whose ACLs are another matter */
  *exposed = (st.st_mode & (S_IRGRP | S_IROTH)) != 0;
#endif
  while (n < cap - 1) {
    ssize_t got = read(fd, buf + n, (unsigned)(cap - 1 - n));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) { failed = errno; break; }
    if (got == 0) break;
    n += (size_t)got;
  }
  if (!failed && n == cap - 1) { /* full: one byte more says whether it is longer */
    char probe;
    ssize_t got;
    while ((got = read(fd, &probe, 1)) < 0 && errno == EINTR) {
    }
    if (got > 0) failed = -1;
    wipe(&probe, 1);
  }
  close(fd);
  buf[n] = '\0';
  if (failed) {
    char what[120];
    wipe(buf, n);
    if (failed > 0) return file_error(flag, path, strerror(failed));
    snprintf(what, sizeof what, "it holds more than %lu bytes, more than a key can be",
             (unsigned long)(cap - 1));
    return file_error(flag, path, what);
  }
  *len = n;
  return 0;
}

/* Once a key has loaded from path: a warning (stderr, once a run) when
   group or others can read its file. */
static void warn_exposed(const char *flag, const char *path, int exposed) {
  static int warned;
  if (!exposed || warned) return;
  warned = 1;
  fprintf(stderr, PROG ": warning: %s '", flag);
  put_safe(stderr, path);
  fputs("' can be read by group or others (chmod 600 it)\n", stderr);
}

/* The value of an environment variable that held a secret, overwritten in
   place once copied: the environment block is the process's own memory, and
   would otherwise keep the secret in a core file and in /proc/PID/environ.
   (ISO C leaves writing to getenv()'s string undefined; every C library
   this builds with keeps it in writable memory of the process.) */
static void wipe_env_value(char *value) {
  if (value) wipe(value, strlen(value));
}

static int load_key(const cli_opts *o) {
  size_t n = 0;
  char len_text[32];
  int rc, exposed = 0;
  if (o->key_file) {
    /* straight into g_key: no stdio buffer holds a copy */
    if ((rc = read_file_of("--key-file", o->key_file, g_key, sizeof g_key, &n, &exposed)) != 0)
      return rc;
    while (n && (g_key[n - 1] == '\n' || g_key[n - 1] == '\r' || g_key[n - 1] == ' ' ||
                 g_key[n - 1] == '\t'))
      n--; /* a trailing newline from `echo KEY > file` */
  } else {
    char *env = getenv("WXPAY_API_KEY");
    if (!env || !*env)
      return usage_error("WXPAY_API_KEY", "%s",
                         "no API key: set WXPAY_API_KEY or use --key-file FILE");
    n = strlen(env);
    if (n > sizeof g_key - 1) n = sizeof g_key - 1;
    memcpy(g_key, env, n);
    wipe_env_value(env);
  }
  g_key[n] = '\0';
  if (n != WXPAY_KEY_LEN || strlen(g_key) != n) {
    snprintf(len_text, sizeof len_text, "%lu", (unsigned long)strlen(g_key));
    return usage_error(o->key_file ? "--key-file" : "WXPAY_API_KEY",
                       "the API key has %s bytes; the APIv2 key is exactly 32 "
                       "(not the APIv3 key, not the AppSecret)", len_text);
  }
  if (o->key_file) warn_exposed("--key-file", o->key_file, exposed);
  return 0;
}

/* >>callbacks: clock, sleep, log */

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

/* What the log tells of a settle: whether the attempt under way is a
   query, and the error that made a close's answer untrustworthy (settle
   keeps the close's answer, not its error). */
typedef struct cli_logstate {
  int verbose;                /* print each event on stderr */
  int v3;
  const char *close_url;      /* v2: a close's URLs (the rest are queries) */
  const char *close_backup;
  int in_query;
  wxpay_err close_err;        /* how the last close ended: WXPAY_OK with a
                                 verified answer (or none was made) */
} cli_logstate;
static cli_logstate g_log;

static int is_close_url(const char *url) {
  size_t n = strlen(url);
  if (g_log.v3) return n >= 6 && !strcmp(url + n - 6, "/close");
  return (g_log.close_url && !strcmp(url, g_log.close_url)) ||
         (g_log.close_backup && !strcmp(url, g_log.close_backup));
}

static wxpay_err err_by_name(const char *name) {
  int k;
  for (k = 1; k < (int)WXPAY_ERR_COUNT; k++)
    if (!strcmp(wxpay_err_name((wxpay_err)k), name)) return (wxpay_err)k;
  return WXPAY_ERR_RESPONSE;
}

static void cli_log(void *user, wxpay_log_id id, int attempt, const char *detail) {
  (void)user;
  if (id == WXPAY_LOG_ATTEMPT) g_log.in_query = !is_close_url(detail);
  if (!g_log.in_query) { /* how the close's last attempt ended */
    switch (id) {
    case WXPAY_LOG_ATTEMPT: g_log.close_err = WXPAY_ERR_TRANSPORT; break; /* until it says */
    case WXPAY_LOG_NET_FAIL:
      g_log.close_err = strcmp(detail, "TOO_LARGE") ? WXPAY_ERR_TRANSPORT : WXPAY_ERR_TOO_LARGE;
      break;
    case WXPAY_LOG_HTTP_STATUS: g_log.close_err = WXPAY_ERR_HTTP_STATUS; break;
    case WXPAY_LOG_UNTRUSTED: g_log.close_err = err_by_name(detail); break;
    case WXPAY_LOG_RETRY:
    case WXPAY_LOG_RESULT: g_log.close_err = WXPAY_OK; break;
    default: break;
    }
  }
  if (!g_log.verbose) return;
  fprintf(stderr, PROG ": attempt %d: %s ", attempt,
          id == WXPAY_LOG_ATTEMPT && g_log.v3 && g_log.in_query ? "GET" : log_text(id));
  put_safe(stderr, detail);
  fputc('\n', stderr);
}

/* >>outcome: from (error, response) to exit status, outcome and sentence */

/* What the sentence and the --json object need of an answer, whichever API
   gave it: report_v2() and report_v3() fill it, conclude() and json_open()
   read it. */
typedef struct cli_summary {
  wxpay_outcome outcome;
  int verified, http_status, attempts;
  wxpay_net net;
  long long retry_after;      /* too early: the seconds to wait */
  const char *code;           /* named by "already closed" and "PAID" */
  const char *why;            /* the reason a retry or rejected answer gave */
  const char *hint;           /* what to check when rejected */
  const char *note;           /* ends a retry or rejected sentence */
  const char *again;          /* what to do after a retry: "close again with
                                 the same order" (the default) */
  int http_retry;             /* http_status means "retry later" */
  const char *http_note;      /* after "answered HTTP N" when it rejects */
  char untrusted[1024];       /* the sentence when the error makes the answer
                                 untrustworthy (each API words its own); "" */
} cli_summary;

/* What both APIs' responses tell alike; the rest is each API's to fill. */
static void summary_init(cli_summary *s, wxpay_outcome outcome, int verified, int http_status,
                         int attempts, wxpay_net net, long long retry_after) {
  memset(s, 0, sizeof *s);
  s->outcome = outcome;
  s->verified = verified;
  s->http_status = http_status;
  s->attempts = attempts;
  s->net = net;
  s->retry_after = retry_after;
  s->again = "close again with the same order";
}

static void set_result(cli_result *res, int exit_code, const char *outcome, const char *fmt, ...) {
  va_list ap;
  int needed;
  res->exit_code = exit_code;
  res->outcome = outcome;
  va_start(ap, fmt);
  needed = vsnprintf(res->message, sizeof res->message, fmt, ap);
  va_end(ap);
  fit_text(res->message, sizeof res->message, needed);
}

/* The exit status, outcome word and sentence for error e, or for the answer
   when e is WXPAY_OK; url and backup: where the close went (NULL when
   nothing was sent). */
static void conclude(const cli_opts *o, wxpay_err e, const cli_summary *s, const char *url,
                     const char *backup, cli_result *res) {
  const char *tries = s->attempts == 1 ? "attempt" : "attempts";
  res->error = e == WXPAY_OK ? NULL : wxpay_err_name(e);
  if (*s->untrusted) {
    set_result(res, EXIT_UNTRUSTED, "untrusted", "%s", s->untrusted);
    return;
  }
  if (e == WXPAY_OK) {
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
    if (s->http_retry)
      set_result(res, EXIT_RETRY, "retry", "retry later: the server answered HTTP %d after %d %s",
                 s->http_status, s->attempts, tries);
    else
      set_result(res, EXIT_REJECTED, "rejected", "rejected: the server answered HTTP %d%s — check "
                 "--endpoint", s->http_status, s->http_note);
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

/* >>settle: what the queries after a close found, for the sentence and
   --json; the same for both APIs */

typedef struct cli_settle {
  wxpay_settlement settlement;
  wxpay_err err;              /* what wxpay_settle() returned */
  wxpay_err close_err;        /* why the last close's answer is not one
                                 (from the log), or WXPAY_OK */
  int closes, queries, found;
  unsigned poll_ms;           /* the pause between polls (--poll-ms) */
  const wxpay_order *order;   /* the last query's order, when found */
} cli_settle;

/* Room for the sub-orders a query lists (the larger API's limit). */
static wxpay_query_sub_order g_states[CLI_MAX_SUBS];

static int paid_state(wxpay_trade_state s) {
  return s == WXPAY_TRADE_SUCCESS || s == WXPAY_TRADE_REFUND;
}

/* An amount for people: "100 fen = 1.00 yuan", or "amount not given". */
static void amount_text(char *out, size_t cap, int64_t fen) {
  if (fen < 0)
    snprintf(out, cap, "amount not given");
  else
    snprintf(out, cap, "%lld fen = %lld.%02lld yuan", (long long)fen, (long long)(fen / 100),
             (long long)(fen % 100));
}

/* What a verified order means to the merchant, as settle judges it: paid
   (a sub-order SUCCESS or REFUND), closed (every one CLOSED), paying (one
   USERPAYING or ACCEPT), else unpaid. */
static const char *order_state(const wxpay_order *ord) {
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
static void paid_list(const wxpay_order *ord, char *out, size_t cap) {
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

/* The conclusion of a close that was followed by queries (st->queries >
   0), in res. cs: the last close's summary (its outcome NONE when it got
   no trustworthy answer); qs: the last query's, for a query that failed or
   found no order; qurl, qbackup: where the queries went.

   A verified PAID or PAYING close keeps its exit status (3, 4) unless the
   queries settled the order; a close without a trustworthy answer takes
   the query's: a failed query is never made into a state. */
static void settle_conclude(const cli_opts *o, const cli_settle *st, const cli_summary *cs,
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

static void empty_resp(wxpay_close_resp *r) {
  memset(r, 0, sizeof *r);
  r->return_code = r->return_msg = r->combine_appid = r->combine_mch_id = r->nonce_str =
      r->sign = r->result_code = r->err_code = r->err_code_des = "";
  r->fields.data = "";
}

static void print_fields(FILE *f, const wxpay_fields *fields, const char *indent) {
  const char *cur = NULL, *name, *value;
  while (wxpay_fields_next(fields, &cur, &name, &value)) {
    fputs(indent, f);
    put_safe(f, name);
    fputs(": ", f);
    put_safe(f, value);
    fputc('\n', f);
  }
}

/* What a v2 answer r (error e) tells, into s (its reason in why). */
static void summarize_v2(wxpay_err e, const wxpay_close_resp *r, cli_summary *s, char *why,
                         size_t cap) {
  summary_init(s, r->outcome, r->verified, r->http_status, r->attempts, r->net, r->retry_after);
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

/* A v2 settle's queries: the last one's summary and where they went. */
typedef struct cli_queried {
  const cli_settle *st;       /* NULL: no settle (verify, a close refused
                                 before sending) */
  cli_summary query;          /* the last query's answer */
  const char *url, *backup;
} cli_queried;

/* Concludes a v2 close or verify (error e, answer r, url and backup as for
   conclude(); sq: what a settle found, or NULL) and prints the result;
   returns the exit status. */
static int report_v2(const cli_opts *o, wxpay_err e, const wxpay_close_resp *r, const char *url,
                     const char *backup, cli_result *res, const cli_queried *sq) {
  cli_summary s;
  char why[600];
  int queried = sq && sq->st && sq->st->queries;
  /* after queries, e is theirs: the close is judged by its answer alone */
  summarize_v2(queried ? sq->st->close_err : e, r, &s, why, sizeof why);
  if (queried)
    settle_conclude(o, sq->st, &s, url, backup, &sq->query, sq->url, sq->backup, res);
  else conclude(o, e, &s, url, backup, res);
  if (o->json) {
    const char *cur = NULL, *name, *value;
    int first = 1;
    json_open(o, res, &s);
    if (sq && sq->st) json_settlement(sq->st);
    printf(",\"fields\":{");
    while (wxpay_fields_next(&r->fields, &cur, &name, &value)) json_field(&first, name, value);
    printf("}}\n");
    return res->exit_code;
  }
  if (o->verify && r->fields.count) {
    print_fields(stdout, &r->fields, "  ");
    if (res->exit_code != EXIT_UNTRUSTED)
      printf("  (%s)\n", r->verified ? "signature verified"
                                     : "unsigned: WeChat does not sign return_code FAIL answers");
  }
  put_safe(stdout, res->message);
  putchar('\n');
  if (sq && sq->st && sq->st->found) print_sub_orders(stdout, sq->st->order);
  return res->exit_code;
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

static int invalid_field(const cli_opts *o, wxpay_err e, const char *field, size_t index) {
  char msg[700];
  const char *flag = flag_of(field, o);
  if (field && !strncmp(field, "sub_orders.", 11))
    snprintf(msg, sizeof msg, "invalid %s #%lu (%s): %s", flag, (unsigned long)index + 1,
             field + 11, wxpay_strerror(e));
  else if (field && !strcmp(field, "nonce_str"))
    snprintf(msg, sizeof msg, "invalid --nonce: %s",
             o->v3 ? "1 to 32 of 0-9 A-Z a-z _ - | * @"
                   : "1 to 32 printable ASCII characters, no spaces");
  else if (field && !strcmp(field, "sub_orders"))
    snprintf(msg, sizeof msg, "invalid %s: %s", flag, wxpay_strerror(e));
  else
    snprintf(msg, sizeof msg, "invalid %s (%s): %s", flag, field ? field : "?", wxpay_strerror(e));
  return usage_error(flag, "%s", msg);
}

/* >>transport */

typedef struct cli_net {
  const char *name;
  wxpay_transport_fn fn;
  void *user;
#ifdef WXPAY_CLI_HAVE_CURL
  wxpay_curl curl;
#endif
#ifdef WXPAY_CLI_HAVE_MBEDTLS
  wxpay_mbedtls tls;
#endif
} cli_net;

static cli_net g_net;

static int is_https(const char *url) { return url && !strncmp(url, "https://", 8); }

static int check_url(const char *flag, const char *url) {
  wxpay_url u;
  char msg[600];
  if (wxpay_url_parse(url, &u) == 0) return 0;
  snprintf(msg, sizeof msg, "%s wants an http:// or https:// URL (got '%s')", flag, url);
  return usage_error(flag, "%s", msg);
}

/* Picks and sets up the transport. The socket speaks plain HTTP only: it is
   refused for an https:// endpoint here, before anything is sent. */
static int setup_transport(const cli_opts *o, const char *primary, const char *backup) {
  const char *want = o->transport;
  int tls_needed = is_https(primary) || is_https(backup) || is_https(o->query_endpoint);
  if (!want) {
#if defined(WXPAY_CLI_HAVE_CURL)
    want = "curl";
#elif defined(WXPAY_CLI_HAVE_MBEDTLS)
    want = "mbedtls";
#else
    want = "socket";
#endif
  }
  memset(&g_net, 0, sizeof g_net);
#ifdef WXPAY_HTTP_NO_POSIX
  if (!strcmp(want, "socket"))
    return usage_error("--transport", "%s",
                       "this " PROG " has no socket transport (built without POSIX sockets)");
#endif
  if (!strcmp(want, "socket")) {
    if (tls_needed) {
      char msg[700];
      snprintf(msg, sizeof msg,
               "the socket transport speaks plain http:// only and will not send to %s; "
               "https:// needs --transport curl or mbedtls (this build has: %s)",
               is_https(primary) ? primary : is_https(backup) ? backup : o->query_endpoint,
               g_transports);
      return usage_error("--transport", "%s", msg);
    }
    g_net.name = "socket";
#ifndef WXPAY_HTTP_NO_POSIX
    g_net.fn = wxpay_socket_transport;
#endif
    g_net.user = NULL;
    return 0;
  }
  if (!strcmp(want, "curl")) {
#ifdef WXPAY_CLI_HAVE_CURL
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
      return usage_error("--transport", "%s", "libcurl failed to initialise");
    g_net.curl.ca_file = o->cacert;
    g_net.name = "curl";
    g_net.fn = wxpay_curl_transport;
    g_net.user = &g_net.curl;
    return 0;
#endif
  } else if (!strcmp(want, "mbedtls")) {
#ifdef WXPAY_CLI_HAVE_MBEDTLS
    static const char *const bundles[] = {"/etc/ssl/certs/ca-certificates.crt",
                                          "/etc/pki/tls/certs/ca-bundle.crt",
                                          "/etc/ssl/cert.pem"};
    size_t k;
    g_net.tls.ca_file = o->cacert;
    for (k = 0; !g_net.tls.ca_file && k < sizeof bundles / sizeof bundles[0]; k++) {
      FILE *f = fopen(bundles[k], "rb");
      if (f) { fclose(f); g_net.tls.ca_file = bundles[k]; }
    }
    if (tls_needed && !g_net.tls.ca_file)
      return usage_error("--cacert", "%s", "mbedTLS has no system CA store: give --cacert FILE");
    if (tls_needed && wxpay_mbedtls_init(&g_net.tls) != 0)
      return usage_error("--cacert", "%s", "mbedTLS could not load the CA certificates (--cacert)");
    g_net.name = "mbedtls";
    g_net.fn = wxpay_mbedtls_transport;
    g_net.user = &g_net.tls;
    return 0;
#endif
  } else {
    return usage_error("--transport", "unknown --transport '%s' (curl, mbedtls or socket)", want);
  }
  {
    char msg[300];
    snprintf(msg, sizeof msg, "this " PROG " was built without %s (transports: %s)", want,
             g_transports);
    return usage_error("--transport", "%s", msg);
  }
}

static void teardown_transport(void) {
#ifdef WXPAY_CLI_HAVE_CURL
  if (g_net.name && !strcmp(g_net.name, "curl")) {
    wxpay_curl_free(&g_net.curl);
    curl_global_cleanup();
  }
#endif
#ifdef WXPAY_CLI_HAVE_MBEDTLS
  if (g_net.name && !strcmp(g_net.name, "mbedtls")) wxpay_mbedtls_free(&g_net.tls);
#endif
}

/* Where a close goes: --endpoint, else the API's default; and where the
   next attempt goes after a network failure: --backup-endpoint, else the
   default backup when --endpoint was not given, else nowhere (NULL). */
static void pick_endpoints(const cli_opts *o, const char *def, const char *def_backup,
                           const char **primary, const char **backup) {
  *primary = o->endpoint ? o->endpoint : def;
  *backup = o->backup ? o->backup : o->endpoint ? NULL : def_backup;
}

/* Sets up the transport for primary and backup, hands it to cli and names
   it in res; with --verbose, says where the close goes. */
static int open_transport(const cli_opts *o, wxpay_client *cli, cli_result *res,
                          const char *primary, const char *backup) {
  int rc = setup_transport(o, primary, backup);
  if (rc != 0) return rc;
  if (o->cacert && !strcmp(g_net.name, "socket"))
    fprintf(stderr, PROG ": note: --cacert is ignored by the socket transport (no TLS)\n");
  cli->transport = g_net.fn;
  cli->transport_user = g_net.user;
  res->transport = g_net.name;
  if (o->verbose)
    fprintf(stderr, PROG ": %stransport %s%s; %s %s; backup %s; %d attempt(s) at most\n",
            o->v3 ? "APIv3; " : "", g_net.name, o->v3 ? "; signer " CLI_RSA_NAME : "",
            o->v3 ? "host" : "endpoint", primary, backup ? backup : "none",
            o->attempts ? o->attempts : 3);
  return 0;
}

/* With --verbose, what libcurl said about a transport failure. */
static void log_transport_error(const cli_opts *o, wxpay_err e) {
#ifdef WXPAY_CLI_HAVE_CURL
  if (o->verbose && e == WXPAY_ERR_TRANSPORT && !strcmp(g_net.name, "curl") && g_net.curl.error[0]) {
    fputs(PROG ": libcurl: ", stderr);
    put_safe(stderr, g_net.curl.error);
    fputc('\n', stderr);
  }
#else
  (void)o;
  (void)e;
#endif
}

/* >>client: what both APIs set the same way */

static void client_defaults(const cli_opts *o, wxpay_client *cli) {
  memset(cli, 0, sizeof *cli);
  cli->clock = cli_clock;
  cli->sleep = cli_sleep;
  cli->retry_delay_ms = o->retry_delay_set ? o->retry_delay_ms : 1000;
  cli->settle_poll_ms = o->poll_set ? o->poll_ms : WXPAY_SETTLE_POLL_MS;
  cli->attempts = o->attempts;
  if (o->timeout_set) {
    cli->timeout_ms = o->timeout_ms;
    cli->connect_timeout_ms = o->timeout_ms < 6000 ? o->timeout_ms : 6000;
  }
  cli->user_agent = "wxpay-close/" WXPAY_VERSION " (wxpay_close.h)";
  memset(&g_log, 0, sizeof g_log);
  g_log.verbose = o->verbose;
  g_log.v3 = o->v3;
  cli->log = cli_log;
}

/* >>close */

static const char *query_url(const cli_opts *o, const char *close_url);

/* 1 when a v2 query has a URL: --query-endpoint, or --endpoint's with its
   "closecombinedorder" made "querycombinedorder" (or the default). */
static int v2_queryable(const cli_opts *o) {
  size_t n = o->endpoint ? strlen(o->endpoint) : 0;
  return o->query_endpoint || !o->endpoint ||
         (n >= 18 && strcmp(o->endpoint + n - 18, "closecombinedorder") == 0);
}

/* v2: the URLs given; `query` needs a query URL (an --endpoint of another
   shape needs --query-endpoint; a close without one does not settle). */
static int check_v2_endpoints(const cli_opts *o) {
  int rc;
  if (o->endpoint && (rc = check_url("--endpoint", o->endpoint)) != 0) return rc;
  if (o->backup && (rc = check_url("--backup-endpoint", o->backup)) != 0) return rc;
  if (o->query_endpoint) return check_url("--query-endpoint", o->query_endpoint);
  if (o->query && !v2_queryable(o) && !o->dry_run) {
    char msg[700];
    snprintf(msg, sizeof msg, "--endpoint '%.500s' does not end in closecombinedorder: give "
             "--query-endpoint URL too (where the order is queried)", o->endpoint);
    return usage_error("--query-endpoint", "%s", msg);
  }
  return 0;
}

static int run_close(const cli_opts *o) {
  wxpay_client cli;
  wxpay_close_req req;
  wxpay_close_resp resp;
  cli_result res;
  const char *field = NULL, *primary, *backup;
  size_t index = 0, len = 0;
  char nonce[WXPAY_NONCE_LEN + 1];
  static char explain[WXPAY_SUB_ORDER_LIST_MAX + 1024];
  wxpay_err e;
  int rc;

  client_defaults(o, &cli);
  memset(&req, 0, sizeof req);
  memset(&res, 0, sizeof res);
  cli.api_key = g_key;
  cli.endpoint = o->endpoint;
  cli.backup_endpoint = o->backup;
  cli.query_endpoint = o->query_endpoint;
  req.combine_appid = o->appid;
  req.combine_mch_id = o->mchid;
  req.combine_out_trade_no = o->order;
  req.sub_orders = o->nsubs ? o->subs : NULL;
  req.sub_order_count = o->nsubs;
  req.sub_order_list_json = o->sub_json;
  req.nonce_str = o->nonce;
  req.created_at = o->created_at;

  if ((rc = check_v2_endpoints(o)) != 0) return rc;

  e = wxpay_close_validate(&cli, &req, &field, &index);
  if (e == WXPAY_ERR_TOO_EARLY) {
    empty_resp(&resp);
    resp.retry_after = wxpay_close_wait_seconds(&cli, &req);
    return report_v2(o, e, &resp, NULL, NULL, &res, NULL);
  }
  if (e != WXPAY_OK) return invalid_field(o, e, field, index);
  /* no wxpay_client_init(): its cache would be a second copy of the key in
     memory (and in a core file); each signature hashes the key afresh */

  if ((o->dry_run || o->explain) && !req.nonce_str) {
    /* one nonce for the body and the explanation (and every attempt) */
    if ((e = wxpay_nonce(&cli, nonce)) != WXPAY_OK) {
      fprintf(stderr, PROG ": %s\n", wxpay_strerror(e));
      return EXIT_INTERNAL;
    }
    req.nonce_str = nonce;
  }
  if (o->explain) {
    if ((e = wxpay_close_explain(&cli, &req, explain, sizeof explain, &len)) != WXPAY_OK) {
      fprintf(stderr, PROG ": --explain: %s\n", wxpay_strerror(e));
      return EXIT_INTERNAL;
    }
    fputs("string to sign (HMAC-SHA256 keyed with the API key): ", stderr);
    fwrite(explain, 1, len, stderr);
    fputc('\n', stderr);
  }
  if (o->dry_run) {
    if ((e = wxpay_close_build(&cli, &req, g_work, sizeof g_work, &len)) != WXPAY_OK) {
      fprintf(stderr, PROG ": %s\n", wxpay_strerror(e));
      wxpay_client_wipe(&cli);
      return EXIT_INTERNAL;
    }
    fwrite(g_work, 1, len, stdout);
    wxpay_client_wipe(&cli);
    return EXIT_DONE;
  }

  pick_endpoints(o, WXPAY_ENDPOINT, WXPAY_BACKUP_ENDPOINT, &primary, &backup);
  if ((rc = open_transport(o, &cli, &res, primary, backup)) != 0) {
    wxpay_client_wipe(&cli);
    return rc;
  }
  g_log.close_url = primary;
  g_log.close_backup = backup;

  /* the close settles: after PAID, PAYING or no trustworthy answer it
     queries the order (>>settle in the header); with no URL to query
     (an --endpoint of another shape, no --query-endpoint) it only closes,
     and "settlement" says QUERY_ENDPOINT where a query was wanted */
  {
    static wxpay_settle_result sres; /* the answers, about 10 KB */
    cli_settle st;
    cli_queried sq;
    char qwhy[600];
    int settles = v2_queryable(o);
    memset(&sres, 0, sizeof sres);
    sres.query.order.sub_orders = g_states;
    sres.query.order.sub_order_cap = CLI_MAX_SUBS;
    if (settles) {
      e = wxpay_settle(&cli, &req, &sres, g_work, sizeof g_work);
    } else {
      e = wxpay_close(&cli, &req, &sres.close, g_work, sizeof g_work);
      sres.closes = 1;
      sres.settlement = e == WXPAY_OK && (sres.close.outcome == WXPAY_OUTCOME_CLOSED ||
                                          sres.close.outcome == WXPAY_OUTCOME_ALREADY_CLOSED)
                            ? WXPAY_SETTLE_CLOSED
                            : WXPAY_SETTLE_UNSETTLED;
    }
    wxpay_client_wipe(&cli);
    if (o->verbose && sres.close.fields.count) {
      fprintf(stderr, PROG ": HTTP %d, %s; fields received:\n", sres.close.http_status,
              sres.close.verified ? "signature verified" : "not verified");
      print_fields(stderr, &sres.close.fields, "    ");
    }
    if (o->verbose && sres.queries)
      fprintf(stderr, PROG ": settle: %d close(s), %d query(ies), settlement %s\n", sres.closes,
              sres.queries, wxpay_settlement_name(sres.settlement));
    log_transport_error(o, e);
    memset(&st, 0, sizeof st);
    st.settlement = sres.settlement;
    st.err = e;
    if (!settles && (e == WXPAY_OK ? sres.close.outcome == WXPAY_OUTCOME_PAID ||
                                         sres.close.outcome == WXPAY_OUTCOME_PAYING
                                   : sres.close.attempts > 0))
      st.err = WXPAY_ERR_QUERY_ENDPOINT; /* a query was wanted, and had no URL */
    st.close_err = g_log.close_err; /* settle keeps the close's answer, not its error */
    st.closes = sres.closes;
    st.queries = sres.queries;
    st.poll_ms = cli.settle_poll_ms;
    st.found = sres.query.found;
    st.order = &sres.query.order;
    memset(&sq, 0, sizeof sq);
    sq.st = &st;
    summarize_v2(e, &sres.query.answer, &sq.query, qwhy, sizeof qwhy);
    sq.query.again = "close again with the same order";
    sq.url = query_url(o, primary);
    sq.backup = o->query_endpoint ? NULL : backup;
    rc = report_v2(o, e, &sres.close, primary, backup, &res, &sq);
  }
  teardown_transport();
  return rc;
}

/* Where a v2 query goes, for the sentences: --query-endpoint, else the
   close's URL with "closecombinedorder" made "querycombinedorder" (the
   library derives it the same way), else the default. */
static const char *query_url(const cli_opts *o, const char *close_url) {
  static char url[2048];
  size_t n;
  const char *tail = "closecombinedorder";
  if (o->query_endpoint) return o->query_endpoint;
  if (!o->endpoint) return WXPAY_QUERY_ENDPOINT;
  n = strlen(close_url);
  if (n < strlen(tail) || n >= sizeof url || strcmp(close_url + n - strlen(tail), tail) != 0)
    return close_url; /* the library refuses it: WXPAY_ERR_QUERY_ENDPOINT */
  memcpy(url, close_url, n + 1);
  memcpy(url + n - strlen(tail), "query", 5);
  return url;
}

/* >>query: `wxpay-close query`, the order's state now */

/* Concludes a query (error e; found, ord: what it found; s: the answer's
   summary; url, backup as for conclude()) and prints it: the sentence and
   a line per sub-order, or one JSON object whose API-specific members
   tail() adds. Returns the exit status. */
static int report_query(const cli_opts *o, wxpay_err e, int found, const wxpay_order *ord,
                        const cli_summary *s, const char *url, const char *backup,
                        cli_result *res, void (*tail)(const void *), const void *tail_arg) {
  if (e == WXPAY_OK && found) {
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
  if (o->json) {
    json_open(o, res, s);
    if (e == WXPAY_OK && found) {
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
  put_safe(stdout, res->message);
  putchar('\n');
  if (e == WXPAY_OK && found) print_sub_orders(stdout, ord);
  return res->exit_code;
}

/* ,"fields":{...}: every field of a v2 query answer but sub_order_list,
   whose text the library decoded in place into "sub_orders" (what is left
   of it is not the text received). */
static void json_v2_fields(const void *arg) {
  const wxpay_close_resp *r = (const wxpay_close_resp *)arg;
  const char *cur = NULL, *name, *value;
  int first = 1;
  printf(",\"fields\":{");
  while (wxpay_fields_next(&r->fields, &cur, &name, &value))
    if (strcmp(name, "sub_order_list") != 0) json_field(&first, name, value);
  putchar('}');
}

static int run_query(const cli_opts *o) {
  wxpay_client cli;
  wxpay_query_req req;
  static wxpay_query_resp resp;
  cli_result res;
  cli_summary s;
  const char *field = NULL, *primary, *backup, *qurl;
  char why[600];
  size_t len = 0;
  wxpay_err e;
  int rc;

  client_defaults(o, &cli);
  memset(&req, 0, sizeof req);
  memset(&res, 0, sizeof res);
  cli.api_key = g_key;
  cli.endpoint = o->endpoint;
  cli.backup_endpoint = o->backup;
  cli.query_endpoint = o->query_endpoint;
  req.combine_appid = o->appid;
  req.combine_mch_id = o->mchid;
  req.combine_out_trade_no = o->order;
  req.nonce_str = o->nonce;
  if ((rc = check_v2_endpoints(o)) != 0) return rc;
  e = wxpay_query_validate(&cli, &req, &field);
  if (e != WXPAY_OK) return invalid_field(o, e, field, 0);
  if (o->dry_run) {
    if ((e = wxpay_query_build(&cli, &req, g_work, sizeof g_work, &len)) != WXPAY_OK) {
      fprintf(stderr, PROG ": %s\n", wxpay_strerror(e));
      wxpay_client_wipe(&cli);
      return EXIT_INTERNAL;
    }
    fwrite(g_work, 1, len, stdout);
    wxpay_client_wipe(&cli);
    return EXIT_DONE;
  }
  pick_endpoints(o, WXPAY_ENDPOINT, WXPAY_BACKUP_ENDPOINT, &primary, &backup);
  qurl = query_url(o, primary);
  if ((rc = open_transport(o, &cli, &res, qurl, o->query_endpoint ? NULL : backup)) != 0) {
    wxpay_client_wipe(&cli);
    return rc;
  }
  memset(&resp, 0, sizeof resp);
  resp.order.sub_orders = g_states;
  resp.order.sub_order_cap = CLI_MAX_SUBS;
  e = wxpay_query(&cli, &req, &resp, g_work, sizeof g_work);
  wxpay_client_wipe(&cli);
  if (o->verbose && resp.answer.fields.count) /* sub_order_list: decoded in place, not shown */
    fprintf(stderr, PROG ": HTTP %d, %s, %lu fields\n", resp.answer.http_status,
            resp.answer.verified ? "signature verified" : "not verified",
            (unsigned long)resp.answer.fields.count);
  log_transport_error(o, e);
  summarize_v2(e, &resp.answer, &s, why, sizeof why);
  s.again = "query again";
  if (e == WXPAY_ERR_JSON)
    snprintf(s.untrusted, sizeof s.untrusted, "untrustworthy response: its sub_order_list is not "
             "JSON the order can be read from (%s, at byte %lu of it) — nothing is known about "
             "the order", wxpay_err_name(e), (unsigned long)resp.json_error_offset);
  rc = report_query(o, e, resp.found, &resp.order, &s, qurl, o->query_endpoint ? NULL : backup,
                    &res, json_v2_fields, &resp.answer);
  teardown_transport();
  return rc;
}

/* >>v3: --api v3, through the RSA adapter built in */
#ifndef CLI_RSA_NONE

#if defined(WXPAY_CLI_HAVE_OPENSSL)
typedef wxpay_openssl_rsa cli_rsa_keys;
#define CLI_RSA(fn) wxpay_openssl_##fn
#else
typedef wxpay_mbedtls_rsa cli_rsa_keys;
#define CLI_RSA(fn) wxpay_mbedtls_##fn
#endif

/* The signer's and verifier's user data. */
typedef struct cli_v3 {
  cli_rsa_keys keys;          /* the merchant private key, the platform keys */
  int loaded;                 /* keys holds something: free it at exit */
  int explain;                /* --explain: print every message signed */
  char serial_seen[80];       /* the Wechatpay-Serial last verified against */
} cli_v3;

static cli_v3 g_v3;

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

static int key_error(const char *flag, const char *path, int code) {
  char msg[900];
  snprintf(msg, sizeof msg, "cannot use %s '%s': %s", flag, path, CLI_RSA(rsa_strerror)(code));
  return usage_error(flag, "%s", msg);
}

/* A key or certificate file's largest size (the adapters' WXPAY_RSA_FILE_MAX):
   a 4096-bit PKCS#8 key is about 3.3 KB, a certificate 2 KB. */
#define CLI_PEM_MAX 65536

static char g_pem[CLI_PEM_MAX + 1]; /* a PEM file's text, wiped after each load */

/* The PEM file path (named flag) read into g_pem by read_file_of(), handed
   to the adapter's loader for kind (0 private key, 1 certificate, 2 public
   key under serial), and wiped. Returns 0, or the usage error. */
static int load_pem_file(const char *flag, const char *path, int kind, const char *serial) {
  size_t len;
  int rc, code, exposed;
  if ((rc = read_file_of(flag, path, g_pem, sizeof g_pem, &len, &exposed)) != 0) return rc;
  code = !len ? WXPAY_RSA_ERR_PARSE
         : kind == 0 ? CLI_RSA(load_private_key)(&g_v3.keys, g_pem, len)
         : kind == 1 ? CLI_RSA(add_platform_cert)(&g_v3.keys, g_pem, len)
                     : CLI_RSA(add_platform_public_key)(&g_v3.keys, serial, g_pem, len);
  wipe(g_pem, len);
  if (code == WXPAY_RSA_ERR_SERIAL && kind == 2)
    return usage_error("--platform-key-id", "invalid --platform-key-id '%s': 1 to 64 of "
                       "0-9 A-Z a-z _ -, as WeChat Pay gives it (PUB_KEY_ID_...)", serial);
  if (code != 0) return key_error(flag, path, code);
  if (kind == 0) warn_exposed(flag, path, exposed); /* certificates are public */
  return 0;
}

/* The merchant private key and the platform keys into g_v3.keys. Every
   failure is a usage error (exit 2) naming the flag and the file; the key
   text is never printed. */
static int load_v3_keys(const cli_opts *o) {
  int code, rc;
  size_t k;
  CLI_RSA(rsa_init)(&g_v3.keys);
  g_v3.loaded = 1;
  if (o->private_key) {
    if ((rc = load_pem_file("--private-key", o->private_key, 0, NULL)) != 0) return rc;
  } else {
    char *pem = getenv("WXPAY_PRIVATE_KEY");
    code = CLI_RSA(load_private_key)(&g_v3.keys, pem, 0);
    wipe_env_value(pem);
    if (code != 0)
      return usage_error("WXPAY_PRIVATE_KEY",
                         "WXPAY_PRIVATE_KEY does not hold a usable private key: %s",
                         CLI_RSA(rsa_strerror)(code));
  }
  for (k = 0; k < o->ncerts; k++)
    if ((rc = load_pem_file("--platform-cert", o->platform_certs[k], 1, NULL)) != 0) return rc;
  if (o->platform_pub &&
      (rc = load_pem_file("--platform-public-key", o->platform_pub, 2, o->platform_key_id)) != 0)
    return rc;
  return 0;
}

static void free_v3_keys(void) {
  if (g_v3.loaded) CLI_RSA(rsa_free)(&g_v3.keys); /* frees and wipes the keys */
  g_v3.loaded = 0;
  wipe(&g_v3, sizeof g_v3);
}

/* --endpoint for v3 is the host, optionally with a path (a gateway's
   prefix) that the library sends, and signs, before /v3/... Refused: a
   query, and what looks like the URL of the call itself. *origin_len: the
   bytes of scheme and authority. */
static int v3_host(const char *flag, const char *url, size_t *origin_len) {
  const char *p = strstr(url, "://"), *path;
  int rc;
  if ((rc = check_url(flag, url)) != 0) return rc;
  path = p ? p + 3 + strcspn(p + 3, "/") : url + strlen(url);
  *origin_len = (size_t)(path - url);
  if (strpbrk(url, "?#") || strstr(path, "/v3/") || strstr(path, "closecombinedorder")) {
    char msg[1200];
    snprintf(msg, sizeof msg, "with --api v3, %s is the host (default %s), not the URL of the "
             "call, and has no ?query (got '%.900s')", flag, WXPAY_V3_HOST, url);
    return usage_error(flag, "%s", msg);
  }
  return 0;
}

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
static void untrusted_v3(wxpay_err e, const wxpay_v3_close_resp *r, char *out, size_t cap) {
  switch (e) {
  case WXPAY_ERR_NO_SIGNATURE:
    snprintf(out, cap, "untrustworthy response: HTTP %d without a platform signature (%s) — "
             "nothing is known about the order; check --endpoint", r->http_status,
             wxpay_err_name(e));
    return;
  case WXPAY_ERR_SIGNATURE:
    if (*g_v3.serial_seen)
      snprintf(out, cap, "untrustworthy response: its signature does not verify with the platform "
               "key %s (%s) — nothing is known about the order; check --platform-cert and "
               "--endpoint", g_v3.serial_seen, wxpay_err_name(e));
    else
      snprintf(out, cap, "untrustworthy response: its Wechatpay-Signature or Wechatpay-Nonce is "
               "malformed (%s) — nothing is known about the order; check --endpoint",
               wxpay_err_name(e));
    return;
  case WXPAY_ERR_UNKNOWN_SERIAL:
    snprintf(out, cap, "untrustworthy response: signed with platform key %s, which was not given "
             "(%s) — nothing is known about the order; add that platform certificate "
             "with --platform-cert (or --platform-public-key)",
             *g_v3.serial_seen ? g_v3.serial_seen : "(no valid Wechatpay-Serial)",
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

/* Concludes a v3 close (error e, answer r, url and backup as for
   conclude()) and prints the result; returns the exit status. */
/* What a v3 answer r (error e) tells, into s (its reason in why). */
static void summarize_v3(wxpay_err e, const wxpay_v3_close_resp *r, cli_summary *s, char *why,
                         size_t cap) {
  summary_init(s, r->outcome, r->verified, r->http_status, r->attempts, r->net, r->retry_after);
  s->code = r->code;
  s->note = r->verified ? "" : " (unsigned answer)";
  s->http_retry = r->http_status >= 500 || r->http_status == 429;
  s->http_note = " without a WeChat Pay error body";
  say(why, cap, "%s%s%s", r->code, *r->message ? " " : "", r->message);
  s->why = why;
  s->hint = v3_hint(r);
  untrusted_v3(e, r, s->untrusted, sizeof s->untrusted);
}

/* The v3 members after "retry_after": request_id, platform_serial, fields. */
static void json_v3_tail(const void *arg) {
  const wxpay_v3_close_resp *r = (const wxpay_v3_close_resp *)arg;
  int first = 1;
  printf(",\"request_id\":");
  put_json_str(stdout, r->request_id);
  printf(",\"platform_serial\":");
  put_json_str_or_null(stdout, *g_v3.serial_seen ? g_v3.serial_seen : NULL);
  printf(",\"fields\":{");
  if (*r->code) json_field(&first, "code", r->code);
  if (*r->message) json_field(&first, "message", r->message);
  if (*r->detail) json_field(&first, "detail", r->detail);
  putchar('}');
}

/* Concludes a v3 close (error e, answer r, url and backup as for
   conclude(); sq: what a settle found, or NULL) and prints the result;
   returns the exit status. */
static int report_v3(const cli_opts *o, wxpay_err e, const wxpay_v3_close_resp *r,
                     const char *url, const char *backup, cli_result *res,
                     const cli_queried *sq) {
  cli_summary s;
  char why[700];
  int queried = sq && sq->st && sq->st->queries;
  /* after queries, e is theirs: the close is judged by its answer alone */
  summarize_v3(queried ? sq->st->close_err : e, r, &s, why, sizeof why);
  if (queried)
    settle_conclude(o, sq->st, &s, url, backup, &sq->query, sq->url, sq->backup, res);
  else conclude(o, e, &s, url, backup, res);
  if (!o->json) {
    put_safe(stdout, res->message);
    putchar('\n');
    if (sq && sq->st && sq->st->found) print_sub_orders(stdout, sq->st->order);
    return res->exit_code;
  }
  json_open(o, res, &s);
  if (sq && sq->st) json_settlement(sq->st);
  json_v3_tail(r);
  printf("}\n");
  return res->exit_code;
}

static void empty_v3_resp(wxpay_v3_close_resp *r) {
  memset(r, 0, sizeof *r);
  r->code = r->message = r->detail = r->request_id = "";
}

/* What a v3 close and a v3 query set alike: the client (signer,
   verifier, hosts) and where the requests go; 0 or the usage error. */
static int v3_client(const cli_opts *o, wxpay_client *cli, size_t *origin_len,
                     const char **primary, const char **backup) {
  size_t ignored;
  int rc;
  client_defaults(o, cli);
  *origin_len = sizeof WXPAY_V3_HOST - 1;
  if (o->endpoint && (rc = v3_host("--endpoint", o->endpoint, origin_len)) != 0) return rc;
  if (o->backup && (rc = v3_host("--backup-endpoint", o->backup, &ignored)) != 0) return rc;
  pick_endpoints(o, WXPAY_V3_HOST, WXPAY_V3_BACKUP_HOST, primary, backup);
  g_v3.explain = o->explain;
  cli->mchid = o->mchid;
  cli->serial_no = o->serial;
  cli->v3_sign = cli_v3_sign;
  cli->v3_sign_user = &g_v3;
  cli->v3_verify = cli_v3_verify;
  cli->v3_verify_user = &g_v3;
  /* answers signed with the key we prefer: the platform public key when one
     was given (the live service follows the Wechatpay-Serial request header) */
  cli->wechatpay_serial = CLI_RSA(preferred_serial)(&g_v3.keys);
  cli->v3_host = o->endpoint;
  cli->v3_backup_host = o->backup;
  return 0;
}

static int run_close_v3(const cli_opts *o) {
  wxpay_client cli;
  wxpay_v3_close_req req;
  wxpay_v3_close_resp resp;
  cli_settle st;
  cli_queried sq;
  char qwhy[700];
  cli_result res;
  const char *field = NULL, *primary, *backup;
  size_t index = 0, origin_len;
  wxpay_err e;
  int rc;

  memset(&req, 0, sizeof req);
  memset(&res, 0, sizeof res);
  empty_v3_resp(&resp);
  if ((rc = v3_client(o, &cli, &origin_len, &primary, &backup)) != 0) return rc;
  req.combine_appid = o->appid;
  req.combine_out_trade_no = o->order;
  req.sub_orders = o->v3subs;
  req.sub_order_count = o->nsubs;
  req.nonce_str = o->nonce;
  req.timestamp = o->timestamp;
  req.created_at = o->created_at;

  e = wxpay_v3_close_validate(&cli, &req, &field, &index);
  if (e == WXPAY_ERR_TOO_EARLY) {
    resp.retry_after = wxpay_v3_close_wait_seconds(&cli, &req);
    return report_v3(o, e, &resp, NULL, NULL, &res, NULL);
  }
  if (e != WXPAY_OK) return invalid_field(o, e, field, index);

  if (o->dry_run) {
    wxpay_v3_request b;
    if ((e = wxpay_v3_close_build(&cli, &req, g_work, sizeof g_work, &b)) != WXPAY_OK) {
      fprintf(stderr, PROG ": %s (%s)\n", wxpay_strerror(e), wxpay_err_name(e));
      return EXIT_INTERNAL;
    }
    /* b.path holds the endpoint's own path too */
    printf("POST %.*s%s\n", (int)origin_len, primary, b.path);
    printf("Authorization: %s\n", b.authorization);
    printf("Content-Type: application/json\nAccept: application/json\nUser-Agent: %s\n",
           cli.user_agent);
    if (cli.wechatpay_serial) printf("Wechatpay-Serial: %s\n", cli.wechatpay_serial);
    putchar('\n');
    fwrite(b.body, 1, b.body_len, stdout);
    putchar('\n');
    return EXIT_DONE;
  }

  if ((rc = open_transport(o, &cli, &res, primary, backup)) != 0) return rc;

  {
    static wxpay_v3_settle_result sres;
    memset(&sres, 0, sizeof sres);
    sres.query.order.sub_orders = g_states;
    sres.query.order.sub_order_cap = CLI_MAX_SUBS;
    e = wxpay_v3_settle(&cli, &req, &sres, g_work, sizeof g_work);
    resp = sres.close;
    memset(&st, 0, sizeof st);
    st.settlement = sres.settlement;
    st.err = e;
    st.close_err = g_log.close_err; /* settle keeps the close's answer, not its error */
    st.closes = sres.closes;
    st.queries = sres.queries;
    st.poll_ms = cli.settle_poll_ms;
    st.found = sres.query.found;
    st.order = &sres.query.order;
    memset(&sq, 0, sizeof sq);
    sq.st = &st;
    summarize_v3(e, &sres.query.answer, &sq.query, qwhy, sizeof qwhy);
    sq.url = primary;
    sq.backup = backup;
    if (o->verbose && sres.queries)
      fprintf(stderr, PROG ": settle: %d close(s), %d query(ies), settlement %s\n", sres.closes,
              sres.queries, wxpay_settlement_name(sres.settlement));
  }
  if (o->verbose && resp.http_status) {
    fprintf(stderr, PROG ": HTTP %d, %s", resp.http_status,
            resp.verified ? "signature verified, platform key " : "not verified");
    if (resp.verified) put_safe(stderr, g_v3.serial_seen);
    fputs("; Request-ID: ", stderr);
    put_safe(stderr, *resp.request_id ? resp.request_id : "(none)");
    fputc('\n', stderr);
    if (*resp.code) {
      fputs("    code: ", stderr);
      put_safe(stderr, resp.code);
      fputs("\n    message: ", stderr);
      put_safe(stderr, resp.message);
      fputs("\n    detail: ", stderr);
      put_safe(stderr, resp.detail);
      fputc('\n', stderr);
    }
  }
  log_transport_error(o, e);
  rc = report_v3(o, e, &resp, primary, backup, &res, &sq);
  teardown_transport();
  return rc;
}

static int run_query_v3(const cli_opts *o) {
  wxpay_client cli;
  wxpay_v3_query_req req;
  static wxpay_v3_query_resp resp;
  cli_result res;
  cli_summary s;
  const char *field = NULL, *primary, *backup;
  char why[700];
  size_t origin_len;
  wxpay_err e;
  int rc;

  memset(&req, 0, sizeof req);
  memset(&res, 0, sizeof res);
  if ((rc = v3_client(o, &cli, &origin_len, &primary, &backup)) != 0) return rc;
  req.combine_out_trade_no = o->order;
  req.combine_appid = o->appid;
  req.nonce_str = o->nonce;
  req.timestamp = o->timestamp;
  e = wxpay_v3_query_validate(&cli, &req, &field);
  if (e != WXPAY_OK) return invalid_field(o, e, field, 0);
  if (o->dry_run) {
    wxpay_v3_request b;
    if ((e = wxpay_v3_query_build(&cli, &req, g_work, sizeof g_work, &b)) != WXPAY_OK) {
      fprintf(stderr, PROG ": %s (%s)\n", wxpay_strerror(e), wxpay_err_name(e));
      return EXIT_INTERNAL;
    }
    /* a GET: no body, no Content-Type */
    printf("GET %.*s%s\n", (int)origin_len, primary, b.path);
    printf("Authorization: %s\n", b.authorization);
    printf("Accept: application/json\nUser-Agent: %s\n", cli.user_agent);
    if (cli.wechatpay_serial) printf("Wechatpay-Serial: %s\n", cli.wechatpay_serial);
    putchar('\n');
    return EXIT_DONE;
  }
  if ((rc = open_transport(o, &cli, &res, primary, backup)) != 0) return rc;
  memset(&resp, 0, sizeof resp);
  resp.order.sub_orders = g_states;
  resp.order.sub_order_cap = CLI_MAX_SUBS;
  e = wxpay_v3_query(&cli, &req, &resp, g_work, sizeof g_work);
  if (o->verbose && resp.answer.http_status) {
    fprintf(stderr, PROG ": HTTP %d, %s; Request-ID: ", resp.answer.http_status,
            resp.answer.verified ? "signature verified" : "not verified");
    put_safe(stderr, *resp.answer.request_id ? resp.answer.request_id : "(none)");
    fputc('\n', stderr);
  }
  log_transport_error(o, e);
  summarize_v3(e, &resp.answer, &s, why, sizeof why);
  s.again = "query again";
  rc = report_query(o, e, resp.found, &resp.order, &s, primary, backup, &res, json_v3_tail,
                    &resp.answer);
  teardown_transport();
  return rc;
}

#endif /* CLI_RSA_NONE */

/* >>verify */

static int run_verify(const cli_opts *o) {
  wxpay_client cli;
  wxpay_close_resp resp;
  wxpay_close_req req;
  cli_result res;
  size_t n = 0, got;
  wxpay_err e;

  memset(&cli, 0, sizeof cli);
  memset(&res, 0, sizeof res);
  memset(&req, 0, sizeof req);
  cli.api_key = g_key;
  do {
    got = fread(g_body + n, 1, sizeof g_body - n, stdin);
    n += got;
  } while (got && n < sizeof g_body);
  if (ferror(stdin)) {
    fprintf(stderr, PROG ": cannot read standard input\n");
    return EXIT_INTERNAL;
  }
  if (n > CLI_VERIFY_MAX) {
    empty_resp(&resp);
    return report_v2(o, WXPAY_ERR_TOO_LARGE, &resp, NULL, NULL, &res, NULL);
  }
  /* Both echoes given: the library checks them. One alone: checked here,
     the same way (only on a verified return_code SUCCESS answer). */
  req.combine_appid = o->appid;
  req.combine_mch_id = o->mchid;
  e = wxpay_close_parse(&cli, o->appid && o->mchid ? &req : NULL, g_body, n, &resp);
  if (e == WXPAY_OK && resp.verified && !strcmp(resp.return_code, "SUCCESS") &&
      ((o->appid && strcmp(o->appid, resp.combine_appid)) ||
       (o->mchid && strcmp(o->mchid, resp.combine_mch_id)))) {
    e = WXPAY_ERR_ECHO_MISMATCH;
    resp.outcome = WXPAY_OUTCOME_NONE;
  }
  return report_v2(o, e, &resp, NULL, NULL, &res, NULL);
}

/* >>process: no core file, no SIGPIPE, and a result that could not be
   written is a failure */

/* At start, before any secret is read: no core file of this process (it
   would hold the key; a core_pattern that pipes to a program ignores
   RLIMIT_CORE, hence PR_SET_DUMPABLE too, which also stops other processes
   of the same user from attaching to it or reading its memory), and a
   closed pipe on stdout is a write error (EPIPE) that finish_output()
   reports, not a silent death by SIGPIPE. */
static void harden_process(void) {
#if defined(__unix__) || defined(__APPLE__)
  struct rlimit none;
  none.rlim_cur = 0;
  none.rlim_max = 0;
  (void)setrlimit(RLIMIT_CORE, &none);
#endif
#ifdef __linux__
  (void)prctl(PR_SET_DUMPABLE, 0L, 0L, 0L, 0L);
#endif
#ifdef SIGPIPE
  (void)signal(SIGPIPE, SIG_IGN);
#endif
}

/* Flushes and closes stdout. Any write that failed (stdio keeps the error:
   a full disk, a closed pipe) turns the exit status into EXIT_INTERNAL, with
   one line on stderr naming the status it replaces: a script never reads
   "done" from a result it was not given. */
static int finish_output(int status) {
  int failed = ferror(stdout), err = 0;
  if (fflush(stdout) != 0) {
    failed = 1;
    err = errno;
  }
  if (fclose(stdout) != 0 && !failed) {
    failed = 1;
    err = errno;
  }
  if (!failed) return status;
  fprintf(stderr, PROG ": cannot write the result to standard output (%s): exit status %d "
          "instead of %d\n", err ? strerror(err) : "an earlier write failed", EXIT_INTERNAL, status);
  return EXIT_INTERNAL;
}

static int run(int argc, char **argv) {
  cli_opts o;
  int i, rc;
#ifdef _WIN32
  /* bytes as they are, no CR LF translation: --dry-run prints the exact
     body, verify checks the signature over the bytes received */
  (void)_setmode(_fileno(stdin), _O_BINARY);
  (void)_setmode(_fileno(stdout), _O_BINARY);
#endif
  for (i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) { print_help(); return 0; }
    if (!strcmp(argv[i], "--version")) { print_version(); return 0; }
    if (!strcmp(argv[i], "--json")) g_json = 1;
  }
  if (argc < 2) {
    print_help();
    return EXIT_USAGE;
  }
  if ((rc = parse_args(argc, argv, &o)) != 0) return rc;
#ifndef CLI_RSA_NONE
  if (o.v3) {
    if ((rc = load_v3_keys(&o)) == 0) rc = o.query ? run_query_v3(&o) : run_close_v3(&o);
    free_v3_keys(); /* the private key: freed and wiped by the adapter */
    wipe(g_work, sizeof g_work);
    return rc;
  }
#endif
  if ((rc = load_key(&o)) != 0) {
    wipe(g_key, sizeof g_key);
    return rc;
  }
  rc = o.verify ? run_verify(&o) : o.query ? run_query(&o) : run_close(&o);
  wipe(g_key, sizeof g_key);
  wipe(g_work, sizeof g_work);
  return rc;
}

int main(int argc, char **argv) {
  harden_process();
  return finish_output(run(argc, argv));
}
