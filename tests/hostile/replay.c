/* replay.c -- the hostile-input suite's replayer.

     replay cases EXPECTED DIR   each named file of DIR through wxpay_xml_read()
                                 and wxpay_close_parse(), verdicts and checks
                                 from EXPECTED (see make_cases.py)
     replay generated            the cases built in code: a body cut at every
                                 byte offset, 10,000 fields, 1 MiB values,
                                 deep nesting, the empty body, hostile answers
                                 through wxpay_close() and a fake transport

   Every input is copied to an exact-size heap buffer with nothing after it,
   so a sanitizer (run.sh builds with ASan+UBSan when it can) or valgrind
   reports any read or write outside it. Prints PASS/FAIL lines
   (tests/CONVENTIONS.md). HOSTILE_TIME_LIMIT (seconds, default 5) bounds
   each generated case, so a quadratic blow-up is a failure too. */
#define WXPAY_CLOSE_IMPLEMENTATION
#include "wxpay_close.h"
#include "../fuzz/fuzz_common.h"

#include <time.h>

static int failures;
static double time_limit = 5.0;
static wxpay_client cli;
static wxpay_close_req req;
static const wxpay_sub_order subs[1] = {{"1900009001", "OD201708030001"}};

static void pass(const char *name) { printf("PASS hostile_%s\n", name); }
static void fail(const char *name, const char *why) {
  printf("FAIL hostile_%s: %s\n", name, why);
  failures++;
}

static wxpay_err err_by_name(const char *s, int *ok) {
  int i;
  for (i = 0; i < (int)WXPAY_ERR_COUNT; i++)
    if (!strcmp(wxpay_err_name((wxpay_err)i), s)) { *ok = 1; return (wxpay_err)i; }
  *ok = 0;
  return WXPAY_ERR_COUNT;
}

/* \xNN and \s escapes of expected.txt */
static size_t unescape(const char *s, char *out, size_t cap) {
  size_t n = 0;
  while (*s && n + 1 < cap) {
    if (s[0] == '\\' && s[1] == 's') { out[n++] = ' '; s += 2; }
    else if (s[0] == '\\' && s[1] == 'x' && s[2] && s[3]) {
      char hx[3];
      hx[0] = s[2]; hx[1] = s[3]; hx[2] = '\0';
      out[n++] = (char)strtol(hx, NULL, 16);
      s += 4;
    } else out[n++] = *s++;
  }
  out[n] = '\0';
  return n;
}

static unsigned char *slurp(const char *path, size_t *n) {
  FILE *f = fopen(path, "rb");
  unsigned char *b;
  long len;
  if (!f) return NULL;
  if (fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
    fclose(f);
    return NULL;
  }
  b = (unsigned char *)malloc((size_t)len + 1);
  if (!b || fread(b, 1, (size_t)len, f) != (size_t)len) { fclose(f); free(b); return NULL; }
  fclose(f);
  *n = (size_t)len;
  return b;
}

