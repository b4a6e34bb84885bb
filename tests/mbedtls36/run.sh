#!/bin/sh
# tests/mbedtls36/run.sh -- the mbedTLS adapter against Mbed TLS 3.6 LTS, the
# line ESP-IDF 5 and current Zephyr ship (Debian 12 has only 2.28, which
# tests/adapters/run.sh uses).
#
# 1. Builds the three libraries of the 3.6.6 release tree (github.com/
#    Mbed-TLS/mbedtls, tag v3.6.6) from a tarball into build/mbedtls-3.6.6/,
#    once: a later run reuses the build while the tarball's SHA-256 is the
#    same. WXPAY_MBEDTLS36_TARBALL names the tarball.
# 2. Runs every test of tests/adapters/run.sh that involves mbedTLS (the
#    builds, the TLS transport against the emulator, the IP-address
#    certificates, the RSA signer/verifier against the openssl command, APIv3
#    end to end) with 3.6.6's headers and static libraries: the same tests,
#    their names ending in _mbedtls36.
# 3. Builds wxpay-close through examples/examples.mk with MBEDTLS_CFLAGS /
#    MBEDTLS_LIBS pointing at the .a files (mbedTLS as its only transport and
#    signer) and closes a v2 and a v3 order over TLS against the emulator.
#
# One line per test (tests/CONVENTIONS.md). No tarball, xz or make: SKIP.
cd "$(dirname "$0")/../.." || exit 2
VER=3.6.6
TARBALL=${WXPAY_MBEDTLS36_TARBALL:-/work/shared/vendor/mbedtls-$VER.tar.xz}
M=build/mbedtls-$VER
B=build/mbedtls36
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY

pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }
skip() { echo "SKIP $1: $2"; }
peek() { head -c 400 "$1" 2>/dev/null | tr '\n' ' '; }

if [ ! -f "$TARBALL" ]; then
  skip mbedtls36 "no Mbed TLS $VER release tarball at $TARBALL (set WXPAY_MBEDTLS36_TARBALL)"
  exit 0
fi
for tool in xz make python3 openssl; do
  command -v $tool > /dev/null 2>&1 || { skip mbedtls36 "$tool not installed"; exit 0; }
done
mkdir -p build "$B"

# ------------------------------------------------------- 1. the libraries --
sum=$(sha256sum "$TARBALL" | cut -d' ' -f1)
LIBS="$M/library/libmbedtls.a $M/library/libmbedx509.a $M/library/libmbedcrypto.a"
if [ "$(cat "$M/.built-from" 2> /dev/null)" = "$sum" ]; then
  echo "note: Mbed TLS $VER already built in $M (cached)"
else
  rm -rf "$M" "$M.tmp"
  mkdir -p "$M.tmp"
  start=$(date +%s)
  if xz -dc "$TARBALL" | tar -x -C "$M.tmp" -f - &&
     [ -d "$M.tmp/mbedtls-$VER/library" ] &&
     make -C "$M.tmp/mbedtls-$VER/library" -j2 libmbedcrypto.a libmbedx509.a libmbedtls.a \
       > "$B/build.log" 2>&1; then
    mv "$M.tmp/mbedtls-$VER" "$M" && rm -rf "$M.tmp" && echo "$sum" > "$M/.built-from"
    echo "note: Mbed TLS $VER built in $(($(date +%s) - start)) s"
  else
    fail mbedtls36_libraries_build "$(tail -c 400 "$B/build.log" 2> /dev/null | tr '\n' ' ')"
    rm -rf "$M.tmp"
    exit 1
  fi
fi

# ------------------------------------------------- 2. the adapters' tests --
WXPAY_TEST_MBEDTLS_CFLAGS="-I$M/include" \
WXPAY_TEST_MBEDTLS_LIBS="$LIBS" \
WXPAY_TEST_MBEDTLS_RSA_LIBS="$M/library/libmbedx509.a $M/library/libmbedcrypto.a" \
WXPAY_TEST_MBEDTLS_ONLY=1 WXPAY_TEST_BUILD=$B/adapters \
  sh tests/adapters/run.sh > "$B/adapters.out" 2>&1
