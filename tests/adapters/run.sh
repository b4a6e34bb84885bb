#!/bin/sh
# tests/adapters/run.sh -- the transports in adapters/ (plain sockets, libcurl,
# mbedTLS) for real: each closes orders through wxpay_close() against the
# local emulator (tests/emulator/), over HTTPS with a throw-away test CA (the
# socket adapter over plain HTTP), and sends a GET without a body (the APIv3
# query) as a plain GET (no Content-Length, no Content-Type), plus the HTTP client alone over an
# in-memory stream and a compiler matrix; and the APIv3 RSA signers and
# verifiers (wxpay_openssl.h, wxpay_mbedtls.h) against keys and signatures of
# the openssl command (rsa_test.c, keys from mkrsa.sh); and certificates for
# IP addresses (tls_server.py serving mkcerts.sh's one-SAN leaves: an
# https://127.0.0.1 or https://[::1] URL verifies only against an iPAddress
# SAN of exactly that address). One line per test:
# PASS, FAIL or SKIP (tests/CONVENTIONS.md). Loopback only. Build output in
# build/adapters/.
#
# Missing libcurl / mbedTLS / libssl-dev / openssl / a compiler: a loud SKIP
# (CI sets WXPAY_NO_SKIP=1, which tests/run.sh turns into a failure).
#
# Another mbedTLS than the system's (tests/mbedtls36/run.sh runs this suite
# against a self-built 3.6): WXPAY_TEST_MBEDTLS_CFLAGS (e.g. -I.../include),
# WXPAY_TEST_MBEDTLS_LIBS (the transport's three libraries, default
# -lmbedtls -lmbedx509 -lmbedcrypto), WXPAY_TEST_MBEDTLS_RSA_LIBS (the RSA
# part's two, default -lmbedx509 -lmbedcrypto); WXPAY_TEST_MBEDTLS_ONLY=1
# runs only the tests that involve mbedTLS; WXPAY_TEST_BUILD is the build
# directory (default build/adapters).
cd "$(dirname "$0")/../.." || exit 2
T=tests/adapters
B=${WXPAY_TEST_BUILD:-build/adapters}
MB_CFLAGS=${WXPAY_TEST_MBEDTLS_CFLAGS:-}
MB_LIBS=${WXPAY_TEST_MBEDTLS_LIBS:--lmbedtls -lmbedx509 -lmbedcrypto}
MB_RSA_LIBS=${WXPAY_TEST_MBEDTLS_RSA_LIBS:--lmbedx509 -lmbedcrypto}
MB_ONLY=${WXPAY_TEST_MBEDTLS_ONLY:-0}
CERTS=$B/certs
EP=/pay/closecombinedorder
CC=${CC:-cc}
STRICT="-std=c99 -Wall -Wextra -Wpedantic -Wconversion -Werror -I."
MORE="-Wsign-conversion -Wshadow -Wstrict-prototypes"
VERSION=$(sed -n 's/^#define WXPAY_VERSION "\(.*\)"$/\1/p' wxpay_close.h)
mkdir -p "$B"
# loopback only, whatever the environment says
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY

pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }
skip() { echo "SKIP $1: $2"; }

# match LINE KEY=V[|V2...]...: every key=value word is in LINE (one of the
# alternatives); sets $why when not.
match() {
  m_line=$1; shift
  for m_tok in "$@"; do
    m_key=${m_tok%%=*}
    m_vals=${m_tok#*=}
    m_ok=0
    m_ifs=$IFS; IFS='|'
    for m_v in $m_vals; do
      case " $m_line " in *" $m_key=$m_v "*) m_ok=1 ;; esac
    done
    IFS=$m_ifs
    if [ $m_ok = 0 ]; then why="want $m_tok, got: $m_line"; return 1; fi
  done
  return 0
}
want() { # NAME LINE TOKEN...
  w_name=$1; w_line=$2; shift 2
  if match "$w_line" "$@"; then pass "$w_name"; else fail "$w_name" "$why"; fi
}
field() { printf '%s\n' "$1" | sed -n "s/.* $2=\([^ ]*\).*/\1/p"; }

# ---------------------------------------------------------------- builds --
# Builds and the test certificates run in the background, side by side.

have() { # header libs... : does the optional library link?
  h=$1; shift
  printf '#include <%s>\nint main(void) { return 0; }\n' "$h" > "$B/probe.c"
  $CC "$B/probe.c" -o "$B/probe" "$@" > /dev/null 2>&1
}
HAVE_MBEDTLS=0; have mbedtls/ssl.h $MB_CFLAGS $MB_LIBS && HAVE_MBEDTLS=1
[ $HAVE_MBEDTLS = 1 ] || skip mbedtls_adapter "mbedTLS not installed (apt-get install libmbedtls-dev)"
HAVE_CURL=0
HAVE_OPENSSL=0
if [ "$MB_ONLY" != 1 ]; then
  have curl/curl.h -lcurl && HAVE_CURL=1
  [ $HAVE_CURL = 1 ] || skip curl_adapter "libcurl not installed (apt-get install libcurl4-openssl-dev)"
  have openssl/evp.h -lcrypto && HAVE_OPENSSL=1
  [ $HAVE_OPENSSL = 1 ] || skip openssl_adapter "OpenSSL libcrypto headers not installed (apt-get install libssl-dev)"
fi
DEFS=""
[ $HAVE_CURL = 1 ] && DEFS="$DEFS -DHAVE_CURL"
[ $HAVE_MBEDTLS = 1 ] && DEFS="$DEFS -DHAVE_MBEDTLS $MB_CFLAGS"
[ $HAVE_OPENSSL = 1 ] && DEFS="$DEFS -DHAVE_OPENSSL"

