#!/bin/sh
# mkrsa.sh DIR -- throw-away RSA material for the APIv3 signer/verifier
# tests (tests/adapters/rsa_test.c), made at test time with the openssl
# command. Nothing here is ever committed: DIR lives under build/.
#
#   merchant.key        RSA-2048, PKCS#8        merchant_rsa.key  the same, PKCS#1
#   merchant.pem        self-signed certificate merchant_pub.pem  its public key
#   platform.key/.pem   RSA-2048, certificate with a 40-hex-digit serial;
#   platform.serial     that serial as `openssl x509 -serial` prints it
#   platform_pub.pem    "PUBLIC KEY"            platform_rsapub.pem  "RSA PUBLIC KEY"
#   other.key/.pem      an unrelated RSA-2048 key, certificate serial 0A...
#   other.serial        (a leading zero digit, 40 digits), other_pub.pem
#   big.key             RSA-4096 (the largest accepted)
#   small.key/.pem      RSA-1024 (refused)      small_pub.pem
#   ec.key/.pem         EC P-256 (refused)      ec_pub.pem
#   enc.key             merchant.key encrypted, PKCS#8
#   enc_rsa.key         merchant.key encrypted, traditional PEM (Proc-Type)
#   garbage.pem         PEM armour around text that is not base64
#   random.bin          1200 random bytes        empty.pem  nothing
#   big.pem             65537 bytes (over the loaders' file limit)
#   msg.txt             an APIv3 signing message; msg.sha256 its SHA-256
#   msg2.sha256         the SHA-256 of another message
#   sig_platform.bin    msg.txt signed by platform.key (openssl dgst)
#   sig_other.bin       msg.txt signed by other.key
#   sig_cmd.bin         msg.txt signed by merchant.key
#   sig_cmd_4096.bin    msg.txt signed by big.key
set -eu
if [ $# -ne 1 ]; then
  echo "usage: sh $0 DIR" >&2
  exit 2
fi
command -v openssl > /dev/null 2>&1 || { echo "mkrsa.sh: openssl not found" >&2; exit 3; }
dir=$1
mkdir -p "$dir"
cd "$dir"
umask 077
log=mkrsa.log
: > "$log"
o() { openssl "$@" >> "$log" 2>&1 < /dev/null; }

rsa() { # name bits
  o genpkey -algorithm RSA -pkeyopt "rsa_keygen_bits:$2" -out "$1.key"
}
cert() { # name serial-hex
  o req -x509 -new -key "$1.key" -sha256 -days 2 -set_serial "0x$2" \
    -subj "/O=wxpay_close tests/CN=$1 (throw-away)" -out "$1.pem"
}
pub() { # name
  o pkey -in "$1.key" -pubout -out "${1}_pub.pem"
}
# a 40-hex-digit serial starting with the digits PREFIX (uppercase, like
# WeChat Pay's); a nonzero first byte keeps all 40 digits in what openssl
# prints
serial40() { # PREFIX
  printf '%s%s' "$1" "$(openssl rand -hex 20 | cut -c$((${#1} + 1))-40)" | tr a-f A-F
}

# the slow key generations side by side
rsa merchant 2048 & p1=$!
rsa platform 2048 & p2=$!
rsa other 2048 & p3=$!
rsa big 4096 & p4=$!
rsa small 1024
o genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ec.key
wait $p1; wait $p2; wait $p3; wait $p4

o rsa -in merchant.key -traditional -out merchant_rsa.key
cert merchant "$(serial40 3)"
pub merchant
cert platform "$(serial40 5)"
pub platform
o rsa -in platform.key -RSAPublicKey_out -out platform_rsapub.pem
cert other "$(serial40 0A)"
pub other
cert small "$(serial40 6)"
pub small
cert ec "$(serial40 7)"
pub ec
for n in platform other; do
  openssl x509 -in "$n.pem" -noout -serial | sed 's/^serial=//' > "$n.serial"
done
o pkey -in merchant.key -aes256 -passout pass:secret -out enc.key
o rsa -in merchant.key -aes256 -traditional -passout pass:secret -out enc_rsa.key

printf -- '-----BEGIN PRIVATE KEY-----\nthis is not base64 at all!\n-----END PRIVATE KEY-----\n' > garbage.pem
openssl rand 1200 > random.bin
: > empty.pem
head -c 65537 /dev/zero | tr '\0' 'A' > big.pem

printf 'POST\n/v3/combine-transactions/out-trade-no/P20150806125346/close\n1554208460\n593BEC0C930BF1AFEB40B4A08C8FB242\n{"combine_appid":"wxd678efh567hg6787","sub_orders":[{"mchid":"1900000109","out_trade_no":"20150806125346"}]}\n' > msg.txt
openssl dgst -sha256 -binary msg.txt > msg.sha256
printf '1554209980\nc5ac7061fccab6bf3e254dcf98995b8c\n\n' | openssl dgst -sha256 -binary > msg2.sha256
o dgst -sha256 -sign platform.key -out sig_platform.bin msg.txt
o dgst -sha256 -sign other.key -out sig_other.bin msg.txt
o dgst -sha256 -sign merchant.key -out sig_cmd.bin msg.txt
o dgst -sha256 -sign big.key -out sig_cmd_4096.bin msg.txt
chmod 644 ./*.pem ./*.bin ./*.serial ./*.sha256 msg.txt
echo ok >> "$log"
