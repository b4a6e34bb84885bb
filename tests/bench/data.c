/* The same inputs and known answers for every contender. Nothing here calls a
   contender: the expected values come from the seed page's request, from
   tests/unit/fixtures.h (responses signed with Python's hmac), and from
   Python's hmac/hashlib for the 10-sub-order request and SHA-256 vectors. */
#include <stdio.h>
#include <string.h>
#include "bench.h"
#include "../unit/fixtures.h"

const char *const op_names[OP_COUNT] = {
    "build1", "build10", "parse_ok", "parse_fail", "exchange",
    "hmac_build1", "hmac_build10", "hmac_parse_ok", "hmac_parse_fail", "hmac_exchange",
    "sha_64", "sha_1k", "sha_16k"};

volatile unsigned bench_sink;

const char *const bench_sub_mchid[BENCH_MAX_SUBS] = {
    "1900009001", "1900009002", "1900009003", "1900009004", "1900009005",
    "1900009006", "1900009007", "1900009008", "1900009009", "1900009010"};
const char *const bench_sub_otn[BENCH_MAX_SUBS] = {
    "OD201708030001", "OD201708030002", "OD201708030003", "OD201708030004",
    "OD201708030005", "OD201708030006", "OD201708030007", "OD201708030008",
    "OD201708030009", "OD201708030010"};

/* the seed page (wechatpay-im/website openapi/v2/pay/closecombinedorder.md): the seed SDK's body for the seed's example request. */
#define SIGN1 "509AC0CBE8222A321B41F6BD4EFD8FE38D2E61251270F5664280BAD4268C020B"
/* Python: hmac.new(KEY, string_to_sign_of_the_10_sub_order_request, sha256) */
#define SIGN10 "CEE0528D0B0A5CB53753E0A50BC2979CE9C1ACC3C9712D1F611B1F01F00A4819"
/* fixtures.h: RESP_CLOSED and RESP_ORDERCLOSED carry these */
#define SIGN_OK "9CC085B20B6E6A75F18DE5B039A69F11816E86471470AD7F6CDB9578F73B928F"
#define SIGN_FAIL "BB9BB32D8400DC0566A6780B149FC8C7340912B35FCA31B425868D593567734A"

#define JSON1 "[{\"mchid\":\"1900009001\",\"out_trade_no\":\"OD201708030001\"}]"
#define JSON10                                                                    \
  "[{\"mchid\":\"1900009001\",\"out_trade_no\":\"OD201708030001\"},"              \
  "{\"mchid\":\"1900009002\",\"out_trade_no\":\"OD201708030002\"},"               \
  "{\"mchid\":\"1900009003\",\"out_trade_no\":\"OD201708030003\"},"               \
  "{\"mchid\":\"1900009004\",\"out_trade_no\":\"OD201708030004\"},"               \
  "{\"mchid\":\"1900009005\",\"out_trade_no\":\"OD201708030005\"},"               \
  "{\"mchid\":\"1900009006\",\"out_trade_no\":\"OD201708030006\"},"               \
  "{\"mchid\":\"1900009007\",\"out_trade_no\":\"OD201708030007\"},"               \
  "{\"mchid\":\"1900009008\",\"out_trade_no\":\"OD201708030008\"},"               \
  "{\"mchid\":\"1900009009\",\"out_trade_no\":\"OD201708030009\"},"               \
  "{\"mchid\":\"1900009010\",\"out_trade_no\":\"OD201708030010\"}]"

#define BODY(json, sign)                                                          \
  "<xml><combine_appid>" BENCH_APPID "</combine_appid><combine_mch_id>" BENCH_MCHID \
  "</combine_mch_id><sign_type>HMAC-SHA256</sign_type><combine_out_trade_no>"       \
  BENCH_OTN "</combine_out_trade_no><sub_order_list><![CDATA[" json                 \
  "]]></sub_order_list><nonce_str>" BENCH_NONCE "</nonce_str><sign>" sign           \
  "</sign></xml>"

#define REQ_STRING(json)                                                          \
  "combine_appid=" BENCH_APPID "&combine_mch_id=" BENCH_MCHID                     \
  "&combine_out_trade_no=" BENCH_OTN "&nonce_str=" BENCH_NONCE                    \
  "&sign_type=HMAC-SHA256&sub_order_list=" json "&key=" BENCH_KEY

const char *bench_body1 = BODY(JSON1, SIGN1);
const char *bench_body10 = BODY(JSON10, SIGN10);

const char *bench_resp_ok = RESP_CLOSED;
const char *bench_resp_fail = RESP_ORDERCLOSED;
const char *bench_resp_wrong_key = RESP_WRONG_KEY;
size_t bench_resp_ok_len, bench_resp_fail_len, bench_resp_wrong_key_len;

