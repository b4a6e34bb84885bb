/* wxpay_openssl.h v0.1.0 -- APIv3 RSA signer and verifier (OpenSSL libcrypto)
   for wxpay_close.h

   Part of wxpay_close.h (adapters/). Needs wxpay_close.h on the include path
   and OpenSSL's libcrypto, 3.x or 1.1.1 (Debian: libssl-dev; link with
   -lcrypto). C99, and includable from C++.

   Do this:
       #define WXPAY_OPENSSL_IMPLEMENTATION
       #include "adapters/wxpay_openssl.h"
   in *one* C file; other files include it without the define.

WHAT IT DOES

   APIv3 requests are signed with the merchant's private key, and WeChat Pay
   signs its answers with a platform key; both are SHA256withRSA (RSASSA
   PKCS#1 v1.5 with SHA-256). wxpay_close.h never does RSA itself: it calls a
   wxpay_v3_sign_fn and a wxpay_v3_verify_fn. This header provides both over
   libcrypto, for the keys you load into a wxpay_openssl_rsa:

   - one merchant private key (apiclient_key.pem): PEM, PKCS#8 ("BEGIN
     PRIVATE KEY") or PKCS#1 ("BEGIN RSA PRIVATE KEY"); unencrypted (an
     encrypted key is refused with WXPAY_RSA_ERR_ENCRYPTED, never prompted
     for on the terminal);
   - up to WXPAY_OPENSSL_MAX_PLATFORM_KEYS platform keys, each under its
     serial (the Wechatpay-Serial header of the answers it signs):
       * platform certificate mode: a PEM certificate ("BEGIN CERTIFICATE");
         the serial is the certificate's serial number in uppercase hex,
         two digits a byte, as `openssl x509 -serial -noout` prints it;
       * platform public key mode: a PEM public key ("BEGIN PUBLIC KEY", or
         PKCS#1 "BEGIN RSA PUBLIC KEY") and the id WeChat Pay gives it
         (e.g. "PUB_KEY_ID_0114232134912410000000000000"): 1 to 64 of
         [0-9A-Za-z_-].

   Every key must be RSA of 2048 to 4096 bits (WXPAY_RSA_MIN_BITS ..
   WXPAY_RSA_MAX_BITS); anything else is refused when it is loaded.

   wxpay_openssl_sign() signs the SHA-256 digest the library passes (msg is
   only hashed when digest is NULL) and writes the raw signature, as long as
   the key's modulus (256 bytes for RSA-2048). PKCS#1 v1.5 is deterministic:
   the same key and message give the same bytes, whichever library signs.

   wxpay_openssl_verify() finds the platform key by serial (case-insensitive;
   a serial taken from a certificate also matches without leading zeros) and
   returns 1 for a valid signature, 0 for an invalid one (also: a signature
   whose length is not the key's modulus size, NULL arguments), -1 when no
   key has that serial.

   The certificate's validity dates and issuer are not checked: the platform
   certificate or public key is a key you pinned (downloaded from the
   merchant platform), not one taken from the network.

EXAMPLE

       wxpay_openssl_rsa rsa;
       wxpay_openssl_rsa_init(&rsa);
       if (wxpay_openssl_load_private_key_file(&rsa, "apiclient_key.pem") ||
           wxpay_openssl_add_platform_public_key_file(&rsa,
               "PUB_KEY_ID_0114232134912410000000000000", "pub_key.pem"))
         ...  // wxpay_openssl_rsa_strerror(code) says why
       wxpay_client cli = {0};
       cli.mchid          = "1900000109";
       cli.serial_no      = "...";      // the merchant API certificate's serial
       cli.v3_sign        = wxpay_openssl_sign;
       cli.v3_sign_user   = &rsa;
       cli.v3_verify      = wxpay_openssl_verify;
       cli.v3_verify_user = &rsa;
       cli.wechatpay_serial = wxpay_openssl_preferred_serial(&rsa);
       cli.transport      = ...;        // e.g. wxpay_curl_transport
       ... wxpay_v3_close(&cli, &req, &resp, work, sizeof work);
       wxpay_openssl_rsa_free(&rsa);     // frees and wipes the keys

RETURN VALUES

   The loaders return 0 (WXPAY_RSA_OK) or one of the negative WXPAY_RSA_ERR_*
   codes below; wxpay_openssl_rsa_strerror() gives a sentence. A failed load
   changes nothing already loaded; r->last_error keeps OpenSSL's error code
   (ERR_peek_last_error()) of the last failure, 0 if OpenSSL reported none.
   wxpay_openssl_sign() returns 0 or a WXPAY_RSA_ERR_* code.

OPTIONS (compile-time; define before including)

   WXPAY_OPENSSL_STATIC            every function is `static`
   WXPAY_OPENSSL_MAX_PLATFORM_KEYS platform keys one wxpay_openssl_rsa holds,
                                   default 8

MEMORY: the keys live in OpenSSL (EVP_PKEY), which frees private key numbers
with BN_clear_free. A file's text is read with stdio buffering off into a
buffer of ours that is wiped before it is freed. wxpay_openssl_rsa_free()
frees everything and zeroes the struct, which can then be loaded again.

THREADS: no global state of ours. Once loaded, a wxpay_openssl_rsa is only
read: sign and verify may run on several threads at once. Loading and
freeing must not overlap with any other call on the same struct. OpenSSL's
error queue is left as it was found (ERR_set_mark / ERR_pop_to_mark).

LICENSE: the same as wxpay_close.h (see the end of that file).
*/
#ifndef WXPAY_OPENSSL_H
#define WXPAY_OPENSSL_H

