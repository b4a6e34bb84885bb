#!/bin/sh
# tests/windows/run.sh -- wxpay_close.h as a Windows program: built with
# mingw-w64 (x86_64-w64-mingw32-gcc) and run under wine (64-bit).
#
# - every unit test (tests/unit/test_*.c), names ending in _win64;
# - tests/windows/win_test.c: the default random source is BCryptGenRandom
#   (chosen at compile time, imported by the .exe, 2000 nonces that look
#   random), the default clock is Unix time (checked against
#   GetSystemTimeAsFileTime through the one-minute guard), build + parse with
#   neither callback;
# - the wxpay-close CLI (no socket transport on Windows): --dry-run prints
#   the same bytes as the Linux build, draws fresh nonces, its clock drives
#   the one-minute guard, and `verify` answers as the Linux build does for
#   good, tampered and hostile bodies (stdin in binary mode: a CR LF inside
#   a signed value stays two bytes).
# Every build: -std=c99 -Wpedantic -Wvla and the other strict warnings,
# -Werror (MSVC-compatible C: no VLAs, no GNU extensions outside guards).
#
# WINEPREFIX is build/windows/wineprefix (made on the first run), WINEDEBUG
# -all. No x86_64-w64-mingw32-gcc or wine: SKIP (apt-get install mingw-w64
# wine wine64).
cd "$(dirname "$0")/../.." || exit 2
ROOT=$(pwd)
B=build/windows
MINGW=${MINGW_CC:-x86_64-w64-mingw32-gcc}
CC=${CC:-cc}
STRICT="-std=c99 -Wall -Wextra -Wpedantic -Wconversion -Wsign-conversion -Wshadow -Wstrict-prototypes -Wvla -Werror"
KEY=192006250b4c09247ec02edce69f6a2d
APPID=wx8888888888888888
MCHID=1900000109

pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }
skip() { echo "SKIP $1: $2"; }
peek() { head -c 300 "$1" 2>/dev/null | tr '\n\r' '  '; }

if ! command -v "$MINGW" > /dev/null 2>&1; then
  skip windows "$MINGW not installed (apt-get install mingw-w64)"
  exit 0
fi
WINE=""
for w in wine wine64; do
  if command -v $w > /dev/null 2>&1; then WINE=$w; break; fi
done
if [ -z "$WINE" ]; then
  skip windows "wine not installed (apt-get install wine wine64)"
  exit 0
fi
command -v python3 > /dev/null 2>&1 || { skip windows "python3 not installed"; exit 0; }
mkdir -p "$B"
WINEPREFIX=$ROOT/$B/wineprefix
WINEDEBUG=-all
export WINEPREFIX WINEDEBUG
# no display, no dialogs: a console program needs none
unset DISPLAY WAYLAND_DISPLAY

