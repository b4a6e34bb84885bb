/* wxpay_close.h v0.4.1 -- close a WeChat Pay combined order (合单关单)
   APIv2  https://api.mch.weixin.qq.com/pay/closecombinedorder
   APIv3  https://api.mch.weixin.qq.com/v3/combine-transactions/out-trade-no/{no}/close
   and query it (合单查单), and settle it: close, then query until it is
   known what was paid.

   One file, C99, no heap, no global state, includable from C++.

   Do this:
       #define WXPAY_CLOSE_IMPLEMENTATION
   before you include this file in *one* C or C++ file to create the
   implementation. Every other file includes it without the define.

QUICK START

       wxpay_client cli = {0};
       cli.api_key   = key;                  // the 32-byte APIv2 key
       cli.transport = my_http_post;         // see TRANSPORT below
       wxpay_sub_order subs[] = {{"1900009001", "OD201708030001"}};
       wxpay_close_req req = {0};
       req.combine_appid        = "wx8888888888888888";
       req.combine_mch_id       = "1900000109";
       req.combine_out_trade_no = "1217752501201407033233368018";
       req.sub_orders = subs; req.sub_order_count = 1;
       static char work[WXPAY_CLOSE_WORK_SIZE];
       wxpay_close_resp resp;
       wxpay_err e = wxpay_close(&cli, &req, &resp, work, sizeof work);
       if (e == WXPAY_OK && (resp.outcome == WXPAY_OUTCOME_CLOSED ||
                             resp.outcome == WXPAY_OUTCOME_ALREADY_CLOSED)) ...

   The split path (an event loop or RTOS task doing its own HTTP):
       wxpay_close_build()  -> the signed XML body to POST
       (your HTTP POST to client.endpoint, Content-Type: text/xml)
       wxpay_close_parse()  -> fields, signature check, outcome

APIv3 (the successor endpoint; RSA stays outside the header)

       cli.mchid     = "1900000100";              // the merchant that signs
       cli.serial_no = "408B07E79B8269FE...";     // its API certificate's serial
       cli.wechatpay_serial = wxpay_openssl_preferred_serial(&rsa); // answer with
       cli.v3_sign   = wxpay_openssl_sign;   cli.v3_sign_user   = &rsa;
       cli.v3_verify = wxpay_openssl_verify; cli.v3_verify_user = &rsa;
       wxpay_v3_sub_order subs3[] = {{"1900009001", "OD201708030001", NULL, NULL}};
       wxpay_v3_close_req r3 = {0};
       r3.combine_appid = "wx8888888888888888";
       r3.combine_out_trade_no = "P20150806125346";
       r3.sub_orders = subs3; r3.sub_order_count = 1;
       static char work3[WXPAY_V3_WORK_SIZE];
       wxpay_v3_close_resp resp3;
       e = wxpay_v3_close(&cli, &r3, &resp3, work3, sizeof work3);

   The signer and verifier are callbacks (adapters/wxpay_openssl.h and
   adapters/wxpay_mbedtls.h provide both). 204 is CLOSED only with a valid
   platform signature no more than 5 minutes off the clock and no body; a
   signed 202 USERPAYING is PAYING; error bodies {"code","message","detail"}
   map to the same outcomes as APIv2. Every request names the platform key
   the answer is to be signed with (Wechatpay-Serial) when
   client.wechatpay_serial is set: while a merchant moves from platform
   certificates to the platform public key, WeChat signs with the key named
   there, and with the certificate when none is named.

QUERY AND SETTLE (after PAID, PAYING or an answer that cannot be trusted)

       wxpay_query_sub_order states[WXPAY_MAX_SUB_ORDERS];
       static wxpay_settle_result res;            // the last close and query
       res.query.order.sub_orders = states;       // room for the answer's list
       res.query.order.sub_order_cap = WXPAY_MAX_SUB_ORDERS;
       static char work4[WXPAY_SETTLE_WORK_SIZE];
       e = wxpay_settle(&cli, &req, &res, work4, sizeof work4);
       // e == WXPAY_OK: res.settlement is CLOSED, PAID (see states[i].state,
       // .transaction_id, .total_amount in fen), PAYING or UNSETTLED;
       // any error: nothing is known (never a state from an untrusted answer)

   wxpay_v3_settle() is the same for APIv3. The queries alone, split like
   the close: wxpay_query_build/_parse/wxpay_query() (APIv2, POST
   pay/querycombinedorder at client.query_endpoint, by default the close's
   endpoint with "querycombinedorder" for "closecombinedorder") and
   wxpay_v3_query_build/_parse/wxpay_v3_query() (APIv3, a signed GET).
   Their JSON (APIv2's sub_order_list, APIv3's body) is read in place: no
   heap, no recursion, 16 levels at most, unknown members skipped,
   duplicates refused, amounts as int64_t fen.

OPTIONS (define before including; the same in every file that includes it)

   WXPAY_STATIC            every function is `static` (one private copy)
   WXPAY_ASSERT(c)         default assert(c) from <assert.h>; define it empty
                           to drop assertions (they only guard programming
                           errors: public calls still return WXPAY_ERR_ARG)
   WXPAY_NO_ERROR_STRINGS  wxpay_strerror() and wxpay_outcome_name() return ""
                           (saves the strings' flash on small targets)
   WXPAY_NO_OS             no default random source and no default clock
                           (bare metal: give the client its callbacks)
   WXPAY_SHA256_FAST       the unrolled portable SHA-256: an eighth fewer
                           instructions and a quarter less time per block
                           (x86) for about 1.9 KB more code (Cortex-M4);
                           by default a rolled loop
   WXPAY_SHA256_HW         use the CPU's SHA-256 instructions where present:
                           x86 SHA extensions (GCC: checked at run time; clang:
                           when built with -msha -msse4.1) and ARMv8 SHA2 (when
                           built with +sha2/+crypto). Default: portable C only.
   WXPAY_MAX_SUB_ORDERS    most sub-orders in one combined order, default 10
   WXPAY_MAX_FIELDS        most fields a response may carry, default 64
   WXPAY_CLOSE_WORK_SIZE   a work buffer size that fits any request built from
                           sub_orders (at most 2975 bytes) plus its response,
                           default 4096; a caller's sub_order_list_json needs
                           its own length more, and 12 bytes more for each
                           "]]>" in it (CDATA splits them)
   WXPAY_V3_MAX_SUB_ORDERS most sub-orders in one APIv3 close, default 50
                           (the API's own limit; APIv2's is 10)
   WXPAY_V3_WORK_SIZE      a work buffer for wxpay_v3_close(), default
                           4096 + 280 * WXPAY_V3_MAX_SUB_ORDERS (18096):
                           request, message, Authorization, the answer and
                           its signature headers (the worst request, 50
                           sub-orders with every field at its longest,
                           signed with RSA-4096, and the headers take
                           16.1 KiB; the rest is room for the answer)
   WXPAY_QUERY_WORK_SIZE   wxpay_query()'s work buffer, default 8192
   WXPAY_V3_QUERY_WORK_SIZE wxpay_v3_query()'s, default 4096 + 640 *
                           WXPAY_V3_MAX_SUB_ORDERS (36096)
   WXPAY_SETTLE_POLLS      queries settle makes while a customer pays,
                           client.settle_poll_ms (default 5000) apart,
                           default 3

TRANSPORT

   The library never opens a socket. wxpay_close() calls client->transport
   with a wxpay_http_req (method, URL, headers, body, timeouts) and a
   wxpay_http_resp whose body buffer it owns. The callback fills in the
   status, the body and the response headers it is asked for, and returns
   WXPAY_NET_OK when an HTTP response arrived (any status), or the kind of
   failure: DNS, CONNECT, TLS, TIMEOUT, IO, TOO_LARGE. Only DNS, CONNECT,
   TLS and TIMEOUT move the next attempt to the other endpoint (from the
   primary to the backup, and back if the backup fails the same way). Ready-made
   transports live in adapters/ (libcurl, mbedTLS, plain sockets).

OUTCOMES (what to do now)

   CLOSED          the order is closed.                       Done.
   ALREADY_CLOSED  ORDERCLOSED: it was closed before.         Done.
   PAID            ORDERPAID: the customer paid. Never reissue the order;
                   treat it as paid (refund if you must).
   NOT_FOUND       ORDERNOTEXIST: no such combined order.     Check the number.
   RETRY           SYSTEMERROR, FREQUENCY_LIMITED, RULE_LIMIT, too early
                   (see resp.retry_after), or transport trouble. Call again
                   later with the same order.
   REJECTED        return_code FAIL, SIGNERROR, NOAUTH, PARAM_ERROR or any
                   other err_code (kept raw in resp.err_code). Fix the request.
   PAYING          USERPAYING (APIv3: a signed 202): the customer is paying
                   right now. Do not reissue; query the order in about 5 s,
                   and close again if it is still unpaid.

   Library errors (bad input, buffers, randomness, transport, HTTP status,
   malformed XML, a bad or missing signature, an echo mismatch) are wxpay_err
   codes, never outcomes: an untrustworthy answer is never "closed".

LICENSE: see the end of the file.
*/
#ifndef WXPAY_CLOSE_H
#define WXPAY_CLOSE_H

#include <stddef.h>
#include <stdint.h>

#define WXPAY_VERSION_MAJOR 0
#define WXPAY_VERSION_MINOR 4
#define WXPAY_VERSION_PATCH 1
#define WXPAY_VERSION "0.4.1"

#ifndef WXPAY_DEF
#ifdef WXPAY_STATIC
#if defined(__GNUC__) || defined(__clang__)
#define WXPAY_DEF static __attribute__((unused)) /* no warning for what one file leaves unused */
#else
#define WXPAY_DEF static
#endif
#else
#define WXPAY_DEF extern
#endif
#endif

#ifndef WXPAY_MAX_SUB_ORDERS
#define WXPAY_MAX_SUB_ORDERS 10
#endif
#ifndef WXPAY_MAX_FIELDS
#define WXPAY_MAX_FIELDS 64
#endif
#ifndef WXPAY_CLOSE_WORK_SIZE
#define WXPAY_CLOSE_WORK_SIZE 4096
#endif

#define WXPAY_ENDPOINT "https://api.mch.weixin.qq.com/pay/closecombinedorder"
#define WXPAY_BACKUP_ENDPOINT "https://api2.mch.weixin.qq.com/pay/closecombinedorder"
#define WXPAY_KEY_LEN 32          /* an APIv2 key is exactly 32 bytes */
#define WXPAY_NONCE_LEN 32        /* drawn nonces; a given one may be shorter */
#define WXPAY_MIN_CLOSE_DELAY 60  /* seconds between creating and closing */
#define WXPAY_SUB_ORDER_LIST_MAX 10240

#define WXPAY_V3_HOST "https://api.mch.weixin.qq.com"
#define WXPAY_V3_BACKUP_HOST "https://api2.mch.weixin.qq.com"
#define WXPAY_V3_PATH_PREFIX "/v3/combine-transactions/out-trade-no/"
#define WXPAY_V3_MAX_SKEW 300     /* seconds a signed answer may be off the clock */
#define WXPAY_V3_SIG_MAX 512      /* RSA up to 4096 bits */
#ifndef WXPAY_V3_MAX_SUB_ORDERS
#define WXPAY_V3_MAX_SUB_ORDERS 50 /* the APIv3 definition's maxItems */
#endif
/* wxpay_v3_close()'s work buffer: each sub-order's JSON takes at most 277
   bytes (four ids of 32, an individual_auth_id of 64, names, quotes and
   commas) and is written once; the rest of the worst request (path twice,
   message lines, an Authorization with a 4096-bit signature) and the slots
   for the answer's signature headers take about 2.2 KiB more with a short
   host, which leaves at least 1.5 KiB for an error body. A unit test builds
   the worst request and checks that. */
#ifndef WXPAY_V3_WORK_SIZE
#define WXPAY_V3_WORK_SIZE (4096 + 280 * WXPAY_V3_MAX_SUB_ORDERS)
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* Every error, once: the id and its message (sokol-style X-macro). */
#define WXPAY_ERRORS(X) \
  X(OK,              "no error") \
  X(ARG,             "a required pointer argument is NULL") \
  X(BUFFER,          "buffer too small (the length argument says how much is needed)") \
  X(MISSING_FIELD,   "a required request field is missing or empty") \
  X(FIELD_TOO_LONG,  "a request field is longer than WeChat allows (32 bytes for ids and order numbers)") \
  X(BAD_CHARS,       "a field has characters outside its allowed set (merchant ids: digits; appids: letters and digits; order numbers: 0-9 A-Z a-z _ - | * @)") \
  X(SUB_ORDER_COUNT, "sub-order count must be 1 to WXPAY_MAX_SUB_ORDERS (APIv2) or WXPAY_V3_MAX_SUB_ORDERS (APIv3)") \
  X(SUB_ORDER_LIST_TOO_LONG, "sub_order_list is longer than 10240 bytes") \
  X(KEY,             "the API key must be the 32-byte APIv2 key") \
  X(UTF8,            "text is not valid UTF-8") \
  X(NONCE,           "nonce_str must be 1 to 32 characters") \
  X(TOO_EARLY,       "the order was created less than 60 seconds ago; wait and close again") \
  X(RANDOM,          "no secure random source (set client.random)") \
  X(NO_TRANSPORT,    "no transport callback (set client.transport)") \
  X(TRANSPORT,       "the HTTP exchange failed (DNS, connect, TLS, timeout or I/O)") \
  X(TOO_LARGE,       "the response is larger than the buffer given for it") \
  X(HTTP_STATUS,     "the server answered with an HTTP status other than 200") \
  X(XML,             "the response is not well-formed flat XML") \
  X(XML_FORBIDDEN,   "the response has a DOCTYPE, entity or processing instruction (refused: XXE)") \
  X(XML_NESTED,      "the response has nested elements or attributes") \
  X(XML_DUPLICATE,   "the response has the same field twice") \
  X(XML_LIMIT,       "the response has more than WXPAY_MAX_FIELDS fields") \
  X(RESPONSE,        "the response lacks return_code/result_code or has unknown values in them") \
  X(NO_SIGNATURE,    "the response has no sign: it cannot be trusted") \
  X(SIGNATURE,       "the response signature does not match: it cannot be trusted") \
  X(ECHO_MISMATCH,   "the response names another combine_appid or combine_mch_id than the request") \
  X(V3_CONFIG,       "APIv3 needs client.mchid, client.serial_no, client.v3_sign and client.v3_verify") \
  X(SIGNER,          "the APIv3 signer callback failed or returned no signature") \
  X(CLOCK,           "no clock: set client.clock (APIv3 timestamps and replay checks need one)") \
  X(JSON,            "the JSON is malformed, nested deeper than 16, repeats a member or holds a wrong kind of value") \
  X(UNKNOWN_SERIAL,  "the response is signed with a platform key we do not have (Wechatpay-Serial)") \
  X(STALE,           "the response's Wechatpay-Timestamp is more than 5 minutes from the clock (replay?)") \
  X(SIGNTEST,        "the response carries a WECHATPAY/SIGNTEST/ probe signature: refused, as WeChat expects") \
  X(STATUS_BODY,     "the HTTP status does not fit the body (a 204 with a body, a 202 that is not USERPAYING): it cannot be trusted") \
  X(AMBIGUOUS,       "a deciding response field holds '&' or '=', or a value hides one: the signed string is ambiguous") \
  X(QUERY_FIELDS,    "the query answer lacks a required field, or its order_num is not its sub-order count") \
  X(QUERY_ENDPOINT,  "set client.query_endpoint: client.endpoint does not end in closecombinedorder")

typedef enum wxpay_err {
#define WXPAY__ERR_ENUM(id, msg) WXPAY_ERR_##id,
  WXPAY_ERRORS(WXPAY__ERR_ENUM)
#undef WXPAY__ERR_ENUM
  WXPAY_ERR_COUNT
} wxpay_err;
#define WXPAY_OK WXPAY_ERR_OK

#define WXPAY_OUTCOMES(X) \
  X(NONE,           "none",           "no verified answer") \
  X(CLOSED,         "closed",         "closed") \
  X(ALREADY_CLOSED, "already_closed", "already closed") \
  X(PAID,           "paid",           "order is PAID: do not reissue, treat as paid") \
  X(NOT_FOUND,      "not_found",      "no such order (ORDERNOTEXIST)") \
  X(RETRY,          "retry",          "temporary failure: close again later with the same order") \
  X(REJECTED,       "rejected",       "rejected by the server: fix the request") \
  X(PAYING,         "paying",         "the customer is paying now (USERPAYING): do not reissue; query in 5 s, close again if unpaid")

typedef enum wxpay_outcome {
#define WXPAY__OUTCOME_ENUM(id, name, text) WXPAY_OUTCOME_##id,
  WXPAY_OUTCOMES(WXPAY__OUTCOME_ENUM)
#undef WXPAY__OUTCOME_ENUM
  WXPAY_OUTCOME_COUNT
} wxpay_outcome;

/* What a transport callback reports. */
typedef enum wxpay_net {
  WXPAY_NET_OK = 0,   /* an HTTP response arrived (whatever its status) */
  WXPAY_NET_DNS,      /* host name did not resolve           (fails over) */
  WXPAY_NET_CONNECT,  /* TCP connect refused/unreachable     (fails over) */
  WXPAY_NET_TLS,      /* handshake or certificate failure    (fails over) */
  WXPAY_NET_TIMEOUT,  /* connect or total time ran out       (fails over) */
  WXPAY_NET_IO,       /* connection broke mid-exchange, bad HTTP framing */
  WXPAY_NET_TOO_LARGE /* the body did not fit resp->body_cap */
} wxpay_net;

typedef struct wxpay_header {
  const char *name;
  const char *value;
} wxpay_header;

/* A response header the library asks the transport for: the transport copies
   the value (NUL-terminated, truncated to cap-1) and sets found = 1. */
typedef struct wxpay_header_slot {
  const char *name;   /* case-insensitive */
  char *value;
  size_t cap;
  size_t len;
  int found;
} wxpay_header_slot;

typedef struct wxpay_http_req {
  const char *method;              /* "POST", or "GET" (the APIv3 query) */
  const char *url;                 /* full URL, https://host/path */
  const wxpay_header *headers;     /* Content-Type, Accept, User-Agent, ... */
  size_t header_count;
  const char *body;
  size_t body_len;
  unsigned connect_timeout_ms;
  unsigned timeout_ms;             /* whole exchange */
} wxpay_http_req;

typedef struct wxpay_http_resp {
  int status;                      /* HTTP status code, e.g. 200 */
  char *body;                      /* buffer owned by the caller of the transport */
  size_t body_cap;                 /* body may hold this many bytes */
  size_t body_len;                 /* set by the transport */
  wxpay_header_slot *headers;      /* headers asked for (may be none) */
  size_t header_count;
} wxpay_http_resp;

typedef wxpay_net (*wxpay_transport_fn)(void *user, const wxpay_http_req *req,
                                        wxpay_http_resp *resp);
/* Fill buf with n cryptographically secure random bytes; return 0 on success. */
typedef int (*wxpay_random_fn)(void *user, unsigned char *buf, size_t n);
/* Unix time in seconds, or a negative value when unknown. */
typedef long long (*wxpay_clock_fn)(void *user);
/* Wait ms milliseconds between attempts (optional). */
typedef void (*wxpay_sleep_fn)(void *user, unsigned ms);

#define WXPAY_LOGS(X) \
  X(ATTEMPT,  "sending attempt")                         /* detail: URL */ \
  X(NET_FAIL, "transport failure")                       /* detail: kind */ \
  X(FAILOVER, "network failure: next attempt goes to the other endpoint") \
  X(HTTP_STATUS, "HTTP status other than 200")           /* detail: status */ \
  X(RETRY,    "temporary failure: retrying")             /* detail: err_code or reason */ \
  X(RESULT,   "verified answer")                         /* detail: outcome */ \
  X(UNTRUSTED, "response refused")                       /* detail: error */

typedef enum wxpay_log_id {
#define WXPAY__LOG_ENUM(id, msg) WXPAY_LOG_##id,
  WXPAY_LOGS(WXPAY__LOG_ENUM)
#undef WXPAY__LOG_ENUM
  WXPAY_LOG_COUNT
} wxpay_log_id;

/* attempt counts from 1; detail is never the key or anything derived from it. */
typedef void (*wxpay_log_fn)(void *user, wxpay_log_id id, int attempt,
                             const char *detail);

/* APIv3: signs with the merchant's private key, SHA256withRSA (PKCS#1 v1.5)
   over msg[0..msg_len), whose SHA-256 is digest (use whichever your key store
   takes). Writes the raw signature (not Base64), at most sig_cap bytes
   (WXPAY_V3_SIG_MAX), sets *sig_len, returns 0; anything else is a failure. */
typedef int (*wxpay_v3_sign_fn)(void *user, const unsigned char *msg,
                                size_t msg_len, const unsigned char digest[32],
                                unsigned char *sig, size_t sig_cap,
                                size_t *sig_len);
/* APIv3: checks the platform's SHA256withRSA signature sig over the message
   whose SHA-256 is digest, with the platform certificate or public key whose
   serial (Wechatpay-Serial) is serial. Returns 1 when it is valid, 0 when it
   is not, -1 when no key has that serial. */
typedef int (*wxpay_v3_verify_fn)(void *user, const char *serial,
                                  const unsigned char digest[32],
                                  const unsigned char *sig, size_t sig_len);

typedef struct wxpay__key_cache {
  const char *key;          /* the api_key pointer the midstates belong to */
  unsigned char copy[32];   /* ... and its bytes: a key changed in place is
                               noticed, never signed with stale pads */
  uint32_t inner[8];        /* SHA-256 state after the ipad block */
  uint32_t outer[8];        /* SHA-256 state after the opad block */
} wxpay__key_cache;

/* Zero every field you do not set: zero means "the default". */
typedef struct wxpay_client {
  const char *api_key;            /* required: the 32-byte APIv2 key (not the
                                     APIv3 key, not the AppSecret) */
  wxpay_transport_fn transport;   /* required by wxpay_close() only */
  void *transport_user;
  wxpay_random_fn random;         /* default: getrandom / arc4random /
                                     BCryptGenRandom; none under WXPAY_NO_OS */
  void *random_user;
  wxpay_clock_fn clock;           /* default: time(); none under WXPAY_NO_OS */
  void *clock_user;
  wxpay_sleep_fn sleep;           /* default: none, attempts follow at once */
  void *sleep_user;
  const char *endpoint;           /* default WXPAY_ENDPOINT */
  const char *backup_endpoint;    /* default WXPAY_BACKUP_ENDPOINT when endpoint
                                     is unset; no backup when endpoint is set */
  int attempts;                   /* default 3 (at most 10) */
  unsigned retry_delay_ms;        /* default 1000, used when sleep is set */
  unsigned settle_poll_ms;        /* settle's pause between queries while the
                                     customer pays: default WXPAY_SETTLE_POLL_MS */
  unsigned connect_timeout_ms;    /* default 6000 */
  unsigned timeout_ms;            /* default 8000, whole exchange */
  const char *user_agent;         /* default "wxpay_close.h/" WXPAY_VERSION */
  wxpay_log_fn log;               /* default: none */
  void *log_user;
  /* APIv3 only (wxpay_v3_*; api_key is not used there): */
  const char *mchid;              /* the merchant id that signs requests */
  const char *serial_no;          /* the merchant API certificate's serial */
  const char *wechatpay_serial;   /* recommended: the platform certificate
                                     serial or PUB_KEY_ID_... answers should be
                                     signed with, sent as Wechatpay-Serial on
                                     every request (the adapters' *_preferred_serial()
                                     gives it); unset, WeChat picks the key */
  wxpay_v3_sign_fn v3_sign;       /* required: the merchant key's signer */
  void *v3_sign_user;
  wxpay_v3_verify_fn v3_verify;   /* required: the platform key's checker */
  void *v3_verify_user;
  const char *v3_host;            /* default WXPAY_V3_HOST */
  const char *v3_backup_host;     /* default WXPAY_V3_BACKUP_HOST when v3_host
                                     is unset; no backup when v3_host is set */
  /* APIv2 query only (wxpay_query, wxpay_settle): */
  const char *query_endpoint;     /* default: endpoint with its trailing
                                     "closecombinedorder" replaced by
                                     "querycombinedorder" (WXPAY_QUERY_ENDPOINT
                                     when endpoint is unset); required when
                                     endpoint ends otherwise */
  const char *query_backup_endpoint; /* default: derived from backup_endpoint
                                     the same way; none when that is unset */
  wxpay__key_cache key_cache;     /* private: filled by wxpay_client_init() */
} wxpay_client;

typedef struct wxpay_sub_order {
  const char *mchid;              /* 子单商户号, at most 32 */
  const char *out_trade_no;       /* 子单商户订单号, at most 32, [0-9A-Za-z_|*@-] */
} wxpay_sub_order;

typedef struct wxpay_close_req {
  const char *combine_appid;          /* required, at most 32 */
  const char *combine_mch_id;         /* required, at most 32 */
  const char *combine_out_trade_no;   /* required, at most 32, [0-9A-Za-z_|*@-] */
  const wxpay_sub_order *sub_orders;  /* 1..WXPAY_MAX_SUB_ORDERS, unless ... */
  size_t sub_order_count;
  const char *sub_order_list_json;    /* ... this is set: sent verbatim as
                                         sub_order_list (valid UTF-8, <= 10240) */
  const char *nonce_str;              /* default NULL: 32 random [0-9A-Za-z] */
  long long created_at;               /* unix seconds the order was created;
                                         0 = unknown (no one-minute guard) */
} wxpay_close_req;

/* The fields of a parsed XML body, in document order, packed in place as
   "name\0value\0name\0value\0...\0" inside the caller's buffer: an empty
   name ends the list. Names are never empty; values never hold a NUL. */
typedef struct wxpay_fields {
  const char *data;
  size_t count;
} wxpay_fields;

typedef struct wxpay_close_resp {
  /* The seed's nine fields, NUL-terminated, "" when absent. They point into
     the body buffer given to wxpay_close_parse() (or the work buffer). */
  const char *return_code, *return_msg, *combine_appid, *combine_mch_id,
      *nonce_str, *sign, *result_code, *err_code, *err_code_des;
  wxpay_fields fields;       /* every field received, known or not */
  wxpay_outcome outcome;
  int verified;              /* 1: sign checked and correct; 0: a return_code
                                FAIL answer, which WeChat does not sign */
  int http_status;           /* wxpay_close(): last HTTP status, 0 if none */
  wxpay_net net;             /* wxpay_close(): last transport result */
  int attempts;              /* wxpay_close(): attempts made */
  long long retry_after;     /* seconds to wait when TOO_EARLY, else 0 */
  size_t error_offset;       /* XML errors: byte offset where parsing stopped */
} wxpay_close_resp;

/* ---- APIv3: POST {v3_host}/v3/combine-transactions/out-trade-no/{no}/close ---- */

typedef struct wxpay_v3_sub_order {
  const char *mchid;              /* required, at most 32 */
  const char *out_trade_no;       /* required, at most 32, [0-9A-Za-z_|*@-] */
  const char *sub_mchid;          /* service providers: 子商户号 (else NULL) */
  const char *sub_appid;          /* optional: 子商户 appid (else NULL) */
  const char *individual_auth_id; /* optional: 商品单个人收款方受理授权ID, at most
                                     64 [0-9A-Za-z_|*@-] (else NULL) */
} wxpay_v3_sub_order;

typedef struct wxpay_v3_close_req {
  const char *combine_appid;          /* required, at most 32 */
  const char *combine_out_trade_no;   /* required, at most 32, [0-9A-Za-z_|*@-]:
                                         it goes into the URL path */
  const wxpay_v3_sub_order *sub_orders; /* 1..WXPAY_V3_MAX_SUB_ORDERS, exactly
                                           the original order's sub-orders */
  size_t sub_order_count;
  const char *nonce_str;              /* default NULL: 32 random [0-9A-Za-z] */
  long long timestamp;                /* default 0: the client's clock */
  long long created_at;               /* as wxpay_close_req: 0 = unknown */
} wxpay_v3_close_req;

/* A built v3 request; every pointer points into the caller's buffer. */
typedef struct wxpay_v3_request {
  const char *path;          /* "/v3/combine-transactions/out-trade-no/N/close",
                                after v3_host's own path if it has one */
  const char *body;          /* the JSON body: body_len bytes inside message,
                                not NUL-terminated (print with %.*s) */
  size_t body_len;
  const char *message;       /* what was signed, message_len bytes + NUL:
                                "POST\n" path "\n" timestamp "\n" nonce "\n" body "\n" */
  size_t message_len;
  const char *authorization; /* the Authorization header's value */
  long long timestamp;
  char nonce_str[33];
  size_t used;               /* bytes of the buffer used; on WXPAY_ERR_BUFFER,
                                a cap that suffices */
} wxpay_v3_request;

/* The response headers a v3 answer is signed with (NULL when absent). */
typedef struct wxpay_v3_resp_headers {
  const char *timestamp;     /* Wechatpay-Timestamp */
  const char *nonce;         /* Wechatpay-Nonce */
  const char *signature;     /* Wechatpay-Signature (Base64) */
  const char *serial;        /* Wechatpay-Serial */
} wxpay_v3_resp_headers;

typedef struct wxpay_v3_close_resp {
  const char *code;          /* error body "code", e.g. "ORDER_CLOSED"; "" for
                                204 (unknown codes are kept here as received) */
  const char *message;       /* error body "message", "" when absent */
  const char *detail;        /* error body "detail" as raw JSON, "" when absent */
  const char *request_id;    /* wxpay_v3_close(): the Request-ID header, or "" */
  const char *serial;        /* the Wechatpay-Serial received, or "" */
  wxpay_outcome outcome;
  int verified;              /* 1: the platform signature checked out */
  int http_status;
  wxpay_net net;             /* wxpay_v3_close(): last transport result */
  int attempts;              /* wxpay_v3_close(): attempts made */
  long long retry_after;     /* seconds to wait when TOO_EARLY, else 0 */
  size_t error_offset;       /* JSON errors: byte offset where reading stopped */
} wxpay_v3_close_resp;

/* Checks client.mchid, serial_no, the signer and verifier, and every request
   field (and the one-minute guard), as wxpay_close_validate(). */
WXPAY_DEF wxpay_err wxpay_v3_close_validate(const wxpay_client *client,
                                            const wxpay_v3_close_req *req,
                                            const char **bad_field,
                                            size_t *bad_index);

/* As wxpay_close_wait_seconds(), for a v3 request. */
WXPAY_DEF long long wxpay_v3_close_wait_seconds(const wxpay_client *client,
                                                const wxpay_v3_close_req *req);

