#!/bin/sh
# make size: flash and stack of the core on Cortex-M0+, Cortex-M4 and the
# ESP32-C3 (RISC-V).
#
# arm-none-eabi-gcc -Os -mthumb -ffunction-sections -fdata-sections, newlib
# nano; for the ESP32-C3 riscv64-unknown-elf-gcc -march=rv32imc -mabi=ilp32
# with picolibc (--specs=picolibc.specs; its core compiled with the strict
# warnings and -Werror); each linked with --gc-sections into minimal programs (tests/size/app.c)
# that call wxpay_close_build(), wxpay_close_parse(), both, or wxpay_close()
# with a fake transport; WXPAY_NO_OS and -DNDEBUG as on bare metal; each with
# and without WXPAY_NO_ERROR_STRINGS (the programs call wxpay_strerror()).
#
#   flash = the library object's kept .text + .rodata (from the link map)
#           + the libc routines it pulls in (libc bytes beyond an empty
#           program's); the whole image's .text + .rodata is shown too
#   stack = worst case per entry point, from -fstack-usage frames along the
#           -fcallgraph-info call graph (tests/size/analyze.py); libc leaves
#           costed from their prologues; the caller's callbacks excluded
#
# Programs that query: the close's build and parse plus the
# APIv2 query's wxpay_query_build() and wxpay_query_parse() (app QUERY), and
# wxpay_settle() with the fake transport (app SETTLE). A close-only program
# links none of the query: every close-only link map (build, parse,
# build+parse, minimal, close) is checked to hold no query or settle symbol
# (QUERY_SYMS), and the query and settle programs' maps to hold them (so the
# check can fail). The query entry points' stack is judged against the
# same 1 KiB where it is within it (QUERY_STACK_JUDGED); the ones over it
# (QUERY_STACK_REPORTED) are printed as REPORT lines, not judged, until the
# header brings them under it: the budget is not loosened for them.
#
# Budgets (CI, issue 5): Cortex-M4 -Os, default options: flash <= 6.5 KiB for
# the core (a program calling build and parse, and not wxpay_strerror(): the
# error strings are the application's to ask for), stack <= 1 KiB per entry
# point, and no malloc/free/sbrk anywhere in any link. The other programs'
# flash is printed, not judged. Prints PASS/FAIL lines and the table; writes
# build/size/size.md for the README.
cd "$(dirname "$0")/../.." || exit 2
OUT=build/size
ARMCC=${ARMCC:-arm-none-eabi-gcc}
PY=${PYTHON:-python3}
FLASH_BUDGET=${FLASH_BUDGET:-6656}
STACK_BUDGET=${STACK_BUDGET:-1024}
# the query's and settle's own code, by symbol (functions and tables, as the
# link map names their input sections): the public entry points, the v2
# query's helpers, the JSON reader (a v2 close reads no JSON) and the order
# reader with its tables
QUERY_SYMS='wxpay_(v3_)?query|wxpay_(v3_)?settle|wxpay__(v3_)?query_|wxpay__settle|wxpay__order_|wxpay__js_|wxpay_json_error_read|wxpay__trade_|wxpay_trade_state_text|wxpay_settlement_'
CLOSE_ONLY_APPS="build parse build_parse minimal close"
QUERY_STACK_JUDGED="wxpay_query_build wxpay_query_parse wxpay_query"
QUERY_STACK_REPORTED="wxpay_settle"
# settle's machine calls the API's close and query through function pointers
SETTLE_EDGES="wxpay__settle>wxpay__settle_v2_close,wxpay__settle>wxpay__settle_v2_query"
mkdir -p "$OUT"
fails=0

if ! command -v "$ARMCC" >/dev/null 2>&1; then
  echo "SKIP size: $ARMCC not found (apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi)"
  [ "${WXPAY_NO_SKIP:-0}" != 1 ] # CI: a skip is a failure
  exit
fi
if ! command -v "$PY" >/dev/null 2>&1; then
  echo "SKIP size: $PY not found"
  [ "${WXPAY_NO_SKIP:-0}" != 1 ]
  exit
