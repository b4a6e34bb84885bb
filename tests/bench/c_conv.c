/* Contender 2: the conventional C stack a user would write instead, written
   carefully:

   build  check the fields (lengths, character sets), cJSON for
          sub_order_list, snprintf for the string to sign and for the XML,
          OpenSSL HMAC through one EVP_MAC_CTX keyed once and re-initialised
          per signature (EVP_MAC_init with a NULL key keeps the key), the
          string to sign wiped afterwards;
   parse  libxml2 xmlReadMemory with XML_PARSE_NONET and no entity
          substitution (no XML_PARSE_NOENT, no DTD loading), documents with a
          DTD refused, flat children of <xml> only, duplicates refused, fields
          sorted with qsort, the string to sign built by hand, HMAC as above,
          CRYPTO_memcmp against the received sign, then the same outcome
          mapping and echo check as the library;
   query  (issue 13) APIv2: the parse and HMAC check above, the echo of
          combine_appid, combine_mch_id and combine_out_trade_no, trade_state
          by name, then cJSON_ParseWithLength on sub_order_list: order_num,
          order_list, each sub-order's strings and amount (a whole number
          of fen, checked: cJSON holds numbers as double), order_num == the
          list's length. APIv3: the signature headers' checks (timestamp
          digits and skew, Base64 by EVP_DecodeBlock), SHA-256 of
          "ts\nnonce\nbody\n" through one reused EVP_MD_CTX, the stand-in
          RSA check of bench.h, then cJSON on the body and the same
          fields. Unlike the library, cJSON keeps duplicate members (the
          first one is read) instead of refusing them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/crypto.h>
#include <openssl/opensslv.h>
#include <cjson/cJSON.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlversion.h>
#include "bench.h"

typedef struct conv_req {
  const char *appid, *mchid, *otn, *nonce;
  const char *const *sub_mchid, *const *sub_otn;
  size_t nsubs;
} conv_req;

/* inputs live in memory, as they would in a program: nothing is folded */
static conv_req req1, req10;
static const char *key;
static EVP_MAC_CTX *mac_ctx;
static EVP_MD *sha_md;
static EVP_MD_CTX *sha_ctx;
static char out[8192];

static int setup(const char **why) {
  EVP_MAC *mac;
  OSSL_PARAM params[2];
  static char digest[] = "SHA256";
  if (mac_ctx) return 0;
  key = BENCH_KEY;
  req1.appid = BENCH_APPID;
  req1.mchid = BENCH_MCHID;
  req1.otn = BENCH_OTN;
  req1.nonce = BENCH_NONCE;
  req1.sub_mchid = bench_sub_mchid;
  req1.sub_otn = bench_sub_otn;
  req1.nsubs = 1;
  req10 = req1;
  req10.nsubs = BENCH_MAX_SUBS;
  xmlInitParser();
  mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
  if (!mac) { *why = "EVP_MAC_fetch(HMAC) failed"; return 1; }
  mac_ctx = EVP_MAC_CTX_new(mac);
  EVP_MAC_free(mac); /* the context keeps its own reference */
  params[0] = OSSL_PARAM_construct_utf8_string("digest", digest, 0);
  params[1] = OSSL_PARAM_construct_end();
  if (!mac_ctx ||
      !EVP_MAC_init(mac_ctx, (const unsigned char *)key, strlen(key), params)) {
    *why = "EVP_MAC_init failed";
    return 1;
  }
  sha_md = EVP_MD_fetch(NULL, "SHA256", NULL);
  sha_ctx = EVP_MD_CTX_new();
  if (!sha_md || !sha_ctx) { *why = "EVP_MD_fetch(SHA256) failed"; return 1; }
  return 0;
}

static const char *info(void) {
  static char s[160];
  snprintf(s, sizeof s, "%s, libxml2 %s, cJSON %s", OpenSSL_version(OPENSSL_VERSION),
           LIBXML_DOTTED_VERSION, cJSON_Version());
  return s;
}

static int supports(int op) {
  return (op >= OP_BUILD1 && op <= OP_EXCHANGE) || op == OP_QUERY_V2 || op == OP_QUERY_V3;
}

