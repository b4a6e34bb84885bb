/* wxpay_curl.h v0.1.0 -- a libcurl transport for wxpay_close.h

   Part of wxpay_close.h (adapters/). Needs wxpay_close.h on the include path
   and libcurl (Debian: libcurl4-openssl-dev; link with -lcurl). C99.

   Do this:
       #define WXPAY_CURL_IMPLEMENTATION
       #include "adapters/wxpay_curl.h"
   in *one* C file; other files include it without the define.

WHAT IT DOES

   wxpay_curl_transport() is a wxpay_transport_fn. Each call is one HTTP POST
   (or, for a "GET" without a body, the APIv3 query, a plain GET:
   CURLOPT_HTTPGET, no Content-Type, no Content-Length) through a libcurl
   easy handle that lives in a wxpay_curl you own and is reused from call to
   call (its connection and DNS caches too), so a request
   allocates nothing beyond what libcurl does internally; even the header list
   is built inside the handle.

   - TLS: peer and host-name verification are always on (CURLOPT_SSL_VERIFYPEER
     1, CURLOPT_SSL_VERIFYHOST 2); no option turns them off. TLS 1.2 or later.
   - Timeouts: CURLOPT_CONNECTTIMEOUT_MS = req->connect_timeout_ms,
     CURLOPT_TIMEOUT_MS = req->timeout_ms (0 = 6000 / 8000).
   - Headers: Content-Type: text/xml; charset=utf-8, Accept: text/xml,
     text/plain, application/x-gzip and User-Agent "wxpay_close.h/<version>
     libcurl/<version>", each replaced by req->headers of the same name; every
     other req->header is added (Host, Content-Length, Connection and
     Transfer-Encoding are libcurl's business and dropped). "Expect:" is sent
     empty so libcurl never waits for 100-continue.
   - Body: written into resp->body; past resp->body_cap the transfer is
     aborted and the call returns WXPAY_NET_TOO_LARGE. Response headers named
     in resp->headers are copied (case-insensitive, truncated to cap-1).
   - Response head: the LIMITS of wxpay_http.h, applied here to the lines
     libcurl hands over: a line over WXPAY_HTTP_MAX_LINE bytes (8192), more
     than WXPAY_HTTP_MAX_HEADERS header lines (100) or a head over
     WXPAY_HTTP_MAX_HEAD bytes (65536) aborts the transfer with
     WXPAY_NET_TOO_LARGE, as with the socket and mbedTLS transports; so does
     a line libcurl itself refuses as too long (over 100 KiB).
   - Only http:// and https:// URLs; redirects are not followed.
   - Failures, from the CURLcode:
       COULDNT_RESOLVE_HOST / _PROXY                 WXPAY_NET_DNS
       COULDNT_CONNECT                               WXPAY_NET_CONNECT
       SSL_*, PEER_FAILED_VERIFICATION, USE_SSL_FAILED  WXPAY_NET_TLS
       OPERATION_TIMEDOUT                            WXPAY_NET_TIMEOUT
       body over the cap (WRITE_ERROR / FILESIZE_EXCEEDED)  WXPAY_NET_TOO_LARGE
       response head over the limits                 WXPAY_NET_TOO_LARGE
       anything else                                 WXPAY_NET_IO
     h->last_code keeps the CURLcode and h->error libcurl's message.

EXAMPLE

       #include <curl/curl.h>
       #include "wxpay_close.h"
       #include "adapters/wxpay_curl.h"

       curl_global_init(CURL_GLOBAL_DEFAULT);   // once, before any thread
       wxpay_curl http = {0};                   // one per thread
       http.ca_file = "/etc/ssl/certs/ca-certificates.crt";   // optional
       if (wxpay_curl_init(&http) != 0) ...     // optional: the first request
                                                // does it otherwise
       wxpay_client cli = {0};
       cli.api_key        = key;
       cli.transport      = wxpay_curl_transport;
       cli.transport_user = &http;
       ... wxpay_close(&cli, &req, &resp, work, sizeof work);
       wxpay_curl_free(&http);
       curl_global_cleanup();

OPTIONS (fields of wxpay_curl; zero = the default; read once, when the easy
handle is made: call wxpay_curl_free() and set them again to change them)

   ca_file   CA bundle file (PEM) to trust instead of libcurl's built-in one
   ca_path   directory of hashed CA certificates (c_rehash), in addition
   proxy     NULL: libcurl's default (the *_proxy environment variables);
             "" : no proxy at all; else the proxy URL

   Compile-time (define before including):
   WXPAY_CURL_STATIC       every function is `static`
   WXPAY_CURL_MAX_HEADERS  request headers the handle can hold, default 16
   WXPAY_CURL_HEADER_BUF   bytes for their text, default 2048 (more: the
                           call fails with WXPAY_NET_IO before any traffic)

THREADS: no global state of ours. Use one wxpay_curl per thread. libcurl
wants curl_global_init() called once before threads start (the handle would
otherwise call it implicitly, which is not thread-safe in old libcurl).
CURLOPT_NOSIGNAL is set, so timeouts never raise signals.

LICENSE: the same as wxpay_close.h (see the end of that file).
*/
#ifndef WXPAY_CURL_H
#define WXPAY_CURL_H

