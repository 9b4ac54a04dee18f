#!/bin/sh
# The debug lane's last checks, after the suite in the same boot of the
# debug kernel: kmemleak finds nothing unreferenced (nlecho's or anyone's),
# and lockdep is still on (it turns itself off after its first report, and
# other debug checks may switch it off too).
#
#   scripts/vm-run ... -- sh -c 'sh /root/suite.sh; sh /root/leaks-and-locks.sh'

. /root/lib.sh

grep -q ' /sys/kernel/debug ' /proc/mounts || mount -t debugfs debugfs /sys/kernel/debug
K=/sys/kernel/debug/kmemleak

no_leaks() {
  [ -e $K ] || { echo "no $K: is CONFIG_DEBUG_KMEMLEAK on?"; return 1; }
  for m in nlecho_stress nlecho_trigger nlecho c_echo; do unload $m; done
  # kmemleak reports an object only once it is older than 5 s and was
  # unreferenced in two scans.
  sleep 6
  echo scan >$K && echo scan >$K || return 1
  leaks=$(cat $K)
  [ -z "$leaks" ] && return 0
  echo "$leaks" | head -n 60
  echo "$leaks" | grep -c '^unreferenced object' | sed 's/$/ unreferenced objects/'
  return 1
}
check "kmemleak: no unreferenced object after the suite, the stress and every unload" no_leaks

locks_still_checked() {
  grep -q 'debug_locks: *1$' /proc/lockdep_stats && return 0
  grep 'debug_locks' /proc/lockdep_stats
  return 1
}
check "lockdep: debug_locks is still 1 (no lock report switched it off)" locks_still_checked

echo "leaks-and-locks.sh: $failures failed"
exit $failures
