/* wxpay_http.h v0.1.0 -- a small HTTP/1.1 client over a byte stream, and a
   plain POSIX socket transport, for wxpay_close.h

   Part of wxpay_close.h (adapters/). Needs wxpay_close.h on the include path
   (-I the directory that holds it). C99; the socket part needs POSIX.

   Do this:
       #define _POSIX_C_SOURCE 200809L     // before ANY #include in that file
       #define WXPAY_HTTP_IMPLEMENTATION
       #include "adapters/wxpay_http.h"
   in *one* C file. Other files include it without the defines. The
   implementation uses POSIX sockets, poll() and clock_gettime(), which a
   strict -std=c99 build only declares when _POSIX_C_SOURCE (or _GNU_SOURCE,
   _DEFAULT_SOURCE) is defined before the first system header; without it
   the implementation stops at an #error that says so (no other diagnostic),
   and -std=gnu99 or a compiler's default mode needs nothing. The header part
   (types and prototypes) needs nothing beyond C99, and WXPAY_HTTP_NO_POSIX
   (below) needs no POSIX at all.

WHAT IS IN IT

   1. A byte-stream interface, wxpay_stream: a context pointer and send/recv
      callbacks that take a timeout. The sockets below implement it; so does
      the mbedTLS stream in wxpay_mbedtls.h; an RTOS user implements it over
      lwIP, a modem's AT socket or anything that moves bytes.
   2. An HTTP/1.1 client over any wxpay_stream, wxpay_http_exchange():
      writes the request (Host, Content-Type: text/xml; charset=utf-8,
      Accept: text/xml, text/plain, application/x-gzip, User-Agent,
      Content-Length, Connection: close, plus req->headers, which override the
      defaults of the same name; a "GET" without a body, the APIv3 query, is
      sent as a plain GET: neither Content-Type nor Content-Length), reads the status line and headers (fills the
      wxpay_header_slot's asked for, names compared case-insensitively), then
      a Content-Length, chunked or read-to-close body into resp->body, at most
      resp->body_cap bytes (more: WXPAY_NET_TOO_LARGE). One time budget covers
      the whole exchange. No heap; about WXPAY_HTTP_BUF_SIZE bytes of stack.
   3. A plain TCP stream over POSIX sockets (non-blocking connect bounded by
      poll(), every address getaddrinfo() returns tried in turn) and a ready
      transport for http:// URLs, wxpay_socket_transport().

   Failures are reported the way wxpay_close() needs them:
       getaddrinfo() failed                          WXPAY_NET_DNS
       connect refused / unreachable                 WXPAY_NET_CONNECT
       connect or whole-exchange time ran out        WXPAY_NET_TIMEOUT
       connection broke, malformed HTTP, bad URL     WXPAY_NET_IO
       body larger than resp->body_cap               WXPAY_NET_TOO_LARGE
       response head over the LIMITS below           WXPAY_NET_TOO_LARGE

LIMITS on a response head (the status line and header lines up to the empty
line), the same in wxpay_curl.h and, through wxpay_http_exchange(), in
wxpay_mbedtls.h: a line of more than WXPAY_HTTP_MAX_LINE bytes (8192, its
CR LF not counted), more than WXPAY_HTTP_MAX_HEADERS header lines (100) or
more than WXPAY_HTTP_MAX_HEAD bytes in all (65536, each line counted with a
CR LF) is refused with WXPAY_NET_TOO_LARGE, as a body over its cap: an
answer bigger than the client takes, which the same server would send again
(wxpay_close() does not retry it). A WeChat Pay answer needs a handful of
header lines, the longest Wechatpay-Signature (684 Base64 characters for a
4096-bit key); 8 KiB a line and 100 lines are the defaults of common HTTP
servers (Apache httpd LimitRequestFieldSize 8190 and LimitRequestFields 100,
nginx large_client_header_buffers 8k), and they stay under libcurl's own line
limit (CURL_MAX_HTTP_HEADER, 100 KiB), so every transport draws the line at
the same byte. A line longer than the read buffer (WXPAY_HTTP_BUF_SIZE)
but within the limit is kept cut to the buffer: header slots take a prefix.

EXAMPLE (plain HTTP, e.g. against the local emulator)

       #include "wxpay_close.h"
       #include "adapters/wxpay_http.h"

       wxpay_client cli = {0};
       cli.api_key        = key;
       cli.endpoint       = "http://127.0.0.1:8080/pay/closecombinedorder";
       cli.transport      = wxpay_socket_transport;
       cli.transport_user = NULL;              // unused
       ... wxpay_close(&cli, &req, &resp, work, sizeof work);

   WeChat Pay itself is HTTPS only: use wxpay_curl.h or wxpay_mbedtls.h for
   it. wxpay_socket_transport() refuses https:// URLs with WXPAY_NET_IO.

EXAMPLE (your own stream, e.g. lwIP on an RTOS)

       static wxpay_net my_send(void *ctx, const unsigned char *p, size_t n,
                                size_t *sent, unsigned timeout_ms);
       static wxpay_net my_recv(void *ctx, unsigned char *p, size_t cap,
                                size_t *got, unsigned timeout_ms);
       static unsigned long my_now_ms(void *ctx);   // monotonic milliseconds

       wxpay_stream s = { &my_conn, my_send, my_recv, my_now_ms };
       wxpay_url u;
       wxpay_url_parse(req->url, &u);
       ... open my_conn to u.host:u.port ...
       wxpay_net n = wxpay_http_exchange(&s, &u, req, resp, my_now_ms(&my_conn),
                                         req->timeout_ms);

   Stream contract: send() writes 1..len bytes and sets *sent, or fails;
   recv() reads 1..cap bytes and sets *got, or sets *got = 0 and returns
   WXPAY_NET_OK at an orderly end of stream, or fails. Each waits at most
   timeout_ms (then WXPAY_NET_TIMEOUT); anything else that goes wrong is
   WXPAY_NET_IO (a TLS stream may say WXPAY_NET_TLS).

OPTIONS (define before including)

   WXPAY_HTTP_STATIC      every function is `static`
   WXPAY_HTTP_NO_POSIX    leave out the sockets, the socket transport and the
                          default clock (bare metal / RTOS: give every stream
                          a now_ms callback)
   WXPAY_HTTP_BUF_SIZE    stack buffer for the request head and for reading
                          the status line, headers and chunk framing; default
                          1024 (a longer header line, within the LIMITS, is
                          cut to it)
   WXPAY_HTTP_HOST_MAX    longest host name kept by wxpay_url_parse(),
                          default 256
   WXPAY_HTTP_MAX_HEADERS most response header lines accepted, default 100
   WXPAY_HTTP_MAX_LINE    longest response head line accepted, default 8192
   WXPAY_HTTP_MAX_HEAD    largest response head accepted, default 65536
                          (these three: see LIMITS; wxpay_curl.h reads them too)
   WXPAY_HTTP_USER_AGENT  User-Agent sent when req->headers has none,
                          default "wxpay_close.h/" WXPAY_VERSION

   A request timeout of 0 means the library's defaults: 6000 ms to connect,
   8000 ms for the whole exchange. getaddrinfo() itself cannot be bounded.

THREADS: no global state; every call works on what it is given.

LICENSE: the same as wxpay_close.h (see the end of that file).
*/
#ifndef WXPAY_HTTP_H
#define WXPAY_HTTP_H

