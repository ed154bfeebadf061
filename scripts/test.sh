#!/usr/bin/env bash
# The README's test command: set up, then run every test suite. Exit status is pytest's, with
# "no tests collected" (5) counted as a failure.
set -uo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh || exit 1
status=0
.venv/bin/python -m pytest -q "$@" || status=$?
if [ "$status" = 5 ]; then
  echo "no tests ran: failing" >&2
  status=1
fi
exit "$status"