/* One file: both verdicts, then the checks. Returns a message or NULL. */
static const char *run_case(const unsigned char *data, size_t n, wxpay_err want_xml,
                            wxpay_err want_parse, char **checks, int nchecks, char *msg,
                            size_t msgcap) {
  wxpay_fields f;
  wxpay_close_resp r;
  size_t off = 0;
  char *b = fz_dup(data, n);
  wxpay_err e = wxpay_xml_read(b, n, &f, &off);
  int i;
  if (off > n) { free(b); return "error_offset past the body"; }
  if (e == WXPAY_OK) {
    fz_kv kv[FZ_MAX_KV];
    fz_walk(&f, b, b + n, kv, FZ_MAX_KV);
  }
  free(b);
  if (e != want_xml) {
    snprintf(msg, msgcap, "wxpay_xml_read gave %s at offset %lu, expected %s",
             wxpay_err_name(e), (unsigned long)off, wxpay_err_name(want_xml));
    return msg;
  }
  b = fz_dup(data, n);
  e = wxpay_close_parse(&cli, &req, b, n, &r);
  if (r.error_offset > n) { free(b); return "parse error_offset past the body"; }
  if (e != want_parse) {
    snprintf(msg, msgcap, "wxpay_close_parse gave %s, expected %s", wxpay_err_name(e),
             wxpay_err_name(want_parse));
    free(b);
    return msg;
  }
  if (e != WXPAY_OK && r.outcome != WXPAY_OUTCOME_NONE) {
    free(b);
    return "an error came with an outcome";
  }
  for (i = 0; i < nchecks; i++) {
    char *c = checks[i], *eq = strchr(c, '=');
    char want[4096];
    if (!eq) { free(b); return "bad check in expected.txt"; }
    *eq = '\0';
    unescape(eq + 1, want, sizeof want);
    if (!strcmp(c, "outcome")) {
      if (strcmp(wxpay_outcome_name(r.outcome), want) != 0) {
        snprintf(msg, msgcap, "outcome %s, expected %.100s", wxpay_outcome_name(r.outcome), want);
        *eq = '=';
        free(b);
        return msg;
      }
    } else if (!strcmp(c, "count")) {
      if (r.fields.count != (size_t)strtoul(want, NULL, 10)) {
        snprintf(msg, msgcap, "%lu fields, expected %.100s", (unsigned long)r.fields.count, want);
        *eq = '=';
        free(b);
        return msg;
      }
    } else {
      const char *v = wxpay_fields_get(&r.fields, c);
      if (!v || strcmp(v, want) != 0) {
        snprintf(msg, msgcap, "field %.100s is [%.150s], expected [%.150s]", c, v ? v : "(absent)", want);
        *eq = '=';
        free(b);
        return msg;
      }
    }
    *eq = '=';
  }
  free(b);
  return NULL;
}

static int do_cases(const char *expected, const char *dir) {
  FILE *ex = fopen(expected, "r");
  char line[8192], path[4096], msg[512], tname[512];
  int ran = 0;
  if (!ex) { fail("cases_expected_file_readable", expected); return 1; }
  while (fgets(line, sizeof line, ex)) {
    char *tok[32], *p;
    int nt = 0, ok1, ok2;
    wxpay_err wx, wp;
    unsigned char *data;
    size_t n = 0, k;
    const char *why;
    if (line[0] == '#' || line[0] == '\n') continue;
    for (p = line; *p && nt < 32;) { /* split on blanks */
      while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') *p++ = '\0';
      if (!*p) break;
      tok[nt++] = p;
      while (*p && *p != ' ' && *p != '\t' && *p != '\r' && *p != '\n') p++;
    }
    if (nt < 3) continue;
    snprintf(tname, sizeof tname, "%s", tok[0]);
    k = strlen(tname);
    if (k > 4 && !strcmp(tname + k - 4, ".xml")) tname[k - 4] = '\0';
    wx = err_by_name(tok[1], &ok1);
    wp = err_by_name(tok[2], &ok2);
    if (!ok1 || !ok2) { fail(tname, "unknown verdict name in expected.txt"); continue; }
    snprintf(path, sizeof path, "%s/%s", dir, tok[0]);
    data = slurp(path, &n);
    if (!data) { fail(tname, "case file missing"); continue; }
    why = run_case(data, n, wx, wp, tok + 3, nt - 3, msg, sizeof msg);
    if (why) fail(tname, why);
    else pass(tname);
    free(data);
    ran++;
  }
  fclose(ex);
  if (ran < 100) fail("cases_corpus_complete", "fewer than 100 cases ran");
  return 0;
}

/* ---------------------------------------------------------------- generated */
static clock_t t0;
static void start(void) { t0 = clock(); }
static int in_time(const char *name) {
  double s = (double)(clock() - t0) / CLOCKS_PER_SEC;
  char why[128];
  if (s > time_limit) {
    snprintf(why, sizeof why, "took %.2f s (limit %.0f s)", s, time_limit);
    fail(name, why);
    return 0;
  }
  return 1;
}

/* xml_read on an exact-size copy */
static wxpay_err xr(const char *s, size_t n, size_t *count, size_t *off) {
  wxpay_fields f;
  size_t o = 0;
  char *b = fz_dup(s, n);
  wxpay_err e = wxpay_xml_read(b, n, &f, &o);
  if (count) *count = f.count;
  if (off) *off = o;
  free(b);
  return e;
}

static wxpay_err cp(const char *s, size_t n, wxpay_close_resp *r, char **keep) {
  char *b = fz_dup(s, n);
  wxpay_err e = wxpay_close_parse(&cli, &req, b, n, r);
  if (keep) *keep = b;
  else free(b);
  return e;
}

