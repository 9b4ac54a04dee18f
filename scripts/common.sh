# Shared settings and helpers for nlecho's scripts; sourced, never run.
# shellcheck shell=bash

# The kernels nlecho is built and tested for: Debian's Rust-enabled amd64
# kernels. The first is the default of `make run` and `make test`;
# `make test-all` (CI) runs them all.
SUPPORTED_KRELS=(7.2.13+deb14-amd64 7.3.4+deb13-amd64 7.3-amd64)
KREL=${KREL:-${SUPPORTED_KRELS[0]}}
# Cache outside the work tree: a build root is ~4 GB and outlives clones.
NLECHO_CACHE=${NLECHO_CACHE:-/var/cache/nlecho}
BUILDROOT=$NLECHO_CACHE/$KREL
# Inside the build root: the kernel source and the prepared tree (O=).
KSRC=/build/linux
KOUT=/build/out
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# Where this work tree's sources are built inside the build root: one
# directory per work tree, so that two checkouts never mix object files.
STAGE=/build/src/nlecho-$(printf %s "$TOP" | cksum | cut -d' ' -f1)

# Exit statuses other scripts tell apart from a plain failure.
EXIT_UNPLACEABLE=3 # KREL is not a kernel Debian ships with Rust
EXIT_VANISHED=4    # KREL's packages are no longer in the archive

die() { echo "error: $*" >&2; exit 1; }
note() { echo ">>> $*" >&2; }

# Builds run as root: mmdebstrap, chroot and mount all need it.
need_root() { [ "$(id -u)" -eq 0 ] || die "run as root (mmdebstrap, chroot and mount need it)"; }

# place_release: where Debian ships KREL, read from the release itself.
# Sets SUITE (the build root's suite), SOURCES (its "suite component" apt
# sources) and KSERIES (the linux-source-X.Y series); exits with
# EXIT_UNPLACEABLE and one line saying what would be needed.
place_release() {
  local abi
  if [[ $KREL =~ ^([0-9]+\.[0-9]+)\.[0-9]+\+deb([0-9]+)-amd64$ ]]; then
    abi=${BASH_REMATCH[2]}
  elif [[ $KREL =~ ^([0-9]+\.[0-9]+)-amd64$ ]]; then
    abi=experimental # release candidates carry no patch level and no +debN
  fi
  KSERIES=${BASH_REMATCH[1]:-}
  case ${abi:-} in
    14) SUITE=sid SOURCES=("sid main") ;;
    # A Rust-enabled kernel for Debian 13 comes from trixie-backports,
    # built by trixie's own rustc.
    13) SUITE=trixie SOURCES=("trixie main" "trixie-backports main") ;;
    experimental) SUITE=sid SOURCES=("sid main" "experimental main") ;;
    *)
      local what="kernel '$KREL'"
      [ "$KREL" = "$(uname -r)" ] && what="the running kernel '$KREL'"
      echo "error: cannot build for $what: nlecho builds for Debian's Rust-enabled amd64 kernels," \
        "X.Y.Z+deb14-amd64 (sid), X.Y.Z+deb13-amd64 (trixie-backports) or X.Y-amd64 (experimental);" \
        "tested: ${SUPPORTED_KRELS[*]}. Pick one with KREL=<release>, or point KDIR at a" \
        "kernel tree prepared with Rust (rust/libkernel.rmeta)." >&2
      exit "$EXIT_UNPLACEABLE"
      ;;
  esac
}

# host_packages [--no-install-recommends] PKG...: install missing bookworm
# packages on the host; never touches apt sources.
host_packages() {
  local missing=() opts=() p
  [ "${1:-}" = --no-install-recommends ] && { opts=("$1"); shift; }
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  note "installing host packages: ${missing[*]}"
  apt-get update -q >/dev/null || die "apt-get update failed; check the host's apt sources and network"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${opts[@]}" "${missing[@]}" >/dev/null \
    || die "apt-get install ${missing[*]} failed; install them by hand and retry"
}