#ifndef WXPAY_CLOSE_H
#include "wxpay_close.h"
#endif
#include <stddef.h>
#include <openssl/evp.h>

#ifndef WXPAY_OPENSSL_DEF
#ifdef WXPAY_OPENSSL_STATIC
#if defined(__GNUC__) || defined(__clang__)
#define WXPAY_OPENSSL_DEF static __attribute__((unused))
#else
#define WXPAY_OPENSSL_DEF static
#endif
#else
#define WXPAY_OPENSSL_DEF extern
#endif
#endif

#ifndef WXPAY_OPENSSL_MAX_PLATFORM_KEYS
#define WXPAY_OPENSSL_MAX_PLATFORM_KEYS 8
#endif

/* Shared with adapters/wxpay_mbedtls.h (the same values in both). */
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

typedef struct wxpay_openssl_platform_key {
  char serial[WXPAY_RSA_SERIAL_MAX + 1]; /* NUL-terminated */
  int from_cert;    /* 1: the serial is a certificate's (hex, as a number) */
  EVP_PKEY *key;
} wxpay_openssl_platform_key;

typedef struct wxpay_openssl_rsa {
  EVP_PKEY *merchant;             /* NULL until a private key is loaded */
  wxpay_openssl_platform_key platform[WXPAY_OPENSSL_MAX_PLATFORM_KEYS];
  size_t platform_count;          /* platform[0..platform_count) are loaded */
  unsigned long last_error;       /* OpenSSL's code of the last failed load */
} wxpay_openssl_rsa;

/* Zeroes r (a zeroed struct is an initialised one). */
WXPAY_OPENSSL_DEF void wxpay_openssl_rsa_init(wxpay_openssl_rsa *r);
/* Frees every key and zeroes r; r can be loaded again. NULL is fine. */
WXPAY_OPENSSL_DEF void wxpay_openssl_rsa_free(wxpay_openssl_rsa *r);

/* The merchant private key, PEM text pem[0..pem_len) (pem_len 0: pem is
   NUL-terminated); replaces a key loaded before. 0 or WXPAY_RSA_ERR_*. */
