/* cli.h -- what the files of wxpay-close share (internal to the tool).

   wxpay-close closes a WeChat Pay combined order (合单关单) from the shell:
   it signs the request, sends it through one of the adapters compiled in
   (libcurl, mbedTLS, plain sockets), verifies the answer and says in one
   sentence what happened; the exit status tells a script what to do next.
   `wxpay-close --help` for the flags.

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
   process's environment once read, and the process makes no core file.

   The files, by concern:
     main.c             the driver: process hardening, which command runs,
                        the exit status once stdout is flushed
     options.c          the flag table, parsing, --help from the same table
     secrets.c          the API key and the APIv3 keys from files or the
                        environment, wiped after use
     transport.c        the transports, the client's callbacks (clock,
                        sleep, log)
     api_v2.c, api_v3.c request assembly and the calls: close, query, verify
     outcome.c          from (error, answer) to exit status and sentence
     output.c           the sentence, the sub-order lines, the --json object
     text.c             printing what came from the network safely
     implementations.c  wxpay_close.h and the adapters, compiled once

   State: one cli_context, owned by main() and passed by pointer; no
   mutable file-scope variable. */
#ifndef WXPAY_CLI_H
#define WXPAY_CLI_H

#define _POSIX_C_SOURCE 200809L /* nanosleep, clock_gettime, POSIX sockets */
#if defined(_WIN32) && !defined(WXPAY_HTTP_NO_POSIX)
/* Windows has no POSIX sockets: no socket transport there (--dry-run and
   verify work; libcurl, WXPAY_CLI_HAVE_CURL, would be the transport) */
#define WXPAY_HTTP_NO_POSIX
#endif

#include <stddef.h>
#include <stdio.h>

/* The close's part of wxpay_settle()'s work buffer: a request with a
   caller-given sub_order_list of WXPAY_SUB_ORDER_LIST_MAX (10240) bytes,
   the rest of the request and the answer (the default 4096 holds sub-order
   lists of about 3 KB only). Every file sees the same value: the
   implementation (implementations.c) sizes the settle's split with it. */
#define WXPAY_CLOSE_WORK_SIZE (4096 + 10240 + 4096)
#include "wxpay_close.h"
#include "adapters/wxpay_http.h"
#ifdef WXPAY_CLI_HAVE_CURL
#include "adapters/wxpay_curl.h"
#endif
#ifdef WXPAY_CLI_HAVE_MBEDTLS
#include "adapters/wxpay_mbedtls.h"
#endif
#ifdef WXPAY_CLI_HAVE_OPENSSL
#include "adapters/wxpay_openssl.h"
#endif

/* The APIv3 signer: OpenSSL first (what libcurl users link already), else
   mbedTLS, else none (--api v3 then exits EXIT_UNSUPPORTED). */
#if defined(WXPAY_CLI_HAVE_OPENSSL)
#define CLI_RSA_NAME "openssl"
typedef wxpay_openssl_rsa cli_rsa_keys;
#define CLI_RSA(fn) wxpay_openssl_##fn
#elif defined(WXPAY_CLI_HAVE_MBEDTLS)
#define CLI_RSA_NAME "mbedtls"
typedef wxpay_mbedtls_rsa cli_rsa_keys;
#define CLI_RSA(fn) wxpay_mbedtls_##fn
#else
#define CLI_RSA_NONE
#define CLI_RSA_NAME "none"
#endif

/* The transports built in, as --version and --help list them. */
#ifdef WXPAY_CLI_HAVE_CURL
#define CLI_HAS_CURL "curl "
#else
#define CLI_HAS_CURL ""
#endif
#ifdef WXPAY_CLI_HAVE_MBEDTLS
#define CLI_HAS_MBEDTLS "mbedtls "
#else
#define CLI_HAS_MBEDTLS ""
#endif
#ifndef WXPAY_HTTP_NO_POSIX
#define CLI_HAS_SOCKET "socket"
#else
#define CLI_HAS_SOCKET "(no socket transport)"
#endif
#define CLI_TRANSPORTS CLI_HAS_CURL CLI_HAS_MBEDTLS CLI_HAS_SOCKET

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
/* The largest answer `verify` reads on stdin. */
#define CLI_VERIFY_MAX 65536
/* The most sub-orders either API takes. */
#define CLI_MAX_SUBS \
  (WXPAY_V3_MAX_SUB_ORDERS > WXPAY_MAX_SUB_ORDERS ? WXPAY_V3_MAX_SUB_ORDERS : WXPAY_MAX_SUB_ORDERS)
/* Platform certificates one run may be given (--platform-cert, repeated). */
#define CLI_MAX_PLATFORM_CERTS 4
/* A key or certificate file's largest size (the adapters' WXPAY_RSA_FILE_MAX):
   a 4096-bit PKCS#8 key is about 3.3 KB, a certificate 2 KB. */
