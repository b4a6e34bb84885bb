#!/bin/sh
# make fuzz: build the libFuzzer targets (clang, ASan + UBSan) and run each
# for FUZZ_SECONDS (default 60).
#
#   FUZZ_SECONDS=600 make fuzz          longer runs
#   FUZZ_TARGETS="parse xml" make fuzz  a subset (default: xml parse build v3 query v3query)
#   FUZZ_PARALLEL=1 make fuzz           all targets at once (one core each)
#   FUZZ_ARGS="-max_len=65536" ...      extra libFuzzer flags
#   FUZZ_OPT=-Os make fuzz              built as a Cortex-M build is (default -O1)
#   sh tests/fuzz/run.sh --build-only   just build build/fuzz/fuzz_<target>
#
# Before fuzzing, every file of tests/fuzz/regression/<target>/ is replayed;
# the ones that pass join the run's corpus. The working corpus lives in
# build/fuzz/corpus/<target>/ (git-ignored) so it grows across runs; the
# committed seeds are tests/fuzz/seeds/<target>/. A crash, leak, timeout or
# out-of-memory input is copied to tests/fuzz/regression/<target>/, which
# `make test` replays (tests/hostile/run.sh) until the bug is fixed.
# Prints PASS/FAIL lines and the exec count of each target.
cd "$(dirname "$0")/../.." || exit 2
SECS=${FUZZ_SECONDS:-60}
TARGETS=${FUZZ_TARGETS:-"xml parse build v3 query v3query"}
CC_FUZZ=${CC_FUZZ:-clang}
# The header has one code path; -Os only changes how the compiler builds
# it (FUZZ_OPT=-Os); FUZZ_CFLAGS=-DWXPAY_SHA256_FAST fuzzes the unrolled
# SHA-256 block.
FUZZ_OPT=${FUZZ_OPT:--O1}
FUZZ_CFLAGS=${FUZZ_CFLAGS:-}
OUT=build/fuzz
WARN="-std=c99 -Wall -Wextra -Wpedantic -Wconversion -Wsign-conversion -Wshadow -Wstrict-prototypes -Werror"
mkdir -p "$OUT"
fails=0

if ! command -v "$CC_FUZZ" >/dev/null 2>&1; then
  echo "SKIP fuzz: $CC_FUZZ not found (apt-get install clang libclang-rt-14-dev)"
  exit 0
fi

for t in $TARGETS; do
  # shellcheck disable=SC2086
  if ! $CC_FUZZ -g $FUZZ_OPT $FUZZ_CFLAGS -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
      $WARN -I. "tests/fuzz/fuzz_$t.c" -o "$OUT/fuzz_$t" 2> "$OUT/build_$t.log"; then
    cat "$OUT/build_$t.log"
    echo "FAIL fuzz_${t}_builds: see $OUT/build_$t.log"
    fails=$((fails + 1))
  fi
done
[ "$1" = "--build-only" ] && exit $fails

run_one() { # target -> writes $OUT/result_$t
  t=$1
  reg=tests/fuzz/regression/$t
  corpus=$OUT/corpus/$t
  passing=$OUT/regression_ok/$t
  art=$OUT/artifacts/$t
  res=$OUT/result_$t
  : > "$res"
  rm -rf "$passing" "$art"
  mkdir -p "$corpus" "$passing" "$art" "$reg"
  for f in "$reg"/*; do
    [ -f "$f" ] || continue
    if "$OUT/fuzz_$t" "$f" > "$OUT/replay_$t.log" 2>&1; then
      cp "$f" "$passing/"
    else
      echo "FAIL fuzz_${t}_regression_$(basename "$f"): still fails (see tests/fuzz/FINDINGS.md)" >> "$res"
    fi
  done
  # shellcheck disable=SC2086
  "$OUT/fuzz_$t" -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 \
      -dict=tests/fuzz/wxpay.dict -print_final_stats=1 -artifact_prefix="$art/" \
      ${FUZZ_ARGS:-} "$corpus" "tests/fuzz/seeds/$t" "$passing" > "$OUT/log_$t.txt" 2>&1
  rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$OUT/log_$t.txt" | tail -n 1)
  cov=$(grep -E '^#[0-9]+' "$OUT/log_$t.txt" | tail -n 1 | sed -n 's/.*cov: \([0-9]*\) ft: \([0-9]*\) corp: \([0-9]*\).*/cov \1, features \2, corpus \3/p')
  found=0
  for a in "$art"/*; do
    [ -f "$a" ] || continue
    found=1
    name=$(basename "$a")
    cp "$a" "$reg/$name"
    echo "FAIL fuzz_${t}: found $name, kept as $reg/$name (reproduce: $OUT/fuzz_$t $reg/$name)" >> "$res"
    grep -E 'PROPERTY VIOLATED|ERROR: (Address|Undefined|libFuzzer)|runtime error' "$OUT/log_$t.txt" | head -n 3 | sed 's/^/    /' >> "$res"
  done
  if [ $found = 0 ] && [ $rc != 0 ]; then
    echo "FAIL fuzz_${t}: libFuzzer exited $rc (see $OUT/log_$t.txt)" >> "$res"
  elif [ $found = 0 ]; then
    echo "PASS fuzz_${t}_${SECS}s: ${execs:-?} execs, $cov, no crash" >> "$res"
  fi
  echo "     fuzz_$t: ${execs:-?} executions in ${SECS}s ($cov)" >> "$res"
}

if [ "${FUZZ_PARALLEL:-0}" = 1 ]; then
  for t in $TARGETS; do [ -x "$OUT/fuzz_$t" ] && run_one "$t" & done
  wait
else
  for t in $TARGETS; do [ -x "$OUT/fuzz_$t" ] && run_one "$t"; done
fi
for t in $TARGETS; do
  [ -f "$OUT/result_$t" ] || continue
  cat "$OUT/result_$t"
  n=$(grep -c '^FAIL ' "$OUT/result_$t")
  fails=$((fails + n))
done
[ "$fails" -eq 0 ]