fi
PREFIX=${ARMCC%gcc}
NM=${PREFIX}nm
# the ESP32-C3's RISC-V core: rv32imc, ilp32, picolibc (Debian:
# gcc-riscv64-unknown-elf, picolibc-riscv64-unknown-elf)
RVCC=${RVCC:-riscv64-unknown-elf-gcc}
RVARCH="-march=rv32imc -mabi=ilp32 --specs=picolibc.specs"
STRICT="-std=c99 -Wall -Wextra -Wpedantic -Wconversion -Wsign-conversion -Wshadow -Wstrict-prototypes -Werror"
TARGETS="cortex-m0plus cortex-m4"
printf 'int main(void) { return 0; }\n' > "$OUT/rv_probe.c"
# shellcheck disable=SC2086
if ! command -v "$RVCC" >/dev/null 2>&1; then
  echo "SKIP size_esp32c3: $RVCC not found (apt-get install gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf)"
  fails=$((fails + ${WXPAY_NO_SKIP:-0}))
elif ! $RVCC $RVARCH "$OUT/rv_probe.c" -o "$OUT/rv_probe.elf" > "$OUT/rv_probe.err" 2>&1; then
  echo "SKIP size_esp32c3: $RVCC links nothing with $RVARCH (apt-get install picolibc-riscv64-unknown-elf): $(head -c 200 "$OUT/rv_probe.err")"
  fails=$((fails + ${WXPAY_NO_SKIP:-0}))
else
  TARGETS="$TARGETS esp32c3"
fi
# per target: compiler, its flags, the core's extra flags, link flags, tool prefix
target() {
  case $1 in
  esp32c3) TCC=$RVCC; TFLAGS=$RVARCH; TCORE=$STRICT; TLINK=""; TP=${RVCC%gcc} ;;
  *) TCC=$ARMCC; TFLAGS="-mcpu=$1 -mthumb"; TCORE=""; TLINK="--specs=nano.specs --specs=nosys.specs"; TP=$PREFIX ;;
  esac
}
label() { case $1 in esp32c3) echo "esp32c3 (rv32imc)" ;; *) echo "$1" ;; esac; }

say() { echo "$*"; }
verdict() { # ok name detail
  if [ "$1" = 1 ]; then say "PASS $2 ($3)"; else say "FAIL $2: $3"; fails=$((fails + 1)); fi
  if [ "$1" = 1 ]; then echo "PASS $2"; else echo "FAIL $2"; fi >> "$OUT/verdicts.txt"
}
: > "$OUT/verdicts.txt"

