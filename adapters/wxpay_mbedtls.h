/* wxpay_mbedtls.h v0.1.0 -- an mbedTLS transport for wxpay_close.h

   Part of wxpay_close.h (adapters/). Needs wxpay_close.h on the include path,
   adapters/wxpay_http.h (next to this file) and mbedTLS 2.28 LTS or 3.x
   (Debian: libmbedtls-dev; link with -lmbedtls -lmbedx509 -lmbedcrypto). C99.

   Do this:
       #define _POSIX_C_SOURCE 200809L     // before ANY #include (POSIX sockets)
       #define WXPAY_HTTP_IMPLEMENTATION
       #define WXPAY_MBEDTLS_IMPLEMENTATION
       #include "adapters/wxpay_mbedtls.h"
   in *one* C file (WXPAY_HTTP_IMPLEMENTATION once in the program, here or
   elsewhere); other files include it without the defines. Under
   WXPAY_HTTP_NO_POSIX no POSIX is needed: supply stream_open/stream_close.

WHAT IT DOES

   A TLS stream (mbedTLS) over any wxpay_stream from wxpay_http.h, and the
   HTTP/1.1 client from wxpay_http.h over it. wxpay_mbedtls_transport() is a
   wxpay_transport_fn: per request it opens a TCP connection (POSIX sockets,
   or your stream_open: lwIP, a modem's AT socket, ...), runs the handshake,
   POSTs, reads the answer, sends close_notify and closes.

   - Verification is always on: MBEDTLS_SSL_VERIFY_REQUIRED against the CA(s)
     you give, and mbedtls_ssl_set_hostname() with the URL's host for SNI and
     the name check. A failed handshake (unknown CA, wrong name, no common
     cipher, ...) returns WXPAY_NET_TLS before a single request byte is
     written. TLS 1.2 or later.
   - Timeouts: the connect timeout bounds the TCP connect; one budget of
     req->timeout_ms (from the start of the call) bounds connect, handshake,
     request and response. Every read goes through the recv-with-timeout
     callback (mbedtls_ssl_conf_read_timeout() is set to the budget too).
   - http:// URLs are served as well, without TLS (handy against a local
     emulator); https:// always verifies.
   - mbedTLS has no system CA store: give ca_pem or ca_file. WeChat Pay's
     api.mch.weixin.qq.com chains to a public root CA (DigiCert at the time of
     writing): ship the root(s) your deployment needs.
   - mbedTLS 2.28 checks the host name against DNS names only: a URL with an
     IP address verifies only if the certificate lists that address as a DNS
     name or CN. Use host names.

EXAMPLE

       #include "wxpay_close.h"
       #include "adapters/wxpay_mbedtls.h"

       wxpay_mbedtls tls = {0};              // one per thread
       tls.ca_file = "/etc/ssl/certs/ca-certificates.crt";   // or ca_pem
       if (wxpay_mbedtls_init(&tls) != 0) ...   // an mbedTLS error code
       wxpay_client cli = {0};
       cli.api_key        = key;
       cli.transport      = wxpay_mbedtls_transport;
       cli.transport_user = &tls;
       ... wxpay_close(&cli, &req, &resp, work, sizeof work);
       wxpay_mbedtls_free(&tls);

OPTIONS (fields of wxpay_mbedtls; set before wxpay_mbedtls_init(); zero =
the default)

   ca_pem, ca_pem_len  trusted CA certificate(s): PEM text (ca_pem_len 0: the
                       text is NUL-terminated) or DER bytes (ca_pem_len = size)
   ca_file             trusted CA file, PEM or DER (needs MBEDTLS_FS_IO);
                       with ca_pem, both are trusted. One of them is required.
   f_rng, p_rng        random generator for TLS; default: a CTR_DRBG seeded
                       from mbedTLS's entropy sources, kept in the handle
   stream_open, stream_close, stream_user
                       how to get a TCP stream; default: POSIX sockets
                       (wxpay_socket_open/wxpay_socket_release)

   Compile-time: WXPAY_MBEDTLS_STATIC makes every function `static`.

THREADS: no global state of ours; one wxpay_mbedtls per thread. With
mbedTLS 3.x built with PSA crypto, wxpay_mbedtls_init() calls
psa_crypto_init() (mbedTLS's own global, safe to call more than once).

LICENSE: the same as wxpay_close.h (see the end of that file).
*/
#ifndef WXPAY_MBEDTLS_H
#define WXPAY_MBEDTLS_H

