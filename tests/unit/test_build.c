/* >>validate, >>json, >>xml writer, >>build, >>random */
#define WXPAY_CLOSE_IMPLEMENTATION
#include "common.h"

#define SEED_BODY                                                               \
  "<xml><combine_appid>wx8888888888888888</combine_appid><combine_mch_id>"      \
  "1900000109</combine_mch_id><sign_type>HMAC-SHA256</sign_type>"               \
  "<combine_out_trade_no>1217752501201407033233368018</combine_out_trade_no>"   \
  "<sub_order_list><![CDATA[[{\"mchid\":\"1900009001\",\"out_trade_no\":"       \
  "\"OD201708030001\"}]]]></sub_order_list><nonce_str>ibuaiVcKdpRxkhJA"         \
  "</nonce_str><sign>509AC0CBE8222A321B41F6BD4EFD8FE38D2E61251270F5664280BAD4"  \
  "268C020B</sign></xml>"

static char buf[16384];

static void build_matches_seed_sdk_known_answer_body(void) {
  wxpay_client c = test_client();
  wxpay_close_req r = seed_req();
  size_t n = 0;
  CHECK_ERR(wxpay_close_build(&c, &r, buf, sizeof buf, &n), WXPAY_OK);
  CHECK(!strcmp(buf, SEED_BODY));
  CHECK(n == strlen(SEED_BODY));
  CHECK_ERR(wxpay_client_init(&c), WXPAY_OK); /* cached key pads: same bytes */
  CHECK_ERR(wxpay_close_build(&c, &r, buf, sizeof buf, &n), WXPAY_OK);
  CHECK(!strcmp(buf, SEED_BODY));
}

static void build_sends_caller_json_verbatim(void) {
  wxpay_client c = test_client();
  wxpay_close_req r = seed_req();
  r.sub_orders = NULL;
  r.sub_order_count = 0;
  r.sub_order_list_json = "[{\"mchid\":\"1900009001\",\"out_trade_no\":\"OD201708030001\"}]";
  CHECK_ERR(wxpay_close_build(&c, &r, buf, sizeof buf, NULL), WXPAY_OK);
  CHECK(!strcmp(buf, SEED_BODY));
}

static void explain_shows_signed_string_with_key_masked(void) {
  wxpay_client c = test_client();
  wxpay_close_req r = seed_req();
  size_t n;
  CHECK_ERR(wxpay_close_explain(&c, &r, buf, sizeof buf, &n), WXPAY_OK);
  CHECK(!strcmp(buf, "combine_appid=wx8888888888888888&combine_mch_id=1900000109&"
                     "combine_out_trade_no=1217752501201407033233368018&nonce_str="
                     "ibuaiVcKdpRxkhJA&sign_type=HMAC-SHA256&sub_order_list=[{\"mchid\":"
                     "\"1900009001\",\"out_trade_no\":\"OD201708030001\"}]&key=***"));
  CHECK(strstr(buf, KEY) == NULL);
  r.nonce_str = NULL;
  CHECK_ERR(wxpay_close_explain(&c, &r, buf, sizeof buf, &n), WXPAY_ERR_NONCE);
}

/* Merchant ids are digits only, so none of the characters JSON escapes
   ('"', '\\', '/') or XML quotes ('<', '&', "]]>") can reach the
   sub_order_list the header writes: such an mchid is refused by name. */