JOBS=""
bg() { # NAME command... : runs in the background, exit status in $B/NAME.rc
  bg_name=$1; shift
  rm -f "$B/$bg_name.rc" "$B/$bg_name.rc.tmp"
  ( if "$@" > "$B/$bg_name.log" 2>&1; then echo 0; else echo 1; fi > "$B/$bg_name.rc.tmp"
    mv "$B/$bg_name.rc.tmp" "$B/$bg_name.rc" ) &
  JOBS="$JOBS $bg_name"
}
# waits for bg jobs by their status files (dash's `wait PID` was seen to
# return before the job had ended)
await() { # NAME...
  for a_name in "$@"; do
    a_i=0
    while [ ! -f "$B/$a_name.rc" ] && [ $a_i -lt 6000 ]; do sleep 0.05; a_i=$((a_i + 1)); done
  done
}
report() { # NAME TEST: PASS/FAIL from a finished bg job
  if [ "$(cat "$B/$1.rc" 2> /dev/null)" = 0 ]; then pass "$2"; return 0; fi
  fail "$2" "$(head -c 600 "$B/$1.log" | tr '\n' ' ')"
  return 1
}

TLS=1
MK_JOB=""
RSA_JOB=""
RSA_DIR=$B/rsa
rm -rf "$CERTS" "$RSA_DIR"
if ! command -v openssl > /dev/null 2>&1; then
  TLS=0
  skip adapters_https "openssl not installed (apt-get install openssl): no test certificates"
  skip rsa_signers "openssl not installed (apt-get install openssl): no test keys"
else
  bg mkcerts sh tests/emulator/mkcerts.sh "$CERTS"
  MK_JOB=mkcerts
  bg mkrsa sh $T/mkrsa.sh "$RSA_DIR"
  RSA_JOB=mkrsa
fi

# every adapter in one file, strict warnings, with each C compiler there is:
# optimised (more flow warnings), with the *_STATIC options, and the HTTP
# client under WXPAY_HTTP_NO_POSIX
compile_all() { # cc
  $1 $STRICT $MORE -O2 $DEFS -c $T/compile_all.c -o "$B/compile_all_$1.o" &&
  $1 $STRICT $MORE $DEFS -DWXPAY_HTTP_STATIC -DWXPAY_CURL_STATIC -DWXPAY_MBEDTLS_STATIC \
    -DWXPAY_OPENSSL_STATIC -c $T/compile_all.c -o "$B/compile_all_static_$1.o" &&
  $1 $STRICT $MORE -DWXPAY_HTTP_NO_POSIX -DWXPAY_HTTP_IMPLEMENTATION -x c \
    -c adapters/wxpay_http.h -o "$B/http_noposix_$1.o" &&
  # each RSA part alone: the mbedTLS one without the transport (no sockets)
  if [ $HAVE_MBEDTLS = 1 ]; then
    $1 $STRICT $MORE -O2 $MB_CFLAGS -DWXPAY_MBEDTLS_NO_TRANSPORT -DWXPAY_MBEDTLS_IMPLEMENTATION -x c \
      -c adapters/wxpay_mbedtls.h -o "$B/mbedtls_rsa_only_$1.o"
  fi &&
  if [ $HAVE_OPENSSL = 1 ]; then
    $1 $STRICT $MORE -O2 -DWXPAY_OPENSSL_IMPLEMENTATION -x c \
      -c adapters/wxpay_openssl.h -o "$B/openssl_alone_$1.o"
  fi
}
CCS=""
for cc in gcc clang; do
  if command -v $cc > /dev/null 2>&1; then CCS="$CCS $cc"; bg "compile_$cc" compile_all $cc
  else skip "adapters_build_warning_free_$cc" "$cc not installed"; fi
done
bg headers_only $CC $STRICT $MORE $DEFS -DHEADERS_ONLY -c $T/compile_all.c -o "$B/headers_only.o"
HAVE_CXX=0
if command -v g++ > /dev/null 2>&1; then
  HAVE_CXX=1
  bg cxx g++ -Wall -Wextra -Werror -I. $DEFS -x c++ -c $T/compile_all.c -o "$B/compile_all_cpp.o"
fi
[ "$MB_ONLY" = 1 ] || bg http_unit $CC $STRICT $MORE -g $T/http_unit.c -o "$B/http_unit"
# the RSA tests, under AddressSanitizer and UBSan when they work here
SAN=""
printf 'int main(void) { return 0; }\n' > "$B/san_probe.c"
if $CC -fsanitize=address,undefined "$B/san_probe.c" -o "$B/san_probe" > /dev/null 2>&1 &&
   "$B/san_probe" > /dev/null 2>&1; then
  SAN="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
fi
RSA_ADAPTERS=""
[ $HAVE_OPENSSL = 1 ] && RSA_ADAPTERS="openssl"
[ $HAVE_MBEDTLS = 1 ] && RSA_ADAPTERS="$RSA_ADAPTERS mbedtls"
for a in $RSA_ADAPTERS; do
  case $a in
  openssl) cf=""; libs="-lcrypto" ;;
  mbedtls) cf=$MB_CFLAGS; libs=$MB_RSA_LIBS ;; # the RSA part alone: no -lmbedtls
  esac
  up=$(echo $a | tr a-z A-Z)
  bg "rsa_$a" $CC $STRICT $MORE -g $SAN $cf -DRSA_$up $T/rsa_test.c -o "$B/rsa_$a" $libs
done
HAVE_IMPL=0
grep -q '^#ifdef WXPAY_CLOSE_IMPLEMENTATION' wxpay_close.h && HAVE_IMPL=1
# APIv3 end to end: the header's wxpay_v3_close() and the emulator's v3 path
HAVE_V3=0
[ "$(grep -c 'WXPAY_DEF wxpay_err wxpay_v3_close(' wxpay_close.h)" -ge 2 ] &&
  grep -q '/v3/combine-transactions' tests/emulator/emulator.py && HAVE_V3=1