#ifndef WXPAY_CLOSE_H
#include "wxpay_close.h"
#endif
#include <stddef.h>

#ifndef WXPAY_HTTP_DEF
#ifdef WXPAY_HTTP_STATIC
#if defined(__GNUC__) || defined(__clang__)
#define WXPAY_HTTP_DEF static __attribute__((unused))
#else
#define WXPAY_HTTP_DEF static
#endif
#else
#define WXPAY_HTTP_DEF extern
#endif
#endif

#ifndef WXPAY_HTTP_BUF_SIZE
#define WXPAY_HTTP_BUF_SIZE 1024
#endif
#ifndef WXPAY_HTTP_HOST_MAX
#define WXPAY_HTTP_HOST_MAX 256
#endif
#ifndef WXPAY_HTTP_MAX_HEADERS
#define WXPAY_HTTP_MAX_HEADERS 100
#endif
#ifndef WXPAY_HTTP_MAX_LINE
#define WXPAY_HTTP_MAX_LINE 8192
#endif
#ifndef WXPAY_HTTP_MAX_HEAD
#define WXPAY_HTTP_MAX_HEAD 65536
#endif
#ifndef WXPAY_HTTP_USER_AGENT
#define WXPAY_HTTP_USER_AGENT "wxpay_close.h/" WXPAY_VERSION
#endif
#define WXPAY_HTTP_DEFAULT_CONNECT_MS 6000u
#define WXPAY_HTTP_DEFAULT_TIMEOUT_MS 8000u

#ifdef __cplusplus
extern "C" {
#endif

/* A connected byte stream (see "Stream contract" above). */
typedef struct wxpay_stream {
  void *ctx;
  wxpay_net (*send)(void *ctx, const unsigned char *data, size_t len,
                    size_t *sent, unsigned timeout_ms);
  wxpay_net (*recv)(void *ctx, unsigned char *buf, size_t cap, size_t *got,
                    unsigned timeout_ms);
  /* Monotonic milliseconds (wrapping is fine). NULL: clock_gettime
     (CLOCK_MONOTONIC); under WXPAY_HTTP_NO_POSIX NULL means no whole-exchange
     deadline, only the per-call timeouts. */
  unsigned long (*now_ms)(void *ctx);
} wxpay_stream;

/* Opens a stream to host:port within timeout_ms (used by wxpay_mbedtls.h to
   let you replace the POSIX sockets). Returns WXPAY_NET_OK and fills *out, or
   DNS / CONNECT / TIMEOUT / IO. */
typedef wxpay_net (*wxpay_stream_open_fn)(void *user, const char *host,
                                          unsigned short port,
                                          unsigned timeout_ms,
                                          wxpay_stream *out);
typedef void (*wxpay_stream_close_fn)(void *user, wxpay_stream *stream);

/* An http:// or https:// URL taken apart. */
typedef struct wxpay_url {
  int https;                        /* 1 for https://, 0 for http:// */
  int ipv6;                         /* host was a [bracketed] IPv6 literal */
  unsigned short port;              /* given, else 443 / 80 */
  int port_given;                   /* the URL named the port */
  char host[WXPAY_HTTP_HOST_MAX];   /* NUL-terminated, brackets removed */
  const char *path;                 /* into the URL string: "/..." with the
                                       query, without a #fragment; "/" if none */
  size_t path_len;
} wxpay_url;

/* Returns 0, or -1 for anything other than http(s)://host[:port][/path]
   (user-info, an empty host, a bad port or a host too long are refused). */
WXPAY_HTTP_DEF int wxpay_url_parse(const char *url, wxpay_url *out);

/* One HTTP/1.1 exchange over a connected stream: writes req, reads the
   response into resp. The budget is timeout_ms counted from start_ms (a
   stream->now_ms / wxpay_http_now_ms() reading taken before connecting), so
   connect and TLS handshake time count against it. timeout_ms 0 = 8000.
   resp->status, body_len and every header slot (found, len) are reset first. */
WXPAY_HTTP_DEF wxpay_net wxpay_http_exchange(const wxpay_stream *stream,
                                             const wxpay_url *url,
                                             const wxpay_http_req *req,
                                             wxpay_http_resp *resp,
                                             unsigned long start_ms,
                                             unsigned timeout_ms);

/* The current time as stream->now_ms gives it (or the POSIX clock). */
WXPAY_HTTP_DEF unsigned long wxpay_http_now_ms(const wxpay_stream *stream);

#ifndef WXPAY_HTTP_NO_POSIX
/* A plain TCP connection. fd is -1 when closed. */
typedef struct wxpay_socket {
  int fd;
} wxpay_socket;

/* Resolves host, connects (non-blocking, poll()-bounded by timeout_ms, 0 =
   6000) trying each address in turn. On failure sock->fd is -1. */
WXPAY_HTTP_DEF wxpay_net wxpay_socket_connect(wxpay_socket *sock,
                                              const char *host,
                                              unsigned short port,
                                              unsigned timeout_ms);
/* A wxpay_stream over a connected socket (the socket must outlive it). */
WXPAY_HTTP_DEF void wxpay_socket_stream(wxpay_socket *sock, wxpay_stream *out);
WXPAY_HTTP_DEF void wxpay_socket_close(wxpay_socket *sock);
/* wxpay_stream_open_fn / wxpay_stream_close_fn over POSIX sockets: user must
   point to a wxpay_socket that outlives the stream. */
WXPAY_HTTP_DEF wxpay_net wxpay_socket_open(void *user, const char *host,
                                           unsigned short port,
                                           unsigned timeout_ms,
                                           wxpay_stream *out);
WXPAY_HTTP_DEF void wxpay_socket_release(void *user, wxpay_stream *stream);

/* A wxpay_transport_fn for http:// URLs over a fresh TCP connection per
   request. user is ignored (may be NULL). https:// -> WXPAY_NET_IO. */
WXPAY_HTTP_DEF wxpay_net wxpay_socket_transport(void *user,
                                                const wxpay_http_req *req,
                                                wxpay_http_resp *resp);
#endif

#ifdef __cplusplus
}
#endif
#endif /* WXPAY_HTTP_H */