static int hmac_hex(const char *s, size_t n, char hex[65]) {
  unsigned char m[32];
  size_t ml = 0;
  if (!EVP_MAC_init(mac_ctx, NULL, 0, NULL) ||
      !EVP_MAC_update(mac_ctx, (const unsigned char *)s, n) ||
      !EVP_MAC_final(mac_ctx, m, &ml, sizeof m) || ml != 32)
    return -1;
  bench_hex_upper(m, 32, hex);
  OPENSSL_cleanse(m, sizeof m);
  return 0;
}

/* ids: 1..32 printable ASCII without space or XML specials (no escaping
   needed); order numbers: 1..32 of [0-9A-Za-z_-|*@] */
static int id_ok(const char *s) {
  size_t n = strlen(s), i;
  if (n < 1 || n > 32) return 0;
  for (i = 0; i < n; i++)
    if (s[i] <= 0x20 || s[i] >= 0x7F || strchr("<>&\"", s[i])) return 0;
  return 1;
}

static int order_no_ok(const char *s) {
  static const char set[] =
      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_-|*@";
  size_t n = strlen(s);
  return n >= 1 && n <= 32 && strspn(s, set) == n;
}

static int conv_build(const conv_req *r, char *dst, size_t cap, size_t *len) {
  char tosign[16384], sign[65];
  cJSON *arr, *o;
  char *json;
  size_t i;
  int n, rc = -1;
  if (!id_ok(r->appid) || !id_ok(r->mchid) || !order_no_ok(r->otn) ||
      !id_ok(r->nonce) || r->nsubs < 1 || r->nsubs > 10 || strlen(key) != 32)
    return -1;
  if (!(arr = cJSON_CreateArray())) return -1;
  for (i = 0; i < r->nsubs; i++) {
    if (!id_ok(r->sub_mchid[i]) || !order_no_ok(r->sub_otn[i]) ||
        !(o = cJSON_CreateObject())) {
      cJSON_Delete(arr);
      return -1;
    }
    if (!cJSON_AddItemToArray(arr, o) ||
        !cJSON_AddStringToObject(o, "mchid", r->sub_mchid[i]) ||
        !cJSON_AddStringToObject(o, "out_trade_no", r->sub_otn[i])) {
      cJSON_Delete(arr);
      return -1;
    }
  }
  json = cJSON_PrintUnformatted(arr);
  cJSON_Delete(arr);
  if (!json) return -1;
  if (strlen(json) > 10240 || strstr(json, "]]>")) goto done; /* CDATA-safe */
  n = snprintf(tosign, sizeof tosign,
               "combine_appid=%s&combine_mch_id=%s&combine_out_trade_no=%s"
               "&nonce_str=%s&sign_type=HMAC-SHA256&sub_order_list=%s&key=%s",
               r->appid, r->mchid, r->otn, r->nonce, json, key);
  if (n < 0 || (size_t)n >= sizeof tosign) goto done;
  if (hmac_hex(tosign, (size_t)n, sign)) goto done;
  OPENSSL_cleanse(tosign, (size_t)n);
  n = snprintf(dst, cap,
               "<xml><combine_appid>%s</combine_appid><combine_mch_id>%s</combine_mch_id>"
               "<sign_type>HMAC-SHA256</sign_type><combine_out_trade_no>%s"
               "</combine_out_trade_no><sub_order_list><![CDATA[%s]]></sub_order_list>"
               "<nonce_str>%s</nonce_str><sign>%s</sign></xml>",
               r->appid, r->mchid, r->otn, json, r->nonce, sign);
  if (n < 0 || (size_t)n >= cap) goto done;
  *len = (size_t)n;
  rc = 0;
done:
  cJSON_free(json);
  return rc;
}

typedef struct kv {
  const char *k, *v;
} kv;

static int kv_cmp(const void *a, const void *b) {
  return strcmp(((const kv *)a)->k, ((const kv *)b)->k);
}

