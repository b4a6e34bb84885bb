#!/bin/sh
# tests/cli/run.sh -- the wxpay-close tool end to end against the local
# emulator (every exit status), --dry-run byte for byte against an
# independent Python builder, `--api v3` (every outcome and every answer
# signature failure, --dry-run checked with Python's json and the openssl
# command, with the OpenSSL and the mbedTLS signer), `verify` on good,
# tampered and hostile bodies,
# the examples (embedded, also for Cortex-M4), the README's C examples (the
# settle program run against the emulator), `query` and the close's settling
# (every trade state, every settle path, v2 and v3), the demo, `make
# install` + a pkg-config consumer, and a CMake consumer.
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
  WXPAY_CLI_OPENSSL=0 BUILD=$B/socket-only "$SOCK_CLI" >"$B/build-sock.log" 2>&1 &&
  "$SOCK_CLI" --version | grep -q 'v3 signer: none; transports: socket)'; then
  pass cli_builds_socket_only_without_libcurl_mbedtls_or_openssl
else
  fail cli_builds_socket_only_without_libcurl_mbedtls_or_openssl "$(peek "$B/build-sock.log")"
fi

# APIv3 signs with OpenSSL when libcrypto is there, else mbedTLS: the second
# build is the mbedTLS signer, as on a machine without libcrypto
V3SIGNER=$(make -s --no-print-directory -f examples/examples.mk BUILD=$B config | sed -n 's/^v3 signer *//p')
echo "APIv3 signer of $CLI: ${V3SIGNER:-?}"
MB_CLI=
if has_transport mbedtls; then
  if make -s --no-print-directory -f examples/examples.mk WXPAY_CLI_OPENSSL=0 BUILD=$B/mbedtls-rsa \
    "$B/mbedtls-rsa/wxpay-close" >"$B/build-mbrsa.log" 2>&1 &&
    "$B/mbedtls-rsa/wxpay-close" --version | grep -q 'v3 signer: mbedtls;'; then
    MB_CLI=$B/mbedtls-rsa/wxpay-close
    pass cli_builds_with_the_mbedtls_signer_without_openssl
  else
    fail cli_builds_with_the_mbedtls_signer_without_openssl "$(peek "$B/build-mbrsa.log")"
  fi
else
  skip cli_builds_with_the_mbedtls_signer_without_openssl "mbedTLS not installed (Debian: libmbedtls-dev)"
fi

# MBEDTLS_LIBS as library paths (a self-built mbedTLS): the probe compiles
# its C with -x c and must end it (-x none) before the libraries, or the .a
# files are read as C and the transport silently disappears
MB_A=$($CC -print-file-name=libmbedtls.a 2>/dev/null)
if [ ! -f "$MB_A" ]; then
  skip examples_mk_probe_links_mbedtls_given_as_library_paths "no static libmbedtls.a (Debian: libmbedtls-dev)"
else
  MB_D=$(dirname "$MB_A")
  if make -s --no-print-directory -f examples/examples.mk BUILD=$B/mbedtls-static WXPAY_CLI_CURL=0 \
    WXPAY_CLI_OPENSSL=0 WXPAY_CLI_MBEDTLS=1 \
    MBEDTLS_LIBS="$MB_D/libmbedtls.a $MB_D/libmbedx509.a $MB_D/libmbedcrypto.a" config \
    >"$B/mbedtls-static.log" 2>&1 && grep -q '^transports  *mbedtls socket$' "$B/mbedtls-static.log"; then
    pass examples_mk_probe_links_mbedtls_given_as_library_paths
  else
    fail examples_mk_probe_links_mbedtls_given_as_library_paths "$(peek "$B/mbedtls-static.log")"
  fi
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
# and a hostile server (tests/hostile/server.py): answers that no real
# service sends, for the output-safety tests
$PY tests/hostile/server.py --port-file "$B/hostile.json" --key "$KEY" --lifetime 900 \
  >"$B/hostile.log" 2>&1 &
HSRV=$!
trap 'kill $EMU $HSRV 2>/dev/null; wait $EMU $HSRV 2>/dev/null' EXIT
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
# --help and the READMEs name the same flags: every row of --help's flag
# lists against the flag tables' rows (README.md's wxpay-close table, and
# examples/README.md's, where README.md sends the reader for APIv3)
sed -n 's/^  \(--[a-z0-9-]*\).*/\1/p' "$B/help.out" | sort -u >"$B/flags.help"
cat README.md examples/README.md | sed -n 's/^| \(`--[^|]*\(\\|[^|]*\)*\)|.*/\1/p' |
  grep -o -- '--[a-z0-9-]*' | sort -u >"$B/flags.readme"
if [ -s "$B/flags.help" ] && cmp -s "$B/flags.help" "$B/flags.readme"; then
  pass help_flags_match_the_readme_flag_tables
else
  fail help_flags_match_the_readme_flag_tables "only in --help: $(comm -23 "$B/flags.help" "$B/flags.readme" | tr '\n' ' ')only in the READMEs: $(comm -13 "$B/flags.help" "$B/flags.readme" | tr '\n' ' ')"
fi
x version "$CLI" --version
check version_names_the_library_version 0 "wxpay-close $VERSION"

# ============================================================ usage errors

before=$(reqs)
x u_noargs "$CLI"
usage no_arguments_prints_one_line_on_stderr_and_exits_2 "missing command or options; try 'wxpay-close --help'"
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
x u_sub_colons "$CLI" --appid $APPID --mchid $MCHID --order U1 --sub 1900009001:OD1:x --endpoint "$E"
usage usage_sub_with_two_colons_names_the_form "malformed --sub '1900009001:OD1:x': expected SUB_MCHID:OUT_TRADE_NO (one ':')"
x u_mchid_quote "$CLI" --appid $APPID --mchid '19000"0109' --order U1 --sub 1900009001:OD1 --endpoint "$E"
usage usage_quote_in_merchant_id_refused "invalid --mchid (combine_mch_id): .*merchant ids: digits"
x u_appid_us "$CLI" --appid wx_8888 --mchid $MCHID --order U1 --sub 1900009001:OD1 --endpoint "$E"
usage usage_underscore_in_appid_refused "invalid --appid (combine_appid)"
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
# no key at all reads as "none given" and names where one comes from, not
# as a key of the wrong kind
x u_nokey2 -u WXPAY_API_KEY "$CLI" query --appid $APPID --mchid $MCHID --order U1 --endpoint "$E"
usage usage_missing_key_says_none_was_given_and_where_one_comes_from \
  "no API key was given: set WXPAY_API_KEY or use --key-file FILE"
printf '\n' >"$B/empty.key"
chmod 600 "$B/empty.key"
x u_emptykey -u WXPAY_API_KEY "$CLI" $(W U1) --endpoint "$E" --key-file "$B/empty.key"
usage usage_empty_key_file_says_no_key_was_given "no API key was given: --key-file '.*empty.key' is empty"
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
BADARG=$(printf -- '--frob\377\033[2J\342\200\256')
x u_badarg "$CLI" $(W U1) --endpoint "$E" --json "$BADARG"
if [ $rc -eq 2 ] && why=$($H safe-text "$B/u_badarg.err") &&
  why=$($H json-fields "$B/u_badarg.out" '{"outcome": "invalid", "exit": 2, "has": {"message": ["--frob\ufffd"]}}'); then
  pass usage_error_quoting_an_argument_of_any_bytes_stays_safe_utf8
else
  fail usage_error_quoting_an_argument_of_any_bytes_stays_safe_utf8 "exit $rc: $why"
fi
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
# ids are digits (merchant) or letters and digits (appid): XML's specials
# reach the body through the nonce and a verbatim --sub-order-list
dry dry_run_matches_reference_when_values_need_cdata 'n<&>"' $APPID "$MCHID" O1 1900009001:OD1
dry dry_run_matches_reference_when_a_value_holds_cdata_end 'N]]>x]]]>>' $APPID $MCHID O1 1900009001:OD1
dry dry_run_matches_reference_for_a_verbatim_sub_order_list nonce $APPID $MCHID O1 \
  'json:[{"mchid":"1900009001","out_trade_no":"OD1","note":"中文 ]]> <&>"}]'

# what JSON would escape cannot be in a merchant id: refused, named, nothing printed
x dry_json_mchid "$CLI" --dry-run --nonce nonce --appid $APPID --mchid $MCHID --order O1 \
  --sub 1900009001:OD1 --sub 'a"b\c/d:OD2'
usage dry_run_refuses_json_specials_in_mchid "invalid --sub #2 (mchid)"
x dry_json_mchid2 "$CLI" --dry-run --nonce nonce --appid $APPID --mchid '1900"0109' --order O1 \
  --sub 1900009001:OD1
usage dry_run_refuses_json_specials_in_combine_mch_id "invalid --mchid (combine_mch_id)"
x dry_json_appid "$CLI" --dry-run --nonce nonce --appid 'wx<&">1' --mchid $MCHID --order O1 \
  --sub 1900009001:OD1
usage dry_run_refuses_xml_specials_in_appid "invalid --appid (combine_appid)"

x dry_nl "$CLI" $(W D1) --dry-run --nonce abc
if [ $rc -eq 0 ] && [ "$(tail -c 6 "$B/dry_nl.out")" = "</xml>" ] && [ ! -s "$B/dry_nl.err" ]; then
  pass dry_run_prints_the_bytes_only_no_newline
else
  fail dry_run_prints_the_bytes_only_no_newline "$(peek "$B/dry_nl.out")"
fi
x dry_alias "$CLI" --appid $APPID --mchid $MCHID --combine-out-trade-no D1 --sub-order 1900009001:D1_A \
  --dry-run --nonce abc
if [ $rc -eq 0 ] && cmp -s "$B/dry_alias.out" "$B/dry_nl.out"; then
  pass dry_run_v2_takes_the_v3_spellings_of_order_and_sub
else
  fail dry_run_v2_takes_the_v3_spellings_of_order_and_sub "exit $rc: $(peek "$B/dry_alias.err")"
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
# what the live service sends (the emulator's README names each source)
# (a paying order is settled: queried, polled --poll-ms apart, closed again)
x paying "$CLI" --appid $APPID --mchid $MCHID --order DEMO_PAYING_0001 --sub 1900009001:OD_PAYING_0001 \
  --endpoint "$E" --poll-ms 10
check close_paying_order_says_the_customer_is_paying_exit_4 4 "^paying: the customer is paying for this order right now (USERPAYING) — do not reissue; still paying after 5 queries and a second close"
x payingj "$CLI" --appid $APPID --mchid $MCHID --order DEMO_PAYING_0001 --sub 1900009001:OD_PAYING_0001 \
  --endpoint "$E" --json --poll-ms 10
jcheck close_paying_order_json_outcome_is_paying '{"outcome": "paying", "exit": 4, "error": null, "verified": true}'
neworder NE1
x noecho "$CLI" $(W NE1) --endpoint "$BASE/systemerror-noecho/pay/closecombinedorder" --attempts 1
check close_signed_systemerror_without_echo_says_retry_exit_4 4 "^retry later: SYSTEMERROR"
x ambig "$CLI" $(W NE1) --endpoint "$BASE/ambiguous/pay/closecombinedorder"
check close_signed_answer_with_ampersand_in_err_code_refused_exit_6 6 "(AMBIGUOUS)"
x resplit "$CLI" --appid $APPID --mchid $MCHID --order DEMO_PAID_0001 --sub 1900009001:OD_PAID_0001 \
  --endpoint "$BASE/ambiguous-resplit/pay/closecombinedorder"
check close_paid_answer_cut_again_under_its_signature_refused_exit_6 6 "(AMBIGUOUS)"
x resplit2 "$CLI" $(W NE1) --endpoint "$BASE/ambiguous-resplit/pay/closecombinedorder"
check close_success_answer_cut_again_under_its_signature_refused_exit_6 6 "(AMBIGUOUS)"
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
# an endpoint without the call's path: the sentence names the status and
# the URL that answered it, and what the path should be
x h404root "$CLI" $(W M1) --endpoint "$BASE/"
check close_http_status_sentence_names_the_status_and_the_url_asked 5 \
  "^rejected: the server answered HTTP 404 from $BASE/ — is --endpoint the URL of the call, ending in /pay/closecombinedorder?$"
x h500url "$CLI" $(W M1) --endpoint "$BASE/http500/pay/closecombinedorder" --attempts 1
check close_and_query_http_5xx_sentences_name_the_urls_asked 4 \
  "^retry later: the server answered HTTP 500 from $BASE/http500/pay/closecombinedorder after 1 attempt; then the query: retry later: the server answered HTTP 500 from $BASE/http500/pay/querycombinedorder after 1 attempt$"

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
# --verbose after a failed handshake: mbedTLS's own error, as libcurl's
if has_transport mbedtls && [ -n "$HTTPS" ]; then
  x tls_bad_verbose "$CLI" $(W TLS_mbedtls) --endpoint "https://localhost:$HTTPS/pay/closecombinedorder" \
    --transport mbedtls --cacert "$B/certs/other-ca.pem" --attempts 1 --verbose
  if [ $rc -eq 4 ] && grep -q "^wxpay-close: mbedTLS: .*(-0x[0-9A-F]\{4\}); certificate check flags 0x0000000[0-9A-F]" "$B/tls_bad_verbose.err"; then
    pass verbose_tls_failure_names_the_mbedtls_error
  else
    fail verbose_tls_failure_names_the_mbedtls_error "exit $rc: $(peek "$B/tls_bad_verbose.err")"
  fi
else
  skip verbose_tls_failure_names_the_mbedtls_error "mbedtls or the test certificates missing"