V3_PAIRS=""
if [ $HAVE_V3 = 1 ] && [ $HAVE_IMPL = 1 ]; then
  if [ $HAVE_CURL = 1 ] && [ $HAVE_OPENSSL = 1 ]; then V3_PAIRS="curl"
  elif [ $HAVE_CURL = 1 ]; then skip curl_openssl_v3 "libssl-dev not installed: no OpenSSL signer for the curl transport"; fi
  [ $HAVE_MBEDTLS = 1 ] && V3_PAIRS="$V3_PAIRS mbedtls"
  for a in $V3_PAIRS; do
    case $a in
    curl) cf=""; libs="-lcurl -lcrypto" ;;
    mbedtls) cf=$MB_CFLAGS; libs=$MB_LIBS ;;
    esac
    up=$(echo $a | tr a-z A-Z)
    bg "v3drv_$a" $CC $STRICT $MORE -g $cf -DV3_$up $T/v3_driver.c -o "$B/v3drv_$a" $libs
  done
fi
ADAPTERS="socket"
[ $HAVE_CURL = 1 ] && ADAPTERS="$ADAPTERS curl"
[ $HAVE_MBEDTLS = 1 ] && ADAPTERS="$ADAPTERS mbedtls"
if [ $HAVE_IMPL = 1 ]; then
  for a in $ADAPTERS; do
    case $a in
    socket) cf=""; libs="" ;;
    curl) cf=""; libs="-lcurl" ;;
    mbedtls) cf=$MB_CFLAGS; libs=$MB_LIBS ;;
    esac
    up=$(echo $a | tr a-z A-Z)
    bg "drv_$a" $CC $STRICT $MORE -g $cf -DDRIVER_$up $T/driver.c -o "$B/drv_$a" $libs
  done
fi

# ------------------------------------------------- emulator (starts early) --

E2E=1
if ! command -v python3 > /dev/null 2>&1; then
  skip adapters_end_to_end "python3 not installed (the emulator needs it)"
  E2E=0
fi
for f in tests/emulator/emulator.py tests/emulator/mkcerts.sh; do
  [ -f "$f" ] || { fail adapters_end_to_end "$f is missing"; E2E=0; }
done
[ $HAVE_IMPL = 1 ] || { fail adapters_end_to_end "wxpay_close.h has no implementation section yet"; E2E=0; }

EMU_PID=""
SILENT_PID=""
HOSTILE_PID=""
NAMES_PID=""
cleanup() {
  for c_pid in $EMU_PID $SILENT_PID $HOSTILE_PID $NAMES_PID; do
    kill "$c_pid" 2> /dev/null
    wait "$c_pid" 2> /dev/null
  done
  EMU_PID=""; SILENT_PID=""; HOSTILE_PID=""; NAMES_PID=""
}
trap cleanup EXIT
trap 'cleanup; exit 1' INT TERM

