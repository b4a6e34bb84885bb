#!/bin/sh
# make check: the sanitizer and compiler matrix, big-endian run, static
# analysis, constant-time and no-secret-in-logs checks. Prints one line per
# check (PASS/FAIL/SKIP name) and a closing "N passed, N failed"; details go
# to build/check/. With WXPAY_NO_SKIP=1 (CI) a missing tool is a failure.
#
#  1. unit tests (tests/unit/test_*.c, through tests/unit/run.sh when it is
#     there) + the hostile replayer + the fuzz regression/seed replays:
#       gcc and clang, -O0, -O2 and -Os, under ASan+UBSan; -O2 again with
#       WXPAY_SHA256_FAST (the one option that picks another body for
#       a function: SHA-256's block)
#       gcc and clang, -O0 and -O2, under valgrind memcheck, and -O2 with
#       WXPAY_SHA256_FAST
#  2. the strict warning set (the Makefile's WARN) with gcc and clang, -O0
#     and -O2, for each option set (default, WXPAY_STATIC,
#     WXPAY_NO_ERROR_STRINGS, WXPAY_NO_OS, WXPAY_SHA256_HW,
#     WXPAY_SHA256_FAST, empty WXPAY_ASSERT); two translation units
#     linked and run
#  3. the header as C++ (-std=c++11 -Wall -Wextra -Werror), g++ and clang++
#  4. cppcheck (tests/check/cppcheck-suppressions.txt) and clang-tidy
#     (tests/check/clang-tidy.yaml), for several option sets
#  5. big-endian: unit tests and hostile replayer for s390x, under qemu-s390x
#  6. constant time: the signature comparison and HMAC with secret bytes
#     marked undefined under valgrind (tests/check/ct_valgrind.c); an
#     early-exit comparison must be caught (negative control)
#  7. no secret in logs (tests/check/no_secret_logs.c)
# CHECK_ONLY="1 5" runs a subset of the sections.
cd "$(dirname "$0")/.." || exit 2
OUT=build/check
mkdir -p "$OUT"
LOG=$OUT/check.log
: > "$LOG"
WARN="-std=c99 -Wall -Wextra -Wpedantic -Wconversion -Wsign-conversion -Wshadow -Wstrict-prototypes -Werror"
SAN="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
VALGRIND="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite"
ONLY=${CHECK_ONLY:-"1 2 3 4 5 6 7"}
t_start=$(date +%s)

say() { echo "$*"; echo "$*" >> "$LOG"; }
have() { command -v "$1" >/dev/null 2>&1; }
want() { case " $ONLY " in *" $1 "*) return 0 ;; esac; return 1; }
skip() { say "SKIP $1: $2"; }