static void build_refuses_json_specials_in_mchid(void) {
  static const wxpay_sub_order quote[] = {{"19\"00\\9/001", "OD1"}};
  static const wxpay_sub_order cdata_end[] = {{"1900009001", "OD1"}, {"a]]>b", "OD2"}};
  static const wxpay_sub_order no_end[] = {{"1900009001", "A]]>B"}};
  wxpay_client c = test_client();
  wxpay_close_req r = seed_req();
  const char *field = NULL;
  size_t index = 99;
  r.sub_orders = quote;
  CHECK_ERR(wxpay_close_build(&c, &r, buf, sizeof buf, NULL), WXPAY_ERR_BAD_CHARS);
  CHECK(buf[0] == '\0');
  CHECK_ERR(wxpay_close_validate(&c, &r, &field, &index), WXPAY_ERR_BAD_CHARS);
  CHECK(field && !strcmp(field, "sub_orders.mchid") && index == 0);
  r.sub_orders = cdata_end;
  r.sub_order_count = 2;
  CHECK_ERR(wxpay_close_validate(&c, &r, &field, &index), WXPAY_ERR_BAD_CHARS);
  CHECK(field && !strcmp(field, "sub_orders.mchid") && index == 1);
  /* ']' and '>' are not order-number characters either */
  r.sub_orders = no_end;
  r.sub_order_count = 1;
  CHECK_ERR(wxpay_close_validate(&c, &r, &field, &index), WXPAY_ERR_BAD_CHARS);
  CHECK(field && !strcmp(field, "sub_orders.out_trade_no") && index == 0);
  r = seed_req();
  r.combine_mch_id = "1900\"0109";
  CHECK_ERR(wxpay_close_explain(&c, &r, buf, sizeof buf, NULL), WXPAY_ERR_BAD_CHARS);
  CHECK_ERR(wxpay_close_validate(&c, &r, &field, &index), WXPAY_ERR_BAD_CHARS);
  CHECK(field && !strcmp(field, "combine_mch_id"));
}

/* What can still hold XML's specials: a v2 nonce_str (any printable ASCII
   but space) and the caller's sub_order_list_json, sent verbatim. Both go
   into CDATA with every "]]>" split across two sections, and are signed as
   given. */
static void build_splits_cdata_end_in_nonce_and_caller_json(void) {
  wxpay_client c = test_client();
  wxpay_close_req r = seed_req();
  wxpay_fields f;
  char sign[65];
  size_t n;
  r.nonce_str = "a]]>b<&]]]>c\"";
  CHECK_ERR(wxpay_close_build(&c, &r, buf, sizeof buf, &n), WXPAY_OK);
  CHECK(strstr(buf, "<nonce_str><![CDATA[a]]]]><![CDATA[>b<&]]]]]><![CDATA[>c\"]]></nonce_str>") != NULL);
  CHECK_ERR(wxpay_xml_read(buf, n, &f, NULL), WXPAY_OK);
  CHECK(!strcmp(wxpay_fields_get(&f, "nonce_str"), "a]]>b<&]]]>c\""));
  CHECK_ERR(wxpay_sign_fields(&c, &f, sign), WXPAY_OK);
  CHECK(!strcmp(sign, wxpay_fields_get(&f, "sign")));
  CHECK_ERR(wxpay_close_explain(&c, &r, buf, sizeof buf, NULL), WXPAY_OK);
  CHECK(strstr(buf, "&nonce_str=a]]>b<&]]]>c\"&sign_type=") != NULL);
  r = seed_req();
  r.sub_order_list_json = "[\"x]]>y]]]>z\",\"a\\/b\"]";
  CHECK_ERR(wxpay_close_build(&c, &r, buf, sizeof buf, &n), WXPAY_OK);
  CHECK(strstr(buf, "<sub_order_list><![CDATA[[\"x]]]]><![CDATA[>y]]]]]><![CDATA[>z\",\"a\\/b\"]]]>"
                    "</sub_order_list>") != NULL);
  CHECK_ERR(wxpay_xml_read(buf, n, &f, NULL), WXPAY_OK);
  CHECK(!strcmp(wxpay_fields_get(&f, "sub_order_list"), "[\"x]]>y]]]>z\",\"a\\/b\"]"));
  CHECK_ERR(wxpay_sign_fields(&c, &f, sign), WXPAY_OK);
  CHECK(!strcmp(sign, wxpay_fields_get(&f, "sign")));
}