# ------------------------------------------------------------- builds --
# (in the background while wine starts)
rm -f "$B"/*.rc "$B"/*.exe
bg() { # NAME command...: exit status in $B/NAME.rc
  b_name=$1; shift
  ( if "$@" > "$B/$b_name.log" 2>&1; then echo 0; else echo 1; fi > "$B/$b_name.rc.tmp"
    mv "$B/$b_name.rc.tmp" "$B/$b_name.rc" ) &
}
await() { # NAME: 0 when built
  a_i=0
  while [ ! -f "$B/$1.rc" ] && [ $a_i -lt 3000 ]; do sleep 0.05; a_i=$((a_i + 1)); done
  [ "$(cat "$B/$1.rc" 2> /dev/null)" = 0 ]
}
UNITS=""
for src in tests/unit/test_*.c; do
  n=$(basename "$src" .c)
  UNITS="$UNITS $n"
  bg "$n" "$MINGW" $STRICT -Wno-unused-function -O2 '-DT_SUFFIX="_win64"' -I. "$src" \
    -o "$B/$n.exe" -lbcrypt
done
bg win_test "$MINGW" $STRICT -Wno-unused-function -O2 '-DT_SUFFIX="_win64"' -I. \
  tests/windows/win_test.c -o "$B/win_test.exe" -lbcrypt
bg cli "$MINGW" $STRICT -O2 -I. examples/wxpay-close/*.c -o "$B/wxpay-close.exe" -lbcrypt
# the same CLI for this machine, socket transport only: the reference
bg cli_host "$CC" $STRICT -O2 -I. examples/wxpay-close/*.c -o "$B/wxpay-close-host"
python3 tests/cli/helpers.py responses "$B" "$KEY" closed already paid systemerror tampered \
  wrongkey nosign otherappid hostile binary nul gbk > "$B/responses.log" 2>&1 &
RESP_PID=$!

# the first start of a new prefix runs wineboot (slow); the server then
# stays up for the whole suite and is stopped at the end
start=$(date +%s)
"${WINE}server" -p 2> /dev/null || wineserver -p 2> /dev/null
trap 'wineserver -k 2> /dev/null' EXIT
"$WINE" cmd /c exit 0 > "$B/wineboot.log" 2>&1
echo "note: wine ready in $(($(date +%s) - start)) s ($($WINE --version 2> /dev/null))"

# wine's console output ends lines with CR LF when it translates: drop CRs
# for the unit lines only (the CLI's bytes are compared as they are)
run_unit() { # exe: its PASS/FAIL lines; FAIL for a bad exit status
  "$WINE" "$1" > "$1.out" 2> "$1.err" < /dev/null
  r_rc=$?
  tr -d '\r' < "$1.out"
  [ $r_rc = 0 ] || echo "FAIL $(basename "$1" .exe)_win64_exits_0: exit $r_rc $(peek "$1.err")"
}

for n in $UNITS; do
  if await "$n"; then run_unit "$B/$n.exe"
  else fail "${n}_win64_builds_c99_pedantic_no_vla" "$(peek "$B/$n.log")"; fi
done
if await win_test; then
  pass windows_test_builds_c99_pedantic_no_vla
  run_unit "$B/win_test.exe"
  if x86_64-w64-mingw32-objdump -p "$B/win_test.exe" 2> /dev/null |
       awk '/DLL Name: bcrypt.dll/ {d = 1} d && /BCryptGenRandom/ {f = 1} END {exit !f}'; then
    pass windows_exe_imports_bcryptgenrandom_from_bcrypt_dll
  else fail windows_exe_imports_bcryptgenrandom_from_bcrypt_dll "not in the import table"; fi
else fail windows_test_builds_c99_pedantic_no_vla "$(peek "$B/win_test.log")"; fi

# ---------------------------------------------------------------- CLI --
if ! await cli; then
  fail windows_cli_builds_c99_pedantic_no_vla "$(peek "$B/cli.log")"
  exit 0
fi
pass windows_cli_builds_c99_pedantic_no_vla
if ! await cli_host; then
  fail windows_cli_host_reference_builds "$(peek "$B/cli_host.log")"
  exit 0
fi
WIN="$B/wxpay-close.exe"
HOST="$B/wxpay-close-host"
WXPAY_API_KEY=$KEY
export WXPAY_API_KEY

# same NAME ARGS...: the Windows and the host build give the same stdout
# bytes and exit status (stdin from $B/in)
same() {
  s_name=$1; shift
  "$WINE" "$WIN" "$@" < "$B/in" > "$B/$s_name.win" 2> "$B/$s_name.win.err"
  s_wrc=$?
  "$HOST" "$@" < "$B/in" > "$B/$s_name.host" 2> "$B/$s_name.host.err"
  s_hrc=$?
  if [ $s_wrc != $s_hrc ]; then
    fail "$s_name" "exit $s_wrc on Windows, $s_hrc here: $(peek "$B/$s_name.win") $(peek "$B/$s_name.win.err")"
  elif ! cmp -s "$B/$s_name.win" "$B/$s_name.host"; then
    fail "$s_name" "stdout differs: $(peek "$B/$s_name.win") / $(peek "$B/$s_name.host")"
  else pass "$s_name"; fi
}
: > "$B/in"
same windows_cli_dry_run_bytes_equal_host_build --appid $APPID --mchid $MCHID \
  --order 1217752501201407033233368018 --sub 1900009001:OD201708030001 --nonce 5K8264ILTKCH16CQ2502SI8ZNMTM67VS --dry-run
same windows_cli_dry_run_three_sub_orders_bytes_equal_host_build --appid $APPID --mchid $MCHID \
  --order WIN_3 --sub 1900009001:A1 --sub 1900009002:B_2 --sub 1900009003:C-3 --nonce abc --dry-run
same windows_cli_dry_run_sub_order_list_json_bytes_equal_host_build --appid $APPID --mchid $MCHID \
  --order WIN_J --sub-order-list '[{"mchid":"1900009001","out_trade_no":"\u8ba2\u5355"}]' --nonce abc --dry-run

# fresh nonces from BCryptGenRandom
for i in 1 2; do
  "$WINE" "$WIN" --appid $APPID --mchid $MCHID --order WIN_N --sub 1900009001:N1 --dry-run \
    < /dev/null > "$B/nonce$i.out" 2> /dev/null
done
n1=$(sed -n 's/.*<nonce_str>\([^<]*\)<.*/\1/p' "$B/nonce1.out")
n2=$(sed -n 's/.*<nonce_str>\([^<]*\)<.*/\1/p' "$B/nonce2.out")
if printf '%s\n%s\n' "$n1" "$n2" | grep -cx '[0-9A-Za-z]\{32\}' | grep -qx 2 && [ "$n1" != "$n2" ]; then
  pass windows_cli_dry_run_draws_a_fresh_random_nonce