fi
# a CA file mbedTLS cannot parse: the step that failed and mbedTLS's own
# error (its code, and its sentence when the library has them), before
# anything is sent
if ! has_transport mbedtls; then
  skip mbedtls_setup_failure_names_the_step_and_the_mbedtls_error "mbedtls not built in (Debian: libmbedtls-dev)"
else
  printf 'not a certificate\n' >"$B/not-a-ca.pem"
  before=$(reqs)
  x mbedca "$CLI" $(W MBEDCA) --endpoint "https://127.0.0.1:${HTTPS:-9}/pay/closecombinedorder" \
    --transport mbedtls --cacert "$B/not-a-ca.pem"
  if [ "$(reqs)" != "$before" ]; then
    fail mbedtls_setup_failure_names_the_step_and_the_mbedtls_error "a request was sent"
  else
    usage mbedtls_setup_failure_names_the_step_and_the_mbedtls_error \
      "mbedTLS could not set up TLS while loading the CA certificates (CA file '.*not-a-ca.pem'): .*-0x[0-9A-F]\\{4\\}"
  fi
fi

# ==================================================================== APIv3

# The keys of mkcerts.sh: merchant.key (signs requests), merchant_pub.pem,
# merchant.serial; platform.pem/.serial/_pub.pem (the emulator signs its
# answers with platform.key), platform2.* (an unrelated platform key).
K=$B/certs
V3_OK=
if [ "$V3SIGNER" = none ] || [ -z "$V3SIGNER" ]; then
  V3_WHY="this build has no RSA adapter (install libssl-dev or libmbedtls-dev)"
elif [ ! -f "$K/merchant.key" ] || [ ! -f "$K/platform.serial" ]; then
  V3_WHY="no APIv3 test keys (openssl missing, or mkcerts.sh does not make merchant.key/platform.*)"
else
  V3_OK=1
fi
# v3skip NAME...: a loud SKIP line for each test that cannot run
v3skip() { for t in "$@"; do skip "$t" "$V3_WHY"; done; }

x v3_nors "$SOCK_CLI" --api v3 --mchid $MCHID --serial 0A --private-key "$K/merchant.key" \
  --platform-cert "$K/platform.pem" --combine-appid $APPID --combine-out-trade-no U1 --sub-order 1:a
if [ $rc -eq 7 ] && [ ! -s "$B/v3_nors.out" ] && [ "$(wc -l <"$B/v3_nors.err")" -eq 1 ] &&
  grep -q "needs an RSA adapter" "$B/v3_nors.err"; then
  pass v3_on_a_build_without_rsa_adapter_exits_7_with_one_line
else
  fail v3_on_a_build_without_rsa_adapter_exits_7_with_one_line "exit $rc: $(peek "$B/v3_nors.err")"
fi
x v3_nors_json "$SOCK_CLI" --api v3 --json
jcheck v3_without_rsa_adapter_json_says_unsupported '{"outcome": "unsupported", "exit": 7, "error": "NO_RSA"}'
if grep -q -- '--api v2|v3' "$B/help.out" && grep -q '^  7  ' "$B/help.out" &&
  grep -q -- '--private-key FILE' "$B/help.out" && grep -q 'WXPAY_PRIVATE_KEY' "$B/help.out" &&
  grep -q "this build signs with: $V3SIGNER" "$B/help.out"; then
  pass help_documents_api_v3_its_keys_and_exit_7
else
  fail help_documents_api_v3_its_keys_and_exit_7 "$(grep -n 'v3' "$B/help.out" | head -3 | tr '\n' ' ')"
fi

if [ -z "$V3_OK" ]; then
  v3skip v3_usage_errors v3_dry_run v3_close_end_to_end
