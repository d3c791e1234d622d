#!/usr/bin/env bash
# Command 2: set up the venv and run the whole test suite (extra arguments go to pytest).
#
#   scripts/test.sh
#   scripts/test.sh -k ranking -x
#   CI=true scripts/test.sh       # PostgreSQL and Chromium tests become mandatory
#   TEST_WORKERS=1 scripts/test.sh  # one process (default: one per CPU, pytest-xdist)
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/_venv.sh"
ensure_venv

# Tests run in one process per CPU; each process starts its own PostgreSQL and Redis servers
# (free ports, temporary directories), so they share nothing.
workers="${TEST_WORKERS:-auto}"
parallel=()
[ "$workers" = "1" ] || parallel=(-n "$workers")
echo "==> python -m pytest ${parallel[*]} $*"
t0=$SECONDS
rc=0
# The 15 slowest tests are listed at the end: the suite's time is watched (CI should stay under 20 min).
python -m pytest "${parallel[@]}" --durations=15 "$@" || rc=$?
echo "==> pytest finished in $((SECONDS - t0))s with exit code $rc"
if [ "$rc" -eq 5 ]; then
    echo "error: pytest collected no tests" >&2
    exit 1
fi
exit "$rc"