#define CLI_PEM_MAX 65536
/* A URL the tool keeps a copy of (the last one requested). */
#define CLI_URL_MAX 2048

/* A number flag: given or not, and its value. */
typedef struct cli_number {
  int given;
  unsigned long long value;
} cli_number;

/* One --sub or --sub-order as given: split once --api is known. */
typedef struct cli_raw_sub {
  char *arg;                  /* in argv, which is writable */
  const char *flag;           /* "--sub" or "--sub-order" */
} cli_raw_sub;

/* What the command line asked. */
typedef struct cli_opts {
  int verify;                 /* the `verify` subcommand */
  int query;                  /* the `query` subcommand */
  int v3;                     /* --api v3 */
  const char *appid, *mchid, *order, *sub_json, *nonce, *key_file;
  /* the sub-orders as given (room for the larger API's limit, and one past
     it: the first one past the limit is judged too) */
  cli_raw_sub raw_subs[CLI_MAX_SUBS + 1];
  size_t nraw;
  wxpay_sub_order subs[WXPAY_MAX_SUB_ORDERS];        /* --api v2 */
  wxpay_v3_sub_order v3subs[WXPAY_V3_MAX_SUB_ORDERS]; /* --api v3 */
  size_t nsubs;
  /* --api v3 only */
  const char *serial, *private_key, *platform_pub, *platform_key_id;
  const char *platform_certs[CLI_MAX_PLATFORM_CERTS];
  size_t ncerts;
  cli_number timestamp;
  const char *endpoint, *backup, *transport, *cacert;
  const char *query_endpoint; /* --query-endpoint (v2) */
  cli_number timeout_ms, retry_delay_ms, poll_ms, attempts, created_at;
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

/* What the sentence and the --json object need of an answer, whichever API
   gave it: summarize_v2() and summarize_v3() fill it, conclude() and
   json_open() read it. */
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
  const char *http_url;       /* the URL that answered http_status, or NULL */
  const char *http_hint;      /* what to check after such a status */
  char untrusted[1024];       /* the sentence when the error makes the answer
                                 untrustworthy (each API words its own); "" */
} cli_summary;

/* What the queries after a close found; the same for both APIs. */
typedef struct cli_settle {
  wxpay_settlement settlement;
  wxpay_err err;              /* what wxpay_settle() returned */
  wxpay_err close_err;        /* why the last close's answer is not one
                                 (from the log), or WXPAY_OK */
  int closes, queries, found;
  unsigned poll_ms;           /* the pause between polls (--poll-ms) */
  const wxpay_order *order;   /* the last query's order, when found */
} cli_settle;

/* A settle's queries: the last one's summary and where they went. */
typedef struct cli_queried {
  const cli_settle *st;       /* NULL: no settle (verify, a close refused
                                 before sending) */
  cli_summary query;          /* the last query's answer */
  const char *url, *backup;
} cli_queried;

/* What the log tells of a run: whether the attempt under way is a query,
   the error that made a close's answer untrustworthy (settle keeps the
   close's answer, not its error), and the URL each call asked last. */
typedef struct cli_logstate {
  int verbose;                /* print each event on stderr */
  int v3;
  const char *close_url;      /* v2: a close's URLs (the rest are queries) */
  const char *close_backup;
  int in_query;
  wxpay_err close_err;        /* how the last close ended: WXPAY_OK with a
                                 verified answer (or none was made) */
  char close_asked[CLI_URL_MAX];  /* the URL of the close's last attempt */
  char query_asked[CLI_URL_MAX];  /* the URL of the query's last attempt */
} cli_logstate;

/* The transport picked, and the adapters' handles. */
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

#ifndef CLI_RSA_NONE
/* The APIv3 signer's and verifier's user data. */
typedef struct cli_v3 {
  cli_rsa_keys keys;          /* the merchant private key, the platform keys */
  int loaded;                 /* keys holds something: free it at exit */
  int explain;                /* --explain: print every message signed */
  char serial_seen[80];       /* the Wechatpay-Serial last verified against */
} cli_v3;
#endif

/* Everything one run holds. main() owns the only one; every function gets
   it (or the part it needs) by pointer. */
typedef struct cli_context {
  cli_opts opts;
  int json_errors;            /* --json anywhere in argv: a usage error also
                                 prints its JSON object */
  int warned_exposed;         /* the key-file permission warning was given */
  char work[CLI_WORK_SIZE];   /* requests and answers */
  char key[WXPAY_KEY_LEN + 64]; /* the APIv2 key, wiped before exit */
  union {                     /* one run reads one of them */
    char body[CLI_VERIFY_MAX + 1];  /* verify: the answer from stdin */
    char pem[CLI_PEM_MAX + 1];      /* v3: a PEM file, wiped after each load */
    char explain[WXPAY_SUB_ORDER_LIST_MAX + 1024]; /* v2 --explain */
  } text;
  char query_url[CLI_URL_MAX]; /* v2: the query's URL derived from --endpoint */
  union {                     /* one run makes one of these calls */
    wxpay_settle_result v2_settle;
    wxpay_query_resp v2_query;
    wxpay_v3_settle_result v3_settle;
    wxpay_v3_query_resp v3_query;
  } answer;
  wxpay_query_sub_order states[CLI_MAX_SUBS]; /* the sub-orders a query lists */
  char stdout_buffer[65536];  /* stdout's, so the result is one write */
  cli_logstate log;
  cli_net net;
#ifndef CLI_RSA_NONE
  cli_v3 v3;
#endif
} cli_context;