else
  SERIAL=$(cat "$K/merchant.serial")
  PSERIAL=$(cat "$K/platform.serial")
  P2SERIAL=$(cat "$K/platform2.serial")
  PKID=$(cat "$K/platform_pubkey.id")
  V3K="--api v3 --mchid $MCHID --serial $SERIAL --private-key $K/merchant.key"
  V3P="--platform-cert $K/platform.pem"
  # V3 NO: the close arguments for order NO (sub-order 1900009001:NO_A)
  V3() { echo "$V3K $V3P --combine-appid $APPID --combine-out-trade-no $1 --sub-order 1900009001:$1_A"; }
  # the private key's text, which no output may ever hold
  PEMLINE=$($H pem-middle "$K/merchant.key")

  # ---------------------------------------------------------- usage errors
  before=$(reqs)
  x v3u_serial -u WXPAY_PRIVATE_KEY "$CLI" --api v3 --mchid $MCHID --private-key "$K/merchant.key" $V3P \
    --combine-appid $APPID --combine-out-trade-no U1 --sub-order 1900009001:U1_A --endpoint "$BASE"
  usage v3_usage_missing_serial_is_named "missing --serial"
  x v3u_key -u WXPAY_PRIVATE_KEY "$CLI" --api v3 --mchid $MCHID --serial "$SERIAL" $V3P \
    --combine-appid $APPID --combine-out-trade-no U1 --sub-order 1900009001:U1_A --endpoint "$BASE"
  usage v3_usage_missing_private_key_is_named "missing --private-key FILE"
  x v3u_keyempty WXPAY_PRIVATE_KEY= "$CLI" --api v3 --mchid $MCHID --serial "$SERIAL" $V3P \
    --combine-appid $APPID --combine-out-trade-no U1 --sub-order 1900009001:U1_A --endpoint "$BASE"
  usage v3_usage_empty_private_key_variable_is_missing "missing --private-key FILE"
  x v3u_plat "$CLI" $V3K --combine-appid $APPID --combine-out-trade-no U1 --sub-order 1900009001:U1_A \
    --endpoint "$BASE"
  usage v3_usage_missing_platform_key_is_named "missing --platform-cert FILE"
  x v3u_appid "$CLI" $V3K $V3P --combine-out-trade-no U1 --sub-order 1900009001:U1_A --endpoint "$BASE"
  usage v3_usage_missing_combine_appid_is_named "missing --combine-appid"
  x v3u_order "$CLI" $V3K $V3P --combine-appid $APPID --sub-order 1900009001:U1_A --endpoint "$BASE"
  usage v3_usage_missing_combine_out_trade_no_is_named "missing --combine-out-trade-no"
  x v3u_mchid "$CLI" --api v3 --serial "$SERIAL" --private-key "$K/merchant.key" $V3P \
    --combine-appid $APPID --combine-out-trade-no U1 --sub-order 1900009001:U1_A --endpoint "$BASE"
  usage v3_usage_missing_mchid_is_named "missing --mchid"
  x v3u_sub0 "$CLI" $V3K $V3P --combine-appid $APPID --combine-out-trade-no U1 --endpoint "$BASE"
  usage v3_usage_missing_sub_order_is_named "missing --sub-order"
  x v3u_sub1 "$CLI" $(V3 U1) --sub-order 1900009001 --endpoint "$BASE"
  usage v3_usage_sub_order_without_colon "malformed --sub-order '1900009001'"
  x v3u_sub2 "$CLI" $(V3 U1) --sub-order a:b:c:d:e --endpoint "$BASE"
  usage v3_usage_sub_order_with_five_parts_is_shown_as_given "malformed --sub-order 'a:b:c:d:e'"
  x v3u_sub3 "$CLI" $(V3 U1) --sub-order 1900009001:OD1: --endpoint "$BASE"
  usage v3_usage_sub_order_with_empty_sub_mchid "malformed --sub-order '1900009001:OD1:'"
  x v3u_sub4 "$CLI" $(V3 U1) --sub-order '1900009001:OD2:19 01' --endpoint "$BASE"
  usage v3_usage_bad_sub_mchid_names_which_sub_order "invalid --sub-order #2 (sub_mchid)"
  x v3u_sub5 "$CLI" $(V3 U1) --sub-order '1900009001:OD2:1900000201:wx 1' --endpoint "$BASE"
  usage v3_usage_bad_sub_appid_names_which_sub_order "invalid --sub-order #2 (sub_appid)"
  # APIv3 takes up to 50 sub-orders (APIv2 10): the 51st is refused
  subs51=
  for k in $(seq 1 51); do subs51="$subs51 --sub-order 1:a$k"; done
  x v3u_sub51 "$CLI" $V3K $V3P --combine-appid $APPID --combine-out-trade-no U1 --endpoint "$BASE" $subs51
  usage v3_usage_more_than_fifty_sub_orders "at most 50"
  x v3u_otn "$CLI" $(V3 'P2015/../x') --endpoint "$BASE"
  usage v3_usage_order_number_that_would_change_the_path "invalid --combine-out-trade-no (combine_out_trade_no)"
  x v3u_serialq "$CLI" --api v3 --mchid $MCHID --serial 'AB"CD' --private-key "$K/merchant.key" $V3P \
    --combine-appid $APPID --combine-out-trade-no U1 --sub-order 1900009001:U1_A --endpoint "$BASE"
  usage v3_usage_serial_that_would_break_the_header "invalid --serial (serial_no)"
  x v3u_nonce "$CLI" $(V3 U1) --nonce 'a"b' --endpoint "$BASE"
  usage v3_usage_bad_nonce_is_named "invalid --nonce"
  x v3u_pem "$CLI" --api v3 --mchid $MCHID --serial "$SERIAL" --private-key "$(cat "$K/merchant.key")" $V3P \
    --combine-appid $APPID --combine-out-trade-no U1 --sub-order 1900009001:U1_A --endpoint "$BASE"
  usage v3_usage_private_key_text_on_the_command_line_is_refused "never the key itself"
  x v3u_nofile "$CLI" --api v3 --mchid $MCHID --serial "$SERIAL" --private-key "$B/no-such.key" $V3P \
    --combine-appid $APPID --combine-out-trade-no U1 --sub-order 1900009001:U1_A --endpoint "$BASE"
  usage v3_usage_unreadable_private_key_is_named "cannot read --private-key"
  x v3u_notkey "$CLI" --api v3 --mchid $MCHID --serial "$SERIAL" --private-key "$K/platform.pem" $V3P \
    --combine-appid $APPID --combine-out-trade-no U1 --sub-order 1900009001:U1_A --endpoint "$BASE"
  usage v3_usage_certificate_given_as_private_key_is_refused "cannot use --private-key"
  # a key the crypto library cannot parse: its own error after the
  # adapter's sentence, with each signer
  { head -c 600 "$K/merchant.key"; printf '\n-----END PRIVATE KEY-----\n'; } >"$B/truncated.key"
  chmod 600 "$B/truncated.key"
  for signer in openssl mbedtls; do
    if [ $signer = openssl ]; then scli=$CLI; lib=OpenSSL; else scli=$MB_CLI; lib=mbedTLS; fi
    if [ -z "$scli" ] || ! "$scli" --version | grep -q "v3 signer: $signer;"; then
      skip "v3_usage_unparsable_private_key_names_the_${signer}_error" "no $signer signer built"
      continue
    fi
    x "v3u_trunc_$signer" "$scli" --api v3 --mchid $MCHID --serial "$SERIAL" --private-key "$B/truncated.key" \
      $V3P --combine-appid $APPID --combine-out-trade-no U1 --sub-order 1900009001:U1_A --endpoint "$BASE"
    usage "v3_usage_unparsable_private_key_names_the_${signer}_error" \
      "cannot use --private-key '.*truncated.key': .*; $lib: [^ ].*"
  done
  x v3u_notcert "$CLI" $V3K --platform-cert "$K/merchant.key" --combine-appid $APPID \
    --combine-out-trade-no U1 --sub-order 1900009001:U1_A --endpoint "$BASE"
  usage v3_usage_private_key_given_as_platform_cert_is_refused "cannot use --platform-cert"
  x v3u_envbad WXPAY_PRIVATE_KEY=not-a-pem "$CLI" --api v3 --mchid $MCHID --serial "$SERIAL" $V3P \
    --combine-appid $APPID --combine-out-trade-no U1 --sub-order 1900009001:U1_A --endpoint "$BASE"
  usage v3_usage_bad_private_key_variable_is_named "WXPAY_PRIVATE_KEY does not hold a usable private key"
  x v3u_keyid "$CLI" $V3K --platform-key-id PUB_KEY_ID_1 --combine-appid $APPID \
    --combine-out-trade-no U1 --sub-order 1900009001:U1_A --endpoint "$BASE"
  usage v3_usage_platform_key_id_needs_the_public_key "--platform-key-id needs --platform-public-key"
  x v3u_pub "$CLI" $V3K --platform-public-key "$K/platform_pub.pem" --combine-appid $APPID \
    --combine-out-trade-no U1 --sub-order 1900009001:U1_A --endpoint "$BASE"
  usage v3_usage_platform_public_key_needs_its_id "needs --platform-key-id"
  x v3u_keyfile "$CLI" $(V3 U1) --key-file "$B/key.txt" --endpoint "$BASE"
  usage v3_usage_apiv2_key_file_refused "--key-file holds the APIv2 key"
  x v3u_sol "$CLI" $V3K $V3P --combine-appid $APPID --combine-out-trade-no U1 --sub-order-list '[]' \
    --endpoint "$BASE"
  usage v3_usage_sub_order_list_refused "--sub-order-list is APIv2 only"
  x v3u_v2serial "$CLI" $(W U1) --endpoint "$E" --serial "$SERIAL"
  usage v3_usage_v3_flags_refused_with_api_v2 "--serial is for --api v3"
  x v3u_v2pk "$CLI" $(W U1) --endpoint "$E" --private-key "$K/merchant.key"
  usage v3_usage_private_key_refused_with_api_v2 "--private-key is for --api v3"
  x v3u_api "$CLI" $(W U1) --endpoint "$E" --api v4
  usage v3_usage_unknown_api_is_named "--api wants v2 or v3 (got 'v4')"
  x v3u_verify "$CLI" verify --api v3 <"$B/key.txt"
  usage v3_usage_verify_is_apiv2_only "verify checks APIv2 answers only"
  x v3u_url "$CLI" $(V3 U1) --endpoint "$BASE/v3/combine-transactions/out-trade-no/U1/close"
  usage v3_usage_endpoint_is_the_host_not_the_url_of_the_call "is the host"
  x v3u_url2 "$CLI" $(V3 U1) --endpoint "$BASE/gw?x=1"
  usage v3_usage_endpoint_with_a_query_refused "is the host"
  x v3u_bk "$CLI" $(V3 U1) --endpoint "$BASE" --backup-endpoint "$BASE/pay/closecombinedorder"
  usage v3_usage_backup_endpoint_of_apiv2_refused "is the host"
  x v3u_sock "$CLI" $(V3 U1) --transport socket
  usage v3_socket_transport_refuses_the_default_https_host "plain http:// only"
  x v3u_dryjson "$CLI" $(V3 U1) --dry-run --json
  if [ $rc -eq 2 ] && grep -q "drop --json" "$B/v3u_dryjson.err"; then pass v3_usage_dry_run_with_json_refused; else fail v3_usage_dry_run_with_json_refused "exit $rc"; fi
  x v3u_json "$CLI" $V3K --combine-appid $APPID --combine-out-trade-no U1 --sub-order 1:a --json --endpoint "$BASE"
  jcheck v3_usage_error_with_json_prints_a_json_object '{"outcome": "invalid", "exit": 2, "error": "USAGE", "flag": "--platform-cert"}'
  after=$(reqs)
  if [ "$before" = "$after" ]; then
    pass v3_usage_errors_send_nothing
  else
    fail v3_usage_errors_send_nothing "the emulator saw $((after - before)) request(s)"
  fi

  # ----------------------------------------------------------- --dry-run
  # v3dry TEST URL_PREFIX ORDER EXPECT_EXTRA CLI_ARGS... : --dry-run checked
  # by helpers.py v3dry (request line, header names, body parsed with json,
  # signature with the openssl command)
  v3dry() {
    t=$1 prefix=$2 order=$3 extra=$4
    shift 4
    x "$t" "$CLI" "$@" --dry-run
    if [ $rc -ne 0 ]; then
      fail "$t" "exit $rc: $(peek "$B/$t.err")"
      return
    fi
    url=$BASE$prefix$($PY -c 'import sys, urllib.parse; print("/v3/combine-transactions/out-trade-no/%s/close" % urllib.parse.quote(sys.argv[1], safe="*@-_"))' "$order")
    if why=$($H v3dry "$B/$t.out" "{\"url\": \"$url\", \"mchid\": \"$MCHID\", \"serial\": \"$SERIAL\", \"pub\": \"$K/merchant_pub.pem\", \"order\": \"$order\", \"prefix\": \"$prefix\", $extra}"); then
      pass "$t"
    else
      fail "$t" "$why"
    fi
  }
  before=$(reqs)
  v3dry v3_dry_run_one_sub_order_fixed_nonce_and_timestamp "" V3D1 \
    '"appid": "wx8888888888888888", "timestamp": 1554208460, "nonce": "593BEC0C930BF1AFEB40B4A08C8FB242", "subs": [["1900009001", "OD_V3D1", null, null]]' \
    $V3K --combine-appid $APPID --combine-out-trade-no V3D1 --sub-order 1900009001:OD_V3D1 \
    --nonce 593BEC0C930BF1AFEB40B4A08C8FB242 --timestamp 1554208460 --endpoint "$BASE"
  v3dry v3_dry_run_ten_sub_orders_with_service_provider_fields "" 'V3D_10|*@-_x' \
    '"appid": "wxd678efh567hg6787", "subs": [["1900000109", "S1", "1900000201", "wx2010000000000201"], ["1900000109", "S2", "1900000202", null], ["1900000109", "S3", null, "wx2010000000000203"], ["4", "S-4", null, null], ["5", "S_5", "55", null], ["6", "S|6", null, null], ["7", "S*7", "77", "wx77"], ["8", "S@8", null, null], ["9", "S9", null, null], ["10", "S10", "1010", "wx1010"]]' \
    $V3K --combine-appid wxd678efh567hg6787 --combine-out-trade-no 'V3D_10|*@-_x' \
    --sub-order 1900000109:S1:1900000201:wx2010000000000201 --sub-order 1900000109:S2:1900000202 \
    --sub-order 1900000109:S3::wx2010000000000203 --sub-order 4:S-4 --sub-order 5:S_5:55 \
    --sub-order '6:S|6' --sub-order '7:S*7:77:wx77' --sub-order 8:S@8 --sub-order 9:S9 \
    --sub-order 10:S10:1010:wx1010 --endpoint "$BASE"
  # no id can hold what JSON escapes now (merchant ids digits, appids
  # letters and digits): each is refused by its name, nothing printed
  x v3dry_q1 "$CLI" $V3K $V3P --combine-appid 'wx"q\b/s' --combine-out-trade-no V3D3 \
    --sub-order 1900009001:OD1 --endpoint "$BASE" --dry-run
  usage v3_dry_run_refuses_json_specials_in_appid "invalid --combine-appid (combine_appid)"
  x v3dry_q2 "$CLI" $V3K $V3P --combine-appid $APPID --combine-out-trade-no V3D3 \
    --sub-order 1900009001:OD1 --sub-order 'a"b\c/d:OD2' --endpoint "$BASE" --dry-run
  usage v3_dry_run_refuses_json_specials_in_mchid "invalid --sub-order #2 (mchid)"
  x v3dry_q3 "$CLI" $V3K $V3P --combine-appid $APPID --combine-out-trade-no V3D3 \
    --sub-order '1900009001:OD1:1900000201:wx/1' --endpoint "$BASE" --dry-run
  usage v3_dry_run_refuses_json_specials_in_sub_appid "invalid --sub-order #1 (sub_appid)"
  v3dry v3_dry_run_signs_the_endpoint_path_before_v3 /delay-1/chunked V3D4 \
    '"appid": "wx8888888888888888", "subs": [["1900009001", "OD4", null, null]]' \
    $V3K --combine-appid $APPID --combine-out-trade-no V3D4 --sub-order 1900009001:OD4 \
    --endpoint "$BASE/delay-1/chunked/"
  v3dry v3_dry_run_aliases_appid_order_and_sub_of_v2 "" V3D5 \
    '"appid": "wx8888888888888888", "subs": [["1900009001", "OD5", null, null]]' \
    $V3K --appid $APPID --order V3D5 --sub 1900009001:OD5 --endpoint "$BASE"
  x v3dry_a "$CLI" $(V3 V3D6) --endpoint "$BASE" --dry-run --nonce abc --timestamp 1700000000
  x v3dry_b "$CLI" $(V3 V3D6) --endpoint "$BASE" --dry-run --nonce abc --timestamp 1700000000
  x v3dry_c "$CLI" $(V3 V3D6) --endpoint "$BASE" --dry-run
  x v3dry_d "$CLI" $(V3 V3D6) --endpoint "$BASE" --dry-run
  if cmp -s "$B/v3dry_a.out" "$B/v3dry_b.out" && ! cmp -s "$B/v3dry_c.out" "$B/v3dry_d.out"; then
    pass v3_dry_run_is_reproducible_with_nonce_and_timestamp_fresh_without
  else
    fail v3_dry_run_is_reproducible_with_nonce_and_timestamp_fresh_without "$(peek "$B/v3dry_c.out")"
  fi
  x v3dry_env WXPAY_PRIVATE_KEY="$(cat "$K/merchant.key")" "$CLI" --api v3 --mchid $MCHID --serial "$SERIAL" \
    $V3P --combine-appid $APPID --combine-out-trade-no V3D6 --sub-order 1900009001:V3D6_A --endpoint "$BASE" \
    --dry-run --nonce abc --timestamp 1700000000
  if [ $rc -eq 0 ] && cmp -s "$B/v3dry_env.out" "$B/v3dry_a.out"; then
    pass v3_private_key_from_the_environment_signs_like_the_file
  else
    fail v3_private_key_from_the_environment_signs_like_the_file "exit $rc: $(peek "$B/v3dry_env.err")"
  fi
  x v3dry_noplat "$CLI" $V3K --combine-appid $APPID --combine-out-trade-no V3D6 --sub-order 1900009001:V3D6_A \
    --endpoint "$BASE" --dry-run --nonce abc --timestamp 1700000000
  # the same request but for Wechatpay-Serial, which names a platform key
  # only when one is loaded (issue 11 item 1)
  grep -v '^Wechatpay-Serial: ' "$B/v3dry_a.out" >"$B/v3dry_a.noserial"
  if [ $rc -eq 0 ] && cmp -s "$B/v3dry_noplat.out" "$B/v3dry_a.noserial"; then
    pass v3_dry_run_needs_no_platform_key
  else
    fail v3_dry_run_needs_no_platform_key "exit $rc: $(peek "$B/v3dry_noplat.err")"
  fi
  if grep -qx "Wechatpay-Serial: $PSERIAL" "$B/v3dry_a.out"; then
    pass v3_dry_run_names_the_platform_certificate_in_wechatpay_serial
  else
    fail v3_dry_run_names_the_platform_certificate_in_wechatpay_serial "$(peek "$B/v3dry_a.out")"
  fi
  x v3dry_pk "$CLI" $V3K $V3P --platform-public-key "$K/platform_pubkey_pub.pem" --platform-key-id "$PKID" \
    --combine-appid $APPID --combine-out-trade-no V3D6 --sub-order 1900009001:V3D6_A --endpoint "$BASE" \
    --dry-run --nonce abc --timestamp 1700000000
  if [ $rc -eq 0 ] && grep -qx "Wechatpay-Serial: $PKID" "$B/v3dry_pk.out"; then
    pass v3_dry_run_prefers_the_platform_public_key_in_wechatpay_serial
  else
    fail v3_dry_run_prefers_the_platform_public_key_in_wechatpay_serial "exit $rc: $(peek "$B/v3dry_pk.out")"
  fi
  x v3dry_explain "$CLI" $(V3 V3D6) --endpoint "$BASE" --dry-run --nonce abc --timestamp 1700000000 --explain
  if [ $rc -eq 0 ] && cmp -s "$B/v3dry_explain.out" "$B/v3dry_a.out" &&
    grep -qF 'message signed (SHA256withRSA with the merchant private key): POST\n/v3/combine-transactions/out-trade-no/V3D6/close\n1700000000\nabc\n{"combine_appid":"wx8888888888888888","sub_orders":[{"mchid":"1900009001","out_trade_no":"V3D6_A"}]}\n' "$B/v3dry_explain.err"; then
    pass v3_explain_prints_the_signed_message_on_stderr
  else
    fail v3_explain_prints_the_signed_message_on_stderr "$(peek "$B/v3dry_explain.err")"
  fi
  if [ -n "$MB_CLI" ]; then
    x v3dry_mb "$MB_CLI" $(V3 V3D6) --endpoint "$BASE" --dry-run --nonce abc --timestamp 1700000000
    if [ $rc -eq 0 ] && cmp -s "$B/v3dry_mb.out" "$B/v3dry_a.out"; then
      pass v3_dry_run_mbedtls_signer_gives_the_openssl_signers_bytes
    else
      fail v3_dry_run_mbedtls_signer_gives_the_openssl_signers_bytes "exit $rc: $(peek "$B/v3dry_mb.out")"
    fi
  else
    skip v3_dry_run_mbedtls_signer_gives_the_openssl_signers_bytes "no mbedTLS signer build"
  fi
  x v3dry_guard "$CLI" $(V3 V3G1) --endpoint "$BASE" --created-at $(($(date +%s) - 18))
  if [ $rc -eq 4 ] && grep -q "^retry after 4[0-3] s" "$B/v3dry_guard.out"; then
    pass v3_created_at_within_a_minute_says_retry_after_n_s_exit_4
  else
    fail v3_created_at_within_a_minute_says_retry_after_n_s_exit_4 "exit $rc: $(peek "$B/v3dry_guard.out")"
  fi
  after=$(reqs)
  if [ "$before" = "$after" ]; then
    pass v3_dry_run_and_the_one_minute_guard_send_nothing
  else
    fail v3_dry_run_and_the_one_minute_guard_send_nothing "the emulator saw $((after - before)) request(s)"
  fi

  # ------------------------------------------------------ end to end: close
  # v3e2e SUFFIX CLI N: every outcome and every answer-signature failure with
  # that build of the tool (names end in SUFFIX); N: the /systemerror-N to use
  # (its count is kept per prefix by the emulator, so one N per run)
  v3e2e() {
    s=$1 cli=$2 sysn=$3
    neworder "V3C1$s"
    x "v3c1$s" "$cli" $(V3 "V3C1$s") --endpoint "$BASE"
    check "v3_close_open_order_says_closed_exit_0$s" 0 "^closed: combined order V3C1$s is closed"
    x "v3c2$s" "$cli" $(V3 "V3C1$s") --endpoint "$BASE"
    check "v3_close_again_says_already_closed_exit_0$s" 0 "^already closed: it was closed before (ORDER_CLOSED)"
    x "v3paid$s" "$cli" $V3K $V3P --combine-appid $APPID --combine-out-trade-no V3_PAID_0001 \
      --sub-order 1900009001:OD_V3_PAID_0001 --endpoint "$BASE"
    check "v3_close_paid_order_says_paid_do_not_reissue_exit_3$s" 3 "order is PAID — do not reissue, treat as paid (ORDER_PAID)"
    x "v3nf$s" "$cli" $(V3 "V3NOPE$s") --endpoint "$BASE"
    check "v3_close_unknown_order_not_found_exit_5$s" 5 "^rejected: ORDER_NOT_EXIST .* check --combine-out-trade-no and --mchid"
    neworder "V3M1$s"
    x "v3mm$s" "$cli" $V3K $V3P --combine-appid $APPID --combine-out-trade-no "V3M1$s" \
      --sub-order 1900009001:OTHER --endpoint "$BASE"
    check "v3_close_with_wrong_sub_orders_rejected_invalid_request_exit_5$s" 5 "^rejected: INVALID_REQUEST .* must match the original order"
    x "v3sk$s" "$cli" --api v3 --mchid $MCHID --serial "$SERIAL" --private-key "$K/platform2.key" $V3P \
      --combine-appid $APPID --combine-out-trade-no "V3M1$s" --sub-order "1900009001:V3M1${s}_A" --endpoint "$BASE"
    check "v3_close_signed_with_another_key_rejected_sign_error_exit_5$s" 5 "^rejected: SIGN_ERROR .* check --private-key, --serial and --mchid"
    neworder "V3S1$s"
    r0=$(reqs)
    x "v3sys$s" "$cli" $(V3 "V3S1$s") --endpoint "$BASE/systemerror-$sysn" --attempts $((sysn + 1)) \
      --retry-delay 10 --json
    r1=$(reqs)
    if $H json-fields "$B/v3sys$s.out" "{\"outcome\": \"closed\", \"exit\": 0, \"attempts\": $((sysn + 1)), \"verified\": true, \"http_status\": 204}" >"$B/v3sys$s.why" &&
      [ $((r1 - r0)) -eq $((sysn + 1)) ]; then
      pass "v3_close_retries_after_system_error_and_closes$s"
    else
      fail "v3_close_retries_after_system_error_and_closes$s" "$((r1 - r0)) requests; $(cat "$B/v3sys$s.why")"
    fi
    x "v3sysall$s" "$cli" $(V3 "V3S1$s") --endpoint "$BASE/systemerror" --attempts 2 --retry-delay 10
    check "v3_close_system_error_on_every_attempt_exit_4$s" 4 "^retry later: SYSTEM_ERROR .*(2 attempts made)"
    # answers that cannot be trusted: exit 6, never "closed"
    neworder "V3U1$s"
    x "v3nosign$s" "$cli" $(V3 "V3U1$s") --endpoint "$BASE/v3nosign"
    check "v3_unsigned_answer_refused_exit_6$s" 6 "^untrustworthy response: HTTP 204 without a platform signature (NO_SIGNATURE)"
    x "v3nosign2$s" "$cli" $(V3 "V3U1$s") --endpoint "$BASE"
    check "v3_unsigned_204_was_not_taken_for_closed_the_next_close_says_already$s" 0 "^already closed"
    x "v3badsign$s" "$cli" $(V3 "V3U1$s") --endpoint "$BASE/v3badsign"
    check "v3_bad_signature_refused_exit_6$s" 6 "^untrustworthy response: its signature does not verify with the platform key $PSERIAL (SIGNATURE)"
    x "v3wrongkey$s" "$cli" $(V3 "V3U1$s") --endpoint "$BASE/v3wrongkey"
    check "v3_answer_signed_by_another_key_refused_exit_6$s" 6 "(SIGNATURE)"
    x "v3stale$s" "$cli" $(V3 "V3U1$s") --endpoint "$BASE/v3stale"
    check "v3_stale_answer_refused_exit_6$s" 6 "^untrustworthy response: its Wechatpay-Timestamp is more than 5 minutes .*(STALE)"
    x "v3future$s" "$cli" $(V3 "V3U1$s") --endpoint "$BASE/v3future"
    check "v3_answer_from_the_future_refused_exit_6$s" 6 "(STALE)"
    x "v3replay$s" "$cli" $(V3 "V3U1$s") --endpoint "$BASE/v3replay"
    check "v3_replayed_204_refused_exit_6$s" 6 "(STALE)"
    x "v3unknown$s" "$cli" $(V3 "V3U1$s") --endpoint "$BASE/v3unknownserial" --json
    jcheck "v3_unknown_platform_serial_refused_exit_6$s" "{\"outcome\": \"untrusted\", \"exit\": 6, \"error\": \"UNKNOWN_SERIAL\", \"verified\": false, \"platform_serial\": \"$P2SERIAL\"}"
    if grep -q "signed with platform key $P2SERIAL, which was not given" "$B/v3unknown$s.out"; then
      pass "v3_unknown_serial_sentence_names_the_serial$s"
    else
      fail "v3_unknown_serial_sentence_names_the_serial$s" "$(peek "$B/v3unknown$s.out")"
    fi
    x "v3rotated$s" "$cli" $V3K --platform-cert "$K/platform.pem" --platform-cert "$K/platform2.pem" \
      --combine-appid $APPID --combine-out-trade-no "V3U1$s" --sub-order "1900009001:V3U1${s}_A" \
      --endpoint "$BASE/v3unknownserial" --json
    jcheck "v3_second_platform_cert_verifies_the_rotated_key$s" "{\"outcome\": \"already_closed\", \"exit\": 0, \"verified\": true, \"platform_serial\": \"$P2SERIAL\"}"
    x "v3signtest$s" "$cli" $(V3 "V3U1$s") --endpoint "$BASE/v3signtest" --attempts 2 --retry-delay 10
    check "v3_signtest_probe_on_every_attempt_refused_exit_6$s" 6 "WECHATPAY/SIGNTEST/ probe signature on every answer (2 attempts; SIGNTEST)"
    neworder "V3T1$s"
    x "v3signtest1$s" "$cli" $(V3 "V3T1$s") --endpoint "$BASE/v3signtest-$sysn" --attempts $((sysn + 1)) \
      --retry-delay 10 --json
    jcheck "v3_signtest_probe_then_closes_again_exit_0$s" "{\"outcome\": \"already_closed\", \"exit\": 0, \"verified\": true, \"attempts\": $((sysn + 1))}"
    # what the live service sends besides (the emulator's README names each source)
    x "v3paying$s" "$cli" $V3K $V3P --combine-appid $APPID --combine-out-trade-no V3_PAYING_0001 \
      --sub-order 1900009001:OD_V3_PAYING_0001 --endpoint "$BASE" --json --poll-ms 10
    jcheck "v3_signed_202_userpaying_says_paying_exit_4$s" '{"outcome": "paying", "exit": 4, "verified": true, "http_status": 202}'
    x "v3paying2$s" "$cli" $V3K $V3P --combine-appid $APPID --combine-out-trade-no V3_PAYING_0001 \
      --sub-order 1900009001:OD_V3_PAYING_0001 --endpoint "$BASE/v3user_paying" --poll-ms 10
    check "v3_signed_202_user_paying_says_the_customer_is_paying_exit_4$s" 4 "^paying: the customer is paying for this order right now (USER_PAYING)"
    x "v3relabel$s" "$cli" $V3K $V3P --combine-appid $APPID --combine-out-trade-no V3_PAID_0001 \
      --sub-order 1900009001:OD_V3_PAID_0001 --endpoint "$BASE/v3relabel204" --attempts 1
    check "v3_signed_paid_answer_relabelled_204_refused_exit_6$s" 6 "^untrustworthy response"
    x "v3relabel_sock$s" "$cli" $V3K $V3P --combine-appid $APPID --combine-out-trade-no V3_PAID_0001 \
      --sub-order 1900009001:OD_V3_PAID_0001 --endpoint "$BASE/v3relabel204" --attempts 1 --transport socket
    # HTTP gives a 204 no body: the transports read none, so the signature
    # (over a body) fails; a transport that hands the body over gets
    # STATUS_BODY (tests/unit/test_live_service.c)
    check "v3_signed_paid_answer_relabelled_204_refused_over_sockets_exit_6$s" 6 "^untrustworthy response"
    neworder "V3D1$s"
    x "v3dup$s" "$cli" $(V3 "V3D1$s") --endpoint "$BASE/v3dupcode"
    check "v3_signed_duplicate_code_member_refused_exit_6$s" 6 "(JSON)"
    x "v3rule$s" "$cli" $(V3 "V3D1$s") --endpoint "$BASE/v3error-403-RULE_LIMIT" --attempts 1
    check "v3_rule_limit_403_says_retry_exit_4$s" 4 "^retry later: RULE_LIMIT"
    x "v3rule2$s" "$cli" $(V3 "V3D1$s") --endpoint "$BASE/v3error-403-RULELIMIT" --attempts 1
    check "v3_rulelimit_403_says_retry_exit_4$s" 4 "^retry later: RULELIMIT"
    x "v3unavail$s" "$cli" $(V3 "V3D1$s") --endpoint "$BASE/v3error-503-SERVICE_UNAVAILABLE" --attempts 1
    check "v3_service_unavailable_503_says_retry_exit_4$s" 4 "^retry later: SERVICE_UNAVAILABLE"
    x "v3unavail2$s" "$cli" $(V3 "V3D1$s") --endpoint "$BASE/v3error-502-SERVICE_UNAVAILABLE" --attempts 1
    check "v3_service_unavailable_502_says_retry_exit_4$s" 4 "^retry later: SERVICE_UNAVAILABLE"
    x "v3nf_old$s" "$cli" $(V3 "V3NOPE$s") --endpoint "$BASE/v3ordernotexist"
    check "v3_ordernotexist_404_says_not_found_exit_5$s" 5 "^rejected: ORDERNOTEXIST"
    x "v3fifty$s" "$cli" $V3K $V3P --combine-appid $APPID --combine-out-trade-no V3_FIFTY_0001 \
      $(i=1; while [ $i -le 50 ]; do printf -- '--sub-order 1900009001:OD_V3_FIFTY_%02d ' $i; i=$((i + 1)); done) \
      --endpoint "$BASE"
    check "v3_close_of_fifty_sub_orders_is_verified_exit_0$s" 0 "^\(closed\|already closed\)"
    neworder "V3K1$s"
    x "v3pub$s" "$cli" $V3K --platform-public-key "$K/platform_pub.pem" --platform-key-id "$PSERIAL" \
      --combine-appid $APPID --combine-out-trade-no "V3K1$s" --sub-order "1900009001:V3K1${s}_A" --endpoint "$BASE" --json
    jcheck "v3_platform_public_key_mode_closes$s" '{"api": "v3", "outcome": "closed", "exit": 0, "verified": true}'
    # a merchant moving to the WeChat Pay public key: a client that holds
    # only that key names it in Wechatpay-Serial, and the answer comes
    # signed with it (one holding only the certificate: every close above)
    neworder "V3PK$s"
    x "v3pubid$s" "$cli" $V3K --platform-public-key "$K/platform_pubkey_pub.pem" --platform-key-id "$PKID" \
      --combine-appid $APPID --combine-out-trade-no "V3PK$s" --sub-order "1900009001:V3PK${s}_A" \
      --endpoint "$BASE" --json
    jcheck "v3_client_with_only_the_platform_public_key_closes_verified$s" "{\"outcome\": \"closed\", \"exit\": 0, \"verified\": true, \"platform_serial\": \"$PKID\"}"
  }
  v3e2e "" "$CLI" 2
  if [ -n "$MB_CLI" ]; then
    v3e2e _mbedtls "$MB_CLI" 3
  else
    skip v3_close_end_to_end_mbedtls "no mbedTLS signer build"
  fi

  neworder V3J1
  x v3json "$CLI" $(V3 V3J1) --endpoint "$BASE" --json
  jcheck v3_json_has_outcome_transport_signer_and_status \
    "{\"api\": \"v3\", \"outcome\": \"closed\", \"exit\": 0, \"error\": null, \"verified\": true, \"order\": \"V3J1\", \"transport\": \"$(echo "$TRANSPORTS" | awk '{print $1}')\", \"signer\": \"$V3SIGNER\", \"attempts\": 1, \"http_status\": 204, \"platform_serial\": \"$PSERIAL\", \"fields\": []}"
  if $PY -c 'import json,sys,re; d=json.load(open(sys.argv[1])); sys.exit(0 if re.fullmatch(r"[0-9a-f]{32}", d["request_id"]) else 1)' "$B/v3json.out"; then
    pass v3_json_carries_the_request_id
  else
    fail v3_json_carries_the_request_id "$(peek "$B/v3json.out")"
  fi
  x v3json2 "$CLI" $(V3 V3J1) --endpoint "$BASE" --json
  jcheck v3_json_lists_the_error_body_fields '{"outcome": "already_closed", "exit": 0, "field_values": {"code": "ORDER_CLOSED", "message": "订单已关闭 (the order is already closed)"}}'
  x v3h500 "$CLI" $(V3 V3J1) --endpoint "$BASE/http500" --attempts 2 --retry-delay 10 --json
  jcheck v3_http_500_without_json_after_all_attempts_exit_4 '{"outcome": "retry", "exit": 4, "error": "HTTP_STATUS", "http_status": 500, "attempts": 2, "fields": []}'
  x v3rate "$CLI" $(V3 V3J1) --endpoint "$BASE/ratelimit"
  check v3_rate_limited_exit_4 4 "^retry later: FREQUENCY_LIMITED"
  x v3drop "$CLI" $(V3 V3J1) --endpoint "$BASE/drop" --attempts 2 --retry-delay 10
  check v3_dropped_connection_exit_4 4 "^retry later: could not complete the exchange"
  x v3refused "$CLI" $(V3 V3J1) --endpoint "http://127.0.0.1:$DEAD" --attempts 1
  check v3_connection_refused_exit_4 4 "CONNECT"
  x v3h404 "$CLI" $(V3 V3J1) --endpoint "$BASE/no/such" --attempts 1
  check v3_http_404_not_from_wechat_is_rejected_exit_5 5 "HTTP 404 without a WeChat Pay error body"
  check v3_http_404_sentence_names_the_url_asked 5 \
    "HTTP 404 without a WeChat Pay error body from $BASE/no/such/v3/combine-transactions/out-trade-no/V3J1/close — check --endpoint"
  x v3chunked "$CLI" $(V3 V3J1) --endpoint "$BASE/chunked"
  check v3_chunked_answer_is_read_and_verified 0 "^already closed"
  neworder V3F1
  x v3failover "$CLI" $(V3 V3F1) --endpoint "http://127.0.0.1:$DEAD" --backup-endpoint "$BASE" \
    --retry-delay 10 --json
  jcheck v3_fails_over_to_the_backup_endpoint '{"outcome": "closed", "exit": 0, "attempts": 2}'
  neworder V3F2
  x v3failover2 "$CLI" $(V3 V3F2) --endpoint "http://127.0.0.1:$DEAD/gw" --backup-endpoint "$BASE/delay-1/" \
    --retry-delay 10 --json
  jcheck v3_backup_endpoint_signs_its_own_path '{"outcome": "closed", "exit": 0, "attempts": 2, "verified": true}'
  neworder V3V1
  x v3verbose "$CLI" $(V3 V3V1) --endpoint "$BASE" --verbose
  if [ $rc -eq 0 ] && grep -q "attempt 1: POST $BASE/v3/combine-transactions/out-trade-no/V3V1/close" "$B/v3verbose.err" &&
    grep -q "HTTP 204, signature verified, platform key $PSERIAL; Request-ID: [0-9a-f]" "$B/v3verbose.err"; then
    pass v3_verbose_logs_each_attempt_and_the_verification
  else
    fail v3_verbose_logs_each_attempt_and_the_verification "$(peek "$B/v3verbose.err")"
  fi
  for t in curl mbedtls; do
    if ! has_transport $t; then
      skip "v3_close_over_https_with_${t}" "$t not built in (install its development package)"
      continue
    fi
    if [ -z "$HTTPS" ]; then
      skip "v3_close_over_https_with_${t}" "no test certificates (openssl missing)"
      continue
    fi
    neworder "V3TLS_$t"
    x "v3tls_$t" "$CLI" $(V3 "V3TLS_$t") --endpoint "https://localhost:$HTTPS" --transport $t \
      --cacert "$B/certs/ca.pem" --json
    jcheck "v3_close_over_https_with_${t}" "{\"outcome\": \"closed\", \"exit\": 0, \"transport\": \"$t\", \"verified\": true}"
  done
  # a client that holds only the platform certificate, and one that holds
  # only the WeChat Pay public key, each close verified over both TLS
  # transports with both RSA adapters: the emulator signs with the key the
  # request's Wechatpay-Serial names, the certificate when it names none
  for signer in openssl mbedtls; do
    if [ $signer = openssl ]; then scli=$CLI; else scli=$MB_CLI; fi
    for t in curl mbedtls; do
      for held in cert pubkey; do
        name="v3_client_holding_only_the_platform_${held}_closes_verified_over_${t}_signed_by_${signer}"
        if [ -z "$scli" ] || ! has_transport $t || [ -z "$HTTPS" ]; then
          skip "$name" "needs the $signer signer, the $t transport and the test certificates"
          continue
        fi
        if [ $held = cert ]; then
          keys="--platform-cert $K/platform.pem" want=$PSERIAL
        else
          keys="--platform-public-key $K/platform_pubkey_pub.pem --platform-key-id $PKID" want=$PKID
        fi
        o="V3H_${signer}_${t}_${held}"
        neworder "$o"
        x "v3held_$o" "$scli" $V3K $keys --combine-appid $APPID --combine-out-trade-no "$o" \
          --sub-order "1900009001:${o}_A" --endpoint "https://localhost:$HTTPS" --transport $t \
          --cacert "$B/certs/ca.pem" --json
        jcheck "$name" "{\"outcome\": \"closed\", \"exit\": 0, \"transport\": \"$t\", \"verified\": true, \"platform_serial\": \"$want\"}"
      done
    done
  done

  # the private key's text never shows, whatever happened
  if grep -rlF "$PEMLINE" "$B"/*.out "$B"/*.err >"$B/pem-leaks.txt" 2>/dev/null; then
    fail v3_private_key_never_appears_in_any_output "found in $(tr '\n' ' ' <"$B/pem-leaks.txt")"
  else
    pass v3_private_key_never_appears_in_any_output
  fi
fi

# ==================================== a hostile server: output stays safe
# Every --json line parses with Python's json (and holds no raw control or
# bidi character: helpers.py json-fields checks that for every test), every
# line of human and --verbose output is UTF-8 without raw controls, bidi
# overrides or U+2028/2029 (helpers.py safe-text), whatever the server sends.

i=0
while [ ! -s "$B/hostile.json" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
HPORT=$(sed -n 's/.*"http": *\([0-9][0-9]*\).*/\1/p' "$B/hostile.json" 2>/dev/null)
HB=http://127.0.0.1:$HPORT
# safe TEST FILE... : every file is safe text
safe() {
  s_t=$1
  shift
  if why=$($H safe-text "$@"); then pass "$s_t"; else fail "$s_t" "$why"; fi
}
# hostile NAME WANT_EXIT EXPECT_JSON ARGS... : the tool with ARGS (an
# --endpoint of the hostile server included) three times: human output
# (exit WANT_EXIT, stdout and stderr safe), --json (EXPECT_JSON) and
# --verbose (stderr safe)
hostile() {
  h_n=$1 h_want=$2 h_exp=$3
  shift 3
  x "h_$h_n" "$CLI" "$@" --attempts 1
  if [ $rc -ne "$h_want" ]; then
    fail "hostile_${h_n}_human_output_is_safe_utf8" "exit $rc, want $h_want: $(peek "$B/h_$h_n.err")"
  else
    safe "hostile_${h_n}_human_output_is_safe_utf8" "$B/h_$h_n.out" "$B/h_$h_n.err"
  fi
  x "hj_$h_n" "$CLI" "$@" --attempts 1 --json
  jcheck "hostile_${h_n}_json_parses_and_carries_the_values" "$h_exp"
  x "hv_$h_n" "$CLI" "$@" --attempts 1 --verbose
  safe "hostile_${h_n}_verbose_output_is_safe_utf8" "$B/hv_$h_n.out" "$B/hv_$h_n.err"
}
if [ -z "$HPORT" ]; then
  fail hostile_server_starts "$(peek "$B/hostile.log")"