static void build_puts_plain_values_outside_cdata(void) {
  wxpay_client c = test_client();
  wxpay_close_req r = seed_req();
  r.sub_order_list_json = "plain";
  CHECK_ERR(wxpay_close_build(&c, &r, buf, sizeof buf, NULL), WXPAY_OK);
  CHECK(strstr(buf, "<sub_order_list>plain</sub_order_list>") != NULL);
  CHECK(strstr(buf, "<nonce_str>ibuaiVcKdpRxkhJA</nonce_str>") != NULL);
  r.nonce_str = "n<8>";
  CHECK_ERR(wxpay_close_build(&c, &r, buf, sizeof buf, NULL), WXPAY_OK);
  CHECK(strstr(buf, "<nonce_str><![CDATA[n<8>]]></nonce_str>") != NULL);
  CHECK(strstr(buf, "<combine_appid>wx8888888888888888</combine_appid>") != NULL);
  r.combine_appid = "wx<8>"; /* an appid is letters and digits only */
  CHECK_ERR(wxpay_close_build(&c, &r, buf, sizeof buf, NULL), WXPAY_ERR_BAD_CHARS);
}

static void build_output_parses_back_to_same_fields_and_signature(void) {
  static const wxpay_sub_order subs[] = {{"1900009001", "OD1"}, {"1900009002", "OD2|*@-_"}};
  wxpay_client c = test_client();
  wxpay_close_req r = seed_req();
  wxpay_fields f;
  char sign[65];
  size_t n;
  r.sub_orders = subs;
  r.sub_order_count = 2;
  r.nonce_str = NULL;
  CHECK_ERR(wxpay_close_build(&c, &r, buf, sizeof buf, &n), WXPAY_OK);
  CHECK_ERR(wxpay_xml_read(buf, n, &f, NULL), WXPAY_OK);
  CHECK(f.count == 7);
  CHECK(!strcmp(wxpay_fields_get(&f, "sub_order_list"),
                "[{\"mchid\":\"1900009001\",\"out_trade_no\":\"OD1\"},"
                "{\"mchid\":\"1900009002\",\"out_trade_no\":\"OD2|*@-_\"}]"));
  CHECK(!strcmp(wxpay_fields_get(&f, "sign_type"), "HMAC-SHA256"));
  CHECK(strlen(wxpay_fields_get(&f, "nonce_str")) == 32);
  CHECK_ERR(wxpay_sign_fields(&c, &f, sign), WXPAY_OK);
  CHECK(!strcmp(sign, wxpay_fields_get(&f, "sign")));
}

static void build_buffer_sweep_never_writes_past_cap(void) {
  wxpay_client c = test_client();
  wxpay_close_req r = seed_req();
  size_t need = 0, cap, n, i;
  static char area[1024];
  CHECK_ERR(wxpay_close_build(&c, &r, NULL, 0, &need), WXPAY_ERR_BUFFER);
  CHECK(need == strlen(SEED_BODY) + 1);
  for (cap = 0; cap <= need; cap++) {
    memset(area, 0xA5, sizeof area);
    n = 12345;
    if (cap < need) {
      CHECK_ERR(wxpay_close_build(&c, &r, area + 16, cap, &n), WXPAY_ERR_BUFFER);
      CHECK(n == need);
      CHECK(cap == 0 || area[16] == '\0'); /* no partial body that looks whole */
    } else {
      CHECK_ERR(wxpay_close_build(&c, &r, area + 16, cap, &n), WXPAY_OK);
      CHECK(n == need - 1 && !strcmp(area + 16, SEED_BODY));
    }
    for (i = 0; i < 16; i++) CHECK((unsigned char)area[i] == 0xA5);
    for (i = 16 + cap; i < sizeof area; i++) CHECK((unsigned char)area[i] == 0xA5);
  }
}

static void build_rejects_null_arguments(void) {
  wxpay_client c = test_client();
  wxpay_close_req r = seed_req();
  CHECK_ERR(wxpay_close_build(NULL, &r, buf, sizeof buf, NULL), WXPAY_ERR_ARG);
  CHECK_ERR(wxpay_close_build(&c, NULL, buf, sizeof buf, NULL), WXPAY_ERR_ARG);
  CHECK_ERR(wxpay_close_build(&c, &r, NULL, 10, NULL), WXPAY_ERR_ARG);
  r.sub_orders = NULL;
  CHECK_ERR(wxpay_close_build(&c, &r, buf, sizeof buf, NULL), WXPAY_ERR_ARG);
}

