#!/bin/sh
# The nlecho CLI against the real module, inside the guest (busybox sh, as
# root, nlecho.ko loaded on protocol 30, nlecho on PATH). One PASS:/FAIL:
# line per check, as in suite.sh; exits with the number of failures.
#
#   scripts/vm-run --file tests/guest/lib.sh --file tests/guest/cli.sh -- sh /root/cli.sh
#
# Counter checks are exact, so nothing else may talk to the module while
# this runs. Privilege checks run commands as nobody with busybox su.

. /root/lib.sh

# ---- help and usage ----

help_documents_everything() {
  run nlecho --help; expect_rc 0 || return 1
  for w in hello send listen broadcast stats groups peer 'Exit status' '3  the module is not loaded' \
    '4  nothing arrived' '5  the kernel answered with an error' '6  messages were lost'; do
    out_has "$w" || return 1
  done
}
check "nlecho --help lists the subcommands and exit statuses" help_documents_everything

every_help_has_an_example() {
  for c in hello send listen broadcast stats groups 'peer listen' 'peer send'; do
    # shellcheck disable=SC2086 # word splitting of "peer listen" wanted
    run nlecho $c --help; expect_rc 0 || return 1
    out_has '^Examples?:' || { echo "in: nlecho $c --help"; return 1; }
  done
}
check "every subcommand's --help has an example" every_help_has_an_example

usage_is_2() {
  run nlecho send; expect_rc 2 || return 1
  run nlecho listen; expect_rc 2 || return 1
  run nlecho peer send --to-port 1 --group 2 x; expect_rc 2
}
check "bad usage exits 2" usage_is_2

check "nlecho hello round trip" sh -c 'nlecho hello | grep -q "^received \"Hello\" (5 bytes"'

# ---- send ----

send_echoes() {
  run nlecho send Hello; expect_rc 0 || return 1
  out_has '^kernel: type 0x10 ECHO, seq 1, 5 bytes: "Hello"$'
}
check "send echoes its argument" send_echoes

send_ack() {
  run nlecho send --ack Hello; expect_rc 0 || return 1
  [ "$(wc -l <$T/out)" = 2 ] || { cat $T/out; return 1; }
  out_has '^kernel: type 0x10 ECHO, seq 1, 5 bytes' && [ "$(tail -n 1 $T/out)" = "kernel: ack, seq 1" ]
}
check "send --ack prints the echo, then the ACK" send_ack

send_count_seq() {
  run nlecho send --count 5 --seq 100 x; expect_rc 0 || return 1
  [ "$(grep -c 'ECHO, seq 10[0-4], 1 bytes: "x"' $T/out)" = 5 ] || { cat $T/out; return 1; }
  [ "$(sed -n 's/.*seq \([0-9]*\),.*/\1/p' $T/out | tr '\n' ' ')" = "100 101 102 103 104 " ]
}
check "send --count 5 --seq 100: five echoes, seq 100-104 in order" send_count_seq

send_stdin() {
  printf 'from\nstdin' | nlecho send - >$T/out 2>$T/err; rc=$?
  expect_rc 0 && out_has '10 bytes: "from\\nstdin"$'
}
check "send - reads the payload from stdin" send_stdin

send_file() {
  head -c 65520 /dev/zero | tr '\0' a >$T/max
  run nlecho send --file $T/max; expect_rc 0 || return 1
  out_has '65520 bytes: "aaaa' || return 1
  printf '\377\000\001' >$T/bin
  run nlecho send --file $T/bin; expect_rc 0 || return 1
  out_has '3 bytes: hex ff0001$' || return 1
  echo a >>$T/max
  run nlecho send --file $T/max; expect_rc 1 || return 1
  one_error_line && err_has 'exceeds the protocol.s maximum of 65520 bytes'
}
check "send --file: the largest payload, binary data, and one byte too many" send_file