#ifndef WXPAY_CLOSE_H
#include "wxpay_close.h"
#endif
#include <curl/curl.h>

#ifndef WXPAY_CURL_DEF
#ifdef WXPAY_CURL_STATIC
#if defined(__GNUC__) || defined(__clang__)
#define WXPAY_CURL_DEF static __attribute__((unused))
#else
#define WXPAY_CURL_DEF static
#endif
#else
#define WXPAY_CURL_DEF extern
#endif
#endif

#ifndef WXPAY_CURL_MAX_HEADERS
#define WXPAY_CURL_MAX_HEADERS 16
#endif
#ifndef WXPAY_CURL_HEADER_BUF
#define WXPAY_CURL_HEADER_BUF 2048
#endif
/* The response head limits of wxpay_http.h (see LIMITS there): the same
   names and defaults, so one definition sets every transport. */
#ifndef WXPAY_HTTP_MAX_LINE
#define WXPAY_HTTP_MAX_LINE 8192
#endif
#ifndef WXPAY_HTTP_MAX_HEADERS
#define WXPAY_HTTP_MAX_HEADERS 100
#endif
#ifndef WXPAY_HTTP_MAX_HEAD
#define WXPAY_HTTP_MAX_HEAD 65536
#endif

#ifdef __cplusplus
extern "C" {
#endif

typedef struct wxpay_curl {
  /* options (see OPTIONS above) */
  const char *ca_file;
  const char *ca_path;
  const char *proxy;
  /* after each request */
  CURLcode last_code;              /* CURLE_OK, or what libcurl reported */
  char error[CURL_ERROR_SIZE];     /* libcurl's message, "" if none */
  /* private */
  CURL *easy;
  wxpay_http_resp *wxpay__resp;
  int wxpay__too_large;
  size_t wxpay__head_lines, wxpay__head_bytes; /* of the response being read */
  int wxpay__head_done;                        /* its empty line was seen */
  struct curl_slist wxpay__nodes[WXPAY_CURL_MAX_HEADERS];
  char wxpay__text[WXPAY_CURL_HEADER_BUF];
} wxpay_curl;

/* Makes the easy handle and applies the options. 0 on success, -1 when
   libcurl could not make a handle, or the CURLcode of an option it refused.
   Optional: the first wxpay_curl_transport() call does it. */
WXPAY_CURL_DEF int wxpay_curl_init(wxpay_curl *h);
/* Frees the easy handle (and its connections); h can be set up again. */
WXPAY_CURL_DEF void wxpay_curl_free(wxpay_curl *h);
/* The wxpay_transport_fn: user is a wxpay_curl *. */
WXPAY_CURL_DEF wxpay_net wxpay_curl_transport(void *user,
                                              const wxpay_http_req *req,
                                              wxpay_http_resp *resp);
/* The classification above, for a CURLcode. */
WXPAY_CURL_DEF wxpay_net wxpay_curl_classify(CURLcode code);

#ifdef __cplusplus
}
#endif
#endif /* WXPAY_CURL_H */

