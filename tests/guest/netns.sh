#!/bin/sh
# One service per network namespace: each namespace echoes and dumps on its
# own, broadcasts and counters stay in their namespace, a socket in a child
# namespace pins the module, a namespace's service goes with it, and root of
# a user namespace administers its own network namespace only. Runs in the
# guest with nlecho.ko loaded on protocol 30 and leaves it so.
#
#   scripts/vm-run --file tests/guest/lib.sh --file tests/guest/netns.sh -- sh /root/netns.sh

. /root/lib.sh

D=/sys/kernel/debug/nlecho
grep -q ' /sys/kernel/debug ' /proc/mounts || mount -t debugfs debugfs /sys/kernel/debug

# A namespace kept alive by a sleeping process; `in_ns NAME CMD...` runs CMD
# in it, `end_ns NAME` lets it go.
new_ns() {
  unshare -n sleep 600 &
  eval "$1=$!"
  usleep 200000
}
in_ns() { eval "p=\$$1"; shift; nsenter -t "$p" -n "$@"; }
end_ns() { eval "kill \$$1; wait \$$1" 2>/dev/null; }

# served N: the module serves N namespaces, once the kernel's asynchronous
# namespace cleanup has caught up (up to 10 s).
served() {
  i=0
  while [ "$(cat $D/namespaces)" != "$1" ]; do
    i=$((i + 1))
    [ $i -gt 100 ] && { echo "nlecho serves $(cat $D/namespaces) namespaces, wanted $1"; return 1; }
    usleep 100000
  done
}

# The objects in use in a slab cache, once its per-CPU slabs are flushed
# and freed namespaces have passed their RCU grace period.
slab_objects() {
  sleep 1
  echo 1 >/sys/kernel/slab/$1/shrink
  cut -d' ' -f1 /sys/kernel/slab/$1/objects
}

check "one namespace served after load" served 1

new_ns a; new_ns b
check "a new namespace gets its own service (3 served)" served 3

each_echoes_and_dumps() {
  for ns in a b; do
    in_ns $ns nlecho hello | grep -q '^received "Hello"' || { echo "no echo in $ns"; return 1; }
    n=$(in_ns $ns nlecho --json groups | grep -c '"group":')
    [ "$n" = 32 ] || { echo "the dump in $ns listed $n groups, wanted 32"; return 1; }
  done
}
check "each namespace echoes and dumps its 32 groups" each_echoes_and_dumps

stats_are_separate() {
  nlecho stats --reset && in_ns a nlecho stats --reset && in_ns b nlecho stats --reset || return 1
  in_ns a nlecho hello >/dev/null && in_ns a nlecho hello >/dev/null || return 1
  # STATS counts itself in `received` before it answers.
  in_ns a nlecho stats | grep -qx 'echoed 2' || { in_ns a nlecho stats; return 1; }
  in_ns b nlecho stats | grep -qx 'echoed 0' || { in_ns b nlecho stats; return 1; }
  nlecho stats | grep -qx 'echoed 0' || { nlecho stats; return 1; }
  grep -qx 'echoed 0' $D/stats || { cat $D/stats; return 1; }
}
check "counters are per namespace (STATS and debugfs)" stats_are_separate

broadcasts_stay() {
  start la in_ns a nlecho --timeout 3000 listen --group 5 --count 1 || return 1
  start lb in_ns b nlecho --timeout 3000 listen --group 5 --count 1 || return 1
  in_ns b nlecho broadcast --group 5 to-b >/dev/null || return 1
  finish lb; expect_rc 0 || { cat $T/lb.err; return 1; }
  grep -q 'to-b' $T/lb.out || { cat $T/lb.out; return 1; }
  finish la
  # a's listener timed out (exit 4): b's broadcast did not reach it.
  [ "$rc" = 4 ] || { echo "a's listener exited $rc:"; cat $T/la.out $T/la.err; return 1; }
  ! grep -q 'to-b' $T/la.out
}
check "a broadcast reaches its own namespace's listeners only" broadcasts_stay

pins_module() {
  in_ns a /root/classic_client -H 3 >/dev/null &
  holder=$!
  usleep 500000
  if rmmod nlecho 2>/dev/null; then echo "rmmod succeeded with a socket open in a child namespace"; return 1; fi
  wait $holder
  end_ns a; end_ns b
  rmmod nlecho || return 1
  insmod $KO && served 1
}
check "a socket in a child namespace blocks rmmod; rmmod works once it closes" pins_module

many_namespaces() {
  [ -d /sys/kernel/slab/net_namespace ] || { echo "no /sys/kernel/slab/net_namespace"; return 1; }
  before=$(slab_objects net_namespace)
  i=0
  while [ $i -lt 20 ]; do
    unshare -n nlecho hello >/dev/null || { echo "hello failed in namespace $i"; return 1; }
    i=$((i + 1))
  done
  served 1 || return 1
  after=$(slab_objects net_namespace)
  echo "NLECHO_NETNS_SLAB net_namespace before=$before after=$after" | tee $T/slab
  [ "$after" -le "$before" ] || { echo "net_namespace objects grew from $before to $after"; return 1; }
  # A kernel socket left behind would keep the protocol registered.
  rmmod nlecho || return 1
  run nlecho hello; expect_rc 3 || return 1
  insmod $KO
}
check "20 namespaces created and destroyed: services, namespaces and sockets all go" many_namespaces
cat $T/slab 2>/dev/null

userns_admin() {
  # Root of a new user namespace has CAP_NET_ADMIN over the network
  # namespace it creates, and over nothing else.
  run as_nobody unshare -rn nlecho broadcast --group 5 x; expect_rc 0 || return 1
  run as_nobody unshare -rn nlecho stats --reset; expect_rc 0 || return 1
  run as_nobody nlecho broadcast --group 5 x; expect_rc 5 || return 1
  err_has 'EPERM'
}
check "root of a user namespace may broadcast and reset in its own network namespace only" userns_admin

exit $failures
