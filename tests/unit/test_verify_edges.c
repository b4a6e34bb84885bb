/* >>verify edges: the limits of every check that decides whether an answer
   is trusted, one step inside and one step outside each (a sign one digit
   off, a nonce one character too long, a timestamp one second too old).
   The tests were written against the mutants of tests/mutate/mutants.txt
   that the other suites let through: the ids of the mutants each one
   fails on are named above it (`make mutate` runs them). */
#define WXPAY_CLOSE_IMPLEMENTATION
#include "common.h"
#include "fixtures.h"

/* ---- APIv2: the sign of RESP_CLOSED (signed by gen_fixtures.py) ---- */

#define CLOSED_SIGN "9CC085B20B6E6A75F18DE5B039A69F11816E86471470AD7F6CDB9578F73B928F"

static char buf[8192];
static wxpay_close_resp resp;

static wxpay_err parse_v2(const char *body) {
  wxpay_client c = test_client();
  wxpay_close_req r = seed_req();
  size_t n = strlen(body);
  memcpy(buf, body, n);
  return wxpay_close_parse(&c, &r, buf, n, &resp);
}

/* RESP_CLOSED with its sign's text replaced by sign. */
static wxpay_err parse_with_sign(const char *sign) {
  static char body[4096];
  const char *at = strstr(RESP_CLOSED, CLOSED_SIGN);
  size_t head = (size_t)(at - RESP_CLOSED);
  memcpy(body, RESP_CLOSED, head);
  snprintf(body + head, sizeof body - head, "%s%s", sign, at + 64);
  return parse_v2(body);
}

static void parse_accepts_the_fixture_sign_in_any_case(void) {
  char mixed[65];
  size_t i;
  CHECK_ERR(parse_with_sign(CLOSED_SIGN), WXPAY_OK);
  CHECK(resp.outcome == WXPAY_OUTCOME_CLOSED && resp.verified == 1);
  /* hex digits are read case-blind (crosscheck: parse_accepts_sign_in_any_hex_case) */
  for (i = 0; i < 64; i++)
    mixed[i] = (char)(i & 1 ? CLOSED_SIGN[i] | 0x20 : CLOSED_SIGN[i]);
  mixed[64] = 0;
  CHECK_ERR(parse_with_sign(mixed), WXPAY_OK);
  CHECK(resp.outcome == WXPAY_OUTCOME_CLOSED);
}

/* mutant 1: the 64 right digits followed by anything are no sign */
static void parse_refuses_sign_with_trailing_characters(void) {
  static const char *const tails[] = {"0", "F", "9CC0", " ", "\t", "x", CLOSED_SIGN};
  char sign[160];
  size_t i;
  for (i = 0; i < sizeof tails / sizeof tails[0]; i++) {
    snprintf(sign, sizeof sign, "%s%s", CLOSED_SIGN, tails[i]);
    CHECK_ERR(parse_with_sign(sign), WXPAY_ERR_SIGNATURE);
    CHECK(resp.outcome == WXPAY_OUTCOME_NONE && resp.verified == 0);
  }
}

/* mutants 2 and 6: the last digit counts, in its lowest bit too */
static void parse_refuses_sign_differing_in_last_hex_digit(void) {
  char sign[65];
  strcpy(sign, CLOSED_SIGN);
  sign[63] = 'E'; /* F -> E: one bit */
  CHECK_ERR(parse_with_sign(sign), WXPAY_ERR_SIGNATURE);
  sign[63] = '7'; /* F -> 7: the digit's top bit */
  CHECK_ERR(parse_with_sign(sign), WXPAY_ERR_SIGNATURE);
  sign[62] = '9'; /* the whole last byte: 8F -> 97 */
  CHECK_ERR(parse_with_sign(sign), WXPAY_ERR_SIGNATURE);
  CHECK(resp.outcome == WXPAY_OUTCOME_NONE);
}

/* mutant 3: digits 33 to 64 count; here they are another answer's */
static void parse_refuses_sign_differing_only_in_second_half(void) {
  char sign[65];
  memcpy(sign, CLOSED_SIGN, 32);
  memcpy(sign + 32, "BB9BB32D8400DC0566A6780B149FC8C7", 32); /* RESP_ORDERCLOSED's first half */
  sign[64] = 0;
  CHECK_ERR(parse_with_sign(sign), WXPAY_ERR_SIGNATURE);
  strcpy(sign, CLOSED_SIGN);
  sign[32] = '9'; /* only digit 33: 8 -> 9 */
  CHECK_ERR(parse_with_sign(sign), WXPAY_ERR_SIGNATURE);
}