/* text.c */
void put_safe_n(FILE *f, const char *s, size_t n);
void put_safe(FILE *f, const char *s);
void put_json_str(FILE *f, const char *s);
void put_json_str_or_null(FILE *f, const char *s);
void fit_text(char *out, size_t cap, int needed);
void say(char *out, size_t cap, const char *fmt, ...);

/* options.c */
int usage_error(const cli_context *ctx, const char *flag, const char *fmt, ...);
void print_help(void);
void print_version(void);
int parse_args(cli_context *ctx, int argc, char **argv);
int invalid_field(const cli_context *ctx, wxpay_err e, const char *field, size_t index);

/* secrets.c */
void wipe(void *p, size_t n);
int load_key(cli_context *ctx);
#ifndef CLI_RSA_NONE
int load_v3_keys(cli_context *ctx);
void free_v3_keys(cli_context *ctx);
#endif

/* transport.c */
int check_url(const cli_context *ctx, const char *flag, const char *url);
void pick_endpoints(const cli_opts *o, const char *def, const char *def_backup,
                    const char **primary, const char **backup);
int open_transport(cli_context *ctx, wxpay_client *cli, cli_result *res, const char *primary,
                   const char *backup);
void close_transport(cli_context *ctx);
void log_transport_error(const cli_context *ctx, wxpay_err e);
void client_defaults(cli_context *ctx, wxpay_client *cli);
#ifdef WXPAY_CLI_HAVE_MBEDTLS
void mbedtls_error_text(int code, char *out, size_t cap);
#endif

/* outcome.c */
void set_result(cli_result *res, int exit_code, const char *outcome, const char *fmt, ...);
void conclude(const cli_opts *o, wxpay_err e, const cli_summary *s, const char *url,
              const char *backup, cli_result *res);
void settle_conclude(const cli_opts *o, const cli_settle *st, const cli_summary *cs,
                     const char *url, const char *backup, const cli_summary *qs,
                     const char *qurl, const char *qbackup, cli_result *res);
void settle_found(cli_settle *st, wxpay_err e, wxpay_err close_err, wxpay_settlement settlement,
                  int closes, int queries, unsigned poll_ms, int found, const wxpay_order *order);
int paid_state(wxpay_trade_state s);
const char *order_state(const wxpay_order *ord);
void paid_list(const wxpay_order *ord, char *out, size_t cap);
void amount_text(char *out, size_t cap, int64_t fen);
void summarize_v2(wxpay_err e, const wxpay_close_resp *r, const char *asked, cli_summary *s,
                  char *why, size_t cap);
#ifndef CLI_RSA_NONE
void summarize_v3(const cli_v3 *v3, wxpay_err e, const wxpay_v3_close_resp *r,
                  const char *asked, cli_summary *s, char *why, size_t cap);
#endif

/* output.c */
void print_fields(FILE *f, const wxpay_fields *fields, const char *indent);
void print_verbose_settle(const cli_opts *o, int closes, int queries,
                          wxpay_settlement settlement);
int report_v2(const cli_opts *o, wxpay_err e, const wxpay_close_resp *r, const char *url,
              const char *backup, const char *asked, cli_result *res, const cli_queried *sq);
int report_query(const cli_opts *o, wxpay_err e, int found, const wxpay_order *ord,
                 const cli_summary *s, const char *url, const char *backup, cli_result *res,
                 void (*tail)(const void *), const void *tail_arg);
void json_v2_fields(const void *resp);
#ifndef CLI_RSA_NONE
int report_v3(const cli_context *ctx, wxpay_err e, const wxpay_v3_close_resp *r, const char *url,
              const char *backup, cli_result *res, const cli_queried *sq);
/* A v3 answer and the platform key it was verified against: the tail of
   its --json object. */
typedef struct cli_v3_answer {
  const wxpay_v3_close_resp *resp;
  const char *serial_seen;
} cli_v3_answer;
void json_v3_tail(const void *answer);
#endif

/* api_v2.c */
int run_close(cli_context *ctx);
int run_query(cli_context *ctx);
int run_verify(cli_context *ctx);

/* api_v3.c */
#ifndef CLI_RSA_NONE
int run_close_v3(cli_context *ctx);
int run_query_v3(cli_context *ctx);
#endif

#endif /* WXPAY_CLI_H */