send_classic() {
  run nlecho send --type classic 'Hello kernel'; expect_rc 0 || return 1
  out_has '^kernel: type 0x3 DONE, seq 1, 12 bytes: "Hello kernel"$'
}
check "send --type classic (0) is answered with NLMSG_DONE" send_classic

# A DONE is final: no ACK follows it, and send does not wait for one.
send_classic_ack() {
  run nlecho --timeout 1000 send --type classic --ack --count 2 'Hello kernel'; expect_rc 0 || return 1
  [ "$(wc -l <$T/out)" = 2 ] || { cat $T/out; return 1; }
  [ "$(grep -c '^kernel: type 0x3 DONE, seq [12], 12 bytes: "Hello kernel"$' $T/out)" = 2 ] || { cat $T/out; return 1; }
  ! grep -q ack $T/out
}
check "send --type classic --ack: only the DONE, no ACK after it" send_classic_ack

send_unknown_type() {
  for ack in '' --ack; do
    run nlecho send --type 0x1f $ack x; expect_rc 5 || return 1
    one_error_line || return 1
    err_has '^nlecho: send: Error: unknown message type\. \(EOPNOTSUPP\)$' || return 1
  done
}
check "send --type 0x1f: exit 5, the kernel's extended ACK in one line" send_unknown_type

send_bad_attributes() {
  # A BROADCAST without DATA: the kernel names the missing attribute (2).
  printf '\010\000\001\000\005\000\000\000' >$T/group5
  run nlecho send --type broadcast --file $T/group5; expect_rc 5 || return 1
  one_error_line && err_has '^nlecho: send: Error: missing attribute\. \(EINVAL, missing attribute type 2\)$'
}
check "send: a BROADCAST without DATA names the missing attribute" send_bad_attributes

# ---- broadcast and listen ----

listen_broadcast() {
  start l nlecho --timeout 5000 listen --group 5 --count 2 || return 1
  run nlecho broadcast --group 5 one; expect_rc 0 || return 1
  out_has '^broadcast 3 bytes to group 5: acknowledged, seq 1$' || return 1
  run nlecho broadcast --group 5 two; expect_rc 0 || return 1
  finish l; expect_rc 0 || { cat $T/l.err; return 1; }
  grep -qE '^kernel( group 5)?: type 0x14 NOTIFY, group 5, seq 0, 3 bytes: "one"$' $T/l.out &&
    grep -qE '^kernel( group 5)?: type 0x14 NOTIFY, group 5, seq 0, 3 bytes: "two"$' $T/l.out || { cat $T/l.out; return 1; }
}
check "listen --count 2 prints two NOTIFYs to its group, decoded, then exits 0" listen_broadcast

listen_groups() {
  start a nlecho --timeout 5000 listen --group 5 6 --count 2 || return 1
  start b nlecho --timeout 4000 listen --group 6 || return 1
  nlecho broadcast --group 5 five >/dev/null && nlecho broadcast --group 7 seven >/dev/null &&
    nlecho broadcast --group 6 six >/dev/null || return 1
  finish a; expect_rc 0 || return 1
  [ "$(grep -cE '^kernel( group [56])?: .*"(five|six)"$' $T/a.out)" = 2 ] || { cat $T/a.out; return 1; }
  finish b; [ $rc = 4 ] || { echo "group 6 listener: exit $rc"; return 1; }
  grep -qE '^kernel( group 6)?: type 0x14 NOTIFY, group 6, seq 0, 3 bytes: "six"$' $T/b.out &&
    [ "$(wc -l <$T/b.out)" = 1 ] || { cat $T/b.out; return 1; }
}
check "listen on groups 5 and 6 gets both; group 6 alone gets only its own" listen_groups

# The group comes from NETLINK_CB(skb).dst_group, which the module must set
# when it multicasts (as nlmsg_multicast() does).
listen_shows_group() {
  start l nlecho --timeout 5000 listen --group 13 --count 1 || return 1
  nlecho broadcast --group 13 g >/dev/null || return 1
  finish l; expect_rc 0 || return 1
  grep -q '^kernel group 13: ' $T/l.out || { cat $T/l.out; return 1; }
}
check "listen shows the group of a kernel BROADCAST" listen_shows_group