else
  hostile v2_return_msg_long 5 '{"outcome": "rejected", "exit": 5, "has": {"message": ["签名错误", "…"]}, "fields_from_server": {"return_msg": "V2_TEXT + LONG_CJK"}}' \
    $(W H1) --endpoint "$HB/v2-return-msg-long/pay/closecombinedorder"
  hostile v2_err_code_des_long 4 '{"outcome": "retry", "exit": 4, "verified": true, "has": {"message": ["SYSTEMERROR", "…"]}, "fields_from_server": {"err_code_des": "V2_TEXT + LONG_CJK"}}' \
    $(W H1) --endpoint "$HB/v2-err-code-des-long/pay/closecombinedorder"
  hostile v2_unknown_field 0 '{"outcome": "already_closed", "exit": 0, "fields_from_server": {"x_note": "V2_TEXT + LONG_CJK", "err_code_des": "\"订单已关闭\\u202e\""}}' \
    $(W H1) --endpoint "$HB/v2-unknown-field/pay/closecombinedorder"
  hostile v2_not_utf8 6 '{"outcome": "untrusted", "exit": 6, "error": "UTF8", "fields": []}' \
    $(W H1) --endpoint "$HB/v2-not-utf8/pay/closecombinedorder"
  x h_head "$CLI" $(W H1) --endpoint "$HB/hdr-line-1mib/pay/closecombinedorder" --json
  jcheck hostile_response_head_over_the_limits_is_untrusted_exit_6_not_retried \
    '{"outcome": "untrusted", "exit": 6, "error": "TOO_LARGE", "attempts": 1, "net": "TOO_LARGE"}'
  if grep -q "…" "$B/h_v2_return_msg_long.out" && [ "$(wc -l <"$B/h_v2_return_msg_long.out")" -eq 1 ]; then
    pass hostile_long_return_msg_is_cut_on_a_character_with_an_ellipsis
  else
    fail hostile_long_return_msg_is_cut_on_a_character_with_an_ellipsis "$(peek "$B/h_v2_return_msg_long.out")"
  fi
  if grep -qF '签名错误[31m红\u009B2J\u202E反向\u202A\u202B\u202C\u202D\u2066\u2067\u2068\u2069行\u2028段\u2029' "$B/h_v2_return_msg_long.out"; then
    pass hostile_human_output_shows_c1_bidi_and_separators_escaped
  else
    fail hostile_human_output_shows_c1_bidi_and_separators_escaped "$(peek "$B/h_v2_return_msg_long.out")"
  fi
  if [ -z "$V3_OK" ]; then
    v3skip hostile_v3_answers
  else
    hostile v3_message_long 5 '{"outcome": "rejected", "exit": 5, "has": {"message": ["PARAM_ERROR", "…"], "request_id": ["\ufffd"]}, "fields_from_server": {"message": "HOSTILE_TEXT + V3_LONG_CJK"}}' \
      $(V3 H1) --endpoint "$HB/v3-message-long"
    hostile v3_request_id_bytes 4 '{"outcome": "retry", "exit": 4, "has": {"request_id": ["\ufffd\ufffd\ufffd\u009b2J\u202e\u0007id-请"]}}' \
      $(V3 H1) --endpoint "$HB/v3-request-id-bytes"
    hostile v3_request_id_long 4 '{"outcome": "retry", "exit": 4, "has": {"request_id": ["请求编号请求编号"]}}' \
      $(V3 H1) --endpoint "$HB/v3-request-id-long"
    hostile v3_code_hostile 5 '{"outcome": "rejected", "exit": 5, "request_id": "\u2067RID", "fields_from_server": {"code": "\"NO\\u202eAUTH\\u0007\\u009b\\u2028\"", "message": "\"无权限\\u2066\""}}' \
      $(V3 H1) --endpoint "$HB/v3-code-hostile"
    hostile v3_serial_hostile 6 '{"outcome": "untrusted", "exit": 6, "error": "UNKNOWN_SERIAL", "platform_serial": null, "has": {"request_id": ["\ufffd"]}}' \
      $(V3 H1) --endpoint "$HB/v3-serial-hostile"
    if grep -qF 'Request-ID: \xFF\xFE\x9B\u009B2J\u202E\x07id-请' "$B/hv_v3_request_id_bytes.err"; then
      pass hostile_v3_verbose_shows_request_id_bytes_escaped
    else
      fail hostile_v3_verbose_shows_request_id_bytes_escaped "$(grep Request-ID "$B/hv_v3_request_id_bytes.err" | head -c 300)"
    fi
    # the Request-ID header reaches the tool through each transport as it came
    for t in $TRANSPORTS; do
      x "hrid_$t" "$CLI" $(V3 H1) --endpoint "$HB/v3-request-id-bytes" --attempts 1 --json --transport "$t"
      jcheck "hostile_v3_request_id_bytes_json_over_$t" "{\"exit\": 4, \"transport\": \"$t\", \"has\": {\"request_id\": [\"\\ufffd\\ufffd\\ufffd\\u009b2J\\u202e\\u0007id-请\"]}}"
    done
  fi
