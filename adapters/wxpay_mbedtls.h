/* wxpay_mbedtls.h v0.1.0 -- an mbedTLS transport, and the APIv3 RSA signer
   and verifier, for wxpay_close.h

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
   POSTs (or GETs: the APIv3 query, written by wxpay_http_exchange() without
   Content-Type or Content-Length), reads the answer, sends close_notify and
   closes.

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
   - A URL whose host is an IP address (https://10.0.0.5/..., https://[fd00::5]/)
     verifies only if the server's certificate lists that address as an
     iPAddress subjectAltName, byte for byte (RFC 6125 section 6.2.1, RFC
     5280 section 4.2.1.6): no wildcards, and a DNS name or the CN never
     matches an address. This adapter does that match itself, the same way
     with mbedTLS 2.28 (which matches DNS names only) and 3.x; no SNI is sent
     for an address (RFC 6066 section 3). An all-digits-and-dots host that is
     not four decimal numbers 0-255 without leading zeros ("127.1", "010.0.0.1",
     which a resolver may read otherwise) and an IPv6 literal with a zone
     ("%eth0") are refused.

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

APIv3 RSA: SIGNER AND VERIFIER

   APIv3 requests are signed with the merchant's private key, and WeChat Pay
   signs its answers with a platform key; both are SHA256withRSA (RSASSA
   PKCS#1 v1.5 with SHA-256). wxpay_close.h never does RSA itself: it calls a
   wxpay_v3_sign_fn and a wxpay_v3_verify_fn. wxpay_mbedtls_sign() and
   wxpay_mbedtls_verify() are those, over the keys in a wxpay_mbedtls_rsa
   (the same API as adapters/wxpay_openssl.h, prefix wxpay_mbedtls_):

   - one merchant private key (apiclient_key.pem): PKCS#8 ("BEGIN PRIVATE
     KEY") or PKCS#1 ("BEGIN RSA PRIVATE KEY"), unencrypted (an encrypted
     key is refused with WXPAY_RSA_ERR_ENCRYPTED);
   - up to WXPAY_MBEDTLS_MAX_PLATFORM_KEYS platform keys, each under its
     serial (the Wechatpay-Serial header of the answers it signs): a
     platform certificate, whose serial number in uppercase hex (two digits
     a byte, as `openssl x509 -serial -noout` prints it) names it; or a
     platform public key ("BEGIN PUBLIC KEY" or "BEGIN RSA PUBLIC KEY") with
     the id WeChat Pay gives it (e.g. "PUB_KEY_ID_0114232134912410000000000000";
     1 to 64 of [0-9A-Za-z_-]).
   PEM text is what the loaders are for (mbedTLS takes DER bytes as well).
   Every key must be RSA of 2048 to 4096 bits, else it is refused at load.

   wxpay_mbedtls_sign() signs the SHA-256 digest the library passes (msg is
   only hashed when digest is NULL) and writes the raw signature, as long as
   the key's modulus (256 bytes for RSA-2048); the same bytes as OpenSSL's
   (PKCS#1 v1.5 is deterministic). Blinding uses the struct's generator.
   wxpay_mbedtls_verify() finds the platform key by serial (case-insensitive;
   a certificate's serial also matches without leading zeros) and returns 1
   for a valid signature, 0 for an invalid one (also: a signature whose
   length is not the key's modulus size, NULL arguments), -1 when no key has
   that serial. Validity dates and issuer of a certificate are not checked:
   it is a key you pinned, not one taken from the network.

       wxpay_mbedtls_rsa rsa;
       wxpay_mbedtls_rsa_init(&rsa);
       if (wxpay_mbedtls_load_private_key_file(&rsa, "apiclient_key.pem") ||
           wxpay_mbedtls_add_platform_cert_file(&rsa, "wechatpay_cert.pem"))
         ...  // wxpay_mbedtls_rsa_strerror(code); rsa.last_error: mbedTLS's
       cli.mchid = "1900000109";
       cli.serial_no = "...";                // the merchant certificate's
       cli.v3_sign = wxpay_mbedtls_sign;     cli.v3_sign_user = &rsa;
       cli.v3_verify = wxpay_mbedtls_verify; cli.v3_verify_user = &rsa;
       ... wxpay_v3_close(&cli, &req, &resp, work, sizeof work);
       wxpay_mbedtls_rsa_free(&rsa);         // frees and wipes the keys

   Loaders return 0 (WXPAY_RSA_OK) or a negative WXPAY_RSA_ERR_* code (the
   list is below, shared with wxpay_openssl.h); a failed load changes
   nothing already loaded, and r->last_error keeps mbedTLS's error code (0
   when mbedTLS reported none). wxpay_mbedtls_sign() returns 0 or a
   WXPAY_RSA_ERR_* code.

   Options (fields of wxpay_mbedtls_rsa, set after wxpay_mbedtls_rsa_init()
   and before loading; they survive wxpay_mbedtls_rsa_free()):
   f_rng, p_rng  random generator for blinding (and, with mbedTLS 3.x, key
                 parsing); default: a CTR_DRBG seeded from mbedTLS's entropy
                 sources, kept in the struct, seeded by the first private
                 key load
   Compile-time: WXPAY_MBEDTLS_MAX_PLATFORM_KEYS (default 8);
   WXPAY_MBEDTLS_NO_TRANSPORT leaves the transport out (no wxpay_http.h, no
   sockets; link only -lmbedx509 -lmbedcrypto), e.g. beside wxpay_curl.h.
   The _file loaders need MBEDTLS_FS_IO (else they return WXPAY_RSA_ERR_FILE)
   and read with stdio buffering off into a buffer that is wiped when freed.

   Memory: mbedTLS zeroises key numbers when it frees them;
   wxpay_mbedtls_rsa_free() frees everything and zeroes the struct (all but
   f_rng and p_rng). With mbedTLS 3.x built with PSA crypto, the loaders
   call psa_crypto_init().
   Threads: loading and freeing must not overlap any other call on the same
   struct. Verify keeps a per-key cache and sign uses the generator: without
   MBEDTLS_THREADING_C, use one wxpay_mbedtls_rsa per thread (or a lock).

LICENSE: the same as wxpay_close.h (see the end of that file).
*/
#ifndef WXPAY_MBEDTLS_H
#define WXPAY_MBEDTLS_H

