#!/usr/bin/env python3
"""tls_server.py -- HTTPS listeners, one per test certificate, for the
certificate-name tests of tests/adapters/run.sh (IP-address certificates).

    python3 tests/adapters/tls_server.py --certs DIR --port-file FILE NAME...

For each NAME, serves DIR/NAME.pem + DIR/NAME.key on a free port of 127.0.0.1
and, when the machine has IPv6 loopback, on a free port of ::1. Writes one JSON line to FILE once listening:
{"NAME": {"v4": PORT, "v6": PORT or null}, ...}. Every TLS connection that
completes its handshake and sends a request gets "HTTP/1.1 200 OK" with the
body "ok" and the header X-Requests: the number of requests that reached any
listener so far (a refused handshake sends none), not counting requests for
/_count. Runs until SIGTERM.
Python 3 standard library only; loopback only.
"""
import argparse
import json
import os
import signal
import socket
import ssl
import sys
import threading

requests_seen = 0
lock = threading.Lock()


def serve_one(conn, ctx):
    global requests_seen
    try:
        conn.settimeout(10)
        tls = ctx.wrap_socket(conn, server_side=True)
    except (ssl.SSLError, OSError):
        conn.close()
        return
    try:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = tls.recv(4096)
            if not chunk:
                return
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            k, _, v = line.partition(b":")
            if k.strip().lower() == b"content-length":
                length = int(v.strip())
        while len(body) < length:
            chunk = tls.recv(4096)
            if not chunk:
                break
            body += chunk
        with lock:
            if b" /_count " not in head.split(b"\r\n")[0]:
                requests_seen += 1
            count = requests_seen
        tls.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n"
                    b"X-Requests: " + str(count).encode() + b"\r\nConnection: close\r\n\r\nok")
    except (ssl.SSLError, OSError, ValueError):
        pass
    finally:
        try:
            tls.close()
        except OSError:
            pass


def listen(family, addr, ctx):
    s = socket.socket(family, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, 0))
    s.listen(16)

    def loop():
        while True:
            try:
                conn, _ = s.accept()
            except OSError:
                return
            threading.Thread(target=serve_one, args=(conn, ctx), daemon=True).start()

    threading.Thread(target=loop, daemon=True).start()
    return s.getsockname()[1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--certs", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("names", nargs="+")
    a = ap.parse_args()
    ports = {}
    for name in a.names:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(os.path.join(a.certs, name + ".pem"), os.path.join(a.certs, name + ".key"))
        v4 = listen(socket.AF_INET, "127.0.0.1", ctx)
        try:
            v6 = listen(socket.AF_INET6, "::1", ctx)
        except OSError:
            v6 = None
        ports[name] = {"v4": v4, "v6": v6}
    tmp = a.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(json.dumps(ports) + "\n")
    os.replace(tmp, a.port_file)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    done.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