WXPAY_OPENSSL_DEF int wxpay_openssl_load_private_key(wxpay_openssl_rsa *r,
                                                     const char *pem,
                                                     size_t pem_len);
WXPAY_OPENSSL_DEF int wxpay_openssl_load_private_key_file(wxpay_openssl_rsa *r,
                                                          const char *path);
/* A platform certificate (PEM); its serial names it. */
WXPAY_OPENSSL_DEF int wxpay_openssl_add_platform_cert(wxpay_openssl_rsa *r,
                                                      const char *pem,
                                                      size_t pem_len);
WXPAY_OPENSSL_DEF int wxpay_openssl_add_platform_cert_file(wxpay_openssl_rsa *r,
                                                           const char *path);
/* A platform public key (PEM "PUBLIC KEY" or "RSA PUBLIC KEY") under the id
   serial (1 to 64 of [0-9A-Za-z_-]). */
WXPAY_OPENSSL_DEF int wxpay_openssl_add_platform_public_key(
    wxpay_openssl_rsa *r, const char *serial, const char *pem, size_t pem_len);
WXPAY_OPENSSL_DEF int wxpay_openssl_add_platform_public_key_file(
    wxpay_openssl_rsa *r, const char *serial, const char *path);

/* A wxpay_v3_sign_fn: user is a wxpay_openssl_rsa * with a private key. */
WXPAY_OPENSSL_DEF int wxpay_openssl_sign(void *user, const unsigned char *msg,
                                         size_t msg_len,
                                         const unsigned char digest[32],
                                         unsigned char *sig, size_t sig_cap,
                                         size_t *sig_len);
/* A wxpay_v3_verify_fn: user is a wxpay_openssl_rsa *. 1 valid, 0 invalid,
   -1 no platform key has that serial. */
WXPAY_OPENSSL_DEF int wxpay_openssl_verify(void *user, const char *serial,
                                           const unsigned char digest[32],
                                           const unsigned char *sig,
                                           size_t sig_len);

/* The serial WeChat Pay should sign its answers with, for the client's
   wechatpay_serial (sent as the Wechatpay-Serial request header): the most
   recently added platform public key (PUB_KEY_ID_...) if one is loaded,
   else the most recently added platform certificate; NULL when none is.
   It points into r and lives as long as r's keys do. */
WXPAY_OPENSSL_DEF const char *wxpay_openssl_preferred_serial(const wxpay_openssl_rsa *r);

/* A sentence for a WXPAY_RSA_* code. */
WXPAY_OPENSSL_DEF const char *wxpay_openssl_rsa_strerror(int code);

#ifdef __cplusplus
}
#endif
#endif /* WXPAY_OPENSSL_H */

/* ======================================================================== */
#ifdef WXPAY_OPENSSL_IMPLEMENTATION
#ifndef WXPAY_OPENSSL_IMPLEMENTED
#define WXPAY_OPENSSL_IMPLEMENTED

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

/* >>util ----------------------------------------------------------------- */

static char wxpay__ossl_upper(char c) {
  return (c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c;
}

static int wxpay__ossl_is_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F') ||
         (c >= 'a' && c <= 'f');
}

/* serial of an entry vs. a serial received: case-insensitive; a
   certificate's (hex number) also without leading zeros on either side */
static int wxpay__ossl_serial_eq(const wxpay_openssl_platform_key *k,
                                 const char *given) {
  const char *a = k->serial, *b = given;
  size_t i;
  if (k->from_cert) {
    for (i = 0; b[i]; i++)
      if (!wxpay__ossl_is_hex(b[i])) return 0;
    while (*a == '0') a++;
    while (*b == '0') b++;
  }
  for (; *a && *b; a++, b++)
    if (wxpay__ossl_upper(*a) != wxpay__ossl_upper(*b)) return 0;
  return *a == '\0' && *b == '\0';
}

