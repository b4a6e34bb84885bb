/* secrets.c -- the API key and the APIv3 keys: from files that are files,
   or from the environment; every copy wiped once used.

   A key file is opened with O_NONBLOCK (a FIFO without a writer would
   otherwise block the run for ever), must be a regular file (a directory,
   FIFO, device such as /dev/zero or socket is refused by name) and is read
   with read(2), at most what the key can be, into the caller's buffer: no
   stdio buffer keeps a copy of a secret. */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef _WIN32
#include <io.h>
#endif
#ifdef WXPAY_CLI_HAVE_OPENSSL
#include <openssl/err.h>
#endif

void wipe(void *p, size_t n) {
  volatile unsigned char *q = (volatile unsigned char *)p;
  while (n--) *q++ = 0;
}

#ifndef O_NONBLOCK /* not on Windows, where nothing blocks an open() like a FIFO */
#define O_NONBLOCK 0
#endif
#ifndef O_NOCTTY
#define O_NOCTTY 0
#endif
#ifndef O_CLOEXEC
#define O_CLOEXEC 0
#endif
#ifndef O_BINARY
#define O_BINARY 0
#endif

static const char *file_kind(mode_t m) {
  if (S_ISDIR(m)) return "a directory";
#ifdef S_ISFIFO
  if (S_ISFIFO(m)) return "a FIFO (named pipe)";
#endif
  if (S_ISCHR(m)) return "a character device";
#ifdef S_ISBLK
  if (S_ISBLK(m)) return "a block device";
#endif
#ifdef S_ISSOCK
  if (S_ISSOCK(m)) return "a socket";
#endif
  return "not a regular file";
}

static int file_error(const cli_context *ctx, const char *flag, const char *path,
                      const char *what) {
  return usage_error(ctx, flag, "cannot read %s '%s': %s", flag, path, what);
}

/* Reads the regular file path, named flag in messages, into buf: at most
   cap - 1 bytes, NUL-terminated, *len of them; a longer file is refused
   unread past that. *exposed: group or others may read the file. Returns 0
   or the usage error. */
static int read_file_of(const cli_context *ctx, const char *flag, const char *path, char *buf,
                        size_t cap, size_t *len, int *exposed) {
  struct stat st;
  size_t n = 0;
  int fd, failed = 0;
  *len = 0;
  *exposed = 0;
  buf[0] = '\0';
  if (stat(path, &st) != 0) return file_error(ctx, flag, path, strerror(errno));
  if (!S_ISREG(st.st_mode)) {
    char what[80];
    snprintf(what, sizeof what, "it is %s, not a regular file", file_kind(st.st_mode));
    return file_error(ctx, flag, path, what);
  }
  fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC | O_BINARY);
  if (fd < 0) return file_error(ctx, flag, path, strerror(errno));
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) { /* replaced since stat() */
    close(fd);
    return file_error(ctx, flag, path, "it is not a regular file");
  }
#if defined(S_IRGRP) && defined(S_IROTH) /* not on Windows, whose ACLs are another matter */
  *exposed = (st.st_mode & (S_IRGRP | S_IROTH)) != 0;
#endif
  while (n < cap - 1) {
    ssize_t got = read(fd, buf + n, (unsigned)(cap - 1 - n));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) { failed = errno; break; }
    if (got == 0) break;
    n += (size_t)got;
  }
  if (!failed && n == cap - 1) { /* full: one byte more says whether it is longer */
    char probe;
    ssize_t got;
    while ((got = read(fd, &probe, 1)) < 0 && errno == EINTR) {
    }
    if (got > 0) failed = -1;
    wipe(&probe, 1);
  }
  close(fd);
  buf[n] = '\0';
  if (failed) {
    char what[120];
    wipe(buf, n);
    if (failed > 0) return file_error(ctx, flag, path, strerror(failed));
    snprintf(what, sizeof what, "it holds more than %lu bytes, more than a key can be",
             (unsigned long)(cap - 1));
    return file_error(ctx, flag, path, what);
  }
  *len = n;
  return 0;
}