static wxpay_err validate(const wxpay_client *c, const wxpay_close_req *r,
                          const char *want_field, size_t want_index) {
  const char *field = "unset";
  size_t index = 99;
  wxpay_err e = wxpay_close_validate(c, r, &field, &index);
  if (e != WXPAY_OK && (!field || strcmp(field, want_field) || index != want_index)) {
    printf("  validate named %s[%u], want %s[%u]\n", field ? field : "(null)",
           (unsigned)index, want_field, (unsigned)want_index);
    return WXPAY_ERR_COUNT;
  }
  return e;
}

static void validate_names_each_problem_with_its_own_error(void) {
  static const wxpay_sub_order bad_no[] = {{"1900009001", "OD1"}, {"1900009002", "OD#2"}};
  static const wxpay_sub_order long_mch[] = {{"123456789012345678901234567890123", "OD1"}};
  static const wxpay_sub_order no_mch[] = {{NULL, "OD1"}};
  static wxpay_sub_order many[WXPAY_MAX_SUB_ORDERS + 1];
  static char big_json[WXPAY_SUB_ORDER_LIST_MAX + 2];
  wxpay_client c = test_client();
  wxpay_close_req r;
  size_t i;
  for (i = 0; i < sizeof many / sizeof many[0]; i++) { many[i].mchid = "1"; many[i].out_trade_no = "2"; }

  r = seed_req(); CHECK_ERR(validate(&c, &r, "", 0), WXPAY_OK);
  r = seed_req(); r.combine_appid = NULL; CHECK_ERR(validate(&c, &r, "combine_appid", 0), WXPAY_ERR_MISSING_FIELD);
  r = seed_req(); r.combine_mch_id = ""; CHECK_ERR(validate(&c, &r, "combine_mch_id", 0), WXPAY_ERR_MISSING_FIELD);
  r = seed_req(); r.combine_appid = "wx88888888888888888888888888888888";
  CHECK_ERR(validate(&c, &r, "combine_appid", 0), WXPAY_ERR_FIELD_TOO_LONG);
  r = seed_req(); r.combine_out_trade_no = "12177525012014070332333680181111";
  CHECK_ERR(validate(&c, &r, "", 0), WXPAY_OK); /* exactly 32 */
  r = seed_req(); r.combine_out_trade_no = "121775250120140703323336801811112";
  CHECK_ERR(validate(&c, &r, "combine_out_trade_no", 0), WXPAY_ERR_FIELD_TOO_LONG);
  r = seed_req(); r.combine_out_trade_no = "1217 7525";
  CHECK_ERR(validate(&c, &r, "combine_out_trade_no", 0), WXPAY_ERR_BAD_CHARS);
  r = seed_req(); r.combine_out_trade_no = "A-Z_a|z*0@9";
  CHECK_ERR(validate(&c, &r, "", 0), WXPAY_OK);
  r = seed_req(); r.combine_out_trade_no = "\xe8\xae\xa2\xe5\x8d\x95";
  CHECK_ERR(validate(&c, &r, "combine_out_trade_no", 0), WXPAY_ERR_BAD_CHARS);
  r = seed_req(); r.combine_appid = "wx\xc0\xaf";
  CHECK_ERR(validate(&c, &r, "combine_appid", 0), WXPAY_ERR_UTF8);
  r = seed_req(); r.combine_appid = "wx 88";
  CHECK_ERR(validate(&c, &r, "combine_appid", 0), WXPAY_ERR_BAD_CHARS);
  /* appids: letters and digits, up to 32 */
  r = seed_req(); r.combine_appid = "wxABCDEFGHIJKLMNOPQRSTUVWXYZ0189";
  CHECK_ERR(validate(&c, &r, "", 0), WXPAY_OK);
  r = seed_req(); r.combine_appid = "wx_8888";
  CHECK_ERR(validate(&c, &r, "combine_appid", 0), WXPAY_ERR_BAD_CHARS);
  r = seed_req(); r.combine_appid = "wx8888-1";
  CHECK_ERR(validate(&c, &r, "combine_appid", 0), WXPAY_ERR_BAD_CHARS);
  r = seed_req(); r.combine_appid = "wx8888|*@";
  CHECK_ERR(validate(&c, &r, "combine_appid", 0), WXPAY_ERR_BAD_CHARS);
  /* merchant ids: digits, up to 32; the length is judged first */
  r = seed_req(); r.combine_mch_id = "12345678901234567890123456789012";
  CHECK_ERR(validate(&c, &r, "", 0), WXPAY_OK);
  r = seed_req(); r.combine_mch_id = "19000001O9"; /* a letter O */
  CHECK_ERR(validate(&c, &r, "combine_mch_id", 0), WXPAY_ERR_BAD_CHARS);
  r = seed_req(); r.combine_mch_id = "1900000109:OD1";
  CHECK_ERR(validate(&c, &r, "combine_mch_id", 0), WXPAY_ERR_BAD_CHARS);
  r = seed_req(); r.combine_mch_id = "-1900000109";
  CHECK_ERR(validate(&c, &r, "combine_mch_id", 0), WXPAY_ERR_BAD_CHARS);
  r = seed_req(); r.combine_mch_id = "abcdefghijklmnopqrstuvwxyzabcdefg";
  CHECK_ERR(validate(&c, &r, "combine_mch_id", 0), WXPAY_ERR_FIELD_TOO_LONG);
  r = seed_req(); r.combine_mch_id = "19\xe4\xb8";
  CHECK_ERR(validate(&c, &r, "combine_mch_id", 0), WXPAY_ERR_UTF8);
  r = seed_req(); r.combine_mch_id = "\xef\xbc\x91\xef\xbc\x99"; /* fullwidth digits */
  CHECK_ERR(validate(&c, &r, "combine_mch_id", 0), WXPAY_ERR_BAD_CHARS);
  {
    static const wxpay_sub_order colon[] = {{"1900009001", "OD1"}, {"1900009001:OD1", "x"}};
    r = seed_req(); r.sub_orders = colon; r.sub_order_count = 2;
    CHECK_ERR(validate(&c, &r, "sub_orders.mchid", 1), WXPAY_ERR_BAD_CHARS);
  }
  r = seed_req(); r.sub_orders = bad_no; r.sub_order_count = 2;
  CHECK_ERR(validate(&c, &r, "sub_orders.out_trade_no", 1), WXPAY_ERR_BAD_CHARS);
  r = seed_req(); r.sub_orders = long_mch;
  CHECK_ERR(validate(&c, &r, "sub_orders.mchid", 0), WXPAY_ERR_FIELD_TOO_LONG);
  r = seed_req(); r.sub_orders = no_mch;
  CHECK_ERR(validate(&c, &r, "sub_orders.mchid", 0), WXPAY_ERR_MISSING_FIELD);
  r = seed_req(); r.sub_order_count = 0;
  CHECK_ERR(validate(&c, &r, "sub_orders", 0), WXPAY_ERR_SUB_ORDER_COUNT);
  r = seed_req(); r.sub_orders = many; r.sub_order_count = WXPAY_MAX_SUB_ORDERS;
  CHECK_ERR(validate(&c, &r, "", 0), WXPAY_OK);
  r.sub_order_count = WXPAY_MAX_SUB_ORDERS + 1;
  CHECK_ERR(validate(&c, &r, "sub_orders", 0), WXPAY_ERR_SUB_ORDER_COUNT);
  memset(big_json, 'x', WXPAY_SUB_ORDER_LIST_MAX);
  r = seed_req(); r.sub_order_list_json = big_json;
  CHECK_ERR(validate(&c, &r, "", 0), WXPAY_OK); /* exactly 10240 */
  big_json[WXPAY_SUB_ORDER_LIST_MAX] = 'x';
  CHECK_ERR(validate(&c, &r, "sub_order_list", 0), WXPAY_ERR_SUB_ORDER_LIST_TOO_LONG);
  r.sub_order_list_json = "";
  CHECK_ERR(validate(&c, &r, "sub_order_list", 0), WXPAY_ERR_MISSING_FIELD);
  r.sub_order_list_json = "[\"\xe5\xad\x90\xe5\x8d\x95\"]";
  CHECK_ERR(validate(&c, &r, "", 0), WXPAY_OK);
  r.sub_order_list_json = "[\"\xed\xa0\x80\"]"; /* a UTF-16 surrogate */
  CHECK_ERR(validate(&c, &r, "sub_order_list", 0), WXPAY_ERR_UTF8);
  r.sub_order_list_json = "[\"\xf4\x90\x80\x80\"]"; /* past U+10FFFF */
  CHECK_ERR(validate(&c, &r, "sub_order_list", 0), WXPAY_ERR_UTF8);
  r.sub_order_list_json = "[\"\xe5\xad\"]"; /* truncated sequence */
  CHECK_ERR(validate(&c, &r, "sub_order_list", 0), WXPAY_ERR_UTF8);
  /* what XML cannot carry, or a server would alter before checking the sign */
  r.sub_order_list_json = "[\x01]";
  CHECK_ERR(validate(&c, &r, "sub_order_list", 0), WXPAY_ERR_BAD_CHARS);
  r.sub_order_list_json = "[1,\r\n2]";
  CHECK_ERR(validate(&c, &r, "sub_order_list", 0), WXPAY_ERR_BAD_CHARS);
  r.sub_order_list_json = "[1,\n\t2]";
  CHECK_ERR(validate(&c, &r, "", 0), WXPAY_OK);
  r.sub_order_list_json = "[\"\xef\xbf\xbe\"]"; /* U+FFFE */
  CHECK_ERR(validate(&c, &r, "sub_order_list", 0), WXPAY_ERR_UTF8);
  r = seed_req(); r.nonce_str = "123456789012345678901234567890123";
  CHECK_ERR(validate(&c, &r, "nonce_str", 0), WXPAY_ERR_NONCE);
  r.nonce_str = ""; CHECK_ERR(validate(&c, &r, "nonce_str", 0), WXPAY_ERR_NONCE);
  r.nonce_str = "has space"; CHECK_ERR(validate(&c, &r, "nonce_str", 0), WXPAY_ERR_NONCE);
  r.nonce_str = "12345678901234567890123456789012"; CHECK_ERR(validate(&c, &r, "", 0), WXPAY_OK);
  r.nonce_str = "<&]]>\"'!~"; CHECK_ERR(validate(&c, &r, "", 0), WXPAY_OK); /* printable, no space */
  r.nonce_str = "tab\there"; CHECK_ERR(validate(&c, &r, "nonce_str", 0), WXPAY_ERR_NONCE);
  r = seed_req(); c.api_key = "short";
  CHECK_ERR(validate(&c, &r, "api_key", 0), WXPAY_ERR_KEY);
  CHECK_ERR(wxpay_close_build(&c, &r, buf, sizeof buf, NULL), WXPAY_ERR_KEY);
  CHECK(buf[0] == '\0');
}