TABLE=$OUT/table.txt
: > "$TABLE"
for cpu in $TARGETS; do
  target $cpu
  for strings in strings nostrings; do
    d=$OUT/$cpu-$strings
    mkdir -p "$d"
    defs="-DNDEBUG"
    [ $strings = nostrings ] && defs="$defs -DWXPAY_NO_ERROR_STRINGS"
    CF="$TFLAGS -Os -std=c99 -ffunction-sections -fdata-sections -I. $defs"
    # shellcheck disable=SC2086
    if ! $TCC $CF $TCORE -fstack-usage -fcallgraph-info=su -c tests/size/core.c -o "$d/core.o" \
         2> "$d/core.err"; then
      say "FAIL size_${cpu}_${strings}_core_compiles: $(head -n 3 "$d/core.err" | tr '\n' ' ')"
      fails=$((fails + 1))
      continue
    fi
    [ $cpu = esp32c3 ] && verdict 1 "size_esp32c3_${strings}_core_builds_warning_free" "-Werror with the strict warnings"
    for app in EMPTY BUILD PARSE BUILD_PARSE MINIMAL CLOSE QUERY SETTLE; do
      a=$(echo $app | tr 'A-Z' 'a-z')
      # shellcheck disable=SC2086
      $TCC $CF -DAPP_$app -c tests/size/app.c -o "$d/app_$a.o" 2> "$d/app_$a.err" &&
      $TCC $CF $TLINK -Wl,--gc-sections \
        -Wl,-Map="$d/$a.map" "$d/app_$a.o" "$d/core.o" -o "$d/$a.elf" 2>> "$d/app_$a.err"
      if [ $? != 0 ]; then
        say "FAIL size_${cpu}_${strings}_${a}_links: $(head -n 3 "$d/app_$a.err" | tr '\n' ' ')"
        fails=$((fails + 1))
        continue
      fi
      # shellcheck disable=SC2046
      set -- $($PY tests/size/analyze.py flash "$d/$a.map" core.o "app_$a.o")
      echo "$1 $2 $3 $4 $5 $6" > "$d/$a.flash"
      ${TP}size -A "$d/$a.elf" | awk '$1 ~ /^\.(text|rodata)$/ {s += $2} END {print s}' > "$d/$a.image"
      heap=$(${TP}nm "$d/$a.elf" | awk '{print $NF}' | grep -xE '_?(malloc|free|calloc|realloc|_malloc_r|_free_r|_calloc_r|_realloc_r|_sbrk|_sbrk_r|sbrk)' | tr '\n' ' ')
      if [ -n "$heap" ]; then
        verdict 0 "size_${cpu}_${strings}_${a}_links_no_heap" "heap symbols in the link: $heap"
      fi
      [ -z "$heap" ] && echo ok > "$d/$a.noheap"
    done
    # close-only programs link no query code; the query programs do
    for a in $CLOSE_ONLY_APPS; do
      [ -f "$d/$a.map" ] || continue
      q=$(sed -n '/^Linker script and memory map/,$p' "$d/$a.map" | grep -oE "\b($QUERY_SYMS)[A-Za-z0-9_]*" | sort -u | tr '\n' ' ')
      verdict $([ -z "$q" ] && echo 1 || echo 0) "size_${cpu}_${strings}_${a}_links_no_query_code" \
        "${q:-no query or settle symbol in the link map}"
    done
    for a in query settle; do
      [ -f "$d/$a.map" ] || continue
      q=$(sed -n '/^Linker script and memory map/,$p' "$d/$a.map" | grep -oE "\b($QUERY_SYMS)[A-Za-z0-9_]*" | sort -u | wc -l)
      verdict $([ "$q" -gt 0 ] && echo 1 || echo 0) "size_${cpu}_${strings}_${a}_map_names_the_query_code" \
        "$q query or settle symbols in its link map: the pattern the close-only check uses finds them"
    done
    $PY tests/size/analyze.py stack "$d/core.ci" "$d/core.su" "$d/close.elf" "${TP}objdump" "${TP}nm" \
      wxpay_close_build wxpay_close_parse wxpay_close > "$d/stack.txt"
    if [ -f "$d/settle.elf" ]; then
      EXTRA_EDGES=$SETTLE_EDGES $PY tests/size/analyze.py stack "$d/core.ci" "$d/core.su" \
        "$d/settle.elf" "${TP}objdump" "${TP}nm" \
        wxpay_query_build wxpay_query_parse wxpay_query wxpay_settle >> "$d/stack.txt"
      IGNORE_EDGES="wxpay__hmac_pads>wxpay_sha256" EXTRA_EDGES=$SETTLE_EDGES \
        $PY tests/size/analyze.py stack "$d/core.ci" "$d/core.su" \
        "$d/settle.elf" "${TP}objdump" "${TP}nm" \
        wxpay_query_build wxpay_query_parse wxpay_query wxpay_settle > "$d/stack_rt_q.txt"
    fi
    # the same without the long-key branch of the HMAC (a key over 64 bytes
    # is hashed first; an APIv2 key is 32): what a real call can reach
    IGNORE_EDGES="wxpay__hmac_pads>wxpay_sha256" $PY tests/size/analyze.py stack "$d/core.ci" \
      "$d/core.su" "$d/close.elf" "${TP}objdump" "${TP}nm" \
      wxpay_close_build wxpay_close_parse wxpay_close > "$d/stack_rt.txt"
    [ -f "$d/stack_rt_q.txt" ] && cat "$d/stack_rt_q.txt" >> "$d/stack_rt.txt"
  done
done

# ---- the table ----
flash_of() { # dir app -> core+libc-added bytes
  read -r ct cr lt lr at ar < "$1/$2.flash"
  read -r ect ecr elt elr eat ear < "$1/empty.flash"
  echo $((ct + cr + (lt + lr) - (elt + elr)))
}
core_of() { read -r ct cr lt lr at ar < "$1/$2.flash"; echo "$ct+$cr"; }
stack_of() { awk -v e="$2" '$1 == e {print $2}' "$1/${3:-stack}.txt"; }

