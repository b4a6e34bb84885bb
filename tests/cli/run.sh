#!/bin/sh
# tests/cli/run.sh -- the wxpay-close tool end to end against the local
# emulator (every exit status), --dry-run byte for byte against an
# independent Python builder, `verify` on good, tampered and hostile bodies,
# the examples (embedded, also for Cortex-M4), the README's C examples, the
# demo, `make install` + a pkg-config consumer, and a CMake consumer.
#
# One line per test: PASS name / FAIL name: why / SKIP name: why (see
# tests/CONVENTIONS.md). Build output: build/cli/. No traffic leaves
# 127.0.0.1: every command that could send gets an emulator --endpoint or
# sends nothing by design (--dry-run, usage errors, the socket transport
# refusing https://).
# shellcheck disable=SC2046,SC2086,SC2013  # $(W NO) and $WARN split into arguments on purpose
cd "$(dirname "$0")/../.." || exit 2
ROOT=$(pwd)
# Each run works in its own directory, so two runs at once (a `make test`
# while another is going) cannot delete each other's files; directories of
# runs that have ended are removed.
for d in build/cli/run-*; do
  [ -d "$d" ] || continue
  kill -0 "${d##*/run-}" 2>/dev/null || rm -rf "$d"
done
B=build/cli/run-$$
mkdir -p "$B"

CC=${CC:-cc}
WARN="-std=c99 -Wall -Wextra -Wpedantic -Wconversion -Wsign-conversion -Wshadow -Wstrict-prototypes -Werror"
KEY=192006250b4c09247ec02edce69f6a2d
APPID=wx8888888888888888
MCHID=1900000109
WXPAY_API_KEY=$KEY
export WXPAY_API_KEY
# the interpreter itself, not a version-manager shim: much faster to start
PY=$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null) || PY=python3
H="$PY tests/cli/helpers.py"
CLI=$B/wxpay-close
SOCK_CLI=$B/socket-only/wxpay-close
VERSION=$(sed -n 's/^#define WXPAY_VERSION "\(.*\)"$/\1/p' wxpay_close.h)

pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }
skip() { echo "SKIP $1: $2"; }
# first bytes of a file on one line, for failure messages
peek() { head -c 400 "$1" 2>/dev/null | tr '\n' ' '; }

# x NAME [-u VAR] [VAR=VALUE...] PROGRAM ARGS... : runs through env(1);
# stdout in $B/NAME.out, stderr in $B/NAME.err, status in $rc.
x() {
  n=$1
  shift
  env "$@" >"$B/$n.out" 2>"$B/$n.err"
  rc=$?
}

# check TEST WANT_STATUS [PATTERN_IN_STDOUT] -- after x
check() {
  if [ "$rc" -ne "$2" ]; then
    fail "$1" "exit $rc, want $2; stdout: $(peek "$B/$n.out") stderr: $(peek "$B/$n.err")"
  elif [ -n "${3:-}" ] && ! grep -q -- "$3" "$B/$n.out"; then
    fail "$1" "stdout lacks '$3': $(peek "$B/$n.out")"
  else
    pass "$1"
  fi
}

# usage TEST PATTERN -- after x: exit 2, one line on stderr naming the
# problem, nothing on stdout
usage() {
  if [ "$rc" -ne 2 ]; then
    fail "$1" "exit $rc, want 2; stderr: $(peek "$B/$n.err")"
  elif [ "$(wc -l <"$B/$n.err")" -ne 1 ]; then
    fail "$1" "want one line on stderr, got: $(peek "$B/$n.err")"
  elif ! grep -q -- "$2" "$B/$n.err"; then
    fail "$1" "stderr lacks '$2': $(peek "$B/$n.err")"
  elif [ -s "$B/$n.out" ]; then
    fail "$1" "stdout not empty: $(peek "$B/$n.out")"
  else
    pass "$1"
  fi
}

# jcheck TEST EXPECT_JSON -- after x: stdout is one JSON object matching
jcheck() {
  if why=$($H json-fields "$B/$n.out" "$2"); then
    pass "$1"
  else
    fail "$1" "$why"
  fi
}

# ===================================================================== build

if make -s --no-print-directory -f examples/examples.mk BUILD=$B all >"$B/build.log" 2>&1; then
  pass cli_and_embedded_build_warning_free
else
  fail cli_and_embedded_build_warning_free "$(peek "$B/build.log")"
fi
TRANSPORTS=$(make -s --no-print-directory -f examples/examples.mk BUILD=$B config | sed -n 's/^transports *//p')
echo "transports built in: $TRANSPORTS"
has_transport() { case " $TRANSPORTS " in *" $1 "*) return 0 ;; esac; return 1; }

if make -s --no-print-directory -f examples/examples.mk WXPAY_CLI_CURL=0 WXPAY_CLI_MBEDTLS=0 \
  BUILD=$B/socket-only "$SOCK_CLI" >"$B/build-sock.log" 2>&1 &&
  "$SOCK_CLI" --version | grep -q 'transports: socket)'; then
  pass cli_builds_socket_only_without_libcurl_or_mbedtls
else
  fail cli_builds_socket_only_without_libcurl_or_mbedtls "$(peek "$B/build-sock.log")"
fi

if command -v clang >/dev/null 2>&1; then
  if make -s --no-print-directory -f examples/examples.mk CC=clang BUILD=$B/clang all >"$B/build-clang.log" 2>&1; then
    pass cli_builds_warning_free_with_clang
  else
    fail cli_builds_warning_free_with_clang "$(peek "$B/build-clang.log")"
  fi
else
  skip cli_builds_warning_free_with_clang "clang not installed"
fi

if [ ! -x "$CLI" ]; then
  fail cli_exists "the build failed; the rest of the suite needs $CLI"
  exit 1
fi

# ================================================================ emulator

CERTS=
if command -v openssl >/dev/null 2>&1 && sh tests/emulator/mkcerts.sh "$B/certs" >"$B/mkcerts.log" 2>&1; then
  CERTS="--certs $B/certs"
fi
# shellcheck disable=SC2086
$PY tests/emulator/emulator.py $CERTS --port-file "$B/ports.json" --lifetime 900 \
  >"$B/emulator.out" 2>"$B/emulator.log" &