static void expect(const char *name, wxpay_err got, wxpay_err want) {
  char why[160];
  if (got == want) { pass(name); return; }
  snprintf(why, sizeof why, "gave %s, expected %s", wxpay_err_name(got), wxpay_err_name(want));
  fail(name, why);
}

/* The base fields of a closed answer, signed by the reference signer. */
static size_t signed_fields(fz_kv *kv, const char *extra_name, const char *extra_value,
                            char sign[65]) {
  size_t n = 0;
  kv[n].name = "return_code"; kv[n++].value = "SUCCESS";
  kv[n].name = "return_msg"; kv[n++].value = "OK";
  kv[n].name = "combine_appid"; kv[n++].value = FZ_APPID;
  kv[n].name = "combine_mch_id"; kv[n++].value = FZ_MCHID;
  kv[n].name = "nonce_str"; kv[n++].value = "5K8264ILTKCH16CQ2502SI8ZNMTM67VS";
  kv[n].name = "result_code"; kv[n++].value = "SUCCESS";
  if (extra_name) { kv[n].name = extra_name; kv[n++].value = extra_value; }
  fz_ref_sign(kv, n, FZ_KEY, sign);
  kv[n].name = "sign"; kv[n++].value = sign;
  return n;
}

static void cut_everywhere(const char *name, const char *body, size_t n) {
  size_t k, off;
  wxpay_close_resp r;
  char why[200];
  start();
  if (xr(body, n, NULL, NULL) != WXPAY_OK) { fail(name, "the whole body is refused"); return; }
  for (k = 0; k < n; k++) {
    wxpay_err e = xr(body, k, NULL, &off), e2;
    if (e == WXPAY_OK || !fz_is_xml_err(e) || off > k) {
      snprintf(why, sizeof why, "cut at %lu of %lu: %s at %lu", (unsigned long)k,
               (unsigned long)n, wxpay_err_name(e), (unsigned long)off);
      fail(name, why);
      return;
    }
    e2 = cp(body, k, &r, NULL);
    if (e2 != e || r.outcome != WXPAY_OUTCOME_NONE) {
      snprintf(why, sizeof why, "cut at %lu: parse gave %s, reader %s", (unsigned long)k,
               wxpay_err_name(e2), wxpay_err_name(e));
      fail(name, why);
      return;
    }
  }
  if (in_time(name)) pass(name);
}

static void gen_cuts(void) {
  fz_kv kv[16];
  char sign[65], out[2048];
  fz_buf b = {NULL, 0, 0};
  size_t n, len;
  int style;
  static const char *const names[4] = {
      "cut_at_every_offset_signed_answer_entities_never_accepted",
      "cut_at_every_offset_signed_answer_cdata_never_accepted",
      "cut_at_every_offset_signed_answer_char_refs_never_accepted",
      "cut_at_every_offset_signed_answer_bom_decl_comments_never_accepted"};
  n = signed_fields(kv, "err_code_des", "\xE8\xAE\xA2\xE5\x8D\x95]]>&<", sign);
  for (style = 0; style < FZ_XML_STYLES; style++) {
    fz_xml(&b, kv, n, style, 7);
    if (style == FZ_XML_NOISE) { /* end at the root's end tag: a cut then is never whole */
      char *end = strstr(b.p, "</xml\t>");
      if (end) b.n = (size_t)(end - b.p) + 7;
    }
    cut_everywhere(names[style], b.p, b.n);
  }
  {
    static const char fail_body[] =
        "<xml><return_code><![CDATA[FAIL]]></return_code>"
        "<return_msg><![CDATA[\xE7\xAD\xBE\xE5\x90\x8D\xE9\x94\x99\xE8\xAF\xAF]]></return_msg></xml>";
    cut_everywhere("cut_at_every_offset_unsigned_fail_answer_never_accepted", fail_body,
                   sizeof fail_body - 1);
  }
  req.nonce_str = "ibuaiVcKdpRxkhJA";
  if (wxpay_close_build(&cli, &req, out, sizeof out, &len) == WXPAY_OK)
    cut_everywhere("cut_at_every_offset_built_request_never_accepted", out, len);
  else
    fail("cut_at_every_offset_built_request_never_accepted", "build failed");
  req.nonce_str = NULL;
  fz_free(&b);
}