#ifndef WXPAY_MBEDTLS_NO_TRANSPORT
#include "wxpay_http.h"
#elif !defined(WXPAY_CLOSE_H)
#include "wxpay_close.h"
#endif

#include "mbedtls/version.h"
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
#include "mbedtls/build_info.h"
#elif !defined(MBEDTLS_CONFIG_FILE)
#include "mbedtls/config.h"
#else
#include MBEDTLS_CONFIG_FILE
#endif
#ifndef WXPAY_MBEDTLS_NO_TRANSPORT
#include "mbedtls/ssl.h"
#endif
#include "mbedtls/entropy.h"
#include "mbedtls/ctr_drbg.h"
#include "mbedtls/pk.h"
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

#ifndef WXPAY_MBEDTLS_MAX_PLATFORM_KEYS
#define WXPAY_MBEDTLS_MAX_PLATFORM_KEYS 8
#endif

/* Shared with adapters/wxpay_openssl.h (the same values in both). */
#ifndef WXPAY_RSA_ERR_ARG
#define WXPAY_RSA_SERIAL_MAX 64     /* characters in a serial */
#define WXPAY_RSA_FILE_MAX 65536    /* bytes in a key or certificate file */
#define WXPAY_RSA_MIN_BITS 2048
#define WXPAY_RSA_MAX_BITS 4096
#define WXPAY_RSA_OK 0
#define WXPAY_RSA_ERR_ARG (-1)       /* a required pointer is NULL */
#define WXPAY_RSA_ERR_FILE (-2)      /* the file cannot be read, or is over
                                        WXPAY_RSA_FILE_MAX bytes */
#define WXPAY_RSA_ERR_PARSE (-3)     /* not the PEM this loader takes */
#define WXPAY_RSA_ERR_ENCRYPTED (-4) /* a password-protected private key */
#define WXPAY_RSA_ERR_NOT_RSA (-5)   /* an EC, Ed25519, RSA-PSS, ... key */
#define WXPAY_RSA_ERR_KEY_SIZE (-6)  /* RSA under 2048 or over 4096 bits */
#define WXPAY_RSA_ERR_SERIAL (-7)    /* serial empty, over 64 characters, not
                                        [0-9A-Za-z_-]; a certificate serial
                                        zero, negative or over 32 bytes */
#define WXPAY_RSA_ERR_DUPLICATE (-8) /* a platform key has that serial already */
#define WXPAY_RSA_ERR_FULL (-9)      /* every platform key slot is taken */
#define WXPAY_RSA_ERR_NO_KEY (-10)   /* sign: no private key loaded */
#define WXPAY_RSA_ERR_BUFFER (-11)   /* sign: sig_cap under the modulus size */
#define WXPAY_RSA_ERR_CRYPTO (-12)   /* the crypto library failed (memory,
                                        random generator, ...): last_error */
#endif