else fail windows_cli_dry_run_draws_a_fresh_random_nonce "nonces '$n1' '$n2'"; fi

# the CLI's clock: an order created 10 s ago waits about 50 s, nothing sent
created=$(($(date +%s) - 10))
"$WINE" "$WIN" --appid $APPID --mchid $MCHID --order WIN_T --sub 1900009001:T1 \
  --endpoint http://127.0.0.1:9/pay/closecombinedorder --created-at $created \
  < /dev/null > "$B/early.out" 2> "$B/early.err"
rc=$?
wait_s=$(sed -n 's/^retry after \([0-9]*\) s.*/\1/p' "$B/early.out")
if [ $rc = 4 ] && [ -n "$wait_s" ] && [ "$wait_s" -ge 45 ] && [ "$wait_s" -le 50 ]; then
  pass windows_cli_clock_drives_the_one_minute_guard
else fail windows_cli_clock_drives_the_one_minute_guard "exit $rc: $(peek "$B/early.out") $(peek "$B/early.err")"; fi
"$WINE" "$WIN" --appid $APPID --mchid $MCHID --order WIN_S --sub 1900009001:S1 \
  --endpoint http://127.0.0.1:9/pay/closecombinedorder < /dev/null > "$B/send.out" 2> "$B/send.err"
rc=$?
if [ $rc = 2 ] && grep -q "no socket transport" "$B/send.err"; then
  pass windows_cli_without_transport_refuses_to_send
else fail windows_cli_without_transport_refuses_to_send "exit $rc: $(peek "$B/send.err")"; fi

# verify: the same answers as the host build, body by body
wait $RESP_PID
for k in closed already paid systemerror tampered wrongkey nosign otherappid hostile binary nul gbk; do
  if [ ! -f "$B/r_$k.xml" ]; then
    fail "windows_cli_verify_${k}_body_same_as_host_build" "no body: $(peek "$B/responses.log")"
    continue
  fi
  cp "$B/r_$k.xml" "$B/in"
  same "windows_cli_verify_${k}_body_same_as_host_build" verify --appid $APPID --mchid $MCHID
done
# a signed value with CR LF: a text-mode stdin would make it LF, and the
# signature would fail (checked: without _setmode(_O_BINARY) it does)
signed_body() { # FILE RETURN_MSG (CRLF stands for the two bytes)
  python3 - "$1" "$KEY" "$2" <<'PY'
import hashlib, hmac, sys
path, key = sys.argv[1], sys.argv[2]
msg = sys.argv[3].replace("CRLF", "\r\n")
f = {"return_code": "SUCCESS", "return_msg": msg, "combine_appid": "wx8888888888888888",
     "combine_mch_id": "1900000109", "nonce_str": "abc", "result_code": "SUCCESS"}
s = "&".join("%s=%s" % (k, f[k]) for k in sorted(f)) + "&key=" + key
sign = hmac.new(key.encode(), s.encode(), hashlib.sha256).hexdigest().upper()
body = "<xml>" + "".join("<%s><![CDATA[%s]]></%s>" % (k, v, k) for k, v in f.items())
open(path, "wb").write((body + "<sign>" + sign + "</sign></xml>").encode())
PY
}
signed_body "$B/in" "OCRLFK"
same windows_cli_verify_reads_crlf_as_bytes verify --appid $APPID --mchid $MCHID
if grep -q '^closed' "$B/windows_cli_verify_reads_crlf_as_bytes.win"; then
  pass windows_cli_verify_crlf_in_a_signed_value_verifies
else fail windows_cli_verify_crlf_in_a_signed_value_verifies "$(peek "$B/windows_cli_verify_reads_crlf_as_bytes.win")"; fi
exit 0