/* mutants 2, 3, 5 and 6: every one of the 64 digits counts, in its lowest
   and in its highest bit */
static void parse_refuses_sign_with_any_one_digit_changed(void) {
  static const char hex[] = "0123456789ABCDEF";
  static const int flips[] = {1, 8};
  char sign[65];
  size_t i, f;
  for (i = 0; i < 64; i++)
    for (f = 0; f < 2; f++) {
      const char *p = strchr(hex, CLOSED_SIGN[i]);
      strcpy(sign, CLOSED_SIGN);
      sign[i] = hex[(p - hex) ^ flips[f]];
      if (parse_with_sign(sign) != WXPAY_ERR_SIGNATURE) {
        if (!t_failed)
          printf("FAIL parse_refuses_sign_with_any_one_digit_changed: digit %u, %c -> %c "
                 "accepted\n", (unsigned)i + 1, CLOSED_SIGN[i], sign[i]);
        t_failed = 1;
      }
    }
}

/* mutants 1, 2 and 3: a digit short, a byte short, a digit too many */
static void parse_refuses_sign_of_63_and_65_digits(void) {
  char sign[66];
  memcpy(sign, CLOSED_SIGN, 63); /* the right digits, the last one missing */
  sign[63] = 0;
  CHECK_ERR(parse_with_sign(sign), WXPAY_ERR_SIGNATURE);
  memcpy(sign, CLOSED_SIGN, 62); /* the last byte missing */
  sign[62] = 0;
  CHECK_ERR(parse_with_sign(sign), WXPAY_ERR_SIGNATURE);
  snprintf(sign, sizeof sign, "%s0", CLOSED_SIGN);
  CHECK_ERR(parse_with_sign(sign), WXPAY_ERR_SIGNATURE);
  CHECK_ERR(parse_with_sign("0" CLOSED_SIGN), WXPAY_ERR_SIGNATURE);
}

/* An answer with the fields given (name, value pairs in byte order of the
   names), signed here: the string to sign is written out by hand, as the
   API's documentation spells it, and only the HMAC is the library's. */
static const char *signed_v2(const char *const *kv, size_t pairs) {
  static char body[2048];
  char str[1024], sign[65];
  unsigned char mac[32];
  size_t i, n = 0, b;
  b = (size_t)snprintf(body, sizeof body, "<xml>");
  for (i = 0; i < pairs; i++) {
    n += (size_t)snprintf(str + n, sizeof str - n, "%s%s=%s", i ? "&" : "", kv[2 * i],
                          kv[2 * i + 1]);
    b += (size_t)snprintf(body + b, sizeof body - b, "<%s><![CDATA[%s]]></%s>", kv[2 * i],
                          kv[2 * i + 1], kv[2 * i]);
  }
  n += (size_t)snprintf(str + n, sizeof str - n, "&key=%s", KEY);
  wxpay_hmac_sha256(KEY, 32, str, n, mac);
  t_hex(mac, 32, sign);
  for (i = 0; i < 64; i++) sign[i] = (char)(sign[i] >= 'a' ? sign[i] - 32 : sign[i]);
  snprintf(body + b, sizeof body - b, "<sign>%s</sign></xml>", sign);
  return body;
}

/* mutant 59 (and 14, before issue 11): "SUCCESS" in err_code is no success
   when result_code is FAIL */
static void parse_fail_result_with_err_code_success_is_rejected(void) {
  static const char *const kv[] = {
      "combine_appid", "wx8888888888888888", "combine_mch_id", "1900000109",
      "err_code", "SUCCESS", "nonce_str", "5K8264ILTKCH16CQ2502SI8ZNMTM67VS",
      "result_code", "FAIL", "return_code", "SUCCESS", "return_msg", "OK"};
  static const char *const closed[] = {
      "combine_appid", "wx8888888888888888", "combine_mch_id", "1900000109",
      "nonce_str", "5K8264ILTKCH16CQ2502SI8ZNMTM67VS", "result_code", "SUCCESS",
      "return_code", "SUCCESS", "return_msg", "OK"};
  /* the signer above agrees with the Python-signed fixture */
  CHECK(strstr(signed_v2(closed, 6), CLOSED_SIGN) != NULL);
  CHECK_ERR(parse_v2(signed_v2(kv, 7)), WXPAY_OK);
  CHECK(resp.outcome == WXPAY_OUTCOME_REJECTED && resp.verified == 1);
  CHECK(strcmp(resp.err_code, "SUCCESS") == 0);
}

/* ---- APIv3: a stand-in platform key (the signature is the digest with
   every byte XOR 0xA5) under the serial PLATFORM ---- */