broadcast_range() {
  for g in 0 33; do
    run nlecho broadcast --group $g x; expect_rc 5 || return 1
    one_error_line && err_has '^nlecho: broadcast: Error: no such group\. \(ERANGE, attribute at offset 16\)$' || return 1
  done
}
check "broadcast to group 0 or 33: exit 5, ERANGE pointing at GROUP" broadcast_range

nobody_is_refused() {
  [ "$(as_nobody id -u)" = 65534 ] || { echo "su nobody does not work"; return 1; }
  run as_nobody nlecho broadcast --group 5 x; expect_rc 5 || return 1
  one_error_line || return 1
  err_has '^nlecho: broadcast: Error: needs CAP_NET_ADMIN\. \(EPERM\)$' || return 1
  run as_nobody nlecho stats --reset; expect_rc 5 || return 1
  one_error_line && err_has '^nlecho: stats: Error: needs CAP_NET_ADMIN\. \(EPERM\)$' || return 1
  run as_nobody nlecho --timeout 1000 listen --group 5; expect_rc 1 || return 1
  one_error_line && err_has 'joining a group needs CAP_NET_ADMIN' || return 1
  run as_nobody nlecho peer send --to-port 1 x; expect_rc 1 || return 1
  one_error_line && err_has 'Operation not permitted \(sending to another port or a group needs CAP_NET_ADMIN' || return 1
  # What every user may do.
  run as_nobody nlecho stats; expect_rc 0 || return 1
  run as_nobody nlecho groups; expect_rc 0 || return 1
  run as_nobody nlecho send hi; expect_rc 0
}
check "as nobody: BROADCAST, RESET_STATS, joins and peer sends are refused in one line" nobody_is_refused

# ---- stats ----

stats_exact() {
  run nlecho stats; expect_rc 0 || return 1
  [ "$(cut -d' ' -f1 $T/out | tr '\n' ' ')" = "received echoed broadcast dropped malformed errors bytes zero_copy " ] ||
    { cat $T/out; return 1; }
  run nlecho stats --reset; expect_rc 0 || return 1
  out_has '^counters reset$' || return 1
  nlecho send --count 3 abc >/dev/null || return 1
  nlecho send --type 0x1f x 2>/dev/null
  run nlecho stats; expect_rc 0 || return 1
  # The reset zeroed its own count; then 3 echoes, 1 error, this STATS.
  # Each echo is one ECHO per datagram without NLM_F_ACK: zero-copy.
  [ "$(tr '\n' ' ' <$T/out)" = "received 5 echoed 3 broadcast 0 dropped 0 malformed 0 errors 1 bytes 9 zero_copy 3 " ] ||
    { cat $T/out; return 1; }
}
check "stats --reset, then the counters match exactly what was sent" stats_exact

# ---- groups ----

groups_dump() {
  run nlecho groups; expect_rc 0 || return 1
  [ "$(wc -l <$T/out)" = 32 ] || { cat $T/out; return 1; }
  [ "$(grep -cE '^group [0-9]+: (has|no) listeners, sent [0-9]+, dropped [0-9]+$' $T/out)" = 32 ] || { cat $T/out; return 1; }
  [ "$(sed 's/:.*//' $T/out | tr '\n' ' ')" = "$(i=1; while [ $i -le 32 ]; do printf 'group %d ' $i; i=$((i + 1)); done)" ] ||
    { cat $T/out; return 1; }
  run nlecho groups --group 32; expect_rc 0 || return 1
  out_has '^group 32: (has|no) listeners, sent [0-9]+, dropped [0-9]+$' && [ "$(wc -l <$T/out)" = 1 ]
}
check "groups: the dump lists groups 1-32 in order, --group one of them" groups_dump

