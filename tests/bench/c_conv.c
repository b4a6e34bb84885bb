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
          mapping and echo check as the library. */
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
  return 0;
}

static const char *info(void) {
  static char s[160];
  snprintf(s, sizeof s, "%s, libxml2 %s, cJSON %s", OpenSSL_version(OPENSSL_VERSION),
           LIBXML_DOTTED_VERSION, cJSON_Version());
  return s;
}

static int supports(int op) { return op >= OP_BUILD1 && op <= OP_EXCHANGE; }

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

/* Returns the outcome (> 0), or -1 malformed, -2 refused, -3 bad signature,
   -4 echo mismatch. *verified says whether a sign was checked. */
static int conv_parse(const conv_req *r, const char *body, size_t len, int *verified) {
  kv f[64];
  xmlChar *owned[64];
  size_t nf = 0, no = 0, i, j, sl = 0, keylen = strlen(key);
  char tosign[16384], mine[65];
  const char *sign = "", *rc, *res;
  xmlDocPtr doc;
  xmlNodePtr root, n, c;
  int ret = -1;
  *verified = 0;
  if (len > 65536) return -1;
  doc = xmlReadMemory(body, (int)len, NULL, "UTF-8",
                      XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
  if (!doc) return -1;
  if (doc->intSubset || doc->extSubset) { ret = -2; goto done; } /* XXE */
  root = xmlDocGetRootElement(doc);
  if (!root || strcmp((const char *)root->name, "xml") || root->properties) goto done;
  for (n = root->children; n; n = n->next) {
    const char *v;
    if (n->type == XML_COMMENT_NODE || (n->type == XML_TEXT_NODE && xmlIsBlankNode(n)))
      continue;
    if (n->type != XML_ELEMENT_NODE || n->properties || nf == 64) goto done;
    c = n->children;
    if (!c) {
      v = "";
    } else if (!c->next && (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE)) {
      v = (const char *)c->content; /* the common case: no copy */
    } else {
      for (; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE) goto done; /* nested */
      v = (const char *)(owned[no++] = xmlNodeGetContent(n));
      if (!v) goto done;
    }
    for (j = 0; j < nf; j++)
      if (!strcmp(f[j].k, (const char *)n->name)) { ret = -2; goto done; }
    f[nf].k = (const char *)n->name;
    f[nf].v = v;
    nf++;
  }
  qsort(f, nf, sizeof f[0], kv_cmp);
  for (i = 0; i < nf; i++) {
    size_t kl, vl;
    if (!strcmp(f[i].k, "sign")) { sign = f[i].v; continue; }
    if (!*f[i].v) continue;
    kl = strlen(f[i].k);
    vl = strlen(f[i].v);
    if (sl + kl + vl + 2 + 5 + keylen >= sizeof tosign) goto done;
    if (sl) tosign[sl++] = '&';
    memcpy(tosign + sl, f[i].k, kl);
    sl += kl;
    tosign[sl++] = '=';
    memcpy(tosign + sl, f[i].v, vl);
    sl += vl;
  }
  memcpy(tosign + sl, "&key=", 5);
  memcpy(tosign + sl + 5, key, keylen);
  sl += 5 + keylen;
  rc = get(f, nf, "return_code");
  if (strcmp(rc, "SUCCESS") && strcmp(rc, "FAIL")) goto done;
  if (*sign) {
    if (hmac_hex(tosign, sl, mine)) goto done;
    OPENSSL_cleanse(tosign, sl);
    if (strlen(sign) != 64 || CRYPTO_memcmp(mine, sign, 64)) { ret = -3; goto done; }
    *verified = 1;
  } else if (strcmp(rc, "FAIL")) {
    ret = -3; /* unsigned SUCCESS */
    goto done;
  }
  if (!strcmp(rc, "FAIL")) { ret = OUT_REJECTED; goto done; }
  if (strcmp(get(f, nf, "combine_appid"), r->appid) ||
      strcmp(get(f, nf, "combine_mch_id"), r->mchid)) {
    ret = -4;
    goto done;
  }
  res = get(f, nf, "result_code");
  if (!strcmp(res, "SUCCESS")) ret = OUT_CLOSED;
  else if (!strcmp(res, "FAIL")) ret = outcome_of(get(f, nf, "err_code"));
  else ret = -1;
done:
  for (i = 0; i < no; i++) xmlFree(owned[i]);
  xmlFreeDoc(doc);
  return ret;
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
      default:
        return 1;
    }
  }
  return 0;
}

static int check(int op, char *msg, size_t cap) {
  size_t len;
  int verified, r;
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
