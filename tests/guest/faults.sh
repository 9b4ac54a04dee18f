#!/bin/sh
# The detectors bite: nlecho_fault.ko plants one memory error per load, and
# the kernel must report each. A detector that silently stopped working
# (a boot parameter dropped, a config changed) fails here. Runs in a boot
# of its own, since the planted errors taint the kernel:
#
#   scripts/vm-run --reports-expected --file tests/guest/lib.sh --file tests/guest/faults.sh -- sh /root/faults.sh
#
# On a kernel with KASAN (the debug lane) KASAN must report the overrun and
# the double free; on the stock kernel slab_debug's red zones and free-list
# checks must, and KFENCE an out-of-bounds read.

. /root/lib.sh

FAULT=/root/nlecho_fault.ko
# The reports are the point here: a WARN must not panic the guest.
echo 0 >/proc/sys/kernel/panic_on_warn

# caught FAULT PATTERN: loading nlecho_fault with FAULT makes the kernel
# log PATTERN (grep -E).
caught() {
  mark
  insmod $FAULT fault="$1" || return 1
  rmmod nlecho_fault || return 1
  since_mark | grep -E -m1 -- "$2" || { since_mark | tail -n 20; return 1; }
}

if dmesg | grep -q 'KernelAddressSanitizer initialized'; then
  # Needs kasan_multi_shot, or KASAN reports only the first. KASAN catches
  # out-of-bounds reads itself, and under it KFENCE's pool of 255 objects
  # is full soon after boot: KFENCE is checked on the stock kernel only.
  check "KASAN reports a write one byte past an skb's buffer" caught skb_overrun 'BUG: KASAN: slab-out-of-bounds'
  check "KASAN reports a double free" caught double_free 'BUG: KASAN: double-free'
else
  check "slab_debug reports a write one byte past an skb's buffer (red zone)" \
    caught skb_overrun 'Right Redzone overwritten'
  check "slab_debug reports a double free" caught double_free 'BUG kmalloc-64 .*: Object already free'
  if [ "$(cat /sys/module/kfence/parameters/sample_interval 2>/dev/null || echo 0)" != 0 ]; then
    check "KFENCE reports a read of the byte just outside an object" caught kfence_read 'BUG: KFENCE: out-of-bounds read'
  else
    fail "KFENCE reports a read of the byte just outside an object" "KFENCE is off (kfence.sample_interval is 0 or unset)"
  fi
fi

echo "faults.sh: $failures failed"
exit $failures
