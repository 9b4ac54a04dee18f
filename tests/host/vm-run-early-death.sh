#!/usr/bin/env bash
# scripts/vm-run with a guest whose kernel panics before init runs (it is
# told to start a missing init): booted exactly once more, said on
# stderr, then status 125 with the panic named.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=$(mktemp /tmp/nlecho-early.XXXXXX)
trap 'rm -f "$out"' EXIT
rc=0
KERNEL_ARGS="rdinit=/nonexistent init=/nonexistent" \
  scripts/vm-run --no-load --timeout 300 -- true >"$out" 2>&1 || rc=$?
fail() { grep '^vm-run' "$out"; echo "$*"; exit 1; }
[ "$rc" -eq 125 ] || fail "vm-run exited $rc, not 125"
# The first death's cause is whatever the kernel said first (a busy host
# may add its own); the second is the missing init's panic.
[ "$(grep -c '^vm-run: the guest died before its init ran (.*); booting once more$' "$out")" -eq 1 ] \
  || fail "not exactly one second boot"
grep -q '^vm-run: the guest stopped without reporting a status (.*Kernel panic' "$out" \
  || fail "the final status line does not name the panic"