fi

# ============================= a result that cannot be written is a failure
# stdout on /dev/full, or a pipe whose reader is gone (SIGPIPE is ignored:
# the write fails with EPIPE): exit 1 and one line on stderr that names the
# exit status the run would have had.

# wfail TEST PATTERN -- after a run with stderr in $B/$n.err, status in $rc
wfail() {
  if [ "$rc" -ne 1 ]; then
    fail "$1" "exit $rc, want 1: $(peek "$B/$n.err")"
  elif [ "$(wc -l <"$B/$n.err")" -ne 1 ]; then
    fail "$1" "want one line on stderr, got: $(peek "$B/$n.err")"
  elif ! grep -q -- "$2" "$B/$n.err"; then
    fail "$1" "stderr lacks '$2': $(peek "$B/$n.err")"
  else
    pass "$1"
  fi
}
if [ -w /dev/full ]; then
  neworder WF1
  n=wf_json; "$CLI" $(W WF1) --endpoint "$E" --json >/dev/full 2>"$B/$n.err"; rc=$?
  wfail write_failure_json_to_dev_full_exits_1_with_one_line \
    "cannot write the result to standard output (No space left on device): exit status 1 instead of 0"
  n=wf_paid; "$CLI" --appid $APPID --mchid $MCHID --order DEMO_PAID_0001 --sub 1900009001:OD_PAID_0001 \
    --endpoint "$E" >/dev/full 2>"$B/$n.err"; rc=$?
  wfail write_failure_of_a_paid_result_names_exit_3_on_stderr "exit status 1 instead of 3"
  n=wf_dry; "$CLI" $(W D1) --dry-run --nonce abc >/dev/full 2>"$B/$n.err"; rc=$?
  wfail write_failure_dry_run_to_dev_full_exits_1_with_one_line "(No space left on device): exit status 1 instead of 0"
  n=wf_help; "$CLI" --help >/dev/full 2>"$B/$n.err"; rc=$?
  wfail write_failure_help_to_dev_full_exits_1 "(No space left on device)"
  if [ -n "$V3_OK" ]; then
    n=wf_v3dry; "$CLI" $(V3 D1) --endpoint "$BASE" --dry-run >/dev/full 2>"$B/$n.err"; rc=$?
    wfail write_failure_v3_dry_run_to_dev_full_exits_1_with_one_line "(No space left on device): exit status 1 instead of 0"
  else
    v3skip write_failure_v3_dry_run_to_dev_full_exits_1_with_one_line
  fi