static int wxpay__ossl_find(const wxpay_openssl_rsa *r, const char *serial) {
  size_t i, n = r->platform_count;
  if (n > WXPAY_OPENSSL_MAX_PLATFORM_KEYS) n = WXPAY_OPENSSL_MAX_PLATFORM_KEYS;
  for (i = 0; i < n; i++)
    if (r->platform[i].key && wxpay__ossl_serial_eq(&r->platform[i], serial))
      return (int)i;
  return -1;
}

/* an id given for public key mode: 1..64 of [0-9A-Za-z_-] */
static int wxpay__ossl_serial_ok(const char *s) {
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

/* Reads a whole file (at most WXPAY_RSA_FILE_MAX bytes) without stdio
   buffering, into a buffer whose old copies are wiped as it grows. */
static int wxpay__ossl_read_file(const char *path, char **out, size_t *len) {
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
        OPENSSL_cleanse(buf, cap);
        free(buf);
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
    if (buf) {
      OPENSSL_cleanse(buf, cap);
      free(buf);
    }
    return ret;
  }
  *out = buf;
  *len = n;
  return WXPAY_RSA_OK;
}

static void wxpay__ossl_drop(char *buf, size_t len) {
  if (!buf) return;
  OPENSSL_cleanse(buf, len);
  free(buf);
}

/* a password callback that refuses, and notes that it was asked */
static int wxpay__ossl_no_password(char *buf, int size, int rwflag, void *u) {
  (void)buf;
  (void)size;
  (void)rwflag;
  if (u) *(int *)u = 1;
  return -1;
}

static BIO *wxpay__ossl_bio(const char *pem, size_t pem_len) {
  if (pem_len == 0) pem_len = strlen(pem);
  while (pem_len > 0 && pem[pem_len - 1] == '\0') pem_len--; /* its NUL counted */
  if (pem_len == 0 || pem_len > (size_t)INT_MAX) return NULL;
  return BIO_new_mem_buf(pem, (int)pem_len);
}

/* 0 for an RSA key of an accepted size, else the error */
static int wxpay__ossl_check_key(EVP_PKEY *k) {
  int bits;
  if (EVP_PKEY_base_id(k) != EVP_PKEY_RSA) return WXPAY_RSA_ERR_NOT_RSA;
  bits = EVP_PKEY_bits(k);
  if (bits < WXPAY_RSA_MIN_BITS || bits > WXPAY_RSA_MAX_BITS)
    return WXPAY_RSA_ERR_KEY_SIZE;
  return WXPAY_RSA_OK;
}

/* records OpenSSL's last error and restores the queue to the mark */
static void wxpay__ossl_done(wxpay_openssl_rsa *r, int ret) {
  r->last_error = ret == WXPAY_RSA_OK ? 0ul : ERR_peek_last_error();
  (void)ERR_pop_to_mark();
}

/* >>setup ---------------------------------------------------------------- */

WXPAY_OPENSSL_DEF void wxpay_openssl_rsa_init(wxpay_openssl_rsa *r) {
  if (r) memset(r, 0, sizeof *r);
}

WXPAY_OPENSSL_DEF void wxpay_openssl_rsa_free(wxpay_openssl_rsa *r) {
  size_t i;
  if (!r) return;
  EVP_PKEY_free(r->merchant);
  for (i = 0; i < WXPAY_OPENSSL_MAX_PLATFORM_KEYS; i++)
    EVP_PKEY_free(r->platform[i].key);
  OPENSSL_cleanse(r, sizeof *r);
}

