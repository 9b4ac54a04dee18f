#!/bin/sh
# Kernel-initiated messages: nlecho_trigger.ko, another module, calls
# nlecho's exported unicast and broadcast helpers on load. Runs in the guest
# with nlecho.ko loaded on protocol 30; leaves it loaded.
#
#   scripts/vm-run --file tests/guest/lib.sh --file tests/guest/trigger.sh -- sh /root/trigger.sh

. /root/lib.sh

TRIGGER=/root/nlecho_trigger.ko

# trigger ARGS...: loads nlecho_trigger with ARGS, then unloads it again.
trigger() {
  insmod $TRIGGER "$@" || return 1
  rmmod nlecho_trigger
}

trigger_unicast() {
  start p nlecho --timeout 5000 peer listen --port 4100 --count 1 || return 1
  mark
  trigger port=4100 message=unicast-from-the-kernel || { kill $p; return 1; }
  finish p; expect_rc 0 || { cat $T/p.err; return 1; }
  [ "$(cat $T/p.out)" = 'kernel: type 0x14 NOTIFY, unicast, seq 0, 23 bytes: "unicast-from-the-kernel"' ] ||
    { cat $T/p.out; return 1; }
  since_mark | grep -q 'nlecho_trigger: sent 23 bytes to port 4100'
}
check "nlecho_trigger port=P: the listener on port P gets a NOTIFY for group 0" trigger_unicast

trigger_broadcast() {
  start a nlecho --timeout 5000 listen --group 3 --count 1 || return 1
  start b nlecho --timeout 5000 listen --group 3 4 --count 1 || return 1
  start c nlecho --timeout 1500 listen --group 4 || return 1
  trigger group=3 message=to-group-3 || { kill $a $b $c; return 1; }
  for n in a b; do
    finish $n; expect_rc 0 || return 1
    [ "$(cat $T/$n.out)" = 'kernel group 3: type 0x14 NOTIFY, group 3, seq 0, 10 bytes: "to-group-3"' ] ||
      { cat $T/$n.out; return 1; }
  done
  # The listener on group 4 only times out.
  finish c; [ $rc = 4 ] && [ ! -s $T/c.out ] || { echo "group 4 listener: exit $rc"; cat $T/c.out; return 1; }
}
check "nlecho_trigger group=3: both group 3 listeners get it, the group 4 one does not" trigger_broadcast

trigger_both_default_message() {
  start p nlecho --timeout 5000 peer listen --port 4101 --group 2 --count 2 || return 1
  trigger port=4101 group=2 || { kill $p; return 1; }
  finish p; expect_rc 0 || return 1
  grep -qx 'kernel: type 0x14 NOTIFY, unicast, seq 0, 25 bytes: "Hello from nlecho_trigger"' $T/p.out &&
    grep -qx 'kernel group 2: type 0x14 NOTIFY, group 2, seq 0, 25 bytes: "Hello from nlecho_trigger"' $T/p.out ||
    { cat $T/p.out; return 1; }
}
check "nlecho_trigger with both port and group sends the default message to each" trigger_both_default_message

# The helpers' messages count in the namespace's counters and the group's.
trigger_counted() {
  nlecho stats --reset >/dev/null || return 1
  start p nlecho --timeout 5000 peer listen --port 4102 --count 1 || return 1
  trigger port=4102 group=22 message=counted || { kill $p; return 1; }
  finish p; expect_rc 0 || return 1
  run nlecho groups --group 22; expect_rc 0 || return 1
  [ "$(cat $T/out)" = 'group 22: no listeners, sent 1, dropped 0' ] || { cat $T/out; return 1; }
  run nlecho --json stats; expect_rc 0 || return 1
  out_has '"broadcast":2,' || return 1
}
check "nlecho_trigger: its unicast and broadcast count in broadcast, the group's in sent" trigger_counted

trigger_classic_notify() {
  rmmod nlecho && insmod $KO classic_notify=1 || return 1
  start p nlecho --timeout 5000 peer listen --port 4103 --group 2 --count 2 || return 1
  trigger port=4103 group=2 message=classic || { kill $p; return 1; }
  finish p; expect_rc 0 || return 1
  grep -qx 'kernel: type 0x3 DONE, seq 0, 7 bytes: "classic"' $T/p.out &&
    grep -qx 'kernel group 2: type 0x3 DONE, seq 0, 7 bytes: "classic"' $T/p.out || { cat $T/p.out; return 1; }
  rmmod nlecho && insmod $KO
}
check "nlecho_trigger with classic_notify=1: NLMSG_DONE with the raw data" trigger_classic_notify

trigger_failures() {
  mark
  # Nobody is bound to port 4199: the unicast fails and so does the load.
  ! insmod $TRIGGER port=4199 || { rmmod nlecho_trigger; echo "insmod succeeded"; return 1; }
  since_mark | grep -q 'nlecho_trigger: unicast to port 4199 failed: error -111' || return 1
  ! insmod $TRIGGER group=33 || { rmmod nlecho_trigger; echo "insmod group=33 succeeded"; return 1; }
  since_mark | grep -q 'nlecho_trigger: broadcast to group 33 failed: error -34' || return 1
  # A group nobody listens to is not an error, as for nlmsg_multicast().
  trigger group=9 && ! loaded nlecho_trigger
}
check "nlecho_trigger: an unbound port or a bad group fails the load with its errno" trigger_failures

trigger_needs_nlecho() {
  rmmod nlecho || return 1
  ! insmod $TRIGGER group=1 2>/dev/null || { rmmod nlecho_trigger; echo "insmod succeeded"; return 1; }
  insmod $KO
}
check "nlecho_trigger does not load without nlecho (its symbols are missing)" trigger_needs_nlecho

echo "trigger.sh: $failures failed"
exit $failures