static long long fake_now;
static long long fake_clock(void *user) { (void)user; return fake_now; }

static void one_minute_guard_says_how_long_to_wait(void) {
  wxpay_client c = test_client();
  wxpay_close_req r = seed_req();
  c.clock = fake_clock;
  fake_now = 1700000000;
  r.created_at = fake_now - 18;
  CHECK(wxpay_close_wait_seconds(&c, &r) == 42);
  CHECK_ERR(validate(&c, &r, "created_at", 0), WXPAY_ERR_TOO_EARLY);
  CHECK_ERR(wxpay_close_build(&c, &r, buf, sizeof buf, NULL), WXPAY_ERR_TOO_EARLY);
  r.created_at = fake_now - 59;
  CHECK(wxpay_close_wait_seconds(&c, &r) == 1);
  r.created_at = fake_now - 60;
  CHECK(wxpay_close_wait_seconds(&c, &r) == 0);
  CHECK_ERR(wxpay_close_build(&c, &r, buf, sizeof buf, NULL), WXPAY_OK);
  r.created_at = 0; /* unknown: no guard */
  fake_now = 5;
  CHECK(wxpay_close_wait_seconds(&c, &r) == 0);
  fake_now = -1; /* a clock that does not know */
  r.created_at = 1700000000;
  CHECK(wxpay_close_wait_seconds(&c, &r) == 0);
  fake_now = 1700000000; /* created "in the future" (skew, or milliseconds): the whole minute */
  r.created_at = fake_now + 5;
  CHECK(wxpay_close_wait_seconds(&c, &r) == 60);
  r.created_at = 0x7FFFFFFFFFFFFFFFLL;
  CHECK(wxpay_close_wait_seconds(&c, &r) == 60);
  /* the debug helper has nothing to do with time */
  r.created_at = fake_now - 1;
  CHECK_ERR(wxpay_close_explain(&c, &r, buf, sizeof buf, NULL), WXPAY_OK);
}