#include "wxpay_http.h"

#include "mbedtls/version.h"
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
#include "mbedtls/build_info.h"
#elif !defined(MBEDTLS_CONFIG_FILE)
#include "mbedtls/config.h"
#else
#include MBEDTLS_CONFIG_FILE
#endif
#include "mbedtls/ssl.h"
#include "mbedtls/entropy.h"
#include "mbedtls/ctr_drbg.h"
#include "mbedtls/x509_crt.h"

#ifndef WXPAY_MBEDTLS_DEF
#ifdef WXPAY_MBEDTLS_STATIC
#if defined(__GNUC__) || defined(__clang__)
#define WXPAY_MBEDTLS_DEF static __attribute__((unused))
#else
#define WXPAY_MBEDTLS_DEF static
#endif
#else
#define WXPAY_MBEDTLS_DEF extern
#endif
#endif

#ifdef __cplusplus
extern "C" {
#endif

typedef struct wxpay_mbedtls {
  /* options (see OPTIONS above) */
  const char *ca_pem;
  size_t ca_pem_len;
  const char *ca_file;
  int (*f_rng)(void *p_rng, unsigned char *out, size_t len);
  void *p_rng;
  wxpay_stream_open_fn stream_open;
  wxpay_stream_close_fn stream_close;
  void *stream_user;
  /* after each request */
  int last_error;              /* mbedTLS error code of the last failure, 0 */
  uint32_t verify_flags;       /* mbedtls_ssl_get_verify_result() of the last
                                  handshake (MBEDTLS_X509_BADCERT_...), 0 */
  /* private */
  int wxpay__inited, wxpay__ready;
  mbedtls_entropy_context wxpay__entropy;
  mbedtls_ctr_drbg_context wxpay__drbg;
  mbedtls_x509_crt wxpay__ca;
  mbedtls_ssl_config wxpay__conf;
  mbedtls_ssl_context wxpay__ssl;
  const wxpay_stream *wxpay__lower;
  unsigned long wxpay__op_start;
  unsigned wxpay__op_ms;
  wxpay_net wxpay__net;
#ifndef WXPAY_HTTP_NO_POSIX
  wxpay_socket wxpay__sock;
#endif
} wxpay_mbedtls;

/* Loads the CA(s), seeds the generator, sets up the TLS configuration.
   Returns 0, or a negative mbedTLS error code (e.g. the CA did not parse;
   MBEDTLS_ERR_SSL_BAD_INPUT_DATA when no CA is given). Optional: the first
   request does it, and fails with WXPAY_NET_TLS if it cannot. */
WXPAY_MBEDTLS_DEF int wxpay_mbedtls_init(wxpay_mbedtls *h);
/* Frees everything mbedTLS holds for h; options stay, h can be set up again. */
WXPAY_MBEDTLS_DEF void wxpay_mbedtls_free(wxpay_mbedtls *h);
/* The wxpay_transport_fn: user is a wxpay_mbedtls *. */
WXPAY_MBEDTLS_DEF wxpay_net wxpay_mbedtls_transport(void *user,
                                                    const wxpay_http_req *req,
                                                    wxpay_http_resp *resp);
/* Handshake (for https:// URLs) and one HTTP exchange over a stream you
   connected yourself; the budget is timeout_ms from start_ms (see
   wxpay_http_exchange()). Does not close the stream. */
WXPAY_MBEDTLS_DEF wxpay_net wxpay_mbedtls_exchange(wxpay_mbedtls *h,
                                                   const wxpay_stream *lower,
                                                   const wxpay_url *url,
                                                   const wxpay_http_req *req,
                                                   wxpay_http_resp *resp,
                                                   unsigned long start_ms,
                                                   unsigned timeout_ms);

#ifdef __cplusplus
}
#endif
#endif /* WXPAY_MBEDTLS_H */