static void gen_many_fields(void) {
  fz_buf b = {NULL, 0, 0};
  char tmp[64], sign[65];
  size_t i, count, off;
  wxpay_err e;
  fz_kv kv[FZ_MAX_KV];
  wxpay_close_resp r;

  start();
  fz_puts(&b, "<xml>");
  for (i = 0; i < 10000; i++) {
    snprintf(tmp, sizeof tmp, "<f%lu>v</f%lu>", (unsigned long)i, (unsigned long)i);
    fz_puts(&b, tmp);
  }
  fz_puts(&b, "</xml>");
  e = xr(b.p, b.n, &count, &off);
  if (in_time("ten_thousand_distinct_fields_is_XML_LIMIT"))
    expect("ten_thousand_distinct_fields_is_XML_LIMIT", e, WXPAY_ERR_XML_LIMIT);

  start();
  b.n = 0;
  fz_puts(&b, "<xml>");
  for (i = 0; i < 10000; i++) fz_puts(&b, "<sign>A</sign>");
  fz_puts(&b, "</xml>");
  e = xr(b.p, b.n, NULL, NULL);
  if (in_time("ten_thousand_same_name_fields_is_XML_DUPLICATE"))
    expect("ten_thousand_same_name_fields_is_XML_DUPLICATE", e, WXPAY_ERR_XML_DUPLICATE);

  start();
  b.n = 0;
  fz_puts(&b, "<xml>");
  for (i = 0; i < 10000; i++) {
    snprintf(tmp, sizeof tmp, "<e%lu/>", (unsigned long)i);
    fz_puts(&b, tmp);
  }
  fz_puts(&b, "</xml>");
  e = xr(b.p, b.n, NULL, NULL);
  if (in_time("ten_thousand_empty_fields_is_XML_LIMIT"))
    expect("ten_thousand_empty_fields_is_XML_LIMIT", e, WXPAY_ERR_XML_LIMIT);

  /* exactly WXPAY_MAX_FIELDS, signed: accepted and verified; one more: refused */
  {
    static char names[FZ_MAX_KV][16];
    size_t n = signed_fields(kv, NULL, NULL, sign) - 1; /* without sign */
    while (n < WXPAY_MAX_FIELDS - 1) {
      snprintf(names[n], sizeof names[n], "x%lu", (unsigned long)n);
      kv[n].name = names[n];
      kv[n].value = "1";
      n++;
    }
    fz_ref_sign(kv, n, FZ_KEY, sign);
    kv[n].name = "sign"; kv[n++].value = sign;
    fz_xml(&b, kv, n, FZ_XML_CDATA, 0);
    e = cp(b.p, b.n, &r, NULL);
    if (e == WXPAY_OK && (r.fields.count != WXPAY_MAX_FIELDS || r.outcome != WXPAY_OUTCOME_CLOSED))
      fail("exactly_max_fields_signed_is_accepted", "wrong count or outcome");
    else
      expect("exactly_max_fields_signed_is_accepted", e, WXPAY_OK);
    kv[n].name = "zz_one_more";
    kv[n].value = "";
    fz_xml(&b, kv, n + 1, FZ_XML_CDATA, 0);
    expect("max_plus_one_fields_is_XML_LIMIT", xr(b.p, b.n, NULL, NULL), WXPAY_ERR_XML_LIMIT);
  }

  /* 10,000 comments and whitespace between the fields of a good answer */
  start();
  {
    size_t n = signed_fields(kv, NULL, NULL, sign), j;
    b.n = 0;
    fz_puts(&b, "<xml>");
    for (j = 0; j < n; j++) {
      for (i = 0; i < 10000 / n + 1; i++) fz_puts(&b, "<!-- c --> \r\n");
      snprintf(tmp, sizeof tmp, "<%s>", kv[j].name);
      fz_puts(&b, tmp);
      fz_puts(&b, kv[j].value);
      snprintf(tmp, sizeof tmp, "</%s>", kv[j].name);
      fz_puts(&b, tmp);
    }
    fz_puts(&b, "</xml>");
    e = cp(b.p, b.n, &r, NULL);
    if (in_time("ten_thousand_comments_between_fields_accepted"))
      expect("ten_thousand_comments_between_fields_accepted", e, WXPAY_OK);
  }
  fz_free(&b);
}

/* A 1 MiB value of the given unit in a signed answer (via a raw template). */
#define MIB (1024u * 1024u)

