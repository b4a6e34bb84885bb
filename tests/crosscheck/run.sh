#!/bin/sh
# Cross-check suite: wxpay_close.h against independent implementations
# (a Python reference written from the public pages, tests/emulator/wxpay_ref.py,
# hashlib/hmac, the openssl command line, and the WeChat Pay Node SDK).
# APIv2: check.py with driver.c. APIv3: check_v3.py with v3driver.c (the
# header and the OpenSSL adapter; keys made with the openssl command). The
# combined-order queries of both APIs: check_query.py with both drivers.
#
#   sh tests/crosscheck/run.sh
#
# Environment:
#   CROSSCHECK_SEED=N     another seed for the generated cases (default fixed,
#                         so a failure reproduces; the seed is printed)
#   CROSSCHECK_SCALE=X    multiply the case counts (e.g. 10 for a long run)
#   CROSSCHECK_NO_NPM=1   do not install the Node SDK (its checks SKIP)
#   CC                    the C compiler (default cc)
#
# The APIv3 checks need OpenSSL's libcrypto (headers and library) and the
# openssl command; without them they print SKIP lines saying so.
#
# Prints PASS/FAIL/SKIP lines (tests/CONVENTIONS.md). Build output, the npm
# install (build/crosscheck/node, never committed) and a full list of
# disagreements (build/crosscheck/failures.txt) go to build/crosscheck/.
cd "$(dirname "$0")/../.." || exit 2
out=build/crosscheck
mkdir -p "$out"
CC=${CC:-cc}

# ---- the C driver ----
if ! $CC -std=c99 -Wall -Wextra -Wpedantic -Wconversion -Werror -I. -O1 -g \
    -o "$out/driver" tests/crosscheck/driver.c 2> "$out/driver.log"; then
  echo "FAIL crosscheck_driver_builds: $CC failed: $(head -c 600 "$out/driver.log" | tr '\n' ' ')"
  exit 1
fi

if ! command -v python3 > /dev/null 2>&1; then
  echo "FAIL crosscheck_needs_python3: python3 not found"
  exit 1
fi

# ---- the Node SDK oracle: installed into build/, never committed ----
SDK=wechatpay-axios-plugin
SDK_VERSION=0.9.6
node_dir=$out/node
node_modules=$node_dir/node_modules
node_skip=
installed_version() {
  node -e "process.stdout.write(require(process.argv[1]).version)" \
    "$PWD/$node_modules/$SDK/package.json" 2> /dev/null
}
if [ "${CROSSCHECK_NO_NPM:-0}" = 1 ]; then
  node_skip="CROSSCHECK_NO_NPM=1"
elif ! command -v node > /dev/null 2>&1; then
  node_skip="no node command (apt-get install nodejs npm)"
elif [ "$(installed_version)" != "$SDK_VERSION" ]; then
  if ! command -v npm > /dev/null 2>&1; then
    node_skip="no npm command (apt-get install npm)"
  else
    mkdir -p "$node_dir"
    # npm's messages name the registry's URL: they are kept in memory only
    # (no log file, --logs-max=0) and only the error code is shown
    npm_out=$(timeout 180 npm install --no-save --no-package-lock --no-audit --no-fund \
        --logs-max=0 --prefix "$node_dir" "$SDK@$SDK_VERSION" 2>&1)
    npm_rc=$?
    if [ "$npm_rc" -ne 0 ] || [ "$(installed_version)" != "$SDK_VERSION" ]; then
      why=$(printf '%s\n' "$npm_out" | grep -m1 -E '^npm (error|ERR!) code ' |
            sed -e 's/^npm [^ ]* code //' -e 's#[A-Za-z0-9+.-]*://[^ ]*#<url>#g' | head -c 80)
      [ "$npm_rc" -eq 124 ] && why="timed out after 180 s"
      node_skip="npm install $SDK@$SDK_VERSION failed (exit $npm_rc${why:+: $why}; registry unreachable?)"
    fi
    unset npm_out
  fi
fi
# npm keeps a hidden lock file inside node_modules; lock files record where
# packages came from, and this tree must not hold one
rm -f "$node_modules/.package-lock.json" "$node_dir/package-lock.json"

set -- --driver "$out/driver" --failures "$out/failures.txt"
if [ -n "$node_skip" ]; then
  set -- "$@" --node-skip "$node_skip"
else
  set -- "$@" --node-modules "$PWD/$node_modules"
fi
rm -f "$out/failures.txt" "$out/failures-v3.txt" "$out/failures-query.txt"
python3 tests/crosscheck/check.py "$@" | tee "$out/results.txt"

# ---- APIv3: the C driver links the OpenSSL adapter ----
v3_skip=
if ! command -v openssl > /dev/null 2>&1; then
  v3_skip="no openssl command (apt-get install openssl)"
else
  crypto_cflags=$(pkg-config --cflags libcrypto 2> /dev/null)
  crypto_libs=$(pkg-config --libs libcrypto 2> /dev/null || echo -lcrypto)
  # shellcheck disable=SC2086  # the flags split into arguments on purpose
  if ! $CC -std=c99 -Wall -Wextra -Wpedantic -Wconversion -Wsign-conversion -Wshadow -Werror -I. \
      -O1 -g $crypto_cflags -o "$out/v3driver" tests/crosscheck/v3driver.c $crypto_libs \
      2> "$out/v3driver.log"; then
    if printf '#include <openssl/evp.h>\nint main(void) { return 0; }\n' |
        $CC -x c $crypto_cflags - -o /dev/null $crypto_libs > /dev/null 2>&1; then
      echo "FAIL crosscheck_v3_driver_builds: $CC failed: $(head -c 600 "$out/v3driver.log" | tr '\n' ' ')" |
        tee -a "$out/results.txt"
    else
      v3_skip="OpenSSL's libcrypto not installed (apt-get install libssl-dev)"
    fi
  fi
fi
if [ -n "$v3_skip" ]; then
  for n in v3_build_matches_python_reference_node_sdk_and_openssl v3_parse_accepts_signed_answers; do
    echo "SKIP $n: $v3_skip" | tee -a "$out/results.txt"
  done
elif [ -x "$out/v3driver" ]; then
  shift 4  # --driver and --failures of check.py; the Node arguments stay
  python3 tests/crosscheck/check_v3.py --driver "$out/v3driver" --keys "$out/v3keys" \
    --failures "$out/failures-v3.txt" "$@" | tee -a "$out/results.txt"
fi
# ---- the queries (issue 13): APIv2 with driver.c, APIv3 with v3driver.c ----
set -- --driver "$out/driver" --failures "$out/failures-query.txt"
if [ -n "$node_skip" ]; then
  set -- "$@" --node-skip "$node_skip"
else
  set -- "$@" --node-modules "$PWD/$node_modules"
fi
if [ -n "$v3_skip" ]; then
  set -- "$@" --v3-skip "$v3_skip"
elif [ -x "$out/v3driver" ]; then
  set -- "$@" --v3driver "$out/v3driver" --keys "$out/v3keys"
else
  set -- "$@" --v3-skip "the APIv3 driver did not build (see crosscheck_v3_driver_builds)"
fi
python3 tests/crosscheck/check_query.py "$@" | tee -a "$out/results.txt"
! grep -q '^FAIL ' "$out/results.txt"
