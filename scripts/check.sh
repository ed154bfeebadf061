#!/usr/bin/env bash
# The README's main job: set up, then run the conformance suite on a target (default: the best
# one this machine has without hardware) and print the compatibility table.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
exec .venv/bin/socketpool check "$@"