#ifdef __cplusplus
extern "C" {
#endif

#ifndef WXPAY_MBEDTLS_NO_TRANSPORT
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
  unsigned char wxpay__ip[16]; /* the URL host as an address (see >>ip) */
  int wxpay__ip_len;           /* 4, 16; 0 a host name; -1 a malformed address */
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
#endif /* WXPAY_MBEDTLS_NO_TRANSPORT */

/* ---- APIv3 RSA (see "APIv3 RSA" above) ---- */

typedef struct wxpay_mbedtls_platform_key {
  char serial[WXPAY_RSA_SERIAL_MAX + 1]; /* NUL-terminated */
  int from_cert;    /* 1: the serial is a certificate's (hex, as a number) */
  mbedtls_pk_context pk;
} wxpay_mbedtls_platform_key;

typedef struct wxpay_mbedtls_rsa {
  /* options (see above) */
  int (*f_rng)(void *p_rng, unsigned char *out, size_t len);
  void *p_rng;
  /* after each load */
  int last_error;              /* mbedTLS error code of the last failure, 0 */
  /* the keys */
  int has_merchant;            /* 1: merchant holds the private key */
  mbedtls_pk_context merchant;
  wxpay_mbedtls_platform_key platform[WXPAY_MBEDTLS_MAX_PLATFORM_KEYS];
  size_t platform_count;       /* platform[0..platform_count) are loaded */
  /* private */
  int wxpay__rng_ready;
  mbedtls_entropy_context wxpay__entropy;
  mbedtls_ctr_drbg_context wxpay__drbg;
} wxpay_mbedtls_rsa;

/* Sets r up empty (a zeroed struct works as well). */
WXPAY_MBEDTLS_DEF void wxpay_mbedtls_rsa_init(wxpay_mbedtls_rsa *r);
/* Frees and wipes every key and the generator; f_rng and p_rng stay, r can
   be loaded again. NULL is fine. */
WXPAY_MBEDTLS_DEF void wxpay_mbedtls_rsa_free(wxpay_mbedtls_rsa *r);

/* The merchant private key, PEM text pem[0..pem_len) (pem_len 0: pem is
   NUL-terminated); replaces a key loaded before. 0 or WXPAY_RSA_ERR_*. */
WXPAY_MBEDTLS_DEF int wxpay_mbedtls_load_private_key(wxpay_mbedtls_rsa *r,
                                                     const char *pem,
                                                     size_t pem_len);
WXPAY_MBEDTLS_DEF int wxpay_mbedtls_load_private_key_file(wxpay_mbedtls_rsa *r,
                                                          const char *path);
/* A platform certificate (PEM); its serial names it. */
WXPAY_MBEDTLS_DEF int wxpay_mbedtls_add_platform_cert(wxpay_mbedtls_rsa *r,
                                                      const char *pem,
                                                      size_t pem_len);
WXPAY_MBEDTLS_DEF int wxpay_mbedtls_add_platform_cert_file(wxpay_mbedtls_rsa *r,
                                                           const char *path);
/* A platform public key (PEM "PUBLIC KEY" or "RSA PUBLIC KEY") under the id
   serial (1 to 64 of [0-9A-Za-z_-]). */
WXPAY_MBEDTLS_DEF int wxpay_mbedtls_add_platform_public_key(
    wxpay_mbedtls_rsa *r, const char *serial, const char *pem, size_t pem_len);
WXPAY_MBEDTLS_DEF int wxpay_mbedtls_add_platform_public_key_file(
    wxpay_mbedtls_rsa *r, const char *serial, const char *path);

/* A wxpay_v3_sign_fn: user is a wxpay_mbedtls_rsa * with a private key. */
WXPAY_MBEDTLS_DEF int wxpay_mbedtls_sign(void *user, const unsigned char *msg,
                                         size_t msg_len,
                                         const unsigned char digest[32],
                                         unsigned char *sig, size_t sig_cap,
                                         size_t *sig_len);
/* A wxpay_v3_verify_fn: user is a wxpay_mbedtls_rsa *. 1 valid, 0 invalid,
   -1 no platform key has that serial. */
WXPAY_MBEDTLS_DEF int wxpay_mbedtls_verify(void *user, const char *serial,
                                           const unsigned char digest[32],
                                           const unsigned char *sig,
                                           size_t sig_len);

/* The serial WeChat Pay should sign its answers with, for the client's
   wechatpay_serial (sent as the Wechatpay-Serial request header): the most
   recently added platform public key (PUB_KEY_ID_...) if one is loaded,
   else the most recently added platform certificate; NULL when none is.
   It points into r and lives as long as r's keys do. */
WXPAY_MBEDTLS_DEF const char *wxpay_mbedtls_preferred_serial(const wxpay_mbedtls_rsa *r);

/* A sentence for a WXPAY_RSA_* code. */
WXPAY_MBEDTLS_DEF const char *wxpay_mbedtls_rsa_strerror(int code);

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
#include <stdio.h>
#include <stdlib.h>
#include "mbedtls/md.h"
#include "mbedtls/rsa.h"
#include "mbedtls/platform_util.h"
#if MBEDTLS_VERSION_NUMBER >= 0x03000000 && defined(MBEDTLS_PSA_CRYPTO_C)
#include "psa/crypto.h"
#endif

#ifndef WXPAY_MBEDTLS_NO_TRANSPORT
#include "mbedtls/net_sockets.h" /* MBEDTLS_ERR_NET_* codes only */
#include "mbedtls/asn1.h"

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

/* >>ip: a URL host that is an IP address ----------------------------------
   mbedTLS 2.28 compares the host it is given with the certificate's DNS
   names and CN only; 3.x also knows iPAddress names. One rule for both: for
   an address, mbedTLS gets no host name (so no SNI, and no name check of
   its own) and the verify callback below requires the address among the
   leaf's iPAddress subjectAltNames, byte for byte. */

/* "a.b.c.d": four decimal numbers 0-255 without leading zeros (a resolver
   may read "010" as octal or "127.1" as 127.0.0.1: refused, not guessed).
   1 and out filled, else 0. */
static int wxpay__mbedtls_ipv4(const char *s, unsigned char out[4]) {
  int part;
  for (part = 0; part < 4; part++) {
    unsigned v = 0, digits = 0;
    if (part > 0 && *s++ != '.') return 0;
    while (*s >= '0' && *s <= '9') {
      if (digits == 1 && v == 0) return 0; /* a leading zero */
      v = v * 10 + (unsigned)(*s++ - '0');
      if (++digits > 3 || v > 255) return 0;
    }
    if (digits == 0) return 0;
    out[part] = (unsigned char)v;
  }
  return *s == '\0';
}

static int wxpay__mbedtls_hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* An IPv6 address as RFC 4291 section 2.2 writes it: eight groups of 1-4
   hex digits, one "::" for a run of zero groups, optionally a dotted IPv4
   tail in the last 32 bits. A zone ("fe80::1%eth0") is refused. 1 and out
   filled, else 0. */
static int wxpay__mbedtls_ipv6(const char *s, unsigned char out[16]) {
  unsigned char head[16];
  size_t n = 0, gap = 16; /* bytes written; where "::" was (16: none) */
  size_t i;
  if (s[0] == ':' && s[1] == ':') {
    gap = 0;
    s += 2;
  } else if (s[0] == ':') {
    return 0;
  }
  while (*s) {
    unsigned v = 0;
    int digits = 0, d;
    const char *start = s;
    while ((d = wxpay__mbedtls_hexval(*s)) >= 0) {
      if (++digits > 4) return 0;
      v = (v << 4) | (unsigned)d;
      s++;
    }
    if (*s == '.') { /* the IPv4 tail: the rest of the string */
      if (n > 12 || !wxpay__mbedtls_ipv4(start, head + n)) return 0;
      n += 4;
      break;
    }
    if (digits == 0 || n > 14) return 0;
    head[n++] = (unsigned char)(v >> 8);
    head[n++] = (unsigned char)(v & 0xFF);
    if (*s == '\0') break;
    if (*s++ != ':') return 0;   /* '%', ']' or other: refused */
    if (*s == ':') {
      if (gap != 16) return 0;   /* a second "::" */
      gap = n;
      s++;
      if (*s == '\0') break;
    } else if (*s == '\0') {
      return 0;                  /* a trailing single ':' */
    }
  }
  if (gap == 16) {
    if (n != 16) return 0;
    memcpy(out, head, 16);
    return 1;
  }
  if (n > 14) return 0;          /* "::" must stand for one group or more */
  memset(out, 0, 16);
  memcpy(out, head, gap);
  for (i = gap; i < n; i++) out[16 - (n - i)] = head[i];
  return 1;
}

/* What the URL host is: 0 a host name; 4 or 16 an address (into ip); -1
   an address in a form we refuse (see wxpay__mbedtls_ipv4/_ipv6). */
static int wxpay__mbedtls_host_ip(const wxpay_url *url, unsigned char ip[16]) {
  const char *c;
  if (url->ipv6) return wxpay__mbedtls_ipv6(url->host, ip) ? 16 : -1;
  for (c = url->host; *c; c++)
    if (!((*c >= '0' && *c <= '9') || *c == '.')) return 0;
  return wxpay__mbedtls_ipv4(url->host, ip) ? 4 : -1;
}

/* 1 when the certificate's subjectAltName extension lists ip[0..ip_len) as
   an iPAddress ([7] OCTET STRING, 4 or 16 bytes), else 0 (no extension, a
   malformed one). Read from the raw extensions: 2.28 keeps only DNS and
   otherName entries in crt->subject_alt_names. */
static int wxpay__mbedtls_san_has_ip(const mbedtls_x509_crt *crt,
                                     const unsigned char *ip, size_t ip_len) {
  static const unsigned char san_oid[3] = {0x55, 0x1D, 0x11}; /* 2.5.29.17 */
  const int seq = MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE;
  unsigned char *p = crt->v3_ext.p, *end, *ext_end, *names_end;
  size_t len;
  if (!p || crt->v3_ext.len == 0) return 0;
  end = p + crt->v3_ext.len;
  if (mbedtls_asn1_get_tag(&p, end, &len, seq) != 0) return 0;
  end = p + len; /* Extensions ::= SEQUENCE OF Extension */
  while (p < end) {
    if (mbedtls_asn1_get_tag(&p, end, &len, seq) != 0) return 0;
    ext_end = p + len;
    if (mbedtls_asn1_get_tag(&p, ext_end, &len, MBEDTLS_ASN1_OID) != 0) return 0;
    if (len != sizeof san_oid || memcmp(p, san_oid, sizeof san_oid) != 0) {
      p = ext_end;
      continue;
    }
    p += len;
    if (p < ext_end && *p == MBEDTLS_ASN1_BOOLEAN) { /* critical */
      if (mbedtls_asn1_get_tag(&p, ext_end, &len, MBEDTLS_ASN1_BOOLEAN) != 0) return 0;
      p += len;
    }
    if (mbedtls_asn1_get_tag(&p, ext_end, &len, MBEDTLS_ASN1_OCTET_STRING) != 0 ||
        mbedtls_asn1_get_tag(&p, ext_end, &len, seq) != 0)
      return 0;
    names_end = p + len; /* GeneralNames ::= SEQUENCE OF GeneralName */
    while (p < names_end) {
      int tag = *p++;
      if (mbedtls_asn1_get_len(&p, names_end, &len) != 0) return 0;
      if (tag == (MBEDTLS_ASN1_CONTEXT_SPECIFIC | 7) && len == ip_len &&
          memcmp(p, ip, ip_len) == 0)
        return 1;
      p += len;
    }
    return 0; /* RFC 5280 section 4.2: an extension appears at most once */
  }
  return 0;
}

/* mbedTLS's verify callback, for every certificate of the chain: for an
   address host, the leaf (depth 0) must name the address, else it fails as
   a wrong name would. */
static int wxpay__mbedtls_verify_ip(void *ctx, mbedtls_x509_crt *crt, int depth,
                                    uint32_t *flags) {
  wxpay_mbedtls *h = (wxpay_mbedtls *)ctx;
  if (depth != 0 || h->wxpay__ip_len == 0) return 0;
  if (h->wxpay__ip_len < 0 ||
      !wxpay__mbedtls_san_has_ip(crt, h->wxpay__ip, (size_t)h->wxpay__ip_len))
    *flags |= MBEDTLS_X509_BADCERT_CN_MISMATCH;
  return 0;
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
  mbedtls_ssl_conf_verify(&h->wxpay__conf, wxpay__mbedtls_verify_ip, h);
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

  /* an address: no host name for mbedTLS (see >>ip) */
  h->wxpay__ip_len = wxpay__mbedtls_host_ip(url, h->wxpay__ip);
  ret = mbedtls_ssl_session_reset(&h->wxpay__ssl);
  if (ret == 0)
    ret = mbedtls_ssl_set_hostname(&h->wxpay__ssl,
                                   h->wxpay__ip_len != 0 ? NULL : url->host);
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
#endif /* WXPAY_MBEDTLS_NO_TRANSPORT */

/* >>rsa: the APIv3 signer and verifier ------------------------------------ */

static char wxpay__mbrsa_upper(char c) {
  return (c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c;
}

static int wxpay__mbrsa_is_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F') ||
         (c >= 'a' && c <= 'f');
}

/* serial of an entry vs. a serial received: case-insensitive; a
   certificate's (hex number) also without leading zeros on either side */
static int wxpay__mbrsa_serial_eq(const wxpay_mbedtls_platform_key *k,
                                  const char *given) {
  const char *a = k->serial, *b = given;
  size_t i;
  if (k->from_cert) {
    for (i = 0; b[i]; i++)
      if (!wxpay__mbrsa_is_hex(b[i])) return 0;
    while (*a == '0') a++;
    while (*b == '0') b++;
  }
  for (; *a && *b; a++, b++)
    if (wxpay__mbrsa_upper(*a) != wxpay__mbrsa_upper(*b)) return 0;
  return *a == '\0' && *b == '\0';
}

static int wxpay__mbrsa_find(const wxpay_mbedtls_rsa *r, const char *serial) {
  size_t i, n = r->platform_count;
  if (n > WXPAY_MBEDTLS_MAX_PLATFORM_KEYS) n = WXPAY_MBEDTLS_MAX_PLATFORM_KEYS;
  for (i = 0; i < n; i++)
    if (wxpay__mbrsa_serial_eq(&r->platform[i], serial)) return (int)i;
  return -1;
}

/* an id given for public key mode: 1..64 of [0-9A-Za-z_-] */
static int wxpay__mbrsa_serial_ok(const char *s) {
  size_t n;
  for (n = 0; s[n]; n++) {
    char c = s[n];
    if (n >= WXPAY_RSA_SERIAL_MAX) return 0;
    if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
          (c >= 'a' && c <= 'z') || c == '_' || c == '-'))
      return 0;
  }
  return n > 0;
}