groups_follow_broadcasts() {
  run nlecho stats --reset; expect_rc 0 || return 1
  out_has '^counters reset$' || return 1
  run nlecho groups --group 21; expect_rc 0 || return 1
  [ "$(cat $T/out)" = 'group 21: no listeners, sent 0, dropped 0' ] || { cat $T/out; return 1; }
  start l nlecho --timeout 5000 listen --group 21 --count 2 || return 1
  run nlecho groups --group 21; expect_rc 0 || return 1
  [ "$(cat $T/out)" = 'group 21: has listeners, sent 0, dropped 0' ] || { kill $l; cat $T/out; return 1; }
  nlecho broadcast --group 21 --count 2 x >/dev/null || { kill $l; return 1; }
  finish l; expect_rc 0 || return 1
  run nlecho groups; expect_rc 0 || return 1
  grep -qx 'group 21: no listeners, sent 2, dropped 0' $T/out || { cat $T/out; return 1; }
  [ "$(grep -c ', sent 0, dropped 0$' $T/out)" = 31 ] || { cat $T/out; return 1; }
}
check "groups: listeners while one listens, and the notifications sent" groups_follow_broadcasts

groups_json_and_errors() {
  run nlecho --json groups; expect_rc 0 || return 1
  [ "$(grep -cE '^\{"kind":"group","group":[0-9]+,"listeners":(true|false),"sent":[0-9]+,"dropped":[0-9]+\}$' $T/out)" = 32 ] ||
    { cat $T/out; return 1; }
  run nlecho --json groups --group 7; expect_rc 0 || return 1
  out_has '^\{"kind":"group","group":7,"listeners":false,"sent":[0-9]+,"dropped":0\}$' || return 1
  for g in 0 33; do
    run nlecho groups --group $g; expect_rc 5 || return 1
    one_error_line && err_has '^nlecho: groups: Error: no such group\. \(ERANGE, attribute at offset 16\)$' || return 1
  done
}
check "groups --json, and a group out of range" groups_json_and_errors

# ---- peer ----

peer_unicast() {
  start p nlecho --timeout 5000 peer listen --port 4000 --count 1 || return 1
  grep -q 'listening on port 4000, no groups' $T/p.err || { cat $T/p.err; return 1; }
  run nlecho peer send --to-port 4000 --port 4001 hello; expect_rc 0 || return 1
  out_has '^sent 5 bytes from port 4001 to port 4000, seq 1$' || return 1
  finish p; expect_rc 0 || return 1
  [ "$(cat $T/p.out)" = 'port 4001: type 0x10 ECHO, seq 1, 5 bytes: "hello"' ] || { cat $T/p.out; return 1; }
}
check "peer send --to-port reaches peer listen --port, from the sender's port" peer_unicast

peer_multicast() {
  start a nlecho --timeout 5000 peer listen --group 7 --count 2 || return 1
  start b nlecho --timeout 5000 peer listen --port 4002 --group 7 --count 2 || return 1
  run nlecho peer send --group 7 --port 4003 --count 2 hi; expect_rc 0 || return 1
  for n in a b; do
    finish $n; expect_rc 0 || return 1
    [ "$(grep -c '^port 4003 group 7: type 0x10 ECHO, seq [12], 2 bytes: "hi"$' $T/$n.out)" = 2 ] ||
      { cat $T/$n.out; return 1; }
  done
}
check "peer send --group reaches every peer listening on the group" peer_multicast

peer_errors() {
  run nlecho peer send --to-port 4999 x; expect_rc 1 || return 1
  one_error_line && err_has 'Connection refused \(no socket is bound to that port\)' || return 1
  start p nlecho --timeout 3000 peer listen --port 4004 || return 1
  run nlecho --timeout 1000 peer listen --port 4004; expect_rc 1 || return 1
  kill $p; finish p
  one_error_line && err_has 'Address (already )?in use'
}
check "peer errors: nobody on the port, port already bound" peer_errors

# ---- global options ----

