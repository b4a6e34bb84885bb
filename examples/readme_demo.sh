#!/bin/sh
# make readme-demo -- the README's "A complete program", as a reader would
# try it: cut the block out of README.md, build it with libcurl, start the
# bundled emulator (tests/emulator/) on a free loopback port, run the
# program twice against it (closed, then already closed) with the
# emulator's key and endpoint in WXPAY_API_KEY and WXPAY_ENDPOINT, and stop
# the emulator. Prints each command, so the run is the recipe.
# Needs a C99 compiler, libcurl's development files and python3.
# tests/packaging/run.sh runs it and checks what the program printed.
set -u
cd "$(dirname "$0")/.." || exit 1
CC=${CC:-cc}
out=build/readme-demo
mkdir -p "$out" || exit 1

# the block after the marker line, as tests/cli/run.sh cuts it
awk -v m="readme_example -->" 'index($0, m) {f = 1; next} f && /^```c/ {next} f && /^```/ {exit} f' \
  README.md > "$out/close.c"
if ! grep -q 'int main' "$out/close.c"; then
  echo "readme-demo: no program after the 'readme_example -->' marker in README.md" >&2
  exit 1
fi
curl_flags=$(pkg-config --cflags --libs libcurl 2>/dev/null || echo -lcurl)
echo "\$ $CC -std=c99 -I. $out/close.c -o $out/close $curl_flags"
# shellcheck disable=SC2086 # $curl_flags is a list of flags
if ! $CC -std=c99 -Wall -Wextra -Wpedantic -I. "$out/close.c" -o "$out/close" $curl_flags; then
  echo "readme-demo: the program did not build: it needs libcurl's development files (Debian: libcurl4-openssl-dev)" >&2
  exit 1
fi
if ! command -v python3 > /dev/null 2>&1; then
  echo "readme-demo: python3 is needed for the local emulator" >&2
  exit 1
fi

# a private scratch directory for the port file: two runs never meet.
# --lifetime: the emulator goes away even if this script is killed hard.
dir=$(mktemp -d "${TMPDIR:-/tmp}/wxpay-readme.XXXXXX") || exit 1
echo "\$ python3 tests/emulator/emulator.py --port-file $dir/ports.json &    # free port; --http-port N to choose one"
. examples/emulator.sh
emulator_start readme-demo 120
echo "$(cat "$dir/ports.json")    # the emulator, listening on 127.0.0.1:$port"

# the emulator's default merchant 1900000109 (tests/emulator/default_state.json):
# its key is the public sample key of WeChat Pay's documentation, not a
# secret; the README's order 1217752501201407033233368018 is open there
WXPAY_API_KEY=192006250b4c09247ec02edce69f6a2d
WXPAY_ENDPOINT=http://127.0.0.1:$port/pay/closecombinedorder
export WXPAY_API_KEY WXPAY_ENDPOINT
status=0
for want in closed "already closed"; do
  echo "\$ WXPAY_API_KEY=$WXPAY_API_KEY WXPAY_ENDPOINT=$WXPAY_ENDPOINT $out/close"
  got=$("$out/close")
  rc=$?
  echo "$got"
  echo "(exit $rc)"
  if [ "$rc" -ne 0 ] || [ "$got" != "$want" ]; then
    echo "readme-demo: expected \"$want\" and exit 0" >&2
    status=1
  fi
done
stop_emulator
echo "emulator stopped"
exit "$status"