if [ $E2E = 1 ]; then
  if [ -n "$MK_JOB" ]; then
    await "$MK_JOB"
    report mkcerts adapters_test_certificates_made || TLS=0
  fi
  # one order per test and adapter: <ADAPTER>_<TEST>, sub-order OD_<ORDER>
  set --
  for p in SOCK CURL MBED; do
    for o in OK:open:3600 CLOSED:closed:7200 PAID:paid:3600 YOUNG:open:0 \
             EXTRA:open:3600 CHUNK:open:3600 FAILOVER:open:3600 TLSFAILOVER:open:3600 \
             TOFAILOVER:open:3600 RETRYOK:open:3600 SYSERR:open:3600 MISC:open:3600 \
             DELAY:open:3600 PEM:open:3600 SILENT:open:3600 IPURL:open:3600; do
      no=${p}_${o%%:*}; rest=${o#*:}
      set -- "$@" --order "$no:1900000109:${rest%%:*}:${rest#*:}:1900009001/OD_$no"
    done
  done
  # the APIv3 ones: V3<PAIR>_<TEST>
  for p in CURL MBED; do
    for o in OK NOSIGN PUB BADSIGN UNKSERIAL; do
      no=V3${p}_$o
      set -- "$@" --order "$no:1900000109:open:3600:1900009001/OD_$no"
    done
  done
  rm -f "$B/ports.json"
  certs_arg=""
  [ $TLS = 1 ] && certs_arg="--certs $CERTS"
  python3 tests/emulator/emulator.py --no-state \
    --merchant 1900000109:wx8888888888888888:192006250b4c09247ec02edce69f6a2d \
    $certs_arg --port-file "$B/ports.json" "$@" > "$B/emulator.out" 2> "$B/emulator.err" &
  EMU_PID=$!
  # the certificate-name servers (IP-address certificates), beside it
  if [ $TLS = 1 ]; then
    rm -f "$B/names.json"
    python3 $T/tls_server.py --certs "$CERTS" --port-file "$B/names.json" \
      ip-only ip-other dns-only ipv6-only > "$B/names.out" 2>&1 &
    NAMES_PID=$!
  fi
fi

await $JOBS

for cc in $CCS; do report "compile_$cc" "adapters_build_warning_free_$cc"; done
report headers_only adapters_headers_compile_in_plain_c99_without_posix_macros
[ $HAVE_CXX = 1 ] && report cxx adapters_build_as_cplusplus
# the HTTP client alone, over an in-memory stream (prints its own lines)
if [ "$MB_ONLY" = 1 ]; then :
elif [ "$(cat "$B/http_unit.rc")" = 0 ]; then "$B/http_unit" || true
else report http_unit http_unit_builds; fi

# ------------------------------------------------- APIv3 RSA sign / verify --
# rsa_test prints its own lines; here: its signatures checked by the openssl
# command, byte for byte against `openssl dgst -sign`, and between adapters.
RSA_OK=0
if [ -n "$RSA_JOB" ]; then
  await "$RSA_JOB"
  report "$RSA_JOB" rsa_test_keys_made && RSA_OK=1
fi
TIMEOUT=""
command -v timeout > /dev/null 2>&1 && TIMEOUT="timeout 120"
RSA_SIGNED=""
for a in $RSA_ADAPTERS; do
  [ $RSA_OK = 1 ] || break
  if [ "$(cat "$B/rsa_$a.rc")" != 0 ]; then report "rsa_$a" "${a}_rsa_test_builds"; continue; fi
  rm -f "$RSA_DIR/sig_$a.bin" "$RSA_DIR/sig_${a}_4096.bin"
  # stdin closed: a loader that prompted for a password would fail, not
  # hang; exit 1 is its own FAIL lines, anything else (or stderr, where the
  # sanitizers and leak checker report) is a crash, a leak or a time-out
  ASAN_OPTIONS=detect_leaks=1 $TIMEOUT "$B/rsa_$a" "$RSA_DIR" < /dev/null 2> "$B/rsa_$a.err"
  rc=$?
  if [ $rc -gt 1 ] || [ -s "$B/rsa_$a.err" ]; then
    fail "${a}_rsa_test_runs_without_crash_leak_or_sanitizer_report" \
      "exit $rc: $(head -c 600 "$B/rsa_$a.err" | tr '\n' ' ')"
  else pass "${a}_rsa_test_runs_without_crash_leak_or_sanitizer_report"; fi
  [ -n "$SAN" ] || echo "note: no AddressSanitizer here: rsa_$a ran without it"
  if [ -s "$RSA_DIR/sig_$a.bin" ]; then
    RSA_SIGNED="$RSA_SIGNED $a"
    if openssl dgst -sha256 -verify "$RSA_DIR/merchant_pub.pem" -signature "$RSA_DIR/sig_$a.bin" \
         "$RSA_DIR/msg.txt" > "$B/rsa_$a.dgst" 2>&1; then
      pass "${a}_signature_verifies_with_openssl_dgst"
    else fail "${a}_signature_verifies_with_openssl_dgst" "$(head -c 300 "$B/rsa_$a.dgst")"; fi
    if openssl dgst -sha256 -verify "$RSA_DIR/other_pub.pem" -signature "$RSA_DIR/sig_$a.bin" \
         "$RSA_DIR/msg.txt" > /dev/null 2>&1; then
      fail "${a}_signature_refused_by_openssl_dgst_with_another_key" "verified"
    else pass "${a}_signature_refused_by_openssl_dgst_with_another_key"; fi
    if cmp -s "$RSA_DIR/sig_${a}_4096.bin" "$RSA_DIR/sig_cmd_4096.bin"; then
      pass "${a}_4096_bit_signature_equals_openssl_dgst_bytes"
    else fail "${a}_4096_bit_signature_equals_openssl_dgst_bytes" "differs or missing"; fi
  else
    fail "${a}_signature_verifies_with_openssl_dgst" "rsa_test wrote no signature"
  fi
done
case " $RSA_SIGNED " in
*" openssl mbedtls "*)
  if cmp -s "$RSA_DIR/sig_openssl.bin" "$RSA_DIR/sig_mbedtls.bin" &&
     cmp -s "$RSA_DIR/sig_openssl_4096.bin" "$RSA_DIR/sig_mbedtls_4096.bin"; then
    pass rsa_adapters_produce_byte_identical_signatures
  else fail rsa_adapters_produce_byte_identical_signatures "OpenSSL and mbedTLS signatures differ"; fi ;;
esac

[ $E2E = 1 ] || exit 0
built=""
for a in $ADAPTERS; do
  if [ "$(cat "$B/drv_$a.rc")" = 0 ]; then built="$built $a"
  else report "drv_$a" "${a}_driver_builds"; fi
done
case " $built " in *" socket "*) ;; *) exit 1 ;; esac

i=0
while [ ! -s "$B/ports.json" ] && [ $i -lt 150 ] && kill -0 $EMU_PID 2> /dev/null; do
  sleep 0.1; i=$((i + 1))
done
if [ ! -s "$B/ports.json" ]; then
  fail adapters_emulator_starts "$(head -c 400 "$B/emulator.err")"
  exit 1