json_lines() {
  run nlecho --json send --ack --count 2 'a"b\c
d	e'; expect_rc 0 || return 1
  [ "$(wc -l <$T/out)" = 4 ] || { cat $T/out; return 1; }
  [ "$(grep -c '^{"kind":"[a-z]*",.*}$' $T/out)" = 4 ] || { cat $T/out; return 1; }
  [ "$(grep -c '^{"kind":"reply","from_port":0,"group":null,"type":16,"type_name":"ECHO","flags":0,"seq":[12],"len":9,"payload":"a\\"b\\\\c\\nd\\te"}$' $T/out)" = 2 ] ||
    { cat $T/out; return 1; }
  [ "$(grep -c '^{"kind":"ack","from_port":0,"seq":[12],"error":0}$' $T/out)" = 2 ] || { cat $T/out; return 1; }
  run nlecho --json send --file $T/bin; expect_rc 0 || return 1
  out_has '"len":3,"payload_hex":"ff0001"}$' || return 1
  run nlecho --json stats; expect_rc 0 || return 1
  out_has '^\{"kind":"stats","received":[0-9]+,"echoed":[0-9]+,"broadcast":[0-9]+,"dropped":[0-9]+,"malformed":[0-9]+,"errors":[0-9]+,"bytes":[0-9]+,"zero_copy":[0-9]+}$' || return 1
  start l nlecho --json --timeout 5000 listen --group 5 --count 1 || return 1
  run nlecho --json broadcast --group 5 j; expect_rc 0 || return 1
  out_has '^\{"kind":"broadcast","group":5,"len":1,"seq":1,"error":0}$' || return 1
  finish l; expect_rc 0 || return 1
  grep -qE '^\{"kind":"message","from_port":0,"group":(5|null),"type":20,"type_name":"NOTIFY","flags":0,"seq":0,"notify_group":5,"len":1,"payload":"j"}$' $T/l.out ||
    { cat $T/l.out; return 1; }
}
check "--json: one escaped object per line for send, stats, broadcast, listen" json_lines

verbose_headers() {
  run nlecho -v send --ack x; expect_rc 0 || return 1
  err_has '^> to kernel: len 17 type 0x10 flags 0x5 seq 1 pid [0-9]+$' || return 1
  port=$(sed -n 's/^> to kernel: .* pid \([0-9]*\)$/\1/p' $T/err)
  err_has '^< from kernel: len 17 type 0x10 flags 0x0 seq 1 pid [0-9]+$' || return 1
  # The ACK comes from netlink_ack(): the requester's port in nlmsg_pid.
  err_has "^< from kernel: len 36 type 0x2 flags 0x100 seq 1 pid $port\$" || return 1
  [ "$(wc -l <$T/out)" = 2 ]
}
check "-v prints every header on stderr" verbose_headers

listen_timeout() {
  run nlecho --timeout 300 listen --group 9; expect_rc 4 || return 1
  # The "listening" line, then the error.
  [ "$(wc -l <$T/err)" = 2 ] && [ "$(tail -n 1 $T/err)" = 'nlecho: listen: nothing received within 300 ms' ] ||
    { cat $T/err; return 1; }
}
check "listen --timeout without traffic exits 4" listen_timeout

listen_sigterm() {
  start l nlecho listen --group 5 || return 1
  kill $l; finish l; expect_rc 0
}
check "SIGTERM ends listen with 0" listen_sigterm

overrun() {
  start l nlecho --timeout 2000 listen --group 8 --rcvbuf 1 || return 1
  kill -STOP $l
  run nlecho broadcast --group 8 --count 40 "$(head -c 1000 /dev/zero | tr '\0' x)"
  kill -CONT $l
  expect_rc 0 || return 1
  finish l; [ $rc = 6 ] || { echo "exit $rc, wanted 6"; cat $T/l.err; return 1; }
  grep -q '^nlecho: listen: lost messages: receive buffer overrun (ENOBUFS); 1 overrun(s) so far$' $T/l.err &&
    grep -q '^nlecho: listen: lost messages: receive buffer overrun (ENOBUFS): 1 overrun(s) seen$' $T/l.err ||
    { cat $T/l.err; return 1; }
  got=$(wc -l <$T/l.out)
  [ "$got" -gt 0 ] && [ "$got" -lt 40 ] || { echo "$got of 40 printed"; return 1; }
}
check "an overrun is reported, listen goes on, and exits 6" overrun