static const char *get(const kv *f, size_t n, const char *k) {
  size_t i;
  for (i = 0; i < n; i++)
    if (strcmp(f[i].k, k) == 0) return f[i].v;
  return "";
}

static int outcome_of(const char *err_code) {
  if (!strcmp(err_code, "ORDERCLOSED")) return OUT_ALREADY_CLOSED;
  if (!strcmp(err_code, "ORDERPAID")) return OUT_PAID;
  if (!strcmp(err_code, "ORDERNOTEXIST")) return OUT_NOT_FOUND;
  if (!strcmp(err_code, "SYSTEMERROR") || !strcmp(err_code, "FREQUENCY_LIMITED"))
    return OUT_RETRY;
  return OUT_REJECTED;
}

/* An answer's XML read and its sign checked: the fields (pointing into
   doc, which the caller frees with conv_doc_free), the return_code. */
typedef struct conv_doc {
  kv f[64];
  size_t nf, no;
  xmlChar *owned[64];
  xmlDocPtr doc;
} conv_doc;

static void conv_doc_free(conv_doc *d) {
  size_t i;
  for (i = 0; i < d->no; i++) xmlFree(d->owned[i]);
  xmlFreeDoc(d->doc);
  d->doc = NULL;
}

/* Returns 0 with d filled (d->doc to free), or -1 malformed, -2 refused,
   -3 bad signature. *verified says whether a sign was checked. */