/* Builds path, body, the signed message and the Authorization header into
   out[0..cap), calling client->v3_sign once. The path is what the request
   line carries: any path in client->v3_host (a gateway's prefix) comes
   first, and is signed with the rest. Send it with Content-Type and Accept
   application/json, and Wechatpay-Serial: client->wechatpay_serial when
   that is set. On WXPAY_ERR_BUFFER built->used is a cap that suffices and
   out[0] is '\0'. */
WXPAY_DEF wxpay_err wxpay_v3_close_build(const wxpay_client *client,
                                         const wxpay_v3_close_req *req,
                                         char *out, size_t cap,
                                         wxpay_v3_request *built);

/* Judges an answer: checks the platform signature over
   "timestamp\nnonce\nbody\n" (before anything else; the body is then read
   in place, so it is overwritten) and the timestamp against the clock
   (WXPAY_V3_MAX_SKEW), reads an error body {"code","message","detail"} and
   sets resp->outcome. 204 with a valid signature and an empty body is
   CLOSED (body may be NULL when len is 0); a 204 with a body, or a 202 that
   is not USERPAYING, is WXPAY_ERR_STATUS_BODY, for the signature does not
   cover the status. A signed 202 USERPAYING is PAYING. An answer without
   signature headers is verified = 0 and may only say RETRY or REJECTED;
   anything else it claims is WXPAY_ERR_NO_SIGNATURE with outcome NONE. A
   wrong signature, a WECHATPAY/SIGNTEST/ probe (WXPAY_ERR_SIGNTEST), an
   unknown serial or a stale timestamp is an error, outcome NONE. */
WXPAY_DEF wxpay_err wxpay_v3_close_parse(const wxpay_client *client,
                                         int http_status,
                                         const wxpay_v3_resp_headers *headers,
                                         char *body, size_t len,
                                         wxpay_v3_close_resp *resp);

/* Build, send through client->transport, parse; retries and failover as
   wxpay_close(), and one more close after a SIGNTEST probe (closing is
   re-entrant) while attempts remain. work (WXPAY_V3_WORK_SIZE) holds
   request, response and the response headers. */
WXPAY_DEF wxpay_err wxpay_v3_close(const wxpay_client *client,
                                   const wxpay_v3_close_req *req,
                                   wxpay_v3_close_resp *resp, char *work,
                                   size_t work_cap);


/* ---- query a combined order, and settle it (after PAID, PAYING or silence) ----
   APIv2  POST https://api.mch.weixin.qq.com/pay/querycombinedorder
   APIv3  GET  {v3_host}/v3/combine-transactions/out-trade-no/{no}

   A query answers with the combined order and each sub-order's state. The
   answer is read in place into the caller's buffer; the sub-orders go into
   an array the caller gives (resp.order.sub_orders, sub_order_cap): an
   answer listing more is WXPAY_ERR_BUFFER with sub_order_count set to how
   many it lists, never a partial list. */

/* The trade states a sub-order may be in (trade_state), once: the id, and
   what it means. Any other is WXPAY_TRADE_UNKNOWN, kept raw in trade_state. */
#define WXPAY_TRADE_STATES(X) \
  X(UNKNOWN,    "a state this library does not know (see trade_state)") \
  X(SUCCESS,    "paid") \
  X(REFUND,     "paid, then refunded in part or in whole") \
  X(NOTPAY,     "not paid") \
  X(CLOSED,     "closed") \
  X(REVOKED,    "revoked") \
  X(USERPAYING, "the customer is paying right now") \
  X(PAYERROR,   "the payment failed") \
  X(ACCEPT,     "accepted, the payment is being processed")

typedef enum wxpay_trade_state {
#define WXPAY__TRADE_ENUM(id, text) WXPAY_TRADE_##id,
  WXPAY_TRADE_STATES(WXPAY__TRADE_ENUM)
#undef WXPAY__TRADE_ENUM
  WXPAY_TRADE_COUNT
} wxpay_trade_state;

/* An amount that is not in the answer (payer_amount before payment, say). */
#define WXPAY_AMOUNT_ABSENT (-1)

/* One sub-order as a query reports it. Strings point into the answer's
   buffer, decoded, "" when absent. */
typedef struct wxpay_query_sub_order {
  const char *mchid;          /* 子单商户号 */
  const char *sub_mchid;      /* service providers' 子商户号 (APIv3), else "" */
  const char *out_trade_no;   /* 子单商户订单号 */
  const char *trade_state;    /* as received; APIv2 sub-orders carry none of
                                 their own: the combined order's trade_state */
  wxpay_trade_state state;    /* trade_state by name */
  const char *transaction_id; /* 微信支付订单号, once paid */
  const char *trade_type;     /* JSAPI, NATIVE, APP, MWEB, ... */
  const char *currency;       /* amount.currency, e.g. "CNY" */
  const char *success_time;   /* APIv3: RFC 3339, once paid */
  const char *attach;
  int64_t total_amount;       /* amount.total_amount in fen (分), or
                                 WXPAY_AMOUNT_ABSENT */
  int64_t payer_amount;       /* amount.payer_amount in fen (APIv3), or
                                 WXPAY_AMOUNT_ABSENT */
} wxpay_query_sub_order;

/* The combined order a query found (both APIs). */
typedef struct wxpay_order {
  const char *combine_appid;
  const char *combine_mchid;        /* APIv2 combine_mch_id, APIv3 combine_mchid */
  const char *combine_out_trade_no;
  const char *combine_openid;       /* APIv2 combine_openid, APIv3
                                       combine_payer_info.openid, or "" */
  const char *device_info;          /* APIv2 device_info, APIv3
                                       scene_info.device_id, or "" */
  const char *trade_state;          /* APIv2: the combined order's state;
                                       APIv3 has none: "" */
  const char *trade_state_desc;     /* APIv2, or "" */
  wxpay_trade_state state;          /* trade_state by name (UNKNOWN in APIv3) */
  wxpay_query_sub_order *sub_orders; /* set by the caller: room for ... */
  size_t sub_order_cap;             /* ... this many (set by the caller; every
                                       call keeps these two) */
  size_t sub_order_count;           /* how many the answer lists */
} wxpay_order;

typedef struct wxpay_query_req {
  const char *combine_appid;          /* required, as for the close */
  const char *combine_mch_id;         /* required */
  const char *combine_out_trade_no;   /* required */
  const char *nonce_str;              /* default NULL: 32 random [0-9A-Za-z] */
} wxpay_query_req;

typedef struct wxpay_query_resp {
  wxpay_order order;         /* the order, when found is 1 */
  int found;                 /* 1: a verified answer described the order */
  /* The answer as the close reads it: its nine common fields, every field
     received (answer.fields, device_info, sub_order_list and all), verified,
     http_status, net, attempts and error_offset (XML errors). When found is
     0 and the call returned WXPAY_OK, answer.outcome says why: NOT_FOUND
     (ORDERNOTEXIST), RETRY (SYSTEMERROR...) or REJECTED (return_code FAIL,
     any other err_code); it is NONE when found is 1. */
  wxpay_close_resp answer;
  size_t json_error_offset;  /* WXPAY_ERR_JSON: where sub_order_list's
                                reading stopped, an offset into its value */
} wxpay_query_resp;

/* APIv2 query endpoints, used when client->query_endpoint is unset: the
   close's endpoint with "closecombinedorder" at its end replaced by
   "querycombinedorder" (the defaults when client->endpoint is unset). An
   endpoint of another shape needs client->query_endpoint. */
#define WXPAY_QUERY_ENDPOINT "https://api.mch.weixin.qq.com/pay/querycombinedorder"
#define WXPAY_QUERY_BACKUP_ENDPOINT "https://api2.mch.weixin.qq.com/pay/querycombinedorder"

/* A work buffer for wxpay_query(): the request (under 400 bytes) and an
   answer with ten sub-orders and their promotion details. */
#ifndef WXPAY_QUERY_WORK_SIZE
#define WXPAY_QUERY_WORK_SIZE 8192
#endif
/* ... and for wxpay_v3_query(): request, answer headers and an answer with
   WXPAY_V3_MAX_SUB_ORDERS sub-orders of about 600 bytes each. */
#ifndef WXPAY_V3_QUERY_WORK_SIZE
#define WXPAY_V3_QUERY_WORK_SIZE (4096 + 640 * WXPAY_V3_MAX_SUB_ORDERS)
#endif

/* Checks the key and every field, as wxpay_close_validate(). */
WXPAY_DEF wxpay_err wxpay_query_validate(const wxpay_client *client,
                                         const wxpay_query_req *req,
                                         const char **bad_field);

/* Writes the signed query body into out: combine_appid, combine_mch_id,
   sign_type, combine_out_trade_no, nonce_str, sign (the SDK's documented
   order), the same XML writer and signature as the close. Length and
   buffer rules as wxpay_close_build(). */
WXPAY_DEF wxpay_err wxpay_query_build(const wxpay_client *client,
                                      const wxpay_query_req *req, char *out,
                                      size_t cap, size_t *len);

/* Judges an answer as wxpay_close_parse() does (every field signed, the
   echo and ambiguity rules; trade_state and sub_order_list decide too), and
   checks that combine_out_trade_no, when echoed, is ours. A SUCCESS answer
   then needs trade_state and sub_order_list, a JSON string
   {"order_num":N,"order_list":[{"mchid",...,"amount":{...}}]} that is read
   in place (unknown members skipped, duplicates, bad amounts, nesting
   deeper than 16 and an order_num other than the list's length refused)
   into resp->order. Set resp->order.sub_orders and sub_order_cap first;
   req is required (the echo is checked against it). The strings are
   decoded in place, so afterwards resp->answer.fields' sub_order_list
   value is no longer the text received (the signature was checked before). */
WXPAY_DEF wxpay_err wxpay_query_parse(const wxpay_client *client,
                                      const wxpay_query_req *req, char *body,
                                      size_t len, wxpay_query_resp *resp);

/* Build, send, parse; the close's retries and failover. work
   (WXPAY_QUERY_WORK_SIZE) holds request and answer. */
WXPAY_DEF wxpay_err wxpay_query(const wxpay_client *client,
                                const wxpay_query_req *req,
                                wxpay_query_resp *resp, char *work,
                                size_t work_cap);

typedef struct wxpay_v3_query_req {
  const char *combine_out_trade_no;   /* required: it goes into the URL path */
  const char *combine_appid;          /* optional: when set, the answer's
                                         combine_appid must be this */
  const char *nonce_str;              /* default NULL: 32 random [0-9A-Za-z] */
  long long timestamp;                /* default 0: the client's clock */
} wxpay_v3_query_req;

typedef struct wxpay_v3_query_resp {
  wxpay_order order;         /* the order, when found is 1 */
  int found;                 /* 1: a signed 200 described the order */
  /* The answer as the v3 close reads it: code, message and detail of an
     error body, request_id, serial, verified, http_status, net, attempts,
     error_offset (JSON errors). When found is 0 and the call returned
     WXPAY_OK, answer.outcome is NOT_FOUND (404 ORDER_NOT_EXIST), RETRY or
     REJECTED; it is NONE when found is 1. */
  wxpay_v3_close_resp answer;
} wxpay_v3_query_resp;

/* Checks client's APIv3 settings and the order number. */
WXPAY_DEF wxpay_err wxpay_v3_query_validate(const wxpay_client *client,
                                            const wxpay_v3_query_req *req,
                                            const char **bad_field);

/* Builds the GET: path, the signed message "GET\n" path "\n" ts "\n" nonce
   "\n\n" (an empty body line) and the Authorization, as
   wxpay_v3_close_build() (built->body is "", body_len 0). Send it with
   Accept: application/json and Wechatpay-Serial as for the close. */
WXPAY_DEF wxpay_err wxpay_v3_query_build(const wxpay_client *client,
                                         const wxpay_v3_query_req *req,
                                         char *out, size_t cap,
                                         wxpay_v3_request *built);

/* Judges an answer: the platform signature, timestamp and serial checks of
   wxpay_v3_close_parse() come first; a signed 200 is then read in place
   (combine_appid, combine_mchid, combine_out_trade_no and sub_orders
   required, each sub-order's mchid, out_trade_no and trade_state required,
   unknown members skipped, duplicates, bad amounts and nesting deeper than
   16 refused) into resp->order; combine_mchid must be client->mchid,
   combine_out_trade_no req's, combine_appid req's when req gives one. Error
   bodies map as the close's (404 ORDER_NOT_EXIST is NOT_FOUND). */
WXPAY_DEF wxpay_err wxpay_v3_query_parse(const wxpay_client *client,
                                         const wxpay_v3_query_req *req,
                                         int http_status,
                                         const wxpay_v3_resp_headers *headers,
                                         char *body, size_t len,
                                         wxpay_v3_query_resp *resp);

/* GET, parse; the v3 close's retries and failover, and a query again
   after a SIGNTEST probe while attempts remain (a query changes nothing).
   work: WXPAY_V3_QUERY_WORK_SIZE. */
WXPAY_DEF wxpay_err wxpay_v3_query(const wxpay_client *client,
                                   const wxpay_v3_query_req *req,
                                   wxpay_v3_query_resp *resp, char *work,
                                   size_t work_cap);

/* Settle: close, and when that leaves the customer's money in question,
   query until the state is known. The end states, once: */
#define WXPAY_SETTLEMENTS(X) \
  X(UNSETTLED, "unsettled", "neither closed nor paid: the close's outcome says why " \
                            "(retry later, fix the request, no such order)") \
  X(CLOSED,    "closed",    "closed: nothing was paid, nothing will be") \
  X(PAID,      "paid",      "paid: see each sub-order's state, transaction_id and " \
                            "amount; never reissue") \
  X(PAYING,    "paying",    "the customer was still paying after the polls and a " \
                            "second close: settle again later")

typedef enum wxpay_settlement {
#define WXPAY__SETTLE_ENUM(id, name, text) WXPAY_SETTLE_##id,
  WXPAY_SETTLEMENTS(WXPAY__SETTLE_ENUM)
#undef WXPAY__SETTLE_ENUM
  WXPAY_SETTLE_COUNT
} wxpay_settlement;

/* How often and how far apart settle asks again while the customer pays
   (WeChat advises about 5 s); client->sleep waits (without it, at once). */
#ifndef WXPAY_SETTLE_POLLS
#define WXPAY_SETTLE_POLLS 3
#endif
#define WXPAY_SETTLE_POLL_MS 5000 /* unless client.settle_poll_ms says otherwise */

/* wxpay_settle()'s work buffer: the closes use its first
   WXPAY_CLOSE_WORK_SIZE bytes, the queries the rest. */
#define WXPAY_SETTLE_WORK_SIZE (WXPAY_CLOSE_WORK_SIZE + WXPAY_QUERY_WORK_SIZE)
#define WXPAY_V3_SETTLE_WORK_SIZE (WXPAY_V3_WORK_SIZE + WXPAY_V3_QUERY_WORK_SIZE)

typedef struct wxpay_settle_result {
  wxpay_settlement settlement;
  wxpay_close_resp close;    /* the last close's answer */
  wxpay_query_resp query;    /* the last query's (found 0 when none was
                                made); set query.order.sub_orders and
                                sub_order_cap first: each sub-order's state
                                as the last query saw it */
  int closes;                /* closes made: 1, or 2 after a query */
  int queries;               /* queries made */
} wxpay_settle_result;

typedef struct wxpay_v3_settle_result {
  wxpay_settlement settlement;
  wxpay_v3_close_resp close;
  wxpay_v3_query_resp query; /* set query.order.sub_orders and sub_order_cap first */
  int closes, queries;
} wxpay_v3_settle_result;

/* Closes req's order and settles it (the state machine is described where
   it is implemented, >>settle). Returns WXPAY_OK with a settlement, or the
   error that left it untrustworthy: a close that failed after a request
   went out is followed by a query, and when that query fails too, its
   error is returned (settlement UNSETTLED). Never reissues anything. */
WXPAY_DEF wxpay_err wxpay_settle(const wxpay_client *client,
                                 const wxpay_close_req *req,
                                 wxpay_settle_result *res, char *work,
                                 size_t work_cap);
WXPAY_DEF wxpay_err wxpay_v3_settle(const wxpay_client *client,
                                    const wxpay_v3_close_req *req,
                                    wxpay_v3_settle_result *res, char *work,
                                    size_t work_cap);

WXPAY_DEF const char *wxpay_trade_state_text(wxpay_trade_state s); /* "paid" */
WXPAY_DEF const char *wxpay_settlement_name(wxpay_settlement s);   /* "paid" */
WXPAY_DEF const char *wxpay_settlement_text(wxpay_settlement s);   /* a sentence */
/* Checks the key and caches the HMAC key pads in the client (optional: every
   call works without it). Call again after changing api_key. */
WXPAY_DEF wxpay_err wxpay_client_init(wxpay_client *client);
/* Wipes the cached key material from the client. */
WXPAY_DEF void wxpay_client_wipe(wxpay_client *client);

/* Checks the key and every request field (and the one-minute guard) without
   signing or sending. *bad_field (may be NULL) names the offending field, e.g.
   "sub_orders.out_trade_no", and *bad_index (may be NULL) the sub-order. */
WXPAY_DEF wxpay_err wxpay_close_validate(const wxpay_client *client,
                                         const wxpay_close_req *req,
                                         const char **bad_field,
                                         size_t *bad_index);

/* Seconds to wait before this order may be closed (0 = now, at most 60: a
   created_at ahead of the clock waits the whole minute); needs
   req->created_at and a clock, else 0. */
WXPAY_DEF long long wxpay_close_wait_seconds(const wxpay_client *client,
                                             const wxpay_close_req *req);

/* Writes the NUL-terminated, signed request body into out. *len is the body
   length on success; on WXPAY_ERR_BUFFER it is the cap that would succeed
   (length + 1) and nothing is written past cap (out[0] is set to '\0'). */
WXPAY_DEF wxpay_err wxpay_close_build(const wxpay_client *client,
                                      const wxpay_close_req *req, char *out,
                                      size_t cap, size_t *len);

/* Writes the exact string that is signed for this request, with the key shown
   as "***". req->nonce_str must be set (the nonce that was sent). Length and
   buffer rules as wxpay_close_build(). */
WXPAY_DEF wxpay_err wxpay_close_explain(const wxpay_client *client,
                                        const wxpay_close_req *req, char *out,
                                        size_t cap, size_t *len);

/* Parses the response body (decoded in place: body is overwritten), checks
   its signature and, when req is given, the echoed combine_appid and
   combine_mch_id (an echo that is there must be ours; a signed result_code
   FAIL answer may leave it out); sets resp->outcome. A signed answer whose
   return_code, result_code or err_code holds '&' or '=', or one of whose
   values holds "&err_code=" (or another deciding name), could have been cut
   into other fields under the same signature: WXPAY_ERR_AMBIGUOUS. On any
   error the outcome is NONE and verified is 0: whatever fields were read
   are there for diagnostics only. */
WXPAY_DEF wxpay_err wxpay_close_parse(const wxpay_client *client,
                                      const wxpay_close_req *req, char *body,
                                      size_t len, wxpay_close_resp *resp);

/* Build, send through client->transport, parse; retries and failover per the
   client's policy. work holds the request and the response. */
WXPAY_DEF wxpay_err wxpay_close(const wxpay_client *client,
                                const wxpay_close_req *req,
                                wxpay_close_resp *resp, char *work,
                                size_t work_cap);

/* Draws a nonce of 32 [0-9A-Za-z] characters (NUL-terminated) into out. */
WXPAY_DEF wxpay_err wxpay_nonce(const wxpay_client *client, char out[33]);

WXPAY_DEF const char *wxpay_strerror(wxpay_err err);
WXPAY_DEF const char *wxpay_err_name(wxpay_err err);        /* "SIGNATURE" */
WXPAY_DEF const char *wxpay_outcome_name(wxpay_outcome o);  /* "already_closed" */
WXPAY_DEF const char *wxpay_outcome_text(wxpay_outcome o);  /* a sentence */
WXPAY_DEF const char *wxpay_net_name(wxpay_net n);          /* "TIMEOUT" */

/* ---- building blocks, public for adapters, tests and the curious ---- */

typedef struct wxpay_sha256_ctx {
  uint32_t state[8];
  uint64_t count;             /* bytes hashed so far */
  unsigned char buf[64];
} wxpay_sha256_ctx;

WXPAY_DEF void wxpay_sha256_init(wxpay_sha256_ctx *ctx);
WXPAY_DEF void wxpay_sha256_update(wxpay_sha256_ctx *ctx, const void *data, size_t n);
WXPAY_DEF void wxpay_sha256_final(wxpay_sha256_ctx *ctx, unsigned char out[32]);
WXPAY_DEF void wxpay_sha256(const void *data, size_t n, unsigned char out[32]);
/* "x86-sha", "armv8-sha2" or "portable": the block function in use here. */
WXPAY_DEF const char *wxpay_sha256_backend(void);

typedef struct wxpay_hmac_ctx {
  wxpay_sha256_ctx inner;
  uint32_t outer[8];          /* state after the opad block */
} wxpay_hmac_ctx;

WXPAY_DEF void wxpay_hmac_init(wxpay_hmac_ctx *ctx, const void *key, size_t key_len);
WXPAY_DEF void wxpay_hmac_update(wxpay_hmac_ctx *ctx, const void *data, size_t n);
WXPAY_DEF void wxpay_hmac_final(wxpay_hmac_ctx *ctx, unsigned char out[32]);
WXPAY_DEF void wxpay_hmac_sha256(const void *key, size_t key_len,
                                 const void *data, size_t n,
                                 unsigned char out[32]);

/* The v2 signature of any field set: HMAC-SHA256 keyed with key over the
   sorted non-empty fields except "sign", then "&key=KEY"; 64 uppercase hex
   characters and a NUL into out. */
WXPAY_DEF wxpay_err wxpay_sign_fields(const wxpay_client *client,
                                      const wxpay_fields *fields,
                                      char out[65]);

/* The flat-XML reader alone: parses body[0..len) in place into fields.
   *error_offset (may be NULL) gets the offset of the first bad byte. */
WXPAY_DEF wxpay_err wxpay_xml_read(char *body, size_t len,
                                   wxpay_fields *fields, size_t *error_offset);
/* The v3 error body reader alone: a JSON object read in place; *code,
   *message (strings, unescaped) and *detail (raw JSON) point into body, ""
   when absent. Any other member is skipped; nesting deeper than 16, a
   duplicate member (in any object, at any depth), bad escapes or bad
   UTF-8 are WXPAY_ERR_JSON. */
WXPAY_DEF wxpay_err wxpay_json_error_read(char *body, size_t len,
                                          const char **code,
                                          const char **message,
                                          const char **detail,
                                          size_t *error_offset);
/* Standard Base64 with padding. encode writes 4*ceil(n/3) characters and a
   NUL (returns that length, or 0 when cap is too small); decode returns the
   byte count, or (size_t)-1 for bad input or too small a cap. */
WXPAY_DEF size_t wxpay_base64_encode(const unsigned char *in, size_t n,
                                     char *out, size_t cap);
WXPAY_DEF size_t wxpay_base64_decode(const char *in, size_t n,
                                     unsigned char *out, size_t cap);
/* The value of a field, or NULL when absent. */
WXPAY_DEF const char *wxpay_fields_get(const wxpay_fields *fields,
                                       const char *name);
/* Iterates in document order: start with *cursor = NULL; returns 1 and sets
   *name and *value for each field, 0 at the end. */
WXPAY_DEF int wxpay_fields_next(const wxpay_fields *fields, const char **cursor,
                                const char **name, const char **value);

#ifdef __cplusplus
}
#endif
#endif /* WXPAY_CLOSE_H */

/* ====================================================================== */
/*                            IMPLEMENTATION                              */
/* ====================================================================== */
#ifdef WXPAY_CLOSE_IMPLEMENTATION
#ifndef WXPAY_CLOSE_IMPLEMENTED
#define WXPAY_CLOSE_IMPLEMENTED

#include <string.h>

#ifndef WXPAY_ASSERT
#include <assert.h>
#define WXPAY_ASSERT(c) assert(c)
#endif

/* >>os: the default random source and clock on hosted systems */
#ifndef WXPAY_NO_OS
#include <time.h>
#if defined(_WIN32)
#include <windows.h>
#include <bcrypt.h>
#ifdef _MSC_VER
#pragma comment(lib, "bcrypt")
#endif
#define WXPAY__RANDOM_WIN32
#elif defined(__linux__) /* getrandom: glibc 2.25+, musl 1.1.20+, Android 28+ */
#include <sys/random.h>
#include <errno.h>
#define WXPAY__RANDOM_GETRANDOM
#elif defined(__APPLE__) || defined(__FreeBSD__) || defined(__OpenBSD__) || \
    defined(__NetBSD__) || defined(__DragonFly__)
#include <stdlib.h>
#define WXPAY__RANDOM_ARC4
#endif
#endif

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__cplusplus) || (defined(__STDC_VERSION__) && __STDC_VERSION__ >= 199901L)
#define WXPAY__INLINE inline
#else
#define WXPAY__INLINE
#endif
/* For the close's helpers the query shares: inlined into each caller, as
   they were when the close was their only one, so that a close-only
   program costs what it did (the query's copies are dropped from its link
   with the rest of the query), and calls through the exchanges' function
   pointers become direct calls the stack analysis can follow. */
#if defined(__GNUC__) || defined(__clang__)
#define WXPAY__SHARED static WXPAY__INLINE __attribute__((always_inline))
/* A rarely called helper with a large frame, kept out of its callers' so
   that the deepest path adds the two only when it is taken. */
#define WXPAY__OWN_FRAME static __attribute__((noinline))
#else
#define WXPAY__SHARED static WXPAY__INLINE
#define WXPAY__OWN_FRAME static
#endif

/* Wipes memory the compiler may not optimise away: memset, then a barrier
   that tells the compiler the bytes are read (GCC, clang); elsewhere a loop
   through a volatile pointer. */
static void wxpay__wipe(void *p, size_t n) {
#if defined(__GNUC__) || defined(__clang__)
  memset(p, 0, n);
  __asm__ __volatile__("" : : "r"(p) : "memory");
#else
  volatile unsigned char *v = (volatile unsigned char *)p;
  while (n--) *v++ = 0;
#endif
}

/* Copies n bytes forward, a byte at a time: safe when dst is below src in
   one buffer (the XML reader moves text down in place). Our own loop:
   newlib's memcpy alone is about 300 bytes of a Cortex-M's flash. */
static void wxpay__copy(void *dst, const void *src, size_t n) {
  unsigned char *d = (unsigned char *)dst;
  const unsigned char *s = (const unsigned char *)src;
  while (n--) *d++ = *s++;
}