# ---- pcap ----

u32_at() { od -An -tu4 -j "$2" -N4 "$1" | tr -d ' '; }
be16_at() { od -An -tx1 -j "$2" -N2 "$1" | tr -d ' '; }
# pcap_records FILE: checks the file header and every record's netlink
# header; prints one line per record: "<pkttype> <captured length>".
pcap_records() {
  f=$1
  [ "$(od -An -tx1 -N4 "$f" | tr -d ' ')" = d4c3b2a1 ] || { echo "bad magic"; return 1; }
  [ "$(u32_at "$f" 20)" = 253 ] || { echo "link type is not 253"; return 1; }
  [ "$(u32_at "$f" 16)" = 262144 ] || { echo "snaplen is not 262144"; return 1; }
  size=$(wc -c <"$f"); at=24
  while [ $at -lt "$size" ]; do
    incl=$(u32_at "$f" $((at + 8)))
    [ "$(be16_at "$f" $((at + 18)))" = 0338 ] || { echo "record at $at: not ARPHRD_NETLINK"; return 1; }
    [ "$(be16_at "$f" $((at + 30)))" = 001e ] || { echo "record at $at: not protocol 30"; return 1; }
    echo "$(be16_at "$f" $((at + 16))) $incl"
    at=$((at + 16 + incl))
  done
  [ $at = "$size" ] || { echo "last record runs past the end"; return 1; }
}

pcap_send() {
  run nlecho send --ack --pcap $T/send.pcap Hello; expect_rc 0 || return 1
  pcap_records $T/send.pcap >$T/records || { cat $T/records; return 1; }
  # Sent request, echo, ACK: 16-byte header plus each datagram.
  [ "$(tr '\n' ' ' <$T/records)" = "0004 40 0000 40 0000 52 " ] || { cat $T/records; return 1; }
  [ "$(tr -c 'A-Za-z' '\n' <$T/send.pcap | grep -c '^Hello$')" = 2 ]
}
check "send --pcap: request, echo and ACK in a LINKTYPE_NETLINK capture" pcap_send

pcap_listen_peer() {
  start l nlecho --timeout 5000 listen --group 5 --count 2 --pcap $T/listen.pcap || return 1
  start p nlecho --timeout 5000 peer listen --port 4010 --count 1 --pcap $T/peer.pcap || return 1
  nlecho broadcast --group 5 b1 >/dev/null && nlecho broadcast --group 5 b2 >/dev/null || return 1
  nlecho peer send --to-port 4010 --pcap $T/sent.pcap pp >/dev/null || return 1
  finish p; expect_rc 0 || return 1
  finish l; expect_rc 0 || return 1
  # Each NOTIFY: 16 + GROUP 8 + DATA 8 bytes, after the 16-byte header.
  [ "$(pcap_records $T/listen.pcap | tr '\n' ' ')" = "0000 48 0000 48 " ] || { pcap_records $T/listen.pcap; return 1; }
  [ "$(pcap_records $T/peer.pcap | tr '\n' ' ')" = "0000 36 " ] || { pcap_records $T/peer.pcap; return 1; }
  [ "$(pcap_records $T/sent.pcap | tr '\n' ' ')" = "0004 36 " ] || { pcap_records $T/sent.pcap; return 1; }
  # What the peer received is byte for byte what was sent.
  [ "$(tail -c 20 $T/peer.pcap | od -An -tx1)" = "$(tail -c 20 $T/sent.pcap | od -An -tx1)" ]
}
check "listen, peer listen and peer send write complete captures" pcap_listen_peer