EMU=$!
trap 'kill $EMU 2>/dev/null; wait $EMU 2>/dev/null' EXIT
trap 'exit 1' INT TERM
i=0
while [ ! -s "$B/ports.json" ] && [ $i -lt 100 ] && kill -0 $EMU 2>/dev/null; do
  sleep 0.1
  i=$((i + 1))
done
HTTP=$(sed -n 's/.*"http": *\([0-9][0-9]*\).*/\1/p' "$B/ports.json" 2>/dev/null)
HTTPS=$(sed -n 's/.*"https": *\([0-9][0-9]*\).*/\1/p' "$B/ports.json" 2>/dev/null)
if [ -z "$HTTP" ]; then
  fail emulator_starts "$(peek "$B/emulator.log")"
  exit 1
fi
BASE=http://127.0.0.1:$HTTP
E=$BASE/pay/closecombinedorder
reqs() { $H emu "$BASE" requests; }
# neworder NO [STATE] [AGE]: a fresh order of merchant 1900000109 with the
# single sub-order 1900009001:NO_A
neworder() {
  $H emu "$BASE" add "{\"orders\":[{\"combine_out_trade_no\":\"$1\",\"combine_mch_id\":\"$MCHID\",\"state\":\"${2:-open}\",\"age\":${3:-3600},\"sub_orders\":[{\"mchid\":\"1900009001\",\"out_trade_no\":\"$1_A\"}]}]}" >/dev/null
}
W() { # the common close arguments for order NO
  echo "--appid $APPID --mchid $MCHID --order $1 --sub 1900009001:$1_A"
}

# =================================================================== help

x help "$CLI" --help
ok=1
for s in 0 2 3 4 5 6; do
  grep -q "^  $s  " "$B/help.out" || ok=0
done
if [ $rc -eq 0 ] && [ $ok = 1 ] && grep -q WXPAY_API_KEY "$B/help.out"; then
  pass help_lists_every_exit_status_and_the_key_variable
else
  fail help_lists_every_exit_status_and_the_key_variable "$(peek "$B/help.out")"
fi
x version "$CLI" --version
check version_names_the_library_version 0 "wxpay-close $VERSION"

# ============================================================ usage errors

before=$(reqs)
x u_noargs "$CLI"
if [ $rc -eq 2 ] && grep -q usage "$B/u_noargs.out"; then pass no_arguments_prints_usage_and_exits_2; else fail no_arguments_prints_usage_and_exits_2 "exit $rc"; fi
x u_unknown "$CLI" $(W U1) --endpoint "$E" --frobnicate
usage usage_unknown_flag_is_named "unknown option '--frobnicate'"
x u_appid "$CLI" --mchid $MCHID --order U1 --sub 1:U1 --endpoint "$E"
usage usage_missing_appid_is_named "missing --appid"
x u_sub0 "$CLI" --appid $APPID --mchid $MCHID --order U1 --endpoint "$E"
usage usage_missing_sub_is_named "missing --sub"
x u_sub1 "$CLI" --appid $APPID --mchid $MCHID --order U1 --sub nocolon --endpoint "$E"
usage usage_malformed_sub_without_colon "malformed --sub 'nocolon'"
x u_sub2 "$CLI" --appid $APPID --mchid $MCHID --order U1 --sub :OD1 --endpoint "$E"
usage usage_malformed_sub_without_mchid "malformed --sub ':OD1'"
x u_sub3 "$CLI" --appid $APPID --mchid $MCHID --order U1 --sub 1900009001: --endpoint "$E"
usage usage_malformed_sub_without_order "malformed --sub"
x u_sub4 "$CLI" --appid $APPID --mchid $MCHID --order U1 --sub 1:a --sub '1900009001:OD#2' --endpoint "$E"
usage usage_bad_sub_order_names_which_sub "invalid --sub #2 (out_trade_no)"
x u_sub11 "$CLI" --appid $APPID --mchid $MCHID --order U1 --endpoint "$E" \
  --sub 1:a1 --sub 1:a2 --sub 1:a3 --sub 1:a4 --sub 1:a5 --sub 1:a6 --sub 1:a7 --sub 1:a8 --sub 1:a9 --sub 1:a10 --sub 1:a11
