#!/usr/bin/env bash
# The README's test command: set up, then run every test suite.
#   1. everything under tests/ on CPython (conformance on the host engine, clients, MicroPython VM,
#      native cores under sanitizers, harness, stress);
#   2. the conformance suite and the fuzzing state machine again on every other CI target;
#   3. the Adafruit clients on the MicroPython unix port as a remote target (test_on_target.py).
# Fails when any run fails; pytest's "no tests collected" (exit 5) counts as a failure.
# Extra arguments go to every pytest run (e.g. -x, -k name).
set -uo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh test || exit 1

TARGETS=(host-lwip-esp32 host-lwip-rp2 micropython)
failed=()

run() {
  local label=$1
  shift
  echo "=== $label"
  .venv/bin/python -m pytest -q "$@"
  local status=$?
  if [ "$status" = 5 ]; then
    echo "=== $label: no tests ran" >&2
    status=1
  fi
  [ "$status" = 0 ] || failed+=("$label")
}

run "all suites, target host" tests "$@"
for t in "${TARGETS[@]}"; do
  run "conformance + fuzzing, target $t" tests/conformance tests/stress/test_fuzz_statemachine.py --target "$t" "$@"
done
# the Adafruit clients running on a remote target (loaded into its heap as on a board; a few seconds)
run "clients on the target, target micropython" tests/clients/test_on_target.py --target micropython "$@"

if [ ${#failed[@]} -gt 0 ]; then
  echo "FAILED runs: ${failed[*]}" >&2
  exit 1
fi
echo "all test runs passed"