#define NOW 1700000000LL
#define PLATFORM "5157F09EFDC096DE15EBE81A47057A7232F1B8E1"

static long long fake_clock(void *user) { (void)user; return NOW; }

static int verify_calls, verify_answer; /* verify_answer: what a valid one returns */
static int stand_in_verify(void *user, const char *serial, const unsigned char digest[32],
                           const unsigned char *sig, size_t sig_len) {
  size_t i;
  int any_serial = user != NULL;
  verify_calls++;
  if (!any_serial && strcmp(serial, PLATFORM) != 0) return -1;
  if (sig_len != 32) return 0;
  for (i = 0; i < 32; i++)
    if (sig[i] != (digest[i] ^ 0xA5)) return 0;
  return verify_answer;
}

/* The merchant's stand-in signer (the emulator side is not checked here). */
static int stand_in_sign(void *user, const unsigned char *msg, size_t msg_len,
                         const unsigned char digest[32], unsigned char *sig, size_t cap,
                         size_t *sig_len) {
  (void)user; (void)msg; (void)msg_len; (void)cap;
  memcpy(sig, digest, 32);
  *sig_len = 32;
  return 0;
}

static int no_sign(void *user, const unsigned char *msg, size_t msg_len,
                   const unsigned char digest[32], unsigned char *sig, size_t cap,
                   size_t *sig_len) {
  (void)user; (void)msg; (void)msg_len; (void)digest; (void)sig; (void)cap; (void)sig_len;
  return -1; /* parsing never signs */
}

static wxpay_client v3_client(void) {
  wxpay_client c;
  memset(&c, 0, sizeof c);
  c.mchid = "1900000100";
  c.serial_no = "408B07E79B8269FEC3D5D3E6AB8ED163A6A380DB";
  c.v3_sign = no_sign;
  c.v3_verify = stand_in_verify;
  c.clock = fake_clock;
  return c;
}

typedef struct answer {
  char ts[32], nonce[80], sig[64];
  wxpay_v3_resp_headers h;
} answer;

/* Signs "ts\nnonce\nbody\n" as the stand-in platform key would. */
static void sign_answer(answer *a, const char *ts, const char *nonce, const char *body) {
  unsigned char d[32], s[32];
  wxpay_sha256_ctx h;
  size_t i;
  snprintf(a->ts, sizeof a->ts, "%s", ts);
  snprintf(a->nonce, sizeof a->nonce, "%s", nonce);
  wxpay_sha256_init(&h);
  wxpay_sha256_update(&h, ts, strlen(ts));
  wxpay_sha256_update(&h, "\n", 1);
  wxpay_sha256_update(&h, nonce, strlen(nonce));
  wxpay_sha256_update(&h, "\n", 1);
  wxpay_sha256_update(&h, body, strlen(body));
  wxpay_sha256_update(&h, "\n", 1);
  wxpay_sha256_final(&h, d);
  for (i = 0; i < 32; i++) s[i] = (unsigned char)(d[i] ^ 0xA5);
  wxpay_base64_encode(s, 32, a->sig, sizeof a->sig);
  a->h.timestamp = a->ts;
  a->h.nonce = a->nonce;
  a->h.signature = a->sig;
  a->h.serial = PLATFORM;
}

static void sign_at(answer *a, long long ts, const char *body) {
  char t[24];
  snprintf(t, sizeof t, "%lld", ts);
  sign_answer(a, t, "n0nce4ns3r", body);
}

static wxpay_v3_close_resp r3;

static wxpay_err parse_v3_with(const wxpay_client *c, int status, const answer *a,
                               const char *body) {
  static char b[2048];
  size_t n = strlen(body);
  memcpy(b, body, n);
  verify_calls = 0;
  return wxpay_v3_close_parse(c, status, a ? &a->h : NULL, b, n, &r3);
}

static wxpay_err parse_v3(int status, const answer *a, const char *body) {
  wxpay_client c = v3_client();
  return parse_v3_with(&c, status, a, body);
}

static void v3_stand_in_answer_is_closed(void) {
  answer a;
  verify_answer = 1;
  sign_at(&a, NOW, "");
  CHECK_ERR(parse_v3(204, &a, ""), WXPAY_OK);
  CHECK(r3.outcome == WXPAY_OUTCOME_CLOSED && r3.verified == 1 && verify_calls == 1);
}