usage usage_more_than_ten_sub_orders "at most 10"
x u_order "$CLI" --appid $APPID --mchid $MCHID --order 'bad order!' --sub 1:a --endpoint "$E"
usage usage_bad_order_chars_names_the_flag "invalid --order (combine_out_trade_no)"
x u_long "$CLI" --appid $APPID --mchid $MCHID --order 123456789012345678901234567890123 --sub 1:a --endpoint "$E"
usage usage_order_longer_than_32_is_named "invalid --order"
x u_appid_long "$CLI" --appid wx88888888888888888888888888888888 --mchid $MCHID --order U1 --sub 1:a --endpoint "$E"
usage usage_appid_longer_than_32_is_named "invalid --appid"
x u_key "$CLI" $(W U1) --endpoint "$E" --key $KEY
usage usage_key_on_the_command_line_is_refused "not taken from the command line"
x u_key2 "$CLI" $(W U1) --endpoint "$E" --key=$KEY
usage usage_key_equals_on_the_command_line_is_refused "not taken from the command line"
x u_nokey -u WXPAY_API_KEY "$CLI" $(W U1) --endpoint "$E"
usage usage_missing_key_is_named "no API key"
x u_shortkey WXPAY_API_KEY=abc "$CLI" $(W U1) --endpoint "$E"
usage usage_short_key_says_32_bytes "exactly 32"
x u_v3key WXPAY_API_KEY=${KEY}extra "$CLI" $(W U1) --endpoint "$E"
usage usage_long_key_says_not_the_apiv3_key "not the APIv3 key"
x u_keyfile "$CLI" $(W U1) --endpoint "$E" --key-file "$B/no-such-file"
usage usage_unreadable_key_file_is_named "cannot read --key-file"
x u_attempts "$CLI" $(W U1) --endpoint "$E" --attempts 0
usage usage_attempts_out_of_range "--attempts wants"
x u_attempts2 "$CLI" $(W U1) --endpoint "$E" --attempts 11
usage usage_attempts_above_ten "--attempts wants"
x u_timeout "$CLI" $(W U1) --endpoint "$E" --timeout 5s
usage usage_timeout_not_a_number "--timeout wants"
x u_created "$CLI" $(W U1) --endpoint "$E" --created-at -5
usage usage_created_at_not_unix_seconds "--created-at wants"
x u_value "$CLI" $(W U1) --endpoint
usage usage_flag_without_value "--endpoint needs a value"
x u_url "$CLI" $(W U1) --endpoint "ftp://127.0.0.1/x"
usage usage_endpoint_must_be_http_or_https "--endpoint wants an http:// or https:// URL"
x u_transport "$CLI" $(W U1) --endpoint "$E" --transport carrier-pigeon
usage usage_unknown_transport_is_named "unknown --transport 'carrier-pigeon'"
x u_notbuilt "$SOCK_CLI" $(W U1) --endpoint "$E" --transport curl
usage usage_transport_not_built_in_is_named "built without curl"
x u_nonce "$CLI" $(W U1) --endpoint "$E" --nonce 'has space'
usage usage_bad_nonce_is_named "invalid --nonce"
x u_nonce2 "$CLI" $(W U1) --endpoint "$E" --nonce 123456789012345678901234567890123
usage usage_nonce_longer_than_32_is_named "invalid --nonce"
x u_both "$CLI" $(W U1) --endpoint "$E" --sub-order-list '[]'
usage usage_sub_and_sub_order_list_together "not both"
x u_dryjson "$CLI" $(W U1) --dry-run --json
if [ $rc -eq 2 ] && grep -q "drop --json" "$B/u_dryjson.err"; then pass usage_dry_run_with_json_refused; else fail usage_dry_run_with_json_refused "exit $rc"; fi
x u_verify_pos "$CLI" $(W U1) verify
usage usage_verify_must_come_first "'verify' must come first"
x u_verify_flags "$CLI" verify --order U1 </dev/null
usage usage_verify_refuses_close_flags "verify takes only"
x u_stray "$CLI" $(W U1) --endpoint "$E" stray
usage usage_stray_argument_is_named "unexpected argument 'stray'"
x u_json "$CLI" $(W U1) --endpoint "$E" --json --frobnicate
jcheck usage_error_with_json_prints_a_json_object '{"outcome": "invalid", "exit": 2, "error": "USAGE", "flag": "--frobnicate"}'
x u_https_sock "$SOCK_CLI" $(W U1)
usage socket_transport_refuses_the_default_https_endpoint "plain http:// only"
x u_https_sock2 "$CLI" $(W U1) --transport socket --endpoint "https://127.0.0.1:9/pay/closecombinedorder"
usage socket_transport_refuses_an_https_endpoint "plain http:// only"
x u_https_sock3 "$CLI" $(W U1) --transport socket --endpoint "$E" --backup-endpoint "https://127.0.0.1:9/x"
usage socket_transport_refuses_an_https_backup "plain http:// only"
after=$(reqs)
if [ "$before" = "$after" ]; then
  pass usage_errors_send_nothing
else
  fail usage_errors_send_nothing "the emulator saw $((after - before)) request(s)"
fi

# ========================================= --dry-run against a reference

# dry TEST NONCE APPID MCHID ORDER SUB... : --dry-run (exact argv) compared
# byte for byte with the Python builders (tests/cli/helpers.py, wxpay_ref.py)
dry() {
  t=$1
  shift
  if why=$($H drycheck "$CLI" "$B/$t.out" "$@"); then pass "$t"; else fail "$t" "$why"; fi
}

before=$(reqs)
dry dry_run_matches_reference_for_the_seed_example ibuaiVcKdpRxkhJA $APPID $MCHID \
  1217752501201407033233368018 1900009001:OD201708030001
if grep -q '<sign>509AC0CBE8222A321B41F6BD4EFD8FE38D2E61251270F5664280BAD4268C020B</sign></xml>$' \
  "$B/dry_run_matches_reference_for_the_seed_example.out"; then
  pass dry_run_seed_example_has_the_known_answer_signature
else
  fail dry_run_seed_example_has_the_known_answer_signature "$(peek "$B/dry_run_matches_reference_for_the_seed_example.out")"
fi
dry dry_run_matches_reference_for_three_sub_orders 5K8264ILTKCH16CQ2502SI8ZNMTM67VS $APPID $MCHID \
  DEMO_MULTI_0001 1900009001:OD_MULTI_0001_A 1900009002:OD_MULTI_0001_B 1900009003:OD_MULTI_0001_C
dry dry_run_matches_reference_for_ten_sub_orders n $APPID $MCHID T10 \
  1:a1 2:a2 3:a3 4:a4 5:a5 6:a6 7:a7 8:a8 9:a9 10:a10
dry dry_run_matches_reference_for_order_number_punctuation abcDEF0123456789 $APPID $MCHID \
  'O_-|*@1' '1900009001:S-_|*@2'
dry dry_run_matches_reference_when_values_need_cdata 'n<&>"' 'wx<&">1' "$MCHID" O1 1900009001:OD1
dry dry_run_matches_reference_when_a_value_holds_cdata_end 'N]]>x' 'a]]>b' 'm]]]>>' O1 1900009001:OD1
dry dry_run_matches_reference_for_json_escapes_in_mchid nonce $APPID $MCHID O1 \
  'a"b\c/d:OD1' "x'y:OD2"
dry dry_run_matches_reference_for_a_verbatim_sub_order_list nonce $APPID $MCHID O1 \
  'json:[{"mchid":"1900009001","out_trade_no":"OD1","note":"中文 ]]> <&>"}]'
dry dry_run_matches_reference_for_mchid_with_colons nonce $APPID $MCHID O1 'a:b:c:OD1'

x dry_nl "$CLI" $(W D1) --dry-run --nonce abc
if [ $rc -eq 0 ] && [ "$(tail -c 6 "$B/dry_nl.out")" = "</xml>" ] && [ ! -s "$B/dry_nl.err" ]; then
  pass dry_run_prints_the_bytes_only_no_newline
else
  fail dry_run_prints_the_bytes_only_no_newline "$(peek "$B/dry_nl.out")"