/* >>sha256 */
static const uint32_t wxpay__k[64] = {
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
  0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
  0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
  0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
  0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
  0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
  0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
  0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

static const uint32_t wxpay__iv[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372,
                                      0xa54ff53a, 0x510e527f, 0x9b05688c,
                                      0x1f83d9ab, 0x5be0cd19};

static uint32_t wxpay__load32_be(const unsigned char *p) {
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
         ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

#define WXPAY__ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))
/* FIPS 180-4's functions. The two big sigmas nest their rotations, which
   gives each a single copy of x to work on: fewer moves where instructions
   take two operands (x86), the same count elsewhere. */
#define WXPAY__BSIG0(x) WXPAY__ROR(WXPAY__ROR(WXPAY__ROR(x, 9) ^ (x), 11) ^ (x), 2)
#define WXPAY__BSIG1(x) WXPAY__ROR(WXPAY__ROR(WXPAY__ROR(x, 14) ^ (x), 5) ^ (x), 6)
#define WXPAY__SSIG0(x) (WXPAY__ROR(x, 7) ^ WXPAY__ROR(x, 18) ^ ((x) >> 3))
#define WXPAY__SSIG1(x) (WXPAY__ROR(x, 17) ^ WXPAY__ROR(x, 19) ^ ((x) >> 10))
#define WXPAY__CH(e, f, g) ((g) ^ ((e) & ((f) ^ (g))))
#define WXPAY__MAJ(a, b, c) (((a) & (b)) | ((c) & ((a) | (b))))

#ifndef WXPAY_SHA256_FAST
/* One 64-byte block, a round per turn of the inner loop: sixteen rounds
   use the window of sixteen words, which is then made the next sixteen in
   a loop of its own. The window is kept twice over (w[i] and w[i + 16]
   alike), so the words a new one is made of are read at fixed distances
   from it, with no index to wrap (and compilers may do two at a time).
   The single round body keeps it small; its working variables move down
   one place a round, where WXPAY_SHA256_FAST renames them instead. */
static void wxpay__sha256_block(uint32_t s[8], const unsigned char *blk) {
  uint32_t w[32], a = s[0], b = s[1], c = s[2], d = s[3], e = s[4], f = s[5],
                  g = s[6], h = s[7];
  const uint32_t *k;
  int i;
  for (i = 0; i < 16; i++) w[i] = w[i + 16] = wxpay__load32_be(blk + 4 * i);
  for (k = wxpay__k; k < wxpay__k + 64; k += 16) {
    if (k > wxpay__k) /* the next sixteen words */
      for (i = 0; i < 16; i++)
        w[i] = w[i + 16] += WXPAY__SSIG1(w[i + 14]) + w[i + 9] + WXPAY__SSIG0(w[i + 1]);
    for (i = 0; i < 16; i++) {
      const uint32_t t1 = h + WXPAY__BSIG1(e) + WXPAY__CH(e, f, g) + k[i] + w[i];
      const uint32_t t2 = WXPAY__BSIG0(a) + WXPAY__MAJ(a, b, c);
      h = g; g = f; f = e; e = d + t1;
      d = c; c = b; b = a; a = t1 + t2;
    }
  }
  s[0] += a; s[1] += b; s[2] += c; s[3] += d;
  s[4] += e; s[5] += f; s[6] += g; s[7] += h;
  wxpay__wipe(w, sizeof w); /* the schedule runs backwards to the block, which may hold the key */
}
#else
/* One 64-byte block, sixteen rounds written out per turn of the loop: the
   working variables rotate by renaming, the window's indexes are constants,
   and each round computes the word it used for the next turn (but in the
   last). About 2.2 KB of Cortex-M4 code, an eighth fewer instructions. */
/* The schedule lives in a window of sixteen words: w[i & 15] becomes word
   i + 16 from words i, i + 1, i + 9 and i + 14 of the window. */
#define WXPAY__NEXT_WORD(w, i)                                                  \
  ((w)[(i) & 15] += WXPAY__SSIG1((w)[((i) + 14) & 15]) + (w)[((i) + 9) & 15] +    \
                    WXPAY__SSIG0((w)[((i) + 1) & 15]))
#define WXPAY__ROUND(a, b, c, d, e, f, g, h, i)                                   \
  do {                                                                          \
    uint32_t t_ = (h) + WXPAY__BSIG1(e) + WXPAY__CH(e, f, g) + k[i] + w[i];     \
    (d) += t_;                                                                  \
    (h) = t_ + WXPAY__BSIG0(a) + WXPAY__MAJ(a, b, c);                           \
    if (more) WXPAY__NEXT_WORD(w, i);                                           \
  } while (0)

static void wxpay__sha256_block(uint32_t s[8], const unsigned char *blk) {
  uint32_t w[16], a = s[0], b = s[1], c = s[2], d = s[3], e = s[4], f = s[5],
                  g = s[6], h = s[7];
  const uint32_t *k;
  int i;
  for (i = 0; i < 16; i++) w[i] = wxpay__load32_be(blk + 4 * i);
  for (k = wxpay__k; k < wxpay__k + 64; k += 16) {
    const int more = k < wxpay__k + 48;
    WXPAY__ROUND(a, b, c, d, e, f, g, h, 0);
    WXPAY__ROUND(h, a, b, c, d, e, f, g, 1);
    WXPAY__ROUND(g, h, a, b, c, d, e, f, 2);
    WXPAY__ROUND(f, g, h, a, b, c, d, e, 3);
    WXPAY__ROUND(e, f, g, h, a, b, c, d, 4);
    WXPAY__ROUND(d, e, f, g, h, a, b, c, 5);
    WXPAY__ROUND(c, d, e, f, g, h, a, b, 6);
    WXPAY__ROUND(b, c, d, e, f, g, h, a, 7);
    WXPAY__ROUND(a, b, c, d, e, f, g, h, 8);
    WXPAY__ROUND(h, a, b, c, d, e, f, g, 9);
    WXPAY__ROUND(g, h, a, b, c, d, e, f, 10);
    WXPAY__ROUND(f, g, h, a, b, c, d, e, 11);
    WXPAY__ROUND(e, f, g, h, a, b, c, d, 12);
    WXPAY__ROUND(d, e, f, g, h, a, b, c, 13);
    WXPAY__ROUND(c, d, e, f, g, h, a, b, 14);
    WXPAY__ROUND(b, c, d, e, f, g, h, a, 15);
  }
  s[0] += a; s[1] += b; s[2] += c; s[3] += d;
  s[4] += e; s[5] += f; s[6] += g; s[7] += h;
  wxpay__wipe(w, sizeof w); /* the schedule runs backwards to the block, which may hold the key */
}
#undef WXPAY__ROUND
#undef WXPAY__NEXT_WORD
#endif

/* Optional hardware block functions (WXPAY_SHA256_HW). */
#if defined(WXPAY_SHA256_HW) && (defined(__x86_64__) || defined(__i386__)) && \
    (defined(__GNUC__) || defined(__clang__))
#if defined(__SHA__) && defined(__SSE4_1__)
#define WXPAY__SHA_X86 1 /* the target has it: no run-time check needed */
#define WXPAY__SHA_X86_ATTR
#define WXPAY__SHA_X86_USABLE() 1
#elif !defined(__clang__) && __GNUC__ >= 11 /* older GCCs lack the "sha" check */
#define WXPAY__SHA_X86 1
#define WXPAY__SHA_X86_ATTR __attribute__((target("sha,ssse3,sse4.1")))
#define WXPAY__SHA_X86_USABLE() __builtin_cpu_supports("sha")
#endif
#endif
#if defined(WXPAY_SHA256_HW) && defined(__aarch64__) && defined(__ARM_FEATURE_SHA2)
#define WXPAY__SHA_ARM 1
#endif

#ifdef WXPAY__SHA_X86
#include <immintrin.h>
/* Rounds 4g..4g+3 from the message words in m; the state is kept as ABEF and
   CDGH, the order the SHA instructions use. */
#define WXPAY__X86_ROUNDS(m, g)                                                  \
  do {                                                                          \
    __m128i k_ = _mm_add_epi32(m, _mm_loadu_si128((const __m128i *)(wxpay__k + 4 * (g)))); \
    cdgh = _mm_sha256rnds2_epu32(cdgh, abef, k_);                               \
    abef = _mm_sha256rnds2_epu32(abef, cdgh, _mm_shuffle_epi32(k_, 0x0E));      \
  } while (0)
/* The next four schedule words from the previous sixteen: a (oldest) .. d. */
#define WXPAY__X86_NEXT(a, b, c, d)                                              \
  a = _mm_sha256msg2_epu32(_mm_add_epi32(_mm_sha256msg1_epu32(a, b),           \
                                         _mm_alignr_epi8(d, c, 4)), d)

WXPAY__SHA_X86_ATTR
static void wxpay__sha256_x86(uint32_t s[8], const unsigned char *p, size_t blocks) {
  const __m128i swap = _mm_set_epi64x(0x0c0d0e0f08090a0bLL, 0x0405060700010203LL);
  __m128i t = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)s), 0xB1);
  __m128i cdgh = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)(s + 4)), 0x1B);
  __m128i abef = _mm_alignr_epi8(t, cdgh, 8);
  cdgh = _mm_blend_epi16(cdgh, t, 0xF0);
  for (; blocks; blocks--, p += 64) {
    __m128i abef0 = abef, cdgh0 = cdgh, m0, m1, m2, m3;
    int g;
    m0 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)p), swap);
    m1 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 16)), swap);
    m2 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 32)), swap);
    m3 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 48)), swap);
    WXPAY__X86_ROUNDS(m0, 0);
    WXPAY__X86_ROUNDS(m1, 1);
    WXPAY__X86_ROUNDS(m2, 2);
    WXPAY__X86_ROUNDS(m3, 3);
    for (g = 4; g < 16; g += 4) {
      WXPAY__X86_NEXT(m0, m1, m2, m3); WXPAY__X86_ROUNDS(m0, g);
      WXPAY__X86_NEXT(m1, m2, m3, m0); WXPAY__X86_ROUNDS(m1, g + 1);
      WXPAY__X86_NEXT(m2, m3, m0, m1); WXPAY__X86_ROUNDS(m2, g + 2);
      WXPAY__X86_NEXT(m3, m0, m1, m2); WXPAY__X86_ROUNDS(m3, g + 3);
    }
    abef = _mm_add_epi32(abef, abef0);
    cdgh = _mm_add_epi32(cdgh, cdgh0);
  }
  t = _mm_shuffle_epi32(abef, 0x1B);
  cdgh = _mm_shuffle_epi32(cdgh, 0xB1);
  _mm_storeu_si128((__m128i *)s, _mm_blend_epi16(t, cdgh, 0xF0));
  _mm_storeu_si128((__m128i *)(s + 4), _mm_alignr_epi8(cdgh, t, 8));
}
#endif

#ifdef WXPAY__SHA_ARM
#include <arm_neon.h>
static void wxpay__sha256_arm(uint32_t s[8], const unsigned char *p, size_t blocks) {
  uint32x4_t abcd = vld1q_u32(s), efgh = vld1q_u32(s + 4);
  for (; blocks; blocks--, p += 64) {
    uint32x4_t m[4], abcd0 = abcd, efgh0 = efgh, k, t;
    int g;
    for (g = 0; g < 4; g++)
      m[g] = vreinterpretq_u32_u8(vrev32q_u8(vld1q_u8(p + 16 * g)));
    for (g = 0; g < 16; g++) {
      if (g >= 4)
        m[g & 3] = vsha256su1q_u32(vsha256su0q_u32(m[g & 3], m[(g + 1) & 3]),
                                   m[(g + 2) & 3], m[(g + 3) & 3]);
      k = vaddq_u32(m[g & 3], vld1q_u32(wxpay__k + 4 * g));
      t = abcd;
      abcd = vsha256hq_u32(abcd, efgh, k);
      efgh = vsha256h2q_u32(efgh, t, k);
    }
    abcd = vaddq_u32(abcd, abcd0);
    efgh = vaddq_u32(efgh, efgh0);
  }
  vst1q_u32(s, abcd);
  vst1q_u32(s + 4, efgh);
}
#endif

static void wxpay__sha256_blocks(uint32_t s[8], const unsigned char *p, size_t blocks) {
#ifdef WXPAY__SHA_X86
  if (WXPAY__SHA_X86_USABLE()) { wxpay__sha256_x86(s, p, blocks); return; }
#endif
#ifdef WXPAY__SHA_ARM
  wxpay__sha256_arm(s, p, blocks);
  return;
#endif
  for (; blocks; blocks--, p += 64) wxpay__sha256_block(s, p);
}

WXPAY_DEF const char *wxpay_sha256_backend(void) {
#ifdef WXPAY__SHA_X86
  if (WXPAY__SHA_X86_USABLE()) return "x86-sha";
#endif
#ifdef WXPAY__SHA_ARM
  return "armv8-sha2";
#endif
  return "portable";
}

WXPAY_DEF void wxpay_sha256_init(wxpay_sha256_ctx *ctx) {
  wxpay__copy(ctx->state, wxpay__iv, sizeof ctx->state);
  ctx->count = 0;
}

WXPAY_DEF void wxpay_sha256_update(wxpay_sha256_ctx *ctx, const void *data, size_t n) {
  const unsigned char *p = (const unsigned char *)data;
  while (n) {
    size_t used = (size_t)(ctx->count & 63), take = 64 - used < n ? 64 - used : n;
    if (take == 64) { /* a whole block, hashed where it lies */
      wxpay__sha256_blocks(ctx->state, p, 1);
    } else {
      wxpay__copy(ctx->buf + used, p, take);
      if (used + take == 64) wxpay__sha256_blocks(ctx->state, ctx->buf, 1);
    }
    ctx->count += take;
    p += take;
    n -= take;
  }
}

WXPAY_DEF void wxpay_sha256_final(wxpay_sha256_ctx *ctx, unsigned char out[32]) {
  uint64_t bits = ctx->count * 8;
  size_t used = (size_t)(ctx->count & 63);
  int i;
  ctx->buf[used++] = 0x80;
  memset(ctx->buf + used, 0, 64 - used);
  if (used > 56) { /* no room left for the length: it takes a block of its own */
    wxpay__sha256_blocks(ctx->state, ctx->buf, 1);
    memset(ctx->buf, 0, 56);
  }
  for (i = 63; i >= 56; i--, bits >>= 8) ctx->buf[i] = (unsigned char)bits;
  wxpay__sha256_blocks(ctx->state, ctx->buf, 1);
  for (i = 0; i < 8; i++) {
    const uint32_t v = ctx->state[i];
    out[4 * i] = (unsigned char)(v >> 24);
    out[4 * i + 1] = (unsigned char)(v >> 16);
    out[4 * i + 2] = (unsigned char)(v >> 8);
    out[4 * i + 3] = (unsigned char)v;
  }
  wxpay__wipe(ctx, sizeof *ctx);
}

WXPAY_DEF void wxpay_sha256(const void *data, size_t n, unsigned char out[32]) {
  wxpay_sha256_ctx c;
  wxpay_sha256_init(&c);
  wxpay_sha256_update(&c, data, n);
  wxpay_sha256_final(&c, out);
}

/* >>hmac: the key pads are hashed once; their midstates are all HMAC needs */
/* key_len <= 64: longer keys are hashed first by wxpay_hmac_init(), which
   keeps that (stack-hungry) branch off the library's own 32-byte-key paths. */
static void wxpay__hmac_pads(const void *key, size_t key_len, uint32_t inner[8],
                             uint32_t outer[8]) {
  unsigned char k[64];
  int i;
  uint32_t *state[2];
  unsigned j;
  state[0] = inner;
  state[1] = outer;
  for (j = 0; j < 2; j++) {
    for (i = 0; i < 64; i++)
      k[i] = (unsigned char)(((size_t)i < key_len ? ((const unsigned char *)key)[i] : 0) ^
                             (j ? 0x5c : 0x36));
    wxpay__copy(state[j], wxpay__iv, 32);
    wxpay__sha256_blocks(state[j], k, 1);
  }
  wxpay__wipe(k, sizeof k);
}

static void wxpay__hmac_from_pads(wxpay_hmac_ctx *ctx, const uint32_t inner[8],
                                  const uint32_t outer[8]) {
  wxpay__copy(ctx->inner.state, inner, 32);
  ctx->inner.count = 64;
  wxpay__copy(ctx->outer, outer, 32);
}

WXPAY_DEF void wxpay_hmac_init(wxpay_hmac_ctx *ctx, const void *key, size_t key_len) {
  unsigned char kh[32];
  if (key_len > 64) {
    wxpay_sha256(key, key_len, kh);
    key = kh;
    key_len = 32;
  }
  /* cppcheck-suppress uninitvar ; the two states are outputs */
  wxpay__hmac_pads(key, key_len, ctx->inner.state, ctx->outer);
  ctx->inner.count = 64;
  wxpay__wipe(kh, sizeof kh);
}

WXPAY_DEF void wxpay_hmac_update(wxpay_hmac_ctx *ctx, const void *data, size_t n) {
  wxpay_sha256_update(&ctx->inner, data, n);
}

WXPAY_DEF void wxpay_hmac_final(wxpay_hmac_ctx *ctx, unsigned char out[32]) {
  unsigned char ih[32];
  wxpay_sha256_final(&ctx->inner, ih); /* then the same context runs the outer hash */
  wxpay__copy(ctx->inner.state, ctx->outer, 32);
  ctx->inner.count = 64;
  wxpay_sha256_update(&ctx->inner, ih, 32);
  wxpay_sha256_final(&ctx->inner, out);
  wxpay__wipe(ih, sizeof ih);
  wxpay__wipe(ctx->outer, sizeof ctx->outer);
}

WXPAY_DEF void wxpay_hmac_sha256(const void *key, size_t key_len,
                                 const void *data, size_t n,
                                 unsigned char out[32]) {
  wxpay_hmac_ctx h;
  wxpay_hmac_init(&h, key, key_len);
  wxpay_hmac_update(&h, data, n);
  wxpay_hmac_final(&h, out);
}

/* >>util */
/* String helpers of our own: libc's speed-tuned ones cost a Cortex-M more
   flash than this module's XML reader. */
static size_t wxpay__strnlen(const char *s, size_t max) {
  size_t n = 0;
  while (n < max && s[n]) n++;
  return n;
}


static size_t wxpay__len(const char *s) {
  const char *p = s;
  while (*p) p++;
  return (size_t)(p - s);
}

static int wxpay__cmp(const char *a, const char *b) {
  while (*a && *a == *b) a++, b++;
  return (unsigned char)*a - (unsigned char)*b;
}

static int wxpay__same(const char *a, const char *b, size_t n) {
  while (n && *a == *b) a++, b++, n--;
  return n == 0;
}

#define wxpay__streq(a, b) (wxpay__cmp(a, b) == 0) /* the same string */

/* The i-th of the NUL-separated strings packed in p. */
static const char *wxpay__nth(const char *p, unsigned i) {
  while (i--) p += wxpay__len(p) + 1;
  return p;
}

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 when invalid.
   Rejects overlong forms, surrogates and code points past U+10FFFF. */
static size_t wxpay__utf8_len(const unsigned char *s, size_t n) {
  uint32_t c = s[0];
  size_t len, i;
  if (c < 0x80) return 1;
  if (c < 0xC2 || c > 0xF4) return 0;
  len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
  if (n < len) return 0;
  c &= 0x3Fu >> (len - 1); /* the lead's payload: 5, 4 or 3 bits */
  for (i = 1; i < len; i++) {
    if ((s[i] & 0xC0) != 0x80) return 0;
    c = (c << 6) | (s[i] & 0x3Fu);
  }
  /* overlong (below 2^6, 2^11, 2^16 for 2, 3, 4 bytes; a 2-byte lead from
     0xC2 is never below 2^7), past U+10FFFF, a surrogate, U+FFFE or U+FFFF
     (valid UTF-8 but no XML character) */
  if (c < (uint32_t)1 << (5 * len - 4) || c > 0x10FFFF || c - 0xD800 < 0x800 ||
      (c | 1) == 0xFFFF)
    return 0;
  return len;
}

/* Checks text that travels in XML: 0 when s[0..n) is UTF-8 holding no C0
   control character but TAB, LF and (when cr is set) CR; else 1 for a
   control character, 2 for bad UTF-8, with *at set to its offset. A raw CR
   is refused in what we send: the server's XML parser turns it into LF
   before it checks the signature. */
static int wxpay__text(const char *s, size_t n, int cr, size_t *at) {
  size_t i = 0, k;
  while (i < n) {
    unsigned char c;
    c = (unsigned char)s[i];
    k = 1;
    if (c < 0x20 || c >= 0x80) {
      *at = i;
      if (c < 0x20 && c != '\t' && c != '\n' && !(cr && c == '\r')) return 1;
      if ((k = wxpay__utf8_len((const unsigned char *)s + i, n - i)) == 0) return 2;
    }
    i += k;
  }
  *at = i;
  return 0;
}

static const char wxpay__hex[] = "0123456789ABCDEF";

static int wxpay__hexval(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  c |= 0x20; /* 'A'-'F' to 'a'-'f'; nothing else lands there */
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}


/* >>out: one writer for buffers and for the MAC; it counts what it could not
   write so a too-small buffer reports the size it needs */
typedef struct wxpay__out {
  char *buf;
  size_t cap, len;
  wxpay_hmac_ctx *mac;      /* when set, bytes feed the MAC instead of buf */
  int cdata;            /* inside CDATA: split any "]]>" */
  unsigned brackets;    /* trailing ']' seen in CDATA mode, at most 2 */
  unsigned splits;      /* "]]>" split so far */
} wxpay__out;

/* Appends n bytes: to the MAC, or to the buffer as far as it has room. */
static WXPAY__INLINE void wxpay__raw(wxpay__out *o, const char *s, size_t n) {
  if (o->mac) {
    wxpay_sha256_update(&o->mac->inner, s, n);
  } else if (o->len < o->cap) {
    size_t room = o->cap - o->len;
    wxpay__copy(o->buf + o->len, s, n < room ? n : room);
  }
  o->len += n;
}

/* Appends n bytes of a value; inside CDATA, a "]]>" (which would end it) is
   split into "]]" and ">" in two sections, even when the brackets came in
   an earlier piece. Runs between splits go out whole. */
static void wxpay__put(wxpay__out *o, const char *s, size_t n) {
  const char *end = s + n, *run = s;
  for (; o->cdata && s < end; s++) {
    if (*s == '>' && o->brackets >= 2) {
      wxpay__raw(o, run, (size_t)(s - run));
      wxpay__raw(o, "]]><![CDATA[", 12);
      o->splits++;
      run = s;
    }
    o->brackets = *s == ']' ? o->brackets + (o->brackets < 2) : 0;
  }
  wxpay__raw(o, run, (size_t)(end - run));
}

static void wxpay__puts(wxpay__out *o, const char *s) { wxpay__put(o, s, wxpay__len(s)); }

/* >>json: sub_order_list as compact JSON, escaped the way PHP's json_encode
   escapes ASCII (the seed SDK's bytes) */
/* What a JSON string carries as is: the rest is escaped (and NUL ends it). */
#define WXPAY__JSON_PLAIN(c) ((unsigned char)(c) >= 0x20 && (c) != '"' && (c) != '\\' && (c) != '/')
static void wxpay__json_str(wxpay__out *o, const char *s) {
  char esc[6];
  wxpay__put(o, "\"", 1);
  for (; *s; s++) { /* a byte, or its escape, at a time */
    const unsigned char c = (unsigned char)*s;
    const char *p = s;
    size_t n = 1;
    if (!WXPAY__JSON_PLAIN(c)) {
      esc[0] = '\\';
      esc[1] = (char)c;
      n = 2;
      if (c < 0x20) { /* \u00XX */
        esc[1] = 'u';
        esc[2] = esc[3] = '0';
        esc[4] = wxpay__hex[c >> 4];
        esc[5] = wxpay__hex[c & 15];
        n = 6;
      }
      p = esc;
    }
    wxpay__put(o, p, n);
  }
  wxpay__put(o, "\"", 1);
}

static void wxpay__json_subs(wxpay__out *o, const wxpay_sub_order *subs, size_t n) {
  size_t i;
  for (i = 0; i < n; i++) { /* "[{" before the first, ",{" before the others */
    wxpay__put(o, i ? ",{\"mchid\":" : "[{\"mchid\":", 10);
    wxpay__json_str(o, subs[i].mchid);
    wxpay__put(o, ",\"out_trade_no\":", 16);
    wxpay__json_str(o, subs[i].out_trade_no);
    wxpay__put(o, "}", 1);
  }
  wxpay__put(o, "]", 1);
}

/* Writes sub_order_list's value: the caller's JSON verbatim, or built. */
static void wxpay__sub_order_list(wxpay__out *o, const wxpay_close_req *req) {
  if (req->sub_order_list_json) wxpay__puts(o, req->sub_order_list_json);
  else wxpay__json_subs(o, req->sub_orders, req->sub_order_count);
}

/* >>xml writer */
WXPAY__SHARED int wxpay__needs_cdata(const char *s) {
  for (; *s; s++)
    if (*s == '<' || *s == '>' || *s == '&' || *s == '"') return 1;
  return 0;
}

/* >>sign */
static size_t wxpay__key_len(const wxpay_client *c) {
  return c->api_key ? wxpay__strnlen(c->api_key, WXPAY_KEY_LEN + 1) : 0;
}

/* Starts the MAC keyed with the client's key, from the cached pads when
   wxpay_client_init() filled them for this key. */
static wxpay_err wxpay__mac_start(const wxpay_client *c, wxpay_hmac_ctx *h) {
  unsigned char diff = 0;
  size_t i;
  if (wxpay__key_len(c) != WXPAY_KEY_LEN) return WXPAY_ERR_KEY;
  for (i = 0; i < WXPAY_KEY_LEN; i++) /* constant time: it is the key */
    diff |= (unsigned char)(c->key_cache.copy[i] ^ (unsigned char)c->api_key[i]);
  if (c->key_cache.key == c->api_key && diff == 0) {
    wxpay__hmac_from_pads(h, c->key_cache.inner, c->key_cache.outer);
  } else {
    wxpay__hmac_pads(c->api_key, WXPAY_KEY_LEN, h->inner.state, h->outer);
    h->inner.count = 64;
  }
  return WXPAY_OK;
}

WXPAY__SHARED void wxpay__key_suffix(wxpay__out *o, const wxpay_client *c, int masked) {
  wxpay__put(o, "&key=", 5);
  if (masked) wxpay__put(o, "***", 3);
  else wxpay__put(o, c->api_key, WXPAY_KEY_LEN);
}

/* Every name the library writes or reports, one row each (an identifier,
   then the name as WeChat spells it): first the APIv2 request's fields in
   byte order of their names, the order they are signed in, with sign last;
   then what validation reports but is not a field of its own; then the
   names only an answer has, the three that decide the outcome first (the
   list wxpay__unambiguous() is given). WXPAY__F_id is a row's index. The
   names are packed into one char array rather than kept as literals:
   literals the two APIs share would be merged into one of the two APIs'
   sections, and an APIv2-only link would carry APIv3's. */
#define WXPAY__NAMES(X)                                                        \
  X(combine_appid, "combine_appid") X(combine_mch_id, "combine_mch_id")         \
  X(combine_out_trade_no, "combine_out_trade_no") X(nonce_str, "nonce_str")     \
  X(sign_type, "sign_type") X(sub_order_list, "sub_order_list") X(sign, "sign") \
  X(sub_orders, "sub_orders") X(sub_orders_mchid, "sub_orders.mchid")           \
  X(sub_orders_out_trade_no, "sub_orders.out_trade_no")                         \
  X(created_at, "created_at") X(api_key, "api_key")                             \
  X(return_code, "return_code") X(result_code, "result_code")                   \
  X(err_code, "err_code") X(return_msg, "return_msg")                           \
  X(err_code_des, "err_code_des")
#define WXPAY__NAME_ID(id, text) WXPAY__F_##id,
enum { WXPAY__NAMES(WXPAY__NAME_ID) WXPAY__F_COUNT };
#undef WXPAY__NAME_ID
/* A request's fields are the rows up to sign; all but sign are signed. */
enum { WXPAY__REQ_SIGNED = WXPAY__F_sign, WXPAY__REQ_FIELDS = WXPAY__F_sign + 1 };
#define WXPAY__NAME_TEXT(id, text) text "\0"
static const char wxpay__field_names[] = WXPAY__NAMES(WXPAY__NAME_TEXT);
#undef WXPAY__NAME_TEXT
/* Where each name starts in wxpay__field_names: the same rows laid out as
   char arrays, which have no padding between them, so each one's offset in
   the struct is its name's in the packed string. */
#define WXPAY__NAME_SLOT(id, text) char id[sizeof(text)];
struct wxpay__name_layout { WXPAY__NAMES(WXPAY__NAME_SLOT) char end; };
#undef WXPAY__NAME_SLOT
#define WXPAY__NAME_AT(id, text) offsetof(struct wxpay__name_layout, id),
static const unsigned char wxpay__name_at[] = {WXPAY__NAMES(WXPAY__NAME_AT)
                                               offsetof(struct wxpay__name_layout, end)};
#undef WXPAY__NAME_AT
/* no padding, as the offsets assume; and every offset fits a byte */
typedef char wxpay__names_packed[sizeof(struct wxpay__name_layout) == sizeof wxpay__field_names &&
                                 sizeof wxpay__field_names <= 256 ? 1 : -1];

static const char *wxpay__field_name(unsigned i) { return wxpay__field_names + wxpay__name_at[i]; }

/* pre, field i's name, post: the three pieces of a tag or of "&name=" */
static void wxpay__named(wxpay__out *o, const char *pre, unsigned i, const char *post) {
  wxpay__raw(o, pre, wxpay__len(pre));
  wxpay__raw(o, wxpay__field_name(i), wxpay__name_at[i + 1] - wxpay__name_at[i] - 1u);
  wxpay__raw(o, post, wxpay__len(post));
}

/* The tags around field i's value; a value in CDATA gets its own section. */
static void wxpay__xml_open(wxpay__out *o, unsigned i, int cdata) {
  wxpay__named(o, "<", i, cdata ? "><![CDATA[" : ">");
  o->cdata = cdata;
  o->brackets = 0;
}

static void wxpay__xml_close(wxpay__out *o, unsigned i) {
  const char *pre = o->cdata ? "]]></" : "</";
  o->cdata = 0;
  wxpay__named(o, pre, i, ">");
}

/* "name=" for the first field of the sign string, "&name=" for the others */
WXPAY__SHARED void wxpay__sign_key(wxpay__out *o, unsigned i) { wxpay__named(o, i ? "&" : "", i, "="); }

/* The order of the fields in the body: the seed SDK's. */
#define WXPAY__BODY_ORDER(X) X(combine_appid) X(combine_mch_id) X(sign_type) \
  X(combine_out_trade_no) X(sub_order_list) X(nonce_str)
#define WXPAY__BODY_ROW(id) WXPAY__F_##id,
static const unsigned char wxpay__body_order[] = {WXPAY__BODY_ORDER(WXPAY__BODY_ROW)};
#undef WXPAY__BODY_ROW
typedef char wxpay__body_has_every_signed_field[sizeof wxpay__body_order == WXPAY__REQ_SIGNED ? 1 : -1];

static void wxpay__req_values(const wxpay_close_req *req, const char *nonce,
                              const char *sign, const char *v[WXPAY__REQ_FIELDS]) {
  v[WXPAY__F_combine_appid] = req->combine_appid;
  v[WXPAY__F_combine_mch_id] = req->combine_mch_id;
  v[WXPAY__F_combine_out_trade_no] = req->combine_out_trade_no;
  v[WXPAY__F_nonce_str] = nonce;
  v[WXPAY__F_sign_type] = "HMAC-SHA256";
  v[WXPAY__F_sub_order_list] = req->sub_order_list_json;
  v[WXPAY__F_sign] = sign;
}

static void wxpay__req_value(wxpay__out *o, const wxpay_close_req *req,
                             const char *const v[WXPAY__REQ_FIELDS], unsigned i) {
  if (i == WXPAY__F_sub_order_list) wxpay__sub_order_list(o, req);
  else wxpay__puts(o, v[i]);
}

static void wxpay__req_sign_string(wxpay__out *o, const wxpay_client *c,
                                   const wxpay_close_req *req,
                                   const char *const v[WXPAY__REQ_FIELDS], int masked) {
  unsigned i;
  for (i = 0; i < WXPAY__REQ_SIGNED; i++) {
    wxpay__sign_key(o, i);
    wxpay__req_value(o, req, v, i);
  }
  wxpay__key_suffix(o, c, masked);
}

/* Feeds "k=v&..." over the non-empty fields but sign, sorted by name. Each
   pass over the fields keeps, in order, the WXPAY__SORT_BATCH least names
   after the last one written, then writes them: two passes for a real
   answer (whose long values each pass walks), and an index small enough
   for a Cortex-M0's stack. The reader has refused duplicate names: no two
   compare equal. */
#define WXPAY__SORT_BATCH 8
static void wxpay__fields_sign_string(wxpay__out *o, const wxpay_fields *f) {
  const char *batch[WXPAY__SORT_BATCH], *last = "", *name, *value; /* names are never empty */
  size_t n, k;
  do {
    n = 0;
    for (name = f->data; *name; name = value + wxpay__len(value) + 1) {
      value = name + wxpay__len(name) + 1;
      if (!*value || wxpay__cmp(name, last) <= 0 ||
          wxpay__streq(name, wxpay__field_name(WXPAY__F_sign)))
        continue;
      /* an insertion; a full batch lets its greatest fall off the end */
      for (k = n; k > 0 && wxpay__cmp(batch[k - 1], name) > 0; k--)
        if (k < WXPAY__SORT_BATCH) batch[k] = batch[k - 1];
      if (k < WXPAY__SORT_BATCH) {
        batch[k] = name;
        n += n < WXPAY__SORT_BATCH;
      }
    }
    for (k = 0; k < n; k++) {
      if (*last) wxpay__raw(o, "&", 1);
      last = batch[k];
      wxpay__puts(o, last);
      wxpay__raw(o, "=", 1);
      wxpay__puts(o, wxpay__nth(last, 1));
    }
  } while (n == WXPAY__SORT_BATCH);
}

static void wxpay__hex_upper(const unsigned char *in, size_t n, char *out) {
  size_t i;
  for (i = 0; i < n; i++) {
    out[2 * i] = wxpay__hex[in[i] >> 4];
    out[2 * i + 1] = wxpay__hex[in[i] & 15];
  }
  out[2 * n] = '\0';
}

static wxpay_err wxpay__fields_mac(const wxpay_client *c, const wxpay_fields *f,
                                   unsigned char mac[32]) {
  wxpay_hmac_ctx h;
  wxpay__out o;
  wxpay_err e = wxpay__mac_start(c, &h);
  if (e) return e;
  memset(&o, 0, sizeof o);
  o.mac = &h;
  wxpay__fields_sign_string(&o, f);
  wxpay__key_suffix(&o, c, 0);
  wxpay_hmac_final(&h, mac);
  return WXPAY_OK;
}