/* mutant 27: Wechatpay-Nonce is 1 to 64 visible characters */
static void v3_parse_refuses_nonce_of_65_characters(void) {
  char nonce[66];
  answer a;
  verify_answer = 1;
  memset(nonce, 'N', 65);
  nonce[64] = 0;
  sign_answer(&a, "1700000000", nonce, "");
  CHECK_ERR(parse_v3(204, &a, ""), WXPAY_OK); /* 64: the most */
  CHECK(r3.outcome == WXPAY_OUTCOME_CLOSED);
  nonce[64] = 'N';
  nonce[65] = 0;
  sign_answer(&a, "1700000000", nonce, "");
  CHECK_ERR(parse_v3(204, &a, ""), WXPAY_ERR_SIGNATURE);
  CHECK(r3.outcome == WXPAY_OUTCOME_NONE && r3.verified == 0 && verify_calls == 0);
}

/* mutants 28 and 29: no space, no control character, not empty; each
   correctly signed, so only the header check can refuse them */
static void v3_parse_refuses_nonce_empty_or_with_spaces(void) {
  static const char *const bad[] = {"", " ", "a b", "ab ", "a\tb", "\177ab", "a\xc3\xa9"};
  size_t i;
  answer a;
  verify_answer = 1;
  for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    sign_answer(&a, "1700000000", bad[i], "");
    if (parse_v3(204, &a, "") != WXPAY_ERR_SIGNATURE || r3.outcome != WXPAY_OUTCOME_NONE) {
      if (!t_failed)
        printf("FAIL v3_parse_refuses_nonce_empty_or_with_spaces: nonce #%u accepted\n",
               (unsigned)i);
      t_failed = 1;
    }
  }
}

/* mutant 30: Wechatpay-Serial is 1 to 64 visible characters; anything else
   is an unknown serial before any verifier (here one that would take any
   serial) sees it */
static void v3_parse_refuses_serial_with_spaces_or_too_long(void) {
  static const char *const bad[] = {"5157F09E FDC0", " 5157F09E", "5157F09E\t", ""};
  char longest[66];
  wxpay_client c = v3_client();
  answer a;
  size_t i;
  c.v3_verify_user = &c; /* any serial */
  verify_answer = 1;
  for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    sign_at(&a, NOW, "");
    a.h.serial = bad[i];
    CHECK_ERR(parse_v3_with(&c, 204, &a, ""), WXPAY_ERR_UNKNOWN_SERIAL);
    CHECK(verify_calls == 0 && r3.outcome == WXPAY_OUTCOME_NONE);
  }
  memset(longest, 'A', 65);
  longest[64] = 0;
  a.h.serial = longest;
  CHECK_ERR(parse_v3_with(&c, 204, &a, ""), WXPAY_OK); /* 64: the most */
  longest[64] = 'A';
  longest[65] = 0;
  CHECK_ERR(parse_v3_with(&c, 204, &a, ""), WXPAY_ERR_UNKNOWN_SERIAL);
  CHECK(verify_calls == 0);
}

/* mutant 31: Wechatpay-Timestamp is digits only, even when what is signed
   is exactly its digits */
static void v3_parse_refuses_timestamp_with_trailing_characters(void) {
  static const char *const tails[] = {"x", " ", ".0", "0"};
  answer a;
  char ts[32];
  size_t i;
  verify_answer = 1;
  for (i = 0; i < sizeof tails / sizeof tails[0]; i++) {
    sign_at(&a, NOW, "");
    snprintf(ts, sizeof ts, "%s%s", a.ts, tails[i]);
    a.h.timestamp = ts;
    CHECK_ERR(parse_v3(204, &a, ""), i == 3 ? WXPAY_ERR_SIGNATURE : WXPAY_ERR_STALE);
    CHECK(r3.outcome == WXPAY_OUTCOME_NONE);
  }
  sign_answer(&a, "+1700000000", "n0nce4ns3r", "");
  CHECK_ERR(parse_v3(204, &a, ""), WXPAY_ERR_STALE);
  sign_answer(&a, "", "n0nce4ns3r", "");
  CHECK_ERR(parse_v3(204, &a, ""), WXPAY_ERR_STALE);
}

/* mutants 32 and 33: 300 s either way is in, 301 s is out */
static void v3_parse_accepts_300_seconds_of_skew_either_way_not_301(void) {
  answer a;
  verify_answer = 1;
  sign_at(&a, NOW + WXPAY_V3_MAX_SKEW, "");
  CHECK_ERR(parse_v3(204, &a, ""), WXPAY_OK);
  sign_at(&a, NOW - WXPAY_V3_MAX_SKEW, "");
  CHECK_ERR(parse_v3(204, &a, ""), WXPAY_OK);
  sign_at(&a, NOW + WXPAY_V3_MAX_SKEW + 1, "");
  CHECK_ERR(parse_v3(204, &a, ""), WXPAY_ERR_STALE);
  sign_at(&a, NOW - WXPAY_V3_MAX_SKEW - 1, "");
  CHECK_ERR(parse_v3(204, &a, ""), WXPAY_ERR_STALE);
  CHECK(r3.outcome == WXPAY_OUTCOME_NONE);
}

