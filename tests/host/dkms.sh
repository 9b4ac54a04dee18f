#!/usr/bin/env bash
# DKMS with bookworm's dkms, for $KREL as if it were installed on the host:
# `make dkms`, then dkms build, install, and autoinstall (what a kernel
# upgrade runs) against the kernel's headers in its build root, which have
# no rust/, so that scripts/dkms-build takes the build-root path. Checks
# the vermagic of what DKMS built and installed (VERMAGIC, if the caller
# read it already). One PASS:/FAIL: line per check. Leaves DKMS, /usr/src
# and /lib/modules as it found them.
set -euo pipefail
. "$(dirname "$0")/../../scripts/common.sh"
cd "$TOP"
need_root
host_packages --no-install-recommends dkms kmod

version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml)
headers=$BUILDROOT/usr/src/linux-headers-$KREL
[ -f "$headers/.config" ] || die "no headers for $KREL at $headers; run scripts/setup-buildroot"
dkms status -m nlecho | grep -q . && die "DKMS already has nlecho ($(dkms status -m nlecho | head -n1)); remove it to run this test"
moddir=/lib/modules/$KREL
# On a host that has this kernel, its depmod files are put back afterwards.
saved=$(mktemp -d /tmp/nlecho-dkms.XXXXXX)
had_moddir=$([ -e "$moddir" ] && echo 1 || true)
[ -z "$had_moddir" ] || cp -p "$moddir"/modules.* "$saved/" 2>/dev/null || true
cleanup() {
  dkms remove -m nlecho -v "$version" --all >/dev/null 2>&1 || true
  rm -rf "/usr/src/nlecho-$version"
  if [ -n "$had_moddir" ]; then
    cp -p "$saved"/modules.* "$moddir/" 2>/dev/null || true
  else
    rm -rf "$moddir"
  fi
  rm -rf "$saved"
}
trap cleanup EXIT
# What installing the kernel's package would have put there (dkms install
# refuses a release without it); the modules themselves are not needed.
if [ -z "$had_moddir" ]; then
  mkdir -p "$moddir" && cp "$BUILDROOT$moddir"/modules.{order,builtin,builtin.modinfo} "$moddir/" \
    || die "cannot lay out $moddir"
fi

failed=0
result() { if [ "$1" -eq 0 ]; then echo "PASS: $2"; else echo "FAIL: $2"; failed=$((failed + 1)); fi; }
vermagic=${VERMAGIC:-$(kernel_vermagic)} || die "cannot read the version magic of $KREL's vmlinuz"
# has_vermagic KO: KO exists and carries the kernel's vermagic.
has_vermagic() { [ -f "$1" ] && [ "$(modinfo -F vermagic "$1")" = "$vermagic" ] && echo "DKMS vermagic: $1: $vermagic"; }
dkms_k() { dkms "$@" -m nlecho -v "$version" -k "$KREL" --kernelsourcedir "$headers"; }

rc=0; make -s dkms >/dev/null || rc=$?
result $rc "make dkms installs /usr/src/nlecho-$version and adds it to DKMS"
[ $rc -eq 0 ] || exit 1

rc=0; dkms_k build || rc=$?
built=/var/lib/dkms/nlecho/$version/$KREL/x86_64/module
has_vermagic "$built/nlecho.ko" && has_vermagic "$built/nlecho_trigger.ko" || rc=1
result $rc "dkms build -k $KREL builds nlecho.ko and nlecho_trigger.ko with the kernel's vermagic"

installed() {
  local ko
  for m in nlecho nlecho_trigger; do
    ko=$(find "$moddir/updates/dkms" -name "$m.ko*" -print -quit 2>/dev/null)
    has_vermagic "$ko" && grep -q "updates/dkms/$m.ko" "$moddir/modules.dep" || return 1
  done
}
rc=0; dkms_k install >/dev/null && installed || rc=$?
result $rc "dkms install -k $KREL puts both in $moddir/updates/dkms, known to depmod"

# After a kernel upgrade the kernel's postinst runs `dkms autoinstall`,
# which builds every added module that the new release lacks.
rc=0; dkms unbuild -m nlecho -v "$version" -k "$KREL" >/dev/null || rc=$?
[ $rc -eq 0 ] && ! installed || rc=1
dkms autoinstall -k "$KREL" --kernelsourcedir "$headers" >/dev/null && installed || rc=1
result $rc "dkms autoinstall -k $KREL (a kernel upgrade) builds and installs it again"
exit $failed
