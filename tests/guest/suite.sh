#!/bin/sh
# The QEMU integration suite. Runs inside the guest (busybox sh) under
# `scripts/vm-run --no-load`; prints one PASS:/FAIL: line per check, and the
# Rust tests print their own libtest lines. tests/run counts both.

. /root/lib.sh

not_loaded_is_one_clear_line() {
  out=$(nlecho hello 2>&1); rc=$?
  echo "$out"
  [ $rc = 3 ] && [ "$(echo "$out" | wc -l)" = 1 ] && echo "$out" | grep -q 'is the nlecho module loaded'
}
check "hello without the module fails with one clear line and exit 3" not_loaded_is_one_clear_line

mark
check "insmod nlecho.ko" insmod $KO
check "dmesg says which protocol is served" sh -c 'dmesg | grep -q "nlecho: serving netlink protocol 30"'

check "nlecho hello round trip" sh -c 'nlecho hello | grep -q "^received \"Hello\" (5 bytes"'

# The Rust tests against the live module print their own libtest lines.
# Those named for other module parameters run alone below.
/root/kernel_tests --test-threads=2 --skip groups_1024 --skip classic_notify_1 2>&1 | grep -v '^$'

# Hostile input; one at a time, as they compare the module's counters.
# --show-output keeps the counts each scenario sent in the log.
/root/hostile_tests --test-threads=1 --show-output 2>&1 | grep -v '^$'

# The zero-copy echo (tests/guest/rust/zero_copy.rs); one at a time, as
# they compare the module's counters and one switches copy_echo.
/root/zero_copy_tests --test-threads=1 2>&1 | grep -v '^$'

# with_params PARAMS TEST: runs the Rust test TEST alone with nlecho loaded
# with PARAMS, then reloads nlecho with its defaults.
with_params() {
  rmmod nlecho && insmod $KO $1 || return 1
  /root/kernel_tests --exact "$2" --nocapture; rc=$?
  rmmod nlecho && insmod $KO && return $rc
}
check "groups=1024: the GET_GROUP dump spans several datagrams and stays consistent" \
  with_params groups=1024 with_groups_1024_the_dump_spans_several_datagrams_and_stays_consistent
sed -n 's/^NLECHO_DUMP_DATAGRAMS=/groups=1024: dump datagrams: /p' $T/check
check "classic_notify=1: notifications are NLMSG_DONE with the raw data" \
  with_params classic_notify=1 with_classic_notify_1_notifications_are_classic_done

# The CLI, kernel-initiated messages and the permission policy; each part
# expects nlecho loaded on protocol 30 and leaves it so.
for part in cli trigger policy libraries netns stress; do sh /root/$part.sh; done

check "classic client: SOCK_RAW, fixed port 1, NLMSG_LENGTH" /root/classic_client -t raw -b 1
check "classic client: SOCK_DGRAM, port getpid(), NLMSG_SPACE(1024)" /root/classic_client -t dgram -b pid -s
check "classic client: long message" /root/classic_client -m "$(printf '%0900d' 7)"

check "a second insmod fails" sh -c "! insmod $KO"
check "the module still answers after the failed insmod" nlecho hello

rmmod_while_busy() {
  holders=''
  for i in 1 2 3 4 5 6 7 8; do /root/classic_client -H 4 >/dev/null & holders="$holders $!"; done
  sleep 1
  err=$(rmmod nlecho 2>&1) && { kill $holders; echo "rmmod succeeded with 8 sockets open"; return 1; }
  echo "$err"
  loaded nlecho && nlecho hello || return 1
  wait $holders
  rmmod nlecho && ! loaded nlecho
}
check "rmmod fails (in use) while 8 client sockets are open, succeeds after" rmmod_while_busy
check "after rmmod hello reports the module is not loaded" not_loaded_is_one_clear_line