WXPAY_DEF wxpay_err wxpay_sign_fields(const wxpay_client *client,
                                      const wxpay_fields *fields, char out[65]) {
  unsigned char mac[32];
  wxpay_err e;
  if (!client || !fields || !fields->data || !out) return WXPAY_ERR_ARG;
  e = wxpay__fields_mac(client, fields, mac);
  if (e) { out[0] = '\0'; return e; }
  wxpay__hex_upper(mac, 32, out);
  wxpay__wipe(mac, sizeof mac);
  return WXPAY_OK;
}

/* Constant-time comparison of the expected MAC with the received hex sign:
   the hex is decoded first (it is public), then every byte is compared. */
static int wxpay__sign_matches(const unsigned char mac[32], const char *hex) {
  unsigned diff = 0;
  size_t i;
  for (i = 0; i < 64; i++) { /* a digit at a time against a half of a byte */
    int d = wxpay__hexval(hex[i]);
    if (d < 0) return 0; /* not hex, or the end: fewer than 64 */
    diff |= ((unsigned)mac[i >> 1] >> (i & 1 ? 0 : 4) & 15u) ^ (unsigned)d;
  }
  if (hex[64]) return 0; /* more than 64 */
  return ((diff - 1u) >> 8) & 1u; /* 1 when diff == 0, without a branch */
}

