#!/bin/sh
# make bench: wxpay_close.h against the stacks a user would pick instead, in
# one run on this machine. Writes build/bench/results.tsv (raw figures),
# build/bench/bench.md (the report, also printed) and callgrind profiles.
#
#   contenders  ours (default build: the rolled SHA-256), ours-fast
#               (-DWXPAY_SHA256_FAST: the unrolled one) and ours-hw
#               (-DWXPAY_SHA256_HW), with and without wxpay_client_init(); the conventional C stack
#               (OpenSSL + cJSON + snprintf + libxml2); OpenSSL and mbedTLS
#               HMAC for the hash part alone; the Node SDK
#               wechatpay-axios-plugin@0.9.6 (installed into build/bench/node
#               at run time)
#   the query   (issue 13) parse + verify of a signed APIv2 query answer
#               (XML, HMAC, sub_order_list's JSON, 3 sub-orders) and of an
#               APIv3 one (SHA-256 of the signed message, a stand-in for the
#               RSA check, the JSON body): ours against the conventional
#               stack doing the same (libxml2 + OpenSSL HMAC + cJSON; OpenSSL
#               SHA-256 + cJSON), timed and counted with callgrind; the
#               target "fewer instructions than the conventional stack" is
#               printed MET / NOT MET
#   knobs       CC; BENCH_CFLAGS (default -O2 -g -gdwarf-4: valgrind 3.19
#               cannot read clang's DWARF 5); BENCH_HW_CFLAGS (extra flags for
#               ours-hw; default: what this CPU and compiler need);
#               BENCH_ROUNDS (41); BENCH_MS (batch length, 3); BENCH_CLOCK
#               (cpu: CPU time, the default; wall); BENCH_NO_NODE=1;
#               BENCH_NO_CALLGRIND=1
#
# A missing library or tool skips its contender with a loud message. Exit
# status: non-zero when a contender gave a wrong answer or the library
# allocated from the heap; targets NOT MET are reported, not failed.
# shellcheck disable=SC2086,SC2046 # flag lists ($CF, $DEFS, $LIBS ...) split on purpose
cd "$(dirname "$0")/../.." || exit 2
CC=${CC:-cc}
CF=${BENCH_CFLAGS:--O2 -g -gdwarf-4}
ROUNDS=${BENCH_ROUNDS:-41}
MS=${BENCH_MS:-3}
OUT=build/bench
OBJ=$OUT/obj
RES=$OUT/results.tsv
SRC=tests/bench
WARN="-std=c99 -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes"
mkdir -p "$OBJ" || exit 2
: > "$RES"
status=0
started=$(date +%s)

say() { printf 'bench: %s\n' "$*" >&2; }
info() { printf 'info\t%s\t%s\n' "$1" "$2" >> "$RES"; }
skip() {
  printf '\n!!! SKIPPED %s: %s\n\n' "$1" "$2" >&2
  printf 'skip\t%s\t%s\n' "$1" "$2" >> "$RES"
}
die() { printf '!!! FAIL: %s\n' "$*" >&2; exit 1; }

# ---- the machine ----
cpu=$(sed -n 's/^model name[[:space:]]*: *//p' /proc/cpuinfo 2>/dev/null | head -n 1)
[ -n "$cpu" ] || cpu=$(sed -n 's/^CPU part[[:space:]]*: *//p' /proc/cpuinfo 2>/dev/null | head -n 1)
[ -n "$cpu" ] || cpu=$(uname -m)
cpu_sha=no
if grep -qw sha_ni /proc/cpuinfo 2>/dev/null; then cpu_sha="yes (sha_ni)"
elif grep -qw sha2 /proc/cpuinfo 2>/dev/null; then cpu_sha="yes (sha2)"; fi
info date "$(date -u '+%Y-%m-%d %H:%M UTC')"
info cpu "$cpu"
info ncpu "$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo '?')"
info cpu_sha "$cpu_sha"
info compiler "$($CC --version 2>/dev/null | head -n 1)"
info cflags "$CF"
info load_before "$(cut -d ' ' -f 1-3 /proc/loadavg 2>/dev/null)"
info header "$(wc -l < wxpay_close.h | tr -d ' ') lines, sha256 $(sha256sum wxpay_close.h 2>/dev/null | cut -c 1-16)"