/* ======================================================================== */
#ifdef WXPAY_CURL_IMPLEMENTATION
#ifndef WXPAY_CURL_IMPLEMENTED
#define WXPAY_CURL_IMPLEMENTED

#include <string.h>

static int wxpay__curl_lower(int c) {
  return (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c;
}

/* a[0..alen) equals the NUL-terminated b, ignoring ASCII case */
static int wxpay__curl_ieq(const char *a, size_t alen, const char *b) {
  size_t i;
  for (i = 0; i < alen; i++) {
    if (b[i] == '\0') return 0;
    if (wxpay__curl_lower((unsigned char)a[i]) !=
        wxpay__curl_lower((unsigned char)b[i]))
      return 0;
  }
  return b[alen] == '\0';
}

WXPAY_CURL_DEF wxpay_net wxpay_curl_classify(CURLcode code) {
  switch (code) {
  case CURLE_OK: return WXPAY_NET_OK;
  case CURLE_COULDNT_RESOLVE_HOST:
  case CURLE_COULDNT_RESOLVE_PROXY: return WXPAY_NET_DNS;
  case CURLE_COULDNT_CONNECT: return WXPAY_NET_CONNECT;
  case CURLE_OPERATION_TIMEDOUT: return WXPAY_NET_TIMEOUT;
  case CURLE_FILESIZE_EXCEEDED: return WXPAY_NET_TOO_LARGE;
  case CURLE_SSL_CONNECT_ERROR:
  case CURLE_PEER_FAILED_VERIFICATION:
  case CURLE_SSL_ENGINE_NOTFOUND:
  case CURLE_SSL_ENGINE_SETFAILED:
  case CURLE_SSL_CERTPROBLEM:
  case CURLE_SSL_CIPHER:
  case CURLE_USE_SSL_FAILED:
  case CURLE_SSL_ENGINE_INITFAILED:
  case CURLE_SSL_CACERT_BADFILE:
  case CURLE_SSL_SHUTDOWN_FAILED:
  case CURLE_SSL_CRL_BADFILE:
  case CURLE_SSL_ISSUER_ERROR:
#if LIBCURL_VERSION_NUM >= 0x072700
  case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
#endif
#if LIBCURL_VERSION_NUM >= 0x072900
  case CURLE_SSL_INVALIDCERTSTATUS:
#endif
#if LIBCURL_VERSION_NUM >= 0x074d00
  case CURLE_SSL_CLIENTCERT:
#endif
    return WXPAY_NET_TLS;
  default: return WXPAY_NET_IO;
  }
}

static size_t wxpay__curl_body(char *data, size_t size, size_t n, void *user) {
  wxpay_curl *h = (wxpay_curl *)user;
  wxpay_http_resp *resp = h->wxpay__resp;
  size_t len;
  if (n != 0 && size > (size_t)-1 / n) return 0;
  len = size * n;
  if (len > resp->body_cap - resp->body_len) {
    h->wxpay__too_large = 1;
    return 0; /* != len: libcurl aborts with CURLE_WRITE_ERROR */
  }
  if (len) memcpy(resp->body + resp->body_len, data, len);
  resp->body_len += len;
  return len;
}

static size_t wxpay__curl_header(char *data, size_t size, size_t n,
                                 void *user) {
  wxpay_curl *h = (wxpay_curl *)user;
  wxpay_http_resp *resp = h->wxpay__resp;
  size_t len, i;
  const char *colon, *v, *end;
  if (n != 0 && size > (size_t)-1 / n) return 0;
  len = size * n;
  {
    /* the LIMITS, counted as wxpay_http.h counts them: per response (a
       status line starts one), each line without its line end, plus 2 */
    size_t line = len;
    if (line && data[line - 1] == '\n') line--;
    if (line && data[line - 1] == '\r') line--;
    if (len >= 5 && memcmp(data, "HTTP/", 5) == 0) {
      h->wxpay__head_lines = 0;
      h->wxpay__head_bytes = 0;
      h->wxpay__head_done = 0;
    } else if (line == 0) {
      h->wxpay__head_done = 1;
    } else if (!h->wxpay__head_done) {
      h->wxpay__head_lines++;
    }
    if (!h->wxpay__head_done || line == 0) h->wxpay__head_bytes += line + 2;
    if (!h->wxpay__head_done &&
        (line > WXPAY_HTTP_MAX_LINE || h->wxpay__head_lines > WXPAY_HTTP_MAX_HEADERS))
      h->wxpay__too_large = 1;
    if (h->wxpay__head_bytes > WXPAY_HTTP_MAX_HEAD) h->wxpay__too_large = 1;
    if (h->wxpay__too_large) return 0; /* != len: libcurl aborts (WRITE_ERROR) */
  }
  if (!resp->headers || resp->header_count == 0) return len;
  if (len >= 5 && memcmp(data, "HTTP/", 5) == 0) {
    /* a new response (after 100-continue or a proxy's CONNECT): its
       headers replace those seen so far */
    for (i = 0; i < resp->header_count; i++) {
      resp->headers[i].found = 0;
      resp->headers[i].len = 0;
    }
    return len;
  }
  colon = (const char *)memchr(data, ':', len);
  if (!colon) return len;
  v = colon + 1;
  end = data + len;
  while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ' ||
                     end[-1] == '\t'))
    end--;
  while (v < end && (*v == ' ' || *v == '\t')) v++;
  for (i = 0; i < resp->header_count; i++) {
    wxpay_header_slot *slot = &resp->headers[i];
    size_t take = (size_t)(end - v);
    if (slot->found || !slot->name ||
        !wxpay__curl_ieq(data, (size_t)(colon - data), slot->name))
      continue;
    slot->found = 1;
    if (slot->value && slot->cap > 0) {
      if (take > slot->cap - 1) take = slot->cap - 1;
      memcpy(slot->value, v, take);
      slot->value[take] = '\0';
    } else {
      take = 0;
    }
    slot->len = take;
  }
  return len;
}

