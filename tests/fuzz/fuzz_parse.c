/* fuzz_parse.c -- the response parser with verification, wxpay_close_parse().

   The input is a response body, copied to an exact-size heap buffer. Three
   passes per input:
   1. As received, with and without the request (echo check), with a cached
      and an uncached key. Properties: the verdict is OK or a parse/verify
      error; error_offset <= len; an error never carries an outcome; on OK
      return_code is SUCCESS or FAIL, a SUCCESS answer is verified and its
      sign equals the reference signature, the nine named fields equal the
      list's values, the outcome follows result_code/err_code, and the
      fields re-serialise (another XML style) to a body that parses to the
      same fields, verdict, outcome and verified flag.
   2. Re-signed: if the XML reader accepts the body, its fields are written
      again with the correct sign (the reference signer's). That body must
      never be refused for its signature: it verifies, and the verdict is
      decided by return_code/result_code/echo and the ambiguity rule alone
      (issue 11 items 8 and 9: an echo may be absent from a FAIL result; a
      deciding field holding '&' or '=', or a value holding "&return_code=",
      "&result_code=" or "&err_code=", is AMBIGUOUS).
   3. Tampered: the re-signed body with one sign digit changed, with the sign
      cut to MD5 length, with one value changed, and with an extra unknown
      field must all be refused as SIGNATURE (when return_code is valid);
      an extra *empty* field must still verify (empty fields are not signed). */
#define WXPAY_CLOSE_IMPLEMENTATION
#include "wxpay_close.h"
#include "fuzz_common.h"

static wxpay_close_req fz_req;
static const wxpay_sub_order fz_subs[1] = {{"1900009001", "OD201708030001"}};

static int fz_parse_err(wxpay_err e) {
  return e == WXPAY_OK || fz_is_xml_err(e) || e == WXPAY_ERR_RESPONSE ||
         e == WXPAY_ERR_NO_SIGNATURE || e == WXPAY_ERR_SIGNATURE ||
         e == WXPAY_ERR_ECHO_MISMATCH || e == WXPAY_ERR_AMBIGUOUS;
}

/* Issue 11 item 9: the string to sign joins k=v with '&', so a signed answer
   could be cut into other fields when a deciding field (return_code,
   result_code, err_code) holds '&' or '=', or any value holds '&' followed
   by a deciding name and '='. */
static const char *const fz_deciding[3] = {"return_code", "result_code", "err_code"};
static int fz_ambiguous(const fz_kv *kv, size_t n) {
  size_t i, d;
  for (i = 0; i < n; i++) {
    const char *v = kv[i].value, *p;
    for (d = 0; d < 3; d++) {
      size_t k = strlen(fz_deciding[d]);
      if (!strcmp(kv[i].name, fz_deciding[d]) && (strchr(v, '&') || strchr(v, '=')))
        return 1;
      for (p = strchr(v, '&'); p; p = strchr(p + 1, '&'))
        if (!strncmp(p + 1, fz_deciding[d], k) && p[1 + k] == '=') return 1;
    }
  }
  return 0;
}

/* An echoed id is ours, or absent where a FAIL result may leave it out. */
static int fz_echo_ok(const char *got, const char *sent, int result_fail) {
  return !strcmp(got, sent) || (result_fail && !*got);
}

static int fz_in(const char *p, const char *lo, size_t n) {
  return p >= lo && p < lo + n;
}

static int fz_ieq(const char *a, const char *b) {
  for (; *a && *b; a++, b++) {
    char x = *a >= 'a' && *a <= 'z' ? (char)(*a - 32) : *a;
    char y = *b >= 'a' && *b <= 'z' ? (char)(*b - 32) : *b;
    if (x != y) return 0;
  }
  return *a == *b;
}