/* an mbedTLS error code as one of ours (parse failures) */
static int wxpay__mbrsa_map(int ret) {
  int high = ret < 0 ? -((-ret) & 0xFF80) : ret;
  if (high == MBEDTLS_ERR_PK_PASSWORD_REQUIRED ||
      high == MBEDTLS_ERR_PK_PASSWORD_MISMATCH)
    return WXPAY_RSA_ERR_ENCRYPTED;
  if (high == MBEDTLS_ERR_PK_UNKNOWN_PK_ALG ||
      high == MBEDTLS_ERR_PK_UNKNOWN_NAMED_CURVE)
    return WXPAY_RSA_ERR_NOT_RSA;
  if (high == MBEDTLS_ERR_PK_ALLOC_FAILED || high == MBEDTLS_ERR_X509_ALLOC_FAILED)
    return WXPAY_RSA_ERR_CRYPTO;
  return WXPAY_RSA_ERR_PARSE;
}

/* 0 for an RSA key of an accepted size (now set to PKCS#1 v1.5), else the
   error */
static int wxpay__mbrsa_check_key(mbedtls_pk_context *pk) {
  size_t bits;
  mbedtls_rsa_context *rsa;
  if (mbedtls_pk_get_type(pk) != MBEDTLS_PK_RSA) return WXPAY_RSA_ERR_NOT_RSA;
  bits = mbedtls_pk_get_bitlen(pk);
  if (bits < WXPAY_RSA_MIN_BITS || bits > WXPAY_RSA_MAX_BITS)
    return WXPAY_RSA_ERR_KEY_SIZE;
  rsa = mbedtls_pk_rsa(*pk);
  if (!rsa) return WXPAY_RSA_ERR_NOT_RSA;
  (void)mbedtls_rsa_set_padding(rsa, MBEDTLS_RSA_PKCS_V15, MBEDTLS_MD_NONE);
  return WXPAY_RSA_OK;
}