md=$OUT/size.md
{
  echo "| target | error strings | build | parse | build+parse | full close | stack build | stack parse | stack close |"
  echo "|---|---|---:|---:|---:|---:|---:|---:|---:|"
} > "$md.table"
for cpu in $TARGETS; do
  for strings in strings nostrings; do
    d=$OUT/$cpu-$strings
    [ -f "$d/close.flash" ] && [ -f "$d/stack.txt" ] || continue
    lbl=$([ $strings = strings ] && echo "with" || echo "without")
    echo "| $(label $cpu) | $lbl | $(flash_of "$d" build) | $(flash_of "$d" parse) | $(flash_of "$d" build_parse) | $(flash_of "$d" close) | $(stack_of "$d" wxpay_close_build) | $(stack_of "$d" wxpay_close_parse) | $(stack_of "$d" wxpay_close) |" >> "$md.table"
  done
done

{
  echo "| target | error strings | close build+parse | close + v2 query build+parse | the query's share | wxpay_settle | stack query build | stack query parse | stack query | stack settle |"
  echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"
} > "$md.qtable"
for cpu in $TARGETS; do
  for strings in strings nostrings; do
    d=$OUT/$cpu-$strings
    [ -f "$d/query.flash" ] && [ -f "$d/settle.flash" ] && [ -f "$d/build_parse.flash" ] || continue
    lbl=$([ $strings = strings ] && echo "with" || echo "without")
    bp=$(flash_of "$d" build_parse)
    qf=$(flash_of "$d" query)
    echo "| $(label $cpu) | $lbl | $bp | $qf | $((qf - bp)) | $(flash_of "$d" settle) | $(stack_of "$d" wxpay_query_build) | $(stack_of "$d" wxpay_query_parse) | $(stack_of "$d" wxpay_query) | $(stack_of "$d" wxpay_settle) |" >> "$md.qtable"
  done
done

# ---- budgets: Cortex-M4, both string settings ----
for strings in strings nostrings; do
  d=$OUT/cortex-m4-$strings
  [ -f "$d/close.flash" ] || continue
  if [ $strings = strings ]; then # default options
    f=$(flash_of "$d" minimal)
    verdict $([ "$f" -le "$FLASH_BUDGET" ] && echo 1 || echo 0) \
      "size_cortex_m4_core_flash_within_6_5KiB" "$f bytes (build+parse, default options; library $(core_of "$d" minimal) text+rodata, plus libc), budget $FLASH_BUDGET"
  fi
  for e in wxpay_close_build wxpay_close_parse wxpay_close; do
    s=$(stack_of "$d" $e)
    case $s in
      ''|*[!0-9]*) verdict 0 "size_cortex_m4_${strings}_${e}_stack_within_1KiB" "not measurable: $(grep "^$e " "$d/stack.txt")" ;;
      *) verdict $([ "$s" -le "$STACK_BUDGET" ] && echo 1 || echo 0) \
           "size_cortex_m4_${strings}_${e}_stack_within_1KiB" "$s bytes static worst case ($(stack_of "$d" $e stack_rt) with a 32-byte key), budget $STACK_BUDGET; path $(grep "^$e " "$d/stack.txt" | cut -d' ' -f3)" ;;
    esac
  done
done
# the query's entry points: the same stack budget where they are within it;
# the ones over it reported (REPORT lines are shown, not counted)
for strings in strings nostrings; do
  d=$OUT/cortex-m4-$strings
  [ -f "$d/settle.elf" ] || continue
  for e in $QUERY_STACK_JUDGED $QUERY_STACK_REPORTED; do
    s=$(stack_of "$d" $e)
    path=$(grep "^$e " "$d/stack.txt" | cut -d' ' -f3)
    case " $QUERY_STACK_JUDGED " in
      *" $e "*)
        case $s in
          ''|*[!0-9]*) verdict 0 "size_cortex_m4_${strings}_${e}_stack_within_1KiB" "not measurable: $(grep "^$e " "$d/stack.txt")" ;;
          *) verdict $([ "$s" -le "$STACK_BUDGET" ] && echo 1 || echo 0) \
               "size_cortex_m4_${strings}_${e}_stack_within_1KiB" "$s bytes static worst case ($(stack_of "$d" $e stack_rt) with a 32-byte key), budget $STACK_BUDGET; path $path" ;;
        esac ;;
      *)
        over=$([ -n "$s" ] && [ "$s" -gt "$STACK_BUDGET" ] 2>/dev/null && echo "OVER the $STACK_BUDGET-byte budget (not judged; the header's to fix)" || echo "within the $STACK_BUDGET-byte budget now: move it to QUERY_STACK_JUDGED")
        line="REPORT size_cortex_m4_${strings}_${e}_stack: $s bytes static worst case ($(stack_of "$d" $e stack_rt) with a 32-byte key), $over; path $path"
        say "$line"
        echo "$line" >> "$OUT/verdicts.txt" ;;
    esac
  done