fi
port() { sed -n "s/.*\"$1\": \([0-9]*\).*/\1/p" "$B/ports.json"; }
HP=$(port http); SP=$(port https); WP=$(port https_wrong_host)
DEAD=$("$B/drv_socket" --free-port) # bound, then closed: nobody listens
# a server that accepts TCP and then says nothing, for the whole suite
rm -f "$B/silent.port"
"$B/drv_socket" --silent-port 120000 > "$B/silent.port" &
SILENT_PID=$!
i=0
while [ ! -s "$B/silent.port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
SILENT=$(cat "$B/silent.port")

# the emulator's control endpoints, through the socket driver (fast)
EMU="http://127.0.0.1:$HP"
emu_reset() { "$B/drv_socket" --fetch POST "$EMU/_reset" > /dev/null; }
emu_last() { "$B/drv_socket" --fetch GET "$EMU/_last"; }
stats() { "$B/drv_socket" --stats "$EMU/_stats" "$@"; }
# delta BEFORE AFTER: "key=after-before ..." for the keys of AFTER
delta() {
  d_out=""
  for d_a in $2; do
    d_k=${d_a%=*}; d_vb=0
    for d_b in $1; do [ "${d_b%=*}" = "$d_k" ] && d_vb=${d_b##*=}; done
    d_out="$d_out $d_k=$((${d_a##*=} - d_vb))"
  done
  echo "${d_out# }"
}

# ----------------------------------------------------------------- tests --

# suite A P LIVE DEAD WRONG CA HOSTPORT
suite() {
  A=$1; P=$2; U=$3; D=$4; W=$5; CA=$6; HOSTPORT=$7
  drv() { "$B/drv_$A" ${CA:+--ca "$CA"} "$@" 2>> "$B/drv_$A.err"; }
  emu_reset

  line=$(drv --order ${P}_OK "$U$EP")
  want "${A}_close_succeeds_verified" "$line" err=OK outcome=closed verified=1 http=200 attempts=1 net=OK
  hl=$(emu_last); why=""
  for h in "\"target\": \"$EP\"" "[\"Host\", \"$HOSTPORT\"]" \
           "[\"Content-Type\", \"text/xml; charset=utf-8\"]" \
           "[\"Accept\", \"text/xml, text/plain, application/x-gzip\"]" \
           "[\"User-Agent\", \"wxpay_close.h/$VERSION" "[\"Content-Length\", \""; do
    case $hl in *"$h"*) ;; *) why="$why $h" ;; esac
  done
  if [ -z "$why" ]; then pass "${A}_request_carries_spec_headers_and_user_agent"
  else fail "${A}_request_carries_spec_headers_and_user_agent" "missing$why in $hl"; fi

  line=$(drv --order ${P}_OK "$U$EP")
  want "${A}_second_close_is_already_closed" "$line" err=OK outcome=already_closed err_code=ORDERCLOSED verified=1
  line=$(drv --order ${P}_CLOSED "$U$EP")
  want "${A}_closed_order_is_already_closed" "$line" err=OK outcome=already_closed verified=1
  line=$(drv --order ${P}_PAID "$U$EP")
  want "${A}_paid_order_is_paid" "$line" err=OK outcome=paid err_code=ORDERPAID verified=1
  line=$(drv --order ${P}_NOSUCH "$U$EP")
  want "${A}_unknown_order_is_not_found" "$line" err=OK outcome=not_found err_code=ORDERNOTEXIST verified=1
  line=$(drv --order ${P}_YOUNG --attempts 1 "$U$EP")
  want "${A}_order_younger_than_a_minute_is_retry" "$line" err=OK outcome=retry err_code=SYSTEMERROR verified=1

  # misbehaviours
  line=$(drv --order ${P}_SYSERR --attempts 3 "$U/systemerror$EP")
  want "${A}_systemerror_is_retry_after_all_attempts" "$line" err=OK outcome=retry err_code=SYSTEMERROR attempts=3 seq=PPP
  line=$(drv --order ${P}_DELAY --attempts 1 --timeout 800 "$U/delay-2500$EP")
  ms=$(field "$line" elapsed_ms)
  if match "$line" err=TRANSPORT net=TIMEOUT attempts=1 outcome=retry; then
    if [ "${ms:-0}" -ge 750 ] && [ "${ms:-0}" -le 1300 ]; then pass "${A}_delay_past_timeout_times_out_within_bound"
    else fail "${A}_delay_past_timeout_times_out_within_bound" "timeout 800 ms took $ms ms"; fi
  else fail "${A}_delay_past_timeout_times_out_within_bound" "$why"; fi
  line=$(drv --order ${P}_MISC --attempts 2 "$U/http500$EP")
  want "${A}_http500_is_http_status_error" "$line" err=HTTP_STATUS http=500 outcome=retry attempts=2
  line=$(drv --order ${P}_MISC --attempts 1 "$U/truncated$EP")
  if match "$line" err=TRANSPORT net=IO || match "$line" err=XML; then pass "${A}_truncated_body_is_io_or_xml_error"
  else fail "${A}_truncated_body_is_io_or_xml_error" "$line"; fi
  line=$(drv --order ${P}_MISC --attempts 1 "$U/notxml$EP")
  want "${A}_notxml_is_xml_error" "$line" err=XML outcome=none verified=0
  line=$(drv --order ${P}_MISC --attempts 1 "$U/badsign$EP")
  want "${A}_bad_response_signature_refused" "$line" err=SIGNATURE outcome=none verified=0
  line=$(drv --order ${P}_MISC --attempts 1 "$U/nosign$EP")
  want "${A}_missing_response_signature_refused" "$line" err=NO_SIGNATURE outcome=none verified=0
  line=$(drv --order ${P}_MISC --attempts 1 "$U/md5sign$EP")
  want "${A}_md5_signed_response_refused" "$line" err=SIGNATURE outcome=none verified=0
  line=$(drv --order ${P}_EXTRA "$U/extrafield$EP")
  want "${A}_extra_signed_field_still_closed_verified" "$line" err=OK outcome=closed verified=1
  line=$(drv --order ${P}_MISC --attempts 2 --backup "$U/extrafield$EP" "$U/drop$EP")
  want "${A}_dropped_connection_is_io_without_failover" "$line" err=TRANSPORT net=IO attempts=2 seq=PP
  line=$(drv --order ${P}_CHUNK "$U/chunked$EP")
  want "${A}_chunked_answer_closed" "$line" err=OK outcome=closed verified=1

  # failover and retries
  line=$(drv --order ${P}_FAILOVER --attempts 3 --backup "$U$EP" "$D$EP")
  want "${A}_dead_primary_fails_over_to_backup" "$line" err=OK outcome=closed verified=1 attempts=2 seq=PB
  line=$(drv --order ${P}_TOFAILOVER --attempts 3 --timeout 600 --backup "$U$EP" "$U/delay-2000$EP")
  ms=$(field "$line" elapsed_ms)
  if match "$line" err=OK outcome=closed\|already_closed verified=1 attempts=2 seq=PB && [ "${ms:-0}" -lt 1500 ]; then
    pass "${A}_timed_out_primary_fails_over_to_backup"
  else fail "${A}_timed_out_primary_fails_over_to_backup" "${why:-took $ms ms}: $line"; fi
  s0=$(stats "path:/systemerror$EP" "path:/extrafield$EP")
  line=$(drv --order ${P}_SYSERR --attempts 3 --backup "$U/extrafield$EP" "$U/systemerror$EP")
  d=$(delta "$s0" "$(stats "path:/systemerror$EP" "path:/extrafield$EP")")
  if match "$line" err=OK outcome=retry verified=1 attempts=3 seq=PPP &&
     match "$d" "path:/systemerror$EP=3" "path:/extrafield$EP=0"; then
    pass "${A}_no_failover_after_verified_business_answer"
  else fail "${A}_no_failover_after_verified_business_answer" "$why ($d)"; fi
  line=$(drv --order ${P}_RETRYOK --attempts 3 "$U/systemerror-1$EP")
  want "${A}_systemerror_then_success_retried_to_closed" "$line" err=OK outcome=closed verified=1 attempts=2 seq=PP

  # TLS refusals: nothing of the request may reach the server
  if [ -n "$W" ]; then
    s0=$(stats requests bytes)
    line=$("$B/drv_$A" --ca "$CERTS/other-ca.pem" --attempts 1 --order ${P}_MISC "$U$EP" 2>> "$B/drv_$A.err")
    d=$(delta "$s0" "$(stats requests bytes)")
    if match "$line" err=TRANSPORT net=TLS attempts=1 && match "$d" requests=0 bytes=0; then
      pass "${A}_unknown_ca_refused_before_any_request_byte"
    else fail "${A}_unknown_ca_refused_before_any_request_byte" "$why ($d)"; fi
    s0=$(stats requests bytes)
    line=$(drv --attempts 1 --order ${P}_MISC "$W$EP")
    d=$(delta "$s0" "$(stats requests bytes)")
    if match "$line" err=TRANSPORT net=TLS attempts=1 && match "$d" requests=0 bytes=0; then
      pass "${A}_wrong_host_name_refused_before_any_request_byte"
    else fail "${A}_wrong_host_name_refused_before_any_request_byte" "$why ($d)"; fi
    line=$(drv --order ${P}_TLSFAILOVER --attempts 3 --backup "$U$EP" "$W$EP")
    want "${A}_tls_failure_fails_over_to_backup" "$line" err=OK outcome=closed verified=1 attempts=2 seq=PB
    line=$(drv --order ${P}_SILENT --attempts 3 --timeout 600 --backup "$U$EP" "https://localhost:$SILENT$EP")
    ms=$(field "$line" elapsed_ms)
    if match "$line" err=OK outcome=closed verified=1 attempts=2 seq=PB && [ "${ms:-0}" -ge 550 ] && [ "${ms:-0}" -lt 1500 ]; then
      pass "${A}_silent_tls_handshake_times_out_and_fails_over"
    else fail "${A}_silent_tls_handshake_times_out_and_fails_over" "${why:-took $ms ms}: $line"; fi
  fi

  # the transport alone
  # a GET without a body (the APIv3 query) reaches the server as a plain
  # GET: no Content-Length, no Content-Type, nothing after the head
  emu_reset
  line=$(drv --raw --method GET "$U/v3/combine-transactions/out-trade-no/${P}_GETPROBE")
  hl=$(emu_last); why=""
  case $hl in *'"method": "GET"'*) ;; *) why="$why method not GET;" ;; esac
  case $hl in *'"body": ""'*) ;; *) why="$why a body;" ;; esac
  if printf '%s' "$hl" | grep -qi '"content-length"'; then why="$why Content-Length;"; fi
  if printf '%s' "$hl" | grep -qi '"content-type"'; then why="$why Content-Type;"; fi
  if match "$line" net=OK && [ -z "$why" ]; then pass "${A}_bodyless_get_sent_as_plain_get"
  else fail "${A}_bodyless_get_sent_as_plain_get" "${why:-$line}: $hl"; fi
  line=$(drv --raw --cap 16 "$U$EP")
  want "${A}_body_over_cap_is_too_large" "$line" net=TOO_LARGE
  line=$(drv --raw --cap 16 "$U/chunked$EP")
  want "${A}_chunked_body_over_cap_is_too_large" "$line" net=TOO_LARGE
  line=$(drv --raw --slot request-id "$U$EP")
  want "${A}_response_header_slot_filled_case_insensitive" "$line" net=OK status=200 found=1 slot_len=32
}