/* a NUL-terminated copy of pem[0..*len) (what mbedTLS's PEM reader wants);
   text given with its NUL counted in *len loses it (DER starts with 0x30) */
static unsigned char *wxpay__mbrsa_copy(const char *pem, size_t *plen) {
  unsigned char *buf;
  size_t len = *plen;
  if ((unsigned char)pem[0] != 0x30)
    while (len > 0 && pem[len - 1] == '\0') len--;
  *plen = len;
  if (len == 0 || len == (size_t)-1) return NULL;
  buf = (unsigned char *)malloc(len + 1);
  if (!buf) return NULL;
  memcpy(buf, pem, len);
  buf[len] = '\0';
  return buf;
}

static void wxpay__mbrsa_drop(void *buf, size_t len) {
  if (!buf) return;
  mbedtls_platform_zeroize(buf, len);
  free(buf);
}

/* Reads a whole file (at most WXPAY_RSA_FILE_MAX bytes) without stdio
   buffering, into a buffer whose old copies are wiped as it grows. */
static int wxpay__mbrsa_read_file(const char *path, char **out, size_t *len) {
#ifdef MBEDTLS_FS_IO
  FILE *f;
  char *buf = NULL;
  size_t cap = 0, n = 0;
  int ret = WXPAY_RSA_OK;
  *out = NULL;
  *len = 0;
  f = fopen(path, "rb");
  if (!f) return WXPAY_RSA_ERR_FILE;
  (void)setvbuf(f, NULL, _IONBF, 0);
  for (;;) {
    size_t got;
    if (n == cap) {
      size_t ncap = cap ? cap * 2 : 4096;
      char *nbuf;
      if (cap >= WXPAY_RSA_FILE_MAX + 1) { ret = WXPAY_RSA_ERR_FILE; break; }
      if (ncap > WXPAY_RSA_FILE_MAX + 1) ncap = WXPAY_RSA_FILE_MAX + 1;
      nbuf = (char *)malloc(ncap);
      if (!nbuf) { ret = WXPAY_RSA_ERR_CRYPTO; break; }
      if (buf) {
        memcpy(nbuf, buf, n);
        wxpay__mbrsa_drop(buf, cap);
      }
      buf = nbuf;
      cap = ncap;
    }
    got = fread(buf + n, 1, cap - n, f);
    n += got;
    if (got == 0) {
      if (ferror(f)) ret = WXPAY_RSA_ERR_FILE;
      break;
    }
  }
  fclose(f);
  if (ret == WXPAY_RSA_OK && n > WXPAY_RSA_FILE_MAX) ret = WXPAY_RSA_ERR_FILE;
  if (ret != WXPAY_RSA_OK) {
    wxpay__mbrsa_drop(buf, cap);
    return ret;
  }
  *out = buf;
  *len = n;
  return WXPAY_RSA_OK;
#else
  (void)path;
  *out = NULL;
  *len = 0;
  return WXPAY_RSA_ERR_FILE;
#endif
}

static int wxpay__mbrsa_psa(wxpay_mbedtls_rsa *r) {
#if MBEDTLS_VERSION_NUMBER >= 0x03000000 && defined(MBEDTLS_PSA_CRYPTO_C)
  psa_status_t st = psa_crypto_init();
  if (st != PSA_SUCCESS) {
    r->last_error = (int)st;
    return WXPAY_RSA_ERR_CRYPTO;
  }
#else
  (void)r;
#endif
  return WXPAY_RSA_OK;
}