/* mutants 34 and 35: only 1 from the verifier means valid; -1 is an
   unknown serial; any other answer (a verifier's own error) is a bad
   signature */
static void v3_parse_takes_only_1_from_the_verifier_as_valid(void) {
  static const int answers[] = {2, -2, 255, 0};
  answer a;
  size_t i;
  for (i = 0; i < sizeof answers / sizeof answers[0]; i++) {
    verify_answer = answers[i];
    sign_at(&a, NOW, "");
    CHECK_ERR(parse_v3(204, &a, ""), WXPAY_ERR_SIGNATURE);
    CHECK(r3.outcome == WXPAY_OUTCOME_NONE && r3.verified == 0);
  }
  verify_answer = -1;
  CHECK_ERR(parse_v3(204, &a, ""), WXPAY_ERR_UNKNOWN_SERIAL);
  verify_answer = 1;
}

/* mutant 38: any signed 5xx answer says "retry", whatever its code */
static void v3_parse_5xx_with_unknown_code_is_retry(void) {
  static const int statuses[] = {500, 502, 503, 504};
  static const char body[] = "{\"code\":\"SOMETHING_NEW\",\"message\":\"m\"}";
  answer a;
  size_t i;
  verify_answer = 1;
  for (i = 0; i < sizeof statuses / sizeof statuses[0]; i++) {
    sign_at(&a, NOW, body);
    CHECK_ERR(parse_v3(statuses[i], &a, body), WXPAY_OK);
    CHECK(r3.outcome == WXPAY_OUTCOME_RETRY && r3.verified == 1);
  }
  sign_at(&a, NOW, body);
  CHECK_ERR(parse_v3(499, &a, body), WXPAY_OK);
  CHECK(r3.outcome == WXPAY_OUTCOME_REJECTED);
}

/* mutant 39 at the parser: the signature's Base64 with '-' and '_' for
   '+' and '/' is refused, though it is the same bytes */
static void v3_parse_refuses_url_safe_signature(void) {
  answer a;
  char nonce[16], *p;
  int k, tried = 0;
  verify_answer = 1;
  for (k = 0; k < 100; k++) { /* a nonce whose signature has a '+' or '/' */
    snprintf(nonce, sizeof nonce, "n%d", k);
    sign_answer(&a, "1700000000", nonce, "");
    if (strpbrk(a.sig, "+/")) break;
  }
  CHECK(k < 100);
  CHECK_ERR(parse_v3(204, &a, ""), WXPAY_OK);
  for (p = a.sig; *p; p++) {
    if (*p == '+') *p = '-', tried++;
    if (*p == '/') *p = '_', tried++;
  }
  CHECK(tried > 0);
  CHECK_ERR(parse_v3(204, &a, ""), WXPAY_ERR_SIGNATURE);
  CHECK(r3.outcome == WXPAY_OUTCOME_NONE && verify_calls == 0);
}

/* ---- Base64 (RFC 4648 section 4, the standard alphabet) ---- */

static size_t b64(const char *s, unsigned char *out, size_t cap) {
  return wxpay_base64_decode(s, strlen(s), out, cap);
}

/* mutant 39 */
static void base64_decode_refuses_url_safe_alphabet(void) {
  static const char *const bad[] = {"-_-_", "ab-c", "ab_c", "Zm9-", "_m9v", "Zg-=", "Z_=="};
  unsigned char out[8];
  size_t i;
  for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    if (b64(bad[i], out, sizeof out) != (size_t)-1) {
      if (!t_failed)
        printf("FAIL base64_decode_refuses_url_safe_alphabet: \"%s\" decoded\n", bad[i]);
      t_failed = 1;
    }
  }
  CHECK(b64("+/+/", out, sizeof out) == 3 && out[0] == 0xFB && out[1] == 0xFF && out[2] == 0xBF);
}

/* mutants 40 and 41: '=' only at the end, over zero bits only */
static void base64_decode_refuses_misplaced_padding_and_leftover_bits(void) {
  static const char *const bad[] = {"Zm=A", "Zm=8", "Zm9=", "Zh==", "Zm8==", "=Zm8", "Zg=A"};
  unsigned char out[8];
  size_t i;
  for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    if (b64(bad[i], out, sizeof out) != (size_t)-1) {
      if (!t_failed)
        printf("FAIL base64_decode_refuses_misplaced_padding_and_leftover_bits: \"%s\" "
               "decoded\n", bad[i]);
      t_failed = 1;
    }
  }
  CHECK(b64("Zm8=", out, sizeof out) == 2 && memcmp(out, "fo", 2) == 0);
  CHECK(b64("Zg==", out, sizeof out) == 1 && out[0] == 'f');
}

