#!/bin/sh
# nlecho through the netlink libraries people use, inside the guest: the
# kernel's own YNL client (tools/net/ynl/pyynl/cli.py, with
# docs/nlecho.yaml), then the libnl-3 and libmnl clients of tests/clients/,
# which print their own PASS:/FAIL: lines. Runs as root with nlecho.ko
# loaded on protocol 30 with its defaults, nothing else talking to it;
# leaves it loaded. Exits with the number of failures.
#
# It needs what tests/run-kernel passes to scripts/vm-run: --python, the
# kernel source's tools/net/ynl/pyynl as /root/ynl, /root/nlecho.yaml,
# /root/libnl_client, /root/libmnl_client and the shared libraries the
# latter links.

. /root/lib.sh

SPEC=/root/nlecho.yaml
# ynl: the kernel's client on nlecho's spec, JSON out. --no-schema: the
# guest has no jsonschema (tests/host/ynl-spec.sh validates the spec).
# YNL waits for answers without a timeout; this one gives up after 60 s.
ynl() { timeout 60 python3 /root/ynl/cli.py --spec $SPEC --no-schema --output-json "$@"; }
# hex TEXT: TEXT as YNL writes binary attributes.
hex() { printf %s "$1" | od -An -tx1 | tr -d ' \n'; }

have_ynl() {
  command -v python3 >/dev/null || { echo "no python3 in the guest (scripts/vm-run --python)"; return 1; }
  [ -f /root/ynl/cli.py ] && [ -f $SPEC ] ||
    { echo "no /root/ynl/cli.py or $SPEC (tests/run-kernel passes both)"; return 1; }
  run python3 -c 'import yaml'; expect_rc 0
}

ynl_echo() {
  run ynl --do echo --json "{\"data\": \"$(hex 'hello from ynl')\"}"; expect_rc 0 || return 1
  out_has "^\\{\"data\": \"$(hex 'hello from ynl')\"\\}$"
}

# RESET_STATS, then STATS: only the STATS itself is counted.
ynl_stats() {
  run ynl --do reset-stats; expect_rc 0 || return 1
  out_has '^null$' || return 1
  run ynl --do stats; expect_rc 0 || return 1
  out_has '"stat-received": 1[,}]' || return 1
  for c in echoed broadcast dropped malformed errors bytes zero-copy; do out_has "\"stat-$c\": 0[,}]" || return 1; done
}

ynl_dump() {
  run ynl --dump get-group; expect_rc 0 || return 1
  groups=$(grep -o '"group": [0-9]*' $T/out | sed 's/.*: //' | tr '\n' ' ')
  [ "$groups" = "$(seq 1 32 | tr '\n' ' ')" ] || { echo "groups: $groups"; cat $T/out; return 1; }
  for a in listeners sent dropped; do
    [ "$(grep -o "\"$a\": [0-9]*" $T/out | wc -l)" = 32 ] || { echo "not 32 '$a'"; cat $T/out; return 1; }
  done
}

ynl_get_group() {
  run ynl --do get-group --json '{"group": 7}'; expect_rc 0 || return 1
  out_has '^\{"group": 7, "listeners": 0, "sent": [0-9]+, "dropped": [0-9]+\}$'
}

# The extended ACK as ynl prints it: the kernel's sentence, and the
# offending attribute by name (ynl maps NLMSGERR_ATTR_OFFS to it).
ynl_errors() {
  run ynl --do get-group --json '{"group": 999}'; expect_rc 1 || return 1
  out_has "no such group: Numerical result out of range" && out_has "'bad-attr': '\\.group'" || return 1
  run ynl --do get-group; expect_rc 1 || return 1
  out_has "missing attribute: Invalid argument" && out_has "'miss-type': 'group'"
}

# Joined group G: a socket on protocol 30 whose /proc/net/netlink Groups
# mask (groups 1-32) is exactly group G's bit.
in_group() {
  mask=$(printf %08x $((1 << ($1 - 1))))
  awk -v m="$mask" '$2 == 30 && $4 == m {found = 1} END {exit !found}' /proc/net/netlink
}

# --subscribe group-5, then `nlecho broadcast` and ynl's own BROADCAST:
# both arrive as notify messages with their group and data.
ynl_subscribe() {
  : >$T/sub.out; : >$T/sub.err
  python3 -u /root/ynl/cli.py --spec $SPEC --no-schema --output-json --subscribe group-5 \
    --duration 60 >$T/sub.out 2>$T/sub.err &
  sub=$!
  i=0
  until in_group 5; do
    i=$((i + 1))
    [ $i -gt 300 ] && { kill $sub; wait $sub; echo "ynl never joined group 5:"; cat $T/sub.err; return 1; }
    usleep 100000
  done
  ok=1
  nlecho broadcast --group 5 'from the CLI' >/dev/null || ok=0
  run ynl --do broadcast --json "{\"group\": 5, \"data\": \"$(hex 'from ynl')\"}"
  [ $rc = 0 ] && grep -qx null $T/out || { echo "ynl --do broadcast:"; cat $T/out $T/err; ok=0; }
  i=0
  while [ "$(grep -c '"name": "notify"' $T/sub.out)" -lt 2 ] && [ $i -lt 200 ]; do
    i=$((i + 1)); usleep 100000
  done
  kill $sub 2>/dev/null; wait $sub
  for d in 'from the CLI' 'from ynl'; do
    grep -qxF "{\"name\": \"notify\", \"msg\": {\"group\": 5, \"data\": \"$(hex "$d")\"}}" $T/sub.out ||
      { echo "no notify with data '$d':"; cat $T/sub.out $T/sub.err; return 1; }
  done
  [ $ok = 1 ]
}

if check "ynl: python3 and PyYAML in the guest, the kernel's cli.py and docs/nlecho.yaml" have_ynl; then
  check "ynl --do echo: the data attribute comes back" ynl_echo
  check "ynl --do reset-stats, then --do stats: received 1, every other counter 0" ynl_stats
  check "ynl --dump get-group: groups 1-32, each with listeners, sent, dropped" ynl_dump
  check "ynl --do get-group: one group" ynl_get_group
  check "ynl errors: the extended ACK's message, the bad attribute and the missing one by name" ynl_errors
  check "ynl --subscribe group-5 gets the notify of nlecho broadcast and of ynl --do broadcast" ynl_subscribe
fi

# client NAME PROGRAM: runs a client that prints its own PASS:/FAIL:
# lines; one that stops without a FAIL: line is a failure of its own.
client() {
  [ -x "$2" ] || { fail "$1" "$2 is not in the guest (tests/run-kernel builds and passes it)"; return; }
  "$2" >$T/client.out 2>&1; rc=$?
  cat $T/client.out
  n=$(grep -c '^FAIL: ' $T/client.out)
  failures=$((failures + n))
  [ $rc = 0 ] || [ "$n" -gt 0 ] || fail "$1 finished" "exit status $rc"
}
client "libnl-3 client" /root/libnl_client
client "libmnl client" /root/libmnl_client

exit $failures