else
  skip write_failure_to_dev_full "no writable /dev/full on this system"
fi
n=wf_pipe
$H closed-pipe "$CLI" $(W D1) --dry-run --nonce abc >"$B/$n.out" 2>&1
if grep -q "^rc=1 err=wxpay-close: cannot write the result to standard output (Broken pipe): exit status 1 instead of 0$" "$B/$n.out"; then
  pass closed_pipe_is_a_write_failure_exit_1_not_a_silent_sigpipe
else
  fail closed_pipe_is_a_write_failure_exit_1_not_a_silent_sigpipe "$(peek "$B/$n.out")"
fi
neworder WF2
n=wf_pipe2
$H closed-pipe "$CLI" $(W WF2) --endpoint "$E" --json >"$B/$n.out" 2>&1
if grep -q "^rc=1 err=.*(Broken pipe): exit status 1 instead of 0$" "$B/$n.out"; then
  pass closed_pipe_after_a_close_reports_the_outcome_exit_on_stderr
else
  fail closed_pipe_after_a_close_reports_the_outcome_exit_on_stderr "$(peek "$B/$n.out")"
fi

# ================================================= secrets stay out of cores
# The tool in a slow exchange (the emulator's /delay-4000), with core files
# allowed (ulimit -c unlimited) and its working directory $B/cores: what
# /proc shows of it while it waits, then SIGQUIT (helpers.py probe).
mkdir -p "$B/cores"
chmod 777 "$B/cores" # the tool also runs there as nobody (uid 65534)
# pj TEST FILE PYTHON_EXPR [SKIP_EXPR SKIP_WHY]: the expression over the
# probe's JSON (as d) must hold
pj() {
  if [ -n "${4:-}" ] && $PY -c "import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if ($4) else 1)" "$2" 2>/dev/null; then
    skip "$1" "$5"
  elif $PY -c "import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if ($3) else 1)" "$2" 2>/dev/null; then
    pass "$1"
  else
    fail "$1" "want $3: $(peek "$2")"
  fi
}
SLOW="--endpoint $BASE/delay-4000/pay/closecombinedorder --attempts 1"
# the control: a process that does not turn cores off leaves one here?
$H probe "$B/cores" nothing -- "$PY" -c 'import time; time.sleep(5)' >"$B/probe_control.json"
CORES_HERE=$($PY -c 'import json,sys; print(1 if json.load(open(sys.argv[1]))["cores"] else "")' "$B/probe_control.json")
rm -f "$B"/cores/core*
$H probe "$B/cores" "$KEY" -- "$ROOT/$CLI" $(W P1) $SLOW >"$B/probe_v2.json"
pj core_limit_is_0_while_the_exchange_waits "$B/probe_v2.json" 'd["core_limit"] == "0 0"'
if [ -n "$CORES_HERE" ]; then
  pj sigquit_during_the_exchange_leaves_no_core "$B/probe_v2.json" 'd["status"] == -3 and d["cores"] == []'
else
  skip sigquit_during_the_exchange_leaves_no_core "a process that allows cores leaves none in its directory here (core_pattern: $(cat /proc/sys/kernel/core_pattern 2>/dev/null))"
fi
pj api_key_is_not_in_the_environment_while_the_exchange_waits "$B/probe_v2.json" \
  'd["environ_has"] is False' 'd["environ_has"] is None' "cannot read /proc/PID/environ of a process that is not dumpable (needs root)"
pj api_key_is_once_in_memory_while_the_exchange_waits "$B/probe_v2.json" \
  'd["mem_copies"] == 1' 'd["mem_copies"] is None' "cannot read /proc/PID/mem (needs root or CAP_SYS_PTRACE)"
# not dumpable: /proc/PID/status then belongs to root; seen from a process
# that is not root (as uid 65534 when the suite runs as root)
if [ "$(id -u)" = 0 ]; then AS="--uid 65534"; else AS=; fi
$H probe "$B/cores" "$KEY" $AS -- "$ROOT/$CLI" $(W P1) $SLOW >"$B/probe_uid.json" 2>"$B/probe_uid.err"
pj process_is_not_dumpable_while_the_exchange_waits "$B/probe_uid.json" \
  'd["uid"] != 0 and d["proc_uid"] == 0'
if [ -n "$V3_OK" ]; then
  # the probe runs the tool in $B/cores: absolute paths to the keys
  V3ABS="--api v3 --mchid $MCHID --serial $SERIAL --platform-cert $ROOT/$K/platform.pem --combine-appid $APPID
    --combine-out-trade-no P1 --sub-order 1900009001:P1_A --endpoint $BASE/delay-4000 --attempts 1"
  $H probe "$B/cores" "$PEMLINE" -- "$ROOT/$CLI" $V3ABS --private-key "$ROOT/$K/merchant.key" >"$B/probe_v3.json"
  pj v3_private_key_text_is_not_in_memory_while_the_exchange_waits "$B/probe_v3.json" \
    'd["mem_copies"] == 0 and d["core_limit"] == "0 0"' 'd["mem_copies"] is None' "cannot read /proc/PID/mem"
  WXPAY_PRIVATE_KEY=$(cat "$K/merchant.key") $H probe "$B/cores" "$PEMLINE" -- "$ROOT/$CLI" $V3ABS \
    >"$B/probe_v3env.json"
  pj v3_private_key_variable_is_wiped_from_environment_and_memory "$B/probe_v3env.json" \
    'd["environ_has"] is False and d["mem_copies"] == 0' 'd["mem_copies"] is None' "cannot read /proc/PID/mem"
else
  v3skip v3_private_key_text_is_not_in_memory_while_the_exchange_waits
fi
rm -f "$B"/cores/core*

# ========================================== key files that are not files
rm -f "$B/key.fifo" "$B/key.sock"
mkfifo "$B/key.fifo"
$PY -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$B/key.sock"
head -c 5000 /dev/zero | tr '\0' 'k' >"$B/key.big"
TO=
command -v timeout >/dev/null 2>&1 && TO="timeout 20"
x kf_fifo -u WXPAY_API_KEY $TO "$CLI" $(W D1) --dry-run --nonce abc --key-file "$B/key.fifo"
usage key_file_fifo_refused_by_name_without_blocking "key.fifo': it is a FIFO (named pipe), not a regular file"
x kf_dir -u WXPAY_API_KEY "$CLI" $(W D1) --dry-run --nonce abc --key-file "$B"
usage key_file_directory_refused_by_name "it is a directory, not a regular file"
x kf_zero -u WXPAY_API_KEY "$CLI" $(W D1) --dry-run --nonce abc --key-file /dev/zero
usage key_file_dev_zero_refused_by_name "'/dev/zero': it is a character device, not a regular file"
x kf_sock -u WXPAY_API_KEY "$CLI" $(W D1) --dry-run --nonce abc --key-file "$B/key.sock"
usage key_file_socket_refused_by_name "key.sock': it is a socket, not a regular file"
x kf_big -u WXPAY_API_KEY "$CLI" $(W D1) --dry-run --nonce abc --key-file "$B/key.big"
usage key_file_longer_than_a_key_refused_unread "it holds more than 95 bytes, more than a key can be"
cp "$B/key.txt" "$B/key644.txt"
chmod 644 "$B/key644.txt"
x kf_perm -u WXPAY_API_KEY "$CLI" $(W D1) --dry-run --nonce abc --key-file "$B/key644.txt"
if [ $rc -eq 0 ] && cmp -s "$B/kf_perm.out" "$B/dry_nl.out" && [ "$(wc -l <"$B/kf_perm.err")" -eq 1 ] &&
  grep -q "warning: --key-file '.*key644.txt' can be read by group or others (chmod 600 it)" "$B/kf_perm.err"; then
  pass key_file_readable_by_others_warns_once_and_still_signs
else
  fail key_file_readable_by_others_warns_once_and_still_signs "exit $rc: $(peek "$B/kf_perm.err")"
fi
if [ -n "$V3_OK" ]; then
  x kf_v3fifo "$CLI" --api v3 --mchid $MCHID --serial "$SERIAL" --private-key "$B/key.fifo" $V3P \
    --combine-appid $APPID --combine-out-trade-no U1 --sub-order 1900009001:U1_A --dry-run
  usage v3_private_key_fifo_refused_by_name_without_blocking "cannot read --private-key '.*key.fifo': it is a FIFO"
  x kf_v3dir "$CLI" $V3K --platform-cert "$B" --combine-appid $APPID --combine-out-trade-no U1 \
    --sub-order 1900009001:U1_A --endpoint "$BASE"
  usage v3_platform_cert_directory_refused_by_name "cannot read --platform-cert '.*': it is a directory"
  x kf_v3zero "$CLI" $V3K --platform-public-key /dev/zero --platform-key-id PUB_KEY_ID_1 --combine-appid $APPID \
    --combine-out-trade-no U1 --sub-order 1900009001:U1_A --endpoint "$BASE"
  usage v3_platform_public_key_dev_zero_refused_by_name "cannot read --platform-public-key '/dev/zero': it is a character device"
  cp "$K/merchant.key" "$B/merchant644.key"
  chmod 644 "$B/merchant644.key"
  x kf_v3perm "$CLI" --api v3 --mchid $MCHID --serial "$SERIAL" --private-key "$B/merchant644.key" $V3P \
    --combine-appid $APPID --combine-out-trade-no V3D6 --sub-order 1900009001:V3D6_A --endpoint "$BASE" \
    --dry-run --nonce abc --timestamp 1700000000
  if [ $rc -eq 0 ] && cmp -s "$B/kf_v3perm.out" "$B/v3dry_a.out" && [ "$(wc -l <"$B/kf_v3perm.err")" -eq 1 ] &&
    grep -q "warning: --private-key '.*merchant644.key' can be read by group or others" "$B/kf_v3perm.err"; then
    pass v3_private_key_readable_by_others_warns_once_and_still_signs
  else
    fail v3_private_key_readable_by_others_warns_once_and_still_signs "exit $rc: $(peek "$B/kf_v3perm.err")"
  fi
else
  v3skip v3_key_files_that_are_not_files
fi

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

# ======================================================= query and settle
# `wxpay-close query` in each trade state the emulator serves (v2 and v3),
# and the close settling (wxpay_settle, wxpay_v3_settle) end to end: closed;
# paid, with transaction ids and amounts; paying, then paid after polls;
# paying to the end, then closed again; no answer to the close (a dropped
# connection), then queried; a query that cannot be trusted never becomes
# a state. --poll-ms keeps the polls short. --json is read with Python's
# json module (helpers.py json-expect: each expression over d must hold).