other_protocol() {
  insmod $KO protocol=31 || return 1
  dmesg | grep -q "nlecho: serving netlink protocol 31" || return 1
  /root/classic_client -p 31 -t dgram -b pid -s || return 1
  nlecho --protocol 31 hello || return 1
  # Protocol 30 is free again.
  out=$(nlecho hello 2>&1); [ $? = 3 ] || { echo "$out"; return 1; }
  rmmod nlecho
}
check "protocol=31 serves the classic client on 31" other_protocol

bad_protocol() {
  mark
  if insmod $KO protocol="$1"; then rmmod nlecho; echo "insmod protocol=$1 succeeded"; return 1; fi
  ! loaded nlecho && since_mark | grep -q "nlecho: cannot register netlink protocol $1: $2"
}
check "protocol=32 is refused as out of range in dmesg" bad_protocol 32 "out of range"
check "protocol=0 (NETLINK_ROUTE) is refused as reserved in dmesg" bad_protocol 0 "reserved for a kernel family"
check "protocol=2 (NETLINK_USERSOCK, no kernel socket) is refused as reserved" bad_protocol 2 "reserved for a kernel family"
in_use() {
  insmod /root/c_echo.ko protocol=29 || return 1
  bad_protocol 29 "already in use"; rc=$?
  rmmod c_echo && return $rc
}
check "protocol=29 while c_echo serves it is refused as in use in dmesg" in_use

malformed_counted() {
  insmod $KO || return 1
  mark
  out=$(/root/kernel_tests --exact malformed_datagrams_are_dropped_after_their_valid_prefix --nocapture 2>&1)
  echo "$out"
  sent=$(echo "$out" | sed -n 's/^NLECHO_MALFORMED_SENT=//p')
  rmmod nlecho || return 1
  [ -n "$sent" ] && since_mark | grep -q "malformed=$sent "
}
check "the module counts every malformed datagram" malformed_counted

cycles() {
  i=0
  while [ $i -lt 50 ]; do
    insmod $KO || return 1
    nlecho hello >/dev/null || return 1
    /root/classic_client >/dev/null || return 1
    rmmod nlecho || return 1
    i=$((i + 1))
  done
  ! loaded nlecho
}
check "50 insmod/traffic/rmmod cycles" cycles
check "a client started after rmmod says the module is not loaded" not_loaded_is_one_clear_line

# /root/installed is what `make install DESTDIR=...` put in lib/modules.
on_demand() {
  unload nlecho
  mkdir -p /lib && cp -r /root/installed /lib/modules || return 1
  ! loaded nlecho || return 1
  nlecho hello | grep -q '^received "Hello"' || return 1
  loaded nlecho || { echo "hello worked but nlecho is not in /proc/modules"; return 1; }
  rmmod nlecho && rm -rf /lib/modules
}
check "installed, the first socket() on protocol 30 loads nlecho via its alias" on_demand

# The file's owner is the module (DEFINE_SHOW_ATTRIBUTE), so an open file
# pins it: closing it after an rmmod would otherwise run freed module code.
debugfs_stats() {
  grep -q ' /sys/kernel/debug ' /proc/mounts || mount -t debugfs debugfs /sys/kernel/debug || return 1
  unload nlecho; insmod $KO || return 1
  nlecho hello >/dev/null || return 1
  f=/sys/kernel/debug/nlecho/stats
  # The hello is one ECHO in its datagram, without NLM_F_ACK: answered
  # without copying (copy_echo=0, the default).
  [ "$(tr '\n' ' ' <$f)" = "received 1 echoed 1 broadcast 0 dropped 0 malformed 0 errors 0 bytes 5 zero_copy 1 " ] ||
    { cat $f; return 1; }
  exec 3<$f
  if rmmod nlecho 2>/dev/null; then exec 3<&-; echo "rmmod succeeded with the stats file open"; return 1; fi
  nlecho hello >/dev/null || { exec 3<&-; return 1; }
  exec 3<&-
  rmmod nlecho && [ ! -e $f ]
}
check "debugfs stats: exact counters; an open stats file keeps rmmod from unloading" debugfs_stats

check "the guest kernel reported no error (scripts/kernel-reports on dmesg)" dmesg_clean

unload nlecho
exit $failures