for A in $built; do
  case $A in
  socket)
    [ "$MB_ONLY" = 1 ] && continue
    suite socket SOCK "http://127.0.0.1:$HP" "http://127.0.0.1:$DEAD" "" "" "127.0.0.1:$HP"
    line=$("$B/drv_socket" --raw "https://localhost:${SP:-443}$EP")
    want socket_transport_refuses_https_url "$line" net=IO
    s0=$(stats requests connections)
    line=$("$B/drv_socket" --order SOCK_YOUNG --created-ago 5 "http://127.0.0.1:$HP$EP")
    d=$(delta "$s0" "$(stats requests connections)")
    if match "$line" err=TOO_EARLY outcome=retry && match "$d" requests=0 connections=0; then
      pass close_too_soon_after_creation_refused_locally_without_a_request
    else fail close_too_soon_after_creation_refused_locally_without_a_request "$why ($d)"; fi
    ;;
  curl | mbedtls)
    if [ $TLS = 0 ]; then skip "${A}_https" "no test certificates (openssl missing)"; continue; fi
    [ $A = curl ] && P=CURL || P=MBED
    suite $A $P "https://localhost:$SP" "https://localhost:$DEAD" "https://localhost:$WP" \
      "$CERTS/ca.pem" "localhost:$SP"
    ;;
  esac
done
if echo " $built " | grep -q ' mbedtls ' && [ $TLS = 1 ]; then
  line=$("$B/drv_mbedtls" --ca-pem "$CERTS/ca.pem" --order MBED_PEM "https://localhost:$SP$EP" 2>> "$B/drv_mbedtls.err")
  want mbedtls_ca_from_pem_buffer_verifies "$line" err=OK outcome=closed verified=1
  line=$("$B/drv_mbedtls" --ca-pem "$CERTS/other-ca.pem" --attempts 1 --order MBED_PEM "https://localhost:$SP$EP" 2>> "$B/drv_mbedtls.err")
  want mbedtls_unknown_ca_from_pem_buffer_refused "$line" err=TRANSPORT net=TLS
  line=$("$B/drv_mbedtls" --raw --ca "$CERTS/ca.pem" "http://127.0.0.1:$HP$EP" 2>> "$B/drv_mbedtls.err")
  want mbedtls_transport_serves_plain_http_urls "$line" net=OK status=200
