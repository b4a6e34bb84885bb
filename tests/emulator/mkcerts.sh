#!/bin/sh
# mkcerts.sh DIR -- make a throw-away test PKI for the emulator, at test time.
#
#   ca.pem / ca.key                 test CA (trust this one in clients)
#   server.pem / server.key         leaf for SAN DNS:localhost, IP:127.0.0.1
#   wronghost.pem / wronghost.key   leaf for SAN DNS:wrong.invalid (same CA)
#   other-ca.pem / other-ca.key     an unrelated CA (a client trusting only it
#                                   must refuse the emulator)
#   ip-only.pem / .key              leaf for SAN IP:127.0.0.1 only
#   ip-other.pem / .key             leaf for SAN IP:127.0.0.2 only
#   dns-only.pem / .key             leaf for SAN DNS:localhost only
#   ipv6-only.pem / .key            leaf for SAN IP:::1 only
#
# and the APIv3 signing identities (self-signed, 40-hex-digit serials):
#
#   merchant.key                    the merchant's private key (PKCS#8 PEM)
#   merchant.pem / merchant_pub.pem its certificate / public key
#   merchant.serial                 the certificate serial, uppercase hex, as
#                                   `openssl x509 -noout -serial` prints it
#   platform.key / .pem / .serial / platform_pub.pem
#                                   WeChat Pay's platform key (signs answers)
#   platform2.key / .pem / .serial / platform2_pub.pem
#                                   an unrelated second platform key (faults)
#   platform_pubkey.key / platform_pubkey_pub.pem / platform_pubkey.id
#                                   the "WeChat Pay public key" (微信支付公钥):
#                                   a key pair without a certificate, named by
#                                   an id PUB_KEY_ID_ + 34 digits (01, the
#                                   10-digit mchid 1900000109, the date
#                                   yyyymmdd, 14 random digits), the form of
#                                   the ids seen in public code
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

# An APIv3 identity: PKCS#8 key, self-signed certificate with the given
# 40-hex-digit serial, the serial file and the public key.
mkid() { # name serial cn
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1.key" &&
  openssl req -x509 -new -sha256 -days "$days" -key "$1.key" -out "$1.pem" \
    -set_serial "0x$2" -subj "/O=wxpay_close tests/CN=$3" &&
  openssl x509 -noout -serial -in "$1.pem" | sed 's/^serial=//' > "$1.serial" &&
  openssl pkey -in "$1.key" -pubout -out "$1_pub.pem"
}

# 40 uppercase hex digits; the fixed first digit (1-7) keeps the number
# positive and without a leading zero byte, so openssl prints all 40.
serial40() { # first-digit
  printf '%s%s\n' "$1" "$(openssl rand -hex 20 | cut -c2-40 | tr 'a-f' 'A-F')"
}

# The three key generations run in the background while the TLS PKI is made.
mkid merchant "$(serial40 3)" "wxpay_close test merchant (throw-away)" >mkid-merchant.log 2>&1 &
pid_m=$!
mkid platform "$(serial40 5)" "WeChat Pay test platform (throw-away)" >mkid-platform.log 2>&1 &
pid_p=$!
mkid platform2 "$(serial40 6)" "unrelated test platform (throw-away)" >mkid-platform2.log 2>&1 &
pid_p2=$!
# The WeChat Pay public key: no certificate, an id instead of a serial.
mkpub() { # name
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1.key" &&
  openssl pkey -in "$1.key" -pubout -out "$1_pub.pem" &&
  printf 'PUB_KEY_ID_011900000109%s%s\n' "$(date -u +%Y%m%d)" \
    "$(od -An -N14 -tu1 /dev/urandom | tr -s ' ' '\n' | grep . | sed 's/.*\(.\)$/\1/' | tr -d '\n')" \
    > "$1.id"
}
mkpub platform_pubkey >mkid-platform_pubkey.log 2>&1 &
pid_pk=$!

mkca ca "wxpay_close emulator test CA (throw-away)"
mkca other-ca "unrelated test CA (throw-away)"
mkleaf server "DNS:localhost, IP:127.0.0.1"
mkleaf wronghost "DNS:wrong.invalid"
# for the IP-address certificate tests (tests/adapters/tls_server.py)
mkleaf ip-only "IP:127.0.0.1"
mkleaf ip-other "IP:127.0.0.2"
mkleaf dns-only "DNS:localhost"
mkleaf ipv6-only "IP:::1"
chmod 644 ./*.pem
openssl verify -CAfile ca.pem server.pem wronghost.pem ip-only.pem ip-other.pem \
  dns-only.pem ipv6-only.pem >>"$log" 2>&1 ||
  { echo "mkcerts.sh: verification failed, see $dir/$log" >&2; exit 1; }

ok=1
for id in merchant:$pid_m platform:$pid_p platform2:$pid_p2 platform_pubkey:$pid_pk; do
  name=${id%%:*}
  if ! wait "${id#*:}"; then
    echo "mkcerts.sh: making the $name identity failed: $(tr '\n' ' ' < "mkid-$name.log")" >&2
    ok=0
  fi
  cat "mkid-$name.log" >>"$log"
  rm -f "mkid-$name.log"
done
[ $ok = 1 ] || exit 1
for name in merchant platform platform2; do
  grep -qx '[0-9A-F]\{40\}' "$name.serial" ||
    { echo "mkcerts.sh: $name.serial is not 40 hex digits: $(cat "$name.serial")" >&2; exit 1; }
done
grep -qx 'PUB_KEY_ID_[0-9]\{34\}' platform_pubkey.id ||
  { echo "mkcerts.sh: platform_pubkey.id is not PUB_KEY_ID_ and 34 digits: $(cat platform_pubkey.id)" >&2; exit 1; }
chmod 644 ./*.pem ./*.serial ./*.id
