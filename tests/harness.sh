# The check helpers of tests/run-kernel and tests/run-debug-kernel; sourced
# from the top of the work tree, never run. Sets $logs (removed on exit)
# and counts failures in $failed.
# shellcheck shell=bash

logs=$(mktemp -d /tmp/nlecho-tests.XXXXXX)
trap 'rm -rf "$logs"' EXIT
failed=0

# check NAME CMD...: one PASS:/FAIL: line, as in the guest suite.
check() {
  local name=$1; shift
  if "$@" >"$logs/check" 2>&1; then echo "PASS: $name"
  else tail -n 20 "$logs/check"; echo "FAIL: $name"; failed=$((failed + 1)); fi
}

# checks SCRIPT: a host script that prints its own PASS:/FAIL: lines; one
# that stops without a FAIL: line counts as a failure of its own.
checks() {
  "$1" 2>&1 | tee "$logs/checks" \
    || { grep -q '^FAIL: ' "$logs/checks" || echo "FAIL: $1 did not finish"; failed=$((failed + 1)); }
}

# guest WHAT VM-RUN-ARGS...: one boot of scripts/vm-run, its output counted.
# A guest that died without reporting counts as a failure of its own, and
# so do a run whose console never reached us (no status line in it) and a
# kernel error report (vm-run's status 126).
guest() {
  local what=$1 rc=0 why; shift
  scripts/vm-run "$@" 2>&1 | tee "$logs/vm" || rc=$?
  if ! grep -q '^vm-run-[0-9a-f]*: exit [0-9]*' "$logs/vm"; then
    # vm-run's last word says why, in the line CI's summary repeats.
    why=$(sed -n 's/^vm-run: //p' "$logs/vm" | tail -n1)
    echo "FAIL: the output of $what was lost (vm-run status $rc${why:+: $why})"
  elif [ "$rc" -eq 126 ]; then
    echo "FAIL: the guest kernel reported errors during $what (listed above)"
  elif [ "$rc" -ne 0 ] && ! grep -q '^FAIL: \|^test .* FAILED$' "$logs/vm"; then
    echo "FAIL: $what did not finish (vm-run status $rc)"
  fi
  [ "$rc" -eq 0 ] || failed=$((failed + 1))
}
