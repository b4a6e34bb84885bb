#!/bin/sh
# Unit tests: each tests/unit/test_*.c is a program printing PASS/FAIL lines.
# CC and UNIT_CFLAGS may be overridden (make check runs this under sanitizers).
cd "$(dirname "$0")/../.." || exit 2
CC=${CC:-cc}
UNIT_CFLAGS=${UNIT_CFLAGS:--O2 -g}
out=${UNIT_OUT:-build/unit}
mkdir -p "$out"
build_and_run() { # src name extra-flags...
  src=$1 name=$2
  shift 2
  if ! $CC -std=c99 -Wall -Wextra -Wpedantic -Wconversion -Wsign-conversion -Wshadow \
       -Wstrict-prototypes -Werror -Wno-unused-function $UNIT_CFLAGS "$@" -I. "$src" -o "$out/$name" 2> "$out/$name.err"; then
    echo "FAIL $name: does not compile: $(head -c 600 "$out/$name.err")"
    return
  fi
  ${UNIT_RUNNER:-} "$out/$name" || echo "FAIL $name: exited with status $?"
}
for src in tests/unit/test_*.c; do
  build_and_run "$src" "$(basename "$src" .c)"
done
# the hardware SHA-256 path, where this machine has one (else a SKIP line)
if [ "${UNIT_NO_HW:-0}" != 1 ]; then
  hwflags=
  # clang 14 has no run-time check for the SHA extensions: build for them
  # when this CPU has them
  if $CC --version 2>/dev/null | grep -q clang && grep -qw sha_ni /proc/cpuinfo 2>/dev/null; then
    hwflags="-msha -msse4.1"
  fi
  build_and_run tests/unit/test_crypto.c test_crypto_hw -DWXPAY_SHA256_HW '-DT_SUFFIX="[sha-hw]"' $hwflags
fi
