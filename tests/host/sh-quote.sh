#!/usr/bin/env bash
# sh_quote, with which scripts/vm-run hands CMD to the guest, against the
# guest's own shell (the host's busybox, which vm-run copies in): every
# argument must come back as given, none split, expanded or globbed.
# One PASS:/FAIL: line per check.
set -euo pipefail
. "$(dirname "$0")/../../scripts/common.sh"
host_packages busybox-static

failed=0
# round_trip NAME ARG...: the guest's sh, given sh_quote ARG..., runs
# printf over exactly ARG...
round_trip() {
  local name=$1 want got; shift
  want=$(printf '<%s>\n' "$@")
  got=$(/bin/busybox sh -c "$(sh_quote printf '<%s>\n' "$@")" 2>&1) || true
  if [ "$got" = "$want" ]; then echo "PASS: vm-run quoting: $name"
  else printf 'want:\n%s\ngot:\n%s\n' "$want" "$got"; echo "FAIL: vm-run quoting: $name"; failed=$((failed + 1)); fi
}
round_trip "a script for sh -c stays one argument" 'echo a && echo "b c"'
round_trip "quotes, blanks and empty arguments" "it's" "x'y''z" "'" '' '  two  spaces  '
# shellcheck disable=SC2016 # literal on purpose: the guest must not expand them
round_trip "nothing expands: variables, globs, commands" '$HOME' '*' '$(id)' '`id`' '~' '\n' '&' ';'
round_trip "a newline inside an argument" $'first\nsecond'
exit $failed