# addorder NO STATE [MEMBERS] [SUBS]: an order of merchant 1900000109;
# MEMBERS: more JSON members of the order; SUBS: its sub-orders (default
# one, 1900009001:NO_A, 100 fen)
addorder() {
  a_subs="[{\"mchid\":\"1900009001\",\"out_trade_no\":\"$1_A\",\"total_amount\":100}]"
  [ -n "${4:-}" ] && a_subs=$4
  a_more=
  [ -n "${3:-}" ] && a_more=",$3"
  $H emu "$BASE" add "{\"orders\":[{\"combine_out_trade_no\":\"$1\",\"combine_mch_id\":\"$MCHID\",\"state\":\"$2\",\"age\":3600$a_more,\"sub_orders\":$a_subs}]}" >/dev/null ||
    echo "note: the emulator refused order $1" >&2
}
Q() { echo "--appid $APPID --mchid $MCHID --order $1"; }
# jexpect TEST WANT_STATUS EXPR... -- after x
jexpect() {
  j_t=$1
  j_want=$2
  shift 2
  if [ "$rc" -ne "$j_want" ]; then
    fail "$j_t" "exit $rc, want $j_want; stdout: $(peek "$B/$n.out") stderr: $(peek "$B/$n.err")"
  elif why=$($H json-expect "$B/$n.out" "$@"); then
    pass "$j_t"
  else
    fail "$j_t" "$why"
  fi
}
# has TEST LINE... -- after x: stdout holds each LINE as a whole line
has() {
  h_t=$1
  shift
  for h_l in "$@"; do
    if ! grep -qxF -- "$h_l" "$B/$n.out"; then
      fail "$h_t" "exit $rc; no line '$h_l' in: $(peek "$B/$n.out")"
      return
    fi
  done
  pass "$h_t"
}
# dropproxy: a proxy to the emulator that drops its first connection
# unanswered (the request went out, no answer came); its port in $PP
dropproxy() {
  rm -f "$B/proxy.port"
  $PY tests/cli/helpers.py drop-proxy "$B/proxy.port" "$HTTP" 1 60 &
  PROXY=$!
  i=0
  while [ ! -s "$B/proxy.port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
  PP=$(cat "$B/proxy.port" 2>/dev/null)
}
stopproxy() { kill "$PROXY" 2>/dev/null; wait "$PROXY" 2>/dev/null; }
TX1=4200000001202612050000000101
TX2=4200000001202612050000000102
PAIDSUBS="[{\"mchid\":\"1900009001\",\"out_trade_no\":\"@_A\",\"transaction_id\":\"$TX1\",\"total_amount\":1234},{\"mchid\":\"1900009002\",\"out_trade_no\":\"@_B\",\"transaction_id\":\"$TX2\",\"total_amount\":5}]"
paidsubs() { echo "$PAIDSUBS" | sed "s/@/$1/g"; }
EQ=$BASE/pay/querycombinedorder

# ------------------------------------------------------------- v2 query
addorder QP1 paid "" "$(paidsubs QP1)"
x q_paid "$CLI" query $(Q QP1) --endpoint "$E"
has query_v2_paid_lists_each_sub_order_with_transaction_id_and_amount \
  "  1900009001 QP1_A: SUCCESS (paid), transaction_id $TX1, 1234 fen = 12.34 yuan" \
  "  1900009002 QP1_B: SUCCESS (paid), transaction_id $TX2, 5 fen = 0.05 yuan"
check query_v2_paid_sentence_exit_0 0 "^found: combined order QP1 is paid (trade_state SUCCESS) (2 sub-orders); paid: 1900009001 QP1_A (SUCCESS, transaction_id $TX1, 1234 fen = 12.34 yuan)"
x q_paid_j "$CLI" query $(Q QP1) --endpoint "$E" --json
jexpect query_v2_paid_json 0 'd["outcome"] == "found" and d["exit"] == 0 and d["error"] is None' \
  'd["state"] == "paid" and d["verified"] is True' \
  'd["combined"]["trade_state"] == "SUCCESS" and d["combined"]["combine_out_trade_no"] == "QP1"' \
  "[(s['mchid'], s['out_trade_no'], s['trade_state'], s['paid'], s['transaction_id'], s['total_amount']) for s in d['sub_orders']] == [('1900009001', 'QP1_A', 'SUCCESS', True, '$TX1', 1234), ('1900009002', 'QP1_B', 'SUCCESS', True, '$TX2', 5)]" \
  '"sub_order_list" not in d["fields"] and d["fields"]["trade_state"] == "SUCCESS"'
for st in open:NOTPAY:unpaid closed:CLOSED:closed refund:REFUND:paid paying:USERPAYING:paying; do
  s=${st%%:*}; ts=${st#*:}; ts=${ts%%:*}; word=${st##*:}
  addorder "QS_$ts" "$s"
  x "q_$ts" "$CLI" query $(Q "QS_$ts") --endpoint "$E" --json
  if [ "$ts" = REFUND ]; then tx='s["transaction_id"] != ""'; else tx='s["transaction_id"] == ""'; fi
  jexpect "query_v2_${ts}_json" 0 "d['state'] == '$word' and d['combined']['trade_state'] == '$ts'" \
    "len(d['sub_orders']) == 1 and d['sub_orders'][0]['trade_state'] == '$ts'" \
    "[s for s in d['sub_orders'] if $tx and s['total_amount'] == 100] != []"
  x "q_${ts}_h" "$CLI" query $(Q "QS_$ts") --endpoint "$E"
  check "query_v2_${ts}_human" 0 "^  1900009001 QS_${ts}_A: $ts ("
done
x q_none "$CLI" query $(Q QNONE) --endpoint "$E" --json
jexpect query_v2_unknown_order_exit_5 5 'd["outcome"] == "not_found" and d["sub_orders"] is None' \
  '"ORDERNOTEXIST" in d["message"]'
x q_sys "$CLI" query $(Q QP1) --endpoint "$E" --query-endpoint "$BASE/systemerror/pay/querycombinedorder" \
  --attempts 2 --retry-delay 10
check query_v2_goes_to_query_endpoint_systemerror_exit_4 4 "^retry later: SYSTEMERROR.* — query again (2 attempts made)"
x q_qep "$CLI" query $(Q QP1) --endpoint "$BASE/gateway/close" --query-endpoint "$EQ"
check query_v2_query_endpoint_for_an_endpoint_of_another_shape 0 "^found: combined order QP1 is paid"
for t in dupmember cutlist badordernum; do
  x "q_$t" "$CLI" query $(Q QP1) --endpoint "$BASE/$t/pay/closecombinedorder" --json
  jexpect "query_v2_${t}_answer_untrustworthy_exit_6" 6 'd["outcome"] == "untrusted" and d["state"] is None and d["sub_orders"] is None'
done
# every string of the answer comes from the server: escaped in human output
ATTACH='\u001b[2J\u202eevil\u0007'
addorder QSAFE paid "" "[{\"mchid\":\"1900009001\",\"out_trade_no\":\"QSAFE_A\",\"transaction_id\":\"$TX1\",\"total_amount\":1,\"attach\":\"$ATTACH\"}]"
x q_safe "$CLI" query $(Q QSAFE) --endpoint "$E"
safe query_v2_output_with_hostile_attach_is_safe_utf8 "$B/q_safe.out" "$B/q_safe.err"
x q_safe_j "$CLI" query $(Q QSAFE) --endpoint "$E" --json
jexpect query_v2_json_carries_the_attach_exactly 0 'd["sub_orders"][0]["attach"] == "\x1b[2J\u202eevil\x07"'
before=$(reqs)
x q_dry "$CLI" query $(Q QD1) --dry-run --nonce 5K8264ILTKCH16CQ2502SI8ZNMTM67VS
if [ $rc -eq 0 ] && [ "$(reqs)" = "$before" ] &&
  why=$($PY -c 'import re, sys
sys.path.insert(0, "tests/cli")
import helpers
body = open(sys.argv[1]).read()
f = re.findall(r"<(\w+)>([^<]*)</\1>", body)
names = [k for k, v in f]
want = ["combine_appid", "combine_mch_id", "sign_type", "combine_out_trade_no", "nonce_str", "sign"]
if names != want or body != "<xml>" + "".join("<%s>%s</%s>" % (k, v, k) for k, v in f) + "</xml>":
    sys.exit("fields %r" % names)
if dict(f)["sign"] != helpers.hmac_sign(f, sys.argv[2]):
    sys.exit("signature differs")' "$B/q_dry.out" "$KEY" 2>&1); then
  pass query_v2_dry_run_body_in_sdk_order_signed_and_nothing_sent
else
  fail query_v2_dry_run_body_in_sdk_order_signed_and_nothing_sent "exit $rc: $why $(peek "$B/q_dry.out")"
fi

# usage errors: nothing sent
before=$(reqs)
x qu_sub "$CLI" query $(Q QU1) --sub 1900009001:A --endpoint "$E"
usage query_usage_sub_orders_refused "query takes no sub-orders"
x qu_order "$CLI" query --appid $APPID --mchid $MCHID --endpoint "$E"
usage query_usage_missing_order_is_named "missing --order"
x qu_poll "$CLI" query $(Q QU1) --poll-ms 10 --endpoint "$E"
usage query_usage_poll_ms_refused "--poll-ms is for the close"
x qu_pos "$CLI" $(Q QU1) query --endpoint "$E"
usage query_usage_must_come_first "'query' must come first"
x qu_shape "$CLI" query $(Q QU1) --endpoint "$BASE/gateway/close"
usage query_usage_endpoint_of_another_shape_needs_query_endpoint "give --query-endpoint URL"
x qu_qurl "$CLI" query $(Q QU1) --endpoint "$E" --query-endpoint "ftp://x/y"
usage query_usage_bad_query_endpoint_is_named "--query-endpoint wants an http:// or https:// URL"
x qu_pollv "$CLI" $(W QU1) --endpoint "$E" --poll-ms soon
usage close_usage_poll_ms_not_a_number "--poll-ms wants milliseconds"
if [ "$(reqs)" = "$before" ]; then pass query_usage_errors_send_nothing
else fail query_usage_errors_send_nothing "the emulator saw $(($(reqs) - before)) request(s)"; fi

# a close to an --endpoint of another shape, without --query-endpoint, only
# closes: its "settlement" says why no query followed
x s_noq "$CLI" $(W QU1) --endpoint "$BASE/gateway/close" --attempts 1 --json
jexpect settle_v2_endpoint_of_another_shape_closes_without_querying 5 'd["outcome"] == "rejected" and d["http_status"] == 404' \
  'd["settlement"]["error"] == "QUERY_ENDPOINT" and d["settlement"]["queries"] == 0 and d["settlement"]["state"] == "unsettled"'

# ------------------------------------------------------------ v2 settle
neworder SC1
x s_closed "$CLI" $(W SC1) --endpoint "$E" --json
jexpect settle_v2_open_order_closed_without_a_query 0 'd["outcome"] == "closed"' \
  'd["settlement"]["state"] == "closed" and d["settlement"]["closes"] == 1 and d["settlement"]["queries"] == 0 and d["settlement"]["sub_orders"] is None'
addorder SP1 paid "" "$(paidsubs SP1)"
x s_paid "$CLI" --appid $APPID --mchid $MCHID --order SP1 --sub 1900009001:SP1_A --sub 1900009002:SP1_B --endpoint "$E"
check settle_v2_paid_sentence_names_the_paid_sub_orders 3 "^order is PAID — do not reissue, treat as paid (ORDERPAID); paid: 1900009001 SP1_A (SUCCESS, transaction_id $TX1, 1234 fen = 12.34 yuan); 1900009002 SP1_B (SUCCESS, transaction_id $TX2, 5 fen = 0.05 yuan)$"
x s_paid_j "$CLI" --appid $APPID --mchid $MCHID --order SP1 --sub 1900009001:SP1_A --sub 1900009002:SP1_B --endpoint "$E" --json
jexpect settle_v2_paid_json_keeps_the_close_members_and_adds_settlement 3 \
  'd["outcome"] == "paid" and d["exit"] == 3 and d["verified"] is True and d["fields"]["err_code"] == "ORDERPAID"' \
  'd["settlement"]["state"] == "paid" and d["settlement"]["closes"] == 1 and d["settlement"]["queries"] == 1' \
  "[(s['out_trade_no'], s['transaction_id'], s['total_amount']) for s in d['settlement']['sub_orders']] == [('SP1_A', '$TX1', 1234), ('SP1_B', '$TX2', 5)]"
addorder SPT1 paying '"paying_until":0.6,"paying_then":"paid"'
x s_paying_paid "$CLI" $(W SPT1) --endpoint "$E" --poll-ms 300 --json
jexpect settle_v2_paying_then_paid_after_polls 3 'd["outcome"] == "paid"' \
  'd["settlement"]["state"] == "paid" and d["settlement"]["closes"] == 1 and d["settlement"]["queries"] >= 2' \
  'd["settlement"]["sub_orders"][0]["trade_state"] == "SUCCESS" and d["settlement"]["sub_orders"][0]["transaction_id"] != ""'
addorder SPO1 paying '"paying_until":0.6,"paying_then":"open"'
x s_paying_open "$CLI" $(W SPO1) --endpoint "$E" --poll-ms 300 --json
jexpect settle_v2_paying_then_unpaid_closed_again 0 'd["outcome"] == "closed"' \
  'd["settlement"]["state"] == "closed" and d["settlement"]["closes"] == 2'
addorder SPF1 paying
t0=$($PY -c 'import time; print(int(time.time() * 1000))')
x s_paying_forever "$CLI" $(W SPF1) --endpoint "$E" --poll-ms 200 --json
t1=$($PY -c 'import time; print(int(time.time() * 1000))')
jexpect settle_v2_paying_to_the_end_is_paying_after_polls_and_a_second_close 4 \
  'd["outcome"] == "paying"' \
  'd["settlement"]["state"] == "paying" and d["settlement"]["closes"] == 2 and d["settlement"]["queries"] == 5' \
  'd["settlement"]["sub_orders"][0]["trade_state"] == "USERPAYING"'
if [ $((t1 - t0)) -ge 600 ] && [ $((t1 - t0)) -lt 4000 ]; then
  pass settle_v2_poll_ms_sets_the_pause_between_polls
else
  fail settle_v2_poll_ms_sets_the_pause_between_polls "three polls of 200 ms took $((t1 - t0)) ms"
fi
dropproxy
neworder SD1
x s_drop "$CLI" $(W SD1) --endpoint "http://127.0.0.1:$PP/pay/closecombinedorder" --attempts 1 --json
stopproxy
jexpect settle_v2_dropped_close_queried_then_closed_again 0 'd["outcome"] == "closed"' \
  'd["settlement"]["state"] == "closed" and d["settlement"]["closes"] == 2 and d["settlement"]["queries"] == 1' \
  'd["settlement"]["sub_orders"][0]["trade_state"] == "NOTPAY"'
dropproxy
addorder SD2 paid "" "$(paidsubs SD2)"
x s_drop_paid "$CLI" --appid $APPID --mchid $MCHID --order SD2 --sub 1900009001:SD2_A --sub 1900009002:SD2_B \
  --endpoint "http://127.0.0.1:$PP/pay/closecombinedorder" --attempts 1
stopproxy
check settle_v2_dropped_close_of_a_paid_order_is_paid_by_the_query 3 "^order is PAID — do not reissue, treat as paid (the query found it paid); paid: 1900009001 SD2_A (SUCCESS, transaction_id $TX1"
neworder SD3
x s_drop_q "$CLI" $(W SD3) --endpoint "$BASE/drop/pay/closecombinedorder" --query-endpoint "$EQ" --attempts 1 --json
jexpect settle_v2_close_answer_lost_query_endpoint_finds_it_closed 0 \
  'd["outcome"] == "closed" and d["verified"] is False and d["net"] == "IO"' \
  'd["settlement"]["state"] == "closed" and d["settlement"]["closes"] == 1 and d["settlement"]["sub_orders"][0]["trade_state"] == "CLOSED"'
neworder SU1
x s_untrusted "$CLI" $(W SU1) --endpoint "$BASE/drop/pay/closecombinedorder" \
  --query-endpoint "$BASE/badsign/pay/querycombinedorder" --attempts 1 --json
jexpect settle_v2_untrustworthy_query_never_becomes_a_state 6 'd["outcome"] == "untrusted" and d["error"] == "SIGNATURE"' \
  'd["settlement"]["state"] == "unsettled" and d["settlement"]["error"] == "SIGNATURE" and d["settlement"]["sub_orders"] is None'
addorder SU2 paid "" "$(paidsubs SU2)"
x s_untrusted_paid "$CLI" --appid $APPID --mchid $MCHID --order SU2 --sub 1900009001:SU2_A --sub 1900009002:SU2_B \
  --endpoint "$E" --query-endpoint "$BASE/cutlist/pay/querycombinedorder" --json
jexpect settle_v2_paid_close_stands_when_its_query_cannot_be_trusted 3 'd["outcome"] == "paid" and d["error"] is None' \
  'd["settlement"]["state"] == "unsettled" and d["settlement"]["error"] is not None and d["settlement"]["sub_orders"] is None' \
  '"the query that followed failed" in d["message"]'
for t in curl mbedtls; do
  if ! has_transport $t || [ -z "$HTTPS" ]; then
    skip "settle_v2_over_https_with_${t}" "$t not built in or no test certificates"
    continue
  fi
  addorder "SH_$t" paid "" "$(paidsubs "SH_$t")"
  x "sh_$t" "$CLI" --appid $APPID --mchid $MCHID --order "SH_$t" --sub "1900009001:SH_${t}_A" \
    --sub "1900009002:SH_${t}_B" --endpoint "https://localhost:$HTTPS/pay/closecombinedorder" \
    --transport $t --cacert "$B/certs/ca.pem" --json
  jexpect "settle_v2_over_https_with_${t}" 3 'd["settlement"]["state"] == "paid" and d["transport"] == "'$t'"' \
    "[s['transaction_id'] for s in d['settlement']['sub_orders']] == ['$TX1', '$TX2']"
done
before=$(reqs)
x s_dry "$CLI" $(W SP1) --endpoint "$E" --dry-run --nonce abc
if [ $rc -eq 0 ] && [ "$(reqs)" = "$before" ] && grep -q '^<xml><combine_appid>' "$B/s_dry.out"; then
  pass settle_v2_dry_run_still_sends_nothing
else
  fail settle_v2_dry_run_still_sends_nothing "exit $rc: $(peek "$B/s_dry.out")"
fi

# ------------------------------------------------------- v3 query, settle
if [ -n "$V3_OK" ]; then
  V3Q() { echo "query $V3K $V3P --combine-out-trade-no $1"; }
  addorder V3QP1 paid "" "$(paidsubs V3QP1)"
  x v3q_paid "$CLI" $(V3Q V3QP1) --combine-appid $APPID --endpoint "$BASE" --json
  jexpect v3_query_paid_json 0 'd["api"] == "v3" and d["outcome"] == "found" and d["state"] == "paid"' \
    'd["combined"]["combine_mchid"] == "1900000109" and d["platform_serial"] is not None' \
    "[(s['out_trade_no'], s['trade_state'], s['transaction_id'], s['total_amount']) for s in d['sub_orders']] == [('V3QP1_A', 'SUCCESS', '$TX1', 1234), ('V3QP1_B', 'SUCCESS', '$TX2', 5)]"
  x v3q_paid_h "$CLI" $(V3Q V3QP1) --endpoint "$BASE"
  has v3_query_paid_human_lines \
    "  1900009001 V3QP1_A: SUCCESS (paid), transaction_id $TX1, 1234 fen = 12.34 yuan"
  for st in open:NOTPAY:unpaid closed:CLOSED:closed refund:REFUND:paid paying:USERPAYING:paying; do
    s=${st%%:*}; ts=${st#*:}; ts=${ts%%:*}; word=${st##*:}
    addorder "V3QS_$ts" "$s"
    x "v3q_$ts" "$CLI" $(V3Q "V3QS_$ts") --endpoint "$BASE" --json
    jexpect "v3_query_${ts}_json" 0 "d['state'] == '$word' and d['sub_orders'][0]['trade_state'] == '$ts'" \
      "d['sub_orders'][0]['total_amount'] == 100"
  done
  x v3q_none "$CLI" $(V3Q V3QNONE) --endpoint "$BASE" --json
  jexpect v3_query_unknown_order_exit_5 5 'd["outcome"] == "not_found" and d["sub_orders"] is None'
  x v3q_badsign "$CLI" $(V3Q V3QP1) --endpoint "$BASE/v3badsign" --json
  jexpect v3_query_bad_signature_exit_6 6 'd["outcome"] == "untrusted" and d["sub_orders"] is None'
  x v3q_dry "$CLI" $(V3Q V3QD1) --dry-run --nonce abc --timestamp 1700000000 --endpoint "$BASE"
  if [ $rc -eq 0 ] && [ "$(head -1 "$B/v3q_dry.out")" = "GET $BASE/v3/combine-transactions/out-trade-no/V3QD1" ] &&
    ! grep -qi '^content-type' "$B/v3q_dry.out" && grep -q '^Authorization: WECHATPAY2-SHA256-RSA2048 ' "$B/v3q_dry.out"; then
    pass v3_query_dry_run_is_a_get_without_body_or_content_type
  else
    fail v3_query_dry_run_is_a_get_without_body_or_content_type "exit $rc: $(peek "$B/v3q_dry.out")"
  fi
  x v3q_verbose "$CLI" $(V3Q V3QP1) --endpoint "$BASE" --verbose
  if [ $rc -eq 0 ] && grep -q "attempt 1: GET $BASE/v3/combine-transactions/out-trade-no/V3QP1\$" "$B/v3q_verbose.err"; then
    pass v3_query_verbose_logs_a_get
  else
    fail v3_query_verbose_logs_a_get "exit $rc: $(peek "$B/v3q_verbose.err")"
  fi
  x v3qu_qep "$CLI" $(V3Q V3QU1) --endpoint "$BASE" --query-endpoint "$EQ"
  usage v3_query_usage_query_endpoint_refused "--query-endpoint is for --api v2"

  x v3s_paid "$CLI" $V3K $V3P --combine-appid $APPID --combine-out-trade-no V3QP1 \
    --sub-order 1900009001:V3QP1_A --sub-order 1900009002:V3QP1_B --endpoint "$BASE" --json
  jexpect v3_settle_paid_json_names_the_paid_sub_orders 3 'd["outcome"] == "paid" and "transaction_id '"$TX1"'" in d["message"]' \
    'd["settlement"]["state"] == "paid" and d["settlement"]["closes"] == 1 and d["settlement"]["queries"] == 1' \
    "[s['transaction_id'] for s in d['settlement']['sub_orders']] == ['$TX1', '$TX2']"
  neworder V3SC1
  x v3s_closed "$CLI" $(V3 V3SC1) --endpoint "$BASE" --json
  jexpect v3_settle_open_order_closed_without_a_query 0 'd["outcome"] == "closed" and d["settlement"]["queries"] == 0'
  addorder V3SPT1 paying '"paying_until":0.6,"paying_then":"paid"'
  x v3s_paying_paid "$CLI" $(V3 V3SPT1) --endpoint "$BASE" --poll-ms 300 --json
  jexpect v3_settle_paying_then_paid_after_polls 3 \
    'd["settlement"]["state"] == "paid" and d["settlement"]["queries"] >= 2 and d["settlement"]["sub_orders"][0]["transaction_id"] != ""'
  addorder V3SPF1 paying
  x v3s_paying_forever "$CLI" $(V3 V3SPF1) --endpoint "$BASE" --poll-ms 50 --json
  jexpect v3_settle_paying_to_the_end_is_paying_after_polls_and_a_second_close 4 \
    'd["outcome"] == "paying" and d["settlement"]["state"] == "paying"' \
    'd["settlement"]["closes"] == 2 and d["settlement"]["queries"] == 5'
  addorder V3SPO1 paying '"paying_until":0.6,"paying_then":"open"'
  x v3s_paying_open "$CLI" $(V3 V3SPO1) --endpoint "$BASE" --poll-ms 300 --json
  jexpect v3_settle_paying_then_unpaid_closed_again 0 \
    'd["outcome"] == "closed" and d["settlement"]["state"] == "closed" and d["settlement"]["closes"] == 2'
  dropproxy
  neworder V3SD1
  x v3s_drop "$CLI" $(V3 V3SD1) --endpoint "http://127.0.0.1:$PP" --attempts 1 --json
  stopproxy
  jexpect v3_settle_dropped_close_queried_then_closed_again 0 'd["outcome"] == "closed"' \
    'd["settlement"]["state"] == "closed" and d["settlement"]["closes"] == 2 and d["settlement"]["queries"] == 1'
  neworder V3SU1
  x v3s_untrusted "$CLI" $(V3 V3SU1) --endpoint "$BASE/v3badsign" --attempts 1 --json
  jexpect v3_settle_untrustworthy_query_never_becomes_a_state 6 'd["outcome"] == "untrusted"' \
    'd["settlement"]["state"] == "unsettled" and d["settlement"]["queries"] == 1 and d["settlement"]["sub_orders"] is None'
  for t in curl mbedtls; do
    if ! has_transport $t || [ -z "$HTTPS" ]; then
      skip "v3_settle_over_https_with_${t}" "$t not built in or no test certificates"
      continue
    fi
    addorder "V3SH_$t" paid "" "$(paidsubs "V3SH_$t")"
    x "v3sh_$t" "$CLI" $V3K $V3P --combine-appid $APPID --combine-out-trade-no "V3SH_$t" \
      --sub-order "1900009001:V3SH_${t}_A" --sub-order "1900009002:V3SH_${t}_B" \
      --endpoint "https://localhost:$HTTPS" --transport $t --cacert "$B/certs/ca.pem" --json
    jexpect "v3_settle_over_https_with_${t}" 3 'd["settlement"]["state"] == "paid"' \
      "[s['transaction_id'] for s in d['settlement']['sub_orders']] == ['$TX1', '$TX2']"
  done
else
  skip v3_query_and_settle "$V3_WHY"
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

# the "Query and settle" program: it settles the README's order, paid (a
# query names the sub-order, its transaction id and amount; exit 1) and
# then open (closed; exit 0), over libcurl against the emulator
extract "a complete program: closes, and settles" >"$B/readme_settle.c"
if has_transport curl; then
  # shellcheck disable=SC2086
  if grep -q wxpay_settle "$B/readme_settle.c" &&
    $CC $WARN -I. "$B/readme_settle.c" -o "$B/readme_settle" $CURL_FLAGS >"$B/readme_settle.log" 2>&1; then
    rs_order() { # STATE: the README's order, in that state
      $H emu "$BASE" add "{\"orders\":[{\"combine_out_trade_no\":\"1217752501201407033233368018\",\"combine_mch_id\":\"1900000109\",\"state\":\"$1\",\"age\":3600,\"sub_orders\":[{\"mchid\":\"1900009001\",\"out_trade_no\":\"OD201708030001\",\"transaction_id\":\"4200000001202612050000000201\",\"total_amount\":888}]}]}" >/dev/null
    }
    rs_order paid
    x readme_settle_paid WXPAY_ENDPOINT="$E" "$B/readme_settle"
    rs_rc=$rc
    rs_order open
    x readme_settle_open WXPAY_ENDPOINT="$E" "$B/readme_settle"
    if [ $rs_rc -eq 1 ] && grep -q "^paid: " "$B/readme_settle_paid.out" &&
      grep -qxF "  1900009001 OD201708030001: SUCCESS, 4200000001202612050000000201, 888 fen" "$B/readme_settle_paid.out" &&
      [ $rc -eq 0 ] && grep -q "^closed: " "$B/readme_settle_open.out"; then
      pass readme_settle_example_compiles_and_settles_a_paid_and_an_open_order
    else
      fail readme_settle_example_compiles_and_settles_a_paid_and_an_open_order \
        "exit $rs_rc, $rc: $(peek "$B/readme_settle_paid.out") $(peek "$B/readme_settle_open.out") $(peek "$B/readme_settle_paid.err")"
    fi
  else
    fail readme_settle_example_compiles_and_settles_a_paid_and_an_open_order "$(peek "$B/readme_settle.log")"
  fi
else
  skip readme_settle_example_compiles_and_settles_a_paid_and_an_open_order "libcurl not installed (Debian: libcurl4-openssl-dev)"
fi

# the tool's flags: in README.md or in examples/README.md (the tool's own
# page, which documents --api v3 in full)
missing=
for f in $(grep -o -- '--[a-z][a-z-]*' "$B/help.out" | sort -u); do
  grep -q -- "\`$f" README.md || grep -q -- "\`$f" examples/README.md || missing="$missing $f"
done
if [ -z "$missing" ]; then pass readme_documents_every_cli_flag; else fail readme_documents_every_cli_flag "missing:$missing"; fi
missing=
for f in $(sed -n '/^APIv3 keys/,/^sending:/p' "$B/help.out" | grep -o -- '--[a-z][a-z-]*' | sort -u) \
  --api --combine-appid --combine-out-trade-no --sub-order --endpoint --dry-run; do
  grep -q -- "\`$f" examples/README.md || missing="$missing $f"
done
for s in 0 1 2 3 4 5 6 7; do
  grep -q "^| $s |" examples/README.md || missing="$missing exit-$s"
done
if [ -z "$missing" ]; then
  pass examples_readme_documents_api_v3_flags_and_every_exit_status
else
  fail examples_readme_documents_api_v3_flags_and_every_exit_status "missing:$missing"
fi
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

kill $EMU $HSRV 2>/dev/null
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
  elif [ "$(grep '^== ' "$B/$1.out" | tail -1 | cut -c1-6)" != "== 10." ] ||
    ! grep -qF "order is PAID — do not reissue, treat as paid (ORDERPAID); paid: 1900009001 OD_QUERY_PAID_0001_A (SUCCESS, transaction_id 4200000001202612050000000001, 1000 fen = 10.00 yuan); 1900009002 OD_QUERY_PAID_0001_B (SUCCESS, transaction_id 4200000002202612050000000002, 2550 fen = 25.50 yuan)" "$B/$1.out"; then
    fail "$1" "the demo does not end with the paid order settled: $(grep -A3 '^== 10' "$B/$1.out" | tr '\n' ' ')"
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