static void big_value(const char *name, const char *unit, const char *open, const char *close,
                      const char *decoded_unit, wxpay_err want) {
  fz_buf b = {NULL, 0, 0}, v = {NULL, 0, 0};
  fz_kv kv[16];
  char sign[65], why[200], *keep = NULL, tmp[256];
  size_t n, i, reps = MIB / strlen(unit), j;
  wxpay_close_resp r;
  wxpay_err e;
  start();
  for (i = 0; i < reps; i++) fz_puts(&v, decoded_unit);
  n = signed_fields(kv, "big", v.p, sign);
  fz_puts(&b, "<xml>");
  for (j = 0; j < n; j++) {
    snprintf(tmp, sizeof tmp, "<%s>", kv[j].name);
    fz_puts(&b, tmp);
    if (!strcmp(kv[j].name, "big")) {
      fz_puts(&b, open);
      for (i = 0; i < reps; i++) fz_puts(&b, unit);
      fz_puts(&b, close);
    } else {
      fz_puts(&b, kv[j].value);
    }
    snprintf(tmp, sizeof tmp, "</%s>", kv[j].name);
    fz_puts(&b, tmp);
  }
  fz_puts(&b, "</xml>");
  e = cp(b.p, b.n, &r, &keep);
  if (!in_time(name)) goto out;
  if (e != want) {
    snprintf(why, sizeof why, "gave %s, expected %s", wxpay_err_name(e), wxpay_err_name(want));
    fail(name, why);
  } else if (e == WXPAY_OK && (!wxpay_fields_get(&r.fields, "big") ||
                               strcmp(wxpay_fields_get(&r.fields, "big"), v.p) != 0 ||
                               r.outcome != WXPAY_OUTCOME_CLOSED || !r.verified)) {
    fail(name, "value not decoded to the expected bytes, or not verified");
  } else {
    pass(name);
  }
out:
  free(keep);
  fz_free(&b);
  fz_free(&v);
}

static void raw_big(const char *name, const char *head, const char *unit, size_t bytes,
                    const char *tail, wxpay_err want) {
  fz_buf b = {NULL, 0, 0};
  size_t i, reps = bytes / strlen(unit);
  wxpay_err e;
  start();
  fz_puts(&b, head);
  for (i = 0; i < reps; i++) fz_puts(&b, unit);
  fz_puts(&b, tail);
  e = xr(b.p, b.n, NULL, NULL);
  if (in_time(name)) expect(name, e, want);
  fz_free(&b);
}