/* ======================================================================== */
#ifdef WXPAY_HTTP_IMPLEMENTATION
#ifndef WXPAY_HTTP_IMPLEMENTED
#define WXPAY_HTTP_IMPLEMENTED

#include <string.h>
#include <limits.h>

#ifndef WXPAY_HTTP_NO_POSIX
/* <unistd.h> first: its _POSIX_VERSION says which POSIX the C library
   declares in this file. Under a strict -std=c99, glibc declares none of
   getaddrinfo(), struct timespec or clock_gettime() unless a feature macro
   came before the first system header, and this header cannot define one
   that late (wxpay_close.h has included system headers already), nor
   declare struct addrinfo itself (its layout is the C library's). So it
   says what to do, once, instead of a cascade of implicit declarations. */
#include <unistd.h>
#if !defined(_POSIX_VERSION) || _POSIX_VERSION < 200112L
#error "wxpay_http.h: the socket transport needs POSIX.1-2001 (getaddrinfo, clock_gettime), hidden by -std=c99: put #define _POSIX_C_SOURCE 200809L before the first #include of this file (or compile with -D_POSIX_C_SOURCE=200809L, or -std=gnu99), or define WXPAY_HTTP_NO_POSIX to leave the sockets out"
#define WXPAY_HTTP_NO_POSIX /* the one message above, not a cascade */
#endif
#endif

#ifndef WXPAY_HTTP_NO_POSIX
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <time.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#endif

/* >>util ---------------------------------------------------------------- */

static int wxpay__http_lower(int c) {
  return (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c;
}

static int wxpay__http_ieq(const char *a, size_t alen, const char *b) {
  size_t i;
  for (i = 0; i < alen; i++) {
    if (b[i] == '\0') return 0;
    if (wxpay__http_lower((unsigned char)a[i]) !=
        wxpay__http_lower((unsigned char)b[i]))
      return 0;
  }
  return b[alen] == '\0';
}

/* RFC 9110 token characters (header names). */
static int wxpay__http_tchar(int c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
      (c >= 'A' && c <= 'Z'))
    return 1;
  return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

WXPAY_HTTP_DEF unsigned long wxpay_http_now_ms(const wxpay_stream *stream) {
  if (stream && stream->now_ms) return stream->now_ms(stream->ctx);
#ifndef WXPAY_HTTP_NO_POSIX
  {
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) return 0;
    return (unsigned long)ts.tv_sec * 1000ul +
           (unsigned long)(ts.tv_nsec / 1000000l);
  }
#else
  return 0;
#endif
}

/* Milliseconds left of a budget; 0 means spent. Wrap-safe. */
static unsigned wxpay__http_left(const wxpay_stream *s, unsigned long start,
                                 unsigned total) {
  unsigned long used;
#ifdef WXPAY_HTTP_NO_POSIX
  if (!s || !s->now_ms) return total;
#endif
  used = wxpay_http_now_ms(s) - start;
  if (used >= (unsigned long)total) return 0;
  return (unsigned)((unsigned long)total - used);
}

/* >>url ----------------------------------------------------------------- */

WXPAY_HTTP_DEF int wxpay_url_parse(const char *url, wxpay_url *out) {
  const char *p, *host, *host_end;
  size_t hlen;
  if (!url || !out) return -1;
  memset(out, 0, sizeof *out);
  /* (wxpay__http_ieq stops at the URL's NUL: no read past a short URL) */
  if (wxpay__http_ieq(url, 8, "https://")) {
    out->https = 1;
    p = url + 8;
  } else if (wxpay__http_ieq(url, 7, "http://")) {
    p = url + 7;
  } else {
    return -1;
  }
  out->port = out->https ? 443 : 80;
  if (*p == '[') {
    host = p + 1;
    host_end = strchr(host, ']');
    if (!host_end) return -1;
    p = host_end + 1;
    out->ipv6 = 1;
  } else {
    host = p;
    while (*p && *p != ':' && *p != '/' && *p != '?' && *p != '#') {
      if (*p == '@' || *p == ' ' || (unsigned char)*p < 0x21) return -1;
      p++;
    }
    host_end = p;
  }
  hlen = (size_t)(host_end - host);
  if (hlen == 0 || hlen >= sizeof out->host) return -1;
  {
    size_t i;
    for (i = 0; i < hlen; i++) {
      unsigned char c = (unsigned char)host[i];
      if (c < 0x21 || c == '@' || c == '/' || c == 0x7f) return -1;
    }
  }
  memcpy(out->host, host, hlen);
  out->host[hlen] = '\0';
  if (*p == ':') {
    unsigned long port = 0;
    int digits = 0;
    p++;
    while (*p >= '0' && *p <= '9') {
      port = port * 10u + (unsigned long)(*p - '0');
      if (port > 65535ul) return -1;
      p++;
      digits++;
    }
    if (digits == 0 || port == 0) return -1;
    out->port = (unsigned short)port;
    out->port_given = 1;
  }
  /* "http://h?q" has no path to put "/" in front of: refused */
  if (*p != '\0' && *p != '/' && *p != '#') return -1;
  if (*p == '/') {
    const char *q = p;
    while (*q && *q != '#') {
      if ((unsigned char)*q <= 0x20 || *q == 0x7f) return -1;
      q++;
    }
    out->path = p;
    out->path_len = (size_t)(q - p);
  } else {
    out->path = "/";
    out->path_len = 1;
  }
  return 0;
}