/* Everything that must hold of one wxpay_close_parse() result. */
static void fz_check_resp(const wxpay_close_req *req, wxpay_err e,
                          const wxpay_close_resp *r, const char *body, size_t size) {
  fz_kv kv[FZ_MAX_KV];
  size_t n;
  const char *rc;
  char want[65];
  wxpay_outcome o;
  FZ_CHECK(fz_parse_err(e), "parse returns OK or a parse/verify error");
  FZ_CHECK(r->error_offset <= size, "error_offset inside the body");
  if (e != WXPAY_OK) { /* documented: on any error, outcome NONE and verified 0 */
    FZ_CHECK(r->outcome == WXPAY_OUTCOME_NONE, "an error never carries an outcome");
    FZ_CHECK(r->verified == 0, "an error is never 'verified'");
    return;
  }
  n = fz_walk(&r->fields, body, body + size, kv, FZ_MAX_KV);
  {
    const char *const *named[9] = {&r->return_code, &r->return_msg, &r->combine_appid,
                                   &r->combine_mch_id, &r->nonce_str, &r->sign,
                                   &r->result_code, &r->err_code, &r->err_code_des};
    static const char *const nm[9] = {"return_code", "return_msg", "combine_appid",
                                      "combine_mch_id", "nonce_str", "sign",
                                      "result_code", "err_code", "err_code_des"};
    int i;
    for (i = 0; i < 9; i++) {
      const char *v = fz_get(kv, n, nm[i]);
      FZ_CHECK(*named[i] != NULL, "named fields are never NULL");
      if (v) FZ_CHECK(*named[i] == v, "a named field points at the list's value");
      else FZ_CHECK(**named[i] == '\0', "an absent named field is \"\"");
      FZ_CHECK(**named[i] == '\0' || fz_in(*named[i], body, size),
               "named fields point into the body buffer");
    }
  }
  rc = r->return_code;
  FZ_CHECK(!strcmp(rc, "SUCCESS") || !strcmp(rc, "FAIL"), "return_code is SUCCESS or FAIL");
  if (r->sign[0]) {
    FZ_CHECK(r->verified == 1, "a present sign was verified");
    fz_ref_sign(kv, n, FZ_KEY, want);
    FZ_CHECK(fz_ieq(r->sign, want), "an accepted sign equals the reference signature");
    FZ_CHECK(!fz_ambiguous(kv, n), "an accepted signed answer is not ambiguous");
  }
  if (!strcmp(rc, "FAIL")) {
    FZ_CHECK(r->outcome == WXPAY_OUTCOME_REJECTED, "return_code FAIL is REJECTED");
    return;
  }
  FZ_CHECK(r->verified == 1 && r->sign[0], "a SUCCESS answer is signed and verified");
  FZ_CHECK(!strcmp(r->result_code, "SUCCESS") || !strcmp(r->result_code, "FAIL"),
           "result_code is SUCCESS or FAIL");
  if (req) {
    int fail = !strcmp(r->result_code, "FAIL");
    FZ_CHECK(fz_echo_ok(r->combine_appid, req->combine_appid, fail),
             "echoed appid matches (or is absent from a FAIL result)");
    FZ_CHECK(fz_echo_ok(r->combine_mch_id, req->combine_mch_id, fail),
             "echoed mch_id matches (or is absent from a FAIL result)");
  }
  if (!strcmp(r->result_code, "SUCCESS")) o = WXPAY_OUTCOME_CLOSED;
  else {
    o = !strcmp(r->err_code, "ORDERCLOSED")     ? WXPAY_OUTCOME_ALREADY_CLOSED
        : !strcmp(r->err_code, "ORDERPAID")     ? WXPAY_OUTCOME_PAID
        : !strcmp(r->err_code, "ORDERNOTEXIST") ? WXPAY_OUTCOME_NOT_FOUND
        : !strcmp(r->err_code, "USERPAYING")    ? WXPAY_OUTCOME_PAYING
        : (!strcmp(r->err_code, "SYSTEMERROR") || !strcmp(r->err_code, "FREQUENCY_LIMITED"))
            ? WXPAY_OUTCOME_RETRY
            : WXPAY_OUTCOME_REJECTED;
  }
  FZ_CHECK(r->outcome == o, "the outcome follows result_code/err_code");
}

/* Parses a body given as bytes (exact-size copy) and checks the result. */
static wxpay_err fz_parse(const wxpay_client *cli, const wxpay_close_req *req,
                          const char *bytes, size_t size, wxpay_close_resp *r,
                          char **keep) {
  char *b = fz_dup(bytes, size);
  wxpay_err e = wxpay_close_parse(cli, req, b, size, r);
  fz_check_resp(req, e, r, b, size);
  *keep = b;
  return e;
}