# ---- which libraries are here ----
probe() { # name "C source" link flags...
  name=$1; src=$2; shift 2
  printf '%s\n' "$src" > "$OBJ/probe_$name.c"
  $CC $CF "$OBJ/probe_$name.c" -o "$OBJ/probe_$name" "$@" > "$OBJ/probe_$name.log" 2>&1
}
XML_CF=$(xml2-config --cflags 2>/dev/null || pkg-config --cflags libxml-2.0 2>/dev/null || echo -I/usr/include/libxml2)
XML_LIBS=$(xml2-config --libs 2>/dev/null || pkg-config --libs libxml-2.0 2>/dev/null || echo -lxml2)
DEFS=""
OBJS=""
LIBS=""
have_ssl=0; have_cjson=0; have_xml=0; have_mbed=0
probe openssl '#include <openssl/evp.h>
int main(void) { EVP_MAC *m = EVP_MAC_fetch(NULL, "HMAC", NULL); EVP_MAC_free(m); return 0; }' -lcrypto \
  && have_ssl=1
probe cjson '#include <cjson/cJSON.h>
int main(void) { cJSON_Delete(cJSON_CreateArray()); return 0; }' -lcjson && have_cjson=1
probe libxml2 '#include <libxml/parser.h>
int main(void) { xmlInitParser(); return 0; }' $XML_CF $XML_LIBS && have_xml=1
probe mbedtls '#include <mbedtls/md.h>
int main(void) { return mbedtls_md_info_from_type(MBEDTLS_MD_SHA256) == 0; }' -lmbedcrypto \
  && have_mbed=1

if [ $have_ssl = 1 ]; then
  DEFS="$DEFS -DHAVE_OPENSSL"; OBJS="$OBJS $OBJ/c_openssl.o"
else
  skip openssl "OpenSSL 3 (libcrypto with EVP_MAC) not found: apt-get install libssl-dev ($OBJ/probe_openssl.log)"
fi
if [ $have_ssl = 1 ] && [ $have_cjson = 1 ] && [ $have_xml = 1 ]; then
  DEFS="$DEFS -DHAVE_CONV"; OBJS="$OBJS $OBJ/c_conv.o"; LIBS="$LIBS $XML_LIBS -lcjson"
else
  missing=""
  [ $have_ssl = 1 ] || missing="$missing libssl-dev"
  [ $have_cjson = 1 ] || missing="$missing libcjson-dev"
  [ $have_xml = 1 ] || missing="$missing libxml2-dev"
  skip conv "the conventional C stack needs OpenSSL, cJSON and libxml2: apt-get install$missing"
fi
[ $have_ssl = 1 ] && LIBS="$LIBS -lcrypto"
if [ $have_mbed = 1 ]; then
  DEFS="$DEFS -DHAVE_MBEDTLS"; OBJS="$OBJS $OBJ/c_mbedtls.o"; LIBS="$LIBS -lmbedcrypto"
else
  skip mbedtls "mbedTLS not found: apt-get install libmbedtls-dev ($OBJ/probe_mbedtls.log)"
fi

# ---- the library's SHA-256 configurations ----
OURS_DEFS=""
if grep -q 'wxpay_sha256_backend' wxpay_close.h; then
  OURS_DEFS="-DOURS_BACKEND_EXPR=wxpay_sha256_backend()"
fi
have_hw=0
if grep -q 'WXPAY_SHA256_HW' wxpay_close.h; then
  have_hw=1
  # what the header needs to see the instructions: GCC on x86 checks the CPU
  # at run time and needs nothing; clang on x86 and any ARM compiler need the
  # target flags (only added when this CPU has the instructions)
  if [ -z "${BENCH_HW_CFLAGS+set}" ]; then
    BENCH_HW_CFLAGS=""
    case "$(uname -m)" in
      x86_64 | i?86)
        if $CC --version 2> /dev/null | grep -qi clang && grep -qw sha_ni /proc/cpuinfo 2> /dev/null; then
          BENCH_HW_CFLAGS="-msha -msse4.1"
        fi ;;
      aarch64 | arm64)
        if grep -qw sha2 /proc/cpuinfo 2> /dev/null; then BENCH_HW_CFLAGS="-march=armv8-a+crypto"; fi ;;
    esac
  fi
  info hw_cflags "$(echo -DWXPAY_SHA256_HW $BENCH_HW_CFLAGS)"
else
  skip ours-hw "wxpay_close.h has no WXPAY_SHA256_HW option: only the portable path is measured"
fi

