#!/bin/sh
# tests/packaging/run.sh -- the package manifests at the repository root, as
# far as they can be checked without their tools (none of ESP-IDF, Zephyr,
# PlatformIO is installed here):
# - check.py: library.json, idf_component.yml, zephyr/module.yml and
#   zephyr/Kconfig parsed strictly, fields known to each tool, versions equal
#   to WXPAY_VERSION, listed files present;
# - CMake with stand-ins for the two build systems' functions: the root
#   CMakeLists.txt registers a header-only ESP-IDF component when
#   ESP_PLATFORM is set (and defines nothing else), zephyr/CMakeLists.txt
#   puts the header's directory on Zephyr's include path only with
#   CONFIG_WXPAY_CLOSE=y; and the non-IDF path still builds the CMake
#   consumer project (tests/cli/consumer/cmake).
# One line per test (tests/CONVENTIONS.md). Build output in build/packaging/.
cd "$(dirname "$0")/../.." || exit 2
ROOT=$(pwd)
B=build/packaging
T=tests/packaging
mkdir -p "$B"
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }
skip() { echo "SKIP $1: $2"; }
peek() { tail -c 400 "$1" 2>/dev/null | tr '\n' ' '; }

if command -v python3 > /dev/null 2>&1; then
  python3 $T/check.py "$ROOT" || true
else skip packaging_manifests "python3 not installed"; fi

# adapters/wxpay_http.h as its doc block and the README's adapter table say:
# the header part is plain C99; the implementation wants POSIX.1-2001 and,
# under a strict -std=c99 without _POSIX_C_SOURCE, stops at one #error that
# names the define (not a cascade of implicit declarations)
CC=${CC:-cc}
STRICT="-std=c99 -pedantic -Werror -Wall -I."
printf '#include "adapters/wxpay_http.h"\n' > "$B/http_decl.c"
printf '#define WXPAY_CLOSE_IMPLEMENTATION\n#include "wxpay_close.h"\n#define WXPAY_HTTP_IMPLEMENTATION\n#include "adapters/wxpay_http.h"\n' > "$B/http_impl.c"
# shellcheck disable=SC2086
if $CC $STRICT -c "$B/http_decl.c" -o "$B/http_decl.o" > "$B/http_decl.log" 2>&1 &&
   $CC $STRICT -D_POSIX_C_SOURCE=200809L -c "$B/http_decl.c" -o "$B/http_decl.o" >> "$B/http_decl.log" 2>&1; then
  pass http_adapter_declarations_compile_under_strict_c99_with_and_without_posix_c_source
else fail http_adapter_declarations_compile_under_strict_c99_with_and_without_posix_c_source "$(peek "$B/http_decl.log")"; fi
# shellcheck disable=SC2086
if $CC $STRICT -D_POSIX_C_SOURCE=200809L -c "$B/http_impl.c" -o "$B/http_impl.o" > "$B/http_posix.log" 2>&1; then
  pass http_adapter_implementation_compiles_under_strict_c99_with_posix_c_source
else fail http_adapter_implementation_compiles_under_strict_c99_with_posix_c_source "$(peek "$B/http_posix.log")"; fi
# shellcheck disable=SC2086
if $CC $STRICT -c "$B/http_impl.c" -o "$B/http_impl.o" > "$B/http_strict.log" 2>&1; then
  fail http_adapter_without_posix_c_source_stops_at_one_error_naming_it "compiled: is the check still needed on this C library? (see wxpay_http.h)"
elif [ "$(grep -c ' error: ' "$B/http_strict.log")" = 1 ] &&
     grep -q '#error.*#define _POSIX_C_SOURCE 200809L before the first #include' "$B/http_strict.log"; then
  pass http_adapter_without_posix_c_source_stops_at_one_error_naming_it
else fail http_adapter_without_posix_c_source_stops_at_one_error_naming_it "$(peek "$B/http_strict.log")"; fi