fi
x dry_rand "$CLI" $(W D2) --dry-run
nonce=$(sed -n 's/.*<nonce_str>\([0-9A-Za-z]*\)<\/nonce_str>.*/\1/p' "$B/dry_rand.out")
$H body "$KEY" "$nonce" $APPID $MCHID D2 1900009001:D2_A >"$B/dry_rand.ref" 2>/dev/null
if [ ${#nonce} -eq 32 ] && cmp -s "$B/dry_rand.out" "$B/dry_rand.ref"; then
  pass dry_run_draws_a_32_char_alphanumeric_nonce_and_signs_it
else
  fail dry_run_draws_a_32_char_alphanumeric_nonce_and_signs_it "nonce '$nonce': $(peek "$B/dry_rand.out")"
fi
x dry_rand2 "$CLI" $(W D2) --dry-run
if ! cmp -s "$B/dry_rand.out" "$B/dry_rand2.out"; then pass dry_run_nonces_differ_between_runs; else fail dry_run_nonces_differ_between_runs "same body twice"; fi

umask 077
printf '%s\n' "$KEY" >"$B/key.txt"
x dry_keyfile -u WXPAY_API_KEY "$CLI" $(W D1) --dry-run --nonce abc --key-file "$B/key.txt"
if [ $rc -eq 0 ] && cmp -s "$B/dry_keyfile.out" "$B/dry_nl.out"; then
  pass key_file_with_trailing_newline_signs_like_the_variable
else
  fail key_file_with_trailing_newline_signs_like_the_variable "exit $rc $(peek "$B/dry_keyfile.err")"
fi

x explain "$CLI" $(W E1) --dry-run --nonce ibuaiVcKdpRxkhJA --explain
$H signstring ibuaiVcKdpRxkhJA $APPID $MCHID E1 1900009001:E1_A >"$B/explain.ref"
if [ $rc -eq 0 ] && grep -qF "$(cat "$B/explain.ref")" "$B/explain.err" &&
  grep -q '&key=\*\*\*$' "$B/explain.err" && ! grep -qF "$KEY" "$B/explain.err" &&
  grep -q '^<xml>' "$B/explain.out"; then
  pass explain_prints_the_signed_string_with_the_key_masked
else
  fail explain_prints_the_signed_string_with_the_key_masked "$(peek "$B/explain.err")"
fi

x guard "$CLI" $(W G1) --endpoint "$E" --created-at $(($(date +%s) - 18))
if [ $rc -eq 4 ] && grep -q "^retry after 4[0-3] s" "$B/guard.out"; then
  pass created_at_within_a_minute_says_retry_after_n_s_exit_4
else
  fail created_at_within_a_minute_says_retry_after_n_s_exit_4 "exit $rc: $(peek "$B/guard.out")"
fi
x guard_json "$CLI" $(W G1) --endpoint "$E" --created-at $(($(date +%s) - 30)) --json
if $H json-fields "$B/guard_json.out" '{"outcome": "retry", "exit": 4, "error": "TOO_EARLY", "fields": []}' >"$B/guard_json.why" &&
  $PY -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if 28 <= d["retry_after"] <= 31 else 1)' "$B/guard_json.out"; then
  pass created_at_guard_json_has_retry_after
else
  fail created_at_guard_json_has_retry_after "$(cat "$B/guard_json.why") $(peek "$B/guard_json.out")"
fi
after=$(reqs)
if [ "$before" = "$after" ]; then
  pass dry_run_and_the_one_minute_guard_send_nothing
else
  fail dry_run_and_the_one_minute_guard_send_nothing "the emulator saw $((after - before)) request(s)"
fi

# ====================================================== end to end: close

neworder C1
x c1 "$CLI" $(W C1) --endpoint "$E"
check close_open_order_says_closed_exit_0 0 "^closed: combined order C1 is closed"
x c1b "$CLI" $(W C1) --endpoint "$E"
check close_again_says_already_closed_exit_0 0 "^already closed"
x paid "$CLI" --appid $APPID --mchid $MCHID --order DEMO_PAID_0001 --sub 1900009001:OD_PAID_0001 --endpoint "$E"
check close_paid_order_says_paid_do_not_reissue_exit_3 3 "order is PAID — do not reissue, treat as paid"
neworder Y1 open 0
x young "$CLI" $(W Y1) --endpoint "$E" --attempts 1
check close_too_early_at_the_server_exit_4 4 "^retry later: SYSTEMERROR"
x nf "$CLI" $(W NOPE1) --endpoint "$E"
check close_unknown_order_is_rejected_exit_5 5 "^rejected: ORDERNOTEXIST"
neworder K1
x wrongkey WXPAY_API_KEY=00000000000000000000000000000000 "$CLI" $(W K1) --endpoint "$E"
check close_with_wrong_key_says_check_the_api_key_exit_5 5 "签名错误 — check the API key"
x noauth WXPAY_API_KEY=demo0111demo0111demo0111demo0111 "$CLI" --appid wx1110000000000111 \
  --mchid 1900000111 --order DEMO_NOAUTH_0001 --sub 1900009001:OD_NOAUTH_0001 --endpoint "$E"
check close_without_permission_is_rejected_noauth_exit_5 5 "^rejected: NOAUTH"
neworder M1
x mismatch "$CLI" --appid $APPID --mchid $MCHID --order M1 --sub 1900009001:OTHER --endpoint "$E"
check close_with_wrong_sub_orders_is_rejected_param_error_exit_5 5 "^rejected: PARAM_ERROR"
x h404 "$CLI" $(W M1) --endpoint "$BASE/no/such/path"
check close_http_404_is_rejected_exit_5 5 "HTTP 404"

neworder S1
r0=$(reqs)
x syserr "$CLI" $(W S1) --endpoint "$BASE/systemerror/pay/closecombinedorder" --attempts 3 --retry-delay 10
r1=$(reqs)
if [ $rc -eq 4 ] && grep -q "^retry later: SYSTEMERROR" "$B/syserr.out" && [ $((r1 - r0)) -eq 3 ]; then
  pass close_systemerror_retries_then_exit_4
else
  fail close_systemerror_retries_then_exit_4 "exit $rc, $((r1 - r0)) requests: $(peek "$B/syserr.out")"
fi
x syserr1 "$CLI" $(W S1) --endpoint "$BASE/systemerror-1/pay/closecombinedorder" --attempts 2 --retry-delay 10 --json
jcheck close_retries_after_one_systemerror_and_closes '{"outcome": "closed", "exit": 0, "attempts": 2}'
x h500 "$CLI" $(W S1) --endpoint "$BASE/http500/pay/closecombinedorder" --attempts 2 --retry-delay 10
check close_http_500_after_all_attempts_exit_4 4 "HTTP 500"
x drop "$CLI" $(W S1) --endpoint "$BASE/drop/pay/closecombinedorder" --attempts 2 --retry-delay 10
check close_dropped_connection_exit_4 4 "^retry later: could not complete"
x trunc "$CLI" $(W S1) --endpoint "$BASE/truncated/pay/closecombinedorder" --attempts 1
check close_truncated_response_exit_4 4 "^retry later"
DEAD=$($H freeport)
x refused "$CLI" $(W S1) --endpoint "http://127.0.0.1:$DEAD/pay/closecombinedorder" --attempts 2 --retry-delay 10
check close_connection_refused_exit_4 4 "CONNECT"
x slow "$CLI" $(W S1) --endpoint "$BASE/delay-3000/pay/closecombinedorder" --attempts 1 --timeout 300
check close_timeout_exit_4 4 "TIMEOUT"
for mb in badsign nosign emptysign md5sign notxml; do
  x "mb_$mb" "$CLI" $(W S1) --endpoint "$BASE/$mb/pay/closecombinedorder" --json
  jcheck "close_${mb}_response_is_untrustworthy_exit_6" '{"outcome": "untrusted", "exit": 6}'
done
x mb_human "$CLI" $(W S1) --endpoint "$BASE/badsign/pay/closecombinedorder"
check close_bad_signature_sentence_says_untrustworthy 6 "^untrustworthy response: .*(SIGNATURE)"
x chunked "$CLI" $(W S1) --endpoint "$BASE/chunked/pay/closecombinedorder"
check close_chunked_response_is_read 0 "^already closed"
x extra "$CLI" $(W S1) --endpoint "$BASE/extrafield/pay/closecombinedorder" --json
jcheck close_json_lists_every_field_received_even_unknown_ones \
  '{"outcome": "already_closed", "exit": 0, "verified": true, "field_values": {"emulator_extra": "未知字段 <&> unknown field, signed", "err_code": "ORDERCLOSED"}, "has_fields": ["return_code", "return_msg", "combine_appid", "combine_mch_id", "nonce_str", "sign", "result_code", "err_code", "err_code_des"]}'

neworder F1
x failover "$CLI" $(W F1) --endpoint "http://127.0.0.1:$DEAD/pay/closecombinedorder" \
  --backup-endpoint "$E" --retry-delay 10 --json
jcheck close_fails_over_to_the_backup_endpoint '{"outcome": "closed", "exit": 0, "attempts": 2}'
x nofailover "$CLI" $(W F1) --endpoint "http://127.0.0.1:$DEAD/pay/closecombinedorder" \
  --attempts 2 --retry-delay 10 --verbose
if [ $rc -eq 4 ] && ! grep -q "weixin" "$B/nofailover.err" && grep -q "backup none" "$B/nofailover.err"; then
  pass custom_endpoint_never_fails_over_to_production
else
  fail custom_endpoint_never_fails_over_to_production "exit $rc: $(peek "$B/nofailover.err")"
fi

neworder V1
x verbose "$CLI" $(W V1) --endpoint "$E" --verbose
if [ $rc -eq 0 ] && grep -q "attempt 1: POST $E" "$B/verbose.err" && grep -q "signature verified" "$B/verbose.err"; then
  pass verbose_logs_each_attempt_on_stderr
else
  fail verbose_logs_each_attempt_on_stderr "$(peek "$B/verbose.err")"
fi

neworder J1
x json1 "$CLI" $(W J1) --endpoint "$E" --json
jcheck close_json_has_outcome_and_every_field \
  '{"outcome": "closed", "exit": 0, "error": null, "verified": true, "order": "J1", "http_status": 200, "has_fields": ["return_code", "return_msg", "combine_appid", "combine_mch_id", "nonce_str", "sign", "result_code"]}'
x json2 "$CLI" $(W J1) --endpoint "$BASE/http500/pay/closecombinedorder" --attempts 1 --json
jcheck close_json_for_a_failure_has_error_and_no_fields '{"outcome": "retry", "exit": 4, "error": "HTTP_STATUS", "fields": []}'

# every transport compiled in, over plain HTTP (and HTTPS with --cacert)
for t in $TRANSPORTS; do
  neworder "T_$t"
  x "tr_$t" "$CLI" $(W "T_$t") --endpoint "$E" --transport "$t" --json
  jcheck "close_works_over_the_${t}_transport" "{\"outcome\": \"closed\", \"exit\": 0, \"transport\": \"$t\"}"
done
for t in curl mbedtls; do
  if ! has_transport $t; then
    skip "close_over_https_verifies_the_server_with_${t}" "$t not built in (install its development package)"
    continue
  fi
  if [ -z "$HTTPS" ]; then
    skip "close_over_https_verifies_the_server_with_${t}" "no test certificates (openssl missing)"
    continue
  fi
  neworder "TLS_$t"
  x "tls_$t" "$CLI" $(W "TLS_$t") --endpoint "https://localhost:$HTTPS/pay/closecombinedorder" \
    --transport $t --cacert "$B/certs/ca.pem"
  x "tls_bad_$t" "$CLI" $(W "TLS_$t") --endpoint "https://localhost:$HTTPS/pay/closecombinedorder" \
    --transport $t --cacert "$B/certs/other-ca.pem" --attempts 1 --json
  if [ "$(cat "$B/tls_$t.out")" = "closed: combined order TLS_$t is closed" ] &&
    $H json-fields "$B/tls_bad_$t.out" '{"outcome": "retry", "exit": 4, "net": "TLS"}' >/dev/null; then
    pass "close_over_https_verifies_the_server_with_${t}"
  else
    fail "close_over_https_verifies_the_server_with_${t}" "$(peek "$B/tls_$t.out") / $(peek "$B/tls_bad_$t.out")"
  fi
done

# ================================================================== verify

$H responses "$B" "$KEY" closed already paid systemerror notexist noauth unsigned-fail extra \
  tampered tampered-extra wrongkey nosign emptysign md5 nokeysuffix otherappid othermchid \
  noresult hostile doctype entity pi nested attribute duplicate notutf8 gbk empty binary \
  unterminated-cdata truncated nul manyfields huge deep
# vfy TEST KIND WANT_STATUS PATTERN [FLAGS...]
vfy() {
  t=$1 k=$2 want=$3 pat=$4
  shift 4
  x "v_$k" "$CLI" verify "$@" <"$B/r_$k.xml"
  check "$t" "$want" "$pat"
}
vfy verify_good_closed_body_exit_0 closed 0 "^closed"
if grep -q "^  return_code: SUCCESS" "$B/v_closed.out" && grep -q "^  sign: " "$B/v_closed.out" &&
  grep -q "signature verified" "$B/v_closed.out"; then
  pass verify_prints_every_field_and_that_the_signature_was_checked
else
  fail verify_prints_every_field_and_that_the_signature_was_checked "$(peek "$B/v_closed.out")"
fi
vfy verify_good_orderclosed_body_exit_0 already 0 "^already closed"
vfy verify_good_orderpaid_body_exit_3 paid 3 "order is PAID"
vfy verify_good_systemerror_body_exit_4 systemerror 4 "^retry later: SYSTEMERROR"
vfy verify_good_ordernotexist_body_exit_5 notexist 5 "^rejected: ORDERNOTEXIST"
vfy verify_good_noauth_body_exit_5 noauth 5 "^rejected: NOAUTH"
vfy verify_unsigned_return_code_fail_is_rejected_exit_5 unsigned-fail 5 "rejected: 签名错误 — check the API key"
vfy verify_unknown_signed_field_is_kept_and_verified extra 0 "^  brand_new_field: 新 <&> value"
vfy verify_tampered_value_exit_6 tampered 6 "(SIGNATURE)"
vfy verify_field_added_after_signing_exit_6 tampered-extra 6 "(SIGNATURE)"
vfy verify_body_signed_with_another_key_exit_6 wrongkey 6 "(SIGNATURE)"
vfy verify_missing_sign_exit_6 nosign 6 "(NO_SIGNATURE)"
vfy verify_empty_sign_exit_6 emptysign 6 "(NO_SIGNATURE)"
vfy verify_md5_signed_body_exit_6 md5 6 "(SIGNATURE)"
vfy verify_hmac_without_key_suffix_exit_6 nokeysuffix 6 "(SIGNATURE)"
vfy verify_echo_of_another_appid_exit_6 otherappid 6 "(ECHO_MISMATCH)" --appid $APPID --mchid $MCHID
vfy verify_echo_checks_appid_alone otherappid 6 "(ECHO_MISMATCH)" --appid $APPID
vfy verify_echo_checks_mchid_alone othermchid 6 "(ECHO_MISMATCH)" --mchid $MCHID
vfy verify_without_echo_flags_accepts_any_appid otherappid 0 "^closed"
vfy verify_matching_echo_exit_0 closed 0 "^closed" --appid $APPID --mchid $MCHID
vfy verify_signed_body_without_result_code_exit_6 noresult 6 "(RESPONSE)"
vfy verify_doctype_xxe_refused_exit_6 doctype 6 "(XML_FORBIDDEN"
vfy verify_undeclared_entity_refused_exit_6 entity 6 "(XML_FORBIDDEN"
vfy verify_processing_instruction_refused_exit_6 pi 6 "(XML_FORBIDDEN"
vfy verify_nested_element_refused_exit_6 nested 6 "(XML_NESTED"
vfy verify_attribute_refused_exit_6 attribute 6 "(XML_NESTED"
vfy verify_duplicate_field_refused_exit_6 duplicate 6 "(XML_DUPLICATE"
vfy verify_invalid_utf8_refused_exit_6 notutf8 6 "(UTF8"
vfy verify_gbk_body_refused_exit_6 gbk 6 "(UTF8"
vfy verify_empty_input_exit_6 empty 6 "(XML"
vfy verify_binary_garbage_exit_6 binary 6 "untrustworthy"
vfy verify_unterminated_cdata_exit_6 unterminated-cdata 6 "(XML"
vfy verify_truncated_body_exit_6 truncated 6 "(XML"
vfy verify_nul_byte_exit_6 nul 6 "(XML"
vfy verify_too_many_fields_exit_6 manyfields 6 "(XML_LIMIT"
vfy verify_oversized_body_exit_6 huge 6 "larger than the buffer"
vfy verify_deeply_nested_body_exit_6 deep 6 "(XML_NESTED"
vfy verify_hostile_values_still_verify hostile 0 "^already closed"
if $PY - "$B/v_hostile.out" <<'EOF'; then
import sys
data = open(sys.argv[1], "rb").read()
bad = [b for b in data if (b < 0x20 and b != 0x0A) or b == 0x7F]
sys.exit(1 if bad or b"\xc2\x9b" in data or b"\\r" not in data or b"\\u009B" not in data else 0)
EOF
  pass verify_human_output_escapes_control_characters
else
  fail verify_human_output_escapes_control_characters "raw control bytes in $(peek "$B/v_hostile.out")"
fi
x vj_hostile "$CLI" verify --json <"$B/r_hostile.xml"
jcheck verify_json_carries_hostile_values_exactly "{\"outcome\": \"already_closed\", \"exit\": 0, \"verified\": true, \"hostile_fields_signed_with\": \"$KEY\"}"
x vj_doctype "$CLI" verify --json <"$B/r_doctype.xml"
jcheck verify_json_for_a_refused_body_is_valid '{"outcome": "untrusted", "exit": 6, "error": "XML_FORBIDDEN", "fields": []}'
x v_nokey -u WXPAY_API_KEY "$CLI" verify <"$B/r_closed.xml"
usage verify_without_a_key_exit_2 "no API key"

# =============================================== the key is never printed

if grep -rlF "$KEY" "$B"/*.out "$B"/*.err >"$B/key-leaks.txt" 2>/dev/null; then
  fail key_never_appears_in_any_output "found in $(tr '\n' ' ' <"$B/key-leaks.txt")"
else
  pass key_never_appears_in_any_output
fi

# ================================================================ examples

x emb "$B/embedded"
check embedded_example_runs_split_and_blocking_paths 0 "^ok: closed, then already closed"
if grep -q "wxpay_close_parse(): signature verified, outcome retry SYSTEMERROR" "$B/emb.out" &&
  grep -q "waiting 30 s" "$B/emb.out"; then
  pass embedded_example_shows_the_guard_and_a_retry
else
  fail embedded_example_shows_the_guard_and_a_retry "$(peek "$B/emb.out")"
fi
if $CC $WARN -DWXPAY_NO_ERROR_STRINGS -DWXPAY_ASSERT\(c\)= -I. examples/embedded.c -o "$B/embedded-nostr" 2>"$B/emb-nostr.log"; then
  pass embedded_example_builds_without_error_strings_or_asserts
else
  fail embedded_example_builds_without_error_strings_or_asserts "$(peek "$B/emb-nostr.log")"
fi
if command -v arm-none-eabi-gcc >/dev/null 2>&1; then
  if arm-none-eabi-gcc -mcpu=cortex-m4 -mthumb -Os --specs=nano.specs --specs=nosys.specs -DWXPAY_NO_OS \
    $WARN -I. examples/embedded.c -o "$B/embedded-cm4.elf" >"$B/arm.log" 2>&1; then
    pass embedded_example_builds_for_cortex_m4
  else
    fail embedded_example_builds_for_cortex_m4 "$(peek "$B/arm.log")"
  fi
else
  skip embedded_example_builds_for_cortex_m4 "arm-none-eabi-gcc not installed (Debian: gcc-arm-none-eabi)"
fi

# ================================================================== README

extract() { # MARKER: the ```c block after the line holding MARKER
  awk -v m="$1" 'index($0, m) {f = 1; next} f && /^```c/ {next} f && /^```/ {exit} f' README.md
}
extract "readme_example -->" >"$B/readme_example.c"
if has_transport curl; then
  CURL_FLAGS=$(pkg-config --cflags --libs libcurl 2>/dev/null || echo -lcurl)
  # shellcheck disable=SC2086
  if [ -s "$B/readme_example.c" ] &&
    $CC $WARN -I. "$B/readme_example.c" -o "$B/readme_example" $CURL_FLAGS >"$B/readme.log" 2>&1; then
    $H emu "$BASE" add '{"orders":[{"combine_out_trade_no":"1217752501201407033233368018","combine_mch_id":"1900000109","state":"open","age":3600,"sub_orders":[{"mchid":"1900009001","out_trade_no":"OD201708030001"}]}]}' >/dev/null
    x readme_run WXPAY_ENDPOINT="$E" "$B/readme_example"
    x readme_run2 WXPAY_ENDPOINT="$E" "$B/readme_example"
    if [ "$(cat "$B/readme_run.out")" = "closed" ] && [ "$(cat "$B/readme_run2.out")" = "already closed" ]; then
      pass readme_example_compiles_and_closes_an_order
    else
      fail readme_example_compiles_and_closes_an_order "$(peek "$B/readme_run.out") $(peek "$B/readme_run.err")"
    fi
  else
    fail readme_example_compiles_and_closes_an_order "$(peek "$B/readme.log")"
  fi
else
  skip readme_example_compiles_and_closes_an_order "libcurl not installed (Debian: libcurl4-openssl-dev)"
fi
{
  printf '#define WXPAY_CLOSE_IMPLEMENTATION\n#include "wxpay_close.h"\n'
  printf 'void my_http_post_async(const char *url, const char *body, size_t len);\n'
  extract "readme_split_example -->"
} >"$B/readme_split.c"
if grep -q wxpay_close_parse "$B/readme_split.c" &&
  $CC $WARN -I. -c "$B/readme_split.c" -o "$B/readme_split.o" >"$B/readme_split.log" 2>&1; then
  pass readme_split_example_compiles
else
  fail readme_split_example_compiles "$(peek "$B/readme_split.log")"
fi

missing=
for f in $(grep -o -- '--[a-z][a-z-]*' "$B/help.out" | sort -u); do
  grep -q -- "\`$f" README.md || missing="$missing $f"
done
if [ -z "$missing" ]; then pass readme_documents_every_cli_flag; else fail readme_documents_every_cli_flag "missing:$missing"; fi
missing=
for s in 0 1 2 3 4 5 6; do
  grep -q "^| $s |" README.md || missing="$missing $s"
done
if [ -z "$missing" ]; then pass readme_documents_every_exit_status; else fail readme_documents_every_exit_status "missing:$missing"; fi
missing=
for id in $(sed -n '/^#define WXPAY_ERRORS/,/^typedef enum wxpay_err/p' wxpay_close.h | sed -n 's/^ *X(\([A-Z_0-9]*\),.*/\1/p'); do
  grep -q "^| \`$id\` |" README.md || missing="$missing $id"
done
if [ -z "$missing" ]; then pass readme_lists_every_error_code; else fail readme_lists_every_error_code "missing:$missing"; fi
missing=
for m in $(sed -n '/^OPTIONS/,/^TRANSPORT/p' wxpay_close.h | sed -n 's/^   \(WXPAY_[A-Z_0-9]*\).*/\1/p'); do
  grep -q "^| \`$m" README.md || missing="$missing $m"
done
if [ -z "$missing" ]; then pass readme_lists_every_option_macro_of_the_header; else fail readme_lists_every_option_macro_of_the_header "missing:$missing"; fi
if grep -q '^## Code size and memory' README.md && grep -q 'make size' README.md &&
  grep -q '^## Performance' README.md && grep -q 'make bench' README.md; then
  pass readme_size_and_performance_sections_point_at_make_size_and_bench
else
  fail readme_size_and_performance_sections_point_at_make_size_and_bench "section or command missing"
fi
if grep -q '2021-09-01' README.md && grep -q 'APIv3' README.md; then
  pass readme_says_v2_closed_to_new_integrations
else
  fail readme_says_v2_closed_to_new_integrations "no 2021-09-01 note"
fi

# ============================================== licence, version, changelog

sed -n '/^LICENSE (MIT)$/,/^---*$/p' wxpay_close.h | sed '1d;$d' | sed '/./,$!d' >"$B/license.header"
sed '1{/^MIT License$/d}' LICENSE | sed '/./,$!d' >"$B/license.file"
if [ -s "$B/license.header" ] && cmp -s "$B/license.header" "$B/license.file"; then
  pass license_file_matches_the_header
else
  fail license_file_matches_the_header "LICENSE and the end of wxpay_close.h differ"
fi
if grep -Eq "^## \[$VERSION\] - [0-9]{4}-[0-9]{2}-[0-9]{2}$" CHANGELOG.md; then
  pass changelog_has_a_dated_entry_for_the_version
else
  fail changelog_has_a_dated_entry_for_the_version "no '## [$VERSION] - YYYY-MM-DD' in CHANGELOG.md"
fi

# ==================================================================== demo

kill $EMU 2>/dev/null
wait $EMU 2>/dev/null
trap - EXIT

demo() { # TEST CLI TRANSPORT
  WXPAY_CLI=$2 sh examples/demo.sh >"$B/$1.out" 2>"$B/$1.err"
  drc=$?
  dport=$(sed -n 's/^wxpay-close demo: a local WeChat Pay emulator on 127.0.0.1:\([0-9][0-9]*\) .*/\1/p' "$B/$1.out")
  if [ $drc -ne 0 ]; then
    fail "$1" "exit $drc: $(peek "$B/$1.err")"
  elif ! grep -q "^closed: combined order DEMO_OPEN_0001 is closed" "$B/$1.out" ||
    ! grep -q "^already closed" "$B/$1.out" || ! grep -q "^order is PAID" "$B/$1.out" ||
    ! grep -q "^retry later: SYSTEMERROR" "$B/$1.out" || ! grep -q "^retry after 4[4-6] s" "$B/$1.out" ||
    ! grep -q "^Transport used: $3" "$B/$1.out"; then
    fail "$1" "unexpected output: $(peek "$B/$1.out")"
  elif [ -z "$dport" ] || $PY -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1)' "$dport" 2>/dev/null; then
    fail "$1" "the emulator still listens on $dport"
  else
    pass "$1"
  fi
}
default=$(echo "$TRANSPORTS" | awk '{print $1}')
demo demo_closes_orders_against_the_emulator_and_stops_it "$CLI" "$default"
demo demo_works_with_only_the_socket_transport "$SOCK_CLI" socket