static void gen_big(void) {
  big_value("one_mib_plain_value_signed_verifies", "abcdefgh", "", "", "abcdefgh", WXPAY_OK);
  big_value("one_mib_cdata_value_signed_verifies", "a<b>&c\"", "<![CDATA[", "]]>", "a<b>&c\"",
            WXPAY_OK);
  big_value("one_mib_of_entities_decoded_and_verified", "&amp;&lt;", "", "", "&<", WXPAY_OK);
  big_value("one_mib_of_char_refs_decoded_and_verified", "&#x10FFFD;&#233;", "", "",
            "\xF4\x8F\xBF\xBD\xC3\xA9", WXPAY_OK);
  big_value("one_mib_chinese_utf8_value_signed_verifies", "\xE7\xAD\xBE\xE5\x90\x8D", "", "",
            "\xE7\xAD\xBE\xE5\x90\x8D", WXPAY_OK);
  big_value("one_mib_of_brackets_in_cdata_decoded", "]", "<![CDATA[", "]]>", "]", WXPAY_OK);
  big_value("one_mib_of_split_cdata_ends_decoded", "]]]]><![CDATA[>", "<![CDATA[", "]]>",
            "]]>", WXPAY_OK);
  big_value("one_mib_of_comments_in_value_ignored", "v<!--xy-->", "", "", "v", WXPAY_OK);
  raw_big("one_mib_unterminated_cdata_is_XML", "<xml><a><![CDATA[", "abcd", MIB, "", WXPAY_ERR_XML);
  raw_big("one_mib_unterminated_comment_is_XML", "<xml><!--", "abcd", MIB, "", WXPAY_ERR_XML);
  raw_big("one_mib_unterminated_value_is_XML", "<xml><a>", "abcd", MIB, "", WXPAY_ERR_XML);
  raw_big("one_mib_unterminated_declaration_is_XML", "<?xml ", "abcd", MIB, "", WXPAY_ERR_XML);
  raw_big("one_mib_field_name_with_other_end_tag_is_XML", "<xml><a", "bcde", MIB,
          ">1</a></xml>", WXPAY_ERR_XML);
  raw_big("one_mib_whitespace_before_root_accepted", "", " \r\n\t", MIB, "<xml><a>1</a></xml>",
          WXPAY_OK);
  raw_big("one_mib_of_nested_start_tags_is_XML_NESTED", "<xml>", "<a>", MIB, "",
          WXPAY_ERR_XML_NESTED);
  raw_big("one_mib_of_cdata_ends_in_text_is_XML", "<xml><a>", "]]>", MIB, "</a></xml>",
          WXPAY_ERR_XML);
  raw_big("one_mib_of_undeclared_entities_is_XML_FORBIDDEN", "<xml><a>", "&x;", MIB,
          "</a></xml>", WXPAY_ERR_XML_FORBIDDEN);
  /* a 1 MiB name, same on both tags: accepted */
  {
    fz_buf b = {NULL, 0, 0}, nm = {NULL, 0, 0};
    size_t i;
    start();
    for (i = 0; i < MIB / 4; i++) fz_puts(&nm, "abcd");
    fz_puts(&b, "<xml><");
    fz_puts(&b, nm.p);
    fz_puts(&b, ">1</");
    fz_puts(&b, nm.p);
    fz_puts(&b, "></xml>");
    if (in_time("one_mib_field_name_same_on_both_tags_accepted"))
      expect("one_mib_field_name_same_on_both_tags_accepted", xr(b.p, b.n, NULL, NULL), WXPAY_OK);
    fz_free(&b);
    fz_free(&nm);
  }
  /* 1 MiB of NUL bytes inside a value (fz_puts cannot write them) */
  {
    size_t n = MIB + 20;
    char *b = (char *)calloc(n, 1);
    wxpay_err e;
    if (!b) abort();
    memcpy(b, "<xml><a>", 8);
    memcpy(b + n - 10, "</a></xml>", 10);
    start();
    e = xr(b, n, NULL, NULL);
    if (in_time("one_mib_of_nul_bytes_in_value_is_XML"))
      expect("one_mib_of_nul_bytes_in_value_is_XML", e, WXPAY_ERR_XML);
    free(b);
  }
  /* 64 fields of 16 KiB each: the whole set is signed and verified in time */
  {
    fz_kv kv[FZ_MAX_KV];
    static char names[FZ_MAX_KV][16];
    char sign[65];
    fz_buf v = {NULL, 0, 0}, b = {NULL, 0, 0};
    size_t n = signed_fields(kv, NULL, NULL, sign) - 1, i;
    wxpay_close_resp r;
    for (i = 0; i < 16 * 1024 / 8; i++) fz_puts(&v, "01234567");
    while (n < WXPAY_MAX_FIELDS - 1) {
      snprintf(names[n], sizeof names[n], "big%lu", (unsigned long)n);
      kv[n].name = names[n];
      kv[n].value = v.p;
      n++;
    }
    fz_ref_sign(kv, n, FZ_KEY, sign);
    kv[n].name = "sign"; kv[n++].value = sign;
    fz_xml(&b, kv, n, FZ_XML_ENTITIES, 0);
    start();
    if (in_time("max_fields_of_16kib_each_signed_verifies"))
      expect("max_fields_of_16kib_each_signed_verifies", cp(b.p, b.n, &r, NULL), WXPAY_OK);
    fz_free(&v);
    fz_free(&b);
  }
}

/* ---- hostile answers through wxpay_close() and a fake transport ---- */
typedef struct fake {
  const char *body;
  size_t len;
  int status, calls;
  size_t lie; /* body_len reported beyond what was written */
} fake;

static wxpay_net fake_transport(void *user, const wxpay_http_req *rq, wxpay_http_resp *rs) {
  fake *f = (fake *)user;
  (void)rq;
  f->calls++;
  rs->status = f->status;
  if (f->len > rs->body_cap) return WXPAY_NET_TOO_LARGE;
  memcpy(rs->body, f->body, f->len);
  rs->body_len = f->len + f->lie;
  return WXPAY_NET_OK;
}

