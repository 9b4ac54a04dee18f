# Helpers for the guest test scripts (busybox sh); sourced, never run.
# Each check prints one PASS:/FAIL: line, which tests/run counts.
# shellcheck shell=sh

KO=/root/nlecho.ko
T=/tmp/nlecho-test
mkdir -p $T
failures=0

pass() { echo "PASS: $1"; }
fail() { echo "FAIL: $1: $2"; failures=$((failures + 1)); }
# check NAME CMD...: passes when CMD succeeds; shows its output otherwise.
check() {
  name=$1; shift
  if "$@" >$T/check 2>&1; then pass "$name"; else fail "$name" "$(tail -n 4 $T/check | tr '\n' ' ')"; fi
}

loaded() { grep -q "^$1 " /proc/modules; }
unload() { ! loaded "$1" || rmmod "$1"; }

# dmesg since the last mark, so each check reads only its own lines.
mark() { dmesg | wc -l >$T/mark; }
since_mark() { dmesg | tail -n +$(($(cat $T/mark) + 1)); }
# The kernel's error reports, as vm-run matches them on the console.
dmesg_clean() { dmesg | kernel-reports; }

# run CMD...: stdout to $T/out, stderr to $T/err, status in $rc.
run() { "$@" >$T/out 2>$T/err; rc=$?; }
# expect_rc N: the last run exited N; otherwise shows why.
expect_rc() {
  [ "$rc" = "$1" ] && return 0
  echo "exit status $rc, wanted $1"; cat $T/out $T/err; return 1
}
# out_has / err_has PATTERN: grep -E on the last run's output.
out_has() { grep -qE -- "$1" $T/out || { echo "stdout lacks /$1/:"; cat $T/out; return 1; }; }
err_has() { grep -qE -- "$1" $T/err || { echo "stderr lacks /$1/:"; cat $T/err; return 1; }; }
# one_error_line: stderr is exactly one "nlecho: ..." line.
one_error_line() {
  [ "$(wc -l <$T/err)" = 1 ] && grep -q '^nlecho: ' $T/err && return 0
  echo "stderr is not one 'nlecho:' line:"; cat $T/err; return 1
}
as_nobody() { su nobody -s /bin/sh -c "$*"; }

# start NAME CMD...: runs CMD in the background (stdout $T/NAME.out,
# stderr $T/NAME.err), waits for its "listening" line; pid in $NAME.
start() {
  n=$1; shift
  # Emptied first: the wait below must not see an earlier run's line.
  : >$T/$n.out; : >$T/$n.err
  "$@" >$T/$n.out 2>$T/$n.err &
  eval "$n=$!"
  i=0
  while ! grep -q listening $T/$n.err 2>/dev/null; do
    i=$((i + 1))
    [ $i -gt 100 ] && { echo "$n never said it was listening:"; cat $T/$n.err; return 1; }
    usleep 100000
  done
}
# finish NAME: waits for the background command NAME; status in $rc.
finish() { eval "wait \$$1"; rc=$?; }