/* >>random */
static int wxpay__random(const wxpay_client *c, unsigned char *buf, size_t n) {
  if (c->random) return c->random(c->random_user, buf, n) == 0 ? 0 : -1;
#if defined(WXPAY__RANDOM_GETRANDOM)
  while (n) {
    ssize_t r = getrandom(buf, n, 0);
    if (r < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    buf += r;
    n -= (size_t)r;
  }
  return 0;
#elif defined(WXPAY__RANDOM_ARC4)
  arc4random_buf(buf, n);
  return 0;
#elif defined(WXPAY__RANDOM_WIN32)
  return BCryptGenRandom(NULL, buf, (ULONG)n, BCRYPT_USE_SYSTEM_PREFERRED_RNG) == 0 ? 0 : -1;
#else
  (void)buf; (void)n;
  return -1; /* no default source: never fall back to rand() */
#endif
}

WXPAY_DEF wxpay_err wxpay_nonce(const wxpay_client *client, char out[33]) {
  unsigned char rb[WXPAY_NONCE_LEN];
  size_t got = 0, i;
  int rounds = 0;
  if (!client || !out) return WXPAY_ERR_ARG;
  while (got < WXPAY_NONCE_LEN) {
    /* 248 = 4 * 62: bytes at or above it are dropped, so no modulo bias; a
       source that keeps giving them is broken */
    if (++rounds > 16 || wxpay__random(client, rb, sizeof rb) != 0) {
      out[0] = '\0';
      return WXPAY_ERR_RANDOM;
    }
    for (i = 0; i < sizeof rb && got < WXPAY_NONCE_LEN; i++) {
      if (rb[i] >= 248) continue;
      {
        unsigned v = rb[i] % 62u;
        out[got++] = (char)(v < 10 ? '0' + v : v < 36 ? 'A' - 10 + v : 'a' - 36 + v);
      }
    }
  }
  out[WXPAY_NONCE_LEN] = '\0';
  wxpay__wipe(rb, sizeof rb);
  return WXPAY_OK;
}

/* >>validate */
static long long wxpay__now(const wxpay_client *c) {
  if (c->clock) return c->clock(c->clock_user);
#ifndef WXPAY_NO_OS
  return (long long)time(NULL);
#else
  return -1;
#endif
}

static long long wxpay__wait(const wxpay_client *client, long long created_at) {
  long long now, age;
  if (created_at <= 0 || (now = wxpay__now(client)) < 0) return 0;
  age = now - created_at; /* none or less: the clocks disagree, so a full wait */
  return age >= WXPAY_MIN_CLOSE_DELAY ? 0 : age <= 0 ? WXPAY_MIN_CLOSE_DELAY
                                                     : WXPAY_MIN_CLOSE_DELAY - age;
}

WXPAY_DEF long long wxpay_close_wait_seconds(const wxpay_client *client,
                                             const wxpay_close_req *req) {
  return client && req ? wxpay__wait(client, req->created_at) : 0;
}

/* What a string may hold: merchant ids (商户号) digits; appids letters and
   digits; v2 nonces any printable ASCII but space; order numbers, and what
   APIv3 puts between the Authorization header's quotes, 0-9 A-Z a-z
   _ - | * @ (a certificate serial or PUB_KEY_ID_... up to 64 of them). */
enum { WXPAY__PRINTABLE = 0, WXPAY__ORDER_SET = 1, WXPAY__LETTERS_DIGITS = 2,
       WXPAY__DIGITS = 3,  /* bits 0-1: the character set */
       WXPAY__NONCE_ERR = 4, WXPAY__UP_TO_64 = 8, WXPAY__TEXT = 16 }; /* flags */
enum { WXPAY__MCHID = WXPAY__DIGITS, WXPAY__APPID = WXPAY__LETTERS_DIGITS,
       WXPAY__ORDER_NO = WXPAY__ORDER_SET, WXPAY__NONCE = WXPAY__NONCE_ERR /* printable */,
       WXPAY__V3_NONCE = WXPAY__ORDER_SET | WXPAY__NONCE_ERR,
       WXPAY__SERIAL = WXPAY__ORDER_SET | WXPAY__UP_TO_64,
       WXPAY__JSON = WXPAY__TEXT /* sub_order_list: any text up to WXPAY_SUB_ORDER_LIST_MAX */ };

/* Those four sets of ASCII, one bit per character. */
static const uint32_t wxpay__charset[4][4] = {{0x00000000u, 0xFFFFFFFEu, 0xFFFFFFFFu, 0x7FFFFFFFu},
                                              {0x00000000u, 0x03FF2400u, 0x87FFFFFFu, 0x17FFFFFEu},
                                              {0x00000000u, 0x03FF0000u, 0x07FFFFFEu, 0x07FFFFFEu},
                                              {0x00000000u, 0x03FF0000u, 0x00000000u, 0x00000000u}};


/* Ids, order numbers and nonces: 1 to 32 bytes of their character set; the
   caller's sub_order_list: 1 to 10240 bytes of text. */
static wxpay_err wxpay__check(const char *s, int kind) {
  const int text = kind & WXPAY__TEXT;
  const size_t max = text ? WXPAY_SUB_ORDER_LIST_MAX : kind & WXPAY__UP_TO_64 ? 64 : 32;
  const uint32_t *set = wxpay__charset[kind & 3];
  const int nonce = kind & WXPAY__NONCE_ERR;
  size_t n, i;
  wxpay_err e;
  if (!s || !*s) return nonce ? WXPAY_ERR_NONCE : WXPAY_ERR_MISSING_FIELD;
  /* the length first, then the characters; a bad one is told apart from
     bad UTF-8 by the text check, which alone judges the JSON */
  if ((n = wxpay__strnlen(s, max + 1)) > max) {
    e = text ? WXPAY_ERR_SUB_ORDER_LIST_TOO_LONG : WXPAY_ERR_FIELD_TOO_LONG;
  } else {
    for (i = 0; i < n && !text; i++) {
      unsigned c = (unsigned char)s[i];
      if (c >= 0x80 || !(set[c >> 5] >> (c & 31) & 1u)) break;
    }
    if (i == n) return WXPAY_OK;
    switch (wxpay__text(s, n, 0, &i)) {
    case 2: return WXPAY_ERR_UTF8;
    case 0: if (text) return WXPAY_OK; break;
    default: break;
    }
    e = WXPAY_ERR_BAD_CHARS;
  }
  return nonce ? WXPAY_ERR_NONCE : e;
}

/* Checks the request; with wait set, the one-minute guard too (*wait gets
   the seconds left). The debug helper leaves the clock out. Every failure
   leaves through one exit that names the field (by its index into
   wxpay__field_names). */
/* The request's strings and what each may hold, one row each. */
#define WXPAY__REQ_CHECKS(X) X(combine_appid, WXPAY__APPID) X(combine_mch_id, WXPAY__MCHID) \
  X(combine_out_trade_no, WXPAY__ORDER_NO) X(nonce_str, WXPAY__NONCE)
#define WXPAY__REQ_CHECK_ROW(f, kind) {WXPAY__F_##f, offsetof(wxpay_close_req, f), kind},
static const struct wxpay__req_check {
  unsigned char field, at, kind;
} wxpay__req_checks[] = {WXPAY__REQ_CHECKS(WXPAY__REQ_CHECK_ROW)};
#undef WXPAY__REQ_CHECK_ROW

static wxpay_err wxpay__validate(const wxpay_client *client, const wxpay_close_req *req,
                                 const char **bad_field, size_t *bad_index,
                                 long long *wait) {
  unsigned field = WXPAY__F_api_key;
  size_t index = 0, i;
  wxpay_err e = WXPAY_ERR_KEY;
  if (bad_field) *bad_field = NULL;
  if (bad_index) *bad_index = 0;
  if (!client || !req) return WXPAY_ERR_ARG;
  if (wxpay__key_len(client) != WXPAY_KEY_LEN) goto fail;
  for (i = 0; i < sizeof wxpay__req_checks / sizeof wxpay__req_checks[0]; i++) {
    const struct wxpay__req_check *row = &wxpay__req_checks[i];
    const char *value = *(const char *const *)(const void *)((const char *)req + row->at);
    field = row->field;
    /* a nonce may be left to us */
    if ((value || !(row->kind & WXPAY__NONCE_ERR)) && (e = wxpay__check(value, row->kind)) != WXPAY_OK)
      goto fail;
  }
  field = WXPAY__F_sub_order_list;
  if (req->sub_order_list_json) {
    if ((e = wxpay__check(req->sub_order_list_json, WXPAY__JSON)) != WXPAY_OK) goto fail;
  } else {
    field = WXPAY__F_sub_orders;
    e = req->sub_order_count < 1 || req->sub_order_count > WXPAY_MAX_SUB_ORDERS
            ? WXPAY_ERR_SUB_ORDER_COUNT : !req->sub_orders ? WXPAY_ERR_ARG : WXPAY_OK;
    if (e != WXPAY_OK) goto fail;
    for (index = 0; index < req->sub_order_count; index++) {
      field = WXPAY__F_sub_orders_mchid;
      if ((e = wxpay__check(req->sub_orders[index].mchid, WXPAY__MCHID)) != WXPAY_OK) goto fail;
      field = WXPAY__F_sub_orders_out_trade_no;
      if ((e = wxpay__check(req->sub_orders[index].out_trade_no, WXPAY__ORDER_NO)) != WXPAY_OK)
        goto fail;
    }
    index = 0;
#if WXPAY_MAX_SUB_ORDERS > 80
    {
      /* a sub-order takes at most 127 bytes of JSON (64 for an escaped mchid,
         32 for out_trade_no, 31 of syntax): only a raised limit can overflow */
      wxpay__out count;
      memset(&count, 0, sizeof count);
      wxpay__json_subs(&count, req->sub_orders, req->sub_order_count);
      field = WXPAY__F_sub_order_list;
      e = WXPAY_ERR_SUB_ORDER_LIST_TOO_LONG;
      if (count.len > WXPAY_SUB_ORDER_LIST_MAX) goto fail;
    }
#endif
  }
  if (wait && (*wait = wxpay__wait(client, req->created_at)) != 0) {
    field = WXPAY__F_created_at;
    e = WXPAY_ERR_TOO_EARLY;
    goto fail;
  }
  return WXPAY_OK;
fail:
  if (bad_field) *bad_field = wxpay__field_name(field);
  if (bad_index) *bad_index = index;
  return e;
}

WXPAY_DEF wxpay_err wxpay_close_validate(const wxpay_client *client,
                                         const wxpay_close_req *req,
                                         const char **bad_field,
                                         size_t *bad_index) {
  long long wait;
  return wxpay__validate(client, req, bad_field, bad_index, &wait);
}

/* >>build */
static wxpay_err wxpay__finish(wxpay__out *o, char *out, size_t cap, size_t *len) {
  if (o->len >= cap) {
    if (cap) out[0] = '\0'; /* never a partial body that looks whole */
    if (len) *len = o->len + 1;
    return WXPAY_ERR_BUFFER;
  }
  out[o->len] = '\0';
  if (len) *len = o->len;
  return WXPAY_OK;
}

/* Writes the body in the seed SDK's order, then signs the same values in
   the order of their names, each written again straight into the MAC (the
   sub-orders' JSON too): no copy of the sign string is kept anywhere. */
static wxpay_err wxpay__build_checked(const wxpay_client *client,
                                      const wxpay_close_req *req, char *out,
                                      size_t cap, size_t *len) {
  wxpay__out o, m;
  wxpay_hmac_ctx h;
  unsigned char mac[32];
  char nonce_buf[WXPAY_NONCE_LEN + 1];
  const char *nonce = req->nonce_str, *v[WXPAY__REQ_FIELDS];
  unsigned k;
  wxpay_err e;
  if (!nonce) {
    if ((e = wxpay_nonce(client, nonce_buf)) != WXPAY_OK) return e;
    nonce = nonce_buf;
  }
  if ((e = wxpay__mac_start(client, &h)) != WXPAY_OK) return e;
  wxpay__req_values(req, nonce, NULL, v);
  memset(&o, 0, sizeof o);
  o.buf = out;
  o.cap = cap;
  wxpay__raw(&o, "<xml>", 5);
  for (k = 0; k < WXPAY__REQ_SIGNED; k++) {
    unsigned i = wxpay__body_order[k];
    wxpay__xml_open(&o, i, v[i] ? wxpay__needs_cdata(v[i]) : 1);
    wxpay__req_value(&o, req, v, i);
    wxpay__xml_close(&o, i);
  }
  wxpay__raw(&o, "<sign>", 6);
  if (o.len + 64 + 13 >= cap) { /* too small: say how much is needed */
    wxpay__wipe(&h, sizeof h);
    o.len += 64 + 13;
    return wxpay__finish(&o, out, cap, len);
  }
  memset(&m, 0, sizeof m);
  m.mac = &h;
  for (k = 0; k < WXPAY__REQ_SIGNED; k++) {
    wxpay__sign_key(&m, k);
    wxpay__req_value(&m, req, v, k);
  }
  wxpay__key_suffix(&m, client, 0);
  wxpay_hmac_final(&h, mac);
  wxpay__hex_upper(mac, 32, out + o.len);
  wxpay__wipe(mac, sizeof mac);
  o.len += 64;
  wxpay__raw(&o, "</sign></xml>", 13);
  return wxpay__finish(&o, out, cap, len);
}

static wxpay_err wxpay__out_args(char *out, size_t cap, size_t *len) {
  if (len) *len = 0;
  if (!out && cap) return WXPAY_ERR_ARG;
  if (cap) out[0] = '\0';
  return WXPAY_OK;
}

WXPAY_DEF wxpay_err wxpay_close_build(const wxpay_client *client,
                                      const wxpay_close_req *req, char *out,
                                      size_t cap, size_t *len) {
  wxpay_err e = wxpay__out_args(out, cap, len);
  if (e) return e;
  if ((e = wxpay_close_validate(client, req, NULL, NULL)) != WXPAY_OK) return e;
  return wxpay__build_checked(client, req, out, cap, len);
}

WXPAY_DEF wxpay_err wxpay_close_explain(const wxpay_client *client,
                                        const wxpay_close_req *req, char *out,
                                        size_t cap, size_t *len) {
  wxpay__out o;
  const char *v[WXPAY__REQ_FIELDS];
  wxpay_err e = wxpay__out_args(out, cap, len);
  if (e) return e;
  if ((e = wxpay__validate(client, req, NULL, NULL, NULL)) != WXPAY_OK) return e;
  if (!req->nonce_str) return WXPAY_ERR_NONCE;
  wxpay__req_values(req, req->nonce_str, NULL, v);
  memset(&o, 0, sizeof o);
  o.buf = out;
  o.cap = cap;
  wxpay__req_sign_string(&o, client, req, v, 1);
  return wxpay__finish(&o, out, cap, len);
}

/* >>xml reader: flat <xml> children only, decoded in place into
   "name\0value\0...\0". The output never outgrows the input already read
   (a tag costs more than its NUL, an entity more than its UTF-8), so one
   buffer serves, with no recursion and no second buffer. */
typedef struct wxpay__rd {
  char *b;
  size_t n, i, w;
} wxpay__rd;

static int wxpay__at_n(const wxpay__rd *r, const char *s, size_t k) {
  return r->n - r->i >= k && wxpay__same(r->b + r->i, s, k);
}
/* Is the input at lit (a string literal: its length is known at compile time)? */
#define wxpay__at(r, lit) wxpay__at_n(r, lit, sizeof(lit) - 1)

static int wxpay__is_space(int c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

static void wxpay__skip_space(wxpay__rd *r) {
  while (r->i < r->n && wxpay__is_space(r->b[r->i])) r->i++;
}

/* Moves past the next occurrence of end; 0 if there is none. */
static int wxpay__skip_past_n(wxpay__rd *r, const char *end, size_t k) {
  for (; r->i < r->n; r->i++) {
    if (r->b[r->i] == end[0] && wxpay__at_n(r, end, k)) { r->i += k; return 1; }
  }
  r->i = r->n;
  return 0;
}
#define wxpay__skip_past(r, lit) wxpay__skip_past_n(r, lit, sizeof(lit) - 1)

static int wxpay__name_char(int c, int first) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' ||
         (!first && ((c >= '0' && c <= '9') || c == '-' || c == '.'));
}

/* Reads a tag name at r->i; returns its length (0: not a name). */
static size_t wxpay__name(wxpay__rd *r) {
  size_t k = 0;
  while (r->i + k < r->n && wxpay__name_char(r->b[r->i + k], k == 0)) k++;
  return k;
}

/* After a name: optional space, then ">" or (allow_empty) "/>", which sets
   *empty. Anything else is an attribute (NESTED) or malformed (XML). */
static wxpay_err wxpay__tag_end(wxpay__rd *r, int allow_empty, int *empty) {
  size_t start = r->i;
  char c;
  wxpay__skip_space(r);
  c = r->i < r->n ? r->b[r->i] : '\0';
  *empty = allow_empty && c == '/' && wxpay__at(r, "/>");
  if (*empty || c == '>') {
    r->i += 1 + (size_t)*empty;
    return WXPAY_OK;
  }
  return r->i > start && wxpay__name_char(c, 1) ? WXPAY_ERR_XML_NESTED /* an attribute */
                                                : WXPAY_ERR_XML;
}

/* Appends decoded bytes; callers move the read head past their source first,
   so the write head never overtakes unread input. */
static void wxpay__emit(wxpay__rd *r, const char *s, size_t k) {
  WXPAY_ASSERT(r->w + k <= r->i);
  wxpay__copy(r->b + r->w, s, k); /* forward: the source is never behind */
  r->w += k;
}

/* An entity or character reference at r->i ('&'). */
static wxpay_err wxpay__reference(wxpay__rd *r) {
  static const char named[] = "&lt;\0&gt;\0&amp;\0&quot;\0&apos;", chars[] = "<>&\"'";
  const char *p = named;
  uint32_t c = 0, v;
  int k, base = 10, digits = 0;
  size_t len, j;
  unsigned char u[4];
  for (k = 0; k < 5; k++, p += len + 1) /* named[k] is 4, 4, 5, 6, 6 long */
    if (wxpay__at_n(r, p, len = 4u + (k > 1) + (k > 2))) {
      r->i += len;
      wxpay__emit(r, &chars[k], 1);
      return WXPAY_OK;
    }
  if (!wxpay__at(r, "&#")) return WXPAY_ERR_XML_FORBIDDEN; /* undeclared entity */
  r->i += 2;
  if (wxpay__at(r, "x")) { base = 16; r->i++; }
  for (; r->i < r->n && r->b[r->i] != ';'; r->i++, digits++) {
    int d = wxpay__hexval(r->b[r->i]);
    if (d < 0 || d >= base || c > 0x10FFFF) return WXPAY_ERR_XML;
    c = c * (uint32_t)base + (uint32_t)d;
  }
  if (r->i >= r->n || !digits) return WXPAY_ERR_XML;
  /* its UTF-8, the last bytes first; the lead is 0..., 110..., 1110... or 11110... */
  len = c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
  for (j = len, v = c; --j > 0; v >>= 6) u[j] = (unsigned char)(0x80 | (v & 63));
  u[0] = (unsigned char)(len > 1 ? (0xFF00u >> len & 0xFFu) | v : v);
  /* an XML character: no C0 control but TAB, LF and CR, and nothing the
     UTF-8 check refuses (surrogates, U+FFFE, U+FFFF) or past U+10FFFF */
  if (c > 0x10FFFF || (c < 0x20 && c != '\t' && c != '\n' && c != '\r') ||
      wxpay__utf8_len(u, len) != len)
    return WXPAY_ERR_XML;
  r->i++;
  wxpay__emit(r, (const char *)u, len);
  return WXPAY_OK;
}

/* What the markup at r->i ('<') is: the first of "<!--", "<![CDATA[",
   "<!DOCTYPE", "<!ENTITY", "<?", "<!", "</" it starts with, else
   WXPAY__OPEN (a start tag, or malformed). */
enum { WXPAY__COMMENT, WXPAY__CDATA, WXPAY__DOCTYPE, WXPAY__ENTITY, WXPAY__PI, WXPAY__BANG,
       WXPAY__CLOSE, WXPAY__OPEN };
static size_t wxpay__markup(const wxpay__rd *r) {
  /* the second byte first: "<!" needs a closer look, the others do not */
  const char c = r->n - r->i > 1 ? r->b[r->i + 1] : '\0';
  if (c != '!') return c == '/' ? WXPAY__CLOSE : c == '?' ? WXPAY__PI : WXPAY__OPEN;
  return wxpay__at(r, "<!--") ? WXPAY__COMMENT : wxpay__at(r, "<![CDATA[") ? WXPAY__CDATA
       : wxpay__at(r, "<!DOCTYPE") ? WXPAY__DOCTYPE : wxpay__at(r, "<!ENTITY") ? WXPAY__ENTITY
       : WXPAY__BANG;
}

/* Where the reader is in the document, and what moves it on:

     BEFORE_ROOT  white space and comments; <xml> goes IN_ROOT, <xml/>
                  AFTER_ROOT; anything else is malformed
     IN_ROOT      white space and comments; <name> goes IN_FIELD, <name/>
                  is an empty field; </xml> goes AFTER_ROOT
     IN_FIELD     text, references and CDATA make the value; </name> (the
                  open field's own) goes back IN_ROOT; another tag is NESTED
     AFTER_ROOT   white space and comments, to the end: the only state the
                  input may end in

   In every state DOCTYPE, ENTITY and "<?" are FORBIDDEN (an XML
   declaration is taken only at the very start). */
enum wxpay__xml_state { WXPAY__BEFORE_ROOT, WXPAY__IN_ROOT, WXPAY__IN_FIELD, WXPAY__AFTER_ROOT };

/* Is the field just opened (its name at field, NUL-terminated) one read
   before? Names are few: each is compared with the ones before it. */
static int wxpay__repeated(const wxpay__rd *r, const char *field) {
  const char *prev; /* the names before it, each followed by its value */
  for (prev = r->b; prev < field; prev = wxpay__nth(prev, 2))
    if (prev[0] == field[0] && wxpay__streq(prev, field)) return 1;
  return 0;
}

static wxpay_err wxpay__read(wxpay__rd *r, size_t *count) {
  const char *field = NULL; /* the open field's name, at its decoded place */
  size_t k, start, field_len = 0;
  enum wxpay__xml_state state = WXPAY__BEFORE_ROOT;
  int empty;
  wxpay_err e;
  /* every byte is checked once up front: UTF-8, and no NUL or control */
  switch (wxpay__text(r->b, r->n, 1, &r->i)) {
  case 1: return WXPAY_ERR_XML;
  case 2: return WXPAY_ERR_UTF8;
  default: break;
  }
  r->i = 0;
  if (wxpay__at(r, "\xEF\xBB\xBF")) r->i = 3;
  if (wxpay__at(r, "<?xml") && r->i + 5 < r->n &&
      (wxpay__is_space(r->b[r->i + 5]) || r->b[r->i + 5] == '?') && !wxpay__skip_past(r, "?>"))
    return WXPAY_ERR_XML;
  while (r->i < r->n) {
    char c = r->b[r->i];
    if (c != '<') {
      if (state != WXPAY__IN_FIELD) { /* only white space between elements */
        if (!wxpay__is_space(c)) return WXPAY_ERR_XML;
        r->i++;
      } else if (c == '&') {
        if ((e = wxpay__reference(r)) != WXPAY_OK) return e;
      } else if (wxpay__at(r, "]]>")) {
        return WXPAY_ERR_XML;
      } else { /* a run of plain text */
        start = r->i;
        do r->i++; while (r->i < r->n && (c = r->b[r->i]) != '<' && c != '&' && c != ']');
        wxpay__emit(r, r->b + start, r->i - start);
      }
    } else if ((k = wxpay__markup(r)) == WXPAY__COMMENT) {
      r->i += 4; /* "--" may only end a comment */
      if (!wxpay__skip_past(r, "--") || !wxpay__at(r, ">")) return WXPAY_ERR_XML;
      r->i++;
    } else if (k == WXPAY__CDATA) {
      if (state != WXPAY__IN_FIELD) return WXPAY_ERR_XML;
      start = r->i += 9;
      if (!wxpay__skip_past(r, "]]>")) return WXPAY_ERR_XML;
      wxpay__emit(r, r->b + start, r->i - 3 - start);
    } else if (k <= WXPAY__BANG) { /* DTDs, entities, processing instructions; other "<!" */
      return k < WXPAY__BANG ? WXPAY_ERR_XML_FORBIDDEN : WXPAY_ERR_XML;
    } else if (k == WXPAY__CLOSE) { /* closes the field, or the root */
      const int in_field = state == WXPAY__IN_FIELD;
      if (state != WXPAY__IN_ROOT && !in_field) return WXPAY_ERR_XML;
      k = in_field ? field_len : 3;
      r->i += 2;
      if (!wxpay__at_n(r, in_field ? field : "xml", k)) return WXPAY_ERR_XML;
      r->i += k;
      if (r->i < r->n && wxpay__name_char(r->b[r->i], 0)) return WXPAY_ERR_XML;
      if ((e = wxpay__tag_end(r, 0, &empty)) != WXPAY_OK) return e;
      if (!in_field) {
        state = WXPAY__AFTER_ROOT;
        continue;
      }
      goto value_complete;
    } else if (state == WXPAY__BEFORE_ROOT) { /* opens the root */
      r->i++;
      if (wxpay__name(r) != 3 || !wxpay__at(r, "xml")) return WXPAY_ERR_XML;
      r->i += 3;
      if ((e = wxpay__tag_end(r, 1, &empty)) != WXPAY_OK) return e;
      state = empty ? WXPAY__AFTER_ROOT : WXPAY__IN_ROOT;
    } else if (state == WXPAY__IN_ROOT) { /* opens a field */
      r->i++;
      if ((k = wxpay__name(r)) == 0) return WXPAY_ERR_XML;
      if (*count >= WXPAY_MAX_FIELDS) return WXPAY_ERR_XML_LIMIT;
      field = r->b + r->w;
      field_len = k;
      r->i += k;
      wxpay__emit(r, r->b + r->i - k, k);
      if ((e = wxpay__tag_end(r, 1, &empty)) != WXPAY_OK) return e;
      r->b[r->w++] = '\0';
      if (wxpay__repeated(r, field)) return WXPAY_ERR_XML_DUPLICATE;
      state = WXPAY__IN_FIELD;
      if (!empty) continue;
    value_complete: /* "</name>", or "<name/>" at once */
      r->b[r->w++] = '\0';
      ++*count;
      state = WXPAY__IN_ROOT;
    } else { /* a tag in a field's value, or after the root */
      return state == WXPAY__IN_FIELD ? WXPAY_ERR_XML_NESTED : WXPAY_ERR_XML;
    }
  }
  return state == WXPAY__AFTER_ROOT ? WXPAY_OK : WXPAY_ERR_XML;
}

WXPAY_DEF wxpay_err wxpay_xml_read(char *body, size_t len, wxpay_fields *fields,
                                   size_t *error_offset) {
  wxpay__rd r;
  wxpay_err e;
  size_t count = 0;
  if (error_offset) *error_offset = 0;
  if (!fields) return WXPAY_ERR_ARG;
  fields->data = "";
  fields->count = 0;
  if (!body) return len ? WXPAY_ERR_ARG : WXPAY_ERR_XML;
  r.b = body;
  r.n = len;
  r.i = r.w = 0;
  e = wxpay__read(&r, &count);
  if (e) {
    if (error_offset) *error_offset = r.i;
    return e;
  }
  WXPAY_ASSERT(r.w < r.n);
  body[r.w] = '\0'; /* the empty name that ends the list */
  fields->data = body;
  fields->count = count;
  return WXPAY_OK;
}

WXPAY_DEF int wxpay_fields_next(const wxpay_fields *fields, const char **cursor,
                                const char **name, const char **value) {
  const char *p;
  if (!fields || !cursor || !fields->data) return 0;
  p = *cursor ? *cursor : fields->data;
  if (!*p) return 0;
  if (name) *name = p;
  p += wxpay__len(p) + 1;
  if (value) *value = p;
  *cursor = p + wxpay__len(p) + 1;
  return 1;
}

WXPAY_DEF const char *wxpay_fields_get(const wxpay_fields *fields, const char *name) {
  const char *cur = NULL, *n, *v;
  if (!name) return NULL;
  while (wxpay_fields_next(fields, &cur, &n, &v))
    if (wxpay__streq(n, name)) return v;
  return NULL;
}

/* >>parse */
/* The seed's nine response fields, one row each: a wxpay_close_resp member,
   named as its row of WXPAY__NAMES is. */
#define WXPAY__RESP_FIELDS(X) X(return_code) X(return_msg) X(combine_appid) \
  X(combine_mch_id) X(nonce_str) X(sign) X(result_code) X(err_code) X(err_code_des)
#define WXPAY__RESP_ROW(f) {WXPAY__F_##f, offsetof(wxpay_close_resp, f)},
static const struct wxpay__resp_row {
  unsigned char name; /* its row of WXPAY__NAMES */
  unsigned char at;   /* where wxpay_close_resp keeps its value */
} wxpay__resp_rows[] = {WXPAY__RESP_FIELDS(WXPAY__RESP_ROW)};
#undef WXPAY__RESP_ROW
#define WXPAY__RESP_N (sizeof wxpay__resp_rows / sizeof wxpay__resp_rows[0])
#define WXPAY__RESP_AT(resp, row) (*(const char **)(void *)((char *)(resp) + (row).at))

/* A response with nothing in it: the nine fields "", the rest zero. */
static void wxpay__resp_clear(wxpay_close_resp *resp) {
  size_t i;
  memset(resp, 0, sizeof *resp);
  for (i = 0; i < WXPAY__RESP_N; i++) WXPAY__RESP_AT(resp, wxpay__resp_rows[i]) = "";
  resp->fields.data = "";
}

/* Points the nine fields of a cleared response at their values in f, in
   one pass over f. */
static void wxpay__resp_fill(wxpay_close_resp *resp, const wxpay_fields *f) {
  const char *name;
  size_t i;
  for (name = f->data; *name; name = wxpay__nth(name, 2))
    for (i = 0; i < WXPAY__RESP_N; i++) {
      const char *n = wxpay__field_name(wxpay__resp_rows[i].name);
      if (name[0] == n[0] && wxpay__streq(name, n)) {
        WXPAY__RESP_AT(resp, wxpay__resp_rows[i]) = wxpay__nth(name, 1);
        break;
      }
    }
}

/* The two values of return_code and result_code, in the order of their
   names for what wxpay__find() says of a value. */
static const char wxpay__success_fail[] = "SUCCESS\0FAIL";
enum wxpay__verdict { WXPAY__SUCCESS, WXPAY__FAIL, WXPAY__NEITHER };
/* The APIv2 err_code values with an outcome of their own, one row each (the
   README's table gives each row's public source); any other is REJECTED. */
#define WXPAY__V2_CODES(X) \
  X(ORDERCLOSED,       ALREADY_CLOSED) \
  X(ORDERPAID,         PAID) \
  X(ORDERNOTEXIST,     NOT_FOUND) \
  X(USERPAYING,        PAYING) \
  X(SYSTEMERROR,       RETRY) \
  X(FREQUENCY_LIMITED, RETRY)
#define WXPAY__CODE_NAME(code, outcome) #code "\0"
#define WXPAY__CODE_OUTCOME(code, outcome) WXPAY_OUTCOME_##outcome,
static const char wxpay__v2_codes[] = WXPAY__V2_CODES(WXPAY__CODE_NAME);
static const unsigned char wxpay__v2_code_outcomes[] = {
    WXPAY__V2_CODES(WXPAY__CODE_OUTCOME) WXPAY_OUTCOME_REJECTED /* any other */};

/* Which of the first n names of a packed list ("a\0b\0...") s is; n when
   none. Lists are char arrays, not pointer tables: built with
   -fdata-sections, code that never uses one leaves it out of the link. */
static unsigned wxpay__find(const char *list, unsigned n, const char *s) {
  unsigned i;
  for (i = 0; i < n && !wxpay__streq(s, list); i++) list += wxpay__len(list) + 1;
  return i;
}

/* The names of the fields that decide the close's outcome, packed one
   after another where WXPAY__NAMES has them; the query's list adds
   trade_state and sub_order_list (whose JSON may hold '&' and '=': it is
   only never hidden). */
#define WXPAY__DECIDING wxpay__field_name(WXPAY__F_return_code)

/* The string to sign joins the fields as k=v&k=v, so a signed answer can be
   cut again differently: "a=x&err_code=ORDERPAID" is also one field a whose
   value hides err_code. 0 when one of the first plain names of deciding
   holds '&' or '=', or when any value holds '&' followed by one of its
   first named names and '='. */
WXPAY__SHARED int wxpay__unambiguous(const wxpay_fields *f, const char *deciding_names,
                                     unsigned plain, unsigned named) {
  const char *name, *v;
  for (name = f->data; *name; name = v + 1) { /* v ends on the value's NUL */
    for (v = wxpay__nth(name, 1); *v; v++) {
      const char *hidden = deciding_names;
      unsigned k;
      if (*v != '&' && *v != '=') continue; /* most values hold neither */
      if (wxpay__find(deciding_names, plain, name) < plain) return 0;
      for (k = 0; *v == '&' && k < named; k++, hidden += wxpay__len(hidden) + 1) {
        size_t i = 0; /* compared a byte at a time: never past the value's NUL */
        while (hidden[i] && v[1 + i] == hidden[i]) i++;
        if (!hidden[i] && v[1 + i] == '=') return 0;
      }
    }
  }
  return 1;
}

/* 1 when an echoed value is ours, or absent where the answer (result_code
   FAIL) may leave it out. A macro for the query's second use: a second
   caller of a function would change how the close is compiled. */
#define WXPAY__ECHOES(got, sent, result) \
  (((result) == WXPAY__FAIL && !*(got)) || wxpay__streq(got, sent))
static int wxpay__echoes(const char *got, const char *sent, unsigned code) {
  return WXPAY__ECHOES(got, sent, code);
}

static wxpay_err wxpay__parse(const wxpay_client *client, const wxpay_close_req *req,
                              char *body, size_t len, wxpay_close_resp *resp) {
  unsigned char mac[32];
  wxpay_err e;
  unsigned code;
  int fail;
  if (!client || (!body && len)) return WXPAY_ERR_ARG;
  if (wxpay__key_len(client) != WXPAY_KEY_LEN) return WXPAY_ERR_KEY;
  if ((e = wxpay_xml_read(body, len, &resp->fields, &resp->error_offset)) != WXPAY_OK)
    return e;
  wxpay__resp_fill(resp, &resp->fields);

  if ((code = wxpay__find(wxpay__success_fail, 2, resp->return_code)) == WXPAY__NEITHER)
    return WXPAY_ERR_RESPONSE;
  fail = code == WXPAY__FAIL;
  if (*resp->sign) { /* a signed answer is checked, whatever it says */
    if ((e = wxpay__fields_mac(client, &resp->fields, mac)) != WXPAY_OK) return e;
    resp->verified = wxpay__sign_matches(mac, resp->sign);
    wxpay__wipe(mac, sizeof mac);
    if (!resp->verified) return WXPAY_ERR_SIGNATURE;
    if (!wxpay__unambiguous(&resp->fields, WXPAY__DECIDING, 3, 3)) return WXPAY_ERR_AMBIGUOUS;
  } else if (!fail) {
    return WXPAY_ERR_NO_SIGNATURE;
  }
  if (fail) { /* communication-level failure: WeChat does not sign these */
    resp->outcome = WXPAY_OUTCOME_REJECTED;
    return WXPAY_OK;
  }
  if ((code = wxpay__find(wxpay__success_fail, 2, resp->result_code)) == WXPAY__NEITHER)
    return WXPAY_ERR_RESPONSE;
  /* The echo, when there is one, must be ours; a signed FAIL result may
     leave it out (live SYSTEMERROR answers do), a SUCCESS may not. */
  if (req && (!req->combine_appid || !req->combine_mch_id ||
              !wxpay__echoes(resp->combine_appid, req->combine_appid, code) ||
              !wxpay__echoes(resp->combine_mch_id, req->combine_mch_id, code)))
    return WXPAY_ERR_ECHO_MISMATCH;
  if (code == WXPAY__SUCCESS) {
    resp->outcome = WXPAY_OUTCOME_CLOSED;
  } else {
    const unsigned known = (unsigned)sizeof wxpay__v2_code_outcomes - 1;
    resp->outcome = (wxpay_outcome)
        wxpay__v2_code_outcomes[wxpay__find(wxpay__v2_codes, known, resp->err_code)];
  }
  return WXPAY_OK;
}

WXPAY_DEF wxpay_err wxpay_close_parse(const wxpay_client *client,
                                      const wxpay_close_req *req, char *body,
                                      size_t len, wxpay_close_resp *resp) {
  wxpay_err e;
  if (!resp) return WXPAY_ERR_ARG;
  wxpay__resp_clear(resp);
  e = wxpay__parse(client, req, body, len, resp);
  if (e != WXPAY_OK) { /* nothing read is to be trusted */
    resp->outcome = WXPAY_OUTCOME_NONE;
    resp->verified = 0;
  }
  return e;
}

/* >>client */
WXPAY_DEF wxpay_err wxpay_client_init(wxpay_client *client) {
  if (!client) return WXPAY_ERR_ARG;
  wxpay_client_wipe(client);
  if (wxpay__key_len(client) != WXPAY_KEY_LEN) return WXPAY_ERR_KEY;
  wxpay__hmac_pads(client->api_key, WXPAY_KEY_LEN, client->key_cache.inner,
                   client->key_cache.outer);
  wxpay__copy(client->key_cache.copy, client->api_key, WXPAY_KEY_LEN);
  client->key_cache.key = client->api_key;
  return WXPAY_OK;
}

WXPAY_DEF void wxpay_client_wipe(wxpay_client *client) {
  if (client) wxpay__wipe(&client->key_cache, sizeof client->key_cache);
}

/* >>close */
static void wxpay__log(const wxpay_client *c, wxpay_log_id id, int attempt,
                       const char *detail) {
  if (c->log) c->log(c->log_user, id, attempt, detail ? detail : "");
}

/* The decimal digits of v, or 0 for a negative v: an int into buf[12] (a
   32-bit division, all a Cortex-M core needs), a long long (APIv3's
   timestamps) into buf[21], which pulls in libgcc's 64-bit division. */
WXPAY__SHARED const char *wxpay__itoa(int v, char buf[12]) {
  char *p = buf + 11;
  unsigned u = v < 0 ? 0u : (unsigned)v;
  *p = '\0';
  do { *--p = (char)('0' + u % 10); u /= 10; } while (u);
  return p;
}

static const char *wxpay__lltoa(long long v, char buf[21]) {
  char *p = buf + 20;
  unsigned long long u = v < 0 ? 0u : (unsigned long long)v;
  *p = '\0';
  do { *--p = (char)('0' + u % 10); u /= 10; } while (u);
  return p;
}

#define WXPAY__USER_AGENT "wxpay_close.h/" WXPAY_VERSION

static int wxpay__fails_over(wxpay_net n) {
  return n == WXPAY_NET_DNS || n == WXPAY_NET_CONNECT || n == WXPAY_NET_TLS ||
         n == WXPAY_NET_TIMEOUT;
}

/* The attempts both APIs make: which endpoint each goes to, the pause
   between them, and what a transport failure means. */
typedef struct wxpay__tries {
  const wxpay_client *c;
  const char *primary, *backup;
  int attempt, attempts, on_backup;
  wxpay_err last;  /* what to report when no attempt gets an answer */
  wxpay_net net;   /* the last transport result */
} wxpay__tries;

WXPAY__SHARED void wxpay__tries_init(wxpay__tries *t, const wxpay_client *c, const char *endpoint,
                              const char *backup, const char *def, const char *def_backup) {
  t->c = c;
  t->primary = endpoint ? endpoint : def;
  t->backup = backup ? backup : endpoint ? NULL : def_backup; /* never production by surprise */
  t->attempts = c->attempts <= 0 ? 3 : c->attempts > 10 ? 10 : c->attempts;
  t->attempt = t->on_backup = 0;
  t->last = WXPAY_ERR_TRANSPORT;
  t->net = WXPAY_NET_OK;
}

/* Begins the next attempt, pausing before all but the first; 0 when none
   is left. */
static int wxpay__tries_next(wxpay__tries *t) {
  if (t->attempt >= t->attempts) return 0;
  if (t->attempt++ && t->c->sleep)
    t->c->sleep(t->c->sleep_user, t->c->retry_delay_ms ? t->c->retry_delay_ms : 1000);
  return 1;
}

WXPAY__SHARED const char *wxpay__tries_url(const wxpay__tries *t) {
  return t->on_backup && t->backup ? t->backup : t->primary;
}

/* Sends hreq (method, url, headers and body set) with the client's timeouts. A body
   past the cap is an I/O failure; a failure is logged and, for DNS, connect,
   TLS and timeouts, moves the next attempt to the other endpoint. */
static wxpay_net wxpay__tries_send(wxpay__tries *t, wxpay_http_req *hreq,
                                   wxpay_http_resp *hresp) {
  const wxpay_client *c = t->c;
  wxpay_net net;
  hreq->connect_timeout_ms = c->connect_timeout_ms ? c->connect_timeout_ms : 6000;
  hreq->timeout_ms = c->timeout_ms ? c->timeout_ms : 8000;
  wxpay__log(c, WXPAY_LOG_ATTEMPT, t->attempt, hreq->url);
  net = c->transport(c->transport_user, hreq, hresp);
  if (net == WXPAY_NET_OK && hresp->body_len > hresp->body_cap) net = WXPAY_NET_IO;
  t->net = net;
  if (net != WXPAY_NET_OK) {
    wxpay__log(c, WXPAY_LOG_NET_FAIL, t->attempt, wxpay_net_name(net));
    t->last = net == WXPAY_NET_TOO_LARGE ? WXPAY_ERR_TOO_LARGE : WXPAY_ERR_TRANSPORT;
    if (wxpay__fails_over(net) && t->backup) {
      t->on_backup = !t->on_backup;
      wxpay__log(c, WXPAY_LOG_FAILOVER, t->attempt, wxpay__tries_url(t));
    }
  }
  return net;
}

/* The retry rules of both APIs, in one place. After an attempt that got an
   answer (e is what judging it said), another is made only while one is
   left, and only for
     - an HTTP status of 500 or more: the server's trouble;
     - APIv3's SIGNTEST probe: WeChat's own, and closing or querying again
       is harmless;
     - a trusted answer that asks for it (asked: APIv2's SYSTEMERROR,
       APIv3's SYSTEM_ERROR or a RETRY answered with a 5xx).
   Any other answer that cannot be trusted ends the call: it is never
   retried into a "success". An attempt that got no answer is tried again
   by wxpay__tries_next(), on the backup host when wxpay__tries_send()
   failed over. */
static int wxpay__again(const wxpay__tries *t, int status, wxpay_err e, int asked) {
  if (t->attempt >= t->attempts) return 0;
  if (e == WXPAY_ERR_HTTP_STATUS) return status >= 500;
  if (e == WXPAY_ERR_SIGNTEST) return 1;
  return e == WXPAY_OK && asked;
}

/* The outcome when no attempt got an answer to judge: RETRY, unless the
   answer was too large for the buffer or the service refused the request
   with a 4xx (trying again later would not change either). */
static wxpay_outcome wxpay__gave_up(const wxpay__tries *t, int status) {
  return t->last == WXPAY_ERR_TOO_LARGE || (t->last == WXPAY_ERR_HTTP_STATUS && status < 500)
             ? WXPAY_OUTCOME_NONE : WXPAY_OUTCOME_RETRY;
}

/* What an APIv2 exchange builds and how it judges the answer: the close's
   or the query's (a pointer each, so that a close-only program links none
   of the query). answer is the part of resp the close's rules fill. */
typedef wxpay_err (*wxpay__v2_build_fn)(const wxpay_client *c, const void *req, char *out,
                                        size_t cap, size_t *len);
typedef wxpay_err (*wxpay__v2_parse_fn)(const wxpay_client *c, const void *req, char *body,
                                        size_t len, void *resp);

/* The attempts of an APIv2 call: build, send, judge; a SYSTEMERROR is
   tried again, a transport failure or 5xx too (failing over as t says),
   an untrustworthy answer never. */
WXPAY__SHARED wxpay_err wxpay__v2_exchange(wxpay__tries *t, const void *req, wxpay__v2_build_fn build,
                                    wxpay__v2_parse_fn parse, void *resp,
                                    wxpay_close_resp *answer, char *work, size_t work_cap) {
  const wxpay_client *client = t->c;
  wxpay_header headers[3];
  wxpay_http_req hreq;
  wxpay_http_resp hresp;
  wxpay_err e;
  wxpay_net net;
  size_t blen;
  int status = 0;
  char num[12];

  headers[0].name = "Content-Type";
  headers[0].value = "text/xml; charset=utf-8";
  headers[1].name = "Accept";
  headers[1].value = "text/xml, text/plain, application/x-gzip";
  headers[2].name = "User-Agent";
  headers[2].value = client->user_agent ? client->user_agent : WXPAY__USER_AGENT;

  while (wxpay__tries_next(t)) {
    /* a fresh nonce and signature per attempt (unless the caller fixed one) */
    if ((e = build(client, req, work, work_cap, &blen)) == WXPAY_OK && work_cap - blen < 2)
      e = WXPAY_ERR_BUFFER;
    if (e != WXPAY_OK) { /* an earlier answer, if any, pointed into work */
      wxpay__resp_clear(answer);
      answer->attempts = t->attempt - 1;
      return e;
    }
    memset(&hreq, 0, sizeof hreq);
    hreq.method = "POST";
    hreq.url = wxpay__tries_url(t);
    hreq.headers = headers;
    hreq.header_count = 3;
    hreq.body = work;
    hreq.body_len = blen;
    memset(&hresp, 0, sizeof hresp);
    hresp.body = work + blen + 1;
    hresp.body_cap = work_cap - blen - 1;
    net = wxpay__tries_send(t, &hreq, &hresp);
    status = net == WXPAY_NET_OK ? hresp.status : 0;
    if (net == WXPAY_NET_TOO_LARGE) break;
    if (net != WXPAY_NET_OK) continue;
    if (status != 200) { /* an APIv2 answer comes with 200 only */
      wxpay__log(client, WXPAY_LOG_HTTP_STATUS, t->attempt, wxpay__itoa(status, num));
      t->last = WXPAY_ERR_HTTP_STATUS;
      if (wxpay__again(t, status, WXPAY_ERR_HTTP_STATUS, 0)) continue;
      break;
    }
    e = parse(client, req, hresp.body, hresp.body_len, resp);
    answer->attempts = t->attempt;
    answer->net = net;
    answer->http_status = status;
    if (e != WXPAY_OK) {
      wxpay__log(client, WXPAY_LOG_UNTRUSTED, t->attempt, wxpay_err_name(e));
      answer->outcome = WXPAY_OUTCOME_NONE;
      return e;
    }
    /* SYSTEMERROR asks for a retry; FREQUENCY_LIMITED asks for time, which
       is the caller's to give */
    if (wxpay__again(t, status, e, wxpay__streq(answer->err_code, "SYSTEMERROR"))) {
      wxpay__log(client, WXPAY_LOG_RETRY, t->attempt, answer->err_code);
      continue;
    }
    wxpay__log(client, WXPAY_LOG_RESULT, t->attempt, wxpay_outcome_name(answer->outcome));
    return WXPAY_OK;
  }
  /* no attempt got an answer to judge */
  wxpay__resp_clear(answer);
  answer->attempts = t->attempt;
  answer->net = t->net;
  answer->http_status = status;
  answer->outcome = wxpay__gave_up(t, status);
  return t->last;
}

WXPAY__SHARED wxpay_err wxpay__close_build_any(const wxpay_client *c, const void *req, char *out,
                                        size_t cap, size_t *len) {
  return wxpay__build_checked(c, (const wxpay_close_req *)req, out, cap, len);
}

WXPAY__SHARED wxpay_err wxpay__close_parse_any(const wxpay_client *c, const void *req, char *body,
                                        size_t len, void *resp) {
  return wxpay_close_parse(c, (const wxpay_close_req *)req, body, len, (wxpay_close_resp *)resp);
}

WXPAY_DEF wxpay_err wxpay_close(const wxpay_client *client,
                                const wxpay_close_req *req,
                                wxpay_close_resp *resp, char *work,
                                size_t work_cap) {
  wxpay__tries t;
  wxpay_err e;
  long long wait;

  if (!resp) return WXPAY_ERR_ARG;
  wxpay__resp_clear(resp);
  if (!client || !req || !work) return WXPAY_ERR_ARG;
  if (!client->transport) return WXPAY_ERR_NO_TRANSPORT;
  if ((e = wxpay__validate(client, req, NULL, NULL, &wait)) != WXPAY_OK) {
    if (e == WXPAY_ERR_TOO_EARLY) {
      resp->outcome = WXPAY_OUTCOME_RETRY;
      resp->retry_after = wait;
    }
    return e;
  }
  wxpay__tries_init(&t, client, client->endpoint, client->backup_endpoint, WXPAY_ENDPOINT,
                    WXPAY_BACKUP_ENDPOINT);
  return wxpay__v2_exchange(&t, req, wxpay__close_build_any, wxpay__close_parse_any, resp, resp,
                            work, work_cap);
}

/* >>base64 */
static const char wxpay__b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

WXPAY_DEF size_t wxpay_base64_encode(const unsigned char *in, size_t n, char *out,
                                     size_t cap) {
  size_t i, o = 0;
  if (!out || !cap) return 0;
  out[0] = '\0';
  if ((!in && n) || n >= cap || (n + 2) / 3 * 4 >= cap) return 0;
  for (i = 0; i < n; i += 3) {
    uint32_t v = (uint32_t)in[i] << 16;
    if (i + 1 < n) v |= (uint32_t)in[i + 1] << 8;
    if (i + 2 < n) v |= in[i + 2];
    out[o++] = wxpay__b64[v >> 18];
    out[o++] = wxpay__b64[v >> 12 & 63];
    out[o++] = i + 1 < n ? wxpay__b64[v >> 6 & 63] : '=';
    out[o++] = i + 2 < n ? wxpay__b64[v & 63] : '=';
  }
  out[o] = '\0';
  return o;
}

/* A character's value; 64 for the padding '=', -1 for any other. */
static WXPAY__INLINE int wxpay__b64val(int c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  return c == '+' ? 62 : c == '/' ? 63 : c == '=' ? 64 : -1;
}

/* Strict: length a multiple of 4, '=' only as the last one or two, and the
   bits padding leaves over zero (one encoding per byte string). */
WXPAY_DEF size_t wxpay_base64_decode(const char *in, size_t n, unsigned char *out,
                                     size_t cap) {
  size_t i, pad = 0, len, o = 0;
  uint32_t w = 0;
  int seen = 0; /* the values read, or-ed: negative for a character not
                   Base64, bit 6 for an '=' before the padding */
  if (!in || n % 4 || (!out && cap)) return (size_t)-1;
  if (n && in[n - 1] == '=') pad = in[n - 2] == '=' ? 2 : 1; /* the padding */
  len = n / 4 * 3 - pad;
  if (len > cap) return (size_t)-1;
  for (i = 0; i < n; i += 4) {
    const unsigned char *q = (const unsigned char *)in + i;
    const size_t padded = i + 4 == n ? pad : 0; /* of these four */
    const int v0 = wxpay__b64val(q[0]), v1 = wxpay__b64val(q[1]),
              v2 = padded == 2 ? 0 : wxpay__b64val(q[2]), v3 = padded ? 0 : wxpay__b64val(q[3]);
    seen |= v0 | v1 | v2 | v3;
    w = (uint32_t)(v0 & 63) << 18 | (uint32_t)(v1 & 63) << 12 | (uint32_t)(v2 & 63) << 6 |
        (uint32_t)(v3 & 63);
    out[o++] = (unsigned char)(w >> 16); /* the last four give one byte at least */
    if (o < len) out[o++] = (unsigned char)(w >> 8);
    if (o < len) out[o++] = (unsigned char)w;
  }
  if (seen < 0 || (seen & 64) || (w & ~(~(uint32_t)0 << 8 * pad))) return (size_t)-1;
  return len;
}

/* >>json reader: the v3 error body and the queries' answers, read in place
   with no recursion. One step function (wxpay__js_next) walks any document
   over a bit stack of open levels, checking it as it goes; wxpay__js_skip
   steps over a whole value with it, and the order reader (>>order) walks a
   query's answer once with it, keeping the members it knows. */
#define WXPAY__JS_DEPTH 16     /* levels of objects and arrays, at most */
#define WXPAY__JS_NAME_MAX 64  /* bytes of a member name that holds an escape */
typedef struct wxpay__js {
  char *b;
  size_t n, i;
  uint32_t kinds;   /* one bit per open level: object (1) or array (0) */
  unsigned depth;   /* levels open */
  unsigned char after;   /* a value ended at this level: ',' or its end is next */
  unsigned char checked; /* the walk has checked this text before: a string's
                            end is all a walk back over it needs to find */
  unsigned char escaped; /* the last string read holds a backslash */
} wxpay__js;

/* The first byte from i on that is not JSON's white space. */
static size_t wxpay__js_space(const char *b, size_t i, size_t n) {
  while (i < n && (unsigned char)b[i] <= ' ' &&
         (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t'))
    i++;
  return i;
}

static void wxpay__js_ws(wxpay__js *j) { j->i = wxpay__js_space(j->b, j->i, j->n); }

static int wxpay__js_hex4(const char *p) {
  int v = 0, k;
  for (k = 0; k < 4; k++) {
    int d = wxpay__hexval((unsigned char)p[k]);
    if (d < 0) return -1;
    v = v << 4 | d;
  }
  return v;
}

#define WXPAY__BYTES(v) ((uint64_t)0x0101010101010101u * (v)) /* v in each of 8 bytes */

/* The bytes of p[0..8) that stop a string's run of printable ASCII: one
   below 0x20, a quote, a backslash, or 0x80 and up. Each sets its high bit
   in the result, p[0]'s in the lowest byte whatever the machine's order.
   (A borrow may set bits above the first stop, never below it: the lowest
   is exact, and is all the reader asks.) */
static uint64_t wxpay__js_stops(const char *p) {
  const unsigned char *u = (const unsigned char *)p;
  /* written out, compilers make it one load where the machine allows */
  const uint64_t x = (uint64_t)u[0] | (uint64_t)u[1] << 8 | (uint64_t)u[2] << 16 |
                     (uint64_t)u[3] << 24 | (uint64_t)u[4] << 32 | (uint64_t)u[5] << 40 |
                     (uint64_t)u[6] << 48 | (uint64_t)u[7] << 56;
  return ((x - WXPAY__BYTES(0x20)) | ((x ^ WXPAY__BYTES('"')) - WXPAY__BYTES(1)) |
          ((x ^ WXPAY__BYTES('\\')) - WXPAY__BYTES(1)) | x) &
         WXPAY__BYTES(0x80);
}

/* Which byte holds the lowest bit set in m, where only high bits are set:
   the bit alone, moved to the byte's low bit, times a constant whose top
   byte then counts the bytes below (no count-trailing-zeros in C99). */
static unsigned wxpay__lowest_byte(uint64_t m) {
  return (unsigned)((((m & (0 - m)) >> 7) * (uint64_t)0x0001020304050607u) >> 56);
}

/* Where the run of printable ASCII from b[i] ends: at the first byte of
   b[i..n) that stops it (wxpay__js_stops), or n. */
static WXPAY__INLINE size_t wxpay__js_run(const char *b, size_t i, size_t n) {
  for (; n - i >= 8; i += 8) {
    const uint64_t stops = wxpay__js_stops(b + i);
    if (stops) return i + wxpay__lowest_byte(stops);
  }
  for (; i < n; i++) {
    const unsigned c = (unsigned char)b[i];
    if (c - 0x20u >= 0x60u || c == '"' || c == '\\') break;
  }
  return i;
}

/* Reads the string at b[i] == '"'. With decode set, unescapes it in place
   (what it writes never passes what it has read) and ends it with a NUL over
   the closing quote; without, only checks it (a value kept raw). Returns its
   start, or NULL when malformed with j->i at the bad byte. The cursor lives
   in locals: through j, every byte written would make the compiler reload
   it (a char may alias anything). */
static char *wxpay__js_string(wxpay__js *j, int decode) {
  char *const b = j->b;
  const size_t n = j->n;
  size_t i = j->i + 1, w = i;
  char *const start = b + i;
  unsigned char escaped = 0;
  if (j->checked && !decode) {
    /* the closing quote: the one no backslash escapes, or a NUL, which a
       checked string holds only where the order reader ended a value */
    for (; i < n && b[i] != '"' && b[i]; i++)
      if (b[i] == '\\') i++, escaped = 1;
    if (i >= n) return NULL; /* cannot be, once checked: the bound is no cost */
    j->i = i + 1;
    j->escaped = escaped;
    return start;
  }
  while (i < n) {
    const size_t from = i;
    unsigned c;
    uint32_t cp;
    size_t k, len;
    /* a run of printable ASCII, most of any answer: moved down only once
       an escape has shortened the text */
    i = wxpay__js_run(b, i, n);
    if (decode && w != from) memmove(b + w, b + from, i - from);
    w += i - from;
    if (i >= n) break;
    c = (unsigned char)b[i];
    if (c == '"') {
      if (decode) b[w] = '\0';
      j->i = i + 1;
      j->escaped = escaped;
      return start;
    }
    if (c < 0x20) break;
    if (c != '\\') { /* 0x80 and up: a UTF-8 sequence, checked */
      if ((len = wxpay__utf8_len((const unsigned char *)b + i, n - i)) == 0) break;
      if (decode)
        for (k = 0; k < len; k++) b[w + k] = b[i + k];
      w += len;
      i += len;
      continue;
    }
    escaped = 1;
    if (n - i < 2) break;
    c = (unsigned char)b[i + 1];
    if (c != 'u') {
      static const char named[] = "\"\\/bfnrt", meant[] = "\"\\/\b\f\n\r\t";
      for (k = 0; k < 8 && named[k] != (char)c; k++) {}
      if (k == 8) break;
      if (decode) b[w] = meant[k];
      w++;
      i += 2;
      continue;
    }
    if (n - i < 6 || (cp = (uint32_t)wxpay__js_hex4(b + i + 2)) > 0xFFFF) break;
    i += 6;
    if (cp >= 0xDC00 && cp <= 0xDFFF) break; /* a lone low surrogate */
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      int lo;
      if (n - i < 6 || b[i] != '\\' || b[i + 1] != 'u' ||
          (lo = wxpay__js_hex4(b + i + 2)) < 0xDC00 || lo > 0xDFFF)
        break;
      i += 6;
      cp = 0x10000 + ((cp - 0xD800) << 10) + ((uint32_t)lo - 0xDC00);
    }
    /* a NUL would cut the string short; U+FFFE and U+FFFF are refused as
       they are when they come as UTF-8 (wxpay__utf8_len): one rule for a
       character however it is written */
    if (cp == 0 || (cp | 1) == 0xFFFF) break;
    if (!decode) continue; /* only checked */
    if (cp < 0x80) {
      b[w++] = (char)cp;
    } else if (cp < 0x800) {
      b[w++] = (char)(0xC0 | cp >> 6);
      b[w++] = (char)(0x80 | (cp & 63));
    } else if (cp < 0x10000) {
      b[w++] = (char)(0xE0 | cp >> 12);
      b[w++] = (char)(0x80 | (cp >> 6 & 63));
      b[w++] = (char)(0x80 | (cp & 63));
    } else {
      b[w++] = (char)(0xF0 | cp >> 18);
      b[w++] = (char)(0x80 | (cp >> 12 & 63));
      b[w++] = (char)(0x80 | (cp >> 6 & 63));
      b[w++] = (char)(0x80 | (cp & 63));
    }
  }
  j->i = i;
  return NULL;
}

static int wxpay__js_digits(wxpay__js *j) {
  size_t from = j->i;
  while (j->i < j->n && j->b[j->i] >= '0' && j->b[j->i] <= '9') j->i++;
  return j->i > from;
}

static int wxpay__js_lit(wxpay__js *j, const char *word) {
  size_t len = wxpay__len(word);
  if (j->n - j->i < len || !wxpay__same(j->b + j->i, word, len)) return 0;
  j->i += len;
  return 1;
}

static int wxpay__js_number(wxpay__js *j) {
  if (j->b[j->i] == '-') j->i++;
  if (j->i < j->n && j->b[j->i] == '0') j->i++;
  else if (!wxpay__js_digits(j)) return 0;
  if (j->i < j->n && j->b[j->i] == '.' && (j->i++, !wxpay__js_digits(j))) return 0;
  if (j->i < j->n && (j->b[j->i] == 'e' || j->b[j->i] == 'E')) {
    j->i++;
    if (j->i < j->n && (j->b[j->i] == '+' || j->b[j->i] == '-')) j->i++;
    if (!wxpay__js_digits(j)) return 0;
  }
  return 1;
}

/* Checks the string at j->i and moves past it; the common one, printable
   ASCII to its closing quote, without wxpay__js_string's frame. */
static WXPAY__INLINE int wxpay__js_pass_string(wxpay__js *j) {
  const size_t end = wxpay__js_run(j->b, j->i + 1, j->n);
  if (end < j->n && j->b[end] == '"') {
    j->i = end + 1;
    j->escaped = 0;
    return 1;
  }
  return wxpay__js_string(j, 0) != NULL;
}

/* What one step read: a value (a member's when key is set), or the end of
   the innermost object or array. */
typedef struct wxpay__js_tok {
  const char *key;  /* the member's name as received, escapes and all,
                       key_len bytes, not NUL-terminated; NULL in arrays */
  size_t key_len;
  size_t at;        /* where the value, or the closing bracket, is */
  char type;        /* '{' '[' '"' 't' 'f' 'n', '0' for a number; '}' ']' */
  unsigned char key_escaped; /* the name holds a backslash */
} wxpay__js_tok;

/* One step: the next value (an object or array is entered, not crossed),
   or the end of the open one. Strings are checked, not decoded
   (wxpay__js_string(j, 1) at tok.at decodes one). Returns 0 when the input
   is malformed or nests deeper than WXPAY__JS_DEPTH, j->i at the bad byte.
   Started at depth 0, it reads one value: the caller stops when depth is
   0 again. A member name holding an escape may be WXPAY__JS_NAME_MAX
   bytes long at most (WeChat's names hold none): it is decoded on the
   stack to be compared. */
static int wxpay__js_next(wxpay__js *j, wxpay__js_tok *t) {
  const char *const b = j->b; /* the cursor in locals, as in wxpay__js_string */
  const size_t n = j->n;
  size_t i = j->i;
  char c;
  t->key = NULL;
  t->key_len = 0;
  t->key_escaped = 0;
  if (j->depth) {
    const char end = (j->kinds & 1) ? '}' : ']';
    i = wxpay__js_space(b, i, n);
    if (i >= n) goto bad;
    if (b[i] == end) {
      t->at = i;
      t->type = end;
      j->i = i + 1;
      j->kinds >>= 1;
      j->depth--;
      j->after = 1;
      return 1;
    }
    if (j->after) {
      if (b[i] != ',') goto bad;
      i = wxpay__js_space(b, i + 1, n);
    }
    if (j->kinds & 1) { /* a member: its name, then ':' */
      if (i >= n || b[i] != '"') goto bad;
      j->i = i;
      if (!wxpay__js_pass_string(j)) return 0;
      t->key = b + i + 1;
      t->key_len = j->i - i - 2;
      t->key_escaped = j->escaped;
      if (j->escaped && t->key_len > WXPAY__JS_NAME_MAX) goto bad;
      i = wxpay__js_space(b, j->i, n);
      if (i >= n || b[i] != ':') goto bad;
      i++;
    }
  }
  i = wxpay__js_space(b, i, n);
  j->i = i;
  if (i >= n) return 0;
  t->at = i;
  t->type = c = b[i];
  j->after = 1;
  if (c == '{' || c == '[') {
    if (j->depth == WXPAY__JS_DEPTH) return 0;
    j->kinds = j->kinds << 1 | (c == '{');
    j->depth++;
    j->i = i + 1;
    j->after = 0;
    return 1;
  }
  if (c == '"') return wxpay__js_pass_string(j);
  if (c == '-' || (c >= '0' && c <= '9')) {
    t->type = '0';
    return wxpay__js_number(j);
  }
  return wxpay__js_lit(j, "true") || wxpay__js_lit(j, "false") || wxpay__js_lit(j, "null");
bad:
  j->i = i;
  return 0;
}

/* 1 when two member names, one at least holding an escape, are the same
   string: both decoded on the stack and compared. */
WXPAY__OWN_FRAME int wxpay__js_decoded_same(const char *a, size_t an, const char *b, size_t bn) {
  char x[2][WXPAY__JS_NAME_MAX + 2];
  const char *d[2];
  int k;
  for (k = 0; k < 2; k++) { /* both are at most WXPAY__JS_NAME_MAX long (or no escape
                              and then shorter than the other, or equal: the step
                              refused the rest) */
    const char *s = k ? b : a;
    size_t n = k ? bn : an;
    wxpay__js r;
    if (n > WXPAY__JS_NAME_MAX) return 0; /* unescaped, longer than any escaped */
    x[k][0] = '"';
    wxpay__copy(x[k] + 1, s, n);
    x[k][n + 1] = '"';
    memset(&r, 0, sizeof r);
    r.b = x[k];
    r.n = n + 2;
    r.i = 0;
    if (!(d[k] = wxpay__js_string(&r, 1))) return 0; /* checked before: cannot be */
  }
  return wxpay__streq(d[0], d[1]);
}

/* 1 when two member names, as received, are the same string once decoded;
   a_esc and b_esc say which hold an escape. Only those are decoded (on the
   stack: wxpay__js_decoded_same). */
static int wxpay__js_same_name(const char *a, size_t an, int a_esc, const char *b, size_t bn,
                               int b_esc) {
  if (!a_esc && !b_esc) return an == bn && !memcmp(a, b, an);
  return wxpay__js_decoded_same(a, an, b, bn);
}

/* Whether member t is the first of its name in its object (which opened
   at open_at). The object's names so far are sketched in bits from
   sketch_from to 63 of *seen (the bits below are the caller's), one bit a
   name by (first two bytes, last byte, length): only a name whose bit is
   set already makes the object be walked again from its start, comparing
   names; names that share a prefix (sub_mchid, sub_appid) or a length
   still mostly fall apart. A name with an escape is always compared, and
   sets every bit: its bytes are not its string. Returns 0 for a duplicate,
   j->i then at its name. */
static int wxpay__js_new_name(wxpay__js *j, const wxpay__js_tok *t, uint64_t *seen,
                              unsigned sketch_from, size_t open_at) {
  const unsigned last = t->key_len ? (unsigned char)t->key[t->key_len - 1] : 0u;
  const unsigned bit = sketch_from + (((unsigned char)t->key[0] * 31u +
                                       (unsigned char)t->key[1] * 17u + last * 7u +
                                       (unsigned)t->key_len) & (63u - sketch_from));
  if ((*seen >> bit & 1u) || t->key_escaped) {
    wxpay__js r; /* the object again, from its first member to this one */
    wxpay__js_tok u;
    memset(&r, 0, sizeof r);
    r.b = j->b;
    r.n = j->n;
    r.i = open_at;
    r.kinds = 1;
    r.depth = 1;
    r.checked = 1; /* the walk has read it all */
    while (wxpay__js_next(&r, &u) && u.key != t->key)
      if (u.key && r.depth - (unsigned)(u.type == '{' || u.type == '[') == 1 &&
          wxpay__js_same_name(u.key, u.key_len, u.key_escaped, t->key, t->key_len,
                              t->key_escaped)) {
        j->i = (size_t)(t->key - 1 - j->b);
        return 0;
      }
  }
  *seen |= t->key_escaped ? ~(uint64_t)0 << sketch_from : (uint64_t)1 << bit;
  return 1;
}

/* Steps over one value of any kind, checking its syntax, its depth and
   that no object in it names a member twice. Returns 0 when bad, j->i at
   the bad byte (a duplicate: its name). */
static int wxpay__js_skip(wxpay__js *j) {
  size_t open_at[WXPAY__JS_DEPTH];
  uint64_t seen[WXPAY__JS_DEPTH];
  wxpay__js_tok t;
  j->kinds = 0;
  j->depth = 0;
  j->after = 0;
  do {
    if (!wxpay__js_next(j, &t)) return 0;
    if (t.key) {
      const unsigned level = j->depth - 1u - (unsigned)(t.type == '{' || t.type == '[');
      if (!wxpay__js_new_name(j, &t, &seen[level], 0, open_at[level])) return 0;
    }
    if (t.type == '{') {
      open_at[j->depth - 1] = j->i;
      seen[j->depth - 1] = 0;
    }
  } while (j->depth);
  return 1;
}
static wxpay_err wxpay__js_error(wxpay__js *j, const char **code,
                                 const char **message, const char **detail) {
  size_t detail_end = 0;
  wxpay__js_ws(j);
  if (j->i >= j->n || j->b[j->i++] != '{') return WXPAY_ERR_JSON;
  wxpay__js_ws(j);
  if (j->i < j->n && j->b[j->i] == '}') {
    j->i++;
  } else {
    unsigned seen = 0; /* one bit per member we keep: a second one is refused,
                          whatever the first held ("" included) */
    for (;;) {
      const char *key, **slot = NULL;
      unsigned bit = 0;
      wxpay__js_ws(j);
      if (j->i >= j->n || j->b[j->i] != '"' || !(key = wxpay__js_string(j, 1)))
        return WXPAY_ERR_JSON;
      wxpay__js_ws(j);
      if (j->i >= j->n || j->b[j->i++] != ':') return WXPAY_ERR_JSON;
      wxpay__js_ws(j);
      if (wxpay__streq(key, "code")) slot = code, bit = 1;
      else if (wxpay__streq(key, "message")) slot = message, bit = 2;
      else if (wxpay__streq(key, "detail")) slot = detail, bit = 4;
      if (seen & bit) return WXPAY_ERR_JSON; /* the same member twice */
      seen |= bit;
      if (slot == detail) {
        *detail = j->b + j->i;
        if (!wxpay__js_skip(j)) return WXPAY_ERR_JSON;
        detail_end = j->i; /* past at least one byte: a value is never empty */
      } else if (slot) {
        if (j->i >= j->n || j->b[j->i] != '"' || !(*slot = wxpay__js_string(j, 1)))
          return WXPAY_ERR_JSON;
      } else if (!wxpay__js_skip(j)) {
        return WXPAY_ERR_JSON;
      }
      wxpay__js_ws(j);
      if (j->i >= j->n) return WXPAY_ERR_JSON;
      if (j->b[j->i] == '}') { j->i++; break; }
      if (j->b[j->i++] != ',') return WXPAY_ERR_JSON;
    }
  }
  wxpay__js_ws(j);
  if (j->i != j->n) return WXPAY_ERR_JSON;
  if (detail_end) j->b[detail_end] = '\0'; /* over the ',' or '}' read after it */
  return WXPAY_OK;
}

WXPAY_DEF wxpay_err wxpay_json_error_read(char *body, size_t len, const char **code,
                                          const char **message, const char **detail,
                                          size_t *error_offset) {
  wxpay__js j;
  const char *c = "", *m = "", *d = "";
  wxpay_err e;
  if (error_offset) *error_offset = 0;
  if (code) *code = "";
  if (message) *message = "";
  if (detail) *detail = "";
  if (!body) return WXPAY_ERR_ARG;
  memset(&j, 0, sizeof j);
  j.b = body;
  j.n = len;
  e = wxpay__js_error(&j, &c, &m, &d);
  if (e) {
    if (error_offset) *error_offset = j.i;
    return e;
  }
  if (code) *code = c;
  if (message) *message = m;
  if (detail) *detail = d;
  return WXPAY_OK;
}

/* >>order: a query's answer, walked once to keep the members it knows.
   Every member it knows, once: the object it sits in, its name, what it
   holds, where it goes, and whether it is required (1: always, 2: in
   APIv3). The rows of one object stay together: a name is looked for from
   its object's first row to its last. Anything else is skipped, whatever
   it holds; a member that is null counts as absent. */
enum { WXPAY__JN_SKIP, WXPAY__JN_V3, WXPAY__JN_V2, WXPAY__JN_SCENE, WXPAY__JN_PAYER,
       WXPAY__JN_SUB, WXPAY__JN_AMOUNT,
       WXPAY__JN_SUBS, /* an array of JN_SUB objects */
       WXPAY__JN_DOC   /* the document: one object, JN_V3 or JN_V2 */ };
enum { WXPAY__JK_ORDER_STR, WXPAY__JK_SUB_STR, WXPAY__JK_SUB_AMOUNT, WXPAY__JK_COUNT,
       WXPAY__JK_OBJECT, WXPAY__JK_LIST };
#define WXPAY__OS(f) offsetof(wxpay_order, f)
#define WXPAY__SS(f) offsetof(wxpay_query_sub_order, f)
#define WXPAY__ORDER_MEMBERS(X) \
  X(V3,     combine_appid,        ORDER_STR,  WXPAY__OS(combine_appid), 1) \
  X(V3,     combine_mchid,        ORDER_STR,  WXPAY__OS(combine_mchid), 1) \
  X(V3,     combine_out_trade_no, ORDER_STR,  WXPAY__OS(combine_out_trade_no), 1) \
  X(V3,     scene_info,           OBJECT,     WXPAY__JN_SCENE, 0) \
  X(V3,     combine_payer_info,   OBJECT,     WXPAY__JN_PAYER, 0) \
  X(V3,     sub_orders,           LIST,       WXPAY__JN_SUBS, 1) \
  X(SCENE,  device_id,            ORDER_STR,  WXPAY__OS(device_info), 0) \
  X(PAYER,  openid,               ORDER_STR,  WXPAY__OS(combine_openid), 0) \
  X(V2,     order_num,            COUNT,      0, 1) \
  X(V2,     order_list,           LIST,       WXPAY__JN_SUBS, 1) \
  X(SUB,    mchid,                SUB_STR,    WXPAY__SS(mchid), 1) \
  X(SUB,    sub_mchid,            SUB_STR,    WXPAY__SS(sub_mchid), 0) \
  X(SUB,    out_trade_no,         SUB_STR,    WXPAY__SS(out_trade_no), 1) \
  X(SUB,    trade_state,          SUB_STR,    WXPAY__SS(trade_state), 2) \
  X(SUB,    transaction_id,       SUB_STR,    WXPAY__SS(transaction_id), 0) \
  X(SUB,    trade_type,           SUB_STR,    WXPAY__SS(trade_type), 0) \
  X(SUB,    success_time,         SUB_STR,    WXPAY__SS(success_time), 0) \
  X(SUB,    attach,               SUB_STR,    WXPAY__SS(attach), 0) \
  X(SUB,    amount,               OBJECT,     WXPAY__JN_AMOUNT, 0) \
  X(AMOUNT, total_amount,         SUB_AMOUNT, WXPAY__SS(total_amount), 0) \
  X(AMOUNT, payer_amount,         SUB_AMOUNT, WXPAY__SS(payer_amount), 0) \
  X(AMOUNT, currency,             SUB_STR,    WXPAY__SS(currency), 0)
#define WXPAY__OM_NAME(node, name, kind, arg, req) #name "\0"
static const char wxpay__order_names[] = WXPAY__ORDER_MEMBERS(WXPAY__OM_NAME);
/* each name's offset in wxpay__order_names, as for WXPAY__NAMES */
#define WXPAY__OM_SLOT(node, name, kind, arg, req) char node##_##name[sizeof #name];
struct wxpay__om_layout { WXPAY__ORDER_MEMBERS(WXPAY__OM_SLOT) char end; };
typedef char wxpay__om_packed[sizeof(struct wxpay__om_layout) == sizeof wxpay__order_names
                              ? 1 : -1];
#define WXPAY__OM_ROW(node, name, kind, arg, req)                                      \
  {WXPAY__JN_##node, WXPAY__JK_##kind, (unsigned char)(req),                           \
   (unsigned char)(sizeof #name - 1),                                                 \
   (unsigned short)offsetof(struct wxpay__om_layout, node##_##name), (unsigned short)(arg)},
static const struct wxpay__order_member {
  unsigned char node, kind, required, name_len;
  unsigned short name_at; /* in wxpay__order_names */
  unsigned short arg;     /* an offset into wxpay_order or the sub-order, or a node */
} wxpay__order_members[] = {WXPAY__ORDER_MEMBERS(WXPAY__OM_ROW)};
#undef WXPAY__OM_NAME
#undef WXPAY__OM_SLOT
#undef WXPAY__OM_ROW
#undef WXPAY__OS
#undef WXPAY__SS
enum { WXPAY__OM_COUNT = sizeof wxpay__order_members / sizeof wxpay__order_members[0] };
/* A level's names (names[] in wxpay__order_read): in an object the reader
   knows, a bit for each row it has had, bit 31 when a required one was
   null, and a sketch of the other names from bit 32 on (wxpay__js_new_name);
   in any other, the sketch takes all 64 bits. */
#define WXPAY__OM_NULLED ((uint64_t)1 << 31)
#define WXPAY__OM_SKETCH 32
typedef char wxpay__om_fit[WXPAY__OM_COUNT <= 31 ? 1 : -1];

/* The trade states' names, packed in the order of their ids. */
#define WXPAY__TRADE_NAME(id, text) #id "\0"
static const char wxpay__trade_names[] = WXPAY_TRADE_STATES(WXPAY__TRADE_NAME);

static wxpay_trade_state wxpay__trade_state(const char *s) {
  unsigned i = wxpay__find(wxpay__trade_names, WXPAY_TRADE_COUNT, s);
  return i == WXPAY_TRADE_COUNT ? WXPAY_TRADE_UNKNOWN : (wxpay_trade_state)i;
}

/* A JSON number that is an amount in fen: digits only (no sign, fraction or
   exponent), at most INT64_MAX; -1 when it is not. */
static int64_t wxpay__js_amount(const char *p, size_t len) {
  int64_t v = 0;
  size_t k;
  for (k = 0; k < len; k++) {
    int d = p[k] - '0';
    /* v * 10 + d <= INT64_MAX, with constants only: no 64-bit division,
       which a 32-bit core would link from libgcc */
    if (d < 0 || d > 9 || v > INT64_MAX / 10 || (v == INT64_MAX / 10 && d > INT64_MAX % 10))
      return -1;
    v = v * 10 + d;
  }
  return len ? v : -1;
}

static void wxpay__order_clear(wxpay_order *o) {
  wxpay_query_sub_order *subs = o->sub_orders;
  size_t cap = o->sub_order_cap;
  memset(o, 0, sizeof *o);
  o->combine_appid = o->combine_mchid = o->combine_out_trade_no = o->combine_openid =
      o->device_info = o->trade_state = o->trade_state_desc = "";
  o->sub_orders = subs;
  o->sub_order_cap = cap;
}

static void wxpay__sub_clear(wxpay_query_sub_order *s) {
  memset(s, 0, sizeof *s);
  s->mchid = s->sub_mchid = s->out_trade_no = s->trade_state = s->transaction_id =
      s->trade_type = s->currency = s->success_time = s->attach = "";
  s->total_amount = s->payer_amount = WXPAY_AMOUNT_ABSENT;
}

#define WXPAY__AT(base, off, type) (*(type *)(void *)((char *)(base) + (off)))

/* The first row of an object of node's; WXPAY__OM_COUNT when it has none. */
static unsigned wxpay__om_first(unsigned node) {
  unsigned k = 0;
  while (k < WXPAY__OM_COUNT && wxpay__order_members[k].node != node) k++;
  return k;
}

/* The row member t names, in an object whose rows start at first; NULL
   for a member it does not know. A name spelt with escapes is decoded to
   be compared: an escaped spelling of a known member is that member. */
static const struct wxpay__order_member *wxpay__om_find(unsigned first, const wxpay__js_tok *t) {
  const struct wxpay__order_member *m = &wxpay__order_members[first];
  const struct wxpay__order_member *const end = wxpay__order_members + WXPAY__OM_COUNT;
  const unsigned node = m->node;
  for (; m < end && m->node == node; m++) {
    const char *name = wxpay__order_names + m->name_at;
    if (wxpay__js_same_name(name, m->name_len, 0, t->key, t->key_len, t->key_escaped)) return m;
  }
  return NULL;
}

/* 1 when an object whose rows start at first, having had the names in
   names (WXPAY__OM_SKETCH), lacks a required one (or had it null). */
static int wxpay__om_lacks(unsigned first, uint64_t names, int v3) {
  const unsigned node = wxpay__order_members[first].node;
  unsigned k;
  if (names & WXPAY__OM_NULLED) return 1;
  for (k = first; k < WXPAY__OM_COUNT && wxpay__order_members[k].node == node; k++)
    if (!(names >> k & 1u) && (wxpay__order_members[k].required == 1 ||
                               (wxpay__order_members[k].required == 2 && v3)))
      return 1;
  return 0;
}

/* A string value kept, just read from at: one with no escape is ended
   now with a NUL over its closing quote (a walk back over it takes the NUL
   for the quote); one with an escape is left at its opening quote, to be
   decoded once no walk can come back (a decoded quote or backslash would
   mislead it). */
static const char *wxpay__om_keep(wxpay__js *j, size_t at) {
  if (j->escaped) return j->b + at;
  j->b[j->i - 1] = '\0';
  return j->b + at + 1;
}

/* A slot left at an opening quote (wxpay__om_keep): the string decoded in
   place, the slot at its text. Any other slot starts with no quote: a
   string with no escape holds none, and one the walk did not set is "". */
static void wxpay__om_decode(wxpay__js *j, const char **slot) {
  if (**slot != '"') return;
  j->i = (size_t)(*slot - j->b);
  *slot = wxpay__js_string(j, 1); /* checked by the walk: cannot fail */
}

/* Reads an APIv3 answer (v3 set) or APIv2's sub_order_list into o, in one
   walk that checks the text, refuses a name twice in any object (a known
   member's by its bit in names[], any other's through wxpay__js_new_name) and
   keeps what it knows. Errors: WXPAY_ERR_JSON (bad, truncated, too deep, a
   duplicate, a value of the wrong kind, a bad amount), WXPAY_ERR_QUERY_FIELDS
   (a required member missing, order_num other than the list's length),
   WXPAY_ERR_BUFFER (more sub-orders than o->sub_order_cap;
   o->sub_order_count says how many); *at gets the offset where reading
   stopped. Text that is not JSON is told before what it means: an error
   of meaning waits in late until the walk has read the whole. */
static wxpay_err wxpay__order_read(char *b, size_t n, int v3, wxpay_order *o, size_t *at) {
  unsigned char node[WXPAY__JS_DEPTH + 1];  /* what each open level is */
  unsigned char first[WXPAY__JS_DEPTH + 1]; /* its first row */
  uint64_t names[WXPAY__JS_DEPTH + 1];      /* the names it has had (WXPAY__OM_SKETCH) */
  size_t open_at[WXPAY__JS_DEPTH + 1];      /* where it opened */
  wxpay_query_sub_order *sub = NULL;        /* the sub-order read, if it fits */
  int64_t order_num = -1;
  size_t count = 0, late_at = 0, i;
  wxpay_err e = WXPAY_OK, late = WXPAY_OK;
  wxpay__js j;
  wxpay__js_tok t;
  unsigned k;
  memset(&j, 0, sizeof j);
  j.b = b;
  j.n = n;
  node[0] = WXPAY__JN_DOC;
  do {
    unsigned level, inner = WXPAY__JN_SKIP;
    const struct wxpay__order_member *m = NULL;
    int wrong = 0;
    if (!wxpay__js_next(&j, &t)) goto bad;
    if (t.type == '}' || t.type == ']') {
      level = j.depth + 1; /* the level that ended */
      if (t.type == '}' && node[level] != WXPAY__JN_SKIP && !late &&
          wxpay__om_lacks(first[level], names[level], v3)) {
        late = WXPAY_ERR_QUERY_FIELDS;
        late_at = t.at;
      }
      if (node[level] == WXPAY__JN_SUB) sub = NULL;
      continue;
    }
    level = j.depth - (unsigned)(t.type == '{' || t.type == '[');
    if (t.key) {
      const struct wxpay__order_member *row =
          node[level] == WXPAY__JN_SKIP ? NULL : wxpay__om_find(first[level], &t);
      if (row) {
        const uint64_t bit = (uint64_t)1 << (row - wxpay__order_members);
        if (names[level] & bit) { /* a known member twice */
          j.i = (size_t)(t.key - 1 - b);
          goto bad;
        }
        names[level] |= bit;
        if (t.type != 'n') m = row; /* null: as if absent */
        else if (row->required == 1 || (row->required == 2 && v3)) names[level] |= WXPAY__OM_NULLED;
      } else if (!wxpay__js_new_name(&j, &t, &names[level],
                                     node[level] == WXPAY__JN_SKIP ? 0 : WXPAY__OM_SKETCH,
                                     open_at[level])) {
        goto bad;
      }
    }
    if (node[level] == WXPAY__JN_DOC || node[level] == WXPAY__JN_SUBS) {
      wrong = t.type != '{'; /* the document, or a sub-order */
      inner = node[level] == WXPAY__JN_SUBS ? WXPAY__JN_SUB : v3 ? WXPAY__JN_V3 : WXPAY__JN_V2;
      if (!wrong && inner == WXPAY__JN_SUB) {
        sub = ++count <= o->sub_order_cap ? &o->sub_orders[count - 1] : NULL;
        if (sub) wxpay__sub_clear(sub);
      }
    } else if (t.type == '{' || t.type == '[') {
      if (m) {
        wrong = t.type != (m->kind == WXPAY__JK_LIST ? '[' : '{') ||
                (m->kind != WXPAY__JK_LIST && m->kind != WXPAY__JK_OBJECT);
        inner = m->arg;
      }
    } else if (m) {
      if (m->kind == WXPAY__JK_ORDER_STR || m->kind == WXPAY__JK_SUB_STR) {
        const char **slot = m->kind == WXPAY__JK_ORDER_STR ? &WXPAY__AT(o, m->arg, const char *)
                            : sub ? &WXPAY__AT(sub, m->arg, const char *) : NULL;
        wrong = t.type != '"';
        if (!wrong && slot) *slot = wxpay__om_keep(&j, t.at);
      } else if (m->kind == WXPAY__JK_SUB_AMOUNT || m->kind == WXPAY__JK_COUNT) {
        int64_t v; /* the step ended right after the number */
        wrong = t.type != '0' || (v = wxpay__js_amount(b + t.at, j.i - t.at)) < 0;
        if (!wrong && m->kind == WXPAY__JK_COUNT) order_num = v;
        else if (!wrong && sub) WXPAY__AT(sub, m->arg, int64_t) = v;
      } else {
        wrong = 1; /* an object or a list where a scalar is */
      }
    }
    if (wrong && !late) { /* a value of the wrong kind: where it starts */
      late = WXPAY_ERR_JSON;
      late_at = t.at;
    }
    if (t.type == '{' || t.type == '[') {
      node[j.depth] = (unsigned char)(wrong ? (unsigned)WXPAY__JN_SKIP : inner);
      first[j.depth] = (unsigned char)(node[j.depth] == WXPAY__JN_SKIP ? 0 : wxpay__om_first(inner));
      names[j.depth] = 0;
      open_at[j.depth] = j.i;
    }
  } while (j.depth);
  wxpay__js_ws(&j);
  if (j.i != n) goto bad;
  *at = late_at;
  o->sub_order_count = count;
  if ((e = late) != WXPAY_OK) goto drop;
  e = count > o->sub_order_cap ? WXPAY_ERR_BUFFER /* never a part as the whole */
      : !v3 && (uint64_t)order_num != count ? WXPAY_ERR_QUERY_FIELDS : WXPAY_OK;
  if (e) goto drop;
  /* the kept strings that hold an escape, decoded now that no walk goes
     back over them */
  for (k = 0; k < WXPAY__OM_COUNT; k++) {
    const struct wxpay__order_member *m = &wxpay__order_members[k];
    if (m->kind == WXPAY__JK_ORDER_STR && v3) /* APIv2's come from the XML */
      wxpay__om_decode(&j, &WXPAY__AT(o, m->arg, const char *));
    for (i = 0; m->kind == WXPAY__JK_SUB_STR && i < count; i++)
      wxpay__om_decode(&j, &WXPAY__AT(&o->sub_orders[i], m->arg, const char *));
  }
  for (i = 0; i < count; i++) {
    sub = &o->sub_orders[i];
    if (!*sub->trade_state) sub->trade_state = o->trade_state; /* APIv2 has one for all */
    sub->state = wxpay__trade_state(sub->trade_state);
  }
  return WXPAY_OK;
bad:
  *at = j.i;
  e = WXPAY_ERR_JSON;
drop: /* no half-read sub-order is left behind */
  for (i = 0; i < count && i < o->sub_order_cap; i++) wxpay__sub_clear(&o->sub_orders[i]);
  return e;
}

/* >>v3 */
/* The client's APIv3 settings: mchid, serial_no, wechatpay_serial when set,
   the signer and the verifier; *field names what is wrong. */
static wxpay_err wxpay__v3_client_check(const wxpay_client *client, const char **field) {
  wxpay_err e;
  *field = "mchid";
  if ((e = wxpay__check(client->mchid, WXPAY__MCHID)) != WXPAY_OK) return e;
  *field = "serial_no";
  if ((e = wxpay__check(client->serial_no, WXPAY__SERIAL)) != WXPAY_OK) return e;
  *field = "wechatpay_serial";
  if (client->wechatpay_serial && *client->wechatpay_serial &&
      (e = wxpay__check(client->wechatpay_serial, WXPAY__SERIAL)) != WXPAY_OK)
    return e;
  *field = !client->v3_sign ? "v3_sign" : "v3_verify";
  if (!client->v3_sign || !client->v3_verify) return WXPAY_ERR_V3_CONFIG;
  return WXPAY_OK;
}

static wxpay_err wxpay__v3_validate(const wxpay_client *client, const wxpay_v3_close_req *req,
                                    const char **bad_field, size_t *bad_index,
                                    long long *wait) {
  const char *field = NULL;
  size_t index = 0;
  wxpay_err e;
  if (bad_field) *bad_field = NULL;
  if (bad_index) *bad_index = 0;
  if (!client || !req) return WXPAY_ERR_ARG;
  if ((e = wxpay__v3_client_check(client, &field)) != WXPAY_OK) goto fail;
  field = wxpay__field_name(WXPAY__F_combine_appid);
  if ((e = wxpay__check(req->combine_appid, WXPAY__APPID)) != WXPAY_OK) goto fail;
  field = wxpay__field_name(WXPAY__F_combine_out_trade_no);
  if ((e = wxpay__check(req->combine_out_trade_no, WXPAY__ORDER_NO)) != WXPAY_OK) goto fail;
  field = wxpay__field_name(WXPAY__F_nonce_str);
  if (req->nonce_str && (e = wxpay__check(req->nonce_str, WXPAY__V3_NONCE)) != WXPAY_OK)
    goto fail;
  field = wxpay__field_name(WXPAY__F_sub_orders);
  e = req->sub_order_count < 1 || req->sub_order_count > WXPAY_V3_MAX_SUB_ORDERS
          ? WXPAY_ERR_SUB_ORDER_COUNT : !req->sub_orders ? WXPAY_ERR_ARG : WXPAY_OK;
  if (e != WXPAY_OK) goto fail;
  for (index = 0; index < req->sub_order_count; index++) {
    const wxpay_v3_sub_order *s = &req->sub_orders[index];
    field = wxpay__field_name(WXPAY__F_sub_orders_mchid);
    if ((e = wxpay__check(s->mchid, WXPAY__MCHID)) != WXPAY_OK) goto fail;
    field = wxpay__field_name(WXPAY__F_sub_orders_out_trade_no);
    if ((e = wxpay__check(s->out_trade_no, WXPAY__ORDER_NO)) != WXPAY_OK) goto fail;
    field = "sub_orders.sub_mchid";
    if (s->sub_mchid && *s->sub_mchid && (e = wxpay__check(s->sub_mchid, WXPAY__MCHID)) != WXPAY_OK)
      goto fail;
    field = "sub_orders.sub_appid";
    if (s->sub_appid && *s->sub_appid && (e = wxpay__check(s->sub_appid, WXPAY__APPID)) != WXPAY_OK)
      goto fail;
    field = "sub_orders.individual_auth_id";
    if (s->individual_auth_id && *s->individual_auth_id &&
        (e = wxpay__check(s->individual_auth_id, WXPAY__SERIAL)) != WXPAY_OK)
      goto fail;
  }
  index = 0;
  if (wait && (*wait = wxpay__wait(client, req->created_at)) != 0) {
    field = wxpay__field_name(WXPAY__F_created_at);
    e = WXPAY_ERR_TOO_EARLY;
    goto fail;
  }
  return WXPAY_OK;
fail:
  if (bad_field) *bad_field = field;
  if (bad_index) *bad_index = index;
  return e;
}

WXPAY_DEF long long wxpay_v3_close_wait_seconds(const wxpay_client *client,
                                                const wxpay_v3_close_req *req) {
  return client && req ? wxpay__wait(client, req->created_at) : 0;
}

WXPAY_DEF wxpay_err wxpay_v3_close_validate(const wxpay_client *client,
                                            const wxpay_v3_close_req *req,
                                            const char **bad_field, size_t *bad_index) {
  long long wait;
  return wxpay__v3_validate(client, req, bad_field, bad_index, &wait);
}

static void wxpay__v3_member(wxpay__out *o, const char *lead, const char *value) {
  wxpay__puts(o, lead);
  wxpay__json_str(o, value);
}

static void wxpay__v3_body(wxpay__out *o, const wxpay_v3_close_req *req) {
  size_t i;
  wxpay__v3_member(o, "{\"combine_appid\":", req->combine_appid);
  wxpay__puts(o, ",\"sub_orders\":[");
  for (i = 0; i < req->sub_order_count; i++) {
    const wxpay_v3_sub_order *s = &req->sub_orders[i];
    wxpay__v3_member(o, i ? ",{\"mchid\":" : "{\"mchid\":", s->mchid);
    wxpay__v3_member(o, ",\"out_trade_no\":", s->out_trade_no);
    if (s->individual_auth_id && *s->individual_auth_id)
      wxpay__v3_member(o, ",\"individual_auth_id\":", s->individual_auth_id);
    if (s->sub_mchid && *s->sub_mchid) wxpay__v3_member(o, ",\"sub_mchid\":", s->sub_mchid);
    if (s->sub_appid && *s->sub_appid) wxpay__v3_member(o, ",\"sub_appid\":", s->sub_appid);
    wxpay__put(o, "}", 1);
  }
  wxpay__put(o, "]}", 2);
}


/* Splits a host URL: *origin_len bytes of scheme and authority, then the
   path it may carry (a gateway's prefix, without trailing slashes), which
   is sent and so signed before the API path. */
static const char *wxpay__v3_prefix(const char *host, size_t *origin_len, size_t *prefix_len) {
  const char *p = host, *q;
  while (*p && !(p[0] == ':' && p[1] == '/' && p[2] == '/')) p++;
  p = *p ? p + 3 : host;
  while (*p && *p != '/') p++;
  *origin_len = (size_t)(p - host);
  for (q = p + wxpay__len(p); q > p && q[-1] == '/'; q--) {}
  *prefix_len = (size_t)(q - p);
  return p;
}

/* The URL path, the close's (get 0) or the query's (get 1); an order
   number's '|' goes (and is signed) as %7C, as it is no URL path character. */
static void wxpay__v3_path(wxpay__out *o, const char *prefix, size_t prefix_len,
                           const char *no, int get) {
  const char *run = no;
  wxpay__raw(o, prefix, prefix_len);
  wxpay__raw(o, WXPAY_V3_PATH_PREFIX, sizeof WXPAY_V3_PATH_PREFIX - 1);
  for (; *no; no++)
    if (*no == '|') {
      wxpay__raw(o, run, (size_t)(no - run));
      wxpay__raw(o, "%7C", 3);
      run = no + 1;
    }
  wxpay__raw(o, run, (size_t)(no - run));
  if (!get) wxpay__raw(o, "/close", 6);
}

#define WXPAY__V3_SIG_B64 ((WXPAY_V3_SIG_MAX + 2) / 3 * 4)

/* Lays out out as [path NUL][message NUL][authorization NUL]; the body is
   written once, inside the message. get: the query's GET, whose body line
   is empty (req gives only the order number, nonce and timestamp). */
static wxpay_err wxpay__v3_build(const wxpay_client *client, const wxpay_v3_close_req *req,
                                 int get, const char *prefix, size_t prefix_len, char *out,
                                 size_t cap, wxpay_v3_request *b) {
  wxpay__out o;
  unsigned char digest[32], sig[WXPAY_V3_SIG_MAX];
  char num[21];
  const char *ts;
  size_t msg_at, body_at, auth_at, sig_len = 0;
  wxpay_err e;
  int rc;
  b->timestamp = req->timestamp > 0 ? req->timestamp : wxpay__now(client);
  if (b->timestamp < 0) return WXPAY_ERR_CLOCK;
  if (req->nonce_str) wxpay__copy(b->nonce_str, req->nonce_str, wxpay__len(req->nonce_str) + 1);
  else if ((e = wxpay_nonce(client, b->nonce_str)) != WXPAY_OK) return e;
  ts = wxpay__lltoa(b->timestamp, num);

  memset(&o, 0, sizeof o);
  o.buf = out;
  o.cap = cap;
  wxpay__v3_path(&o, prefix, prefix_len, req->combine_out_trade_no, get);
  wxpay__raw(&o, "", 1);
  msg_at = o.len;
  if (get) wxpay__raw(&o, "GET\n", 4);
  else wxpay__raw(&o, "POST\n", 5);
  wxpay__v3_path(&o, prefix, prefix_len, req->combine_out_trade_no, get);
  wxpay__raw(&o, "\n", 1);
  wxpay__puts(&o, ts);
  wxpay__raw(&o, "\n", 1);
  wxpay__puts(&o, b->nonce_str);
  wxpay__raw(&o, "\n", 1);
  body_at = o.len;
  if (!get) wxpay__v3_body(&o, req);
  b->body_len = o.len - body_at;
  wxpay__raw(&o, "\n", 1);
  b->message_len = o.len - msg_at;
  wxpay__raw(&o, "", 1);
  auth_at = o.len;
  wxpay__puts(&o, "WECHATPAY2-SHA256-RSA2048 mchid=\"");
  wxpay__puts(&o, client->mchid);
  wxpay__puts(&o, "\",serial_no=\"");
  wxpay__puts(&o, client->serial_no);
  wxpay__puts(&o, "\",timestamp=\"");
  wxpay__puts(&o, ts);
  wxpay__puts(&o, "\",nonce_str=\"");
  wxpay__puts(&o, b->nonce_str);
  wxpay__puts(&o, "\",signature=\"");
  if (o.len + WXPAY__V3_SIG_B64 + 2 > cap) { /* room for the longest signature */
    b->used = o.len + WXPAY__V3_SIG_B64 + 2;
    if (cap) out[0] = '\0';
    return WXPAY_ERR_BUFFER;
  }
  wxpay_sha256(out + msg_at, b->message_len, digest);
  rc = client->v3_sign(client->v3_sign_user, (const unsigned char *)out + msg_at,
                       b->message_len, digest, sig, sizeof sig, &sig_len);
  if (rc != 0 || sig_len == 0 || sig_len > sizeof sig) {
    wxpay__wipe(sig, sizeof sig);
    out[0] = '\0';
    return WXPAY_ERR_SIGNER;
  }
  o.len += wxpay_base64_encode(sig, sig_len, out + o.len, cap - o.len);
  wxpay__raw(&o, "\"", 2); /* and the NUL */
  b->path = out;
  b->message = out + msg_at;
  b->body = out + body_at;
  b->authorization = out + auth_at;
  b->used = o.len;
  return WXPAY_OK;
}

/* wxpay__v3_build() for client->v3_host; on failure only built->used is
   kept. */
static wxpay_err wxpay__v3_build_at_host(const wxpay_client *client,
                                         const wxpay_v3_close_req *req, int get, char *out,
                                         size_t cap, wxpay_v3_request *built) {
  size_t origin_len, prefix_len;
  const char *prefix = wxpay__v3_prefix(client->v3_host ? client->v3_host : WXPAY_V3_HOST,
                                        &origin_len, &prefix_len);
  wxpay_err e = wxpay__v3_build(client, req, get, prefix, prefix_len, out, cap, built);
  if (e != WXPAY_OK) {
    size_t used = built->used;
    memset(built, 0, sizeof *built);
    built->used = used;
  }
  return e;
}

WXPAY_DEF wxpay_err wxpay_v3_close_build(const wxpay_client *client,
                                         const wxpay_v3_close_req *req, char *out,
                                         size_t cap, wxpay_v3_request *built) {
  wxpay_err e;
  if (!built) return WXPAY_ERR_ARG;
  memset(built, 0, sizeof *built);
  if (!out && cap) return WXPAY_ERR_ARG;
  if (cap) out[0] = '\0';
  if ((e = wxpay_v3_close_validate(client, req, NULL, NULL)) != WXPAY_OK) return e;
  return wxpay__v3_build_at_host(client, req, 0, out, cap, built);
}

static void wxpay__v3_resp_clear(wxpay_v3_close_resp *resp) {
  memset(resp, 0, sizeof *resp);
  resp->code = resp->message = resp->detail = resp->request_id = resp->serial = "";
}

/* The APIv3 error codes with an outcome of their own, one row each (the
   README's table gives each row's public source); any other code is
   REJECTED, or RETRY with a 5xx or 429 status. */
#define WXPAY__V3_CODES(X) \
  X(ORDER_CLOSED,        ALREADY_CLOSED) /* 400 */ \
  X(ORDERCLOSED,         ALREADY_CLOSED) \
  X(ORDER_PAID,          PAID) \
  X(ORDERPAID,           PAID) \
  X(ORDER_NOT_EXIST,     NOT_FOUND)      /* 404, the current status-code page */ \
  X(ORDERNOTEXIST,       NOT_FOUND)      /* 404, older pages */ \
  X(RESOURCE_NOT_EXISTS, NOT_FOUND) \
  X(USERPAYING,          PAYING)         /* 202 */ \
  X(USER_PAYING,         PAYING) \
  X(SYSTEM_ERROR,        RETRY)          /* 500 */ \
  X(SYSTEMERROR,         RETRY) \
  X(SERVICE_UNAVAILABLE, RETRY)          /* 502, 503 */ \
  X(FREQUENCY_LIMITED,   RETRY)          /* 429 */ \
  X(RATELIMIT_EXCEEDED,  RETRY) \
  X(RULE_LIMIT,          RETRY)          /* 403: a frequency limit by business rule */ \
  X(RULELIMIT,           RETRY)
static const char wxpay__v3_codes[] = WXPAY__V3_CODES(WXPAY__CODE_NAME);
static const unsigned char wxpay__v3_code_outcomes[] = {
    WXPAY__V3_CODES(WXPAY__CODE_OUTCOME) WXPAY_OUTCOME_REJECTED /* any other */};

static wxpay_outcome wxpay__v3_outcome(int status, const char *code) {
  const unsigned known = (unsigned)sizeof wxpay__v3_code_outcomes - 1;
  wxpay_outcome o =
      (wxpay_outcome)wxpay__v3_code_outcomes[wxpay__find(wxpay__v3_codes, known, code)];
  return o == WXPAY_OUTCOME_REJECTED && (status >= 500 || status == 429) ? WXPAY_OUTCOME_RETRY : o;
}

/* 1 when s is 1 to max visible ASCII characters. */
static int wxpay__visible(const char *s, size_t max) {
  size_t n = 0;
  for (; s[n]; n++)
    if (n == max || (unsigned char)s[n] <= 0x20 || (unsigned char)s[n] >= 0x7F) return 0;
  return n > 0;
}

/* The platform's signature over "timestamp\nnonce\nbody\n", then the
   timestamp against the clock. */
static wxpay_err wxpay__v3_verify(const wxpay_client *c, const wxpay_v3_resp_headers *h,
                                  const char *body, size_t len) {
  unsigned char digest[32], sig[WXPAY_V3_SIG_MAX];
  wxpay_sha256_ctx s;
  size_t n, sig_len;
  long long ts = 0, now;
  const char *p;
  int rc;
  if (!h->timestamp || !h->nonce || !h->signature || !h->serial) return WXPAY_ERR_NO_SIGNATURE;
  /* WeChat's deliberate wrong signature, sent now and then to see that we
     check: told apart so that the close can simply be made again */
  for (n = 0; n < 19 && h->signature[n] == "WECHATPAY/SIGNTEST/"[n]; n++) {
  } /* a byte at a time: never past a shorter signature's NUL */
  if (n == 19) return WXPAY_ERR_SIGNTEST;
  n = wxpay__strnlen(h->signature, WXPAY__V3_SIG_B64 + 1);
  sig_len = wxpay_base64_decode(h->signature, n, sig, sizeof sig);
  if (sig_len == (size_t)-1 || sig_len == 0 || h->signature[n] || !wxpay__visible(h->nonce, 64))
    return WXPAY_ERR_SIGNATURE;
  if (!wxpay__visible(h->serial, 64)) return WXPAY_ERR_UNKNOWN_SERIAL;
  for (p = h->timestamp; *p >= '0' && *p <= '9' && p - h->timestamp < 12; p++)
    ts = ts * 10 + (*p - '0');
  if (*p || p == h->timestamp) return WXPAY_ERR_STALE;
  wxpay_sha256_init(&s);
  wxpay_sha256_update(&s, h->timestamp, (size_t)(p - h->timestamp));
  wxpay_sha256_update(&s, "\n", 1);
  wxpay_sha256_update(&s, h->nonce, wxpay__len(h->nonce));
  wxpay_sha256_update(&s, "\n", 1);
  wxpay_sha256_update(&s, body, len);
  wxpay_sha256_update(&s, "\n", 1);
  wxpay_sha256_final(&s, digest);
  rc = c->v3_verify(c->v3_verify_user, h->serial, digest, sig, sig_len);
  if (rc == -1) return WXPAY_ERR_UNKNOWN_SERIAL;
  if (rc != 1) return WXPAY_ERR_SIGNATURE;
  if ((now = wxpay__now(c)) < 0) return WXPAY_ERR_CLOCK;
  if (ts - now > WXPAY_V3_MAX_SKEW || now - ts > WXPAY_V3_MAX_SKEW) return WXPAY_ERR_STALE;
  return WXPAY_OK;
}

/* An answer with any signature header is checked whole (an answer with
   none is verified = 0, which the callers judge). close: the close's
   answer, where a 204 with a body is refused before anything else. */
static wxpay_err wxpay__v3_signed(const wxpay_client *c, int status,
                                  const wxpay_v3_resp_headers *h, const char *body, size_t len,
                                  wxpay_v3_close_resp *resp, int close) {
  wxpay_err e;
  if (!c || (!body && len)) return WXPAY_ERR_ARG;
  if (!c->v3_verify) return WXPAY_ERR_V3_CONFIG;
  resp->http_status = status;
  if (h && h->serial) resp->serial = h->serial;
  /* The signature covers the body, not the status: a 204 that carries a
     body (a signed ORDER_PAID relabelled, say) is no close. */
  if (close && status == 204 && len) return WXPAY_ERR_STATUS_BODY;
  if (h && (h->timestamp || h->nonce || h->signature || h->serial)) {
    if ((e = wxpay__v3_verify(c, h, body, len)) != WXPAY_OK) return e;
    resp->verified = 1;
  }
  return WXPAY_OK;
}

/* An error body {"code","message","detail"} and the outcome its code maps
   to; unsigned, it may only say "not done, act": retry or fix the request. */
static wxpay_err wxpay__v3_error_body(int status, char *body, size_t len,
                                      wxpay_v3_close_resp *resp) {
  size_t i = 0;
  wxpay_err e;
  while (i < len && (body[i] == ' ' || body[i] == '\t' || body[i] == '\n' || body[i] == '\r')) i++;
  if (i < len && body[i] == '{' &&
      (e = wxpay_json_error_read(body, len, &resp->code, &resp->message, &resp->detail,
                                 &resp->error_offset)) != WXPAY_OK)
    return e;
  if (!*resp->code) /* not an answer of WeChat's */
    return status == 202 ? WXPAY_ERR_STATUS_BODY : WXPAY_ERR_HTTP_STATUS;
  resp->outcome = wxpay__v3_outcome(status, resp->code);
  /* 202 says only "the customer is paying" */
  if (status == 202 && resp->outcome != WXPAY_OUTCOME_PAYING) return WXPAY_ERR_STATUS_BODY;
  if (!resp->verified && resp->outcome != WXPAY_OUTCOME_RETRY &&
      resp->outcome != WXPAY_OUTCOME_REJECTED)
    return WXPAY_ERR_NO_SIGNATURE;
  return WXPAY_OK;
}

static wxpay_err wxpay__v3_parse(const wxpay_client *c, int status,
                                 const wxpay_v3_resp_headers *h, char *body, size_t len,
                                 wxpay_v3_close_resp *resp) {
  wxpay_err e;
  if ((e = wxpay__v3_signed(c, status, h, body, len, resp, 1)) != WXPAY_OK) return e;
  if (status == 204) {
    if (!resp->verified) return WXPAY_ERR_NO_SIGNATURE;
    resp->outcome = WXPAY_OUTCOME_CLOSED;
    return WXPAY_OK;
  }
  if (status != 202 && status < 400) return WXPAY_ERR_HTTP_STATUS;
  return wxpay__v3_error_body(status, body, len, resp);
}

WXPAY_DEF wxpay_err wxpay_v3_close_parse(const wxpay_client *client, int http_status,
                                         const wxpay_v3_resp_headers *headers, char *body,
                                         size_t len, wxpay_v3_close_resp *resp) {
  wxpay_err e;
  if (!resp) return WXPAY_ERR_ARG;
  wxpay__v3_resp_clear(resp);
  e = wxpay__v3_parse(client, http_status, headers, body, len, resp);
  if (e != WXPAY_OK) { /* nothing read is to be trusted; a 5xx or 429 that
                          is not WeChat's JSON still advises a retry */
    resp->verified = 0;
    resp->outcome = e == WXPAY_ERR_HTTP_STATUS && (http_status >= 500 || http_status == 429)
                        ? WXPAY_OUTCOME_RETRY : WXPAY_OUTCOME_NONE;
  }
  return e;
}

/* The response headers asked of the transport, and room for each value. */
#define WXPAY__V3_SLOT_LIST(X)                                                  \
  X(TIMESTAMP, "Wechatpay-Timestamp", 24)                                       \
  X(NONCE, "Wechatpay-Nonce", 72)                                               \
  X(SIGNATURE, "Wechatpay-Signature", WXPAY__V3_SIG_B64 + 16)                   \
  X(SERIAL, "Wechatpay-Serial", 72)                                             \
  X(REQUEST_ID, "Request-ID", 72)
#define WXPAY__V3_SLOT_ID(id, name, cap) WXPAY__V3_SLOT_##id,
#define WXPAY__V3_SLOT_SPACE(id, name, cap) char id[cap];
#define WXPAY__V3_SLOT_NAME(id, name, cap) name "\0"
#define WXPAY__V3_SLOT_CAP(id, name, cap) cap,
/* the values' room, one after another: its size is their sum */
struct wxpay__v3_slot_space { WXPAY__V3_SLOT_LIST(WXPAY__V3_SLOT_SPACE) };
enum { WXPAY__V3_SLOT_LIST(WXPAY__V3_SLOT_ID) WXPAY__V3_SLOTS,
       WXPAY__V3_SLOT_ROOM = sizeof(struct wxpay__v3_slot_space) };
static const char wxpay__v3_slot_names[] = WXPAY__V3_SLOT_LIST(WXPAY__V3_SLOT_NAME);
static const unsigned short wxpay__v3_slot_caps[] = {WXPAY__V3_SLOT_LIST(WXPAY__V3_SLOT_CAP)};
#undef WXPAY__V3_SLOT_ID
#undef WXPAY__V3_SLOT_SPACE
#undef WXPAY__V3_SLOT_NAME
#undef WXPAY__V3_SLOT_CAP
/* A slot's value, or when the answer did not carry the header, dflt. */
#define WXPAY__V3_SLOT(slots, id, dflt) \
  ((slots)[WXPAY__V3_SLOT_##id].found ? (slots)[WXPAY__V3_SLOT_##id].value : (dflt))

/* How an APIv3 exchange judges an answer: the close's or the query's. */
typedef wxpay_err (*wxpay__v3_parse_fn)(const wxpay_client *c, const void *req, int status,
                                        const wxpay_v3_resp_headers *h, char *body, size_t len,
                                        void *resp);

/* The attempts of an APIv3 call: build (the close's POST, or with get set
   the query's GET of req's order number), send, judge. A 5xx, a transport
   failure, a SYSTEM_ERROR and a SIGNTEST probe are tried again (both calls
   are re-entrant); any other untrustworthy answer is final. answer is the
   part of resp the close's rules fill. */
WXPAY__SHARED wxpay_err wxpay__v3_exchange(const wxpay_client *client, const wxpay_v3_close_req *req,
                                    int get, const void *parse_req, wxpay__v3_parse_fn parse,
                                    void *resp, wxpay_v3_close_resp *answer, char *work,
                                    size_t work_cap) {
  const char *name, *prefix;
  wxpay__tries t;
  wxpay_v3_request b;
  wxpay_v3_resp_headers rh;
  wxpay_header headers[5];
  wxpay_header_slot slots[WXPAY__V3_SLOTS];
  wxpay_http_req hreq;
  wxpay_http_resp hresp;
  wxpay_err e;
  wxpay_net net;
  size_t usable, hl, prefix_len, k, at, header_count;
  int status;
  char num[12];

  if (work_cap < WXPAY__V3_SLOT_ROOM + 512) return WXPAY_ERR_BUFFER;
  usable = work_cap - WXPAY__V3_SLOT_ROOM; /* the header values live past it */
  wxpay__tries_init(&t, client, client->v3_host, client->v3_backup_host, WXPAY_V3_HOST,
                    WXPAY_V3_BACKUP_HOST);
  k = 1; /* Authorization comes first; a GET has no body to describe */
  if (!get) {
    headers[k].name = "Content-Type";
    headers[k++].value = "application/json";
  }
  headers[k].name = "Accept";
  headers[k++].value = "application/json";
  headers[k].name = "User-Agent";
  headers[k++].value = client->user_agent ? client->user_agent : WXPAY__USER_AGENT;
  headers[k].name = "Wechatpay-Serial"; /* the platform key to answer with */
  headers[k].value = client->wechatpay_serial;
  if (client->wechatpay_serial && *client->wechatpay_serial) k++;
  header_count = k;

  while (wxpay__tries_next(&t)) {
    /* the URL is the host followed by the path the build writes first; a
       fresh timestamp, nonce and signature per attempt */
    const char *host = wxpay__tries_url(&t);
    prefix = wxpay__v3_prefix(host, &hl, &prefix_len);
    e = hl < usable
            ? wxpay__v3_build(client, req, get, prefix, prefix_len, work + hl, usable - hl, &b)
            : WXPAY_ERR_BUFFER;
    if (e == WXPAY_OK && usable - hl - b.used < 64) e = WXPAY_ERR_BUFFER;
    if (e != WXPAY_OK) {
      wxpay__v3_resp_clear(answer);
      answer->attempts = t.attempt - 1;
      return e;
    }
    wxpay__copy(work, host, hl);
    headers[0].name = "Authorization";
    headers[0].value = b.authorization;
    memset(&hreq, 0, sizeof hreq);
    hreq.method = get ? "GET" : "POST";
    hreq.url = work;
    hreq.headers = headers;
    hreq.header_count = header_count;
    hreq.body = b.body;
    hreq.body_len = b.body_len;
    memset(&hresp, 0, sizeof hresp);
    hresp.body = work + hl + b.used;
    hresp.body_cap = usable - hl - b.used;
    for (k = 0, at = usable, name = wxpay__v3_slot_names; k < WXPAY__V3_SLOTS;
         at += wxpay__v3_slot_caps[k++], name += wxpay__len(name) + 1) {
      memset(&slots[k], 0, sizeof slots[k]);
      slots[k].name = name;
      slots[k].value = work + at;
      slots[k].cap = wxpay__v3_slot_caps[k];
      slots[k].value[0] = '\0';
    }
    hresp.headers = slots;
    hresp.header_count = WXPAY__V3_SLOTS;
    net = wxpay__tries_send(&t, &hreq, &hresp);
    if (net == WXPAY_NET_TOO_LARGE) break;
    if (net != WXPAY_NET_OK) continue;
    status = hresp.status;
    rh.timestamp = WXPAY__V3_SLOT(slots, TIMESTAMP, NULL);
    rh.nonce = WXPAY__V3_SLOT(slots, NONCE, NULL);
    rh.signature = WXPAY__V3_SLOT(slots, SIGNATURE, NULL);
    rh.serial = WXPAY__V3_SLOT(slots, SERIAL, NULL);
    e = parse(client, parse_req, status, &rh, hresp.body, hresp.body_len, resp);
    answer->attempts = t.attempt;
    answer->net = net;
    answer->request_id = WXPAY__V3_SLOT(slots, REQUEST_ID, "");
    if (e != WXPAY_OK) { /* a status it does not expect, or an answer not to be trusted */
      if (e == WXPAY_ERR_HTTP_STATUS)
        wxpay__log(client, WXPAY_LOG_HTTP_STATUS, t.attempt, wxpay__itoa(status, num));
      else
        wxpay__log(client, WXPAY_LOG_UNTRUSTED, t.attempt, wxpay_err_name(e));
      if (wxpay__again(&t, status, e, 0)) continue;
      return e;
    }
    if (wxpay__again(&t, status, e, answer->outcome == WXPAY_OUTCOME_RETRY &&
                     (status >= 500 || wxpay__streq(answer->code, "SYSTEM_ERROR")))) {
      wxpay__log(client, WXPAY_LOG_RETRY, t.attempt, answer->code);
      continue;
    }
    wxpay__log(client, WXPAY_LOG_RESULT, t.attempt, wxpay_outcome_name(answer->outcome));
    return WXPAY_OK;
  }
  /* no attempt got an answer to judge */
  wxpay__v3_resp_clear(answer);
  answer->attempts = t.attempt;
  answer->net = t.net;
  answer->outcome = wxpay__gave_up(&t, 0);
  return t.last;
}

WXPAY__SHARED wxpay_err wxpay__v3_close_parse_any(const wxpay_client *c, const void *req, int status,
                                           const wxpay_v3_resp_headers *h, char *body,
                                           size_t len, void *resp) {
  (void)req;
  return wxpay_v3_close_parse(c, status, h, body, len, (wxpay_v3_close_resp *)resp);
}

WXPAY_DEF wxpay_err wxpay_v3_close(const wxpay_client *client, const wxpay_v3_close_req *req,
                                   wxpay_v3_close_resp *resp, char *work, size_t work_cap) {
  wxpay_err e;
  long long wait;

  if (!resp) return WXPAY_ERR_ARG;
  wxpay__v3_resp_clear(resp);
  if (!client || !req || !work) return WXPAY_ERR_ARG;
  if (!client->transport) return WXPAY_ERR_NO_TRANSPORT;
  if ((e = wxpay__v3_validate(client, req, NULL, NULL, &wait)) != WXPAY_OK) {
    if (e == WXPAY_ERR_TOO_EARLY) {
      resp->outcome = WXPAY_OUTCOME_RETRY;
      resp->retry_after = wait;
    }
    return e;
  }
  return wxpay__v3_exchange(client, req, 0, req, wxpay__v3_close_parse_any, resp, resp, work,
                            work_cap);
}

/* >>query: APIv2 pay/querycombinedorder. The close's writer, signature,
   reader and rules; the order's JSON through >>order. */
static wxpay_err wxpay__query_validate(const wxpay_client *client, const wxpay_query_req *req,
                                       const char **bad_field) {
  unsigned field = WXPAY__F_api_key;
  wxpay_err e = WXPAY_ERR_KEY;
  if (bad_field) *bad_field = NULL;
  if (!client || !req) return WXPAY_ERR_ARG;
  if (wxpay__key_len(client) != WXPAY_KEY_LEN) goto fail;
  for (field = 0; field < 3; field++) /* combine_appid .. combine_out_trade_no */
    if ((e = wxpay__check(field == 0 ? req->combine_appid : field == 1 ? req->combine_mch_id
                                                          : req->combine_out_trade_no,
                          field == 2 ? WXPAY__ORDER_NO : field ? WXPAY__MCHID : WXPAY__APPID)) != WXPAY_OK)
      goto fail;
  /* field is 3: nonce_str */
  if (req->nonce_str && (e = wxpay__check(req->nonce_str, WXPAY__NONCE)) != WXPAY_OK) goto fail;
  return WXPAY_OK;
fail:
  if (bad_field) *bad_field = wxpay__field_name(field);
  return e;
}

WXPAY_DEF wxpay_err wxpay_query_validate(const wxpay_client *client, const wxpay_query_req *req,
                                         const char **bad_field) {
  return wxpay__query_validate(client, req, bad_field);
}

/* The close's fields less sub_order_list, in the close's body order (the
   SDK's example: combine_appid, combine_mch_id, sign_type,
   combine_out_trade_no, nonce_str) and signed in name order. */
static wxpay_err wxpay__query_build_checked(const wxpay_client *client,
                                            const wxpay_query_req *req, char *out, size_t cap,
                                            size_t *len) {
  wxpay__out o, m;
  wxpay_hmac_ctx h;
  unsigned char mac[32];
  char nonce_buf[WXPAY_NONCE_LEN + 1], hex[65];
  const char *v[WXPAY__REQ_FIELDS];
  unsigned k;
  wxpay_err e;
  v[3] = req->nonce_str;
  if (!v[3]) {
    if ((e = wxpay_nonce(client, nonce_buf)) != WXPAY_OK) return e;
    v[3] = nonce_buf;
  }
  if ((e = wxpay__mac_start(client, &h)) != WXPAY_OK) return e;
  v[0] = req->combine_appid;
  v[1] = req->combine_mch_id;
  v[2] = req->combine_out_trade_no;
  v[4] = "HMAC-SHA256";
  v[5] = v[6] = NULL;
  memset(&o, 0, sizeof o);
  o.buf = out;
  o.cap = cap;
  memset(&m, 0, sizeof m);
  m.mac = &h;
  wxpay__raw(&o, "<xml>", 5);
  for (k = 0; k < WXPAY__REQ_SIGNED; k++) {
    const unsigned i = wxpay__body_order[k];
    if (i == WXPAY__F_sub_order_list) continue;
    wxpay__xml_open(&o, i, wxpay__needs_cdata(v[i])); /* a nonce may hold '<' */
    wxpay__puts(&o, v[i]);
    wxpay__xml_close(&o, i);
  }
  for (k = 0; k < WXPAY__REQ_SIGNED; k++) /* the signed string, by name */
    if (k != WXPAY__F_sub_order_list) {
      wxpay__sign_key(&m, k);
      wxpay__puts(&m, v[k]);
    }
  wxpay__key_suffix(&m, client, 0);
  wxpay_hmac_final(&h, mac);
  wxpay__hex_upper(mac, 32, hex);
  wxpay__wipe(mac, sizeof mac);
  wxpay__raw(&o, "<sign>", 6);
  wxpay__raw(&o, hex, 64);
  wxpay__raw(&o, "</sign></xml>", 13);
  return wxpay__finish(&o, out, cap, len);
}

WXPAY_DEF wxpay_err wxpay_query_build(const wxpay_client *client, const wxpay_query_req *req,
                                      char *out, size_t cap, size_t *len) {
  wxpay_err e = wxpay__out_args(out, cap, len);
  if (e) return e;
  if ((e = wxpay__query_validate(client, req, NULL)) != WXPAY_OK) return e;
  return wxpay__query_build_checked(client, req, out, cap, len);
}

static void wxpay__query_resp_clear(wxpay_query_resp *resp) {
  wxpay__order_clear(&resp->order);
  wxpay__resp_clear(&resp->answer);
  resp->found = 0;
  resp->json_error_offset = 0;
}

static const char *wxpay__field_or_empty(const wxpay_fields *f, const char *name) {
  const char *v = wxpay_fields_get(f, name);
  return v ? v : "";
}

static const char wxpay__query_deciding[] =
    "return_code\0result_code\0err_code\0trade_state\0sub_order_list";

static wxpay_err wxpay__query_parse(const wxpay_client *client, const wxpay_query_req *req,
                                    char *body, size_t len, wxpay_query_resp *resp) {
  wxpay_close_resp *a = &resp->answer;
  wxpay_order *o = &resp->order;
  wxpay_close_req echo; /* what the close's rules compare the echo with */
  const char *list;
  unsigned code;
  wxpay_err e;
  if (!req) return WXPAY_ERR_ARG;
  memset(&echo, 0, sizeof echo);
  echo.combine_appid = req->combine_appid;
  echo.combine_mch_id = req->combine_mch_id;
  if ((e = wxpay_close_parse(client, &echo, body, len, a)) != WXPAY_OK) return e;
  if (a->outcome == WXPAY_OUTCOME_REJECTED && !wxpay__streq(a->return_code, "SUCCESS"))
    return WXPAY_OK; /* return_code FAIL: unsigned, and about nothing */
  if (!wxpay__unambiguous(&a->fields, wxpay__query_deciding, 4, 5)) return WXPAY_ERR_AMBIGUOUS;
  code = wxpay__streq(a->result_code, "SUCCESS") ? WXPAY__SUCCESS : WXPAY__FAIL;
  o->combine_out_trade_no = wxpay__field_or_empty(&a->fields, "combine_out_trade_no");
  if (!req->combine_out_trade_no ||
      !WXPAY__ECHOES(o->combine_out_trade_no, req->combine_out_trade_no, code))
    return WXPAY_ERR_ECHO_MISMATCH;
  if (code) { /* a refusal: the close's codes, but only these fit a query */
    if (a->outcome != WXPAY_OUTCOME_NOT_FOUND && a->outcome != WXPAY_OUTCOME_RETRY)
      a->outcome = WXPAY_OUTCOME_REJECTED;
    o->combine_out_trade_no = "";
    return WXPAY_OK;
  }
  a->outcome = WXPAY_OUTCOME_NONE;
  o->combine_appid = a->combine_appid;
  o->combine_mchid = a->combine_mch_id;
  o->combine_openid = wxpay__field_or_empty(&a->fields, "combine_openid");
  o->device_info = wxpay__field_or_empty(&a->fields, "device_info");
  o->trade_state = wxpay__field_or_empty(&a->fields, "trade_state");
  o->trade_state_desc = wxpay__field_or_empty(&a->fields, "trade_state_desc");
  o->state = wxpay__trade_state(o->trade_state);
  list = wxpay__field_or_empty(&a->fields, "sub_order_list");
  if (!*o->trade_state || !*list) return WXPAY_ERR_QUERY_FIELDS;
  /* the value lies in the caller's body, decoded from the XML: read in place */
  if ((e = wxpay__order_read(body + (list - (const char *)body), wxpay__len(list), 0, o,
                             &resp->json_error_offset)) != WXPAY_OK)
    return e;
  resp->found = 1;
  return WXPAY_OK;
}

WXPAY_DEF wxpay_err wxpay_query_parse(const wxpay_client *client, const wxpay_query_req *req,
                                      char *body, size_t len, wxpay_query_resp *resp) {
  wxpay_err e;
  if (!resp) return WXPAY_ERR_ARG;
  wxpay__query_resp_clear(resp);
  e = wxpay__query_parse(client, req, body, len, resp);
  if (e != WXPAY_OK) { /* nothing read is to be trusted */
    size_t count = resp->order.sub_order_count;
    wxpay__order_clear(&resp->order);
    if (e == WXPAY_ERR_BUFFER) resp->order.sub_order_count = count; /* the room needed */
    resp->found = 0;
    resp->answer.outcome = WXPAY_OUTCOME_NONE;
    resp->answer.verified = 0;
  }
  return e;
}

/* A query URL from a close URL: its "closecombinedorder" end made
   "querycombinedorder", into out (*used grows by what it takes); NULL when
   the URL does not end so or out is too small. */
static const char *wxpay__query_url(const char *url, char *out, size_t cap, size_t *used) {
  static const char tail[] = "closecombinedorder";
  const size_t n = wxpay__len(url), t = sizeof tail - 1;
  if (n < t || !wxpay__same(url + n - t, tail, t) || cap - *used < n + 1) return NULL;
  out += *used;
  wxpay__copy(out, url, n - t);
  wxpay__copy(out + n - t, "query", 5); /* as long as "close" */
  wxpay__copy(out + n - t + 5, tail + 5, t - 5 + 1);
  *used += n + 1;
  return out;
}

WXPAY__SHARED wxpay_err wxpay__query_build_any(const wxpay_client *c, const void *req, char *out,
                                        size_t cap, size_t *len) {
  return wxpay__query_build_checked(c, (const wxpay_query_req *)req, out, cap, len);
}

WXPAY__SHARED wxpay_err wxpay__query_parse_any(const wxpay_client *c, const void *req, char *body,
                                        size_t len, void *resp) {
  return wxpay_query_parse(c, (const wxpay_query_req *)req, body, len, (wxpay_query_resp *)resp);
}

WXPAY_DEF wxpay_err wxpay_query(const wxpay_client *client, const wxpay_query_req *req,
                                wxpay_query_resp *resp, char *work, size_t work_cap) {
  wxpay__tries t;
  const char *primary, *backup;
  size_t used = 0;
  wxpay_err e;
  if (!resp) return WXPAY_ERR_ARG;
  wxpay__query_resp_clear(resp);
  if (!client || !req || !work) return WXPAY_ERR_ARG;
  if (!client->transport) return WXPAY_ERR_NO_TRANSPORT;
  if ((e = wxpay__query_validate(client, req, NULL)) != WXPAY_OK) return e;
  /* the URLs, as the close's: derived ones go to the front of work */
  primary = client->query_endpoint;
  backup = client->query_backup_endpoint;
  if (!primary) {
    primary = client->endpoint ? wxpay__query_url(client->endpoint, work, work_cap, &used)
                               : WXPAY_QUERY_ENDPOINT;
    if (!primary) return WXPAY_ERR_QUERY_ENDPOINT;
    if (!backup && client->backup_endpoint) {
      if (!(backup = wxpay__query_url(client->backup_endpoint, work, work_cap, &used)))
        return WXPAY_ERR_QUERY_ENDPOINT;
    } else if (!backup && !client->endpoint) {
      backup = WXPAY_QUERY_BACKUP_ENDPOINT;
    }
  }
  wxpay__tries_init(&t, client, primary, backup, primary, backup);
  return wxpay__v2_exchange(&t, req, wxpay__query_build_any, wxpay__query_parse_any, resp,
                            &resp->answer, work + used, work_cap - used);
}

/* >>v3 query: GET /v3/combine-transactions/out-trade-no/{no} */
static wxpay_err wxpay__v3_query_validate(const wxpay_client *client,
                                          const wxpay_v3_query_req *req, const char **bad) {
  const char *field = NULL;
  wxpay_err e;
  if (bad) *bad = NULL;
  if (!client || !req) return WXPAY_ERR_ARG;
  if ((e = wxpay__v3_client_check(client, &field)) != WXPAY_OK) goto fail;
  field = wxpay__field_name(WXPAY__F_combine_out_trade_no);
  if ((e = wxpay__check(req->combine_out_trade_no, WXPAY__ORDER_NO)) != WXPAY_OK) goto fail;
  field = wxpay__field_name(WXPAY__F_combine_appid);
  if (req->combine_appid && *req->combine_appid &&
      (e = wxpay__check(req->combine_appid, WXPAY__APPID)) != WXPAY_OK)
    goto fail;
  field = wxpay__field_name(WXPAY__F_nonce_str);
  if (req->nonce_str && (e = wxpay__check(req->nonce_str, WXPAY__V3_NONCE)) != WXPAY_OK)
    goto fail;
  return WXPAY_OK;
fail:
  if (bad) *bad = field;
  return e;
}

WXPAY_DEF wxpay_err wxpay_v3_query_validate(const wxpay_client *client,
                                            const wxpay_v3_query_req *req,
                                            const char **bad_field) {
  return wxpay__v3_query_validate(client, req, bad_field);
}

/* What the GET's build reads: the order number, nonce and timestamp. */
static void wxpay__v3_query_as_close(const wxpay_v3_query_req *req, wxpay_v3_close_req *c) {
  memset(c, 0, sizeof *c);
  c->combine_out_trade_no = req->combine_out_trade_no;
  c->nonce_str = req->nonce_str;
  c->timestamp = req->timestamp;
}

WXPAY_DEF wxpay_err wxpay_v3_query_build(const wxpay_client *client,
                                         const wxpay_v3_query_req *req, char *out, size_t cap,
                                         wxpay_v3_request *built) {
  wxpay_v3_close_req c;
  wxpay_err e;
  if (!built) return WXPAY_ERR_ARG;
  memset(built, 0, sizeof *built);
  if (!out && cap) return WXPAY_ERR_ARG;
  if (cap) out[0] = '\0';
  if ((e = wxpay__v3_query_validate(client, req, NULL)) != WXPAY_OK) return e;
  wxpay__v3_query_as_close(req, &c);
  return wxpay__v3_build_at_host(client, &c, 1, out, cap, built);
}

static void wxpay__v3_query_resp_clear(wxpay_v3_query_resp *resp) {
  wxpay__order_clear(&resp->order);
  wxpay__v3_resp_clear(&resp->answer);
  resp->found = 0;
}

static wxpay_err wxpay__v3_query_parse(const wxpay_client *c, const wxpay_v3_query_req *req,
                                       int status, const wxpay_v3_resp_headers *h, char *body,
                                       size_t len, wxpay_v3_query_resp *resp) {
  wxpay_v3_close_resp *a = &resp->answer;
  wxpay_order *o = &resp->order;
  wxpay_err e;
  if (!req) return WXPAY_ERR_ARG;
  if ((e = wxpay__v3_signed(c, status, h, body, len, a, 0)) != WXPAY_OK) return e;
  if (status == 200) { /* the order, which only a signed answer may tell */
    if (!a->verified) return WXPAY_ERR_NO_SIGNATURE;
    if ((e = wxpay__order_read(body, len, 1, o, &a->error_offset)) != WXPAY_OK) return e;
    /* it must be about our order, asked by us (the merchant that signs the
       request is the combined order's) */
    if (!c->mchid || !req->combine_out_trade_no || !wxpay__streq(o->combine_mchid, c->mchid) ||
        !wxpay__streq(o->combine_out_trade_no, req->combine_out_trade_no) ||
        (req->combine_appid && *req->combine_appid &&
         !wxpay__streq(o->combine_appid, req->combine_appid)))
      return WXPAY_ERR_ECHO_MISMATCH;
    resp->found = 1;
    return WXPAY_OK;
  }
  if (status < 400) return WXPAY_ERR_HTTP_STATUS; /* 202, 204: no query's answer */
  if ((e = wxpay__v3_error_body(status, body, len, a)) != WXPAY_OK) return e;
  if (a->outcome != WXPAY_OUTCOME_NOT_FOUND && a->outcome != WXPAY_OUTCOME_RETRY)
    a->outcome = WXPAY_OUTCOME_REJECTED; /* the close's other codes fit no query */
  return WXPAY_OK;
}

WXPAY_DEF wxpay_err wxpay_v3_query_parse(const wxpay_client *client,
                                         const wxpay_v3_query_req *req, int http_status,
                                         const wxpay_v3_resp_headers *headers, char *body,
                                         size_t len, wxpay_v3_query_resp *resp) {
  wxpay_err e;
  if (!resp) return WXPAY_ERR_ARG;
  wxpay__v3_query_resp_clear(resp);
  e = wxpay__v3_query_parse(client, req, http_status, headers, body, len, resp);
  if (e != WXPAY_OK) { /* nothing read is to be trusted */
    size_t count = resp->order.sub_order_count;
    wxpay__order_clear(&resp->order);
    if (e == WXPAY_ERR_BUFFER) resp->order.sub_order_count = count; /* the room needed */
    resp->found = 0;
    resp->answer.verified = 0;
    resp->answer.outcome =
        e == WXPAY_ERR_HTTP_STATUS && (http_status >= 500 || http_status == 429)
            ? WXPAY_OUTCOME_RETRY : WXPAY_OUTCOME_NONE;
  }
  return e;
}

WXPAY__SHARED wxpay_err wxpay__v3_query_parse_any(const wxpay_client *c, const void *req, int status,
                                           const wxpay_v3_resp_headers *h, char *body,
                                           size_t len, void *resp) {
  return wxpay_v3_query_parse(c, (const wxpay_v3_query_req *)req, status, h, body, len,
                              (wxpay_v3_query_resp *)resp);
}

WXPAY_DEF wxpay_err wxpay_v3_query(const wxpay_client *client, const wxpay_v3_query_req *req,
                                   wxpay_v3_query_resp *resp, char *work, size_t work_cap) {
  wxpay_v3_close_req c;
  wxpay_err e;
  if (!resp) return WXPAY_ERR_ARG;
  wxpay__v3_query_resp_clear(resp);
  if (!client || !req || !work) return WXPAY_ERR_ARG;
  if (!client->transport) return WXPAY_ERR_NO_TRANSPORT;
  if ((e = wxpay__v3_query_validate(client, req, NULL)) != WXPAY_OK) return e;
  wxpay__v3_query_as_close(req, &c);
  return wxpay__v3_exchange(client, &c, 1, req, wxpay__v3_query_parse_any, resp, &resp->answer,
                            work, work_cap);
}

/* >>settle: close, then query until the customer's money is accounted for.
   One machine for both APIs; its states:

     CLOSE  close the order (the first time, or the second and last).
              CLOSED, ALREADY_CLOSED                      -> done: CLOSED
              PAID, PAYING, or an error after a request went out (the
              order may be closed, paid or neither)       -> QUERY
              NOT_FOUND, REJECTED, RETRY, or an error before anything
              was sent                                    -> done: UNSETTLED
     QUERY  query the order.
              an error: no answer, or none to trust       -> done: the error
              no order in the answer (NOT_FOUND, ...)     -> done: UNSETTLED
              a sub-order SUCCESS or REFUND               -> done: PAID
              every sub-order CLOSED                      -> done: CLOSED
              a sub-order USERPAYING or ACCEPT            -> WAIT, while polls
                  remain and the order was closed once; else CLOSE once
                  more; after the second close           -> done: PAYING
              otherwise (NOTPAY, PAYERROR, REVOKED, a state not known)
                                                          -> CLOSE once more;
                  after the second close                 -> done: UNSETTLED
     WAIT   client->sleep(WXPAY_SETTLE_POLL_MS), then QUERY; at most
            WXPAY_SETTLE_POLLS times.

   So at most two closes and WXPAY_SETTLE_POLLS + 2 queries. Nothing is
   reissued, and a state comes only from a verified answer: what the query
   could not trust is returned as its error. */
enum { WXPAY__SETTLE_DONE, WXPAY__SETTLE_CLOSE, WXPAY__SETTLE_QUERY, WXPAY__SETTLE_WAIT };

/* An API's close and query, as the machine sees them. */
typedef struct wxpay__settler {
  const wxpay_client *c;
  void *api; /* the API's request, result and work */
  wxpay_err (*close)(void *api, wxpay_outcome *outcome, int *attempts);
  wxpay_err (*query)(void *api, int *found, const wxpay_order **order);
  wxpay_settlement *settlement;
  int *closes, *queries;
} wxpay__settler;

/* Where a verified query's order leads. */
static int wxpay__settle_queried(int found, const wxpay_order *o, int polls, int closes,
                                 wxpay_settlement *s) {
  size_t k, closed = 0;
  int paying = 0;
  if (!found) return WXPAY__SETTLE_DONE;
  for (k = 0; k < o->sub_order_count; k++) {
    const wxpay_trade_state st = o->sub_orders[k].state;
    if (st == WXPAY_TRADE_SUCCESS || st == WXPAY_TRADE_REFUND) {
      *s = WXPAY_SETTLE_PAID;
      return WXPAY__SETTLE_DONE;
    }
    closed += st == WXPAY_TRADE_CLOSED;
    paying |= st == WXPAY_TRADE_USERPAYING || st == WXPAY_TRADE_ACCEPT;
  }
  if (closed && closed == o->sub_order_count) {
    *s = WXPAY_SETTLE_CLOSED;
    return WXPAY__SETTLE_DONE;
  }
  if (closes < 2) return paying && polls < WXPAY_SETTLE_POLLS ? WXPAY__SETTLE_WAIT
                                                             : WXPAY__SETTLE_CLOSE;
  if (paying) *s = WXPAY_SETTLE_PAYING;
  return WXPAY__SETTLE_DONE;
}

static wxpay_err wxpay__settle(const wxpay__settler *m) {
  int step = WXPAY__SETTLE_CLOSE, polls = 0;
  wxpay_err e;
  *m->settlement = WXPAY_SETTLE_UNSETTLED;
  for (;;) {
    if (step == WXPAY__SETTLE_CLOSE) {
      wxpay_outcome o;
      int attempts;
      e = m->close(m->api, &o, &attempts);
      ++*m->closes;
      if (e == WXPAY_OK && (o == WXPAY_OUTCOME_CLOSED || o == WXPAY_OUTCOME_ALREADY_CLOSED)) {
        *m->settlement = WXPAY_SETTLE_CLOSED;
        return WXPAY_OK;
      }
      if (e == WXPAY_OK ? o != WXPAY_OUTCOME_PAID && o != WXPAY_OUTCOME_PAYING : attempts == 0) {
        *m->settlement = WXPAY_SETTLE_UNSETTLED;
        return e;
      }
      step = WXPAY__SETTLE_QUERY;
    } else if (step == WXPAY__SETTLE_WAIT) {
      polls++;
      if (m->c->sleep)
        m->c->sleep(m->c->sleep_user,
                    m->c->settle_poll_ms ? m->c->settle_poll_ms : WXPAY_SETTLE_POLL_MS);
      step = WXPAY__SETTLE_QUERY;
    } else {
      const wxpay_order *order;
      int found;
      e = m->query(m->api, &found, &order);
      ++*m->queries;
      *m->settlement = WXPAY_SETTLE_UNSETTLED;
      if (e != WXPAY_OK) return e; /* never a state from what we cannot trust */
      step = wxpay__settle_queried(found, order, polls, *m->closes, m->settlement);
      if (step == WXPAY__SETTLE_DONE) return WXPAY_OK;
    }
  }
}

typedef struct wxpay__settle_v2 {
  const wxpay_client *c;
  const wxpay_close_req *req;
  wxpay_query_req query;
  wxpay_settle_result *res;
  char *work;
  size_t work_cap;
} wxpay__settle_v2;

static wxpay_err wxpay__settle_v2_close(void *api, wxpay_outcome *outcome, int *attempts) {
  wxpay__settle_v2 *a = (wxpay__settle_v2 *)api;
  wxpay_err e = wxpay_close(a->c, a->req, &a->res->close, a->work, WXPAY_CLOSE_WORK_SIZE);
  *outcome = a->res->close.outcome;
  *attempts = a->res->close.attempts;
  return e;
}

static wxpay_err wxpay__settle_v2_query(void *api, int *found, const wxpay_order **order) {
  wxpay__settle_v2 *a = (wxpay__settle_v2 *)api;
  wxpay_err e = wxpay_query(a->c, &a->query, &a->res->query, a->work + WXPAY_CLOSE_WORK_SIZE,
                            a->work_cap - WXPAY_CLOSE_WORK_SIZE);
  *found = a->res->query.found;
  *order = &a->res->query.order;
  return e;
}

WXPAY_DEF wxpay_err wxpay_settle(const wxpay_client *client, const wxpay_close_req *req,
                                 wxpay_settle_result *res, char *work, size_t work_cap) {
  wxpay__settle_v2 a;
  wxpay__settler m;
  if (!res) return WXPAY_ERR_ARG;
  res->settlement = WXPAY_SETTLE_UNSETTLED;
  res->closes = res->queries = 0;
  wxpay__resp_clear(&res->close);
  wxpay__query_resp_clear(&res->query); /* keeps the caller's sub-order array */
  if (!client || !req || !work) return WXPAY_ERR_ARG;
  if (work_cap <= WXPAY_CLOSE_WORK_SIZE) return WXPAY_ERR_BUFFER;
  memset(&a, 0, sizeof a);
  a.c = client;
  a.req = req;
  a.query.combine_appid = req->combine_appid;
  a.query.combine_mch_id = req->combine_mch_id;
  a.query.combine_out_trade_no = req->combine_out_trade_no;
  a.res = res;
  a.work = work;
  a.work_cap = work_cap;
  m.c = client;
  m.api = &a;
  m.close = wxpay__settle_v2_close;
  m.query = wxpay__settle_v2_query;
  m.settlement = &res->settlement;
  m.closes = &res->closes;
  m.queries = &res->queries;
  return wxpay__settle(&m);
}

typedef struct wxpay__settle_v3 {
  const wxpay_client *c;
  const wxpay_v3_close_req *req;
  wxpay_v3_query_req query;
  wxpay_v3_settle_result *res;
  char *work;
  size_t work_cap;
} wxpay__settle_v3;

static wxpay_err wxpay__settle_v3_close(void *api, wxpay_outcome *outcome, int *attempts) {
  wxpay__settle_v3 *a = (wxpay__settle_v3 *)api;
  wxpay_err e = wxpay_v3_close(a->c, a->req, &a->res->close, a->work, WXPAY_V3_WORK_SIZE);
  *outcome = a->res->close.outcome;
  *attempts = a->res->close.attempts;
  return e;
}

static wxpay_err wxpay__settle_v3_query(void *api, int *found, const wxpay_order **order) {
  wxpay__settle_v3 *a = (wxpay__settle_v3 *)api;
  wxpay_err e = wxpay_v3_query(a->c, &a->query, &a->res->query, a->work + WXPAY_V3_WORK_SIZE,
                               a->work_cap - WXPAY_V3_WORK_SIZE);
  *found = a->res->query.found;
  *order = &a->res->query.order;
  return e;
}

WXPAY_DEF wxpay_err wxpay_v3_settle(const wxpay_client *client, const wxpay_v3_close_req *req,
                                    wxpay_v3_settle_result *res, char *work, size_t work_cap) {
  wxpay__settle_v3 a;
  wxpay__settler m;
  if (!res) return WXPAY_ERR_ARG;
  res->settlement = WXPAY_SETTLE_UNSETTLED;
  res->closes = res->queries = 0;
  wxpay__v3_resp_clear(&res->close);
  wxpay__v3_query_resp_clear(&res->query); /* keeps the caller's sub-order array */
  if (!client || !req || !work) return WXPAY_ERR_ARG;
  if (work_cap <= WXPAY_V3_WORK_SIZE) return WXPAY_ERR_BUFFER;
  memset(&a, 0, sizeof a);
  a.c = client;
  a.req = req;
  a.query.combine_out_trade_no = req->combine_out_trade_no;
  a.query.combine_appid = req->combine_appid;
  a.res = res;
  a.work = work;
  a.work_cap = work_cap;
  m.c = client;
  m.api = &a;
  m.close = wxpay__settle_v3_close;
  m.query = wxpay__settle_v3_query;
  m.settlement = &res->settlement;
  m.closes = &res->closes;
  m.queries = &res->queries;
  return wxpay__settle(&m);
}

/* >>strings: every table from its X-macro list, all compiled out together */
#ifndef WXPAY_NO_ERROR_STRINGS
#define WXPAY__ERR_STR(id, msg) msg,
#define WXPAY__ERR_NAME(id, msg) #id,
#define WXPAY__OUTCOME_NAME(id, name, text) name,
#define WXPAY__OUTCOME_TEXT(id, name, text) text,
static const char *const wxpay__err_str[] = {WXPAY_ERRORS(WXPAY__ERR_STR)};
static const char *const wxpay__err_names[] = {WXPAY_ERRORS(WXPAY__ERR_NAME)};
static const char *const wxpay__outcome_names[] = {WXPAY_OUTCOMES(WXPAY__OUTCOME_NAME)};
static const char *const wxpay__outcome_texts[] = {WXPAY_OUTCOMES(WXPAY__OUTCOME_TEXT)};
static const char *const wxpay__net_names[] = {"OK", "DNS", "CONNECT", "TLS",
                                               "TIMEOUT", "IO", "TOO_LARGE"};
/* The query's and settle's strings are packed char arrays, not pointer
   tables: string literals a table points at are pooled with every other
   shared literal, and a close-only program asking for wxpay_strerror()
   would carry them. */
#define WXPAY__TRADE_TEXT(id, text) text "\0"
#define WXPAY__SETTLE_NAME(id, name, text) name "\0"
#define WXPAY__SETTLE_TEXT(id, name, text) text "\0"
static const char wxpay__trade_texts[] = WXPAY_TRADE_STATES(WXPAY__TRADE_TEXT);
static const char wxpay__settlement_names[] = WXPAY_SETTLEMENTS(WXPAY__SETTLE_NAME);
static const char wxpay__settlement_texts[] = WXPAY_SETTLEMENTS(WXPAY__SETTLE_TEXT);
#define WXPAY__PICK_PACKED(list, i, count) \
  ((unsigned)(i) < (unsigned)(count) ? wxpay__nth(list, (unsigned)(i)) : "unknown")
#define WXPAY__PICK(table, i, unknown) \
  ((unsigned)(i) < sizeof(table) / sizeof((table)[0]) ? (table)[(i)] : (unknown))
#else
#define WXPAY__PICK(table, i, unknown) ((void)(i), "")
#define WXPAY__PICK_PACKED(list, i, count) ((void)(i), "")
#endif

WXPAY_DEF const char *wxpay_strerror(wxpay_err err) {
  return WXPAY__PICK(wxpay__err_str, err, "unknown error");
}

WXPAY_DEF const char *wxpay_err_name(wxpay_err err) {
  return WXPAY__PICK(wxpay__err_names, err, "UNKNOWN");
}

WXPAY_DEF const char *wxpay_outcome_name(wxpay_outcome o) {
  return WXPAY__PICK(wxpay__outcome_names, o, "unknown");
}

WXPAY_DEF const char *wxpay_outcome_text(wxpay_outcome o) {
  return WXPAY__PICK(wxpay__outcome_texts, o, "unknown");
}

WXPAY_DEF const char *wxpay_net_name(wxpay_net n) {
  return WXPAY__PICK(wxpay__net_names, n, "UNKNOWN");
}

WXPAY_DEF const char *wxpay_trade_state_text(wxpay_trade_state s) {
  return WXPAY__PICK_PACKED(wxpay__trade_texts, s, WXPAY_TRADE_COUNT);
}

WXPAY_DEF const char *wxpay_settlement_name(wxpay_settlement s) {
  return WXPAY__PICK_PACKED(wxpay__settlement_names, s, WXPAY_SETTLE_COUNT);
}

WXPAY_DEF const char *wxpay_settlement_text(wxpay_settlement s) {
  return WXPAY__PICK_PACKED(wxpay__settlement_texts, s, WXPAY_SETTLE_COUNT);
}

#ifdef __cplusplus
}
#endif
#endif /* WXPAY_CLOSE_IMPLEMENTED */
#endif /* WXPAY_CLOSE_IMPLEMENTATION */

/*
------------------------------------------------------------------------------
LICENSE (MIT)

Copyright (c) 2026 the wxpay_close.h authors

Permission is hereby granted, free of charge, to any person obtaining a copy of
this software and associated documentation files (the "Software"), to deal in
the Software without restriction, including without limitation the rights to
use, copy, modify, merge, publish, distribute, sublicense, and/or sell copies
of the Software, and to permit persons to whom the Software is furnished to do
so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
------------------------------------------------------------------------------
*/
