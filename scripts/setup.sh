#!/usr/bin/env bash
# Installs what socketpool needs on a fresh Debian machine (run as root or with sudo available),
# and the project itself into .venv.
#
#   scripts/setup.sh          everything the tests need (scripts/test.sh, CI)
#   scripts/setup.sh check    only what `socketpool check` needs (scripts/check.sh); targets named
#                             in $SETUP_TARGETS (host-lwip-*, rp2040js:*) add what they need
#
# Quiet: one line per step; apt, npm and pip write their detail to the log file that line names.
# It never removes or replaces a system package (no service is swapped: NTP for the tests is
# served by the tests themselves). A step that has nothing to do says so and takes no time.
set -euo pipefail
cd "$(dirname "$0")/.."
MODE=${1:-test}
case "$MODE" in check|test) ;; *) echo "usage: scripts/setup.sh [check|test]" >&2; exit 2 ;; esac
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi
mkdir -p reports
LOG=reports/setup.log
echo "=== scripts/setup.sh $MODE, $(date -u +%Y-%m-%dT%H:%M:%SZ)" >>"$LOG"

step() {  # step LABEL COMMAND...: one line, the command's output to $LOG
  local label=$1
  shift
  printf 'setup: %s ... ' "$label"
  echo "=== $label: $*" >>"$LOG"
  if "$@" >>"$LOG" 2>&1; then
    echo "ok"
  else
    local status=$?
    echo "FAILED (exit $status; the last lines of $LOG follow)"
    tail -n 20 "$LOG" | sed 's/^/  | /' >&2
    exit "$status"
  fi
}

# --- Debian packages -------------------------------------------------------------------------
if [ "$MODE" = test ]; then
  APT_PACKAGES=(
    build-essential python3-venv python3-dev curl iproute2 nftables
    liblwip-dev mosquitto wrk valgrind clang libclang-rt-14-dev cmake
  )
else
  APT_PACKAGES=(python3-venv)
  case ",${SETUP_TARGETS:-}," in *,host-lwip-*) APT_PACKAGES+=(build-essential liblwip-dev) ;; esac
fi
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  step "apt-get update" $SUDO apt-get update
  # --no-remove: a package that would take another one away fails the step instead
  step "apt packages: ${missing[*]} (log: $LOG)" env DEBIAN_FRONTEND=noninteractive \
    $SUDO apt-get install -y --no-remove "${missing[@]}"
else
  echo "setup: apt packages ... all ${#APT_PACKAGES[@]} present"
fi

# --- npm packages (the emulated Pico W target) -----------------------------------------------
NPM_PACKAGES=()
if [ "$MODE" = test ]; then NPM_PACKAGES=(rp2040js@1.4.1); fi
case ",${SETUP_TARGETS:-}," in *,rp2040js:*) NPM_PACKAGES=(rp2040js@1.4.1) ;; esac
if [ ${#NPM_PACKAGES[@]} -gt 0 ]; then
  if [ -f node_modules/rp2040js/package.json ]; then
    echo "setup: npm packages ... present (node_modules/rp2040js)"
  elif command -v npm >/dev/null; then
    printf 'setup: npm packages: %s (log: %s) ... ' "${NPM_PACKAGES[*]}" "$LOG"
    if npm install --no-save --no-package-lock --no-audit --no-fund "${NPM_PACKAGES[@]}" >>"$LOG" 2>&1; then
      echo "ok"
    else
      echo "failed: the emulated Pico W target will not be available (see $LOG)"
    fi
  else
    echo "setup: npm packages ... skipped: no npm (the emulated Pico W target will not be available)"
  fi
fi

# --- the project and its Python packages -----------------------------------------------------
if [ "$MODE" = test ]; then EXTRAS="test"; else EXTRAS="check,board"; fi
if [ ! -x .venv/bin/python ]; then
  step "virtual environment .venv" python3 -m venv .venv
fi
# the editable install is redone only when what it depends on changed (pyproject.toml, the extras)
STAMP=".venv/.socketpool-setup-$MODE"
want="$(sha256sum pyproject.toml | cut -d' ' -f1) $EXTRAS"
done_by() { [ -f ".venv/.socketpool-setup-$1" ] && [ "$(cut -d' ' -f1 ".venv/.socketpool-setup-$1")" = "${want%% *}" ]; }
if { [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ] || { [ "$MODE" = check ] && done_by test; }; } \
    && .venv/bin/python -c "import socketpool_tools" 2>/dev/null; then
  echo "setup: python packages .[$EXTRAS] ... already installed"
else
  step "pip itself" .venv/bin/python -m pip install --upgrade pip
  step "python packages .[$EXTRAS] (log: $LOG)" .venv/bin/python -m pip install -e ".[$EXTRAS]"
  echo "$want" >"$STAMP"
fi