fi
if echo " $built " | grep -q ' mbedtls '; then
  line=" $("$B/drv_mbedtls" --mbedtls-version)"
  mh=$(field "$line" headers); ml=$(field "$line" linked)
  if [ -n "$mh" ] && [ "$mh" = "$ml" ]; then
    pass mbedtls_linked_library_matches_its_headers
    echo "note: mbedTLS $ml"
  else fail mbedtls_linked_library_matches_its_headers "$line"; fi
fi

# ---------------------------------------- certificates for IP addresses --
# A URL whose host is an address verifies only against an iPAddress
# subjectAltName of exactly that address (RFC 6125 6.2.1, RFC 5280 4.2.1.6):
# mbedTLS by the adapter's own match (2.28 knows DNS names only), libcurl
# by OpenSSL. tls_server.py serves the mkcerts.sh leaves ip-only (IP
# 127.0.0.1), ip-other (IP 127.0.0.2), dns-only (DNS localhost) and
# ipv6-only (IP ::1), each on 127.0.0.1 and, if the machine has it, ::1.
NAMES=0
if [ $TLS = 1 ] && [ -n "$NAMES_PID" ]; then
  i=0
  while [ ! -s "$B/names.json" ] && [ $i -lt 150 ] && kill -0 $NAMES_PID 2> /dev/null; do
    sleep 0.1; i=$((i + 1))
  done
  if [ -s "$B/names.json" ]; then NAMES=1
  else fail certificate_name_servers_start "$(head -c 400 "$B/names.out")"; fi
