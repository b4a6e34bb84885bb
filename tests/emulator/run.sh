#!/bin/sh
# The emulator suite: the Python reference's known answers, then the emulator
# over real HTTP/HTTPS on loopback. Prints PASS/FAIL/SKIP lines.
cd "$(dirname "$0")/../.." || exit 2
if ! command -v python3 >/dev/null 2>&1; then
  echo "SKIP emulator_suite: python3 not found"
  exit 0
fi
mkdir -p build/emulator
work=$(mktemp -d build/emulator/run.XXXXXX) || exit 2
trap 'rm -rf "$work"' EXIT
trap 'exit 1' INT TERM HUP
certs=
if ! command -v openssl >/dev/null 2>&1; then
  echo "SKIP emulator_test_pki: no openssl command (apt-get install openssl); HTTPS tests skip"
elif sh tests/emulator/mkcerts.sh "$work/certs" 2>"$work/mkcerts.err"; then
  certs=$work/certs
else
  echo "FAIL emulator_test_pki: mkcerts.sh failed: $(tr '\n' ' ' < "$work/mkcerts.err")"
fi
# The suites start and stop their own emulators (each also exits by itself
# after 120 s, so nothing outlives a killed run for long).
export PYTHONDONTWRITEBYTECODE=1
rc=0
python3 tests/emulator/test_emulator.py "$certs" || rc=1
# APIv3: the keys of mkcerts.sh, both RSA back-ends of the emulator
python3 tests/emulator/test_emulator_v3.py "$certs" || rc=1
exit $rc