/* Once a key has loaded from path: a warning (stderr, once a run) when
   group or others can read its file. */
static void warn_exposed(cli_context *ctx, const char *flag, const char *path, int exposed) {
  if (!exposed || ctx->warned_exposed) return;
  ctx->warned_exposed = 1;
  fprintf(stderr, PROG ": warning: %s '", flag);
  put_safe(stderr, path);
  fputs("' can be read by group or others (chmod 600 it)\n", stderr);
}

/* The value of an environment variable that held a secret, overwritten in
   place once copied: the environment block is the process's own memory, and
   would otherwise keep the secret in a core file and in /proc/PID/environ.
   (ISO C leaves writing to getenv()'s string undefined; every C library
   this builds with keeps it in writable memory of the process.) */
static void wipe_env_value(char *value) {
  if (value) wipe(value, strlen(value));
}

/* The APIv2 key into ctx->key: from --key-file, else $WXPAY_API_KEY;
   exactly WXPAY_KEY_LEN bytes. 0, or the usage error naming where the key
   was looked for. */
int load_key(cli_context *ctx) {
  const cli_opts *o = &ctx->opts;
  char *key = ctx->key;
  size_t n = 0;
  int rc, exposed = 0;
  if (o->key_file) {
    /* straight into ctx->key: no stdio buffer holds a copy */
    if ((rc = read_file_of(ctx, "--key-file", o->key_file, key, sizeof ctx->key, &n,
                           &exposed)) != 0)
      return rc;
    while (n && (key[n - 1] == '\n' || key[n - 1] == '\r' || key[n - 1] == ' ' ||
                 key[n - 1] == '\t'))
      n--; /* a trailing newline from `echo KEY > file` */
    if (n == 0)
      return usage_error(ctx, "--key-file", "no API key was given: --key-file '%s' is empty",
                         o->key_file);
  } else {
    char *env = getenv("WXPAY_API_KEY");
    if (!env || !*env)
      return usage_error(ctx, "WXPAY_API_KEY", "%s",
                         "no API key was given: set WXPAY_API_KEY or use --key-file FILE");
    n = strlen(env);
    if (n > sizeof ctx->key - 1) n = sizeof ctx->key - 1;
    memcpy(key, env, n);
    wipe_env_value(env);
  }
  key[n] = '\0';
  if (n != WXPAY_KEY_LEN || strlen(key) != n)
    return usage_error(ctx, o->key_file ? "--key-file" : "WXPAY_API_KEY",
                       "the API key has %lu bytes; the APIv2 key is exactly 32 "
                       "(not the APIv3 key, not the AppSecret)", (unsigned long)strlen(key));
  if (o->key_file) warn_exposed(ctx, "--key-file", o->key_file, exposed);
  return 0;
}

#ifndef CLI_RSA_NONE
/* What the crypto library said about the last key that failed to load,
   after "; "; "" when it said nothing (the adapter refused the text
   first). */
static void rsa_library_error(const cli_rsa_keys *keys, char *out, size_t cap) {
  char why[256];
  out[0] = '\0';
  if (!keys->last_error) return;
#ifdef WXPAY_CLI_HAVE_OPENSSL
  ERR_error_string_n(keys->last_error, why, sizeof why);
  say(out, cap, "; OpenSSL: %s", why);
#else
  mbedtls_error_text(keys->last_error, why, sizeof why);
  say(out, cap, "; mbedTLS: %s", why);
#endif
}

static int key_error(const cli_context *ctx, const char *flag, const char *path, int code) {
  char library[300];
  rsa_library_error(&ctx->v3.keys, library, sizeof library);
  return usage_error(ctx, flag, "cannot use %s '%s': %s%s", flag, path,
                     CLI_RSA(rsa_strerror)(code), library);
}