/* ======================================================================== */
#ifdef WXPAY_MBEDTLS_IMPLEMENTATION
#ifndef WXPAY_MBEDTLS_IMPLEMENTED
#define WXPAY_MBEDTLS_IMPLEMENTED

#include <string.h>
#include <limits.h>
#include "mbedtls/net_sockets.h" /* MBEDTLS_ERR_NET_* codes only */
#if MBEDTLS_VERSION_NUMBER >= 0x03000000 && defined(MBEDTLS_PSA_CRYPTO_C)
#include "psa/crypto.h"
#endif

/* >>bio: mbedTLS's I/O callbacks over the lower stream -------------------- */

static unsigned wxpay__mbedtls_left(wxpay_mbedtls *h) {
  unsigned long used;
#ifdef WXPAY_HTTP_NO_POSIX
  if (!h->wxpay__lower->now_ms) return h->wxpay__op_ms;
#endif
  used = wxpay_http_now_ms(h->wxpay__lower) - h->wxpay__op_start;
  if (used >= (unsigned long)h->wxpay__op_ms) return 0;
  return (unsigned)((unsigned long)h->wxpay__op_ms - used);
}

static void wxpay__mbedtls_budget(wxpay_mbedtls *h, unsigned long start,
                                  unsigned ms) {
  h->wxpay__op_start = start;
  h->wxpay__op_ms = ms;
  h->wxpay__net = WXPAY_NET_OK;
}

static int wxpay__mbedtls_bio_send(void *ctx, const unsigned char *buf,
                                   size_t len) {
  wxpay_mbedtls *h = (wxpay_mbedtls *)ctx;
  const wxpay_stream *s = h->wxpay__lower;
  unsigned left = wxpay__mbedtls_left(h);
  size_t sent = 0;
  wxpay_net e;
  if (left == 0) {
    h->wxpay__net = WXPAY_NET_TIMEOUT;
    return MBEDTLS_ERR_SSL_TIMEOUT;
  }
  if (len > (size_t)INT_MAX) len = (size_t)INT_MAX;
  e = s->send(s->ctx, buf, len, &sent, left);
  if (e == WXPAY_NET_OK && sent > 0 && sent <= len) return (int)sent;
  h->wxpay__net = e == WXPAY_NET_OK ? WXPAY_NET_IO : e;
  return e == WXPAY_NET_TIMEOUT ? MBEDTLS_ERR_SSL_TIMEOUT
                                : MBEDTLS_ERR_NET_SEND_FAILED;
}

static int wxpay__mbedtls_bio_recv(void *ctx, unsigned char *buf, size_t len,
                                   uint32_t timeout) {
  wxpay_mbedtls *h = (wxpay_mbedtls *)ctx;
  const wxpay_stream *s = h->wxpay__lower;
  unsigned left = wxpay__mbedtls_left(h);
  size_t got = 0;
  wxpay_net e;
  if (timeout != 0 && timeout < left) left = (unsigned)timeout;
  if (left == 0) {
    h->wxpay__net = WXPAY_NET_TIMEOUT;
    return MBEDTLS_ERR_SSL_TIMEOUT;
  }
  if (len > (size_t)INT_MAX) len = (size_t)INT_MAX;
  e = s->recv(s->ctx, buf, len, &got, left);
  if (e == WXPAY_NET_OK && got <= len) return (int)got; /* 0: end of stream */
  h->wxpay__net = e == WXPAY_NET_OK ? WXPAY_NET_IO : e;
  return e == WXPAY_NET_TIMEOUT ? MBEDTLS_ERR_SSL_TIMEOUT
                                : MBEDTLS_ERR_NET_RECV_FAILED;
}

/* >>stream: a wxpay_stream over the TLS session --------------------------- */

static int wxpay__mbedtls_again(int ret) {
  return ret == MBEDTLS_ERR_SSL_WANT_READ ||
         ret == MBEDTLS_ERR_SSL_WANT_WRITE
#ifdef MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET
         || ret == MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET
#endif
      ;
}

