#!/bin/sh
# The permission policy as uid 65534 (nobody): echo, STATS and GET_GROUP
# are open to every user, BROADCAST and RESET_STATS need CAP_NET_ADMIN, and joining groups
# or sending to other ports follow nonroot_recv and nonroot_send. Runs in the
# guest with nlecho.ko loaded; reloads it with each setting, then restores
# the defaults.
#
#   scripts/vm-run --file tests/guest/lib.sh --file tests/guest/policy.sh -- sh /root/policy.sh

. /root/lib.sh

# reload PARAMS...: nlecho with these parameters.
reload() { rmmod nlecho && insmod $KO "$@"; }

# What nobody may do whatever the parameters say.
nobody_basics() {
  run as_nobody nlecho send hi; expect_rc 0 || return 1
  out_has '2 bytes: "hi"$' || return 1
  run as_nobody nlecho stats; expect_rc 0 || return 1
  run as_nobody nlecho groups; expect_rc 0 || return 1
  [ "$(wc -l <$T/out)" = 32 ] || { cat $T/out; return 1; }
  run as_nobody nlecho groups --group 5; expect_rc 0 || return 1
  run as_nobody nlecho broadcast --group 5 x; expect_rc 5 || return 1
  one_error_line && err_has '^nlecho: broadcast: Error: needs CAP_NET_ADMIN\. \(EPERM\)$' || return 1
  run as_nobody nlecho stats --reset; expect_rc 5 || return 1
  one_error_line && err_has '^nlecho: stats: Error: needs CAP_NET_ADMIN\. \(EPERM\)$'
}

# nobody_joins: nobody listens on group 6 and gets a root BROADCAST.
nobody_joins() {
  start l as_nobody nlecho --timeout 5000 listen --group 6 --count 1 || return 1
  nlecho broadcast --group 6 to-nobody >/dev/null || { kill $l; return 1; }
  finish l; expect_rc 0 || { cat $T/l.err; return 1; }
  grep -q '"to-nobody"$' $T/l.out || { cat $T/l.out; return 1; }
}
nobody_may_not_join() {
  run as_nobody nlecho --timeout 1000 listen --group 6; expect_rc 1 || return 1
  one_error_line && err_has 'joining a group needs CAP_NET_ADMIN'
}

# nobody_sends: nobody's peer send reaches a root listener on port 4200.
nobody_sends() {
  start p nlecho --timeout 5000 peer listen --port 4200 --count 1 || return 1
  run as_nobody nlecho peer send --to-port 4200 from-nobody
  [ "$rc" = 0 ] || kill $p
  expect_rc 0 || return 1
  finish p; expect_rc 0 || return 1
  grep -q '"from-nobody"$' $T/p.out || { cat $T/p.out; return 1; }
}
nobody_may_not_send() {
  run as_nobody nlecho peer send --to-port 4200 x; expect_rc 1 || return 1
  one_error_line && err_has 'Operation not permitted'
}

defaults() {
  reload && nobody_basics && nobody_may_not_join && nobody_may_not_send
}
check "defaults: nobody echoes, reads stats and groups, but may not broadcast, reset, join or send" defaults

recv_only() {
  reload nonroot_recv=1 && nobody_basics && nobody_joins && nobody_may_not_send
}
check "nonroot_recv=1: nobody may join groups, still not send to ports" recv_only

send_only() {
  reload nonroot_send=1 && nobody_basics && nobody_may_not_join && nobody_sends
}
check "nonroot_send=1: nobody may send to ports, still not join groups" send_only

both() {
  reload nonroot_recv=1 nonroot_send=1 && nobody_basics && nobody_joins && nobody_sends
}
check "nonroot_recv=1 nonroot_send=1: nobody may join and send; BROADCAST still needs CAP_NET_ADMIN" both

bad_flag() {
  rmmod nlecho || return 1
  mark
  ! insmod $KO nonroot_recv=2 || { echo "insmod nonroot_recv=2 succeeded"; return 1; }
  since_mark | grep -q 'nlecho: nonroot_recv=2' || { since_mark; return 1; }
  insmod $KO
}
check "nonroot_recv=2 is refused with a dmesg line" bad_flag

echo "policy.sh: $failures failed"
exit $failures