sed 's/^\(PASS\|FAIL\|SKIP\) \([^ :]*\)/\1 \2_mbedtls36/' "$B/adapters.out"
line=$("$B/adapters/drv_mbedtls" --mbedtls-version 2> /dev/null)
case " $line " in
*" headers=$VER linked=$VER "*) pass mbedtls36_adapter_tests_ran_on_mbedtls_$(echo $VER | tr . _) ;;
*) fail mbedtls36_adapter_tests_ran_on_mbedtls_$(echo $VER | tr . _) "driver says: $line" ;;
esac

# ------------------------------- 3. wxpay-close through examples.mk on 3.6 --
CLI=$B/cli/wxpay-close
if make -s --no-print-directory -f examples/examples.mk BUILD=$B/cli WXPAY_CLI_CURL=0 \
     WXPAY_CLI_OPENSSL=0 WXPAY_CLI_MBEDTLS=1 MBEDTLS_CFLAGS="-I$M/include" \
     MBEDTLS_LIBS="$LIBS" "$CLI" > "$B/cli-build.log" 2>&1 &&
   "$CLI" --version > "$B/cli-version.out" 2>&1 &&
   grep -q 'v3 signer: mbedtls; transports: mbedtls socket' "$B/cli-version.out"; then
  pass cli_examples_mk_links_mbedtls_given_as_library_paths_mbedtls36
else
  fail cli_examples_mk_links_mbedtls_given_as_library_paths_mbedtls36 \
    "$(peek "$B/cli-build.log") $(peek "$B/cli-version.out")"
  exit 0
fi

CERTS=$B/adapters/certs
if [ ! -s "$CERTS/ca.pem" ] || [ ! -s "$CERTS/merchant.serial" ]; then
  fail cli_over_tls_mbedtls36 "no test certificates from the adapters run in $CERTS"
  exit 0
fi
EMU_PID=""
cleanup() { [ -n "$EMU_PID" ] && kill "$EMU_PID" 2> /dev/null && wait "$EMU_PID" 2> /dev/null; EMU_PID=""; }
trap cleanup EXIT
trap 'cleanup; exit 1' INT TERM
rm -f "$B/ports.json"
python3 tests/emulator/emulator.py --certs "$CERTS" --port-file "$B/ports.json" --lifetime 300 \
  > "$B/emulator.out" 2> "$B/emulator.err" &
EMU_PID=$!
i=0
while [ ! -s "$B/ports.json" ] && [ $i -lt 150 ] && kill -0 $EMU_PID 2> /dev/null; do
  sleep 0.1; i=$((i + 1))
done
SP=$(sed -n 's/.*"https": *\([0-9][0-9]*\).*/\1/p' "$B/ports.json" 2> /dev/null)
if [ -z "$SP" ]; then
  fail cli_over_tls_mbedtls36 "the emulator did not start: $(peek "$B/emulator.err")"
  exit 0
fi
WXPAY_API_KEY=192006250b4c09247ec02edce69f6a2d "$CLI" --appid wx8888888888888888 \
  --mchid 1900000109 --order DEMO_OPEN_0001 --sub 1900009001:OD_OPEN_0001 \
  --transport mbedtls --cacert "$CERTS/ca.pem" --json \
  --endpoint "https://localhost:$SP/pay/closecombinedorder" > "$B/v2.out" 2> "$B/v2.err"
rc=$?
if [ $rc = 0 ] && grep -q '"outcome": *"closed"' "$B/v2.out" && grep -q '"verified": *true' "$B/v2.out"; then
  pass cli_v2_close_over_tls_verified_mbedtls36
else fail cli_v2_close_over_tls_verified_mbedtls36 "exit $rc: $(peek "$B/v2.out") $(peek "$B/v2.err")"; fi
"$CLI" --api v3 --mchid 1900000109 --serial "$(cat "$CERTS/merchant.serial")" \
  --private-key "$CERTS/merchant.key" --platform-cert "$CERTS/platform.pem" \
  --combine-appid wx8888888888888888 --combine-out-trade-no V3_OPEN_0001 \
  --sub-order 1900009001:OD_V3_OPEN_0001 --transport mbedtls --cacert "$CERTS/ca.pem" \
  --endpoint "https://localhost:$SP" > "$B/v3.out" 2> "$B/v3.err"
rc=$?
if [ $rc = 0 ] && grep -q 'closed' "$B/v3.out"; then
  pass cli_v3_close_over_tls_signed_and_verified_with_mbedtls36
else fail cli_v3_close_over_tls_signed_and_verified_with_mbedtls36 "exit $rc: $(peek "$B/v3.out") $(peek "$B/v3.err")"; fi
exit 0