/* mutant 42: nothing is written past cap */
static void base64_decode_never_writes_past_cap(void) {
  unsigned char out[8];
  size_t cap;
  for (cap = 0; cap < 6; cap++) {
    memset(out, 0xEE, sizeof out);
    CHECK(b64("Zm9vYg==", out, cap) == (cap >= 4 ? 4 : (size_t)-1));
    CHECK(out[cap] == 0xEE);
  }
}

/* ---- UTF-8 in answers: the edges of the ranges refused ---- */

/* mutants 47, 49 and 50: surrogates U+D800-DFFF, U+FFFE, U+FFFF
   and past U+10FFFF are refused in XML and JSON text; the code points
   next to them are read */
static void utf8_refuses_surrogates_and_nonchars_at_their_edges(void) {
  static const char *const bad[] = {"\xED\xA0\x80", "\xED\xBF\xBF", "\xEF\xBF\xBE",
                                    "\xEF\xBF\xBF", "\xF4\x90\x80\x80", "\xC1\xBF",
                                    "\xE0\x9F\xBF", "\xF0\x8F\xBF\xBF"};
  static const char *const good[] = {"\xED\x9F\xBF", "\xEE\x80\x80", "\xEF\xBF\xBD",
                                     "\xF4\x8F\xBF\xBF", "\xC2\x80", "\xE0\xA0\x80",
                                     "\xF0\x90\x80\x80"};
  char doc[64];
  wxpay_fields f;
  const char *code;
  size_t i, off;
  for (i = 0; i < sizeof bad / sizeof bad[0] + sizeof good / sizeof good[0]; i++) {
    int is_bad = i < sizeof bad / sizeof bad[0];
    const char *s = is_bad ? bad[i] : good[i - sizeof bad / sizeof bad[0]];
    wxpay_err want = is_bad ? WXPAY_ERR_UTF8 : WXPAY_OK, got;
    snprintf(doc, sizeof doc, "<xml><a>%s</a></xml>", s);
    got = wxpay_xml_read(doc, strlen(doc), &f, &off);
    if (got != want || (!is_bad && strcmp(wxpay_fields_get(&f, "a"), s) != 0)) {
      if (!t_failed)
        printf("FAIL utf8_refuses_surrogates_and_nonchars_at_their_edges: XML #%u gave %s\n",
               (unsigned)i, wxpay_err_name(got));
      t_failed = 1;
    }
    snprintf(doc, sizeof doc, "{\"code\":\"%s\"}", s);
    got = wxpay_json_error_read(doc, strlen(doc), &code, NULL, NULL, &off);
    if (got != (is_bad ? WXPAY_ERR_JSON : WXPAY_OK) || (!is_bad && strcmp(code, s) != 0)) {
      if (!t_failed)
        printf("FAIL utf8_refuses_surrogates_and_nonchars_at_their_edges: JSON #%u gave %s\n",
               (unsigned)i, wxpay_err_name(got));
      t_failed = 1;
    }
  }
}

/* mutant 56: a character reference may not name a control character but
   TAB, LF and CR (XML 1.0 section 2.2, "Char") */
static void xml_refuses_references_to_control_characters(void) {
  static const char *const bad[] = {"&#1;", "&#x1;", "&#8;", "&#11;", "&#x1F;", "&#31;", "&#0;"};
  static const struct { const char *ref, *text; } good[] = {
      {"&#9;", "\t"}, {"&#10;", "\n"}, {"&#xD;", "\r"}, {"&#32;", " "}, {"&#x7E;", "~"}};
  char doc[64];
  wxpay_fields f;
  size_t i, off;
  for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    snprintf(doc, sizeof doc, "<xml><a>x%sy</a></xml>", bad[i]);
    if (wxpay_xml_read(doc, strlen(doc), &f, &off) != WXPAY_ERR_XML) {
      if (!t_failed)
        printf("FAIL xml_refuses_references_to_control_characters: %s read\n", bad[i]);
      t_failed = 1;
    }
  }
  for (i = 0; i < sizeof good / sizeof good[0]; i++) {
    snprintf(doc, sizeof doc, "<xml><a>%s</a></xml>", good[i].ref);
    CHECK_ERR(wxpay_xml_read(doc, strlen(doc), &f, &off), WXPAY_OK);
    CHECK(strcmp(wxpay_fields_get(&f, "a"), good[i].text) == 0);
  }
}