# Runs the unit tests, the hostile replayer and the fuzz replays with one
# compiler, flags and runner; prints one summary line per part.
# matrix LABEL CC CFLAGS RUNNER NO_HW
matrix() {
  label=$1 cc=$2 cflags=$3 runner=$4 nohw=$5
  dir=$OUT/$label
  mkdir -p "$dir"
  if [ -f tests/unit/run.sh ]; then
    CC=$cc UNIT_CFLAGS="$cflags" UNIT_OUT=$dir UNIT_RUNNER=$runner UNIT_NO_HW=$nohw \
      sh tests/unit/run.sh > "$dir/unit.txt" 2>&1
  else
    : > "$dir/unit.txt"
    for src in tests/unit/test_*.c; do
      [ -f "$src" ] || continue
      n=$(basename "$src" .c)
      # shellcheck disable=SC2086
      if $cc $WARN -Wno-unused-function $cflags -I. "$src" -o "$dir/$n" 2> "$dir/$n.err"; then
        $runner "$dir/$n" >> "$dir/unit.txt" 2>&1 || echo "FAIL $n: exited $?" >> "$dir/unit.txt"
      else
        echo "FAIL $n: does not compile" >> "$dir/unit.txt"
      fi
    done
  fi
  p=$(grep -c '^PASS ' "$dir/unit.txt")
  f=$(grep -c '^FAIL ' "$dir/unit.txt")
  if [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then
    say "SKIP unit_tests_$label: no tests/unit/test_*.c yet"
  elif [ "$f" -eq 0 ] && ! grep -qE 'ERROR: AddressSanitizer|runtime error|Invalid (read|write)|uninitialised|definitely lost' "$dir/unit.txt"; then
    say "PASS unit_tests_$label ($p tests)"
  else
    say "FAIL unit_tests_$label: $f of $((p + f)) failed, or a sanitizer/valgrind report (see $dir/unit.txt)"
    grep -E '^FAIL |ERROR: AddressSanitizer|runtime error|Invalid (read|write)' "$dir/unit.txt" | head -n 5 | sed 's/^/    /'
  fi
  # the hostile replayer
  # shellcheck disable=SC2086
  if $cc $WARN $cflags -I. tests/hostile/replay.c -o "$dir/replay" 2> "$dir/replay.err"; then
    HOSTILE_TIME_LIMIT=120 $runner "$dir/replay" cases tests/hostile/expected.txt tests/hostile/cases > "$dir/hostile.txt" 2>&1
    r1=$?
    HOSTILE_TIME_LIMIT=120 $runner "$dir/replay" generated >> "$dir/hostile.txt" 2>&1
    r2=$?
    p=$(grep -c '^PASS ' "$dir/hostile.txt")
    f=$(grep -c '^FAIL ' "$dir/hostile.txt")
    if [ $r1 = 0 ] && [ $r2 = 0 ] && [ "$f" = 0 ]; then
      say "PASS hostile_replay_$label ($p cases)"
    else
      say "FAIL hostile_replay_$label: $f failed, exit $r1/$r2 (see $dir/hostile.txt)"
      grep -E '^FAIL |ERROR: AddressSanitizer|runtime error|Invalid (read|write)' "$dir/hostile.txt" | head -n 5 | sed 's/^/    /'
    fi
  else
    say "FAIL hostile_replay_$label: does not compile (see $dir/replay.err)"
  fi
  # the fuzz targets' properties over the seed and regression corpora
  bad=""
  nfiles=0
  for t in xml parse build v3 query v3query; do
    # shellcheck disable=SC2086
    if ! $cc $WARN $cflags -I. "tests/fuzz/fuzz_$t.c" tests/fuzz/standalone.c -o "$dir/fuzz_$t" 2> "$dir/fuzz_$t.err"; then
      bad="$bad $t(compile)"
      continue
    fi
    for f in tests/fuzz/seeds/$t/* tests/fuzz/regression/$t/*; do
      [ -f "$f" ] || continue
      nfiles=$((nfiles + 1))
      $runner "$dir/fuzz_$t" "$f" > "$dir/fuzz_replay.txt" 2>&1 || bad="$bad $t/$(basename "$f")"
    done
  done
  if [ -z "$bad" ]; then
    say "PASS fuzz_corpus_replay_$label ($nfiles inputs)"
  else
    say "FAIL fuzz_corpus_replay_$label:$bad (see tests/fuzz/FINDINGS.md)"
  fi
}

# ---- 1. sanitizers and valgrind ---------------------------------------
if want 1; then
  for cc in gcc clang; do
    if ! have $cc; then skip "matrix_$cc" "$cc not installed"; continue; fi
    # -Os too: what a Cortex-M build runs, through another optimiser
    for o in O0 O2 Os; do
      matrix "${cc}_${o}_asan_ubsan" "$cc" "-$o -g $SAN" "" 0
    done
    matrix "${cc}_O2_sha256_fast_asan_ubsan" "$cc" "-O2 -g $SAN -DWXPAY_SHA256_FAST" "" 0
  done
  if have valgrind; then
    for cc in gcc clang; do
      have $cc || continue
      for o in O0 O2; do
        # DWARF 4: valgrind 3.19 cannot read clang 14's multi-unit DWARF 5
        matrix "${cc}_${o}_valgrind" "$cc" "-$o -g -gdwarf-4" "$VALGRIND" 1
      done
      matrix "${cc}_O2_sha256_fast_valgrind" "$cc" "-O2 -g -gdwarf-4 -DWXPAY_SHA256_FAST" "$VALGRIND" 1
    done
  else
    skip valgrind_memcheck "valgrind not installed (apt-get install valgrind)"
  fi
fi

# ---- 2. strict warnings, every option set --------------------------------
if want 2; then
  for cc in gcc clang; do
    have $cc || { skip "strict_warnings_$cc" "$cc not installed"; continue; }
    for opt in "" "-DWXPAY_STATIC" "-DWXPAY_NO_ERROR_STRINGS" "-DWXPAY_NO_OS" \
               "-DWXPAY_SHA256_HW" "-DWXPAY_SHA256_FAST" "-DWXPAY_ASSERT(c)=" \
               "-DWXPAY_STATIC -DWXPAY_NO_ERROR_STRINGS -DWXPAY_NO_OS"; do
      for o in O0 O2 Os; do
        name="strict_warnings_${cc}_${o}_$(echo "${opt:-default}" | tr -c 'A-Za-z0-9_\n' '_' | sed 's/^_*//;s/_*$//')"
        # shellcheck disable=SC2086
        if $cc $WARN -$o $opt -I. tests/check/compile_c.c tests/check/compile_c2.c \
             -o "$OUT/strict" > "$OUT/strict.txt" 2>&1 && "$OUT/strict" >> "$OUT/strict.txt" 2>&1; then
          say "PASS $name"
        else
          say "FAIL $name: $(head -n 3 "$OUT/strict.txt" | tr '\n' ' ')"
        fi
      done
    done
  done
fi

# ---- 3. the header as C++ ----------------------------------------------------
if want 3; then
  for cxx in g++ clang++; do
    have $cxx || { skip "cplusplus_$cxx" "$cxx not installed"; continue; }
    for opt in "" "-DWXPAY_SHA256_HW" "-DWXPAY_SHA256_FAST" "-DWXPAY_STATIC -DWXPAY_NO_ERROR_STRINGS" "-DWXPAY_NO_OS"; do
      name="cplusplus11_${cxx}_$(echo "${opt:-default}" | tr -c 'A-Za-z0-9_\n' '_' | sed 's/^_*//;s/_*$//')"
      name=$(echo "$name" | sed 's/+/p/g')
      # shellcheck disable=SC2086
      if $cxx -std=c++11 -Wall -Wextra -Werror -O2 $opt -I. tests/check/compile_cpp.cpp \
           -o "$OUT/cpp" > "$OUT/cpp.txt" 2>&1 && "$OUT/cpp" >> "$OUT/cpp.txt" 2>&1; then
        say "PASS $name"
      else
        say "FAIL $name: $(head -n 3 "$OUT/cpp.txt" | tr '\n' ' ')"
      fi
    done
  done
fi

# ---- 4. static analysis -------------------------------------------------------
if want 4; then
  if have cppcheck; then
    for opt in "" "-DWXPAY_NO_OS" "-DWXPAY_STATIC -DWXPAY_NO_ERROR_STRINGS" "-DWXPAY_SHA256_HW" "-DWXPAY_SHA256_FAST"; do
      name="cppcheck_clean_$(echo "${opt:-default}" | tr -c 'A-Za-z0-9_\n' '_' | sed 's/^_*//;s/_*$//')"
      # shellcheck disable=SC2086
      if cppcheck --std=c99 --enable=warning,style,performance,portability --inline-suppr \
           --suppressions-list=tests/check/cppcheck-suppressions.txt --error-exitcode=1 -q \
           -I. -D__linux__ -D__GNUC__ -D__x86_64__ $opt tests/check/compile_c.c tests/check/compile_c2.c \
           > "$OUT/cppcheck.txt" 2>&1; then
        say "PASS $name"
      else
        say "FAIL $name: $(grep -E 'error|warning|style|performance|portability' "$OUT/cppcheck.txt" | head -n 3 | tr '\n' ' ')"
      fi
    done
  else
    skip cppcheck "cppcheck not installed"
  fi
  if have clang-tidy; then
    for opt in "" "-DWXPAY_NO_OS" "-DWXPAY_STATIC -DWXPAY_NO_ERROR_STRINGS" "-DWXPAY_SHA256_HW" "-DWXPAY_SHA256_FAST"; do
      name="clang_tidy_clean_$(echo "${opt:-default}" | tr -c 'A-Za-z0-9_\n' '_' | sed 's/^_*//;s/_*$//')"
      # shellcheck disable=SC2086
      if clang-tidy --quiet --config-file=tests/check/clang-tidy.yaml \
           tests/check/compile_c.c tests/check/compile_c2.c -- -std=c99 -I. $opt \
           > "$OUT/tidy.txt" 2>&1; then
        say "PASS $name"
      else
        say "FAIL $name: $(grep -E 'error:|warning:' "$OUT/tidy.txt" | head -n 3 | tr '\n' ' ')"
      fi
    done
    if clang-tidy --quiet --config-file=tests/check/clang-tidy.yaml tests/check/compile_cpp.cpp \
         -- -std=c++11 -I. > "$OUT/tidy.txt" 2>&1; then
      say "PASS clang_tidy_clean_cplusplus"
    else
      say "FAIL clang_tidy_clean_cplusplus: $(grep -E 'error:|warning:' "$OUT/tidy.txt" | head -n 3 | tr '\n' ' ')"
    fi
  else
    skip clang_tidy "clang-tidy not installed"
  fi
fi

# ---- 5. big-endian ---------------------------------------------------------------
if want 5; then
  BE_CC=${BE_CC:-s390x-linux-gnu-gcc}
  BE_RUN=${BE_RUN:-qemu-s390x}
  if have "$BE_CC" && have "$BE_RUN"; then
    printf '#include <stdio.h>\n#include <stdint.h>\nint main(void){uint32_t x=0x01020304u;unsigned char *p=(unsigned char*)&x;printf("%%s\\n",p[0]==1?"big":"little");return p[0]==1?0:1;}\n' > "$OUT/endian.c"
    if $BE_CC -static "$OUT/endian.c" -o "$OUT/endian" 2>/dev/null && [ "$($BE_RUN "$OUT/endian")" = big ]; then
      say "PASS big_endian_target_is_big_endian ($BE_CC under $BE_RUN)"
      matrix "s390x_O2_qemu" "$BE_CC" "-O2 -g -static" "$BE_RUN" 1
    else
      say "FAIL big_endian_target_is_big_endian: $BE_CC/$BE_RUN did not report big-endian"
    fi
  else
    skip big_endian "needs $BE_CC and $BE_RUN (apt-get install gcc-s390x-linux-gnu libc6-dev-s390x-cross qemu-user)"
  fi
fi

# ---- 6. constant time ---------------------------------------------------------
if want 6; then
  if have valgrind && [ -f /usr/include/valgrind/memcheck.h ]; then
    for cc in gcc clang; do
      have $cc || continue
      for o in O0 O2; do
        b=$OUT/ct_${cc}_$o
        if ! $cc -std=c99 -$o -g -gdwarf-4 -I. tests/check/ct_valgrind.c -o "$b" 2> "$b.err"; then
          say "FAIL constant_time_${cc}_${o}: does not compile"
          continue
        fi
        for m in compare hmac; do
          if valgrind -q --error-exitcode=99 "$b" $m > "$b.$m.txt" 2>&1; then
            say "PASS constant_time_${m}_no_branch_on_secret_${cc}_${o}"
          else
            say "FAIL constant_time_${m}_no_branch_on_secret_${cc}_${o}: $(grep -m1 -A2 'depends on uninitialised\|uninitialised value' "$b.$m.txt" | tr '\n' ' ')"
          fi
        done
        valgrind -q --error-exitcode=99 "$b" leaky > "$b.leaky.txt" 2>&1
        if [ $? = 99 ] && grep -q 'depends on uninitialised' "$b.leaky.txt"; then
          say "PASS constant_time_checker_catches_early_exit_compare_${cc}_${o}"
        else
          say "FAIL constant_time_checker_catches_early_exit_compare_${cc}_${o}: the negative control was not reported"
        fi
      done
    done
  else
    skip constant_time "needs valgrind and valgrind/memcheck.h"
  fi
fi

# ---- 7. no secret in logs -------------------------------------------------------
if want 7; then
  cc=gcc
  have $cc || cc=clang
  flags="-O1 -g"
  printf 'int main(void){return 0;}\n' > "$OUT/probe.c"
  # shellcheck disable=SC2086
  $cc $SAN "$OUT/probe.c" -o "$OUT/probe" >/dev/null 2>&1 && flags="$flags $SAN"
  # shellcheck disable=SC2086
  if $cc $WARN $flags -I. tests/check/no_secret_logs.c -o "$OUT/no_secret_logs" 2> "$OUT/nsl.err"; then
    "$OUT/no_secret_logs" > "$OUT/nsl.txt" 2>&1
    grep -E '^(PASS|FAIL|SKIP) ' "$OUT/nsl.txt" | while read -r line; do say "$line"; done
    grep -qE '^PASS no_key_in_log_callback' "$OUT/nsl.txt" || say "FAIL no_secret_in_logs: the test did not finish (see $OUT/nsl.txt)"
  else
    say "FAIL no_secret_in_logs: does not compile (see $OUT/nsl.err)"
  fi
fi

passed=$(grep -c '^PASS ' "$LOG")
failed=$(grep -c '^FAIL ' "$LOG")
skipped=$(grep -c '^SKIP ' "$LOG")
if [ "$skipped" -gt 0 ] && [ "${WXPAY_NO_SKIP:-0}" = 1 ]; then
  echo "!!! WXPAY_NO_SKIP=1: every skip counts as a failure"
  failed=$((failed + skipped)); skipped=0
fi
echo
echo "make check: $passed passed, $failed failed$([ "$skipped" -gt 0 ] && echo ", $skipped skipped") in $(( $(date +%s) - t_start )) s"
[ "$failed" -eq 0 ]
