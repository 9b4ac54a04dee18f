# Shared settings and helpers for nlecho's scripts; sourced, never run.
# shellcheck shell=bash

# The stock kernel every script targets unless told otherwise.
KREL=${KREL:-7.2.13+deb14-amd64}
KSERIES=${KREL%%.*}.$(echo "$KREL" | cut -d. -f2)
# Cache outside the work tree: the build root is ~2 GB and outlives clones.
NLECHO_CACHE=${NLECHO_CACHE:-/var/cache/nlecho}
BUILDROOT=$NLECHO_CACHE/$KREL
# Inside the build root: the prepared kernel tree (O= directory).
KOUT=/build/out
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

die() { echo "error: $*" >&2; exit 1; }
note() { echo ">>> $*" >&2; }

# Builds run as root: mmdebstrap, chroot and mount all need it.
need_root() { [ "$(id -u)" -eq 0 ] || die "run as root (mmdebstrap, chroot and mount need it)"; }

# Install missing bookworm packages on the host; never touches apt sources.
host_packages() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  note "installing host packages: ${missing[*]}"
  apt-get update -q >/dev/null || die "apt-get update failed; check the host's apt sources and network"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null \
    || die "apt-get install ${missing[*]} failed; install them by hand and retry"
}

# Run a command inside the build root with /proc mounted (objtool reads it);
# the mount is undone however the command ends.
in_buildroot() {
  [ -f "$BUILDROOT/.complete" ] || die "no build root at $BUILDROOT; run scripts/setup-buildroot"
  mount -t proc proc "$BUILDROOT/proc" || die "cannot mount /proc in $BUILDROOT"
  local rc=0
  chroot "$BUILDROOT" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 "$@" || rc=$?
  umount "$BUILDROOT/proc" || die "cannot unmount $BUILDROOT/proc; unmount it by hand"
  return $rc
}

# Copy the module sources to $1, a directory inside the build root.
stage_sources() {
  rm -rf "${BUILDROOT:?}$1" && mkdir -p "$BUILDROOT$1"
  cp -r "$TOP/Kbuild" "$TOP/module" "$TOP/benches" "$BUILDROOT$1/" \
    || die "cannot copy the module sources into $BUILDROOT$1"
}

# kbuild DIR ARGS...: kbuild for the external module in DIR (a build-root
# path) against the prepared tree, with the compiler the kernel was built with.
kbuild() {
  local dir=$1; shift
  in_buildroot make -C "$KOUT" M="$dir" CC=x86_64-linux-gnu-gcc-16 HOSTCC=x86_64-linux-gnu-gcc-16 \
    -j"$(nproc)" "$@"
}