have_fast=0
grep -q 'WXPAY_SHA256_FAST' wxpay_close.h && have_fast=1

# ---- build ----
say "compiling with $CC $CF"
cc_obj() { # source object flags...
  src=$1; obj=$2; shift 2
  $CC $WARN $CF "$@" -c "$src" -o "$obj" 2> "$obj.err" || die "$src does not compile: $(head -c 800 "$obj.err")"
}
cc_obj $SRC/data.c $OBJ/data.o
cc_obj $SRC/registry.c $OBJ/registry.o $DEFS $([ $have_hw = 1 ] && echo -DHAVE_OURS_HW) \
  $([ $have_fast = 1 ] && echo -DHAVE_OURS_FAST)
cc_obj $SRC/bench.c $OBJ/bench.o
cc_obj $SRC/exchange1.c $OBJ/exchange1.o
cc_obj $SRC/alloc.c $OBJ/alloc.o
cc_obj $SRC/c_ours.c $OBJ/c_ours.o -Wno-unused-function $OURS_DEFS
if [ $have_fast = 1 ]; then
  cc_obj $SRC/c_ours.c $OBJ/c_ours_fast.o -Wno-unused-function $OURS_DEFS -DWXPAY_SHA256_FAST \
    -DOURS_TAG=ours_fast '-DOURS_NAME="ours-fast"' '-DOURS_LABEL="wxpay_close.h -DWXPAY_SHA256_FAST"'
  OBJS="$OBJS $OBJ/c_ours_fast.o"
fi
if [ $have_hw = 1 ]; then
  cc_obj $SRC/c_ours.c $OBJ/c_ours_hw.o -Wno-unused-function $OURS_DEFS -DWXPAY_SHA256_HW \
    -DOURS_TAG=ours_hw '-DOURS_NAME="ours-hw"' '-DOURS_LABEL="wxpay_close.h -DWXPAY_SHA256_HW"' \
    $BENCH_HW_CFLAGS
  OBJS="$OBJS $OBJ/c_ours_hw.o"
fi
[ $have_ssl = 1 ] && cc_obj $SRC/c_openssl.c $OBJ/c_openssl.o
case "$DEFS" in *HAVE_CONV*) cc_obj $SRC/c_conv.c $OBJ/c_conv.o $XML_CF ;; esac
[ $have_mbed = 1 ] && cc_obj $SRC/c_mbedtls.c $OBJ/c_mbedtls.o
COMMON="$OBJ/registry.o $OBJ/data.o $OBJ/c_ours.o $OBJS"
$CC $CF -o $OUT/bench $OBJ/bench.o $OBJ/alloc.o $COMMON $LIBS 2> $OUT/link.err \
  || die "bench does not link: $(head -c 800 $OUT/link.err)"
$CC $CF -o $OUT/exchange1 $OBJ/exchange1.o $COMMON $LIBS 2> $OUT/link.err \
  || die "exchange1 does not link: $(head -c 800 $OUT/link.err)"

# ---- C contenders ----
say "timing the C contenders ($ROUNDS rounds, batches of ~$MS ms)"
BENCH_ROUNDS=$ROUNDS BENCH_MS=$MS $OUT/bench $OUT >> "$RES"
rc=$?
if [ $rc -ne 0 ]; then
  status=1
  if [ $rc -eq 3 ]; then
    printf '\n!!! FAIL: wxpay_close.h allocated from the heap (see the fail lines in %s)\n\n' "$RES" >&2
  else
    printf '\n!!! FAIL: the C benchmark stopped with status %s (a wrong answer?)\n\n' "$rc" >&2
  fi
fi

# ---- the Node SDK ----
NODE_DIR=$OUT/node
SDK=$NODE_DIR/node_modules/wechatpay-axios-plugin
if [ "${BENCH_NO_NODE:-0}" = 1 ]; then
  skip node "BENCH_NO_NODE=1"
elif ! command -v node > /dev/null 2>&1; then
  skip node "node is not installed (apt-get install nodejs npm)"