done
# the one build option that picks another body for a function: SHA-256's
# unrolled block (WXPAY_SHA256_FAST), reported (the budget is the default's)
FAST_CORE=""
d=$OUT/cortex-m4-fast
mkdir -p "$d"
target cortex-m4
CF="$TFLAGS -Os -std=c99 -ffunction-sections -fdata-sections -I. -DNDEBUG -DWXPAY_SHA256_FAST"
# shellcheck disable=SC2086
if $TCC $CF -c tests/size/core.c -o "$d/core.o" 2> "$d/core.err" &&
   $TCC $CF -DAPP_EMPTY -c tests/size/app.c -o "$d/app_empty.o" 2>> "$d/core.err" &&
   $TCC $CF $TLINK -Wl,--gc-sections -Wl,-Map="$d/empty.map" "$d/app_empty.o" "$d/core.o" -o "$d/empty.elf" 2>> "$d/core.err" &&
   $TCC $CF -DAPP_MINIMAL -c tests/size/app.c -o "$d/app_minimal.o" 2>> "$d/core.err" &&
   $TCC $CF $TLINK -Wl,--gc-sections -Wl,-Map="$d/minimal.map" "$d/app_minimal.o" "$d/core.o" -o "$d/minimal.elf" 2>> "$d/core.err"; then
  # shellcheck disable=SC2046
  set -- $($PY tests/size/analyze.py flash "$d/minimal.map" core.o app_minimal.o)
  echo "$1 $2 $3 $4 $5 $6" > "$d/minimal.flash"
  # shellcheck disable=SC2046
  set -- $($PY tests/size/analyze.py flash "$d/empty.map" core.o app_empty.o)
  echo "$1 $2 $3 $4 $5 $6" > "$d/empty.flash"
  for a in empty minimal; do # no heap here either
    ${TP}nm "$d/$a.elf" | awk '{print $NF}' | grep -qxE '_?(malloc|free|calloc|realloc|_malloc_r|_free_r|_calloc_r|_realloc_r|_sbrk|_sbrk_r|sbrk)' ||
      echo ok > "$d/$a.noheap"
  done
  FAST_CORE=$(flash_of "$d" minimal)
  line="REPORT size_cortex_m4_core_flash_with_WXPAY_SHA256_FAST: $FAST_CORE bytes (the unrolled SHA-256 block; default build $(flash_of "$OUT/cortex-m4-strings" minimal))"
  say "$line"
  echo "$line" >> "$OUT/verdicts.txt"
else
  verdict 0 "size_cortex_m4_core_builds_with_WXPAY_SHA256_FAST" "$(head -n 3 "$d/core.err" | tr '\n' ' ')"
fi

n=$(ls $OUT/*/*.noheap 2>/dev/null | wc -l)
total=$(ls $OUT/*/*.elf 2>/dev/null | wc -l)
verdict $([ "$n" = "$total" ] && [ "$total" -gt 0 ] && echo 1 || echo 0) "size_no_malloc_in_any_link" "$n of $total links free of malloc/free/sbrk"

