#!/bin/sh
# mkcerts.sh DIR -- make a throw-away test PKI for the emulator, at test time.
#
#   ca.pem / ca.key                 test CA (trust this one in clients)
#   server.pem / server.key         leaf for SAN DNS:localhost, IP:127.0.0.1
#   wronghost.pem / wronghost.key   leaf for SAN DNS:wrong.invalid (same CA)
#   other-ca.pem / other-ca.key     an unrelated CA (a client trusting only it
#                                   must refuse the emulator)
#
# RSA 2048, valid 2 days. Nothing here is ever committed: DIR lives under
# build/ (git-ignored) or a temporary directory.
set -eu
if [ $# -ne 1 ]; then
  echo "usage: sh $0 DIR" >&2
  exit 2
fi
command -v openssl >/dev/null 2>&1 || { echo "mkcerts.sh: openssl not found" >&2; exit 3; }
dir=$1
mkdir -p "$dir"
cd "$dir"
umask 077
days=2
log=mkcerts.log
: > "$log"

mkca() { # name cn
  openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days "$days" \
    -keyout "$1.key" -out "$1.pem" -subj "/O=wxpay_close tests/CN=$2" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" >>"$log" 2>&1
}

mkleaf() { # name san
  cat > "$1.ext" <<X
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
subjectAltName = $2
X
  openssl req -new -newkey rsa:2048 -nodes -sha256 -keyout "$1.key" -out "$1.csr" \
    -subj "/O=wxpay_close tests/CN=$1 (throw-away)" >>"$log" 2>&1
  openssl x509 -req -sha256 -days "$days" -in "$1.csr" -CA ca.pem -CAkey ca.key \
    -set_serial "0x$(openssl rand -hex 8)" -extfile "$1.ext" -out "$1.pem" >>"$log" 2>&1
  rm -f "$1.csr" "$1.ext"
}

mkca ca "wxpay_close emulator test CA (throw-away)"
mkca other-ca "unrelated test CA (throw-away)"
mkleaf server "DNS:localhost, IP:127.0.0.1"
mkleaf wronghost "DNS:wrong.invalid"
chmod 644 ./*.pem
openssl verify -CAfile ca.pem server.pem wronghost.pem >>"$log" 2>&1 ||
  { echo "mkcerts.sh: verification failed, see $dir/$log" >&2; exit 1; }