static wxpay_net wxpay__mbedtls_fail(wxpay_mbedtls *h, int ret) {
  h->last_error = ret;
  if (h->wxpay__net != WXPAY_NET_OK) return h->wxpay__net;
  if (ret == MBEDTLS_ERR_SSL_TIMEOUT) return WXPAY_NET_TIMEOUT;
  return WXPAY_NET_IO;
}

static wxpay_net wxpay__mbedtls_send(void *ctx, const unsigned char *data,
                                     size_t len, size_t *sent,
                                     unsigned timeout_ms) {
  wxpay_mbedtls *h = (wxpay_mbedtls *)ctx;
  *sent = 0;
  wxpay__mbedtls_budget(h, wxpay_http_now_ms(h->wxpay__lower), timeout_ms);
  for (;;) {
    int ret = mbedtls_ssl_write(&h->wxpay__ssl, data, len);
    if (ret > 0) {
      *sent = (size_t)ret;
      return WXPAY_NET_OK;
    }
    if (wxpay__mbedtls_again(ret) && wxpay__mbedtls_left(h) > 0) continue;
    return wxpay__mbedtls_fail(h, ret);
  }
}

static wxpay_net wxpay__mbedtls_recv(void *ctx, unsigned char *buf,
                                     size_t cap, size_t *got,
                                     unsigned timeout_ms) {
  wxpay_mbedtls *h = (wxpay_mbedtls *)ctx;
  *got = 0;
  wxpay__mbedtls_budget(h, wxpay_http_now_ms(h->wxpay__lower), timeout_ms);
  for (;;) {
    int ret = mbedtls_ssl_read(&h->wxpay__ssl, buf, cap);
    if (ret > 0) {
      *got = (size_t)ret;
      return WXPAY_NET_OK;
    }
    /* an end with or without close_notify: framing (Content-Length,
       chunked) tells whether the body is complete */
    if (ret == 0 || ret == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY ||
        ret == MBEDTLS_ERR_SSL_CONN_EOF)
      return WXPAY_NET_OK;
    if (wxpay__mbedtls_again(ret) && wxpay__mbedtls_left(h) > 0) continue;
    return wxpay__mbedtls_fail(h, ret);
  }
}

static unsigned long wxpay__mbedtls_now(void *ctx) {
  wxpay_mbedtls *h = (wxpay_mbedtls *)ctx;
  return wxpay_http_now_ms(h->wxpay__lower);
}

/* >>setup ---------------------------------------------------------------- */

WXPAY_MBEDTLS_DEF void wxpay_mbedtls_free(wxpay_mbedtls *h) {
  if (!h || !h->wxpay__inited) return;
  mbedtls_ssl_free(&h->wxpay__ssl);
  mbedtls_ssl_config_free(&h->wxpay__conf);
  mbedtls_x509_crt_free(&h->wxpay__ca);
  mbedtls_ctr_drbg_free(&h->wxpay__drbg);
  mbedtls_entropy_free(&h->wxpay__entropy);
  h->wxpay__inited = 0;
  h->wxpay__ready = 0;
}