static int conv_read_verified(const char *body, size_t len, conv_doc *d, int *verified) {
  size_t i, j, sl = 0, keylen = strlen(key);
  char tosign[16384], mine[65];
  const char *sign = "", *rc;
  xmlNodePtr root, n, c;
  int ret = -1;
  *verified = 0;
  d->nf = d->no = 0;
  d->doc = NULL;
  if (len > 65536) return -1;
  d->doc = xmlReadMemory(body, (int)len, NULL, "UTF-8",
                         XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
  if (!d->doc) return -1;
  if (d->doc->intSubset || d->doc->extSubset) { ret = -2; goto fail; } /* XXE */
  root = xmlDocGetRootElement(d->doc);
  if (!root || strcmp((const char *)root->name, "xml") || root->properties) goto fail;
  for (n = root->children; n; n = n->next) {
    const char *v;
    if (n->type == XML_COMMENT_NODE || (n->type == XML_TEXT_NODE && xmlIsBlankNode(n)))
      continue;
    if (n->type != XML_ELEMENT_NODE || n->properties || d->nf == 64) goto fail;
    c = n->children;
    if (!c) {
      v = "";
    } else if (!c->next && (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE)) {
      v = (const char *)c->content; /* the common case: no copy */
    } else {
      for (; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE) goto fail; /* nested */
      v = (const char *)(d->owned[d->no++] = xmlNodeGetContent(n));
      if (!v) goto fail;
    }
    for (j = 0; j < d->nf; j++)
      if (!strcmp(d->f[j].k, (const char *)n->name)) { ret = -2; goto fail; }
    d->f[d->nf].k = (const char *)n->name;
    d->f[d->nf].v = v;
    d->nf++;
  }
  qsort(d->f, d->nf, sizeof d->f[0], kv_cmp);
  for (i = 0; i < d->nf; i++) {
    size_t kl, vl;
    if (!strcmp(d->f[i].k, "sign")) { sign = d->f[i].v; continue; }
    if (!*d->f[i].v) continue;
    kl = strlen(d->f[i].k);
    vl = strlen(d->f[i].v);
    if (sl + kl + vl + 2 + 5 + keylen >= sizeof tosign) goto fail;
    if (sl) tosign[sl++] = '&';
    memcpy(tosign + sl, d->f[i].k, kl);
    sl += kl;
    tosign[sl++] = '=';
    memcpy(tosign + sl, d->f[i].v, vl);
    sl += vl;
  }
  memcpy(tosign + sl, "&key=", 5);
  memcpy(tosign + sl + 5, key, keylen);
  sl += 5 + keylen;
  rc = get(d->f, d->nf, "return_code");
  if (strcmp(rc, "SUCCESS") && strcmp(rc, "FAIL")) goto fail;
  if (*sign) {
    if (hmac_hex(tosign, sl, mine)) goto fail;
    OPENSSL_cleanse(tosign, sl);
    if (strlen(sign) != 64 || CRYPTO_memcmp(mine, sign, 64)) { ret = -3; goto fail; }
    *verified = 1;
  } else if (strcmp(rc, "FAIL")) {
    ret = -3; /* unsigned SUCCESS */
    goto fail;
  }
  return 0;
fail:
  conv_doc_free(d);
  return ret;
}

/* Returns the outcome (> 0), or -1 malformed, -2 refused, -3 bad signature,
   -4 echo mismatch. *verified says whether a sign was checked. */
static int conv_parse(const conv_req *r, const char *body, size_t len, int *verified) {
  conv_doc d;
  const char *res;
  int ret = conv_read_verified(body, len, &d, verified);
  if (ret) return ret;
  if (!strcmp(get(d.f, d.nf, "return_code"), "FAIL")) {
    ret = OUT_REJECTED;
  } else if (strcmp(get(d.f, d.nf, "combine_appid"), r->appid) ||
             strcmp(get(d.f, d.nf, "combine_mch_id"), r->mchid)) {
    ret = -4;
  } else {
    res = get(d.f, d.nf, "result_code");
    if (!strcmp(res, "SUCCESS")) ret = OUT_CLOSED;
    else if (!strcmp(res, "FAIL")) ret = outcome_of(get(d.f, d.nf, "err_code"));
    else ret = -1;
  }
  conv_doc_free(&d);
  return ret;
}

/* ---- the query (issue 13) ---- */

static const char *const trade_states[] = {"SUCCESS", "REFUND", "NOTPAY", "CLOSED", "REVOKED",
                                           "USERPAYING", "PAYERROR", "ACCEPT"};

static int trade_state_of(const char *s) {
  int i;
  for (i = 0; i < 8; i++)
    if (!strcmp(s, trade_states[i])) return i + 1;
  return 0; /* unknown, kept as received */
}

/* a sub-order as the library's wxpay_query_sub_order holds it */
typedef struct conv_sub {
  const char *mchid, *sub_mchid, *out_trade_no, *trade_state, *transaction_id, *trade_type,
      *currency, *success_time, *attach;
  int state;
  long long total_amount, payer_amount;
} conv_sub;

typedef struct conv_order {
  const char *combine_appid, *combine_mchid, *combine_out_trade_no, *combine_openid,
      *device_info, *trade_state;
  int state;
  conv_sub subs[4];
  size_t count;
} conv_order;

static const char *str_of(const cJSON *o, const char *name) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
  return cJSON_IsString(v) ? v->valuestring : v ? NULL : "";
}

/* an amount in fen: a whole number, 0 .. 2^53 (a double holds it exactly);
   -1 absent, -2 not an amount */
static long long amount_of(const cJSON *o, const char *name) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
  double d;
  if (!v) return -1;
  if (!cJSON_IsNumber(v)) return -2;
  d = v->valuedouble;
  if (d < 0 || d > 9007199254740992.0 || d != (double)(long long)d) return -2;
  return (long long)d;
}

/* One sub-order object into s; v3 needs its own trade_state. 0 or -1. */
static int conv_sub_read(const cJSON *it, int v3, conv_sub *s) {
  const cJSON *amount;
  if (!cJSON_IsObject(it)) return -1;
  s->mchid = str_of(it, "mchid");
  s->out_trade_no = str_of(it, "out_trade_no");
  s->sub_mchid = str_of(it, "sub_mchid");
  s->transaction_id = str_of(it, "transaction_id");
  s->trade_type = str_of(it, "trade_type");
  s->attach = str_of(it, "attach");
  s->success_time = str_of(it, "success_time");
  if (!s->mchid || !*s->mchid || !s->out_trade_no || !*s->out_trade_no || !s->sub_mchid ||
      !s->transaction_id || !s->trade_type || !s->attach || !s->success_time)
    return -1;
  if (v3) {
    s->trade_state = str_of(it, "trade_state");
    if (!s->trade_state || !*s->trade_state) return -1;
    s->state = trade_state_of(s->trade_state);
  }
  s->total_amount = s->payer_amount = -1;
  s->currency = "";
  amount = cJSON_GetObjectItemCaseSensitive(it, "amount");
  if (amount) {
    if (!cJSON_IsObject(amount)) return -1;
    s->total_amount = amount_of(amount, "total_amount");
    s->payer_amount = amount_of(amount, "payer_amount");
    s->currency = str_of(amount, "currency");
    if (s->total_amount == -2 || s->payer_amount == -2 || !s->currency) return -1;
  }
  return 0;
}