const char *bench_sign_string[4] = {
    REQ_STRING(JSON1),
    REQ_STRING(JSON10),
    "combine_appid=" BENCH_APPID "&combine_mch_id=" BENCH_MCHID
    "&nonce_str=5K8264ILTKCH16CQ2502SI8ZNMTM67VS&result_code=SUCCESS"
    "&return_code=SUCCESS&return_msg=OK&key=" BENCH_KEY,
    "combine_appid=" BENCH_APPID "&combine_mch_id=" BENCH_MCHID
    "&err_code=ORDERCLOSED&err_code_des=\350\256\242\345\215\225\345\267\262\345\205\263\351\227\255"
    "&nonce_str=5K8264ILTKCH16CQ2502SI8ZNMTM67VS&result_code=FAIL"
    "&return_code=SUCCESS&return_msg=OK&key=" BENCH_KEY};
size_t bench_sign_string_len[4];
unsigned char bench_expected_mac[4][32];

unsigned char bench_sha_data[16384];
unsigned char bench_sha_expected[3][32];

/* Python: hashlib.sha256(bytes((i * 7 + 3) & 0xFF for i in range(n))) */
static const char *const sha_hex[3] = {
    "39e3d7b6b5d075d37d053ad89b24b41bef4f3c29760c84447cab3f3be1882241",
    "e9183d9a79aad8a047b8e67981210d50b01fc75b1edba5bc32ba3d3ec4d5056d",
    "ab571d12466f75ae481bdbbbfec70a0c53bf78e2849862addfa9a049d8f6fbc0"};

size_t bench_sha_len(int op) {
  return op == OP_SHA_64 ? 64u : op == OP_SHA_1K ? 1024u : 16384u;
}

static int hexval(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

static void unhex(const char *hex, unsigned char out[32]) {
  int i;
  for (i = 0; i < 32; i++)
    out[i] = (unsigned char)(hexval(hex[2 * i]) << 4 | hexval(hex[2 * i + 1]));
}

void bench_hex_upper(const unsigned char *in, size_t n, char *out) {
  static const char h[] = "0123456789ABCDEF";
  size_t i;
  for (i = 0; i < n; i++) {
    out[2 * i] = h[in[i] >> 4];
    out[2 * i + 1] = h[in[i] & 15];
  }
  out[2 * n] = '\0';
}

int bench_hex_eq(const unsigned char mac[32], const char *hex64) {
  char h[65];
  bench_hex_upper(mac, 32, h);
  return strlen(hex64) == 64 && strcmp(h, hex64) == 0;
}

void bench_data_init(void) {
  static const char *const macs[4] = {SIGN1, SIGN10, SIGN_OK, SIGN_FAIL};
  size_t i;
  for (i = 0; i < 4; i++) {
    bench_sign_string_len[i] = strlen(bench_sign_string[i]);
    unhex(macs[i], bench_expected_mac[i]);
  }
  bench_resp_ok_len = strlen(bench_resp_ok);
  bench_resp_fail_len = strlen(bench_resp_fail);
  bench_resp_wrong_key_len = strlen(bench_resp_wrong_key);
  for (i = 0; i < sizeof bench_sha_data; i++)
    bench_sha_data[i] = (unsigned char)((i * 7 + 3) & 0xFF);
  for (i = 0; i < 3; i++) unhex(sha_hex[i], bench_sha_expected[i]);
}

/* The loop and the known-answer check every hash-only contender (OpenSSL,
   mbedTLS) shares: mac(i) computes the HMAC of bench_sign_string[i], sha(op)
   the SHA-256 of the op's data. */
int bench_hash_run(int (*mac)(int, unsigned char *), int (*sha)(int, unsigned char *), int op,
                   long n) {
  unsigned char m[32];
  long i;
  for (i = 0; i < n; i++) {
    if (op == OP_H_EXCHANGE) {
      if (mac(0, m)) return 1;
      bench_sink += m[0];
      if (mac(OP_PARSE_OK, m)) return 1;
    } else if (op >= OP_H_BUILD1 && op <= OP_H_PARSE_FAIL) {
      if (mac(op - OP_H_BUILD1, m)) return 1;
    } else if (op >= OP_SHA_64 && op <= OP_SHA_16K) {
      if (sha(op, m)) return 1;
    } else {
      return 1;
    }
    bench_sink += m[0];
  }
  return 0;
}

int bench_hash_check(int (*mac)(int, unsigned char *), int (*sha)(int, unsigned char *), int op,
                     char *msg, size_t cap) {
  unsigned char m[32];
  if (op == OP_H_EXCHANGE)
    return bench_hash_check(mac, sha, OP_H_BUILD1, msg, cap) ||
           bench_hash_check(mac, sha, OP_H_PARSE_OK, msg, cap);
  if (op >= OP_SHA_64 && op <= OP_SHA_16K) {
    if (sha(op, m) || memcmp(m, bench_sha_expected[op - OP_SHA_64], 32)) {
      snprintf(msg, cap, "SHA-256 differs from the known answer");
      return 1;
    }
    return 0;
  }
  if (mac(op - OP_H_BUILD1, m) || memcmp(m, bench_expected_mac[op - OP_H_BUILD1], 32)) {
    snprintf(msg, cap, "HMAC differs from the known answer");
    return 1;
  }
  return 0;
}
