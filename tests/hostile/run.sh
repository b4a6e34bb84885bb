#!/bin/sh
# Hostile-input suite (run by `make test` through tests/run.sh).
#
#  1. tests/hostile/cases/*.xml with the verdicts of tests/hostile/expected.txt
#     (XXE, entities, DOCTYPE everywhere, unterminated constructs, NUL, bad
#     UTF-8, BOM, CRLF, attributes, namespaces, nesting, duplicates, bad
#     signatures, the empty body); regenerate with make_cases.py.
#  2. The generated cases of replay.c: a body cut at every byte offset,
#     10,000 fields, 1 MiB values, deep nesting, hostile transport answers.
#  3. The fuzz regression corpus (tests/fuzz/regression/<target>/, one test
#     per file) and the seed corpus, through the fuzz targets' own property
#     checks, built with tests/fuzz/standalone.c instead of libFuzzer.
#
# Everything is built with AddressSanitizer + UndefinedBehaviorSanitizer when
# the compiler has them (a read past an input buffer is then a failure), else
# run under valgrind; with neither, the bounds test is a SKIP.
# CC (default cc), HOSTILE_TIME_LIMIT (seconds per generated case, default 5).
cd "$(dirname "$0")/../.." || exit 2
CC=${CC:-cc}
OUT=build/hostile
WARN="-std=c99 -Wall -Wextra -Wpedantic -Wconversion -Wsign-conversion -Wshadow -Wstrict-prototypes -Werror"
mkdir -p "$OUT"
fails=0

SAN="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
printf 'int main(void){return 0;}\n' > "$OUT/probe.c"
RUNNER=""
if $CC $SAN "$OUT/probe.c" -o "$OUT/probe" >/dev/null 2>&1 && "$OUT/probe"; then
  echo "PASS hostile_bounds_checked_by_asan_ubsan"
elif command -v valgrind >/dev/null 2>&1; then
  SAN=""
  RUNNER="valgrind -q --error-exitcode=99 --leak-check=no"
  HOSTILE_TIME_LIMIT=${HOSTILE_TIME_LIMIT:-120}
  export HOSTILE_TIME_LIMIT
  echo "PASS hostile_bounds_checked_by_valgrind"
else
  SAN=""
  echo "SKIP hostile_bounds_checked: no sanitizer in $CC and no valgrind (apt-get install valgrind)"
fi

build() { # out sources...
  o=$1; shift
  # shellcheck disable=SC2086
  if ! $CC $WARN -O1 -g $SAN -I. "$@" -o "$o" 2> "$o.log"; then
    cat "$o.log"
    return 1
  fi
}

# Runs the replayer; one that stops early (a property's abort, a sanitizer)
# prints no FAIL line of its own, so this prints one: tests/run.sh counts
# FAIL lines, not exit statuses.
replay() { # what args...
  what=$1
  shift
  $RUNNER "$OUT/replay" "$@" > "$OUT/$what.out" 2>&1
  rc=$?
  cat "$OUT/$what.out"
  [ "$rc" -eq 0 ] && return
  fails=$((fails + 1))
  if ! grep -q '^FAIL ' "$OUT/$what.out"; then
    why=$(grep -m1 -E 'PROPERTY VIOLATED|ERROR: AddressSanitizer|runtime error|Invalid (read|write)' "$OUT/$what.out")
    echo "FAIL hostile_${what}_replay_runs_to_the_end: exit status $rc${why:+: $why}"
  fi
}

if build "$OUT/replay" tests/hostile/replay.c; then
  echo "PASS hostile_replayer_builds"
  replay cases cases tests/hostile/expected.txt tests/hostile/cases
  replay generated generated
else
  echo "FAIL hostile_replayer_builds: see $OUT/replay.log"
  fails=$((fails + 1))
fi

for t in xml parse build v3 query v3query; do
  if ! build "$OUT/replay_$t" "tests/fuzz/fuzz_$t.c" tests/fuzz/standalone.c; then
    echo "FAIL fuzz_${t}_replayer_builds: see $OUT/replay_$t.log"
    fails=$((fails + 1))
    continue
  fi
  n=0
  for f in tests/fuzz/regression/$t/*; do
    [ -f "$f" ] || continue
    name=fuzz_regression_${t}_$(basename "$f" | tr -c 'A-Za-z0-9_\n-' '_')
    if $RUNNER "$OUT/replay_$t" "$f" > "$OUT/regression.out" 2>&1; then
      echo "PASS $name"
    else
      why=$(grep -E 'PROPERTY VIOLATED|ERROR: AddressSanitizer|runtime error|Invalid (read|write)' "$OUT/regression.out" | head -n 1)
      echo "FAIL $name: ${why:-exit status non-zero} (tests/fuzz/FINDINGS.md)"
      fails=$((fails + 1))
    fi
    n=$((n + 1))
  done
  seeds=$(ls tests/fuzz/seeds/$t 2>/dev/null | wc -l)
  # shellcheck disable=SC2046
  if $RUNNER "$OUT/replay_$t" $(ls -d tests/fuzz/seeds/$t/* 2>/dev/null) > "$OUT/seeds.out" 2>&1; then
    echo "PASS fuzz_seeds_${t}_hold_every_property ($seeds files)"
  else
    why=$(grep -E 'PROPERTY VIOLATED|ERROR: AddressSanitizer|runtime error' "$OUT/seeds.out" | head -n 1)
    echo "FAIL fuzz_seeds_${t}_hold_every_property: ${why:-non-zero exit}"
    fails=$((fails + 1))
  fi
done
[ "$fails" -eq 0 ]