# ---- report ----
{
  echo "<!-- written by tests/size/run.sh (make size); do not edit -->"
  rv=""
  case " $TARGETS " in *" esp32c3 "*)
    rv=" and ESP32-C3 (riscv64-unknown-elf-gcc $($RVCC -dumpversion), -Os -march=rv32imc -mabi=ilp32, picolibc)" ;;
  esac
  echo "### Flash and stack on Cortex-M (arm-none-eabi-gcc $($ARMCC -dumpversion), -Os -mthumb, newlib-nano)$rv"
  echo
  echo "Bytes of flash (the library's \`.text\` + \`.rodata\` kept by \`--gc-sections\`, plus"
  echo "the libc routines it pulls in) for a minimal program calling each entry point,"
  echo "and the worst-case stack of each entry point (its own frames along the call"
  echo "graph; the caller's buffers and callbacks not included). \`WXPAY_NO_OS\`,"
  echo "\`-DNDEBUG\`; the programs call \`wxpay_strerror()\`, so \"without\" is"
  echo "\`WXPAY_NO_ERROR_STRINGS\`."
  echo
  cat "$md.table"
  echo
  echo "Stack is the static worst case: it includes the branch of the HMAC key"
  echo "setup that first hashes a key longer than 64 bytes, which an APIv2 key (32"
  echo "bytes) never takes. Without that call (Cortex-M4, with strings): build" \
    "$(stack_of "$OUT/cortex-m4-strings" wxpay_close_build stack_rt), parse" \
    "$(stack_of "$OUT/cortex-m4-strings" wxpay_close_parse stack_rt), close" \
    "$(stack_of "$OUT/cortex-m4-strings" wxpay_close stack_rt) bytes."
  read -r ct1 cr1 x < "$OUT/cortex-m4-strings/close.flash"
  read -r ct2 cr2 x < "$OUT/cortex-m4-nostrings/close.flash"
  echo
  echo "Error strings cost $((ct1 + cr1 - ct2 - cr2)) bytes of flash on Cortex-M4 (full close)."
  echo
  echo "The core (build and parse with default options, in a program that does not"
  echo "call \`wxpay_strerror()\`) takes $(flash_of "$OUT/cortex-m4-strings" minimal) bytes on Cortex-M4 and"
  if [ -f "$OUT/esp32c3-strings/minimal.flash" ]; then
    echo "$(flash_of "$OUT/cortex-m0plus-strings" minimal) on Cortex-M0+, $(flash_of "$OUT/esp32c3-strings" minimal) on the ESP32-C3 (RV32IMC; picolibc's routines"
    echo "counted the same way as newlib's)."
  else
    echo "$(flash_of "$OUT/cortex-m0plus-strings" minimal) on Cortex-M0+."
  fi
  [ -n "$FAST_CORE" ] && echo "With \`WXPAY_SHA256_FAST\` (the unrolled SHA-256 block) the core takes $FAST_CORE bytes on Cortex-M4."
  echo
  echo "Programs that query: the close's build and parse plus the APIv2"
  echo "query's \`wxpay_query_build()\` and \`wxpay_query_parse()\`, and one calling"
  echo "\`wxpay_settle()\` (close, query, poll); bytes counted as above. A close-only"
  echo "program links none of the query code (checked on every close-only link map)."
  echo
  cat "$md.qtable"
  echo
  echo "Budget (Cortex-M4): core flash <= $FLASH_BUDGET B, stack <= $STACK_BUDGET B per entry point, no heap."
  echo
  grep -E '^(PASS|FAIL|REPORT) ' "$OUT/verdicts.txt" | sed 's/^/    /' 
  echo
  echo "Largest library symbols, Cortex-M4, with error strings, full close (bytes):"
  echo
  echo '```'
  $NM --size-sort -S -t d "$OUT/cortex-m4-strings/close.elf" 2>/dev/null |
    awk '{print $2+0, $4}' | grep -E ' (wxpay|\.|[a-z_]*\.[0-9]+$|s$|alphabet|named|chars)' | sort -rn | head -n 15
  echo '```'
  echo
  echo "Worst-case stack paths (Cortex-M4, with error strings; frame bytes in brackets):"
  echo
  echo '```'
  sed 's/(\([0-9]*\))/[\1]/g' "$OUT/cortex-m4-strings/stack.txt" 2>/dev/null
  echo '```'
} > "$md"

echo
cat "$md.table"
echo
cat "$md.qtable"
echo
echo "whole image .text+.rodata (startup and libc included):"
for cpu in $TARGETS; do
  for strings in strings nostrings; do
    d=$OUT/$cpu-$strings
    [ -f "$d/close.image" ] || continue
    printf '  %-14s %-9s empty %5s  build %5s  parse %5s  build+parse %5s  close %5s  query %5s  settle %5s\n' "$cpu" "$strings" \
      "$(cat "$d/empty.image")" "$(cat "$d/build.image")" "$(cat "$d/parse.image")" \
      "$(cat "$d/build_parse.image")" "$(cat "$d/close.image")" \
      "$(cat "$d/query.image" 2>/dev/null)" "$(cat "$d/settle.image" 2>/dev/null)"
  done
done
echo
echo "largest symbols (Cortex-M4, with strings, close):"
$NM --size-sort -S -t d "$OUT/cortex-m4-strings/close.elf" | awk '{print "  " $2+0, $4}' | sort -rn | head -n 12
echo "(report: $md)"
[ "$fails" -eq 0 ]