else
  if ! grep -q '"version": "0.9.6"' "$SDK/package.json" 2> /dev/null; then
    if command -v npm > /dev/null 2>&1; then
      say "installing wechatpay-axios-plugin@0.9.6 into $NODE_DIR (npm, at most 150 s)"
      mkdir -p "$NODE_DIR"
      timeout 150 npm install --no-save --no-package-lock --no-audit --no-fund --loglevel=error \
        --prefix "$NODE_DIR" wechatpay-axios-plugin@0.9.6 > "$OUT/npm.log" 2>&1
      rm -f "$NODE_DIR/package-lock.json"
    fi
  fi
  if grep -q '"version": "0.9.6"' "$SDK/package.json" 2> /dev/null; then
    say "timing the Node SDK"
    if ! node $SRC/node_bench.js "$NODE_DIR/node_modules" "$OUT" "$ROUNDS" "$MS" >> "$RES"; then
      status=1
      printf '\n!!! FAIL: the Node SDK contender stopped (a wrong answer?)\n\n' >&2
    fi
  elif command -v npm > /dev/null 2>&1; then
    skip node "npm could not install wechatpay-axios-plugin@0.9.6 (no network or registry?): $(tail -n 3 "$OUT/npm.log" 2>/dev/null | tr '\n' ' ')"
  else
    skip node "npm is not installed (apt-get install npm)"
  fi
fi

# ---- instruction counts ----
if [ "${BENCH_NO_CALLGRIND:-0}" = 1 ]; then
  skip callgrind "BENCH_NO_CALLGRIND=1"
elif ! command -v valgrind > /dev/null 2>&1; then
  skip callgrind "valgrind is not installed (apt-get install valgrind): no instruction counts"
else
  say "counting instructions with callgrind"
  for spec in ours:exchange ours-noinit:exchange ours-fast:exchange ours-hw:exchange conv:exchange \
              ours:hmac_exchange ours-fast:hmac_exchange ours-hw:hmac_exchange openssl:hmac_exchange \
              mbedtls:hmac_exchange ours:query_v2 ours-fast:query_v2 ours-hw:query_v2 conv:query_v2 \
              ours:query_v3 ours-fast:query_v3 ours-hw:query_v3 conv:query_v3; do
    name=${spec%%:*}
    op=${spec#*:}
    grep -q "^contender	$name	" "$RES" || continue
    base=$OUT/callgrind.$name.$op
    valgrind --tool=callgrind --callgrind-out-file="$base.out" --collect-atstart=no \
      --toggle-collect=bench_measured $OUT/exchange1 "$name" "$op" 1 > "$base.log" 2>&1
    n=$(sed -n 's/.*Collected : *\([0-9][0-9]*\).*/\1/p' "$base.log" | tail -n 1)
    if [ -n "$n" ] && grep -q " ok$" "$base.log"; then
      printf 'ir\t%s\t%s\t%s\n' "$name" "$op" "$n" >> "$RES"
      path=$(sed -n 's/.*SHA-256 path: //p' "$base.log" | head -n 1)
      [ -z "$path" ] || printf 'irpath\t%s\t%s\n' "$name" "$path" >> "$RES"
    else
      if grep -q 'Illegal instruction' "$base.log"; then
        skip "callgrind $name $op" "valgrind cannot run the SHA instructions this build uses without a run-time CPU check ($base.log)"
      else
        skip "callgrind $name $op" "valgrind run failed: $(tail -n 2 "$base.log" | tr '\n' ' ')"
      fi
    fi
  done
  if command -v callgrind_annotate > /dev/null 2>&1; then
    for name in ours ours-fast ours-hw conv; do
      [ -f "$OUT/callgrind.$name.exchange.out" ] || continue
      callgrind_annotate --inclusive=no "$OUT/callgrind.$name.exchange.out" \
        > "$OUT/profile.$name.exclusive.txt" 2>&1
      callgrind_annotate --inclusive=yes "$OUT/callgrind.$name.exchange.out" \
        > "$OUT/profile.$name.inclusive.txt" 2>&1
    done
    for name in ours conv; do
      for op in query_v2 query_v3; do
        [ -f "$OUT/callgrind.$name.$op.out" ] || continue
        callgrind_annotate --inclusive=no "$OUT/callgrind.$name.$op.out" \
          > "$OUT/profile.$name.$op.exclusive.txt" 2>&1
      done
    done
  fi
fi

info load_after "$(cut -d ' ' -f 1-3 /proc/loadavg 2>/dev/null)"
awk -f $SRC/report.awk "$RES" > "$OUT/bench.md" || die "report.awk failed"
echo
cat "$OUT/bench.md"
say "report: $OUT/bench.md; raw figures: $RES; profiles: $OUT/profile.*.txt ($(( $(date +%s) - started )) s)"
exit $status
