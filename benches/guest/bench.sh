#!/bin/sh
# The guest side of `make bench` (scripts/bench copies it in with the
# modules and nlecho-bench): load times of both modules, then the
# benchmark. Each result line carries a tag for scripts/bench to pick out
# of the console.
#
#   sh /root/bench.sh SCALE ROUNDS KIB_ROUNDS
set -u
[ $# = 3 ] || { echo "usage: sh bench.sh SCALE ROUNDS KIB_ROUNDS" >&2; exit 2; }
scale=$1 rounds=$2 kib_rounds=$3

# nlecho is loaded at boot; both must load and unload cleanly first.
insmod /root/c_echo.ko || exit 1
rmmod nlecho c_echo || exit 1
# 20 insmod/rmmod cycles of each target: an unmeasured cycle, then two
# rounds of 10, the second in reverse order, so drift on a busy host hits
# all of them alike. c_echo netns=1 serves every namespace through pernet
# operations, as nlecho does: the like-for-like figure (c_echo.c says why).
cycles() { # TARGET N: seconds taken by N cycles of TARGET (MODULE[:PARAMS])
  m=${1%%:*} params=
  [ "$m" = "$1" ] || params=${1#*:}
  { time -f %e sh -c "i=0; while [ \$i -lt $2 ]; do insmod /root/$m.ko $params && rmmod $m || exit 1; i=\$((i+1)); done"; } 2>&1
}
targets="nlecho c_echo c_echo:netns=1"
for t in $targets; do cycles "$t" 1 >/dev/null || exit 1; done
: >/tmp/load
for order in "$targets" "c_echo:netns=1 c_echo nlecho"; do
  for t in $order; do
    s=$(cycles "$t" 10) || exit 1
    echo "$t $s" >>/tmp/load
  done
done
for t in $targets; do
  awk -v t="$t" '$1 == t {s += $2} END {printf "BENCH-LOAD %s %.2f\n", t, s}' /tmp/load
done
insmod /root/nlecho.ko && insmod /root/c_echo.ko || exit 1
# nlecho-bench reads nlecho's zero_copy counter here around each round, to
# show which echo path the replies took; without it that column stays empty.
mount -t debugfs debugfs /sys/kernel/debug ||
  echo "bench.sh: cannot mount debugfs; the report's zero-copy column will be empty" >&2
nlecho-bench --scale "$scale" --rounds "$rounds" --kib-rounds "$kib_rounds" \
  --json-out /tmp/bench.json >/tmp/bench.md || { echo "bench.sh: nlecho-bench failed" >&2; exit 1; }
echo "BENCH-JSON $(cat /tmp/bench.json)"
sed "s/^/BENCH-MD /" /tmp/bench.md
# nlecho's counters over the whole run (both echo paths, since its load).
sed "s/^/BENCH-STATS /" /sys/kernel/debug/nlecho/stats 2>/dev/null ||
  echo "BENCH-STATS (no /sys/kernel/debug/nlecho/stats)"