/* ---- attempts and what a transport reports ---- */

/* A transport that answers with body (NULL: fails with net), claiming
   body_len = what it wrote + lie, and counts its calls. */
typedef struct fake {
  wxpay_net net;
  const char *body;
  size_t lie;
  int status, calls;
  size_t cap_seen;
} fake;

static wxpay_net fake_transport(void *user, const wxpay_http_req *req, wxpay_http_resp *rs) {
  fake *f = (fake *)user;
  size_t n;
  (void)req;
  f->calls++;
  f->cap_seen = rs->body_cap;
  if (!f->body) return f->net;
  n = strlen(f->body);
  if (n > rs->body_cap) return WXPAY_NET_TOO_LARGE;
  memcpy(rs->body, f->body, n);
  rs->status = f->status;
  rs->body_len = n + f->lie;
  return WXPAY_NET_OK;
}

/* The work buffer sits inside a larger one, so that a read past work_cap
   (the bug this guards against) stays in memory the test owns. */
static char work_room[WXPAY_CLOSE_WORK_SIZE + 64];

static wxpay_err close_v2(wxpay_client *c, fake *f) {
  wxpay_close_req r = seed_req();
  f->calls = 0;
  c->transport = fake_transport;
  c->transport_user = f;
  return wxpay_close(c, &r, &resp, work_room, WXPAY_CLOSE_WORK_SIZE);
}

/* mutants 19 and 20: 3 attempts by default, at most 10 */
static void close_attempts_default_3_and_are_capped_at_10(void) {
  static const struct { int asked, made; } cases[] = {
      {0, 3}, {-1, 3}, {1, 1}, {9, 9}, {10, 10}, {11, 10}, {50, 10}};
  wxpay_client c = test_client();
  fake f;
  size_t i;
  memset(&f, 0, sizeof f);
  f.net = WXPAY_NET_IO;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    c.attempts = cases[i].asked;
    CHECK_ERR(close_v2(&c, &f), WXPAY_ERR_TRANSPORT);
    if (f.calls != cases[i].made || resp.attempts != cases[i].made) {
      if (!t_failed)
        printf("FAIL close_attempts_default_3_and_are_capped_at_10: attempts = %d made %d "
               "calls, want %d\n", cases[i].asked, f.calls, cases[i].made);
      t_failed = 1;
    }
  }
}

/* mutant 24: a body_len past the buffer, even by one byte, is an I/O
   failure (never read); one that fills the buffer exactly is read */
static void close_refuses_body_len_one_past_the_buffer(void) {
  static char exact[WXPAY_CLOSE_WORK_SIZE];
  wxpay_client c = test_client();
  fake f;
  size_t n;
  memset(&f, 0, sizeof f);
  f.status = 200;
  f.body = RESP_CLOSED;
  CHECK_ERR(close_v2(&c, &f), WXPAY_OK);
  CHECK(resp.outcome == WXPAY_OUTCOME_CLOSED && f.calls == 1);
  /* the same answer padded with white space to exactly the room given */
  n = strlen(RESP_CLOSED);
  CHECK(f.cap_seen > n && f.cap_seen < sizeof exact);
  memset(exact, ' ', f.cap_seen);
  memcpy(exact, RESP_CLOSED, n);
  exact[f.cap_seen] = 0;
  f.body = exact;
  CHECK_ERR(close_v2(&c, &f), WXPAY_OK);
  CHECK(resp.outcome == WXPAY_OUTCOME_CLOSED);
  exact[f.cap_seen - 1] = 0; /* one byte short of the room, claimed one past it */
  f.lie = 2;
  CHECK_ERR(close_v2(&c, &f), WXPAY_ERR_TRANSPORT);
  CHECK(resp.net == WXPAY_NET_IO && resp.outcome == WXPAY_OUTCOME_RETRY && f.calls == 3);
}

/* ---- APIv3 exchanges through a scripted transport ---- */

typedef struct step3 {
  int status;
  const char *body;
  int sign;
} step3;

typedef struct script3 {
  const step3 *steps;
  int n, calls;
} script3;

static void slot_put(wxpay_http_resp *rs, const char *name, const char *value) {
  size_t i;
  for (i = 0; i < rs->header_count; i++) {
    wxpay_header_slot *s = &rs->headers[i];
    if (strcmp(s->name, name) == 0 && strlen(value) < s->cap) {
      strcpy(s->value, value);
      s->len = strlen(value);
      s->found = 1;
    }
  }
}