WXPAY_OPENSSL_DEF const char *wxpay_openssl_rsa_strerror(int code) {
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

/* >>load ----------------------------------------------------------------- */

WXPAY_OPENSSL_DEF int wxpay_openssl_load_private_key(wxpay_openssl_rsa *r,
                                                     const char *pem,
                                                     size_t pem_len) {
  BIO *bio;
  EVP_PKEY *k;
  int asked = 0, ret;
  if (!r || !pem) return WXPAY_RSA_ERR_ARG;
  (void)ERR_set_mark();
  bio = wxpay__ossl_bio(pem, pem_len);
  if (!bio) {
    ret = pem_len > (size_t)INT_MAX ? WXPAY_RSA_ERR_CRYPTO : WXPAY_RSA_ERR_PARSE;
    wxpay__ossl_done(r, ret);
    return ret;
  }
  k = PEM_read_bio_PrivateKey(bio, NULL, wxpay__ossl_no_password, &asked);
  BIO_free(bio);
  if (!k) {
    ret = asked ? WXPAY_RSA_ERR_ENCRYPTED : WXPAY_RSA_ERR_PARSE;
  } else if ((ret = wxpay__ossl_check_key(k)) != WXPAY_RSA_OK) {
    EVP_PKEY_free(k);
  } else {
    EVP_PKEY_free(r->merchant);
    r->merchant = k;
  }
  wxpay__ossl_done(r, ret);
  return ret;
}

/* The _file loaders: the file read into a buffer that is wiped after, then
   handed to the loader kind picks (0 private key, 1 certificate, 2 public
   key under serial). */
static int wxpay__ossl_from_file(wxpay_openssl_rsa *r, const char *path,
                                 const char *serial, int kind) {
  char *buf;
  size_t len;
  int ret;
  if (!r || !path || (kind == 2 && !serial)) return WXPAY_RSA_ERR_ARG;
  r->last_error = 0;
  ret = wxpay__ossl_read_file(path, &buf, &len);
  if (ret != WXPAY_RSA_OK) return ret;
  ret = !len ? WXPAY_RSA_ERR_PARSE
        : kind == 0 ? wxpay_openssl_load_private_key(r, buf, len)
        : kind == 1 ? wxpay_openssl_add_platform_cert(r, buf, len)
                    : wxpay_openssl_add_platform_public_key(r, serial, buf, len);
  wxpay__ossl_drop(buf, len);
  return ret;
}

WXPAY_OPENSSL_DEF int wxpay_openssl_load_private_key_file(wxpay_openssl_rsa *r,
                                                          const char *path) {
  return wxpay__ossl_from_file(r, path, NULL, 0);
}

/* takes k (freed on failure) */
static int wxpay__ossl_add(wxpay_openssl_rsa *r, const char *serial,
                           int from_cert, EVP_PKEY *k) {
  wxpay_openssl_platform_key *e;
  int ret = wxpay__ossl_check_key(k);
  if (ret == WXPAY_RSA_OK && wxpay__ossl_find(r, serial) >= 0)
    ret = WXPAY_RSA_ERR_DUPLICATE;
  if (ret == WXPAY_RSA_OK && r->platform_count >= WXPAY_OPENSSL_MAX_PLATFORM_KEYS)
    ret = WXPAY_RSA_ERR_FULL;
  if (ret != WXPAY_RSA_OK) {
    EVP_PKEY_free(k);
    return ret;
  }
  e = &r->platform[r->platform_count++];
  memset(e, 0, sizeof *e);
  memcpy(e->serial, serial, strlen(serial) + 1);
  e->from_cert = from_cert;
  e->key = k;
  return WXPAY_RSA_OK;
}

/* the serial of x as uppercase hex of its magnitude, two digits a byte */
static int wxpay__ossl_cert_serial(X509 *x, char out[WXPAY_RSA_SERIAL_MAX + 1]) {
  static const char hex[] = "0123456789ABCDEF";
  const ASN1_INTEGER *sn = X509_get_serialNumber(x);
  const unsigned char *p;
  int n, i;
  size_t o = 0;
  if (!sn || ASN1_STRING_type(sn) != V_ASN1_INTEGER) return WXPAY_RSA_ERR_SERIAL;
  p = ASN1_STRING_get0_data(sn);
  n = ASN1_STRING_length(sn);
  while (n > 0 && *p == 0) { p++; n--; }
  if (n <= 0 || n > WXPAY_RSA_SERIAL_MAX / 2) return WXPAY_RSA_ERR_SERIAL;
  for (i = 0; i < n; i++) {
    out[o++] = hex[p[i] >> 4];
    out[o++] = hex[p[i] & 15];
  }
  out[o] = '\0';
  return WXPAY_RSA_OK;
}

WXPAY_OPENSSL_DEF int wxpay_openssl_add_platform_cert(wxpay_openssl_rsa *r,
                                                      const char *pem,
                                                      size_t pem_len) {
  char serial[WXPAY_RSA_SERIAL_MAX + 1];
  BIO *bio;
  X509 *x;
  EVP_PKEY *k = NULL;
  int ret;
  if (!r || !pem) return WXPAY_RSA_ERR_ARG;
  (void)ERR_set_mark();
  bio = wxpay__ossl_bio(pem, pem_len);
  x = bio ? PEM_read_bio_X509(bio, NULL, wxpay__ossl_no_password, NULL) : NULL;
  BIO_free(bio);
  if (!x) {
    ret = WXPAY_RSA_ERR_PARSE;
  } else if ((ret = wxpay__ossl_cert_serial(x, serial)) == WXPAY_RSA_OK) {
    k = X509_get_pubkey(x);
    ret = k ? wxpay__ossl_add(r, serial, 1, k) : WXPAY_RSA_ERR_PARSE;
  }
  X509_free(x);
  wxpay__ossl_done(r, ret);
  return ret;
}

WXPAY_OPENSSL_DEF int wxpay_openssl_add_platform_cert_file(wxpay_openssl_rsa *r,
                                                           const char *path) {
  return wxpay__ossl_from_file(r, path, NULL, 1);
}

/* the first PEM block: "PUBLIC KEY" (SubjectPublicKeyInfo) or "RSA PUBLIC
   KEY" (PKCS#1), as mbedTLS takes them too */
static EVP_PKEY *wxpay__ossl_read_pubkey(BIO *bio) {
  char *name = NULL, *header = NULL;
  unsigned char *der = NULL;
  const unsigned char *p;
  long len = 0;
  EVP_PKEY *k = NULL;
  if (PEM_read_bio(bio, &name, &header, &der, &len) != 1) return NULL;
  p = der;
  if (strcmp(name, "PUBLIC KEY") == 0)
    k = d2i_PUBKEY(NULL, &p, len);
  else if (strcmp(name, "RSA PUBLIC KEY") == 0)
    k = d2i_PublicKey(EVP_PKEY_RSA, NULL, &p, len);
  if (k && p != der + len) { /* trailing bytes inside the block */
    EVP_PKEY_free(k);
    k = NULL;
  }
  OPENSSL_free(name);
  OPENSSL_free(header);
  OPENSSL_free(der);
  return k;
}

WXPAY_OPENSSL_DEF int wxpay_openssl_add_platform_public_key(
    wxpay_openssl_rsa *r, const char *serial, const char *pem, size_t pem_len) {
  BIO *bio;
  EVP_PKEY *k;
  int ret;
  if (!r || !serial || !pem) return WXPAY_RSA_ERR_ARG;
  if (!wxpay__ossl_serial_ok(serial)) {
    r->last_error = 0;
    return WXPAY_RSA_ERR_SERIAL;
  }
  (void)ERR_set_mark();
  bio = wxpay__ossl_bio(pem, pem_len);
  k = bio ? wxpay__ossl_read_pubkey(bio) : NULL;
  BIO_free(bio);
  ret = k ? wxpay__ossl_add(r, serial, 0, k) : WXPAY_RSA_ERR_PARSE;
  wxpay__ossl_done(r, ret);
  return ret;
}

WXPAY_OPENSSL_DEF int wxpay_openssl_add_platform_public_key_file(
    wxpay_openssl_rsa *r, const char *serial, const char *path) {
  return wxpay__ossl_from_file(r, path, serial, 2);
}

/* >>sign, verify --------------------------------------------------------- */

WXPAY_OPENSSL_DEF int wxpay_openssl_sign(void *user, const unsigned char *msg,
                                         size_t msg_len,
                                         const unsigned char digest[32],
                                         unsigned char *sig, size_t sig_cap,
                                         size_t *sig_len) {
  const wxpay_openssl_rsa *r = (const wxpay_openssl_rsa *)user;
  unsigned char md[32];
  EVP_PKEY_CTX *ctx;
  size_t need, len;
  int ret = WXPAY_RSA_ERR_CRYPTO;
  if (sig_len) *sig_len = 0;
  if (!r || !sig || !sig_len || (!digest && !msg && msg_len)) return WXPAY_RSA_ERR_ARG;
  if (!r->merchant) return WXPAY_RSA_ERR_NO_KEY;
  need = (size_t)EVP_PKEY_size(r->merchant);
  if (need == 0 || sig_cap < need) return WXPAY_RSA_ERR_BUFFER;
  (void)ERR_set_mark();
  if (!digest) {
    unsigned int mdlen = 0;
    static const unsigned char empty[1] = {0};
    if (!EVP_Digest(msg ? (const void *)msg : (const void *)empty, msg_len, md,
                    &mdlen, EVP_sha256(), NULL) ||
        mdlen != sizeof md)
      goto out;
    digest = md;
  }
  ctx = EVP_PKEY_CTX_new(r->merchant, NULL);
  if (!ctx) goto out;
  len = sig_cap;
  if (EVP_PKEY_sign_init(ctx) > 0 &&
      EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) > 0 &&
      EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()) > 0 &&
      EVP_PKEY_sign(ctx, sig, &len, digest, 32) > 0 && len == need) {
    *sig_len = len;
    ret = WXPAY_RSA_OK;
  }
  EVP_PKEY_CTX_free(ctx);