/* The order list of either API into o (at most 4 sub-orders). 0 or -1. */
static int conv_list_read(const cJSON *list, int v3, conv_order *o) {
  const cJSON *it;
  size_t n = 0;
  if (!cJSON_IsArray(list)) return -1;
  cJSON_ArrayForEach(it, list) {
    if (n == sizeof o->subs / sizeof o->subs[0]) return -1;
    if (conv_sub_read(it, v3, &o->subs[n])) return -1;
    if (!v3) { /* APIv2 sub-orders carry the order's state */
      o->subs[n].trade_state = o->trade_state;
      o->subs[n].state = o->state;
    }
    n++;
  }
  o->count = n;
  return 0;
}

/* APIv2: 0 with o filled (pointing into d and *json, which the caller
   frees), or < 0 as conv_parse, -5 a bad sub_order_list. */
static int conv_query_v2(const char *body, size_t len, conv_doc *d, cJSON **json,
                         conv_order *o) {
  const char *list;
  const cJSON *num;
  int verified, ret = conv_read_verified(body, len, d, &verified);
  *json = NULL;
  if (ret) return ret;
  if (strcmp(get(d->f, d->nf, "return_code"), "SUCCESS") ||
      strcmp(get(d->f, d->nf, "result_code"), "SUCCESS"))
    return -2; /* a refusal: not what is measured */
  o->combine_appid = get(d->f, d->nf, "combine_appid");
  o->combine_mchid = get(d->f, d->nf, "combine_mch_id");
  o->combine_out_trade_no = get(d->f, d->nf, "combine_out_trade_no");
  if (strcmp(o->combine_appid, req1.appid) || strcmp(o->combine_mchid, req1.mchid) ||
      strcmp(o->combine_out_trade_no, req1.otn))
    return -4;
  o->combine_openid = get(d->f, d->nf, "combine_openid");
  o->device_info = get(d->f, d->nf, "device_info");
  o->trade_state = get(d->f, d->nf, "trade_state");
  o->state = trade_state_of(o->trade_state);
  list = get(d->f, d->nf, "sub_order_list");
  if (!*o->trade_state || !*list) return -5;
  *json = cJSON_ParseWithLength(list, strlen(list));
  if (!*json || !cJSON_IsObject(*json)) return -5;
  num = cJSON_GetObjectItemCaseSensitive(*json, "order_num");
  if (amount_of(*json, "order_num") < 0 ||
      conv_list_read(cJSON_GetObjectItemCaseSensitive(*json, "order_list"), 0, o) ||
      (double)o->count != num->valuedouble)
    return -5;
  return 0;
}

static long long q3_now(void) { return BENCH_Q3_NOW; } /* the library's clock callback's */

/* APIv3: 0 with o filled (pointing into *json, which the caller frees), or
   -3 bad signature, -4 echo mismatch, -5 bad body, -6 stale. */
