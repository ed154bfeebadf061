#!/usr/bin/env bash
# The README's main job: set up what `socketpool check` needs (scripts/setup.sh check), then run
# the conformance suite on a target (default: the best one this machine has without hardware)
# and print the compatibility table. Arguments go to `socketpool check` (e.g. --target host).
set -euo pipefail
cd "$(dirname "$0")/.."
targets=""
prev=""
for a in "$@"; do
  case "$a" in --target=*) targets=${a#--target=} ;; esac
  if [ "$prev" = "--target" ]; then targets=$a; fi
  prev=$a
done
SETUP_TARGETS=$targets ./scripts/setup.sh check
exec .venv/bin/socketpool check "$@"