/* the generator for blinding (and 3.x key parsing): the caller's, or ours,
   seeded once */
static int wxpay__mbrsa_rng(wxpay_mbedtls_rsa *r) {
  static const unsigned char pers[] = "wxpay_mbedtls_rsa";
  int ret;
  if (r->f_rng || r->wxpay__rng_ready) return WXPAY_RSA_OK;
  mbedtls_entropy_init(&r->wxpay__entropy);
  mbedtls_ctr_drbg_init(&r->wxpay__drbg);
  ret = mbedtls_ctr_drbg_seed(&r->wxpay__drbg, mbedtls_entropy_func,
                              &r->wxpay__entropy, pers, sizeof pers - 1);
  if (ret != 0) {
    mbedtls_ctr_drbg_free(&r->wxpay__drbg);
    mbedtls_entropy_free(&r->wxpay__entropy);
    r->last_error = ret;
    return WXPAY_RSA_ERR_CRYPTO;
  }
  r->wxpay__rng_ready = 1;
  return WXPAY_RSA_OK;
}

typedef int (*wxpay__mbrsa_rng_fn)(void *, unsigned char *, size_t);

static wxpay__mbrsa_rng_fn wxpay__mbrsa_rng_of(wxpay_mbedtls_rsa *r, void **p) {
  if (r->f_rng) {
    *p = r->p_rng;
    return r->f_rng;
  }
  if (r->wxpay__rng_ready) {
    *p = &r->wxpay__drbg;
    return mbedtls_ctr_drbg_random;
  }
  *p = NULL;
  return NULL;
}

/* >>rsa setup ------------------------------------------------------------ */

WXPAY_MBEDTLS_DEF void wxpay_mbedtls_rsa_init(wxpay_mbedtls_rsa *r) {
  size_t i;
  if (!r) return;
  memset(r, 0, sizeof *r);
  mbedtls_pk_init(&r->merchant);
  for (i = 0; i < WXPAY_MBEDTLS_MAX_PLATFORM_KEYS; i++)
    mbedtls_pk_init(&r->platform[i].pk);
}

WXPAY_MBEDTLS_DEF void wxpay_mbedtls_rsa_free(wxpay_mbedtls_rsa *r) {
  size_t i, n;
  wxpay__mbrsa_rng_fn f_rng;
  void *p_rng;
  if (!r) return;
  f_rng = r->f_rng;
  p_rng = r->p_rng;
  if (r->has_merchant) mbedtls_pk_free(&r->merchant);
  n = r->platform_count;
  if (n > WXPAY_MBEDTLS_MAX_PLATFORM_KEYS) n = WXPAY_MBEDTLS_MAX_PLATFORM_KEYS;
  for (i = 0; i < n; i++) mbedtls_pk_free(&r->platform[i].pk);
  if (r->wxpay__rng_ready) {
    mbedtls_ctr_drbg_free(&r->wxpay__drbg);
    mbedtls_entropy_free(&r->wxpay__entropy);
  }
  mbedtls_platform_zeroize(r, sizeof *r);
  wxpay_mbedtls_rsa_init(r);
  r->f_rng = f_rng;
  r->p_rng = p_rng;
}

WXPAY_MBEDTLS_DEF const char *wxpay_mbedtls_rsa_strerror(int code) {
  switch (code) {
  case WXPAY_RSA_OK: return "no error";
  case WXPAY_RSA_ERR_ARG: return "a required argument is missing";
  case WXPAY_RSA_ERR_FILE: return "the file cannot be read (or is over 64 KiB)";
  case WXPAY_RSA_ERR_PARSE: return "not a PEM key or certificate of the kind expected";
  case WXPAY_RSA_ERR_ENCRYPTED: return "the private key is encrypted: give it unencrypted (openssl pkey -in KEY -out PLAIN)";
  case WXPAY_RSA_ERR_NOT_RSA: return "not an RSA key (APIv3 signs with SHA256withRSA)";
  case WXPAY_RSA_ERR_KEY_SIZE: return "the RSA key must have 2048 to 4096 bits";
  case WXPAY_RSA_ERR_SERIAL: return "bad serial: 1 to 64 of [0-9A-Za-z_-] (a certificate's: 1 to 32 bytes, positive)";
  case WXPAY_RSA_ERR_DUPLICATE: return "a platform key with that serial is loaded already";
  case WXPAY_RSA_ERR_FULL: return "no room for another platform key";
  case WXPAY_RSA_ERR_NO_KEY: return "no merchant private key loaded";
  case WXPAY_RSA_ERR_BUFFER: return "the signature buffer is smaller than the key";
  case WXPAY_RSA_ERR_CRYPTO: return "the crypto library failed";
  default: return "unknown error";
  }
}

/* >>rsa load ------------------------------------------------------------- */

/* What every loader starts with: its arguments, the PEM's length (0: up to
   its NUL) and PSA where mbedTLS 3 needs it. */
static int wxpay__mbrsa_begin(wxpay_mbedtls_rsa *r, const char *pem, size_t *pem_len) {
  if (!r || !pem) return WXPAY_RSA_ERR_ARG;
  r->last_error = 0;
  if (*pem_len == 0) *pem_len = strlen(pem);
  if (*pem_len == 0) return WXPAY_RSA_ERR_PARSE;
  return wxpay__mbrsa_psa(r);
}