/* Every call fills the whole request with one byte value, the next call with
   the next value, so which bytes the nonce keeps is visible. */
static unsigned char next_byte;
static unsigned calls;
static int constant_batches(void *user, unsigned char *b, size_t n) {
  (void)user;
  memset(b, next_byte++, n);
  calls++;
  return 0;
}
static int broken_random(void *user, unsigned char *b, size_t n) {
  (void)user; (void)b; (void)n;
  return -1;
}
static int stuck_random(void *user, unsigned char *b, size_t n) {
  (void)user;
  memset(b, 0xFF, n);
  return 0;
}

static void nonce_is_32_alphanumerics_without_modulo_bias(void) {
  wxpay_client c = test_client();
  char nonce[33];
  unsigned counts[256];
  int i, k;
  c.random = constant_batches;
  next_byte = 0;
  calls = 0;
  memset(counts, 0, sizeof counts);
  /* byte values 0..247 map 4 times onto each of the 62 characters; 248..255
     must be dropped (else '0'..'7' would be favoured) */
  for (k = 0; k < 248; k++) {
    CHECK_ERR(wxpay_nonce(&c, nonce), WXPAY_OK);
    CHECK(strlen(nonce) == 32);
    for (i = 0; i < 32; i++) counts[(unsigned char)nonce[i]]++;
  }
  CHECK(calls == 248);
  /* the next nonce skips the eight batches 248..255 and takes byte 0 */
  CHECK_ERR(wxpay_nonce(&c, nonce), WXPAY_OK);
  CHECK(calls == 257 && !strcmp(nonce, "00000000000000000000000000000000"));
  for (i = 0; i < 256; i++) {
    int alnum = (i >= '0' && i <= '9') || (i >= 'A' && i <= 'Z') || (i >= 'a' && i <= 'z');
    CHECK(counts[i] == (alnum ? 4u * 32u : 0u));
  }
}