/* >>writer -------------------------------------------------------------- */

typedef struct wxpay__http_wr {
  const wxpay_stream *s;
  unsigned long start;
  unsigned total;
  unsigned char buf[WXPAY_HTTP_BUF_SIZE];
  size_t len;
  wxpay_net net;
} wxpay__http_wr;

static void wxpay__http_flush(wxpay__http_wr *w) {
  size_t off = 0;
  while (w->net == WXPAY_NET_OK && off < w->len) {
    size_t sent = 0;
    unsigned left = wxpay__http_left(w->s, w->start, w->total);
    wxpay_net n;
    if (left == 0) {
      w->net = WXPAY_NET_TIMEOUT;
      break;
    }
    n = w->s->send(w->s->ctx, w->buf + off, w->len - off, &sent, left);
    if (n != WXPAY_NET_OK) {
      w->net = n;
    } else if (sent == 0 || sent > w->len - off) {
      w->net = WXPAY_NET_IO;
    } else {
      off += sent;
    }
  }
  w->len = 0;
}

static void wxpay__http_put(wxpay__http_wr *w, const char *p, size_t n) {
  while (w->net == WXPAY_NET_OK && n > 0) {
    size_t room = sizeof w->buf - w->len;
    size_t take = n < room ? n : room;
    memcpy(w->buf + w->len, p, take);
    w->len += take;
    p += take;
    n -= take;
    if (w->len == sizeof w->buf) wxpay__http_flush(w);
  }
}

static void wxpay__http_puts(wxpay__http_wr *w, const char *s) {
  wxpay__http_put(w, s, strlen(s));
}

static void wxpay__http_putu(wxpay__http_wr *w, unsigned long long v) {
  char tmp[24];
  size_t i = sizeof tmp;
  do {
    tmp[--i] = (char)('0' + (int)(v % 10u));
    v /= 10u;
  } while (v && i > 0);
  wxpay__http_put(w, tmp + i, sizeof tmp - i);
}

/* Header names the writer owns (given ones are dropped) or defaults (given
   ones win). */
static int wxpay__http_owned(const char *name) {
  size_t n = strlen(name);
  return wxpay__http_ieq(name, n, "host") ||
         wxpay__http_ieq(name, n, "content-length") ||
         wxpay__http_ieq(name, n, "connection") ||
         wxpay__http_ieq(name, n, "transfer-encoding");
}

static int wxpay__http_given(const wxpay_http_req *req, const char *name) {
  size_t i;
  for (i = 0; i < req->header_count; i++) {
    const char *h = req->headers[i].name;
    if (h && wxpay__http_ieq(name, strlen(name), h)) return 1;
  }
  return 0;
}

static int wxpay__http_header_ok(const char *name, const char *value) {
  const char *p;
  if (!name || !*name || !value) return 0;
  for (p = name; *p; p++)
    if (!wxpay__http_tchar((unsigned char)*p)) return 0;
  for (p = value; *p; p++)
    if (*p == '\r' || *p == '\n') return 0;
  return 1;
}

static wxpay_net wxpay__http_write_request(wxpay__http_wr *w,
                                           const wxpay_url *url,
                                           const wxpay_http_req *req) {
  size_t i;
  const char *method = req->method ? req->method : "POST";
  const char *p;
  /* a GET without content says nothing about content: no Content-Type, and
     no "Content-Length: 0" (RFC 9110 8.6: a request without content need
     not send one; some servers and proxies refuse a GET that does) */
  int bodyless = req->body_len == 0 && strcmp(method, "GET") == 0;
  for (p = method; *p; p++)
    if (!wxpay__http_tchar((unsigned char)*p)) return WXPAY_NET_IO;
  if (!*method) return WXPAY_NET_IO;
  for (i = 0; i < req->header_count; i++)
    if (!wxpay__http_header_ok(req->headers[i].name, req->headers[i].value))
      return WXPAY_NET_IO; /* refuse CR/LF injection and bad names */
  if (req->body_len && !req->body) return WXPAY_NET_IO;

  wxpay__http_puts(w, method);
  wxpay__http_put(w, " ", 1);
  wxpay__http_put(w, url->path, url->path_len);
  wxpay__http_puts(w, " HTTP/1.1\r\nHost: ");
  if (url->ipv6) wxpay__http_put(w, "[", 1);
  wxpay__http_puts(w, url->host);
  if (url->ipv6) wxpay__http_put(w, "]", 1);
  if (url->port != (url->https ? 443 : 80)) {
    wxpay__http_put(w, ":", 1);
    wxpay__http_putu(w, url->port);
  }
  wxpay__http_puts(w, "\r\n");
  if (!wxpay__http_given(req, "User-Agent"))
    wxpay__http_puts(w, "User-Agent: " WXPAY_HTTP_USER_AGENT "\r\n");
  if (!bodyless && !wxpay__http_given(req, "Content-Type"))
    wxpay__http_puts(w, "Content-Type: text/xml; charset=utf-8\r\n");
  if (!wxpay__http_given(req, "Accept"))
    wxpay__http_puts(w, "Accept: text/xml, text/plain, application/x-gzip\r\n");
  for (i = 0; i < req->header_count; i++) {
    if (wxpay__http_owned(req->headers[i].name)) continue;
    wxpay__http_puts(w, req->headers[i].name);
    wxpay__http_puts(w, ": ");
    wxpay__http_puts(w, req->headers[i].value);
    wxpay__http_puts(w, "\r\n");
  }
  if (!bodyless) {
    wxpay__http_puts(w, "Content-Length: ");
    wxpay__http_putu(w, (unsigned long long)req->body_len);
    wxpay__http_puts(w, "\r\n");
  }
  wxpay__http_puts(w, "Connection: close\r\n\r\n");
  if (req->body_len) wxpay__http_put(w, req->body, req->body_len);
  wxpay__http_flush(w);
  return w->net;
}

/* >>reader -------------------------------------------------------------- */

typedef struct wxpay__http_rd {
  const wxpay_stream *s;
  unsigned long start;
  unsigned total;
  unsigned char *buf;
  size_t cap, pos, len;
  int eof;
} wxpay__http_rd;