/* What a PEM file holds, for the adapter's loader. */
typedef enum cli_pem_kind {
  CLI_PEM_PRIVATE_KEY,
  CLI_PEM_PLATFORM_CERT,
  CLI_PEM_PLATFORM_PUBLIC_KEY /* under the id --platform-key-id gives */
} cli_pem_kind;

/* The PEM file path (named flag) read into ctx->text.pem by read_file_of(),
   handed to the adapter's loader for kind, and wiped. Returns 0, or the
   usage error. */
static int load_pem_file(cli_context *ctx, const char *flag, const char *path, cli_pem_kind kind,
                         const char *serial) {
  char *pem = ctx->text.pem;
  cli_rsa_keys *keys = &ctx->v3.keys;
  size_t len;
  int rc, code, exposed;
  if ((rc = read_file_of(ctx, flag, path, pem, sizeof ctx->text.pem, &len, &exposed)) != 0)
    return rc;
  if (!len) code = WXPAY_RSA_ERR_PARSE;
  else if (kind == CLI_PEM_PRIVATE_KEY) code = CLI_RSA(load_private_key)(keys, pem, len);
  else if (kind == CLI_PEM_PLATFORM_CERT) code = CLI_RSA(add_platform_cert)(keys, pem, len);
  else code = CLI_RSA(add_platform_public_key)(keys, serial, pem, len);
  wipe(pem, len);
  if (code == WXPAY_RSA_ERR_SERIAL && kind == CLI_PEM_PLATFORM_PUBLIC_KEY)
    return usage_error(ctx, "--platform-key-id", "invalid --platform-key-id '%s': 1 to 64 of "
                       "0-9 A-Z a-z _ -, as WeChat Pay gives it (PUB_KEY_ID_...)", serial);
  if (code != 0) return key_error(ctx, flag, path, code);
  if (kind == CLI_PEM_PRIVATE_KEY) warn_exposed(ctx, flag, path, exposed); /* the rest is public */
  return 0;
}

/* The merchant private key and the platform keys into ctx->v3.keys. Every
   failure is a usage error (exit 2) naming the flag and the file; the key
   text is never printed. */
int load_v3_keys(cli_context *ctx) {
  const cli_opts *o = &ctx->opts;
  int code, rc;
  size_t k;
  CLI_RSA(rsa_init)(&ctx->v3.keys);
  ctx->v3.loaded = 1;
  if (o->private_key) {
    rc = load_pem_file(ctx, "--private-key", o->private_key, CLI_PEM_PRIVATE_KEY, NULL);
    if (rc != 0) return rc;
  } else {
    char *pem = getenv("WXPAY_PRIVATE_KEY");
    code = CLI_RSA(load_private_key)(&ctx->v3.keys, pem, 0);
    wipe_env_value(pem);
    if (code != 0) {
      char library[300];
      rsa_library_error(&ctx->v3.keys, library, sizeof library);
      return usage_error(ctx, "WXPAY_PRIVATE_KEY",
                         "WXPAY_PRIVATE_KEY does not hold a usable private key: %s%s",
                         CLI_RSA(rsa_strerror)(code), library);
    }
  }
  for (k = 0; k < o->ncerts; k++) {
    rc = load_pem_file(ctx, "--platform-cert", o->platform_certs[k], CLI_PEM_PLATFORM_CERT, NULL);
    if (rc != 0) return rc;
  }
  if (o->platform_pub)
    return load_pem_file(ctx, "--platform-public-key", o->platform_pub,
                         CLI_PEM_PLATFORM_PUBLIC_KEY, o->platform_key_id);
  return 0;
}

void free_v3_keys(cli_context *ctx) {
  if (ctx->v3.loaded) CLI_RSA(rsa_free)(&ctx->v3.keys); /* frees and wipes the keys */
  ctx->v3.loaded = 0;
  wipe(&ctx->v3, sizeof ctx->v3);
}
#endif /* CLI_RSA_NONE */