WXPAY_MBEDTLS_DEF int wxpay_mbedtls_load_private_key(wxpay_mbedtls_rsa *r,
                                                     const char *pem,
                                                     size_t pem_len) {
  mbedtls_pk_context pk;
  unsigned char *buf;
  int ret;
  if ((ret = wxpay__mbrsa_begin(r, pem, &pem_len)) != WXPAY_RSA_OK) return ret;
  if ((ret = wxpay__mbrsa_rng(r)) != WXPAY_RSA_OK) return ret;
  buf = wxpay__mbrsa_copy(pem, &pem_len);
  if (!buf) return pem_len ? WXPAY_RSA_ERR_CRYPTO : WXPAY_RSA_ERR_PARSE;
  mbedtls_pk_init(&pk);
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
  {
    void *p_rng;
    wxpay__mbrsa_rng_fn f_rng = wxpay__mbrsa_rng_of(r, &p_rng);
    ret = mbedtls_pk_parse_key(&pk, buf, pem_len + 1, NULL, 0, f_rng, p_rng);
  }
#else
  ret = mbedtls_pk_parse_key(&pk, buf, pem_len + 1, NULL, 0);
#endif
  wxpay__mbrsa_drop(buf, pem_len + 1);
  if (ret != 0) {
    r->last_error = ret;
    ret = wxpay__mbrsa_map(ret);
  } else {
    ret = wxpay__mbrsa_check_key(&pk);
  }
  if (ret != WXPAY_RSA_OK) {
    mbedtls_pk_free(&pk);
    return ret;
  }
  if (r->has_merchant) mbedtls_pk_free(&r->merchant);
  r->merchant = pk; /* the context moves: pk is not freed */
  r->has_merchant = 1;
  mbedtls_platform_zeroize(&pk, sizeof pk);
  return WXPAY_RSA_OK;
}

/* The _file loaders: the file read into a buffer that is wiped after, then
   handed to the loader kind picks (0 private key, 1 certificate, 2 public
   key under serial). */
static int wxpay__mbrsa_from_file(wxpay_mbedtls_rsa *r, const char *path,
                                  const char *serial, int kind) {
  char *buf;
  size_t len;
  int ret;
  if (!r || !path || (kind == 2 && !serial)) return WXPAY_RSA_ERR_ARG;
  r->last_error = 0;
  ret = wxpay__mbrsa_read_file(path, &buf, &len);
  if (ret != WXPAY_RSA_OK) return ret;
  ret = !len ? WXPAY_RSA_ERR_PARSE
        : kind == 0 ? wxpay_mbedtls_load_private_key(r, buf, len)
        : kind == 1 ? wxpay_mbedtls_add_platform_cert(r, buf, len)
                    : wxpay_mbedtls_add_platform_public_key(r, serial, buf, len);
  wxpay__mbrsa_drop(buf, len);
  return ret;
}

WXPAY_MBEDTLS_DEF int wxpay_mbedtls_load_private_key_file(wxpay_mbedtls_rsa *r,
                                                          const char *path) {
  return wxpay__mbrsa_from_file(r, path, NULL, 0);
}

/* takes pk (freed on failure, moved on success) */
static int wxpay__mbrsa_add(wxpay_mbedtls_rsa *r, const char *serial,
                            int from_cert, mbedtls_pk_context *pk) {
  wxpay_mbedtls_platform_key *e;
  int ret = wxpay__mbrsa_check_key(pk);
  if (ret == WXPAY_RSA_OK && wxpay__mbrsa_find(r, serial) >= 0)
    ret = WXPAY_RSA_ERR_DUPLICATE;
  if (ret == WXPAY_RSA_OK && r->platform_count >= WXPAY_MBEDTLS_MAX_PLATFORM_KEYS)
    ret = WXPAY_RSA_ERR_FULL;
  if (ret != WXPAY_RSA_OK) {
    mbedtls_pk_free(pk);
    return ret;
  }
  e = &r->platform[r->platform_count++];
  memcpy(e->serial, serial, strlen(serial) + 1);
  e->from_cert = from_cert;
  e->pk = *pk;
  mbedtls_pk_init(pk);
  return WXPAY_RSA_OK;
}

/* the serial of crt as uppercase hex of its magnitude, two digits a byte */
static int wxpay__mbrsa_cert_serial(const mbedtls_x509_crt *crt,
                                    char out[WXPAY_RSA_SERIAL_MAX + 1]) {
  static const char hex[] = "0123456789ABCDEF";
  const unsigned char *p = crt->serial.p;
  size_t n = crt->serial.len, i, o = 0;
  if (!p || n == 0 || (p[0] & 0x80)) return WXPAY_RSA_ERR_SERIAL; /* negative */
  while (n > 0 && *p == 0) { p++; n--; }
  if (n == 0 || n > WXPAY_RSA_SERIAL_MAX / 2) return WXPAY_RSA_ERR_SERIAL;
  for (i = 0; i < n; i++) {
    out[o++] = hex[p[i] >> 4];
    out[o++] = hex[p[i] & 15];
  }
  out[o] = '\0';
  return WXPAY_RSA_OK;
}

WXPAY_MBEDTLS_DEF int wxpay_mbedtls_add_platform_cert(wxpay_mbedtls_rsa *r,
                                                      const char *pem,
                                                      size_t pem_len) {
  char serial[WXPAY_RSA_SERIAL_MAX + 1];
  mbedtls_x509_crt crt;
  mbedtls_pk_context pk;
  unsigned char *buf;
  int ret;
  if ((ret = wxpay__mbrsa_begin(r, pem, &pem_len)) != WXPAY_RSA_OK) return ret;
  buf = wxpay__mbrsa_copy(pem, &pem_len);
  if (!buf) return pem_len ? WXPAY_RSA_ERR_CRYPTO : WXPAY_RSA_ERR_PARSE;
  mbedtls_x509_crt_init(&crt);
  mbedtls_pk_init(&pk);
  /* > 0: some certificates of several did not parse; the first one did */
  ret = mbedtls_x509_crt_parse(&crt, buf, pem_len + 1);
  wxpay__mbrsa_drop(buf, pem_len + 1);
  if (ret < 0 || crt.raw.len == 0 || !crt.pk_raw.p) {
    r->last_error = ret < 0 ? ret : 0;
    ret = ret < 0 ? wxpay__mbrsa_map(ret) : WXPAY_RSA_ERR_PARSE;
  } else if ((ret = wxpay__mbrsa_cert_serial(&crt, serial)) == WXPAY_RSA_OK) {
    /* a copy of the certificate's key: the certificate is not kept */
    ret = mbedtls_pk_parse_public_key(&pk, crt.pk_raw.p, crt.pk_raw.len);
    if (ret != 0) {
      r->last_error = ret;
      ret = wxpay__mbrsa_map(ret);
      mbedtls_pk_free(&pk);
    } else {
      ret = wxpay__mbrsa_add(r, serial, 1, &pk);
    }
  }
  mbedtls_x509_crt_free(&crt);
  return ret;
}