/* Reads more bytes into the buffer (compacting it first). */
static wxpay_net wxpay__http_fill(wxpay__http_rd *r) {
  size_t got = 0;
  unsigned left;
  wxpay_net n;
  if (r->pos > 0) {
    memmove(r->buf, r->buf + r->pos, r->len - r->pos);
    r->len -= r->pos;
    r->pos = 0;
  }
  if (r->len == r->cap) return WXPAY_NET_OK; /* full: caller handles it */
  left = wxpay__http_left(r->s, r->start, r->total);
  if (left == 0) return WXPAY_NET_TIMEOUT;
  n = r->s->recv(r->s->ctx, r->buf + r->len, r->cap - r->len, &got, left);
  if (n != WXPAY_NET_OK) return n;
  if (got > r->cap - r->len) return WXPAY_NET_IO;
  if (got == 0) r->eof = 1;
  r->len += got;
  return WXPAY_NET_OK;
}

/* Returns one line without its CR LF in *line and *n, valid until the next read.
   A line longer than the buffer comes back cut (*cut = 1); call
   wxpay__http_skip_line() after using it. EOF before the LF is IO. */
static wxpay_net wxpay__http_line(wxpay__http_rd *r, const char **line,
                                  size_t *n, int *cut) {
  *cut = 0;
  for (;;) {
    unsigned char *lf = (unsigned char *)memchr(r->buf + r->pos, '\n',
                                                r->len - r->pos);
    wxpay_net e;
    if (lf) {
      size_t k = (size_t)(lf - (r->buf + r->pos));
      *line = (const char *)(r->buf + r->pos);
      r->pos += k + 1;
      if (k > 0 && (*line)[k - 1] == '\r') k--;
      *n = k;
      return WXPAY_NET_OK;
    }
    if (r->pos == 0 && r->len == r->cap) {
      *line = (const char *)r->buf;
      *n = r->len;
      *cut = 1;
      r->pos = r->len;
      return WXPAY_NET_OK;
    }
    if (r->eof) return WXPAY_NET_IO;
    e = wxpay__http_fill(r);
    if (e != WXPAY_NET_OK) return e;
  }
}

/* Skips the rest of a line that came back cut. len (may be NULL): on entry
   the bytes of the line returned, on return the whole line's length without
   its CR LF; such a line is read no further than WXPAY_HTTP_MAX_LINE bytes
   (then WXPAY_NET_TOO_LARGE). */
static wxpay_net wxpay__http_skip_line(wxpay__http_rd *r, size_t *len) {
  size_t n = len ? *len : 0;
  unsigned char last = r->pos > 0 ? r->buf[r->pos - 1] : 0;
  for (;;) {
    unsigned char *from = r->buf + r->pos;
    unsigned char *lf = (unsigned char *)memchr(from, '\n', r->len - r->pos);
    wxpay_net e;
    if (lf) {
      n += (size_t)(lf - from);
      if (lf > from) last = lf[-1];
      if (last == '\r' && n > 0) n--;
      r->pos = (size_t)(lf - r->buf) + 1;
      if (len) *len = n;
      return WXPAY_NET_OK;
    }
    n += r->len - r->pos;
    if (r->len > r->pos) last = r->buf[r->len - 1];
    r->pos = r->len;
    if (len && n > WXPAY_HTTP_MAX_LINE + 1) return WXPAY_NET_TOO_LARGE; /* + a CR */
    if (r->eof) return WXPAY_NET_IO;
    e = wxpay__http_fill(r);
    if (e != WXPAY_NET_OK) return e;
  }
}

/* Copies up to n body bytes into resp->body: first what is buffered, then
   straight from the stream. */
static wxpay_net wxpay__http_body_bytes(wxpay__http_rd *r,
                                        wxpay_http_resp *resp,
                                        unsigned long long n) {
  while (n > 0) {
    size_t take;
    if (r->pos < r->len) {
      take = r->len - r->pos;
      if ((unsigned long long)take > n) take = (size_t)n;
      memcpy(resp->body + resp->body_len, r->buf + r->pos, take);
      r->pos += take;
    } else {
      size_t got = 0;
      unsigned left;
      wxpay_net e;
      if (r->eof) return WXPAY_NET_IO; /* shorter than announced */
      left = wxpay__http_left(r->s, r->start, r->total);
      if (left == 0) return WXPAY_NET_TIMEOUT;
      take = resp->body_cap - resp->body_len;
      if ((unsigned long long)take > n) take = (size_t)n;
      e = r->s->recv(r->s->ctx, (unsigned char *)resp->body + resp->body_len,
                     take, &got, left);
      if (e != WXPAY_NET_OK) return e;
      if (got > take) return WXPAY_NET_IO;
      if (got == 0) {
        r->eof = 1;
        return WXPAY_NET_IO;
      }
      take = got;
    }
    resp->body_len += take;
    n -= take;
  }
  return WXPAY_NET_OK;
}