pcap_groups() {
  # The do: request (GROUP), reply (64 bytes).
  run nlecho groups --group 1 --pcap $T/group.pcap; expect_rc 0 || return 1
  [ "$(pcap_records $T/group.pcap | tr '\n' ' ')" = "0004 40 0000 80 " ] || { pcap_records $T/group.pcap; return 1; }
  # The dump: request, then one datagram of 32 groups and the DONE
  # (32 * 64 + 20 bytes).
  run nlecho groups --pcap $T/groups.pcap; expect_rc 0 || return 1
  [ "$(pcap_records $T/groups.pcap | tr '\n' ' ')" = "0004 32 0000 2084 " ] || { pcap_records $T/groups.pcap; return 1; }
}
check "groups --pcap: the do and the dump, datagram by datagram" pcap_groups

# ---- nlecho-bench (benches/echo, not part of the CLI) ----

bench_runs() {
  # nlecho-bench reads nlecho's zero_copy counter in debugfs.
  grep -q ' /sys/kernel/debug ' /proc/mounts || mount -t debugfs debugfs /sys/kernel/debug || return 1
  insmod /root/c_echo.ko || return 1
  run nlecho-bench --scale 0.01 --rounds 1 --kib-rounds 2 --json-out $T/bench.json
  rmmod c_echo
  expect_rc 0 || return 1
  # Two rows (batch 1 and 32) per payload and target, and the 1 KiB
  # section's row for each module target.
  for t in rust rust_copy c c_again floor; do
    for p in '16 B' '1 KiB' '8 KiB' '65520 B'; do
      n=2
      [ "$p" = '1 KiB' ] && [ $t != floor ] && n=3
      [ "$(grep -c "^| $p | [0-9]* | $t | [0-9]" $T/out)" = $n ] || { echo "not $n $p rows for $t"; cat $T/out; return 1; }
    done
  done
  # The zero-copy column: rust's single messages took that path, rust_copy's did not.
  out_has '^\| 16 B \| 1 \| rust \| .* \| all \|$' && out_has '^\| 16 B \| 1 \| rust_copy \| .* \| none \|$' || return 1
  for l in 1 4 16; do out_has "^\| $l \| [0-9]+ \| [0-9]+ \| [0-9]+ \| [0-9]+ \| [0-9.]+ \|" || return 1; done
  grep -q '"echo_ratios":\[{"payload":16,"batch":1,"msgs_zero_copy_c":[0-9.]*,"msgs_copy_c":[0-9.]*,' $T/bench.json ||
    { cat $T/bench.json; return 1; }
}
check "nlecho-bench: every row for each target, the zero-copy column, and the JSON report" bench_runs

# ---- classic_notify=1 ----

classic_notify() {
  rmmod nlecho && insmod $KO classic_notify=1 || return 1
  start l nlecho --timeout 5000 listen --group 5 --count 1 || return 1
  run nlecho broadcast --group 5 classic; expect_rc 0 || { kill $l; return 1; }
  finish l; expect_rc 0 || return 1
  grep -qE '^kernel( group 5)?: type 0x3 DONE, seq 0, 7 bytes: "classic"$' $T/l.out || { cat $T/l.out; return 1; }
  rmmod nlecho && insmod $KO
}
check "classic_notify=1: listen prints the classic NLMSG_DONE with the raw data" classic_notify

# ---- module not loaded, other protocol ----

not_loaded() {
  rmmod nlecho || return 1
  for c in hello 'send x' stats groups 'listen --group 5' 'broadcast --group 5 x'; do
    # shellcheck disable=SC2086 # word splitting wanted
    run nlecho $c; expect_rc 3 || return 1
    one_error_line && err_has 'is the nlecho module loaded' || return 1
  done
  insmod $KO protocol=31 || return 1
  run nlecho --protocol 31 send x; expect_rc 0 || return 1
  out_has '"x"$' || return 1
  rmmod nlecho && insmod $KO
}
check "without the module: exit 3 in one line; --protocol 31 reaches it on 31" not_loaded

check "the guest kernel reported no error (scripts/kernel-reports on dmesg)" dmesg_clean

echo "cli.sh: $failures failed"
exit $failures
