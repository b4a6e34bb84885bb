#!/bin/sh
# make demo -- the main job, on the bundled default: start the local WeChat
# Pay emulator (tests/emulator/) on a free loopback port, close a combined
# order through wxpay-close (a real HTTP exchange: signed request, verified
# answer), show a second close, a paid order and two too-early closes, then
# the same over APIv3 when the tool has an RSA signer and the openssl command
# is there to make throw-away keys (else it says why it skips that part),
# and end with a paid combined order settled (the close answers ORDERPAID,
# a query names the paid sub-orders, transaction ids and amounts); stop the
# emulator again. Needs only what `make` built, and python3.
#
# WXPAY_CLI=path/to/wxpay-close picks another build of the tool (the tests
# use a socket-only build to play a machine without libcurl and mbedTLS).
set -u
cd "$(dirname "$0")/.." || exit 1

cli=${WXPAY_CLI:-build/wxpay-close}
if [ ! -x "$cli" ]; then
  echo "demo: $cli is missing: run make first" >&2
  exit 1
fi
if ! command -v python3 >/dev/null 2>&1; then
  echo "demo: python3 is needed for the local emulator" >&2
  exit 1
fi
# a private scratch directory: two demos (or a demo and the tests) never meet
dir=$(mktemp -d "${TMPDIR:-/tmp}/wxpay-demo.XXXXXX") || exit 1

# APIv3 needs an RSA signer built into the tool and throw-away keys for the
# merchant and the emulated platform (made by the openssl command)
v3_skip=
case $("$cli" --version) in
  *"v3 signer: none"*) v3_skip="this wxpay-close has no RSA signer (libssl-dev or libmbedtls-dev was missing at build time)" ;;
esac
if [ -z "$v3_skip" ] && ! command -v openssl >/dev/null 2>&1; then
  v3_skip="the openssl command, which makes the demo's throw-away keys, is missing"
fi
certs=
if [ -z "$v3_skip" ]; then
  if sh tests/emulator/mkcerts.sh "$dir/certs" >"$dir/mkcerts.log" 2>&1; then
    certs="--certs $dir/certs"
  else
    v3_skip="making the throw-away keys failed (see tests/emulator/mkcerts.sh)"
  fi
fi

# the emulator, on free ports (examples/emulator.sh)
. examples/emulator.sh
# shellcheck disable=SC2086 # $certs is empty or two words
emulator_start demo 600 $certs
endpoint="http://127.0.0.1:$port/pay/closecombinedorder"

# The emulator's default merchant (tests/emulator/default_state.json). This
# key is the public sample key of WeChat Pay's documentation, not a secret.
WXPAY_API_KEY=192006250b4c09247ec02edce69f6a2d
export WXPAY_API_KEY
appid=wx8888888888888888
mchid=1900000109

status=0
# step TITLE EXPECTED_EXIT ARGS... : show the command, run it, show the exit
step() {
  title=$1 want=$2
  shift 2
  echo
  echo "== $title"
  echo "\$ wxpay-close --appid $appid --mchid $mchid $*"
  "$cli" --appid "$appid" --mchid "$mchid" "$@" >"$dir/stdout" 2>"$dir/stderr"
  rc=$?
  sed 's/^/  | /' "$dir/stderr"   # the log comes first: it happened first
  cat "$dir/stdout"
  echo "(exit $rc)"
  if [ "$rc" -ne "$want" ]; then
    echo "demo: expected exit $want" >&2
    status=1
  fi
}

echo "wxpay-close demo: a local WeChat Pay emulator on 127.0.0.1:$port (plain HTTP, loopback only)"
echo "merchant $mchid, appid $appid, key from \$WXPAY_API_KEY (the emulator's test key)"
echo "this wxpay-close: $("$cli" --version)"

step "1. Close an open combined order (--verbose logs the exchange on stderr)" 0 \
  --order DEMO_OPEN_0001 --sub 1900009001:OD_OPEN_0001 --endpoint "$endpoint" --verbose
transport=$(sed -n 's/^wxpay-close: transport \([a-z]*\);.*/\1/p' "$dir/stderr")

