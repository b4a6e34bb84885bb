#!/bin/sh
# Mutation testing of wxpay_close.h (`make mutate`; not run by `make test`
# or CI): every mutant of tests/mutate/mutants.txt against the fast suites.
# Arguments go to tests/mutate/mutate.py: mutant ids, -j 1|2, --keep, --check.
cd "$(dirname "$0")/../.." || exit 2
exec python3 tests/mutate/mutate.py "$@"
