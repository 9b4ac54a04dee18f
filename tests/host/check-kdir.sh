#!/usr/bin/env bash
# scripts/check-kdir against a kernel tree that ships its Rust artifacts,
# laid out from $KREL's build root the way Ubuntu's linux-lib-rust or
# Arch's headers lay theirs out: it accepts the tree with the kernel's own
# rustc, and refuses, with one line naming the cause, another rustc, a
# missing crate, missing kernel-crate sources and a kernel without Rust.
# One PASS:/FAIL: line per check.
set -euo pipefail
. "$(dirname "$0")/../../scripts/common.sh"
cd "$TOP"

tree=$(mktemp -d /tmp/nlecho-kdir.XXXXXX)
trap 'rm -rf "$tree"' EXIT
out=$BUILDROOT$KOUT
[ -f "$out/rust/libkernel.rmeta" ] || die "no prepared tree at $out; run scripts/setup-buildroot"
mkdir -p "$tree/scripts" "$tree/rust"
cp "$out/.config" "$tree/.config"
cp "$BUILDROOT$KSRC/scripts/Makefile.build" "$tree/scripts/"
ln -s "$out"/rust/lib*.rmeta "$out"/rust/lib*.so "$tree/rust/"
ln -s "$BUILDROOT$KSRC/rust/kernel" "$tree/rust/kernel"

# A stand-in for the kernel's rustc: check-kdir only asks for its version.
want=$(kconfig "$tree/.config" CONFIG_RUSTC_VERSION_TEXT)
printf '#!/bin/sh\necho "%s"\n' "$want" >"$tree/rustc"
printf '#!/bin/sh\necho "rustc 1.0.0 (another one)"\n' >"$tree/other-rustc"
chmod +x "$tree/rustc" "$tree/other-rustc"

failed=0
# expect NAME PATTERN ENV...: check-kdir fails with one line matching
# PATTERN (or succeeds, for PATTERN "ok").
expect() {
  local name=$1 pattern=$2 got rc=0; shift 2
  got=$(env "$@" scripts/check-kdir "$tree" 2>&1) || rc=$?
  if { [ "$pattern" = ok ] && [ $rc -eq 0 ]; } ||
    { [ $rc -ne 0 ] && [ "$(wc -l <<<"$got")" = 1 ] && grep -q -- "$pattern" <<<"$got"; }; then
    echo "PASS: check-kdir: $name"
  else
    echo "$got"; echo "FAIL: check-kdir: $name"; failed=$((failed + 1))
  fi
}
expect "accepts a tree with its Rust artifacts and the kernel's rustc" ok RUSTC="$tree/rustc"
expect "refuses another rustc, naming both" "built by '$want', but .* is 'rustc 1.0.0" RUSTC="$tree/other-rustc"
rm "$tree/rust/libpin_init.rmeta"
expect "refuses a tree without a crate kbuild passes (pin_init)" "lacks rust/libpin_init" RUSTC="$tree/rustc"
ln -s "$out/rust/libpin_init.rmeta" "$tree/rust/"
rm "$tree/rust/kernel"
expect "refuses a tree without the kernel crate's sources" "no rust/kernel/" RUSTC="$tree/rustc"
sed -i 's/^CONFIG_RUST=y/# CONFIG_RUST is not set/' "$tree/.config"
expect "refuses a kernel built without Rust" "built without Rust" RUSTC="$tree/rustc"
exit $failed