# make install's files (examples/install.sh, which `make install` runs after
# building): the pkg-config file names both APIs and each adapter's library
# (pkg-config has no optional libraries), and every file the installed docs
# link to (a relative Markdown link) is installed beside them
PREFIX=$ROOT/$B/prefix
rm -rf "$PREFIX"
if sh examples/install.sh "$PREFIX" > "$B/install.log" 2>&1; then
  pc=$PREFIX/lib/pkgconfig/wxpay_close.pc
  desc=$(sed -n 's/^Description: //p' "$pc")
  case $desc in
    *APIv2*APIv3*) ;;
    *) desc_bad="no 'APIv2 and APIv3' in: $desc" ;;
  esac
  for w in query settle -lcurl -lmbedtls -lcrypto wxpay_openssl.h; do
    case $desc in *"$w"*) ;; *) desc_bad="${desc_bad:-} no '$w' in the Description" ;; esac
  done
  if command -v pkg-config > /dev/null 2>&1 &&
     ! PKG_CONFIG_PATH=$PREFIX/lib/pkgconfig pkg-config --validate wxpay_close > "$B/pc.log" 2>&1; then
    desc_bad="${desc_bad:-} pkg-config --validate: $(peek "$B/pc.log")"
  fi
  if [ -z "${desc_bad:-}" ]; then pass pkg_config_description_names_both_apis_and_every_adapter_library
  else fail pkg_config_description_names_both_apis_and_every_adapter_library "$desc_bad"; fi

  doc=$PREFIX/share/doc/wxpay_close
  dangling=
  for md in $(cd "$doc" && find . -name '*.md' | sort); do
    dir=$(dirname "$md")
    # relative link targets: ](path) or ](path#anchor), no scheme, no spaces
    # shellcheck disable=SC2013 # the targets have no spaces, by the pattern
    for t in $(grep -o '](\([A-Za-z0-9_./-]*\)\(#[A-Za-z0-9_-]*\)\{0,1\})' "$doc/$md" | sed 's/^](//; s/)$//; s/#.*//' | sort -u); do
      [ -n "$t" ] || continue
      [ -e "$doc/$dir/$t" ] || dangling="$dangling ${md#./}->$t"
    done
  done
  n=$(cat "$doc/README.md" "$doc"/*/*.md 2>/dev/null | grep -c '](examples/README.md\|](../README.md')
  if [ ! -f "$doc/README.md" ]; then fail installed_docs_link_only_to_installed_files "README.md not installed"
  elif [ "$n" -lt 2 ]; then fail installed_docs_link_only_to_installed_files "the README/examples links this test is about are gone ($n)"
  elif [ -z "$dangling" ]; then pass installed_docs_link_only_to_installed_files
  else fail installed_docs_link_only_to_installed_files "not installed:$dangling"; fi
else
  fail pkg_config_description_names_both_apis_and_every_adapter_library "$(peek "$B/install.log")"
  fail installed_docs_link_only_to_installed_files "$(peek "$B/install.log")"
fi

# make readme-demo: the README's program, cut from README.md, built and run
# against the emulator it starts (closed, then already closed); the
# emulator's port is closed again when the target returns
# shellcheck disable=SC2046 # pkg-config's answer is a list of flags
if ! printf '#include <curl/curl.h>\nint main(void) { return (int)curl_global_init(0); }\n' |
     $CC -x c - -o "$B/curl_probe" $(pkg-config --cflags --libs libcurl 2>/dev/null || echo -lcurl) > /dev/null 2>&1; then
  skip make_readme_demo_runs_the_readme_program_against_the_emulator "libcurl not installed (Debian: libcurl4-openssl-dev)"
elif ! command -v python3 > /dev/null 2>&1; then
  skip make_readme_demo_runs_the_readme_program_against_the_emulator "python3 not installed"
else
  make -s --no-print-directory readme-demo CC="$CC" > "$B/readme_demo.out" 2>&1
  rc=$?
  port=$(sed -n 's/.*listening on 127.0.0.1:\([0-9][0-9]*\)$/\1/p' "$B/readme_demo.out")
  lines=$(grep -x -e 'closed' -e 'already closed' "$B/readme_demo.out" | tr '\n' '/')
  if [ $rc -ne 0 ]; then
    fail make_readme_demo_runs_the_readme_program_against_the_emulator "exit $rc: $(peek "$B/readme_demo.out")"
  elif [ "$lines" != "closed/already closed/" ]; then
    fail make_readme_demo_runs_the_readme_program_against_the_emulator "the program printed '$lines': $(peek "$B/readme_demo.out")"
  elif ! grep -q "WXPAY_ENDPOINT=http://127.0.0.1:$port/pay/closecombinedorder " "$B/readme_demo.out"; then
    fail make_readme_demo_runs_the_readme_program_against_the_emulator "no endpoint on port '$port' shown"
  elif python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 2)' "$port" 2> /dev/null; then
    fail make_readme_demo_runs_the_readme_program_against_the_emulator "the emulator still listens on $port"
  else
    pass make_readme_demo_runs_the_readme_program_against_the_emulator
  fi
fi

# the README's wrong-key example is what the tool prints: a socket-only
# wxpay-close closes the README's order against the emulator with another
# key; its sentence must be a line of the README's example as printed
if ! command -v python3 > /dev/null 2>&1; then
  skip readme_wrong_key_example_is_what_wxpay_close_prints "python3 not installed"
elif ! make -s --no-print-directory -f examples/examples.mk WXPAY_CLI_CURL=0 WXPAY_CLI_MBEDTLS=0 \
       WXPAY_CLI_OPENSSL=0 CC="$CC" BUILD=$B/cli "$B/cli/wxpay-close" > "$B/cli.log" 2>&1; then
  fail readme_wrong_key_example_is_what_wxpay_close_prints "build: $(peek "$B/cli.log")"
else
  rm -f "$B/ports.json"
  python3 tests/emulator/emulator.py --port-file "$B/ports.json" --lifetime 60 > /dev/null 2> "$B/emulator.log" &
  emu=$!
  # shellcheck disable=SC2064 # the pid is known now
  trap "kill $emu 2> /dev/null" EXIT
  i=0
  while [ ! -s "$B/ports.json" ] && [ $i -lt 100 ] && kill -0 $emu 2> /dev/null; do i=$((i + 1)); sleep 0.1; done
  port=$(sed -n 's/.*"http": *\([0-9][0-9]*\).*/\1/p' "$B/ports.json" 2> /dev/null)
  WXPAY_API_KEY=00000000000000000000000000000000 "$B/cli/wxpay-close" --appid wx8888888888888888 \
    --mchid 1900000109 --order 1217752501201407033233368018 --sub 1900009001:OD201708030001 \
    --endpoint "http://127.0.0.1:$port/pay/closecombinedorder" > "$B/wrongkey.out" 2> "$B/wrongkey.err"
  rc=$?
  kill $emu 2> /dev/null
  wait $emu 2> /dev/null
  trap - EXIT
  said=$(cat "$B/wrongkey.out")
  if [ -z "$port" ]; then
    fail readme_wrong_key_example_is_what_wxpay_close_prints "the emulator did not start: $(peek "$B/emulator.log")"
  elif [ $rc -ne 5 ] || [ "$(wc -l < "$B/wrongkey.out")" != 1 ]; then
    fail readme_wrong_key_example_is_what_wxpay_close_prints "exit $rc: $said $(peek "$B/wrongkey.err")"
  elif grep -qxF "    $said" README.md && grep -qF 'WXPAY_API_KEY=00000000000000000000000000000000 wxpay-close' README.md; then
    pass readme_wrong_key_example_is_what_wxpay_close_prints
  else
    fail readme_wrong_key_example_is_what_wxpay_close_prints "the tool printed '$said', not in README.md's example"
  fi
fi

# the README's recipe by hand cuts the same program as the tests' marker
recipe=$(grep -o "^    awk '/^\`\`\`c/ {f = 1; next} f \&\& /^\`\`\`/ {exit} f' README.md" README.md)
if [ -z "$recipe" ]; then
  fail readme_recipe_cuts_the_tested_program "no awk line in README.md's recipe"
else
  awk '/^```c/ {f = 1; next} f && /^```/ {exit} f' README.md > "$B/recipe.c"
  awk -v m="readme_example -->" 'index($0, m) {f = 1; next} f && /^```c/ {next} f && /^```/ {exit} f' README.md > "$B/marker.c"
  if [ -s "$B/marker.c" ] && cmp -s "$B/recipe.c" "$B/marker.c"; then
    pass readme_recipe_cuts_the_tested_program
  else fail readme_recipe_cuts_the_tested_program "the first C block of README.md is not the tested program"; fi
fi

if ! command -v cmake > /dev/null 2>&1; then
  skip packaging_cmake "cmake not installed (apt-get install cmake)"
  exit 0
fi

# ESP-IDF: the component registration
rm -rf "$B/idf"
if cmake -S $T/idf_stub -B "$B/idf" -DWXPAY_ROOT="$ROOT" > "$B/idf.log" 2>&1; then
  calls=$(cat "$B/idf/idf_calls.txt" 2> /dev/null)
  if [ "$calls" = "idf_component_register(INCLUDE_DIRS;.)" ]; then
    pass esp_idf_root_cmakelists_registers_header_only_component
  else fail esp_idf_root_cmakelists_registers_header_only_component "recorded: $calls"; fi
else fail esp_idf_root_cmakelists_registers_header_only_component "$(peek "$B/idf.log")"; fi

# Zephyr: the include directory, with and without the Kconfig symbol
for conf in y n; do
  rm -rf "$B/zephyr-$conf"
  set -- -DWXPAY_MODULE_CMAKE_DIR="$ROOT/zephyr"
  [ $conf = y ] && set -- "$@" -DCONFIG_WXPAY_CLOSE=y
  if cmake -S $T/zephyr_stub -B "$B/zephyr-$conf" "$@" > "$B/zephyr-$conf.log" 2>&1; then
    dirs=$(cat "$B/zephyr-$conf/zephyr_calls.txt")
    if [ $conf = y ]; then
      if [ -n "$dirs" ] && [ "$(echo "$dirs" | wc -l)" = 1 ] && [ -f "$dirs/wxpay_close.h" ] &&
         [ -f "$dirs/adapters/wxpay_mbedtls.h" ]; then
        pass zephyr_module_adds_header_directory_with_config_wxpay_close
      else fail zephyr_module_adds_header_directory_with_config_wxpay_close "include directories: $dirs"; fi
    elif [ -z "$dirs" ]; then pass zephyr_module_adds_nothing_without_config_wxpay_close
    else fail zephyr_module_adds_nothing_without_config_wxpay_close "include directories: $dirs"; fi
  else fail "zephyr_module_cmake_configures_config_$conf" "$(peek "$B/zephyr-$conf.log")"; fi
done

# the plain CMake path (no ESP_PLATFORM): the consumer project builds and runs
VERSION=$(sed -n 's/^#define WXPAY_VERSION "\(.*\)"$/\1/p' wxpay_close.h)
rm -rf "$B/cmake"
if cmake -S tests/cli/consumer/cmake -B "$B/cmake" > "$B/cmake.log" 2>&1 &&
   cmake --build "$B/cmake" >> "$B/cmake.log" 2>&1 &&
   "$B/cmake/consumer" > "$B/consumer.out" 2>&1 &&
   grep -q "^consumer ok: wxpay_close.h $VERSION" "$B/consumer.out"; then
  pass cmake_root_cmakelists_non_idf_path_builds_consumer
else fail cmake_root_cmakelists_non_idf_path_builds_consumer "$(peek "$B/cmake.log")"; fi
exit 0