/* An accepted body re-serialised in another style gives the same answer. */
static void fz_roundtrip(const wxpay_client *cli, const wxpay_close_req *req,
                         const wxpay_close_resp *r, const char *body, size_t size,
                         unsigned salt) {
  fz_kv kv[FZ_MAX_KV], kv2[FZ_MAX_KV];
  size_t n = fz_walk(&r->fields, body, body + size, kv, FZ_MAX_KV), n2;
  fz_buf out = {NULL, 0, 0};
  wxpay_close_resp r2;
  char *keep;
  wxpay_err e;
  fz_xml(&out, kv, n, (int)(salt % FZ_XML_STYLES), salt);
  e = fz_parse(cli, req, out.p, out.n, &r2, &keep);
  FZ_CHECK(e == WXPAY_OK, "an accepted body re-serialises to an accepted body");
  n2 = fz_walk(&r2.fields, keep, keep + out.n, kv2, FZ_MAX_KV);
  FZ_CHECK(fz_kv_equal(kv, n, kv2, n2), "re-serialised fields are the same");
  FZ_CHECK(r2.outcome == r->outcome && r2.verified == r->verified,
           "re-serialised body has the same outcome and verification");
  free(keep);
  fz_free(&out);
}

static wxpay_err fz_expect_signed(const fz_kv *kv, size_t n, const wxpay_close_req *req) {
  const char *rc = fz_get(kv, n, "return_code"), *res = fz_get(kv, n, "result_code");
  const char *a = fz_get(kv, n, "combine_appid"), *m = fz_get(kv, n, "combine_mch_id");
  int fail;
  if (!rc || (strcmp(rc, "SUCCESS") && strcmp(rc, "FAIL"))) return WXPAY_ERR_RESPONSE;
  if (fz_ambiguous(kv, n)) return WXPAY_ERR_AMBIGUOUS; /* it is signed */
  if (!strcmp(rc, "FAIL")) return WXPAY_OK;
  if (!res || (strcmp(res, "SUCCESS") && strcmp(res, "FAIL"))) return WXPAY_ERR_RESPONSE;
  fail = !strcmp(res, "FAIL");
  if (req && (!fz_echo_ok(a ? a : "", req->combine_appid, fail) ||
              !fz_echo_ok(m ? m : "", req->combine_mch_id, fail)))
    return WXPAY_ERR_ECHO_MISMATCH;
  return WXPAY_OK;
}