static int conv_query_v3(const char *body, size_t len, const char *ts, const char *nonce,
                         const char *sig64, const char *serial, cJSON **json, conv_order *o) {
  unsigned char sig[400], digest[32];
  unsigned int dl = 0;
  size_t sl = strlen(sig64), tl = strlen(ts);
  const cJSON *scene, *payer;
  char *end;
  long long t, now;
  int n;
  *json = NULL;
  if (sl == 0 || sl % 4 || sl > 4 * (sizeof sig / 3)) return -3;
  n = EVP_DecodeBlock(sig, (const unsigned char *)sig64, (int)sl);
  if (n < 0) return -3;
  n -= (sig64[sl - 1] == '=') + (sig64[sl - 2] == '='); /* DecodeBlock counts the padding */
  if (tl == 0 || tl > 12 || strspn(ts, "0123456789") != tl) return -6;
  t = strtoll(ts, &end, 10);
  if (!EVP_DigestInit_ex(sha_ctx, sha_md, NULL) ||
      !EVP_DigestUpdate(sha_ctx, ts, tl) || !EVP_DigestUpdate(sha_ctx, "\n", 1) ||
      !EVP_DigestUpdate(sha_ctx, nonce, strlen(nonce)) || !EVP_DigestUpdate(sha_ctx, "\n", 1) ||
      !EVP_DigestUpdate(sha_ctx, body, len) || !EVP_DigestUpdate(sha_ctx, "\n", 1) ||
      !EVP_DigestFinal_ex(sha_ctx, digest, &dl) || dl != 32)
    return -3;
  if (bench_standin_verify(serial, digest, sig, (size_t)n) != 1) return -3;
  now = q3_now();
  if (t - now > 300 || now - t > 300) return -6;
  *json = cJSON_ParseWithLength(body, len);
  if (!*json || !cJSON_IsObject(*json)) return -5;
  o->combine_appid = str_of(*json, "combine_appid");
  o->combine_mchid = str_of(*json, "combine_mchid");
  o->combine_out_trade_no = str_of(*json, "combine_out_trade_no");
  if (!o->combine_appid || !o->combine_mchid || !o->combine_out_trade_no) return -5;
  if (strcmp(o->combine_mchid, BENCH_Q3_MCHID) || strcmp(o->combine_out_trade_no, BENCH_Q3_OTN) ||
      strcmp(o->combine_appid, BENCH_Q3_APPID))
    return -4;
  scene = cJSON_GetObjectItemCaseSensitive(*json, "scene_info");
  payer = cJSON_GetObjectItemCaseSensitive(*json, "combine_payer_info");
  o->device_info = scene ? str_of(scene, "device_id") : "";
  o->combine_openid = payer ? str_of(payer, "openid") : "";
  if (!o->device_info || !o->combine_openid) return -5;
  o->trade_state = "";
  o->state = 0;
  if (conv_list_read(cJSON_GetObjectItemCaseSensitive(*json, "sub_orders"), 1, o)) return -5;
  return 0;
}

static int query_run(int op, const char *body, size_t len, conv_order *o) {
  conv_doc d;
  cJSON *json;
  int r;
  if (op == OP_QUERY_V2) {
    r = conv_query_v2(body, len, &d, &json, o);
    bench_sink += r ? 0u : (unsigned)o->subs[2].total_amount;
    cJSON_Delete(json);
    if (d.doc) conv_doc_free(&d);
  } else {
    r = conv_query_v3(body, len, BENCH_Q3_TS, BENCH_Q3_NONCE, bench_query_v3_sig,
                      BENCH_Q3_SERIAL, &json, o);
    bench_sink += r ? 0u : (unsigned)o->subs[2].total_amount;
    cJSON_Delete(json);
  }
  return r;
}