# sh_quote ARG...: a POSIX sh command line that gives back ARG... as they
# are: each in single quotes, a quote inside as '\''.
sh_quote() {
  local arg words=() IFS=' '
  for arg in "$@"; do words+=("'${arg//\'/\'\\\'\'}'"); done
  printf '%s\n' "${words[*]}"
}

# kconfig FILE NAME: the value of a string option in a kernel .config.
kconfig() { sed -n "s/^$2=\"\\(.*\\)\"$/\\1/p" "$1"; }

# kernel_cc CONFIG: the compiler that built a kernel, the first word of
# CONFIG_CC_VERSION_TEXT in its .config (x86_64-linux-gnu-gcc-16, say).
kernel_cc() {
  local cc
  cc=$(kconfig "$1" CONFIG_CC_VERSION_TEXT)
  [ -n "$cc" ] || die "no CONFIG_CC_VERSION_TEXT in $1"
  echo "${cc%% *}"
}

# kbuild's compiler arguments for the tree in $KOUT, the compiler that
# built it: LLVM=-N for a clang-built tree (the debug kernel), CC= and
# HOSTCC= for a gcc one.
kernel_toolchain() {
  local config=$BUILDROOT$KOUT/.config cc clang
  if grep -qx 'CONFIG_CC_IS_CLANG=y' "$config"; then
    clang=$(sed -n 's/^CONFIG_CLANG_VERSION=//p' "$config") # 210108: 21.1.8
    echo "LLVM=-$((clang / 10000))"
    return
  fi
  cc=$(kernel_cc "$config") || exit
  echo "CC=$cc HOSTCC=$cc"
}

# The version magic the kernel image itself carries, which insmod checks a
# module's against (the build root has the image but not its modules).
kernel_vermagic() {
  host_packages binutils zstd xz-utils
  bash "$BUILDROOT$KSRC/scripts/extract-vmlinux" "$BUILDROOT/usr/lib/modules/$KREL/vmlinuz" 2>/dev/null \
    | grep -a -o -m1 "$KREL SMP[ a-z_]*"
}

# in_root ROOT CMD...: CMD inside the chroot ROOT with a clean environment,
# so nothing of the host's (its PATH, locale, cargo's variables) leaks in.
in_root() {
  local root=$1; shift
  chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 "$@"
}

# Run a command inside the build root with /proc mounted (objtool reads it);
# the mount is undone however the command ends.
in_buildroot() {
  [ -f "$BUILDROOT/.complete" ] || die "no build root at $BUILDROOT; run scripts/setup-buildroot"
  mount -t proc proc "$BUILDROOT/proc" || die "cannot mount /proc in $BUILDROOT"
  local rc=0
  in_root "$BUILDROOT" "$@" || rc=$?
  umount "$BUILDROOT/proc" || die "cannot unmount $BUILDROOT/proc; unmount it by hand"
  return $rc
}

# Copy the module sources to $1, a directory inside the build root. Their
# times are kept, so kbuild rebuilds only what changed since the last copy.
stage_sources() {
  # Of benches/, only the C twin is a module (benches/echo is a userspace crate).
  mkdir -p "$BUILDROOT$1/benches"
  cp -rp "$TOP/Kbuild" "$TOP/module" "$BUILDROOT$1/" && cp -rp "$TOP/benches/c_echo" "$BUILDROOT$1/benches/" \
    || die "cannot copy the module sources into $BUILDROOT$1"
  # The guest suite's test modules: a work tree has them, a DKMS copy not.
  if [ -d "$TOP/tests/guest/modules" ]; then
    mkdir -p "$BUILDROOT$1/tests/guest" && cp -rp "$TOP/tests/guest/modules" "$BUILDROOT$1/tests/guest/" \
      || die "cannot copy the test modules into $BUILDROOT$1"
  fi
}

# kbuild DIR ARGS...: kbuild for the external module in DIR (a build-root
# path) against the prepared tree $KOUT, with the compiler that built it.
kbuild() {
  local dir=$1 toolchain; shift
  toolchain=$(kernel_toolchain) || exit
  # shellcheck disable=SC2086 # toolchain is a word list
  in_buildroot make -C "$KOUT" M="$dir" $toolchain -j"$(nproc)" "$@"
}