WXPAY_CURL_DEF int wxpay_curl_init(wxpay_curl *h) {
  CURLcode c = CURLE_OK;
  if (!h) return -1;
  if (h->easy) return 0;
  h->error[0] = '\0';
  h->last_code = CURLE_OK;
  h->easy = curl_easy_init();
  if (!h->easy) return -1;
  /* once-per-handle settings; wxpay_curl_transport() sets the rest */
  c = curl_easy_setopt(h->easy, CURLOPT_NOSIGNAL, 1L);
  if (!c) c = curl_easy_setopt(h->easy, CURLOPT_ERRORBUFFER, h->error);
  if (!c) c = curl_easy_setopt(h->easy, CURLOPT_SSL_VERIFYPEER, 1L);
  if (!c) c = curl_easy_setopt(h->easy, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!c) c = curl_easy_setopt(h->easy, CURLOPT_SSLVERSION,
                               (long)CURL_SSLVERSION_TLSv1_2);
  if (!c) c = curl_easy_setopt(h->easy, CURLOPT_FOLLOWLOCATION, 0L);
#if LIBCURL_VERSION_NUM >= 0x075500
  if (!c) c = curl_easy_setopt(h->easy, CURLOPT_PROTOCOLS_STR, "http,https");
#else
  if (!c) c = curl_easy_setopt(h->easy, CURLOPT_PROTOCOLS,
                               (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
  if (!c) c = curl_easy_setopt(h->easy, CURLOPT_USERAGENT,
                               "wxpay_close.h/" WXPAY_VERSION
                               " libcurl/" LIBCURL_VERSION);
  if (!c) c = curl_easy_setopt(h->easy, CURLOPT_WRITEFUNCTION,
                               wxpay__curl_body);
  if (!c) c = curl_easy_setopt(h->easy, CURLOPT_WRITEDATA, (void *)h);
  if (!c) c = curl_easy_setopt(h->easy, CURLOPT_HEADERFUNCTION,
                               wxpay__curl_header);
  if (!c) c = curl_easy_setopt(h->easy, CURLOPT_HEADERDATA, (void *)h);
  if (!c && h->ca_file) c = curl_easy_setopt(h->easy, CURLOPT_CAINFO, h->ca_file);
  if (!c && h->ca_path) c = curl_easy_setopt(h->easy, CURLOPT_CAPATH, h->ca_path);
  if (!c && h->proxy) c = curl_easy_setopt(h->easy, CURLOPT_PROXY, h->proxy);
  if (c != CURLE_OK) {
    h->last_code = c;
    curl_easy_cleanup(h->easy);
    h->easy = NULL;
    return (int)c;
  }
  return 0;
}

WXPAY_CURL_DEF void wxpay_curl_free(wxpay_curl *h) {
  if (h && h->easy) {
    curl_easy_cleanup(h->easy);
    h->easy = NULL;
  }
}

/* Adds "name: value" (value NULL: "name:", which removes libcurl's own). */
static int wxpay__curl_add(wxpay_curl *h, size_t *count, size_t *used,
                           const char *name, const char *value) {
  size_t nl = strlen(name), vl = value ? strlen(value) : 0;
  size_t need = nl + 1 + (value ? 1 + vl : 0) + 1;
  char *p;
  const char *q;
  if (*count >= WXPAY_CURL_MAX_HEADERS || need > sizeof h->wxpay__text - *used)
    return -1;
  for (q = name; *q; q++)
    if (*q == ':' || *q == '\r' || *q == '\n' || *q == ' ') return -1;
  for (q = value ? value : ""; *q; q++)
    if (*q == '\r' || *q == '\n') return -1;
  p = h->wxpay__text + *used;
  memcpy(p, name, nl);
  p[nl] = ':';
  if (value) {
    p[nl + 1] = ' ';
    memcpy(p + nl + 2, value, vl);
  }
  p[need - 1] = '\0';
  h->wxpay__nodes[*count].data = p;
  h->wxpay__nodes[*count].next = NULL;
  if (*count > 0) h->wxpay__nodes[*count - 1].next = &h->wxpay__nodes[*count];
  (*count)++;
  *used += need;
  return 0;
}

static int wxpay__curl_given(const wxpay_http_req *req, const char *name) {
  size_t i;
  for (i = 0; i < req->header_count; i++)
    if (req->headers[i].name &&
        wxpay__curl_ieq(name, strlen(name), req->headers[i].name))
      return 1;
  return 0;
}

WXPAY_CURL_DEF wxpay_net wxpay_curl_transport(void *user,
                                              const wxpay_http_req *req,
                                              wxpay_http_resp *resp) {
  wxpay_curl *h = (wxpay_curl *)user;
  size_t count = 0, used = 0, i;
  unsigned conn, total;
  long status = 0;
  CURLcode c;
  const char *method;
  int bodyless;

  if (!h || !req || !resp || !req->url) return WXPAY_NET_IO;
  resp->status = 0;
  resp->body_len = 0;
  if (resp->headers)
    for (i = 0; i < resp->header_count; i++) {
      resp->headers[i].found = 0;
      resp->headers[i].len = 0;
      if (resp->headers[i].value && resp->headers[i].cap)
        resp->headers[i].value[0] = '\0';
    }
  if ((!resp->body && resp->body_cap) || (!req->body && req->body_len))
    return WXPAY_NET_IO;
  if (!h->easy && wxpay_curl_init(h) != 0) return WXPAY_NET_IO;
  h->error[0] = '\0';
  h->wxpay__resp = resp;
  h->wxpay__too_large = 0;
  h->wxpay__head_lines = h->wxpay__head_bytes = 0;
  h->wxpay__head_done = 0;

  method = req->method ? req->method : "POST";
  /* a GET without content is a plain GET, with no Content-Type (as the
     socket and mbedTLS transports send it) */
  bodyless = req->body_len == 0 && strcmp(method, "GET") == 0;
  if (!bodyless && !wxpay__curl_given(req, "Content-Type") &&
      wxpay__curl_add(h, &count, &used, "Content-Type",
                      "text/xml; charset=utf-8"))
    return WXPAY_NET_IO;
  if (!wxpay__curl_given(req, "Accept") &&
      wxpay__curl_add(h, &count, &used, "Accept",
                      "text/xml, text/plain, application/x-gzip"))
    return WXPAY_NET_IO;
  if (wxpay__curl_add(h, &count, &used, "Expect", NULL)) return WXPAY_NET_IO;
  for (i = 0; i < req->header_count; i++) {
    const char *n = req->headers[i].name;
    size_t nl;
    if (!n || !req->headers[i].value) return WXPAY_NET_IO;
    nl = strlen(n);
    if (wxpay__curl_ieq(n, nl, "host") ||
        wxpay__curl_ieq(n, nl, "content-length") ||
        wxpay__curl_ieq(n, nl, "connection") ||
        wxpay__curl_ieq(n, nl, "transfer-encoding") ||
        wxpay__curl_ieq(n, nl, "expect"))
      continue;
    if (wxpay__curl_add(h, &count, &used, n, req->headers[i].value))
      return WXPAY_NET_IO;
  }

  conn = req->connect_timeout_ms ? req->connect_timeout_ms : 6000u;
  total = req->timeout_ms ? req->timeout_ms : 8000u;

  c = curl_easy_setopt(h->easy, CURLOPT_URL, req->url);
  /* the handle is reused: each call sets its method afresh (CURLOPT_HTTPGET
     also undoes the POST of an earlier call) */
  if (bodyless) {
    if (!c) c = curl_easy_setopt(h->easy, CURLOPT_HTTPGET, 1L);
    if (!c) c = curl_easy_setopt(h->easy, CURLOPT_CUSTOMREQUEST, (char *)NULL);
  } else {
    if (!c) c = curl_easy_setopt(h->easy, CURLOPT_POST, 1L);
    if (!c) c = curl_easy_setopt(h->easy, CURLOPT_POSTFIELDS,
                                 req->body ? req->body : "");
    if (!c) c = curl_easy_setopt(h->easy, CURLOPT_POSTFIELDSIZE_LARGE,
                                 (curl_off_t)req->body_len);
    if (!c) c = curl_easy_setopt(h->easy, CURLOPT_CUSTOMREQUEST,
                                 strcmp(method, "POST") == 0 ? NULL : method);
  }
  if (!c) c = curl_easy_setopt(h->easy, CURLOPT_HTTPHEADER,
                               count ? &h->wxpay__nodes[0] : NULL);
  if (!c) c = curl_easy_setopt(h->easy, CURLOPT_CONNECTTIMEOUT_MS, (long)conn);
  if (!c) c = curl_easy_setopt(h->easy, CURLOPT_TIMEOUT_MS, (long)total);
  if (!c) c = curl_easy_setopt(h->easy, CURLOPT_MAXFILESIZE_LARGE,
                               (curl_off_t)resp->body_cap);
  if (c == CURLE_OK) c = curl_easy_perform(h->easy);
  h->last_code = c;
  (void)curl_easy_getinfo(h->easy, CURLINFO_RESPONSE_CODE, &status);
  /* the list lives in h: make sure libcurl forgets it before we reuse it */
  (void)curl_easy_setopt(h->easy, CURLOPT_HTTPHEADER, (struct curl_slist *)NULL);
  h->wxpay__resp = NULL;
  if (c != CURLE_OK && c != CURLE_WRITE_ERROR && c != CURLE_FILESIZE_EXCEEDED)
    status = 0; /* no complete response */
  resp->status = (int)status;
  if (c != CURLE_OK) {
    if (h->wxpay__too_large &&
        (c == CURLE_WRITE_ERROR || c == CURLE_FILESIZE_EXCEEDED))
      return WXPAY_NET_TOO_LARGE;
    /* a head line libcurl refused itself (over its 100 KiB, so over ours
       too): its code for that, inside a head begun and not ended */
    if (h->wxpay__head_bytes > 0 && !h->wxpay__head_done &&
        (c == CURLE_OUT_OF_MEMORY
#if LIBCURL_VERSION_NUM >= 0x080600
         || c == CURLE_TOO_LARGE
#endif
         ))
      return WXPAY_NET_TOO_LARGE;
    return wxpay_curl_classify(c);
  }
  if (resp->body && resp->body_len < resp->body_cap)
    resp->body[resp->body_len] = '\0'; /* a courtesy; body_len is the size */
  return WXPAY_NET_OK;
}

#endif /* WXPAY_CURL_IMPLEMENTED */
#endif /* WXPAY_CURL_IMPLEMENTATION */
