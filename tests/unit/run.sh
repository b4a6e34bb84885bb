#!/bin/sh
# Unit tests: each tests/unit/test_*.c is a program printing PASS/FAIL lines.
# CC and UNIT_CFLAGS may be overridden (make check runs this under sanitizers).
cd "$(dirname "$0")/../.." || exit 2
CC=${CC:-cc}
UNIT_CFLAGS=${UNIT_CFLAGS:--O2 -g}
out=${UNIT_OUT:-build/unit}
mkdir -p "$out"
for src in tests/unit/test_*.c; do
  name=$(basename "$src" .c)
  if ! $CC -std=c99 -Wall -Wextra -Wpedantic -Wconversion -Wsign-conversion -Wshadow \
       -Wstrict-prototypes -Werror -Wno-unused-function $UNIT_CFLAGS -I. "$src" -o "$out/$name" 2> "$out/$name.err"; then
    echo "FAIL $name: does not compile: $(head -c 600 "$out/$name.err")"
    continue
  fi
  ${UNIT_RUNNER:-} "$out/$name" || echo "FAIL $name: exited with status $?"
done
