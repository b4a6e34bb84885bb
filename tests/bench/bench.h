/* tests/bench: what every contender shares.

   A contender is a table of callbacks. run(op, n) does the operation n times
   and checks each result's error code (every contender pays for the same
   checks); check(op) compares one result byte for byte with the known answer
   before anything is timed, so a wrong contender is never benchmarked. */
#ifndef BENCH_H
#define BENCH_H
#include <stddef.h>

enum {
  OP_BUILD1,        /* build + sign the seed's request (1 sub-order) */
  OP_BUILD10,       /* build + sign a 10-sub-order request */
  OP_PARSE_OK,      /* parse + verify a signed SUCCESS response */
  OP_PARSE_FAIL,    /* parse + verify a signed result_code FAIL (ORDERCLOSED) */
  OP_EXCHANGE,      /* OP_BUILD1 then OP_PARSE_OK: one full exchange */
  OP_H_BUILD1,      /* HMAC-SHA256 alone over the string signed by OP_BUILD1 */
  OP_H_BUILD10,
  OP_H_PARSE_OK,
  OP_H_PARSE_FAIL,
  OP_H_EXCHANGE,    /* OP_H_BUILD1 + OP_H_PARSE_OK */
  OP_SHA_64,        /* SHA-256 of 64 bytes */
  OP_SHA_1K,
  OP_SHA_16K,
  OP_QUERY_V2,      /* parse + verify a signed APIv2 query answer (issue 13):
                       the XML, its HMAC, and sub_order_list's JSON (3 sub-orders) */
  OP_QUERY_V3,      /* parse + verify a signed APIv3 query answer (3 sub-orders):
                       SHA-256 of the signed message, the stand-in RSA check, the JSON */
  OP_COUNT
};

extern const char *const op_names[OP_COUNT];

typedef struct bench_contender {
  const char *name;      /* short id used in results and on the command line */
  const char *label;     /* what it is, for the table */
  /* 0 when ready; otherwise why (static text) in *why */
  int (*setup)(const char **why);
  int (*supports)(int op);
  /* 0 when the result is right; otherwise a message in msg */
  int (*check)(int op, char *msg, size_t cap);
  /* 0 when every one of the n results was OK */
  int (*run)(int op, long n);
  /* optional: extra "info" lines (backend name, library version) */
  const char *(*info)(void);
} bench_contender;

/* ---- the same work for everyone (data.c) ---- */
#define BENCH_KEY "192006250b4c09247ec02edce69f6a2d"
#define BENCH_APPID "wx8888888888888888"
#define BENCH_MCHID "1900000109"
#define BENCH_OTN "1217752501201407033233368018"
#define BENCH_NONCE "ibuaiVcKdpRxkhJA"
#define BENCH_MAX_SUBS 10

extern const char *const bench_sub_mchid[BENCH_MAX_SUBS];
extern const char *const bench_sub_otn[BENCH_MAX_SUBS];

/* The request bodies every builder must produce, byte for byte. */
extern const char *bench_body1, *bench_body10;
/* The two responses (from tests/unit/fixtures.h) and one signed with another
   key, which every verifier must refuse. */
extern const char *bench_resp_ok, *bench_resp_fail, *bench_resp_wrong_key;
extern size_t bench_resp_ok_len, bench_resp_fail_len, bench_resp_wrong_key_len;

/* The hash part: the exact strings the four operations sign (key included),
   and their MACs (known answers: the seed page, fixtures.h, Python's hmac). */
extern const char *bench_sign_string[4]; /* indexed by OP_BUILD1..OP_PARSE_FAIL */
extern size_t bench_sign_string_len[4];
extern unsigned char bench_expected_mac[4][32];

/* SHA-256 input: 16 KiB of (i * 7 + 3) & 0xFF, and its digests. */
extern unsigned char bench_sha_data[16384];
size_t bench_sha_len(int op);
extern unsigned char bench_sha_expected[3][32]; /* 64, 1K, 16K */

void bench_data_init(void);
int bench_hex_eq(const unsigned char mac[32], const char *hex64);
void bench_hex_upper(const unsigned char *in, size_t n, char *out);
int bench_hash_run(int (*mac)(int, unsigned char *), int (*sha)(int, unsigned char *), int op,
                   long n);
int bench_hash_check(int (*mac)(int, unsigned char *), int (*sha)(int, unsigned char *), int op,
                     char *msg, size_t cap);

/* ---- the query's answers (issue 13) ----
   APIv2: pay/querycombinedorder's answer for BENCH_OTN, signed with
   BENCH_KEY, trade_state SUCCESS, sub_order_list with 3 sub-orders (amounts,
   promotion and goods details: members the reader must skip). APIv3: the
   GET's 200 body for BENCH_Q3_OTN with the same 3 sub-orders (the third
   REFUND), Wechatpay-Timestamp BENCH_Q3_TS, -Nonce BENCH_Q3_NONCE, -Serial
   BENCH_Q3_SERIAL and a stand-in -Signature: RSA is the caller's callback
   (OpenSSL or mbedTLS do it for every contender alike), so it is left out
   and only the parse and the hash are measured. The stand-in signature is
   256 bytes (an RSA-2048 signature's length, 344 Base64 characters):
   byte i is the message's SHA-256 byte i % 32 XOR 0x5A; the stand-in
   verifier (bench_standin_verify) checks that. The tampered copies differ
   in one amount and must be refused. */
#define BENCH_Q3_APPID "wxd678efh567hg6787"
#define BENCH_Q3_MCHID "1900000100"
#define BENCH_Q3_OTN "P20150806125346"
#define BENCH_Q3_TS "1700000000"
#define BENCH_Q3_NOW 1700000000LL
#define BENCH_Q3_NONCE "5K8264ILTKCH16CQ2502SI8ZNMTM67VS"
#define BENCH_Q3_SERIAL "5157F09EFDC096DE15EBE81A47057A7232F1B8E1"
#define BENCH_QUERY_SUBS 3
extern const char *bench_query_v2, *bench_query_v3, *bench_query_v3_sig;
extern size_t bench_query_v2_len, bench_query_v3_len;
extern char bench_query_v2_tampered[4096], bench_query_v3_tampered[4096];
/* the known answer: each sub-order's mchid, out_trade_no, transaction_id,
   total_amount, and its trade_state in APIv3 (APIv2: the order's, SUCCESS) */
extern const char *const bench_query_mchid[BENCH_QUERY_SUBS];
extern const char *const bench_query_otn[BENCH_QUERY_SUBS];
extern const char *const bench_query_txid[BENCH_QUERY_SUBS];
extern const long long bench_query_total[BENCH_QUERY_SUBS];
extern const char *const bench_query_v3_state[BENCH_QUERY_SUBS];
/* 1 valid, 0 not, -1 unknown serial (wxpay_v3_verify_fn's contract) */
int bench_standin_verify(const char *serial, const unsigned char digest[32],
                         const unsigned char *sig, size_t sig_len);

/* Outcomes the parsers report, the same for every contender. */
enum { OUT_CLOSED = 1, OUT_ALREADY_CLOSED, OUT_PAID, OUT_NOT_FOUND, OUT_RETRY,
       OUT_REJECTED };

/* Keeps results alive so the optimiser cannot drop the work. */
extern volatile unsigned bench_sink;

#endif