step "2. Close it again: already closed is success too" 0 \
  --order DEMO_OPEN_0001 --sub 1900009001:OD_OPEN_0001 --endpoint "$endpoint"

step "3. An order the customer has paid: never reissue it" 3 \
  --order DEMO_PAID_0001 --sub 1900009001:OD_PAID_0001 --endpoint "$endpoint"

step "4. Too early: created seconds ago, the server refuses (one attempt)" 4 \
  --order DEMO_YOUNG_0001 --sub 1900009001:OD_YOUNG_0001 --endpoint "$endpoint" --attempts 1

created=$(($(date +%s) - 15))
step "5. Too early, caught before sending: --created-at says the order is 15 s old" 4 \
  --order DEMO_MULTI_0001 --sub 1900009001:OD_MULTI_0001_A --sub 1900009002:OD_MULTI_0001_B \
  --sub 1900009003:OD_MULTI_0001_C --endpoint "$endpoint" --created-at "$created"

step "6. The same for a script: --json (a three-sub-order close)" 0 \
  --order DEMO_MULTI_0001 --sub 1900009001:OD_MULTI_0001_A --sub 1900009002:OD_MULTI_0001_B \
  --sub 1900009003:OD_MULTI_0001_C --endpoint "$endpoint" --json

# step3 TITLE EXPECTED_EXIT ARGS... : the same for --api v3
step3() {
  title=$1 want=$2
  shift 2
  echo
  echo "== $title"
  echo "\$ wxpay-close --api v3 --mchid $mchid --serial \$(cat merchant.serial) --private-key merchant.key --platform-cert platform.pem --combine-appid $appid $*"
  "$cli" --api v3 --mchid "$mchid" --serial "$(cat "$dir/certs/merchant.serial")" \
    --private-key "$dir/certs/merchant.key" --platform-cert "$dir/certs/platform.pem" \
    --combine-appid "$appid" "$@" >"$dir/stdout" 2>"$dir/stderr"
  rc=$?
  sed 's/^/  | /' "$dir/stderr"
  cat "$dir/stdout"
  echo "(exit $rc)"
  if [ "$rc" -ne "$want" ]; then
    echo "demo: expected exit $want" >&2
    status=1
  fi
}

if [ -z "$v3_skip" ]; then
  v3host="http://127.0.0.1:$port"
  step3 "7. APIv3: close an order (RSA-signed request; the answer's platform signature is checked)" 0 \
    --combine-out-trade-no V3_OPEN_0001 --sub-order 1900009001:OD_V3_OPEN_0001 --endpoint "$v3host"
  step3 "8. APIv3: close it again (ORDER_CLOSED: already closed)" 0 \
    --combine-out-trade-no V3_OPEN_0001 --sub-order 1900009001:OD_V3_OPEN_0001 --endpoint "$v3host"
  step3 "9. APIv3: an answer without the platform's signature is not believed" 6 \
    --combine-out-trade-no V3_MULTI_0001 --sub-order 1900009001:OD_V3_MULTI_0001_A \
    --sub-order 1900009002:OD_V3_MULTI_0001_B --endpoint "$v3host/v3nosign"
else
  echo
  echo "== APIv3 part skipped: $v3_skip"
fi
step "10. A paid two-sub-order combined order, settled: the close answers ORDERPAID, a query names what was paid" 3 \
  --order DEMO_QUERY_PAID_0001 --sub 1900009001:OD_QUERY_PAID_0001_A \
  --sub 1900009002:OD_QUERY_PAID_0001_B --endpoint "$endpoint"

stop_emulator
echo
if [ "$transport" = socket ]; then
  echo "Transport used: socket (plain HTTP over POSIX sockets: libcurl and mbedTLS were not"
  echo "found at build time; WeChat Pay itself needs https://, so install libcurl or mbedTLS"
  echo "development files and run make again before using the real endpoint)."
else
  echo "Transport used: ${transport:-unknown} (plain HTTP here, to the local emulator)."
fi
echo "Emulator stopped. Exit statuses: 0 closed/already closed, 2 usage, 3 paid,"
echo "4 retry later, 5 rejected, 6 untrustworthy response, 7 no APIv3 signer built in"
echo "(see wxpay-close --help)."
exit "$status"