WXPAY_MBEDTLS_DEF int wxpay_mbedtls_init(wxpay_mbedtls *h) {
  static const unsigned char pers[] = "wxpay_mbedtls.h";
  int ret = 0;
  if (!h) return MBEDTLS_ERR_SSL_BAD_INPUT_DATA;
  if (h->wxpay__ready) return 0;
  wxpay_mbedtls_free(h);
  h->last_error = 0;
  h->verify_flags = 0;
#ifndef WXPAY_HTTP_NO_POSIX
  h->wxpay__sock.fd = -1;
#endif
  mbedtls_entropy_init(&h->wxpay__entropy);
  mbedtls_ctr_drbg_init(&h->wxpay__drbg);
  mbedtls_x509_crt_init(&h->wxpay__ca);
  mbedtls_ssl_config_init(&h->wxpay__conf);
  mbedtls_ssl_init(&h->wxpay__ssl);
  h->wxpay__inited = 1;

#if MBEDTLS_VERSION_NUMBER >= 0x03000000 && defined(MBEDTLS_PSA_CRYPTO_C)
  if (psa_crypto_init() != PSA_SUCCESS) {
    ret = MBEDTLS_ERR_SSL_INTERNAL_ERROR;
    goto fail;
  }
#endif
  if (!h->ca_pem && !h->ca_file) {
    ret = MBEDTLS_ERR_SSL_BAD_INPUT_DATA;
    goto fail;
  }
  if (h->ca_pem) {
    size_t n = h->ca_pem_len ? h->ca_pem_len : strlen(h->ca_pem) + 1;
    ret = mbedtls_x509_crt_parse(&h->wxpay__ca,
                                 (const unsigned char *)h->ca_pem, n);
    if (ret < 0) goto fail;
  }
  if (h->ca_file) {
#ifdef MBEDTLS_FS_IO
    ret = mbedtls_x509_crt_parse_file(&h->wxpay__ca, h->ca_file);
    if (ret < 0) goto fail;
#else
    ret = MBEDTLS_ERR_SSL_BAD_INPUT_DATA;
    goto fail;
#endif
  }
  if (!h->f_rng) {
    ret = mbedtls_ctr_drbg_seed(&h->wxpay__drbg, mbedtls_entropy_func,
                                &h->wxpay__entropy, pers, sizeof pers - 1);
    if (ret != 0) goto fail;
  }
  ret = mbedtls_ssl_config_defaults(&h->wxpay__conf, MBEDTLS_SSL_IS_CLIENT,
                                    MBEDTLS_SSL_TRANSPORT_STREAM,
                                    MBEDTLS_SSL_PRESET_DEFAULT);
  if (ret != 0) goto fail;
  mbedtls_ssl_conf_authmode(&h->wxpay__conf, MBEDTLS_SSL_VERIFY_REQUIRED);
  mbedtls_ssl_conf_ca_chain(&h->wxpay__conf, &h->wxpay__ca, NULL);
  if (h->f_rng)
    mbedtls_ssl_conf_rng(&h->wxpay__conf, h->f_rng, h->p_rng);
  else
    mbedtls_ssl_conf_rng(&h->wxpay__conf, mbedtls_ctr_drbg_random,
                         &h->wxpay__drbg);
#if MBEDTLS_VERSION_NUMBER < 0x03000000
  /* 3.x has no TLS 1.0/1.1 at all */
  mbedtls_ssl_conf_min_version(&h->wxpay__conf, MBEDTLS_SSL_MAJOR_VERSION_3,
                               MBEDTLS_SSL_MINOR_VERSION_3);
#endif
  ret = mbedtls_ssl_setup(&h->wxpay__ssl, &h->wxpay__conf);
  if (ret != 0) goto fail;
  h->wxpay__ready = 1;
  return 0;
fail:
  h->last_error = ret;
  wxpay_mbedtls_free(h);
  h->last_error = ret;
  return ret;
}

/* >>exchange ------------------------------------------------------------- */

