#!/bin/sh
# Cross-check suite: wxpay_close.h against independent implementations
# (a Python reference written from SPEC.md, tests/emulator/wxpay_ref.py,
# hashlib/hmac, the openssl command line, and the WeChat Pay Node SDK).
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
rm -f "$out/failures.txt"
python3 tests/crosscheck/check.py "$@" | tee "$out/results.txt"
! grep -q '^FAIL ' "$out/results.txt"