# ======================================== install, pkg-config and CMake

PREFIX=$ROOT/$B/prefix
if make -s --no-print-directory install PREFIX="$PREFIX" >"$B/install.log" 2>&1 &&
  [ -f "$PREFIX/include/wxpay_close/wxpay_close.h" ] &&
  [ -f "$PREFIX/include/wxpay_close/adapters/wxpay_http.h" ] &&
  [ -f "$PREFIX/lib/pkgconfig/wxpay_close.pc" ] &&
  cmp -s wxpay_close.h "$PREFIX/include/wxpay_close/wxpay_close.h"; then
  pass install_puts_the_header_adapters_and_pc_file_under_prefix
else
  fail install_puts_the_header_adapters_and_pc_file_under_prefix "$(peek "$B/install.log")"
fi
missing=
for h in adapters/*.h; do
  cmp -s "$h" "$PREFIX/include/wxpay_close/$h" || missing="$missing $h"
done
if [ -z "$missing" ]; then pass install_copies_every_adapter; else fail install_copies_every_adapter "missing:$missing"; fi

if command -v pkg-config >/dev/null 2>&1; then
  mv=$(PKG_CONFIG_PATH=$PREFIX/lib/pkgconfig pkg-config --modversion wxpay_close 2>&1)
  cf=$(PKG_CONFIG_PATH=$PREFIX/lib/pkgconfig pkg-config --cflags wxpay_close 2>&1 | sed 's/ *$//')
  if [ "$mv" = "$VERSION" ] && [ "$cf" = "-I$PREFIX/include/wxpay_close" ]; then
    pass pkg_config_file_has_version_and_include_dir
  else
    fail pkg_config_file_has_version_and_include_dir "modversion '$mv', cflags '$cf'"
  fi
  if PKG_CONFIG_PATH=$PREFIX/lib/pkgconfig make -s --no-print-directory -C tests/cli/consumer/pkgconfig \
    CC="$CC" OUT="$ROOT/$B/consumer-pc" >"$B/consumer-pc.log" 2>&1 &&
    "$B/consumer-pc" >"$B/consumer-pc.out" 2>&1 && grep -q "^consumer ok: wxpay_close.h $VERSION" "$B/consumer-pc.out"; then
    pass pkg_config_consumer_builds_and_runs
  else
    fail pkg_config_consumer_builds_and_runs "$(peek "$B/consumer-pc.log") $(peek "$B/consumer-pc.out")"
  fi
else
  skip pkg_config_consumer_builds_and_runs "pkg-config not installed"
fi

if command -v cmake >/dev/null 2>&1; then
  if cmake -S tests/cli/consumer/cmake -B "$B/cmake" -DCMAKE_C_COMPILER="$CC" >"$B/cmake.log" 2>&1 &&
    cmake --build "$B/cmake" >>"$B/cmake.log" 2>&1 &&
    "$B/cmake/consumer" >"$B/consumer-cmake.out" 2>&1 &&
    grep -q "^consumer ok: wxpay_close.h $VERSION" "$B/consumer-cmake.out"; then
    pass cmake_consumer_builds_through_add_subdirectory
  else
    fail cmake_consumer_builds_through_add_subdirectory "$(tail -c 400 "$B/cmake.log" | tr '\n' ' ')"
  fi
  if grep -q "wxpay_close version $VERSION" "$B/cmake.log"; then
    pass cmake_project_version_comes_from_the_header
  else
    fail cmake_project_version_comes_from_the_header "no 'wxpay_close version $VERSION' at configure time"
  fi
  if cmake -S tests/cli/consumer/cmake -B "$B/cmake-fc" -DWXPAY_VIA_FETCHCONTENT=ON \
    -DCMAKE_C_COMPILER="$CC" >"$B/cmake-fc.log" 2>&1 &&
    cmake --build "$B/cmake-fc" >>"$B/cmake-fc.log" 2>&1 &&
    "$B/cmake-fc/consumer" | grep -q "^consumer ok: wxpay_close.h $VERSION"; then
    pass cmake_consumer_builds_through_fetchcontent
  else
    fail cmake_consumer_builds_through_fetchcontent "$(tail -c 400 "$B/cmake-fc.log" | tr '\n' ' ')"
  fi
else
  skip cmake_consumer_builds_through_add_subdirectory "cmake not installed"
  skip cmake_consumer_builds_through_fetchcontent "cmake not installed"
  skip cmake_project_version_comes_from_the_header "cmake not installed"
fi
exit 0