/* The known answer, checked while the tree is alive. */
static int query_check(int op, char *msg, size_t cap) {
  conv_doc d;
  cJSON *json;
  conv_order o;
  const char *body = op == OP_QUERY_V2 ? bench_query_v2 : bench_query_v3;
  size_t len = op == OP_QUERY_V2 ? bench_query_v2_len : bench_query_v3_len, i;
  int r, bad = 0;
  d.doc = NULL;
  r = op == OP_QUERY_V2 ? conv_query_v2(body, len, &d, &json, &o)
                        : conv_query_v3(body, len, BENCH_Q3_TS, BENCH_Q3_NONCE,
                                        bench_query_v3_sig, BENCH_Q3_SERIAL, &json, &o);
  if (r || o.count != BENCH_QUERY_SUBS) {
    snprintf(msg, cap, "the signed query answer was not read (%d)", r);
    bad = 1;
  }
  for (i = 0; !bad && i < BENCH_QUERY_SUBS; i++) {
    const conv_sub *q = &o.subs[i];
    if (strcmp(q->mchid, bench_query_mchid[i]) || strcmp(q->out_trade_no, bench_query_otn[i]) ||
        strcmp(q->transaction_id, bench_query_txid[i]) ||
        q->total_amount != bench_query_total[i] ||
        strcmp(q->trade_state, op == OP_QUERY_V3 ? bench_query_v3_state[i] : "SUCCESS")) {
      snprintf(msg, cap, "sub-order %lu differs from the known answer", (unsigned long)i);
      bad = 1;
    }
  }
  cJSON_Delete(json);
  if (d.doc) conv_doc_free(&d);
  if (bad) return 1;
  body = op == OP_QUERY_V2 ? bench_query_v2_tampered : bench_query_v3_tampered;
  r = query_run(op, body, strlen(body), &o);
  if (r != -3) {
    snprintf(msg, cap, "a tampered query answer was not refused (%d)", r);
    return 1;
  }
  return 0;
}

static int parse_is(const char *body, size_t len, int want) {
  int verified, r = conv_parse(&req1, body, len, &verified);
  bench_sink += (unsigned)r;
  return r != want || !verified;
}

static int run(int op, long n) {
  size_t len = 0;
  long i;
  for (i = 0; i < n; i++) {
    switch (op) {
      case OP_BUILD1: case OP_BUILD10:
        if (conv_build(op == OP_BUILD1 ? &req1 : &req10, out, sizeof out, &len)) return 1;
        bench_sink += (unsigned char)out[len - 9];
        break;
      case OP_PARSE_OK:
        if (parse_is(bench_resp_ok, bench_resp_ok_len, OUT_CLOSED)) return 1;
        break;
      case OP_PARSE_FAIL:
        if (parse_is(bench_resp_fail, bench_resp_fail_len, OUT_ALREADY_CLOSED)) return 1;
        break;
      case OP_EXCHANGE:
        if (conv_build(&req1, out, sizeof out, &len)) return 1;
        bench_sink += (unsigned char)out[len - 9];
        if (parse_is(bench_resp_ok, bench_resp_ok_len, OUT_CLOSED)) return 1;
        break;
      case OP_QUERY_V2: case OP_QUERY_V3: {
        conv_order o;
        if (query_run(op, op == OP_QUERY_V2 ? bench_query_v2 : bench_query_v3,
                      op == OP_QUERY_V2 ? bench_query_v2_len : bench_query_v3_len, &o) ||
            o.count != BENCH_QUERY_SUBS)
          return 1;
        break;
      }
      default:
        return 1;
    }
  }
  return 0;
}

static int check(int op, char *msg, size_t cap) {
  size_t len;
  int verified, r;
  if (op == OP_QUERY_V2 || op == OP_QUERY_V3) return query_check(op, msg, cap);
  if (op == OP_BUILD1 || op == OP_BUILD10 || op == OP_EXCHANGE) {
    if (conv_build(op == OP_BUILD10 ? &req10 : &req1, out, sizeof out, &len) ||
        strcmp(out, op == OP_BUILD10 ? bench_body10 : bench_body1)) {
      snprintf(msg, cap, "body differs from the known answer: %.300s", out);
      return 1;
    }
    if (op != OP_EXCHANGE) return 0;
  }
  if (run(op == OP_EXCHANGE ? OP_PARSE_OK : op, 1)) {
    snprintf(msg, cap, "a signed response was not verified or got the wrong outcome");
    return 1;
  }
  r = conv_parse(&req1, bench_resp_wrong_key, bench_resp_wrong_key_len, &verified);
  if (r != -3) {
    snprintf(msg, cap, "a response signed with another key was not refused (%d)", r);
    return 1;
  }
  return 0;
}

const bench_contender conv_c = {
    "conv", "OpenSSL EVP_MAC + cJSON + snprintf + libxml2",
    setup, supports, check, run, info};