out:
  (void)ERR_pop_to_mark();
  OPENSSL_cleanse(md, sizeof md);
  return ret;
}

WXPAY_OPENSSL_DEF int wxpay_openssl_verify(void *user, const char *serial,
                                           const unsigned char digest[32],
                                           const unsigned char *sig,
                                           size_t sig_len) {
  const wxpay_openssl_rsa *r = (const wxpay_openssl_rsa *)user;
  EVP_PKEY *k;
  EVP_PKEY_CTX *ctx;
  int i, ok = 0;
  if (!r || !serial) return -1;
  i = wxpay__ossl_find(r, serial);
  if (i < 0) return -1;
  k = r->platform[i].key;
  if (!digest || !sig || sig_len != (size_t)EVP_PKEY_size(k)) return 0;
  (void)ERR_set_mark();
  ctx = EVP_PKEY_CTX_new(k, NULL);
  if (ctx && EVP_PKEY_verify_init(ctx) > 0 &&
      EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) > 0 &&
      EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()) > 0 &&
      EVP_PKEY_verify(ctx, sig, sig_len, digest, 32) == 1)
    ok = 1;
  EVP_PKEY_CTX_free(ctx);
  (void)ERR_pop_to_mark();
  return ok;
}

WXPAY_OPENSSL_DEF const char *wxpay_openssl_preferred_serial(const wxpay_openssl_rsa *r) {
  size_t i;
  if (!r || !r->platform_count) return NULL;
  /* a public key wins: the merchant has moved to it, or is moving */
  for (i = r->platform_count; i-- > 0;)
    if (!r->platform[i].from_cert) return r->platform[i].serial;
  return r->platform[r->platform_count - 1].serial;
}

#endif /* WXPAY_OPENSSL_IMPLEMENTED */
#endif /* WXPAY_OPENSSL_IMPLEMENTATION */
