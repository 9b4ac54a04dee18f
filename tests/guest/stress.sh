#!/bin/sh
# Concurrency stress: nlecho_stress.ko calls nlecho's helpers from a
# kthread and a timer, in every namespace, while in user space echo
# clients, group dumps, multicast listeners, a unicast listener, namespace
# churn, debugfs readers and rmmod attempts run alongside. Then the
# counters must add up, nlecho must unload cleanly, and the kernel must
# have reported nothing (the detectors vm-run boots with). Runs in the
# guest with nlecho.ko loaded on protocol 30 and leaves it so.
#
#   scripts/vm-run --file tests/guest/lib.sh --file tests/guest/stress.sh -- sh /root/stress.sh
#
# STRESS_SECONDS (default 10) is how long the stress module runs.

. /root/lib.sh

STRESS=/root/nlecho_stress.ko
SECONDS_=${STRESS_SECONDS:-10}
PORT=4200
D=/sys/kernel/debug/nlecho
grep -q ' /sys/kernel/debug ' /proc/mounts || mount -t debugfs debugfs /sys/kernel/debug

# loop NAME CMD...: runs CMD until $T/stop exists, counting its successes
# and failures in $T/NAME.ok and $T/NAME.fail; its pid goes in $NAME.
loop() {
  n=$1; shift
  ( ok=0 bad=0
    until [ -e $T/stop ]; do
      if "$@" >/dev/null 2>>$T/$n.err; then ok=$((ok + 1)); else bad=$((bad + 1)); fi
    done
    echo $ok >$T/$n.ok; echo $bad >$T/$n.fail ) &
  eval "$n=$!"
}
# Reads from the loops once they have stopped.
ok() { cat $T/$1.ok; }
failed() { cat $T/$1.fail; }
# stat NAME: one counter of the initial namespace, from debugfs.
stat() { sed -n "s/^$1 //p" $D/stats; }
# tally CONTEXT ROW FIELD: what nlecho_stress logged at unload.
tally() { dmesg | sed -n "s/.*nlecho_stress: $1 $2 .*$3=\([0-9]*\).*/\1/p" | tail -n1; }
both() { echo $(($(tally process "$1" "$2") + $(tally softirq "$1" "$2"))); }
# equal WHAT A B: says what differs.
equal() { [ "$2" = "$3" ] || { echo "$1: $2 != $3"; return 1; }; }

stress() {
  rm -f $T/stop
  nlecho stats --reset >/dev/null || return 1
  start u nlecho --timeout 0 peer listen --port $PORT || return 1
  start g nlecho --timeout 0 listen --group 1 2 || return 1
  loop hello nlecho --timeout 20000 hello
  loop hello2 nlecho --timeout 20000 hello
  loop dump nlecho groups
  loop netns unshare -n nlecho --timeout 20000 hello
  loop debugfs cat $D/stats $D/namespaces
  # Every attempt must fail: nlecho_stress uses nlecho, and so do sockets.
  loop rmmod rmmod nlecho
  mark
  insmod $STRESS port=$PORT group=1 || { touch $T/stop; kill $u $g; return 1; }
  sleep "$SECONDS_"
  rmmod nlecho_stress || return 1
  touch $T/stop
  wait $hello $hello2 $dump $netns $debugfs $rmmod
  # The unicast listener has what the helpers delivered once it drained
  # its queue (up to 30 s); SIGTERM then ends it.
  i=0 delivered=$(both unicast ok)
  while [ "$(grep -c 'NOTIFY, unicast' $T/u.out)" -lt "$delivered" ] && [ $i -lt 300 ]; do
    usleep 100000; i=$((i + 1))
  done
  kill $g $u; finish u
  # 0: ended by SIGTERM; 6: it also saw overruns (ENOBUFS).
  [ $rc = 0 ] || [ $rc = 6 ] || { echo "unicast listener: exit $rc"; cat $T/u.err; return 1; }
  since_mark | grep 'nlecho_stress: \(process\|softirq\)'
  received=$(grep -c 'NOTIFY, unicast' $T/u.out)
  run nlecho groups --group 1; expect_rc 0 || return 1
  group_dropped=$(sed -n 's/.*dropped \([0-9]*\).*/\1/p' $T/out)
  echo "stress figures: ${SECONDS_} s: unicasts $(both unicast ok) delivered, $(both unicast again) dropped;" \
    "broadcasts $(both broadcast ok); in other namespaces $(both net ok);" \
    "echoes $(($(ok hello) + $(ok hello2))); dumps $(ok dump); namespaces $(ok netns);" \
    "debugfs reads $(ok debugfs); rmmod attempts $(failed rmmod)" | tee $T/figures

  for row in unicast broadcast net; do
    equal "$row: errnos the helpers' contract rules out" "$(both $row other)" 0 || return 1
  done
  equal "unicasts refused (the listener was there throughout)" "$(both unicast refused)" 0 || return 1
  equal "unicasts the listener got vs. the helpers' successes" "$received" "$(both unicast ok)" || return 1
  equal "nlecho's broadcast counter vs. the helpers' successes" \
    "$(stat broadcast)" "$(($(both unicast ok) + $(both broadcast ok)))" || return 1
  equal "nlecho's dropped counter vs. unicasts dropped and group 1's misses" \
    "$(stat dropped)" "$(($(both unicast again) + group_dropped))" || return 1
  equal "nlecho's echoed counter vs. the hellos answered" "$(stat echoed)" "$(($(ok hello) + $(ok hello2)))" || return 1
  # Each hello is one ECHO in its datagram, without NLM_F_ACK: zero-copy.
  equal "nlecho's zero_copy counter vs. the hellos answered" "$(stat zero_copy)" "$(($(ok hello) + $(ok hello2)))" || return 1
  for n in hello hello2 dump netns debugfs; do
    equal "$n: failures" "$(failed $n)" 0 || { cat $T/$n.err; return 1; }
    [ "$(ok $n)" -gt 0 ] || { echo "$n never ran"; return 1; }
  done
  equal "rmmod nlecho succeeded while in use" "$(ok rmmod)" 0 || return 1
  [ "$(failed rmmod)" -gt 0 ] || { echo "rmmod never ran"; return 1; }
  [ "$(both net ok)" -gt 0 ] || { echo "no broadcast reached another namespace"; return 1; }
}
check "stress: helpers from a kthread and a timer in every namespace, against clients, namespace churn and rmmod" stress
cat $T/figures

unloads_cleanly() {
  mark
  rmmod nlecho || return 1
  since_mark | grep -q 'nlecho: released netlink protocol 30' || { since_mark; return 1; }
  insmod $KO && nlecho hello >/dev/null
}
check "after the stress nlecho unloads cleanly and loads again" unloads_cleanly
check "the kernel reported no error during the stress" sh -c 'dmesg | kernel-reports'

echo "stress.sh: $failures failed"
exit $failures