static void default_random_source_draws_distinct_nonces(void) {
  wxpay_client c = test_client();
  char a[33], b[33];
  CHECK_ERR(wxpay_nonce(&c, a), WXPAY_OK);
  CHECK_ERR(wxpay_nonce(&c, b), WXPAY_OK);
  CHECK(strlen(a) == 32 && strcmp(a, b) != 0);
}

static void broken_random_source_is_an_error_not_a_weak_nonce(void) {
  wxpay_client c = test_client();
  wxpay_close_req r = seed_req();
  char nonce[33];
  c.random = broken_random;
  CHECK_ERR(wxpay_nonce(&c, nonce), WXPAY_ERR_RANDOM);
  CHECK(nonce[0] == '\0');
  r.nonce_str = NULL;
  CHECK_ERR(wxpay_close_build(&c, &r, buf, sizeof buf, NULL), WXPAY_ERR_RANDOM);
  c.random = stuck_random;
  CHECK_ERR(wxpay_nonce(&c, nonce), WXPAY_ERR_RANDOM);
}

int main(void) {
  RUN(build_matches_seed_sdk_known_answer_body);
  RUN(build_sends_caller_json_verbatim);
  RUN(explain_shows_signed_string_with_key_masked);
  RUN(build_refuses_json_specials_in_mchid);
  RUN(build_splits_cdata_end_in_nonce_and_caller_json);
  RUN(build_puts_plain_values_outside_cdata);
  RUN(build_output_parses_back_to_same_fields_and_signature);
  RUN(build_buffer_sweep_never_writes_past_cap);
  RUN(build_rejects_null_arguments);
  RUN(validate_names_each_problem_with_its_own_error);
  RUN(one_minute_guard_says_how_long_to_wait);
  RUN(nonce_is_32_alphanumerics_without_modulo_bias);
  RUN(default_random_source_draws_distinct_nonces);
  RUN(broken_random_source_is_an_error_not_a_weak_nonce);
  return t_total_failed ? 1 : 0;
}