static int wxpay__http_hex(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = wxpay__http_lower(c);
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

static wxpay_net wxpay__http_chunked(wxpay__http_rd *r, wxpay_http_resp *resp) {
  for (;;) {
    const char *line;
    size_t n, i;
    int cut, digits = 0;
    unsigned long long size = 0;
    wxpay_net e = wxpay__http_line(r, &line, &n, &cut);
    if (e != WXPAY_NET_OK) return e;
    for (i = 0; i < n; i++) {
      int h = wxpay__http_hex((unsigned char)line[i]);
      if (h < 0) break;
      if (size > (0xffffffffffffffffull >> 4)) return WXPAY_NET_IO;
      size = size * 16u + (unsigned)h;
      digits++;
    }
    if (digits == 0) return WXPAY_NET_IO;
    if (i < n && line[i] != ';' && line[i] != ' ' && line[i] != '\t')
      return WXPAY_NET_IO;
    if (cut && (e = wxpay__http_skip_line(r, NULL)) != WXPAY_NET_OK) return e;
    if (size == 0) {
      /* trailers up to an empty line; an end of stream here still leaves a
         complete body */
      int lines = 0;
      for (;;) {
        e = wxpay__http_line(r, &line, &n, &cut);
        if (e == WXPAY_NET_IO && r->eof && r->pos >= r->len)
          return WXPAY_NET_OK;
        if (e != WXPAY_NET_OK) return e;
        if (cut && (e = wxpay__http_skip_line(r, NULL)) != WXPAY_NET_OK) return e;
        if (n == 0 && !cut) return WXPAY_NET_OK;
        if (++lines > WXPAY_HTTP_MAX_HEADERS) return WXPAY_NET_IO;
      }
    }
    if (size > (unsigned long long)(resp->body_cap - resp->body_len))
      return WXPAY_NET_TOO_LARGE;
    e = wxpay__http_body_bytes(r, resp, size);
    if (e != WXPAY_NET_OK) return e;
    e = wxpay__http_line(r, &line, &n, &cut); /* the CRLF after the data */
    if (e != WXPAY_NET_OK) return e;
    if (n != 0 || cut) return WXPAY_NET_IO;
  }
}

static wxpay_net wxpay__http_to_close(wxpay__http_rd *r, wxpay_http_resp *resp) {
  for (;;) {
    size_t room = resp->body_cap - resp->body_len;
    size_t got = 0;
    unsigned left;
    wxpay_net e;
    if (r->pos < r->len) {
      size_t take = r->len - r->pos;
      if (take > room) return WXPAY_NET_TOO_LARGE;
      memcpy(resp->body + resp->body_len, r->buf + r->pos, take);
      resp->body_len += take;
      r->pos = r->len;
      continue;
    }
    if (r->eof) return WXPAY_NET_OK;
    left = wxpay__http_left(r->s, r->start, r->total);
    if (left == 0) return WXPAY_NET_TIMEOUT;
    if (room == 0) {
      /* full: one more byte means too large, an end means it fit exactly */
      r->pos = r->len = 0;
      e = r->s->recv(r->s->ctx, r->buf, r->cap, &got, left);
      if (e != WXPAY_NET_OK) return e;
      if (got > 0) return WXPAY_NET_TOO_LARGE;
      r->eof = 1;
      continue;
    }
    e = r->s->recv(r->s->ctx, (unsigned char *)resp->body + resp->body_len,
                   room, &got, left);
    if (e != WXPAY_NET_OK) return e;
    if (got > room) return WXPAY_NET_IO;
    if (got == 0) r->eof = 1;
    resp->body_len += got;
  }
}

/* After a head line of n bytes (cut: more follow): its whole length checked
   against WXPAY_HTTP_MAX_LINE and added, with a CR LF, to *head, checked
   against WXPAY_HTTP_MAX_HEAD. Skips the rest of a cut line. */
static wxpay_net wxpay__http_head_bytes(wxpay__http_rd *r, size_t n, int cut,
                                        size_t *head) {
  wxpay_net e;
  if (cut && (e = wxpay__http_skip_line(r, &n)) != WXPAY_NET_OK) return e;
  if (n > WXPAY_HTTP_MAX_LINE) return WXPAY_NET_TOO_LARGE;
  *head += n + 2;
  return *head > WXPAY_HTTP_MAX_HEAD ? WXPAY_NET_TOO_LARGE : WXPAY_NET_OK;
}

/* Reads the status line and headers of one response, within the LIMITS. */
static wxpay_net wxpay__http_head(wxpay__http_rd *r, wxpay_http_resp *resp,
                                  int *chunked, int *has_len,
                                  unsigned long long *clen) {
  const char *line;
  size_t n, i, head = 0;
  int cut, lines = 0;
  wxpay_net e = wxpay__http_line(r, &line, &n, &cut);
  if (e != WXPAY_NET_OK) return e;
  /* HTTP/1.x SSS[ reason] */
  if (n < 12 || memcmp(line, "HTTP/1.", 7) != 0 || line[7] < '0' ||
      line[7] > '9' || line[8] != ' ')
    return WXPAY_NET_IO;
  for (i = 9; i < 12; i++)
    if (line[i] < '0' || line[i] > '9') return WXPAY_NET_IO;
  if (n > 12 && line[12] != ' ') return WXPAY_NET_IO;
  resp->status = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
  if (resp->status < 100) return WXPAY_NET_IO;
  if ((e = wxpay__http_head_bytes(r, n, cut, &head)) != WXPAY_NET_OK) return e;
  *chunked = 0;
  *has_len = 0;
  *clen = 0;
  for (;;) {
    const char *colon, *v, *vend;
    e = wxpay__http_line(r, &line, &n, &cut);
    if (e != WXPAY_NET_OK) return e;
    if (n == 0 && !cut)
      return head + 2 > WXPAY_HTTP_MAX_HEAD ? WXPAY_NET_TOO_LARGE : WXPAY_NET_OK;
    if (++lines > WXPAY_HTTP_MAX_HEADERS) return WXPAY_NET_TOO_LARGE;
    if (line[0] == ' ' || line[0] == '\t') { /* obsolete folding: ignore */
      if ((e = wxpay__http_head_bytes(r, n, cut, &head)) != WXPAY_NET_OK) return e;
      continue;
    }
    colon = (const char *)memchr(line, ':', n);
    if (!colon || colon == line) return WXPAY_NET_IO;
    for (v = line; v < colon; v++)
      if (!wxpay__http_tchar((unsigned char)*v)) return WXPAY_NET_IO;
    v = colon + 1;
    vend = line + n;
    while (v < vend && (*v == ' ' || *v == '\t')) v++;
    while (vend > v && (vend[-1] == ' ' || vend[-1] == '\t')) vend--;
    {
      size_t nlen = (size_t)(colon - line);
      size_t vlen = (size_t)(vend - v);
      if (wxpay__http_ieq(line, nlen, "content-length")) {
        unsigned long long x = 0;
        size_t k;
        if (cut && (e = wxpay__http_head_bytes(r, n, cut, &head)) != WXPAY_NET_OK)
          return e;
        if (vlen == 0 || cut) return WXPAY_NET_IO;
        for (k = 0; k < vlen; k++) {
          if (v[k] < '0' || v[k] > '9') return WXPAY_NET_IO;
          if (x > 0xffffffffffffffffull / 10u - 1u) return WXPAY_NET_IO;
          x = x * 10u + (unsigned)(v[k] - '0');
        }
        if (*has_len && x != *clen) return WXPAY_NET_IO;
        *has_len = 1;
        *clen = x;
      } else if (wxpay__http_ieq(line, nlen, "transfer-encoding")) {
        /* chunked when it is the last coding named */
        const char *t = vend;
        while (t > v && t[-1] != ',' && t[-1] != ' ' && t[-1] != '\t') t--;
        *chunked = wxpay__http_ieq(t, (size_t)(vend - t), "chunked");
        if (!*chunked) *chunked = -1; /* another coding: read to close */
      }
      if (resp->headers) {
        size_t s;
        for (s = 0; s < resp->header_count; s++) {
          wxpay_header_slot *slot = &resp->headers[s];
          size_t take;
          if (slot->found || !slot->name ||
              !wxpay__http_ieq(line, nlen, slot->name))
            continue;
          slot->found = 1;
          take = vlen;
          if (slot->value && slot->cap > 0) {
            if (take > slot->cap - 1) take = slot->cap - 1;
            memcpy(slot->value, v, take);
            slot->value[take] = '\0';
          } else {
            take = 0;
          }
          slot->len = take;
        }
      }
    }
    if ((e = wxpay__http_head_bytes(r, n, cut, &head)) != WXPAY_NET_OK) return e;
  }
}

WXPAY_HTTP_DEF wxpay_net wxpay_http_exchange(const wxpay_stream *stream,
                                             const wxpay_url *url,
                                             const wxpay_http_req *req,
                                             wxpay_http_resp *resp,
                                             unsigned long start_ms,
                                             unsigned timeout_ms) {
  wxpay__http_wr w;
  wxpay__http_rd r;
  wxpay_net e;
  int chunked = 0, has_len = 0;
  unsigned long long clen = 0;
  size_t i;

  if (!stream || !stream->send || !stream->recv || !url || !req || !resp)
    return WXPAY_NET_IO;
  resp->status = 0;
  resp->body_len = 0;
  if (resp->headers)
    for (i = 0; i < resp->header_count; i++) {
      resp->headers[i].found = 0;
      resp->headers[i].len = 0;
      if (resp->headers[i].value && resp->headers[i].cap)
        resp->headers[i].value[0] = '\0';
    }
  if (!resp->body && resp->body_cap) return WXPAY_NET_IO;
  if (timeout_ms == 0) timeout_ms = WXPAY_HTTP_DEFAULT_TIMEOUT_MS;

  w.s = stream;
  w.start = start_ms;
  w.total = timeout_ms;
  w.len = 0;
  w.net = WXPAY_NET_OK;
  e = wxpay__http_write_request(&w, url, req);
  if (e != WXPAY_NET_OK) return e;

  /* the writer's buffer is free now: read with it */
  r.s = stream;
  r.start = start_ms;
  r.total = timeout_ms;
  r.buf = w.buf;
  r.cap = sizeof w.buf;
  r.pos = r.len = 0;
  r.eof = 0;
  for (;;) {
    e = wxpay__http_head(&r, resp, &chunked, &has_len, &clen);
    if (e != WXPAY_NET_OK) return e;
    if (resp->status >= 200) break;
    if (resp->status == 101) return WXPAY_NET_IO; /* we never ask to switch */
    /* 1xx interim response: the real one follows; forget its headers */
    if (resp->headers)
      for (i = 0; i < resp->header_count; i++) {
        resp->headers[i].found = 0;
        resp->headers[i].len = 0;
      }
  }
  if (resp->status == 204 || resp->status == 304)
    e = WXPAY_NET_OK;
  else if (chunked == 1)
    e = wxpay__http_chunked(&r, resp);
  else if (has_len && chunked == 0) {
    if (clen > (unsigned long long)resp->body_cap) return WXPAY_NET_TOO_LARGE;
    e = wxpay__http_body_bytes(&r, resp, clen);
  } else
    e = wxpay__http_to_close(&r, resp);
  if (e == WXPAY_NET_OK && resp->body && resp->body_len < resp->body_cap)
    resp->body[resp->body_len] = '\0'; /* a courtesy; body_len is the size */
  return e;
}

/* >>sockets ------------------------------------------------------------- */
#ifndef WXPAY_HTTP_NO_POSIX

static int wxpay__http_poll_ms(unsigned ms) {
  return ms > (unsigned)INT_MAX ? INT_MAX : (int)ms;
}

/* Waits for events on fd for at most ms: 1 ready, 0 timed out, -1 error. */
static int wxpay__http_wait(int fd, short events, unsigned ms) {
  unsigned long start = wxpay_http_now_ms(NULL);
  for (;;) {
    struct pollfd p;
    unsigned long used = wxpay_http_now_ms(NULL) - start;
    int rc;
    if (used >= (unsigned long)ms) return 0;
    p.fd = fd;
    p.events = events;
    p.revents = 0;
    rc = poll(&p, 1, wxpay__http_poll_ms((unsigned)((unsigned long)ms - used)));
    if (rc > 0) return 1;
    if (rc == 0) return 0;
    if (errno != EINTR) return -1;
  }
}

static wxpay_net wxpay__socket_send(void *ctx, const unsigned char *data,
                                    size_t len, size_t *sent,
                                    unsigned timeout_ms) {
  wxpay_socket *sock = (wxpay_socket *)ctx;
  int flags = 0;
#ifdef MSG_NOSIGNAL
  flags |= MSG_NOSIGNAL; /* a peer that hung up must not kill us */
#endif
  *sent = 0;
  for (;;) {
    ssize_t k;
    int w = wxpay__http_wait(sock->fd, POLLOUT, timeout_ms);
    if (w == 0) return WXPAY_NET_TIMEOUT;
    if (w < 0) return WXPAY_NET_IO;
    k = send(sock->fd, data, len, flags);
    if (k > 0) {
      *sent = (size_t)k;
      return WXPAY_NET_OK;
    }
    if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
      continue; /* spurious wake-up; the budget is enforced by the caller */
    return WXPAY_NET_IO;
  }
}

static wxpay_net wxpay__socket_recv(void *ctx, unsigned char *buf, size_t cap,
                                    size_t *got, unsigned timeout_ms) {
  wxpay_socket *sock = (wxpay_socket *)ctx;
  *got = 0;
  for (;;) {
    ssize_t k;
    int w = wxpay__http_wait(sock->fd, POLLIN, timeout_ms);
    if (w == 0) return WXPAY_NET_TIMEOUT;
    if (w < 0) return WXPAY_NET_IO;
    k = recv(sock->fd, buf, cap, 0);
    if (k >= 0) {
      *got = (size_t)k;
      return WXPAY_NET_OK;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) continue;
    return WXPAY_NET_IO;
  }
}

static unsigned long wxpay__socket_now(void *ctx) {
  (void)ctx;
  return wxpay_http_now_ms(NULL);
}

WXPAY_HTTP_DEF void wxpay_socket_stream(wxpay_socket *sock, wxpay_stream *out) {
  out->ctx = sock;
  out->send = wxpay__socket_send;
  out->recv = wxpay__socket_recv;
  out->now_ms = wxpay__socket_now;
}

WXPAY_HTTP_DEF void wxpay_socket_close(wxpay_socket *sock) {
  if (sock && sock->fd >= 0) {
    close(sock->fd);
    sock->fd = -1;
  }
}

static wxpay_net wxpay__socket_errno(int err) {
  switch (err) {
  case ETIMEDOUT: return WXPAY_NET_TIMEOUT;
  default: return WXPAY_NET_CONNECT; /* refused, unreachable, reset, ... */
  }
}

WXPAY_HTTP_DEF wxpay_net wxpay_socket_connect(wxpay_socket *sock,
                                              const char *host,
                                              unsigned short port,
                                              unsigned timeout_ms) {
  struct addrinfo hints, *list = NULL, *ai;
  char service[8];
  unsigned long start = wxpay_http_now_ms(NULL);
  wxpay_net result = WXPAY_NET_CONNECT;
  int rc;
  if (!sock) return WXPAY_NET_IO;
  sock->fd = -1;
  if (!host || !*host) return WXPAY_NET_DNS;
  if (timeout_ms == 0) timeout_ms = WXPAY_HTTP_DEFAULT_CONNECT_MS;
  {
    unsigned v = port;
    size_t i = sizeof service - 1;
    service[i] = '\0';
    do {
      service[--i] = (char)('0' + (int)(v % 10u));
      v /= 10u;
    } while (v && i > 0);
    memmove(service, service + i, sizeof service - i);
  }
  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV; /* not AI_ADDRCONFIG: it hides loopback
                                      on hosts without other addresses */
  rc = getaddrinfo(host, service, &hints, &list);
  if (rc != 0 || !list) {
    if (list) freeaddrinfo(list);
    return WXPAY_NET_DNS;
  }
  for (ai = list; ai; ai = ai->ai_next) {
    unsigned long used = wxpay_http_now_ms(NULL) - start;
    unsigned left;
    int fd, fl, one = 1;
    if (used >= (unsigned long)timeout_ms) {
      result = WXPAY_NET_TIMEOUT;
      break;
    }
    left = (unsigned)((unsigned long)timeout_ms - used);
    fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
    if (fd < 0) continue;
    (void)fcntl(fd, F_SETFD, FD_CLOEXEC);
    fl = fcntl(fd, F_GETFL, 0);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
      close(fd);
      result = WXPAY_NET_IO;
      continue;
    }
#ifdef SO_NOSIGPIPE
    (void)setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof one);
#endif
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
      sock->fd = fd;
      result = WXPAY_NET_OK;
      break;
    }
    if (errno == EINPROGRESS || errno == EINTR) {
      int w = wxpay__http_wait(fd, POLLOUT, left);
      if (w == 1) {
        int err = 0;
        socklen_t elen = sizeof err;
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) == 0 &&
            err == 0) {
          sock->fd = fd;
          result = WXPAY_NET_OK;
          break;
        }
        result = wxpay__socket_errno(err);
      } else if (w == 0) {
        result = WXPAY_NET_TIMEOUT;
      } else {
        result = WXPAY_NET_CONNECT;
      }
    } else {
      result = wxpay__socket_errno(errno);
    }
    close(fd);
    if (result == WXPAY_NET_TIMEOUT) break; /* the budget is spent */
  }
  freeaddrinfo(list);
  return result;
}

