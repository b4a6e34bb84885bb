# shellcheck shell=sh disable=SC2154,SC2034 # $dir comes from, $port goes to, the sourcing script
# examples/emulator.sh -- sourced by demo.sh and readme_demo.sh (run from
# the repository's root, with the scratch directory in $dir): starts the
# bundled emulator (tests/emulator/) on free loopback ports, which it
# writes to $dir/ports.json, and stops it and removes $dir when the script
# exits. --lifetime makes sure it goes away even if the script is killed
# hard.
#
#   emulator_start NAME SECONDS [emulator flags...]
#       starts it; on return $emu is its process and $port its HTTP port.
#       NAME prefixes the message when it does not start (the script exits 1)
#   stop_emulator
#       stops it (again harmlessly)

emulator_start() {
  emulator_name=$1 emulator_lifetime=$2
  shift 2
  python3 tests/emulator/emulator.py --port-file "$dir/ports.json" \
    --lifetime "$emulator_lifetime" "$@" > "$dir/emulator.out" 2> "$dir/emulator.log" &
  emu=$!
  trap emulator_cleanup EXIT
  trap 'exit 130' INT TERM
  i=0
  while [ ! -s "$dir/ports.json" ]; do
    if ! kill -0 "$emu" 2> /dev/null || [ "$i" -ge 100 ]; then
      echo "$emulator_name: the emulator did not start:" >&2
      cat "$dir/emulator.log" >&2
      exit 1
    fi
    i=$((i + 1))
    sleep 0.1
  done
  port=$(sed -n 's/.*"http": *\([0-9][0-9]*\).*/\1/p' "$dir/ports.json")
}

stop_emulator() {
  if kill -0 "$emu" 2> /dev/null; then
    kill "$emu" 2> /dev/null
    wait "$emu" 2> /dev/null
  fi
}

# shellcheck disable=SC2317 # called through the trap
emulator_cleanup() {
  stop_emulator
  rm -rf "$dir"
}