static void fz_resigned(const wxpay_client *cli, const uint8_t *data, size_t size,
                        unsigned salt) {
  fz_kv kv[FZ_MAX_KV], t[FZ_MAX_KV];
  char *b = fz_dup(data, size), *keep, sign[65], bad[65], md5[33];
  wxpay_fields f;
  size_t n, i, s_at;
  fz_buf out = {NULL, 0, 0}, val = {NULL, 0, 0};
  wxpay_close_resp r;
  wxpay_err e, want;
  const wxpay_close_req *req = (salt & 1) ? &fz_req : NULL;
  if (wxpay_xml_read(b, size, &f, NULL) != WXPAY_OK) { free(b); return; }
  n = fz_walk(&f, b, b + size, kv, FZ_MAX_KV);
  fz_ref_sign(kv, n, FZ_KEY, sign);
  for (s_at = 0; s_at < n && strcmp(kv[s_at].name, "sign"); s_at++) {}
  if (s_at == n) {
    if (n >= WXPAY_MAX_FIELDS) { free(b); return; }
    kv[n].name = "sign";
    n++;
  }
  kv[s_at].value = sign;
  want = fz_expect_signed(kv, n, req);
  fz_xml(&out, kv, n, (int)((salt >> 1) % FZ_XML_STYLES), salt);
  e = fz_parse(cli, req, out.p, out.n, &r, &keep);
  if (e != want) {
    fprintf(stderr, "re-signed body: got %s, want %s\n%.*s\n", wxpay_err_name(e),
            wxpay_err_name(want), (int)out.n, out.p);
    fz_fail("a correctly signed body verifies", wxpay_err_name(e), __LINE__);
  }
  if (want == WXPAY_OK) FZ_CHECK(r.verified == 1, "correct sign is verified");
  if (e == WXPAY_OK) fz_roundtrip(cli, req, &r, keep, out.n, salt >> 3);
  free(keep);
  if (want == WXPAY_ERR_RESPONSE) goto done; /* return_code decides first */

  /* one hex digit changed */
  memcpy(t, kv, n * sizeof kv[0]);
  memcpy(bad, sign, sizeof bad);
  i = (salt >> 5) % 64;
  bad[i] = bad[i] == '0' ? '1' : '0';
  t[s_at].value = bad;
  fz_xml(&out, t, n, FZ_XML_ENTITIES, 0);
  e = fz_parse(cli, req, out.p, out.n, &r, &keep);
  free(keep);
  FZ_CHECK(e == WXPAY_ERR_SIGNATURE, "a wrong sign digit is refused");
  /* an MD5-length sign */
  memcpy(md5, sign, 32);
  md5[32] = '\0';
  t[s_at].value = md5;
  fz_xml(&out, t, n, FZ_XML_ENTITIES, 0);
  e = fz_parse(cli, req, out.p, out.n, &r, &keep);
  free(keep);
  FZ_CHECK(e == WXPAY_ERR_SIGNATURE, "an MD5-length sign is refused");
  t[s_at].value = sign;
  /* one value changed (not return_code, not sign) */
  for (i = 0; i < n; i++) {
    if (i == s_at || !strcmp(t[i].name, "return_code")) continue;
    val.n = 0;
    fz_puts(&val, t[i].value);
    fz_puts(&val, "x");
    t[i].value = val.p;
    fz_xml(&out, t, n, FZ_XML_CDATA, 0);
    e = fz_parse(cli, req, out.p, out.n, &r, &keep);
    free(keep);
    FZ_CHECK(e == WXPAY_ERR_SIGNATURE, "a changed value is refused");
    t[i].value = kv[i].value;
    break;
  }
  if (n < WXPAY_MAX_FIELDS && !fz_get(t, n, "zz_added")) {
    /* an unknown extra field is signed too: adding one breaks the sign */
    t[n].name = "zz_added";
    t[n].value = "1";
    fz_xml(&out, t, n + 1, FZ_XML_ENTITIES, 0);
    e = fz_parse(cli, req, out.p, out.n, &r, &keep);
    free(keep);
    FZ_CHECK(e == WXPAY_ERR_SIGNATURE, "an unsigned extra field is refused");
    /* an empty extra field is not signed: still verifies */
    t[n].value = "";
    fz_xml(&out, t, n + 1, FZ_XML_ENTITIES, 0);
    e = fz_parse(cli, req, out.p, out.n, &r, &keep);
    free(keep);
    FZ_CHECK(e == want, "an empty extra field does not change the verdict");
  }
done:
  fz_free(&out);
  fz_free(&val);
  free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  wxpay_client cli;
  wxpay_close_resp r;
  char *keep;
  unsigned salt = fz_salt(data, size);
  int pass;
  wxpay_err first = WXPAY_OK;
  memset(&fz_req, 0, sizeof fz_req);
  fz_req.combine_appid = FZ_APPID;
  fz_req.combine_mch_id = FZ_MCHID;
  fz_req.combine_out_trade_no = "1217752501201407033233368018";
  fz_req.sub_orders = fz_subs;
  fz_req.sub_order_count = 1;

  for (pass = 0; pass < 4; pass++) {
    const wxpay_close_req *req = (pass & 1) ? &fz_req : NULL;
    wxpay_err e;
    fz_client(&cli, pass >= 2);
    e = fz_parse(&cli, req, (const char *)data, size, &r, &keep);
    if (pass == 0) first = e;
    if (pass == 2) FZ_CHECK(e == first, "a cached key gives the same verdict");
    if (e == WXPAY_OK && pass < 2) fz_roundtrip(&cli, req, &r, keep, size, salt);
    free(keep);
  }
  fz_resigned(&cli, data, size, salt);
  return 0;
}