WXPAY_HTTP_DEF wxpay_net wxpay_socket_open(void *user, const char *host,
                                           unsigned short port,
                                           unsigned timeout_ms,
                                           wxpay_stream *out) {
  wxpay_socket *sock = (wxpay_socket *)user;
  wxpay_net e = wxpay_socket_connect(sock, host, port, timeout_ms);
  if (e == WXPAY_NET_OK) wxpay_socket_stream(sock, out);
  return e;
}

WXPAY_HTTP_DEF void wxpay_socket_release(void *user, wxpay_stream *stream) {
  (void)stream;
  wxpay_socket_close((wxpay_socket *)user);
}

WXPAY_HTTP_DEF wxpay_net wxpay_socket_transport(void *user,
                                                const wxpay_http_req *req,
                                                wxpay_http_resp *resp) {
  wxpay_url url;
  wxpay_socket sock;
  wxpay_stream stream;
  unsigned long start = wxpay_http_now_ms(NULL);
  unsigned total, conn, left;
  wxpay_net e;
  (void)user;
  if (!req || !resp || !req->url) return WXPAY_NET_IO;
  resp->status = 0;
  resp->body_len = 0;
  if (wxpay_url_parse(req->url, &url) != 0 || url.https) return WXPAY_NET_IO;
  total = req->timeout_ms ? req->timeout_ms : WXPAY_HTTP_DEFAULT_TIMEOUT_MS;
  conn = req->connect_timeout_ms ? req->connect_timeout_ms
                                 : WXPAY_HTTP_DEFAULT_CONNECT_MS;
  e = wxpay_socket_connect(&sock, url.host, url.port,
                           conn < total ? conn : total);
  if (e != WXPAY_NET_OK) return e;
  left = wxpay__http_left(NULL, start, total);
  if (left == 0) {
    wxpay_socket_close(&sock);
    return WXPAY_NET_TIMEOUT;
  }
  wxpay_socket_stream(&sock, &stream);
  e = wxpay_http_exchange(&stream, &url, req, resp, start, total);
  wxpay_socket_close(&sock);
  return e;
}

#endif /* WXPAY_HTTP_NO_POSIX */
#endif /* WXPAY_HTTP_IMPLEMENTED */
#endif /* WXPAY_HTTP_IMPLEMENTATION */
