#!/bin/sh
# Runs every test suite and prints one closing line: "N passed, N failed".
# A suite is a script that prints lines starting with "PASS ", "FAIL " or
# "SKIP " (one per test). With WXPAY_NO_SKIP=1 (CI) a skip counts as a failure.
cd "$(dirname "$0")/.." || exit 2
mkdir -p build
log=build/test.log
: > "$log"
suites="tests/unit/run.sh tests/crosscheck/run.sh tests/emulator/run.sh tests/adapters/run.sh tests/cli/run.sh tests/hostile/run.sh tests/mbedtls36/run.sh tests/windows/run.sh tests/packaging/run.sh"
for s in $suites; do
  if [ ! -f "$s" ]; then continue; fi
  echo "== $s"
  if ! sh "$s" > build/suite.out 2>&1; then
    grep -Eq '^(PASS|FAIL|SKIP) ' build/suite.out || echo "FAIL $s: exited non-zero with no results" >> build/suite.out
  fi
  grep -Eq '^(PASS|FAIL|SKIP) ' build/suite.out || echo "FAIL $s: printed no results" >> build/suite.out
  cat build/suite.out
  cat build/suite.out >> "$log"
done
passed=$(grep -c '^PASS ' "$log")
failed=$(grep -c '^FAIL ' "$log")
skipped=$(grep -c '^SKIP ' "$log")
if [ "$skipped" -gt 0 ]; then
  echo
  echo "!!! SKIPPED $skipped test(s) -- install the optional packages to run them:"
  grep '^SKIP ' "$log" | sed 's/^/!!!   /'
  if [ "${WXPAY_NO_SKIP:-0}" = 1 ]; then
    echo "!!! WXPAY_NO_SKIP=1: every skip counts as a failure"
    failed=$((failed + skipped)); skipped=0
  fi
fi
echo
if [ "$skipped" -gt 0 ]; then
  echo "$passed passed, $failed failed, $skipped skipped"
else
  echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