static void via_close(const char *name, const char *body, int status, size_t lie,
                      wxpay_err want, int want_calls) {
  wxpay_client c = cli;
  fake f;
  wxpay_close_resp r;
  char *work = (char *)malloc(WXPAY_CLOSE_WORK_SIZE), why[200];
  wxpay_err e;
  if (!work) abort();
  memset(&f, 0, sizeof f);
  f.body = body;
  f.len = strlen(body);
  f.status = status;
  f.lie = lie;
  c.transport = fake_transport;
  c.transport_user = &f;
  e = wxpay_close(&c, &req, &r, work, WXPAY_CLOSE_WORK_SIZE);
  if (e != want || f.calls != want_calls ||
      (e != WXPAY_OK && r.outcome == WXPAY_OUTCOME_CLOSED)) {
    snprintf(why, sizeof why, "gave %s after %d calls (outcome %s), expected %s after %d",
             wxpay_err_name(e), f.calls, wxpay_outcome_name(r.outcome), wxpay_err_name(want),
             want_calls);
    fail(name, why);
  } else {
    pass(name);
  }
  free(work);
}

static void gen_transport(void) {
  fz_kv kv[16];
  char sign[65];
  fz_buf b = {NULL, 0, 0};
  size_t n = signed_fields(kv, NULL, NULL, sign);
  fz_xml(&b, kv, n, FZ_XML_CDATA, 0);
  via_close("close_accepts_a_good_answer", b.p, 200, 0, WXPAY_OK, 1);
  via_close("close_xxe_answer_is_XML_FORBIDDEN_not_retried",
            "<!DOCTYPE xml [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><xml>"
            "<return_code>&x;</return_code></xml>", 200, 0, WXPAY_ERR_XML_FORBIDDEN, 1);
  via_close("close_unsigned_success_is_NO_SIGNATURE_not_retried",
            "<xml><return_code>SUCCESS</return_code><result_code>SUCCESS</result_code></xml>",
            200, 0, WXPAY_ERR_NO_SIGNATURE, 1);
  b.p[b.n / 2] = '\0';
  via_close("close_truncated_answer_is_XML_not_retried", b.p, 200, 0, WXPAY_ERR_XML, 1);
  via_close("close_empty_answer_is_XML", "", 200, 0, WXPAY_ERR_XML, 1);
  via_close("close_body_len_past_cap_is_never_read", "<xml/>", 200, WXPAY_CLOSE_WORK_SIZE,
            WXPAY_ERR_TRANSPORT, 3);
  via_close("close_http_500_is_retried_then_HTTP_STATUS", "<xml/>", 500, 0,
            WXPAY_ERR_HTTP_STATUS, 3);
  fz_free(&b);
}

static void gen_empty(void) {
  wxpay_fields f;
  wxpay_close_resp r;
  size_t off = 1;
  expect("null_body_len_0_is_XML", wxpay_xml_read(NULL, 0, &f, &off), WXPAY_ERR_XML);
  expect("null_body_len_5_is_ARG", wxpay_xml_read(NULL, 5, &f, &off), WXPAY_ERR_ARG);
  expect("parse_null_body_len_0_is_XML", wxpay_close_parse(&cli, &req, NULL, 0, &r),
         WXPAY_ERR_XML);
  expect("parse_empty_body_is_XML", cp("", 0, &r, NULL), WXPAY_ERR_XML);
}

int main(int argc, char **argv) {
  const char *tl = getenv("HOSTILE_TIME_LIMIT");
  if (tl && atof(tl) > 0) time_limit = atof(tl);
  fz_client(&cli, 0);
  memset(&req, 0, sizeof req);
  req.combine_appid = FZ_APPID;
  req.combine_mch_id = FZ_MCHID;
  req.combine_out_trade_no = "1217752501201407033233368018";
  req.sub_orders = subs;
  req.sub_order_count = 1;
  if (argc == 4 && !strcmp(argv[1], "cases")) {
    do_cases(argv[2], argv[3]);
  } else if (argc == 2 && !strcmp(argv[1], "generated")) {
    gen_empty();
    gen_cuts();
    gen_many_fields();
    gen_big();
    gen_transport();
  } else {
    fprintf(stderr, "usage: replay cases EXPECTED DIR | replay generated\n");
    return 2;
  }
  return failures ? 1 : 0;
}