WXPAY_MBEDTLS_DEF int wxpay_mbedtls_add_platform_cert_file(wxpay_mbedtls_rsa *r,
                                                           const char *path) {
  return wxpay__mbrsa_from_file(r, path, NULL, 1);
}

WXPAY_MBEDTLS_DEF int wxpay_mbedtls_add_platform_public_key(
    wxpay_mbedtls_rsa *r, const char *serial, const char *pem, size_t pem_len) {
  mbedtls_pk_context pk;
  unsigned char *buf;
  int ret;
  if (!r || !serial || !pem) return WXPAY_RSA_ERR_ARG;
  r->last_error = 0;
  if (!wxpay__mbrsa_serial_ok(serial)) return WXPAY_RSA_ERR_SERIAL;
  if ((ret = wxpay__mbrsa_begin(r, pem, &pem_len)) != WXPAY_RSA_OK) return ret;
  buf = wxpay__mbrsa_copy(pem, &pem_len);
  if (!buf) return pem_len ? WXPAY_RSA_ERR_CRYPTO : WXPAY_RSA_ERR_PARSE;
  mbedtls_pk_init(&pk);
  ret = mbedtls_pk_parse_public_key(&pk, buf, pem_len + 1);
  wxpay__mbrsa_drop(buf, pem_len + 1);
  if (ret != 0) {
    r->last_error = ret;
    mbedtls_pk_free(&pk);
    return wxpay__mbrsa_map(ret);
  }
  return wxpay__mbrsa_add(r, serial, 0, &pk);
}

WXPAY_MBEDTLS_DEF int wxpay_mbedtls_add_platform_public_key_file(
    wxpay_mbedtls_rsa *r, const char *serial, const char *path) {
  return wxpay__mbrsa_from_file(r, path, serial, 2);
}

/* >>rsa sign, verify ----------------------------------------------------- */

WXPAY_MBEDTLS_DEF int wxpay_mbedtls_sign(void *user, const unsigned char *msg,
                                         size_t msg_len,
                                         const unsigned char digest[32],
                                         unsigned char *sig, size_t sig_cap,
                                         size_t *sig_len) {
  wxpay_mbedtls_rsa *r = (wxpay_mbedtls_rsa *)user;
  unsigned char md[32];
  wxpay__mbrsa_rng_fn f_rng;
  void *p_rng;
  size_t need, len = 0;
  int ret;
  if (sig_len) *sig_len = 0;
  if (!r || !sig || !sig_len || (!digest && !msg && msg_len)) return WXPAY_RSA_ERR_ARG;
  if (!r->has_merchant) return WXPAY_RSA_ERR_NO_KEY;
  need = mbedtls_pk_get_len(&r->merchant);
  if (need == 0 || sig_cap < need) return WXPAY_RSA_ERR_BUFFER;
  f_rng = wxpay__mbrsa_rng_of(r, &p_rng);
  if (!f_rng) return WXPAY_RSA_ERR_CRYPTO;
  if (!digest) {
    const mbedtls_md_info_t *info = mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);
    static const unsigned char empty[1] = {0};
    if (!info || mbedtls_md(info, msg ? msg : empty, msg_len, md) != 0)
      return WXPAY_RSA_ERR_CRYPTO;
    digest = md;
  }
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
  ret = mbedtls_pk_sign(&r->merchant, MBEDTLS_MD_SHA256, digest, 32, sig,
                        sig_cap, &len, f_rng, p_rng);
#else
  ret = mbedtls_pk_sign(&r->merchant, MBEDTLS_MD_SHA256, digest, 32, sig, &len,
                        f_rng, p_rng);
#endif
  mbedtls_platform_zeroize(md, sizeof md);
  if (ret != 0 || len != need) return WXPAY_RSA_ERR_CRYPTO;
  *sig_len = len;
  return WXPAY_RSA_OK;
}

WXPAY_MBEDTLS_DEF int wxpay_mbedtls_verify(void *user, const char *serial,
                                           const unsigned char digest[32],
                                           const unsigned char *sig,
                                           size_t sig_len) {
  wxpay_mbedtls_rsa *r = (wxpay_mbedtls_rsa *)user;
  mbedtls_pk_context *pk;
  int i;
  if (!r || !serial) return -1;
  i = wxpay__mbrsa_find(r, serial);
  if (i < 0) return -1;
  pk = &r->platform[i].pk;
  if (!digest || !sig || sig_len != mbedtls_pk_get_len(pk)) return 0;
  return mbedtls_pk_verify(pk, MBEDTLS_MD_SHA256, digest, 32, sig, sig_len) == 0;
}

WXPAY_MBEDTLS_DEF const char *wxpay_mbedtls_preferred_serial(const wxpay_mbedtls_rsa *r) {
  size_t i;
  if (!r || !r->platform_count) return NULL;
  /* a public key wins: the merchant has moved to it, or is moving */
  for (i = r->platform_count; i-- > 0;)
    if (!r->platform[i].from_cert) return r->platform[i].serial;
  return r->platform[r->platform_count - 1].serial;
}

#endif /* WXPAY_MBEDTLS_IMPLEMENTED */
#endif /* WXPAY_MBEDTLS_IMPLEMENTATION */