WXPAY_MBEDTLS_DEF wxpay_net wxpay_mbedtls_exchange(wxpay_mbedtls *h,
                                                   const wxpay_stream *lower,
                                                   const wxpay_url *url,
                                                   const wxpay_http_req *req,
                                                   wxpay_http_resp *resp,
                                                   unsigned long start_ms,
                                                   unsigned timeout_ms) {
  wxpay_stream tls;
  wxpay_net e;
  int ret;
  if (!h || !lower || !url || !req || !resp) return WXPAY_NET_IO;
  if (timeout_ms == 0) timeout_ms = WXPAY_HTTP_DEFAULT_TIMEOUT_MS;
  if (!url->https)
    return wxpay_http_exchange(lower, url, req, resp, start_ms, timeout_ms);
  resp->status = 0;
  resp->body_len = 0;
  if (!h->wxpay__ready && (ret = wxpay_mbedtls_init(h)) != 0)
    return WXPAY_NET_TLS;
  h->last_error = 0;
  h->verify_flags = 0;
  h->wxpay__lower = lower;

  ret = mbedtls_ssl_session_reset(&h->wxpay__ssl);
  if (ret == 0) ret = mbedtls_ssl_set_hostname(&h->wxpay__ssl, url->host);
  if (ret != 0) {
    h->last_error = ret;
    return WXPAY_NET_TLS;
  }
  mbedtls_ssl_conf_read_timeout(&h->wxpay__conf, (uint32_t)timeout_ms);
  mbedtls_ssl_set_bio(&h->wxpay__ssl, h, wxpay__mbedtls_bio_send, NULL,
                      wxpay__mbedtls_bio_recv);

  /* the handshake gets what is left of the whole budget */
  wxpay__mbedtls_budget(h, start_ms, timeout_ms);
  for (;;) {
    ret = mbedtls_ssl_handshake(&h->wxpay__ssl);
    if (ret == 0) break;
    if (wxpay__mbedtls_again(ret) && wxpay__mbedtls_left(h) > 0) continue;
    h->last_error = ret;
    h->verify_flags = (uint32_t)mbedtls_ssl_get_verify_result(&h->wxpay__ssl);
    if (h->wxpay__net == WXPAY_NET_TIMEOUT || ret == MBEDTLS_ERR_SSL_TIMEOUT)
      return WXPAY_NET_TIMEOUT;
    return WXPAY_NET_TLS; /* nothing of the request has been written */
  }
  h->verify_flags = (uint32_t)mbedtls_ssl_get_verify_result(&h->wxpay__ssl);
  if (h->verify_flags != 0) return WXPAY_NET_TLS; /* belt and braces */

  tls.ctx = h;
  tls.send = wxpay__mbedtls_send;
  tls.recv = wxpay__mbedtls_recv;
  tls.now_ms = wxpay__mbedtls_now;
  e = wxpay_http_exchange(&tls, url, req, resp, start_ms, timeout_ms);
  if (e == WXPAY_NET_OK) {
    /* polite, best effort, briefly */
    wxpay__mbedtls_budget(h, wxpay_http_now_ms(lower), 200u);
    (void)mbedtls_ssl_close_notify(&h->wxpay__ssl);
  }
  return e;
}

WXPAY_MBEDTLS_DEF wxpay_net wxpay_mbedtls_transport(void *user,
                                                    const wxpay_http_req *req,
                                                    wxpay_http_resp *resp) {
  wxpay_mbedtls *h = (wxpay_mbedtls *)user;
  wxpay_url url;
  wxpay_stream lower;
  wxpay_stream_open_fn open_fn;
  wxpay_stream_close_fn close_fn;
  void *open_user;
  unsigned long start;
  unsigned total, conn;
  wxpay_net e;
  if (!h || !req || !resp || !req->url) return WXPAY_NET_IO;
  resp->status = 0;
  resp->body_len = 0;
  if (wxpay_url_parse(req->url, &url) != 0) return WXPAY_NET_IO;
  if (url.https && !h->wxpay__ready && wxpay_mbedtls_init(h) != 0)
    return WXPAY_NET_TLS;
  open_fn = h->stream_open;
  close_fn = h->stream_close;
  open_user = h->stream_user;
#ifndef WXPAY_HTTP_NO_POSIX
  if (!open_fn) {
    open_fn = wxpay_socket_open;
    close_fn = wxpay_socket_release;
    open_user = &h->wxpay__sock;
  }
#endif
  if (!open_fn) return WXPAY_NET_IO;
  total = req->timeout_ms ? req->timeout_ms : WXPAY_HTTP_DEFAULT_TIMEOUT_MS;
  conn = req->connect_timeout_ms ? req->connect_timeout_ms
                                 : WXPAY_HTTP_DEFAULT_CONNECT_MS;
  if (conn > total) conn = total;
  memset(&lower, 0, sizeof lower);
  start = wxpay_http_now_ms(NULL);
  e = open_fn(open_user, url.host, url.port, conn, &lower);
  if (e != WXPAY_NET_OK) return e;
  /* a stream of yours may keep its own clock: start the budget on it (the
     connect was bounded by conn on its own) */
  if (h->stream_open) start = wxpay_http_now_ms(&lower);
  e = wxpay_mbedtls_exchange(h, &lower, &url, req, resp, start, total);
  if (close_fn) close_fn(open_user, &lower);
  h->wxpay__lower = NULL;
  return e;
}

#endif /* WXPAY_MBEDTLS_IMPLEMENTED */
#endif /* WXPAY_MBEDTLS_IMPLEMENTATION */