static wxpay_net scripted3(void *user, const wxpay_http_req *req, wxpay_http_resp *rs) {
  script3 *sc = (script3 *)user;
  const step3 *st;
  size_t n;
  (void)req;
  if (sc->calls >= sc->n) return WXPAY_NET_IO;
  st = &sc->steps[sc->calls++];
  n = strlen(st->body);
  if (n > rs->body_cap) return WXPAY_NET_TOO_LARGE;
  memcpy(rs->body, st->body, n);
  rs->body_len = n;
  rs->status = st->status;
  if (st->sign) {
    answer a;
    sign_at(&a, NOW, st->body);
    slot_put(rs, "Wechatpay-Timestamp", a.ts);
    slot_put(rs, "Wechatpay-Nonce", a.nonce);
    slot_put(rs, "Wechatpay-Signature", a.sig);
    slot_put(rs, "Wechatpay-Serial", PLATFORM);
  }
  return WXPAY_NET_OK;
}

static char work3[WXPAY_V3_WORK_SIZE];

static wxpay_err close_v3(const step3 *steps, int n, script3 *sc) {
  static wxpay_v3_sub_order subs[1]; /* zeroed: the optional fields unset */
  wxpay_client c = v3_client();
  wxpay_v3_close_req r;
  subs[0].mchid = "1900009001";
  subs[0].out_trade_no = "OD201708030001";
  memset(&r, 0, sizeof r);
  r.combine_appid = "wxd678efh567hg6787";
  r.combine_out_trade_no = "P20150806125346";
  r.sub_orders = subs;
  r.sub_order_count = 1;
  c.v3_sign = stand_in_sign;
  c.transport = scripted3;
  c.transport_user = sc;
  memset(sc, 0, sizeof *sc);
  sc->steps = steps;
  sc->n = n;
  verify_answer = 1;
  return wxpay_v3_close(&c, &r, &r3, work3, sizeof work3);
}

/* mutant 25: a 4xx that is not WeChat's JSON is not retried */
static void v3_close_does_not_retry_an_unsigned_html_4xx(void) {
  static const step3 s[] = {{403, "<html>forbidden</html>", 0}, {204, "", 1}};
  script3 sc;
  CHECK_ERR(close_v3(s, 2, &sc), WXPAY_ERR_HTTP_STATUS);
  CHECK(sc.calls == 1 && r3.outcome == WXPAY_OUTCOME_NONE && r3.http_status == 403);
}

/* mutant 26: a signed 500 is retried whatever its code says */
static void v3_close_retries_a_signed_500_with_any_code(void) {
  static const step3 s[] = {{500, "{\"code\":\"SOMETHING_NEW\",\"message\":\"m\"}", 1},
                            {204, "", 1}};
  script3 sc;
  CHECK_ERR(close_v3(s, 2, &sc), WXPAY_OK);
  CHECK(sc.calls == 2 && r3.outcome == WXPAY_OUTCOME_CLOSED && r3.attempts == 2);
}

int main(void) {
  RUN(parse_accepts_the_fixture_sign_in_any_case);
  RUN(parse_refuses_sign_with_trailing_characters);
  RUN(parse_refuses_sign_differing_in_last_hex_digit);
  RUN(parse_refuses_sign_differing_only_in_second_half);
  RUN(parse_refuses_sign_with_any_one_digit_changed);
  RUN(parse_refuses_sign_of_63_and_65_digits);
  RUN(parse_fail_result_with_err_code_success_is_rejected);
  RUN(v3_stand_in_answer_is_closed);
  RUN(v3_parse_refuses_nonce_of_65_characters);
  RUN(v3_parse_refuses_nonce_empty_or_with_spaces);
  RUN(v3_parse_refuses_serial_with_spaces_or_too_long);
  RUN(v3_parse_refuses_timestamp_with_trailing_characters);
  RUN(v3_parse_accepts_300_seconds_of_skew_either_way_not_301);
  RUN(v3_parse_takes_only_1_from_the_verifier_as_valid);
  RUN(v3_parse_5xx_with_unknown_code_is_retry);
  RUN(v3_parse_refuses_url_safe_signature);
  RUN(base64_decode_refuses_url_safe_alphabet);
  RUN(base64_decode_refuses_misplaced_padding_and_leftover_bits);
  RUN(base64_decode_never_writes_past_cap);
  RUN(utf8_refuses_surrogates_and_nonchars_at_their_edges);
  RUN(xml_refuses_references_to_control_characters);
  RUN(close_attempts_default_3_and_are_capped_at_10);
  RUN(close_refuses_body_len_one_past_the_buffer);
  RUN(v3_close_does_not_retry_an_unsigned_html_4xx);
  RUN(v3_close_retries_a_signed_500_with_any_code);
  return t_total_failed ? 1 : 0;
}