fi
names_port() { # NAME v4|v6: the port, or null
  sed -n "s/.*\"$1\": {\"v4\": \([0-9]*\), \"v6\": \([0-9a-z]*\)}.*/\1 \2/p" "$B/names.json" |
    { read -r n_v4 n_v6; if [ "$2" = v4 ]; then echo "$n_v4"; else echo "$n_v6"; fi; }
}
for A in $built; do
  [ $NAMES = 1 ] || break
  case $A in curl) P=CURL ;; mbedtls) P=MBED ;; *) continue ;; esac
  nraw() { "$B/drv_$A" --raw --ca "$CERTS/ca.pem" "$@" 2>> "$B/drv_$A.err"; }
  IPONLY=$(names_port ip-only v4); IPOTHER=$(names_port ip-other v4)
  DNSONLY=$(names_port dns-only v4)
  count() { field " $(nraw --slot x-requests "https://localhost:$DNSONLY/_count")" slot; }
  line=$(nraw "https://127.0.0.1:$IPONLY$EP")
  want "${A}_ip_san_accepted_for_ipv4_url" "$line" net=OK status=200
  line=$(nraw "https://localhost:$DNSONLY$EP")
  want "${A}_dns_only_certificate_accepted_for_its_host_name" "$line" net=OK status=200
  c0=$(count)
  line=$(nraw "https://127.0.0.1:$DNSONLY$EP")
  want "${A}_dns_only_certificate_refused_for_ipv4_url" "$line" net=TLS status=0
  line=$(nraw "https://127.0.0.1:$IPOTHER$EP")
  want "${A}_other_address_certificate_refused_for_ipv4_url" "$line" net=TLS status=0
  line=$(nraw "https://localhost:$IPONLY$EP")
  want "${A}_ip_only_certificate_refused_for_host_name_url" "$line" net=TLS status=0
  if [ $A = mbedtls ]; then # libcurl reads 127.1 as 127.0.0.1, as inet_aton does
    line=$(nraw "https://127.1:$IPONLY$EP")
    want "${A}_shorthand_ipv4_url_refused" "$line" net=TLS status=0
  fi
  c1=$(count)
  if [ -n "$c0" ] && [ "$c0" = "$c1" ]; then pass "${A}_refused_address_certificates_get_no_request"
  else fail "${A}_refused_address_certificates_get_no_request" "requests served before $c0, after $c1"; fi
  V6=$(names_port ipv6-only v6); V6OTHER=$(names_port ip-only v6)
  if [ "$V6" = null ] || [ -z "$V6" ]; then
    skip "${A}_ipv6_san_accepted_for_ipv6_url" "no IPv6 loopback (::1) on this machine"
  else
    line=$(nraw "https://[::1]:$V6$EP")
    want "${A}_ipv6_san_accepted_for_ipv6_url" "$line" net=OK status=200
    line=$(nraw "https://[::1]:$V6OTHER$EP")
    want "${A}_ipv4_san_refused_for_ipv6_url" "$line" net=TLS status=0
    line=$(nraw "https://[0:0::1]:$V6$EP")
    want "${A}_ipv6_san_matches_another_spelling_of_the_address" "$line" net=OK status=200
  fi
  # the emulator's own certificate: DNS:localhost and IP:127.0.0.1
  line=$("$B/drv_$A" --ca "$CERTS/ca.pem" --order ${P}_IPURL "https://127.0.0.1:$SP$EP" 2>> "$B/drv_$A.err")
  want "${A}_close_at_ip_url_verified_by_ip_san" "$line" err=OK outcome=closed verified=1
done

# ----------------------------------- response head limits, every transport --
# One policy (wxpay_http.h LIMITS), the same hostile server
# (tests/hostile/server.py) and the same named cases for each transport, over
# plain HTTP: a head line of 8192 bytes, 100 header lines and a head of 65536
# bytes pass; one byte or line more, a 1 MiB line, 10,000 lines and a status
# line over 8192 bytes are WXPAY_NET_TOO_LARGE, which wxpay_close() does not
# retry.
if [ $E2E = 1 ]; then
  rm -f "$B/hostile.json"
  python3 tests/hostile/server.py --port-file "$B/hostile.json" --lifetime 300 > "$B/hostile.log" 2>&1 &
  HOSTILE_PID=$!
  i=0
  while [ ! -s "$B/hostile.json" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
  HU="http://127.0.0.1:$(sed -n 's/.*"http": \([0-9]*\).*/\1/p' "$B/hostile.json")"
  for A in $built; do
    hd() { "$B/drv_$A" --raw --slot request-id "$HU/$1$EP" 2>> "$B/drv_$A.err"; }
    ok="net=OK status=200 found=1 slot_len=32 body_len=2"
    want "${A}_head_line_of_8192_bytes_accepted" "$(hd hdr-line-at-limit)" $ok
    want "${A}_head_line_of_8193_bytes_too_large" "$(hd hdr-line-over-limit)" net=TOO_LARGE
    want "${A}_head_line_of_1_mib_too_large" "$(hd hdr-line-1mib)" net=TOO_LARGE
    want "${A}_status_line_over_8192_bytes_too_large" "$(hd hdr-status-line-over-limit)" net=TOO_LARGE
    want "${A}_100_header_lines_accepted" "$(hd hdr-count-at-limit)" $ok
    want "${A}_101_header_lines_too_large" "$(hd hdr-count-over-limit)" net=TOO_LARGE
    want "${A}_10000_header_lines_too_large" "$(hd hdr-count-10000)" net=TOO_LARGE
    want "${A}_head_of_65536_bytes_accepted" "$(hd hdr-head-at-limit)" $ok
    want "${A}_head_of_65537_bytes_too_large" "$(hd hdr-head-over-limit)" net=TOO_LARGE
    line=$("$B/drv_$A" --attempts 3 --order HDR "$HU/hdr-line-1mib$EP" 2>> "$B/drv_$A.err")
    want "${A}_oversized_head_is_not_retried" "$line" err=TOO_LARGE net=TOO_LARGE attempts=1
  done
  kill "$HOSTILE_PID" 2> /dev/null
  wait "$HOSTILE_PID" 2> /dev/null
  HOSTILE_PID=""
fi

# ------------------------------------------- APIv3 end to end over HTTPS --
# Each pairing (curl + OpenSSL signer, mbedTLS transport + mbedTLS signer)
# closes v3 orders through wxpay_v3_close() against the emulator, which
# checks the Authorization signature with the merchant key of mkcerts.sh
# and signs its answers with the platform key.
v3suite() { # pair P label
  A=$1; P=$2; L=$3
  v3() { "$B/v3drv_$A" --certs "$CERTS" --ca "$CERTS/ca.pem" "$@" "https://localhost:$SP" \
           2>> "$B/v3drv_$A.err"; }
  line=$(v3 --order V3${P}_OK)
  want "${L}_v3_close_succeeds_verified" "$line" err=OK outcome=closed http=204 verified=1 attempts=1
  hl=$(emu_last); why=""
  for h in "\"target\": \"/v3/combine-transactions/out-trade-no/V3${P}_OK/close\"" \
           "[\"Authorization\", \"WECHATPAY2-SHA256-RSA2048 " "[\"Content-Type\", \"application/json\"]" \
           "[\"Accept\", \"application/json\"]"; do
    case $hl in *"$h"*) ;; *) why="$why $h" ;; esac
  done
  if [ -z "$why" ]; then pass "${L}_v3_request_carries_authorization_and_json_headers"
  else fail "${L}_v3_request_carries_authorization_and_json_headers" "missing$why in $(printf '%s' "$hl" | head -c 600)"; fi
  line=$(v3 --order V3${P}_OK)
  want "${L}_v3_second_close_is_already_closed" "$line" err=OK outcome=already_closed http=400 \
    code=ORDER_CLOSED verified=1
  # an unsigned 204: the order was closed, yet the answer counts for nothing
  line=$(v3 --order V3${P}_NOSIGN --prefix /v3nosign)
  want "${L}_v3_unsigned_answer_refused" "$line" err=NO_SIGNATURE outcome=none verified=0 attempts=1
  line=$(v3 --order V3${P}_NOSIGN)
  want "${L}_v3_order_behind_refused_unsigned_answer_is_already_closed" "$line" err=OK \
    outcome=already_closed verified=1
  line=$(v3 --order V3${P}_PUB --pubkey)
  want "${L}_v3_platform_public_key_mode_closes_verified" "$line" err=OK outcome=closed verified=1
  line=$(v3 --order V3${P}_BADSIGN --prefix /v3badsign)
  want "${L}_v3_wrong_platform_signature_refused" "$line" err=SIGNATURE outcome=none verified=0
  line=$(v3 --order V3${P}_UNKSERIAL --prefix /v3unknownserial)
  want "${L}_v3_unknown_platform_serial_refused" "$line" err=UNKNOWN_SERIAL outcome=none verified=0
}
if [ $HAVE_V3 = 0 ]; then
  fail adapters_v3_end_to_end "wxpay_close.h has no wxpay_v3_close() definition or the emulator no v3 path yet"
elif [ $TLS = 0 ]; then
  skip adapters_v3_end_to_end "no test certificates (openssl missing)"
elif [ ! -s "$CERTS/merchant.serial" ] || [ ! -s "$CERTS/platform.serial" ]; then
  fail adapters_v3_end_to_end "mkcerts.sh made no merchant/platform identities in $CERTS"
else
  for A in $V3_PAIRS; do
    if [ "$(cat "$B/v3drv_$A.rc")" != 0 ]; then report "v3drv_$A" "${A}_v3_driver_builds"; continue; fi
    if [ $A = curl ]; then v3suite curl CURL curl_openssl; else v3suite mbedtls MBED mbedtls; fi
  done
fi
exit 0
